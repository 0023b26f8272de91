"""Near-equilateral triangulation of the leaflet strip between the annulus and the free edge.

The leaflet surface (:class:`~mvplan.valve.surface.LeafletSurface`) is a periodic strip
``0 <= t <= h(u)``, ``u`` periodic. It is meshed the DistMesh way (Persson and Strang 2004,
"A simple mesh generator in MATLAB", SIAM Review 46:329), adapted to a surface:

* Boundary nodes are fixed: the annulus at ``u_j = j / n`` (so every attached node has a known
  curve parameter and lies on the annulus exactly) and the free edge at equal 3D arc length.
* Interior nodes start on rows of constant ``t`` (``sqrt(3)/2`` spacing apart, staggered), the
  layout of an equilateral lattice, so few iterations are needed.
* Each iteration triangulates the nodes by Delaunay in the flat chart (the near-isometric
  unrolling of the strip; periodic copies across the seam), treats every edge as a
  repulsive-only spring measured in 3D, and moves the interior nodes along the surface (the 3D
  move pulled back to ``(u, t)`` through the surface Jacobian), keeping them inside the strip.
* Where the unrolling is stretched (the strip is not exactly developable) the chart Delaunay
  triangulation is not Delaunay on the surface: edges are flipped until it is, by 3D angles.
* DistMesh leaves a few edges about 1.35 times the target where its lattice has defects; a
  node is added in the middle of each edge longer than the bound and the nodes are relaxed
  again, until every edge is within the bound.
* The result is checked for being a manifold strip whose boundary is exactly the annulus loop
  and the free-edge loop (else a RuntimeError: a bug, not a user error). Everything is
  deterministic: the same annulus and spec give the same mesh.

Near-equilateral meshes matter downstream: hinge bending is accurate only on them
(mechanics/shell_bending.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.spatial import Delaunay

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: DistMesh constants: spring over-length, time step, retriangulation and stop tolerances
#: (fractions of the spacing), as in Persson and Strang 2004.
F_SCALE = 1.2
TIME_STEP = 0.2
RETRIANGULATE = 0.1
STOP = 1e-3
MAX_ITERATIONS = 100

#: Rounds of long-edge splitting, and relaxation iterations after each.
MAX_REFINEMENTS = 10
REFINE_ITERATIONS = 30

#: Interior nodes stay this fraction of the spacing away from the boundary curves.
CLEARANCE = 0.25

#: Width of the periodic copies across the seam, in spacings.
SEAM_BAND = 6.0


class StripSurface(Protocol):
    """What the mesher needs of a periodic strip ``X(u, t)``, ``0 <= t <= h(u)``."""

    @property
    def perimeter_mm(self) -> float: ...

    def height(self, u: npt.ArrayLike) -> FloatArray: ...

    def position(self, u: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray: ...

    def jacobian(self, u: npt.ArrayLike, t: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...

    def chart(self, u: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray: ...


@dataclass(frozen=True, eq=False)
class StripMesh:
    """A triangulated strip in surface parameters.

    Attributes
    ----------
    u : (N,) float
        Annulus curve parameter of each node's ruling, in [0, 1).
    t : (N,) float, mm
        Distance of each node from the annulus along its ruling.
    triangles : (M, 3) int
        Node indices, counter-clockwise in ``(u, t)`` (and in the chart).
    attached : (na,) int
        Annulus nodes, in increasing ``u`` (they are nodes ``0 .. na-1``).
    free_edge : (nf,) int
        Free-edge nodes in increasing ``u``.
    iterations : int
        DistMesh iterations used.
    """

    u: FloatArray
    t: FloatArray
    triangles: IntArray
    attached: IntArray
    free_edge: IntArray
    iterations: int


def _closed_arc_params(
    surface: StripSurface, t_of_u: FloatArray, grid: FloatArray, spacing: float, offset: float
) -> FloatArray:
    """Parameters of points equally spaced in 3D arc length along the closed row
    ``u -> X(u, t_of_u(u))`` (sampled on ``grid``), about ``spacing`` apart, the first at
    ``offset`` spacings from ``grid[0]``."""
    pts = surface.position(grid, t_of_u)
    closed = np.vstack([pts, pts[:1]])
    cumulative = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))])
    length = cumulative[-1]
    count = max(3, int(np.ceil(length / spacing)))
    targets = (np.arange(count) + offset) * (length / count)
    u_closed = np.concatenate([grid, [grid[0] + 1.0]])
    return np.asarray(np.mod(np.interp(targets, cumulative, u_closed), 1.0))


def _initial_nodes(
    surface: StripSurface, spacing: float
) -> tuple[FloatArray, FloatArray, int, int]:
    """Annulus nodes, free-edge nodes (both fixed), then staggered interior rows.

    Returns ``u, t, n_attached, n_free``.
    """
    length = surface.perimeter_mm
    n_attached = max(8, int(np.ceil(length / spacing)))
    u_attached = np.arange(n_attached) / n_attached
    grid = np.arange(max(2048, 16 * n_attached)) / max(2048, 16 * n_attached)
    heights = surface.height(grid)
    u_free = np.sort(_closed_arc_params(surface, heights, grid, spacing, 0.0))
    row_gap = spacing * np.sqrt(3.0) / 2.0
    us, ts = [u_attached, u_free], [np.zeros(n_attached), surface.height(u_free)]
    k = 1
    while k * row_gap < heights.max() - 0.5 * row_gap:
        tk = k * row_gap
        u_row = _closed_arc_params(surface, np.full_like(grid, tk), grid, spacing, 0.5 * (k % 2))
        keep = surface.height(u_row) - tk >= 0.5 * row_gap
        us.append(u_row[keep])
        ts.append(np.full(int(keep.sum()), tk))
        k += 1
    return np.concatenate(us), np.concatenate(ts), n_attached, len(u_free)


def _triangulate(
    surface: StripSurface,
    u: FloatArray,
    t: FloatArray,
    loop: IntArray,
    spacing: float,
    cut: float,
) -> IntArray:
    """Chart Delaunay triangulation of the strip, periodic in ``u``.

    The strip is unrolled over ``[cut, cut + 1)`` with copies of the nodes within the seam
    band on either side; triangles are kept if their centroid lies in the strip and its ``u``
    in ``[cut, cut + 1)`` (so each triangle exactly once), and mapped back to the original
    nodes. A triangle whose corners all lie on one boundary loop (``loop``: 0 interior, 1
    annulus, 2 free edge) is outside: where a boundary curve bulges into the strip (the
    annulus does at the commissures, where the saddle dips) Delaunay fills the hull beyond it.
    Triangles are counter-clockwise in the chart.
    """
    band = min(SEAM_BAND * spacing / surface.perimeter_mm, 0.2)
    v = np.where(u < cut, u + 1.0, u)
    low = np.nonzero(v < cut + band)[0]
    high = np.nonzero(v >= cut + 1.0 - band)[0]
    vv = np.concatenate([v, v[low] + 1.0, v[high] - 1.0])
    tt = np.concatenate([t, t[low], t[high]])
    index = np.concatenate([np.arange(len(u)), low, high])
    xy = surface.chart(vv, tt)
    simplices = Delaunay(xy).simplices
    vc = vv[simplices].mean(axis=1)
    tc = tt[simplices].mean(axis=1)
    corners = xy[simplices]
    sides = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2)
    corner_loops = loop[index[simplices]]
    one_loop = (corner_loops[:, 0] > 0) & (corner_loops == corner_loops[:, :1]).all(axis=1)
    inside = (
        ~one_loop
        & (vc >= cut)
        & (vc < cut + 1.0)
        & (tc >= 0.0)
        & (tc <= surface.height(vc))
        & (sides.max(axis=1) < 3.0 * spacing)
    )
    tri = simplices[inside]
    e1 = xy[tri[:, 1]] - xy[tri[:, 0]]
    e2 = xy[tri[:, 2]] - xy[tri[:, 0]]
    clockwise = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] < 0
    tri[clockwise] = tri[clockwise][:, [0, 2, 1]]
    return np.asarray(index[tri], dtype=np.intp)


def _edge_keys(pairs: IntArray) -> npt.NDArray[np.int64]:
    """One integer per undirected edge (fast to sort and compare)."""
    lo = np.minimum(pairs[:, 0], pairs[:, 1]).astype(np.int64)
    hi = np.maximum(pairs[:, 0], pairs[:, 1]).astype(np.int64)
    return np.asarray((lo << 32) + hi)


def _interior_edges(triangles: IntArray) -> tuple[IntArray, IntArray]:
    """Interior edges as ``(k, 2)`` pairs of (triangle, local corner opposite the edge)."""
    m = len(triangles)
    sides = np.vstack([triangles[:, [1, 2]], triangles[:, [2, 0]], triangles[:, [0, 1]]])
    owner = np.tile(np.arange(m), 3)
    corner = np.repeat(np.arange(3), m)
    key = _edge_keys(sides)
    order = np.argsort(key, kind="stable")
    key, owner, corner = key[order], owner[order], corner[order]
    pair = np.nonzero(key[1:] == key[:-1])[0]
    return np.c_[owner[pair], owner[pair + 1]], np.c_[corner[pair], corner[pair + 1]]


def _opposite_angle(x: FloatArray, apex: IntArray, a: IntArray, b: IntArray) -> FloatArray:
    u, v = x[a] - x[apex], x[b] - x[apex]
    cos = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.asarray(np.arccos(np.clip(cos, -1.0, 1.0)))


def flip_to_delaunay(x: FloatArray, triangles: IntArray, max_passes: int = 30) -> IntArray:
    """Flip interior edges until the mesh is Delaunay in its own 3D metric.

    An edge is flipped when the two angles opposite it sum to more than pi (the local
    Delaunay criterion measured on the surface), provided the flipped pair keeps the
    orientation of the pair it replaces. The chart Delaunay triangulation is not Delaunay in
    3D where the surface is not developable (its flattening stretches it); a few passes fix
    that. Each pass flips a set of edges that share no triangle.
    """
    tri = triangles.copy()
    for _ in range(max_passes):
        owners, corners = _interior_edges(tri)
        t1, t2 = owners[:, 0], owners[:, 1]
        c = tri[t1, corners[:, 0]]
        d = tri[t2, corners[:, 1]]
        a = tri[t1, (corners[:, 0] + 1) % 3]
        b = tri[t1, (corners[:, 0] + 2) % 3]
        excess = _opposite_angle(x, c, a, b) + _opposite_angle(x, d, a, b) - np.pi
        # New triangles (a, d, c) and (d, b, c) must face the way the old pair did.
        old = np.cross(x[b] - x[a], x[c] - x[a]) + np.cross(x[a] - x[b], x[d] - x[b])
        n1 = np.cross(x[d] - x[a], x[c] - x[a])
        n2 = np.cross(x[b] - x[d], x[c] - x[d])
        valid = (np.sum(n1 * old, axis=1) > 0) & (np.sum(n2 * old, axis=1) > 0)
        candidates = np.nonzero((excess > 1e-9) & valid)[0]
        if len(candidates) == 0:
            break
        candidates = candidates[np.argsort(-excess[candidates])]
        used = np.zeros(len(tri), dtype=bool)
        chosen = []
        for k in candidates:
            if not (used[t1[k]] or used[t2[k]]):
                used[t1[k]] = used[t2[k]] = True
                chosen.append(k)
        ks = np.asarray(chosen, dtype=np.intp)
        tri[t1[ks]] = np.c_[a[ks], d[ks], c[ks]]
        tri[t2[ks]] = np.c_[d[ks], b[ks], c[ks]]
    return tri


def _bars(triangles: IntArray) -> IntArray:
    pairs = np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    _, first = np.unique(_edge_keys(pairs), return_index=True)
    return np.asarray(np.sort(pairs[first], axis=1), dtype=np.intp)


def _relax(
    surface: StripSurface,
    u: FloatArray,
    t: FloatArray,
    loop: IntArray,
    spacing: float,
    max_iterations: int,
) -> tuple[FloatArray, FloatArray, int]:
    """DistMesh iterations on the interior nodes; returns the converged ``u, t`` and count."""
    u, t = u.copy(), t.copy()
    free = np.nonzero(loop == 0)[0]
    last = surface.position(u, t)
    bars = _bars(flip_to_delaunay(last, _triangulate(surface, u, t, loop, spacing, 0.0)))
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        x = surface.position(u, t)
        if np.max(np.linalg.norm(x - last, axis=1)) > RETRIANGULATE * spacing:
            bars = _bars(flip_to_delaunay(x, _triangulate(surface, u, t, loop, spacing, 0.0)))
            last = x
        vec = x[bars[:, 1]] - x[bars[:, 0]]
        length = np.linalg.norm(vec, axis=1)
        rest = F_SCALE * np.sqrt(np.mean(length**2)) * np.ones_like(length)
        rest = np.minimum(rest, F_SCALE * spacing)
        push = np.maximum(rest - length, 0.0) / length
        pull = push[:, None] * vec
        force = np.stack(
            [
                np.bincount(bars[:, 1], pull[:, k], len(u))
                - np.bincount(bars[:, 0], pull[:, k], len(u))
                for k in range(3)
            ],
            axis=1,
        )
        move = TIME_STEP * force[free]
        x_u, x_t = surface.jacobian(u[free], t[free])
        # Pull the 3D move back to parameters: least squares on the tangent plane.
        a11 = np.sum(x_u * x_u, axis=1)
        a12 = np.sum(x_u * x_t, axis=1)
        a22 = np.sum(x_t * x_t, axis=1)
        b1 = np.sum(x_u * move, axis=1)
        b2 = np.sum(x_t * move, axis=1)
        det = a11 * a22 - a12 * a12
        du = (a22 * b1 - a12 * b2) / det
        dt = (a11 * b2 - a12 * b1) / det
        u[free] = np.mod(u[free] + du, 1.0)
        low = CLEARANCE * spacing
        t[free] = np.clip(t[free] + dt, low, surface.height(u[free]) - low)
        if np.max(np.linalg.norm(move, axis=1)) < STOP * spacing:
            break
    return u, t, iterations


def check_strip(triangles: IntArray, attached: IntArray, free_edge: IntArray, n_nodes: int) -> str:
    """Why ``triangles`` is not a manifold strip bounded by the two loops ('' if it is)."""
    if len(np.unique(triangles)) != n_nodes:
        return "some nodes belong to no triangle"
    directed = np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    n = np.int64(n_nodes)
    if len(np.unique(directed[:, 0] * n + directed[:, 1])) != len(directed):
        return "an edge is used twice in the same direction (overlap or inconsistent orientation)"
    keys, counts = np.unique(_edge_keys(directed), return_counts=True)
    if counts.max() > 2:
        return "an edge is shared by more than two triangles"
    loops = [np.c_[loop, np.roll(loop, -1)] for loop in (attached, free_edge)]
    expected = np.unique(_edge_keys(np.vstack(loops)))
    boundary = keys[counts == 1]
    if len(boundary) != len(expected) or np.any(boundary != expected):
        return "the boundary is not exactly the annulus and free-edge loops"
    return ""


def _final_triangulation(
    surface: StripSurface, u: FloatArray, t: FloatArray, loop: IntArray, spacing: float
) -> IntArray:
    """The chart Delaunay triangulation, flipped to 3D Delaunay and checked."""
    attached = np.nonzero(loop == 1)[0]
    free_edge = np.nonzero(loop == 2)[0]
    x = surface.position(u, t)
    problem = ""
    for cut in (0.0, 0.5, 0.25, 0.75, 0.125):
        triangles = flip_to_delaunay(x, _triangulate(surface, u, t, loop, spacing, cut))
        problem = check_strip(triangles, attached, free_edge, len(u))
        if not problem:
            return triangles
    raise RuntimeError(f"leaflet meshing failed: {problem}")


def _long_edge_midpoints(
    surface: StripSurface, u: FloatArray, t: FloatArray, triangles: IntArray, max_edge: float
) -> tuple[FloatArray, FloatArray]:
    """Parameters of the midpoints of the edges longer than ``max_edge``."""
    bars = _bars(triangles)
    x = surface.position(u, t)
    long = np.linalg.norm(x[bars[:, 1]] - x[bars[:, 0]], axis=1) > max_edge
    i, j = bars[long, 0], bars[long, 1]
    du = np.mod(u[j] - u[i] + 0.5, 1.0) - 0.5  # the short way round the seam
    return np.mod(u[i] + 0.5 * du, 1.0), 0.5 * (t[i] + t[j])


def mesh_strip(surface: StripSurface, spacing: float, max_edge: float) -> StripMesh:
    """Mesh the strip with near-equilateral triangles of about ``spacing`` mm, none longer
    than ``max_edge`` mm.

    Parameters
    ----------
    surface : StripSurface
    spacing : float, mm
        Target edge length.
    max_edge : float, mm
        Bound on every edge (at least ``spacing``). DistMesh leaves a few edges up to about
        1.35 times the spacing where its lattice has defects; a node is added at the middle of
        each edge still longer than the bound and the nodes are relaxed again, until none is.

    Returns
    -------
    StripMesh

    Raises
    ------
    RuntimeError
        If no seam placement gives a valid manifold strip (a bug, not a user error).
    """
    u, t, n_attached, n_free = _initial_nodes(surface, spacing)
    n_fixed = n_attached + n_free
    loop = np.zeros(len(u), dtype=np.intp)
    loop[:n_attached] = 1
    loop[n_attached:n_fixed] = 2
    u, t, iterations = _relax(surface, u, t, loop, spacing, MAX_ITERATIONS)
    triangles = _final_triangulation(surface, u, t, loop, spacing)
    for refinement in range(MAX_REFINEMENTS + 1):
        u_new, t_new = _long_edge_midpoints(surface, u, t, triangles, max_edge)
        if len(u_new) == 0:
            break
        if refinement == MAX_REFINEMENTS:
            raise RuntimeError("leaflet meshing failed: edges remain longer than the bound")
        u, t = np.concatenate([u, u_new]), np.concatenate([t, t_new])
        loop = np.concatenate([loop, np.zeros(len(u_new), dtype=np.intp)])
        u, t, more = _relax(surface, u, t, loop, spacing, REFINE_ITERATIONS)
        iterations += more
        triangles = _final_triangulation(surface, u, t, loop, spacing)
    attached = np.arange(n_attached, dtype=np.intp)
    free_edge = np.arange(n_attached, n_fixed, dtype=np.intp)
    return StripMesh(u, t, triangles, attached, free_edge, iterations)
