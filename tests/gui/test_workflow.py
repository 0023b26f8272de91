"""The whole workflow driven like a user: open, read, choose a ring, move it, undo, save, reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui.helpers import SAMPLE, click_family, drag, on_screen, wait_preview
from PySide6.QtCore import Qt

from mvplan.geometry.measurements import measure
from mvplan.gui.pose import pose_parameters
from mvplan.io.load import load_annulus
from mvplan.planfile import load_plan
from mvplan.planning import ring_points_in_annulus_frame

pytestmark = pytest.mark.gui


def test_open_choose_move_undo_save_reopen(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    # Open the sample and read the measurement table.
    assert window.open_path(SAMPLE)
    expected = measure(load_annulus(SAMPLE))
    table = window.measurements_panel
    assert table.cell("commissural_width_mm", "Native") == f"{expected['commissural_width_mm']:.1f}"
    assert table.cell("ap_diameter_mm", "Native") == f"{expected['ap_diameter_mm']:.1f}"
    assert table.cell("ap_diameter_mm", "With ring") == ""

    # Choose a ring in the catalogue panel: filter to complete rings, click it, place it.
    panel = window.catalogue_panel
    panel.type_filter.setCurrentText("Ring")
    assert "cosgrove-band-like" not in panel.visible_families()
    click_family(qtbot, panel.tree, "physio-like")
    assert panel.selected_family().id == "physio-like"
    assert "recommended" in panel.size_combo.currentText()
    assert "Recommended" in panel.reason_label.text()
    qtbot.mouseClick(panel.place_button, Qt.MouseButton.LeftButton)
    assert doc.plan.ring.family == "physio-like"
    wait_preview(qtbot, window)
    after_auto = doc.preview.result
    with_ring = float(table.cell("ap_diameter_mm", "With ring"))
    assert with_ring < expected["ap_diameter_mm"] - 1.0  # the ring pulls A and P together
    assert window.result_panel.table.rowCount() == len(doc.plan.placement.sutures)
    assert "residual" in window.solver_label.text()

    # Move the ring through the 3D view: grab it on its posterior side, drag 40 px right.
    window.view.render_now()
    spec, placement = doc.spec, doc.plan.placement
    ring = ring_points_in_annulus_frame(spec, placement, 64)
    grip = ring[np.argmin(ring[:, 1])]  # the posterior-most point of the ring
    start = on_screen(window, grip)
    before = pose_parameters(placement)
    history = len(doc.history)
    drag(window.view.vtk_widget, start, start + type(start)(40, 0))
    moved = pose_parameters(doc.plan.placement)
    assert len(doc.history) == history + 1  # one undo step for the whole drag
    assert doc.undo_text() == "Move ring"
    assert moved.x_mm > before.x_mm + 1.0  # the atrial view has +x to the right
    assert abs(moved.y_mm - before.y_mm) < 0.5
    assert moved.rotation_deg == pytest.approx(before.rotation_deg, abs=1e-6)
    wait_preview(qtbot, window)
    assert doc.preview.result is not after_auto
    assert window.placement_panel.fields["x_mm"].value() == pytest.approx(moved.x_mm, abs=0.06)

    # Move it through the placement fields: type a new y shift and press Enter.
    field = window.placement_panel.fields["y_mm"]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field.lineEdit(), "3.5")
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Return)
    assert pose_parameters(doc.plan.placement).y_mm == pytest.approx(3.5)
    assert pose_parameters(doc.plan.placement).x_mm == pytest.approx(moved.x_mm)
    wait_preview(qtbot, window)
    shifted_result = doc.preview.result
    assert shifted_result.ring_before_valve[:, 1].mean() > ring[:, 1].mean()

    # Undo (Ctrl+Z) goes back to the dragged pose and its answer, at once (kept per plan).
    window.view.vtk_widget.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pose_parameters(doc.plan.placement).y_mm == pytest.approx(moved.y_mm)
    assert window.placement_panel.fields["y_mm"].value() == pytest.approx(moved.y_mm, abs=0.06)
    wait_preview(qtbot, window)
    # ... and redo (Ctrl+Shift+Z) returns to the typed one.
    qtbot.keyClick(
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert pose_parameters(doc.plan.placement).y_mm == pytest.approx(3.5)
    wait_preview(qtbot, window)
    assert doc.preview.result is shifted_result
    shown = {key: table.cell(key, "With ring") for key in ("ap_diameter_mm", "perimeter_mm")}

    # Save, then reopen in the same window: the same plan, the same answer.
    target = tmp_path / "plan.mvplan.json"
    assert window.save_to(target)
    assert not doc.modified
    saved = load_plan(target)
    assert saved.results is not None  # the converged answer of exactly this plan
    assert window.open_path(target)
    reopened = doc.plan
    assert reopened.ring == saved.ring
    assert np.array_equal(reopened.placement.pose.matrix, saved.placement.pose.matrix)
    assert [s.annulus_u for s in reopened.placement.sutures] == [
        s.annulus_u for s in saved.placement.sutures
    ]
    wait_preview(qtbot, window)
    assert {key: table.cell(key, "With ring") for key in shown} == shown
    assert window.windowTitle().startswith("plan.mvplan.json")
