"""``mvplan plan`` and ``mvplan simulate`` as a user meets them: plan files, tables, JSON,
exit codes (0, 2 bad input, 3 not converged) and one-line errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cli_helpers import one_line_error, run, run_json
from shapes import SAMPLES

from mvplan.cli import main
from mvplan.geometry.measurements import MEASUREMENT_KEYS
from mvplan.plan import SolverSettings
from mvplan.planfile import load_plan, save_plan
from mvplan.planning import translated

HEALTHY = str(SAMPLES / "healthy_annulus.csv")
HEALTHY_TIPS = str(SAMPLES / "healthy_papillary_tips.csv")
FMR = str(SAMPLES / "fmr_annulus.csv")


@pytest.fixture(autouse=True)
def _no_user_rings(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path_factory.mktemp("no-user-rings")))


def make_plan(capsys, path: Path, *options: str) -> dict:
    return run_json(capsys, "plan", HEALTHY, *options, "-o", str(path))


# -- plan -----------------------------------------------------------------------------------------


def test_plan_with_size(tmp_path, capsys) -> None:
    path = tmp_path / "classic.mvplan.json"
    out = make_plan(
        capsys, path, "--papillary", HEALTHY_TIPS, "--ring", "classic-like", "--size", "32",
        "--name", "demo",
    )  # fmt: skip
    assert out["ring"]["family"] == "classic-like" and out["ring"]["size_mm"] == 32.0
    assert out["recommendation"] is None
    assert out["sutures"] == 14  # the default for a complete ring
    assert 0 < out["longest_suture_mm"] <= 20.0
    assert out["placement"]["residual_mm"] >= 0
    plan = load_plan(path)
    assert plan.name == "demo"
    assert plan.ring is not None and (plan.ring.family, plan.ring.size_mm) == ("classic-like", 32)
    assert plan.placement is not None and len(plan.placement.sutures) == 14
    assert plan.papillary is not None
    assert plan.annulus.orientation == "papillary"
    assert plan.annulus.source.name == "healthy_annulus.csv"  # a base name, never a path
    assert plan.results is None


def test_plan_with_policy_uses_the_recommended_size(tmp_path, capsys) -> None:
    rec = run_json(
        capsys, "rings", "recommend", HEALTHY, "--family", "physio-like", "--policy", "undersize:2"
    )
    path = tmp_path / "physio.mvplan.json"
    out = make_plan(capsys, path, "--ring", "physio-like", "--policy", "undersize:2")
    assert out["recommendation"]["policy"] == "undersize:2"
    assert out["ring"]["size_mm"] == rec["size_mm"] == out["recommendation"]["size_mm"]
    assert load_plan(path).ring.size_mm == rec["size_mm"]  # type: ignore[union-attr]


def test_plan_table_says_ring_size_why_sutures_and_output(tmp_path, capsys) -> None:
    path = tmp_path / "p.mvplan.json"
    code, out, err = run(
        capsys, "plan", HEALTHY, "--ring", "physio-like", "--policy", "true-size",
        "--sutures", "12", "-o", str(path),
    )  # fmt: skip
    assert code == 0, err
    for words in ("physio-like", "size", "true-size", "sutures           12", "longest suture"):
        assert words in out
    assert "residual" in out and str(path) in out
    assert len(load_plan(path).placement.sutures) == 12  # type: ignore[union-attr]


def test_plan_band_and_fmr(tmp_path, capsys) -> None:
    path = tmp_path / "band.mvplan.json"
    out = run_json(
        capsys, "plan", FMR, "--ring", "cosgrove-band-like", "--policy", "true-size",
        "-o", str(path),
    )  # fmt: skip
    assert out["ring"]["closed"] is False and out["sutures"] == 10  # the default for a band


# -- no device ------------------------------------------------------------------------------------


def test_no_ring_plan_then_simulate_changes_nothing(tmp_path, capsys) -> None:
    path = tmp_path / "native.mvplan.json"
    out = make_plan(capsys, path, "--ring", "none")
    assert out["ring"] is None and out["sutures"] == 0
    plan = load_plan(path)
    assert plan.ring is None and plan.placement is None

    result = run_json(capsys, "simulate", str(path), "--no-closure")
    ann = result["annuloplasty"]
    assert result["plan"]["ring"] is None
    assert ann["post"] == ann["pre"]
    assert all(ann["change"][k] in (0.0, None) for k in MEASUREMENT_KEYS)
    assert ann["sutures"] == [] and ann["suture_warnings"] == []
    assert ann["solver"]["converged"] is True

    code, text, _ = run(capsys, "simulate", str(path), "--no-closure")
    assert code == 0 and "no device" in text and "sutures: none" in text


# -- simulate -------------------------------------------------------------------------------------


@pytest.fixture
def ring_plan(tmp_path, capsys) -> Path:
    path = tmp_path / "ring.mvplan.json"
    make_plan(capsys, path, "--ring", "classic-like", "--size", "32", "--name", "sim")
    return path


def test_simulate_json_keys(ring_plan, capsys) -> None:
    out = run_json(capsys, "simulate", str(ring_plan))
    assert set(out) == {"annuloplasty", "plan", "closure"}
    assert out["plan"] == {
        "name": "sim",
        "ring": out["plan"]["ring"] | {"family": "classic-like", "size_mm": 32.0},
    }
    ann = out["annuloplasty"]
    for key in ("pre", "post", "change", "sutures", "suture_warnings", "tissue_strain", "ring"):
        assert key in ann
    assert set(MEASUREMENT_KEYS) <= set(ann["pre"]) and set(MEASUREMENT_KEYS) <= set(ann["post"])
    assert len(ann["sutures"]) == 14
    for suture in ann["sutures"]:
        assert suture["force_n"] >= 0 and suture["region"] in ("anterior", "posterior")
        assert isinstance(suture["near_pullout"], bool)
    solver = ann["solver"]
    assert solver["converged"] is True
    assert 0 <= solver["residual"] <= 1e-8
    assert solver["iterations"] >= 1 and solver["time_ms"] > 0
    # A ring smaller than the annulus draws it in.
    assert ann["change"]["commissural_width_mm"] < 0
    # The leaflets closed natively and on the reshaped annulus (issue 7's keys).
    closure = out["closure"]
    for case in (closure["native"], closure["repaired"]):
        for key in (
            "coaptation_length_min_mm",
            "coaptation_length_mean_mm",
            "coaptation_area_mm2",
            "regurgitant_orifice_area_mm2",
            "tenting_height_mm",
            "tenting_volume_ml",
        ):
            assert isinstance(case[key], float) and case[key] >= 0.0
        assert case["solver"]["converged"] is True
        assert 0 <= case["solver"]["residual"] <= 1e-8
        assert case["solver"]["iterations"] >= 1 and case["solver"]["time_ms"] > 0
    assert closure["model"]["papillary_tips_estimated"] is True  # the plan gave none


def test_simulate_table(ring_plan, capsys) -> None:
    code, out, err = run(capsys, "simulate", str(ring_plan), "--no-closure")
    assert code == 0, err
    assert "before" in out and "after" in out and "change" in out
    assert "Commissural width" in out
    assert "classic-like 32 mm" in out
    assert "solver: converged" in out and "iterations" in out and "ms" in out
    assert "ring model: rigid body" in out
    # One line per suture: index, region, force in N.
    suture_lines = [line for line in out.splitlines() if line.rstrip().endswith((" N", "!"))]
    assert len(suture_lines) == 14


def test_simulate_warn_fraction_flags_sutures(ring_plan, capsys) -> None:
    out = run_json(capsys, "simulate", str(ring_plan), "--warn-fraction", "0.01", "--no-closure")
    ann = out["annuloplasty"]
    flagged = [s for s in ann["sutures"] if s["near_pullout"]]
    assert flagged and len(ann["suture_warnings"]) == len(flagged)
    code, text, _ = run(
        capsys, "simulate", str(ring_plan), "--warn-fraction", "0.01", "--no-closure"
    )
    assert code == 0 and "!" in text and "warning: suture" in text


def test_simulate_nodes(ring_plan, capsys) -> None:
    out = run_json(capsys, "simulate", str(ring_plan), "--nodes", "96", "--no-closure")
    assert out["annuloplasty"]["solver"]["annulus_nodes"] == 96


def test_simulate_output_writes_plan_with_results(ring_plan, tmp_path, capsys) -> None:
    target = tmp_path / "with-results.mvplan.json"
    out = run_json(capsys, "simulate", str(ring_plan), "-o", str(target), "--no-closure")
    plan = load_plan(target)
    assert plan.results is not None
    assert plan.results["annuloplasty"] == out["annuloplasty"]
    before = load_plan(ring_plan)
    assert plan.ring == before.ring and plan.name == before.name
    assert plan.placement == before.placement
    # The round trip stays exact with results in the file.
    again = tmp_path / "again.mvplan.json"
    save_plan(plan, again)
    assert again.read_text() == target.read_text()
    # And a plan with results simulates again.
    assert main(["simulate", str(target), "--no-closure"]) == 0
    capsys.readouterr()


# -- bad input: exit 2, one line ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--ring", "classic-like", "--size", "25"], "not sold"),
        (["--ring", "classic-like", "--size", "26", "--sutures", "0"], "at least 3"),
        (["--ring", "classic-like", "--size", "26", "--sutures", "2"], "at least 3"),
        (["--ring", "no-such-ring", "--size", "26"], "unknown ring family"),
        (["--ring", "classic-like"], "--size"),
        (["--ring", "classic-like", "--size", "26", "--policy", "true-size"], "not both"),
        (["--ring", "classic-like", "--policy", "smaller"], "sizing policy"),
        (["--ring", "none", "--size", "26"], "--size"),
        (["--ring", "none", "--sutures", "12"], "--sutures"),
        (["--ring", "classic-like", "--size", "26", "--adjustment", "2"], "not adjustable"),
    ],
)
def test_plan_bad_options(tmp_path, capsys, options, words) -> None:
    path = tmp_path / "bad.mvplan.json"
    code, out, err = run(capsys, "plan", HEALTHY, *options, "-o", str(path))
    assert code == 2
    assert words in one_line_error(err)
    assert out == ""
    assert not path.exists()


def test_plan_size_not_sold_lists_the_sizes(tmp_path, capsys) -> None:
    code, _, err = run(
        capsys, "plan", HEALTHY, "--ring", "classic-like", "--size", "25",
        "-o", str(tmp_path / "x.mvplan.json"),
    )  # fmt: skip
    assert code == 2 and "24, 26, 28" in one_line_error(err)


def test_plan_missing_annulus_and_folder(tmp_path, capsys) -> None:
    code, _, err = run(
        capsys, "plan", str(tmp_path / "nowhere.csv"), "--ring", "none",
        "-o", str(tmp_path / "x.mvplan.json"),
    )  # fmt: skip
    assert code == 2 and "nowhere.csv" in one_line_error(err)
    code, _, err = run(
        capsys, "plan", HEALTHY, "--ring", "none", "-o", str(tmp_path / "no" / "x.mvplan.json")
    )
    assert code == 2 and "does not exist" in one_line_error(err)


def test_simulate_missing_plan(tmp_path, capsys) -> None:
    code, out, err = run(capsys, "simulate", str(tmp_path / "gone.mvplan.json"), "--no-closure")
    assert code == 2 and out == ""
    assert "gone.mvplan.json" in one_line_error(err) and "no such plan file" in err


def test_simulate_corrupt_plan(ring_plan, tmp_path, capsys) -> None:
    broken = tmp_path / "broken.mvplan.json"
    broken.write_text(ring_plan.read_text()[:300])  # truncated JSON
    code, out, err = run(capsys, "simulate", str(broken), "--no-closure")
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert "broken.mvplan.json" in line and "corrupt" in line


def test_simulate_not_a_plan(tmp_path, capsys) -> None:
    other = tmp_path / "other.mvplan.json"
    other.write_text('{"hello": 1}')
    code, _, err = run(capsys, "simulate", str(other), "--no-closure")
    assert code == 2 and "not an mvplan plan file" in one_line_error(err)


def test_simulate_ring_too_far(ring_plan, tmp_path, capsys) -> None:
    plan = load_plan(ring_plan)
    assert plan.placement is not None
    far = tmp_path / "far.mvplan.json"
    save_plan(replace(plan, placement=translated(plan.placement, 0, 0, 40)), far)
    code, out, err = run(capsys, "simulate", str(far), "--no-closure")
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert "far.mvplan.json" in line and "too far" in line and "place it closer" in line


def test_simulate_bad_options(ring_plan, capsys) -> None:
    for options, words in (
        (["--nodes", "5"], "at least 16 nodes"),
        (["--warn-fraction", "2"], "warn fraction"),
    ):
        code, out, err = run(capsys, "simulate", str(ring_plan), *options, "--no-closure")
        assert code == 2 and out == "" and words in one_line_error(err)


def test_json_errors_go_to_stderr(tmp_path, capsys) -> None:
    code, out, err = run(
        capsys, "simulate", str(tmp_path / "gone.mvplan.json"), "--json", "--no-closure"
    )
    assert code == 2 and out == ""
    assert json.loads(err) == {"error": "gone.mvplan.json: no such plan file", "exit_code": 2}


# -- a solve that does not converge: exit 3 ------------------------------------------------------


def test_not_converged_is_exit_3_without_results(ring_plan, tmp_path, capsys) -> None:
    plan = load_plan(ring_plan)
    short = tmp_path / "short.mvplan.json"
    save_plan(replace(plan, solver=SolverSettings(max_iterations=1)), short)
    target = tmp_path / "never.mvplan.json"
    code, out, err = run(capsys, "simulate", str(short), "-o", str(target), "--no-closure")
    assert code == 3 and out == ""
    line = one_line_error(err)
    assert "did not converge" in line and "residual" in line
    assert not target.exists()
    code, out, err = run(capsys, "simulate", str(short), "--json", "--no-closure")
    assert code == 3 and out == ""
    assert json.loads(err)["exit_code"] == 3


def test_a_broken_user_ring_is_reported_once(tmp_path, capsys, monkeypatch) -> None:
    rings = tmp_path / "rings"
    rings.mkdir()
    (rings / "broken.toml").write_text("id = [")
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(rings))
    out = tmp_path / "p.mvplan.json"
    code, _out, err = run(
        capsys, "plan", HEALTHY, "--ring", "physio-like", "--size", "30", "-o", str(out)
    )
    assert code == 0
    assert err.count("broken.toml") == 1
