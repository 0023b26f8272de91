"""Frames of one annulus from several files or a folder."""

from __future__ import annotations

import numpy as np
import pytest
from shapes import THIRD_PARTY

from mvplan.errors import InputError
from mvplan.io.load import load_annulus
from mvplan.io.sequence import annulus_files, frame_files, load_annulus_sequence

KAISER = THIRD_PARTY / "kaiser_heart_valves"
FRAMES = [KAISER / "hcm_d_annulus.vtk", KAISER / "hcm_d_annulus_early_systole.vtk"]


def write_frame(path, scale: float, n: int = 40) -> None:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = np.c_[18 * scale * np.cos(t), 13 * scale * np.sin(t), 2 * np.cos(2 * t)]
    np.savetxt(path, pts, delimiter=",", header="x,y,z", comments="")


def test_files_load_as_they_do_alone() -> None:
    seq = load_annulus_sequence(FRAMES)
    assert seq.order == "as given"
    for path, annulus, points in zip(FRAMES, seq.annuli, seq.input_points, strict=True):
        alone = load_annulus(path)
        assert np.array_equal(annulus.points, alone.points)
        assert points is not None and len(points) == alone.source.n_input_points


def test_folder_is_read_in_natural_order_without_side_files(tmp_path) -> None:
    for name, scale in (("frame10.csv", 0.9), ("frame2.csv", 1.0), ("frame1.csv", 0.95)):
        write_frame(tmp_path / name, scale)
    (tmp_path / "papillary_tips.csv").write_text("x,y,z\n0,0,-20\n")
    (tmp_path / "notes.md").write_text("not an annulus")
    files = annulus_files(tmp_path)
    assert [f.name for f in files] == ["frame1.csv", "frame2.csv", "frame10.csv"]
    seq = load_annulus_sequence([tmp_path])
    assert [a.source.name for a in seq.annuli] == ["frame1.csv", "frame2.csv", "frame10.csv"]
    assert "natural order" in seq.order and "frame10.csv" in seq.order


def test_folder_without_annulus_files_is_an_error(tmp_path) -> None:
    (tmp_path / "readme.md").write_text("nothing here")
    with pytest.raises(InputError, match="no annulus file in the folder"):
        load_annulus_sequence([tmp_path])


def test_folder_mixed_with_files_is_an_error(tmp_path) -> None:
    with pytest.raises(InputError, match="either one folder"):
        frame_files([tmp_path, FRAMES[0]])


def test_unreadable_frame_is_named(tmp_path) -> None:
    bad = tmp_path / "broken.csv"
    bad.write_text("x,y,z\n1,2,abc\n")
    with pytest.raises(InputError, match=r"broken\.csv"):
        load_annulus_sequence([FRAMES[0], bad])


def test_side_files_must_be_one_per_frame() -> None:
    with pytest.raises(InputError, match="1 landmarks files for 2 frames"):
        load_annulus_sequence(FRAMES, landmarks=[None])
