"""configure_headless sets up off-screen Qt and VTK only when it should, and the import
boundaries hold: mvplan and mvplan.headless load no VTK or Qt, mvplan.render no Qt."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mvplan import headless


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "VTK_DEFAULT_OPENGL_WINDOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(headless, "osmesa_available", lambda: True)
    return monkeypatch


def test_a_display_is_left_alone(env: pytest.MonkeyPatch) -> None:
    env.setenv("DISPLAY", ":0")
    assert headless.configure_headless() is False
    assert headless.os.environ["DISPLAY"] == ":0"
    assert "QT_QPA_PLATFORM" not in headless.os.environ
    assert "VTK_DEFAULT_OPENGL_WINDOW" not in headless.os.environ


@pytest.mark.parametrize("display", [None, ":0", "wayland-0"])
def test_no_display_or_force_configures_offscreen(
    env: pytest.MonkeyPatch, display: str | None
) -> None:
    if display == ":0":
        env.setenv("DISPLAY", display)
    elif display is not None:
        env.setenv("WAYLAND_DISPLAY", display)
    assert headless.configure_headless(force=display is not None) is True
    environ = headless.os.environ
    assert environ["QT_QPA_PLATFORM"] == "offscreen"
    assert environ["VTK_DEFAULT_OPENGL_WINDOW"] == "vtkOSOpenGLRenderWindow"
    # Qt offscreen with DISPLAY set dies with X's BadWindow (ENVIRONMENT.md).
    assert "DISPLAY" not in environ and "WAYLAND_DISPLAY" not in environ


def test_without_osmesa_vtk_keeps_its_default_window(env: pytest.MonkeyPatch) -> None:
    # The OSMesa window segfaults without libOSMesa; VTK's own fallback (EGL) does not.
    env.setattr(headless, "osmesa_available", lambda: False)
    assert headless.configure_headless() is True
    assert headless.os.environ["QT_QPA_PLATFORM"] == "offscreen"
    assert "VTK_DEFAULT_OPENGL_WINDOW" not in headless.os.environ


def _loaded_after(statement: str) -> set[str]:
    code = (
        f"import sys\n{statement}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(run.stdout.strip().split(","))


def test_import_boundaries() -> None:
    gui_or_vtk = {"PySide6", "shiboken6", "vtk", "vtkmodules"}
    assert not _loaded_after("import mvplan, mvplan.headless") & gui_or_vtk
    loaded = _loaded_after("import mvplan.render")
    assert "vtkmodules" in loaded
    assert not loaded & {"PySide6", "shiboken6", "vtk"}
