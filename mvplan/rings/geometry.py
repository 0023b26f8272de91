"""Ring centrelines in the valve frame: the formulas, the markers and the measured dimensions.

The design curve
----------------
A ring is drawn with the design angle ``t`` running counter-clockwise seen from the atrium:
``t = 0`` at the posteromedial commissure (PMC, +x), ``pi/2`` at the anterior point A (+y),
``pi`` at the anterolateral commissure (ALC, -x), ``3 pi/2`` at the posterior point P. With
the commissural half-width set to 1 (the unit shape)::

    x(t) = cos t
    y(t) = b(t) sin t,          b = b_ant = 2 rho s   where sin t >= 0 (anterior half)
                                b = b_post = 2 rho (1 - s)  where sin t < 0 (posterior half)
    z(t) = 2 h(t) sin^2 t,      h = saddle_anterior or saddle_posterior likewise
    + sum over bumps k of g_k(t) (2 radial_k n(t) + 2 height_k e_z),
      g_k(t) = exp(-((t - t_k) / w_k)^2 / 2)  (angle difference wrapped to (-pi, pi])

with ``rho`` the AP : commissural-width ratio at the size (``ap_ratio``, piecewise linear in
the size: larger Physio-like sizes are rounder), ``s`` the anterior share of the AP diameter,
``n(t)`` the in-plane outward unit normal of the half ellipses, and horn heights and bumps
given as fractions of the commissural width (hence the factors 2). Each half is an ellipse,
so the anterior side (``b_ant < b_post``) is the straighter side of the D; the halves meet
with a common tangent at the commissures. ``sin^2`` makes a saddle with its horns at A and P
(toward the atrium) and the commissures low, flat where the halves meet.

Markers: A, P, ALC, PMC at ``t = pi/2, 3 pi/2, pi, 0``; the trigones on the anterior half
where ``|x| = intertrigonal_ratio`` (``t = pi - acos r`` for ALT, ``acos r`` for PMT), so the
in-plane intertrigonal chord is ``intertrigonal_ratio`` times the commissural width.

Frame and size
--------------
The unit curve is put in its own valve frame (DESIGN.md section 2: origin at the centroid of
the curve sampled uniformly in arc length, +z the least-squares normal toward the horns' side,
+y toward A) and then scaled uniformly so that the family's size measure (intertrigonal
distance, commissural width, or anterior arc ALT -> A -> PMT) equals the size: exact by
construction. A band is the arc ALT -> ALC -> P -> PMC -> PMT of its complete design ring,
in that ring's valve frame. An adjustable device's AP change moves the posterior half
(``b_post``), which changes none of the size measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from mvplan.geometry.frames import RigidTransform, valve_frame
from mvplan.geometry.plane import fit_plane
from mvplan.rings.spec import RingSpec

FloatArray = npt.NDArray[np.float64]

#: Samples per turn of the tables that invert arc length (polyline error < 1e-7 relative).
_DENSE = 8192

#: Design angle of each marker that does not depend on the family.
_FIXED_T = {"PMC": 0.0, "A": 0.5 * np.pi, "ALC": np.pi, "P": 1.5 * np.pi}


@dataclass(frozen=True)
class _UnitShape:
    """The design curve with commissural half-width 1 (formulas in the module docstring)."""

    b_ant: float
    b_post: float
    h_ant: float
    h_post: float
    bump_t: FloatArray
    bump_w: FloatArray
    bump_height: FloatArray
    bump_radial: FloatArray

    def evaluate(self, t: FloatArray) -> FloatArray:
        """Points ``(m, 3)`` of the unit design curve at design angles ``t (m,)``."""
        t = np.asarray(t, dtype=float)
        s, c = np.sin(t), np.cos(t)
        anterior = s >= 0
        b = np.where(anterior, self.b_ant, self.b_post)
        h = np.where(anterior, self.h_ant, self.h_post)
        pts = np.stack([c, b * s, 2.0 * h * s**2], axis=-1)
        if self.bump_t.size:
            normal = np.stack([b * c, s], axis=-1)
            normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
            d = np.angle(np.exp(1j * (t[:, None] - self.bump_t[None, :])))
            g = np.exp(-0.5 * (d / self.bump_w[None, :]) ** 2)
            pts[:, :2] += 2.0 * (g @ self.bump_radial)[:, None] * normal
            pts[:, 2] += 2.0 * (g @ self.bump_height)
        return pts


def _unit_shape(spec: RingSpec, ap_extra: float = 0.0) -> _UnitShape:
    geo = spec.family.geometry
    rho = spec.ap_ratio
    bumps = geo.bumps
    return _UnitShape(
        b_ant=2.0 * rho * geo.anterior_share,
        b_post=2.0 * rho * (1.0 - geo.anterior_share) + ap_extra,
        h_ant=geo.saddle_anterior,
        h_post=geo.saddle_posterior,
        bump_t=np.radians([b.angle_deg for b in bumps]),
        bump_w=np.radians([b.width_deg for b in bumps]),
        bump_height=np.array([b.height for b in bumps], dtype=float),
        bump_radial=np.array([b.radial for b in bumps], dtype=float),
    )


def _marker_angles(spec: RingSpec) -> dict[str, float]:
    half = float(np.arccos(spec.family.geometry.intertrigonal_ratio))
    return {**_FIXED_T, "ALT": np.pi - half, "PMT": half}


@dataclass(frozen=True, eq=False)
class RingGeometry:
    """A ring spec's centreline in the valve frame, mm, with its markers.

    Attributes
    ----------
    spec : RingSpec
    closed : bool
        Complete ring (closed curve) or band (open arc from ALT to PMT through P).
    scale_mm : float
        Commissural half-width of the design curve, mm (the unit shape's scale).
    t_start, t_end : float
        Design-angle span of the device (``0, 2 pi`` for a ring; ALT to PMT + 2 pi for a band).
    """

    spec: RingSpec
    closed: bool
    scale_mm: float
    t_start: float
    t_end: float
    _shape: _UnitShape
    _frame: RigidTransform
    _t_table: FloatArray
    _s_table: FloatArray

    def at(self, t: npt.ArrayLike) -> FloatArray:
        """Points ``(m, 3)`` in the valve frame, mm, at design angles ``t (m,)``."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return self.scale_mm * self._frame.apply(self._shape.evaluate(t))

    @property
    def length_mm(self) -> float:
        """Arc length of the device's centreline, mm."""
        return float(self._s_table[-1])

    def t_at_u(self, u: npt.ArrayLike) -> FloatArray:
        """Design angles at ring parameters ``u`` (fraction of the device's arc length)."""
        s = np.asarray(u, dtype=float) * self.length_mm
        return np.asarray(np.interp(s, self._s_table, self._t_table))

    def u_at_t(self, t: float) -> float:
        """Ring parameter (arc-length fraction from the device's start) at design angle ``t``."""
        t = float(t)
        if t < self.t_start:
            t += 2.0 * np.pi
        return float(np.interp(t, self._t_table, self._s_table) / self.length_mm)

    def centerline(self, n: int) -> FloatArray:
        """``n`` points equally spaced in arc length, mm: a ring without repeating its first
        point (which is PMC), a band from ALT to PMT inclusive."""
        u = np.arange(n) / n if self.closed else np.linspace(0.0, 1.0, n)
        return self.at(self.t_at_u(u))

    def dense(self) -> FloatArray:
        """The device's centreline at the table resolution (about 8000 points), mm."""
        return self.at(self._t_table)

    @property
    def marker_angles(self) -> dict[str, float]:
        """Design angle of each marker that lies on the device."""
        angles = _marker_angles(self.spec)
        if self.closed:
            return angles
        return {k: v for k, v in angles.items() if k != "A"}

    @property
    def markers(self) -> dict[str, FloatArray]:
        """Marker positions ``(3,)`` in the valve frame, mm (a band has no A)."""
        return {k: self.at([t])[0] for k, t in self.marker_angles.items()}

    @property
    def marker_u(self) -> dict[str, float]:
        """Ring parameter of each marker (for a ring, PMC is 0; for a band, ALT is 0)."""
        return {k: self.u_at_t(t) for k, t in self.marker_angles.items()}

    def arc_mm(self, t0: float, t1: float) -> float:
        """Arc length from design angle ``t0`` to ``t1 > t0`` (within the device's span), mm."""
        grid = np.linspace(t0, t1, _DENSE + 1)
        pts = self.at(grid)
        return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())


def ring_centerline(spec: RingSpec, n: int) -> FloatArray:
    """The ring's centreline in the valve frame.

    Parameters
    ----------
    spec : RingSpec
    n : int
        Number of points (at least 8).

    Returns
    -------
    points : (n, 3) float, mm
        Equally spaced in arc length, running PMC -> A -> ALC -> P for a ring (first point PMC,
        not repeated at the end) and ALT -> ALC -> P -> PMC -> PMT for a band (both ends
        included). The formulas are in this module's docstring.
    """
    if n < 8:
        raise ValueError("a centreline needs at least 8 points")
    return ring_geometry(spec).centerline(n)


def ring_markers(spec: RingSpec) -> dict[str, FloatArray]:
    """Trigone, commissure, A and P markers ``(3,)`` in the valve frame, mm (a band has no A)."""
    return ring_geometry(spec).markers


@lru_cache(maxsize=256)
def ring_geometry(spec: RingSpec) -> RingGeometry:
    """Build (and cache) the :class:`RingGeometry` of ``spec``."""
    shape, frame, scale = _shape_in_frame(spec, 0.0)
    if spec.adjustment_mm:
        # The AP change moves only the posterior half, so the size measure (and the scale)
        # stays; the second pass re-measures anyway so that the size stays exact.
        shape, frame, scale = _shape_in_frame(spec, spec.adjustment_mm / scale)
    closed = spec.closed
    angles = _marker_angles(spec)
    t0, t1 = (0.0, 2.0 * np.pi) if closed else (angles["ALT"], angles["PMT"] + 2.0 * np.pi)
    t_table = np.linspace(t0, t1, _DENSE + 1)
    pts = scale * frame.apply(shape.evaluate(t_table))
    s_table = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return RingGeometry(spec, closed, scale, t0, t1, shape, frame, t_table, s_table)


def _shape_in_frame(spec: RingSpec, ap_extra: float) -> tuple[_UnitShape, RigidTransform, float]:
    """The unit shape, its valve frame, and the scale that makes the size measure exact."""
    shape = _unit_shape(spec, ap_extra)
    t = np.linspace(0.0, 2.0 * np.pi, _DENSE, endpoint=False)
    pts = shape.evaluate(t)
    # The frame's plane is fitted to points equally spaced in arc length (as for an annulus).
    seg = np.linalg.norm(np.diff(np.vstack([pts, pts[:1]]), axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t_uniform = np.interp(np.linspace(0.0, s[-1], 2048, endpoint=False), s, np.append(t, 2 * np.pi))
    plane = fit_plane(shape.evaluate(t_uniform))
    normal = plane.normal if plane.normal[2] >= 0 else -plane.normal
    a_point = shape.evaluate(np.array([0.5 * np.pi]))[0]
    frame = valve_frame(plane.origin, normal, a_point - plane.origin)
    unit_value = _size_measure_unit(spec, shape)
    return shape, frame, spec.size_mm / unit_value


def _size_measure_unit(spec: RingSpec, shape: _UnitShape) -> float:
    """The family's size measure on the unit shape (rigid motions do not change it)."""
    angles = _marker_angles(spec)
    measure = spec.size_measure
    if measure == "commissural_width":
        ends = shape.evaluate(np.array([angles["ALC"], angles["PMC"]]))
        return float(np.linalg.norm(ends[0] - ends[1]))
    if measure == "intertrigonal":
        ends = shape.evaluate(np.array([angles["ALT"], angles["PMT"]]))
        return float(np.linalg.norm(ends[0] - ends[1]))
    grid = np.linspace(angles["PMT"], angles["ALT"], _DENSE + 1)
    return float(np.linalg.norm(np.diff(shape.evaluate(grid), axis=0), axis=1).sum())


def ring_dimensions(spec: RingSpec) -> dict[str, float | None]:
    """Dimensions measured on the generated centreline, mm (what ``mvplan rings show`` prints).

    Returns
    -------
    dict
        ``size_mm``, ``size_measure_value_mm`` (the size measure on the centreline),
        ``commissural_width_mm`` (ALC-PMC), ``ap_diameter_mm`` (A-P; for a band, P to the
        midpoint of ALT-PMT), ``intertrigonal_distance_mm`` (ALT-PMT),
        ``trigone_arc_length_mm`` (ALT -> A -> PMT along a ring; None for a band),
        ``saddle_height_mm`` (highest minus lowest z of the centreline in the valve frame),
        ``arc_length_mm`` (whole centreline), ``outer_commissural_width_mm`` and
        ``outer_ap_diameter_mm`` (plus the cross-section width: the outer dimensions that
        Bothe et al. 2010 measured), ``adjustment_mm``.
    """
    geo = ring_geometry(spec)
    m = geo.markers
    angles = geo.marker_angles
    cc = _dist(m["ALC"], m["PMC"])
    it = _dist(m["ALT"], m["PMT"])
    if geo.closed:
        ap = _dist(m["A"], m["P"])
        trigone_arc: float | None = geo.arc_mm(angles["PMT"], angles["ALT"])
    else:
        ap = _dist(0.5 * (m["ALT"] + m["PMT"]), m["P"])
        trigone_arc = None
    dense = geo.dense()
    values = {
        "commissural_width": cc,
        "intertrigonal": it,
        "trigone_arc_length": trigone_arc,
    }
    width = spec.cross_section.width_mm
    return {
        "size_mm": spec.size_mm,
        "size_measure_value_mm": values[spec.size_measure],
        "commissural_width_mm": cc,
        "ap_diameter_mm": ap,
        "intertrigonal_distance_mm": it,
        "trigone_arc_length_mm": trigone_arc,
        "saddle_height_mm": float(dense[:, 2].max() - dense[:, 2].min()),
        "arc_length_mm": geo.length_mm,
        "outer_commissural_width_mm": cc + width,
        "outer_ap_diameter_mm": ap + width,
        "adjustment_mm": spec.adjustment_mm,
    }


def _dist(a: FloatArray, b: FloatArray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def local_frames(points: FloatArray, closed: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tangent, outward in-plane normal and local up ``(n, 3)`` unit vectors along a centreline.

    ``up`` is +z made perpendicular to the tangent; ``outward = tangent x up`` points away from
    the valve's centre for a centreline running counter-clockwise seen from the atrium.
    """
    if closed:
        tangent = np.roll(points, -1, axis=0) - np.roll(points, 1, axis=0)
    else:
        tangent = np.gradient(points, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    z = np.array([0.0, 0.0, 1.0])
    up = z - (tangent @ z)[:, None] * tangent
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    outward = np.cross(tangent, up)
    return tangent, outward, up


__all__ = [
    "RingGeometry",
    "local_frames",
    "ring_centerline",
    "ring_dimensions",
    "ring_geometry",
    "ring_markers",
]
