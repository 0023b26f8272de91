"""The leaflet closure in the window: simulate (Ctrl+L) off the GUI thread, watch, cancel;
colour the leaflets, switch native and repaired, see them go out of date; a failed solve says
why and keeps the last leaflets; the picture shows them; ``mvplan gui --closure``.

One test solves real closures end to end (native, then with a ring: about 10 s); the others
take a real native closure of the sample solved once for the module and hand it back through
a stand-in for the solver, so they run in a second or two.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui.helpers import SAMPLE, SAMPLE_TIPS, on_screen, wait_preview
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

import mvplan.gui.closure as closure_module
from mvplan.errors import ConvergenceError
from mvplan.gui.document import PlanDocument
from mvplan.gui.pose import pose_parameters
from mvplan.gui.view3d import STALE_NOTE
from mvplan.planning import translated
from mvplan.workflow import ClosureOutcome, simulate_closure

pytestmark = pytest.mark.gui

#: Longest wait for a real closure (native and repaired, coarse mesh), ms.
CLOSURE_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def native_outcome() -> ClosureOutcome:
    """A real native closure of the sample with its papillary tips (solved once)."""
    doc = PlanDocument()
    doc.open(SAMPLE)
    doc.load_papillary(SAMPLE_TIPS)
    assert doc.plan is not None
    return simulate_closure(doc.plan)


@pytest.fixture
def stand_in(monkeypatch, native_outcome):  # type: ignore[no-untyped-def]
    """The solver replaced by one that answers ``native_outcome`` at once (the repaired valve:
    the native one moved 1 mm toward the atrium, so the two differ); ``calls`` counts the
    solves asked for and ``fail`` makes the next one raise."""
    state: dict[str, Any] = {"calls": [], "fail": None}

    def fake_simulate(plan, annuloplasty=None, *, model=None, native=None, **_: Any):  # type: ignore[no-untyped-def]
        state["calls"].append("native" if native is None else "repaired")
        if state["fail"] is not None:
            raise state["fail"]
        base = native_outcome.native
        repaired = None
        if annuloplasty is not None and plan.ring is not None:
            up = np.array([0.0, 0.0, 1.0])
            lifted = replace(base.result, leaflet_points=base.result.leaflet_points + up)
            repaired = replace(base, result=lifted)
        return ClosureOutcome(native_outcome.model, native or base, repaired)

    monkeypatch.setattr(closure_module, "simulate_closure", fake_simulate)
    monkeypatch.setattr(closure_module, "closure_model", lambda *_a, **_k: native_outcome.model)
    return state


def _open(window) -> None:  # type: ignore[no-untyped-def]
    assert window.open_path(SAMPLE)
    assert window.open_papillary(SAMPLE_TIPS)


def _wait_closure(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not window.closure.running, timeout=CLOSURE_TIMEOUT_MS)


def _patch_colour(window, point) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Mean RGB (0-255) of a 9 x 9 pixel patch of the 3D view around a valve-frame point."""
    image = window.view.grab_image().convertToFormat(QImage.Format.Format_RGB888)
    centre = on_screen(window, np.asarray(point, float))
    scale = window.view.vtk_widget.devicePixelRatioF()
    cx, cy = round(centre.x() * scale), round(centre.y() * scale)
    colours = [
        image.pixelColor(x, y).getRgb()[:3]
        for x in range(cx - 4, cx + 5)
        for y in range(cy - 4, cy + 5)
    ]
    return np.mean(colours, axis=0)


@pytest.mark.slow  # two real closures: 15-20 s on the 2-core machine
def test_closure_native_then_repaired_through_the_window(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc, panel, view = window.document, window.closure_panel, window.view
    _open(window)
    assert not view.leaflets.visible
    assert panel.status.text().startswith("Not simulated yet")
    # Ctrl+L: solved in the background, with progress and a Cancel button.
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.closure.running and doc.closure.status == "running"
    assert panel.cancel_button.isEnabled() and not panel.simulate_button.isEnabled()
    assert not window.commands.simulate_closure.isEnabled()
    qtbot.waitUntil(lambda: "iteration" in panel.progress_label.text(), timeout=20_000)
    _wait_closure(qtbot, window)
    assert doc.closure.status == "ok", doc.closure.message
    native = doc.closure.outcome
    assert native is not None and native.repaired is None
    assert view.leaflets.visible and view.leaflets.actor in _props(view)
    assert not view.leaflets.stale
    assert panel.cell("closed", "Native") == "yes"
    assert float(panel.cell("coaptation_length_mean_mm", "Native")) > 0.5
    assert panel.cell("closed", "Repaired") == ""
    assert not panel.case_buttons["repaired"].isEnabled()  # no ring
    assert window.statusBar().currentMessage().startswith("Closure: native closes")
    # Colouring: the combo box recolours the leaflets and shows that colouring's legend.
    panel.colour.setCurrentIndex(panel.colour.findData("stress"))
    assert doc.closure_colour == "stress" and view.leaflets.quantity == "stress"
    assert view.leaflets.bars["stress"].GetVisibility()
    assert not view.leaflets.bars["coaptation"].GetVisibility()
    # A ring leaves the native closure current (same valve) and needs only its repaired one.
    doc.choose_ring("classic-like", 30.0)
    wait_preview(qtbot, window)
    assert doc.closure_current("native") and not doc.closure_current("repaired")
    assert not view.leaflets.stale
    qtbot.mouseClick(panel.simulate_button, Qt.MouseButton.LeftButton)
    _wait_closure(qtbot, window)
    assert doc.closure.status == "ok", doc.closure.message
    both = doc.closure.outcome
    assert both is not None and both.repaired is not None
    assert both.native is native.native  # reused, not solved again
    assert both.repaired.annulus_valve is doc.cached_result(doc.plan).annulus_after_valve
    # The repaired valve is shown first; the toggle switches to the native one and back.
    assert doc.closure_case == "repaired" and panel.case_buttons["repaired"].isChecked()
    repaired_points = view.leaflets.points
    qtbot.mouseClick(panel.case_buttons["native"], Qt.MouseButton.LeftButton)
    assert doc.closure_case == "native"
    native_points = view.leaflets.points
    assert np.abs(native_points - repaired_points).max() > 0.5  # the ring moved them
    assert panel.cell("coaptation_area_mm2", "Native") != panel.cell(
        "coaptation_area_mm2", "Repaired"
    )
    qtbot.mouseClick(panel.case_buttons["repaired"], Qt.MouseButton.LeftButton)
    assert np.array_equal(view.leaflets.points, repaired_points)
    # Moving the ring makes the repaired valve stale (grey, a note, headed so); undo
    # returns to the plan it was solved for.
    params = pose_parameters(doc.plan.placement)
    window.placement_panel.fields["x_mm"].setValue(params.x_mm + 1.0)
    assert not doc.closure_current("repaired") and doc.closure_current("native")
    assert view.leaflets.stale and view.leaflets.note.GetInput() == STALE_NOTE
    assert not view.leaflets.bars["stress"].GetVisibility()
    assert panel.header("Repaired") == "Repaired (out of date)"
    assert panel.header("Native") == "Native"
    assert "out of date" in panel.status.text()
    window.document_undo()
    assert doc.closure_current("repaired") and not view.leaflets.stale
    # The saved plan carries the closure's figures with the annuloplasty's.
    saved = doc.plan_to_save().results
    assert saved is not None and saved["closure"]["repaired"]["closed"] in (True, False)
    assert "annuloplasty" in saved


def _props(view) -> list[object]:  # type: ignore[no-untyped-def]
    props = view.renderer.GetViewProps()
    return [props.GetItemAsObject(i) for i in range(props.GetNumberOfItems())]


def test_a_failed_closure_says_why_and_keeps_the_last_leaflets(qtbot, window, stand_in) -> None:  # type: ignore[no-untyped-def]
    doc, panel, view = window.document, window.closure_panel, window.view
    _open(window)
    window.simulate_closure()
    _wait_closure(qtbot, window)
    assert doc.closure.status == "ok" and view.leaflets.visible
    good, picture = doc.closure.outcome, view.leaflets.picture
    doc.choose_ring("classic-like", 30.0)
    wait_preview(qtbot, window)
    stand_in["fail"] = ConvergenceError(
        "the repaired leaflet closure did not converge: relative residual 0.0031 (tolerance 1e-08)"
    )
    assert window.simulate_closure()
    _wait_closure(qtbot, window)
    assert stand_in["calls"] == ["native", "repaired"]  # the native valve was reused
    assert doc.closure.status == "failed"
    assert doc.closure.outcome is good and view.leaflets.picture is picture  # kept
    assert view.leaflets.visible and not view.leaflets.stale  # the native valve: current
    text = panel.status.text()
    assert text.startswith("Closure failed: the repaired leaflet closure did not converge")
    assert "showing the last converged closure" in text
    assert "c62828" in panel.status.styleSheet()  # red
    assert window.statusBar().currentMessage().startswith("Closure failed:")
    assert any("did not converge" in m for m in window.messages)
    assert not panel.case_buttons["repaired"].isEnabled()  # no repaired answer to show
    assert doc.cached_closure(doc.plan) is None
    # Any other failure too, in one line naming its kind.
    stand_in["fail"] = RuntimeError("factorisation\nbroke")
    window.simulate_closure()
    _wait_closure(qtbot, window)
    assert doc.closure.message.startswith("RuntimeError: factorisation broke")
    assert doc.closure.outcome is good
    # And a solve that works again replaces it.
    stand_in["fail"] = None
    window.simulate_closure()
    _wait_closure(qtbot, window)
    assert doc.closure.status == "ok" and doc.closure.outcome.repaired is not None


def test_exports_carry_the_closure_of_the_plan_on_show(qtbot, window, stand_in, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    import trimesh

    doc = window.document
    _open(window)
    doc.choose_ring("classic-like", 30.0)
    wait_preview(qtbot, window)
    # No closure yet: the report says it was not simulated, the scene has no leaflets.
    window.write_report(tmp_path / "before.html")
    assert json.loads((tmp_path / "before.json").read_text())["closure"]["status"] != "converged"
    window.simulate_closure()
    _wait_closure(qtbot, window)
    assert doc.closure.status == "ok"
    window.write_report(tmp_path / "report.html", images=False)
    closure = json.loads((tmp_path / "report.json").read_text())["closure"]
    assert closure["status"] == "converged"
    assert closure["repaired"] is not None and closure["native"] is not None
    assert "Coaptation length" in (tmp_path / "report.html").read_text()
    window.export_to(tmp_path / "scene.glb")
    names = set(trimesh.load(tmp_path / "scene.glb").geometry)
    assert {"leaflets_native", "leaflets_repaired", "chordae_native"} <= names
    # Another size: that closure is not this plan's, so it is left out, not misreported.
    doc.choose_ring("classic-like", 28.0)
    wait_preview(qtbot, window)
    window.write_report(tmp_path / "other.html", images=False)
    assert json.loads((tmp_path / "other.json").read_text())["closure"]["status"] != "converged"
    window.export_to(tmp_path / "other.glb")
    assert "leaflets_repaired" not in set(trimesh.load(tmp_path / "other.glb").geometry)


def test_cancel_stops_the_solve_and_keeps_the_window_usable(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc, panel = window.document, window.closure_panel
    _open(window)
    window.simulate_closure()
    qtbot.waitUntil(lambda: "iteration" in panel.progress_label.text(), timeout=20_000)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    # Said at once; the solver stops at its next iteration.
    assert doc.closure.status == "cancelled" and not window.closure.running
    assert panel.status.text().startswith("Cancelled")
    assert panel.simulate_button.isEnabled() and window.commands.simulate_closure.isEnabled()
    assert window.closure.wait_idle(10.0)
    qtbot.wait(50)  # the cancelled job's answer, if any, arrives and is dropped
    assert doc.closure.status == "cancelled" and doc.closure.outcome is None
    assert not window.view.leaflets.visible


def test_the_leaflets_are_drawn_in_their_colours(qtbot, window, stand_in) -> None:  # type: ignore[no-untyped-def]
    doc, panel = window.document, window.closure_panel
    _open(window)
    # The anterior leaflet's belly, seen from the atrium: a third of the way from the centre
    # to A (the leaflets hang below the plane; the view looks down on them).
    a_point = doc.annulus.to_valve_frame.apply(doc.annulus.landmark_point("A"))
    probe = np.array([0.0, 0.35 * a_point[1], 0.0])
    before = _patch_colour(window, probe)
    assert before.max() < 110  # the plane disc over the dark background
    window.simulate_closure()
    _wait_closure(qtbot, window)
    tissue = _patch_colour(window, probe)
    r, g, b = tissue
    assert r > 160 and r > b + 25 and r > g + 10, tissue  # the pale pink of tissue apart
    panel.colour.setCurrentIndex(panel.colour.findData("stress"))
    stressed = _patch_colour(window, probe)
    assert np.abs(stressed - tissue).max() > 40, (stressed, tissue)
    # The healthy anterior belly carries about 0.3 MPa: amber, not blue.
    assert stressed[0] > 170 and stressed[2] < stressed[0] - 60, stressed
    # The legend is drawn: its bar stands at the left of the view, above the height bar.
    assert window.view.leaflets.bars["stress"].GetVisibility()
    # A new annulus (a landmark moved) hides the leaflets: its valve frame moved.
    doc.move_landmark("P", (doc.annulus.landmarks["P"].u + 0.01) % 1.0)
    assert not window.view.leaflets.visible
    assert "annulus changed" in window.view.leaflets.note.GetInput()
    hidden = _patch_colour(window, probe)
    assert hidden.max() < 110
    window.document_undo()
    assert window.view.leaflets.visible


def test_stale_leaflets_are_drawn_grey(qtbot, window, stand_in) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    _open(window)
    doc.choose_ring("classic-like", 30.0)
    wait_preview(qtbot, window)
    window.simulate_closure()
    _wait_closure(qtbot, window)
    assert doc.closure_case == "repaired"
    a_point = doc.annulus.to_valve_frame.apply(doc.annulus.landmark_point("A"))
    probe = np.array([0.0, 0.35 * a_point[1], 0.0])
    assert not window.view.leaflets.stale
    # While the ring is dragged the repaired valve is of the pose it left; an abandoned drag
    # gives it back.
    doc.set_transient_placement(translated(doc.plan.placement, 1.0, 0.0, 0.0))
    assert window.view.leaflets.stale
    doc.end_transient()
    assert not window.view.leaflets.stale
    # Sutures laid out afresh: the repaired valve no longer answers for this plan.
    doc.set_suture_count(len(doc.plan.placement.sutures) + 2)
    assert window.view.leaflets.stale
    grey = _patch_colour(window, probe)
    assert np.ptp(grey) < 25 and grey.mean() > 60, grey  # grey, not tissue pink
    assert doc.plan_to_save().results is None or "closure" not in doc.plan_to_save().results


def test_gui_closure_screenshot(tmp_path: Path) -> None:
    out = tmp_path / "closure.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    args = [str(SAMPLE), "--papillary", str(SAMPLE_TIPS), "--closure"]
    run = subprocess.run(
        [sys.executable, "-m", "mvplan.cli", "gui", *args, "--screenshot", str(out), "--exit"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    image = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    # The middle of the 3D view, inside the annulus: the closed leaflets' tissue colour.
    pixels = np.array(
        [
            image.pixelColor(x, y).getRgb()[:3]
            for x in range(int(0.40 * width), int(0.56 * width), 3)
            for y in range(int(0.40 * height), int(0.62 * height), 3)
        ],
        dtype=int,
    )
    r, g, b = pixels.T
    tissue = np.count_nonzero((r > 170) & (r > b + 25) & (r > g + 10) & (b > 100))
    assert tissue > 0.3 * len(pixels), tissue / len(pixels)
