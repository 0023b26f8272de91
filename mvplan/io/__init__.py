"""mvplan.io: read annulus curves and labelled points from the files users bring.

``read_curve`` and ``read_points`` choose the reader by the file name's ending. Importing this
package loads neither VTK nor trimesh; the readers that need them import them when called.
"""

from __future__ import annotations

from mvplan.io.read import read_curve, read_points
from mvplan.io.types import LANDMARK_NAMES, CurveRead, PointsRead

__all__ = ["LANDMARK_NAMES", "CurveRead", "PointsRead", "read_curve", "read_points"]
