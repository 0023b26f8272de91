"""Pressure as a volume potential: exact derivatives, closed-surface volumes, sign convention and
the measured difference from a follower load on open surfaces."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.geometry.topology import boundary_edges, loops_from_edges, vector_area
from mvplan.mechanics import Springs, Sum, solve
from mvplan.mechanics.fdcheck import check_term
from mvplan.mechanics.pressure import (
    PressureVolume,
    follower_error,
    follower_forces,
    triangle_vector_areas,
)
from mvplan.mechanics.shell_bending import ShellBending


def grid_triangles(n: int, m: int) -> np.ndarray:
    """Triangles of an ``(n + 1) x (m + 1)`` node grid (node ``a (m + 1) + b``), CCW in (u, v)."""
    a, b = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    p = (a * (m + 1) + b).ravel()
    q, r, s = p + m + 1, p + m + 2, p + 1
    return np.concatenate([np.stack([p, q, r], 1), np.stack([p, r, s], 1)])


def grid_points(n: int, m: int, width: float, length: float) -> np.ndarray:
    u, v = np.meshgrid(np.linspace(0, width, n + 1), np.linspace(0, length, m + 1), indexing="ij")
    return np.stack([u.ravel(), v.ravel(), np.zeros(u.size)], axis=1)


def saddle_patch(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A curved open patch over [-2, 2]^2 mm (normals toward +z)."""
    x = grid_points(n, n, 4.0, 4.0) - [2.0, 2.0, 0.0]
    x[:, 2] = 0.3 * x[:, 0] ** 2 - 0.2 * x[:, 1] ** 2 + 0.1 * x[:, 0] * x[:, 1]
    return x, grid_triangles(n, n)


def box_surface(sides: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A closed box (12 outward triangles) with a corner at the origin."""
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], float)
    x = corners * np.asarray(sides)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tri = [t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))]
    return x, np.array(tri)


def disc(rings: int, sectors: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """A flat polar disc in z = 0 (normals +z): centre node 0, then rings of ``sectors`` nodes."""
    angles = 2 * np.pi * np.arange(sectors) / sectors
    pts = [np.zeros(3)]
    for r in range(1, rings + 1):
        rho = radius * r / rings
        pts.extend(np.stack([rho * np.cos(angles), rho * np.sin(angles), 0 * angles], 1))
    tri = []
    for s in range(sectors):
        t = (s + 1) % sectors
        tri.append((0, 1 + s, 1 + t))
        for r in range(1, rings):
            i0, i1 = 1 + (r - 1) * sectors, 1 + r * sectors
            tri.extend([(i0 + s, i1 + s, i1 + t), (i0 + s, i1 + t, i0 + t)])
    return np.array(pts), np.array(tri)


def funnel(free_radius: float, sectors: int = 48, rows: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """A leaflet-like funnel: annulus radius 15 mm at z = 0 (nodes ``:sectors``), free edge of
    ``free_radius`` at z = -12 mm (the last ``sectors`` nodes); normals toward +z (atrium)."""
    t = np.repeat(np.linspace(0.0, 1.0, rows + 1), sectors)
    angle = np.tile(2 * np.pi * np.arange(sectors) / sectors, rows + 1)
    rho = 15.0 + (free_radius - 15.0) * t
    x = np.stack([rho * np.cos(angle), rho * np.sin(angle), -12.0 * t], axis=1)
    i, j = np.meshgrid(np.arange(rows), np.arange(sectors), indexing="ij")
    p, q = (i * sectors + j).ravel(), (i * sectors + (j + 1) % sectors).ravel()
    r, s = q + sectors, p + sectors
    return x, np.concatenate([np.stack([p, r, s], 1), np.stack([p, q, r], 1)])


def interior_mask(tri: np.ndarray, n: int) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    mask[boundary_edges(tri).ravel()] = False
    return mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_and_hessian_match_central_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, tri = saddle_patch()
    x = x + 0.2 * rng.normal(size=x.shape)
    apex = rng.normal(size=3) * 5.0 + [0.0, 0.0, 8.0]
    for pressure in (0.016, rng.uniform(0.5, 1.5, tri.shape[0])):
        grad_error, hess_error = check_term(PressureVolume(tri, pressure, apex), x)
        assert grad_error < 1e-7
        assert hess_error < 1e-7


@pytest.mark.parametrize("apex", [(0.5, 0.5, 0.5), (0.0, 0.0, 0.0), (30.0, -20.0, 7.0)])
def test_closed_volume_is_exact_and_independent_of_the_apex(apex: tuple[float, ...]) -> None:
    x, tri = box_surface((2.0, 3.0, 5.0))
    term = PressureVolume(tri, 0.016, apex)
    reference = PressureVolume(tri, 0.016, (1.0, 1.5, 2.5))
    assert term.volume(x) == pytest.approx(30.0, rel=1e-14)
    assert term.value(x) == pytest.approx(-0.016 * 30.0, rel=1e-14)
    rng = np.random.default_rng(0)
    moved = x + 0.3 * rng.normal(size=x.shape)
    assert term.volume(moved) == pytest.approx(reference.volume(moved), rel=1e-12)
    forces = term.nodal_forces(moved)
    np.testing.assert_allclose(forces, reference.nodal_forces(moved), atol=1e-14)
    np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=1e-15)  # no resultant
    torque = np.cross(moved, forces).sum(axis=0)
    np.testing.assert_allclose(torque, 0.0, atol=1e-14)  # nor moment
    # On a closed surface the volume potential *is* the follower load.
    np.testing.assert_allclose(forces, follower_forces(moved, tri, 0.016), atol=1e-15)


def test_positive_pressure_pushes_along_the_right_hand_normals() -> None:
    x, tri = box_surface((2.0, 2.0, 2.0))
    outward = x - x.mean(axis=0)
    term = PressureVolume(tri, 0.016, (5.0, 5.0, 5.0))
    assert term.volume(x) > 0.0
    assert np.all(np.einsum("ij,ij->i", term.nodal_forces(x), outward) > 0.0)  # inflates
    assert term.value(1.01 * x) < term.value(x)
    flipped = PressureVolume(tri[:, ::-1], 0.016, (5.0, 5.0, 5.0))
    assert flipped.volume(x) == pytest.approx(-8.0)
    assert np.all(np.einsum("ij,ij->i", flipped.nodal_forces(x), outward) < 0.0)
    # An open patch with +z normals is pushed toward +z at its interior nodes, apex above or below.
    patch, ptri = saddle_patch()
    inner = interior_mask(ptri, patch.shape[0])
    for apex_z in (10.0, -10.0):
        forces = PressureVolume(ptri, 0.016, (0.0, 0.0, apex_z)).nodal_forces(patch)
        assert np.all(forces[inner, 2] > 0.0)


@pytest.mark.parametrize("apex", [(0.0, 0.0, 10.0), (3.0, -1.0, -6.0), (40.0, 40.0, 0.0)])
def test_interior_nodes_feel_the_follower_load_exactly(apex: tuple[float, ...]) -> None:
    rng = np.random.default_rng(1)
    x, tri = saddle_patch(6)
    x = x + 0.1 * rng.normal(size=x.shape)
    error = follower_error(x, tri, 0.016, apex)
    inner = interior_mask(tri, x.shape[0])
    scale = np.abs(follower_forces(x, tri, 0.016)).max()
    assert np.abs(error.force_difference[inner]).max() < 1e-13 * max(scale, 1.0)
    assert np.abs(error.force_difference[~inner]).max() > 1e-4  # the boundary does feel it
    held = follower_error(x, tri, 0.016, apex, free=inner)
    assert held.relative < 1e-12 and held.max_nodal < 1e-15


def test_boundary_difference_is_the_pressure_on_the_closing_cone() -> None:
    rng = np.random.default_rng(2)
    x, tri = saddle_patch(5)
    x = x + 0.1 * rng.normal(size=x.shape)
    apex, p = np.array([1.0, -2.0, 9.0]), 0.016
    expected = np.zeros_like(x)
    for b, c in boundary_edges(tri):  # cone triangle (apex, c, b) closes the boundary edge b -> c
        cone = 0.5 * np.cross(x[c] - apex, x[b] - apex)
        expected[b] += p * cone / 3.0
        expected[c] += p * cone / 3.0
    error = follower_error(x, tri, p, apex)
    np.testing.assert_allclose(error.force_difference, expected, atol=1e-15)
    # ... and the resultants differ by -(2/3) p S, S the mesh's vector area.
    s_mesh = triangle_vector_areas(x, tri).sum(axis=0)
    (loop,) = loops_from_edges(boundary_edges(tri))
    np.testing.assert_allclose(s_mesh, vector_area(x[loop]), rtol=1e-12)
    np.testing.assert_allclose(error.resultant_difference, -2.0 / 3.0 * p * s_mesh, atol=1e-15)


def test_flat_disc_forces_add_up_to_a_third_of_the_follower_resultant() -> None:
    x, tri = disc(rings=4, sectors=24, radius=10.0)
    p = 0.016
    area = 0.5 * 24 * 100.0 * np.sin(2 * np.pi / 24)  # the inscribed 24-gon
    for apex in ((0.0, 0.0, 12.0), (5.0, -3.0, 12.0), (0.0, 0.0, -4.0)):
        term = PressureVolume(tri, p, apex)
        np.testing.assert_allclose(
            term.nodal_forces(x).sum(axis=0), [0, 0, p * area / 3], atol=1e-13
        )
        error = follower_error(x, tri, p, apex)
        np.testing.assert_allclose(
            error.resultant_difference, [0, 0, -2 * p * area / 3], atol=1e-13
        )
    np.testing.assert_allclose(follower_forces(x, tri, p).sum(axis=0), [0, 0, p * area], atol=1e-13)
    # The error grows with the apex's distance from the free boundary.
    near = follower_error(x, tri, p, (0.0, 0.0, 2.0))
    far = follower_error(x, tri, p, (0.0, 0.0, 20.0))
    assert far.max_nodal > 2.0 * near.max_nodal and far.relative > near.relative > 0.0


def test_free_edge_error_presses_on_the_orifice_and_the_apex_sets_its_radial_part() -> None:
    p, sectors = 0.016, 48
    x, tri = funnel(8.0, sectors)
    assert triangle_vector_areas(x, tri).sum(axis=0)[2] > 0.0  # normals toward the atrium
    edge = np.arange(x.shape[0] - sectors, x.shape[0])
    orifice = vector_area(x[edge])[2]  # the free-edge polygon's area, mm^2
    radial_dir = x[edge, :2] / np.linalg.norm(x[edge, :2], axis=1, keepdims=True)
    radial = {}
    for apex_z in (10.0, -12.0, -20.0):
        diff = follower_error(x, tri, p, (0.0, 0.0, apex_z)).force_difference[edge]
        np.testing.assert_allclose(diff.sum(axis=0), [0, 0, 2 * p * orifice / 3], atol=1e-13)
        radial[apex_z] = np.einsum("ij,ij->i", diff[:, :2], radial_dir)
    assert np.all(radial[10.0] > 0.0)  # atrial apex: opens the orifice
    np.testing.assert_allclose(radial[-12.0], 0.0, atol=1e-15)  # apex in the free edge's plane
    assert np.all(radial[-20.0] < 0.0)  # below the free edge: pulls it inward
    free = np.ones(x.shape[0], dtype=bool)
    free[:sectors] = False  # the annulus is held
    atrial = follower_error(x, tri, p, (0.0, 0.0, 10.0), free=free).relative
    centred = follower_error(x, tri, p, (0.0, 0.0, -12.0), free=free).relative
    closing = follower_error(*funnel(1.0, sectors), p, (0.0, 0.0, -12.0), free=free).relative
    assert atrial > 2.0 * centred > 0.0 and closing < 0.2 * centred


def test_hessian_is_symmetric_and_indefinite_and_its_projection_is_zero() -> None:
    x, tri = saddle_patch()
    term = PressureVolume(tri, 0.016, (0.0, 0.0, 10.0))
    h = term.hessian(x).toarray()
    assert np.abs(h - h.T).max() <= 1e-15
    eig = np.linalg.eigvalsh(h)
    assert eig.min() < -1e-3 and eig.max() > 1e-3
    (blocks,) = term.element_hessians(x)
    np.testing.assert_allclose(np.trace(blocks, axis1=1, axis2=2), 0.0, atol=1e-16)
    projected = term.hessian(x, project=True)
    assert projected.nnz == term.hessian(x).nnz  # same pattern, all zeros
    assert np.abs(projected.toarray()).max() == 0.0


def test_element_energies_volume_and_load_norm() -> None:
    x, tri = box_surface((1.0, 1.0, 1.0))
    term = PressureVolume(tri, 2.0, (0.2, 0.3, 0.4))
    assert term.element_values(x).sum() == pytest.approx(-2.0)
    free = np.zeros(8, dtype=bool)
    free[0] = True
    assert term.load_norm(x, free) == pytest.approx(np.linalg.norm(term.nodal_forces(x)[0]))
    assert term.load_norm(x) == pytest.approx(np.linalg.norm(term.nodal_forces(x)))
    with pytest.raises(ValueError, match="shape"):
        PressureVolume(tri, np.ones(3), (0, 0, 0))
    with pytest.raises(ValueError, match="shape"):
        PressureVolume(tri[:, :2], 1.0, (0, 0, 0))
    with pytest.raises(ValueError, match="finite"):
        PressureVolume(tri, 1.0, (0, np.nan, 0))


def test_with_the_boundary_held_the_apex_does_not_change_the_solution() -> None:
    # A clamped plate (edge springs as a membrane stand-in, plate bending) under 0.016 MPa:
    # the volume potential differs from the follower load only at held nodes, so two apexes
    # give the same equilibrium, and it bulges along +z (the triangles' normals).
    n = 6
    x0 = grid_points(n, n, 6.0, 6.0)
    tri = grid_triangles(n, n)
    edges = np.unique(
        np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), 1), axis=0
    )
    lengths = np.linalg.norm(x0[edges[:, 1]] - x0[edges[:, 0]], axis=1)
    free = interior_mask(tri, x0.shape[0])
    solutions = []
    for apex in ((3.0, 3.0, 10.0), (-20.0, 8.0, 4.0)):
        pressure = PressureVolume(tri, 0.016, apex)
        energy = Sum([Springs(edges, lengths, 2.0), ShellBending(tri, x0, 0.4), pressure])
        result = solve(energy, x0, free, load_norm=pressure.load_norm(x0, free))
        assert result.converged
        solutions.append(result.x)
    np.testing.assert_allclose(solutions[0], solutions[1], atol=1e-9)
    assert solutions[0][free, 2].min() > 0.0
