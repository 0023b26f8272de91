"""The ``mvplan`` command.

Each subcommand is a thin layer over a library call: parse options, call, print a table or
(with ``--json``) one JSON object on stdout. A problem with the input is one line on stderr
and exit code 2 (3 for a solve that did not converge); ``--debug`` shows the traceback.
This module never imports Qt or VTK.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from mvplan import __version__
from mvplan.cli_output import EXIT_BAD_INPUT, EXIT_OK, pixel_size, unit_of, warn_all
from mvplan.errors import MvplanError


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and one line, like every other bad-input error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mvplan`` with all its subcommands."""
    parser = _Parser(prog="mvplan", description="Plan mitral valve annuloplasty.")
    parser.add_argument("--version", action="version", version=f"mvplan {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    measure = sub.add_parser(
        "measure",
        parents=[common],
        help="measure an annulus file (or the frames of a moving annulus)",
        description="Read an annulus and print the measurements of DESIGN.md section 4. "
        "Several files, or a folder, are frames of one annulus over the cardiac cycle: each "
        "frame is measured alone, then the change of each measurement over the cycle and the "
        "displacement of corresponding points are given.",
    )
    measure.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="annulus: .csv .txt .mrk.json .vtk .vtp .stl .ply .obj; several files or one "
        "folder for frames of one annulus (a folder: in natural order of the names)",
    )
    measure.add_argument(
        "--landmarks",
        metavar="FILE",
        action="append",
        help="points labelled A P ALC PMC ALT PMT (with frames: once per frame, in order)",
    )
    measure.add_argument(
        "--papillary",
        metavar="FILE",
        action="append",
        help="papillary-muscle tip points (with frames: once for all, or once per frame)",
    )
    measure.add_argument("--units", choices=["mm", "cm", "m"], help="unit of the input coordinates")
    measure.add_argument(
        "--ring",
        metavar="ID",
        help="with frames: put this catalogue ring on every frame (placed automatically, "
        "solved frame by frame) and report how much of the cycle's motion it keeps",
    )
    measure.add_argument(
        "--size", type=float, metavar="MM", help="with --ring: a size the family sells, mm"
    )
    measure.set_defaults(handler=_cmd_measure)

    from mvplan.cli_rings import add_rings_commands

    add_rings_commands(sub, common)

    from mvplan.cli_plan import add_plan_commands

    add_plan_commands(sub, common)

    from mvplan.cli_sweep import add_sweep_command

    add_sweep_command(sub, common)

    from mvplan.cli_export import add_export_commands

    add_export_commands(sub, common)

    verify = sub.add_parser(
        "verify",
        parents=[common],
        help="run the solver's closed-form verification cases",
        description="Code verification: closed-form cases with their errors and observed "
        "orders of convergence, and finite-difference checks of every energy term.",
    )
    verify.add_argument("cases", nargs="*", metavar="CASE", help="cases to run (default: all)")
    verify.add_argument(
        "--set",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a case parameter, e.g. --set radius=15 --set levels=16,32,64 (with one CASE)",
    )
    verify.add_argument("--list", action="store_true", help="list the cases and their parameters")
    verify.set_defaults(handler=_cmd_verify)

    gui = sub.add_parser(
        "gui",
        parents=[common],
        help="the desktop application",
        description="Open the planning window, with an annulus or plan file if given. "
        "With --screenshot PNG --exit it draws the window (off screen when there is no "
        "display) to a PNG image and exits.",
    )
    gui.add_argument(
        "file",
        nargs="*",
        help="annulus file or plan file (*.mvplan.json); several annulus files in time order, "
        "or a folder of them, open the frames of a moving annulus (a cycle)",
    )
    gui.add_argument("--landmarks", metavar="F", help="labelled landmark points for the annulus")
    gui.add_argument("--papillary", metavar="F", help="papillary-muscle tips for the annulus")
    gui.add_argument("--screenshot", metavar="PNG", help="write the window to this PNG image")
    gui.add_argument("--exit", action="store_true", help="exit once drawn (batch use)")
    gui.add_argument(
        "--closure",
        action="store_true",
        help="simulate the leaflet closure once the window is up (before the screenshot)",
    )
    gui.add_argument(
        "--size",
        type=pixel_size(minimum=320),
        default=(1280, 800),
        metavar="WxH",
        help="window size in pixels (default 1280x800)",
    )
    gui.set_defaults(handler=_cmd_gui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mvplan`` console script; returns the exit code."""
    # In a frozen bundle (PyInstaller) the worker processes of sweeps and reports start this
    # same executable: this turns such a start into the worker instead of a second mvplan.
    multiprocessing.freeze_support()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `gui` is the default command (DESIGN.md section 7)
        args = parser.parse_args(["gui", *(sys.argv[1:] if argv is None else argv)])
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = handler(args)
        for w in caught:
            print(f"mvplan: warning: {w.message}", file=sys.stderr)
        return code
    except MvplanError as exc:
        return _report_error(args, exc, exc.exit_code)
    except (OSError, UnicodeDecodeError) as exc:
        return _report_error(args, exc, EXIT_BAD_INPUT)


def gui_main() -> int:
    """Entry point of the ``mvplan-gui`` script: ``mvplan gui`` with the same arguments."""
    multiprocessing.freeze_support()  # before the arguments: a worker's are not mvplan's
    return main(["gui", *sys.argv[1:]])


def _cmd_gui(args: argparse.Namespace) -> int:
    """``mvplan gui [FILE | F1 F2 ... | FOLDER] [--landmarks F] [--papillary F]
    [--screenshot PNG] [--exit] [--closure] [--size WxH]``."""
    from mvplan.headless import configure_headless, has_display, osmesa_available

    # --exit, or a screenshot with no screen to show the window on afterwards, is a batch
    # run: drawn off screen whenever that works (a fixed size, no window flashing up).
    batch = args.exit or (args.screenshot is not None and not has_display())
    if batch:
        configure_headless(force=osmesa_available())
    elif not has_display():
        raise MvplanError(
            "no display to show the window on (DISPLAY is not set); run it on a desktop, "
            "under xvfb-run, or with --screenshot PNG --exit"
        )
    from pathlib import Path

    from mvplan.gui.app import run  # lazily: Qt and VTK load only for this command

    files = list(args.file)
    from mvplan.io.sequence import multi_frame_curves

    several = len(files) > 1 or (files and Path(files[0]).is_dir())
    cycle = files if several or (files and multi_frame_curves(files[0])) else None
    code = run(
        files[0] if files and cycle is None else None,
        cycle=cycle,
        screenshot=args.screenshot,
        exit_after=batch,
        size=args.size,
        landmarks=args.landmarks,
        papillary=args.papillary,
        closure=args.closure,
    )
    if args.json and batch:
        out = {
            "file": files[0] if files and cycle is None else None,
            "screenshot": args.screenshot,
            "size": list(args.size),
        }
        if cycle is not None:
            out["cycle"] = cycle
        print(json.dumps(out))
    return code


def _report_error(args: argparse.Namespace, exc: BaseException, code: int) -> int:
    if getattr(args, "debug", False):
        traceback.print_exception(exc)
    text = " ".join(str(exc).split())
    if getattr(args, "json", False):
        print(json.dumps({"error": text, "exit_code": code}), file=sys.stderr)
    else:
        print(f"mvplan: error: {text}", file=sys.stderr)
    return code


def _cmd_measure(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.size is not None and args.ring is None:
        raise MvplanError("--size goes with --ring (the device to put on every frame)")
    from mvplan.io.sequence import multi_frame_curves

    if len(args.files) > 1 or Path(args.files[0]).is_dir() or multi_frame_curves(args.files[0]):
        return _measure_frames(args)
    if args.ring is not None:
        raise MvplanError(
            "--ring needs the frames of a moving annulus (several files or a folder); for one "
            "annulus use mvplan plan and mvplan simulate"
        )
    from mvplan.geometry.measurements import measure
    from mvplan.io.load import load_annulus

    for option in ("landmarks", "papillary"):
        if len(getattr(args, option) or ()) > 1:
            raise MvplanError(f"--{option} is given more than once for one annulus file")
    annulus = load_annulus(
        args.files[0],
        units=args.units,
        landmarks=(args.landmarks or [None])[0],
        papillary=(args.papillary or [None])[0],
    )
    out = _measurement_object(annulus, measure(annulus))
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print(format_measurements(out))
    return EXIT_OK


def _measurement_object(annulus: Any, result: Any) -> dict[str, Any]:
    """What ``mvplan measure FILE --json`` prints for one annulus (warnings go to stderr)."""
    warn_all(annulus.warnings, annulus.source.name)
    out: dict[str, Any] = result.to_dict()
    out["units"] = {
        "length": "mm",
        "area": "mm2",
        "angle": "deg",
        "input": annulus.source.input_units,
        "input_inferred": annulus.source.units_inferred,
    }
    out["n_input_points"] = annulus.source.n_input_points
    out["source"] = annulus.source.name
    return out


def _measure_frames(args: argparse.Namespace) -> int:
    """``mvplan measure F1 F2 ...`` or ``mvplan measure FOLDER``: frames of one annulus."""
    from mvplan.geometry.cycle import measure_cycle
    from mvplan.geometry.measurements import measure
    from mvplan.io.sequence import frame_count, load_annulus_sequence

    if args.ring is not None:  # the device first: a bad ring or size costs no frame's work
        from mvplan.rings.catalogue import load_catalogue

        family = load_catalogue().family(args.ring)
        if args.size is None:
            sold = ", ".join(f"{s:g}" for s in family.sizes_mm)
            raise MvplanError(f"--ring {family.id} needs --size (sold: {sold} mm)")
        family.spec(args.size)
    count = frame_count(args.files)
    sides = {}
    for option in ("landmarks", "papillary"):
        given = getattr(args, option) or []
        if len(given) == count or not given:
            sides[option] = given or None
        elif len(given) == 1 and option == "papillary":
            sides[option] = given * count  # the tips only decide the atrial side
        else:
            raise MvplanError(
                f"--{option} is given {len(given)} time(s) for {count} frames; give it "
                "once per frame, in frame order"
                + (" (or once for all frames)" if option == "papillary" else "")
            )
    sequence = load_annulus_sequence(
        args.files,
        units=args.units,
        landmarks=sides["landmarks"],
        papillary=sides["papillary"],
    )
    results = [measure(a) for a in sequence.annuli]
    frames = [_measurement_object(a, r) for a, r in zip(sequence.annuli, results, strict=True)]
    device = None
    if args.ring is not None:
        from mvplan.workflow import simulate_cycle

        found = simulate_cycle(
            sequence.annuli,
            args.ring,
            size_mm=args.size,
            input_points=sequence.input_points,
            native=results,
        )
        cycle_result = found.native
        device = found.to_dict()
    else:
        cycle_result = measure_cycle(sequence.annuli, sequence.input_points, results)
    cycle = cycle_result.to_dict()
    cycle["order"] = sequence.order
    out: dict[str, Any] = {"frames": frames, "cycle": cycle}
    if device is not None:
        out["device"] = device
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print(format_frames(frames, cycle))
        if device is not None:
            print()
            print(format_device_cycle(cycle, device))
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from mvplan.mechanics.verify import VERIFICATIONS

    if args.list:
        listing = {name: _case_parameters(case) for name, case in VERIFICATIONS.items()}
        print(
            json.dumps(listing, indent=2)
            if args.json
            else "\n".join(
                f"{name}: " + ", ".join(f"{k}={v}" for k, v in params.items())
                for name, params in listing.items()
            )
        )
        return EXIT_OK
    names = args.cases or list(VERIFICATIONS)
    unknown = [n for n in names if n not in VERIFICATIONS]
    if unknown:
        raise MvplanError(
            f"unknown verification case {unknown[0]!r} (known: {', '.join(VERIFICATIONS)})"
        )
    if args.params and len(names) != 1:
        raise MvplanError("--set needs exactly one CASE")
    results = []
    for name in names:
        case = VERIFICATIONS[name]
        results.append(case(**_parse_params(args.params, _case_parameters(case), name)))
    cases = [
        {
            "name": r.name,
            "passed": bool(r.passed),
            "error": float(r.error),
            "tolerance": float(r.tolerance),
            "observed_order": None if r.observed_order is None else float(r.observed_order),
            "params": r.params,
            "details": r.details,
        }
        for r in results
    ]
    if args.json:
        print(json.dumps({"cases": cases}, indent=2, default=_jsonable))
    else:
        print(f"{'case':<25}{'result':<8}{'error':>11}{'tolerance':>11}{'order':>8}")
        for c in cases:
            order = "" if c["observed_order"] is None else f"{c['observed_order']:.2f}"
            verdict = "pass" if c["passed"] else "FAIL"
            print(
                f"{c['name']:<25}{verdict:<8}{c['error']:>11.2e}{c['tolerance']:>11.1e}{order:>8}"
            )
    return EXIT_OK if all(c["passed"] for c in cases) else 1


def _case_parameters(case: Callable[..., Any]) -> dict[str, Any]:
    import inspect

    return {
        name: p.default
        for name, p in inspect.signature(case).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _parse_params(items: Sequence[str], defaults: dict[str, Any], case: str) -> dict[str, Any]:
    """``NAME=VALUE`` strings to keyword arguments typed like the parameter's default."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or name not in defaults:
            raise MvplanError(
                f"{case}: unknown parameter {name!r} (parameters: {', '.join(defaults)})"
            )
        default = defaults[name]
        try:
            if isinstance(default, tuple | list):
                kind = type(default[0]) if default else float
                out[name] = tuple(kind(v) for v in text.split(","))
            elif isinstance(default, bool):
                out[name] = text.lower() in ("1", "true", "yes")
            elif default is None:
                out[name] = float(text)
            else:
                out[name] = type(default)(text)
        except ValueError as exc:
            raise MvplanError(f"{case}: parameter {name}: {text!r} is not valid ({exc})") from exc
    return out


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def format_measurements(out: dict[str, Any]) -> str:
    """The readable table that ``mvplan measure`` prints."""
    from mvplan.geometry.measurements import MEASUREMENT_KEYS, MEASUREMENT_LABELS

    units = out["units"]
    inferred = " (inferred)" if units["input_inferred"] else ""
    lines = [
        f"{out['source']}: {out['n_input_points']} points read, "
        f"input in {units['input']}{inferred}",
        f"atrial side of the plane: {_ORIENTATION_TEXT[out['orientation']]}",
        "",
        f"{'measurement':<34}{'value':>10}  unit",
    ]
    notes = []
    for key in MEASUREMENT_KEYS:
        value = out[key]
        unit = unit_of(key)
        mark = " *" if out.get(f"{key}_estimated") else ""
        if value is None:
            text = "n/a"
            reason = out.get(f"{key}_reason", "")
            if reason not in notes:
                notes.append(reason)
        else:
            text = f"{value:.3f}" if key == "sphericity_index" else f"{value:.1f}"
        lines.append(f"{MEASUREMENT_LABELS[key]:<34}{text:>10}  {unit}{mark}")
    if any(out.get(f"{k}_estimated") for k in MEASUREMENT_KEYS):
        lines.append("")
        lines.append("* rests on an estimated landmark; give landmarks with --landmarks")
    lines.extend(f"n/a: {note}" for note in notes)
    return "\n".join(lines)


#: Columns of the per-frame table of ``mvplan measure F1 F2 ...``: key, header, width.
_FRAME_COLUMNS = (
    ("perimeter_mm", "perim mm", 9),
    ("area_2d_mm2", "area2D mm2", 11),
    ("area_3d_mm2", "area3D mm2", 11),
    ("ap_diameter_mm", "AP mm", 7),
    ("commissural_width_mm", "CW mm", 7),
    ("annular_height_mm", "height mm", 10),
)


def format_frames(frames: Sequence[dict[str, Any]], cycle: dict[str, Any]) -> str:
    """The readable tables that ``mvplan measure F1 F2 ...`` prints: frames, then the cycle."""
    from mvplan.geometry.measurements import MEASUREMENT_KEYS, MEASUREMENT_LABELS

    width = max(len("source"), *(len(f["source"]) for f in frames)) + 2
    head = f"{'frame':<6}{'source':<{width}}{'points':>7}"
    lines = [head + "".join(f"{title:>{w}}" for _, title, w in _FRAME_COLUMNS)]
    for k, frame in enumerate(frames):
        row = f"{k:<6}{frame['source']:<{width}}{frame['n_input_points']:>7}"
        for key, _, w in _FRAME_COLUMNS:
            value = frame[key]
            row += f"{'n/a' if value is None else f'{value:.1f}':>{w}}"
        lines.append(row)
    corr = cycle["correspondence"]
    reversed_frames = corr["reversed_frames"]
    disp = cycle["displacement_mm"]
    lines += [
        "",
        f"frame order: {cycle['order']}",
        f"correspondence: {corr['method']}, {corr['n_points']} points per frame"
        + (f" (frames {reversed_frames} run the other way round)" if reversed_frames else ""),
        f"displacement of corresponding points over the cycle: max {disp['max']:.1f} mm, "
        f"mean {disp['mean']:.1f} mm",
        "",
        f"{'over the cycle':<34}{'min':>9}{'max':>9}{'change':>9}{'change %':>10}  unit",
    ]
    notes = []
    for key in MEASUREMENT_KEYS:
        r = cycle["measurements"][key]
        mark = " *" if r["estimated"] else ""
        if r["min"] is None:
            cells = f"{'n/a':>9}{'n/a':>9}{'n/a':>9}{'n/a':>10}"
            if r["reason"] not in notes:
                notes.append(r["reason"])
        else:
            fmt = ".3f" if key == "sphericity_index" else ".1f"
            pct = "n/a" if r["change_percent"] is None else f"{r['change_percent']:.1f}"
            cells = f"{r['min']:>9{fmt}}{r['max']:>9{fmt}}{r['change']:>9{fmt}}{pct:>10}"
        lines.append(f"{MEASUREMENT_LABELS[key]:<34}{cells}  {unit_of(key)}{mark}")
    lines += [
        "",
        "change % = 100 (max - min) / max: for the areas, the fractional area change",
    ]
    if any(cycle["measurements"][k]["estimated"] for k in MEASUREMENT_KEYS):
        lines.append(
            "* rests on an estimated landmark in some frame; give landmarks with --landmarks"
        )
    lines.extend(f"n/a: {note}" for note in notes)
    return "\n".join(lines)


def format_device_cycle(cycle: dict[str, Any], device: dict[str, Any]) -> str:
    """The readable tables of ``mvplan measure F1 F2 ... --ring ID --size S``: each frame's
    solve, then the native and with-device cycles side by side with the motion kept."""
    from mvplan.geometry.measurements import MEASUREMENT_KEYS, MEASUREMENT_LABELS

    kind = "ring" if device["closed"] else "band"
    width = max(len("source"), *(len(f["source"]) for f in device["frames"])) + 2
    lines = [
        f"with {device['ring']} {device['size_mm']:g} mm ({device['stiffness_class']} {kind}, "
        f"{device['sutures']} sutures; placed automatically and solved on each frame)",
        "",
        f"{'frame':<6}{'source':<{width}}{'converged':>10}{'residual':>10}{'iter':>6}{'ms':>8}"
        f"{'max suture N':>14}",
    ]
    for f in device["frames"]:
        lines.append(
            f"{f['frame']:<6}{f['source']:<{width}}{'yes' if f['converged'] else 'NO':>10}"
            f"{f['residual']:>10.1e}{f['iterations']:>6}{f['time_ms']:>8.0f}"
            f"{f['suture_force_max_n']:>14.2f}"
        )
    lines += [
        "",
        f"{'':<34}{'native':^27}{'with device':^27}",
        f"{'over the cycle':<34}"
        + f"{'min':>9}{'max':>9}{'change':>9}" * 2
        + f"{'kept %':>9}  unit",
    ]
    native, after = cycle["measurements"], device["cycle"]["measurements"]
    for key in MEASUREMENT_KEYS:
        fmt = ".3f" if key == "sphericity_index" else ".1f"
        if key == "perimeter_mm":
            fmt = ".2f"  # a rigid ring keeps a fraction of a millimetre
        cells = ""
        for r in (native[key], after[key]):
            for name in ("min", "max", "change"):
                cells += f"{'n/a':>9}" if r[name] is None else f"{r[name]:>9{fmt}}"
        kept = device["motion_kept_percent"][key]
        cells += f"{'n/a':>9}" if kept is None else f"{kept:>9.1f}"
        lines.append(f"{MEASUREMENT_LABELS[key]:<34}{cells}  {unit_of(key)}")
    ref = device["in_vivo_circumference_change_mm"]
    classes = ("none", "flexible", "semi-rigid", "rigid")
    text = ", ".join(
        f"{'no ring' if c == 'none' else c} {ref[c]['mean']:g} +- {ref[c]['sd']:g}" for c in classes
    )
    lines += [
        "",
        "kept % = 100 x change with the device / native change (n/a: no native change)",
        f"in vivo cyclic circumference change ({ref['source']}): {text} mm",
    ]
    own = ref.get(device["stiffness_class"])
    perimeter = (native["perimeter_mm"]["change"], after["perimeter_mm"]["change"])
    if own is not None and None not in perimeter:
        lines.append(
            f"here: {perimeter[0]:.2f} mm native, {perimeter[1]:.2f} mm with this "
            f"{device['stiffness_class']} {kind} (in vivo {own['mean']:g} +- {own['sd']:g} mm "
            f"against {ref['none']['mean']:g} +- {ref['none']['sd']:g} without a ring)"
        )
    return "\n".join(lines)


_ORIENTATION_TEXT = {
    "papillary": "away from the papillary tips",
    "saddle": "toward the saddle's horns (A and P atrial of the commissures)",
    "assumed": "assumed (flat annulus, no papillary tips: right-hand rule on the point order;"
    " give --papillary to decide it)",
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = [
    "build_parser",
    "format_device_cycle",
    "format_frames",
    "format_measurements",
    "gui_main",
    "main",
]
