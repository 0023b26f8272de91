"""`import mvplan` and the core layers stay headless: no Qt, no VTK (DESIGN.md section 1)."""

from __future__ import annotations

import subprocess
import sys

CORE = ["mvplan", "mvplan.geometry.measurements", "mvplan.io", "mvplan.io.load", "mvplan.cli"]


def test_core_imports_pull_in_no_qt_or_vtk() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'vtk', 'vtkmodules'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
