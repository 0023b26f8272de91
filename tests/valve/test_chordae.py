"""Chordae (issue 7): the right sides, given rest lengths, estimated tips flagged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.valve.chordae import (
    ANNULO_PAPILLARY_MM,
    HEADS,
    ChordaeSpec,
    annulus_point_at_clock,
    build_chordae,
    estimate_papillary_tips,
)

RESOLUTION = "standard"


@pytest.fixture
def valve(sample_name, get_sample, get_leaflets):
    annulus, tips = get_sample(sample_name)
    mesh = get_leaflets(sample_name, RESOLUTION)
    return annulus, tips, mesh, build_chordae(mesh, tips, annulus)


def on_arc(u, start, end, through):
    """Whether ``u`` lies on the arc from ``start`` to ``end`` containing ``through``."""
    if np.mod(through - start, 1) < np.mod(end - start, 1):
        return np.mod(u - start, 1) <= np.mod(end - start, 1)
    return np.mod(u - end, 1) <= np.mod(start - end, 1)


def test_each_head_serves_its_half(valve) -> None:
    _, _, mesh, chordae = valve
    marks = mesh.landmark_u
    x = mesh.points[chordae.node, 0]  # valve frame: ALC on -x, PMC on +x
    for h, commissure in enumerate(("ALC", "PMC")):
        mine = chordae.head == h
        u = mesh.node_u[chordae.node[mine]]
        assert on_arc(u, marks["A"], marks["P"], marks[commissure]).all()
        side = -1.0 if commissure == "ALC" else 1.0
        assert (side * x[mine] > -0.5 * mesh.max_edge_mm).all()
        # Each head reaches both leaflets and its commissure.
        assert set(chordae.region[mine]) == {"anterior", "posterior", "commissural"}
    np.testing.assert_allclose(chordae.tips_mm[0, 0], -chordae.tips_mm[1, 0], atol=1e-3)
    assert chordae.tips_mm[0, 0] < 0  # the AL tip is on the ALC side


def test_marginal_chords_reach_the_free_edge_and_basal_the_bellies(valve) -> None:
    _, _, mesh, chordae = valve
    spec = chordae.spec
    marginal = chordae.node[chordae.kind == "marginal"]
    assert set(marginal) <= set(mesh.free_edge_nodes)
    basal = chordae.kind == "basal"
    nodes = chordae.node[basal]
    assert not set(nodes) & (set(mesh.free_edge_nodes) | set(mesh.attached_nodes))
    fraction = np.where(
        chordae.region[basal] == "anterior",
        spec.anterior_basal_fraction,
        spec.posterior_basal_fraction,
    )
    depth_error = mesh.node_depth_mm[nodes] - fraction * mesh.node_height_mm[nodes]
    assert np.abs(depth_error).max() <= mesh.max_edge_mm
    # Spread out: the marginal insertions of a head cover its half of the free edge.
    for h in range(2):
        mine = (chordae.head == h) & (chordae.kind == "marginal")
        assert len(np.unique(chordae.node[mine])) >= 0.8 * mine.sum()


def test_counts_follow_the_spec(valve, get_sample, sample_name) -> None:
    annulus, tips, mesh, chordae = valve
    spec = chordae.spec
    summary = chordae.summary()
    for head in HEADS:
        assert summary["counts"][f"{head}_marginal"] == spec.marginal_per_head * 3
        assert summary["counts"][f"{head}_basal"] == 9
    for h in range(2):
        basal = (chordae.head == h) & (chordae.kind == "basal")
        assert np.sum(chordae.region[basal] == "anterior") == spec.basal_anterior_per_head
        assert np.sum(chordae.region[basal] == "posterior") == spec.basal_posterior_per_head
        marginal = (chordae.head == h) & (chordae.kind == "marginal")
        _, branches = np.unique(chordae.chorda[marginal], return_counts=True)
        assert len(branches) == spec.marginal_per_head
        assert (branches == spec.marginal_branches).all()
    few = build_chordae(mesh, tips, annulus, ChordaeSpec(marginal_per_head=4, marginal_branches=1))
    assert few.summary()["counts"]["AL_marginal"] == 4


def test_rest_lengths_are_inputs_not_fitted_to_the_geometry(valve, get_sample) -> None:
    annulus, tips, mesh, chordae = valve
    spec = chordae.spec
    expected = np.select(
        [
            chordae.kind == "marginal",
            chordae.region == "anterior",
            chordae.region == "posterior",
        ],
        [
            spec.marginal_rest_length_mm,
            spec.basal_anterior_rest_length_mm,
            spec.basal_posterior_rest_length_mm,
        ],
    )
    np.testing.assert_array_equal(chordae.rest_length_mm, expected)
    # Displace both papillary tips 6 mm apically (input frame): the chords get longer, their
    # rest lengths do not.
    apical = annulus.to_valve_frame.inverse().apply_vector(np.array([0.0, 0.0, -6.0]))
    moved = replace(
        tips,
        anterolateral=tips.anterolateral + apical,
        posteromedial=tips.posteromedial + apical,
    )
    displaced = build_chordae(mesh, moved, annulus)
    np.testing.assert_array_equal(displaced.rest_length_mm, chordae.rest_length_mm)
    np.testing.assert_array_equal(displaced.node, chordae.node)
    assert (displaced.lengths(mesh.points) > chordae.lengths(mesh.points)).all()
    # Same with estimated tips: the spec decides, not the geometry.
    other = build_chordae(mesh, None, annulus)
    np.testing.assert_array_equal(other.rest_length_mm, chordae.rest_length_mm)
    custom = build_chordae(mesh, tips, annulus, ChordaeSpec(marginal_rest_length_mm=21.5))
    assert (custom.rest_length_mm[custom.kind == "marginal"] == 21.5).all()


def test_displaced_papillary_muscles_tether_the_fmr_leaflets(get_sample, get_leaflets) -> None:
    """The samples' FMR tips sit 5 mm deeper and, with the dilated annulus, 2 mm further out:
    on the open reference leaflets many marginal chords are already stretched (up to 31 %),
    while on the healthy valve they are slack (the longest, to the centre of the posterior
    free edge, just taut)."""
    lengths, rest = {}, {}
    for name in ("healthy", "fmr"):
        annulus, tips = get_sample(name)
        mesh = get_leaflets(name, RESOLUTION)
        chordae = build_chordae(mesh, tips, annulus)
        marginal = chordae.kind == "marginal"
        lengths[name] = chordae.lengths(mesh.points)[marginal] / chordae.rest_length_mm[marginal]
        rest[name] = chordae.rest_length_mm
    assert lengths["healthy"].max() < 1.02
    assert np.median(lengths["healthy"]) < 0.9
    assert lengths["fmr"].max() > 1.2
    assert np.mean(lengths["fmr"] > 1.0) > 0.3
    assert np.median(lengths["fmr"]) > np.median(lengths["healthy"]) + 0.05
    np.testing.assert_array_equal(rest["healthy"], rest["fmr"])


def test_given_tips_are_the_patients_in_the_valve_frame(valve) -> None:
    annulus, tips, mesh, chordae = valve
    assert not chordae.tips_estimated
    assert chordae.notes == ()
    np.testing.assert_allclose(
        chordae.tips_mm,
        annulus.to_valve_frame.apply(np.array([tips.anterolateral, tips.posteromedial])),
    )
    segments = chordae.segments(mesh.points)
    assert segments.shape == (chordae.n_segments, 2, 3)
    np.testing.assert_allclose(segments[:, 0], chordae.tips_mm[chordae.head])
    np.testing.assert_allclose(segments[:, 1], mesh.points[chordae.node])
    np.testing.assert_allclose(
        chordae.lengths(mesh.points), np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
    )


def test_estimated_tips_are_flagged_and_follow_the_published_distances(valve) -> None:
    annulus, _, mesh, _ = valve
    chordae = build_chordae(mesh, None, annulus)
    assert chordae.tips_estimated
    assert any("estimated" in note for note in chordae.notes)
    assert chordae.summary()["tips_estimated"] is True
    estimated = estimate_papillary_tips(annulus)
    np.testing.assert_allclose(chordae.tips_mm, estimated)
    for h, (trigone, hour) in enumerate((("ALT", 8.0), ("PMT", 4.0))):
        tip = estimated[h]
        a = annulus.to_valve_frame.apply(annulus.landmark_point(trigone))
        b = annulus_point_at_clock(annulus.points_valve, hour)
        assert np.linalg.norm(tip - a) == pytest.approx(ANNULO_PAPILLARY_MM, abs=1e-9)
        assert np.linalg.norm(tip - b) == pytest.approx(ANNULO_PAPILLARY_MM, abs=1e-9)
        assert tip[2] < -15.0  # in the ventricle
    assert estimated[0, 0] < 0 < estimated[1, 0]


def test_estimated_tips_near_the_healthy_samples_tips(get_sample) -> None:
    """The healthy sample's (assumed) tips and the published-offset estimate agree to 5 mm."""
    annulus, tips = get_sample("healthy")
    given = annulus.to_valve_frame.apply(np.array([tips.anterolateral, tips.posteromedial]))
    assert np.linalg.norm(estimate_papillary_tips(annulus) - given, axis=1).max() < 5.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"marginal_per_head": -1},
        {"marginal_per_head": 2.5},
        {"basal_posterior_per_head": True},
        {"marginal_branches": 0},
        {"marginal_rest_length_mm": 0.0},
        {"basal_anterior_rest_length_mm": -4.0},
        {"basal_posterior_rest_length_mm": float("nan")},
        {"anterior_basal_fraction": 1.2},
        {"posterior_basal_fraction": 0.0},
    ],
)
def test_bad_chordae_spec_raises_one_line_input_error(kwargs) -> None:
    with pytest.raises(InputError) as info:
        ChordaeSpec(**kwargs)
    assert "\n" not in str(info.value)


def test_mesh_of_another_annulus_is_refused(get_sample, get_leaflets) -> None:
    annulus, tips = get_sample("healthy")
    with pytest.raises(InputError, match="another annulus"):
        build_chordae(get_leaflets("fmr", "coarse"), tips, annulus)
