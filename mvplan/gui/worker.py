"""A background thread that runs only the latest job: rapid requests coalesce.

No Qt here. :class:`LatestOnlyWorker` keeps one waiting slot: a new job replaces a waiting one
(which is dropped unrun) and, when asked, cancels the running one through the ``cancelled``
callable every job receives (the solver's ``cancel`` argument polls it once per Newton
iteration). Each job's outcome goes to its ``done`` callback, called in the worker thread; the
Qt layer turns that into a queued signal.

The annuloplasty preview's thread only waits: its solves run in a child process
(:mod:`mvplan.gui.solver_process`, which has the measurements that decided it). The other
workers (leaflet closure, cycle, sweep, recovery writer) run their jobs here, in the thread:
a closure, the heaviest, left the GUI's 5 ms timer at most 31 ms late (90th percentile
3.5 ms; :mod:`mvplan.gui.closure`).

The thread runs at a lower scheduling priority (``nice`` +10; Linux schedules threads one by
one), so on two cores software OpenGL's drawing threads win the CPU from it. Where a thread's
priority cannot be set (other systems), it runs at the normal one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """How one job ended.

    Attributes
    ----------
    ticket : int
        The number :meth:`LatestOnlyWorker.submit` returned.
    value : Any
        The job's return value (None when it raised).
    error : BaseException or None
        What it raised (the solver's ``Cancelled`` when it was cancelled).
    cancelled : bool
        Whether a newer job asked it to stop before it finished.
    elapsed_ms : float
        Wall time of the job.
    latest : bool
        Whether no newer job had been submitted when it ended.
    """

    ticket: int
    value: Any
    error: BaseException | None
    cancelled: bool
    elapsed_ms: float
    latest: bool


@dataclass
class _Job:
    ticket: int
    run: Callable[[Callable[[], bool]], Any]
    done: Callable[[Outcome], None]
    cancel_flag: threading.Event


class LatestOnlyWorker:
    """One daemon thread that runs the most recent job submitted (module docstring)."""

    def __init__(self, name: str = "mvplan-worker") -> None:
        self._lock = threading.Condition()
        self._waiting: _Job | None = None
        self._running: _Job | None = None
        self._ticket = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """Whether a job is running or waiting."""
        with self._lock:
            return self._running is not None or self._waiting is not None

    def submit(
        self,
        run: Callable[[Callable[[], bool]], Any],
        done: Callable[[Outcome], None],
        *,
        cancel_running: bool = True,
    ) -> int:
        """Queue ``run(cancelled)`` in place of any waiting job; return its ticket.

        With ``cancel_running`` the job running now is asked to stop (its ``cancelled()``
        turns True); without it (a drag's stream of poses) it finishes and its answer is
        still shown, and only the newest waiting pose runs next.
        """
        with self._lock:
            if self._stopping:
                raise RuntimeError("the worker has been shut down")
            self._ticket += 1
            self._waiting = _Job(self._ticket, run, done, threading.Event())
            if cancel_running and self._running is not None:
                self._running.cancel_flag.set()
            self._lock.notify_all()
            return self._ticket

    def cancel(self) -> None:
        """Drop the waiting job and ask the running one to stop."""
        with self._lock:
            self._waiting = None
            if self._running is not None:
                self._running.cancel_flag.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing runs or waits (tests and shutdown); False on timeout."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._running is not None or self._waiting is not None:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the thread (the running job is cancelled; waiting ones are dropped)."""
        with self._lock:
            self._stopping = True
            self._waiting = None
            if self._running is not None:
                self._running.cancel_flag.set()
            self._lock.notify_all()
        self._thread.join(timeout)

    def _loop(self) -> None:
        _lower_priority()
        while True:
            with self._lock:
                while self._waiting is None and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                job = self._waiting
                assert job is not None
                self._waiting = None
                self._running = job
            start = time.perf_counter()
            value: Any = None
            error: BaseException | None = None
            try:
                value = job.run(job.cancel_flag.is_set)
            except Exception as exc:  # the job's error is its outcome, shown to the user
                error = exc
            elapsed = 1e3 * (time.perf_counter() - start)
            with self._lock:
                latest = self._ticket == job.ticket
                stopping = self._stopping
            if not stopping:
                try:
                    job.done(
                        Outcome(job.ticket, value, error, job.cancel_flag.is_set(), elapsed, latest)
                    )
                except Exception:  # a broken callback must not kill the worker
                    import traceback

                    traceback.print_exc()
            with self._lock:
                self._running = None
                self._lock.notify_all()


__all__ = ["LatestOnlyWorker", "Outcome"]


#: Scheduling priority of the worker thread relative to the GUI's (module docstring).
NICENESS = 10


def _lower_priority() -> None:
    """Lower the calling thread's scheduling priority by :data:`NICENESS` (Linux only).

    Only Linux takes a thread id for ``PRIO_PROCESS``; elsewhere the id could name some
    other process, so nothing is done.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # e.g. a sandbox that forbids it
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
