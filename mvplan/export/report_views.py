"""The 3D views of a plan report: rendered off screen, each encoded as a PNG file.

:func:`render_views` draws the plan in each camera preset of :data:`VIEW_TITLES` in one
off-screen VTK window (VTK is imported inside it, so a report without images loads none);
:func:`render_closure_views` draws each closed valve of a leaflet closure, coloured by the
gap between the leaflets; :func:`png_bytes` encodes the pixels as a deterministic PNG file
with no dependency beyond NumPy and :mod:`zlib`. :mod:`mvplan.export.report_html` inlines
the PNG files in the page.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mvplan.plan import Plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.rings.spec import RingSpec
from mvplan.workflow import ClosureCase, ClosureOutcome, ring_spec

if TYPE_CHECKING:
    from vtkmodules.vtkRenderingCore import vtkColorTransferFunction, vtkRenderer

__all__ = [
    "CLOSURE_PANELS",
    "DEFAULT_IMAGE_SIZE",
    "VIEW_TITLES",
    "png_bytes",
    "render_closure_views",
    "render_views",
]

#: The 3D views of a report, camera presets of :data:`mvplan.render.VIEWS`, with captions.
VIEW_TITLES: Mapping[str, str] = {
    "atrial": "Atrial (surgeon's) view, A at the top",
    "lateral": "Lateral view from the posteromedial side, atrium up",
    "ap": "View from the posterior side toward A, atrium up",
}
#: Default size of each 3D view (width, height), pixels.
DEFAULT_IMAGE_SIZE = (800, 500)
#: The two panels of a closed-valve view (:func:`render_closure_views`), left to right.
CLOSURE_PANELS: tuple[str, ...] = (
    "Atrial view, A at the top",
    "Anterior leaflet seen from P: its coapting face",
)


def png_bytes(rgb: npt.NDArray[np.uint8]) -> bytes:
    """A PNG file of an RGB image.

    Deterministic (same pixels, same bytes) and dependency-free. Rows use the PNG "Sub"
    filter (each byte minus the one a pixel to the left): on a 800 x 500 render of the sample
    plan that is 8 % smaller than unfiltered rows and within 3 % of VTK's libpng writer.

    Parameters
    ----------
    rgb : (height, width, 3) uint8
        The pixels, first row at the top.

    Returns
    -------
    bytes
        The PNG file (8-bit RGB, no alpha).

    Raises
    ------
    ValueError
        An array of another shape.
    """
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) RGB image, got shape {image.shape}")
    height, width, _ = image.shape
    rows = image.reshape(height, width * 3)
    filtered = rows.copy()
    filtered[:, 3:] = rows[:, 3:] - rows[:, :-3]  # uint8 wraps modulo 256, as PNG wants
    raw = np.hstack([np.ones((height, 1), dtype=np.uint8), filtered]).tobytes()

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = chunk(b"IDAT", zlib.compress(raw, 9))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


def render_views(
    plan: Plan,
    spec: RingSpec | None,
    result: AnnuloplastyResult | None,
    *,
    size: Sequence[int] = DEFAULT_IMAGE_SIZE,
    background: str | Sequence[float] = "white",
) -> dict[str, bytes]:
    """PNG images of the plan in each view of :data:`VIEW_TITLES`, rendered off screen.

    One off-screen window serves the three views. A process with no display should call
    :func:`mvplan.headless.configure_headless` before VTK is first imported.

    Parameters
    ----------
    plan : Plan
    spec : RingSpec or None
        The plan's ring (None: :func:`mvplan.workflow.ring_spec`); ignored with no ring.
    result : AnnuloplastyResult or None
        The simulation: the reshaped annulus, the ring where it settled and the sutures
        coloured by force (a percutaneous device: its wire and anchors coloured by force,
        with the coronary sinus and the artery, :func:`mvplan.export.image.show_vessels`);
        None: the plan as placed.
    size : (int, int)
        Width and height of each view, pixels.
    background : str or RGB
        Background of the views (:func:`mvplan.render.colours.resolve_theme`).

    Returns
    -------
    dict of str to bytes
        A PNG file by view name, in the order of :data:`VIEW_TITLES`.
    """
    # VTK is imported here, not with the module: a report without images needs none.
    from mvplan.export.image import show_vessels
    from mvplan.render import grab_image, offscreen_scene

    if plan.ring is None:
        spec, result = None, None
    elif spec is None:
        spec = ring_spec(plan)
    out = {}
    with offscreen_scene(size, background) as scene:
        scene.set_annulus(plan.annulus)
        scene.set_ring(spec, plan.placement if spec is not None else None)
        show_vessels(scene, plan, result)
        scene.set_result(result)
        window = scene.renderer.GetRenderWindow()
        for view in VIEW_TITLES:
            scene.set_view(view)
            window.Render()
            out[view] = png_bytes(grab_image(window))
    return out


def _leaflet_actor(
    points: npt.NDArray[np.float64],
    faces: npt.NDArray[np.int64],
    gap_mm: npt.NDArray[np.float64],
    ctf: vtkColorTransferFunction,
) -> Any:
    from vtkmodules.vtkFiltersCore import vtkPolyDataNormals
    from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

    from mvplan.render.arrays import empty_polydata, set_point_scalars, set_points, set_triangles

    poly = empty_polydata()
    set_points(poly, points)
    set_triangles(poly, faces)
    set_point_scalars(poly, gap_mm, "gap_mm")
    normals = vtkPolyDataNormals()  # smooth shading of the faceted membrane
    normals.SetInputData(poly)
    normals.SplittingOff()
    normals.ConsistencyOn()
    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(normals.GetOutputPort())
    mapper.SetLookupTable(ctf)
    mapper.UseLookupTableScalarRangeOn()
    mapper.InterpolateScalarsBeforeMappingOn()
    mapper.SetScalarModeToUsePointData()
    mapper.ScalarVisibilityOn()
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetInterpolationToPhong()
    prop.SetAmbient(0.18)
    prop.SetDiffuse(0.8)
    prop.SetSpecular(0.15)
    prop.SetSpecularPower(20.0)
    return actor


def _annulus_actor(points: npt.NDArray[np.float64], colour: tuple[float, float, float]) -> Any:
    from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

    from mvplan.render.arrays import empty_polydata, set_point_normals, set_points, set_triangles
    from mvplan.render.sweep import sweep_tube

    tube = sweep_tube(points, True, 0.45)
    poly = empty_polydata()
    set_points(poly, tube.vertices)
    set_point_normals(poly, tube.normals)
    set_triangles(poly, tube.faces)
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    mapper.ScalarVisibilityOff()
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(*colour)
    return actor


def _panel_title(renderer: vtkRenderer, text: str, colour: tuple[float, float, float]) -> None:
    from vtkmodules.vtkRenderingCore import vtkTextActor

    from mvplan.render.actors import style_text

    title = vtkTextActor()
    title.SetInput(text)
    style_text(title.GetTextProperty(), colour, 15, bold=True)
    title.GetTextProperty().ShadowOff()
    title.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    title.SetPosition(0.03, 0.93)
    title.GetTextProperty().SetVerticalJustificationToTop()
    renderer.AddViewProp(title)


def _closure_picture(
    case: ClosureCase,
    outcome: ClosureOutcome,
    size: tuple[int, int],
    background: str | Sequence[float],
) -> bytes:
    """One closed valve in two panels (:data:`CLOSURE_PANELS`), as a PNG file."""
    from vtkmodules.vtkRenderingCore import vtkRenderer

    from mvplan.render import grab_image
    from mvplan.render.actors import scalar_bar
    from mvplan.render.backend import new_offscreen_window
    from mvplan.render.camera import apply_view
    from mvplan.render.colours import gap_transfer_function, resolve_theme
    from mvplan.render.style import style_renderer
    from mvplan.valve.coaptation import DISTANCE_CAP_MM

    theme = resolve_theme(background)
    mesh, coaptation = outcome.model.mesh, case.coaptation
    points = np.asarray(case.result.leaflet_points, dtype=float)
    faces = np.asarray(mesh.triangles, dtype=np.int64)
    # The commissural tissue has no other leaflet (NaN): far, as in the exported scenes.
    gap = np.nan_to_num(np.asarray(coaptation.node_distance_mm, float), nan=DISTANCE_CAP_MM)
    ctf = gap_transfer_function()
    annulus = np.asarray(case.annulus_valve, dtype=float)
    anterior = faces[np.asarray(mesh.labels) == "anterior"]
    window, left = new_offscreen_window(size)
    right = vtkRenderer()
    window.AddRenderer(right)
    try:
        # The right panel keeps room at its right edge for the legend.
        panels = (
            (left, faces, "atrial", np.vstack([points, annulus]), 0.04),
            (right, anterior, "ap", points[np.unique(anterior)], 0.14),
        )
        for (renderer, shown, view, outline, margin), (x0, x1), title in zip(
            panels, ((0.0, 0.5), (0.5, 1.0)), CLOSURE_PANELS, strict=True
        ):
            renderer.SetViewport(x0, 0.0, x1, 1.0)
            style_renderer(renderer, theme)
            renderer.AddActor(_leaflet_actor(points, shown, gap, ctf))
            if view == "atrial":
                renderer.AddActor(_annulus_actor(annulus, (0.35, 0.38, 0.45)))
            lows, highs = outline.min(axis=0), outline.max(axis=0)
            bounds = [float(v) for pair in zip(lows, highs, strict=True) for v in pair]
            apply_view(renderer, view, bounds, outline, fill=0.82, side_margin=margin)
            _panel_title(renderer, title, theme.text)
        bar = scalar_bar(ctf, "gap (mm)", theme.text, (0.84, 0.06), "%.0f", labels=6)
        bar.SetWidth(0.16)
        bar.SetHeight(0.5)
        bar.VisibilityOn()
        right.AddViewProp(bar)
        window.Render()
        return png_bytes(grab_image(window))
    finally:
        for renderer in (left, right):
            renderer.RemoveAllViewProps()
        window.Finalize()


def render_closure_views(
    closure: ClosureOutcome,
    *,
    size: Sequence[int] = DEFAULT_IMAGE_SIZE,
    background: str | Sequence[float] = "white",
) -> dict[str, bytes]:
    """PNG images of each closed valve of a leaflet closure, coloured by the leaflet gap.

    Each image has two panels (:data:`CLOSURE_PANELS`): the leaflets and their annulus
    seen from the atrium (A at the top, as :data:`VIEW_TITLES` ``atrial``), and the
    anterior leaflet alone seen from the posterior side, looking toward A, the atrium up,
    which shows its coapting face and the contact band along its free edge. Colours: the
    gap to the other leaflet on the app's gap map
    (:func:`mvplan.render.colours.gap_transfer_function`; teal where the leaflets touch),
    with its legend.

    Parameters
    ----------
    closure : ClosureOutcome
        :func:`mvplan.workflow.simulate_closure` (its closed valves only: a failed solve
        is never an outcome).
    size : (int, int)
        Width and height of each image, pixels.
    background : str or RGB
        Background (:func:`mvplan.render.colours.resolve_theme`).

    Returns
    -------
    dict of str to bytes
        A PNG file for ``native`` and, with a device, ``repaired``.
    """
    from mvplan.render.offscreen import check_size

    width, height = check_size(size)
    out = {}
    for name, case in (("native", closure.native), ("repaired", closure.repaired)):
        if case is not None:
            out[name] = _closure_picture(case, closure, (width, height), background)
    return out
