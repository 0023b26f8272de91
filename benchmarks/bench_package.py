"""The Linux bundle: its sizes and how fast it starts (``make package`` builds it first).

Records (``run.py`` adds them to ``latest.json``; ``python benchmarks/bench_package.py`` prints
them alone):

- ``package-size``: no timing (``median_ms`` null); ``params`` has the bundle folder, the
  tarball and the .deb in MB (10^6 bytes) and the bundle's file count.
- ``package-cold-start-version``: ``dist/mvplan/mvplan --version`` in fresh processes.
- ``package-gui-up``: ``dist/mvplan/mvplan gui SAMPLE --papillary TIPS --screenshot PNG
  --exit`` in fresh processes, from the start until it exits: the window up with the sample
  measured, drawn off screen and saved.

Each process starts with a clean environment (no ``DISPLAY``, no virtual environment), as
from a desktop launcher; the operating system's file cache is warm (the first start after a
boot reads the 560 MB bundle from disk and takes longer). ``peak_mb`` is the largest
resident size of the processes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
EXE = DIST / "mvplan" / "mvplan"
SAMPLE = ROOT / "assets" / "samples" / "healthy_annulus.csv"
TIPS = ROOT / "assets" / "samples" / "healthy_papillary_tips.csv"
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "LANG": "C.UTF-8"}


def _mb(path: Path) -> float:
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
        return round(sum(p.stat().st_size for p in files) / 1e6, 1)
    return round(path.stat().st_size / 1e6, 1)


def _one(pattern: str) -> Path | None:
    found = sorted(DIST.glob(pattern))
    return found[-1] if found else None


def size_record() -> dict[str, object]:
    """``package-size``: the bundle folder, tarball and .deb in MB."""
    tarball, deb = _one("mvplan-*-linux-*.tar.gz"), _one("mvplan_*.deb")
    params = {
        "bundle_mb": _mb(EXE.parent),
        "bundle_files": sum(1 for p in EXE.parent.rglob("*") if p.is_file()),
        "tarball_mb": _mb(tarball) if tarball else None,
        "deb_mb": _mb(deb) if deb else None,
    }
    return {
        "name": "package-size",
        "median_ms": None,
        "p90_ms": None,
        "peak_mb": None,
        "params": params,
    }


def timed_starts(name: str, argv: list[str], starts: int) -> dict[str, object]:
    """Run ``argv`` in ``starts`` fresh processes; median and p90 of the wall time, in ms."""
    times: list[float] = []
    for _ in range(max(1, starts)):
        start = time.perf_counter()
        done = subprocess.run(argv, env=CLEAN_ENV, capture_output=True, text=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise RuntimeError(f"{name}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
    times.sort()
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "name": name,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[min(len(times) - 1, int(0.9 * len(times)))], 1),
        "peak_mb": round(peak_kib / 1024, 1),
        "params": {
            "processes": len(times),
            "all_ms": [round(t, 1) for t in times],
            "command": " ".join(Path(a).name if "/" in a else a for a in argv),
        },
    }


def records(starts: int = 5) -> list[dict[str, object]] | None:
    """Every package record, or None (with a message) if the bundle is not built."""
    if not EXE.is_file():
        print(f"package bench: skipped, {EXE.relative_to(ROOT)} is not built (make package)")
        return None
    out = [
        size_record(),
        timed_starts("package-cold-start-version", [str(EXE), "--version"], starts),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        png = str(Path(tmp) / "gui.png")
        gui = [
            str(EXE),
            "gui",
            str(SAMPLE),
            "--papillary",
            str(TIPS),
            "--screenshot",
            png,
            "--exit",
        ]
        out.append(timed_starts("package-gui-up", gui, starts))
    return out


def print_records(rows: list[dict[str, object]]) -> None:
    """The table lines run.py prints for these records."""
    for r in rows:
        p = dict(r["params"])  # type: ignore[call-overload]
        if r["median_ms"] is None:
            print(
                f"{r['name']:36s} bundle {p['bundle_mb']} MB, tarball {p['tarball_mb']} MB, "
                f".deb {p['deb_mb']} MB"
            )
        else:
            print(f"{r['name']:36s} {r['median_ms']:10.2f} {r['p90_ms']:8.2f} {r['peak_mb']:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="fresh processes timed")
    args = parser.parse_args(argv)
    rows = records(args.starts)
    if rows is None:
        return 0
    print_records(rows)
    for r in rows:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
