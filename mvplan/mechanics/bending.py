"""Isotropic discrete bending of a polyline (open or closed) with a rest shape.

Formulation
-----------
At an interior vertex with incoming edge ``a = x_i - x_{i-1}`` and outgoing edge
``b = x_{i+1} - x_i``, the turning angle ``phi`` has ``t = cos(phi) = a.b / (|a| |b|)``, and the
discrete-elastic-rods curvature magnitude is

    kappa = |kb| = 2 tan(phi / 2) = 2 sqrt((1 - t) / (1 + t)),
    kb = 2 a x b / (|a| |b| + a.b).

The vertex energy is

    E_i = C_i (kappa_i - kappa_i^rest)^2,    C_i = EI_i / (|a^rest| + |b^rest|) = EI_i / (2 V_i),

with ``V_i`` the Voronoi (half-edge-sum) length of the rest curve. The factor: ``kappa ~ phi`` is
the curvature integrated over ``V_i``, so ``EI/2 * (phi/V_i)^2 * V_i = EI phi^2 / (2 V_i)`` is
the continuum energy ``int EI/2 k^2 ds`` (Bergou et al. 2008 write ``l_i = 2 V_i``). The
diametral-load ring verification (:mod:`.verification`) checks this constant.

Why this form: ``E_i`` depends only on ``t``, a ratio of dot products, so it is invariant under
rigid rotations, translations and reflections of the curve (a floating ring may rotate), and it
needs no material frame. Derivatives are exact: ``E = g(t)``, ``grad E = g'(t) grad t``,
``hess E = g''(t) grad t grad t^T + g'(t) hess t`` with closed-form ``grad t`` and ``hess t``
in ``(a, b)``; ``kappa^2 = 4 (1 - t) / (1 + t)`` is smooth in ``t`` even at a straight vertex
(``t = 1``), so straight rest shapes are smooth everywhere.

Limits (read before using it for rings)
---------------------------------------
- Isotropic: one stiffness for in-plane and out-of-plane bending, and no twist.
- With a curved rest shape (``kappa^rest > 0``) only the *magnitude* of the curvature is
  penalised. Bending a planar ring out of its plane adds a curvature component perpendicular to
  the rest one, which changes ``|kb|`` only at second order: such a ring has **no linear
  out-of-plane bending stiffness** (its energy grows like the fourth power of out-of-plane
  deflections, and its Hessian is singular in those directions without other terms). In-plane
  bending is represented correctly. Out-of-plane ring stiffness needs material frames
  (an anisotropic rod), which this module does not provide.
- With ``kappa^rest > 0`` the energy has a cone (is not differentiable) at a straightened vertex
  (``kappa = 0``); there the gradient is taken as 0. ``kappa`` grows without bound as a vertex
  folds back (``phi -> pi``), which keeps polylines from folding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.terms import ElementTerm, as_positions

__all__ = ["DiscreteBending", "curvature_magnitudes", "curve_vertices"]

# Maps (a, b) = (x1 - x0, x2 - x1) to the vertex triple: y = P x.
_P = np.kron(np.array([[-1.0, 1.0, 0.0], [0.0, -1.0, 1.0]]), np.eye(3))
_TINY = 1e-150


def curve_vertices(
    nodes: ArrayLike, rest_positions: ArrayLike, bending_stiffness: ArrayLike, closed: bool
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """The bending vertices of a polyline and their rest edges (shared by the bending terms).

    Parameters
    ----------
    nodes : (n_c,) int
    rest_positions : (n_c, 3) float, mm
    bending_stiffness : (n_c,) or scalar float, N mm^2
    closed : bool

    Returns
    -------
    triples : (m, 3) int
        Node indices ``(i - 1, i, i + 1)`` of every bending vertex (all of a closed curve's,
        the interior ones of an open curve's).
    a, b : (m, 3) float, mm
        Rest edges into and out of each vertex.
    ei : (m,) float
        ``EI`` at each vertex.

    Raises
    ------
    ValueError
        Fewer than 3 nodes, a rest position missing, or a zero-length rest edge.
    """
    curve = np.asarray(nodes, dtype=np.int64).reshape(-1)
    rest = np.asarray(rest_positions, dtype=float).reshape(-1, 3)
    n = curve.size
    if rest.shape[0] != n or n < 3:
        raise ValueError("bending needs >= 3 curve nodes and one rest position per node")
    centre = np.arange(n) if closed else np.arange(1, n - 1)
    local = np.stack([(centre - 1) % n, centre, (centre + 1) % n], axis=1)
    a = rest[local[:, 1]] - rest[local[:, 0]]
    b = rest[local[:, 2]] - rest[local[:, 1]]
    if np.any(np.linalg.norm(a, axis=1) <= 0.0) or np.any(np.linalg.norm(b, axis=1) <= 0.0):
        raise ValueError("the rest shape has a zero-length edge")
    ei = np.broadcast_to(np.asarray(bending_stiffness, float), (n,))[centre]
    return curve[local], a, b, ei


def _cos_terms(a: FloatArray, b: FloatArray) -> tuple[FloatArray, ...]:
    """``t = cos(phi)``, ``1 - t`` and ``1 + t`` without cancellation near a straight vertex."""
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    ua, ub = a / na, b / nb
    one_minus = 0.5 * np.sum((ua - ub) ** 2, axis=1)
    one_plus = 0.5 * np.sum((ua + ub) ** 2, axis=1)
    return 1.0 - one_minus, one_minus, one_plus


def curvature_magnitudes(a: FloatArray, b: FloatArray) -> FloatArray:
    """``kappa = 2 tan(phi / 2)`` at vertices with edges ``a, b : (m, 3)`` (dimensionless)."""
    _, one_minus, one_plus = _cos_terms(a, b)
    return 2.0 * np.sqrt(one_minus / one_plus)


def _grad_hess_t(a: FloatArray, b: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Gradient ``(m, 6)`` and Hessian ``(m, 6, 6)`` of ``t = a.b / (|a||b|)`` in ``(a, b)``."""
    aa = np.einsum("mi,mi->m", a, a)[:, None, None]
    bb = np.einsum("mi,mi->m", b, b)[:, None, None]
    m = 1.0 / np.sqrt(aa * bb)
    c = t[:, None, None] / m  # a.b
    grad = np.concatenate(
        [m[:, 0] * (b - c[:, 0] * a / aa[:, 0]), m[:, 0] * (a - c[:, 0] * b / bb[:, 0])], axis=1
    )
    eye = np.eye(3)
    out_aa = np.einsum("mi,mj->mij", a, a)
    out_bb = np.einsum("mi,mj->mij", b, b)
    out_ab = np.einsum("mi,mj->mij", a, b)
    out_ba = np.swapaxes(out_ab, 1, 2)
    h_aa = m * (c * (3.0 * out_aa / aa**2 - eye / aa) - (out_ba + out_ab) / aa)
    h_bb = m * (c * (3.0 * out_bb / bb**2 - eye / bb) - (out_ab + out_ba) / bb)
    h_ab = m * (c * out_ab / (aa * bb) - out_bb / bb - out_aa / aa + eye)
    hess = np.block([[h_aa, h_ab], [np.swapaxes(h_ab, 1, 2), h_bb]])
    return grad, hess


class DiscreteBending(ElementTerm):
    """Isotropic bending of a polyline with a rest shape (see the module docstring).

    Parameters
    ----------
    nodes : (n_c,) int
        Node indices along the curve, in order.
    rest_positions : (n_c, 3) float, mm
        The curve's stress-free shape (same order as ``nodes``).
    bending_stiffness : (n_c,) or scalar float, N mm^2
        ``EI`` at each curve vertex (only interior vertices of an open curve are used).
    closed : bool
        A closed curve (ring): every vertex bends, the last joins the first.
    """

    def __init__(
        self,
        nodes: ArrayLike,
        rest_positions: ArrayLike,
        bending_stiffness: ArrayLike,
        *,
        closed: bool = False,
    ) -> None:
        self.nodes, a, b, ei = curve_vertices(nodes, rest_positions, bending_stiffness, closed)
        la, lb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        if np.any(_cos_terms(a, b)[2] <= 0.0):
            raise ValueError("the rest shape folds back on itself")
        self.voronoi_length = 0.5 * (la + lb)
        self.coefficient = ei / (2.0 * self.voronoi_length)  # C_i, N mm
        self.rest_curvature = curvature_magnitudes(a, b)

    def curvatures(self, x: FloatArray) -> FloatArray:
        """Current ``kappa = 2 tan(phi/2)`` at each bending vertex ``(m,)``."""
        x = as_positions(x)
        p = x[self.nodes]
        return curvature_magnitudes(p[:, 1] - p[:, 0], p[:, 2] - p[:, 1])

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        p = x[self.nodes]
        a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 1]
        t, one_minus, one_plus = _cos_terms(a, b)
        kappa = 2.0 * np.sqrt(one_minus / one_plus)
        cc, k0 = self.coefficient, self.rest_curvature
        energy = cc * (kappa - k0) ** 2
        if order == 0:
            return energy, None, None
        # g(t) = C (q - 2 k0 f + k0^2), q = f^2 = 4 (1 - t)/(1 + t): q is smooth at t = 1,
        # f = sqrt(q) only enters when k0 > 0 (the cone at a straightened vertex).
        sin2 = np.maximum(one_minus * one_plus, _TINY)  # 1 - t^2
        df = -kappa / sin2
        g1 = cc * (-8.0 / one_plus**2 - 2.0 * k0 * df)
        grad_t, hess_t = _grad_hess_t(a, b, t)
        grads = (g1[:, None] * grad_t) @ _P
        if order == 1:
            return energy, grads, None
        d2f = kappa * (1.0 - 2.0 * t) / sin2**2
        g2 = cc * (16.0 / one_plus**3 - 2.0 * k0 * d2f)
        hess_y = g2[:, None, None] * np.einsum("mi,mj->mij", grad_t, grad_t)
        hess_y += g1[:, None, None] * hess_t
        return energy, grads, np.einsum("ki,mkl,lj->mij", _P, hess_y, _P)
