"""Ring-size sweeps: every (ring, size) of a list simulated through annuloplasty and closure.

For one annulus (its leaflets and papillary tips), each case places the ring automatically,
ties its sutures (:func:`mvplan.workflow.simulate_plan`) and closes the leaflets on the
reshaped annulus (:func:`mvplan.workflow.simulate_closure`), warm-started from the native
closure, which is solved once. Cases run in parallel processes (each builds the closure model
once and reuses it for all its cases). The recommended choice is, by default, the largest size
that closes the gap, reaches the target coaptation length and keeps every suture under its
pull-out warning level (:func:`recommend`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError, MvplanError
from mvplan.plan import Plan
from mvplan.planning.closure import ClosureModel, ClosureSettings
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.workflow import (
    ClosureCase,
    closure_model,
    make_plan,
    simulate_closure,
    simulate_plan,
)

FloatArray = npt.NDArray[np.float64]

#: Default target coaptation length after repair, mm (DOMAIN.md: >= 8 mm is one surgeons'
#: convention after repair of prolapse; 5 mm is the issue's default, between normal 3D-TEE
#: figures, about 3 mm, and model-based ones, which run longer).
TARGET_COAPTATION_MM = 5.0

#: Keys of the repaired closure copied into each sweep row.
ROW_CLOSURE_KEYS = (
    "closed",
    "coaptation_length_min_mm",
    "coaptation_length_mean_mm",
    "coaptation_area_mm2",
    "regurgitant_orifice_area_mm2",
    "tenting_height_mm",
    "tenting_volume_ml",
    "stenosis_warning",
)


def parse_sizes(text: str) -> tuple[float, float]:
    """``"24-36"`` -> ``(24.0, 36.0)``; a single ``"30"`` -> ``(30.0, 30.0)`` (mm)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*", text)
    if match is None:
        raise InputError(f"--sizes: expected a size or a range such as 24-36 (mm), got {text!r}")
    low = float(match.group(1))
    high = float(match.group(2) or low)
    if high < low:
        raise InputError(f"--sizes: the range {text!r} runs backwards")
    return low, high


@dataclass(frozen=True)
class SweepCase:
    """One ring and size of a sweep."""

    ring: str
    size_mm: float


def sweep_cases(
    rings: Sequence[str], sizes: tuple[float, float], catalogue: Catalogue | None = None
) -> list[SweepCase]:
    """The sold sizes of each ring within ``sizes`` (inclusive), in ring then size order.

    Raises
    ------
    InputError
        An unknown ring, or a ring that sells no size in the range.
    """
    catalogue = catalogue or load_catalogue()
    cases: list[SweepCase] = []
    for ring in rings:
        family = catalogue.family(ring)
        sold = [s for s in family.sizes_mm if sizes[0] - 1e-9 <= s <= sizes[1] + 1e-9]
        if not sold:
            listed = ", ".join(f"{s:g}" for s in family.sizes_mm)
            raise InputError(
                f"{family.id} sells no size in {sizes[0]:g}-{sizes[1]:g} mm (sold: {listed})"
            )
        cases.extend(SweepCase(family.id, float(s)) for s in sold)
    return cases


# Per-process state: the closure model and native closure of the sweep's valve.
_WORKER: dict[str, Any] = {}


def _init_worker(
    base: Plan,
    settings: ClosureSettings,
    native: ClosureCase | None,
    model: ClosureModel | None = None,
) -> None:
    """Set up this process: the closure model (built here unless given) and native closure."""
    model = model or closure_model(base, settings)
    _WORKER.update(base=base, model=model, native=native)


def run_case(case: SweepCase) -> dict[str, Any]:
    """Simulate one case in this process (after :func:`_init_worker`): its sweep row.

    A case that cannot be placed, or whose solve does not converge, gives a row with
    ``error`` (one line) instead of figures; the sweep goes on.
    """
    base: Plan = _WORKER["base"]
    model: ClosureModel = _WORKER["model"]
    native: ClosureCase = _WORKER["native"]
    row: dict[str, Any] = {"ring": case.ring, "size_mm": case.size_mm}
    try:
        made = make_plan(base.annulus, case.ring, size_mm=case.size_mm, papillary=base.papillary)
        plan = replace(made.plan, leaflets=base.leaflets)
        result = simulate_plan(plan, spec=made.spec)
        closure = simulate_closure(plan, result, model=model, native=native)
    except MvplanError as exc:
        row["error"] = str(exc)
        return row
    assert closure.repaired is not None
    repaired = closure.repaired.to_dict()
    row.update({key: repaired[key] for key in ROW_CLOSURE_KEYS})
    row["suture_force_max_n"] = round(float(result.suture_forces_n.max()), 3)
    row["suture_warnings"] = len(result.suture_warnings)
    row["closure_iterations"] = repaired["solver"]["iterations"]
    row["closure_time_ms"] = repaired["solver"]["time_ms"]
    return row


def recommend(
    rows: Sequence[dict[str, Any]], target_coaptation_mm: float = TARGET_COAPTATION_MM
) -> dict[str, Any] | None:
    """The largest size that closes, reaches the target coaptation and warns of no suture.

    Returns
    -------
    dict or None
        ``ring``, ``size_mm`` and ``reason`` (one sentence), or None when no case qualifies
        (``reason`` then says which condition failed everywhere, in the sweep's summary).
    """
    good = [
        r
        for r in rows
        if "error" not in r
        and r["closed"]
        and r["coaptation_length_mean_mm"] >= target_coaptation_mm
        and r["suture_warnings"] == 0
    ]
    if not good:
        return None
    best = max(good, key=lambda r: (r["size_mm"], r["coaptation_length_mean_mm"]))
    return {
        "ring": best["ring"],
        "size_mm": best["size_mm"],
        "reason": (
            f"the largest size that closes the gap, reaches a mean coaptation length of "
            f"{best['coaptation_length_mean_mm']:.1f} mm (target {target_coaptation_mm:g}) "
            "and keeps every suture under its pull-out warning level"
        ),
    }


def why_none(rows: Sequence[dict[str, Any]], target_coaptation_mm: float) -> str:
    """One line saying why no case was recommended."""
    ok = [r for r in rows if "error" not in r]
    if not ok:
        return "no case could be simulated"
    if not any(r["closed"] for r in ok):
        return "no size closed the gap"
    if not any(r["closed"] and r["coaptation_length_mean_mm"] >= target_coaptation_mm for r in ok):
        return f"no size that closes reaches {target_coaptation_mm:g} mm of coaptation"
    return "every size that closes with enough coaptation warns of a suture near pull-out"


def run_sweep(
    base: Plan,
    cases: Sequence[SweepCase],
    *,
    settings: ClosureSettings | None = None,
    jobs: int | None = None,
    target_coaptation_mm: float = TARGET_COAPTATION_MM,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Simulate every case; rows in case order, the native closure and the recommendation.

    Parameters
    ----------
    base : Plan
        The annulus, papillary tips and leaflets (its ring, if any, is ignored).
    cases : sequence of SweepCase
    settings : ClosureSettings, optional
    jobs : int, optional
        Worker processes (default: the CPU count, at most the number of cases); 1 runs in
        this process.
    target_coaptation_mm : float
    on_row : callable, optional
        Called with each row as it finishes (progress).
    """
    settings = settings or ClosureSettings()
    model = closure_model(base, settings)
    bare = replace(base, ring=None, placement=None)
    native = simulate_closure(bare, model=model).native
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(cases)))
    rows: list[dict[str, Any]] = []
    if jobs == 1:
        _init_worker(base, settings, native, model)
        for case in cases:
            rows.append(run_case(case))
            if on_row is not None:
                on_row(rows[-1])
    else:
        with ProcessPoolExecutor(
            max_workers=jobs, initializer=_init_worker, initargs=(base, settings, native)
        ) as pool:
            for row in pool.map(run_case, cases):
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    chosen = recommend(rows, target_coaptation_mm)
    return {
        "native": native.to_dict(),
        "rows": rows,
        "recommended": chosen,
        "recommended_reason": chosen["reason"] if chosen else why_none(rows, target_coaptation_mm),
        "target_coaptation_mm": target_coaptation_mm,
        "resolution": settings.resolution,
        "jobs": jobs,
    }
