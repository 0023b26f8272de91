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
general; ``project=True`` clamps their eigenvalues (the generic ``eigh``). With
``y = |e| Y``, ``Y = -det[e, a, b]``, ``g = grad theta = (X grad y - y grad X) / r2`` and
``r2 = X^2 + y^2``,

    hess theta = (X hess y - y hess X) / r2
                 - (2 / r2^2) [X y (gy gy^T - gX gX^T) + (X^2 - y^2) sym(gy gX^T)],

(``sym(M) = (M + M^T) / 2``), exactly symmetric; ``X`` and ``Y`` are polynomials with closed-form
gradients and Hessians in ``(e, a, b)``, mapped to the four nodes by a constant matrix.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.terms import ElementTerm, as_positions
from mvplan.mechanics.triangles import outer, skew, triangle_array

__all__ = ["ShellBending", "dihedral_angles", "find_hinges", "plate_bending_stiffness"]

# (e, a, b) = (x_j - x_i, x_k - x_i, x_l - x_i) = _P (x_i, x_j, x_k, x_l), and their blocks.
_P = np.kron([[-1.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 1.0, 0.0], [-1.0, 0.0, 0.0, 1.0]], np.eye(3))
_E, _A, _B = slice(0, 3), slice(3, 6), slice(6, 9)


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
    ea_, eb_, ab_, ee_ = ea[:, None], eb[:, None], ab[:, None], ee[:, None]
    g_x = np.concatenate(
        [a * eb_ + b * ea_ - 2.0 * e * ab_, e * eb_ - b * ee_, e * ea_ - a * ee_], axis=1
    )
    g_big_y = -np.concatenate([axb, np.cross(b, e), np.cross(e, a)], axis=1)
    g_y = length[:, None] * g_big_y
    g_y[:, _E] += (big_y / length)[:, None] * e  # y = |e| Y, d|e|/de = e/|e|
    r2 = x**2 + y**2
    g9 = (x[:, None] * g_y - y[:, None] * g_x) / r2[:, None]  # grad theta in (e, a, b)
    if order == 1:
        return theta, (f1[:, None] * g9) @ _P, None
    m = p.shape[0]
    # Linear part f' (X hess y - y hess X) / r2, block by block (hess X and hess Y are sparse
    # in blocks: no EE block of Y, no AA or BB block of either).
    alpha, beta = (f1 * x / r2)[:, None, None], (-f1 * y / r2)[:, None, None]
    w = alpha * length[:, None, None]  # the factor of hess Y in hess y = |e| hess Y + ...
    eye = np.eye(3)
    h9 = np.zeros((m, 9, 9))
    ab_outer, ee_outer = outer(a, b), outer(e, e)
    h9[:, _E, _E] = beta * (ab_outer + np.swapaxes(ab_outer, 1, 2) - 2.0 * ab_[:, :, None] * eye)
    h9[:, _E, _E] += (alpha * (big_y / length)[:, None, None]) * (  # Y d2|e|/de2
        eye - ee_outer / ee[:, None, None]
    )
    h9[:, _E, _A] = beta * (eb_[:, :, None] * eye + outer(b, e) - 2.0 * outer(e, b))
    h9[:, _E, _A] += w * skew(b)
    h9[:, _E, _B] = beta * (ea_[:, :, None] * eye + outer(a, e) - 2.0 * outer(e, a))
    h9[:, _E, _B] -= w * skew(a)
    h9[:, _A, _B] = beta * (ee_outer - ee_[:, :, None] * eye) + w * skew(e)
    for rows, cols in ((_A, _E), (_B, _E), (_B, _A)):
        h9[:, rows, cols] = np.swapaxes(h9[:, cols, rows], 1, 2)
    # Rank-4 part U^T M U with U = (gy, gX, grad|e|, grad Y): the quotient rule's
    # -(2/r2^2)[X y (gy gy^T - gX gX^T) + (X^2 - y^2) sym(gy gX^T)], the product rule's
    # (X/r2)(grad|e| grad Y^T + grad Y grad|e|^T), both times f', and f'' g g^T with
    # g = (X gy - y gX) / r2.
    g_length = np.zeros((m, 9))
    g_length[:, _E] = e / length[:, None]
    u = np.stack([g_y, g_x, g_length, g_big_y], axis=1)  # (m, 4, 9)
    inv = 1.0 / r2**2
    coef = np.zeros((m, 4, 4))
    coef[:, 0, 0] = (f2 * x**2 - 2.0 * f1 * x * y) * inv
    coef[:, 1, 1] = (f2 * y**2 + 2.0 * f1 * x * y) * inv
    coef[:, 0, 1] = coef[:, 1, 0] = -(f2 * x * y + f1 * (x**2 - y**2)) * inv
    coef[:, 2, 3] = coef[:, 3, 2] = f1 * x / r2
    h9 += np.swapaxes(u, 1, 2) @ (coef @ u)
    return theta, (f1[:, None] * g9) @ _P, _P.T @ h9 @ _P


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
