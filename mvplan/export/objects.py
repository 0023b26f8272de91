"""The objects of a plan's scene as plain numpy meshes: what every scene file holds.

A plan with a percutaneous device has, instead of the ring and sutures, the objects of
:data:`DEVICE_OBJECTS` (the device's wire cinched and as placed, its anchors, the
coronary-sinus centreline before and after the cinch, the circumflex artery), built by
:mod:`mvplan.export.device_objects`, which describes them.

A ring plan, its simulation and its leaflet closure give up to eight objects, each a triangle
mesh in mm with an RGBA colour per vertex and named per-vertex values (and, for the
leaflets, per-triangle values):

``annulus_native``
    The annulus as read, a tube along its resampled curve. Values: ``height_mm``.
``annulus_reshaped``
    The annulus after the ring is tied (simulated plans). Values: ``height_mm``,
    ``strain``, ``displacement_mm`` (how far each node moved).
``ring``
    The device with its own cross-section: where it settled after a simulation, else as
    placed. Values: ``deformation_mm`` (simulated: its change of shape).
``sutures``
    Each mattress suture as a stitch over the ring (simulated), else a straight suture
    from ring point to annulus point. Values: ``suture``, ``force_n`` (simulated).
``leaflets_native``, ``leaflets_repaired``
    The closed leaflets (:func:`mvplan.workflow.simulate_closure`) on the native annulus
    and, with a device, on the reshaped one: the leaflet mesh at equilibrium under systolic
    pressure, coloured by the gap to the other leaflet (:func:`gap_colours`, the app's gap
    map: teal where they touch). Values per vertex: ``gap_mm`` (distance to the other
    leaflet, capped at :data:`~mvplan.valve.coaptation.DISTANCE_CAP_MM`; the commissural
    tissue, which belongs to neither leaflet and has no other leaflet, is given the cap),
    ``in_contact`` (1 within the contact tolerance, else 0), ``stress_mpa`` and
    ``green_strain`` (the area-weighted mean over the triangles at the vertex), ``region``
    and ``height_mm``. Values per
    triangle (``cell_values``): ``stress_mpa`` (largest principal Cauchy stress),
    ``green_strain`` (largest principal Green-Lagrange strain), ``gap_mm`` (at the
    centroid; the cap on commissural triangles), ``in_contact`` and ``region``.
``chordae_native``, ``chordae_repaired``
    The chordae of each closed valve: a thin tube per chord segment from its papillary tip
    to its leaflet insertion, its radius that of the chorda's cross-section (at least
    :data:`MIN_CHORD_RADIUS_MM`), coloured by tension on the suture-force map. Values:
    ``segment`` (1-based), ``tension_n``, ``basal`` (1 for a basal chorda, 0 marginal).

``height_mm`` is the height above the native annulus plane (valve-frame z) in every frame, so
a colour map means the same whichever frame the vertices are in. ``strain`` is the tissue's
engineering strain (mean of the two segments at a node), ``suture`` the suture's number
(1-based, ring order), ``region`` the leaflet region (0 anterior, 1 posterior, 2
commissural: :data:`REGION_CODES`). The colours are the scene's
(:mod:`mvplan.render.colours`): annuli by height (the native one grey beside a reshaped one,
as the app draws it), sutures and chordae by force, leaflets by gap.

The leaflet and chordae objects come from a :class:`~mvplan.workflow.ClosureOutcome` of the
same plan and simulation (``closure=``); without one they are not in the scene.

Frames: ``valve`` (the annulus valve frame, DESIGN.md section 2) or ``original`` (the input
file's coordinates, so an export overlays the patient's images): the results are computed in
the valve frame and carried back by the inverse of the annulus's rigid transform.

The names, their aliases and the frames are plain data here and the meshes are built with
VTK-backed colour maps imported inside the functions, so importing this module (and
``mvplan.export``) loads no VTK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError

if TYPE_CHECKING:
    from mvplan.export.device_objects import DeviceGeometry
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult
    from mvplan.planning.closure import ClosureModel
    from mvplan.render.sweep import TubeSurface
    from mvplan.rings.spec import RingSpec
    from mvplan.workflow import ClosureCase, ClosureOutcome

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]
RGB = tuple[float, float, float]

__all__ = [
    "ALIASES",
    "CLOSURE_OBJECTS",
    "CURVE_OBJECTS",
    "DEVICE_OBJECTS",
    "DISPLAY_COLOURS",
    "FRAMES",
    "OBJECT_NAMES",
    "REGION_CODES",
    "SceneCurve",
    "SceneObject",
    "check_frame",
    "frame_transform",
    "gap_colours",
    "plan_curves",
    "scene_objects",
    "select_objects",
]

#: The objects of the leaflet closure (:func:`mvplan.workflow.simulate_closure`).
CLOSURE_OBJECTS: tuple[str, ...] = (
    "leaflets_native",
    "leaflets_repaired",
    "chordae_native",
    "chordae_repaired",
)

#: The objects of a percutaneous device's plan (:mod:`mvplan.export.device_objects`).
DEVICE_OBJECTS: tuple[str, ...] = (
    "device_placed",
    "device",
    "anchors",
    "coronary_sinus_native",
    "coronary_sinus_cinched",
    "artery",
)

#: The objects of a plan's scene, in drawing order.
OBJECT_NAMES: tuple[str, ...] = (
    "annulus_native",
    "annulus_reshaped",
    "ring",
    "sutures",
    *CLOSURE_OBJECTS,
    *DEVICE_OBJECTS,
)

#: The objects that are curves, for files that hold curves (:func:`plan_curves`).
CURVE_OBJECTS: tuple[str, ...] = (
    "annulus_native",
    "annulus_reshaped",
    "ring",
    *(n for n in DEVICE_OBJECTS if n != "anchors"),
)

#: Names that select several objects; an alias takes those of its objects the plan has.
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "annulus": ("annulus_native", "annulus_reshaped"),
        "leaflets": ("leaflets_native", "leaflets_repaired"),
        "chordae": ("chordae_native", "chordae_repaired"),
        "closure": CLOSURE_OBJECTS,
        "coronary_sinus": ("coronary_sinus_native", "coronary_sinus_cinched"),
    }
)

#: ``region`` value of each leaflet region (per vertex and per triangle).
REGION_CODES: Mapping[str, int] = MappingProxyType(
    {"anterior": 0, "posterior": 1, "commissural": 2}
)

#: Frames of exported coordinates.
FRAMES: tuple[str, ...] = ("valve", "original")

#: One colour per object where a file holds one (Slicer markups): distinct from each other
#: and from the grey of cardiac images. The ring and sutures keep the app's theme colours.
DISPLAY_COLOURS: Mapping[str, RGB] = MappingProxyType(
    {
        "annulus_native": (0.30, 0.62, 0.95),
        "annulus_reshaped": (0.95, 0.35, 0.25),
        "ring": (0.95, 0.92, 0.84),
        "sutures": (0.30, 0.80, 0.50),
        "landmarks": (1.00, 0.74, 0.30),
        "device": (0.78, 0.80, 0.84),
        "device_placed": (0.50, 0.52, 0.58),
        "anchors": (0.98, 0.80, 0.25),
        "coronary_sinus_native": (0.55, 0.50, 0.75),
        "coronary_sinus_cinched": (0.45, 0.30, 0.85),
        "artery": (0.85, 0.12, 0.15),
    }
)

#: Sections along the ring's tube (the app's: smooth at 1280 x 800).
RING_SECTIONS = 256
#: Points around a suture's section (thin tubes need fewer than the annulus's 20).
SUTURE_SIDES = 10
#: Suture segments shorter than this are left out (a tube needs a direction), mm.
MIN_SEGMENT_MM = 1e-6
#: Thinnest chord tube, mm: a marginal branch (0.4 mm^2 over three branches) would be
#: 0.2 mm thick, and thinner tubes vanish in a viewer.
MIN_CHORD_RADIUS_MM = 0.2


@dataclass(frozen=True, eq=False)
class SceneObject:
    """One object of a plan's scene as a triangle mesh.

    Attributes
    ----------
    name : str
        One of :data:`OBJECT_NAMES`.
    vertices : (m, 3) float, mm
        In the frame the object was built in (``frame``).
    faces : (f, 3) int
        Triangles, counter-clockwise seen from outside.
    colours : (m, 4) uint8
        RGBA per vertex.
    values : mapping of str to (m,) float
        Named per-vertex values (module docstring), in the units their names say.
    frame : str
        ``valve`` or ``original``.
    description : str
        One line saying what the object is and what its colours mean.
    cell_values : mapping of str to (f,) float
        Named per-triangle values (the leaflets'; empty for the other objects). Written by
        the formats that hold them (VTK, PLY).
    """

    name: str
    vertices: FloatArray
    faces: IntArray
    colours: UInt8Array
    values: Mapping[str, FloatArray]
    frame: str
    description: str = ""
    cell_values: Mapping[str, FloatArray] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, eq=False)
class SceneCurve:
    """The centreline of an object of the scene.

    Attributes
    ----------
    name : str
        ``annulus_native``, ``annulus_reshaped`` or ``ring``.
    points : (k, 3) float, mm
        In order; a closed curve does not repeat its first point.
    closed : bool
        False for a band.
    colour : (float, float, float)
        Its display colour (:data:`DISPLAY_COLOURS`), RGB in [0, 1].
    """

    name: str
    points: FloatArray
    closed: bool
    colour: RGB


def check_frame(frame: str) -> str:
    """``frame`` if it is one of :data:`FRAMES`, else an :class:`InputError`."""
    if frame not in FRAMES:
        raise InputError(f"unknown frame {frame!r}; use {' or '.join(FRAMES)}")
    return frame


def select_objects(objects: str | Iterable[str] | None) -> dict[str, bool] | None:
    """Parse an object selection: ``"annulus,ring"`` or a sequence of names.

    Parameters
    ----------
    objects : str, iterable of str or None
        Names of :data:`OBJECT_NAMES` or :data:`ALIASES`, comma-separated in a string;
        case, spaces around names and hyphens for underscores (``leaflets-native``) are
        ignored. None selects everything the plan has.

    Returns
    -------
    dict of str to bool or None
        The selected objects in :data:`OBJECT_NAMES` order, each True when named itself
        (it must exist) and False when it came through an alias (taken if the plan has
        it); None for None.

    Raises
    ------
    InputError
        An unknown name, or an empty selection.
    """
    if objects is None:
        return None
    items = objects.split(",") if isinstance(objects, str) else list(objects)
    names = [str(item).strip().lower().replace("-", "_") for item in items if str(item).strip()]
    if not names:
        raise InputError(f"no objects given; use {', '.join((*OBJECT_NAMES, *ALIASES))}")
    named: dict[str, bool] = {}
    for name in names:
        if name in ALIASES:
            for member in ALIASES[name]:
                named.setdefault(member, False)
        elif name in OBJECT_NAMES:
            named[name] = True
        else:
            known = ", ".join((*OBJECT_NAMES, *ALIASES))
            raise InputError(f"unknown object {name!r}; use one or more of {known}")
    return {n: named[n] for n in OBJECT_NAMES if n in named}


def _resolve_spec(plan: Plan, spec: RingSpec | None) -> RingSpec | None:
    if spec is None and plan.ring is not None:
        from mvplan.workflow import ring_spec  # the catalogue only when the caller has no spec

        return ring_spec(plan)
    return spec


def _missing(
    plan: Plan,
    result: AnnuloplastyResult | None,
    name: str,
    closure: ClosureOutcome | None = None,
) -> str | None:
    """Why the plan has no object ``name`` (None: it has it)."""
    if name in CLOSURE_OBJECTS:
        if closure is None:
            return f"the leaflet closure was not simulated: there are no {name}"
        if name.endswith("_repaired") and closure.repaired is None:
            return f"the closure has no repaired valve (no device was simulated): no {name}"
        return None
    if name in DEVICE_OBJECTS:
        from mvplan.export.device_objects import device_missing

        return device_missing(plan, result, name)
    if name in ("ring", "sutures") and plan.has_device:
        return f"the plan's device is percutaneous (no ring, no sutures): it has no {name}"
    has_ring = plan.ring is not None and plan.placement is not None
    if name == "annulus_reshaped" and result is None:
        return "the plan has not been simulated: it has no annulus_reshaped"
    if name in ("ring", "sutures") and not has_ring:
        return f"the plan has no ring: it has no {name}"
    if name == "sutures":
        assert plan.placement is not None
        if not plan.placement.sutures:
            return "the plan's ring has no sutures"
        if result is not None and _legs(result) is None:
            return "the simulation result holds no suture model: it has no sutures"
    return None


def _chosen(
    plan: Plan,
    result: AnnuloplastyResult | None,
    objects: str | Iterable[str] | None,
    allowed: tuple[str, ...] = OBJECT_NAMES,
    what: str = "a scene",
    closure: ClosureOutcome | None = None,
) -> list[str]:
    """The objects to build: the selection, less alias members the plan lacks."""
    selection = select_objects(objects)
    if selection is None:
        return [n for n in allowed if _missing(plan, result, n, closure) is None]
    for name, explicit in selection.items():
        if explicit and name not in allowed:
            raise InputError(f"{what} holds {', '.join(allowed)}; it cannot hold {name}")
        reason = _missing(plan, result, name, closure) if explicit else None
        if reason is not None:
            raise InputError(reason)
    return [n for n in selection if n in allowed and _missing(plan, result, n, closure) is None]


def frame_transform(plan: Plan, frame: str) -> Callable[[FloatArray], FloatArray]:
    """The map from valve-frame points ``(..., 3)`` mm to ``frame`` (:data:`FRAMES`):
    the identity, or the inverse of the annulus's rigid transform to its valve frame.

    Raises
    ------
    InputError
        An unknown frame.
    """
    if check_frame(frame) == "valve":
        return lambda p: np.asarray(p, dtype=float)
    back = plan.annulus.to_valve_frame.inverse()
    return lambda p: np.asarray(back.apply(np.asarray(p, dtype=float)))


# -- centrelines (valve frame) -------------------------------------------------------------


def _ring_valve(
    plan: Plan, result: AnnuloplastyResult | None, spec: RingSpec | None
) -> tuple[FloatArray, bool] | None:
    """The ring's centreline ``(RING_SECTIONS, 3)`` in the valve frame and whether it is
    closed: where it settled, else as placed; None without a ring."""
    from mvplan.render.sweep import resample_polyline
    from mvplan.rings.geometry import ring_centerline

    if spec is None or plan.placement is None:
        return None
    if result is not None:
        settled = np.asarray(result.ring_after_valve, dtype=float)
        if settled.shape[0] < 4:
            return None
        return resample_polyline(settled, spec.closed, RING_SECTIONS), spec.closed
    centre = plan.placement.pose.apply(ring_centerline(spec, RING_SECTIONS))
    return np.asarray(centre), spec.closed


def plan_curves(
    plan: Plan,
    result: AnnuloplastyResult | None = None,
    spec: RingSpec | None = None,
    *,
    objects: str | Iterable[str] | None = None,
    frame: str = "valve",
) -> dict[str, SceneCurve]:
    """The centrelines of the plan's annuli and ring, for files that hold curves.

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult, optional
        The plan's simulation; without it there is no reshaped annulus and the ring is
        where it was placed.
    spec : RingSpec, optional
        The plan's ring (default :func:`mvplan.workflow.ring_spec`).
    objects : str or iterable of str, optional
        Names of :data:`CURVE_OBJECTS` (``annulus_native``, ``annulus_reshaped``, ``ring``;
        a device's ``device``, ``device_placed``, ``coronary_sinus_native``,
        ``coronary_sinus_cinched``, ``artery``) or the aliases ``annulus`` and
        ``coronary_sinus`` (:func:`select_objects`); default all the plan has.
    frame : str
        ``valve`` or ``original``.

    Returns
    -------
    dict of str to SceneCurve
        Native annulus: its resampled curve (<= 1 mm spacing); reshaped: the mechanics
        nodes; ring: :data:`RING_SECTIONS` points along its centreline (a band's ends
        included); a device's curves: their nodes (open curves).

    Raises
    ------
    InputError
        A bad selection or frame, or an object named that the plan does not have.
    """
    to_frame = frame_transform(plan, frame)
    spec = _resolve_spec(plan, spec)
    names = _chosen(plan, result, objects, CURVE_OBJECTS, "a markups file")
    out: dict[str, SceneCurve] = {}
    device = _device_geometry(plan, result, names)
    for name in names:
        if name in DEVICE_OBJECTS:
            from mvplan.export.device_objects import device_curve

            curve = None if device is None else device_curve(device, name)
            if curve is None and name == "artery" and plan.artery is not None:
                curve = np.asarray(plan.artery.points_valve, dtype=float)
            if curve is None:
                continue
            points, closed = curve, False
        elif name == "annulus_native":
            points, closed = np.asarray(plan.annulus.points_valve), True
        elif name == "annulus_reshaped":
            assert result is not None
            points, closed = np.asarray(result.annulus_after_valve, dtype=float), True
        else:
            ring = _ring_valve(plan, result, spec)
            if ring is None:
                continue
            points, closed = ring
        out[name] = SceneCurve(name, to_frame(points), closed, DISPLAY_COLOURS[name])
    return out


def _device_geometry(
    plan: Plan, result: AnnuloplastyResult | None, names: list[str]
) -> DeviceGeometry | None:
    """The device's geometry when ``names`` hold a device curve (None otherwise)."""
    if not any(n in DEVICE_OBJECTS for n in names):
        return None
    from mvplan.export.device_objects import device_geometry

    return device_geometry(plan, result)


# -- meshes ----------------------------------------------------------------------------------


def _section_index(n: int, n_around: int, n_vertices: int) -> IntArray:
    """The centreline section ``(v,)`` of each vertex of a tube of ``n`` sections
    (:class:`~mvplan.render.sweep.TubeSurface` order: sections, then an open tube's cap
    rims at its first and last sections and the two cap centres)."""
    index = np.repeat(np.arange(n), n_around)
    if n_vertices > index.size:  # an open tube's caps
        caps = [np.zeros(n_around), np.full(n_around, n - 1), [0, n - 1]]
        index = np.concatenate([index, *caps])
    return np.asarray(index, dtype=np.int64)


def _rgba(rgb: npt.ArrayLike) -> UInt8Array:
    """RGB floats ``(..., 3)`` in [0, 1] -> opaque RGBA ``(..., 4)`` uint8."""
    c = np.clip(np.rint(np.asarray(rgb, dtype=float) * 255.0), 0, 255)
    alpha = np.full((*c.shape[:-1], 1), 255.0)
    return np.concatenate([c, alpha], axis=-1).astype(np.uint8)


def _tube_object(
    name: str,
    surface: TubeSurface,
    n_sections: int,
    section_rgb: npt.ArrayLike,
    section_values: Mapping[str, npt.ArrayLike],
    description: str,
) -> SceneObject:
    """A tube's mesh with its section colours ``(n, 3)`` (or one RGB) and section values
    ``(n,)`` spread to its vertices; valve frame."""
    n_vertices = surface.vertices.shape[0]
    index = _section_index(n_sections, n_vertices // n_sections, n_vertices)
    rgb = np.asarray(section_rgb, dtype=float)
    colours = _rgba(rgb[index] if rgb.ndim == 2 else np.broadcast_to(rgb, (n_vertices, 3)))
    values = {k: np.asarray(v, dtype=float)[index] for k, v in section_values.items()}
    return _valve_object(name, surface.vertices, surface.faces, colours, values, description)


def _valve_object(
    name: str,
    vertices: FloatArray,
    faces: IntArray,
    colours: UInt8Array,
    values: Mapping[str, FloatArray],
    description: str,
    cell_values: Mapping[str, FloatArray] | None = None,
) -> SceneObject:
    return SceneObject(
        name=name,
        vertices=np.asarray(vertices, dtype=float),
        faces=np.asarray(faces, dtype=np.int64),
        colours=np.ascontiguousarray(colours, dtype=np.uint8),
        values=MappingProxyType(dict(values)),
        frame="valve",
        description=description,
        cell_values=MappingProxyType(
            {k: np.asarray(v, dtype=float) for k, v in (cell_values or {}).items()}
        ),
    )


def _node_strain(strain: FloatArray) -> FloatArray:
    """Per-node strain ``(n,)`` of a closed polyline from its per-segment strain (segment
    ``i`` joins nodes ``i`` and ``i + 1``): the mean of the two segments at each node."""
    return np.asarray(0.5 * (strain + np.roll(strain, 1)))


def _along(points: FloatArray, closed: bool) -> FloatArray:
    """Chord-length fractions ``(n,)`` of polyline points, the parameter that
    :func:`~mvplan.render.sweep.resample_polyline` samples evenly."""
    path = np.vstack([points, points[:1]]) if closed else points
    cumulative = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    fractions = cumulative / cumulative[-1]
    return np.asarray(fractions[:-1] if closed else fractions)


def _upward_normal(points: FloatArray) -> FloatArray:
    """Least-squares plane normal of ``points (m, 3)``, toward +z (the atrium)."""
    normal = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)[2][-1]
    return np.asarray(normal if normal[2] >= 0 else -normal)


def _legs(result: AnnuloplastyResult) -> tuple[FloatArray, FloatArray] | None:
    from mvplan.render.layers import suture_legs

    return suture_legs(result)


def _segments_object(
    name: str,
    starts: FloatArray,
    ends: FloatArray,
    radius: float | FloatArray,
    rgb: FloatArray,
    values: Mapping[str, FloatArray],
    description: str,
) -> SceneObject:
    """Straight capped tubes from ``starts (s, 3)`` to ``ends (s, 3)``, each with its own
    colour ``rgb (s, 3)``, values ``(s,)`` and radius (one, or ``(s,)`` mm); valve frame."""
    from mvplan.render.sweep import sweep_tube

    radii = np.broadcast_to(np.asarray(radius, dtype=float), (len(starts),))
    vertices, faces, colours = [], [], []
    per_vertex: dict[str, list[FloatArray]] = {k: [] for k in values}
    offset = 0
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        direction = b - a
        length = float(np.linalg.norm(direction))
        if length < MIN_SEGMENT_MM:
            continue
        # Any vector across the segment serves as the sections' up (a round tube).
        up = np.cross(direction / length, np.eye(3)[int(np.argmin(np.abs(direction)))])
        tube = sweep_tube(
            np.vstack([a, b]), False, float(radii[i]), n_around=SUTURE_SIDES, up_hint=up
        )
        m = tube.vertices.shape[0]
        vertices.append(tube.vertices)
        faces.append(tube.faces + offset)
        colours.append(np.broadcast_to(_rgba(rgb[i]), (m, 4)))
        for key, v in values.items():
            per_vertex[key].append(np.full(m, float(v[i])))
        offset += m
    return _valve_object(
        name,
        np.vstack(vertices) if vertices else np.zeros((0, 3)),
        np.vstack(faces) if faces else np.zeros((0, 3), np.int64),
        np.vstack(colours) if colours else np.zeros((0, 4), np.uint8),
        {k: np.concatenate(v) if v else np.zeros(0) for k, v in per_vertex.items()},
        description,
    )


def _sutures(plan: Plan, result: AnnuloplastyResult | None, spec: RingSpec) -> SceneObject:
    """Sutures as placed (ring point to annulus point), or the result's tied stitches drawn
    as the app draws them (:class:`mvplan.render.layers.ResultLayer`), valve frame."""
    from mvplan.planning.sutures import suture_points
    from mvplan.render.colours import THEMES, force_colours
    from mvplan.render.layers import STITCH_RADIUS_MM, SUTURE_RADIUS_MM

    placement = plan.placement
    assert placement is not None
    if result is None:
        ring_pts, annulus_pts = suture_points(plan.annulus, spec, placement.pose, placement.sutures)
        k = ring_pts.shape[0]
        rgb = np.tile(THEMES["dark"].suture, (k, 1))
        number = {"suture": np.arange(1.0, k + 1.0)}
        text = "sutures as placed, ring point to annulus point"
        return _segments_object(
            "sutures", ring_pts, annulus_pts, SUTURE_RADIUS_MM, rgb, number, text
        )
    legs = _legs(result)
    assert legs is not None
    annulus_legs, ring_legs = legs
    forces = np.asarray(result.suture_forces_n, dtype=float)
    k = forces.size
    up = _upward_normal(np.asarray(result.ring_after_valve, dtype=float))
    lift = up * (0.5 * spec.cross_section.height_mm + 0.6 * STITCH_RADIUS_MM)
    # A horizontal mattress: into the tissue at one leg, up through the ring's cuff and over
    # its top, down through the cuff at the other leg, back through the tissue.
    a1, a2 = annulus_legs[:k], annulus_legs[k:]
    r1, r2 = ring_legs[:k] + lift, ring_legs[k:] + lift
    starts, ends = np.vstack([a1, r1, r2, a2]), np.vstack([r1, r2, a2, a1])
    values = {"suture": np.tile(np.arange(1.0, k + 1.0), 4), "force_n": np.tile(forces, 4)}
    rgb = np.tile(force_colours(forces), (4, 1))
    text = "tied mattress sutures, coloured by force (green 0 N to red 4 N)"
    return _segments_object("sutures", starts, ends, STITCH_RADIUS_MM, rgb, values, text)


def _ring(plan: Plan, result: AnnuloplastyResult | None, spec: RingSpec) -> SceneObject | None:
    """The ring's tube with the device's elliptical cross-section, valve frame."""
    from mvplan.render.colours import THEMES
    from mvplan.render.sweep import sweep_tube
    from mvplan.rings.geometry import ring_centerline

    placement = plan.placement
    assert placement is not None
    half_w, half_h = 0.5 * spec.cross_section.width_mm, 0.5 * spec.cross_section.height_mm
    colour = THEMES["dark"].ring
    if result is None:
        # Swept in the ring's own frame, where its plane is z = 0, then posed.
        centre = ring_centerline(spec, RING_SECTIONS)
        tube = sweep_tube(centre, spec.closed, half_w, half_h)
        posed = type(tube)(placement.pose.apply(tube.vertices), tube.normals, tube.faces)
        return _tube_object("ring", posed, RING_SECTIONS, colour, {}, "the ring as placed")
    ring = _ring_valve(plan, result, spec)
    if ring is None:
        return None
    centre, closed = ring
    settled = np.asarray(result.ring_after_valve, dtype=float)
    up = _upward_normal(settled)
    tube = sweep_tube(centre, closed, half_w, half_h, up_hint=up)
    # The solved ring's nodes are uneven (extra nodes at the suture legs): carry their
    # deformation to the even sections by the chord-length parameter both share.
    samples = (
        np.arange(RING_SECTIONS) / RING_SECTIONS if closed else np.linspace(0, 1, RING_SECTIONS)
    )
    deformation = np.interp(
        samples,
        _along(settled, closed),
        np.asarray(result.ring_deformation_mm, dtype=float),
        period=1.0 if closed else None,
    )
    values = {"deformation_mm": deformation}
    return _tube_object("ring", tube, RING_SECTIONS, colour, values, "the ring where it settled")


def _annuli(plan: Plan, result: AnnuloplastyResult | None, names: list[str]) -> list[SceneObject]:
    """The annulus tubes, coloured by height over one range shared by both (as the app)."""
    from mvplan.render.colours import THEMES, height_colours, height_range
    from mvplan.render.layers import ANNULUS_RADIUS_MM, FADED_RADIUS_MM
    from mvplan.render.sweep import sweep_tube

    native = np.asarray(plan.annulus.points_valve)
    after = None if result is None else np.asarray(result.annulus_after_valve, dtype=float)
    heights = [native[:, 2]] + ([] if after is None else [after[:, 2]])
    half = height_range(np.concatenate(heights))[1]
    built = []
    if "annulus_native" in names:
        n = native.shape[0]
        if after is None:
            radius, rgb = ANNULUS_RADIUS_MM, height_colours(native[:, 2], half)
            text = f"native annulus, coloured by height above its plane (+-{half:g} mm)"
        else:
            # Beside the reshaped annulus it is thinner (the two coincide where the ring
            # does not move the tissue) and grey, as the app draws it.
            radius, rgb = FADED_RADIUS_MM, np.asarray(THEMES["dark"].native_faded)
            text = "native annulus, before the ring"
        tube = sweep_tube(native, True, radius)
        values = {"height_mm": native[:, 2]}
        built.append(_tube_object("annulus_native", tube, n, rgb, values, text))
    if "annulus_reshaped" in names:
        assert result is not None and after is not None
        before = np.asarray(result.annulus_before_valve, dtype=float)
        values = {
            "height_mm": after[:, 2],
            "strain": _node_strain(np.asarray(result.tissue_strain, dtype=float)),
            "displacement_mm": np.linalg.norm(after - before, axis=1),
        }
        tube = sweep_tube(after, True, ANNULUS_RADIUS_MM)
        rgb = height_colours(after[:, 2], half)
        text = f"reshaped annulus, coloured by height above the native plane (+-{half:g} mm)"
        built.append(_tube_object("annulus_reshaped", tube, after.shape[0], rgb, values, text))
    return built


def gap_colours(gap_mm: npt.ArrayLike) -> FloatArray:
    """RGB ``(n, 3)`` in [0, 1] of leaflet gaps ``(n,)`` mm on the app's gap map
    (:func:`mvplan.render.colours.gap_transfer_function`: teal where the leaflets touch,
    amber about 1.5 mm apart, the tissue colour at 5 mm and beyond; NaN the tissue colour),
    so that an exported scene, the report and the app colour a gap alike."""
    from mvplan.render.colours import gap_transfer_function

    ctf = gap_transfer_function()
    values = np.asarray(gap_mm, dtype=float).reshape(-1)
    return np.array([ctf.GetColor(float(v)) for v in values], dtype=float).reshape(-1, 3)


def _node_mean(n_nodes: int, faces: IntArray, per_face: FloatArray, area: FloatArray) -> FloatArray:
    """Area-weighted mean ``(n,)`` over the triangles at each node of a per-triangle value."""
    total = np.zeros(n_nodes)
    weight = np.zeros(n_nodes)
    for corner in range(3):
        np.add.at(total, faces[:, corner], area * per_face)
        np.add.at(weight, faces[:, corner], area)
    return np.asarray(np.divide(total, weight, out=np.zeros(n_nodes), where=weight > 0))


def _leaflets(name: str, case: ClosureCase, model: ClosureModel, which: str) -> SceneObject:
    """The closed leaflet mesh of one case, coloured by gap, with its values; valve frame."""
    from mvplan.valve.coaptation import DISTANCE_CAP_MM

    mesh, coaptation, closed = model.mesh, case.coaptation, case.result
    points = np.asarray(closed.leaflet_points, dtype=float)
    faces = np.asarray(mesh.triangles, dtype=np.int64)
    corners = points[faces]
    area = 0.5 * np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    stress = np.asarray(closed.membrane_stress_mpa, dtype=float)
    strain = np.asarray(closed.membrane_strain, dtype=float)
    # The commissural tissue has no other leaflet: NaN there, given the cap (module doc).
    gap = np.nan_to_num(np.asarray(coaptation.node_distance_mm, float), nan=DISTANCE_CAP_MM)
    cell_gap = np.asarray(coaptation.triangle_distance_mm, dtype=float)
    cell_gap = np.nan_to_num(cell_gap, nan=DISTANCE_CAP_MM)
    n = points.shape[0]
    tolerance = float(coaptation.contact_tolerance_mm)
    values = {
        "gap_mm": gap,
        "in_contact": np.asarray(coaptation.node_in_contact, dtype=float),
        "stress_mpa": _node_mean(n, faces, stress, area),
        "green_strain": _node_mean(n, faces, strain, area),
        "region": np.array([REGION_CODES[str(r)] for r in mesh.node_regions()], dtype=float),
        "height_mm": points[:, 2],
    }
    cells = {
        "stress_mpa": stress,
        "green_strain": strain,
        "gap_mm": cell_gap,
        "in_contact": np.asarray(coaptation.triangle_in_contact, dtype=float),
        "region": np.array([REGION_CODES[str(r)] for r in mesh.labels], dtype=float),
    }
    text = (
        f"{which} leaflets closed under systolic pressure, coloured by the gap to the other "
        f"leaflet (teal: touching; amber: 1.5 mm; tissue colour: 5 mm or more); in contact: "
        f"within {tolerance:g} mm"
    )
    colours = _rgba(gap_colours(gap))
    return _valve_object(name, points, faces, colours, values, text, cells)


def _chordae(name: str, case: ClosureCase, model: ClosureModel, which: str) -> SceneObject:
    """The chord segments of one case, tubes from tip to insertion coloured by tension."""
    from mvplan.render.colours import force_colours

    chordae, closed = model.chordae, case.result
    n = model.n_leaflet_nodes
    x = np.asarray(closed.x, dtype=float)
    segments = chordae.segments(x[:n], x[n : n + 2])
    tension = np.asarray(closed.chord_tensions_n, dtype=float)
    spec = chordae.spec
    area = np.where(
        chordae.kind == "marginal",
        spec.marginal_area_mm2 / max(spec.marginal_branches, 1),
        spec.basal_area_mm2,
    )
    radius = np.maximum(np.sqrt(area / np.pi), MIN_CHORD_RADIUS_MM)
    count = segments.shape[0]
    values = {
        "segment": np.arange(1.0, count + 1.0),
        "tension_n": tension,
        "basal": (chordae.kind == "basal").astype(float),
    }
    text = f"{which} chordae, tip to insertion, coloured by tension (green 0 N to red 4 N)"
    return _segments_object(
        name, segments[:, 0], segments[:, 1], radius, force_colours(tension), values, text
    )


def _closure_objects(closure: ClosureOutcome, names: list[str]) -> list[SceneObject]:
    built = []
    for name in CLOSURE_OBJECTS:
        if name not in names:
            continue
        which = name.split("_")[1]
        case = closure.native if which == "native" else closure.repaired
        assert case is not None  # _missing ruled it out
        build = _leaflets if name.startswith("leaflets") else _chordae
        built.append(build(name, case, closure.model, which))
    return built


def scene_objects(
    plan: Plan,
    result: AnnuloplastyResult | None = None,
    spec: RingSpec | None = None,
    *,
    objects: str | Iterable[str] | None = None,
    frame: str = "valve",
    closure: ClosureOutcome | None = None,
) -> list[SceneObject]:
    """Build the objects of a plan's scene as meshes.

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult, optional
        A simulation of exactly this plan (:func:`mvplan.workflow.simulate_plan`); without
        it the ring and sutures are drawn as placed and there is no reshaped annulus.
    spec : RingSpec, optional
        The plan's ring (default :func:`mvplan.workflow.ring_spec`).
    objects : str or iterable of str, optional
        A selection (:func:`select_objects`): names of :data:`OBJECT_NAMES` or
        :data:`ALIASES`; default every object the plan has.
    frame : str
        ``valve`` (the annulus valve frame) or ``original`` (the input file's coordinates).
    closure : ClosureOutcome, optional
        The leaflet closure of this plan and ``result``
        (:func:`mvplan.workflow.simulate_closure`): adds the leaflets and chordae, native
        and (with a device) repaired.

    Returns
    -------
    list of SceneObject
        In :data:`OBJECT_NAMES` order, vertices in ``frame``, mm.

    Raises
    ------
    InputError
        A bad selection or frame, or an object named that the plan does not have (an
        alias takes only the objects the plan has).
    """
    to_frame = frame_transform(plan, frame)
    spec = _resolve_spec(plan, spec)
    names = _chosen(plan, result, objects, closure=closure)
    built = _annuli(plan, result, names)
    if spec is not None and "ring" in names:
        ring = _ring(plan, result, spec)
        if ring is not None:  # a result with no ring nodes has no ring to draw
            built.append(ring)
    if spec is not None and "sutures" in names:
        built.append(_sutures(plan, result, spec))
    if closure is not None:
        built += _closure_objects(closure, names)
    if any(n in DEVICE_OBJECTS for n in names):
        from mvplan.export.device_objects import device_objects

        built += device_objects(plan, result, names)
    return [replace(obj, vertices=to_frame(obj.vertices), frame=frame) for obj in built]
