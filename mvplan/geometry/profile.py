"""The saddle profile: height above a plane against position along the annulus.

The position runs from the anterior landmark A (0 %) through ALC, P and PMC back to A (100 %
of the perimeter); heights are signed distances from a reference plane (by default the
annulus's own least-squares plane), + toward the atrium. Drawing a reshaped annulus against
the *native* plane shows whether a ring lifts or flattens the saddle. No drawing here: the
GUI plot (:mod:`mvplan.gui.profile_plot`) and the report's SVG chart
(:mod:`mvplan.export.charts`) both draw this one computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mvplan.geometry.annulus import Annulus
from mvplan.geometry.plane import Plane

FloatArray = npt.NDArray[np.float64]

#: Samples along the annulus (the profile has ``SAMPLES + 1`` points, A at both ends).
SAMPLES = 360


@dataclass(frozen=True)
class Profile:
    """One annulus's profile.

    Attributes
    ----------
    position : (m,) float
        Percent of the perimeter from A, increasing, in [0, 100].
    height_mm : (m,) float
        Signed distance from the reference plane, mm (+ toward the atrium).
    landmarks : tuple of (name, position, estimated)
        Each known landmark, its position (percent of the perimeter from A) and whether
        mvplan estimated it.
    """

    position: FloatArray
    height_mm: FloatArray
    landmarks: tuple[tuple[str, float, bool], ...]


def saddle_profile(annulus: Annulus, plane: Plane | None = None) -> Profile:
    """The profile of ``annulus`` against ``plane`` (default: its own), from A (module doc).

    Parameters
    ----------
    annulus : Annulus
        Without A the profile starts at the curve's first point; without both commissures
        it runs in the curve's own direction.
    plane : Plane, optional
        The reference plane (pass the native annulus's plane to draw a reshaped annulus
        against it).

    Returns
    -------
    Profile
        ``SAMPLES + 1`` points evenly spaced in curve parameter.
    """
    plane = plane or annulus.plane
    curve = annulus.curve
    u_start = annulus.landmarks["A"].u if "A" in annulus.landmarks else 0.0
    direction = 1.0
    marks = annulus.landmarks
    if "ALC" in marks and "PMC" in marks:
        # Run A -> ALC -> P -> PMC: the surgeon's counter-clockwise round seen from the atrium.
        to_alc = (marks["ALC"].u - u_start) % 1.0
        to_pmc = (marks["PMC"].u - u_start) % 1.0
        direction = 1.0 if to_alc < to_pmc else -1.0
    steps = np.arange(SAMPLES + 1) / SAMPLES
    u = (u_start + direction * steps) % 1.0
    points = curve.evaluate(u)
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(seg)])
    position = 100.0 * along / along[-1]
    height = plane.signed_distance(points)
    found = []
    for name, mark in marks.items():
        frac = (direction * (mark.u - u_start)) % 1.0
        found.append((name, float(np.interp(frac, steps, position)), mark.estimated))
    return Profile(position, np.asarray(height, dtype=float), tuple(found))


__all__ = ["SAMPLES", "Profile", "saddle_profile"]
