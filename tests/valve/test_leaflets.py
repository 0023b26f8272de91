"""Leaflet geometry (issue 7): a valid near-equilateral strip with absolute heights."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapes import THIRD_PARTY

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.topology import boundary_edges, loops_from_edges
from mvplan.io.load import load_annulus
from mvplan.valve.leaflets import (
    LABELS,
    RESOLUTIONS,
    LeafletMesh,
    LeafletSpec,
    build_leaflets,
    build_surface,
)

RESOLUTION_NAMES = ("coarse", "standard")


def edge_lengths(mesh: LeafletMesh) -> np.ndarray:
    e = mesh.edges()
    return np.linalg.norm(mesh.points[e[:, 1]] - mesh.points[e[:, 0]], axis=1)


def triangle_angles(mesh: LeafletMesh) -> np.ndarray:
    """(M, 3) interior angles, degrees."""
    p = mesh.points[mesh.triangles]
    out = []
    for k in range(3):
        a, b, c = p[:, k], p[:, (k + 1) % 3], p[:, (k + 2) % 3]
        u, v = b - a, c - a
        cos = np.sum(u * v, axis=1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.stack(out, axis=1)


def same_cycle(loop: np.ndarray, expected: np.ndarray) -> bool:
    """Whether ``loop`` is ``expected`` up to where it starts and which way it runs."""
    if len(loop) != len(expected) or set(loop) != set(expected):
        return False
    k = int(np.nonzero(loop == expected[0])[0][0])
    rolled = np.roll(loop, -k)
    return bool(
        np.array_equal(rolled, expected) or np.array_equal(np.roll(rolled[::-1], 1), expected)
    )


def centre_line_length(mesh: LeafletMesh, annulus, landmark: str, label: str) -> float:
    """Length of the mesh's cut along the ruling through ``landmark`` (the centre line)."""
    surface = build_surface(annulus, mesh.spec)
    u = mesh.landmark_u[landmark]
    start = surface.position([u], [0.0])[0]
    direction = surface.ruling(np.array([u]))[0]
    normal = np.cross(direction, [0.0, 0.0, 1.0])
    tm = trimesh.Trimesh(mesh.points, mesh.triangles, process=False)
    segments, faces = trimesh.intersections.mesh_plane(tm, normal, start, return_faces=True)
    keep = mesh.labels[faces] == label
    mid = segments[keep].mean(axis=1) - start
    off_line = np.linalg.norm(mid - np.outer(mid @ direction, direction), axis=1)
    near = segments[keep][off_line < 2.0]
    return float(np.linalg.norm(near[:, 1] - near[:, 0], axis=1).sum())


@pytest.mark.parametrize("resolution", RESOLUTION_NAMES)
def test_mesh_is_one_oriented_manifold_strip(sample_name, resolution, get_leaflets) -> None:
    mesh = get_leaflets(sample_name, resolution)
    tm = trimesh.Trimesh(mesh.points, mesh.triangles, process=False)
    assert tm.is_winding_consistent
    e = mesh.edges()
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(mesh.n_nodes,) * 2)
    assert connected_components(graph, directed=False)[0] == 1
    # Topologically an annulus: V - E + F = 0, two boundary loops.
    assert mesh.n_nodes - len(mesh.edges()) + mesh.n_triangles == 0
    loops = loops_from_edges(boundary_edges(mesh.triangles))
    assert len(loops) == 2
    attached = [lp for lp in loops if set(lp) == set(mesh.attached_nodes)]
    free = [lp for lp in loops if set(lp) == set(mesh.free_edge_nodes)]
    assert len(attached) == 1 and len(free) == 1
    assert same_cycle(attached[0], mesh.attached_nodes)
    assert same_cycle(free[0], mesh.free_edge_nodes)
    # Each undirected edge in at most two triangles, no triangle twice.
    assert len(np.unique(np.sort(mesh.triangles, axis=1), axis=0)) == mesh.n_triangles


@pytest.mark.parametrize("resolution", RESOLUTION_NAMES)
def test_normals_point_to_the_atrium(sample_name, resolution, get_leaflets) -> None:
    normals = get_leaflets(sample_name, resolution).triangle_normals()
    assert normals[:, 2].min() > 0.1


@pytest.mark.parametrize("resolution", RESOLUTION_NAMES)
def test_triangles_are_near_equilateral(sample_name, resolution, get_leaflets) -> None:
    mesh = get_leaflets(sample_name, resolution)
    angles = triangle_angles(mesh)
    assert angles.min() > 30.0
    assert angles.max() < 115.0
    assert np.percentile(angles.min(axis=1), 5) > 40.0
    ideal = np.sqrt(3) / 4 * (0.75 * mesh.max_edge_mm) ** 2
    assert mesh.triangle_areas().min() > 0.3 * ideal


@pytest.mark.parametrize("resolution", RESOLUTION_NAMES)
def test_edge_lengths_within_the_band(sample_name, resolution, get_leaflets) -> None:
    mesh = get_leaflets(sample_name, resolution)
    lengths = edge_lengths(mesh)
    bound = RESOLUTIONS[resolution]
    assert mesh.max_edge_mm == bound
    assert lengths.max() <= bound
    assert lengths.min() >= 0.5 * bound
    assert 0.7 * bound <= lengths.mean() <= 0.8 * bound


@pytest.mark.slow
def test_fine_mesh_has_edges_of_half_a_millimetre_or_less(get_leaflets) -> None:
    fine = get_leaflets("healthy", "fine")
    standard = get_leaflets("healthy", "standard")
    assert edge_lengths(fine).max() <= 0.5
    assert triangle_angles(fine).min() > 30.0
    squared = (RESOLUTIONS["standard"] / RESOLUTIONS["fine"]) ** 2  # nodes go as 1 / edge^2
    assert 0.85 * squared < fine.n_nodes / standard.n_nodes < 1.15 * squared
    assert fine.area_mm2() == pytest.approx(standard.area_mm2(), rel=0.01)


def test_node_counts_grow_as_the_inverse_square_of_the_edge(sample_name, get_leaflets) -> None:
    coarse, standard = (get_leaflets(sample_name, r) for r in RESOLUTION_NAMES)
    ratio = RESOLUTIONS["coarse"] / RESOLUTIONS["standard"]
    assert 0.85 * ratio**2 < standard.n_nodes / coarse.n_nodes < 1.15 * ratio**2
    # Boundary nodes go as the inverse of the edge: spacing <= the bound along the annulus.
    assert len(standard.attached_nodes) == pytest.approx(ratio * len(coarse.attached_nodes), abs=2)
    assert {"healthy": (500, 900), "fmr": (600, 1050)}[sample_name][0] < coarse.n_nodes
    assert coarse.n_nodes < {"healthy": (500, 900), "fmr": (600, 1050)}[sample_name][1]


def test_attached_nodes_lie_exactly_on_the_annulus(sample_name, get_sample, get_leaflets) -> None:
    annulus, _ = get_sample(sample_name)
    mesh = get_leaflets(sample_name, "standard")
    u = mesh.attached_u
    np.testing.assert_allclose(u, np.arange(len(u)) / len(u), atol=1e-15)
    on_curve = annulus.to_valve_frame.apply(annulus.curve.evaluate(u))
    np.testing.assert_allclose(mesh.points[mesh.attached_nodes], on_curve, atol=1e-9)
    # And back in the input frame: the annulus as it was read.
    np.testing.assert_allclose(
        mesh.points_input[mesh.attached_nodes], annulus.curve.evaluate(u), atol=1e-9
    )
    np.testing.assert_allclose(
        annulus.to_valve_frame.apply(mesh.points_input), mesh.points, atol=1e-9
    )
    np.testing.assert_array_equal(mesh.node_depth_mm[mesh.attached_nodes], 0.0)


@pytest.mark.parametrize("resolution", RESOLUTION_NAMES)
def test_centre_line_heights_equal_the_spec(sample_name, resolution, get_sample, get_leaflets):
    annulus, _ = get_sample(sample_name)
    mesh = get_leaflets(sample_name, resolution)
    for landmark, label, height in (
        ("A", "anterior", mesh.spec.anterior_height_mm),
        ("P", "posterior", mesh.spec.posterior_height_mm),
    ):
        length = centre_line_length(mesh, annulus, landmark, label)
        assert length == pytest.approx(height, abs=mesh.max_edge_mm)
    # The free edge hangs at the local height below the annulus, along the rulings.
    free = mesh.free_edge_nodes
    np.testing.assert_allclose(mesh.node_depth_mm[free], mesh.node_height_mm[free])


def test_heights_are_absolute_not_scaled_to_the_annulus(get_sample, get_leaflets) -> None:
    healthy, fmr = get_leaflets("healthy", "standard"), get_leaflets("fmr", "standard")
    for landmark, label in (("A", "anterior"), ("P", "posterior")):
        lengths = [
            centre_line_length(m, get_sample(n)[0], landmark, label)
            for n, m in (("healthy", healthy), ("fmr", fmr))
        ]
        assert lengths[0] == pytest.approx(lengths[1], abs=0.2)
    # The dilated annulus gets more leaflet only through its longer perimeter (1.15x), not
    # through taller leaflets (which would give about its square, 1.32x).
    perimeter_ratio = fmr.perimeter_mm / healthy.perimeter_mm
    area_ratio = fmr.area_mm2() / healthy.area_mm2()
    assert 1.0 < area_ratio < 1.05 * perimeter_ratio < perimeter_ratio**2


def test_labels_and_areas(sample_name, get_leaflets) -> None:
    mesh = get_leaflets(sample_name, "standard")
    assert set(np.unique(mesh.labels)) == set(LABELS)
    anterior, posterior = mesh.area_mm2("anterior"), mesh.area_mm2("posterior")
    # DOMAIN.md: the anterior leaflet is about twice as tall, the areas "about equal";
    # with the samples' commissures the anterior one is the larger.
    assert 1.0 < anterior / posterior < 2.0
    assert mesh.area_mm2("commissural") < 0.2 * mesh.area_mm2()
    assert sum(mesh.area_mm2(lab) for lab in LABELS) == pytest.approx(mesh.area_mm2())
    centroids = mesh.points[mesh.triangles].mean(axis=1)
    assert centroids[mesh.labels == "anterior", 1].mean() > 0  # +y is toward A
    assert centroids[mesh.labels == "posterior", 1].mean() < 0
    assert np.abs(centroids[mesh.labels == "commissural", 0]).min() > 10.0  # at x = +-CC/2


def test_fibres_run_along_the_annulus(sample_name, get_sample, get_leaflets) -> None:
    mesh = get_leaflets(sample_name, "standard")
    f, n = mesh.fibres, mesh.triangle_normals()
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0)
    assert np.abs(np.sum(f * n, axis=1)).max() < 1e-12
    # Perpendicular to the radial direction (the ruling through the triangle).
    surface = build_surface(get_sample(sample_name)[0], mesh.spec)
    radial = surface.ruling(mesh.node_u[mesh.triangles[:, 0]])
    assert np.percentile(np.abs(np.sum(f * radial, axis=1)), 99) < 0.05
    # Along the annulus where they start: compare with its tangent at the nearest attached
    # node, within 3 mm of it (further down the rows follow the leaflet's shape).
    ring = mesh.points[mesh.attached_nodes]
    tangent = np.roll(ring, -1, axis=0) - np.roll(ring, 1, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    u_c = mesh.node_u[mesh.triangles[:, 0]]
    nearest = np.argmin(np.abs(np.mod(u_c[:, None] - mesh.attached_u[None, :] + 0.5, 1) - 0.5), 1)
    near = mesh.node_depth_mm[mesh.triangles].mean(axis=1) < 3.0
    cos = np.abs(np.sum(f[near] * tangent[nearest[near]], axis=1))
    assert cos.min() > 0.9


def test_leaflet_option_parses_heights() -> None:
    spec = LeafletSpec.from_option("anterior=25, posterior=14")
    assert (spec.anterior_height_mm, spec.posterior_height_mm) == (25.0, 14.0)
    assert LeafletSpec.from_option("posterior=12").anterior_height_mm == 23.0
    assert LeafletSpec.from_option("commissural=6").commissural_height_mm == 6.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: LeafletSpec(anterior_height_mm=0.0),
        lambda: LeafletSpec(posterior_height_mm=-3.0),
        lambda: LeafletSpec(anterior_height_mm=float("nan")),
        lambda: LeafletSpec(anterior_height_mm=80.0),
        lambda: LeafletSpec(commissural_height_mm=15.0),
        lambda: LeafletSpec(commissural_width_mm=0.0),
        lambda: LeafletSpec(opening_angle_deg=70.0),
        lambda: LeafletSpec.from_option("anterior=abc"),
        lambda: LeafletSpec.from_option("front=20"),
        lambda: LeafletSpec.from_option("anterior=0"),
    ],
)
def test_bad_leaflet_spec_raises_one_line_input_error(make) -> None:
    with pytest.raises(InputError) as info:
        make()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("resolution", ["medium", "", 0.0, -1.0, float("inf")])
def test_unknown_resolution_raises_one_line_input_error(get_sample, resolution) -> None:
    with pytest.raises(InputError) as info:
        build_leaflets(get_sample("healthy")[0], resolution=resolution)
    assert "\n" not in str(info.value)


def test_leaflets_too_tall_for_the_annulus_raise(get_sample) -> None:
    spec = LeafletSpec(anterior_height_mm=48.0, posterior_height_mm=20.0)
    with pytest.raises(GeometryError, match="too tall") as info:
        build_leaflets(get_sample("healthy")[0], spec, resolution="coarse")
    assert "\n" not in str(info.value)


KAISER = THIRD_PARTY / "kaiser_heart_valves"


@pytest.mark.parametrize(
    "path",
    [
        KAISER / "normal_1_annulus.vtk",
        KAISER / "hcm_d_annulus.vtk",
        THIRD_PARTY / "slicerheart_test" / "mitral_annulus_12pts.mrk.json",
    ],
    ids=lambda p: p.name,
)
def test_real_annuli_give_valid_leaflets(path) -> None:
    annulus = load_annulus(path)
    mesh = build_leaflets(annulus, resolution="coarse")
    tm = trimesh.Trimesh(mesh.points, mesh.triangles, process=False)
    assert tm.is_winding_consistent
    assert len(loops_from_edges(boundary_edges(mesh.triangles))) == 2
    # Atrial side: up, or (where a leaflet hangs straight) toward the orifice, i.e. along the
    # annulus's inward normal at the triangle's ruling.
    ring = mesh.points[mesh.attached_nodes]
    tangent = np.roll(ring, -1, axis=0) - np.roll(ring, 1, axis=0)
    turn = np.sign(
        np.sum(ring[:, 0] * np.roll(ring[:, 1], -1) - np.roll(ring[:, 0], -1) * ring[:, 1])
    )
    inward = turn * np.c_[-tangent[:, 1], tangent[:, 0], np.zeros(len(ring))]
    inward /= np.linalg.norm(inward, axis=1, keepdims=True)
    u_c = mesh.node_u[mesh.triangles[:, 0]]
    nearest = np.argmin(np.abs(np.mod(u_c[:, None] - mesh.attached_u[None, :] + 0.5, 1) - 0.5), 1)
    atrial = inward[nearest] + [0.0, 0.0, 1.0]
    assert np.sum(mesh.triangle_normals() * atrial, axis=1).min() > 0.3
    assert edge_lengths(mesh).max() <= 2.0
    assert triangle_angles(mesh).min() > 25.0


def test_round_annulus_without_landmarks_raises_one_line_error() -> None:
    annulus = load_annulus(KAISER / "mcqueen_diastole_annulus_cm.txt")
    with pytest.raises(GeometryError, match="landmark A") as info:
        build_leaflets(annulus, resolution="coarse")
    assert "\n" not in str(info.value)
