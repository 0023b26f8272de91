"""Axial springs between node pairs: linear springs and tension-only cables smoothed near slack.

Formulation
-----------
For a spring between nodes ``i`` and ``j`` with ``d = x_j - x_i``, length ``l = |d|``, unit
direction ``u = d / l`` and elongation ``s = l - L0`` (mm), the energy is ``k * G(s)`` with

- linear spring: ``G(s) = s**2 / 2`` (force ``k s``, compressive when ``s < 0``);
- tension-only cable, smoothed over a band of width ``h`` centred on ``s = 0``::

      G(s) = 0                          s <= -h/2
      G(s) = (s + h/2)**3 / (6 h)       -h/2 < s < h/2
      G(s) = s**2 / 2 + h**2 / 24       s >= h/2

  so the tension ``k G'(s)`` is 0 below the band, exactly ``k s`` above it, and the quadratic
  ``k (s + h/2)**2 / (2 h)`` inside; ``G'`` is C1, hence the energy is C2 (``G'''`` jumps).
  The default width is 1 % of the rest length (``h = 0.01 L0``).

The tension ``t = k G'(s)`` and axial stiffness ``a = k G''(s)`` give the gradient
``dE/dx_j = -dE/dx_i = t u`` and the Hessian ``[[K, -K], [-K, K]]`` with
``K = a u u^T + (t / l) (I - u u^T)``. Its eigenvalues are ``2 a``, ``2 t / l`` (twice) and 0, so
the PSD projection clamps ``a`` and ``t / l`` at zero in closed form: only compressed linear
springs (``t < 0``) are ever indefinite.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray
from mvplan.mechanics.terms import ElementTerm, as_positions

__all__ = ["Springs", "cable_profile"]


def cable_profile(s: FloatArray, width: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The smoothed tension-only profile ``G(s)`` and its first two derivatives.

    Parameters
    ----------
    s : (m,) float, mm
        Elongation ``l - L0``.
    width : (m,) float, mm
        Width ``h > 0`` of the smoothing band ``[-h/2, h/2]``.

    Returns
    -------
    G, G', G'' : (m,) float
        In mm^2, mm and 1; multiply by the stiffness for energy, tension and axial stiffness.
    """
    shifted = s + 0.5 * width
    inside = (shifted > 0.0) & (s < 0.5 * width)
    taut = s >= 0.5 * width
    g0 = np.where(taut, 0.5 * s**2 + width**2 / 24.0, 0.0)
    g1 = np.where(taut, s, 0.0)
    g2 = np.where(taut, 1.0, 0.0)
    g0 = np.where(inside, shifted**3 / (6.0 * width), g0)
    g1 = np.where(inside, shifted**2 / (2.0 * width), g1)
    g2 = np.where(inside, shifted / width, g2)
    return g0, g1, g2


class Springs(ElementTerm):
    """Linear springs or tension-only cables between node pairs.

    Parameters
    ----------
    pairs : (m, 2) int
        Node indices ``(i, j)`` of each spring.
    rest_length : (m,) or scalar float, mm
        ``L0 > 0``; use :class:`~mvplan.mechanics.sutures.Sutures` for zero-length springs.
    stiffness : (m,) or scalar float, N/mm
        ``k >= 0`` (for a rod segment of axial rigidity EA, ``k = EA / L0``).
    tension_only : bool
        Cables: no compression, smoothed near slack (see the module docstring).
    slack_width : (m,) or scalar float, mm, optional
        Width ``h`` of the smoothing band; default ``0.01 * L0``.
    """

    def __init__(
        self,
        pairs: ArrayLike,
        rest_length: ArrayLike,
        stiffness: ArrayLike,
        *,
        tension_only: bool = False,
        slack_width: ArrayLike | None = None,
    ) -> None:
        self.nodes = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        m = self.nodes.shape[0]
        self.rest_length = np.broadcast_to(np.asarray(rest_length, float), (m,)).copy()
        self.stiffness = np.broadcast_to(np.asarray(stiffness, float), (m,)).copy()
        if np.any(self.rest_length <= 0.0) or np.any(self.stiffness < 0.0):
            raise ValueError("springs need rest_length > 0 and stiffness >= 0")
        self.tension_only = bool(tension_only)
        width = 0.01 * self.rest_length if slack_width is None else slack_width
        self.slack_width = np.broadcast_to(np.asarray(width, float), (m,)).copy()
        if self.tension_only and np.any(self.slack_width <= 0.0):
            raise ValueError("cables need slack_width > 0")

    def _axial(self, x: FloatArray) -> tuple[FloatArray, ...]:
        d = x[self.nodes[:, 1]] - x[self.nodes[:, 0]]
        length = np.linalg.norm(d, axis=1)
        s = length - self.rest_length
        if self.tension_only:
            g0, g1, g2 = cable_profile(s, self.slack_width)
        else:
            g0, g1, g2 = 0.5 * s**2, s, np.ones_like(s)
        k = self.stiffness
        return d, length, k * g0, k * g1, k * g2

    def lengths(self, x: FloatArray) -> FloatArray:
        """Current lengths ``(m,)``, mm."""
        x = as_positions(x)
        return np.linalg.norm(x[self.nodes[:, 1]] - x[self.nodes[:, 0]], axis=1)

    def tensions(self, x: FloatArray) -> FloatArray:
        """Axial force of each spring ``(m,)``, N (positive in tension)."""
        return self._axial(as_positions(x))[3]

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        d, length, energy, tension, axial = self._axial(x)
        if order == 0:
            return energy, None, None
        u = d / length[:, None]
        gj = tension[:, None] * u
        grads = np.concatenate([-gj, gj], axis=1)
        if order == 1:
            return energy, grads, None
        return energy, grads, self._blocks(u, axial, tension / length)

    @staticmethod
    def _blocks(u: FloatArray, axial: FloatArray, transverse: FloatArray) -> FloatArray:
        uu = np.einsum("mi,mj->mij", u, u)
        k3 = axial[:, None, None] * uu + transverse[:, None, None] * (np.eye(3) - uu)
        return np.block([[k3, -k3], [-k3, k3]])

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        d, length, _, tension, axial = self._axial(x)
        u = d / length[:, None]
        return self._blocks(u, np.maximum(axial, 0.0), np.maximum(tension / length, 0.0))
