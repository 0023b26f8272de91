"""Ring-size sweeps: every (ring, size) of a list simulated through annuloplasty and closure.

For one annulus (its leaflets and papillary tips), each case places the ring automatically,
ties its sutures (:func:`mvplan.workflow.simulate_plan`) and closes the leaflets on the
reshaped annulus (:func:`mvplan.workflow.simulate_closure`), warm-started from the native
closure, which is solved once. Cases run in parallel processes (each builds the closure model
once and reuses it for all its cases) or, given a scheduler's address, on a Dask cluster
(each worker thread builds the model once per sweep; the plan and native closure are
scattered to the workers once). The recommended choice is, by default, the largest size
that closes the gap, reaches the target coaptation length and keeps every suture under its
pull-out warning level (:func:`recommend`).

:func:`closure_sensitivity` re-solves one closure with the chord rest lengths, then the
leaflet stiffness, scaled up and down, warm-started from the baseline closed state: on the
bundled samples (coarse mesh) a perturbed solve takes 0.5-6 s against 6-13 s for a cold one
(native and repaired closure of the perturbed model). Contact makes the closed state
path-dependent, so the warm-started equilibrium can differ from a cold-started one of the
same settings: on the healthy sample with a 30 mm classic-like ring, mean coaptation differed
by up to 0.23 mm and the orifice by up to 0.3 mm2 with the chords +-10 % (which lowered the
mean coaptation by 1.2-2.4 mm), and by 0.04 mm with the stiffness +-10 %.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from multiprocessing.synchronize import Event as EventType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError, MvplanError
from mvplan.mechanics import Cancelled
from mvplan.plan import Plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.planning.closure import ClosureModel, ClosureSettings
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.rings.percutaneous import parse_cinch
from mvplan.workflow import (
    ClosureCase,
    ClosureOutcome,
    closure_model,
    coaptation_of,
    make_plan,
    plan_safety,
    simulate_closure,
    simulate_plan,
)

if TYPE_CHECKING:
    from distributed import Client

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

#: How the worker processes start: from a clean server process (forkserver; spawn where there
#: is none), never by forking the caller, which may be a GUI with Qt and VTK threads or a test
#: run with a Dask cluster's event loop (a forked child inherits their locks; a sensitivity
#: study hung that way in the test suite).
POOL_CONTEXT = multiprocessing.get_context(
    "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
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
    """One ring and size of a sweep (and for a percutaneous device, one cinch, mm)."""

    ring: str
    size_mm: float
    cinch_mm: float | None = None


def sweep_cases(
    rings: Sequence[str],
    sizes: tuple[float, float],
    catalogue: Catalogue | None = None,
    cinches: Sequence[str] = (),
) -> list[SweepCase]:
    """The sold sizes of each ring within ``sizes`` (inclusive), in ring then size order; a
    percutaneous device at each of ``cinches`` (``6``, ``6mm``, ``15%``) per size.

    Raises
    ------
    InputError
        An unknown ring, a ring that sells no size in the range, a device without cinches,
        cinches for a ring, or a cinch beyond what the device allows.
    """
    catalogue = catalogue or load_catalogue()
    cases: list[SweepCase] = []
    for ring in rings:
        is_device = catalogue.is_device(ring)
        family = catalogue.device(ring) if is_device else catalogue.family(ring)
        sold = [s for s in family.sizes_mm if sizes[0] - 1e-9 <= s <= sizes[1] + 1e-9]
        if not sold:
            listed = ", ".join(f"{s:g}" for s in family.sizes_mm)
            raise InputError(
                f"{family.id} sells no size in {sizes[0]:g}-{sizes[1]:g} mm (sold: {listed})"
            )
        if not is_device:
            cases.extend(SweepCase(family.id, float(s)) for s in sold)
            continue
        if not cinches:
            raise InputError(f"{family.id} is a percutaneous device: give --cinch VALUE[,VALUE]")
        for size in sold:
            for text in cinches:
                cinch = parse_cinch(text, size)
                family.spec(size, cinch)  # beyond the device's limit: say so before solving
                cases.append(SweepCase(family.id, float(size), cinch))
    if cinches and all(c.cinch_mm is None for c in cases):
        raise InputError("--cinch applies to percutaneous devices; the sweep has none")
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
    return _case_row(_WORKER, case)


def _solved_case(
    state: dict[str, Any], case: SweepCase
) -> tuple[Plan, AnnuloplastyResult, ClosureOutcome]:
    """Place, tie and close one case with the model and native closure of ``state``."""
    base: Plan = state["base"]
    made = make_plan(
        base.annulus,
        case.ring,
        size_mm=case.size_mm,
        adjustment_mm=case.cinch_mm or 0.0,
        papillary=base.papillary,
    )
    plan = replace(made.plan, leaflets=base.leaflets)
    if plan.has_device:  # the base's vein (for a coronary-sinus device), artery and threshold
        vein = made.plan.cs_path and (base.cs_path or made.plan.cs_path)
        plan = replace(
            plan,
            cs_path=vein,
            artery=base.artery,
            safety_threshold_mm=base.safety_threshold_mm,
            distal_anchor_offset_mm=base.distal_anchor_offset_mm if vein else 0.0,
        )
    result = simulate_plan(plan, spec=made.spec)
    closure = simulate_closure(plan, result, model=state["model"], native=state["native"])
    return plan, result, closure


def _case_row(state: dict[str, Any], case: SweepCase) -> dict[str, Any]:
    row: dict[str, Any] = {"ring": case.ring, "size_mm": case.size_mm}
    if case.cinch_mm is not None:
        row["cinch_mm"] = case.cinch_mm
    try:
        plan, result, closure = _solved_case(state, case)
    except MvplanError as exc:
        row["error"] = str(exc)
        row["cold_restart"] = None
        return row
    assert closure.repaired is not None
    repaired = closure.repaired.to_dict()
    row.update({key: repaired[key] for key in ROW_CLOSURE_KEYS})
    if result.device is not None:  # anchors are a device's sutures
        row["suture_force_max_n"] = round(float(result.device.anchor_forces_n.max()), 3)
        row["wire_tension_n"] = round(result.device.wire_tension_n, 4)
        safety = plan_safety(plan, result)
        if safety is not None:
            row["artery_distance_mm"] = round(safety.min_distance_mm, 3)
            row["artery_compression"] = safety.compression
    else:
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
        and not r.get("artery_compression", False)
    ]
    if not good:
        return None
    rings = [r for r in good if "cinch_mm" not in r]
    if rings:
        best = max(rings, key=lambda r: (r["size_mm"], r["coaptation_length_mean_mm"]))
        return {
            "ring": best["ring"],
            "size_mm": best["size_mm"],
            "reason": (
                f"the largest size that closes the gap, reaches a mean coaptation length of "
                f"{best['coaptation_length_mean_mm']:.1f} mm (target {target_coaptation_mm:g}) "
                "and keeps every suture under its pull-out warning level"
            ),
        }
    # Devices only: the least cinch that does it (the least load on anchors and tissue).
    best = min(good, key=lambda r: (r["cinch_mm"], -r["coaptation_length_mean_mm"]))
    return {
        "ring": best["ring"],
        "size_mm": best["size_mm"],
        "cinch_mm": best["cinch_mm"],
        "reason": (
            f"the least cinch that closes the gap, reaches a mean coaptation length of "
            f"{best['coaptation_length_mean_mm']:.1f} mm (target {target_coaptation_mm:g}), "
            "keeps every anchor under its pull-out warning level and flags no artery "
            "compression"
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
    scheduler: str | None = None,
    target_coaptation_mm: float = TARGET_COAPTATION_MM,
    sensitivity: bool = False,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    on_sensitivity: Callable[[int, int], None] | None = None,
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
        this process. Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``): the cases (and the perturbed
        solves of the sensitivity study) run on its workers, which must have mvplan
        installed; the native closure and the study's baseline are solved here. Needs the
        optional extra ``dask``.
    target_coaptation_mm : float
    sensitivity : bool
        Also study the recommended case's sensitivity to the chord rest lengths and the
        leaflet stiffness (:func:`closure_sensitivity`); the key ``sensitivity`` is None when
        not asked for or when nothing is recommended.
    on_row : callable, optional
        Called with each row as it finishes (progress; in finishing order with a scheduler).
    on_sensitivity : callable ``(done, total)``, optional
        Progress of the sensitivity study (run in up to 4 processes, ``jobs`` allowing).

    Returns
    -------
    dict
        ``native`` (its closure figures), ``rows``, ``recommended`` (or None),
        ``recommended_reason``, ``target_coaptation_mm``, ``resolution``, ``jobs`` (worker
        processes, or the cluster's worker threads), ``scheduler`` and ``sensitivity``.

    Raises
    ------
    InputError
        ``distributed`` is not installed, or the scheduler cannot be reached.
    """
    settings = settings or ClosureSettings()
    # The study's four solves may use more processes than a short sweep's cases.
    study_jobs = max(1, min(jobs or os.cpu_count() or 1, 4))
    # Connect first: a bad address fails in seconds, before the native closure is solved.
    client = None if scheduler is None else connect_scheduler(scheduler)
    try:
        model = closure_model(base, settings)
        bare = replace(base, ring=None, placement=None)
        native = simulate_closure(bare, model=model).native
        if client is not None:
            rows = _rows_on_dask(client, base, settings, native, cases, on_row)
            jobs = sum(client.nthreads().values())
        else:
            jobs = max(1, min(jobs or os.cpu_count() or 1, len(cases)))
            rows = _rows_in_processes(base, settings, native, model, cases, jobs, on_row)
        chosen = recommend(rows, target_coaptation_mm)
        study = None
        if sensitivity and chosen is not None:
            state = {"base": base, "model": model, "native": native}
            plan, result, outcome = _solved_case(
                state, SweepCase(chosen["ring"], chosen["size_mm"], chosen.get("cinch_mm"))
            )
            study = {
                "ring": chosen["ring"],
                "size_mm": chosen["size_mm"],
                **_sensitivity(
                    plan,
                    result,
                    outcome,
                    factor=SENSITIVITY_FACTOR,
                    jobs=study_jobs,
                    progress=on_sensitivity,
                    cancel=None,
                    client=client,
                ),
            }
    finally:
        if client is not None:
            client.close()
    return {
        "native": native.to_dict(),
        "rows": rows,
        "recommended": chosen,
        "recommended_reason": chosen["reason"] if chosen else why_none(rows, target_coaptation_mm),
        "target_coaptation_mm": target_coaptation_mm,
        "resolution": settings.resolution,
        "jobs": jobs,
        "scheduler": scheduler,
        "sensitivity": study,
    }


def _rows_in_processes(
    base: Plan,
    settings: ClosureSettings,
    native: ClosureCase,
    model: ClosureModel,
    cases: Sequence[SweepCase],
    jobs: int,
    on_row: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if jobs == 1:
        _init_worker(base, settings, native, model)
        for case in cases:
            rows.append(run_case(case))
            if on_row is not None:
                on_row(rows[-1])
        return rows
    # Each worker builds its own model: the model holds ipctk objects, which do not pickle.
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=POOL_CONTEXT,
        initializer=_init_worker,
        initargs=(base, settings, native),
    ) as pool:
        for row in pool.map(run_case, cases):
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


# -- Dask ------------------------------------------------------------------------------------

#: Seconds to wait for a Dask scheduler to answer before giving up.
SCHEDULER_TIMEOUT_S = 5.0

#: Per worker thread: the model of the last sweep it ran a case of, keyed by that sweep's token.
_DASK_STATE = threading.local()


def connect_scheduler(address: str, timeout_s: float | None = None) -> Client:
    """A Dask client connected to the scheduler at ``address`` (close it when done).

    Parameters
    ----------
    address : str
        ``tcp://host:port`` or ``host:port`` (plain TCP only: :func:`_check_address`).
    timeout_s : float, optional
        Seconds to wait for the scheduler (default :data:`SCHEDULER_TIMEOUT_S`).

    Raises
    ------
    InputError
        ``distributed`` is not installed (the message says how to install it), a malformed
        or non-TCP address, or no scheduler answered within ``timeout_s`` seconds.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise InputError(
            "running on a Dask scheduler needs the optional extra 'dask' (the distributed "
            "package), which is not installed: pip install 'mvplan[dask]'"
        ) from exc
    _check_address(address)
    # The client logs its failed attempts as well as raising; the one-line error says it all.
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return Client(
            address,
            timeout=SCHEDULER_TIMEOUT_S if timeout_s is None else timeout_s,
            set_as_default=False,
        )
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {address}: {reason}") from exc
    finally:
        quiet.setLevel(level)


def _check_address(address: str) -> None:
    """Refuse an address that is not ``[tcp://]host:port`` before a client is made of it.

    A client that fails other than by a network error (a malformed address, an unknown
    scheme, TLS without its configuration) is left half open and, when collected, blocks for
    10 s and prints a traceback (distributed 2026.8). Plain TCP is what a command line can
    configure; TLS needs security objects that ``mvplan sweep`` does not take.
    """
    from distributed.comm.addressing import get_address_host_port, parse_address

    try:
        scheme, _ = parse_address(address)
        if scheme != "tcp":
            raise ValueError(f"the {scheme}:// protocol is not supported, only tcp://")
        get_address_host_port(address)
    except ValueError as exc:
        raise InputError(
            f"{address!r} is not a Dask scheduler address such as tcp://host:8786 ({exc})"
        ) from exc


def _dask_case(
    token: str, base: Plan, settings: ClosureSettings, native: ClosureCase, case: SweepCase
) -> dict[str, Any]:
    """One sweep row on a Dask worker thread, building the model once per sweep and thread.

    A model is not shared between threads: a solve changes its pressure in place.
    """
    state = getattr(_DASK_STATE, "state", None)
    if state is None or state["token"] != token:
        state = {
            "token": token,
            "base": base,
            "model": closure_model(base, settings),
            "native": native,
        }
        _DASK_STATE.state = state
    return _case_row(state, case)


def _rows_on_dask(
    client: Client,
    base: Plan,
    settings: ClosureSettings,
    native: ClosureCase,
    cases: Sequence[SweepCase],
    on_row: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    from distributed import as_completed

    # The plan and the native closure (about 150 kB) go to the workers once; each task then
    # names them, and each worker thread builds the model once (0.3-0.4 s on the coarse mesh;
    # the model itself does not pickle).
    token = uuid.uuid4().hex
    shared_base, shared_native = client.scatter([base, native], broadcast=True, hash=False)
    futures = {
        client.submit(
            _dask_case,
            token,
            shared_base,
            settings,
            shared_native,
            case,
            key=f"mvplan-sweep-{token}-{i}",
        ): i
        for i, case in enumerate(cases)
    }
    rows: list[dict[str, Any] | None] = [None] * len(cases)
    for future in as_completed(futures, loop=client.loop):
        rows[futures[future]] = row = _dask_result(future)
        if on_row is not None:
            on_row(row)
    return [row for row in rows if row is not None]


def _dask_result(future: Any) -> Any:
    """A finished task's result; a worker without mvplan is said in one line."""
    try:
        return future.result()
    except ImportError as exc:
        raise InputError(
            f"the Dask workers cannot import mvplan ({exc}): install mvplan, the same "
            "version, where the workers run"
        ) from exc


# -- sensitivity -----------------------------------------------------------------------------

#: Relative perturbation of each parameter in a sweep's sensitivity study.
SENSITIVITY_FACTOR = 0.10

#: The closure settings a sensitivity study scales, by the name its rows give them:
#: every chord rest length, and ``c0`` of both leaflets' membrane laws (the bending stiffness
#: is a separate, numerical setting and stays).
SENSITIVITY_PARAMETERS = {
    "chord_rest_length": "chord_rest_scale",
    "leaflet_stiffness": "stiffness_scale",
}

#: Closure figures of a sensitivity row, and those with a ``delta_`` against the baseline.
SENSITIVITY_FIGURES = (
    "coaptation_length_mean_mm",
    "coaptation_length_min_mm",
    "regurgitant_orifice_area_mm2",
    "closed",
)
SENSITIVITY_DELTAS = ("coaptation_length_mean_mm", "regurgitant_orifice_area_mm2")


@dataclass(frozen=True, eq=False)
class _Baseline:
    """What every perturbed solve of one sensitivity study starts from."""

    plan: Plan
    annuloplasty: AnnuloplastyResult | None  # None: the native valve is studied
    settings: ClosureSettings
    native: ClosureCase
    start: FloatArray  # (N + 2, 3) float, mm: the baseline closed state
    figures: dict[str, Any]  # the baseline's ClosureCase.to_dict()


def closure_sensitivity(
    plan: Plan,
    annuloplasty: AnnuloplastyResult | None,
    outcome: ClosureOutcome,
    *,
    factor: float = 0.10,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[dict[str, Any]]:
    """Coaptation and orifice with the chord rest lengths and the leaflet stiffness perturbed.

    Each of ``ClosureSettings.chord_rest_scale`` (every chord's rest length) and
    ``ClosureSettings.stiffness_scale`` (``c0`` of both leaflets' membrane laws) is scaled by
    ``1 - factor`` and ``1 + factor`` in turn, the others kept, and the closure of the plan
    re-solved: the repaired valve when ``annuloplasty`` is given and the plan has a ring,
    else the native valve. Each solve is warm-started from the baseline closed state of
    ``outcome`` (the mesh is the same; only the energy changes). A perturbed repaired solve
    needs no perturbed native closure: the native closure is only ever a starting point of the
    repaired solve, and the baseline repaired state is a closer one.

    Parameters
    ----------
    plan : Plan
        The plan whose closure ``outcome`` is.
    annuloplasty : AnnuloplastyResult or None
        The reshaped annulus of ``outcome``'s repaired closure.
    outcome : ClosureOutcome
        The baseline (:func:`mvplan.workflow.simulate_closure`); its model's settings are the
        ones scaled.
    factor : float
        Relative perturbation, between 0 and 1 (0.10: scales 0.9 and 1.1).
    jobs : int
        Worker processes (at most 4, one per perturbation); 1 solves in this process.
    progress : callable ``(done, total)``, optional
        Called as each perturbation finishes.
    cancel : callable ``() -> bool``, optional
        Polled during the solves (in every worker process when ``jobs > 1``).

    Returns
    -------
    list of dict
        One per perturbation, chord rest length first, scale ``1 - factor`` first:
        ``parameter`` (``"chord_rest_length"`` or ``"leaflet_stiffness"``), ``scale``,
        ``coaptation_length_mean_mm``, ``coaptation_length_min_mm`` (mm),
        ``regurgitant_orifice_area_mm2`` (mm2), ``closed``, ``converged``,
        ``delta_coaptation_length_mean_mm``, ``delta_regurgitant_orifice_area_mm2`` (the
        perturbed figure minus the baseline's, of the figures as rounded in
        :meth:`~mvplan.workflow.ClosureCase.to_dict`), ``error`` and ``cold_restart`` (True
        when the warm start failed and the solver closed the valve again from the open
        leaflets). A perturbation whose solve does not converge has ``converged`` False,
        None figures, deltas and ``cold_restart``, and the solver's one-line message in
        ``error`` (None otherwise).

    Raises
    ------
    InputError
        ``factor`` outside (0, 1), ``jobs`` below 1, or a repaired study of an ``outcome``
        with no repaired closure.
    Cancelled
        ``cancel()`` returned True before every perturbation was solved.
    """
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got {jobs}")
    return _sensitivity(
        plan, annuloplasty, outcome, factor=factor, jobs=jobs, progress=progress, cancel=cancel
    )["rows"]


def _sensitivity(
    plan: Plan,
    annuloplasty: AnnuloplastyResult | None,
    outcome: ClosureOutcome,
    *,
    factor: float,
    jobs: int,
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
    client: Client | None = None,
) -> dict[str, Any]:
    """:func:`closure_sensitivity` as the sweep reports it (``factor``, ``valve``,
    ``baseline`` and ``rows``), in processes or, given a client, on a Dask cluster."""
    if not 0.0 < factor < 1.0:
        raise InputError(f"the sensitivity factor must be between 0 and 1, got {factor:g}")
    repaired = annuloplasty is not None and plan.ring is not None
    if repaired and outcome.repaired is None:
        raise InputError("the closure outcome has no repaired valve to study")
    case = outcome.repaired if repaired and outcome.repaired is not None else outcome.native
    baseline = _Baseline(
        plan,
        annuloplasty if repaired else None,
        outcome.model.settings,
        outcome.native,
        case.result.x,
        case.to_dict(),
    )
    perturbations = [
        (name, round(1.0 + sign * factor, 12))
        for name in SENSITIVITY_PARAMETERS
        for sign in (-1.0, 1.0)
    ]
    if client is not None:
        rows = _perturbations_on_dask(client, baseline, perturbations, progress)
    else:
        rows = _perturbations_in_processes(baseline, perturbations, jobs, progress, cancel)
    return {
        "factor": factor,
        "valve": "repaired" if repaired else "native",
        "baseline": {key: baseline.figures[key] for key in SENSITIVITY_FIGURES},
        "rows": rows,
    }


def _perturbed_row(
    baseline: _Baseline, parameter: str, scale: float, cancel: Callable[[], bool] | None
) -> dict[str, Any]:
    """Re-solve the baseline's closure with one setting scaled: its sensitivity row."""
    name = SENSITIVITY_PARAMETERS[parameter]
    settings = replace(baseline.settings, **{name: getattr(baseline.settings, name) * scale})
    row: dict[str, Any] = {"parameter": parameter, "scale": scale}
    try:
        model = closure_model(baseline.plan, settings)
        if baseline.annuloplasty is not None:
            # The baseline native closure rides along only as the outcome's native case; the
            # repaired solve starts from the baseline repaired state.
            outcome = simulate_closure(
                baseline.plan,
                baseline.annuloplasty,
                model=model,
                native=baseline.native,
                warm_start=baseline.start,
                cancel=cancel,
            )
            assert outcome.repaired is not None
            figures = outcome.repaired.to_dict()
        else:
            result = model.solve(warm_start=baseline.start, cancel=cancel)
            annulus = baseline.native.annulus_valve
            figures = ClosureCase(result, coaptation_of(model, result, annulus), annulus).to_dict()
    except Cancelled:
        raise
    except MvplanError as exc:
        row.update({key: None for key in SENSITIVITY_FIGURES})
        row["converged"] = False
        row.update({f"delta_{key}": None for key in SENSITIVITY_DELTAS})
        row["error"] = str(exc)
        row["cold_restart"] = None
        return row
    row.update({key: figures[key] for key in SENSITIVITY_FIGURES})
    row["converged"] = True
    for key in SENSITIVITY_DELTAS:
        row[f"delta_{key}"] = round(figures[key] - baseline.figures[key], 4)
    row["error"] = None
    # The solver abandons a warm start that does not converge for a cold solve from the
    # open leaflets: a different path, perhaps to another contact pattern.
    row["cold_restart"] = bool(figures["solver"].get("cold_restart", False))
    return row


# Per-process state of a sensitivity study: its baseline and the parent's cancel flag.
_SENSITIVITY: dict[str, Any] = {}


def _init_sensitivity(baseline: _Baseline, cancelled: EventType) -> None:
    _SENSITIVITY.update(baseline=baseline, cancelled=cancelled)


def _pooled_row(parameter: str, scale: float) -> dict[str, Any]:
    return _perturbed_row(
        _SENSITIVITY["baseline"], parameter, scale, _SENSITIVITY["cancelled"].is_set
    )


def _perturbations_in_processes(
    baseline: _Baseline,
    perturbations: list[tuple[str, float]],
    jobs: int,
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
) -> list[dict[str, Any]]:
    total = len(perturbations)
    rows: list[dict[str, Any] | None] = [None] * total
    jobs = max(1, min(jobs, total))
    if jobs == 1:
        for i, (parameter, scale) in enumerate(perturbations):
            rows[i] = _perturbed_row(baseline, parameter, scale, cancel)
            if progress is not None:
                progress(i + 1, total)
        return [row for row in rows if row is not None]
    # The parent polls ``cancel`` and raises a flag every worker's solver polls: the running
    # solves stop at their next Newton iteration, the waiting ones at their first.
    cancelled = POOL_CONTEXT.Event()
    done = 0
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=POOL_CONTEXT,
        initializer=_init_sensitivity,
        initargs=(baseline, cancelled),
    ) as pool:
        futures = {pool.submit(_pooled_row, *p): i for i, p in enumerate(perturbations)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if cancel is not None and not cancelled.is_set() and cancel():
                cancelled.set()
            for future in finished:
                rows[futures[future]] = future.result()  # raises the workers' Cancelled
                done += 1
                if progress is not None:
                    progress(done, total)
    return [row for row in rows if row is not None]


def _perturbations_on_dask(
    client: Client,
    baseline: _Baseline,
    perturbations: list[tuple[str, float]],
    progress: Callable[[int, int], None] | None,
) -> list[dict[str, Any]]:
    from distributed import as_completed

    (shared,) = client.scatter([baseline], broadcast=True, hash=False)
    token = uuid.uuid4().hex
    futures = {
        client.submit(
            _perturbed_row, shared, parameter, scale, None, key=f"mvplan-sens-{token}-{i}"
        ): i
        for i, (parameter, scale) in enumerate(perturbations)
    }
    rows: list[dict[str, Any] | None] = [None] * len(perturbations)
    for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):
        rows[futures[future]] = _dask_result(future)
        if progress is not None:
            progress(done, len(perturbations))
    return [row for row in rows if row is not None]
