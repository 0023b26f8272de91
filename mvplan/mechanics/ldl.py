"""Sparse ``L D L^T`` of the free-DOF block of Hessians that share one sparsity pattern.

Newton factorises the Hessian once or twice an iteration, always with the same sparsity (the
terms' element connectivity is fixed; see :class:`~.assembly.BlockPattern`). QDLDL (the
factorisation inside the OSQP solver; ``qdldl`` on PyPI) splits the work into a symbolic
analysis (AMD ordering, elimination tree) done once per pattern and a numeric ``update`` per
matrix. It never pivots, so ``D`` holds the pivots of ``P H P^T`` and, by Sylvester's law of
inertia, the signs of the eigenvalues: one factorisation both solves and proves (or disproves)
positive definiteness.

Measured with ``benchmarks/bench_factorisation.py`` on annuloplasty Hessians (2-core machine,
median ms, factorisation and one solve): see the table in :mod:`.newton`.
"""

from __future__ import annotations

import numpy as np
import qdldl
import scipy.sparse as sp

from mvplan.mechanics.assembly import FloatArray, IntArray

__all__ = ["FreeLDL"]


class FreeLDL:
    """Factorise ``H[free][:, free]`` for a sequence of CSR matrices ``H`` with one pattern.

    Parameters
    ----------
    free : (f,) int
        Free DOFs, increasing.
    """

    def __init__(self, free: IntArray) -> None:
        self.free = np.asarray(free, dtype=np.int64)
        self._pattern: tuple[IntArray, IntArray] | None = None
        self._gather: IntArray = np.zeros(0, np.int64)
        self._diagonal: IntArray = np.zeros(0, np.int64)
        self._indices: IntArray = np.zeros(0, np.int32)
        self._indptr: IntArray = np.zeros(0, np.int32)
        self._solver: qdldl.Solver | None = None
        self._upper = sp.csc_matrix((0, 0))

    def _analyse(self, h: sp.csr_matrix) -> None:
        """Map ``h``'s stored entries to the upper triangle (CSC) of its free block."""
        n = h.shape[0]
        local = np.full(n, -1, dtype=np.int64)
        local[self.free] = np.arange(self.free.size)
        rows = np.repeat(np.arange(n), np.diff(h.indptr))
        li, lj = local[rows], local[h.indices]
        keep = np.flatnonzero((li >= 0) & (lj >= 0) & (li <= lj))
        order = np.lexsort((li[keep], lj[keep]))  # column-major: CSC of the upper triangle
        self._gather = keep[order]
        col = lj[self._gather]
        row = li[self._gather]
        self._indices = row.astype(np.int32)
        self._indptr = np.concatenate(
            [[0], np.cumsum(np.bincount(col, minlength=self.free.size))]
        ).astype(np.int32)
        self._diagonal = np.flatnonzero(row == col)
        if self._diagonal.size != self.free.size:
            raise ValueError("the Hessian pattern must store every diagonal entry")
        self._pattern = (h.indptr.copy(), h.indices.copy())
        self._upper = sp.csc_matrix(
            (np.zeros(self._gather.size), self._indices, self._indptr),
            shape=(self.free.size, self.free.size),
        )
        self._solver = None

    def _same_pattern(self, h: sp.csr_matrix) -> bool:
        if self._pattern is None:
            return False
        indptr, indices = self._pattern
        return np.array_equal(indptr, h.indptr) and np.array_equal(indices, h.indices)

    def factor(self, h: sp.csr_matrix, shift: float = 0.0) -> bool:
        """Factorise the free block of ``h + shift I``; True if it is positive definite.

        Parameters
        ----------
        h : (n, n) scipy.sparse.csr_matrix, symmetric, canonical (sorted, no duplicates)
        shift : float
            Added to the diagonal (N/mm).
        """
        if not isinstance(h, sp.csr_matrix):
            h = sp.csr_matrix(h)
        if not self._same_pattern(h):
            self._analyse(h)
        upper = self._upper  # the same pattern: only its values change
        np.take(h.data, self._gather, out=upper.data)
        if shift:
            upper.data[self._diagonal] += shift
        try:
            if self._solver is None:
                self._solver = qdldl.Solver(upper, upper=True)
            else:
                self._solver.update(upper, upper=True)
        except RuntimeError:  # a zero pivot: singular, so not positive definite
            self._solver = None
            return False
        pivots = self._solver.factors()[1]
        return bool(np.all(np.isfinite(pivots)) and np.all(pivots > 0.0))

    def solve(self, b: FloatArray) -> FloatArray:
        """``x`` with ``H_ff x = b`` from the last successful factorisation."""
        if self._solver is None:
            raise RuntimeError("no factorisation to solve with")
        return np.asarray(self._solver.solve(np.asarray(b, dtype=float)))
