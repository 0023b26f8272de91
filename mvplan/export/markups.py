"""3D Slicer markups (``.mrk.json``) of a plan: its annuli and ring as curves.

The file holds, in this order (what the plan has of them, or a selection):

- ``annulus_native``: a ``ClosedCurve`` through the annulus's resampled points; first, so
  that :func:`mvplan.io.load.load_annulus` reads the file back as the native annulus;
- ``annulus_reshaped``: a ``ClosedCurve`` through the simulated annulus's nodes;
- ``ring``: the device's centreline, a ``ClosedCurve`` for a ring and a ``Curve`` for a band,
  where it settled after a simulation and as placed before one;
- ``landmarks``: a point list (``Fiducial``) of the native annulus's landmarks, written with
  the native annulus. Given landmarks are labelled by name (``A``, ``ALT``...), so a round
  trip keeps them; estimated ones ``A (estimated)``, which mvplan's reader does not take
  for a given landmark and estimates again.

Each markup has its display colour (:data:`mvplan.export.objects.DISPLAY_COLOURS`).
Positions are mm in Slicer's default LPS system: mvplan's reader
(:mod:`mvplan.io.markups`) treats coordinates as RAS and converts LPS by negating x and y,
so these are written negated, and reading the file back gives the points exactly as they
were. The documents are valid against Slicer's schema
(``mvplan/schemas/markups-schema-v1.0.3.json``; the tests hold them to it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mvplan.errors import InputError
from mvplan.export.objects import DISPLAY_COLOURS, SceneCurve, frame_transform, plan_curves
from mvplan.export.scene import check_writable
from mvplan.io.atomic import write_atomic

if TYPE_CHECKING:
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult
    from mvplan.rings.spec import RingSpec

__all__ = ["MARKUPS_SUFFIX", "SCHEMA_URL", "markups_document", "write_markups"]

#: Suffix of Slicer markups files.
MARKUPS_SUFFIX = ".mrk.json"

#: The schema Slicer names in the files it writes (the one in ``mvplan/schemas``).
SCHEMA_URL = (
    "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/"
    "Resources/Schema/markups-schema-v1.0.3.json#"
)

#: mvplan's points are RAS to Slicer (:mod:`mvplan.io.markups`); LPS negates x and y.
_RAS_TO_LPS = np.array([-1.0, -1.0, 1.0])

#: Decimals of written positions, mm (0.1 micrometre: far below any image's resolution).
_DECIMALS = 4


def _display(colour: tuple[float, float, float]) -> dict[str, Any]:
    rgb = [round(float(c), 4) for c in colour]
    # Slicer draws control points in ``selectedColor`` (points are selected by default)
    # and the curve in ``color``: both the object's colour.
    return {
        "visibility": True,
        "opacity": 1.0,
        "color": rgb,
        "selectedColor": rgb,
        "propertiesLabelVisibility": False,
        "pointLabelsVisibility": False,
        "glyphScale": 0.5,
    }


def _markup(
    kind: str,
    name: str,
    points: np.ndarray,
    labels: list[str],
    colour: tuple[float, float, float],
) -> dict[str, Any]:
    lps = np.round(np.asarray(points, dtype=float).reshape(-1, 3) * _RAS_TO_LPS, _DECIMALS)
    return {
        "type": kind,
        "name": name,
        "coordinateSystem": "LPS",
        "coordinateUnits": "mm",
        "labelFormat": "%N-%d",
        "lastUsedControlPointNumber": len(labels),
        "controlPoints": [
            {
                "id": str(i + 1),
                "label": label,
                # + 0.0 turns the -0.0 of negated zeros into 0.0.
                "position": [float(v) + 0.0 for v in p],
                "positionStatus": "defined",
            }
            for i, (p, label) in enumerate(zip(lps, labels, strict=True))
        ],
        "display": _display(colour),
    }


def _curve_markup(curve: SceneCurve) -> dict[str, Any]:
    n = curve.points.shape[0]
    return _markup(
        "ClosedCurve" if curve.closed else "Curve",
        curve.name,
        curve.points,
        [f"{curve.name}-{i + 1}" for i in range(n)],
        curve.colour,
    )


def _landmarks_markup(plan: Plan, frame: str) -> dict[str, Any] | None:
    annulus = plan.annulus
    names = list(annulus.landmarks)
    if not names:
        return None
    points = frame_transform(plan, frame)(
        annulus.to_valve_frame.apply(np.array([annulus.landmark_point(n) for n in names]))
    )
    labels = [n if annulus.landmarks[n].given else f"{n} (estimated)" for n in names]
    return _markup("Fiducial", "landmarks", points, labels, DISPLAY_COLOURS["landmarks"])


def markups_document(
    plan: Plan,
    result: AnnuloplastyResult | None = None,
    spec: RingSpec | None = None,
    *,
    objects: str | Iterable[str] | None = None,
    frame: str = "valve",
) -> dict[str, Any]:
    """The markups JSON document of a plan (module docstring).

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult, optional
        The plan's simulation (the reshaped annulus; the ring where it settled).
    spec : RingSpec, optional
        The plan's ring (default :func:`mvplan.workflow.ring_spec`).
    objects : str or iterable of str, optional
        ``annulus_native``, ``annulus_reshaped``, ``ring`` or ``annulus`` (both annuli);
        default all the plan has.
    frame : str
        ``valve`` or ``original`` (the input file's coordinates, to overlay its images).

    Returns
    -------
    dict
        Valid against Slicer's markups schema v1.0.3; positions in mm, LPS.

    Raises
    ------
    InputError
        A bad selection or frame, ``sutures`` (a markups file holds curves), an object
        named that the plan does not have.
    """
    curves = plan_curves(plan, result, spec, objects=objects, frame=frame)
    markups = [_curve_markup(curve) for curve in curves.values()]
    if "annulus_native" in curves:
        landmarks = _landmarks_markup(plan, frame)
        if landmarks is not None:
            markups.append(landmarks)
    return {"@schema": SCHEMA_URL, "markups": markups}


def write_markups(
    plan: Plan,
    result: AnnuloplastyResult | None,
    path: str | os.PathLike[str],
    *,
    spec: RingSpec | None = None,
    objects: str | Iterable[str] | None = None,
    frame: str = "valve",
) -> Path:
    """Write a plan's curves as a 3D Slicer markups file.

    Parameters
    ----------
    plan, result, spec, objects, frame
        As :func:`markups_document`.
    path : path
        Ends in ``.mrk.json``; its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        As :func:`markups_document`; a path that does not end in ``.mrk.json`` or cannot
        be written.
    """
    target = Path(path)
    if not target.name.lower().endswith(MARKUPS_SUFFIX):
        raise InputError(f"a markups file name must end in {MARKUPS_SUFFIX}", source=target.name)
    check_writable(target, "the markups file")
    document = markups_document(plan, result, spec, objects=objects, frame=frame)
    try:
        return write_atomic(target, json.dumps(document, indent=2) + "\n")
    except OSError as error:
        raise InputError(f"cannot write {target.name}: {error.strerror or error}") from error
