"""Choosing a ring size from the patient's annulus under a sizing policy.

Each family says what the surgeon matches (``sizing_by``): the intertrigonal distance, the
commissural width, the anterior arc between the trigones, or the anterior leaflet height
when one is given. The true size is the size sold whose ring has the nearest value of that
measure (the ring's own measure, computed on its centreline; for the anterior leaflet height
the ring's AP diameter, which the stretched anterior leaflet must span: an assumption). A
policy then moves it: ``true-size``, ``undersize:N`` (N sizes smaller: restrictive
annuloplasty for functional MR) or ``oversize:N``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mvplan.errors import InputError
from mvplan.rings.geometry import ring_dimensions
from mvplan.rings.spec import RingFamily

#: Patient measurement key (DESIGN.md section 4) of each sizing measure.
PATIENT_KEYS: dict[str, str] = {
    "intertrigonal": "intertrigonal_distance_mm",
    "commissural_width": "commissural_width_mm",
    "trigone_arc_length": "anterior_length_mm",
}

#: Ring dimension (:func:`mvplan.rings.geometry.ring_dimensions`) matched to each measure.
RING_KEYS: dict[str, str] = {
    "intertrigonal": "intertrigonal_distance_mm",
    "commissural_width": "commissural_width_mm",
    "trigone_arc_length": "trigone_arc_length_mm",
    "anterior_leaflet_height": "ap_diameter_mm",
}

LABELS: dict[str, str] = {
    "intertrigonal": "intertrigonal distance",
    "commissural_width": "commissural width",
    "trigone_arc_length": "anterior arc between the trigones",
    "anterior_leaflet_height": "anterior leaflet height",
}


@dataclass(frozen=True)
class SizingPolicy:
    """``true-size``, ``undersize`` or ``oversize`` by ``steps`` sizes."""

    kind: str
    steps: int = 0

    def __str__(self) -> str:
        return self.kind if self.kind == "true-size" else f"{self.kind}:{self.steps}"


def parse_policy(text: str) -> SizingPolicy:
    """Parse ``true-size``, ``undersize:N`` or ``oversize:N`` (N >= 1; ``undersize`` = 1)."""
    kind, _, steps = text.strip().lower().partition(":")
    if kind == "true-size" and not steps:
        return SizingPolicy("true-size")
    if kind in ("undersize", "oversize"):
        try:
            n = int(steps) if steps else 1
        except ValueError:
            n = -1
        if n >= 1:
            return SizingPolicy(kind, n)
    raise InputError(
        f"sizing policy {text!r} is not one of true-size, undersize:N, oversize:N (N >= 1)"
    )


@dataclass(frozen=True)
class SizeRecommendation:
    """A recommended size and why.

    Attributes
    ----------
    family_id : str
    size_mm : float
        Recommended size, mm.
    true_size_mm : float
        The size whose ring matches the patient's measure best, mm.
    measure : str
        The measure used (``intertrigonal``, ``commissural_width``, ``trigone_arc_length`` or
        ``anterior_leaflet_height``).
    measured_mm : float
        The patient's value of that measure, mm.
    ring_value_mm : float
        The recommended ring's value of the same measure, mm.
    estimated : bool
        The patient's value rests on an estimated landmark.
    policy : str
    reason : str
    """

    family_id: str
    size_mm: float
    true_size_mm: float
    measure: str
    measured_mm: float
    ring_value_mm: float
    estimated: bool
    policy: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "family": self.family_id,
            "size_mm": self.size_mm,
            "true_size_mm": self.true_size_mm,
            "measure": self.measure,
            "measured_mm": self.measured_mm,
            "ring_value_mm": self.ring_value_mm,
            "estimated": self.estimated,
            "policy": self.policy,
            "reason": self.reason,
        }


def _choose_measure(
    family: RingFamily,
    patient: Mapping[str, float | None],
    leaflet_height_mm: float | None,
) -> tuple[str, float]:
    if leaflet_height_mm is not None and "anterior_leaflet_height" in family.sizing_by:
        # A height measured by the surgeon is the more direct sizing figure when given.
        return "anterior_leaflet_height", float(leaflet_height_mm)
    for measure in family.sizing_by:
        if measure == "anterior_leaflet_height":
            continue
        value = patient.get(PATIENT_KEYS[measure])
        if value is not None:
            return measure, float(value)
    wanted = ", ".join(LABELS[m] for m in family.sizing_by)
    raise InputError(f"{family.id} is sized by {wanted}, which the annulus does not give")


def recommend_size(
    family: RingFamily,
    patient: Mapping[str, float | None],
    policy: SizingPolicy | str,
    *,
    anterior_leaflet_height_mm: float | None = None,
    estimated: Mapping[str, bool] | None = None,
) -> SizeRecommendation:
    """Recommend a size of ``family`` for a patient.

    Parameters
    ----------
    family : RingFamily
    patient : mapping of str to float or None
        Annulus measurements with the keys of DESIGN.md section 4 (``measure(...).values``).
    policy : SizingPolicy or str
    anterior_leaflet_height_mm : float, optional
        Measured anterior leaflet height, mm; used when the family sizes by it.
    estimated : mapping of str to bool, optional
        ``measure(...).estimated``: flags values that rest on estimated landmarks.
    """
    rule = parse_policy(policy) if isinstance(policy, str) else policy
    measure, value = _choose_measure(family, patient, anterior_leaflet_height_mm)
    ring_key = RING_KEYS[measure]
    sizes = family.sizes_mm
    ring_values = [ring_dimensions(family.spec(s))[ring_key] for s in sizes]
    usable = [(s, v) for s, v in zip(sizes, ring_values, strict=True) if v is not None]
    best = int(np.argmin([abs(float(v) - value) for _, v in usable]))
    shift = {"true-size": 0, "undersize": -rule.steps, "oversize": rule.steps}[rule.kind]
    index = min(max(best + shift, 0), len(usable) - 1)
    size, ring_value = usable[index]
    true_size = usable[best][0]
    is_estimated = bool(estimated and estimated.get(PATIENT_KEYS.get(measure, ""), False))
    reason = (
        f"patient {LABELS[measure]} {value:.1f} mm"
        f"{' (estimated landmarks)' if is_estimated else ''}; nearest ring of {family.id} is "
        f"size {true_size:g} ({float(usable[best][1]):.1f} mm)"
    )
    if shift:
        reason += f"; {rule} gives size {size:g}"
        if index != best + shift:
            end = "smallest" if shift < 0 else "largest"
            reason += f" (the {end} size sold: fewer than {rule.steps} sizes available)"
    return SizeRecommendation(
        family.id,
        float(size),
        float(true_size),
        measure,
        value,
        float(ring_value),
        is_estimated,
        str(rule),
        reason,
    )
