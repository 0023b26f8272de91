"""Verification cases for the frame-element rod of :mod:`.frame` (closed-form answers).

Straight cantilever (``frame_cantilever``)
    A straight rod of length ``L`` clamped at one end (all six DOFs of node 0) carries a tip
    force ``P`` across it, in the ring plane (along ``e2``, rigidity ``EI_in``) or along the
    up direction (``EI_out``). Euler-Bernoulli: tip deflection ``P L^3 / (3 EI)``. Cubic Hermite
    elements are exact for nodal loads, so the error is at rounding level at every mesh; the
    case also checks the tip twist ``T L / GJ`` and stretch ``P L / EA``.

Thin ring under two opposite in-plane point loads (``frame_ring_diametral``)
    As :func:`~mvplan.mechanics.verification.ring_diametral` (Roark, inextensible thin ring):
    the loaded diameter shortens by ``delta = P R^3 / EI_in * (pi/4 - 2/pi)``. The ring is
    ``n`` straight frame elements (chords); ``K z = f`` is solved in the minimum-norm sense
    (``f`` is self-equilibrated, so it is orthogonal to ``K``'s six rigid modes and the
    solution carries no rigid motion). Consistent with ``ring_diametral``, the extensibility
    error (linear in ``EI / (EA R^2)``) is removed by solving with ``EA`` and ``2 EA`` and
    taking ``2 delta(2 EA) - delta(EA)``; the problem is linear, so no load reversal is needed.
    The chord approximation of the curved ring converges as ``h^2``.

Thin ring under alternating out-of-plane loads (``frame_ring_out_of_plane``)
    Loads ``+P`` normal to the ring's plane at ``theta = 0, pi`` and ``-P`` at
    ``theta = +-pi/2``. Symmetry about ``theta = 0`` gives a shear ``P/2`` and no twisting
    moment there, antisymmetry about ``theta = pi/4`` no bending moment there, so the quarter
    is statically determinate: with ``F = P/2``, bending ``M(phi) = F R (cos phi - sin phi)``
    and twist ``T(phi) = F R (1 - cos phi - sin phi)``. The strain energy (Castigliano) gives
    the relative deflection of the up- and down-loaded points

        w(0) - w(pi/2) = P R^3 [ (pi/4 - 1/2) / EI_out + (pi/2 - 3/2) / GJ ],

    which exercises out-of-plane bending and torsion together (the axial and in-plane
    rigidities do not enter). Measured as ``(w_0 + w_pi - w_{pi/2} - w_{-pi/2}) / 2``, which
    is blind to rigid motion. Chord discretisation: order 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mvplan.mechanics.assembly import FloatArray
from mvplan.mechanics.frame import frame_stiffness
from mvplan.mechanics.verification import Verification, circle_points, observed_orders

__all__ = ["frame_cantilever", "frame_ring_diametral", "frame_ring_out_of_plane"]

_UP = np.array([0.0, 0.0, 1.0])


def _cantilever_tip(
    n: int,
    length: float,
    rigidities: dict[str, float],
    dof: tuple[str, int],
    load: float,
) -> float:
    """Tip displacement (``"u"``) or rotation (``"theta"``) component ``c`` of a clamped rod
    along x (up = z) under a tip force or moment ``load`` in the same component."""
    points = np.outer(np.linspace(0.0, length, n), [1.0, 0.0, 0.0])
    k = frame_stiffness(points, closed=False, up=_UP, **rigidities).toarray()
    kind, comp = dof
    index = (3 * (n - 1) if kind == "u" else 3 * n + 3 * (n - 1)) + comp
    f = np.zeros(6 * n)
    f[index] = load
    clamped = np.r_[0:3, 3 * n : 3 * n + 3]
    free = np.setdiff1d(np.arange(6 * n), clamped)
    z = np.zeros(6 * n)
    z[free] = np.linalg.solve(k[np.ix_(free, free)], f[free])
    return float(z[index])


def frame_cantilever(
    *,
    length: float = 20.0,
    axial_rigidity: float = 3e4,
    torsional_rigidity: float = 8e3,
    in_plane_stiffness: float = 1e4,
    out_of_plane_stiffness: float = 4e3,
    load: float = 0.5,
    levels: Sequence[int] = (2, 3, 5, 9, 17),
    tolerance: float = 1e-8,
) -> Verification:
    """Clamped straight rod: tip deflection ``P L^3/(3 EI)`` (both planes), ``T L/GJ``, ``P L/EA``.

    Parameters (mm, N)
    ------------------
    length : L, mm. axial_rigidity : EA, N. torsional_rigidity : GJ, N mm^2.
    in_plane_stiffness, out_of_plane_stiffness : EI_in, EI_out, N mm^2. load : tip force P, N
    (and tip torque ``P L``, N mm). levels : node counts. tolerance : largest relative error.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    rigidities = {
        "ea": axial_rigidity,
        "gj": torsional_rigidity,
        "ei_in": in_plane_stiffness,
        "ei_out": out_of_plane_stiffness,
    }
    torque = load * length
    cases: dict[str, tuple[tuple[str, int], float, float]] = {
        "in_plane": (("u", 1), load, load * length**3 / (3.0 * in_plane_stiffness)),
        "out_of_plane": (("u", 2), load, load * length**3 / (3.0 * out_of_plane_stiffness)),
        "twist": (("theta", 0), torque, torque * length / torsional_rigidity),
        "axial": (("u", 0), load, load * length / axial_rigidity),
    }
    errors: dict[str, list[float]] = {name: [] for name in cases}
    for n in levels:
        for name, (dof, value, exact) in cases.items():
            tip = _cantilever_tip(n, length, rigidities, dof, value)
            errors[name].append(abs(tip - exact) / abs(exact))
    error = max(max(e) for e in errors.values())
    details: dict[str, Any] = {
        "exact": {name: case[2] for name, case in cases.items()},
        "errors": errors,
    }
    return Verification(
        "frame-cantilever", error <= tolerance, error, tolerance, None, params, details
    )


def _solve_ring(
    n: int, radius: float, rigidities: dict[str, float], forces: FloatArray
) -> FloatArray:
    """Minimum-norm displacements ``(n, 3)`` of an n-node frame ring under nodal ``forces``."""
    k = frame_stiffness(circle_points(n, radius), closed=True, up=_UP, **rigidities).toarray()
    f = np.concatenate([forces.ravel(), np.zeros(3 * n)])
    z = np.linalg.lstsq(k, f, rcond=1e-12)[0]
    return z[: 3 * n].reshape(n, 3)


def frame_ring_diametral(
    *,
    radius: float = 10.0,
    bending_stiffness: float = 1e4,
    out_of_plane_stiffness: float = 8e3,
    torsional_rigidity: float = 6e3,
    axial_rigidity: float | None = None,
    load: float = 1.0,
    levels: Sequence[int] = (16, 32, 64, 128),
    tolerance: float = 1e-3,
    min_order: float = 1.5,
) -> Verification:
    """Frame-element ring under opposite in-plane loads: ``P R^3/EI_in (pi/4 - 2/pi)``.

    Parameters (mm, N)
    ------------------
    radius : R, mm. bending_stiffness : EI_in, N mm^2. out_of_plane_stiffness : EI_out,
    N mm^2 and torsional_rigidity : GJ, N mm^2 (do not enter). axial_rigidity : EA, N
    (default ``1e4 EI_in / R^2``; extrapolated to inextensible). load : P, N. levels : node
    counts (even). tolerance : relative error at the finest level. min_order : smallest
    accepted observed order.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    if any(n % 2 for n in levels):
        raise ValueError("frame_ring_diametral needs even node counts")
    ea = 1e4 * bending_stiffness / radius**2 if axial_rigidity is None else axial_rigidity
    exact = load * radius**3 / bending_stiffness * (np.pi / 4.0 - 2.0 / np.pi)
    errors, deltas = [], []
    for n in levels:

        def shortening(axial: float, n: int = n) -> float:
            forces = np.zeros((n, 3))
            forces[0, 0], forces[n // 2, 0] = -load, load  # pushing the ends together
            rigidities = {
                "ea": axial,
                "gj": torsional_rigidity,
                "ei_in": bending_stiffness,
                "ei_out": out_of_plane_stiffness,
            }
            u = _solve_ring(n, radius, rigidities, forces)
            return float(u[n // 2, 0] - u[0, 0])

        delta = 2.0 * shortening(2.0 * ea) - shortening(ea)
        deltas.append(delta)
        errors.append(abs(delta - exact) / exact)
    orders = observed_orders(levels, errors)
    passed = errors[-1] <= tolerance and orders[-1] >= min_order
    return Verification(
        "frame-ring-diametral",
        passed,
        errors[-1],
        tolerance,
        orders[-1],
        params,
        {"exact_delta": exact, "deltas": deltas, "errors": errors, "orders": orders},
    )


def frame_ring_out_of_plane(
    *,
    radius: float = 10.0,
    out_of_plane_stiffness: float = 1e4,
    torsional_rigidity: float = 5e3,
    in_plane_stiffness: float = 2e4,
    axial_rigidity: float = 1e6,
    load: float = 1.0,
    levels: Sequence[int] = (16, 32, 64, 128),
    tolerance: float = 1e-3,
    min_order: float = 1.5,
) -> Verification:
    """Frame-element ring under alternating normal loads (module docstring for the formula).

    Parameters (mm, N)
    ------------------
    radius : R, mm. out_of_plane_stiffness : EI_out, N mm^2. torsional_rigidity : GJ,
    N mm^2. in_plane_stiffness : EI_in, N mm^2 and axial_rigidity : EA, N (do not enter).
    load : P, N. levels : node counts (multiples of 4). tolerance : relative error at the
    finest level. min_order : smallest accepted observed order.
    """
    params = {k: v for k, v in locals().items() if k != "levels"} | {"levels": list(levels)}
    if any(n % 4 for n in levels):
        raise ValueError("frame_ring_out_of_plane needs node counts that are multiples of 4")
    rigidities = {
        "ea": axial_rigidity,
        "gj": torsional_rigidity,
        "ei_in": in_plane_stiffness,
        "ei_out": out_of_plane_stiffness,
    }
    exact = (
        load
        * radius**3
        * ((np.pi / 4.0 - 0.5) / out_of_plane_stiffness + (np.pi / 2.0 - 1.5) / torsional_rigidity)
    )
    errors, deflections = [], []
    for n in levels:
        quarter = [0, n // 4, n // 2, 3 * n // 4]
        forces = np.zeros((n, 3))
        forces[quarter, 2] = [load, -load, load, -load]
        w = _solve_ring(n, radius, rigidities, forces)[quarter, 2]
        deflection = 0.5 * float(w[0] + w[2] - w[1] - w[3])
        deflections.append(deflection)
        errors.append(abs(deflection - exact) / exact)
    orders = observed_orders(levels, errors)
    passed = errors[-1] <= tolerance and orders[-1] >= min_order
    return Verification(
        "frame-ring-out-of-plane",
        passed,
        errors[-1],
        tolerance,
        orders[-1],
        params,
        {
            "exact_deflection": exact,
            "deflections": deflections,
            "errors": errors,
            "orders": orders,
        },
    )
