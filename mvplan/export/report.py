"""The plan report: one self-contained HTML page (or PDF), with every number also as CSV and JSON.

This module gathers the numbers and writes the files; it is the report's public entry point.
:func:`report_data` gathers what a report says about a plan into one JSON-ready dict: the
input, the ring and why this size, the measurements before and after with their change, the
suture forces, tissue strain, ring deformation and the solver's figures, the leaflet closure
(native against repaired: coaptation, orifice, tenting, stenosis proxy, chord forces,
leaflet stress, the closure solver's figures, the coaptation length at each station) and,
when given, the closure's sensitivity to its uncertain parameters. The HTML page, the
CSV table and the JSON file are all written from that dict, so they cannot disagree:
:func:`report_csv` and :func:`report_json` here, :func:`report_html` in
:mod:`mvplan.export.report_html` (which lays out the page), with the 3D views rendered by
:mod:`mvplan.export.report_views`. Both modules' public names are re-exported here.

:func:`write_report` writes the files side by side (``report.html``, ``report.csv``,
``report.json``), each atomically, and turns a file that cannot be written into an
:class:`~mvplan.errors.InputError` that says why. The page inlines its CSS, its charts (SVG,
:mod:`mvplan.export.charts`) and its 3D views (the plan's three and one of each closed valve,
PNG as ``data:`` URIs), so it can be mailed or archived alone.

Reproducibility: the same plan and result give the same CSV, JSON and HTML bytes, but for two
things that change from run to run: the date the report was made and the solvers' wall times
(the annuloplasty's and each closure's). ``reproducible=True`` leaves them out (and
``generated=`` fixes the date); the 3D views are rendered by the graphics driver and may
differ in a few pixels between machines.

A leaflet closure that did not converge (:class:`~mvplan.export.closure.ClosureFailure`) is
reported as such: a statement at the top of the page and in the closure section, with the
residual where the solve stopped, and none of that closure's figures (no table column,
curve or picture of it, in the page, the CSV or the JSON). A repaired closure that failed
leaves the native one, which converged, and it is shown. Whoever writes such a report
should still exit as a failed solve does (``mvplan report`` exits 3 after writing it).

Every report says, at the top and in the footer, that mvplan is for research use only.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from mvplan import __version__
from mvplan.errors import InputError
from mvplan.geometry.annulus import LANDMARK_NAMES
from mvplan.geometry.measurements import MEASUREMENT_KEYS, MEASUREMENT_LABELS, measure
from mvplan.geometry.profile import saddle_profile
from mvplan.io.atomic import write_atomic
from mvplan.plan import Plan
from mvplan.planning.annuloplasty import PULLOUT_STRENGTH_N, AnnuloplastyResult
from mvplan.rings.sizing import LABELS as MEASURE_LABELS
from mvplan.rings.sizing import SizeRecommendation, recommend_size
from mvplan.rings.spec import RingSpec
from mvplan.workflow import ClosureCase, ClosureOutcome, device_spec, plan_safety, ring_spec

from . import charts
from .closure import ClosureFailure
from .report_html import DISCLAIMER, report_html
from .report_views import (
    DEFAULT_IMAGE_SIZE,
    VIEW_TITLES,
    png_bytes,
    render_closure_views,
    render_views,
)

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "DISCLAIMER",
    "REPORT_FORMAT",
    "SENSITIVITY_KEYS",
    "VIEW_TITLES",
    "ClosureFailure",
    "check_report_path",
    "closure_section",
    "device_section",
    "png_bytes",
    "render_closure_views",
    "render_views",
    "report_csv",
    "report_data",
    "report_html",
    "report_json",
    "report_rows",
    "safety_section",
    "write_report",
]

#: Version of the JSON layout of :func:`report_data` (2: the leaflet closure and its
#: sensitivity; 3: percutaneous devices, the ``device`` and ``safety`` keys).
REPORT_FORMAT = 3
_SUFFIXES = (".html", ".htm", ".pdf")
#: Units by key suffix (``_mm2`` before ``_mm``).
_UNITS: tuple[tuple[str, str], ...] = (
    ("_mm2", "mm2"),
    ("_mm", "mm"),
    ("_n", "N"),
    ("_deg", "deg"),
    ("_percent", "%"),
    ("_ms", "ms"),
    ("_ml", "ml"),
    ("_mpa", "MPa"),
    ("_mmhg", "mmHg"),
)
#: The keys of a sensitivity row (:func:`mvplan.sweep.closure_sensitivity`), in order.
SENSITIVITY_KEYS: tuple[str, ...] = (
    "parameter",
    "scale",
    "coaptation_length_mean_mm",
    "coaptation_length_min_mm",
    "regurgitant_orifice_area_mm2",
    "closed",
    "converged",
    "delta_coaptation_length_mean_mm",
    "delta_regurgitant_orifice_area_mm2",
)
#: 1 mmHg in MPa.
_MPA_PER_MMHG = 0.101325 / 760.0


# -- the numbers -----------------------------------------------------------------------------


def report_data(
    plan: Plan,
    result: AnnuloplastyResult | None,
    spec: RingSpec | None = None,
    recommendation: SizeRecommendation | None = None,
    *,
    generated: datetime | None = None,
    timing: bool = True,
    plan_file: str | None = None,
    closure: ClosureOutcome | None = None,
    closure_failure: ClosureFailure | None = None,
    sensitivity: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything a report says, as a JSON-ready dict (the HTML, CSV and JSON are made of it).

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult or None
        The plan's simulation (:func:`mvplan.workflow.simulate_plan`); None for a plan not
        simulated. A plan with no ring is reported as its native annulus alone (a result of
        it, where nothing moves, adds nothing and is not used).
    spec : RingSpec, optional
        The plan's ring (default :func:`mvplan.workflow.ring_spec`).
    recommendation : SizeRecommendation, optional
        How the size was chosen (:attr:`mvplan.workflow.MadePlan.recommendation`). Without
        it the report shows what true sizing would choose, for comparison.
    generated : datetime, optional
        When the report was made (None: no date, as in a reproducible report).
    timing : bool
        Include the solvers' wall times (they differ from run to run of the same plan).
    plan_file : str, optional
        The plan file's name (only its base name is kept).
    closure : ClosureOutcome, optional
        The leaflet closure of this plan and ``result``
        (:func:`mvplan.workflow.simulate_closure`, or the outcome of
        :func:`mvplan.export.closure.closure_or_failure`); None: not simulated.
    closure_failure : ClosureFailure, optional
        A closure that did not converge (:func:`mvplan.export.closure.closure_or_failure`):
        the report says so and shows none of its figures. With a failed native closure
        ``closure`` is None; with a failed repaired one it holds the native closure alone.
    sensitivity : sequence of dict, optional
        Rows of :func:`mvplan.sweep.closure_sensitivity` (keys :data:`SENSITIVITY_KEYS`):
        the closure with each uncertain parameter scaled.

    Returns
    -------
    dict
        Keys ``report``, ``input``, ``ring``, ``sizing``, ``device`` (a percutaneous
        device, :func:`device_section`; None for a ring), ``safety`` (the device against
        the circumflex artery, :func:`safety_section`; None without both), ``simulation``,
        ``measurements``, ``sutures``, ``suture_summary``, ``tissue_strain``,
        ``ring_deformation``, ``solver``, ``closure`` (:func:`closure_section`) and
        ``sensitivity`` (None or a list of rows); a device's plan has no ring, sizing,
        sutures or ring deformation (None, or no rows); lengths mm, areas mm2, volumes ml,
        forces N, stresses MPa, angles and rotations deg, strain % (the leaflet strain, a
        Green-Lagrange strain, as a fraction).

    Raises
    ------
    InputError
        A recommendation for another ring than the plan's, or a failure named for a
        closure that is there.
    """
    if plan.ring is not None and spec is None:
        spec = ring_spec(plan)
    if plan.ring is None:
        spec, result = None, None
    if recommendation is not None and (
        plan.ring is None or recommendation.family_id != plan.ring.family
    ):
        raise InputError(
            f"the size recommendation is for ring {recommendation.family_id}, the plan's ring "
            f"is {plan.ring.family if plan.ring else 'none'}"
        )
    pre = result.pre if result is not None else measure(plan.annulus)
    figures = result.to_dict() if result is not None else None
    if plan.ring is None:
        note = "No device in this plan: the native annulus alone; no simulation was run."
    elif result is None:
        note = "The plan has not been simulated: no simulation was run; native values only."
    elif plan.has_device:
        note = "Simulated: the device cinched and the annulus at equilibrium."
    else:
        note = "Simulated: the ring's sutures tied and the annulus at equilibrium."
    return {
        "report": {
            "format": REPORT_FORMAT,
            "software": "mvplan",
            "version": __version__,
            "generated": None if generated is None else generated.isoformat(timespec="seconds"),
            "disclaimer": DISCLAIMER,
            "plan_name": plan.name,
            "plan_notes": plan.notes,
            "plan_file": Path(plan_file).name if plan_file else None,
        },
        "input": _input_section(plan),
        "ring": _ring_section(plan, spec),
        "sizing": _sizing_section(spec, pre.values, pre.estimated, recommendation),
        "device": device_section(plan, figures),
        "safety": safety_section(plan, result),
        "simulation": {"simulated": result is not None, "note": note},
        "measurements": _measurement_rows(pre.to_dict(), figures),
        **_result_sections(figures, plan, timing),
        "closure": closure_section(closure, closure_failure, timing=timing),
        "sensitivity": None if sensitivity is None else _sensitivity_rows(sensitivity),
    }


def _input_section(plan: Plan) -> dict[str, Any]:
    annulus, source = plan.annulus, plan.annulus.source
    tips = plan.papillary
    return {
        "source": source.name,
        "input_points": source.n_input_points,
        "resampled_points": annulus.curve.count,
        "spacing_mm": annulus.perimeter_mm / annulus.curve.count,
        "input_units": source.input_units,
        "units_inferred": source.units_inferred,
        "orientation": annulus.orientation,
        "landmarks": [
            {"name": n, "u": round(annulus.landmarks[n].u, 6), "given": annulus.landmarks[n].given}
            for n in LANDMARK_NAMES
            if n in annulus.landmarks
        ],
        "missing_landmarks": {n: annulus.missing[n] for n in sorted(annulus.missing)},
        "papillary": None
        if tips is None
        else {
            "points": int(tips.points.shape[0]),
            "anterolateral_mm": [round(float(c), 4) for c in tips.anterolateral],
            "posteromedial_mm": [round(float(c), 4) for c in tips.posteromedial],
        },
        "warnings": list(annulus.warnings),
    }


def _ring_section(plan: Plan, spec: RingSpec | None) -> dict[str, Any] | None:
    if spec is None or plan.ring is None:
        return None
    family = spec.family
    return {
        "family": family.id,
        "name": family.name,
        "resembles": family.resembles or None,
        "size_mm": float(spec.size_mm),
        "size_measure": spec.size_measure,
        "size_means": MEASURE_LABELS.get(spec.size_measure, spec.size_measure),
        "adjustment_mm": float(spec.adjustment_mm),
        "adjustable_range_mm": None
        if family.adjustable_ap_mm is None
        else [float(v) for v in family.adjustable_ap_mm],
        "closed": bool(spec.closed),
        "kind": "complete ring" if spec.closed else "band (incomplete ring)",
        "shape": family.shape,
        "stiffness_class": family.stiffness.stiffness_class,
        "segments": [
            {"name": s.name, "from": s.start, "to": s.end, "stiffness_class": s.stiffness_class}
            for s in family.stiffness.segments
        ],
        "sutures": len(plan.placement.sutures) if plan.placement is not None else 0,
        "user_defined": bool(family.user),
    }


def _sizing_section(
    spec: RingSpec | None,
    patient: Mapping[str, float | None],
    estimated: Mapping[str, bool],
    recommendation: SizeRecommendation | None,
) -> dict[str, Any] | None:
    """How the size was chosen, or what true sizing would choose (for comparison)."""
    if spec is None:
        return None
    source = "plan"
    if recommendation is None:
        source = "true-size comparison"
        try:
            recommendation = recommend_size(spec.family, patient, "true-size", estimated=estimated)
        except InputError as error:
            return {"source": "unavailable", "reason": str(error)}
    sizes = list(spec.family.sizes_mm)
    steps = _size_index(sizes, spec.size_mm) - _size_index(sizes, recommendation.true_size_mm)
    return {
        "source": source,
        "policy": recommendation.policy,
        "recommended_size_mm": recommendation.size_mm,
        "true_size_mm": recommendation.true_size_mm,
        "measure": recommendation.measure,
        "measure_label": MEASURE_LABELS.get(recommendation.measure, recommendation.measure),
        "measured_mm": recommendation.measured_mm,
        "ring_value_mm": recommendation.ring_value_mm,
        "estimated": recommendation.estimated,
        "reason": recommendation.reason,
        "plan_size_mm": float(spec.size_mm),
        "sizes_from_true_size": steps,
    }


def _size_index(sizes: Sequence[float], size: float) -> int:
    return min(range(len(sizes)), key=lambda i: abs(sizes[i] - size))


def _measurement_rows(
    pre: Mapping[str, Any], figures: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    rows = []
    for key in MEASUREMENT_KEYS:
        before = pre[key]
        after = figures["post"][key] if figures is not None else None
        change = figures["change"][key] if figures is not None else None
        relative = None
        if change is not None and before and _unit(key) in ("mm", "mm2"):
            relative = 100.0 * change / before
        row = {
            "key": key,
            "label": MEASUREMENT_LABELS[key],
            "unit": _unit(key),
            "before": before,
            "after": after,
            "change": change,
            "change_percent": relative,
            "estimated": bool(pre.get(f"{key}_estimated", False)),
        }
        reason = pre.get(f"{key}_reason") or (
            figures["post"].get(f"{key}_reason") if figures is not None else None
        )
        if reason:
            row["reason"] = reason
        rows.append(row)
    return rows


def _result_sections(figures: Mapping[str, Any] | None, plan: Plan, timing: bool) -> dict[str, Any]:
    if figures is None:
        return {
            "sutures": [],
            "suture_summary": None,
            "tissue_strain": None,
            "ring_deformation": None,
            "solver": None,
        }
    fraction = float(figures["warn_fraction"])
    sutures = [
        {
            **s,
            "warn_level_n": fraction * s["pullout_strength_n"],
            "strength_percent": 100.0 * s["force_n"] / s["pullout_strength_n"],
        }
        for s in figures["sutures"]
    ]
    strain, ring, solver = figures["tissue_strain"], figures["ring"], figures["solver"]
    solver_out = {
        "converged": solver["converged"],
        "relative_residual": solver["residual"],
        "tolerance": plan.solver.rtol,
        "residual_n": solver["residual_n"],
        "load_norm_n": solver["load_norm_n"],
        "iterations": solver["iterations"],
        "annulus_nodes": solver["annulus_nodes"],
        "ring_nodes": solver["ring_nodes"],
    }
    if timing:
        solver_out["time_ms"] = solver["time_ms"]
    if plan.has_device:
        # No sutures and no ring to deform: the device section says what the device did.
        return {
            "sutures": [],
            "suture_summary": None,
            "tissue_strain": _strain_summary(strain),
            "ring_deformation": None,
            "solver": solver_out,
        }
    return {
        "sutures": sutures,
        "suture_summary": {
            "count": len(sutures),
            "max_n": figures["suture_force_max_n"],
            "mean_n": figures["suture_force_mean_n"],
            "warn_fraction": fraction,
            "pullout_strength_n": dict(PULLOUT_STRENGTH_N),
            "near_pullout": sum(1 for s in sutures if s["near_pullout"]),
            "warnings": list(figures["suture_warnings"]),
        },
        "tissue_strain": _strain_summary(strain),
        "ring_deformation": {
            "model": ring["model"],
            "max_mm": ring["deformation_max_mm"],
            "mean_mm": ring["deformation_mean_mm"],
            "max_rotation_deg": math.degrees(ring["max_rotation_rad"]),
        },
        "solver": solver_out,
    }


def _strain_summary(strain: Mapping[str, float]) -> dict[str, float]:
    return {
        "min_percent": 100.0 * strain["min"],
        "max_percent": 100.0 * strain["max"],
        "mean_abs_percent": 100.0 * strain["mean_abs"],
    }


def device_section(plan: Plan, figures: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``device`` key of :func:`report_data`: a percutaneous device and what it did.

    Parameters
    ----------
    plan : Plan
    figures : dict or None
        The simulation's figures (:meth:`AnnuloplastyResult.to_dict`); None: not simulated.

    Returns
    -------
    dict or None
        None for a plan without a percutaneous device. Else ``type``, ``family``, ``name``,
        ``resembles``, ``size_mm``, ``cinch_mm``, ``cinch_percent``, ``cinch_max_percent``,
        ``coronary_sinus`` (the vein path's ``source`` and ``length_mm``, or None) and, when
        simulated, ``wire_tension_n``, ``wire_length_native_mm``, ``wire_length_after_mm``,
        ``pullout_strength_n``, ``warn_fraction``, ``anchor_force_max_n``, ``anchors`` (each
        ``name``, ``force_n``, ``strength_percent``, ``near_pullout``), ``anchor_warnings``
        and, for a coronary-sinus device, ``coronary_sinus_strain_percent`` (negative:
        the vein plicated).
    """
    spec = device_spec(plan)
    if spec is None:
        return None
    family = spec.family
    path = plan.cs_path
    out: dict[str, Any] = {
        "type": spec.type,
        "family": family.id,
        "name": family.name,
        "resembles": family.resembles or None,
        "size_mm": float(spec.size_mm),
        "cinch_mm": float(spec.cinch_mm),
        "cinch_percent": float(spec.cinch_percent),
        "cinch_max_percent": float(family.cinch_max_percent),
        "coronary_sinus": None
        if path is None
        else {"source": path.source, "length_mm": round(path.length_mm, 3)},
        "user_defined": bool(family.user),
    }
    device = None if figures is None else figures.get("device")
    if device is None:
        return out
    strength = float(device["pullout_strength_n"])
    out.update(
        {
            "wire_tension_n": float(device["wire_tension_n"]),
            "wire_length_native_mm": float(device["wire_length_native_mm"]),
            "wire_length_after_mm": float(device["wire_length_after_mm"]),
            "pullout_strength_n": strength,
            "warn_fraction": float(figures["warn_fraction"]) if figures else None,
            "anchor_force_max_n": float(device["anchor_force_max_n"]),
            "anchors": [
                {
                    "name": str(a["name"]),
                    "force_n": float(a["force_n"]),
                    "strength_percent": 100.0 * float(a["force_n"]) / strength,
                    "near_pullout": bool(a["near_pullout"]),
                }
                for a in device["anchors"]
            ],
            "anchor_warnings": list(device["anchor_warnings"]),
        }
    )
    if device.get("coronary_sinus_strain") is not None:
        out["coronary_sinus_strain_percent"] = 100.0 * float(device["coronary_sinus_strain"])
    return out


def safety_section(plan: Plan, result: AnnuloplastyResult | None) -> dict[str, Any] | None:
    """The ``safety`` key of :func:`report_data`: how close the device comes to the artery.

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult or None
        The plan's simulation: the distances are of the cinched device; None: as placed.

    Returns
    -------
    dict or None
        None for a plan without a percutaneous device. ``assessed`` False (and a ``note``)
        without an artery; else :meth:`mvplan.geometry.safety.Safety.to_dict` (the figures
        of ``mvplan simulate``'s ``safety``) with ``assessed``, ``state`` (``cinched`` or
        ``as placed``), ``measured_from`` (where the arc positions along the device start:
        ``proximal end`` or ``anterolateral anchor``) and ``note``.
    """
    if not plan.has_device:
        return None
    if plan.artery is None:
        return {
            "assessed": False,
            "note": "No circumflex artery was given (mvplan plan --artery): the device's "
            "distance to it is not assessed.",
        }
    safety = plan_safety(plan, result)
    assert safety is not None
    state = "as placed" if result is None else "cinched"
    spec = device_spec(plan)
    cs = spec is not None and spec.type == "coronary-sinus"
    start = "proximal end" if cs else "anterolateral anchor"
    note = (
        f"Distance between the centrelines of the device ({state}) and the circumflex "
        f"artery ({safety.artery_source}); compression is flagged below "
        f"{safety.threshold_mm:g} mm; a crossing: the artery passes between the device and "
        "the annulus, where cinching could compress it."
    )
    out = {"assessed": True, "state": state, "measured_from": start, "note": note}
    return {**out, **safety.to_dict()}


#: The notes of the closure section by status.
_CLOSURE_NOTES = {
    "not simulated": "The leaflet closure was not simulated.",
    "converged": (
        "Leaflets built stress-free on the native annulus, held by their chordae and closed "
        "by systolic pressure: on the native annulus and, with the device, carried to the "
        "reshaped annulus (DESIGN.md section 6)."
    ),
}


def closure_section(
    closure: ClosureOutcome | None,
    failure: ClosureFailure | None = None,
    *,
    timing: bool = True,
) -> dict[str, Any]:
    """The ``closure`` key of :func:`report_data`.

    Parameters
    ----------
    closure : ClosureOutcome or None
    failure : ClosureFailure, optional
    timing : bool
        Include each closure solve's wall time (``time_ms``).

    Returns
    -------
    dict
        ``status`` (``"converged"``, ``"not converged"`` or ``"not simulated"``), ``note``
        (one paragraph for a reader), ``failure`` (:meth:`ClosureFailure.to_dict` or
        None), ``model`` (mesh, chordae, pressure and tolerances, or None), ``native`` and
        ``repaired`` (the figures of each converged closure, :meth:`ClosureCase.to_dict`
        with the solver's figures flattened, or None), ``stations`` (one dict per station
        along the anterior free edge: ``station``, ``u``, ``from_alc_percent``,
        ``central``, ``native_mm``, ``repaired_mm``) and ``ends`` (the commissures at 0
        and 100 % of that axis).

    Raises
    ------
    InputError
        A failure named for a closure that is there, or a failed native closure with an
        outcome.
    """
    if failure is not None:
        present = closure is not None and (
            failure.case == "native" or getattr(closure, failure.case) is not None
        )
        if present:
            raise InputError(
                f"the report was given a {failure.case} closure and a failure of it: give one"
            )
    if closure is None and failure is None:
        status = "not simulated"
    else:
        status = "converged" if failure is None else "not converged"
    if failure is None:
        note = _CLOSURE_NOTES[status]
    elif failure.case == "native":
        note = (
            f"{failure.sentence()} A solve that did not converge gives no answer: no closure "
            "figures are shown."
        )
    else:
        note = (
            f"{failure.sentence()} A solve that did not converge gives no answer: only the "
            "native closure, which converged, is shown."
        )
    out: dict[str, Any] = {
        "status": status,
        "note": note,
        "failure": None if failure is None else failure.to_dict(),
        "model": None,
        "native": None,
        "repaired": None,
        "stations": [],
        "ends": ["ALC", "PMC"],
    }
    if closure is None:
        return out
    summary = closure.to_dict()["model"]
    settings = closure.model.settings
    out["model"] = {
        "resolution": summary["resolution"],
        "leaflet_nodes": summary["leaflet_nodes"],
        "triangles": summary["triangles"],
        "chord_segments": summary["chord_segments"],
        "papillary_tips_estimated": summary["papillary_tips_estimated"],
        "pressure_mpa": summary["pressure_mpa"],
        "pressure_mmhg": round(summary["pressure_mpa"] / _MPA_PER_MMHG, 1),
        "contact_tolerance_mm": summary["contact_tolerance_mm"],
        "tolerance": settings.rtol,
        **{k: v for k, v in summary["leaflets"].items() if isinstance(v, int | float)},
    }
    out["native"] = _closure_case(closure.native, timing)
    if closure.repaired is not None:
        out["repaired"] = _closure_case(closure.repaired, timing)
    out["stations"], out["ends"] = _stations(closure)
    return out


def _closure_case(case: ClosureCase, timing: bool) -> dict[str, Any]:
    figures = case.to_dict()
    solver = figures.pop("solver")
    figures["converged"] = solver["converged"]
    figures["relative_residual"] = solver["residual"]
    figures["iterations"] = solver["iterations"]
    figures["surfaces_cross"] = solver["surfaces_cross"]
    if timing:
        figures["time_ms"] = solver["time_ms"]
    return {k: _plain(v) for k, v in figures.items()}


def _stations(closure: ClosureOutcome) -> tuple[list[dict[str, Any]], list[str]]:
    """Stations along the anterior free edge, placed from its ALC end (the surgeon's left)."""
    native = closure.native.coaptation
    u = np.asarray(native.station_u, dtype=float)
    n = u.size
    marks = closure.model.mesh.landmark_u
    relative = 100.0 * (np.arange(n) + 0.5) / n
    ends = ["ALC", "PMC"]
    if n and "ALC" in marks and "PMC" in marks:

        def apart(a: float, b: float) -> float:
            d = abs(a - b) % 1.0
            return min(d, 1.0 - d)

        if apart(u[0], marks["PMC"]) < apart(u[0], marks["ALC"]):
            relative = 100.0 - relative  # the stations run from PMC to ALC
    else:
        ends = ["start", "end"]
    repaired = closure.repaired.coaptation if closure.repaired is not None else None
    rows = []
    for k in np.argsort(relative, kind="stable"):
        rows.append(
            {
                "station": int(k) + 1,
                "u": round(float(u[k]), 6),
                "from_alc_percent": round(float(relative[k]), 4),
                "central": bool(native.station_central[k]),
                "native_mm": round(float(native.coaptation_length_mm[k]), 4),
                "repaired_mm": None
                if repaired is None
                else round(float(repaired.coaptation_length_mm[k]), 4),
            }
        )
    return rows, ends


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number or bool it holds (JSON-ready)."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _sensitivity_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The sensitivity rows, JSON-ready: :data:`SENSITIVITY_KEYS` first (None where a row
    lacks one), then any other key a row has."""
    out = []
    for row in rows:
        known = {k: _plain(row.get(k)) for k in SENSITIVITY_KEYS}
        extra = {str(k): _plain(v) for k, v in row.items() if k not in known}
        out.append({**known, **extra})
    return out


def _unit(key: str) -> str:
    """The unit a key names by its suffix (``_mm``, ``_n``, ``_percent``...), or ``""``."""
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return unit
    return ""


# -- CSV and JSON ------------------------------------------------------------------------------


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def report_rows(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any, str]]:
    """The report's numbers as tidy rows, one number (or text) a row.

    Parameters
    ----------
    data : dict
        :func:`report_data`.

    Yields
    ------
    (str, str, str, object, str)
        ``(section, item, quantity, value, unit)``; ``item`` names a landmark, suture,
        measurement... or is ``""``; ``unit`` is ``""`` for a value with none.
    """
    for key in ("format", "software", "version", "generated", "plan_name", "plan_file"):
        yield "report", "", key, data["report"][key], ""
    inp = data["input"]
    for key, value in inp.items():
        if not isinstance(value, list | dict) and value is not None:
            yield "input", "", key, value, _unit(key)
    for mark in inp["landmarks"]:
        yield "landmark", mark["name"], "u", mark["u"], ""
        yield "landmark", mark["name"], "given", mark["given"], ""
    for name, reason in inp["missing_landmarks"].items():
        yield "landmark", name, "missing", reason, ""
    if inp["papillary"] is not None:
        tips = inp["papillary"]
        for muscle in ("anterolateral", "posteromedial"):
            for axis, value in zip("xyz", tips[f"{muscle}_mm"], strict=True):
                yield "papillary", muscle, axis, value, "mm"
    for section in ("ring", "sizing"):
        for key, value in (data[section] or {}).items():
            if isinstance(value, list) and key != "segments":
                value = " ".join(_csv_value(v) for v in value)  # the adjustable range
            if value is not None and key != "segments":
                yield section, "", key, value, _unit(key)
    for segment in (data["ring"] or {}).get("segments", []):
        for key in ("from", "to", "stiffness_class"):
            yield "ring_segment", segment["name"], key, segment[key], ""
    yield from _device_rows(data.get("device"), data.get("safety"))
    yield "simulation", "", "simulated", data["simulation"]["simulated"], ""
    for row in data["measurements"]:
        for quantity in ("before", "after", "change", "change_percent", "estimated"):
            unit = "%" if quantity == "change_percent" else row["unit"]
            yield (
                "measurement",
                row["key"],
                quantity,
                row[quantity],
                "" if quantity == "estimated" else unit,
            )
        if "reason" in row:
            yield "measurement", row["key"], "reason", row["reason"], ""
    for s in data["sutures"]:
        for key, value in s.items():
            if key != "index":
                yield "suture", str(s["index"]), key, value, _unit(key)
    for section in ("suture_summary", "tissue_strain", "ring_deformation", "solver"):
        for key, value in (data[section] or {}).items():
            if not isinstance(value, list | dict):
                yield section, "", key, value, _unit(key)
    summary = data["suture_summary"] or {}
    for region, strength in summary.get("pullout_strength_n", {}).items():
        yield "suture_summary", region, "pullout_strength_n", strength, "N"
    yield from _closure_rows(data["closure"])
    for row in data["sensitivity"] or []:
        item = f"{row['parameter']} x{_csv_value(row['scale'])}"
        for key, value in row.items():
            if key not in ("parameter", "scale") and not isinstance(value, list | dict):
                yield "sensitivity", item, key, value, _unit(key)


def _device_rows(
    device: Mapping[str, Any] | None, safety: Mapping[str, Any] | None
) -> Iterator[tuple[str, str, str, Any, str]]:
    """The CSV rows of the ``device`` and ``safety`` keys."""
    for key, value in (device or {}).items():
        if not isinstance(value, list | dict) and value is not None:
            yield "device", "", key, value, _unit(key)
    path = (device or {}).get("coronary_sinus") or {}
    for key, value in path.items():
        yield "coronary_sinus", "", key, value, _unit(key)
    for anchor in (device or {}).get("anchors", []):
        for key, value in anchor.items():
            if key != "name":
                yield "anchor", anchor["name"], key, value, _unit(key)
    for warning in (device or {}).get("anchor_warnings", []):
        yield "device", "", "anchor_warning", warning, ""
    for key, value in (safety or {}).items():
        if not isinstance(value, list | dict) and value is not None:
            yield "safety", "", key, value, _unit(key)
    closest = (safety or {}).get("closest") or {}
    if closest:
        yield "safety", "closest", "device_arc_mm", closest["device_arc_mm"], "mm"
    for k, crossing in enumerate((safety or {}).get("crossings", []), start=1):
        yield "safety_crossing", str(k), "device_arc_mm", crossing["device_arc_mm"], "mm"
        yield "safety_crossing", str(k), "distance_mm", crossing["distance_mm"], "mm"


def _closure_rows(closure: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any, str]]:
    """The CSV rows of the ``closure`` key (:func:`closure_section`)."""
    yield "closure", "", "status", closure["status"], ""
    for key, value in (closure["failure"] or {}).items():
        yield "closure_failure", "", key, value, ""
    for key, value in (closure["model"] or {}).items():
        yield "closure_model", "", key, value, _unit(key)
    for case in ("native", "repaired"):
        for key, value in (closure[case] or {}).items():
            yield "closure", case, key, value, _unit(key)
    for station in closure["stations"]:
        for key, value in station.items():
            if key != "station":
                yield "coaptation_station", str(station["station"]), key, value, _unit(key)


def report_csv(data: Mapping[str, Any]) -> str:
    """The report's numbers as CSV text.

    Parameters
    ----------
    data : dict
        :func:`report_data`.

    Returns
    -------
    str
        :func:`report_rows` under a header line, ``\\n`` line ends; floats in full
        precision (``repr``), None and non-finite numbers empty, booleans ``true``/``false``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "quantity", "value", "unit"])
    for section, item, quantity, value, unit in report_rows(data):
        writer.writerow([section, item, quantity, _csv_value(value), unit])
    return out.getvalue()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def report_json(data: Mapping[str, Any]) -> str:
    """The report's numbers as JSON text.

    Parameters
    ----------
    data : dict
        :func:`report_data`.

    Returns
    -------
    str
        ``data`` indented by two spaces, non-ASCII kept, non-finite numbers as null, with a
        final newline.
    """
    return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# -- files ------------------------------------------------------------------------------------


def check_report_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if a report can be written there, else an :class:`InputError`
    (a name not ending in ``.html`` or ``.pdf``, a folder missing or not writable, a PDF
    without WeasyPrint): what :func:`write_report` checks first, for callers with long work
    to do before it (a closure solve)."""
    target = _check_target(path)
    if target.suffix.lower() == ".pdf":
        _weasyprint()
    return target


def _check_target(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    if target.suffix.lower() not in _SUFFIXES:
        raise InputError(
            "a report file name must end in .html or .pdf", source=target.name or str(path)
        )
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write the report: folder {parent} does not exist")
    if target.is_dir():
        raise InputError(f"cannot write the report: {target} is a folder")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write the report: no permission to write in {parent}")
    return target


def _weasyprint() -> Any:
    """The optional WeasyPrint module (HTML to PDF), or an :class:`InputError` saying so."""
    try:
        with warnings.catch_warnings():
            # WeasyPrint warns at import that a future version will need HarfBuzz's subset
            # library (font subsetting); this one works without it: not the user's concern.
            warnings.filterwarnings("ignore", message=".*HarfBuzz-Subset.*")
            import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango missing from the system
        raise InputError(
            f"a PDF report needs WeasyPrint and Pango ({error}); install them "
            "(pip install weasyprint) or write an .html report"
        ) from error
    return weasyprint


def _pdf_bytes(page: str) -> bytes:
    return bytes(_weasyprint().HTML(string=page).write_pdf())


def write_report(
    plan: Plan,
    result: AnnuloplastyResult | None,
    spec: RingSpec | None,
    path: str | os.PathLike[str],
    *,
    recommendation: SizeRecommendation | None = None,
    images: bool = True,
    size: Sequence[int] = DEFAULT_IMAGE_SIZE,
    background: str | Sequence[float] = "white",
    plan_file: str | None = None,
    generated: datetime | None = None,
    reproducible: bool = False,
    closure: ClosureOutcome | None = None,
    closure_failure: ClosureFailure | None = None,
    sensitivity: Sequence[Mapping[str, Any]] | None = None,
) -> list[Path]:
    """Write the plan report and its numbers: ``NAME.html`` (or ``.pdf``), ``.csv``, ``.json``.

    Parameters
    ----------
    plan, result, spec, recommendation, closure, closure_failure, sensitivity
        As :func:`report_data` (``spec`` None: the plan's own ring). A closure failure is
        written into the report (it is not raised): the caller decides how to exit.
    path : path
        The report, ending in ``.html`` (a self-contained page) or ``.pdf`` (needs the
        optional WeasyPrint); the CSV and JSON files go beside it with the same stem. Each
        file is written atomically.
    images : bool
        Render the three 3D views, and a view of each closed valve, off screen (VTK);
        False leaves them out.
    size : (int, int)
        Width and height of each view, pixels.
    background : str or RGB
        Background of the views (:func:`mvplan.render.colours.resolve_theme`).
    plan_file : str, optional
        The plan file's name, for the title (only the base name is shown).
    generated : datetime, optional
        The date to print (default: now).
    reproducible : bool
        Leave out the date and the solvers' wall times: the same plan then gives the same
        bytes (the 3D views aside, which the graphics driver draws).

    Returns
    -------
    list of Path
        The report, the CSV and the JSON file.

    Raises
    ------
    InputError
        A bad file name or a folder that cannot be written, a bad image size or background,
        a PDF without WeasyPrint, a recommendation for another ring, a closure and a
        failure of the same case.
    """
    target = _check_target(path)
    pdf = target.suffix.lower() == ".pdf"
    if pdf:
        _weasyprint()  # fail before the work when it is missing
    if images:
        size = _image_size(size)
    when = None if reproducible else (generated or datetime.now().astimezone())
    timing = not reproducible
    data = report_data(
        plan,
        result,
        spec,
        recommendation,
        generated=when,
        timing=timing,
        plan_file=plan_file,
        closure=closure,
        closure_failure=closure_failure,
        sensitivity=sensitivity,
    )
    if plan.ring is None:
        spec, result = None, None
    after = None if result is None else saddle_profile(result.annulus_after, plan.annulus.plane)
    profile = charts.saddle_profile_chart(saddle_profile(plan.annulus), after)
    views = render_views(plan, spec, result, size=size, background=background) if images else {}
    closure_views = {}
    if images and closure is not None:
        closure_views = render_closure_views(closure, size=size, background=background)
    page = report_html(
        data,
        profile_svg=profile,
        views=views,
        image_size=(size[0], size[1]),
        closure_views=closure_views,
    )
    files = [
        (target, _pdf_bytes(page) if pdf else page.encode("utf-8")),
        (target.with_suffix(".csv"), report_csv(data).encode("utf-8")),
        (target.with_suffix(".json"), report_json(data).encode("utf-8")),
    ]
    for file, payload in files:
        try:
            write_atomic(file, payload)
        except OSError as error:
            reason = error.strerror or str(error)
            raise InputError(f"cannot write the report: {reason}", source=file.name) from error
    return [file for file, _ in files]


def _image_size(size: Sequence[int]) -> tuple[int, int]:
    from mvplan.render.offscreen import check_size

    return check_size(size)
