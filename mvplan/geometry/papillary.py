"""Papillary-muscle tips: split the points given into the two muscles and take each tip.

DESIGN.md section 4: the papillary file may hold several points per muscle. Points labelled
for a muscle (``AL``/``anterolateral``, ``PM``/``posteromedial``) go to it; the others are split
by their side of the A-P plane (the plane through A and P that contains the annulus normal):
the anterolateral muscle lies on the ALC side (-x in the valve frame). Each tip is the
centroid of its muscle's points.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError
from mvplan.geometry.annulus import Annulus

FloatArray = npt.NDArray[np.float64]

_AL = re.compile(r"^(al|alpm|alp|anterolateral|anterior[ _-]?lateral|apm)\b", re.IGNORECASE)
_PM = re.compile(r"^(pm|pmpm|pmp|posteromedial|posterior[ _-]?medial|ppm)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PapillaryTips:
    """The two papillary-muscle tips.

    Attributes
    ----------
    anterolateral : (3,) float, mm
        Tip of the anterolateral muscle, input coordinates.
    posteromedial : (3,) float, mm
    points : (k, 3) float, mm
        All points given, input coordinates.
    muscle : tuple of str
        ``"AL"`` or ``"PM"`` for each point.
    """

    anterolateral: FloatArray
    posteromedial: FloatArray
    points: FloatArray
    muscle: tuple[str, ...]


def muscle_of_label(label: str | None) -> str | None:
    """``"AL"``, ``"PM"`` or None for a point label."""
    if not label:
        return None
    text = label.strip()
    if _AL.match(text):
        return "AL"
    if _PM.match(text):
        return "PM"
    return None


def split_papillary(
    points: FloatArray, labels: Sequence[str | None], annulus: Annulus, source: str = ""
) -> PapillaryTips:
    """Assign papillary points to muscles and return both tips.

    Parameters
    ----------
    points : (k, 3) float, mm
        Papillary points in the annulus's input coordinates.
    labels : sequence of (str or None), length k
    annulus : Annulus
        Needs A and P (given or estimated) when some points are unlabelled.

    Raises
    ------
    GeometryError
        If a muscle ends up with no point.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    muscle: list[str | None] = [muscle_of_label(lab) for lab in labels]
    if any(m is None for m in muscle):
        if "A" not in annulus.landmarks or "P" not in annulus.landmarks:
            raise GeometryError(
                "cannot split papillary points without A and P", source=source or None
            )
        a = annulus.landmark_point("A")
        p = annulus.landmark_point("P")
        # Normal of the A-P plane oriented like the valve frame's +x (toward PMC).
        side = np.cross(a - p, annulus.plane.normal)
        side /= np.linalg.norm(side)
        x_axis = annulus.to_valve_frame.rotation[0]
        side *= np.sign(side @ x_axis) or 1.0
        for i, m in enumerate(muscle):
            if m is None:
                muscle[i] = "AL" if (pts[i] - a) @ side < 0 else "PM"
    tips = {}
    for name in ("AL", "PM"):
        chosen = pts[[m == name for m in muscle]]
        if len(chosen) == 0:
            raise GeometryError(
                f"no papillary point for the {'anterolateral' if name == 'AL' else 'posteromedial'}"
                " muscle (all points lie on one side of the A-P plane)",
                source=source or None,
            )
        tips[name] = chosen.mean(axis=0)
    return PapillaryTips(tips["AL"], tips["PM"], pts, tuple(m or "" for m in muscle))
