"""Small helpers shared by the triangle-mesh terms (pressure, hinge bending): index checks,
per-triangle parameters and the vectorised cross-product matrix."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mvplan.mechanics.assembly import FloatArray, IntArray

__all__ = ["chunks", "outer", "per_triangle", "skew", "times_constant", "triangle_array"]

# Rows per small product in times_constant.
_ROWS = 16
# Elements per chunk of work in the element terms: their temporaries then stay in cache and are
# reused by the allocator instead of being paged in afresh at every call.
CHUNK = 512


def triangle_array(
    triangles: ArrayLike, *, nonempty: bool = False, distinct: bool = False
) -> IntArray:
    """Triangles as an ``(m, 3)`` int array of node indices, checked.

    Parameters
    ----------
    triangles : array_like, (m, 3) int
    nonempty : bool
        Refuse ``m == 0``.
    distinct : bool
        Refuse a triangle that repeats a node.

    Raises
    ------
    ValueError
        A wrong shape, a negative index, or (as asked) no triangle or a repeated node.
    """
    tri = np.asarray(triangles, dtype=np.int64)
    if tri.ndim != 2 or tri.shape[1] != 3 or (nonempty and tri.shape[0] == 0):
        least = " with m >= 1" if nonempty else ""
        raise ValueError(f"triangles must have shape (m, 3){least}, got {tri.shape}")
    if tri.size and tri.min() < 0:
        raise ValueError("triangles hold a negative node index")
    if distinct and np.any(
        (tri[:, 0] == tri[:, 1]) | (tri[:, 1] == tri[:, 2]) | (tri[:, 2] == tri[:, 0])
    ):
        raise ValueError("a triangle repeats a node")
    return tri


def per_triangle(value: ArrayLike, m: int, name: str) -> FloatArray:
    """A scalar or ``(m,)`` parameter as a fresh ``(m,)`` float array (ValueError otherwise)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(m, float(arr))
    if arr.shape != (m,):
        raise ValueError(f"{name} must be a scalar or have shape ({m},), got {arr.shape}")
    return arr.copy()


def skew(c: FloatArray) -> FloatArray:
    """Cross-product matrices ``[c]_x : (m, 3, 3)`` of vectors ``c : (m, 3)``."""
    out = np.zeros((c.shape[0], 3, 3))
    out[:, 0, 1], out[:, 0, 2] = -c[:, 2], c[:, 1]
    out[:, 1, 0], out[:, 1, 2] = c[:, 2], -c[:, 0]
    out[:, 2, 0], out[:, 2, 1] = -c[:, 1], c[:, 0]
    return out


def outer(u: FloatArray, v: FloatArray) -> FloatArray:
    """Outer products ``(m, i, j)`` of the rows of ``u (m, i)`` and ``v (m, j)``."""
    return np.einsum("mi,mj->mij", u, v)


def times_constant(rows: FloatArray, matrix: FloatArray, out: FloatArray) -> FloatArray:
    """``out = rows @ matrix`` for ``rows : (n, k)`` and a small constant ``matrix : (k, l)``.

    Computed as a stack of ``(16, k) @ (k, l)`` products: one large matrix product would go to
    the threaded BLAS, whose start-up costs milliseconds when the cores are busy. ``out : (n, l)``
    is filled and returned (rows of it may be strided, e.g. a slice of a larger array).
    """
    n = rows.shape[0]
    head = n - n % _ROWS
    k, width = matrix.shape
    target = out[:head].reshape(-1, _ROWS, width)
    np.matmul(rows[:head].reshape(-1, _ROWS, k), matrix, out=target)
    if not np.may_share_memory(target, out):  # the reshape had to copy
        out[:head] = target.reshape(head, width)
    if head < n:
        out[head:] = rows[head:] @ matrix
    return out


def chunks(m: int, size: int = CHUNK) -> list[slice]:
    """Consecutive slices of at most ``size`` over ``range(m)``."""
    return [slice(start, min(start + size, m)) for start in range(0, m, size)]
