"""Off-screen images of a plan: render to a numpy array or a PNG file, with no display.

A process with no display should call :func:`mvplan.headless.configure_headless` before VTK
is imported; plain off-screen windows also work without it (VTK falls back to EGL).
PNG files are written atomically (a temporary file in the same folder, then renamed), so an
interrupted export never leaves half an image under the final name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOImage import vtkPNGWriter
from vtkmodules.vtkRenderingCore import vtkRenderWindow, vtkWindowToImageFilter

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.io.atomic import write_atomic
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.planning.placement import Placement
from mvplan.render.arrays import image_array
from mvplan.render.backend import new_offscreen_window
from mvplan.render.camera import check_view
from mvplan.render.colours import Theme, resolve_theme
from mvplan.render.scene import PlanScene
from mvplan.rings.spec import RingSpec

__all__ = [
    "DEFAULT_SIZE",
    "MAX_SIDE_PX",
    "MIN_SIDE_PX",
    "grab_image",
    "grab_png",
    "offscreen_scene",
    "render_image",
    "render_png",
]

#: Default image size (width, height), pixels.
DEFAULT_SIZE = (1280, 800)
#: Smallest and largest accepted image side, pixels (the largest is what off-screen
#: OpenGL contexts reliably allocate).
MIN_SIDE_PX, MAX_SIDE_PX = 16, 8192

Background = str | Sequence[float] | Theme


def check_size(size: object) -> tuple[int, int]:
    """``(width, height)`` as ints if ``size`` is two whole numbers of pixels in
    [:data:`MIN_SIDE_PX`, :data:`MAX_SIDE_PX`], else an :class:`InputError`."""
    sequence = isinstance(size, Sequence | np.ndarray) and not isinstance(size, str)
    values = list(size) if sequence else []  # type: ignore[call-overload]
    ok = len(values) == 2 and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values
    )
    if not ok or not all(MIN_SIDE_PX <= int(v) <= MAX_SIDE_PX for v in values):
        raise InputError(
            f"image size must be two whole numbers of pixels (width, height) from "
            f"{MIN_SIDE_PX} to {MAX_SIDE_PX}, got {size!r}"
        )
    return int(values[0]), int(values[1])


def check_png_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if a PNG file can be written there, else an :class:`InputError`
    (wrong suffix, missing folder, a folder in the way, no permission)."""
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise InputError("an image file name must end in .png", source=target.name or str(path))
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write the image: folder {parent} does not exist")
    if target.is_dir():
        raise InputError(f"cannot write the image: {target} is a folder")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"cannot write the image: no permission to write in {parent}")
    return target


def grab_image(render_window: vtkRenderWindow) -> npt.NDArray[np.uint8]:
    """What ``render_window`` shows, rendered afresh: ``(height, width, 3)`` uint8 RGB, the
    first row at the top."""
    grabber = vtkWindowToImageFilter()
    grabber.SetInput(render_window)
    grabber.SetInputBufferTypeToRGB()
    # The back buffer holds the frame just rendered, on screen and off.
    grabber.ReadFrontBufferOff()
    grabber.Update()
    return image_array(grabber.GetOutput())


def _png_bytes(render_window: vtkRenderWindow) -> bytes:
    grabber = vtkWindowToImageFilter()
    grabber.SetInput(render_window)
    grabber.SetInputBufferTypeToRGB()
    grabber.ReadFrontBufferOff()
    writer = vtkPNGWriter()
    writer.SetInputConnection(grabber.GetOutputPort())
    writer.WriteToMemoryOn()
    writer.Write()
    return bytes(vtk_to_numpy(writer.GetResult()).tobytes())


def _write_atomically(target: Path, data: bytes) -> None:
    try:
        write_atomic(target, data)
    except OSError as error:
        raise InputError(f"cannot write the image: {error.strerror or error}") from error


def grab_png(render_window: vtkRenderWindow, path: str | os.PathLike[str]) -> Path:
    """Write what ``render_window`` shows to the PNG file ``path`` and return the path.

    Raises
    ------
    InputError
        A path that does not end in ``.png`` or cannot be written.
    """
    target = check_png_path(path)
    _write_atomically(target, _png_bytes(render_window))
    return target


@contextmanager
def offscreen_scene(
    size: Sequence[int] = DEFAULT_SIZE, background: Background = "dark"
) -> Iterator[PlanScene]:
    """A :class:`PlanScene` in its own off-screen window of ``size`` (width, height) pixels;
    the window is finalised (its OpenGL context released) on leaving the block.

    Raises
    ------
    InputError
        A bad size or background.
    """
    width, height = check_size(size)
    theme = resolve_theme(background)
    window, renderer = new_offscreen_window((width, height))
    try:
        yield PlanScene(renderer, theme=theme)
    finally:
        renderer.RemoveAllViewProps()
        window.Finalize()


def _check_ring(spec: RingSpec | None, placement: Placement | None) -> None:
    if (spec is None) != (placement is None):
        raise InputError("a ring needs a placement and a placement needs a ring")


def _fill(
    scene: PlanScene,
    annulus: Annulus,
    spec: RingSpec | None,
    placement: Placement | None,
    result: AnnuloplastyResult | None,
    view: str,
) -> None:
    scene.set_annulus(annulus)
    scene.set_ring(spec, placement)
    scene.set_result(result)
    scene.set_view(view)


def render_image(
    annulus: Annulus,
    spec: RingSpec | None = None,
    placement: Placement | None = None,
    result: AnnuloplastyResult | None = None,
    *,
    view: str = "atrial",
    size: Sequence[int] = DEFAULT_SIZE,
    background: Background = "dark",
) -> npt.NDArray[np.uint8]:
    """Render a plan off screen: ``(height, width, 3)`` uint8 RGB, first row at the top.

    Parameters as :func:`render_png`.
    """
    check_view(view)
    _check_ring(spec, placement)
    with offscreen_scene(size, background) as scene:
        _fill(scene, annulus, spec, placement, result, view)
        window = scene.renderer.GetRenderWindow()
        window.Render()
        return grab_image(window)


def render_png(
    path: str | os.PathLike[str],
    annulus: Annulus,
    spec: RingSpec | None = None,
    placement: Placement | None = None,
    result: AnnuloplastyResult | None = None,
    *,
    view: str = "atrial",
    size: Sequence[int] = DEFAULT_SIZE,
    background: Background = "dark",
) -> Path:
    """Render a plan off screen to the PNG file ``path``.

    Parameters
    ----------
    path : path
        Where to write; must end in ``.png``; its folder must exist.
    annulus : Annulus
    spec, placement : RingSpec and Placement, optional
        The ring as placed (both or neither).
    result : AnnuloplastyResult, optional
        A simulation of that plan (:func:`mvplan.planning.annuloplasty.simulate_annuloplasty`).
    view : str
        Camera preset: ``atrial``, ``lateral`` or ``ap``.
    size : (int, int)
        Width and height in pixels.
    background : str or RGB
        ``dark``, ``light``, ``white`` or a plain colour (three floats in [0, 1]).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        An unknown view, a bad size or background, a ring without a placement (or the
        reverse), a path that cannot be written.
    """
    check_view(view)
    check_size(size)
    resolve_theme(background)
    _check_ring(spec, placement)
    target = check_png_path(path)
    with offscreen_scene(size, background) as scene:
        _fill(scene, annulus, spec, placement, result, view)
        window = scene.renderer.GetRenderWindow()
        window.Render()
        data = _png_bytes(window)
    _write_atomically(target, data)
    return target
