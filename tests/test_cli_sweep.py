"""``mvplan sweep``: rows per ring and size, the recommendation, CSV, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest
from shapes import SAMPLES

from mvplan.cli import main
from mvplan.cli_sweep import _text
from mvplan.errors import InputError
from mvplan.sweep import parse_sizes, recommend, sweep_cases, why_none


def test_sizes_parse_and_cases_take_the_sold_sizes_in_range() -> None:
    assert parse_sizes("24-36") == (24.0, 36.0)
    assert parse_sizes(" 30 ") == (30.0, 30.0)
    for bad in ("36-24", "abc", "24-", "-3"):
        with pytest.raises(InputError, match="--sizes"):
            parse_sizes(bad)
    cases = sweep_cases(["classic-like"], (26.0, 30.0))
    assert [c.size_mm for c in cases] == [26.0, 28.0, 30.0]
    with pytest.raises(InputError, match="sells no size"):
        sweep_cases(["classic-like"], (1.0, 2.0))


def _row(size: float, closed: bool, mean: float, warnings: int = 0) -> dict[str, object]:
    return {
        "ring": "r",
        "size_mm": size,
        "closed": closed,
        "coaptation_length_mean_mm": mean,
        "suture_warnings": warnings,
    }


def test_the_recommendation_is_the_largest_size_meeting_every_condition() -> None:
    rows = [_row(26, True, 7.0), _row(28, True, 6.0), _row(30, True, 4.0), _row(32, False, 0.0)]
    assert recommend(rows, 5.0)["size_mm"] == 28  # type: ignore[index]
    rows[1]["suture_warnings"] = 1
    assert recommend(rows, 5.0)["size_mm"] == 26  # type: ignore[index]
    assert recommend(rows, 8.0) is None
    assert "reaches 8 mm" in why_none(rows, 8.0)
    assert why_none([_row(30, False, 0.0)], 5.0) == "no size closed the gap"


@pytest.mark.slow
def test_sweep_of_the_fmr_sample_in_two_processes(capsys) -> None:
    args = [
        "sweep",
        str(SAMPLES / "fmr_annulus.csv"),
        "--papillary",
        str(SAMPLES / "fmr_papillary_tips.csv"),
        "--rings",
        "classic-like",
        "--sizes",
        "30-36",
        "--jobs",
        "2",
    ]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    sizes = [30, 32, 34, 36]
    assert [(r["ring"], r["size_mm"]) for r in rows] == [("classic-like", s) for s in sizes]
    assert out["native"]["closed"] is False  # functional MR leaks
    for row in rows:
        assert "error" not in row
        assert row["suture_force_max_n"] > 0
    # The smaller ring shrinks the orifice more: 30 mm closes the valve, 36 mm does not.
    orifice = [r["regurgitant_orifice_area_mm2"] for r in rows]
    assert orifice[0] < orifice[-1] < out["native"]["regurgitant_orifice_area_mm2"]
    assert rows[0]["closed"] and not rows[-1]["closed"]
    assert out["recommended"] is None or out["recommended"]["size_mm"] in sizes
    assert out["recommended_reason"]
    # The same sweep as CSV, in one process: same figures.
    assert main([*args[:-2], "--jobs", "1", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [float(r["size_mm"]) for r in table] == [float(s) for s in sizes]
    for got, row in zip(table, rows, strict=True):
        assert float(got["regurgitant_orifice_area_mm2"]) == pytest.approx(
            row["regurgitant_orifice_area_mm2"], abs=1e-6
        )


def test_sweep_bad_options_exit_2(capsys) -> None:
    base = ["sweep", str(SAMPLES / "fmr_annulus.csv"), "--rings", "classic-like"]
    for extra, match in (
        (["--sizes", "40-30"], "backwards"),
        (["--sizes", "26", "--jobs", "0"], "--jobs"),
        (["--sizes", "26", "--json", "--csv"], "not both"),
        (["--sizes", "26", "--no-closure"], "closure"),
        (["--sizes", "26", "--leaflets", "anterior=abc"], "not a number"),
        (["--sizes", "26", "--jobs", "2", "--scheduler", "tcp://h:8786"], "not both"),
        (["--sizes", "26", "--csv", "--sensitivity"], "--sensitivity-csv FILE"),
        (["--sizes", "26", "--no-sensitivity", "--sensitivity-csv", "s.csv"], "not both"),
        (["--sizes", "26", "--sensitivity-csv", "/no/such/folder/s.csv"], "does not exist"),
    ):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert match in err and len(err.strip().splitlines()) == 1


def _sensitivity_row(parameter: str, scale: float, mean: float | None) -> dict[str, object]:
    if mean is None:
        return {
            "parameter": parameter,
            "scale": scale,
            "converged": False,
            "error": "the repaired leaflet closure did not converge",
        }
    return {
        "parameter": parameter,
        "scale": scale,
        "converged": True,
        "closed": True,
        "coaptation_length_min_mm": 1.0,
        "coaptation_length_mean_mm": mean,
        "regurgitant_orifice_area_mm2": 2.0,
        "delta_coaptation_length_mean_mm": mean - 5.0,
        "delta_regurgitant_orifice_area_mm2": 0.5,
    }


def test_the_text_report_ends_with_the_sensitivity_table() -> None:
    row = _row(30, True, 5.0)
    row.update(
        coaptation_length_min_mm=2.0,
        regurgitant_orifice_area_mm2=1.5,
        tenting_height_mm=4.0,
        suture_force_max_n=0.8,
    )
    out = {
        "source": "valve.csv",
        "native": {
            "closed": True,
            "regurgitant_orifice_area_mm2": 1.0,
            "coaptation_length_mean_mm": 3.0,
        },
        "resolution": "coarse",
        "rows": [row],
        "recommended": {"ring": "r", "size_mm": 30.0, "reason": "the largest"},
        "recommended_reason": "the largest",
        "sensitivity": {
            "ring": "r",
            "size_mm": 30.0,
            "factor": 0.1,
            "valve": "repaired",
            "baseline": {
                "coaptation_length_mean_mm": 5.0,
                "coaptation_length_min_mm": 2.0,
                "regurgitant_orifice_area_mm2": 1.5,
                "closed": True,
            },
            "rows": [
                _sensitivity_row("chord_rest_length", 0.9, 3.25),
                _sensitivity_row("chord_rest_length", 1.1, None),
                _sensitivity_row("leaflet_stiffness", 0.9, 5.03),
                _sensitivity_row("leaflet_stiffness", 1.1, 4.97),
            ],
        },
    }
    text = _text(out, sensitivity=True)
    assert "sensitivity of r 30 mm: its repaired closure" in text
    lines = text.splitlines()
    assert any(line.startswith("chord rest length") and "-1.75" in line for line in lines)
    assert any("1.10  did not converge: the repaired" in line for line in lines)
    assert any(line.startswith("leaflet stiffness") and "+0.03" in line for line in lines)
    assert "sensitivity" not in _text(out, sensitivity=False)
    out["sensitivity"] = None
    assert "sensitivity: none (no recommended size to study)" in _text(out, sensitivity=True)


@pytest.mark.slow
def test_sweep_of_the_healthy_sample_studies_the_recommended_size(capsys, tmp_path) -> None:
    table = tmp_path / "sensitivity.csv"
    args = [
        "sweep",
        str(SAMPLES / "healthy_annulus.csv"),
        "--papillary",
        str(SAMPLES / "healthy_papillary_tips.csv"),
        "--rings",
        "classic-like",
        "--sizes",
        "32",
        "--target-coaptation",
        "3",
        "--jobs",
        "2",
        "--sensitivity-csv",
        str(table),
        "--json",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["recommended"]["size_mm"] == 32
    study = out["sensitivity"]
    assert (study["ring"], study["size_mm"], study["valve"]) == ("classic-like", 32, "repaired")
    row = out["rows"][0]
    for key in ("coaptation_length_mean_mm", "regurgitant_orifice_area_mm2"):
        assert study["baseline"][key] == row[key]  # the same case, solved again
    assert [(r["parameter"], r["scale"]) for r in study["rows"]] == [
        ("chord_rest_length", 0.9),
        ("chord_rest_length", 1.1),
        ("leaflet_stiffness", 0.9),
        ("leaflet_stiffness", 1.1),
    ]
    for r in study["rows"]:
        assert r["converged"] and r["closed"]
        assert r["delta_coaptation_length_mean_mm"] == pytest.approx(
            r["coaptation_length_mean_mm"] - row["coaptation_length_mean_mm"], abs=2e-4
        )
    written = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    assert [(r["parameter"], float(r["scale"])) for r in written] == [
        (r["parameter"], r["scale"]) for r in study["rows"]
    ]
    assert {r["ring"] for r in written} == {"classic-like"}
