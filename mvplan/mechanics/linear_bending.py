"""Linear (small-displacement) bending of a polyline held in place, e.g. tissue on a foundation.

Formulation
-----------
At vertex ``i`` of a polyline with near-uniform spacing, the second difference
``D_i(x) = x_{i-1} - 2 x_i + x_{i+1}`` approximates ``h^2 x''``; the energy

    E = sum_i EI_i / (2 h_i^3) |D_i(x) - D_i(x_rest)|^2,     h_i = Voronoi length at i,

is the discrete form of ``EI/2 int |u''|^2 ds`` in the displacement ``u = x - x_rest``: the
bending energy of linear beam theory, the same in every direction across the rod. It is
quadratic, so its Hessian is constant and positive semi-definite (its null space: the rest
shape translated, and displaced linearly along the curve), which keeps Newton's method
quadratic and never indefinite.

Limits: it is not invariant under rotation (a rigidly turned rod stores ``~ EI kappa^2 theta^2``
per unit length); use it for rods held in place by other terms (the annulus on its
foundation), whose rotations stay small, not for floating rings
(:mod:`.frame` / :mod:`.floating` for those). Curvature changes of either sign cost the same,
which the curvature-magnitude form of :mod:`.bending` cannot give on a finely sampled, gently
curved rod (there, reversing a vertex's small rest curvature is nearly free and the
straightened vertex is a cone that stalls Newton).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.sutures import Sutures

__all__ = ["LinearBending"]


class LinearBending(Sutures):
    """Quadratic bending of a polyline about its rest shape (see the module docstring).

    Parameters
    ----------
    nodes : (n_c,) int
        Node indices along the curve, in order.
    rest_positions : (n_c, 3) float, mm
    bending_stiffness : (n_c,) or scalar float, N mm^2
        ``EI`` at each vertex (interior vertices only for an open curve).
    closed : bool
    """

    def __init__(
        self,
        nodes: ArrayLike,
        rest_positions: ArrayLike,
        bending_stiffness: ArrayLike,
        *,
        closed: bool = False,
    ) -> None:
        curve = np.asarray(nodes, dtype=np.int64).reshape(-1)
        rest = np.asarray(rest_positions, dtype=float).reshape(-1, 3)
        n = curve.size
        if rest.shape[0] != n or n < 3:
            raise ValueError("bending needs >= 3 curve nodes and one rest position per node")
        centre = np.arange(n) if closed else np.arange(1, n - 1)
        local = np.stack([(centre - 1) % n, centre, (centre + 1) % n], axis=1)
        ei = np.broadcast_to(np.asarray(bending_stiffness, float), (n,))[centre]
        p = rest[local]
        edges = np.linalg.norm(p[:, 1] - p[:, 0], axis=1), np.linalg.norm(p[:, 2] - p[:, 1], axis=1)
        if np.any(edges[0] <= 0.0) or np.any(edges[1] <= 0.0):
            raise ValueError("the rest shape has a zero-length edge")
        h = 0.5 * (edges[0] + edges[1])
        weights = np.tile([1.0, -2.0, 1.0], (centre.size, 1))
        offset = p[:, 0] - 2.0 * p[:, 1] + p[:, 2]
        super().__init__(curve[local], weights, ei / h**3, offset=offset)
