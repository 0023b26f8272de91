"""The closed leaflets: a surface coloured by coaptation, gap or stress, with chordae and legend.

:class:`LeafletLayer` is a fixed set of actors, made once and added to a renderer by its host
(the GUI's 3D view), then only given new data, colours and visibility, like the layers of
:mod:`mvplan.render.layers`. It knows nothing of the closure simulation: the caller hands in
arrays (:class:`LeafletPicture`), all in the annulus valve frame, mm.

The three colourings (:data:`QUANTITIES`, maps in :mod:`mvplan.render.colours`):

``coaptation``
    Per node, in contact with the other leaflet or not (two colours; a triangle with both
    shades its edge of the contact band between them).
``gap``
    Per node, the distance to the other leaflet, mm (capped where the analysis caps it).
``stress``
    The largest principal membrane stress, MPa, of the triangles around each node
    (:func:`node_average`).

A result that no longer matches the plan (:meth:`LeafletLayer.set_stale`) is drawn in plain
grey with no legend and a note saying so, never in the colours of a current answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import vtkLookupTable, vtkVariant
from vtkmodules.vtkFiltersCore import vtkPolyDataNormals
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkColorTransferFunction,
    vtkPolyDataMapper,
    vtkProp,
    vtkTextActor,
)

from mvplan.render import backend as _backend  # noqa: F401  (OpenGL and text factories)
from mvplan.render.actors import LineTubes, scalar_bar, style_text
from mvplan.render.arrays import empty_polydata, set_points, set_triangles
from mvplan.render.colours import (
    CONTACT_COLOUR,
    RGB,
    TISSUE_COLOUR,
    Theme,
    coaptation_transfer_function,
    gap_transfer_function,
    stress_transfer_function,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "QUANTITIES",
    "QUANTITY_TITLES",
    "LeafletLayer",
    "LeafletPicture",
    "contact_legend",
    "node_average",
]

#: The colourings, in the order a user is offered them.
QUANTITIES: tuple[str, ...] = ("coaptation", "gap", "stress")

#: Legend titles of the colourings.
QUANTITY_TITLES: dict[str, str] = {
    "coaptation": "coaptation",
    "gap": "gap to other leaflet (mm)",
    "stress": "leaflet stress (MPa)",
}

#: Radius of a chorda's tube, mm (thin: context, not the subject).
CHORD_RADIUS_MM = 0.12
#: Colour of the chordae.
CHORD_COLOUR: RGB = (0.90, 0.88, 0.82)
#: Radius of the regurgitant orifice's outline, mm, and how far above the annulus plane it is
#: drawn (so the leaflet rim under it does not hide it), mm.
ORIFICE_RADIUS_MM, ORIFICE_LIFT_MM = 0.22, 0.3
#: Colour of the regurgitant orifice's outline.
ORIFICE_COLOUR: RGB = (1.0, 0.25, 0.25)
#: Colour of leaflets that no longer match the plan.
STALE_COLOUR: RGB = (0.55, 0.56, 0.58)
#: Where the legend stands (normalised viewport, lower left): above the height legend.
LEGEND_POSITION = (0.03, 0.52)


@dataclass(frozen=True, eq=False)
class LeafletPicture:
    """What the layer draws of one closed valve (valve frame, mm).

    Attributes
    ----------
    points : (N, 3) float, mm
        Leaflet nodes.
    triangles : (M, 3) int
        Node indices of each triangle.
    in_contact : (N,) bool
        Node within the contact tolerance of the other leaflet.
    gap_mm : (N,) float, mm
        Distance to the other leaflet (NaN where it does not apply: commissural tissue).
    stress_mpa : (M,) float, MPa
        Largest principal membrane stress of each triangle.
    chords : (C, 2, 3) float, mm
        Each chord segment, papillary tip then insertion (may be empty).
    orifice : tuple of (k, 3) float, mm
        Outlines of the regurgitant orifice on the annulus plane (may be empty).
    """

    points: FloatArray
    triangles: IntArray
    in_contact: BoolArray
    gap_mm: FloatArray
    stress_mpa: FloatArray
    chords: FloatArray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    orifice: tuple[FloatArray, ...] = ()

    def __post_init__(self) -> None:
        n, m = np.shape(self.points)[0], np.shape(self.triangles)[0]
        shapes = {
            "points": (np.shape(self.points), (n, 3)),
            "triangles": (np.shape(self.triangles), (m, 3)),
            "in_contact": (np.shape(self.in_contact), (n,)),
            "gap_mm": (np.shape(self.gap_mm), (n,)),
            "stress_mpa": (np.shape(self.stress_mpa), (m,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValueError(f"leaflet picture: {name} has shape {got}, expected {want}")


def _array(values: npt.ArrayLike, name: str) -> object:
    array = numpy_to_vtk(np.ascontiguousarray(np.asarray(values, np.float64)), deep=True)
    array.SetName(name)
    return array


def contact_legend(colour: RGB) -> vtkScalarBarActor:
    """A legend of two swatches, "in contact" and "apart", titled "coaptation" (a scalar bar
    of an indexed lookup table: one swatch per annotated value)."""
    table = vtkLookupTable()
    table.SetNumberOfTableValues(2)
    # An indexed table gives the value annotated i-th the i-th colour.
    table.SetTableValue(0, *CONTACT_COLOUR, 1.0)
    table.SetTableValue(1, *TISSUE_COLOUR, 1.0)
    table.IndexedLookupOn()
    table.SetAnnotation(vtkVariant(1.0), "in contact")
    table.SetAnnotation(vtkVariant(0.0), "apart")
    bar = scalar_bar(table, "coaptation", colour, LEGEND_POSITION)  # type: ignore[arg-type]
    bar.SetHeight(0.16)
    bar.SetMaximumHeightInPixels(110)
    # The swatches' words go where the tick labels would (right of the bar, clear of the
    # window's edge).
    bar.SetTextPositionToPrecedeScalarBar()
    bar.SetDrawAnnotations(True)
    bar.SetAnnotationTextScaling(False)
    bar.SetAnnotationLeaderPadding(4)
    style_text(bar.GetAnnotationTextProperty(), colour, 13)
    bar.GetAnnotationTextProperty().ShadowOff()
    return bar


def node_average(triangles: IntArray, values: FloatArray, points: FloatArray) -> FloatArray:
    """Per-triangle ``values (M,)`` averaged at each node ``(N,)``, weighted by triangle area.

    Constant-strain triangles alternate between higher and lower stress from one to the next
    (each carries the tension in its own directions), so a map per triangle is a
    checkerboard that hides the pattern; the nodal average shows it (the usual smoothing of
    finite-element post-processing).
    """
    tri = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    p = np.asarray(points, dtype=float)
    area = 0.5 * np.linalg.norm(
        np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]]), axis=1
    )
    weighted = np.zeros(p.shape[0])
    total = np.zeros(p.shape[0])
    for k in range(3):
        np.add.at(weighted, tri[:, k], area * np.asarray(values, dtype=float))
        np.add.at(total, tri[:, k], area)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), np.nan)


class LeafletLayer:
    """The closed leaflets, chordae, orifice outline, legend and a note (module docstring)."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.picture: LeafletPicture | None = None
        self.quantity = QUANTITIES[0]
        self.stale = False
        self.polydata = empty_polydata()
        # Normals from the current shape (the closed leaflets bend sharply where they meet):
        # one per node, no splitting, the mesh's own orientation (atrial side out) kept.
        self._normals = vtkPolyDataNormals()
        self._normals.SetInputData(self.polydata)
        self._normals.SplittingOff()
        self._normals.ConsistencyOff()
        self._normals.AutoOrientNormalsOff()
        self._normals.ComputeCellNormalsOff()
        self.mapper = vtkPolyDataMapper()
        self.mapper.SetInputConnection(self._normals.GetOutputPort())
        self.mapper.InterpolateScalarsBeforeMappingOn()
        self.mapper.UseLookupTableScalarRangeOn()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        prop = self.actor.GetProperty()
        prop.SetInterpolationToPhong()
        prop.SetAmbient(0.18)
        prop.SetDiffuse(0.80)
        prop.SetSpecular(0.15)
        prop.SetSpecularPower(15.0)
        self.actor.VisibilityOff()
        self.ctfs: dict[str, vtkColorTransferFunction] = {
            "coaptation": coaptation_transfer_function(),
            "gap": gap_transfer_function(),
            "stress": stress_transfer_function(),
        }
        #: One legend per colouring (only the current one is shown).
        self.bars: dict[str, vtkActor2D] = {
            "coaptation": contact_legend(theme.text),
            "gap": scalar_bar(
                self.ctfs["gap"], QUANTITY_TITLES["gap"], theme.text, LEGEND_POSITION, labels=6
            ),
            "stress": scalar_bar(
                self.ctfs["stress"],
                QUANTITY_TITLES["stress"],
                theme.text,
                LEGEND_POSITION,
                label_format="%.2f",
            ),
        }
        self.chords = LineTubes(CHORD_COLOUR, CHORD_RADIUS_MM, sides=6)
        self.orifice = LineTubes(ORIFICE_COLOUR, ORIFICE_RADIUS_MM, sides=8)
        self.note = vtkTextActor()
        style_text(self.note.GetTextProperty(), (1.0, 0.78, 0.35), 15, bold=True)
        self.note.GetTextProperty().SetJustificationToCentered()
        self.note.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.note.SetPosition(0.5, 0.02)
        self.note.VisibilityOff()
        self.show_chords = True
        self._has_orifice = False

    def props(self) -> Iterator[vtkProp]:
        """Every prop of the layer (add them to the renderer once)."""
        yield from (self.actor, self.chords.actor, self.orifice.actor)
        yield from (*self.bars.values(), self.note)

    @property
    def points(self) -> FloatArray:
        """The leaflet nodes drawn ``(N, 3)`` mm (empty when none are)."""
        return np.zeros((0, 3)) if self.picture is None else np.asarray(self.picture.points)

    @property
    def visible(self) -> bool:
        """Whether leaflets are drawn."""
        return bool(self.actor.GetVisibility())

    # -- content ----------------------------------------------------------------------------

    def set(self, picture: LeafletPicture | None) -> None:
        """Draw ``picture`` (None hides the leaflets, their chordae, orifice and legend)."""
        self.picture = picture
        if picture is None:
            for prop in (self.actor, self.chords.actor, self.orifice.actor, *self.bars.values()):
                prop.VisibilityOff()
            return
        set_points(self.polydata, picture.points)
        set_triangles(self.polydata, picture.triangles)
        points = self.polydata.GetPointData()
        points.AddArray(_array(np.asarray(picture.in_contact, dtype=float), "coaptation"))
        points.AddArray(_array(picture.gap_mm, "gap"))
        stress = node_average(picture.triangles, picture.stress_mpa, picture.points)
        points.AddArray(_array(stress, "stress"))
        self.polydata.Modified()
        self.actor.VisibilityOn()
        chords = np.asarray(picture.chords, dtype=float).reshape(-1, 2, 3)
        if chords.shape[0]:
            k = chords.shape[0]
            self.chords.set_lines(
                np.vstack([chords[:, 0], chords[:, 1]]), [[i, k + i] for i in range(k)]
            )
        self.chords.actor.SetVisibility(bool(chords.shape[0]) and self.show_chords)
        self._set_orifice(picture.orifice)
        self._apply()

    def _set_orifice(self, outlines: tuple[FloatArray, ...]) -> None:
        rings = [np.asarray(o, dtype=float).reshape(-1, 3) for o in outlines]
        rings = [r for r in rings if r.shape[0] >= 3]
        self._has_orifice = bool(rings)
        if not rings:
            self.orifice.actor.VisibilityOff()
            return
        points = np.vstack(rings) + np.array([0.0, 0.0, ORIFICE_LIFT_MM])
        starts = np.cumsum([0] + [r.shape[0] for r in rings[:-1]])
        lines = [np.r_[np.arange(r.shape[0]), 0] + s for r, s in zip(rings, starts, strict=True)]
        self.orifice.set_lines(points, lines)
        self.orifice.actor.SetVisibility(not self.stale)

    def set_quantity(self, quantity: str) -> None:
        """Colour by ``quantity`` (one of :data:`QUANTITIES`).

        Raises
        ------
        ValueError
            An unknown quantity.
        """
        if quantity not in QUANTITIES:
            raise ValueError(f"unknown leaflet colouring {quantity!r}; use one of {QUANTITIES}")
        self.quantity = quantity
        self._apply()

    def set_stale(self, stale: bool, note: str = "") -> None:
        """Draw the leaflets plain grey with no legend (they no longer match the plan) and
        show ``note`` at the foot of the view ("" hides it)."""
        self.stale = stale
        self.note.SetInput(note)
        self.note.SetVisibility(bool(note))
        self._apply()

    def set_chords_visible(self, visible: bool) -> None:
        """Show or hide the chordae."""
        self.show_chords = visible
        has = self.picture is not None and np.asarray(self.picture.chords).size > 0
        self.chords.actor.SetVisibility(visible and has)

    def _apply(self) -> None:
        """Colours and legend of the current quantity (or the stale grey)."""
        drawn = self.picture is not None
        # The orifice is a finding of that closure: not drawn once it is out of date.
        self.orifice.actor.SetVisibility(drawn and self._has_orifice and not self.stale)
        if not drawn or self.stale:
            self.mapper.ScalarVisibilityOff()
            self.actor.GetProperty().SetColor(*STALE_COLOUR)
            for bar in self.bars.values():
                bar.VisibilityOff()
            return
        quantity = self.quantity
        self.mapper.SetLookupTable(self.ctfs[quantity])
        self.mapper.SetScalarModeToUsePointFieldData()
        self.mapper.SelectColorArray(quantity)
        self.mapper.ScalarVisibilityOn()
        for name, bar in self.bars.items():
            bar.SetVisibility(name == quantity)
