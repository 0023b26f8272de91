"""Set a widget's style sheet only when it changes.

Setting a style sheet re-polishes the widget and lays its parent out again, even when the
sheet is the one it already has (about 0.05 ms a call, then a repaint in the next pass of the
event loop). The panels refresh on every pose edit and every preview answer, while a solve
runs beside them, so they set a status colour only when it differs.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def restyle(widget: QWidget, sheet: str) -> None:
    """Give ``widget`` the style sheet ``sheet`` unless it already has it."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)
