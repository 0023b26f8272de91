"""Time sparse and dense factorisations of ring-on-springs Hessians (median over repeats).

Run: ``python benchmarks/bench_factorisation.py [--repeats 15]``. The problem is a closed ring of
``n`` nodes (axial springs, isotropic bending, an elastic foundation) plus four long-range
sutures across the ring, so the Hessian is banded with a few far off-diagonal couplings. Each
row is ``factor + one solve`` in ms, the Hessian with 3 DOFs per node.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import qdldl
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mvplan.mechanics import DiscreteBending, Foundation, Springs, Sum, Sutures


def ring_hessian(n: int, radius: float = 12.0) -> sp.csc_matrix:
    """Projected (SPD) Hessian of a stretched, perturbed ring-on-springs problem of ``n`` nodes.

    The exact one is indefinite here (isotropic bending of a curved rest shape, see
    :mod:`mvplan.mechanics.bending`) and has the same sparsity pattern.
    """
    angle = 2.0 * np.pi * np.arange(n) / n
    rest = radius * np.stack([np.cos(angle), np.sin(angle), np.zeros(n)], axis=1)
    rng = np.random.default_rng(0)
    x = 1.01 * rest + 0.01 * rng.normal(size=rest.shape)
    edges = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    lengths = np.linalg.norm(rest[edges[:, 1]] - rest[edges[:, 0]], axis=1)
    across = np.stack([np.arange(4) * n // 8, np.arange(4) * n // 8 + n // 2], axis=1)
    energy = Sum(
        [
            Springs(edges, lengths, 100.0 / lengths),
            DiscreteBending(np.arange(n), rest, 50.0, closed=True),
            Foundation(np.arange(n), rest, 0.5 * lengths),
            Sutures(across, np.tile([1.0, -1.0], (4, 1)), 0.1),
        ]
    )
    return energy.hessian(x, project=True).tocsc()


def _splu_mmd(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    lu = spla.splu(
        h,
        permc_spec="MMD_AT_PLUS_A",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    return lu.solve(rhs)


def _splu_colamd(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    return spla.splu(h).solve(rhs)


def _factorized(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    return spla.factorized(h)(rhs)


def _spsolve(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    return spla.spsolve(h, rhs)


def _qdldl_new(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    return np.asarray(qdldl.Solver(sp.triu(h, format="csc"), upper=True).solve(rhs))


_ANALYSED: dict[int, tuple[qdldl.Solver, sp.csc_matrix]] = {}


def _qdldl_update(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    """Numeric factorisation only: the symbolic analysis of this pattern was done before."""
    if id(h) not in _ANALYSED:
        upper = sp.triu(h, format="csc")
        _ANALYSED[id(h)] = (qdldl.Solver(upper, upper=True), upper)
    solver, upper = _ANALYSED[id(h)]
    solver.update(upper, upper=True)
    return np.asarray(solver.solve(rhs))


def _dense_cholesky(h: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    return sla.cho_solve(sla.cho_factor(h.toarray(), check_finite=False), rhs)


METHODS: dict[str, Callable[[sp.csc_matrix, np.ndarray], np.ndarray]] = {
    "splu MMD_AT_PLUS_A symmetric": _splu_mmd,
    "splu COLAMD (default)": _splu_colamd,
    "factorized": _factorized,
    "spsolve": _spsolve,
    "dense cho_factor (incl. toarray)": _dense_cholesky,
    "qdldl (analysis + factor)": _qdldl_new,
    "qdldl update (analysis reused)": _qdldl_update,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    args = parser.parse_args()
    hessians = {n: ring_hessian(n) for n in args.sizes}
    header = f"{'method':34s}" + "".join(f"{n:>6d} nodes" for n in args.sizes)
    print(header + "   (median ms, factor + solve)")
    for name, method in METHODS.items():
        cells = []
        for n in args.sizes:
            h = hessians[n]
            rhs = np.ones(h.shape[0])
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                sol = method(h, rhs)
                times.append(1e3 * (time.perf_counter() - start))
            assert np.linalg.norm(h @ sol - rhs) <= 1e-8 * np.linalg.norm(rhs) * 1e3
            cells.append(f"{np.median(times):12.2f}")
        print(f"{name:34s}" + "".join(cells))


if __name__ == "__main__":
    main()
