"""An elastic ring that floats: a rigid motion of its own frame plus small elastic deformation.

Formulation (floating frame of reference)
-----------------------------------------
The ring's nodes are

    x_k = R(w) (p_k - c + u_k) + c + t,

with ``p_k`` the stress-free nodes (mm), ``c`` their centroid, ``(t, w)`` a rigid motion (mm,
rotation vector in rad, as :mod:`.rigid`) and ``u_k`` elastic displacements measured in the
ring's moving frame. Each node also has a small rotation ``theta_k`` (rad), in the same frame,
which no other term sees. The ring's energy is the linear frame-element energy
``1/2 z^T K z`` of :mod:`.frame` in ``z = (u, theta)``, so the ring resists in-plane and
out-of-plane bending, twist and stretch with separate rigidities, while the rigid motion is
exact (any rotation, no spurious strain). The frame is pinned to one node (``u_0 = 0``,
``theta_0 = 0``): that removes the six rigid modes ``K`` shares with ``(t, w)``; which node
does not change the answer within the linear theory.

Range: the linear theory holds while the ring's strains and its rotations relative to the
pinned node stay small; :meth:`ElasticRing.max_relative_rotation` reports the largest
cross-section rotation (rad) so callers can say when a very flexible ring leaves that range.

The reduced configuration ``y`` has ``m + 2 r + 2`` pseudo-nodes: the ``m`` nodes not on the
ring (increasing order), the ``r`` displacements ``u_k``, the ``r`` rotations ``theta_k``, then
``t`` and ``w``. For a full-space energy ``E(x)`` with gradient ``g`` and Hessian ``H``::

    dE/dy = J^T g,    d2E/dy2 = J^T H J + C,

``J = dx/dy`` (identity on the other nodes; ``R`` on ``u_k``; ``I`` on ``t``;
``dR/dw_a (p_k - c + u_k)`` on ``w``) and ``C`` the curvature of the map:
``C_{w_a w_b} = sum_k g_k . d2R/dw_a dw_b (p_k - c + u_k)`` and
``C_{w_a u_kj} = (dR/dw_a^T g_k)_j``. Both are exact; ``project=True`` clamps ``C``'s
``w``-``w`` block to PSD as :class:`~mvplan.mechanics.rigid.RigidReduced` does, and drops the
``w``-``u`` coupling (keeping the projected Hessian PSD).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray, project_psd
from mvplan.mechanics.reduction import FullGradient, ReducedAssembly
from mvplan.mechanics.rigid import rotation_and_derivatives
from mvplan.mechanics.terms import EnergyTerm, as_positions

__all__ = ["ElasticRing"]


class ElasticRing:
    """A full-space energy seen through a floating elastic ring (see the module docstring).

    A top-level energy like :class:`~mvplan.mechanics.rigid.RigidReduced`: wrap a ``Sum`` of
    the terms that involve the ring's nodes (sutures), do not put it into one. Solve with
    ``free=ring.free_mask()`` so the pinned node stays pinned.

    Parameters
    ----------
    energy : EnergyTerm
        Full-space energy over ``n_nodes`` nodes (the ring's own elasticity is added here).
    n_nodes : int
    ring_nodes : (r,) int
        Nodes carried by the ring, in the order of ``rest_points``.
    rest_points : (r, 3) float, mm
        Stress-free ring nodes (the ring's pose before the solve).
    stiffness : (6 r, 6 r) sparse, from :func:`~mvplan.mechanics.frame.frame_stiffness`
    pinned : int
        Ring node whose displacement and rotation are held at zero.
    """

    def __init__(
        self,
        energy: EnergyTerm,
        n_nodes: int,
        ring_nodes: ArrayLike,
        rest_points: ArrayLike,
        stiffness: sp.spmatrix,
        *,
        pinned: int = 0,
    ) -> None:
        self.energy = energy
        self.n_nodes = int(n_nodes)
        self.ring_nodes: IntArray = np.asarray(ring_nodes, dtype=np.int64).reshape(-1)
        self.rest_points = as_positions(rest_points).copy()
        r = self.ring_nodes.size
        if self.rest_points.shape[0] != r:
            raise ValueError("one rest point per ring node")
        if stiffness.shape != (6 * r, 6 * r):
            raise ValueError(f"ring stiffness must be {6 * r} x {6 * r}")
        self.centre = self.rest_points.mean(axis=0)
        self._arm = self.rest_points - self.centre
        other = np.ones(self.n_nodes, dtype=bool)
        other[self.ring_nodes] = False
        self.other_nodes: IntArray = np.flatnonzero(other)
        self.pinned = int(pinned)
        m = self.other_nodes.size
        self._u0 = m  # first pseudo-node of u
        self._th0 = m + r  # first pseudo-node of theta
        self._t = m + 2 * r
        n_red = m + 2 * r + 2
        self.n_reduced = n_red
        # The ring's stiffness placed at the (u, theta) pseudo-nodes, once.
        offset = 3 * self._u0
        k = sp.coo_matrix(stiffness)
        self._k_ring = sp.csr_matrix(
            (k.data, (k.row + offset, k.col + offset)), shape=(3 * n_red, 3 * n_red)
        )
        self._z_slice = slice(3 * self._u0, 3 * self._t)
        self._k_z = sp.csr_matrix(stiffness)  # K in z = (u, theta) alone, for the energy
        self._template = np.zeros((self.n_nodes, 3))
        self._k_values = np.zeros(0)
        self._full_gradient = FullGradient(self.energy)
        self._assembly = self._build_assembly()

    # -- configuration -------------------------------------------------------------------------
    def reduced(self, x: ArrayLike | None = None) -> FloatArray:
        """Reduced configuration with the ring at rest and the other nodes at ``x``."""
        y = np.zeros((self.n_reduced, 3))
        if x is not None:
            y[: self._u0] = as_positions(x)[self.other_nodes]
        return y

    def free_mask(self, hold_frame: bool = False) -> FloatArray:
        """Free-node mask ``(n_reduced,)``.

        By default the pinned node's ``u`` and ``theta`` are held and the frame ``(t, w)`` is
        free. ``hold_frame=True`` holds the frame instead and frees every ``u`` and ``theta``:
        the ring is then linear elastic about the frame's pose (its rigid modes, from ``K``'s
        null space, become linearised motions), and the reduced Hessian is ``J^T H J + K``,
        positive semi-definite wherever ``H`` is, with no geometric terms. Use it once the
        ring's large rigid motion is known (e.g. from a rigid-ring solve).
        """
        mask = np.ones(self.n_reduced, dtype=bool)
        if hold_frame:
            mask[self._t :] = False
        else:
            mask[self._u0 + self.pinned] = False
            mask[self._th0 + self.pinned] = False
        return mask

    def parts(self, y: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(u (r, 3), theta (r, 3), t (3,), w (3,))`` of a reduced configuration."""
        y = as_positions(y)
        r = self.ring_nodes.size
        return (
            y[self._u0 : self._u0 + r],
            y[self._th0 : self._th0 + r],
            y[self._t].copy(),
            y[self._t + 1].copy(),
        )

    def expand(self, y: ArrayLike) -> FloatArray:
        """Full positions ``(n, 3)``, mm."""
        y = as_positions(y)
        u, _, t, w = self.parts(y)
        rot = rotation_and_derivatives(w)[0]
        x = self._template.copy()
        x[self.other_nodes] = y[: self._u0]
        x[self.ring_nodes] = (self._arm + u) @ rot.T + self.centre + t
        return x

    def ring_energy(self, y: ArrayLike) -> float:
        """Elastic energy of the ring, N mm."""
        z = as_positions(y).ravel()[self._z_slice]
        kz = self._k_z @ z
        return 0.5 * float(z @ kz)

    def max_relative_rotation(self, y: ArrayLike) -> float:
        """Largest cross-section rotation relative to the ring's frame, rad."""
        _, theta, _, _ = self.parts(y)
        return float(np.linalg.norm(theta, axis=1).max())

    # -- energy --------------------------------------------------------------------------------
    def value(self, y: FloatArray) -> float:
        return self.energy.value(self.expand(y)) + self.ring_energy(y)

    def _build_assembly(self) -> ReducedAssembly:
        """``J^T g`` and ``J^T H J + C + K`` over a fixed pattern (built once, with the model)."""
        r = self.ring_nodes.size
        u_dofs = 3 * (self._u0 + np.arange(r))[:, None] + np.arange(3)  # (r, 3)
        frame_dofs = 3 * self._t + np.arange(6)  # t then w
        columns = np.concatenate([u_dofs, np.broadcast_to(frame_dofs, (r, 6))], axis=1)
        w_dofs = frame_dofs[3:]
        # Extra entries: the w-w curvature, the w-u curvature and its transpose, K.
        wu_rows = np.broadcast_to(w_dofs[None, :, None], (r, 3, 3)).ravel()
        wu_cols = np.broadcast_to(u_dofs[:, None, :], (r, 3, 3)).ravel()
        k = self._k_ring.tocoo()
        rows = np.concatenate([np.repeat(w_dofs, 3), wu_rows, wu_cols, k.row])
        cols = np.concatenate([np.tile(w_dofs, 3), wu_cols, wu_rows, k.col])
        self._k_values = k.data.copy()
        return ReducedAssembly(
            self.energy,
            self.n_nodes,
            self.ring_nodes,
            columns,
            np.arange(self.other_nodes.size),
            3 * self.n_reduced,
            extra=(rows.astype(np.int64), cols.astype(np.int64)),
        )

    def _node_jacobians(self, u: FloatArray, rot: FloatArray, d_r: FloatArray) -> FloatArray:
        """``dx_k/d(u_k, t, w) : (r, 3, 9)``: ``R``, ``I`` and ``dR/dw_a (p_k - c + u_k)``."""
        r = self.ring_nodes.size
        jac = np.empty((r, 3, 9))
        jac[:, :, :3] = rot
        jac[:, :, 3:6] = np.eye(3)
        jac[:, :, 6:] = np.einsum("aij,kj->kia", d_r, self._arm + u)
        return jac

    def gradient(self, y: FloatArray) -> FloatArray:
        y = as_positions(y)
        u, _, _, w = self.parts(y)
        rot, d_r, _ = rotation_and_derivatives(w)
        g = self._full_gradient(y, self.expand)[1]
        out = self._assembly.gradient(g, self._node_jacobians(u, rot, d_r))
        out += self._k_ring @ y.ravel()
        return out

    def hessian(self, y: FloatArray, project: bool = False) -> sp.csr_matrix:
        y = as_positions(y)
        u, _, _, w = self.parts(y)
        rot, d_r, d2_r = rotation_and_derivatives(w)
        x, g = self._full_gradient(y, self.expand)
        assembly = self._assembly
        g_ring = g.reshape(-1, 3)[self.ring_nodes]
        ww = np.einsum("ki,abij,kj->ab", g_ring, d2_r, self._arm + u)
        if project:  # clamp the w-w curvature and drop the w-u coupling (module docstring)
            ww = project_psd(ww[None])[0]
            wu = np.zeros((self.ring_nodes.size, 3, 3))
        else:
            wu = np.einsum("aij,ki->kaj", d_r, g_ring)  # C_{w_a, u_kj} = (dR_a^T g_k)_j
        values = np.concatenate([ww.ravel(), wu.ravel(), wu.ravel(), self._k_values])
        return assembly.hessian(x, self._node_jacobians(u, rot, d_r), project, values)

    def element_dofs(self) -> list[IntArray]:
        raise NotImplementedError("ElasticRing is a top-level energy: wrap a Sum, not into one")

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        raise NotImplementedError("ElasticRing is a top-level energy: wrap a Sum, not into one")
