"""The application: open a file, show the window, and (in batch) take a screenshot and exit.

``run`` reads the file before any window exists, so a bad file is one line and exit code 2
from ``mvplan gui`` (the error propagates to :func:`mvplan.cli.main`), never a half-built
window. Before a screenshot the preview is left to finish (at most
:data:`SETTLE_TIMEOUT_S`) so the picture shows the solved plan. With ``exit_after`` the run
is a batch one: no notice, no recent files, no saved layout, no questions, no crash-recovery
autosave; a screenshot
alone (on a desktop) skips the first-start notice and then leaves the window open.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from mvplan import __version__
from mvplan.errors import InputError
from mvplan.gui.compat import guard_none_refcount
from mvplan.gui.cycle import load_cycle
from mvplan.gui.document import PlanDocument
from mvplan.gui.main_window import MainWindow
from mvplan.gui.recovery import default_recovery_dir

#: Longest wait for the preview solve before a batch screenshot, s.
SETTLE_TIMEOUT_S = 60.0

#: Longest wait for the leaflet closure before a screenshot, s (a fine mesh takes minutes).
CLOSURE_TIMEOUT_S = 600.0


#: Qt messages that say nothing to a user (the off-screen platform's limits: it cannot stack
#: windows, which bringing a tabbed dock to the front asks of it).
QUIET_QT_MESSAGES = ("propagateSizeHints", "This plugin does not support")


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    if any(text in message for text in QUIET_QT_MESSAGES):
        return
    print(f"qt: {message}", file=sys.stderr)


def application() -> QApplication:
    """The QApplication (created once, named for QSettings)."""
    app = QApplication.instance()
    if app is None:
        qInstallMessageHandler(_qt_message)
        app = QApplication([sys.argv[0] if sys.argv else "mvplan"])
    QCoreApplication.setOrganizationName("mvplan")
    QCoreApplication.setApplicationName("mvplan")
    QCoreApplication.setApplicationVersion(__version__)
    guard_none_refcount(app)
    assert isinstance(app, QApplication)
    return app


def settle(window: MainWindow, timeout: float = SETTLE_TIMEOUT_S) -> bool:
    """Run the event loop until the preview is idle and the view drawn; False on timeout."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout
    idle = False
    while time.monotonic() < deadline:
        app.processEvents()
        if not window.preview.busy and window.document.preview.status != "solving":
            idle = True
            break
        time.sleep(0.005)
    app.processEvents()
    window.view.render_now()
    return idle


def settle_closure(window: MainWindow, timeout: float = CLOSURE_TIMEOUT_S) -> bool:
    """Run the event loop until the leaflet closure is no longer being solved (and its
    answer is on show); False on timeout."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout
    while window.closure.running and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()
    return not window.closure.running


def freeze_startup_objects() -> None:
    """Move everything allocated so far out of the garbage collector's reach.

    Qt, VTK and the catalogue leave hundreds of thousands of long-lived objects; a full
    (generation 2) collection walks them all and paused the event loop for up to 47 ms during
    a drag (measured with ``gc.callbacks``). Frozen, they are never walked again; what the
    session allocates afterwards is collected as usual.
    """
    gc.collect()
    gc.freeze()


def run(
    file: str | Path | None = None,
    *,
    screenshot: str | Path | None = None,
    exit_after: bool = False,
    size: tuple[int, int] = (1280, 800),
    landmarks: str | Path | None = None,
    papillary: str | Path | None = None,
    closure: bool = False,
    cycle: Sequence[str | Path] | None = None,
) -> int:
    """Open ``file`` (an annulus or a plan) in the window; return the exit code.

    ``cycle`` (instead of ``file``: several annulus files in time order, or one folder) opens
    the frames of a moving annulus as *File > Open cycle* does, the plan on the first frame.

    ``landmarks`` and ``papillary`` (files of labelled landmark points and of papillary tips)
    are applied to it as the File menu would. ``closure`` solves the leaflet closure once the
    window is up (as *Simulate closure*), and before the screenshot when there is one.

    Raises
    ------
    MvplanError, OSError
        ``file`` cannot be read (before any window is made), or the screenshot cannot be
        written; in a batch run (``exit_after``), the closure did not converge or failed
        (after the screenshot, which shows the message).
    """
    document = PlanDocument()
    frames = None
    if cycle is not None:
        if file is not None or landmarks is not None or papillary is not None:
            raise InputError(
                "a cycle opens alone: give its landmark and papillary files from the File menu"
            )
        frames = load_cycle(cycle)
    if file is not None:
        document.open(file)
    elif frames is None and (landmarks is not None or papillary is not None):
        raise InputError("landmark and papillary files need an annulus file to go with")
    elif closure and frames is None:
        raise InputError("the leaflet closure needs an annulus or a plan file")
    if papillary is not None:
        document.load_papillary(papillary)
    if landmarks is not None:
        document.load_landmarks(landmarks)
    if screenshot is not None:
        folder = Path(screenshot).resolve().parent
        if not folder.is_dir():
            raise InputError(f"cannot write {Path(screenshot).name}: {folder} does not exist")
    app = application()
    interactive = not exit_after
    window = MainWindow(
        document,
        show_notice=interactive and screenshot is None,
        remember=interactive,
        confirm_discard=interactive,
        recovery_dir=default_recovery_dir() if interactive else None,
    )
    window.resize(*size)
    if frames is not None:
        window.show_cycle(frames)
    if file is not None and interactive:
        window.recent.add(Path(file))
    window.show()
    if closure and screenshot is None and interactive:
        window.simulate_closure()  # in the background: the window answers meanwhile
    elif closure:
        settle(window)
        window.simulate_closure()
        settle_closure(window)
    if screenshot is not None:
        settle(window)
        try:
            window.save_screenshot(screenshot)
        except BaseException:
            window.shutdown()
            raise
    if closure and not interactive and window.closure.last_error is not None:
        error = window.closure.last_error
        window.shutdown()
        window.close()
        raise error
    if interactive:
        freeze_startup_objects()
        return int(app.exec())
    window.shutdown()
    window.close()
    return 0


__all__ = [
    "CLOSURE_TIMEOUT_S",
    "SETTLE_TIMEOUT_S",
    "application",
    "freeze_startup_objects",
    "run",
    "settle",
    "settle_closure",
]
