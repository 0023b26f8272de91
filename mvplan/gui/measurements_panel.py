"""The measurements panel: DESIGN.md section 4's table, before and after, and the saddle plot.

Columns: the native annulus, the annulus with the ring (the preview's reshaped annulus) and
the change. Values resting on an estimated landmark are starred and set in italics (with the
reason in the tooltip); values that cannot be computed show ``n/a`` with the reason. While a
landmark is dragged, the native column follows it (measured off the GUI thread). While the
cycle panel shows a frame of a moving annulus, the columns are that frame's: its own
measurements and, when the cycle was predicted with the ring, its reshaped annulus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mvplan.geometry.measurements import MEASUREMENT_KEYS, MEASUREMENT_LABELS, Measurements
from mvplan.gui.document import PlanDocument
from mvplan.gui.figures_table import figures_table
from mvplan.gui.profile_plot import SaddleProfilePlot, saddle_profile

COLUMNS = ("Measurement", "Native", "With ring", "Change", "Unit")

_UNITS = (("_mm2", "mm²"), ("_mm", "mm"), ("_deg", "°"), ("_percent", "%"))

#: Shorter row labels where the core's do not fit a dock (the full label is the tooltip).
SHORT_LABELS = {
    "ap_diameter_mm": "AP (septal-lateral)",
    "sphericity_index": "Sphericity index",
    "nonplanarity_angle_deg": "Non-planarity angle",
    "anterior_length_mm": "Anterior length",
    "posterior_length_mm": "Posterior length",
    "intertrigonal_distance_mm": "Intertrigonal dist.",
}

_ORIENTATION = {
    "papillary": "atrial side: away from the papillary tips",
    "saddle": "atrial side: toward the saddle's horns",
    "assumed": "atrial side assumed (flat annulus): open papillary tips to decide it",
}


def unit_text(key: str) -> str:
    """The unit a measurement key names by its suffix (``""`` for ratios)."""
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return unit
    return ""


def value_text(key: str, value: float | None, signed: bool = False) -> str:
    """A value as the table shows it (``n/a`` for None)."""
    if value is None:
        return "n/a"
    digits = 3 if key == "sphericity_index" else 1
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


class MeasurementsPanel(QWidget):
    """Table and saddle profile of the document's annulus (module docstring)."""

    def __init__(self, document: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.table = figures_table(len(MEASUREMENT_KEYS), COLUMNS, "measurementsTable", self)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        row_h = self.table.fontMetrics().height() + 6
        self.table.verticalHeader().setDefaultSectionSize(row_h)
        self.table.setMinimumHeight(row_h * (len(MEASUREMENT_KEYS) + 1) + 6)
        for row, key in enumerate(MEASUREMENT_KEYS):
            label = QTableWidgetItem(SHORT_LABELS.get(key, MEASUREMENT_LABELS[key]))
            label.setToolTip(f"{MEASUREMENT_LABELS[key]} ({key})")
            label.setData(Qt.ItemDataRole.UserRole, key)
            self.table.setItem(row, 0, label)
            self.table.setItem(row, 4, QTableWidgetItem(unit_text(key)))
            for col in (1, 2, 3):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setObjectName("measurementsNote")
        self.plot = SaddleProfilePlot(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 2)
        document.plan_changed.connect(self.refresh)
        document.preview_changed.connect(self.refresh)
        document.transient_measured.connect(self.refresh)
        document.transient_changed.connect(self._on_transient)
        document.frame_changed.connect(self.refresh)
        # What the table and the plot were last drawn from (refresh).
        self._table_shows: tuple[object, ...] = ()
        self._plot_shows: tuple[object, ...] = ()
        self.refresh()

    # -- reading (tests and accessibility) ---------------------------------------------------

    def cell(self, key: str, column: str) -> str:
        """The text shown for ``key`` in ``column`` (one of :data:`COLUMNS`)."""
        return self._item(MEASUREMENT_KEYS.index(key), COLUMNS.index(column)).text()

    def _item(self, row: int, col: int) -> QTableWidgetItem:
        item = self.table.item(row, col)
        assert item is not None  # every cell is made in __init__
        return item

    # -- updates ----------------------------------------------------------------------------

    def _on_transient(self) -> None:
        if self.document.transient_landmark is not None:
            self._refresh_plot()

    def _shown(self) -> tuple[Measurements | None, Measurements | None, Measurements | None, bool]:
        """The native values shown, the with-ring ones, the native ones the change is taken
        from, and whether the with-ring ones are of an earlier pose."""
        doc = self.document
        frame = doc.shown_frame
        if frame is not None:
            after = None if frame.result is None else frame.result.post
            return frame.measurements, after, frame.measurements, False
        preview = doc.preview
        after = preview.result.post if preview.result is not None else None
        native = doc.transient_measurements or doc.measurements
        return native, after, doc.measurements, not preview.current

    def refresh(self, *_args: object) -> None:
        native, after, reference, dim = self._shown()
        # Every pose edit refreshes the panel twice, while the preview solves in its thread;
        # the table (about 50 Qt calls, each of which may wait for the interpreter lock) is
        # rewritten only when what it shows changed: these are immutable values, so the same
        # objects mean the same figures.
        shown = (native, after, reference, dim, self.document.shown_frame)
        if not _same(shown, self._table_shows):
            self._table_shows = shown
            self._refresh_table(native, after, reference, dim)
        self._refresh_header()
        self._refresh_note(native)
        self._refresh_plot()

    def _refresh_table(
        self,
        native: Measurements | None,
        after: Measurements | None,
        reference: Measurements | None,
        dim: bool,
    ) -> None:
        base = self.palette().text().color()
        faded = QColor(base)
        faded.setAlpha(120)
        for row, key in enumerate(MEASUREMENT_KEYS):
            self._set(row, 1, key, native, signed=False, colour=base)
            self._set(row, 2, key, after, signed=False, colour=faded if dim else base)
            change: float | None = None
            if native is not None and after is not None:
                before = reference.values[key] if reference else None
                post = after.values[key]
                if before is not None and post is not None:
                    change = post - before
            item = self._item(row, 3)
            item.setText("" if after is None else value_text(key, change, signed=True))
            item.setForeground(QBrush(faded if dim else base))

    def _refresh_header(self) -> None:
        """The native column names the cycle's frame on show (the note has no room left)."""
        frame = self.document.shown_frame
        item = self.table.horizontalHeaderItem(COLUMNS.index("Native"))
        if item is None:
            return
        if frame is None:
            item.setText("Native")
            item.setToolTip("")
        else:
            item.setText(f"Frame {frame.index + 1}/{frame.count}")
            with_ring = "; with ring: predicted over the cycle" if frame.result is not None else ""
            item.setToolTip(f"Frame {frame.index + 1} of {frame.count}: {frame.name}{with_ring}")

    def _set(
        self,
        row: int,
        col: int,
        key: str,
        values: Measurements | None,
        *,
        signed: bool,
        colour: QColor,
    ) -> None:
        item = self._item(row, col)
        font = QFont(self.table.font())
        if values is None:
            item.setText("")
            item.setToolTip("")
            item.setFont(font)
            return
        value = values.values[key]
        estimated = values.estimated.get(key, False)
        text = value_text(key, value, signed)
        if estimated and value is not None:
            text += " *"
            font.setItalic(True)
        item.setText(text)
        item.setFont(font)
        item.setForeground(QBrush(colour))
        tips = []
        if estimated:
            tips.append("rests on an estimated landmark")
        if key in values.reasons:
            tips.append(values.reasons[key])
        item.setToolTip("; ".join(tips))

    def _refresh_note(self, native: Measurements | None) -> None:
        doc = self.document
        if native is None:
            self.note.setText("Open an annulus (File > Open) to measure it.")
            return
        parts = []
        if any(native.estimated.get(k) for k in MEASUREMENT_KEYS):
            parts.append(
                "* rests on an estimated landmark: drag it in the 3D view or open a landmarks file"
            )
        parts.append(_ORIENTATION.get(native.orientation, native.orientation))
        preview = doc.preview
        if doc.shown_frame is None and preview.result is not None and not preview.current:
            parts.append("with-ring values are of an earlier pose (greyed)")
        self.note.setText("; ".join(parts) + ".")

    def _refresh_plot(self) -> None:
        doc = self.document
        frame = doc.shown_frame
        if frame is not None:
            result = frame.result
            after = (
                None
                if result is None
                else saddle_profile(result.annulus_after, frame.annulus.plane)
            )
            self.plot.set_profiles(saddle_profile(frame.annulus), after, True)
            self._plot_shows = ()
            return
        annulus = doc.annulus
        result = doc.preview.result
        drawn = (annulus, doc.transient_landmark, result, doc.preview.current)
        if _same(drawn, self._plot_shows):
            return  # the same curves (see refresh)
        self._plot_shows = drawn
        if annulus is None:
            self.plot.set_profiles(None)
            return
        if doc.transient_landmark is not None:
            name, u = doc.transient_landmark
            annulus = annulus.with_landmarks({**annulus.given_landmarks, name: u})
        native = saddle_profile(annulus)
        after = None if result is None else saddle_profile(result.annulus_after, annulus.plane)
        self.plot.set_profiles(native, after, doc.preview.current)


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Whether two tuples hold the very same objects (identity, not equality)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


__all__ = ["COLUMNS", "MeasurementsPanel", "unit_text", "value_text"]
