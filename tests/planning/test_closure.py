"""The leaflet closure solve: convergence, equilibrium, no interpenetration, boundary carrying."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.errors import InputError
from mvplan.io.load import load_annulus, load_papillary
from mvplan.mechanics.newton import Cancelled, NotConverged, SolveResult
from mvplan.planning.closure import ClosureModel, ClosureResult, ClosureSettings, apex_position


@cache
def model(name: str = "healthy", **settings: float) -> ClosureModel:
    tips_path = SAMPLES / f"{name}_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / f"{name}_annulus.csv", papillary=tips_path)
    tips = load_papillary(tips_path, annulus)
    return ClosureModel(annulus, tips, settings=ClosureSettings(**settings))  # type: ignore[arg-type]


@cache
def native(name: str = "healthy") -> ClosureResult:
    return model(name).solve()


@pytest.mark.slow
def test_the_healthy_valve_closes_in_equilibrium_without_interpenetration() -> None:
    m, r = model(), native()
    assert r.converged and r.residual <= m.settings.rtol
    # Global equilibrium: annulus and chordal reactions balance the pressure resultant.
    reactions = r.reactions
    assert reactions["balance_relative"] < 0.01
    pressure = np.linalg.norm(reactions["pressure"])
    assert pressure > 1.0  # N: 16 kPa on several cm^2 of leaflet
    assert np.linalg.norm(reactions["chordae"]) > 0.1 * pressure  # the chords carry load
    # Against the follower load p S (three times the potential's net force), the supports
    # carry all but the potential's net error on the free edges: 15 % on this valve.
    follower = reactions["pressure_follower"]
    np.testing.assert_allclose(np.linalg.norm(follower), 3.0 * pressure, rtol=0.05)
    assert reactions["balance_follower_relative"] < 0.25
    # The leaflets touch (within the contact tolerance) and never pass through each other.
    assert not m.contact.intersects(r.x) and not r.surfaces_cross
    touching = m.contact.contact_pairs(r.x, tol=m.settings.contact_tolerance_mm)
    assert touching.nodes.sum() > 20
    # Fixed nodes stay put; chords are taut somewhere and slack nowhere negative.
    assert np.array_equal(r.x[~m.free], m.reference[~m.free])
    assert r.chord_tensions_n.min() >= 0.0 and r.chord_tensions_n.max() > 0.1
    # Closing pushes the leaflets toward the atrium from their open reference shape.
    free_edge = m.mesh.free_edge_nodes
    assert r.x[free_edge, 2].mean() > m.reference[free_edge, 2].mean()


@pytest.mark.slow
def test_a_warm_start_from_the_solution_converges_at_once() -> None:
    m, r = model(), native()
    again = m.solve(warm_start=r.x)
    assert again.iterations <= 2
    assert np.abs(again.x - r.x).max() < 1e-6


@pytest.mark.slow
def test_the_same_closure_solved_again_is_the_same_bit_for_bit() -> None:
    # The Newton path amplifies rounding; one contact pattern per solve and a single ipctk
    # thread make it repeatable (two solves on one model once ended 0.15 mm apart).
    m, r = model(), native()
    again = m.solve()
    assert again.iterations == r.iterations
    np.testing.assert_array_equal(again.x, r.x)
    newton = [step.hessian for s in r.solves for step in s.history[:-1]]
    assert "newton-cg" in newton and newton[-1] == "exact"  # Newton-CG, then quadratic


@pytest.mark.slow
def test_a_failed_warm_start_closes_again_from_the_open_leaflets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m, r = model(), native()
    closed = ClosureModel._closed

    def warm_fails(self, warm_start, target, run, progress, cancel):  # type: ignore[no-untyped-def]
        if warm_start is not None:
            run.iterations += 7
            stalled = SolveResult(warm_start, False, 3.0, 3.0, 7, 1.0)
            raise NotConverged("warm start stalled", stalled)
        return closed(self, warm_start, target, run, progress, cancel)

    monkeypatch.setattr(ClosureModel, "_closed", warm_fails)
    again = m.solve(warm_start=r.x)
    assert again.converged and again.restarts == 1
    assert again.solver_dict()["cold_restart"] is True
    assert again.iterations == r.iterations + 7  # the abandoned iterations are counted
    assert np.abs(again.x - r.x).max() < 1e-6  # the same cold path, the same answer
    assert native().restarts == 0


def test_the_boundary_is_carried_by_the_annulus_displacement() -> None:
    m = model()
    k = 64
    u = np.arange(k) / k
    curve = m.annulus.to_valve_frame.apply(m.annulus.curve.evaluate(u))
    attached = m.mesh.points[m.mesh.attached_nodes]
    assert np.allclose(m.carried_boundary(curve, curve), attached)
    shift = np.array([0.5, -1.0, 0.25])
    assert np.allclose(m.carried_boundary(curve, curve + shift), attached + shift)
    # A contraction toward the centre carries every attached node inward.
    moved = m.carried_boundary(curve, 0.9 * curve)
    assert np.all(np.linalg.norm(moved[:, :2], axis=1) < np.linalg.norm(attached[:, :2], axis=1))
    with pytest.raises(InputError, match="one shape"):
        m.carried_boundary(curve, curve[:-1])


def test_a_boundary_move_is_spread_into_the_leaflets() -> None:
    m = model()
    shift = np.array([0.0, -1.5, 0.0])
    attached = m.mesh.points[m.mesh.attached_nodes] + shift
    x = m.moved(m.reference, attached)
    assert x is not None
    assert np.allclose(x[m.mesh.attached_nodes], attached)
    depth = m.mesh.node_depth_mm / m.mesh.node_height_mm
    moved = np.linalg.norm(x[: m.n_leaflet_nodes] - m.reference[: m.n_leaflet_nodes], axis=1)
    assert np.all(moved[depth >= 0.5] == 0.0)  # the deeper half is untouched
    assert np.all(moved[depth == 0.0] > 1.4)
    with pytest.raises(InputError, match="node count"):
        m.solve(warm_start=np.zeros((3, 3)))


def test_the_pressure_apex_lies_between_the_leaflets_below_the_annulus() -> None:
    m = model()
    apex = apex_position(m.mesh)
    assert apex[0] == 0.0 and apex[2] == -6.0
    attached = m.mesh.points[m.mesh.attached_nodes]
    assert attached[:, 1].min() < apex[1] < attached[:, 1].max()
    assert apex[1] < 0.0  # nearer P than A: the anterior leaflet is the taller


def test_cancel_and_an_iteration_budget_stop_the_solve() -> None:
    m = model()
    with pytest.raises(Cancelled):
        m.solve(cancel=lambda: True)
    short = model("healthy", max_iterations=2)
    with pytest.raises(NotConverged, match="did not converge"):
        short.solve()
    # The pressure is left at its full value for the next solve.
    assert np.all(short.pressure.pressure == short.settings.pressure_mpa)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"pressure_mpa": -0.016}, "positive"),
        ({"dhat_mm": float("nan")}, "positive"),
        ({"contact_tolerance_mm": 0.1}, "must exceed"),
        ({"poisson_ratio": 0.5}, "below 0.5"),
        ({"first_load_step": 1.5}, "at most 1"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, float], match: str) -> None:
    with pytest.raises(InputError, match=match):
        ClosureSettings(**settings)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_healthy_valve_coapts_as_measured_in_normal_valves() -> None:
    """Validation against 3D TEE of normal valves (DOMAIN.md): anterior-leaflet coaptation
    length 3.1 +- 0.4 mm and coaptation depth 5.0 +- 0.7 mm; no regurgitant orifice."""
    from mvplan.workflow import coaptation_of

    m, r = model(), native()
    annulus = m.annulus.to_valve_frame.apply(m.annulus.points)
    c = coaptation_of(m, r, annulus)
    assert c.closed
    assert 1.5 <= c.coaptation_length_mean_mm <= 6.0
    assert 3.0 <= c.tenting_height_mm <= 8.0
    assert c.coaptation_area_mm2 > 20.0
