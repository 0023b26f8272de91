"""Driving the window as a user would: clicks, keys and mouse drags on the 3D view.

Imported as ``gui.helpers`` (``tests`` is on the path; this folder has no ``__init__``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTreeWidget, QWidget

from mvplan.gui.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assets" / "samples" / "healthy_annulus.csv"
SAMPLE_TIPS = REPO / "assets" / "samples" / "healthy_papillary_tips.csv"
SOLVE_TIMEOUT_MS = 20_000


def wait_preview(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Wait until the preview of exactly the plan on show has converged."""
    doc = window.document
    qtbot.waitUntil(
        lambda: doc.preview.status == "ok" and doc.preview.current, timeout=SOLVE_TIMEOUT_MS
    )


def click_family(qtbot, tree: QTreeWidget, family_id: str) -> None:  # type: ignore[no-untyped-def]
    """Click the catalogue row of ``family_id``."""
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == family_id:
            tree.scrollToItem(item)
            rect = tree.visualItemRect(item)
            qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"{family_id} is not in the catalogue list")


def move_to(
    widget: QWidget,
    pos: QPoint,
    buttons: Qt.MouseButton = Qt.MouseButton.LeftButton,
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Send a mouse move (with ``buttons`` held) to ``pos`` in ``widget``."""
    event = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        Qt.MouseButton.NoButton,
        buttons,
        mods,
    )
    QApplication.sendEvent(widget, event)


def drag(
    widget: QWidget,
    start: QPoint,
    end: QPoint,
    *,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    steps: int = 8,
) -> None:
    """Press the left button at ``start``, move in ``steps`` to ``end``, release there."""
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, modifier, start)
    for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
        p = QPoint(
            round(start.x() + t * (end.x() - start.x())),
            round(start.y() + t * (end.y() - start.y())),
        )
        move_to(widget, p, Qt.MouseButton.LeftButton, modifier)
        QApplication.processEvents()
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, modifier, end)


def on_screen(window: MainWindow, point_valve: np.ndarray) -> QPoint:
    """Widget position in the 3D view of a valve-frame point (mm)."""
    display = window.view.scene.world_to_display(np.asarray(point_valve, float).reshape(1, 3))
    assert display is not None
    return window.view.widget_position(float(display[0, 0]), float(display[0, 1]))
