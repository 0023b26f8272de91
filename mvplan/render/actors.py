"""Small VTK pipelines that draw numpy geometry, each built once and updated in place.

Every class here owns one actor (or a few sharing a mapper) and takes numpy arrays; a scene
creates them once, adds their props to its renderer, and afterwards only replaces data,
colours and visibility. Redrawing a dragged ring therefore allocates no actors and leaves the
renderer's prop list alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import vtkStringArray
from vtkmodules.vtkCommonDataModel import vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkCommonTransforms import vtkTransform
from vtkmodules.vtkFiltersCore import vtkAppendPolyData, vtkTubeFilter
from vtkmodules.vtkFiltersGeneral import vtkTransformFilter
from vtkmodules.vtkFiltersSources import vtkRegularPolygonSource, vtkSphereSource
from vtkmodules.vtkRenderingAnnotation import vtkAnnotatedCubeActor, vtkScalarBarActor
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkColorTransferFunction,
    vtkPolyDataMapper,
    vtkProp,
    vtkPropCollection,
    vtkTextProperty,
)
from vtkmodules.vtkRenderingLabel import vtkLabeledDataMapper

from mvplan.render import backend as _backend  # noqa: F401  (OpenGL and text factories)
from mvplan.render.arrays import (
    empty_polydata,
    set_cell_scalars,
    set_lines,
    set_point_normals,
    set_point_scalars,
    set_points,
    set_triangles,
)
from mvplan.render.colours import RGB
from mvplan.render.sweep import TubeSurface

__all__ = [
    "LabelSet",
    "LineTubes",
    "SurfaceActor",
    "orientation_marker_actor",
    "plane_disc",
    "scalar_bar",
    "sphere_actor",
    "style_text",
    "unit_cage_mapper",
    "unit_sphere_mapper",
]


def _shiny(actor: vtkActor, colour: RGB, specular: float = 0.35, power: float = 30.0) -> None:
    prop = actor.GetProperty()
    prop.SetColor(*colour)
    prop.SetInterpolationToPhong()
    prop.SetAmbient(0.12)
    prop.SetDiffuse(0.85)
    prop.SetSpecular(specular)
    prop.SetSpecularPower(power)


class SurfaceActor:
    """A triangle surface (a swept tube) with exact normals, plain or coloured by scalars.

    The triangles are replaced only when the vertex or face count changes; a moved or
    deformed surface of the same topology only replaces points and normals.
    """

    def __init__(self, colour: RGB, specular: float = 0.35) -> None:
        self.polydata = empty_polydata()
        self.mapper = vtkPolyDataMapper()
        self.mapper.SetInputData(self.polydata)
        self.mapper.ScalarVisibilityOff()
        self.mapper.InterpolateScalarsBeforeMappingOn()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        _shiny(self.actor, colour, specular)
        self._shape: tuple[int, int] = (-1, -1)
        self.actor.VisibilityOff()

    def set_surface(self, surface: TubeSurface) -> None:
        """Show ``surface`` (vertices, normals, faces)."""
        set_points(self.polydata, surface.vertices)
        set_point_normals(self.polydata, surface.normals)
        shape = (surface.vertices.shape[0], surface.faces.shape[0])
        if shape != self._shape:
            set_triangles(self.polydata, surface.faces)
            self._shape = shape

    def colour_by(
        self, values: npt.ArrayLike | None, ctf: vtkColorTransferFunction | None = None
    ) -> None:
        """Colour by per-vertex ``values (v,)`` through ``ctf``; None: the plain colour."""
        if values is None or ctf is None:
            self.mapper.ScalarVisibilityOff()
            return
        set_point_scalars(self.polydata, values, "values")
        self.mapper.SetLookupTable(ctf)
        # The map's own range, so a map widened later recolours without another call here.
        self.mapper.UseLookupTableScalarRangeOn()
        self.mapper.SetScalarModeToUsePointData()
        self.mapper.ScalarVisibilityOn()

    def set_colour(self, colour: RGB) -> None:
        """The plain colour (used when not coloured by values)."""
        self.actor.GetProperty().SetColor(*colour)

    def set_matrix(self, matrix: npt.ArrayLike | None) -> None:
        """Place the surface by a ``(4, 4)`` rigid matrix (None: as given)."""
        self.actor.SetUserMatrix(_vtk_matrix(matrix) if matrix is not None else None)


class LineTubes:
    """Polylines drawn as round tubes (vtkTubeFilter), in one colour or by per-line values."""

    def __init__(self, colour: RGB, radius: float, sides: int = 12) -> None:
        self.polydata = empty_polydata()
        self.tubes = vtkTubeFilter()
        self.tubes.SetInputData(self.polydata)
        self.tubes.SetRadius(radius)
        self.tubes.SetNumberOfSides(sides)
        self.tubes.CappingOn()
        # Keep the tube's cross-section upright where a polyline turns sharply.
        self.tubes.SetVaryRadiusToVaryRadiusOff()
        self.mapper = vtkPolyDataMapper()
        self.mapper.SetInputConnection(self.tubes.GetOutputPort())
        self.mapper.ScalarVisibilityOff()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        _shiny(self.actor, colour, specular=0.25, power=20.0)
        self.actor.VisibilityOff()

    def set_lines(
        self,
        points: npt.ArrayLike,
        lines: Sequence[npt.ArrayLike],
        values: npt.ArrayLike | None = None,
        ctf: vtkColorTransferFunction | None = None,
    ) -> None:
        """Draw the polylines ``lines`` (point ids into ``points (n, 3)`` mm), coloured by
        ``values (len(lines),)`` through ``ctf`` if given."""
        set_points(self.polydata, points)
        set_lines(self.polydata, list(lines))
        if values is None or ctf is None:
            self.mapper.ScalarVisibilityOff()
            self.polydata.GetCellData().SetScalars(None)
            return
        set_cell_scalars(self.polydata, values, "values")
        self.mapper.SetLookupTable(ctf)
        self.mapper.UseLookupTableScalarRangeOn()
        self.mapper.SetScalarModeToUseCellData()
        self.mapper.ScalarVisibilityOn()

    def set_radius(self, radius: float) -> None:
        """Tube radius, mm."""
        self.tubes.SetRadius(radius)


def sphere_actor(mapper: vtkPolyDataMapper, colour: RGB) -> vtkActor:
    """An actor drawing a shared sphere ``mapper`` (unit sphere, scaled per actor)."""
    actor = vtkActor()
    actor.SetMapper(mapper)
    _shiny(actor, colour, specular=0.5, power=40.0)
    actor.VisibilityOff()
    return actor


def unit_cage_mapper(n: int = 48) -> vtkPolyDataMapper:
    """A mapper of three orthogonal great circles of a unit-diameter sphere: an open cage
    that reads as "a place, not a solid point" (estimated landmarks)."""
    t = 2.0 * np.pi * np.arange(n) / n
    c, s = 0.5 * np.cos(t), 0.5 * np.sin(t)
    zero = np.zeros(n)
    points = np.vstack([np.c_[c, s, zero], np.c_[zero, c, s], np.c_[s, zero, c]])
    poly = empty_polydata()
    set_points(poly, points)
    set_lines(poly, [np.r_[np.arange(n), 0] + k * n for k in range(3)])
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    return mapper


def unit_sphere_mapper() -> vtkPolyDataMapper:
    """A mapper of a smooth unit-diameter sphere, for glyph actors scaled to their size."""
    source = vtkSphereSource()
    source.SetRadius(0.5)
    source.SetThetaResolution(32)
    source.SetPhiResolution(20)
    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(source.GetOutputPort())
    return mapper


def plane_disc(colour: RGB, opacity: float) -> tuple[vtkActor, vtkRegularPolygonSource]:
    """A translucent filled disc in the plane z = 0 (radius set on the returned source)."""
    source = vtkRegularPolygonSource()
    source.SetNumberOfSides(120)
    source.SetCenter(0.0, 0.0, 0.0)
    source.SetNormal(0.0, 0.0, 1.0)
    source.GeneratePolygonOn()
    source.GeneratePolylineOff()
    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(source.GetOutputPort())
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*colour)
    prop.SetOpacity(opacity)
    prop.SetAmbient(0.6)
    prop.SetDiffuse(0.4)
    prop.SetSpecular(0.0)
    # The disc must not hide what lies just under it from the picker's point of view: it is
    # context, not an object to pick.
    actor.PickableOff()
    actor.VisibilityOff()
    return actor, source


def style_text(prop: vtkTextProperty, colour: RGB, size: int, *, bold: bool = False) -> None:
    """Sans-serif text in ``colour`` at ``size`` points, with a soft shadow for contrast."""
    prop.SetFontFamilyToArial()
    prop.SetFontSize(size)
    prop.SetColor(*colour)
    prop.SetBold(bold)
    prop.SetItalic(False)
    prop.ShadowOn()
    prop.SetShadowOffset(1, -1)


class LabelSet:
    """Text labels at 3D points, drawn on top of the scene (one 2D actor for all of them)."""

    def __init__(self, colour: RGB, size: int = 15, *, bold: bool = True) -> None:
        self.polydata = empty_polydata()
        self.mapper = vtkLabeledDataMapper()
        self.mapper.SetInputData(self.polydata)
        self.mapper.SetLabelModeToLabelFieldData()
        self.mapper.SetFieldDataName("labels")
        text = self.mapper.GetLabelTextProperty()
        style_text(text, colour, size, bold=bold)
        text.SetJustificationToCentered()
        text.SetVerticalJustificationToCentered()
        self.actor = vtkActor2D()
        self.actor.SetMapper(self.mapper)
        self.actor.VisibilityOff()

    @property
    def text_property(self) -> vtkTextProperty:
        """The labels' text property (colour, font, size)."""
        return self.mapper.GetLabelTextProperty()

    def set_labels(self, points: npt.ArrayLike, texts: Sequence[str]) -> None:
        """Labels ``texts`` centred at ``points (k, 3)`` mm; hidden when there are none."""
        pts = np.asarray(points, dtype=float).reshape(-1, 3)
        set_points(self.polydata, pts)
        strings = vtkStringArray()
        strings.SetName("labels")
        for text in texts:
            strings.InsertNextValue(text)
        self.polydata.GetPointData().AddArray(strings)
        # The mapper labels points, which need vertex cells only for bounds; none are needed.
        self.polydata.Modified()
        self.actor.SetVisibility(len(texts) > 0)


def scalar_bar(
    ctf: vtkColorTransferFunction,
    title: str,
    colour: RGB,
    position: tuple[float, float],
    label_format: str = "%.1f",
    labels: int = 5,
) -> vtkScalarBarActor:
    """A vertical colour legend with its lower-left corner at normalised viewport
    ``position``; the title is broken over two lines (VTK lays out vertical bars cleanly,
    horizontal ones crowd the title into the tick labels). The legend is a fifth of the
    viewport wide (at most 130 px), wider than its bar and labels, because VTK centres the
    title over that width: a narrower one let a two-word title run off the viewport's edge."""
    bar = vtkScalarBarActor()
    bar.SetLookupTable(ctf)
    bar.SetTitle(_two_lines(title))
    bar.SetOrientationToVertical()
    bar.SetNumberOfLabels(labels)
    bar.SetLabelFormat(label_format)
    bar.SetPosition(*position)
    bar.SetWidth(0.2)
    bar.SetHeight(0.42)
    bar.SetMaximumWidthInPixels(130)
    bar.SetMaximumHeightInPixels(340)
    bar.SetBarRatio(0.13)
    bar.SetTextPositionToSucceedScalarBar()
    bar.SetTextPad(4)
    bar.SetVerticalTitleSeparation(8)
    bar.UnconstrainedFontSizeOn()
    style_text(bar.GetTitleTextProperty(), colour, 15)
    style_text(bar.GetLabelTextProperty(), colour, 13)
    bar.GetTitleTextProperty().ShadowOff()
    bar.GetLabelTextProperty().ShadowOff()
    bar.VisibilityOff()
    return bar


def _two_lines(title: str) -> str:
    """``title`` broken at the space nearest its middle."""
    words = title.split()
    if len(words) < 2:
        return title
    cuts = [len(" ".join(words[:i])) for i in range(1, len(words))]
    best = min(range(len(cuts)), key=lambda i: abs(cuts[i] - len(title) / 2))
    return " ".join(words[: best + 1]) + "\n" + " ".join(words[best + 1 :])


#: The orientation marker's face labels: the valve frame's axes (section 1 of DESIGN.md).
MARKER_FACE_TEXT = {"+x": "PM", "-x": "AL", "+y": "A", "-y": "P", "+z": "LA", "-z": "LV"}


def orientation_marker_actor() -> vtkActor:
    """A cube labelled with the valve frame's anatomical directions, for a
    ``vtkOrientationMarkerWidget`` (the GUI owns the widget, which needs an interactor).

    Faces (:data:`MARKER_FACE_TEXT`): ``A``/``P`` (+y anterior, -y posterior), ``LA``/``LV``
    (+z into the left atrium, -z toward the ventricle), ``AL``/``PM`` (-x anterolateral, +x
    posteromedial commissure).

    VTK's ``vtkAnnotatedCubeActor`` lays the cube out; its eight parts (the cube, six
    letterings and their outlines) are merged here into one actor coloured per cell. The
    marker is drawn by a second renderer in every frame, and in software OpenGL each actor is a
    draw call with its own state: eight actors cost about 4 ms of a 25 ms frame, one about
    1 ms (measured at 538 x 726, the GUI's 3D view in a 1280 x 800 window).
    """
    cube = vtkAnnotatedCubeActor()
    cube.SetXPlusFaceText(MARKER_FACE_TEXT["+x"])
    cube.SetXMinusFaceText(MARKER_FACE_TEXT["-x"])
    cube.SetYPlusFaceText(MARKER_FACE_TEXT["+y"])
    cube.SetYMinusFaceText(MARKER_FACE_TEXT["-y"])
    cube.SetZPlusFaceText(MARKER_FACE_TEXT["+z"])
    cube.SetZMinusFaceText(MARKER_FACE_TEXT["-z"])
    cube.SetZFaceTextRotation(90.0)  # upright in the surgeon's (atrial) view, anterior up
    # Set after the rotation: this setter lays the parts out again (the rotation's does not,
    # and the parts are merged before the cube is ever drawn).
    cube.SetFaceTextScale(0.38)
    cube.GetCubeProperty().SetColor(0.32, 0.36, 0.42)
    cube.GetTextEdgesProperty().SetColor(0.85, 0.87, 0.90)
    for prop, colour in (
        (cube.GetXPlusFaceProperty(), (0.76, 0.56, 0.96)),
        (cube.GetXMinusFaceProperty(), (0.76, 0.56, 0.96)),
        (cube.GetYPlusFaceProperty(), (0.35, 0.82, 0.95)),
        (cube.GetYMinusFaceProperty(), (0.35, 0.82, 0.95)),
        (cube.GetZPlusFaceProperty(), (0.95, 0.55, 0.45)),
        (cube.GetZMinusFaceProperty(), (0.95, 0.55, 0.45)),
    ):
        prop.SetColor(*colour)
    return _merged_parts(cube)


def _merged_parts(assembly: vtkProp) -> vtkActor:
    """The visible parts of ``assembly`` as one actor: each part's geometry placed by its
    matrix and coloured, cell by cell, with its colour (flat shaded)."""
    parts = vtkPropCollection()
    assembly.GetActors(parts)
    append = vtkAppendPolyData()
    for i in range(parts.GetNumberOfItems()):
        part = parts.GetItemAsObject(i)
        assert isinstance(part, vtkActor)
        if not part.GetVisibility():
            continue
        mapper = part.GetMapper()
        mapper.Update()
        place = vtkTransform()
        place.SetMatrix(part.GetMatrix())
        placed = vtkTransformFilter()
        placed.SetInputData(mapper.GetInput())
        placed.SetTransform(place)
        placed.Update()
        poly = vtkPolyData()
        poly.DeepCopy(placed.GetOutput())
        rgb = np.round(255 * np.asarray(part.GetProperty().GetColor())).astype(np.uint8)
        colours = numpy_to_vtk(np.tile(rgb, (poly.GetNumberOfCells(), 1)), deep=True)
        colours.SetName("colours")
        poly.GetPointData().SetScalars(None)
        poly.GetCellData().SetScalars(colours)
        append.AddInputData(poly)
    append.Update()
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(append.GetOutput())
    mapper.SetScalarModeToUseCellData()
    mapper.SetColorModeToDirectScalars()
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetInterpolationToFlat()
    return actor


def _vtk_matrix(matrix: npt.ArrayLike) -> vtkMatrix4x4:
    m = np.asarray(matrix, dtype=float).reshape(4, 4)
    out = vtkMatrix4x4()
    for i in range(4):
        for j in range(4):
            out.SetElement(i, j, float(m[i, j]))
    return out
