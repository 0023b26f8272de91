"""mvplan.render: the one doorway to VTK. Scenes of a plan and off-screen images; no Qt.

``PlanScene(renderer)`` draws one plan in a ``vtkRenderer`` (annulus, ring, sutures, and a
simulation's result, all in the annulus valve frame, mm) and picks in it by display
coordinates; ``render_png(path, annulus, ...)`` renders a plan off screen to a PNG file;
``LeafletLayer`` draws a closed valve's leaflets (a :class:`LeafletPicture` of arrays) coloured
by coaptation, gap or stress, in a renderer its host adds it to.
Public functions take and return numpy arrays and mvplan's model objects; VTK objects stay
inside, except the renderer and render windows that a GUI hands in.

Importing this package imports VTK (``import mvplan`` does not). With no display, call
:func:`mvplan.headless.configure_headless` before importing it.
"""

from __future__ import annotations

from mvplan.render.actors import orientation_marker_actor
from mvplan.render.camera import VIEWS
from mvplan.render.colours import FORCE_RANGE_N, HEIGHT_RANGE_MM, THEMES, Theme
from mvplan.render.leaflets import QUANTITIES, LeafletLayer, LeafletPicture
from mvplan.render.offscreen import (
    grab_image,
    grab_png,
    offscreen_scene,
    render_image,
    render_png,
)
from mvplan.render.projection import world_to_display
from mvplan.render.scene import PlanScene

__all__ = [
    "FORCE_RANGE_N",
    "HEIGHT_RANGE_MM",
    "QUANTITIES",
    "THEMES",
    "VIEWS",
    "LeafletLayer",
    "LeafletPicture",
    "PlanScene",
    "Theme",
    "grab_image",
    "grab_png",
    "offscreen_scene",
    "orientation_marker_actor",
    "render_image",
    "render_png",
    "world_to_display",
]
