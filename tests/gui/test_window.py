"""The window around the plan: bad files, failed solves, files by drag and drop, recent files,
the catalogue's filters, notices, screenshots."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from gui.helpers import SAMPLE, SAMPLE_TIPS, click_family, on_screen, wait_preview
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from mvplan.gui.main_window import RESEARCH_NOTICE, SETTING_NOTICE, MainWindow
from mvplan.gui.pose import PoseParameters, pose_parameters
from mvplan.gui.solver_process import SolverProcessError

pytestmark = pytest.mark.gui


def test_a_corrupt_file_says_why_and_keeps_the_plan(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.open_path(SAMPLE)
    window.document.choose_ring("classic-like", 32.0)
    wait_preview(qtbot, window)
    plan, steps = window.document.plan, len(window.document.history)
    corrupt = tmp_path / "scan.csv"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    assert not window.open_path(corrupt)
    box = window.last_message_box
    assert box is not None and box.isVisible()
    assert "scan.csv" in box.text() and "\n" not in box.text()  # one line naming the file
    assert "scan.csv" in window.statusBar().currentMessage()
    box.close()
    assert window.document.plan is plan and len(window.document.history) == steps
    assert window.document.preview.current  # the preview is untouched too
    # A truncated plan file: the same.
    broken = tmp_path / "broken.mvplan.json"
    broken.write_text('{"format": "mvplan-plan", "version": 1, "annulus": {')
    assert not window.open_path(broken)
    assert "broken.mvplan.json" in window.last_message_box.text()
    window.last_message_box.close()
    assert window.document.plan is plan
    assert window.windowTitle().startswith("healthy_annulus.csv")


def test_a_failed_solve_says_why_and_keeps_the_last_good_result(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    assert window.open_path(SAMPLE)
    doc.choose_ring("classic-like", 32.0)
    wait_preview(qtbot, window)
    good = doc.preview.result
    # Lift the ring 14 mm off the annulus: its sutures cannot reach (the solver refuses).
    params = pose_parameters(doc.plan.placement)
    window.placement_panel.fields["height_mm"].setValue(params.height_mm + 14.0)
    assert pose_parameters(doc.plan.placement).height_mm == pytest.approx(14.1)  # 0.1 mm steps
    qtbot.waitUntil(lambda: doc.preview.status == "failed", timeout=20_000)
    assert doc.preview.result is good and not doc.preview.current
    assert "suture" in doc.preview.message
    assert window.result_panel.status.text().startswith("Solve failed")
    assert "earlier pose" in window.result_panel.status.text()
    assert "suture" in window.statusBar().currentMessage()
    assert window.measurements_panel.cell("ap_diameter_mm", "With ring") != ""  # kept, greyed
    assert _suture_text_alpha(window) == {120}  # the good forces, greyed
    # Undo returns to the good plan and its answer at once.
    window.document_undo()
    assert doc.preview.status == "ok" and doc.preview.result is good and doc.preview.current
    assert _suture_text_alpha(window) == {255}


def test_the_preview_solves_in_its_own_process_and_outlives_its_death(  # type: ignore[no-untyped-def]
    qtbot, window, monkeypatch
) -> None:
    doc = window.document
    assert window.open_path(SAMPLE)
    doc.choose_ring("classic-like", 32.0)
    wait_preview(qtbot, window)
    process = window.preview._process
    first = process.pid
    assert process.alive and first not in (None, os.getpid())
    # Killed while idle (as an out-of-memory killer would): the next change starts another.
    os.kill(first, signal.SIGKILL)
    qtbot.waitUntil(lambda: not process.alive, timeout=5_000)
    rotation = window.placement_panel.fields["rotation_deg"]
    rotation.setValue(rotation.value() + 5.0)
    wait_preview(qtbot, window)
    assert process.alive and process.pid != first
    good = doc.preview.result
    # Killed during a solve: the preview says so and keeps the last good answer.
    stopped = SolverProcessError("the solver process stopped unexpectedly (exit code -9)")
    monkeypatch.setattr(process, "call", lambda *a, **k: (_ for _ in ()).throw(stopped))
    rotation.setValue(rotation.value() + 5.0)
    qtbot.waitUntil(lambda: doc.preview.status == "failed", timeout=20_000)
    assert doc.preview.message == str(stopped)
    assert doc.preview.result is good and not doc.preview.current
    monkeypatch.undo()
    rotation.setValue(rotation.value() + 5.0)
    wait_preview(qtbot, window)


def _suture_text_alpha(window: MainWindow) -> set[int]:
    """The alpha of the suture table's region and force texts (column 1 and 2)."""
    table = window.result_panel.table
    assert table.rowCount() > 0
    return {
        table.item(row, col).foreground().color().alpha()
        for row in range(table.rowCount())
        for col in (1, 2)
    }


def _drop(window: MainWindow, paths: list[Path]) -> None:
    """Drag files over the window and drop them (Qt sends the drop to whoever accepted the
    drag's entry)."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPoint(600, 400)
    args = (Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton)
    try:  # Qt 6.12 takes a QPointF (and deprecates QPoint); earlier ones only a QPoint
        enter = QDragEnterEvent(where.toPointF(), *args, Qt.KeyboardModifier.NoModifier)
    except TypeError:
        enter = QDragEnterEvent(where, *args, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(where.toPointF(), *args, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)


def test_drop_files_and_open_recent(qtbot, window, settings) -> None:  # type: ignore[no-untyped-def]
    _drop(window, [SAMPLE_TIPS, SAMPLE])  # any order: the annulus first, then its side files
    qtbot.waitUntil(lambda: window.document.plan is not None)
    qtbot.waitUntil(lambda: window.document.plan.papillary is not None)
    assert window.document.annulus.orientation == "papillary"
    assert window.recent.files()[0] == str(SAMPLE.resolve())
    actions = [a for a in window.recent.menu.actions() if a.text().startswith("&1")]
    assert actions and "healthy_annulus.csv" in actions[0].text()
    # Another window with the same settings lists it, and opens it from the menu.
    other = MainWindow(settings=settings, show_notice=False, confirm_discard=False)
    qtbot.addWidget(other)
    try:
        first = next(a for a in other.recent.menu.actions() if a.text().startswith("&1"))
        first.trigger()
        assert other.document.sources.annulus == SAMPLE.resolve()
    finally:
        other.shutdown()


def test_catalogue_filters_and_recommendation(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.catalogue_panel
    assert not panel.place_button.isEnabled()  # nothing open yet
    assert window.open_path(SAMPLE)
    catalogue = window.document.catalogue
    panel.type_filter.setCurrentText("Band")
    assert panel.visible_families()
    assert all(not catalogue.family(f).closed for f in panel.visible_families())
    panel.type_filter.setCurrentText("Any")
    panel.adjustable_filter.setCurrentText("Adjustable")
    # Adjustable rings, and the percutaneous devices (their cinch is set at implantation).
    assert all(
        (catalogue.device(f) if catalogue.is_device(f) else catalogue.family(f)).adjustable
        for f in panel.visible_families()
    )
    click_family(qtbot, panel.tree, panel.visible_families()[0])
    assert panel.adjust_spin.isEnabled()
    panel.adjustable_filter.setCurrentText("Any")
    panel.shape_filter.setCurrentText("saddle")
    panel.stiffness_filter.setCurrentText("rigid")
    assert all(
        catalogue.family(f).shape == "saddle"
        and catalogue.family(f).stiffness.stiffness_class == "rigid"
        for f in panel.visible_families()
    )
    panel.shape_filter.setCurrentText("Any")
    panel.stiffness_filter.setCurrentText("Any")
    click_family(qtbot, panel.tree, "classic-like")
    recommended = window.document.recommendation(catalogue.family("classic-like"))
    assert panel.selected_size() == recommended.size_mm
    assert "★ recommended" in panel.size_combo.currentText()
    assert recommended.reason in panel.reason_label.text()
    panel.policy_combo.setCurrentIndex(panel.policy_combo.findData("undersize:1"))
    assert panel.selected_size() < recommended.size_mm
    qtbot.mouseClick(panel.place_button, Qt.MouseButton.LeftButton)
    assert window.document.plan.ring.size_mm == panel.selected_size()
    # Choosing another size of the ring in use applies at once (one undo step).
    steps = len(window.document.history)
    index = panel.size_combo.findData(recommended.size_mm)
    panel.size_combo.setCurrentIndex(index)
    panel.size_combo.activated.emit(index)
    assert window.document.plan.ring.size_mm == recommended.size_mm
    assert len(window.document.history) == steps + 1
    # The suture count field lays them out afresh.
    window.placement_panel.sutures.setValue(10)
    assert len(window.document.plan.placement.sutures) == 10
    window.document.set_pose(PoseParameters(height_mm=1.0))
    assert window.placement_panel.fields["height_mm"].value() == pytest.approx(1.0)
    wait_preview(qtbot, window)


def test_research_notice_once_and_in_about(qtbot, settings, none_guard, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(settings=settings, show_notice=True, confirm_discard=False)
    qtbot.addWidget(first)
    try:
        qtbot.waitUntil(lambda: first.last_message_box is not None)
        box = first.last_message_box
        assert "Research use only, not for clinical decisions" in box.text()
        box.close()
        assert settings.value(SETTING_NOTICE, False, type=bool)
        shown: list[str] = []
        monkeypatch.setattr(QMessageBox, "about", lambda _parent, _title, text: shown.append(text))
        first.commands.about.trigger()
        assert "Research use only, not for clinical decisions" in shown[0]
        assert RESEARCH_NOTICE in shown[0]
    finally:
        first.shutdown()
    second = MainWindow(settings=settings, show_notice=True, confirm_discard=False)
    qtbot.addWidget(second)
    try:
        qtbot.wait(50)
        assert second.last_message_box is None  # remembered: not again
    finally:
        second.shutdown()


def test_screenshot_shows_annulus_and_ring_where_they_are_drawn(
    qtbot, window, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    assert window.open_path(SAMPLE)
    window.view.render_now()

    def colours_at(image: QImage, points) -> list[QColor]:  # type: ignore[no-untyped-def]
        origin = window.view.vtk_widget.mapTo(window, QPoint(0, 0))
        return [image.pixelColor(on_screen(window, p) + origin) for p in points]

    annulus_points = doc.annulus.points_valve[::8]
    first = QImage(str(window.save_screenshot(tmp_path / "annulus")))
    assert first.width() >= 1280 and first.height() >= 800
    # On the annulus tube: coloured by height (saturated), lit (not the dark background).
    on_tube = colours_at(first, annulus_points)
    assert np.median([c.lightness() for c in on_tube]) > 90
    assert np.median([c.hslSaturation() for c in on_tube]) > 60
    doc.choose_ring("classic-like", 30.0)
    wait_preview(qtbot, window)
    window.view.render_now()
    ring = doc.preview.result.ring_after_valve[::4]
    before = colours_at(first, ring)  # inside the annulus: background and plane disc
    second = QImage(str(window.save_screenshot(tmp_path / "ring.png")))
    after = colours_at(second, ring)
    # Where the ring is drawn: its off-white fabric, or a suture stitched over it (green at
    # these forces), never the dark background that was there before.
    fabric = [c.lightness() > 150 and c.hslSaturation() < 90 for c in after]
    suture = [c.green() > c.red() + 30 and c.green() > c.blue() + 15 for c in after]
    assert sum(fabric) >= 3
    assert np.mean(np.logical_or(fabric, suture)) > 0.9
    assert (
        np.median([c.lightness() for c in after]) > np.median([c.lightness() for c in before]) + 40
    )
