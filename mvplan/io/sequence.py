"""Several frames of one annulus (a 4D series): from files or a folder of files.

Each frame is read and built exactly as :func:`mvplan.io.load.load_annulus` reads a single file
(:func:`~mvplan.io.read.read_curve`, then :func:`~mvplan.io.load.annulus_from_curve`), so a
frame measures the same alone and in a series. A folder stands for every annulus file in it
(a name ending in a suffix of :data:`mvplan.io.read.CURVE_READERS`), in natural order of the
names (``f2`` before ``f10``); hidden files, plan files (``*.mvplan.json``) and side files
whose name says ``papillary`` or ``landmark`` are left out.

One format holds several frames in one file: a CSV/TXT point list with a frame column
(``frame``, ``phase``, ``time``, ``timepoint`` or ``t``; :mod:`mvplan.io.text_points`), each
frame's rows together and in curve order, the frames in order of first appearance. Given alone,
such a file is the series. Other formats do not: of several loops in a VTK file the reader
takes the largest (the others are segmentation debris), and of several curves in a Slicer
markups file the first; reading those as frames would change what one file means.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus
from mvplan.geometry.ordering import cloud_order_if_unordered
from mvplan.geometry.units import MM_PER_UNIT
from mvplan.io._common import source_name
from mvplan.io.load import annulus_from_curve
from mvplan.io.read import CURVE_READERS, read_curve
from mvplan.io.text_points import read_curve_frames_text
from mvplan.io.types import CurveRead, FloatArray

__all__ = [
    "AnnulusSequence",
    "annulus_files",
    "frame_count",
    "frame_files",
    "load_annulus_sequence",
    "multi_frame_curves",
]

PathLike = str | os.PathLike[str]

#: Words in a file name that mark a side file (papillary tips, landmarks), not a frame.
SIDE_FILE_WORDS = ("papillary", "landmark")


@dataclass(frozen=True, eq=False)
class AnnulusSequence:
    """The frames of one annulus, in time order.

    Attributes
    ----------
    annuli : tuple of Annulus, length f
        Each frame as :func:`~mvplan.io.load.load_annulus` makes it from its file.
    input_points : tuple of ((m_k, 3) float, mm, or None), length f
        Each frame's points as read (in mm, input coordinates) in the file's order; None when
        that order is not a curve order (a point cloud, or a list that had to be reordered).
    order : str
        How the frame order was decided, for the user: ``"as given"`` or the folder's
        natural name order.
    """

    annuli: tuple[Annulus, ...]
    input_points: tuple[FloatArray | None, ...]
    order: str


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    """Sort key that orders the digit runs of a name by value: ``f2`` before ``f10``."""
    return [
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", name.lower())
        if part
    ]


def annulus_files(folder: PathLike) -> list[Path]:
    """The annulus files of a folder, in natural order of their names.

    Parameters
    ----------
    folder : path

    Returns
    -------
    list of Path
        Files whose lower-cased name ends in an annulus suffix (``.csv .txt .mrk.json .vtk
        .vtp .stl .ply .obj`` ...), leaving out hidden files, ``*.mvplan.json`` plan files and
        names containing ``papillary`` or ``landmark``.

    Raises
    ------
    InputError
        The folder does not exist or holds no annulus file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError("no such folder", source=source_name(folder))
    suffixes = tuple(CURVE_READERS)
    found = []
    for path in root.iterdir():
        name = path.name.lower()
        if (
            path.is_file()
            and name.endswith(suffixes)
            and not name.startswith(".")
            and not name.endswith(".mvplan.json")
            and not any(word in name for word in SIDE_FILE_WORDS)
        ):
            found.append(path)
    if not found:
        raise InputError(
            f"no annulus file in the folder (looked for {', '.join(sorted(suffixes))})",
            source=source_name(folder),
        )
    return sorted(found, key=lambda p: _natural_key(p.name))


def load_annulus_sequence(
    paths: Sequence[PathLike],
    *,
    units: str | None = None,
    landmarks: Sequence[PathLike | None] | None = None,
    papillary: Sequence[PathLike | None] | None = None,
) -> AnnulusSequence:
    """Read the frames of one annulus from several files, or from one folder.

    Parameters
    ----------
    paths : sequence of path
        Frame files in time order, or a single folder (see :func:`annulus_files`).
    units : {"mm", "cm", "m"}, optional
        Unit of every frame's coordinates (else each file's declared or inferred unit).
    landmarks, papillary : sequence of (path or None), optional
        One landmark file and one papillary-tip file per frame, in frame order (None for
        none), as ``load_annulus`` takes them.

    Returns
    -------
    AnnulusSequence

    Raises
    ------
    InputError, GeometryError
        A folder with no annulus file, a folder mixed with files, side files not one per
        frame, or any problem with a frame's file (the message names the file).
    """
    if len(paths) == 1 and (curves := multi_frame_curves(paths[0])) is not None:
        return _sequence_of_curves(curves, units, landmarks, papillary)
    files, order = frame_files(paths)
    # Each file is read once: its curve makes the frame and gives its points in file order.
    return _sequence_of_curves([read_curve(p) for p in files], units, landmarks, papillary, order)


def multi_frame_curves(path: PathLike) -> list[CurveRead] | None:
    """The frames of a multi-frame file (a text point list with a frame column), or None for
    a file of one frame, a folder, or another format."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    return read_curve_frames_text(p)


def frame_count(paths: Sequence[PathLike]) -> int:
    """How many frames ``paths`` (files, one folder, or one multi-frame file) stand for."""
    if len(paths) == 1 and (curves := multi_frame_curves(paths[0])) is not None:
        return len(curves)
    return len(frame_files(paths)[0])


def _sequence_of_curves(
    curves: list[CurveRead],
    units: str | None,
    landmarks: Sequence[PathLike | None] | None,
    papillary: Sequence[PathLike | None] | None,
    order: str | None = None,
) -> AnnulusSequence:
    """The frames of these curves (files or one multi-frame file), each built as
    :func:`load_annulus` builds a file."""
    for what, given in {"landmarks": landmarks, "papillary": papillary}.items():
        if given is not None and len(given) != len(curves):
            raise InputError(f"{len(given)} {what} files for {len(curves)} frames")
    annuli = []
    points: list[FloatArray | None] = []
    for k, curve in enumerate(curves):
        annulus = annulus_from_curve(
            curve,
            units=units,
            landmarks=None if landmarks is None else landmarks[k],
            papillary=None if papillary is None else papillary[k],
        )
        annuli.append(annulus)
        points.append(_points_in_file_order(curve, annulus))
    if order is None:
        order = "as in the file: " + ", ".join(c.source for c in curves)
    return AnnulusSequence(tuple(annuli), tuple(points), order)


def frame_files(paths: Sequence[PathLike]) -> tuple[list[Path], str]:
    """The frame files that ``paths`` (files, or one folder) stand for, and how they are ordered.

    Returns
    -------
    files : list of Path
    order : str
        ``"as given"``, or the folder's natural name order with the names, for the user.
    """
    if not paths:
        raise InputError("no annulus file given")
    folders = [p for p in paths if Path(p).is_dir()]
    if folders and len(paths) > 1:
        raise InputError(
            "give either one folder of frames or several frame files, not both",
            source=source_name(folders[0]),
        )
    if folders:
        files = annulus_files(folders[0])
        names = ", ".join(p.name for p in files)
        return files, f"natural order of the names in {source_name(folders[0])}: {names}"
    return [Path(p) for p in paths], "as given"


def _points_in_file_order(curve: CurveRead, annulus: Annulus) -> FloatArray | None:
    """The frame's input points in mm, if their order in the file is a curve order
    (``load_annulus`` keeps only the resampled curve; the point-order correspondence needs
    the points as listed)."""
    if not curve.ordered:
        return None
    pts = np.asarray(curve.points, dtype=float) * MM_PER_UNIT[annulus.source.input_units]
    return pts if cloud_order_if_unordered(pts) is None else None
