"""Barrier contact: exact derivatives, activation distance, groups, CCD and a contact solve."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

pytest.importorskip("ipctk")

from mvplan.mechanics import ConstantForce, Springs, Sum
from mvplan.mechanics.contact import (
    BarrierContact,
    WithContact,
    kappa_for_pressure,
)
from mvplan.mechanics.fdcheck import check_term
from mvplan.mechanics.newton import solve

DHAT = 0.2  # mm
KAPPA = 0.1  # N/mm^2


def grid(n: int, size: float) -> tuple[np.ndarray, np.ndarray]:
    """A flat square patch in z = 0: ``n x n`` nodes over ``size`` mm, two triangles a cell."""
    u = np.linspace(0.0, size, n)
    i, j = np.meshgrid(u, u, indexing="ij")
    x = np.stack([i.ravel(), j.ravel(), np.zeros(n * n)], axis=1)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:]
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d.ravel()], 1)])
    return x, faces


def two_patches(
    n: int = 3,
    size: float = 2.0,
    gap: float = 0.12,
    seed: int = 0,
    tilt: float = 0.02,
    jitter: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bottom patch (group 0) and a rotated, shifted, jittered copy ``gap`` above (group 1).

    Generic placement: no node lies exactly over another's edge, where the closest-feature
    type of a pair switches and the barrier Hessian jumps.
    """
    rng = np.random.default_rng(seed)
    bottom, faces = grid(n, size)
    bottom = bottom + jitter * rng.normal(size=bottom.shape) * [1.0, 1.0, 0.2]
    centre = np.array([0.5 * size, 0.5 * size, 0.0])
    angles = [tilt * rng.normal(), tilt * rng.normal(), 0.4 + 0.3 * rng.random()]
    top = (bottom - centre) @ Rotation.from_rotvec(angles).as_matrix().T
    top = top + centre + [*(0.2 * rng.random(2)), gap]
    x = np.vstack([bottom, top])
    m = bottom.shape[0]
    groups = np.repeat([0, 1], m)
    return x, np.vstack([faces, faces + m]), groups


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_and_hessian_match_central_differences(seed: int) -> None:
    x, faces, groups = two_patches(seed=seed)
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    assert 0.0 < contact.min_distance(x) < DHAT and contact.value(x) > 0.0
    grad_error, hess_error = check_term(contact, x)
    assert grad_error < 1e-7
    assert hess_error < 1e-6  # the exact (unprojected) Hessian


def test_hessians_are_symmetric_and_the_projected_one_is_psd() -> None:
    x, faces, groups = two_patches()
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    exact = contact.hessian(x).toarray()
    np.testing.assert_allclose(exact, exact.T, atol=1e-12 * np.abs(exact).max())
    assert np.linalg.eigvalsh(exact).min() < 0.0  # the barrier's exact Hessian is indefinite
    for projection in ("clamp", "abs"):
        term = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA, projection=projection)
        projected = term.hessian(x, project=True).toarray()
        assert np.linalg.eigvalsh(projected).min() > -1e-10 * np.abs(projected).max()


def test_only_surface_nodes_take_part() -> None:
    x, faces, groups = two_patches()
    extra = np.array([[5.0, 5.0, 0.06]])  # a node near the surfaces but on no face
    x2 = np.vstack([x, extra])
    contact = BarrierContact(x2, faces, np.append(groups, 0), dhat=DHAT, kappa=KAPPA)
    reference = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    assert contact.value(x2) == pytest.approx(reference.value(x))
    assert np.all(contact.gradient(x2)[-3:] == 0.0)
    assert contact.hessian(x2).shape == (x2.size, x2.size)
    np.testing.assert_allclose(contact.gradient(x2)[:-3], reference.gradient(x), rtol=1e-12)


@pytest.mark.parametrize("gap", [DHAT + 1e-3, 0.3, 1.0])
def test_no_energy_or_force_beyond_dhat(gap: float) -> None:
    x, faces, groups = two_patches(tilt=0.0, jitter=0.0, gap=gap)
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    assert contact.value(x) == 0.0
    assert not np.any(contact.gradient(x)) and not np.any(contact.forces(x))
    assert contact.hessian(x).nnz == 0
    assert contact.min_distance(x) == np.inf  # nothing within dhat
    assert contact.min_distance(x, within=2.0) == pytest.approx(gap)


def test_energy_grows_without_bound_as_the_gap_closes() -> None:
    gaps = np.array([1e-1, 1e-2, 1e-4, 1e-6, 1e-8])
    energies, pushes = [], []
    for gap in gaps:
        x, faces, groups = two_patches(tilt=0.0, jitter=0.0, gap=gap)
        contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
        energies.append(contact.value(x))
        pushes.append(contact.forces(x)[groups == 1, 2].sum())  # N, upward on the top patch
    energies_a, pushes_a = np.array(energies), np.array(pushes)
    assert np.all(np.diff(energies_a) > 0.0) and np.all(np.diff(pushes_a) > 0.0)
    # b(d) ~ -2 dhat ln(d / dhat) for the pairs straight across the gap (pairs whose nearest
    # points are offset sideways stay finite): each factor 100 closer adds the same energy, so
    # the energy has no bound, and the force grows like 1 / d.
    steps = np.diff(energies_a[2:])
    assert steps[1] == pytest.approx(steps[0], rel=1e-3)
    assert pushes_a[-1] / pushes_a[-2] == pytest.approx(gaps[-2] / gaps[-1], rel=1e-3)


def test_no_contact_within_one_group_unless_self_contact() -> None:
    x, faces, _ = two_patches()
    same = np.zeros(x.shape[0], dtype=int)
    contact = BarrierContact(x, faces, same, dhat=DHAT, kappa=KAPPA)
    assert contact.value(x) == 0.0 and contact.hessian(x).nnz == 0
    assert not contact.contact_pairs(x, tol=0.1).nodes.any()
    through = np.zeros_like(x)
    through[x.shape[0] // 2 :, 2] = -1.0
    assert contact.max_step(x, through) == 1.0  # a leaflet may pass through itself
    everything = BarrierContact(x, faces, dhat=DHAT, kappa=KAPPA, self_contact=True)
    assert everything.value(x) == pytest.approx(
        BarrierContact(x, faces, np.repeat([0, 1], 9), dhat=DHAT, kappa=KAPPA).value(x)
    )
    with pytest.raises(ValueError, match="groups"):
        BarrierContact(x, faces, dhat=DHAT, kappa=KAPPA)


def test_ccd_stops_a_step_through_the_other_patch_short_of_contact() -> None:
    x, faces, groups = two_patches(gap=0.12)
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    top = groups == 1
    gap = contact.min_distance(x)
    down = np.zeros_like(x)
    down[top, 2] = -1.0  # 1 mm: far through the bottom patch
    alpha = contact.max_step(x, down)
    assert 0.0 < alpha < gap  # the first impact is at t <= gap / 1 mm
    stopped = x + alpha * down
    assert not contact.intersects(stopped)
    assert 0.0 < contact.min_distance(stopped) < 0.2 * gap  # ACCD: 0.9 of the way
    assert np.isfinite(contact.value(stopped))
    end = x + down  # the full step tunnels through: its end state alone shows nothing
    assert not contact.intersects(end) and end[top, 2].max() < x[~top, 2].min()
    up = -0.5 * down
    assert contact.max_step(x, up) == 1.0
    sideways = np.zeros_like(x)
    sideways[top, 0] = 0.3
    assert contact.max_step(x, sideways) == 1.0
    assert contact.max_step(x, np.zeros_like(x)) == 1.0


def test_contact_pairs_use_a_tolerance_above_dhat() -> None:
    gap = DHAT + 0.05
    x, faces, groups = two_patches(n=4, size=3.0, tilt=0.0, jitter=0.0, gap=gap)
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    assert contact.value(x) == 0.0  # the barrier is off ...
    pairs = contact.contact_pairs(x, tol=0.1)  # ... but the patches count as touching
    assert pairs.threshold == pytest.approx(DHAT + 0.1)
    assert pairs.nodes.any() and pairs.faces.any()
    in_contact = pairs.node_gaps[pairs.nodes]
    assert np.all((in_contact > gap - 1e-12) & (in_contact < pairs.threshold))
    assert np.median(in_contact) == pytest.approx(gap)  # over the other patch: straight across
    for distances in (pairs.point_distances, pairs.edge_distances):
        assert np.all((distances > gap - 1e-12) & (distances < pairs.threshold))
    assert set(groups[pairs.point_nodes]) == {0, 1}  # both surfaces' nodes appear as points
    for point, feature in zip(pairs.point_nodes, pairs.feature_nodes, strict=True):
        assert np.all(groups[feature[feature >= 0]] != groups[point])  # across groups only
    assert not contact.contact_pairs(x, tol=0.01).nodes.any()


def test_self_contact_acts_within_a_group_and_reports_pairs_across_groups() -> None:
    """Two patches 0.12 mm apart: in one group the filtered barrier ignores them, self contact
    pushes them apart; either way only pairs of different groups are "in contact"."""
    x, faces, groups = two_patches(n=4, size=3.0)
    one = np.zeros_like(groups)
    assert BarrierContact(x, faces, one, dhat=DHAT, kappa=KAPPA).value(x) == 0.0
    folded = BarrierContact(x, faces, one, self_contact=True, dhat=DHAT, kappa=KAPPA)
    assert folded.value(x) > 0.0
    assert not folded.contact_pairs(x, tol=0.1).nodes.any()  # one group: a fold, not contact
    top = groups == 1
    down = np.zeros_like(x)
    down[top & (x[:, 0] < 1.5), 2] = -0.3  # half the top patch bent through the other
    assert folded.max_step(x, down) < 1.0
    assert folded.intersects(x + down) and not folded.intersects(x)
    across = BarrierContact(x, faces, groups, self_contact=True, dhat=DHAT, kappa=KAPPA)
    assert across.value(x) == pytest.approx(folded.value(x))  # the groups leave the barrier
    pairs = across.contact_pairs(x, tol=0.1)
    assert pairs.nodes.any()
    for point, feature in zip(pairs.point_nodes, pairs.feature_nodes, strict=True):
        assert np.all(groups[feature[feature >= 0]] != groups[point])


def test_sum_refuses_contact_and_with_contact_adds_it() -> None:
    x, faces, groups = two_patches()
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    springs = Springs([[0, 9], [4, 13]], 1.0, 2.0)
    with pytest.raises(TypeError, match="WithContact"):
        Sum([springs, contact]).hessian(x)
    total = WithContact(Sum([springs]), contact)
    expected = springs.hessian(x).toarray() + contact.hessian(x).toarray()
    h = total.hessian(x)
    np.testing.assert_allclose(h.toarray(), expected, rtol=1e-14, atol=1e-14)
    assert total.value(x) == pytest.approx(springs.value(x) + contact.value(x))
    grad_error, hess_error = check_term(total, x)
    assert grad_error < 1e-7 and hess_error < 1e-6
    # Apart beyond dhat: the contact part vanishes but the stored pattern stays (only grows).
    apart = x + np.where(groups[:, None] == 1, [0.0, 0.0, 1.0], 0.0)
    changes = total.pattern_changes
    h_apart = total.hessian(apart)
    assert total.pattern_changes == changes  # FreeLDL keeps its symbolic analysis
    np.testing.assert_array_equal(h_apart.indptr, h.indptr)
    np.testing.assert_array_equal(h_apart.indices, h.indices)
    np.testing.assert_allclose(h_apart.toarray(), springs.hessian(apart).toarray(), atol=1e-14)
    total.hessian(x, project=True)
    assert total.pattern_changes == changes  # the projected blocks fit the stored pattern


def spring_and_barrier(
    n: int = 4,
) -> tuple[WithContact, BarrierContact, Springs, np.ndarray, np.ndarray, np.ndarray]:
    """A free top patch pulled by vertical springs toward (and through) a fixed bottom one."""
    x, faces, groups = two_patches(n=n, size=3.0, gap=0.5)
    m = n * n
    top = np.flatnonzero(groups == 1)
    anchors = x[top] - [0.0, 0.0, 5.5]  # 5.5 mm below each top node, fixed
    x0 = np.vstack([x, anchors])
    pull = np.stack([top, 2 * m + np.arange(m)], axis=1)
    edges = np.unique(np.sort(faces[m:][:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    rest = np.linalg.norm(x0[edges[:, 1]] - x0[edges[:, 0]], axis=1)
    # Rest length 4 mm: the springs pull the top patch 1.5 mm down, through the bottom one.
    stiff = np.r_[np.full(m, 0.05), np.full(len(edges), 1.0)]
    springs = Springs(np.vstack([pull, edges]), np.r_[np.full(m, 4.0), rest], stiff)
    contact = BarrierContact(x0, faces, np.r_[groups, np.full(m, 2)], dhat=DHAT, kappa=KAPPA)
    free = np.zeros(x0.shape[0], dtype=bool)
    free[top] = True
    return WithContact(Sum([springs]), contact), contact, springs, x0, free, top


def test_newton_with_ccd_converges_to_a_separated_equilibrium() -> None:
    energy, contact, springs, x0, free, top = spring_and_barrier()
    seen: list[np.ndarray] = []
    fractions: list[float] = []

    class Recorder:  # every state the solver evaluates, line-search trials included
        def __getattr__(self, name: str) -> object:
            return getattr(energy, name)

        def value(self, x: np.ndarray) -> float:
            seen.append(np.array(x, copy=True))
            return energy.value(x)

    def max_step(x: np.ndarray, dx: np.ndarray) -> float:
        fractions.append(contact.max_step(x, dx))
        return fractions[-1]

    result = solve(Recorder(), x0, free, load_norm=1.0, max_step=max_step)
    assert result.converged and result.residual <= 1e-8
    assert min(fractions) < 1.0  # CCD shortened at least one Newton step
    assert all(not contact.intersects(x) for x in seen)  # no interpenetration at any iterate
    gap = contact.min_distance(result.x, within=1.0)
    assert 0.0 < gap < DHAT  # separated, inside the barrier's reach
    push = contact.forces(result.x)[top].sum(axis=0)  # N, on the top patch
    pull = -springs.gradient(result.x).reshape(-1, 3)[top].sum(axis=0)
    assert push[2] > 0.5  # about 16 springs x 0.05 N/mm x 1.4 mm
    np.testing.assert_allclose(push, -pull, atol=1e-8)  # equilibrium: contact = spring force
    pairs = contact.contact_pairs(result.x, tol=0.5 * DHAT)
    assert pairs.nodes[top].any() and pairs.faces.any()


def test_kappa_for_pressure_gives_about_the_target_gap() -> None:
    p, target = 0.016, 0.5 * DHAT  # MPa, mm
    bottom, faces = grid(8, 7.0)
    top, top_faces = grid(6, 5.0)
    top = top + np.array([1.31, 1.47, 0.15])  # inside dhat: the barrier alone gives stiffness
    x0 = np.vstack([bottom, top])
    m = bottom.shape[0]
    faces_all = np.vstack([faces, top_faces + m])
    groups = np.r_[np.zeros(m, int), np.ones(top.shape[0], int)]
    kappa = kappa_for_pressure(p, DHAT, target)
    contact = BarrierContact(x0, faces_all, groups, dhat=DHAT, kappa=kappa)
    areas = np.zeros(x0.shape[0])  # barycentric node areas, mm^2 (1 inside a 1 mm grid)
    np.add.at(areas, top_faces + m, 0.5 / 3.0)
    load = np.zeros_like(x0)
    load[:, 2] = -p * areas  # a uniform pressure as dead nodal loads, N
    free = np.zeros_like(x0, dtype=bool)
    free[m:, 2] = True  # the top patch moves vertically only
    energy = WithContact(ConstantForce(load), contact)
    result = solve(
        energy, x0, free, load_norm=float(np.linalg.norm(load)), max_step=energy.max_step
    )
    assert result.converged and result.iterations < 30
    gaps = result.x[m:, 2].reshape(6, 6)[1:-1, 1:-1]  # interior nodes: full 1 mm^2 areas
    assert np.all(np.abs(gaps / target - 1.0) < 0.15)
    push = contact.forces(result.x)[m:, 2]
    np.testing.assert_allclose(push, p * areas[m:], rtol=1e-6)  # each node carries its load
    pressures = contact.pressures(result.x)[m:].reshape(6, 6)[1:-1, 1:-1]
    np.testing.assert_allclose(pressures, p, rtol=0.03)  # |f| / area: sideways parts too
    with pytest.raises(ValueError):
        kappa_for_pressure(p, DHAT, gap=DHAT)


def test_balanced_kappa_is_the_ipc_least_squares_stiffness_clamped() -> None:
    x, faces, groups = two_patches()
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    unit = contact.gradient(x) / KAPPA
    elastic = -0.37 * unit  # in equilibrium with the barrier at kappa = 0.37
    assert contact.balanced_kappa(x, elastic, 0.01) == pytest.approx(0.37)
    assert contact.balanced_kappa(x, elastic, 1.0) == 1.0  # clamped below
    assert contact.balanced_kappa(x, elastic, 1e-4) == pytest.approx(1e-2)  # above: 100 x min
    assert contact.kappa == KAPPA


@pytest.mark.slow
def test_speed_on_two_2000_node_patches() -> None:
    """Contact work of one Newton iteration at 2,025 nodes per patch (timings printed)."""
    x, faces, groups = two_patches(n=45, size=44.0, gap=0.1, tilt=0.0, jitter=0.0)
    contact = BarrierContact(x, faces, groups, dhat=DHAT, kappa=KAPPA)
    down = np.where(groups[:, None] == 1, [0.0, 0.0, -1.0], 0.0)
    steps: list[float] = []
    work: dict[str, Callable[[np.ndarray], object]] = {
        "value (with collision build)": contact.value,
        "gradient": contact.gradient,
        "hessian exact": contact.hessian,
        "hessian projected": lambda xk: contact.hessian(xk, project=True),
        "ccd through": lambda xk: steps.append(contact.max_step(xk, down)),
        "ccd away": lambda xk: contact.max_step(xk, -down),
    }
    timings: dict[str, list[float]] = {name: [] for name in work}
    for k in range(3):
        xk = x + 1e-4 * k * down  # a new state: no cached collision set
        for name, fn in work.items():
            start = time.perf_counter()
            fn(xk)
            timings[name].append(1e3 * (time.perf_counter() - start))
    median = {name: round(float(np.median(t)), 1) for name, t in timings.items()}
    print("\ncontact at 4,050 nodes, ms:", median)
    assert all(0.0 < step < 0.1 for step in steps)
    assert sum(median.values()) < 5000.0  # a regression guard, not a benchmark
