"""The scene objects of a percutaneous device: its wire, anchors, the coronary sinus, the artery.

A plan with a coronary-sinus device or a transcatheter band (:attr:`mvplan.plan.Plan.has_device`)
has no ring placement and no sutures; its scene holds instead (:data:`DEVICE_OBJECTS`, all in
the valve frame here, carried to the export's frame by :func:`mvplan.export.objects.scene_objects`):

``device``
    The device's wire (a coronary-sinus device's ribbon, a band's contraction wire) as a tube
    through its nodes: where it settled after the cinch (simulated), else as placed. Values:
    ``arc_mm`` (along the device from its first node: a coronary-sinus device's proximal end,
    a band's anterolateral anchor; the position :mod:`mvplan.geometry.safety` reports).
``device_placed``
    The wire as placed, before the cinch (simulated plans; thinner, faded). Values: ``arc_mm``.
``anchors``
    A sphere at each anchor (a coronary-sinus device's distal and proximal anchors, each band
    anchor), coloured by its force after a simulation on the suture-force map, else plain.
    Values: ``anchor`` (1-based, the order of the simulation's anchors), ``force_n``
    (simulated).
``coronary_sinus_native``, ``coronary_sinus_cinched``
    The coronary-sinus centreline (coronary-sinus devices) before and after cinching, a thin
    tube, so that the device drawn thicker shows inside it. Values: ``height_mm``; the
    cinched one also ``displacement_mm`` (how far each vein node moved).
``artery``
    The circumflex artery as given (:attr:`mvplan.plan.Plan.artery`). Values: ``height_mm``
    and, with a device, ``device_distance_mm`` (from each artery point to the device's
    centreline, cinched when simulated): where the artery is at risk of compression.

Nothing here imports VTK: the colours are the suture-force map's
(:func:`mvplan.render.colours.force_colours`, imported where used) and plain RGB
(:data:`mvplan.export.objects.DISPLAY_COLOURS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mvplan.export.objects import (
    DEVICE_OBJECTS,
    DISPLAY_COLOURS,
    FloatArray,
    IntArray,
    SceneObject,
    _rgba,
    _tube_object,
    _valve_object,
)

if TYPE_CHECKING:
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult

__all__ = [
    "DeviceGeometry",
    "device_curve",
    "device_geometry",
    "device_missing",
    "device_objects",
]

#: Tube radii, mm: the wire thicker than the vein centreline it lies in, so that it shows.
DEVICE_RADIUS_MM = 0.8
PLACED_RADIUS_MM = 0.45
VEIN_RADIUS_MM = 0.5
ARTERY_RADIUS_MM = 1.0
#: Anchor spheres, mm: a coronary-sinus device's anchors are large (7-20 mm across, drawn
#: smaller so as not to hide the vein); a band's are small screws.
CS_ANCHOR_RADIUS_MM = 2.0
BAND_ANCHOR_RADIUS_MM = 1.2
#: Sphere tessellation (rings of latitude, points around).
_SPHERE_RINGS, _SPHERE_AROUND = 8, 16
#: Sections of the device tubes (resampled evenly), as many as the ring's.
_SECTIONS = 128


@dataclass(frozen=True, eq=False)
class DeviceGeometry:
    """A device plan's curves and anchors in the valve frame, mm.

    Attributes
    ----------
    type : str
        ``coronary-sinus`` or ``transcatheter-band``.
    placed : (k, 3) float
        The wire as placed (before the cinch), from its first node.
    settled : (k, 3) float or None
        The wire at equilibrium (simulated).
    anchor_names : tuple of str
    anchors : (a, 3) float
        Where the anchors are (settled when simulated).
    anchor_forces_n : (a,) float or None
        Simulated.
    vein_native, vein_cinched : (m, 3) float or None
        The coronary-sinus centreline before and after the cinch (the cinched one simulated).
    artery : (p, 3) float or None
    """

    type: str
    placed: FloatArray
    settled: FloatArray | None
    anchor_names: tuple[str, ...]
    anchors: FloatArray
    anchor_forces_n: FloatArray | None
    vein_native: FloatArray | None
    vein_cinched: FloatArray | None
    artery: FloatArray | None

    @property
    def wire(self) -> FloatArray:
        """The wire where it is: settled when simulated, else as placed."""
        return self.placed if self.settled is None else self.settled


def device_geometry(plan: Plan, result: AnnuloplastyResult | None) -> DeviceGeometry | None:
    """The device's geometry from a simulation of ``plan`` (or as placed without one); None
    for a plan with no percutaneous device."""
    if not plan.has_device:
        return None
    artery = None if plan.artery is None else np.asarray(plan.artery.points_valve, dtype=float)
    if result is not None and result.device is not None:
        outcome = result.device
        vein = outcome.vein_before_valve
        return DeviceGeometry(
            type=outcome.type,
            placed=np.asarray(result.ring_before_valve, dtype=float),
            settled=np.asarray(result.ring_after_valve, dtype=float),
            anchor_names=tuple(outcome.anchor_names),
            anchors=np.asarray(outcome.anchor_points_valve, dtype=float),
            anchor_forces_n=np.asarray(outcome.anchor_forces_n, dtype=float),
            vein_native=None if vein is None else np.asarray(vein, dtype=float),
            vein_cinched=_optional(outcome.vein_after_valve),
            artery=artery,
        )
    return _placed_geometry(plan, artery)


def _optional(points: FloatArray | None) -> FloatArray | None:
    return None if points is None else np.asarray(points, dtype=float)


def _placed_geometry(plan: Plan, artery: FloatArray | None) -> DeviceGeometry:
    """The device as placed, with no simulation: the model's nodes before any cinch."""
    from mvplan.workflow import device_as_placed, device_spec

    spec = device_spec(plan)
    assert spec is not None
    device = device_as_placed(plan)
    return DeviceGeometry(
        type=spec.type,
        placed=np.asarray(device.wire_valve, dtype=float),
        settled=None,
        anchor_names=device.anchor_names,
        anchors=np.asarray(device.anchors_valve, dtype=float),
        anchor_forces_n=None,
        vein_native=_optional(device.vein_valve),
        vein_cinched=None,
        artery=artery,
    )


def device_missing(plan: Plan, result: AnnuloplastyResult | None, name: str) -> str | None:
    """Why the plan has no device object ``name`` (None: it has it)."""
    if name == "artery":
        return None if plan.artery is not None else "the plan has no artery (mvplan plan --artery)"
    if not plan.has_device:
        return f"the plan has no percutaneous device: it has no {name}"
    simulated = result is not None and result.device is not None
    if name in ("device_placed", "coronary_sinus_cinched") and not simulated:
        return f"the plan has not been simulated: it has no {name}"
    if name.startswith("coronary_sinus") and not _in_vein(plan, result):
        return f"the plan's device does not lie in the coronary sinus: it has no {name}"
    return None


def _in_vein(plan: Plan, result: AnnuloplastyResult | None) -> bool:
    """Whether the plan's device lies in the coronary sinus (its simulation has a vein)."""
    if result is not None and result.device is not None:
        return result.device.vein_before_valve is not None
    from mvplan.planning.percutaneous import CS_DEVICE
    from mvplan.workflow import device_spec

    spec = device_spec(plan)
    return spec is not None and spec.type == CS_DEVICE


def device_curve(geometry: DeviceGeometry, name: str) -> FloatArray | None:
    """The centreline of device object ``name`` (valve frame, mm), or None (no such curve:
    the anchors, or a curve the plan lacks)."""
    curves = {
        "device": geometry.wire,
        "device_placed": geometry.placed if geometry.settled is not None else None,
        "coronary_sinus_native": geometry.vein_native,
        "coronary_sinus_cinched": geometry.vein_cinched,
        "artery": geometry.artery,
    }
    return curves.get(name)


def device_objects(
    plan: Plan, result: AnnuloplastyResult | None, names: list[str]
) -> list[SceneObject]:
    """The device objects among ``names`` (:data:`DEVICE_OBJECTS` order), valve frame."""
    wanted = [n for n in DEVICE_OBJECTS if n in names]
    if not wanted:
        return []
    geometry = device_geometry(plan, result)
    if geometry is None:  # a ring plan with an artery
        return [_artery(np.asarray(plan.artery.points_valve), None)] if plan.artery else []
    builders = {
        "device": lambda g: _wire(g, "device"),
        "device_placed": lambda g: _wire(g, "device_placed"),
        "anchors": _anchors,
        "coronary_sinus_native": lambda g: _vein(g, "coronary_sinus_native"),
        "coronary_sinus_cinched": lambda g: _vein(g, "coronary_sinus_cinched"),
        "artery": lambda g: _artery(g.artery, g.wire),
    }
    return [builders[name](geometry) for name in wanted]


def _arc(points: FloatArray) -> FloatArray:
    """Arc length ``(k,)`` mm along an open polyline from its first point."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _open_tube(
    name: str,
    points: FloatArray,
    radius: float,
    rgb: tuple[float, float, float],
    values: Mapping[str, FloatArray],
    description: str,
) -> SceneObject:
    """A round open tube along ``points (k, 3)``, resampled evenly along its straight
    segments (a wire runs straight between anchors), its per-point ``values (k,)`` carried to
    the sections by arc length; valve frame."""
    from mvplan.render.sweep import sweep_tube

    arc = _arc(points)
    at = np.linspace(0.0, arc[-1], _SECTIONS)
    sections = np.stack([np.interp(at, arc, points[:, c]) for c in range(3)], axis=1)
    spread = {k: np.interp(at, arc, np.asarray(v, dtype=float)) for k, v in values.items()}
    tube = sweep_tube(sections, False, radius)
    return _tube_object(name, tube, _SECTIONS, rgb, spread, description)


def _wire(geometry: DeviceGeometry, name: str) -> SceneObject:
    """The device's wire where it is (``device``) or as placed (``device_placed``)."""
    settled = geometry.settled is not None
    points = geometry.wire if name == "device" else geometry.placed
    start = "proximal end" if geometry.type == "coronary-sinus" else "anterolateral anchor"
    kind = "ribbon" if geometry.type == "coronary-sinus" else "contraction wire"
    if name == "device":
        where = "cinched, at equilibrium" if settled else "as placed, before the cinch"
        radius = DEVICE_RADIUS_MM
    else:
        where, radius = "as placed, before the cinch", PLACED_RADIUS_MM
    text = f"the device's {kind} {where}; arc_mm: along it from its {start}"
    return _open_tube(name, points, radius, DISPLAY_COLOURS[name], {"arc_mm": _arc(points)}, text)


def _vein(geometry: DeviceGeometry, name: str) -> SceneObject:
    """The coronary-sinus centreline before or after the cinch, a thin tube."""
    native = geometry.vein_native
    assert native is not None
    if name == "coronary_sinus_native":
        values = {"height_mm": native[:, 2]}
        text = "coronary-sinus centreline before the cinch (the device lies in it)"
        return _open_tube(name, native, VEIN_RADIUS_MM, DISPLAY_COLOURS[name], values, text)
    after = geometry.vein_cinched
    assert after is not None
    values = {"height_mm": after[:, 2], "displacement_mm": np.linalg.norm(after - native, axis=1)}
    text = "coronary-sinus centreline cinched onto the device, at equilibrium"
    return _open_tube(name, after, VEIN_RADIUS_MM, DISPLAY_COLOURS[name], values, text)


def _artery(points: FloatArray | None, device: FloatArray | None) -> SceneObject:
    """The circumflex artery, with each point's distance to the device when there is one."""
    assert points is not None
    values = {"height_mm": points[:, 2]}
    text = "circumflex artery as given"
    if device is not None:
        values["device_distance_mm"] = point_polyline_distance(points, device)
        closest = float(values["device_distance_mm"].min())
        text += f"; device_distance_mm: to the device's centreline (least {closest:.1f} mm)"
    return _open_tube("artery", points, ARTERY_RADIUS_MM, DISPLAY_COLOURS["artery"], values, text)


def point_polyline_distance(points: FloatArray, polyline: FloatArray) -> FloatArray:
    """Distance ``(p,)`` mm from each of ``points (p, 3)`` to the open ``polyline (k, 3)``."""
    a, d = polyline[:-1], np.diff(polyline, axis=0)
    rel = points[:, None, :] - a[None]
    length2 = np.maximum(np.einsum("kc,kc->k", d, d), 1e-12)
    t = np.clip(np.einsum("pkc,kc->pk", rel, d) / length2, 0.0, 1.0)
    gap = rel - t[..., None] * d[None]
    return np.asarray(np.linalg.norm(gap, axis=2).min(axis=1))


def _anchors(geometry: DeviceGeometry) -> SceneObject:
    """A sphere at each anchor, coloured by force when simulated."""
    from mvplan.render.colours import force_colours

    count = geometry.anchors.shape[0]
    cs = geometry.type == "coronary-sinus"
    radius = CS_ANCHOR_RADIUS_MM if cs else BAND_ANCHOR_RADIUS_MM
    forces = geometry.anchor_forces_n
    if forces is None:
        rgb = np.tile(DISPLAY_COLOURS["anchors"], (count, 1))
        values = {"anchor": np.arange(1.0, count + 1.0)}
        text = "anchors as placed"
    else:
        rgb = force_colours(forces)
        values = {"anchor": np.arange(1.0, count + 1.0), "force_n": forces}
        text = "anchors at equilibrium, coloured by force (green 0 N to red 4 N)"
    text += f" ({', '.join(geometry.anchor_names)})"
    sphere_v, sphere_f = _sphere()
    m = sphere_v.shape[0]
    vertices = np.vstack([centre + radius * sphere_v for centre in geometry.anchors])
    faces = np.vstack([sphere_f + i * m for i in range(count)])
    colours = np.repeat(_rgba(rgb), m, axis=0)
    per_vertex = {k: np.repeat(np.asarray(v, dtype=float), m) for k, v in values.items()}
    return _valve_object("anchors", vertices, faces, colours, per_vertex, text)


def _sphere() -> tuple[FloatArray, IntArray]:
    """A unit UV sphere: vertices ``(v, 3)`` and outward triangles ``(f, 3)``."""
    rings, around = _SPHERE_RINGS, _SPHERE_AROUND
    theta = np.linspace(0.0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0.0, 2.0 * np.pi, around, endpoint=False)
    band = np.stack(
        [
            np.outer(np.sin(theta), np.cos(phi)),
            np.outer(np.sin(theta), np.sin(phi)),
            np.outer(np.cos(theta), np.ones(around)),
        ],
        axis=-1,
    ).reshape(-1, 3)
    north, south = len(band), len(band) + 1
    vertices = np.vstack([band, [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]])
    j = np.arange(around)
    j1 = (j + 1) % around
    faces = [np.stack([np.full(around, north), j, j1], axis=1)]
    for r in range(rings - 2):
        a, b = r * around + j, (r + 1) * around + j
        a1, b1 = r * around + j1, (r + 1) * around + j1
        faces += [np.stack([a, b, b1], axis=1), np.stack([a, b1, a1], axis=1)]
    last = (rings - 2) * around
    faces.append(np.stack([np.full(around, south), last + j1, last + j], axis=1))
    return vertices, np.vstack(faces).astype(np.int64)
