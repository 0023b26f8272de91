"""``mvplan plan`` and ``simulate`` with percutaneous devices: cinch, coronary-sinus path,
artery safety, plan files, and the errors a user meets (issue 9)."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import one_line_error, run, run_json
from shapes import SAMPLES

from mvplan.planfile import load_plan, plan_to_document, save_plan

FMR = str(SAMPLES / "fmr_annulus.csv")
FMR_TIPS = str(SAMPLES / "fmr_papillary_tips.csv")
CS_PATH = str(SAMPLES / "fmr_cs_path.csv")
ARTERY = str(SAMPLES / "fmr_circumflex.csv")


@pytest.fixture(autouse=True)
def _no_user_rings(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path_factory.mktemp("no-user-rings")))


def error_of(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert out == ""
    return one_line_error(err)


def test_a_cs_device_plan_with_a_loaded_path_and_artery(tmp_path, capsys) -> None:
    path = tmp_path / "cs.mvplan.json"
    out = run_json(
        capsys, "plan", FMR, "--papillary", FMR_TIPS, "--ring", "carillon-like", "--size",
        "70", "--cinch", "20%", "--cs-path", CS_PATH, "--artery", ARTERY, "-o", str(path),
    )  # fmt: skip
    assert out["ring"]["type"] == "coronary-sinus"
    assert out["ring"]["cinch_mm"] == pytest.approx(14.0)
    assert out["cs_path"]["source"] == "fmr_cs_path.csv"
    assert 10.0 < out["cs_path"]["distance_mm"]["min"] < out["cs_path"]["distance_mm"]["max"] < 20
    safety = out["safety"]
    assert safety["artery_source"] == "fmr_circumflex.csv"
    assert len(safety["crossings"]) == 1  # the sample artery passes under the vein once
    assert safety["min_distance_mm"] > safety["threshold_mm"] == 3.0
    plan = load_plan(path)
    assert plan.has_device and plan.cs_path is not None and plan.artery is not None
    # Saved again, the plan file is the same document (the path is not resampled).
    again = tmp_path / "again.mvplan.json"
    save_plan(plan, again)
    assert plan_to_document(load_plan(again)) == plan_to_document(plan)

    sim = run_json(capsys, "simulate", str(path), "--no-closure", "-o", str(tmp_path / "r.json"))
    device = sim["annuloplasty"]["device"]
    assert device["cinch_mm"] == pytest.approx(14.0)
    assert device["wire_tension_n"] > 0.1
    assert [a["name"] for a in device["anchors"]] == ["distal", "proximal"]
    assert sim["annuloplasty"]["change"]["ap_diameter_mm"] < -1.0
    assert sim["annuloplasty"]["solver"]["converged"]
    assert sim["safety"]["min_distance_mm"] < safety["min_distance_mm"]  # cinched: closer
    stored = load_plan(tmp_path / "r.json").results
    assert stored is not None and stored["safety"] == sim["safety"]


def test_the_compression_flag_follows_the_threshold(tmp_path, capsys) -> None:
    path = tmp_path / "cs.mvplan.json"
    out = run_json(
        capsys, "plan", FMR, "--ring", "carillon-like", "--size", "70", "--cs-path", CS_PATH,
        "--artery", ARTERY, "--compression-threshold", "8", "-o", str(path),
    )  # fmt: skip
    assert out["safety"]["compression"] is True
    assert "risk of compression" in out["safety"]["warning"]
    code, text, _ = run(capsys, "simulate", str(path), "--no-closure")
    assert code == 0 and "warning: the circumflex artery" in text


def test_an_estimated_path_takes_the_offsets(tmp_path, capsys) -> None:
    out = run_json(
        capsys, "plan", FMR, "--ring", "carillon-like", "--size", "60", "--cinch", "5",
        "--cs-offsets", "ostium=9,mid=14,distal=9,atrial=3", "-o", str(tmp_path / "p.json"),
    )  # fmt: skip
    d = out["cs_path"]["distance_mm"]
    assert out["cs_path"]["source"] == "estimated"
    assert d["min"] == pytest.approx(9.0, abs=0.2) and d["max"] == pytest.approx(14.0, abs=0.2)
    assert out["safety"] is None


def test_a_band_plan_simulates_with_anchor_forces(tmp_path, capsys) -> None:
    path = tmp_path / "band.mvplan.json"
    out = run_json(
        capsys, "plan", FMR, "--ring", "cardioband-like", "--size", "80", "--cinch", "12",
        "-o", str(path),
    )  # fmt: skip
    assert out["ring"]["type"] == "transcatheter-band" and out["cs_path"] is None
    code, text, err = run(capsys, "simulate", str(path), "--no-closure")
    assert code == 0, err
    assert "transcatheter-band: wire tension" in text and "anchors: 11" in text
    forces = [float(line.split()[1]) for line in text.splitlines() if line.strip()[:2].strip()
              .isdigit() and line.rstrip().endswith(("N", "!"))]  # fmt: skip
    assert len(forces) == 11 and np.argmax(forces) in (0, 10)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--ring", "carillon-like", "--size", "70", "--cinch", "40%"), "beyond what the device"),
        (("--ring", "carillon-like", "--size", "65"), "not sold"),
        (("--ring", "carillon-like", "--cinch", "5"), "needs --size"),
        (("--ring", "carillon-like", "--size", "70", "--sutures", "8"), "not --sutures"),
        (("--ring", "carillon-like", "--size", "70", "--cinch", "lots"), "not a length"),
        (("--ring", "cardioband-like", "--size", "80", "--cs-path", CS_PATH), "no --cs-path"),
        (("--ring", "classic-like", "--size", "30", "--cinch", "5"), "--cinch apply to"),
        (("--ring", "carillon-like", "--size", "60", "--cs-offsets", "mid=x"), "not a number"),
    ],
)
def test_device_option_errors(tmp_path, capsys, options, message) -> None:
    err = error_of(capsys, "plan", FMR, *options, "-o", str(tmp_path / "x.json"))
    assert message in err
    assert not (tmp_path / "x.json").exists()


def test_a_cs_path_far_from_the_annulus_is_refused(tmp_path, capsys) -> None:
    far = tmp_path / "far.csv"
    points = np.loadtxt(CS_PATH, delimiter=",", skiprows=1) + np.array([0.0, 0.0, 60.0])
    np.savetxt(far, points, delimiter=",", header="x,y,z", comments="")
    err = error_of(
        capsys, "plan", FMR, "--ring", "carillon-like", "--size", "70", "--cs-path", str(far),
        "-o", str(tmp_path / "x.json"),
    )  # fmt: skip
    assert "far.csv" in err and "from the annulus" in err


def test_a_sweep_over_cinches_gives_a_row_each(capsys) -> None:
    out = run_json(
        capsys, "sweep", FMR, "--papillary", FMR_TIPS, "--rings", "carillon-like", "--sizes",
        "60-60", "--cinch", "5,25%", "--artery", ARTERY, "--no-sensitivity", "--jobs", "1",
    )  # fmt: skip
    rows = out["rows"]
    assert [(r["ring"], r["size_mm"], r["cinch_mm"]) for r in rows] == [
        ("carillon-like", 60.0, 5.0),
        ("carillon-like", 60.0, 15.0),
    ]
    assert rows[0]["wire_tension_n"] < rows[1]["wire_tension_n"]
    assert rows[1]["regurgitant_orifice_area_mm2"] < rows[0]["regurgitant_orifice_area_mm2"]
    assert all("artery_distance_mm" in r for r in rows)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--rings", "carillon-like", "--sizes", "60-70"), "give --cinch"),
        (("--rings", "classic-like", "--sizes", "30-32", "--cinch", "5"), "--cinch applies"),
        (("--rings", "carillon-like", "--sizes", "60-60", "--cinch", "50%"), "beyond what"),
    ],
)
def test_sweep_device_errors(capsys, options, message) -> None:
    assert message in error_of(capsys, "sweep", FMR, *options)


def test_the_distal_anchor_can_sit_back_in_the_vein(tmp_path, capsys) -> None:
    """--distal-anchor moves the device along the vein: its anchors move toward the ostium
    by that much, the plan file keeps it, and a device that no longer fits is refused."""
    at_end, back = tmp_path / "end.mvplan.json", tmp_path / "back.mvplan.json"
    common = ("plan", FMR, "--ring", "carillon-like", "--size", "60", "--cinch", "10%")
    common += ("--cs-path", CS_PATH)
    run_json(capsys, *common, "-o", str(at_end))
    out = run_json(capsys, *common, "--distal-anchor", "20", "-o", str(back))
    assert out["distal_anchor_mm"] == 20.0
    assert load_plan(back).distal_anchor_offset_mm == 20.0
    from mvplan.workflow import device_as_placed

    end, moved = device_as_placed(load_plan(at_end)), device_as_placed(load_plan(back))
    path = load_plan(back).cs_path.points_valve
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])

    def arc_of(point: np.ndarray) -> float:
        return float(arc[np.argmin(np.linalg.norm(path - point, axis=1))])

    for k in range(2):  # distal, proximal: both 20 mm further from the distal end
        shift = arc_of(end.anchors_valve[k]) - arc_of(moved.anchors_valve[k])
        assert shift == pytest.approx(20.0, abs=1.5)
    a = run_json(capsys, "simulate", str(at_end), "--no-closure")["annuloplasty"]["device"]
    b = run_json(capsys, "simulate", str(back), "--no-closure")["annuloplasty"]["device"]
    assert a["anchors"][0]["point_after_valve_mm"] != b["anchors"][0]["point_after_valve_mm"]
    err = error_of(capsys, *common, "--distal-anchor", "60", "-o", str(tmp_path / "x.json"))
    assert "longer than the coronary-sinus path" in err and "distal anchor" in err
    err = error_of(
        capsys, "plan", FMR, "--ring", "cardioband-like", "--size", "80", "--distal-anchor",
        "5", "-o", str(tmp_path / "y.json"),
    )  # fmt: skip
    assert "--distal-anchor" in err
