"""The saddle profile plot: height above the annulus plane against position along the annulus.

Drawn with QPainter (no plotting dependency); the profile itself comes from
:func:`mvplan.geometry.profile.saddle_profile` (Qt-free, shared with the report's chart). The
position runs from the anterior landmark A (0 %) through ALC, P and PMC back to A (100 % of
the perimeter); heights are signed distances from the native annulus's least-squares plane,
+ toward the atrium. The reshaped annulus of the preview is drawn against the same plane, so a
ring that lifts or flattens the saddle shows as such. Landmarks are marked; estimated ones
dashed and starred.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from mvplan.geometry.profile import Profile, saddle_profile

FloatArray = npt.NDArray[np.float64]
_ToPx = Callable[[float, float], QPointF]
#: Smallest half-range of the height axis, mm.
MIN_HALF_RANGE_MM = 1.0

_Frame = tuple[QRectF, float, float]  # the plot's rectangle and its height range, mm

NATIVE_COLOUR = QColor(46, 109, 180)
AFTER_COLOUR = QColor(230, 126, 34)


class SaddleProfilePlot(QWidget):
    """A small line plot of one or two :class:`Profile` values (module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._native: Profile | None = None
        self._after: Profile | None = None
        self._after_current = True
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip(
            "Saddle profile: height above the native annulus plane (mm, + toward the atrium) "
            "along the annulus from A through ALC, P and PMC. Dashed marks: estimated landmarks."
        )

    def sizeHint(self) -> QSize:
        return QSize(320, 170)

    def set_profiles(
        self, native: Profile | None, after: Profile | None = None, after_current: bool = True
    ) -> None:
        """Show ``native`` and, if given, the reshaped ``after`` (faded when not current)."""
        self._native, self._after, self._after_current = native, after, after_current
        self.update()

    @property
    def profiles(self) -> tuple[Profile | None, Profile | None]:
        return self._native, self._after

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        text_colour = pal.text().color()
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        left, right = metrics.horizontalAdvance("-8.8") + metrics.height() + 12, 10
        top, bottom = metrics.height() + 8, metrics.height() + 10
        plot = QRectF(left, top, self.width() - left - right, self.height() - top - bottom)
        if plot.width() < 40 or plot.height() < 30:
            return
        if self._native is None:
            painter.setPen(pal.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No annulus")
            return
        heights = [self._native.height_mm]
        if self._after is not None:
            heights.append(self._after.height_mm)
        # At least +-1 mm, so that a flat annulus looks flat (not its rounding noise magnified).
        low = min(-MIN_HALF_RANGE_MM, *(float(h.min()) for h in heights))
        high = max(MIN_HALF_RANGE_MM, *(float(h.max()) for h in heights))
        step = _nice_step((high - low) / 4 if high > low else 1.0)
        low, high = np.floor(low / step) * step, np.ceil(high / step) * step
        if high - low < step:
            high = low + step

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(
                plot.left() + plot.width() * x / 100.0,
                plot.bottom() - plot.height() * (y - low) / (high - low),
            )

        grid = QColor(text_colour)
        grid.setAlpha(40)
        painter.setPen(QPen(grid, 1))
        for y in np.arange(low, high + step / 2, step):
            p = to_px(0, y)
            painter.drawLine(QPointF(plot.left(), p.y()), QPointF(plot.right(), p.y()))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(0, p.y() - metrics.height() / 2, left - 6, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{y:g}",
            )
            painter.setPen(QPen(grid, 1))
        zero = QColor(text_colour)
        zero.setAlpha(110)
        if low < 0 < high:
            painter.setPen(QPen(zero, 1))
            painter.drawLine(to_px(0, 0), to_px(100, 0))
        self._draw_landmarks(painter, plot, to_px, low, high, metrics.height())
        frame = (plot, float(low), float(high))
        self._draw_curve(painter, self._native, NATIVE_COLOUR, frame)
        if self._after is not None:
            colour = QColor(AFTER_COLOUR)
            if not self._after_current:
                colour.setAlpha(110)
            self._draw_curve(painter, self._after, colour, frame)
        painter.setPen(QPen(zero, 1))
        painter.drawRect(plot)
        painter.setPen(text_colour)
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 2, plot.width(), bottom),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
            "% of perimeter from A",
        )
        painter.save()
        painter.translate(2, plot.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRectF(-plot.height() / 2, 0, plot.height(), metrics.height()),
            Qt.AlignmentFlag.AlignCenter,
            "height (mm)",
        )
        painter.restore()
        self._draw_legend(painter, plot, metrics.height())

    def _draw_curve(
        self, painter: QPainter, profile: Profile, colour: QColor, frame: _Frame
    ) -> None:
        plot, low, high = frame
        xs = plot.left() + plot.width() * profile.position / 100.0
        ys = plot.bottom() - plot.height() * (profile.height_mm - low) / (high - low)
        line = QPolygonF([QPointF(x, y) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)])
        painter.setPen(QPen(colour, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(line)

    def _draw_landmarks(
        self,
        painter: QPainter,
        plot: QRectF,
        to_px: _ToPx,
        low: float,
        high: float,
        text_h: int,
    ) -> None:
        assert self._native is not None
        colour = QColor(self.palette().text().color())
        colour.setAlpha(150)
        for name, x, estimated in self._native.landmarks:
            pen = QPen(colour, 1, Qt.PenStyle.DashLine if estimated else Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            top_pt, bottom_pt = to_px(x, high), to_px(x, low)
            painter.drawLine(top_pt, bottom_pt)
            label = f"{name}*" if estimated else name
            painter.drawText(
                QRectF(top_pt.x() - 30, plot.top() - text_h - 3, 60, text_h),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                label,
            )
        if any(x < 1.0 for _, x, _ in self._native.landmarks):
            # A sits at both ends of the axis.
            p = to_px(100, high)
            painter.drawLine(p, to_px(100, low))

    def _draw_legend(self, painter: QPainter, plot: QRectF, text_h: int) -> None:
        """Under the plot, left of the axis caption (the curves fill the plot itself)."""
        items = [("native", NATIVE_COLOUR)]
        if self._after is not None:
            items.append(("with ring", AFTER_COLOUR))  # faded when of an earlier pose
        metrics = painter.fontMetrics()
        x = plot.left()
        y = plot.bottom() + 2 + text_h / 2
        for text, colour in items:
            painter.setPen(QPen(colour, 2))
            painter.drawLine(QPointF(x, y), QPointF(x + 16, y))
            painter.setPen(self.palette().text().color())
            width = metrics.horizontalAdvance(text)
            painter.drawText(
                QRectF(x + 20, y - text_h / 2, width + 4, text_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
            x += width + 34


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``raw``."""
    power = 10.0 ** np.floor(np.log10(max(raw, 1e-6)))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)


__all__ = ["Profile", "SaddleProfilePlot", "saddle_profile"]
