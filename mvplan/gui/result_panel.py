"""The preview panel: what the ring does (solver state, suture forces, strain, ring).

Shows whether the preview is solving, converged (time, iterations, relative residual) or
failed (why, with the last converged answer kept and marked as earlier), then each suture's
force with the 3D view's force colours and the sutures near their pull-out strength.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mvplan.gui.document import PlanDocument
from mvplan.planning.annuloplasty import PULLOUT_STRENGTH_N
from mvplan.render.colours import force_colours

_STATUS_STYLE = {
    "ok": "color: #2e7d32;",
    "solving": "color: #1565c0;",
    "failed": "color: #c62828; font-weight: bold;",
    "none": "",
}


class ResultPanel(QWidget):
    """Solver status, suture forces and their warnings (module docstring)."""

    def __init__(self, document: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.status = QLabel("")
        self.status.setObjectName("previewStatus")
        self.status.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setObjectName("previewSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("sutureTable")
        self.table.setHorizontalHeaderLabels(["#", "Region", "Force", "of pull-out"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        document.preview_changed.connect(self.refresh)
        document.plan_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        doc = self.document
        preview = doc.preview
        plan = doc.plan
        if plan is None or plan.ring is None:
            self.status.setText("No ring: choose one in the catalogue to preview it.")
            self.status.setStyleSheet("")
        else:
            words = {
                "ok": "Converged",
                "solving": "Solving…",
                "failed": "Solve failed",
                "none": "",
            }[preview.status]
            text = f"{words}: {preview.message}" if preview.message else words
            if preview.result is not None and not preview.current:
                text += " (values shown are of an earlier pose)"
            self.status.setText(text)
            self.status.setStyleSheet(_STATUS_STYLE[preview.status])
        result = preview.result
        if result is None or plan is None or plan.ring is None:
            self.summary.setText("")
            self.table.setRowCount(0)
            return
        forces = result.suture_forces_n
        strain = result.tissue_strain
        deformation = float(result.ring_deformation_mm.max(initial=0.0))
        lines = [
            f"Suture force: max {forces.max(initial=0.0):.2f} N, "
            f"mean {forces.mean() if forces.size else 0.0:.2f} N",
            f"Tissue strain: {100 * strain.min():+.1f} % to {100 * strain.max():+.1f} %",
            f"Ring: {result.ring_model}, deforms up to {deformation:.2f} mm",
        ]
        if result.suture_warnings:
            lines.append(
                f"<span style='color:#c62828'>{len(result.suture_warnings)} suture(s) near "
                "pull-out strength</span>"
            )
        self.summary.setText("<br>".join(lines))
        colours = force_colours(forces) if forces.size else np.zeros((0, 3))
        self.table.setRowCount(int(forces.size))
        faded = not preview.current
        for i, (force, region) in enumerate(zip(forces, result.suture_regions, strict=True)):
            strength = PULLOUT_STRENGTH_N[region]
            share = force / strength
            cells = [str(i + 1), region, f"{force:.2f} N", f"{100 * share:.0f} %"]
            items = [QTableWidgetItem(text) for text in cells]
            for col, item in enumerate(items):
                if col >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if faded:
                    grey = QColor(self.palette().text().color())
                    grey.setAlpha(120)
                    item.setForeground(QBrush(grey))
                self.table.setItem(i, col, item)
            r, g, b = (int(255 * c) for c in colours[i])
            items[0].setBackground(QBrush(QColor(r, g, b)))
            items[0].setForeground(QBrush(QColor(0, 0, 0)))
            if force >= result.warn_fraction * strength:
                items[3].setForeground(QBrush(QColor("#c62828")))


__all__ = ["ResultPanel"]
