"""``mvplan gui FILE --screenshot PNG --exit`` as a user runs it, with no display: the picture
shows the annulus (and the ring) in the 3D view; a bad file is one line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui.helpers import SAMPLE

from mvplan.io.load import load_annulus
from mvplan.plan import Plan, RingChoice
from mvplan.planfile import save_plan
from mvplan.planning import auto_place
from mvplan.rings.catalogue import load_catalogue

pytestmark = pytest.mark.gui


def _run(
    args: list[str], tmp_path: Path, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # the command must configure itself
    env.pop("VTK_DEFAULT_OPENGL_WINDOW", None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # never the user's settings
    return subprocess.run(
        [sys.executable, "-m", "mvplan.cli", *(["gui"] if command is None else command), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _pixels(path: Path) -> np.ndarray:
    """``(h, w, 3)`` uint8 of a PNG (read with VTK's reader: no imaging dependency)."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOImage import vtkPNGReader

    reader = vtkPNGReader()
    reader.SetFileName(str(path))
    reader.Update()
    image = reader.GetOutput()
    width, height, _ = image.GetDimensions()
    array = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(height, width, -1)
    return np.ascontiguousarray(array[::-1, :, :3])  # VTK's first row is the bottom one


def _centre(pixels: np.ndarray) -> np.ndarray:
    """The middle of the window: inside the 3D view, clear of the docks on either side."""
    h, w, _ = pixels.shape
    return pixels[int(0.12 * h) : int(0.88 * h), int(0.33 * w) : int(0.6 * w)].astype(int)


def test_screenshot_of_an_annulus(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    run = _run([str(SAMPLE), "--screenshot", str(out), "--exit"], tmp_path)
    assert run.returncode == 0, run.stderr
    pixels = _pixels(out)
    assert pixels.shape[0] >= 800 and pixels.shape[1] >= 1280
    view = _centre(pixels)
    r, g, b = view[..., 0], view[..., 1], view[..., 2]
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    assert 10 < luminance.mean() < 200 and luminance.std() > 10  # a drawn scene, not black
    # The annulus tube is coloured by height: red above the plane, blue below it.
    red = np.count_nonzero((r > 150) & (r > g + 60) & (r > b + 60))
    blue = np.count_nonzero((b > 150) & (b > r + 50))
    assert red > 300 and blue > 300, (red, blue)
    assert not (tmp_path / "config" / "mvplan").exists() or not any(
        "recent" in p.read_text() for p in (tmp_path / "config" / "mvplan").glob("*.ini")
    )


def test_screenshot_of_a_plan_shows_the_ring(tmp_path: Path) -> None:
    annulus = load_annulus(SAMPLE)
    spec = load_catalogue(include_user=False).family("classic-like").spec(30.0)
    placement = auto_place(annulus, spec).placement
    plan_file = tmp_path / "case.mvplan.json"
    save_plan(Plan(annulus, ring=RingChoice("classic-like", 30.0), placement=placement), plan_file)
    out = tmp_path / "plan.png"
    args = [str(plan_file), "--screenshot", str(out), "--exit", "--size", "1400x900", "--json"]
    run = _run(args, tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "file": str(plan_file),
        "screenshot": str(out),
        "size": [1400, 900],
    }
    pixels = _pixels(out)
    assert pixels.shape[:2] == (900, 1400)
    view = _centre(pixels)
    r, g, b = view[..., 0], view[..., 1], view[..., 2]
    # The solved plan's sutures, coloured by force (green when low; none without a ring:
    # test_window checks the ring itself where it is drawn).
    sutures = np.count_nonzero((g > r + 40) & (g > b + 15))
    assert sutures > 500, sutures


def test_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,z\n1,2,3\n")
    out = tmp_path / "never.png"
    run = _run([str(bad), "--screenshot", str(out), "--exit"], tmp_path)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mvplan: error: bad.csv")
    assert not out.exists()
    missing = _run([str(tmp_path / "nope.mvplan.json"), "--exit"], tmp_path)
    assert missing.returncode == 2 and "nope.mvplan.json" in missing.stderr
    # No display and no batch option: say so instead of crashing in Qt.
    windowless = _run([str(SAMPLE)], tmp_path)
    assert windowless.returncode == 2 and "no display" in windowless.stderr
    # `gui` is the default command: `mvplan` alone opens the window too.
    bare = _run([], tmp_path, command=[])
    assert bare.returncode == 2 and "no display" in bare.stderr


def test_landmark_and_papillary_files_on_the_command_line(tmp_path: Path) -> None:
    tips = SAMPLE.parent / "healthy_papillary_tips.csv"
    out = tmp_path / "tips.png"
    run = _run(
        [str(SAMPLE), "--papillary", str(tips), "--screenshot", str(out), "--exit"], tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert out.is_file()
    # Tips are not landmarks: one line naming the file, exit 2, no picture.
    wrong = _run([str(SAMPLE), "--landmarks", str(tips), "--exit"], tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        "mvplan: error: healthy_papillary_tips.csv: no point labelled A, P, ALC, PMC, ALT or PMT"
    ]
    alone = _run(["--landmarks", str(tips), "--exit"], tmp_path)
    assert alone.returncode == 2 and "need an annulus file" in alone.stderr
