"""Tests of the minimal-surface area of a closed curve (``area_3d_mm2``)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mvplan.errors import GeometryError
from mvplan.geometry.minimal_surface import (
    MinimalSurface,
    minimal_surface,
    minimal_surface_area,
)

Curve = Callable[[np.ndarray], np.ndarray]
RTOL = 0.005


def enneper(radius: float, scale: float = 20.0) -> tuple[Curve, float]:
    """Boundary of Enneper's surface over the disk ``|w| <= radius`` (mm) and its exact area."""

    def curve(u: np.ndarray) -> np.ndarray:
        t = 2.0 * np.pi * np.asarray(u)
        r3 = radius**3 / 3.0
        return scale * np.column_stack(
            [
                radius * np.cos(t) - r3 * np.cos(3 * t),
                radius * np.sin(t) + r3 * np.sin(3 * t),
                radius**2 * np.cos(2 * t),
            ]
        )

    return curve, math.pi / 3.0 * ((1.0 + radius**2) ** 3 - 1.0) * scale**2


def saddle(a: float = 18.0, b: float = 14.0, h: float = 3.0) -> Curve:
    """Annulus-like saddle ``z = h cos 2t`` on the ellipse with semi-axes a, b (mm)."""

    def curve(u: np.ndarray) -> np.ndarray:
        t = 2.0 * np.pi * np.asarray(u)
        return np.column_stack([a * np.cos(t), b * np.sin(t), h * np.cos(2 * t)])

    return curve


def planar(a: float, b: float, d: float = 0.0) -> Curve:
    """``(a cos t + d cos 2t, b sin t, 0)``: ellipse, or D shape for d > 0; area pi a b."""

    def curve(u: np.ndarray) -> np.ndarray:
        t = 2.0 * np.pi * np.asarray(u)
        return np.column_stack([a * np.cos(t) + d * np.cos(2 * t), b * np.sin(t), 0.0 * t])

    return curve


def rotation(quaternion: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) of a (not necessarily unit) quaternion ``(w, x, y, z)``."""
    w, x, y, z = quaternion / np.linalg.norm(quaternion)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def observed_orders(result: MinimalSurface) -> np.ndarray:
    """Observed orders of convergence from consecutive level areas."""
    differences = np.diff([area for _, area in result.levels])
    return np.log2(differences[:-1] / differences[1:])


@pytest.fixture(scope="module")
def saddle_result() -> MinimalSurface:
    return minimal_surface(saddle())


@pytest.mark.parametrize("radius", [0.5, 0.7, 0.9])
def test_enneper_area_and_honest_error_estimate(radius: float) -> None:
    curve, exact = enneper(radius)
    result = minimal_surface(curve)
    error = abs(result.area_mm2 - exact) / exact
    assert error < RTOL
    # Observed: ~1e-5 for the extrapolated area, which the estimate bounds.
    assert error < 1e-4
    assert error <= result.relative_error < RTOL
    # The estimate is that of the finest level's own error, and it is accurate.
    finest_error = abs(result.levels[-1][1] - exact) / exact
    assert 0.8 < finest_error / result.relative_error < 1.25


@pytest.mark.parametrize(
    ("curve", "exact"),
    [
        (planar(15.0, 15.0), math.pi * 15.0**2),
        (planar(18.0, 12.0), math.pi * 18.0 * 12.0),
        (planar(20.0, 15.0, 4.0), math.pi * 20.0 * 15.0),  # convex D shape
    ],
    ids=["circle", "ellipse", "D"],
)
def test_planar_curve_spans_its_planar_region(curve: Curve, exact: float) -> None:
    result = minimal_surface(curve)
    assert abs(result.area_mm2 - exact) / exact < 1e-5  # well within RTOL
    assert result.relative_error < RTOL
    np.testing.assert_allclose(result.vertices[:, 2], 0.0, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(
    quaternion=st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4).filter(
        lambda q: np.linalg.norm(q) > 0.1
    ),
    shift=st.lists(st.floats(-200.0, 200.0), min_size=3, max_size=3),
)
def test_rigid_motion_leaves_area_unchanged(
    saddle_result: MinimalSurface, quaternion: list[float], shift: list[float]
) -> None:
    matrix, offset = rotation(np.array(quaternion)), np.array(shift)
    curve = saddle()
    moved = minimal_surface(lambda u: curve(u) @ matrix.T + offset)
    assert moved.area_mm2 == pytest.approx(saddle_result.area_mm2, rel=1e-9)
    assert moved.relative_error == pytest.approx(saddle_result.relative_error, rel=1e-6)


@pytest.mark.parametrize(
    "reparametrise",
    [
        lambda u: -u,  # reversed direction
        lambda u: u + 0.37,  # other start point
        lambda u: u + 0.5 / 24,  # start between the coarsest boundary vertices
        lambda u: u + 0.08 * np.sin(2 * np.pi * u),  # not proportional to arc length
    ],
    ids=["reversed", "shifted", "half-step", "non-uniform"],
)
def test_parametrisation_leaves_area_unchanged(
    saddle_result: MinimalSurface, reparametrise: Callable[[np.ndarray], np.ndarray]
) -> None:
    curve = saddle()
    result = minimal_surface(lambda u: curve(reparametrise(np.asarray(u))))
    # Observed: 0 reversed, ~1e-7 shifted, ~5e-6 non-uniform.
    assert result.area_mm2 == pytest.approx(saddle_result.area_mm2, rel=1e-4)


@pytest.mark.parametrize("radius", [0.5, 0.9])
def test_second_order_convergence(radius: float) -> None:
    curve, exact = enneper(radius)
    result = minimal_surface(curve, rtol=1e-4)
    assert len(result.levels) >= 4
    assert np.all((observed_orders(result) > 1.5) & (observed_orders(result) < 2.5))
    errors = np.array([exact - area for _, area in result.levels])
    assert np.all(errors > 0.0)  # the inscribed discrete surfaces are smaller
    true_orders = np.log2(errors[:-1] / errors[1:])
    assert np.all((true_orders > 1.5) & (true_orders < 2.5))
    assert abs(result.area_mm2 - exact) / exact < 1e-6


def test_saddle_area_between_planar_and_graph_bounds(saddle_result: MinimalSurface) -> None:
    a, b, h = 18.0, 14.0, 3.0
    # The graph of z = h (x^2/a^2 - y^2/b^2) over the ellipse spans the curve: an upper bound.
    nodes, weights = np.polynomial.legendre.leggauss(40)
    r, phi = 0.5 * (nodes + 1.0), np.pi * (nodes + 1.0)
    rr, pp = np.meshgrid(r, phi, indexing="ij")
    slope_x, slope_y = 2 * h * rr * np.cos(pp) / a, 2 * h * rr * np.sin(pp) / b
    integrand = np.sqrt(1.0 + slope_x**2 + slope_y**2) * a * b * rr
    graph = 0.5 * np.pi * float(weights @ integrand @ weights)
    crude = math.pi * a * b * math.sqrt(1.0 + (2.0 * h / b) ** 2)  # steepest slope everywhere
    assert math.pi * a * b < saddle_result.area_mm2 < graph < crude
    assert saddle_result.relative_error < RTOL


def test_points_through_spline_match_callable(saddle_result: MinimalSurface) -> None:
    points = saddle()(np.arange(200) / 200)
    result = minimal_surface_area(points)
    assert result.area_mm2 == pytest.approx(saddle_result.area_mm2, rel=1e-3)  # observed 1e-6
    closed = minimal_surface_area(np.vstack([points, points[:1]]))  # first point repeated
    assert closed.area_mm2 == pytest.approx(result.area_mm2, rel=1e-12)


def test_result_mesh(saddle_result: MinimalSurface) -> None:
    result = saddle_result
    boundary = result.levels[-1][0]
    n = boundary // 6
    assert [count for count, _ in result.levels] == [24 * 2**k for k in range(len(result.levels))]
    assert result.vertices.shape == (3 * n * n + 3 * n + 1, 3)
    assert result.faces.shape == (6 * n * n, 3)
    assert not result.vertices.flags.writeable
    assert result.iterations >= len(result.levels)
    np.testing.assert_allclose(
        result.vertices[-boundary:], saddle()(np.arange(boundary) / boundary), atol=1e-12
    )
    corners = result.vertices[result.faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    assert np.all(normals[:, 2] > 0.0)  # consistently oriented, no fold
    assert 0.5 * np.linalg.norm(normals, axis=1).sum() == pytest.approx(result.levels[-1][1])


def test_max_level_too_small_raises() -> None:
    curve, _ = enneper(0.9)
    with pytest.raises(GeometryError, match="not converged") as info:
        minimal_surface(curve, rtol=1e-4, max_level=3)
    assert "\n" not in str(info.value)
    with pytest.raises(GeometryError, match="not converged"):
        minimal_surface(saddle(), max_level=1)  # three levels are needed for an estimate


def test_degenerate_curves_raise() -> None:
    with pytest.raises(GeometryError, match="degenerated"):
        minimal_surface(lambda u: np.ones((len(u), 3)))
    with pytest.raises(GeometryError, match="finite"):
        minimal_surface(lambda u: np.ones((len(u), 2)))
    with pytest.raises(GeometryError, match="distinct"):
        minimal_surface_area(np.ones((50, 3)))
    with pytest.raises(GeometryError, match="distinct"):
        minimal_surface_area(saddle()(np.arange(3) / 3))
    with pytest.raises(GeometryError, match=r"\(n, 3\)"):
        minimal_surface_area(np.zeros((10, 2)))


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="rtol"):
        minimal_surface(saddle(), rtol=0.0)
