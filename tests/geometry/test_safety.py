"""Circumflex safety: exact polyline distance, crossings of the device-annulus ribbon, flags."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.errors import InputError
from mvplan.geometry.safety import (
    DEFAULT_COMPRESSION_THRESHOLD_MM,
    ArteryPath,
    artery_from_points,
    assess_safety,
    closest_on_closed_polyline,
    polyline_distance,
)
from mvplan.io.load import load_annulus
from mvplan.io.paths import load_artery, load_cs_path

# A flat toy valve: the annulus a circle of radius 20 mm, the device an arc of radius 32 mm in
# the same plane from -150 to -30 degrees (so the device-annulus ribbon is the flat sector
# between them), sampled every degree.
R_ANNULUS, R_DEVICE = 20.0, 32.0
DEVICE_DEG = np.arange(-150.0, -29.5, 1.0)


def circle(radius: float, degrees: np.ndarray, z: np.ndarray | float = 0.0) -> np.ndarray:
    t = np.radians(degrees)
    return np.c_[radius * np.cos(t), radius * np.sin(t), np.broadcast_to(z, t.shape)]


ANNULUS = circle(R_ANNULUS, np.arange(0.0, 360.0, 0.5))
DEVICE = circle(R_DEVICE, DEVICE_DEG)


def device_arc(degrees: float) -> float:
    return R_DEVICE * np.radians(degrees - DEVICE_DEG[0])


# --- distance ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("gap", "height"), [(4.0, 1.0), (2.5, -0.7), (6.0, 3.0)])
def test_parallel_artery_between_device_and_annulus_is_at_its_known_distance(gap, height) -> None:
    # Beside the ribbon (above or below it), so it never passes through it.
    artery = ArteryPath(circle(R_DEVICE - gap, np.arange(-140.0, -39.5, 2.0), height), "lcx")
    safety = assess_safety(DEVICE, ANNULUS, artery, threshold_mm=3.0)
    assert safety.min_distance_mm == pytest.approx(np.hypot(gap, height), abs=0.05)
    assert safety.crossings == ()
    assert safety.compression == (np.hypot(gap, height) < 3.0)


def test_closest_point_and_its_arc_position_along_the_device() -> None:
    # An artery 8 mm inside the device except for a dip to 3 mm at -60 degrees.
    deg = np.arange(-140.0, -39.5, 1.0)
    radius = R_DEVICE - 8.0 + 5.0 * np.exp(-(((deg + 60.0) / 6.0) ** 2))
    pts = np.c_[radius * np.cos(np.radians(deg)), radius * np.sin(np.radians(deg)), 0 * deg + 1]
    safety = assess_safety(DEVICE, ANNULUS, ArteryPath(pts, "lcx"))
    assert safety.min_distance_mm == pytest.approx(np.hypot(3.0, 1.0), abs=0.05)
    assert safety.closest_device_arc_mm == pytest.approx(device_arc(-60.0), abs=0.3)
    assert safety.closest_device_point == pytest.approx(
        circle(R_DEVICE, np.array([-60.0]))[0], abs=0.2
    )
    assert np.linalg.norm(safety.closest_device_point - safety.closest_artery_point) == (
        pytest.approx(safety.min_distance_mm)
    )


def test_polyline_distance_matches_brute_force_sampling() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = np.cumsum(rng.normal(0, 3, (rng.integers(2, 9), 3)), axis=0)
        b = np.cumsum(rng.normal(0, 3, (rng.integers(2, 9), 3)), axis=0) + rng.normal(0, 4, 3)
        exact, pa, pb, arc = polyline_distance(a, b)
        dense_a, dense_b = densify(a), densify(b)
        brute = np.linalg.norm(dense_a[:, None] - dense_b[None], axis=2).min()
        assert exact <= brute + 1e-9
        assert brute - exact < 0.02
        assert np.linalg.norm(pa - pb) == pytest.approx(exact, abs=1e-9)
        # pa lies on a, at the arc position reported.
        assert np.linalg.norm(dense_a - pa, axis=1).min() < 0.01
        steps = np.linalg.norm(np.diff(a, axis=0), axis=1)
        s = np.concatenate([[0.0], np.cumsum(steps)])
        at_arc = np.array([np.interp(arc, s, a[:, k]) for k in range(3)])
        assert at_arc == pytest.approx(pa, abs=1e-9)


def densify(points: np.ndarray, per_segment: int = 400) -> np.ndarray:
    t = np.linspace(0.0, 1.0, per_segment)[:, None]
    return np.concatenate([p + t * (q - p) for p, q in itertools.pairwise(points)])


def test_polyline_distance_of_parallel_and_crossing_segments() -> None:
    a = np.array([[0.0, 0, 0], [10.0, 0, 0]])
    parallel = np.array([[2.0, 3, 0], [5.0, 3, 0]])
    assert polyline_distance(a, parallel)[0] == pytest.approx(3.0)
    crossing = np.array([[4.0, -1, 0], [4.0, 1, 0]])
    d, _, _, arc = polyline_distance(a, crossing)
    assert d == pytest.approx(0.0, abs=1e-12)
    assert arc == pytest.approx(4.0)
    beyond = np.array([[13.0, 4, 0], [20.0, 4, 0]])
    assert polyline_distance(a, beyond)[0] == pytest.approx(5.0)


def test_closest_on_closed_polyline_includes_the_closing_segment() -> None:
    square = np.array([[0.0, 0, 0], [1.0, 0, 0], [1.0, 1, 0], [0.0, 1, 0]])
    feet, distance = closest_on_closed_polyline(np.array([[-1.0, 0.5, 0], [0.5, 0.5, 2.0]]), square)
    assert feet[0] == pytest.approx([0.0, 0.5, 0.0])
    assert distance == pytest.approx([1.0, np.hypot(0.5, 2.0)])


# --- crossings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [-90.0, -71.3])
def test_artery_stepping_through_the_ribbon_crosses_once_where_expected(where) -> None:
    # 4 mm inside the device, 1 mm above the ribbon, then 1 mm below it past `where` (at -90
    # the crossing is on an edge shared by two ribbon quads: it counts once).
    deg = np.arange(-140.0, -39.5, 0.25)
    z = np.clip((deg - where) / -2.0, -1.0, 1.0)
    artery = ArteryPath(circle(R_DEVICE - 4.0, deg, z), "lcx")
    safety = assess_safety(DEVICE, ANNULUS, artery)
    assert len(safety.crossings) == 1
    crossing = safety.crossings[0]
    assert crossing.device_arc_mm == pytest.approx(device_arc(where), abs=0.1)
    assert crossing.distance_mm == pytest.approx(4.0, abs=0.05)
    assert crossing.point_mm[2] == pytest.approx(0.0, abs=1e-9)
    assert np.hypot(*crossing.point_mm[:2]) == pytest.approx(R_DEVICE - 4.0, abs=0.01)
    assert not safety.compression
    assert "passes between the device and the annulus at 1 place(s)" in safety.warning


def test_artery_crossing_outside_the_ribbon_is_not_a_crossing() -> None:
    # The same step, but 4 mm outside the device (not between it and the annulus).
    deg = np.arange(-140.0, -39.5, 0.5)
    z = np.clip((deg + 90.0) / -2.0, -1.0, 1.0)
    safety = assess_safety(DEVICE, ANNULUS, ArteryPath(circle(R_DEVICE + 4.0, deg, z), "lcx"))
    assert safety.crossings == ()
    assert safety.warning is None


def test_artery_weaving_through_the_ribbon_twice() -> None:
    deg = np.arange(-140.0, -39.5, 0.5)
    z = np.where((deg > -120.0) & (deg < -60.0), -1.0, 1.0)
    safety = assess_safety(DEVICE, ANNULUS, ArteryPath(circle(R_DEVICE - 6.0, deg, z), "lcx"))
    arcs = [c.device_arc_mm for c in safety.crossings]
    # The artery steps through the ribbon between samples -120.0 and -119.5, -60.5 and -60.0.
    assert arcs == pytest.approx([device_arc(-119.75), device_arc(-60.25)], abs=0.05)


def test_far_artery_has_no_crossing_no_compression_no_warning() -> None:
    far = ArteryPath(circle(45.0, np.arange(-140.0, -39.5, 2.0), -10.0), "far.csv")
    safety = assess_safety(DEVICE, ANNULUS, far)
    assert safety.crossings == ()
    assert not safety.compression
    assert safety.warning is None
    assert safety.min_distance_mm == pytest.approx(np.hypot(13.0, 10.0), abs=0.05)


def test_threshold_toggles_the_compression_flag() -> None:
    artery = ArteryPath(circle(R_DEVICE - 4.0, np.arange(-140.0, -39.5, 2.0), 0.5), "lcx.csv")
    distance = np.hypot(4.0, 0.5)
    below = assess_safety(DEVICE, ANNULUS, artery, threshold_mm=distance - 0.1)
    above = assess_safety(DEVICE, ANNULUS, artery, threshold_mm=distance + 0.1)
    assert not below.compression
    assert below.warning is None
    assert above.compression
    assert above.warning.startswith("the circumflex artery (lcx.csv) comes within 4.0 mm")
    assert "risk of compression" in above.warning
    assert "\n" not in above.warning
    assert assess_safety(DEVICE, ANNULUS, artery).threshold_mm == DEFAULT_COMPRESSION_THRESHOLD_MM
    with pytest.raises(InputError, match="threshold"):
        assess_safety(DEVICE, ANNULUS, artery, threshold_mm=-1.0)


def test_to_dict_has_the_documented_keys() -> None:
    deg = np.arange(-140.0, -39.5, 0.5)
    z = np.clip((deg + 90.0) / -2.0, -1.0, 1.0)
    safety = assess_safety(DEVICE, ANNULUS, ArteryPath(circle(R_DEVICE - 2.0, deg, z), "a.csv"))
    data = json.loads(json.dumps(safety.to_dict()))
    assert set(data) == {
        "artery_source",
        "threshold_mm",
        "min_distance_mm",
        "closest",
        "crossings",
        "compression",
        "warning",
    }
    assert set(data["closest"]) == {"device_arc_mm", "device_point_mm", "artery_point_mm"}
    assert data["compression"] is True
    assert len(data["crossings"]) == 1
    assert set(data["crossings"][0]) == {"device_arc_mm", "point_mm", "distance_mm"}
    assert "; it passes between the device and the annulus" in data["warning"]


# --- artery validation and the samples ----------------------------------------------------------


@pytest.fixture(scope="module")
def fmr():
    return load_annulus(SAMPLES / "fmr_annulus.csv", papillary=SAMPLES / "fmr_papillary_tips.csv")


def test_artery_far_from_the_annulus_is_refused(fmr) -> None:
    pts = circle(30.0, np.arange(-140.0, -39.5, 5.0), 60.0)
    with pytest.raises(InputError, match=r"lcx\.csv: artery path lcx\.csv runs \d+\.\d mm from"):
        artery_from_points(fmr, pts, "lcx.csv")


@pytest.mark.parametrize(
    ("points", "match"),
    [([[0.0, 0, 0]], "1 distinct point"), ([[0.0, 0, 0], [np.inf, 0, 0]], "not finite")],
)
def test_degenerate_arteries_are_refused(fmr, points, match) -> None:
    with pytest.raises(InputError, match=match):
        artery_from_points(fmr, np.asarray(points), "lcx.csv")


def test_sample_circumflex_crosses_between_the_sample_cs_and_the_annulus(fmr) -> None:
    cs = load_cs_path(SAMPLES / "fmr_cs_path.csv", fmr)
    lcx = load_artery(SAMPLES / "fmr_circumflex.csv", fmr)
    safety = assess_safety(cs.points_valve, fmr.points_valve, lcx)
    # README.md: one crossing about 78 mm from the ostium, 4-6 mm from the CS.
    assert len(safety.crossings) == 1
    assert 70 < safety.crossings[0].device_arc_mm < 85
    assert 4.0 < safety.min_distance_mm < 6.0
    assert not safety.compression
    assert assess_safety(cs.points_valve, fmr.points_valve, lcx, threshold_mm=6.0).compression
