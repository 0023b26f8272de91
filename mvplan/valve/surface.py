"""The stress-free leaflet surface: a skirt of straight rulings hanging from the annulus.

Shape (the reference, stress-free configuration; DESIGN.md section 6)
--------------------------------------------------------------------
Everything is in the annulus's valve frame (mm; +z into the atrium, +y toward A). From each
annulus point ``c(u)`` (``u`` the annulus curve parameter, the fraction of its perimeter) a
straight *ruling* of length ``h(u)`` hangs toward the ventricle and leans toward the orifice:

    X(u, t) = c(u) + t d(u),    0 <= t <= h(u),
    d(u) = -cos(beta(u)) z + sin(beta(u)) n(u),

with ``n(u)`` the inward in-plane normal of the annulus and ``beta(u)`` the lean from the valve
axis (0 = hanging straight down, fully open; 90 = flat, closed). ``t`` is the distance along
the ruling, so ``h(u)`` is the leaflet height measured from the annulus to the free edge along
the surface, the quantity echocardiographers report as leaflet length; the rulings through A
and P are the leaflets' centre lines and have exactly the spec's heights.

The lean is the spec's opening angle (default 30 deg: a partly open, diastolic-to-mid shape)
wherever the annulus is gently curved. Rulings along the normals of a curved annulus converge,
and where the annulus turns sharply under a tall leaflet (the corners of a D-shaped anterior
annulus) they would cross before the free edge; there the lean is reduced (a soft minimum)
so that the free edge is never shorter than :data:`MAX_CONVERGENCE` of the annulus it hangs
from: the leaflet hangs straighter there, as a curtain does at a corner. The rulings stay in
the vertical plane of the normal (tilting them to be orthogonal to the saddle's 3D tangent
would make them sway with its slope). On the sample annuli the free edges of the two leaflets
stay at least 8 mm apart (14 mm on the centre line of the healthy one, 17 mm on the FMR one),
as a stress-free reference must (leaflets touching at rest would be a prestressed closure).
Straight rulings are a modelling choice, not anatomy: the belly curvature of the closed valve
comes from the pressure solve. The SOLVER-NOTES.md prototype used the same topology (one
continuous leaflet ring hanging from the annulus, 23 and 13 mm high).

The rulings come from a low-pass (6-harmonic) Fourier version of the annulus, so that tracing
noise in a patient's curve does not fan them into folds (a 4-harmonic series already
reproduces an annulus, Ratanasopa 1999, DOMAIN.md); the attached edge is the annulus itself,
exactly.

Height profile ``h(u)``: the commissural tissue (a zone ``w`` wide centred on each commissure)
has the commissural height ``h_c``; from the edge of that zone to the leaflet's centre landmark
(A or P) the height rises as a quarter sine to the leaflet height, ``h = h_c + (H - h_c)
sin(pi/2 x)``, ``x`` the fraction of that arc covered. The free edge is therefore one smooth
closed loop that dips toward the annulus at the commissures.

Flat chart
----------
A surface of rulings whose direction turns only about the surface normal is developable (a
generalised cone); this one nearly is (the varying lean and the saddle twist it a little).
It unrolls onto the plane: the annulus becomes a planar curve of the same length whose
curvature is the geodesic curvature of the annulus on the surface, each ruling a segment making
the same angle with it as in 3D. The mesher triangulates in this chart (Delaunay), measures
lengths in 3D, and flips edges to make the mesh Delaunay in 3D where the chart is stretched.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy.interpolate import BSpline, make_interp_spline

from mvplan.errors import GeometryError
from mvplan.geometry.curve import ClosedCurve
from mvplan.geometry.ordering import first_self_crossing

FloatArray = npt.NDArray[np.float64]

#: Harmonics kept when smoothing the annulus for the ruling directions.
RULING_HARMONICS = 6

#: Samples per period of the tabulated rulings and chart.
_TABLE = 4096

#: The chart may extend this far (fraction of the perimeter) beyond one period on each side:
#: room for the periodic copies the mesher needs across the seam.
CHART_MARGIN = 0.2

#: Largest fraction by which the rulings may shorten the free edge against the annulus it
#: hangs from: where the annulus is curved and the leaflet tall, the rulings lean less.
MAX_CONVERGENCE = 0.5

#: Smallest admissible ratio of a row's length to the annulus length it hangs from: below it
#: the rulings converge so much that the leaflets would be crushed (or fold) at the free edge.
MIN_STRETCH = 0.2


@dataclass(frozen=True)
class HeightProfile:
    """Leaflet height along the annulus (see the module docstring).

    Attributes
    ----------
    perimeter_mm : float
        Annulus length, mm.
    u_alc, u_a, u_pmc, u_p : float
        Curve parameters of the commissures and of A and P.
    anterior_mm, posterior_mm, commissural_mm : float
        Heights at A, at P and across the commissural zones, mm.
    commissural_width_mm : float
        Arc length of each commissural zone (centred on its commissure), mm.
    """

    perimeter_mm: float
    u_alc: float
    u_a: float
    u_pmc: float
    u_p: float
    anterior_mm: float
    posterior_mm: float
    commissural_mm: float
    commissural_width_mm: float

    def __post_init__(self) -> None:
        half = 0.5 * self.commissural_width_mm
        for name, side in self._sides().items():
            if side[2] - half <= 0.5:
                raise GeometryError(
                    f"the {name} arc is {side[2]:.1f} mm long, too short for a commissural zone "
                    f"{self.commissural_width_mm:.1f} mm wide (check the landmarks)"
                )

    def _sides(self) -> dict[str, tuple[float, float, float]]:
        """For each arc from a commissure to a centre landmark: start u, direction, length."""
        length = self.perimeter_mm

        def fwd(u0: float, u1: float) -> float:
            return float(np.mod(u1 - u0, 1.0)) * length

        # The anterior arc runs from one commissure through A to the other.
        if fwd(self.u_alc, self.u_a) < fwd(self.u_alc, self.u_pmc):
            first, second = self.u_alc, self.u_pmc
        else:
            first, second = self.u_pmc, self.u_alc
        if fwd(second, self.u_p) >= fwd(second, first):
            raise GeometryError("P does not lie between the commissures opposite A")
        return {
            "anterior (first half)": (first, 1.0, fwd(first, self.u_a)),
            "anterior (second half)": (second, -1.0, fwd(self.u_a, second)),
            "posterior (first half)": (second, 1.0, fwd(second, self.u_p)),
            "posterior (second half)": (first, -1.0, fwd(self.u_p, first)),
        }

    def locate(self, u: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Where each ``u`` lies.

        Returns
        -------
        anterior : (k,) bool
            On the arc from commissure to commissure through A.
        to_commissure : (k,) float, mm
            Arc length to the nearer commissure.
        to_centre : (k,) float, mm
            Arc length from that commissure to the centre landmark of the leaflet (A or P).
        """
        uu = np.mod(np.asarray(u, dtype=float), 1.0)
        sides = self._sides()
        (f0, _, fa), (s0, _, sa) = sides["anterior (first half)"], sides["anterior (second half)"]
        _, _, sp = sides["posterior (first half)"]
        _, _, fp = sides["posterior (second half)"]
        length = self.perimeter_mm
        from_first = np.mod(uu - f0, 1.0) * length
        from_second = np.mod(uu - s0, 1.0) * length
        anterior = from_first <= fa + sa
        ant_a = np.minimum(from_first, fa + sa - from_first)
        ant_centre = np.where(from_first <= fa, fa, sa)
        post_a = np.minimum(from_second, sp + fp - from_second)
        post_centre = np.where(from_second <= sp, sp, fp)
        to_commissure = np.where(anterior, ant_a, post_a)
        to_centre = np.where(anterior, ant_centre, post_centre)
        return anterior, to_commissure, to_centre

    def commissural(self, u: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each ``u`` lies in a commissural zone."""
        _, to_commissure, _ = self.locate(u)
        return np.asarray(to_commissure <= 0.5 * self.commissural_width_mm)

    def __call__(self, u: npt.ArrayLike) -> FloatArray:
        """Height ``h(u)`` at curve parameters ``u`` (any shape), mm."""
        shape = np.shape(u)
        anterior, to_commissure, to_centre = self.locate(np.ravel(u))
        half = 0.5 * self.commissural_width_mm
        peak = np.where(anterior, self.anterior_mm, self.posterior_mm)
        x = np.clip((to_commissure - half) / (to_centre - half), 0.0, 1.0)
        h = self.commissural_mm + (peak - self.commissural_mm) * np.sin(0.5 * np.pi * x)
        return np.asarray(h.reshape(shape))


def _fourier_derivatives(points: FloatArray, harmonics: int) -> tuple[FloatArray, FloatArray]:
    """First and second u-derivatives ``(_TABLE, 3)`` of a low-pass version of a closed curve
    sampled uniformly in ``u``, on the uniform grid of :data:`_TABLE` points."""
    coeffs = np.fft.rfft(points, axis=0)
    coeffs[harmonics + 1 :] = 0.0
    k = np.arange(coeffs.shape[0])[:, None]
    # Zero-padding the spectrum evaluates the trigonometric series exactly on the finer grid.
    scale = _TABLE / len(points)
    first = np.fft.irfft(coeffs * (2j * np.pi * k), n=_TABLE, axis=0) * scale
    second = np.fft.irfft(coeffs * (2j * np.pi * k) ** 2, n=_TABLE, axis=0) * scale
    return np.asarray(first), np.asarray(second)


@dataclass(frozen=True, eq=False)
class LeafletSurface:
    """The reference leaflet surface ``X(u, t) = c(u) + t d(u)`` in the valve frame.

    Parameters
    ----------
    curve : ClosedCurve
        The annulus in the valve frame (``Annulus.points_valve`` through its periodic spline,
        so that ``curve.evaluate(u)`` is the annulus point of parameter ``u``), mm.
    heights : HeightProfile
    opening_angle_deg : float
        Lean of the rulings from the valve axis toward the orifice, degrees.
    """

    curve: ClosedCurve
    heights: HeightProfile
    opening_angle_deg: float

    @property
    def perimeter_mm(self) -> float:
        """Annulus length, mm."""
        return self.curve.length

    @cached_property
    def lean_deg(self) -> FloatArray:
        """Lean of the rulings from the valve axis on the table grid ``u = j / 4096``, deg."""
        return np.degrees(self._rulings_and_lean[1])

    @cached_property
    def _rulings(self) -> BSpline:
        return self._rulings_and_lean[0]

    @cached_property
    def _rulings_and_lean(self) -> tuple[BSpline, FloatArray]:
        first, second = _fourier_derivatives(self.curve.points, RULING_HARMONICS)
        tangent = first / np.linalg.norm(first, axis=1, keepdims=True)
        planar = tangent[:, :2] / np.linalg.norm(tangent[:, :2], axis=1, keepdims=True)
        xy = self.curve.points[:, :2]
        turn = np.sign(np.sum(xy[:, 0] * np.roll(xy[:, 1], -1) - np.roll(xy[:, 0], -1) * xy[:, 1]))
        inward = turn * np.c_[-planar[:, 1], planar[:, 0], np.zeros(len(planar))]
        # In-plane curvature of the smoothed annulus, positive where it is convex.
        cross = first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]
        curvature = turn * cross / np.linalg.norm(first[:, :2], axis=1) ** 3
        grid = np.arange(_TABLE) / _TABLE
        reach = self.height(grid) * np.maximum(curvature, 1e-9)
        # Where the annulus is curved and the leaflet tall, lean less, so that the rulings
        # shorten the row at the free edge by at most MAX_CONVERGENCE (soft minimum).
        sin_nominal = np.sin(np.radians(self.opening_angle_deg))
        sin_lean = (sin_nominal**-4 + (MAX_CONVERGENCE / reach) ** -4) ** -0.25
        lean = np.arcsin(sin_lean)
        # The rulings stay in the vertical plane of the in-plane normal: tilting them to be
        # orthogonal to the 3D tangent would make them sway along the saddle's slope and
        # converge where that slope changes.
        d = np.cos(lean)[:, None] * np.array([0.0, 0.0, -1.0]) + sin_lean[:, None] * inward
        knots = np.arange(_TABLE + 1) / _TABLE
        spline = make_interp_spline(knots, np.vstack([d, d[:1]]), k=3, bc_type="periodic")
        return spline, lean

    def ruling(self, u: npt.ArrayLike) -> FloatArray:
        """Unit ruling directions ``d(u)``, shape ``(*u.shape, 3)``."""
        d = np.asarray(self._rulings(np.mod(u, 1.0)))
        return np.asarray(d / np.linalg.norm(d, axis=-1, keepdims=True))

    def height(self, u: npt.ArrayLike) -> FloatArray:
        """Leaflet height ``h(u)`` (annulus to free edge along the ruling), mm."""
        return self.heights(u)

    def position(self, u: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
        """Surface points ``X(u, t)``, shape ``(k, 3)``, mm (valve frame)."""
        uu = np.ravel(np.asarray(u, dtype=float))
        tt = np.ravel(np.asarray(t, dtype=float))
        return np.asarray(self.curve.evaluate(uu) + tt[:, None] * self.ruling(uu))

    def jacobian(self, u: npt.ArrayLike, t: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``dX/du`` (mm per unit u) and ``dX/dt`` (unit), each ``(k, 3)``."""
        uu = np.mod(np.ravel(np.asarray(u, dtype=float)), 1.0)
        tt = np.ravel(np.asarray(t, dtype=float))
        d_u = np.asarray(self._rulings.derivative()(uu))
        x_u = self.curve.derivative(uu) + tt[:, None] * d_u
        return np.asarray(x_u), self.ruling(uu)

    @cached_property
    def _chart_rates(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Speed ``|c_u|``, turning rate and ruling angle of the unrolled annulus (table grid).

        The annulus unrolls into a planar curve of the same speed whose curvature is the
        geodesic curvature of the annulus on the surface; each ruling unrolls into a segment
        making the same angle with it as in 3D.
        """
        grid = np.arange(_TABLE) / _TABLE
        c_u = self.curve.derivative(grid)
        c_uu = self.curve.derivative(grid, 2)
        speed = np.linalg.norm(c_u, axis=1)
        tangent = c_u / speed[:, None]
        d = self.ruling(grid)
        normal = np.cross(tangent, d)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        conormal = np.cross(normal, tangent)  # in the surface, toward the rulings
        turning = np.sum(c_uu * conormal, axis=1) / speed
        angle = np.arctan2(np.sum(d * tangent, axis=1), np.sum(d * conormal, axis=1))
        return speed, turning, angle

    def chart(self, u: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
        """Near-isometric flat coordinates ``(k, 2)`` (mm) of surface parameters.

        ``u`` is unwrapped (not reduced modulo 1) and must span at most
        ``1 + 2 CHART_MARGIN``: the chart is not periodic, as an unrolled cone does not close.
        """
        uu = np.ravel(np.asarray(u, dtype=float))
        tt = np.ravel(np.asarray(t, dtype=float))
        if uu.size == 0:
            return np.empty((0, 2))
        if uu.max() - uu.min() > 1.0 + 2.0 * CHART_MARGIN:
            raise ValueError("the chart covers at most one period and its margins")
        n = _TABLE
        idx = np.arange(int(np.floor(uu.min() * n)) - 1, int(np.ceil(uu.max() * n)) + 2)
        speed, turning, angle = (v[np.mod(idx, n)] for v in self._chart_rates)
        step = 1.0 / n
        theta = np.concatenate([[0.0], np.cumsum(0.5 * (turning[1:] + turning[:-1]) * step)])
        vx, vy = speed * np.cos(theta), speed * np.sin(theta)
        x = np.concatenate([[0.0], np.cumsum(0.5 * (vx[1:] + vx[:-1]) * step)])
        y = np.concatenate([[0.0], np.cumsum(0.5 * (vy[1:] + vy[:-1]) * step)])
        grid = idx * step
        # Direction of the unrolled ruling: the conormal (left normal) turned by the angle.
        phi = np.interp(uu, grid, theta + 0.5 * np.pi - angle)
        base = np.c_[np.interp(uu, grid, x), np.interp(uu, grid, y)]
        return np.asarray(base + tt[:, None] * np.c_[np.cos(phi), np.sin(phi)])

    def check_stretch(self) -> None:
        """Raise :class:`GeometryError` if the rulings converge too much before the free edge.

        The length of the row ``t = const`` per unit annulus length is ``|X_u| / |c_u|``; it
        must stay above :data:`MIN_STRETCH` everywhere up to the free edge, or the leaflets
        (too tall for this annulus at this opening angle) would crowd or fold.
        """
        grid = np.arange(1024) / 1024
        h = self.height(grid)
        c_u = self.curve.derivative(grid)
        for frac in (0.25, 0.5, 0.75, 1.0):
            x_u, _ = self.jacobian(grid, frac * h)
            # Signed: a row that has crossed its neighbours runs backwards.
            ratio = np.sum(x_u * c_u, axis=1) / np.sum(c_u * c_u, axis=1)
            worst = int(np.argmin(ratio))
            if ratio[worst] < MIN_STRETCH:
                raise GeometryError(
                    f"leaflets {h[worst]:.1f} mm high do not fit this annulus at an opening "
                    f"angle of {self.opening_angle_deg:g} deg: the rulings meet before the free "
                    "edge (lower the heights or the opening angle)"
                )

    def check_free_edge(self) -> None:
        """Raise :class:`GeometryError` if the reference orifice is not open.

        Seen from the atrium the free edge of a valid (open) reference is a simple closed
        loop; a leaflet so tall that it reaches past the opposite one makes it cross itself.
        """
        grid = np.arange(512) / 512
        edge = self.position(grid, self.height(grid))
        crossing = first_self_crossing(edge[:, :2])
        if crossing is not None:
            where = edge[crossing[0]]
            raise GeometryError(
                "the leaflets are too tall for this annulus: seen from the atrium their free "
                f"edges overlap at rest near ({where[0]:.1f}, {where[1]:.1f}) mm in the valve "
                "frame (lower the heights or the opening angle)"
            )
