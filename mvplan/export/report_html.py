"""The plan report's HTML page: one self-contained document made from the report's dict.

:func:`report_html` lays out the dict of :func:`mvplan.export.report.report_data` as the
report page: the disclaimer, the input, the ring and why this size (a percutaneous device:
the device, its cinch, wire tension and anchor forces, and its distance to the circumflex
artery, highlighted when compression is flagged), the measurements before
and after, the suture forces with their chart, tissue strain, ring deformation, the solver's
figures, the leaflet closure (native against repaired, the coaptation length chart, a view of
each closed valve, the sensitivity table) and the 3D views. A closure that did not converge
is stated at the top of the page and in its section, and none of its figures is shown. The
CSS, the SVG charts (:mod:`mvplan.export.charts`) and the PNG
views (:mod:`mvplan.export.report_views`, as ``data:`` URIs) are inline, so the page can be
mailed or archived alone. Table rows carry ``data-key`` and cells ``data-col`` (the JSON key
of their value), so the page can be read back and checked against the JSON.

The page computes no number of its own: everything it shows comes from the dict, so it
cannot disagree with the CSV and JSON files written beside it. :data:`DISCLAIMER` lives here
because the page shows it twice; :mod:`mvplan.export.report` also stores it in the JSON.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from mvplan.planning.closure import CROSSING_WARNING

from . import charts
from .report_views import CLOSURE_PANELS, DEFAULT_IMAGE_SIZE, VIEW_TITLES

__all__ = ["DISCLAIMER", "report_html"]

#: Shown at the top and in the footer of every report, and stored in its JSON.
DISCLAIMER = "Research use only, not for clinical decisions."

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 980px;
  padding: 16px 24px; line-height: 1.4; font-size: 14px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 26px 0 8px;
  border-bottom: 1px solid #ccc; padding-bottom: 3px; }
.sub { color: #555; margin: 0 0 10px; }
.disclaimer { border: 2px solid #b03a2e; background: #fdedec; color: #7b241c; padding: 8px 12px;
  font-weight: bold; margin: 10px 0; }
.alert { border: 3px solid #922b21; background: #f9e0dc; color: #641e16; padding: 10px 14px;
  font-weight: bold; font-size: 16px; margin: 10px 0; }
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


#: Columns of :func:`_grid` that hold text, left-aligned (the others are numbers).
_TEXT_COLUMNS = frozenset({"unit", "region", "near_pullout"})
_CELL_CLASS = {False: ' class="num"', True: ""}
#: Rows of the key-value tables: (key, label, format spec or "" for text, unit).
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


#: Rows of the closure table: (key, label, format spec or "" for text, unit). Definitions:
#: :mod:`mvplan.valve.coaptation`.
_CLOSURE_ROWS = (
    ("coaptation_length_min_mm", "Coaptation length, least (central stations)", ".1f", "mm"),
    ("coaptation_length_mean_mm", "Coaptation length, mean (central stations)", ".1f", "mm"),
    ("contact_fraction", "Central stations in contact", ".0%", ""),
    ("coaptation_area_mm2", "Coaptation area", ".0f", "mm2"),
    ("regurgitant_orifice_area_mm2", "Regurgitant orifice (systole)", ".1f", "mm2"),
    ("closed", "Valve closed (orifice below 5 mm2)", "", ""),
    ("tenting_height_mm", "Tenting height (coaptation depth)", ".1f", "mm"),
    ("tenting_area_mm2", "Tenting area (long-axis cut)", ".0f", "mm2"),
    ("tenting_volume_ml", "Tenting volume", ".2f", "ml"),
    ("diastolic_orifice_proxy_mm2", "Diastolic orifice (proxy)", ".0f", "mm2"),
    ("stenosis_warning", "Stenosis warning (proxy below 150 mm2)", "", ""),
    ("chord_force_max_n", "Chord force, most", ".2f", "N"),
    ("chord_force_sum_n", "Chord force, sum", ".1f", "N"),
    ("leaflet_stress_p95_mpa", "Leaflet stress, 95th percentile", ".3f", "MPa"),
    ("leaflet_strain_p95", "Leaflet strain (Green-Lagrange), 95th percentile", ".3f", ""),
    ("pressure_follower_error", "Pressure follower error (relative)", ".2f", ""),
    ("converged", "Solver converged", "", ""),
    ("relative_residual", "Solver relative residual", ".2e", ""),
    ("iterations", "Newton iterations", "", ""),
    ("time_ms", "Solver time", ".0f", "ms"),
)
#: Closure rows flagged when a case has them at this value.
_CLOSURE_FLAGS = {"closed": False, "stenosis_warning": True}
#: Names of the parameters of a sensitivity row.
_SENSITIVITY_LABELS = {
    "chord_rest_length": "Chord rest length",
    "leaflet_stiffness": "Leaflet stiffness",
}


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
    out.append(f'<p id="status">{_e(data["simulation"]["note"])}</p>')
    safety = data.get("safety") or {}
    if safety.get("warning"):
        text = f"Circumflex artery: {safety['warning']} (section below)."
        out.append(f'<p class="alert" id="safety-top-alert" role="alert">{_e(text)}</p>')
    closure = data["closure"]
    if closure["status"] == "not converged":
        out.append(f'<p class="alert" id="closure-alert" role="alert">{_e(closure["note"])}</p>')
    out.append("</header>")
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


def _device_html(device: Mapping[str, Any]) -> str:
    """The device section: what it is, its cinch and, simulated, its wire and anchors."""
    kind = "coronary-sinus device" if device["type"] == "coronary-sinus" else "transcatheter band"
    name = device["name"] + (f" (resembles {device['resembles']})" if device["resembles"] else "")
    cinch = (
        f"{device['cinch_mm']:.3g} mm ({device['cinch_percent']:.1f} % of its length; up to "
        f"{device['cinch_max_percent']:g} %)"
    )
    rows = [
        ("family", "Device", _e(f"{name}, id {device['family']}")),
        ("type", "Type", _e(kind)),
        ("size_mm", "Size", _e(f"{device['size_mm']:g} mm between the end anchors")),
        ("cinch_mm", "Cinch", _e(cinch)),
    ]
    path = device["coronary_sinus"]
    if path is not None:
        source = "estimated from the annulus" if path["source"] == "estimated" else path["source"]
        rows.append(
            ("coronary_sinus", "Coronary sinus", _e(f"{source}, {path['length_mm']:.1f} mm long"))
        )
    if "wire_tension_n" not in device:
        table = _kv_table("device-table", rows)
        return _section("device", "Device", table, "<p>No simulation: no forces.</p>")
    wire = "Ribbon" if device["type"] == "coronary-sinus" else "Contraction wire"
    length = (
        f"{device['wire_length_native_mm']:.1f} mm native, {device['wire_length_after_mm']:.1f} "
        "mm cinched"
    )
    rows += [
        ("wire_tension_n", f"{wire} tension", _fmt(device["wire_tension_n"], ".2f") + " N"),
        ("wire_length_mm", f"{wire} length between the end anchors", _e(length)),
        (
            "anchor_force_max_n",
            "Anchor force, most",
            _fmt(device["anchor_force_max_n"], ".2f") + " N",
        ),
    ]
    if "coronary_sinus_strain_percent" in device:
        strain = _fmt(device["coronary_sinus_strain_percent"], "+.1f") + " % (negative: plicated)"
        rows.append(("coronary_sinus_strain_percent", "Coronary-sinus strain", strain))
    strength = device["pullout_strength_n"]
    anchors = [
        (
            a["name"],
            a["name"],
            bool(a["near_pullout"]),
            [
                ("force_n", _fmt(a["force_n"], ".2f")),
                ("strength_percent", _fmt(a["strength_percent"], ".0f")),
                ("near_pullout", "near pull-out" if a["near_pullout"] else ""),
            ],
        )
        for a in device["anchors"]
    ]
    head = ["Anchor", "Force (N)", f"% of pull-out strength ({strength:g} N)", "Flag"]
    reference = f"the mean pull-out strength of the annulus where the anchors hold ({strength:g} N)"
    if device["type"] == "coronary-sinus":
        reference = (
            f"the mean pull-out strength of the posterior annulus ({strength:g} N; no strength "
            "is published for anchors in the vein, so the same figure serves as the reference)"
        )
    note = _note(
        f"Anchor forces against {reference}; flagged from {device['warn_fraction']:g} of it."
    )
    warnings = [_note(f"Warning: {w}", "warn") for w in device["anchor_warnings"]]
    return _section(
        "device",
        "Device",
        _kv_table("device-table", rows),
        _grid("anchors-table", head, anchors),
        note,
        *warnings,
    )


def _safety_html(safety: Mapping[str, Any] | None) -> str:
    """The circumflex artery against the device, highlighted when compression is flagged."""
    if safety is None:
        return ""
    if not safety["assessed"]:
        return _section("safety", "Circumflex artery", f"<p>{_e(safety['note'])}</p>")
    closest = safety["closest"]
    distance = (
        f"{safety['min_distance_mm']:.1f} mm ({safety['state']}), "
        f"{closest['device_arc_mm']:.0f} mm from the device's {safety['measured_from']}; threshold "
        f"{safety['threshold_mm']:g} mm"
    )
    crossings = safety["crossings"]
    where = ", ".join(
        f"{c['device_arc_mm']:.0f} mm along the device ({c['distance_mm']:.1f} mm from it)"
        for c in crossings
    )
    rows = [
        ("artery_source", "Artery", _e(safety["artery_source"])),
        ("min_distance_mm", "Closest approach to the device", _e(distance)),
        ("crossings", "Crossings", _e(f"{len(crossings)}" + (f": {where}" if where else ""))),
        ("compression", "Compression flagged", _fmt(safety["compression"])),
    ]
    flagged = bool(safety["compression"] or crossings)
    parts = [_kv_table("safety-table", rows), _note(safety["note"])]
    if safety["warning"]:
        parts.insert(
            0,
            f'<p class="alert" id="safety-alert" role="alert">Warning: {_e(safety["warning"])}</p>',
        )
    elif not flagged:
        parts.append(_note("The artery stays clear of the device: nothing flagged."))
    return _section("safety", "Circumflex artery", *parts)


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
    if data.get("device") is not None:
        return ""  # a percutaneous device has anchors (its section), no sutures
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
    if strain is None or solver is None:
        return _section("solver", "Solver", "<p>No simulation was run.</p>")
    if ring is None:  # a percutaneous device: no ring to deform
        return _device_mechanics_html(strain, solver)
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


def _device_mechanics_html(strain: Mapping[str, Any], solver: Mapping[str, Any]) -> str:
    explain = _note(
        "Strain: engineering strain of each annulus segment against the native annulus."
    )
    labels = {"load_norm_n": "Cinch load (load norm)", "ring_nodes": "Device nodes"}
    spec = tuple((k, labels.get(k, label), f, u) for k, label, f, u in _SOLVER_ROWS)
    return "\n".join(
        [
            _section(
                "mechanics",
                "Tissue strain",
                _kv_table("mechanics-table", _kv_rows(strain, _STRAIN_ROWS)),
                explain,
            ),
            _section("solver", "Solver", _kv_table("solver-table", _kv_rows(solver, spec))),
        ]
    )


def _img(png: bytes, size: tuple[int, int], alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" width="{size[0]}" height="{size[1]}" '
        f'alt="{_e(alt)}">'
    )


def _closure_model_line(model: Mapping[str, Any]) -> str:
    tips = "estimated from the annulus" if model["papillary_tips_estimated"] else "as given"
    return (
        f"{model['resolution'].capitalize()} leaflet mesh ({model['leaflet_nodes']} nodes, "
        f"{model['triangles']} triangles; anterior leaflet {model['anterior_height_mm']:g} mm, "
        f"posterior {model['posterior_height_mm']:g} mm high), {model['chord_segments']} chord "
        f"segments to the papillary tips ({tips}), systolic pressure "
        f"{model['pressure_mmhg']:.0f} mmHg ({model['pressure_mpa']:g} MPa); in contact: "
        f"closer than {model['contact_tolerance_mm']:g} mm; converged: residual force below "
        f"{model['tolerance']:.0e} of the pressure load."
    )


def _closure_table(closure: Mapping[str, Any], device: str = "ring") -> str:
    failure = closure["failure"]
    cases = [("native", "Native")]
    if closure["repaired"] is not None:
        cases.append(("repaired", f"With {device}"))
    elif failure is not None and failure["case"] == "repaired":
        cases.append(("repaired", f"With {device}: did not converge"))
    rows = []
    for key, label, fmt, unit in _CLOSURE_ROWS:
        present = [closure[c] for c, _ in cases if closure[c] is not None]
        if not any(key in figures for figures in present):
            continue  # time_ms in a reproducible report
        cells, flagged = [], False
        for case, _ in cases:
            figures = closure[case]
            if figures is None:
                # A failed solve gives no figure, only how far the solver got.
                cell = "&#8212;"
                if key == "converged":
                    cell, flagged = "no", True
                elif key == "relative_residual":
                    cell = _fmt(failure["relative_residual"], fmt)
                cells.append((case, cell))
                continue
            value = figures.get(key)
            cells.append(
                (case, _fmt(value, fmt) + (f" {unit}" if unit and value is not None else ""))
            )
            flagged = flagged or (key in _CLOSURE_FLAGS and value == _CLOSURE_FLAGS[key])
        rows.append((key, label, flagged, cells))
    return _grid("closure-table", ["", *(title for _, title in cases)], rows)


def _closure_warnings(closure: Mapping[str, Any]) -> list[str]:
    notes = []
    for case, name in (("native", "native"), ("repaired", "repaired")):
        figures = closure[case]
        if figures is None:
            continue
        if not figures["closed"]:
            notes.append(
                f"The {name} valve does not close: a regurgitant orifice of "
                f"{figures['regurgitant_orifice_area_mm2']:.1f} mm2 stays open (closed below "
                "5 mm2)."
            )
        if figures["stenosis_warning"]:
            area_cm2 = figures["diastolic_orifice_proxy_mm2"] / 100.0
            notes.append(
                f"Warning: the {name} annulus leaves {area_cm2:.2f} cm2 of diastolic orifice "
                "(proxy; below 1.5 cm2): risk of functional mitral stenosis."
            )
        if figures.get("surfaces_cross"):
            notes.append(f"Warning: {CROSSING_WARNING.format(name=name)}")
    return [_note(n, "warn") for n in notes]


def _coaptation_chart(closure: Mapping[str, Any]) -> str:
    stations = closure["stations"]
    if not stations:
        return ""
    repaired = None
    if closure["repaired"] is not None:
        repaired = [s["repaired_mm"] for s in stations]
    svg = charts.coaptation_length_chart(
        [s["from_alc_percent"] for s in stations],
        [s["native_mm"] for s in stations],
        repaired,
        central=[s["central"] for s in stations],
        numbers=[s["station"] for s in stations],
        ends=(closure["ends"][0], closure["ends"][1]),
    )
    caption = (
        "Coaptation length at each station along the anterior free edge, from "
        f"{closure['ends'][0]} (the surgeon's left) to {closure['ends'][1]}: the height of the "
        "band where the leaflets touch (0: no contact); shaded: the central stations that "
        "the table summarises."
    )
    return f'<figure id="coaptation-chart">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def _closure_views(
    views: Mapping[str, bytes], size: tuple[int, int], device: str = "ring"
) -> list[str]:
    left, right = CLOSURE_PANELS
    out = []
    for case, png in views.items():
        title = "Native valve" if case == "native" else f"Valve with the {device}"
        caption = (
            f"{title}, closed: left, {left[0].lower()}{left[1:]}; right, {right[0].lower()}"
            f"{right[1:]}. Coloured by the gap to the other leaflet: teal where they touch, "
            "amber 1.5 mm apart, the tissue colour 5 mm or more."
        )
        out.append(
            f'<figure class="closure-view" data-closure-view="{_e(case)}">'
            f"{_img(png, size, title)}<figcaption>{_e(caption)}</figcaption></figure>"
        )
    return out


def _sensitivity_html(
    rows: Sequence[Mapping[str, Any]], repaired: bool, device: str = "ring"
) -> str:
    scales = [float(r["scale"]) for r in rows if isinstance(r.get("scale"), int | float)]
    spread = max((abs(v - 1.0) for v in scales), default=0.0)
    title = f"Sensitivity (±{100 * spread:.0f} %)" if spread else "Sensitivity"
    grid, errors = [], []
    for row in rows:
        converged = bool(row.get("converged"))
        parameter = str(row.get("parameter"))
        label = f"{_SENSITIVITY_LABELS.get(parameter, parameter)} × {_fmt(row.get('scale'), 'g')}"
        if not converged and row.get("error"):
            errors.append(_note(f"{label}: {row['error']}", "warn"))
        columns = (
            ("coaptation_length_mean_mm", ".1f"),
            ("delta_coaptation_length_mean_mm", "+.1f"),
            ("coaptation_length_min_mm", ".1f"),
            ("regurgitant_orifice_area_mm2", ".2f"),
            ("delta_regurgitant_orifice_area_mm2", "+.2f"),
            ("closed", ""),
        )
        # A perturbed solve that did not converge gives no figures.
        cells = [(c, _fmt(row.get(c), f) if converged else "&#8212;") for c, f in columns]
        cells.append(("converged", "yes" if converged else "did not converge"))
        grid.append((f"{parameter}:{row.get('scale')}", label, not converged, cells))
    head = [
        "Parameter scaled",
        "Coaptation length, mean (mm)",
        "Change (mm)",
        "Coaptation length, least (mm)",
        "Regurgitant orifice (mm2)",
        "Change (mm2)",
        "Closed",
        "Converged",
    ]
    which = f"closure with the {device}" if repaired else "native closure"
    note = _note(
        f"The {which} solved again with one uncertain parameter scaled at a time "
        "(every chord's rest length; the stiffness of both leaflets); changes from the "
        "closure above. A solve that did not converge gives no figures."
    )
    return "\n".join(
        [
            f'<h3 id="sensitivity">{_e(title)}</h3>',
            _grid("sensitivity-table", head, grid),
            note,
            *errors,
        ]
    )


def _closure_html(
    closure: Mapping[str, Any],
    sensitivity: Sequence[Mapping[str, Any]] | None,
    views: Mapping[str, bytes],
    size: tuple[int, int],
    device: str = "ring",
) -> str:
    parts = []
    if closure["status"] == "not converged":
        parts.append(f'<p class="alert" role="alert">{_e(closure["note"])}</p>')
    elif closure["status"] == "not simulated":
        parts.append(f"<p>{_e(closure['note'])}</p>")
    if closure["model"] is not None:
        if closure["status"] == "converged":
            parts.append(_note(closure["note"]))
        parts.append(f'<p id="closure-model">{_e(_closure_model_line(closure["model"]))}</p>')
        parts.append(_closure_table(closure, device))
        parts += _closure_warnings(closure)
        parts.append(
            _note(
                "Coaptation length: the band where the leaflets touch along each station's "
                "ruling, summarised over the middle two thirds of the anterior free edge. "
                "Regurgitant orifice: the annulus area, projected on its plane, that no "
                "leaflet covers. Tenting: the leaflets' depth below the annulus plane. "
                "Diastolic orifice: the annulus area the open leaflets would leave (a proxy). "
                "Follower error: the pressure model's difference from a true follower load. "
                "Definitions: mvplan.valve.coaptation."
            )
        )
        parts.append(_coaptation_chart(closure))
        parts += _closure_views(views, size, device)
    if sensitivity:
        parts.append(_sensitivity_html(sensitivity, closure["repaired"] is not None, device))
    return _section("closure", "Leaflet closure", *parts)


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
    closure_views: Mapping[str, bytes] | None = None,
) -> str:
    """The report page: one self-contained HTML document (CSS, charts and images inline).

    Parameters
    ----------
    data : dict
        The report's numbers, :func:`mvplan.export.report.report_data`.
    profile_svg : str, optional
        The saddle profile chart (:func:`mvplan.export.charts.saddle_profile_chart`).
    views : mapping of str to bytes, optional
        PNG images of the 3D views by view name
        (:func:`mvplan.export.report_views.render_views`).
    image_size : (int, int)
        Width and height of the views, pixels.
    closure_views : mapping of str to bytes, optional
        PNG images of the closed valves by case, ``native`` and ``repaired``
        (:func:`mvplan.export.report_views.render_closure_views`), of ``image_size``.

    Returns
    -------
    str
        The HTML document, ending in a newline.
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
            _device_html(data["device"])
            if data.get("device") is not None
            else _ring_html(data["ring"], data["sizing"]),
            _safety_html(data.get("safety")),
            _measurements_html(data["measurements"], data["simulation"]["simulated"]),
            profile,
            _sutures_html(data),
            _mechanics_html(data),
            _closure_html(
                data["closure"],
                data["sensitivity"],
                closure_views or {},
                image_size,
                "device" if data.get("device") is not None else "ring",
            ),
            _views_html(views or {}, image_size),
            footer,
            "</body></html>\n",
        ]
    )
