"""Sutures: zero-length stiff springs between linear combinations of node positions.

Formulation
-----------
Suture ``s`` joins two material points, each a linear interpolation of nodes (a point on one
polyline, a point on another, or a fixed point in space). Written as one signed combination,

    g_s = sum_j c_sj x_{n_sj} - p_s        (gap, mm),     E_s = k_s / 2 |g_s|^2,

with weights ``c`` (``+w`` for the first point's nodes, ``-w`` for the second's) and a fixed
offset ``p`` (the second point when it is fixed in space, else 0). The gradient on node
``n_sj`` is ``k_s c_sj g_s`` and the Hessian block between slots ``j`` and ``l`` is
``k_s c_sj c_sl I``: constant and PSD. The suture force is ``k_s |g_s|`` (N).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray
from mvplan.mechanics.terms import ElementTerm, as_positions

__all__ = ["Sutures"]


class Sutures(ElementTerm):
    """Zero-length springs ``E = k/2 |sum_j c_j x_j - p|^2``.

    Parameters
    ----------
    nodes : (m, q) int
        Nodes combined by each suture (pad with any node and a zero weight).
    weights : (m, q) float
        Signed weights ``c``: the first point's interpolation weights, minus the second's.
    stiffness : (m,) or scalar float, N/mm
        ``k >= 0``.
    offset : (m, 3) float, mm, optional
        Fixed point ``p`` subtracted from the combination (default 0).
    """

    def __init__(
        self,
        nodes: ArrayLike,
        weights: ArrayLike,
        stiffness: ArrayLike,
        offset: ArrayLike | None = None,
    ) -> None:
        self.nodes = np.atleast_2d(np.asarray(nodes, dtype=np.int64))
        m, q = self.nodes.shape
        self.weights = np.asarray(weights, dtype=float).reshape(m, q).copy()
        self.stiffness = np.broadcast_to(np.asarray(stiffness, float), (m,)).copy()
        if np.any(self.stiffness < 0.0):
            raise ValueError("suture stiffness must be >= 0")
        self.offset = (
            np.zeros((m, 3)) if offset is None else np.asarray(offset, float).reshape(m, 3)
        )
        cc = np.einsum("mj,ml->mjl", self.weights, self.weights)
        # Constant Hessian blocks: k c_j c_l I, laid out in the (j, coordinate) DOF order.
        self._blocks = np.einsum("m,mjl,ab->mjalb", self.stiffness, cc, np.eye(3)).reshape(
            m, 3 * q, 3 * q
        )

    @classmethod
    def between(
        cls,
        first_nodes: ArrayLike,
        first_weight: ArrayLike,
        second_nodes: ArrayLike,
        second_weight: ArrayLike,
        stiffness: ArrayLike,
    ) -> Sutures:
        """Sutures between points interpolated on two polylines.

        Point ``(1 - w) x_a + w x_b`` on segment ``(a, b) = first_nodes[s]`` with
        ``w = first_weight[s]`` in [0, 1], and likewise for the second point.

        Parameters
        ----------
        first_nodes, second_nodes : (m, 2) int
        first_weight, second_weight : (m,) float
        stiffness : (m,) or scalar float, N/mm
        """
        a = np.asarray(first_nodes, dtype=np.int64).reshape(-1, 2)
        b = np.asarray(second_nodes, dtype=np.int64).reshape(-1, 2)
        wa = np.broadcast_to(np.asarray(first_weight, float), (a.shape[0],))
        wb = np.broadcast_to(np.asarray(second_weight, float), (b.shape[0],))
        weights = np.stack([1.0 - wa, wa, wb - 1.0, -wb], axis=1)
        return cls(np.concatenate([a, b], axis=1), weights, stiffness)

    @classmethod
    def to_points(
        cls, nodes: ArrayLike, weight: ArrayLike, points: ArrayLike, stiffness: ArrayLike
    ) -> Sutures:
        """Sutures from points interpolated on segments ``nodes (m, 2)`` to fixed ``points``."""
        a = np.asarray(nodes, dtype=np.int64).reshape(-1, 2)
        w = np.broadcast_to(np.asarray(weight, float), (a.shape[0],))
        return cls(a, np.stack([1.0 - w, w], axis=1), stiffness, offset=points)

    def gaps(self, x: FloatArray) -> FloatArray:
        """Gap vectors ``(m, 3)``, mm: first point minus second."""
        x = as_positions(x)
        return np.einsum("mj,mjc->mc", self.weights, x[self.nodes]) - self.offset

    def forces(self, x: FloatArray) -> FloatArray:
        """Force carried by each suture ``(m,)``, N: ``k |gap|``."""
        return self.stiffness * np.linalg.norm(self.gaps(x), axis=1)

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        gap = self.gaps(x)
        energy = 0.5 * self.stiffness * np.einsum("mc,mc->m", gap, gap)
        if order == 0:
            return energy, None, None
        kg = self.stiffness[:, None] * gap
        grads = np.einsum("mj,mc->mjc", self.weights, kg).reshape(gap.shape[0], -1)
        return energy, grads, (self._blocks.copy() if order == 2 else None)

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        return blocks  # k c c^T (x) I is PSD for k >= 0
