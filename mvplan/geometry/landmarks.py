"""Annulus landmarks: the anterior and posterior points, commissures and trigones.

Each landmark is a parameter on the annulus curve (``u`` in [0, 1), the fraction of the
perimeter from the curve's first point) and a flag saying whether the user gave it or mvplan
estimated it. The estimation rules are those of DESIGN.md section 4:

* A and P: where the minor principal axis of the projected curve cuts it; A is on the
  straighter side (the lower mean curvature within :data:`CURVATURE_WINDOW` of the perimeter).
* ALC and PMC: where the plane through the midpoint of A-P with normal P-A cuts the curve; ALC
  on the -x side of the valve frame (9 o'clock in the surgeon's view), PMC on +x.
* ALT and PMT: at :data:`TRIGONE_FRACTION` of the perimeter either side of A, ALT toward ALC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mvplan.geometry.curve import ClosedCurve
from mvplan.geometry.plane import Plane

FloatArray = npt.NDArray[np.float64]

#: Trigones sit this fraction of the perimeter either side of A (DESIGN.md section 4; the
#: result is checked against Noack 2019's AP / intertrigonal ratio of 1.11 in the tests).
TRIGONE_FRACTION = 0.14

#: Half-width of the window, as a fraction of the perimeter, over which the mean curvature
#: of each candidate side is taken when telling A from P. Narrow enough to stay clear of the
#: commissures (at about +-25 %), wide enough to average out tracing noise.
CURVATURE_WINDOW = 0.10

#: The projected curve has no minor axis when its in-plane spreads differ by less than this.
ROUND_TOLERANCE = 0.01


@dataclass(frozen=True)
class Landmark:
    """A named point on the annulus curve.

    Attributes
    ----------
    name : str
        One of ``A, P, ALC, PMC, ALT, PMT``.
    u : float
        Curve parameter in [0, 1): fraction of the perimeter from the curve's first point.
    given : bool
        True if the user gave it, False if mvplan estimated it.
    """

    name: str
    u: float
    given: bool

    @property
    def estimated(self) -> bool:
        """True if mvplan estimated this landmark."""
        return not self.given


def plane_crossings(curve: ClosedCurve, origin: FloatArray, normal: FloatArray) -> FloatArray:
    """Parameters where the curve crosses the plane through ``origin`` with ``normal``.

    Sign changes of the signed distance on the dense samples, refined by linear interpolation
    (dense samples are ~0.03 mm apart, so the error is far below any tolerance used).

    Returns
    -------
    u : (k,) float
        Crossing parameters in increasing order.
    """
    u, pts = curve.dense()
    f = (pts - origin) @ normal
    g = np.roll(f, -1)
    idx = np.nonzero((f <= 0) & (g > 0) | (f > 0) & (g <= 0))[0]
    step = 1.0 / len(u)
    frac = f[idx] / (f[idx] - g[idx])
    return np.asarray(np.mod(u[idx] + frac * step, 1.0))


def estimate_ap_candidates(curve: ClosedCurve, plane: Plane) -> tuple[float, float] | None:
    """The two curve parameters cut by the minor principal axis through the centroid.

    Returns None when the projected curve is round (no minor axis to speak of).
    """
    if plane.spread[1] > (1.0 - ROUND_TOLERANCE) * plane.spread[0]:
        return None
    crossings = plane_crossings(curve, plane.origin, plane.axes[0])
    if len(crossings) < 2:
        return None
    along_minor = plane.in_plane(curve.evaluate(crossings))[:, 1]
    return float(crossings[np.argmax(along_minor)]), float(crossings[np.argmin(along_minor)])


def opposite_point(curve: ClosedCurve, plane: Plane, u_given: float) -> float:
    """Parameter where the line from the point at ``u_given`` through the centroid exits the
    curve on the far side (used when only one of A and P is given)."""
    p = plane.in_plane(curve.evaluate(u_given))
    direction = p / np.linalg.norm(p)
    across = np.cross(plane.normal, direction[0] * plane.axes[0] + direction[1] * plane.axes[1])
    crossings = plane_crossings(curve, plane.origin, across)
    along = plane.in_plane(curve.evaluate(crossings)) @ direction
    return float(crossings[np.argmin(along)])


def mean_projected_curvature(curve: ClosedCurve, plane: Plane, u_centre: float) -> float:
    """Mean signed curvature (1/mm) of the projected curve within the curvature window.

    Positive where the projected loop turns the way it turns overall (convex), negative where
    it bulges inward, so a flat or concave stretch scores lower than a round one.
    """
    u = u_centre + np.linspace(-CURVATURE_WINDOW, CURVATURE_WINDOW, 201)
    d1 = plane.in_plane(plane.origin + curve.derivative(u, 1))
    d2 = plane.in_plane(plane.origin + curve.derivative(u, 2))
    kappa = (d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]) / np.linalg.norm(d1, axis=1) ** 3
    return float(np.mean(kappa) * loop_turn_sign(curve, plane))


def loop_turn_sign(curve: ClosedCurve, plane: Plane) -> float:
    """+1 if the curve runs counter-clockwise seen from the side ``plane.normal`` points to."""
    xy = plane.in_plane(curve.points)
    area = 0.5 * np.sum(xy[:, 0] * np.roll(xy[:, 1], -1) - np.roll(xy[:, 0], -1) * xy[:, 1])
    return 1.0 if area >= 0 else -1.0


def choose_anterior(curve: ClosedCurve, plane: Plane, a: float, b: float) -> tuple[float, float]:
    """Order the two AP candidates as (A, P): A on the straighter side."""
    if mean_projected_curvature(curve, plane, a) <= mean_projected_curvature(curve, plane, b):
        return a, b
    return b, a


def saddle_amplitude(curve: ClosedCurve, plane: Plane, u_a: float) -> float:
    """Amplitude (mm) of the ``cos 2 theta`` harmonic of height, theta measured from A.

    Positive when A and P lie on the side ``plane.normal`` points to and the commissures on the
    other: the saddle's horns are atrial, so a positive value means the normal points into the
    left atrium.
    """
    _, pts = curve.dense()
    xy = plane.in_plane(pts)
    a_xy = plane.in_plane(curve.evaluate(u_a))
    theta = np.arctan2(xy[:, 1], xy[:, 0]) - np.arctan2(a_xy[1], a_xy[0])
    height = plane.signed_distance(pts)
    return float(2.0 * np.mean((height - height.mean()) * np.cos(2.0 * theta)))


def trigone_parameters(
    curve: ClosedCurve, u_a: float, u_alc: float, u_pmc: float
) -> tuple[float, float]:
    """Estimated (ALT, PMT): :data:`TRIGONE_FRACTION` of the perimeter either side of A, ALT
    on the way from A to ALC."""
    toward_alc = 1.0 if np.mod(u_alc - u_a, 1.0) < np.mod(u_pmc - u_a, 1.0) else -1.0
    return (
        float(np.mod(u_a + toward_alc * TRIGONE_FRACTION, 1.0)),
        float(np.mod(u_a - toward_alc * TRIGONE_FRACTION, 1.0)),
    )
