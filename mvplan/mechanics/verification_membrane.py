"""Verification cases for the leaflet terms: membrane, pressure and shell bending.

Hencky's pressurised circular membrane (``hencky_membrane``)
    A flat circular membrane (radius ``a``, thickness ``t``, Young's modulus ``E``, Poisson's
    ratio ``nu``) clamped at its edge carries a uniform pressure ``p``. With the load
    ``Q = p a / (E t)``, Hencky's solution (H. Hencky 1915, Z. Math. Phys. 63:311; its
    arithmetic corrected by W. Z. Chien 1948; the recurrence as in W. B. Fichter 1997, NASA
    TP-3658, and J. Y. Sun et al. 2014) of the axisymmetric Foppl-von Karman membrane
    equations, in ``xi = r / a``,

        N_theta = d(r N_r)/dr,    -dw/dr = p r / (2 N_r),
        r d(N_r + N_theta)/dr + (E t / 2) (dw/dr)^2 = 0,

    gives with ``N_r = E t Q^(2/3) S(xi)`` the equation ``(xi^3 S')' = -xi^3 / (8 S^2)``. The
    series ``S = sum_k b_k xi^(2k)`` follows from ``b_0`` by the recurrence

        c_j = 4 (j + 1) (j + 2) b_(j+1),   s_j = sum_(i<=j) b_i b_(j-i),
        c_0 = -1 / (8 b_0^2),              c_j = -(1 / b_0^2) sum_(i=1..j) s_i c_(j-i),

    and ``b_0`` is the root of the clamped edge's condition ``eps_theta(a) = 0``, i.e.
    ``N_theta = nu N_r``: ``sum_k (1 - nu + 2 k) b_k = 0`` (Fichter's ``b_2n`` are ``4 b_n``).
    Then

        sigma_r(0) = b_0 E Q^(2/3),     w(0) = a Q^(1/3) W_0,   W_0 = int_0^1 xi / (2 S) dxi

    (Gauss-Legendre quadrature; ``S`` is analytic and positive on ``[0, 1]``). For
    ``nu = 0.3``: ``b_0 = 0.4311``, ``W_0 = 0.6534``; ``nu = 0.5``: 0.4613 and 0.5949. (The
    often quoted ``w0 = 0.662 a Q^(1/3)`` at ``nu = 0.3`` is Timoshenko's approximate energy
    solution, not Hencky's.) The tests check the series against a boundary-value solution of
    the same equations written in displacements.

    The model: :class:`~.membrane.MembraneTriangles` with :class:`~.leaflet_law.
    SaintVenantKirchhoff`, no bending term, and the pressure as :class:`~.pressure.
    PressureVolume` about an apex below the centre. The boundary is clamped, so the volume
    potential equals the follower load at every free node (:func:`~.pressure.follower_error`,
    reported; must vanish to rounding). The mesh: ``N`` concentric rings of ``6 k`` nodes at
    radii ``k a / N`` (edges about ``a / N``). A flat membrane has no transverse stiffness (its
    Hessian is singular), so Newton starts from the paraboloid ``w = f a Q^(1/3) (1 - xi^2)``
    (``f = predeflection``; the scaling only, no closed-form constant) and takes 4 to 7 exact
    steps; no load steps and no bending term are needed. (A real sheet of thickness ``t``
    would bend at such loads, ``w0 < t``; the case verifies the membrane term alone, whose
    answer depends on ``Q`` and ``nu`` only.) The finite-element model is
    geometrically exact, Hencky's theory is its moderate-rotation, small-strain limit: the
    model's answers exceed Hencky's by ``0.09 Q^(2/3)`` in ``w0`` and ``0.67 Q^(2/3)`` in
    ``sigma_r(0)`` (relative; measured at ``N = 32`` from ``Q = 1e-6`` to ``1e-3``), which is
    why the default is ``Q = 1e-6`` (strains of 4e-5; 1e-5 and 7e-5 of model error against
    2e-4 and 8e-4 of discretisation error at the finest level). Only ``Q`` and ``nu`` matter;
    the loads are then small in N, so Newton's residual floor is made relative (``1e-10`` of
    the load) instead of the solver's default 1e-9 N. The centre stress is the mean
    principal Cauchy stress of the six triangles at the centre. Both errors converge at
    order about 2 (linear triangles on a polygonal disc; observed 1.8 to 2.0).

Equibiaxial patch of leaflet tissue (``membrane_equibiaxial``)
    A square sheet (side ``L``, thickness ``t``) of the May-Newman and Yin law with fibres at
    an angle ``phi`` is stretched equibiaxially by ``lambda``: the boundary nodes are moved to
    ``lambda X``, the interior nodes (on a jittered, irregular mesh, started off the answer
    in all three directions) are solved by Newton. The exact solution is homogeneous,
    ``C = lambda^2 I``, so ``I1 = 2 lambda^2 + lambda^-4``, ``I4 = lambda^2`` and

        S = 2 [W_1 (1 - lambda^-6) I + W_4 a0 a0^T],
        W_1 = 2 c0 c1 (I1 - 3) e^Q,   W_4 = 2 c0 c2 (lambda - 1)^3 e^Q / lambda,

    the Cauchy stress is ``sigma = lambda^2 S`` (incompressible: ``lambda_3 = lambda^-2``),
    and the force that holds the edge of reference normal ``N`` is ``sigma N`` times the
    current width ``lambda L`` and thickness ``lambda^-2 t``. Summed over the nodes of that
    edge (corners included: the tractions of the two edges across it cancel there), the
    reactions must equal it. Linear triangles represent a homogeneous field exactly, so the
    errors are at rounding level.

Cylinder bending of the hinge energy (``shell_bending_cylinder``)
    A flat strip (equilateral lattice, width ``w``) bent isometrically into a cylinder of
    radius ``R`` has the plate energy ``D / (2 R^2)`` per area, ``D = E t^3 / (12 (1 - nu^2))``
    (:func:`~.shell_bending.plate_bending_stiffness`). The free edges along the generators carry
    no hinge, so about half a row of cells is missing from the energy: a first-order error
    (observed order 1). Richardson extrapolation ``2 r_h - r_2h`` of the energy ratio removes
    it and must give 1 to ``extrapolated_tolerance`` (measured 1e-5).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import brentq

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.leaflet_law import (
    LEAFLET_LAWS,
    LEAFLET_THICKNESS,
    MayNewmanYin,
    SaintVenantKirchhoff,
)
from mvplan.mechanics.membrane import MembraneTriangles
from mvplan.mechanics.newton import solve
from mvplan.mechanics.pressure import PressureVolume, follower_error
from mvplan.mechanics.shell_bending import ShellBending, plate_bending_stiffness
from mvplan.mechanics.terms import Sum
from mvplan.mechanics.verification import Verification, observed_orders

__all__ = [
    "hencky_constants",
    "hencky_membrane",
    "hencky_stress_series",
    "membrane_equibiaxial",
    "shell_bending_cylinder",
]

_ANTERIOR = LEAFLET_LAWS["anterior"]


def hencky_stress_series(b0: float, terms: int = 400) -> FloatArray:
    """Coefficients ``b_k`` of ``S(xi) = sum_k b_k xi^(2k)`` from ``b_0`` (module docstring).

    Parameters
    ----------
    b0 : float
        ``S(0) > 0``, the dimensionless centre stress.
    terms : int
        Largest number of coefficients; the series stops once they fall below ``1e-17 b0``.

    Returns
    -------
    (k,) float
    """
    b = np.zeros(terms)
    s = np.zeros(terms)  # coefficients of S^2
    c = np.zeros(terms)  # coefficients of (xi^3 S')' / xi^3
    b[0], s[0] = b0, b0 * b0
    c[0] = -1.0 / (8.0 * s[0])
    for j in range(terms - 1):
        if j > 0:
            s[j] = float(b[: j + 1] @ b[j::-1])
            c[j] = -float(s[1 : j + 1] @ c[j - 1 :: -1]) / s[0]
        b[j + 1] = c[j] / (4.0 * (j + 1) * (j + 2))
        if abs(b[j + 1]) < 1e-17 * b0:
            return b[: j + 2]
    return b


def _edge_condition(b0: float, poisson_ratio: float) -> float:
    b = hencky_stress_series(b0)
    k = np.arange(b.size)
    return float(np.sum((1.0 - poisson_ratio + 2.0 * k) * b))


def hencky_constants(poisson_ratio: float) -> tuple[float, float]:
    """Hencky's constants ``(W_0, b_0)``: ``w0 = W_0 a Q^(1/3)``, ``sigma_r(0) = b_0 E Q^(2/3)``.

    Parameters
    ----------
    poisson_ratio : float
        ``nu`` in ``(-1, 0.5]``.

    Returns
    -------
    deflection, stress : float
        Dimensionless, with ``Q = p a / (E t)`` (module docstring).
    """
    if not -1.0 < poisson_ratio <= 0.5:
        raise ValueError("Hencky's membrane needs -1 < nu <= 0.5")
    b0 = float(brentq(_edge_condition, 0.35, 0.8, args=(poisson_ratio,), xtol=1e-15))
    b = hencky_stress_series(b0)
    nodes, weights = np.polynomial.legendre.leggauss(60)
    xi, weights = 0.5 * (nodes + 1.0), 0.5 * weights
    stress = np.polynomial.polynomial.polyval(xi**2, b)
    return float(np.sum(weights * xi / (2.0 * stress))), b0


def _disc(rings: int, radius: float) -> tuple[FloatArray, IntArray]:
    """Disc of ``rings`` rings of ``6 k`` nodes at radii ``k radius / rings``; CCW triangles.

    Node 0 is the centre; the last ``6 rings`` nodes are the boundary.
    """
    points, triangles = [np.zeros(3)], []
    for k in range(1, rings + 1):
        angle = 2.0 * np.pi * np.arange(6 * k) / (6 * k)
        ring = k * radius / rings * np.stack([np.cos(angle), np.sin(angle), 0.0 * angle], 1)
        points.extend(ring)
        outer0, inner0 = 1 + 3 * k * (k - 1), 1 + 3 * (k - 1) * (k - 2)
        for sector in range(6):

            def outer(i: int, sector: int = sector, k: int = k, o0: int = outer0) -> int:
                return o0 + (sector * k + i) % (6 * k)

            def inner(i: int, sector: int = sector, k: int = k, i0: int = inner0) -> int:
                return 0 if k == 1 else i0 + (sector * (k - 1) + i) % (6 * (k - 1))

            triangles += [(inner(i), outer(i), outer(i + 1)) for i in range(k)]
            triangles += [(inner(i), outer(i + 1), inner(i + 1)) for i in range(k - 1)]
    return np.array(points), np.array(triangles, dtype=np.int64)


def _hencky_level(
    rings: int, params: dict[str, Any], apex: FloatArray
) -> tuple[float, float, float, int, float]:
    """Centre deflection (mm), centre stress (MPa), follower error, iterations, longest edge."""
    a, t = params["radius"], params["thickness"]
    young, nu, p = params["youngs_modulus"], params["poisson_ratio"], params["pressure"]
    rest, tri = _disc(rings, a)
    free = np.ones(rest.shape[0], dtype=bool)
    free[-6 * rings :] = False
    membrane = MembraneTriangles(tri, rest, SaintVenantKirchhoff(young, nu), t)
    pressure = PressureVolume(tri, p, apex)
    start = rest.copy()
    xi2 = np.sum(rest[:, :2] ** 2, axis=1) / a**2
    scale = params["predeflection"] * a * (p * a / (young * t)) ** (1.0 / 3.0)
    start[free, 2] = scale * (1.0 - xi2[free])
    load_norm = pressure.load_norm(rest, free)
    # The loads are small in N (the theory needs p << E t / a): a relative floor, not 1e-9 N.
    energy = Sum([membrane, pressure])
    result = solve(energy, start, free, load_norm=load_norm, atol=1e-10 * load_norm)
    centre = np.any(tri == 0, axis=1)
    stress = float(membrane.principal_stresses(result.x)[centre].mean())
    follower = follower_error(result.x, tri, p, apex, free).relative
    longest = float(np.linalg.norm(rest[tri] - rest[np.roll(tri, 1, axis=1)], axis=2).max())
    return float(result.x[0, 2]), stress, follower, result.iterations, longest


def hencky_membrane(
    *,
    radius: float = 10.0,
    thickness: float = 0.1,
    youngs_modulus: float = 4.0,
    poisson_ratio: float = 0.3,
    pressure: float = 4e-8,
    predeflection: float = 0.5,
    levels: Sequence[int] = (8, 16, 32),
    tolerance: float = 1e-2,
    min_order: float = 1.5,
    follower_tolerance: float = 1e-12,
) -> Verification:
    """Clamped circular membrane under pressure: centre deflection and stress vs Hencky.

    Parameters (mm, MPa)
    --------------------
    radius : a, mm. thickness : t, mm. youngs_modulus : E, MPa. poisson_ratio : nu.
    pressure : p, MPa (keep ``Q = p a / (E t)`` small: Hencky's theory is the moderate-rotation
    limit; the default gives ``Q = 1e-6``). predeflection : start of Newton, as a fraction of
    ``a Q^(1/3)`` at the centre. levels : ring counts ``N`` (edges from ``a / N`` to
    ``1.44 a / N``: 0.45 mm at 32). tolerance : relative error of ``w0`` and ``sigma_r(0)`` at
    the finest level. min_order : smallest accepted observed order (of both).
    follower_tolerance : largest relative
    difference between the volume potential and the follower load over the free nodes.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    clock = time.perf_counter()
    load = pressure * radius / (youngs_modulus * thickness)
    w_const, s_const = hencky_constants(poisson_ratio)
    exact_w = w_const * radius * load ** (1.0 / 3.0)
    exact_s = s_const * youngs_modulus * load ** (2.0 / 3.0)
    apex = np.array([0.0, 0.0, -radius])
    rows = [_hencky_level(n, params, apex) for n in levels]
    w_errors = [abs(r[0] - exact_w) / exact_w for r in rows]
    s_errors = [abs(r[1] - exact_s) / exact_s for r in rows]
    w_orders, s_orders = observed_orders(levels, w_errors), observed_orders(levels, s_errors)
    follower = max(r[2] for r in rows)
    error = max(w_errors[-1], s_errors[-1])
    order = min(w_orders[-1], s_orders[-1]) if w_orders else None  # one level: no order
    passed = (
        error <= tolerance
        and (order is None or order >= min_order)
        and follower <= follower_tolerance
    )
    details: dict[str, Any] = {
        "load_Q": load,
        "hencky_W0": w_const,
        "hencky_b0": s_const,
        "exact_deflection": exact_w,
        "exact_centre_stress": exact_s,
        "deflections": [r[0] for r in rows],
        "centre_stresses": [r[1] for r in rows],
        "deflection_errors": w_errors,
        "stress_errors": s_errors,
        "deflection_orders": w_orders,
        "stress_orders": s_orders,
        "follower_errors": [r[2] for r in rows],
        "iterations": [r[3] for r in rows],
        "longest_edges": [r[4] for r in rows],
        "time_s": time.perf_counter() - clock,
    }
    return Verification("hencky-membrane", passed, error, tolerance, order, params, details)


def _jittered_square(
    cells: int, side: float, jitter: float, rng: np.random.Generator
) -> tuple[FloatArray, IntArray, IntArray]:
    """Square ``[0, side]^2`` grid with jittered interior nodes: points, CCW triangles, grid
    indices ``(n, 2)``."""
    a, b = np.meshgrid(np.arange(cells + 1), np.arange(cells + 1), indexing="ij")
    grid = np.stack([a.ravel(), b.ravel()], axis=1).astype(np.int64)
    h = side / cells
    uv = h * grid.astype(float)
    interior = np.all((grid > 0) & (grid < cells), axis=1)
    uv[interior] += jitter * h * rng.uniform(-1.0, 1.0, size=(int(interior.sum()), 2))
    p = (a[:-1, :-1] * (cells + 1) + b[:-1, :-1]).ravel()
    q, r, s = p + cells + 1, p + cells + 2, p + 1
    tri = np.concatenate([np.stack([p, q, r], 1), np.stack([p, r, s], 1)]).astype(np.int64)
    return np.c_[uv, np.zeros(len(uv))], tri, grid


def _equibiaxial_stress(
    c0: float, c1: float, c2: float, stretch: float, fibre: FloatArray
) -> FloatArray:
    """Second Piola-Kirchhoff stress ``S`` ``(2, 2)`` of ``C = stretch^2 I`` (module docstring)."""
    i1 = 2.0 * stretch**2 + stretch**-4
    q = c1 * (i1 - 3.0) ** 2 + c2 * (stretch - 1.0) ** 4
    w1 = 2.0 * c0 * c1 * (i1 - 3.0) * np.exp(q)
    w4 = 2.0 * c0 * c2 * (stretch - 1.0) ** 3 * np.exp(q) / stretch
    return 2.0 * (w1 * (1.0 - stretch**-6) * np.eye(2) + w4 * np.outer(fibre, fibre))


def membrane_equibiaxial(
    *,
    side: float = 2.0,
    cells: int = 6,
    thickness: float = LEAFLET_THICKNESS["anterior"],
    c0: float = _ANTERIOR.c0,
    c1: float = _ANTERIOR.c1,
    c2: float = _ANTERIOR.c2,
    fibre_angle_deg: float = 30.0,
    stretch: float = 1.12,
    jitter: float = 0.25,
    perturbation: float = 0.02,
    seed: int = 0,
    tolerance: float = 1e-9,
) -> Verification:
    """Equibiaxially stretched May-Newman-Yin sheet: homogeneous interior, edge reactions.

    Parameters (mm, MPa)
    --------------------
    side : L, mm. cells : cells per side. thickness : t, mm. c0 : MPa, c1, c2 : the law
    (default: anterior leaflet). fibre_angle_deg : fibres to the x axis. stretch : lambda
    (keep ``c2 (lambda - 1)^4`` below 100, the law's exponential cap). jitter : interior node
    jitter, fraction of a cell. perturbation : start of the interior nodes off the answer,
    fraction of a cell. seed : random seed. tolerance : largest relative error (positions
    over ``lambda L``, reactions and stresses over their norms).
    """
    params = dict(locals())
    clock = time.perf_counter()
    rng = np.random.default_rng(seed)
    law = MayNewmanYin(c0, c1, c2)
    rest, tri, grid = _jittered_square(cells, side, jitter, rng)
    angle = np.radians(fibre_angle_deg)
    fibre = np.array([np.cos(angle), np.sin(angle)])
    membrane = MembraneTriangles(tri, rest, law, thickness, fibres=np.r_[fibre, 0.0])
    exact = stretch * rest
    free = np.all((grid > 0) & (grid < cells), axis=1)
    start = exact.copy()
    start[free] += perturbation * side / cells * rng.uniform(-1.0, 1.0, (int(free.sum()), 3))
    s = _equibiaxial_stress(c0, c1, c2, stretch, fibre)
    sigma = stretch**2 * s  # Cauchy
    section = stretch * side * thickness / stretch**2  # current width x current thickness
    reactions = {"x": (grid[:, 0] == cells, 0), "y": (grid[:, 1] == cells, 1)}
    exact_reaction = {k: sigma[:, axis] * section for k, (_, axis) in reactions.items()}
    load_norm = float(np.linalg.norm([np.linalg.norm(v) for v in exact_reaction.values()]))
    # A homogeneous field is exact: converge to rounding, not to the default 1e-8.
    result = solve(membrane, start, free, load_norm=load_norm, rtol=1e-13, atol=0.0)
    x = result.x
    gradient = membrane.gradient(x).reshape(-1, 3)
    errors = {"positions": float(np.abs(x - exact).max() / (stretch * side))}
    for key, (edge, _) in reactions.items():
        got = gradient[edge, :2].sum(axis=0)
        errors[f"reaction_{key}"] = float(
            np.linalg.norm(got - exact_reaction[key]) / np.linalg.norm(exact_reaction[key])
        )
    stresses = membrane.cauchy_stresses(x)[:, :2, :2]
    errors["stresses"] = float(np.abs(stresses - sigma).max() / np.abs(sigma).max())
    error = max(errors.values())
    details: dict[str, Any] = {
        "errors": errors,
        "cauchy_stress": sigma.tolist(),
        "exact_reactions": {k: v.tolist() for k, v in exact_reaction.items()},
        "iterations": result.iterations,
        "residual": result.residual,
        "time_s": time.perf_counter() - clock,
    }
    return Verification(
        "membrane-equibiaxial", error <= tolerance, error, tolerance, None, params, details
    )


def _lattice(cells: int, side: float) -> tuple[FloatArray, IntArray]:
    """Equilateral lattice of ``cells + 1`` rows of ``cells + 1`` nodes, odd rows shifted."""
    row, col = np.divmod(np.arange((cells + 1) ** 2), cells + 1)
    uv = np.stack([(col + 0.5 * (row % 2)) * side, row * side * np.sqrt(3.0) / 2.0], axis=1)
    tri = []
    for r in range(cells):
        for c in range(cells):
            p, q = r * (cells + 1) + c, (r + 1) * (cells + 1) + c
            if r % 2 == 0:
                tri += [(p, p + 1, q), (p + 1, q + 1, q)]
            else:
                tri += [(p, q + 1, q), (p, p + 1, q + 1)]
    return uv, np.array(tri, dtype=np.int64)


def shell_bending_cylinder(
    *,
    radius: float = 10.0,
    width: float = 4.0,
    youngs_modulus: float = 4.0,
    thickness: float = 0.69,
    poisson_ratio: float = 0.45,
    levels: Sequence[int] = (8, 16, 32, 64),
    tolerance: float = 1e-2,
    order_range: tuple[float, float] = (0.9, 1.1),
    extrapolated_tolerance: float = 1e-4,
) -> Verification:
    """Strip bent into a cylinder: hinge energy vs ``D / (2 R^2)`` times its area.

    Parameters (mm, MPa)
    --------------------
    radius : R, mm. width : strip width, mm (cells of ``width / N``). youngs_modulus : E, MPa.
    thickness : t, mm. poisson_ratio : nu (``D = E t^3 / (12 (1 - nu^2))``). levels : cells
    across, N. tolerance : relative energy error at the finest level. order_range : accepted
    observed order (first order: the free edges). extrapolated_tolerance : accepted error of
    the Richardson-extrapolated energy ``2 E_h - E_2h`` of the two finest levels.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    clock = time.perf_counter()
    d = float(plate_bending_stiffness(youngs_modulus, thickness, poisson_ratio))
    ratios = []
    for n in levels:
        uv, tri = _lattice(n, width / n)
        term = ShellBending(tri, np.c_[uv, np.zeros(len(uv))], d)
        u, v = uv[:, 0], uv[:, 1]
        bent = np.stack([radius * np.sin(u / radius), v, radius * (1.0 - np.cos(u / radius))], 1)
        e1, e2 = uv[tri[:, 1]] - uv[tri[:, 0]], uv[tri[:, 2]] - uv[tri[:, 0]]
        area = 0.5 * float(np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]).sum())
        ratios.append(term.value(bent) / (d / (2.0 * radius**2) * area))
    errors = [abs(1.0 - r) for r in ratios]
    orders = observed_orders(levels, errors)
    # First order: r_h + (r_h - r_H) h / (H - h), i.e. 2 r_h - r_2h when the levels double.
    extrapolated = ratios[-1] + (ratios[-1] - ratios[-2]) * levels[-2] / (levels[-1] - levels[-2])
    extrapolated_error = abs(extrapolated - 1.0)
    passed = (
        errors[-1] <= tolerance
        and order_range[0] <= orders[-1] <= order_range[1]
        and extrapolated_error <= extrapolated_tolerance
    )
    details: dict[str, Any] = {
        "bending_stiffness": d,
        "energy_ratios": ratios,
        "errors": errors,
        "orders": orders,
        "extrapolated_ratio": extrapolated,
        "extrapolated_error": extrapolated_error,
        "time_s": time.perf_counter() - clock,
    }
    return Verification(
        "shell-bending-cylinder", passed, errors[-1], tolerance, orders[-1], params, details
    )
