"""The ring catalogue panel: filter the families, see the recommended size and why, place one.

Filters: complete ring or band, planar / saddle / 3D, stiffness class, adjustable. Choosing a
family shows its sizes with the size the sizing policy recommends for this annulus marked and
its reason spelled out; *Place ring* (or a double click) puts it on the annulus at its
automatic placement. Changing the size or the adjustment of the ring in use applies at once.
Every action is one document call (one undo step).

The percutaneous devices (:mod:`mvplan.rings.percutaneous`) are listed too, typed "Coronary
sinus" or "Transcatheter band" (the type filter picks them out). A device has no sizing policy
and no adjustment: its size is the length between its end anchors and, in place of the
adjustment, a cinch field (mm, with its share of the size in %) runs from 0 to what the device
allows at that size.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mvplan.errors import InputError, MvplanError
from mvplan.gui.document import DEFAULT_CINCH_PERCENT, PlanDocument
from mvplan.rings.percutaneous import PercutaneousFamily
from mvplan.rings.spec import RingFamily

#: Sizing policies offered, as (label, policy text for ``recommend_size``).
POLICIES = (
    ("True size", "true-size"),
    ("Undersize by 1", "undersize:1"),
    ("Undersize by 2", "undersize:2"),
    ("Oversize by 1", "oversize:1"),
)

_ANY = "Any"

#: What the Type column and filter call each percutaneous device type.
DEVICE_KINDS = {"coronary-sinus": "Coronary sinus", "transcatheter-band": "Transcatheter band"}

#: Item data role marking a percutaneous device's row.
_DEVICE_ROLE = int(Qt.ItemDataRole.UserRole) + 1


def _kind(family: RingFamily) -> str:
    return "Ring" if family.closed else "Band"


def _stiffness(family: RingFamily) -> str:
    segmental = bool(family.stiffness.segments)
    return family.stiffness.stiffness_class + ("*" if segmental else "")


class CataloguePanel(QWidget):
    """Ring and band families with filters, sizes and the recommendation (module docstring)."""

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

        self.type_filter = self._combo(_ANY, "Ring", "Band", *DEVICE_KINDS.values())
        self.shape_filter = self._combo(_ANY, "planar", "saddle", "3d")
        self.stiffness_filter = self._combo(_ANY, "rigid", "semi-rigid", "flexible")
        self.adjustable_filter = self._combo(_ANY, "Adjustable", "Fixed")
        filters = QGridLayout()
        filters.setHorizontalSpacing(6)
        filters.setVerticalSpacing(3)
        for i, (text, combo) in enumerate(
            (
                ("Type", self.type_filter),
                ("Shape", self.shape_filter),
                ("Stiffness", self.stiffness_filter),
                ("Adjust.", self.adjustable_filter),
            )
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addWidget(label, i // 2, 2 * (i % 2))
            filters.addWidget(combo, i // 2, 2 * (i % 2) + 1)
        filters.setColumnStretch(1, 1)
        filters.setColumnStretch(3, 1)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("ringList")
        self.tree.setHeaderLabels(["Family", "Type", "Shape", "Stiffness"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setMinimumHeight(150)

        self.name_label = QLabel("Choose a ring or band")
        bold = QFont(self.name_label.font())
        bold.setBold(True)
        self.name_label.setFont(bold)
        self.name_label.setWordWrap(True)
        self.size_combo = QComboBox(self)
        self.size_combo.setObjectName("sizeCombo")
        self.policy_combo = QComboBox(self)
        for text, policy in POLICIES:
            self.policy_combo.addItem(text, policy)
        self.adjust_spin = QDoubleSpinBox(self)
        self.adjust_spin.setSuffix(" mm")
        self.adjust_spin.setDecimals(1)
        self.adjust_spin.setSingleStep(0.5)
        self.adjust_spin.setKeyboardTracking(False)
        self.adjust_spin.setToolTip("Change of AP diameter of an adjustable device")
        self.cinch_spin = QDoubleSpinBox(self)
        self.cinch_spin.setObjectName("cinchSpin")
        self.cinch_spin.setSuffix(" mm")
        self.cinch_spin.setDecimals(1)
        self.cinch_spin.setSingleStep(1.0)
        self.cinch_spin.setKeyboardTracking(False)
        self.cinch_spin.setToolTip(
            "How much the device takes in: the shortening of its wire between the end anchors"
        )
        self.cinch_percent = QLabel("")
        self.cinch_percent.setObjectName("cinchPercent")
        cinch_row = QHBoxLayout()
        cinch_row.setContentsMargins(0, 0, 0, 0)
        cinch_row.addWidget(self.cinch_spin, 1)
        cinch_row.addWidget(self.cinch_percent)
        self._cinch_row = QWidget(self)
        self._cinch_row.setLayout(cinch_row)
        self.reason_label = QLabel("")
        self.reason_label.setObjectName("recommendationReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.place_button = QPushButton("Place ring", self)
        self.place_button.setObjectName("placeRing")
        self.place_button.setDefault(True)
        self.place_button.setToolTip("Put the chosen ring on the annulus at its automatic fit")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Take the ring off (the native annulus alone)")

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        form.addRow("Size", self.size_combo)
        form.addRow("Sizing", self.policy_combo)
        form.addRow("Adjustment", self.adjust_spin)
        form.addRow("Cinch", self._cinch_row)
        self._form = form
        buttons = QHBoxLayout()
        buttons.addWidget(self.place_button, 1)
        buttons.addWidget(self.remove_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(filters)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.name_label)
        layout.addLayout(form)
        layout.addWidget(self.reason_label)
        layout.addLayout(buttons)

        for combo in (
            self.type_filter,
            self.shape_filter,
            self.stiffness_filter,
            self.adjustable_filter,
        ):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.tree.currentItemChanged.connect(lambda *_: self._on_family_selected())
        self.tree.itemDoubleClicked.connect(lambda *_: self.place())
        self.policy_combo.currentIndexChanged.connect(lambda _i: self._fill_sizes())
        self.size_combo.activated.connect(lambda _i: self._apply_to_current())
        self.adjust_spin.valueChanged.connect(lambda _v: self._apply_to_current())
        self.cinch_spin.valueChanged.connect(lambda _v: self._cinch_edited())
        self.place_button.clicked.connect(self.place)
        self.remove_button.clicked.connect(self._remove)
        document.plan_changed.connect(self.refresh)
        # The plan's (ring choice, annulus, measurements) the panel last followed (refresh).
        self._followed: tuple[object, object, object] | None = None
        self._populate()
        self.refresh()

    @staticmethod
    def _combo(*items: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(list(items))
        return combo

    # -- queries ----------------------------------------------------------------------------

    def selected_entry(self) -> RingFamily | PercutaneousFamily | None:
        """The ring family or percutaneous device of the selected row."""
        item = self.tree.currentItem()
        if item is None or item.isHidden():
            return None
        return self._entry(item)

    def _entry(self, item: QTreeWidgetItem) -> RingFamily | PercutaneousFamily:
        family_id = item.data(0, Qt.ItemDataRole.UserRole)
        plan = self.document.plan
        if plan is not None and plan.ring is not None and plan.ring.family == family_id:
            # The plan's own definition (a plan file may carry one the catalogue lacks).
            definition = plan.ring.definition
            if definition is not None:
                return definition
        if item.data(0, _DEVICE_ROLE):
            return self.document.catalogue.device(family_id)
        return self.document.catalogue.family(family_id)

    def selected_family(self) -> RingFamily | None:
        """The selected ring family (None: nothing, or a percutaneous device)."""
        entry = self.selected_entry()
        return entry if isinstance(entry, RingFamily) else None

    def selected_device(self) -> PercutaneousFamily | None:
        """The selected percutaneous device (None: nothing, or a ring)."""
        entry = self.selected_entry()
        return entry if isinstance(entry, PercutaneousFamily) else None

    def selected_size(self) -> float | None:
        data = self.size_combo.currentData()
        return None if data is None else float(data)

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def visible_families(self) -> list[str]:
        return [
            item.data(0, Qt.ItemDataRole.UserRole) for item in self._items() if not item.isHidden()
        ]

    def select_family(self, family_id: str) -> None:
        for item in self._items():
            if item.data(0, Qt.ItemDataRole.UserRole) == family_id:
                self.tree.setCurrentItem(item)
                return
        raise KeyError(family_id)

    # -- actions ----------------------------------------------------------------------------

    def place(self) -> None:
        """Put the selected family, at the selected size, on the annulus."""
        device, size = self.selected_device(), self.selected_size()
        if device is not None and size is not None:
            try:
                self.document.choose_device(device.id, size, self.cinch_spin.value())
            except MvplanError as exc:
                self._report(exc)
            return
        family = self.selected_family()
        if family is None or size is None:
            return
        adjustment = self.adjust_spin.value() if family.adjustable else 0.0
        try:
            self.document.choose_ring(family.id, size, adjustment)
        except MvplanError as exc:
            self._report(exc)

    def _remove(self) -> None:
        try:
            self.document.remove_ring()
        except MvplanError as exc:
            self._report(exc)

    def _cinch_edited(self) -> None:
        self._show_cinch_percent()
        self._apply_to_current()

    def _show_cinch_percent(self) -> None:
        size = self.selected_size()
        share = 100.0 * self.cinch_spin.value() / size if size else 0.0
        self.cinch_percent.setText(f"{share:.0f} %")

    def _apply_device(self, device: PercutaneousFamily) -> None:
        """A new size or cinch of the device in use (the cinch capped at the new size's)."""
        plan, size = self.document.plan, self.selected_size()
        if plan is None or plan.ring is None or plan.ring.family != device.id or size is None:
            return
        self._set_cinch_range(device, size)
        cinch = self.cinch_spin.value()
        if abs(size - plan.ring.size_mm) < 1e-9 and abs(cinch - plan.ring.adjustment_mm) < 1e-9:
            return
        try:
            self.document.choose_device(device.id, size, cinch)
        except MvplanError as exc:
            self._report(exc)
            self.follow_plan()  # back to the plan's choice (which has not changed)

    def _set_cinch_range(self, device: PercutaneousFamily, size: float) -> None:
        was = self._updating
        self._updating = True
        try:
            self.cinch_spin.setRange(0.0, round(device.cinch_limit_mm(size), 1))
        finally:
            self._updating = was
        self._show_cinch_percent()

    def _apply_to_current(self) -> None:
        if self._updating:
            return
        device = self.selected_device()
        if device is not None:
            self._apply_device(device)
            return
        plan, family = self.document.plan, self.selected_family()
        if plan is None or plan.ring is None or family is None or plan.ring.family != family.id:
            return
        size = self.selected_size()
        adjustment = self.adjust_spin.value() if family.adjustable else 0.0
        if size is None or (
            abs(size - plan.ring.size_mm) < 1e-9
            and abs(adjustment - plan.ring.adjustment_mm) < 1e-9
        ):
            return
        try:
            self.document.choose_ring(family.id, size, adjustment)
        except MvplanError as exc:
            self._report(exc)
            self.follow_plan()  # back to the plan's choice (which has not changed)

    # -- filling ----------------------------------------------------------------------------

    def _populate(self) -> None:
        try:
            families = self.document.catalogue.families
        except MvplanError as exc:
            self._report(exc)
            return
        for message in self.document.catalogue_warnings:
            self._report(InputError(f"ring skipped: {message}"))
        for fam in families:
            item = QTreeWidgetItem([fam.id, _kind(fam), fam.shape, _stiffness(fam)])
            item.setData(0, Qt.ItemDataRole.UserRole, fam.id)
            tip = fam.name
            if fam.resembles:
                tip += f"\nModelled on: {fam.resembles}"
            sizes = f"{fam.sizes_mm[0]:g}-{fam.sizes_mm[-1]:g} mm by {fam.size_measure}"
            tip += f"\nSizes: {sizes}"
            if fam.adjustable and fam.adjustable_ap_mm is not None:
                low, high = fam.adjustable_ap_mm
                tip += f"\nAdjustable AP: {low:g} to {high:g} mm"
            if fam.stiffness.segments:
                tip += "\n* segmental stiffness"
            for col in range(4):
                item.setToolTip(col, tip)
            self.tree.addTopLevelItem(item)
        for dev in self.document.catalogue.devices:
            item = QTreeWidgetItem([dev.id, DEVICE_KINDS.get(dev.type, dev.type), "–", "–"])
            item.setData(0, Qt.ItemDataRole.UserRole, dev.id)
            item.setData(0, _DEVICE_ROLE, True)
            tip = dev.name
            if dev.resembles:
                tip += f"\nModelled on: {dev.resembles}"
            tip += f"\nLengths: {', '.join(f'{v:g}' for v in dev.sizes_mm)} mm between anchors"
            tip += f"\nCinch up to {dev.cinch_max_percent:g} % of the length"
            for col in range(4):
                item.setToolTip(col, tip)
            self.tree.addTopLevelItem(item)

    def _apply_filters(self) -> None:
        kind, shape = self.type_filter.currentText(), self.shape_filter.currentText()
        stiff, adjust = self.stiffness_filter.currentText(), self.adjustable_filter.currentText()
        for item in self._items():
            if item.data(0, _DEVICE_ROLE):
                # A device has no shape or stiffness class; it is always adjustable (cinched).
                show = (
                    (kind in (_ANY, item.text(1)))
                    and shape == _ANY
                    and stiff == _ANY
                    and adjust != "Fixed"
                )
                item.setHidden(not show)
                continue
            fam = self.document.catalogue.family(item.data(0, Qt.ItemDataRole.UserRole))
            show = (
                (kind == _ANY or _kind(fam) == kind)
                and (shape == _ANY or fam.shape == shape)
                and (stiff == _ANY or fam.stiffness.stiffness_class == stiff)
                and (adjust == _ANY or fam.adjustable == (adjust == "Adjustable"))
            )
            item.setHidden(not show)
        current = self.tree.currentItem()
        if current is not None and current.isHidden():
            self.tree.setCurrentIndex(QModelIndex())
            self._on_family_selected()

    def refresh(self, *_args: object) -> None:
        """Follow the plan (:meth:`follow_plan`) unless neither its ring nor its annulus has
        changed since: a pose edit, many a second during a drag, changes neither."""
        plan = self.document.plan
        ring = None if plan is None else plan.ring
        annulus = None if plan is None else plan.annulus
        measurements = self.document.measurements
        last = self._followed
        if last is not None and last[0] is ring and last[1] is annulus and last[2] is measurements:
            return
        self._followed = (ring, annulus, measurements)
        self.follow_plan()

    def follow_plan(self) -> None:
        """Mark the ring in use and follow it (undo, open); the sizes and the recommendation
        of the selected family again."""
        plan = self.document.plan
        in_use = None if plan is None or plan.ring is None else plan.ring.family
        for item in self._items():
            font = QFont(self.tree.font())
            font.setBold(item.data(0, Qt.ItemDataRole.UserRole) == in_use)
            for col in range(4):
                item.setFont(col, font)
        if in_use is not None:
            selected = self.selected_entry()
            if selected is None or selected.id != in_use:
                self._updating = True
                try:
                    self.select_family(in_use)
                finally:
                    self._updating = False
        self.remove_button.setEnabled(in_use is not None)
        self._on_family_selected()

    def _show_rows(self, device: bool) -> None:
        """Sizing and adjustment for a ring, the cinch for a percutaneous device."""
        self._form.setRowVisible(self.policy_combo, not device)
        self._form.setRowVisible(self.adjust_spin, not device)
        self._form.setRowVisible(self._cinch_row, device)

    def _on_family_selected(self) -> None:
        entry = self.selected_entry()
        has_plan = self.document.plan is not None
        self.place_button.setEnabled(entry is not None and has_plan)
        self.size_combo.setEnabled(entry is not None)
        self._show_rows(isinstance(entry, PercutaneousFamily))
        if isinstance(entry, PercutaneousFamily):
            self._on_device_selected(entry)
            return
        family = entry
        if family is None:
            self.name_label.setText("Choose a ring or band")
            self.size_combo.clear()
            self.reason_label.setText("")
            self.adjust_spin.setEnabled(False)
            return
        self.name_label.setText(family.name)
        self._updating = True
        try:
            if family.adjustable and family.adjustable_ap_mm is not None:
                low, high = family.adjustable_ap_mm
                self.adjust_spin.setRange(low, high)
                self.adjust_spin.setEnabled(True)
            else:
                self.adjust_spin.setRange(0.0, 0.0)
                self.adjust_spin.setEnabled(False)
            plan = self.document.plan
            if plan is not None and plan.ring is not None and plan.ring.family == family.id:
                self.adjust_spin.setValue(plan.ring.adjustment_mm)
                self.place_button.setText("Place again")
            else:
                self.adjust_spin.setValue(0.0)
                self.place_button.setText("Place ring")
        finally:
            self._updating = False
        self._fill_sizes()

    def _on_device_selected(self, device: PercutaneousFamily) -> None:
        """Sizes (the one in use, else the middle one), the cinch, what the device is."""
        self.name_label.setText(device.name)
        plan = self.document.plan
        in_use = plan is not None and plan.ring is not None and plan.ring.family == device.id
        self._updating = True
        try:
            self.size_combo.clear()
            for size in device.sizes_mm:
                self.size_combo.addItem(f"{size:g} mm", float(size))
            if in_use and plan is not None and plan.ring is not None:
                target = plan.ring.size_mm
            else:
                target = device.sizes_mm[len(device.sizes_mm) // 2]
            self.size_combo.setCurrentIndex(max(self.size_combo.findData(float(target)), 0))
            size = self.selected_size() or target
            self.cinch_spin.setRange(0.0, round(device.cinch_limit_mm(size), 1))
            if in_use and plan is not None and plan.ring is not None:
                self.cinch_spin.setValue(plan.ring.adjustment_mm)
                self.place_button.setText("Place again")
            else:
                self.cinch_spin.setValue(round(DEFAULT_CINCH_PERCENT / 100.0 * size, 1))
                self.place_button.setText("Place device")
        finally:
            self._updating = False
        self._show_cinch_percent()
        where = (
            "in the coronary sinus, beside the posterior annulus"
            if device.type == "coronary-sinus"
            else f"on the posterior annulus, an anchor every {device.anchor_spacing_mm:g} mm"
        )
        self.reason_label.setText(
            f"{device.description} <i>Lies {where}; size is the length between its end "
            f"anchors; cinch up to {device.cinch_max_percent:g} %.</i>"
        )

    def _fill_sizes(self) -> None:
        family = self.selected_family()
        if family is None:
            return
        recommended = None
        reason = ""
        if self.document.measurements is not None:
            try:
                rec = self.document.recommendation(family, self.policy_combo.currentData())
                recommended, reason = rec.size_mm, rec.reason
            except MvplanError as exc:
                reason = f"No recommendation: {exc}"
        plan = self.document.plan
        in_use = None
        if plan is not None and plan.ring is not None and plan.ring.family == family.id:
            in_use = plan.ring.size_mm
        self._updating = True
        try:
            self.size_combo.clear()
            bold = QFont(self.size_combo.font())
            bold.setBold(True)
            for size in family.sizes_mm:
                text = f"{size:g} mm"
                if recommended is not None and abs(size - recommended) < 1e-9:
                    text += "  ★ recommended"
                self.size_combo.addItem(text, float(size))
                if recommended is not None and abs(size - recommended) < 1e-9:
                    index = self.size_combo.count() - 1
                    self.size_combo.setItemData(index, bold, Qt.ItemDataRole.FontRole)
            target = in_use if in_use is not None else recommended
            if target is None:
                target = family.sizes_mm[len(family.sizes_mm) // 2]
            index = self.size_combo.findData(float(target))
            self.size_combo.setCurrentIndex(max(index, 0))
        finally:
            self._updating = False
        if recommended is not None:
            self.reason_label.setText(f"<b>Recommended {recommended:g} mm</b>: {reason}")
        else:
            self.reason_label.setText(reason)


__all__ = ["DEVICE_KINDS", "POLICIES", "CataloguePanel"]
