"""Closed space curves: interpolating periodic splines, arc length, uniform resampling.

The annulus is an interpolating periodic cubic spline through its (ordered) points. A
:class:`ClosedCurve` is that spline parametrised by ``u`` in [0, 1), the fraction of arc length
from its first point. It is built once from ordered input points; everything downstream
(measurements, landmarks, rendering, mechanics) evaluates it at the parameters it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy.interpolate import BSpline, make_interp_spline

from mvplan.errors import GeometryError

FloatArray = npt.NDArray[np.float64]

#: Gauss-Legendre nodes and weights on [0, 1] used for arc-length integrals. Five nodes
#: integrate the speed of a cubic segment far below the 1e-9 relative level we need.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(5)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W

#: Sub-intervals per knot interval used to tabulate arc length before inverting it.
_SUBDIVISIONS = 8


def periodic_spline(points: FloatArray, knots: FloatArray | None = None) -> tuple[BSpline, float]:
    """Interpolating periodic cubic spline through ordered closed-curve points.

    Parameters
    ----------
    points : (n, 3) float
        Ordered points of a closed curve; the last is joined to the first (do not repeat it).
    knots : (n + 1,) float, optional
        Increasing parameter values of ``points`` followed by the value at which the curve
        returns to ``points[0]``. Cumulative chord length when omitted.

    Returns
    -------
    spline : scipy.interpolate.BSpline
        Periodic spline over ``[knots[0], knots[-1]]`` with ``spline(knots[i]) == points[i]``.
    period : float
        ``knots[-1]``, the parameter value at which the curve closes.
    """
    closed = np.vstack([points, points[:1]])
    if knots is None:
        chords = np.linalg.norm(np.diff(closed, axis=0), axis=1)
        if np.any(chords <= 0.0):
            raise GeometryError("the curve has repeated consecutive points")
        knots = np.concatenate([[0.0], np.cumsum(chords)])
    spline = make_interp_spline(knots, closed, k=3, bc_type="periodic")
    return spline, float(knots[-1])


def _arc_length_table(
    spline: BSpline, period: float, n_knots: int
) -> tuple[FloatArray, FloatArray]:
    """Parameter grid over one period and the arc length from 0 at each grid value."""
    grid = np.linspace(0.0, period, n_knots * _SUBDIVISIONS + 1)
    a, b = grid[:-1], grid[1:]
    nodes = a[:, None] + (b - a)[:, None] * _GL_X[None, :]
    speed = np.linalg.norm(spline.derivative()(nodes.ravel()), axis=1).reshape(nodes.shape)
    pieces = (speed * _GL_W[None, :]).sum(axis=1) * (b - a)
    return grid, np.concatenate([[0.0], np.cumsum(pieces)])


def resample_uniform(points: FloatArray, count: int) -> tuple[FloatArray, float]:
    """Resample a closed curve at ``count`` points equally spaced in arc length.

    See :func:`resample_tracking`, which also says where each input point went.
    """
    resampled, length, _ = resample_tracking(points, count)
    return resampled, length


def resample_tracking(points: FloatArray, count: int) -> tuple[FloatArray, float, FloatArray]:
    """Resample a closed curve at ``count`` points equally spaced in arc length.

    The curve is the interpolating periodic cubic spline through ``points`` (chord-length
    parameter). The arc length is integrated by Gauss-Legendre quadrature and inverted by
    interpolation followed by two Newton steps on the spline's speed.

    Parameters
    ----------
    points : (n, 3) float, mm
        Ordered points of a closed curve, consecutive points distinct.
    count : int
        Number of output points (>= 8).

    Returns
    -------
    resampled : (count, 3) float, mm
        Points at arc lengths ``j * length / count``, starting at ``points[0]``.
    length : float, mm
        Arc length of the closed spline.
    point_u : (n,) float
        Arc-length fraction of each input point along the new curve (its parameter there).
    """
    spline, period = periodic_spline(points)
    grid, cumulative = _arc_length_table(spline, period, len(points))
    length = float(cumulative[-1])
    chords = np.linalg.norm(np.diff(np.vstack([points, points[:1]]), axis=0), axis=1)
    knots = np.concatenate([[0.0], np.cumsum(chords)])[:-1]
    point_u = np.interp(knots, grid, cumulative) / length
    targets = np.arange(count) * (length / count)
    t = np.interp(targets, cumulative, grid)
    derivative = spline.derivative()
    for _ in range(2):
        # Newton on s(t) = target, with s(t) from the table plus the local speed.
        s_at_t = np.interp(t, grid, cumulative)
        speed = np.linalg.norm(derivative(t), axis=1)
        t = np.clip(t - (s_at_t - targets) / speed, 0.0, period)
    return np.asarray(spline(t)), length, point_u


@dataclass(frozen=True, eq=False)
class ClosedCurve:
    """A closed curve sampled uniformly in arc length, with its interpolating spline.

    Parameters
    ----------
    points : (n, 3) float, mm
        Points equally spaced in arc length around the curve; ``points[j]`` is at ``u = j / n``.

    Notes
    -----
    The spline through uniformly spaced points with a uniform parameter is, to the spline's
    own accuracy, parametrised by arc length, so ``u`` is the fraction of the perimeter from
    ``points[0]``.
    """

    points: FloatArray

    def __post_init__(self) -> None:
        pts = np.array(self.points, dtype=float)
        pts.setflags(write=False)
        object.__setattr__(self, "points", pts)

    @cached_property
    def _spline(self) -> BSpline:
        n = len(self.points)
        spline, _ = periodic_spline(self.points, np.arange(n + 1) / n)
        return spline

    @property
    def count(self) -> int:
        """Number of sample points."""
        return len(self.points)

    @cached_property
    def length(self) -> float:
        """Arc length of the closed curve, mm."""
        _, cumulative = _arc_length_table(self._spline, 1.0, self.count)
        return float(cumulative[-1])

    def evaluate(self, u: npt.ArrayLike) -> FloatArray:
        """Points at parameters ``u`` (wrapped into [0, 1)); shape ``(*u.shape, 3)``, mm."""
        return np.asarray(self._spline(np.mod(u, 1.0)))

    def derivative(self, u: npt.ArrayLike, order: int = 1) -> FloatArray:
        """Derivatives ``d^k c / du^k`` at ``u``, shape ``(*u.shape, 3)``, mm per unit ``u``^k."""
        return np.asarray(self._spline.derivative(order)(np.mod(u, 1.0)))

    def tangent(self, u: npt.ArrayLike) -> FloatArray:
        """Unit tangents at ``u``, shape ``(*u.shape, 3)``."""
        d = self.derivative(u)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def dense(self, per_sample: int = 16) -> tuple[FloatArray, FloatArray]:
        """Dense parameters ``(m,)`` and points ``(m, 3)`` for integrals along the curve."""
        u = np.arange(self.count * per_sample) / (self.count * per_sample)
        return u, self.evaluate(u)

    def arc_length(self, u0: float, u1: float) -> float:
        """Arc length from ``u0`` forward (increasing ``u``, wrapping) to ``u1``, mm."""
        return float(np.mod(u1 - u0, 1.0)) * self.length

    def closest_parameter(self, point: FloatArray) -> tuple[float, float]:
        """Parameter of the curve point closest to ``point`` and the distance to it (mm)."""
        u, dense = self.dense()
        d2 = np.sum((dense - point) ** 2, axis=1)
        i = int(np.argmin(d2))
        # Refine on the spline: a few Newton steps on d/du |c(u) - p|^2 = 0.
        ui = float(u[i])
        first, second = self._spline.derivative(1), self._spline.derivative(2)
        for _ in range(4):
            uu = ui % 1.0
            r = self._spline(uu) - point
            g = float(r @ first(uu))
            h = float(first(uu) @ first(uu) + r @ second(uu))
            if h <= 0:
                break
            ui -= g / h
        ui %= 1.0
        dist = float(np.linalg.norm(self._spline(ui) - point))
        if dist > float(np.sqrt(d2[i])):  # Newton wandered off: keep the sampled answer
            ui, dist = float(u[i]), float(np.sqrt(d2[i]))
        return ui, dist
