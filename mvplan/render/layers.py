"""The three layers of a plan's scene, each a fixed set of actors updated in place.

- :class:`AnnulusLayer`: the native annulus as a tube coloured by height above its plane,
  the plane as a translucent disc, the landmarks as spheres with labels, the height legend.
- :class:`RingLayer`: the ring as placed (its tube mesh moved by the pose matrix, so dragging
  the ring only changes a matrix) and its sutures, ring point to annulus point.
- :class:`ResultLayer`: after a simulation, the reshaped annulus, the ring where it settled
  and each mattress suture as a stitch over the ring coloured by its force, the force legend.

All positions are in the annulus valve frame, mm.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from vtkmodules.vtkRenderingCore import vtkActor, vtkColorTransferFunction, vtkProp

from mvplan.geometry.annulus import LANDMARK_NAMES, Annulus
from mvplan.planning.annuloplasty import PULLOUT_STRENGTH_N, AnnuloplastyResult
from mvplan.planning.placement import Placement
from mvplan.planning.sutures import suture_points
from mvplan.render.actors import (
    LabelSet,
    LineTubes,
    SurfaceActor,
    plane_disc,
    scalar_bar,
    sphere_actor,
    unit_cage_mapper,
    unit_sphere_mapper,
)
from mvplan.render.colours import (
    LANDMARK_COLOURS,
    Theme,
    force_transfer_function,
    height_range,
    height_transfer_function,
    paler,
)
from mvplan.render.sweep import resample_polyline, sweep_tube
from mvplan.rings.geometry import ring_centerline
from mvplan.rings.spec import RingSpec

FloatArray = npt.NDArray[np.float64]

#: Radius of the annulus tube, mm (about 2 % of a 35 mm annulus: reads as a curve, not a hose).
ANNULUS_RADIUS_MM = 0.8
#: Radius of the native annulus drawn for comparison after a simulation, mm.
FADED_RADIUS_MM = 0.45
#: Diameter of a landmark sphere, mm.
LANDMARK_DIAMETER_MM = 3.0
#: Labels sit this far outward from their landmark, in the plane, and this far above it, mm.
LABEL_OUTWARD_MM, LABEL_ABOVE_MM = 4.0, 1.0
#: The plane disc reaches this factor beyond the annulus's largest in-plane radius.
DISC_MARGIN = 1.15
#: Radius of a suture before tying and of a tied stitch, mm.
SUTURE_RADIUS_MM, STITCH_RADIUS_MM = 0.22, 0.32
#: Sections along a ring's tube.
RING_SECTIONS = 256
#: Titles of the colour legends.
HEIGHT_TITLE, FORCE_TITLE = "height above plane (mm)", "suture force (N)"
#: Opacity of the ring after a simulation: the reshaped annulus, tied to it, runs inside it.
RESULT_RING_OPACITY = 0.32
#: Labels of sutures near their pull-out strength sit this far inside the ring, mm.
WARNING_LABEL_INWARD_MM = 5.0
#: Colour of the labels of sutures near their pull-out strength.
WARNING_COLOUR = (1.0, 0.45, 0.25)


def _heights_per_vertex(z: FloatArray, n_around: int, n_vertices: int) -> FloatArray:
    """Centreline heights repeated around each section (caps, if any, take their end's)."""
    values = np.repeat(z, n_around)
    if n_vertices > values.size:
        extra = n_vertices - values.size
        values = np.concatenate([values, np.full(extra, z[0])])
    return values


class AnnulusLayer:
    """The native annulus, its plane and landmarks, and the height legend."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.annulus: Annulus | None = None
        self.points: FloatArray = np.zeros((0, 3))  # native curve, valve frame
        self.ctf = height_transfer_function(3.0)
        self.tube = SurfaceActor(theme.native_faded)
        self.disc, self._disc_source = plane_disc(theme.plane, theme.plane_opacity)
        self._solid = unit_sphere_mapper()
        # Estimated landmarks: an open cage, plainly not a point the user placed.
        self._cage = unit_cage_mapper()
        self.spheres: dict[str, vtkActor] = {
            n: sphere_actor(self._solid, LANDMARK_COLOURS[n]) for n in LANDMARK_NAMES
        }
        for actor in self.spheres.values():
            actor.SetScale(LANDMARK_DIAMETER_MM)
        self.labels_given = LabelSet(theme.text, 15, bold=True)
        self.labels_estimated = LabelSet(paler(theme.text, 0.35), 14, bold=False)
        self.labels_estimated.text_property.SetItalic(True)
        self.bar = scalar_bar(self.ctf, HEIGHT_TITLE, theme.text, (0.03, 0.05))
        self.positions: dict[str, FloatArray] = {}
        self._faded = False
        self._extra_z: FloatArray = np.zeros(0)

    def props(self) -> Iterator[vtkProp]:
        yield from (self.disc, self.tube.actor, *self.spheres.values())
        yield from (self.labels_given.actor, self.labels_estimated.actor, self.bar)

    def set(self, annulus: Annulus | None) -> None:
        self.annulus = annulus
        if annulus is None:
            self.points = np.zeros((0, 3))
            self.positions = {}
            for prop in self.props():
                prop.VisibilityOff()
            return
        self.points = np.asarray(annulus.points_valve)
        radius = float(np.max(np.linalg.norm(self.points[:, :2], axis=1)))
        self._disc_source.SetRadius(DISC_MARGIN * radius)
        self.disc.VisibilityOn()
        self.positions = {
            n: np.asarray(annulus.to_valve_frame.apply(annulus.landmark_point(n)))
            for n in annulus.landmarks
        }
        self._draw_tube()
        self._draw_landmarks()

    def set_comparison_heights(self, z: FloatArray) -> None:
        """Heights of another curve drawn with the same map (the reshaped annulus): the
        colour range covers both. Only the map changes; the mappers follow its range."""
        self._extra_z = np.asarray(z, dtype=float).reshape(-1)
        self._update_range()

    def _update_range(self) -> None:
        lo, hi = height_range(np.concatenate([self.points[:, 2], self._extra_z]))
        if self.ctf.GetRange() != (lo, hi):
            self.ctf.DeepCopy(height_transfer_function(hi))

    def set_faded(self, faded: bool) -> None:
        """Draw the native annulus thin and grey (another curve is the main one)."""
        if faded != self._faded:
            self._faded = faded
            if self.annulus is not None:
                self._draw_tube()

    def _draw_tube(self) -> None:
        z = self.points[:, 2]
        self._update_range()
        radius = FADED_RADIUS_MM if self._faded else ANNULUS_RADIUS_MM
        surface = sweep_tube(self.points, True, radius)
        self.tube.set_surface(surface)
        if self._faded:
            self.tube.colour_by(None)
            self.tube.set_colour(self.theme.native_faded)
        else:
            n_around = surface.vertices.shape[0] // self.points.shape[0]
            self.tube.colour_by(
                _heights_per_vertex(z, n_around, surface.vertices.shape[0]), self.ctf
            )
        self.tube.actor.VisibilityOn()
        self.bar.VisibilityOn()

    def _draw_landmarks(self) -> None:
        annulus = self.annulus
        assert annulus is not None
        given_pts, given_txt, est_pts, est_txt = [], [], [], []
        for name, actor in self.spheres.items():
            mark = annulus.landmarks.get(name)
            if mark is None:
                actor.VisibilityOff()
                continue
            position = self.positions[name]
            actor.SetPosition(*position)
            prop = actor.GetProperty()
            if mark.given:
                actor.SetMapper(self._solid)
                prop.SetColor(*LANDMARK_COLOURS[name])
            else:
                actor.SetMapper(self._cage)
                prop.SetColor(*paler(LANDMARK_COLOURS[name], 0.2))
                prop.SetLineWidth(3.0)
                prop.SetRenderLinesAsTubes(True)
            actor.VisibilityOn()
            anchor = self._label_anchor(position)
            if mark.given:
                given_pts.append(anchor)
                given_txt.append(name)
            else:
                est_pts.append(anchor)
                est_txt.append(f"{name} (est.)")
        self.labels_given.set_labels(np.reshape(given_pts, (-1, 3)), given_txt)
        self.labels_estimated.set_labels(np.reshape(est_pts, (-1, 3)), est_txt)

    def _label_anchor(self, position: FloatArray) -> FloatArray:
        outward = np.array([position[0], position[1], 0.0])
        norm = float(np.linalg.norm(outward))
        outward = outward / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0])
        return np.asarray(
            position + LABEL_OUTWARD_MM * outward + np.array([0.0, 0.0, LABEL_ABOVE_MM])
        )

    def move_landmark(self, name: str, position: FloatArray) -> None:
        """Put landmark ``name``'s sphere and label at ``position (3,)`` mm."""
        self.positions[name] = np.asarray(position, dtype=float)
        self._draw_landmarks()


class RingLayer:
    """The ring at its pose and its sutures from ring point to annulus point."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.spec: RingSpec | None = None
        self.placement: Placement | None = None
        self.surface = SurfaceActor(theme.ring, specular=0.45)
        self.sutures = LineTubes(theme.suture, SUTURE_RADIUS_MM)
        self._centre_ring: FloatArray = np.zeros((0, 3))  # centreline, ring coordinates

    def props(self) -> Iterator[vtkProp]:
        yield from (self.surface.actor, self.sutures.actor)

    def set(
        self,
        spec: RingSpec | None,
        placement: Placement | None,
        annulus: Annulus | None,
        visible: bool,
    ) -> None:
        if spec is None or placement is None:
            self.spec = self.placement = None
            self._centre_ring = np.zeros((0, 3))
            self.surface.actor.VisibilityOff()
            self.sutures.actor.VisibilityOff()
            return
        if spec != self.spec:
            # The mesh depends on the spec only; a new pose changes just the actor's matrix.
            self._centre_ring = ring_centerline(spec, RING_SECTIONS)
            cross = spec.cross_section
            self.surface.set_surface(
                sweep_tube(self._centre_ring, spec.closed, cross.width_mm / 2, cross.height_mm / 2)
            )
        self.spec, self.placement = spec, placement
        self.surface.set_matrix(placement.pose.matrix)
        self.surface.actor.SetVisibility(visible)
        if annulus is not None and placement.sutures:
            ring_pts, annulus_pts = suture_points(annulus, spec, placement.pose, placement.sutures)
            k = ring_pts.shape[0]
            self.sutures.set_lines(
                np.vstack([ring_pts, annulus_pts]), [[i, k + i] for i in range(k)]
            )
            self.sutures.actor.SetVisibility(visible)
        else:
            self.sutures.actor.VisibilityOff()

    def show(self, visible: bool) -> None:
        has_ring = self.spec is not None
        self.surface.actor.SetVisibility(visible and has_ring)
        self.sutures.actor.SetVisibility(
            visible and has_ring and self.sutures.polydata.GetNumberOfLines() > 0
        )

    def centreline(self) -> FloatArray:
        """The placed ring's centreline ``(m, 3)`` in the valve frame, mm."""
        if self.placement is None:
            return np.zeros((0, 3))
        return np.asarray(self.placement.pose.apply(self._centre_ring))

    def half_width(self) -> float:
        """Half the ring's cross-section width, mm (0 without a ring)."""
        return 0.0 if self.spec is None else 0.5 * self.spec.cross_section.width_mm


class ResultLayer:
    """The reshaped annulus, the settled ring, stitches coloured by force, the force legend."""

    def __init__(self, theme: Theme, height_ctf: vtkColorTransferFunction) -> None:
        self.theme = theme
        self.result: AnnuloplastyResult | None = None
        self.height_ctf = height_ctf
        self.force_ctf = force_transfer_function()
        self.annulus = SurfaceActor(theme.native_faded)
        self.ring = SurfaceActor(theme.ring, specular=0.45)
        self.ring.actor.GetProperty().SetOpacity(RESULT_RING_OPACITY)
        self.stitches = LineTubes(theme.suture, STITCH_RADIUS_MM, sides=10)
        self.warnings = LabelSet(WARNING_COLOUR, 14, bold=True)
        self.bar = scalar_bar(self.force_ctf, FORCE_TITLE, theme.text, (0.78, 0.05))
        self.ring_points: FloatArray = np.zeros((0, 3))
        self.ring_half_width = 0.0

    def props(self) -> Iterator[vtkProp]:
        yield from (self.annulus.actor, self.ring.actor, self.stitches.actor)
        yield from (self.warnings.actor, self.bar)

    def hide(self) -> None:
        self.result = None
        self.ring_points = np.zeros((0, 3))
        for prop in self.props():
            prop.VisibilityOff()

    def set(self, result: AnnuloplastyResult, spec: RingSpec | None) -> None:
        self.result = result
        after = np.asarray(result.annulus_after_valve, dtype=float)
        surface = sweep_tube(after, True, ANNULUS_RADIUS_MM)
        self.annulus.set_surface(surface)
        n_around = surface.vertices.shape[0] // after.shape[0]
        heights = _heights_per_vertex(after[:, 2], n_around, surface.vertices.shape[0])
        self.annulus.colour_by(heights, self.height_ctf)
        self.annulus.actor.VisibilityOn()
        ring = np.asarray(result.ring_after_valve, dtype=float)
        # A percutaneous device's wire is not a ring: mvplan.render.device draws it.
        if ring.shape[0] < 4 or result.device is not None:
            self.ring_points = np.zeros((0, 3))
            for prop in (self.ring.actor, self.stitches.actor, self.warnings.actor, self.bar):
                prop.VisibilityOff()
            return
        closed = True if spec is None else spec.closed
        width, height = (3.0, 3.0) if spec is None else _cross(spec)
        up = _upward_normal(ring)
        self.ring_points = resample_polyline(ring, closed, RING_SECTIONS)
        self.ring_half_width = width / 2
        self.ring.set_surface(
            sweep_tube(self.ring_points, closed, width / 2, height / 2, up_hint=up)
        )
        self.ring.actor.VisibilityOn()
        self._draw_stitches(result, up * (height / 2 + 0.6 * STITCH_RADIUS_MM))

    def _draw_stitches(self, result: AnnuloplastyResult, lift: FloatArray) -> None:
        legs = suture_legs(result)
        forces = np.asarray(result.suture_forces_n, dtype=float)
        if legs is None:
            self.stitches.actor.VisibilityOff()
            self.warnings.actor.VisibilityOff()
            self.bar.VisibilityOff()
            return
        annulus_legs, ring_legs = legs
        k = forces.size
        # A horizontal mattress: into the tissue at one leg, up through the ring's cuff and
        # over its top, down through the cuff at the other leg, back through the tissue.
        a1, a2 = annulus_legs[:k], annulus_legs[k:]
        r1, r2 = ring_legs[:k] + lift, ring_legs[k:] + lift
        points = np.concatenate([a1, r1, r2, a2])
        lines = [[i, k + i, 2 * k + i, 3 * k + i, i] for i in range(k)]
        self.stitches.set_lines(points, lines, forces, self.force_ctf)
        self.stitches.actor.VisibilityOn()
        self.bar.VisibilityOn()
        warned = warned_sutures(result)
        # Labels inside the ring, clear of the stitch they name.
        tops = 0.5 * (r1 + r2) + lift
        inward = -tops * np.array([1.0, 1.0, 0.0])
        inward /= np.maximum(np.linalg.norm(inward, axis=1, keepdims=True), 1e-9)
        tops = tops + WARNING_LABEL_INWARD_MM * inward
        self.warnings.set_labels(
            tops[warned], [f"{i + 1}: {forces[i]:.1f} N" for i in np.flatnonzero(warned)]
        )


def suture_legs(result: AnnuloplastyResult) -> tuple[FloatArray, FloatArray] | None:
    """Annulus and ring ends ``(2 k, 3)`` mm of the mattress legs at equilibrium (rows
    ``0..k-1`` the first leg of each suture, ``k..2k-1`` the second); None when the result
    has no suture model (no device)."""
    model = result.model
    k = int(np.asarray(result.suture_forces_n).size)
    if model is None or k == 0:
        return None
    term = model.sutures
    x = np.vstack([result.annulus_after_valve, result.ring_after_valve])
    nodes, weights = np.asarray(term.nodes), np.asarray(term.weights)
    if nodes.shape != (2 * k, 4) or int(nodes.max()) >= x.shape[0]:
        return None
    # Each leg is (1 - w) x_a + w x_b on the annulus minus the same on the ring
    # (mvplan.mechanics.Sutures.between), so the ring end carries the negated weights.
    annulus_legs = np.einsum("mj,mjc->mc", weights[:, :2], x[nodes[:, :2]])
    ring_legs = -np.einsum("mj,mjc->mc", weights[:, 2:], x[nodes[:, 2:]])
    return annulus_legs, ring_legs


def warned_sutures(result: AnnuloplastyResult) -> npt.NDArray[np.bool_]:
    """``(k,)`` True where a suture's force reaches the result's warning fraction of its
    region's pull-out strength (the simulation's own rule for ``suture_warnings``)."""
    forces = np.asarray(result.suture_forces_n, dtype=float)
    strength = np.array([PULLOUT_STRENGTH_N[r] for r in result.suture_regions], dtype=float)
    if strength.size != forces.size:
        return np.zeros(forces.size, dtype=bool)
    return np.asarray(forces >= result.warn_fraction * strength)


def _cross(spec: RingSpec) -> tuple[float, float]:
    return spec.cross_section.width_mm, spec.cross_section.height_mm


def _upward_normal(points: FloatArray) -> FloatArray:
    """Least-squares plane normal of ``points (m, 3)``, pointing toward +z (the atrium)."""
    centred = points - points.mean(axis=0)
    normal = np.linalg.svd(centred, full_matrices=False)[2][-1]
    return np.asarray(normal if normal[2] >= 0 else -normal)
