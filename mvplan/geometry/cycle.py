"""Frames of one moving annulus (a 4D series): point correspondence and the cycle figures.

Each frame is an :class:`~mvplan.geometry.annulus.Annulus`, measured on its own by
:func:`~mvplan.geometry.measurements.measure`; this module only relates the frames.

Correspondence (which point of one frame is which point of another):

* **point order** -- when every frame comes with its input points in curve order and all
  frames have the same number of them, point ``i`` of every frame is the same material point
  (the tracked points of a 4D echo or a propagated segmentation). The order is checked first:
  each frame's points must run round the annulus the same way (the sign of their vector area
  along a common atrial normal, see below). A frame listed the other way round does not keep
  the correspondence, and the frames fall back to arc length.
* **arc length from A** -- otherwise each frame's curve (its uniform periodic spline) is
  sampled at ``n`` points equally spaced in arc length, starting at landmark A (given or
  estimated by the rules of DESIGN.md section 4) and running round in the direction of the
  first frame. ``n`` is the largest resampled point count of the frames (spacing <= 0.5 mm).
  A frame without A (a round projected annulus) cannot be placed this way: an
  :class:`~mvplan.errors.InputError` names it.

The common atrial normal is the plane normal of the first frame whose atrial side was decided
by anatomy (papillary tips or the saddle), else of the first frame; each frame's least-squares
normal is turned to agree with it. (A frame whose side was ``"assumed"`` took it from its own
point order, which would make the direction check vacuous.)

Cycle figures, for every measurement key of DESIGN.md section 4 over the frames ``k``:
``min``, ``max``, ``change = max - min`` (in the key's unit) and
``change_percent = 100 (max - min) / max`` -- for the areas, the fractional area change of
DOMAIN.md; for the perimeter, ``change`` is the cyclic circumference change in mm. A key that
is unknown in any frame is null in the cycle, with the reason. Displacements of corresponding
points are in the input (scanner) coordinates, mm, so they include the annulus's translation:
``displacement_from_first[k, i] = |x_k,i - x_0,i|`` and the excursion of point ``i`` is the
largest distance between two of its positions, ``max_kl |x_k,i - x_l,i|`` (for two frames the
same as the displacement).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.measurements import MEASUREMENT_KEYS, Measurements, measure
from mvplan.geometry.topology import vector_area

FloatArray = npt.NDArray[np.float64]

#: Largest excursion of a corresponding point (mm) that passes without a warning: the annulus
#: moves 10-15 mm toward the apex in systole (mitral annular plane systolic excursion), so a
#: point that moved farther than this most likely belongs to another annulus or scan.
PLAUSIBLE_EXCURSION_MM = 30.0

#: Correspondence methods (see the module docstring).
POINT_ORDER = "point order"
ARC_LENGTH_FROM_A = "arc length from A"


@dataclass(frozen=True, eq=False)
class Correspondence:
    """Corresponding points of the frames of one annulus.

    Attributes
    ----------
    points : (f, n, 3) float, mm
        ``points[k, i]`` is point ``i`` in frame ``k``, input coordinates.
    method : str
        :data:`POINT_ORDER` or :data:`ARC_LENGTH_FROM_A`.
    reversed : tuple of bool, length f
        For each frame, whether its points (point order) or its curve (arc length) run round
        the annulus the other way from the first frame's.
    """

    points: FloatArray
    method: str
    reversed: tuple[bool, ...]

    @property
    def n_frames(self) -> int:
        """Number of frames ``f``."""
        return int(self.points.shape[0])

    @property
    def n_points(self) -> int:
        """Number of corresponding points ``n`` per frame."""
        return int(self.points.shape[1])


@dataclass(frozen=True)
class MeasurementRange:
    """How one measurement varies over the frames.

    Attributes
    ----------
    key : str
        Section-4 key; its unit is in its name (mm, mm2, deg, percent; none for the index).
    values : tuple of (float or None), length f
        The key's value in each frame.
    minimum, maximum, change : float or None
        Smallest and largest value and their difference, in the key's unit.
    change_percent : float or None
        ``100 * change / maximum`` (None when the maximum is not positive).
    min_frame, max_frame : int or None
        Index of the frame where the minimum and the maximum are (the first if tied).
    estimated : bool
        Whether the value rests on an estimated landmark in any frame.
    reason : str or None
        Why the figures are None, when they are.
    """

    key: str
    values: tuple[float | None, ...]
    minimum: float | None
    maximum: float | None
    change: float | None
    change_percent: float | None
    min_frame: int | None
    max_frame: int | None
    estimated: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``reason`` only when the figures are null)."""
        out: dict[str, Any] = {
            "min": self.minimum,
            "max": self.maximum,
            "change": self.change,
            "change_percent": self.change_percent,
            "min_frame": self.min_frame,
            "max_frame": self.max_frame,
            "estimated": self.estimated,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, eq=False)
class CycleResult:
    """Measurements of each frame and how they change over the cycle.

    Attributes
    ----------
    sources : tuple of str, length f
        Each frame's source name, in frame order.
    frames : tuple of Measurements, length f
        Each frame measured alone.
    ranges : mapping of str to MeasurementRange
        Section 4's keys in table order.
    correspondence : Correspondence
    displacement_from_first_mm : (f, n) float, mm
        Distance of each corresponding point from its position in the first frame.
    excursion_mm : (n,) float, mm
        Largest distance between two positions of each corresponding point.
    """

    sources: tuple[str, ...]
    frames: tuple[Measurements, ...]
    ranges: Mapping[str, MeasurementRange]
    correspondence: Correspondence
    displacement_from_first_mm: FloatArray
    excursion_mm: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """The ``cycle`` object of ``mvplan measure F1 F2 ... --json``."""
        corr = self.correspondence
        return {
            "n_frames": corr.n_frames,
            "sources": list(self.sources),
            "correspondence": {
                "method": corr.method,
                "n_points": corr.n_points,
                "reversed_frames": [k for k, r in enumerate(corr.reversed) if r],
            },
            "measurements": {key: r.to_dict() for key, r in self.ranges.items()},
            "displacement_mm": {
                "max": float(self.excursion_mm.max()),
                "mean": float(self.excursion_mm.mean()),
            },
            "displacement_from_first_mm": [
                {"max": float(d.max()), "mean": float(d.mean())}
                for d in self.displacement_from_first_mm
            ],
        }


def corresponding_points(
    annuli: Sequence[Annulus], input_points: Sequence[FloatArray | None] | None = None
) -> Correspondence:
    """Corresponding points of the frames (the rules are in the module docstring).

    Parameters
    ----------
    annuli : sequence of Annulus, length f >= 1
        The frames, in time order.
    input_points : sequence of ((m_k, 3) float, mm, or None), optional
        Each frame's input points in curve order, input coordinates; None for a frame whose
        input order means nothing (an unordered cloud). Without them, arc length is used.

    Returns
    -------
    Correspondence

    Raises
    ------
    InputError
        The frames need the arc-length correspondence and a frame has no landmark A.
    """
    if not annuli:
        raise ValueError("at least one frame is needed")
    normals = _common_normals(annuli)
    if input_points is not None and len(input_points) != len(annuli):
        raise ValueError("one entry of input_points per frame is needed")
    raw = list(input_points) if input_points is not None else [None] * len(annuli)
    present = [p for p in raw if p is not None]
    if len(present) == len(annuli) and len({len(p) for p in present}) == 1:
        turns = [_turn(p, n) for p, n in zip(present, normals, strict=True)]
        if all(t == turns[0] for t in turns):
            pts = np.stack([np.asarray(p, dtype=float) for p in present])
            return Correspondence(pts, POINT_ORDER, (False,) * len(annuli))
    return _by_arc_length(annuli, normals)


def measure_cycle(
    annuli: Sequence[Annulus],
    input_points: Sequence[FloatArray | None] | None = None,
    measurements: Sequence[Measurements] | None = None,
) -> CycleResult:
    """Measure every frame and the change of each measurement over the cycle.

    Parameters
    ----------
    annuli : sequence of Annulus, length f >= 1
        The frames, in time order.
    input_points : sequence of ((m_k, 3) float, mm, or None), optional
        As for :func:`corresponding_points`.
    measurements : sequence of Measurements, optional
        Each frame's :func:`~mvplan.geometry.measurements.measure` result, when already
        computed (the minimal-surface area is the slow part); measured here otherwise.

    Returns
    -------
    CycleResult
    """
    corr = corresponding_points(annuli, input_points)
    frames = tuple(measurements) if measurements is not None else tuple(measure(a) for a in annuli)
    if len(frames) != len(annuli):
        raise ValueError("one Measurements per frame is needed")
    sources = tuple(a.source.name for a in annuli)
    ranges = {key: _range(key, frames, sources) for key in MEASUREMENT_KEYS}
    pts = corr.points
    from_first = np.linalg.norm(pts - pts[:1], axis=2)
    pairwise = np.linalg.norm(pts[:, None, :, :] - pts[None, :, :, :], axis=3)
    excursion = pairwise.max(axis=(0, 1))
    if excursion.size and float(excursion.max()) > PLAUSIBLE_EXCURSION_MM:
        # Not an error (a series may come in separately registered coordinates), but a
        # cycle's figures mean little for frames that are not of one annulus in one frame.
        warnings.warn(
            f"corresponding points of {sources[0]} and the other frames lie up to "
            f"{float(excursion.max()):.0f} mm apart (an annulus moves about 10-15 mm over a "
            "cycle): are these frames of one annulus, in one coordinate system?",
            stacklevel=2,
        )
    return CycleResult(
        sources=sources,
        frames=frames,
        ranges=MappingProxyType(ranges),
        correspondence=corr,
        displacement_from_first_mm=from_first,
        excursion_mm=excursion,
    )


def _common_normals(annuli: Sequence[Annulus]) -> list[FloatArray]:
    """Each frame's plane normal, turned to agree with one reference atrial normal."""
    anatomical = [a for a in annuli if a.orientation != "assumed"]
    reference = (anatomical or list(annuli))[0].plane.normal
    return [a.plane.normal if a.plane.normal @ reference >= 0 else -a.plane.normal for a in annuli]


def _turn(points: FloatArray, normal: FloatArray) -> int:
    """+1 if ``points (m, 3)`` run counter-clockwise about ``normal``, else -1."""
    return 1 if float(vector_area(points) @ normal) >= 0 else -1


def _by_arc_length(annuli: Sequence[Annulus], normals: Sequence[FloatArray]) -> Correspondence:
    for annulus in annuli:
        if "A" not in annulus.landmarks:
            why = annulus.missing.get("A", "landmark A is not known")
            raise InputError(
                "the frames have different point counts (or point orders), so they are matched "
                f"by arc length from landmark A, which this frame lacks: {why}",
                source=annulus.source.name,
            )
    n = max(a.curve.count for a in annuli)
    turns = [_turn(a.points, normal) for a, normal in zip(annuli, normals, strict=True)]
    steps = np.arange(n) / n
    points = np.stack(
        [
            a.curve.evaluate(a.landmarks["A"].u + (turn * turns[0]) * steps)
            for a, turn in zip(annuli, turns, strict=True)
        ]
    )
    return Correspondence(points, ARC_LENGTH_FROM_A, tuple(t != turns[0] for t in turns))


def _range(key: str, frames: Sequence[Measurements], sources: Sequence[str]) -> MeasurementRange:
    values = tuple(m.values[key] for m in frames)
    estimated = any(m.estimated.get(key, False) for m in frames)
    missing = [k for k, v in enumerate(values) if v is None]
    if missing:
        k = missing[0]
        why = frames[k].reasons.get(key, "not measured")
        reason = f"not known in frame {k} ({sources[k]}): {why}"
        return MeasurementRange(key, values, None, None, None, None, None, None, estimated, reason)
    arr = np.array(values, dtype=float)
    lo, hi = int(np.argmin(arr)), int(np.argmax(arr))
    minimum, maximum = float(arr[lo]), float(arr[hi])
    change = maximum - minimum
    percent = 100.0 * change / maximum if maximum > 0 else None
    return MeasurementRange(key, values, minimum, maximum, change, percent, lo, hi, estimated)


__all__ = [
    "ARC_LENGTH_FROM_A",
    "POINT_ORDER",
    "Correspondence",
    "CycleResult",
    "MeasurementRange",
    "corresponding_points",
    "measure_cycle",
]
