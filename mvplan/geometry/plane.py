"""Least-squares planes and projections onto them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Plane:
    """A plane through ``origin`` with unit ``normal``.

    Attributes
    ----------
    origin : (3,) float, mm
    normal : (3,) float
        Unit normal. Its sign is a choice the caller makes (see ``flipped``).
    axes : (2, 3) float
        Orthonormal in-plane axes, the first along the largest in-plane spread of the fitted
        points, with ``axes[0] x axes[1] == normal``.
    spread : (3,) float, mm
        Root-mean-square extent of the fitted points along ``axes[0]``, ``axes[1]``, ``normal``.
    """

    origin: FloatArray
    normal: FloatArray
    axes: FloatArray
    spread: FloatArray

    def signed_distance(self, points: FloatArray) -> FloatArray:
        """Signed distance of ``points (..., 3)`` from the plane along ``normal``, mm."""
        return np.asarray((points - self.origin) @ self.normal)

    def in_plane(self, points: FloatArray) -> FloatArray:
        """Coordinates ``(..., 2)`` of the projections of ``points`` along ``axes``, mm."""
        return np.asarray((points - self.origin) @ self.axes.T)

    def project(self, points: FloatArray) -> FloatArray:
        """Orthogonal projections ``(..., 3)`` of ``points`` onto the plane, mm."""
        return np.asarray(points - np.multiply.outer(self.signed_distance(points), self.normal))

    def flipped(self) -> Plane:
        """The same plane with the opposite normal (the second axis flips to stay right-handed)."""
        axes = np.array([self.axes[0], -self.axes[1]])
        return Plane(self.origin, -self.normal, axes, self.spread)


def fit_plane(points: FloatArray) -> Plane:
    """Least-squares plane of ``points`` by the singular value decomposition.

    Parameters
    ----------
    points : (n, 3) float, mm
        Points that sample the object uniformly (for a curve: equally spaced in arc length),
        so that every part of it weighs the same.

    Returns
    -------
    Plane
        Through the centroid; its normal is the direction of least spread.
    """
    centroid = points.mean(axis=0)
    _, singular, vt = np.linalg.svd(points - centroid, full_matrices=False)
    normal = vt[2]
    first = vt[0]
    second = np.cross(normal, first)
    spread = singular / np.sqrt(len(points))
    return Plane(centroid, normal, np.array([first, second]), spread)
