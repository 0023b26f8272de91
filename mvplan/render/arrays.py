"""numpy arrays in and out of VTK: the one place mvplan converts between them.

VTK keeps a reference to the numpy buffer it wraps (``numpy_to_vtk(deep=False)``); these
helpers deep-copy instead, so a caller may reuse or free its arrays at once. The copies are
tiny (hundreds of points) next to what a render costs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "cells_from_lists",
    "empty_polydata",
    "image_array",
    "polydata_points",
    "set_cell_scalars",
    "set_lines",
    "set_point_normals",
    "set_point_scalars",
    "set_points",
    "set_triangles",
]


def empty_polydata() -> vtkPolyData:
    """A polydata with an (empty) points object, ready for :func:`set_points`."""
    poly = vtkPolyData()
    poly.SetPoints(vtkPoints())
    return poly


def set_points(poly: vtkPolyData, points: npt.ArrayLike) -> None:
    """Replace the points of ``poly`` by ``points (n, 3)`` float, mm (in place)."""
    pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
    poly.GetPoints().SetData(numpy_to_vtk(pts, deep=True))
    poly.Modified()


def polydata_points(poly: vtkPolyData) -> FloatArray:
    """The points ``(n, 3)`` of ``poly`` as a float array (a copy)."""
    points = poly.GetPoints()
    if points is None or points.GetNumberOfPoints() == 0:
        return np.zeros((0, 3))
    return np.array(vtk_to_numpy(points.GetData()), dtype=np.float64).reshape(-1, 3)


def cells_from_lists(cells: list[npt.ArrayLike]) -> vtkCellArray:
    """A ``vtkCellArray`` of cells of any sizes, each a sequence of point ids."""
    ids = [np.asarray(c, dtype=np.int64).reshape(-1) for c in cells]
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in ids])]).astype(np.int64)
    connectivity = np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64)
    array = vtkCellArray()
    array.SetData(
        numpy_to_vtkIdTypeArray(offsets, deep=True),
        numpy_to_vtkIdTypeArray(connectivity, deep=True),
    )
    return array


def set_lines(poly: vtkPolyData, lines: list[npt.ArrayLike]) -> None:
    """Replace the line cells of ``poly``: one polyline per sequence of point ids."""
    poly.SetLines(cells_from_lists(lines))
    poly.Modified()


def set_triangles(poly: vtkPolyData, faces: npt.ArrayLike) -> None:
    """Replace the polygon cells of ``poly`` by triangles ``faces (m, 3)`` int."""
    tri = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    offsets = np.arange(0, 3 * tri.shape[0] + 1, 3, dtype=np.int64)
    array = vtkCellArray()
    array.SetData(
        numpy_to_vtkIdTypeArray(offsets, deep=True),
        numpy_to_vtkIdTypeArray(np.ascontiguousarray(tri.reshape(-1)), deep=True),
    )
    poly.SetPolys(array)
    poly.Modified()


def set_point_scalars(poly: vtkPolyData, values: npt.ArrayLike, name: str) -> None:
    """Set the active point scalars of ``poly`` to ``values (n,)`` float."""
    array = numpy_to_vtk(np.ascontiguousarray(np.asarray(values, np.float64)), deep=True)
    array.SetName(name)
    poly.GetPointData().SetScalars(array)
    poly.Modified()


def set_cell_scalars(poly: vtkPolyData, values: npt.ArrayLike, name: str) -> None:
    """Set the active cell scalars of ``poly`` to ``values (m,)`` float."""
    array = numpy_to_vtk(np.ascontiguousarray(np.asarray(values, np.float64)), deep=True)
    array.SetName(name)
    poly.GetCellData().SetScalars(array)
    poly.Modified()


def set_point_normals(poly: vtkPolyData, normals: npt.ArrayLike) -> None:
    """Set the point normals of ``poly`` to ``normals (n, 3)`` (unit vectors)."""
    array = numpy_to_vtk(
        np.ascontiguousarray(np.asarray(normals, np.float64).reshape(-1, 3)), deep=True
    )
    array.SetName("Normals")
    poly.GetPointData().SetNormals(array)
    poly.Modified()


def image_array(image: object) -> npt.NDArray[np.uint8]:
    """A ``vtkImageData`` of RGB(A) unsigned chars as a ``(height, width, c)`` uint8 array,
    first row at the top (VTK stores the bottom row first)."""
    width, height, _ = image.GetDimensions()  # type: ignore[attr-defined]
    scalars = image.GetPointData().GetScalars()  # type: ignore[attr-defined]
    channels = scalars.GetNumberOfComponents()
    flat = vtk_to_numpy(scalars).reshape(height, width, channels)
    return np.ascontiguousarray(flat[::-1])
