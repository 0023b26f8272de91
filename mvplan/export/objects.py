"""The objects of a plan's scene as plain numpy meshes: what every scene file holds.

A plan and its simulation give up to four objects, each a triangle mesh in mm with an RGBA
colour per vertex and named per-vertex values:

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

``height_mm`` is the height above the native annulus plane (valve-frame z) in every frame, so
a colour map means the same whichever frame the vertices are in. ``strain`` is the tissue's
engineering strain (mean of the two segments at a node), ``suture`` the suture's number
(1-based, ring order). The colours are the scene's (:mod:`mvplan.render.colours`): annuli by
height (the native one grey beside a reshaped one, as the app draws it), sutures by force.

Frames: ``valve`` (the annulus valve frame, DESIGN.md section 2) or ``original`` (the input
file's coordinates, so an export overlays the patient's images): the results are computed in
the valve frame and carried back by the inverse of the annulus's rigid transform.

The names, their aliases and the frames are plain data here and the meshes are built with
VTK-backed colour maps imported inside the functions, so importing this module (and
``mvplan.export``) loads no VTK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError

if TYPE_CHECKING:
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult
    from mvplan.render.sweep import TubeSurface
    from mvplan.rings.spec import RingSpec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]
RGB = tuple[float, float, float]

__all__ = [
    "ALIASES",
    "DISPLAY_COLOURS",
    "FRAMES",
    "OBJECT_NAMES",
    "SceneCurve",
    "SceneObject",
    "check_frame",
    "frame_transform",
    "plan_curves",
    "scene_objects",
    "select_objects",
]

#: The objects of a plan's scene, in drawing order. ``leaflets`` joins them with the closure
#: simulation (DESIGN.md section 6): add its builder to :func:`scene_objects` and drop it
#: from :data:`PLANNED`.
OBJECT_NAMES: tuple[str, ...] = ("annulus_native", "annulus_reshaped", "ring", "sutures")

#: Names that select several objects; an alias takes those of its objects the plan has.
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"annulus": ("annulus_native", "annulus_reshaped")}
)

#: Objects not built yet, and why (a clearer answer than "unknown object").
PLANNED: Mapping[str, str] = MappingProxyType(
    {"leaflets": "leaflets are not modelled yet (they come with the closure simulation)"}
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
    }
)

#: Sections along the ring's tube (the app's: smooth at 1280 x 800).
RING_SECTIONS = 256
#: Points around a suture's section (thin tubes need fewer than the annulus's 20).
SUTURE_SIDES = 10
#: Suture segments shorter than this are left out (a tube needs a direction), mm.
MIN_SEGMENT_MM = 1e-6


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
    """

    name: str
    vertices: FloatArray
    faces: IntArray
    colours: UInt8Array
    values: Mapping[str, FloatArray]
    frame: str
    description: str = ""


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
        case and spaces around names are ignored. None selects everything the plan has.

    Returns
    -------
    dict of str to bool or None
        The selected objects in :data:`OBJECT_NAMES` order, each True when named itself
        (it must exist) and False when it came through an alias (taken if the plan has
        it); None for None.

    Raises
    ------
    InputError
        An unknown or not yet modelled name, or an empty selection.
    """
    if objects is None:
        return None
    items = objects.split(",") if isinstance(objects, str) else list(objects)
    names = [str(item).strip().lower() for item in items if str(item).strip()]
    if not names:
        raise InputError(f"no objects given; use {', '.join((*OBJECT_NAMES, *ALIASES))}")
    named: dict[str, bool] = {}
    for name in names:
        if name in PLANNED:
            raise InputError(PLANNED[name])
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


def _missing(plan: Plan, result: AnnuloplastyResult | None, name: str) -> str | None:
    """Why the plan has no object ``name`` (None: it has it)."""
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
) -> list[str]:
    """The objects to build: the selection, less alias members the plan lacks."""
    selection = select_objects(objects)
    if selection is None:
        return [n for n in allowed if _missing(plan, result, n) is None]
    for name, explicit in selection.items():
        if explicit and name not in allowed:
            raise InputError(f"{what} holds {', '.join(allowed)}; it cannot hold {name}")
        reason = _missing(plan, result, name) if explicit else None
        if reason is not None:
            raise InputError(reason)
    return [n for n in selection if n in allowed and _missing(plan, result, n) is None]


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
        ``annulus_native``, ``annulus_reshaped``, ``ring`` or the alias ``annulus``
        (:func:`select_objects`); default all the plan has.
    frame : str
        ``valve`` or ``original``.

    Returns
    -------
    dict of str to SceneCurve
        Native annulus: its resampled curve (<= 1 mm spacing); reshaped: the mechanics
        nodes; ring: :data:`RING_SECTIONS` points along its centreline (a band's ends
        included).

    Raises
    ------
    InputError
        A bad selection or frame, or an object named that the plan does not have.
    """
    to_frame = frame_transform(plan, frame)
    spec = _resolve_spec(plan, spec)
    names = _chosen(plan, result, objects, OBJECT_NAMES[:3], "a markups file")
    out: dict[str, SceneCurve] = {}
    for name in names:
        if name == "annulus_native":
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
) -> SceneObject:
    return SceneObject(
        name=name,
        vertices=np.asarray(vertices, dtype=float),
        faces=np.asarray(faces, dtype=np.int64),
        colours=np.ascontiguousarray(colours, dtype=np.uint8),
        values=MappingProxyType(dict(values)),
        frame="valve",
        description=description,
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
    radius: float,
    rgb: FloatArray,
    values: Mapping[str, FloatArray],
    description: str,
) -> SceneObject:
    """Straight capped tubes from ``starts (s, 3)`` to ``ends (s, 3)``, each with its own
    colour ``rgb (s, 3)`` and values ``(s,)``; valve frame."""
    from mvplan.render.sweep import sweep_tube

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
        tube = sweep_tube(np.vstack([a, b]), False, radius, n_around=SUTURE_SIDES, up_hint=up)
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


def scene_objects(
    plan: Plan,
    result: AnnuloplastyResult | None = None,
    spec: RingSpec | None = None,
    *,
    objects: str | Iterable[str] | None = None,
    frame: str = "valve",
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
    names = _chosen(plan, result, objects)
    built = _annuli(plan, result, names)
    if spec is not None and "ring" in names:
        ring = _ring(plan, result, spec)
        if ring is not None:  # a result with no ring nodes has no ring to draw
            built.append(ring)
    if spec is not None and "sutures" in names:
        built.append(_sutures(plan, result, spec))
    return [replace(obj, vertices=to_frame(obj.vertices), frame=frame) for obj in built]
