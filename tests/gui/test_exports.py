"""The File menu's exports: scene, markups, image and report of the plan on show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gui.helpers import SAMPLE, wait_preview
from PySide6.QtWidgets import QFileDialog

pytestmark = pytest.mark.gui


def choose(monkeypatch, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Answer the next save dialog with ``path``."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_exports_from_the_file_menu(qtbot, window, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import trimesh

    commands = window.commands
    assert not commands.export_scene.isEnabled()  # nothing open yet
    window.open_path(SAMPLE)
    window.document.choose_ring("physio-like", 30.0)
    wait_preview(qtbot, window)
    assert commands.export_scene.isEnabled() and commands.report.isEnabled()

    choose(monkeypatch, tmp_path / "scene.glb")
    commands.export_scene.trigger()
    scene = trimesh.load(tmp_path / "scene.glb")
    assert {"annulus_native", "annulus_reshaped", "ring", "sutures"} <= set(scene.geometry)
    assert "scene.glb" in window.statusBar().currentMessage()

    choose(monkeypatch, tmp_path / "curves.mrk.json")
    commands.export_markups.trigger()
    markups = json.loads((tmp_path / "curves.mrk.json").read_text())
    names = {m["name"] for m in markups["markups"]}
    assert names == {"annulus_native", "annulus_reshaped", "ring", "landmarks"}

    choose(monkeypatch, tmp_path / "report.html")
    commands.report.trigger()
    html = (tmp_path / "report.html").read_text()
    assert "research use only" in html.lower()
    assert (tmp_path / "report.csv").is_file() and (tmp_path / "report.json").is_file()
    # The numbers are the preview's: the same solve, not another one.
    figures = json.loads((tmp_path / "report.json").read_text())
    result = window.document.preview.result
    assert result is not None and figures["simulation"]["simulated"]
    forces = [s["force_n"] for s in figures["sutures"]]
    assert forces == [float(f) for f in result.suture_forces_n]


def test_a_failed_export_says_why(qtbot, window, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window.open_path(SAMPLE)
    choose(monkeypatch, tmp_path / "scene.xyz")
    window.commands.export_scene.trigger()
    box = window.last_message_box
    assert box is not None and "scene.xyz" in box.text() and "\n" not in box.text()
    box.close()
    assert not (tmp_path / "scene.xyz").exists()
