"""``mvplan plan`` and ``mvplan simulate``: make a plan file, and simulate its annuloplasty.

:func:`add_plan_commands` registers both on ``mvplan``'s parser. ``plan`` reads an annulus,
chooses a catalogue ring (a size given, or one a sizing policy recommends), places it
automatically with its sutures and writes the plan file (atomically). ``simulate`` reads a plan
file, ties the sutures and solves for the reshaped annulus
(:func:`mvplan.planning.annuloplasty.simulate_annuloplasty`), then prints the measurements
before and after, the suture forces and the solver's convergence, or with ``--json`` one JSON
object; ``-o`` writes the plan again with the results.

Bad input raises :class:`~mvplan.errors.MvplanError` (exit code 2 in ``mvplan.cli.main``); a
solve that did not converge raises :class:`~mvplan.errors.ConvergenceError` (exit code 3) and
nothing is printed on stdout. Never imports Qt or VTK.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvplan.cli_output import EXIT_OK, output_path, unit_of, warn_all
from mvplan.errors import InputError

if TYPE_CHECKING:
    from mvplan.planning.closure import ClosureSettings

#: ``--ring`` value for a plan with no device.
NO_RING = "none"


def add_plan_commands(
    subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser
) -> None:
    """Register ``plan`` and ``simulate`` on ``mvplan``'s subparsers.

    Parameters
    ----------
    subparsers
        The object ``parser.add_subparsers(...)`` returned.
    common_parent
        Parser holding the options every command has (``--json``, ``--debug``).
    """
    plan = subparsers.add_parser(
        "plan",
        parents=[common_parent],
        help="make a plan file: annulus, ring, placement and sutures",
        description="Read an annulus, choose a catalogue ring (a size, or a sizing policy), "
        "place it automatically with its sutures and write the plan file.",
    )
    plan.add_argument("annulus", help="annulus: .csv .txt .mrk.json .vtk .vtp .stl .ply .obj")
    plan.add_argument("--landmarks", metavar="FILE", help="points labelled A P ALC PMC ALT PMT")
    plan.add_argument("--papillary", metavar="FILE", help="papillary-muscle tip points")
    plan.add_argument("--units", choices=["mm", "cm", "m"], help="unit of the input coordinates")
    plan.add_argument(
        "--ring",
        required=True,
        metavar="ID",
        help=f"ring family id (see `mvplan rings list`), or {NO_RING} for a plan with no device",
    )
    plan.add_argument("--size", type=float, metavar="MM", help="a size the family sells, mm")
    plan.add_argument(
        "--policy",
        metavar="POLICY",
        help="choose the size instead: true-size, undersize:N or oversize:N",
    )
    plan.add_argument(
        "--adjustment",
        type=float,
        metavar="MM",
        help="AP change of an adjustable device, mm (default 0)",
    )
    plan.add_argument(
        "--sutures",
        type=int,
        metavar="N",
        help="number of sutures (default 14 for a ring, 10 for a band; at least 3)",
    )
    device = plan.add_argument_group(
        "percutaneous devices",
        "coronary-sinus devices and transcatheter bands (`mvplan rings list`, type column)",
    )
    device.add_argument(
        "--cinch",
        metavar="VALUE",
        help="how far the device is tightened: mm (6, 6mm) or percent of its size (15%%)",
    )
    device.add_argument(
        "--cs-path",
        metavar="FILE",
        help="coronary-sinus centreline (any annulus format; open curve from the ostium); "
        "default: estimated from the posterior annulus",
    )
    device.add_argument(
        "--cs-offsets",
        metavar="SPEC",
        help="offsets of the estimated coronary sinus from the annulus, mm, e.g. "
        "ostium=11,mid=17,distal=10.5,atrial=4 (defaults from Lansac 2008)",
    )
    device.add_argument(
        "--distal-anchor",
        type=float,
        metavar="MM",
        help="where a coronary-sinus device sits: its distal anchor this far back along the "
        "vein from the path's distal end (default 0)",
    )
    device.add_argument(
        "--artery",
        metavar="FILE",
        help="circumflex artery centreline (open curve) for the safety geometry",
    )
    device.add_argument(
        "--compression-threshold",
        type=float,
        metavar="MM",
        help="flag artery compression below this device-artery distance (default 3 mm)",
    )
    plan.add_argument(
        "--leaflets",
        metavar="SPEC",
        help="leaflet heights for the closure simulation, mm, e.g. anterior=23,posterior=13 "
        "(defaults: adult anterior 23, posterior 13, commissural 8; never scaled)",
    )
    plan.add_argument("--name", default="", metavar="TEXT", help="name of the plan")
    plan.add_argument(
        "-o", "--output", required=True, metavar="PLAN.mvplan.json", help="plan file to write"
    )
    plan.set_defaults(handler=cmd_plan)

    simulate = subparsers.add_parser(
        "simulate",
        parents=[common_parent],
        help="simulate a plan's annuloplasty",
        description="Tie the plan's sutures and solve for the reshaped annulus: measurements "
        "before and after, suture forces, tissue strain and the solver's convergence.",
    )
    simulate.add_argument("plan", metavar="PLAN", help="plan file (*.mvplan.json)")
    simulate.add_argument(
        "-o",
        "--output",
        metavar="OUT.mvplan.json",
        help="write the plan with the results to this file",
    )
    simulate.add_argument(
        "--warn-fraction",
        type=float,
        default=None,
        metavar="F",
        help="flag sutures whose force reaches F of the pull-out strength (default 0.5)",
    )
    simulate.add_argument(
        "--nodes",
        type=int,
        default=None,
        metavar="N",
        help="mechanics nodes on the annulus (default: its resampled points)",
    )
    add_closure_options(simulate)
    simulate.set_defaults(handler=cmd_simulate)


def add_closure_options(parser: argparse.ArgumentParser) -> None:
    """``--no-closure`` and ``--leaflet-resolution`` (``simulate`` and ``sweep``)."""
    parser.add_argument(
        "--no-closure",
        action="store_true",
        help="skip the leaflet closure simulation (annuloplasty only)",
    )
    parser.add_argument(
        "--leaflet-resolution",
        choices=["coarse", "standard", "fine"],
        default=None,
        help="leaflet mesh: largest edge 2, 1.2 or 0.5 mm (default: coarse)",
    )


def closure_settings(args: argparse.Namespace) -> ClosureSettings:
    """The :class:`~mvplan.planning.closure.ClosureSettings` the options ask for."""
    from mvplan.planning.closure import ClosureSettings

    if args.leaflet_resolution is None:
        return ClosureSettings()
    return ClosureSettings(resolution=args.leaflet_resolution)


# -- plan -----------------------------------------------------------------------------------------


def cmd_plan(args: argparse.Namespace) -> int:
    """``mvplan plan ANNULUS --ring ID (--size S | --policy P) -o PLAN.mvplan.json``."""
    from mvplan.io.load import load_annulus, load_papillary
    from mvplan.planning import suture_lengths
    from mvplan.rings.catalogue import load_catalogue
    from mvplan.rings.sizing import parse_policy
    from mvplan.valve.leaflets import LeafletSpec
    from mvplan.workflow import make_plan

    output = output_path(args.output)
    catalogue = load_catalogue()  # once: a broken user ring warns once
    if args.ring.strip().lower() != NO_RING and catalogue.is_device(args.ring):
        return _cmd_plan_device(args, output, catalogue)
    device_options = _given(
        args, "cinch", "cs_path", "cs_offsets", "distal_anchor", "artery", "compression_threshold"
    )
    if device_options:
        raise InputError(
            f"{', '.join(device_options)} apply to percutaneous devices, not to --ring {args.ring}"
        )
    no_ring = args.ring.strip().lower() == NO_RING
    if no_ring:
        given = _given(args, "size", "policy", "sutures", "adjustment")
        if given:
            raise InputError(f"--ring {NO_RING} takes no {', '.join(given)}")
        family = None
        policy = None
    else:
        # Check the options before reading any file: an unknown ring or policy is quicker to say.
        family = catalogue.family(args.ring)
        if args.size is None and args.policy is None:
            sold = ", ".join(f"{s:g}" for s in family.sizes_mm)
            raise InputError(
                f"--ring {family.id} needs --size (sold: {sold} mm) or --policy "
                "(true-size, undersize:N, oversize:N)"
            )
        if args.size is not None and args.policy is not None:
            raise InputError("give --size or --policy, not both")
        policy = None if args.policy is None else parse_policy(args.policy)
        if args.size is not None:
            family.spec(args.size, args.adjustment or 0.0)  # a size not sold: say so now

    leaflets = LeafletSpec() if args.leaflets is None else LeafletSpec.from_option(args.leaflets)
    annulus = load_annulus(
        args.annulus, units=args.units, landmarks=args.landmarks, papillary=args.papillary
    )
    warn_all(annulus.warnings, annulus.source.name)
    papillary = None if args.papillary is None else load_papillary(args.papillary, annulus)

    summary: dict[str, Any] = {
        "output": str(output),
        "name": args.name,
        "source": annulus.source.name,
        "ring": None,
        "recommendation": None,
        "sutures": 0,
        "longest_suture_mm": None,
        "mean_suture_mm": None,
        "placement": None,
    }
    made = make_plan(
        annulus,
        None if family is None else family.id,
        size_mm=args.size,
        policy=None if policy is None else args.policy,
        adjustment_mm=args.adjustment or 0.0,
        sutures=args.sutures,
        papillary=papillary,
        name=args.name,
        catalogue=catalogue,
    )
    plan = replace(made.plan, leaflets=leaflets)
    summary["leaflets"] = asdict(leaflets)
    if made.recommendation is not None:
        summary["recommendation"] = made.recommendation.to_dict()
    if family is not None and made.spec is not None and made.fit is not None:
        spec, fit = made.spec, made.fit
        placement = fit.placement
        lengths = suture_lengths(annulus, spec, placement.pose, placement.sutures)
        assert plan.ring is not None
        summary["ring"] = _ring_dict(plan.ring, family)
        summary["sutures"] = len(placement.sutures)
        summary["longest_suture_mm"] = float(lengths.max())
        summary["mean_suture_mm"] = float(lengths.mean())
        summary["placement"] = {
            "residual_mm": float(fit.residual_mm),
            "landmark_errors_mm": dict(fit.landmark_errors_mm),
            "rotation_deg": float(fit.rotation_deg),
            "translation_mm": [float(v) for v in fit.translation_mm],
        }
    return _save_and_print(plan, output, summary, args)


def _save_and_print(
    plan: Any, output: Path, summary: dict[str, Any], args: argparse.Namespace
) -> int:
    """Write the plan file (atomically) and print what ``plan`` made: JSON or the text."""
    from mvplan.planfile import save_plan

    save_plan(plan, output)
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        print(_plan_text(summary))
    return EXIT_OK


def _given(args: argparse.Namespace, *names: str) -> list[str]:
    """The options among ``names`` (argparse destinations) that were given, as typed."""
    return ["--" + name.replace("_", "-") for name in names if getattr(args, name) is not None]


def _cmd_plan_device(args: argparse.Namespace, output: Path, catalogue: Any) -> int:
    """``mvplan plan ANNULUS --ring DEVICE --size S [--cinch C] ...``: a percutaneous device."""
    from mvplan.geometry.coronary import CSOffsets, estimate_cs_path
    from mvplan.geometry.safety import DEFAULT_COMPRESSION_THRESHOLD_MM
    from mvplan.io.load import load_annulus, load_papillary
    from mvplan.io.paths import load_artery, load_cs_path
    from mvplan.rings.percutaneous import parse_cinch
    from mvplan.valve.leaflets import LeafletSpec
    from mvplan.workflow import device_plan, plan_safety

    device = catalogue.device(args.ring)
    ring_only = _given(args, "policy", "sutures", "adjustment")
    if ring_only:
        raise InputError(
            f"{device.id} is a percutaneous device: it takes --size and --cinch, "
            f"not {', '.join(ring_only)}"
        )
    if args.size is None:
        sold = ", ".join(f"{s:g}" for s in device.sizes_mm)
        raise InputError(f"--ring {device.id} needs --size (sold: {sold} mm)")
    if device.type != "coronary-sinus" and _given(args, "cs_path", "cs_offsets", "distal_anchor"):
        raise InputError(
            f"{device.id} is anchored on the annulus: it takes no --cs-path, --cs-offsets or "
            "--distal-anchor"
        )
    if args.cs_path and args.cs_offsets:
        raise InputError("give --cs-path or --cs-offsets (for the estimate), not both")
    cinch = 0.0 if args.cinch is None else parse_cinch(args.cinch, args.size)
    device.spec(args.size, cinch)  # a size not sold, a cinch too far: say so now
    threshold = args.compression_threshold or DEFAULT_COMPRESSION_THRESHOLD_MM
    leaflets = LeafletSpec() if args.leaflets is None else LeafletSpec.from_option(args.leaflets)
    annulus = load_annulus(
        args.annulus, units=args.units, landmarks=args.landmarks, papillary=args.papillary
    )
    warn_all(annulus.warnings, annulus.source.name)
    papillary = None if args.papillary is None else load_papillary(args.papillary, annulus)
    cs_path = None
    if device.type == "coronary-sinus":
        if args.cs_path is not None:
            cs_path = load_cs_path(args.cs_path, annulus, units=args.units)
        else:
            offsets = CSOffsets() if args.cs_offsets is None else _offsets(args.cs_offsets)
            cs_path = estimate_cs_path(annulus, offsets)
    artery = None if args.artery is None else load_artery(args.artery, annulus, units=args.units)
    plan = device_plan(
        annulus,
        device,
        args.size,
        cinch,
        cs_path=cs_path,
        artery=artery,
        threshold_mm=threshold,
        papillary=papillary,
        name=args.name,
        distal_anchor_offset_mm=args.distal_anchor or 0.0,
    )
    plan = replace(plan, leaflets=leaflets)
    assert plan.ring is not None
    safety = plan_safety(plan)
    summary: dict[str, Any] = {
        "output": str(output),
        "name": args.name,
        "source": annulus.source.name,
        "ring": _ring_dict(plan.ring, device),
        "recommendation": None,
        "sutures": 0,
        "longest_suture_mm": None,
        "mean_suture_mm": None,
        "placement": None,
        "leaflets": asdict(leaflets),
        "cs_path": None if cs_path is None else _path_summary(cs_path),
        "distal_anchor_mm": None if cs_path is None else plan.distal_anchor_offset_mm,
        "safety": None if safety is None else safety.to_dict(),
    }
    return _save_and_print(plan, output, summary, args)


def _offsets(text: str) -> Any:
    """``ostium=11,mid=17,distal=10.5,atrial=4`` (any subset) as CSOffsets."""
    from mvplan.geometry.coronary import CSOffsets

    values: dict[str, float] = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key not in ("ostium", "mid", "distal", "atrial") or not value.strip():
            raise InputError(
                f"--cs-offsets {text!r}: expected ostium=MM,mid=MM,distal=MM,atrial=MM"
            )
        try:
            values[f"{key}_mm"] = float(value)
        except ValueError:
            raise InputError(f"--cs-offsets {text!r}: {value!r} is not a number") from None
    return CSOffsets(**values)


def _path_summary(path: Any) -> dict[str, Any]:
    """The coronary-sinus path without its points (they are in the plan file)."""
    full = path.to_dict()
    full.pop("points_valve_mm", None)
    return full


def _ring_dict(choice: Any, family: Any) -> dict[str, Any]:
    if choice.is_device:
        return {
            "family": choice.family,
            "name": family.name,
            "type": family.type,
            "size_mm": choice.size_mm,
            "cinch_mm": choice.adjustment_mm,
            "cinch_percent": 100.0 * choice.adjustment_mm / choice.size_mm,
            "closed": False,
            "size_measure": "length between the end anchors",
        }
    return {
        "family": choice.family,
        "name": family.name,
        "type": "ring" if family.closed else "band",
        "size_mm": choice.size_mm,
        "adjustment_mm": choice.adjustment_mm,
        "closed": bool(family.closed),
        "size_measure": family.size_measure,
    }


def _plan_text(s: dict[str, Any]) -> str:
    lines = [f"{s['source']}: plan{' ' + repr(s['name']) if s['name'] else ''}"]
    ring = s["ring"]
    if ring is None:
        lines.append("  ring              none (the native annulus alone)")
    elif "cinch_mm" in ring:
        lines.append(f"  device            {ring['family']} ({ring['name']}, {ring['type']})")
        lines.append(
            f"  size              {ring['size_mm']:g} mm ({ring['size_measure']}), cinch "
            f"{ring['cinch_mm']:.3g} mm ({ring['cinch_percent']:.1f} %)"
        )
        path = s.get("cs_path")
        if path is not None:
            d = path["distance_mm"]
            lines.append(
                f"  coronary sinus    {path['source']}, {path['length_mm']:.1f} mm long, "
                f"{d['min']:.1f}-{d['max']:.1f} mm from the annulus; distal anchor "
                f"{s['distal_anchor_mm']:g} mm from its end"
            )
        if s.get("safety") is not None:
            lines.extend(_safety_lines(s["safety"], "as placed"))
    else:
        kind = "ring" if ring["closed"] else "band"
        adjust = f", adjusted {ring['adjustment_mm']:+g} mm" if ring["adjustment_mm"] else ""
        lines.append(f"  ring              {ring['family']} ({ring['name']}, {kind})")
        lines.append(f"  size              {ring['size_mm']:g} mm ({ring['size_measure']}){adjust}")
        rec = s["recommendation"]
        if rec is not None:
            lines.append(f"  why ({rec['policy']})".ljust(20) + rec["reason"])
        lines.append(f"  sutures           {s['sutures']}")
        lines.append(
            f"  longest suture    {s['longest_suture_mm']:.1f} mm "
            f"(mean {s['mean_suture_mm']:.1f} mm)"
        )
        lines.append(
            f"  auto-placement    residual {s['placement']['residual_mm']:.2f} mm "
            "(weighted RMS marker-to-landmark distance)"
        )
    lines.append(f"wrote {s['output']}")
    return "\n".join(lines)


# -- simulate -------------------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    """``mvplan simulate PLAN [-o OUT.mvplan.json]``."""
    from mvplan.planfile import load_plan, save_plan
    from mvplan.planning.annuloplasty import DEFAULT_WARN_FRACTION
    from mvplan.workflow import (
        plan_safety,
        ring_family,
        simulate_closure,
        simulate_plan,
        with_results,
    )

    output = None if args.output is None else output_path(args.output)
    plan = load_plan(args.plan)
    source = Path(args.plan).name
    family = None if plan.ring is None else ring_family(plan.ring)
    warn_fraction = DEFAULT_WARN_FRACTION if args.warn_fraction is None else args.warn_fraction
    result = simulate_plan(
        plan, warn_fraction=warn_fraction, annulus_nodes=args.nodes, source=source
    )
    closure = None
    if not args.no_closure:
        closure = simulate_closure(plan, result, settings=closure_settings(args), source=source)
    results = result.to_dict()
    ring = None
    if plan.ring is not None and family is not None:
        ring = _ring_dict(plan.ring, family)
    safety = plan_safety(plan, result)
    if output is not None:
        save_plan(with_results(plan, result, closure), output)
    if args.json:
        payload: dict[str, Any] = {
            "annuloplasty": results,
            "plan": {"name": plan.name, "ring": ring},
        }
        if plan.has_device:
            payload["safety"] = None if safety is None else safety.to_dict()
        if closure is not None:
            payload["closure"] = closure.to_dict()
        if output is not None:
            payload["output"] = str(output)
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        text = _simulate_text(source, plan.name, ring, results, None)
        if safety is not None:
            text += "\n" + "\n".join(_safety_lines(safety.to_dict(), "cinched"))
        if closure is not None:
            text += "\n\n" + _closure_text(closure.to_dict())
        if output is not None:
            text += f"\nwrote {output}"
        print(text)
    return EXIT_OK


#: Rows of the closure table: key, label, unit, decimals.
_CLOSURE_ROWS = (
    ("coaptation_length_min_mm", "coaptation length, min", "mm", 1),
    ("coaptation_length_mean_mm", "coaptation length, mean", "mm", 1),
    ("coaptation_area_mm2", "coaptation area", "mm2", 0),
    ("regurgitant_orifice_area_mm2", "regurgitant orifice", "mm2", 1),
    ("tenting_height_mm", "tenting height", "mm", 1),
    ("tenting_area_mm2", "tenting area", "mm2", 0),
    ("tenting_volume_ml", "tenting volume", "ml", 2),
    ("chord_force_max_n", "chord force, max", "N", 2),
    ("leaflet_stress_p95_mpa", "leaflet stress, 95th percentile", "MPa", 3),
)


def _closure_text(c: dict[str, Any]) -> str:
    """The closure table of ``mvplan simulate`` (native and repaired side by side)."""
    native, repaired = c["native"], c["repaired"]
    model = c["model"]
    tips = ", papillary tips estimated" if model["papillary_tips_estimated"] else ""
    lines = [
        f"leaflet closure ({model['resolution']} mesh, {model['leaflet_nodes']} nodes, "
        f"{model['pressure_mpa'] * 7500.6:.0f} mmHg{tips})",
        f"{'':<34}{'native':>9}{'repaired' if repaired else '':>10}  unit",
    ]
    for key, label, unit, digits in _CLOSURE_ROWS:
        cells = [f"{native[key]:.{digits}f}"]
        if repaired is not None:
            cells.append(f"{repaired[key]:.{digits}f}")
        lines.append(f"{label:<34}{cells[0]:>9}{cells[1] if len(cells) > 1 else '':>10}  {unit}")
    for name, case in (("native", native), ("repaired", repaired)):
        if case is None:
            continue
        state = "closes" if case["closed"] else "LEAKS"
        solver = case["solver"]
        lines.append(
            f"{name}: {state}; solver converged, relative residual {solver['residual']:.1e}, "
            f"{solver['iterations']} iterations, {solver['time_ms']:.0f} ms"
        )
        if case.get("stenosis_warning"):
            lines.append(
                f"warning: {name} annulus leaves {case['diastolic_orifice_proxy_mm2'] / 100:.2f} "
                "cm2 of orifice (< 1.5 cm2): risk of functional mitral stenosis"
            )
    return "\n".join(lines)


def _simulate_text(
    source: str,
    name: str,
    ring: dict[str, Any] | None,
    r: dict[str, Any],
    output: Path | None,
) -> str:
    from mvplan.geometry.measurements import MEASUREMENT_KEYS, MEASUREMENT_LABELS

    title = f"{source}{' (' + repr(name) + ')' if name else ''}: "
    if ring is None:
        title += "no device"
    elif "cinch_mm" in ring:
        title += f"{ring['family']} {ring['size_mm']:g} mm, cinched {ring['cinch_mm']:.3g} mm"
    else:
        adjust = f", adjusted {ring['adjustment_mm']:+g} mm" if ring["adjustment_mm"] else ""
        title += f"{ring['family']} {ring['size_mm']:g} mm{adjust}"
    lines = [title, "", f"{'measurement':<34}{'before':>9}{'after':>9}{'change':>9}  unit"]
    pre, post, change = r["pre"], r["post"], r["change"]
    for key in MEASUREMENT_KEYS:
        digits = 3 if key == "sphericity_index" else 1
        cells = [_cell(pre[key], digits), _cell(post[key], digits)]
        cells.append(_cell(change[key], digits, signed=True))
        mark = " *" if pre.get(f"{key}_estimated") else ""
        lines.append(
            f"{MEASUREMENT_LABELS[key]:<34}{cells[0]:>9}{cells[1]:>9}{cells[2]:>9}  "
            f"{unit_of(key)}{mark}"
        )
    if any(pre.get(f"{k}_estimated") for k in MEASUREMENT_KEYS):
        lines.append("* rests on an estimated landmark")

    sutures = r["sutures"]
    lines.append("")
    device = r.get("device")
    if device is not None:
        lines.extend(_device_lines(device, r["warn_fraction"]))
    elif sutures:
        lines.append(
            f"sutures: {len(sutures)}, force max {r['suture_force_max_n']:.2f} N, "
            f"mean {r['suture_force_mean_n']:.2f} N (! = at least {r['warn_fraction']:g} of the "
            "region's mean pull-out strength)"
        )
        for s in sutures:
            flag = "  !" if s["near_pullout"] else ""
            lines.append(f"  {s['index']:>3}  {s['region']:<10}{s['force_n']:>7.2f} N{flag}")
    else:
        lines.append("sutures: none")
    for warning in r["suture_warnings"]:
        lines.append(f"warning: {warning}")
    strain = r["tissue_strain"]
    lines.append(
        f"tissue strain: {100 * strain['min']:+.1f} % to {100 * strain['max']:+.1f} % "
        f"(mean |strain| {100 * strain['mean_abs']:.1f} %)"
    )
    ring_out = r["ring"]
    if ring is not None and device is None:
        lines.append(
            f"ring model: {ring_out['model']}, max deformation "
            f"{ring_out['deformation_max_mm']:.2f} mm"
        )
    solver = r["solver"]
    lines.append(
        f"solver: {'converged' if solver['converged'] else 'NOT converged'}, relative residual "
        f"{solver['residual']:.2e}, {solver['iterations']} iterations, "
        f"{solver['time_ms']:.0f} ms ({solver['annulus_nodes']} annulus nodes)"
    )
    if output is not None:
        lines.append(f"wrote {output}")
    return "\n".join(lines)


def _device_lines(d: dict[str, Any], warn_fraction: float) -> list[str]:
    """The device block of ``simulate``: wire, anchors, vein."""
    lines = [
        f"{d['type']}: wire tension {d['wire_tension_n']:.2f} N, length "
        f"{d['wire_length_native_mm']:.1f} -> {d['wire_length_after_mm']:.1f} mm",
        f"anchors: {len(d['anchors'])}, force max {d['anchor_force_max_n']:.2f} N (! = at least "
        f"{warn_fraction:g} of the mean posterior pull-out strength, "
        f"{d['pullout_strength_n']:g} N)",
    ]
    for anchor in d["anchors"]:
        flag = "  !" if anchor["near_pullout"] else ""
        lines.append(f"  {anchor['name']:>8}  {anchor['force_n']:>7.2f} N{flag}")
    if "coronary_sinus_strain" in d:
        lines.append(
            f"coronary sinus between the anchors: {100 * d['coronary_sinus_strain']:+.1f} % "
            "(negative: plicated)"
        )
    return lines


def _safety_lines(safety: dict[str, Any], when: str) -> list[str]:
    """The artery lines of ``plan`` and ``simulate``."""
    lines = [
        f"  artery            {safety['artery_source']}: {safety['min_distance_mm']:.1f} mm from "
        f"the device at its closest ({when}; flag below {safety['threshold_mm']:g} mm), "
        f"{len(safety['crossings'])} crossing(s) between device and annulus"
    ]
    if safety["warning"]:
        lines.append(f"warning: {safety['warning']}")
    return lines


def _cell(value: float | None, digits: int, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


__all__ = ["NO_RING", "add_plan_commands", "cmd_plan", "cmd_simulate"]
