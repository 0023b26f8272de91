"""The plan report: one self-contained HTML page (or PDF), with every number also as CSV and JSON.

This module gathers the numbers and writes the files; it is the report's public entry point.
:func:`report_data` gathers what a report says about a plan into one JSON-ready dict: the
input, the ring and why this size, the measurements before and after with their change, the
suture forces, tissue strain, ring deformation and the solver's figures. The HTML page, the
CSV table and the JSON file are all written from that dict, so they cannot disagree:
:func:`report_csv` and :func:`report_json` here, :func:`report_html` in
:mod:`mvplan.export.report_html` (which lays out the page), with the 3D views rendered by
:mod:`mvplan.export.report_views`. Both modules' public names are re-exported here.

:func:`write_report` writes the files side by side (``report.html``, ``report.csv``,
``report.json``), each atomically, and turns a file that cannot be written into an
:class:`~mvplan.errors.InputError` that says why. The page inlines its CSS, its charts (SVG,
:mod:`mvplan.export.charts`) and its three 3D views (PNG as ``data:`` URIs), so it can be
mailed or archived alone.

Reproducibility: the same plan and result give the same CSV, JSON and HTML bytes, but for two
things that change from run to run: the date the report was made and the solver's wall time.
``reproducible=True`` leaves both out (and ``generated=`` fixes the date); the 3D views are
rendered by the graphics driver and may differ in a few pixels between machines.

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
from mvplan.workflow import ring_spec

from . import charts
from .report_html import DISCLAIMER, report_html
from .report_views import DEFAULT_IMAGE_SIZE, VIEW_TITLES, png_bytes, render_views

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "DISCLAIMER",
    "REPORT_FORMAT",
    "VIEW_TITLES",
    "png_bytes",
    "render_views",
    "report_csv",
    "report_data",
    "report_html",
    "report_json",
    "report_rows",
    "write_report",
]

#: Version of the JSON layout of :func:`report_data`.
REPORT_FORMAT = 1
_SUFFIXES = (".html", ".htm", ".pdf")
#: Units by key suffix (``_mm2`` before ``_mm``).
_UNITS: tuple[tuple[str, str], ...] = (
    ("_mm2", "mm2"),
    ("_mm", "mm"),
    ("_n", "N"),
    ("_deg", "deg"),
    ("_percent", "%"),
    ("_ms", "ms"),
)


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
        Include the solver's wall time (it differs from run to run of the same plan).
    plan_file : str, optional
        The plan file's name (only its base name is kept).

    Returns
    -------
    dict
        Keys ``report``, ``input``, ``ring``, ``sizing``, ``simulation``, ``measurements``,
        ``sutures``, ``suture_summary``, ``tissue_strain``, ``ring_deformation``,
        ``solver``; lengths mm, areas mm2, forces N, angles and rotations deg, strain %.

    Raises
    ------
    InputError
        A recommendation for another ring than the plan's.
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
        "simulation": {"simulated": result is not None, "note": note},
        "measurements": _measurement_rows(pre.to_dict(), figures),
        **_result_sections(figures, plan, timing),
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
        "tissue_strain": {
            "min_percent": 100.0 * strain["min"],
            "max_percent": 100.0 * strain["max"],
            "mean_abs_percent": 100.0 * strain["mean_abs"],
        },
        "ring_deformation": {
            "model": ring["model"],
            "max_mm": ring["deformation_max_mm"],
            "mean_mm": ring["deformation_mean_mm"],
            "max_rotation_deg": math.degrees(ring["max_rotation_rad"]),
        },
        "solver": solver_out,
    }


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
) -> list[Path]:
    """Write the plan report and its numbers: ``NAME.html`` (or ``.pdf``), ``.csv``, ``.json``.

    Parameters
    ----------
    plan, result, spec, recommendation
        As :func:`report_data` (``spec`` None: the plan's own ring).
    path : path
        The report, ending in ``.html`` (a self-contained page) or ``.pdf`` (needs the
        optional WeasyPrint); the CSV and JSON files go beside it with the same stem. Each
        file is written atomically.
    images : bool
        Render the three 3D views off screen (VTK); False leaves them out.
    size : (int, int)
        Width and height of each view, pixels.
    background : str or RGB
        Background of the views (:func:`mvplan.render.colours.resolve_theme`).
    plan_file : str, optional
        The plan file's name, for the title (only the base name is shown).
    generated : datetime, optional
        The date to print (default: now).
    reproducible : bool
        Leave out the date and the solver's wall time: the same plan then gives the same
        bytes (the 3D views aside, which the graphics driver draws).

    Returns
    -------
    list of Path
        The report, the CSV and the JSON file.

    Raises
    ------
    InputError
        A bad file name or a folder that cannot be written, a bad image size or background,
        a PDF without WeasyPrint, a recommendation for another ring.
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
        plan, result, spec, recommendation, generated=when, timing=timing, plan_file=plan_file
    )
    if plan.ring is None:
        spec, result = None, None
    after = None if result is None else saddle_profile(result.annulus_after, plan.annulus.plane)
    profile = charts.saddle_profile_chart(saddle_profile(plan.annulus), after)
    views = render_views(plan, spec, result, size=size, background=background) if images else {}
    page = report_html(data, profile_svg=profile, views=views, image_size=(size[0], size[1]))
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
