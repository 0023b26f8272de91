"""Crash recovery: every change autosaved; a session that really crashed is offered back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui.helpers import SAMPLE, wait_preview
from PySide6.QtWidgets import QMessageBox

from mvplan.gui.main_window import MainWindow
from mvplan.gui.pose import PoseParameters, pose_parameters
from mvplan.gui.recovery import RecoverySession
from mvplan.planfile import PLAN_SUFFIX, load_plan, plan_to_document

pytestmark = pytest.mark.gui

CRASHING_SESSION = """
import os, sys
from mvplan.gui.recovery import RecoverySession
from mvplan.io.load import load_annulus
from mvplan.workflow import make_plan
session = RecoverySession(sys.argv[1])
plan = make_plan(load_annulus(sys.argv[2]), "etlogix-like", size_mm=30, name="before the crash")
session.autosave(plan.plan)
session.wait()
os._exit(1)  # a crash: no clean-up of any kind
"""


def crash_a_session(folder: Path) -> Path:
    """Run a session in another process that autosaves a plan and dies; return its file."""
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_SESSION, str(folder), str(SAMPLE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    (left,) = folder.glob(f"*{PLAN_SUFFIX}")
    assert len(list(folder.glob("*.lock"))) == 1  # its lock is still there
    return left


def make_window(qtbot, settings, folder: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(
        settings=settings, show_notice=False, confirm_discard=False, recovery_dir=folder
    )
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    return win


def test_every_change_is_autosaved_and_a_clean_close_leaves_nothing(
    qtbot, settings, none_guard, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "recovery"
    win = make_window(qtbot, settings, folder)
    recovery = win.recovery
    assert recovery is not None
    win.open_path(SAMPLE)
    win.document.choose_ring("physio-like", 30.0)
    wait_preview(qtbot, win)
    params = pose_parameters(win.document.placement)
    win.document.set_pose(PoseParameters(params.x_mm + 0.8, params.y_mm, params.height_mm))
    assert recovery.wait()
    saved = load_plan(recovery.path)
    assert saved.placement == win.document.plan.placement  # the last change is in it
    assert saved.ring == win.document.plan.ring
    # Saving the plan makes the recovery file pointless: it goes.
    win.document.save(tmp_path / "kept.mvplan.json")
    assert recovery.wait() and not recovery.path.exists()
    win.document.undo()
    assert recovery.wait() and recovery.path.exists()
    win.shutdown()
    assert list(folder.iterdir()) == []  # no plan, no lock


def test_a_crashed_session_is_offered_back(qtbot, settings, none_guard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "recovery"
    folder.mkdir()
    left = crash_a_session(folder)
    crashed = json.loads(left.read_text())
    win = make_window(qtbot, settings, folder)
    qtbot.waitUntil(lambda: win.last_message_box is not None and win.last_message_box.isVisible())
    box = win.last_message_box
    assert "did not close properly" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    doc = win.document
    qtbot.waitUntil(lambda: doc.plan is not None)
    assert doc.plan.name == "before the crash" and doc.modified
    assert doc.plan.ring.family == "etlogix-like"
    assert np.array_equal(doc.plan.annulus.points, np.array(crashed["annulus"]["points_mm"]))
    assert plan_to_document(doc.plan)["placement"] == crashed["placement"]
    assert not left.exists()  # recovered: now this session's own file holds it
    assert win.recovery is not None and win.recovery.wait() and win.recovery.path.exists()
    own_lock = win.recovery.path.name.removesuffix(PLAN_SUFFIX) + ".lock"
    assert [p.name for p in folder.glob("*.lock")] == [own_lock]  # the crashed one's is gone
    win.shutdown()


def test_declining_removes_the_file(qtbot, settings, none_guard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "recovery"
    folder.mkdir()
    left = crash_a_session(folder)
    win = make_window(qtbot, settings, folder)
    qtbot.waitUntil(lambda: win.last_message_box is not None and win.last_message_box.isVisible())
    win.last_message_box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not left.exists())
    assert win.document.plan is None
    win.shutdown()


def test_a_live_session_is_not_taken_for_a_crashed_one(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from mvplan.io.load import load_annulus
    from mvplan.plan import Plan

    first = RecoverySession(tmp_path)
    first.autosave(Plan(annulus=load_annulus(SAMPLE)))
    assert first.wait() and first.path.exists()
    second = RecoverySession(tmp_path)
    assert second.left_behind() == []
    assert first.path.exists()
    first.close()
    second.close()
    assert list(tmp_path.iterdir()) == []
