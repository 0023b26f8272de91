"""mvplan.planning: a ring placed on an annulus, its sutures, and the use cases built on them.

``auto_place(annulus, spec)`` fits the ring to the annulus landmarks and lays out its sutures;
``translated``, ``rotated_about_normal`` and ``tilted`` edit the pose; ``with_suture_count`` and
``with_sutures`` edit the layout. This layer imports ``mvplan.geometry``, ``mvplan.rings``,
``mvplan.mechanics``, ``mvplan.io`` and ``mvplan.errors`` (never Qt or VTK).
"""

from __future__ import annotations

from mvplan.planning.placement import (
    FIT_WEIGHTS,
    AutoPlacement,
    Placement,
    auto_place,
    fit_rotation_translation,
    ring_points_in_annulus_frame,
    ring_points_in_input_frame,
    rotated_about_normal,
    tilted,
    translated,
    with_suture_count,
    with_sutures,
)
from mvplan.planning.sutures import (
    DEFAULT_BAND_SUTURES,
    DEFAULT_RING_SUTURES,
    MAX_MEAN_SUTURE_MM,
    MAX_SUTURE_MM,
    MIN_SUTURES,
    RING_SUTURE_RANGE,
    RingTooFarError,
    Suture,
    check_sutures,
    default_sutures,
    layout_sutures,
    ring_suture_parameters,
    suture_lengths,
    suture_points,
)

__all__ = [
    "DEFAULT_BAND_SUTURES",
    "DEFAULT_RING_SUTURES",
    "FIT_WEIGHTS",
    "MAX_MEAN_SUTURE_MM",
    "MAX_SUTURE_MM",
    "MIN_SUTURES",
    "RING_SUTURE_RANGE",
    "AutoPlacement",
    "Placement",
    "RingTooFarError",
    "Suture",
    "auto_place",
    "check_sutures",
    "default_sutures",
    "fit_rotation_translation",
    "layout_sutures",
    "ring_points_in_annulus_frame",
    "ring_points_in_input_frame",
    "ring_suture_parameters",
    "rotated_about_normal",
    "suture_lengths",
    "suture_points",
    "tilted",
    "translated",
    "with_suture_count",
    "with_sutures",
]
