"""Render packaging/icons/mvplan.svg to the PNG sizes the installers use (run by hand).

    .venv/bin/python packaging/make_icons.py

Qt's SVG renderer (PySide6, already a dependency) draws them, so nothing else is needed; the
PNGs are committed, and PyInstaller turns the 256 px one into .ico/.icns with Pillow.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "icons"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv[:1])  # noqa: F841  (QPainter needs an application)
    renderer = QSvgRenderer(str(ICONS / "mvplan.svg"))
    for size in (16, 32, 48, 256):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(ICONS / f"mvplan-{size}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
