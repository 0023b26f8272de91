"""ReducedAssembly: J^T g and J^T H J + extra entries, against the dense products."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.mechanics import Springs, Sum, Sutures
from mvplan.mechanics.reduction import ReducedAssembly

N_NODES = 10
CARRIED = np.array([1, 4, 5, 9])  # a chain with carried nodes between free ones
P = 4  # reduced DOFs per carried node: 2 shared by all, 2 of its own


def _setup(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=5.0, size=(N_NODES, 3))
    chain = np.stack([np.arange(N_NODES - 1), np.arange(1, N_NODES)], axis=1)
    lengths = np.linalg.norm(x[chain[:, 1]] - x[chain[:, 0]], axis=1)
    energy = Sum(
        [
            # One group mixes elements with no, one and two carried nodes.
            Springs(chain, lengths * rng.uniform(0.8, 1.2, len(chain)), rng.uniform(1, 2, 9)),
            Sutures.between([[0, 1], [2, 3]], [0.3, 0.6], [[4, 5], [8, 9]], [0.5, 0.2], 3.0),
        ]
    )
    other = np.setdiff1d(np.arange(N_NODES), CARRIED)
    m = other.size
    shared = 3 * m + np.arange(2)
    own = 3 * m + 2 + 2 * np.arange(CARRIED.size)[:, None] + np.arange(2)
    columns = np.hstack([np.broadcast_to(shared, (CARRIED.size, 2)), own])
    n_red = 3 * m + 2 + 2 * CARRIED.size
    extra = (np.array([0, 3 * m, 3 * m + 1]), np.array([0, 3 * m + 1, 3 * m]))
    assembly = ReducedAssembly(energy, N_NODES, CARRIED, columns, np.arange(m), n_red, extra)
    jacobians = rng.normal(size=(CARRIED.size, 3, P))
    dense_j = np.zeros((3 * N_NODES, n_red))
    for j, node in enumerate(other):
        dense_j[3 * node : 3 * node + 3, 3 * j : 3 * j + 3] = np.eye(3)
    for k, node in enumerate(CARRIED):
        for c in range(P):
            dense_j[3 * node : 3 * node + 3, columns[k, c]] += jacobians[k, :, c]
    return energy, assembly, x, jacobians, dense_j, extra


@pytest.mark.parametrize("project", [False, True])
def test_hessian_is_j_transpose_h_j_plus_the_extra_entries(project: bool) -> None:
    energy, assembly, x, jacobians, dense_j, extra = _setup()
    values = np.array([2.0, -0.5, -0.5])
    got = assembly.hessian(x, jacobians, project, values).toarray()
    expected = dense_j.T @ energy.hessian(x, project).toarray() @ dense_j
    np.add.at(expected, extra, values)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    # The pattern is the same at every call (solvers cache their analysis on it).
    again = assembly.hessian(x * 1.1, jacobians, project, values)
    assert np.array_equal(again.indices, assembly.hessian(x, jacobians, project, values).indices)


def test_gradient_is_j_transpose_g() -> None:
    energy, assembly, x, jacobians, dense_j, _ = _setup(1)
    g = energy.gradient(x)
    np.testing.assert_allclose(assembly.gradient(g, jacobians), dense_j.T @ g, rtol=1e-12)
