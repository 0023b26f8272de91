"""The layer of a percutaneous device: the coronary sinus, the device and its anchors, the artery.

- the **coronary sinus** (CS) centreline as a thin blue-violet tube: the path as given or
  estimated; once a solve is shown, the vein where the cinched device took it, with the
  native path thinner and paler beside it;
- the **device** (the wire or ribbon, through its nodes) as a thicker steel tube, and its
  anchors as small cubes coloured on the suture-force map (the same colour means the same
  force as a ring's stitch), labelled with their force when near pull-out;
- the **circumflex artery** as a red tube, yellow where it runs closer to the device than the
  compression threshold, with the closest approach drawn as a thin line and labelled.

Everything is in the annulus valve frame, mm, and built from plain arrays and the model's
values (:class:`~mvplan.planning.percutaneous.DeviceOutcome`,
:class:`~mvplan.geometry.safety.Safety`): this module computes nothing a plan holds.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from vtkmodules.vtkFiltersSources import vtkCubeSource
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkColorTransferFunction,
    vtkGlyph3DMapper,
    vtkProp,
)

from mvplan.geometry.safety import Safety
from mvplan.render.actors import LabelSet, LineTubes, SurfaceActor
from mvplan.render.arrays import empty_polydata, set_point_scalars, set_points
from mvplan.render.colours import (
    ARTERY_COLOUR,
    ARTERY_RISK_COLOUR,
    DEVICE_COLOUR,
    VEIN_COLOUR,
    Theme,
    force_transfer_function,
    paler,
)
from mvplan.render.sweep import sweep_tube

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "ANCHOR_SIZE_MM",
    "ARTERY_RADIUS_MM",
    "DEVICE_RADIUS_MM",
    "VEIN_RADIUS_MM",
    "DeviceLayer",
    "distance_to_polyline",
    "per_vertex",
]

#: Radius of the coronary-sinus tube, mm (a centreline, not the vein's 8-12 mm lumen: the
#: lumen would hide the device inside it).
VEIN_RADIUS_MM = 0.7
#: Radius of the native CS path drawn beside the cinched vein, mm.
NATIVE_VEIN_RADIUS_MM = 0.35
#: Radius of the device's wire tube, mm (thicker than the vein it lies in, so it reads on top).
DEVICE_RADIUS_MM = 1.1
#: Radius of the artery tube, mm.
ARTERY_RADIUS_MM = 0.75
#: Edge of an anchor cube, mm.
ANCHOR_SIZE_MM = 2.6
#: Anchor labels sit this far outward from their anchor, in the annulus plane, mm.
ANCHOR_LABEL_OUTWARD_MM = 9.0
#: Radius of the closest-approach line, mm.
APPROACH_RADIUS_MM = 0.18


def _outward(points: FloatArray, distance_mm: float) -> FloatArray:
    """``points (k, 3)`` moved ``distance_mm`` away from the valve axis, in the annulus plane:
    labels clear of the anchor they name and of the annulus inside, in every view."""
    radial = points * np.array([1.0, 1.0, 0.0])
    norm = np.maximum(np.linalg.norm(radial, axis=1, keepdims=True), 1e-9)
    return np.asarray(points + distance_mm * radial / norm)


def distance_to_polyline(points: npt.ArrayLike, polyline: npt.ArrayLike) -> FloatArray:
    """Distance ``(n,)`` mm from each of ``points (n, 3)`` to the open ``polyline (m, 3)``.

    Small arrays (tens to hundreds of points), so the full point-by-segment table is fine.
    """
    p = np.asarray(points, dtype=float).reshape(-1, 3)
    line = np.asarray(polyline, dtype=float).reshape(-1, 3)
    if line.shape[0] == 1:
        return np.asarray(np.linalg.norm(p - line[0], axis=1))
    a, b = line[:-1], line[1:]
    ab = b - a
    length2 = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18)
    t = np.einsum("pij,ij->pi", p[:, None, :] - a[None], ab) / length2
    foot = a[None] + np.clip(t, 0.0, 1.0)[..., None] * ab[None]
    return np.asarray(np.linalg.norm(p[:, None, :] - foot, axis=2).min(axis=1))


def per_vertex(values: npt.ArrayLike, n_around: int, n_vertices: int) -> FloatArray:
    """Per-centreline-point ``values (n,)`` spread over an open swept tube's vertices: each
    section's ring, then the two cap rings and the two cap centres
    (:func:`mvplan.render.sweep.sweep_tube`)."""
    v = np.asarray(values, dtype=float).reshape(-1)
    out = np.repeat(v, n_around)
    caps = [np.full(n_around, v[0]), np.full(n_around, v[-1]), v[:1], v[-1:]]
    out = np.concatenate([out, *caps])
    if out.size != n_vertices:
        raise ValueError(f"{out.size} values for a tube of {n_vertices} vertices")
    return out


def _flag_transfer_function() -> vtkColorTransferFunction:
    """0 -> the artery's red, 1 -> the risk yellow (two flat colours, no blend between)."""
    ctf = vtkColorTransferFunction()
    ctf.AddRGBPoint(0.0, *ARTERY_COLOUR)
    ctf.AddRGBPoint(0.49, *ARTERY_COLOUR)
    ctf.AddRGBPoint(0.51, *ARTERY_RISK_COLOUR)
    ctf.AddRGBPoint(1.0, *ARTERY_RISK_COLOUR)
    return ctf


def _anchor_glyphs() -> tuple[vtkActor, vtkGlyph3DMapper]:
    """Cubes at the points of a polydata, coloured by its point scalars (anchor forces)."""
    cube = vtkCubeSource()
    cube.SetXLength(ANCHOR_SIZE_MM)
    cube.SetYLength(ANCHOR_SIZE_MM)
    cube.SetZLength(ANCHOR_SIZE_MM)
    mapper = vtkGlyph3DMapper()
    mapper.SetSourceConnection(cube.GetOutputPort())
    mapper.ScalingOff()
    mapper.OrientOff()
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetAmbient(0.2)
    prop.SetDiffuse(0.8)
    prop.SetSpecular(0.3)
    actor.VisibilityOff()
    return actor, mapper


class DeviceLayer:
    """The CS, the device with its anchors and the artery with its safety (module docstring)."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.vein = SurfaceActor(VEIN_COLOUR, specular=0.3)
        self.native_vein = SurfaceActor(paler(VEIN_COLOUR, 0.45), specular=0.1)
        self.wire = SurfaceActor(DEVICE_COLOUR, specular=0.7)
        self.artery = SurfaceActor(ARTERY_COLOUR, specular=0.3)
        self.approach = LineTubes(ARTERY_RISK_COLOUR, APPROACH_RADIUS_MM, sides=8)
        self.anchors, self._anchor_mapper = _anchor_glyphs()
        self._anchor_points = empty_polydata()
        self._anchor_mapper.SetInputData(self._anchor_points)
        self.force_ctf = force_transfer_function()
        self._flag_ctf = _flag_transfer_function()
        self.labels = LabelSet(ARTERY_RISK_COLOUR, 14, bold=True)
        self.anchor_labels = LabelSet(theme.text, 13, bold=False)
        #: What is drawn, valve frame, mm (framing and tests read them).
        self.path_points: FloatArray = np.zeros((0, 3))
        self.wire_points: FloatArray = np.zeros((0, 3))
        self.anchor_points: FloatArray = np.zeros((0, 3))
        self.artery_points: FloatArray = np.zeros((0, 3))
        self.artery_flags: FloatArray = np.zeros(0)
        self._vein_after: FloatArray | None = None

    def props(self) -> Iterator[vtkProp]:
        yield from (self.native_vein.actor, self.vein.actor, self.wire.actor, self.anchors)
        yield from (self.artery.actor, self.approach.actor)
        yield from (self.labels.actor, self.anchor_labels.actor)

    def points(self) -> FloatArray:
        """Everything drawn ``(k, 3)`` mm (for framing the camera)."""
        parts = [self.path_points, self.wire_points, self.anchor_points, self.artery_points]
        if self._vein_after is not None:
            parts.append(self._vein_after)
        return np.vstack([np.reshape(p, (-1, 3)) for p in parts])

    # -- the coronary sinus ---------------------------------------------------------------

    def set_path(self, points: npt.ArrayLike | None) -> None:
        """The CS centreline ``(m, 3)`` mm, from the ostium; None hides it."""
        self.path_points = (
            np.zeros((0, 3)) if points is None else np.asarray(points, float).reshape(-1, 3)
        )
        self._draw_vein()

    def _draw_vein(self) -> None:
        path, after = self.path_points, self._vein_after
        if after is not None and after.shape[0] >= 2:
            # The solve moved the vein: draw it there, the native path thin and pale beside.
            self.vein.set_surface(sweep_tube(after, False, VEIN_RADIUS_MM))
            self.vein.actor.VisibilityOn()
            self._tube(self.native_vein, path, NATIVE_VEIN_RADIUS_MM)
        else:
            self._tube(self.vein, path, VEIN_RADIUS_MM)
            self.native_vein.actor.VisibilityOff()

    # -- the device -------------------------------------------------------------------------

    def set_device(
        self,
        wire: npt.ArrayLike | None,
        anchors: npt.ArrayLike | None = None,
        forces: npt.ArrayLike | None = None,
        *,
        names: tuple[str, ...] = (),
        warned: npt.ArrayLike | None = None,
        vein_after: npt.ArrayLike | None = None,
    ) -> None:
        """The device's wire ``(r, 3)`` mm, its anchors ``(a, 3)`` with their forces ``(a,)``
        N and names, which are near pull-out (``warned (a,)`` bool), and the vein where the
        device took it; None (``wire``) hides the device.

        Labels: a coronary-sinus device's two anchors are always named (distal, proximal);
        a band's many only when near pull-out, as a ring's sutures are.
        """
        self._vein_after = None if vein_after is None else np.asarray(vein_after, float)
        self._draw_vein()
        if wire is None or np.asarray(wire).size < 6:
            self.wire_points = np.zeros((0, 3))
            self.anchor_points = np.zeros((0, 3))
            for prop in (self.wire.actor, self.anchors, self.anchor_labels.actor):
                prop.VisibilityOff()
            return
        self.wire_points = np.asarray(wire, float).reshape(-1, 3)
        self._tube(self.wire, self.wire_points, DEVICE_RADIUS_MM)
        pts = np.zeros((0, 3)) if anchors is None else np.asarray(anchors, float).reshape(-1, 3)
        self.anchor_points = pts
        if pts.shape[0] == 0:
            self.anchors.VisibilityOff()
            self.anchor_labels.actor.VisibilityOff()
            return
        f = np.zeros(pts.shape[0]) if forces is None else np.asarray(forces, float).reshape(-1)
        set_points(self._anchor_points, pts)
        set_point_scalars(self._anchor_points, f, "force_n")
        self._anchor_mapper.SetLookupTable(self.force_ctf)
        self._anchor_mapper.UseLookupTableScalarRangeOn()
        self._anchor_mapper.SetScalarModeToUsePointData()
        self._anchor_mapper.ScalarVisibilityOn()
        self._anchor_points.Modified()
        self.anchors.VisibilityOn()
        flags = np.zeros(pts.shape[0], bool) if warned is None else np.asarray(warned, bool)
        named = len(names) == pts.shape[0] and pts.shape[0] <= 2
        show = [i for i in range(pts.shape[0]) if named or flags[i]]
        texts = [
            f"{names[i] if i < len(names) else i + 1}: {f[i]:.2f} N" + (" !" if flags[i] else "")
            for i in show
        ]
        self.anchor_labels.set_labels(_outward(pts[show], ANCHOR_LABEL_OUTWARD_MM), texts)

    # -- the artery -------------------------------------------------------------------------

    def set_artery(self, points: npt.ArrayLike | None, safety: Safety | None = None) -> None:
        """The artery ``(m, 3)`` mm; with ``safety`` (of the device drawn), yellow where it
        runs closer to the device than the threshold, and its closest approach marked."""
        if points is None:
            self.artery_points = np.zeros((0, 3))
            self.artery_flags = np.zeros(0)
            for prop in (self.artery.actor, self.approach.actor, self.labels.actor):
                prop.VisibilityOff()
            return
        pts = np.asarray(points, float).reshape(-1, 3)
        self.artery_points = pts
        flags = np.zeros(pts.shape[0])
        device = self.wire_points
        if safety is not None and device.shape[0] >= 2:
            flags = (distance_to_polyline(pts, device) < safety.threshold_mm).astype(float)
        self.artery_flags = flags
        if pts.shape[0] < 2:
            self.artery.actor.VisibilityOff()
        else:
            surface = sweep_tube(pts, False, ARTERY_RADIUS_MM)
            self.artery.set_surface(surface)
            self.artery.colour_by(
                self._artery_values(flags, surface.vertices.shape[0]), self._flag_ctf
            )
            self.artery.actor.VisibilityOn()
        if safety is None:
            self.approach.actor.VisibilityOff()
            self.labels.actor.VisibilityOff()
            return
        a, b = np.asarray(safety.closest_device_point), np.asarray(safety.closest_artery_point)
        self.approach.set_lines(np.vstack([a, b]), [[0, 1]])
        risky = safety.compression or bool(safety.crossings)
        self.approach.actor.SetVisibility(risky)
        text = f"{safety.min_distance_mm:.1f} mm"
        if safety.crossings:
            text += f", crosses {len(safety.crossings)}x"
        self.labels.set_labels((0.5 * (a + b) + np.array([0.0, 0.0, 3.0]))[None], [text])
        colour = ARTERY_RISK_COLOUR if risky else self.theme.text
        self.labels.text_property.SetColor(*colour)

    def _artery_values(self, flags: FloatArray, n_vertices: int) -> FloatArray:
        n = self.artery_points.shape[0]
        n_around = (n_vertices - 2) // (n + 2)
        return per_vertex(flags, n_around, n_vertices)

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _tube(actor: SurfaceActor, points: FloatArray, radius: float) -> None:
        if points.shape[0] < 2:
            actor.actor.VisibilityOff()
            return
        actor.set_surface(sweep_tube(points, False, radius))
        actor.actor.VisibilityOn()

    def hide(self) -> None:
        """Hide everything (no plan)."""
        self.set_device(None)
        self.set_path(None)
        self.set_artery(None)
