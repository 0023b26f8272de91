"""Ring verification cases beyond :mod:`.verification`: the rigid ring (:mod:`.rigid`).

Rigid ring on a foundation under a dead torque (``rigid_ring_torque``)
    A planar rigid ring of ``n`` nodes at radius ``r`` on an isotropic zero-length foundation
    (``k`` per node, anchored at the rest nodes) carries dead tangential forces
    ``f_k = M / (n r) t_k`` (a couple ``M`` about the ring axis, N mm) and dead forces ``F / n``
    (net force ``F``, N, in the ring plane). Rotating by ``theta`` about the axis and translating
    by ``u`` costs ``k n r^2 (1 - cos theta) + k n |u|^2 / 2`` (the ``u``-``theta`` cross term
    vanishes because the arms sum to zero) and the loads' potential is
    ``-M sin theta - F . u``, so the exact equilibrium, **at any rotation**, is

        tan(theta) = M / (k n r^2),      u = F / (k n).

    The solve starts from a pose tilted out of the ring plane, so it also exercises large
    three-dimensional rotations; the error is the worse of the relative errors of ``theta`` and
    ``u`` (no discretisation, so rounding-level).

Rigid-motion invariance (``rigid_ring_invariance``)
    The reduced energy of a ring sutured to a deformed annulus must not change when the whole
    system (annulus, anchors and the ring's pose) is moved rigidly; its reduced gradient's
    translation part must rotate with the motion. Random rotations and translations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from mvplan.mechanics.foundation import Foundation
from mvplan.mechanics.newton import solve
from mvplan.mechanics.rigid import RigidReduced, RigidRingMap
from mvplan.mechanics.springs import Springs
from mvplan.mechanics.sutures import Sutures
from mvplan.mechanics.terms import ConstantForce, Sum
from mvplan.mechanics.verification import Verification, circle_points

__all__ = ["rigid_ring_invariance", "rigid_ring_torque"]


def rigid_ring_torque(
    *,
    radius: float = 12.0,
    n_nodes: int = 32,
    stiffness: float = 0.5,
    angle_deg: float = 40.0,
    force: tuple[float, float] = (0.3, -0.2),
    start_tilt_deg: float = 30.0,
    tolerance: float = 1e-9,
) -> Verification:
    """Rigid ring under a dead couple and force: ``tan(theta) = M / (k n r^2)``, ``u = F/(k n)``.

    Parameters (mm, N)
    ------------------
    radius : r, mm. n_nodes : n. stiffness : foundation k per node, N/mm. angle_deg : the exact
    rotation chosen (sets the couple M). force : in-plane net force F, N. start_tilt_deg : tilt
    of the start pose about the x axis. tolerance : relative error accepted.
    """
    params = dict(locals())
    n, k = n_nodes, stiffness
    rest = circle_points(n, radius)
    theta = np.radians(angle_deg)
    couple = np.tan(theta) * k * n * radius**2
    tangents = np.cross([0.0, 0.0, 1.0], rest) / radius
    net = np.array([*force, 0.0])
    loads = ConstantForce(couple / (n * radius) * tangents + net / n)
    energy = Sum([Foundation(np.arange(n), rest, k), loads])
    reduced = RigidReduced(energy, n, np.arange(n), RigidRingMap(rest))
    tilt = Rotation.from_euler("x", start_tilt_deg, degrees=True).as_rotvec()
    result = solve(
        reduced,
        reduced.reduced(rest, np.concatenate([np.zeros(3), tilt])),
        load_norm=loads.load_norm,
    )
    q = reduced.parameters(result.x)
    u_exact = net / (k * n)
    w_exact = np.array([0.0, 0.0, theta])
    error = max(
        float(np.linalg.norm(q[3:] - w_exact) / theta),
        float(np.linalg.norm(q[:3] - u_exact) / np.linalg.norm(u_exact)),
    )
    details: dict[str, Any] = {
        "couple": couple,
        "rotation": q[3:].tolist(),
        "translation": q[:3].tolist(),
        "iterations": result.iterations,
        "residual": result.residual,
    }
    return Verification(
        "rigid-ring-torque", error <= tolerance, error, tolerance, None, params, details
    )


def rigid_ring_invariance(
    *, n_nodes: int = 16, seed: int = 0, trials: int = 5, tolerance: float = 1e-10
) -> Verification:
    """Reduced energy unchanged and gradient rotated under rigid motions of the whole system."""
    params = dict(locals())
    rng = np.random.default_rng(seed)
    n = n_nodes
    annulus = circle_points(n, 15.0) + 0.5 * rng.normal(size=(n, 3))
    ring = circle_points(n, 13.0)
    x = np.concatenate([annulus + 0.3 * rng.normal(size=(n, 3)), ring])
    q = np.concatenate([rng.normal(size=3), 0.4 * rng.normal(size=3)])
    edges = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    pairs = np.stack([np.arange(n), n + np.arange(n)], axis=1)
    lengths = np.linalg.norm(annulus[edges[:, 1]] - annulus[edges[:, 0]], axis=1)

    def system(anchors: np.ndarray, rest: np.ndarray) -> RigidReduced:
        terms = Sum(
            [
                Springs(edges, lengths, 2.0),
                Foundation(np.arange(n), anchors, 1.0),
                Sutures(pairs, np.tile([1.0, -1.0], (n, 1)), 0.5),
            ]
        )
        return RigidReduced(terms, 2 * n, np.arange(n, 2 * n), RigidRingMap(rest))

    base = system(annulus, ring)
    y = base.reduced(x, q)
    e0, g0 = base.value(y), base.gradient(y).reshape(-1, 3)
    errors = []
    for _ in range(trials):
        rot = Rotation.random(random_state=rng)
        shift = 10.0 * rng.normal(size=3)
        moved = system(annulus @ rot.as_matrix().T + shift, ring @ rot.as_matrix().T + shift)
        y_moved = moved.reduced(x @ rot.as_matrix().T + shift)
        # The ring's pose in the moved system: the same relative motion, conjugated by rot.
        pose = rot * Rotation.from_rotvec(q[3:]) * rot.inv()
        y_moved[-2] = rot.apply(q[:3])
        y_moved[-1] = pose.as_rotvec()
        g = moved.gradient(y_moved).reshape(-1, 3)
        errors.append(abs(moved.value(y_moved) - e0) / abs(e0))
        errors.append(float(np.abs(g[:-1] - g0[:-1] @ rot.as_matrix().T).max() / np.abs(g0).max()))
    error = max(errors)
    return Verification(
        "rigid-ring-invariance", error <= tolerance, error, tolerance, None, params, {}
    )
