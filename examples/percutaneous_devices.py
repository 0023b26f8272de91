"""Compare a coronary-sinus device and a transcatheter band on the functional-MR sample.

For each cinch, the septal-lateral (AP) reduction, the wire tension and the largest anchor
force; for the coronary-sinus device also how close it comes to the (synthetic) circumflex
artery. Writes ``percutaneous.csv``.

Run: ``python examples/percutaneous_devices.py [OUTPUT_FOLDER]`` (default ``out/``).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import mvplan.api as mv

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"

#: (device, size in mm): the coronary sinus device lies in the sample's vein path.
DEVICES = (("carillon-like", 70.0), ("cardioband-like", 80.0))
CINCHES = ("0%", "10%", "20%", "30%")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    annulus = mv.load_annulus(SAMPLES / "fmr_annulus.csv")
    rows = []
    for device, size in DEVICES:
        for cinch in CINCHES:
            plan = mv.device_plan(
                annulus,
                device,
                size,
                cinch=cinch,
                cs_path=SAMPLES / "fmr_cs_path.csv" if device == "carillon-like" else None,
                artery=SAMPLES / "fmr_circumflex.csv",
            )
            sim = mv.simulate(plan)
            before, after = sim.result.pre.values, sim.result.post.values
            outcome = sim.result.device
            safety = mv.safety(sim)
            rows.append(
                {
                    "device": device,
                    "size_mm": size,
                    "cinch_mm": round(outcome.spec.cinch_mm, 2),
                    "ap_reduction_percent": round(
                        100 * (1 - after["ap_diameter_mm"] / before["ap_diameter_mm"]), 2
                    ),
                    "wire_tension_n": round(outcome.wire_tension_n, 3),
                    "anchor_force_max_n": round(float(outcome.anchor_forces_n.max()), 3),
                    "artery_distance_mm": round(safety.min_distance_mm, 2) if safety else "",
                    "artery_compression": safety.compression if safety else "",
                }
            )
            r = rows[-1]
            print(
                f"{device} {size:g} mm, cinch {cinch:>3} ({r['cinch_mm']} mm): AP "
                f"-{r['ap_reduction_percent']} %, wire {r['wire_tension_n']} N, artery "
                f"{r['artery_distance_mm']} mm"
            )
    path = out / "percutaneous.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
