"""Zero-length elastic foundation tying nodes to fixed anchor points.

Formulation
-----------
For node ``i`` with anchor ``a`` (mm), unit normal ``n`` and stiffnesses ``k_n``, ``k_t`` (N/mm),
``d = x_i - a`` and

    E = 1/2 d^T K d,    K = k_n n n^T + k_t (I - n n^T),

so the gradient is ``K d`` and the Hessian the constant ``K`` (PSD whenever ``k_n, k_t >= 0``).
For a foundation of stiffness ``k`` per unit length of a curve (N/mm^2), pass ``k`` times each
node's Voronoi length. The energy is invariant when the configuration, anchors and normals are
moved rigidly together, not when the nodes alone are (the anchors are fixed in space).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray
from mvplan.mechanics.terms import ElementTerm

__all__ = ["Foundation"]


class Foundation(ElementTerm):
    """Elastic foundation: zero-length springs from nodes to fixed anchors.

    Parameters
    ----------
    nodes : (m,) int
        Tied nodes.
    anchors : (m, 3) float, mm
        Fixed anchor points (typically the nodes' initial positions).
    normal_stiffness : (m,) or scalar float, N/mm
        ``k_n >= 0`` along ``normals``.
    tangential_stiffness : (m,) or scalar float, N/mm, optional
        ``k_t >= 0`` across ``normals``; default ``k_n`` (isotropic).
    normals : (m, 3) float, optional
        Directions of ``k_n`` (normalised here); needed when ``k_t`` differs from ``k_n``.
    """

    def __init__(
        self,
        nodes: ArrayLike,
        anchors: ArrayLike,
        normal_stiffness: ArrayLike,
        tangential_stiffness: ArrayLike | None = None,
        normals: ArrayLike | None = None,
    ) -> None:
        self.nodes = np.asarray(nodes, dtype=np.int64).reshape(-1, 1)
        m = self.nodes.shape[0]
        self.anchors = np.asarray(anchors, dtype=float).reshape(m, 3).copy()
        k_n = np.broadcast_to(np.asarray(normal_stiffness, float), (m,))
        k_t = k_n if tangential_stiffness is None else tangential_stiffness
        k_t = np.broadcast_to(np.asarray(k_t, float), (m,))
        if np.any(k_n < 0.0) or np.any(k_t < 0.0):
            raise ValueError("foundation stiffnesses must be >= 0")
        if normals is None:
            if not np.allclose(k_n, k_t):
                raise ValueError("an anisotropic foundation needs normals")
            normals = np.tile([0.0, 0.0, 1.0], (m, 1))
        n = np.asarray(normals, dtype=float).reshape(m, 3)
        n = n / np.linalg.norm(n, axis=1, keepdims=True)
        nn = np.einsum("mi,mj->mij", n, n)
        # K is constant: build it once.
        self.matrices = k_n[:, None, None] * nn + k_t[:, None, None] * (np.eye(3) - nn)

    def displacements(self, x: FloatArray) -> FloatArray:
        """Offsets ``x_i - a`` of the tied nodes ``(m, 3)``, mm."""
        return np.asarray(x, float).reshape(-1, 3)[self.nodes[:, 0]] - self.anchors

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        d = x[self.nodes[:, 0]] - self.anchors
        kd = np.einsum("mij,mj->mi", self.matrices, d)
        energy = 0.5 * np.einsum("mi,mi->m", d, kd)
        if order == 0:
            return energy, None, None
        return energy, kd, (self.matrices.copy() if order == 2 else None)

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        return blocks  # already PSD (non-negative stiffnesses)
