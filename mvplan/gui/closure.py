"""The leaflet closure on demand: solved off the GUI thread, with progress and cancel.

A closure takes seconds (the coarse leaflet mesh: about 5 s for the native valve and 3 s for
a repaired one on the project's two-core machine), so unlike the annuloplasty preview it
never runs by itself: :meth:`ClosureController.start` (*Simulate closure*, Ctrl+L) solves the
current plan in a worker thread (:class:`~mvplan.gui.worker.LatestOnlyWorker`, at a lower
scheduling priority), through the same use cases as ``mvplan simulate``:

1. the leaflet model and the native closure (:func:`mvplan.workflow.simulate_closure`
   without a device), both reused when a kept closure has the same valve
   (:meth:`~mvplan.gui.document.PlanDocument.reusable_native`): trying another ring on the
   same annulus costs only its repaired solve;
2. the annuloplasty (the preview's answer when it has one for exactly this plan);
3. the repaired closure, warm-started from the native one.

The solver reports ``progress(iteration, residual)`` from the worker; a queued signal carries
it to the panel. *Cancel* asks the solver to stop (it polls once per Newton iteration) and
the display says so at once. A converged answer is stored with the plan it was solved for
(:meth:`~mvplan.gui.document.PlanDocument.store_closure`); a solve that does not converge
(:class:`~mvplan.errors.ConvergenceError`), or fails any other way, is reported in one line
and the last good closure stays on show: an unconverged state is never shown as an answer.

A thread is enough: measured on the project machine, a 5 ms timer of the GUI thread fired at
most 31 ms late (90th percentile 3.5 ms) while a native closure ran beside it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from mvplan.errors import ConvergenceError, InputError, MvplanError
from mvplan.gui.document import PlanDocument
from mvplan.gui.worker import LatestOnlyWorker, Outcome
from mvplan.mechanics import Cancelled
from mvplan.plan import Plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.planning.closure import ClosureSettings
from mvplan.render import LeafletPicture
from mvplan.workflow import (
    ClosureCase,
    ClosureOutcome,
    closure_model,
    simulate_closure,
    simulate_plan,
)

#: What each phase of a closure job is called in the progress line.
PHASES = {
    "model": "building the leaflets and chordae",
    "native": "closing the native valve",
    "sutures": "tying the ring's sutures",
    "repaired": "closing the repaired valve",
}


@dataclass(frozen=True, eq=False)
class _Solved:
    """A job's answer: the closure and the annuloplasty it was carried by (None: none, or
    the preview's, already kept)."""

    outcome: ClosureOutcome
    annuloplasty: AnnuloplastyResult | None


@dataclass(frozen=True, eq=False)
class _Running:
    job: int
    ticket: int
    plan: Plan


def leaflet_picture(outcome: ClosureOutcome, case: ClosureCase) -> LeafletPicture:
    """What the 3D view draws of one closed valve of ``outcome`` (valve frame, mm)."""
    model = outcome.model
    result, coaptation = case.result, case.coaptation
    n = model.n_leaflet_nodes
    chords = model.chordae.segments(result.leaflet_points, result.x[n : n + 2])
    return LeafletPicture(
        points=np.asarray(result.leaflet_points, dtype=float),
        triangles=np.asarray(model.mesh.triangles, dtype=np.int64),
        in_contact=np.asarray(coaptation.node_in_contact, dtype=bool),
        gap_mm=np.asarray(coaptation.node_distance_mm, dtype=float),
        stress_mpa=np.asarray(result.membrane_stress_mpa, dtype=float),
        chords=np.asarray(chords, dtype=float),
        orifice=tuple(np.asarray(o, dtype=float) for o in coaptation.orifice_outlines),
    )


def progress_text(phase: str, iteration: int, residual: float) -> str:
    """One line saying where a closure job is (``iteration`` < 0: a phase just began)."""
    what = PHASES.get(phase, phase)
    if iteration < 0 or not math.isfinite(residual):
        return f"{what}…"
    return f"{what}: iteration {iteration}, relative residual {residual:.1e}"


def failure_text(error: BaseException, kept: bool) -> str:
    """One line saying why a closure failed (``kept``: an earlier closure stays on show)."""
    text = " ".join(str(error).split()) or type(error).__name__
    if not isinstance(error, MvplanError):
        text = f"{type(error).__name__}: {text}"
    if kept:
        last = "converged closure" if isinstance(error, ConvergenceError) else "closure"
        text += f"; showing the last {last}"
    return text


def solved_text(outcome: ClosureOutcome) -> str:
    """One line summing up a converged closure (each valve: closes or leaks, solver)."""
    parts = []
    for name, case in (("native", outcome.native), ("repaired", outcome.repaired)):
        if case is None:
            continue
        r = case.result
        state = "closes" if case.coaptation.closed else "leaks"
        parts.append(f"{name} {state} ({r.iterations} it, {r.time_ms / 1e3:.1f} s)")
    return "; ".join(parts)


class ClosureController(QObject):
    """Solves the document's plan's leaflet closure on request (module docstring).

    Signals
    -------
    progressed(text)
        Where the running solve is (a phase, a Newton iteration and its residual).
    changed()
        A solve started, ended or was cancelled (:attr:`running` changed).
    """

    progressed = Signal(str)
    changed = Signal()
    _finished = Signal(object)
    _progress = Signal(int, str, int, float)

    def __init__(
        self,
        document: PlanDocument,
        settings: ClosureSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.settings = settings or ClosureSettings()
        self._worker = LatestOnlyWorker("mvplan-closure")
        self._jobs = itertools.count(1)
        self._running: _Running | None = None
        #: Wall time of the last job that finished, ms.
        self.last_elapsed_ms = 0.0
        #: Why the last solve failed (None: it did not).
        self.last_error: BaseException | None = None
        self._finished.connect(self._on_finished)
        self._progress.connect(self._on_progress)
        document.plan_changed.connect(self._on_plan_changed)

    # -- state ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a closure the user is waiting for is being solved."""
        return self._running is not None

    @property
    def busy(self) -> bool:
        """Whether the worker is still at work (a cancelled job may take one more Newton
        iteration to stop)."""
        return self._worker.busy

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until the worker is idle (the answer still arrives through the event loop)."""
        return self._worker.wait_idle(timeout)

    def shutdown(self) -> None:
        self._running = None
        self._worker.shutdown()

    # -- requests ---------------------------------------------------------------------------

    def start(self) -> bool:
        """Solve the closure of the current plan; False when nothing needs solving (its
        closure is kept, and shown again) or it is being solved already.

        Raises
        ------
        InputError
            Nothing is open.
        """
        doc = self.document
        plan = doc.plan
        if plan is None:
            raise InputError("open an annulus or a plan first")
        running = self._running
        if running is not None and running.plan is plan:
            return False
        kept = doc.cached_closure(plan)
        if kept is not None:
            self._abandon()
            doc.set_closure("ok", plan=plan, outcome=kept, message=solved_text(kept))
            return False
        job = next(self._jobs)
        ticket = self._worker.submit(self._job(job, plan), self._finished.emit)
        self._running = _Running(job, ticket, plan)
        doc.set_closure("running", message="solving…")
        self.changed.emit()
        return True

    def cancel(self) -> None:
        """Stop the running solve; the last closure stays on show."""
        if self._running is None:
            return
        self._abandon()
        doc = self.document
        kept = "; showing the last result" if doc.closure.outcome is not None else ""
        doc.set_closure("cancelled", message=f"cancelled{kept}")

    def _abandon(self) -> None:
        was = self._running is not None
        self._running = None
        self._worker.cancel()
        if was:
            self.changed.emit()

    def _job(self, job: int, plan: Plan) -> Any:
        """The worker's function for ``plan`` (everything it reads is taken now, in the GUI
        thread)."""
        doc = self.document
        reuse = doc.reusable_native(plan)
        kept_result = doc.cached_result(plan) if plan.ring is not None else None
        spec = doc.spec
        settings = self.settings
        emit = self._progress.emit
        source = doc.title or None

        def phase(name: str) -> Any:
            emit(job, name, -1, math.nan)
            return lambda iteration, residual: emit(job, name, int(iteration), float(residual))

        def run(cancelled: Any) -> _Solved:
            if reuse is not None:
                model, native = reuse.model, reuse.native
            else:
                phase("model")
                model = closure_model(plan, settings)
                native = simulate_closure(
                    plan,
                    None,
                    model=model,
                    progress=phase("native"),
                    cancel=cancelled,
                    source=source,
                ).native
            if plan.ring is None or (plan.placement is None and not plan.has_device):
                return _Solved(ClosureOutcome(model, native, None), None)
            result = kept_result
            if result is None:
                phase("sutures")
                result = simulate_plan(plan, spec=spec, cancel=cancelled, source=source)
            outcome = simulate_closure(
                plan,
                result,
                model=model,
                native=native,
                progress=phase("repaired"),
                cancel=cancelled,
                source=source,
            )
            return _Solved(outcome, None if result is kept_result else result)

        return run

    # -- answers (GUI thread) ---------------------------------------------------------------

    def _on_plan_changed(self, reason: str) -> None:
        if reason == "open":  # another file: whatever runs answers for nothing on show
            self._abandon()

    def _on_progress(self, job: int, phase: str, iteration: int, residual: float) -> None:
        running = self._running
        if running is not None and running.job == job:
            self.progressed.emit(progress_text(phase, iteration, residual))

    def _on_finished(self, outcome: Outcome) -> None:
        running = self._running
        if running is None or outcome.ticket != running.ticket:
            return  # cancelled, or replaced by a newer request: its answer is not wanted
        self._running = None
        self.last_elapsed_ms = outcome.elapsed_ms
        self.changed.emit()
        doc = self.document
        plan = running.plan
        if not doc.in_history(plan):
            return
        error = outcome.error
        if isinstance(error, Cancelled):
            doc.set_closure("cancelled", message="cancelled")
            return
        solved = outcome.value
        if error is None and not isinstance(solved, _Solved):
            error = MvplanError("the closure solver returned no result")
        self.last_error = error
        if error is not None:
            kept = doc.closure.outcome is not None
            doc.set_closure("failed", message=failure_text(error, kept))
            return
        assert isinstance(solved, _Solved)
        if solved.annuloplasty is not None and doc.cached_result(plan) is None:
            doc.store_result(plan, solved.annuloplasty)
        doc.store_closure(plan, solved.outcome)
        text = solved_text(solved.outcome)
        doc.set_closure("ok", plan=plan, outcome=solved.outcome, message=text)


__all__ = [
    "PHASES",
    "ClosureController",
    "failure_text",
    "leaflet_picture",
    "progress_text",
    "solved_text",
]
