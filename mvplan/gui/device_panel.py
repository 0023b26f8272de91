"""The device panel: the coronary-sinus path and the circumflex safety of a percutaneous device.

Two groups:

- **Coronary sinus**: where the path came from (estimated, or a file) and its length, and the
  four offsets of an estimated path (:class:`~mvplan.geometry.coronary.CSOffsets`: the
  CS-to-annulus distance at the ostium, mid-CS and distal end, and its atrial part). Editing
  one estimates the path again from all four: one document call, one undo step. *Open...*
  reads a traced path instead (File > Open coronary-sinus path). *Distal anchor*: how far
  back from the vein's distal end a coronary-sinus device's distal anchor sits (one undo
  step; a device that no longer fits in the vein is refused with a message).
- **Circumflex artery**: the artery's file, the compression threshold (mm, one undo step
  per edit), and the safety figures of the device on show (closest distance, crossings) with
  the warning in red (:meth:`~mvplan.gui.document.PlanDocument.safety`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mvplan.errors import MvplanError
from mvplan.geometry.coronary import CSOffsets
from mvplan.geometry.safety import Safety
from mvplan.gui.document import PlanDocument
from mvplan.gui.restyle import restyle

#: (CSOffsets field, label, tooltip) of each offset field.
OFFSET_FIELDS = (
    ("ostium_mm", "Ostium", "CS-to-annulus distance at the ostium, beside PMC (Lansac: 8-14 mm)"),
    ("mid_mm", "Mid-CS", "CS-to-annulus distance beside P (Lansac: 13.7-20.4 mm)"),
    ("distal_mm", "Distal", "CS-to-annulus distance beside ALC (Lansac: 6.9-14 mm)"),
    ("atrial_mm", "Atrial part", "How much of each distance is toward the atrium (assumed 4 mm)"),
)

_WARNING_STYLE = "color: #c62828; font-weight: bold;"
_SAFE_STYLE = "color: #2e7d32;"


def safety_lines(safety: Safety) -> list[str]:
    """The safety figures in words, one line each."""
    return [
        f"Closest approach: {safety.min_distance_mm:.1f} mm "
        f"({safety.closest_device_arc_mm:.0f} mm from the proximal end; "
        f"threshold {safety.threshold_mm:g} mm)",
        f"Crossings between device and annulus: {len(safety.crossings)}",
    ]


def _mm_spin(
    parent: QWidget, name: str, limits: tuple[float, float], step: float, tip: str
) -> QDoubleSpinBox:
    """A length field in mm to a tenth, committed on Return or focus loss (not per key)."""
    spin = QDoubleSpinBox(parent)
    spin.setObjectName(name)
    spin.setRange(*limits)
    spin.setDecimals(1)
    spin.setSingleStep(step)
    spin.setSuffix(" mm")
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    return spin


class DevicePanel(QWidget):
    """The coronary-sinus path and the artery's safety (module docstring)."""

    def __init__(
        self,
        document: PlanDocument,
        report: Callable[[BaseException], None],
        open_cs_path: Callable[[], object] | None = None,
        open_artery: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._report = report
        self._updating = False

        self.path_label = QLabel("")
        self.path_label.setObjectName("csPathInfo")
        self.path_label.setWordWrap(True)
        self.offsets: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        defaults = CSOffsets()
        for name, label, tip in OFFSET_FIELDS:
            spin = _mm_spin(self, f"cs_{name}", (0.5, 40.0), 0.5, tip)
            spin.setValue(getattr(defaults, name))
            spin.valueChanged.connect(lambda _v, n=name: self._offset_edited(n))
            self.offsets[name] = spin
            form.addRow(label, spin)
        self.distal_anchor = _mm_spin(
            self,
            "distalAnchor",
            (0.0, 60.0),
            1.0,
            "How far back from the vein's distal end the device's distal anchor sits",
        )
        self.distal_anchor.valueChanged.connect(self._distal_anchor_edited)
        form.addRow("Distal anchor", self.distal_anchor)
        self.open_path_button = QPushButton("Open path…", self)
        self.open_path_button.setToolTip("Read a traced coronary-sinus centreline (CSV, markups)")
        if open_cs_path is not None:
            self.open_path_button.clicked.connect(lambda: open_cs_path())
        cs_box = QGroupBox("Coronary sinus", self)
        cs_layout = QVBoxLayout(cs_box)
        cs_layout.setContentsMargins(6, 6, 6, 6)
        cs_layout.setSpacing(4)
        cs_layout.addWidget(self.path_label)
        cs_layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_path_button)
        cs_layout.addLayout(row)

        self.artery_label = QLabel("")
        self.artery_label.setObjectName("arteryInfo")
        self.artery_label.setWordWrap(True)
        self.threshold = _mm_spin(
            self,
            "safetyThreshold",
            (0.1, 20.0),
            0.5,
            "Compression is flagged where the artery comes closer than this",
        )
        self.threshold.valueChanged.connect(self._threshold_edited)
        self.figures = QLabel("")
        self.figures.setObjectName("safetyFigures")
        self.figures.setWordWrap(True)
        self.warning = QLabel("")
        self.warning.setObjectName("safetyWarning")
        self.warning.setWordWrap(True)
        self.open_artery_button = QPushButton("Open artery…", self)
        self.open_artery_button.setToolTip("Read the circumflex artery's centreline")
        if open_artery is not None:
            self.open_artery_button.clicked.connect(lambda: open_artery())
        artery_box = QGroupBox("Circumflex artery", self)
        artery_form = QFormLayout()
        artery_form.setContentsMargins(0, 0, 0, 0)
        artery_form.addRow("Threshold", self.threshold)
        artery_layout = QVBoxLayout(artery_box)
        artery_layout.setContentsMargins(6, 6, 6, 6)
        artery_layout.setSpacing(4)
        artery_layout.addWidget(self.artery_label)
        artery_layout.addLayout(artery_form)
        artery_layout.addWidget(self.figures)
        artery_layout.addWidget(self.warning)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_artery_button)
        artery_layout.addLayout(row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(cs_box)
        layout.addWidget(artery_box)
        layout.addStretch(1)
        document.plan_changed.connect(self.refresh)
        document.preview_changed.connect(self.refresh_safety)
        self.refresh()

    # -- document -> fields -----------------------------------------------------------------

    def refresh(self, *_args: object) -> None:
        """Show the plan's path, offsets, artery and threshold."""
        plan = self.document.plan
        has_plan = plan is not None
        for widget in (*self.offsets.values(), self.open_path_button, self.open_artery_button):
            widget.setEnabled(has_plan)
        self.threshold.setEnabled(has_plan)
        family = self.document.device_family
        self.distal_anchor.setEnabled(family is not None and family.type == "coronary-sinus")
        self._updating = True
        try:
            path = None if plan is None else plan.cs_path
            if path is not None and path.offsets is not None:
                for name, spin in self.offsets.items():
                    spin.setValue(getattr(path.offsets, name))
            if plan is not None:
                self.threshold.setValue(plan.safety_threshold_mm)
                self.distal_anchor.setValue(plan.distal_anchor_offset_mm)
        finally:
            self._updating = False
        if plan is None:
            self.path_label.setText("")
        elif path is None:
            self.path_label.setText(
                "No path: a coronary-sinus device estimates one; edit an offset to estimate it now."
            )
        else:
            where = "estimated from the offsets" if path.offsets is not None else path.source
            self.path_label.setText(f"Path: {where}, {path.length_mm:.0f} mm long")
        if plan is None or plan.artery is None:
            self.artery_label.setText("No artery: open its centreline to check compression.")
        else:
            artery = plan.artery
            self.artery_label.setText(f"Artery: {artery.source}, {artery.length_mm:.0f} mm")
        self.refresh_safety()

    def refresh_safety(self, *_args: object) -> None:
        """The safety figures of the device on show, and its warning."""
        plan = self.document.plan
        safety = self.document.safety()
        if safety is None:
            self.figures.setText(
                "Choose a percutaneous device to see how close it comes."
                if plan is not None and plan.artery is not None and not plan.has_device
                else ""
            )
            self.warning.setText("")
            return
        self.figures.setText("<br>".join(safety_lines(safety)))
        if safety.warning:
            self.warning.setText(f"⚠ {safety.warning}")
            restyle(self.warning, _WARNING_STYLE)
        else:
            self.warning.setText("No compression flagged.")
            restyle(self.warning, _SAFE_STYLE)

    # -- fields -> document -----------------------------------------------------------------

    def current_offsets(self) -> CSOffsets:
        """The four fields as offsets (InputError when they do not make one)."""
        return CSOffsets(**{name: spin.value() for name, spin in self.offsets.items()})

    def _offset_edited(self, _name: str) -> None:
        self._apply(lambda: self.document.set_cs_offsets(self.current_offsets()))

    def _distal_anchor_edited(self, value: float) -> None:
        self._apply(lambda: self.document.set_distal_anchor(float(value)))

    def _threshold_edited(self, value: float) -> None:
        self._apply(lambda: self.document.set_safety_threshold(float(value)))

    def _apply(self, change: Callable[[], object]) -> None:
        """Make a field's edit to the plan; on refusal say why and show the plan as it is."""
        if self._updating or self.document.plan is None:
            return
        try:
            change()
        except MvplanError as exc:
            self._report(exc)
            self.refresh()


__all__ = ["OFFSET_FIELDS", "DevicePanel", "safety_lines"]
