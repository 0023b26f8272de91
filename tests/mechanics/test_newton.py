"""Newton solver: convergence rate, Hessian fallback, callbacks, errors and warm starts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mvplan.errors import ConvergenceError
from mvplan.mechanics import ConstantForce, Foundation, Springs, Sum
from mvplan.mechanics.newton import Cancelled, NotConverged, SolveResult, solve


def net(n: int = 9, load: float = 0.5) -> tuple[Sum, np.ndarray, np.ndarray, float]:
    """A pretensioned square spring net, boundary fixed, under a dead load along z (mm, N)."""
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    x0 = np.stack([i.ravel(), j.ravel(), np.zeros(n * n)], axis=1).astype(float)
    index = (i * n + j).astype(int)
    pairs = np.concatenate(
        [
            np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1),
            np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
        ]
    )
    boundary = (i.ravel() == 0) | (j.ravel() == 0) | (i.ravel() == n - 1) | (j.ravel() == n - 1)
    forces = np.zeros_like(x0)
    forces[~boundary, 2] = -load
    energy = Sum([Springs(pairs, 0.9, 10.0), ConstantForce(forces)])
    return energy, x0, ~boundary, float(np.linalg.norm(forces))


def test_newton_reaches_rtol_with_quadratic_convergence() -> None:
    energy, x0, free, load_norm = net()
    result = solve(energy, x0, free, load_norm=load_norm)
    assert isinstance(result, SolveResult)
    assert result.converged and result.residual <= 1e-8
    assert result.residual_abs <= 1e-8 * load_norm
    assert result.x[40, 2] < -0.5  # the centre sags
    residuals = [step.residual_abs for step in result.history]
    ratios = [b / a for a, b in itertools.pairwise(residuals)]
    assert ratios[-1] < 1e-3 and ratios[-2] < 0.05  # superlinear tail, not a linear plateau
    assert ratios[-1] < ratios[-2]
    assert residuals[-1] / residuals[-2] ** 2 < 10.0 / load_norm  # quadratic: r+ <= C r^2
    assert all(step.hessian == "exact" for step in result.history[:-1])
    np.testing.assert_array_equal(result.x[~free], x0[~free])  # fixed DOFs stay put
    assert result.iterations == len(result.history) - 1 <= 12


def compressed_star() -> tuple[Sum, np.ndarray, np.ndarray]:
    """One node held by four compressed springs: flat start is a saddle (indefinite Hessian)."""
    x0 = np.array([[0.0, 0, 0.01], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])
    springs = Springs([[0, 1], [0, 2], [0, 3], [0, 4]], 2.0, 1.0)
    free = np.array([True, False, False, False, False])
    return Sum([springs]), x0, free


def test_projected_fallback_on_an_indefinite_start_then_exact_to_convergence() -> None:
    energy, x0, free = compressed_star()
    assert np.linalg.eigvalsh(energy.hessian(x0).toarray()[:3, :3]).min() < 0
    result = solve(energy, x0, free, load_norm=0.0)
    kinds = [step.hessian for step in result.history[:-1]]
    assert kinds[0] == "projected" and kinds[-1] == "exact"
    assert result.converged and result.residual_abs <= 1e-9
    assert result.x[0, 2] == pytest.approx(np.sqrt(3.0), rel=1e-10)  # springs at rest length


def test_progress_and_cancel_callbacks() -> None:
    energy, x0, free, load_norm = net()
    seen: list[tuple[int, float]] = []
    result = solve(energy, x0, free, load_norm=load_norm, progress=lambda i, r: seen.append((i, r)))
    assert [i for i, _ in seen] == list(range(result.iterations + 1))
    assert seen[0][1] == pytest.approx(1.0)  # relative residual of the unloaded start
    assert seen[-1][1] == result.residual
    calls: list[int] = []

    def cancel() -> bool:  # the user presses "stop" before the third step
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled) as info:
        solve(energy, x0, free, load_norm=load_norm, cancel=cancel)
    assert info.value.result.iterations == 2
    assert not info.value.result.converged


def test_non_convergence_raises_with_the_best_state() -> None:
    energy, x0, free, load_norm = net()
    with pytest.raises(ConvergenceError) as info:
        solve(energy, x0, free, load_norm=load_norm, max_iterations=2)
    error = info.value
    assert isinstance(error, NotConverged) and error.exit_code == 3
    best = min(step.residual_abs for step in error.result.history)
    assert error.residual_abs == best and error.residual == best / load_norm
    assert error.x.shape == x0.shape
    assert np.linalg.norm(energy.gradient(error.x)[np.repeat(free, 3)]) == pytest.approx(best)


def test_warm_start_converges_in_fewer_iterations_than_cold() -> None:
    energy, x0, free, load_norm = net(load=0.5)
    first = solve(energy, x0, free, load_norm=load_norm)
    heavier, _, _, heavier_norm = net(load=0.525)
    cold = solve(heavier, x0, free, load_norm=heavier_norm)
    warm = solve(heavier, first.x, free, load_norm=heavier_norm)
    assert warm.converged and cold.converged
    assert warm.iterations < cold.iterations
    np.testing.assert_allclose(warm.x, cold.x, atol=1e-9)


def test_step_cap_and_max_step_callback_bound_every_step() -> None:
    energy, x0, free, load_norm = net()
    capped = solve(energy, x0, free, load_norm=load_norm, step_cap=0.2)
    assert capped.converged
    assert max(step.step_norm for step in capped.history) <= 0.2 + 1e-12
    fractions: list[float] = []

    def ccd(x: np.ndarray, dx: np.ndarray) -> float:
        fractions.append(float(np.abs(dx).max()))
        return 0.5 if len(fractions) == 1 else 1.0

    bounded = solve(energy, x0, free, load_norm=load_norm, max_step=ccd)
    assert bounded.history[0].step_length <= 0.5
    assert bounded.converged
    np.testing.assert_allclose(bounded.x, capped.x, atol=1e-8)


def test_unloaded_problem_uses_the_absolute_floor() -> None:
    x0 = np.array([[0.3, -0.2, 0.1]])
    energy = Sum([Foundation([0], [[0.0, 0, 0]], 2.0, 0.5, [[0, 0, 1.0]])])
    result = solve(energy, x0)
    assert result.converged and result.tolerance == 1e-9
    assert result.residual_abs <= 1e-9 and result.iterations == 1  # quadratic energy: one step


def test_stiff_fine_ring_stops_at_the_reported_rounding_floor() -> None:
    # 256-node ring, EI = 1e4 N mm^2, EA = 1e8 N: 1e-8 of a 0.67 N load lies below the residual
    # that rounding the positions allows; Newton must stop there, say so, and not raise.
    from mvplan.mechanics.verification import _ring_terms, circle_points

    n = 256
    rest = circle_points(n, 10.0)
    forces = np.zeros_like(rest)
    forces[0, 0], forces[n // 2, 0] = -0.672, 0.672
    free = np.ones((n, 3), dtype=bool)
    free[:, 2] = False
    free[0, 1] = free[n // 2, 1] = free[n // 4, 0] = False
    energy = Sum([*_ring_terms(rest, 1e8, 1e4), ConstantForce(forces)])
    result = solve(energy, rest, free, load_norm=0.672 * np.sqrt(2))
    assert result.converged and result.residual_abs > result.tolerance
    assert 0 < result.roundoff_floor < 1e-3 * 0.672 and result.residual_abs <= result.roundoff_floor
    assert result.iterations <= 6
    delta = 20.0 - (result.x[0, 0] - result.x[n // 2, 0])
    assert delta == pytest.approx(0.01, rel=2e-3)  # P R^3/EI (pi/4 - 2/pi) with P R^2/EI = 6.7e-3


def _spd(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.parametrize("preconditioner", ["exact", "diagonal"])
def test_newton_cg_solves_a_positive_definite_system(preconditioner: str) -> None:
    import scipy.sparse as sp

    from mvplan.mechanics.ldl import FreeLDL
    from mvplan.mechanics.newton import CG_FORCING, _truncated_cg

    h = _spd(12, 1)
    g = np.random.default_rng(2).normal(size=12)
    m = h if preconditioner == "exact" else np.diag(np.diag(h))
    ldl = FreeLDL(np.arange(12))
    assert ldl.factor(sp.csr_matrix(m))
    p, kind, steps = _truncated_cg(sp.csr_matrix(h), ldl, g, -ldl.solve(g), "projected")
    assert kind == "newton-cg"
    assert np.linalg.norm(h @ p + g) <= CG_FORCING * np.linalg.norm(g)
    assert steps == 1 if preconditioner == "exact" else 1 < steps <= 12
    assert g @ p < 0.0


def test_newton_cg_stops_at_negative_curvature_with_a_descent_direction() -> None:
    import scipy.sparse as sp

    from mvplan.mechanics.ldl import FreeLDL
    from mvplan.mechanics.newton import _truncated_cg

    # H has one negative eigenvalue; M is its projection (the eigenvalue clamped to 1).
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    values = np.array([-2.0, 1, 2, 3, 4, 5, 6, 7])
    h = q @ np.diag(values) @ q.T
    m = q @ np.diag(np.maximum(values, 1.0)) @ q.T
    ldl = FreeLDL(np.arange(8))
    assert ldl.factor(sp.csr_matrix(m))
    for seed in range(20):
        g = np.random.default_rng(seed).normal(size=8)
        d0 = -ldl.solve(g)
        p, kind, steps = _truncated_cg(sp.csr_matrix(h), ldl, g, d0, "projected")
        assert g @ p < 0.0  # every CG iterate descends
        if kind == "projected":  # negative curvature along the projected direction at once
            assert steps == 0 and d0 @ h @ d0 <= 0.0 and np.array_equal(p, d0)
        else:
            assert kind in ("truncated-cg", "newton-cg") and p @ h @ p > 0.0


def test_newton_cg_converges_from_an_indefinite_start() -> None:
    energy, x0, free = compressed_star()
    result = solve(energy, x0, free, load_norm=0.0, newton_cg=True)
    kinds = [step.hessian for step in result.history[:-1]]
    assert kinds[0] in ("projected", "truncated-cg", "newton-cg") and kinds[-1] == "exact"
    assert result.converged and result.residual_abs <= 1e-9
    assert result.x[0, 2] == pytest.approx(np.sqrt(3.0), rel=1e-10)


def test_hessian_blocks_are_shared_only_inside_one_direction() -> None:
    from mvplan.mechanics.terms import shared_hessian_blocks

    springs = Springs([[0, 1]], 1.0, 10.0)
    x = np.array([[0.0, 0, 0], [1.5, 0.2, 0]])
    with shared_hessian_blocks():
        exact = springs.element_hessians(x)[0]
        assert springs.element_hessians(x)[0] is exact  # evaluated once
        assert not exact.flags.writeable  # a projection must copy
        projected = springs.element_hessians(x, project=True)[0]
        assert projected is not exact
    # Outside, a changed parameter at the same x is never answered from memory.
    before = springs.hessian(x).toarray()
    springs.rest_length = np.array([2.0])
    assert not np.allclose(springs.hessian(x).toarray(), before)
    with shared_hessian_blocks():  # a new scope does not reuse the last one's blocks
        assert springs.element_hessians(x)[0] is not exact


def test_a_locked_solve_stops_early_and_says_so() -> None:
    from mvplan.mechanics.newton import LOCKED_STEPS

    energy, x0, free, load_norm = net()
    # A collision check that lets every step move by a billionth: the solve cannot progress.
    with pytest.raises(NotConverged, match="stuck") as caught:
        solve(energy, x0, free, load_norm=load_norm, max_step=lambda x, dx: 1e-9)
    assert caught.value.result.iterations == LOCKED_STEPS


def test_the_projected_shift_search_starts_a_notch_below_the_last_shift() -> None:
    """An indefinite 'projected' Hessian (eigenvalue -1e-5 of a largest diagonal 1) needs a
    shift of 1e-4 relative: found from 1e-10 up the first time (5 factorisations), then from a
    notch below it (1e-6 fails, 1e-4 again); once the matrix is definite the shift falls a
    notch a call, down to none."""
    import scipy.sparse as sp

    from mvplan.mechanics.ldl import FreeLDL
    from mvplan.mechanics.newton import ShiftMemory, _factor_projected

    n = 6
    indefinite = sp.csr_matrix(np.diag([1.0, 0.5, 0.2, 0.1, 0.05, -1e-5]))
    definite = sp.csr_matrix(np.diag([1.0, 0.5, 0.2, 0.1, 0.05, 1e-3]))
    ldl, shifts = FreeLDL(np.arange(n)), ShiftMemory()

    def factor(h: sp.csr_matrix) -> tuple[bool, str, int]:
        return _factor_projected(h, ldl, shifts)

    assert factor(indefinite) == (True, "projected+shift", 5)  # none, 1e-10, 1e-8, 1e-6, 1e-4
    assert shifts.start == pytest.approx(1e-6)
    x = ldl.solve(np.ones(n))
    assert x[-1] == pytest.approx(1.0 / (1e-4 - 1e-5))  # solved with the shift added
    assert factor(indefinite) == (True, "projected+shift", 2)  # 1e-6 fails, 1e-4 works
    assert shifts.start == pytest.approx(1e-6)
    assert factor(definite) == (True, "projected+shift", 1)  # 1e-6
    assert factor(definite) == (True, "projected+shift", 1)  # 1e-8
    assert factor(definite) == (True, "projected+shift", 1)  # 1e-10
    assert factor(definite) == (True, "projected", 1)  # below 1e-10: no shift at all
    assert shifts.start == 0.0
    coupled = np.eye(n)
    coupled[0, 1] = coupled[1, 0] = 1e12  # an eigenvalue -1e12, beyond the largest shift (1e10)
    assert factor(sp.csr_matrix(coupled)) == (False, "projected+shift", 12)
    assert shifts.start == 0.0
