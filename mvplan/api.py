"""The Python API for scripted studies: load, plan, simulate, export, report.

Everything a script needs, in one import and in the order of the work::

    import mvplan.api as mv

    annulus = mv.load_annulus("patient.csv", papillary="tips.csv")
    print(mv.measure(annulus).values["ap_diameter_mm"])
    plan = mv.make_plan(annulus, "physio-like", policy="true-size")
    sim = mv.simulate(plan)
    print(sim.result.post.values["ap_diameter_mm"], sim.result.suture_forces_n.max())
    mv.save_plan(sim.plan, "patient.mvplan.json")
    cycle = mv.device_cycle("frames/", "physio-like", 32)  # a moving annulus, ring on each frame
    print(cycle.motion_kept_percent["perimeter_mm"])
    closed = mv.closure(sim)  # the leaflets, native and repaired (seconds)
    print(closed.repaired.coaptation.coaptation_length_mean_mm)
    mv.export(sim, "patient.glb", closure=closed)
    mv.report(sim, "patient-report.html", closure=closed,
              sensitivity=mv.sensitivity(sim, closed, jobs=2))
    cs = mv.device_plan(annulus, "carillon-like", 70, cinch="20%", artery="lcx.csv")
    sim = mv.simulate(cs)  # a percutaneous device: its cinch, anchors and the artery
    print(sim.result.device.wire_tension_n, mv.safety(sim).min_distance_mm)

These are the functions the command line runs (:mod:`mvplan.workflow`, :mod:`mvplan.planfile`,
:mod:`mvplan.export`), so a script and ``mvplan simulate`` give the same numbers. Errors are
:class:`mvplan.errors.MvplanError` with a one-line message; a solve that does not converge
raises :class:`mvplan.errors.ConvergenceError`. Importing this module pulls in neither Qt nor
VTK; :func:`export` and :func:`report` load VTK when called. Runnable scripts are in
``examples/``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mvplan.geometry.annulus import Annulus
from mvplan.geometry.coronary import CSOffsets, estimate_cs_path
from mvplan.geometry.measurements import Measurements, measure
from mvplan.geometry.safety import DEFAULT_COMPRESSION_THRESHOLD_MM, Safety
from mvplan.io.load import load_annulus, load_papillary
from mvplan.io.paths import load_artery, load_cs_path
from mvplan.io.sequence import AnnulusSequence, frame_files, load_annulus_sequence
from mvplan.plan import Plan
from mvplan.planfile import load_plan, save_plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.planning.closure import ClosureSettings
from mvplan.planning.cycle_device import DeviceCycle
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.rings.percutaneous import parse_cinch
from mvplan.rings.spec import RingSpec
from mvplan.workflow import (
    ClosureOutcome,
    plan_safety,
    ring_spec,
    simulate_closure,
    simulate_cycle,
    simulate_plan,
    with_results,
)
from mvplan.workflow import device_plan as _device_plan
from mvplan.workflow import make_plan as _make_plan

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Simulation:
    """A simulated plan.

    Attributes
    ----------
    plan : Plan
        The plan, holding the figures of ``result`` (save it to keep them).
    spec : RingSpec or None
        Its ring at its size (None: no device).
    result : AnnuloplastyResult
        Everything the solve found (measurements before and after, suture forces, strain,
        the reshaped annulus and ring in the valve frame, the solver's figures).
    """

    plan: Plan
    spec: RingSpec | None
    result: AnnuloplastyResult


def rings() -> Catalogue:
    """The ring catalogue: built-in families and the user's own (``mvplan rings list``)."""
    return load_catalogue()


def make_plan(
    annulus: Annulus,
    ring: str | None = None,
    *,
    size_mm: float | None = None,
    policy: str | None = None,
    adjustment_mm: float = 0.0,
    sutures: int | None = None,
    papillary: PathLike | None = None,
    name: str = "",
) -> Plan:
    """A plan with ``ring`` at ``size_mm`` (or the size ``policy`` recommends), placed
    automatically with its sutures; ``ring=None`` for the native annulus alone.

    ``papillary`` is a file of papillary-tip points (as ``mvplan plan --papillary``). See
    :func:`mvplan.workflow.make_plan` for the placement's fit and the size's reason.
    """
    tips = None if papillary is None else load_papillary(papillary, annulus)
    return _make_plan(
        annulus,
        ring,
        size_mm=size_mm,
        policy=policy,
        adjustment_mm=adjustment_mm,
        sutures=sutures,
        papillary=tips,
        name=name,
    ).plan


def device_plan(
    annulus: Annulus,
    device: str,
    size_mm: float,
    *,
    cinch: str | float = 0.0,
    cs_path: PathLike | None = None,
    cs_offsets: CSOffsets | None = None,
    artery: PathLike | None = None,
    threshold_mm: float = DEFAULT_COMPRESSION_THRESHOLD_MM,
    papillary: PathLike | None = None,
    name: str = "",
    distal_anchor_mm: float = 0.0,
) -> Plan:
    """A plan with a percutaneous device (as ``mvplan plan --ring DEVICE --size S --cinch C``).

    Parameters
    ----------
    device : str
        A coronary-sinus device or transcatheter band of the catalogue (``carillon-like``,
        ``cardioband-like``).
    size_mm : float
        A length the device is sold in, between its end anchors, mm.
    cinch : str or float
        mm (``6``, ``"6mm"``) or a percentage of the size (``"15%"``).
    cs_path : path, optional
        The coronary sinus (coronary-sinus devices); default estimated from the posterior
        annulus with ``cs_offsets`` (default :class:`~mvplan.geometry.coronary.CSOffsets`).
    artery : path, optional
        The circumflex artery, for :func:`safety`.
    threshold_mm : float
        Compression is flagged below this device-artery distance, mm.
    distal_anchor_mm : float
        Where a coronary-sinus device sits: its distal anchor this far back along the vein
        from the path's distal end, mm.
    """
    family = load_catalogue().device(device)
    cinch_mm = parse_cinch(cinch, size_mm)
    path = None
    if family.type == "coronary-sinus":
        path = (
            load_cs_path(cs_path, annulus)
            if cs_path is not None
            else estimate_cs_path(annulus, cs_offsets)
        )
    tips = None if papillary is None else load_papillary(papillary, annulus)
    return _device_plan(
        annulus,
        family,
        size_mm,
        cinch_mm,
        cs_path=path,
        artery=None if artery is None else load_artery(artery, annulus),
        threshold_mm=threshold_mm,
        papillary=tips,
        name=name,
        distal_anchor_offset_mm=distal_anchor_mm,
    )


def safety(what: Plan | Simulation) -> Safety | None:
    """How close a plan's device comes to its artery: as placed (a Plan) or cinched (a
    Simulation); None without a device or an artery."""
    if isinstance(what, Simulation):
        return plan_safety(what.plan, what.result)
    return plan_safety(what)


def simulate(plan: Plan, **options: Any) -> Simulation:
    """Solve the plan's annuloplasty; ``options`` as :func:`mvplan.workflow.simulate_plan`
    (``warn_fraction``, ``annulus_nodes``, ``cancel``)."""
    spec = ring_spec(plan)
    result = simulate_plan(plan, spec=spec, **options)
    return Simulation(with_results(plan, result), spec, result)


def device_cycle(
    frames: PathLike | Sequence[PathLike] | Sequence[Annulus] | AnnulusSequence,
    ring: str,
    size_mm: float,
    *,
    sutures: int | None = None,
    papillary: PathLike | Sequence[PathLike | None] | None = None,
    units: str | None = None,
    **options: Any,
) -> DeviceCycle:
    """Put ``ring`` at ``size_mm`` on every frame of a moving annulus and report how much of
    the cycle's motion it keeps (``mvplan measure F1 F2 ... --ring ID --size S``).

    ``frames`` is a folder, frame files in time order, Annulus objects or a loaded
    :class:`mvplan.io.sequence.AnnulusSequence`; ``papillary`` (with files) one tip file for
    all frames or one per frame. ``options`` as :func:`mvplan.workflow.simulate_cycle`
    (``progress``, ``cancel``). The result's ``motion_kept_percent["perimeter_mm"]`` is the
    share of the native circumference change the device keeps; ``native`` and ``device`` are
    the two cycles, ``frames`` each frame's solve. A frame that does not converge raises
    :class:`mvplan.errors.ConvergenceError` naming it.
    """
    if isinstance(frames, str | os.PathLike):
        frames = [frames]
    if isinstance(frames, AnnulusSequence):
        sequence = frames
    elif all(isinstance(f, Annulus) for f in frames):
        sequence = AnnulusSequence(tuple(frames), (None,) * len(frames), "as given")  # type: ignore[arg-type]
    else:
        paths = [Path(f) for f in frames]  # type: ignore[arg-type]
        count = len(frame_files(paths)[0])
        tips = None
        if papillary is not None:
            tips = [papillary] * count if isinstance(papillary, str | os.PathLike) else papillary
        sequence = load_annulus_sequence(paths, units=units, papillary=tips)
    return simulate_cycle(
        sequence.annuli,
        ring,
        size_mm=size_mm,
        sutures=sutures,
        input_points=sequence.input_points,
        **options,
    )


def closure(
    what: Plan | Simulation, *, settings: ClosureSettings | None = None, **options: Any
) -> ClosureOutcome:
    """Close the plan's valve under systolic pressure: natively and, with a device, on the
    annulus its ring reshaped (the plan simulated first when needed).

    ``settings`` as :class:`mvplan.planning.closure.ClosureSettings` (mesh resolution,
    pressure, ...); ``options`` as :func:`mvplan.workflow.simulate_closure` (``progress``,
    ``cancel``). Each valve's figures are in ``outcome.native.coaptation`` and
    ``outcome.repaired.coaptation`` (:mod:`mvplan.valve.coaptation`); ``outcome.to_dict()``
    is what ``mvplan simulate`` prints under ``closure``. A closure that does not converge
    raises :class:`mvplan.errors.ConvergenceError`.
    """
    sim = what if isinstance(what, Simulation) else simulate(what)
    return simulate_closure(sim.plan, sim.result, settings=settings, **options)


def sensitivity(what: Simulation, outcome: ClosureOutcome, **options: Any) -> list[dict[str, Any]]:
    """Coaptation length and orifice with the chordae rest lengths and the leaflet stiffness
    each scaled by 0.9 and 1.1: one row per case (:func:`mvplan.sweep.closure_sensitivity`;
    ``options``: ``factor``, ``jobs``, ``progress``, ``cancel``). ``outcome`` is
    :func:`closure`'s for ``what``; the repaired valve is studied when there is one."""
    from mvplan.sweep import closure_sensitivity

    repaired = what.result if outcome.repaired is not None else None
    return closure_sensitivity(what.plan, repaired, outcome, **options)


def export(what: Plan | Simulation, path: PathLike, **options: Any) -> list[Path]:
    """Write a scene (``.glb .gltf .vtp .vtm .stl .ply .obj``), Slicer markups (``.mrk.json``)
    or an image (``.png``) of a plan (simulated first when needed); return the files written.

    ``options`` as :func:`mvplan.export.export_plan`: ``objects``, ``frame`` (``"valve"`` or
    ``"original"``), ``view``, ``size``, ``closure`` (:func:`closure`'s outcome: scenes then
    hold the closed leaflets and chordae).
    """
    from mvplan.export import export_plan

    sim = what if isinstance(what, Simulation) else simulate(what)
    return export_plan(sim.plan, sim.result, sim.spec, Path(path), **options)


def report(what: Plan | Simulation, path: PathLike, **options: Any) -> list[Path]:
    """Write the HTML report of a plan (simulated first when needed) and its CSV and JSON
    beside it; return the files written. ``options`` as
    :func:`mvplan.export.report.write_report`, among them ``closure`` (:func:`closure`'s
    outcome: the report's leaflet closure section) and ``sensitivity``
    (:func:`sensitivity`'s rows). ``mvplan report`` passes both."""
    from mvplan.export.report import write_report

    sim = what if isinstance(what, Simulation) else simulate(what)
    return write_report(sim.plan, sim.result, sim.spec, Path(path), **options)


__all__ = [
    "ClosureOutcome",
    "ClosureSettings",
    "DeviceCycle",
    "Measurements",
    "Simulation",
    "closure",
    "device_cycle",
    "device_plan",
    "export",
    "load_annulus",
    "load_papillary",
    "load_plan",
    "make_plan",
    "measure",
    "report",
    "rings",
    "safety",
    "save_plan",
    "sensitivity",
    "simulate",
]
