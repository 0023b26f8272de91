"""The Python API: light to import, and the same numbers as the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from shapes import SAMPLES

import mvplan.api as mv
from mvplan.cli import main
from mvplan.errors import ConvergenceError, InputError


def test_importing_the_api_and_the_cli_loads_no_vtk_and_no_qt() -> None:
    code = (
        "import sys, mvplan.api, mvplan.cli; "
        "print([m for m in sys.modules if m.split('.')[0] in ('vtk', 'vtkmodules', 'PySide6')])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def simulation() -> mv.Simulation:
    annulus = mv.load_annulus(SAMPLES / "healthy_annulus.csv")
    return mv.simulate(mv.make_plan(annulus, "physio-like", size_mm=30, name="api"))


def test_a_script_and_the_command_line_agree(simulation, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    plan_file = mv.save_plan(simulation.plan, tmp_path / "api.mvplan.json")
    assert main(["simulate", str(plan_file), "--json", "--no-closure"]) == 0
    cli = json.loads(capsys.readouterr().out)["annuloplasty"]
    api = simulation.plan.results["annuloplasty"]
    assert cli["post"] == api["post"] and cli["change"] == api["change"]
    assert [s["force_n"] for s in cli["sutures"]] == [s["force_n"] for s in api["sutures"]]
    assert np.allclose(simulation.result.suture_forces_n, [s["force_n"] for s in cli["sutures"]])


def test_the_same_plan_gives_the_same_results(simulation) -> None:
    again = mv.simulate(simulation.plan)
    first, second = simulation.plan.results["annuloplasty"], again.plan.results["annuloplasty"]
    first, second = dict(first), dict(second)
    for figures in (first, second):
        figures["solver"] = {k: v for k, v in figures["solver"].items() if k != "time_ms"}
    assert first == second


def test_api_errors_are_one_line(tmp_path: Path) -> None:
    annulus = mv.load_annulus(SAMPLES / "healthy_annulus.csv")
    with pytest.raises(InputError, match="needs a size"):
        mv.make_plan(annulus, "physio-like")
    with pytest.raises(InputError, match="no such"):
        mv.load_plan(tmp_path / "missing.mvplan.json")
    plan = mv.make_plan(annulus, "physio-like", size_mm=30)
    from dataclasses import replace

    from mvplan.plan import SolverSettings

    with pytest.raises(ConvergenceError, match="did not converge") as info:
        mv.simulate(replace(plan, solver=SolverSettings(max_iterations=1)))
    assert "\n" not in str(info.value)


@pytest.mark.slow  # three native closures and four perturbed ones: about 20 s
def test_closure_from_a_script_agrees_with_the_command_line_and_reaches_the_report(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    annulus = mv.load_annulus(SAMPLES / "healthy_annulus.csv")
    plan = mv.make_plan(annulus, papillary=SAMPLES / "healthy_papillary_tips.csv", name="valve")
    sim = mv.simulate(plan)
    closed = mv.closure(sim)
    assert closed.repaired is None  # no device: the native valve only
    figures = closed.native.to_dict()
    assert figures["closed"] and figures["solver"]["converged"]
    plan_file = mv.save_plan(sim.plan, tmp_path / "valve.mvplan.json")
    assert main(["simulate", str(plan_file), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)["closure"]["native"]
    for key in ("coaptation_length_mean_mm", "regurgitant_orifice_area_mm2", "tenting_height_mm"):
        assert cli[key] == figures[key], key
    rows = mv.sensitivity(sim, closed, jobs=2)
    assert len(rows) == 4 and all(row["converged"] for row in rows)
    mv.report(sim, tmp_path / "valve.html", images=False, closure=closed, sensitivity=rows)
    data = json.loads((tmp_path / "valve.json").read_text())
    assert data["closure"]["status"] == "converged"
    assert len(data["sensitivity"]) == 4


def test_export_and_report_cover_a_percutaneous_device(tmp_path: Path) -> None:
    annulus = mv.load_annulus(SAMPLES / "fmr_annulus.csv")
    plan = mv.device_plan(
        annulus,
        "carillon-like",
        70.0,
        cinch="20%",
        artery=SAMPLES / "fmr_circumflex.csv",
        name="api device",
    )
    assert plan.ring is not None and plan.ring.adjustment_mm == pytest.approx(14.0)
    placed = mv.safety(plan)
    sim = mv.simulate(plan)
    assert sim.spec is None and sim.result.device is not None
    cinched = mv.safety(sim)
    assert placed is not None and cinched is not None
    assert cinched.min_distance_mm < placed.min_distance_mm  # drawn toward the artery
    # The same numbers as the command line's plan and simulate.
    cli_plan = tmp_path / "cli.mvplan.json"
    assert main([
        "plan", str(SAMPLES / "fmr_annulus.csv"), "--ring", "carillon-like", "--size", "70",
        "--cinch", "20%", "--artery", str(SAMPLES / "fmr_circumflex.csv"), "-o", str(cli_plan),
    ]) == 0  # fmt: skip
    assert main(["simulate", str(cli_plan), "--no-closure", "-o", str(tmp_path / "s.json")]) == 0
    from mvplan.planfile import load_plan

    cli = load_plan(tmp_path / "s.json").results
    assert cli is not None
    assert cli["safety"]["min_distance_mm"] == pytest.approx(cinched.min_distance_mm, abs=1e-3)
    assert cli["annuloplasty"]["device"]["wire_tension_n"] == pytest.approx(
        sim.result.device.wire_tension_n, rel=1e-9
    )
    written = mv.export(sim, tmp_path / "device.obj")
    assert written == [tmp_path / "device.obj"]
    text = written[0].read_text()
    for name in ("device", "anchors", "coronary_sinus_native", "coronary_sinus_cinched", "artery"):
        assert f"o {name}\n" in text
    report = mv.report(sim, tmp_path / "device.html", images=False)
    data = json.loads(report[2].read_text())
    assert (
        data["device"]["wire_tension_n"]
        == sim.plan.results["annuloplasty"]["device"]["wire_tension_n"]
    )
    assert data["safety"]["min_distance_mm"] == sim.plan.results["safety"]["min_distance_mm"]
