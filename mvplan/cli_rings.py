"""``mvplan rings list|show|export|recommend``: the ring library on the command line.

:func:`add_rings_commands` registers the subcommands on ``mvplan``'s parser; each handler
returns an exit code, prints a table or (``--json``) one JSON object on stdout, and raises
:class:`~mvplan.errors.MvplanError` for bad input (an unknown family, a size not sold, a bad
filter or policy), which ``mvplan.cli.main`` reports with exit code 2. Never imports Qt or VTK.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from mvplan.cli_output import EXIT_OK
from mvplan.errors import InputError

#: Keys ``rings list --filter`` understands, and whether their values are booleans.
FILTER_KEYS: dict[str, bool] = {
    "id": False,
    "closed": True,
    "shape": False,
    "symmetric": True,
    "stiffness": False,
    "adjustable": True,
    "size_measure": False,
    "user": True,
    "size": False,
}


def add_rings_commands(
    subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser
) -> None:
    """Register ``rings`` and its actions on ``mvplan``'s subparsers.

    Parameters
    ----------
    subparsers
        The object ``parser.add_subparsers(...)`` returned.
    common_parent
        Parser holding the options every command has (``--json``, ``--debug``).
    """
    rings = subparsers.add_parser(
        "rings",
        parents=[common_parent],
        help="the ring and band library",
        description="List, show, export and size annuloplasty rings and bands.",
    )
    actions = rings.add_subparsers(
        dest="rings_action", metavar="ACTION", required=True, parser_class=type(rings)
    )
    listing = actions.add_parser("list", parents=[common_parent], help="list ring families")
    listing.add_argument(
        "--filter",
        metavar="KEY=VALUE,...",
        default="",
        help=f"keep families matching all of these (keys: {', '.join(FILTER_KEYS)})",
    )
    listing.set_defaults(handler=cmd_list)

    show = actions.add_parser("show", parents=[common_parent], help="dimensions of one size")
    _family_size(show)
    show.set_defaults(handler=cmd_show)

    export = actions.add_parser("export", parents=[common_parent], help="write a ring mesh")
    _family_size(export)
    export.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="mesh file: .stl .ply .obj .glb .vtp"
    )
    export.set_defaults(handler=cmd_export)

    rec = actions.add_parser("recommend", parents=[common_parent], help="recommend a size")
    rec.add_argument("annulus", help="annulus: .csv .txt .mrk.json .vtk .vtp .stl .ply .obj")
    rec.add_argument("--family", required=True, metavar="ID", help="ring family id")
    rec.add_argument(
        "--policy", default="true-size", help="true-size (default), undersize:N or oversize:N"
    )
    rec.add_argument(
        "--anterior-leaflet-height",
        type=float,
        metavar="MM",
        help="measured anterior leaflet height, mm",
    )
    rec.add_argument("--landmarks", metavar="FILE", help="points labelled A P ALC PMC ALT PMT")
    rec.add_argument("--papillary", metavar="FILE", help="papillary-muscle tip points")
    rec.add_argument("--units", choices=["mm", "cm", "m"], help="unit of the input coordinates")
    rec.set_defaults(handler=cmd_recommend)


def _family_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", metavar="ID", help="ring family id (see `mvplan rings list`)")
    parser.add_argument("--size", type=float, required=True, metavar="MM", help="size sold, mm")
    parser.add_argument(
        "--adjust",
        type=float,
        default=0.0,
        metavar="MM",
        help="AP change of an adjustable device, mm",
    )


def _print(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(text)


def family_summary(fam: Any) -> dict[str, Any]:
    """The ``rings list`` fields of one family."""
    out: dict[str, Any] = {
        "id": fam.id,
        "name": fam.name,
        "closed": fam.closed,
        "shape": fam.shape,
        "symmetric": fam.symmetric,
        "stiffness": fam.stiffness.stiffness_class,
        "segmental": bool(fam.stiffness.segments),
        "adjustable": fam.adjustable,
        "sizes_mm": list(fam.sizes_mm),
        "size_measure": fam.size_measure,
        "sizing_by": list(fam.sizing_by),
    }
    if fam.adjustable:
        out["adjustable_ap_mm"] = list(fam.adjustable_ap_mm)
    if fam.resembles:
        out["resembles"] = fam.resembles
    if fam.source:
        out["source"] = fam.source
    out["user"] = fam.user
    out["file"] = fam.origin
    return out


def _parse_filter(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in FILTER_KEYS:
            raise InputError(
                f"--filter: {item!r} is not KEY=VALUE with KEY one of {', '.join(FILTER_KEYS)}"
            )
        value = value.strip().lower()
        if FILTER_KEYS[key] and value not in ("true", "false", "yes", "no", "1", "0"):
            raise InputError(f"--filter: {key} takes true or false, not {value!r}")
        pairs.append((key, value))
    return pairs


def _matches(summary: dict[str, Any], key: str, value: str) -> bool:
    if key == "size":
        try:
            return any(abs(s - float(value)) < 0.01 for s in summary["sizes_mm"])
        except ValueError:
            raise InputError(f"--filter: size takes a number, not {value!r}") from None
    if FILTER_KEYS[key]:
        return bool(summary[key]) == (value in ("true", "yes", "1"))
    return str(summary[key]).lower() == value


def cmd_list(args: argparse.Namespace) -> int:
    """``mvplan rings list``."""
    from mvplan.rings.catalogue import load_catalogue

    pairs = _parse_filter(args.filter)
    catalogue = load_catalogue()
    rows = [family_summary(f) for f in catalogue.families]
    rows = [r for r in rows if all(_matches(r, k, v) for k, v in pairs)]
    lines = [f"{'id':<26}{'type':<6}{'shape':<8}{'stiffness':<12}{'sym':<5}{'adj':<5}sizes (mm)"]
    for r in rows:
        sizes = r["sizes_mm"]
        lines.append(
            f"{r['id']:<26}{'ring' if r['closed'] else 'band':<6}{r['shape']:<8}"
            f"{r['stiffness'] + ('*' if r['segmental'] else ''):<12}"
            f"{'yes' if r['symmetric'] else 'no':<5}{'yes' if r['adjustable'] else 'no':<5}"
            f"{sizes[0]:g}-{sizes[-1]:g} by {r['size_measure']}"
        )
    lines.append(f"{len(rows)} families (* segmental stiffness)")
    devices = [device_summary(d) for d in catalogue.devices]
    if devices and not pairs:  # the filters describe rings; the devices follow unfiltered
        lines += ["", "percutaneous devices (plan --ring ID --size S --cinch C)"]
        lines.append(f"{'id':<26}{'type':<20}{'cinch max':<11}sizes (mm)")
        for d in devices:
            sizes = d["sizes_mm"]
            lines.append(
                f"{d['id']:<26}{d['type']:<20}{format(d['cinch_max_percent'], 'g') + ' %':<11}"
                f"{', '.join(f'{v:g}' for v in sizes)} between the end anchors"
            )
    _print(
        args,
        {
            "families": rows,
            "count": len(rows),
            "devices": devices,
            "skipped": list(catalogue.skipped),
        },
        "\n".join(lines),
    )
    return EXIT_OK


def device_summary(dev: Any) -> dict[str, Any]:
    """The ``rings list`` fields of one percutaneous device (its catalogue table, plus where
    it came from)."""
    from mvplan.rings.percutaneous import device_to_dict

    table = device_to_dict(dev)
    table.pop("schema_version")
    return table | {"user": dev.user, "file": dev.origin}


def _spec(args: argparse.Namespace) -> Any:
    from mvplan.rings.catalogue import load_catalogue

    return load_catalogue().family(args.family).spec(args.size, args.adjust)


def show_payload(spec: Any) -> dict[str, Any]:
    """Everything ``rings show`` reports about one ring spec (measured on its centreline)."""
    from mvplan.rings.geometry import ring_dimensions, ring_geometry
    from mvplan.rings.stiffness import segment_stiffness

    fam = spec.family
    out: dict[str, Any] = {
        "id": fam.id,
        "name": fam.name,
        "closed": fam.closed,
        "size_measure": fam.size_measure,
    }
    out |= ring_dimensions(spec)
    out["cross_section_mm"] = {
        "width": spec.cross_section.width_mm,
        "height": spec.cross_section.height_mm,
    }
    out["stiffness"] = {
        "class": fam.stiffness.stiffness_class,
        "segments": [s.to_dict() for s in segment_stiffness(spec)],
        "units": {"ei": "N mm2", "ea": "N"},
    }
    geo = ring_geometry(spec)
    out["markers_mm"] = {k: [round(float(c), 4) for c in v] for k, v in geo.markers.items()}
    out["marker_u"] = {k: round(v, 6) for k, v in geo.marker_u.items()}
    if fam.adjustable:
        out["adjustable_ap_mm"] = list(fam.adjustable_ap_mm)
    out["assumptions"] = list(fam.assumptions)
    if fam.source:
        out["source"] = fam.source
    return out


def cmd_show(args: argparse.Namespace) -> int:
    """``mvplan rings show ID --size S``."""
    from mvplan.rings.catalogue import load_catalogue

    catalogue = load_catalogue()
    if catalogue.is_device(args.family):
        return _show_device(args, catalogue.device(args.family))
    out = show_payload(_spec(args))
    lines = [f"{out['name']} ({out['id']}), size {out['size_mm']:g} mm = {out['size_measure']}"]
    for key, label in (
        ("commissural_width_mm", "commissural width"),
        ("ap_diameter_mm", "AP (septal-lateral) diameter"),
        ("intertrigonal_distance_mm", "intertrigonal distance"),
        ("trigone_arc_length_mm", "arc between trigones (via A)"),
        ("saddle_height_mm", "saddle height"),
        ("arc_length_mm", "centreline length"),
    ):
        value = out[key]
        lines.append(f"  {label:<32}{'n/a' if value is None else f'{value:.2f}':>8} mm")
    cs = out["cross_section_mm"]
    lines.append(f"  {'cross-section (w x h)':<32}{cs['width']:g} x {cs['height']:g} mm")
    for seg in out["stiffness"]["segments"]:
        lines.append(
            f"  stiffness {seg['name']:<10} u {seg['u_start']:.3f}-{seg['u_end']:.3f} "
            f"{seg['class']:<10} EI_in {seg['ei_in_plane_n_mm2']:.4g} "
            f"EI_out {seg['ei_out_of_plane_n_mm2']:.4g} GJ {seg['gj_n_mm2']:.4g} N mm2, "
            f"EA {seg['ea_n']:.4g} N (assumed)"
        )
    _print(args, out, "\n".join(lines))
    return EXIT_OK


def _show_device(args: argparse.Namespace, device: Any) -> int:
    """``rings show`` of a percutaneous device: its table, the cinch limit at the size."""
    spec = device.spec(args.size, 0.0)  # a size not sold: say so
    out = device_summary(device) | {
        "size_mm": spec.size_mm,
        "cinch_limit_mm": device.cinch_limit_mm(spec.size_mm),
        "anchor_count": device.anchor_count(spec.size_mm),
    }
    lines = [
        f"{out['name']} ({out['id']}, {out['type']}), size {spec.size_mm:g} mm between the end "
        "anchors",
        f"  anchors                         {out['anchor_count']}",
        f"  cinch up to                     {out['cinch_limit_mm']:.3g} mm "
        f"({out['cinch_max_percent']:g} %)",
        f"  wire EA                         {out['wire_axial_rigidity_n']:g} N",
    ]
    lines += [f"  assumed: {a}" for a in out["assumptions"]]
    _print(args, out, "\n".join(lines))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """``mvplan rings export ID --size S -o FILE``."""
    from pathlib import Path

    from mvplan.rings.mesh import export_ring

    spec = _spec(args)
    mesh = export_ring(spec, args.output)
    out = {
        "id": spec.family.id,
        "size_mm": spec.size_mm,
        "output": Path(args.output).name,
        "vertices": len(mesh.vertices),
        "faces": len(mesh.faces),
        "watertight": bool(mesh.is_watertight),
    }
    _print(args, out, f"wrote {out['output']}: {out['faces']} triangles")
    return EXIT_OK


def cmd_recommend(args: argparse.Namespace) -> int:
    """``mvplan rings recommend ANNULUS --family ID --policy POLICY``."""
    import sys

    from mvplan.geometry.measurements import measure
    from mvplan.io.load import load_annulus
    from mvplan.rings.catalogue import load_catalogue
    from mvplan.rings.sizing import parse_policy, recommend_size

    policy = parse_policy(args.policy)
    family = load_catalogue().family(args.family)
    annulus = load_annulus(
        args.annulus, units=args.units, landmarks=args.landmarks, papillary=args.papillary
    )
    for message in annulus.warnings:
        print(f"mvplan: warning: {annulus.source.name}: {message}", file=sys.stderr)
    result = measure(annulus)
    rec = recommend_size(
        family,
        result.values,
        policy,
        anterior_leaflet_height_mm=args.anterior_leaflet_height,
        estimated=result.estimated,
    )
    out = rec.to_dict()
    out["source"] = annulus.source.name
    _print(args, out, f"{family.id}: size {rec.size_mm:g} mm\n  {rec.reason}")
    return EXIT_OK


__all__ = ["add_rings_commands", "cmd_export", "cmd_list", "cmd_recommend", "cmd_show"]
