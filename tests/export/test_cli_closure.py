"""``mvplan export`` and ``mvplan report`` with the leaflet closure, as a user meets them:
the closure options, the closed leaflets in the scene and the report, and a closure that does
not converge (exit 3: the export writes nothing, the report is written and says so).

The closure solves are replaced by the session's (``closure`` in conftest), so that these
tests take seconds; one slow test runs the real thing end to end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import trimesh

from mvplan import workflow
from mvplan.cli import main
from mvplan.export.objects import OBJECT_NAMES
from mvplan.planfile import save_plan
from mvplan.workflow import ClosureOutcome, MadePlan


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as stop:  # an option argparse refuses
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def plan_file(made: MadePlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The conftest's ring plan as a plan file (the closure fixture is its closure)."""
    path = tmp_path_factory.mktemp("plan") / "ring.mvplan.json"
    save_plan(made.plan, path)
    return path


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch, closure: ClosureOutcome) -> list[dict[str, Any]]:
    """Every closure the command asks for, answered with the session's; the calls made."""
    calls: list[dict[str, Any]] = []

    def simulate(plan: Any, annuloplasty: Any = None, **options: Any) -> ClosureOutcome:
        settings = options.get("settings")
        calls.append({"repaired": annuloplasty is not None, "settings": settings})
        if annuloplasty is None:
            return ClosureOutcome(closure.model, closure.native, None)
        return closure

    monkeypatch.setattr(workflow, "simulate_closure", simulate)
    return calls


# -- export -----------------------------------------------------------------------------------


def test_a_scene_holds_the_closed_leaflets_by_default(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "valve.glb"
    code, out, err = run(capsys, "export", str(plan_file), "-o", str(target), "--json")
    assert code == 0, err
    assert json.loads(out) == {"written": [str(target)], "frame": "valve"}
    assert set(trimesh.load(target).geometry) == set(OBJECT_NAMES[:8])  # no device objects
    assert [c["repaired"] for c in solves] == [False, True]
    assert solves[0]["settings"].resolution == "coarse"


def test_closure_options_and_objects(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "native.glb"
    argv = ["export", str(plan_file), "-o", str(target), "--objects", "leaflets-native,ring"]
    code, _out, err = run(capsys, *argv, "--leaflet-resolution", "standard")
    assert code == 0, err
    assert set(trimesh.load(target).geometry) == {"ring", "leaflets_native"}
    # Only the native closure was needed, at the resolution asked.
    assert [c["repaired"] for c in solves] == [False]
    assert solves[0]["settings"].resolution == "standard"


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("plain.glb", ["--no-closure"]),
        ("annuli.glb", ["--objects", "annulus,ring"]),
        ("curves.mrk.json", []),
    ],
)
def test_no_closure_is_solved_when_none_is_exported(
    plan_file: Path,
    solves: list[dict[str, Any]],
    tmp_path: Path,
    capsys: Any,
    name: str,
    options: list[str],
) -> None:
    target = tmp_path / name
    code, _out, err = run(capsys, "export", str(plan_file), "-o", str(target), *options)
    assert code == 0, err
    assert solves == []
    if name.endswith(".glb"):
        assert not any(n.startswith(("leaflets", "chordae")) for n in trimesh.load(target).geometry)


def test_no_closure_and_closure_objects_is_a_bad_option(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    argv = ["export", str(plan_file), "-o", str(tmp_path / "a.glb"), "--no-closure"]
    code, out, err = run(capsys, *argv, "--objects", "ring,chordae_native")
    assert (code, out) == (2, "")
    assert "--no-closure leaves out the leaflets and chordae: not chordae_native" in err
    assert solves == [] and list(tmp_path.iterdir()) == []


def test_an_export_whose_closure_did_not_converge_writes_nothing(
    plan_file: Path, repaired_fails: None, tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "valve.glb"
    code, out, err = run(capsys, "export", str(plan_file), "-o", str(target), "--json")
    assert code == 3 and out == ""
    error = json.loads(err)
    assert error["exit_code"] == 3
    assert "ring.mvplan.json: the repaired leaflet closure did not converge" in error["error"]
    assert "relative residual 0.00025" in error["error"]
    assert "--no-closure exports the plan without the leaflets" in error["error"]
    assert list(tmp_path.iterdir()) == []


# -- report -----------------------------------------------------------------------------------


def test_a_report_holds_the_closure(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "report.html"
    argv = ["report", str(plan_file), "-o", str(target), "--no-images", "--json"]
    code, out, err = run(capsys, *argv, "--no-sensitivity")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["closure"] == "converged" and len(printed["written"]) == 3
    data = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["closure"]["native"] is not None and data["closure"]["repaired"] is not None
    assert 'id="closure-table"' in target.read_text(encoding="utf-8")


def test_a_report_without_the_closure(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "report.html"
    argv = ["report", str(plan_file), "-o", str(target), "--no-images", "--no-closure"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert out.count("wrote ") == 3 and solves == []
    assert "The leaflet closure was not simulated." in target.read_text(encoding="utf-8")


def test_a_bad_report_name_fails_before_any_solve(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    code, _out, err = run(capsys, "report", str(plan_file), "-o", str(tmp_path / "r.txt"))
    assert code == 2 and "must end in .html or .pdf" in err
    assert solves == [] and list(tmp_path.iterdir()) == []


def test_report_jobs_must_be_positive(
    plan_file: Path, solves: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "r.html"
    code, _out, err = run(capsys, "report", str(plan_file), "-o", str(target), "--jobs", "0")
    assert code == 2 and "--jobs must be at least 1, got 0" in err
    assert solves == [] and not target.exists()


def test_a_report_whose_closure_did_not_converge_is_written_and_exits_3(
    plan_file: Path, repaired_fails: None, tmp_path: Path, capsys: Any
) -> None:
    """Decided: the report is written (saying so at its top, no figures of the failed
    closure), the files are listed on stdout, and the command exits 3 with the solver's
    message on stderr, as ``mvplan simulate`` does for a solve that did not converge."""
    target = tmp_path / "report.html"
    argv = ["report", str(plan_file), "-o", str(target), "--no-images", "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 3
    printed = json.loads(out)
    assert printed["closure"] == "not converged"
    assert printed["written"] == [str(tmp_path / f"report.{s}") for s in ("html", "csv", "json")]
    assert err.count("\n") == 1
    error = json.loads(err)
    assert error["exit_code"] == 3
    assert "the repaired leaflet closure did not converge" in error["error"]
    assert f"the report says so: {target}" in error["error"]
    text = target.read_text(encoding="utf-8")
    assert 'id="closure-alert"' in text and "relative residual 2.50e-04" in text
    data = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["closure"]["repaired"] is None and data["closure"]["failure"]["case"] == "repaired"
    # Without --json: the files written on stdout, the error on stderr.
    code, out, err = run(capsys, *argv[:-1])
    assert code == 3 and out.count("wrote ") == 3
    assert err.startswith("mvplan: error: ring.mvplan.json: the repaired leaflet closure")


@pytest.mark.slow
def test_report_solves_the_closure_for_real(plan_file: Path, tmp_path: Path, capsys: Any) -> None:
    """No stand-in: the command solves the native and repaired closures and the four
    sensitivity cases (about a minute)."""
    target = tmp_path / "report.html"
    code, _out, err = run(capsys, "report", str(plan_file), "-o", str(target), "--json")
    assert code == 0, err
    data = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    rows = data["sensitivity"]
    assert [(r["parameter"], r["scale"]) for r in rows] == [
        (p, s) for p in ("chord_rest_length", "leaflet_stiffness") for s in (0.9, 1.1)
    ]
    assert all(r["converged"] for r in rows)
    closure = data["closure"]
    assert closure["status"] == "converged"
    for case in ("native", "repaired"):
        assert closure[case]["converged"] is True
        assert closure[case]["relative_residual"] < 1e-8
        assert closure[case]["coaptation_length_mean_mm"] > 0
    text = target.read_text(encoding="utf-8")
    assert text.count('data-closure-view="') == 2
