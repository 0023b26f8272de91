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
clamps the eigenvalues of the others only.

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
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, project_psd
from mvplan.mechanics.leaflet_law import MembraneLaw
from mvplan.mechanics.terms import ElementTerm, as_positions

__all__ = ["MembraneTriangles"]

# Maps the Voigt components (C00, C11, C01) to the four entries C00, C01, C10, C11.
_VOIGT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


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
        f = self.deformation_gradients(x)
        c = _right_cauchy_green(f)
        w, dw, ddw = self.law.evaluate(c, self.fibres, order)
        scale = self.reference_areas * self.thickness
        energy = scale * w
        if order == 0:
            return energy, None, None
        assert dw is not None
        b = self._strain_operator(f)
        grads = scale[:, None] * np.einsum("mpk,mk->mp", b, _voigt_vector(dw))
        if order == 1:
            return energy, grads, None
        assert ddw is not None
        blocks = b @ _voigt_tangent(ddw) @ np.swapaxes(b, 1, 2)
        blocks += self._geometric(dw + np.swapaxes(dw, 1, 2))
        return energy, grads, scale[:, None, None] * blocks

    def _strain_operator(self, f: FloatArray) -> FloatArray:
        """``B`` ``(m, 9, 3)``: the Voigt ``(dC00, dC11, dC01)`` of each nodal DOF."""
        g = self.shape_gradients[:, :, None, :]  # (m, node, 1, q)
        fi = f[:, None, :, :]  # (m, 1, coordinate, q)
        b = np.stack(
            [
                2.0 * g[..., 0] * fi[..., 0],
                2.0 * g[..., 1] * fi[..., 1],
                g[..., 0] * fi[..., 1] + g[..., 1] * fi[..., 0],
            ],
            axis=-1,
        )
        return b.reshape(f.shape[0], 9, 3)

    def _geometric(self, s: FloatArray) -> FloatArray:
        """``(G S G^T) x I3`` ``(m, 9, 9)`` for stresses ``s`` ``(m, 2, 2)``."""
        g = self.shape_gradients
        gsg = g @ s @ np.swapaxes(g, 1, 2)
        out = np.zeros((s.shape[0], 3, 3, 3, 3))
        for i in range(3):  # the three coordinates share the node-node coefficients
            out[:, :, i, :, i] = gsg
        return out.reshape(s.shape[0], 9, 9)

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        c = _right_cauchy_green(self.deformation_gradients(x))
        _, dw, ddw = self.law.evaluate(c, self.fibres, 2)
        assert dw is not None and ddw is not None
        s = dw + np.swapaxes(dw, 1, 2)
        s_psd = (s[:, 0, 0] + s[:, 1, 1] >= 0.0) & (np.linalg.det(s) >= 0.0)
        k_psd = np.linalg.eigvalsh(_voigt_tangent(ddw)).min(axis=1) >= 0.0
        out = blocks.copy()
        clamp = ~(s_psd & k_psd)
        if np.any(clamp):
            out[clamp] = project_psd(blocks[clamp])
        return out

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


def _right_cauchy_green(f: FloatArray) -> FloatArray:
    """``C = F^T F`` ``(m, 2, 2)`` from ``F`` ``(m, 3, 2)``."""
    return np.swapaxes(f, 1, 2) @ f


def _voigt_vector(dw: FloatArray) -> FloatArray:
    """``dW`` in ``(C00, C11, C01)``: ``(m, 3)`` from ``dW/dC`` ``(m, 2, 2)``."""
    return dw.reshape(-1, 4) @ _VOIGT


def _voigt_tangent(ddw: FloatArray) -> FloatArray:
    """``K`` ``(m, 3, 3)``: the second derivative of ``W`` in ``(C00, C11, C01)``."""
    return _VOIGT.T @ ddw.reshape(-1, 4, 4) @ _VOIGT
