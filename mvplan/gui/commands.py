"""The window's commands: actions with their shortcuts, the menus, the toolbar, recent files.

Each action calls one slot of :class:`~mvplan.gui.main_window.MainWindow` (which wraps the
document call) and is enabled only when it can do something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QStyle, QToolBar

from mvplan.gui.document import PlanDocument

if TYPE_CHECKING:
    from mvplan.gui.main_window import MainWindow

_Keys = QKeySequence | QKeySequence.StandardKey | str

#: Files kept in File > Open recent.
MAX_RECENT = 8

#: QSettings key of the recent files.
SETTING_RECENT = "recentFiles"


class RecentFiles(QObject):
    """The recent-files list in QSettings and its menu (File > Open recent)."""

    def __init__(
        self,
        settings: QSettings,
        open_path: Callable[[str], Any],
        *,
        enabled: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._open = open_path
        self._enabled = enabled
        self.menu = QMenu("Open &recent")

    def files(self) -> list[str]:
        """Full paths, most recent first."""
        value = self.settings.value(SETTING_RECENT, [])
        if isinstance(value, str):
            return [value]
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return []

    def add(self, path: Path) -> None:
        """Put ``path`` first (not in batch runs)."""
        if not self._enabled:
            return
        text = str(path.resolve())
        files = [text, *(f for f in self.files() if f != text)][:MAX_RECENT]
        self.settings.setValue(SETTING_RECENT, files)
        self.rebuild()

    def clear(self) -> None:
        self.settings.setValue(SETTING_RECENT, [])
        self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        files = self.files()
        for i, name in enumerate(files):
            action = self.menu.addAction(f"&{i + 1} {Path(name).name}")
            action.setToolTip(name)
            action.triggered.connect(lambda _checked=False, n=name: self._open(n))
        if files:
            self.menu.addSeparator()
            self.menu.addAction("Clear list").triggered.connect(self.clear)
        self.menu.setEnabled(bool(files))


class WindowCommands:
    """Every action of the window, with its menus and toolbar (module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        w = window
        SP = QStyle.StandardPixmap
        Key = QKeySequence.StandardKey
        self.open = self._action(
            "&Open…",
            w.open_dialog,
            Key.Open,
            "Open an annulus or a plan file",
            SP.SP_DialogOpenButton,
        )
        self.open_cycle = self._action(
            "Open c&ycle…",
            w.open_cycle_dialog,
            tip="Open the frames of a moving annulus (4D series), in time order",
        )
        self.open_cycle_folder = self._action(
            "Open cycle &folder…",
            lambda: w.open_cycle_dialog(folder=True),
            tip="Open a folder of annulus frames (in natural order of the names)",
        )
        self.landmarks = self._action(
            "Open &landmarks…",
            w.landmarks_dialog,
            "Ctrl+Shift+L",
            "Give landmarks (A, P, ALC, PMC, ALT, PMT) from a file of labelled points",
        )
        self.papillary = self._action(
            "Open &papillary tips…",
            w.papillary_dialog,
            "Ctrl+Shift+P",
            "Papillary-muscle tips: they decide the atrial side of the annulus",
        )
        self.cs_path = self._action(
            "Open &coronary-sinus path…",
            w.cs_path_dialog,
            tip="A traced coronary-sinus centreline for a coronary-sinus device "
            "(in place of the estimated one)",
        )
        self.artery = self._action(
            "Open circumflex &artery…",
            w.artery_dialog,
            tip="The circumflex artery's centreline: how close a percutaneous device comes to it",
        )
        self.save = self._action(
            "&Save plan", w.save, Key.Save, "Save the plan", SP.SP_DialogSaveButton
        )
        self.save_as = self._action("Save plan &as…", w.save_as_dialog, Key.SaveAs)
        self.screenshot = self._action(
            "Save s&creenshot…",
            w.screenshot_dialog,
            "F12",
            "Save the window, 3D view included, as a PNG image",
        )
        self.export_scene = self._action(
            "&Export scene…",
            w.export_scene_dialog,
            "Ctrl+E",
            "The annuli, ring and sutures for a 3D viewer or VTK (glTF, VTK, STL, PLY, OBJ)",
        )
        self.export_markups = self._action(
            "Export Slicer &markups…",
            w.export_markups_dialog,
            tip="The native and reshaped annulus and the ring as 3D Slicer curves, "
            "in the input file's coordinates",
        )
        self.export_image = self._action(
            "Export &image…",
            w.export_image_dialog,
            tip="The 3D scene alone, off screen, in the current view",
        )
        self.report = self._action(
            "&Report…",
            w.report_dialog,
            "Ctrl+Shift+R",
            "An HTML report of the plan, with its numbers as CSV and JSON",
        )
        self.quit = self._action("&Quit", w.close, Key.Quit)
        self.undo = self._action("&Undo", w.document_undo, Key.Undo, "Undo", SP.SP_ArrowBack)
        self.redo = self._action(
            "&Redo", w.document_redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo", SP.SP_ArrowForward
        )
        self.auto_place = self._action(
            "&Automatic placement",
            lambda: w.attempt(w.document.auto_place),
            "Ctrl+R",
            "Fit the ring to the annulus landmarks again",
        )
        self.remove_ring = self._action("Remove ring", lambda: w.attempt(w.document.remove_ring))
        self.simulate_closure = self._action(
            "Simulate &closure",
            w.simulate_closure,
            "Ctrl+L",
            "Close the leaflets under systolic pressure, natively and with the ring "
            "(a few seconds)",
        )
        self.cancel_closure = self._action(
            "Cancel c&losure", w.cancel_closure, tip="Stop the leaflet closure being solved"
        )
        self.predict_cycle = self._action(
            "Predict c&ycle with device",
            w.predict_cycle,
            tip="Solve the plan's ring on every frame of the cycle: how much motion it keeps",
        )
        self.size_sweep = self._action(
            "Size &sweep…",
            w.show_sweep,
            tip="Simulate every size of a ring family and see which the sweep recommends",
        )
        self.views = {
            "atrial": self._action(
                "&Atrial (surgeon's view)",
                lambda: w.view.set_view("atrial"),
                "Ctrl+1",
                "The surgeon's view from the left atrium, A at 12 o'clock",
            ),
            "lateral": self._action(
                "&Lateral",
                lambda: w.view.set_view("lateral"),
                "Ctrl+2",
                "From the side, along the commissural axis",
            ),
            "ap": self._action(
                "A&P", lambda: w.view.set_view("ap"), "Ctrl+3", "From the side, along the A-P axis"
            ),
        }
        self.reset_view = self._action(
            "&Reset view", w.view.reset_view, "Ctrl+0", "Back to the current preset"
        )
        self.about = self._action("&About mvplan", w.about, Key.HelpContents)
        self._build_menus()
        self.toolbar = self._build_toolbar()

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: _Keys | Sequence[_Keys] | None = None,
        tip: str = "",
        icon: QStyle.StandardPixmap | None = None,
    ) -> QAction:
        window = self._window
        action = QAction(text, window)
        if icon is not None:
            action.setIcon(window.style().standardIcon(icon))
        if shortcut is not None:
            keys = list(shortcut) if isinstance(shortcut, list | tuple) else [shortcut]
            action.setShortcuts([QKeySequence(cast(_Keys, k)) for k in keys])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        window.addAction(action)
        return action

    def _build_menus(self) -> None:
        window = self._window
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open)
        file_menu.addMenu(window.recent.menu)
        file_menu.addAction(self.open_cycle)
        file_menu.addAction(self.open_cycle_folder)
        file_menu.addAction(self.landmarks)
        file_menu.addAction(self.papillary)
        file_menu.addAction(self.cs_path)
        file_menu.addAction(self.artery)
        file_menu.addSeparator()
        for action in (self.save, self.save_as, self.screenshot):
            file_menu.addAction(action)
        file_menu.addSeparator()
        for action in (self.export_scene, self.export_markups, self.export_image, self.report):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo)
        edit.addAction(self.redo)
        edit.addSeparator()
        edit.addAction(self.auto_place)
        edit.addAction(self.remove_ring)
        simulate = bar.addMenu("&Simulate")
        simulate.addAction(self.simulate_closure)
        simulate.addAction(self.cancel_closure)
        simulate.addSeparator()
        simulate.addAction(self.size_sweep)
        simulate.addAction(self.predict_cycle)
        view = bar.addMenu("&View")
        for action in self.views.values():
            view.addAction(action)
        view.addAction(self.reset_view)
        view.addSeparator()
        for dock in window.docks.values():
            view.addAction(dock.toggleViewAction())
        bar.addMenu("&Help").addAction(self.about)
        window.recent.rebuild()

    def _build_toolbar(self) -> QToolBar:
        window = self._window
        bar = QToolBar("Main", window)
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.open, self.save, None, self.undo, self.redo, None):
            if action is None:
                bar.addSeparator()
            else:
                bar.addAction(action)
        bar.addWidget(QLabel(" View: "))
        short = {"atrial": "Atrial", "lateral": "Lateral", "ap": "AP"}
        for key, action in self.views.items():
            bar.addAction(self._alias(short[key], action))
        bar.addSeparator()
        self.toolbar_auto_place = self._alias("Auto place", self.auto_place)
        bar.addAction(self.toolbar_auto_place)
        self.toolbar_closure = self._alias("Closure", self.simulate_closure)
        bar.addAction(self.toolbar_closure)
        bar.addAction(self._alias("Screenshot", self.screenshot))
        window.addToolBar(bar)
        return bar

    def _alias(self, text: str, action: QAction) -> QAction:
        """A shorter toolbar button for ``action`` (its shortcut in the tooltip)."""
        alias = QAction(text, self._window)
        keys = action.shortcut().toString()
        alias.setToolTip(f"{action.toolTip()} ({keys})" if keys else action.toolTip())
        alias.triggered.connect(action.trigger)
        return alias

    def update(self, document: PlanDocument) -> None:
        """Enable what can act on the document, and name what undo and redo would do."""
        plan = document.plan
        has_plan = plan is not None
        has_ring = plan is not None and plan.ring is not None
        self.undo.setEnabled(document.can_undo())
        self.redo.setEnabled(document.can_redo())
        self.undo.setText(f"&Undo {document.undo_text()}".rstrip())
        self.redo.setText(f"&Redo {document.redo_text()}".rstrip())
        for action in (
            self.save,
            self.save_as,
            self.landmarks,
            self.papillary,
            self.cs_path,
            self.artery,
        ):
            action.setEnabled(has_plan)
        for action in (self.export_scene, self.export_markups, self.export_image, self.report):
            action.setEnabled(has_plan)
        for action in (self.auto_place, self.remove_ring, self.toolbar_auto_place):
            action.setEnabled(has_ring)
        running = self._window.closure.running
        for action in (self.simulate_closure, self.toolbar_closure):
            action.setEnabled(has_plan and not running)
        self.cancel_closure.setEnabled(running)
        self.size_sweep.setEnabled(has_plan)
        self.predict_cycle.setEnabled(has_ring and self._window.cycle_panel.cycle is not None)


__all__ = ["MAX_RECENT", "SETTING_RECENT", "RecentFiles", "WindowCommands"]
