"""Pressure on a triangulated surface as a volume potential about a fixed apex.

Formulation
-----------
For a surface of triangles ``(i, j, k)`` (node positions ``x``, mm) and a fixed apex ``a``
(mm), with ``u = x_i - a``, ``v = x_j - a``, ``w = x_k - a``, the signed volume is

    V = sum_t V_t,    V_t = u . (v x w) / 6 = ((x_i - a) x (x_j - a)) . (x_k - a) / 6   (mm^3),

the sum of the tetrahedra that the triangles cut out of the cone from the apex, and the energy
of a pressure ``p`` (MPa = N/mm^2) is

    E = - p V    (N mm).

Derivatives (exact; the energy is cubic in ``x``):

    dV_t/dx_i = (v x w) / 6,   dV_t/dx_j = (w x u) / 6,   dV_t/dx_k = (u x v) / 6,

and the second derivatives vanish on the diagonal blocks, with, cyclically in ``(i, j, k)``,

    d2V_t/dx_i dx_j = -[w]_x / 6,   d2V_t/dx_j dx_i = +[w]_x / 6      ([c]_x y = c x y),

so each 9 x 9 block of ``E`` has a zero trace: it is **indefinite** wherever it is not zero.

Sign convention
---------------
The *right-hand normal* of triangle ``(i, j, k)`` is ``n = (x_j - x_i) x (x_k - x_i) / (2 A)``.
With ``p > 0`` the nodal forces ``-grad E`` push the surface along its right-hand normals
(interior nodes: exactly, see below). A closed surface with outward normals has ``V`` equal to
its enclosed volume, whatever the apex, and ``p > 0`` inflates it. For the leaflets, orient the
triangles so that their right-hand normals point from the ventricle to the atrium (``+z`` of
the valve frame) and pass the transvalvular pressure (ventricular minus atrial, 0.016 MPa in
systole): the leaflets are pushed toward the atrium. The apex may then be anywhere; it is
placed on the atrial side (DESIGN.md section 6) and its placement changes the error below.

Difference from a follower load (open surfaces)
-----------------------------------------------
A true follower load (pressure acting normal to the current surface) has the consistent nodal
forces of linear triangles ``f_i = p A_t n_t / 3`` summed over the triangles at node ``i``
(:func:`follower_forces`). It is not conservative on an open surface; the volume potential is,
and it differs from it only at boundary nodes. For one triangle the difference at its node
``i`` is ``p (x_i - a) x (x_k - x_j) / 6``; around an interior node the fan of edges
``x_k - x_j`` closes and the differences cancel, so **at interior nodes the two loads agree
exactly** (with a uniform ``p``), whatever the apex. At a boundary node with boundary
neighbours ``x_prev -> x_i -> x_next`` (in the orientation of the triangles) the difference is

    dF_i = p (x_i - a) x (x_prev - x_next) / 6,

which is the share (two thirds, split over the two edge nodes) of the pressure acting on the
**cone** of triangles ``(a, x_next, x_i)`` that closes the surface at the apex: the volume
potential is the follower load on the closed surface "mesh + cone", with the apex's share
dropped because the apex is fixed. Summed, the resultants differ by

    sum_i dF_i = - (2/3) p S,    S = sum_t A_t n_t = (1/2) sum_boundary x_i x x_next,

the vector area of the mesh (minus that of the cone), so the volume forces sum to ``p S / 3``
instead of the follower's ``p S``. On a flat disc of area ``A`` the volume forces add up to
``p A n / 3``: translating a disc also rescales its cone. Locally the difference per unit
length of boundary is ``p |x - a| sin(phi) / 3`` (``phi`` the angle between the boundary and
``x - a``), which grows with the distance to the apex: at a leaflet free edge 20 mm from the
apex it is up to 0.1 N/mm at 0.016 MPa, against the follower load's own share near the edge,
of order ``p h / 2`` per unit length (0.008 N/mm for 1 mm triangles). :func:`follower_error`
measures it for a configuration; boundary nodes held fixed (the annulus) feel it only as a
reaction.

Choosing the apex
-----------------
Over the nodes of one free boundary loop (a leaflet free edge bounding the orifice) the
differences add up to ``(2/3) p S_f``, where ``-S_f`` is the loop's vector area in the mesh's
boundary orientation, whatever the apex: the potential presses on the open orifice, toward the
side the normals point to, with two thirds of the pressure, and this vanishes as the orifice
closes. The apex only sets the rest, the components across that direction: an apex on the
atrial side of a free edge pushes it outward (opening the orifice), one on its ventricular
side pulls it inward, and for a planar free edge an apex in its plane (at the orifice's
centre) leaves only the part normal to that plane. Measured on a funnel hanging 12 mm from a 15 mm
annulus, 0.016 MPa, about 1 mm triangles, free nodes only: with the free edge at radius 8 mm
the relative error (:class:`FollowerError`) is 1.39 with the apex 10 mm atrial of the annulus,
0.53 with it 4 mm above the free edge; at radius 1 mm, 0.16 and 0.03. Place the apex near the
centre of the coaptation zone and report :func:`follower_error` with a closure result.

Projection
----------
The element blocks depend on the apex (their entries scale with ``p |x - a| / 6`` and cancel
between neighbouring triangles down to ``p h / 6``), so clamping each block's eigenvalues would
add a spurious stiffness growing with the distance to the apex. The projected Hessian of this
term is therefore **zero** (the load stiffness is dropped), a PSD approximation whose error,
``O(p h)`` per node, is that of the true load stiffness.

References: Bonet and Wood, *Nonlinear Continuum Mechanics for Finite Element Analysis*
(linearisation of pressure loads: the load stiffness of a pressure is symmetric, i.e. the load
has a potential, when the loaded surface encloses a volume or its boundary is held); the
consistent follower forces ``p A n / 3`` are those of linear triangles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.terms import ElementTerm, as_positions
from mvplan.mechanics.triangles import per_triangle, skew, triangle_array

__all__ = [
    "FollowerError",
    "PressureVolume",
    "follower_error",
    "follower_forces",
    "triangle_vector_areas",
]


def triangle_vector_areas(x: ArrayLike, triangles: ArrayLike) -> FloatArray:
    """Vector areas ``A_t n_t = (x_j - x_i) x (x_k - x_i) / 2`` of triangles.

    Parameters
    ----------
    x : (n, 3) float, mm
    triangles : (m, 3) int

    Returns
    -------
    (m, 3) float, mm^2
        Along each triangle's right-hand normal, with its area as norm.
    """
    p = as_positions(x)[triangle_array(triangles)]
    return 0.5 * np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])


def _scatter_nodes(nodes: IntArray, values: FloatArray, n: int) -> FloatArray:
    """Sum nodal vectors ``values : (m, p, 3)`` of elements ``nodes : (m, p)`` into ``(n, 3)``."""
    out = np.zeros((n, 3))
    for c in range(3):
        out[:, c] = np.bincount(nodes.ravel(), weights=values[:, :, c].ravel(), minlength=n)
    return out


def follower_forces(x: ArrayLike, triangles: ArrayLike, pressure: ArrayLike) -> FloatArray:
    """Consistent nodal forces of a follower pressure on linear triangles.

    Each triangle gives ``p A_t n_t / 3`` to each of its nodes (right-hand normal, see the
    module docstring for the sign convention).

    Parameters
    ----------
    x : (n, 3) float, mm
    triangles : (m, 3) int
    pressure : (m,) or scalar float, MPa

    Returns
    -------
    (n, 3) float, N
    """
    x = as_positions(x)
    tri = triangle_array(triangles)
    p = per_triangle(pressure, tri.shape[0], "pressure")
    share = (p[:, None] * triangle_vector_areas(x, tri) / 3.0)[:, None, :]
    return _scatter_nodes(tri, np.broadcast_to(share, (tri.shape[0], 3, 3)), x.shape[0])


class PressureVolume(ElementTerm):
    """Pressure as the volume potential ``E = -p V`` about a fixed apex (module docstring).

    Parameters
    ----------
    triangles : (m, 3) int
        Loaded triangles; the pressure pushes along their right-hand normals when ``p > 0``.
    pressure : (m,) or scalar float, MPa
        ``p`` (N/mm^2); 0.016 MPa is 120 mmHg. A scalar for a uniform pressure: only then do
        the interior nodal forces equal the follower load's exactly.
    apex : (3,) float, mm
        The fixed apex ``a`` of the cone (on the atrial side for the leaflets).
    """

    def __init__(self, triangles: ArrayLike, pressure: ArrayLike, apex: ArrayLike) -> None:
        self.nodes = triangle_array(triangles)
        self.pressure = per_triangle(pressure, self.nodes.shape[0], "pressure")
        self.apex = np.asarray(apex, dtype=np.float64).reshape(3).copy()
        if not np.all(np.isfinite(self.apex)) or not np.all(np.isfinite(self.pressure)):
            raise ValueError("pressure and apex must be finite")

    def volume(self, x: ArrayLike) -> float:
        """Signed volume ``V`` between the surface and the apex, mm^3 (module docstring)."""
        p = as_positions(x)[self.nodes] - self.apex
        return float(np.einsum("mi,mi->", p[:, 0], np.cross(p[:, 1], p[:, 2])) / 6.0)

    def nodal_forces(self, x: ArrayLike) -> FloatArray:
        """Forces ``-grad E`` on every node ``(n, 3)``, N."""
        return -self.gradient(as_positions(x)).reshape(-1, 3)

    def load_norm(self, x: ArrayLike, free: ArrayLike | None = None) -> float:
        """Euclidean norm of the nodal forces at ``x``, N: a scale for relative residuals.

        Parameters
        ----------
        x : (n, 3) float, mm
        free : (n,) bool, optional
            Count only these nodes (the others are held, their forces are reactions).
        """
        forces = self.nodal_forces(x)
        if free is not None:
            forces = forces[np.asarray(free, dtype=bool)]
        return float(np.linalg.norm(forces))

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        rel = x[self.nodes] - self.apex  # (m, 3, 3): u, v, w
        # d V_t / d x of the node in row r is the cross product of the next two, cyclically.
        cyc = np.cross(np.roll(rel, -1, axis=1), np.roll(rel, -2, axis=1))
        p = self.pressure
        energy = -p * np.einsum("mi,mi->m", rel[:, 0], cyc[:, 0]) / 6.0
        if order == 0:
            return energy, None, None
        grads = (-p[:, None] / 6.0) * cyc.reshape(-1, 9)
        if order == 1:
            return energy, grads, None
        blocks = np.zeros((self.nodes.shape[0], 9, 9))
        scale = (p / 6.0)[:, None, None]
        for r in range(3):
            s, t = (r + 1) % 3, (r + 2) % 3
            off = scale * skew(rel[:, t])  # d2E / dx_r dx_s = p [x_t - a]_x / 6
            blocks[:, 3 * r : 3 * r + 3, 3 * s : 3 * s + 3] = off
            blocks[:, 3 * s : 3 * s + 3, 3 * r : 3 * r + 3] = -off
        return energy, grads, blocks

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        return np.zeros_like(blocks)  # see "Projection" in the module docstring


def _ratio_at_zero(numerator: float) -> float:
    return 0.0 if numerator == 0.0 else float("inf")


@dataclass(frozen=True)
class FollowerError:
    """How far the volume potential's nodal forces are from a follower load's.

    Attributes
    ----------
    force_difference : (n, 3) float, N
        Volume-potential minus follower nodal forces; zero (to rounding) at interior nodes.
    resultant_difference : (3,) float, N
        Sum of ``force_difference`` over the counted nodes; over all nodes it equals
        ``-(2/3) p S`` for a uniform pressure (``S`` the mesh's vector area).
    relative : float
        ``||force_difference|| / ||follower forces||`` over the counted nodes (Frobenius norms).
    max_nodal : float, N
        Largest nodal ``|force_difference|`` over the counted nodes.
    follower_norm : float, N
        ``||follower forces||`` over the counted nodes.
    """

    force_difference: FloatArray
    resultant_difference: FloatArray
    relative: float
    max_nodal: float
    follower_norm: float


def follower_error(
    x: ArrayLike,
    triangles: ArrayLike,
    pressure: ArrayLike,
    apex: ArrayLike,
    free: ArrayLike | None = None,
) -> FollowerError:
    """The error of the volume potential (:class:`PressureVolume`) against a follower load.

    Parameters
    ----------
    x : (n, 3) float, mm
    triangles : (m, 3) int
    pressure : (m,) or scalar float, MPa
    apex : (3,) float, mm
    free : (n,) bool, optional
        Count only these nodes in the summaries (e.g. leave out the annulus, whose forces are
        reactions); ``force_difference`` always covers every node.

    Returns
    -------
    FollowerError
    """
    x = as_positions(x)
    volume_forces = PressureVolume(triangles, pressure, apex).nodal_forces(x)
    follower = follower_forces(x, triangles, pressure)
    diff = volume_forces - follower
    counted = np.ones(x.shape[0], dtype=bool) if free is None else np.asarray(free, dtype=bool)
    follower_norm = float(np.linalg.norm(follower[counted]))
    diff_norm = float(np.linalg.norm(diff[counted]))
    return FollowerError(
        force_difference=diff,
        resultant_difference=diff[counted].sum(axis=0),
        relative=diff_norm / follower_norm if follower_norm > 0.0 else _ratio_at_zero(diff_norm),
        max_nodal=float(np.linalg.norm(diff[counted], axis=1).max(initial=0.0)),
        follower_norm=follower_norm,
    )
