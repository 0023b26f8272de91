"""Putting input points in curve order: merging near-duplicates, ordering clouds, simplicity.

Real segmentations repeat points and sometimes list them in no particular order. These
functions turn what a reader found into the ordered list of distinct points that the spline
interpolates, and check that the result is a simple loop.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, cKDTree

from mvplan.geometry.plane import fit_plane

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Points closer than this are one point (DESIGN.md section 4), mm.
MERGE_DISTANCE_MM = 0.01

#: An input order whose closed tour is this many times longer than the best order found is
#: taken for an unordered cloud (a shuffled list is many times longer; a figure-eight only
#: about 1.2 times, and must be reported as self-crossing rather than silently "repaired").
UNORDERED_TOUR_RATIO = 2.0


def merge_close_points(
    points: FloatArray, ordered: bool, tol: float = MERGE_DISTANCE_MM
) -> tuple[FloatArray, int]:
    """Merge points closer than ``tol``, keeping the first of each group.

    Parameters
    ----------
    points : (n, 3) float, mm
    ordered : bool
        For an ordered curve only consecutive points (and the last with the first) are merged,
        so the order is kept; for a cloud every close pair is.
    tol : float, mm

    Returns
    -------
    kept : (m, 3) float, mm
    merged : int
        How many points were dropped.
    """
    if ordered:
        keep = [0]
        for i in range(1, len(points)):
            if np.linalg.norm(points[i] - points[keep[-1]]) >= tol:
                keep.append(i)
        while len(keep) > 1 and np.linalg.norm(points[keep[-1]] - points[keep[0]]) < tol:
            keep.pop()
        kept = points[keep]
    else:
        pairs = cKDTree(points).query_pairs(tol, output_type="ndarray")
        n = len(points)
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        _, first = np.unique(label, return_index=True)
        kept = points[np.sort(first)]
    return kept, len(points) - len(kept)


def tour_length(points: FloatArray) -> float:
    """Length of the closed polygon through ``points (n, 3)`` in their order, mm."""
    return float(np.linalg.norm(points - np.roll(points, -1, axis=0), axis=1).sum())


def order_cloud(points: FloatArray) -> IntArray:
    """Order an unordered cloud of points sampled along a closed curve.

    Start from the angular order about the centroid on the least-squares plane (exact for a
    curve that is star-shaped about its centroid, as an annulus seen from the atrium is), then
    remove crossings and detours with 2-opt moves until none shortens the tour.

    Parameters
    ----------
    points : (n, 3) float, mm

    Returns
    -------
    order : (n,) int
        Indices of ``points`` in curve order.
    """
    plane = fit_plane(points)
    xy = plane.in_plane(points)
    order = np.argsort(np.arctan2(xy[:, 1], xy[:, 0]), kind="stable")
    return _two_opt(points, order)


def _two_opt(points: FloatArray, order: IntArray, max_sweeps: int = 50) -> IntArray:
    """Improve a closed tour by 2-opt moves (reverse the stretch between two edges)."""
    order = order.copy()
    n = len(order)
    for _ in range(max_sweeps):
        improved = False
        for i in range(n - 2):
            p = points[order]
            a, b = p[i], p[i + 1]
            j = np.arange(i + 2, n if i > 0 else n - 1)
            c, d = p[j], p[(j + 1) % n]
            old = np.linalg.norm(a - b) + np.linalg.norm(c - d, axis=1)
            new = np.linalg.norm(a - c, axis=1) + np.linalg.norm(b - d, axis=1)
            gain = old - new
            k = int(np.argmax(gain))
            if gain[k] > 1e-12 * old[k]:
                jj = int(j[k])
                order[i + 1 : jj + 1] = order[i + 1 : jj + 1][::-1]
                improved = True
        if not improved:
            break
    return order


def cloud_order_if_unordered(points: FloatArray) -> IntArray | None:
    """The curve order of a list claimed to be ordered, if it plainly is not; else None.

    A closed tour through the points is never shorter than the perimeter of the convex hull of
    their projection on the least-squares plane, so a list whose own tour is within
    :data:`UNORDERED_TOUR_RATIO` of that bound is ordered enough, and the (costlier) cloud
    ordering is skipped.
    """
    own = tour_length(points)
    xy = fit_plane(points).in_plane(points)
    hull_perimeter = float(ConvexHull(xy).area)  # in 2D, "area" is the perimeter
    if own <= UNORDERED_TOUR_RATIO * hull_perimeter:
        return None
    order = order_cloud(points)
    return order if own > UNORDERED_TOUR_RATIO * tour_length(points[order]) else None


def first_self_crossing(xy: FloatArray) -> tuple[int, int] | None:
    """First pair of non-adjacent edges of a closed 2D polygon that cross, or None.

    Parameters
    ----------
    xy : (n, 2) float
        Polygon vertices in order; edge ``i`` joins vertex ``i`` to ``i + 1`` (cyclically).

    Returns
    -------
    (i, j) or None
        Indices of two crossing edges, ``i < j``.
    """
    a = xy
    b = np.roll(xy, -1, axis=0)
    n = len(xy)
    for i in range(n - 2):
        j = np.arange(i + 2, n if i > 0 else n - 1)
        c, d = a[j], b[j]
        d1 = _orient(c, d, a[i])
        d2 = _orient(c, d, b[i])
        d3 = _orient(a[i], b[i], c)
        d4 = _orient(a[i], b[i], d)
        hit = (d1 * d2 < 0) & (d3 * d4 < 0)
        if np.any(hit):
            return i, int(j[np.argmax(hit)])
    return None


def _orient(p: FloatArray, q: FloatArray, r: FloatArray) -> FloatArray:
    """Twice the signed area of triangles (p, q, r); broadcasts over leading axes."""
    return np.asarray(
        (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
        - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])
    )
