"""Newton's method with an Armijo line search for the minimiser of a potential energy.

The linear solver: :class:`~.ldl.FreeLDL`, QDLDL's ``L D L^T`` without pivoting. The Hessian's
sparsity pattern is fixed for a solve, so its symbolic analysis (AMD ordering, elimination
tree) is done once and every later factorisation is a numeric ``update``; the signs of ``D``
are the signs of the eigenvalues (Sylvester's law of inertia), so **one factorisation both
solves and proves definiteness**, with no wasted Cholesky attempt.
``benchmarks/bench_factorisation.py`` measured (factor + one solve, median ms, ring-on-springs
Hessians, 2-core machine):

=================================  =========  =========  =========
method                             128 nodes  256 nodes  512 nodes
=================================  =========  =========  =========
qdldl update (analysis reused)     0.08       0.15       0.30
splu MMD_AT_PLUS_A symmetric       0.37       0.68       1.31
qdldl (analysis + factor)          0.63       0.91       1.52
splu COLAMD (default)              0.48       0.93       2.36
dense cho_factor (incl. toarray)   0.91       4.50       29.0
=================================  =========  =========  =========

Hessian policy (DESIGN.md section 6): the exact Hessian first; where its factorisation shows it
indefinite (or singular), the projected one (element blocks clamped to PSD), shifted by a small
multiple of the identity if still singular. Projected Hessians alone converge linearly
(SOLVER-NOTES.md), so the exact one is retried: after ``k`` consecutive indefinite exact
factorisations the next ``min(2**(k-1), 4)`` iterations skip it, which bounds the wasted
factorisations far from equilibrium while near it the exact Hessian is back within 4 iterations.

**Newton-CG** (``newton_cg=True``; Nocedal and Wright, *Numerical Optimization*, 2nd ed. 2006,
Algorithm 7.1, with a preconditioner). Where the exact Hessian ``H`` is indefinite, the
projected Hessian ``M`` is factorised and used to precondition conjugate gradients on the exact
system ``H p = -g``. CG stops when its residual falls below ``eta |g|``
(:data:`CG_FORCING`), or at the first direction of non-positive curvature, returning the last
iterate (or, at the first CG step, the projected Newton direction ``-M^-1 g`` itself). Every
CG iterate is a descent direction (``M`` is positive definite), and the first one is the
projected Newton step: so a truncated CG step is never worse-informed than the projected
one, and keeps the exact curvature of ``H`` along every direction where it is positive, which
the projection throws away. Each such iteration costs one factorisation (of ``M``) and a few
CG steps (a sparse product with ``H`` and a solve with ``M``'s factors each), instead of a
failed factorisation of ``H`` and one of ``M``; the exact factorisation is tried again only
after a CG solve converged without meeting negative curvature (``H`` likely positive definite
there). Measured on the leaflet closure (coarse mesh, ``benchmarks/bench_closure.py``): see
``docs/theory.md`` section 10.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from mvplan.errors import ConvergenceError, MvplanError
from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.ldl import FreeLDL
from mvplan.mechanics.terms import EnergyTerm, as_positions, shared_hessian_blocks

__all__ = [
    "Cancelled",
    "NewtonStep",
    "NotConverged",
    "SolveResult",
    "free_dofs",
    "roundoff_floor",
    "solve",
]

ARMIJO = 1e-4
MAX_BACKTRACKS = 40
CG_FORCING = 0.1  # Newton-CG stops at |H p + g| <= CG_FORCING |g|
MAX_CG = 60  # CG steps per Newton-CG direction
# A solve whose steps are cut to under LOCKED_FRACTION of their length LOCKED_STEPS times in a
# row is locked (surfaces that a collision check lets move by 1e-12 of a step: measured on a
# functional-MR closure under a 24 mm ring, 240 such iterations before the budget ran out).
LOCKED_FRACTION = 1e-6
LOCKED_STEPS = 5
MAX_SKIP = 4
STALL = 64.0 * np.finfo(float).eps


@dataclass(frozen=True)
class NewtonStep:
    """One iteration: the state it started from and the step it took."""

    iteration: int
    energy: float  # N mm
    residual_abs: float  # N, norm of the free gradient
    # "exact", "projected", "projected+shift", "newton-cg", "truncated-cg", "gradient" or ""
    # (no step taken)
    hessian: str = ""
    step_length: float = 0.0  # accepted line-search fraction of the Newton step
    step_norm: float = 0.0  # mm, largest nodal displacement of the accepted step
    factorisations: int = 0
    cg_steps: int = 0  # conjugate-gradient steps of a Newton-CG direction


@dataclass
class SolveResult:
    """Outcome of :func:`solve`.

    ``residual`` is relative (``residual_abs / load_norm``; equal to ``residual_abs`` in N when
    ``load_norm == 0``); ``x`` is ``(n, 3) float, mm``.
    """

    x: FloatArray
    converged: bool
    residual: float
    residual_abs: float
    iterations: int
    time_ms: float
    history: list[NewtonStep] = field(default_factory=list)
    load_norm: float = 0.0
    tolerance: float = 0.0  # N, the absolute residual bound that was applied
    roundoff_floor: float = 0.0  # N, estimated when Newton stalled at machine precision


class NotConverged(ConvergenceError):
    """Newton stopped without meeting the tolerance; ``result`` holds the best state."""

    def __init__(self, message: str, result: SolveResult) -> None:
        super().__init__(message)
        self.result = result
        self.x = result.x
        self.residual = result.residual
        self.residual_abs = result.residual_abs


class Cancelled(MvplanError):
    """The caller's ``cancel()`` returned True; ``result`` holds the last state."""

    exit_code = 130  # as for an interrupted command

    def __init__(self, message: str, result: SolveResult) -> None:
        super().__init__(message)
        self.result = result


def free_dofs(free: ArrayLike | None, n_nodes: int) -> IntArray:
    """Indices of free DOFs from a mask of free nodes ``(n,)`` or DOFs ``(n, 3)`` / ``(3 n,)``."""
    if free is None:
        return np.arange(3 * n_nodes)
    mask = np.asarray(free, dtype=bool)
    if mask.shape == (n_nodes,):
        mask = np.repeat(mask, 3)
    if mask.size != 3 * n_nodes:
        raise ValueError(f"free mask of shape {mask.shape} does not fit {n_nodes} nodes")
    return np.flatnonzero(mask.ravel())


def roundoff_floor(energy: EnergyTerm, x: FloatArray, free: IntArray) -> float:
    """Residual force (N) that rounding the positions ``x`` alone can cause.

    Each coordinate is stored to a relative ``eps``; the gradient can move by up to
    ``|H| |x| eps`` (entry-wise absolute values). Stiff, finely discretised rods reach this floor
    above ``rtol * load_norm`` (e.g. a 256-node ring: 4e-8 N against 1e-8 of a 0.67 N load);
    :func:`solve` accepts it only once Newton steps have shrunk to the rounding of ``x``.
    """
    h = abs(energy.hessian(x)[free][:, free])
    return float(np.finfo(float).eps * np.linalg.norm(h @ np.abs(x.ravel()[free])))


@dataclass
class ShiftMemory:
    """Where to start looking for the diagonal shift that makes the projected Hessian
    definite, kept over a solve.

    The projected Hessian keeps the exact bending and chord blocks (section 2 of
    ``docs/theory.md``), so it is not always positive semidefinite: on the healthy closure of
    the 1 mm mesh (2,610 nodes) it needed a shift of ``1e-4`` of its largest diagonal entry in a
    third of the iterations. Searched from ``1e-10`` up each time, that cost 4 failed
    factorisations an iteration. The search now starts a notch (a factor :data:`SHIFT_FACTOR`)
    below the shift that last worked: one failure and then that shift while the need lasts, and
    the shift falls away a notch an iteration once it is gone. Starting *at* the last shift, and
    a notch lower only after it worked at once, saved more factorisations but took shifts up to
    100 times larger than needed every other iteration, and the repaired closures of the 1 mm
    mesh needed up to twice the iterations (theory.md section 2).
    """

    start: float = 0.0  # relative to the largest free diagonal entry; 0: try no shift first


SHIFT_FIRST = 1e-10  # the smallest shift tried, relative to the largest free diagonal entry
SHIFT_FACTOR = 100.0  # the next shift tried after a failed factorisation
MAX_SHIFT_TRIES = 11


def _factor_projected(h: sp.csr_matrix, ldl: FreeLDL, shifts: ShiftMemory) -> tuple[bool, str, int]:
    """Factorise the projected Hessian, shifted as little as makes it definite:
    (definite, kind, factorisations). ``shifts`` is read and updated (:class:`ShiftMemory`)."""
    count = 0
    relative = shifts.start
    if relative < SHIFT_FIRST:
        count += 1
        if ldl.factor(h):
            shifts.start = 0.0
            return True, "projected", count
        relative = SHIFT_FIRST
    scale = max(float(np.abs(h.diagonal()[ldl.free]).max()), 1e-300)
    for _ in range(MAX_SHIFT_TRIES):
        count += 1
        if ldl.factor(h, relative * scale):
            shifts.start = relative / SHIFT_FACTOR
            return True, "projected+shift", count
        relative *= SHIFT_FACTOR
    shifts.start = 0.0
    return False, "projected+shift", count


def _direction(
    energy: EnergyTerm,
    x: FloatArray,
    g: FloatArray,
    ldl: FreeLDL,
    try_exact: bool,
    newton_cg: bool,
    shifts: ShiftMemory,
) -> tuple[FloatArray, str, int, int]:
    """Newton direction on the free DOFs: (dx, kind, factorisations, CG steps)."""
    with shared_hessian_blocks():  # the exact and the projected Hessian share element blocks
        return _direction_at(energy, x, g, ldl, try_exact, newton_cg, shifts)


def _direction_at(
    energy: EnergyTerm,
    x: FloatArray,
    g: FloatArray,
    ldl: FreeLDL,
    try_exact: bool,
    newton_cg: bool,
    shifts: ShiftMemory,
) -> tuple[FloatArray, str, int, int]:
    count = 0
    exact = None
    if try_exact or newton_cg:
        exact = energy.hessian(x)
    if try_exact:
        count += 1
        if ldl.factor(exact):
            return -ldl.solve(g), "exact", count, 0
    h = energy.hessian(x, project=True)
    definite, kind, factored = _factor_projected(h, ldl, shifts)
    count += factored
    if not definite:
        return -g, "gradient", count, 0
    d = -ldl.solve(g)
    if exact is None:
        return d, kind, count, 0
    d, kind, steps = _truncated_cg(exact, ldl, g, d, kind)
    return d, kind, count, steps


def _truncated_cg(
    h: sp.csr_matrix, ldl: FreeLDL, g: FloatArray, d0: FloatArray, kind: str
) -> tuple[FloatArray, str, int]:
    """Newton-CG: solve ``H p = -g`` by CG preconditioned with ``ldl`` (the projected factors).

    Parameters
    ----------
    h : (n, n) csr_matrix
        The exact Hessian (all DOFs).
    ldl : FreeLDL
        Factors of the projected Hessian's free block, the preconditioner ``M``.
    g : (f,) float
        Free gradient.
    d0 : (f,) float
        ``-M^-1 g``, the projected Newton direction (CG's first search direction).
    kind : str
        The preconditioner's kind, returned if CG meets negative curvature at once.

    Returns
    -------
    p : (f,) float
        ``d0`` if ``d0^T H d0 <= 0``; else the last CG iterate before negative curvature, or
        the first within ``CG_FORCING |g|``, or after ``MAX_CG`` steps.
    kind : str
        ``kind``, "newton-cg" (converged) or "truncated-cg".
    steps : int
        CG steps taken.
    """
    free = ldl.free
    full = np.zeros(h.shape[0])
    tolerance = CG_FORCING * float(np.linalg.norm(g))
    p = np.zeros_like(g)
    r, d = g.copy(), d0.copy()
    rz = -float(r @ d0)
    for step in range(MAX_CG):
        full[free] = d
        hd = (h @ full)[free]
        curvature = float(d @ hd)
        if curvature <= 0.0:
            return (d0, kind, step) if step == 0 else (p, "truncated-cg", step)
        alpha = rz / curvature
        p += alpha * d
        r += alpha * hd
        if np.linalg.norm(r) <= tolerance:
            return p, "newton-cg", step + 1
        z = ldl.solve(r)
        rz, previous = float(r @ z), rz
        d = -z + (rz / previous) * d
    return p, "truncated-cg", MAX_CG


def _line_search(
    energy: EnergyTerm,
    x: FloatArray,
    dx: FloatArray,
    e0: float,
    slope: float,
    alpha: float,
    g_norm: float,
    free: IntArray,
) -> tuple[float, FloatArray, float] | None:
    """Backtracking Armijo search from fraction ``alpha``: (alpha, x_new, E_new) or None.

    Near equilibrium, energy differences sink below round-off; a step whose energy change is
    within round-off is then accepted if it lowers the residual force instead.
    """
    for _ in range(MAX_BACKTRACKS):
        x_new = x + alpha * dx
        e1 = energy.value(x_new)
        if e1 <= e0 + ARMIJO * alpha * slope:
            return alpha, x_new, e1
        roundoff = 1e3 * np.finfo(float).eps * (abs(e0) + abs(e1) + np.abs(x).max() * g_norm)
        if abs(e1 - e0) <= roundoff:
            g1 = np.linalg.norm(energy.gradient(x_new)[free])
            if g1 < g_norm:
                return alpha, x_new, e1
        alpha *= 0.5
    return None


def solve(
    energy: EnergyTerm,
    x0: ArrayLike,
    free: ArrayLike | None = None,
    *,
    load_norm: float = 0.0,
    rtol: float = 1e-8,
    atol: float = 1e-9,
    max_iterations: int = 100,
    step_cap: float | None = None,
    max_step: Callable[[FloatArray, FloatArray], float] | None = None,
    progress: Callable[[int, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    newton_cg: bool = False,
) -> SolveResult:
    """Minimise ``energy`` over the free DOFs by Newton's method with a line search.

    Parameters
    ----------
    energy : EnergyTerm
        Total potential (e.g. a :class:`~mvplan.mechanics.terms.Sum`), N mm.
    x0 : (n, 3) float, mm
        Start; fixed DOFs keep these values. Pass the last solution for a warm start.
    free : bool array (n,), (n, 3) or (3 n,), optional
        Free nodes or free DOFs; default all.
    load_norm : float, N
        Norm of the applied loads (pressure, pretension, dead loads): the residual scale.
    rtol, atol : float
        Converged when ``||free gradient|| <= max(rtol * load_norm, atol)`` (atol in N), or
        when a Newton step has shrunk to the rounding of ``x`` and the residual is within
        :func:`roundoff_floor` (then ``SolveResult.roundoff_floor > 0`` says so).
    max_iterations : int
        Newton steps allowed before :class:`NotConverged` is raised.
    step_cap : float, mm, optional
        Largest nodal displacement of one step (the step is scaled down to it).
    max_step : callable ``(x (n, 3), dx (n, 3)) -> float``, optional
        Largest admissible fraction of ``dx`` (for continuous collision checks), in (0, 1].
    progress : callable ``(iteration, relative residual) -> None``, optional
    cancel : callable ``() -> bool``, optional
        Polled every iteration; True raises :class:`Cancelled`.
    newton_cg : bool
        Where the exact Hessian is indefinite, take a truncated Newton-CG direction on it,
        preconditioned by the projected Hessian (module docstring), and try the exact
        factorisation again only after a CG solve converged. By default the projected
        direction is taken, and an indefinite exact Hessian is skipped for 1, 2, 4 (at most
        ``MAX_SKIP``) iterations after repeated failures, which saves wasted factorisations
        where the projected direction converges well (rods). Problems whose iterates pass
        through long indefinite stretches (leaflet closure: contact, pressure, wrinkles)
        converge in fewer iterations with Newton-CG.

    Returns
    -------
    SolveResult

    Raises
    ------
    NotConverged
        After ``max_iterations``, a failed line search, or ``LOCKED_STEPS`` steps in a row cut
        to under ``LOCKED_FRACTION`` of their length; carries the best state.
    Cancelled
    """
    start = time.perf_counter()
    x = as_positions(x0).copy()
    free_idx = free_dofs(free, x.shape[0])
    tolerance = max(rtol * load_norm, atol)
    scale = load_norm if load_norm > 0.0 else 1.0
    history: list[NewtonStep] = []
    best: tuple[float, FloatArray] = (np.inf, x.copy())
    skip, streak, locked = 0, 0, 0
    try_exact = True
    ldl = FreeLDL(free_idx)  # one symbolic analysis for the whole solve
    shifts = ShiftMemory()

    floor = 0.0

    def result(state: FloatArray, residual: float, converged: bool) -> SolveResult:
        return SolveResult(
            x=state,
            converged=converged,
            residual=residual / scale,
            residual_abs=residual,
            iterations=len(history) - 1,
            time_ms=1e3 * (time.perf_counter() - start),
            history=history,
            load_norm=load_norm,
            tolerance=tolerance,
            roundoff_floor=floor,
        )

    e0 = energy.value(x)
    for iteration in range(max_iterations + 1):
        g = energy.gradient(x)[free_idx]
        g_norm = float(np.linalg.norm(g))
        if g_norm < best[0]:
            best = (g_norm, x.copy())
        history.append(NewtonStep(iteration, e0, g_norm))
        if progress is not None:
            progress(iteration, g_norm / scale)
        if g_norm <= tolerance or (floor > 0.0 and g_norm <= floor):
            return result(x, g_norm, True)
        if iteration == max_iterations:
            break
        if locked >= LOCKED_STEPS:
            raise NotConverged(
                f"Newton is stuck at iteration {iteration}: {LOCKED_STEPS} steps in a row cut "
                f"to under {LOCKED_FRACTION:g} of their length, residual {g_norm:.3g} N "
                f"(tolerance {tolerance:.3g} N)",
                result(best[1], best[0], False),
            )
        if cancel is not None and cancel():
            raise Cancelled(f"solve cancelled at iteration {iteration}", result(x, g_norm, False))
        step = _step(
            energy, x, g, g_norm, e0, ldl, try_exact, newton_cg, step_cap, max_step, shifts
        )
        if step is None:
            raise NotConverged(
                f"line search failed at iteration {iteration}, residual {g_norm:.3g} N "
                f"(tolerance {tolerance:.3g} N)",
                result(best[1], best[0], False),
            )
        x, e0, record = step
        if record[2] <= STALL * np.abs(x).max():  # a step lost in the rounding of x
            floor = roundoff_floor(energy, x, free_idx)
        history[-1] = NewtonStep(iteration, history[-1].energy, g_norm, *record)
        locked = locked + 1 if record[1] < LOCKED_FRACTION else 0
        if newton_cg:
            # A CG solve that converged met no negative curvature: H is likely positive
            # definite by now and worth a factorisation.
            try_exact = record[0] in ("exact", "newton-cg")
            continue
        if record[0] == "exact":
            streak = 0
        elif skip > 0:
            skip -= 1
        else:  # the exact Hessian was tried and found indefinite
            streak += 1
            skip = min(2 ** (streak - 1), MAX_SKIP)
        try_exact = skip == 0
    raise NotConverged(
        f"no convergence in {max_iterations} Newton iterations: residual {best[0]:.3g} N, "
        f"tolerance {tolerance:.3g} N",
        result(best[1], best[0], False),
    )


def _step(
    energy: EnergyTerm,
    x: FloatArray,
    g: FloatArray,
    g_norm: float,
    e0: float,
    ldl: FreeLDL,
    try_exact: bool,
    newton_cg: bool,
    step_cap: float | None,
    max_step: Callable[[FloatArray, FloatArray], float] | None,
    shifts: ShiftMemory,
) -> tuple[FloatArray, float, tuple[str, float, float, int, int]] | None:
    """One damped Newton step: (x_new, E_new, (kind, alpha, step_norm, factorisations, CG steps)).

    If the line search fails along the first direction (exact or Newton-CG), the plain
    projected direction is tried before giving up.
    """
    factorisations = 0
    for first in (True, False):
        d_free, kind, count, cg_steps = _direction(
            energy, x, g, ldl, try_exact and first, newton_cg and first, shifts
        )
        free = ldl.free
        factorisations += count
        flat = np.zeros(x.size)
        flat[free] = d_free
        dx = flat.reshape(x.shape)
        alpha = 1.0
        largest = float(np.linalg.norm(dx, axis=1).max())
        if step_cap is not None and largest > step_cap:
            alpha = step_cap / largest
        if max_step is not None:
            alpha = min(alpha, float(max_step(x, alpha * dx)) * alpha)
        slope = float(g @ d_free)
        found = None
        if slope < 0.0 and alpha > 0.0:
            found = _line_search(energy, x, dx, e0, slope, alpha, g_norm, free)
        if found is not None:
            a, x_new, e1 = found
            return x_new, e1, (kind, a, a * largest, factorisations, cg_steps)
        if kind in ("projected", "projected+shift", "gradient"):
            break  # the projected direction has been tried already
    return None
