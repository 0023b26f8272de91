"""Assembly of element gradients and dense element Hessian blocks into global arrays.

Degrees of freedom (DOFs) are numbered node-major: DOF ``3 * i + c`` is coordinate ``c`` of node
``i``, so a configuration ``x : (n, 3) float, mm`` flattens to ``x.ravel()`` and a gradient is a
``(3 n,)`` array in N.

The sparsity pattern of a term (or of a sum of terms) is fixed by its element connectivity, so the
COO -> CSR map is computed once (:class:`BlockPattern`) and each assembly is a single
``np.bincount`` over the pattern: a prototype measured 7 ms with a reused pattern against 44 ms
when scipy rebuilt COO -> CSR every Newton iteration (SOLVER-NOTES.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def node_dofs(nodes: NDArray[np.integer]) -> IntArray:
    """DOF indices of element nodes.

    Parameters
    ----------
    nodes : (m, p) int
        Node indices of ``m`` elements with ``p`` nodes each.

    Returns
    -------
    (m, 3 p) int
        DOFs in element order: node 0's x, y, z, then node 1's, ...
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    return (3 * nodes[:, :, None] + np.arange(3)).reshape(nodes.shape[0], -1)


def scatter_gradient(dofs: IntArray, element_gradients: FloatArray, n_dofs: int) -> FloatArray:
    """Sum element gradients ``(m, k)`` at their DOFs ``(m, k)`` into a ``(n_dofs,)`` array."""
    return np.bincount(dofs.ravel(), weights=element_gradients.ravel(), minlength=n_dofs).astype(
        np.float64, copy=False
    )


class BlockPattern:
    """The fixed CSR pattern of a sum of dense element blocks, with its COO -> CSR map.

    Parameters
    ----------
    dofs : sequence of (m_g, k_g) int
        One array per element group: the DOFs of each element's dense ``(k_g, k_g)`` block.
    n_dofs : int
        Size of the square global matrix.
    extra : ((e,) int, (e,) int), optional
        Row and column of single entries added beside the blocks (their values are passed to
        :meth:`assemble`).
    """

    def __init__(
        self,
        dofs: Sequence[IntArray],
        n_dofs: int,
        extra: tuple[IntArray, IntArray] | None = None,
    ) -> None:
        self.n_dofs = int(n_dofs)
        self.group_sizes = [(int(d.shape[0]), int(d.shape[1])) for d in dofs]
        rows = [np.repeat(d, d.shape[1], axis=1).ravel() for d in dofs]
        cols = [np.tile(d, (1, d.shape[1])).ravel() for d in dofs]
        if extra is not None:  # single entries (i, j) beside the blocks, e.g. a fixed matrix's
            rows.append(np.asarray(extra[0], dtype=np.int64).ravel())
            cols.append(np.asarray(extra[1], dtype=np.int64).ravel())
        self.n_extra = 0 if extra is None else int(rows[-1].size)
        row = np.concatenate([np.zeros(0, np.int64), *rows]).astype(np.int64)
        col = np.concatenate([np.zeros(0, np.int64), *cols]).astype(np.int64)
        # Sorting the linear keys row-major gives the CSR order; `inverse` maps every block
        # entry to its slot, duplicates (shared nodes) landing in the same slot.
        keys, self._slot = np.unique(row * self.n_dofs + col, return_inverse=True)
        self.nnz = int(keys.size)
        self._indices = (keys % self.n_dofs).astype(np.int32)
        counts = np.bincount(keys // self.n_dofs, minlength=self.n_dofs)
        self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)

    def assemble(
        self, blocks: Sequence[FloatArray], extra_values: FloatArray | None = None
    ) -> sp.csr_matrix:
        """Sum element blocks (and the extra entries' values) into a CSR matrix with this pattern.

        Parameters
        ----------
        blocks : sequence of (m_g, k_g, k_g) float
            Element Hessian blocks in the order and shapes of the ``dofs`` given at construction.
        extra_values : (n_extra,) float, optional
            Values of the ``extra`` entries given at construction (default zeros).

        Returns
        -------
        scipy.sparse.csr_matrix, (n_dofs, n_dofs)
            The same ``indices`` and ``indptr`` arrays at every call (solvers may cache on them).
        """
        shapes = [(int(b.shape[0]), int(b.shape[1])) for b in blocks]
        if shapes != self.group_sizes:
            raise ValueError(f"block shapes {shapes} do not match the pattern {self.group_sizes}")
        parts = [np.zeros(0), *(np.ravel(b) for b in blocks)]
        if self.n_extra:
            values = np.zeros(self.n_extra) if extra_values is None else extra_values
            if np.shape(values) != (self.n_extra,):
                raise ValueError(f"{np.shape(values)} extra values for {self.n_extra} entries")
            parts.append(np.asarray(values, dtype=float))
        data = np.bincount(self._slot, weights=np.concatenate(parts), minlength=self.nnz)
        return sp.csr_matrix(
            (data, self._indices, self._indptr), shape=(self.n_dofs, self.n_dofs), copy=False
        )


def project_psd(blocks: FloatArray) -> FloatArray:
    """Clamp the eigenvalues of symmetric element blocks at zero.

    Parameters
    ----------
    blocks : (m, k, k) float
        Symmetric element Hessians.

    Returns
    -------
    (m, k, k) float
        The nearest positive semi-definite blocks (Frobenius norm).
    """
    if blocks.shape[0] == 0:
        return blocks.copy()
    sym = 0.5 * (blocks + np.swapaxes(blocks, 1, 2))
    values, vectors = np.linalg.eigh(sym)
    return np.einsum("mik,mk,mjk->mij", vectors, np.maximum(values, 0.0), vectors)
