"""Coaptation of the closed leaflets: contact, coaptation length and area, orifice, tenting.

Every quantity below is defined here; the tests hold the code to these definitions.

Frame and plane
---------------
Positions are in the annulus's valve frame, mm (DESIGN.md section 2): +z is the annulus
plane normal pointing into the left atrium, +y points from the annulus centre toward A; the
leaflets hang on the ventricular side (z < 0). The **annulus plane** is the least-squares plane
of the (possibly reshaped) annulus loop, each point weighted by half the length of its two
polygon edges (the plane of the loop sampled uniformly in arc length; for the native annulus it
is the valve frame's z = 0 plane), its normal ``n`` turned toward +z. A point's **depth** is its
distance below that plane, ``-(p - origin) . n``, positive on the ventricular side. Projections
are orthogonal onto that plane.

Leaflets
--------
The anterior leaflet is the set of triangles labelled ``"anterior"``, the posterior leaflet those
labelled ``"posterior"``; the commissural tissue joins them, so it is neither (it would touch
both by construction). Anterior (posterior) nodes are the nodes of anterior (posterior)
triangles; in a :class:`~mvplan.valve.leaflets.LeafletMesh` the two sets are disjoint.

Contact map
-----------
``node_distance_mm``: for an anterior node, the Euclidean distance from its closed position to
the closest point of the posterior surface (the union of the posterior triangles, exact
point-triangle distance), clipped at ``distance_cap_mm`` (default 5 mm: the map is about
contact, and the cap bounds the search); for a posterior node, to the anterior surface; NaN for
the other nodes. ``node_in_contact``: distance <= ``contact_tolerance_mm`` (the caller's
tolerance, above the barrier's activation distance). Per anterior or posterior triangle, with
its three nodal distances interpolated linearly over it: ``triangle_distance_mm`` is the value at
the centroid (the mean of the three), ``triangle_in_contact`` says it is within the tolerance,
and ``triangle_contact_fraction`` is the fraction of the triangle's area where the interpolant is
within the tolerance (NaN, False, NaN on commissural triangles).

Coaptation area, mm^2
---------------------
Sum over anterior triangles of closed area times contact fraction: the area of the anterior
leaflet within the tolerance of the posterior leaflet.

Stations, coaptation length and line
------------------------------------
The anterior free edge is the set of free-edge nodes of anterior triangles; their annulus
parameters ``node_u`` (unwrapped around the anterior leaflet) span ``[u_lo, u_hi]``. Station k of
``n`` is the ruling of parameter ``u_lo + (k + 1/2) (u_hi - u_lo) / n``: the curve of the closed
surface whose reference points share that parameter, from the free edge (``node_depth_mm`` equal
to the leaflet height) to the annulus, found in the triangulation's ``(node_u, node_depth_mm)``
chart, along which positions and the distance to the posterior surface are interpolated linearly
in each triangle. Walking from the free edge toward the annulus, the station's **contact band** is
the first contiguous part of the ruling within the tolerance: ``coaptation_length_mm`` is its arc
length on the closed surface and ``free_edge_offset_mm`` the arc length from the free edge to
where it starts (0 when the free edge itself touches; a tip overhanging the posterior leaflet
does not void the band above it); contact farther up, past a part out of contact, is not counted.
A station with no contact has length 0 and offset NaN. The **coaptation line** point of a
station is the atrial end of its band (where the leaflets meet, seen from the atrium; NaN without
contact). The **central stations** are those whose relative place ``(k + 1/2) / n`` (in annulus
parameter) between the ends of the anterior free edge lies in its middle ``central_fraction``
(at least the middle station or two); the default, two thirds, leaves out the outer halves of
the A1 and A3 scallops, where the anterior leaflet meets the commissural tissue (neither
leaflet) rather than the posterior leaflet and the band tapers to nothing.
``coaptation_length_min_mm`` and ``coaptation_length_mean_mm`` are taken over the central
stations, and ``contact_fraction`` is the fraction of them with a positive length.

Regurgitant orifice, mm^2
-------------------------
The area, on the annulus plane, inside the projected attachment loop of the leaflets (their
attached nodes, which lie on the annulus; a finer annulus curve would only add slivers between
its chords and the mesh's) and outside the projection of every leaflet triangle (commissural
tissue included), computed with shapely. ``annulus_area_mm2`` is the area of the projected
annulus loop.
``orifice_outlines`` are its rings (outer and holes), lifted to the plane, for display.
``closed`` means the orifice is below ``closed_below_mm2``, default 5 mm^2: a quarter of the
0.2 cm^2 effective regurgitant orifice that bounds mild mitral regurgitation (ASE guideline,
Zoghbi et al., J Am Soc Echocardiogr 2017;30:303), about 5 ml a beat (times a contraction
coefficient of 0.6, a 5.5 m/s jet at 120 mmHg, 0.3 s of systole) against the 30 ml of mild
regurgitation: a trace, not a gap.

Tenting
-------
The **atrial envelope** of the leaflets is, over each point of the annulus plane, the highest
(most atrial) leaflet point projecting onto it. ``tenting_volume_ml`` is the integral, over the
projected annulus, of the envelope's depth where positive (leaflet parts billowing above the
plane and uncovered points of the orifice count 0), in ml (1 ml = 1000 mm^3); it is evaluated by
the midpoint rule on a square grid of ``grid_mm`` (default 0.2 mm). ``tenting_area_mm2`` is the
same in the **long-axis cut**, the plane through the annulus plane's origin containing ``n`` and
the projection of the valve frame's +y axis (A-P, septal-lateral): the integral, along the A-P
line inside the projected annulus, of the positive depth of the highest cut leaflet point (steps
of 0.05 mm). ``tenting_height_mm`` is the coaptation depth as echocardiography measures it, in
that long-axis (A2-P2) cut: the depth of the coaptation line (or, at a station with no contact,
of its anterior free-edge point), interpolated linearly between the central stations on either
side of the cut (DOMAIN.md: 5.0 mm normal, 8.6 mm in functional MR). Two alternatives were
measured on the healthy sample and rejected: the largest depth over the central stations jumped
from 4.7 to 11 mm when one station near the commissures lost contact, with the same valve shape;
the median over them (2.2 mm) mixes in the rise of the coaptation line toward the commissures.

Diastolic orifice proxy and stenosis warning
--------------------------------------------
:func:`diastolic_orifice_proxy_mm2`: the projected annulus area left open when the posterior
and commissural tissue stay in their reference (stress-free, partly open) shape carried with
the annulus and the anterior leaflet opens fully. ``stenosis_warning`` when it is below
150 mm^2 (functional mitral stenosis: valve area < 1.5 cm^2, DOMAIN.md).

Stress, strain and chords are carried as given (computed by the mechanics, not here).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely
import trimesh.triangles
from scipy.spatial import cKDTree

from mvplan.geometry.plane import Plane

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Functional mitral stenosis below this valve area, mm^2 (1.5 cm^2, DOMAIN.md).
STENOSIS_AREA_MM2 = 150.0
#: Default stations along the anterior free edge.
STATIONS = 41
#: Default middle fraction of the anterior free edge whose stations are summarised (module
#: docstring).
CENTRAL_FRACTION = 2.0 / 3.0
#: Default orifice area below which the valve is closed, mm^2 (module docstring).
CLOSED_BELOW_MM2 = 5.0
#: Default cap of the contact map's distances, mm.
DISTANCE_CAP_MM = 5.0

#: Default grid of the tenting volume's quadrature, mm.
GRID_MM = 0.2

_TINY_AREA = 1e-12
_CUT_STEP_MM = 0.05  # quadrature step along the long-axis cut


class LeafletLayout(Protocol):
    """What the analysis reads of the leaflets (:class:`~mvplan.valve.leaflets.LeafletMesh`)."""

    @property
    def points(self) -> FloatArray: ...  # (N, 3) reference positions, mm
    @property
    def triangles(self) -> IntArray: ...  # (M, 3), normals to the atrium
    @property
    def labels(self) -> npt.NDArray[np.str_]: ...  # (M,)
    @property
    def attached_nodes(self) -> IntArray: ...  # (na,) the annulus loop, in order
    @property
    def attached_u(self) -> FloatArray: ...  # (na,)
    @property
    def free_edge_nodes(self) -> IntArray: ...  # (nf,) the free-edge loop, in order
    @property
    def node_u(self) -> FloatArray: ...  # (N,) annulus parameter of each node's ruling
    @property
    def node_depth_mm(self) -> FloatArray: ...  # (N,) distance from the annulus along it


@dataclass(frozen=True, eq=False)
class Coaptation:
    """Coaptation of a closed valve (definitions in the module docstring; valve frame, mm).

    Attributes
    ----------
    contact_tolerance_mm : float, mm
    plane : Plane
        The annulus plane (normal toward the atrium, second axis toward A).
    node_distance_mm : (N,) float, mm
    node_in_contact : (N,) bool
    triangle_distance_mm : (M,) float, mm
    triangle_in_contact : (M,) bool
    triangle_contact_fraction : (M,) float
    station_u : (S,) float
        Annulus parameter of each station's ruling, in [0, 1).
    station_central : (S,) bool
    coaptation_length_mm : (S,) float, mm
    free_edge_offset_mm : (S,) float, mm
    coaptation_line : (S, 3) float, mm
    station_free_edge : (S, 3) float, mm
        Each station's anterior free-edge point (closed).
    coaptation_area_mm2, regurgitant_orifice_area_mm2, annulus_area_mm2 : float, mm^2
    orifice_outlines : tuple of (k, 3) float, mm
    closed : bool
    tenting_height_mm : float, mm
    tenting_area_mm2 : float, mm^2
    tenting_volume_ml : float, ml
    diastolic_orifice_proxy_mm2 : float, mm^2
    triangle_stress_mpa, triangle_strain : (M, ...) float or None
        Carried from the caller.
    chord_tensions_n : (C,) float, N, or None
        Carried from the caller.
    """

    contact_tolerance_mm: float
    plane: Plane
    node_distance_mm: FloatArray
    node_in_contact: BoolArray
    triangle_distance_mm: FloatArray
    triangle_in_contact: BoolArray
    triangle_contact_fraction: FloatArray
    station_u: FloatArray
    station_central: BoolArray
    coaptation_length_mm: FloatArray
    free_edge_offset_mm: FloatArray
    coaptation_line: FloatArray
    station_free_edge: FloatArray
    coaptation_area_mm2: float
    regurgitant_orifice_area_mm2: float
    annulus_area_mm2: float
    orifice_outlines: tuple[FloatArray, ...]
    closed: bool
    tenting_height_mm: float
    tenting_area_mm2: float
    tenting_volume_ml: float
    diastolic_orifice_proxy_mm2: float
    triangle_stress_mpa: FloatArray | None = field(default=None)
    triangle_strain: FloatArray | None = field(default=None)
    chord_tensions_n: FloatArray | None = field(default=None)

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def coaptation_length_min_mm(self) -> float:
        """Shortest coaptation length over the central stations, mm."""
        return float(np.min(self.coaptation_length_mm[self.station_central]))

    @property
    def coaptation_length_mean_mm(self) -> float:
        """Mean coaptation length over the central stations, mm."""
        return float(np.mean(self.coaptation_length_mm[self.station_central]))

    @property
    def contact_fraction(self) -> float:
        """Fraction of the central stations with a positive coaptation length."""
        return float(np.mean(self.coaptation_length_mm[self.station_central] > 0.0))

    @property
    def stenosis_warning(self) -> bool:
        """The diastolic orifice proxy is below :data:`STENOSIS_AREA_MM2`."""
        return self.diastolic_orifice_proxy_mm2 < STENOSIS_AREA_MM2

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain floats and bools (JSON), chord forces when given."""
        out: dict[str, Any] = {
            "coaptation_length_min_mm": self.coaptation_length_min_mm,
            "coaptation_length_mean_mm": self.coaptation_length_mean_mm,
            "coaptation_area_mm2": self.coaptation_area_mm2,
            "regurgitant_orifice_area_mm2": self.regurgitant_orifice_area_mm2,
            "tenting_height_mm": self.tenting_height_mm,
            "tenting_area_mm2": self.tenting_area_mm2,
            "tenting_volume_ml": self.tenting_volume_ml,
            "contact_fraction": self.contact_fraction,
            "closed": self.closed,
            "stenosis_warning": self.stenosis_warning,
            "diastolic_orifice_proxy_mm2": self.diastolic_orifice_proxy_mm2,
        }
        if self.chord_tensions_n is not None and self.chord_tensions_n.size:
            out["chord_force_sum_n"] = float(self.chord_tensions_n.sum())
            out["chord_force_max_n"] = float(self.chord_tensions_n.max())
        return out


def analyse_coaptation(
    leaflets: LeafletLayout,
    x: npt.ArrayLike,
    *,
    contact_tolerance_mm: float,
    annulus_points: npt.ArrayLike | None = None,
    stations: int = STATIONS,
    central_fraction: float = CENTRAL_FRACTION,
    closed_below_mm2: float = CLOSED_BELOW_MM2,
    distance_cap_mm: float = DISTANCE_CAP_MM,
    grid_mm: float = GRID_MM,
    triangle_stress_mpa: npt.ArrayLike | None = None,
    triangle_strain: npt.ArrayLike | None = None,
    chord_tensions_n: npt.ArrayLike | None = None,
) -> Coaptation:
    """Coaptation analysis of closed leaflets (definitions in the module docstring).

    Parameters
    ----------
    leaflets : LeafletLayout
        The leaflet mesh (a :class:`~mvplan.valve.leaflets.LeafletMesh` or any object with its
        attributes listed in :class:`LeafletLayout`).
    x : (N, 3) float, mm
        Closed node positions, valve frame.
    contact_tolerance_mm : float, mm
        Contact tolerance, above the barrier's activation distance.
    annulus_points : (K, 3) float, mm, optional
        The (possibly reshaped) annulus loop, for the plane, the tenting and the annulus area;
        default ``x[leaflets.attached_nodes]``.
    stations : int
        Number of stations along the anterior free edge.
    central_fraction : float
        Middle fraction of the anterior free edge whose stations are summarised, in (0, 1].
    closed_below_mm2 : float, mm^2
        Orifice area below which ``closed`` is true.
    distance_cap_mm : float, mm
        Contact-map distances above it are reported as it (at least twice the tolerance).
    grid_mm : float, mm
        Grid of the tenting volume's quadrature.
    triangle_stress_mpa, triangle_strain : (M, ...) float, optional
        Per-triangle stress (MPa) and strain, carried.
    chord_tensions_n : (C,) float, N, optional
        Chord segment tensions, carried.

    Returns
    -------
    Coaptation

    Raises
    ------
    ValueError
        Arrays of the wrong shape, a tolerance that is not positive, or leaflets with no
        anterior free edge.
    """
    tri = np.asarray(leaflets.triangles, dtype=np.intp)
    pos = np.asarray(x, dtype=float)
    if pos.shape != (len(leaflets.points), 3):
        raise ValueError(f"x must have shape ({len(leaflets.points)}, 3), got {pos.shape}")
    if not (np.isfinite(contact_tolerance_mm) and contact_tolerance_mm > 0.0):
        raise ValueError(f"contact tolerance must be above 0 mm, got {contact_tolerance_mm}")
    if stations < 1 or not 0.0 < central_fraction <= 1.0:
        raise ValueError("need stations >= 1 and 0 < central_fraction <= 1")
    ring = pos[leaflets.attached_nodes] if annulus_points is None else np.asarray(annulus_points)
    plane = annulus_plane(ring)
    labels = np.asarray(leaflets.labels)
    anterior, posterior = labels == "anterior", labels == "posterior"

    # Distance of every non-posterior node to the posterior surface (the rulings cross a few
    # commissural triangles at the ends of the anterior leaflet) and of posterior nodes to the
    # anterior surface; a node of a leaflet is at distance 0 from it.
    a_nodes, p_nodes = np.unique(tri[anterior]), np.unique(tri[posterior])
    tol = float(contact_tolerance_mm)
    to_posterior = np.zeros(len(pos))
    others = np.setdiff1d(np.arange(len(pos)), p_nodes)
    cap = max(float(distance_cap_mm), 2.0 * tol)
    to_posterior[others] = surface_distance(pos[others], pos, tri[posterior], cap)
    node_distance = np.full(len(pos), np.nan)
    node_distance[a_nodes] = to_posterior[a_nodes]
    node_distance[p_nodes] = surface_distance(pos[p_nodes], pos, tri[anterior], cap)

    tri_distance = np.where((anterior | posterior)[:, None], node_distance[tri], np.nan)
    fraction = _fraction_below(tri_distance, tol)
    area = _triangle_areas(pos[tri])
    u_rel, u_centre = _anterior_parameters(leaflets.node_u, a_nodes)
    walk = _walk_stations(
        pos,
        tri,
        u_rel,
        np.asarray(leaflets.node_depth_mm),
        to_posterior,
        tol,
        _station_parameters(u_rel, leaflets.free_edge_nodes, a_nodes, stations),
    )
    off_centre = np.abs((np.arange(stations) + 0.5) / stations - 0.5)
    central = off_centre <= max(0.5 * central_fraction, off_centre.min()) + 1e-12
    meet = np.where(np.isnan(walk.line[:, :1]), walk.free_edge, walk.line)
    # The orifice is bounded by the leaflets' own attachment loop: it lies on the annulus, and a
    # finer annulus curve would add slivers between its chords and the mesh's.
    orifice, outlines, _ = regurgitant_orifice(pos, tri, pos[leaflets.attached_nodes], plane)
    return Coaptation(
        contact_tolerance_mm=tol,
        plane=plane,
        node_distance_mm=node_distance,
        node_in_contact=node_distance <= tol,
        triangle_distance_mm=tri_distance.mean(axis=1),
        triangle_in_contact=tri_distance.mean(axis=1) <= tol,
        triangle_contact_fraction=fraction,
        station_u=np.mod(walk.u + u_centre, 1.0),
        station_central=central,
        coaptation_length_mm=walk.length,
        free_edge_offset_mm=walk.offset,
        coaptation_line=walk.line,
        station_free_edge=walk.free_edge,
        coaptation_area_mm2=float(np.sum(area[anterior] * fraction[anterior])),
        regurgitant_orifice_area_mm2=orifice,
        annulus_area_mm2=float(_annulus_polygon(ring, plane).area),
        orifice_outlines=outlines,
        closed=orifice < closed_below_mm2,
        tenting_height_mm=_long_axis_depth(plane, meet[central]),
        tenting_area_mm2=tenting_area_mm2(pos, tri, ring, plane),
        tenting_volume_ml=tenting_volume_mm3(pos, tri, ring, plane, grid_mm) / 1e3,
        diastolic_orifice_proxy_mm2=diastolic_orifice_proxy_mm2(
            leaflets, pos[leaflets.attached_nodes]
        ),
        triangle_stress_mpa=_carried(triangle_stress_mpa, len(tri), "triangle stress"),
        triangle_strain=_carried(triangle_strain, len(tri), "triangle strain"),
        chord_tensions_n=None if chord_tensions_n is None else np.array(chord_tensions_n, float),
    )


# ------------------------------------------------------------------ plane, distance, contact
def annulus_plane(points: npt.ArrayLike) -> Plane:
    """The annulus plane of a closed loop (module docstring).

    Parameters
    ----------
    points : (K, 3) float, mm
        The annulus loop in order, valve frame (the last point joins the first).

    Returns
    -------
    Plane
        Through the arc-length-weighted centroid; normal toward +z; ``axes[1]`` the projection of
        +y (toward A), ``axes[0] = axes[1] x normal`` (+x for a flat annulus).
    """
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[1] != 3 or len(p) < 3:
        raise ValueError(f"the annulus loop must have shape (K >= 3, 3), got {p.shape}")
    seg = np.linalg.norm(np.roll(p, -1, axis=0) - p, axis=1)
    w = 0.5 * (seg + np.roll(seg, 1))
    origin = w @ p / w.sum()
    q = p - origin
    _, vectors = np.linalg.eigh((q * w[:, None]).T @ q / w.sum())
    normal = vectors[:, 0] if vectors[2, 0] >= 0.0 else -vectors[:, 0]
    towards_a = np.array([0.0, 1.0, 0.0]) - normal[1] * normal
    if np.linalg.norm(towards_a) < 1e-9:
        raise ValueError("the annulus plane is perpendicular to the valve frame's y axis")
    second = towards_a / np.linalg.norm(towards_a)
    axes = np.array([np.cross(second, normal), second])
    spread = np.sqrt(w @ (q @ np.vstack([axes, normal]).T) ** 2 / w.sum())
    return Plane(origin, normal, axes, spread)


def surface_distance(
    points: npt.ArrayLike, vertices: FloatArray, triangles: IntArray, cap: float = np.inf
) -> FloatArray:
    """Distance from each point to a triangulated surface, exact up to ``cap``.

    A k-d tree of the triangle centroids bounds the search: with ``r`` the largest
    centroid-to-corner distance and ``D`` the distance to the triangle of the nearest centroid,
    the closest triangle has its centroid within ``min(D, cap) + r``, and only those are
    measured (trimesh's point-triangle closest points). ``r`` is capped at twice its median,
    and the few triangles above the cap are measured from every point.

    Parameters
    ----------
    points : (n, 3) float, mm
    vertices : (N, 3) float, mm
    triangles : (m, 3) int
    cap : float, mm
        Distances above it are returned as ``cap``.

    Returns
    -------
    (n,) float, mm
        ``min(distance, cap)``; ``cap`` for every point when there are no triangles.
    """
    p = np.asarray(points, dtype=float).reshape(-1, 3)
    if len(triangles) == 0 or len(p) == 0:
        return np.full(len(p), float(cap))
    corners = vertices[triangles]
    centroids = corners.mean(axis=1)
    reach, big = _reach(corners, centroids)
    tree = cKDTree(centroids)
    _, nearest = tree.query(p)
    best = _closest_distance(corners[nearest], p)
    near = np.nonzero(best - reach <= cap)[0]  # else the distance is above the cap
    found, counts = _flatten(
        tree.query_ball_point(p[near], np.minimum(best[near], cap) + reach + 1e-9)
    )
    candidates = np.concatenate([found, np.tile(big, len(p))])
    owner = np.concatenate([np.repeat(near, counts), np.repeat(np.arange(len(p)), len(big))])
    if len(candidates):
        np.minimum.at(best, owner, _closest_distance(corners[candidates], p[owner]))
    return np.asarray(np.minimum(best, cap))


def _flatten(lists: npt.NDArray[np.object_] | list[list[int]]) -> tuple[IntArray, IntArray]:
    """A k-d tree's lists of neighbours as one index array and the count of each list."""
    counts = np.fromiter(map(len, lists), dtype=np.intp, count=len(lists))
    found = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.intp, count=counts.sum())
    return found, counts


def _reach(corners: FloatArray, centroids: FloatArray) -> tuple[float, IntArray]:
    """Search radius around centroids, and the triangles too big for it (checked always).

    The radius is the largest centroid-to-corner distance, but at most twice the median, so
    that a few stretched triangles do not widen every search.
    """
    r = np.max(np.linalg.norm(corners - centroids[:, None], axis=-1), axis=1)
    reach = float(min(r.max(), 2.0 * np.median(r)))
    return reach, np.nonzero(r > reach)[0]


def _closest_distance(corners: FloatArray, points: FloatArray) -> FloatArray:
    closest = trimesh.triangles.closest_point(corners, points)
    return np.asarray(np.linalg.norm(closest - points, axis=1))


def _fraction_below(values: FloatArray, level: float) -> FloatArray:
    """Area fraction of each triangle where the linear interpolant of ``values (M, 3)`` is
    <= ``level`` (NaN rows give NaN)."""
    f = np.sort(values - level, axis=1)  # ascending: f0 <= f1 <= f2
    f0, f1, f2 = f[:, 0], f[:, 1], f[:, 2]
    out = np.where(f2 <= 0.0, 1.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        one = (f0 <= 0.0) & (f1 > 0.0)  # only the smallest corner is below: a corner triangle
        out = np.where(one, f0 * f0 / ((f0 - f1) * (f0 - f2)), out)
        two = (f1 <= 0.0) & (f2 > 0.0)  # only the largest corner is above
        out = np.where(two, 1.0 - f2 * f2 / ((f2 - f0) * (f2 - f1)), out)
    return np.where(np.isnan(f).any(axis=1), np.nan, out)


def _triangle_areas(corners: FloatArray) -> FloatArray:
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    return np.asarray(0.5 * np.linalg.norm(cross, axis=1))


def _long_axis_depth(plane: Plane, points: FloatArray) -> float:
    """Depth (mm) below ``plane`` of the polyline ``points`` ``(S, 3)`` where it crosses the
    long-axis cut (in-plane first coordinate 0), by linear interpolation; the nearer end's
    depth if it does not cross."""
    u = plane.in_plane(points)[:, 0]
    order = np.argsort(u)
    return float(np.interp(0.0, u[order], _depth(plane, points)[order]))


def _depth(plane: Plane, points: FloatArray) -> FloatArray:
    return -plane.signed_distance(points)


# ------------------------------------------------------------------ stations along the rulings
@dataclass(frozen=True)
class _Walk:
    u: FloatArray  # (S,) station parameter, relative to the anterior centre
    length: FloatArray  # (S,) mm
    offset: FloatArray  # (S,) mm
    line: FloatArray  # (S, 3) mm
    free_edge: FloatArray  # (S, 3) mm


def _wrap(u: FloatArray) -> FloatArray:
    return np.asarray(np.mod(u + 0.5, 1.0) - 0.5)


def _anterior_parameters(node_u: npt.ArrayLike, a_nodes: IntArray) -> tuple[FloatArray, float]:
    """Node parameters unwrapped around the anterior leaflet's circular mean parameter."""
    u = np.asarray(node_u, dtype=float)
    if len(a_nodes) == 0:
        raise ValueError("the leaflets have no anterior triangles")
    angle = 2.0 * np.pi * u[a_nodes]
    centre = float(np.mod(np.arctan2(np.sin(angle).mean(), np.cos(angle).mean()) / (2 * np.pi), 1))
    return _wrap(u - centre), centre


def _station_parameters(
    u_rel: FloatArray, free_edge: IntArray, a_nodes: IntArray, count: int
) -> FloatArray:
    edge = np.intersect1d(np.asarray(free_edge), a_nodes)
    if len(edge) < 2:
        raise ValueError("the leaflets have no anterior free edge")
    lo, hi = float(u_rel[edge].min()), float(u_rel[edge].max())
    return np.asarray(lo + (np.arange(count) + 0.5) / count * (hi - lo))


def _walk_stations(
    x: FloatArray,
    triangles: IntArray,
    u_rel: FloatArray,
    depth: FloatArray,
    distance: FloatArray,
    tol: float,
    stations: FloatArray,
) -> _Walk:
    """Cut every triangle of the ``(u, depth)`` chart with each station's line ``u = const``."""
    u = u_rel[triangles]
    u = u[:, :1] + _wrap(u - u[:, :1])  # each triangle unwrapped the short way
    lo, hi = u.min(axis=1), u.max(axis=1)
    s_idx, t_idx = np.nonzero((stations[:, None] >= lo) & (stations[:, None] <= hi))
    target = stations[s_idx]
    t_list, x_list, d_list, v_list = [], [], [], []
    for a, b in ((0, 1), (1, 2), (2, 0)):
        ua, ub = u[t_idx, a], u[t_idx, b]
        valid = (ua != ub) & ((ua - target) * (ub - target) <= 0.0)
        lam = np.where(valid, (target - ua) / np.where(valid, ub - ua, 1.0), 0.0)
        na, nb = triangles[t_idx, a], triangles[t_idx, b]
        v_list.append(valid)
        t_list.append(depth[na] + lam * (depth[nb] - depth[na]))
        x_list.append(x[na] + lam[:, None] * (x[nb] - x[na]))
        d_list.append(distance[na] + lam * (distance[nb] - distance[na]))
    valid, t = np.stack(v_list, axis=1), np.stack(t_list, axis=1)
    xs, ds = np.stack(x_list, axis=1), np.stack(d_list, axis=1)
    rows = np.arange(len(t))
    top = np.argmax(np.where(valid, t, -np.inf), axis=1)
    bottom = np.argmin(np.where(valid, t, np.inf), axis=1)
    t_top, x_top, d_top = t[rows, top], xs[rows, top], ds[rows, top]
    t_bottom, x_bottom, d_bottom = t[rows, bottom], xs[rows, bottom], ds[rows, bottom]
    n = len(stations)
    out = _Walk(
        u=stations,
        length=np.zeros(n),
        offset=np.full(n, np.nan),
        line=np.full((n, 3), np.nan),
        free_edge=np.full((n, 3), np.nan),
    )
    # By station, then from the free edge down (a segment that only touches the line at a
    # corner, of zero length, goes before the one below it, which then gives the last bottom).
    order = np.lexsort((-t_bottom, -t_top, s_idx))
    bounds = np.searchsorted(s_idx[order], np.arange(n + 1))
    for k in range(n):
        seg = order[bounds[k] : bounds[k + 1]]
        if len(seg) == 0:
            continue
        # Breakpoints from the free edge to the annulus: each segment's top, then the last bottom.
        pts = np.vstack([x_top[seg], x_bottom[seg[-1:]]])
        d = np.concatenate([d_top[seg], d_bottom[seg[-1:]]])
        out.free_edge[k] = pts[0]
        _band(pts, d, tol, k, out)
    return out


def _band(pts: FloatArray, d: FloatArray, tol: float, k: int, out: _Walk) -> None:
    """The first contiguous run of ``d <= tol`` along the polyline ``pts`` (from its start)."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    inside = d <= tol
    if not inside.any():
        return
    first = int(np.argmax(inside))
    start = 0.0 if first == 0 else _crossing(arc, d, tol, first - 1)
    after = np.nonzero(~inside[first:])[0]
    if len(after):
        last = first + int(after[0]) - 1  # the last breakpoint inside
        end = _crossing(arc, d, tol, last)
    else:
        end = float(arc[-1])
    out.length[k] = end - start
    out.offset[k] = start
    out.line[k] = [np.interp(end, arc, pts[:, j]) for j in range(3)]


def _crossing(arc: FloatArray, d: FloatArray, tol: float, i: int) -> float:
    """Arc position where ``d`` crosses ``tol`` between breakpoints ``i`` and ``i + 1``."""
    theta = (tol - d[i]) / (d[i + 1] - d[i])
    return float(arc[i] + theta * (arc[i + 1] - arc[i]))


# ------------------------------------------------------------------ orifice
def regurgitant_orifice(
    x: FloatArray, triangles: IntArray, annulus_points: npt.ArrayLike, plane: Plane
) -> tuple[float, tuple[FloatArray, ...], float]:
    """The area inside the projected annulus not covered by any projected triangle.

    Parameters
    ----------
    x : (N, 3) float, mm
    triangles : (M, 3) int
    annulus_points : (K, 3) float, mm
        The annulus loop.
    plane : Plane
        The plane to project on (:func:`annulus_plane`).

    Returns
    -------
    area : float, mm^2
    outlines : tuple of (k, 3) float, mm
        Every ring (outer and holes) of the uncovered region, on the plane, not repeating the
        first point.
    annulus_area : float, mm^2
        Area of the projected annulus.
    """
    xy = plane.in_plane(np.asarray(x, dtype=float))
    annulus = _annulus_polygon(annulus_points, plane)
    corners = xy[triangles]
    signed = 0.5 * _cross2(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    # The boundary of the union of the projected triangles lies on silhouette edges (boundary
    # edges, and edges between triangles of opposite projected orientation): away from them a
    # neighbourhood is covered by the triangles around it. So the union of the triangles along
    # silhouettes cuts the annulus into pieces each wholly covered or wholly open, and one point
    # of each piece decides which (a few hundred triangles to union instead of thousands).
    along = _silhouette_triangles(triangles, signed)
    keep = along & (np.abs(signed) > _TINY_AREA)
    rings = np.concatenate([corners[keep], corners[keep, :1]], axis=1)
    # Buffering the (overlapping) triangles by 0 as one multipolygon unions them, 3 to 5 times
    # faster than shapely.union_all here.
    border = shapely.multipolygons(shapely.polygons(rings)).buffer(0.0)
    pieces = shapely.get_parts(shapely.difference(annulus, border))
    pieces = pieces[(shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) > 0.0)]
    probes = shapely.get_coordinates(shapely.point_on_surface(pieces))
    open_pieces = pieces[~_covered(probes, corners, signed)] if len(pieces) else pieces
    area = float(shapely.area(open_pieces).sum())
    outlines = []
    for piece in open_pieces:
        for ring in [piece.exterior, *piece.interiors]:
            uv = np.asarray(ring.coords)[:-1]
            outlines.append(plane.origin + uv @ plane.axes)
    return area, tuple(outlines), float(annulus.area)


def _silhouette_triangles(triangles: IntArray, signed: FloatArray) -> BoolArray:
    """Triangles with a boundary edge, or an edge shared with a triangle facing the other way
    (or a degenerate one) in projection."""
    m = len(triangles)
    pairs = np.sort(triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1).astype(np.int64)
    keys = pairs[:, 0] * (int(triangles.max()) + 1) + pairs[:, 1]
    _, edge, counts = np.unique(keys, return_inverse=True, return_counts=True)
    owner = np.repeat(np.arange(m), 3)
    side = np.where(np.abs(signed) > _TINY_AREA, np.sign(signed), 0.0)[owner]
    lo = np.full(len(counts), np.inf)
    hi = np.full(len(counts), -np.inf)
    np.minimum.at(lo, edge, side)
    np.maximum.at(hi, edge, side)
    silhouette = (counts[edge] != 2) | (lo[edge] != hi[edge]) | (side == 0.0)
    out = np.zeros(m, dtype=bool)
    out[owner[silhouette]] = True
    return out


def _covered(probes: FloatArray, corners: FloatArray, signed: FloatArray) -> BoolArray:
    """Whether each 2D probe lies in (or on) any projected triangle."""
    ok = np.abs(signed) > _TINY_AREA
    corners, orient = corners[ok], np.sign(signed[ok])
    centroids = corners.mean(axis=1)
    reach, big = _reach(corners, centroids)
    found, counts = _flatten(cKDTree(centroids).query_ball_point(probes, reach + 1e-9))
    out = np.zeros(len(probes), dtype=bool)
    tri = np.concatenate([found, np.tile(big, len(probes))])
    owner = np.concatenate(
        [np.repeat(np.arange(len(probes)), counts), np.repeat(np.arange(len(probes)), len(big))]
    )
    p, c = probes[owner], corners[tri]
    eps = 1e-9 * np.abs(signed[ok])[tri]
    inside = np.ones(len(tri), dtype=bool)
    for k in range(3):
        q0, q1 = c[:, k], c[:, (k + 1) % 3]
        inside &= _cross2(q1 - q0, p - q0) * orient[tri] >= -eps
    out[owner[inside]] = True
    return out


# ------------------------------------------------------------------ tenting
def tenting_volume_mm3(
    x: FloatArray,
    triangles: IntArray,
    annulus_points: npt.ArrayLike,
    plane: Plane,
    grid_mm: float = GRID_MM,
) -> float:
    """Volume between the annulus plane and the atrial envelope of the leaflets, mm^3.

    ``V = integral over the projected annulus of max(0, depth of the envelope)``, the envelope
    being the highest (most atrial) leaflet point over each point of the plane; uncovered
    points (the orifice) count 0. Midpoint rule on a square grid of ``grid_mm`` (pixel centres
    inside the projected annulus).

    Parameters
    ----------
    x : (N, 3) float, mm
    triangles : (M, 3) int
    annulus_points : (K, 3) float, mm
    plane : Plane
    grid_mm : float, mm
    """
    uv = plane.in_plane(np.asarray(x, dtype=float))
    height = plane.signed_distance(np.asarray(x, dtype=float))
    ring = plane.in_plane(np.asarray(annulus_points, dtype=float))
    lo = ring.min(axis=0)
    shape = np.ceil((ring.max(axis=0) - lo) / grid_mm).astype(int) + 1
    top = _envelope(uv[triangles] - lo, height[triangles], grid_mm, (int(shape[0]), int(shape[1])))
    i, j = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    cu, cv = lo[0] + (i + 0.5) * grid_mm, lo[1] + (j + 0.5) * grid_mm
    inside = shapely.contains_xy(_annulus_polygon(annulus_points, plane), cu, cv)
    depth = np.where(inside & np.isfinite(top), np.maximum(-top, 0.0), 0.0)
    return float(depth.sum() * grid_mm * grid_mm)


def _envelope(
    corners: FloatArray, heights: FloatArray, grid: float, shape: tuple[int, int]
) -> FloatArray:
    """Largest interpolated height of the triangles over each pixel centre (-inf: none).

    ``corners (M, 3, 2)`` are in grid coordinates times ``grid`` (pixel ``(i, j)`` is centred
    at ``((i + 1/2) grid, (j + 1/2) grid)``), ``heights (M, 3)``.
    """
    e1, e2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    det = _cross2(e1, e2)
    ok = np.abs(det) > _TINY_AREA
    corners, heights, e1, e2, det = corners[ok], heights[ok], e1[ok], e2[ok], det[ok]
    first = np.ceil(corners.min(axis=1) / grid - 0.5).astype(np.intp)
    last = np.floor(corners.max(axis=1) / grid - 0.5).astype(np.intp)
    first = np.maximum(first, 0)
    last = np.minimum(last, np.array(shape) - 1)
    size = np.maximum(last - first + 1, 0)
    counts = size[:, 0] * size[:, 1]
    owner = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    i = first[owner, 0] + local % np.maximum(size[owner, 0], 1)
    j = first[owner, 1] + local // np.maximum(size[owner, 0], 1)
    d = np.column_stack([(i + 0.5) * grid, (j + 0.5) * grid]) - corners[owner, 0]
    b1 = _cross2(d, e2[owner]) / det[owner]
    b2 = _cross2(e1[owner], d) / det[owner]
    hit = (b1 >= -1e-9) & (b2 >= -1e-9) & (b1 + b2 <= 1.0 + 1e-9)
    h = heights[owner]
    value = h[:, 0] + b1 * (h[:, 1] - h[:, 0]) + b2 * (h[:, 2] - h[:, 0])
    top = np.full(shape[0] * shape[1], -np.inf)
    np.maximum.at(top, (i * shape[1] + j)[hit], value[hit])
    return top.reshape(shape)


def tenting_area_mm2(
    x: FloatArray, triangles: IntArray, annulus_points: npt.ArrayLike, plane: Plane
) -> float:
    """Area between the annulus plane and the atrial envelope in the long-axis cut, mm^2.

    The cut is the plane through ``plane.origin`` spanned by ``plane.normal`` and
    ``plane.axes[1]`` (toward A): ``integral of max(0, depth of the envelope)`` along the
    A-P line inside the projected annulus, the envelope being the highest point of the cut
    leaflets over each point of the line (0 where nothing is cut). Midpoint rule, 0.05 mm steps.
    """
    p = np.asarray(x, dtype=float)
    side = plane.in_plane(p)[:, 0]  # signed distance from the cut plane
    s, w = side[triangles], plane.signed_distance(p)[triangles]
    along = plane.in_plane(p)[:, 1][triangles]
    positive = s >= 0.0
    crossing = positive.any(axis=1) & ~positive.all(axis=1)
    s, w, along, positive = s[crossing], w[crossing], along[crossing], positive[crossing]
    # The lone corner (alone on its side of the cut) and the two edges from it.
    lone = np.where(
        positive.sum(axis=1) == 1, np.argmax(positive, axis=1), np.argmin(positive, axis=1)
    )
    rows = np.arange(len(s))
    ends_s, ends_w = [], []
    for step in (1, 2):
        other = (lone + step) % 3
        lam = s[rows, lone] / (s[rows, lone] - s[rows, other])
        ends_s.append(along[rows, lone] + lam * (along[rows, other] - along[rows, lone]))
        ends_w.append(w[rows, lone] + lam * (w[rows, other] - w[rows, lone]))
    s0, s1, w0, w1 = ends_s[0], ends_s[1], ends_w[0], ends_w[1]
    ring = _annulus_polygon(annulus_points, plane)
    _, v_min, _, v_max = ring.bounds
    cut = shapely.intersection(ring, shapely.LineString([(0.0, v_min - 1.0), (0.0, v_max + 1.0)]))
    lo, hi = np.minimum(s0, s1), np.maximum(s0, s1)
    total = 0.0
    for part in shapely.get_parts(cut):
        ends = np.sort(shapely.get_coordinates(part)[:, 1])
        n = int(np.ceil((ends[-1] - ends[0]) / _CUT_STEP_MM))
        if n == 0:
            continue
        step = (ends[-1] - ends[0]) / n
        t = ends[0] + (np.arange(n) + 0.5) * step
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.where(s1 != s0, (t[:, None] - s0) / (s1 - s0), 0.5)
        cover = (t[:, None] >= lo) & (t[:, None] <= hi)
        top = np.where(cover, w0 + lam * (w1 - w0), -np.inf).max(axis=1, initial=-np.inf)
        total += float(np.sum(np.maximum(-top[np.isfinite(top)], 0.0)) * step)
    return total


def _annulus_polygon(points: npt.ArrayLike, plane: Plane) -> shapely.Geometry:
    """The projected annulus loop as a valid (multi)polygon."""
    return shapely.make_valid(shapely.Polygon(plane.in_plane(np.asarray(points, dtype=float))))


def _cross2(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0])


# ------------------------------------------------------------------ stenosis proxy
def diastolic_orifice_proxy_mm2(leaflets: LeafletLayout, attached_points: npt.ArrayLike) -> float:
    """Geometric proxy of the diastolic mitral valve area after annuloplasty, mm^2.

    Early functional stenosis after repair is put down to an undersized ring, and the anterior
    leaflet's opening angle and tip opening length predict it (review: Front Cardiovasc Med
    2016;3:8, doi 10.3389/fcvm.2016.00008); a ring of 27 mm or less predicted it after
    restrictive annuloplasty for ischaemic MR (Li et al., Cardiol J 2019;26:350, doi
    10.5603/CJ.a2018.0023). The proxy assumes (a modelling choice, not from these sources) that
    the posterior leaflet, held by the ring, stays in its reference position while the anterior
    leaflet opens fully (covering nothing): it is the area of the projected (reshaped) annulus
    not covered by the posterior and commissural tissue in its reference shape (the stress-free,
    partly open leaflets, :mod:`mvplan.valve.surface`), each node translated by the displacement
    of the annulus at its ruling's parameter (linear between attached nodes), projected on the
    reshaped annulus's plane (:func:`annulus_plane`). With default leaflets it gives 5.7 cm^2
    on the healthy sample annulus (normal valve areas are 4-6 cm^2) and 7.9 cm^2 on the
    dilated functional-MR one; shrinking the healthy annulus to 415 mm^2 (about a 26 mm ring)
    gives 2.4 cm^2. It ignores leaflet tethering and thickening, which narrow the real orifice,
    so it overestimates the area of restricted leaflets: a warning is a finding, its absence no
    clearance. It is a proxy, not a flow computation.

    Parameters
    ----------
    leaflets : LeafletLayout
    attached_points : (na, 3) float, mm
        Positions of ``leaflets.attached_nodes`` on the reshaped annulus, valve frame.

    Returns
    -------
    float, mm^2
    """
    ring = np.asarray(attached_points, dtype=float)
    native = np.asarray(leaflets.points, dtype=float)
    attached = np.asarray(leaflets.attached_nodes)
    if ring.shape != (len(attached), 3):
        raise ValueError(f"attached points must have shape ({len(attached)}, 3), got {ring.shape}")
    shift = ring - native[attached]
    u_att = np.asarray(leaflets.attached_u, dtype=float)
    order = np.argsort(u_att)
    u_per = np.concatenate([u_att[order] - 1.0, u_att[order], u_att[order] + 1.0])
    moved = native + np.column_stack(
        [
            np.interp(np.mod(leaflets.node_u, 1.0), u_per, np.tile(shift[order, j], 3))
            for j in range(3)
        ]
    )
    moved[attached] = ring
    labels = np.asarray(leaflets.labels)
    held = np.asarray(leaflets.triangles)[labels != "anterior"]
    area, _, _ = regurgitant_orifice(moved, held, ring, annulus_plane(ring))
    return area


def _carried(values: npt.ArrayLike | None, m: int, name: str) -> FloatArray | None:
    if values is None:
        return None
    arr = np.array(values, dtype=float)  # a copy: the result freezes its arrays
    if arr.ndim == 0 or arr.shape[0] != m:
        raise ValueError(f"{name} must have one row per triangle ({m}), got shape {arr.shape}")
    return arr
