"""VTK polydata files: legacy ``.vtk`` (POLYDATA) and XML ``.vtp``, read with VTK's own readers.

What the polydata holds decides what the annulus is:

- line cells (two-point ``LINES`` or longer polylines, in any order and direction): their
  segments are joined into closed loops (:func:`mvplan.geometry.topology.loops_from_edges`).
  One loop is the annulus. With several loops, the one of largest vector area is taken and the
  others are dropped without comment (a segmentation may carry small extra contours; the
  annulus is the big one). Branches or open ends are an error.
- only polygons or triangle strips (a surface): the annulus is the surface's rim, chosen as
  for any mesh (:func:`mvplan.io.meshes.annulus_loop_from_faces`).
- only vertices, or no cells: an unordered point cloud (``ordered=False``).

VTK is imported inside the functions so that ``import mvplan.io`` stays cheap. VTK's readers
report problems through error events rather than exceptions; these are caught (and kept off
the terminal) and turned into :class:`~mvplan.errors.InputError`. Legacy files that declare
``float`` points are read by VTK in single precision, so coordinates carry about 7 significant
digits. ``units`` is always None: VTK files do not declare a unit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.topology import loops_from_edges, vector_area
from mvplan.io._common import check_file, check_finite
from mvplan.io.types import CurveRead, FloatArray

__all__ = ["CURVE_READERS", "read_curve_vtk"]

_LEGACY = ".vtk"
_XML = ".vtp"


@contextmanager
def _captured_vtk_errors(reader: Any) -> Iterator[list[str]]:
    """Collect the error messages that ``reader`` (and anything it calls) reports.

    An observer catches the reader's and its executive's error events; a string output window
    stands in for the global one meanwhile, so that errors from helper objects the reader makes
    (the XML parser) are caught too instead of being printed.
    """
    from vtkmodules.vtkCommonCore import (
        VTK_STRING,
        vtkCommand,
        vtkLogger,
        vtkOutputWindow,
        vtkStringOutputWindow,
    )

    messages: list[str] = []

    def on_error(_obj: Any, _event: str, text: str | None = None) -> None:
        messages.append(text or "unknown VTK error")

    on_error.CallDataType = VTK_STRING  # type: ignore[attr-defined]  # VTK reads this attribute
    reader.AddObserver(vtkCommand.ErrorEvent, on_error)
    reader.GetExecutive().AddObserver(vtkCommand.ErrorEvent, on_error)
    previous = vtkOutputWindow.GetInstance()
    window = vtkStringOutputWindow()
    vtkOutputWindow.SetInstance(window)
    # VTK also logs errors of objects without observers through vtkLogger, straight to stderr.
    # There is no getter for the stderr level; the cutoff equals it unless callbacks are added.
    verbosity = vtkLogger.GetCurrentVerbosityCutoff()
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)
    try:
        yield messages
    finally:
        vtkOutputWindow.SetInstance(previous)
        vtkLogger.SetStderrVerbosity(vtkLogger.ConvertToVerbosity(verbosity))
    text = window.GetOutput()
    if "ERROR" in text:
        messages.append(text[text.index("ERROR") :])


def _vtk_message(raw: str) -> str:
    """The useful part of a VTK error: 'ERROR: In x.cxx, line 7\\nvtkFoo (0x..): text' -> text.

    VTK appends " for file: <full path>"; that is dropped (messages name files by base name).
    """
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    text = next(
        (
            line.split("): ", 1)[1]
            for line in lines
            if "): " in line and not line.startswith("ERROR")
        ),
        lines[-1] if lines else raw,
    )
    return re.sub(r"\s*for file:.*$", "", text)


# Legacy sections whose values must all be present: keyword, count, then (for cells) the size.
_SECTION_RE = re.compile(
    r"^(POINTS|VERTICES|LINES|POLYGONS|TRIANGLE_STRIPS)[ \t]+(\d+)[ \t]+(\S+)", re.MULTILINE
)
_KEYWORD_LINE_RE = re.compile(r"^[ \t]*[A-Z][A-Z_]{3,}", re.MULTILINE)


def _check_legacy_ascii(path: Path, source: str) -> None:
    """Refuse an ASCII legacy file whose POINTS or cell section is cut short.

    VTK's legacy reader fills the missing values of a section that ends at the end of the file
    with zeros, without an error; counting the section's numbers catches that.
    """
    with path.open("rb") as f:
        head = f.read(1024).splitlines()  # the title line is at most 256 characters
    if len(head) < 3 or head[2].strip().upper() != b"ASCII":
        return
    text = path.read_text(encoding="latin-1")
    for m in _SECTION_RE.finditer(text):
        keyword, count, third = m.group(1), int(m.group(2)), m.group(3)
        if keyword == "POINTS":
            expected = 3 * count
        elif third.isdigit():
            expected = int(third)
        else:
            continue
        # The section's values run from the next line up to the next keyword line (or EOF);
        # keywords are upper case, so "nan" and "inf" values do not end a section.
        body = text[m.end() :].partition("\n")[2]
        nxt = _KEYWORD_LINE_RE.search(body)
        found = len((body[: nxt.start()] if nxt else body).split())
        if found < expected:
            raise InputError(
                f"the {keyword} section is cut short: {expected} values declared,"
                f" {found} found (truncated file?)",
                source=source,
            )


def _read_polydata(path: str | os.PathLike[str]) -> tuple[Any, str]:
    p, source = check_file(path)
    if p.name.lower().endswith(_XML):
        from vtkmodules.vtkIOXML import vtkXMLPolyDataReader

        reader: Any = vtkXMLPolyDataReader()
    else:
        from vtkmodules.vtkIOLegacy import vtkPolyDataReader

        reader = vtkPolyDataReader()
    reader.SetFileName(os.fspath(p))
    legacy = p.name.lower().endswith(_LEGACY)
    with _captured_vtk_errors(reader) as errors:
        is_polydata = not legacy or bool(reader.IsFilePolyData())
        if is_polydata:
            reader.Update()
    if not is_polydata:
        raise InputError("not a legacy VTK POLYDATA file", source=source)
    if errors:
        raise InputError(f"VTK cannot read the file: {_vtk_message(errors[0])}", source=source)
    if legacy:
        _check_legacy_ascii(p, source)
    polydata = reader.GetOutput()
    if polydata is None or polydata.GetNumberOfPoints() == 0:
        raise InputError("no points in the file", source=source)
    return polydata, source


def _cells(cell_array: Any) -> tuple[np.ndarray, np.ndarray]:
    """(offsets (c+1,), connectivity (k,)) of a vtkCellArray as int arrays."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    offsets = vtk_to_numpy(cell_array.GetOffsetsArray()).astype(np.intp)
    connectivity = vtk_to_numpy(cell_array.GetConnectivityArray()).astype(np.intp)
    return offsets, connectivity


def _line_edges(cell_array: Any) -> np.ndarray:
    """Segments of all line and polyline cells: (k, 2) int point ids."""
    offsets, conn = _cells(cell_array)
    if len(conn) < 2:
        return np.empty((0, 2), dtype=np.intp)
    # Consecutive ids (conn[i], conn[i+1]) form a segment unless i+1 starts a new cell.
    starts = np.zeros(len(conn), dtype=bool)
    starts[offsets[:-1][offsets[:-1] < len(conn)]] = True
    keep = ~starts[1:]
    return np.stack([conn[:-1][keep], conn[1:][keep]], axis=1)


def _surface_triangles(polydata: Any) -> np.ndarray:
    """The polygons and strips of ``polydata`` as triangles: (f, 3) int point ids."""
    from vtkmodules.vtkFiltersCore import vtkTriangleFilter

    # Fan or strip triangulation adds only interior edges (each used twice), so the rim the
    # triangles have is the rim the polygons had.
    tri = vtkTriangleFilter()
    tri.SetInputData(polydata)
    tri.PassVertsOff()
    tri.PassLinesOff()
    tri.Update()
    _, conn = _cells(tri.GetOutput().GetPolys())
    if len(conn) == 0:
        return np.empty((0, 3), dtype=np.intp)
    return conn.reshape(-1, 3)


def read_curve_vtk(path: str | os.PathLike[str]) -> CurveRead:
    """Read an annulus from a legacy ``.vtk`` POLYDATA or an XML ``.vtp`` file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    CurveRead
        ``points`` (m, 3) float in file units. From line cells: the recovered loop in traversal
        order (``ordered=True``; of several loops, the one of largest vector area). From a
        surface: its rim, as :func:`mvplan.io.meshes.annulus_loop_from_faces`. From vertices
        only: every point of the file, ``ordered=False``. ``units`` is None.

    Raises
    ------
    InputError
        The file is missing, empty or not readable polydata, has no points or a non-finite
        coordinate (the message names the point index); a line cell refers to a missing point.
    GeometryError
        The line cells branch or leave an open end.
    """
    from vtkmodules.util.numpy_support import vtk_to_numpy

    polydata, source = _read_polydata(path)
    points: FloatArray = vtk_to_numpy(polydata.GetPoints().GetData()).astype(np.float64)
    check_finite(points, source)

    if polydata.GetNumberOfLines() > 0:
        edges = _line_edges(polydata.GetLines())
        if len(edges) and edges.max() >= len(points):
            raise InputError(
                f"a line cell refers to point {int(edges.max())}, but the file has"
                f" {len(points)} points",
                source=source,
            )
        try:
            loops = loops_from_edges(edges)
        except GeometryError as exc:
            raise GeometryError(f"line cells: {exc}", source=source) from exc
        if not loops:
            raise GeometryError("line cells: every segment is degenerate", source=source)
        areas = [float(np.linalg.norm(vector_area(points[loop]))) for loop in loops]
        best = loops[int(np.argmax(areas))]
        return CurveRead(points=points[best], ordered=True, source=source)

    if polydata.GetNumberOfPolys() > 0 or polydata.GetNumberOfStrips() > 0:
        from mvplan.io.meshes import annulus_loop_from_faces

        return annulus_loop_from_faces(points, _surface_triangles(polydata), source)

    return CurveRead(points=points, ordered=False, source=source)


CURVE_READERS = {_LEGACY: read_curve_vtk, _XML: read_curve_vtk}
