"""The size-sweep panel: every size of a ring family through annuloplasty and closure.

It runs :func:`mvplan.sweep.run_sweep` (what ``mvplan sweep`` runs) for one family over a
size range, in a worker thread (that in turn uses ``jobs`` processes), and fills a table as
the sizes come in: size, whether the valve closes, coaptation length (min and mean),
regurgitant orifice and the largest suture force. The recommended size (the largest that
closes, reaches the target coaptation and keeps every suture under its pull-out warning) is
highlighted and its reason spelled out; a double click on a row puts that size on the plan
(one undo step, :meth:`~mvplan.gui.document.PlanDocument.choose_ring`).

The sweep is of the valve (annulus, papillary tips, leaflets) it was run on: once those
change it is greyed as out of date; another ring or pose does not touch it.

Cancel: ``run_sweep`` offers no cancel flag, only an ``on_row`` callback. The panel forgets
the sweep at once (its answer will be dropped), and the callback stops it at the next size
that finishes (raising out of ``run_sweep``; a process pool's sizes not yet started are then
cancelled). The native closure it solves first cannot be interrupted. With more than one job,
``run_sweep``'s process pool forks this (multi-threaded) process: its children only compute,
but that is why the default keeps one core free and never exceeds four.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mvplan.errors import InputError, MvplanError
from mvplan.gui.document import PlanDocument, same_valve
from mvplan.gui.restyle import restyle
from mvplan.gui.worker import LatestOnlyWorker, Outcome
from mvplan.plan import Plan
from mvplan.planning.closure import ClosureSettings
from mvplan.sweep import run_sweep, sweep_cases

#: Table columns: header (two lines: a dock is narrow), row key, decimals (None: yes/no),
#: tooltip.
COLUMNS: tuple[tuple[str, str, int | None, str], ...] = (
    ("Size\nmm", "size_mm", 0, "Ring size, mm"),
    ("Closes\n", "closed", None, "Whether the repaired valve closes (orifice below 5 mm²)"),
    ("Coapt.\nmin", "coaptation_length_min_mm", 1, "Shortest coaptation length, mm"),
    ("Coapt.\nmean", "coaptation_length_mean_mm", 1, "Mean coaptation length, mm"),
    ("Orifice\nmm²", "regurgitant_orifice_area_mm2", 1, "Regurgitant orifice area, mm²"),
    ("Suture\nmax N", "suture_force_max_n", 2, "Largest suture force, N"),
)

#: After the size of the plan's own ring.
PLAN_MARK = " ◀"

#: Background of the recommended row.
RECOMMENDED_BACKGROUND = QColor("#c8e6c9")


def default_jobs() -> int:
    """Worker processes a sweep uses by default: the cores but one (the window keeps one),
    at most 4, at least 1."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


class _Abandoned(Exception):
    """Raised through ``run_sweep``'s ``on_row`` to stop a sweep the user cancelled."""


@dataclass(frozen=True, eq=False)
class SweepRequest:
    """What one sweep is of: the plan (its valve), the family and the sizes."""

    plan: Plan
    family: str
    size_range_mm: tuple[float, float]
    jobs: int


class SweepRunner(QObject):
    """Runs :func:`~mvplan.sweep.run_sweep` in a worker thread; one sweep at a time.

    Signals
    -------
    row(dict)
        A size finished (``run_sweep``'s row).
    finished(dict)
        The sweep finished (``run_sweep``'s answer).
    failed(str)
        The sweep failed (one line).
    """

    row = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    _row = Signal(int, object)
    _done = Signal(object)

    def __init__(self, settings: ClosureSettings | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings or ClosureSettings()
        self._worker = LatestOnlyWorker("mvplan-sweep")
        self._ids = itertools.count(1)
        self._job: tuple[int, int] | None = None  # (job, ticket) of the sweep wanted
        self._row.connect(self._on_row)
        self._done.connect(self._on_done)

    @property
    def running(self) -> bool:
        """Whether a sweep the user is waiting for runs."""
        return self._job is not None

    @property
    def busy(self) -> bool:
        """Whether the worker is at work (an abandoned sweep finishes its current size)."""
        return self._worker.busy

    def wait_idle(self, timeout: float = 120.0) -> bool:
        return self._worker.wait_idle(timeout)

    def start(self, request: SweepRequest, catalogue: Any = None) -> int:
        """Start sweeping ``request`` (any sweep running is abandoned); return its size count.

        Raises
        ------
        InputError
            An unknown family, or no size it sells in the range.
        """
        low, high = sorted(request.size_range_mm)
        cases = sweep_cases([request.family], (low, high), catalogue)
        job = next(self._ids)
        emit = self._row.emit
        settings, plan, jobs = self.settings, request.plan, request.jobs

        def on_row(row: dict[str, Any], cancelled: Callable[[], bool]) -> None:
            if cancelled():
                raise _Abandoned
            emit(job, row)

        def run(cancelled: Callable[[], bool]) -> dict[str, Any]:
            return run_sweep(
                plan,
                cases,
                settings=settings,
                jobs=jobs,
                on_row=lambda row: on_row(row, cancelled),
            )

        self._job = None
        self._worker.cancel()
        ticket = self._worker.submit(run, self._done.emit)
        self._job = (job, ticket)
        return len(cases)

    def cancel(self) -> None:
        """Forget the running sweep and ask it to stop (module docstring)."""
        self._job = None
        self._worker.cancel()

    def shutdown(self) -> None:
        self.cancel()
        self._worker.shutdown(timeout=1.0)  # a size under way is not waited for

    def _on_row(self, job: int, row: object) -> None:
        if self._job is not None and self._job[0] == job:
            self.row.emit(row)

    def _on_done(self, outcome: Outcome) -> None:
        if self._job is None or self._job[1] != outcome.ticket:
            return
        self._job = None
        if outcome.error is not None:
            error = outcome.error
            text = " ".join(str(error).split()) or type(error).__name__
            if not isinstance(error, MvplanError):
                text = f"{type(error).__name__}: {text}"
            self.failed.emit(text)
            return
        self.finished.emit(outcome.value)


class SweepPanel(QWidget):
    """Family, size range, run and cancel, the table and the recommendation (module
    docstring)."""

    def __init__(
        self,
        document: PlanDocument,
        report: Callable[[BaseException], None],
        parent: QWidget | None = None,
        *,
        runner: SweepRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._report = report
        self.runner = runner or SweepRunner(parent=self)
        self.request: SweepRequest | None = None
        self.rows: list[dict[str, Any]] = []
        self.result: dict[str, Any] | None = None
        self.status = "none"
        self.message = ""
        self._total = 0
        self._family_of_plan: str | None = None

        self.family = QComboBox()
        self.family.setObjectName("sweepFamily")
        for family_id in sorted(document.catalogue):
            self.family.addItem(family_id, family_id)
        self.family.currentIndexChanged.connect(self._on_family)
        self.low = self._size_box("sweepLow")
        self.high = self._size_box("sweepHigh")
        self.jobs = QSpinBox()
        self.jobs.setObjectName("sweepJobs")
        self.jobs.setRange(1, max(1, os.cpu_count() or 1))
        self.jobs.setValue(default_jobs())
        self.jobs.setToolTip("Worker processes: each solves one size at a time")
        self.run_button = QPushButton("Run sweep")
        self.run_button.setObjectName("runSweep")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelSweep")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)

        form = QGridLayout()
        form.setHorizontalSpacing(6)
        form.setVerticalSpacing(3)
        form.addWidget(QLabel("Ring"), 0, 0)
        form.addWidget(self.family, 0, 1, 1, 4)
        form.addWidget(QLabel("Sizes"), 1, 0)
        form.addWidget(self.low, 1, 1)
        form.addWidget(QLabel("to"), 1, 2)
        form.addWidget(self.high, 1, 3)
        form.addWidget(QLabel("mm"), 1, 4)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(QLabel("Processes"))
        buttons.addWidget(self.jobs)
        buttons.addStretch(1)

        self.state = QLabel("")
        self.state.setObjectName("sweepStatus")
        self.state.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("sweepTable")
        self.table.setHorizontalHeaderLabels([c[0] for c in COLUMNS])
        for col, (_h, _k, _d, tip) in enumerate(COLUMNS):
            header_item = self.table.horizontalHeaderItem(col)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 4)
        self.table.setToolTip("Double-click a size to put it on the plan")
        self.table.cellDoubleClicked.connect(self._on_double_click)
        self.reason = QLabel("")
        self.reason.setObjectName("sweepReason")
        self.reason.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.state)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason)

        self.runner.row.connect(self._on_row)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        document.plan_changed.connect(self._on_plan_changed)
        self._on_family(self.family.currentIndex())
        self._on_plan_changed("open")

    def _size_box(self, name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setObjectName(name)
        box.setRange(10.0, 60.0)
        box.setDecimals(0)
        box.setSingleStep(1.0)
        return box

    # -- reading (tests and accessibility) ---------------------------------------------------

    def cell(self, row: int, key: str) -> str:
        """The text of table ``row`` in the column of ``key`` (a row key of :data:`COLUMNS`:
        ``size_mm``, ``closed``...)."""
        col = [c[1] for c in COLUMNS].index(key)
        item = self.table.item(row, col)
        return "" if item is None else item.text()

    @property
    def recommended_row(self) -> int | None:
        """The table row of the recommended size (None: none recommended, or not yet)."""
        chosen = None if self.result is None else self.result.get("recommended")
        if not chosen:
            return None
        for i, row in enumerate(self.rows):
            if row["ring"] == chosen["ring"] and row["size_mm"] == chosen["size_mm"]:
                return i
        return None

    @property
    def stale(self) -> bool:
        """Whether the valve changed since the sweep was run."""
        return self.request is not None and not same_valve(self.request.plan, self.document.plan)

    # -- user -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Sweep the chosen family over the chosen sizes for the current valve."""
        plan = self.document.plan
        family = self.family.currentData()
        try:
            if plan is None:
                raise InputError("open an annulus or a plan first")
            if not isinstance(family, str):
                raise InputError("choose a ring family to sweep")
            sizes = (float(self.low.value()), float(self.high.value()))
            request = SweepRequest(plan, family, sizes, int(self.jobs.value()))
            self._total = self.runner.start(request, self.document.catalogue)
        except MvplanError as exc:
            self._report(exc)
            return False
        self.request = request
        self.rows = []
        self.result = None
        self.status = "running"
        self.table.setRowCount(0)
        self.progress.setRange(0, 0)  # the native closure first: no count yet
        self._refresh()
        return True

    def cancel(self) -> None:
        if self.status != "running":
            return
        self.runner.cancel()
        self.status = "cancelled"
        self._refresh()

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _on_family(self, _index: int) -> None:
        family_id = self.family.currentData()
        if not isinstance(family_id, str) or family_id not in self.document.catalogue:
            return
        sizes = self.document.catalogue.family(family_id).sizes_mm
        self.low.setValue(float(min(sizes)))
        self.high.setValue(float(max(sizes)))

    def _on_double_click(self, row: int, _col: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        chosen = self.rows[row]
        plan = self.document.plan
        ring = None if plan is None else plan.ring
        if ring is not None and (ring.family, ring.size_mm) == (chosen["ring"], chosen["size_mm"]):
            return  # already the plan's ring
        try:
            self.document.choose_ring(chosen["ring"], float(chosen["size_mm"]))
        except MvplanError as exc:
            self._report(exc)

    # -- answers ----------------------------------------------------------------------------

    def _on_plan_changed(self, _reason: str) -> None:
        plan = self.document.plan
        family = None if plan is None or plan.ring is None else plan.ring.family
        if family != self._family_of_plan:
            self._family_of_plan = family
            index = self.family.findData(family) if family is not None else -1
            if index >= 0 and self.status != "running":
                self.family.setCurrentIndex(index)
        self._refresh()

    def _on_row(self, row: object) -> None:
        if isinstance(row, dict):
            self.rows.append(row)
            self.progress.setRange(0, max(1, self._total))
            self.progress.setValue(len(self.rows))
            self._refresh()

    def _on_finished(self, result: object) -> None:
        if isinstance(result, dict):
            self.result = result
            self.rows = list(result.get("rows", self.rows))
        self.status = "done"
        self._refresh()

    def _on_failed(self, text: str) -> None:
        self.status = "failed"
        self.message = text
        self._report(MvplanError(f"sweep failed: {text}"))
        self._refresh()

    # -- drawing ----------------------------------------------------------------------------

    def _refresh(self) -> None:
        running = self.status == "running"
        has_plan = self.document.plan is not None
        self.run_button.setEnabled(has_plan and not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self.family.setEnabled(not running)
        self._refresh_state()
        self._refresh_table()

    def _refresh_state(self) -> None:
        n, total = len(self.rows), self._total
        stale = self.stale
        if self.status == "none":
            text = (
                "Simulate every size of a ring family (annuloplasty and closure): the native "
                "valve first, then several seconds a size per process."
                if self.document.plan is not None
                else ""
            )
        elif self.status == "running":
            text = "Closing the native valve…" if n == 0 else f"{n} of {total} sizes simulated…"
        elif self.status == "cancelled":
            text = f"Cancelled after {n} of {total} sizes."
        elif self.status == "failed":
            text = f"Sweep failed: {self.message}"
        else:
            native = None if self.result is None else self.result.get("native")
            text = f"{n} sizes simulated."
            if native:
                state = "closes" if native.get("closed") else "leaks"
                text += (
                    f" Native valve {state}, mean coaptation "
                    f"{native.get('coaptation_length_mean_mm', 0.0):.1f} mm."
                )
        if stale and self.status != "running":
            text += " The valve has changed since: run the sweep again."
        self.state.setText(text)
        style = {"failed": "color: #c62828; font-weight: bold;", "running": "color: #1565c0;"}
        restyle(self.state, style.get(self.status, "color: #6d6d6d;" if stale else ""))
        result = self.result
        if result is None or self.status != "done":
            self.reason.setText("")
            return
        chosen = result.get("recommended")
        reason = result.get("recommended_reason", "")
        if chosen:
            self.reason.setText(
                f"<b>Recommended: {chosen['ring']} {chosen['size_mm']:g} mm</b>: {reason} "
                f"(target {result.get('target_coaptation_mm', 0):g} mm). "
                "Double-click a size to put it on the plan."
            )
        else:
            self.reason.setText(f"<b>No size recommended</b>: {reason}.")

    def _refresh_table(self) -> None:
        rows = self.rows
        self.table.setRowCount(len(rows))
        best = self.recommended_row
        plan = self.document.plan
        ring = None if plan is None else plan.ring
        base = self.palette().text().color()
        faded = QColor(base)
        faded.setAlpha(110)
        dim = self.stale or self.status in ("cancelled", "failed")
        for i, row in enumerate(rows):
            error = row.get("error")
            on_plan = ring is not None and ring.family == row["ring"]
            on_plan = on_plan and ring is not None and ring.size_mm == row["size_mm"]
            for col, (_header, key, digits, _tip) in enumerate(COLUMNS):
                text = _cell_text(row, key, digits)
                item = QTableWidgetItem(text)
                if key == "size_mm" and on_plan:
                    item.setText(text + PLAN_MARK)
                    item.setToolTip("The plan's ring")
                align = Qt.AlignmentFlag.AlignRight if col else Qt.AlignmentFlag.AlignLeft
                item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
                colour = faded if dim else base
                if error is not None and key != "size_mm":
                    item.setToolTip(str(error))
                    if key == "closed":
                        colour = QColor("#c62828")
                elif key == "closed" and not row.get("closed") and not dim:
                    colour = QColor("#c62828")
                if i == best:
                    font = QFont(self.table.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(QBrush(RECOMMENDED_BACKGROUND))
                    colour = QColor(0, 0, 0, faded.alpha() if dim else 255)
                item.setForeground(QBrush(colour))
                self.table.setItem(i, col, item)


def _cell_text(row: dict[str, Any], key: str, digits: int | None) -> str:
    if key != "size_mm" and "error" in row:
        return "error" if key == "closed" else ""
    value = row.get(key)
    if value is None:
        return ""
    if digits is None:
        return "yes" if value else "no"
    return f"{float(value):.{digits}f}"


__all__ = [
    "COLUMNS",
    "PLAN_MARK",
    "RECOMMENDED_BACKGROUND",
    "SweepPanel",
    "SweepRequest",
    "SweepRunner",
    "default_jobs",
]
