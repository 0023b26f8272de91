"""Leaflet closure solve times, cold and warm, each case in its own process.

Run one case: ``python benchmarks/bench_closure.py --case NAME [--repeats N]`` prints one JSON
record ``{name, median_ms, p90_ms, peak_mb, params}``; ``benchmarks/run.py`` runs them all.

The problem: the bundled functional-MR annulus and papillary tips
(``assets/samples/fmr_*.csv``), the default leaflets (23/13 mm) and chordae, 16 kPa.
``cold``: the valve repaired with a rigid ``classic-like`` 26 mm ring, from the open reference
leaflets. ``warm``: the same valve, solved from the closed state of the 28 mm ring (what a
ring-size change does in a sweep or the GUI). ``native``: the healthy sample with no device,
from the reference (the healthy valve closes; most of its iterations settle the contact).

``median_ms`` is ``ClosureResult.time_ms`` (the Newton solves: energies, assembly,
factorisations, line searches, collision checks). ``params`` adds the Newton iterations, the
share of the time spent in sparse factorisations, one factorisation's median time and the
ratio of the solve's time to it, the Newton-CG directions and their conjugate-gradient steps,
and the mesh size. ``peak_mb`` is the process's peak
resident memory (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "samples"

RESOLUTIONS = ("coarse", "standard")
CASES = [f"closure-{kind}-{res}" for res in RESOLUTIONS for kind in ("native", "cold", "warm")]


def _annulus_result(annulus, papillary, size):  # type: ignore[no-untyped-def]
    from mvplan.workflow import make_plan, simulate_plan

    made = make_plan(annulus, "classic-like", size_mm=size, papillary=papillary)
    return simulate_plan(made.plan, spec=made.spec)


def run_case(name: str, repeats: int) -> dict[str, object]:
    """Time one case in this process; return its record."""
    from mvplan.io.load import load_annulus, load_papillary
    from mvplan.mechanics import ldl
    from mvplan.mechanics.newton import NotConverged
    from mvplan.planning.closure import ClosureModel, ClosureSettings

    parsed = re.fullmatch(r"closure-(native|cold|warm)-(\w+)", name)
    if parsed is None:
        raise ValueError(f"unknown case {name!r}")
    kind, resolution = parsed[1], parsed[2]
    sample = "healthy" if kind == "native" else "fmr"
    tips_path = SAMPLES / f"{sample}_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / f"{sample}_annulus.csv", papillary=tips_path)
    tips = load_papillary(tips_path, annulus)
    model = ClosureModel(annulus, tips, settings=ClosureSettings(resolution=resolution))
    attached, start = None, None
    if kind != "native":
        r26 = _annulus_result(annulus, tips, 26.0)
        attached = model.carried_boundary(r26.annulus_before_valve, r26.annulus_after_valve)
    if kind == "warm":
        r28 = _annulus_result(annulus, tips, 28.0)
        before = model.carried_boundary(r28.annulus_before_valve, r28.annulus_after_valve)
        start = model.solve(before).x

    factor_times: list[float] = []
    original = ldl.FreeLDL.factor

    def timed_factor(self, h, shift=0.0):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return original(self, h, shift)
        finally:
            factor_times.append(time.perf_counter() - t)

    ldl.FreeLDL.factor = timed_factor  # type: ignore[method-assign]
    times, iterations, shares, counts, cg = [], [], [], [], []
    for _ in range(repeats):
        factor_times.clear()
        began = time.perf_counter()
        try:
            result = model.solve(attached, warm_start=start)
        except NotConverged as exc:
            # A measured outcome too: how long it ran before it gave up, and why.
            return _failed(name, model, resolution, began, str(exc))
        times.append(result.time_ms)
        iterations.append(result.iterations)
        shares.append(1e3 * sum(factor_times) / result.time_ms)
        counts.append(len(factor_times))
        steps = [step for solve in result.solves for step in solve.history]
        cg.append(
            (
                sum(step.hessian in ("newton-cg", "truncated-cg") for step in steps),
                sum(step.cg_steps for step in steps),
            )
        )
    one_factor_ms = 1e3 * float(np.median(factor_times))
    median = float(np.median(times))
    return {
        "name": name,
        "median_ms": median,
        "p90_ms": float(np.percentile(times, 90)),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "params": {
            "resolution": resolution,
            "leaflet_nodes": model.n_leaflet_nodes,
            "free_dofs": int(3 * model.free.sum()),
            "newton_iterations": int(np.median(iterations)),
            "factorisations": int(np.median(counts)),
            "newton_cg_directions": int(np.median([c[0] for c in cg])),
            "cg_steps": int(np.median([c[1] for c in cg])),
            "factorisation_share": round(float(np.median(shares)), 3),
            "one_factorisation_ms": round(one_factor_ms, 2),
            "time_over_one_factorisation": round(median / one_factor_ms, 1),
            "repeats": repeats,
        },
    }


def _failed(name: str, model, resolution: str, began: float, message: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The record of a case whose solve did not converge: ``median_ms`` None."""
    return {
        "name": name,
        "median_ms": None,
        "p90_ms": None,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "params": {
            "resolution": resolution,
            "leaflet_nodes": model.n_leaflet_nodes,
            "converged": False,
            "error": message,
            "ms_until_it_gave_up": round(1e3 * (time.perf_counter() - began), 1),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, choices=CASES)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(run_case(args.case, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
