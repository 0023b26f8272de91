"""The floating elastic ring: exact reduced derivatives, PSD Hessians and rigid-motion behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mvplan.mechanics import ElasticRing, Springs, Sum, Sutures, frame_stiffness
from mvplan.mechanics.fdcheck import check_term

R_NODES = 8  # ring nodes (even node indices)
M_NODES = 8  # other nodes (odd node indices)


def _ring_points(r: int = R_NODES) -> np.ndarray:
    angle = 2 * np.pi * np.arange(r) / r
    return np.stack([12 * np.cos(angle), 10 * np.sin(angle), 1.0 * np.sin(2 * angle)], axis=1)


def _system(seed: int = 0, tension_only_springs: bool = False) -> tuple[ElasticRing, np.ndarray]:
    """A ring sutured to a loop of other nodes tied by springs; and positions ``x (n, 3)``."""
    rng = np.random.default_rng(seed)
    rest = _ring_points()
    n = R_NODES + M_NODES
    ring_nodes = 2 * np.arange(R_NODES)
    other = 2 * np.arange(M_NODES) + 1
    x = np.zeros((n, 3))
    x[ring_nodes] = rest
    x[other] = 1.2 * rest + rng.normal(scale=0.5, size=(M_NODES, 3))
    loop = np.stack([other, np.roll(other, -1)], axis=1)
    lengths = np.linalg.norm(x[loop[:, 1]] - x[loop[:, 0]], axis=1)
    rest_lengths = (
        0.5 * lengths if tension_only_springs else lengths * rng.uniform(0.7, 1.3, M_NODES)
    )
    ring_segments = np.stack([ring_nodes, np.roll(ring_nodes, -1)], axis=1)
    other_segments = np.stack([other, np.roll(other, -1)], axis=1)
    energy = Sum(
        [
            Sutures.between(
                ring_segments,
                rng.uniform(size=R_NODES),
                other_segments,
                rng.uniform(size=M_NODES),
                rng.uniform(0.5, 2.0, R_NODES),
            ),
            Springs(loop, rest_lengths, rng.uniform(1.0, 3.0, M_NODES)),
        ]
    )
    k = frame_stiffness(rest, closed=True, up=[0, 0, 1], ea=50.0, gj=3.0, ei_in=8.0, ei_out=5.0)
    return ElasticRing(energy, n, ring_nodes, rest, k, pinned=2), x


def _state(ring: ElasticRing, x: np.ndarray, seed: int = 1) -> np.ndarray:
    """A reduced state with small elastic parts and a rotation of 0.3 rad."""
    rng = np.random.default_rng(seed)
    y = ring.reduced(x)
    r = ring.ring_nodes.size
    m = ring.other_nodes.size
    y[:m] += rng.normal(scale=0.3, size=(m, 3))
    y[m : m + r] = 0.1 * rng.normal(size=(r, 3))
    y[m + r : m + 2 * r] = 0.05 * rng.normal(size=(r, 3))
    y[-2] = rng.normal(size=3)
    axis = rng.normal(size=3)
    y[-1] = 0.3 * axis / np.linalg.norm(axis)
    return y


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_and_hessian_match_central_differences(seed: int) -> None:
    ring, x = _system(seed)
    y = _state(ring, x, seed + 10).ravel()
    grad_error, hess_error = check_term(ring, y, step=1e-5)
    assert grad_error < 1e-6
    assert hess_error < 1e-6
    hess = ring.hessian(y).toarray()
    assert np.abs(hess - hess.T).max() <= 1e-12 * np.abs(hess).max()
    # The rotation really is large and the w-u coupling really matters.
    w0 = 3 * (ring.n_reduced - 1)
    assert np.abs(hess[w0 : w0 + 3, 3 * ring._u0 : 3 * ring._t]).max() > 1e-3


def _min_max_eig(h: np.ndarray) -> tuple[float, float]:
    eig = np.linalg.eigvalsh(0.5 * (h + h.T))
    return float(eig.min()), float(np.abs(eig).max())


def test_projected_hessian_is_positive_semi_definite() -> None:
    ring, x = _system(0)
    y = _state(ring, x)
    lo, hi = _min_max_eig(ring.hessian(y, project=True).toarray())
    assert lo > -1e-9 * hi
    # The exact one is not (compressed springs, rotation curvature): projection does something.
    lo_exact, _ = _min_max_eig(ring.hessian(y).toarray())
    assert lo_exact < -1e-9 * hi


def test_hold_frame_hessian_is_positive_semi_definite() -> None:
    ring, x = _system(0, tension_only_springs=True)
    y = _state(ring, x)
    free = ring.free_mask(hold_frame=True)
    assert not free[-2:].any() and free[:-2].all()
    dofs = np.flatnonzero(np.repeat(free, 3))
    h = ring.hessian(y).toarray()[np.ix_(dofs, dofs)]
    lo, hi = _min_max_eig(h)
    assert lo > -1e-9 * hi


def test_default_free_mask_pins_one_node_and_frees_the_frame() -> None:
    ring, _ = _system(0)
    free = ring.free_mask()
    assert free[-2:].all()
    assert not free[ring._u0 + 2] and not free[ring._th0 + 2]
    assert free.sum() == ring.n_reduced - 2


def test_expand_of_reduced_reproduces_positions() -> None:
    ring, x = _system(0)
    assert ring.n_reduced == M_NODES + 2 * R_NODES + 2
    np.testing.assert_allclose(ring.expand(ring.reduced(x)), x, atol=1e-12)
    u, theta, t, w = ring.parts(ring.reduced(x))
    assert not (u.any() or theta.any() or t.any() or w.any())


def test_pure_rigid_motion_stores_no_ring_energy() -> None:
    ring, x = _system(0)
    y = ring.reduced(x)
    shift, rotvec = np.array([1.0, -2.0, 0.5]), np.array([0.4, -0.9, 1.3])
    y[-2], y[-1] = shift, rotvec
    assert ring.ring_energy(y) == 0.0
    assert ring.max_relative_rotation(y) == 0.0
    rest = ring.rest_points
    centre = rest.mean(axis=0)
    moved = Rotation.from_rotvec(rotvec).apply(rest - centre) + centre + shift
    np.testing.assert_allclose(ring.expand(y)[ring.ring_nodes], moved, atol=1e-12)
    assert ring.value(y) == pytest.approx(ring.energy.value(ring.expand(y)), rel=1e-14)


def test_elastic_parts_store_ring_energy_and_report_rotation() -> None:
    ring, x = _system(0)
    y = _state(ring, x)
    _, theta, _, _ = ring.parts(y)
    assert ring.ring_energy(y) > 0.0
    assert ring.max_relative_rotation(y) == pytest.approx(np.linalg.norm(theta, axis=1).max())
