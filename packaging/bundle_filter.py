"""What the lean bundle leaves out: Python modules mvplan never imports, Qt parts it never uses.

PyInstaller's hooks collect a module's whole family (every Qt plugin, every translation) and
follow optional imports of libraries (matplotlib from VTK's helpers, Dask from mvplan.sweep).
``packaging/mvplan.spec`` passes :data:`EXCLUDED_MODULES` to the analysis and filters the
collected files through :func:`keep`. ``MVPLAN_BUNDLE_FULL=1`` turns both off, to measure what
they save (packaging/README.md has the figures).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable

FULL = os.environ.get("MVPLAN_BUNDLE_FULL") == "1"

#: Imported by name at run time only (PyInstaller cannot see them). VTK's rendering back ends
#: register themselves on import: without them nothing renders (ENVIRONMENT.md).
HIDDEN_IMPORTS = [
    "vtkmodules.vtkRenderingOpenGL2",
    "vtkmodules.vtkInteractionStyle",
    "vtkmodules.vtkRenderingFreeType",
]

#: Optional imports of mvplan's dependencies that the application never needs, and the extras
#: left out of the bundle: PDF reports (WeasyPrint, which also needs Pango on the system) and
#: Dask sweeps (``--scheduler``) say how to get them when used (pip install mvplan[pdf,dask]).
_EXCLUDED = [
    "tkinter",
    "matplotlib",
    "PIL",
    "IPython",
    "jinja2",
    "pytest",
    "hypothesis",
    "mypy",
    "dask",
    "distributed",
    "weasyprint",
    "pandas",
    "pyarrow",
    "fsspec",
    "cloudpickle",
    "numba",
    "sympy",
    "networkx",
    "lxml",
    "sqlite3",
    "readline",
    "curses",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # Qt modules mvplan does not use (it needs QtCore, QtGui, QtWidgets, QtOpenGL*, QtSvg).
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtXml",
    "PySide6.QtDBus",
    "PySide6.QtConcurrent",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtPrintSupport",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.Qt3DCore",
    "PySide6.QtMultimedia",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    # VTK's optional Python helpers (web, numpy interop beyond numpy_support, test utilities).
    "vtkmodules.web",
    "vtkmodules.test",
    "vtkmodules.gtk",
    "vtkmodules.tk",
    "vtkmodules.wx",
    "vtkmodules.numpy_interface",
    "vtkmodules.vtkRenderingMatplotlib",
    "vtkmodules.vtkPythonContext2D",
    "vtkmodules.vtkWebCore",
    "vtkmodules.vtkWebGLExporter",
]
EXCLUDED_MODULES: list[str] = [] if FULL else _EXCLUDED

#: Collected files to drop, as patterns on their path inside the bundle. Qt plugins for
#: platforms and formats mvplan does not use (it draws on X11 through xcb, or off screen; on
#: Wayland Qt falls back to XWayland), Qt's translations (the interface is English only), and
#: QML, which nothing loads.
_DROPPED = [
    r"PySide6/Qt/translations/",
    r"PySide6/Qt/qml/",
    r"PySide6/Qt/plugins/(platforms/libq(eglfs|linuxfb|minimal|minimalegl|vnc|vkkhrdisplay)\.so)",
    r"PySide6/Qt/plugins/(egldeviceintegrations|wayland-[^/]*)/",
    r"PySide6/Qt/plugins/(networkinformation|tls|sqldrivers|qmltooling|designer)/",
    r"PySide6/Qt/plugins/platforms/libqwayland",
    # The GTK theme would need GTK 3 on the system; Qt falls back to its own style without it.
    r"PySide6/Qt/plugins/platformthemes/libqgtk3",
    r"PySide6/Qt/lib/libQt6(Qml|Quick|Network|Pdf|Sql|Test|Designer|Wayland|WlShell|EglFS|EglFs|VirtualKeyboard)",
    # Touch and evdev input for the framebuffer platforms left out above.
    r"PySide6/Qt/plugins/generic/",
]
_DROP = re.compile("|".join(_DROPPED))


def dropped(dest: str) -> bool:
    """True if the bundled file at ``dest`` (a path inside the bundle) is left out."""
    return not FULL and _DROP.search(dest.replace("\\", "/")) is not None


#: Where a Linux distribution keeps its own libraries.
_SYSTEM_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def system_library(source: str, kind: str, platform: str = sys.platform) -> bool:
    """True for a library PyInstaller copied from the Linux system rather than a wheel.

    The bundle leaves those out and the .deb depends on the packages that have them
    (packaging/debian.py derives the list): the system's copies get its security updates
    and match its X server, fonts and GL drivers. Python's own libpython (not from the
    system here) and the wheels' libraries stay in.

    """
    return (
        platform.startswith("linux")
        and kind == "BINARY"
        and source.startswith(_SYSTEM_DIRS)
        and "/libpython" not in source  # a distribution's Python: the bundle carries it all
    )


def keep(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The entries of a PyInstaller TOC (``(dest, source, kind)``) that the bundle keeps."""
    if FULL:
        return list(toc)
    return [
        (dest, source, kind)
        for dest, source, kind in toc
        if not dropped(dest) and not system_library(source, kind)
    ]
