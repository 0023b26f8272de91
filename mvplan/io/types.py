"""Plain values that the readers return: what a file holds, before any geometry is done.

Readers keep coordinates as they are in the file (units and frame untouched, except for
Slicer's LPS, which the markups reader turns into RAS so that every reader returns one
handedness). Unit conversion, merging of near-duplicate points, ordering and the spline
belong to :func:`mvplan.geometry.annulus.build_annulus`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Landmark names that mvplan understands, in the order reports list them.
LANDMARK_NAMES: tuple[str, ...] = ("A", "P", "ALC", "PMC", "ALT", "PMT")


@dataclass(frozen=True)
class CurveRead:
    """An annulus curve as read from a file.

    Attributes
    ----------
    points : (m, 3) float, file units
        The curve's points. When ``ordered`` is true they follow the curve (closed: the last
        joins the first); otherwise they are an unordered cloud.
    ordered : bool
        Whether the point order is the curve order (an ordered list, a closed curve's control
        points, a loop recovered from connectivity).
    landmarks : mapping of str to (3,) float, file units
        Named landmarks found in the same file (keys from :data:`LANDMARK_NAMES`).
    units : str or None
        Length unit the file declares (``"mm"``, ``"cm"`` or ``"m"``); None when it declares none.
    source : str
        The file's base name (never a full path: plans must not carry paths).
    """

    points: FloatArray
    ordered: bool
    source: str
    landmarks: Mapping[str, FloatArray] = field(default_factory=dict)
    units: str | None = None


@dataclass(frozen=True)
class PointsRead:
    """Labelled points as read from a file (landmarks, papillary tips).

    Attributes
    ----------
    points : (m, 3) float, file units
    labels : tuple of (str or None), length m
        Each point's label as written in the file (None where the file gives none).
    units : str or None
        Length unit the file declares, if any.
    source : str
        The file's base name.
    """

    points: FloatArray
    labels: tuple[str | None, ...]
    source: str
    units: str | None = None
