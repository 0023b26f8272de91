"""The preview panel: what the ring does (solver state, suture forces, strain, ring).

Shows whether the preview is solving, converged (time, iterations, relative residual) or
failed (why, with the last converged answer kept and marked as earlier), then each suture's
force with the 3D view's force colours and the sutures near their pull-out strength.

For a percutaneous device the rows are its anchors (their force on the same colours, those
near pull-out in red) and the summary gives the cinch, the wire's tension and length, the
coronary sinus's strain and, with an artery, the safety figures and warning.
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
from mvplan.gui.restyle import restyle
from mvplan.planning.annuloplasty import PULLOUT_STRENGTH_N, AnnuloplastyResult
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
        self._shown: tuple[object, ...] | None = None  # what the table shows (_show_rows)
        document.preview_changed.connect(self.refresh)
        document.plan_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        doc = self.document
        preview = doc.preview
        plan = doc.plan
        if plan is None or plan.ring is None:
            self.status.setText("No ring: choose one (or a device) in the catalogue to preview it.")
            restyle(self.status, "")
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
            restyle(self.status, _STATUS_STYLE[preview.status])
        result = preview.result
        if result is None or plan is None or plan.ring is None:
            self.summary.setText("")
            self.table.setRowCount(0)
            self._shown = None
            return
        if result.device is not None:
            self._show_device(result, not preview.current)
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
        rows = [
            [
                str(i + 1),
                region,
                f"{force:.2f} N",
                f"{100 * force / PULLOUT_STRENGTH_N[region]:.0f} %",
            ]
            for i, (force, region) in enumerate(zip(forces, result.suture_regions, strict=True))
        ]
        near = [
            bool(force >= result.warn_fraction * PULLOUT_STRENGTH_N[region])
            for force, region in zip(forces, result.suture_regions, strict=True)
        ]
        self._show_rows("Region", rows, forces, near, faded=not preview.current)

    def _show_device(self, result: AnnuloplastyResult, faded: bool) -> None:
        """A device's figures and its anchors (module docstring)."""
        device = result.device
        spec = device.spec
        native, after = device.wire_length_mm
        strain = result.tissue_strain
        lines = [
            f"{result.ring_model.capitalize()} {spec.size_mm:g} mm, cinch "
            f"{spec.cinch_mm:.1f} mm ({spec.cinch_percent:.0f} %)",
            f"Wire tension {device.wire_tension_n:.2f} N; length {native:.1f} → {after:.1f} mm",
            f"Tissue strain: {100 * strain.min():+.1f} % to {100 * strain.max():+.1f} %",
        ]
        if device.vein_strain is not None:
            lines.append(f"Coronary sinus strain {100 * device.vein_strain:+.1f} %")
        if device.warnings:
            lines.append(
                f"<span style='color:#c62828'>{len(device.warnings)} anchor(s) near "
                "pull-out strength</span>"
            )
        safety = self.document.safety()
        if safety is not None:
            # One line here (the panel is short); the device panel and the status bar give
            # the warning in full.
            n = len(safety.crossings)
            line = (
                f"Circumflex {safety.min_distance_mm:.1f} mm at closest (flagged below "
                f"{safety.threshold_mm:g} mm), {n} crossing{'' if n == 1 else 's'}"
            )
            if safety.warning:
                line = f"<span style='color:#c62828'>⚠ {line}: risk of compression</span>"
            lines.insert(1, line)
        self.summary.setText("<br>".join(lines))
        forces = np.asarray(device.anchor_forces_n, dtype=float)
        strength = device.pullout_strength_n
        rows = [
            [str(i + 1), name, f"{force:.2f} N", f"{100 * force / strength:.0f} %"]
            for i, (name, force) in enumerate(zip(device.anchor_names, forces, strict=True))
        ]
        near = [bool(force >= result.warn_fraction * strength) for force in forces]
        self._show_rows("Anchor", rows, forces, near, faded)

    def _show_rows(
        self, what: str, rows: list[list[str]], forces: np.ndarray, near: list[bool], faded: bool
    ) -> None:
        """The table: one row per suture or anchor, its number coloured by force, the share of
        the pull-out strength red where it is near. Rebuilt only when what it shows changed:
        every pose edit refreshes the panel twice, and while a solve runs in its thread each
        of the table's Qt calls may wait for the interpreter lock, so rebuilding an unchanged
        table cost the event loop tens of milliseconds for nothing."""
        key = (what, tuple(map(tuple, rows)), tuple(near), faded)
        if key == self._shown:
            return
        if self._shown is not None and key[:3] == self._shown[:3]:
            # The same figures, greyed or not (each pose edit greys them until its answer
            # comes): recolour the text, keep the items.
            self._shown = key
            self._fade(faded, near)
            return
        self._shown = key
        self.table.setHorizontalHeaderLabels(["#", what, "Force", "of pull-out"])
        colours = force_colours(forces) if forces.size else np.zeros((0, 3))
        self.table.setRowCount(len(rows))
        for i, cells in enumerate(rows):
            items = [QTableWidgetItem(text) for text in cells]
            for col, item in enumerate(items):
                if col >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, col, item)
            r, g, b = (int(255 * c) for c in colours[i])
            items[0].setBackground(QBrush(QColor(r, g, b)))
            items[0].setForeground(QBrush(QColor(0, 0, 0)))
        self._fade(faded, near)

    def _fade(self, faded: bool, near: list[bool]) -> None:
        """Grey the text of the region, force and share columns, or give it its colour back
        (the red of a share near the pull-out strength stays either way)."""
        plain = QColor(self.palette().text().color())
        grey = QColor(plain)
        grey.setAlpha(120)
        for i, warned in enumerate(near):
            for col in (1, 2, 3):
                item = self.table.item(i, col)
                assert item is not None
                red = col == 3 and warned
                item.setForeground(QBrush(QColor("#c62828") if red else grey if faded else plain))


__all__ = ["ResultPanel"]
