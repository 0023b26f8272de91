"""The size sweep in the window: a table of sizes filled as they finish, the recommended one
highlighted with its reason, a double click puts a size on the plan (one undo step), cancel,
out of date once the valve changes; and one real sweep of two sizes."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from gui.helpers import SAMPLE, SAMPLE_TIPS
from PySide6.QtCore import Qt

import mvplan.gui.sweep_panel as sweep_module
from mvplan.gui.sweep_panel import PLAN_MARK, RECOMMENDED_BACKGROUND, SweepPanel
from mvplan.sweep import recommend, why_none

pytestmark = pytest.mark.gui


def _row(case: Any) -> dict[str, Any]:
    """A made-up row: closes from 28 mm, coaptation growing as the ring gets smaller."""
    size = case.size_mm
    if size == 26.0:
        return {"ring": case.ring, "size_mm": size, "error": "the repaired closure diverged"}
    return {
        "ring": case.ring,
        "size_mm": size,
        "closed": size <= 34.0,
        "coaptation_length_min_mm": 0.1 * (40 - size),
        "coaptation_length_mean_mm": 0.5 * (40 - size),
        "regurgitant_orifice_area_mm2": max(0.0, size - 33.0),
        "suture_force_max_n": 0.1 * (44 - size),
        "suture_warnings": 0,
    }


def _answer(rows: list[dict[str, Any]]) -> dict[str, Any]:
    chosen = recommend(rows, 5.0)
    return {
        "native": {"closed": True, "coaptation_length_mean_mm": 3.0},
        "rows": rows,
        "recommended": chosen,
        "recommended_reason": chosen["reason"] if chosen else why_none(rows, 5.0),
        "target_coaptation_mm": 5.0,
    }


def _open(window) -> SweepPanel:  # type: ignore[no-untyped-def]
    assert window.open_path(SAMPLE)
    assert window.open_papillary(SAMPLE_TIPS)
    window.commands.size_sweep.trigger()
    panel: SweepPanel = window.sweep_panel
    assert panel.isVisibleTo(window)
    panel.family.setCurrentIndex(panel.family.findData("classic-like"))
    return panel


def test_sweep_table_recommendation_and_double_click(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: dict[str, Any] = {}

    def fake_sweep(base, cases, *, settings=None, jobs=None, on_row=None, **_: Any):  # type: ignore[no-untyped-def]
        asked.update(base=base, cases=list(cases), jobs=jobs)
        rows = []
        for case in cases:
            rows.append(_row(case))
            if on_row is not None:
                on_row(rows[-1])
        return _answer(rows)

    monkeypatch.setattr(sweep_module, "run_sweep", fake_sweep)
    doc = window.document
    panel = _open(window)
    # The family's whole range by default; narrowed here.
    assert (panel.low.value(), panel.high.value()) == (24.0, 40.0)
    panel.low.setValue(26.0)
    panel.high.setValue(36.0)
    panel.jobs.setValue(1)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.status == "done", timeout=10_000)
    assert asked["base"] is doc.plan and asked["jobs"] == 1
    assert [c.size_mm for c in asked["cases"]] == [26.0, 28.0, 30.0, 32.0, 34.0, 36.0]
    assert panel.table.rowCount() == 6
    assert [panel.cell(i, "size_mm") for i in range(6)] == ["26", "28", "30", "32", "34", "36"]
    assert panel.cell(0, "closed") == "error"
    assert "diverged" in panel.table.item(0, 1).toolTip()  # the error, in one line
    assert panel.cell(5, "closed") == "no" and panel.cell(4, "closed") == "yes"
    assert (
        panel.cell(4, "coaptation_length_mean_mm") == "3.0"
        and panel.cell(4, "suture_force_max_n") == "1.00"
    )
    # 30 mm is the largest that closes with 5 mm of mean coaptation.
    best = panel.recommended_row
    assert best == 2
    item = panel.table.item(best, 0)
    assert item.background().color() == RECOMMENDED_BACKGROUND and item.font().bold()
    assert panel.table.item(1, 0).background().color() != RECOMMENDED_BACKGROUND
    assert panel.reason.text().startswith("<b>Recommended: classic-like 30 mm</b>")
    assert "largest size that closes" in panel.reason.text()
    assert "Native valve closes" in panel.state.text()
    # A double click puts that size on the plan: one undo step.
    steps = len(doc.history)
    rect = panel.table.visualItemRect(panel.table.item(1, 0))
    # A user's double click: press and release, then the second press (Qt's double click).
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert doc.plan.ring is not None and doc.plan.ring.family == "classic-like"
    assert doc.plan.ring.size_mm == 28.0 and len(doc.history) == steps + 1
    assert doc.undo_text() == "Ring classic-like 28 mm"
    assert panel.cell(1, "size_mm") == "28" + PLAN_MARK
    assert not panel.stale  # another ring does not touch the sweep
    # Another valve does.
    doc.move_landmark("P", (doc.annulus.landmarks["P"].u + 0.01) % 1.0)
    assert panel.stale and "valve has changed" in panel.state.text()


def test_cancel_a_sweep(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    finished = threading.Event()

    def slow_sweep(base, cases, *, on_row=None, **_: Any):  # type: ignore[no-untyped-def]
        rows = []
        try:
            for case in cases:
                rows.append(_row(case))
                assert on_row is not None
                on_row(rows[-1])
                release.wait(10.0)
            return _answer(rows)
        finally:
            finished.set()

    monkeypatch.setattr(sweep_module, "run_sweep", slow_sweep)
    panel = _open(window)
    panel.low.setValue(28.0)
    panel.high.setValue(34.0)
    assert panel.start()
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: len(panel.rows) == 1, timeout=10_000)
    assert panel.state.text() == "1 of 4 sizes simulated…"
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.status == "cancelled" and panel.run_button.isEnabled()
    assert panel.state.text() == "Cancelled after 1 of 4 sizes."
    release.set()  # the size under way finishes; the next row stops the sweep
    assert finished.wait(10.0)
    assert panel.runner.wait_idle(10.0)
    qtbot.wait(50)
    assert len(panel.rows) == 1 and panel.table.rowCount() == 1 and panel.result is None


@pytest.mark.slow
def test_a_real_sweep_of_two_sizes(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = _open(window)
    panel.low.setValue(30.0)
    panel.high.setValue(32.0)
    panel.jobs.setValue(1)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.state.text() == "Closing the native valve…"
    qtbot.waitUntil(lambda: panel.status != "running", timeout=180_000)
    assert panel.status == "done", panel.message
    assert panel.table.rowCount() == 2
    assert [panel.cell(i, "size_mm") for i in range(2)] == ["30", "32"]
    for i in range(2):
        assert panel.cell(i, "closed") in ("yes", "no")
        assert float(panel.cell(i, "coaptation_length_mean_mm")) >= 0.0
        assert float(panel.cell(i, "suture_force_max_n")) > 0.0
    assert panel.reason.text().startswith(("<b>Recommended", "<b>No size recommended"))
