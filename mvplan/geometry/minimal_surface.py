"""Area of the minimal surface spanning a closed space curve (the annulus's 3-D area).

``area_3d_mm2`` is the area of the minimal surface spanning the annulus, converged to 0.5 %.
It is computed on nested disk meshes, refined until the Richardson error estimate is met:

* Mesh: the hexagon of radius ``n`` of the triangular lattice (rings of ``6k`` vertices).
  Its triangles are equilateral and its 1-to-4 subdivision is the hexagon of radius ``2n``,
  so each level starts from the surface of the level below. The ``6n`` boundary vertices go,
  in order, to the curve at equally spaced parameters: the boundary polygon is inscribed.
* Start: the harmonic extension of the boundary (cotangent weights of the flat equilateral
  disk, i.e. uniform weights).
* Minimisation, boundary fixed: Newton's method on the area over *normal* offsets of the
  interior vertices, with the Pinkall-Polthier (cotangent Dirichlet) step as a fall-back that
  can never increase the area (see :func:`_newton_step` for why not plain Pinkall-Polthier).
  It stops when the remaining relative area decrease is below 1e-9, far below the
  discretisation error; it typically takes 3-5 steps a level.
* Error: the discrete area converges at second order in the edge length (chords of the
  boundary, linear triangles). From three levels ``A0, A1, A2`` the observed order is
  ``p = log2((A1 - A0) / (A2 - A1))``; once ``1.5 <= p <= 2.5`` Richardson gives
  ``A* = A2 + (A2 - A1) / (2**p - 1)``. The reported area is ``A*``; the reported
  ``relative_error`` is ``|A* - A2| / A*``, the estimated error of the finest level's own
  area, a conservative bound for ``A*`` (whose error is of higher order: ~1e-5 against
  ~1e-3 on Enneper's surface). Levels are added until it is below ``rtol``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from mvplan.errors import GeometryError
from mvplan.geometry.curve import periodic_spline

__all__ = ["MinimalSurface", "minimal_surface", "minimal_surface_area"]

_N0 = 4  # rings of the coarsest disk: 24 boundary vertices, ~5 mm edges on an annulus
_AREA_TOL = 1e-9  # remaining relative area decrease that ends the minimisation
_MAX_ITER = 100  # per level; Newton needs a handful
_ORDER = (1.5, 2.5)  # accepted observed order of convergence (theory: 2)
_DEGENERATE = 1e-10  # triangle area / mean triangle area below which a mesh is degenerate


@dataclass(frozen=True)
class MinimalSurface:
    """A discrete minimal surface and its converged area.

    Attributes
    ----------
    area_mm2 : float
        Richardson-extrapolated area of the minimal surface (mm^2).
    relative_error : float
        Estimated relative discretisation error of the finest level's area, a conservative
        bound for the error of ``area_mm2`` (dimensionless).
    levels : tuple of (int, float)
        ``(number of boundary vertices, discrete area in mm^2)`` for each refinement level.
    vertices : ndarray, shape (v, 3)
        Vertices of the finest mesh (mm); the last ``levels[-1][0]`` are the boundary, in order.
    faces : ndarray, shape (f, 3), int
        Triangles of the finest mesh, consistently oriented.
    iterations : int
        Total number of minimisation steps over all levels.
    """

    area_mm2: float
    relative_error: float
    levels: tuple[tuple[int, float], ...]
    vertices: np.ndarray = field(repr=False, compare=False)
    faces: np.ndarray = field(repr=False, compare=False)
    iterations: int


def _hex_disk(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hexagon of radius ``n`` of the triangular lattice.

    Returns
    -------
    lattice : ndarray, shape (3n^2 + 3n + 1, 2), int
        Axial lattice coordinates ``(a, b)`` (position ``a e1 + b e2``, 60 degrees apart); the
        interior vertices come first, then the ``6n`` boundary vertices counter-clockwise from
        the corner ``(n, 0)``.
    faces : ndarray, shape (6n^2, 3), int
        Counter-clockwise triangles.
    """
    a, b = (g.ravel() for g in np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1)))
    ring = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.abs(a + b))
    a, b, ring = a[ring <= n], b[ring <= n], ring[ring <= n]
    angle = np.mod(np.arctan2(b * math.sqrt(3.0) / 2.0, a + b / 2.0), 2.0 * math.pi)
    # Boundary last (so the interior block of the Laplacian is a leading slice), by angle.
    order = np.lexsort((angle, ring == n))
    lattice = np.column_stack([a[order], b[order]])
    # Triangles "up" (p, p+e1, p+e2) and "down" (p+e1, p+e1+e2, p+e2) of every lattice point p of
    # the square [-n-1, n]^2 (a triangle's first corner may lie outside the hexagon), kept if all
    # three corners lie inside; -1 marks a point outside, with a spare row/column for p + e1/e2.
    index = np.full((2 * n + 3, 2 * n + 3), -1)
    index[lattice[:, 0] + n + 1, lattice[:, 1] + n + 1] = np.arange(len(lattice))
    p, q = (g.ravel() for g in np.meshgrid(np.arange(2 * n + 2), np.arange(2 * n + 2)))
    up = np.column_stack([index[p, q], index[p + 1, q], index[p, q + 1]])
    down = np.column_stack([index[p + 1, q], index[p + 1, q + 1], index[p, q + 1]])
    faces = np.vstack([up, down])
    return lattice, faces[(faces >= 0).all(axis=1)]


def _subdivide(x: np.ndarray, coarse: np.ndarray, fine: np.ndarray) -> np.ndarray:
    """Positions (v, 3) mm on the ``fine`` lattice (radius 2n) by 1-to-4 subdivision of ``x``.

    A fine lattice point is a coarse vertex (both coordinates even) or the midpoint of the coarse
    edge along e1, e2 or e1 - e2, depending on which coordinates are odd.
    """
    n = int(np.abs(coarse).max())
    index = np.full((2 * n + 1, 2 * n + 1), -1)
    index[coarse[:, 0] + n, coarse[:, 1] + n] = np.arange(len(coarse))
    fa, fb = fine[:, 0], fine[:, 1]
    pa, pb = fa % 2, fb % 2
    first = index[(fa - pa) // 2 + n, (fb - pb + 2 * pa * pb) // 2 + n]
    second = index[(fa + pa) // 2 + n, (fb + pb - 2 * pa * pb) // 2 + n]
    return 0.5 * (x[first] + x[second])


def _double_areas(x: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face normals times twice the face areas (f, 3) mm^2 and their norms (f,) mm^2."""
    cross = np.cross(x[faces[:, 1]] - x[faces[:, 0]], x[faces[:, 2]] - x[faces[:, 0]])
    return cross, np.linalg.norm(cross, axis=1)


def _check_mesh(x: np.ndarray, faces: np.ndarray) -> float:
    """Area (mm^2) of the mesh; GeometryError if a triangle is degenerate or folded over."""
    cross, double = _double_areas(x, faces)
    if not double.min() > _DEGENERATE * double.mean():
        raise GeometryError("minimal surface: the mesh degenerated (zero-area triangles)")
    # Faces on either side of each interior edge (edges sorted so that shared ones are adjacent).
    edges = np.sort(np.vstack([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    edges, face = edges[order], np.tile(np.arange(len(faces)), 3)[order]
    shared = (edges[1:] == edges[:-1]).all(axis=1)
    normal = cross / double[:, None]
    turn = np.einsum("ij,ij->i", normal[face[:-1][shared]], normal[face[1:][shared]])
    if turn.min() < 0.0:  # adjacent triangles of a smooth surface never turn by > 90 degrees
        raise GeometryError("minimal surface: the mesh folded over (flipped triangles)")
    return 0.5 * float(double.sum())


def _corner_dots(x: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Dot products (f, 3) mm^2 of the two edges leaving each corner of each triangle."""
    dots = np.empty(faces.shape)
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        u, v = x[faces[:, j]] - x[faces[:, i]], x[faces[:, k]] - x[faces[:, i]]
        dots[:, i] = np.einsum("ij,ij->i", u, v)
    return dots


def _cotan_laplacian(faces: np.ndarray, dots: np.ndarray, double: np.ndarray) -> sp.csr_matrix:
    """Cotangent Laplacian (v, v), positive semi-definite, ``x.T L x = 2 * area`` at x itself.

    ``dots`` (f, 3) from :func:`_corner_dots` and twice the triangle areas ``double`` (f,), all
    > 0, give the cotangents; that of corner i weights the opposite edge (j, k).
    """
    nv = int(faces.max()) + 1
    weights = 0.5 * dots / double[:, None]
    opposite = faces[:, [1, 2, 0]], faces[:, [2, 0, 1]]
    rows = np.concatenate([opposite[0].ravel(), opposite[1].ravel()])
    cols = np.concatenate([opposite[1].ravel(), opposite[0].ravel()])
    w_mat = sp.csr_matrix((np.tile(weights.ravel(), 2), (rows, cols)), shape=(nv, nv))
    return sp.csr_matrix(sp.diags(np.asarray(w_mat.sum(axis=1)).ravel()) - w_mat)


def _newton_step(x: np.ndarray, faces: np.ndarray, m: int, area: float) -> tuple[np.ndarray, float]:
    """One area-decreasing step over normal offsets ``t`` (m,) mm of the interior vertices.

    Why normal offsets only: the discrete area is nearly flat along tangential moves, where plain
    Pinkall-Polthier crawls (1e-6 per step on Enneper's surface, with worsening triangles).
    Minimising the Dirichlet energy ``(x + t n)^T L (x + t n) / 2`` over t (Pinkall-Polthier
    along normals, matrix ``G_ij = L_ij n_i . n_j``, positive definite) cannot increase the area
    (area <= energy <= its value at t = 0, the area), but converges slowly on curved surfaces:
    ``t^T G t`` approximates the integral of ``|grad t|^2 + |A|^2 t^2``, the second variation of
    area that of ``|grad t|^2 - |A|^2 t^2``, and ``|A|^2 = -2 K`` on a minimal surface. So the
    step is Newton's, with ``G + 4 diag(angle defect)``, or ``G``'s if Newton's fails to descend.
    """
    cross, double = _double_areas(x, faces)
    if not double.min() > _DEGENERATE * double.mean():
        raise GeometryError("minimal surface: the mesh degenerated (zero-area triangles)")
    normal = np.zeros_like(x)
    for corner in range(3):  # area-weighted vertex normals
        np.add.at(normal, faces[:, corner], cross)
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    if not length.min() > 0.0:
        raise GeometryError("minimal surface: the mesh folded over (flipped triangles)")
    normal /= length
    dots = _corner_dots(x, faces)
    lap = _cotan_laplacian(faces, dots, double)
    gradient = np.einsum("ij,ij->i", normal[:m], (lap @ x)[:m])
    lap = lap[:m, :m].tocoo()
    matrix = sp.csc_matrix(
        (lap.data * np.einsum("ij,ij->i", normal[lap.row], normal[lap.col]), (lap.row, lap.col)),
        shape=(m, m),
    )
    angles = np.bincount(faces.ravel(), np.arctan2(double[:, None], dots).ravel())
    defect = 2.0 * math.pi - angles[:m]  # integrated Gaussian curvature
    for curvature in (4.0 * defect, np.zeros(m)):
        try:
            offset = splu(sp.csc_matrix(matrix + sp.diags(curvature))).solve(-gradient)
        except RuntimeError:  # exactly singular
            continue
        moved = x.copy()
        moved[:m] += offset[:, None] * normal[:m]
        moved_area = 0.5 * float(_double_areas(moved, faces)[1].sum())
        if moved_area <= area:
            return moved, moved_area
    return x, area  # no step decreases the area: x is stationary to round-off


def _minimise(x: np.ndarray, faces: np.ndarray, m: int) -> tuple[np.ndarray, float, int]:
    """Minimise the area from ``x`` (v, 3) mm; returns the surface, its area mm^2, iterations.

    Stops when the remaining decrease, extrapolated geometrically from the last two changes,
    is below ``_AREA_TOL`` of the area (plain "change < tol" would stop early on slow rates).
    """
    area = 0.5 * float(_double_areas(x, faces)[1].sum())
    change = math.inf
    for iteration in range(1, _MAX_ITER + 1):
        x, moved_area = _newton_step(x, faces, m, area)
        previous_change, change = change, area - moved_area
        area = moved_area
        rate = min(change / previous_change, 0.99) if previous_change > 0.0 else 0.0
        if change * max(1.0, rate / (1.0 - rate)) <= _AREA_TOL * area:
            return x, area, iteration
    raise GeometryError(f"minimal surface: area not stationary after {_MAX_ITER} iterations")


def _richardson(areas: list[float]) -> tuple[float, float] | None:
    """Extrapolated area (mm^2) and relative error of the last area, if in the asymptotic range."""
    a0, a1, a2 = areas[-3:]
    d1, d2 = a1 - a0, a2 - a1
    if max(abs(d1), abs(d2)) <= 1e-12 * abs(a2):  # exact at every level (a polygon)
        return a2, abs(d2) / abs(a2)
    if d1 * d2 <= 0.0:  # differences changing sign: not yet asymptotic
        return None
    order = math.log2(d1 / d2)
    if not _ORDER[0] <= order <= _ORDER[1]:
        return None
    extrapolated = a2 + d2 / (2.0**order - 1.0)
    return extrapolated, abs(extrapolated - a2) / abs(extrapolated)


def _boundary(curve: Callable[[np.ndarray], np.ndarray], count: int) -> np.ndarray:
    """The curve (count, 3) mm at ``count`` equally spaced parameters in [0, 1)."""
    points = np.asarray(curve(np.arange(count) / count), dtype=float)
    if points.shape != (count, 3) or not np.isfinite(points).all():
        raise GeometryError(f"minimal surface: the curve must give ({count}, 3) finite points")
    return points


def minimal_surface(
    curve: Callable[[np.ndarray], np.ndarray], *, rtol: float = 0.005, max_level: int = 5
) -> MinimalSurface:
    """Minimal surface spanning a closed curve, refined until its area is converged.

    Parameters
    ----------
    curve : callable
        ``curve(u)`` maps parameters ``u`` (k,) in [0, 1) to points (k, 3) in mm of a closed
        curve; the parameter should be roughly proportional to arc length.
    rtol : float
        Relative discretisation error to reach (dimensionless).
    max_level : int
        Finest level: the disk at level ``l`` has ``6 * 4 * 2**l`` boundary vertices.

    Returns
    -------
    MinimalSurface
        The extrapolated area, its error estimate, the areas of all levels and the finest mesh.

    Raises
    ------
    GeometryError
        If the mesh degenerates, or the error estimate is not below ``rtol`` by ``max_level``.
    """
    if max_level < 0 or not rtol > 0.0:
        raise ValueError(f"need max_level >= 0 and rtol > 0, not {max_level} and {rtol}")
    lattice, faces = _hex_disk(_N0)
    flat = np.zeros((len(lattice), 3))
    flat[:, :2] = lattice @ [[1.0, 0.0], [0.5, math.sqrt(3.0) / 2.0]]
    m = len(lattice) - 6 * _N0
    x = np.zeros((len(lattice), 3))
    x[m:] = _boundary(curve, 6 * _N0)
    # Harmonic extension: cotangent weights of the flat equilateral disk (= uniform weights).
    lap = _cotan_laplacian(faces, _corner_dots(flat, faces), _double_areas(flat, faces)[1])
    x[:m] = splu(sp.csc_matrix(lap[:m, :m])).solve(-(lap[:m, m:] @ x[m:]))
    levels: list[tuple[int, float]] = []
    iterations = 0
    for level in range(max_level + 1):
        if level > 0:
            fine_lattice, faces = _hex_disk(_N0 * 2**level)
            x = _subdivide(x, lattice, fine_lattice)
            lattice, m = fine_lattice, len(fine_lattice) - 6 * _N0 * 2**level
            x[m:] = _boundary(curve, len(lattice) - m)
        x, area, count = _minimise(x, faces, m)
        iterations += count
        area = _check_mesh(x, faces)
        levels.append((len(lattice) - m, area))
        estimate = _richardson([a for _, a in levels]) if len(levels) >= 3 else None
        if estimate is not None and estimate[1] < rtol:
            x.setflags(write=False)
            faces.setflags(write=False)
            return MinimalSurface(estimate[0], estimate[1], tuple(levels), x, faces, iterations)
    raise GeometryError(
        f"minimal surface: area not converged to {rtol:g} by level {max_level} "
        f"({levels[-1][0]} boundary vertices)"
    )


def minimal_surface_area(
    points: np.ndarray, *, rtol: float = 0.005, max_level: int = 5
) -> MinimalSurface:
    """Minimal surface spanning the periodic cubic spline through ``points``.

    Parameters
    ----------
    points : ndarray, shape (n, 3)
        Ordered points (mm) of a closed curve, roughly uniformly spaced; the first point may be
        repeated at the end.
    rtol, max_level
        As for :func:`minimal_surface`.

    Returns
    -------
    MinimalSurface
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 3 or not np.isfinite(pts).all():
        raise GeometryError(f"minimal surface: points must be finite (n, 3), not {pts.shape}")
    chords = np.linalg.norm(pts - np.roll(pts, 1, axis=0), axis=1)  # chords[0]: last to first
    total = float(chords.sum())
    if len(pts) > 1 and chords[0] <= 1e-9 * total:  # first point repeated at the end
        pts, chords = pts[:-1], np.append(chords[1:-1], chords[0] + chords[-1])
    else:
        chords = np.roll(chords, -1)  # chords[i]: point i to point i + 1 (cyclically)
    if len(pts) < 4 or not chords.min() > 1e-9 * total:
        raise GeometryError("minimal surface: need >= 4 distinct consecutive curve points")
    # Chord-length parameter scaled to [0, 1]: roughly arc length, as minimal_surface expects.
    spline, _ = periodic_spline(pts, np.concatenate([[0.0], np.cumsum(chords)]) / total)
    return minimal_surface(lambda u: spline(np.mod(u, 1.0)), rtol=rtol, max_level=max_level)
