"""The annulus measurements of DESIGN.md section 4, with exactly its definitions.

:func:`measure` returns a :class:`Measurements` value: every key's number (or None), whether it
rests on an estimated landmark, and why it is None where it is. ``to_dict`` gives the flat
JSON object of the command line: the keys of section 4 in table order, each landmark-dependent
key followed by ``<key>_estimated`` and, where null, ``<key>_reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError
from mvplan.geometry.annulus import Annulus, commissure_cut
from mvplan.geometry.minimal_surface import minimal_surface

FloatArray = npt.NDArray[np.float64]

#: Section 4's keys in table order, each with the landmarks it rests on.
MEASUREMENT_LANDMARKS: dict[str, tuple[str, ...]] = {
    "perimeter_mm": (),
    "area_2d_mm2": (),
    "area_3d_mm2": (),
    "ap_diameter_mm": ("A", "P"),
    "al_pm_diameter_mm": ("A", "P"),
    "commissural_width_mm": ("ALC", "PMC"),
    "intertrigonal_distance_mm": ("ALT", "PMT"),
    "annular_height_mm": (),
    "ahcwr_percent": ("ALC", "PMC"),
    "sphericity_index": ("A", "P"),
    "nonplanarity_angle_deg": ("A", "P", "ALC", "PMC"),
    "anterior_length_mm": ("A", "ALT", "PMT"),
    "posterior_length_mm": ("P", "ALT", "PMT"),
}

MEASUREMENT_KEYS: tuple[str, ...] = tuple(MEASUREMENT_LANDMARKS)

#: Short human labels for tables.
MEASUREMENT_LABELS: dict[str, str] = {
    "perimeter_mm": "Perimeter (3D)",
    "area_2d_mm2": "Area, projected",
    "area_3d_mm2": "Area, minimal surface",
    "ap_diameter_mm": "AP (septal-lateral) diameter",
    "al_pm_diameter_mm": "AL-PM diameter",
    "commissural_width_mm": "Commissural width",
    "intertrigonal_distance_mm": "Intertrigonal distance",
    "annular_height_mm": "Annular height",
    "ahcwr_percent": "AHCWR",
    "sphericity_index": "Sphericity index (AP / AL-PM)",
    "nonplanarity_angle_deg": "Non-planarity angle",
    "anterior_length_mm": "Anterior annulus length",
    "posterior_length_mm": "Posterior annulus length",
}


@dataclass(frozen=True)
class Measurements:
    """Measurements of one annulus.

    Attributes
    ----------
    values : dict of str to (float or None)
        Section 4's keys in order; units in the key names (mm, mm2, deg, percent).
    estimated : dict of str to bool
        For each landmark-dependent key, whether a landmark it rests on was estimated.
    reasons : dict of str to str
        For each key whose value is None, why.
    orientation : str
        How the atrial side was decided (``papillary``, ``saddle`` or ``assumed``).
    area_3d_relative_error : float
        Estimated discretisation error of ``area_3d_mm2`` (the minimal-surface refinement study).
    """

    values: dict[str, float | None]
    estimated: dict[str, bool]
    reasons: dict[str, str]
    orientation: str
    area_3d_relative_error: float

    def __getitem__(self, key: str) -> float | None:
        return self.values[key]

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready dict: each key, then its ``_estimated`` and ``_reason`` companions."""
        out: dict[str, Any] = {}
        for key in MEASUREMENT_KEYS:
            out[key] = self.values[key]
            if key in self.estimated:
                out[f"{key}_estimated"] = self.estimated[key]
            if key in self.reasons:
                out[f"{key}_reason"] = self.reasons[key]
        out["orientation"] = self.orientation
        return out


def measure(annulus: Annulus) -> Measurements:
    """All section-4 measurements of ``annulus``.

    Lengths are taken on the spline itself (dense samples 1/16 of the resampled spacing apart,
    so polygon-versus-curve errors are below 1e-6 relative); the minimal-surface area comes
    from :func:`mvplan.geometry.minimal_surface.minimal_surface`, converged to 0.5 %.
    """
    curve, plane = annulus.curve, annulus.plane
    _, dense = curve.dense()
    xy = plane.in_plane(dense)
    height = plane.signed_distance(dense)
    area_2d = abs(_shoelace(xy))
    reasons: dict[str, str] = {}
    area_3d: float | None = None
    relative_error = float("nan")
    try:
        surface = minimal_surface(curve.evaluate)
        # A surface spanning the curve is never smaller than its projection: for a flat annulus
        # the discrete minimal surface can land a hair below (within its error estimate).
        area_3d, relative_error = max(surface.area_mm2, area_2d), surface.relative_error
    except GeometryError as error:
        # A tightly folded curve (tissue bunched between sutures) can defeat the disk mesh;
        # say so rather than lose every other measurement.
        reasons["area_3d_mm2"] = str(error)
    values: dict[str, float | None] = {
        "perimeter_mm": _polygon_length(dense),
        "area_2d_mm2": area_2d,
        "area_3d_mm2": area_3d,
        "annular_height_mm": float(height.max() - height.min()),
    }
    computed = _landmark_measurements(annulus, float(height.max() - height.min()))
    for key, deps in MEASUREMENT_LANDMARKS.items():
        if not deps:
            continue
        absent = [n for n in deps if n not in annulus.landmarks]
        if absent:
            values[key] = None
            reasons[key] = annulus.missing.get(absent[0], f"landmark {absent[0]} is not known")
        else:
            values[key] = computed[key]()
    values = {k: values[k] for k in MEASUREMENT_KEYS}
    estimated = {
        key: any(annulus.landmarks[n].estimated for n in deps if n in annulus.landmarks)
        for key, deps in MEASUREMENT_LANDMARKS.items()
        if deps
    }
    return Measurements(values, estimated, reasons, annulus.orientation, relative_error)


def _landmark_measurements(
    annulus: Annulus, annular_height: float
) -> dict[str, Callable[[], float]]:
    """Lazily evaluated landmark measurements (only those whose landmarks exist are called)."""

    @cache
    def point(name: str) -> FloatArray:
        return annulus.landmark_point(name)

    def dist(a: str, b: str) -> float:
        return float(np.linalg.norm(point(a) - point(b)))

    @cache
    def ap() -> float:
        return dist("A", "P")

    @cache
    def al_pm() -> float:
        lms = annulus.landmarks
        x_axis = annulus.to_valve_frame.rotation[0]
        u1, u2 = commissure_cut(annulus.curve, lms["A"].u, lms["P"].u, x_axis, annulus.plane.origin)
        return float(np.linalg.norm(annulus.curve.evaluate(u1) - annulus.curve.evaluate(u2)))

    def commissural() -> float:
        return dist("ALC", "PMC")

    def ahcwr() -> float:
        return 100.0 * annular_height / commissural()

    def anterior() -> float:
        return _arc_through(annulus, "ALT", "PMT", "A")

    def posterior() -> float:
        return _arc_through(annulus, "ALT", "PMT", "P")

    return {
        "ap_diameter_mm": ap,
        "al_pm_diameter_mm": al_pm,
        "commissural_width_mm": commissural,
        "intertrigonal_distance_mm": lambda: dist("ALT", "PMT"),
        "ahcwr_percent": ahcwr,
        "sphericity_index": lambda: ap() / al_pm(),
        "nonplanarity_angle_deg": lambda: _nonplanarity_angle(annulus),
        "anterior_length_mm": anterior,
        "posterior_length_mm": posterior,
    }


def _arc_through(annulus: Annulus, start: str, end: str, via: str) -> float:
    """Length of the arc between two landmarks that contains a third, mm."""
    lms = annulus.landmarks
    u0, u1, uv = lms[start].u, lms[end].u, lms[via].u
    forward = np.mod(u1 - u0, 1.0)
    if np.mod(uv - u0, 1.0) <= forward:
        return annulus.curve.arc_length(u0, u1)
    return annulus.curve.arc_length(u1, u0)


def _nonplanarity_angle(annulus: Annulus) -> float:
    """Angle A'-M'-P' in degrees (DESIGN.md section 4; 180 for a flat annulus).

    M is the midpoint of ALC-PMC; the primes are projections onto the plane through A and P
    that contains the annulus normal.
    """
    a, p = annulus.landmark_point("A"), annulus.landmark_point("P")
    m = 0.5 * (annulus.landmark_point("ALC") + annulus.landmark_point("PMC"))
    side = np.cross(p - a, annulus.plane.normal)
    side /= np.linalg.norm(side)
    m_proj = m - ((m - a) @ side) * side
    va, vp = a - m_proj, p - m_proj
    cos = float(va @ vp / (np.linalg.norm(va) * np.linalg.norm(vp)))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _polygon_length(points: FloatArray) -> float:
    return float(np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1).sum())


def _shoelace(xy: FloatArray) -> float:
    return float(0.5 * np.sum(xy[:, 0] * np.roll(xy[:, 1], -1) - np.roll(xy[:, 0], -1) * xy[:, 1]))
