"""The placement panel: the ring's pose as numbers, its sutures, and the automatic fit.

Fields: in-plane position (x toward PMC, y toward A), height above the annulus plane, rotation
about the normal and the two tilts (:class:`mvplan.gui.document.PoseParameters`), and the
suture count. Editing one field (Enter, the arrows or leaving it) changes only that number of
the pose: one document call, one undo step. The fields follow the 3D view's drags live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mvplan.errors import MvplanError
from mvplan.gui.document import PlanDocument
from mvplan.gui.pose import PoseParameters, pose_parameters
from mvplan.planning import MIN_SUTURES

#: (field, label, suffix, range, step, tooltip) of each pose number.
FIELDS = (
    ("x_mm", "Shift x", " mm", 25.0, 0.5, "In-plane shift toward PMC (+) or ALC (-)"),
    ("y_mm", "Shift y", " mm", 25.0, 0.5, "In-plane shift toward A (+) or P (-)"),
    ("height_mm", "Height", " mm", 15.0, 0.5, "Height above the annulus plane (+ atrial)"),
    ("rotation_deg", "Rotation", " °", 180.0, 1.0, "Rotation about the annulus normal"),
    ("tilt_cc_deg", "Tilt (C-C axis)", " °", 45.0, 1.0, "Tilt about the commissural axis"),
    ("tilt_ap_deg", "Tilt (A-P axis)", " °", 45.0, 1.0, "Tilt about the A-P axis"),
)

_TEXT = {
    "x_mm": "Shift x",
    "y_mm": "Shift y",
    "height_mm": "Height",
    "rotation_deg": "Rotate",
    "tilt_cc_deg": "Tilt C-C",
    "tilt_ap_deg": "Tilt A-P",
}


class PlacementPanel(QWidget):
    """Numeric pose and suture fields of the ring in use (module docstring)."""

    def __init__(
        self,
        document: PlanDocument,
        report: Callable[[BaseException], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._report = report
        self._updating = False
        self.fields: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        for name, label, suffix, limit, step, tip in FIELDS:
            spin = QDoubleSpinBox(self)
            spin.setObjectName(name)
            spin.setRange(-limit, limit)
            spin.setDecimals(1)
            spin.setSingleStep(step)
            spin.setSuffix(suffix)
            spin.setKeyboardTracking(False)
            spin.setToolTip(tip)
            if name == "rotation_deg":
                spin.setWrapping(True)
            spin.valueChanged.connect(lambda value, n=name: self._edited(n, value))
            self.fields[name] = spin
            form.addRow(label, spin)
        self.sutures = QSpinBox(self)
        self.sutures.setObjectName("sutureCount")
        self.sutures.setRange(MIN_SUTURES, 40)
        self.sutures.setSpecialValueText("–")
        self.sutures.setKeyboardTracking(False)
        self.sutures.setToolTip("Number of sutures (laid out afresh, evenly, at this pose)")
        self.sutures.valueChanged.connect(self._sutures_edited)
        form.addRow("Sutures", self.sutures)
        self.info = QLabel("")
        self.info.setObjectName("sutureInfo")
        self.info.setWordWrap(True)
        self.auto_button = QPushButton("Auto place", self)
        self.auto_button.setToolTip("Fit the ring to the annulus landmarks again")
        self.auto_button.clicked.connect(self._auto)
        hint = QLabel(
            "3D view: drag the ring to move it, Shift+drag to rotate, Ctrl+drag to tilt; "
            "drag a landmark along the annulus."
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.auto_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        layout.addStretch(1)
        document.plan_changed.connect(self.refresh)
        document.transient_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        """Show the pose of the placement on show (a drag's, while it lasts)."""
        doc = self.document
        placement = doc.placement
        enabled = placement is not None
        for spin in self.fields.values():
            spin.setEnabled(enabled)
        self.sutures.setEnabled(enabled)
        self.auto_button.setEnabled(enabled)
        self._updating = True
        try:
            if placement is None:
                for spin in self.fields.values():
                    spin.setValue(0.0)
                # Below the fewest sutures: the spin box shows its special text, a dash.
                self.sutures.setMinimum(MIN_SUTURES - 1)
                self.sutures.setValue(MIN_SUTURES - 1)
                plan = doc.plan
                if plan is not None and plan.has_device:
                    # A device is placed by its anatomy (the vein, the annulus), not by a pose.
                    self.info.setText(
                        "A percutaneous device has no pose or sutures: set its size and cinch "
                        "in the catalogue, its coronary-sinus path in the Device panel."
                    )
                else:
                    self.info.setText("Choose a ring in the catalogue to place it.")
                return
            params = pose_parameters(placement)
            for name, spin in self.fields.items():
                spin.setValue(getattr(params, name))
            self.sutures.setMinimum(MIN_SUTURES)
            self.sutures.setValue(len(placement.sutures))
        finally:
            self._updating = False
        lengths = doc.suture_lengths_mm()
        if lengths is not None and lengths.size:
            self.info.setText(
                f"{lengths.size} sutures, {lengths.mean():.1f} mm long on average "
                f"(longest {lengths.max():.1f} mm)"
            )
        else:
            self.info.setText("")

    def _edited(self, name: str, value: float) -> None:
        if self._updating or self.document.plan is None or self.document.placement is None:
            return
        params: PoseParameters = pose_parameters(self.document.placement)
        params = replace(params, **{name: float(value)})
        try:
            self.document.set_pose(params, f"{_TEXT[name]} {value:g}")
        except MvplanError as exc:
            self._report(exc)
            self.refresh()

    def _sutures_edited(self, count: int) -> None:
        if self._updating:
            return
        try:
            self.document.set_suture_count(int(count))
        except MvplanError as exc:
            self._report(exc)
            self.refresh()

    def _auto(self) -> None:
        try:
            self.document.auto_place()
        except MvplanError as exc:
            self._report(exc)


__all__ = ["FIELDS", "PlacementPanel"]
