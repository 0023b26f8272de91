"""The repaired closure along four load paths: regurgitant orifice per ring size (theory.md §10).

The functional-MR sample (``assets/samples/fmr_*``) under the rigid ``classic-like`` ring, coarse
mesh. Paths: warm from the native closed valve (what ``mvplan simulate`` does); cold from the
open leaflets with the full pressure first (the cold default and the benchmark); cold with the
pressure stepped from an eighth; a sweep from 40 mm down, each size warm-started from the last.
Prints a Markdown table, each solve's Newton iterations and the sizes whose closed leaflets
cross (``ClosureResult.surfaces_cross``); about five minutes on 2 cores.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "samples"
SIZES = (24.0, 26.0, 28.0, 30.0, 32.0)
SWEEP = (40.0, 38.0, 36.0, 34.0, 32.0, 30.0, 28.0, 26.0, 24.0)


def main() -> int:
    from mvplan.io.load import load_annulus, load_papillary
    from mvplan.workflow import (
        ClosureCase,
        closure_model,
        coaptation_of,
        make_plan,
        simulate_closure,
        simulate_plan,
    )

    tips_path = SAMPLES / "fmr_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / "fmr_annulus.csv", papillary=tips_path)
    tips = load_papillary(tips_path, annulus)
    plans = {}
    for size in SWEEP:
        made = make_plan(annulus, "classic-like", size_mm=size, papillary=tips)
        plans[size] = (made.plan, simulate_plan(made.plan, spec=made.spec))
    model = closure_model(plans[SWEEP[0]][0])
    stepped = closure_model(
        plans[SWEEP[0]][0], dataclasses.replace(model.settings, first_load_step=0.125)
    )
    rows: dict[str, dict[float, tuple[float, int, bool]]] = {}

    def record(row: str, size: float, case: ClosureCase | None) -> None:
        assert case is not None
        rows.setdefault(row, {})[size] = (
            case.coaptation.regurgitant_orifice_area_mm2,
            case.result.iterations,
            case.result.surfaces_cross,
        )

    native = None
    for size in SIZES:
        plan, repaired = plans[size]
        outcome = simulate_closure(plan, repaired, model=model, native=native)
        native = outcome.native
        record(
            "warm from the native closed valve (`mvplan simulate`, report, GUI)",
            size,
            outcome.repaired,
        )
    for row, m in (
        ("cold, full pressure first (the cold default, the benchmark)", model),
        ("cold, pressure stepped from 1/8 (`first_load_step=0.125`)", stepped),
    ):
        for size in SIZES:
            plan, repaired = plans[size]
            attached = m.carried_boundary(
                repaired.annulus_before_valve, repaired.annulus_after_valve
            )
            result = m.solve(attached)
            case = ClosureCase(
                result,
                coaptation_of(m, result, repaired.annulus_after_valve),
                repaired.annulus_after_valve,
            )
            record(row, size, case)
    start = None
    for size in SWEEP:
        plan, repaired = plans[size]
        outcome = simulate_closure(plan, repaired, model=model, native=native, warm_start=start)
        assert outcome.repaired is not None
        start = outcome.repaired.result.x
        if size in SIZES:
            record(
                "sweep order, warm from the next larger ring (`test_closure_rings.py`)",
                size,
                outcome.repaired,
            )
    print("| ring (mm) | " + " | ".join(f"{s:.0f}" for s in SIZES) + " |")
    print("|---|" + "---|" * len(SIZES))
    for row, values in rows.items():
        print(f"| {row} | " + " | ".join(f"{values[s][0]:.2f}" for s in SIZES) + " |")
    print()
    for row, values in rows.items():
        print(f"{row}: Newton iterations " + ", ".join(f"{values[s][1]}" for s in SIZES))
        crossing = [f"{s:g}" for s in SIZES if values[s][2]]
        print(f"  surfaces cross at: {', '.join(crossing) or 'none'} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
