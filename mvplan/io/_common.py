"""Checks shared by the readers: the file is there and holds something, coordinates are finite."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mvplan.errors import InputError
from mvplan.io.types import LANDMARK_NAMES, FloatArray

#: Length units a reader may report (see :class:`mvplan.io.types.CurveRead`).
KNOWN_UNITS: tuple[str, ...] = ("mm", "cm", "m")


def source_name(path: str | os.PathLike[str]) -> str:
    """The base name that errors and results carry (never the full path)."""
    return os.path.basename(os.fspath(path)) or os.fspath(path)


def check_file(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """Make sure ``path`` is a readable, non-empty regular file.

    Returns
    -------
    path : Path
    source : str
        The file's base name.

    Raises
    ------
    InputError
        When the file is missing, a directory, unreadable or empty.
    """
    p = Path(path)
    source = source_name(path)
    if p.is_dir():
        raise InputError("is a directory, not a file", source=source)
    if not p.exists():
        raise InputError("no such file", source=source)
    try:
        size = p.stat().st_size
        with p.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot open the file: {exc.strerror or exc}", source=source) from exc
    if size == 0:
        raise InputError("the file is empty", source=source)
    return p, source


def check_finite(points: FloatArray, source: str, what: str = "point") -> None:
    """Raise an InputError naming the first point with a NaN or infinite coordinate.

    Parameters
    ----------
    points : (n, 3) float
    source : str
        The file's base name, for the message.
    what : str
        How to call an element in the message ("point", "vertex").
    """
    bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"{what} {i} has a non-finite coordinate ({_fmt_point(points[i])})", source=source
        )


def _fmt_point(p: FloatArray) -> str:
    return ", ".join(repr(float(v)) for v in p)


def landmark_key(label: str | None) -> str | None:
    """The landmark name that a label stands for exactly (case-insensitive), or None."""
    if label is None:
        return None
    key = label.strip().upper()
    return key if key in LANDMARK_NAMES else None


class LandmarkCollector:
    """Collects named landmarks, refusing a second one of the same name (which would be meant?).

    Parameters
    ----------
    source : str
        The file's base name, for messages.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.points: dict[str, FloatArray] = {}
        self._where: dict[str, str] = {}

    def add(self, key: str, point: FloatArray, where: str) -> None:
        """Store landmark ``key`` at ``point`` ((3,) float), found at ``where`` ("line 4")."""
        if key in self.points:
            raise InputError(
                f"landmark {key} is given twice ({self._where[key]} and {where})",
                source=self.source,
            )
        self.points[key] = np.array(point, dtype=np.float64)
        self._where[key] = where
