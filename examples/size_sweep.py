"""Compare every size of two rings on one annulus: a small scripted study, as a CSV table.

Run: ``python examples/size_sweep.py [OUTPUT_FOLDER]`` (default ``out/``).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import mvplan.api as mv

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
RINGS = ("physio-like", "cosgrove-band-like")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    annulus = mv.load_annulus(SAMPLES / "fmr_annulus.csv")
    native_ap = mv.measure(annulus).values["ap_diameter_mm"]
    catalogue = mv.rings()
    rows = []
    for ring in RINGS:
        for size in catalogue.family(ring).sizes_mm:
            if not 26 <= size <= 36:
                continue
            sim = mv.simulate(mv.make_plan(annulus, ring, size_mm=size))
            post = sim.result.post.values
            rows.append(
                {
                    "ring": ring,
                    "size_mm": size,
                    "ap_after_mm": round(post["ap_diameter_mm"], 2),
                    "ap_reduction_percent": round(
                        100 * (1 - post["ap_diameter_mm"] / native_ap), 1
                    ),
                    "max_suture_force_n": round(float(sim.result.suture_forces_n.max()), 3),
                    "iterations": sim.result.solve.iterations,
                }
            )
    path = out / "size-sweep.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        print(
            f"{row['ring']:<20} {row['size_mm']:>4g} mm  "
            f"AP reduced {row['ap_reduction_percent']:>5.1f} %  "
            f"max force {row['max_suture_force_n']:.2f} N"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
