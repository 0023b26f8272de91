"""Coaptation analysis (issue 7): each quantity against geometry with a closed-form answer."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pytest
import shapely
import trimesh

from mvplan.valve.coaptation import (
    STENOSIS_AREA_MM2,
    _fraction_below,
    analyse_coaptation,
    annulus_plane,
    diastolic_orifice_proxy_mm2,
    regurgitant_orifice,
    surface_distance,
    tenting_area_mm2,
    tenting_volume_mm3,
)

TOL = 0.5  # contact tolerance, mm


@dataclass(frozen=True)
class Layout:
    """The attributes of a LeafletMesh that the analysis reads."""

    points: np.ndarray
    triangles: np.ndarray
    labels: np.ndarray
    attached_nodes: np.ndarray
    attached_u: np.ndarray
    free_edge_nodes: np.ndarray
    node_u: np.ndarray
    node_depth_mm: np.ndarray


def grid_triangles(n_rows: int, n_cols: int, offset: int = 0) -> np.ndarray:
    """Two triangles per quad of a row-major ``n_rows x n_cols`` node grid."""
    i, j = np.meshgrid(np.arange(n_rows - 1), np.arange(n_cols - 1), indexing="ij")
    a = (i * n_cols + j).ravel() + offset
    b, c, d = a + 1, a + n_cols, a + n_cols + 1
    return np.concatenate([np.c_[a, b, d], np.c_[a, d, c]])


def polygon_area(n: int, r: float) -> float:
    """Area of the regular n-gon inscribed in a circle of radius r."""
    return 0.5 * n * r * r * math.sin(2 * math.pi / n)


def circle(r: float, n: int = 720, z: float = 0.0) -> np.ndarray:
    """n points on a circle, counter-clockwise seen from +z (one on +y when 4 divides n)."""
    t = 2 * np.pi * np.arange(n) / n
    return np.c_[r * np.cos(t), r * np.sin(t), np.full(n, z)]


def plate(x0: float, x1: float, y0: float, y1: float, z: float, n: int = 40) -> tuple:
    """A flat rectangle at height z as (points, triangles)."""
    x, y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n), indexing="ij")
    pts = np.c_[x.ravel(), y.ravel(), np.full(x.size, z)]
    return pts, grid_triangles(n, n)


def merge(*parts: tuple) -> tuple:
    points, triangles, count = [], [], 0
    for p, t in parts:
        points.append(p)
        triangles.append(t + count)
        count += len(p)
    return np.vstack(points), np.vstack(triangles)


# ----------------------------------------------------------------- two sheets facing each other
GAP, DEPTH, HP, HA, WIDTH = 0.3, 5.0, 6.0, 14.0, 20.0  # mm
DELTA = math.sqrt(TOL**2 - GAP**2)  # reach of the tolerance past the posterior's edges


PATCH = (-2.0, -1.0)  # z range of an optional posterior patch facing the anterior sheet's top


def facing_sheets(gap: float = GAP, patch: bool = False) -> Layout:
    """Anterior: a vertical sheet y = +gap/2 hanging from z = 0 (the annulus) to -HA.
    Posterior, 3 mm wider each side: a riser at y = -12 from z = 0 to -DEPTH, a shelf at
    z = -DEPTH to y = -gap/2, then a sheet y = -gap/2 down to -DEPTH - HP. Anterior node rows at
    the heights where the distance to the posterior edges is the tolerance. With ``patch``, a
    loose posterior patch faces the anterior sheet at z in ``PATCH``, higher up.
    """
    delta = math.sqrt(max(TOL**2 - gap**2, 0.0))
    levels = np.unique(
        np.r_[
            np.linspace(0.0, -HA, 29),
            -DEPTH + delta,
            -DEPTH - HP - delta,
            PATCH[0] - delta,
            PATCH[1] + delta,
        ]
    )[::-1]  # z from 0 down
    xs = np.linspace(-WIDTH / 2, WIDTH / 2, 21)
    x, z = np.meshgrid(xs, levels, indexing="ij")
    ant = np.c_[x.ravel(), np.full(x.size, gap / 2), z.ravel()]
    ant_u = 0.1 + 0.3 * (x.ravel() + WIDTH / 2) / WIDTH
    ant_t = -z.ravel()
    n_levels = len(levels)
    ant_tri = grid_triangles(len(xs), n_levels)

    # Posterior profile: riser from the annulus (y = -12, z = 0 to -DEPTH), shelf to the edge,
    # then the sheet down; arc length s along it.
    prof = [(-12.0, 0.0), (-12.0, -DEPTH), (-gap / 2, -DEPTH), (-gap / 2, -DEPTH - HP)]
    pts2 = []
    for (y0, z0), (y1, z1) in itertools.pairwise(prof):
        for f in np.linspace(0.0, 1.0, 13)[:-1]:
            pts2.append((y0 + f * (y1 - y0), z0 + f * (z1 - z0)))
    pts2.append(prof[-1])
    prof_yz = np.array(pts2)
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(prof_yz, axis=0), axis=1))]
    xp = np.linspace(-WIDTH / 2 - 3, WIDTH / 2 + 3, 27)
    xg, k = np.meshgrid(xp, np.arange(len(prof_yz)), indexing="ij")
    post = np.c_[xg.ravel(), prof_yz[k.ravel(), 0], prof_yz[k.ravel(), 1]]
    post_u = 0.9 - 0.3 * (xg.ravel() - xp[0]) / (xp[-1] - xp[0])
    post_t = s[k.ravel()]
    post_tri = grid_triangles(len(xp), len(prof_yz), offset=len(ant))

    points = np.vstack([ant, post])
    triangles = np.vstack([ant_tri, post_tri])
    node_t = np.r_[ant_t, post_t]
    n_ant = len(ant)
    ant_top = np.arange(len(xs)) * n_levels
    ant_free = ant_top + n_levels - 1
    post_top = n_ant + np.arange(len(xp)) * len(prof_yz)
    post_free = post_top + len(prof_yz) - 1
    attached = np.r_[ant_top, post_top[::-1]]  # a loop in z = 0
    node_u = np.r_[ant_u, post_u]
    n_post = len(post_tri)
    if patch:
        xq, zq = np.meshgrid(xp, np.linspace(*PATCH, 5), indexing="ij")
        extra = np.c_[xq.ravel(), np.full(xq.size, -gap / 2), zq.ravel()]
        triangles = np.vstack([triangles, grid_triangles(len(xp), 5, offset=len(points))])
        n_post += len(triangles) - len(ant_tri) - n_post
        points = np.vstack([points, extra])
        node_u = np.r_[node_u, np.full(len(extra), 0.75)]
        node_t = np.r_[node_t, np.ones(len(extra))]
    return Layout(
        points=points,
        triangles=triangles,
        labels=np.array(["anterior"] * len(ant_tri) + ["posterior"] * n_post),
        attached_nodes=attached,
        attached_u=node_u[attached],
        free_edge_nodes=np.r_[ant_free, post_free[::-1]],
        node_u=node_u,
        node_depth_mm=node_t,
    )


def test_facing_sheets_band_length_area_line_and_height():
    layout = facing_sheets()
    c = analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL)
    band = HP + 2 * DELTA  # the posterior sheet's height, plus the tolerance's reach at both ends
    np.testing.assert_allclose(c.coaptation_length_mm, band, rtol=1e-9)
    np.testing.assert_allclose(c.free_edge_offset_mm, HA - DEPTH - HP - DELTA, rtol=1e-9)
    np.testing.assert_allclose(c.coaptation_line[:, 2], -DEPTH + DELTA, atol=1e-9)
    np.testing.assert_allclose(c.station_free_edge[:, 2], -HA, atol=1e-12)
    assert c.coaptation_length_min_mm == pytest.approx(band, rel=1e-9)
    assert c.coaptation_length_mean_mm == pytest.approx(band, rel=1e-9)
    assert c.coaptation_area_mm2 == pytest.approx(WIDTH * band, rel=1e-9)
    assert c.contact_fraction == 1.0
    assert c.tenting_height_mm == pytest.approx(DEPTH - DELTA, rel=1e-9)
    # Stations: 41 rulings at equal steps between the ends of the anterior free edge.
    np.testing.assert_allclose(c.station_u, 0.1 + 0.3 * (np.arange(41) + 0.5) / 41)


def test_only_the_band_nearest_the_free_edge_counts_for_length():
    """A second posterior patch touching the anterior sheet higher up, past a part out of
    contact: it adds to the coaptation area, not to the length nor the coaptation line."""
    layout = facing_sheets(patch=True)
    c = analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL)
    band = HP + 2 * DELTA
    np.testing.assert_allclose(c.coaptation_length_mm, band, rtol=1e-9)
    np.testing.assert_allclose(c.coaptation_line[:, 2], -DEPTH + DELTA, atol=1e-9)
    patch = PATCH[1] - PATCH[0] + 2 * DELTA
    assert c.coaptation_area_mm2 == pytest.approx(WIDTH * (band + patch), rel=1e-9)


def test_facing_sheets_contact_map():
    layout = facing_sheets()
    c = analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL)
    p = layout.points
    anterior = np.unique(layout.triangles[layout.labels == "anterior"])
    posterior = np.unique(layout.triangles[layout.labels == "posterior"])
    # Anterior nodes: the gap in front of the sheet, the distance to the edges above and below.
    z = p[anterior, 2]
    edge = np.where(z > -DEPTH, z + DEPTH, np.where(z < -DEPTH - HP, -DEPTH - HP - z, 0.0))
    expected = np.minimum(np.hypot(GAP, edge), 5.0)  # the map's cap
    np.testing.assert_allclose(c.node_distance_mm[anterior], expected, atol=1e-12)
    # Posterior sheet nodes in front of the anterior sheet are GAP away; shelf nodes farther.
    sheet = posterior[(p[posterior, 1] == -GAP / 2) & (np.abs(p[posterior, 0]) <= WIDTH / 2)]
    np.testing.assert_allclose(c.node_distance_mm[sheet], GAP, atol=1e-12)
    shelf = posterior[(p[posterior, 1] < -1.0) & (p[posterior, 1] > -11.0)]
    shelf = shelf[np.abs(p[shelf, 0]) <= WIDTH / 2]
    np.testing.assert_allclose(
        c.node_distance_mm[shelf], np.minimum(GAP / 2 - p[shelf, 1], 5.0), atol=1e-12
    )
    assert np.array_equal(c.node_in_contact, c.node_distance_mm <= TOL)
    tri_in = c.triangle_in_contact[layout.labels == "anterior"]
    tri_z = p[layout.triangles[layout.labels == "anterior"], 2].mean(axis=1)
    inside_band = (tri_z < -DEPTH + DELTA) & (tri_z > -DEPTH - HP - DELTA)
    assert np.array_equal(tri_in, inside_band)


def test_facing_sheets_apart_do_not_touch():
    layout = facing_sheets(gap=0.6)  # above the 0.5 mm tolerance
    c = analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL)
    assert not c.node_in_contact.any()
    assert np.all(c.coaptation_length_mm == 0.0)
    assert np.isnan(c.free_edge_offset_mm).all() and np.isnan(c.coaptation_line).all()
    assert c.coaptation_area_mm2 == 0.0 and c.contact_fraction == 0.0
    # Without contact the coaptation depth falls back to the anterior free edge.
    assert c.tenting_height_mm == pytest.approx(HA)


def test_band_fraction_of_a_triangle():
    values = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.4], [1.0, 2.0, 3.0]])
    # One corner below 0.5 cuts a corner triangle of 1/2 x 1/2; two corners leave 1 - 1/4.
    np.testing.assert_allclose(_fraction_below(values, 0.5), [0.25, 0.75, 1.0, 0.0])
    # A general cut: the level line splits the edges from corner 0 at 1/4 and 1/3 of them.
    assert _fraction_below(np.array([[0.0, 2.0, 1.5]]), 0.5)[0] == pytest.approx(1 / 12)


# ----------------------------------------------------------------- distances
def test_surface_distance_matches_brute_force_with_a_stretched_triangle():
    rng = np.random.default_rng(3)
    pts, tri = plate(-5, 5, -5, 5, 0.0, n=12)
    pts[:, 2] = 0.3 * np.sin(pts[:, 0]) * np.cos(pts[:, 1])  # a wavy sheet
    pts = np.vstack([pts, [[-30.0, 40.0, 2.0], [30.0, 40.0, 2.0], [0.0, 80.0, -5.0]]])
    tri = np.vstack([tri, [[len(pts) - 3, len(pts) - 2, len(pts) - 1]]])  # a huge far triangle
    query = rng.uniform([-12, -12, -6], [12, 60, 6], size=(400, 3))
    corners = pts[tri]
    brute = np.array(
        [
            np.linalg.norm(
                trimesh.triangles.closest_point(corners, np.repeat(q[None], len(tri), 0)) - q,
                axis=1,
            ).min()
            for q in query
        ]
    )
    np.testing.assert_allclose(surface_distance(query, pts, tri), brute, rtol=1e-12, atol=1e-12)
    capped = surface_distance(query, pts, tri, cap=3.0)
    np.testing.assert_allclose(capped, np.minimum(brute, 3.0), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- orifice
R = 15.0


def strip_area(r: float, half: float) -> float:
    """Area of the disc of radius r between y = -half and y = +half."""
    return 2 * (half * math.sqrt(r * r - half * half) + r * r * math.asin(half / r))


@pytest.mark.parametrize("gap", [2.0, 6.0])
def test_orifice_is_the_gap_between_two_plates(gap):
    ring = circle(R)
    plane = annulus_plane(ring)
    x, tri = merge(
        plate(-R - 1, R + 1, gap / 2, R + 1, -2.0), plate(-R - 1, R + 1, -R - 1, -gap / 2, -3.0)
    )
    area, outlines, annulus_area = regurgitant_orifice(x, tri, ring, plane)
    assert annulus_area == pytest.approx(polygon_area(720, R), rel=1e-12)
    # The polygon loses about (2 pi^2 / 3) / n^2 of the circle's area, here under 2e-5.
    assert area == pytest.approx(strip_area(R, gap / 2), rel=1e-4)
    assert len(outlines) == 1
    ring_pts = outlines[0]
    assert np.allclose(ring_pts[:, 2], 0.0) and np.all(np.abs(ring_pts[:, 1]) <= gap / 2 + 1e-9)
    assert shapely.Polygon(ring_pts[:, :2]).area == pytest.approx(area, rel=1e-12)


def test_overlapping_plates_leave_no_orifice():
    ring = circle(R)
    x, tri = merge(plate(-R - 1, R + 1, -1.0, R + 1, -2.0), plate(-R - 1, R + 1, -R - 1, 1.0, -3.0))
    area, outlines, _ = regurgitant_orifice(x, tri, ring, annulus_plane(ring))
    assert area == 0.0 and outlines == ()


@pytest.mark.parametrize(
    "layers",
    [
        # An S: out to the edge, back under it, out again; the last layer ends at the edge.
        [(-R - 1, -1.0, -2.0), (-1.0, -6.0, -3.0), (-6.0, -1.0, -4.0)],
        # A Z: out to the edge and back under; the fold, not the free edge, bounds the orifice.
        [(-R - 1, -1.0, -2.0), (-1.0, -6.0, -3.0)],
    ],
)
def test_orifice_through_folded_layers(layers):
    """A plate folded on itself (layers facing up and down in turn) whose outermost point is
    y = -1: the orifice is still the strip |y| < 1, and the layers cover all they overlap."""
    gap = 2.0
    ring = circle(R)
    ys = np.concatenate(
        [np.linspace(y0, y1, 12)[(k > 0) :] for k, (y0, y1, _) in enumerate(layers)]
    )
    zs = np.concatenate([np.full(12 - (k > 0), z) for k, (_, _, z) in enumerate(layers)])
    xs = np.linspace(-R - 1, R + 1, 40)
    xg, k = np.meshgrid(xs, np.arange(len(ys)), indexing="ij")
    folded = np.c_[xg.ravel(), ys[k.ravel()], zs[k.ravel()]]
    x, tri = merge(
        plate(-R - 1, R + 1, gap / 2, R + 1, -2.0), (folded, grid_triangles(len(xs), len(ys)))
    )
    area, _, _ = regurgitant_orifice(x, tri, ring, annulus_plane(ring))
    assert area == pytest.approx(strip_area(R, gap / 2), rel=1e-4)


# ----------------------------------------------------------------- tenting
def cone(r: float, depth: float, n: int = 720, rings: int = 12) -> tuple:
    """A polygonal cone from the circle of radius r at z = 0 down to an apex at -depth."""
    f = np.linspace(1.0, 0.0, rings + 1)[:-1]
    pts = np.vstack([circle(r * fi, n, -depth * (1 - fi)) for fi in f] + [[[0, 0, -depth]]])
    tri = []
    for i in range(rings - 1):
        a = i * n + np.arange(n)
        b = i * n + (np.arange(n) + 1) % n
        tri += [np.c_[a, b, b + n], np.c_[a, b + n, a + n]]
    last = (rings - 1) * n
    tri.append(np.c_[last + np.arange(n), last + (np.arange(n) + 1) % n, np.full(n, len(pts) - 1)])
    return pts, np.vstack(tri)


def test_tenting_of_a_cone():
    depth = 8.0
    x, tri = cone(R, depth)
    ring = x[:720]
    plane = annulus_plane(ring)
    volume = tenting_volume_mm3(x, tri, ring, plane)
    assert volume == pytest.approx(polygon_area(720, R) * depth / 3, rel=2e-3)
    # The long-axis cut is a triangle of base 2R and height depth.
    assert tenting_area_mm2(x, tri, ring, plane) == pytest.approx(R * depth, rel=1e-4)


def test_tenting_of_a_flat_disc_and_of_a_billow():
    h = 4.0
    ring = circle(R)
    plane = annulus_plane(ring)
    x, tri = plate(-R - 1, R + 1, -R - 1, R + 1, -h)
    assert tenting_volume_mm3(x, tri, ring, plane) == pytest.approx(
        polygon_area(720, R) * h, rel=2e-3
    )
    assert tenting_area_mm2(x, tri, ring, plane) == pytest.approx(2 * R * h, rel=1e-4)
    # A second sheet above the plane hides the disc from the atrium: no tenting.
    x2, tri2 = merge((x, tri), plate(-R - 1, R + 1, -R - 1, R + 1, 1.0))
    assert tenting_volume_mm3(x2, tri2, ring, plane) == 0.0
    assert tenting_area_mm2(x2, tri2, ring, plane) == 0.0
    # Half covered above: the other half still counts.
    x3, tri3 = merge((x, tri), plate(-R - 1, R + 1, 0.0, R + 1, 1.0))
    half = tenting_volume_mm3(x3, tri3, ring, plane)
    assert half == pytest.approx(polygon_area(720, R) * h / 2, rel=2e-3)


def test_annulus_plane_of_a_tilted_saddle():
    # A saddle on a circle: weighted by arc length, its centroid is at the mean height.
    t = 2 * np.pi * np.arange(400) / 400
    saddle = np.c_[16 * np.cos(t), 16 * np.sin(t), 3 * np.cos(2 * t) + 2.0]
    plane = annulus_plane(saddle)
    np.testing.assert_allclose(plane.normal, [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(plane.origin, [0, 0, 2], atol=1e-12)
    np.testing.assert_allclose(plane.axes, [[1, 0, 0], [0, 1, 0]], atol=1e-12)
    # Tilt the loop 20 degrees about x: the normal follows, still toward +z.
    c, s = math.cos(math.radians(20)), math.sin(math.radians(20))
    tilted = saddle @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]]).T
    np.testing.assert_allclose(annulus_plane(tilted).normal, [0, -s, c], atol=1e-12)
    np.testing.assert_allclose(annulus_plane(tilted[::-1]).normal, [0, -s, c], atol=1e-12)


def test_annulus_plane_weighs_points_by_arc_length():
    s = 2 * np.pi * np.arange(600) / 600
    t = s + 0.8 * np.sin(s)  # points crowd on one side of the circle
    plane = annulus_plane(np.c_[15 * np.cos(t), 15 * np.sin(t), np.zeros_like(t)])
    assert np.linalg.norm(plane.origin) < 1e-3  # the unweighted mean is 5.5 mm off


# ----------------------------------------------------------------- a flat band valve
def flat_band(r: float = R, width: float = 4.0, n: int = 360, rows: int = 5) -> Layout:
    """Leaflets lying flat in the annulus plane: a ring band between radii r and r - width,
    anterior for y > 0, posterior for y < 0 (rulings radial, parameter u = angle / 2 pi)."""
    u = np.arange(n) / n
    t = np.linspace(0.0, width, rows)
    ug, tg = np.meshgrid(u, t, indexing="ij")  # node (k, row) = k * rows + row
    ang = 2 * np.pi * ug.ravel()
    rad = r - tg.ravel()
    pts = np.c_[rad * np.cos(ang), rad * np.sin(ang), np.zeros(ang.size)]
    k, i = np.meshgrid(np.arange(n), np.arange(rows - 1), indexing="ij")
    a = (k * rows + i).ravel()
    b = (((k + 1) % n) * rows + i).ravel()
    tri = np.concatenate([np.c_[a, b, b + 1], np.c_[a, b + 1, a + 1]])
    centre = np.sin(2 * np.pi * (k.ravel() + 0.5) / n)
    labels = np.where(np.tile(centre, 2) > 0, "anterior", "posterior")
    attached = np.arange(n) * rows
    return Layout(
        points=pts,
        triangles=tri,
        labels=labels,
        attached_nodes=attached,
        attached_u=u,
        free_edge_nodes=attached + rows - 1,
        node_u=ug.ravel(),
        node_depth_mm=tg.ravel(),
    )


def test_stenosis_proxy_of_a_flat_band_and_its_scaled_annulus():
    n, width = 360, 4.0
    layout = flat_band(width=width, n=n)
    ring = layout.points[layout.attached_nodes]
    band = 0.5 * (polygon_area(n, R) - polygon_area(n, R - width))  # the posterior half
    proxy = diastolic_orifice_proxy_mm2(layout, ring)
    assert proxy == pytest.approx(polygon_area(n, R) - band, rel=1e-9)
    # A ring scaling the annulus by s carries each ruling with its annulus point.
    for s in (0.8, 0.45):
        small = diastolic_orifice_proxy_mm2(layout, ring * s)
        band = 0.5 * (polygon_area(n, s * R) - polygon_area(n, s * R - width))
        assert small == pytest.approx(polygon_area(n, s * R) - band, rel=1e-9)
    # Through the analysis, with the leaflets on the scaled annulus as closed positions.
    x = layout.points.copy()
    x[:, :2] *= 1.0 - (1.0 - 0.45) * R / np.linalg.norm(x[:, :2], axis=1, keepdims=True)
    c = analyse_coaptation(layout, x, contact_tolerance_mm=TOL)
    assert c.diastolic_orifice_proxy_mm2 == pytest.approx(small, rel=1e-9)
    assert small < STENOSIS_AREA_MM2 and c.stenosis_warning
    assert not analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL).stenosis_warning


def test_flat_band_orifice_tenting_and_summary():
    n, width = 360, 4.0
    layout = flat_band(width=width, n=n)
    c = analyse_coaptation(
        layout,
        layout.points,
        contact_tolerance_mm=TOL,
        chord_tensions_n=[0.5, 1.5, 0.25],
        triangle_stress_mpa=np.ones(len(layout.triangles)),
    )
    assert c.regurgitant_orifice_area_mm2 == pytest.approx(polygon_area(n, R - width), rel=1e-9)
    assert not c.closed
    assert c.tenting_volume_ml == 0.0 and c.tenting_area_mm2 == 0.0
    assert c.tenting_height_mm == pytest.approx(0.0, abs=1e-12)
    summary = c.to_dict()
    assert set(summary) == {
        "coaptation_length_min_mm",
        "coaptation_length_mean_mm",
        "coaptation_area_mm2",
        "regurgitant_orifice_area_mm2",
        "tenting_height_mm",
        "tenting_area_mm2",
        "tenting_volume_ml",
        "contact_fraction",
        "closed",
        "stenosis_warning",
        "diastolic_orifice_proxy_mm2",
        "chord_force_sum_n",
        "chord_force_max_n",
    }
    assert summary["chord_force_sum_n"] == 2.25 and summary["chord_force_max_n"] == 1.5
    assert all(type(v) in (float, bool) for v in summary.values())
    assert c.triangle_stress_mpa is not None and not c.triangle_stress_mpa.flags.writeable
    with pytest.raises(ValueError, match="one row per triangle"):
        analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL, triangle_strain=[1.0])


def test_a_finer_annulus_curve_adds_no_slivers_to_the_orifice():
    """The annulus curve, sampled finer than the mesh, bulges past the mesh's attachment chords;
    the orifice is bounded by the attachment, so only the real gap counts."""
    n, width = 90, 4.0
    layout = flat_band(width=width, n=n)
    fine = circle(R, 720)
    c = analyse_coaptation(layout, layout.points, contact_tolerance_mm=TOL, annulus_points=fine)
    assert c.regurgitant_orifice_area_mm2 == pytest.approx(polygon_area(n, R - width), rel=1e-9)
    assert len(c.orifice_outlines) == 1
    assert c.annulus_area_mm2 == pytest.approx(polygon_area(720, R), rel=1e-12)


def test_bad_input_is_refused():
    layout = flat_band()
    with pytest.raises(ValueError, match="shape"):
        analyse_coaptation(layout, layout.points[:-1], contact_tolerance_mm=TOL)
    with pytest.raises(ValueError, match="tolerance"):
        analyse_coaptation(layout, layout.points, contact_tolerance_mm=0.0)


# ----------------------------------------------------------------- real leaflets, open
def test_open_reference_leaflets_leave_the_free_edge_loop_open(get_leaflets):
    mesh = get_leaflets("healthy", "coarse")
    c = analyse_coaptation(mesh, mesh.points, contact_tolerance_mm=TOL)
    # The reference leaflets do not fold in projection: the orifice is the free-edge loop.
    loop = shapely.Polygon(c.plane.in_plane(mesh.points[mesh.free_edge_nodes]))
    assert c.regurgitant_orifice_area_mm2 == pytest.approx(loop.area, rel=1e-9)
    assert c.regurgitant_orifice_area_mm2 > 0.3 * c.annulus_area_mm2
    assert not c.closed
    assert np.all(c.coaptation_length_mm == 0.0) and c.contact_fraction == 0.0
    assert c.coaptation_area_mm2 == 0.0 and not c.node_in_contact.any()
    anterior = np.unique(mesh.triangles[mesh.labels == "anterior"])
    posterior = np.unique(mesh.triangles[mesh.labels == "posterior"])
    leaflet = np.zeros(mesh.n_nodes, bool)
    leaflet[np.r_[anterior, posterior]] = True
    assert np.isfinite(c.node_distance_mm[leaflet]).all()
    assert np.isnan(c.node_distance_mm[~leaflet]).all()
    # Open: the coaptation depth is that of the anterior free edge in the long-axis cut (the
    # plane's first coordinate 0), between the two central stations on either side of it.
    edge = c.station_free_edge[c.station_central]
    free_depth = -c.plane.signed_distance(edge)
    lateral = c.plane.in_plane(edge)[:, 0]
    right = np.flatnonzero(lateral > 0)
    left = np.flatnonzero(lateral <= 0)
    i, j = left[np.argmax(lateral[left])], right[np.argmin(lateral[right])]
    lo, hi = sorted((free_depth[i], free_depth[j]))
    assert lo - 1e-9 <= c.tenting_height_mm <= hi + 1e-9
    assert 0.0 < c.tenting_volume_ml < c.annulus_area_mm2 * 25.0 / 1e3


def test_analysis_moves_with_the_valve(get_leaflets):
    """A rigid shift of the whole valve (annulus included) changes nothing."""
    mesh = get_leaflets("healthy", "coarse")
    rng = np.random.default_rng(0)
    x = mesh.points + rng.normal(scale=0.3, size=mesh.points.shape)
    x[mesh.attached_nodes] = mesh.points[mesh.attached_nodes]
    shift = np.array([3.0, -2.0, 5.0])
    a = analyse_coaptation(mesh, x, contact_tolerance_mm=TOL).to_dict()
    b = analyse_coaptation(mesh, x + shift, contact_tolerance_mm=TOL).to_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-9), key
