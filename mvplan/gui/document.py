"""The GUI's document: the current :class:`~mvplan.plan.Plan`, its history, and what follows.

No Qt here (napari's evented models): the document holds state and emits plain
:class:`Signal` objects; widgets take the document and connect to them. Every change is one
call of a use-case function of the core (``auto_place``, ``translated``, ``tilted``,
``with_suture_count``, ``Annulus.with_landmarks``, ``load_annulus``, ``load_plan``...) that
makes a new Plan, pushed on the history; undo and redo move a pointer into that list. A change
that raises leaves the document exactly as it was (the new Plan is built before anything is
committed), so the GUI only has to show the one-line message.

The live preview (the annuloplasty solve of the current plan) is derived state: the Qt layer
(:mod:`mvplan.gui.preview`) solves in a worker and hands converged results back through
:meth:`PlanDocument.set_preview`. A result is stored with the Plan it belongs to, so undo shows
the earlier answer at once and a saved plan carries results only when they are of exactly it.

The leaflet closure is derived state too, but it takes seconds, so it is solved only when the
user asks (:mod:`mvplan.gui.closure`) and handed back through :meth:`PlanDocument.set_closure`.
The last converged closure stays on show after the plan changes, and the document says which
of its two valves still matches the plan (:meth:`PlanDocument.closure_current`): the native
one as long as the annulus, papillary tips and leaflets are the same (:func:`same_valve`),
the repaired one only for exactly the plan it was solved for.
"""

from __future__ import annotations

import inspect
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from mvplan.errors import InputError, MvplanError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.coronary import CSOffsets, CSPath, cs_path_from_points, estimate_cs_path
from mvplan.geometry.measurements import Measurements, measure
from mvplan.geometry.safety import Safety, artery_from_points
from mvplan.geometry.units import MM_PER_UNIT
from mvplan.gui.pose import PoseParameters, carried_placement, posed
from mvplan.io.load import load_annulus, load_papillary
from mvplan.io.markups import landmark_name
from mvplan.io.paths import load_artery, load_cs_path
from mvplan.io.read import read_points
from mvplan.plan import Plan, RingChoice
from mvplan.planfile import PLAN_SUFFIX, load_plan, save_plan
from mvplan.planning import Placement, auto_place, suture_lengths, with_suture_count
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.rings.percutaneous import PercutaneousFamily
from mvplan.rings.sizing import SizeRecommendation, recommend_size
from mvplan.rings.spec import RingFamily, RingSpec
from mvplan.workflow import (
    ClosureCase,
    ClosureOutcome,
    device_plan,
    plan_safety,
    ring_family,
    with_results,
)

#: Plans whose preview results are kept (undo then shows an earlier answer at once).
RESULT_CACHE_SIZE = 32

#: Plans whose leaflet closures are kept (each holds its leaflet model: a few MB).
CLOSURE_CACHE_SIZE = 8

#: The two valves of a closure.
CLOSURE_CASES = ("native", "repaired")

#: A percutaneous device chosen without a cinch starts cinched by this share of its size, %:
#: at 0 the preview would show a device that does nothing; a tenth of the 30 % the catalogue
#: devices allow is a modest first pull the user then adjusts.
DEFAULT_CINCH_PERCENT = 10.0


class Signal:
    """A minimal event: ``connect(callback)``, ``emit(*args)`` (callbacks run in order).

    Bound methods are held weakly (as napari's events do): a widget that connects its
    method does not live on through the document, and no reference cycle ties the two.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], Callable[..., Any] | None]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        if inspect.ismethod(callback):
            self._callbacks.append(weakref.WeakMethod(callback))
        else:
            self._callbacks.append(lambda: callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks = [ref for ref in self._callbacks if ref() not in (callback, None)]

    def emit(self, *args: Any) -> None:
        for ref in list(self._callbacks):
            callback = ref()
            if callback is None:
                self._callbacks.remove(ref)
            else:
                callback(*args)


@dataclass(frozen=True)
class HistoryEntry:
    """One state of the document and the words that describe the change that made it."""

    plan: Plan
    text: str


@dataclass(frozen=True)
class Sources:
    """The files the current annulus was read from (full paths, never saved in a plan)."""

    annulus: Path | None = None
    landmarks: Path | None = None
    papillary: Path | None = None
    plan: Path | None = None


@dataclass(frozen=True)
class Preview:
    """What the live preview shows.

    Attributes
    ----------
    status : str
        ``"none"`` (no ring), ``"solving"``, ``"ok"`` or ``"failed"``.
    result : AnnuloplastyResult or None
        The last converged result (never an unconverged one).
    current : bool
        Whether ``result`` is of exactly the current plan (False: an earlier pose, kept while
        a new solve runs or after one failed).
    message : str
        Why the last solve failed, or how it went.
    """

    status: str = "none"
    result: AnnuloplastyResult | None = None
    current: bool = False
    message: str = ""


@dataclass(frozen=True, eq=False)
class ClosureShown:
    """What the leaflet-closure display shows.

    Attributes
    ----------
    status : str
        ``"none"`` (never simulated), ``"running"``, ``"ok"``, ``"failed"`` or
        ``"cancelled"``.
    outcome : ClosureOutcome or None
        The last converged closure (never an unconverged one), kept through failures,
        cancellations and plan changes.
    plan : Plan or None
        The plan ``outcome`` was solved for.
    message : str
        How the last solve went, or why it failed.
    """

    status: str = "none"
    outcome: ClosureOutcome | None = None
    plan: Plan | None = None
    message: str = ""


@dataclass(frozen=True, eq=False)
class FrameShown:
    """One frame of a moving annulus (a 4D series) shown in place of the plan's annulus.

    Attributes
    ----------
    index, count : int
        The frame's position (from 0) and the number of frames.
    name : str
        The frame's file name.
    annulus : Annulus
        The frame's native annulus.
    measurements : Measurements
        Its own :func:`~mvplan.geometry.measurements.measure` values.
    result : AnnuloplastyResult or None
        The frame solved with the plan's ring on it (a cycle prediction), if there is one.
    """

    index: int
    count: int
    name: str
    annulus: Annulus
    measurements: Measurements
    result: AnnuloplastyResult | None = None


def same_valve(a: Plan | None, b: Plan | None) -> bool:
    """Whether two plans have the same native valve (annulus, papillary tips, leaflets), so
    that the native closure of one is the other's."""
    if a is None or b is None:
        return False
    return a.annulus is b.annulus and a.papillary is b.papillary and a.leaflets == b.leaflets


def is_plan_file(path: str | Path) -> bool:
    """Whether ``path`` names a plan file (``*.mvplan.json``, or JSON with a plan's format)."""
    p = Path(path)
    if p.name.lower().endswith(PLAN_SUFFIX):
        return True
    if p.suffix.lower() != ".json" or p.name.lower().endswith(".mrk.json"):
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return '"mvplan-plan"' in head


class PlanDocument:
    """The current plan, its undo history, the catalogue and the preview (module docstring).

    Signals
    -------
    plan_changed(reason: str)
        The current plan changed (an edit, undo, redo or a file opened).
    transient_changed()
        A drag in progress moved the ring or a landmark (nothing committed yet).
    transient_measured()
        Measurements of the annulus with a dragged landmark arrived
        (``transient_measurements``).
    preview_changed()
        The preview (status, result) changed.
    closure_changed()
        The leaflet closure on show, its status, its colouring or the valve shown changed,
        or the plan changed (which may make it stale).
    frame_changed()
        Another frame of a cycle is shown in place of the plan's annulus, or none is any
        more (:attr:`shown_frame`).
    saved(path: Path)
        The plan was written.
    """

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self.plan_changed = Signal()
        self.transient_changed = Signal()
        self.transient_measured = Signal()
        self.preview_changed = Signal()
        self.closure_changed = Signal()
        self.frame_changed = Signal()
        self.saved = Signal()
        self._catalogue = catalogue
        self.catalogue_warnings: list[str] = []
        self._history: list[HistoryEntry] = []
        self._index = -1
        self._saved_index: int | None = None
        self.sources = Sources()
        self._measured: tuple[Annulus, Measurements] | None = None
        self._recommended: dict[tuple[str, str], SizeRecommendation] = {}
        self._recommended_for: Annulus | None = None
        self._results: OrderedDict[Plan, AnnuloplastyResult] = OrderedDict()
        self._last_good: AnnuloplastyResult | None = None
        self._preview = Preview()
        self._closures: OrderedDict[Plan, ClosureOutcome] = OrderedDict()
        self._closure = ClosureShown()
        #: How the leaflets are coloured (:data:`mvplan.render.leaflets.QUANTITIES`).
        self.closure_colour = "coaptation"
        #: The valve the user asked to see; the native one is shown while the repaired one
        #: is not available (:attr:`closure_case`).
        self.closure_preference = "repaired"
        self.transient_placement: Placement | None = None
        self.transient_landmark: tuple[str, float] | None = None
        self.transient_measurements: Measurements | None = None
        self._shown_frame: FrameShown | None = None
        self._safety: tuple[Plan, AnnuloplastyResult | None, Safety | None] | None = None

    # -- state ------------------------------------------------------------------------------

    @property
    def catalogue(self) -> Catalogue:
        """The ring catalogue (read on first use; broken user files are listed, not fatal)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue(warn=self.catalogue_warnings.append)
        return self._catalogue

    @property
    def plan(self) -> Plan | None:
        """The current plan (None before anything is opened)."""
        return self._history[self._index].plan if self._index >= 0 else None

    @property
    def annulus(self) -> Annulus | None:
        return None if self.plan is None else self.plan.annulus

    @property
    def measurements(self) -> Measurements | None:
        """Measurements of the current (native) annulus, computed once per annulus."""
        annulus = self.annulus
        if annulus is None:
            return None
        if self._measured is None or self._measured[0] is not annulus:
            self._measured = (annulus, measure(annulus))
        return self._measured[1]

    @property
    def family(self) -> RingFamily | None:
        plan = self.plan
        if plan is None or plan.ring is None:
            return None
        family = ring_family(plan.ring, self.catalogue)
        return family if isinstance(family, RingFamily) else None

    @property
    def device_family(self) -> PercutaneousFamily | None:
        """The plan's percutaneous device family (None without one, or with a ring)."""
        plan = self.plan
        if plan is None or plan.ring is None:
            return None
        family = ring_family(plan.ring, self.catalogue)
        return family if isinstance(family, PercutaneousFamily) else None

    @property
    def spec(self) -> RingSpec | None:
        """The current ring at its size (None without a ring)."""
        plan, family = self.plan, self.family
        if plan is None or plan.ring is None or family is None:
            return None
        return family.spec(plan.ring.size_mm, plan.ring.adjustment_mm)

    @property
    def placement(self) -> Placement | None:
        """The placement being shown: a drag's while it lasts, else the plan's."""
        if self.transient_placement is not None:
            return self.transient_placement
        return None if self.plan is None else self.plan.placement

    @property
    def modified(self) -> bool:
        """Whether the plan changed since it was opened or saved."""
        return self.plan is not None and self._index != self._saved_index

    @property
    def title(self) -> str:
        """A name for the window title: the plan file, else the annulus file."""
        for path in (self.sources.plan, self.sources.annulus):
            if path is not None:
                return path.name
        plan = self.plan
        return plan.annulus.source.name if plan is not None else ""

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return 0 <= self._index < len(self._history) - 1

    def undo_text(self) -> str:
        return self._history[self._index].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._history[self._index + 1].text if self.can_redo() else ""

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        return tuple(self._history)

    def in_history(self, plan: Plan) -> bool:
        """Whether ``plan`` is one of this document's states (not one of a file closed since)."""
        return any(entry.plan is plan for entry in self._history)

    @property
    def history_index(self) -> int:
        """Position of the current plan in :attr:`history` (-1: nothing open)."""
        return self._index

    @property
    def preview(self) -> Preview:
        return self._preview

    def recommendation(self, family: RingFamily, policy: str = "true-size") -> SizeRecommendation:
        """The size of ``family`` a sizing policy recommends for the current annulus (kept
        per annulus: it measures every size of the family)."""
        measured = self.measurements
        if measured is None:
            raise InputError("open an annulus first")
        if self._recommended_for is not self.annulus:
            self._recommended.clear()
            self._recommended_for = self.annulus
        key = (family.id, policy)
        if key not in self._recommended:
            self._recommended[key] = recommend_size(
                family, measured.values, policy, estimated=measured.estimated
            )
        return self._recommended[key]

    def suture_lengths_mm(self) -> np.ndarray | None:
        """Lengths of the current sutures (ring point to annulus point), mm."""
        plan, spec, placement = self.plan, self.spec, self.placement
        if plan is None or spec is None or placement is None or not placement.sutures:
            return None
        return suture_lengths(plan.annulus, spec, placement.pose, placement.sutures)

    # -- opening ----------------------------------------------------------------------------

    def open(self, path: str | Path) -> str:
        """Open an annulus file or a plan file (history starts afresh); returns what it was."""
        p = Path(path)
        if is_plan_file(p):
            plan = load_plan(p)  # carries its ring's definition: the catalogue need not have it
            self._reset(plan, Sources(plan=p.resolve()), f"Open {p.name}", saved=True)
            return "plan"
        annulus = load_annulus(p)
        self._reset(Plan(annulus=annulus), Sources(annulus=p.resolve()), f"Open {p.name}")
        return "annulus"

    def open_annulus(
        self, annulus: Annulus, path: str | Path, measurements: Measurements | None = None
    ) -> None:
        """Start afresh on an annulus read already (the first frame of a cycle) from ``path``;
        ``measurements``, its :func:`measure` values when the caller has them, are kept."""
        if measurements is not None:
            self._measured = (annulus, measurements)
        p = Path(path)
        self._reset(Plan(annulus=annulus), Sources(annulus=p.resolve()), f"Open {p.name}")

    def open_recovered(self, path: str | Path) -> None:
        """Open a plan autosaved by a session that crashed, as an unsaved plan with no file
        (recovery files hold no paths; :mod:`mvplan.gui.recovery`)."""
        plan = load_plan(path)
        self._reset(plan, Sources(), "Recover unsaved plan", saved=False)

    def load_landmarks(self, path: str | Path) -> None:
        """Give landmarks from a file of labelled points (A, P, ALC, PMC, ALT, PMT)."""
        plan = self._need_plan()
        annulus = plan.annulus
        read = read_points(path)
        unit = read.units or annulus.source.input_units
        given = dict(annulus.given_landmarks)
        found = 0
        for label, point in zip(read.labels, read.points * MM_PER_UNIT[unit], strict=True):
            name = landmark_name(label)
            if name is not None:
                given[name] = annulus.curve.closest_parameter(np.asarray(point))[0]
                found += 1
        if not found:
            raise InputError("no point labelled A, P, ALC, PMC, ALT or PMT", source=read.source)
        new = annulus.with_landmarks(given)
        self._commit(self._with_annulus(plan, new), f"Landmarks from {Path(path).name}")
        self.sources = replace(self.sources, landmarks=Path(path).resolve())

    def load_papillary(self, path: str | Path) -> None:
        """Attach papillary-muscle tips. When the annulus came from a file it is read again so
        the tips decide its atrial side (DESIGN.md section 4); the user's landmarks are kept."""
        plan = self._need_plan()
        p = Path(path)
        annulus = plan.annulus
        src = self.sources.annulus
        if src is not None and src.is_file():
            fresh = load_annulus(src, papillary=p)
            if len(fresh.curve.points) == len(annulus.curve.points):
                annulus = fresh.with_landmarks(annulus.given_landmarks)
            else:
                annulus = fresh
        tips = load_papillary(p, annulus)
        new_plan = self._with_annulus(plan, annulus)
        self._commit(replace(new_plan, papillary=tips), f"Papillary tips from {p.name}")
        self.sources = replace(self.sources, papillary=p.resolve())

    # -- edits ------------------------------------------------------------------------------

    def choose_ring(
        self,
        family_id: str,
        size_mm: float,
        adjustment_mm: float = 0.0,
        *,
        sutures: int | None = None,
    ) -> None:
        """Put a catalogue ring on the annulus at its automatic placement."""
        plan = self._need_plan()
        old = self.family
        # Another size of the plan's own ring keeps the definition the plan carries (which
        # may not be this catalogue's); any other ring comes from the catalogue.
        family = old if old is not None and old.id == family_id else None
        family = family or self.catalogue.family(family_id)
        spec = family.spec(size_mm, adjustment_mm)
        like = old is not None and old.closed == family.closed
        if sutures is None and like and plan.placement is not None:
            sutures = len(plan.placement.sutures)  # keep the user's count for a like device
        fit = auto_place(plan.annulus, spec, sutures=sutures)
        choice = RingChoice(family.id, float(spec.size_mm), float(spec.adjustment_mm), family)
        new = replace(plan, ring=choice, placement=fit.placement, results=None)
        adjust = f", adjusted {adjustment_mm:+g} mm" if adjustment_mm else ""
        self._commit(new, f"Ring {family.id} {spec.size_mm:g} mm{adjust}")

    def choose_device(
        self, family_id: str, size_mm: float | None = None, cinch_mm: float | None = None
    ) -> None:
        """Put a percutaneous device on the plan (:func:`mvplan.workflow.device_plan`).

        Without a size, the middle one the family sells, or the nearest shorter (then longer)
        one that fits this annulus. Without a cinch: the device's own when only its size
        changes (capped at the new size's limit), else :data:`DEFAULT_CINCH_PERCENT` of the
        size. A coronary-sinus device lies in the plan's CS path (estimated when there is
        none); the path, the distal anchor, the artery and the threshold are kept through any
        change (a band ignores the path and the anchor).
        """
        plan = self._need_plan()
        old = self.device_family
        # Another size or cinch of the plan's own device keeps the definition it carries.
        same = old is not None and old.id == family_id
        family = old if same and old is not None else self.catalogue.device(family_id)
        if size_mm is not None:
            sizes = [float(size_mm)]
        else:
            middle = len(family.sizes_mm) // 2
            order = [*range(middle, -1, -1), *range(middle + 1, len(family.sizes_mm))]
            sizes = [family.sizes_mm[i] for i in order]
            room = self._posterior_length_mm() if family.type == "transcatheter-band" else None
            if room is not None:
                # A band spans trigone to trigone along the posterior annulus: the mechanics
                # refuse a longer one, so the default is one that fits (if any does).
                sizes = [s for s in sizes if s <= room] or sizes
        error: InputError | None = None
        for size in sizes:
            if cinch_mm is not None:
                cinch = float(cinch_mm)
            elif same and plan.ring is not None:
                cinch = min(plan.ring.adjustment_mm, family.cinch_limit_mm(size))
            else:
                cinch = DEFAULT_CINCH_PERCENT / 100.0 * size
            is_cs = family.type == "coronary-sinus"
            try:
                made = device_plan(
                    plan.annulus,
                    family,
                    size,
                    cinch,
                    cs_path=plan.cs_path if is_cs else None,
                    artery=plan.artery,
                    threshold_mm=plan.safety_threshold_mm,
                    papillary=plan.papillary,
                    name=plan.name,
                    distal_anchor_offset_mm=plan.distal_anchor_offset_mm if is_cs else 0.0,
                )
            except InputError as exc:
                error = exc
                continue
            # A band ignores the CS path; it stays in the plan (undo and a later CS device).
            path = made.cs_path if is_cs else plan.cs_path
            new = replace(plan, ring=made.ring, placement=None, cs_path=path, results=None)
            assert made.ring is not None
            ring = made.ring
            text = f"{family.id} {ring.size_mm:g} mm, cinch {ring.adjustment_mm:.3g} mm"
            self._commit(new, f"Device {text}")
            return
        assert error is not None
        raise error

    def set_cinch(self, cinch_mm: float) -> None:
        """Cinch the plan's device by ``cinch_mm`` (0 to the device's limit at its size)."""
        plan, family = self._need_plan(), self.device_family
        if family is None or plan.ring is None:
            raise InputError("choose a percutaneous device first")
        if abs(cinch_mm - plan.ring.adjustment_mm) < 1e-9:
            return
        self.choose_device(family.id, plan.ring.size_mm, cinch_mm)

    def set_cs_offsets(self, offsets: CSOffsets) -> None:
        """Estimate the coronary-sinus path again from ``offsets`` (Lansac's stations)."""
        plan = self._need_plan()
        path = estimate_cs_path(plan.annulus, offsets)
        self._check_device_path(plan, path)
        o = offsets
        text = f"CS offsets {o.ostium_mm:g}/{o.mid_mm:g}/{o.distal_mm:g} mm, atrial {o.atrial_mm:g}"
        self._commit(replace(plan, cs_path=path, results=None), text)

    def set_distal_anchor(self, offset_mm: float) -> None:
        """Put the coronary-sinus device's distal anchor ``offset_mm`` back from the vein's
        distal end (the device moves toward the ostium; the vein beyond it stays)."""
        plan = self._need_plan()
        offset_mm = float(offset_mm)
        if abs(offset_mm - plan.distal_anchor_offset_mm) < 1e-9:
            return
        candidate = replace(plan, distal_anchor_offset_mm=offset_mm, results=None)
        self._check_device_path(candidate, plan.cs_path)
        self._commit(candidate, f"Distal anchor {offset_mm:g} mm back")

    def load_cs_path(self, path: str | Path) -> None:
        """Give the coronary-sinus centreline from a file (:func:`mvplan.io.paths.load_cs_path`)."""
        plan = self._need_plan()
        p = Path(path)
        cs = load_cs_path(p, plan.annulus)
        self._check_device_path(plan, cs)
        self._commit(replace(plan, cs_path=cs, results=None), f"CS path from {p.name}")

    def load_artery(self, path: str | Path) -> None:
        """Give the circumflex artery from a file (:func:`mvplan.io.paths.load_artery`)."""
        plan = self._need_plan()
        p = Path(path)
        artery = load_artery(p, plan.annulus)
        self._commit_same_mechanics(replace(plan, artery=artery), f"Artery from {p.name}")

    def set_safety_threshold(self, threshold_mm: float) -> None:
        """Flag compression of the artery below ``threshold_mm`` from the device."""
        plan = self._need_plan()
        if abs(threshold_mm - plan.safety_threshold_mm) < 1e-12:
            return
        new = replace(plan, safety_threshold_mm=float(threshold_mm))
        self._commit_same_mechanics(new, f"Compression threshold {threshold_mm:g} mm")

    def safety(self) -> Safety | None:
        """How close the plan's device comes to its artery (None without both): at
        equilibrium once the preview has solved exactly this plan, else as placed
        (:func:`mvplan.workflow.plan_safety`). Kept per plan and result."""
        plan = self.plan
        if plan is None or plan.artery is None or not plan.has_device:
            return None
        result = self._results.get(plan)
        kept = self._safety
        if kept is not None and kept[0] is plan and kept[1] is result:
            return kept[2]
        try:
            safety = plan_safety(plan, result)
        except MvplanError:
            safety = None  # as placed could not be worked out (a path too short): say nothing
        self._safety = (plan, result, safety)
        return safety

    def _posterior_length_mm(self) -> float | None:
        """The annulus's posterior length (PMT -> P -> ALT), mm, if it could be measured."""
        measured = self.measurements
        value = None if measured is None else measured.values.get("posterior_length_mm")
        return None if value is None else float(value)

    def _check_device_path(self, plan: Plan, path: CSPath | None) -> None:
        """Raise InputError when the plan's coronary-sinus device does not fit ``path`` (None:
        the path :func:`mvplan.workflow.device_plan` estimates)."""
        family = self.device_family
        if family is None or family.type != "coronary-sinus" or plan.ring is None:
            return
        device_plan(
            plan.annulus,
            family,
            plan.ring.size_mm,
            plan.ring.adjustment_mm,
            cs_path=path,
            distal_anchor_offset_mm=plan.distal_anchor_offset_mm,
        )

    def _commit_same_mechanics(self, plan: Plan, text: str) -> None:
        """Commit a change that leaves the solve as it was (the artery, the threshold): the
        current plan's result answers for the new one too, so the preview need not solve."""
        result = self._results.get(self._need_plan())
        if result is not None:
            self.store_result(plan, result)
        self._commit(replace(plan, results=None), text)

    def auto_place(self) -> None:
        """Place the current ring automatically again (its suture count kept)."""
        plan, spec = self._need_plan(), self.spec
        if spec is None or plan.placement is None:
            raise InputError("choose a ring first")
        fit = auto_place(plan.annulus, spec, sutures=len(plan.placement.sutures))
        self._commit(replace(plan, placement=fit.placement, results=None), "Automatic placement")

    def remove_ring(self) -> None:
        plan = self._need_plan()
        if plan.ring is None:
            return
        self._commit(replace(plan, ring=None, placement=None, results=None), "Remove ring")

    def set_pose(self, params: PoseParameters, text: str = "Edit pose") -> None:
        """Give the ring the pose ``params`` (numeric fields)."""
        placement = self._need_placement()
        self.commit_placement(posed(placement, params), text)

    def commit_placement(self, placement: Placement, text: str) -> None:
        """Make ``placement`` the plan's (the end of a drag, a numeric edit): one history step."""
        plan = self._need_plan()
        self.transient_placement = None
        if plan.ring is None:
            raise InputError("choose a ring first")
        self._commit(replace(plan, placement=placement, results=None), text)

    def set_suture_count(self, count: int) -> None:
        """Lay out ``count`` sutures afresh, keeping the pose."""
        plan, spec = self._need_plan(), self.spec
        placement = self._need_placement()
        if spec is None:
            raise InputError("choose a ring first")
        if count == len(placement.sutures):
            return
        new = with_suture_count(plan.annulus, spec, placement, count)
        self._commit(replace(plan, placement=new, results=None), f"{count} sutures")

    def move_landmark(self, name: str, u: float) -> None:
        """Give the landmark ``name`` at curve parameter ``u`` (the user's correction)."""
        plan = self._need_plan()
        self.transient_landmark = None
        new = plan.annulus.with_landmarks({**plan.annulus.given_landmarks, name: float(u) % 1.0})
        self._commit(self._with_annulus(plan, new), f"Move landmark {name}")

    def set_transient_placement(self, placement: Placement | None) -> None:
        """Show (and preview) a placement a drag is trying, without committing it."""
        self.transient_placement = placement
        self.transient_changed.emit()

    def set_transient_landmark(self, name: str | None, u: float = 0.0) -> None:
        """Show a landmark a drag is moving (None: the drag ended or was abandoned)."""
        self.transient_landmark = None if name is None else (name, float(u) % 1.0)
        if name is None:
            self.transient_measurements = None
        self.transient_changed.emit()

    def end_transient(self) -> None:
        """Abandon a drag: the plan as it was is shown again (nothing is committed)."""
        self.transient_placement = None
        self.transient_landmark = None
        self.transient_measurements = None
        self.plan_changed.emit("revert")

    def set_transient_measurements(self, landmark: tuple[str, float], value: Measurements) -> None:
        """Measurements of the annulus with ``landmark`` (name, u) where a drag put it; kept
        only while that drag still shows it there."""
        if self.transient_landmark != landmark:
            return
        self.transient_measurements = value
        self.transient_measured.emit()

    def undo(self) -> None:
        if self.can_undo():
            self._index -= 1
            self._after_move("undo")

    def redo(self) -> None:
        if self.can_redo():
            self._index += 1
            self._after_move("redo")

    # -- saving -----------------------------------------------------------------------------

    def plan_to_save(self) -> Plan:
        """The current plan with the preview's results (and its closure's) when they are of
        exactly this plan."""
        plan = self._need_plan()
        result = self._results.get(plan)
        closure = self._closures.get(plan)
        if result is not None:
            return with_results(plan, result, closure)
        if closure is not None and plan.ring is None:
            return replace(plan, results={"closure": closure.to_dict()})
        return plan

    def save(self, path: str | Path) -> Path:
        """Write the plan file atomically (``.mvplan.json`` is added when missing)."""
        p = Path(path)
        if not p.name.lower().endswith(PLAN_SUFFIX):
            p = p.with_name(p.name.removesuffix(".json") + PLAN_SUFFIX)
        if not p.parent.is_dir():
            raise InputError(f"cannot write {p.name}: the folder {p.parent} does not exist")
        out = save_plan(self.plan_to_save(), p)
        self._saved_index = self._index
        self.sources = replace(self.sources, plan=out.resolve())
        self.saved.emit(out)
        return out

    # -- frames of a cycle ------------------------------------------------------------------

    @property
    def shown_frame(self) -> FrameShown | None:
        """The frame of a cycle shown in place of the plan's annulus (None: the plan)."""
        return self._shown_frame

    def show_frame(self, frame: FrameShown | None) -> None:
        """Show one frame of a cycle instead of the plan's annulus (None: the plan again).

        Not an edit: nothing goes on the history and the plan and its preview stay as they
        are; any change of plan (an edit, undo, another file) shows the plan again.
        """
        if frame is not self._shown_frame:
            self._shown_frame = frame
            self.frame_changed.emit()

    # -- preview ----------------------------------------------------------------------------

    def cached_result(self, plan: Plan) -> AnnuloplastyResult | None:
        return self._results.get(plan)

    @property
    def last_good_result(self) -> AnnuloplastyResult | None:
        """The last converged result (a warm start for the next solve)."""
        return self._last_good

    def store_result(self, plan: Plan, result: AnnuloplastyResult) -> None:
        """Keep ``result`` as the answer of ``plan`` (shown again when undo returns to it)."""
        if not result.solve.converged:
            raise ValueError("an unconverged result is never kept")
        self._results[plan] = result
        self._results.move_to_end(plan)
        while len(self._results) > RESULT_CACHE_SIZE:
            self._results.popitem(last=False)

    def set_preview(
        self,
        status: str,
        *,
        result: AnnuloplastyResult | None = None,
        current: bool = False,
        message: str = "",
    ) -> None:
        """Record what the preview solver reports.

        ``result`` (converged, or ValueError) becomes the one on show, ``current`` saying
        whether it is of exactly what the view shows. Without a result, a ``failed`` or
        ``solving`` status keeps the last good result on show (no longer current); ``none``
        clears it.
        """
        if result is not None:
            if not result.solve.converged:
                raise ValueError("an unconverged result is never shown")
            self._last_good = result
            shown: AnnuloplastyResult | None = result
        else:
            shown = None if status == "none" else self._preview.result
            current = False
        self._preview = Preview(status, shown, current and shown is not None, message)
        self.preview_changed.emit()

    # -- leaflet closure --------------------------------------------------------------------

    @property
    def closure(self) -> ClosureShown:
        return self._closure

    def cached_closure(self, plan: Plan) -> ClosureOutcome | None:
        """The closure solved for exactly ``plan``, if it is still kept."""
        return self._closures.get(plan)

    def store_closure(self, plan: Plan, outcome: ClosureOutcome) -> None:
        """Keep ``outcome`` as the closure of ``plan`` (shown again when undo returns to it)."""
        _check_converged(outcome)
        self._closures[plan] = outcome
        self._closures.move_to_end(plan)
        while len(self._closures) > CLOSURE_CACHE_SIZE:
            self._closures.popitem(last=False)

    def reusable_native(self, plan: Plan) -> ClosureOutcome | None:
        """A kept closure whose model and native valve are ``plan``'s (:func:`same_valve`):
        another ring on the same valve then needs only its repaired solve."""
        shown = self._closure
        if shown.outcome is not None and same_valve(shown.plan, plan):
            return shown.outcome
        for kept, outcome in reversed(self._closures.items()):
            if same_valve(kept, plan):
                return outcome
        return None

    def set_closure(
        self,
        status: str,
        *,
        plan: Plan | None = None,
        outcome: ClosureOutcome | None = None,
        message: str = "",
    ) -> None:
        """Record what the closure solver reports: ``outcome`` (converged, or ValueError),
        solved for ``plan``, becomes the one on show; without one, the last stays on show
        (a failure or a cancellation keeps the last good state)."""
        if status not in ("none", "running", "ok", "failed", "cancelled"):
            raise ValueError(f"unknown closure status {status!r}")
        if outcome is not None:
            if plan is None:
                raise ValueError("a closure needs the plan it was solved for")
            _check_converged(outcome)
            self._closure = ClosureShown(status, outcome, plan, message)
        else:
            self._closure = replace(self._closure, status=status, message=message)
        self.closure_changed.emit()

    def closure_current(self, case: str) -> bool:
        """Whether the closure on show still answers for the current plan: the ``native``
        valve while the valve is the same, the ``repaired`` one for exactly this plan."""
        shown, plan = self._closure, self.plan
        if shown.outcome is None or plan is None:
            return False
        if case == "native":
            return same_valve(shown.plan, plan)
        return shown.plan is plan and shown.outcome.repaired is not None

    @property
    def repaired_available(self) -> bool:
        """Whether a repaired valve can be shown: the closure has one and the plan a ring."""
        outcome, plan = self._closure.outcome, self.plan
        return (
            outcome is not None
            and outcome.repaired is not None
            and plan is not None
            and plan.ring is not None
        )

    @property
    def closure_case(self) -> str | None:
        """The valve shown: the preferred one when it is available, else the native one;
        None without a closure."""
        if self._closure.outcome is None:
            return None
        if self.closure_preference == "repaired" and self.repaired_available:
            return "repaired"
        return "native"

    def shown_closure_case(self) -> ClosureCase | None:
        """The :class:`ClosureCase` of :attr:`closure_case` (None without a closure)."""
        outcome, case = self._closure.outcome, self.closure_case
        if outcome is None or case is None:
            return None
        return outcome.repaired if case == "repaired" else outcome.native

    def set_closure_colour(self, quantity: str) -> None:
        """Colour the leaflets by ``quantity`` (``coaptation``, ``gap`` or ``stress``)."""
        if quantity not in ("coaptation", "gap", "stress"):
            raise ValueError(f"unknown leaflet colouring {quantity!r}")
        if quantity != self.closure_colour:
            self.closure_colour = quantity
            self.closure_changed.emit()

    def set_closure_case(self, case: str) -> None:
        """Show the ``native`` or the ``repaired`` valve (the native one while the repaired
        one is not available)."""
        if case not in CLOSURE_CASES:
            raise ValueError(f"unknown closure case {case!r}")
        if case != self.closure_preference:
            self.closure_preference = case
            self.closure_changed.emit()

    def _sync_closure(self) -> None:
        """After the plan changed: show its own kept closure if it has one (undo), else keep
        the last one on show (now perhaps stale); tell the views either way."""
        plan = self.plan
        kept = None if plan is None else self._closures.get(plan)
        shown = self._closure
        if kept is not None and kept is not shown.outcome:
            if shown.status == "running":  # a solve still under way keeps its progress line
                self._closure = ClosureShown("running", kept, plan, shown.message)
            else:
                self._closure = ClosureShown("ok", kept, plan, "solved earlier for this plan")
        self.closure_changed.emit()

    # -- internals --------------------------------------------------------------------------

    def _need_plan(self) -> Plan:
        plan = self.plan
        if plan is None:
            raise InputError("open an annulus or a plan first")
        return plan

    def _need_placement(self) -> Placement:
        plan = self._need_plan()
        if plan.placement is None:
            raise InputError("choose a ring first")
        return plan.placement

    def _with_annulus(self, plan: Plan, annulus: Annulus) -> Plan:
        placement = plan.placement
        if placement is not None:
            placement = carried_placement(plan.annulus, annulus, placement)
        # The vessels stay where they are in the patient; the valve frame may have turned
        # (landmark A sets +y, papillary tips the atrial side): an estimated CS path is
        # estimated again on the new annulus, given paths are carried through the input frame.
        cs = plan.cs_path
        if cs is not None:
            if cs.offsets is not None and cs.source == "estimated":
                cs = estimate_cs_path(annulus, cs.offsets)
            else:
                cs = cs_path_from_points(
                    annulus, _carried(plan.annulus, annulus, cs.points_valve), cs.source
                )
        artery = plan.artery
        if artery is not None:
            moved = _carried(plan.annulus, annulus, artery.points_valve)
            artery = artery_from_points(annulus, moved, artery.source)
        return replace(
            plan, annulus=annulus, placement=placement, cs_path=cs, artery=artery, results=None
        )

    def _reset(self, plan: Plan, sources: Sources, text: str, saved: bool = False) -> None:
        self._history = [HistoryEntry(plan, text)]
        self._index = 0
        self._saved_index = 0 if saved else None
        self.sources = sources
        self._results.clear()
        self._last_good = None
        self.transient_placement = None
        self.transient_landmark = None
        self.transient_measurements = None
        self._preview = Preview()
        self._closures.clear()
        self._closure = ClosureShown()
        self._shown_frame = None
        self.plan_changed.emit("open")
        self.closure_changed.emit()

    def _commit(self, plan: Plan, text: str) -> None:
        del self._history[self._index + 1 :]
        if self._saved_index is not None and self._saved_index > self._index:
            self._saved_index = None
        self._history.append(HistoryEntry(plan, text))
        self._index += 1
        self.transient_placement = None
        self.transient_landmark = None
        self.transient_measurements = None
        self._shown_frame = None
        self.plan_changed.emit("edit")
        self._sync_closure()

    def _after_move(self, reason: str) -> None:
        self.transient_placement = None
        self.transient_landmark = None
        self.transient_measurements = None
        self._shown_frame = None
        self.plan_changed.emit(reason)
        self._sync_closure()


def _carried(old: Annulus, new: Annulus, points_valve: np.ndarray) -> np.ndarray:
    """Points ``(m, 3)`` in ``old``'s valve frame, in ``new``'s (the same input points)."""
    original = old.to_valve_frame.inverse().apply(np.asarray(points_valve, float))
    return np.asarray(new.to_valve_frame.apply(original))


def _check_converged(outcome: ClosureOutcome) -> None:
    for case in (outcome.native, outcome.repaired):
        if case is not None and not case.result.converged:
            raise ValueError("an unconverged closure is never kept or shown")


__all__ = [
    "CLOSURE_CASES",
    "DEFAULT_CINCH_PERCENT",
    "ClosureShown",
    "FrameShown",
    "HistoryEntry",
    "PlanDocument",
    "Preview",
    "Signal",
    "Sources",
    "is_plan_file",
    "same_valve",
]
