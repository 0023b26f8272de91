"""PNG pictures of a plan, rendered off screen with the app's own scene.

The picture is the one the app draws (:class:`mvplan.render.PlanScene`): the annulus
coloured by height with its landmarks, the ring and its sutures, and after a simulation
the reshaped annulus with the native one grey beside it and the stitches coloured by force,
from a camera preset (``atrial``, ``lateral``, ``ap``). It is always in the valve frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mvplan.headless import configure_headless

if TYPE_CHECKING:
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult
    from mvplan.render.scene import PlanScene
    from mvplan.rings.spec import RingSpec

__all__ = ["DEFAULT_SIZE", "IMAGE_SUFFIX", "show_vessels", "write_image"]

#: Suffix of image files.
IMAGE_SUFFIX = ".png"

#: Default picture size (width, height), pixels.
DEFAULT_SIZE = (1280, 800)


def write_image(
    plan: Plan,
    result: AnnuloplastyResult | None,
    spec: RingSpec | None,
    path: str | os.PathLike[str],
    *,
    view: str = "atrial",
    size: Sequence[int] = DEFAULT_SIZE,
    background: str | Sequence[float] = "dark",
) -> Path:
    """Render a plan off screen to a PNG file.

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult or None
        The plan's simulation; None draws the plan before one (the ring as placed).
    spec : RingSpec or None
        The plan's ring (default, for a plan with a ring: :func:`mvplan.workflow.ring_spec`).
    path : path
        Ends in ``.png``; its folder must exist.
    view : str
        ``atrial``, ``lateral`` or ``ap`` (:data:`mvplan.render.VIEWS`).
    size : (int, int)
        Width and height, pixels (16 to 8192 each).
    background : str or RGB
        ``dark``, ``light``, ``white`` or a plain colour (three floats in [0, 1]).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        An unknown view, a bad size or background, a path that cannot be written.
    """
    # With no display VTK must be told to draw off screen before its first window (and Qt,
    # if this process ever starts it, too); with a display this changes nothing.
    configure_headless()
    from mvplan.render.offscreen import render_png

    if plan.has_device:
        return _device_image(plan, result, path, view, size, background)
    if spec is None and plan.ring is not None:
        from mvplan.workflow import ring_spec

        spec = ring_spec(plan)
    placement = plan.placement if spec is not None else None
    return render_png(
        path,
        plan.annulus,
        spec,
        placement,
        result,
        view=view,
        size=size,
        background=background,
    )


def show_vessels(scene: PlanScene, plan: Plan, result: AnnuloplastyResult | None) -> None:
    """Show a device plan's coronary sinus and artery in ``scene`` (with the safety geometry
    of the device shown: cinched with ``result``, else as placed); nothing for a ring plan.
    The device itself comes with the result (:meth:`PlanScene.set_result`)."""
    from mvplan.workflow import plan_safety

    if not plan.has_device:
        return
    path = None if plan.cs_path is None else plan.cs_path.points_valve
    if result is not None and result.device is not None:
        path = result.device.vein_before_valve
    artery = None if plan.artery is None else plan.artery.points_valve
    safety = plan_safety(plan, result) if result is not None else None
    scene.set_vessels(path, artery, safety)


def _device_image(
    plan: Plan,
    result: AnnuloplastyResult | None,
    path: str | os.PathLike[str],
    view: str,
    size: Sequence[int],
    background: str | Sequence[float],
) -> Path:
    """:func:`write_image` of a percutaneous device's plan."""
    from mvplan.render.camera import check_view
    from mvplan.render.offscreen import check_png_path, grab_png, offscreen_scene

    check_view(view)
    check_png_path(path)
    with offscreen_scene(size, background) as scene:
        scene.set_annulus(plan.annulus)
        show_vessels(scene, plan, result)
        scene.set_result(result)
        scene.set_view(view)
        window = scene.renderer.GetRenderWindow()
        window.Render()
        return grab_png(window, path)
