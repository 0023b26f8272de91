"""Percutaneous annuloplasty: a cinched coronary-sinus device or transcatheter band.

Model (DESIGN.md section 6; the annulus is the ring model's, :func:`annulus_tissue`)
-------------------------------------------------------------------------------------
All positions in the annulus valve frame, mm; forces N. One energy, minimised by the core
Newton solver; every term is one of :mod:`mvplan.mechanics` (finite-difference checked).

- **Annulus**: tension-only axial cables, linear bending about the native shape and the
  elastic foundation of the surrounding myocardium, exactly as for rings (the foundation
  calibrated there to suture forces; :mod:`mvplan.planning.annuloplasty`).
- **Coronary-sinus device** (``coronary-sinus``):

  - the **vein** is a chain of nodes along the coronary-sinus path (about 1.5 mm apart) with
    tension-only axial cables (a plicated vein wall folds rather than carry compression),
    a weak linear bending and a weak foundation (the fat of the atrioventricular groove);
  - the **coupling**: each vein node ``i`` is tied to the nearest point of the native annulus
    by a zero-length linear spring on the change of their separation
    (:class:`~mvplan.mechanics.Sutures` with the native offset),
    ``k_i = k_c ds_i exp(-d_i / lambda)`` with ``ds_i`` the node's share of the vein length
    and ``d_i`` its native distance from the annulus (7-20 mm, Lansac 2008). The tissue
    between vein and annulus carries less the thicker it is; ``k_c`` and ``lambda`` are
    calibrated (below);
  - the **device** is a ribbon anchored at its two ends (distal anchor in the great cardiac
    vein, proximal anchor near the ostium) and lying in the vein between them. Cinching
    plicates the vein onto the ribbon: each vein segment between the anchors is tied by a
    nearly inextensible tension-only spring whose rest length is its native length shortened
    by the cinch fraction (``cinch / size``; the plication spread evenly along the device).
    The tension pulls the anchors together and presses the vein toward the inside of its
    bend, toward the annulus, with ``t kappa`` per mm. (A ribbon sliding freely through the
    vein, :class:`~mvplan.mechanics.cable.SlidingCable`, lets the nodes next to an anchor slide
    onto it -- the vein wall carries no compression -- and the solve stalls on the collapsed
    segment.)
- **Transcatheter band** (``transcatheter-band``): ``N`` anchors along the posterior annulus,
  centred on P and spanning the band's size in arc length, each a node tied to its annulus point
  by a zero-length spring (the anchor's hold, ``k_a``); the contraction wire is a sliding
  cable through the anchors whose rest length is its native length minus the cinch. The anchors
  pull the annulus directly.

Results: the reshaped annulus and its measurements, the wire tension, each anchor's force
(a band's anchor: its spring force; a coronary-sinus anchor: the ribbon's pull on it, the
tension) against the mean pull-out strength of the posterior annulus (DOMAIN.md: 3.9 N; no
strength is published for anchors in the vein, so the same figure serves as the reference),
and the strain of the vein between the anchors.

Calibration of the coupling
---------------------------
An ex vivo study cinched the coronary sinus with 2.1 N and cut the annular area by 21 % and
the septal-lateral diameter by 24 % (DOMAIN.md). ``benchmarks/calibrate_cs_coupling.py`` finds,
on the bundled functional-MR sample with the 70 mm Carillon-like device in the estimated vein,
the cinch at which the ribbon pulls 2.1 N (Brent's method on its mean tension) and the area
(projected) and septal-lateral reductions there, and fits ``(k_c, lambda)`` to the two
percentages by least squares. What it found: the two reductions at 2.1 N hardly depend on the
coupling -- over ``k_c`` 0.03-20 N/mm^2 and ``lambda`` 7 mm to effectively uniform, the SL
reduction stays at 20-23 % and the area reduction at 29-30 % -- because they are set by the
annulus model, whose stiffness was calibrated independently to suture forces (Jensen 2013).
The SL figure reproduces the study within 2-4 percentage points; the area is over-predicted
by 8-9 points, because in the model the commissural width also shrinks (about 6 %) where the
study's area fell less than its SL diameter (the commissures must have moved apart). The least
squares run drifts toward a uniform coupling without improving either figure by more than a
point, so the defaults are ``lambda = 10 mm`` (assumed: the order of the vein-annulus
distance, so the coupling does weaken with distance as the tissue between thickens) and
``k_c = 1 N/mm^2`` (at which 2.1 N needs a 26 mm cinch of the 70 mm device, SL -22.2 %,
area -30.0 %); the coupling sets how much cinch a given tension takes, which the study does
not report. The fit table is in ``docs/theory.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus, deformed_annulus
from mvplan.geometry.measurements import Measurements, measure
from mvplan.mechanics import Foundation, SolveResult, Springs, Sum, Sutures, solve
from mvplan.mechanics.cable import SlidingCable
from mvplan.mechanics.linear_bending import LinearBending
from mvplan.planning.annuloplasty import (
    DEFAULT_WARN_FRACTION,
    PULLOUT_STRENGTH_N,
    SLACK_BAND,
    AnnuloplastyModel,
    AnnuloplastyResult,
    AnnuloplastyState,
    AnnulusTissue,
    TissueModel,
    _regions,
    _segment_pairs,
    _strain,
    annulus_tissue,
    require_positive,
)
from mvplan.rings.percutaneous import DeviceSpec

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CS_DEVICE",
    "TRANSCATHETER_BAND",
    "CouplingModel",
    "DeviceOutcome",
    "PlacedDevice",
    "placed_device",
    "simulate_percutaneous",
]

CS_DEVICE = "coronary-sinus"
TRANSCATHETER_BAND = "transcatheter-band"

#: Spacing of the vein nodes, mm.
VEIN_SPACING_MM = 1.5

#: Width of the vein cables' smoothing band, fraction of their native length.
VEIN_SLACK_BAND = 0.1

#: Width of the ribbon's smoothing band, fraction of each segment's length.
WIRE_SLACK_BAND = 0.01

#: Largest cinch taken up in one load step, mm.
CINCH_STEP_MM = 1.0


@dataclass(frozen=True)
class CouplingModel:
    """The coronary sinus and the tissue between it and the annulus.

    Attributes
    ----------
    stiffness_n_per_mm2 : float
        ``k_c``: coupling stiffness per mm of vein at zero distance, N/mm per mm (calibrated,
        module docstring).
    decay_mm : float
        ``lambda``: distance over which the coupling falls by ``e``, mm (calibrated).
    vein_foundation_n_per_mm2 : float
        Foundation of the vein in the atrioventricular groove, N/mm per mm (assumed: a tenth
        of the annulus's, soft fat).
    vein_axial_rigidity_n : float
        ``EA`` of the vein wall in tension, N (assumed: a 0.5 mm wall of a 10 mm vein at
        1 MPa).
    vein_bending_n_mm2 : float
        ``EI`` of the vein, N mm^2 (assumed, small: it keeps the node chain smooth).
    """

    stiffness_n_per_mm2: float = 1.0
    decay_mm: float = 10.0
    vein_foundation_n_per_mm2: float = 0.00118
    vein_axial_rigidity_n: float = 15.0
    vein_bending_n_mm2: float = 0.5

    def __post_init__(self) -> None:
        require_positive(self, "coupling", tuple(asdict(self)))

    def to_dict(self) -> dict[str, float]:
        """JSON-ready fields."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, eq=False)
class DeviceOutcome:
    """What a percutaneous device did (valve frame, mm; N).

    Attributes
    ----------
    spec : DeviceSpec
    wire_tension_n : float
        Tension of the ribbon or contraction wire at equilibrium.
    wire_length_mm : tuple of float
        The wire's length between its end anchors, native and at equilibrium.
    anchor_names : tuple of str
        ``distal``, ``proximal`` (coronary-sinus device) or ``1`` .. ``N`` (band, from the
        anterolateral end).
    anchor_points_valve : (a, 3) float
        The anchors at equilibrium.
    anchor_forces_n : (a,) float
    pullout_strength_n : float
        The reference strength the forces are compared with (posterior annulus mean).
    warnings : tuple of str
        One line per anchor whose force reaches ``warn_fraction`` of the strength.
    vein_strain : float or None
        Coronary-sinus device: engineering strain of the vein between the anchors (negative:
        plicated); None for a band.
    vein_before_valve, vein_after_valve : (m, 3) float or None
        The vein nodes, native and at equilibrium (coronary-sinus device).
    coupling : CouplingModel or None
    """

    spec: DeviceSpec
    wire_tension_n: float
    wire_length_mm: tuple[float, float]
    anchor_names: tuple[str, ...]
    anchor_points_valve: FloatArray
    anchor_forces_n: FloatArray
    pullout_strength_n: float
    warnings: tuple[str, ...]
    vein_strain: float | None = None
    vein_before_valve: FloatArray | None = None
    vein_after_valve: FloatArray | None = None
    coupling: CouplingModel | None = None

    @property
    def type(self) -> str:
        """``coronary-sinus`` or ``transcatheter-band``."""
        return self.spec.type

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready results (the ``device`` key of the ``annuloplasty`` results)."""
        anchors = [
            {
                "name": name,
                "force_n": float(force),
                "point_after_valve_mm": [round(float(c), 4) for c in point],
                "near_pullout": bool(any(w.startswith(f"anchor {name} ") for w in self.warnings)),
            }
            for name, force, point in zip(
                self.anchor_names, self.anchor_forces_n, self.anchor_points_valve, strict=True
            )
        ]
        out: dict[str, Any] = {
            "type": self.type,
            "family": self.spec.family.id,
            "size_mm": self.spec.size_mm,
            "cinch_mm": self.spec.cinch_mm,
            "cinch_percent": round(self.spec.cinch_percent, 4),
            "wire_tension_n": self.wire_tension_n,
            "wire_length_native_mm": self.wire_length_mm[0],
            "wire_length_after_mm": self.wire_length_mm[1],
            "anchors": anchors,
            "anchor_force_max_n": float(self.anchor_forces_n.max(initial=0.0)),
            "pullout_strength_n": self.pullout_strength_n,
            "anchor_warnings": list(self.warnings),
        }
        if self.vein_strain is not None:
            out["coronary_sinus_strain"] = self.vein_strain
        if self.vein_after_valve is not None:
            out["coronary_sinus_after_mm"] = [
                [round(float(c), 4) for c in p] for p in self.vein_after_valve
            ]
        if self.coupling is not None:
            out["coupling"] = self.coupling.to_dict()
        return out


def simulate_percutaneous(
    annulus: Annulus,
    spec: DeviceSpec,
    *,
    cs_path_valve: FloatArray | None = None,
    distal_offset_mm: float = 0.0,
    tissue: TissueModel | None = None,
    coupling: CouplingModel | None = None,
    annulus_nodes: int | None = None,
    rtol: float = 1e-8,
    max_iterations: int = 100,
    warn_fraction: float = DEFAULT_WARN_FRACTION,
    pre: Measurements | None = None,
    progress: Callable[[int, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> AnnuloplastyResult:
    """Cinch a percutaneous device and solve for the reshaped annulus.

    Parameters
    ----------
    annulus : Annulus
    spec : DeviceSpec
        The device, its size and cinch.
    cs_path_valve : (m, 3) float, mm, optional
        The coronary-sinus centreline in the valve frame, ordered from the ostium (proximal)
        to the great cardiac vein (distal). Required for a coronary-sinus device, ignored for
        a band.
    distal_offset_mm : float
        Where a coronary-sinus device sits: its distal anchor this far back (along the vein)
        from the distal end of the path, mm (0: at the end).
    tissue : TissueModel, optional
    coupling : CouplingModel, optional
        The vein and the tissue between it and the annulus (coronary-sinus devices).
    annulus_nodes, rtol, max_iterations, warn_fraction, pre, progress, cancel
        As :func:`mvplan.planning.annuloplasty.simulate_annuloplasty`.

    Raises
    ------
    InputError
        A device longer than the vein path or the posterior annulus, a missing vein path.
    mvplan.mechanics.NotConverged
        The solve did not converge.
    """
    tissue = tissue or TissueModel()
    if not (0.0 < warn_fraction <= 1.0):
        raise InputError(f"warn fraction must be in (0, 1], got {warn_fraction}")
    body = annulus_tissue(annulus, tissue, annulus_nodes)
    pre = measure(annulus) if pre is None else pre
    coupling = (coupling or CouplingModel()) if spec.type == CS_DEVICE else None
    model = _device_model(annulus, body, spec, cs_path_valve, coupling, distal_offset_mm)
    energy = Sum([*body.terms, *model.terms])
    x = np.vstack([body.native, model.nodes])
    # The residual scale: the out-of-balance force the moment the whole cinch is applied (the
    # analogue of a ring's suture pretension); an uncinched device has none (absolute floor).
    model.wire.set_cinch(spec.cinch_mm)
    load_norm = float(np.linalg.norm(energy.gradient(x)))
    # The wire is nearly inextensible, so the full cinch at once pulls hundreds of newtons on
    # the first iterate; the cinch is taken up in steps of at most CINCH_STEP_MM, each solve
    # warm-started from the last (only the last one is the answer, at the full cinch).
    steps = max(1, int(np.ceil(spec.cinch_mm / CINCH_STEP_MM)))
    iterations, time_ms = 0, 0.0
    for k in range(1, steps + 1):
        model.wire.set_cinch(spec.cinch_mm * k / steps)
        result = solve(
            energy,
            x,
            load_norm=load_norm,
            rtol=rtol,
            max_iterations=max_iterations,
            progress=progress,
            cancel=cancel,
        )
        x = result.x
        iterations += result.iterations
        time_ms += result.time_ms
    result = replace(result, iterations=iterations, time_ms=time_ms)
    return _result(annulus, body, model, spec, result, pre, tissue, coupling, warn_fraction)


@dataclass(frozen=True, eq=False)
class PlacedDevice:
    """A device where it is placed, before any cinch (valve frame, mm).

    Attributes
    ----------
    wire_valve : (k, 3) float
        The nodes its wire runs through (a coronary-sinus device: the vein between the
        anchors, proximal first; a band: its anchors).
    anchor_names : tuple of str
        As :attr:`DeviceOutcome.anchor_names`.
    anchors_valve : (a, 3) float
        The anchors, in the order of ``anchor_names``.
    vein_valve : (m, 3) float or None
        The whole vein model (a coronary-sinus device), else None.
    """

    wire_valve: FloatArray
    anchor_names: tuple[str, ...]
    anchors_valve: FloatArray
    vein_valve: FloatArray | None


def placed_device(
    annulus: Annulus,
    spec: DeviceSpec,
    *,
    cs_path_valve: FloatArray | None = None,
    distal_offset_mm: float = 0.0,
    annulus_nodes: int | None = None,
) -> PlacedDevice:
    """The device's model nodes as placed, without solving or measuring anything (what the
    safety geometry and the exports need of a plan not simulated yet).

    ``distal_offset_mm`` as :func:`simulate_percutaneous`.

    Raises
    ------
    InputError
        As :func:`simulate_percutaneous`: a device longer than its vein or the posterior
        annulus, a missing vein path.
    """
    body = annulus_tissue(annulus, TissueModel(), annulus_nodes)
    coupling = CouplingModel() if spec.type == CS_DEVICE else None
    model = _device_model(annulus, body, spec, cs_path_valve, coupling, distal_offset_mm)
    x = np.vstack([body.native, model.nodes])
    names, anchor_nodes = _anchors(model)
    return PlacedDevice(
        x[model.wire.nodes], names, x[anchor_nodes], None if model.vein is None else model.nodes
    )


def _device_model(
    annulus: Annulus,
    body: AnnulusTissue,
    spec: DeviceSpec,
    cs_path_valve: FloatArray | None,
    coupling: CouplingModel | None,
    distal_offset_mm: float = 0.0,
) -> _DeviceModel:
    """The coronary-sinus device's or the band's nodes and terms."""
    if spec.type != CS_DEVICE:
        return _band_model(annulus, body, spec)
    if cs_path_valve is None:
        raise InputError(f"{spec.family.id} needs a coronary-sinus path")
    assert coupling is not None
    return _cs_model(body, spec, np.asarray(cs_path_valve, float), coupling, distal_offset_mm)


def _anchors(model: _DeviceModel) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """Anchor names and their nodes: a band's anchors from the anterolateral end, or a
    coronary-sinus device's distal and proximal ends of its wire."""
    wire = model.wire.nodes
    if model.anchor_springs is not None:
        return tuple(str(i + 1) for i in range(wire.size)), wire
    return ("distal", "proximal"), wire[[-1, 0]]


@dataclass(frozen=True)
class _DeviceModel:
    """The device's nodes (after the annulus's) and terms.

    ``nodes`` are the native positions of the extra nodes; ``wire`` the cinching element;
    ``ties`` the springs that hold the device to the annulus (a band's anchors, the vein's
    coupling); ``anchor_springs`` and ``anchor_u`` a band's anchors and their annulus
    parameters (None for a coronary-sinus device); ``vein`` the vein's node indices.
    """

    nodes: FloatArray
    terms: tuple[Any, ...]
    wire: _Wire
    ties: Sutures
    anchor_springs: Sutures | None
    anchor_u: FloatArray | None
    vein: npt.NDArray[np.int64] | None


def _cs_model(
    body: AnnulusTissue,
    spec: DeviceSpec,
    path: FloatArray,
    coupling: CouplingModel,
    distal_offset_mm: float = 0.0,
) -> _DeviceModel:
    """The vein along ``path``, its coupling to the annulus and the device's ribbon, its
    distal anchor ``distal_offset_mm`` back from the distal end of the path."""
    if path.ndim != 2 or path.shape[1] != 3 or path.shape[0] < 2 or not np.isfinite(path).all():
        raise InputError("the coronary-sinus path must be at least 2 finite points (m, 3)")
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    length = float(s[-1])
    if not (np.isfinite(distal_offset_mm) and distal_offset_mm >= 0.0):
        raise InputError(f"the distal anchor offset must be >= 0 mm, got {distal_offset_mm!r}")
    if spec.size_mm + distal_offset_mm > length - 1e-6:
        where = f", distal anchor {distal_offset_mm:g} mm from its end" if distal_offset_mm else ""
        raise InputError(
            f"{spec.family.id} {spec.size_mm:g} mm is longer than the coronary-sinus path "
            f"({length:.1f} mm{where}): choose a shorter device or a longer path"
        )
    # Distal anchor deep in the great cardiac vein (the distal end of the path, or the offset
    # back from it), proximal anchor the device's length back toward the ostium; nodes land
    # on both anchors, and the vein goes on beyond them.
    distal_s = length - distal_offset_mm
    proximal_s = distal_s - spec.size_mm
    span = np.linspace(proximal_s, distal_s, int(np.ceil(spec.size_mm / VEIN_SPACING_MM)) + 1)
    before = np.linspace(0.0, proximal_s, max(2, int(np.ceil(proximal_s / VEIN_SPACING_MM)) + 1))
    beyond = np.linspace(
        distal_s, length, max(2, int(np.ceil(distal_offset_mm / VEIN_SPACING_MM)) + 1)
    )
    stations = span
    if proximal_s > 1e-9:
        stations = np.concatenate([before[:-1], stations])
    if distal_offset_mm > 1e-9:
        stations = np.concatenate([stations, beyond[1:]])
    vein = np.stack([np.interp(stations, s, path[:, c]) for c in range(3)], axis=1)
    first_device = before.size - 1 if proximal_s > 1e-9 else 0
    device = slice(first_device, first_device + span.size)
    n = body.n
    m = vein.shape[0]
    ids = n + np.arange(m)
    seg = np.linalg.norm(np.diff(vein, axis=0), axis=1)
    share = np.zeros(m)
    share[:-1] += 0.5 * seg
    share[1:] += 0.5 * seg
    # A wide smoothing band: with the annulus's 0.2 % the plicated vein's segments flip between
    # slack and taut from one Newton iterate to the next and the solve cycles.
    band = VEIN_SLACK_BAND * seg
    # The nearest point of the native annulus polyline to each vein node, and the coupling.
    u, distance = _nearest_on_closed(body.native, vein)
    pairs, weight = _segment_pairs(u, n, closed=True)
    stiffness = coupling.stiffness_n_per_mm2 * share * np.exp(-distance / coupling.decay_mm)
    native_gap = (
        (1.0 - weight)[:, None] * body.native[pairs[:, 0]]
        + weight[:, None] * body.native[pairs[:, 1]]
        - vein
    )
    couple = Sutures(
        np.column_stack([pairs, ids, ids]),
        np.column_stack([1.0 - weight, weight, -np.ones(m), np.zeros(m)]),
        stiffness,
        offset=native_gap,
    )
    wire = _Wire(ids[device], vein[device], spec, sliding=False)
    terms = (
        Springs(
            np.stack([ids[:-1], ids[1:]], axis=1),
            seg + 0.5 * band,
            coupling.vein_axial_rigidity_n / seg,
            tension_only=True,
            slack_width=band,
        ),
        LinearBending(ids, vein, coupling.vein_bending_n_mm2, closed=False),
        Foundation(ids, vein, coupling.vein_foundation_n_per_mm2 * share),
        couple,
        wire.term,
    )
    return _DeviceModel(vein, terms, wire, couple, None, None, ids)


class _Wire:
    """A device's cinching element through the node chain ``nodes``, with a settable cinch.

    ``sliding`` (a band's contraction wire): one :class:`SlidingCable`, the same tension
    throughout. Otherwise (a coronary-sinus ribbon): one tension-only spring per segment, each
    shortened by the same fraction. Either way the element is slack up to its native length:
    the smoothing band lies just above the rest length, so an uncinched device pulls nothing.

    Parameters
    ----------
    chain : (m,) int
        Global node indices the element runs through.
    native : (m, 3) float, mm
        Their native positions.
    """

    def __init__(
        self, chain: npt.NDArray[np.int64], native: FloatArray, spec: DeviceSpec, sliding: bool
    ) -> None:
        self.nodes = np.asarray(chain, dtype=np.int64)
        self.segments = np.linalg.norm(np.diff(native, axis=0), axis=1)
        self.native_mm = float(self.segments.sum())
        ea = spec.family.wire_axial_rigidity_n
        self.term: SlidingCable | Springs
        if sliding:
            width = SLACK_BAND * self.native_mm
            self.term = SlidingCable(self.nodes, self.native_mm, ea, slack_width=width)
        else:
            self.term = Springs(
                np.stack([self.nodes[:-1], self.nodes[1:]], axis=1),
                self.segments,
                ea / self.segments,
                tension_only=True,
                slack_width=WIRE_SLACK_BAND * self.segments,
            )
        self.set_cinch(0.0)

    def set_cinch(self, cinch_mm: float) -> None:
        """Shorten the element by ``cinch_mm`` (over its whole length)."""
        if isinstance(self.term, SlidingCable):
            self.term.rest_length = self.native_mm + 0.5 * self.term.slack_width - cinch_mm
        else:
            fraction = cinch_mm / self.native_mm
            self.term.rest_length = self.segments * (1.0 - fraction) + 0.5 * self.term.slack_width

    def length(self, x: FloatArray) -> float:
        """Length between the end anchors, mm."""
        return float(np.linalg.norm(np.diff(x[self.nodes], axis=0), axis=1).sum())

    def end_tensions(self, x: FloatArray) -> tuple[float, float]:
        """Tension at the first and at the last node of the chain, N."""
        if isinstance(self.term, SlidingCable):
            t = self.term.tension(x)
            return t, t
        tensions = self.term.tensions(x)
        return float(tensions[0]), float(tensions[-1])

    def tension(self, x: FloatArray) -> float:
        """Mean tension along the element, N (a sliding cable's: its one tension)."""
        if isinstance(self.term, SlidingCable):
            return self.term.tension(x)
        return float(np.mean(self.term.tensions(x)))


def _band_model(annulus: Annulus, body: AnnulusTissue, spec: DeviceSpec) -> _DeviceModel:
    """The band's anchors on the posterior annulus and its contraction wire."""
    anchor_u = _band_anchor_parameters(annulus, spec)
    n = body.n
    count = anchor_u.size
    ids = n + np.arange(count)
    pairs, weight = _segment_pairs(anchor_u, n, closed=True)
    points = (1.0 - weight)[:, None] * body.native[pairs[:, 0]] + weight[:, None] * body.native[
        pairs[:, 1]
    ]
    springs = Sutures.between(
        pairs,
        weight,
        np.stack([ids, ids], axis=1),
        np.zeros(count),
        spec.family.anchor_stiffness_n_per_mm,
    )
    wire = _Wire(ids, points, spec, sliding=True)
    return _DeviceModel(points, (springs, wire.term), wire, springs, springs, anchor_u, None)


def _band_anchor_parameters(annulus: Annulus, spec: DeviceSpec) -> FloatArray:
    """Annulus parameters of a band's anchors, from the anterolateral end, spaced evenly in
    arc length over ``size_mm`` centred on P along the posterior annulus (trigone to trigone,
    else commissure to commissure)."""
    marks = annulus.landmarks
    ends = next(
        (pair for pair in (("ALT", "PMT"), ("ALC", "PMC")) if all(k in marks for k in pair)),
        None,
    )
    if ends is None or "A" not in marks:
        raise InputError(
            "a transcatheter band needs the trigones or the commissures and A to find the "
            "posterior annulus"
        )
    start, end, a = (marks[k].u for k in (*ends, "A"))
    forward = np.mod(end - start, 1.0)
    through_a = np.mod(a - start, 1.0) < forward
    # Run from the anterolateral end over the posterior arc (the one without A).
    direction = -1.0 if through_a else 1.0
    arc = (1.0 - forward) if through_a else forward
    perimeter = annulus.perimeter_mm
    arc_mm = arc * perimeter
    if spec.size_mm > arc_mm - 1e-6:
        raise InputError(
            f"{spec.family.id} {spec.size_mm:g} mm is longer than the posterior annulus "
            f"({ends[0]} to {ends[1]}: {arc_mm:.1f} mm): choose a smaller band"
        )
    if "P" in marks:
        centre = np.mod(direction * (marks["P"].u - start), 1.0) * perimeter
    else:
        centre = 0.5 * arc_mm
    half = 0.5 * spec.size_mm
    centre = float(np.clip(centre, half, arc_mm - half))
    along = np.linspace(centre - half, centre + half, spec.family.anchor_count(spec.size_mm))
    return np.asarray(np.mod(start + direction * along / perimeter, 1.0))


def _nearest_on_closed(polyline: FloatArray, points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Parameter ``u`` in [0, 1) (node ``i`` at ``i / n``) and distance of the nearest point of
    the closed ``polyline (n, 3)`` to each of ``points (m, 3)``."""
    a = polyline
    d = np.roll(polyline, -1, axis=0) - a
    rel = points[:, None, :] - a[None, :, :]
    t = np.clip(np.einsum("mnc,nc->mn", rel, d) / np.einsum("nc,nc->n", d, d), 0.0, 1.0)
    gap = rel - t[..., None] * d[None]
    dist = np.linalg.norm(gap, axis=2)
    best = np.argmin(dist, axis=1)
    rows = np.arange(points.shape[0])
    n = polyline.shape[0]
    return np.mod((best + t[rows, best]) / n, 1.0), dist[rows, best]


def _result(
    annulus: Annulus,
    body: AnnulusTissue,
    model: _DeviceModel,
    spec: DeviceSpec,
    solved: SolveResult,
    pre: Measurements,
    tissue: TissueModel,
    coupling: CouplingModel | None,
    warn_fraction: float,
) -> AnnuloplastyResult:
    n = body.n
    x = solved.x
    ann_after = x[:n]
    extra_after = x[n:]
    wire_nodes = model.wire.nodes
    tension = model.wire.tension(x)
    native_wire = model.wire.native_mm
    strength = PULLOUT_STRENGTH_N["posterior"]
    vein_strain = None
    vein_before = vein_after = None
    names, anchor_nodes = _anchors(model)
    anchors = x[anchor_nodes]
    if model.anchor_springs is not None and model.anchor_u is not None:
        forces = model.anchor_springs.forces(x)
        regions = _regions(annulus, model.anchor_u)
        if any(r != "posterior" for r in regions):  # a band reaching past a trigone
            strength = min(PULLOUT_STRENGTH_N[r] for r in regions)
    else:
        proximal, distal = model.wire.end_tensions(x)
        forces = np.array([distal, proximal])
        vein_before, vein_after = model.nodes, extra_after
        vein_strain = model.wire.length(x) / native_wire - 1.0
    warnings = tuple(
        f"anchor {name} pulls {f:.2f} N, {100 * f / strength:.0f} % of the mean posterior "
        f"pull-out strength ({strength} N)"
        for name, f in zip(names, forces, strict=True)
        if f >= warn_fraction * strength
    )
    outcome = DeviceOutcome(
        spec=spec,
        wire_tension_n=float(tension),
        wire_length_mm=(native_wire, model.wire.length(x)),
        anchor_names=names,
        anchor_points_valve=np.asarray(anchors),
        anchor_forces_n=np.asarray(forces, float),
        pullout_strength_n=strength,
        warnings=warnings,
        vein_strain=vein_strain,
        vein_before_valve=vein_before,
        vein_after_valve=vein_after,
        coupling=coupling,
    )
    after = deformed_annulus(
        annulus, body.node_u, annulus.to_valve_frame.inverse().apply(ann_after)
    )
    wire_before = np.vstack([body.native, model.nodes])[wire_nodes]
    empty = np.zeros(0)
    return AnnuloplastyResult(
        pre=pre,
        post=measure(after),
        annulus_after=after,
        annulus_before_valve=body.native,
        annulus_after_valve=ann_after,
        ring_before_valve=wire_before,
        ring_after_valve=x[wire_nodes],
        suture_forces_n=empty,
        suture_regions=(),
        suture_warnings=warnings,
        tissue_strain=_strain(ann_after, body.chords),
        ring_deformation_mm=np.zeros(wire_nodes.size),
        ring_model="coronary-sinus device" if spec.type == CS_DEVICE else "transcatheter band",
        ring_max_rotation_rad=0.0,
        solve=solved,
        state=AnnuloplastyState(ann_after.copy(), x[wire_nodes].copy()),
        tissue=tissue,
        warn_fraction=warn_fraction,
        model=AnnuloplastyModel(
            Sum([*body.terms, *model.terms]),
            None,
            body.foundation,
            model.anchor_springs or model.terms[3],
        ),
        device=outcome,
    )
