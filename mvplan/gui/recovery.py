"""Crash recovery: the open plan autosaved after every change, offered back after a crash.

Each window session owns two files in the recovery folder (by default
``platformdirs.user_state_dir("mvplan")/recovery``): ``<session>.mvplan.json``, the plan as it
stands after the latest change (written atomically like any plan file, by a background thread
so that a slow disk never holds the interface), and ``<session>.lock``, a ``QLockFile`` held
for as long as the session lives. A session that ends normally, or whose plan is saved,
removes its plan file; one that crashed leaves it behind with a lock whose process is gone,
which the next session detects (Qt compares the process id and name written in the lock with
the running processes, so two windows open at once never take each other's files).

Only the plan is kept (the plan file format stores no paths): a recovered plan opens as an
unsaved, untitled plan.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from PySide6.QtCore import QLockFile

from mvplan.gui.worker import LatestOnlyWorker, Outcome
from mvplan.plan import Plan
from mvplan.planfile import PLAN_SUFFIX, save_plan
from mvplan.rings.catalogue import Catalogue


def default_recovery_dir() -> Path:
    """Where sessions keep their recovery files."""
    return Path(platformdirs.user_state_dir("mvplan")) / "recovery"


@dataclass(frozen=True)
class LeftBehind:
    """A plan a crashed session left: its file and when it was last written (epoch s)."""

    path: Path
    modified: float


class RecoverySession:
    """This session's recovery file (module docstring).

    Parameters
    ----------
    folder : Path
        The recovery folder (made when missing).
    catalogue : Catalogue, optional
        Used to embed the definition of a ring that carries none.
    """

    def __init__(self, folder: Path, catalogue: Catalogue | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._catalogue = catalogue
        name = f"{os.getpid()}-{time.time_ns()}"
        self.path = self.folder / f"{name}{PLAN_SUFFIX}"
        self._lock = QLockFile(str(self.folder / f"{name}.lock"))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        if not self._lock.tryLock(0):
            raise OSError(f"cannot lock {self.folder / name}.lock (error {self._lock.error()})")
        self._writer = LatestOnlyWorker("mvplan-recovery")
        self.last_error: BaseException | None = None

    def left_behind(self) -> list[LeftBehind]:
        """Plans of sessions that ended without clearing them (newest first).

        Their locks are taken over and removed; the plan files stay until :meth:`discard`.
        """
        found = []
        for plan_file in self.folder.glob(f"*{PLAN_SUFFIX}"):
            if plan_file == self.path:
                continue
            lock = QLockFile(str(plan_file.with_name(_session(plan_file) + ".lock")))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):
                continue  # a live session's (another window)
            lock.unlock()  # removes the crashed session's lock file
            found.append(LeftBehind(plan_file, plan_file.stat().st_mtime))
        return sorted(found, key=lambda f: f.modified, reverse=True)

    def autosave(self, plan: Plan) -> None:
        """Write ``plan`` to the recovery file in the background (a newer plan replaces a
        waiting one)."""
        catalogue = self._catalogue
        path = self.path

        def write(_cancelled: object) -> Path:
            return save_plan(plan, path, catalogue)

        self._writer.submit(write, self._written, cancel_running=False)

    def clear(self) -> None:
        """Remove the recovery file (the plan is saved, or there is none)."""
        self._writer.cancel()
        self._writer.wait_idle(5.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until the pending write is on disk (tests, shutdown)."""
        return self._writer.wait_idle(timeout)

    def close(self) -> None:
        """End the session normally: no recovery file, no lock."""
        self.clear()
        self._writer.shutdown()
        self._lock.unlock()

    @staticmethod
    def discard(left: LeftBehind) -> None:
        """Remove a crashed session's plan (recovered or declined)."""
        with contextlib.suppress(FileNotFoundError):
            left.path.unlink()

    def _written(self, outcome: Outcome) -> None:
        # A failed autosave must not interrupt the user; the window shows it in the status bar.
        self.last_error = outcome.error


def _session(plan_file: Path) -> str:
    return plan_file.name.removesuffix(PLAN_SUFFIX)


__all__ = ["LeftBehind", "RecoverySession", "default_recovery_dir"]
