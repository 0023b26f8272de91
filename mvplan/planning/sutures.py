"""Suture layout: which ring point is sewn to which annulus point.

A suture joins a material point of the ring (its parameter ``ring_u``, the arc-length fraction
along the ring centreline, as :attr:`mvplan.rings.RingGeometry.marker_u`) to a material point
of the annulus (its curve parameter ``annulus_u``, as :class:`mvplan.geometry.curve.ClosedCurve`).

Default layout
--------------
- Ring: ``count`` sutures (default 14; 12-16 is the usual range, any count >= 3 is accepted)
  equally spaced in arc length around the ring, the first at the ring's posteromedial trigone
  marker, where surgeons usually start.
- Band: ``count`` sutures (default 10) equally spaced in arc length along the band, the first
  at the ALT end (``ring_u = 0``) and the last at the PMT end (``ring_u = 1``), so that there is
  one at each trigone.

Each ring point (posed in the annulus valve frame) is sewn to the annulus point closest to it
**in the valve-plane projection** (both projected on the annulus plane, then the nearest
point). Projecting first means a saddle ring on a flatter annulus, or a ring held a few mm above
it, is still sewn straight down (along the annulus normal) and radially outward, which is how a
surgeon passes the needle through the annulus and then the sewing cuff. The annulus parameters
are then made to follow the ring's order (isotonic regression of the unwrapped parameters), so
that no two sutures cross.

Validation: a layout whose longest suture exceeds :data:`MAX_SUTURE_MM` (20 mm) or whose mean
suture length exceeds :data:`MAX_MEAN_SUTURE_MM` (10 mm) is an :class:`InputError`. The
smallest rings of the catalogue fitted to the functional-MR sample (a dilated annulus) leave
gaps of up to 16 mm at P2 (a 24 mm GeoForm-like ring, restrictive annuloplasty) and a mean
of about 8 mm; more than that means a ring placed away from the annulus, not sewn to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.frames import RigidTransform
from mvplan.rings.geometry import ring_geometry
from mvplan.rings.spec import RingSpec

if TYPE_CHECKING:
    from mvplan.planning.placement import Placement

FloatArray = npt.NDArray[np.float64]

#: Default number of sutures of a complete ring, and the usual range.
DEFAULT_RING_SUTURES = 14
RING_SUTURE_RANGE: tuple[int, int] = (12, 16)

#: Default number of sutures of a band (it covers about two thirds of the circumference).
DEFAULT_BAND_SUTURES = 10

#: Fewest sutures that hold a floating ring: fewer leave it free to rotate about their line.
MIN_SUTURES = 3

#: Longest suture accepted, mm.
MAX_SUTURE_MM = 20.0

#: Largest mean suture length accepted, mm.
MAX_MEAN_SUTURE_MM = 10.0

#: Samples of the annulus per resampled point when searching for the closest one (the annulus
#: is resampled at <= 1 mm, so the search resolves about 1/16 mm).
_SEARCH_PER_SAMPLE = 16


@dataclass(frozen=True)
class Suture:
    """One suture: a ring point sewn to an annulus point.

    Attributes
    ----------
    ring_u : float
        Ring parameter, the arc-length fraction along the ring centreline from its start (PMC
        for a ring, in [0, 1); the ALT end for a band, in [0, 1] with 1 the PMT end).
    annulus_u : float
        Annulus curve parameter in [0, 1) (``Annulus.curve`` convention).
    """

    ring_u: float
    annulus_u: float

    def __post_init__(self) -> None:
        ring_u, annulus_u = float(self.ring_u), float(self.annulus_u)
        if not (np.isfinite(ring_u) and 0.0 <= ring_u <= 1.0):
            raise InputError(f"suture ring parameter {ring_u!r} is not in [0, 1]")
        if not (np.isfinite(annulus_u) and 0.0 <= annulus_u < 1.0):
            raise InputError(f"suture annulus parameter {annulus_u!r} is not in [0, 1)")
        object.__setattr__(self, "ring_u", ring_u)
        object.__setattr__(self, "annulus_u", annulus_u)


def ring_suture_parameters(spec: RingSpec, count: int | None = None) -> FloatArray:
    """Ring parameters ``(count,)`` of the default layout, ascending (module docstring).

    Raises
    ------
    InputError
        ``count`` below :data:`MIN_SUTURES` (zero included).
    """
    geo = ring_geometry(spec)
    if count is None:
        count = DEFAULT_RING_SUTURES if geo.closed else DEFAULT_BAND_SUTURES
    count = _checked_count(count)
    if not geo.closed:
        return np.linspace(0.0, 1.0, count)
    start = geo.marker_u["PMT"]
    return np.sort(np.mod(start + np.arange(count) / count, 1.0))


def default_sutures(
    annulus: Annulus, spec: RingSpec, placement: Placement, count: int | None = None
) -> tuple[Suture, ...]:
    """The default suture layout of a posed ring (module docstring).

    Parameters
    ----------
    annulus : Annulus
    spec : RingSpec
    placement : Placement
        Only its pose is used.
    count : int, optional
        Number of sutures (>= 3); default 14 for a ring, 10 for a band.

    Returns
    -------
    tuple of Suture
        In ring order (ascending ``ring_u``).

    Raises
    ------
    InputError
        Fewer than 3 sutures, sutures that would cross, or a ring too far from the annulus.
    """
    return layout_sutures(annulus, spec, placement.pose, count)


def layout_sutures(
    annulus: Annulus, spec: RingSpec, pose: RigidTransform, count: int | None = None
) -> tuple[Suture, ...]:
    """:func:`default_sutures` for a bare pose (ring coordinates to the annulus valve frame)."""
    ring_u = ring_suture_parameters(spec, count)
    ring_pts = _ring_points(spec, pose, ring_u)
    dense_u, dense_valve = _annulus_dense_valve(annulus)
    # Nearest annulus sample to each ring point, both projected on the valve plane (z dropped).
    d2 = np.sum((ring_pts[:, None, :2] - dense_valve[None, :, :2]) ** 2, axis=2)
    nearest = dense_u[np.argmin(d2, axis=1)]
    # A ring far from the annulus is reported as such before its order is looked at: far away,
    # the nearest points are meaningless and would only say that the sutures cross.
    check_sutures(annulus, spec, pose, _sutures(ring_u, nearest))
    closed = bool(ring_geometry(spec).closed)
    annulus_u = _in_ring_order(nearest, _runs_with_ring(dense_valve), closed)
    sutures = _sutures(ring_u, annulus_u)
    check_sutures(annulus, spec, pose, sutures)
    return sutures


def _sutures(ring_u: FloatArray, annulus_u: FloatArray) -> tuple[Suture, ...]:
    return tuple(Suture(float(r), float(a)) for r, a in zip(ring_u, annulus_u, strict=True))


def suture_points(
    annulus: Annulus, spec: RingSpec, pose: RigidTransform, sutures: Sequence[Suture]
) -> tuple[FloatArray, FloatArray]:
    """Both ends of each suture in the annulus valve frame.

    Parameters
    ----------
    annulus : Annulus
    spec : RingSpec
    pose : RigidTransform
        Ring coordinates to the annulus valve frame (``Placement.pose``).
    sutures : sequence of Suture

    Returns
    -------
    ring_points, annulus_points : (k, 3) float, mm
    """
    ring_u = np.array([s.ring_u for s in sutures], dtype=float)
    annulus_u = np.array([s.annulus_u for s in sutures], dtype=float)
    ring_pts = _ring_points(spec, pose, ring_u)
    annulus_pts = annulus.to_valve_frame.apply(annulus.curve.evaluate(annulus_u))
    return ring_pts.reshape(-1, 3), np.asarray(annulus_pts).reshape(-1, 3)


def suture_lengths(
    annulus: Annulus, spec: RingSpec, pose: RigidTransform, sutures: Sequence[Suture]
) -> FloatArray:
    """Length ``(k,)`` of each suture (ring point to annulus point), mm."""
    ring_pts, annulus_pts = suture_points(annulus, spec, pose, sutures)
    return np.asarray(np.linalg.norm(ring_pts - annulus_pts, axis=1))


class RingTooFarError(InputError):
    """A layout whose sutures are too long: the ring is not on the annulus.

    Attributes
    ----------
    distance_text : str
        How far the ring is, e.g. ``"the ring is 23.4 mm from the annulus at its farthest
        suture"``.
    """

    def __init__(self, distance_text: str, limit_mm: float) -> None:
        self.distance_text = distance_text
        super().__init__(f"{distance_text}; place it closer (at most {limit_mm:g} mm)")


def check_sutures(
    annulus: Annulus, spec: RingSpec, pose: RigidTransform, sutures: Sequence[Suture]
) -> FloatArray:
    """Check a layout and return its suture lengths ``(k,)``, mm.

    Raises
    ------
    InputError
        Fewer than 3 sutures.
    RingTooFarError
        The longest suture over :data:`MAX_SUTURE_MM`, or the mean over
        :data:`MAX_MEAN_SUTURE_MM`; the message says how far the ring is.
    """
    _checked_count(len(sutures))
    lengths = suture_lengths(annulus, spec, pose, sutures)
    longest = float(lengths.max())
    if longest > MAX_SUTURE_MM:
        raise RingTooFarError(
            f"the ring is {longest:.1f} mm from the annulus at its farthest suture", MAX_SUTURE_MM
        )
    mean = float(lengths.mean())
    if mean > MAX_MEAN_SUTURE_MM:
        raise RingTooFarError(
            f"the ring is {mean:.1f} mm from the annulus on average over its sutures",
            MAX_MEAN_SUTURE_MM,
        )
    return lengths


def _checked_count(count: int) -> int:
    if isinstance(count, bool) or int(count) != count:
        raise InputError(f"the number of sutures must be a whole number, got {count!r}")
    if count < MIN_SUTURES:
        raise InputError(f"{int(count)} sutures cannot hold a ring; give at least {MIN_SUTURES}")
    return int(count)


def _ring_points(spec: RingSpec, pose: RigidTransform, ring_u: FloatArray) -> FloatArray:
    geo = ring_geometry(spec)
    u = np.mod(ring_u, 1.0) if geo.closed else np.clip(ring_u, 0.0, 1.0)
    return pose.apply(geo.at(geo.t_at_u(u)))


def _annulus_dense_valve(annulus: Annulus) -> tuple[FloatArray, FloatArray]:
    u, pts = annulus.curve.dense(_SEARCH_PER_SAMPLE)
    return u, annulus.to_valve_frame.apply(pts)


def _runs_with_ring(points_valve: FloatArray) -> bool:
    """Whether the annulus parameter runs counter-clockwise seen from the atrium (+z), as a
    ring's does (PMC -> A -> ALC -> P); the input's point order decides it."""
    x, y = points_valve[:, 0], points_valve[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)) > 0.0


def _in_ring_order(annulus_u: FloatArray, same_direction: bool, closed: bool) -> FloatArray:
    """Annulus parameters made cyclically monotone in the ring's order (no crossing sutures).

    The parameters are turned into a coordinate ``v`` that increases in the ring's running
    direction, unwrapped step by step (each step taken as the shorter way round), made
    non-decreasing by isotonic regression (the least-squares closest monotone sequence) and
    wrapped back.
    """
    sign = 1.0 if same_direction else -1.0
    v = sign * np.asarray(annulus_u, dtype=float)
    steps = _wrap(np.diff(v))
    n = len(v)
    start = 0
    if closed:
        closing = _wrap(v[0] - v[-1])
        turns = float(steps.sum() + closing)
        if round(turns) != 1:
            raise InputError(
                "the sutures would cross: the ring does not run once around the annulus; "
                "place it closer"
            )
        # Start right after the largest forward step, so that the wrap-around is never a
        # backward (crossing) step and isotonic regression sees every violation.
        all_steps = np.append(steps, closing)
        start = (int(np.argmax(all_steps)) + 1) % n
        v = np.roll(v, -start)
        steps = _wrap(np.diff(v))
    unwrapped = v[0] + np.concatenate([[0.0], np.cumsum(steps)])
    monotone = _isotonic(unwrapped)
    if monotone[-1] - monotone[0] >= 1.0:
        raise InputError(
            "the sutures would cross: the ring does not follow the annulus; place it closer"
        )
    out = np.mod(sign * np.roll(monotone, start), 1.0)
    # mod of a tiny negative number can round to 1.0, which is the same point as 0.0.
    return np.where(out >= 1.0, 0.0, out)


def _wrap(d: FloatArray) -> FloatArray:
    """Parameter differences wrapped into [-0.5, 0.5)."""
    return np.asarray(np.mod(np.asarray(d) + 0.5, 1.0) - 0.5)


def _isotonic(values: FloatArray) -> FloatArray:
    """Non-decreasing least-squares fit to ``values`` (pool-adjacent-violators)."""
    sums: list[float] = []
    counts: list[int] = []
    for value in values:
        sums.append(float(value))
        counts.append(1)
        while len(sums) > 1 and sums[-2] / counts[-2] > sums[-1] / counts[-1]:
            last_sum, last_count = sums.pop(), counts.pop()
            sums[-1] += last_sum
            counts[-1] += last_count
    return np.repeat(np.array(sums) / np.array(counts), counts)


__all__ = [
    "DEFAULT_BAND_SUTURES",
    "DEFAULT_RING_SUTURES",
    "MAX_MEAN_SUTURE_MM",
    "MAX_SUTURE_MM",
    "MIN_SUTURES",
    "RING_SUTURE_RANGE",
    "RingTooFarError",
    "Suture",
    "check_sutures",
    "default_sutures",
    "layout_sutures",
    "ring_suture_parameters",
    "suture_lengths",
    "suture_points",
]
