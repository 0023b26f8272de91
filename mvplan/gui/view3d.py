"""The 3D view: a VTK render window in the Qt window, hosting :class:`mvplan.render.PlanScene`.

Everything drawn is in the annulus valve frame (mm) and built by ``mvplan.render``; this
module only hosts it and turns mouse gestures into document calls.

Interaction (left button; the camera keeps VTK's trackball everywhere else):

- on the ring: drag moves it in the annulus plane (the picked point follows the cursor
  across the plane, :meth:`PlanScene.display_to_plane`); **Shift**-drag turns it about the
  annulus normal through its centre; **Ctrl**-drag tilts it (up and down about its
  commissural axis, left and right about its A-P axis, 0.25 degree per pixel);
- on a landmark glyph: drag slides it along the annulus (:meth:`PlanScene.curve_parameter_at`);
  the measurements follow while the button is held.

The closed leaflets of the document's leaflet closure (:mod:`mvplan.render.leaflets`) are drawn
in the same view, coloured as the closure panel chooses; once they no longer match the plan
they turn plain grey with a note saying so, and they are not drawn at all once the annulus
itself changed (its valve frame moved with it).

Frames drawn while things change (drags, camera turns, each new pose and preview) leave out
FXAA; once the view has been still for :data:`STILL_DELAY_MS` and no solve is running it is
drawn once more with it. Translucent layers (the plane disc, a simulated ring over it) are
blended by VTK's order-independent translucency in the still frame, never depth peeling:
measured at 568 x 726 in software OpenGL off screen, a still frame took 29-37 ms with it
against 55-67 ms with four peels, and the two pictures differed by 0.04-0.13 of 255 per
pixel on average (atrial and oblique views). Interactive frames blend them in drawing order
(0.05 of 255 from the peeled picture): 22 ms a frame against 29 with order-independent
blending (15 ms with no translucent layer at all). Exports and the report, which no one waits
on frame by frame, keep the scene's depth peeling. During a drag the document holds a
transient placement or landmark (previewed, not committed); the release commits it as one undo
step. Escape abandons a drag.

A percutaneous device (:mod:`mvplan.render.device`) has no pose to drag: the view draws the
plan's coronary-sinus path and circumflex artery, and with the preview's answer the device's
wire where the cinch took it, its anchors coloured by force and the artery coloured by the
plan's compression threshold (:meth:`PlanDocument.safety`).

A frame of a moving annulus (:attr:`PlanDocument.shown_frame`, the cycle panel's) is drawn in
place of the plan's annulus, in its own valve frame, with its predicted device result when it
has one; the ring cannot be dragged and the leaflets (closed on the plan's annulus) are hidden
until the plan is shown again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import vtkmodules.vtkInteractionStyle
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401 (the OpenGL back end)
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QImage, QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkCommonCore import vtkCommand
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkInteractionWidgets import vtkOrientationMarkerWidget
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkTextActor

from mvplan.errors import MvplanError
from mvplan.geometry.annulus import Annulus
from mvplan.gui.closure import leaflet_picture
from mvplan.gui.document import PlanDocument
from mvplan.planning import Placement, rotated_about_normal, tilted, translated
from mvplan.render import LeafletLayer, PlanScene, grab_image
from mvplan.render.camera import apply_view
from mvplan.workflow import ClosureCase

#: Tilt per pixel of a Ctrl-drag, degrees.
TILT_DEG_PER_PX = 0.25

#: After the last change, and once no drag or solve is under way, the view is drawn again at
#: full quality this much later, ms.
STILL_DELAY_MS = 300

#: Longest pause between two frames while things change, ms (:meth:`PlanView.request_render`).
MAX_FRAME_GAP_MS = 60

#: Shortest wait from handling the change that asked for a frame to drawing it, ms: longer
#: than the event loop's own 5 ms timers and than the panels' repaint after a pose edit
#: (4-15 ms while a solve runs), so that whatever came due meanwhile runs before the frame
#: rather than with it (:meth:`PlanView.request_render`). While the hand moves, frames are
#: spaced by their own length (20-30 ms in software OpenGL) anyway.
MIN_FRAME_DELAY_MS = 16

#: What the 3D view says under leaflets that no longer match the plan.
STALE_NOTE = "Leaflet closure out of date: Simulate closure again (Ctrl+L)"
STALE_ANNULUS_NOTE = "The annulus changed: Simulate closure again (Ctrl+L) to see the leaflets"


class _Drag:
    """A gesture in progress."""

    def __init__(self, kind: str, x: int, y: int) -> None:
        self.kind = kind  # "move", "rotate", "tilt" or "landmark"
        self.x0, self.y0 = x, y
        self.start_plane: np.ndarray | None = None
        self.start_placement: Placement | None = None
        self.landmark = ""
        self.u: float | None = None
        self.moved = False


def _hint_actor(colour: tuple[float, float, float]) -> vtkTextActor:
    """What an empty view says, centred."""
    actor = vtkTextActor()
    actor.SetInput("Open an annulus or a plan (Ctrl+O),\nor drop a file here")
    prop = actor.GetTextProperty()
    prop.SetFontSize(18)
    prop.SetColor(*colour)
    prop.SetOpacity(0.75)
    prop.SetJustificationToCentered()
    prop.SetVerticalJustificationToCentered()
    actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    actor.SetPosition(0.5, 0.5)
    return actor


class PlanView(QWidget):
    """The 3D view of the document's plan (module docstring)."""

    def __init__(
        self,
        document: PlanDocument,
        report: Callable[[BaseException], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._report = report
        self.vtk_widget = QVTKRenderWindowInteractor(self)
        self.vtk_widget.setObjectName("vtkView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.vtk_widget)
        self.render_window = self.vtk_widget.GetRenderWindow()
        # Off screen (OSMesa) a multisampled window renders its 3D actors black; the scene's
        # FXAA smooths edges in every context instead.
        self.render_window.SetMultiSamples(0)
        self.renderer = vtkRenderer()
        self.render_window.AddRenderer(self.renderer)
        self.scene = PlanScene(self.renderer)
        self.leaflets = LeafletLayer(self.scene.theme)
        for prop in self.leaflets.props():
            self.renderer.AddViewProp(prop)
        self._leaflet_case: ClosureCase | None = None
        self._hint = _hint_actor(self.scene.theme.text)
        self.renderer.AddViewProp(self._hint)
        self.interactor = self.render_window.GetInteractor()
        style = vtkInteractorStyleTrackballCamera()
        self.interactor.SetInteractorStyle(style)
        # Until the user turns the camera, a resize frames the preset view again.
        self._camera_touched = False
        style.AddObserver(vtkCommand.StartInteractionEvent, self._on_camera_touched)
        style.AddObserver(vtkCommand.EndInteractionEvent, self._on_camera_released)
        self._marker = vtkOrientationMarkerWidget()
        self._marker.SetOrientationMarker(self.scene.orientation_marker_actor())
        self._marker.SetInteractor(self.interactor)
        # Top right: the colour legends take the left and right edges lower down.
        self._marker.SetViewport(0.86, 0.80, 1.0, 1.0)
        self._marker_on = False
        self._drag: _Drag | None = None
        self._annulus: Annulus | None = None
        self._view = "atrial"
        self._render_pending = False
        self._closed = False
        self._last_frame = 0.0
        #: Wall time of the last frames drawn, ms (benchmarks read it).
        self.frame_ms: list[float] = []
        self._shown_result: object | None = None  # the preview result the scene draws
        self._vessels_shown = False  # a CS path or an artery drawn (framed once)
        self._still = True
        self._interacting = False
        self._still_timer = QTimer(self)
        self._still_timer.setSingleShot(True)
        self._still_timer.setInterval(STILL_DELAY_MS)
        self._still_timer.timeout.connect(self._render_still)
        self.vtk_widget.installEventFilter(self)
        self.vtk_widget.Initialize()
        document.plan_changed.connect(self._on_plan_changed)
        document.transient_changed.connect(self._on_transient)
        document.preview_changed.connect(self._on_preview)
        document.closure_changed.connect(self._on_closure)
        document.frame_changed.connect(self._on_frame)
        if document.annulus is not None:
            self._on_plan_changed("open")
        if document.closure.outcome is not None:
            self._on_closure()

    # -- public -----------------------------------------------------------------------------

    def set_view(self, name: str) -> None:
        """Camera preset: ``atrial`` (the surgeon's view), ``lateral`` or ``ap``; framing the
        closed leaflets and chordae too when they are shown."""
        self._view = name
        self.scene.set_view(name)
        if self.leaflets.visible and self.document.annulus is not None:
            apply_view(self.renderer, name, self._bounds_with_leaflets(), self._outline())
        self._camera_touched = False
        self.request_render()

    def _outline(self) -> np.ndarray:
        """Points ``(n, 3)`` mm to frame: the annulus (widened along z, as the scene frames
        it), the leaflets and the papillary tips."""
        annulus = self.document.annulus
        parts = [self.leaflets.points]
        if annulus is not None:
            points = np.asarray(annulus.points_valve)
            lift = np.array([0.0, 0.0, 2.0])
            parts += [points + lift, points - lift]
        picture = self.leaflets.picture
        if picture is not None and self.leaflets.show_chords:
            parts.append(np.asarray(picture.chords).reshape(-1, 3))
        return np.vstack(parts)

    def _bounds_with_leaflets(self) -> tuple[float, ...]:
        box = np.asarray(self.scene.bounds(), dtype=float).reshape(3, 2)
        points = self._outline()
        if points.size:
            low, high = points.min(axis=0), points.max(axis=0)
            if np.all(box[:, 0] <= box[:, 1]):
                low, high = np.minimum(low, box[:, 0]), np.maximum(high, box[:, 1])
            box = np.c_[low, high]
        return tuple(float(v) for v in box.reshape(-1))

    @property
    def view_name(self) -> str:
        return self._view

    def reset_view(self) -> None:
        self.set_view(self._view)

    def request_render(self) -> None:
        """Draw when control returns to the event loop (many updates, one frame), at
        interactive quality; at full quality once the view is still (module docstring).

        Frames are spaced so that the event loop gets at least as much time as drawing
        takes: after a frame of ``d`` ms the next waits until ``d`` ms have passed (capped at
        :data:`MAX_FRAME_GAP_MS`). With a GPU (frames of a few ms) that is no wait at all; in
        software OpenGL (20-45 ms) it keeps the interface answering while the hand moves.

        A frame also waits at least :data:`MIN_FRAME_DELAY_MS`, counted from when the change
        that asked for it has been handled: the request comes in the middle of handling a
        change (a pose edit, a preview's answer), and the panels that refresh after it take
        4-15 ms more (more while a solve runs beside them). Drawn at once, or after a wait
        counted from the request, the frame followed that work in the same stretch and the
        event loop did not answer for their sum (up to 75 ms measured); after the wait,
        timers and input that came due meanwhile run first, and the loop is held for the
        longer of the two instead."""
        self._set_quality(still=False)
        if not self._render_pending:
            self._render_pending = True
            # The wait starts once the change has been handled (a zero timer runs when
            # control is back in the event loop), not at the request.
            QTimer.singleShot(0, self._schedule_frame)
        self._still_timer.start()

    def _schedule_frame(self) -> None:
        since = 1e3 * (time.perf_counter() - self._last_frame)
        gap = min(self.frame_ms[-1], MAX_FRAME_GAP_MS) if self.frame_ms else 0.0
        delay = max(MIN_FRAME_DELAY_MS, round(gap - since))
        QTimer.singleShot(delay, self.render_now)

    def render_now(self, still: bool | None = None) -> None:
        """Draw now (``still``: at full quality, or interactive; None: as set); nothing once
        the view is closed (a frame asked for earlier must not bring VTK's window back)."""
        self._render_pending = False
        if self._closed:
            return
        if still is not None:
            self._still = still
        self._apply_quality()
        if not self._marker_on and self.document.annulus is not None:
            self._marker.SetEnabled(1)
            self._marker.InteractiveOff()
            self._marker_on = True
        start = time.perf_counter()
        self.render_window.Render()
        self._last_frame = time.perf_counter()
        self.frame_ms.append(1e3 * (self._last_frame - start))
        del self.frame_ms[:-200]

    @property
    def still(self) -> bool:
        """Whether the last frame was drawn at full quality."""
        return self._still

    def _set_quality(self, still: bool) -> None:
        self._still = still
        self._apply_quality()

    def _apply_quality(self) -> None:
        # FXAA costs a quarter of a frame in software OpenGL: interactive frames go without
        # it, as ParaView's interactive renders do. Depth peeling, which the scene turns on
        # for two translucent layers, would double the still frame (module docstring):
        # order-independent translucency blends them instead, and interactive frames blend
        # them in drawing order (29 -> 22 ms a frame; the layers barely overlap on screen).
        self.renderer.SetUseDepthPeeling(False)
        self.renderer.SetUseOIT(self._still)
        self.renderer.SetUseFXAA(self._still)

    def _render_still(self) -> None:
        if self._closed:
            return
        busy = self._drag is not None or self._interacting or self.document.transient_placement
        if busy or self.document.preview.status == "solving":
            self._still_timer.start()  # not yet: the hand or the solver is still at work
            return
        if not self._still:
            self.render_now(still=True)

    def grab_image(self) -> QImage:
        """The 3D view as an image (``QWidget.grab`` shows VTK's area black), drawn at full
        quality."""
        self.render_now(still=True)
        pixels = np.ascontiguousarray(grab_image(self.render_window))
        height, width = pixels.shape[:2]
        image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        return image.copy()  # own the pixels: the array goes away

    def display_position(self, point: QPoint) -> tuple[int, int]:
        """VTK display coordinates (pixels, y up) of a point in widget coordinates."""
        scale = self.vtk_widget.devicePixelRatioF()
        return round(point.x() * scale), round((self.vtk_widget.height() - point.y() - 1) * scale)

    def widget_position(self, x: float, y: float) -> QPoint:
        """Widget coordinates of VTK display coordinates (inverse of display_position)."""
        scale = self.vtk_widget.devicePixelRatioF()
        return QPoint(round(x / scale), round(self.vtk_widget.height() - 1 - y / scale))

    def close_view(self) -> None:
        """Release VTK's window (call before the widget goes)."""
        self._closed = True
        self._still_timer.stop()
        self._marker.SetEnabled(0)
        self.vtk_widget.Finalize()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._camera_touched and self.document.annulus is not None:
            QTimer.singleShot(0, lambda: self.set_view(self._view))

    def _on_camera_touched(self, *_args: object) -> None:
        self._camera_touched = True
        self._interacting = True
        self._set_quality(still=False)

    def _on_camera_released(self, *_args: object) -> None:
        self._interacting = False
        self._still_timer.start()

    # -- document -> scene -------------------------------------------------------------------

    def _on_plan_changed(self, reason: str) -> None:
        doc = self.document
        annulus = doc.annulus
        self._hint.SetVisibility(annulus is None)
        if annulus is None:
            self.scene.clear()
            self._annulus = None
            self._shown_result = None
            self._vessels_shown = False
            self.request_render()
            return
        if annulus is not self._annulus or reason == "revert":
            self.scene.set_annulus(annulus)
            self._shown_result = None
            first = self._annulus is None or reason == "open"
            self._annulus = annulus
            if first:
                self.scene.set_view(self._view)
        self.scene.set_ring(doc.spec, doc.placement)
        self._on_preview()
        self._show_vessels()
        if reason == "revert":
            self._on_closure()  # a drag abandoned: the repaired valve answers again

    def _on_closure(self) -> None:
        """Draw the closure's chosen valve in the chosen colours; grey with a note once it
        no longer matches the plan; not at all once the annulus changed (module
        docstring)."""
        doc = self.document
        if doc.shown_frame is not None:
            self._hide_leaflets()  # closed on the plan's annulus, not on this frame
            return
        shown = doc.closure
        case = doc.shown_closure_case()
        plan = doc.plan
        same_annulus = (
            shown.plan is not None and plan is not None and shown.plan.annulus is plan.annulus
        )
        was_visible = self.leaflets.visible
        if case is None or shown.outcome is None or not same_annulus:
            if self._leaflet_case is not None:
                self.leaflets.set(None)
                self._leaflet_case = None
            note = STALE_ANNULUS_NOTE if case is not None and plan is not None else ""
            self.leaflets.set_stale(False, note)
        else:
            if case is not self._leaflet_case:
                self.leaflets.set(leaflet_picture(shown.outcome, case))
                self._leaflet_case = case
            self.leaflets.set_quantity(doc.closure_colour)
            name = doc.closure_case or "native"
            current = doc.closure_current(name)
            # While the ring is dragged, the repaired valve is of the pose it left.
            current = current and not (name == "repaired" and doc.transient_placement)
            self.leaflets.set_stale(not current, "" if current else STALE_NOTE)
        if self.leaflets.visible and not was_visible and not self._camera_touched:
            self.set_view(self._view)  # frame the leaflets and chordae too
        self.request_render()

    def _hide_leaflets(self) -> None:
        if self._leaflet_case is not None:
            self.leaflets.set(None)
            self._leaflet_case = None
        self.leaflets.set_stale(False, "")
        self.request_render()

    def _on_frame(self) -> None:
        """Draw the cycle's frame on show, or the plan again once none is (module
        docstring)."""
        doc = self.document
        frame = doc.shown_frame
        if frame is None:
            self._on_plan_changed("frame")
            self._on_closure()
            return
        if frame.annulus is not self._annulus:
            self.scene.set_annulus(frame.annulus)
            self._annulus = frame.annulus
        # Without a prediction the plan's ring has no pose on this frame: none is drawn.
        placement = doc.placement if frame.result is not None else None
        self.scene.set_ring(doc.spec, placement)
        self.scene.set_result(frame.result)
        self._shown_result = frame.result
        self.scene.set_vessels(None, None)  # the plan's vessels are in the plan's frame
        self._vessels_shown = False
        self._hide_leaflets()

    def _on_transient(self) -> None:
        doc = self.document
        if doc.shown_frame is not None:
            return
        if doc.transient_placement is not None:
            self.scene.set_ring(doc.spec, doc.transient_placement)
            self._on_preview()
            if not self.leaflets.stale and self._leaflet_case is not None:
                self._on_closure()
        if doc.transient_landmark is not None:
            name, u = doc.transient_landmark
            self.scene.set_landmark_position(name, u)
        self.request_render()

    def _on_preview(self) -> None:
        """Draw the preview's result. While the ring is dragged it follows the hand: a
        result is drawn only once it is of the pose under the cursor (the hand paused);
        the panels show every intermediate answer. While a new solve runs the last answer
        stays drawn; after a failed one the ring is drawn as placed."""
        doc = self.document
        if doc.shown_frame is not None:
            return  # the frame's own result is drawn, not the plan's preview
        preview = doc.preview
        plan = doc.plan
        result = preview.result if doc.spec is not None or doc.device_family else None
        if result is not None and plan is not None and (result.device is None) == plan.has_device:
            # An earlier answer of a ring for a device (or the other way) is not this plan's.
            result = None
        if doc.transient_placement is not None and not preview.current:
            result = None
        if preview.status == "failed" and not preview.current:
            # Show the pose that failed (the panels keep the last good numbers, greyed):
            # the earlier answer drawn here would put the ring where the fields say it is not.
            result = None
        if result is not self._shown_result or self._shown_result is None:
            # The same answer again (a change of plan that the solver has not answered yet)
            # needs no new geometry: set_result rebuilds its tubes (several ms).
            self.scene.set_result(result)
            self._shown_result = result
            self._show_vessels()
        self.request_render()

    def _show_vessels(self) -> None:
        """Draw the plan's coronary-sinus path and artery, the artery coloured by the
        safety of the device on show (:meth:`PlanDocument.safety`); frame them the first
        time they appear, as long as the user has not turned the camera."""
        doc = self.document
        plan = doc.plan
        if doc.shown_frame is not None:
            return
        cs = None if plan is None or plan.cs_path is None else plan.cs_path.points_valve
        artery = None if plan is None or plan.artery is None else plan.artery.points_valve
        safety = doc.safety() if artery is not None else None
        self.scene.set_vessels(cs, artery, safety)
        shown = cs is not None or artery is not None
        if shown and not self._vessels_shown and not self._camera_touched:
            self.set_view(self._view)  # the CS runs 10-20 mm outside the annulus
        self._vessels_shown = shown

    # -- gestures ---------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.vtk_widget:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if event.button() == Qt.MouseButton.LeftButton:
                return self._press(event)
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if self._drag is not None:
                self._move(event)
                return True
        elif kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
                self._release()
                return True
        elif (
            kind == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and self._drag is not None
            and event.key() == Qt.Key.Key_Escape
        ):
            self._abandon()
            return True
        return False

    def _press(self, event: QMouseEvent) -> bool:
        doc = self.document
        if doc.annulus is None or doc.shown_frame is not None:
            return False  # a frame of a cycle is for looking at: the plan is edited on its own
        x, y = self.display_position(event.position().toPoint())
        name = self.scene.landmark_at(x, y)
        if name is not None:
            drag = _Drag("landmark", x, y)
            drag.landmark = name
            self._drag = drag
            return True
        placement = doc.plan.placement if doc.plan is not None else None
        if placement is None or doc.spec is None or not self.scene.ring_at(x, y):
            return False
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ShiftModifier:
            kind = "rotate"
        elif mods & Qt.KeyboardModifier.ControlModifier:
            kind = "tilt"
        else:
            kind = "move"
        drag = _Drag(kind, x, y)
        drag.start_placement = placement
        drag.start_plane = self.scene.display_to_plane(x, y)
        if kind != "tilt" and drag.start_plane is None:
            return False
        self._drag = drag
        return True

    def _move(self, event: QMouseEvent) -> None:
        drag = self._drag
        assert drag is not None
        x, y = self.display_position(event.position().toPoint())
        if drag.kind == "landmark":
            u = self.scene.curve_parameter_at(x, y)
            if u is not None:
                drag.u, drag.moved = u, True
                self.document.set_transient_landmark(drag.landmark, u)
            return
        placement = self._dragged_placement(drag, x, y)
        if placement is not None:
            drag.moved = True
            try:
                self.document.set_transient_placement(placement)
            except MvplanError as exc:
                self._report(exc)

    def _dragged_placement(self, drag: _Drag, x: int, y: int) -> Placement | None:
        start = drag.start_placement
        assert start is not None
        if drag.kind == "tilt":
            about_cc = -(y - drag.y0) * TILT_DEG_PER_PX
            about_ap = (x - drag.x0) * TILT_DEG_PER_PX
            return tilted(tilted(start, about_cc, "x"), about_ap, "y")
        here = self.scene.display_to_plane(x, y)
        if here is None or drag.start_plane is None:
            return None
        if drag.kind == "move":
            dx, dy = (here - drag.start_plane)[:2]
            return translated(start, float(dx), float(dy), 0.0)
        centre = start.ring_center_mm[:2]
        a, b = drag.start_plane[:2] - centre, here[:2] - centre
        if np.linalg.norm(a) < 1e-6 or np.linalg.norm(b) < 1e-6:
            return None
        angle = np.degrees(np.arctan2(a[0] * b[1] - a[1] * b[0], a @ b))
        return rotated_about_normal(start, float(angle))

    def _release(self) -> None:
        drag = self._drag
        self._drag = None
        if drag is None:
            return
        doc = self.document
        try:
            if drag.kind == "landmark":
                if drag.moved and drag.u is not None:
                    doc.move_landmark(drag.landmark, drag.u)
                else:
                    doc.end_transient()
                return
            placement = doc.transient_placement
            if drag.moved and placement is not None:
                text = {"move": "Move ring", "rotate": "Rotate ring", "tilt": "Tilt ring"}
                doc.commit_placement(placement, text[drag.kind])
            else:
                doc.end_transient()
        except MvplanError as exc:
            self._report(exc)
            self._abandon()

    def _abandon(self) -> None:
        self._drag = None
        self.document.end_transient()


__all__ = [
    "MAX_FRAME_GAP_MS",
    "STALE_ANNULUS_NOTE",
    "STALE_NOTE",
    "STILL_DELAY_MS",
    "TILT_DEG_PER_PX",
    "PlanView",
]
