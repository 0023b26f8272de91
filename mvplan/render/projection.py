"""World <-> display coordinates of a renderer, vectorised, and 2D nearest-point searches.

Display coordinates are VTK's: pixels from the **lower-left** corner of the render window
(what ``vtkRenderWindowInteractor.GetEventPosition`` reports; Qt's y runs the other way).
The transforms are the camera's composite projection matrix and the renderer's viewport,
exactly as ``vtkRenderer.WorldToDisplay`` applies them one point at a time; doing it for
whole arrays lets picking test every point of a curve in one step.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from vtkmodules.vtkRenderingCore import vtkRenderer

FloatArray = npt.NDArray[np.float64]

__all__ = ["display_ray", "nearest_on_polyline", "ray_plane_z", "world_to_display"]


def _composite(renderer: vtkRenderer) -> FloatArray | None:
    """World -> normalised device coordinates (4, 4), or None without a sized window."""
    window = renderer.GetRenderWindow()
    if window is None:
        return None
    width, height = window.GetSize()
    if width <= 0 or height <= 0:
        return None
    aspect = renderer.GetTiledAspectRatio()
    matrix = renderer.GetActiveCamera().GetCompositeProjectionTransformMatrix(aspect, -1.0, 1.0)
    return np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])


def _viewport_pixels(renderer: vtkRenderer) -> tuple[float, float, float, float]:
    """Viewport origin and extent in pixels: (x0, y0, width, height)."""
    width, height = renderer.GetRenderWindow().GetSize()
    x0, y0, x1, y1 = renderer.GetViewport()
    return x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height


def world_to_display(renderer: vtkRenderer, points: npt.ArrayLike) -> FloatArray | None:
    """Display coordinates of world points.

    Parameters
    ----------
    renderer : vtkRenderer
        Attached to a render window with a size.
    points : (n, 3) float, mm

    Returns
    -------
    (n, 3) float or None
        ``x, y`` in pixels from the lower-left corner and ``depth`` in [-1, 1] (normalised
        device z: -1 at the near clipping plane); ``nan`` rows for points behind the camera.
        None when the renderer has no sized window.
    """
    composite = _composite(renderer)
    if composite is None:
        return None
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    homogeneous = np.hstack([pts, np.ones((pts.shape[0], 1))]) @ composite.T
    w = homogeneous[:, 3:4]
    with np.errstate(divide="ignore", invalid="ignore"):
        ndc = np.where(w > 0.0, homogeneous[:, :3] / w, np.nan)
    x0, y0, vw, vh = _viewport_pixels(renderer)
    return np.column_stack(
        [(ndc[:, 0] + 1.0) * 0.5 * vw + x0, (ndc[:, 1] + 1.0) * 0.5 * vh + y0, ndc[:, 2]]
    )


def display_ray(renderer: vtkRenderer, x: float, y: float) -> tuple[FloatArray, FloatArray] | None:
    """The view ray through display point ``(x, y)``: its origin ``(3,)`` mm (the eye of a
    perspective camera, the near clipping plane of a parallel one) and its unit direction
    ``(3,)`` away from the camera; None without a sized window."""
    composite = _composite(renderer)
    if composite is None:
        return None
    x0, y0, vw, vh = _viewport_pixels(renderer)
    nx, ny = 2.0 * (x - x0) / vw - 1.0, 2.0 * (y - y0) / vh - 1.0
    inverse = np.linalg.inv(composite)
    ends = np.array([[nx, ny, -1.0, 1.0], [nx, ny, 1.0, 1.0]]) @ inverse.T
    ends = ends[:, :3] / ends[:, 3:4]
    direction = ends[1] - ends[0]
    direction /= np.linalg.norm(direction)
    camera = renderer.GetActiveCamera()
    if camera.GetParallelProjection():
        return ends[0], direction
    # A perspective ray starts at the eye: what lies between it and the near clipping plane
    # is still in front of the viewer (the plane seen from just above it, for one).
    return np.asarray(camera.GetPosition(), dtype=float), direction


def ray_plane_z(origin: FloatArray, direction: FloatArray, z: float = 0.0) -> FloatArray | None:
    """Where the ray ``origin + s direction`` (``s >= 0``) meets the plane ``z``; None if it
    runs parallel to the plane or points away from it."""
    dz = float(direction[2])
    if abs(dz) < 1e-12:
        return None
    s = (z - float(origin[2])) / dz
    if s < 0.0:
        return None
    hit = origin + s * direction
    hit[2] = z  # exactly on the plane, not off by round-off
    return np.asarray(hit)


def nearest_on_polyline(
    display: FloatArray, x: float, y: float, closed: bool
) -> tuple[int, float, float] | None:
    """Nearest point of a projected polyline to a display point.

    Parameters
    ----------
    display : (n, 3) float
        Projected vertices (:func:`world_to_display`), ``nan`` for vertices behind the camera.
    x, y : float
        Display point, pixels.
    closed : bool
        Whether the last vertex joins the first.

    Returns
    -------
    (segment, t, distance) or None
        Segment ``i`` (vertex ``i`` to ``i + 1``), the fraction ``t`` in [0, 1] along it and
        the distance in pixels. Where segments overlap on screen (within one pixel of the
        nearest) the one nearest the camera wins. None if no segment is in front of the camera.
    """
    a = display
    b = np.roll(display, -1, axis=0) if closed else display[1:]
    a = a if closed else display[:-1]
    if a.shape[0] == 0:
        return None
    ab = b[:, :2] - a[:, :2]
    ap = np.array([x, y]) - a[:, :2]
    length2 = np.einsum("ij,ij->i", ab, ab)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.einsum("ij,ij->i", ap, ab) / length2, 0.0, 1.0)
    t = np.where(length2 > 0.0, t, 0.0)
    nearest = a[:, :2] + t[:, None] * ab
    distance = np.linalg.norm(nearest - np.array([x, y]), axis=1)
    depth = a[:, 2] + t * (b[:, 2] - a[:, 2])
    valid = np.isfinite(distance) & np.isfinite(depth)
    if not valid.any():
        return None
    best = float(np.min(distance[valid]))
    close = valid & (distance <= best + 1.0)
    index = int(np.flatnonzero(close)[np.argmin(depth[close])])
    return index, float(t[index]), float(distance[index])
