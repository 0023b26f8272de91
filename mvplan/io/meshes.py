"""Surface meshes (STL, PLY, OBJ) read with trimesh; the annulus is the surface's rim.

A segmented valve or annulus surface is open: an annulus strip has its annulus rim and an inner
edge, a leaflet surface has its annulus and its free edge. Of the boundary loops, the annulus is
the one enclosing the largest projected area (the norm of
:func:`mvplan.geometry.topology.vector_area`). Rather than guess, the reader refuses a surface
whose two largest loops are within :data:`AMBIGUOUS_RATIO` of each other in area, a closed
surface, and a rim of fewer than :data:`MIN_LOOP_POINTS` points.

trimesh is imported inside the functions so that ``import mvplan.io`` stays cheap.
"""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.topology import boundary_edges, loops_from_edges, vector_area
from mvplan.io._common import check_file, check_finite
from mvplan.io.types import CurveRead, FloatArray

__all__ = [
    "AMBIGUOUS_RATIO",
    "CURVE_READERS",
    "MIN_LOOP_POINTS",
    "annulus_loop_from_faces",
    "read_curve_mesh",
]

#: Two boundary loops whose areas differ by less than this fraction of the larger cannot be
#: told apart as annulus and free edge.
AMBIGUOUS_RATIO = 0.10
#: A rim with fewer points than this is too coarse to be an annulus.
MIN_LOOP_POINTS = 8


def annulus_loop_from_faces(
    vertices: npt.ArrayLike, faces: npt.ArrayLike, source: str
) -> CurveRead:
    """The annulus of an open triangulated surface: its boundary loop of largest area.

    Shared by the mesh reader and the VTK reader's polygon case.

    Parameters
    ----------
    vertices : (n, 3) float, file units
    faces : (f, 3) int
        Triangles; vertices must be shared between neighbouring triangles (merged), or every
        triangle is its own loop.
    source : str
        The file's base name, for messages and the result.

    Returns
    -------
    CurveRead
        ``points`` (m, 3) float: the loop's vertices in the orientation of the faces around it,
        ``ordered=True``, ``units`` None.

    Raises
    ------
    InputError
        No faces; no boundary (a closed surface); the two largest loops within 10 % in area
        (ambiguous; both areas are given); a loop of fewer than 8 points.
    GeometryError
        A boundary vertex where two loops touch (a non-manifold rim).
    """
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces)
    if f.size == 0:
        raise InputError("the surface has no faces", source=source)
    edges = boundary_edges(f)
    if len(edges) == 0:
        raise InputError(
            "the surface is closed (no boundary edge), so it has no annulus rim", source=source
        )
    try:
        loops = loops_from_edges(edges)
    except GeometryError as exc:
        raise GeometryError(f"surface boundary: {exc}", source=source) from exc
    areas = np.array([np.linalg.norm(vector_area(v[loop])) for loop in loops])
    order = np.argsort(-areas, kind="stable")
    best = loops[int(order[0])]
    if len(loops) > 1:
        first, second = areas[order[0]], areas[order[1]]
        if first - second <= AMBIGUOUS_RATIO * first:
            raise InputError(
                f"the annulus is ambiguous: the two largest boundary loops enclose"
                f" {first:.4g} and {second:.4g} square units (within"
                f" {AMBIGUOUS_RATIO:.0%} of each other)",
                source=source,
            )
    if len(best) < MIN_LOOP_POINTS:
        raise InputError(
            f"the largest boundary loop has only {len(best)} points (an annulus needs at least"
            f" {MIN_LOOP_POINTS})",
            source=source,
        )
    return CurveRead(points=v[best], ordered=True, source=source)


def _load_mesh(path: str | os.PathLike[str]) -> tuple[FloatArray, np.ndarray, str]:
    """Vertices (n, 3) float and triangles (f, 3) int of a mesh file, vertices merged."""
    import trimesh

    p, source = check_file(path)
    try:
        # process=False keeps NaNs visible (to report them); scenes are concatenated.
        mesh = trimesh.load(os.fspath(p), force="mesh", process=False)
    except Exception as exc:  # trimesh's parsers raise many types; all mean "unreadable"
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"cannot read the mesh: {text}", source=source) from exc
    if not isinstance(mesh, trimesh.Trimesh):
        raise InputError(f"not a surface mesh (read as {type(mesh).__name__})", source=source)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    if len(mesh.faces) == 0 or len(vertices) == 0:
        # trimesh returns an empty mesh, not an error, for files it cannot parse.
        raise InputError("no triangles found (not a readable mesh file?)", source=source)
    check_finite(vertices, source, what="vertex")
    # STL repeats each triangle's corners and OBJ splits vertices along texture seams: merge
    # coincident vertices so that shared edges are shared and only the rim stays boundary.
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces), source


def read_curve_mesh(path: str | os.PathLike[str]) -> CurveRead:
    """Read an annulus as the rim of an STL, PLY or OBJ surface.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    CurveRead
        As :func:`annulus_loop_from_faces`; ``units`` None (these formats declare none).

    Raises
    ------
    InputError
        Unreadable or empty mesh, a non-finite vertex (named by index, before merging), and
        every case of :func:`annulus_loop_from_faces`.
    """
    vertices, faces, source = _load_mesh(path)
    return annulus_loop_from_faces(vertices, faces, source)


CURVE_READERS = {".stl": read_curve_mesh, ".ply": read_curve_mesh, ".obj": read_curve_mesh}
