"""The cycle panel: a moving annulus (4D series) played through the cardiac cycle.

*File > Open cycle…* reads several annulus files, or a folder of them, as the frames of one
annulus (:func:`mvplan.gui.cycle.load_cycle`); the first frame becomes the plan's annulus (a
ring is chosen and placed on it as on any annulus). The panel has a frame slider, play and
pause (the whole cycle in about a second, looping: :func:`~mvplan.gui.cycle.
frame_interval_ms`), the frame's index and file name, and the cycle figures: how much the
area, circumference, diameters and saddle height change over the cycle.

Showing a frame is not an edit: the panel hands the document a
:class:`~mvplan.gui.document.FrameShown` (:meth:`PlanDocument.show_frame`) and the 3D view
and the measurements panel draw that frame's annulus and its own measurements instead of the
plan's; nothing goes on the undo history and the preview does not solve again. Any change of
plan (an edit, undo) shows the plan again, and the slider goes back to the first frame.

With a ring on the plan, *Predict with device* solves the ring (family, size and suture
count of the plan; placed automatically on each frame) on every frame in a worker thread
(:func:`mvplan.workflow.simulate_cycle`, as ``mvplan measure F1 F2 ... --ring ID --size S``),
with progress and cancel. Playback then draws each frame's reshaped annulus, ring and sutures,
the measurements panel gives that frame's values with the ring, and the table the change with
the device and the motion it keeps, next to the in vivo circumference change of DOMAIN.md.
A prediction is dropped once the plan's ring, size or suture count changes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QStyle,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mvplan.errors import InputError, MvplanError
from mvplan.gui.cycle import (
    CYCLE_FIGURES,
    Cycle,
    FigureRow,
    figure_rows,
    frame_interval_ms,
    in_vivo_text,
    load_cycle,
    prediction_key,
)
from mvplan.gui.document import PlanDocument
from mvplan.gui.figures_table import figures_table
from mvplan.gui.restyle import restyle
from mvplan.gui.worker import LatestOnlyWorker, Outcome
from mvplan.mechanics import Cancelled
from mvplan.plan import Plan
from mvplan.planning.cycle_device import DeviceCycle
from mvplan.rings.catalogue import Catalogue
from mvplan.workflow import simulate_cycle

__all__ = [
    "COLUMNS",
    "CyclePanel",
    "CyclePredictor",
    "ask_cycle_files",
    "ask_cycle_folder",
]

PathLike = str | os.PathLike[str]

#: The cycle table's columns.
COLUMNS = ("Over the cycle", "Native", "With device", "Unit", "Kept", "In vivo kept")

#: Annulus files a cycle's frames may be (the single-file formats of File > Open).
FRAME_FILTER = (
    "Annulus files (*.csv *.txt *.mrk.json *.json *.vtk *.vtp *.stl *.ply *.obj);;All files (*)"
)


def ask_cycle_files(parent: QWidget) -> list[str]:
    """The frame files the user picks (in time order), or none."""
    paths, _ = QFileDialog.getOpenFileNames(
        parent, "Open cycle: frame files in time order", "", FRAME_FILTER
    )
    return list(paths)


def ask_cycle_folder(parent: QWidget) -> list[str]:
    """The folder of frames the user picks (as a one-item list), or none."""
    folder = QFileDialog.getExistingDirectory(parent, "Open cycle: folder of frame files")
    return [folder] if folder else []


# -- the device prediction, off the GUI thread ----------------------------------------------


@dataclass(frozen=True, eq=False)
class _Running:
    job: int
    ticket: int
    cycle: Cycle
    key: tuple[str, float, int]


class CyclePredictor(QObject):
    """Solves the plan's ring on every frame of a cycle in a worker thread.

    Signals
    -------
    progressed(done, total)
        Frames solved so far.
    finished(cycle, device)
        The prediction (a :class:`DeviceCycle`) of ``cycle`` arrived.
    failed(text)
        It failed (one line); a cancelled one reports nothing.
    """

    progressed = Signal(int, int)
    finished = Signal(object, object)
    failed = Signal(str)
    _done = Signal(object)
    _progress = Signal(int, int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = LatestOnlyWorker("mvplan-cycle")
        self._jobs = itertools.count(1)
        self._running: _Running | None = None
        self._done.connect(self._on_done)
        self._progress.connect(self._on_progress)

    @property
    def running(self) -> bool:
        """Whether a prediction the user waits for is being solved."""
        return self._running is not None

    @property
    def key(self) -> tuple[str, float, int] | None:
        """The ring, size and suture count being solved (None: nothing runs)."""
        return None if self._running is None else self._running.key

    def start(self, cycle: Cycle, plan: Plan, catalogue: Catalogue) -> None:
        """Solve ``plan``'s ring on every frame of ``cycle`` (replacing a running prediction).

        Raises
        ------
        InputError
            The plan has no placed ring.
        """
        key = prediction_key(plan)
        if key is None:
            raise InputError(
                "choose a ring first: the prediction puts the plan's ring on every frame"
            )
        family, size_mm, sutures = key
        job = next(self._jobs)
        emit = self._progress.emit

        def run(cancelled: Callable[[], bool]) -> DeviceCycle:
            return simulate_cycle(
                cycle.annuli,
                family,
                size_mm=size_mm,
                sutures=sutures,
                input_points=cycle.sequence.input_points,
                native=cycle.measurements,
                catalogue=catalogue,
                progress=lambda done, total: emit(job, done, total),
                cancel=cancelled,
            )

        ticket = self._worker.submit(run, self._done.emit)
        self._running = _Running(job, ticket, cycle, key)

    def cancel(self) -> None:
        """Stop the running prediction (its answer, if it still comes, is dropped)."""
        self._running = None
        self._worker.cancel()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        return self._worker.wait_idle(timeout)

    def shutdown(self) -> None:
        self._running = None
        self._worker.shutdown()

    def _on_progress(self, job: int, done: int, total: int) -> None:
        if self._running is not None and self._running.job == job:
            self.progressed.emit(done, total)

    def _on_done(self, outcome: Outcome) -> None:
        running = self._running
        if running is None or outcome.ticket != running.ticket:
            return  # cancelled or replaced: nobody waits for it
        self._running = None
        error = outcome.error
        if isinstance(error, Cancelled):
            return
        if error is None and not isinstance(outcome.value, DeviceCycle):
            error = MvplanError("the cycle prediction returned no result")
        if error is not None:
            text = " ".join(str(error).split()) or type(error).__name__
            if not isinstance(error, MvplanError):
                text = f"{type(error).__name__}: {text}"
            self.failed.emit(text)
            return
        self.finished.emit(running.cycle, outcome.value)


# -- the panel --------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


class CyclePanel(QWidget):
    """Frame slider, play, the cycle figures and the device prediction (module docstring)."""

    def __init__(
        self,
        document: PlanDocument,
        report: Callable[[BaseException], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._report = report
        self.cycle: Cycle | None = None
        self.device: DeviceCycle | None = None
        self.index = 0
        self.status = "none"  # of the prediction: none, running, done, failed, cancelled, stale
        self.message = ""
        self._opening = False
        self.predictor = CyclePredictor(self)
        self.predictor.progressed.connect(self._on_progress)
        self.predictor.finished.connect(self._on_predicted)
        self.predictor.failed.connect(self._on_failed)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.step)
        self._build()
        document.plan_changed.connect(self._on_plan_changed)
        self._refresh()

    def _build(self) -> None:
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("cyclePlay")
        self.play_button.setCheckable(True)
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play the frames through the cycle, looping")
        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("cycleSlider")
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.valueChanged.connect(self.set_frame)
        self.frame_label = QLabel("")
        self.frame_label.setObjectName("cycleFrame")
        self.frame_label.setMinimumWidth(160)
        top = QHBoxLayout()
        top.addWidget(self.play_button)
        top.addWidget(self.slider, 1)
        top.addWidget(self.frame_label)

        self.table = figures_table(len(CYCLE_FIGURES), COLUMNS, "cycleTable", self)
        row_h = self.table.fontMetrics().height() + 6
        self.table.verticalHeader().setDefaultSectionSize(row_h)
        # Every row shows without scrolling, and no more: the 3D view above keeps the rest.
        self.table.setFixedHeight(row_h * (len(CYCLE_FIGURES) + 1) + 6)
        for row, figure in enumerate(CYCLE_FIGURES):
            label = QTableWidgetItem(figure.label)
            label.setToolTip(f"max - min over the frames ({figure.key})")
            self.table.setItem(row, 0, label)
            for col in range(1, len(COLUMNS)):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

        self.predict_button = QPushButton("Predict with device")
        self.predict_button.setObjectName("cyclePredict")
        self.predict_button.setToolTip(
            "Solve the plan's ring on every frame (placed automatically on each) and show how "
            "much of the cycle's motion it keeps"
        )
        self.predict_button.clicked.connect(self.predict)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cycleCancel")
        self.cancel_button.clicked.connect(self.cancel_prediction)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.state = QLabel("")
        self.state.setObjectName("cycleStatus")
        self.state.setWordWrap(True)
        device_row = QHBoxLayout()
        device_row.addWidget(self.predict_button)
        device_row.addWidget(self.cancel_button)
        device_row.addWidget(self.progress, 1)
        self.note = QLabel("")
        self.note.setObjectName("cycleNote")
        self.note.setWordWrap(True)
        small = QFont(self.note.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.9))
        self.note.setFont(small)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(device_row)
        layout.addWidget(self.state)
        layout.addWidget(self.note)
        layout.addStretch(1)

    # -- reading (tests and accessibility) ---------------------------------------------------

    def cell(self, key: str, column: str) -> str:
        """The text shown for measurement ``key``'s row in ``column`` (one of :data:`COLUMNS`)."""
        row = [f.key for f in CYCLE_FIGURES].index(key)
        item = self.table.item(row, COLUMNS.index(column))
        return "" if item is None else item.text()

    @property
    def frame_names(self) -> tuple[str, ...]:
        """The frames' file names, in frame order (none without a cycle)."""
        return () if self.cycle is None else self.cycle.names

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    # -- opening ----------------------------------------------------------------------------

    def open_cycle(self, paths: Sequence[PathLike]) -> Cycle:
        """Read the frames (several files or one folder) and show the first; the plan starts
        afresh on it.

        Raises
        ------
        MvplanError, OSError, ValueError
            A frame cannot be read or the frames cannot be matched; nothing changes then.
        """
        return self.show_cycle(load_cycle(paths))  # all that can fail, before anything changes

    def show_cycle(self, cycle: Cycle) -> Cycle:
        """Show a cycle read already (:func:`~mvplan.gui.cycle.load_cycle`); the plan starts
        afresh on its first frame."""
        self._opening = True
        try:
            self.document.open_annulus(cycle.annuli[0], cycle.files[0], cycle.measurements[0])
        finally:
            self._opening = False
        self._close()
        self.cycle = cycle
        self.index = 0
        self.slider.blockSignals(True)
        self.slider.setRange(0, cycle.count - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.timer.setInterval(frame_interval_ms(cycle.count))
        self._refresh()
        return cycle

    def close_cycle(self) -> None:
        """Forget the cycle (the plan stays as it is) and show the plan."""
        self._close()
        self.document.show_frame(None)
        self._refresh()

    def _close(self) -> None:
        self.pause()
        self.predictor.cancel()
        self.cycle = None
        self.device = None
        self.index = 0
        self.status, self.message = "none", ""

    # -- frames and playing -----------------------------------------------------------------

    def set_frame(self, index: int) -> None:
        """Show frame ``index`` (the plan itself for the first frame without a prediction)."""
        cycle = self.cycle
        if cycle is None:
            return
        index = int(index) % cycle.count
        self.index = index
        if self.slider.value() != index:
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        if index == 0 and self.device is None:
            # The plan's annulus is this frame: the plan, its ring and preview, are shown.
            self.document.show_frame(None)
        else:
            self.document.show_frame(cycle.frame(index, self.device))
        self._refresh_frame_label()

    def step(self) -> None:
        """Show the next frame (after the last, the first: the cycle loops)."""
        if self.cycle is not None:
            self.set_frame(self.index + 1)

    def play(self) -> None:
        if self.cycle is not None and not self.playing:
            self.play_button.setChecked(True)

    def pause(self) -> None:
        if self.play_button.isChecked():
            self.play_button.setChecked(False)
        self.timer.stop()

    def _on_play_toggled(self, on: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if on else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if on else "Play")
        if on and self.cycle is not None:
            self.timer.start()
        else:
            self.timer.stop()

    # -- the device prediction --------------------------------------------------------------

    def predict(self) -> bool:
        """Solve the plan's ring on every frame in the background (module docstring)."""
        plan = self.document.plan
        try:
            if self.cycle is None:
                raise InputError("open a cycle first (File > Open cycle…)")
            if plan is None or prediction_key(plan) is None:
                raise InputError("choose a ring first: the prediction puts it on every frame")
            self.predictor.start(self.cycle, plan, self.document.catalogue)
        except MvplanError as exc:
            self._report(exc)
            return False
        self.status, self.message = "running", ""
        self.progress.setRange(0, 0)
        self._refresh()
        return True

    def cancel_prediction(self) -> None:
        if self.status != "running":
            return
        self.predictor.cancel()
        self.status = "cancelled"
        self._refresh()

    def shutdown(self) -> None:
        self.timer.stop()
        self.predictor.shutdown()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.message = f"{done} of {total} frames solved…"
        self._refresh_state()

    def _on_predicted(self, cycle: object, device: object) -> None:
        if cycle is not self.cycle or not isinstance(device, DeviceCycle):
            return  # of a cycle closed since
        if self.predictor.running or prediction_key(self.document.plan) is None:
            return
        self.device = device
        self.status, self.message = "done", ""
        self.set_frame(self.index)  # the frame on show gets its reshaped annulus at once
        self._refresh()

    def _on_failed(self, text: str) -> None:
        self.status, self.message = "failed", text
        self._report(MvplanError(f"cycle prediction failed: {text}"))
        self._refresh()

    # -- the plan ---------------------------------------------------------------------------

    def _on_plan_changed(self, reason: str) -> None:
        if reason == "revert":
            return  # a drag abandoned: the plan is as it was
        if reason == "open" and not self._opening:
            self._close()  # another file: the cycle is not of it
        elif self.cycle is not None:
            # The document shows the plan again (an edit, undo): so does the slider.
            self.pause()
            self.index = 0
            self.slider.blockSignals(True)
            self.slider.setValue(0)
            self.slider.blockSignals(False)
            key = prediction_key(self.document.plan)
            if self.predictor.running and self.predictor.key != key:
                self.predictor.cancel()
                self.status = "stale"
            if self.device is not None and _device_key(self.device) != key:
                self.device = None
                self.status = "stale"
        self._refresh()

    # -- drawing ----------------------------------------------------------------------------

    def _refresh(self) -> None:
        cycle = self.cycle
        has_cycle = cycle is not None
        running = self.status == "running"
        for widget in (self.play_button, self.slider):
            widget.setEnabled(has_cycle)
        has_ring = prediction_key(self.document.plan) is not None
        self.predict_button.setEnabled(has_cycle and has_ring and not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self._refresh_frame_label()
        self._refresh_table()
        self._refresh_state()
        self._refresh_note()

    def _refresh_frame_label(self) -> None:
        cycle = self.cycle
        if cycle is None:
            self.frame_label.setText("No cycle open")
            self.frame_label.setToolTip("")
            return
        name = cycle.names[self.index]
        self.frame_label.setText(f"Frame {self.index + 1} of {cycle.count}: {name}")
        self.frame_label.setToolTip(str(cycle.files[self.index]))

    def _refresh_table(self) -> None:
        cycle = self.cycle
        rows = [] if cycle is None else figure_rows(cycle.figures, self.device)
        for row in range(len(CYCLE_FIGURES)):
            texts = _row_texts(rows[row]) if rows else [""] * (len(COLUMNS) - 1)
            for col, text in enumerate(texts, start=1):
                item = self.table.item(row, col)
                if item is not None:
                    item.setText(text)
            if rows:
                tip = rows[row].reason or (
                    "rests on an estimated landmark in some frame" if rows[row].estimated else ""
                )
                native = self.table.item(row, 1)
                if native is not None:
                    native.setToolTip(tip)

    def _refresh_state(self) -> None:
        cycle, device = self.cycle, self.device
        if cycle is None:
            text = "Open the frames of a moving annulus: File > Open cycle…"
        elif self.status == "running":
            text = self.message or "Predicting with the device…"
        elif self.status == "failed":
            text = f"Prediction failed: {self.message}"
        elif self.status == "cancelled":
            text = "Prediction cancelled."
        elif device is not None:
            kept = device.motion_kept_percent.get("perimeter_mm")
            share = "" if kept is None else f": keeps {kept:.0f} % of the circumference change"
            text = (
                f"{device.ring} {device.size_mm:g} mm on every frame ({device.sutures} sutures, "
                f"placed automatically on each){share}."
            )
        elif prediction_key(self.document.plan) is None:
            text = "Choose a ring to predict how much of the cycle's motion it keeps."
        elif self.status == "stale":
            text = "The ring changed: predict again."
        else:
            text = "Predict with device: the plan's ring solved on every frame (seconds)."
        self.state.setText(text)
        style = {"failed": "color: #c62828; font-weight: bold;", "running": "color: #1565c0;"}
        restyle(self.state, style.get(self.status, ""))

    def _refresh_note(self) -> None:
        cycle = self.cycle
        if cycle is None:
            self.note.setText("")
            return
        corr = cycle.figures.correspondence
        moved = float(cycle.figures.excursion_mm.max()) if cycle.figures.excursion_mm.size else 0.0
        # A folder's order lists every name: too long for a line under the table.
        order = "as given" if cycle.sequence.order == "as given" else "in name order"
        parts = [
            f"{cycle.count} frames ({order}); matched by {corr.method}, "
            f"{corr.n_points} points, moving up to {moved:.1f} mm. Each frame is drawn in its "
            "own valve frame.",
            in_vivo_text(self.device),
        ]
        self.note.setText(" ".join(parts))


def _device_key(device: DeviceCycle) -> tuple[str, float, int]:
    return device.ring, float(device.size_mm), int(device.sutures)


def _row_texts(row: FigureRow) -> list[str]:
    """The texts of one table row after its label (:data:`COLUMNS`)."""
    device = row.device is not None or row.kept_percent is not None
    estimated = " *" if row.estimated and row.native is not None else ""
    in_vivo = row.in_vivo_kept_percent
    return [
        _number(row.native) + estimated,
        _number(row.device) if device else "",
        row.unit,
        f"{_number(row.kept_percent, 0)} %"
        if device and row.kept_percent is not None
        else ("n/a" if device else ""),
        "" if in_vivo is None else f"{in_vivo:.0f} %",
    ]
