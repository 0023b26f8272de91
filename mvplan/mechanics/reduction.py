"""``J^T g`` and ``J^T H J`` of a full-space energy seen through a reduced map, fixed pattern.

A reduced map (a rigid ring, :mod:`.rigid`; a floating elastic ring, :mod:`.floating`) takes
reduced DOFs ``y`` to node positions ``x``. Nodes it does not carry keep their own three DOFs
(identity rows of ``J = dx/dy``); each carried node ``k`` depends on ``p`` reduced DOFs
``columns[k]`` through a ``(3, p)`` local Jacobian (the ring's translation and rotation, and its
own elastic displacement for a floating ring).

Rather than forming ``J`` and multiplying sparse matrices (scipy's products and format checks
cost more than the arithmetic at these sizes), :class:`ReducedAssembly` transforms the full
energy's dense element blocks one element at a time, ``J_e^T B_e J_e`` with ``J_e`` the
block-diagonal local Jacobian of the element's nodes, and sums them with the map's own entries
(curvature of the map, the ring's stiffness) over one :class:`~.assembly.BlockPattern` built
once. Elements that touch no carried node pass through unchanged. A carried node's ``p``
columns may repeat between the nodes of one element (both ends of a suture see the same ring
translation); the pattern's summation of duplicate entries makes that exact.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from mvplan.mechanics.assembly import BlockPattern, FloatArray, IntArray
from mvplan.mechanics.terms import EnergyTerm

__all__ = ["FullGradient", "ReducedAssembly"]


class FullGradient:
    """Full positions and gradient of a reduced state, remembered for the last state asked.

    Newton asks for the Hessian at the state whose gradient it has just taken, and a reduced
    map's Hessian needs the full gradient (the map's curvature); this computes it once.

    Parameters
    ----------
    energy : EnergyTerm
        The full-space energy.
    """

    def __init__(self, energy: EnergyTerm) -> None:
        self._energy = energy
        self._last: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def __call__(
        self, y: ArrayLike, expand: Callable[[FloatArray], FloatArray]
    ) -> tuple[FloatArray, FloatArray]:
        """``(x (n, 3), g (3 n,))`` at the reduced state ``y``; ``expand`` maps ``y`` to ``x``.

        (``expand`` is passed at each call rather than kept, so that a reduced map holding
        this memo makes no reference cycle and is freed as soon as it is dropped.)
        """
        y = np.asarray(y, dtype=float).reshape(-1, 3)
        if self._last is not None and np.array_equal(self._last[0], y):
            return self._last[1], self._last[2]
        x = expand(y)
        g = self._energy.gradient(x)
        self._last = (y.copy(), x, g)
        return x, g


class _Group:
    """Elements of one term group that share which of their nodes are carried."""

    def __init__(self, group: int, rows: IntArray | None, carried: NDArray[np.bool_]) -> None:
        self.group = group  # index into the energy's element groups
        self.rows = rows  # element rows within the group (None: all of them)
        self.carried = carried  # (q,) bool: slot j is a carried node
        self.ring_index: IntArray = np.zeros((0, 0), np.int64)  # (m, c) carried node of slot
        self.identity: FloatArray = np.zeros(0)  # (3q, k_r) constant part of J_e
        self.starts: IntArray = np.zeros(0, np.int64)  # (q,) first local column of each slot


class ReducedAssembly:
    """Assembles ``J^T H J + extra`` and ``J^T g`` for a reduced map (see the module docstring).

    Parameters
    ----------
    energy : EnergyTerm
        The full-space energy over ``n_nodes`` nodes (``element_dofs``/``element_hessians``).
    n_nodes : int
    carried_nodes : (r,) int
        Full nodes moved by the map.
    columns : (r, p) int
        Reduced DOFs each carried node depends on.
    other_dofs : (m,) int
        Reduced node index of each node not carried, in increasing full-node order (their
        DOFs are ``3 j + c``).
    n_reduced_dofs : int
    extra : ((e,) int, (e,) int), optional
        Reduced (row, column) entries the map adds itself; values go to :meth:`hessian`.
    """

    def __init__(
        self,
        energy: EnergyTerm,
        n_nodes: int,
        carried_nodes: ArrayLike,
        columns: ArrayLike,
        other_dofs: ArrayLike,
        n_reduced_dofs: int,
        extra: tuple[IntArray, IntArray] | None = None,
    ) -> None:
        self.energy = energy
        self.n_nodes = int(n_nodes)
        self.carried_nodes: IntArray = np.asarray(carried_nodes, dtype=np.int64).reshape(-1)
        self.columns: IntArray = np.asarray(columns, dtype=np.int64)
        self.p = int(self.columns.shape[1])
        self.n_reduced_dofs = int(n_reduced_dofs)
        ring_index = np.full(self.n_nodes, -1, dtype=np.int64)
        ring_index[self.carried_nodes] = np.arange(self.carried_nodes.size)
        self._ring_index = ring_index
        other = np.flatnonzero(ring_index < 0)
        reduced_node = np.full(self.n_nodes, -1, dtype=np.int64)
        reduced_node[other] = np.asarray(other_dofs, dtype=np.int64).reshape(-1)
        self._other_full = (3 * other[:, None] + np.arange(3)).ravel()
        self._other_reduced = (3 * reduced_node[other][:, None] + np.arange(3)).ravel()
        self._groups: list[_Group] = []
        dofs: list[IntArray] = []
        for g, group_dofs in enumerate(energy.element_dofs()):
            nodes = group_dofs[:, ::3] // 3  # (m, q)
            carried = ring_index[nodes] >= 0
            signatures, inverse = np.unique(carried, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            for s, signature in enumerate(signatures):
                rows = None if signatures.shape[0] == 1 else np.flatnonzero(inverse == s)
                part = _Group(g, rows, signature)
                sub = nodes if rows is None else nodes[rows]
                dofs.append(self._setup(part, sub, reduced_node))
                self._groups.append(part)
        self.pattern = BlockPattern(dofs, self.n_reduced_dofs, extra)

    def _setup(self, part: _Group, nodes: IntArray, reduced_node: IntArray) -> IntArray:
        """Reduced DOFs ``(m, k_r)`` of the elements of ``part``; fills its constant arrays."""
        q = nodes.shape[1]
        cols: list[IntArray] = []
        for j in range(q):
            if part.carried[j]:
                cols.append(self.columns[self._ring_index[nodes[:, j]]])
            else:
                cols.append(3 * reduced_node[nodes[:, j]][:, None] + np.arange(3))
        if part.carried.any():
            part.ring_index = self._ring_index[nodes[:, part.carried]]
            widths = np.where(part.carried, self.p, 3)
            starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
            identity = np.zeros((3 * q, int(widths.sum())))
            for j in map(int, np.flatnonzero(~part.carried)):
                identity[3 * j : 3 * j + 3, starts[j] : starts[j] + 3] = np.eye(3)
            part.identity = identity
            part.starts = starts
        return np.concatenate(cols, axis=1)

    def gradient(self, g_full: FloatArray, node_jacobians: FloatArray) -> FloatArray:
        """``J^T g : (n_reduced_dofs,)`` from the full gradient ``(3 n,)`` and ``(r, 3, p)``."""
        out = np.zeros(self.n_reduced_dofs)
        g = np.asarray(g_full, dtype=float).reshape(-1)
        out[self._other_reduced] = g[self._other_full]
        g_ring = g.reshape(-1, 3)[self.carried_nodes]
        contribution = np.einsum("kcp,kc->kp", node_jacobians, g_ring)
        out += np.bincount(
            self.columns.ravel(), weights=contribution.ravel(), minlength=self.n_reduced_dofs
        )
        return out

    def hessian(
        self,
        x: FloatArray,
        node_jacobians: FloatArray,
        project: bool = False,
        extra_values: FloatArray | None = None,
    ) -> sp.csr_matrix:
        """``J^T H J`` (``H`` projected if ``project``) plus the extra entries, CSR.

        Parameters
        ----------
        x : (n, 3) float, mm
            Full positions.
        node_jacobians : (r, 3, p) float
            ``dx_k/dy`` of each carried node over its ``columns``.
        project : bool
            Use the energy's projected (PSD) element blocks; ``J^T B J`` stays PSD.
        extra_values : (e,) float, optional
        """
        full = self.energy.element_hessians(x, project)
        blocks: list[FloatArray] = []
        for part in self._groups:
            b = full[part.group] if part.rows is None else full[part.group][part.rows]
            if part.carried.any():
                jac = np.broadcast_to(part.identity, (b.shape[0], *part.identity.shape)).copy()
                for c, j in enumerate(np.flatnonzero(part.carried)):
                    start = part.starts[j]
                    jac[:, 3 * j : 3 * j + 3, start : start + self.p] = node_jacobians[
                        part.ring_index[:, c]
                    ]
                b = np.swapaxes(jac, 1, 2) @ b @ jac
            blocks.append(b)
        return self.pattern.assemble(blocks, extra_values)
