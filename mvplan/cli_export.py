"""``mvplan export`` and ``mvplan report``: a plan's scene, markups, images and report.

Both read a plan file and solve its annuloplasty again (a plan file's stored figures are
numbers; the geometry is recomputed, and a plan gives the same results every time), then,
unless ``--no-closure``, its leaflet closure (native and, with a device, repaired; as
``mvplan simulate``), and call :func:`mvplan.export.export_plan` or
:func:`mvplan.export.report.write_report`. The export layer uses VTK, so it is imported
inside the command functions: ``import mvplan.cli`` stays light and never loads VTK.

A closure that does not converge (exit code 3, as for ``mvplan simulate``):

- ``export`` writes nothing: a scene of leaflets that did not converge would be a wrong
  picture; the message says so and that ``--no-closure`` exports the plan without them.
  Only scenes hold leaflets: markups and pictures never run the closure, nor does a scene
  whose ``--objects`` name none of the closure's objects.
- ``report`` writes the report anyway, stating at its top that the closure did not converge
  (with the residual) and showing none of that closure's figures, prints the files written
  (with ``--json``: ``{"written": [...], "closure": "not converged"}``; otherwise
  ``"converged"`` or ``"not simulated"``), and then fails with the solver's message.

Options are checked (file name, objects, frame) before any solve, so a typo fails at once.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvplan.cli_output import EXIT_OK, output_path, pixel_size
from mvplan.cli_plan import add_closure_options, closure_settings
from mvplan.errors import ConvergenceError, InputError

if TYPE_CHECKING:
    from mvplan.export.closure import ClosureFailure
    from mvplan.workflow import ClosureOutcome

VIEWS = ("atrial", "lateral", "ap")


def add_export_commands(
    subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser
) -> None:
    """Register ``export`` and ``report`` on ``mvplan``'s subparsers."""
    export = subparsers.add_parser(
        "export",
        parents=[common_parent],
        help="write a plan's scene, Slicer markups or an image",
        description="Simulate the plan (and its leaflet closure) and write its scene (.glb "
        ".gltf .vtp .vtm .stl .ply .obj: named objects in mm, coloured, with per-vertex "
        "values where the format allows), its curves as 3D Slicer markups (.mrk.json) or a "
        "picture (.png).",
    )
    export.add_argument("plan", metavar="PLAN", help="plan file (*.mvplan.json)")
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    export.add_argument(
        "--objects",
        metavar="NAMES",
        help="comma-separated objects: annulus_native, annulus_reshaped, ring, sutures, "
        "leaflets_native, leaflets_repaired, chordae_native, chordae_repaired; a "
        "percutaneous device's device, device_placed, anchors, coronary_sinus_native, "
        "coronary_sinus_cinched, artery (annulus: both annuli; leaflets, chordae: both "
        "cases; closure: all four; coronary_sinus: both; default all)",
    )
    export.add_argument(
        "--frame",
        choices=["valve", "original"],
        default="valve",
        help="valve: the annulus valve frame; original: the input file's coordinates, to "
        "overlay the patient's images (default valve)",
    )
    export.add_argument("--view", choices=VIEWS, default="atrial", help="view of a .png")
    export.add_argument(
        "--size", metavar="WxH", type=pixel_size(), default=(1280, 800), help="size of a .png"
    )
    add_closure_options(export)
    export.set_defaults(handler=cmd_export)

    report = subparsers.add_parser(
        "report",
        parents=[common_parent],
        help="write a plan's report (HTML, with its numbers as CSV and JSON)",
        description="Simulate the plan and its leaflet closure and write a self-contained "
        "HTML report (input, measurements before and after, ring and size, suture forces, "
        "saddle profile, leaflet closure native against repaired, 3D views, solver figures) "
        "and, beside it, all its numbers as CSV and JSON. A closure that does not converge "
        "is stated in the report, which is written, and the command exits 3.",
    )
    report.add_argument("plan", metavar="PLAN", help="plan file (*.mvplan.json)")
    report.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="REPORT.html",
        help="report to write: .html, or .pdf (laid out by WeasyPrint, the `pdf` extra)",
    )
    report.add_argument("--no-images", action="store_true", help="leave out the 3D views")
    add_closure_options(report)
    report.add_argument(
        "--no-sensitivity",
        action="store_true",
        help="leave out the sensitivity table (by default the closure is solved again with the "
        "chordae rest lengths and the leaflet stiffness each at 90 and 110 %%: four more "
        "solves, in parallel processes: --jobs)",
    )
    report.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes for the sensitivity solves (default: the CPUs, at most 4)",
    )
    report.set_defaults(handler=cmd_report)


def _simulated(plan_file: str) -> Any:
    import mvplan.api as mv
    from mvplan.headless import configure_headless

    configure_headless()  # before VTK loads: no display, draw with OSMesa

    source = Path(plan_file).name
    plan = mv.load_plan(plan_file)
    return mv.simulate(plan, source=source)


def _closure(
    args: argparse.Namespace, sim: Any, repaired: bool = True
) -> tuple[ClosureOutcome | None, ClosureFailure | None]:
    """The plan's closure (native, and repaired when asked and there is a device)."""
    from mvplan.export.closure import closure_or_failure

    return closure_or_failure(
        sim.plan,
        sim.result if repaired else None,
        settings=closure_settings(args),
        source=Path(args.plan).name,
    )


def cmd_export(args: argparse.Namespace) -> int:
    """``mvplan export PLAN -o FILE [--objects ...] [--frame ...] [--view ...] [--size WxH]
    [--no-closure] [--leaflet-resolution R]``."""
    from mvplan.export import (
        CLOSURE_OBJECTS,
        check_export_path,
        check_frame,
        export_plan,
        select_objects,
    )

    out = output_path(args.output)
    objects = None if args.objects is None else [o.strip() for o in args.objects.split(",")]
    kind = check_export_path(out)  # before the solves
    check_frame(args.frame)
    selection = select_objects(objects)
    wanted = list(CLOSURE_OBJECTS) if selection is None else list(selection)
    wanted = [n for n in wanted if n in CLOSURE_OBJECTS]
    if args.no_closure and selection is not None:
        named = [n for n in wanted if selection[n]]
        if named:
            raise InputError(f"--no-closure leaves out the leaflets and chordae: not {named[0]}")
    sim = _simulated(args.plan)
    closure = None
    if kind == "scene" and not args.no_closure and wanted:
        repaired = any(n.endswith("_repaired") for n in wanted)
        closure, failure = _closure(args, sim, repaired)
        if failure is not None:
            raise ConvergenceError(
                f"{failure.message}; nothing written (--no-closure exports the plan without "
                "the leaflets)"
            )
    written = export_plan(
        sim.plan,
        sim.result,
        sim.spec,
        out,
        objects=objects,
        frame=args.frame,
        view=args.view,
        size=args.size,
        closure=closure,
    )
    _print_written(args, written, frame=args.frame)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``mvplan report PLAN -o report.html [--no-images] [--no-closure]
    [--leaflet-resolution R] [--no-sensitivity]``."""
    from mvplan.export.report import check_report_path, write_report

    out = check_report_path(output_path(args.output))  # before the solves
    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    sim = _simulated(args.plan)
    closure, failure = (None, None) if args.no_closure else _closure(args, sim)
    sensitivity = None
    if closure is not None and failure is None and not args.no_sensitivity:
        from mvplan.sweep import closure_sensitivity

        # The repaired valve when the plan has a device, else the native one.
        repaired = sim.result if closure.repaired is not None else None
        # Four solves: more than four processes would wait.
        jobs = min(args.jobs or os.cpu_count() or 1, 4)
        sensitivity = closure_sensitivity(sim.plan, repaired, closure, jobs=jobs)
    written = write_report(
        sim.plan,
        sim.result,
        sim.spec,
        out,
        images=not args.no_images,
        plan_file=args.plan,
        closure=closure,
        closure_failure=failure,
        sensitivity=sensitivity,
    )
    status = "not simulated" if args.no_closure else "converged"
    _print_written(args, written, closure="not converged" if failure else status)
    if failure is not None:
        # The report is written and says so; the command still fails as a solve that did
        # not converge does (exit 3).
        raise ConvergenceError(f"{failure.message}; the report says so: {written[0]}")
    return EXIT_OK


def _print_written(args: argparse.Namespace, written: list[Path], **extra: Any) -> None:
    if args.json:
        print(json.dumps({"written": [str(p) for p in written], **extra}, indent=2))
    else:
        for path in written:
            print(f"wrote {path}")


__all__ = ["add_export_commands", "cmd_export", "cmd_report"]
