"""The leaflet closure of a plan for its exports and report, a failed solve kept as a value.

:func:`mvplan.workflow.simulate_closure` raises :class:`~mvplan.errors.ConvergenceError`
when a closure does not converge, and a failed solve is never returned as a result. A report
must still be written then, saying so. :func:`closure_or_failure` runs the closure in two
steps, the native valve first, then (with a device) the repaired one reusing the native
model and state, and returns what converged with a :class:`ClosureFailure` naming the case
that did not: a repaired closure that fails leaves the native one, which is a valid answer
and is reported, while nothing of the failed case is.

No VTK, no Qt: the command line and the GUI both call this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mvplan import workflow
from mvplan.errors import ConvergenceError

if TYPE_CHECKING:
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult
    from mvplan.planning.closure import ClosureSettings
    from mvplan.workflow import ClosureOutcome

__all__ = ["CLOSURE_CASES", "ClosureFailure", "closure_or_failure"]

#: The two closures of a plan, in order.
CLOSURE_CASES: tuple[str, ...] = ("native", "repaired")


@dataclass(frozen=True)
class ClosureFailure:
    """A leaflet closure that did not converge.

    Attributes
    ----------
    case : str
        ``"native"`` or ``"repaired"``: the closure that failed (a failed native closure
        leaves no repaired one: it starts from the native state).
    message : str
        The solver's one-line message.
    relative_residual : float or None
        The relative residual force where the solve stopped (to the pressure load's norm),
        when the error carries it.
    tolerance : float or None
        The relative tolerance it had to meet.
    """

    case: str
    message: str
    relative_residual: float | None = None
    tolerance: float | None = None

    @classmethod
    def from_error(
        cls, error: ConvergenceError, case: str, tolerance: float | None = None
    ) -> ClosureFailure:
        """The failure a :class:`~mvplan.errors.ConvergenceError` describes.

        The residual is the error's own ``residual`` (a
        :class:`~mvplan.mechanics.newton.NotConverged`) or that of its cause (the workflow
        re-raises one with the plan's name).
        """
        residual = getattr(error, "residual", None)
        if residual is None:
            residual = getattr(error.__cause__, "residual", None)
        value = None if residual is None else float(residual)
        return cls(case, str(error), value, tolerance)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``case``, ``message``, ``relative_residual``, ``tolerance``."""
        return {
            "case": self.case,
            "message": self.message,
            "relative_residual": self.relative_residual,
            "tolerance": self.tolerance,
        }

    def sentence(self) -> str:
        """One sentence for a reader: which closure did not converge, and how far it got."""
        residual = ""
        if self.relative_residual is not None:
            residual = f" (relative residual {self.relative_residual:.2e}"
            residual += f", tolerance {self.tolerance:g})" if self.tolerance else ")"
        return f"The {self.case} leaflet closure did not converge{residual}."


def closure_or_failure(
    plan: Plan,
    annuloplasty: AnnuloplastyResult | None = None,
    *,
    settings: ClosureSettings | None = None,
    progress: Callable[[int, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    source: str | None = None,
) -> tuple[ClosureOutcome | None, ClosureFailure | None]:
    """Close the plan's valve natively and, with a device, repaired; keep a failure as a value.

    Parameters
    ----------
    plan : Plan
    annuloplasty : AnnuloplastyResult, optional
        The plan's simulation; None (or a plan with no device) closes the native valve only.
    settings : ClosureSettings, optional
        Default :class:`~mvplan.planning.closure.ClosureSettings`.
    progress, cancel
        Passed to the solver (:func:`mvplan.workflow.simulate_closure`).
    source : str, optional
        What to name in error messages.

    Returns
    -------
    (ClosureOutcome or None, ClosureFailure or None)
        Both converged: the outcome and None. The repaired closure failed: the native
        outcome (its ``repaired`` None) and the failure. The native one failed: None and
        the failure.

    Raises
    ------
    InputError
        Bad input (as :func:`mvplan.workflow.simulate_closure`); a cancelled solve raises
        :class:`~mvplan.mechanics.newton.Cancelled`.
    """
    from mvplan.planning.closure import ClosureSettings

    rtol = (settings or ClosureSettings()).rtol
    try:
        native = workflow.simulate_closure(
            plan, None, settings=settings, progress=progress, cancel=cancel, source=source
        )
    except ConvergenceError as error:
        return None, ClosureFailure.from_error(error, "native", rtol)
    if annuloplasty is None or plan.ring is None:
        return native, None
    try:
        outcome = workflow.simulate_closure(
            plan,
            annuloplasty,
            model=native.model,
            native=native.native,
            progress=progress,
            cancel=cancel,
            source=source,
        )
    except ConvergenceError as error:
        return native, ClosureFailure.from_error(error, "repaired", native.model.settings.rtol)
    return outcome, None
