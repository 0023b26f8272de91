"""Linear (quadratic) bending: exact derivatives, rest and translation, closed-form energies."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.mechanics import LinearBending
from mvplan.mechanics.fdcheck import check_term


def _wavy(n: int, closed: bool) -> np.ndarray:
    angle = 2 * np.pi * np.arange(n) / (n if closed else 1.5 * n)
    return np.stack([10 * np.cos(angle), 8 * np.sin(angle), np.sin(3 * angle)], axis=1)


@pytest.mark.parametrize("closed", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_and_hessian_match_central_differences(closed: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 9
    rest = _wavy(n, closed)
    nodes = rng.permutation(n + 3)[:n]  # the curve need not be the first nodes, nor in order
    term = LinearBending(nodes, rest, rng.uniform(1.0, 3.0, n), closed=closed)
    x = 3.0 * rng.normal(size=(n + 3, 3))
    grad_error, hess_error = check_term(term, x)
    assert grad_error < 1e-6 and hess_error < 1e-6


@pytest.mark.parametrize("closed", [False, True])
def test_zero_at_rest_and_under_translation_with_constant_psd_hessian(closed: bool) -> None:
    rest = _wavy(8, closed)
    term = LinearBending(np.arange(8), rest, 2.5, closed=closed)
    shifted = rest + np.array([3.0, -1.0, 7.0])
    for x in (rest, shifted):
        assert term.value(x.ravel()) == pytest.approx(0.0, abs=1e-20)
        assert np.abs(term.gradient(x.ravel())).max() < 1e-12
    h0 = term.hessian(rest.ravel()).toarray()
    h1 = term.hessian(np.random.default_rng(0).normal(size=24)).toarray()
    np.testing.assert_allclose(h0, h1, atol=1e-14)
    assert np.linalg.eigvalsh(h0).min() > -1e-12 * np.abs(h0).max()


@pytest.mark.parametrize("n", [3, 5, 11])
def test_constant_curvature_displacement_of_a_straight_rod_is_exact(n: int) -> None:
    h, a, ei = 0.7, 0.03, 4.0
    s = h * np.arange(n)
    rest = np.stack([s, np.zeros(n), np.zeros(n)], axis=1)
    term = LinearBending(np.arange(n), rest, ei)
    x = rest.copy()
    x[:, 1] = a * s**2  # u'' = 2 a everywhere
    exact = (n - 2) * ei / (2 * h**3) * (2 * a * h**2) ** 2  # = EI/2 (2a)^2 (n - 2) h
    assert term.value(x.ravel()) == pytest.approx(exact, rel=1e-12)
    assert exact == pytest.approx(0.5 * ei * (2 * a) ** 2 * (n - 2) * h, rel=1e-12)
    # A displacement linear along the rod costs nothing.
    x[:, 1] = 0.4 + 0.2 * s
    assert term.value(x.ravel()) == pytest.approx(0.0, abs=1e-24)


def test_closed_circle_bent_out_of_plane_costs_the_same_both_ways() -> None:
    n = 24
    angle = 2 * np.pi * np.arange(n) / n
    rest = 10.0 * np.stack([np.cos(angle), np.sin(angle), np.zeros(n)], axis=1)
    term = LinearBending(np.arange(n), rest, 3.0, closed=True)
    w = np.zeros_like(rest)
    w[:, 2] = 0.5 * np.cos(2 * angle)
    up, down = term.value((rest + w).ravel()), term.value((rest - w).ravel())
    assert up > 0.0
    assert up == pytest.approx(down, rel=1e-12)
    # In-plane radial bending, inwards and outwards, too.
    radial = 0.3 * np.cos(3 * angle)[:, None] * rest / 10.0
    assert term.value((rest + radial).ravel()) == pytest.approx(
        term.value((rest - radial).ravel()), rel=1e-12
    )


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        LinearBending([0, 1], np.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError):
        LinearBending([0, 1, 2], np.zeros((3, 3)), 1.0)
