"""The annuloplasty simulation: tie a placed ring's sutures and let the annulus reshape.

Model (DESIGN.md section 6)
---------------------------
All positions are in the annulus valve frame, mm; forces N.

- **Annulus tissue**: a closed rod through ``n`` nodes at equal arc-length steps of the native
  curve (stress-free there), with
  - axial springs that resist stretch only (:class:`~mvplan.mechanics.Springs`, tension-only,
    rigidity ``EA``): collagenous annulus tissue bunches rather than carrying compression, so a
    downsizing ring's load goes to the surrounding myocardium, not into hoop compression (which
    would also buckle the rod between sutures);
  - isotropic linear bending about the native shape
    (:class:`~mvplan.mechanics.linear_bending.LinearBending`, ``EI``);
  - an isotropic elastic foundation to the native position (``k_f`` per mm of annulus): the
    ventricular and atrial myocardium around the annulus.
- **Ring**: rigid rings (every segment of class ``rigid``) are one rigid body
  (:class:`~mvplan.mechanics.RigidReduced`, six DOFs); the others are floating elastic rods
  (:class:`~mvplan.mechanics.floating.ElasticRing`) with their family's in-plane and
  out-of-plane bending, twist and axial rigidities per segment (:mod:`mvplan.rings.stiffness`),
  linear elastic about a frame held at the rigid pose that best fits the ring's suture legs to
  their points on the native annulus (least squares, :func:`_ring_onto`). That frame depends
  on the placement alone, so the model is the same whatever the solve starts from; the reduced
  Hessian is ``J^T H J + K``, positive semi-definite, and every Newton step is exact. The rigid
  motion from that frame to equilibrium is small (about 0.01 rad on the bundled samples), so
  the linearisation about it costs nothing measurable (the AP reduction of a Physio-like ring
  moved by 0.01 % against a frame at the rigid-ring equilibrium). The ring floats: only its
  sutures hold it.
- **Sutures**: horizontal mattress sutures, each two zero-length stiff springs (``k_s``) a bite
  ``b`` apart, from the annulus to the ring (tied: the ring's cuff is drawn onto the tissue).
  A suture's force is the magnitude of the resultant of its two legs.

Convergence is judged against the suture pretension (the out-of-balance force at the moment
of tying): ``||residual|| <= rtol * ||grad E(x0)||``.

Calibration of the tissue defaults
-----------------------------------
``EA``, ``EI``, ``k_s`` and ``b`` are set from tissue dimensions and moduli in
:class:`TissueModel`; the foundation stiffness ``k_f`` was then solved for (Brent's method)
so that the mean suture force of a rigid complete ring (classic-like, 14 sutures, automatic
placement) 32 % smaller than the bundled healthy annulus's commissural width (35.0 mm ->
24 mm ring) is 1.15 N, the middle of Jensen 2013's 0.8-1.5 N per suture at 32 % downsizing
(DOMAIN.md): ``k_f = 0.0118``. The suture forces depend on ``EI`` as much as on ``k_f`` (at
``k_f -> 0`` the same case still pulls 1.0 N with ``EI = 5``, 1.6 N with ``EI = 20``), so the
calibration fixes the pair, not each alone. ``tests/planning/test_annuloplasty.py`` holds the
case in Jensen's range and checks that a true-sized ring on a matching annulus pulls almost
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial.transform import Rotation

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus, deformed_annulus
from mvplan.geometry.measurements import Measurements, measure
from mvplan.mechanics import (
    Foundation,
    RigidReduced,
    RigidRingMap,
    SolveResult,
    Springs,
    Sum,
    Sutures,
    solve,
)
from mvplan.mechanics.floating import ElasticRing
from mvplan.mechanics.frame import frame_stiffness, rod_edges
from mvplan.mechanics.linear_bending import LinearBending
from mvplan.planning.placement import Placement
from mvplan.planning.sutures import Suture, check_sutures
from mvplan.rings.geometry import ring_geometry
from mvplan.rings.spec import RingSpec
from mvplan.rings.stiffness import segment_stiffness, stiffness_profile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "PULLOUT_STRENGTH_N",
    "AnnuloplastyModel",
    "AnnuloplastyResult",
    "AnnuloplastyState",
    "AnnulusTissue",
    "TissueModel",
    "annulus_tissue",
    "require_positive",
    "simulate_annuloplasty",
]

#: Mean suture pull-out strength by annulus region, N (Ann Thorac Surg 2016, DOMAIN.md):
#: anterior 6.4 +- 3.6, posterior 3.9 +- 1.6.
PULLOUT_STRENGTH_N: Mapping[str, float] = {"anterior": 6.4, "posterior": 3.9}

#: Default fraction of the mean pull-out strength at which a suture is flagged. At 0.5 the
#: posterior flag (1.95 N) sits 1.2 standard deviations below the posterior mean.
DEFAULT_WARN_FRACTION = 0.5

#: Width of the tissue cables' smoothing band, as a fraction of their native length.
SLACK_BAND = 0.002

#: Ring nodes of the mechanics model (about 1.5 mm apart on a 30 mm ring).
RING_NODES = 64


@dataclass(frozen=True)
class TissueModel:
    """Mechanical parameters of the annulus and the sutures.

    Attributes
    ----------
    foundation_n_per_mm2 : float
        ``k_f``: stiffness of the surrounding myocardium per mm of annulus, N/mm per mm.
        Calibrated (module docstring): 0.0118 puts the 32 %-downsizing case at 1.15 N per
        suture.
    axial_rigidity_n : float
        ``EA`` of the annulus in tension, N: a collagenous band of about 2 x 2 mm at 25 MPa
        (the order of fibrous tissue along its fibres; assumed). It keeps the unsupported
        anterior annulus from being drawn out by a band's end sutures (at 10 N a band
        stretched it 7 %).
    bending_rigidity_n_mm2 : float
        ``EI`` of the annulus, N mm^2: the same 2 x 2 mm band at about 4 MPa
        (``I = 4/3 mm^4``; assumed). With ``k_f`` it sets the length over which the annulus
        follows a suture, ``(4 EI / k_f)^(1/4)``, about 6 mm by default. Suture forces grow
        with it: the ring must bend the tissue to its own curvature.
    suture_stiffness_n_per_mm : float
        ``k_s`` of each leg of a tied suture, N/mm (assumed): stiff enough that a 2 N suture
        leaves a 0.05 mm gap.
    suture_bite_mm : float
        Width of a horizontal mattress suture's bite along the annulus and the ring, mm
        (assumed, typical technique).
    """

    foundation_n_per_mm2: float = 0.0118
    axial_rigidity_n: float = 100.0
    bending_rigidity_n_mm2: float = 5.0
    suture_stiffness_n_per_mm: float = 20.0
    suture_bite_mm: float = 4.0

    def __post_init__(self) -> None:
        require_positive(
            self,
            "tissue",
            (
                "foundation_n_per_mm2",
                "axial_rigidity_n",
                "bending_rigidity_n_mm2",
                "suture_stiffness_n_per_mm",
            ),
        )
        if not (np.isfinite(self.suture_bite_mm) and self.suture_bite_mm >= 0.0):
            raise InputError(f"tissue suture_bite_mm must be >= 0, got {self.suture_bite_mm!r}")

    def to_dict(self) -> dict[str, float]:
        """JSON-ready fields."""
        return {k: float(v) for k, v in asdict(self).items()}


def require_positive(values: object, what: str, names: tuple[str, ...]) -> None:
    """An InputError naming the first of the fields ``names`` of ``values`` that is not a
    finite number above 0 (model parameters: stiffnesses, lengths)."""
    for name in names:
        value = float(getattr(values, name))
        if not (np.isfinite(value) and value > 0.0):
            raise InputError(f"{what} {name} must be finite and > 0, got {value!r}")


@dataclass(frozen=True)
class AnnuloplastyModel:
    """The solved mechanics problem, for checks: the total energy and its terms.

    Attributes
    ----------
    system : EnergyTerm-like
        The total energy over the reduced configuration (``RigidReduced`` or ``ElasticRing``),
        N mm; ``solve.x`` is its minimiser over ``free``.
    free : bool array or None
        Free pseudo-nodes of ``system`` (None: all).
    foundation, sutures : the terms holding the annulus to its native place and the ring to it.
    """

    system: Any
    free: Any
    foundation: Foundation
    sutures: Sutures


@dataclass(frozen=True)
class AnnuloplastyState:
    """A solved configuration, for warm starts (valve frame, mm).

    Attributes
    ----------
    annulus_points : (n, 3) float
        The annulus nodes at equilibrium.
    ring_points : (r, 3) float
        The ring nodes at equilibrium.
    annulus_leg_u : (2 k,) float, optional
        Annulus parameters of the suture legs (a warm start moves the tissue with them).
    ring_deformation : (r, 6) float, optional
        Elastic displacement (mm) and rotation (rad) of each ring node in the ring's own
        frame (elastic rings).
    """

    annulus_points: FloatArray
    ring_points: FloatArray
    annulus_leg_u: FloatArray | None = None
    ring_deformation: FloatArray | None = None


@dataclass(frozen=True)
class AnnuloplastyResult:
    """What the simulation found (all positions in the annulus valve frame unless noted).

    Attributes
    ----------
    pre, post : Measurements
        DESIGN.md section 4 measurements of the native and reshaped annulus.
    annulus_after : Annulus
        The reshaped annulus (input frame), landmarks carried with the tissue.
    annulus_before_valve, annulus_after_valve : (n, 3) float, mm
        The mechanics nodes of the annulus before and after.
    ring_before_valve, ring_after_valve : (r, 3) float, mm
        The ring's nodes as placed and at equilibrium.
    suture_forces_n : (k,) float, N
    suture_regions : tuple of str
        ``anterior`` or ``posterior`` (the annulus region each suture is sewn to).
    suture_warnings : tuple of str
        One line per suture whose force reaches ``warn_fraction`` of its region's pull-out
        strength.
    tissue_strain : (n,) float
        Engineering strain of each annulus segment (node ``i`` to ``i + 1``), negative in
        compression.
    ring_deformation_mm : (r,) float
        Distance of each ring node from the rigid motion of the ring as placed that best fits
        (least squares) the ring at equilibrium: its change of shape, mm.
    ring_model : str
        ``rigid body`` or ``elastic rod`` (a ring), ``coronary-sinus device`` or
        ``transcatheter band`` (a percutaneous device: its wire's nodes are the "ring").
    ring_max_rotation_rad : float
        Largest cross-section rotation relative to the ring's frame (0 for rigid rings).
    solve : SolveResult
    state : AnnuloplastyState
    tissue : TissueModel
    warn_fraction : float
    device : DeviceOutcome or None
        A percutaneous device's own results (:mod:`mvplan.planning.percutaneous`): cinch,
        wire tension, anchor forces, coronary-sinus strain.
    """

    pre: Measurements
    post: Measurements
    annulus_after: Annulus
    annulus_before_valve: FloatArray
    annulus_after_valve: FloatArray
    ring_before_valve: FloatArray
    ring_after_valve: FloatArray
    suture_forces_n: FloatArray
    suture_regions: tuple[str, ...]
    suture_warnings: tuple[str, ...]
    tissue_strain: FloatArray
    ring_deformation_mm: FloatArray
    ring_model: str
    ring_max_rotation_rad: float
    solve: SolveResult
    state: AnnuloplastyState
    tissue: TissueModel
    warn_fraction: float
    sutures: tuple[Suture, ...] = field(default_factory=tuple)
    model: AnnuloplastyModel | None = None
    device: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready results (the ``annuloplasty`` key of ``mvplan simulate``)."""
        sutures = []
        for i, (s, force, region) in enumerate(
            zip(self.sutures, self.suture_forces_n, self.suture_regions, strict=True)
        ):
            strength = PULLOUT_STRENGTH_N[region]
            sutures.append(
                {
                    "index": i + 1,
                    "ring_u": round(s.ring_u, 6),
                    "annulus_u": round(s.annulus_u, 6),
                    "region": region,
                    "force_n": float(force),
                    "pullout_strength_n": strength,
                    "near_pullout": bool(force >= self.warn_fraction * strength),
                }
            )
        result = self.solve
        strain = self.tissue_strain
        extra = {} if self.device is None else {"device": self.device.to_dict()}
        change = {}
        for key, before in self.pre.values.items():
            after = self.post.values[key]
            change[key] = None if before is None or after is None else after - before
        return {
            "pre": self.pre.to_dict(),
            "post": self.post.to_dict(),
            "change": change,
            "sutures": sutures,
            "suture_warnings": list(self.suture_warnings),
            "suture_force_max_n": float(self.suture_forces_n.max(initial=0.0)),
            "suture_force_mean_n": float(self.suture_forces_n.mean())
            if self.suture_forces_n.size
            else 0.0,
            "tissue_strain": {
                "min": float(strain.min()),
                "max": float(strain.max()),
                "mean_abs": float(np.abs(strain).mean()),
                "per_segment": [round(float(v), 6) for v in strain],
            },
            "ring": {
                "model": self.ring_model,
                "deformation_max_mm": float(self.ring_deformation_mm.max(initial=0.0)),
                "deformation_mean_mm": float(self.ring_deformation_mm.mean())
                if self.ring_deformation_mm.size
                else 0.0,
                "max_rotation_rad": self.ring_max_rotation_rad,
                "points_after_valve_mm": _rounded(self.ring_after_valve),
            },
            "annulus_after_mm": _rounded(self.annulus_after.points),
            "tissue": self.tissue.to_dict(),
            "warn_fraction": self.warn_fraction,
            "solver": {
                "converged": bool(result.converged),
                "residual": float(result.residual),
                "residual_n": float(result.residual_abs),
                "tolerance_n": float(result.tolerance),
                "load_norm_n": float(result.load_norm),
                "roundoff_floor_n": float(result.roundoff_floor),
                "iterations": int(result.iterations),
                "time_ms": float(result.time_ms),
                "annulus_nodes": int(self.annulus_before_valve.shape[0]),
                "ring_nodes": int(self.ring_before_valve.shape[0]),
            },
        } | extra


def _strain(points: FloatArray, native_chords: FloatArray) -> FloatArray:
    """Engineering strain ``(n,)`` of each segment of a closed polyline (node i to i + 1)."""
    return np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1) / native_chords - 1.0


def _rounded(points: FloatArray) -> list[list[float]]:
    return [[round(float(c), 4) for c in p] for p in points]


# -- model ---------------------------------------------------------------------------------------


def _segment_pairs(u: FloatArray, count: int, closed: bool) -> tuple[FloatArray, FloatArray]:
    """Polyline segments ``(m, 2)`` and weights ``(m,)`` of the points at parameters ``u``."""
    if closed:
        s = np.mod(u, 1.0) * count
        i = np.floor(s).astype(np.int64) % count
        return np.stack([i, (i + 1) % count], axis=1), s - np.floor(s)
    s = np.clip(u, 0.0, 1.0) * (count - 1)
    i = np.minimum(np.floor(s).astype(np.int64), count - 2)
    return np.stack([i, i + 1], axis=1), s - i


def _legs(
    sutures: tuple[Suture, ...],
    annulus: Annulus,
    geo: Any,
    placement: Placement,
    bite_mm: float,
    closed: bool,
) -> tuple[FloatArray, FloatArray]:
    """Annulus and ring parameters ``(2 k,)`` of the two legs of each mattress suture.

    The legs are ``bite / 2`` either side of the suture along both curves; where the annulus
    parameter runs against the ring's, the annulus offsets are reversed so the legs do not
    cross. (Equal bites on both: the excess tissue of a downsized annulus gathers between the
    sutures, where the model lets it bunch.)
    """
    a = np.array([s.annulus_u for s in sutures])
    r = np.array([s.ring_u for s in sutures])
    da, dr = 0.5 * bite_mm / annulus.perimeter_mm, 0.5 * bite_mm / geo.length_mm
    if not closed:  # keep a band's end sutures on the band
        r = np.clip(r, dr, 1.0 - dr)
    ta = annulus.to_valve_frame.rotation @ annulus.curve.tangent(a).T  # (3, k)
    tr = placement.pose.rotation @ (geo.at(geo.t_at_u(r + 1e-4)) - geo.at(geo.t_at_u(r - 1e-4))).T
    sign = np.where(np.einsum("ik,ik->k", ta, tr) >= 0.0, 1.0, -1.0)
    return np.concatenate([a - sign * da, a + sign * da]), np.concatenate([r - dr, r + dr])


def _regions(annulus: Annulus, annulus_u: FloatArray) -> tuple[str, ...]:
    """``anterior`` (between the trigones, through A) or ``posterior`` for each parameter."""
    marks = annulus.landmarks
    ends = ("ALT", "PMT") if all(n in marks for n in ("ALT", "PMT")) else ("ALC", "PMC")
    if not all(n in marks for n in (*ends, "A")):
        return tuple("posterior" for _ in annulus_u)  # unknown: the weaker tissue
    start, end, a = (marks[n].u for n in (*ends, "A"))

    def on_arc(u: float) -> bool:
        return float(np.mod(u - start, 1.0)) <= float(np.mod(end - start, 1.0))

    anterior_forward = on_arc(a)
    return tuple(
        "anterior" if on_arc(float(u)) == anterior_forward else "posterior" for u in annulus_u
    )


def _is_rigid(spec: RingSpec) -> bool:
    return all(seg.stiffness_class == "rigid" for seg in segment_stiffness(spec))


def _ring_parameters(spec: RingSpec, count: int, legs: FloatArray) -> FloatArray:
    """Ring node parameters: ``count`` evenly spaced, with a node exactly at every suture leg.

    A leg between two nodes would sit on the chord, inside the curved ring by the chord's
    sagitta (0.02 mm at 1.5 mm spacing), and a stiff suture turns that into a spurious
    0.4 N; grid nodes closer than a third of the spacing to a leg give way to it.
    """
    grid = np.arange(count) / count if spec.closed else np.linspace(0.0, 1.0, count)
    legs = np.mod(legs, 1.0) if spec.closed else np.clip(legs, 0.0, 1.0)
    spacing = 1.0 / count
    gap = np.abs(grid[:, None] - legs[None, :])
    if spec.closed:
        gap = np.minimum(gap, 1.0 - gap)
    keep = gap.min(axis=1) > spacing / 3.0
    if not spec.closed:
        keep[[0, -1]] = True  # a band keeps its ends
    return np.unique(np.concatenate([grid[keep], legs]))


def _ring_stiffness(spec: RingSpec, u: FloatArray, rest: FloatArray, up: FloatArray) -> Any:
    edges = rod_edges(rest.shape[0], spec.closed)
    u_end = np.where(edges[:, 1] == 0, 1.0, u[edges[:, 1]])
    mid = 0.5 * (u[edges[:, 0]] + u_end)
    prof = stiffness_profile(spec, mid)
    return frame_stiffness(
        rest,
        closed=spec.closed,
        up=up,
        ei_in=prof[:, 0],
        ei_out=prof[:, 1],
        ea=prof[:, 2],
        gj=prof[:, 3],
    )


@dataclass(frozen=True)
class AnnulusTissue:
    """The annulus as a mechanics body: nodes ``0 .. n-1`` and the terms that hold them.

    Attributes
    ----------
    node_u : (n,) float
        Curve parameter of each node (equal arc-length steps of the native curve).
    native : (n, 3) float, mm
        The nodes on the native annulus, valve frame (stress-free).
    chords : (n,) float, mm
        Native length of each segment (node ``i`` to ``i + 1``).
    foundation : Foundation
        The surrounding myocardium.
    terms : tuple
        Tension-only axial cables, linear bending about the native shape, the foundation.
    """

    node_u: FloatArray
    native: FloatArray
    chords: FloatArray
    foundation: Foundation
    terms: tuple[Any, ...]

    @property
    def n(self) -> int:
        """Number of annulus nodes."""
        return int(self.native.shape[0])


def annulus_tissue(
    annulus: Annulus, tissue: TissueModel, annulus_nodes: int | None = None
) -> AnnulusTissue:
    """The annulus tissue model of the module docstring, on ``annulus_nodes`` nodes.

    Raises
    ------
    InputError
        Fewer than 16 nodes.
    """
    n = int(annulus_nodes or annulus.curve.count)
    if n < 16:
        raise InputError(f"the annulus model needs at least 16 nodes, got {n}")
    node_u = np.arange(n) / n
    native = annulus.to_valve_frame.apply(annulus.curve.evaluate(node_u))
    chords = np.linalg.norm(np.roll(native, -1, axis=0) - native, axis=1)
    voronoi = 0.5 * (chords + np.roll(chords, 1))
    pairs = rod_edges(n, closed=True)
    # The cable's smoothing band [L0, L0 + h] lies just above the native length, so the native
    # annulus is exactly stress-free (a band centred on L0 would pull with k h / 8 at rest).
    band = SLACK_BAND * chords
    foundation = Foundation(np.arange(n), native, tissue.foundation_n_per_mm2 * voronoi)
    terms = (
        Springs(
            pairs,
            chords + 0.5 * band,
            tissue.axial_rigidity_n / chords,
            tension_only=True,
            slack_width=band,
        ),
        LinearBending(np.arange(n), native, tissue.bending_rigidity_n_mm2, closed=True),
        foundation,
    )
    return AnnulusTissue(node_u, native, chords, foundation, terms)


def simulate_annuloplasty(
    annulus: Annulus,
    spec: RingSpec | None,
    placement: Placement | None,
    *,
    tissue: TissueModel | None = None,
    annulus_nodes: int | None = None,
    ring_nodes: int = RING_NODES,
    rtol: float = 1e-8,
    max_iterations: int = 100,
    warm_start: AnnuloplastyState | None = None,
    warn_fraction: float = DEFAULT_WARN_FRACTION,
    pre: Measurements | None = None,
    progress: Callable[[int, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> AnnuloplastyResult:
    """Tie the ring's sutures and solve for the equilibrium of annulus and ring.

    Parameters
    ----------
    annulus : Annulus
    spec : RingSpec or None
        None (with ``placement`` None): no device; the annulus stays as it is.
    placement : Placement or None
    tissue : TissueModel, optional
    annulus_nodes : int, optional
        Mechanics nodes on the annulus (default: the annulus's own resampled points).
    ring_nodes : int
    rtol, max_iterations : solver settings (DESIGN.md section 6).
    warm_start : AnnuloplastyState, optional
        A previous solution with the same node counts (e.g. before a pose edit; another
        discretisation is ignored). The tissue displacement is carried along the annulus with
        the suture legs, the ring is fitted to its sutures (least squares), and an elastic
        ring starts from its previous deformation. The equilibrium found is the cold solve's
        (to the tolerance): only the path to it changes.
    warn_fraction : float
        Flag sutures whose force reaches this fraction of the pull-out strength.
    pre : Measurements, optional
        ``measure(annulus)`` when the caller has it (a GUI re-solving on every pose edit need
        not measure the native annulus, its minimal surface included, each time).
    progress, cancel : callables passed to :func:`mvplan.mechanics.solve`.

    Raises
    ------
    InputError
        Fewer than 3 sutures, a ring placed too far from the annulus, inconsistent arguments.
    mvplan.mechanics.NotConverged
        The solve did not converge (carries the best state and its residual).
    """
    tissue = tissue or TissueModel()
    if (spec is None) != (placement is None):
        raise InputError("a ring needs a placement and a placement needs a ring")
    if not (0.0 < warn_fraction <= 1.0):
        raise InputError(f"warn fraction must be in (0, 1], got {warn_fraction}")
    body = annulus_tissue(annulus, tissue, annulus_nodes)
    n, node_u, native, chords = body.n, body.node_u, body.native, body.chords
    foundation, terms = body.foundation, list(body.terms)
    pre = measure(annulus) if pre is None else pre
    if spec is None or placement is None:
        return _no_device(
            annulus, pre, native, chords, terms, tissue, rtol, max_iterations, warn_fraction
        )

    sutures = placement.sutures
    check_sutures(annulus, spec, placement.pose, sutures)
    geo = ring_geometry(spec)
    r_count = int(ring_nodes)
    if r_count < 8:
        raise InputError(f"the ring model needs at least 8 nodes, got {r_count}")
    a_u, r_u = _legs(sutures, annulus, geo, placement, tissue.suture_bite_mm, spec.closed)
    ring_u = _ring_parameters(spec, r_count, r_u)
    r_count = ring_u.size
    ring_rest = placement.pose.apply(geo.at(geo.t_at_u(ring_u)))
    ring_ids = n + np.arange(r_count)
    a_pairs, a_w = _segment_pairs(a_u, n, closed=True)
    # Each ring leg is a node: a zero-weight pair (node, next node).
    at = np.searchsorted(ring_u, np.mod(r_u, 1.0) if spec.closed else r_u)
    at = np.minimum(at, r_count - 1)
    following = (at + 1) % r_count if spec.closed else np.where(at + 1 < r_count, at + 1, at - 1)
    r_pairs, r_w = np.stack([at, following], axis=1), np.zeros(at.size)
    suture_term = Sutures.between(a_pairs, a_w, r_pairs + n, r_w, tissue.suture_stiffness_n_per_mm)
    energy_full = Sum([*terms, suture_term])
    total = n + r_count

    x_start = np.vstack([native, ring_rest])
    rigid = _is_rigid(spec)
    ring_map = RigidRingMap(ring_rest)
    load_norm = _pretension(energy_full, x_start, ring_ids, ring_map)
    warm = _Warm.of(warm_start, native, a_u, r_count)
    settings: dict[str, Any] = {"rtol": rtol, "progress": progress, "cancel": cancel}
    system: Any
    free: Any = None
    if rigid:
        # The ring as one rigid body; Newton converges in a few exact steps. A warm start
        # carries the previous tissue along with the sutures and fits the ring to them.
        system = RigidReduced(energy_full, total, ring_ids, ring_map)
        y0 = system.reduced(x_start, np.zeros(6))
        if warm is not None:
            y0[:n] = warm.annulus()
            y0[-2:] = _ring_onto(np.vstack([y0[:n], ring_rest]), ring_rest, suture_term)
    else:
        # The ring linear elastic about a frame fitted to its sutures on the native annulus,
        # the frame held (module docstring): ElasticRing.free_mask(hold_frame=True).
        system = ElasticRing(
            energy_full,
            total,
            ring_ids,
            ring_rest,
            _ring_stiffness(spec, ring_u, ring_rest, placement.ring_normal),
        )
        y0 = system.reduced(x_start)
        y0[-2:] = _ring_onto(x_start, ring_rest, suture_term)
        free = system.free_mask(hold_frame=True)
        if warm is not None:
            y0[:n] = warm.annulus()
            if warm.state.ring_deformation is not None:  # in the ring's own (material) frame
                deformation = warm.state.ring_deformation
                y0[n : n + 2 * r_count] = np.vstack([deformation[:, :3], deformation[:, 3:]])
    result = solve(system, y0, free, load_norm=load_norm, max_iterations=max_iterations, **settings)
    x = system.expand(result.x)
    ann_after, ring_after = x[:n], x[n:]
    legs = suture_term.gaps(x) * tissue.suture_stiffness_n_per_mm  # (2k, 3)
    k = len(sutures)
    forces = np.linalg.norm(legs[:k] + legs[k:], axis=1)
    regions = _regions(annulus, np.array([s.annulus_u for s in sutures]))
    if rigid:
        deformation = np.zeros(r_count)
        max_rotation = 0.0
        ring_z = None
    else:
        u, theta, _, _ = system.parts(result.x)
        ring_z = np.hstack([u, theta])
        deformation = _shape_change(ring_rest, ring_after)
        max_rotation = system.max_relative_rotation(result.x)
    after = deformed_annulus(annulus, node_u, annulus.to_valve_frame.inverse().apply(ann_after))
    strain = _strain(ann_after, chords)
    warnings = tuple(
        f"suture {i + 1} ({region}): {f:.2f} N is {100 * f / PULLOUT_STRENGTH_N[region]:.0f} % "
        f"of the mean {region} pull-out strength ({PULLOUT_STRENGTH_N[region]} N)"
        for i, (f, region) in enumerate(zip(forces, regions, strict=True))
        if f >= warn_fraction * PULLOUT_STRENGTH_N[region]
    )
    return AnnuloplastyResult(
        pre=pre,
        post=measure(after),
        annulus_after=after,
        annulus_before_valve=native,
        annulus_after_valve=ann_after,
        ring_before_valve=ring_rest,
        ring_after_valve=ring_after,
        suture_forces_n=forces,
        suture_regions=regions,
        suture_warnings=warnings,
        tissue_strain=strain,
        ring_deformation_mm=deformation,
        ring_model="rigid body" if rigid else "elastic rod",
        ring_max_rotation_rad=max_rotation,
        solve=result,
        state=AnnuloplastyState(ann_after.copy(), ring_after.copy(), a_u.copy(), ring_z),
        tissue=tissue,
        warn_fraction=warn_fraction,
        sutures=tuple(sutures),
        model=AnnuloplastyModel(system, free, foundation, suture_term),
    )


def _pretension(energy: Sum, x: FloatArray, ring_ids: IntArray, ring_map: RigidRingMap) -> float:
    """The out-of-balance force the moment the sutures are tied, N (the residual scale).

    The norm of the rigid ring's reduced gradient at the ring's placed pose: the force on each
    annulus node, and the net force (N) and moment (N mm) on the ring. The same definition
    serves elastic rings, so a ring's class does not change what the tolerance means.
    """
    g = energy.gradient(x).reshape(-1, 3)
    tissue = np.delete(g, ring_ids, axis=0)
    ring = ring_map.jacobian(np.zeros(6)).T @ g[ring_ids].ravel()
    return float(np.sqrt(np.sum(tissue**2) + ring @ ring))


@dataclass(frozen=True)
class _Warm:
    """A usable previous state, its tissue carried along with the sutures to their new legs."""

    state: AnnuloplastyState
    native: FloatArray
    old_leg_u: FloatArray
    new_leg_u: FloatArray

    @classmethod
    def of(
        cls, state: AnnuloplastyState | None, native: FloatArray, leg_u: FloatArray, r_count: int
    ) -> _Warm | None:
        """None (start cold) without a state, or for one of another discretisation."""
        if state is None or state.annulus_leg_u is None:
            return None
        if state.annulus_points.shape != native.shape or state.ring_points.shape != (r_count, 3):
            return None
        if state.annulus_leg_u.shape != leg_u.shape:
            return None
        return cls(state, native, state.annulus_leg_u, leg_u)

    def annulus(self) -> FloatArray:
        """The previous annulus ``(n, 3)``, its displacement moved along with the sutures."""
        previous = self.state.annulus_points
        moved = _carried_displacement(previous - self.native, self.old_leg_u, self.new_leg_u)
        return self.native + moved


def _shape_change(rest: FloatArray, after: FloatArray) -> FloatArray:
    """Distance ``(r,)`` of each node of ``after`` from ``rest`` moved rigidly to fit it best."""
    rot, _ = Rotation.align_vectors(after - after.mean(axis=0), rest - rest.mean(axis=0))
    fitted = rot.apply(rest - rest.mean(axis=0)) + after.mean(axis=0)
    return np.asarray(np.linalg.norm(after - fitted, axis=1))


def _carried_displacement(
    displacement: FloatArray, old_leg_u: FloatArray, new_leg_u: FloatArray
) -> FloatArray:
    """The annulus displacement ``(n, 3)`` moved along the annulus with the suture legs.

    A ring moved along the annulus moves its sutures, and the tissue each suture gathers moves
    with it: node ``u`` takes the old displacement at ``u - shift(u)``, ``shift`` interpolated
    (periodically) between the legs' parameter shifts.
    """
    n = displacement.shape[0]
    node_u = np.arange(n) / n
    shift = np.mod(new_leg_u - old_leg_u + 0.5, 1.0) - 0.5
    at = np.mod(new_leg_u, 1.0)
    order = np.argsort(at)
    shift_at_nodes = np.interp(node_u, at[order], shift[order], period=1.0)
    source = np.mod(node_u - shift_at_nodes, 1.0)
    return np.stack(
        [np.interp(source, node_u, displacement[:, c], period=1.0) for c in range(3)], axis=1
    )


def _ring_onto(
    x: FloatArray, ring_rest: FloatArray, sutures: Sutures
) -> tuple[FloatArray, FloatArray]:
    """Rigid motion ``(t, w)`` of the ring (about its rest centroid) closest to its sutures.

    The least-squares fit (Kabsch) of the ring legs at rest onto their annulus legs in ``x``:
    the ring pose that minimises the suture energy with the annulus held.
    """
    annulus_legs = np.einsum("mj,mjc->mc", sutures.weights[:, :2], x[sutures.nodes[:, :2]])
    ring_legs = -np.einsum("mj,mjc->mc", sutures.weights[:, 2:], x[sutures.nodes[:, 2:]])
    c = ring_rest.mean(axis=0)
    a_mean, r_mean = annulus_legs.mean(axis=0), ring_legs.mean(axis=0)
    rot, _ = Rotation.align_vectors(annulus_legs - a_mean, ring_legs - r_mean)
    return a_mean - c - rot.apply(r_mean - c), rot.as_rotvec()


def _no_device(
    annulus: Annulus,
    pre: Measurements,
    native: FloatArray,
    chords: FloatArray,
    terms: list[Any],
    tissue: TissueModel,
    rtol: float,
    max_iterations: int,
    warn_fraction: float,
) -> AnnuloplastyResult:
    """No ring: the tissue alone, at rest where it is (solved, so the residual is reported)."""
    result = solve(Sum(terms), native, load_norm=0.0, rtol=rtol, max_iterations=max_iterations)
    x = result.x
    strain = _strain(x, chords)
    empty = np.zeros((0, 3))
    return AnnuloplastyResult(
        pre=pre,
        post=pre,
        annulus_after=annulus,
        annulus_before_valve=native,
        annulus_after_valve=x,
        ring_before_valve=empty,
        ring_after_valve=empty,
        suture_forces_n=np.zeros(0),
        suture_regions=(),
        suture_warnings=(),
        tissue_strain=strain,
        ring_deformation_mm=np.zeros(0),
        ring_model="none",
        ring_max_rotation_rad=0.0,
        solve=result,
        state=AnnuloplastyState(x.copy(), empty),
        tissue=tissue,
        warn_fraction=warn_fraction,
    )
