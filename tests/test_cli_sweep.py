"""``mvplan sweep``: rows per ring and size, the recommendation, CSV, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest
from shapes import SAMPLES

from mvplan.cli import main
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
        "26-28",
        "--jobs",
        "2",
    ]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    assert [(r["ring"], r["size_mm"]) for r in rows] == [("classic-like", 26), ("classic-like", 28)]
    assert out["native"]["closed"] is False  # functional MR leaks
    for row in rows:
        assert "error" not in row
        assert row["suture_force_max_n"] > 0
    # The smaller ring shrinks the orifice more.
    assert rows[0]["regurgitant_orifice_area_mm2"] < rows[1]["regurgitant_orifice_area_mm2"]
    assert rows[1]["regurgitant_orifice_area_mm2"] < out["native"]["regurgitant_orifice_area_mm2"]
    assert out["recommended"] is None or out["recommended"]["size_mm"] in (26, 28)
    assert out["recommended_reason"]
    # The same sweep as CSV, in one process: same figures.
    assert main([*args[:-2], "--jobs", "1", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [float(r["size_mm"]) for r in table] == [26.0, 28.0]
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
    ):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert match in err and len(err.strip().splitlines()) == 1
