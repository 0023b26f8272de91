"""The live preview: every change of ring or pose re-solves the annuloplasty off the GUI thread.

A percutaneous device's plan (its size, cinch, coronary-sinus path) goes the same way: the
worker calls the same :func:`mvplan.workflow.simulate_plan`, which dispatches to the device
mechanics; a device has no pose to drag.

:class:`PreviewController` listens to the document. A committed change (a new plan) asks the
solver worker for that plan, cancelling whatever runs (only the latest is worth finishing); a
drag's stream of poses queues only its newest pose and lets the running solve finish, so the
preview keeps up with the hand at the solver's pace. Each solve is warm-started from the last
converged state and reuses the native measurements. Results come back through a queued Qt
signal; an unconverged or failed solve is reported with its reason and the last good result
stays on show (:meth:`mvplan.gui.document.PlanDocument.set_preview`). A dragged landmark's
measurements are computed the same way on a second worker.

The solver worker's thread only waits: each solve runs in the GUI's solver process
(:func:`mvplan.gui.solver_process.shared_solver_process`), so it never holds the interpreter
lock the drawing needs (:mod:`mvplan.gui.solver_process` has the measurements). It starts
shortly after the window, or with the first solve. A landmark's measurements (a few milliseconds
of numpy) stay in their thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from mvplan.errors import ConvergenceError, MvplanError
from mvplan.geometry.measurements import measure
from mvplan.gui.document import PlanDocument
from mvplan.gui.solver_process import shared_solver_process
from mvplan.gui.worker import LatestOnlyWorker, Outcome
from mvplan.mechanics import Cancelled
from mvplan.plan import Plan
from mvplan.planning import Placement
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.workflow import simulate_plan

#: How long after the controller the solver process starts, if no solve started it (ms).
PROCESS_START_DELAY_MS = 1000


@dataclass(frozen=True)
class _Request:
    kind: str  # "plan" or "drag"
    plan: Plan
    placement: Placement | None  # None: a percutaneous device (no pose)


def failure_text(error: BaseException) -> str:
    """One line saying why a preview solve failed."""
    text = " ".join(str(error).split())
    if isinstance(error, ConvergenceError):
        return f"{text}; showing the last converged result"
    if isinstance(error, MvplanError):
        return text
    return f"{type(error).__name__}: {text}"


class PreviewController(QObject):
    """Solves the document's plan (and a drag's poses) off the GUI thread (module docstring).

    Signals
    -------
    solved(result, elapsed_ms)
        A converged result arrived (after the document was told).
    """

    solved = Signal(object, float)
    _finished = Signal(object)
    _measured = Signal(object)

    def __init__(self, document: PlanDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._solver = LatestOnlyWorker("mvplan-preview")
        self._measurer = LatestOnlyWorker("mvplan-measure")
        self._requests: dict[int, _Request] = {}
        self._drag_results: list[tuple[Placement, Plan, AnnuloplastyResult]] = []
        self.last_elapsed_ms = 0.0
        self._finished.connect(self._on_finished)
        self._measured.connect(self._on_measured)
        document.plan_changed.connect(self._on_plan_changed)
        document.transient_changed.connect(self._on_transient)
        self._process = shared_solver_process()
        # Started once the window is up (its imports would compete with the window's for the
        # two cores); a solve asked for before then starts it itself.
        QTimer.singleShot(PROCESS_START_DELAY_MS, self, self._process.start)
        if document.plan is not None:
            self._on_plan_changed("open")

    # -- state ------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a solve runs or waits."""
        return self._solver.busy

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the solver is idle (results still arrive through the event loop)."""
        return self._solver.wait_idle(timeout)

    def shutdown(self) -> None:
        self._solver.shutdown()
        self._measurer.shutdown()

    # -- requests ---------------------------------------------------------------------------

    def _on_plan_changed(self, _reason: str) -> None:
        doc = self.document
        plan = doc.plan
        # A ring needs its pose; a percutaneous device has none (simulate_plan dispatches).
        solvable = plan is not None and (
            plan.has_device or (plan.placement is not None and doc.spec is not None)
        )
        if plan is None or not solvable:
            self._solver.cancel()
            doc.set_preview("none")
            return
        cached = doc.cached_result(plan)
        if cached is None:
            cached = self._from_drag(plan)
        if cached is not None:
            self._solver.cancel()
            doc.store_result(plan, cached)
            doc.set_preview("ok", result=cached, current=True, message=_solved_text(cached))
            return
        self._submit(_Request("plan", plan, plan.placement), cancel_running=True)
        doc.set_preview("solving", message="solving…")

    def _on_transient(self) -> None:
        doc = self.document
        plan = doc.plan
        if plan is None:
            return
        if doc.transient_placement is not None and doc.spec is not None:
            self._submit(_Request("drag", plan, doc.transient_placement), cancel_running=False)
        if doc.transient_landmark is not None:
            name, u = doc.transient_landmark
            annulus = plan.annulus
            given = {**annulus.given_landmarks, name: u}
            key = (name, u)

            def run(_cancelled: Any) -> Any:
                return key, measure(annulus.with_landmarks(given))

            self._measurer.submit(run, self._measured.emit, cancel_running=False)

    def _submit(self, request: _Request, *, cancel_running: bool) -> None:
        doc = self.document
        spec = doc.spec
        plan = request.plan
        pre = doc.measurements
        warm = doc.last_good_result
        # A ring's state warm-starts a ring's solve only (a device's wire is another model).
        state = None if warm is None or plan.has_device or warm.device is not None else warm.state

        def run(cancelled: Any) -> AnnuloplastyResult:
            # The CLI's and the API's solve (an unconverged one raises ConvergenceError).
            result: AnnuloplastyResult = self._process.call(
                simulate_plan,
                replace(plan, placement=request.placement),
                spec=spec,
                warm_start=state,
                pre=pre,
                cancelled=cancelled,
            )
            return result

        ticket = self._solver.submit(run, self._finished.emit, cancel_running=cancel_running)
        self._requests[ticket] = request

    # -- answers (GUI thread) ---------------------------------------------------------------

    def _on_finished(self, outcome: Outcome) -> None:
        request = self._requests.pop(outcome.ticket, None)
        # Jobs replaced before they ran never report: forget requests older than this one.
        for ticket in [t for t in self._requests if t < outcome.ticket]:
            del self._requests[ticket]
        doc = self.document
        if request is None or doc.plan is None or not doc.in_history(request.plan):
            return  # a file opened since: its answer belongs to nothing on show
        self.last_elapsed_ms = outcome.elapsed_ms
        shown_now = self._is_shown(request)
        dragging = request.kind == "drag" and request.plan is doc.plan
        dragging = dragging and doc.transient_placement is not None
        error = outcome.error
        result = outcome.value
        if error is None and not isinstance(result, AnnuloplastyResult):
            error = MvplanError("the solver returned no result")
        if isinstance(error, Cancelled):
            return
        if error is not None:
            if shown_now or (outcome.latest and (dragging or request.plan is doc.plan)):
                doc.set_preview("failed", message=failure_text(error))
            return
        assert isinstance(result, AnnuloplastyResult)
        if request.kind == "plan":
            doc.store_result(request.plan, result)
        elif request.placement is not None:  # a drag always has its pose
            self._drag_results.append((request.placement, request.plan, result))
            del self._drag_results[:-8]
        if shown_now or dragging:
            # A drag's answers are shown as they come, faded until one is of the pose
            # under the hand; a committed plan's answer only when it is still the plan.
            status = "ok" if shown_now else "solving"
            text = _solved_text(result)
            doc.set_preview(status, result=result, current=shown_now, message=text)
        self.solved.emit(result, outcome.elapsed_ms)

    def _on_measured(self, outcome: Outcome) -> None:
        if outcome.error is not None or outcome.value is None:
            return
        key, measured = outcome.value
        self.document.set_transient_measurements(key, measured)

    def _is_shown(self, request: _Request) -> bool:
        doc = self.document
        if request.kind == "plan":
            return request.plan is doc.plan and doc.transient_placement is None
        return request.plan is doc.plan and request.placement is doc.transient_placement

    def _from_drag(self, plan: Plan) -> AnnuloplastyResult | None:
        """A drag's solve of exactly the placement the drag then committed."""
        if plan.placement is None:
            return None
        for placement, base, result in reversed(self._drag_results):
            if (
                placement is plan.placement
                and base.annulus is plan.annulus
                and base.ring == plan.ring
                and base.solver == plan.solver
            ):
                return result
        return None


def _solved_text(result: AnnuloplastyResult) -> str:
    s = result.solve
    return (
        f"solved in {s.time_ms:.0f} ms, {s.iterations} iterations, "
        f"relative residual {s.residual:.1e}"
    )


__all__ = ["PreviewController", "failure_text"]
