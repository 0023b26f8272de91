"""Work-arounds for defects of the Qt bindings that a user must never meet.

PySide6 6.12.0 on CPython 3.11 drops one reference to ``None`` on every wrapped call that
returns nothing (``QLabel.setText``, ``QCoreApplication.processEvents``...; measured: -1.000
per call, none with 6.11.3). ``None`` is not immortal before Python 3.12, so after some
thousands of calls (seconds of dragging) its count reaches zero and the interpreter aborts
with "none_dealloc: deallocating None". ``pyproject.toml`` excludes that release; should it
be installed anyway, :func:`guard_none_refcount` detects the leak and, from a timer, gives
``None`` back the references the bindings dropped (its reference count is raised in place: a
list of ``None`` would not do, since freeing it at exit hands them back and aborts there).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: Keep ``sys.getrefcount(None)`` above this.
LOW_WATER = 1_000_000
#: Probe calls used to detect the leak.
_PROBES = 200

_timer: QTimer | None = None


def none_refcount_leaks() -> bool:
    """Whether wrapped Qt calls that return nothing lose a reference to ``None``."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal (PEP 683)
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) > _PROBES // 2


def _top_up() -> None:
    missing = LOW_WATER - sys.getrefcount(None)
    if missing > 0:
        # CPython < 3.12 keeps an object's reference count in its first machine word.
        ctypes.c_ssize_t.from_address(id(None)).value += missing


def guard_none_refcount(app: QCoreApplication, interval_ms: int = 100) -> bool:
    """Start the reserve (module docstring) on ``app`` when the bindings leak; return whether
    they do. Safe to call more than once."""
    global _timer
    if _timer is not None:
        return True
    if not none_refcount_leaks():
        return False
    _top_up()
    _timer = QTimer(app)
    _timer.timeout.connect(_top_up)
    _timer.start(interval_ms)
    return True


__all__ = ["LOW_WATER", "guard_none_refcount", "none_refcount_leaks"]
