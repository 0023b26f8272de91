"""A child process that runs the GUI's solves, so they never hold the GUI's interpreter lock.

No Qt here. :class:`SolverProcess` keeps one long-lived child interpreter (started fresh with
``spawn``, never forked from a process with Qt and VTK threads) and runs one call at a time in
it: ``call(fn, *args, cancelled=..., **kwargs)`` pickles the function (by name) and its
arguments across, and the calling thread, a :class:`~mvplan.gui.worker.LatestOnlyWorker`'s,
waits on the pipe without holding the lock. The child passes ``cancel=`` to the function, a
callable that turns True once the caller's ``cancelled()`` has (the solver polls it once per
Newton iteration); the answer or the exception raised comes back pickled
(:mod:`mvplan.errors` pickle back to themselves).

Why a process. With the annuloplasty preview solving in a thread, a pure-Python busy thread
beside the GUI turned a 2.5 ms pose-edit handler into 19 ms (the lock changes hands only every
switch interval), and the event loop's worst answer during a drag reached 47-61 ms in some
benchmark runs, against the 50 ms the issue allows. A process takes the lock out of the
picture. It runs under Linux's ``SCHED_IDLE`` policy (only when nothing else wants a core):
at ``nice`` +10 instead, the GUI thread's own work slowed whenever the child held the other
core (rebuilding the result's tubes, 2.5-5 ms alone, took 30 ms during committed edits), and
the worst answer to committed edits was 44-75 ms. Measured with ``python -m mvplan.gui.bench
--seconds 6``, four runs each on the 2-core machine, worst answer (ms):

=====================  ===============  ===============  ===============
case                   thread, nice 10  process, nice    process, idle
=====================  ===============  ===============  ===============
drag                   31-53            27-41            33-35
committed edits        32-57            44-75            34-40
=====================  ===============  ===============  ===============

with as many solves completed (55-76 per 6 s drag, every one of the 58-59 edits). Its price:
the child's start-up (imports, about a second, off the GUI thread, once per GUI process) and
pickling each request and answer (28 kB and 1.4 MB, under 1 ms each way).

Functions the child runs must be importable by name, and a script that starts the GUI must
guard its entry point (``if __name__ == "__main__":``) as any ``spawn`` user must: the child
imports the script's main module.

If the child dies (killed, out of memory), the call raises :class:`SolverProcessError` and
the next call starts a new child.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from mvplan.errors import MvplanError

#: The child's niceness where Linux's SCHED_IDLE policy is not available (module docstring).
NICENESS = 10

#: How often the waiting thread looks at its ``cancelled()`` (s).
POLL_S = 0.02

_CONTEXT = multiprocessing.get_context("spawn")


class SolverProcessError(MvplanError):
    """The solver's process stopped without answering (it is restarted on the next call)."""


class SolverProcess:
    """One child interpreter that runs calls one at a time (module docstring)."""

    def __init__(self, name: str = "mvplan-solver") -> None:
        self.name = name
        self._lock = threading.Lock()  # one call at a time; also guards start and close
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._cancel: Any = None  # a shared byte: 1 asks the child's call to stop

    @property
    def alive(self) -> bool:
        """Whether the child runs."""
        process = self._process
        return process is not None and process.is_alive()

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it starts)."""
        process = self._process
        return None if process is None else process.pid

    def start(self) -> None:
        """Start the child if it does not run; returns at once (the child imports meanwhile).

        While a call runs the child is up already, and this does nothing.
        """
        if self._lock.acquire(blocking=False):
            try:
                self._start()
            finally:
                self._lock.release()

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        cancelled: Callable[[], bool] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``fn(*args, cancel=..., **kwargs)`` in the child and return its answer.

        Parameters
        ----------
        fn : callable
            A module-level function (pickled by name).
        *args, **kwargs
            Its arguments (pickled).
        cancelled : callable ``() -> bool``, optional
            Polled every :data:`POLL_S` while the child works; once it is True the child's
            ``cancel()`` turns True.

        Raises
        ------
        Exception
            Whatever ``fn`` raised in the child.
        SolverProcessError
            The child stopped without answering.
        """
        with self._lock:
            self._start()
            assert self._conn is not None and self._process is not None
            self._cancel.value = 0
            try:
                self._conn.send((fn, args, kwargs))
                while not self._conn.poll(POLL_S):
                    if not self._process.is_alive():
                        raise EOFError
                    if cancelled is not None and not self._cancel.value and cancelled():
                        self._cancel.value = 1
                ok, value = self._conn.recv()
            except (OSError, EOFError) as exc:  # the child died (an answer ends with its pipe)
                raise self._stopped() from exc
        if ok:
            return value
        raise value

    def close(self, timeout: float = 2.0) -> None:
        """Ask the child to exit (it finishes its call first); kill it after ``timeout`` s."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process = self._conn = self._cancel = None
        if process is not None and conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            process.join(timeout)
        _end(process, conn, timeout)

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._discard()
        ours, theirs = _CONTEXT.Pipe()
        cancel = _CONTEXT.RawValue("b", 0)  # shared memory, no lock: one writer
        process = _CONTEXT.Process(
            target=_serve, args=(theirs, cancel), name=self.name, daemon=True
        )
        process.start()
        theirs.close()  # the child holds its end: our recv sees EOF if it dies
        self._process, self._conn, self._cancel = process, ours, cancel

    def _stopped(self) -> SolverProcessError:
        """The error for a child that stopped without answering (it is discarded)."""
        process = self._process
        code = None
        if process is not None:
            process.join(1.0)
            code = process.exitcode
        self._discard()
        return SolverProcessError(
            f"the solver process stopped unexpectedly (exit code {code}); "
            "it restarts on the next change"
        )

    def _discard(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = self._cancel = None
        _end(process, conn, 1.0)


def _end(
    process: multiprocessing.process.BaseProcess | None, conn: Connection | None, timeout: float
) -> None:
    """Kill ``process`` if it still runs, wait up to ``timeout`` s for it, close ``conn``."""
    if process is not None:
        if process.is_alive():
            process.kill()
        process.join(timeout)
    if conn is not None:
        conn.close()


def _serve(conn: Connection, cancel: Any) -> None:
    """The child's loop: run each ``(fn, args, kwargs)`` received and send back its answer."""
    _lower_priority()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the GUI went away
            return
        if message is None:
            return
        fn, args, kwargs = message
        try:
            answer: tuple[bool, Any] = (
                True,
                fn(*args, cancel=lambda: bool(cancel.value), **kwargs),
            )
        except Exception as exc:  # the call's error is its answer
            answer = (False, exc)
        try:
            conn.send(answer)
        except (OSError, EOFError):
            return
        except Exception as exc:  # an answer that does not pickle
            conn.send((False, MvplanError(f"the solver's answer could not be sent back: {exc}")))


def _lower_priority() -> None:
    """Run this process only when no other wants the CPU (module docstring).

    Linux's ``SCHED_IDLE`` where there is one; elsewhere (or where it is refused) ``nice``
    +:data:`NICENESS`.
    """
    if hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
        except OSError:
            pass
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # e.g. a sandbox that forbids it
            os.nice(NICENESS)


_shared: SolverProcess | None = None
_shared_lock = threading.Lock()


def shared_solver_process() -> SolverProcess:
    """The GUI process's one solver process (created on first use, closed at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SolverProcess()
        return _shared


__all__ = ["NICENESS", "SolverProcess", "SolverProcessError", "shared_solver_process"]
