"""Chordae tendineae: marginal and basal chords fanning from the two papillary tips.

Each chord is a straight segment from a papillary tip to a leaflet node, with a rest length
that is an *input* (defaults from the literature, :class:`ChordaeSpec`), never fitted to the
current geometry: displaced papillary muscles then tether the leaflets as they do in disease
(and functional-MR chords keep their normal length, Obase et al. 2016, below).

* The anterolateral (AL) head serves the anterolateral half of the valve, the posteromedial
  (PM) head the posteromedial half; the halves meet on the leaflets' centre lines (through A
  and P), so each head reaches both leaflets and its commissure.
* Marginal chords insert on the free edge, spread evenly along the head's half of it
  (anterior, commissural and posterior parts); each chorda branches into several insertions
  (Lam et al. 1970), each branch a segment from the tip.
* Basal chords insert on the leaflet bellies: on the anterior leaflet at the junction of its
  smooth and rough zones, on the posterior leaflet close to the annulus (Degandt et al. 2007),
  spread along each leaflet's part of the half, clear of the commissural tissue.

When the papillary tips are not given they are estimated from the annulus, by the normal
annulo-papillary distances of Sakai et al. 1999 (:func:`estimate_papillary_tips`), and the
result says so.

Sources (figures quoted from the abstracts; where a journal or year is marked "as recalled" it
was not checked against the paper):

* Sakai T et al., "Distance between mitral anulus and papillary muscles: anatomic study in
  normal human hearts" (J Thorac Cardiovasc Surg 1999, as recalled; 57 normal cadaveric
  hearts): tip of each papillary muscle to its trigone and to the posterior annulus at 8 (AL)
  or 4 (PM) o'clock 23.2-23.5 mm (SD 3.6-4.0); main chordae 17.2 +- 3.9 (AL) and
  17.9 +- 4.3 mm (PM), cleft chordae 14.5 +- 3.2 and 14.9 +- 3.2 mm.
* Obase K et al., "Visualization and measurement of mitral valve chordae tendineae using
  three-dimensional transesophageal echocardiography from the transgastric approach",
  J Am Soc Echocardiogr (2015, as recalled): primary chords from the leaflet margin to the
  papillary tip 19.3 +- 5.0 mm (surgical 19.6 +- 5.6 mm) in 22 patients before mitral
  surgery. Obase K et al., "Leaflet-chordal relations in patients with primary and secondary
  mitral regurgitation", J Am Soc Echocardiogr (PubMed 26384765): chords of functional-MR
  patients keep normal length.
* Lam JHC et al., "Morphology of the human mitral valve. I. Chordae tendineae", Circulation
  1970;41:449: rough-zone chordae typically split into three cords before inserting.
* Degandt AA et al., "Mitral valve basal chordae: comparative anatomy and terminology", Ann
  Thorac Surg 2007 (doi 10.1016/j.athoracsur.2007.05.008): 18.8 +- 3.5 basal chordae in human
  hearts, at least two in each half of the anterior leaflet; insertions close to the annulus
  except on the anterior leaflet (junction of its smooth and rough zones).
* Kavitha S et al., "Morphometric analysis of chorda tendinae of mitral valve in human
  hearts", Int J Curr Res Rev 2014;6(3):1 (50 hearts): 10.4 +- 2.5 chordae from the anterior
  and 9.7 +- 2.4 from the posterior papillary muscle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from mvplan.errors import GeometryError, InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.frames import RigidTransform
from mvplan.geometry.papillary import PapillaryTips
from mvplan.valve.leaflets import LeafletMesh

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Chordal tissue modulus in its linear (post-transition) range, MPa (:class:`ChordaeSpec`).
#: Assumed, of the measured order: glutaraldehyde-fixed porcine chordae 74-139 MPa after the
#: transition (Proc IMechE H 2021, doi 10.1177/0954411920975938); native chords are softer
#: and marginal ones stiffer than basal (Zuo et al. 2016, J Mech Behav Biomed Mater,
#: PMC5058331). Peak chordal strain in systole is about 4 % (Ritchie et al. 2006,
#: J Biomech 39:1129).
MODULUS_MPA = 40.0
#: Cross-sections of one marginal and one basal chorda, mm^2: Kunzelman et al.'s 1993 model
#: (J Card Surg 8:237) as recalled, unconfirmed (marginal 0.40, strut 1.15 mm^2); marginal
#: chords are 68 % thinner than basal ones (Sedransk et al. 2002, abstract).
MARGINAL_AREA_MM2 = 0.4
BASAL_AREA_MM2 = 0.8

#: Papillary heads, in the order of ``Chordae.tips_mm``.
HEADS: tuple[str, ...] = ("AL", "PM")

#: Normal distance from a papillary tip to its trigone and to the posterior annulus at 8 (AL)
#: or 4 (PM) o'clock, mm (Sakai et al. 1999: 23.2-23.5 mm in 57 normal hearts).
ANNULO_PAPILLARY_MM = 23.5

#: Clock positions (surgeon's view from the atrium, A at 12, ALC at 9) of the posterior
#: annulus points Sakai et al. measured from: between the P1 and P2 scallops (8 o'clock, AL)
#: and between P2 and P3 (4 o'clock, PM).
POSTERIOR_CLOCK = {"AL": 8.0, "PM": 4.0}


@dataclass(frozen=True)
class ChordaeSpec:
    """Chordae counts, rest lengths and insertion levels; absolute, never fitted.

    Attributes
    ----------
    marginal_per_head : int
        Marginal (first-order) chordae from each papillary head. Default 10: 10.4 +- 2.5 and
        9.7 +- 2.4 chordae per papillary muscle (Kavitha et al. 2014).
    marginal_branches : int
        Insertions of each marginal chorda on the free edge (each a segment from the tip).
        Default 3: rough-zone chordae split into three cords (Lam et al. 1970); 30 insertions
        per half-valve.
    basal_anterior_per_head : int
        Basal chordae from each head to the anterior leaflet. Default 2: at least two in each
        half of the anterior leaflet in every human heart (Degandt et al. 2007).
    basal_posterior_per_head : int
        Basal chordae from each head to the posterior leaflet. Default 7, so that the valve has
        18, as human hearts have 18.8 +- 3.5 (Degandt et al. 2007).
    marginal_rest_length_mm : float
        Rest length from the tip to a free-edge insertion, mm. Default 18: between the
        cadaveric chordae of Sakai et al. 1999 (cleft 14.5-14.9, main 17.2-17.9 mm, unloaded)
        and the in-vivo tip-to-margin lengths of Obase et al. 2015 (19.3 +- 5.0 mm).
    basal_anterior_rest_length_mm : float
        Rest length of anterior basal (strut-like) chords, mm. Default 17.5: the main chordae
        of Sakai et al. 1999 (17.2 +- 3.9 and 17.9 +- 4.3 mm).
    basal_posterior_rest_length_mm : float
        Rest length of posterior basal chords, mm. Default 23.5: they insert close to the
        annulus (Degandt et al. 2007), so they span about the normal annulo-papillary distance
        (23.2-23.5 mm, Sakai et al. 1999); assumed, no measured length was found.
    anterior_basal_fraction : float
        Insertion of anterior basal chords as a fraction of the local leaflet height from the
        annulus. Default 0.6: the smooth/rough zone junction (Degandt et al. 2007; the rough
        zone is about the distal third of the anterior leaflet, assumed).
    posterior_basal_fraction : float
        The same on the posterior leaflet. Default 0.3: "close to the annulus" (Degandt et al.
        2007), assumed.
    modulus_mpa : float
        Elastic modulus of chordal tissue in its (linear) post-transition range, MPa.
    marginal_area_mm2 : float
        Cross-section of one marginal chorda before it branches, mm^2; each branch carries
        ``marginal_area_mm2 / marginal_branches``.
    basal_area_mm2 : float
        Cross-section of one basal chorda, mm^2.
    """

    marginal_per_head: int = 10
    marginal_branches: int = 3
    basal_anterior_per_head: int = 2
    basal_posterior_per_head: int = 7
    marginal_rest_length_mm: float = 18.0
    basal_anterior_rest_length_mm: float = 17.5
    basal_posterior_rest_length_mm: float = 23.5
    anterior_basal_fraction: float = 0.6
    posterior_basal_fraction: float = 0.3
    modulus_mpa: float = MODULUS_MPA
    marginal_area_mm2: float = MARGINAL_AREA_MM2
    basal_area_mm2: float = BASAL_AREA_MM2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            name = f.name.removesuffix("_mm").replace("_", " ")
            if f.type == "int":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 200:
                    raise InputError(f"chordae {name} must be a whole number 0-200, got {value!r}")
            elif not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(f"chordae {name} must be a finite number, got {value!r}")
            elif f.name.endswith("_mm") and not 0.0 < value <= 100.0:
                raise InputError(
                    f"chordae {name} must be above 0 and at most 100 mm, got {value:g}"
                )
            elif f.name.endswith(("_mpa", "_mm2")) and not 0.0 < value <= 1e4:
                raise InputError(f"chordae {name} must be above 0, got {value:g}")
            elif f.name.endswith("_fraction") and not 0.0 < value < 1.0:
                raise InputError(f"chordae {name} must be between 0 and 1, got {value:g}")
        if self.marginal_per_head > 0 and self.marginal_branches < 1:
            raise InputError("chordae marginal branches must be at least 1")


@dataclass(frozen=True, eq=False)
class Chordae:
    """Chords from the papillary tips to leaflet nodes (valve frame, mm).

    Attributes
    ----------
    tips_mm : (2, 3) float, mm
        Anterolateral and posteromedial tips (:data:`HEADS` order), valve frame.
    tips_estimated : bool
        True when the tips were estimated from the annulus (:func:`estimate_papillary_tips`).
    head : (m,) int
        Index into :data:`HEADS` of each segment's tip.
    node : (m,) int
        Leaflet mesh node each segment inserts on.
    kind : (m,) str
        ``"marginal"`` or ``"basal"``.
    region : (m,) str
        ``"anterior"``, ``"posterior"`` or ``"commissural"``: where each insertion lies.
    chorda : (m,) int
        Which chorda of its head a segment belongs to (the branches of one marginal chorda
        share it).
    rest_length_mm : (m,) float, mm
        Rest length of each segment (from the spec; independent of the geometry).
    to_input_frame : RigidTransform
        Valve frame to the annulus's input coordinates.
    spec : ChordaeSpec
    notes : tuple of str
        What the user should know (estimated tips).
    """

    tips_mm: FloatArray
    tips_estimated: bool
    head: IntArray
    node: IntArray
    kind: npt.NDArray[np.str_]
    region: npt.NDArray[np.str_]
    chorda: IntArray
    rest_length_mm: FloatArray
    to_input_frame: RigidTransform
    spec: ChordaeSpec
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("tips_mm", "head", "node", "kind", "region", "chorda", "rest_length_mm"):
            getattr(self, name).setflags(write=False)

    @property
    def n_segments(self) -> int:
        """Number of segments (chord branches)."""
        return len(self.node)

    def segments(self, points: npt.ArrayLike, tips: npt.ArrayLike | None = None) -> FloatArray:
        """``(m, 2, 3)`` float, mm: tip and insertion of each segment.

        Parameters
        ----------
        points : (N, 3) float, mm
            Leaflet node positions (the reference ``LeafletMesh.points`` or a deformed state).
        tips : (2, 3) float, mm, optional
            Tip positions (``tips_mm`` when None).
        """
        p = np.asarray(points, dtype=float)
        q = self.tips_mm if tips is None else np.asarray(tips, dtype=float).reshape(2, 3)
        return np.stack([q[self.head], p[self.node]], axis=1)

    def stiffness_n_per_mm(self) -> FloatArray:
        """``(m,)`` float, N/mm: axial stiffness ``E A / L0`` of each segment (taut).

        A marginal branch carries its chorda's cross-section divided among the branches.
        """
        spec = self.spec
        area = np.where(
            self.kind == "marginal",
            spec.marginal_area_mm2 / max(spec.marginal_branches, 1),
            spec.basal_area_mm2,
        )
        return np.asarray(spec.modulus_mpa * area / self.rest_length_mm)

    def lengths(self, points: npt.ArrayLike, tips: npt.ArrayLike | None = None) -> FloatArray:
        """``(m,)`` float, mm: current length of each segment."""
        seg = self.segments(points, tips)
        return np.asarray(np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1))

    def summary(self, points: npt.ArrayLike | None = None) -> dict[str, Any]:
        """Counts per head and kind, tips, and (given node positions) length against rest."""
        out: dict[str, Any] = {
            "tips_mm": {h: self.tips_mm[i].tolist() for i, h in enumerate(HEADS)},
            "tips_estimated": self.tips_estimated,
            "segments": self.n_segments,
            "counts": {
                f"{h}_{k}": int(np.sum((self.head == i) & (self.kind == k)))
                for i, h in enumerate(HEADS)
                for k in ("marginal", "basal")
            },
            "notes": list(self.notes),
        }
        if points is not None:
            stretch = self.lengths(points) / self.rest_length_mm
            out["stretch"] = {"min": float(stretch.min()), "max": float(stretch.max())}
        return out


def _clock_direction(hour: float) -> FloatArray:
    """Unit in-plane direction (valve frame) of a clock position: 12 = +y (A), 9 = -x."""
    angle = np.radians(30.0 * hour)
    return np.array([np.sin(angle), np.cos(angle), 0.0])


def annulus_point_at_clock(points: FloatArray, hour: float) -> FloatArray:
    """Where the ray from the valve-frame origin at clock ``hour`` meets the annulus.

    Parameters
    ----------
    points : (n, 3) float, mm
        The annulus in the valve frame (``Annulus.points_valve``).
    hour : float
        Clock position in the surgeon's view from the atrium (A at 12, ALC at 9).

    Returns
    -------
    (3,) float, mm
    """
    direction = _clock_direction(hour)
    closed = np.vstack([points, points[:1]])
    ang = np.arctan2(
        closed[:, 0] * direction[1] - closed[:, 1] * direction[0], closed[:, :2] @ direction[:2]
    )
    for i in range(len(points)):
        a0, a1 = ang[i], ang[i + 1]
        if a0 * a1 <= 0 and abs(a0 - a1) < np.pi / 2:
            w = a0 / (a0 - a1) if a0 != a1 else 0.0
            return np.asarray(closed[i] + w * (closed[i + 1] - closed[i]))
    raise GeometryError(f"no annulus point at {hour:g} o'clock seen from its centre")


def estimate_papillary_tips(annulus: Annulus) -> FloatArray:
    """Papillary tips of a normal valve on ``annulus`` (valve frame), from published offsets.

    Each tip is placed, below the annulus, at the normal annulo-papillary distance
    (:data:`ANNULO_PAPILLARY_MM`, Sakai et al. 1999) from both annulus points that paper
    measured from: its trigone (ALT for the anterolateral muscle, PMT for the posteromedial)
    and the posterior annulus at 8 or 4 o'clock. Of the circle of such points, the tip is the
    lowest (most ventricular). These are normal positions: a diseased ventricle's displaced
    muscles can only come from the patient's images.

    Returns
    -------
    (2, 3) float, mm
        AL and PM tips, valve frame.

    Raises
    ------
    GeometryError
        A trigone is unknown, or the two annulus points are more than twice the distance apart.
    """
    points = annulus.points_valve
    tips = []
    for head, trigone in (("AL", "ALT"), ("PM", "PMT")):
        if trigone not in annulus.landmarks:
            why = annulus.missing.get(trigone, "it is not known")
            raise GeometryError(f"cannot estimate the papillary tips without {trigone}: {why}")
        a = annulus.to_valve_frame.apply(annulus.landmark_point(trigone))
        b = annulus_point_at_clock(points, POSTERIOR_CLOCK[head])
        half = 0.5 * float(np.linalg.norm(b - a))
        if half >= ANNULO_PAPILLARY_MM:
            raise GeometryError(
                f"cannot estimate the {head} papillary tip: its trigone and the posterior annulus "
                f"are {2 * half:.1f} mm apart, more than twice the normal annulo-papillary "
                f"distance ({ANNULO_PAPILLARY_MM:g} mm); give the tips"
            )
        axis = (b - a) / (2.0 * half)
        down = np.array([0.0, 0.0, -1.0])
        down = down - (down @ axis) * axis
        down /= np.linalg.norm(down)
        tips.append(0.5 * (a + b) + np.sqrt(ANNULO_PAPILLARY_MM**2 - half**2) * down)
    return np.asarray(tips)


def _on_arc(u: FloatArray, start: float, end: float, through: float) -> npt.NDArray[np.bool_]:
    """Whether each ``u`` lies on the arc from ``start`` to ``end`` that contains ``through``."""
    if np.mod(through - start, 1.0) < np.mod(end - start, 1.0):
        return np.asarray(np.mod(u - start, 1.0) <= np.mod(end - start, 1.0))
    return np.asarray(np.mod(u - end, 1.0) <= np.mod(start - end, 1.0))


def _signed_arc(u: npt.ArrayLike, origin: npt.ArrayLike) -> FloatArray:
    """Shortest signed parameter difference ``u - origin``, in (-0.5, 0.5]."""
    return np.asarray(np.mod(np.asarray(u) - np.asarray(origin) + 0.5, 1.0) - 0.5)


def _marginal_nodes(mesh: LeafletMesh, commissure: str, count: int) -> IntArray:
    """``count`` free-edge nodes spread evenly along the half of the free edge around
    ``commissure`` (from the A centre line to the P centre line), in that order."""
    marks = mesh.landmark_u
    free = mesh.free_edge_nodes
    u = mesh.node_u[free]
    half = free[_on_arc(u, marks["A"], marks["P"], marks[commissure])]
    # Order from A toward P through the commissure.
    toward = np.sign(_signed_arc(np.array([marks[commissure]]), marks["A"]))[0]
    order = np.argsort(toward * _signed_arc(mesh.node_u[half], marks["A"]) % 1.0)
    half = half[order]
    p = mesh.points[half]
    cumulative = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
    targets = (np.arange(count) + 0.5) / count * cumulative[-1]
    nearest = np.abs(cumulative[None, :] - targets[:, None]).argmin(axis=1)
    return np.asarray(half[nearest], dtype=np.intp)


def _basal_nodes(
    mesh: LeafletMesh, centre: str, commissure: str, count: int, fraction: float
) -> IntArray:
    """``count`` interior nodes at ``fraction`` of the leaflet height, spread along the annulus
    from the ``centre`` landmark (A or P) to the edge of ``commissure``'s zone."""
    if count == 0:
        return np.empty(0, dtype=np.intp)
    marks = mesh.landmark_u
    length = mesh.perimeter_mm
    span = _signed_arc(np.array([marks[commissure]]), marks[centre])[0]
    reach = abs(span) * length - 0.5 * mesh.spec.commissural_width_mm
    s_target = (np.arange(count) + 0.5) / count * reach
    u_target = marks[centre] + np.sign(span) * s_target / length
    interior = np.setdiff1d(
        np.arange(mesh.n_nodes), np.concatenate([mesh.attached_nodes, mesh.free_edge_nodes])
    )
    ds = _signed_arc(mesh.node_u[interior][None, :], u_target[:, None]) * length
    dt = mesh.node_depth_mm[interior][None, :] - fraction * mesh.node_height_mm[interior][None, :]
    return np.asarray(interior[np.argmin(ds**2 + dt**2, axis=1)], dtype=np.intp)


def _head_segments(
    mesh: LeafletMesh, spec: ChordaeSpec, head: int, commissure: str
) -> dict[str, npt.NDArray[Any]]:
    """Segments of one papillary head (the half of the valve around ``commissure``)."""
    n_marginal = spec.marginal_per_head * spec.marginal_branches
    nodes = [_marginal_nodes(mesh, commissure, n_marginal)]
    kinds = [np.full(n_marginal, "marginal")]
    chordae = [np.arange(n_marginal) // max(spec.marginal_branches, 1)]
    rests = [np.full(n_marginal, spec.marginal_rest_length_mm)]
    basal = (
        (
            "A",
            spec.basal_anterior_per_head,
            spec.anterior_basal_fraction,
            spec.basal_anterior_rest_length_mm,
        ),
        (
            "P",
            spec.basal_posterior_per_head,
            spec.posterior_basal_fraction,
            spec.basal_posterior_rest_length_mm,
        ),
    )
    first = spec.marginal_per_head
    for centre, count, fraction, rest_mm in basal:
        nodes.append(_basal_nodes(mesh, centre, commissure, count, fraction))
        kinds.append(np.full(count, "basal"))
        chordae.append(first + np.arange(count))
        rests.append(np.full(count, rest_mm))
        first += count
    node = np.concatenate(nodes)
    return {
        "head": np.full(len(node), head),
        "node": node,
        "kind": np.concatenate(kinds),
        "chorda": np.concatenate(chordae),
        "rest": np.concatenate(rests),
    }


def build_chordae(
    mesh: LeafletMesh,
    papillary_tips: PapillaryTips | None,
    annulus: Annulus,
    spec: ChordaeSpec | None = None,
) -> Chordae:
    """Chords from the papillary tips to the leaflets of ``mesh``.

    Parameters
    ----------
    mesh : LeafletMesh
        Leaflets built on ``annulus`` (:func:`~mvplan.valve.leaflets.build_leaflets`).
    papillary_tips : PapillaryTips or None
        The patient's tips (input coordinates); estimated from the annulus when None.
    annulus : Annulus
        The annulus the leaflets were built on.
    spec : ChordaeSpec, optional
        Counts, rest lengths, insertion levels; the defaults when None.

    Returns
    -------
    Chordae
        Segments in the valve frame; rest lengths from ``spec`` whatever the geometry.

    Raises
    ------
    InputError
        The mesh was built on another annulus.
    GeometryError
        The tips cannot be estimated (see :func:`estimate_papillary_tips`).
    """
    spec = spec or ChordaeSpec()
    if not np.allclose(
        mesh.to_input_frame.matrix, annulus.to_valve_frame.inverse().matrix, atol=1e-9
    ):
        raise InputError("the leaflet mesh was built on another annulus")
    notes: list[str] = []
    if papillary_tips is None:
        tips = estimate_papillary_tips(annulus)
        notes.append(
            "papillary tips estimated from the annulus (normal annulo-papillary distance "
            f"{ANNULO_PAPILLARY_MM:g} mm, Sakai et al. 1999): give the patient's tips for a "
            "diseased ventricle"
        )
    else:
        tips = annulus.to_valve_frame.apply(
            np.array([papillary_tips.anterolateral, papillary_tips.posteromedial], dtype=float)
        )
    parts = [
        _head_segments(mesh, spec, h, commissure) for h, commissure in enumerate(("ALC", "PMC"))
    ]
    node = np.concatenate([p["node"] for p in parts]).astype(np.intp)
    return Chordae(
        tips_mm=np.asarray(tips, dtype=float),
        tips_estimated=papillary_tips is None,
        head=np.concatenate([p["head"] for p in parts]).astype(np.intp),
        node=node,
        kind=np.concatenate([p["kind"] for p in parts]).astype(str),
        region=np.asarray(mesh.node_regions()[node]),
        chorda=np.concatenate([p["chorda"] for p in parts]).astype(np.intp),
        rest_length_mm=np.concatenate([p["rest"] for p in parts]).astype(float),
        to_input_frame=mesh.to_input_frame,
        spec=spec,
        notes=tuple(notes),
    )
