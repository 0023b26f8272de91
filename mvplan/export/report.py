"""The plan report: one self-contained HTML page (or PDF), with every number also as CSV and JSON.

:func:`report_data` gathers what a report says about a plan into one JSON-ready dict: the
input, the ring and why this size, the measurements before and after with their change, the
suture forces, tissue strain, ring deformation and the solver's figures. The HTML page, the
CSV table and the JSON file are all written from that dict, so they cannot disagree.
:func:`write_report` writes them side by side (``report.html``, ``report.csv``,
``report.json``); the page inlines its CSS, its charts (SVG, :mod:`mvplan.export.charts`) and
its three 3D views (PNG as ``data:`` URIs), so it can be mailed or archived alone.

Reproducibility: the same plan and result give the same CSV, JSON and HTML bytes, but for two
things that change from run to run: the date the report was made and the solver's wall time.
``reproducible=True`` leaves both out (and ``generated=`` fixes the date); the 3D views are
rendered by the graphics driver and may differ in a few pixels between machines.

Every report says, at the top and in the footer, that mvplan is for research use only.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

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

#: Shown at the top and in the footer of every report, and stored in its JSON.
DISCLAIMER = "Research use only, not for clinical decisions."
#: Version of the JSON layout of :func:`report_data`.
REPORT_FORMAT = 1
#: The 3D views of a report, camera presets of :data:`mvplan.render.VIEWS`, with captions.
VIEW_TITLES: Mapping[str, str] = {
    "atrial": "Atrial (surgeon's) view, A at the top",
    "lateral": "Lateral view from the posteromedial side, atrium up",
    "ap": "View from the posterior side toward A, atrium up",
}
#: Default size of each 3D view (width, height), pixels.
DEFAULT_IMAGE_SIZE = (800, 500)
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
    """The report's numbers as tidy rows ``(section, item, quantity, value, unit)``."""
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
    """:func:`report_rows` as CSV text with a header line (``\\n`` line ends)."""
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
    """``data`` as indented JSON text (non-finite numbers as null)."""
    return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# -- HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 980px;
  padding: 16px 24px; line-height: 1.4; font-size: 14px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 26px 0 8px;
  border-bottom: 1px solid #ccc; padding-bottom: 3px; }
.sub { color: #555; margin: 0 0 10px; }
.disclaimer { border: 2px solid #b03a2e; background: #fdedec; color: #7b241c; padding: 8px 12px;
  font-weight: bold; margin: 10px 0; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f2f4f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.flag td, tr.flag th { background: #fdebd0; }
.note { color: #555; font-size: 13px; } .warn { color: #a04000; font-weight: bold; }
figure { margin: 8px 0 14px; } figcaption { color: #555; font-size: 13px; }
figure img, figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
footer { margin-top: 30px; border-top: 1px solid #ccc; padding-top: 8px; color: #555;
  font-size: 13px; }
@media print { body { max-width: none; } section { break-inside: avoid; } }
"""


#: Rows of the key-value tables: (key, label, format spec or "" for text, unit).
_TEXT_COLUMNS = frozenset({"unit", "region", "near_pullout"})
_CELL_CLASS = {False: ' class="num"', True: ""}
_STRAIN_ROWS = (
    ("min_percent", "Tissue strain, least (negative: compression)", "+.1f", "%"),
    ("max_percent", "Tissue strain, most", "+.1f", "%"),
    ("mean_abs_percent", "Tissue strain, mean of |strain|", ".1f", "%"),
)
_RING_ROWS = (
    ("model", "Ring model", "", ""),
    ("max_mm", "Ring deformation, max", ".2f", "mm"),
    ("mean_mm", "Ring deformation, mean", ".2f", "mm"),
    ("max_rotation_deg", "Ring cross-section rotation, max", ".2f", "deg"),
)
_SOLVER_ROWS = (
    ("converged", "Converged", "", ""),
    ("relative_residual", "Relative residual", ".2e", ""),
    ("tolerance", "Tolerance (relative)", ".0e", ""),
    ("residual_n", "Residual force", ".2e", "N"),
    ("load_norm_n", "Suture pretension (load norm)", ".1f", "N"),
    ("iterations", "Newton iterations", "", ""),
    ("time_ms", "Time", ".0f", "ms"),
    ("annulus_nodes", "Annulus nodes", "", ""),
    ("ring_nodes", "Ring nodes", "", ""),
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: Any, spec: str = "") -> str:
    """A value as the report shows it: ``format(value, spec)``; ``n/a`` for None, yes/no."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _e(format(value, spec) if spec else value)


def _kv_table(table_id: str, rows: Sequence[tuple[str, str, str]]) -> str:
    """A two-column table; each row ``(key, label, cell HTML)`` (the cell already escaped)."""
    body = "".join(
        f'<tr data-key="{_e(k)}"><th>{_e(label)}</th><td>{cell}</td></tr>'
        for k, label, cell in rows
    )
    return f'<table id="{table_id}"><tbody>{body}</tbody></table>'


def _kv_rows(
    values: Mapping[str, Any], spec: Sequence[tuple[str, str, str, str]]
) -> list[tuple[str, str, str]]:
    return [
        (key, label, _fmt(values[key], fmt) + (f" {unit}" if unit else ""))
        for key, label, fmt, unit in spec
        if key in values
    ]


def _grid(
    table_id: str, head: Sequence[str], rows: Sequence[tuple[str, str, bool, list[tuple[str, str]]]]
) -> str:
    """A table with a header; each row ``(key, row label, flagged, [(column, cell HTML)])``.

    Cells carry ``data-col`` (the JSON key of their value) so the page can be read back;
    numbers are right-aligned, the columns of :data:`_TEXT_COLUMNS` not.
    """
    body = []
    for key, label, flagged, cells in rows:
        tds = "".join(
            f'<td{_CELL_CLASS[c in _TEXT_COLUMNS]} data-col="{c}">{text}</td>' for c, text in cells
        )
        flag = ' class="flag"' if flagged else ""
        body.append(f'<tr data-key="{_e(key)}"{flag}><th>{_e(label)}</th>{tds}</tr>')
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    return (
        f'<table id="{table_id}"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _section(section_id: str, title: str, *parts: str) -> str:
    return "\n".join([f'<section id="{section_id}"><h2>{_e(title)}</h2>', *parts, "</section>"])


def _note(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{_e(text)}</p>'


def _header(data: Mapping[str, Any]) -> str:
    meta, inp = data["report"], data["input"]
    title = "Annuloplasty plan report" + (f": {meta['plan_name']}" if meta["plan_name"] else "")
    files = [f"plan file {meta['plan_file']}"] if meta["plan_file"] else []
    files.append(f"annulus {inp['source']}")
    disclaimer = f"{DISCLAIMER} Its models and numbers are not validated for patient care."
    out = [
        f"<header><h1>{_e(title)}</h1>",
        _note(", ".join(files), "sub"),
        f'<p class="disclaimer" role="note">{_e(disclaimer)}</p>',
    ]
    if meta["plan_notes"]:
        out.append(_note(f"Notes: {meta['plan_notes']}"))
    out.append(f'<p id="status">{_e(data["simulation"]["note"])}</p></header>')
    return "\n".join(out)


def _input_html(inp: Mapping[str, Any]) -> str:
    inferred = " (inferred from the curve's size)" if inp["units_inferred"] else ""
    marks = [f"{m['name']} ({'given' if m['given'] else 'estimated'})" for m in inp["landmarks"]]
    spacing = f"{inp['resampled_points']} ({_fmt(inp['spacing_mm'], '.2f')} mm apart)"
    rows = [
        ("source", "Annulus file", _e(inp["source"])),
        ("input_points", "Points read", _fmt(inp["input_points"])),
        ("resampled_points", "Resampled points", spacing),
        ("input_units", "Input units", _e(inp["input_units"] + inferred)),
        ("orientation", "Atrial side decided by", _e(inp["orientation"])),
        ("landmarks", "Landmarks", _e(", ".join(marks) or "none")),
    ]
    for name, reason in inp["missing_landmarks"].items():
        rows.append((f"missing_{name}", f"Landmark {name}", _e(f"not known: {reason}")))
    tips = inp["papillary"]
    rows.append(
        (
            "papillary",
            "Papillary tips",
            "not given" if tips is None else f"{tips['points']} points, input coordinates",
        )
    )
    for muscle in ("anterolateral", "posteromedial") if tips is not None else ():
        xyz = ", ".join(_fmt(c, ".1f") for c in tips[f"{muscle}_mm"])
        rows.append((f"papillary_{muscle}", f"Papillary tip, {muscle}", f"({xyz}) mm"))
    warnings = [_note(w, "warn") for w in inp["warnings"]]
    return _section("input", "Input", _kv_table("input-table", rows), *warnings)


def _ring_html(ring: Mapping[str, Any] | None, sizing: Mapping[str, Any] | None) -> str:
    if ring is None:
        return _section("ring", "Ring", "<p>No device in this plan.</p>")
    adjust = f"{ring['adjustment_mm']:+g} mm AP" if ring["adjustment_mm"] else "none"
    if ring["adjustable_range_mm"] is not None:
        adjust += " (adjustable {:g} to {:g} mm)".format(*ring["adjustable_range_mm"])
    stiffness = ring["stiffness_class"] + "".join(
        f"; {s['name']} segment ({s['from']} to {s['to']}) {s['stiffness_class']}"
        for s in ring["segments"]
    )
    name = ring["name"] + (f" (resembles {ring['resembles']})" if ring["resembles"] else "")
    rows = [
        ("family", "Ring", _e(f"{name}, id {ring['family']}")),
        ("size_mm", "Size", _e(f"{ring['size_mm']:g} mm ({ring['size_means']} of the ring)")),
        ("adjustment_mm", "Adjustment", _e(adjust)),
        ("kind", "Type", _e(f"{ring['kind']}, {ring['shape']}")),
        ("stiffness_class", "Stiffness", _e(stiffness)),
        ("sutures", "Sutures", _fmt(ring["sutures"])),
    ]
    return _section("ring", "Ring and size", _kv_table("ring-table", rows), _sizing_html(sizing))


def _sizing_html(sizing: Mapping[str, Any] | None) -> str:
    if sizing is None:
        return ""
    if sizing["source"] == "unavailable":
        return f'<p id="size-reason">No size recommendation: {_e(sizing["reason"])}</p>'
    steps = sizing["sizes_from_true_size"]
    verdict = "The plan's size is the true size."
    if steps:
        verdict = (
            f"The plan's size {sizing['plan_size_mm']:g} is {abs(steps)} size"
            f"{'s' if abs(steps) > 1 else ''} {'smaller' if steps < 0 else 'larger'} than the "
            f"true size {sizing['true_size_mm']:g} ({'under' if steps < 0 else 'over'}sized)."
        )
    head = f"Size chosen by the {sizing['policy']} policy: "
    if sizing["source"] != "plan":
        head = "True-size recommendation for comparison (no sizing policy came with the plan): "
    return f'<p id="size-reason">{_e(head + sizing["reason"] + ". " + verdict)}</p>'


def _measurements_html(rows: Sequence[Mapping[str, Any]], simulated: bool) -> str:
    columns = [("before", False)]
    if simulated:
        columns += [("after", False), ("change", True), ("change_percent", True)]
    grid = []
    for row in rows:
        digits = 3 if row["key"] == "sphericity_index" else 1
        cells = [
            (col, _fmt(row[col], f"{'+' if signed else ''}.{1 if '%' in col else digits}f"))
            for col, signed in columns
        ]
        if simulated and row["change_percent"] is None:
            cells[-1] = ("change_percent", "")
        label = row["label"] + (" *" if row["estimated"] else "")
        grid.append((row["key"], label, False, [*cells, ("unit", _e(row["unit"]))]))
    head = ["Measurement", "Before"] + (["After", "Change", "Change %"] if simulated else [])
    notes = [_note("Definitions: DESIGN.md section 4; change % for lengths and areas only.")]
    if any(r["estimated"] for r in rows):
        notes.append(_note("* rests on an estimated landmark"))
    notes += [_note(f"{r['label']}: {r['reason']}") for r in rows if "reason" in r]
    table = _grid("measurements-table", [*head, "Unit"], grid)
    return _section("measurements", "Measurements", table, *notes)


def _sutures_html(data: Mapping[str, Any]) -> str:
    summary, sutures = data["suture_summary"], data["sutures"]
    if summary is None or not sutures:
        return _section("sutures", "Suture forces", "<p>No suture forces: no simulation.</p>")
    chart = charts.suture_force_chart(
        [s["force_n"] for s in sutures],
        [s["region"] for s in sutures],
        {s["region"]: s["warn_level_n"] for s in sutures},
        near_pullout=[s["near_pullout"] for s in sutures],
    )
    strengths = ", ".join(f"{r} {v:g} N" for r, v in summary["pullout_strength_n"].items())
    caption = (
        "Force of each suture (ring order), coloured by the annulus region it is sewn to; "
        f"dashed: the force at which a suture is flagged, {summary['warn_fraction']:g} of the "
        f"region's mean pull-out strength ({strengths}); !: flagged."
    )
    rows = [
        (
            str(s["index"]),
            str(s["index"]),
            bool(s["near_pullout"]),
            [
                ("region", _e(s["region"])),
                ("force_n", _fmt(s["force_n"], ".2f")),
                ("strength_percent", _fmt(s["strength_percent"], ".0f")),
                ("warn_level_n", _fmt(s["warn_level_n"], ".2f")),
                ("near_pullout", "near pull-out" if s["near_pullout"] else ""),
            ],
        )
        for s in sutures
    ]
    head = ["Suture", "Region", "Force (N)", "% of mean pull-out strength", "Warning at (N)"]
    line = (
        f"{summary['count']} sutures; force max {_fmt(summary['max_n'], '.2f')} N, mean "
        f"{_fmt(summary['mean_n'], '.2f')} N; {summary['near_pullout']} near pull-out."
    )
    return _section(
        "sutures",
        "Suture forces",
        f'<figure id="suture-chart">{chart}<figcaption>{_e(caption)}</figcaption></figure>',
        _grid("sutures-table", [*head, "Flag"], rows),
        f'<p id="suture-summary">{_e(line)}</p>',
        *(_note(f"Warning: {w}", "warn") for w in summary["warnings"]),
    )


def _mechanics_html(data: Mapping[str, Any]) -> str:
    strain, ring, solver = data["tissue_strain"], data["ring_deformation"], data["solver"]
    if strain is None or ring is None or solver is None:
        return _section("solver", "Solver", "<p>No simulation was run.</p>")
    explain = _note(
        "Strain: engineering strain of each annulus segment against the native annulus. Ring "
        "deformation: distance of each ring node from the ring as placed, moved rigidly to "
        "fit it best."
    )
    rows = _kv_rows(strain, _STRAIN_ROWS) + _kv_rows(ring, _RING_ROWS)
    return "\n".join(
        [
            _section(
                "mechanics",
                "Tissue strain and ring deformation",
                _kv_table("mechanics-table", rows),
                explain,
            ),
            _section("solver", "Solver", _kv_table("solver-table", _kv_rows(solver, _SOLVER_ROWS))),
        ]
    )


def _views_html(views: Mapping[str, bytes], size: tuple[int, int]) -> str:
    figures = []
    for name, png in views.items():
        data = base64.b64encode(png).decode("ascii")
        title = _e(VIEW_TITLES.get(name, name))
        figures.append(
            f'<figure class="view" data-view="{_e(name)}"><img src="data:image/png;base64,'
            f'{data}" width="{size[0]}" height="{size[1]}" alt="{title}">'
            f"<figcaption>{title}</figcaption></figure>"
        )
    return _section("views", "3D views", *(figures or ["<p>3D views not rendered.</p>"]))


def report_html(
    data: Mapping[str, Any],
    *,
    profile_svg: str | None = None,
    views: Mapping[str, bytes] | None = None,
    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE,
) -> str:
    """The report page: one self-contained HTML document (CSS, charts and images inline).

    Parameters
    ----------
    data : dict
        :func:`report_data`.
    profile_svg : str, optional
        The saddle profile chart (:func:`mvplan.export.charts.saddle_profile_chart`).
    views : mapping of str to bytes, optional
        PNG images of the 3D views by view name (:func:`render_views`).
    image_size : (int, int)
        Width and height of the views, pixels.
    """
    meta = data["report"]
    title = "mvplan report" + (f": {meta['plan_name']}" if meta["plan_name"] else "")
    profile = ""
    if profile_svg:
        caption = (
            "Height above the native annulus plane (+ toward the atrium) along the annulus "
            "from A through ALC, P and PMC; dashed and starred: estimated landmarks."
        )
        figure = f'<figure id="profile-chart">{profile_svg}<figcaption>{caption}</figcaption>'
        profile = _section("profile", "Saddle profile", figure + "</figure>")
    generated = f"generated {meta['generated']}" if meta["generated"] else "date not recorded"
    footer = (
        f"<footer><p>mvplan {_e(meta['version'])}, {_e(generated)}; report format "
        f"{meta['format']}. Every number is also in the CSV and JSON files beside this page."
        f'</p><p class="disclaimer">{_e(DISCLAIMER)}</p></footer>'
    )
    return "\n".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f'<meta name="generator" content="mvplan {_e(meta["version"])}">',
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
            _header(data),
            _input_html(data["input"]),
            _ring_html(data["ring"], data["sizing"]),
            _measurements_html(data["measurements"], data["simulation"]["simulated"]),
            profile,
            _sutures_html(data),
            _mechanics_html(data),
            _views_html(views or {}, image_size),
            footer,
            "</body></html>\n",
        ]
    )


# -- images and files ----------------------------------------------------------------------------


def png_bytes(rgb: npt.NDArray[np.uint8]) -> bytes:
    """A PNG file of an ``(height, width, 3)`` uint8 RGB image (first row at the top).

    Deterministic (same pixels, same bytes) and dependency-free. Rows use the PNG "Sub"
    filter (each byte minus the one a pixel to the left): on a 800 x 500 render of the sample
    plan that is 8 % smaller than unfiltered rows and within 3 % of VTK's libpng writer.
    """
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) RGB image, got shape {image.shape}")
    height, width, _ = image.shape
    rows = image.reshape(height, width * 3)
    filtered = rows.copy()
    filtered[:, 3:] = rows[:, 3:] - rows[:, :-3]  # uint8 wraps modulo 256, as PNG wants
    raw = np.hstack([np.ones((height, 1), dtype=np.uint8), filtered]).tobytes()

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = chunk(b"IDAT", zlib.compress(raw, 9))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


def render_views(
    plan: Plan,
    spec: RingSpec | None,
    result: AnnuloplastyResult | None,
    *,
    size: Sequence[int] = DEFAULT_IMAGE_SIZE,
    background: str | Sequence[float] = "white",
) -> dict[str, bytes]:
    """PNG images of the plan in each view of :data:`VIEW_TITLES`, rendered off screen.

    Parameters as :func:`write_report`. One off-screen window serves the three views. A
    process with no display should call :func:`mvplan.headless.configure_headless` before
    VTK is first imported.
    """
    # VTK is imported here, not with the module: a report without images needs none.
    from mvplan.render import grab_image, offscreen_scene

    if plan.ring is None:
        spec, result = None, None
    elif spec is None:
        spec = ring_spec(plan)
    out = {}
    with offscreen_scene(size, background) as scene:
        scene.set_annulus(plan.annulus)
        scene.set_ring(spec, plan.placement if spec is not None else None)
        scene.set_result(result)
        window = scene.renderer.GetRenderWindow()
        for view in VIEW_TITLES:
            scene.set_view(view)
            window.Render()
            out[view] = png_bytes(grab_image(window))
    return out


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
