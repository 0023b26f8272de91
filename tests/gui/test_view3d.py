"""Direct manipulation in the 3D view: rotate and tilt the ring, slide a landmark, view presets."""

from __future__ import annotations

import numpy as np
import pytest
from gui.helpers import SAMPLE, drag, move_to, on_screen, wait_preview
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from mvplan.gui.pose import pose_parameters
from mvplan.planning import ring_points_in_annulus_frame

pytestmark = pytest.mark.gui


@pytest.fixture
def placed(qtbot, window):  # type: ignore[no-untyped-def]
    """The sample with a rigid ring placed and solved."""
    assert window.open_path(SAMPLE)
    window.document.choose_ring("classic-like", 32.0)
    wait_preview(qtbot, window)
    window.view.render_now()
    return window


def _ring_grip(window, which: str = "posterior") -> np.ndarray:  # type: ignore[no-untyped-def]
    doc = window.document
    ring = ring_points_in_annulus_frame(doc.spec, doc.plan.placement, 64)
    index = np.argmin(ring[:, 1]) if which == "posterior" else np.argmax(ring[:, 0])
    return ring[index]


def test_shift_drag_rotates_and_ctrl_drag_tilts(qtbot, placed) -> None:  # type: ignore[no-untyped-def]
    window, doc = placed, placed.document
    before = pose_parameters(doc.plan.placement)
    # Shift-drag the ring's PMC side (3 o'clock) upward: counter-clockwise seen from the atrium.
    start = on_screen(window, _ring_grip(window, "right"))
    drag(
        window.view.vtk_widget,
        start,
        start + QPoint(0, -40),
        modifier=Qt.KeyboardModifier.ShiftModifier,
    )
    turned = pose_parameters(doc.plan.placement)
    assert doc.undo_text() == "Rotate ring"
    assert turned.rotation_deg > before.rotation_deg + 5
    assert np.hypot(turned.x_mm - before.x_mm, turned.y_mm - before.y_mm) < 1e-6  # about its centre
    assert turned.tilt_cc_deg == pytest.approx(before.tilt_cc_deg, abs=1e-9)
    window.view.render_now()
    wait_preview(qtbot, window)
    # Ctrl-drag downward by 40 px tilts about the commissural axis by 10 degrees.
    start = on_screen(window, _ring_grip(window))
    drag(
        window.view.vtk_widget,
        start,
        start + QPoint(0, 40),
        modifier=Qt.KeyboardModifier.ControlModifier,
    )
    tilted = doc.plan.placement
    assert doc.undo_text() == "Tilt ring"
    normal_angle = np.degrees(np.arccos(np.clip(tilted.ring_normal[2], -1, 1)))
    assert normal_angle == pytest.approx(10.0, abs=0.5)
    wait_preview(qtbot, window)
    # Escape abandons a drag in progress: nothing is committed.
    steps = len(doc.history)
    start = on_screen(window, _ring_grip(window))
    widget = window.view.vtk_widget
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    move_to(widget, start + QPoint(30, 0))
    assert doc.transient_placement is not None
    QTest.keyClick(widget, Qt.Key.Key_Escape)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    assert doc.transient_placement is None
    assert len(doc.history) == steps


def test_drag_a_landmark_along_the_annulus(qtbot, placed) -> None:  # type: ignore[no-untyped-def]
    window, doc = placed, placed.document
    table = window.measurements_panel
    annulus = doc.annulus
    u_a = annulus.landmarks["A"].u
    ap_before = table.cell("ap_diameter_mm", "Native")
    # A's glyph sits on the curve; drag it to the curve point 6 % of the perimeter further on.
    glyph = on_screen(window, annulus.to_valve_frame.apply(annulus.landmark_point("A")))
    target_u = (u_a + 0.06) % 1.0
    target = on_screen(window, annulus.to_valve_frame.apply(annulus.curve.evaluate(target_u)))
    widget = window.view.vtk_widget
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, glyph)
    move_to(widget, target)
    # The measurements follow while the button is held (measured off the GUI thread).
    qtbot.waitUntil(lambda: table.cell("ap_diameter_mm", "Native") != ap_before, timeout=10_000)
    assert doc.annulus is annulus  # nothing committed yet
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    moved = doc.annulus
    assert moved is not annulus
    assert doc.undo_text() == "Move landmark A"
    assert moved.landmarks["A"].given
    assert abs(((moved.landmarks["A"].u - target_u + 0.5) % 1.0) - 0.5) < 0.01
    assert table.cell("ap_diameter_mm", "Native") != ap_before
    # The ring stays where it was sewn in the scanner frame although the valve frame turned.
    ring_before = annulus.to_valve_frame.inverse().apply(
        doc.history[-2].plan.placement.pose.translation
    )
    ring_after = moved.to_valve_frame.inverse().apply(doc.plan.placement.pose.translation)
    assert np.allclose(ring_before, ring_after, atol=1e-9)
    wait_preview(qtbot, window)
    window.document_undo()
    assert doc.annulus is annulus
    assert table.cell("ap_diameter_mm", "Native") == ap_before


def test_view_presets_by_shortcut(qtbot, placed) -> None:  # type: ignore[no-untyped-def]
    window = placed
    camera = window.view.renderer.GetActiveCamera()
    directions = {}
    for key, name in ((Qt.Key.Key_2, "lateral"), (Qt.Key.Key_3, "ap"), (Qt.Key.Key_1, "atrial")):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.view.view_name == name
        directions[name] = np.array(camera.GetDirectionOfProjection())
    # The surgeon's view looks down the annulus normal (from the atrium: along -z).
    assert directions["atrial"][2] == pytest.approx(-1.0, abs=1e-6)
    assert abs(directions["lateral"][2]) < 1e-6
    assert abs(directions["ap"] @ directions["lateral"]) < 1e-6


def test_frames_blend_translucency_without_depth_peeling(placed) -> None:  # type: ignore[no-untyped-def]
    view = placed.view
    # A solved ring over the plane disc: two translucent layers, for which the scene asks for
    # depth peeling (exports keep it); the window blends them order-independently instead.
    assert placed.document.preview.result is not None
    view.scene.set_result(placed.document.preview.result)
    assert view.renderer.GetUseDepthPeeling()
    view.render_now(still=False)
    assert not view.renderer.GetUseDepthPeeling() and not view.renderer.GetUseFXAA()
    assert not view.renderer.GetUseOIT()  # interactive: drawing order
    view.render_now(still=True)
    assert not view.renderer.GetUseDepthPeeling() and view.renderer.GetUseFXAA()
    assert view.renderer.GetUseOIT()
