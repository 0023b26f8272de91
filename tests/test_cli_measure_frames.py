"""`mvplan measure F1 F2 ...` and `mvplan measure FOLDER`: frames of one moving annulus."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from shapes import THIRD_PARTY

from mvplan.cli import main
from mvplan.geometry.measurements import MEASUREMENT_KEYS

KAISER = THIRD_PARTY / "kaiser_heart_valves"
FRAMES = [KAISER / "hcm_d_annulus.vtk", KAISER / "hcm_d_annulus_early_systole.vtk"]
TIPS = [KAISER / "hcm_d_papillary_tips.csv", KAISER / "hcm_d_papillary_tips_early_systole.csv"]


def run_json(capsys, *argv) -> dict:
    assert main(["measure", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_error(capsys, *argv) -> str:
    assert main(["measure", *map(str, argv)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def kaiser_frames() -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["measure", *map(str, FRAMES), "--json"]) == 0
    return json.loads(out.getvalue())


def test_each_frame_is_what_measuring_it_alone_prints(capsys, kaiser_frames) -> None:
    assert list(kaiser_frames) == ["frames", "cycle"]
    for path, frame in zip(FRAMES, kaiser_frames["frames"], strict=True):
        assert frame == run_json(capsys, path)


def test_cycle_figures_are_differences_of_the_frame_figures(kaiser_frames) -> None:
    frames, cycle = kaiser_frames["frames"], kaiser_frames["cycle"]
    assert cycle["n_frames"] == 2 and cycle["order"] == "as given"
    assert cycle["sources"] == [p.name for p in FRAMES]
    assert cycle["correspondence"] == {
        "method": "point order",
        "n_points": 537,
        "reversed_frames": [],
    }
    for key in MEASUREMENT_KEYS:
        values = [f[key] for f in frames]
        r = cycle["measurements"][key]
        assert r["min"] == min(values) and r["max"] == max(values)
        assert r["change"] == pytest.approx(max(values) - min(values))
        assert r["change_percent"] == pytest.approx(100 * (max(values) - min(values)) / max(values))
    disp = cycle["displacement_mm"]
    assert disp == cycle["displacement_from_first_mm"][1]
    assert 0 < disp["mean"] < disp["max"] < 20


def test_papillary_per_frame_and_once_for_all(capsys) -> None:
    per_frame = run_json(capsys, *FRAMES, "--papillary", TIPS[0], "--papillary", TIPS[1])
    assert [f["orientation"] for f in per_frame["frames"]] == ["papillary", "papillary"]
    alone = run_json(capsys, FRAMES[1], "--papillary", TIPS[1])
    assert per_frame["frames"][1] == alone
    once = run_json(capsys, *FRAMES, "--papillary", TIPS[0])
    assert [f["orientation"] for f in once["frames"]] == ["papillary", "papillary"]


def test_landmarks_once_for_several_frames_is_refused(capsys) -> None:
    err = run_error(capsys, *FRAMES, "--landmarks", TIPS[0])
    assert "--landmarks" in err and "once per frame" in err


def test_folder_of_frames_and_text_tables(tmp_path, capsys) -> None:
    for k, path in enumerate(FRAMES):
        shutil.copy(path, tmp_path / f"t{k}.vtk")
    assert main(["measure", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "t0.vtk" in text and "t1.vtk" in text
    assert "natural order of the names" in text
    assert "correspondence: point order, 537 points" in text
    assert "Area, projected" in text and "change %" in text


def test_reversed_frame_is_matched_by_arc_length(tmp_path, capsys) -> None:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    pts = np.c_[18 * np.cos(t), 14 * np.sin(t) - 3 * np.sin(t) ** 2, 3 * np.cos(2 * t)]
    np.savetxt(tmp_path / "a.csv", pts, delimiter=",")
    np.savetxt(tmp_path / "b.csv", 0.9 * pts[::-1], delimiter=",")
    out = run_json(capsys, tmp_path / "a.csv", tmp_path / "b.csv")
    corr = out["cycle"]["correspondence"]
    assert corr["method"] == "arc length from A" and corr["reversed_frames"] == [1]
    area = out["cycle"]["measurements"]["area_2d_mm2"]
    assert area["change_percent"] == pytest.approx(100 * (1 - 0.81), rel=5e-3)


def test_folder_without_annulus_files(tmp_path, capsys) -> None:
    (tmp_path / "notes.md").write_text("nothing")
    err = run_error(capsys, tmp_path)
    assert tmp_path.name in err and "no annulus file" in err


def test_different_counts_without_a_landmark_a(tmp_path, capsys) -> None:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    saddle = np.c_[18 * np.cos(t), 14 * np.sin(t) - 3 * np.sin(t) ** 2, 3 * np.cos(2 * t)]
    np.savetxt(tmp_path / "ok.csv", saddle, delimiter=",")
    u = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    np.savetxt(tmp_path / "round.csv", np.c_[16 * np.cos(u), 16 * np.sin(u), 0 * u], delimiter=",")
    err = run_error(capsys, tmp_path / "ok.csv", tmp_path / "round.csv")
    assert "round.csv" in err and "landmark A" in err


def test_one_unreadable_frame_among_several(tmp_path, capsys) -> None:
    (tmp_path / "broken.vtk").write_text("# vtk DataFile Version 3.0\nnot really\nASCII\n")
    err = run_error(capsys, FRAMES[0], tmp_path / "broken.vtk", FRAMES[1])
    assert "broken.vtk" in err
    assert main(["measure", str(FRAMES[0]), str(tmp_path / "nope.csv"), "--json"]) == 2
    assert "nope.csv" in json.loads(capsys.readouterr().err)["error"]
