"""Percutaneous devices through the window: choose, cinch, the vein and artery, safety, undo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui.helpers import REPO, click_family, on_screen, wait_preview
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from mvplan.planfile import load_plan
from mvplan.render.colours import ARTERY_COLOUR, ARTERY_RISK_COLOUR, DEVICE_COLOUR, VEIN_COLOUR

pytestmark = pytest.mark.gui

SAMPLES = REPO / "assets" / "samples"
FMR = SAMPLES / "fmr_annulus.csv"
FMR_CS = SAMPLES / "fmr_cs_path.csv"
FMR_ARTERY = SAMPLES / "fmr_circumflex.csv"


def _ap(window) -> float:  # type: ignore[no-untyped-def]
    return float(window.document.preview.result.post["ap_diameter_mm"])


def _choose_carillon(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    assert window.open_path(FMR)
    panel = window.catalogue_panel
    panel.type_filter.setCurrentText("Coronary sinus")
    assert panel.visible_families() == ["carillon-like"]
    click_family(qtbot, panel.tree, "carillon-like")
    assert panel.selected_device() is not None
    assert panel.size_combo.currentData() == 70.0  # the middle size
    qtbot.mouseClick(panel.place_button, Qt.MouseButton.LeftButton)
    wait_preview(qtbot, window)


def _set_spin(qtbot, spin, text: str) -> None:  # type: ignore[no-untyped-def]
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


def test_choose_cinch_safety_offsets_undo_save(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    _choose_carillon(qtbot, window)
    plan = doc.plan
    assert plan.has_device and plan.placement is None and plan.cs_path is not None
    assert plan.ring.family == "carillon-like" and plan.ring.size_mm == 70.0
    # No pose, no sutures for a device; the cinch field in place of the adjustment.
    assert not window.placement_panel.fields["x_mm"].isEnabled()
    assert not window.placement_panel.sutures.isEnabled()
    panel = window.catalogue_panel
    assert panel.cinch_spin.isVisibleTo(panel) and not panel.adjust_spin.isVisibleTo(panel)
    assert panel.cinch_spin.maximum() == pytest.approx(21.0)  # 30 % of 70 mm
    native_ap = float(doc.preview.result.pre["ap_diameter_mm"])

    # Cinch by 7 mm: the preview solves the device and AP falls; more cinch, more fall.
    _set_spin(qtbot, panel.cinch_spin, "7")
    assert doc.plan.ring.adjustment_mm == pytest.approx(7.0)
    assert panel.cinch_percent.text() == "10 %"
    wait_preview(qtbot, window)
    ap7 = _ap(window)
    assert ap7 < native_ap - 0.5
    assert doc.preview.result.device is not None
    _set_spin(qtbot, panel.cinch_spin, "14")
    wait_preview(qtbot, window)
    ap14 = _ap(window)
    assert ap14 < ap7 - 0.3
    summary = window.result_panel.summary.text()
    assert "Wire tension" in summary and "Coronary sinus strain" in summary
    assert window.result_panel.table.rowCount() == 2  # distal and proximal anchors

    # The artery: safety figures in the device panel, the result panel and the status bar.
    assert window.open_artery(FMR_ARTERY)
    assert doc.plan.artery is not None
    wait_preview(qtbot, window)
    safety = doc.safety()
    assert safety is not None
    figures = window.device_panel.figures.text()
    assert f"{safety.min_distance_mm:.1f} mm" in figures and "Crossings" in figures
    assert "Circumflex" in window.safety_label.text()
    # A high threshold flags compression: a warning in red.
    _set_spin(qtbot, window.device_panel.threshold, "12")
    assert doc.plan.safety_threshold_mm == pytest.approx(12.0)
    assert doc.undo_text() == "Compression threshold 12 mm"
    wait_preview(qtbot, window)
    flagged = doc.safety()
    assert flagged.compression and flagged.warning
    assert "compress" in window.device_panel.warning.text()
    assert "⚠" in window.safety_label.text()
    assert "compress" in window.result_panel.summary.text()
    layer = window.view.scene.device_layer
    assert layer.artery_flags.any()  # the artery turns yellow near the device

    # Edit an offset: the path is estimated again (one undo step), undo restores it.
    before = doc.plan.cs_path
    _set_spin(qtbot, window.device_panel.offsets["mid_mm"], "20")
    after = doc.plan.cs_path
    assert after is not before and after.offsets.mid_mm == pytest.approx(20.0)
    assert not np.allclose(
        after.points_valve[len(after.points_valve) // 2],
        before.points_valve[len(before.points_valve) // 2],
    )
    assert doc.undo_text().startswith("CS offsets")
    wait_preview(qtbot, window)
    doc.undo()
    assert doc.plan.cs_path is before
    assert window.device_panel.offsets["mid_mm"].value() == pytest.approx(before.offsets.mid_mm)
    wait_preview(qtbot, window)

    # Save and reopen: the device, its cinch, the path and the artery come back.
    target = tmp_path / "device.mvplan.json"
    assert window.save_to(target)
    saved = load_plan(target)
    assert saved.results is not None and "safety" in saved.results
    assert window.open_path(target)
    plan = doc.plan
    assert plan.has_device and plan.ring.adjustment_mm == pytest.approx(14.0)
    assert np.allclose(plan.cs_path.points_valve, before.points_valve, atol=1e-3)
    assert plan.artery is not None and plan.safety_threshold_mm == pytest.approx(12.0)
    wait_preview(qtbot, window)
    assert _ap(window) == pytest.approx(ap14, abs=1e-3)


def test_distal_anchor_moves_the_device_along_the_vein(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    _choose_carillon(qtbot, window)
    spin = window.device_panel.distal_anchor
    assert spin.isEnabled() and spin.value() == 0.0
    _set_spin(qtbot, window.catalogue_panel.cinch_spin, "14")
    wait_preview(qtbot, window)
    at_end = _ap(window)
    _set_spin(qtbot, spin, "8")
    assert doc.plan.distal_anchor_offset_mm == pytest.approx(8.0)
    assert doc.undo_text() == "Distal anchor 8 mm back"
    wait_preview(qtbot, window)
    assert doc.preview.result.device is not None
    moved = _ap(window)
    assert abs(moved - at_end) > 0.1  # the device pulls on another stretch of annulus
    # Another cinch keeps the anchor where it is.
    _set_spin(qtbot, window.catalogue_panel.cinch_spin, "10")
    assert doc.plan.distal_anchor_offset_mm == pytest.approx(8.0)
    # An anchor so far back that the device no longer fits: a message, the plan unchanged.
    history = len(doc.history)
    _set_spin(qtbot, spin, "55")
    assert "longer than the coronary-sinus path" in window.messages[-1]
    assert len(doc.history) == history and doc.plan.distal_anchor_offset_mm == pytest.approx(8.0)
    assert spin.value() == pytest.approx(8.0)
    doc.undo()  # the cinch
    doc.undo()  # the anchor
    assert doc.plan.distal_anchor_offset_mm == 0.0 and spin.value() == 0.0
    wait_preview(qtbot, window)
    # A band is anchored on the annulus: no distal anchor to move.
    panel = window.catalogue_panel
    panel.type_filter.setCurrentText("Transcatheter band")
    click_family(qtbot, panel.tree, "cardioband-like")
    qtbot.mouseClick(panel.place_button, Qt.MouseButton.LeftButton)
    assert doc.plan.ring.family == "cardioband-like"
    assert not spin.isEnabled()
    wait_preview(qtbot, window)


def test_open_cs_path_and_bad_files_keep_the_plan(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    _choose_carillon(qtbot, window)
    estimated = doc.plan.cs_path
    assert window.open_cs_path(FMR_CS, box=False)
    assert doc.plan.cs_path.source == "fmr_cs_path.csv"
    assert "fmr_cs_path.csv" in window.device_panel.path_label.text()
    wait_preview(qtbot, window)
    # A file that is not a path: a message, the plan as it was.
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,z\n1,2\n")
    history = len(doc.history)
    assert not window.open_cs_path(bad)
    assert not window.open_artery(bad)
    assert window.last_message_box is not None
    assert len(doc.history) == history and doc.plan.cs_path.source == "fmr_cs_path.csv"
    window.last_message_box.close()
    doc.undo()
    assert doc.plan.cs_path is estimated


def test_band_has_anchors_on_the_annulus(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    assert window.open_path(FMR)
    panel = window.catalogue_panel
    panel.type_filter.setCurrentText("Transcatheter band")
    assert panel.visible_families() == ["cardioband-like"]
    click_family(qtbot, panel.tree, "cardioband-like")
    qtbot.mouseClick(panel.place_button, Qt.MouseButton.LeftButton)
    assert doc.plan.has_device and doc.plan.ring.size_mm == 90.0
    wait_preview(qtbot, window)
    result = doc.preview.result
    assert result.post["ap_diameter_mm"] < result.pre["ap_diameter_mm"]
    layer = window.view.scene.device_layer
    count = result.device.anchor_names
    assert layer.anchor_points.shape == (len(count), 3)
    # The band's anchors sit on the reshaped annulus.
    after = np.asarray(result.annulus_after_valve)
    gaps = np.linalg.norm(layer.anchor_points[:, None] - after[None], axis=2).min(axis=1)
    assert gaps.max() < 1.5
    assert window.result_panel.table.rowCount() == len(count)


def _patch(image: QImage, window, point) -> np.ndarray:  # type: ignore[no-untyped-def]
    """RGB (0-1) of the 5 x 5 pixels of the 3D view around a valve-frame point."""
    centre = on_screen(window, np.asarray(point, float))
    scale = window.view.vtk_widget.devicePixelRatioF()
    cx, cy = round(centre.x() * scale), round(centre.y() * scale)
    return np.array(
        [
            image.pixelColor(x, y).getRgbF()[:3]
            for x in range(cx - 2, cx + 3)
            for y in range(cy - 2, cy + 3)
        ]
    )


def _near(pixels: np.ndarray, colour, *, brighter: float = 0.45) -> bool:  # type: ignore[no-untyped-def]
    """Whether some pixel has ``colour``'s hue (compared as unit RGB directions, so that
    light and shade matter little) and is brighter than the background (whose lightest,
    (0.20, 0.22, 0.26), has an RGB length of 0.39)."""
    c = np.asarray(colour) / np.linalg.norm(colour)
    norms = np.linalg.norm(pixels, axis=1)
    lit = norms > brighter
    cosine = (pixels[lit] / norms[lit, None]) @ c
    return bool(np.any(cosine > 0.97))


def test_vein_device_and_artery_are_drawn_in_their_colours(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    _choose_carillon(qtbot, window)
    assert window.open_artery(FMR_ARTERY)
    wait_preview(qtbot, window)
    window.view.set_view("atrial")
    image = window.view.grab_image().convertToFormat(QImage.Format.Format_RGB888)
    layer = window.view.scene.device_layer
    result = doc.preview.result
    # The device: the middle of its wire.
    wire = layer.wire_points
    assert wire.shape[0] > 4
    middle = _patch(image, window, wire[len(wire) // 2])
    assert _near(middle, DEVICE_COLOUR, brighter=0.9)  # steel, far lighter than the background
    assert not _near(middle, VEIN_COLOUR)
    # The vein: its ostium end, beyond the device's proximal anchor.
    vein = np.asarray(result.device.vein_after_valve)
    assert _near(_patch(image, window, vein[1]), VEIN_COLOUR)
    assert not _near(_patch(image, window, vein[1]), ARTERY_COLOUR)
    # The artery: red where it is far from the device, yellow where flagged.
    far = int(np.argmin(layer.artery_flags)) if not layer.artery_flags.all() else 0
    artery = layer.artery_points
    ends = [artery[0], artery[-1]]
    assert any(_near(_patch(image, window, p), ARTERY_COLOUR) for p in ends) or _near(
        _patch(image, window, artery[far]), ARTERY_COLOUR
    )
    if layer.artery_flags.any():
        risky = artery[layer.artery_flags > 0.5]
        assert any(_near(_patch(image, window, p), ARTERY_RISK_COLOUR) for p in risky)


@pytest.mark.slow
def test_a_device_plan_closes_its_repaired_valve(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The leaflet closure of a device plan solves the repaired valve too (the same
    coaptation analysis as for rings), hanging from the annulus the device reshaped."""
    doc = window.document
    _choose_carillon(qtbot, window)
    window.simulate_closure()
    qtbot.waitUntil(lambda: doc.closure.status in ("ok", "failed"), timeout=120_000)
    assert doc.closure.status == "ok", doc.closure.message
    outcome = doc.closure.outcome
    assert outcome is not None and outcome.repaired is not None
    assert outcome.repaired.annulus_valve is doc.cached_result(doc.plan).annulus_after_valve
    assert outcome.repaired.result.converged
    panel = window.closure_panel
    assert panel.case_buttons["repaired"].isEnabled()
    shown = float(panel.cell("regurgitant_orifice_area_mm2", "Repaired"))
    assert shown == pytest.approx(outcome.repaired.coaptation.regurgitant_orifice_area_mm2, abs=0.1)
