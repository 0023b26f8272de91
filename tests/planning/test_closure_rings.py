"""Validation of the closure with rings: the functional-MR sample leaks, rings close it.

Against DOMAIN.md: Gaidulis and Padala 2023 (7 ring sizes on 3 porcine functional-MR models)
found that rings larger than 32 mm left the gap open and rings of 32 mm or less closed it, with
tethering growing as the ring got smaller. The series below runs the rigid ``classic-like``
family downward on the bundled functional-MR annulus and papillary tips, each size warm-started
from the one before (as ``mvplan sweep`` does), and checks the same shape of result: the
regurgitant orifice shrinks with the ring down to the closing size, the largest size that closes
the valve lies within a size of 32 mm, and every smaller size closes it too (measured: 41, 19, 9.2,
8.3 mm^2 from 40 to 34 mm, then 5.4, 3.9, 1.7, 0.7 and 1.4 mm^2 from 32 to 24 mm, closing from
30 mm: the smallest ring tethers the leaflets enough to open a little again).
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest
from shapes import SAMPLES

from mvplan.io.load import load_annulus, load_papillary
from mvplan.workflow import (
    ClosureOutcome,
    closure_model,
    make_plan,
    simulate_closure,
    simulate_plan,
)

SIZES = (40.0, 38.0, 36.0, 34.0, 32.0, 30.0, 28.0, 26.0, 24.0)  # every size sold, as a sweep

pytestmark = pytest.mark.slow


@cache
def series() -> dict[float, ClosureOutcome]:
    tips_path = SAMPLES / "fmr_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / "fmr_annulus.csv", papillary=tips_path)
    tips = load_papillary(tips_path, annulus)
    out: dict[float, ClosureOutcome] = {}
    model, native, start = None, None, None
    for size in SIZES:
        made = make_plan(annulus, "classic-like", size_mm=size, papillary=tips)
        repaired = simulate_plan(made.plan, spec=made.spec)
        model = model or closure_model(made.plan)
        outcome = simulate_closure(
            made.plan, repaired, model=model, native=native, warm_start=start
        )
        native, start = outcome.native, outcome.repaired.result.x  # type: ignore[union-attr]
        out[size] = outcome
    return out


def orifice(outcome: ClosureOutcome) -> float:
    assert outcome.repaired is not None
    return outcome.repaired.coaptation.regurgitant_orifice_area_mm2


def test_the_functional_mr_sample_leaks_without_a_ring() -> None:
    native = next(iter(series().values())).native
    c = native.coaptation
    assert not c.closed and c.regurgitant_orifice_area_mm2 > 50.0
    # Tethered: the leaflets meet (where they meet) deeper than in the healthy sample.
    assert c.tenting_height_mm > 7.0


def test_the_gap_shrinks_as_the_ring_gets_smaller_and_closes_at_32_mm() -> None:
    runs = series()
    areas = {s: orifice(runs[s]) for s in SIZES}
    native = next(iter(runs.values())).native.coaptation.regurgitant_orifice_area_mm2
    closed = {s: runs[s].repaired.coaptation.closed for s in SIZES}  # type: ignore[union-attr]
    largest_closing = max(s for s, c in closed.items() if c)
    # Every ring helps, and down to the closing size each smaller ring helps more.
    assert max(areas.values()) < native
    open_sizes = [s for s in SIZES if s > largest_closing]
    shrinking = [*open_sizes, largest_closing]
    assert all(areas[a] > areas[b] for a, b in itertools.pairwise(shrinking))
    # Gaidulis and Padala 2023: rings <= 32 mm closed the gap, larger ones did not.
    assert 30.0 <= largest_closing <= 34.0
    assert all(closed[s] for s in SIZES if s <= largest_closing)
    assert not closed[40.0] and not closed[38.0]


def test_an_undersized_rigid_ring_closes_the_functional_mr_valve_in_equilibrium() -> None:
    case = series()[24.0].repaired
    assert case is not None
    r, c = case.result, case.coaptation
    assert r.converged and r.residual <= 1e-8
    assert c.closed and c.coaptation_length_mean_mm > 1.0
    assert r.reactions["balance_relative"] < 0.01
    # Chordae and leaflets stay in the physiological order (DOMAIN.md: peak leaflet stress
    # 0.5-0.75 MPa in normal valves; a few newtons per chord).
    assert r.chord_tensions_n.max() < 5.0
    assert case.to_dict()["leaflet_stress_p95_mpa"] < 1.5


def test_coaptation_length_is_reported_for_every_size() -> None:
    lengths = {
        s: o.repaired.coaptation.coaptation_length_mean_mm  # type: ignore[union-attr]
        for s, o in series().items()
    }
    assert all(v >= 0.0 for v in lengths.values())
    # Closing the gap makes the leaflets meet over a band, not at a point.
    assert lengths[32.0] > lengths[40.0]


def test_no_surfaces_cross_at_any_size() -> None:
    # Smaller rings crush the leaflet rim next to the annulus. With contact between the
    # leaflets only, its row of triangles folded through itself from 28 mm down, unseen by the
    # barrier and the collision checks; each leaflet's contact with itself keeps it whole.
    for size, outcome in series().items():
        assert outcome.repaired is not None
        crossing = outcome.repaired.result.surfaces_cross
        assert crossing is outcome.repaired.result.solver_dict()["surfaces_cross"]
        assert not crossing, size
        assert not outcome.native.result.surfaces_cross
