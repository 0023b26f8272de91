"""``mvplan export`` and ``mvplan report`` as a user meets them: files written, JSON, exit
codes and one-line errors for an unknown extension, an unwritable path, a newer plan file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from shapes import SAMPLES

from mvplan.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        code = main(list(argv))
    except SystemExit as stop:  # an option argparse refuses: its one line and exit code 2
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("plan")
    out = folder / "healthy.mvplan.json"
    annulus = str(SAMPLES / "healthy_annulus.csv")
    assert main(["plan", annulus, "--ring", "physio-like", "--size", "30", "-o", str(out)]) == 0
    return out


def test_export_glb_then_read_it_back(plan_file, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "scene.glb"
    argv = ["export", str(plan_file), "-o", str(target), "--json", "--no-closure"]
    code, out, err = run(capsys, *argv)  # the closure: tests/export/test_cli_closure.py
    assert code == 0, err
    assert json.loads(out) == {"written": [str(target)], "frame": "valve"}
    scene = trimesh.load(target)
    assert set(scene.geometry) == {"annulus_native", "annulus_reshaped", "ring", "sutures"}


def test_export_objects_and_frame(plan_file, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "annuli.glb"
    argv = ["export", str(plan_file), "-o", str(target), "--objects", "annulus"]
    code, out, err = run(capsys, *argv, "--frame", "original")
    assert code == 0, err
    assert out.strip() == f"wrote {target}"
    scene = trimesh.load(target)
    assert set(scene.geometry) == {"annulus_native", "annulus_reshaped"}
    # The input file's coordinates: the native tube surrounds the points as read.
    raw = np.loadtxt(SAMPLES / "healthy_annulus.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2))
    native = scene.geometry["annulus_native"].bounds
    assert np.allclose(native, [raw.min(axis=0), raw.max(axis=0)], atol=1.5)


def test_report_writes_html_csv_json(plan_file, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.html"
    argv = ["report", str(plan_file), "-o", str(target), "--no-images", "--no-closure"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    for name in ("report.html", "report.csv", "report.json"):
        assert f"wrote {tmp_path / name}" in out
    assert "healthy.mvplan.json" in target.read_text()


@pytest.mark.parametrize(
    ("command", "output", "words"),
    [
        ("export", "scene.xyz", "cannot export to .xyz"),
        ("export", "missing-folder/scene.glb", "does not exist"),
        ("report", "missing-folder/report.html", "does not exist"),
        ("report", "report.txt", ".txt"),
    ],
)
def test_bad_outputs_are_one_line_and_exit_2(
    plan_file, tmp_path, capsys, command, output, words
) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, command, str(plan_file), "-o", str(tmp_path / output))
    assert code == 2 and out == ""
    assert words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_a_plan_from_a_newer_mvplan_is_refused(plan_file, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(plan_file.read_text())
    doc["version"] = 99
    newer = tmp_path / "newer.mvplan.json"
    newer.write_text(json.dumps(doc))
    for command in ("export", "report"):
        out_file = tmp_path / ("x.glb" if command == "export" else "x.html")
        code, _out, err = run(capsys, command, str(newer), "-o", str(out_file))
        assert code == 2 and "written by a newer mvplan" in err and err.count("\n") == 1
        assert not out_file.exists()


def test_bad_size_option(plan_file, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = run(
        capsys, "export", str(plan_file), "-o", str(tmp_path / "a.png"), "--size", "big"
    )
    assert code == 2 and "WIDTHxHEIGHT" in err
