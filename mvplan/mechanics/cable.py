"""A sliding cable: one tension-only cable running through a chain of nodes without friction.

Formulation
-----------
A cinching wire threaded through a chain of nodes (a coronary-sinus device lying in the vein,
a transcatheter band's contraction wire running through its anchors) slides where it passes a
node, so its tension ``t`` is the same all along. With the chain's length

    L(x) = sum_k l_k,     l_k = |x_{c_{k+1}} - x_{c_k}|,     u_k = (x_{c_{k+1}} - x_{c_k}) / l_k,

the energy is ``E = (EA / L0) G(L - L0)``, with ``G`` the smoothed tension-only profile of
:func:`mvplan.mechanics.springs.cable_profile` (slack below ``L0 - h/2``, exactly linear above
``L0 + h/2``) and ``EA`` the wire's axial rigidity (N). Then

    t = (EA / L0) G'(L - L0)          (N, the same along the whole wire),
    dE/dx_{c_k} = t (u_{k-1} - u_k)   (the ends: -t u_0 and t u_{m-2}),

so an interior node is pushed toward the inside of the wire's bend with ``t`` times the turn
of the tangent there (``t kappa ds``), and the end nodes (the anchors) are pulled along the
wire. The Hessian is

    H = a (dL/dx)(dL/dx)^T + t sum_k (1 / l_k) P_k,       a = (EA / L0) G''(L - L0),

with ``P_k`` the segment's transverse projector ``I - u_k u_k^T`` in the ``[[P, -P], [-P, P]]``
pattern. Both parts are PSD (``a, t >= 0`` for a cable), so the exact Hessian needs no
projection. The first part couples every node of the chain with every other: the term is one
element of ``3 m`` DOFs (a dense ``3m x 3m`` block; ``m`` is a few dozen).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray
from mvplan.mechanics.springs import cable_profile
from mvplan.mechanics.terms import ElementTerm, as_positions

__all__ = ["SlidingCable"]


class SlidingCable(ElementTerm):
    """A tension-only wire sliding without friction through the nodes ``chain``.

    Parameters
    ----------
    chain : (m,) int
        Nodes the wire passes through in order, ``m >= 2`` (the first and last are its ends).
    rest_length : float, mm
        ``L0 > 0``: the wire's length between its ends when it starts to pull.
    axial_rigidity_n : float, N
        ``EA >= 0``.
    slack_width : float, mm, optional
        Width ``h`` of the smoothing band about ``L0``; default ``0.002 L0``.
    """

    def __init__(
        self,
        chain: ArrayLike,
        rest_length: float,
        axial_rigidity_n: float,
        *,
        slack_width: float | None = None,
    ) -> None:
        nodes = np.asarray(chain, dtype=np.int64).reshape(1, -1)
        if nodes.shape[1] < 2 or np.unique(nodes).size != nodes.shape[1]:
            raise ValueError("a sliding cable needs at least 2 distinct nodes")
        self.nodes = nodes
        self.rest_length = float(rest_length)
        self.axial_rigidity_n = float(axial_rigidity_n)
        if not self.rest_length > 0.0 or self.axial_rigidity_n < 0.0:
            raise ValueError("a sliding cable needs rest_length > 0 and axial rigidity >= 0")
        width = 0.002 * self.rest_length if slack_width is None else float(slack_width)
        if not width > 0.0:
            raise ValueError("a sliding cable needs slack_width > 0")
        self.slack_width = width

    def length(self, x: ArrayLike) -> float:
        """The wire's current length ``L`` between its ends, mm."""
        d = np.diff(as_positions(x)[self.nodes[0]], axis=0)
        return float(np.linalg.norm(d, axis=1).sum())

    def tension(self, x: ArrayLike) -> float:
        """The wire's tension ``t``, N (0 when slack)."""
        _, g1, _ = self._profile(self.length(x))
        return g1

    def _profile(self, length: float) -> tuple[float, float, float]:
        """Energy (N mm), tension (N) and axial stiffness (N/mm) at the wire length ``L``."""
        k = self.axial_rigidity_n / self.rest_length
        g0, g1, g2 = cable_profile(
            np.array([length - self.rest_length]), np.array([self.slack_width])
        )
        return k * float(g0[0]), k * float(g1[0]), k * float(g2[0])

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        points = x[self.nodes[0]]
        d = np.diff(points, axis=0)
        seg = np.linalg.norm(d, axis=1)
        energy, tension, axial = self._profile(float(seg.sum()))
        energies = np.array([energy])
        if order == 0:
            return energies, None, None
        u = d / seg[:, None]
        m = points.shape[0]
        dl = np.zeros((m, 3))  # dL/dx at each chain node
        dl[:-1] -= u
        dl[1:] += u
        grads = (tension * dl).reshape(1, -1)
        if order == 1:
            return energies, grads, None
        flat = dl.ravel()
        blocks = axial * np.outer(flat, flat)
        transverse = (tension / seg)[:, None, None] * (np.eye(3) - np.einsum("ki,kj->kij", u, u))
        for k, p in enumerate(transverse):
            a, b = 3 * k, 3 * k + 3
            blocks[a:b, a:b] += p
            blocks[b : b + 3, b : b + 3] += p
            blocks[a:b, b : b + 3] -= p
            blocks[b : b + 3, a:b] -= p
        return energies, grads, blocks[None]

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        # a >= 0 and t >= 0 for a cable: the exact Hessian is already PSD (module docstring).
        return blocks
