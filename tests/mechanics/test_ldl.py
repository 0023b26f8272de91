"""FreeLDL: solves, proves definiteness from the pivots, reuses the analysis per pattern."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mvplan.mechanics.ldl import FreeLDL


def _spd(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = sp.random(n, n, density=0.1, random_state=rng).toarray()
    return a @ a.T + n * np.eye(n)


def test_solves_the_free_block() -> None:
    h = _spd(30)
    free = np.array([0, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29])
    ldl = FreeLDL(free)
    assert ldl.factor(sp.csr_matrix(h))
    b = np.arange(free.size, dtype=float)
    expected = np.linalg.solve(h[np.ix_(free, free)], b)
    np.testing.assert_allclose(ldl.solve(b), expected, rtol=1e-12)


@pytest.mark.parametrize("lowest", [-1e-3, -5.0])
def test_an_indefinite_matrix_is_reported(lowest: float) -> None:
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    values = np.linspace(1.0, 10.0, 12)
    values[4] = lowest
    h = (q * values) @ q.T
    assert not FreeLDL(np.arange(12)).factor(sp.csr_matrix(h))


def test_a_singular_matrix_is_not_definite_and_a_shift_makes_it_so() -> None:
    h = np.diag([1.0, 2.0, 0.0, 3.0])
    h[0, 1] = h[1, 0] = 0.5
    rows, cols = np.nonzero(np.ones((4, 4)))  # store every entry, zeros included
    m = sp.csr_matrix((h[rows, cols], (rows, cols)), shape=(4, 4))
    ldl = FreeLDL(np.arange(4))
    assert not ldl.factor(m)
    assert ldl.factor(m, shift=1e-6)
    x = ldl.solve(np.array([0.0, 0.0, 1e-6, 0.0]))
    np.testing.assert_allclose(x, [0.0, 0.0, 1.0, 0.0], atol=1e-9)


def test_the_analysis_is_reused_for_the_same_pattern_and_redone_for_another() -> None:
    h = sp.csr_matrix(_spd(20, seed=2))
    ldl = FreeLDL(np.arange(20))
    assert ldl.factor(h)
    solver = ldl._solver
    assert ldl.factor(h * 2.0)
    assert ldl._solver is solver  # numeric update only
    np.testing.assert_allclose(
        ldl.solve(np.ones(20)), np.linalg.solve(2.0 * h.toarray(), np.ones(20))
    )
    other = sp.csr_matrix(_spd(20, seed=3))
    assert ldl.factor(other)
    np.testing.assert_allclose(
        ldl.solve(np.ones(20)), np.linalg.solve(other.toarray(), np.ones(20))
    )


def test_a_pattern_without_its_diagonal_is_refused() -> None:
    h = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    h.eliminate_zeros()
    with pytest.raises(ValueError, match="diagonal"):
        FreeLDL(np.arange(2)).factor(h)
