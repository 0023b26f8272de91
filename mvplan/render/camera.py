"""Camera presets in the annulus valve frame (+z into the left atrium, +y toward A).

``atrial``
    The surgeon's view through the left atrium: looking down -z with A at the top of the
    screen, so the anterolateral commissure (-x) is at 9 o'clock (DESIGN.md section 4).
``lateral``
    From the posteromedial side (+x) looking along -x, the atrium up and A on the right: the
    saddle's A-P profile, as in an echocardiographic long-axis view.
``ap``
    From the posterior side (-y) looking along +y toward A, the atrium up: the commissure to
    commissure profile, AL on the left as in the atrial view.

Each preset frames the scene: the camera looks at the centre of the scene's bounding box from
the distance at which the scene's outline, seen in perspective along the view, fills the
viewport but for a margin (room for labels and legends).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from vtkmodules.vtkRenderingCore import vtkRenderer

from mvplan.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = ["VIEWS", "VIEW_ANGLE_DEG", "apply_view", "check_view", "view_vectors"]

#: Names of the camera presets.
VIEWS: tuple[str, ...] = ("atrial", "lateral", "ap")

#: (direction of projection, view up) of each preset, valve frame.
_VECTORS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "atrial": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "lateral": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "ap": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
}

#: Vertical view angle of the perspective camera, degrees: a mild perspective that reads as
#: 3D without distorting a 40 mm object much.
VIEW_ANGLE_DEG = 30.0

#: Fraction of the viewport the framed scene may fill along its tighter direction; the rest
#: is room for labels beside the landmarks and the colour legends.
FILL = 0.78

#: Fraction of the viewport width at each side that the framed scene leaves to the colour
#: legends (they stand at the left and right edges).
SIDE_MARGIN = 0.22


def check_view(name: object) -> str:
    """``name`` if it is a preset, else an :class:`~mvplan.errors.InputError`."""
    if not isinstance(name, str) or name not in _VECTORS:
        raise InputError(f"unknown view {name!r}; use one of {', '.join(VIEWS)}")
    return name


def view_vectors(name: str) -> tuple[FloatArray, FloatArray]:
    """Direction of projection and view-up ``(3,)`` unit vectors of a preset."""
    direction, up = _VECTORS[check_view(name)]
    return np.array(direction, dtype=float), np.array(up, dtype=float)


def apply_view(
    renderer: vtkRenderer,
    name: str,
    bounds: Sequence[float],
    points: npt.ArrayLike | None = None,
    fill: float = FILL,
    side_margin: float = SIDE_MARGIN,
) -> None:
    """Point the renderer's camera along preset ``name`` and frame the scene.

    Parameters
    ----------
    renderer : vtkRenderer
    name : str
        One of :data:`VIEWS`.
    bounds : (6,) float, mm
        ``xmin, xmax, ymin, ymax, zmin, zmax`` of what to frame (an empty box, ``xmin >
        xmax``, frames the unit cube). The camera looks at its centre.
    points : (n, 3) float, mm, optional
        The scene's outline, framed exactly (a box's corners, used without them, overstate
        what a round, flat valve needs when it is seen edge-on).
    fill : float
        Fraction of the viewport height (or width, if tighter) the framed scene may take.
    side_margin : float
        Fraction of the viewport width kept clear at each side (for the colour legends),
        which matters in narrow windows.
    """
    direction, up = view_vectors(name)
    box = np.asarray(bounds, dtype=float).reshape(3, 2)
    if np.any(box[:, 0] > box[:, 1]) or not np.all(np.isfinite(box)):
        box = np.array([[-1.0, 1.0]] * 3)
    centre = box.mean(axis=1)
    if points is None or np.asarray(points).size == 0:
        outline = np.array(np.meshgrid(*box, indexing="ij")).reshape(3, -1).T
    else:
        outline = np.asarray(points, dtype=float).reshape(-1, 3)
    outline = outline - centre
    right = np.cross(direction, up)
    window = renderer.GetRenderWindow()
    aspect = float(renderer.GetTiledAspectRatio()) if window is not None else 1.0
    if not np.isfinite(aspect) or aspect <= 0.0:
        aspect = 1.0  # a window not sized yet
    tan_half = float(np.tan(np.radians(VIEW_ANGLE_DEG) / 2.0))
    # A point at signed depth d beyond the centre, a distance w off the view axis, is in view
    # when w <= (D + d) tan(half angle) fill: the camera distance D is the largest such need.
    depth = outline @ direction
    need_h = np.abs(outline @ up) / (tan_half * fill) - depth
    fill_w = min(fill, 1.0 - 2.0 * side_margin)
    need_w = np.abs(outline @ right) / (tan_half * aspect * fill_w) - depth
    nearest = float(np.max(-depth))
    distance = max(float(np.max(need_h)), float(np.max(need_w)), nearest + 1.0, 1e-3)
    camera = renderer.GetActiveCamera()
    camera.SetParallelProjection(False)
    camera.SetViewAngle(VIEW_ANGLE_DEG)
    camera.SetFocalPoint(*centre)
    camera.SetPosition(*(centre - direction * distance))
    camera.SetViewUp(*up)
    renderer.ResetCameraClippingRange()
