"""The :class:`Annulus` value and :func:`build_annulus`, which makes one from input points.

``build_annulus`` is the single road from what a reader found to a usable annulus: units,
near-duplicate merging, ordering, the interpolating periodic spline resampled uniformly,
the least-squares plane, its orientation toward the left atrium, landmarks (given or estimated)
and the valve frame. Every decision that is a guess is recorded: inferred units and merged
points in ``warnings``, estimated landmarks in their ``given`` flag, an assumed orientation in
``orientation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError, InputError
from mvplan.geometry import landmarks as lm
from mvplan.geometry.curve import ClosedCurve, resample_tracking, resample_uniform
from mvplan.geometry.frames import RigidTransform, valve_frame
from mvplan.geometry.ordering import (
    cloud_order_if_unordered,
    first_self_crossing,
    merge_close_points,
    order_cloud,
    tour_length,
)
from mvplan.geometry.plane import Plane, fit_plane
from mvplan.geometry.units import UnitChoice, choose_units

FloatArray = npt.NDArray[np.float64]

#: Names of the landmarks, in report order.
LANDMARK_NAMES: tuple[str, ...] = ("A", "P", "ALC", "PMC", "ALT", "PMT")

#: Target spacing of the resampled curve, mm (DESIGN.md asks for <= 1 mm).
DEFAULT_SPACING_MM = 0.5

#: Landmarks a deformation always carries with the tissue (see :func:`deformed_annulus`).
CARRIED_LANDMARKS = ("ALT", "PMT")

#: Deformed points closer than this to their predecessor are dropped, mm.
MERGE_MM = 0.02

#: Fewer distinct input points than this cannot define an annulus.
MIN_DISTINCT_POINTS = 8

#: A saddle whose cos(2 theta) height harmonic is smaller than this (mm) is taken as flat when
#: orienting the plane: tracing noise on a flat annulus is a few tenths of a millimetre.
SADDLE_MIN_AMPLITUDE_MM = 0.5

#: A given landmark farther than this from the curve is reported (it is still snapped), mm.
LANDMARK_SNAP_WARN_MM = 3.0

ROUND_REASON = (
    "A and P cannot be estimated: the projected annulus is round (no minor axis); "
    "give them in a landmarks file"
)


@dataclass(frozen=True)
class SourceInfo:
    """Where an annulus came from.

    Attributes
    ----------
    name : str
        Input file base name (never a full path), or a description for generated curves.
    n_input_points : int
        Points read from the input, before merging.
    input_units : str
        Unit of the input coordinates (``mm``, ``cm`` or ``m``).
    units_inferred : bool
        Whether that unit was inferred from the size of the curve.
    """

    name: str
    n_input_points: int
    input_units: str = "mm"
    units_inferred: bool = False


@dataclass(frozen=True, eq=False)
class Annulus:
    """A mitral annulus: a closed curve in input coordinates with landmarks and its frame.

    Attributes
    ----------
    curve : ClosedCurve
        Points equally spaced in arc length (``<= 1 mm`` apart) and their periodic spline, mm,
        in the input frame.
    plane : Plane
        Least-squares plane; ``plane.normal`` points into the left atrium.
    landmarks : mapping of str to Landmark
        The landmarks that are known, given or estimated.
    missing : mapping of str to str
        For each landmark that could not be estimated, why.
    to_valve_frame : RigidTransform
        Input coordinates to the valve frame (DESIGN.md section 2).
    orientation : str
        How the atrial side was decided: ``"papillary"``, ``"saddle"`` or ``"assumed"``.
    given_landmarks : mapping of str to float
        The user's landmarks as curve parameters (kept so estimates can be redone).
    source : SourceInfo
    warnings : tuple of str
        What the user should know about how the input was read.
    """

    curve: ClosedCurve
    plane: Plane
    landmarks: Mapping[str, lm.Landmark]
    missing: Mapping[str, str]
    to_valve_frame: RigidTransform
    orientation: str
    source: SourceInfo
    given_landmarks: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def points(self) -> FloatArray:
        """``(n, 3)`` float, mm: the resampled curve in input coordinates."""
        return self.curve.points

    @cached_property
    def points_valve(self) -> FloatArray:
        """``(n, 3)`` float, mm: the resampled curve in the valve frame."""
        return self.to_valve_frame.apply(self.curve.points)

    @property
    def perimeter_mm(self) -> float:
        """Arc length of the closed curve, mm."""
        return self.curve.length

    def landmark_point(self, name: str) -> FloatArray:
        """Position ``(3,)`` of a known landmark in input coordinates, mm."""
        return self.curve.evaluate(self.landmarks[name].u)

    def with_landmarks(self, given: Mapping[str, float]) -> Annulus:
        """A copy with the user's landmarks replaced by ``given`` (curve parameters) and every
        estimate redone. The atrial side stays as it was decided: moving a landmark must not
        turn the valve over."""
        return _locate(
            self.curve,
            fit_plane(self.curve.points),
            given,
            self.source,
            self.warnings,
            fixed_orientation=(self.plane.normal, self.orientation),
        )


def restore_annulus(
    points: npt.ArrayLike,
    *,
    given_landmarks: Mapping[str, float],
    atrial_normal: npt.ArrayLike,
    orientation: str,
    source: SourceInfo,
    warnings: tuple[str, ...] = (),
) -> Annulus:
    """Rebuild an :class:`Annulus` exactly from what a plan file stores.

    Parameters
    ----------
    points : (n, 3) float, mm
        The resampled curve (``Annulus.points``), used as it is: no new resampling, so a
        saved and reloaded annulus is the same annulus.
    given_landmarks : mapping of str to float
        The user's landmarks as curve parameters; the others are estimated again, exactly
        as they were (the estimates are deterministic functions of the curve).
    atrial_normal : (3,) float
        The plane normal that pointed into the left atrium.
    orientation : str
        How that side had been decided (kept as it was).
    """
    curve = ClosedCurve(np.asarray(points, dtype=float))
    normal = np.asarray(atrial_normal, dtype=float)
    return _locate(
        curve,
        fit_plane(curve.points),
        given_landmarks,
        source,
        warnings,
        fixed_orientation=(normal, orientation),
    )


def deformed_annulus(annulus: Annulus, node_u: npt.ArrayLike, points: npt.ArrayLike) -> Annulus:
    """The annulus after a deformation, its landmarks carried with the tissue.

    Parameters
    ----------
    annulus : Annulus
        The native annulus.
    node_u : (N,) float
        Increasing curve parameters (in [0, 1)) of the material points that were tracked.
    points : (N, 3) float, mm
        Where those material points are now, in the native annulus's input frame.

    Returns
    -------
    Annulus
        Resampled uniformly (as many points as the native curve). The user's landmarks and
        the trigones (the fibrous skeleton, given or estimated) are anatomical points of the
        tissue: each is carried with it (found between the tracked points it lay between) and
        keeps its given/estimated flag. The other estimated landmarks (A, P, commissures) are
        estimated again, by the same rules, on the new shape, as an analyst measuring the
        repaired annulus would place them. The atrial side is kept.
    """
    u = np.asarray(node_u, dtype=float).reshape(-1)
    pts = _as_points(points, annulus.source.name, "deformed points")
    if pts.shape[0] != u.size or u.size < MIN_DISTINCT_POINTS or np.any(np.diff(u) <= 0):
        raise ValueError("one increasing curve parameter per deformed point is needed")
    # Tissue bunched between sutures can bring neighbours together; coincident points have
    # no place on a spline, and a few hundredths of a millimetre change no measurement.
    keep = np.linalg.norm(pts - np.roll(pts, 1, axis=0), axis=1) > MERGE_MM
    keep[0] = True
    u, pts = u[keep], pts[keep]
    resampled, _, point_u = resample_tracking(pts, annulus.curve.count)
    curve = ClosedCurve(resampled)
    # Material parameter -> new parameter: piecewise linear between tracked points (closed).
    u_ext = np.concatenate([u, [u[0] + 1.0]])
    new_ext = np.concatenate([point_u, [1.0]])

    def carried(u_native: float) -> float:
        return float(np.interp(np.mod(u_native - u[0], 1.0) + u[0], u_ext, new_ext) % 1.0)

    # The user's landmarks and the trigones (fibrous skeleton) move with the tissue.
    moved = {
        name: carried(mark.u)
        for name, mark in annulus.landmarks.items()
        if mark.given or name in CARRIED_LANDMARKS
    }
    located = _locate(
        curve,
        fit_plane(curve.points),
        moved,
        annulus.source,
        annulus.warnings,
        fixed_orientation=(annulus.plane.normal, annulus.orientation),
    )
    flags = {n: annulus.landmarks[n].given for n in moved}
    marks = {
        n: lm.Landmark(n, mark.u, flags.get(n, mark.given)) for n, mark in located.landmarks.items()
    }
    return replace(
        located,
        landmarks=MappingProxyType(marks),
        given_landmarks=MappingProxyType({n: moved[n] for n in moved if flags[n]}),
    )


def build_annulus(
    points: npt.ArrayLike,
    *,
    ordered: bool = True,
    landmarks: Mapping[str, npt.ArrayLike] | None = None,
    papillary_points: npt.ArrayLike | None = None,
    units: str | UnitChoice | None = None,
    declared_units: str | None = None,
    source: str = "",
    spacing_mm: float = DEFAULT_SPACING_MM,
) -> Annulus:
    """Make an :class:`Annulus` from input points.

    Parameters
    ----------
    points : (m, 3) float, input units
        Points on the annulus, in curve order if ``ordered`` (a list whose order is plainly not
        a curve order is reordered, with a warning), else an unordered cloud.
    ordered : bool
    landmarks : mapping of str to (3,) float, input units, optional
        Given landmarks (keys from ``A, P, ALC, PMC, ALT, PMT``); each is snapped to the curve.
    papillary_points : (k, 3) float, input units, optional
        Papillary-muscle tip points; when given they decide the atrial side of the plane.
    units : str or UnitChoice, optional
        Explicit unit of the input (``mm``, ``cm`` or ``m``): wins over everything. A
        :class:`~mvplan.geometry.units.UnitChoice` already made (by a loader that also scales
        side files) is used as it is.
    declared_units : str, optional
        The unit the file declares, used when ``units`` is not given.
    source : str
        Input file base name, for messages and metadata.
    spacing_mm : float
        Largest spacing of the resampled curve (at most 1 mm).

    Raises
    ------
    InputError
        Non-finite values, implausible size.
    GeometryError
        Fewer than 8 distinct points, a self-crossing curve.
    """
    raw = _as_points(points, source, "points")
    if isinstance(units, UnitChoice):
        choice = units
    else:
        choice = choose_units(raw, units, declared_units, source or None)
    warnings: list[str] = [choice.message] if choice.message else []
    pts, merged = merge_close_points(raw * choice.scale, ordered)
    if merged:
        warnings.append(f"merged {merged} point(s) closer than 0.01 mm to their neighbour")
    if len(pts) < MIN_DISTINCT_POINTS:
        raise GeometryError(
            f"only {len(pts)} distinct points; an annulus needs at least {MIN_DISTINCT_POINTS}",
            source=source or None,
        )
    pts = _in_curve_order(pts, ordered, warnings)
    length_estimate = tour_length(pts)
    count = max(64, int(np.ceil(length_estimate / min(spacing_mm, 1.0))))
    resampled, _ = resample_uniform(pts, count)
    curve = ClosedCurve(resampled)
    plane = fit_plane(curve.points)
    _check_simple(curve, plane, source)

    given = {}
    for name, position in (landmarks or {}).items():
        given[name] = _snap_landmark(curve, name, position, choice.scale, source, warnings)
    tips = None
    if papillary_points is not None:
        tips = _as_points(papillary_points, source, "papillary points") * choice.scale
    info = SourceInfo(source, len(raw), choice.unit, choice.inferred)
    return _locate(curve, plane, given, info, tuple(warnings), papillary_side=tips)


def _as_points(values: npt.ArrayLike, source: str, what: str) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0:
        raise InputError(
            f"{what} must be an (n, 3) array, got shape {arr.shape}", source=source or None
        )
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise InputError(
            f"{what}: point {int(np.argmax(bad))} is not finite (NaN or infinite)",
            source=source or None,
        )
    return arr


def _in_curve_order(pts: FloatArray, ordered: bool, warnings: list[str]) -> FloatArray:
    if not ordered:
        return pts[order_cloud(pts)]
    order = cloud_order_if_unordered(pts)
    if order is not None:
        warnings.append("the points were not in curve order; they were reordered along the curve")
        return pts[order]
    return pts


def _check_simple(curve: ClosedCurve, plane: Plane, source: str) -> None:
    crossing = first_self_crossing(plane.in_plane(curve.points))
    if crossing is not None:
        where = curve.points[crossing[0]]
        raise GeometryError(
            "the curve crosses itself (seen along its plane normal) near "
            f"({where[0]:.1f}, {where[1]:.1f}, {where[2]:.1f}) mm",
            source=source or None,
        )


def _snap_landmark(
    curve: ClosedCurve,
    name: str,
    position: npt.ArrayLike,
    scale: float,
    source: str,
    warnings: list[str],
) -> float:
    if name not in LANDMARK_NAMES:
        raise InputError(
            f"unknown landmark {name!r} (known: {', '.join(LANDMARK_NAMES)})", source=source or None
        )
    p = np.asarray(position, dtype=float).reshape(3) * scale
    if not np.all(np.isfinite(p)):
        raise InputError(f"landmark {name} is not finite", source=source or None)
    u, dist = curve.closest_parameter(p)
    if dist > LANDMARK_SNAP_WARN_MM:
        warnings.append(f"landmark {name} is {dist:.1f} mm from the curve; it was moved onto it")
    return u


def _locate(
    curve: ClosedCurve,
    plane: Plane,
    given: Mapping[str, float],
    source: SourceInfo,
    warnings: tuple[str, ...],
    papillary_side: FloatArray | None = None,
    fixed_orientation: tuple[FloatArray, str] | None = None,
) -> Annulus:
    """Estimate what is not given, orient the plane and build the valve frame.

    ``fixed_orientation`` (an atrial normal and how it was decided) skips the orientation rules
    and keeps a decision already made.
    """
    u_a, u_p, missing = _anterior_posterior(curve, plane, given)
    if fixed_orientation is None:
        plane, orientation = _orient(curve, plane, u_a, papillary_side)
    else:
        normal, orientation = fixed_orientation
        plane = plane if float(plane.normal @ normal) >= 0 else plane.flipped()
    known: dict[str, lm.Landmark] = {}
    for name, u in (("A", u_a), ("P", u_p)):
        if u is not None:
            known[name] = lm.Landmark(name, u, name in given)
    toward_a = curve.evaluate(u_a) - plane.origin if u_a is not None else plane.axes[0]
    frame = valve_frame(plane.origin, plane.normal, toward_a)
    x_axis = frame.rotation[0]

    known |= _commissures(curve, given, u_a, u_p, x_axis, plane.origin, missing)
    known |= _trigones(curve, given, known, missing)
    return Annulus(
        curve=curve,
        plane=plane,
        landmarks=MappingProxyType({n: known[n] for n in LANDMARK_NAMES if n in known}),
        missing=MappingProxyType(missing),
        to_valve_frame=frame,
        orientation=orientation,
        source=source,
        given_landmarks=MappingProxyType(dict(given)),
        warnings=warnings,
    )


def _anterior_posterior(
    curve: ClosedCurve, plane: Plane, given: Mapping[str, float]
) -> tuple[float | None, float | None, dict[str, str]]:
    missing: dict[str, str] = {}
    if "A" in given and "P" in given:
        return given["A"], given["P"], missing
    if "A" in given:
        return given["A"], lm.opposite_point(curve, plane, given["A"]), missing
    if "P" in given:
        return lm.opposite_point(curve, plane, given["P"]), given["P"], missing
    candidates = lm.estimate_ap_candidates(curve, plane)
    if candidates is None:
        missing.update(A=ROUND_REASON, P=ROUND_REASON)
        return None, None, missing
    u_a, u_p = lm.choose_anterior(curve, plane, *candidates)
    return u_a, u_p, missing


def _orient(
    curve: ClosedCurve, plane: Plane, u_a: float | None, papillary: FloatArray | None
) -> tuple[Plane, str]:
    """Point the plane normal into the left atrium (DESIGN.md section 4)."""
    if papillary is not None:
        below = float(np.mean(plane.signed_distance(np.atleast_2d(papillary))))
        return (plane.flipped() if below > 0 else plane), "papillary"
    if u_a is not None:
        amplitude = lm.saddle_amplitude(curve, plane, u_a)
        if abs(amplitude) >= SADDLE_MIN_AMPLITUDE_MM:
            return (plane.flipped() if amplitude < 0 else plane), "saddle"
    return (plane if lm.loop_turn_sign(curve, plane) > 0 else plane.flipped()), "assumed"


def _commissures(
    curve: ClosedCurve,
    given: Mapping[str, float],
    u_a: float | None,
    u_p: float | None,
    x_axis: FloatArray,
    origin: FloatArray,
    missing: dict[str, str],
) -> dict[str, lm.Landmark]:
    out = {n: lm.Landmark(n, given[n], True) for n in ("ALC", "PMC") if n in given}
    if len(out) == 2:
        return out
    if u_a is None or u_p is None:
        for n in ("ALC", "PMC"):
            if n not in out:
                missing[n] = "commissures cannot be estimated without A and P"
        return out
    alc, pmc = commissure_cut(curve, u_a, u_p, x_axis, origin)
    out.setdefault("ALC", lm.Landmark("ALC", alc, False))
    out.setdefault("PMC", lm.Landmark("PMC", pmc, False))
    return out


def commissure_cut(
    curve: ClosedCurve, u_a: float, u_p: float, x_axis: FloatArray, origin: FloatArray
) -> tuple[float, float]:
    """Parameters (on the -x side, on the +x side) where the plane through the midpoint of A-P
    with normal P-A cuts the curve (the outermost two if it cuts more often)."""
    a, p = curve.evaluate(u_a), curve.evaluate(u_p)
    crossings = lm.plane_crossings(curve, 0.5 * (a + p), (p - a) / np.linalg.norm(p - a))
    if len(crossings) < 2:
        raise GeometryError("the plane between A and P does not cut the curve twice")
    x = (curve.evaluate(crossings) - origin) @ x_axis
    return float(crossings[np.argmin(x)]), float(crossings[np.argmax(x)])


def _trigones(
    curve: ClosedCurve,
    given: Mapping[str, float],
    known: Mapping[str, lm.Landmark],
    missing: dict[str, str],
) -> dict[str, lm.Landmark]:
    out = {n: lm.Landmark(n, given[n], True) for n in ("ALT", "PMT") if n in given}
    if len(out) == 2:
        return out
    if not all(n in known for n in ("A", "ALC", "PMC")):
        for n in ("ALT", "PMT"):
            if n not in out:
                missing[n] = "trigones cannot be estimated without A and the commissures"
        return out
    alt, pmt = lm.trigone_parameters(curve, known["A"].u, known["ALC"].u, known["PMC"].u)
    out.setdefault("ALT", lm.Landmark("ALT", alt, False))
    out.setdefault("PMT", lm.Landmark("PMT", pmt, False))
    return out
