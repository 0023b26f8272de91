"""Fixtures for the reader tests: where the real files are, and writers for synthetic ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

THIRD_PARTY = Path(__file__).parents[2] / "assets" / "third_party"
KAISER = THIRD_PARTY / "kaiser_heart_valves"
SLICERHEART = THIRD_PARTY / "slicerheart_test"
SCHEMA_URL = (
    "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/"
    "Resources/Schema/markups-schema-v1.0.3.json#"
)


def legacy_vtk_text(
    points: np.ndarray,
    *,
    lines: Sequence[Sequence[int]] = (),
    polys: Sequence[Sequence[int]] = (),
    verts: Sequence[Sequence[int]] = (),
) -> str:
    """A legacy ASCII VTK POLYDATA file, written by hand so that cell order is ours to choose."""
    out = [
        "# vtk DataFile Version 3.0",
        "synthetic test data",
        "ASCII",
        "DATASET POLYDATA",
        f"POINTS {len(points)} double",
    ]
    out += [" ".join(repr(float(v)) for v in p) for p in points]
    for keyword, cells in (("VERTICES", verts), ("LINES", lines), ("POLYGONS", polys)):
        if len(cells):
            size = sum(len(c) + 1 for c in cells)
            out.append(f"{keyword} {len(cells)} {size}")
            out += [" ".join(str(int(i)) for i in [len(c), *c]) for c in cells]
    return "\n".join(out) + "\n"


@pytest.fixture
def write_vtk(tmp_path: Path) -> Callable[..., Path]:
    """write_vtk(name, points, lines=..., polys=..., verts=...) -> path of a legacy .vtk file."""

    def write(name: str, points: np.ndarray, **cells: Any) -> Path:
        path = tmp_path / name
        path.write_text(legacy_vtk_text(np.asarray(points, dtype=float), **cells))
        return path

    return write


def _markup(
    kind: str,
    positions: Sequence[Sequence[float]],
    labels: Sequence[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One markup of a Slicer markups document (``extra`` sets e.g. coordinateSystem)."""
    labels = labels if labels is not None else [f"{kind}-{i + 1}" for i in range(len(positions))]
    points = [
        {"id": str(i + 1), "label": label, "position": [float(v) for v in pos]}
        for i, (pos, label) in enumerate(zip(positions, labels, strict=True))
    ]
    return {"type": kind, **extra, "controlPoints": points}


@pytest.fixture
def markup() -> Callable[..., dict[str, Any]]:
    """markup(kind, positions, labels=None, **extra) -> one markup dict."""
    return _markup


@pytest.fixture
def write_markups(tmp_path: Path) -> Callable[..., Path]:
    """write_markups(name, *markups) -> path of a .mrk.json file holding those markups."""

    def write(name: str, *markups: dict[str, Any]) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps({"@schema": SCHEMA_URL, "markups": list(markups)}, indent=1))
        return path

    return write


def _ring(n: int, radius: float, z: float = 0.0) -> np.ndarray:
    """(n, 3) points on a circle in the plane z = const, counter-clockwise seen from +z."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.column_stack([radius * np.cos(t), radius * np.sin(t), np.full(n, z)])


def _ring_strip(
    n: int, outer: float, inner: float, inner_z: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """An annulus-like strip: vertices (2n, 3) (outer ring, then inner) and faces (2n, 3).

    Its boundary has two loops: the outer ring (the annulus) and the inner one (a free edge).
    """
    vertices = np.vstack([_ring(n, outer), _ring(n, inner, inner_z)])
    i = np.arange(n)
    j = (i + 1) % n
    faces = np.vstack([np.column_stack([i, j, n + j]), np.column_stack([i, n + j, n + i])]).astype(
        np.int64
    )
    return vertices, faces


@pytest.fixture
def ring() -> Callable[..., np.ndarray]:
    """ring(n, radius, z=0.0) -> (n, 3) points on a circle, counter-clockwise seen from +z."""
    return _ring


@pytest.fixture
def ring_strip() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """ring_strip(n, outer, inner, inner_z=0.0) -> (vertices, faces) of an annulus strip."""
    return _ring_strip


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)
