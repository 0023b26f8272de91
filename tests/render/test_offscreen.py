"""Off-screen images of a plan: what is drawn where, in which colours, and the PNG files.

Pixels are probed where the model's geometry projects (VTK's own world -> display
transform), so the checks say "A is drawn at the top in its colour", not merely "something
was drawn".
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.planning import Placement
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.render import (
    PlanScene,
    grab_image,
    grab_png,
    offscreen_scene,
    render_image,
    render_png,
)
from mvplan.render.colours import THEMES
from mvplan.render.layers import suture_legs
from mvplan.rings.spec import RingSpec

SIZE = (640, 400)
WIDTH, HEIGHT = SIZE

Image = np.ndarray


def _display(scene: PlanScene, points: np.ndarray) -> np.ndarray:
    """VTK's world -> display transform, point by point: (n, 2) pixels from the lower left."""
    out = []
    renderer = scene.renderer
    for p in np.atleast_2d(points):
        renderer.SetWorldPoint(*p, 1.0)
        renderer.WorldToDisplay()
        out.append(renderer.GetDisplayPoint()[:2])
    return np.array(out)


def _pixels(image: Image, display: np.ndarray) -> np.ndarray:
    """RGB (n, 3) ints of the image at display points (VTK's y runs up, rows run down)."""
    cols = np.clip(np.floor(display[:, 0]).astype(int), 0, WIDTH - 1)
    rows = np.clip(HEIGHT - 1 - np.floor(display[:, 1]).astype(int), 0, HEIGHT - 1)
    return image[rows, cols].astype(int)


def _render(scene: PlanScene) -> Image:
    window = scene.renderer.GetRenderWindow()
    window.Render()
    return grab_image(window)


@pytest.fixture(scope="module")
def drawn(
    annulus: Annulus, spec: RingSpec, placement: Placement, result: AnnuloplastyResult
) -> Iterator[dict[str, object]]:
    """One scene rendered three times (annulus; + ring; + result) from the atrial view, with
    the display positions of what was drawn."""
    with offscreen_scene(SIZE) as scene:
        scene.set_annulus(annulus)
        scene.set_view("atrial")
        out: dict[str, object] = {"annulus": _render(scene)}
        out["curve"] = _display(scene, annulus.points_valve)
        out["landmarks"] = {n: _display(scene, scene.landmark_position(n))[0] for n in "AP"}
        out["landmarks"] |= {
            n: _display(scene, scene.landmark_position(n))[0] for n in ("ALC", "PMC")
        }
        anchor = scene._annulus._label_anchor(scene.landmark_position("A"))
        out["label_A"] = _display(scene, anchor)[0]
        scene.set_ring(spec, placement)
        out["ring"] = _render(scene)
        out["ring_line"] = _display(scene, scene._ring.centreline())
        scene.set_result(result)
        out["result"] = _render(scene)
        out["settled_line"] = _display(scene, scene._result.ring_points)
        legs = suture_legs(result)
        assert legs is not None
        k = len(result.sutures)
        lift = np.array([0.0, 0.0, 0.5 * spec.cross_section.height_mm + 0.2])
        out["stitch_tops"] = _display(scene, 0.5 * (legs[1][:k] + legs[1][k:]) + lift)
        yield out


def test_image_is_a_clean_picture(drawn: dict[str, object]) -> None:
    image = drawn["annulus"]
    assert isinstance(image, np.ndarray) and image.shape == (HEIGHT, WIDTH, 3)
    theme = THEMES["dark"]
    # The gradient background: top and bottom rows at the theme's colours.
    np.testing.assert_allclose(image[0, WIDTH // 2], np.array(theme.background_top) * 255, atol=6)
    np.testing.assert_allclose(
        image[-1, WIDTH // 2], np.array(theme.background_bottom) * 255, atol=6
    )
    assert image.std() > 15  # not blank


def test_annulus_is_centred_and_coloured_by_height(
    drawn: dict[str, object], annulus: Annulus
) -> None:
    image, curve = drawn["annulus"], drawn["curve"]
    assert isinstance(image, np.ndarray) and isinstance(curve, np.ndarray)
    centre = curve.mean(axis=0)
    assert abs(centre[0] - WIDTH / 2) < 0.05 * WIDTH
    assert abs(centre[1] - HEIGHT / 2) < 0.08 * HEIGHT
    span = np.ptp(curve, axis=0)
    assert span[1] > 0.45 * HEIGHT  # fills the view, leaving room for labels
    # Away from the landmark spheres, each curve point is drawn in its height's colour.
    z = annulus.points_valve[:, 2]
    u = np.arange(z.size) / z.size
    marks = np.array([m.u for m in annulus.landmarks.values()])
    clear = np.min(np.abs((u[:, None] - marks[None, :] + 0.5) % 1.0 - 0.5), axis=1) > 0.03
    rgb = _pixels(image, curve)
    high, low = clear & (z > 1.0), clear & (z < -1.0)
    assert high.sum() > 10 and low.sum() > 10
    assert np.all(rgb[high, 0] > rgb[high, 2] + 30)  # red above the plane
    assert np.all(rgb[low, 2] > rgb[low, 0] + 30)  # blue below it


def test_atrial_view_puts_a_at_twelve_and_alc_at_nine(drawn: dict[str, object]) -> None:
    image, marks = drawn["annulus"], drawn["landmarks"]
    assert isinstance(image, np.ndarray) and isinstance(marks, dict)
    assert marks["A"][1] > HEIGHT / 2 > marks["P"][1]  # A in the upper half
    assert abs(marks["A"][0] - WIDTH / 2) < 0.05 * WIDTH
    assert marks["ALC"][0] < WIDTH / 2 < marks["PMC"][0]
    r, g, b = _pixels(image, marks["A"][None, :])[0]
    assert g > r + 60 and b > r + 60  # A's glyph (cyan) is drawn there
    # Its label, in the theme's near-white text, just outside the annulus above it.
    label = drawn["label_A"]
    assert isinstance(label, np.ndarray) and label[1] > marks["A"][1]
    col, row = int(label[0]), HEIGHT - 1 - int(label[1])
    patch = image[row - 6 : row + 7, col - 6 : col + 7].astype(int)
    assert (patch.min(axis=2) > 200).sum() >= 5


def test_ring_and_result_are_drawn(drawn: dict[str, object]) -> None:
    before, with_ring, after = drawn["annulus"], drawn["ring"], drawn["result"]
    ring_line, tops = drawn["ring_line"], drawn["stitch_tops"]
    assert isinstance(ring_line, np.ndarray) and isinstance(tops, np.ndarray)
    ring_px = _pixels(with_ring, ring_line)
    # Where the ring's centreline projects: the ring's ivory (bright, warm, unsaturated)...
    ivory = (
        (ring_px.min(axis=1) > 150)
        & (ring_px[:, 0] >= ring_px[:, 2])
        & (np.ptp(ring_px, axis=1) < 60)
    )
    assert ivory.mean() > 0.9
    # ...where before there was only the dark scene.
    assert _pixels(before, ring_line).mean() < 100
    # After the simulation each suture's stitch is drawn over the ring in its force's colour
    # (about 1 N here: yellow-green).
    stitch_px = _pixels(after, tops)
    assert np.mean(stitch_px[:, 1] > stitch_px[:, 2] + 50) > 0.8
    # The settled ring is drawn translucent over the reshaped annulus: light, and lighter
    # than what was there before the ring.
    settled = drawn["settled_line"]
    assert isinstance(settled, np.ndarray)
    settled_px = _pixels(after, settled).mean(axis=1)
    assert np.median(settled_px) > 100
    assert np.median(settled_px - _pixels(before, settled).mean(axis=1)) > 60
    assert np.abs(after.astype(int) - with_ring.astype(int)).mean() > 1.0


def test_views_differ(annulus: Annulus) -> None:
    images = {v: render_image(annulus, view=v, size=SIZE) for v in ("atrial", "lateral", "ap")}
    for a, b in (("atrial", "lateral"), ("atrial", "ap"), ("lateral", "ap")):
        assert np.abs(images[a].astype(int) - images[b].astype(int)).mean() > 3.0
    # Seen edge-on, the annulus is a thin band across the middle (legends aside).
    middle = images["lateral"][:, WIDTH // 5 : 4 * WIDTH // 5].astype(int)
    rows = np.flatnonzero((np.abs(np.diff(middle, axis=1)).sum(axis=2) > 60).any(axis=1))
    assert rows.size and np.ptp(rows) < 0.3 * HEIGHT
    assert abs(rows.mean() - HEIGHT / 2) < 0.1 * HEIGHT


def test_render_png_writes_a_png(tmp_path: Path, annulus: Annulus) -> None:
    target = tmp_path / "plan.png"
    written = render_png(target, annulus, size=(320, 200), background="white")
    assert written == target
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (320, 200)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.png"]  # no temporary left
    # An ordinary new file: the umask decides its mode (a private temporary file would not).
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_grab_png_of_any_window(tmp_path: Path, annulus: Annulus) -> None:
    with offscreen_scene((200, 120), background=(1.0, 1.0, 1.0)) as scene:
        scene.set_annulus(annulus)
        window = scene.renderer.GetRenderWindow()
        window.Render()
        path = grab_png(window, tmp_path / "view.PNG")
        image = grab_image(window)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert image.shape == (120, 200, 3) and tuple(image[0, 0]) == (255, 255, 255)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"view": "top"}, "unknown view"),
        ({"view": None}, "unknown view"),
        ({"size": (0, 400)}, "image size"),
        ({"size": (640.5, 400)}, "image size"),
        ({"size": (640,)}, "image size"),
        ({"size": "640x400"}, "image size"),
        ({"size": (True, 400)}, "image size"),
        ({"background": "pink"}, "background"),
    ],
)
def test_bad_arguments(tmp_path: Path, annulus: Annulus, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as error:
        render_png(tmp_path / "x.png", annulus, **kwargs)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "x.png").exists()


def test_ring_needs_a_placement(tmp_path: Path, annulus: Annulus, spec: RingSpec) -> None:
    with pytest.raises(InputError, match="placement"):
        render_png(tmp_path / "x.png", annulus, spec)


def test_unwritable_paths(tmp_path: Path, annulus: Annulus) -> None:
    cases = [tmp_path / "missing" / "x.png", tmp_path / "x.jpg", tmp_path / "folder.png"]
    (tmp_path / "folder.png").mkdir()
    for path in cases:
        with pytest.raises(InputError) as error:
            render_png(path, annulus, size=(64, 64))
        assert "\n" not in str(error.value)
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(InputError, match="permission"):
            render_png(locked / "x.png", annulus, size=(64, 64))
