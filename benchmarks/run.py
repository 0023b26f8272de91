"""Run every benchmark case in its own process; print a table and write ``latest.json``.

``make bench`` runs this. Each record is ``{name, median_ms, p90_ms, peak_mb, params}``
(``median_ms`` None for a closure that did not converge; ``--only`` updates the named cases in
an existing output and keeps the rest)
(see ``bench_annuloplasty.py`` and ``mvplan/gui/bench.py`` for what each times). Options:
``--repeats N``, ``--only SUBSTRING``, ``--gui-starts N`` (fresh processes timed for the
window start-up; each process also measures the event-loop cases once), ``--package-starts N``
(fresh starts of the built bundle, ``bench_package.py``).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_annuloplasty  # noqa: E402
import bench_closure  # noqa: E402
import bench_device  # noqa: E402
import bench_package  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("-o", "--output", type=Path, default=HERE / "latest.json")
    parser.add_argument("--gui-starts", type=int, default=5)
    parser.add_argument(
        "--closure-repeats", type=int, default=3, help="repeats of each leaflet-closure case"
    )
    parser.add_argument(
        "--package-starts", type=int, default=5, help="fresh starts of the built bundle timed"
    )
    args = parser.parse_args(argv)
    records = []
    header = (
        f"{'case':36s} {'median ms':>10s} {'p90 ms':>8s} {'peak MB':>8s} {'its':>4s} "
        f"{'total ms':>9s} (closure: factorisation share)"
    )
    machine = platform.node() or "this machine"
    print(f"mvplan benchmarks on {machine}, Python {platform.python_version()}")
    print(header)
    cases = [("bench_annuloplasty.py", c, args.repeats) for c in bench_annuloplasty.CASES]
    cases += [("bench_device.py", c, args.repeats) for c in bench_device.CASES]
    cases += [("bench_closure.py", c, args.closure_repeats) for c in bench_closure.CASES]
    for script, case, repeats in cases:
        if args.only not in case:
            continue
        out = subprocess.run(
            [sys.executable, str(HERE / script), "--case", case, "--repeats", str(repeats)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{case}: failed\n{out.stderr}", file=sys.stderr)
            return 1
        record = json.loads(out.stdout.strip().splitlines()[-1])
        records.append(record)
        p = record["params"]
        if record["median_ms"] is None:  # a closure that did not converge
            print(f"{case:36s} did not converge ({p['ms_until_it_gave_up']:.0f} ms): {p['error']}")
            continue
        # Closure cases have no setup beyond the solve in "total": show the factorisation
        # share there instead (the ratio of the solve to one factorisation is in the JSON).
        last = (
            f"{p['total_median_ms']:9.2f}"
            if "total_median_ms" in p
            else f"{100 * p['factorisation_share']:8.0f}%"
        )
        print(
            f"{case:36s} {record['median_ms']:10.2f} {record['p90_ms']:8.2f} "
            f"{record['peak_mb']:8.1f} {p['newton_iterations']:4d} {last}"
        )
    if not args.only or "gui" in args.only:
        gui = _gui_records(args.gui_starts)
        if gui is None:
            return 1
        records += gui
    if not args.only or "package" in args.only:
        # The built bundle (make package): skipped with a message when dist/ has none.
        package = bench_package.records(args.package_starts)
        if package is not None:
            bench_package.print_records(package)
            records += package
    if args.only and args.output.exists():
        # A partial run updates the cases it ran and keeps the others' last figures.
        ran = {r["name"] for r in records}
        kept = [r for r in json.loads(args.output.read_text()) if r["name"] not in ran]
        records = kept + records
    args.output.write_text(json.dumps(records, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


def _gui_records(starts: int) -> list[dict[str, object]] | None:
    """Window start-up and the event-loop cases over ``starts`` fresh processes.

    The start-up is the median of the processes' times. Each event-loop case is measured
    once per process and its record holds the medians over the processes of each one's
    median, 90th percentile and largest lateness (``max_ms``; every process's in
    ``max_ms_all``, the largest of all in ``worst_ms``): a single run's largest is one event
    in a few seconds, too noisy on a shared machine to quote alone."""
    # Time the start a user sees from the second launch on: with mvplan's bytecode compiled.
    # An editable install compiles it on the first import, unless PYTHONDONTWRITEBYTECODE is
    # set (as on the reference machine), when every start compiled about 130 modules again
    # (0.27 s of a 1.6-2.4 s start, profiled).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(HERE.parent / "mvplan")], check=True
    )
    runs: list[list[dict[str, object]]] = []
    for _ in range(max(1, starts)):
        out = subprocess.run(
            [sys.executable, "-m", "mvplan.gui.bench"],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"gui bench: failed\n{out.stderr}", file=sys.stderr)
            return None
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        runs.append([json.loads(line) for line in lines])
    starts_ms = [float(r["median_ms"]) for run in runs for r in run if r["name"] == "gui-window-up"]
    records = [_merged([run[i] for run in runs]) for i in range(1, len(runs[0]))]
    window = next(r for r in runs[0] if r["name"] == "gui-window-up")
    starts_ms.sort()
    window = {
        **window,
        "median_ms": round(starts_ms[len(starts_ms) // 2], 1),
        "p90_ms": round(starts_ms[min(len(starts_ms) - 1, int(0.9 * len(starts_ms)))], 1),
        "params": {**dict(window["params"]), "processes": len(starts_ms), "all_ms": starts_ms},
    }
    records.insert(0, window)
    for r in records:
        p = dict(r["params"])  # type: ignore[call-overload]
        largest = ""
        if "max_ms" in p:
            largest = f"      max {p['max_ms']:.1f} (worst {p['worst_ms']:.1f})"
        print(
            f"{r['name']:36s} {r['median_ms']:10.2f} {r['p90_ms']:8.2f} {r['peak_mb']:8.1f}"
            + largest
        )
    return records


def _merged(records: list[dict[str, object]]) -> dict[str, object]:
    """One event-loop case measured in several processes as one record (``_gui_records``)."""
    params = [dict(r["params"]) for r in records]  # type: ignore[call-overload]
    maxima = [float(p["max_ms"]) for p in params]
    merged: dict[str, object] = {
        **params[0],
        "max_ms": median(maxima),
        "max_ms_all": maxima,
        "worst_ms": max(maxima),
        "processes": len(records),
        "solves_completed": median([float(p["solves_completed"]) for p in params]),
    }
    for key in ("solve_median_ms", "frame_median_ms"):
        values = [float(p[key]) for p in params if p.get(key) is not None]
        if values:
            merged[key] = median(values)
    if "frames" in params[0]:
        merged["frames"] = median([float(p["frames"]) for p in params])
    return {
        "name": records[0]["name"],
        "median_ms": median([float(r["median_ms"]) for r in records]),  # type: ignore[arg-type]
        "p90_ms": median([float(r["p90_ms"]) for r in records]),  # type: ignore[arg-type]
        "peak_mb": max(float(r["peak_mb"]) for r in records),  # type: ignore[arg-type]
        "params": merged,
    }


if __name__ == "__main__":
    sys.exit(main())
