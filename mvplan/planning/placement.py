"""Placement of a ring on an annulus: its pose, its sutures, the automatic fit and pose edits.

A :class:`Placement` holds the ring's pose, a rigid motion from ring coordinates (the ring's
own valve frame, :func:`mvplan.rings.ring_centerline`) to the **annulus valve frame**
(DESIGN.md section 2), and the suture layout (:mod:`mvplan.planning.sutures`).

Automatic placement
-------------------
:func:`auto_place` starts from the identity (ring frame = annulus valve frame: both have their
origin at the curve's centroid, +z into the atrium, +y toward A) and finds the rotation
``theta`` about z and the translation ``t = (tx, ty, tz)`` that minimise

    sum_k w_k |R_z(theta) m_k + t - a_k|^2

over the markers ``m_k`` of the ring and the matching landmarks ``a_k`` of the annulus (valve
frame), with weight 1 on the trigones (ALT, PMT: the fibrous skeleton the ring is sized and
anchored by; a band's ends) and 1/4 on A, P and the commissures (which orient the ring but
differ more between a ring's shape and a patient's). Since a rotation about z leaves heights
alone, the problem splits exactly: the in-plane part is a weighted 2D Procrustes problem
(``theta = atan2(sum w (m' x a'), sum w (m' . a'))`` over centred xy coordinates, then
``t_xy = a_c - R m_c`` with weighted centroids) and the height offset is the weighted mean
height difference. There is no scaling (the ring has its size) and no tilt (the ring is laid in
the annulus plane; the user tilts it). The answer is closed form, hence deterministic. Its
residual is the weighted root-mean-square marker-to-landmark distance, mm.

Pose edits
----------
:func:`translated` moves the ring along the valve-frame axes; :func:`rotated_about_normal`
turns it about the annulus normal (+z) through the ring's centre (positive: counter-clockwise
seen from the atrium); :func:`tilted` turns it about the ring's own x axis (its commissural
direction) or y axis (its A-P direction) through its centre, so that the ring normal turns by
exactly the angle given. Pose edits keep the sutures' material points (``ring_u``,
``annulus_u``): the ring is moved with its stitches; :func:`with_suture_count` lays them out
afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
from scipy.spatial.transform import Rotation

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.frames import RigidTransform
from mvplan.planning.sutures import (
    MIN_SUTURES,
    RingTooFarError,
    Suture,
    check_sutures,
    layout_sutures,
)
from mvplan.rings.geometry import ring_centerline, ring_markers
from mvplan.rings.spec import RingSpec

FloatArray = npt.NDArray[np.float64]

#: Weights of the markers in the automatic fit (module docstring).
FIT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"ALT": 1.0, "PMT": 1.0, "A": 0.25, "P": 0.25, "ALC": 0.25, "PMC": 0.25}
)


@dataclass(frozen=True)
class Placement:
    """A ring placed on an annulus (DESIGN.md section 3).

    Attributes
    ----------
    pose : RigidTransform
        Ring coordinates (the ring's own valve frame) to the annulus valve frame, mm.
    sutures : tuple of Suture
        The suture layout, in ring order (ascending ``ring_u``).
    """

    pose: RigidTransform
    sutures: tuple[Suture, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.pose, RigidTransform):
            raise TypeError("pose must be a RigidTransform")
        sutures = tuple(self.sutures)
        if not all(isinstance(s, Suture) for s in sutures):
            raise TypeError("sutures must be Suture values")
        object.__setattr__(self, "sutures", tuple(sorted(sutures, key=lambda s: s.ring_u)))

    @property
    def ring_center_mm(self) -> FloatArray:
        """``(3,)`` float, mm: the ring's origin (its centroid) in the annulus valve frame."""
        return np.asarray(self.pose.translation)

    @property
    def ring_normal(self) -> FloatArray:
        """``(3,)`` float: the ring's +z axis (toward the atrium) in the annulus valve frame."""
        return np.asarray(self.pose.rotation[:, 2])


@dataclass(frozen=True)
class AutoPlacement:
    """What :func:`auto_place` found.

    Attributes
    ----------
    placement : Placement
    residual_mm : float
        Weighted root-mean-square distance from the ring markers to the annulus landmarks, mm.
    landmark_errors_mm : mapping of str to float
        Distance from each ring marker used to its annulus landmark after the fit, mm.
    weights : mapping of str to float
        Weight of each marker used.
    rotation_deg : float
        Rotation about the annulus normal, deg (counter-clockwise seen from the atrium).
    translation_mm : (3,) float
        Translation in the annulus valve frame, mm (z: the height offset).
    """

    placement: Placement
    residual_mm: float
    landmark_errors_mm: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    rotation_deg: float = 0.0
    translation_mm: FloatArray = field(default_factory=lambda: np.zeros(3))


def auto_place(
    annulus: Annulus, spec: RingSpec, *, sutures: int | Sequence[Suture] | None = None
) -> AutoPlacement:
    """Fit the ring to the annulus (module docstring) and lay out its sutures.

    Parameters
    ----------
    annulus : Annulus
    spec : RingSpec
    sutures : int or sequence of Suture, optional
        A suture count for the default layout (default 14 for a ring, 10 for a band), or the
        sutures themselves.

    Returns
    -------
    AutoPlacement

    Raises
    ------
    InputError
        Fewer than two markers shared by ring and annulus; a bad suture count; the fitted ring
        too far from the annulus for its sutures.
    """
    markers = ring_markers(spec)
    names = [n for n in FIT_WEIGHTS if n in markers and n in annulus.landmarks]
    if len(names) < 2:
        reasons = list(dict.fromkeys(annulus.missing.values())) or ["they are not known"]
        raise InputError(
            "the ring cannot be placed without at least two of the landmarks "
            f"{', '.join(FIT_WEIGHTS)}: {reasons[0]}"
        )
    ring_pts = np.array([markers[n] for n in names])
    valve_pts = annulus.to_valve_frame.apply(np.array([annulus.landmark_point(n) for n in names]))
    weights = np.array([FIT_WEIGHTS[n] for n in names])
    theta, translation = fit_rotation_translation(ring_pts, valve_pts, weights)
    pose = _rotation_z(theta, translation)
    errors = np.linalg.norm(pose.apply(ring_pts) - valve_pts, axis=1)
    residual = float(np.sqrt(np.sum(weights * errors**2) / np.sum(weights)))
    try:
        if sutures is None or isinstance(sutures, int):
            layout = layout_sutures(annulus, spec, pose, sutures)
        else:
            layout = tuple(sutures)
            check_sutures(annulus, spec, pose, layout)
    except RingTooFarError as error:
        # After the best fit, "place it closer" cannot help: the size (or family) is the problem.
        raise InputError(
            f"{spec.family.id} {spec.size_mm:g} mm does not fit this annulus: at its best "
            f"placement {error.distance_text}; choose another size"
        ) from error
    return AutoPlacement(
        placement=Placement(pose, layout),
        residual_mm=residual,
        landmark_errors_mm=MappingProxyType(dict(zip(names, map(float, errors), strict=True))),
        weights=MappingProxyType(dict(zip(names, map(float, weights), strict=True))),
        rotation_deg=float(np.degrees(theta)),
        translation_mm=translation,
    )


def fit_rotation_translation(
    source: FloatArray, target: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Weighted least-squares rotation about z and translation taking ``source`` to ``target``.

    Minimises ``sum_k w_k |R_z(theta) source_k + t - target_k|^2`` in closed form (module
    docstring).

    Parameters
    ----------
    source, target : (k, 3) float, mm
    weights : (k,) float, positive

    Returns
    -------
    theta : float
        Angle about +z, radians, in (-pi, pi].
    translation : (3,) float, mm
    """
    w = np.asarray(weights, dtype=float)
    w_sum = float(w.sum())
    src_c = (w[:, None] * source).sum(axis=0) / w_sum
    dst_c = (w[:, None] * target).sum(axis=0) / w_sum
    s, d = source[:, :2] - src_c[:2], target[:, :2] - dst_c[:2]
    cos_part = float(np.sum(w * (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1])))
    sin_part = float(np.sum(w * (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0])))
    theta = float(np.arctan2(sin_part, cos_part))
    rotated_c = _rotation_z(theta, np.zeros(3)).apply(src_c)
    # The height offset is the weighted mean height difference: rotations about z keep heights.
    return theta, np.asarray(dst_c - rotated_c)


def ring_points_in_annulus_frame(spec: RingSpec, placement: Placement, n: int) -> FloatArray:
    """``(n, 3)`` float, mm: the posed ring centreline in the annulus valve frame
    (:func:`mvplan.rings.ring_centerline` order)."""
    return placement.pose.apply(ring_centerline(spec, n))


def ring_points_in_input_frame(
    annulus: Annulus, spec: RingSpec, placement: Placement, n: int
) -> FloatArray:
    """``(n, 3)`` float, mm: the posed ring centreline in the annulus's input (scanner) frame."""
    return annulus.to_valve_frame.inverse().apply(ring_points_in_annulus_frame(spec, placement, n))


def translated(placement: Placement, dx_mm: float, dy_mm: float, dz_mm: float) -> Placement:
    """The placement moved by ``(dx, dy, dz)`` mm along the annulus valve-frame axes."""
    shift = np.array([dx_mm, dy_mm, dz_mm], dtype=float)
    _finite(shift, "translation")
    move = RigidTransform.from_rotation_translation(np.eye(3), shift)
    return replace(placement, pose=move.compose(placement.pose))


def rotated_about_normal(placement: Placement, degrees: float) -> Placement:
    """The placement turned by ``degrees`` about the annulus normal through the ring centre
    (counter-clockwise seen from the atrium)."""
    _finite(np.array([degrees], dtype=float), "rotation")
    rotation = _rotation_z(float(np.radians(degrees)), np.zeros(3)).rotation
    return _turned(placement, rotation)


def tilted(placement: Placement, degrees: float, axis: str = "x") -> Placement:
    """The placement tilted by ``degrees`` about the ring's own ``"x"`` (commissural) or
    ``"y"`` (A-P) axis through its centre (right-hand rule); the ring normal turns by
    exactly ``degrees``."""
    if axis not in ("x", "y"):
        raise InputError(f"tilt axis must be 'x' or 'y', got {axis!r}")
    _finite(np.array([degrees], dtype=float), "tilt")
    direction = placement.pose.rotation[:, 0 if axis == "x" else 1]
    rotation = Rotation.from_rotvec(np.radians(degrees) * direction).as_matrix()
    return _turned(placement, rotation)


def with_sutures(placement: Placement, sutures: Sequence[Suture]) -> Placement:
    """The placement with the sutures given (at least 3), keeping its pose.

    Raises
    ------
    InputError
        Fewer than 3 sutures. Whether they reach the annulus is checked by
        :func:`mvplan.planning.sutures.check_sutures`, which needs the annulus.
    """
    sutures = tuple(sutures)
    if len(sutures) < MIN_SUTURES:
        raise InputError(f"{len(sutures)} sutures cannot hold a ring; give at least {MIN_SUTURES}")
    return replace(placement, sutures=sutures)


def with_suture_count(
    annulus: Annulus, spec: RingSpec, placement: Placement, count: int
) -> Placement:
    """The placement with a fresh default layout of ``count`` sutures, keeping its pose.

    Raises
    ------
    InputError
        ``count`` below 3, or the ring too far from the annulus.
    """
    return replace(placement, sutures=layout_sutures(annulus, spec, placement.pose, count))


def _turned(placement: Placement, rotation: FloatArray) -> Placement:
    """Rotate the ring about its own centre by a valve-frame rotation."""
    centre = placement.pose.translation
    about = RigidTransform.from_rotation_translation(rotation, centre - rotation @ centre)
    return replace(placement, pose=about.compose(placement.pose))


def _rotation_z(theta: float, translation: FloatArray) -> RigidTransform:
    c, s = np.cos(theta), np.sin(theta)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return RigidTransform.from_rotation_translation(rotation, np.asarray(translation))


def _finite(values: FloatArray, what: str) -> None:
    if not np.all(np.isfinite(values)):
        raise InputError(f"the {what} must be finite numbers")


__all__ = [
    "FIT_WEIGHTS",
    "AutoPlacement",
    "Placement",
    "auto_place",
    "fit_rotation_translation",
    "ring_points_in_annulus_frame",
    "ring_points_in_input_frame",
    "rotated_about_normal",
    "tilted",
    "translated",
    "with_suture_count",
    "with_sutures",
]
