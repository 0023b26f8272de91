"""A moving annulus in the window: open its frames, scrub and play them, bad frames refused,
and the plan's ring predicted over the cycle in the worker (motion kept, in vivo figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui.helpers import REPO, SAMPLE, wait_preview
from PySide6.QtCore import Qt

import mvplan.gui.cycle_panel as cycle_module
from mvplan.geometry.measurements import MEASUREMENT_KEYS, measure
from mvplan.gui.cycle_panel import CyclePanel
from mvplan.gui.measurements_panel import value_text
from mvplan.io.load import load_annulus
from mvplan.mechanics import Cancelled

pytestmark = pytest.mark.gui

KAISER = REPO / "assets" / "third_party" / "kaiser_heart_valves"
FRAMES = [KAISER / "hcm_d_annulus.vtk", KAISER / "hcm_d_annulus_early_systole.vtk"]
PREDICT_TIMEOUT_MS = 60_000


def _shown(window: Any, key: str, column: str = "Native") -> str:
    return str(window.measurements_panel.cell(key, column))


def _expected(values: Any, key: str) -> str:
    text = value_text(key, values.values[key])
    return text + (" *" if values.estimated.get(key) and values.values[key] is not None else "")


def _open(window: Any) -> CyclePanel:
    assert window.open_cycle(FRAMES)
    panel: CyclePanel = window.cycle_panel
    assert panel.isVisibleTo(window)
    return panel


def _circle_csv(path: Path, n: int, radius: float) -> Path:
    """A round annulus (no minor axis, so no landmark A can be estimated)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    rows = [f"{radius * np.cos(a):.4f},{radius * np.sin(a):.4f},0.0" for a in t]
    path.write_text("x,y,z\n" + "\n".join(rows) + "\n")
    return path


def test_open_scrub_and_play_a_cycle(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    panel = _open(window)
    assert panel.frame_names == tuple(p.name for p in FRAMES)
    assert panel.slider.maximum() == 1 and panel.slider.value() == 0
    assert panel.frame_label.text() == f"Frame 1 of 2: {FRAMES[0].name}"
    # The first frame is the plan's annulus, opened afresh (one history step).
    assert doc.plan.annulus is panel.cycle.annuli[0]
    assert len(doc.history) == 1 and doc.shown_frame is None
    first = measure(load_annulus(FRAMES[0]))
    for key in MEASUREMENT_KEYS:
        assert _shown(window, key) == _expected(first, key)
    # The cycle figures: the circumference changes by 19.2 mm, the area by a third.
    assert panel.cell("perimeter_mm", "Native") == "19.2"
    assert panel.cell("area_2d_mm2", "Unit") == "%"
    assert float(panel.cell("area_2d_mm2", "Native")) == pytest.approx(32.8, abs=0.05)
    assert panel.cell("perimeter_mm", "With device") == ""

    # The user drags the slider to the second frame (keyboard: Right).
    panel.slider.setFocus()
    qtbot.keyClick(panel.slider, Qt.Key.Key_Right)
    assert panel.index == 1
    assert panel.frame_label.text() == f"Frame 2 of 2: {FRAMES[1].name}"
    second = measure(load_annulus(FRAMES[1]))
    for key in MEASUREMENT_KEYS:
        assert _shown(window, key) == _expected(second, key)
    assert _shown(window, "perimeter_mm") != value_text(
        "perimeter_mm", first.values["perimeter_mm"]
    )
    header = window.measurements_panel.table.horizontalHeaderItem(1)
    assert header.text() == "Frame 2/2" and FRAMES[1].name in header.toolTip()
    # Drawn in the 3D view; not an edit: no undo step, the plan untouched.
    assert window.view.scene.annulus is panel.cycle.annuli[1]
    assert len(doc.history) == 1 and doc.plan.annulus is panel.cycle.annuli[0]
    assert not doc.can_undo()

    # Play: the frames advance by themselves and loop.
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    assert panel.playing and panel.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: panel.index == 0, timeout=3000)
    qtbot.waitUntil(lambda: panel.index == 1, timeout=3000)
    assert window.view.scene.annulus is panel.cycle.annuli[1]
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    assert not panel.playing
    # A plan edit shows the plan again, first frame.
    panel.set_frame(1)
    doc.choose_ring("physio-like", 32.0)
    assert doc.shown_frame is None and panel.index == 0 and panel.slider.value() == 0
    assert window.view.scene.annulus is doc.plan.annulus
    # Another file: the cycle is not of it and closes.
    assert window.open_path(SAMPLE)
    assert panel.cycle is None and panel.frame_names == () and not panel.slider.isEnabled()
    assert panel.frame_label.text() == "No cycle open"


def test_bad_frames_say_why_and_keep_the_cycle(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    panel = _open(window)
    panel.set_frame(1)
    plan, cycle = doc.plan, panel.cycle
    corrupt = tmp_path / "frame2.csv"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    round_a = _circle_csv(tmp_path / "round_a.csv", 40, 14.0)
    round_b = _circle_csv(tmp_path / "round_b.csv", 52, 15.0)
    cases = [
        ([FRAMES[0], corrupt], "frame2.csv"),  # unreadable
        ([round_a, round_b], "landmark A"),  # different point counts and no A
        ([FRAMES[0]], "two frames"),  # one frame is no cycle
    ]
    for paths, said in cases:
        assert not window.open_cycle(paths)
        box = window.last_message_box
        assert box is not None and box.isVisible()
        assert said in box.text(), box.text()
        assert said in window.statusBar().currentMessage()
        box.close()
        # Nothing changed: the same plan, the same cycle, the same frame on show.
        assert doc.plan is plan and panel.cycle is cycle and panel.index == 1
        assert doc.shown_frame is not None and doc.shown_frame.index == 1


def test_predict_with_device_in_the_worker(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    panel = _open(window)
    assert not panel.predict_button.isEnabled()  # no ring yet
    doc.choose_ring("physio-like", 32.0)
    wait_preview(qtbot, window)
    assert panel.predict_button.isEnabled()
    threads: list[str] = []
    real = cycle_module.simulate_cycle

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(cycle_module, "simulate_cycle", recorded)
    qtbot.mouseClick(panel.predict_button, Qt.MouseButton.LeftButton)
    assert panel.status == "running" and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.status == "done", timeout=PREDICT_TIMEOUT_MS)
    assert threads == ["mvplan-cycle"]  # never the GUI thread
    device = panel.device
    assert device is not None and device.ring == "physio-like"
    kept = device.motion_kept_percent["perimeter_mm"]
    assert panel.cell("perimeter_mm", "Kept") == f"{kept:.0f} %"
    assert (
        panel.cell("perimeter_mm", "With device")
        == f"{device.device.ranges['perimeter_mm'].change:.1f}"
    )
    assert panel.cell("perimeter_mm", "In vivo kept") == "36 %"  # semi-rigid: 4 of 11 mm
    assert "semi-rigid 4 ± 2" in panel.note.text() and "no ring 11 ± 5" in panel.note.text()
    # Each frame shows its reshaped annulus: in the view and in the measurements panel.
    panel.set_frame(1)
    result = device.results[1]
    assert window.view.scene.result is result
    assert _shown(window, "perimeter_mm", "With ring") == value_text(
        "perimeter_mm", result.post.values["perimeter_mm"]
    )
    assert doc.preview.result is not result  # the plan's own preview is untouched
    # Another size: the prediction is of another device and goes.
    doc.choose_ring("physio-like", 34.0)
    assert panel.device is None and panel.cell("perimeter_mm", "Kept") == ""
    assert "predict again" in panel.state.text()


def test_a_prediction_can_be_cancelled(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    doc = window.document
    panel = _open(window)
    doc.choose_ring("physio-like", 32.0)
    started = threading.Event()

    def endless(*_args: Any, cancel: Any = None, progress: Any = None, **_kw: Any) -> Any:
        progress(0, 2)
        started.set()
        while not cancel():
            threading.Event().wait(0.01)
        raise Cancelled("cancelled")

    monkeypatch.setattr(cycle_module, "simulate_cycle", endless)
    assert panel.predict()
    assert started.wait(10)
    qtbot.waitUntil(lambda: panel.progress.maximum() == 2, timeout=5000)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.status == "cancelled" and panel.device is None
    assert panel.predictor.wait_idle(10)
    assert panel.predict_button.isEnabled()


def _gui(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``mvplan gui ARGS`` as a user runs it, with no display (as test_cli_gui does)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # the command must configure itself
    env.pop("VTK_DEFAULT_OPENGL_WINDOW", None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return subprocess.run(
        [sys.executable, "-m", "mvplan.cli", "gui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_mvplan_gui_opens_a_folder_as_a_cycle(tmp_path: Path) -> None:
    """``mvplan gui FOLDER --screenshot PNG --exit``: the frames in name order; a frame that
    cannot be read is one line and exit code 2."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for frame in FRAMES:
        (folder / frame.name).write_bytes(frame.read_bytes())
    shot = tmp_path / "cycle.png"
    done = _gui([str(folder), "--screenshot", str(shot), "--exit", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cycle"] == [str(folder)]
    assert shot.stat().st_size > 10_000
    missing, bad_shot = tmp_path / "no.vtk", tmp_path / "bad.png"
    bad = _gui([str(FRAMES[0]), str(missing), "--screenshot", str(bad_shot), "--exit"], tmp_path)
    assert bad.returncode == 2 and "no.vtk" in bad.stderr
    assert not bad_shot.exists()
