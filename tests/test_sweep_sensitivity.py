"""``closure_sensitivity``: chord rest lengths and leaflet stiffness scaled, closure re-solved."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from shapes import SAMPLES

from mvplan.errors import InputError
from mvplan.io.load import load_annulus, load_papillary
from mvplan.mechanics import Cancelled
from mvplan.plan import Plan
from mvplan.planning.closure import ClosureSettings
from mvplan.sweep import closure_sensitivity
from mvplan.valve.leaflets import LeafletSpec
from mvplan.workflow import (
    ClosureOutcome,
    closure_model,
    make_plan,
    simulate_closure,
    simulate_plan,
)

KEYS = {
    "parameter",
    "scale",
    "coaptation_length_mean_mm",
    "coaptation_length_min_mm",
    "regurgitant_orifice_area_mm2",
    "closed",
    "converged",
    "delta_coaptation_length_mean_mm",
    "delta_regurgitant_orifice_area_mm2",
}
ORDER = [
    ("chord_rest_length", 0.9),
    ("chord_rest_length", 1.1),
    ("leaflet_stiffness", 0.9),
    ("leaflet_stiffness", 1.1),
]


@pytest.fixture(scope="module")
def fmr() -> tuple[Plan, ClosureOutcome]:
    """The functional-MR sample's valve and its native closure (coarse mesh)."""
    tips = SAMPLES / "fmr_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / "fmr_annulus.csv", papillary=tips)
    plan = Plan(annulus=annulus, papillary=load_papillary(tips, annulus), leaflets=LeafletSpec())
    return plan, simulate_closure(plan)


def _check_rows(rows: list[dict[str, Any]], baseline: dict[str, Any]) -> None:
    assert [(r["parameter"], r["scale"]) for r in rows] == ORDER
    for row in rows:
        assert set(row) >= KEYS
        assert row["converged"] is True and row["error"] is None
        for key in ("coaptation_length_mean_mm", "regurgitant_orifice_area_mm2"):
            assert math.isfinite(row[key]) and math.isfinite(row[f"delta_{key}"])
            assert row[f"delta_{key}"] == pytest.approx(row[key] - baseline[key], abs=2e-4)


def test_native_sensitivity_of_the_fmr_valve_in_two_processes(fmr) -> None:
    plan, outcome = fmr
    seen: list[tuple[int, int]] = []
    rows = closure_sensitivity(
        plan, None, outcome, jobs=2, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    _check_rows(rows, outcome.native.to_dict())
    chord_short, chord_long, soft, stiff = (r["delta_regurgitant_orifice_area_mm2"] for r in rows)
    # Measured on both samples, native and repaired: longer chordae tether the leaflets less
    # and shrink the orifice of this leaking valve (-25 mm2 against +7 mm2 for shorter ones);
    # the leaflet stiffness moves it far less (about 1.5 mm2 either way).
    assert chord_long < 0.0 < chord_short
    assert max(abs(soft), abs(stiff)) < min(abs(chord_short), abs(chord_long))


def test_repaired_sensitivity_in_this_process_starts_from_the_repaired_valve(fmr) -> None:
    base, native = fmr
    made = make_plan(base.annulus, "classic-like", size_mm=28.0, papillary=base.papillary)
    plan = replace(made.plan, leaflets=base.leaflets)
    result = simulate_plan(plan, spec=made.spec)
    outcome = simulate_closure(plan, result, model=native.model, native=native.native)
    assert outcome.repaired is not None
    rows = closure_sensitivity(plan, result, outcome)
    _check_rows(rows, outcome.repaired.to_dict())
    # The ring shrank the orifice: every perturbation stays far below the native one.
    for row in rows:
        assert (
            row["regurgitant_orifice_area_mm2"]
            < 0.5 * native.native.to_dict()["regurgitant_orifice_area_mm2"]
        )
    # No repaired closure to start from: said, not guessed.
    with pytest.raises(InputError, match="no repaired valve"):
        closure_sensitivity(plan, result, native)


def test_a_perturbation_that_does_not_converge_gives_a_row_not_an_error(fmr) -> None:
    plan, outcome = fmr
    # One Newton iteration per load step cannot close the valve: every solve fails.
    starved = closure_model(plan, ClosureSettings(max_iterations=1))
    rows = closure_sensitivity(plan, None, replace_model(outcome, starved), jobs=2)
    assert [(r["parameter"], r["scale"]) for r in rows] == ORDER
    for row in rows:
        assert row["converged"] is False
        assert row["coaptation_length_mean_mm"] is None
        assert row["delta_regurgitant_orifice_area_mm2"] is None
        assert "did not converge" in row["error"]


def replace_model(outcome: ClosureOutcome, model: Any) -> ClosureOutcome:
    return ClosureOutcome(model, outcome.native, outcome.repaired)


def test_cancel_and_bad_arguments(fmr) -> None:
    plan, outcome = fmr
    for jobs in (1, 2):
        with pytest.raises(Cancelled):
            closure_sensitivity(plan, None, outcome, jobs=jobs, cancel=lambda: True)
    for factor in (0.0, 1.0, -0.1):
        with pytest.raises(InputError, match="factor"):
            closure_sensitivity(plan, None, outcome, factor=factor)
    with pytest.raises(InputError, match="jobs"):
        closure_sensitivity(plan, None, outcome, jobs=0)
