"""Run every benchmark case in its own process; print a table and write ``latest.json``.

``make bench`` runs this. Each record is ``{name, median_ms, p90_ms, peak_mb, params}``
(see each ``bench_*.py`` for what it times). Options: ``--repeats N``, ``--only SUBSTRING``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_annuloplasty  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("-o", "--output", type=Path, default=HERE / "latest.json")
    args = parser.parse_args(argv)
    records = []
    header = (
        f"{'case':36s} {'median ms':>10s} {'p90 ms':>8s} {'peak MB':>8s} {'its':>4s} "
        f"{'total ms':>9s}"
    )
    machine = platform.node() or "this machine"
    print(f"mvplan benchmarks on {machine}, Python {platform.python_version()}")
    print(header)
    for case in bench_annuloplasty.CASES:
        if args.only not in case:
            continue
        out = subprocess.run(
            [
                sys.executable,
                str(HERE / "bench_annuloplasty.py"),
                "--case",
                case,
                "--repeats",
                str(args.repeats),
            ],
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
        print(
            f"{case:36s} {record['median_ms']:10.2f} {record['p90_ms']:8.2f} "
            f"{record['peak_mb']:8.1f} {p['newton_iterations']:4d} {p['total_median_ms']:9.2f}"
        )
    args.output.write_text(json.dumps(records, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
