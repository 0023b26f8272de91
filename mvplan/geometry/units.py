"""Length units of input coordinates: explicit, declared by the file, or inferred from size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import pdist

from mvplan.errors import InputError

FloatArray = npt.NDArray[np.float64]

#: Millimetres per unit.
MM_PER_UNIT: dict[str, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0}

#: A mitral annulus spans about 15 to 60 mm (DESIGN.md section 2); spans outside this window
#: after conversion are refused, since they mean wrong units or not an annulus.
PLAUSIBLE_SPAN_MM = (5.0, 200.0)


@dataclass(frozen=True)
class UnitChoice:
    """How input coordinates were turned into millimetres.

    Attributes
    ----------
    unit : str
        ``"mm"``, ``"cm"`` or ``"m"``.
    inferred : bool
        True when neither the user nor the file said, and the unit was inferred from size.
    span_mm : float
        Largest distance between two input points after conversion, mm.
    message : str or None
        A warning for the user when the unit was inferred, else None.
    """

    unit: str
    inferred: bool
    span_mm: float
    message: str | None = None

    @property
    def scale(self) -> float:
        """Millimetres per input unit."""
        return MM_PER_UNIT[self.unit]


def point_span(points: FloatArray) -> float:
    """Largest distance between two of ``points (n, 3)`` (any unit)."""
    if len(points) > 4000:  # the span only decides units: a subsample is plenty
        points = points[:: len(points) // 2000 + 1]
    return float(pdist(points).max()) if len(points) > 1 else 0.0


def normalise_unit(unit: str, source: str | None = None) -> str:
    """Canonical unit name for ``mm``/``cm``/``m`` and their spellings; InputError otherwise."""
    key = unit.strip().lower()
    aliases = {"millimeter": "mm", "millimetre": "mm", "centimeter": "cm", "centimetre": "cm"}
    aliases |= {"meter": "m", "metre": "m"}
    key = aliases.get(key.rstrip("s"), key)
    if key not in MM_PER_UNIT:
        raise InputError(f"unknown length unit {unit!r} (use mm, cm or m)", source=source)
    return key


def choose_units(
    points: FloatArray,
    explicit: str | None = None,
    declared: str | None = None,
    source: str | None = None,
) -> UnitChoice:
    """Decide the unit of ``points``: the explicit option wins, then the file's, then size.

    An annulus spans 15 to 60 mm, so a span under 0.1 means metres and under 10 centimetres;
    an inferred unit comes with a warning message.

    Raises
    ------
    InputError
        If the span after conversion is not plausible for a mitral annulus.
    """
    span = point_span(points)
    message = None
    if explicit is not None:
        unit, inferred = normalise_unit(explicit, source), False
    elif declared is not None:
        unit, inferred = normalise_unit(declared, source), False
    else:
        unit = "m" if span < 0.1 else "cm" if span < 10.0 else "mm"
        inferred = True
        if unit != "mm":
            message = (
                f"units inferred as {unit}: the points span {span:.4g} and an annulus spans "
                f"15-60 mm; pass --units to override"
            )
    span_mm = span * MM_PER_UNIT[unit]
    low, high = PLAUSIBLE_SPAN_MM
    if not low <= span_mm <= high:
        raise InputError(
            f"the points span {span_mm:.4g} mm in {unit}, not a mitral annulus (15-60 mm); "
            "check the file or --units",
            source=source,
        )
    return UnitChoice(unit, inferred, span_mm, message)
