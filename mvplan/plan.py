"""The :class:`Plan`: one immutable value holding everything an annuloplasty plan is.

A plan is the annulus (embedded, so a plan file stands alone), the papillary tips if known,
the chosen ring, its placement with the sutures, the solver settings and, once computed, the
results. A change makes a new Plan (``dataclasses.replace``); the GUI keeps a history of them
for undo. Use-case functions (placement, simulation) do the work; the Plan only holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.coronary import CSPath
from mvplan.geometry.papillary import PapillaryTips
from mvplan.geometry.safety import DEFAULT_COMPRESSION_THRESHOLD_MM, ArteryPath
from mvplan.planning.placement import Placement
from mvplan.rings.percutaneous import PercutaneousFamily
from mvplan.rings.spec import RingFamily
from mvplan.valve.leaflets import LeafletSpec


@dataclass(frozen=True)
class RingChoice:
    """A catalogue ring, or a percutaneous device, at one size.

    Attributes
    ----------
    family : str
        Catalogue id (``physio-like``, ``carillon-like``, ...).
    size_mm : float
        Size as sold (what the family's size label measures: see ``mvplan rings show``; a
        percutaneous device's length between its end anchors).
    adjustment_mm : float
        Adjustment of an adjustable ring (0 for fixed ones), or a percutaneous device's
        cinch, mm.
    definition : RingFamily, PercutaneousFamily or None
        The family's definition as the plan was made with it (plan files embed it, so the
        plan simulates the same where the catalogue differs or lacks the ring); None: look
        ``family`` up in the catalogue (:func:`mvplan.workflow.ring_family`). Not part of
        equality: two choices of the same family, size and adjustment are the same choice.
    """

    family: str
    size_mm: float
    adjustment_mm: float = 0.0
    definition: RingFamily | PercutaneousFamily | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.definition is not None and self.definition.id != self.family:
            raise InputError(
                f"ring {self.family!r} carries the definition of {self.definition.id!r}"
            )

    @property
    def is_device(self) -> bool:
        """True for a percutaneous device (coronary-sinus device or transcatheter band)."""
        return isinstance(self.definition, PercutaneousFamily)


@dataclass(frozen=True)
class SolverSettings:
    """Settings of the mechanics solves of a plan.

    Attributes
    ----------
    rtol : float
        Convergence: residual force norm below ``rtol`` times the applied-load norm.
    max_iterations : int
        Newton iterations before a solve is reported as not converged.
    """

    rtol: float = 1e-8
    max_iterations: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.rtol < 1:
            raise InputError(f"solver rtol must be in (0, 1), got {self.rtol}")
        if self.max_iterations < 1:
            raise InputError(f"solver max_iterations must be >= 1, got {self.max_iterations}")


@dataclass(frozen=True, eq=False)
class Plan:
    """An annuloplasty plan.

    Attributes
    ----------
    annulus : Annulus
    papillary : PapillaryTips or None
    ring : RingChoice or None
        None for a plan with no device (the native annulus alone).
    placement : Placement or None
        The ring's pose in the annulus valve frame and its sutures; None without a ring.
    solver : SolverSettings
    leaflets : LeafletSpec
        Leaflet heights (absolute, mm) for the closure simulation.
    results : mapping or None
        JSON-ready results of the last simulation of exactly this plan, or None.
    name, notes : str
        What the user typed (no patient identifiers are added by mvplan).
    cs_path : CSPath or None
        The coronary-sinus centreline a coronary-sinus device lies in (given or estimated).
    artery : ArteryPath or None
        The circumflex artery, for the safety geometry of a percutaneous device.
    safety_threshold_mm : float
        Device-artery distance below which compression is flagged, mm.
    distal_anchor_offset_mm : float
        Where a coronary-sinus device sits in ``cs_path``: its distal anchor this far back
        from the path's distal end, mm (0: at the end).
    """

    annulus: Annulus
    papillary: PapillaryTips | None = None
    ring: RingChoice | None = None
    placement: Placement | None = None
    solver: SolverSettings = field(default_factory=SolverSettings)
    leaflets: LeafletSpec = field(default_factory=LeafletSpec)
    results: Mapping[str, Any] | None = None
    name: str = ""
    notes: str = ""
    cs_path: CSPath | None = None
    artery: ArteryPath | None = None
    safety_threshold_mm: float = DEFAULT_COMPRESSION_THRESHOLD_MM
    distal_anchor_offset_mm: float = 0.0

    def __post_init__(self) -> None:
        if self.placement is not None and self.ring is None:
            raise InputError("a plan with a placement needs a ring")
        if self.placement is not None and self.ring is not None and self.ring.is_device:
            raise InputError("a percutaneous device takes no ring placement")
        if not self.distal_anchor_offset_mm >= 0.0:
            raise InputError(
                f"the distal anchor offset must be >= 0 mm, got {self.distal_anchor_offset_mm}"
            )
        if not self.safety_threshold_mm > 0.0:
            raise InputError(
                f"the compression threshold must be > 0 mm, got {self.safety_threshold_mm}"
            )

    @property
    def has_device(self) -> bool:
        """True for a plan with a percutaneous device (not a ring)."""
        return self.ring is not None and self.ring.is_device
