"""The coronary sinus (CS) beside the posterior mitral annulus: estimated or given paths.

Percutaneous annuloplasty devices of the Carillon kind sit in the coronary sinus, which runs
outside the posterior annulus from its ostium near the posteromedial commissure (PMC), round
past P, to the great cardiac vein near the anterolateral commissure (ALC). The device
mechanics need that path in the valve frame (DESIGN.md section 2), ordered from the ostium
(proximal) to the great cardiac vein (distal) and sampled about 1 mm apart.

Two roads lead to a :class:`CSPath`:

* :func:`estimate_cs_path` offsets the posterior annulus arc outward by the CS-to-annulus
  distances of Lansac et al. 2008 (cadaver hearts; DOMAIN.md), when no imaging of the CS is
  at hand;
* :func:`cs_path_from_points` takes a traced centreline (a CT or venography segmentation),
  orients and resamples it, and refuses paths that cannot be a coronary sinus beside this
  annulus (wrong units or frame, on the anterior side, too short).

Everything here works in the valve frame, mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "MAX_CS_DISTANCE_MM",
    "MIN_CS_LENGTH_MM",
    "CSOffsets",
    "CSPath",
    "PosteriorArc",
    "cs_path_from_points",
    "estimate_cs_path",
    "nearest_annulus_points",
    "posterior_arc",
    "resample_polyline",
]

#: A traced CS path whose median distance from the annulus exceeds this (mm) is refused: the
#: CS lies 7-20 mm from the annulus (Lansac 2008), so 30 mm means wrong units or frame.
MAX_CS_DISTANCE_MM = 30.0

#: A traced CS path shorter than this (mm) is refused: the CS runs along most of the posterior
#: annulus (commissure to commissure, 40-80 mm, Lansac 2008), and Carillon devices are
#: 60-80 mm long (Goldberg 2015).
MIN_CS_LENGTH_MM = 20.0

#: Default spacing of CS path points along the path, mm.
DEFAULT_CS_SPACING_MM = 1.0

#: Dense sampling used while offsetting the annulus arc, mm (well below the output spacing,
#: so that resampling the offset curve loses nothing visible).
_DENSE_STEP_MM = 0.1

#: Samples per annulus point when finding nearest annulus points (the annulus is sampled
#: <= 1 mm apart, so this gives <= 0.13 mm; the distance error is then below 1e-3 mm at CS
#: distances, since it grows with the square of the spacing).
_NEAREST_PER_SAMPLE = 8

#: Consecutive given points closer than this are one point, mm.
_REPEAT_MM = 1e-6


@dataclass(frozen=True)
class CSOffsets:
    """Where the coronary sinus centreline lies relative to the annulus, at three stations.

    Distances are 3-D, from the annulus curve to the CS centreline, mm. The defaults are the
    midpoints of Lansac et al. 2008's ranges in human cadaver hearts (J Thorac Cardiovasc
    Surg 135:376; DOMAIN.md): 8-14 mm at the CS ostium, 13.7-20.4 mm at mid-CS, 6.9-14 mm at the
    great cardiac vein.

    Attributes
    ----------
    ostium_mm : float
        Distance at the ostium, beside the posteromedial commissure (PMC), mm.
    mid_mm : float
        Distance at mid-CS, beside P, mm.
    distal_mm : float
        Distance at the great cardiac vein, beside the anterolateral commissure (ALC), mm.
    atrial_mm : float
        How much of each distance is toward the left atrium (+z of the valve frame), mm. The
        CS lies on the atrial side of the atrioventricular groove (Mlynarski 2013: above it in
        76 % of 315 hearts), but no source gives a height: 4 mm is an **assumption**. The
        in-plane (outward) part of each distance ``d`` is ``sqrt(d**2 - atrial_mm**2)``.

    Raises
    ------
    InputError
        A value that is not finite or not positive, or a distance not greater than the
        atrial part.
    """

    ostium_mm: float = 11.0
    mid_mm: float = 17.0
    distal_mm: float = 10.5
    atrial_mm: float = 4.0

    def __post_init__(self) -> None:
        for name in ("ostium_mm", "mid_mm", "distal_mm", "atrial_mm"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value <= 0.0:
                raise InputError(f"CS offset {name} must be a positive number of mm, got {value}")
            object.__setattr__(self, name, value)
        for name in ("ostium_mm", "mid_mm", "distal_mm"):
            if getattr(self, name) <= self.atrial_mm:
                raise InputError(
                    f"CS offset {name} ({getattr(self, name):g} mm) must exceed its atrial part "
                    f"atrial_mm ({self.atrial_mm:g} mm)"
                )

    def in_plane_mm(self) -> tuple[float, float, float]:
        """In-plane outward offsets at the ostium, mid-CS and distal end, mm."""
        h2 = self.atrial_mm**2
        return tuple(  # type: ignore[return-value]
            math.sqrt(d * d - h2) for d in (self.ostium_mm, self.mid_mm, self.distal_mm)
        )

    def to_dict(self) -> dict[str, float]:
        """JSON-ready values, mm."""
        return {
            "ostium_mm": self.ostium_mm,
            "mid_mm": self.mid_mm,
            "distal_mm": self.distal_mm,
            "atrial_mm": self.atrial_mm,
        }


@dataclass(frozen=True)
class PosteriorArc:
    """The posterior annulus arc, from the PMC end (CS ostium) through P to the ALC end.

    Attributes
    ----------
    u_start : float
        Annulus curve parameter of the proximal end: PMC, or PMT when the commissures are
        unknown.
    u_end : float
        Curve parameter of the distal end: ALC, or ALT.
    u_mid : float
        Curve parameter of the mid-CS station: P when it lies on this arc, else the arc's
        midpoint.
    direction : int
        +1 if the curve parameter increases going from ``u_start`` through P to ``u_end``,
        else -1. This is the arc that does not contain A.
    ends : tuple of str
        Names of the landmarks at the two ends: ``("PMC", "ALC")`` or ``("PMT", "ALT")``.
    mid_is_p : bool
        Whether ``u_mid`` is the landmark P (else the arc's midpoint).
    """

    u_start: float
    u_end: float
    u_mid: float
    direction: int
    ends: tuple[str, str]
    mid_is_p: bool

    @property
    def span(self) -> float:
        """Fraction of the perimeter that the arc covers, in (0, 1)."""
        return float(np.mod(self.direction * (self.u_end - self.u_start), 1.0))

    def fraction(self, u: npt.ArrayLike) -> FloatArray:
        """Position of curve parameters ``u`` along the arc: 0 at the start, 1 at the end.

        Values above 1 (up to ``1 / span``) are off the arc, on the anterior side.
        """
        du = np.mod(self.direction * (np.asarray(u, dtype=float) - self.u_start), 1.0)
        return np.asarray(du / self.span)

    def contains(self, u: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each curve parameter ``u`` lies on the arc (ends included)."""
        return np.asarray(self.fraction(u) <= 1.0 + 1e-12)

    def parameters(self, t: npt.ArrayLike) -> FloatArray:
        """Curve parameters at arc positions ``t`` (0 at the start, 1 at the end), in [0, 1)."""
        return np.asarray(
            np.mod(self.u_start + self.direction * np.asarray(t, dtype=float) * self.span, 1.0)
        )

    def length_mm(self, annulus: Annulus) -> float:
        """Arc length of the posterior arc on ``annulus``, mm."""
        return self.span * annulus.perimeter_mm


def posterior_arc(annulus: Annulus) -> PosteriorArc:
    """The posterior arc of ``annulus``: PMC -> P -> ALC, the arc not containing A.

    Falls back to the trigones (PMT -> P -> ALT) when a commissure is unknown. The direction
    of travel is the one that avoids A; when A is unknown, the one that passes P.

    Raises
    ------
    InputError
        When neither pair of end landmarks is known, or neither A nor P is.
    """
    marks = annulus.landmarks
    source = annulus.source.name or None
    for start, end in (("PMC", "ALC"), ("PMT", "ALT")):
        if start in marks and end in marks:
            break
    else:
        raise InputError(
            "the posterior annulus is unknown: neither the commissures (PMC, ALC) nor the "
            "trigones (PMT, ALT) are known; give them in a landmarks file",
            source=source,
        )
    u0, u1 = marks[start].u, marks[end].u
    forward_span = float(np.mod(u1 - u0, 1.0))

    def on_forward(u: float) -> bool:
        return float(np.mod(u - u0, 1.0)) < forward_span

    if "A" in marks:
        direction = -1 if on_forward(marks["A"].u) else 1
    elif "P" in marks:
        direction = 1 if on_forward(marks["P"].u) else -1
    else:
        raise InputError(
            "the posterior annulus is unknown: neither A nor P is known; give them in a "
            "landmarks file",
            source=source,
        )
    arc = PosteriorArc(u0, u1, 0.0, direction, (start, end), False)
    if "P" in marks and bool(arc.contains(marks["P"].u)):
        return PosteriorArc(u0, u1, marks["P"].u, direction, (start, end), True)
    return PosteriorArc(u0, u1, float(arc.parameters(0.5)), direction, (start, end), False)


@dataclass(frozen=True, eq=False)
class CSPath:
    """A coronary sinus centreline beside the annulus, in the valve frame.

    Attributes
    ----------
    points_valve : (m, 3) float, mm
        The centreline from the ostium (proximal, PMC end) to the great cardiac vein (distal,
        ALC end), points about 1 mm apart (equal spacing along the path).
    source : str
        ``"estimated"`` for :func:`estimate_cs_path`, else the file's base name.
    offsets : CSOffsets or None
        The offsets an estimated path was built with; None for a given path.
    annulus_u : (m,) float
        Annulus curve parameter of the annulus point nearest each CS point.
    distance_mm : (m,) float, mm
        Distance from each CS point to that nearest annulus point.
    """

    points_valve: FloatArray
    source: str
    offsets: CSOffsets | None
    annulus_u: FloatArray
    distance_mm: FloatArray

    def __post_init__(self) -> None:
        for name in ("points_valve", "annulus_u", "distance_mm"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def length_mm(self) -> float:
        """Length of the centreline polyline, mm."""
        return float(_arc_lengths(self.points_valve)[-1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: source, length, offsets, distances and points (valve frame)."""
        return {
            "source": self.source,
            "length_mm": round(self.length_mm, 3),
            "offsets": None if self.offsets is None else self.offsets.to_dict(),
            "distance_mm": {
                "min": round(float(self.distance_mm.min()), 3),
                "mean": round(float(self.distance_mm.mean()), 3),
                "max": round(float(self.distance_mm.max()), 3),
            },
            "points_valve_mm": np.round(self.points_valve, 3).tolist(),
        }


def estimate_cs_path(
    annulus: Annulus,
    offsets: CSOffsets | None = None,
    spacing_mm: float = DEFAULT_CS_SPACING_MM,
) -> CSPath:
    """Estimate the coronary sinus centreline by offsetting the posterior annulus arc.

    Each point of the arc PMC -> P -> ALC (:func:`posterior_arc`) is moved outward in the
    annulus plane (away from the valve centre, perpendicular to the curve) by the in-plane
    offset and toward the atrium by ``offsets.atrial_mm``. The 3-D distance is interpolated
    linearly in arc length between the ostium (PMC), mid-CS (P, or the arc midpoint) and the
    distal end (ALC). The atrial direction is +z made perpendicular to the annulus tangent,
    so that the offset is perpendicular to the curve and the annulus point it started from
    stays the nearest one: the distance from the annulus is then the requested one where the
    saddle slopes too.

    Parameters
    ----------
    annulus : Annulus
    offsets : CSOffsets, optional
        Distances at the three stations; Lansac 2008's midpoints by default.
    spacing_mm : float
        Spacing of the output points along the path, mm (the last spacing is adjusted so the
        path ends at the distal station).

    Returns
    -------
    CSPath
        ``source="estimated"``.

    Raises
    ------
    InputError
        The posterior arc is unknown (see :func:`posterior_arc`), or a bad spacing.
    """
    offsets = CSOffsets() if offsets is None else offsets
    _check_spacing(spacing_mm)
    arc = posterior_arc(annulus)
    length = arc.length_mm(annulus)
    t = np.linspace(0.0, 1.0, max(200, int(np.ceil(length / _DENSE_STEP_MM)) + 1))
    u = arc.parameters(t)
    frame = annulus.to_valve_frame
    foot = frame.apply(annulus.curve.evaluate(u))
    tangent = frame.apply_vector(annulus.curve.tangent(u))
    outward = _outward_normals(tangent, _turn_sign(annulus.points_valve))
    atrial = np.array([0.0, 0.0, 1.0]) - tangent[:, 2:3] * tangent
    atrial /= np.linalg.norm(atrial, axis=1, keepdims=True)
    distance = np.interp(
        t,
        [0.0, float(arc.fraction(arc.u_mid)), 1.0],
        [offsets.ostium_mm, offsets.mid_mm, offsets.distal_mm],
    )
    h = offsets.atrial_mm
    dense = foot + np.sqrt(distance**2 - h * h)[:, None] * outward + h * atrial
    return _cs_path(annulus, resample_polyline(dense, spacing_mm), "estimated", offsets)


def cs_path_from_points(
    annulus: Annulus, points_valve: npt.ArrayLike, source: str = "CS path"
) -> CSPath:
    """A coronary sinus centreline from traced points (an open polyline in the valve frame).

    The polyline is oriented so that its end nearer the PMC (the posterior arc's start) is
    the ostium, and resampled about 1 mm apart along its length.

    Parameters
    ----------
    annulus : Annulus
    points_valve : (m, 3) float, mm
        Points along the centreline in order (either direction), valve frame.
    source : str
        The file's base name, for messages and the result.

    Raises
    ------
    InputError
        One line naming ``source``: a wrong shape, a non-finite value, fewer than 2 distinct
        points, a median distance from the annulus above :data:`MAX_CS_DISTANCE_MM`, a path
        shorter than :data:`MIN_CS_LENGTH_MM`, or a path that runs mostly beside the anterior
        annulus.
    """
    pts = distinct_points(points_valve, source, "CS path")
    path = resample_polyline(pts, DEFAULT_CS_SPACING_MM)
    _, distance = nearest_annulus_points(annulus, path)
    median = float(np.median(distance))
    if median > MAX_CS_DISTANCE_MM:
        raise InputError(
            f"CS path {source} runs {median:.1f} mm from the annulus (median); the coronary "
            "sinus lies 7-20 mm from it (Lansac 2008): check the units and the frame",
            source=source,
        )
    length = float(_arc_lengths(path)[-1])
    if length < MIN_CS_LENGTH_MM:
        raise InputError(
            f"CS path {source} is {length:.1f} mm long; a coronary sinus path along the "
            f"posterior annulus is at least {MIN_CS_LENGTH_MM:.0f} mm: check the units",
            source=source,
        )
    arc = posterior_arc(annulus)
    u, _ = nearest_annulus_points(annulus, path)
    beside = float(np.mean(arc.contains(u)))
    if beside < 0.5:
        raise InputError(
            f"CS path {source} runs beside the anterior annulus ({100 * beside:.0f} % of it is "
            f"beside the posterior arc {arc.ends[0]}-P-{arc.ends[1]}); the coronary sinus "
            "follows the posterior annulus: check the frame and the landmarks",
            source=source,
        )
    start = annulus.to_valve_frame.apply(annulus.curve.evaluate(arc.u_start))
    if np.linalg.norm(path[-1] - start) < np.linalg.norm(path[0] - start):
        path = path[::-1].copy()
    return _cs_path(annulus, path, source, None)


def nearest_annulus_points(
    annulus: Annulus, points_valve: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """For each point, the annulus curve parameter of the nearest annulus point and the distance.

    Parameters
    ----------
    annulus : Annulus
    points_valve : (m, 3) float, mm
        Points in the valve frame.

    Returns
    -------
    u : (m,) float
        Curve parameters in [0, 1), to about ``1 / (8 n)`` (n annulus samples).
    distance : (m,) float, mm
    """
    u_dense, dense = annulus.curve.dense(_NEAREST_PER_SAMPLE)
    tree = cKDTree(annulus.to_valve_frame.apply(dense))
    distance, index = tree.query(np.asarray(points_valve, dtype=float).reshape(-1, 3))
    return np.asarray(u_dense[index], dtype=float), np.asarray(distance, dtype=float)


def resample_polyline(points: npt.ArrayLike, spacing_mm: float) -> FloatArray:
    """Resample an open polyline at equal arc-length steps of about ``spacing_mm``.

    Parameters
    ----------
    points : (m, 3) float, mm
        Ordered points, consecutive points distinct.
    spacing_mm : float
        Target spacing, mm; the actual spacing is ``length / round(length / spacing_mm)``, so
        both ends are kept.

    Returns
    -------
    (k, 3) float, mm
        ``k >= 2`` points, linear interpolation along the polyline.
    """
    pts = np.asarray(points, dtype=float)
    s = _arc_lengths(pts)
    count = max(2, round(float(s[-1]) / spacing_mm) + 1)
    targets = np.linspace(0.0, float(s[-1]), count)
    return np.column_stack([np.interp(targets, s, pts[:, k]) for k in range(3)])


def distinct_points(points: npt.ArrayLike, source: str, what: str) -> FloatArray:
    """Check an open polyline's points and drop consecutive repeats.

    Parameters
    ----------
    points : (m, 3) float
    source : str
        Named in error messages.
    what : str
        What the points are, for messages ("CS path", "artery").

    Returns
    -------
    (k, 3) float
        The points without consecutive repeats (closer than 1e-6 mm), ``k >= 2``.

    Raises
    ------
    InputError
        A wrong shape, a non-finite value, fewer than 2 distinct points.
    """
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise InputError(f"{what} must be an (m, 3) array, got shape {arr.shape}", source=source)
    bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if len(bad):
        raise InputError(
            f"{what}: point {int(bad[0])} is not finite (NaN or infinite)", source=source
        )
    if len(arr) == 0:
        raise InputError(f"{what} has no points; it needs at least 2 distinct", source=source)
    keep = np.concatenate([[True], np.linalg.norm(np.diff(arr, axis=0), axis=1) > _REPEAT_MM])
    arr = arr[keep]
    if len(arr) < 2:
        raise InputError(
            f"{what} has {len(arr)} distinct point; it needs at least 2", source=source
        )
    return arr


def _cs_path(
    annulus: Annulus, points: FloatArray, source: str, offsets: CSOffsets | None
) -> CSPath:
    u, distance = nearest_annulus_points(annulus, points)
    return CSPath(points, source, offsets, u, distance)


def _check_spacing(spacing_mm: float) -> None:
    if not (math.isfinite(spacing_mm) and 0.05 <= spacing_mm <= 10.0):
        raise InputError(f"CS path spacing must be 0.05-10 mm, got {spacing_mm}")


def _arc_lengths(points: FloatArray) -> FloatArray:
    """Cumulative arc length ``(m,)`` of an open polyline ``(m, 3)``, mm, starting at 0."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _turn_sign(closed_valve: FloatArray) -> float:
    """+1 if the closed curve runs counter-clockwise seen from +z (the atrium), else -1."""
    x, y = closed_valve[:, 0], closed_valve[:, 1]
    area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    return 1.0 if area > 0 else -1.0


def _outward_normals(tangent: FloatArray, turn: float) -> FloatArray:
    """Unit in-plane normals ``(m, 3)`` pointing out of a closed curve with these tangents.

    For a counter-clockwise curve (seen from +z) the outward normal is ``tangent x z``;
    using the curve's turning sense, rather than the direction to the centre point by point,
    keeps the normal consistent where the curve is locally concave.
    """
    normal = turn * np.column_stack([tangent[:, 1], -tangent[:, 0], np.zeros(len(tangent))])
    return np.asarray(normal / np.linalg.norm(normal, axis=1, keepdims=True))
