"""Curve topology from connectivity: closed loops from edges, boundary edges of a surface.

Pure numpy. The readers use these to recover an annulus that a file stores as unordered line
segments (VTK ``LINES`` cells) or as the rim of a surface mesh.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

__all__ = ["boundary_edges", "loops_from_edges", "vector_area"]


def _as_edges(edges: npt.ArrayLike) -> IntArray:
    arr = np.asarray(edges)
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.intp)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"edges must have shape (k, 2), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"edges must be integers, got {arr.dtype}")
    if arr.min() < 0:
        raise ValueError("edges hold a negative vertex index")
    return arr.astype(np.intp, copy=False)


def _unique_undirected(edges: IntArray) -> IntArray:
    """Drop self-edges and repeats of an edge (either direction), keeping first occurrences.

    Parameters
    ----------
    edges : (k, 2) int

    Returns
    -------
    (j, 2) int
        The surviving edges in their input order and direction.
    """
    edges = edges[edges[:, 0] != edges[:, 1]]
    if len(edges) == 0:
        return edges
    key = np.sort(edges, axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    return edges[np.sort(first)]


def loops_from_edges(edges: npt.ArrayLike) -> list[IntArray]:
    """Split a set of edges into closed loops of vertex indices in traversal order.

    The edges may come in any order and either direction. Self-edges (``a == b``) and repeated
    edges are ignored. Each loop starts at the first vertex of the first edge (in input order)
    that belongs to it and first walks along that edge, so edges that are consistently oriented
    (such as the output of :func:`boundary_edges`) give loops in the same orientation. Loops are
    listed in the order their first edge appears.

    Parameters
    ----------
    edges : (k, 2) int
        Vertex index pairs.

    Returns
    -------
    list of (n_i,) int
        One array per loop; the last vertex joins the first (it is not repeated). Empty when
        there are no (non-degenerate) edges.

    Raises
    ------
    GeometryError
        When a vertex has a degree other than 2: more than two edges (the curve branches) or a
        single edge (the curve has an open end).
    """
    uniq = _unique_undirected(_as_edges(edges))
    if len(uniq) == 0:
        return []

    degree = np.bincount(uniq.ravel())
    bad = np.flatnonzero((degree != 0) & (degree != 2))
    if len(bad):
        v = int(bad[0])
        what = "the curve has an open end" if degree[v] == 1 else "the curve branches"
        others = f" (and {len(bad) - 1} more such vertices)" if len(bad) > 1 else ""
        raise GeometryError(f"vertex {v} is on {degree[v]} edges, not 2: {what}{others}")

    # Every used vertex has exactly two neighbours: fill a (n_vertices, 2) neighbour table.
    n_vertices = len(degree)
    neighbours = np.full((n_vertices, 2), -1, dtype=np.intp)
    filled = np.zeros(n_vertices, dtype=np.intp)
    for a, b in uniq:
        neighbours[a, filled[a]] = b
        filled[a] += 1
        neighbours[b, filled[b]] = a
        filled[b] += 1

    visited = np.zeros(n_vertices, dtype=bool)
    loops: list[IntArray] = []
    for start, second in uniq:
        if visited[start]:
            continue
        loop = [int(start)]
        visited[start] = True
        prev, cur = int(start), int(second)
        while cur != start:
            loop.append(cur)
            visited[cur] = True
            n0, n1 = neighbours[cur]
            prev, cur = cur, int(n1 if n0 == prev else n0)
        loops.append(np.asarray(loop, dtype=np.intp))
    return loops


def boundary_edges(faces: npt.ArrayLike) -> IntArray:
    """Edges used by exactly one triangle, oriented as in that triangle.

    Parameters
    ----------
    faces : (f, 3) int
        Triangles as vertex indices.

    Returns
    -------
    (k, 2) int
        Boundary edges in the order of the faces that own them. Empty for a closed surface.
        Degenerate edges (both ends the same vertex) are left out.
    """
    tri = np.asarray(faces)
    if tri.size == 0:
        return np.empty((0, 2), dtype=np.intp)
    if tri.ndim != 2 or tri.shape[1] != 3:
        raise ValueError(f"faces must have shape (f, 3), got {tri.shape}")
    tri = tri.astype(np.intp, copy=False)
    # Edges face by face: (f0, f1), (f1, f2), (f2, f0) for each face, in face order.
    directed = np.stack([tri, np.roll(tri, -1, axis=1)], axis=2).reshape(-1, 2)
    key = np.sort(directed, axis=1)
    _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    once = np.sort(first[counts == 1])
    out = directed[once]
    return out[out[:, 0] != out[:, 1]]


def vector_area(loop_points: npt.ArrayLike) -> FloatArray:
    """Vector area of a closed polygon: half the sum of ``p_i x p_(i+1)``.

    Its direction is the loop's normal (right-hand rule on the point order) and its norm is the
    largest area of the loop's projection onto any plane (the area itself for a planar loop).

    Parameters
    ----------
    loop_points : (n, 3) float, any length unit
        The polygon's vertices in order; the last joins the first (do not repeat it).

    Returns
    -------
    (3,) float, unit squared
    """
    p = np.asarray(loop_points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"loop_points must have shape (n, 3), got {p.shape}")
    if len(p) < 3:
        return np.zeros(3)
    # The sum is translation invariant for a closed loop; centring first avoids cancellation
    # with scanner coordinates that sit hundreds of millimetres from the origin.
    p = p - p.mean(axis=0)
    return 0.5 * np.cross(p, np.roll(p, -1, axis=0)).sum(axis=0)
