"""Frames of one moving annulus: correspondence and cycle figures against closed forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapes import d_shape

from mvplan.errors import InputError
from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.cycle import (
    ARC_LENGTH_FROM_A,
    PLAUSIBLE_EXCURSION_MM,
    POINT_ORDER,
    corresponding_points,
    measure_cycle,
)
from mvplan.geometry.measurements import MEASUREMENT_KEYS

SCALE = 0.9  # the second frame is the first scaled by this about the origin...
SHIFT = np.array([1.0, -2.0, 3.0])  # ...and moved by this, mm


def d_shape_points(n: int, scale: float = 1.0, shift: np.ndarray | None = None) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return scale * d_shape(t) + (np.zeros(3) if shift is None else shift)


def arc_uniform_d_shape(n: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """Dense points of the D shape and their arc-length weights."""
    pts = d_shape_points(n)
    seg = np.linalg.norm(np.roll(pts, -1, axis=0) - pts, axis=1)
    weights = 0.5 * (seg + np.roll(seg, 1))
    return pts, weights / weights.sum()


def test_scaled_frames_with_different_counts_give_the_known_changes() -> None:
    first = build_annulus(d_shape_points(97), source="f0")
    second = build_annulus(d_shape_points(61, SCALE, SHIFT), source="f1")
    result = measure_cycle([first, second], [d_shape_points(97), d_shape_points(61)])
    assert result.correspondence.method == ARC_LENGTH_FROM_A
    area = result.ranges["area_2d_mm2"]
    assert area.change_percent == pytest.approx(100 * (1 - SCALE**2), rel=2e-3)
    assert area.max_frame == 0 and area.min_frame == 1
    perimeter = result.ranges["perimeter_mm"]
    assert perimeter.change_percent == pytest.approx(100 * (1 - SCALE), rel=2e-3)
    # The height is a maximum over the spline through few input points: a looser tolerance.
    assert result.ranges["annular_height_mm"].change_percent == pytest.approx(
        100 * (1 - SCALE), abs=0.3
    )
    # Material point x moves to SCALE x + SHIFT: |(SCALE - 1) x + SHIFT|.
    dense, weights = arc_uniform_d_shape()
    exact = np.linalg.norm((SCALE - 1) * dense + SHIFT, axis=1)
    disp = result.displacement_from_first_mm[1]
    assert disp.max() == pytest.approx(exact.max(), abs=0.02)
    assert disp.mean() == pytest.approx(float(exact @ weights), abs=0.02)
    assert np.array_equal(result.excursion_mm, disp)


def test_same_count_keeps_the_point_order() -> None:
    t = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
    pts0 = d_shape(t)
    # Frame 1: every point moves by its own amount along the curve's normal direction, so the
    # arc-length correspondence would differ from the index one.
    pts1 = pts0 * (1 + 0.05 * np.sin(3 * t))[:, None]
    annuli = [build_annulus(p, source=f"f{k}") for k, p in enumerate((pts0, pts1))]
    corr = corresponding_points(annuli, [pts0, pts1])
    assert corr.method == POINT_ORDER and corr.n_points == 48
    result = measure_cycle(annuli, [pts0, pts1])
    exact = np.linalg.norm(pts1 - pts0, axis=1)
    assert result.displacement_from_first_mm[1] == pytest.approx(exact)


def test_reversed_frame_falls_back_to_arc_length_and_is_flagged() -> None:
    pts0 = d_shape_points(80)
    pts1 = d_shape_points(80, SCALE)[::-1].copy()
    annuli = [build_annulus(p, source=f"f{k}") for k, p in enumerate((pts0, pts1))]
    corr = corresponding_points(annuli, [pts0, pts1])
    assert corr.method == ARC_LENGTH_FROM_A
    assert corr.reversed == (False, True)
    # Corresponding points are the same material points: displacement (1 - SCALE) |x|.
    dense, _ = arc_uniform_d_shape()
    disp = np.linalg.norm(corr.points[1] - corr.points[0], axis=1)
    assert disp.max() == pytest.approx((1 - SCALE) * np.linalg.norm(dense, axis=1).max(), abs=0.02)


def test_cycle_figures_are_differences_of_frame_figures() -> None:
    frames = [d_shape_points(70, s) for s in (1.0, 0.95, 0.9, 0.97)]
    annuli = [build_annulus(p, source=f"f{k}") for k, p in enumerate(frames)]
    result = measure_cycle(annuli, frames)
    for key in MEASUREMENT_KEYS:
        values = np.array([m.values[key] for m in result.frames], dtype=float)
        r = result.ranges[key]
        assert r.minimum == values.min() and r.maximum == values.max()
        assert r.change == pytest.approx(values.max() - values.min())
        assert r.change_percent == pytest.approx(100 * (values.max() - values.min()) / values.max())
    out = result.to_dict()
    assert out["n_frames"] == 4 and out["correspondence"]["method"] == POINT_ORDER
    assert len(out["displacement_from_first_mm"]) == 4


def test_different_counts_without_a_landmark_a_name_the_frame() -> None:
    t = np.linspace(0.0, 2 * np.pi, 64, endpoint=False)
    circle = np.c_[15 * np.cos(t), 15 * np.sin(t), 2 * np.cos(2 * t)]  # round: no minor axis
    annuli = [
        build_annulus(d_shape_points(64), source="ok.csv"),
        build_annulus(circle[::2], source="round.csv"),
    ]
    with pytest.raises(InputError, match=r"round\.csv: .*landmark A"):
        corresponding_points(annuli, [d_shape_points(64), circle[::2]])


def test_frames_of_different_annuli_get_a_warning() -> None:
    import warnings

    from mvplan.io.load import load_annulus

    root = Path(__file__).resolve().parents[2] / "assets"
    frames = [
        load_annulus(root / "third_party" / "kaiser_heart_valves" / "hcm_d_annulus.vtk"),
        load_annulus(root / "samples" / "healthy_annulus.csv"),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = measure_cycle(frames)
    assert float(result.excursion_mm.max()) > PLAUSIBLE_EXCURSION_MM
    assert any("one annulus" in str(w.message) for w in caught)
