"""Linear stiffness of a curved rod (a ring or band) as 3D Euler-Bernoulli frame elements.

Formulation
-----------
The rod's centreline is a polyline of ``r`` nodes (closed for a ring, open for a band). Every
node has three displacements ``u_k`` (mm) and three small rotations ``theta_k`` (rad); every
edge is a straight two-node frame element of length ``L`` with a local frame ``(e1, e2, e3)``:
``e1`` along the edge, ``e3`` the rod's local "up" (the ring normal made perpendicular to
``e1``) and ``e2 = e3 x e1`` in the ring plane. In that frame the element stiffness is the
classical one (e.g. Przemieniecki, *Theory of Matrix Structural Analysis*, 1968, section 5.4):

- axial ``EA / L`` on ``u . e1``;
- torsion ``GJ / L`` on ``theta . e1``;
- in-plane bending (displacement along ``e2``, rotation about ``e3``) with ``EI_in``;
- out-of-plane bending (displacement along ``e3``, rotation about ``e2``) with ``EI_out``;

each bending pair the cubic-Hermite matrix ``EI / L^3 [[12, 6L, -12, 6L], [6L, 4L^2, -6L,
2L^2], ...]``. Cubic Hermite interpolation solves the Euler-Bernoulli equation exactly for
nodal loads, so a straight cantilever is exact at any mesh; a curved rod is approximated by
chords, with an error that falls as ``h^2`` (checked by ``mvplan verify frame-ring-diametral``).

The assembled matrix ``K`` is ``(6 r, 6 r)`` with all displacements first (``3 k + c``) and all
rotations after (``3 r + 3 k + c``): the layout :class:`~mvplan.mechanics.floating.ElasticRing`
uses for its pseudo-nodes. ``K`` has the six rigid-body modes of the rod in its null space.

The energy ``1/2 z^T K z`` is linear elasticity: small strains and small rotations relative to
the frame the displacements are measured in. :mod:`.floating` measures them in a frame that
moves with the ring, so a ring may translate and rotate freely.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray

__all__ = ["edge_frames", "frame_stiffness", "rod_edges"]


def rod_edges(n_nodes: int, closed: bool) -> IntArray:
    """Node pairs ``(e, 2)`` of the rod's edges, in order."""
    first = np.arange(n_nodes if closed else n_nodes - 1)
    return np.stack([first, (first + 1) % n_nodes], axis=1)


def edge_frames(points: FloatArray, edges: IntArray, up: ArrayLike) -> FloatArray:
    """Local frames ``(e, 3, 3)`` of the edges: rows ``e1`` (along), ``e2`` (in plane), ``e3``.

    Parameters
    ----------
    points : (r, 3) float, mm
    edges : (e, 2) int
    up : (3,) float
        The ring's normal; each edge's ``e3`` is it made perpendicular to the edge.
    """
    d = points[edges[:, 1]] - points[edges[:, 0]]
    e1 = d / np.linalg.norm(d, axis=1, keepdims=True)
    z = np.asarray(up, dtype=float).reshape(3)
    e3 = z - (e1 @ z)[:, None] * e1
    norms = np.linalg.norm(e3, axis=1, keepdims=True)
    if np.any(norms < 1e-6):
        raise ValueError("an edge of the rod is parallel to its up direction")
    e3 /= norms
    e2 = np.cross(e3, e1)
    return np.stack([e1, e2, e3], axis=1)


def _local_blocks(
    length: FloatArray, ea: FloatArray, gj: FloatArray, ei_in: FloatArray, ei_out: FloatArray
) -> FloatArray:
    """Element matrices ``(e, 12, 12)`` in the local frame, DOF order
    ``(u1, theta1, u2, theta2)`` with three components each."""
    m = length.size
    k = np.zeros((m, 12, 12))
    ln = length
    # Axial (u_x) and torsion (theta_x): two-node bars.
    for dof, stiff in ((0, ea / ln), (3, gj / ln)):
        i, j = dof, dof + 6
        k[:, i, i] += stiff
        k[:, j, j] += stiff
        k[:, i, j] -= stiff
        k[:, j, i] -= stiff
    # In-plane bending: v = u_y with rotation theta_z; out-of-plane: w = u_z with -theta_y.
    for disp, rot, sign, ei in ((1, 5, 1.0, ei_in), (2, 4, -1.0, ei_out)):
        c = ei / ln**3
        idx = [disp, rot, disp + 6, rot + 6]
        s = np.array([1.0, sign, 1.0, sign])
        hermite = np.array(
            [
                [12.0, 6.0, -12.0, 6.0],
                [6.0, 4.0, -6.0, 2.0],
                [-12.0, -6.0, 12.0, -6.0],
                [6.0, 2.0, -6.0, 4.0],
            ]
        )
        # Scale the rotation rows/columns by L (and L^2 where both are rotations).
        powers = np.array([0.0, 1.0, 0.0, 1.0])
        lpow = ln[:, None, None] ** (powers[:, None] + powers[None, :])
        block = c[:, None, None] * hermite[None] * lpow * np.outer(s, s)[None]
        k[:, np.ix_(idx, idx)[0], np.ix_(idx, idx)[1]] += block
    return k


def frame_stiffness(
    points: ArrayLike,
    *,
    closed: bool,
    up: ArrayLike,
    ea: ArrayLike,
    gj: ArrayLike,
    ei_in: ArrayLike,
    ei_out: ArrayLike,
) -> sp.csr_matrix:
    """Assembled linear stiffness ``K (6 r, 6 r)`` of a rod (module docstring for the layout).

    Parameters
    ----------
    points : (r, 3) float, mm
        Stress-free centreline nodes, in order.
    closed : bool
        Ring (the last node joins the first) or band.
    up : (3,) float
        The ring's normal (the direction "out of plane" bending is measured along).
    ea, gj, ei_in, ei_out : (e,) or scalar float
        Axial (N), torsional (N mm^2), in-plane and out-of-plane bending (N mm^2) rigidity of
        each edge (``e = r`` closed, ``r - 1`` open).

    Returns
    -------
    scipy.sparse.csr_matrix, (6 r, 6 r), units N/mm, N and N mm in its blocks.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    r = pts.shape[0]
    edges = rod_edges(r, closed)
    m = edges.shape[0]
    frames = edge_frames(pts, edges, up)
    length = np.linalg.norm(pts[edges[:, 1]] - pts[edges[:, 0]], axis=1)

    def per_edge(value: ArrayLike, name: str) -> FloatArray:
        arr = np.broadcast_to(np.asarray(value, dtype=float), (m,)).copy()
        if np.any(~np.isfinite(arr)) or np.any(arr <= 0.0):
            raise ValueError(f"rod {name} must be finite and > 0")
        return arr

    local = _local_blocks(
        length,
        per_edge(ea, "EA"),
        per_edge(gj, "GJ"),
        per_edge(ei_in, "EI_in"),
        per_edge(ei_out, "EI_out"),
    )
    # Global = T^T K_local T with T = blockdiag(F, F, F, F), F the rows (e1, e2, e3).
    t = np.zeros((m, 12, 12))
    for block in range(4):
        t[:, 3 * block : 3 * block + 3, 3 * block : 3 * block + 3] = frames
    blocks = np.einsum("mki,mkl,mlj->mij", t, local, t)
    # Global DOF of each local DOF: u1, theta1, u2, theta2.
    a, b = edges[:, 0], edges[:, 1]
    comp = np.arange(3)
    dofs = np.concatenate(
        [
            3 * a[:, None] + comp,
            3 * r + 3 * a[:, None] + comp,
            3 * b[:, None] + comp,
            3 * r + 3 * b[:, None] + comp,
        ],
        axis=1,
    )
    rows = np.repeat(dofs, 12, axis=1).ravel()
    cols = np.tile(dofs, (1, 12)).ravel()
    return sp.csr_matrix((blocks.ravel(), (rows, cols)), shape=(6 * r, 6 * r))
