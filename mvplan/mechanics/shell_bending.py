"""Discrete-shell bending of a triangle mesh: hinge energies over interior edges.

Formulation
-----------
A *hinge* is an interior edge ``(i, j)`` with its two triangles ``(i, j, k)`` and ``(j, i, l)``
(consistently oriented). With ``e = x_j - x_i``, ``a = x_k - x_i``, ``b = x_l - x_i`` and the
right-hand normals ``n1 = e x a``, ``n2 = b x e`` of the two triangles, the signed dihedral
angle is

    theta = atan2((n1 x n2) . e / |e|, n1 . n2) = atan2(-|e| det[e, a, b], X),
    X = n1 . n2 = (e . a)(e . b) - |e|^2 (a . b),

so ``theta = 0`` when flat and ``theta > 0`` where the surface is convex seen from the side its
normals point to (every hinge of an outward-oriented convex closed surface has ``theta > 0``,
the exterior dihedral angle). Both arguments of ``atan2`` are polynomials in the nodes (but
for ``|e|``), so the angle is smooth through the flat state (no ``acos`` near 1) and its exact
derivatives follow from ``d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)``, with
``x^2 + y^2 = |n1|^2 |n2|^2 > 0`` for non-degenerate triangles. ``theta`` wraps at ``+-pi``
(a hinge folded flat onto itself); ``|theta - theta0| < pi`` is assumed.

The energy of a hinge (Grinspun, Hirani, Desbrun and Schroder 2003, "Discrete shells", SCA;
exact derivatives as in Tamstorf and Grinspun 2013, "Discrete bending forces and their
Jacobians", Graphical Models 75:362, here through the ``atan2`` form) is

    E_h = C_h (theta - theta0)^2,    C_h = (D / 2) |e0|^2 / (A1 + A2),

with ``theta0``, ``|e0|``, ``A1``, ``A2`` (the two triangles' areas) from the stress-free mesh
and the plate bending stiffness ``D = E t^3 / (12 (1 - nu^2))`` (N mm;
:func:`plate_bending_stiffness`). In Grinspun et al.'s notation, ``E_h = k_B (theta -
theta0)^2 |e0| / h0`` with ``h0 = (A1 + A2) / (3 |e0|)`` (a third of the mean height), i.e. the
common ``k_B 3 |e0|^2 / (A1 + A2) (theta - theta0)^2``, this is ``k_B = D / 6``.

Calibration (why ``D / 2``)
---------------------------
Bend a flat sheet isometrically into a cylinder of radius ``R`` (plate energy
``D / (2 R^2)`` per area, whatever ``nu``). On a mesh of rectangles ``w x L`` split by a
diagonal, with the ``L`` edges along the generators, the diagonals and the circumferential
edges stay flat and each generator hinge turns by exactly ``w / R``; its two triangles cover
one rectangle, so ``E_h = (D / 2) (w / R)^2 L^2 / (w L) = D w L / (2 R^2)``: the plate energy of
the rectangle. On a flat strip bent into a cylinder the energy converges to the plate value at
first order, the missing half-cells along the free edges (which carry no hinge) being the
error; the equilateral lattice gives the plate value at every orientation. **The constant is
mesh dependent**, as is known of hinge energies (Grinspun, Gingold, Reisman and Zorin 2006,
"Computing discrete shape operators on general meshes", Computer Graphics Forum 25:547):
measured here on the cylinder (energy density over the interior of a fine mesh, against the
plate value), the rectangle lattice gives 1.00 with its edges along or at 45 degrees to the
generators but 0.76 to 0.80 at 11 to 23 degrees, and jittered Delaunay meshes gave 0.97 to
1.55. The hinge energy also has no Poisson (Gaussian-curvature) term of its own: ``nu`` enters
through ``D`` only. It is a bending term of the plate's magnitude that removes wrinkle modes
(SOLVER-NOTES.md), not a converged plate model: use near-equilateral meshes.

Derivatives
-----------
``grad E_h = 2 C_h (theta - theta0) grad theta`` and
``hess E_h = 2 C_h (grad theta grad theta^T + (theta - theta0) hess theta)``: the second term is
indefinite once the hinge leaves its rest angle, so the exact 12 x 12 blocks are indefinite in
general. With ``y = |e| Y``, ``Y = -det[e, a, b]``, ``g = grad theta = (X grad y - y grad X) / r2``
and ``r2 = X^2 + y^2``,

    hess theta = (X hess y - y hess X) / r2
                 - (2 / r2^2) [X y (gy gy^T - gX gX^T) + (X^2 - y^2) sym(gy gX^T)],

(``sym(M) = (M + M^T) / 2``), exactly symmetric. ``X`` and ``Y`` are polynomials in
``(e, a, b)``, mapped to the four nodes by a constant matrix ``P = Q x I3``. All of it is built
from five vectors ``w = (p, q, r, s, grad Y)``, the gradients of ``e . a``, ``e . b``,
``e . e / 2``, ``a . b`` and ``Y``:

    grad X = (e . b) p + (e . a) q - 2 (a . b) r - (e . e) s,
    hess X = p q^T + q p^T - 2 (r s^T + s r^T) + K_X x I3,
    hess y = |e| hess Y + (r grad Y^T + grad Y r^T) / |e| + Y (I3 - e e^T / |e|^2) / |e| (ee),

with ``K_X`` a 3 x 3 matrix over ``(e, a, b)`` and ``hess Y`` made of the cross-product blocks
``[b]_x`` (``ea``), ``-[a]_x`` (``eb``) and ``[e]_x`` (``ab``). A hinge block is thus
``w^T C w + P^T (K x I3 + c hess Y) P`` with a 5 x 5 ``C`` and a 3 x 3 ``K`` from scalars of the
hinge: a few small matrix products per hinge, evaluated in chunks of hinges.

``project=True`` replaces each block by its nearest positive semi-definite matrix (eigenvalues
clamped at zero, what the generic ``eigh`` on 12 x 12 blocks gives) from an 8 x 8 eigenproblem:
``theta`` does not change when the hinge translates or its nodes slide along the edge line, so
the block vanishes on translations, its edge-direction part is a zero block, and that part
couples with the rest only through the node weights ``(s1 - 1, -s1, 1, 0)`` and
``(s2 - 1, -s2, 0, 1)`` of the gradient (``s1 = e . a / |e|^2``, ``s2 = e . b / |e|^2``). The
block's range lies in the span of the three translation-free node weights times two directions
normal to the edge, and of these two weights times the edge direction. A hinge at its rest angle
keeps its block ``2 C_h g g^T``, already PSD.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.terms import ElementTerm, as_positions
from mvplan.mechanics.triangles import CHUNK, chunks, skew, times_constant, triangle_array

__all__ = ["ShellBending", "dihedral_angles", "find_hinges", "plate_bending_stiffness"]

# (e, a, b) = (x_j - x_i, x_k - x_i, x_l - x_i) = (_Q x I3) (x_i, x_j, x_k, x_l).
_Q = np.array([[-1.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 1.0, 0.0], [-1.0, 0.0, 0.0, 1.0]])


def plate_bending_stiffness(
    youngs_modulus: ArrayLike, thickness: ArrayLike, poisson_ratio: ArrayLike
) -> FloatArray:
    """Plate bending stiffness ``D = E t^3 / (12 (1 - nu^2))``.

    Parameters
    ----------
    youngs_modulus : float or array, MPa
    thickness : float or array, mm
    poisson_ratio : float or array, in ``(-1, 0.5]``

    Returns
    -------
    float array (broadcast shape), N mm
    """
    e = np.asarray(youngs_modulus, dtype=np.float64)
    t = np.asarray(thickness, dtype=np.float64)
    nu = np.asarray(poisson_ratio, dtype=np.float64)
    if np.any(e < 0.0) or np.any(t <= 0.0) or np.any(nu <= -1.0) or np.any(nu > 0.5):
        raise ValueError("need E >= 0, t > 0 and -1 < nu <= 0.5")
    return np.asarray(e * t**3 / (12.0 * (1.0 - nu**2)), dtype=np.float64)


def _hinges_and_faces(triangles: ArrayLike) -> tuple[IntArray, IntArray]:
    """Hinges ``(m, 4)`` and the indices ``(m, 2)`` of their two triangles."""
    tri = triangle_array(triangles, nonempty=True, distinct=True)
    directed = np.stack([tri, np.roll(tri, -1, axis=1)], axis=2).reshape(-1, 2)
    opposite = np.roll(tri, -2, axis=1).reshape(-1)  # the third node of each directed edge
    key = np.sort(directed, axis=1)
    linear = key[:, 0] * (int(tri.max()) + 1) + key[:, 1]
    order = np.argsort(linear, kind="stable")
    _, start, counts = np.unique(linear[order], return_index=True, return_counts=True)
    if np.any(counts > 2):
        bad = directed[order[start[np.argmax(counts > 2)]]]
        raise ValueError(f"edge {tuple(int(v) for v in bad)} has more than two triangles")
    pair = start[counts == 2]
    first, second = order[pair], order[pair + 1]
    if np.any(directed[first, 0] == directed[second, 0]):
        bad = directed[first[np.argmax(directed[first, 0] == directed[second, 0])]]
        raise ValueError(
            f"the triangles at edge {tuple(int(v) for v in bad)} are not consistently oriented"
        )
    keep = np.argsort(first, kind="stable")  # in the order of the triangles
    first, second = first[keep], second[keep]
    hinges = np.stack(
        [directed[first, 0], directed[first, 1], opposite[first], opposite[second]], axis=1
    )
    return hinges, np.stack([first // 3, second // 3], axis=1)


def find_hinges(triangles: ArrayLike) -> IntArray:
    """The interior edges (hinges) of a consistently oriented triangle mesh.

    Parameters
    ----------
    triangles : (f, 3) int
        Node indices; neighbouring triangles must traverse their shared edge in opposite
        directions (a consistently oriented, edge-manifold mesh).

    Returns
    -------
    (m, 4) int
        ``(i, j, k, l)`` per interior edge ``(i, j)``: triangle ``(i, j, k)`` (up to a cyclic
        shift) is the one that traverses the edge from ``i`` to ``j`` and ``(j, i, l)`` its
        neighbour; listed in the order of the first triangle. Boundary edges are left out.

    Raises
    ------
    ValueError
        An edge shared by more than two triangles, two triangles traversing their shared edge in
        the same direction (inconsistent orientation), or a degenerate triangle.
    """
    return _hinges_and_faces(triangles)[0]


def _dot(u: FloatArray, v: FloatArray) -> FloatArray:
    return np.einsum("mi,mi->m", u, v)


def _vector_map() -> FloatArray:
    """``(18, 60)``: ``(e, a, b, a x b, b x e, e x a)`` to the node vectors of ``w`` ``(5, 12)``.

    ``w = (p, q, r, s, grad Y)`` are the gradients in ``(e, a, b)`` of ``e . a``, ``e . b``,
    ``e . e / 2``, ``a . b`` and ``Y``, mapped to the nodes ``(i, j, k, l)``.
    """
    e, a, b, axb, bxe, exa = range(6)
    blocks = np.zeros((5, 3, 6))  # (vector of w, block e/a/b, source vector)
    blocks[0, 0, a] = blocks[0, 1, e] = 1.0  # p = (a, e, 0)
    blocks[1, 0, b] = blocks[1, 2, e] = 1.0  # q = (b, 0, e)
    blocks[2, 0, e] = 1.0  # r = (e, 0, 0)
    blocks[3, 1, b] = blocks[3, 2, a] = 1.0  # s = (0, b, a)
    blocks[4, 0, axb] = blocks[4, 1, bxe] = blocks[4, 2, exa] = -1.0  # grad Y
    return np.einsum("kbv,bn,cd->vdknc", blocks, _Q, np.eye(3)).reshape(18, 60)


def _kron_map() -> FloatArray:
    """``(13, 144)``: coefficients to the node block ``P^T (K x I3 + c hess Y) P`` (12 x 12).

    The coefficients are ``(K_ee, K_ea, K_eb, K_ab, c a, c b, c e)``: a symmetric ``K`` over
    ``(e, a, b)`` with no ``aa`` or ``bb`` entry, and the vectors of the cross-product matrices
    of ``c hess Y``, whose blocks are ``[b]_x`` (``ea``), ``-[a]_x`` (``eb``) and ``[e]_x``
    (``ab``), antisymmetric in the blocks.
    """
    k = np.zeros((4, 3, 3))
    k[0, 0, 0] = 1.0
    k[1, 0, 1] = k[1, 1, 0] = k[2, 0, 2] = k[2, 2, 0] = k[3, 1, 2] = k[3, 2, 1] = 1.0
    omega = np.zeros((3, 3, 3))  # (vector a/b/e, block, block)
    omega[1, 0, 1], omega[1, 1, 0] = 1.0, -1.0
    omega[0, 0, 2], omega[0, 2, 0] = -1.0, 1.0
    omega[2, 1, 2], omega[2, 2, 1] = 1.0, -1.0
    eps = skew(np.eye(3))  # eps[f] = [e_f]_x
    out = np.zeros((13, 4, 3, 4, 3))  # (coefficient, node, coordinate, node, coordinate)
    out[:4] = np.einsum("sm,jst,tn,cd->jmcnd", _Q, k, _Q, np.eye(3))
    out[4:] = np.einsum("sm,vst,tn,fcd->vfmcnd", _Q, omega, _Q, eps).reshape(9, 4, 3, 4, 3)
    return out.reshape(13, 144)


_VECTOR_MAP = _vector_map()
_KRON_MAP = _kron_map()


def _to_nodes(v_e: FloatArray, v_a: FloatArray, v_b: FloatArray) -> FloatArray:
    """A vector ``(v_e, v_a, v_b)`` in ``(e, a, b)`` as node vectors ``(m, 12)``."""
    return np.concatenate([-(v_e + v_a + v_b), v_e, v_a, v_b], axis=1)


def _hinge_function(
    p: FloatArray,
    order: int,
    profile: Callable[[FloatArray], tuple[FloatArray, FloatArray]],
) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
    """Dihedral angles and the node derivatives of a function ``f(theta)`` of each hinge.

    Parameters
    ----------
    p : (m, 4, 3) float, mm
        The hinge nodes ``(x_i, x_j, x_k, x_l)``.
    order : int
        0: angles only; 1: and gradients; 2: and Hessians.
    profile : callable
        ``theta -> (f'(theta), f''(theta))``, each ``(m,)``.

    Returns
    -------
    theta : (m,) float, rad
    gradient : (m, 12) float or None
        ``f' grad theta``.
    hessian : (m, 12, 12) float or None
        ``f'' grad theta grad theta^T + f' hess theta``.
    """
    e, a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
    ee, ea, eb, ab = _dot(e, e), _dot(e, a), _dot(e, b), _dot(a, b)
    length = np.sqrt(ee)
    axb = np.cross(a, b)
    big_y = -_dot(e, axb)
    x = ea * eb - ee * ab
    y = length * big_y
    theta = np.arctan2(y, x)
    if order == 0:
        return theta, None, None
    f1, f2 = profile(theta)
    m = p.shape[0]
    r2 = x * x + y * y
    tau = big_y / length
    bxe, exa = np.cross(b, e), np.cross(e, a)
    # f' grad theta = f' (X grad y - y grad X) / r2 = sum_k c_k w_k (module docstring).
    inv = f1 / r2
    c_p, c_q, c_s = (-y * eb * inv)[:, None], (-y * ea * inv)[:, None], (y * ee * inv)[:, None]
    c_r, c_y = ((x * tau + 2.0 * y * ab) * inv)[:, None], (x * length * inv)[:, None]
    grads = _to_nodes(
        c_p * a + c_q * b + c_r * e - c_y * axb,
        c_p * e + c_s * b - c_y * bxe,
        c_q * e + c_s * a - c_y * exa,
    )
    if order == 1:
        return theta, grads, None
    # The core C (5 x 5) of w^T C w: f'' g g^T and the quotient rule's rank-2 part through
    # (grad X, grad y) = T w, then the outer products in hess X and hess y.
    alpha, beta = f1 * x / r2, -f1 * y / r2
    q2 = 1.0 / (r2 * r2)
    c_yy = (f2 * x * x - 2.0 * f1 * x * y) * q2
    c_xx = (f2 * y * y + 2.0 * f1 * x * y) * q2
    c_yx = -(f2 * x * y + f1 * (x * x - y * y)) * q2
    t = np.zeros((m, 2, 5))
    t[:, 0, 0], t[:, 0, 1], t[:, 0, 2], t[:, 0, 3] = eb, ea, -2.0 * ab, -ee  # grad X
    t[:, 1, 2], t[:, 1, 4] = tau, length  # grad y = |e| grad Y + (Y / |e|) r
    u = np.empty((m, 2, 5))
    u[:, 0] = c_xx[:, None] * t[:, 0] + c_yx[:, None] * t[:, 1]
    u[:, 1] = c_yx[:, None] * t[:, 0] + c_yy[:, None] * t[:, 1]
    core = np.swapaxes(t, 1, 2) @ u
    core[:, 0, 1] += beta  # beta (p q^T + q p^T)
    core[:, 1, 0] += beta
    core[:, 2, 3] -= 2.0 * beta  # -2 beta (r s^T + s r^T)
    core[:, 3, 2] -= 2.0 * beta
    core[:, 2, 4] += alpha / length  # alpha (grad|e| grad Y^T + grad Y grad|e|^T)
    core[:, 4, 2] += alpha / length
    core[:, 2, 2] -= alpha * tau / ee  # the r r^T part of alpha Y hess|e|
    c = (alpha * length)[:, None]
    kron = np.concatenate(
        [
            np.stack([alpha * tau - 2.0 * beta * ab, beta * eb, beta * ea, -beta * ee], axis=1),
            c * a,
            c * b,
            c * e,
        ],
        axis=1,
    )
    vectors = np.concatenate([e, a, b, axb, bxe, exa], axis=1)
    blocks = np.empty((m, 12, 12))
    size = min(m, CHUNK)
    w, cw, ww = np.empty((size, 60)), np.empty((size, 5, 12)), np.empty((size, 12, 12))
    for sl in chunks(m):
        n = sl.stop - sl.start
        w5 = times_constant(vectors[sl], _VECTOR_MAP, w[:n]).reshape(n, 5, 12)
        times_constant(kron[sl], _KRON_MAP, blocks[sl].reshape(n, 144))
        np.matmul(core[sl], w5, out=cw[:n])
        blocks[sl] += np.matmul(np.swapaxes(w5, 1, 2), cw[:n], out=ww[:n])
    return theta, grads, blocks


# Three orthonormal node weights orthogonal to (1, 1, 1, 1): with two directions normal to the
# edge, they span the transverse motions free of translation.
_HADAMARD = 0.5 * np.array([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0], [1.0, -1.0, -1.0, 1.0]])
_TRANSVERSE_MAP = np.einsum("kn,dD,cC->dcDknC", _HADAMARD, np.eye(2), np.eye(3)).reshape(6, 72)


def _clamp_hinges(p: FloatArray, blocks: FloatArray, active: NDArray[np.bool_]) -> None:
    """Clamp the eigenvalues of hinge blocks at zero, in place (module docstring).

    Parameters
    ----------
    p : (m, 4, 3) float, mm
        The hinge nodes.
    blocks : (m, 12, 12) float
        Their exact Hessians; the ``active`` ones are replaced by their PSD projections.
    active : (m,) bool
        The blocks that may be indefinite (the others are left as they are).
    """
    index = np.flatnonzero(active)
    if index.size == 0:
        return
    p = p[index]
    e, a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
    ee = _dot(e, e)
    unit = e / np.sqrt(ee)[:, None]
    # Two unit vectors normal to the edge, from the coordinate axis least aligned with it.
    helper = np.eye(3)[np.argmin(np.abs(unit), axis=1)]
    t1 = np.cross(unit, helper)
    t1 /= np.linalg.norm(t1, axis=1)[:, None]
    normals = np.concatenate([t1, np.cross(unit, t1)], axis=1)
    # Sliding the nodes along the edge couples with the rest through w1 and w2 only.
    s1, s2 = _dot(e, a) / ee, _dot(e, b) / ee
    zero, one = np.zeros_like(s1), np.ones_like(s1)
    w1 = np.stack([s1 - 1.0, -s1, one, zero], axis=1)
    w2 = np.stack([s2 - 1.0, -s2, zero, one], axis=1)
    q1 = w1 / np.linalg.norm(w1, axis=1)[:, None]
    q2 = w2 - _dot(q1, w2)[:, None] * q1
    q2 /= np.linalg.norm(q2, axis=1)[:, None]
    sliding = np.stack([q1, q2], axis=1).reshape(-1, 8, 1) @ unit[:, None, :]  # q_j x e/|e|
    every = index.size == blocks.shape[0]
    basis = np.empty((min(index.size, CHUNK), 8, 12))
    for sl in chunks(index.size):
        n = sl.stop - sl.start
        rows = sl if every else index[sl]
        times_constant(normals[sl], _TRANSVERSE_MAP, basis[:n, :6].reshape(n, 72))
        basis[:n, 6:] = sliding[sl].reshape(n, 2, 12)
        h = blocks[rows]
        values, vectors = np.linalg.eigh(basis[:n] @ h @ np.swapaxes(basis[:n], 1, 2))
        count = int(np.max(np.sum(values < 0.0, axis=1)))  # ascending: the negative ones first
        if count == 0:
            continue
        vectors = np.swapaxes(basis[:n], 1, 2) @ vectors[:, :, :count]  # in the nodes
        h -= (vectors * values[:, None, :count].clip(max=0.0)) @ np.swapaxes(vectors, 1, 2)
        if not every:
            blocks[rows] = h


def _angle_itself(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.ones_like(theta), np.zeros_like(theta)


def dihedral_angles(x: ArrayLike, hinges: ArrayLike) -> FloatArray:
    """Signed dihedral angles of hinges (module docstring for the sign).

    Parameters
    ----------
    x : (n, 3) float, mm
    hinges : (m, 4) int
        From :func:`find_hinges`.

    Returns
    -------
    (m,) float, rad
        In ``(-pi, pi]``; 0 for a flat hinge.
    """
    nodes = np.asarray(hinges, dtype=np.int64).reshape(-1, 4)
    return _hinge_function(as_positions(x)[nodes], 0, _angle_itself)[0]


class ShellBending(ElementTerm):
    """Hinge bending energy of a triangle mesh at the plate value (module docstring).

    Parameters
    ----------
    triangles : (f, 3) int
        A consistently oriented, edge-manifold mesh (see :func:`find_hinges`).
    rest_positions : (n, 3) float, mm
        The stress-free shape: rest angles, edge lengths and areas are taken from it.
    bending_stiffness : (f,) or scalar float, N mm
        Plate bending stiffness ``D`` per triangle (a hinge takes the mean of its two
        triangles'); see :func:`plate_bending_stiffness`.

    Attributes
    ----------
    nodes : (m, 4) int
        The hinges ``(i, j, k, l)``.
    rest_angle : (m,) float, rad
    coefficient : (m,) float, N mm
        ``C_h = (D / 2) |e0|^2 / (A1 + A2)``.
    """

    def __init__(
        self, triangles: ArrayLike, rest_positions: ArrayLike, bending_stiffness: ArrayLike
    ) -> None:
        tri = triangle_array(triangles, nonempty=True, distinct=True)
        rest = as_positions(rest_positions)
        if rest.shape[0] <= int(tri.max()):
            raise ValueError("rest_positions has fewer nodes than the triangles use")
        self.nodes, faces = _hinges_and_faces(tri)
        stiffness = np.asarray(bending_stiffness, dtype=np.float64)
        if stiffness.ndim == 0:
            stiffness = np.full(tri.shape[0], float(stiffness))
        if stiffness.shape != (tri.shape[0],) or np.any(stiffness < 0.0):
            raise ValueError("bending_stiffness must be >= 0, a scalar or one per triangle")
        p = rest[self.nodes]
        e, a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
        ee = _dot(e, e)
        twice_a1 = np.linalg.norm(np.cross(e, a), axis=1)
        twice_a2 = np.linalg.norm(np.cross(b, e), axis=1)
        if np.any(np.minimum(twice_a1, twice_a2) <= 1e-12 * ee):
            raise ValueError("the rest mesh has a degenerate triangle at a hinge")
        d_hinge = 0.5 * stiffness[faces].sum(axis=1)
        self.coefficient = 0.5 * d_hinge * ee / (0.5 * (twice_a1 + twice_a2))
        self.rest_angle = _hinge_function(p, 0, _angle_itself)[0]

    def angles(self, x: ArrayLike) -> FloatArray:
        """Current signed dihedral angles ``(m,)``, rad."""
        return _hinge_function(as_positions(x)[self.nodes], 0, _angle_itself)[0]

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        c, rest = self.coefficient, self.rest_angle

        def profile(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
            return 2.0 * c * (theta - rest), 2.0 * c

        theta, grads, blocks = _hinge_function(x[self.nodes], order, profile)
        return c * (theta - rest) ** 2, grads, blocks

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        x = as_positions(x)
        energies, _, blocks = self._second_order(x)
        assert blocks is not None
        if project:  # a hinge at its rest angle has the PSD block 2 C g g^T
            blocks = blocks.copy()
            _clamp_hinges(x[self.nodes], blocks, energies > 0.0)
        return [blocks]

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        out = blocks.copy()
        _clamp_hinges(as_positions(x)[self.nodes], out, np.ones(out.shape[0], dtype=bool))
        return out
