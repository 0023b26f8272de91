"""Mechanical properties of rings for the solver: bending and axial stiffness per segment.

Manufacturers publish no stiffness figures, so every number here is computed from an assumed
core (material and section) and flagged ``assumed``. The mapping:

=============  ==========================================================  ================
class          default core (what it stands for)                           formula
=============  ==========================================================  ================
rigid          titanium alloy, rect 1.0 mm radial x 1.5 mm high (solid      E I, E A of the
               titanium core, Carpentier-Edwards Classic-like)              rectangle
semi-rigid     cobalt-chromium, rect 1.5 mm radial x 0.3 mm high (flat      same
               stacked Elgiloy-like strips: stiff in the ring plane,
               compliant out of it)
flexible       silicone rod, round 2.5 mm, in a polyester sheath            rod + sheath
=============  ==========================================================  ================

For a rectangular core of radial width ``w`` and height ``h`` (mm) and Young's modulus ``E``
(N/mm^2): in-plane bending (about the local up axis) ``EI_in = E h w^3 / 12``, out-of-plane
bending (about the radial axis) ``EI_out = E w h^3 / 12`` (N mm^2), axial ``EA = E w h`` (N).
A round core of diameter ``d``: ``EI = E pi d^4 / 64`` both ways, ``EA = E pi d^2 / 4``. A
flexible ring's polyester sheath adds :data:`SHEATH_EI_N_MM2` to each bending stiffness and
:data:`SHEATH_EA_N` to the axial one (the sheath, not the silicone, keeps a flexible ring from
stretching).

Moduli (N/mm^2 = MPa) are handbook values for the materials; the sections are assumed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mvplan.rings.geometry import ring_geometry
from mvplan.rings.spec import CoreSpec, RingSpec

FloatArray = npt.NDArray[np.float64]

#: Young's modulus, N/mm^2. Titanium alloy (Ti-6Al-4V) 110 GPa; cobalt-chromium-nickel
#: (Elgiloy) 190 GPa; nitinol austenite ~60 GPa (superelastic: linearised about the austenite
#: branch, an assumption); 316L stainless steel 193 GPa; implant silicone ~5 MPa.
MATERIALS: dict[str, float] = {
    "titanium": 110_000.0,
    "cobalt_chromium": 190_000.0,
    "nitinol": 60_000.0,
    "stainless_steel": 193_000.0,
    "silicone": 5.0,
}

#: Default core of each stiffness class (assumed sections, see the module docstring).
CLASS_CORES: dict[str, CoreSpec] = {
    "rigid": CoreSpec("titanium", "rect", 1.0, 1.5),
    "semi-rigid": CoreSpec("cobalt_chromium", "rect", 1.5, 0.3),
    "flexible": CoreSpec("silicone", "round", 2.5, 2.5),
}

#: Polyester sheath of a flexible device: bending (N mm^2) and axial (N) stiffness. Assumed:
#: a braided sheath bends easily (fibres slide) but stretches about 1 % under 3 N.
SHEATH_EI_N_MM2 = 50.0
SHEATH_EA_N = 300.0

#: Poisson's ratio of each material (handbook values), for the shear modulus
#: ``G = E / (2 (1 + nu))`` of the torsional rigidity.
POISSON: dict[str, float] = {
    "titanium": 0.34,
    "cobalt_chromium": 0.30,
    "nitinol": 0.33,
    "stainless_steel": 0.30,
    "silicone": 0.49,
}


@dataclass(frozen=True)
class SegmentStiffness:
    """Stiffness of one stretch of a ring.

    Attributes
    ----------
    name : str
        Segment name from the family file, or ``"body"`` for the rest of the ring.
    u_start, u_end : float
        Ring parameters (fractions of the device's arc length from its start: PMC for a ring,
        ALT for a band) bounding the segment; for a ring a segment may wrap (``u_end <
        u_start``).
    stiffness_class : str
    ei_in_plane_n_mm2, ei_out_of_plane_n_mm2 : float
        Bending stiffness in and out of the ring plane, N mm^2.
    ea_n : float
        Axial stiffness, N.
    gj_n_mm2 : float
        Torsional rigidity, N mm^2 (:func:`core_torsion`).
    assumed : bool
        True: no published figure; computed from an assumed core.
    basis : str
        The core the numbers come from.
    """

    name: str
    u_start: float
    u_end: float
    stiffness_class: str
    ei_in_plane_n_mm2: float
    ei_out_of_plane_n_mm2: float
    ea_n: float
    gj_n_mm2: float
    assumed: bool
    basis: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "u_start": round(self.u_start, 6),
            "u_end": round(self.u_end, 6),
            "class": self.stiffness_class,
            "ei_in_plane_n_mm2": self.ei_in_plane_n_mm2,
            "ei_out_of_plane_n_mm2": self.ei_out_of_plane_n_mm2,
            "ea_n": self.ea_n,
            "gj_n_mm2": self.gj_n_mm2,
            "assumed": self.assumed,
            "basis": self.basis,
        }


def core_stiffness(core: CoreSpec, stiffness_class: str) -> tuple[float, float, float]:
    """``(EI_in N mm^2, EI_out N mm^2, EA N)`` of a core (formulas in the module docstring)."""
    e = MATERIALS[core.material]
    if core.shape == "round":
        d = core.width_mm
        ei = e * np.pi * d**4 / 64.0
        ei_in, ei_out, ea = ei, ei, e * np.pi * d**2 / 4.0
    else:
        w, h = core.width_mm, core.height_mm
        ei_in, ei_out, ea = e * h * w**3 / 12.0, e * w * h**3 / 12.0, e * w * h
    if stiffness_class == "flexible":
        ei_in += SHEATH_EI_N_MM2
        ei_out += SHEATH_EI_N_MM2
        ea += SHEATH_EA_N
    return float(ei_in), float(ei_out), float(ea)


def core_torsion(core: CoreSpec, stiffness_class: str) -> float:
    """Torsional rigidity ``GJ`` of a core, N mm^2.

    ``G = E / (2 (1 + nu))``; a round section has ``J = pi d^4 / 32``; a rectangle of sides
    ``a >= b`` has Saint-Venant's ``J = a b^3 (1/3 - 0.21 (b/a) (1 - (b/a)^4 / 12))``
    (Roark's Formulas for Stress and Strain, table 10.7). A flexible device's sheath adds
    :data:`SHEATH_EI_N_MM2` (assumed, as for bending).
    """
    e = MATERIALS[core.material]
    g = e / (2.0 * (1.0 + POISSON[core.material]))
    if core.shape == "round":
        j = np.pi * core.width_mm**4 / 32.0
    else:
        a, b = max(core.width_mm, core.height_mm), min(core.width_mm, core.height_mm)
        j = a * b**3 * (1.0 / 3.0 - 0.21 * (b / a) * (1.0 - (b / a) ** 4 / 12.0))
    gj = g * j
    if stiffness_class == "flexible":
        gj += SHEATH_EI_N_MM2
    return float(gj)


def _basis(core: CoreSpec, stiffness_class: str) -> str:
    section = (
        f"round {core.width_mm:g} mm"
        if core.shape == "round"
        else f"rect {core.width_mm:g} x {core.height_mm:g} mm (radial x height)"
    )
    sheath = " + polyester sheath" if stiffness_class == "flexible" else ""
    return f"{core.material} (E {MATERIALS[core.material] / 1000:g} GPa) {section}{sheath}"


def _segment(name: str, u0: float, u1: float, cls: str, core: CoreSpec | None) -> SegmentStiffness:
    core = core or CLASS_CORES[cls]
    ei_in, ei_out, ea = core_stiffness(core, cls)
    gj = core_torsion(core, cls)
    return SegmentStiffness(name, u0, u1, cls, ei_in, ei_out, ea, gj, True, _basis(core, cls))


def segment_stiffness(spec: RingSpec) -> tuple[SegmentStiffness, ...]:
    """The ring's stiffness as segments covering the whole device, in ring-parameter order.

    The family's class (and core) applies everywhere except on its named segments, which run
    from one landmark to another in the ring's direction (later segments win where they
    overlap).
    """
    fam = spec.family.stiffness
    geo = ring_geometry(spec)
    u_mark = geo.marker_u
    spans = []
    for seg in fam.segments:
        u0, u1 = u_mark[seg.start], u_mark[seg.end]
        spans.append((seg, u0, u1 if u1 > u0 else u1 + 1.0))
    cuts = sorted({0.0, 1.0, *(u % 1.0 for _, u0, u1 in spans for u in (u0, u1))})
    pieces: list[SegmentStiffness] = []
    for a, b in itertools.pairwise(cuts):
        mid = 0.5 * (a + b)
        owner = None
        for seg, u0, u1 in spans:
            if u0 <= mid < u1 or u0 <= mid + 1.0 < u1:
                owner = seg
        if owner is None:
            piece = _segment("body", a, b, fam.stiffness_class, fam.core)
        else:
            piece = _segment(owner.name, a, b, owner.stiffness_class, owner.core)
        if pieces and pieces[-1].name == piece.name:
            piece = _merge(pieces.pop(), piece)
        pieces.append(piece)
    if geo.closed and len(pieces) > 1 and pieces[0].name == pieces[-1].name:
        # The ring closes on itself: the last piece continues the first.
        first = pieces.pop(0)
        last = pieces.pop()
        pieces.append(_merge(last, first))
    return tuple(pieces)


def _merge(a: SegmentStiffness, b: SegmentStiffness) -> SegmentStiffness:
    return SegmentStiffness(
        a.name,
        a.u_start,
        b.u_end,
        a.stiffness_class,
        a.ei_in_plane_n_mm2,
        a.ei_out_of_plane_n_mm2,
        a.ea_n,
        a.gj_n_mm2,
        a.assumed,
        a.basis,
    )


def stiffness_profile(spec: RingSpec, u: npt.ArrayLike) -> FloatArray:
    """``(m, 4)`` ``[EI_in N mm^2, EI_out N mm^2, EA N, GJ N mm^2]`` at ring parameters
    ``u (m,)``."""
    where = np.mod(np.atleast_1d(np.asarray(u, dtype=float)), 1.0 + 1e-12)
    out = np.empty((where.size, 4))
    for seg in segment_stiffness(spec):
        values = (seg.ei_in_plane_n_mm2, seg.ei_out_of_plane_n_mm2, seg.ea_n, seg.gj_n_mm2)
        if seg.u_end >= seg.u_start:
            inside = (where >= seg.u_start) & (where <= seg.u_end)
        else:
            inside = (where >= seg.u_start) | (where <= seg.u_end)
        out[inside] = values
    return out
