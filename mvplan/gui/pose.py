"""A ring pose as the numbers a user edits, and the pose edits the GUI composes.

:class:`PoseParameters` are what the placement panel shows; :func:`posed` builds a placement
from them with the core's pose edits (:func:`mvplan.planning.tilted`,
:func:`~mvplan.planning.rotated_about_normal`, :func:`~mvplan.planning.translated`), and
:func:`pose_parameters` reads them back. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from mvplan.geometry.annulus import Annulus
from mvplan.geometry.frames import RigidTransform
from mvplan.planning import Placement, rotated_about_normal, tilted, translated


@dataclass(frozen=True)
class PoseParameters:
    """A ring pose as the numbers a user edits (valve frame of the annulus).

    The rotation is ``R = Rz(rotation) Ry(tilt_ap) Rx(tilt_cc)``: the ring is first tilted
    about its own commissural (x) axis, then about its A-P (y) axis, then turned about the
    annulus normal; its centre sits at ``(x, y, height)``.

    Attributes
    ----------
    x_mm, y_mm : float
        In-plane position of the ring centre, mm (+x toward PMC, +y toward A).
    height_mm : float
        Height of the ring centre above the annulus plane (toward the atrium), mm.
    rotation_deg : float
        Rotation about the annulus normal, deg (counter-clockwise seen from the atrium).
    tilt_cc_deg, tilt_ap_deg : float
        Tilt about the ring's commissural and A-P axes, deg (right-hand rule).
    """

    x_mm: float = 0.0
    y_mm: float = 0.0
    height_mm: float = 0.0
    rotation_deg: float = 0.0
    tilt_cc_deg: float = 0.0
    tilt_ap_deg: float = 0.0


def pose_parameters(placement: Placement) -> PoseParameters:
    """The :class:`PoseParameters` of a placement's pose."""
    pose = placement.pose
    rotation, tilt_ap, tilt_cc = Rotation.from_matrix(pose.rotation).as_euler("ZYX", degrees=True)
    x, y, z = (float(v) for v in pose.translation)
    return PoseParameters(x, y, z, float(rotation), float(tilt_cc), float(tilt_ap))


def posed(placement: Placement, params: PoseParameters) -> Placement:
    """The placement with the pose ``params`` (its sutures' material points kept).

    Built with the core's pose edits from the unrotated ring at the origin: tilt about y, then
    about the (tilted) x axis, turn about the normal, move to the centre.
    """
    upright = replace(placement, pose=RigidTransform(np.eye(4)))
    out = tilted(upright, params.tilt_ap_deg, "y")
    # tilted() turns about the ring's *current* x axis, which after the y tilt is Ry e_x:
    # Rot(Ry e_x, a) Ry = Ry Rx(a), the order PoseParameters documents.
    out = tilted(out, params.tilt_cc_deg, "x")
    out = rotated_about_normal(out, params.rotation_deg)
    return translated(out, params.x_mm, params.y_mm, params.height_mm)


def carried_placement(old: Annulus, new: Annulus, placement: Placement) -> Placement:
    """The placement re-expressed in ``new``'s valve frame so the ring stays where it is in
    the input (scanner) frame: moving the landmark A turns the valve frame, not the ring."""
    change = new.to_valve_frame.compose(old.to_valve_frame.inverse())
    return replace(placement, pose=change.compose(placement.pose))


__all__ = ["PoseParameters", "carried_placement", "pose_parameters", "posed"]
