"""Swept tubes are the right shape with outward faces and exact normals; the colour maps
and themes mean what their docstrings say."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.render.colours import (
    FORCE_RANGE_N,
    HEIGHT_RANGE_MM,
    THEMES,
    force_colours,
    height_colours,
    height_range,
    resolve_theme,
)
from mvplan.render.sweep import resample_polyline, sweep_tube


def _circle(n: int, radius: float = 15.0) -> np.ndarray:
    t = 2 * np.pi * np.arange(n) / n
    return np.c_[radius * np.cos(t), radius * np.sin(t), np.zeros(n)]


def _face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return np.cross(b - a, c - a)


def test_elliptical_section_lies_on_its_ellipse() -> None:
    radius, a, b = 15.0, 2.0, 1.25
    tube = sweep_tube(_circle(64, radius), True, a, b, n_around=24)
    v = tube.vertices
    radial = np.hypot(v[:, 0], v[:, 1]) - radius
    # Across the tube in the ring's plane: a; along +z: b.
    np.testing.assert_allclose((radial / a) ** 2 + (v[:, 2] / b) ** 2, 1.0, atol=1e-12)
    assert np.ptp(radial) == pytest.approx(2 * a)
    assert np.ptp(v[:, 2]) == pytest.approx(2 * b)


@pytest.mark.parametrize("closed", [True, False])
def test_faces_point_outward_and_agree_with_the_normals(closed: bool) -> None:
    centre = _circle(48) if closed else _circle(48)[:30]
    tube = sweep_tube(centre, closed, 1.5, 1.0, n_around=16)
    np.testing.assert_allclose(np.linalg.norm(tube.normals, axis=1), 1.0)
    face_normals = _face_normals(tube.vertices, tube.faces)
    vertex_normals = tube.normals[tube.faces].mean(axis=1)
    # Winding and normals agree (VTK flips the normals of back-facing triangles).
    assert np.all(np.einsum("ij,ij->i", face_normals, vertex_normals) > 0)
    assert tube.faces.max() < tube.vertices.shape[0]


def test_closed_tube_is_watertight() -> None:
    tube = sweep_tube(_circle(40), True, 0.8, n_around=12)
    edges = Counter()
    for f in tube.faces:
        for i in range(3):
            edges[tuple(sorted((int(f[i]), int(f[(i + 1) % 3]))))] += 1
    assert set(edges.values()) == {2}


def test_resampled_polyline_follows_the_curve() -> None:
    circle = _circle(37)
    dense = resample_polyline(circle, True, 256)
    assert dense.shape == (256, 3)
    np.testing.assert_allclose(np.hypot(dense[:, 0], dense[:, 1]), 15.0, rtol=2e-4)
    arc = resample_polyline(circle[:20], False, 100)
    np.testing.assert_allclose(arc[[0, -1]], circle[[0, 19]], atol=1e-12)


def test_height_map_is_diverging_about_the_plane() -> None:
    low, zero, high, beyond = height_colours([-HEIGHT_RANGE_MM, 0.0, HEIGHT_RANGE_MM, 10.0])
    assert np.ptp(zero) < 0.01 and zero.mean() > 0.8  # neutral light grey on the plane
    assert low[2] > low[0] + 0.4  # blue below
    assert high[0] > high[2] + 0.4  # red above
    np.testing.assert_allclose(beyond, high, atol=1e-3)  # clamped


def test_height_range_is_fixed_unless_the_curve_leaves_it() -> None:
    assert height_range([-1.9, 1.7]) == (-HEIGHT_RANGE_MM, HEIGHT_RANGE_MM)
    assert height_range([-4.2, 1.0]) == (-5.0, 5.0)
    assert height_range([]) == (-HEIGHT_RANGE_MM, HEIGHT_RANGE_MM)


def test_force_map_runs_from_green_to_red() -> None:
    forces = np.linspace(*FORCE_RANGE_N, 9)
    rgb = force_colours(forces)
    assert rgb[0, 1] > rgb[0, 0] + 0.3  # green at 0 N
    assert rgb[-1, 0] > rgb[-1, 1] + 0.6  # red at 4 N
    warmth = rgb[:, 0] - rgb[:, 1]
    assert np.all(np.diff(warmth) > 0)  # ever warmer
    np.testing.assert_allclose(force_colours([9.0]), rgb[-1:], atol=1e-3)


def test_themes() -> None:
    assert resolve_theme("light") is THEMES["light"]
    black = resolve_theme((0.0, 0.0, 0.0))
    white = resolve_theme([1, 1, 1])
    assert black.background_top == (0.0, 0.0, 0.0)
    assert np.mean(black.text) > 0.8 and np.mean(white.text) < 0.2  # text contrasts
    for bad in ("blue", (1.0, 0.0), (0.0, 0.0, 2.0), "rgb"):
        with pytest.raises(InputError):
            resolve_theme(bad)
