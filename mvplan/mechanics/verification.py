"""Verification problems with closed-form answers, for the tests and ``mvplan verify``.

Each function takes its parameters as keywords and returns a :class:`Verification`.

Ring on an elastic foundation (``ring_on_foundation``)
    A closed ring of radius ``R`` (axial rigidity ``EA``, bending ``EI``) on a zero-length
    foundation of stiffness ``k_f`` per length, anchored at the rest circle, pulled inwards
    uniformly, either by a dead load ``q`` per length or by zero-length sutures (``k_s`` per
    length) to a concentric rigid circle of radius ``R_c``. Linear ring theory: an inward radial
    displacement ``w`` gives hoop strain ``-w/R``, hoop force ``-EA w/R`` and a radial
    resultant ``EA w/R^2`` per length; uniform shrinking leaves the curvature ratio unchanged, so
    **bending does not enter**. Equilibrium per length:

        load:     q = (k_f + EA/R^2) w
        sutures:  k_s (R - w - R_c) = (k_f + EA/R^2) w

    Discretely (N nodes on the circle, nodal weights ``2 pi R / N``) the spring resultant is
    ``EA/R^2 * sin(pi/N)/(pi/N)`` per length, an ``O(N^-2)`` error: the observed order is 2.
    The springs and the zero-length terms are linear in the radius, so the nonlinear solve has no
    geometric error to add.

Thin ring under two opposite point loads (``ring_diametral``)
    Inextensible thin ring (Roark): the diameter along a pair of opposite loads ``P`` shortens by
    ``delta = P R^3 / EI * (pi/4 - 2/pi)``. The ring is modelled with :class:`DiscreteBending`
    and axial springs, in-plane (z fixed: the isotropic bending term has no out-of-plane
    stiffness for a curved ring), held by three reaction-free symmetry constraints. Two
    extrapolations isolate the discretisation error: loads ``+P`` and ``-P`` are solved and
    ``(delta(P) - delta(-P)) / 2`` kept, which cancels the quadratic geometric term; and the
    extensibility error, linear in ``EI / (EA R^2)``, is removed by solving with ``EA`` and
    ``2 EA`` and taking ``2 delta(2 EA) - delta(EA)`` (a stiffer ``EA`` instead would raise the
    rounding floor of the residual above the tolerance).

Finite-difference checks (``finite_difference_checks``)
    Central differences of every term's value (against its gradient) and gradient (against its
    Hessian) on random configurations, including cables on both sides and inside of the
    smoothing band; the error is ``max|exact - fd| / max|fd|`` over all terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mvplan.mechanics.assembly import FloatArray
from mvplan.mechanics.bending import DiscreteBending
from mvplan.mechanics.fdcheck import check_term, sample_terms
from mvplan.mechanics.foundation import Foundation
from mvplan.mechanics.newton import solve
from mvplan.mechanics.springs import Springs
from mvplan.mechanics.sutures import Sutures
from mvplan.mechanics.terms import ConstantForce, EnergyTerm, Sum

__all__ = [
    "Verification",
    "circle_points",
    "finite_difference_checks",
    "observed_orders",
    "ring_diametral",
    "ring_on_foundation",
]


@dataclass(frozen=True)
class Verification:
    """Outcome of one verification case (``error`` is relative unless ``params`` says not)."""

    name: str
    passed: bool
    error: float
    tolerance: float
    observed_order: float | None
    params: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


def observed_orders(sizes: Sequence[int], errors: Sequence[float]) -> list[float]:
    """Orders ``log(e_k / e_{k+1}) / log(N_{k+1} / N_k)`` between consecutive refinements."""
    e, n = np.asarray(errors, float), np.asarray(sizes, float)
    return [float(v) for v in np.log(e[:-1] / e[1:]) / np.log(n[1:] / n[:-1])]


def circle_points(n: int, radius: float) -> FloatArray:
    """``n`` points ``(n, 3)`` equally spaced on a circle of ``radius`` mm in the xy plane."""
    angle = 2.0 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(angle), np.sin(angle), np.zeros(n)], axis=1)


def _ring_terms(rest: FloatArray, axial: float, bending: float) -> list[EnergyTerm]:
    n = rest.shape[0]
    edges = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    lengths = np.linalg.norm(rest[edges[:, 1]] - rest[edges[:, 0]], axis=1)
    return [
        Springs(edges, lengths, axial / lengths),
        DiscreteBending(np.arange(n), rest, bending, closed=True),
    ]


def ring_on_foundation(
    *,
    radius: float = 12.0,
    axial_rigidity: float = 50.0,
    bending_stiffness: float = 20.0,
    foundation_stiffness: float = 0.2,
    pull: float = 0.05,
    loading: str = "load",
    suture_stiffness: float = 1.0,
    inner_radius: float = 10.0,
    levels: Sequence[int] = (16, 32, 64, 128),
    tolerance: float = 1e-3,
    order_range: tuple[float, float] = (1.8, 2.2),
) -> Verification:
    """Uniformly pulled ring on an elastic foundation: final radius vs linear ring theory.

    Parameters (mm, N)
    ------------------
    radius : R, mm. axial_rigidity : EA, N. bending_stiffness : EI, N mm^2.
    foundation_stiffness : k_f, N/mm^2 (per length). pull : q, N/mm (``loading="load"``).
    loading : "load" (dead radial load) or "sutures" (to a rigid circle of ``inner_radius``
    with ``suture_stiffness`` k_s, N/mm^2). levels : node counts. tolerance : relative error of
    the radial displacement at the finest level. order_range : accepted observed order.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    hoop = axial_rigidity / radius**2
    if loading == "load":
        exact = radius - pull / (foundation_stiffness + hoop)
    elif loading == "sutures":
        exact = (suture_stiffness * inner_radius + (foundation_stiffness + hoop) * radius) / (
            suture_stiffness + foundation_stiffness + hoop
        )
    else:
        raise ValueError(f"loading must be 'load' or 'sutures', not {loading!r}")
    errors, radii = [], []
    for n in levels:
        rest = circle_points(n, radius)
        weight = 2.0 * np.pi * radius / n  # nodal share of the ring length, mm
        terms = [*_ring_terms(rest, axial_rigidity, bending_stiffness)]
        terms.append(Foundation(np.arange(n), rest, foundation_stiffness * weight))
        inward = -rest / radius
        if loading == "load":
            load = ConstantForce(pull * weight * inward)
            terms.append(load)
            load_norm = load.load_norm
        else:
            pairs = np.stack([np.arange(n), np.arange(n)], axis=1)
            terms.append(
                Sutures.to_points(
                    pairs, 0.0, rest * inner_radius / radius, suture_stiffness * weight
                )
            )
            load_norm = suture_stiffness * weight * (radius - inner_radius) * np.sqrt(n)
        result = solve(Sum(terms), rest, load_norm=load_norm)
        r = float(np.mean(np.linalg.norm(result.x[:, :2], axis=1)))
        radii.append(r)
        errors.append(abs(r - exact) / abs(radius - exact))
    orders = observed_orders(levels, errors)
    passed = errors[-1] <= tolerance and order_range[0] <= orders[-1] <= order_range[1]
    return Verification(
        "ring-foundation",
        passed,
        errors[-1],
        tolerance,
        orders[-1],
        params,
        {"exact_radius": exact, "radii": radii, "errors": errors, "orders": orders},
    )


def _diametral_delta(n: int, radius: float, ei: float, ea: float, load: float) -> float:
    """Shortening of the loaded diameter of an n-node ring under opposite loads ``load`` (N)."""
    rest = circle_points(n, radius)
    forces = np.zeros_like(rest)
    forces[0, 0], forces[n // 2, 0] = -load, load  # pushing the two ends towards each other
    free = np.ones((n, 3), dtype=bool)
    free[:, 2] = False  # in-plane problem
    free[0, 1] = free[n // 2, 1] = False  # no rigid rotation / y translation
    free[n // 4, 0] = False  # no x translation
    energy = Sum([*_ring_terms(rest, ea, ei), ConstantForce(forces)])
    x = solve(energy, rest, free, load_norm=np.sqrt(2.0) * abs(load)).x
    return 2.0 * radius - float(x[0, 0] - x[n // 2, 0])


def ring_diametral(
    *,
    radius: float = 10.0,
    bending_stiffness: float = 1e4,
    axial_rigidity: float | None = None,
    relative_deflection: float = 1e-3,
    levels: Sequence[int] = (16, 32, 64, 128),
    tolerance: float = 1e-3,
    order_range: tuple[float, float] = (1.8, 2.2),
) -> Verification:
    """Thin ring under two opposite point loads: diameter change vs ``P R^3/EI (pi/4 - 2/pi)``.

    Parameters (mm, N)
    ------------------
    radius : R, mm. bending_stiffness : EI, N mm^2 (default: a titanium wire of 1.5 mm
    diameter, about 1e4). axial_rigidity : EA, N (default ``1e4 EI / R^2``; extrapolated to
    inextensible). relative_deflection : delta / R of the load
    chosen (keep small: linear theory). levels : node counts (multiples of 4). tolerance :
    relative error at the finest level. order_range : accepted observed order.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    if any(n % 4 for n in levels):
        raise ValueError("ring_diametral needs node counts that are multiples of 4")
    ea = 1e4 * bending_stiffness / radius**2 if axial_rigidity is None else axial_rigidity
    factor = np.pi / 4.0 - 2.0 / np.pi
    load = relative_deflection * bending_stiffness / (factor * radius**2)
    exact = load * radius**3 / bending_stiffness * factor
    errors, deltas = [], []
    for n in levels:

        def antisymmetric(axial: float, n: int = n) -> float:
            plus = _diametral_delta(n, radius, bending_stiffness, axial, load)
            return 0.5 * (plus - _diametral_delta(n, radius, bending_stiffness, axial, -load))

        delta = 2.0 * antisymmetric(2.0 * ea) - antisymmetric(ea)
        deltas.append(delta)
        errors.append(abs(delta - exact) / exact)
    orders = observed_orders(levels, errors)
    passed = errors[-1] <= tolerance and order_range[0] <= orders[-1] <= order_range[1]
    return Verification(
        "ring-diametral",
        passed,
        errors[-1],
        tolerance,
        orders[-1],
        params,
        {"exact_delta": exact, "load": load, "deltas": deltas, "errors": errors, "orders": orders},
    )


def finite_difference_checks(
    *,
    seed: int = 0,
    n_nodes: int = 10,
    step: float = 1e-6,
    gradient_tolerance: float = 1e-6,
    hessian_tolerance: float = 1e-5,
) -> Verification:
    """Every term's gradient and Hessian against central differences on random configurations.

    ``error`` is the largest relative error (gradient or Hessian, over all terms); it passes when
    every gradient error is within ``gradient_tolerance`` and Hessian error within
    ``hessian_tolerance``.
    """
    params = dict(locals())
    details: dict[str, Any] = {}
    passed = True
    for name, (term, x) in sample_terms(seed, n_nodes).items():
        grad_error, hess_error = check_term(term, x, step)
        details[name] = {"gradient": grad_error, "hessian": hess_error}
        passed &= grad_error <= gradient_tolerance and hess_error <= hessian_tolerance
    error = max(max(d.values()) for d in details.values())
    return Verification(
        "finite-differences", passed, error, hessian_tolerance, None, params, details
    )
