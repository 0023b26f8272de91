"""Percutaneous device solve times, each case in its own process.

Run one case: ``python benchmarks/bench_device.py --case NAME [--repeats N]`` prints one JSON
record ``{name, median_ms, p90_ms, peak_mb, params}``; ``benchmarks/run.py`` runs them all.

The problem: the bundled functional-MR annulus (``assets/samples/fmr_annulus.csv``) with its
own 243 mechanics nodes and the default tissue; ``device-cs-*``: the 70 mm coronary-sinus
device (carillon-like) in the estimated vein; ``device-band-*``: the 80 mm transcatheter band
(cardioband-like, 11 anchors). The cinch is 10 or 20 % of the size, taken up in steps of at
most 1 mm (:mod:`mvplan.planning.percutaneous`). ``median_ms`` / ``p90_ms`` time the Newton
solves (``SolveResult.time_ms`` summed over the cinch steps); ``total`` adds building the model
and measuring the reshaped annulus.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from solve_record import case_main, solve_record

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "assets" / "samples" / "fmr_annulus.csv"
TIPS = ROOT / "assets" / "samples" / "fmr_papillary_tips.csv"

DEVICES = {"cs": ("carillon-like", 70.0), "band": ("cardioband-like", 80.0)}
CASES = [f"device-{kind}-{percent}pct" for kind in DEVICES for percent in (10, 20)]


def run_case(name: str, repeats: int) -> dict[str, object]:
    """Time one case in this process; return its record."""
    from mvplan.geometry.coronary import estimate_cs_path
    from mvplan.geometry.measurements import measure
    from mvplan.io.load import load_annulus
    from mvplan.planning.percutaneous import simulate_percutaneous
    from mvplan.rings import load_catalogue

    parsed = re.fullmatch(r"device-(cs|band)-(\d+)pct", name)
    if parsed is None:
        raise ValueError(f"unknown case {name!r}")
    family_id, size = DEVICES[parsed[1]]
    annulus = load_annulus(SAMPLE, papillary=TIPS)
    family = load_catalogue(include_user=False).device(family_id)
    spec = family.spec(size, size * int(parsed[2]) / 100.0)
    vein = estimate_cs_path(annulus).points_valve if parsed[1] == "cs" else None
    pre = measure(annulus)
    solve_ms, total_ms, iterations = [], [], []
    for _ in range(repeats + 1):  # the first run warms caches and is dropped
        t0 = time.perf_counter()
        result = simulate_percutaneous(annulus, spec, cs_path_valve=vein, pre=pre)
        total_ms.append(1e3 * (time.perf_counter() - t0))
        solve_ms.append(result.solve.time_ms)
        iterations.append(result.solve.iterations)
    assert result.device is not None
    return solve_record(
        name,
        solve_ms,
        total_ms,
        iterations,
        repeats,
        device=f"{family_id} {size:g} mm, cinch {spec.cinch_mm:g} mm",
        annulus_nodes=int(result.annulus_before_valve.shape[0]),
        device_nodes=int(result.ring_before_valve.shape[0]),
        relative_residual=float(result.solve.residual),
        wire_tension_n=round(result.device.wire_tension_n, 4),
    )


def main(argv: list[str] | None = None) -> int:
    return case_main(__doc__ or "", CASES, run_case, 11, argv)


if __name__ == "__main__":
    sys.exit(main())
