"""``mvplan export`` and ``mvplan report``: a plan's scene, markups, images and report.

Both read a plan file and solve its annuloplasty again (a plan file's stored figures are
numbers; the geometry is recomputed, and a plan gives the same results every time), then call
:func:`mvplan.export.export_plan` or :func:`mvplan.export.report.write_report`. The export
layer uses VTK, so it is imported inside the command functions: ``import mvplan.cli`` stays
light and never loads VTK.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mvplan.cli_output import EXIT_OK, output_path, pixel_size

VIEWS = ("atrial", "lateral", "ap")


def add_export_commands(
    subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser
) -> None:
    """Register ``export`` and ``report`` on ``mvplan``'s subparsers."""
    export = subparsers.add_parser(
        "export",
        parents=[common_parent],
        help="write a plan's scene, Slicer markups or an image",
        description="Simulate the plan and write its scene (.glb .gltf .vtp .vtm .stl .ply "
        ".obj: named objects in mm, coloured, with per-vertex values where the format "
        "allows), its curves as 3D Slicer markups (.mrk.json) or a picture (.png).",
    )
    export.add_argument("plan", metavar="PLAN", help="plan file (*.mvplan.json)")
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    export.add_argument(
        "--objects",
        metavar="NAMES",
        help="comma-separated objects: annulus_native, annulus_reshaped, ring, sutures "
        "(annulus: both annuli; default all)",
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
    export.set_defaults(handler=cmd_export)

    report = subparsers.add_parser(
        "report",
        parents=[common_parent],
        help="write a plan's report (HTML, with its numbers as CSV and JSON)",
        description="Simulate the plan and write a self-contained HTML report (input, "
        "measurements before and after, ring and size, suture forces, saddle profile, 3D "
        "views, solver figures) and, beside it, all its numbers as CSV and JSON.",
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
    report.set_defaults(handler=cmd_report)


def _simulated(plan_file: str) -> Any:
    import mvplan.api as mv
    from mvplan.headless import configure_headless

    configure_headless()  # before VTK loads: no display, draw with OSMesa

    source = Path(plan_file).name
    plan = mv.load_plan(plan_file)
    return mv.simulate(plan, source=source)


def cmd_export(args: argparse.Namespace) -> int:
    """``mvplan export PLAN -o FILE [--objects ...] [--frame ...] [--view ...] [--size WxH]``."""
    from mvplan.export import export_plan

    out = output_path(args.output)
    objects = None if args.objects is None else [o.strip() for o in args.objects.split(",")]
    sim = _simulated(args.plan)
    written = export_plan(
        sim.plan,
        sim.result,
        sim.spec,
        out,
        objects=objects,
        frame=args.frame,
        view=args.view,
        size=args.size,
    )
    _print_written(args, written, frame=args.frame)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``mvplan report PLAN -o report.html [--no-images]``."""
    from mvplan.export.report import write_report

    out = output_path(args.output)
    sim = _simulated(args.plan)
    written = write_report(
        sim.plan, sim.result, sim.spec, out, images=not args.no_images, plan_file=args.plan
    )
    _print_written(args, written)
    return EXIT_OK


def _print_written(args: argparse.Namespace, written: list[Path], **extra: Any) -> None:
    if args.json:
        print(json.dumps({"written": [str(p) for p in written], **extra}, indent=2))
    else:
        for path in written:
            print(f"wrote {path}")


__all__ = ["add_export_commands", "cmd_export", "cmd_report"]
