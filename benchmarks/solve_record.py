"""What the solve benchmarks share: a record from repeated timings, and the one-case command.

``bench_annuloplasty.py`` and ``bench_device.py`` time a solve ``repeats + 1`` times in one
process and drop the first run (it warms caches); :func:`solve_record` turns the rest into the
JSON record ``benchmarks/run.py`` collects, and :func:`case_main` is their command line.
"""

from __future__ import annotations

import argparse
import json
import resource
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def solve_record(
    name: str,
    solve_ms: Sequence[float],
    total_ms: Sequence[float],
    iterations: Sequence[int],
    repeats: int,
    **params: Any,
) -> dict[str, Any]:
    """The record of one case, the first (warm-up) run of each list dropped.

    ``median_ms`` / ``p90_ms`` are the Newton solves' times, ``total_*`` the whole call's
    (model building and measurements too), all ms; ``peak_mb`` is the process's peak resident
    memory (``ru_maxrss``), imports included. ``params`` come first in the record's params.
    """
    solve, total = np.asarray(solve_ms[1:]), np.asarray(total_ms[1:])
    return {
        "name": name,
        "median_ms": round(float(np.median(solve)), 3),
        "p90_ms": round(float(np.percentile(solve, 90)), 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "params": {
            **params,
            "newton_iterations": int(np.median(iterations[1:])),
            "total_median_ms": round(float(np.median(total)), 3),
            "total_p90_ms": round(float(np.percentile(total, 90)), 3),
            "repeats": repeats,
        },
    }


def case_main(
    doc: str,
    cases: Sequence[str],
    run_case: Callable[[str, int], dict[str, Any]],
    default_repeats: int,
    argv: list[str] | None = None,
) -> int:
    """``--case NAME [--repeats N]``: run one case and print its record as one JSON line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--case", choices=cases, required=True)
    parser.add_argument("--repeats", type=int, default=default_repeats)
    args = parser.parse_args(argv)
    print(json.dumps(run_case(args.case, args.repeats)))
    return 0
