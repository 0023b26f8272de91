"""Reading one ring-family TOML file: schema validation and conversion to a RingFamily.

The format is fixed by ``ring-family.schema.json`` (JSON Schema, draft 2020-12) next to this
module; :func:`parse_family` adds the checks a schema cannot express (sizes ascending, a band
cannot be sized along its missing anterior arc, a symmetric family has no bumps...). Every
error is an :class:`~mvplan.errors.InputError` whose one line names the file and the field.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from mvplan.errors import InputError
from mvplan.rings.spec import (
    Bump,
    CoreSpec,
    CrossSection,
    RingFamily,
    SegmentSpec,
    ShapeParams,
    StiffnessSpec,
)

SCHEMA_PATH = Path(__file__).with_name("ring-family.schema.json")

#: Landmarks that lie on a band (a band has no anterior point A).
BAND_LANDMARKS = ("P", "ALC", "PMC", "ALT", "PMT")


@cache
def family_schema() -> dict[str, Any]:
    """The ring-family JSON Schema (loaded once)."""
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


def load_family_file(path: Path, *, user: bool = False) -> RingFamily:
    """Read, validate and convert one ring-family TOML file.

    Raises
    ------
    InputError
        Unreadable TOML, a schema violation or an inconsistent value; the message names the
        file and the field.
    """
    return parse_family(read_toml(path), source=path.name, user=user)


def read_toml(path: Path) -> dict[str, Any]:
    """The table of one TOML file, or an InputError naming the file."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=path.name) from exc
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", source=path.name) from exc


def parse_family(data: Mapping[str, Any], *, source: str, user: bool = False) -> RingFamily:
    """Validate a parsed TOML table against the schema and build the :class:`RingFamily`."""
    validator = jsonschema.Draft202012Validator(family_schema())
    errors = sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.absolute_path))
    if errors:
        raise InputError(_describe(errors[0]), source=source)
    family = _build(data, source, user)
    _check(family, data, source)
    return family


def family_to_dict(family: RingFamily) -> dict[str, Any]:
    """The family as the table its TOML file holds (JSON-ready; plan files embed it).

    :func:`parse_family` of the result gives ``family`` back (with ``source`` its origin).
    """
    geo = family.geometry
    ap: Any = (
        geo.ap_ratio[0][1]
        if len(geo.ap_ratio) == 1 and geo.ap_ratio[0][0] == 0.0
        else [list(row) for row in geo.ap_ratio]
    )
    geometry: dict[str, Any] = {
        "ap_ratio": ap,
        "anterior_share": geo.anterior_share,
        "intertrigonal_ratio": geo.intertrigonal_ratio,
        "saddle_anterior": geo.saddle_anterior,
        "saddle_posterior": geo.saddle_posterior,
    }
    if geo.bumps:
        geometry["bumps"] = [
            {
                "angle_deg": b.angle_deg,
                "width_deg": b.width_deg,
                "height": b.height,
                "radial": b.radial,
            }
            for b in geo.bumps
        ]
    stiffness: dict[str, Any] = {"class": family.stiffness.stiffness_class}
    if family.stiffness.core is not None:
        stiffness["core"] = _core_table(family.stiffness.core)
    if family.stiffness.segments:
        stiffness["segments"] = [
            {"name": g.name, "from": g.start, "to": g.end, "class": g.stiffness_class}
            | ({} if g.core is None else {"core": _core_table(g.core)})
            for g in family.stiffness.segments
        ]
    table: dict[str, Any] = {
        "schema_version": 1,
        "id": family.id,
        "name": family.name,
        "description": family.description,
        "resembles": family.resembles,
        "source": family.source,
        "closed": family.closed,
        "shape": family.shape,
        "symmetric": family.symmetric,
        "sizes_mm": list(family.sizes_mm),
        "size_measure": family.size_measure,
        "sizing_by": list(family.sizing_by),
        "assumptions": list(family.assumptions),
        "geometry": geometry,
        "cross_section": {
            "width_mm": family.cross_section.width_mm,
            "height_mm": family.cross_section.height_mm,
        },
        "stiffness": stiffness,
    }
    if family.adjustable_ap_mm is not None:
        table["adjustable"] = {"ap_range_mm": list(family.adjustable_ap_mm)}
    return table


def _core_table(core: CoreSpec) -> dict[str, Any]:
    return {
        "material": core.material,
        "shape": core.shape,
        "width_mm": core.width_mm,
        "height_mm": core.height_mm,
    }


def _describe(error: jsonschema.ValidationError) -> str:
    # The deepest error of a oneOf says what is wrong more precisely than "is not valid".
    best = jsonschema.exceptions.best_match([error]) if error.context else error
    path = ".".join(str(p) for p in best.absolute_path)
    if best.validator == "required":
        missing = str(best.message).split("'")[1] if "'" in best.message else best.message
        where = f"{path}.{missing}" if path else missing
        return f"field '{where}' is required"
    if best.validator == "additionalProperties" and isinstance(best.instance, dict):
        known = best.schema.get("properties", {}) if isinstance(best.schema, dict) else {}
        extra = sorted(set(best.instance) - set(known))
        names = ", ".join(f"'{path + '.' if path else ''}{k}'" for k in extra)
        return f"unknown field {names} (known: {', '.join(sorted(known))})"
    return f"field '{path or '(top level)'}': {best.message}"


def _core(table: Mapping[str, Any] | None) -> CoreSpec | None:
    if table is None:
        return None
    width = float(table["width_mm"])
    return CoreSpec(
        material=table["material"],
        shape=table["shape"],
        width_mm=width,
        height_mm=float(table.get("height_mm", width)),
    )


def _build(data: Mapping[str, Any], source: str, user: bool) -> RingFamily:
    geo = data["geometry"]
    ap = geo["ap_ratio"]
    ap_table = (
        ((0.0, float(ap)),)
        if isinstance(ap, int | float)
        else tuple((float(s), float(r)) for s, r in ap)
    )
    bumps = tuple(
        Bump(
            float(b["angle_deg"]),
            float(b["width_deg"]),
            float(b.get("height", 0.0)),
            float(b.get("radial", 0.0)),
        )
        for b in geo.get("bumps", [])
    )
    shape = ShapeParams(
        ap_ratio=ap_table,
        anterior_share=float(geo["anterior_share"]),
        intertrigonal_ratio=float(geo["intertrigonal_ratio"]),
        saddle_anterior=float(geo.get("saddle_anterior", 0.0)),
        saddle_posterior=float(geo.get("saddle_posterior", 0.0)),
        bumps=bumps,
    )
    stiff = data["stiffness"]
    segments = tuple(
        SegmentSpec(s["name"], s["from"], s["to"], s["class"], _core(s.get("core")))
        for s in stiff.get("segments", [])
    )
    adjustable = data.get("adjustable")
    sizes = tuple(float(s) for s in data["sizes_mm"])
    return RingFamily(
        id=data["id"],
        name=data["name"],
        closed=bool(data["closed"]),
        shape=data["shape"],
        symmetric=bool(data["symmetric"]),
        sizes_mm=sizes,
        size_measure=data["size_measure"],
        sizing_by=tuple(data.get("sizing_by", [data["size_measure"]])),
        geometry=shape,
        cross_section=CrossSection(
            float(data["cross_section"]["width_mm"]), float(data["cross_section"]["height_mm"])
        ),
        stiffness=StiffnessSpec(stiff["class"], _core(stiff.get("core")), segments),
        adjustable_ap_mm=(
            (float(adjustable["ap_range_mm"][0]), float(adjustable["ap_range_mm"][1]))
            if adjustable
            else None
        ),
        resembles=data.get("resembles", ""),
        source=data.get("source", ""),
        assumptions=tuple(data.get("assumptions", [])),
        description=data.get("description", ""),
        origin=source,
        user=user,
    )


def _mirror_symmetric(bumps: tuple[Bump, ...]) -> bool:
    """Whether the bumps are unchanged by the mirror x -> -x (angle -> 180 deg - angle)."""

    def key(b: Bump, angle: float) -> tuple[float, ...]:
        return (round(angle % 360.0, 6), b.width_deg, b.height, b.radial)

    own = sorted(key(b, b.angle_deg) for b in bumps)
    mirrored = sorted(key(b, 180.0 - b.angle_deg) for b in bumps)
    return own == mirrored


def _check(family: RingFamily, data: Mapping[str, Any], source: str) -> None:
    """Consistency rules beyond the schema, each naming its field."""

    def fail(field: str, message: str) -> None:
        raise InputError(f"field '{field}': {message}", source=source)

    sizes = family.sizes_mm
    if any(b <= a for a, b in itertools.pairwise(sizes)):
        fail("sizes_mm", "sizes must be strictly ascending")
    ap_sizes = [s for s, _ in family.geometry.ap_ratio]
    if any(b <= a for a, b in itertools.pairwise(ap_sizes)):
        fail("geometry.ap_ratio", "the (size, ratio) pairs must have ascending sizes")
    geo = family.geometry
    if geo.intertrigonal_ratio >= 1.0 - 1e-6:
        fail("geometry.intertrigonal_ratio", "the trigones must lie between the commissures")
    if not family.closed:
        if family.size_measure == "trigone_arc_length":
            fail("size_measure", "a band has no anterior arc between its trigones")
        for i, seg in enumerate(family.stiffness.segments):
            for key, mark in (("from", seg.start), ("to", seg.end)):
                if mark not in BAND_LANDMARKS:
                    fail(f"stiffness.segments.{i}.{key}", f"{mark} is not on a band")
    for i, seg in enumerate(family.stiffness.segments):
        if seg.start == seg.end:
            fail(f"stiffness.segments.{i}.to", "a segment must end at another landmark")
    if family.symmetric != _mirror_symmetric(geo.bumps):
        fail(
            "symmetric",
            "does not match geometry.bumps (symmetric means mirror-symmetric about the AP "
            "plane: every bump on it, at 90 or 270 deg, or paired with its mirror at 180 - angle)",
        )
    raised = geo.saddle_anterior > 0 or geo.saddle_posterior > 0
    if family.shape == "planar" and (raised or any(b.height for b in geo.bumps)):
        fail("shape", "a planar family cannot have saddle horns or height bumps")
    if family.shape == "saddle" and not raised:
        fail("shape", "a saddle family needs geometry.saddle_anterior or saddle_posterior > 0")
    if family.adjustable_ap_mm is not None:
        low, high = family.adjustable_ap_mm
        if low > high:
            fail("adjustable.ap_range_mm", "the range must be [min, max]")
    cores = [("stiffness.core", data["stiffness"].get("core"))]
    cores += [
        (f"stiffness.segments.{i}.core", seg.get("core"))
        for i, seg in enumerate(data["stiffness"].get("segments", []))
    ]
    for where, core in cores:
        if core is not None and core["shape"] == "rect" and "height_mm" not in core:
            fail(f"{where}.height_mm", "a rectangular core needs a height")
