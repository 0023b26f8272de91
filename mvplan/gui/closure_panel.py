"""The leaflet-closure panel: simulate, watch it run, cancel; colouring, valve, figures.

The top row runs the closure (*Simulate closure*, Ctrl+L) and cancels it, with a progress
line from the solver while it runs. Below, how the 3D view colours the leaflets (coaptation,
gap to the other leaflet, stress) and which closed valve it shows (*Native* or *Repaired*; the
repaired one needs a ring). The table puts the two valves side by side: coaptation length
(min and mean over the central stations), coaptation area, regurgitant orifice, tenting
height and volume, chord force, leaflet stress and the solver's figures
(:meth:`mvplan.workflow.ClosureCase.to_dict`, the numbers of ``mvplan simulate``). A valve
whose closure no longer matches the plan (the ring, its pose or its sutures changed; or the
annulus) is greyed and headed *out of date*; a failed or cancelled solve says so in red or
grey and leaves the last figures where they were.
"""

from __future__ import annotations

import weakref
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mvplan.gui.closure import ClosureController
from mvplan.gui.document import CLOSURE_CASES, PlanDocument
from mvplan.gui.figures_table import figures_table
from mvplan.gui.restyle import restyle
from mvplan.planning.closure import CROSSING_WARNING
from mvplan.workflow import ClosureCase

#: Colourings offered, as (label, quantity of :mod:`mvplan.render.leaflets`).
COLOURINGS = (
    ("Coaptation", "coaptation"),
    ("Gap to other leaflet", "gap"),
    ("Leaflet stress", "stress"),
)

#: Rows of the table: key of ``ClosureCase.to_dict()``, label, unit, decimals (None: yes/no;
#: a string: a format of its own).
ROWS: tuple[tuple[str, str, str, int | str | None], ...] = (
    ("closed", "Closes", "", None),
    ("coaptation_length_min_mm", "Coaptation length, min", "mm", 1),
    ("coaptation_length_mean_mm", "Coaptation length, mean", "mm", 1),
    ("coaptation_area_mm2", "Coaptation area", "mm²", 0),
    ("regurgitant_orifice_area_mm2", "Regurgitant orifice", "mm²", 1),
    ("tenting_height_mm", "Tenting height", "mm", 1),
    ("tenting_volume_ml", "Tenting volume", "ml", 2),
    ("chord_force_max_n", "Chord force, max", "N", 2),
    ("leaflet_stress_p95_mpa", "Leaflet stress, 95th pct", "MPa", 3),
    ("solver.residual", "Solver: relative residual", "", "{:.1e}"),
    ("solver.iterations", "Solver: iterations", "", "{:d}"),
    ("solver.time_ms", "Solver: time", "s", "seconds"),
)

COLUMNS = ("Quantity", "Native", "Repaired", "Unit")

_STATUS_STYLE = {
    "ok": "color: #2e7d32;",
    "running": "color: #1565c0;",
    "failed": "color: #c62828; font-weight: bold;",
    "cancelled": "color: #6d6d6d;",
    "none": "",
}

_STATUS_WORDS = {
    "ok": "Converged",
    "running": "Simulating",
    "failed": "Closure failed",
    "cancelled": "Cancelled",
    "none": "",
}

NOT_YET = (
    "Not simulated yet. Simulate closure (Ctrl+L) closes the leaflets under systolic "
    "pressure, natively and with the ring: a few seconds."
)


def figure_text(figures: dict[str, Any], key: str, digits: int | str | None) -> str:
    """A value of ``ClosureCase.to_dict()`` as the table shows it (``key`` may name a
    ``solver`` entry as ``solver.residual``)."""
    value: Any = figures
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return "n/a"
    if digits is None:
        return "yes" if value else "no"
    if digits == "seconds":
        return f"{float(value) / 1e3:.1f}"
    if isinstance(digits, str):
        return digits.format(value)
    return f"{float(value):.{digits}f}"


class ClosurePanel(QWidget):
    """Run, colour, choose the valve, read the figures (module docstring)."""

    def __init__(
        self,
        document: PlanDocument,
        controller: ClosureController,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = controller
        self._figures: weakref.WeakKeyDictionary[ClosureCase, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )

        self.simulate_button = QPushButton("Simulate closure")
        self.simulate_button.setObjectName("simulateClosure")
        self.simulate_button.setToolTip("Close the leaflets under systolic pressure (Ctrl+L)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelClosure")
        self.cancel_button.clicked.connect(controller.cancel)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # the solver cannot say how far it has to go
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(14)
        self.progress.setMaximumWidth(90)
        run_row = QHBoxLayout()
        run_row.addWidget(self.simulate_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress)
        run_row.addStretch(1)

        self.status = QLabel("")
        self.status.setObjectName("closureStatus")
        self.status.setWordWrap(True)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("closureProgress")
        self.progress_label.setWordWrap(True)

        self.colour = QComboBox()
        self.colour.setObjectName("closureColour")
        for label, quantity in COLOURINGS:
            self.colour.addItem(label, quantity)
        self.colour.setToolTip("How the 3D view colours the closed leaflets")
        # Narrow docks: the box may be narrower than its longest entry (the list is not).
        self.colour.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.colour.setMinimumContentsLength(10)
        self.colour.currentIndexChanged.connect(self._on_colour)
        self.case_buttons: dict[str, QPushButton] = {}
        self.case_group = QButtonGroup(self)
        self.case_group.setExclusive(True)
        for case in CLOSURE_CASES:
            button = QPushButton(case.capitalize())
            button.setObjectName(f"closure{case.capitalize()}")
            button.setCheckable(True)
            button.clicked.connect(lambda _checked=False, c=case: self._on_case(c))
            self.case_group.addButton(button)
            self.case_buttons[case] = button
        self.case_buttons["native"].setToolTip("The valve as it is: leaflets on the native annulus")
        self.case_buttons["repaired"].setToolTip(
            "The valve with the ring: leaflets carried to the reshaped annulus"
        )
        show_row = QHBoxLayout()
        show_row.addWidget(QLabel("Colour"))
        show_row.addWidget(self.colour, 1)
        show_row.addSpacing(6)
        for button in self.case_buttons.values():
            show_row.addWidget(button)

        self.table = figures_table(len(ROWS), COLUMNS, "closureTable", self)
        self._headers: dict[int, tuple[str, bool]] = {}  # column: (title, bold) shown
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 4)
        for row, (key, label, unit, _digits) in enumerate(ROWS):
            name = QTableWidgetItem(label)
            name.setData(Qt.ItemDataRole.UserRole, key)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 3, QTableWidgetItem(unit))
            for col in (1, 2):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.note = QLabel("")
        self.note.setObjectName("closureNote")
        self.note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(run_row)
        layout.addWidget(self.status)
        layout.addWidget(self.progress_label)
        layout.addLayout(show_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        controller.progressed.connect(self.progress_label.setText)
        controller.changed.connect(self.refresh)
        document.closure_changed.connect(self.refresh)
        document.plan_changed.connect(self.refresh)
        self.refresh()

    # -- reading (tests and accessibility) ---------------------------------------------------

    def cell(self, key: str, column: str) -> str:
        """The text shown for row ``key`` (of :data:`ROWS`) in ``column`` (of :data:`COLUMNS`)."""
        row = [r[0] for r in ROWS].index(key)
        item = self.table.item(row, COLUMNS.index(column))
        assert item is not None
        return item.text()

    def header(self, column: str) -> str:
        """The header text of ``column``."""
        item = self.table.horizontalHeaderItem(COLUMNS.index(column))
        return "" if item is None else item.text()

    # -- user -------------------------------------------------------------------------------

    def _on_colour(self, index: int) -> None:
        quantity = self.colour.itemData(index)
        if isinstance(quantity, str):
            self.document.set_closure_colour(quantity)

    def _on_case(self, case: str) -> None:
        self.document.set_closure_case(case)

    # -- updates ----------------------------------------------------------------------------

    def refresh(self, *_args: object) -> None:
        doc = self.document
        shown = doc.closure
        running = self.controller.running
        self.simulate_button.setEnabled(doc.plan is not None and not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self.progress_label.setVisible(running)
        if not running:
            self.progress_label.setText("")
        self._refresh_status()
        # What is shown, as the document decides it (the user's choice where available).
        index = self.colour.findData(doc.closure_colour)
        if index >= 0 and index != self.colour.currentIndex():
            self.colour.blockSignals(True)
            self.colour.setCurrentIndex(index)
            self.colour.blockSignals(False)
        case = doc.closure_case
        self.case_buttons["native"].setEnabled(shown.outcome is not None)
        self.case_buttons["repaired"].setEnabled(doc.repaired_available)
        for name, button in self.case_buttons.items():
            button.setChecked(name == case)
        outcome = shown.outcome
        cases: dict[str, ClosureCase | None] = {
            "native": None if outcome is None else outcome.native,
            "repaired": None if outcome is None else outcome.repaired,
        }
        base = self.palette().text().color()
        faded = QColor(base)
        faded.setAlpha(110)
        notes = []
        for col, name in ((1, "native"), (2, "repaired")):
            closure = cases[name]
            current = doc.closure_current(name)
            title = name.capitalize()
            if closure is not None and not current:
                title += " (out of date)"
            if self._headers.get(col) != (title, name == case):
                # A new header item lays the whole header out again: only when it changes
                # (the panel refreshes on every pose edit).
                header = QTableWidgetItem(title)
                font = QFont(self.table.font())
                font.setBold(name == case)
                header.setFont(font)
                self.table.setHorizontalHeaderItem(col, header)
                self._headers[col] = (title, name == case)
            figures = self._figures_of(closure)
            for row, (key, _label, _unit, digits) in enumerate(ROWS):
                item = self.table.item(row, col)
                assert item is not None
                item.setText("" if figures is None else figure_text(figures, key, digits))
                colour = base if current else faded
                if key == "closed" and figures is not None and current and not figures[key]:
                    colour = QColor("#c62828")
                item.setForeground(QBrush(colour))
            if figures is not None and figures.get("stenosis_warning"):
                area = figures.get("diastolic_orifice_proxy_mm2", 0.0) / 100.0
                notes.append(
                    f"{title}: {area:.2f} cm² of diastolic orifice (< 1.5 cm²): risk of "
                    "functional mitral stenosis"
                )
            if figures is not None and figures.get("solver", {}).get("surfaces_cross"):
                warning = CROSSING_WARNING.format(name=name)
                notes.append(warning[0].upper() + warning[1:])
        if outcome is not None:
            model = outcome.model
            tips = ", papillary tips estimated" if model.chordae.tips_estimated else ""
            notes.append(
                f"{model.settings.resolution} mesh, {model.n_leaflet_nodes} nodes, "
                f"{model.settings.pressure_mpa * 7500.6:.0f} mmHg{tips}"
            )
        self.note.setText("<br>".join(notes))

    def _refresh_status(self) -> None:
        doc = self.document
        shown = doc.closure
        status = shown.status
        never = status != "running" and shown.outcome is None and not shown.message
        if status == "none" or never:
            self.status.setText(NOT_YET if doc.plan is not None else "")
            restyle(self.status, "")
            return
        words = _STATUS_WORDS[status]
        text = f"{words}: {shown.message}" if shown.message else words
        stale = [c for c in CLOSURE_CASES if self._has(c) and not doc.closure_current(c)]
        if stale and status != "running":
            what = " and ".join(stale)
            text += (
                f". The plan has changed since: the {what} closure is out of date "
                "(Simulate closure again, Ctrl+L)."
            )
        self.status.setText(text)
        restyle(self.status, _STATUS_STYLE[status])

    def _has(self, case: str) -> bool:
        outcome = self.document.closure.outcome
        if outcome is None:
            return False
        return (outcome.repaired if case == "repaired" else outcome.native) is not None

    def _figures_of(self, case: ClosureCase | None) -> dict[str, Any] | None:
        """``case.to_dict()``, computed once per case."""
        if case is None:
            return None
        figures = self._figures.get(case)
        if figures is None:
            figures = self._figures[case] = case.to_dict()
        return figures


__all__ = ["COLOURINGS", "COLUMNS", "ROWS", "ClosurePanel", "figure_text"]
