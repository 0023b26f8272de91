"""The main window: docks, status bar, files, screenshots, notices.

The window owns a :class:`~mvplan.gui.document.PlanDocument`, a
:class:`~mvplan.gui.preview.PreviewController` and a
:class:`~mvplan.gui.closure.ClosureController`; the 3D view sits in the centre, the ring
catalogue and the placement on the left, the measurements (with the leaflet closure and the
size sweep in tabs beside them) and the preview on the right. Every
action (menus, toolbar and shortcuts: :mod:`mvplan.gui.commands`) is one document call wrapped
in :meth:`MainWindow.attempt`, which shows a failure as one line (status bar, and a message box
for files) and leaves the plan as it was. An interactive session autosaves the plan after
every change and offers it back after a crash (:mod:`mvplan.gui.recovery`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QPainter,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from mvplan import __version__
from mvplan.errors import MvplanError
from mvplan.export import export_plan
from mvplan.export.report import write_report
from mvplan.gui.catalogue_panel import CataloguePanel
from mvplan.gui.closure import ClosureController
from mvplan.gui.closure_panel import ClosurePanel
from mvplan.gui.commands import RecentFiles, WindowCommands
from mvplan.gui.cycle import Cycle
from mvplan.gui.cycle_panel import CyclePanel, ask_cycle_files, ask_cycle_folder
from mvplan.gui.device_panel import DevicePanel
from mvplan.gui.document import PlanDocument, is_plan_file
from mvplan.gui.measurements_panel import MeasurementsPanel
from mvplan.gui.placement_panel import PlacementPanel
from mvplan.gui.preview import PreviewController
from mvplan.gui.recovery import LeftBehind, RecoverySession
from mvplan.gui.restyle import restyle
from mvplan.gui.result_panel import ResultPanel
from mvplan.gui.sweep_panel import SweepPanel
from mvplan.gui.view3d import PlanView
from mvplan.plan import Plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.rings.spec import RingSpec
from mvplan.workflow import ClosureOutcome, simulate_plan, with_results

RESEARCH_NOTICE = (
    "mvplan is for research use only. It is not a medical device and must not be used for "
    "clinical decisions: its measurements, ring recommendations and simulations have not "
    "been validated for patient care."
)

ANNULUS_FILTER = (
    "Annulus and plan files (*.csv *.txt *.mrk.json *.json *.vtk *.vtp *.stl *.ply *.obj);;"
    "Plan files (*.mvplan.json);;All files (*)"
)
POINTS_FILTER = "Point files (*.csv *.txt *.mrk.json *.json);;All files (*)"
CURVE_FILTER = "Curve files (*.csv *.txt *.mrk.json *.json *.vtk *.vtp);;All files (*)"
#: Keys of the window's QSettings (the recent files: mvplan.gui.commands).
SETTING_NOTICE = "researchNoticeShown"
SETTING_GEOMETRY = "window/geometry"
SETTING_STATE = "window/state"


def app_settings() -> QSettings:
    """mvplan's settings (INI file in the user's config folder)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "mvplan", "mvplan")


def side_file_kind(path: str | Path) -> str:
    """What a dropped file is, by its name: ``plan``, ``papillary``, ``landmarks`` or
    ``annulus``."""
    name = Path(path).name.lower()
    if is_plan_file(path):
        return "plan"
    if "papillary" in name or "tips" in name:
        return "papillary"
    if "landmark" in name:
        return "landmarks"
    return "annulus"


class MainWindow(QMainWindow):
    """The mvplan desktop window (module docstring).

    Parameters
    ----------
    document : PlanDocument, optional
    settings : QSettings, optional
        Where recent files and the notice flag live (default :func:`app_settings`).
    show_notice : bool
        Show the research-use notice on the first start (never in batch runs or tests).
    remember : bool
        Record opened files in the recent list and the window layout (off in batch runs).
    confirm_discard : bool
        Ask before unsaved changes are dropped (off in batch runs and tests).
    """

    def __init__(
        self,
        document: PlanDocument | None = None,
        *,
        settings: QSettings | None = None,
        show_notice: bool = True,
        remember: bool = True,
        confirm_discard: bool = True,
        recovery_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.document = document or PlanDocument()
        self.settings = settings or app_settings()
        self._remember = remember
        self._confirm_discard = confirm_discard
        self.messages: list[str] = []
        self.last_message_box: QMessageBox | None = None
        self._safety_said: object | None = None  # the safety whose warning was last said
        self.recovery: RecoverySession | None = None
        self.setObjectName("mvplanMainWindow")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

        self.preview = PreviewController(self.document, self)
        self.closure = ClosureController(self.document, parent=self)
        self.view = PlanView(self.document, self.report, self)
        self.setCentralWidget(self.view)
        self.catalogue_panel = CataloguePanel(self.document, self.report, self)
        self.placement_panel = PlacementPanel(self.document, self.report, self)
        self.measurements_panel = MeasurementsPanel(self.document, self)
        self.result_panel = ResultPanel(self.document, self)
        self.closure_panel = ClosurePanel(self.document, self.closure, self)
        self.closure_panel.simulate_button.clicked.connect(self.simulate_closure)
        self.sweep_panel = SweepPanel(self.document, self.report, self)
        self.cycle_panel = CyclePanel(self.document, self.report, self)
        self.device_panel = DevicePanel(
            self.document, self.report, self.cs_path_dialog, self.artery_dialog, self
        )
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("catalogue", "Ring catalogue", self.catalogue_panel, left=True)
        # A ring's pose or a device's vessels: only one is of use at a time, so they share
        # the dock (a tab beside it would squeeze the catalogue above); the device panel
        # scrolls rather than push the catalogue below its size.
        device_scroll = QScrollArea(self)
        device_scroll.setWidgetResizable(True)
        device_scroll.setFrameShape(QFrame.Shape.NoFrame)
        device_scroll.setWidget(self.device_panel)
        self.placement_stack = QStackedWidget(self)
        self.placement_stack.addWidget(self.placement_panel)
        self.placement_stack.addWidget(device_scroll)
        self._add_dock("placement", "Placement", self.placement_stack, left=True)
        self._add_dock("measurements", "Measurements", self.measurements_panel, left=False)
        self._add_dock("preview", "Preview: sutures and solver", self.result_panel, left=False)
        self._add_dock("closure", "Leaflet closure", self.closure_panel, left=False)
        self._add_dock("sweep", "Size sweep", self.sweep_panel, left=False)
        # Under the 3D view, as a player's controls; out of the way until a cycle is opened.
        self._add_dock("cycle", "Cardiac cycle", self.cycle_panel, left=False)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["cycle"])
        self.docks["cycle"].hide()
        # The closure's figures and the sweep's table need the taller of the two places on the
        # right; the preview keeps its own, seen while the ring is placed.
        self.tabifyDockWidget(self.docks["measurements"], self.docks["closure"])
        self.tabifyDockWidget(self.docks["closure"], self.docks["sweep"])
        self.docks["measurements"].raise_()
        self.docks["preview"].raise_()
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        self.recent = RecentFiles(self.settings, self.open_path, enabled=remember, parent=self)
        self.commands = WindowCommands(self)
        self._build_status_bar()
        self.resize(1280, 800)
        self._layout_docks()
        self.document.plan_changed.connect(self._on_plan_changed)
        self.document.preview_changed.connect(self._on_preview_changed)
        self.document.closure_changed.connect(self._on_closure_changed)
        self.closure.changed.connect(self._update_actions)
        self._closure_status = self.document.closure.status
        self.document.saved.connect(self._update_title)
        self.document.saved.connect(self._autosave)
        self._update_actions()
        self._update_title()
        if remember:
            self._restore_layout()
        if self.document.plan is not None:
            self._on_plan_changed("open")
        if show_notice and not self.settings.value(SETTING_NOTICE, False, type=bool):
            QTimer.singleShot(0, self._first_start_notice)
        if recovery_dir is not None:
            self._start_recovery(recovery_dir)

    # -- building ---------------------------------------------------------------------------

    def _add_dock(self, key: str, title: str, widget: QWidget, *, left: bool) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        area = (
            Qt.DockWidgetArea.LeftDockWidgetArea if left else Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _layout_docks(self) -> None:
        d = self.docks
        self.resizeDocks([d["catalogue"], d["measurements"]], [330, 370], Qt.Orientation.Horizontal)
        self.resizeDocks([d["catalogue"], d["placement"]], [430, 300], Qt.Orientation.Vertical)
        self.resizeDocks([d["measurements"], d["preview"]], [450, 290], Qt.Orientation.Vertical)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.solver_label = QLabel("")
        self.solver_label.setObjectName("solverStatus")
        self.safety_label = QLabel("")
        self.safety_label.setObjectName("safetyStatus")
        status.addPermanentWidget(self.safety_label)
        status.addPermanentWidget(self.busy)
        status.addPermanentWidget(self.solver_label)
        status.showMessage("Open an annulus or a plan (Ctrl+O), or drop a file on the window.")

    # -- reporting --------------------------------------------------------------------------

    def report(self, error: BaseException, *, title: str = "", box: bool = False) -> None:
        """Show a failure in one line (status bar; a message box too when ``box``)."""
        text = " ".join(str(error).split()) or type(error).__name__
        self.messages.append(text)
        self.statusBar().showMessage(text, 15000)
        if box:
            dialog = QMessageBox(QMessageBox.Icon.Warning, title or "mvplan", text, parent=self)
            dialog.setStandardButtons(QMessageBox.StandardButton.Ok)
            self.last_message_box = dialog
            dialog.open()  # window-modal but not blocking: the event loop keeps running

    def attempt(self, action: Callable[[], Any], *, title: str = "", box: bool = False) -> bool:
        """Run one document call; on failure say why and leave the plan as it was."""
        self.setCursor(Qt.CursorShape.WaitCursor)
        try:
            action()
        except (MvplanError, OSError, UnicodeDecodeError, ValueError) as exc:
            self.report(exc, title=title, box=box)
            return False
        finally:
            self.unsetCursor()
        return True

    # -- files ------------------------------------------------------------------------------

    def open_path(self, path: str | Path, *, box: bool = True) -> bool:
        """Open an annulus or plan file (what File > Open does after its dialog)."""
        p = Path(path)
        if not self._maybe_discard():
            return False
        ok = self.attempt(lambda: self.document.open(p), title=f"Cannot open {p.name}", box=box)
        if ok:
            self.recent.add(p)
            self.statusBar().showMessage(f"Opened {p.name}", 5000)
        return ok

    def open_landmarks(self, path: str | Path, *, box: bool = True) -> bool:
        p = Path(path)
        return self.attempt(
            lambda: self.document.load_landmarks(p), title=f"Cannot read {p.name}", box=box
        )

    def open_papillary(self, path: str | Path, *, box: bool = True) -> bool:
        p = Path(path)
        return self.attempt(
            lambda: self.document.load_papillary(p), title=f"Cannot read {p.name}", box=box
        )

    def open_cs_path(self, path: str | Path, *, box: bool = True) -> bool:
        """Read a traced coronary-sinus path (what File > Open coronary-sinus path does
        after its dialog); a bad file says why and leaves the plan as it was."""
        p = Path(path)
        ok = self.attempt(
            lambda: self.document.load_cs_path(p), title=f"Cannot read {p.name}", box=box
        )
        if ok:
            self._show_device_dock()
        return ok

    def open_artery(self, path: str | Path, *, box: bool = True) -> bool:
        """Read the circumflex artery (File > Open circumflex artery, after its dialog)."""
        p = Path(path)
        ok = self.attempt(
            lambda: self.document.load_artery(p), title=f"Cannot read {p.name}", box=box
        )
        if ok:
            self._show_device_dock()
        return ok

    def _show_device_dock(self) -> None:
        self._show_placement_page(device=True)
        self.docks["placement"].show()
        self.docks["placement"].raise_()

    def _show_placement_page(self, *, device: bool) -> None:
        """The pose fields (a ring) or the coronary sinus and artery (a device)."""
        self.placement_stack.setCurrentIndex(1 if device else 0)
        title = "Device: coronary sinus and artery" if device else "Placement"
        self.docks["placement"].setWindowTitle(title)

    def open_files(self, paths: Sequence[str | Path]) -> None:
        """Open several files at once (drag and drop): the annulus or plan first, then side
        files, each recognised by its name (:func:`side_file_kind`)."""
        kinds = [(side_file_kind(p), Path(p)) for p in paths]
        order = {"plan": 0, "annulus": 0, "landmarks": 1, "papillary": 2}
        for kind, path in sorted(kinds, key=lambda k: order[k[0]]):
            if kind in ("plan", "annulus"):
                if not self.open_path(path):
                    return
            elif kind == "landmarks":
                self.open_landmarks(path)
            else:
                self.open_papillary(path)

    def open_cycle(self, paths: Sequence[str | Path], *, box: bool = True) -> bool:
        """Open the frames of a moving annulus, several files or one folder (what File > Open
        cycle does after its dialog): :meth:`CyclePanel.open_cycle`."""
        if not paths or not self._maybe_discard():
            return False
        title = f"Cannot open the cycle of {Path(paths[0]).name}"
        ok = self.attempt(lambda: self.cycle_panel.open_cycle(paths), title=title, box=box)
        if ok:
            self.show_cycle(None)
        return ok

    def show_cycle(self, cycle: Cycle | None) -> None:
        """Bring the cycle panel up on ``cycle`` (None: the one it has), saying what opened."""
        if cycle is not None:
            self.cycle_panel.show_cycle(cycle)
        self.docks["cycle"].show()
        self.docks["cycle"].raise_()
        shown = self.cycle_panel.cycle
        if shown is not None:
            said = f" ({shown.warnings[-1]})" if shown.warnings else ""
            self.statusBar().showMessage(f"Opened a cycle of {shown.count} frames{said}", 8000)

    def open_cycle_dialog(self, folder: bool = False) -> None:
        self.open_cycle(ask_cycle_folder(self) if folder else ask_cycle_files(self))

    def predict_cycle(self) -> bool:
        """Solve the plan's ring on every frame of the cycle, in the background."""
        self.docks["cycle"].show()
        self.docks["cycle"].raise_()
        return self.cycle_panel.predict()

    def save(self) -> bool:
        """Save to the plan file it came from, or ask where."""
        target = self.document.sources.plan
        if target is None:
            return self.save_as_dialog()
        return self.save_to(target)

    def save_to(self, path: str | Path) -> bool:
        ok = self.attempt(lambda: self.document.save(path), title="Cannot save", box=True)
        if ok:
            saved = self.document.sources.plan
            self.statusBar().showMessage(f"Saved {saved.name if saved else path}", 5000)
            if saved is not None:
                self.recent.add(saved)
        return ok

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open annulus or plan", "", ANNULUS_FILTER)
        if path:
            self.open_path(path)

    def landmarks_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open landmarks", "", POINTS_FILTER)
        if path:
            self.open_landmarks(path)

    def papillary_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open papillary tips", "", POINTS_FILTER)
        if path:
            self.open_papillary(path)

    def cs_path_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open coronary-sinus path", "", CURVE_FILTER)
        if path:
            self.open_cs_path(path)

    def artery_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open circumflex artery", "", CURVE_FILTER)
        if path:
            self.open_artery(path)

    def save_as_dialog(self) -> bool:
        if self.document.plan is None:
            return False
        start = self.document.sources.plan or self.document.sources.annulus
        suggestion = ""
        if start is not None:
            stem = start.name.split(".")[0]
            suggestion = str(start.with_name(f"{stem}.mvplan.json"))
        path, _ = QFileDialog.getSaveFileName(
            self, "Save plan", suggestion, "Plan files (*.mvplan.json)"
        )
        return bool(path) and self.save_to(path)

    def screenshot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "mvplan.png", "PNG (*.png)")
        if path:
            self.attempt(lambda: self.save_screenshot(path), title="Cannot save", box=True)

    # -- exports (File menu) -----------------------------------------------------------------

    def export_scene_dialog(self) -> None:
        self._export_dialog(
            "Export scene",
            "plan.glb",
            "glTF binary (*.glb);;glTF (*.gltf);;VTK multiblock (*.vtm);;VTK polydata (*.vtp);;"
            "OBJ (*.obj);;STL, one file per object (*.stl);;PLY, one file per object (*.ply)",
            frame="original",
        )

    def export_markups_dialog(self) -> None:
        self._export_dialog(
            "Export 3D Slicer markups",
            "plan.mrk.json",
            "Slicer markups (*.mrk.json)",
            frame="original",
        )

    def export_image_dialog(self) -> None:
        view = self.view.view_name
        self._export_dialog("Export image", f"plan-{view}.png", "PNG (*.png)", view=view)

    def report_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Report", "report.html", "HTML (*.html)")
        if path:
            self._busy(lambda: self.write_report(path), "Report")

    def _export_dialog(self, title: str, suggestion: str, filters: str, **options: Any) -> None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggestion, filters)
        if path:
            self._busy(lambda: self.export_to(path, **options), title)

    def _busy(self, action: Callable[[], list[Path]], title: str) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written: list[Path] = []
            ok = self.attempt(lambda: written.extend(action()), title=f"{title} failed", box=True)
        finally:
            QApplication.restoreOverrideCursor()
        if ok:
            names = ", ".join(p.name for p in written)
            self.statusBar().showMessage(f"Wrote {names}", 10000)

    def _simulated(self) -> tuple[Plan, AnnuloplastyResult, RingSpec | None]:
        """The current plan with its converged result: the preview's when it is of exactly
        this plan, else solved now (tens of milliseconds)."""
        doc = self.document
        plan, spec = doc.plan_to_save(), doc.spec
        result = doc.cached_result(doc.plan) if doc.plan is not None else None
        if result is None:
            result = simulate_plan(plan, spec=spec)
            plan = with_results(plan, result)
        return plan, result, spec

    def _closure_of_plan(self) -> ClosureOutcome | None:
        """The leaflet closure solved for exactly the plan on show, if one is kept.

        Exports never start a closure (it takes seconds: *Simulate closure* does, with
        progress and cancel); they carry the one the window has, so a scene holds the
        leaflets and the report its closure section when they were solved for this plan, and
        an out-of-date closure is left out rather than reported as this plan's."""
        plan = self.document.plan
        return None if plan is None else self.document.cached_closure(plan)

    def export_to(self, path: str | Path, **options: Any) -> list[Path]:
        """Export the plan (scene, markups or image by the suffix: :func:`export_plan`),
        scenes with the plan's leaflet closure when one is kept (:meth:`_closure_of_plan`)."""
        plan, result, spec = self._simulated()
        options.setdefault("closure", self._closure_of_plan())
        return export_plan(plan, result, spec, Path(path), **options)

    def write_report(self, path: str | Path, **options: Any) -> list[Path]:
        """Write the plan's HTML report (and its CSV and JSON beside it), with the plan's
        leaflet closure when one is kept (:meth:`_closure_of_plan`). The closure's
        sensitivity study (eight more closures) is ``mvplan report``'s."""
        plan, result, spec = self._simulated()
        options.setdefault("closure", self._closure_of_plan())
        return write_report(plan, result, spec, Path(path), **options)

    def save_screenshot(self, path: str | Path) -> Path:
        """Write the whole window, the 3D view included, to a PNG file."""
        image = self.grab_window()
        out = Path(path)
        if out.suffix.lower() != ".png":
            out = out.with_name(out.name + ".png")
        if not image.save(str(out)):
            raise OSError(f"cannot write {out}")
        return out

    def grab_window(self) -> QImage:
        """The window as an image, the 3D view drawn in from VTK (QWidget.grab shows it
        black)."""
        window = self.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        view = self.view.grab_image()
        if not view.isNull():
            widget = self.view.vtk_widget
            target = widget.rect().translated(widget.mapTo(self, widget.rect().topLeft()))
            painter = QPainter(window)
            painter.drawImage(target, view)  # scaled to the widget's logical size
            painter.end()
        return window

    # -- drag and drop ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            # After the drop returns: a message box inside a drop handler upsets some platforms.
            QTimer.singleShot(0, lambda: self.open_files(paths))

    # -- undo -------------------------------------------------------------------------------

    def document_undo(self) -> None:
        self.attempt(self.document.undo)

    def document_redo(self) -> None:
        self.attempt(self.document.redo)

    # -- updates ----------------------------------------------------------------------------

    def _on_plan_changed(self, reason: str) -> None:
        self._autosave()
        self._update_actions()
        self._update_title()
        plan = self.document.plan
        # The pose fields have nothing to say about a device; a ring's vessels wait unseen.
        vessels = plan is not None and (plan.cs_path is not None or plan.artery is not None)
        device = plan is not None and (plan.has_device or (plan.ring is None and vessels))
        self._show_placement_page(device=device)
        self._show_safety()
        if reason == "open":
            self.statusBar().showMessage(f"Opened {self.document.title}", 5000)
        elif reason in ("undo", "redo"):
            index = self.document.history_index + (1 if reason == "undo" else 0)
            text = self.document.history[index].text
            self.statusBar().showMessage(f"{reason.capitalize()}: {text}", 4000)

    def _update_actions(self) -> None:
        self.commands.update(self.document)

    def _update_title(self, *_args: object) -> None:
        doc = self.document
        title = doc.title
        self.setWindowTitle(f"{title}[*] — mvplan" if title else "mvplan")
        self.setWindowModified(doc.modified)

    def _on_preview_changed(self) -> None:
        preview = self.document.preview
        self.busy.setVisible(preview.status == "solving")
        result = preview.result
        if preview.status == "none" or result is None:
            self.solver_label.setText("")
        else:
            s = result.solve
            self.solver_label.setText(
                f"Solver: {s.time_ms:.0f} ms · {s.iterations} it · residual {s.residual:.1e}"
                + ("" if preview.current else " (earlier pose)")
            )
        if preview.status == "failed":
            self.statusBar().showMessage(f"Preview: {preview.message}", 15000)
        self._show_safety()

    def _show_safety(self) -> None:
        """The device-artery distance in the status bar, red with the warning when flagged;
        the warning also as a message once per new answer."""
        safety = self.document.safety()
        if safety is None:
            self.safety_label.setText("")
            self.safety_label.setToolTip("")
            self._safety_said = None
            return
        flagged = safety.warning is not None
        text = f"Circumflex {safety.min_distance_mm:.1f} mm"
        self.safety_label.setText(f"⚠ {text}" if flagged else text)
        restyle(self.safety_label, "color: #c62828; font-weight: bold;" if flagged else "")
        self.safety_label.setToolTip(safety.warning or "No compression flagged")
        if flagged and safety is not self._safety_said:
            self._safety_said = safety
            self.statusBar().showMessage(f"Safety: {safety.warning}", 15000)

    # -- leaflet closure and size sweep ------------------------------------------------------

    def simulate_closure(self) -> bool:
        """Solve the current plan's leaflet closure in the background (Ctrl+L); the closure
        panel comes to the front to show its progress."""
        self.docks["closure"].show()
        self.docks["closure"].raise_()
        return self.attempt(self.closure.start)

    def cancel_closure(self) -> None:
        self.closure.cancel()

    def show_sweep(self) -> None:
        """Bring the size sweep to the front (the user runs it there)."""
        self.docks["sweep"].show()
        self.docks["sweep"].raise_()

    def _on_closure_changed(self) -> None:
        self._update_actions()
        shown = self.document.closure
        entered = shown.status != self._closure_status
        self._closure_status = shown.status
        if not entered:
            return
        if shown.status == "failed":
            # As a failed preview: one line in the status bar, the panel red (and in front).
            text = f"Closure failed: {shown.message}"
            self.messages.append(text)
            self.statusBar().showMessage(text, 15000)
            self.docks["closure"].show()
            self.docks["closure"].raise_()
        elif shown.status == "ok" and shown.outcome is not None:
            self.statusBar().showMessage(f"Closure: {shown.message}", 8000)
        elif shown.status == "cancelled":
            self.statusBar().showMessage("Closure cancelled", 5000)

    # -- notices ----------------------------------------------------------------------------

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About mvplan",
            f"<h3>mvplan {__version__}</h3>"
            "<p>Planning mitral valve annuloplasty: annulus measurement, ring library, "
            "placement and mechanics.</p>"
            f"<p><b>Research use only, not for clinical decisions.</b> {RESEARCH_NOTICE}</p>",
        )

    def _first_start_notice(self) -> None:
        self.settings.setValue(SETTING_NOTICE, True)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "mvplan: research use only",
            "Research use only, not for clinical decisions.\n\n" + RESEARCH_NOTICE,
            parent=self,
        )
        self.last_message_box = box
        box.open()

    # -- recovery ---------------------------------------------------------------------------

    def _start_recovery(self, folder: Path) -> None:
        try:
            self.recovery = RecoverySession(folder, self.document.catalogue)
            left = self.recovery.left_behind()
        except OSError as exc:  # no recovery is no reason not to plan
            self.statusBar().showMessage(f"Crash recovery is off: {exc}", 15000)
            self.recovery = None
            return
        if left:
            QTimer.singleShot(0, lambda: self._offer_recovery(left[0]))

    def _autosave(self, *_args: object) -> None:
        recovery, doc = self.recovery, self.document
        if recovery is None:
            return
        if doc.plan is not None and doc.modified:
            recovery.autosave(doc.plan_to_save())
        else:
            recovery.clear()  # saved, or nothing open: a crash loses nothing

    def _offer_recovery(self, left: LeftBehind) -> None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(left.modified))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Recover unsaved plan",
            f"mvplan did not close properly on {when}, with a plan not saved. Recover it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            parent=self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(
            lambda answer: (
                self.recover(left)
                if answer == QMessageBox.StandardButton.Yes
                else RecoverySession.discard(left)
            )
        )
        self.last_message_box = box
        box.open()

    def recover(self, left: LeftBehind) -> bool:
        """Open a crashed session's plan (unsaved, untitled) and remove its file."""
        if not self._maybe_discard():
            return False
        ok = self.attempt(lambda: self.document.open_recovered(left.path), box=True)
        if ok:
            RecoverySession.discard(left)
            self.statusBar().showMessage("Recovered the unsaved plan: save it to keep it", 10000)
        return ok

    # -- closing ----------------------------------------------------------------------------

    def _maybe_discard(self) -> bool:
        """Ask before unsaved changes are dropped (only in an interactive session)."""
        doc = self.document
        if not doc.modified or not self._confirm_discard or doc.plan is None:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved plan",
            "The plan has changes that are not saved. Discard them?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def _restore_layout(self) -> None:
        geometry = self.settings.value(SETTING_GEOMETRY)
        state = self.settings.value(SETTING_STATE)
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._maybe_discard():
            event.ignore()
            return
        if self._remember:
            self.settings.setValue(SETTING_GEOMETRY, self.saveGeometry())
            self.settings.setValue(SETTING_STATE, self.saveState())
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the workers, end the recovery session, release VTK (safe to call twice)."""
        if self.recovery is not None:
            self.recovery.close()
            self.recovery = None
        self.preview.shutdown()
        self.closure.shutdown()
        self.sweep_panel.shutdown()
        self.cycle_panel.shutdown()
        self.view.close_view()


__all__ = ["RESEARCH_NOTICE", "MainWindow", "app_settings", "side_file_kind"]
