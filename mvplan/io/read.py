"""One entry point for every supported file: pick the reader by the file name's ending.

Each reader module ends with ``CURVE_READERS`` / ``POINTS_READERS`` dicts mapping lower-case
suffixes to its reader (trimesh's registry style); this module merges them. Matching is on the
lower-cased file name, longest suffix first, so ``.mrk.json`` wins over ``.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

from mvplan.errors import InputError
from mvplan.io import markups, meshes, text_points, vtk_polydata
from mvplan.io._common import check_file, source_name
from mvplan.io.types import CurveRead, PointsRead

__all__ = ["CURVE_READERS", "POINTS_READERS", "read_curve", "read_points"]

T = TypeVar("T")
Reader = Callable[[str | os.PathLike[str]], T]

CURVE_READERS: dict[str, Reader[CurveRead]] = {
    **text_points.CURVE_READERS,
    **markups.CURVE_READERS,
    **vtk_polydata.CURVE_READERS,
    **meshes.CURVE_READERS,
}
POINTS_READERS: dict[str, Reader[PointsRead]] = {
    **text_points.POINTS_READERS,
    **markups.POINTS_READERS,
}


def _reader_for(
    path: str | os.PathLike[str], registry: Mapping[str, Reader[T]], what: str
) -> Reader[T]:
    name = source_name(path).lower()
    for suffix in sorted(registry, key=len, reverse=True):
        if name.endswith(suffix):
            return registry[suffix]
    supported = ", ".join(sorted(registry))
    raise InputError(
        f"unknown file type for {what}; supported: {supported}", source=source_name(path)
    )


def read_curve(path: str | os.PathLike[str]) -> CurveRead:
    """Read an annulus curve from any supported file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.tsv``/``.txt`` point list, a Slicer ``.mrk.json`` (or ``.json``), a VTK
        ``.vtk``/``.vtp`` polydata, or an ``.stl``/``.ply``/``.obj`` surface.

    Returns
    -------
    CurveRead
        Coordinates as in the file (Slicer LPS turned into RAS); see the reader modules.

    Raises
    ------
    InputError
        Missing file, a directory, an empty file, an unknown suffix (the message lists the
        supported ones), or any problem the format's reader finds (one line, naming the line
        or point index where it can).
    """
    check_file(path)
    reader = _reader_for(path, CURVE_READERS, "an annulus curve")
    return reader(path)


def read_points(path: str | os.PathLike[str]) -> PointsRead:
    """Read labelled points (landmarks, papillary tips) from a point-list or markups file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.tsv``/``.txt`` point list or a Slicer ``.mrk.json`` (or ``.json``).

    Returns
    -------
    PointsRead

    Raises
    ------
    InputError
        As :func:`read_curve`.
    """
    check_file(path)
    reader = _reader_for(path, POINTS_READERS, "points")
    return reader(path)
