"""Measurements of closed-form annuli against their exact values (DESIGN.md section 4).

Lengths and areas to 0.5 %, heights to 0.1 mm, under random rigid motion, shuffled order,
noise and unit changes.
"""

from __future__ import annotations

import numpy as np
import pytest
from shapes import (
    d_shape,
    random_motion,
    saddle_ellipse,
    saddle_ellipse_arc,
    saddle_ellipse_point_at_arc,
)

from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.landmarks import TRIGONE_FRACTION
from mvplan.geometry.measurements import MEASUREMENT_KEYS, measure

A, B, H = 18.0, 14.0, 3.0


def exact_saddle_ellipse(a: float = A, b: float = B, h: float = H) -> dict[str, float]:
    """Exact section-4 values of ``saddle_ellipse`` with estimated landmarks.

    A and P are at t = +-pi/2 (minor axis), z = -h there, so the saddle's horns point to -z;
    the commissures at t = 0, pi (z = +h).
    """
    perimeter = saddle_ellipse_arc(0.0, 2 * np.pi, a, b, h)
    t_trig = saddle_ellipse_point_at_arc(np.pi / 2, TRIGONE_FRACTION * perimeter, a, b, h)
    trig = saddle_ellipse(np.array([t_trig]), a, b, h)[0]
    return {
        "perimeter_mm": perimeter,
        "area_2d_mm2": np.pi * a * b,
        "ap_diameter_mm": 2 * b,
        "al_pm_diameter_mm": 2 * a,
        "commissural_width_mm": 2 * a,
        "intertrigonal_distance_mm": 2 * abs(trig[0]),
        "annular_height_mm": 2 * h,
        "ahcwr_percent": 100 * 2 * h / (2 * a),
        "sphericity_index": b / a,
        "nonplanarity_angle_deg": np.degrees(2 * np.arctan2(b, 2 * h)),
        "anterior_length_mm": 2 * TRIGONE_FRACTION * perimeter,
        "posterior_length_mm": (1 - 2 * TRIGONE_FRACTION) * perimeter,
    }


HEIGHT_KEYS = {"annular_height_mm"}
ANGLE_KEYS = {"nonplanarity_angle_deg"}


def assert_matches(values: dict, exact: dict, rel: float = 0.005) -> None:
    for key, want in exact.items():
        got = values[key]
        assert got is not None, key
        if key in HEIGHT_KEYS:
            assert abs(got - want) <= 0.1, (key, got, want)
        elif key in ANGLE_KEYS:
            assert abs(got - want) <= 0.5, (key, got, want)
        else:
            assert got == pytest.approx(want, rel=rel), key


@pytest.mark.parametrize("count", [24, 60, 180])
def test_saddle_ellipse_exact(count: int) -> None:
    t = np.linspace(0, 2 * np.pi, count, endpoint=False)
    result = measure(build_annulus(saddle_ellipse(t), source="ellipse"))
    rel = 0.005 if count >= 60 else 0.01  # 24 points: the interpolating spline's own error
    assert_matches(result.values, exact_saddle_ellipse(), rel=rel)
    assert result.orientation == "saddle"
    assert all(result.estimated.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rigid_motion_shuffle_and_units(seed: int) -> None:
    t = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    moved = random_motion(saddle_ellipse(t), seed)
    rng = np.random.default_rng(seed)
    exact = exact_saddle_ellipse()
    shuffled = moved[rng.permutation(len(moved))]
    for points, kwargs, unit in [
        (moved, {}, "mm"),
        (shuffled, {"ordered": False}, "mm"),
        (shuffled, {}, "mm"),  # claimed ordered, plainly not: reordered with a warning
        (moved / 10.0, {}, "cm"),
        (moved / 1000.0, {}, "m"),
        (moved / 10.0, {"units": "cm"}, "cm"),
    ]:
        annulus = build_annulus(points, source="moved", **kwargs)
        assert annulus.source.input_units == unit
        assert_matches(measure(annulus).values, exact)


def test_inferred_units_warn_and_explicit_units_do_not() -> None:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    pts = saddle_ellipse(t) / 10.0
    inferred = build_annulus(pts)
    assert inferred.source.units_inferred
    assert any("inferred as cm" in w for w in inferred.warnings)
    explicit = build_annulus(pts, units="cm")
    assert not explicit.source.units_inferred
    assert not explicit.warnings


def test_noise_keeps_measurements_close() -> None:
    t = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    rng = np.random.default_rng(7)
    noisy = saddle_ellipse(t) + rng.normal(0.0, 0.02, (100, 3))
    assert_matches(measure(build_annulus(noisy)).values, exact_saddle_ellipse(), rel=0.01)


def test_flat_ellipse_minimal_surface_is_the_plane_area() -> None:
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    result = measure(build_annulus(saddle_ellipse(t, h=0.0)))
    assert result["area_3d_mm2"] == pytest.approx(np.pi * A * B, rel=0.005)
    assert result["annular_height_mm"] == pytest.approx(0.0, abs=1e-6)
    assert result.orientation == "assumed"
    assert result["nonplanarity_angle_deg"] == pytest.approx(180.0, abs=0.01)


def test_saddle_minimal_surface_exceeds_the_projected_area() -> None:
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    result = measure(build_annulus(saddle_ellipse(t)))
    assert np.pi * A * B < result["area_3d_mm2"] < 1.05 * np.pi * A * B
    assert result.area_3d_relative_error < 0.005


def test_given_landmarks_are_used_and_not_flagged() -> None:
    t = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    pts = saddle_ellipse(t)
    marks = dict(
        zip(
            ["A", "P", "ALC", "PMC"],
            saddle_ellipse(np.array([np.pi / 2, -np.pi / 2, 0.0, np.pi])),
            strict=True,
        )
    )
    result = measure(build_annulus(pts, landmarks=marks))
    assert result.estimated["ap_diameter_mm"] is False
    assert result.estimated["commissural_width_mm"] is False
    assert result.estimated["intertrigonal_distance_mm"] is True  # trigones still estimated
    assert result["ap_diameter_mm"] == pytest.approx(2 * B, rel=1e-5)


def test_round_annulus_gives_null_with_reason() -> None:
    t = np.linspace(0, 2 * np.pi, 80, endpoint=False)
    circle = np.c_[15 * np.cos(t), 15 * np.sin(t), np.zeros_like(t)]
    result = measure(build_annulus(circle)).to_dict()
    assert result["perimeter_mm"] == pytest.approx(2 * np.pi * 15, rel=1e-4)
    assert result["area_2d_mm2"] == pytest.approx(np.pi * 225, rel=1e-4)
    for key in (
        "ap_diameter_mm",
        "commissural_width_mm",
        "intertrigonal_distance_mm",
        "sphericity_index",
        "nonplanarity_angle_deg",
        "anterior_length_mm",
    ):
        assert result[key] is None
        assert "round" in result[f"{key}_reason"] or "without A" in result[f"{key}_reason"]
    assert result["orientation"] == "assumed"


def test_d_shape_anterior_is_the_flat_side() -> None:
    t = np.linspace(0, 2 * np.pi, 144, endpoint=False)
    annulus = build_annulus(random_motion(d_shape(t), 11))
    a_valve = annulus.to_valve_frame.apply(annulus.landmark_point("A"))
    p_valve = annulus.to_valve_frame.apply(annulus.landmark_point("P"))
    # A lies on +y of the valve frame by definition; the flat side of the D is 12 mm from the
    # commissural line, the round side 17 mm.
    assert a_valve[1] > 0 > p_valve[1]
    alc = annulus.to_valve_frame.apply(annulus.landmark_point("ALC"))
    assert alc[0] < 0
    original = build_annulus(d_shape(t))
    assert original.curve.evaluate(original.landmarks["A"].u)[1] > 0  # flat half is y > 0
    assert annulus.orientation == "saddle"


def test_keys_are_exactly_section_4() -> None:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    out = measure(build_annulus(saddle_ellipse(t))).to_dict()
    base = [k for k in out if not k.endswith(("_estimated", "_reason")) and k != "orientation"]
    assert base == list(MEASUREMENT_KEYS)


def test_with_landmarks_swaps_commissures_and_redoes_estimates() -> None:
    t = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    annulus = build_annulus(d_shape(t))
    alc, pmc = annulus.landmarks["ALC"].u, annulus.landmarks["PMC"].u
    swapped = annulus.with_landmarks({"ALC": pmc, "PMC": alc})
    assert swapped.landmarks["ALC"].given and swapped.landmarks["ALC"].u == pmc
    # The trigones follow the commissures: ALT now lies on the old PMC side.
    assert swapped.landmarks["ALT"].u == pytest.approx(annulus.landmarks["PMT"].u)
    assert swapped.orientation == annulus.orientation
    assert measure(swapped)["commissural_width_mm"] == pytest.approx(
        measure(annulus)["commissural_width_mm"]
    )


def test_restore_annulus_is_exact() -> None:
    from mvplan.geometry.annulus import restore_annulus

    t = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    original = build_annulus(random_motion(d_shape(t), 5), landmarks={}, source="d")
    original = original.with_landmarks({"A": original.landmarks["A"].u})
    restored = restore_annulus(
        original.points,
        given_landmarks=dict(original.given_landmarks),
        atrial_normal=original.plane.normal,
        orientation=original.orientation,
        source=original.source,
        warnings=original.warnings,
    )
    assert np.array_equal(restored.points, original.points)
    assert restored.orientation == original.orientation
    assert np.array_equal(restored.to_valve_frame.matrix, original.to_valve_frame.matrix)
    for name, landmark in original.landmarks.items():
        assert restored.landmarks[name] == landmark
    assert measure(restored).values == measure(original).values
