"""A rigid ring as six reduced parameters, and an energy wrapper that solves for them.

Formulation
-----------
A rigid ring's nodes follow one rigid motion of their rest points ``p_k`` (mm)::

    x_k(q) = R(w) (p_k - c) + c + t,      q = (t, w),

with ``c`` the centroid of the rest points (rotating about it keeps the translation and rotation
parameters decoupled at ``q = 0``), ``t`` a translation (mm) and ``w`` a rotation vector (rad),
``R(w) = exp([w]x)`` by Rodrigues' formula ``R = I + A(s) K + B(s) K^2`` with ``K = [w]x``,
``s = w.w``, ``A = sin(theta)/theta``, ``B = (1 - cos(theta))/theta^2``. ``A`` and ``B`` are
entire functions of ``s``; they and their ``s``-derivatives are summed as power series, which
is exact to rounding at ``theta = 0`` (no 0/0) and accurate for ``|w| <= 3 pi``. The
rotation-vector chart is singular at ``|w| = 2 pi`` (its Jacobian loses rank), so keep rings
within a half turn of their map's rest pose: build a new map at the current pose (re-base)
before a solve that may turn the ring further.

With ``E_a = [e_a]x`` (so ``dK/dw_a = E_a``) and ``ds/dw_a = 2 w_a``::

    dR/dw_a = 2 w_a (A' K + B' K^2) + A E_a + B (E_a K + K E_a)
    d2R/dw_a dw_b = 4 w_a w_b (A'' K + B'' K^2) + 2 delta_ab (A' K + B' K^2)
                    + 2 w_a (A' E_b + B' (E_b K + K E_b)) + 2 w_b (A' E_a + B' (E_a K + K E_a))
                    + B (E_a E_b + E_b E_a).

Chain rule for a full-space energy ``E(x)`` with gradient ``g`` and Hessian ``H``::

    dE/dq = J^T g,     d2E/dq2 = J^T H J + sum_k g_k . d2x_k/dq2,

where ``J = dx/dq`` and only the ``w``-``w`` block of ``d2x/dq2`` is non-zero. The second term is
the geometric stiffness of the loads carried by the rigid ring; it can be indefinite (a loaded
ring can be unstable in rotation), so ``project=True`` clamps its eigenvalues at zero.

Why a reduced map rather than very stiff cross-links: stiff springs make the Hessian
ill-conditioned (rigid-ring stiffness over tissue stiffness of 1e6 or more) and raise the
rounding floor of the residual; six exact parameters have neither problem.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray, project_psd
from mvplan.mechanics.reduction import FullGradient, ReducedAssembly
from mvplan.mechanics.terms import EnergyTerm, as_positions

__all__ = ["RigidReduced", "RigidRingMap", "rotation_and_derivatives"]

_TERMS = 60  # series terms: enough for s = |w|^2 <= (3 pi)^2 to rounding
_MAX_ANGLE = 3.0 * np.pi
# [e_a]x for a = 0, 1, 2: _GEN[a] @ v == np.cross(e_a, v).
_GEN = np.array(
    [
        [[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]],
        [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 0.0]],
        [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
    ]
)


def _series_coefficients(offset: int) -> FloatArray:
    """``(-1)^k / (2k + offset)!`` for ``k < _TERMS``."""
    k = np.arange(_TERMS, dtype=float)
    log_fact = np.array([np.sum(np.log(np.arange(1.0, 2 * j + offset + 1))) for j in k])
    return np.asarray((-1.0) ** k / np.exp(log_fact))


_K = np.arange(_TERMS, dtype=float)
_COEFFICIENTS = {1: _series_coefficients(1), 2: _series_coefficients(2)}


def _series(s: float, offset: int) -> tuple[float, float, float]:
    """``f(s) = sum_k (-s)^k / (2k + offset)!`` and its first two derivatives in ``s``."""
    coeff, k = _COEFFICIENTS[offset], _K
    powers = s ** np.maximum(k - 2.0, 0.0)  # s^(k-2), guarded for k < 2
    f0 = float(np.sum(coeff * s**k))
    f1 = float(np.sum(coeff[1:] * k[1:] * s ** (k[1:] - 1.0)))
    f2 = float(np.sum(coeff[2:] * k[2:] * (k[2:] - 1.0) * powers[2:]))
    return f0, f1, f2


def rotation_and_derivatives(w: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``R(w)`` and its derivatives in the rotation vector (see the module docstring).

    Parameters
    ----------
    w : (3,) float, rad
        Rotation vector, ``|w| <= 3 pi``.

    Returns
    -------
    R : (3, 3) float
    dR : (3, 3, 3) float
        ``dR[a] = dR/dw_a``.
    d2R : (3, 3, 3, 3) float
        ``d2R[a, b] = d2R/(dw_a dw_b)``.

    The arrays are read-only: the last few results are cached, since Newton asks for the same
    rotation several times an iteration (positions, Jacobian, curvature).
    """
    w = np.asarray(w, dtype=float).reshape(3)
    return _rotation_cached(float(w[0]), float(w[1]), float(w[2]))


@functools.lru_cache(maxsize=8)
def _rotation_cached(w0: float, w1: float, w2: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    out = _rotation_and_derivatives(np.array([w0, w1, w2]))
    for array in out:
        array.setflags(write=False)
    return out


def _rotation_and_derivatives(w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    s = float(w @ w)
    if s > _MAX_ANGLE**2:
        raise ValueError("rotation vector longer than 3 pi: re-base the rigid map")
    a0, a1, a2 = _series(s, 1)
    b0, b1, b2 = _series(s, 2)
    k = np.einsum("aij,a->ij", _GEN, w)
    kk = k @ k
    eye = np.eye(3)
    rot = eye + a0 * k + b0 * kk
    sym = np.einsum("aij,jk->aik", _GEN, k) + np.einsum("ij,ajk->aik", k, _GEN)  # E_a K + K E_a
    first = a1 * k + b1 * kk
    d_r = 2.0 * w[:, None, None] * first + a0 * _GEN + b0 * sym
    lin = a1 * _GEN + b1 * sym  # (3, 3, 3): A' E_a + B' (E_a K + K E_a)
    gen2 = np.einsum("aij,bjk->abik", _GEN, _GEN)
    d2_r = 4.0 * np.einsum("a,b,ij->abij", w, w, a2 * k + b2 * kk)
    d2_r += 2.0 * np.einsum("ab,ij->abij", eye, first)
    d2_r += 2.0 * (np.einsum("a,bij->abij", w, lin) + np.einsum("b,aij->abij", w, lin))
    d2_r += b0 * (gen2 + np.swapaxes(gen2, 0, 1))
    return rot, d_r, d2_r


class RigidRingMap:
    """Six parameters ``q = (t, w)`` to the positions of a rigid ring's nodes.

    Parameters
    ----------
    rest_points : (n, 3) float, mm
        The ring's nodes at ``q = 0``.
    """

    def __init__(self, rest_points: ArrayLike) -> None:
        self.rest_points = as_positions(rest_points).copy()
        self.centre = self.rest_points.mean(axis=0)
        self._arm = self.rest_points - self.centre  # p_k - c

    def positions(self, q: ArrayLike) -> FloatArray:
        """Node positions ``(n, 3)``, mm, for parameters ``q : (6,)`` (mm, rad)."""
        q = np.asarray(q, dtype=float).reshape(6)
        rot = rotation_and_derivatives(q[3:])[0]
        return self._arm @ rot.T + self.centre + q[:3]

    def jacobian(self, q: ArrayLike) -> FloatArray:
        """``dx/dq : (3 n, 6)`` (DOF ``3 k + c`` of node ``k``), 1 and mm/rad."""
        q = np.asarray(q, dtype=float).reshape(6)
        _, d_r, _ = rotation_and_derivatives(q[3:])
        n = self._arm.shape[0]
        jac = np.zeros((n, 3, 6))
        jac[:, :, :3] = np.eye(3)
        jac[:, :, 3:] = np.einsum("aij,kj->kia", d_r, self._arm)
        return jac.reshape(3 * n, 6)

    def curvature(self, q: ArrayLike, gradient: ArrayLike) -> FloatArray:
        """``sum_k g_k . d2x_k/dw dw : (3, 3)``, N mm: the load's rotational stiffness.

        The ``w``-``w`` block of ``g . d2x/dq2`` (the only non-zero one) for the gradient
        ``g : (3 n,)`` or ``(n, 3)``, N, at ``positions(q)``.
        """
        q = np.asarray(q, dtype=float).reshape(6)
        d2_r = rotation_and_derivatives(q[3:])[2]
        g = np.asarray(gradient, dtype=float).reshape(-1, 3)
        return np.asarray(np.einsum("ki,abij,kj->ab", g, d2_r, self._arm))

    def reduce(
        self, q: ArrayLike, gradient: ArrayLike, hessian: FloatArray | sp.spmatrix
    ) -> tuple[FloatArray, FloatArray]:
        """Reduced gradient ``(6,)`` and Hessian ``(6, 6)`` of an energy of the ring nodes.

        Parameters
        ----------
        q : (6,) float
        gradient : (3 n,) float, N
            ``dE/dx`` at ``positions(q)``.
        hessian : (3 n, 3 n) float or sparse, N/mm

        Returns
        -------
        (6,) float and (6, 6) float
            ``J^T g`` and ``J^T H J + g . d2x/dq2`` (units N, N mm; N/mm, N, N mm).
        """
        jac = self.jacobian(q)
        g = np.asarray(gradient, dtype=float).reshape(-1)
        if sp.issparse(hessian):
            h = np.asarray(sp.csr_matrix(hessian) @ jac)
        else:
            h = np.asarray(hessian, dtype=float) @ jac
        reduced = jac.T @ h
        reduced[3:, 3:] += self.curvature(q, g)
        return jac.T @ g, reduced


class RigidReduced:
    """A full-space energy seen through a rigid ring: an energy of the reduced positions.

    The reduced configuration ``y : (m + 2, 3)`` holds the ``m`` nodes that are not on the ring
    (in increasing node order) followed by two pseudo-nodes: the ring translation ``t`` (mm) and
    rotation vector ``w`` (rad). :func:`~mvplan.mechanics.newton.solve` then solves for the ring's
    six DOFs with the other nodes, unchanged; pass ``load_norm`` of the full problem. Residuals of
    the pseudo-nodes are a net force (N) and a net moment (N mm) on the ring.

    This is a top-level energy: it has no element blocks, so do not put it inside a ``Sum``
    (wrap the ``Sum`` instead).

    Parameters
    ----------
    energy : EnergyTerm
        The full energy over ``n_nodes`` nodes (ring terms that only involve ring nodes add a
        constant and may be left out).
    n_nodes : int
    ring_nodes : (r,) int
        Nodes moved rigidly by ``ring_map`` (in the order of its rest points).
    ring_map : RigidRingMap
    """

    def __init__(
        self, energy: EnergyTerm, n_nodes: int, ring_nodes: ArrayLike, ring_map: RigidRingMap
    ) -> None:
        self.energy = energy
        self.n_nodes = int(n_nodes)
        self.ring_nodes = np.asarray(ring_nodes, dtype=np.int64).reshape(-1)
        if self.ring_nodes.size != ring_map.rest_points.shape[0]:
            raise ValueError("one ring node per rest point of the map")
        self.ring_map = ring_map
        other = np.ones(self.n_nodes, dtype=bool)
        other[self.ring_nodes] = False
        self.other_nodes: IntArray = np.flatnonzero(other)
        self._template = np.zeros((self.n_nodes, 3))
        self._full_gradient = FullGradient(self.energy)
        self._assembly = self._build_assembly()

    @property
    def n_reduced(self) -> int:
        """Number of reduced nodes ``m + 2``."""
        return self.other_nodes.size + 2

    def reduced(self, x: ArrayLike, q: ArrayLike | None = None) -> FloatArray:
        """Reduced configuration ``(m + 2, 3)`` from full positions and ring parameters."""
        y = np.zeros((self.n_reduced, 3))
        y[:-2] = as_positions(x)[self.other_nodes]
        y[-2:] = np.zeros(6).reshape(2, 3) if q is None else np.asarray(q, float).reshape(2, 3)
        return y

    def parameters(self, y: ArrayLike) -> FloatArray:
        """Ring parameters ``q = (t, w) : (6,)`` of a reduced configuration."""
        return as_positions(y)[-2:].ravel().copy()

    def expand(self, y: ArrayLike) -> FloatArray:
        """Full positions ``(n, 3)``, mm, of a reduced configuration."""
        y = as_positions(y)
        x = self._template.copy()
        x[self.other_nodes] = y[:-2]
        x[self.ring_nodes] = self.ring_map.positions(y[-2:].ravel())
        return x

    def _build_assembly(self) -> ReducedAssembly:
        """``J^T g`` and ``J^T H J`` over a fixed pattern (built once, with the model)."""
        m = self.other_nodes.size
        w_dofs = 3 * m + 3 + np.arange(3)
        return ReducedAssembly(
            self.energy,
            self.n_nodes,
            self.ring_nodes,
            np.broadcast_to(3 * m + np.arange(6), (self.ring_nodes.size, 6)),
            np.arange(m),
            3 * self.n_reduced,
            extra=(np.repeat(w_dofs, 3), np.tile(w_dofs, 3)),  # the map's w-w curvature
        )

    def _node_jacobians(self, q: FloatArray) -> FloatArray:
        return self.ring_map.jacobian(q).reshape(-1, 3, 6)

    def value(self, y: FloatArray) -> float:
        return self.energy.value(self.expand(y))

    def gradient(self, y: FloatArray) -> FloatArray:
        q = self.parameters(y)
        return self._assembly.gradient(
            self._full_gradient(y, self.expand)[1], self._node_jacobians(q)
        )

    def hessian(self, y: FloatArray, project: bool = False) -> sp.csr_matrix:
        q = self.parameters(y)
        x, g = self._full_gradient(y, self.expand)
        curvature = self.ring_map.curvature(q, g.reshape(-1, 3)[self.ring_nodes])
        if project:  # the load's rotational stiffness can be indefinite: clamp it
            curvature = project_psd(curvature[None])[0]
        return self._assembly.hessian(x, self._node_jacobians(q), project, curvature.ravel())

    def element_dofs(self) -> list[IntArray]:
        raise NotImplementedError("RigidReduced is a top-level energy: wrap a Sum, not into one")

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        raise NotImplementedError("RigidReduced is a top-level energy: wrap a Sum, not into one")
