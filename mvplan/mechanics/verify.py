"""The registry of verification cases that `mvplan verify` runs (name -> case function).

Each case takes its parameters as keyword arguments with defaults and returns a
:class:`~mvplan.mechanics.verification.Verification`.
"""

from __future__ import annotations

from collections.abc import Callable

from mvplan.mechanics.verification import (
    Verification,
    finite_difference_checks,
    ring_diametral,
    ring_on_foundation,
)
from mvplan.mechanics.verification_frame import (
    frame_cantilever,
    frame_ring_diametral,
    frame_ring_out_of_plane,
)
from mvplan.mechanics.verification_membrane import (
    hencky_membrane,
    membrane_equibiaxial,
    shell_bending_cylinder,
)
from mvplan.mechanics.verification_rigid import rigid_ring_invariance, rigid_ring_torque

VERIFICATIONS: dict[str, Callable[..., Verification]] = {
    "ring-foundation": ring_on_foundation,
    "ring-diametral": ring_diametral,
    "rigid-ring-torque": rigid_ring_torque,
    "rigid-ring-invariance": rigid_ring_invariance,
    "frame-cantilever": frame_cantilever,
    "frame-ring-diametral": frame_ring_diametral,
    "frame-ring-out-of-plane": frame_ring_out_of_plane,
    "hencky-membrane": hencky_membrane,
    "membrane-equibiaxial": membrane_equibiaxial,
    "shell-bending-cylinder": shell_bending_cylinder,
    "finite-differences": finite_difference_checks,
}


def run_all() -> list[Verification]:
    """Every verification case with its default parameters."""
    return [case() for case in VERIFICATIONS.values()]
