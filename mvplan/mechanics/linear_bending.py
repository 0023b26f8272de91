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

from mvplan.mechanics.bending import curve_vertices
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
        triples, a, b, ei = curve_vertices(nodes, rest_positions, bending_stiffness, closed)
        h = 0.5 * (np.linalg.norm(a, axis=1) + np.linalg.norm(b, axis=1))
        weights = np.tile([1.0, -2.0, 1.0], (triples.shape[0], 1))
        # D_i(x_rest) = x_{i-1} - 2 x_i + x_{i+1} = b - a.
        super().__init__(triples, weights, ei / h**3, offset=b - a)
