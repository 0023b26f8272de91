"""Load an annulus, with its optional landmark and papillary files, from paths.

This is the one function the command line, the GUI and scripts call to turn files into an
:class:`~mvplan.geometry.annulus.Annulus`: it picks the reader by file name, settles the units
once for the curve (explicit, declared by the file, or inferred from size) and brings the side
files into the same units before :func:`~mvplan.geometry.annulus.build_annulus` does the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from mvplan.errors import InputError
from mvplan.geometry.annulus import LANDMARK_NAMES, Annulus, build_annulus
from mvplan.geometry.papillary import PapillaryTips, split_papillary
from mvplan.geometry.units import MM_PER_UNIT, UnitChoice, choose_units
from mvplan.io.markups import landmark_name
from mvplan.io.read import read_curve, read_points
from mvplan.io.types import CurveRead, FloatArray, PointsRead

PathLike = str | os.PathLike[str]


def load_annulus(
    path: PathLike,
    *,
    units: str | None = None,
    landmarks: PathLike | None = None,
    papillary: PathLike | None = None,
) -> Annulus:
    """Read an annulus file (and optional landmark and papillary files) into an Annulus.

    Parameters
    ----------
    path : path
        Annulus file: CSV/TXT, Slicer ``.mrk.json``, ``.vtk``/``.vtp``, STL/PLY/OBJ.
    units : {"mm", "cm", "m"}, optional
        Unit of the annulus file's coordinates; inferred from size (with a warning) when
        neither this nor the file says.
    landmarks : path, optional
        Points labelled ``A, P, ALC, PMC, ALT, PMT``; they override landmarks in the annulus
        file. In the annulus file's units unless the file declares its own.
    papillary : path, optional
        Papillary-muscle tip points; they decide the atrial side of the annulus plane.

    Raises
    ------
    InputError, GeometryError
        With a one-line message naming the file and the problem.
    """
    return annulus_from_curve(
        read_curve(path), units=units, landmarks=landmarks, papillary=papillary
    )


def annulus_from_curve(
    curve: CurveRead,
    *,
    units: str | None = None,
    landmarks: PathLike | None = None,
    papillary: PathLike | None = None,
) -> Annulus:
    """:func:`load_annulus` of a curve already read (one frame of a multi-frame file)."""
    choice = choose_units(curve.points, units, curve.units, curve.source)
    named: dict[str, FloatArray] = dict(curve.landmarks)
    if landmarks is not None:
        named |= _landmarks_from(read_points(landmarks), choice)
    tips = None
    if papillary is not None:
        tips = _in_curve_units(read_points(papillary), choice)
    return build_annulus(
        curve.points,
        ordered=curve.ordered,
        landmarks=named,
        papillary_points=tips,
        units=choice,
        source=curve.source,
    )


def load_papillary(path: PathLike, annulus: Annulus, units: str | None = None) -> PapillaryTips:
    """Read a papillary-tip file and split its points into the two muscles (mm, input frame).

    ``units`` is the file's unit when it declares none; by default the annulus's input unit.
    """
    read = read_points(path)
    unit = read.units or units or annulus.source.input_units
    return split_papillary(read.points * MM_PER_UNIT[unit], read.labels, annulus, read.source)


def _in_curve_units(read: PointsRead, choice: UnitChoice) -> FloatArray:
    """Points of a side file in the annulus file's units."""
    if read.units is None:
        return read.points
    return read.points * (MM_PER_UNIT[read.units] / choice.scale)


def _landmarks_from(read: PointsRead, choice: UnitChoice) -> Mapping[str, FloatArray]:
    points = _in_curve_units(read, choice)
    found = {}
    for label, point in zip(read.labels, points, strict=True):
        name = landmark_name(label)
        if name is not None:
            if name in found:
                raise InputError(f"landmark {name} is given twice", source=read.source)
            found[name] = np.asarray(point)
    if not found:
        raise InputError(
            f"no point labelled with a landmark name ({', '.join(LANDMARK_NAMES)})",
            source=read.source,
        )
    return found
