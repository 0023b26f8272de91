"""GUI tests run off screen: Qt's offscreen platform and VTK's OSMesa window, no DISPLAY.

The environment is set here, before any QApplication or VTK render window exists
(ENVIRONMENT.md: Qt offscreen with VTK's default EGL window draws black; with DISPLAY still
set X fails). Settings go to a temporary INI file, never the user's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mvplan.headless import configure_headless

configure_headless(force=True)


@pytest.fixture
def none_guard(qapp):  # type: ignore[no-untyped-def]
    """PySide6 6.12.0 leaks references to None (mvplan.gui.compat): keep the reserve on."""
    from mvplan.gui.compat import guard_none_refcount

    guard_none_refcount(qapp)


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "mvplan-settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings, none_guard) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The main window at 1280x800, shown off screen, with no notice and no questions."""
    from mvplan.gui.main_window import MainWindow

    win = MainWindow(settings=settings, show_notice=False, confirm_discard=False)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitUntil(lambda: win.isVisible())
    yield win
    win.shutdown()
