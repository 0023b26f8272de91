"""Finite-difference checks of energy terms (used by tests and by the verification set)."""

from __future__ import annotations

import numpy as np

from mvplan.mechanics.assembly import FloatArray, IntArray
from mvplan.mechanics.bending import DiscreteBending
from mvplan.mechanics.cable import SlidingCable
from mvplan.mechanics.foundation import Foundation
from mvplan.mechanics.leaflet_law import LEAFLET_LAWS, SaintVenantKirchhoff
from mvplan.mechanics.linear_bending import LinearBending
from mvplan.mechanics.membrane import MembraneTriangles
from mvplan.mechanics.pressure import PressureVolume
from mvplan.mechanics.shell_bending import ShellBending
from mvplan.mechanics.springs import Springs
from mvplan.mechanics.sutures import Sutures
from mvplan.mechanics.terms import EnergyTerm, as_positions

__all__ = ["check_term", "sample_terms"]


def check_term(term: EnergyTerm, x: FloatArray, step: float = 1e-6) -> tuple[float, float]:
    """Relative errors of a term's gradient and Hessian against central differences.

    Parameters
    ----------
    term : EnergyTerm
    x : (n, 3) float, mm
    step : float, mm

    Returns
    -------
    gradient_error, hessian_error : float
        ``max|exact - fd| / max|fd|`` (absolute when ``fd`` vanishes).
    """
    flat = as_positions(x).ravel()
    grad = term.gradient(flat)
    hess = term.hessian(flat).toarray()
    grad_fd = np.zeros_like(grad)
    hess_fd = np.zeros_like(hess)
    for k in range(flat.size):
        e = np.zeros_like(flat)
        e[k] = step
        grad_fd[k] = (term.value(flat + e) - term.value(flat - e)) / (2.0 * step)
        hess_fd[:, k] = (term.gradient(flat + e) - term.gradient(flat - e)) / (2.0 * step)

    def rel(exact: FloatArray, approx: FloatArray) -> float:
        return float(np.abs(exact - approx).max() / max(np.abs(approx).max(), 1.0e-12))

    return rel(grad, grad_fd), rel(hess, hess_fd)


def sample_terms(seed: int = 0, n_nodes: int = 10) -> dict[str, tuple[EnergyTerm, FloatArray]]:
    """One instance of every term with a random configuration ``(n, 3)`` to check it at.

    Cables are placed at elongations ``s / h`` = -0.7, -0.3, 0.3, 0.7 (inside and on both sides
    of the smoothing band ``[-h/2, h/2]``) and well taut and slack.
    """
    rng = np.random.default_rng(seed)
    x = 3.0 * rng.normal(size=(n_nodes, 3))
    pairs = np.stack([np.arange(n_nodes - 1), np.arange(1, n_nodes)], axis=1)
    lengths = np.linalg.norm(x[pairs[:, 1]] - x[pairs[:, 0]], axis=1)
    m = pairs.shape[0]
    width = 0.05 * lengths
    ratio = np.resize([-0.7, -0.3, 0.3, 0.7, 8.0, -8.0], m)
    anchors = x + rng.normal(size=x.shape)
    curve = rng.permutation(n_nodes)[:6]
    rest_curve = 3.0 * rng.normal(size=(6, 3))
    suture_nodes = rng.permutation(n_nodes)[:8].reshape(2, 4)
    terms: dict[str, tuple[EnergyTerm, FloatArray]] = {
        "springs": (Springs(pairs, lengths * rng.uniform(0.7, 1.3, m), rng.uniform(1, 3, m)), x),
        "cables": (
            Springs(pairs, lengths - ratio * width, 2.0, tension_only=True, slack_width=width),
            x,
        ),
        "foundation": (
            Foundation(
                np.arange(n_nodes),
                anchors,
                rng.uniform(1, 3, n_nodes),
                rng.uniform(0, 1, n_nodes),
                rng.normal(size=(n_nodes, 3)),
            ),
            x,
        ),
        "sutures": (
            Sutures.between(
                suture_nodes[:, :2],
                rng.uniform(size=2),
                suture_nodes[:, 2:],
                rng.uniform(size=2),
                [5.0, 7.0],
            ),
            x,
        ),
        "bending-open": (DiscreteBending(curve, rest_curve, 2.0), x),
        "bending-closed": (
            DiscreteBending(curve, rest_curve, rng.uniform(1, 3, 6), closed=True),
            x,
        ),
        "bending-straight-rest": (
            DiscreteBending(np.arange(6), np.outer(np.arange(6), [1.0, 0.0, 0.0]), 2.0),
            x,
        ),
        "sliding-cable-taut": (SlidingCable(curve, 0.8 * _chain_length(x, curve), 50.0), x),
        "sliding-cable-band": (
            SlidingCable(curve, _chain_length(x, curve) - 0.3, 50.0, slack_width=1.0),
            x,
        ),
        "linear-bending-open": (LinearBending(curve, rest_curve, 2.0), x),
        "linear-bending-closed": (
            LinearBending(curve, rest_curve, rng.uniform(1, 3, 6), closed=True),
            x,
        ),
    }
    if n_nodes >= 9:
        terms.update(_sheet_terms(rng, n_nodes))
    return terms


def _chain_length(x: FloatArray, chain: IntArray) -> float:
    """Length of the polyline through ``x[chain]``, mm."""
    return float(np.linalg.norm(np.diff(x[chain], axis=0), axis=1).sum())


#: A 2 x 2 square patch of 3 x 3 nodes, 8 triangles (right-handed: normals along +z).
SHEET_TRIANGLES = np.array(
    [[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4], [3, 4, 7], [3, 7, 6], [4, 5, 8], [4, 8, 7]]
)


def _sheet_terms(
    rng: np.random.Generator, n_nodes: int
) -> dict[str, tuple[EnergyTerm, FloatArray]]:
    """The leaflet terms on a curved 2 mm patch stretched by up to about 10 % (the membrane
    law's exponential stays moderate), in the first nine of ``n_nodes`` nodes."""
    grid = np.array([[2.0 * i, 2.0 * j, 0.0] for j in range(3) for i in range(3)])
    grid[:, 2] = 0.1 * (grid[:, 0] - 2.0) ** 2  # a curved rest shape: non-zero rest angles
    rest = np.vstack([grid, np.zeros((n_nodes - 9, 3))])
    sheet = rest * rng.uniform(1.0, 1.1, size=3) + 0.1 * rng.normal(size=rest.shape)
    fibres = np.array([1.0, 0.0, 0.0])
    return {
        "membrane-leaflet": (
            MembraneTriangles(SHEET_TRIANGLES, rest, LEAFLET_LAWS["anterior"], 0.69, fibres),
            sheet,
        ),
        "membrane-svk": (
            MembraneTriangles(SHEET_TRIANGLES, rest, SaintVenantKirchhoff(4.0, 0.3), 0.5),
            sheet,
        ),
        "pressure": (PressureVolume(SHEET_TRIANGLES, 0.016, [2.0, 2.0, 5.0]), sheet),
        "shell-bending": (ShellBending(SHEET_TRIANGLES, rest, 0.02), sheet),
    }
