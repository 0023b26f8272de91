"""The annuloplasty simulation held to the physics of issue 4 and the calibration in DOMAIN.md."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.errors import InputError
from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.measurements import measure
from mvplan.io.load import load_annulus
from mvplan.mechanics import NotConverged
from mvplan.planning import (
    Placement,
    auto_place,
    layout_sutures,
    rotated_about_normal,
    translated,
    with_suture_count,
    with_sutures,
)
from mvplan.planning.annuloplasty import (
    AnnuloplastyResult,
    TissueModel,
    simulate_annuloplasty,
)
from mvplan.rings import load_catalogue
from mvplan.rings.sizing import recommend_size
from mvplan.rings.spec import RingSpec, StiffnessSpec


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def healthy():
    return load_annulus(
        SAMPLES / "healthy_annulus.csv", papillary=SAMPLES / "healthy_papillary_tips.csv"
    )


@pytest.fixture(scope="module")
def fmr():
    return load_annulus(SAMPLES / "fmr_annulus.csv", papillary=SAMPLES / "fmr_papillary_tips.csv")


def run(annulus, spec: RingSpec, **kwargs) -> AnnuloplastyResult:
    return simulate_annuloplasty(annulus, spec, auto_place(annulus, spec).placement, **kwargs)


def with_class(spec: RingSpec, stiffness_class: str) -> RingSpec:
    """The same ring shape with one stiffness class throughout (no named segments)."""
    family = dataclasses.replace(spec.family, stiffness=StiffnessSpec(stiffness_class, None, ()))
    return family.spec(spec.size_mm)


CASES = [
    ("classic-like", 24.0),  # rigid, 32 % downsized on the healthy sample
    ("physio-like", 30.0),  # semi-rigid with a flexible posterior segment
    ("ancore-ring-like", 29.0),  # flexible ring
    ("cosgrove-band-like", 28.0),  # flexible band
    ("geoform-like", 28.0),  # rigid, 3D
]


@pytest.fixture(scope="module")
def solved(healthy, catalogue) -> dict[str, AnnuloplastyResult]:
    out = {}
    for family, size in CASES:
        fam = catalogue.family(family)
        size = min(fam.sizes_mm, key=lambda s: abs(s - size))
        out[family] = run(healthy, fam.spec(size))
    return out


# -- equilibrium ----------------------------------------------------------------------


@pytest.mark.parametrize("family", [c[0] for c in CASES])
def test_returned_state_is_an_equilibrium_by_finite_differences(solved, family):
    """The gradient of the documented total energy, by central differences, vanishes."""
    result = solved[family]
    assert result.solve.converged
    model = result.model
    y = np.asarray(result.solve.x, dtype=float).ravel()
    free = np.ones(y.size // 3, bool) if model.free is None else np.asarray(model.free)
    dofs = np.flatnonzero(np.repeat(free, 3))
    rng = np.random.default_rng(0)
    picked = rng.choice(dofs, size=min(60, dofs.size), replace=False)
    step = 1e-5
    fd = np.empty(picked.size)
    for j, i in enumerate(picked):
        e = np.zeros_like(y)
        e[i] = step
        fd[j] = (model.system.value(y + e) - model.system.value(y - e)) / (2 * step)
    # Central differences of an energy of order 10 N mm carry ~1e-9 N of rounding and
    # O(step^2) truncation; equilibrium means the force is that small, not the load's size.
    load = result.solve.load_norm
    assert np.max(np.abs(fd)) < 1e-6 * load
    exact = model.system.gradient(y)[dofs]
    assert np.linalg.norm(exact) <= result.solve.tolerance or result.solve.roundoff_floor > 0


@pytest.mark.parametrize("family", [c[0] for c in CASES])
def test_suture_forces_balance_the_tissue_reactions(solved, family):
    result = solved[family]
    model = result.model
    x = model.system.expand(result.solve.x)
    k = model.sutures.stiffness[:, None]
    legs = k * model.sutures.gaps(x)  # force on the ring side is -legs, on the annulus +...
    # Gap = annulus point - ring point; the leg pulls the annulus by -k gap, the ring by +k gap.
    on_annulus = -legs.sum(axis=0)
    reaction = -(
        np.einsum("mij,mj->i", model.foundation.matrices, model.foundation.displacements(x))
    )
    load = result.solve.load_norm
    # Internal tissue forces (cables, bending) sum to zero: sutures and foundation balance.
    assert np.linalg.norm(on_annulus + reaction) < 1e-6 * load
    # The ring floats: its sutures' net force is zero.
    assert np.linalg.norm(legs.sum(axis=0)) < 1e-6 * load
    # Each suture's reported force is its legs' resultant.
    n = len(result.sutures)
    assert np.allclose(result.suture_forces_n, np.linalg.norm(legs[:n] + legs[n:], axis=1))


# -- what the ring does ----------------------------------------------------------------------


def ring_as_annulus(result: AnnuloplastyResult):
    """The ring's centreline after the solve, measured by the annulus rules."""
    to_input = result.annulus_after.to_valve_frame.inverse()
    return build_annulus(to_input.apply(result.ring_after_valve), source="ring")


@pytest.mark.parametrize("sample", ["healthy", "fmr"])
@pytest.mark.parametrize("size", [30.0, 32.0, 36.0])
def test_rigid_ring_imposes_its_ap_and_commissural_width(request, catalogue, sample, size):
    annulus = request.getfixturevalue(sample)
    spec = catalogue.family("classic-like").spec(size)
    result = run(annulus, spec)
    assert len(result.sutures) >= 12
    ring = measure(ring_as_annulus(result))
    for key in ("ap_diameter_mm", "commissural_width_mm"):
        assert abs(result.post[key] - ring[key]) < 1.0, key


def test_ap_reduction_grows_with_ring_stiffness(fmr, catalogue):
    base = catalogue.family("physio-like").spec(30.0)
    ap = {
        cls: run(fmr, with_class(base, cls)).post["ap_diameter_mm"]
        for cls in ("flexible", "semi-rigid", "rigid")
    }
    assert ap["flexible"] > ap["semi-rigid"] > ap["rigid"]


@pytest.mark.parametrize("family", ["cosgrove-band-like", "future-band-like", "ancore-band-like"])
@pytest.mark.parametrize("sample", ["healthy", "fmr"])
def test_band_leaves_the_anterior_annulus_length(request, catalogue, family, sample):
    annulus = request.getfixturevalue(sample)
    fam = catalogue.family(family)
    pre = measure(annulus)
    rec = recommend_size(fam, pre.values, "true-size", estimated=pre.estimated)
    result = run(annulus, fam.spec(rec.size_mm))
    before, after = pre["anterior_length_mm"], result.post["anterior_length_mm"]
    assert abs(after - before) < 0.05 * before


def test_oversizing_pulls_less_than_undersizing(fmr, catalogue):
    """On the dilated annulus, a ring sized up (toward the annulus) pulls less than one sized
    down. (A ring larger than the annulus itself stretches it and pulls again.)"""
    fam = catalogue.family("classic-like")
    pre = measure(fmr)
    true = recommend_size(fam, pre.values, "true-size", estimated=pre.estimated).size_mm
    under = run(fmr, fam.spec(true - 4.0)).suture_forces_n
    over = run(fmr, fam.spec(true + 2.0)).suture_forces_n
    assert over.mean() < under.mean()
    assert over.max() < under.max()


def test_no_ring_leaves_the_annulus_unchanged(healthy):
    result = simulate_annuloplasty(healthy, None, None)
    assert result.solve.converged and result.solve.iterations == 0
    assert result.post.values == result.pre.values
    np.testing.assert_array_equal(result.annulus_after_valve, result.annulus_before_valve)
    assert result.to_dict()["sutures"] == []


# -- calibration and validation (DOMAIN.md) --------------------------------------------------------


def test_jensen_32_percent_downsizing_suture_forces(healthy, catalogue):
    """Jensen 2013: 32 % downsizing gives 0.8-1.5 N per suture (the calibration case)."""
    cw = measure(healthy)["commissural_width_mm"]
    spec = catalogue.family("classic-like").spec(24.0)
    assert 1.0 - 24.0 / cw == pytest.approx(0.31, abs=0.01)
    forces = run(healthy, spec).suture_forces_n
    assert 0.8 <= forces.mean() <= 1.5


@pytest.mark.parametrize("family", ["classic-like", "physio-like"])
def test_true_sized_ring_on_a_matching_annulus_pulls_almost_nothing(catalogue, family):
    spec = catalogue.family(family).spec(30.0)
    from mvplan.rings import ring_centerline

    annulus = build_annulus(ring_centerline(spec, 240), source="ring-shaped annulus")
    # The ring exactly where the annulus is: its coordinates are the annulus's input frame.
    pose = annulus.to_valve_frame
    placement = Placement(pose, layout_sutures(annulus, spec, pose, 14))
    result = simulate_annuloplasty(annulus, spec, placement)
    # Measured: mean 0.06-0.1 N, max 0.12-0.28 N, against 1.15 N at 32 % downsizing. The
    # residue is not yet explained (not the ring's chords: legs sit on ring nodes).
    assert result.suture_forces_n.mean() < 0.15
    assert result.suture_forces_n.max() < 0.3
    assert abs(result.post["ap_diameter_mm"] - result.pre["ap_diameter_mm"]) < 0.3


def test_true_sized_rings_reduce_septal_lateral_in_the_published_order(healthy, catalogue):
    """Ovine true-sized rings: SL -21 % Physio, -27 % ETlogix, -35 % GeoForm (DOMAIN.md)."""
    pre = measure(healthy)
    reduction = {}
    for family in ("physio-like", "etlogix-like", "geoform-like"):
        fam = catalogue.family(family)
        rec = recommend_size(fam, pre.values, "true-size", estimated=pre.estimated)
        post = run(healthy, fam.spec(rec.size_mm)).post
        reduction[family] = 1.0 - post["ap_diameter_mm"] / pre["ap_diameter_mm"]
    assert reduction["physio-like"] < reduction["etlogix-like"] < reduction["geoform-like"]
    assert all(0.05 < r < 0.6 for r in reduction.values())


# -- solver behaviour ----------------------------------------------------------------------


@pytest.mark.parametrize("family", ["classic-like", "physio-like"])
def test_warm_start_reaches_the_same_equilibrium_in_no_more_iterations(healthy, catalogue, family):
    spec = catalogue.family(family).spec(30.0)
    placement = auto_place(healthy, spec).placement
    moved = rotated_about_normal(translated(placement, 1.0, 0.0, 0.0), 2.0)
    moved = with_suture_count(healthy, spec, moved, len(placement.sutures))
    first = simulate_annuloplasty(healthy, spec, placement)
    cold = simulate_annuloplasty(healthy, spec, moved)
    warm = simulate_annuloplasty(healthy, spec, moved, warm_start=first.state)
    assert np.abs(cold.annulus_after_valve - warm.annulus_after_valve).max() < 1e-6
    assert np.allclose(cold.suture_forces_n, warm.suture_forces_n, atol=1e-6)
    assert warm.solve.iterations <= cold.solve.iterations
    # A state of another discretisation is not used (and does no harm).
    other = simulate_annuloplasty(healthy, spec, moved, annulus_nodes=64)
    again = simulate_annuloplasty(healthy, spec, moved, warm_start=other.state)
    assert again.solve.iterations == cold.solve.iterations


def test_not_converging_raises_with_the_best_state(healthy, catalogue):
    spec = catalogue.family("classic-like").spec(28.0)
    with pytest.raises(NotConverged) as caught:
        run(healthy, spec, max_iterations=1)
    assert caught.value.residual > 0 and caught.value.result.x is not None


def test_progress_and_cancel(healthy, catalogue):
    from mvplan.mechanics import Cancelled

    spec = catalogue.family("classic-like").spec(28.0)
    seen = []
    run(healthy, spec, progress=lambda i, r: seen.append((i, r)))
    assert seen and seen[-1][1] < seen[0][1]
    with pytest.raises(Cancelled):
        run(healthy, spec, cancel=lambda: True)


def test_pullout_warning_margin(healthy, catalogue):
    spec = catalogue.family("geoform-like").spec(24.0)
    strict = run(healthy, spec, warn_fraction=0.05)
    assert len(strict.suture_warnings) == len(strict.sutures)
    lax = run(healthy, spec, warn_fraction=1.0)
    assert len(lax.suture_warnings) <= len(strict.suture_warnings)
    data = strict.to_dict()
    assert all(s["near_pullout"] for s in data["sutures"])
    assert {s["region"] for s in data["sutures"]} == {"anterior", "posterior"}


def test_results_dict_has_the_documented_keys(solved):
    data = solved["physio-like"].to_dict()
    assert set(data["solver"]) >= {"converged", "residual", "iterations", "time_ms"}
    assert all("force_n" in s for s in data["sutures"])
    assert set(data["pre"]) == set(data["post"])
    assert data["ring"]["model"] == "elastic rod"
    assert len(data["tissue_strain"]["per_segment"]) == data["solver"]["annulus_nodes"]


# -- bad input ----------------------------------------------------------------------


def test_far_pose_is_refused(healthy, catalogue):
    spec = catalogue.family("classic-like").spec(30.0)
    placement = translated(auto_place(healthy, spec).placement, 0.0, 0.0, 40.0)
    with pytest.raises(InputError, match=r"from the annulus"):
        simulate_annuloplasty(healthy, spec, placement)


def test_too_few_sutures_are_refused(healthy, catalogue):
    spec = catalogue.family("classic-like").spec(30.0)
    placement = auto_place(healthy, spec).placement
    with pytest.raises(InputError):
        with_sutures(placement, placement.sutures[:2])
    with pytest.raises(InputError):
        simulate_annuloplasty(
            healthy, spec, dataclasses.replace(placement, sutures=placement.sutures[:0])
        )


def test_ring_without_placement_is_refused(healthy, catalogue):
    with pytest.raises(InputError):
        simulate_annuloplasty(healthy, catalogue.family("classic-like").spec(30.0), None)


def test_bad_tissue_values_are_refused():
    with pytest.raises(InputError):
        TissueModel(foundation_n_per_mm2=float("nan"))
    with pytest.raises(InputError):
        TissueModel(bending_rigidity_n_mm2=-1.0)


def test_ring_shape_change_ignores_rigid_motion():
    from scipy.spatial.transform import Rotation

    from mvplan.planning.annuloplasty import _shape_change

    angle = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
    rest = np.stack([15 * np.cos(angle), 12 * np.sin(angle), np.sin(2 * angle)], axis=1)
    moved = Rotation.from_rotvec([0.1, -0.2, 0.3]).apply(rest) + np.array([1.0, 2.0, -0.5])
    assert _shape_change(rest, moved).max() < 1e-12
    squeezed = moved.copy()
    squeezed[:, 1] *= 0.9  # a change of shape
    assert _shape_change(rest, squeezed).max() > 0.3
