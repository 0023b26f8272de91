"""Slicer .mrk.json: the SlicerHeart files, LPS/RAS, curve choice, landmarks, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.io.markups import landmark_name, read_curve_markups, read_points_markups

SLICERHEART = Path(__file__).parents[2] / "assets" / "third_party" / "slicerheart_test"
SQUARE = [[10.0, 20.0, 30.0], [11.0, 20.0, 30.0], [11.0, 21.0, 30.0], [10.0, 21.0, 31.0]]
Writer = Callable[..., Path]
Markup = Callable[..., dict]


def file_positions(path: Path) -> np.ndarray:
    doc = json.loads(path.read_text())
    return np.array([cp["position"] for cp in doc["markups"][0]["controlPoints"]])


# --- real files --------------------------------------------------------------------------------


def test_slicerheart_mitral_annulus_is_12_ras_points_as_in_the_file() -> None:
    path = SLICERHEART / "mitral_annulus_12pts.mrk.json"
    curve = read_curve_markups(path)
    assert curve.points.shape == (12, 3)
    assert curve.ordered is True
    assert curve.units == "mm"
    assert curve.landmarks == {}
    assert curve.source == "mitral_annulus_12pts.mrk.json"
    # The file says RAS: positions come back unchanged.
    assert np.array_equal(curve.points, file_positions(path))
    assert curve.points[0].tolist() == [86.98819733, 84.78613281, 99.99595642]


def test_slicerheart_aortic_annulus_is_12_points() -> None:
    path = SLICERHEART / "aortic_annulus_12pts.mrk.json"
    curve = read_curve_markups(path)
    assert curve.points.shape == (12, 3)
    assert np.array_equal(curve.points, file_positions(path))


def test_slicerheart_points_keep_their_labels() -> None:
    read = read_points_markups(SLICERHEART / "mitral_annulus_12pts.mrk.json")
    assert read.labels == tuple(f"MV-{i}" for i in range(1, 13))
    assert read.units == "mm"
    assert read.points.shape == (12, 3)


# --- coordinate systems ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "sign"),
    [
        ({"coordinateSystem": "RAS"}, [1, 1, 1]),
        ({"coordinateSystem": "LPS"}, [-1, -1, 1]),
        ({}, [-1, -1, 1]),  # LPS is Slicer's default
    ],
)
def test_coordinate_system_is_turned_into_ras(
    write_markups: Writer, extra: dict, sign: list, markup: Markup
) -> None:
    path = write_markups("c.mrk.json", markup("ClosedCurve", SQUARE, **extra))
    assert np.array_equal(read_curve_markups(path).points, np.array(SQUARE) * sign)
    assert np.array_equal(read_points_markups(path).points, np.array(SQUARE) * sign)


def test_units_none_when_undeclared_and_code_triple_accepted(
    write_markups: Writer, markup: Markup
) -> None:
    plain = write_markups("a.mrk.json", markup("ClosedCurve", SQUARE))
    triple = write_markups(
        "b.mrk.json",
        markup("ClosedCurve", SQUARE, coordinateUnits=["mm", "UCUM", "millimeter"]),
    )
    assert read_curve_markups(plain).units is None
    assert read_curve_markups(triple).units == "mm"


# --- which curve, which landmarks --------------------------------------------------------------


def test_closed_curve_wins_over_an_earlier_open_curve(
    write_markups: Writer, markup: Markup
) -> None:
    other = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    path = write_markups(
        "c.mrk.json",
        markup("Curve", other, coordinateSystem="RAS"),
        markup("ClosedCurve", SQUARE, coordinateSystem="RAS"),
    )
    assert np.array_equal(read_curve_markups(path).points, SQUARE)


def test_open_curve_is_used_when_there_is_no_closed_curve(
    write_markups: Writer, markup: Markup
) -> None:
    path = write_markups(
        "c.mrk.json",
        markup("Fiducial", [[5.0, 5.0, 5.0]], coordinateSystem="RAS"),
        markup("Curve", SQUARE, coordinateSystem="RAS"),
    )
    curve = read_curve_markups(path)
    assert curve.ordered is True
    assert np.array_equal(curve.points, SQUARE)


def test_fiducial_landmarks_in_ras_with_aliases(write_markups: Writer, markup: Markup) -> None:
    fiducials = markup(
        "Fiducial",
        [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18]],
        ["a", "Posterior", "AL commissure", "posteromedial_trigone", "MV-1", "AL"],
        coordinateSystem="LPS",
    )
    path = write_markups(
        "c.mrk.json", markup("ClosedCurve", SQUARE, coordinateSystem="RAS"), fiducials
    )
    curve = read_curve_markups(path)
    assert set(curve.landmarks) == {"A", "P", "ALC", "PMT"}
    assert curve.landmarks["A"].tolist() == [-1, -2, 3]
    assert curve.landmarks["P"].tolist() == [-4, -5, 6]
    assert curve.landmarks["ALC"].tolist() == [-7, -8, 9]
    assert curve.landmarks["PMT"].tolist() == [-10, -11, 12]
    assert np.array_equal(curve.points, SQUARE)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("A", "A"),
        ("alc", "ALC"),
        (" PMT ", "PMT"),
        ("anterior", "A"),
        ("PM-commissure", "PMC"),
        ("anterolateral trigone", "ALT"),
        ("AL", None),  # commissure or trigone? ambiguous
        ("PM", None),
        ("MV-3", None),
        (None, None),
    ],
)
def test_landmark_name(label: str | None, expected: str | None) -> None:
    assert landmark_name(label) == expected


def test_points_are_all_fiducial_points_in_order(write_markups: Writer, markup: Markup) -> None:
    path = write_markups(
        "p.mrk.json",
        markup("Fiducial", [[1, 1, 1], [2, 2, 2]], ["tip-1", ""], coordinateSystem="RAS"),
        markup("ClosedCurve", SQUARE, coordinateSystem="RAS"),
        markup("Fiducial", [[3, 3, 3]], ["tip-3"], coordinateSystem="RAS"),
    )
    read = read_points_markups(path)
    assert read.points.tolist() == [[1, 1, 1], [2, 2, 2], [3, 3, 3]]
    assert read.labels == ("tip-1", None, "tip-3")


def test_undefined_control_points_are_skipped(write_markups: Writer, markup: Markup) -> None:
    doc = markup("ClosedCurve", [*SQUARE, [99.0, 99.0, 99.0]], coordinateSystem="RAS")
    doc["controlPoints"][-1]["positionStatus"] = "undefined"
    curve = read_curve_markups(write_markups("c.mrk.json", doc))
    assert np.array_equal(curve.points, SQUARE)


# --- bad input ---------------------------------------------------------------------------------


def test_no_curve_is_an_input_error(write_markups: Writer, markup: Markup) -> None:
    path = write_markups("f.mrk.json", markup("Fiducial", SQUARE))
    with pytest.raises(InputError, match="no ClosedCurve or Curve markup in the file"):
        read_curve_markups(path)


def test_schema_failure_names_the_json_path(write_markups: Writer, markup: Markup) -> None:
    doc = markup("ClosedCurve", SQUARE)
    doc["controlPoints"][1]["position"] = [1.0, 2.0]
    with pytest.raises(InputError, match=r"\$\.markups\[0\]\.controlPoints\[1\]\.position"):
        read_curve_markups(write_markups("c.mrk.json", doc))


def test_unknown_markup_type_fails_validation(write_markups: Writer, markup: Markup) -> None:
    with pytest.raises(InputError, match=r"markups\[0\]\.type"):
        read_curve_markups(write_markups("c.mrk.json", markup("Spline", SQUARE)))


def test_missing_schema_key_fails_validation(tmp_path: Path, markup: Markup) -> None:
    path = tmp_path / "c.mrk.json"
    path.write_text(json.dumps({"markups": [markup("ClosedCurve", SQUARE)]}))
    with pytest.raises(InputError, match="'@schema' is a required property"):
        read_curve_markups(path)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.mrk.json"
    path.write_text('{\n  "markups": [\n    {"type": "ClosedCurve",,}\n')
    with pytest.raises(InputError, match=r"not valid JSON \(line 3"):
        read_curve_markups(path)


def test_nan_position_names_the_point(tmp_path: Path, markup: Markup) -> None:
    doc = markup("ClosedCurve", SQUARE)
    doc["controlPoints"][2]["position"][1] = float("nan")
    path = tmp_path / "c.mrk.json"
    path.write_text(json.dumps({"@schema": "x", "markups": [doc]}))  # json writes NaN
    with pytest.raises(InputError, match="control point 2 has a non-finite coordinate"):
        read_curve_markups(path)


def test_micrometre_units_are_refused(write_markups: Writer, markup: Markup) -> None:
    path = write_markups("c.mrk.json", markup("ClosedCurve", SQUARE, coordinateUnits="um"))
    with pytest.raises(InputError, match="coordinateUnits 'um' is not supported"):
        read_curve_markups(path)


def test_curve_of_two_points_is_refused(write_markups: Writer, markup: Markup) -> None:
    path = write_markups("c.mrk.json", markup("ClosedCurve", SQUARE[:2]))
    with pytest.raises(InputError, match="2 control points"):
        read_curve_markups(path)


def test_duplicate_landmark_is_refused(write_markups: Writer, markup: Markup) -> None:
    path = write_markups(
        "c.mrk.json",
        markup("ClosedCurve", SQUARE),
        markup("Fiducial", [[0, 0, 0], [1, 1, 1]], ["A", "anterior"]),
    )
    with pytest.raises(InputError, match="landmark A is given twice"):
        read_curve_markups(path)


def test_empty_markups_list_has_no_points(write_markups: Writer) -> None:
    with pytest.raises(InputError, match="no markups"):
        read_points_markups(write_markups("e.mrk.json"))
