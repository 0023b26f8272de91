"""The GUI's solver process: answers, errors, cancel, a child that dies, priority, shutdown.

The functions the child runs are this module's (pickled by name; the child imports this module
from the parent's ``sys.path``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from mvplan.errors import InputError
from mvplan.gui.solver_process import SolverProcess, SolverProcessError


def whoami(cancel: Callable[[], bool]) -> tuple[int, int]:
    return os.getpid(), os.sched_getscheduler(0)


def add(a: float, b: float, *, scale: float = 1.0, cancel: Callable[[], bool]) -> float:
    return scale * (a + b)


def spin_until_cancelled(limit_s: float, cancel: Callable[[], bool]) -> str:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if cancel():
            return "cancelled"
        time.sleep(0.001)
    return "ran out"


def refuse(cancel: Callable[[], bool]) -> None:
    raise InputError("the annulus has 2 points; at least 8 are needed")


def die(cancel: Callable[[], bool]) -> None:
    os._exit(3)


@pytest.fixture
def solver() -> Iterator[SolverProcess]:
    process = SolverProcess("mvplan-test-solver")
    yield process
    process.close()


def test_calls_run_in_a_lower_priority_child_and_return_their_answer(
    solver: SolverProcess,
) -> None:
    assert add(1.0, 2.0, cancel=lambda: False) == 3.0
    assert solver.call(add, 1.0, 2.0, scale=2.0) == 6.0
    pid, policy = solver.call(whoami)
    assert pid == solver.pid
    assert pid != os.getpid()
    assert policy == os.SCHED_IDLE  # it runs only when the GUI leaves a core free
    # One child serves every call.
    assert solver.call(whoami)[0] == pid


def test_the_childs_error_is_raised_in_the_caller(solver: SolverProcess) -> None:
    with pytest.raises(InputError, match="at least 8 are needed"):
        solver.call(refuse)
    assert solver.call(add, 2.0, 2.0) == 4.0  # the child lives on


def test_cancelled_reaches_the_running_call(solver: SolverProcess) -> None:
    solver.call(add, 0.0, 0.0)  # started and imported
    asked = threading.Event()
    threading.Timer(0.2, asked.set).start()
    start = time.monotonic()
    assert solver.call(spin_until_cancelled, 30.0, cancelled=asked.is_set) == "cancelled"
    assert time.monotonic() - start < 10.0
    # The next call starts uncancelled.
    assert solver.call(spin_until_cancelled, 0.05) == "ran out"


def test_a_child_that_dies_is_reported_and_replaced(solver: SolverProcess) -> None:
    first = solver.call(whoami)[0]
    with pytest.raises(SolverProcessError, match=r"stopped unexpectedly \(exit code 3\)"):
        solver.call(die)
    assert not solver.alive
    second = solver.call(whoami)[0]
    assert second != first
    assert solver.alive


def test_close_stops_the_child(solver: SolverProcess) -> None:
    solver.start()
    assert solver.alive
    solver.close()
    assert not solver.alive
    assert solver.pid is None
