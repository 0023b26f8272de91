"""``mvplan sweep --scheduler``: the cases on a Dask cluster, or a one-line error."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from shapes import SAMPLES

from mvplan import sweep
from mvplan.cli import main
from mvplan.io.load import load_annulus, load_papillary
from mvplan.plan import Plan
from mvplan.sweep import closure_sensitivity, connect_scheduler, run_sweep, sweep_cases
from mvplan.valve.leaflets import LeafletSpec
from mvplan.workflow import simulate_closure

FMR = [str(SAMPLES / "fmr_annulus.csv"), "--papillary", str(SAMPLES / "fmr_papillary_tips.csv")]


def _sweep(capsys, *extra: str) -> tuple[int, str]:
    code = main(["sweep", *FMR, "--rings", "classic-like", "--sizes", "28", *extra])
    return code, capsys.readouterr().err


def test_without_distributed_the_error_says_how_to_install_it(capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, err = _sweep(capsys, "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "dask" in err and "pip install 'mvplan[dask]'" in err


def test_bad_or_unreachable_scheduler_is_one_line_exit_2(capsys, monkeypatch) -> None:
    pytest.importorskip("distributed", reason="needs the optional extra 'dask'")
    for address, match in (
        ("no address", "not a Dask scheduler address"),
        ("http://localhost:8786", "only tcp://"),
        ("tls://localhost:8786", "only tcp://"),
    ):
        code, err = _sweep(capsys, "--scheduler", address)
        assert code == 2 and match in err and len(err.strip().splitlines()) == 1
    code, err = _sweep(capsys, "--scheduler", "x:1", "--jobs", "2")
    assert code == 2 and "not both" in err
    # A port nobody listens on (bound, then released): the client gives up after the timeout.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(sweep, "SCHEDULER_TIMEOUT_S", 1.0)
    code, err = _sweep(capsys, "--scheduler", f"tcp://127.0.0.1:{port}")
    assert code == 2
    assert "cannot reach the Dask scheduler" in err and len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A local Dask cluster of two single-threaded worker processes."""
    distributed = pytest.importorskip("distributed", reason="needs the optional extra 'dask'")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def fmr() -> Plan:
    tips = SAMPLES / "fmr_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / "fmr_annulus.csv", papillary=tips)
    return Plan(annulus=annulus, papillary=load_papillary(tips, annulus), leaflets=LeafletSpec())


def _same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert set(a) == set(b)
        for key in set(a) - {"closure_time_ms"}:
            if isinstance(b[key], float):
                assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-9), key
            else:
                assert a[key] == b[key], key


@pytest.mark.slow
def test_dask_rows_equal_the_process_pool_rows(scheduler, fmr) -> None:
    cases = sweep_cases(["classic-like"], (28.0, 30.0))
    seen: list[float] = []
    on_dask = run_sweep(fmr, cases, scheduler=scheduler, on_row=lambda r: seen.append(r["size_mm"]))
    local = run_sweep(fmr, cases, jobs=2)
    assert sorted(seen) == [28.0, 30.0]  # progress, in finishing order
    assert on_dask["scheduler"] == scheduler and on_dask["jobs"] == 2
    assert [(r["ring"], r["size_mm"]) for r in on_dask["rows"]] == [
        ("classic-like", 28.0),
        ("classic-like", 30.0),
    ]
    assert [r.get("error") for r in on_dask["rows"]] == [None, None]
    _same_rows(on_dask["rows"], local["rows"])
    for native in (on_dask["native"], local["native"]):
        del native["solver"]["time_ms"]
    assert on_dask["native"] == local["native"]


def test_sensitivity_on_dask_equals_the_one_in_this_process(scheduler, fmr) -> None:
    outcome = simulate_closure(fmr)
    with connect_scheduler(scheduler) as client:
        study = sweep._sensitivity(
            fmr, None, outcome, factor=0.1, jobs=1, progress=None, cancel=None, client=client
        )
    assert study["valve"] == "native"
    _same_rows(study["rows"], closure_sensitivity(fmr, None, outcome))
