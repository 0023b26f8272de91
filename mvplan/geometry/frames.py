"""Rigid transforms between the input (scanner) frame and the valve frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class RigidTransform:
    """A proper rigid motion ``p -> R p + t``.

    Attributes
    ----------
    matrix : (4, 4) float
        Homogeneous matrix; the upper-left block is a rotation (det +1), the last column the
        translation in mm.
    """

    matrix: FloatArray

    def __post_init__(self) -> None:
        m = np.array(self.matrix, dtype=float)
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RigidTransform):
            return NotImplemented
        return bool(np.array_equal(self.matrix, other.matrix))

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_rotation_translation(
        cls, rotation: FloatArray, translation: FloatArray
    ) -> RigidTransform:
        """Build from a (3, 3) rotation and a (3,) translation, mm."""
        m = np.eye(4)
        m[:3, :3] = rotation
        m[:3, 3] = translation
        return cls(m)

    @property
    def rotation(self) -> FloatArray:
        """The (3, 3) rotation."""
        return self.matrix[:3, :3]

    @property
    def translation(self) -> FloatArray:
        """The (3,) translation, mm."""
        return self.matrix[:3, 3]

    def apply(self, points: FloatArray) -> FloatArray:
        """Transform points ``(..., 3)``, mm."""
        return np.asarray(points @ self.rotation.T + self.translation)

    def apply_vector(self, vectors: FloatArray) -> FloatArray:
        """Rotate direction vectors ``(..., 3)`` (no translation)."""
        return np.asarray(vectors @ self.rotation.T)

    def inverse(self) -> RigidTransform:
        """The inverse motion."""
        r = self.rotation.T
        return RigidTransform.from_rotation_translation(r, -r @ self.translation)

    def compose(self, first: RigidTransform) -> RigidTransform:
        """The motion that applies ``first`` and then ``self``."""
        return RigidTransform(self.matrix @ first.matrix)


def valve_frame(
    origin: FloatArray, normal: FloatArray, toward_anterior: FloatArray
) -> RigidTransform:
    """Transform from input coordinates to the valve frame (DESIGN.md section 2).

    Parameters
    ----------
    origin : (3,) float, mm
        Centroid of the annulus curve: the valve frame's origin.
    normal : (3,) float
        Unit annulus-plane normal pointing into the left atrium: the valve frame's +z.
    toward_anterior : (3,) float
        A vector from the centre toward A; its projection on the plane is the +y axis.

    Returns
    -------
    RigidTransform
        ``p_valve = R (p - origin)`` with rows of R the x, y, z axes, ``x = y cross z``.
    """
    z = normal / np.linalg.norm(normal)
    y = toward_anterior - (toward_anterior @ z) * z
    y = y / np.linalg.norm(y)
    x = np.cross(y, z)
    rotation = np.array([x, y, z])
    return RigidTransform.from_rotation_translation(rotation, -rotation @ origin)
