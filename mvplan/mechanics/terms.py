"""The energy-term protocol, a base class for element-wise terms, their sum and dead loads.

Physics, assembly and solve are kept apart (as scikit-fem does): a term computes per-element
energies, gradients and dense Hessian blocks from node positions; :mod:`.assembly` scatters them
into global arrays over a fixed sparsity pattern; :mod:`.newton` solves.

Units throughout: positions mm, forces N, stiffnesses N/mm, energies N mm (= mJ).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import (
    BlockPattern,
    FloatArray,
    IntArray,
    node_dofs,
    project_psd,
    scatter_gradient,
)

__all__ = [
    "ConstantForce",
    "ElementTerm",
    "EnergyTerm",
    "Sum",
    "as_positions",
    "remembered",
    "shared_hessian_blocks",
]

_T = TypeVar("_T")


def as_positions(x: ArrayLike) -> FloatArray:
    """Node positions as an ``(n, 3)`` float array (accepts a flat ``(3 n,)`` array too)."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(-1, 3)


@runtime_checkable
class EnergyTerm(Protocol):
    """What the solver needs from a potential energy term.

    ``x`` is ``(n, 3) float, mm`` (or its flat ``(3 n,)`` view). ``element_dofs`` and
    ``element_hessians`` expose the dense element blocks so that a :class:`Sum` can assemble all
    terms over one fixed sparsity pattern.
    """

    def value(self, x: FloatArray) -> float:
        """Energy, N mm."""
        ...

    def gradient(self, x: FloatArray) -> FloatArray:
        """Gradient ``(3 n,)``, N (minus the force on each DOF)."""
        ...

    def hessian(self, x: FloatArray, project: bool = False) -> sp.csr_matrix:
        """Hessian ``(3 n, 3 n)``, N/mm; ``project=True`` gives a PSD approximation."""
        ...

    def element_dofs(self) -> list[IntArray]:
        """One ``(m, k)`` int array of element DOFs per element group."""
        ...

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        """One ``(m, k, k)`` float array per element group, in ``element_dofs`` order."""
        ...


class ElementTerm:
    """Base of terms that are sums over elements of ``p`` nodes each.

    Subclasses set ``self.nodes : (m, p) int`` and implement :meth:`_elements`; they may override
    :meth:`_project` with a cheaper closed-form eigenvalue clamp than the generic ``eigh``.
    """

    nodes: IntArray

    def _elements(
        self, x: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        """Element energies ``(m,)``, gradients ``(m, 3p)`` if order >= 1, Hessians if 2."""
        raise NotImplementedError

    def _project(self, x: FloatArray, blocks: FloatArray) -> FloatArray:
        return project_psd(blocks)

    @property
    def _dofs(self) -> IntArray:
        dofs = getattr(self, "_dofs_cache", None)
        if dofs is None:
            dofs = node_dofs(self.nodes)
            self._dofs_cache = dofs
        return dofs

    def value(self, x: FloatArray) -> float:
        energies, _, _ = self._elements(as_positions(x), 0)
        return float(np.sum(energies))

    def element_values(self, x: FloatArray) -> FloatArray:
        """Energy of each element ``(m,)``, N mm."""
        return self._elements(as_positions(x), 0)[0]

    def gradient(self, x: FloatArray) -> FloatArray:
        x = as_positions(x)
        _, grads, _ = self._elements(x, 1)
        assert grads is not None
        return scatter_gradient(self._dofs, grads, x.size)

    def element_dofs(self) -> list[IntArray]:
        return [self._dofs]

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        x = as_positions(x)
        _, _, blocks = self._second_order(x)
        assert blocks is not None
        return [self._project(x, blocks) if project else blocks]

    def _second_order(
        self, x: FloatArray
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        """``_elements(x, 2)``, evaluated once per ``x`` in :func:`shared_hessian_blocks`."""
        return remembered(self, "_last_second_order", x, lambda: self._elements(x, 2))

    def hessian(self, x: FloatArray, project: bool = False) -> sp.csr_matrix:
        x = as_positions(x)
        return _pattern_for(self, x.size).assemble(self.element_hessians(x, project))


#: The evaluation scope of :func:`shared_hessian_blocks` in force (None: none), by context.
_SCOPE: ContextVar[int | None] = ContextVar("mvplan_hessian_scope", default=None)
_scopes = itertools.count()


@contextmanager
def shared_hessian_blocks() -> Iterator[None]:
    """Within this block, a term's element Hessians at one ``x`` are evaluated once.

    Newton asks for the exact and then the projected Hessian at the same point
    (:func:`~.newton._direction`); the element blocks are the costly part of both. Outside the
    block nothing is remembered, so a term whose parameters change between calls (a load
    step's pressure, a cinched cable's rest length) is never given stale blocks.
    """
    token = _SCOPE.set(next(_scopes))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def remembered(owner: object, slot: str, x: FloatArray, compute: Callable[[], _T]) -> _T:
    """``compute()``; inside :func:`shared_hessian_blocks`, reused for the same ``x``.

    A reused result's arrays are read-only, so that no caller can change what the next one is
    given: a projection must work on a copy.
    """
    scope = _SCOPE.get()
    if scope is None:
        return compute()
    last = getattr(owner, slot, None)
    if (
        last is not None
        and last[0] == scope
        and last[1].shape == x.shape
        and np.array_equal(last[1], x)
    ):
        return last[2]
    out = compute()
    for item in out if isinstance(out, tuple) else (out,):
        if isinstance(item, np.ndarray):
            item.flags.writeable = False
    setattr(owner, slot, (scope, x.copy(), out))
    return out


def _pattern_for(term: EnergyTerm, n_dofs: int) -> BlockPattern:
    """The term's sparsity pattern for ``n_dofs`` DOFs, built on first use and then reused."""
    cache: dict[int, BlockPattern] | None = getattr(term, "_pattern_cache", None)
    if cache is None:
        cache = {}
        term._pattern_cache = cache  # type: ignore[attr-defined]
    if n_dofs not in cache:
        cache[n_dofs] = BlockPattern(term.element_dofs(), n_dofs)
    return cache[n_dofs]


class Sum:
    """The sum of energy terms, assembled over one shared, reused sparsity pattern.

    Parameters
    ----------
    terms : sequence of EnergyTerm
    projected : sequence of bool, optional
        Which terms ``hessian(x, project=True)`` projects (default all); the others keep their
        exact blocks. Projecting only the terms whose blocks are indefinite by nature (contact,
        pressure, a membrane in compression) keeps the exact curvature of the rest, so a
        fallback Newton step stays close to the exact one (SOLVER-NOTES.md: projected Hessians
        alone converge linearly).
    """

    def __init__(
        self, terms: Sequence[EnergyTerm], projected: Sequence[bool] | None = None
    ) -> None:
        self.terms = list(terms)
        self.projected = [True] * len(self.terms) if projected is None else list(projected)
        if len(self.projected) != len(self.terms):
            raise ValueError(f"{len(self.projected)} projection flags for {len(self.terms)} terms")

    def value(self, x: FloatArray) -> float:
        return float(sum(term.value(x) for term in self.terms))

    def gradient(self, x: FloatArray) -> FloatArray:
        x = as_positions(x)
        total = np.zeros(x.size)
        for term in self.terms:
            total += term.gradient(x)
        return total

    def element_dofs(self) -> list[IntArray]:
        return [dofs for term in self.terms for dofs in term.element_dofs()]

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        x = as_positions(x)
        return [
            block
            for term, projectable in zip(self.terms, self.projected, strict=True)
            for block in term.element_hessians(x, project and projectable)
        ]

    def hessian(self, x: FloatArray, project: bool = False) -> sp.csr_matrix:
        x = as_positions(x)
        return _pattern_for(self, x.size).assemble(self.element_hessians(x, project))


class ConstantForce:
    """Dead (position-independent) nodal forces: ``E = - sum_i f_i . x_i``.

    Parameters
    ----------
    forces : (n, 3) float, N
        Force on every node (zero rows for unloaded nodes).
    """

    def __init__(self, forces: FloatArray) -> None:
        self.forces = as_positions(forces).copy()

    @property
    def load_norm(self) -> float:
        """Euclidean norm of all nodal forces, N: the scale for relative residuals."""
        return float(np.linalg.norm(self.forces))

    def value(self, x: FloatArray) -> float:
        return -float(np.sum(self.forces * as_positions(x)))

    def gradient(self, x: FloatArray) -> FloatArray:
        return -self.forces.ravel().copy()

    def element_dofs(self) -> list[IntArray]:
        return []

    def element_hessians(self, x: FloatArray, project: bool = False) -> list[FloatArray]:
        return []

    def hessian(self, x: FloatArray, project: bool = False) -> sp.csr_matrix:
        n = self.forces.size
        return sp.csr_matrix((n, n))
