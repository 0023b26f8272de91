""":class:`PlanScene`: the actors of one plan in one renderer, and picking in them.

A scene adds a fixed set of actors to its renderer once, when it is made; every ``set_*``
call afterwards only replaces their data, colours and visibility, so it is cheap to repeat
(a GUI redraws the ring and its result many times a second while the user drags it) and the
renderer's prop list never grows. Everything is drawn in the annulus **valve frame**, mm
(DESIGN.md section 2): origin at the annulus centroid, +z toward the left atrium, +y toward
the anterior landmark A.

Picking works in VTK display coordinates (pixels from the lower-left corner of the window,
as ``vtkRenderWindowInteractor.GetEventPosition`` reports them) by projecting the scene's own
geometry, not by reading back the depth buffer, so it needs no render pass and works the same
on and off screen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from vtkmodules.vtkRenderingCore import vtkProp, vtkRenderer

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.safety import Safety
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.planning.placement import Placement
from mvplan.render.actors import orientation_marker_actor
from mvplan.render.camera import VIEWS, apply_view, check_view
from mvplan.render.colours import Theme, resolve_theme
from mvplan.render.device import DeviceLayer
from mvplan.render.layers import (
    LANDMARK_DIAMETER_MM,
    AnnulusLayer,
    ResultLayer,
    RingLayer,
)
from mvplan.render.projection import (
    display_ray,
    nearest_on_polyline,
    ray_plane_z,
    world_to_display,
)
from mvplan.render.style import style_renderer, use_depth_peeling
from mvplan.rings.spec import RingSpec

FloatArray = npt.NDArray[np.float64]

__all__ = ["PlanScene"]


class PlanScene:
    """The actors of one plan in one ``vtkRenderer``, in the annulus valve frame (mm).

    Parameters
    ----------
    renderer : vtkRenderer
        The renderer to draw in; the scene adds its props once and never removes them but in
        :meth:`remove`.
    theme : str, RGB or Theme
        ``dark`` (default), ``light``, ``white`` or a background colour
        (:func:`mvplan.render.colours.resolve_theme`).
    style : bool
        Also give the renderer the theme's background and the scene's lights
        (:func:`mvplan.render.style.style_renderer`).
    """

    def __init__(
        self,
        renderer: vtkRenderer,
        *,
        theme: str | Sequence[float] | Theme = "dark",
        style: bool = True,
    ) -> None:
        self._renderer = renderer
        self.theme = resolve_theme(theme)
        self._annulus = AnnulusLayer(self.theme)
        self._ring = RingLayer(self.theme)
        self._result = ResultLayer(self.theme, self._annulus.ctf)
        self._device = DeviceLayer(self.theme)
        self._artery: FloatArray | None = None
        self._safety: Safety | None = None
        self._props: tuple[vtkProp, ...] = (
            *self._annulus.props(),
            *self._ring.props(),
            *self._result.props(),
            *self._device.props(),
        )
        for prop in self._props:
            renderer.AddViewProp(prop)
        self._styled = style
        if style:
            style_renderer(renderer, self.theme)
        self.view = VIEWS[0]
        self._framed = False

    # -- content -------------------------------------------------------------------------

    @property
    def renderer(self) -> vtkRenderer:
        """The renderer the scene draws in."""
        return self._renderer

    @property
    def annulus(self) -> Annulus | None:
        """The native annulus shown (None: none)."""
        return self._annulus.annulus

    @property
    def result(self) -> AnnuloplastyResult | None:
        """The simulation result shown (None: the pre-simulation display)."""
        return self._result.result

    def set_annulus(self, annulus: Annulus | None) -> None:
        """Show the native annulus: a tube coloured by its height above its plane (valve-frame
        z) with a legend, its landmarks as spheres with labels (estimated ones as paler wire
        spheres labelled ``(est.)``) and the plane as a translucent disc. None hides them.

        The first annulus shown also frames the camera in the current view preset.
        """
        self._annulus.set(annulus)
        # Sutures run from the ring to this annulus: redraw them on it.
        self._ring.set(self._ring.spec, self._ring.placement, annulus, visible=self.result is None)
        if annulus is not None and not self._framed:
            self.set_view(self.view)
        self._renderer.ResetCameraClippingRange()

    def set_ring(self, spec: RingSpec | None, placement: Placement | None) -> None:
        """Show the ring as placed (its device cross-section swept along its centreline, at
        ``placement.pose``) and its sutures as tubes from ring point to annulus point; None
        (either) hides them.

        While a result is shown (:meth:`set_result`), the result's ring and sutures are
        drawn instead; the ring set here is what :meth:`set_result` ``(None)`` returns to.
        """
        self._ring.set(spec, placement, self.annulus, visible=self.result is None)
        self._renderer.ResetCameraClippingRange()

    def set_result(self, result: AnnuloplastyResult | None) -> None:
        """Show a simulation result: the reshaped annulus coloured by height, the native one
        thin and grey for comparison, the ring where it settled and each mattress suture as a
        stitch over the ring coloured by its force (fixed range 0-4 N, legend "suture force
        (N)"), with labels on sutures near their pull-out strength. None returns to the
        pre-simulation display.
        """
        self._show_device(result)
        if result is None:
            self._result.hide()
            self._annulus.set_comparison_heights(np.zeros(0))
            self._annulus.set_faded(False)
            self._ring.show(True)
        else:
            self._annulus.set_comparison_heights(np.asarray(result.annulus_after_valve)[:, 2])
            self._result.set(result, self._ring.spec)
            self._annulus.set_faded(True)
            self._ring.show(False)
        if self._styled:
            # The translucent ring over the translucent disc: two layers to sort.
            use_depth_peeling(self._renderer, self._result.ring_points.shape[0] > 0)
        self._renderer.ResetCameraClippingRange()

    def set_vessels(
        self,
        cs_path: npt.ArrayLike | None,
        artery: npt.ArrayLike | None = None,
        safety: Safety | None = None,
    ) -> None:
        """Show the coronary-sinus centreline ``(m, 3)`` mm as a thin blue-violet tube and the
        circumflex artery ``(k, 3)`` mm as a red one; with ``safety`` (of the device shown),
        the artery turns yellow where it runs closer to the device than the threshold and the
        closest approach is marked and labelled. None hides either.

        A percutaneous device itself comes with its result (:meth:`set_result`): its wire as
        a steel tube, its anchors as cubes coloured by force, the vein where it took it.
        """
        self._device.set_path(None if cs_path is None else np.asarray(cs_path, float))
        self._artery = None if artery is None else np.asarray(artery, float)
        self._safety = safety
        self._device.set_artery(self._artery, safety)
        self._renderer.ResetCameraClippingRange()

    def _show_device(self, result: AnnuloplastyResult | None) -> None:
        outcome = None if result is None else result.device
        if outcome is None or result is None:
            self._device.set_device(None)
        else:
            warned = [
                any(w.startswith(f"anchor {name} ") for w in outcome.warnings)
                for name in outcome.anchor_names
            ]
            self._device.set_device(
                result.ring_after_valve,
                outcome.anchor_points_valve,
                outcome.anchor_forces_n,
                names=tuple(outcome.anchor_names),
                warned=warned,
                vein_after=outcome.vein_after_valve,
            )
        # The artery's colours are of its distance to the device drawn.
        self._device.set_artery(self._artery, self._safety)

    @property
    def device_layer(self) -> DeviceLayer:
        """The coronary sinus, device and artery layer (tests read what it draws)."""
        return self._device

    def set_landmark_position(self, name: str, u: float) -> None:
        """Move landmark ``name``'s sphere and label to native curve parameter ``u`` (while
        the user drags it; the annulus itself is unchanged until :meth:`set_annulus`).

        Raises
        ------
        InputError
            No annulus shown, or ``name`` is not one of its landmarks.
        """
        annulus = self.annulus
        if annulus is None or name not in annulus.landmarks:
            raise InputError(f"no landmark {name!r} is shown")
        point = annulus.to_valve_frame.apply(annulus.curve.evaluate(float(u) % 1.0))
        self._annulus.move_landmark(name, np.asarray(point).reshape(3))

    def landmark_position(self, name: str) -> FloatArray | None:
        """Where landmark ``name`` is drawn ``(3,)``, valve frame, mm (None if not shown)."""
        position = self._annulus.positions.get(name)
        return None if position is None else position.copy()

    def clear(self) -> None:
        """Hide everything (the actors stay in the renderer, ready for new content)."""
        self.set_result(None)
        self.set_ring(None, None)
        self.set_vessels(None, None)
        self.set_annulus(None)

    def remove(self) -> None:
        """Take the scene's props out of its renderer (when the scene is discarded)."""
        for prop in self._props:
            self._renderer.RemoveViewProp(prop)

    @property
    def props(self) -> tuple[vtkProp, ...]:
        """Every prop the scene added to its renderer (fixed for the scene's life)."""
        return self._props

    # -- camera --------------------------------------------------------------------------

    def set_view(self, name: str) -> None:
        """Point the camera along a preset of :data:`~mvplan.render.camera.VIEWS`
        (``atrial``, ``lateral``, ``ap``) and frame the scene.

        Raises
        ------
        InputError
            An unknown view name.
        """
        self.view = check_view(name)
        apply_view(self._renderer, self.view, self.bounds(), self._outline())
        self._framed = self.annulus is not None

    def _outline(self) -> FloatArray:
        """Points ``(m, 3)`` mm outlining what is shown, for framing: the annulus and plane
        rim, the landmarks and the ring, each widened by its tube's radius along z."""
        parts = [np.zeros((0, 3))]
        annulus = self._annulus
        if annulus.annulus is not None:
            radius = annulus._disc_source.GetRadius()
            t = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
            parts += [annulus.points, np.c_[radius * np.cos(t), radius * np.sin(t), 0 * t]]
            parts += list(annulus.positions.values())
        ring = self._result.ring_points if self.result is not None else self._ring.centreline()
        parts.append(ring)
        if self.result is not None:
            parts.append(np.asarray(self.result.annulus_after_valve))
        parts.append(self._device.points())
        points = np.vstack([np.reshape(p, (-1, 3)) for p in parts])
        lift = np.array([0.0, 0.0, 2.0])
        return np.vstack([points + lift, points - lift]) if points.size else points

    def bounds(self) -> tuple[float, ...]:
        """``(xmin, xmax, ymin, ymax, zmin, zmax)`` mm of the scene's visible 3D actors
        (``(1, -1, 1, -1, 1, -1)`` when nothing is shown)."""
        boxes = [
            prop.GetBounds()
            for prop in self._props
            if prop.GetVisibility() and prop.IsA("vtkActor") and prop.GetBounds() is not None
        ]
        boxes = [b for b in boxes if b[0] <= b[1]]
        if not boxes:
            return (1.0, -1.0, 1.0, -1.0, 1.0, -1.0)
        arr = np.array(boxes, dtype=float)
        out: list[float] = []
        for axis in range(3):
            out += [float(arr[:, 2 * axis].min()), float(arr[:, 2 * axis + 1].max())]
        return tuple(out)

    @staticmethod
    def orientation_marker_actor() -> vtkProp:
        """A new cube labelled with the anatomical directions of the valve frame (A/P,
        LA/LV, AL/PM) for a ``vtkOrientationMarkerWidget``."""
        return orientation_marker_actor()

    # -- picking -------------------------------------------------------------------------

    def world_to_display(self, points: npt.ArrayLike) -> FloatArray | None:
        """Display coordinates ``(n, 3)`` (x, y pixels from the lower left; depth) of
        valve-frame points ``(n, 3)`` mm (:func:`mvplan.render.projection.world_to_display`)."""
        return world_to_display(self._renderer, points)

    def landmark_at(self, x: int, y: int, tolerance_px: float = 10) -> str | None:
        """The landmark whose sphere is drawn within ``tolerance_px`` of display point
        ``(x, y)`` (nearest first), or None."""
        names = [n for n in self._annulus.positions if self._annulus.spheres[n].GetVisibility()]
        if not names:
            return None
        centres = np.array([self._annulus.positions[n] for n in names])
        display = self.world_to_display(centres)
        if display is None:
            return None
        radius = self._pixels_per_mm(centres) * 0.5 * LANDMARK_DIAMETER_MM
        distance = np.hypot(display[:, 0] - x, display[:, 1] - y)
        hit = np.isfinite(distance) & (distance <= tolerance_px + radius)
        if not hit.any():
            return None
        candidates = np.flatnonzero(hit)
        # Overlapping spheres: the one whose centre is nearest the cursor, then the nearer one.
        best = candidates[np.lexsort((display[candidates, 2], distance[candidates]))[0]]
        return names[int(best)]

    def ring_at(self, x: int, y: int, tolerance_px: float = 10) -> bool:
        """Whether display point ``(x, y)`` is on the drawn ring (within ``tolerance_px`` of
        its tube)."""
        if self.result is not None:
            centre, half = self._result.ring_points, self._result.ring_half_width
        else:
            centre, half = self._ring.centreline(), self._ring.half_width()
        closed = self._ring.spec is None or self._ring.spec.closed
        if centre.shape[0] < 2:
            return False
        display = self.world_to_display(centre)
        if display is None:
            return False
        found = nearest_on_polyline(display, x, y, closed)
        if found is None:
            return False
        index, _, distance = found
        radius = self._pixels_per_mm(centre[index : index + 1])[0] * half
        return bool(distance <= tolerance_px + radius)

    def curve_parameter_at(self, x: int, y: int) -> float | None:
        """The native annulus curve parameter ``u`` in [0, 1) of the curve point drawn
        nearest display point ``(x, y)`` (where the curve crosses itself on screen, the part
        nearer the camera); None without an annulus or a sized window."""
        points = self._annulus.points
        if points.shape[0] < 2:
            return None
        display = self.world_to_display(points)
        if display is None:
            return None
        found = nearest_on_polyline(display, x, y, closed=True)
        if found is None:
            return None
        index, t, _ = found
        # The curve's points are equally spaced in arc length: point i is at u = i / n.
        return float(((index + t) / points.shape[0]) % 1.0)

    def display_to_plane(self, x: int, y: int) -> FloatArray | None:
        """The valve-frame point ``(3,)`` mm where the view ray through display point
        ``(x, y)`` meets the annulus plane z = 0; None if the ray misses it (seen edge-on,
        or the plane is behind the camera) or there is no sized window."""
        ray = display_ray(self._renderer, float(x), float(y))
        if ray is None:
            return None
        return ray_plane_z(*ray, z=0.0)

    def _pixels_per_mm(self, points: FloatArray) -> FloatArray:
        """Screen size ``(n,)`` in pixels of 1 mm across the view at each point."""
        camera = self._renderer.GetActiveCamera()
        up = np.asarray(camera.GetViewUp(), dtype=float)
        up /= np.linalg.norm(up)
        ends = self.world_to_display(np.vstack([points, points + up]))
        if ends is None:
            return np.zeros(points.shape[0])
        n = points.shape[0]
        size = np.linalg.norm(ends[n:, :2] - ends[:n, :2], axis=1)
        return np.nan_to_num(size)
