"""Circumflex-artery safety of a coronary-sinus device: distance and crossings.

The left circumflex artery (LCx) runs between the coronary sinus and the mitral annulus in
45-80 % of hearts (Lansac 2008: 45.5 % of 10 cadaver hearts; Choure 2006: 80 % of 36 CT
scans, crossing the CS 86.5 +- 21 mm from its ostium; DOMAIN.md). A device cinched in the CS
pulls toward the annulus and can compress it (myocardial infarction is a reported harm of
percutaneous annuloplasty, DOMAIN.md). Given the device centreline, the annulus and the
artery centreline, all in the valve frame (mm), :func:`assess_safety` reports

* the closest approach of the artery to the device (exact polyline-to-polyline distance);
* the crossings: where the artery passes through the ribbon between the device and the
  annulus (the surface swept by the segment from each device point to its nearest annulus
  point), which is where a cinched device would close on it.

An artery that lies *in* the ribbon over a stretch (coplanar with it) is not counted as a
crossing there; its distance still is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.coronary import (
    distinct_points,
    nearest_annulus_points,
    resample_polyline,
)

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "DEFAULT_COMPRESSION_THRESHOLD_MM",
    "MAX_ARTERY_DISTANCE_MM",
    "ArteryPath",
    "Crossing",
    "Safety",
    "artery_from_points",
    "assess_safety",
    "closest_on_closed_polyline",
    "polyline_distance",
    "ribbon_crossings",
]

#: Artery-to-device centreline distance below which compression is flagged, mm. No published
#: threshold was found (DOMAIN.md gives none): 3 mm is an **assumption**, about the radius of
#: a circumflex artery plus that of a device wire, meaning that the vessel walls touch. The
#: user sets it per plan.
DEFAULT_COMPRESSION_THRESHOLD_MM = 3.0

#: An artery path whose median distance from the annulus exceeds this (mm) is refused as a
#: wrong unit or frame: the circumflex runs in the atrioventricular groove, beside the annulus.
MAX_ARTERY_DISTANCE_MM = 40.0

#: Pairs of segments handled at once by the vectorised searches (bounds memory to ~100 MB).
_CHUNK_PAIRS = 200_000

#: Crossing points closer than this are one crossing (a segment through a shared edge), mm.
_SAME_CROSSING_MM = 1e-6


@dataclass(frozen=True, eq=False)
class ArteryPath:
    """A coronary artery centreline (the circumflex) in the valve frame.

    Attributes
    ----------
    points_valve : (m, 3) float, mm
        Ordered points along the artery, consecutive points distinct.
    source : str
        The file's base name, or a description.
    """

    points_valve: FloatArray
    source: str

    def __post_init__(self) -> None:
        arr = np.array(self.points_valve, dtype=float)
        arr.setflags(write=False)
        object.__setattr__(self, "points_valve", arr)

    @property
    def length_mm(self) -> float:
        """Length of the centreline polyline, mm."""
        return float(np.linalg.norm(np.diff(self.points_valve, axis=0), axis=1).sum())


def artery_from_points(
    annulus: Annulus, points_valve: npt.ArrayLike, source: str = "artery"
) -> ArteryPath:
    """An artery centreline from traced points in the valve frame.

    Parameters
    ----------
    annulus : Annulus
    points_valve : (m, 3) float, mm
        Points along the artery in order, valve frame.
    source : str
        The file's base name, for messages and the result.

    Raises
    ------
    InputError
        One line naming ``source``: a wrong shape, a non-finite value, fewer than 2 distinct
        points, or a median distance from the annulus above :data:`MAX_ARTERY_DISTANCE_MM`.
    """
    pts = distinct_points(points_valve, source, "artery path")
    # Judge the distance on points spread evenly along the artery, not on the user's clicks.
    _, distance = nearest_annulus_points(annulus, resample_polyline(pts, 1.0))
    median = float(np.median(distance))
    if median > MAX_ARTERY_DISTANCE_MM:
        raise InputError(
            f"artery path {source} runs {median:.1f} mm from the annulus (median); the "
            "circumflex artery runs beside it, in the atrioventricular groove: check the units "
            "and the frame",
            source=source,
        )
    return ArteryPath(pts, source)


@dataclass(frozen=True, eq=False)
class Crossing:
    """One place where the artery passes between the device and the annulus.

    Attributes
    ----------
    device_arc_mm : float
        Position along the device from its proximal end, mm (of the device point nearest
        the crossing).
    distance_mm : float
        Distance from the crossing point to the device centreline, mm.
    point_mm : (3,) float, mm
        Where the artery pierces the device-annulus ribbon, valve frame.
    """

    device_arc_mm: float
    distance_mm: float
    point_mm: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (mm, rounded to 1e-3)."""
        return {
            "device_arc_mm": round(self.device_arc_mm, 3),
            "point_mm": np.round(self.point_mm, 3).tolist(),
            "distance_mm": round(self.distance_mm, 3),
        }


@dataclass(frozen=True, eq=False)
class Safety:
    """How close a coronary-sinus device comes to the circumflex artery.

    Attributes
    ----------
    artery_source : str
    threshold_mm : float
        Distance below which compression is flagged, mm.
    min_distance_mm : float
        Smallest distance between the device and artery centrelines, mm.
    closest_device_point : (3,) float, mm
        Where on the device that distance is reached, valve frame.
    closest_artery_point : (3,) float, mm
        Where on the artery it is reached.
    closest_device_arc_mm : float
        Arc position of ``closest_device_point`` along the device from its proximal end, mm.
    crossings : tuple of Crossing
        Where the artery passes between the device and the annulus, by device arc position.
    warning : str or None
        One line for the user when compression is flagged or the artery crosses, else None.
    """

    artery_source: str
    threshold_mm: float
    min_distance_mm: float
    closest_device_point: FloatArray
    closest_artery_point: FloatArray
    closest_device_arc_mm: float
    crossings: tuple[Crossing, ...]
    warning: str | None

    @property
    def compression(self) -> bool:
        """Whether the artery comes closer to the device than ``threshold_mm``."""
        return bool(self.min_distance_mm < self.threshold_mm)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (mm, rounded to 1e-3)."""
        return {
            "artery_source": self.artery_source,
            "threshold_mm": self.threshold_mm,
            "min_distance_mm": round(self.min_distance_mm, 3),
            "closest": {
                "device_arc_mm": round(self.closest_device_arc_mm, 3),
                "device_point_mm": np.round(self.closest_device_point, 3).tolist(),
                "artery_point_mm": np.round(self.closest_artery_point, 3).tolist(),
            },
            "crossings": [c.to_dict() for c in self.crossings],
            "compression": self.compression,
            "warning": self.warning,
        }


def assess_safety(
    device_points_valve: npt.ArrayLike,
    annulus_points_valve: npt.ArrayLike,
    artery: ArteryPath,
    threshold_mm: float = DEFAULT_COMPRESSION_THRESHOLD_MM,
) -> Safety:
    """Closest approach and crossings of the artery with respect to a CS device.

    Parameters
    ----------
    device_points_valve : (k, 3) float, mm
        Device centreline, an open polyline from its proximal end (CS ostium), valve frame.
    annulus_points_valve : (n, 3) float, mm
        Annulus, a closed polyline (the last point joins the first), valve frame.
    artery : ArteryPath
    threshold_mm : float
        Compression is flagged below this device-artery distance, mm.

    Returns
    -------
    Safety

    Raises
    ------
    InputError
        A threshold that is not a positive finite number, or a device of fewer than 2
        distinct points.
    """
    if not (math.isfinite(threshold_mm) and threshold_mm > 0):
        raise InputError(f"the compression threshold must be a positive mm value: {threshold_mm}")
    device = distinct_points(device_points_valve, "device", "device centreline")
    annulus = np.asarray(annulus_points_valve, dtype=float).reshape(-1, 3)
    artery_pts = artery.points_valve
    dist, on_device, on_artery, arc = polyline_distance(device, artery_pts)
    crossings = ribbon_crossings(device, annulus, artery_pts)
    return Safety(
        artery_source=artery.source,
        threshold_mm=float(threshold_mm),
        min_distance_mm=dist,
        closest_device_point=on_device,
        closest_artery_point=on_artery,
        closest_device_arc_mm=arc,
        crossings=crossings,
        warning=_warning(artery.source, dist, arc, float(threshold_mm), crossings),
    )


def polyline_distance(
    a: npt.ArrayLike, b: npt.ArrayLike
) -> tuple[float, FloatArray, FloatArray, float]:
    """Exact smallest distance between two open polylines, and where it is reached.

    Parameters
    ----------
    a, b : (k, 3), (m, 3) float, mm
        Ordered points, at least 2 each, consecutive points distinct.

    Returns
    -------
    distance : float, mm
    point_a, point_b : (3,) float, mm
        The closest pair (on ``a``, on ``b``).
    arc_a : float, mm
        Arc position of ``point_a`` along ``a`` from ``a[0]``.
    """
    pa, pb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a0, a1, b0, b1 = pa[:-1], pa[1:], pb[:-1], pb[1:]
    best = (np.inf, 0, 0, 0.0, 0.0)
    rows = max(1, _CHUNK_PAIRS // len(b0))
    for start in range(0, len(a0), rows):
        sl = slice(start, start + rows)
        s, t, d = _segment_pairs(a0[sl, None], a1[sl, None], b0[None], b1[None])
        ci, cj = np.unravel_index(int(np.argmin(d)), d.shape)
        if d[ci, cj] < best[0]:
            best = (float(d[ci, cj]), start + int(ci), int(cj), float(s[ci, cj]), float(t[ci, cj]))
    distance, i, j, s_best, t_best = best
    point_a = a0[i] + s_best * (a1[i] - a0[i])
    point_b = b0[j] + t_best * (b1[j] - b0[j])
    steps = np.linalg.norm(a1 - a0, axis=1)
    arc = float(steps[:i].sum() + s_best * steps[i])
    return distance, point_a, point_b, arc


def closest_on_closed_polyline(
    points: npt.ArrayLike, polyline: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Nearest point of a closed polyline to each of ``points``.

    Parameters
    ----------
    points : (k, 3) float, mm
    polyline : (n, 3) float, mm
        Closed: the last point joins the first.

    Returns
    -------
    feet : (k, 3) float, mm
        The nearest polyline points.
    distance : (k,) float, mm
    """
    p = np.asarray(points, dtype=float).reshape(-1, 3)
    v0 = np.asarray(polyline, dtype=float).reshape(-1, 3)
    v1 = np.roll(v0, -1, axis=0)
    edge = v1 - v0
    length2 = np.maximum(np.einsum("ij,ij->i", edge, edge), 1e-300)
    feet = np.empty_like(p)
    distance = np.empty(len(p))
    rows = max(1, _CHUNK_PAIRS // len(v0))
    for start in range(0, len(p), rows):
        q = p[start : start + rows, None, :]
        t = np.clip(np.einsum("knj,nj->kn", q - v0[None], edge) / length2, 0.0, 1.0)
        foot = v0[None] + t[..., None] * edge[None]
        d = np.linalg.norm(q - foot, axis=2)
        j = np.argmin(d, axis=1)
        rows_idx = np.arange(len(j))
        feet[start : start + rows] = foot[rows_idx, j]
        distance[start : start + rows] = d[rows_idx, j]
    return feet, distance


def ribbon_crossings(
    device: npt.ArrayLike, annulus_closed: npt.ArrayLike, artery: npt.ArrayLike
) -> tuple[Crossing, ...]:
    """Where the artery passes through the ribbon between the device and the annulus.

    The ribbon joins each device point to its nearest annulus point; each quad between
    consecutive device points is split into two triangles, and every artery segment is tested
    against every triangle (Moller-Trumbore, ends and edges included; a hit through a shared
    edge counts once).

    Parameters
    ----------
    device : (k, 3) float, mm
        Device centreline from its proximal end, consecutive points distinct.
    annulus_closed : (n, 3) float, mm
        The annulus, closed polyline.
    artery : (m, 3) float, mm
        Artery centreline.

    Returns
    -------
    tuple of Crossing
        Sorted by device arc position.
    """
    dev = np.asarray(device, dtype=float)
    art = np.asarray(artery, dtype=float)
    feet, _ = closest_on_closed_polyline(dev, annulus_closed)
    d0, d1, f0, f1 = dev[:-1], dev[1:], feet[:-1], feet[1:]
    tri_a = np.concatenate([d0, d0])
    tri_b = np.concatenate([d1, f1])
    tri_c = np.concatenate([f1, f0])
    hits = _segment_triangle_hits(art[:-1], art[1:], tri_a, tri_b, tri_c)
    unique: list[FloatArray] = []
    for point in hits:
        if all(np.linalg.norm(point - q) > _SAME_CROSSING_MM for q in unique):
            unique.append(point)
    crossings = [Crossing(*_point_on_polyline(point, dev), point) for point in unique]
    return tuple(sorted(crossings, key=lambda c: c.device_arc_mm))


def _point_on_polyline(point: FloatArray, polyline: FloatArray) -> tuple[float, float]:
    """Arc position (mm, from ``polyline[0]``) of the polyline point nearest ``point``, and
    the distance to it (mm)."""
    v0, v1 = polyline[:-1], polyline[1:]
    edge = v1 - v0
    length = np.linalg.norm(edge, axis=1)
    t = np.clip(np.einsum("ij,ij->i", point - v0, edge) / length**2, 0.0, 1.0)
    d = np.linalg.norm(v0 + t[:, None] * edge - point, axis=1)
    i = int(np.argmin(d))
    return float(length[:i].sum() + t[i] * length[i]), float(d[i])


def _segment_pairs(
    p1: FloatArray, q1: FloatArray, p2: FloatArray, q2: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Closest points of segment pairs ``p1-q1`` and ``p2-q2`` (broadcast, ``(..., 3)``).

    Ericson, Real-Time Collision Detection, 5.1.9, vectorised; segments of non-zero length.

    Returns
    -------
    s, t : (...) float
        Parameters of the closest points on the first and second segments, in [0, 1].
    distance : (...) float, mm
    """
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = np.sum(d1 * d1, axis=-1)
    e = np.sum(d2 * d2, axis=-1)
    f = np.sum(d2 * r, axis=-1)
    c = np.sum(d1 * r, axis=-1)
    b = np.sum(d1 * d2, axis=-1)
    denom = a * e - b * b
    parallel = denom <= 1e-12 * a * e
    s = np.where(parallel, 0.0, np.clip((b * f - c * e) / np.where(parallel, 1.0, denom), 0, 1))
    t = (b * s + f) / e
    s = np.where(t < 0, np.clip(-c / a, 0, 1), np.where(t > 1, np.clip((b - c) / a, 0, 1), s))
    t = np.clip(t, 0.0, 1.0)
    gap = (p1 + s[..., None] * d1) - (p2 + t[..., None] * d2)
    return s, t, np.linalg.norm(gap, axis=-1)


def _segment_triangle_hits(
    p0: FloatArray, p1: FloatArray, v0: FloatArray, v1: FloatArray, v2: FloatArray
) -> list[FloatArray]:
    """Points where segments ``p0-p1`` ``(m, 3)`` pierce triangles ``v0 v1 v2`` ``(t, 3)``.

    Moller-Trumbore on segments; triangles of zero area and segments in a triangle's plane
    give no hit.
    """
    e1, e2 = v1 - v0, v2 - v0
    scale = np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1)
    tol = 1e-12
    out: list[FloatArray] = []
    rows = max(1, _CHUNK_PAIRS // max(1, len(v0)))
    for start in range(0, len(p0), rows):
        a, b = p0[start : start + rows, None], p1[start : start + rows, None]
        direction = b - a
        pvec = np.cross(direction, e2[None])
        det = np.sum(e1[None] * pvec, axis=-1)
        usable = np.abs(det) > 1e-10 * scale[None] * np.linalg.norm(direction, axis=-1)
        inv = np.where(usable, 1.0, 0.0) / np.where(usable, det, 1.0)
        tvec = a - v0[None]
        u = np.sum(tvec * pvec, axis=-1) * inv
        qvec = np.cross(tvec, e1[None])
        v = np.sum(direction * qvec, axis=-1) * inv
        t = np.sum(e2[None] * qvec, axis=-1) * inv
        hit = usable & (u >= -tol) & (v >= -tol) & (u + v <= 1 + tol)
        hit &= (t >= -tol) & (t <= 1 + tol)
        for i, j in zip(*np.nonzero(hit), strict=True):
            out.append(a[i, 0] + t[i, j] * direction[i, 0])
    return out


def _warning(
    source: str,
    distance: float,
    arc: float,
    threshold: float,
    crossings: tuple[Crossing, ...],
) -> str | None:
    """One line for the user, or None when the artery is neither too close nor crossing."""
    parts = []
    if distance < threshold:
        parts.append(
            f"the circumflex artery ({source}) comes within {distance:.1f} mm of the device, "
            f"{arc:.0f} mm from its proximal end (threshold {threshold:g} mm): risk of "
            "compression"
        )
    if crossings:
        where = ", ".join(f"{c.device_arc_mm:.0f}" for c in crossings)
        closest = min(c.distance_mm for c in crossings)
        lead = "it" if parts else f"the circumflex artery ({source})"
        parts.append(
            f"{lead} passes between the device and the annulus at {len(crossings)} place(s) "
            f"({where} mm from the proximal end, {closest:.1f} mm from the device): cinching "
            "could compress it"
        )
    return "; ".join(parts) if parts else None
