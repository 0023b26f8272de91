"""Leaflet closure: systolic pressure closes the leaflets against each other, held by the chordae.

The model (DESIGN.md section 6)
-------------------------------
The leaflets (:func:`~mvplan.valve.leaflets.build_leaflets`) are built stress-free on the
**native** annulus. Their attached nodes are then carried to the annulus being studied (the
native one, or the one a ring reshaped; :meth:`ClosureModel.carried_boundary`) and held there;
every other leaflet node is free. The papillary tips are held where they are (a ring does not
move them). The closed valve is the minimiser over the free nodes of

    E(x) = sum_leaflets W_membrane + E_bending + E_chordae + E_pressure + B_contact     (N mm)

- ``W_membrane``: constant-strain triangles with the May-Newman and Yin law of each leaflet
  (:mod:`mvplan.mechanics.leaflet_law`; the commissural tissue takes the posterior law),
  fibres circumferential;
- ``E_bending``: hinge bending at the plate value ``D = E_b t^3 / (12 (1 - nu^2))``
  (:mod:`mvplan.mechanics.shell_bending`; ``E_b`` is :attr:`ClosureSettings.bending_modulus_mpa`);
- ``E_chordae``: tension-only cables from the tips to their insertions
  (:mod:`mvplan.valve.chordae`), stiffness ``E A / L0`` per segment;
- ``E_pressure = -p V``: the transvalvular pressure as the volume potential about a fixed apex
  (:mod:`mvplan.mechanics.pressure`; its difference from a follower load is measured and
  reported as :attr:`ClosureResult.follower_error`);
- ``B_contact``: the IPC barrier between the anterior leaflet and the rest (posterior leaflet and
  commissural tissue), with continuous collision checks bounding every Newton step, so no
  iterate interpenetrates (:mod:`mvplan.mechanics.contact`).

Solve
-----
Newton with a line search (:func:`mvplan.mechanics.newton.solve`) at the full pressure. Where
the exact Hessian is indefinite, the step is a truncated Newton-CG solve of the exact system,
preconditioned by the projected Hessian (``newton_cg=True``), which projects only the terms
that are indefinite by nature (membranes in compression, the pressure load stiffness, contact)
and keeps the exact bending and chord blocks. If a load step fails, it is split
(load stepping with warm starts). Convergence: the residual force below ``rtol`` of the norm of
the pressure load (DESIGN.md section 6). A solve that does not converge raises
:class:`~mvplan.mechanics.newton.NotConverged`; it is never returned as a result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.papillary import PapillaryTips
from mvplan.mechanics.contact import BarrierContact, WithContact, kappa_for_pressure
from mvplan.mechanics.leaflet_law import LEAFLET_LAWS, LEAFLET_THICKNESS, MayNewmanYin
from mvplan.mechanics.membrane import MembraneTriangles
from mvplan.mechanics.newton import NotConverged, SolveResult, solve
from mvplan.mechanics.pressure import (
    FollowerError,
    PressureVolume,
    follower_error,
    follower_forces,
)
from mvplan.mechanics.shell_bending import ShellBending, plate_bending_stiffness
from mvplan.mechanics.springs import Springs
from mvplan.mechanics.sutures import Sutures
from mvplan.mechanics.terms import Sum
from mvplan.valve.chordae import Chordae, ChordaeSpec, build_chordae
from mvplan.valve.leaflets import LeafletMesh, LeafletSpec, build_leaflets

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

__all__ = [
    "ClosureModel",
    "ClosureResult",
    "ClosureSettings",
    "apex_position",
]

#: Smallest load fraction a failed step may be split down to before the solve gives up.
MIN_LOAD_STEP = 1.0 / 64.0

#: Zero-length springs pulling the attached nodes to a far reshaped annulus, N/mm: stiff
#: enough to bring them within a few hundredths of a millimetre (about 0.2 N per node), and
#: the relative tolerance of that intermediate solve.
ANCHOR_STIFFNESS = 50.0
ANCHORED_RTOL = 1e-4

#: Largest growth of the residual force by a boundary move, in units of the pressure load's
#: norm (:meth:`ClosureModel.moved`).
MAX_START_FORCE = 20.0


#: Said wherever a closed valve's leaflet triangles cross (:attr:`ClosureResult.surfaces_cross`).
CROSSING_WARNING = (
    "in the {name} closed valve, leaflet triangles pass through each other (the collision "
    "check missed it): coaptation and orifice figures there are not reliable "
    "(docs/theory.md section 10)."
)


@dataclass(frozen=True)
class ClosureSettings:
    """Numerical and physical settings of a closure solve (defaults: DOMAIN.md, SOLVER-NOTES.md).

    Attributes
    ----------
    resolution : str or float
        Leaflet mesh: ``"coarse"``, ``"standard"`` or ``"fine"`` (largest edge 2, 1.2, 0.5 mm),
        or a largest edge in mm (0.1 to 5; for studies). Coarse, the default, is the one fast
        enough to use interactively (about 2 s for the healthy sample); its mean coaptation
        length is 0.84 mm short of the fine mesh's. The standard mesh's (1,828 nodes on the
        healthy sample) is 0.15 mm short, and every finer mesh of the study is within 0.5 mm,
        where the 1.3 and 1.6 mm meshes are not (docs/validation.md, mesh convergence): use
        ``"standard"`` for figures to within half a millimetre.
    pressure_mpa : float, MPa
        Transvalvular systolic pressure; 0.016 MPa = 120 mmHg (DOMAIN.md: 0.013-0.016).
    bending_modulus_mpa : float, MPa
        Young's modulus giving the plate bending stiffness. Default 4: between the linear
        radial (2.1) and circumferential (6.2 MPa) moduli of the anterior leaflet in Kunzelman
        et al.'s 1993 model (J Heart Valve Dis 2:326) (unconfirmed); the value of the
        SOLVER-NOTES.md prototype. A much smaller value leaves wrinkle modes that stall Newton.
    poisson_ratio : float
        For the plate stiffness (0.45, nearly incompressible tissue).
    stiffness_scale : float
        Multiplies ``c0`` of both leaflet laws (1 = published; for sensitivity studies).
    chord_rest_scale : float
        Multiplies every chord rest length (1 = the spec's; for sensitivity studies).
    dhat_mm : float, mm
        Barrier activation distance.
    contact_tolerance_mm : float, mm
        "In contact" means closer than this (above ``dhat_mm``: the barrier keeps a gap of a
        fraction of ``dhat``).
    kappa_factor : float
        Multiplies the barrier stiffness that balances the pressure at a gap of ``dhat / 2``
        (:func:`~mvplan.mechanics.contact.kappa_for_pressure`). The default, 10, balances it
        at 0.86 ``dhat`` (0.17 mm) instead: a stiffer barrier settles the contact in fewer
        Newton iterations (healthy sample, coarse: 109 -> 58; 1 mm mesh: 186-250 -> 102; both
        measured with projected steps, before Newton-CG) and
        moved the mean coaptation length by 0.16 mm (3.0 -> 2.84 mm), far inside the 0.5 mm
        contact tolerance. Factors 3 and 30 took 77 and 60 iterations.
    rtol : float
        Convergence: residual force below ``rtol`` times the pressure load's norm.
    max_iterations : int
        Newton iterations per load step.
    step_cap_mm : float, mm
        Largest nodal displacement of one Newton step.
    first_load_step : float
        The pressure fraction tried first from an unloaded start (halved on failure, doubled
        after a success); 1 = the full pressure at once. The closed state depends on the load
        path (``docs/theory.md`` section 10); smaller first steps are for studying that.
    """

    resolution: str | float = "coarse"
    pressure_mpa: float = 0.016
    bending_modulus_mpa: float = 4.0
    poisson_ratio: float = 0.45
    stiffness_scale: float = 1.0
    chord_rest_scale: float = 1.0
    dhat_mm: float = 0.2
    contact_tolerance_mm: float = 0.5
    kappa_factor: float = 10.0
    rtol: float = 1e-8
    max_iterations: int = 300
    step_cap_mm: float = 2.0
    first_load_step: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "resolution":
                continue
            if not isinstance(value, int | float) or not np.isfinite(value) or value <= 0:
                raise InputError(
                    f"closure setting {f.name} must be a positive number, got {value!r}"
                )
        if self.first_load_step > 1.0:
            raise InputError(
                f"closure first_load_step is a fraction of the pressure, at most 1, got "
                f"{self.first_load_step:g}"
            )
        if self.poisson_ratio >= 0.5:
            raise InputError(f"closure poisson_ratio must be below 0.5, got {self.poisson_ratio:g}")
        if self.contact_tolerance_mm <= self.dhat_mm:
            raise InputError(
                f"the contact tolerance ({self.contact_tolerance_mm:g} mm) must exceed the "
                f"barrier's activation distance ({self.dhat_mm:g} mm)"
            )


def apex_position(mesh: LeafletMesh, depth_mm: float = 6.0) -> FloatArray:
    """The fixed apex of the pressure potential, valve frame, mm.

    On the antero-posterior axis (``x = 0``) where the two leaflets' heights would meet, the
    point dividing the distance from A to P in the ratio of the anterior to the posterior
    height, ``depth_mm`` below the annulus plane: near the centre of the coaptation zone,
    where the potential's difference from a follower load is smallest
    (:mod:`mvplan.mechanics.pressure`, "Choosing the apex"). 6 mm is about the normal
    coaptation depth (5.0 +- 0.7 mm, DOMAIN.md).
    """
    u_a, u_p = mesh.landmark_u["A"], mesh.landmark_u["P"]
    attached = mesh.points[mesh.attached_nodes]
    y_a = float(np.interp(u_a, mesh.attached_u, attached[:, 1], period=1.0))
    y_p = float(np.interp(u_p, mesh.attached_u, attached[:, 1], period=1.0))
    h_a, h_p = mesh.spec.anterior_height_mm, mesh.spec.posterior_height_mm
    y = y_a + (y_p - y_a) * h_a / (h_a + h_p)
    return np.array([0.0, y, -depth_mm])


@dataclass(eq=False)
class _Run:
    """Bookkeeping of one :meth:`ClosureModel.solve`."""

    loaded: bool
    iterations: int = 0
    solves: list[SolveResult] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    last_failure: SolveResult | None = None
    restarts: int = 0  # warm starts abandoned for a cold solve


@dataclass(frozen=True, eq=False)
class ClosureResult:
    """A converged closure (never an unconverged one).

    Attributes
    ----------
    x : (N + 2, 3) float, mm
        Leaflet nodes then the two papillary tips, valve frame.
    leaflet_points : (N, 3) float, mm
        The leaflet nodes alone (``x[:N]``).
    converged : bool
        Always True (a failed solve raises).
    residual : float
        Relative residual force at the end (to the pressure load's norm).
    iterations : int
        Newton iterations over all load steps.
    time_ms : float
    load_steps : tuple of float
        The pressure fraction of each converged Newton solve in turn (boundary steps are
        solved at 1).
    chord_tensions_n : (m,) float, N
    chord_tension_sum_n : float, N
    membrane_stress_mpa : (M,) float, MPa
        Largest principal Cauchy stress of each triangle.
    membrane_strain : (M,) float
        Largest principal Green-Lagrange strain of each triangle.
    follower_error : FollowerError
        The pressure potential's difference from a follower load at the solution.
    reactions : dict
        Force resultants (N): ``pressure`` (applied), ``annulus`` and ``chordae`` (reactions
        on the leaflets), and ``balance_relative`` = |sum| / |pressure|.
    boundary_error_mm : float, mm
        Largest distance of an attached node from its place on the annulus: 0 when the
        attached nodes are held there, a few hundredths of a millimetre when a far move left
        them on stiff springs (:meth:`ClosureModel.solve`).
    solves : tuple of SolveResult
        One per load step.
    restarts : int
        1 when the warm start failed and the valve was closed again from the open leaflets.
    surfaces_cross : bool
        Leaflet triangles cross somewhere, a leaflet's own included (an exact intersection
        test of the closed state). The barrier and the continuous collision check keep every
        pair of non-adjacent triangles apart, so this should not happen; it is checked
        because it once did: with contact between the leaflets only, the row of triangles
        next to the annulus folded through itself under rings of 28 mm and smaller on the
        functional-MR sample (``docs/theory.md`` section 10). Figures of a closure that
        crosses are not to be trusted.
    """

    x: FloatArray
    leaflet_points: FloatArray
    converged: bool
    residual: float
    iterations: int
    time_ms: float
    load_steps: tuple[float, ...]
    chord_tensions_n: FloatArray
    chord_tension_sum_n: float
    membrane_stress_mpa: FloatArray
    membrane_strain: FloatArray
    follower_error: FollowerError
    reactions: dict[str, Any]
    boundary_error_mm: float = 0.0
    solves: tuple[SolveResult, ...] = field(repr=False, default=())
    restarts: int = 0
    surfaces_cross: bool = False

    def solver_dict(self) -> dict[str, Any]:
        """The ``solver`` key of a closure in ``mvplan simulate --json``."""
        return {
            "converged": self.converged,
            "residual": float(f"{self.residual:.3g}"),
            "iterations": self.iterations,
            "time_ms": round(self.time_ms, 1),
            "cold_restart": bool(self.restarts),
            "surfaces_cross": self.surfaces_cross,
        }


class ClosureModel:
    """The leaflets, chordae and energy of one valve, built once and solved many times.

    Parameters
    ----------
    annulus : Annulus
        The native annulus (the leaflets are built stress-free on it).
    papillary_tips : PapillaryTips or None
        Input coordinates; estimated from the annulus when None (``chordae.notes`` says so).
    leaflets : LeafletSpec, optional
    chordae : ChordaeSpec, optional
    settings : ClosureSettings, optional
    """

    def __init__(
        self,
        annulus: Annulus,
        papillary_tips: PapillaryTips | None = None,
        leaflets: LeafletSpec | None = None,
        chordae: ChordaeSpec | None = None,
        settings: ClosureSettings | None = None,
    ) -> None:
        self.settings = settings = settings or ClosureSettings()
        self.annulus = annulus
        self.mesh = mesh = build_leaflets(annulus, leaflets, resolution=settings.resolution)
        self.chordae: Chordae = build_chordae(mesh, papillary_tips, annulus, chordae)
        n = mesh.n_nodes
        self.n_leaflet_nodes = n
        self.reference = np.vstack([mesh.points, self.chordae.tips_mm])
        free = np.ones(n + 2, dtype=bool)
        free[mesh.attached_nodes] = False
        free[n:] = False
        self.free = free
        self.apex = apex_position(mesh)
        self.membranes = self._membranes()
        tri = np.asarray(mesh.triangles)
        thickness = np.where(
            mesh.labels == "anterior", LEAFLET_THICKNESS["anterior"], LEAFLET_THICKNESS["posterior"]
        )
        d = plate_bending_stiffness(settings.bending_modulus_mpa, thickness, settings.poisson_ratio)
        self.bending = ShellBending(tri, self.reference, d)
        self.pressure = PressureVolume(tri, settings.pressure_mpa, self.apex)
        pairs = np.stack([n + self.chordae.head, self.chordae.node], axis=1)
        self.chords = Springs(
            pairs,
            self.chordae.rest_length_mm * settings.chord_rest_scale,
            self.chordae.stiffness_n_per_mm(),
            tension_only=True,
        )
        # Membranes, pressure and contact are projected when the exact Hessian is indefinite;
        # bending and chords keep their exact blocks (module docstring).
        terms = [*self.membranes, self.bending, self.pressure, self.chords]
        self.elastic = Sum(terms, projected=[True] * len(self.membranes) + [False, True, False])
        # Every leaflet touches the other and itself: with contact between leaflets only, the
        # row next to a ring-shortened annulus folded through itself unseen (contact module).
        groups = np.where(mesh.node_regions() == "anterior", 0, 1)
        groups = np.concatenate([groups, [2, 2]])
        self.contact = BarrierContact(
            self.reference,
            tri,
            groups,
            self_contact=True,
            dhat=settings.dhat_mm,
            kappa=kappa_for_pressure(settings.pressure_mpa, settings.dhat_mm)
            * settings.kappa_factor,
        )
        self.energy = WithContact(self.elastic, self.contact)

    def _membranes(self) -> list[MembraneTriangles]:
        mesh, scale = self.mesh, self.settings.stiffness_scale
        out = []
        for leaflet, chosen in (
            ("anterior", mesh.labels == "anterior"),
            ("posterior", mesh.labels != "anterior"),
        ):
            base = LEAFLET_LAWS[leaflet]
            law = MayNewmanYin(scale * base.c0, base.c1, base.c2)
            out.append(
                MembraneTriangles(
                    np.asarray(mesh.triangles)[chosen],
                    self.reference,
                    law,
                    LEAFLET_THICKNESS[leaflet],
                    mesh.fibres[chosen],
                )
            )
        return out

    # -- boundary ---------------------------------------------------------------------------

    def carried_boundary(self, before: FloatArray, after: FloatArray) -> FloatArray:
        """Attached-node positions after the annulus moved from ``before`` to ``after``.

        Parameters
        ----------
        before, after : (k, 3) float, mm
            Annulus nodes at the uniform curve parameters ``i / k`` of the native annulus
            (valve frame), e.g. ``AnnuloplastyResult.annulus_before_valve`` and
            ``annulus_after_valve``.

        Returns
        -------
        (na, 3) float, mm
            Each attached node moved by the annulus displacement interpolated (periodic,
            linear) at its curve parameter.
        """
        before = np.asarray(before, dtype=float)
        after = np.asarray(after, dtype=float)
        if before.shape != after.shape or before.ndim != 2 or before.shape[1] != 3:
            raise InputError("the annulus before and after must be (k, 3) arrays of one shape")
        k = before.shape[0]
        u = np.arange(k) / k
        shift = after - before
        at = np.stack(
            [np.interp(self.mesh.attached_u, u, shift[:, c], period=1.0) for c in range(3)], axis=1
        )
        return self.mesh.points[self.mesh.attached_nodes] + at

    def moved(self, x: FloatArray, attached: FloatArray) -> FloatArray | None:
        """``x`` with its attached nodes moved to ``attached``; None if the move collides.

        The boundary displacement is spread into the leaflets, fading linearly to zero at half
        the local leaflet height, so the first elements are not crushed. The straight path
        from ``x`` must pass the continuous collision check whole, the moved leaflets may
        come no closer than half the closest distance of ``x`` (or of ``dhat / 10``), and the
        residual force may grow by at most :data:`MAX_START_FORCE` times the pressure load
        (under the full pressure): a move that would squeeze the leaflets together or crush their
        triangles is refused, to be taken in smaller steps with an equilibrium solve between.
        """
        mesh = self.mesh
        shift = np.asarray(attached, dtype=float) - x[mesh.attached_nodes]
        fade = np.clip(1.0 - 2.0 * mesh.node_depth_mm / mesh.node_height_mm, 0.0, 1.0)
        spread = np.stack(
            [np.interp(mesh.node_u, mesh.attached_u, shift[:, c], period=1.0) for c in range(3)],
            axis=1,
        )
        y = x.copy()
        y[: self.n_leaflet_nodes] += fade[:, None] * spread
        y[mesh.attached_nodes] = attached
        if self.contact.max_step(x, y - x) < 1.0:
            return None
        # Nor may it bring two leaflets much closer than the closest pair of the start (or a
        # tenth of dhat): the barrier would explode there.
        dhat = self.settings.dhat_mm
        closest = min(self.contact.min_distance(x, within=dhat), 0.1 * dhat)
        if self.contact.min_distance(y, within=dhat) < 0.5 * closest:
            return None
        # Nor crush triangles: the incompressible law's 1 / det C term (and the barrier) would
        # put forces of another order than the pressure's into the start.
        self.pressure.pressure[:] = self.settings.pressure_mpa
        load = self.pressure.load_norm(y, self.free)
        before, after = (
            float(np.linalg.norm(self.energy.gradient(z).reshape(-1, 3)[self.free])) for z in (x, y)
        )
        return y if after <= before + MAX_START_FORCE * load else None

    # -- solve ------------------------------------------------------------------------------

    def solve(
        self,
        attached: FloatArray | None = None,
        *,
        warm_start: FloatArray | None = None,
        progress: Callable[[int, float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> ClosureResult:
        """Close the valve with the attached nodes at ``attached`` (default: native annulus).

        The attached nodes go from where the start has them to ``attached``: at once when
        that move is harmless (:meth:`moved`); else first held by stiff springs to their new
        places while Newton, the barrier and the collision checks carry the leaflets along
        (:data:`ANCHOR_STIFFNESS`), and then set there exactly. The pressure is applied in one
        step from an unloaded start (``settings.first_load_step``), halved on failure
        (:data:`MIN_LOAD_STEP`). A warm start that
        does not converge is abandoned for a cold solve from the open leaflets
        (``ClosureResult.restarts``).

        Parameters
        ----------
        attached : (na, 3) float, mm, optional
            Positions of ``mesh.attached_nodes`` (:meth:`carried_boundary`).
        warm_start : (N + 2, 3) float, mm, optional
            A previous solution (e.g. the native closure, or the last ring size), solved under
            the full pressure; default the unloaded reference.
        progress : callable ``(iteration, relative residual)``, optional
        cancel : callable ``() -> bool``, optional

        Raises
        ------
        NotConverged
            No step of at least :data:`MIN_LOAD_STEP` of the load converged, or the final
            solve did not.
        Cancelled
        InputError
            A warm start of another node count, or an annulus the leaflets cannot follow.
        """
        start = time.perf_counter()
        if warm_start is not None and np.shape(warm_start) != self.reference.shape:
            raise InputError("the warm start has another node count than this leaflet mesh")
        target = self.reference[self.mesh.attached_nodes] if attached is None else attached
        target = np.asarray(target, dtype=float)
        run = _Run(loaded=warm_start is not None)
        try:
            x = self._closed(warm_start, target, run, progress, cancel)
        except NotConverged:
            if warm_start is None:
                raise
            # A warm start is a guess: the last closed state may sit in a contact pattern
            # the new annulus cannot reach by Newton steps (seen on a functional-MR valve going
            # from a 28 to a 26 mm ring). Close the valve again from the open leaflets, with
            # the pressure stepped; its iterations count too.
            run.restarts += 1
            run.loaded = False
            x = self._closed(None, target, run, progress, cancel)
        return self._result(x, run, start, target)

    def _closed(
        self,
        warm_start: FloatArray | None,
        target: FloatArray,
        run: _Run,
        progress: Callable[[int, float], None] | None,
        cancel: Callable[[], bool] | None,
    ) -> FloatArray:
        """The closed state from ``warm_start`` (or the reference), boundary at ``target``."""
        x = (self.reference if warm_start is None else np.asarray(warm_start, dtype=float)).copy()
        anchors = None
        try:
            if not np.array_equal(x[self.mesh.attached_nodes], target):
                y = self.moved(x, target)
                if y is None:
                    # Too far to move at once: let the attached nodes follow stiff springs to
                    # their places (Newton, the barrier and the collision checks keep the
                    # leaflets apart and their triangles whole), then set them there exactly,
                    # or, where even that last hundredth of a millimetre squeezes the leaflets
                    # together (contact at the commissures), keep them on the springs.
                    x = self._equilibrium(x, run, ANCHORED_RTOL, progress, cancel, target)
                    y = self.moved(x, target)
                    anchors = target if y is None else None
                x = x if y is None else y
            return self._equilibrium(x, run, self.settings.rtol, progress, cancel, anchors)
        finally:
            self.pressure.pressure[:] = self.settings.pressure_mpa

    @staticmethod
    def _smaller(step: float, run: _Run, what: str) -> float:
        """Half a failed load ``step``; :class:`NotConverged` once below :data:`MIN_LOAD_STEP`."""
        if step / 2.0 >= MIN_LOAD_STEP:
            return step / 2.0
        assert run.last_failure is not None
        raise NotConverged(
            f"leaflet closure did not converge: {what} in steps of "
            f"{100 * MIN_LOAD_STEP:.1f} % failed",
            run.last_failure,
        )

    def _equilibrium(
        self,
        x: FloatArray,
        run: _Run,
        rtol: float,
        progress: Callable[[int, float], None] | None,
        cancel: Callable[[], bool] | None,
        anchors: FloatArray | None = None,
    ) -> FloatArray:
        """Equilibrium under the full pressure from ``x`` (pressure stepped if unloaded).

        With ``anchors`` ((na, 3) mm), the attached nodes are free but held by zero-length
        springs of :data:`ANCHOR_STIFFNESS` to those points.
        """
        s = self.settings
        elastic, free = self.elastic, self.free
        if anchors is not None:
            pinned = np.repeat(self.mesh.attached_nodes[:, None], 2, axis=1)
            springs = Sutures.to_points(pinned, 0.0, anchors, ANCHOR_STIFFNESS)
            elastic = Sum(
                [*self.elastic.terms, springs], projected=[*self.elastic.projected, False]
            )
            free = self.free.copy()
            free[self.mesh.attached_nodes] = True
        # A fresh contact pattern for every solve: the pattern a solve grows decides the
        # factorisation's ordering and so its rounding, and the closure's Newton path amplifies
        # rounding (measured: the same healthy closure solved three times on one model took
        # 50, 55 and 53 iterations, ending up to 0.15 mm apart). The same start then always
        # gives the same answer, bit for bit.
        energy = WithContact(elastic, self.contact)
        done = 1.0 if run.loaded else 0.0
        step = min(s.first_load_step, 1.0 - done) if done < 1.0 else 1.0
        while True:
            target = min(1.0, done + step) if done < 1.0 else 1.0
            self.pressure.pressure[:] = target * s.pressure_mpa
            try:
                res = solve(
                    energy,
                    x,
                    free,
                    load_norm=self.pressure.load_norm(x, free),
                    rtol=rtol,
                    max_iterations=s.max_iterations,
                    step_cap=s.step_cap_mm,
                    max_step=self.contact.max_step,
                    progress=progress,
                    cancel=cancel,
                    newton_cg=True,
                )
            except NotConverged as exc:
                run.iterations += exc.result.iterations
                run.last_failure = exc.result
                if done >= 1.0:  # already loaded: nothing left to split
                    raise NotConverged(
                        f"leaflet closure did not converge: {exc}", exc.result
                    ) from exc
                step = self._smaller(step, run, f"the pressure at {100 * target:.0f} %")
                continue
            run.iterations += res.iterations
            run.solves.append(res)
            run.steps.append(target)
            x, done = res.x, target
            if done >= 1.0:
                run.loaded = True
                return x
            step = min(2.0 * step, 1.0 - done)

    def _result(self, x: FloatArray, run: _Run, start: float, target: FloatArray) -> ClosureResult:
        n = self.n_leaflet_nodes
        tensions = self.chords.tensions(x)
        stress = np.zeros(self.mesh.n_triangles)
        strain = np.zeros(self.mesh.n_triangles)
        for term, chosen in zip(
            self.membranes,
            (self.mesh.labels == "anterior", self.mesh.labels != "anterior"),
            strict=True,
        ):
            stress[chosen] = term.principal_stresses(x)[:, 0]
            ff, cc, fc = term.green_strains(x).T
            strain[chosen] = 0.5 * (ff + cc) + np.hypot(0.5 * (ff - cc), fc)
        fe = follower_error(x, self.mesh.triangles, self.pressure.pressure, self.apex, self.free)
        last = run.solves[-1]
        return ClosureResult(
            x=x,
            leaflet_points=x[:n].copy(),
            converged=True,
            residual=last.residual,
            iterations=run.iterations,
            time_ms=1e3 * (time.perf_counter() - start),
            load_steps=tuple(run.steps),
            chord_tensions_n=tensions,
            chord_tension_sum_n=float(tensions.sum()),
            membrane_stress_mpa=stress,
            membrane_strain=strain,
            follower_error=fe,
            reactions=self.reactions(x),
            boundary_error_mm=float(
                np.linalg.norm(x[self.mesh.attached_nodes] - target, axis=1).max()
            ),
            solves=tuple(run.solves),
            restarts=run.restarts,
            surfaces_cross=self.contact.intersects(x),
        )

    def reactions(self, x: FloatArray) -> dict[str, Any]:
        """Force resultants on the leaflets and chordae at ``x``, N (global equilibrium).

        ``pressure``: the forces the pressure potential applies, summed over every leaflet
        node; ``annulus`` and ``chordae``: the reactions of the supports, the annulus on the
        attached nodes and the papillary tips on the chords (each support's force is the
        total energy's gradient at its held nodes). At equilibrium the three sum to zero;
        ``balance_relative`` is ``|sum| / |pressure|``.

        The potential's forces sum to ``p S / 3`` (``S`` the leaflets' vector area), not to
        the follower load's ``p S``: they equal the follower forces at interior nodes and
        differ on the boundary (:mod:`~mvplan.mechanics.pressure`). So the follower view is
        given too: ``pressure_follower`` (``p S``), ``annulus_follower`` (the annulus reaction
        with the attached nodes' share of the difference moved into the load) and
        ``balance_follower_relative``, ``|p S + annulus_follower + chordae| / |p S|``: the
        part of the physical load the chordae and annulus do not carry, which is the
        potential's net error on the free edges.
        """
        n = self.n_leaflet_nodes
        grad = self.energy.gradient(x).reshape(-1, 3)
        pressure = -self.pressure.gradient(x).reshape(-1, 3)[:n].sum(axis=0)
        annulus = grad[self.mesh.attached_nodes].sum(axis=0)
        chordae = grad[n:].sum(axis=0)
        total = pressure + annulus + chordae
        follower = follower_forces(x, self.mesh.triangles, self.pressure.pressure)[:n]
        difference = -self.pressure.gradient(x).reshape(-1, 3)[:n] - follower
        annulus_follower = annulus + difference[self.mesh.attached_nodes].sum(axis=0)
        load = follower.sum(axis=0)
        return {
            "pressure": pressure,
            "annulus": annulus,
            "chordae": chordae,
            "balance_relative": float(
                np.linalg.norm(total) / max(float(np.linalg.norm(pressure)), 1e-300)
            ),
            "pressure_follower": load,
            "annulus_follower": annulus_follower,
            "balance_follower_relative": float(
                np.linalg.norm(load + annulus_follower + chordae)
                / max(float(np.linalg.norm(load)), 1e-300)
            ),
        }
