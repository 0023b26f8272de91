"""Use cases over a :class:`~mvplan.plan.Plan`: make one, find its ring, simulate it.

The command line, the GUI and the Python API (:mod:`mvplan.api`) all go through these, so a
plan made or simulated one way gives the same numbers another way. Errors are
:class:`~mvplan.errors.MvplanError` with one-line messages naming the problem; a solve that
does not converge raises :class:`~mvplan.errors.ConvergenceError` and never returns a result.
No Qt, no VTK.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from mvplan.errors import ConvergenceError, InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.coronary import CSPath, estimate_cs_path
from mvplan.geometry.measurements import Measurements, measure
from mvplan.geometry.papillary import PapillaryTips
from mvplan.geometry.safety import (
    DEFAULT_COMPRESSION_THRESHOLD_MM,
    ArteryPath,
    Safety,
    assess_safety,
)
from mvplan.mechanics import NotConverged
from mvplan.plan import Plan, RingChoice
from mvplan.planning import AutoPlacement, RingTooFarError, auto_place
from mvplan.planning.annuloplasty import (
    DEFAULT_WARN_FRACTION,
    AnnuloplastyResult,
    AnnuloplastyState,
    simulate_annuloplasty,
)
from mvplan.planning.closure import ClosureModel, ClosureResult, ClosureSettings, FloatArray
from mvplan.planning.cycle_device import DeviceCycle, FrameSolve, motion_kept
from mvplan.planning.percutaneous import (
    CS_DEVICE,
    PlacedDevice,
    placed_device,
    simulate_percutaneous,
)
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.rings.percutaneous import DeviceSpec, PercutaneousFamily
from mvplan.rings.sizing import SizeRecommendation, parse_policy, recommend_size
from mvplan.rings.spec import RingFamily, RingSpec
from mvplan.valve.coaptation import Coaptation, analyse_coaptation


def ring_family(
    choice: RingChoice, catalogue: Catalogue | None = None
) -> RingFamily | PercutaneousFamily:
    """The family of a plan's ring or device: the definition the plan carries, else the
    catalogue's.

    A plan file embeds its ring's definition, so a plan made with a user's own ring, or with
    a catalogue that has changed since, simulates the same on any machine.
    """
    if choice.definition is not None:
        return choice.definition
    catalogue = catalogue or load_catalogue()
    if catalogue.is_device(choice.family):
        return catalogue.device(choice.family)
    return catalogue.family(choice.family)


def ring_spec(plan: Plan, catalogue: Catalogue | None = None) -> RingSpec | None:
    """The ring of ``plan`` at its size and adjustment (None with no ring, or with a
    percutaneous device: see :func:`device_spec`)."""
    if plan.ring is None:
        return None
    family = ring_family(plan.ring, catalogue)
    if isinstance(family, PercutaneousFamily):
        return None
    return family.spec(plan.ring.size_mm, plan.ring.adjustment_mm)


def device_spec(plan: Plan, catalogue: Catalogue | None = None) -> DeviceSpec | None:
    """The percutaneous device of ``plan`` at its size and cinch (None for a ring or none)."""
    if plan.ring is None:
        return None
    family = ring_family(plan.ring, catalogue)
    if not isinstance(family, PercutaneousFamily):
        return None
    return family.spec(plan.ring.size_mm, plan.ring.adjustment_mm)


@dataclass(frozen=True)
class MadePlan:
    """What :func:`make_plan` made and how.

    Attributes
    ----------
    plan : Plan
    spec : RingSpec or None
    fit : AutoPlacement or None
        The automatic placement (None with no ring).
    recommendation : SizeRecommendation or None
        Why this size, when a sizing policy chose it.
    """

    plan: Plan
    spec: RingSpec | None
    fit: AutoPlacement | None
    recommendation: SizeRecommendation | None


def make_plan(
    annulus: Annulus,
    ring: str | None = None,
    *,
    size_mm: float | None = None,
    policy: str | None = None,
    adjustment_mm: float = 0.0,
    sutures: int | None = None,
    papillary: PapillaryTips | None = None,
    name: str = "",
    catalogue: Catalogue | None = None,
) -> MadePlan:
    """Choose a ring (a size, or a sizing policy's), place it automatically with its sutures.

    Parameters
    ----------
    annulus : Annulus
    ring : str or None
        Catalogue family id; None for a plan with no device.
    size_mm : float, optional
        A size the family sells, mm. Give this or ``policy``.
    policy : str, optional
        ``true-size``, ``undersize:N`` or ``oversize:N`` (:mod:`mvplan.rings.sizing`).
    adjustment_mm : float
        AP change of an adjustable device, mm.
    sutures : int, optional
        Suture count (default 14 for a ring, 10 for a band).
    papillary : PapillaryTips, optional
    name : str
        The plan's name.
    catalogue : Catalogue, optional
        Default: the built-in rings and the user's (:func:`load_catalogue`).

    Raises
    ------
    InputError
        An unknown ring, a size it does not sell, both or neither of size and policy.
    """
    if ring is None:
        given = [n for n, v in (("size", size_mm), ("policy", policy), ("sutures", sutures)) if v]
        if given:
            raise InputError(f"a plan with no ring takes no {', '.join(given)}")
        return MadePlan(Plan(annulus=annulus, papillary=papillary, name=name), None, None, None)
    catalogue = catalogue or load_catalogue()
    if catalogue.is_device(ring):
        if policy is not None or sutures is not None:
            raise InputError(f"{ring} is a percutaneous device: it takes a size and a cinch")
        device = catalogue.device(ring)
        if size_mm is None:
            sold = ", ".join(f"{s:g}" for s in device.sizes_mm)
            raise InputError(f"{device.id} needs a size (sold: {sold} mm)")
        return MadePlan(
            device_plan(annulus, device, size_mm, adjustment_mm, papillary=papillary, name=name),
            None,
            None,
            None,
        )
    family = catalogue.family(ring)
    if (size_mm is None) == (policy is None):
        sold = ", ".join(f"{s:g}" for s in family.sizes_mm)
        raise InputError(
            f"ring {family.id} needs a size (sold: {sold} mm) or a sizing policy "
            "(true-size, undersize:N, oversize:N), not both"
        )
    recommendation = None
    if policy is not None:
        measured = measure(annulus)
        recommendation = recommend_size(
            family, measured.values, parse_policy(policy), estimated=measured.estimated
        )
        size_mm = recommendation.size_mm
    assert size_mm is not None
    spec = family.spec(size_mm, adjustment_mm)
    fit = auto_place(annulus, spec, sutures=sutures)
    choice = RingChoice(family.id, float(spec.size_mm), float(spec.adjustment_mm), family)
    plan = Plan(
        annulus=annulus, papillary=papillary, ring=choice, placement=fit.placement, name=name
    )
    return MadePlan(plan, spec, fit, recommendation)


def device_plan(
    annulus: Annulus,
    device: PercutaneousFamily,
    size_mm: float,
    cinch_mm: float,
    *,
    cs_path: CSPath | None = None,
    artery: ArteryPath | None = None,
    threshold_mm: float = DEFAULT_COMPRESSION_THRESHOLD_MM,
    papillary: PapillaryTips | None = None,
    name: str = "",
    distal_anchor_offset_mm: float = 0.0,
) -> Plan:
    """A plan with a percutaneous device at ``size_mm`` cinched by ``cinch_mm``.

    A coronary-sinus device lies in ``cs_path`` (default: estimated from the posterior
    annulus, :func:`mvplan.geometry.coronary.estimate_cs_path`), its distal anchor
    ``distal_anchor_offset_mm`` back from the path's distal end; a band takes neither.

    Raises
    ------
    InputError
        A size not sold, a cinch beyond what the device allows, a vein path given for a band.
    """
    spec = device.spec(size_mm, cinch_mm)
    if device.type == CS_DEVICE:
        cs_path = cs_path or estimate_cs_path(annulus)
        if spec.size_mm + distal_anchor_offset_mm > cs_path.length_mm:
            beyond = (
                f" beyond the distal anchor's {distal_anchor_offset_mm:g} mm"
                if distal_anchor_offset_mm
                else ""
            )
            raise InputError(
                f"{device.id} {spec.size_mm:g} mm is longer than the coronary-sinus path "
                f"({cs_path.length_mm:.1f} mm, {cs_path.source}){beyond}: choose a shorter "
                "device"
            )
    elif cs_path is not None or distal_anchor_offset_mm:
        raise InputError(f"{device.id} is anchored on the annulus: it takes no coronary-sinus path")
    choice = RingChoice(device.id, float(spec.size_mm), float(spec.cinch_mm), device)
    return Plan(
        annulus=annulus,
        papillary=papillary,
        ring=choice,
        name=name,
        cs_path=cs_path,
        artery=artery,
        safety_threshold_mm=threshold_mm,
        distal_anchor_offset_mm=float(distal_anchor_offset_mm),
    )


def plan_safety(plan: Plan, result: AnnuloplastyResult | None = None) -> Safety | None:
    """How close the plan's device comes to its artery (None without a device or artery).

    With ``result``, the device and annulus at equilibrium (cinched); without, as placed: a
    coronary-sinus device's path between its anchors on the native annulus.
    """
    if plan.artery is None or not plan.has_device:
        return None
    if result is not None:
        device_points, annulus_points = result.ring_after_valve, result.annulus_after_valve
    else:
        spec = device_spec(plan)
        assert spec is not None
        device_points = device_as_placed(plan).wire_valve
        annulus_points = plan.annulus.points_valve
    return assess_safety(device_points, annulus_points, plan.artery, plan.safety_threshold_mm)


def device_as_placed(plan: Plan) -> PlacedDevice:
    """The plan's device as placed, before cinching (valve frame, mm): its wire, anchors and
    vein (:func:`mvplan.planning.percutaneous.placed_device`; nothing is solved)."""
    spec = device_spec(plan)
    if spec is None:
        raise InputError("the plan has no percutaneous device")
    path = _vein_of(plan, spec)
    return placed_device(
        plan.annulus,
        spec,
        cs_path_valve=None if path is None else path.points_valve,
        distal_offset_mm=plan.distal_anchor_offset_mm,
    )


def _vein_of(plan: Plan, spec: DeviceSpec) -> CSPath | None:
    """The coronary sinus a coronary-sinus device lies in: the plan's, else estimated."""
    if spec.type != CS_DEVICE:
        return None
    return plan.cs_path or estimate_cs_path(plan.annulus)


def simulate_plan(
    plan: Plan,
    *,
    spec: RingSpec | None = None,
    warn_fraction: float = DEFAULT_WARN_FRACTION,
    annulus_nodes: int | None = None,
    warm_start: AnnuloplastyState | None = None,
    pre: Measurements | None = None,
    cancel: Callable[[], bool] | None = None,
    source: str | None = None,
) -> AnnuloplastyResult:
    """Tie the plan's sutures and solve for the reshaped annulus.

    Parameters
    ----------
    plan : Plan
    spec : RingSpec, optional
        The plan's ring when the caller has it already (default :func:`ring_spec`).
    warn_fraction : float
        Flag sutures whose force reaches this fraction of their region's pull-out strength.
    annulus_nodes : int, optional
        Mechanics nodes on the annulus (default: its resampled points).
    warm_start, pre, cancel
        As :func:`mvplan.planning.annuloplasty.simulate_annuloplasty`.
    source : str, optional
        What to name in error messages (the plan file's name); default the plan's name.

    Raises
    ------
    InputError
        A ring placed too far from the annulus, or any other bad input; the message names
        ``source``.
    ConvergenceError
        The solve did not converge (never returned as a result).
    """
    source = source or plan.name or None
    which = "device" if plan.has_device else "annuloplasty"
    try:
        if plan.has_device:
            result = _solve_device(plan, warn_fraction, annulus_nodes, pre, cancel)
        else:
            result = simulate_annuloplasty(
                plan.annulus,
                ring_spec(plan) if spec is None else spec,
                plan.placement,
                rtol=plan.solver.rtol,
                max_iterations=plan.solver.max_iterations,
                warn_fraction=warn_fraction,
                annulus_nodes=annulus_nodes,
                warm_start=warm_start,
                pre=pre,
                cancel=cancel,
            )
    except RingTooFarError as exc:
        raise InputError(f"ring placed too far from the annulus: {exc}", source=source) from exc
    except NotConverged as exc:
        raise ConvergenceError(
            f"the {which} solve did not converge: relative residual {exc.residual:.3g} "
            f"(tolerance {plan.solver.rtol:g})",
            source=source,
        ) from exc
    except InputError as exc:
        if exc.source is not None or source is None:
            raise
        raise InputError(str(exc), source=source) from exc
    if not result.solve.converged:  # never report an unconverged state as a result
        raise ConvergenceError(
            f"the {which} solve did not converge: relative residual "
            f"{result.solve.residual:.3g} (tolerance {plan.solver.rtol:g})",
            source=source,
        )
    return result


def _solve_device(
    plan: Plan,
    warn_fraction: float,
    annulus_nodes: int | None,
    pre: Measurements | None,
    cancel: Callable[[], bool] | None,
) -> AnnuloplastyResult:
    """The percutaneous device's solve of :func:`simulate_plan`."""
    spec = device_spec(plan)
    assert spec is not None
    path = _vein_of(plan, spec)
    return simulate_percutaneous(
        plan.annulus,
        spec,
        cs_path_valve=None if path is None else path.points_valve,
        distal_offset_mm=plan.distal_anchor_offset_mm,
        annulus_nodes=annulus_nodes,
        rtol=plan.solver.rtol,
        max_iterations=plan.solver.max_iterations,
        warn_fraction=warn_fraction,
        pre=pre,
        cancel=cancel,
    )


def with_results(
    plan: Plan, result: AnnuloplastyResult, closure: ClosureOutcome | None = None
) -> Plan:
    """``plan`` holding the JSON-ready figures of its simulations (what a plan file stores)."""
    results: dict[str, Any] = {"annuloplasty": result.to_dict()}
    if closure is not None:
        results["closure"] = closure.to_dict()
    safety = plan_safety(plan, result)
    if safety is not None:
        results["safety"] = safety.to_dict()
    return replace(plan, results=results)


# -- leaflet closure -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClosureCase:
    """One closed valve and its coaptation analysis.

    Attributes
    ----------
    result : ClosureResult
    coaptation : Coaptation
    annulus_valve : (k, 3) float, mm
        The annulus the leaflets hang from (native or reshaped), valve frame.
    """

    result: ClosureResult
    coaptation: Coaptation
    annulus_valve: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """The figures of ``mvplan simulate``'s ``closure.native`` / ``closure.repaired``."""
        r = self.result
        out = {key: _rounded(value) for key, value in self.coaptation.to_dict().items()}
        out["chord_force_max_n"] = round(float(r.chord_tensions_n.max()), 3)
        out["chord_force_sum_n"] = round(r.chord_tension_sum_n, 3)
        out["leaflet_stress_p95_mpa"] = round(float(np.percentile(r.membrane_stress_mpa, 95)), 4)
        out["leaflet_strain_p95"] = round(float(np.percentile(r.membrane_strain, 95)), 4)
        out["pressure_follower_error"] = round(r.follower_error.relative, 3)
        out["equilibrium_error"] = float(f"{r.reactions['balance_relative']:.3g}")
        # The same balance against the follower load (the potential misplaces part of it).
        out["follower_balance_error"] = round(r.reactions["balance_follower_relative"], 3)
        # Where a far annulus move left the attached nodes on stiff springs (ClosureModel.solve).
        out["boundary_error_mm"] = round(r.boundary_error_mm, 3)
        out["solver"] = r.solver_dict()
        return out


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return value


@dataclass(frozen=True, eq=False)
class ClosureOutcome:
    """The native and (with a device) repaired closures of a plan.

    Attributes
    ----------
    model : ClosureModel
        Leaflets, chordae and energy (built once on the native annulus).
    native : ClosureCase
    repaired : ClosureCase or None
    """

    model: ClosureModel
    native: ClosureCase
    repaired: ClosureCase | None

    def to_dict(self) -> dict[str, Any]:
        """The ``closure`` key of ``mvplan simulate --json``."""
        m = self.model
        return {
            "native": self.native.to_dict(),
            "repaired": None if self.repaired is None else self.repaired.to_dict(),
            "model": {
                "resolution": m.settings.resolution,
                "leaflet_nodes": m.n_leaflet_nodes,
                "triangles": m.mesh.n_triangles,
                "chord_segments": m.chordae.n_segments,
                "papillary_tips_estimated": m.chordae.tips_estimated,
                "pressure_mpa": m.settings.pressure_mpa,
                "contact_tolerance_mm": m.settings.contact_tolerance_mm,
                "leaflets": asdict(m.mesh.spec),
            },
        }


def closure_model(plan: Plan, settings: ClosureSettings | None = None) -> ClosureModel:
    """Leaflets and chordae of ``plan`` on its native annulus (:class:`ClosureModel`)."""
    return ClosureModel(plan.annulus, plan.papillary, plan.leaflets, settings=settings)


def simulate_closure(
    plan: Plan,
    annuloplasty: AnnuloplastyResult | None = None,
    *,
    settings: ClosureSettings | None = None,
    model: ClosureModel | None = None,
    native: ClosureCase | None = None,
    warm_start: FloatArray | None = None,
    progress: Callable[[int, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    source: str | None = None,
) -> ClosureOutcome:
    """Close the valve of ``plan`` natively and, given a device's result, repaired.

    Parameters
    ----------
    plan : Plan
    annuloplasty : AnnuloplastyResult, optional
        The reshaped annulus; None (or a plan without a device) solves the native valve only.
    settings : ClosureSettings, optional
        Ignored when ``model`` is given.
    model : ClosureModel, optional
        Reuse a model built for this plan's annulus, leaflets and tips (e.g. across a sweep).
    native : ClosureCase, optional
        Reuse the native closure of this model (it does not depend on the device).
    warm_start : (N + 2, 3) float, mm, optional
        Start of the repaired solve (default: the native closed state).
    progress, cancel
        Passed to the solver.
    source : str, optional
        What to name in error messages.

    Raises
    ------
    ConvergenceError
        A closure did not converge (its relative residual in the message).
    """
    source = source or plan.name or None
    if model is None:
        model = closure_model(plan, settings)
    native_annulus = plan.annulus.to_valve_frame.apply(plan.annulus.points)
    if native is None:
        closed = _solve_closure(model, None, None, "native", progress, cancel, source)
        native = ClosureCase(closed, coaptation_of(model, closed, native_annulus), native_annulus)
    repaired = None
    if annuloplasty is not None and plan.ring is not None:
        attached = model.carried_boundary(
            annuloplasty.annulus_before_valve, annuloplasty.annulus_after_valve
        )
        start = native.result.x if warm_start is None else warm_start
        result = _solve_closure(model, attached, start, "repaired", progress, cancel, source)
        after = annuloplasty.annulus_after_valve
        repaired = ClosureCase(result, coaptation_of(model, result, after), after)
    return ClosureOutcome(model, native, repaired)


def _solve_closure(
    model: ClosureModel,
    attached: FloatArray | None,
    warm_start: FloatArray | None,
    which: str,
    progress: Callable[[int, float], None] | None,
    cancel: Callable[[], bool] | None,
    source: str | None,
) -> ClosureResult:
    try:
        return model.solve(attached, warm_start=warm_start, progress=progress, cancel=cancel)
    except NotConverged as exc:
        raise ConvergenceError(
            f"the {which} leaflet closure did not converge: relative residual "
            f"{exc.residual:.3g} (tolerance {model.settings.rtol:g})",
            source=source,
        ) from exc


def coaptation_of(
    model: ClosureModel, result: ClosureResult, annulus_valve: FloatArray
) -> Coaptation:
    """The coaptation analysis of a closed valve hanging from ``annulus_valve`` (valve frame)."""
    return analyse_coaptation(
        model.mesh,
        result.leaflet_points,
        contact_tolerance_mm=model.settings.contact_tolerance_mm,
        annulus_points=annulus_valve,
        triangle_stress_mpa=result.membrane_stress_mpa,
        triangle_strain=result.membrane_strain,
        chord_tensions_n=result.chord_tensions_n,
    )


# -- a device over the cardiac cycle ---------------------------------------------------------

#: How :func:`simulate_cycle` places the ring on each frame, for the user.
CYCLE_PLACEMENT = (
    "automatic on each frame (the sutures follow the tissue), the same ring, size and suture "
    "count on every frame"
)


def simulate_cycle(
    frames: Sequence[Annulus],
    ring: str,
    *,
    size_mm: float,
    sutures: int | None = None,
    input_points: Sequence[FloatArray | None] | None = None,
    native: Sequence[Measurements] | None = None,
    catalogue: Catalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DeviceCycle:
    """Put one ring on every frame of a moving annulus and compare the two cycles.

    Each frame gets :func:`make_plan` (the ring at ``size_mm``, placed automatically on that
    frame, since the sutures follow the tissue; the suture count fixed across frames) and
    :func:`simulate_plan` (its own quasi-static solve, :mod:`mvplan.planning.cycle_device`).
    The reshaped annuli are measured as ``simulate_plan`` measures them (``post``) and related
    by the native correspondence carried with the tissue.

    Parameters
    ----------
    frames : sequence of Annulus, length f >= 2
        One annulus over the cycle, in time order (:func:`mvplan.io.sequence.
        load_annulus_sequence`); papillary tips given at loading decided each frame's atrial
        side already.
    ring : str
        Catalogue family id.
    size_mm : float
        A size the family sells, mm.
    sutures : int, optional
        Suture count on every frame (default: the family's, 14 for a ring, 10 for a band).
    input_points : sequence of ((m_k, 3) float, mm, or None), optional
        Each frame's input points in curve order (:class:`mvplan.io.sequence.AnnulusSequence`),
        for the point-order correspondence (:mod:`mvplan.geometry.cycle`).
    native : sequence of Measurements, optional
        Each frame's measurements when the caller has them.
    catalogue : Catalogue, optional
    progress : callable ``(frames_done, frames) -> None``, optional
        Called before the first solve and after each frame.
    cancel : callable ``() -> bool``, optional
        Passed to every solve (:class:`mvplan.mechanics.Cancelled` stops the cycle).

    Returns
    -------
    DeviceCycle

    Raises
    ------
    InputError
        Fewer than two frames, an unknown ring or a size it does not sell, a frame the ring
        cannot be placed on (the message names the frame).
    ConvergenceError
        A frame's solve did not converge (the message names the frame; no figures are given).
    """
    from mvplan.geometry.cycle import measure_cycle

    if len(frames) < 2:
        raise InputError(f"a cycle needs at least two frames, got {len(frames)}")
    pre = list(native) if native is not None else [measure(a) for a in frames]
    if len(pre) != len(frames):
        raise ValueError("one Measurements per frame is needed")
    catalogue = catalogue or load_catalogue()
    catalogue.family(ring).spec(size_mm)  # an unknown ring or size: before any frame's work
    native_cycle = measure_cycle(frames, input_points, pre)
    # The same node count on every frame: one tissue discretisation for the whole cycle.
    nodes = max(a.curve.count for a in frames)
    results: list[AnnuloplastyResult] = []
    solves: list[FrameSolve] = []
    count = sutures
    made = None
    for k, annulus in enumerate(frames):
        if progress is not None:
            progress(k, len(frames))
        where = f"frame {k} ({annulus.source.name})"
        try:
            made = make_plan(
                annulus, ring, size_mm=size_mm, sutures=count, catalogue=catalogue, name=where
            )
        except InputError as exc:
            if exc.source is not None:
                raise
            raise InputError(str(exc), source=where) from exc
        assert made.fit is not None and made.spec is not None
        count = len(made.plan.placement.sutures) if made.plan.placement else count
        result = simulate_plan(
            made.plan, spec=made.spec, annulus_nodes=nodes, pre=pre[k], cancel=cancel
        )
        results.append(result)
        solves.append(
            FrameSolve(
                frame=k,
                source=annulus.source.name,
                converged=bool(result.solve.converged),
                residual=float(result.solve.residual),
                iterations=int(result.solve.iterations),
                time_ms=float(result.solve.time_ms),
                suture_force_max_n=float(result.suture_forces_n.max(initial=0.0)),
                placement_residual_mm=float(made.fit.residual_mm),
            )
        )
    if progress is not None:
        progress(len(frames), len(frames))
    assert made is not None and made.plan.ring is not None and made.spec is not None
    carried = [
        _carried_points(a, r, p)
        for a, r, p in zip(frames, results, native_cycle.correspondence.points, strict=True)
    ]
    after = [r.annulus_after for r in results]
    device_cycle = measure_cycle(after, carried, [r.post for r in results])
    # The device's points are the native ones carried along: say so rather than "point order".
    device_cycle = replace(
        device_cycle,
        correspondence=replace(
            device_cycle.correspondence,
            method=f"{native_cycle.correspondence.method}, carried with the tissue",
        ),
    )
    family = made.spec.family
    return DeviceCycle(
        ring=family.id,
        size_mm=float(made.spec.size_mm),
        stiffness_class=family.stiffness.stiffness_class,
        closed=bool(family.closed),
        sutures=int(count or 0),
        placement=CYCLE_PLACEMENT,
        native=native_cycle,
        device=device_cycle,
        motion_kept_percent=MappingProxyType(motion_kept(native_cycle, device_cycle)),
        frames=tuple(solves),
        results=tuple(results),
    )


def _carried_points(annulus: Annulus, result: AnnuloplastyResult, points: FloatArray) -> FloatArray:
    """Where the tissue at ``points (m, 3)`` (on the native curve, input coordinates) went.

    Each point's native curve parameter is found on the curve; the displacement of the
    mechanics nodes (input coordinates) is interpolated there, linearly in the parameter.
    """
    n = result.annulus_after_valve.shape[0]
    node_u = np.arange(n + 1) / n
    to_input = annulus.to_valve_frame.inverse()
    moved = to_input.apply(result.annulus_after_valve) - to_input.apply(result.annulus_before_valve)
    moved = np.vstack([moved, moved[:1]])
    u = np.array([annulus.curve.closest_parameter(p)[0] for p in points])
    shift = np.stack([np.interp(u, node_u, moved[:, c]) for c in range(3)], axis=1)
    return np.asarray(points, dtype=float) + shift


__all__ = [
    "CYCLE_PLACEMENT",
    "ClosureCase",
    "ClosureOutcome",
    "MadePlan",
    "closure_model",
    "coaptation_of",
    "device_as_placed",
    "device_plan",
    "device_spec",
    "make_plan",
    "plan_safety",
    "ring_family",
    "ring_spec",
    "simulate_closure",
    "simulate_cycle",
    "simulate_plan",
    "with_results",
]
