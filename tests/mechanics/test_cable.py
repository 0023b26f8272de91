"""The sliding cable against closed forms (its derivatives are checked in test_terms.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.mechanics.cable import SlidingCable


def semicircle(radius: float, count: int) -> np.ndarray:
    t = np.linspace(0.0, np.pi, count)
    return np.stack([radius * np.cos(t), radius * np.sin(t), np.zeros(count)], axis=1)


def test_a_taut_cable_over_a_semicircle_presses_inward_with_twice_its_tension() -> None:
    """A cable of tension T wrapped over a half circle pushes on it with a resultant 2T toward
    the centre (the interior nodes) and pulls its two ends with T along it."""
    x = semicircle(15.0, 41)
    length = np.linalg.norm(np.diff(x, axis=0), axis=1).sum()
    ea = 1000.0
    stretch = 0.3  # mm beyond the rest length (well above the smoothing band)
    cable = SlidingCable(np.arange(41), length - stretch, ea, slack_width=0.01)
    tension = ea / (length - stretch) * stretch
    assert cable.tension(x) == pytest.approx(tension, rel=1e-9)
    force = -cable.gradient(x).reshape(-1, 3)  # force on each node, N
    inward = force[1:-1].sum(axis=0)
    assert inward == pytest.approx([0.0, -2.0 * tension * np.cos(np.pi / 80), 0.0], abs=1e-9)
    # The ends: pulled along the first and last segment, with exactly the tension.
    assert np.linalg.norm(force[0]) == pytest.approx(tension, rel=1e-12)
    assert np.linalg.norm(force[-1]) == pytest.approx(tension, rel=1e-12)
    # Every interior node carries T times the turn of the tangent there (equal turns).
    per_node = np.linalg.norm(force[1:-1], axis=1)
    assert per_node == pytest.approx(2.0 * tension * np.sin(np.pi / 80), rel=1e-9)


def test_a_slack_cable_pulls_nothing() -> None:
    x = semicircle(15.0, 11)
    length = np.linalg.norm(np.diff(x, axis=0), axis=1).sum()
    cable = SlidingCable(np.arange(11), length + 1.0, 500.0, slack_width=0.1)
    assert cable.value(x) == 0.0
    assert not cable.gradient(x).any()
    assert cable.tension(x) == 0.0


def test_a_cable_needs_two_distinct_nodes() -> None:
    with pytest.raises(ValueError, match="2 distinct"):
        SlidingCable([3], 1.0, 1.0)
    with pytest.raises(ValueError, match="2 distinct"):
        SlidingCable([1, 1], 1.0, 1.0)
