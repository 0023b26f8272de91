"""Percutaneous and transcatheter annuloplasty devices: their catalogue entries and specs.

Two device types join the ring catalogue (one TOML file each in ``rings/``, told apart from
rings by their ``type`` field and checked against ``percutaneous-device.schema.json``):

- ``coronary-sinus`` (Carillon-like): a distal anchor in the great cardiac vein, a proximal
  anchor near the sinus ostium, and between them a ribbon that is pulled back (cinched) before
  the proximal anchor is released, plicating the vein along the posterior annulus. The size is
  the device length between the anchors, along the vein.
- ``transcatheter-band`` (Cardioband-like): a sleeve fixed to the posterior annulus by ``N``
  anchors from one trigone region to the other, with a contraction wire that shortens it
  (cinched). The size is the band length between its end anchors, along the annulus.

A :class:`DeviceSpec` is a family at one size and one cinch (mm): the value the mechanics
(:mod:`mvplan.planning.percutaneous`) take. The cinch is what the device takes in: the
shortening of the wire between the anchors, mm; ``--cinch 15%`` means 15 % of the size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from mvplan.errors import InputError
from mvplan.rings.spec import sold_size

__all__ = [
    "DEVICE_TYPES",
    "DeviceSpec",
    "PercutaneousFamily",
    "device_to_dict",
    "parse_cinch",
    "parse_device",
]

#: The device types (the ``type`` field of a catalogue file); rings have none.
DEVICE_TYPES: tuple[str, ...] = ("coronary-sinus", "transcatheter-band")

SCHEMA_PATH = Path(__file__).with_name("percutaneous-device.schema.json")


@dataclass(frozen=True)
class PercutaneousFamily:
    """One catalogue entry: a coronary-sinus device or a transcatheter band, all its sizes.

    Attributes
    ----------
    id, name : str
    type : str
        ``coronary-sinus`` or ``transcatheter-band``.
    sizes_mm : tuple of float
        Lengths sold between the end anchors, ascending, mm.
    cinch_max_percent : float
        The largest cinch the device allows, percent of its size.
    wire_axial_rigidity_n : float
        ``EA`` of the cinching wire or ribbon, N (nearly inextensible).
    anchor_spacing_mm : float
        Transcatheter bands: spacing of the anchors along the annulus, mm (their count follows
        from the size); coronary-sinus devices: unused (two anchors).
    anchor_stiffness_n_per_mm : float
        Stiffness of each anchor's hold on the tissue, N/mm.
    distal_anchor_mm, proximal_anchor_mm : tuple of float
        Coronary-sinus devices: the anchor diameters sold (min, max), mm (reported only).
    description, resembles, source : str
    assumptions : tuple of str
    origin : str
        File it was read from (base name), or ``"<code>"``.
    user : bool
        True when it came from the user folder.
    """

    id: str
    name: str
    type: str
    sizes_mm: tuple[float, ...]
    cinch_max_percent: float
    wire_axial_rigidity_n: float
    anchor_stiffness_n_per_mm: float
    anchor_spacing_mm: float = 0.0
    distal_anchor_mm: tuple[float, float] | None = None
    proximal_anchor_mm: tuple[float, float] | None = None
    description: str = ""
    resembles: str = ""
    source: str = ""
    assumptions: tuple[str, ...] = ()
    origin: str = "<code>"
    user: bool = field(default=False, compare=False)

    @property
    def closed(self) -> bool:
        """Always False: percutaneous devices are open (a ring-like property for listings)."""
        return False

    @property
    def adjustable(self) -> bool:
        """Always True: the cinch is set at implantation."""
        return True

    def cinch_limit_mm(self, size_mm: float) -> float:
        """The largest cinch at ``size_mm``, mm."""
        return self.cinch_max_percent / 100.0 * size_mm

    def anchor_count(self, size_mm: float) -> int:
        """Anchors of the device at ``size_mm`` (2 for a coronary-sinus device)."""
        if self.type == "coronary-sinus":
            return 2
        return max(3, round(size_mm / self.anchor_spacing_mm) + 1)

    def spec(self, size_mm: float, cinch_mm: float = 0.0) -> DeviceSpec:
        """This family at one of its sizes and a cinch.

        Raises
        ------
        InputError
            A size not sold, a negative cinch, or one beyond what the device allows.
        """
        size = sold_size(self.id, self.sizes_mm, size_mm)
        limit = self.cinch_limit_mm(size)
        if not 0.0 <= cinch_mm <= limit + 1e-9:
            raise InputError(
                f"{self.id}: cinch {cinch_mm:g} mm is beyond what the device allows "
                f"(0 to {limit:.3g} mm, {self.cinch_max_percent:g} % of its {size:g} mm)"
            )
        return DeviceSpec(self, size, float(cinch_mm))


@dataclass(frozen=True)
class DeviceSpec:
    """A percutaneous device at one size and cinch.

    Attributes
    ----------
    family : PercutaneousFamily
    size_mm : float
        Length between the end anchors, mm.
    cinch_mm : float
        Shortening of the wire between the end anchors, mm.
    """

    family: PercutaneousFamily
    size_mm: float
    cinch_mm: float = 0.0

    @property
    def type(self) -> str:
        """``coronary-sinus`` or ``transcatheter-band``."""
        return self.family.type

    @property
    def cinch_percent(self) -> float:
        """The cinch as a percentage of the size."""
        return 100.0 * self.cinch_mm / self.size_mm


_CINCH = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*(mm|%)?\s*$")


def parse_cinch(text: str | float, size_mm: float) -> float:
    """A cinch as typed (``6``, ``6mm``, ``15%``) in mm for a device of ``size_mm``.

    Raises
    ------
    InputError
        Text that is not a number with an optional ``mm`` or ``%``, or a negative cinch.
    """
    if isinstance(text, int | float):
        value, unit = float(text), "mm"
    else:
        match = _CINCH.match(text)
        if match is None:
            raise InputError(f"cinch {text!r} is not a length in mm or a percentage (6, 6mm, 15%)")
        value, unit = float(match.group(1)), match.group(2) or "mm"
    if value < 0.0:
        raise InputError(f"cinch {text!r} is negative; a device can only be tightened")
    return value / 100.0 * size_mm if unit == "%" else value


@cache
def device_schema() -> dict[str, Any]:
    """The percutaneous-device JSON Schema (loaded once)."""
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


def parse_device(data: Mapping[str, Any], *, source: str, user: bool = False) -> PercutaneousFamily:
    """Validate a parsed TOML table against the schema and build the family.

    Raises
    ------
    InputError
        A schema violation or an inconsistent value, naming ``source`` and the field.
    """
    validator = jsonschema.Draft202012Validator(device_schema())
    errors = sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        path = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"field '{path}': {error.message}", source=source)
    sizes = tuple(float(s) for s in data["sizes_mm"])
    if list(sizes) != sorted(set(sizes)):
        raise InputError("field 'sizes_mm': sizes must be distinct and ascending", source=source)
    anchors = data.get("anchors", {})
    if data["type"] == "transcatheter-band" and "spacing_mm" not in anchors:
        raise InputError("field 'anchors.spacing_mm' is required for a band", source=source)

    def pair(key: str) -> tuple[float, float] | None:
        value = anchors.get(key)
        return None if value is None else (float(value[0]), float(value[1]))

    return PercutaneousFamily(
        id=str(data["id"]),
        name=str(data["name"]),
        type=str(data["type"]),
        sizes_mm=sizes,
        cinch_max_percent=float(data["cinch_max_percent"]),
        wire_axial_rigidity_n=float(data["wire_axial_rigidity_n"]),
        anchor_stiffness_n_per_mm=float(anchors.get("stiffness_n_per_mm", 20.0)),
        anchor_spacing_mm=float(anchors.get("spacing_mm", 0.0)),
        distal_anchor_mm=pair("distal_diameter_mm"),
        proximal_anchor_mm=pair("proximal_diameter_mm"),
        description=str(data.get("description", "")),
        resembles=str(data.get("resembles", "")),
        source=str(data.get("source", "")),
        assumptions=tuple(str(a) for a in data.get("assumptions", ())),
        origin=source,
        user=user,
    )


def device_to_dict(family: PercutaneousFamily) -> dict[str, Any]:
    """The family as the table its TOML file holds (JSON-ready; plan files embed it)."""
    anchors: dict[str, Any] = {"stiffness_n_per_mm": family.anchor_stiffness_n_per_mm}
    if family.type == "transcatheter-band":
        anchors["spacing_mm"] = family.anchor_spacing_mm
    for key, value in (
        ("distal_diameter_mm", family.distal_anchor_mm),
        ("proximal_diameter_mm", family.proximal_anchor_mm),
    ):
        if value is not None:
            anchors[key] = list(value)
    return {
        "schema_version": 1,
        "type": family.type,
        "id": family.id,
        "name": family.name,
        "description": family.description,
        "resembles": family.resembles,
        "source": family.source,
        "assumptions": list(family.assumptions),
        "sizes_mm": list(family.sizes_mm),
        "cinch_max_percent": family.cinch_max_percent,
        "wire_axial_rigidity_n": family.wire_axial_rigidity_n,
        "anchors": anchors,
    }
