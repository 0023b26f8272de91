"""Rigid ring as six reduced parameters: exact derivatives, chain rule and Newton solves."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mvplan.mechanics import ConstantForce, Foundation, Springs, Sum, Sutures, solve
from mvplan.mechanics.fdcheck import check_term
from mvplan.mechanics.rigid import RigidReduced, RigidRingMap, rotation_and_derivatives
from mvplan.mechanics.verification_rigid import rigid_ring_invariance, rigid_ring_torque

ROTATIONS = [np.zeros(3), np.array([0.3, -0.2, 0.5]), np.array([2.0, 1.5, -2.2])]


def circle_points(n: int, radius: float, z: float = 0.0) -> np.ndarray:
    angle = 2.0 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(angle), radius * np.sin(angle), z + 0 * angle], axis=1)


@pytest.mark.parametrize("w", ROTATIONS)
def test_rotation_matches_scipy_and_central_differences(w: np.ndarray) -> None:
    rot, d_r, d2_r = rotation_and_derivatives(w)
    np.testing.assert_allclose(rot, Rotation.from_rotvec(w).as_matrix(), atol=1e-14)
    h = 1e-6
    fd1 = [
        (rotation_and_derivatives(w + h * e)[0] - rotation_and_derivatives(w - h * e)[0])
        for e in np.eye(3)
    ]
    fd2 = [
        (rotation_and_derivatives(w + h * e)[1] - rotation_and_derivatives(w - h * e)[1])
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(d_r, np.array(fd1) / (2 * h), atol=1e-8)
    np.testing.assert_allclose(d2_r, np.array(fd2) / (2 * h), atol=1e-8)
    np.testing.assert_array_equal(d2_r, np.swapaxes(d2_r, 0, 1))


def test_rotation_rejects_vectors_beyond_the_series_range() -> None:
    with pytest.raises(ValueError, match="re-base"):
        rotation_and_derivatives([10.0, 0.0, 0.0])


def test_map_reduce_matches_central_differences_of_the_reduced_energy() -> None:
    rng = np.random.default_rng(0)
    rest = circle_points(8, 12.0) + 0.5 * rng.normal(size=(8, 3))
    ring = RigidRingMap(rest)
    np.testing.assert_allclose(ring.positions(np.zeros(6)), rest, atol=1e-14)
    anchors = rest + rng.normal(size=rest.shape)
    energy = Sum(
        [
            Foundation(np.arange(8), anchors, rng.uniform(1, 2, 8)),
            Springs([[0, 4], [1, 6]], [20.0, 18.0], 3.0),
        ]
    )
    q = np.array([0.4, -0.3, 1.0, 0.5, -0.4, 0.9])

    def reduced(qq: np.ndarray) -> float:
        return energy.value(ring.positions(qq))

    x = ring.positions(q)
    g, hess = ring.reduce(q, energy.gradient(x), energy.hessian(x))
    h = 1e-5
    g_fd = np.array([(reduced(q + h * e) - reduced(q - h * e)) / (2 * h) for e in np.eye(6)])
    h_fd = np.array(
        [
            ring.reduce(q + h * e, energy.gradient(ring.positions(q + h * e)), energy.hessian(x))[0]
            - ring.reduce(q - h * e, energy.gradient(ring.positions(q - h * e)), energy.hessian(x))[
                0
            ]
            for e in np.eye(6)
        ]
    ) / (2 * h)
    np.testing.assert_allclose(g, g_fd, rtol=1e-7, atol=1e-7 * np.abs(g_fd).max())
    np.testing.assert_allclose(hess, h_fd, rtol=1e-6, atol=1e-6 * np.abs(h_fd).max())
    dense = ring.reduce(q, energy.gradient(x), energy.hessian(x).toarray())
    np.testing.assert_allclose(dense[1], hess, atol=1e-12 * np.abs(hess).max())


def annuloplasty(n: int = 24) -> tuple[Sum, np.ndarray, np.ndarray, np.ndarray, float]:
    """An annulus (nodes 0..n-1, on a foundation) sutured to a smaller ring (nodes n..2n-1)."""
    annulus, ring = circle_points(n, 15.0), circle_points(n, 13.0, z=1.0)
    x0 = np.concatenate([annulus, ring])
    edges = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    lengths = np.linalg.norm(annulus[edges[:, 1]] - annulus[edges[:, 0]], axis=1)
    pairs = np.stack([np.arange(n), n + np.arange(n)], axis=1)
    sutures = Sutures(pairs, np.tile([1.0, -1.0], (n, 1)), 0.5)
    energy = Sum([Springs(edges, lengths, 2.0), Foundation(np.arange(n), annulus, 1.0), sutures])
    load_norm = 0.5 * 2.0 * np.sqrt(n)
    return energy, x0, annulus, ring, load_norm


@pytest.mark.parametrize("seed", [0, 1])
def test_reduced_energy_matches_central_differences(seed: int) -> None:
    energy, x0, _, ring, _ = annuloplasty(8)
    reduced = RigidReduced(energy, 16, np.arange(8, 16), RigidRingMap(ring))
    rng = np.random.default_rng(seed)
    y = reduced.reduced(x0 + 0.3 * rng.normal(size=x0.shape), rng.normal(size=6) * 0.5)
    grad_error, hess_error = check_term(reduced, y)
    assert grad_error < 1e-6 and hess_error < 1e-5
    p = reduced.hessian(y, project=True).toarray()
    assert np.linalg.eigvalsh(p).min() >= -1e-10 * np.abs(p).max()


def test_tilted_rigid_ring_returns_to_the_symmetric_pose_with_newton() -> None:
    energy, x0, _, ring, load_norm = annuloplasty()
    reduced = RigidReduced(energy, x0.shape[0], np.arange(24, 48), RigidRingMap(ring))
    tilt = Rotation.from_euler("x", 30, degrees=True).as_rotvec()
    y0 = reduced.reduced(x0, np.concatenate([[2.0, -1.0, 3.0], tilt]))
    result = solve(reduced, y0, load_norm=load_norm)
    assert result.converged and result.residual <= 1e-8
    assert all(step.hessian == "exact" for step in result.history[:-1])  # quadratic, no fallback
    q = reduced.parameters(result.x)
    # By symmetry the ring ends centred and level; its sutures then carry no net z force, so it
    # drops to the annulus plane z = 0 (t_z = -1), where the annulus is not pulled out of plane.
    np.testing.assert_allclose(q, [0, 0, -1, 0, 0, 0], atol=1e-7)
    x = reduced.expand(result.x)
    radius = np.linalg.norm(x[:24, :2], axis=1)
    assert np.ptp(radius) < 1e-7 and 13.0 < radius.mean() < 15.0
    # Net force and moment on the rigid ring vanish: the reduced residual rows.
    g = reduced.gradient(result.x)
    assert np.abs(g[-6:]).max() <= 1e-8 * load_norm


def test_dead_load_on_a_rigid_ring_on_a_foundation_translates_it_by_f_over_nk() -> None:
    n, k = 16, 0.7
    rest = circle_points(n, 10.0)
    force = np.array([0.3, -0.2, 0.5])
    energy = Sum([Foundation(np.arange(n), rest, k), ConstantForce(np.tile(force / n, (n, 1)))])
    reduced = RigidReduced(energy, n, np.arange(n), RigidRingMap(rest))
    tilt = Rotation.from_euler("xy", [30, -20], degrees=True).as_rotvec()
    result = solve(reduced, reduced.reduced(rest, np.concatenate([[0, 0, 0], tilt])), load_norm=1.0)
    assert result.converged
    np.testing.assert_allclose(
        reduced.parameters(result.x), [*(force / (n * k)), 0, 0, 0], atol=1e-9
    )


def test_rigid_ring_verifications_pass_and_can_fail() -> None:
    torque = rigid_ring_torque()
    assert torque.passed and torque.error < 1e-9
    assert torque.details["rotation"][2] == pytest.approx(np.radians(40.0), rel=1e-9)
    assert not rigid_ring_torque(tolerance=0.0).passed
    invariance = rigid_ring_invariance()
    assert invariance.passed and invariance.error < 1e-12
