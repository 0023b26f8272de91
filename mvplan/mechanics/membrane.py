"""Constant-strain membrane triangles with a hyperelastic law (leaflet tissue).

Formulation
-----------
Each triangle ``(i0, i1, i2)`` has its own orthonormal reference frame, built from its
stress-free 3D positions ``X_a``: ``e1`` along ``X_1 - X_0``, the unit normal ``n`` of
``(X_1 - X_0) x (X_2 - X_0)``, and ``e2 = n x e1``. In that frame the reference edges form the
2x2 matrix ``Dm = [P_1 - P_0, P_2 - P_0]`` (``P_a`` the 2D coordinates), the reference area is
``A0 = det(Dm) / 2``, and the (constant) shape-function gradients are ``G_1, G_2`` = the rows of
``Dm^-1`` and ``G_0 = -G_1 - G_2``. The current positions ``x_a`` (mm) give the 3x2 deformation
gradient and the in-plane right Cauchy-Green tensor

    F = sum_a x_a G_a^T,    C = F^T F   (2x2),

and the element energy (N mm) is ``E = A0 t W(C)`` with the reference thickness ``t`` (mm) and a
:class:`~mvplan.mechanics.leaflet_law.MembraneLaw` ``W`` (MPa). With ``S = 2 sym(dW/dC)``:

    dE/dx_a = A0 t F S G_a,
    d2E/dx_ai dx_bj = A0 t [dC^(ai) : d2W/dC2 : dC^(bj) + (G_a . S G_b) delta_ij],
    dC^(ai) = G_a F_i^T + F_i G_a^T     (F_i: row i of F).

The first Hessian term (material) is written with the Voigt strain operator ``B`` ``(9, 3)`` and
the 3x3 tangent ``K`` of ``W`` in ``(C00, C11, C01)``; the second (geometric) is
``(G S G^T) x I3``. Both are exact. The Hessian is indefinite where the membrane is compressed
(``S`` has a negative eigenvalue) or the law is not convex; the PSD projection
(``project=True``, used by Newton only when the exact Hessian fails, SOLVER-NOTES.md) leaves a
block unchanged when ``K`` and ``S`` are both PSD (a sufficient condition for a PSD block) and
clamps the eigenvalues of the others only. Those are clamped in the basis of the motions free of
translation (two node weights orthogonal to ``(1, 1, 1)``) along the current tangent plane (4)
and its normal (2): ``C`` does not change to first order under the normal ones, so the block is
a 4 x 4 block (``eigh`` unless it is positive definite) beside the 2 x 2 geometric block
``A0 t G S G^T`` (in closed form), the same projection as the generic ``eigh`` of the 9 x 9 block.

The per-element fibre direction (for anisotropic laws) is a 3D vector projected onto the
triangle's reference plane and normalised: ``a0 = P f / |P f|``, in the element frame.

Outputs for stress maps: Green-Lagrange strains in the reference fibre frame ``(a0, n x a0)``,
the current thickness ``t lambda_3``, and the Cauchy stress
``sigma = F S F^T / (J lambda_3)`` (MPa, ``J = sqrt(det C)``; ``J lambda_3 = 1`` for
incompressible laws) in global coordinates, in the current fibre frame ``(f, n x f)`` with
``f = F a0 / |F a0|``, and as in-plane principal values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mvplan.mechanics.assembly import FloatArray, project_psd
from mvplan.mechanics.leaflet_law import MembraneLaw
from mvplan.mechanics.terms import ElementTerm, as_positions, remembered
from mvplan.mechanics.triangles import chunks, times_constant

__all__ = ["MembraneTriangles"]

# Maps the Voigt components (C00, C11, C01) to the four entries C00, C01, C10, C11.
_VOIGT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
# Two orthonormal node weights orthogonal to (1, 1, 1), and the map from a frame (t1, t2, n)
# to the rows (c1 t1, c1 t2, c2 t1, c2 t2, c1 n, c2 n) of the basis of the motions free of
# translation: in-plane (tangent) first, then normal to the current plane.
_NODE_WEIGHTS = np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -2.0]]) / np.sqrt([[2.0], [6.0]])
_FRAME_ROWS = np.zeros((3, 2, 6))  # (frame vector, node weight, row)
_FRAME_ROWS[0, 0, 0] = _FRAME_ROWS[1, 0, 1] = _FRAME_ROWS[0, 1, 2] = _FRAME_ROWS[1, 1, 3] = 1.0
_FRAME_ROWS[2, 0, 4] = _FRAME_ROWS[2, 1, 5] = 1.0
_FRAME_MAP = np.einsum("vkr,ka,cd->vcrad", _FRAME_ROWS, _NODE_WEIGHTS, np.eye(3)).reshape(9, 54)


def _unit(v: FloatArray) -> FloatArray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


class MembraneTriangles(ElementTerm):
    """Hyperelastic constant-strain membrane triangles (see the module docstring).

    Parameters
    ----------
    triangles : (m, 3) int
        Node indices of each triangle.
    rest_positions : (n, 3) float, mm
        Stress-free positions of the nodes (indexed like ``x``; only the triangles' nodes are
        read).
    law : MembraneLaw
        Material, e.g. ``LEAFLET_LAWS["anterior"]`` or ``SaintVenantKirchhoff(4.0, 0.45)``.
    thickness : (m,) or scalar float, mm
        Reference thickness ``t > 0``.
    fibres : (m, 3) or (3,) float, optional
        Fibre (circumferential) direction of each triangle, projected onto its reference
        plane; required by anisotropic laws (default: the first edge, for isotropic laws).

    Raises
    ------
    ValueError
        A degenerate reference triangle, a non-positive thickness, a fibre (nearly) normal to
        its triangle, or an anisotropic law without fibres.
    """

    def __init__(
        self,
        triangles: ArrayLike,
        rest_positions: ArrayLike,
        law: MembraneLaw,
        thickness: ArrayLike,
        fibres: ArrayLike | None = None,
    ) -> None:
        self.nodes = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
        m = self.nodes.shape[0]
        p = np.asarray(rest_positions, dtype=float).reshape(-1, 3)[self.nodes]
        edge1, edge2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
        normal = np.cross(edge1, edge2)
        double_area = np.linalg.norm(normal, axis=1)
        scale = np.maximum(np.linalg.norm(edge1, axis=1), np.linalg.norm(edge2, axis=1))
        if np.any(double_area <= 1e-12 * scale**2):
            raise ValueError("a reference triangle is degenerate (zero area)")
        e1 = _unit(edge1)
        n = normal / double_area[:, None]
        self.frames = np.stack([e1, np.cross(n, e1), n], axis=1)  # rows e1, e2, n: (m, 3, 3)
        dm = np.einsum("mri,mei->mre", self.frames[:, :2], np.stack([edge1, edge2], axis=1))
        inv = np.linalg.inv(dm)
        self.shape_gradients = np.stack([-inv[:, 0] - inv[:, 1], inv[:, 0], inv[:, 1]], axis=1)
        self.reference_areas = 0.5 * double_area
        self.thickness = np.broadcast_to(np.asarray(thickness, dtype=float), (m,)).copy()
        if np.any(self.thickness <= 0.0):
            raise ValueError("membrane thickness must be > 0")
        self.law = law
        self.fibres = self._plane_fibres(fibres, m)

    def _plane_fibres(self, fibres: ArrayLike | None, m: int) -> FloatArray:
        """Unit fibre directions ``(m, 2)`` in each triangle's reference frame."""
        if fibres is None:
            if self.law.anisotropic:
                raise ValueError("an anisotropic law needs fibre directions")
            return np.tile([1.0, 0.0], (m, 1))
        f = np.broadcast_to(np.asarray(fibres, dtype=float), (m, 3))
        planar = np.einsum("mri,mi->mr", self.frames[:, :2], f)
        length = np.linalg.norm(planar, axis=1)
        if np.any(length <= 1e-6 * np.linalg.norm(f, axis=1)):
            raise ValueError("a fibre direction is normal to its triangle")
        return planar / length[:, None]

    @property
    def reference_fibres(self) -> FloatArray:
        """Unit fibre directions in 3D, in the reference planes ``(m, 3)``."""
        return np.einsum("mr,mri->mi", self.fibres, self.frames[:, :2])

    def deformation_gradients(self, x: FloatArray) -> FloatArray:
        """``F`` ``(m, 3, 2)``: reference-frame (2D) to current (3D) tangent vectors."""
        p = as_positions(x)[self.nodes]
        return np.swapaxes(p, 1, 2) @ self.shape_gradients

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        energy, grads, blocks, _ = self._evaluate(as_positions(x), order)
        return energy, grads, blocks

    def _evaluate(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None, tuple[FloatArray, ...]]:
        """Energies, gradients, Hessian blocks and ``(F, S, K)`` for the projection."""
        f = self.deformation_gradients(x)
        w, dw, ddw = self.law.evaluate(_right_cauchy_green(f), self.fibres, order)
        scale = self.reference_areas * self.thickness
        energy = scale * w
        if order == 0:
            return energy, None, None, ()
        assert dw is not None
        m, g = f.shape[0], self.shape_gradients
        s = dw + np.swapaxes(dw, 1, 2)  # S = 2 dW/dC; dE/dx_a = A0 t F S G_a
        grads = ((scale[:, None, None] * g) @ (s @ np.swapaxes(f, 1, 2))).reshape(m, 9)
        if order == 1:
            return energy, grads, None, ()
        assert ddw is not None
        k = _voigt_tangent(ddw)
        gsg = (scale[:, None, None] * g) @ s @ np.swapaxes(g, 1, 2)
        blocks = np.empty((m, 9, 9))
        for sl in chunks(m):
            b = _strain_operator(g[sl], f[sl])
            bk = (scale[sl, None, None] * b) @ k[sl]
            np.matmul(bk, np.swapaxes(b, 1, 2), out=blocks[sl])
            view = blocks[sl].reshape(-1, 3, 3, 3, 3)
            for i in range(3):  # (G S G^T) x I3
                view[:, :, i, :, i] += gsg[sl]
        return energy, grads, blocks, (f, s, k)

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        _, _, blocks, state = self._second_order_state(as_positions(x))
        assert blocks is not None
        return [self._clamped(blocks, state) if project else blocks]

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        *_, state = self._second_order_state(as_positions(x))
        return self._clamped(blocks, state)

    @staticmethod
    def _clamped(blocks: FloatArray, state: tuple[FloatArray, ...]) -> FloatArray:
        out = blocks.copy()
        _clamp_membranes(out, *state)
        return out

    def _second_order_state(
        self, x: FloatArray
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None, tuple[FloatArray, ...]]:
        """``_evaluate(x, 2)``, evaluated once per ``x`` in ``shared_hessian_blocks``."""
        return remembered(self, "_last_state", x, lambda: self._evaluate(x, 2))

    # Outputs for strain and stress maps.

    def _stress_state(self, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``F`` ``(m, 3, 2)``, ``C`` ``(m, 2, 2)`` and ``S`` ``(m, 2, 2)`` (MPa)."""
        f = self.deformation_gradients(x)
        c = _right_cauchy_green(f)
        _, dw, _ = self.law.evaluate(c, self.fibres, 1)
        assert dw is not None
        return f, c, dw + np.swapaxes(dw, 1, 2)

    def green_strains(self, x: FloatArray) -> FloatArray:
        """Green-Lagrange strains in the reference fibre frame ``(m, 3)``: ``E_ff, E_cc, E_fc``.

        ``f`` is the fibre direction ``a0``, ``c`` the cross-fibre direction ``n x a0`` (both in
        the reference plane); dimensionless.
        """
        e = 0.5 * (_right_cauchy_green(self.deformation_gradients(x)) - np.eye(2))
        a = self.fibres
        b = np.stack([-a[:, 1], a[:, 0]], axis=1)
        return np.stack(
            [
                np.einsum("mk,mkl,ml->m", a, e, a),
                np.einsum("mk,mkl,ml->m", b, e, b),
                np.einsum("mk,mkl,ml->m", a, e, b),
            ],
            axis=1,
        )

    def thicknesses(self, x: FloatArray) -> FloatArray:
        """Current thickness ``t lambda_3`` of each triangle ``(m,)``, mm."""
        c = _right_cauchy_green(self.deformation_gradients(x))
        return self.thickness * self.law.thickness_stretch(c)

    def cauchy_stresses(self, x: FloatArray) -> FloatArray:
        """Cauchy stress ``F S F^T / (J lambda_3)`` in global coordinates ``(m, 3, 3)``, MPa."""
        f, c, s = self._stress_state(x)
        det = c[:, 0, 0] * c[:, 1, 1] - c[:, 0, 1] * c[:, 1, 0]
        volume = np.sqrt(det) * self.law.thickness_stretch(c)
        return f @ s @ np.swapaxes(f, 1, 2) / volume[:, None, None]

    def fibre_stresses(self, x: FloatArray) -> FloatArray:
        """Cauchy stress in the current fibre frame ``(m, 3)``: ``sigma_ff, sigma_cc, sigma_fc``.

        ``f = F a0 / |F a0|`` is the current fibre direction and ``c = n x f`` the in-plane
        cross-fibre direction (``n`` the current normal); MPa.
        """
        sigma = self.cauchy_stresses(x)
        f_mat = self.deformation_gradients(x)
        fib = _unit(np.einsum("mik,mk->mi", f_mat, self.fibres))
        normal = _unit(np.cross(f_mat[:, :, 0], f_mat[:, :, 1]))
        cross = np.cross(normal, fib)
        return np.stack(
            [
                np.einsum("mi,mij,mj->m", fib, sigma, fib),
                np.einsum("mi,mij,mj->m", cross, sigma, cross),
                np.einsum("mi,mij,mj->m", fib, sigma, cross),
            ],
            axis=1,
        )

    def principal_stresses(self, x: FloatArray) -> FloatArray:
        """In-plane principal Cauchy stresses ``(m, 2)``, largest first, MPa."""
        ff, cc, fc = self.fibre_stresses(x).T
        mean, radius = 0.5 * (ff + cc), np.hypot(0.5 * (ff - cc), fc)
        return np.stack([mean + radius, mean - radius], axis=1)


def _psd2(s: FloatArray) -> NDArray[np.bool_]:
    """Whether symmetric 2x2 matrices ``(m, 2, 2)`` are positive semi-definite ``(m,)``."""
    det = s[:, 0, 0] * s[:, 1, 1] - s[:, 0, 1] * s[:, 1, 0]
    return (s[:, 0, 0] >= 0.0) & (s[:, 1, 1] >= 0.0) & (det >= 0.0)


def _psd3(k: FloatArray) -> NDArray[np.bool_]:
    """Whether symmetric 3x3 matrices ``(m, 3, 3)`` are positive semi-definite ``(m,)``.

    All principal minors non-negative (the leading ones alone would not do).
    """
    det = (
        k[:, 0, 0] * (k[:, 1, 1] * k[:, 2, 2] - k[:, 1, 2] * k[:, 2, 1])
        - k[:, 0, 1] * (k[:, 1, 0] * k[:, 2, 2] - k[:, 1, 2] * k[:, 2, 0])
        + k[:, 0, 2] * (k[:, 1, 0] * k[:, 2, 1] - k[:, 1, 1] * k[:, 2, 0])
    )
    ok = det >= 0.0
    for i, j in ((0, 1), (0, 2), (1, 2)):
        ok &= (k[:, i, i] >= 0.0) & (k[:, i, i] * k[:, j, j] - k[:, i, j] * k[:, j, i] >= 0.0)
    return ok


def _positive_definite(a: FloatArray) -> NDArray[np.bool_]:
    """Whether symmetric matrices ``(m, k, k)`` are positive definite ``(m,)``: the pivots of
    their symmetric elimination are all positive."""
    ok = np.ones(a.shape[0], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        while a.shape[1]:
            pivot = a[:, 0, 0]
            ok &= pivot > 0.0
            a = a[:, 1:, 1:] - a[:, 1:, :1] * (a[:, :1, 1:] / pivot[:, None, None])
    return ok


def _negative_part2(a: FloatArray) -> FloatArray:
    """``sum min(lambda, 0) v v^T`` of symmetric 2x2 matrices ``(m, 2, 2)``, in closed form."""
    p, q, r = a[:, 0, 0], 0.5 * (a[:, 0, 1] + a[:, 1, 0]), a[:, 1, 1]
    radius = np.hypot(0.5 * (p - r), q)
    low, high = 0.5 * (p + r) - radius, 0.5 * (p + r) + radius
    neg_low, neg_high = np.minimum(low, 0.0), np.minimum(high, 0.0)
    # min(lo, 0) (hi I - A) / (hi - lo) + min(hi, 0) (A - lo I) / (hi - lo); A = lo I if equal.
    split = radius > 0.0
    width = np.where(split, 2.0 * radius, 1.0)
    eye = np.where(split, (neg_low * high - neg_high * low) / width, neg_low)
    along = np.where(split, (neg_high - neg_low) / width, 0.0)
    out = along[:, None, None] * a
    out[:, 0, 0] += eye
    out[:, 1, 1] += eye
    return out


def _clamp_membranes(blocks: FloatArray, f: FloatArray, s: FloatArray, k: FloatArray) -> None:
    """Clamp the eigenvalues of membrane blocks ``(m, 9, 9)`` at zero, in place.

    A block is kept when ``S`` and ``K`` are PSD. The others are written in the basis of the
    motions free of translation: in-plane motions (4) and motions normal to the current plane
    (2), which ``C`` does not see to first order, so that the block splits into a 4x4 block and
    the 2x2 ``(G S G^T)``, clamped in closed form.
    """
    index = np.flatnonzero(~(_psd2(s) & _psd3(k)))
    if index.size == 0:
        return
    f = f[index]
    t1, normal = f[:, :, 0], np.cross(f[:, :, 0], f[:, :, 1])
    length, area = np.linalg.norm(t1, axis=1), np.linalg.norm(normal, axis=1)
    flat = area <= 1e-12 * length * np.linalg.norm(f[:, :, 1], axis=1)
    if np.any(flat):  # no current plane: the generic eigenvalue clamp
        blocks[index[flat]] = project_psd(blocks[index[flat]])
        index, t1, normal = index[~flat], t1[~flat], normal[~flat]
        length, area = length[~flat], area[~flat]
    t1 = t1 / length[:, None]
    normal = normal / area[:, None]
    frame = np.concatenate([t1, np.cross(normal, t1), normal], axis=1)
    basis = times_constant(frame, _FRAME_MAP, np.empty((index.size, 54))).reshape(-1, 6, 9)
    for sl in chunks(index.size):
        rows, u = index[sl], basis[sl]
        h = blocks[rows]
        reduced = u @ h @ np.swapaxes(u, 1, 2)
        negative = np.zeros_like(reduced)
        negative[:, 4:, 4:] = _negative_part2(reduced[:, 4:, 4:])
        tangent = reduced[:, :4, :4]
        sub = np.flatnonzero(~_positive_definite(tangent))
        if sub.size:
            values, vectors = np.linalg.eigh(tangent[sub])
            scaled = vectors * np.minimum(values, 0.0)[:, None, :]
            negative[sub, :4, :4] = scaled @ np.swapaxes(vectors, 1, 2)
        h -= np.swapaxes(u, 1, 2) @ negative @ u
        blocks[rows] = h


def _strain_operator(g: FloatArray, f: FloatArray) -> FloatArray:
    """``B`` ``(m, 9, 3)`` from shape gradients ``G`` ``(m, 3, 2)`` and ``F`` ``(m, 3, 2)``."""
    g, fi = g[:, :, None, :], f[:, None, :, :]  # (m, node, 1, q), (m, 1, coordinate, q)
    b = np.stack(
        [
            2.0 * g[..., 0] * fi[..., 0],
            2.0 * g[..., 1] * fi[..., 1],
            g[..., 0] * fi[..., 1] + g[..., 1] * fi[..., 0],
        ],
        axis=-1,
    )
    return b.reshape(f.shape[0], 9, 3)


def _right_cauchy_green(f: FloatArray) -> FloatArray:
    """``C = F^T F`` ``(m, 2, 2)`` from ``F`` ``(m, 3, 2)``."""
    return np.swapaxes(f, 1, 2) @ f


def _voigt_tangent(ddw: FloatArray) -> FloatArray:
    """``K`` ``(m, 3, 3)``: the second derivative of ``W`` in ``(C00, C11, C01)``."""
    return _VOIGT.T @ ddw.reshape(-1, 4, 4) @ _VOIGT
