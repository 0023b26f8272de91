"""Annuloplasty solve times, cold and warm, each case in its own process.

Run one case: ``python benchmarks/bench_annuloplasty.py --case NAME [--repeats N]`` prints one
JSON record ``{name, median_ms, p90_ms, peak_mb, params}``. ``benchmarks/run.py`` runs them all.

The problem: the bundled healthy annulus (``assets/samples/healthy_annulus.csv``) resampled to
``nodes`` mechanics nodes, a ring of the catalogue placed automatically with 14 sutures, the
default tissue. ``cold``: from the native annulus and the ring as placed. ``warm``: the pose
moved by 1 mm (along the valve-frame x axis) and turned 2 degrees about the normal, the sutures
laid out again at the new pose, solved from the previous solution (what a GUI drag does).

``median_ms`` / ``p90_ms`` time the Newton solve (``SolveResult.time_ms``: energy, gradient,
Hessian assembly, factorisation, line search); the ``total`` fields of ``params`` add building
the model and measuring the reshaped annulus (section 4 measurements, including its minimal
surface). ``peak_mb`` is the process's peak resident memory (``ru_maxrss``), imports included.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from solve_record import case_main, solve_record

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "assets" / "samples" / "healthy_annulus.csv"

RINGS = {"rigid": ("classic-like", 30.0), "semi-rigid": ("physio-like", 30.0)}
NODES = (128, 256, 512)
CASES = [
    f"annuloplasty-{ring}-{kind}-{nodes}"
    for ring in RINGS
    for kind in ("cold", "warm")
    for nodes in NODES
]


def run_case(name: str, repeats: int) -> dict[str, object]:
    """Time one case in this process; return its record."""
    from mvplan.io.load import load_annulus
    from mvplan.planning import auto_place, rotated_about_normal, translated, with_suture_count
    from mvplan.planning.annuloplasty import simulate_annuloplasty
    from mvplan.rings import load_catalogue

    parsed = re.fullmatch(r"annuloplasty-(.+)-(cold|warm)-(\d+)", name)
    if parsed is None:
        raise ValueError(f"unknown case {name!r}")
    ring_class, kind, nodes = parsed[1], parsed[2], int(parsed[3])
    family, size = RINGS[ring_class]
    annulus = load_annulus(SAMPLE)
    spec = load_catalogue().family(family).spec(size)
    placement = auto_place(annulus, spec).placement
    moved = rotated_about_normal(translated(placement, 1.0, 0.0, 0.0), 2.0)
    moved = with_suture_count(annulus, spec, moved, len(placement.sutures))

    solve_ms, total_ms, iterations = [], [], []
    for _ in range(repeats + 1):  # the first run warms caches and is dropped
        start = None
        if kind == "warm":
            start = simulate_annuloplasty(annulus, spec, placement, annulus_nodes=nodes).state
            target = moved
        else:
            target = placement
        t0 = time.perf_counter()
        result = simulate_annuloplasty(annulus, spec, target, annulus_nodes=nodes, warm_start=start)
        total_ms.append(1e3 * (time.perf_counter() - t0))
        solve_ms.append(result.solve.time_ms)
        iterations.append(result.solve.iterations)
    return solve_record(
        name,
        solve_ms,
        total_ms,
        iterations,
        repeats,
        ring=f"{family} {size:g} mm ({ring_class}, {result.ring_model})",
        start=kind,
        annulus_nodes=nodes,
        ring_nodes=int(result.ring_before_valve.shape[0]),
        sutures=len(target.sutures),
        relative_residual=float(result.solve.residual),
    )


def main(argv: list[str] | None = None) -> int:
    return case_main(__doc__ or "", CASES, run_case, 21, argv)


if __name__ == "__main__":
    sys.exit(main())
