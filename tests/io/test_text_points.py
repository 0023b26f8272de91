"""CSV and whitespace point lists: the real files, header and delimiter variants, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.io.text_points import read_curve_text, read_points_text

KAISER = Path(__file__).parents[2] / "assets" / "third_party" / "kaiser_heart_valves"
PTS = np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.0], [7.0, 8.0, 9.5], [-1.0, 0.0, 2.0]])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- real files --------------------------------------------------------------------------------


def test_mcqueen_annulus_is_360_ordered_points_without_declared_units() -> None:
    path = KAISER / "mcqueen_diastole_annulus_cm.txt"
    curve = read_curve_text(path)
    assert curve.points.shape == (360, 3)
    assert curve.ordered is True
    assert curve.units is None  # the name says cm; the file does not, the caller decides
    assert curve.landmarks == {}
    assert curve.source == "mcqueen_diastole_annulus_cm.txt"
    assert np.array_equal(curve.points, np.loadtxt(path))
    assert curve.points[0] == pytest.approx([5.3287165862, 2.5174172685, -1.9413166425])
    # In order and closed: every step, the closing one included, is about 0.028 cm.
    steps = np.linalg.norm(np.diff(np.vstack([curve.points, curve.points[:1]]), axis=0), axis=1)
    assert steps.max() < 0.03
    assert steps.min() > 0.025


@pytest.mark.parametrize(
    "name",
    [
        "normal_1_papillary_tips.csv",
        "hcm_d_papillary_tips.csv",
        "hcm_d_papillary_tips_early_systole.csv",
    ],
)
def test_papillary_tips_are_8_points_in_mm(name: str) -> None:
    path = KAISER / name
    read = read_points_text(path)
    assert read.points.shape == (8, 3)
    assert read.units == "mm"
    assert read.labels == (None,) * 8
    assert np.array_equal(read.points, np.loadtxt(path, delimiter=",", skiprows=1))


def test_normal_1_papillary_first_point_matches_the_file() -> None:
    read = read_points_text(KAISER / "normal_1_papillary_tips.csv")
    assert read.points[0].tolist() == [302.3990, 451.7660, 171.2290]


# --- formats -----------------------------------------------------------------------------------


def rows(sep: str, pts: np.ndarray = PTS) -> str:
    return "".join(sep.join(repr(float(v)) for v in p) + "\n" for p in pts)


@pytest.mark.parametrize(
    ("header", "sep"),
    [
        ("x,y,z\n", ","),
        ("X;Y;Z\n", ";"),
        ("x\ty\tz\n", "\t"),
        ("x y z\n", " "),
        ("", ","),
        ("", " "),
        ("", "\t"),
        ("", "  \t "),
        ('"x","y","z"\n', ","),
        ("pos_x,pos_y,pos_z\n", ","),
        ("R,A,S\n", ","),
    ],
)
def test_header_and_delimiter_variants(tmp_path: Path, header: str, sep: str) -> None:
    read = read_points_text(write(tmp_path, "p.csv", header + rows(sep)))
    assert np.array_equal(read.points, PTS)
    assert read.labels == (None,) * 4
    assert read.units is None


@pytest.mark.parametrize(
    ("header", "units"),
    [
        ("x_mm,y_mm,z_mm", "mm"),
        ("x_cm,y_cm,z_cm", "cm"),
        ("X (mm),Y (mm),Z (mm)", "mm"),
        ("x [m],y [m],z [m]", "m"),
        ("x-cm,y-cm,z-cm", "cm"),
    ],
)
def test_unit_suffix_in_header_sets_units(tmp_path: Path, header: str, units: str) -> None:
    read = read_points_text(write(tmp_path, "p.csv", header + "\n" + rows(",")))
    assert read.units == units
    assert np.array_equal(read.points, PTS)


def test_lps_header_is_turned_into_ras(tmp_path: Path) -> None:
    read = read_points_text(write(tmp_path, "p.csv", "L,P,S\n" + rows(",")))
    assert np.array_equal(read.points, PTS * [-1, -1, 1])


def test_columns_are_found_by_name_in_any_order(tmp_path: Path) -> None:
    text = "id,time,z,x,y\n" + "".join(f"{i},0.5,{p[2]},{p[0]},{p[1]}\n" for i, p in enumerate(PTS))
    read = read_points_text(write(tmp_path, "p.csv", text))
    assert np.array_equal(read.points, PTS)
    assert read.labels == ("0", "1", "2", "3")  # "id" is a label column


def test_unknown_header_names_fall_back_to_first_three_numeric_columns(tmp_path: Path) -> None:
    text = "name,u,v,w\n" + "".join(f"pt{i},{p[0]},{p[1]},{p[2]}\n" for i, p in enumerate(PTS))
    read = read_points_text(write(tmp_path, "p.csv", text))
    assert np.array_equal(read.points, PTS)
    assert read.labels == ("pt0", "pt1", "pt2", "pt3")


def test_label_column_by_header(tmp_path: Path) -> None:
    text = "label,x,y,z\nA,1,2,3\n,4,5,6\nPMT,7,8,9\n"
    read = read_points_text(write(tmp_path, "p.csv", text))
    assert read.labels == ("A", None, "PMT")
    assert read.points.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_fourth_non_numeric_column_without_header_is_the_label(tmp_path: Path) -> None:
    read = read_points_text(write(tmp_path, "p.txt", "1 2 3 tip1\n4 5 6 AL commissure\n"))
    assert read.points.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert read.labels == ("tip1", "AL commissure")  # whitespace label keeps its spaces


def test_quoted_label_with_delimiter_inside(tmp_path: Path) -> None:
    read = read_points_text(write(tmp_path, "p.csv", 'x,y,z,name\n1,2,3,"head, anterior"\n'))
    assert read.labels == ("head, anterior",)


def test_decimal_comma_with_semicolons(tmp_path: Path) -> None:
    read = read_points_text(write(tmp_path, "p.csv", "x;y;z\n1,5;-2,25;3\n4;5,5;6e1\n"))
    assert read.points.tolist() == [[1.5, -2.25, 3.0], [4.0, 5.5, 60.0]]


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = "# exported by a script\n\nx,y,z\n# the annulus\n1,2,3\n\n   \n4,5,6\n7,8,9\n"
    curve = read_curve_text(write(tmp_path, "c.csv", text))
    assert curve.points.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeffx,y,z\r\n1,2,3\r\n".encode())
    assert read_points_text(path).points.tolist() == [[1, 2, 3]]


def test_curve_keeps_order_and_labelled_rows_become_landmarks(tmp_path: Path) -> None:
    text = "x,y,z,label\n0,0,0,a\n1,0,0,\n1,1,0,PMC\n0,1,0,p\n0,0.5,0,note\n"
    curve = read_curve_text(write(tmp_path, "c.csv", text))
    assert curve.ordered is True
    assert len(curve.points) == 5  # landmark rows stay in the curve
    assert curve.points[2].tolist() == [1, 1, 0]
    assert set(curve.landmarks) == {"A", "P", "PMC"}
    assert curve.landmarks["A"].tolist() == [0, 0, 0]
    assert curve.landmarks["P"].tolist() == [0, 1, 0]
    assert curve.landmarks["PMC"].tolist() == [1, 1, 0]


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "empty"),
        ("# only a comment\n\n", "only blank or comment"),
        ("x,y,z\n", "no data rows after the header on line 1"),
        ("x,y,z\n1,2,3\n4,abc,6\n", r"line 3: 'abc' is not a number"),
        ("1 2 3\n4 5 6\n7 8\n", r"line 3: expected at least 3 columns, found 2"),
        ("x,y,z\n1,2,3\n4,nan,6\n", r"line 3: y is not finite"),
        ("x,y,z\n1,2,3\n4,5,-inf\n", r"line 3: z is not finite"),
        ("x,y,z\n1,2,3\n4,,6\n", r"line 3: no value for y"),
        ("1,abc,3\n", r"line 1: 'abc' is not a number"),
        ("1,2\n3,4\n", r"line 1: expected three numeric columns"),
        ("x,y,label\n1,2,A\n", r"line 1: the header names columns for x, y but none for z"),
        ("x_mm,y_mm,z_cm\n1,2,3\n", r"different units"),
    ],
)
def test_bad_text_is_an_input_error_naming_the_line(
    tmp_path: Path, text: str, pattern: str
) -> None:
    with pytest.raises(InputError, match=pattern) as info:
        read_points_text(write(tmp_path, "bad.csv", text))
    assert info.value.source == "bad.csv"
    assert "\n" not in str(info.value)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bin.txt"
    path.write_bytes(b"solid\x00\x00\x01\x02binary")
    with pytest.raises(InputError, match="not a text file"):
        read_points_text(path)


def test_curve_needs_three_points(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 3 points"):
        read_curve_text(write(tmp_path, "c.csv", "1,2,3\n4,5,6\n"))


def test_landmark_given_twice_is_refused(tmp_path: Path) -> None:
    text = "x,y,z,label\n0,0,0,A\n1,0,0,\n1,1,0,a\n"
    with pytest.raises(InputError, match=r"landmark A is given twice \(line 2 and line 4\)"):
        read_curve_text(write(tmp_path, "c.csv", text))
