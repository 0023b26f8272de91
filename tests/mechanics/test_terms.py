"""Energy terms: exact derivatives, symmetry, projection, invariance and closed-form behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.transform import Rotation

from mvplan.mechanics import (
    BlockPattern,
    ConstantForce,
    DiscreteBending,
    Foundation,
    Springs,
    Sum,
    Sutures,
)
from mvplan.mechanics.fdcheck import check_term, sample_terms
from mvplan.mechanics.springs import cable_profile

TERM_NAMES = list(sample_terms())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", TERM_NAMES)
def test_gradient_and_hessian_match_central_differences(name: str, seed: int) -> None:
    term, x = sample_terms(seed)[name]
    grad_error, hess_error = check_term(term, x)
    assert grad_error < 1e-6
    assert hess_error < 1e-5


def test_sum_matches_central_differences_and_the_sum_of_its_terms() -> None:
    samples = sample_terms(3)
    x = next(iter(samples.values()))[1]  # any configuration serves to check a sum
    terms = [term for term, _ in samples.values()]
    total = Sum([*terms, ConstantForce(np.ones_like(x))])
    grad_error, hess_error = check_term(total, x)
    assert grad_error < 1e-6 and hess_error < 1e-5
    separate = sum(term.hessian(x).toarray() for term in terms)
    np.testing.assert_allclose(total.hessian(x).toarray(), separate, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", TERM_NAMES)
def test_hessians_are_symmetric_and_projections_psd(name: str) -> None:
    term, x = sample_terms(4)[name]
    h = term.hessian(x).toarray()
    scale = np.abs(h).max()
    assert np.abs(h - h.T).max() <= 1e-12 * scale
    p = term.hessian(x, project=True).toarray()
    assert np.abs(p - p.T).max() <= 1e-12 * scale
    assert np.linalg.eigvalsh(p).min() >= -1e-10 * scale
    for block in term.element_hessians(x, project=True)[0]:
        assert np.linalg.eigvalsh(block).min() >= -1e-10 * scale


def test_projection_keeps_psd_hessians_unchanged() -> None:
    x = np.array([[0.0, 0, 0], [2.0, 0, 0]])
    taut = Springs([[0, 1]], 1.0, 3.0)
    np.testing.assert_allclose(taut.hessian(x, project=True).toarray(), taut.hessian(x).toarray())
    compressed = Springs([[0, 1]], 3.0, 3.0)
    assert np.linalg.eigvalsh(compressed.hessian(x).toarray()).min() < -1.0
    eig = np.linalg.eigvalsh(compressed.hessian(x, project=True).toarray())
    np.testing.assert_allclose(np.sort(eig), [0, 0, 0, 0, 0, 6.0], atol=1e-12)


def _rigid(x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rotation = Rotation.random(random_state=seed).as_matrix()
    shift = np.random.default_rng(seed).normal(size=3) * 10.0
    return x @ rotation.T + shift, rotation, shift


@pytest.mark.parametrize("name", ["springs", "cables", "sutures", "bending-open", "bending-closed"])
def test_energy_is_invariant_and_gradient_covariant_under_rigid_motions(name: str) -> None:
    term, x = sample_terms(5)[name]
    for seed in range(3):
        moved, rotation, _ = _rigid(x, seed)
        assert term.value(moved) == pytest.approx(term.value(x), rel=1e-10)
        g = term.gradient(x).reshape(-1, 3)
        np.testing.assert_allclose(
            term.gradient(moved).reshape(-1, 3), g @ rotation.T, atol=1e-9 * np.abs(g).max()
        )


def test_foundation_and_fixed_sutures_are_invariant_when_anchors_move_along() -> None:
    rng = np.random.default_rng(6)
    x, anchors, normals = rng.normal(size=(3, 5, 3))
    args = (np.arange(5), rng.uniform(1, 2, 5), rng.uniform(0, 1, 5))
    moved, rotation, shift = _rigid(x, 1)
    a = Foundation(args[0], anchors, args[1], args[2], normals)
    b = Foundation(args[0], anchors @ rotation.T + shift, args[1], args[2], normals @ rotation.T)
    assert b.value(moved) == pytest.approx(a.value(x), rel=1e-12)
    points = rng.normal(size=(2, 3))
    s1 = Sutures.to_points([[0, 1], [2, 3]], [0.2, 0.6], points, 4.0)
    s2 = Sutures.to_points([[0, 1], [2, 3]], [0.2, 0.6], points @ rotation.T + shift, 4.0)
    assert s2.value(moved) == pytest.approx(s1.value(x), rel=1e-12)


def test_cable_profile_is_c2_tension_only_and_exact_outside_the_band() -> None:
    h = np.array([0.2])
    for edge in (-0.1, 0.1):  # the band edges +-h/2
        left = cable_profile(np.array([edge - 1e-9]), h)
        right = cable_profile(np.array([edge + 1e-9]), h)
        for lo, hi in zip(left, right, strict=True):
            assert abs(lo[0] - hi[0]) < 1e-8
    s = np.array([-1.0, -0.1, 0.1, 1.0])
    g0, g1, g2 = cable_profile(s, np.full(4, 0.2))
    np.testing.assert_allclose(g1, [0.0, 0.0, 0.1, 1.0])
    np.testing.assert_allclose(g0[[0, 3]], [0.0, 0.5 + 0.2**2 / 24])
    np.testing.assert_allclose(g2, [0.0, 0.0, 1.0, 1.0])
    cable = Springs([[0, 1]], 10.0, 2.0, tension_only=True)  # default width 0.1 mm
    x = np.array([[0.0, 0, 0], [10.5, 0, 0]])
    assert cable.tensions(x)[0] == pytest.approx(1.0)
    assert cable.value(np.array([[0.0, 0, 0], [9.0, 0, 0]])) == 0.0


def test_suture_gap_and_force_interpolate_the_two_polylines() -> None:
    x = np.array([[0.0, 0, 0], [4.0, 0, 0], [0.0, 3, 0], [0.0, 3, 8]])
    sutures = Sutures.between([[0, 1]], [0.25], [[2, 3]], [0.5], 2.0)
    np.testing.assert_allclose(sutures.gaps(x), [[1.0, -3.0, -4.0]])
    assert sutures.forces(x)[0] == pytest.approx(2.0 * np.sqrt(26.0))
    assert sutures.value(x) == pytest.approx(26.0)


def test_anisotropic_foundation_resists_along_the_normal_only_with_kn() -> None:
    f = Foundation([0], [[0.0, 0, 0]], 5.0, 1.0, [[0.0, 0, 2]])
    np.testing.assert_allclose(f.gradient(np.array([[1.0, 2, 3]])), [1.0, 2.0, 15.0])


def test_arc_bending_energy_matches_the_continuum_value() -> None:
    # A straight rod bent onto an arc of radius R: E = EI/2 * (1/R)^2 * (bent length).
    n, radius, ei = 100, 5.0, 3.0
    angle = np.linspace(0.0, 1.5 * np.pi, n + 1)
    arc = radius * np.stack([np.cos(angle), np.sin(angle), 0 * angle], axis=1)
    spacing = np.linalg.norm(arc[1] - arc[0])
    straight = np.outer(np.arange(n + 1), [spacing, 0, 0])
    bending = DiscreteBending(np.arange(n + 1), straight, ei)
    bent_length = (n - 1) * spacing  # the Voronoi cells of the interior vertices
    expected = 0.5 * ei / radius**2 * bent_length
    assert bending.value(arc) == pytest.approx(expected, rel=1e-3)
    assert bending.value(arc) != pytest.approx(expected, rel=1e-6)  # O(h^2) away, not equal


def test_bending_rejects_a_folded_rest_shape() -> None:
    with pytest.raises(ValueError, match="folds back"):
        DiscreteBending([0, 1, 2], [[0.0, 0, 0], [1.0, 0, 0], [0.0, 0, 0]], 1.0)


def test_block_pattern_assembly_matches_a_coo_build_and_is_reused() -> None:
    rng = np.random.default_rng(0)
    dofs = [rng.integers(0, 30, size=(7, 6)), rng.integers(0, 30, size=(4, 9))]
    blocks = [rng.normal(size=(7, 6, 6)), rng.normal(size=(4, 9, 9))]
    pattern = BlockPattern(dofs, 30)
    rows = np.concatenate([np.repeat(d, d.shape[1], axis=1).ravel() for d in dofs])
    cols = np.concatenate([np.tile(d, (1, d.shape[1])).ravel() for d in dofs])
    data = np.concatenate([b.ravel() for b in blocks])
    expected = sp.coo_matrix((data, (rows, cols)), shape=(30, 30)).toarray()
    np.testing.assert_allclose(pattern.assemble(blocks).toarray(), expected, atol=1e-12)
    term, x = sample_terms(0)["bending-closed"]
    first = term.hessian(x)
    assert term.hessian(2 * x).indices is not first.indices  # new values, same pattern
    np.testing.assert_array_equal(term.hessian(2 * x).indices, first.indices)
