"""The `mvplan` command as a user meets it: tables, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from shapes import SAMPLES, THIRD_PARTY

from mvplan.cli import main
from mvplan.geometry.measurements import MEASUREMENT_KEYS

NORMAL_1 = THIRD_PARTY / "kaiser_heart_valves" / "normal_1_annulus.vtk"
SLICER = THIRD_PARTY / "slicerheart_test" / "mitral_annulus_12pts.mrk.json"
MCQUEEN = THIRD_PARTY / "kaiser_heart_valves" / "mcqueen_diastole_annulus_cm.txt"


def run_json(capsys, *argv: str) -> dict:
    assert main(["measure", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_measure_json_keys_are_section_4_plus_metadata(capsys) -> None:
    out = run_json(capsys, str(SLICER))
    base = [k for k in out if not k.endswith(("_estimated", "_reason"))]
    assert base == [*MEASUREMENT_KEYS, "orientation", "units", "n_input_points", "source"]
    assert out["n_input_points"] == 12
    assert out["source"] == SLICER.name
    assert out["units"]["input"] == "mm" and out["units"]["input_inferred"] is False


def test_measure_slicerheart_markups_is_sensible(capsys) -> None:
    out = run_json(capsys, str(SLICER))
    # A 12-point SlicerHeart mitral annulus: adult-sized, saddle-shaped.
    assert 90 < out["perimeter_mm"] < 130
    assert 25 < out["ap_diameter_mm"] < 40
    assert 25 < out["commissural_width_mm"] < 45
    assert out["area_3d_mm2"] >= out["area_2d_mm2"]
    assert out["orientation"] == "saddle"
    assert out["annular_height_mm"] > 3
    assert out["ap_diameter_mm_estimated"] is True


def test_measure_flat_real_annulus_says_so(capsys) -> None:
    out = run_json(capsys, str(NORMAL_1))
    assert out["n_input_points"] == 450
    assert out["annular_height_mm"] < 0.1  # the file is a planar contour
    assert out["nonplanarity_angle_deg"] == pytest.approx(180.0, abs=0.5)
    assert out["orientation"] == "assumed"
    assert 100 < out["perimeter_mm"] < 140


def test_measure_centimetre_file_infers_units_with_warning(capsys) -> None:
    assert main(["measure", str(MCQUEEN), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["units"]["input"] == "cm" and out["units"]["input_inferred"] is True
    assert "inferred as cm" in captured.err
    assert 90 < out["perimeter_mm"] < 115
    # Nearly round in projection: A and P cannot be estimated, and the output says why.
    assert out["ap_diameter_mm"] is None and "round" in out["ap_diameter_mm_reason"]


def test_explicit_units_override_inference(capsys) -> None:
    explicit = run_json(capsys, str(MCQUEEN), "--units", "cm")
    assert explicit["units"]["input_inferred"] is False
    assert main(["measure", str(MCQUEEN), "--units", "mm"]) == 2  # 32 mm span as mm is not 3 cm
    assert "not a mitral annulus" in capsys.readouterr().err


def test_sample_with_landmarks_and_papillary(capsys) -> None:
    out = run_json(
        capsys,
        str(SAMPLES / "healthy_annulus.csv"),
        "--papillary",
        str(SAMPLES / "healthy_papillary_tips.csv"),
    )
    assert out["orientation"] == "papillary"
    assert out["ap_diameter_mm_estimated"] is False
    assert out["ap_diameter_mm"] == pytest.approx(29.0, abs=0.05)
    assert out["commissural_width_mm"] == pytest.approx(35.0, abs=0.05)
    assert out["nonplanarity_angle_deg"] == pytest.approx(152.0, abs=0.2)
    assert out["intertrigonal_distance_mm"] == pytest.approx(29.0 / 1.11, abs=0.05)


def test_separate_landmarks_file(tmp_path, capsys) -> None:
    t = np.linspace(0, 2 * np.pi, 80, endpoint=False)
    curve = np.c_[18 * np.cos(t), 14 * np.sin(t), -3 * np.cos(2 * t)]
    np.savetxt(tmp_path / "curve.csv", curve, delimiter=",", header="x,y,z", comments="")
    (tmp_path / "marks.csv").write_text("x,y,z,label\n0,14,3,A\n0,-14,3,P\n")
    out = run_json(capsys, str(tmp_path / "curve.csv"), "--landmarks", str(tmp_path / "marks.csv"))
    assert out["ap_diameter_mm_estimated"] is False
    assert out["commissural_width_mm_estimated"] is True
    assert out["ap_diameter_mm"] == pytest.approx(28.0, rel=1e-4)


def test_table_output_is_readable(capsys) -> None:
    assert main(["measure", str(SAMPLES / "fmr_annulus.csv")]) == 0
    text = capsys.readouterr().out
    assert "Commissural width" in text and "41.0" in text
    assert "atrial side of the plane" in text


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        ("", "empty.csv", "empty"),
        ("x,y,z\n1,2,3\n4,5,abc\n", "nonnumeric.csv", "number"),
        ("x,y,z\n1,2,3\n1,nan,3\n", "nan.csv", "finite"),
        (
            "x,y,z\n" + "".join(f"{10 * np.cos(a)},{10 * np.sin(a)},0\n" for a in range(5)),
            "few.csv",
            "distinct",
        ),
        ("1 2 3\n4 5\n", "truncated.txt", "line"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, content, name, words) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert main(["measure", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert name in err
    assert words in err.lower()
    assert "Traceback" not in err


def test_self_crossing_curve_is_refused(tmp_path, capsys) -> None:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    figure_eight = np.c_[20 * np.sin(t), 12 * np.sin(2 * t), np.zeros_like(t)]
    np.savetxt(tmp_path / "eight.csv", figure_eight, delimiter=",")
    assert main(["measure", str(tmp_path / "eight.csv")]) == 2
    assert "crosses itself" in capsys.readouterr().err


def test_missing_file_and_json_errors(tmp_path, capsys) -> None:
    assert main(["measure", str(tmp_path / "nope.csv"), "--json"]) == 2
    err = json.loads(capsys.readouterr().err)
    assert err["exit_code"] == 2 and "nope.csv" in err["error"]


def test_debug_shows_the_traceback(tmp_path, capsys) -> None:
    (tmp_path / "bad.csv").write_text("x,y,z\n")
    assert main(["measure", str(tmp_path / "bad.csv"), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_unknown_option_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["measure", "--no-such-option"])
    assert info.value.code == 2


def test_console_script_runs_headless() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mvplan.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith("mvplan ")
