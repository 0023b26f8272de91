"""The read-only table of figures the side panels share: label first, numbers to its right."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QWidget

__all__ = ["figures_table"]


def figures_table(
    rows: int, columns: Sequence[str], name: str, parent: QWidget | None = None
) -> QTableWidget:
    """A table of ``rows`` rows under the headers ``columns``, named ``name``.

    Not editable, selected by whole rows, rows striped, no wrapping and no horizontal scroll
    bar: the first column (the labels) takes the width left over by the others, which fit
    their contents.
    """
    table = QTableWidget(rows, len(columns), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for col in range(1, len(columns)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    return table
