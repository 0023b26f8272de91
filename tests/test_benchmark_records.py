"""The benchmark harness's merging of the GUI's event-loop cases over several processes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_merged = _harness()._merged


def _run(median: float, p90: float, largest: float, peak: float) -> dict[str, object]:
    return {
        "name": "gui-event-loop-drag",
        "median_ms": median,
        "p90_ms": p90,
        "peak_mb": peak,
        "params": {"max_ms": largest, "seconds": 3.0, "solves_completed": 30, "frames": 70},
    }


def test_an_event_loop_case_is_the_median_over_processes_with_the_worst_kept() -> None:
    merged = _merged(
        [_run(0.5, 20.0, 41.0, 400.0), _run(0.9, 26.0, 77.0, 430.0), _run(0.7, 22.0, 38.0, 410.0)]
    )
    assert merged["name"] == "gui-event-loop-drag"
    assert (merged["median_ms"], merged["p90_ms"], merged["peak_mb"]) == (0.7, 22.0, 430.0)
    params = merged["params"]
    assert isinstance(params, dict)
    assert params["max_ms"] == 41.0 and params["worst_ms"] == 77.0
    assert params["max_ms_all"] == [41.0, 77.0, 38.0] and params["processes"] == 3


def test_an_even_number_of_processes_takes_the_middle_two() -> None:
    merged = _merged([_run(1.0, 20.0, 40.0, 1.0), _run(3.0, 30.0, 60.0, 1.0)])
    assert merged["median_ms"] == pytest.approx(2.0)
    assert merged["params"]["max_ms"] == pytest.approx(50.0)  # type: ignore[index]
