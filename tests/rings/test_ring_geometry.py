"""Ring centrelines: the size measure is exact and `show` equals an independent measurement.

Complete rings are measured with the project's own annulus code (``build_annulus`` with the
ring's markers as given landmarks, then ``measure``); bands, which are not closed curves,
with numpy on the centreline: trigone distance between the ends, arc length, z extent.
"""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.measurements import measure
from mvplan.rings.catalogue import load_catalogue
from mvplan.rings.geometry import ring_centerline, ring_dimensions, ring_markers

CATALOGUE = load_catalogue(include_user=False)
N = 720

#: Size measure -> key of the independent measurement.
ANNULUS_KEY = {
    "intertrigonal": "intertrigonal_distance_mm",
    "commissural_width": "commissural_width_mm",
    "trigone_arc_length": "anterior_length_mm",
}


def _three_sizes() -> list[tuple[str, float]]:
    cases = []
    for fam in CATALOGUE.families:
        sizes = fam.sizes_mm
        for s in sorted({sizes[0], sizes[len(sizes) // 2], sizes[-1]}):
            cases.append((fam.id, s))
    return cases


CASES = _three_sizes()


def _band_measures(points: np.ndarray, markers: dict[str, np.ndarray]) -> dict[str, float]:
    """Independent measurement of an open band's centreline (documented numpy)."""
    ends = np.linalg.norm(points[0] - points[-1])
    return {
        "intertrigonal_distance_mm": float(ends),
        "arc_length_mm": float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()),
        "saddle_height_mm": float(np.ptp(points[:, 2])),
        "commissural_width_mm": float(np.linalg.norm(markers["ALC"] - markers["PMC"])),
        "ap_diameter_mm": float(np.linalg.norm(markers["P"] - 0.5 * (points[0] + points[-1]))),
    }


@pytest.mark.parametrize(("family_id", "size"), CASES)
def test_size_and_show_match_independent_measurement(family_id: str, size: float) -> None:
    fam = CATALOGUE[family_id]
    spec = fam.spec(size)
    shown = ring_dimensions(spec)
    points = ring_centerline(spec, N if fam.closed else 4001)
    markers = ring_markers(spec)
    if fam.closed:
        annulus = build_annulus(points, landmarks=markers, units="mm", source=family_id)
        m = measure(annulus).values
        assert not any(annulus.landmarks[k].estimated for k in markers)
        assert m[ANNULUS_KEY[fam.size_measure]] == pytest.approx(size, abs=0.1)
        pairs = {
            "commissural_width_mm": m["commissural_width_mm"],
            "ap_diameter_mm": m["ap_diameter_mm"],
            "intertrigonal_distance_mm": m["intertrigonal_distance_mm"],
            "trigone_arc_length_mm": m["anterior_length_mm"],
            "arc_length_mm": m["perimeter_mm"],
            "saddle_height_mm": m["annular_height_mm"],
        }
    else:
        pairs = _band_measures(points, markers)
        assert fam.size_measure == "intertrigonal"
        assert pairs["intertrigonal_distance_mm"] == pytest.approx(size, abs=0.1)
    for key, independent in pairs.items():
        assert shown[key] == pytest.approx(independent, abs=0.1), key
    assert shown["size_mm"] == size


@pytest.mark.parametrize("family_id", [f.id for f in CATALOGUE.families])
def test_valve_frame_conventions(family_id: str) -> None:
    fam = CATALOGUE[family_id]
    spec = fam.spec(fam.sizes_mm[0])
    mk = ring_markers(spec)
    assert mk["PMC"][0] > 0 > mk["ALC"][0]  # PMC on +x, ALC on -x
    assert mk["PMT"][0] > 0 > mk["ALT"][0]
    assert mk["P"][1] < 0
    if fam.closed:
        assert mk["A"][1] > 0 and abs(mk["A"][0]) < 1e-6
        pts = ring_centerline(spec, 2000)
        assert np.allclose(pts.mean(axis=0), 0.0, atol=1e-3)  # origin at the centroid
        # Counter-clockwise seen from +z (the atrium).
        area = 0.5 * np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
        assert area > 0
    else:
        pts = ring_centerline(spec, 200)
        assert np.allclose(pts[0], mk["ALT"]) and np.allclose(pts[-1], mk["PMT"])


@pytest.mark.parametrize("family_id", [f.id for f in CATALOGUE.families])
def test_shape_and_symmetry_follow_the_declaration(family_id: str) -> None:
    fam = CATALOGUE[family_id]
    spec = fam.spec(fam.sizes_mm[-1])
    height = ring_dimensions(spec)["saddle_height_mm"]
    if fam.shape == "planar":
        assert height < 1e-6
    else:
        assert height > 1.0
    pts = ring_centerline(spec, 1000 if fam.closed else 1001)
    mirrored = pts * np.array([-1.0, 1.0, 1.0])
    gap = np.min(np.linalg.norm(mirrored[:, None, :] - pts[None, :, :], axis=2), axis=1).max()
    if fam.symmetric:
        assert gap < 0.1
    else:
        assert gap > 0.5


def test_centreline_is_uniform_in_arc_length() -> None:
    spec = CATALOGUE["etlogix-like"].spec(30)
    pts = ring_centerline(spec, 500)
    steps = np.linalg.norm(np.diff(np.vstack([pts, pts[:1]]), axis=0), axis=1)
    assert steps.max() - steps.min() < 1e-3 * steps.mean()
    with pytest.raises(ValueError):
        ring_centerline(spec, 4)


def test_classic_like_is_a_3_to_4_d() -> None:
    for size in (24.0, 32.0, 40.0):
        d = ring_dimensions(CATALOGUE["classic-like"].spec(size))
        assert d["ap_diameter_mm"] / d["commissural_width_mm"] == pytest.approx(0.75, abs=1e-3)


def test_physio_like_larger_sizes_are_rounder() -> None:
    ratios = []
    for size in CATALOGUE["physio-like"].sizes_mm:
        d = ring_dimensions(CATALOGUE["physio-like"].spec(size))
        ratios.append(d["ap_diameter_mm"] / d["commissural_width_mm"])
    assert np.all(np.diff(ratios) > 0)
    assert ratios[0] == pytest.approx(0.75, abs=0.005)
    assert ratios[-1] == pytest.approx(0.85, abs=0.005)


def test_anterior_share_of_rings_is_that_of_real_rings() -> None:
    # "Variations in annuloplasty ring and sizer dimensions": rings make the anterior
    # (intertrigonal) arc 30-35 % of the circumference; allow the model 27-40 %.
    for fam in CATALOGUE.families:
        if fam.closed:
            d = ring_dimensions(fam.spec(fam.sizes_mm[0]))
            assert 0.27 < d["trigone_arc_length_mm"] / d["arc_length_mm"] < 0.40, fam.id


@pytest.mark.parametrize("family_id", ["attune-like", "generic-adjustable-band"])
def test_adjustable_device_changes_ap_not_size(family_id: str) -> None:
    fam = CATALOGUE[family_id]
    size = fam.sizes_mm[1]
    low, _high = fam.adjustable_ap_mm
    base = ring_dimensions(fam.spec(size))
    adjusted = ring_dimensions(fam.spec(size, low))
    assert adjusted["ap_diameter_mm"] - base["ap_diameter_mm"] == pytest.approx(low, abs=0.1)
    assert adjusted["size_measure_value_mm"] == pytest.approx(size, abs=0.01)
    from mvplan.errors import InputError

    with pytest.raises(InputError, match="outside"):
        fam.spec(size, low - 1.0)
    with pytest.raises(InputError, match="not adjustable"):
        CATALOGUE["classic-like"].spec(32, -2.0)


def test_size_not_sold_is_an_input_error() -> None:
    from mvplan.errors import InputError

    with pytest.raises(InputError, match="33 mm is not sold"):
        CATALOGUE["physio-like"].spec(33)
