"""The closed-form verification set: errors within tolerance and second-order convergence."""

from __future__ import annotations

import itertools

import pytest

from mvplan.mechanics.verification import (
    Verification,
    finite_difference_checks,
    observed_orders,
    ring_diametral,
    ring_on_foundation,
)
from mvplan.mechanics.verify import VERIFICATIONS


@pytest.mark.parametrize("loading", ["load", "sutures"])
def test_ring_on_foundation_converges_at_second_order(loading: str) -> None:
    result = ring_on_foundation(loading=loading)
    assert isinstance(result, Verification) and result.passed
    assert result.error < 1e-4
    assert result.observed_order is not None and 1.95 < result.observed_order < 2.05
    errors = result.details["errors"]
    assert all(b < a for a, b in itertools.pairwise(errors))


def test_ring_under_diametral_loads_matches_roark_at_second_order() -> None:
    result = ring_diametral()
    assert result.passed
    assert result.error < 1e-3
    assert result.observed_order is not None and 1.9 < result.observed_order < 2.1
    assert result.details["exact_delta"] == pytest.approx(1e-3 * result.params["radius"])


def test_ring_verification_fails_when_the_model_is_wrong() -> None:
    # A too-coarse finest level misses the tolerance: the check can fail.
    assert not ring_diametral(levels=(8, 16), tolerance=1e-3).passed
    assert not ring_on_foundation(levels=(4, 8), tolerance=1e-4).passed


def test_finite_difference_checks_pass_for_every_term() -> None:
    result = finite_difference_checks(seed=3)
    assert result.passed and result.error < 1e-6
    assert set(result.details) >= {"springs", "cables", "foundation", "sutures", "bending-closed"}


def test_observed_orders_and_registry() -> None:
    assert observed_orders([10, 20, 40], [4.0, 1.0, 0.25]) == pytest.approx([2.0, 2.0])
    assert set(VERIFICATIONS) == {
        "ring-foundation",
        "ring-diametral",
        "rigid-ring-torque",
        "rigid-ring-invariance",
        "finite-differences",
        "frame-cantilever",
        "frame-ring-diametral",
        "frame-ring-out-of-plane",
        "hencky-membrane",
        "membrane-equibiaxial",
        "shell-bending-cylinder",
    }
