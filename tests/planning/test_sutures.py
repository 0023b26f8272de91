"""The default suture layout: counts, trigone sutures of bands, order, distances, errors."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.geometry.annulus import build_annulus
from mvplan.planning import (
    DEFAULT_BAND_SUTURES,
    DEFAULT_RING_SUTURES,
    Placement,
    RingTooFarError,
    Suture,
    auto_place,
    check_sutures,
    default_sutures,
    suture_lengths,
    suture_points,
    translated,
    with_suture_count,
)
from mvplan.planning.sutures import _in_ring_order
from mvplan.rings import ring_geometry, ring_markers

FAR = r"the ring is \d+\.\d mm from the annulus at its farthest suture; place it closer"


def _cyclic_steps(u: np.ndarray) -> np.ndarray:
    return np.mod(np.diff(np.append(u, u[0])), 1.0)


def _fitted(samples, catalogue, family_id: str, size: float, sample: str = "healthy"):
    annulus = samples[sample]
    spec = catalogue.family(family_id).spec(size)
    return annulus, spec, auto_place(annulus, spec).placement


@pytest.mark.parametrize("sample", ["healthy", "fmr"])
@pytest.mark.parametrize("family_id", ["physio-like", "physio-ii-like", "etlogix-like"])
def test_ring_default_layout(samples, true_size, sample, family_id):
    annulus = samples[sample]
    spec = true_size(family_id, annulus)
    placement = auto_place(annulus, spec).placement
    sutures = placement.sutures
    assert len(sutures) == DEFAULT_RING_SUTURES
    ring_u = np.array([s.ring_u for s in sutures])
    assert np.all(np.diff(ring_u) > 0)
    assert np.allclose(_cyclic_steps(ring_u), 1.0 / DEFAULT_RING_SUTURES)
    assert np.any(np.isclose(ring_u, ring_geometry(spec).marker_u["PMT"]))
    # The annulus points follow the ring once around, in the same order: no suture crosses.
    annulus_u = np.array([s.annulus_u for s in sutures])
    steps = _cyclic_steps(annulus_u)
    assert np.all(steps > 0) and steps.sum() == pytest.approx(1.0)
    # Short sutures: the largest gap is the ETlogix-like P2-P3 dip in the dilated annulus,
    # whose largest size (36 mm) is smaller than its commissural width (41 mm).
    lengths = suture_lengths(annulus, spec, placement.pose, sutures)
    assert lengths.max() < 8.0 and lengths.mean() < 5.0
    assert default_sutures(annulus, spec, placement) == sutures


@pytest.mark.parametrize("sample", ["healthy", "fmr"])
@pytest.mark.parametrize("family_id", ["cosgrove-band-like", "future-band-like"])
def test_band_has_a_suture_at_each_trigone(samples, true_size, sample, family_id):
    annulus = samples[sample]
    spec = true_size(family_id, annulus)
    placement = auto_place(annulus, spec).placement
    sutures = placement.sutures
    assert len(sutures) == DEFAULT_BAND_SUTURES
    assert sutures[0].ring_u == 0.0 and sutures[-1].ring_u == 1.0
    ring_pts, annulus_pts = suture_points(annulus, spec, placement.pose, sutures)
    markers = ring_markers(spec)
    assert np.allclose(ring_pts[0], placement.pose.apply(markers["ALT"]), atol=1e-6)
    assert np.allclose(ring_pts[-1], placement.pose.apply(markers["PMT"]), atol=1e-6)
    # The end sutures go into the annulus near its trigones.
    for end, name in ((0, "ALT"), (-1, "PMT")):
        trigone = annulus.to_valve_frame.apply(annulus.landmark_point(name))
        assert np.linalg.norm(annulus_pts[end] - trigone) < 3.0
    ring_u = np.array([s.ring_u for s in sutures])
    assert np.allclose(np.diff(ring_u), 1.0 / (DEFAULT_BAND_SUTURES - 1))
    annulus_u = np.array([s.annulus_u for s in sutures])
    steps = np.mod(np.diff(annulus_u), 1.0)
    assert np.all(steps > 0) and steps.sum() < 1.0
    # ... and they do not pass across the open anterior side.
    anterior = annulus.landmarks["A"].u
    assert np.mod(anterior - annulus_u[0], 1.0) > steps.sum()


def test_annulus_points_are_the_nearest_in_the_valve_plane(samples, catalogue):
    annulus, spec, placement = _fitted(samples, catalogue, "physio-ii-like", 36)
    ring_pts, annulus_pts = suture_points(annulus, spec, placement.pose, placement.sutures)
    dense = annulus.points_valve
    for ring_point, chosen in zip(ring_pts, annulus_pts, strict=True):
        best = np.min(np.linalg.norm(dense[:, :2] - ring_point[:2], axis=1))
        assert np.linalg.norm(chosen[:2] - ring_point[:2]) <= best + 0.05
    assert np.linalg.norm(ring_pts - annulus_pts, axis=1).max() < 3.0
    # Sewn along the normal: the same ring held higher above the saddle is sewn to the same
    # annulus points (a 3D nearest point would move toward the saddle's horns).
    lifted = default_sutures(annulus, spec, translated(placement, 0.0, 0.0, 6.0))
    assert lifted == placement.sutures


def test_reversed_annulus_gives_the_same_sutures(samples, catalogue):
    annulus = samples["healthy"]
    reversed_annulus = build_annulus(
        annulus.points[::-1], landmarks={n: annulus.landmark_point(n) for n in annulus.landmarks}
    )
    spec = catalogue.family("etlogix-like").spec(34)
    forward = auto_place(annulus, spec).placement
    backward = auto_place(reversed_annulus, spec).placement
    _, here = suture_points(annulus, spec, forward.pose, forward.sutures)
    _, there = suture_points(reversed_annulus, spec, backward.pose, backward.sutures)
    assert np.abs(here - there).max() < 0.1
    # The annulus parameter now runs against the ring, so it decreases once around.
    steps = _cyclic_steps(np.array([s.annulus_u for s in backward.sutures])[::-1])
    assert np.all(steps > 0) and steps.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("count", [3, 12, 16, 24])
def test_count_is_editable(samples, catalogue, count):
    annulus, spec, placement = _fitted(samples, catalogue, "physio-like", 34)
    edited = with_suture_count(annulus, spec, placement, count)
    assert len(edited.sutures) == count
    assert np.array_equal(edited.pose.matrix, placement.pose.matrix)
    band_annulus, band, band_placement = _fitted(samples, catalogue, "cosgrove-band-like", 26)
    edited_band = with_suture_count(band_annulus, band, band_placement, count)
    assert len(edited_band.sutures) == count
    assert (edited_band.sutures[0].ring_u, edited_band.sutures[-1].ring_u) == (0.0, 1.0)


@pytest.mark.parametrize("count", [0, 1, 2, 2.5])
def test_too_few_sutures_is_an_error(samples, catalogue, count):
    annulus, spec, placement = _fitted(samples, catalogue, "physio-like", 34)
    with pytest.raises(InputError, match="sutures"):
        default_sutures(annulus, spec, placement, count=count)
    with pytest.raises(InputError):
        check_sutures(annulus, spec, placement.pose, ())


def test_far_ring_is_an_error(samples, catalogue):
    annulus, spec, placement = _fitted(samples, catalogue, "physio-ii-like", 34)
    far = translated(placement, 25.0, 0.0, 0.0)
    with pytest.raises(RingTooFarError, match=FAR):
        default_sutures(annulus, spec, far)
    with pytest.raises(InputError, match=FAR):
        check_sutures(annulus, spec, far.pose, far.sutures)
    with pytest.raises(InputError, match=FAR):
        with_suture_count(annulus, spec, far, 14)
    # Held 12 mm above the annulus, no suture is over 20 mm but their mean is over 10 mm.
    high = translated(placement, 0.0, 0.0, 12.0)
    with pytest.raises(InputError, match=r"12\.\d mm from the annulus on average"):
        default_sutures(annulus, spec, high)
    # A few millimetres off is a placement the user may want: accepted.
    near = translated(placement, 3.0, 0.0, 1.0)
    assert len(default_sutures(annulus, spec, near)) == DEFAULT_RING_SUTURES


def test_suture_values_are_checked():
    with pytest.raises(InputError, match="ring parameter"):
        Suture(1.5, 0.2)
    with pytest.raises(InputError, match="annulus parameter"):
        Suture(0.2, 1.0)
    with pytest.raises(InputError, match="annulus parameter"):
        Suture(0.2, float("nan"))
    assert Suture(1.0, 0.0).ring_u == 1.0  # the PMT end of a band


def test_crossing_parameters_are_untangled():
    # The third suture would land behind the second: both are pooled to their mean.
    fixed = _in_ring_order(np.array([0.1, 0.3, 0.25, 0.5, 0.8]), True, closed=True)
    assert np.allclose(fixed, [0.1, 0.275, 0.275, 0.5, 0.8])
    # Across the wrap at 0 too.
    fixed = _in_ring_order(np.array([0.95, 0.02, 0.98, 0.3, 0.6]), True, closed=True)
    cyclic_error = np.abs(np.mod(fixed - [0.95, 0.0, 0.0, 0.3, 0.6] + 0.5, 1.0) - 0.5)
    assert cyclic_error.max() < 1e-12
    assert np.all((fixed >= 0.0) & (fixed < 1.0))
    # Against the annulus's direction (its parameter decreasing along the ring), for a band.
    fixed = _in_ring_order(np.array([0.9, 0.7, 0.75, 0.3]), False, closed=False)
    assert np.allclose(fixed, [0.9, 0.725, 0.725, 0.3])


def test_a_layout_that_goes_around_twice_is_an_error():
    with pytest.raises(InputError, match="cross"):
        _in_ring_order(np.array([0.0, 0.3, 0.6, 0.9, 0.2, 0.5, 0.8]), True, closed=True)


def test_default_sutures_needs_only_the_pose(samples, catalogue):
    annulus, spec, placement = _fitted(samples, catalogue, "physio-like", 34)
    bare = Placement(placement.pose)
    assert bare.sutures == ()
    assert default_sutures(annulus, spec, bare) == placement.sutures
