"""Ring families and ring specs: the immutable values of the ring library.

A :class:`RingFamily` is one catalogue entry (one TOML file in ``rings/``): what the device
is (complete ring or band, shape, stiffness, adjustable), the sizes sold, what a size means
and the parameters of its centreline formulas (:mod:`mvplan.rings.geometry`). A
:class:`RingSpec` is a family at one size (and, for an adjustable device, one adjustment):
the value that geometry, meshing, stiffness and the solver take.

Shape parameters are dimensionless ratios to the commissural width, so that one family
describes every size; the scale is fixed by the size measure (see :mod:`mvplan.rings.geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mvplan.errors import InputError

#: The measures a size label can mean, evaluated on the ring centreline.
SIZE_MEASURES: tuple[str, ...] = ("intertrigonal", "commissural_width", "trigone_arc_length")

#: The patient measures a surgeon can size by (``sizing_by`` of a family).
SIZING_MEASURES: tuple[str, ...] = (*SIZE_MEASURES, "anterior_leaflet_height")

SHAPES: tuple[str, ...] = ("planar", "saddle", "3d")
STIFFNESS_CLASSES: tuple[str, ...] = ("rigid", "semi-rigid", "flexible")

#: Landmarks a stiffness segment may start or end at.
SEGMENT_LANDMARKS: tuple[str, ...] = ("A", "P", "ALC", "PMC", "ALT", "PMT")


@dataclass(frozen=True)
class Bump:
    """A local deviation of the centreline from the base shape (asymmetric designs).

    The deviation is a Gaussian in the design angle ``t`` (0 at PMC, 90 deg at A, 180 deg at
    ALC, 270 deg at P): ``g(t) = exp(-0.5 ((t - angle) / width)^2)`` (angles wrapped).

    Attributes
    ----------
    angle_deg : float
        Centre of the bump in design angle, deg (P2 is 270, the P2-P3 junction about 300).
    width_deg : float
        Standard deviation of the Gaussian, deg.
    height : float
        Displacement along +z (atrial) at the centre, as a fraction of the commissural width.
    radial : float
        In-plane displacement along the outward normal at the centre, fraction of the
        commissural width (negative: inward, toward the centre of the valve).
    """

    angle_deg: float
    width_deg: float
    height: float = 0.0
    radial: float = 0.0


@dataclass(frozen=True)
class ShapeParams:
    """Dimensionless parameters of the centreline formulas (:mod:`mvplan.rings.geometry`).

    Attributes
    ----------
    ap_ratio : tuple of (size_mm, ratio) pairs
        In-plane AP (septal-lateral) : commissural width, piecewise linear in the size
        (clamped outside the table); one pair means a constant ratio.
    anterior_share : float
        Share of the in-plane AP diameter that lies anterior of the commissural line.
    intertrigonal_ratio : float
        In-plane intertrigonal chord : commissural width (places the trigone markers).
    saddle_anterior, saddle_posterior : float
        Heights of the anterior and posterior horns above the commissures, fractions of the
        commissural width (0 for a planar ring).
    bumps : tuple of Bump
        Local deviations (dips, raised segments) of asymmetric designs.
    """

    ap_ratio: tuple[tuple[float, float], ...]
    anterior_share: float
    intertrigonal_ratio: float
    saddle_anterior: float = 0.0
    saddle_posterior: float = 0.0
    bumps: tuple[Bump, ...] = ()

    def ap_ratio_at(self, size_mm: float) -> float:
        """AP : commissural width at ``size_mm`` (linear between table entries, clamped)."""
        sizes = np.array([p[0] for p in self.ap_ratio])
        ratios = np.array([p[1] for p in self.ap_ratio])
        return float(np.interp(size_mm, sizes, ratios))


@dataclass(frozen=True)
class CoreSpec:
    """The load-bearing core of a ring segment, from which bending and axial stiffness follow.

    Attributes
    ----------
    material : str
        A key of :data:`mvplan.rings.stiffness.MATERIALS`.
    shape : str
        ``"rect"`` (width radial, in the ring plane; height along z) or ``"round"`` (diameter
        ``width_mm``).
    width_mm, height_mm : float
        Section dimensions, mm.
    """

    material: str
    shape: str
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class SegmentSpec:
    """A stretch of the ring, from one landmark to another in the ring's running direction
    (PMC -> A -> ALC -> P -> PMC), with its own stiffness class or core."""

    name: str
    start: str
    end: str
    stiffness_class: str
    core: CoreSpec | None = None


@dataclass(frozen=True)
class StiffnessSpec:
    """Stiffness of a family: its class, an optional core, and per-segment overrides."""

    stiffness_class: str
    core: CoreSpec | None = None
    segments: tuple[SegmentSpec, ...] = ()


@dataclass(frozen=True)
class CrossSection:
    """Outer cross-section of the device (core plus sewing cuff), an ellipse.

    Attributes
    ----------
    width_mm : float
        Radial (in-plane) extent, mm.
    height_mm : float
        Extent along the ring's local z (toward the atrium), mm.
    """

    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class RingFamily:
    """One catalogue entry: a ring or band family in all its sizes.

    Attributes
    ----------
    id, name : str
        Identifier (``physio-like``) and readable name.
    closed : bool
        True for a complete ring, False for a band open between the trigones.
    shape : str
        ``planar``, ``saddle`` or ``3d``.
    symmetric : bool
        Mirror-symmetric about the AP plane.
    sizes_mm : tuple of float
        Sizes sold, ascending, mm.
    size_measure : str
        What the size label equals on the centreline (one of :data:`SIZE_MEASURES`).
    sizing_by : tuple of str
        The patient measures the surgeon matches, in order of preference.
    geometry : ShapeParams
    cross_section : CrossSection
    stiffness : StiffnessSpec
    adjustable_ap_mm : tuple of float, optional
        For an adjustable device, the range (min, max) by which its AP diameter can be changed
        after implantation, mm.
    resembles, source : str
        The commercial device it is modelled on and the published figures it follows.
    assumptions : tuple of str
        Everything assumed where nothing is published.
    origin : str
        File it was read from (base name), or ``"<code>"``.
    user : bool
        True when it came from the user folder.
    """

    id: str
    name: str
    closed: bool
    shape: str
    symmetric: bool
    sizes_mm: tuple[float, ...]
    size_measure: str
    sizing_by: tuple[str, ...]
    geometry: ShapeParams
    cross_section: CrossSection
    stiffness: StiffnessSpec
    adjustable_ap_mm: tuple[float, float] | None = None
    resembles: str = ""
    source: str = ""
    assumptions: tuple[str, ...] = ()
    description: str = ""
    origin: str = "<code>"
    user: bool = field(default=False, compare=False)

    @property
    def adjustable(self) -> bool:
        """True for a device whose size can be changed after implantation."""
        return self.adjustable_ap_mm is not None

    def spec(self, size_mm: float, adjustment_mm: float = 0.0) -> RingSpec:
        """This family at one of its sizes.

        Parameters
        ----------
        size_mm : float
            A size sold (within 0.01 mm).
        adjustment_mm : float
            Change of AP diameter of an adjustable device, mm (0 for others).

        Raises
        ------
        InputError
            A size not sold, or an adjustment outside the device's range.
        """
        size = sold_size(self.id, self.sizes_mm, size_mm)
        if adjustment_mm != 0.0:
            if self.adjustable_ap_mm is None:
                raise InputError(f"{self.id}: the device is not adjustable")
            low, high = self.adjustable_ap_mm
            if not low - 1e-9 <= adjustment_mm <= high + 1e-9:
                raise InputError(
                    f"{self.id}: adjustment {adjustment_mm:g} mm is outside the device's "
                    f"range {low:g} to {high:g} mm"
                )
        return RingSpec(self, size, float(adjustment_mm))


def sold_size(family_id: str, sizes_mm: tuple[float, ...], size_mm: float) -> float:
    """The size sold that ``size_mm`` names (within 0.01 mm), mm.

    Raises
    ------
    InputError
        No size sold is that close; the message lists the sizes.
    """
    for sold in sizes_mm:
        if abs(sold - size_mm) < 0.01:
            return sold
    listed = ", ".join(f"{s:g}" for s in sizes_mm)
    raise InputError(f"{family_id}: size {size_mm:g} mm is not sold (sizes: {listed})")


@dataclass(frozen=True)
class RingSpec:
    """A ring family at one size (DESIGN.md section 3).

    Attributes
    ----------
    family : RingFamily
    size_mm : float
        The size, mm; ``family.size_measure`` on the centreline equals it.
    adjustment_mm : float
        AP change of an adjustable device, mm.
    """

    family: RingFamily
    size_mm: float
    adjustment_mm: float = 0.0

    @property
    def closed(self) -> bool:
        """True for a complete ring, False for a band."""
        return self.family.closed

    @property
    def size_measure(self) -> str:
        """What the size means (one of :data:`SIZE_MEASURES`)."""
        return self.family.size_measure

    @property
    def ap_ratio(self) -> float:
        """In-plane AP : commissural width at this size (before any adjustment)."""
        return self.family.geometry.ap_ratio_at(self.size_mm)

    @property
    def cross_section(self) -> CrossSection:
        """Outer cross-section, mm."""
        return self.family.cross_section
