"""The scripts in examples/ run as a user would run them, and write what they say."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_example_is_tested() -> None:
    tested = {
        "measure_and_plan.py",
        "size_sweep.py",
        "export_and_report.py",
        "percutaneous_devices.py",
    }
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_measure_and_plan(tmp_path: Path) -> None:
    from mvplan.planfile import load_plan

    printed = run("measure_and_plan.py", tmp_path)
    assert "native annulus: AP" in printed
    plan = load_plan(tmp_path / "fmr-physio.mvplan.json")
    assert plan.ring is not None and plan.results is not None
    assert plan.papillary is not None


def test_size_sweep(tmp_path: Path) -> None:
    run("size_sweep.py", tmp_path)
    with (tmp_path / "size-sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    physio = [r for r in rows if r["ring"] == "physio-like"]
    reductions = [float(r["ap_reduction_percent"]) for r in physio]
    assert len(physio) == 6 and reductions == sorted(reductions, reverse=True)  # smaller, more


def test_percutaneous_devices(tmp_path: Path) -> None:
    run("percutaneous_devices.py", tmp_path)
    with (tmp_path / "percutaneous.csv").open() as f:
        rows = list(csv.DictReader(f))
    for device in ("carillon-like", "cardioband-like"):
        mine = [r for r in rows if r["device"] == device]
        reductions = [float(r["ap_reduction_percent"]) for r in mine]
        assert len(mine) == 4 and reductions == sorted(reductions)  # more cinch, more
        assert abs(reductions[0]) < 1e-9  # no cinch, no change


@pytest.mark.slow
def test_export_and_report(tmp_path: Path) -> None:
    printed = run("export_and_report.py", tmp_path)
    for name in ("plan.glb", "plan.mrk.json", "plan-atrial.png", "report.html", "report.csv"):
        assert (tmp_path / name).is_file(), printed
        assert f"{name}" in printed
