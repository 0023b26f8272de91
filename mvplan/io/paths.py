"""Open curves from files: coronary sinus and artery centrelines beside an annulus.

An open curve is an ordered list of points (a traced vessel centreline), read from any point
format: CSV/TSV/TXT point lists, Slicer ``.mrk.json`` (an open ``Curve`` markup, or point
lists), legacy ``.vtk`` and ``.vtp`` polylines. Points keep their file order (a VTK polyline
is followed along its connectivity). The coordinates are in the same input frame as the
annulus; :func:`load_cs_path` and :func:`load_artery` move them into the annulus's valve
frame and validate them (:mod:`mvplan.geometry.coronary`, :mod:`mvplan.geometry.safety`).
"""

from __future__ import annotations

import os

import numpy as np

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.coronary import CSPath, cs_path_from_points
from mvplan.geometry.safety import ArteryPath, artery_from_points
from mvplan.geometry.units import MM_PER_UNIT, normalise_unit, point_span
from mvplan.io._common import check_finite
from mvplan.io.read import read_points
from mvplan.io.types import FloatArray

__all__ = ["load_artery", "load_cs_path", "load_open_curve"]

PathLike = str | os.PathLike[str]

_VTK_SUFFIXES = (".vtk", ".vtp")


def load_open_curve(
    path: PathLike, *, units: str | None = None, reference_units: str | None = None
) -> tuple[FloatArray, str]:
    """Read an open curve (ordered points) from a file, in mm, input frame.

    The unit is, in order of precedence: ``units`` (explicit); the unit the file declares
    (a ``x_mm`` header, ``coordinateUnits`` of a markup); ``reference_units`` (the unit of the
    annulus file the curve goes with, since both come from the same scan); else inferred from
    the curve's span as for an annulus (under 0.1 means metres, under 10 centimetres).

    Parameters
    ----------
    path : path
        ``.csv``/``.tsv``/``.txt``, ``.mrk.json``/``.json``, ``.vtk``/``.vtp``.
    units : {"mm", "cm", "m"}, optional
    reference_units : {"mm", "cm", "m"}, optional

    Returns
    -------
    points : (m, 3) float, mm
        In file order, input frame (Slicer LPS turned into RAS).
    source : str
        The file's base name.

    Raises
    ------
    InputError
        As the readers (missing or unreadable file, unknown suffix, non-finite values), an
        unknown unit, or VTK line cells that are not one open polyline.
    """
    name = os.path.basename(os.fspath(path)).lower()
    if name.endswith(_VTK_SUFFIXES):
        (points, source), declared = _read_vtk_polyline(path), None
    else:
        read = read_points(path)
        points, source, declared = read.points, read.source, read.units
    unit = _unit(points, units, declared, reference_units, source)
    return np.asarray(points, dtype=float) * MM_PER_UNIT[unit], source


def load_cs_path(path: PathLike, annulus: Annulus, units: str | None = None) -> CSPath:
    """Read a coronary sinus centreline beside ``annulus`` and validate it.

    The file is in the annulus file's input frame and, unless ``units`` or the file says
    otherwise, in its unit (so a file in another unit is refused by the distance check
    rather than silently rescaled).

    Raises
    ------
    InputError
        As :func:`load_open_curve` and :func:`~mvplan.geometry.coronary.cs_path_from_points`.
    """
    points, source = load_open_curve(path, units=units, reference_units=annulus.source.input_units)
    return cs_path_from_points(annulus, annulus.to_valve_frame.apply(points), source)


def load_artery(path: PathLike, annulus: Annulus, units: str | None = None) -> ArteryPath:
    """Read an artery (circumflex) centreline beside ``annulus`` and validate it.

    Units as :func:`load_cs_path`.

    Raises
    ------
    InputError
        As :func:`load_open_curve` and :func:`~mvplan.geometry.safety.artery_from_points`.
    """
    points, source = load_open_curve(path, units=units, reference_units=annulus.source.input_units)
    return artery_from_points(annulus, annulus.to_valve_frame.apply(points), source)


def _unit(
    points: FloatArray,
    explicit: str | None,
    declared: str | None,
    reference: str | None,
    source: str,
) -> str:
    for unit in (explicit, declared, reference):
        if unit is not None:
            return normalise_unit(unit, source)
    # The same size rule as an annulus (mvplan.geometry.units.choose_units), without its
    # plausibility window: a vessel path is judged later, by its distance from the annulus.
    span = point_span(np.asarray(points, dtype=float))
    return "m" if span < 0.1 else "cm" if span < 10.0 else "mm"


def _read_vtk_polyline(path: PathLike) -> tuple[FloatArray, str]:
    """Points of a VTK file in polyline order (one open polyline; without line cells, the
    points in file order) and the file's base name."""
    # VTK loads only here, when a VTK file is read (``import mvplan.io`` stays VTK-free).
    from vtkmodules.util.numpy_support import vtk_to_numpy

    from mvplan.io.vtk_polydata import _line_edges, _read_polydata

    polydata, source = _read_polydata(path)

    points = vtk_to_numpy(polydata.GetPoints().GetData()).astype(np.float64)
    check_finite(points, source)
    if polydata.GetNumberOfLines() == 0:
        return np.asarray(points), source
    edges = _line_edges(polydata.GetLines())
    if len(edges) and int(edges.max()) >= len(points):
        raise InputError(
            f"a line cell refers to point {int(edges.max())}, but the file has {len(points)}"
            " points",
            source=source,
        )
    return np.asarray(points[_chain(edges, source)]), source


def _chain(edges: np.ndarray, source: str) -> np.ndarray:
    """Point ids along the one open path that ``edges (k, 2)`` form, from its lower-id end."""
    edges = edges[edges[:, 0] != edges[:, 1]]
    pairs = np.unique(np.sort(edges, axis=1), axis=0)
    if len(pairs) == 0:
        raise InputError("line cells: every segment is degenerate", source=source)
    ids, degree = np.unique(pairs, return_counts=True)
    ends = ids[degree == 1]
    if np.any(degree > 2):
        raise InputError("line cells branch; a vessel path is one open polyline", source=source)
    if len(ends) != 2:
        what = "form a closed loop" if len(ends) == 0 else "form several separate polylines"
        raise InputError(f"line cells {what}; a vessel path is one open polyline", source=source)
    neighbours: dict[int, list[int]] = {int(i): [] for i in ids}
    for a, b in pairs:
        neighbours[int(a)].append(int(b))
        neighbours[int(b)].append(int(a))
    order = [int(ends[0])]
    previous = -1
    while len(order) < len(ids):
        step = [n for n in neighbours[order[-1]] if n != previous]
        if not step:
            break
        previous = order[-1]
        order.append(step[0])
    if len(order) != len(ids):
        raise InputError(
            "line cells form several separate polylines; a vessel path is one open polyline",
            source=source,
        )
    return np.asarray(order, dtype=np.intp)
