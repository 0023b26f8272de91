"""Errors cross process boundaries (parallel sweeps): they pickle back to themselves."""

from __future__ import annotations

import pickle

import numpy as np

from mvplan.errors import ConvergenceError, InputError, MvplanError
from mvplan.mechanics.newton import Cancelled, NotConverged, SolveResult
from mvplan.planning.sutures import RingTooFarError


def _solve_result() -> SolveResult:
    return SolveResult(
        x=np.zeros(3),
        converged=False,
        iterations=4,
        residual=1e-3,
        residual_abs=2e-3,
        time_ms=1.0,
    )


def test_errors_with_other_constructor_arguments_pickle() -> None:
    far = pickle.loads(pickle.dumps(RingTooFarError("the ring is 23.4 mm away", 8.0)))
    assert isinstance(far, RingTooFarError)
    assert str(far) == "the ring is 23.4 mm away; place it closer (at most 8 mm)"
    assert far.distance_text == "the ring is 23.4 mm away"

    stopped = pickle.loads(pickle.dumps(NotConverged("stalled", _solve_result())))
    assert isinstance(stopped, ConvergenceError) and stopped.exit_code == 3
    assert stopped.residual == 1e-3 and stopped.result.iterations == 4

    cancelled = pickle.loads(pickle.dumps(Cancelled("cancelled", _solve_result())))
    assert cancelled.exit_code == 130 and cancelled.result.iterations == 4


def test_source_and_message_survive() -> None:
    error = pickle.loads(pickle.dumps(InputError("no such file", source="a.csv")))
    assert type(error) is InputError and isinstance(error, MvplanError)
    assert str(error) == "a.csv: no such file" and error.source == "a.csv"
