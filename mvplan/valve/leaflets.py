"""Anterior and posterior leaflets (with the commissural tissue) built on the native annulus.

The leaflets are one triangulated surface hanging from the annulus (topologically an annulus,
a strip closed on itself): its outer boundary is the annulus (every node there *attached*, with
its curve parameter recorded so that a ring's reshaping can carry it to the new annulus), its
inner boundary the free edge, one closed loop. The anterior leaflet (the arc through A between
the commissures) and the posterior leaflet (the arc through P) are joined only by the
commissural tissue, a zone centred on each commissure where the leaflet is low; elsewhere the
gap between them is the orifice, so the two leaflets are separate surfaces along the
coaptation line and can touch each other when the valve closes, while the mesh stays one
manifold with consistent orientation. Triangles carry the labels ``anterior``, ``posterior``
and ``commissural``.

Heights are patient inputs in millimetres, never scaled to the annulus: functional MR is normal
leaflets on a dilated annulus, and the surplus (or shortage) of tissue against the annulus is
what decides coaptation. The defaults are absolute adult figures (:class:`LeafletSpec`).

The reference shape (a skirt of straight rulings leaning toward the orifice, heights measured
along the surface from the annulus to the free edge) is described in
:mod:`mvplan.valve.surface`; the meshing (near-equilateral, DistMesh) in
:mod:`mvplan.valve.meshing`. Everything is in the annulus's valve frame (mm);
``LeafletMesh.to_input_frame`` goes back to the input coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.curve import ClosedCurve
from mvplan.geometry.frames import RigidTransform
from mvplan.valve.meshing import mesh_strip
from mvplan.valve.surface import HeightProfile, LeafletSurface

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Largest edge of each named resolution, mm (every edge of the mesh is at most this long).
#: Standard is the coarsest edge from which every finer level of the mesh study keeps the
#: healthy closure's mean coaptation length within 0.5 mm of the fine mesh's (coarser levels
#: do not all: docs/validation.md section 6).
RESOLUTIONS: Mapping[str, float] = MappingProxyType({"coarse": 2.0, "standard": 1.2, "fine": 0.5})

#: Target (typical) edge as a fraction of the largest: DistMesh's edges spread to about 1.33
#: times the target, so this keeps them under the bound with few corrections.
SPACING_FRACTION = 0.75

#: Triangle labels.
LABELS: tuple[str, ...] = ("anterior", "posterior", "commissural")

#: Heights above this are not leaflets (the longest adult anterior leaflets are about 35 mm).
MAX_HEIGHT_MM = 50.0

_OPTION_KEYS = {
    "anterior": "anterior_height_mm",
    "posterior": "posterior_height_mm",
    "commissural": "commissural_height_mm",
}


@dataclass(frozen=True)
class LeafletSpec:
    """Leaflet dimensions, absolute (never scaled to the annulus).

    Attributes
    ----------
    anterior_height_mm : float
        Height of the anterior leaflet along its centre line (from A to the free edge), mm.
        Default 23: adult anterior leaflets measure about 22-26 mm (DOMAIN.md, unconfirmed),
        about twice the posterior; issue 7's example and the closure prototype
        (SOLVER-NOTES.md) use 23.
    posterior_height_mm : float
        Height of the posterior leaflet along its centre line (from P), mm. Default 13:
        adult posterior leaflets measure about 12-15 mm (DOMAIN.md, unconfirmed).
    commissural_height_mm : float
        Height of the commissural tissue, mm. Default 8: assumed (unconfirmed); the
        commissural leaflets are the lowest part of the valve. Krawczyk-Ozog et al.
        (J Thorac Cardiovasc Surg 2017;154(6), 200 normal autopsy hearts) measured commissure
        heights; this figure was not checked against that paper.
    commissural_width_mm : float
        Arc length of annulus, centred on each commissure, labelled commissural tissue, mm.
        Default 10: assumed (unconfirmed).
    opening_angle_deg : float
        Lean of the reference leaflets from the valve axis toward the orifice, degrees
        (0 = hanging straight, 90 = flat). Default 30: a partly open, diastolic-to-mid shape;
        a modelling choice (see :mod:`mvplan.valve.surface`), not a measurement. Where the
        annulus is sharply curved and the leaflet tall, the rulings lean less.
    """

    anterior_height_mm: float = 23.0
    posterior_height_mm: float = 13.0
    commissural_height_mm: float = 8.0
    commissural_width_mm: float = 10.0
    opening_angle_deg: float = 30.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(f"leaflet {_label(f.name)} must be a finite number, got {value!r}")
        for name in ("anterior_height_mm", "posterior_height_mm", "commissural_height_mm"):
            value = getattr(self, name)
            if not 0.0 < value <= MAX_HEIGHT_MM:
                raise InputError(
                    f"leaflet {_label(name)} must be above 0 and at most {MAX_HEIGHT_MM:g} mm, "
                    f"got {value:g}"
                )
        if self.commissural_height_mm > min(self.anterior_height_mm, self.posterior_height_mm):
            raise InputError(
                f"commissural height {self.commissural_height_mm:g} mm exceeds a leaflet height "
                f"(anterior {self.anterior_height_mm:g}, posterior {self.posterior_height_mm:g} mm)"
            )
        if self.commissural_width_mm <= 0.0:
            raise InputError(
                f"commissural width must be above 0 mm, got {self.commissural_width_mm:g}"
            )
        if not 0.0 <= self.opening_angle_deg <= 50.0:
            raise InputError(
                f"opening angle must be between 0 and 50 deg, got {self.opening_angle_deg:g}"
            )

    @classmethod
    def from_option(cls, text: str, base: LeafletSpec | None = None) -> LeafletSpec:
        """Parse a command-line value such as ``"anterior=23,posterior=13"`` (mm).

        Keys: ``anterior``, ``posterior``, ``commissural``; the others keep ``base`` (the
        defaults when not given).

        Raises
        ------
        InputError
            Unknown key, a value that is not a number, or a spec that is not valid.
        """
        values: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, value = item.partition("=")
            field_name = _OPTION_KEYS.get(key.strip().lower())
            if not sep or field_name is None:
                raise InputError(
                    f"--leaflets: cannot read {item!r} (expected key=mm with keys "
                    f"{', '.join(_OPTION_KEYS)})"
                )
            try:
                values[field_name] = float(value)
            except ValueError:
                raise InputError(f"--leaflets: {key.strip()} is not a number: {value!r}") from None
        return replace(base or cls(), **values)


def _label(field_name: str) -> str:
    return field_name.removesuffix("_mm").removesuffix("_deg").replace("_", " ")


@dataclass(frozen=True, eq=False)
class LeafletMesh:
    """The stress-free leaflets as one triangulated surface in the valve frame.

    Attributes
    ----------
    points : (N, 3) float, mm
        Node positions in the annulus's valve frame (reference, stress-free geometry).
    triangles : (M, 3) int
        Node indices; normals (right-hand rule) point to the atrial side.
    labels : (M,) str
        ``"anterior"``, ``"posterior"`` or ``"commissural"`` for each triangle.
    fibres : (M, 3) float
        Unit circumferential (fibre) direction in each triangle's plane: perpendicular to the
        radial direction (the ruling from the annulus to the free edge), hence parallel to the
        annulus near it; pointing the way the annulus parameter runs.
    attached_nodes : (na,) int
        Nodes on the annulus, in increasing curve parameter.
    attached_u : (na,) float
        Annulus curve parameter (``Annulus.curve``, fraction of the perimeter) of each
        attached node; the node is exactly the annulus point of that parameter.
    free_edge_nodes : (nf,) int
        Nodes of the free edge, in order along it (same direction as the annulus).
    node_u : (N,) float
        Curve parameter of the ruling each node lies on.
    node_depth_mm : (N,) float, mm
        Distance of each node from the annulus along its ruling (0 on the annulus, the local
        leaflet height on the free edge).
    node_height_mm : (N,) float, mm
        Leaflet height (annulus to free edge) along each node's ruling.
    landmark_u : mapping of str to float
        Curve parameters of A, P, ALC and PMC used to build the leaflets.
    perimeter_mm : float
        Length of the annulus the leaflets were built on, mm.
    to_input_frame : RigidTransform
        Valve frame to the annulus's input coordinates.
    spec : LeafletSpec
    resolution : str
        ``"coarse"``, ``"standard"``, ``"fine"`` or ``"custom"``.
    max_edge_mm : float
        Bound on every edge length, mm.
    """

    points: FloatArray
    triangles: IntArray
    labels: npt.NDArray[np.str_]
    fibres: FloatArray
    attached_nodes: IntArray
    attached_u: FloatArray
    free_edge_nodes: IntArray
    node_u: FloatArray
    node_depth_mm: FloatArray
    node_height_mm: FloatArray
    landmark_u: Mapping[str, float]
    perimeter_mm: float
    to_input_frame: RigidTransform
    spec: LeafletSpec
    resolution: str
    max_edge_mm: float

    def __post_init__(self) -> None:
        for name in (
            "points",
            "triangles",
            "labels",
            "fibres",
            "attached_nodes",
            "attached_u",
            "free_edge_nodes",
            "node_u",
            "node_depth_mm",
            "node_height_mm",
        ):
            getattr(self, name).setflags(write=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.points)

    @property
    def n_triangles(self) -> int:
        """Number of triangles."""
        return len(self.triangles)

    @property
    def points_input(self) -> FloatArray:
        """``(N, 3)`` float, mm: the nodes in the annulus's input coordinates."""
        return self.to_input_frame.apply(self.points)

    def edges(self) -> IntArray:
        """``(E, 2)`` int: the unique edges, smaller index first."""
        t = self.triangles
        pairs = np.sort(np.vstack([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
        return np.asarray(np.unique(pairs, axis=0), dtype=np.intp)

    def triangle_normals(self) -> FloatArray:
        """``(M, 3)`` unit normals (toward the atrium), valve frame."""
        p = self.points[self.triangles]
        n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        return np.asarray(n / np.linalg.norm(n, axis=1, keepdims=True))

    def triangle_areas(self) -> FloatArray:
        """``(M,)`` triangle areas, mm^2."""
        p = self.points[self.triangles]
        return np.asarray(
            0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
        )

    def area_mm2(self, label: str | None = None) -> float:
        """Area of the triangles with ``label`` (all when None), mm^2."""
        areas = self.triangle_areas()
        return float(areas.sum() if label is None else areas[self.labels == label].sum())

    def height_profile(self) -> HeightProfile:
        """The leaflet height along the annulus these leaflets were built with."""
        return HeightProfile(
            perimeter_mm=self.perimeter_mm,
            u_alc=self.landmark_u["ALC"],
            u_a=self.landmark_u["A"],
            u_pmc=self.landmark_u["PMC"],
            u_p=self.landmark_u["P"],
            anterior_mm=self.spec.anterior_height_mm,
            posterior_mm=self.spec.posterior_height_mm,
            commissural_mm=self.spec.commissural_height_mm,
            commissural_width_mm=self.spec.commissural_width_mm,
        )

    def node_regions(self) -> npt.NDArray[np.str_]:
        """``(N,)`` str: the region (a label of :data:`LABELS`) of each node's ruling."""
        return _labels(self.height_profile(), self.node_u)

    def summary(self) -> dict[str, Any]:
        """Counts, areas and edge lengths, for reports and logs."""
        e = self.edges()
        lengths = np.linalg.norm(self.points[e[:, 1]] - self.points[e[:, 0]], axis=1)
        return {
            "resolution": self.resolution,
            "max_edge_mm": self.max_edge_mm,
            "nodes": self.n_nodes,
            "triangles": self.n_triangles,
            "attached_nodes": len(self.attached_nodes),
            "free_edge_nodes": len(self.free_edge_nodes),
            "edge_mm": {
                "min": float(lengths.min()),
                "mean": float(lengths.mean()),
                "max": float(lengths.max()),
            },
            "area_mm2": {label: self.area_mm2(label) for label in LABELS}
            | {"total": self.area_mm2()},
            "heights_mm": {
                "anterior": self.spec.anterior_height_mm,
                "posterior": self.spec.posterior_height_mm,
                "commissural": self.spec.commissural_height_mm,
            },
        }


def _max_edge(resolution: str | float) -> tuple[str, float]:
    if isinstance(resolution, str):
        if resolution not in RESOLUTIONS:
            raise InputError(
                f"unknown leaflet resolution {resolution!r} (known: {', '.join(RESOLUTIONS)})"
            )
        return resolution, RESOLUTIONS[resolution]
    value = float(resolution)
    if not math.isfinite(value) or not 0.1 <= value <= 5.0:
        raise InputError(f"leaflet edge length must be between 0.1 and 5 mm, got {resolution!r}")
    return "custom", value


def _landmarks(annulus: Annulus) -> dict[str, float]:
    out = {}
    for name in ("A", "P", "ALC", "PMC"):
        if name not in annulus.landmarks:
            why = annulus.missing.get(name, "it is not known")
            raise GeometryError(
                f"leaflets need landmark {name}: {why}", source=annulus.source.name or None
            )
        out[name] = annulus.landmarks[name].u
    return out


def build_surface(annulus: Annulus, spec: LeafletSpec) -> LeafletSurface:
    """The reference leaflet surface of ``spec`` on ``annulus`` (valve frame).

    Raises
    ------
    GeometryError
        A landmark (A, P, ALC, PMC) is missing, the arcs between them are too short for the
        commissural zones, or the leaflets are too tall for this annulus (their rulings
        would meet, or their free edges cross, at rest).
    """
    marks = _landmarks(annulus)
    curve = ClosedCurve(annulus.points_valve)
    heights = HeightProfile(
        perimeter_mm=curve.length,
        u_alc=marks["ALC"],
        u_a=marks["A"],
        u_pmc=marks["PMC"],
        u_p=marks["P"],
        anterior_mm=spec.anterior_height_mm,
        posterior_mm=spec.posterior_height_mm,
        commissural_mm=spec.commissural_height_mm,
        commissural_width_mm=spec.commissural_width_mm,
    )
    surface = LeafletSurface(curve, heights, spec.opening_angle_deg)
    surface.check_stretch()
    surface.check_free_edge()
    return surface


def build_leaflets(
    annulus: Annulus, spec: LeafletSpec | None = None, resolution: str | float = "standard"
) -> LeafletMesh:
    """Build the stress-free leaflets on the native annulus.

    Parameters
    ----------
    annulus : Annulus
        The native annulus; needs A, P and both commissures (given or estimated).
    spec : LeafletSpec, optional
        Heights and shape; :class:`LeafletSpec` defaults when None.
    resolution : {"coarse", "standard", "fine"} or float
        Largest edge length: 2.0, 1.2, 0.5 mm, or a number of mm (0.1 to 5). Typical edges
        are three quarters of it.

    Returns
    -------
    LeafletMesh
        In the annulus's valve frame, mm.

    Raises
    ------
    InputError
        Unknown resolution.
    GeometryError
        Missing landmarks, or leaflets that do not fit the annulus (see
        :func:`build_surface`).
    """
    spec = spec or LeafletSpec()
    name, max_edge = _max_edge(resolution)
    surface = build_surface(annulus, spec)
    strip = mesh_strip(surface, SPACING_FRACTION * max_edge, max_edge)
    points = surface.position(strip.u, strip.t)
    triangles = strip.triangles
    normals = np.cross(
        points[triangles[:, 1]] - points[triangles[:, 0]],
        points[triangles[:, 2]] - points[triangles[:, 0]],
    )
    if normals[:, 2].sum() < 0:  # the curve runs clockwise seen from the atrium
        triangles = np.ascontiguousarray(triangles[:, [0, 2, 1]])
    u_centre, t_centre = _centroid_parameters(strip.u, strip.t, triangles)
    labels = _labels(surface.heights, u_centre)
    fibres = _fibres(surface, points, triangles, u_centre, t_centre)
    marks = _landmarks(annulus)
    return LeafletMesh(
        points=points,
        triangles=np.asarray(triangles, dtype=np.intp),
        labels=labels,
        fibres=fibres,
        attached_nodes=strip.attached,
        attached_u=strip.u[strip.attached].copy(),
        free_edge_nodes=strip.free_edge,
        node_u=strip.u,
        node_depth_mm=strip.t,
        node_height_mm=surface.height(strip.u),
        landmark_u=MappingProxyType(marks),
        perimeter_mm=surface.perimeter_mm,
        to_input_frame=annulus.to_valve_frame.inverse(),
        spec=spec,
        resolution=name,
        max_edge_mm=max_edge,
    )


def _centroid_parameters(
    u: FloatArray, t: FloatArray, triangles: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Surface parameters of the triangle centroids (``u`` averaged the short way round)."""
    uc = u[triangles]
    rel = np.mod(uc - uc[:, :1] + 0.5, 1.0) - 0.5
    return np.mod(uc[:, 0] + rel.mean(axis=1), 1.0), t[triangles].mean(axis=1)


def _labels(heights: HeightProfile, u_centre: FloatArray) -> npt.NDArray[np.str_]:
    anterior, _, _ = heights.locate(u_centre)
    labels = np.where(anterior, LABELS[0], LABELS[1])
    return np.asarray(np.where(heights.commissural(u_centre), LABELS[2], labels))


def _fibres(
    surface: LeafletSurface,
    points: FloatArray,
    triangles: IntArray,
    u_centre: FloatArray,
    t_centre: FloatArray,
) -> FloatArray:
    """Circumferential direction of each triangle: in its plane, perpendicular to the radial
    direction (the ruling, annulus to free edge), running the way the annulus does."""
    x_u, radial = surface.jacobian(u_centre, t_centre)
    p = points[triangles]
    n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    f = np.cross(n, radial)
    f *= np.sign(np.sum(f * x_u, axis=1))[:, None]
    return np.asarray(f / np.linalg.norm(f, axis=1, keepdims=True))
