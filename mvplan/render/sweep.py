"""Tube surfaces swept along centrelines, in numpy: the annulus and the ring.

A tube is a circle or an ellipse (a device's cross-section: ``half_width`` across the tube in
the ring's plane, ``half_height`` along the local up direction, as in
:func:`mvplan.rings.ring_mesh`) swept along a centreline. The topology depends only on the
number of centreline points, whether the tube is closed and the points around each section,
so a scene redrawing a moved or deformed tube only replaces its vertices and normals; normals
are exact (the ellipse's gradient), not averaged from faces, so shading is smooth everywhere,
the seam of a closed tube included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.interpolate import make_interp_spline

from mvplan.geometry.curve import periodic_spline

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = ["TubeSurface", "resample_polyline", "sweep_tube", "tube_faces"]

#: Default points around a tube's cross-section. With exact normals 12 give silhouettes
#: that cannot be told from 20 at the GUI's and the report's scales (1-2 mm radii, 80 mm
#: across the view), and in software OpenGL the annulus, reshaped annulus and ring tubes
#: drew in 40 % less time (a 538 x 726 view: frames of 17.6 ms with 20, 13.3 ms with 12).
N_AROUND = 12


@dataclass(frozen=True)
class TubeSurface:
    """A swept tube.

    Attributes
    ----------
    vertices : (v, 3) float, mm
        ``n * n_around`` section points (section ``i``, angle ``j`` at ``i * n_around + j``),
        then for an open tube each end's rim again and its centre (flat caps).
    normals : (v, 3) float
        Unit outward normals.
    faces : (f, 3) int
        Triangles, counter-clockwise seen from outside.
    """

    vertices: FloatArray
    normals: FloatArray
    faces: IntArray


def section_frames(
    points: FloatArray, closed: bool, up_hint: npt.ArrayLike = (0.0, 0.0, 1.0)
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tangent, across and up unit vectors ``(n, 3)`` along a centreline ``points (n, 3)``.

    ``up`` is ``up_hint`` made perpendicular to the tangent (the ring's normal for a ring,
    so an elliptical section lies flat in the ring's plane); ``across = tangent x up``.
    """
    if closed:
        tangent = np.roll(points, -1, axis=0) - np.roll(points, 1, axis=0)
    else:
        tangent = np.gradient(points, axis=0)
    tangent = tangent / np.linalg.norm(tangent, axis=1, keepdims=True)
    hint = np.asarray(up_hint, dtype=float).reshape(3)
    up = hint[None, :] - (tangent @ hint)[:, None] * tangent
    up = up / np.linalg.norm(up, axis=1, keepdims=True)
    across = np.cross(tangent, up)
    return tangent, across, up


def tube_faces(n: int, n_around: int, closed: bool) -> IntArray:
    """Triangles ``(f, 3)`` of a tube of ``n`` sections (:class:`TubeSurface` vertex order),
    outward-facing for sections built by :func:`sweep_tube`; an open tube gets end caps."""
    sections = n if closed else n - 1
    i = np.arange(sections)[:, None]
    j = np.arange(n_around)[None, :]
    i1, j1 = (i + 1) % n, (j + 1) % n_around
    v00, v01 = i * n_around + j, i * n_around + j1
    v10, v11 = i1 * n_around + j, i1 * n_around + j1
    faces = [np.stack([v00, v10, v11], -1).reshape(-1, 3), np.stack([v00, v11, v01], -1)]
    if not closed:
        # Cap rims are copies of the end sections (flat normals), then the two centres.
        start_rim, end_rim = n * n_around, n * n_around + n_around
        start_c, end_c = n * n_around + 2 * n_around, n * n_around + 2 * n_around + 1
        k = np.arange(n_around)
        k1 = (k + 1) % n_around
        faces.append(np.stack([np.full(n_around, start_c), start_rim + k, start_rim + k1], -1))
        faces.append(np.stack([np.full(n_around, end_c), end_rim + k1, end_rim + k], -1))
    return np.asarray(np.concatenate([f.reshape(-1, 3) for f in faces]), dtype=np.int64)


def sweep_tube(
    points: npt.ArrayLike,
    closed: bool,
    half_width: float,
    half_height: float | None = None,
    n_around: int = N_AROUND,
    up_hint: npt.ArrayLike = (0.0, 0.0, 1.0),
) -> TubeSurface:
    """Sweep an ellipse along a centreline.

    Parameters
    ----------
    points : (n, 3) float, mm
        Centreline (a closed one without repeating its first point), ``n >= 2``.
    closed : bool
    half_width : float, mm
        Semi-axis across the tube (in the plane of a ring).
    half_height : float, mm, optional
        Semi-axis along the local up direction (default ``half_width``: a circle).
    n_around : int
        Points around each section.
    up_hint : (3,) float
        Direction the sections' up axis follows (made perpendicular to the tangent).

    Returns
    -------
    TubeSurface
        Faces from :func:`tube_faces` (same ``n``, ``n_around``, ``closed``).
    """
    centre = np.asarray(points, dtype=float).reshape(-1, 3)
    a = float(half_width)
    b = a if half_height is None else float(half_height)
    tangent, across, up = section_frames(centre, closed, up_hint)
    phi = 2.0 * np.pi * np.arange(n_around) / n_around
    cos, sin = np.cos(phi)[None, :, None], np.sin(phi)[None, :, None]
    offsets = a * cos * across[:, None, :] + b * sin * up[:, None, :]
    vertices = (centre[:, None, :] + offsets).reshape(-1, 3)
    # The gradient of the ellipse's implicit equation: the exact outward normal.
    normals = (cos / a * across[:, None, :] + sin / b * up[:, None, :]).reshape(-1, 3)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    if not closed:
        n_sec = n_around
        start, end = vertices[:n_sec], vertices[-n_sec:]
        vertices = np.vstack([vertices, start, end, centre[:1], centre[-1:]])
        cap_normals = np.vstack(
            [
                np.repeat(-tangent[:1], n_sec, axis=0),
                np.repeat(tangent[-1:], n_sec, axis=0),
                -tangent[:1],
                tangent[-1:],
            ]
        )
        normals = np.vstack([normals, cap_normals])
    return TubeSurface(vertices, normals, tube_faces(centre.shape[0], n_around, closed))


def resample_polyline(points: npt.ArrayLike, closed: bool, count: int) -> FloatArray:
    """``count`` points of the interpolating cubic spline through ``points (n, 3)`` (chord
    length parameter), equally spaced in that parameter.

    Used to draw a solved ring, whose nodes are unevenly spaced (extra nodes at the suture
    legs), as a smooth tube with a fixed number of sections.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    if closed:
        spline, period = periodic_spline(pts)
        return np.asarray(spline(np.arange(count) * (period / count)))
    chords = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    keep = np.concatenate([[True], chords > 1e-9])
    pts = pts[keep]
    knots = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    spline = make_interp_spline(knots, pts, k=min(3, pts.shape[0] - 1))
    return np.asarray(spline(np.linspace(0.0, knots[-1], count)))
