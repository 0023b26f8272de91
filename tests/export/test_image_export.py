"""PNG pictures of a plan, off screen: size, not blank, the ring and stitches drawn in
their colours, views, and bad input."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from vtkmodules.vtkIOImage import vtkPNGReader

from mvplan.errors import InputError
from mvplan.export import export_plan
from mvplan.export.image import write_image
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.render.arrays import image_array
from mvplan.workflow import MadePlan

SIZE = (320, 200)


def _read(path: Path) -> np.ndarray:
    """``(height, width, 3)`` uint8 RGB of a PNG file, first row at the top."""
    reader = vtkPNGReader()
    reader.SetFileName(str(path))
    reader.Update()
    return image_array(reader.GetOutput())[..., :3]


def _ivory(image: np.ndarray) -> np.ndarray:
    """Pixels in the ring's ivory: bright, warm, unsaturated."""
    rgb = image.astype(int)
    return (rgb.min(axis=2) > 150) & (rgb[..., 0] >= rgb[..., 2]) & (np.ptp(rgb, axis=2) < 60)


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory, made: MadePlan) -> Path:
    """The plan before its simulation, from the atrium."""
    target = tmp_path_factory.mktemp("images") / "placed.png"
    assert write_image(made.plan, None, made.spec, target, size=SIZE) == target
    return target


def test_picture_has_the_size_asked_and_is_not_blank(placed: Path) -> None:
    data = placed.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == SIZE
    assert sorted(p.name for p in placed.parent.iterdir()) == ["placed.png"]
    image = _read(placed)
    assert image.shape == (SIZE[1], SIZE[0], 3)
    assert image.std() > 15


def test_the_ring_is_drawn_in_its_colour(placed: Path) -> None:
    ivory = _ivory(_read(placed))
    assert ivory.sum() > 300  # a ring's worth of pixels at 320 x 200
    rows, cols = np.nonzero(ivory)
    # Seen from the atrium the ring surrounds the middle of the picture.
    assert abs(cols.mean() - SIZE[0] / 2) < 0.1 * SIZE[0]
    assert abs(rows.mean() - SIZE[1] / 2) < 0.15 * SIZE[1]


def test_simulated_picture_shows_the_stitches(
    tmp_path: Path, made: MadePlan, result: AnnuloplastyResult, placed: Path
) -> None:
    target = tmp_path / "simulated.png"
    assert export_plan(made.plan, result, made.spec, target, size=SIZE) == [target]
    image = _read(target).astype(int)
    # The stitches at about 1 N: yellow-green, which the plan before had nowhere.
    green = (image[..., 1] > image[..., 2] + 50) & (image[..., 1] > 120)
    before = _read(placed).astype(int)
    was_green = (before[..., 1] > before[..., 2] + 50) & (before[..., 1] > 120)
    assert green.sum() > was_green.sum() + 50


def test_views_differ(tmp_path: Path, made: MadePlan, placed: Path) -> None:
    target = tmp_path / "lateral.png"
    export_plan(made.plan, None, made.spec, target, view="lateral", size=SIZE)
    lateral, atrial = _read(target).astype(int), _read(placed).astype(int)
    assert np.abs(lateral - atrial).mean() > 3.0
    # Edge on, the ring is a thin band: far fewer rows hold its ivory than from above.
    rows = {
        k: _ivory(v.astype(np.uint8)).any(axis=1).sum()
        for k, v in (("lateral", lateral), ("atrial", atrial))
    }
    assert rows["lateral"] < 0.5 * rows["atrial"]


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("x.png", {"objects": "ring"}, "a picture shows the whole plan"),
        ("x.png", {"frame": "original"}, "a picture is drawn in the valve frame"),
        ("x.png", {"view": "top"}, "unknown view 'top'"),
        ("x.png", {"size": (8, 8)}, "image size must be two whole numbers"),
        ("nowhere/x.png", {}, r"cannot write the image: folder .*nowhere does not exist"),
    ],
)
def test_bad_input(
    tmp_path: Path, made: MadePlan, name: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message) as error:
        export_plan(made.plan, None, made.spec, tmp_path / name, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
