"""``mvplan sweep``: rings and sizes simulated through annuloplasty and leaflet closure.

Imports no Qt and no VTK (import-linter checks it).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from mvplan.cli_output import EXIT_OK, output_path, warn_all
from mvplan.cli_plan import add_closure_options, closure_settings


def csv_columns() -> tuple[str, ...]:
    """CSV columns of ``mvplan sweep --csv``, in order: ring and size, the repaired closure's
    keys of a row (:data:`mvplan.sweep.ROW_CLOSURE_KEYS`), the sutures and the solver."""
    from mvplan.sweep import ROW_CLOSURE_KEYS  # loads the solvers: only when a sweep runs

    return (
        "ring",
        "size_mm",
        "cinch_mm",
        *ROW_CLOSURE_KEYS,
        "suture_force_max_n",
        "suture_warnings",
        "wire_tension_n",
        "artery_distance_mm",
        "artery_compression",
        "closure_iterations",
        "closure_time_ms",
        "error",
    )


#: CSV columns of ``mvplan sweep --sensitivity-csv FILE``, in order.
SENSITIVITY_CSV_COLUMNS = (
    "ring",
    "size_mm",
    "parameter",
    "scale",
    "converged",
    "closed",
    "coaptation_length_min_mm",
    "coaptation_length_mean_mm",
    "regurgitant_orifice_area_mm2",
    "delta_coaptation_length_mean_mm",
    "delta_regurgitant_orifice_area_mm2",
    "cold_restart",
    "error",
)


def add_sweep_command(
    subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser
) -> None:
    """Register ``sweep`` on ``mvplan``'s subparsers."""
    sweep = subparsers.add_parser(
        "sweep",
        parents=[common_parent],
        help="simulate rings and sizes: closure, coaptation and suture forces for each",
        description="For each ring and each size it sells in the range, place the ring, tie "
        "its sutures, close the leaflets on the reshaped annulus and report coaptation, the "
        "regurgitant orifice and the largest suture force; recommend the largest size that "
        "closes the gap, reaches the target coaptation length and keeps every suture under "
        "its pull-out warning level. Then, unless --no-sensitivity, study how the "
        "recommended case's coaptation and orifice change with the chord rest lengths and "
        "the leaflet stiffness (each scaled by 0.9 and 1.1). The cases run in local "
        "processes, or on a Dask cluster with --scheduler.",
    )
    sweep.add_argument("annulus", help="annulus: .csv .txt .mrk.json .vtk .vtp .stl .ply .obj")
    sweep.add_argument("--landmarks", metavar="FILE", help="points labelled A P ALC PMC ALT PMT")
    sweep.add_argument("--papillary", metavar="FILE", help="papillary-muscle tip points")
    sweep.add_argument("--units", choices=["mm", "cm", "m"], help="unit of the input coordinates")
    sweep.add_argument(
        "--leaflets", metavar="SPEC", help="leaflet heights, mm, e.g. anterior=23,posterior=13"
    )
    sweep.add_argument(
        "--rings", required=True, metavar="ID[,ID...]", help="ring family ids (mvplan rings list)"
    )
    sweep.add_argument(
        "--sizes", required=True, metavar="LOW-HIGH", help="size range in mm, e.g. 24-36"
    )
    sweep.add_argument(
        "--target-coaptation",
        type=float,
        default=None,
        metavar="MM",
        help="coaptation length the recommendation must reach, mm (default 5)",
    )
    sweep.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPUs)"
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the cases (and the sensitivity study) on the Dask cluster of this "
        "scheduler, tcp://host:port, instead of local processes (5 s to answer); the workers "
        "need mvplan installed, and this machine the optional extra: "
        "pip install 'mvplan[dask]'",
    )
    sweep.add_argument(
        "--sensitivity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="re-solve the recommended case's closure with the chord rest lengths, then the "
        "leaflet stiffness, scaled by 0.9 and 1.1 (warm-started from its closed valve: about "
        "the cost of two or three more cases) and report coaptation and orifice against it "
        "(JSON: the key sensitivity); default on, but with --csv only when --sensitivity-csv "
        "is given",
    )
    sweep.add_argument(
        "--sensitivity-csv",
        metavar="FILE",
        help="write the sensitivity rows to FILE as CSV (--csv prints only the sweep rows, "
        "so they stay one table); a header alone when nothing is recommended",
    )
    sweep.add_argument("--csv", action="store_true", help="print the rows as CSV on stdout")
    devices = sweep.add_argument_group("percutaneous devices")
    devices.add_argument(
        "--cinch",
        metavar="VALUE[,VALUE...]",
        help="cinches of each device and size: mm (6) or percent of the size (15%%)",
    )
    devices.add_argument(
        "--cs-path", metavar="FILE", help="coronary-sinus centreline (default: estimated)"
    )
    devices.add_argument("--artery", metavar="FILE", help="circumflex artery centreline")
    devices.add_argument(
        "--compression-threshold",
        type=float,
        metavar="MM",
        help="flag artery compression below this distance (default 3 mm); a flagged case is "
        "never recommended",
    )
    add_closure_options(sweep)
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``mvplan sweep ANNULUS --rings ID[,ID...] --sizes 24-36 [--jobs N | --scheduler ADDRESS]
    [--[no-]sensitivity] [--sensitivity-csv FILE] [--json|--csv]``."""
    from mvplan.errors import InputError
    from mvplan.geometry.safety import DEFAULT_COMPRESSION_THRESHOLD_MM
    from mvplan.io.load import load_annulus, load_papillary
    from mvplan.io.paths import load_artery, load_cs_path
    from mvplan.plan import Plan
    from mvplan.sweep import TARGET_COAPTATION_MM, parse_sizes, run_sweep, sweep_cases
    from mvplan.valve.leaflets import LeafletSpec

    if args.no_closure:
        raise InputError("mvplan sweep needs the closure simulation (drop --no-closure)")
    if args.json and args.csv:
        raise InputError("give --json or --csv, not both")
    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    if args.jobs is not None and args.scheduler is not None:
        raise InputError("give --jobs or --scheduler, not both (the cluster sets the workers)")
    sensitivity_csv = None if args.sensitivity_csv is None else output_path(args.sensitivity_csv)
    if args.sensitivity is False and sensitivity_csv is not None:
        raise InputError("give --no-sensitivity or --sensitivity-csv, not both")
    if args.sensitivity and args.csv and sensitivity_csv is None:
        raise InputError(
            "--csv prints the sweep rows only: name a file for the sensitivity rows with "
            "--sensitivity-csv FILE"
        )
    # Default on, but a bare --csv run prints one table and does no work it cannot show.
    sensitivity = args.sensitivity is not False and (not args.csv or sensitivity_csv is not None)
    target = TARGET_COAPTATION_MM if args.target_coaptation is None else args.target_coaptation
    if not target >= 0.0:
        raise InputError(f"--target-coaptation must be at least 0 mm, got {target:g}")
    rings = [r.strip() for r in args.rings.split(",") if r.strip()]
    if not rings:
        raise InputError("--rings names no ring")
    leaflets = LeafletSpec() if args.leaflets is None else LeafletSpec.from_option(args.leaflets)
    cinches = [c.strip() for c in (args.cinch or "").split(",") if c.strip()]
    cases = sweep_cases(rings, parse_sizes(args.sizes), cinches=cinches)
    settings = closure_settings(args)
    annulus = load_annulus(
        args.annulus, units=args.units, landmarks=args.landmarks, papillary=args.papillary
    )
    warn_all(annulus.warnings, annulus.source.name)
    papillary = None if args.papillary is None else load_papillary(args.papillary, annulus)
    base = Plan(
        annulus=annulus,
        papillary=papillary,
        leaflets=leaflets,
        cs_path=None if args.cs_path is None else load_cs_path(args.cs_path, annulus, args.units),
        artery=None if args.artery is None else load_artery(args.artery, annulus, args.units),
        safety_threshold_mm=args.compression_threshold or DEFAULT_COMPRESSION_THRESHOLD_MM,
    )

    chatty = not (args.json or args.csv)

    def progress(row: dict[str, Any]) -> None:
        if chatty:
            state = row.get("error") or ("closes" if row["closed"] else "leaks")
            cinch = f" cinch {row['cinch_mm']:.3g} mm" if "cinch_mm" in row else ""
            print(
                f"  {row['ring']} {row['size_mm']:g} mm{cinch}: {state}",
                file=sys.stderr,
                flush=True,
            )

    def sensitivity_progress(done: int, total: int) -> None:
        if chatty:
            print(f"  sensitivity: {done}/{total}", file=sys.stderr, flush=True)

    out = run_sweep(
        base,
        cases,
        settings=settings,
        jobs=args.jobs,
        scheduler=args.scheduler,
        target_coaptation_mm=target,
        sensitivity=sensitivity,
        on_row=progress,
        on_sensitivity=sensitivity_progress,
    )
    out["source"] = annulus.source.name
    if sensitivity_csv is not None:
        study = out["sensitivity"]
        rows = [] if study is None else [_sensitivity_row(study, r) for r in study["rows"]]
        sensitivity_csv.write_text(_csv(rows, SENSITIVITY_CSV_COLUMNS), encoding="utf-8")
    if sensitivity and out["recommended"] is None and (args.json or args.csv):
        warn_all(["no recommended size, so no sensitivity study"], annulus.source.name)
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    elif args.csv:
        print(_csv(out["rows"], csv_columns()), end="")
    else:
        print(_text(out, sensitivity))
    return EXIT_OK


def _sensitivity_row(study: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {"ring": study["ring"], "size_mm": study["size_mm"], **row}


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _text(out: dict[str, Any], sensitivity: bool) -> str:
    native = out["native"]
    lines = [
        f"{out['source']}: native valve {'closes' if native['closed'] else 'LEAKS'} "
        f"(orifice {native['regurgitant_orifice_area_mm2']:.1f} mm2, mean coaptation "
        f"{native['coaptation_length_mean_mm']:.1f} mm; {out['resolution']} mesh)",
        "",
        f"{'ring':<24}{'size':>6}{'cinch':>7}{'closes':>8}{'coapt min':>11}{'mean':>7}"
        f"{'orifice':>9}{'tenting':>9}{'suture max':>12}",
        f"{'':<24}{'mm':>6}{'mm':>7}{'':>8}{'mm':>11}{'mm':>7}{'mm2':>9}{'mm':>9}{'N':>12}",
    ]
    for r in out["rows"]:
        cinch = f"{r['cinch_mm']:>7.3g}" if "cinch_mm" in r else f"{'':>7}"
        if "error" in r:
            lines.append(f"{r['ring']:<24}{r['size_mm']:>6g}{cinch}  error: {r['error']}")
            continue
        flag = " !" if r["suture_warnings"] else ""
        if r.get("artery_compression"):
            flag += f" artery {r['artery_distance_mm']:.1f} mm"
        lines.append(
            f"{r['ring']:<24}{r['size_mm']:>6g}{cinch}{'yes' if r['closed'] else 'no':>8}"
            f"{r['coaptation_length_min_mm']:>11.1f}{r['coaptation_length_mean_mm']:>7.1f}"
            f"{r['regurgitant_orifice_area_mm2']:>9.1f}{r['tenting_height_mm']:>9.1f}"
            f"{r['suture_force_max_n']:>12.2f}{flag}"
        )
    lines.append("")
    chosen = out["recommended"]
    if chosen is None:
        lines.append(f"recommended: none ({out['recommended_reason']})")
    else:
        cinch = f" cinch {chosen['cinch_mm']:.3g} mm" if "cinch_mm" in chosen else ""
        lines.append(
            f"recommended: {chosen['ring']} {chosen['size_mm']:g} mm{cinch}: {chosen['reason']}"
        )
    lines.append("! = a suture (or a device's anchor) at or above its pull-out warning level")
    if sensitivity:
        lines.append("")
        lines.extend(_sensitivity_text(out["sensitivity"]))
    return "\n".join(lines)


#: How the text table names the parameters of a sensitivity study.
PARAMETER_NAMES = {
    "chord_rest_length": "chord rest length",
    "leaflet_stiffness": "leaflet stiffness",
}


def _sensitivity_text(study: dict[str, Any] | None) -> list[str]:
    if study is None:
        return ["sensitivity: none (no recommended size to study)"]
    lines = [
        f"sensitivity of {study['ring']} {study['size_mm']:g} mm: its {study['valve']} closure "
        "re-solved with each parameter scaled (warm-started from the baseline)",
        f"{'':<20}{'scale':>6}{'closes':>8}{'coapt min':>11}{'mean':>7}{'change':>8}"
        f"{'orifice':>9}{'change':>8}",
        f"{'':<20}{'':>6}{'':>8}{'mm':>11}{'mm':>7}{'mm':>8}{'mm2':>9}{'mm2':>8}",
    ]
    base = study["baseline"]
    lines.append(
        f"{'baseline':<20}{1.0:>6.2f}{'yes' if base['closed'] else 'no':>8}"
        f"{base['coaptation_length_min_mm']:>11.1f}{base['coaptation_length_mean_mm']:>7.1f}"
        f"{'':>8}{base['regurgitant_orifice_area_mm2']:>9.1f}"
    )
    for r in study["rows"]:
        name = PARAMETER_NAMES.get(r["parameter"], r["parameter"])
        if not r["converged"]:
            lines.append(f"{name:<20}{r['scale']:>6.2f}  did not converge: {r['error']}")
            continue
        lines.append(
            f"{name:<20}{r['scale']:>6.2f}{'yes' if r['closed'] else 'no':>8}"
            f"{r['coaptation_length_min_mm']:>11.1f}{r['coaptation_length_mean_mm']:>7.1f}"
            f"{r['delta_coaptation_length_mean_mm']:>+8.2f}"
            f"{r['regurgitant_orifice_area_mm2']:>9.1f}"
            f"{r['delta_regurgitant_orifice_area_mm2']:>+8.2f}"
        )
    return lines
