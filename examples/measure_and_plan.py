"""Measure a patient's annulus, let a sizing policy choose the ring, simulate, save the plan.

Run: ``python examples/measure_and_plan.py [OUTPUT_FOLDER]`` (default ``out/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import mvplan.api as mv

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    annulus = mv.load_annulus(SAMPLES / "fmr_annulus.csv")
    before = mv.measure(annulus).values
    print(
        f"native annulus: AP {before['ap_diameter_mm']:.1f} mm, "
        f"commissural width {before['commissural_width_mm']:.1f} mm, "
        f"area {before['area_3d_mm2']:.0f} mm2"
    )

    # True-size the Physio-like ring (DOMAIN.md: sized to the anterior leaflet / trigones).
    plan = mv.make_plan(
        annulus,
        "physio-like",
        policy="true-size",
        papillary=SAMPLES / "fmr_papillary_tips.csv",
        name="FMR sample, true-sized",
    )
    sim = mv.simulate(plan)
    after = sim.result.post.values
    forces = sim.result.suture_forces_n
    print(
        f"{plan.ring.family} {plan.ring.size_mm:g} mm: AP {after['ap_diameter_mm']:.1f} mm "
        f"({100 * (after['ap_diameter_mm'] / before['ap_diameter_mm'] - 1):+.1f} %), "
        f"largest suture force {forces.max():.2f} N over {forces.size} sutures, "
        f"solver residual {sim.result.solve.residual:.1e}"
    )
    path = mv.save_plan(sim.plan, out / "fmr-physio.mvplan.json")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
