"""A multi-frame file: one CSV with a frame column is a moving annulus (issue 9 item 5)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.cli import main
from mvplan.errors import InputError
from mvplan.io.load import load_annulus
from mvplan.io.sequence import load_annulus_sequence


def healthy_points() -> np.ndarray:
    return np.loadtxt(SAMPLES / "healthy_annulus.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2))


def write_frames(tmp_path, scales=(1.0, 0.92, 0.85), column="frame"):
    """Three frames: the healthy sample shrunk about its centroid (the same points in order),
    written as one multi-frame file and as one file per frame."""
    base = healthy_points()
    centre = base.mean(axis=0)
    rows = ["x_mm,y_mm,z_mm," + column]
    singles = []
    for k, scale in enumerate(scales):
        frame = centre + scale * (base - centre)
        rows += [f"{x:.6f},{y:.6f},{z:.6f},{k}" for x, y, z in frame]
        single = tmp_path / f"frame{k}.csv"
        single.write_text(
            "x_mm,y_mm,z_mm\n" + "\n".join(f"{x:.6f},{y:.6f},{z:.6f}" for x, y, z in frame)
        )
        singles.append(single)
    path = tmp_path / "cycle.csv"
    path.write_text("\n".join(rows) + "\n")
    return path, singles


def test_a_frame_column_makes_a_cycle_that_matches_the_frames_alone(tmp_path, capsys) -> None:
    path, singles = write_frames(tmp_path)
    assert main(["measure", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["source"] for f in out["frames"]] == [f"cycle.csv[frame={k}]" for k in range(3)]
    for frame, single in zip(out["frames"], singles, strict=True):
        assert main(["measure", str(single), "--json"]) == 0
        alone = json.loads(capsys.readouterr().out)
        for key in ("perimeter_mm", "area_2d_mm2", "ap_diameter_mm", "commissural_width_mm"):
            assert frame[key] == pytest.approx(alone[key], rel=1e-12)
    cycle = out["cycle"]
    assert cycle["correspondence"]["method"] == "point order"
    perimeter = cycle["measurements"]["perimeter_mm"]
    assert perimeter["change"] == pytest.approx(0.15 * out["frames"][0]["perimeter_mm"], rel=1e-6)


def test_a_multi_frame_file_is_not_one_annulus(tmp_path) -> None:
    path, _ = write_frames(tmp_path, column="phase")
    with pytest.raises(InputError, match=r"holds 3 frames \(column 'phase'\)"):
        load_annulus(path)
    assert len(load_annulus_sequence([path]).annuli) == 3


def test_a_frame_split_in_two_is_refused(tmp_path) -> None:
    path, _ = write_frames(tmp_path, scales=(1.0, 0.9))
    lines = path.read_text().splitlines()
    body = lines[1:]
    half = len(body) // 4
    path.write_text("\n".join([lines[0], *body[half:], *body[:half]]) + "\n")
    with pytest.raises(InputError, match="rows of frame '0' are not together"):
        load_annulus_sequence([path])


def test_one_frame_in_a_frame_column_is_a_plain_annulus(tmp_path) -> None:
    path, singles = write_frames(tmp_path, scales=(1.0,))
    assert load_annulus(path).perimeter_mm == pytest.approx(load_annulus(singles[0]).perimeter_mm)
