"""read_curve / read_points: dispatch on the file name, and the errors common to every format."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import mvplan.io
from mvplan.errors import InputError
from mvplan.io import LANDMARK_NAMES, CurveRead, PointsRead, read_curve, read_points
from mvplan.io.read import CURVE_READERS, POINTS_READERS

THIRD_PARTY = Path(__file__).parents[2] / "assets" / "third_party"


def test_public_names() -> None:
    assert set(mvplan.io.__all__) == {
        "LANDMARK_NAMES",
        "CurveRead",
        "PointsRead",
        "read_curve",
        "read_points",
    }
    assert LANDMARK_NAMES == ("A", "P", "ALC", "PMC", "ALT", "PMT")


@pytest.mark.parametrize(
    ("relpath", "n", "ordered", "units"),
    [
        ("kaiser_heart_valves/normal_1_annulus.vtk", 450, True, None),
        ("kaiser_heart_valves/hcm_d_annulus.vtk", 537, True, None),
        ("kaiser_heart_valves/hcm_d_annulus_early_systole.vtk", 537, True, None),
        ("kaiser_heart_valves/mcqueen_diastole_annulus_cm.txt", 360, True, None),
        ("slicerheart_test/mitral_annulus_12pts.mrk.json", 12, True, "mm"),
        ("slicerheart_test/aortic_annulus_12pts.mrk.json", 12, True, "mm"),
    ],
)
def test_every_real_curve_file(relpath: str, n: int, ordered: bool, units: str | None) -> None:
    curve = read_curve(THIRD_PARTY / relpath)
    assert isinstance(curve, CurveRead)
    assert curve.points.shape == (n, 3)
    assert curve.points.dtype == np.float64
    assert curve.ordered is ordered
    assert curve.units == units
    assert curve.source == Path(relpath).name
    assert np.isfinite(curve.points).all()


@pytest.mark.parametrize(
    ("relpath", "n", "units"),
    [
        ("kaiser_heart_valves/normal_1_papillary_tips.csv", 8, "mm"),
        ("kaiser_heart_valves/hcm_d_papillary_tips.csv", 8, "mm"),
        ("kaiser_heart_valves/hcm_d_papillary_tips_early_systole.csv", 8, "mm"),
        ("slicerheart_test/mitral_annulus_12pts.mrk.json", 12, "mm"),
    ],
)
def test_every_real_points_file(relpath: str, n: int, units: str) -> None:
    read = read_points(str(THIRD_PARTY / relpath))  # a str path works as well as a Path
    assert isinstance(read, PointsRead)
    assert read.points.shape == (n, 3)
    assert len(read.labels) == n
    assert read.units == units


def test_papillary_tips_are_below_the_annulus_in_the_same_frame() -> None:
    annulus = read_curve(THIRD_PARTY / "kaiser_heart_valves/normal_1_annulus.vtk").points
    tips = read_points(THIRD_PARTY / "kaiser_heart_valves/normal_1_papillary_tips.csv").points
    # Same scanner frame: the heads lie a few cm from the annulus centre, not hundreds of mm.
    distance = np.linalg.norm(tips - annulus.mean(axis=0), axis=1)
    assert distance.max() < 40.0
    assert distance.min() > 15.0


def test_suffix_matching_is_case_insensitive_and_longest_first(tmp_path: Path) -> None:
    src = THIRD_PARTY / "slicerheart_test/mitral_annulus_12pts.mrk.json"
    for name in ("UPPER.MRK.JSON", "plain.json"):
        shutil.copy(src, tmp_path / name)
        assert read_curve(tmp_path / name).points.shape == (12, 3)
    shutil.copy(THIRD_PARTY / "kaiser_heart_valves/normal_1_papillary_tips.csv", tmp_path / "T.CSV")
    assert read_points(tmp_path / "T.CSV").points.shape == (8, 3)
    assert CURVE_READERS[".mrk.json"] is CURVE_READERS[".json"]


def test_registries_hold_the_expected_suffixes() -> None:
    assert set(CURVE_READERS) == {
        ".csv", ".tsv", ".txt", ".mrk.json", ".json", ".vtk", ".vtp", ".stl", ".ply", ".obj",
    }  # fmt: skip
    assert set(POINTS_READERS) == {".csv", ".tsv", ".txt", ".mrk.json", ".json"}


# --- errors common to all formats --------------------------------------------------------------


@pytest.mark.parametrize("read", [read_curve, read_points])
def test_missing_file(tmp_path: Path, read: Callable) -> None:
    with pytest.raises(InputError, match="no such file") as info:
        read(tmp_path / "absent.csv")
    assert info.value.source == "absent.csv"
    assert str(tmp_path) not in str(info.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="directory"):
        read_curve(folder)


def test_unknown_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "annulus.xyz"
    path.write_text("1 2 3\n")
    with pytest.raises(InputError, match="unknown file type") as info:
        read_curve(path)
    message = str(info.value)
    for suffix in (".csv", ".mrk.json", ".vtk", ".vtp", ".stl", ".ply", ".obj"):
        assert suffix in message


def test_points_from_a_mesh_suffix_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "tips.vtk"
    path.write_text("x")
    with pytest.raises(InputError, match=r"unknown file type for points; supported: .csv") as info:
        read_points(path)
    assert ".stl" not in str(info.value)


@pytest.mark.parametrize(
    "name", ["e.csv", "e.txt", "e.mrk.json", "e.json", "e.vtk", "e.vtp", "e.stl", "e.ply", "e.obj"]
)
def test_empty_file_of_every_kind(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty") as info:
        read_curve(tmp_path / name)
    assert info.value.source == name


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("bad.csv", "x,y,z\n1,2,3\n4,5,6\n7,eight,9\n", r"line 4: 'eight' is not a number"),
        ("bad.txt", "1 2 3\n4 5 6\n7 8 inf\n", r"line 3: z is not finite"),
        ("bad.txt", "1 2 3\n4 5 6\n7 8\n", r"line 3: expected at least 3 columns"),
        ("bad.mrk.json", '{"@schema": "x", "markups": [', "not valid JSON"),
        ("bad.vtk", "# vtk DataFile Version 3.0\nx\nASCII\nDATASET POLYDATA\nPOINTS 5 float\n"
         "1 2 3\n", "VTK cannot read the file: Error reading ascii data"),
    ],
)  # fmt: skip
def test_bad_content_is_one_line_naming_where(
    tmp_path: Path, name: str, content: str, pattern: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=pattern) as info:
        read_curve(path)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"{name}: ")


def test_nan_in_markups_names_the_point_index(tmp_path: Path) -> None:
    doc = json.loads((THIRD_PARTY / "slicerheart_test/mitral_annulus_12pts.mrk.json").read_text())
    doc["markups"][0]["controlPoints"][5]["position"][0] = float("inf")
    path = tmp_path / "inf.mrk.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="control point 5 has a non-finite coordinate"):
        read_curve(path)


def test_missing_file_of_unknown_type_is_reported_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_curve(tmp_path / "absent.xyz")
