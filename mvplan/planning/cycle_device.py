"""A device over the cardiac cycle: how much of the annulus's motion a ring or band keeps.

The use case (:func:`mvplan.workflow.simulate_cycle`) plans and solves the same ring at the
same size on every frame of a moving annulus; this module holds what it returns and the
figures that compare the two cycles. No Qt, no VTK.

Model
-----
Each frame is solved on its own, quasi-statically: the frame's native annulus is the tissue's
stress-free shape (the myocardium holds it there through the elastic foundation), the ring
has its one rest shape in every frame, and the sutures are tied afresh. This is the state the
device would hold the annulus in if the heart stood still at that instant; inertia, blood
pressure on the tissue and the history of earlier frames are left out.

Motion kept
-----------
For every measurement key of DESIGN.md section 4, with ``change = max - min`` over the frames
(:mod:`mvplan.geometry.cycle`)::

    motion_kept_percent = 100 * change_with_device / change_native

null where either change is unknown or the native change is within :data:`NEGLIGIBLE_CHANGE`
of its largest value (no motion to keep: the ratio would divide noise by noise). For the
perimeter it compares directly with the in vivo cyclic circumference change of
:data:`IN_VIVO_CIRCUMFERENCE_CHANGE_MM` (DOMAIN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mvplan.geometry.cycle import CycleResult
from mvplan.geometry.measurements import MEASUREMENT_KEYS
from mvplan.planning.annuloplasty import AnnuloplastyResult

__all__ = [
    "IN_VIVO_CIRCUMFERENCE_CHANGE_MM",
    "IN_VIVO_SOURCE",
    "NEGLIGIBLE_CHANGE",
    "DeviceCycle",
    "FrameSolve",
    "motion_kept",
]

#: Native changes below this fraction of the key's largest magnitude over the frames count as
#: no motion (motion kept is then null).
NEGLIGIBLE_CHANGE = 1e-3

#: In vivo cyclic circumference change, mm, mean and standard deviation by device class
#: (porcine; DOMAIN.md "Mechanics", ICVTS ivx004).
IN_VIVO_CIRCUMFERENCE_CHANGE_MM: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"none": (11.0, 5.0), "flexible": (7.0, 3.0), "semi-rigid": (4.0, 2.0), "rigid": (2.0, 1.0)}
)
IN_VIVO_SOURCE = "porcine, ICVTS ivx004, in DOMAIN.md"


@dataclass(frozen=True)
class FrameSolve:
    """The annuloplasty solve of one frame.

    Attributes
    ----------
    frame : int
    source : str
        The frame's source name.
    converged : bool
        Always True in a returned result (an unconverged frame is an error).
    residual : float
        Relative residual force (against the suture pretension).
    iterations : int
    time_ms : float
        Solver time, ms.
    suture_force_max_n : float
        Largest suture force, N.
    placement_residual_mm : float
        Weighted RMS distance of the ring's markers from the frame's landmarks (automatic
        placement), mm.
    """

    frame: int
    source: str
    converged: bool
    residual: float
    iterations: int
    time_ms: float
    suture_force_max_n: float
    placement_residual_mm: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "frame": self.frame,
            "source": self.source,
            "converged": self.converged,
            "residual": self.residual,
            "iterations": self.iterations,
            "time_ms": self.time_ms,
            "suture_force_max_n": self.suture_force_max_n,
            "placement_residual_mm": self.placement_residual_mm,
        }


@dataclass(frozen=True, eq=False)
class DeviceCycle:
    """A ring's effect over the cycle: the native and the with-device cycle figures.

    Attributes
    ----------
    ring : str
        Family id.
    size_mm : float
    stiffness_class : str
        The family's class (``rigid``, ``semi-rigid``, ``flexible``); a family with stiffer
        and softer segments gives its main class.
    closed : bool
        Complete ring (True) or band.
    sutures : int
        Suture count, the same on every frame.
    placement : str
        How the ring was placed on each frame, for the user.
    native : CycleResult
        The frames as given.
    device : CycleResult
        The reshaped annulus of each frame; its corresponding points are the native ones
        carried with the tissue.
    motion_kept_percent : mapping of str to (float or None)
        Per section-4 key (module docstring).
    frames : tuple of FrameSolve
    results : tuple of AnnuloplastyResult
        Each frame's full annuloplasty result (suture forces, reshaped annulus, ring).
    """

    ring: str
    size_mm: float
    stiffness_class: str
    closed: bool
    sutures: int
    placement: str
    native: CycleResult
    device: CycleResult
    motion_kept_percent: Mapping[str, float | None]
    frames: tuple[FrameSolve, ...]
    results: tuple[AnnuloplastyResult, ...]

    @property
    def in_vivo_circumference_change_mm(self) -> tuple[float, float] | None:
        """In vivo circumference change (mean, SD) of this device's class, mm, if known."""
        return IN_VIVO_CIRCUMFERENCE_CHANGE_MM.get(self.stiffness_class)

    def to_dict(self) -> dict[str, Any]:
        """The ``device`` object of ``mvplan measure F1 F2 ... --ring ID --size S --json``."""
        reference = {
            cls: {"mean": mean, "sd": sd}
            for cls, (mean, sd) in IN_VIVO_CIRCUMFERENCE_CHANGE_MM.items()
        }
        return {
            "ring": self.ring,
            "size_mm": self.size_mm,
            "stiffness_class": self.stiffness_class,
            "closed": self.closed,
            "sutures": self.sutures,
            "placement": self.placement,
            "frames": [f.to_dict() for f in self.frames],
            "cycle": self.device.to_dict(),
            "motion_kept_percent": dict(self.motion_kept_percent),
            "in_vivo_circumference_change_mm": {"source": IN_VIVO_SOURCE, **reference},
        }


def motion_kept(native: CycleResult, device: CycleResult) -> dict[str, float | None]:
    """``100 * change_with_device / change_native`` per section-4 key (module docstring).

    Parameters
    ----------
    native, device : CycleResult
        The cycle of the frames and of the same frames with the device in place.

    Returns
    -------
    dict of str to (float or None)
    """
    out: dict[str, float | None] = {}
    for key in MEASUREMENT_KEYS:
        before, after = native.ranges[key], device.ranges[key]
        if (
            before.change is None
            or after.change is None
            or before.minimum is None
            or before.maximum is None
        ):
            out[key] = None
            continue
        scale = max(abs(before.minimum), abs(before.maximum))
        if before.change <= NEGLIGIBLE_CHANGE * scale or before.change <= 0.0:
            out[key] = None
            continue
        out[key] = 100.0 * after.change / before.change
    return out
