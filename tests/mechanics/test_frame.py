"""Frame-element rod stiffness: exact cantilevers, symmetry, rigid modes and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.mechanics import frame_stiffness

EA, GJ, EI_IN, EI_OUT = 3e4, 8e3, 1e4, 4e3
LENGTH = 20.0
UP = np.array([0.0, 0.0, 1.0])


def _cantilever(n: int, index_of: str, comp: int, load: float) -> float:
    """Tip response of a rod along x clamped at node 0, loaded at the tip in one DOF."""
    points = np.outer(np.linspace(0.0, LENGTH, n), [1.0, 0.0, 0.0])
    k = frame_stiffness(points, closed=False, up=UP, ea=EA, gj=GJ, ei_in=EI_IN, ei_out=EI_OUT)
    index = (3 * (n - 1) if index_of == "u" else 3 * n + 3 * (n - 1)) + comp
    f = np.zeros(6 * n)
    f[index] = load
    free = np.setdiff1d(np.arange(6 * n), np.r_[0:3, 3 * n : 3 * n + 3])
    z = np.zeros(6 * n)
    z[free] = np.linalg.solve(k.toarray()[np.ix_(free, free)], f[free])
    return float(z[index])


@pytest.mark.parametrize("n", [2, 5, 9])
def test_cantilever_is_exact_at_any_mesh(n: int) -> None:
    p = 0.7
    # up = z along an edge along x: e1 = x, e3 = z, e2 = z x x = y.
    assert _cantilever(n, "u", 1, p) == pytest.approx(p * LENGTH**3 / (3 * EI_IN), rel=1e-9)
    assert _cantilever(n, "u", 2, p) == pytest.approx(p * LENGTH**3 / (3 * EI_OUT), rel=1e-9)
    assert _cantilever(n, "theta", 0, p) == pytest.approx(p * LENGTH / GJ, rel=1e-9)
    assert _cantilever(n, "u", 0, p) == pytest.approx(p * LENGTH / EA, rel=1e-9)


def _wavy_ring(n: int = 12) -> np.ndarray:
    angle = 2 * np.pi * np.arange(n) / n
    return np.stack(
        [10 * np.cos(angle), 8 * np.sin(angle), 1.5 * np.sin(2 * angle) + 0.3 * np.cos(angle)],
        axis=1,
    )


def test_stiffness_is_symmetric_and_the_ring_has_exactly_six_rigid_modes() -> None:
    points = _wavy_ring()
    r = points.shape[0]
    rng = np.random.default_rng(0)
    k = frame_stiffness(
        points,
        closed=True,
        up=UP,
        ea=rng.uniform(1e3, 2e3, r),
        gj=rng.uniform(50, 100, r),
        ei_in=rng.uniform(100, 200, r),
        ei_out=rng.uniform(80, 150, r),
    ).toarray()
    assert k.shape == (6 * r, 6 * r)
    assert np.abs(k - k.T).max() <= 1e-12 * np.abs(k).max()
    eig = np.linalg.eigvalsh(k)
    scale = eig.max()
    assert np.sum(np.abs(eig) < 1e-10 * scale) == 6
    assert eig[6] > 1e-8 * scale and eig.min() > -1e-10 * scale
    centre = points.mean(axis=0)
    for e in np.eye(3):
        translation = np.concatenate([np.tile(e, r), np.zeros(3 * r)])
        rotation = np.concatenate([np.cross(e, points - centre).ravel(), np.tile(e, r)])
        for mode in (translation, rotation):
            assert np.abs(k @ mode).max() <= 1e-10 * scale * np.abs(mode).max()


def test_open_band_is_symmetric_and_has_six_rigid_modes() -> None:
    points = _wavy_ring()[:7]
    k = frame_stiffness(points, closed=False, up=UP, ea=EA, gj=GJ, ei_in=EI_IN, ei_out=EI_OUT)
    dense = k.toarray()
    assert np.allclose(dense, dense.T, rtol=0, atol=1e-12 * np.abs(dense).max())
    eig = np.linalg.eigvalsh(dense)
    assert np.sum(np.abs(eig) < 1e-10 * eig.max()) == 6


@pytest.mark.parametrize("name", ["ea", "gj", "ei_in", "ei_out"])
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_non_positive_stiffness_is_rejected(name: str, bad: float) -> None:
    values = {"ea": EA, "gj": GJ, "ei_in": EI_IN, "ei_out": EI_OUT} | {name: bad}
    with pytest.raises(ValueError, match="must be finite and > 0"):
        frame_stiffness(_wavy_ring(), closed=True, up=UP, **values)


def test_edge_parallel_to_up_is_rejected() -> None:
    points = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="parallel"):
        frame_stiffness(points, closed=False, up=UP, ea=EA, gj=GJ, ei_in=EI_IN, ei_out=EI_OUT)
