"""3D Slicer markups files (``.mrk.json``): an annulus curve and labelled landmark points.

Files are validated against Slicer's own schema (``mvplan/schemas/markups-schema-v1.0.3.json``)
before anything is read from them. Slicer stores positions in LPS unless a markup says
``"coordinateSystem": "RAS"``; this reader returns RAS always (LPS to RAS negates x and y).
Control points whose ``positionStatus`` is ``"undefined"`` have not been placed and are skipped.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from mvplan.errors import InputError
from mvplan.io._common import KNOWN_UNITS, LandmarkCollector, check_file, check_finite
from mvplan.io.types import LANDMARK_NAMES, CurveRead, FloatArray, PointsRead

__all__ = [
    "CURVE_READERS",
    "POINTS_READERS",
    "landmark_name",
    "read_curve_markups",
    "read_points_markups",
]

SCHEMA_NAME = "markups-schema-v1.0.3.json"
_LPS_TO_RAS = np.array([-1.0, -1.0, 1.0])
_MESSAGE_CHARS = 100  # schema messages quote the offending value; keep them to one short line

# Spelled-out landmark labels that can only mean one landmark. Bare "AL"/"PM" are left out on
# purpose: they are used for both the commissures and the trigones.
_ALIASES: dict[str, str] = {
    "anterior": "A",
    "anterior annulus": "A",
    "posterior": "P",
    "posterior annulus": "P",
    "al commissure": "ALC",
    "anterolateral commissure": "ALC",
    "anterior lateral commissure": "ALC",
    "pm commissure": "PMC",
    "posteromedial commissure": "PMC",
    "posterior medial commissure": "PMC",
    "al trigone": "ALT",
    "anterolateral trigone": "ALT",
    "anterior lateral trigone": "ALT",
    "pm trigone": "PMT",
    "posteromedial trigone": "PMT",
    "posterior medial trigone": "PMT",
}


@dataclass(frozen=True)
class _Markup:
    type: str
    points: FloatArray  # (n, 3), RAS
    labels: tuple[str | None, ...]
    units: str | None


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # deferred: keeps `import mvplan.io` cheap

    text = resources.files("mvplan.schemas").joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    schema = json.loads(text)
    return jsonschema.validators.validator_for(schema)(schema)


def landmark_name(label: str | None) -> str | None:
    """The landmark (one of :data:`LANDMARK_NAMES`) that a control point label means, or None.

    Exact names match case-insensitively; a few unambiguous spellings ("anterior",
    "AL commissure", "posteromedial trigone" ...) are accepted too.
    """
    if label is None:
        return None
    text = " ".join(re.sub(r"[_\-]", " ", label).lower().split())
    if text.upper() in LANDMARK_NAMES:
        return text.upper()
    return _ALIASES.get(text)


def _load(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    p, source = check_file(path)
    try:
        doc = json.loads(p.read_bytes())
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (cannot decode it as JSON)", source=source) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=source
        ) from exc
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        message = error.message
        if len(message) > _MESSAGE_CHARS:
            message = message[: _MESSAGE_CHARS - 3] + "..."
        raise InputError(
            f"not a valid Slicer markups file: at {error.json_path}: {message}", source=source
        )
    return doc, source


def _units(markup: dict[str, Any], index: int, source: str) -> str | None:
    raw = markup.get("coordinateUnits")
    if raw is None:
        return None
    # The schema allows a UCUM code or a DICOM-style [code, scheme, meaning] triple.
    code = raw[0] if isinstance(raw, list) else raw
    if code not in KNOWN_UNITS:
        raise InputError(
            f"markup {index}: coordinateUnits {code!r} is not supported"
            f" (use {', '.join(KNOWN_UNITS)})",
            source=source,
        )
    return str(code)


def _markups(doc: dict[str, Any], source: str) -> list[_Markup]:
    out = []
    for i, markup in enumerate(doc["markups"]):
        points: list[list[float]] = []
        labels: list[str | None] = []
        for j, cp in enumerate(markup.get("controlPoints", [])):
            if cp.get("positionStatus") == "undefined":
                continue
            if "position" not in cp:
                raise InputError(f"markup {i}: control point {j} has no position", source=source)
            points.append(cp["position"])
            labels.append(cp.get("label") or None)
        xyz = np.array(points, dtype=np.float64).reshape(-1, 3)
        check_finite(xyz, source, what=f"markup {i}: control point")
        # LPS is Slicer's default when the markup does not say.
        if markup.get("coordinateSystem", "LPS") == "LPS":
            xyz = xyz * _LPS_TO_RAS
        out.append(_Markup(markup["type"], xyz, tuple(labels), _units(markup, i, source)))
    if not out:
        raise InputError("no markups in the file", source=source)
    return out


def _landmarks(markups: Iterable[_Markup], units: str | None, source: str) -> dict[str, FloatArray]:
    found = LandmarkCollector(source)
    for i, markup in enumerate(markups):
        if markup.type != "Fiducial":
            continue
        for j, (point, label) in enumerate(zip(markup.points, markup.labels, strict=True)):
            key = landmark_name(label)
            if key is None:
                continue
            if markup.units != units:
                raise InputError(
                    f"landmark {key} is in {markup.units or 'undeclared units'} but the curve"
                    f" is in {units or 'undeclared units'}",
                    source=source,
                )
            found.add(key, point, f"markup {i} point {j}")
    return found.points


def read_curve_markups(path: str | os.PathLike[str]) -> CurveRead:
    """Read an annulus from a Slicer markups file.

    The annulus is the first ``ClosedCurve`` markup, else the first ``Curve``; its control points
    in order are the curve. Control points of ``Fiducial`` markups labelled with a landmark name
    (see :func:`landmark_name`) become ``landmarks``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    CurveRead
        ``points`` (m, 3) float, RAS, in the file's ``coordinateUnits`` (``units``; None when the
        file does not say), ``ordered=True``.

    Raises
    ------
    InputError
        Not JSON, not valid against the markups schema, no curve markup, a curve of fewer than
        3 points, a non-finite position, unsupported units, a landmark given twice.
    """
    doc, source = _load(path)
    markups = _markups(doc, source)
    curve = next((m for m in markups if m.type == "ClosedCurve"), None)
    if curve is None:
        curve = next((m for m in markups if m.type == "Curve"), None)
    if curve is None:
        raise InputError("no ClosedCurve or Curve markup in the file", source=source)
    if len(curve.points) < 3:
        raise InputError(
            f"the {curve.type} markup has {len(curve.points)} control points; a curve needs 3",
            source=source,
        )
    return CurveRead(
        points=curve.points,
        ordered=True,
        source=source,
        landmarks=_landmarks(markups, curve.units, source),
        units=curve.units,
    )


def read_points_markups(path: str | os.PathLike[str]) -> PointsRead:
    """Read labelled points from a Slicer markups file.

    All control points of all ``Fiducial`` (point list) markups, in file order; when the file
    has no Fiducial markup, the control points of every markup.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    PointsRead
        ``points`` (m, 3) float, RAS; ``labels`` as in the file (None for an empty label).

    Raises
    ------
    InputError
        As :func:`read_curve_markups`, and when there are no control points at all or the
        markups declare different units.
    """
    doc, source = _load(path)
    markups = _markups(doc, source)
    chosen = [m for m in markups if m.type == "Fiducial"] or markups
    units = {m.units for m in chosen if len(m.points)}
    if len(units) > 1:
        raise InputError("the point markups declare different units", source=source)
    points = np.concatenate([m.points for m in chosen], axis=0)
    if len(points) == 0:
        raise InputError("no control points in the file", source=source)
    labels = tuple(label for m in chosen for label in m.labels)
    return PointsRead(points=points, labels=labels, source=source, units=units.pop())


CURVE_READERS = {".mrk.json": read_curve_markups, ".json": read_curve_markups}
POINTS_READERS = {".mrk.json": read_points_markups, ".json": read_points_markups}
