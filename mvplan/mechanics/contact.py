"""Barrier contact between the leaflets (IPC via ipctk) and continuous collision checks.

Formulation
-----------
Incremental Potential Contact (Li et al. 2020) as implemented by ipctk (``ipctk>=1.6``): the
energy is a sum over every point-triangle and edge-edge pair of surface primitives closer than
the activation distance ``dhat`` (its "collision set", ``ipctk.NormalCollisions``),

    E = kappa * sum_pairs w_pair * b(d_pair),
    b(d) = dhat (d^2 - dhat^2)^2 ln(dhat^2 / d^2) / dhat^4

(ipctk's clamped log barrier of squared distances, made a length by its "physical barrier"
scaling) with ``w_pair`` the rest area (mm^2) of the pair's vertex or
edge (ipctk's area weighting, the convergent formulation of Li et al. 2023). So ``kappa`` is a
pressure, N/mm^2 (= MPa), and the gap that carries a given contact pressure hardly changes under
mesh refinement. ``b`` is C2 at ``dhat`` (zero energy, force and stiffness there) and grows like
``-ln d`` as ``d -> 0``. Two parallel surfaces at gap ``d`` (edges much longer than ``dhat``) give
an energy of about ``2 kappa A b(d)`` (measured 1.99-2.04: each surface's vertices against the
other's triangles), hence a contact pressure ``p = -2 kappa b'(d)``; :func:`kappa_for_pressure`
inverts that.

Choices
-------
- Groups: ``groups`` labels nodes (anterior 0, posterior 1, ...). Without ``self_contact``
  only different groups touch: ``ipctk.make_vertex_patches_filter`` becomes the collision
  mesh's ``can_collide``; it is C++ (no Python call per candidate) and is used by the broad
  phase of both the barrier and CCD. A primitive pair is kept if *any* node of one is in a
  different group from *any* node of the other (ipctk's rule), so nodes shared at a commissure
  take one label and the faces around them may touch either leaflet. ``self_contact=True``
  lets every pair of non-adjacent primitives interact, a surface with itself too (the
  barrier, the collision checks and :meth:`BarrierContact.intersects`); the groups then
  only say what :meth:`BarrierContact.contact_pairs` reports (pairs across groups: the
  coaptation between leaflets, not a leaflet's folds). The closure uses it: with contact
  between leaflets only, the row of triangles next to a ring-shortened annulus folded through
  itself (128 crossing edge-triangle pairs, all within one leaflet, on the functional-MR
  sample under a 26 mm rigid ring), unseen by the barrier and the collision checks.
- Hessian: exact (``PSDProjectionMethod.NONE``) unless ``project=True``, then each pair's
  12 x 12 block is clamped to PSD (``CLAMP``, as :func:`.assembly.project_psd`) or mirrored
  (``ABS``, ``projection="abs"``). The solver's policy (DESIGN.md section 6) decides when.
- Sparsity: the collision set, hence the contact Hessian's pattern, changes between iterations,
  while :class:`.assembly.BlockPattern` and :class:`.ldl.FreeLDL` reuse a fixed one. The contact
  Hessian is a separate sparse matrix; :class:`WithContact` adds it to the elastic Hessian on a
  pattern that only grows (the elastic pattern, the diagonal and every node pair that has ever
  been in contact), so ``FreeLDL`` redoes its symbolic analysis only when a new pair first
  touches and the pattern settles with the contact zone. A pattern over all broad-phase
  candidates within an inflated distance would also change as the leaflets move and would
  carry blocks for pairs that never touch.
- Continuous collision detection: ipctk's additive CCD (ACCD, Li et al. 2021), which stops each
  linear trajectory at 0.9 of its time of impact. Tight-Inclusion CCD with its default 1e-6
  tolerance took 0.6-16 s for one step of a 121-node patch driven through a parallel one (a
  degenerate, everything-touches-at-once query); ACCD took under 1 ms.

Newton
------
:func:`~.newton.solve` already takes ``max_step(x, dx) -> float`` and applies it to the (capped)
Newton step before the Armijo search, which only shrinks the step: every trial point lies on
the collision-free segment. Pass ``WithContact(elastic, contact)`` as the energy and
``max_step=contact.max_step``; the start must be free of intersections (:meth:`intersects`).

Speed (shared 2-core machine, so +-50 %): two parallel patches of 2,025 nodes each, 1 mm edges,
gap 0.1 mm, dhat 0.2 mm, 19,075 pairs, median ms (``test_speed_on_two_2000_node_patches``
prints them):

=============================================  =========
value, with the collision set build (LBVH)     15-21
value, gradient at a cached collision set      0.9, 1.5
exact Hessian (ipctk) mapped to full DOFs      50-68
projected Hessian (CLAMP)                      107-120
CCD, a step through the other patch            10
CCD, a step away                               4.6
:class:`WithContact` merge: new / same pairs   8 / 0.5
=============================================  =========
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ipctk
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.terms import EnergyTerm, as_positions

__all__ = ["BarrierContact", "ContactPairs", "WithContact", "kappa_for_pressure"]

PAIR_FACTOR = 2.0  # energy of two parallel surfaces / (kappa * area * b(d)), measured
KAPPA_RANGE = 100.0  # IPC: kappa_max = 100 kappa_min

_PROJECTIONS = {
    "clamp": ipctk.PSDProjectionMethod.CLAMP,
    "abs": ipctk.PSDProjectionMethod.ABS,
}


def _barrier_slope(d: float, dhat: float) -> float:
    """``db/dd`` of the physical barrier at distance ``d``, mm/mm (negative inside ``dhat``)."""
    barrier = ipctk.ClampedLogBarrier()
    s, s_hat = d * d, dhat * dhat
    return float(dhat * barrier.first_derivative(s, s_hat) * 2.0 * d / barrier.units(s_hat))


def kappa_for_pressure(pressure: float, dhat: float, gap: float | None = None) -> float:
    """Barrier stiffness that carries a contact pressure at a chosen gap.

    Parameters
    ----------
    pressure : float, N/mm^2 (MPa)
        Contact pressure to carry (e.g. the transvalvular 0.016 MPa).
    dhat : float, mm
        Activation distance.
    gap : float, mm, optional
        Gap between two parallel surfaces at which ``pressure`` is reached; default ``dhat / 2``.

    Returns
    -------
    float, N/mm^2
        ``kappa = pressure / (-2 b'(gap))`` (see the module docstring for the factor 2).
    """
    gap = 0.5 * dhat if gap is None else gap
    if not 0.0 < gap < dhat or pressure <= 0.0:
        raise ValueError("need pressure > 0 and 0 < gap < dhat")
    return float(pressure / (-PAIR_FACTOR * _barrier_slope(gap, dhat)))


@dataclass(frozen=True)
class ContactPairs:
    """Primitive pairs closer than ``threshold`` and what they say about nodes and faces.

    Point pairs are a node against the nearest feature of another group's surface (a triangle,
    an edge or a node, where the closest point lies); edge pairs are two crossing edges.
    """

    threshold: float  # mm, dhat + tolerance
    point_nodes: IntArray  # (k,) node of each point pair
    feature_nodes: IntArray  # (k, 3) nodes of its closest feature, padded with -1
    point_distances: FloatArray  # (k,) mm
    edge_nodes: IntArray  # (e, 4) nodes of the two edges of each edge pair
    edge_distances: FloatArray  # (e,) mm
    node_gaps: FloatArray  # (n,) mm, distance to another group; inf beyond threshold
    faces: NDArray[np.bool_]  # (m,) faces whose three nodes are all in contact

    @property
    def nodes(self) -> NDArray[np.bool_]:
        """Nodes in contact ``(n,)``: closer to another group than ``threshold``."""
        return self.node_gaps < self.threshold


class BarrierContact:
    """IPC barrier between surface triangles (of different groups, or any), with CCD step
    bounds.

    Parameters
    ----------
    vertices : (n, 3) float, mm
        Rest positions of all nodes (only those in ``faces`` or ``edges`` take part).
    faces : (m, 3) int
        Surface triangles (node indices).
    groups : (n,) int, optional
        Group label of every node (e.g. 0 anterior, 1 posterior leaflet); without
        ``self_contact`` only pairs across groups interact (then required); with it, the
        groups select the pairs :meth:`contact_pairs` reports.
    dhat : float, mm
        Activation distance: pairs farther apart feel nothing.
    kappa : float, N/mm^2
        Barrier stiffness (a pressure scale, see :func:`kappa_for_pressure`).
    edges : (e, 2) int, optional
        Extra edges; the edges of ``faces`` are always included.
    self_contact : bool
        Let every pair of non-adjacent primitives interact, groups or not.
    projection : {"clamp", "abs"}
        PSD projection of the pair blocks used by ``hessian(x, project=True)``.
    """

    def __init__(
        self,
        vertices: ArrayLike,
        faces: ArrayLike,
        groups: ArrayLike | None = None,
        *,
        dhat: float,
        kappa: float,
        edges: ArrayLike | None = None,
        self_contact: bool = False,
        projection: Literal["clamp", "abs"] = "clamp",
    ) -> None:
        rest = as_positions(vertices)
        faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
        extra = np.asarray([] if edges is None else edges, dtype=np.int64).reshape(-1, 2)
        if dhat <= 0.0 or kappa <= 0.0:
            raise ValueError("need dhat > 0 and kappa > 0")
        self.dhat = float(dhat)
        self.kappa = float(kappa)
        self.n_nodes = rest.shape[0]
        self.faces = faces
        # The collision mesh holds only surface nodes, in increasing order: local DOF k maps to a
        # full DOF by an increasing map, so sorted CSR rows stay sorted when mapped.
        self.nodes = np.unique(np.concatenate([faces.ravel(), extra.ravel()]))
        self._dofs = (3 * self.nodes[:, None] + np.arange(3)).ravel()
        local = np.full(self.n_nodes, -1, dtype=np.int64)
        local[self.nodes] = np.arange(self.nodes.size)
        face_edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
        all_edges = np.unique(np.concatenate([face_edges, np.sort(extra, axis=1)]), axis=0)
        self.edges = all_edges  # (e, 2) full node indices, ipctk's edge order
        self._mesh = ipctk.CollisionMesh(
            np.asfortranarray(rest[self.nodes]),
            np.asfortranarray(local[all_edges], dtype=np.int32),
            np.asfortranarray(local[faces], dtype=np.int32),
        )
        # Pairs across groups: the barrier's own mesh without self contact, a second mesh
        # (for contact_pairs only) with it.
        self._across = self._mesh
        if groups is None:
            if not self_contact:
                raise ValueError("groups are required unless self_contact=True")
        else:
            labels = np.asarray(groups, dtype=np.int32).reshape(-1)
            if labels.shape != (self.n_nodes,):
                raise ValueError(f"{labels.shape[0]} group labels for {self.n_nodes} nodes")
            if self_contact:
                self._across = ipctk.CollisionMesh(
                    np.asfortranarray(rest[self.nodes]),
                    np.asfortranarray(local[all_edges], dtype=np.int32),
                    np.asfortranarray(local[faces], dtype=np.int32),
                )
            self._across.can_collide = ipctk.make_vertex_patches_filter(labels[self.nodes])
        # One thread: ipctk's parallel reductions sum in an order that depends on scheduling,
        # and a contact solve amplifies those last-bit differences (measured on a cold
        # repaired closure: 121 to 244 Newton iterations from one input, run to run). With
        # one thread the same input gives the same answer; ipctk's share of a closure solve
        # (collision sets, barrier Hessian, CCD) is about a sixth, so little is lost.
        ipctk.set_num_threads(1)
        self._barrier = ipctk.BarrierPotential(self.dhat, 1.0, True)  # kappa applied here
        self._projection = _PROJECTIONS[projection]
        self._ccd = ipctk.AdditiveCCD()  # stops at 0.9 of the time of impact
        self._cache: tuple[FloatArray, ipctk.NormalCollisions] | None = None

    # -- collision sets ---------------------------------------------------------------------

    def _surface(self, x: ArrayLike) -> FloatArray:
        return np.asfortranarray(as_positions(x)[self.nodes])

    def _collisions(self, v: FloatArray) -> ipctk.NormalCollisions:
        """The area-weighted collision set at surface positions ``v``, reused for the same ``v``."""
        if self._cache is not None and np.array_equal(self._cache[0], v):
            return self._cache[1]
        collisions = ipctk.NormalCollisions()
        collisions.use_area_weighting = True
        collisions.build(self._mesh, v, self.dhat)
        self._cache = (v.copy(order="F"), collisions)
        return collisions

    @staticmethod
    def _pairs_within(
        mesh: ipctk.CollisionMesh, v: FloatArray, distance: float
    ) -> ipctk.NormalCollisions:
        """Pairs of ``mesh`` (the barrier's, or ``_across``) closer than ``distance``."""
        collisions = ipctk.NormalCollisions()
        collisions.build(mesh, v, distance)
        return collisions

    # -- energy ----------------------------------------------------------------------------

    def value(self, x: FloatArray) -> float:
        """Barrier energy, N mm."""
        v = self._surface(x)
        return self.kappa * float(self._barrier(self._collisions(v), self._mesh, v))

    def gradient(self, x: FloatArray) -> FloatArray:
        """Gradient ``(3 n,)``, N; zero off the surface and beyond ``dhat``."""
        v = self._surface(x)
        local = self._barrier.gradient(self._collisions(v), self._mesh, v)
        full = np.zeros(3 * self.n_nodes)
        full[self._dofs] = self.kappa * np.asarray(local)
        return full

    def hessian(self, x: FloatArray, project: bool = False) -> sp.csr_matrix:
        """Hessian ``(3 n, 3 n)``, N/mm; its pattern is that of the current collision set."""
        v = self._surface(x)
        method = self._projection if project else ipctk.PSDProjectionMethod.NONE
        local = self._barrier.hessian(self._collisions(v), self._mesh, v, method)
        local = sp.csc_matrix(local)
        local.sort_indices()
        # Symmetric: the CSC arrays of H are the CSR arrays of H^T = H. Rows map increasingly.
        counts = np.zeros(3 * self.n_nodes, dtype=np.int64)
        counts[self._dofs] = np.diff(local.indptr)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        return sp.csr_matrix(
            (self.kappa * local.data, self._dofs[local.indices], indptr),
            shape=(3 * self.n_nodes, 3 * self.n_nodes),
        )

    def element_dofs(self) -> list[IntArray]:
        """Not available: contact pairs change between iterations (use :class:`WithContact`)."""
        raise TypeError("contact has no fixed element pattern: wrap the sum in WithContact")

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        """Not available: see :meth:`element_dofs`."""
        raise TypeError("contact has no fixed element pattern: wrap the sum in WithContact")

    # -- what the solver and the maps need --------------------------------------------------

    def forces(self, x: FloatArray) -> FloatArray:
        """Contact force on every node ``(n, 3)``, N (minus the gradient)."""
        return -self.gradient(x).reshape(-1, 3)

    def pressures(self, x: FloatArray) -> FloatArray:
        """Contact force magnitude per rest vertex area ``(n,)``, N/mm^2 (0 off the surface)."""
        out = np.zeros(self.n_nodes)
        areas = np.asarray(self._mesh.vertex_areas)
        magnitude = np.linalg.norm(self.forces(x)[self.nodes], axis=1)
        out[self.nodes] = np.divide(magnitude, areas, out=np.zeros_like(areas), where=areas > 0)
        return out

    def max_step(self, x: FloatArray, dx: FloatArray) -> float:
        """Largest fraction of the step ``x -> x + dx`` free of collisions (ACCD), in (0, 1].

        Parameters
        ----------
        x : (n, 3) float, mm
            Start, free of intersections.
        dx : (n, 3) float, mm
            Step.

        Returns
        -------
        float
            1 if the whole linear trajectory is free; else 0.9 of the time of first impact.
        """
        v0 = self._surface(x)
        step = as_positions(dx)[self.nodes]
        if not np.any(step):
            return 1.0
        return float(
            ipctk.compute_collision_free_stepsize(
                self._mesh, v0, np.asfortranarray(v0 + step), 0.0, None, self._ccd
            )
        )

    def intersects(self, x: FloatArray) -> bool:
        """True if surfaces that may collide cross each other at ``x``."""
        return bool(ipctk.has_intersections(self._mesh, self._surface(x)))

    def min_distance(self, x: FloatArray, within: float | None = None) -> float:
        """Smallest distance between primitives that may collide, mm (inf beyond ``within``).

        Parameters
        ----------
        x : (n, 3) float, mm
        within : float, mm, optional
            Search distance; default ``dhat``.
        """
        v = self._surface(x)
        collisions = self._pairs_within(self._mesh, v, self.dhat if within is None else within)
        if len(collisions) == 0:
            return float(np.inf)
        return float(np.sqrt(collisions.compute_minimum_distance(self._mesh, v)))

    def contact_pairs(self, x: FloatArray, tol: float) -> ContactPairs:
        """Pairs, nodes and faces "in contact": closer than ``dhat + tol``.

        The barrier keeps a gap of a fraction of ``dhat`` (SOLVER-NOTES.md), so contact is
        defined with a tolerance above the activation distance.

        Parameters
        ----------
        x : (n, 3) float, mm
        tol : float, mm
            Tolerance above ``dhat`` (e.g. ``0.5 * dhat``).

        Returns
        -------
        ContactPairs
        """
        threshold = self.dhat + tol
        v = self._surface(x)
        collisions = self._pairs_within(self._across, v, threshold)
        edges, faces = self._across.edges, self._across.faces
        points: list[tuple[int, list[int], float]] = []
        edge_pairs: list[tuple[list[int], float]] = []
        for c in collisions.fv_collisions:
            features = [int(i) for i in faces[c.face_id]]
            points.append((c.vertex_id, features, c.compute_distance(c.dof(v, edges, faces))))
        for c in collisions.ev_collisions:
            features = [int(i) for i in edges[c.edge_id]] + [-1]
            points.append((c.vertex_id, features, c.compute_distance(c.dof(v, edges, faces))))
        for c in collisions.vv_collisions:  # both nodes are points
            d2 = c.compute_distance(c.dof(v, edges, faces))
            points.append((c.vertex0_id, [c.vertex1_id, -1, -1], d2))
            points.append((c.vertex1_id, [c.vertex0_id, -1, -1], d2))
        for c in collisions.ee_collisions:
            ids = [int(i) for i in np.concatenate([edges[c.edge0_id], edges[c.edge1_id]])]
            edge_pairs.append((ids, c.compute_distance(c.dof(v, edges, faces))))
        point_local = np.array([p[0] for p in points], dtype=np.int64)
        feature_local = np.array([p[1] for p in points], dtype=np.int64).reshape(-1, 3)
        point_d = np.sqrt(np.array([p[2] for p in points], dtype=float))
        edge_local = np.array([e[0] for e in edge_pairs], dtype=np.int64).reshape(-1, 4)
        edge_d = np.sqrt(np.array([e[1] for e in edge_pairs], dtype=float))
        keep, keep_e = point_d < threshold, edge_d < threshold

        def full(ids: IntArray) -> IntArray:
            return np.where(ids >= 0, self.nodes[np.maximum(ids, 0)], -1)

        gaps = np.full(self.n_nodes, np.inf)
        np.minimum.at(gaps, full(point_local[keep]), point_d[keep])
        return ContactPairs(
            threshold=threshold,
            point_nodes=full(point_local[keep]),
            feature_nodes=full(feature_local[keep]),
            point_distances=point_d[keep],
            edge_nodes=full(edge_local[keep_e]),
            edge_distances=edge_d[keep_e],
            node_gaps=gaps,
            faces=np.all(gaps[self.faces] < threshold, axis=1),
        )

    def balanced_kappa(
        self, x: FloatArray, elastic_gradient: FloatArray, kappa_min: float
    ) -> float:
        """IPC's initial stiffness: the ``kappa`` nearest to equilibrium at ``x``, clamped.

        ``kappa = -g_b . g_e / |g_b|^2`` (``g_b`` the barrier gradient at unit ``kappa``) in
        ``[kappa_min, 100 kappa_min]``, as ``ipctk.initial_barrier_stiffness`` but with the lower
        bound given (its mass-based bound has no meaning in statics; use
        :func:`kappa_for_pressure`). Does not change ``self.kappa``.

        Parameters
        ----------
        x : (n, 3) float, mm
        elastic_gradient : (3 n,) float, N
            Gradient of the other terms (zero it at fixed DOFs).
        kappa_min : float, N/mm^2
        """
        g_b = self.gradient(x) / self.kappa
        g_e = np.asarray(elastic_gradient, dtype=float).ravel()
        norm2 = float(g_b @ g_b)
        kappa = -float(g_b @ g_e) / norm2 if norm2 > 0.0 else kappa_min
        return float(np.clip(kappa, kappa_min, KAPPA_RANGE * kappa_min))


class WithContact:
    """An elastic energy plus barrier contact, with the Hessian on a pattern that only grows.

    Parameters
    ----------
    elastic : EnergyTerm
        Everything else (e.g. a :class:`~.terms.Sum`); its Hessian pattern may be fixed.
    contact : BarrierContact

    Notes
    -----
    ``hessian`` returns the same ``indptr``/``indices`` arrays until a node pair first enters
    the collision set, so :class:`~.ldl.FreeLDL` reuses its symbolic analysis meanwhile.
    Pass ``max_step=contact.max_step`` (or ``self.max_step``) to :func:`~.newton.solve`.
    """

    def __init__(self, elastic: EnergyTerm, contact: BarrierContact) -> None:
        self.elastic = elastic
        self.contact = contact
        self.max_step = contact.max_step
        self.pattern_changes = 0  # how often the merged pattern grew (each a new analysis)
        self._keys = np.zeros(0, np.int64)  # row * n + col of every stored entry, sorted
        self._base: tuple[IntArray, IntArray] | None = None
        self._base_keys = np.zeros(0, np.int64)
        self._base_slots = np.zeros(0, np.int64)
        self._indptr = np.zeros(1, np.int64)
        self._indices = np.zeros(0, np.int32)
        self._extra: tuple[tuple[IntArray, IntArray], IntArray] | None = None

    def value(self, x: FloatArray) -> float:
        return self.elastic.value(x) + self.contact.value(x)

    def gradient(self, x: FloatArray) -> FloatArray:
        return self.elastic.gradient(x) + self.contact.gradient(x)

    def element_dofs(self) -> list[IntArray]:
        raise TypeError("WithContact has no fixed element pattern; use hessian()")

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        raise TypeError("WithContact has no fixed element pattern; use hessian()")

    def hessian(self, x: FloatArray, project: bool = False) -> sp.csr_matrix:
        base = sp.csr_matrix(self.elastic.hessian(x, project))
        base.sum_duplicates()
        n = base.shape[0]
        if self._base is None or not _same_pattern(self._base, base):
            self._base = (base.indptr.copy(), base.indices.copy())
            self._base_keys = _row_keys(base) * n + base.indices
            self._grow(n, self._base_keys)
        extra = self.contact.hessian(x, project)
        slots = self._slots_of(extra)
        data = np.zeros(self._keys.size)
        data[self._base_slots] = base.data
        data[slots] += extra.data  # canonical: one slot per entry
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(n, n), copy=False)

    def _slots_of(self, extra: sp.csr_matrix) -> IntArray:
        """Where the contact Hessian's entries go in the stored pattern (grown if needed)."""
        if self._extra is not None and _same_pattern(self._extra[0], extra):
            return self._extra[1]  # the collision pattern of the last call (e.g. project=True)
        n = extra.shape[0]
        keys = _row_keys(extra) * n + extra.indices
        slots = np.searchsorted(self._keys, keys)
        known = slots < self._keys.size
        known[known] = self._keys[slots[known]] == keys[known]
        if not known.all():
            self._grow(n, keys[~known])
            slots = np.searchsorted(self._keys, keys)
        self._extra = ((extra.indptr.copy(), extra.indices.copy()), slots)
        return slots

    def _grow(self, n: int, new_keys: IntArray) -> None:
        """Add ``new_keys`` (``row * n + col``) and the diagonal to the stored pattern."""
        if self._keys.size == 0:
            self._keys = np.unique(np.concatenate([new_keys, np.arange(n) * (n + 1)]))
        else:
            # A few new pairs into a long sorted list: insert them rather than re-sort it all
            # (np.unique of the whole pattern was a fifth of a coarse closure's time).
            new = np.unique(new_keys)
            at = np.searchsorted(self._keys, new)
            present = at < self._keys.size
            present[present] = self._keys[at[present]] == new[present]
            self._keys = np.insert(self._keys, at[~present], new[~present])
        self._base_slots = np.searchsorted(self._keys, self._base_keys)
        counts = np.bincount(self._keys // n, minlength=n)
        self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        self._indices = (self._keys % n).astype(np.int32)
        self._extra = None  # the slots have moved
        self.pattern_changes += 1


def _row_keys(h: sp.csr_matrix) -> IntArray:
    """Row index of every stored entry of a CSR matrix."""
    return np.repeat(np.arange(h.shape[0], dtype=np.int64), np.diff(h.indptr))


def _same_pattern(pattern: tuple[IntArray, IntArray], h: sp.csr_matrix) -> bool:
    indptr, indices = pattern
    return np.array_equal(indptr, h.indptr) and np.array_equal(indices, h.indices)
