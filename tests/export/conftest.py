"""Fixtures of the export tests: the healthy sample planned with a ring and with a band,
each simulated once for the session, the ring plan's leaflet closure (native and repaired,
solved once for the session: about 30 s on the coarse mesh), and off-screen VTK with no
display.

The environment for off-screen rendering is set here, before any test module imports VTK
(ENVIRONMENT.md); nothing imported above the call loads VTK.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan import workflow
from mvplan.geometry.annulus import Annulus
from mvplan.headless import configure_headless
from mvplan.io.load import load_annulus
from mvplan.mechanics.newton import NotConverged, SolveResult
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.planning.closure import ClosureModel
from mvplan.workflow import ClosureOutcome, MadePlan, make_plan, simulate_closure, simulate_plan

configure_headless(force=True)

CSV = SAMPLES / "healthy_annulus.csv"


@pytest.fixture(scope="session")
def csv_path() -> Path:
    return CSV


@pytest.fixture(scope="session")
def raw_points() -> np.ndarray:
    """The sample's curve rows as read from the CSV (landmark rows included: they lie on
    the curve), mm, input frame."""
    return np.loadtxt(CSV, delimiter=",", skiprows=1, usecols=(0, 1, 2))


@pytest.fixture(scope="session")
def annulus() -> Annulus:
    return load_annulus(CSV)


@pytest.fixture(scope="session")
def made(annulus: Annulus) -> MadePlan:
    """A rigid complete ring, 28 mm (downsized for the 35 mm commissural width)."""
    return make_plan(annulus, "classic-like", size_mm=28, name="export test")


@pytest.fixture(scope="session")
def result(made: MadePlan) -> AnnuloplastyResult:
    return simulate_plan(made.plan, spec=made.spec)


@pytest.fixture(scope="session")
def band(annulus: Annulus) -> MadePlan:
    """An open band (true-sized), for the open-curve paths."""
    return make_plan(annulus, "cosgrove-band-like", policy="true-size")


@pytest.fixture(scope="session")
def band_result(band: MadePlan) -> AnnuloplastyResult:
    return simulate_plan(band.plan, spec=band.spec)


@pytest.fixture(scope="session")
def bare(annulus: Annulus) -> MadePlan:
    """A plan with no device: the native annulus alone."""
    return make_plan(annulus, None)


@pytest.fixture(scope="session")
def closure(made: MadePlan, result: AnnuloplastyResult) -> ClosureOutcome:
    """The leaflet closure of ``made``: native and with the ring (coarse mesh)."""
    return simulate_closure(made.plan, result)


@pytest.fixture(scope="session")
def native_closure(closure: ClosureOutcome) -> ClosureOutcome:
    """The native closure of ``closure`` alone, as a plan with no device (or a repaired
    closure that failed) leaves it."""
    return ClosureOutcome(closure.model, closure.native, None)


def stalls(self: ClosureModel, attached: Any = None, **_: Any) -> Any:
    """:meth:`ClosureModel.solve` that never converges (relative residual 2.5e-4)."""
    state = SolveResult(
        x=self.reference,
        converged=False,
        residual=2.5e-4,
        residual_abs=1e-3,
        iterations=300,
        time_ms=1.0,
    )
    raise NotConverged("Newton stalled", state)


@pytest.fixture
def stalled_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every leaflet closure solve fails to converge (:func:`stalls`)."""
    monkeypatch.setattr(ClosureModel, "solve", stalls)


@pytest.fixture
def repaired_fails(
    monkeypatch: pytest.MonkeyPatch, closure: ClosureOutcome, stalled_solves: None
) -> None:
    """The native closure is the session's; the repaired solve (the real one, reusing its
    model) does not converge (:func:`stalls`)."""
    real = workflow.simulate_closure

    def simulate(plan: Any, annuloplasty: Any = None, **options: Any) -> ClosureOutcome:
        if annuloplasty is None:
            return ClosureOutcome(closure.model, closure.native, None)
        return real(plan, annuloplasty, **options)

    monkeypatch.setattr(workflow, "simulate_closure", simulate)
