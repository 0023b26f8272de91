"""The plan file ``*.mvplan.json``: schema, reading, and atomic writing.

The file is a JSON document validated against ``mvplan/schemas/plan-v1.schema.json``. It
embeds the annulus as its resampled points plus the user's decisions (given landmarks, the
atrial side), so that reading it back gives the same annulus to the last bit, and saving that
again gives the same file. Floats are written with Python's shortest round-trip repr. Only
input file base names are stored, never paths. Writing goes to a temporary file in the same
folder, is flushed to disk, and then renamed over the target: a crash leaves the old file or
the new one, never half of one.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from mvplan import __version__
from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus, SourceInfo, restore_annulus
from mvplan.geometry.frames import RigidTransform
from mvplan.geometry.papillary import PapillaryTips
from mvplan.io.atomic import write_atomic
from mvplan.plan import Plan, RingChoice, SolverSettings
from mvplan.planning.placement import Placement
from mvplan.planning.sutures import Suture

PLAN_FORMAT = "mvplan-plan"
PLAN_VERSION = 1
PLAN_SUFFIX = ".mvplan.json"


def plan_schema() -> dict[str, Any]:
    """The JSON schema of the current plan-file version."""
    text = resources.files("mvplan.schemas").joinpath("plan-v1.schema.json").read_text()
    return dict(json.loads(text))


def plan_to_document(plan: Plan) -> dict[str, Any]:
    """The JSON-ready document of ``plan`` (what :func:`save_plan` writes)."""
    doc: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "created_by": f"mvplan {__version__}",
        "name": plan.name,
        "notes": plan.notes,
        "annulus": _annulus_to_document(plan.annulus),
        "papillary": None,
        "ring": None,
        "placement": None,
        "solver": {"rtol": plan.solver.rtol, "max_iterations": plan.solver.max_iterations},
        "results": None if plan.results is None else dict(plan.results),
    }
    if plan.papillary is not None:
        doc["papillary"] = {
            "points_mm": plan.papillary.points.tolist(),
            "muscle": list(plan.papillary.muscle),
        }
    if plan.ring is not None:
        doc["ring"] = {
            "family": plan.ring.family,
            "size_mm": plan.ring.size_mm,
            "adjustment_mm": plan.ring.adjustment_mm,
        }
    if plan.placement is not None:
        doc["placement"] = {
            "pose": plan.placement.pose.matrix.tolist(),
            "sutures": [
                {"ring_u": s.ring_u, "annulus_u": s.annulus_u} for s in plan.placement.sutures
            ],
        }
    return doc


def _annulus_to_document(annulus: Annulus) -> dict[str, Any]:
    src = annulus.source
    return {
        "source": {
            "name": os.path.basename(src.name),
            "n_input_points": src.n_input_points,
            "input_units": src.input_units,
            "units_inferred": src.units_inferred,
        },
        "points_mm": annulus.points.tolist(),
        "landmarks_given": {k: float(v) for k, v in annulus.given_landmarks.items()},
        "atrial_normal": annulus.plane.normal.tolist(),
        "orientation": annulus.orientation,
        "warnings": list(annulus.warnings),
    }


def plan_from_document(doc: Any, source: str = "") -> Plan:
    """Validate a plan document and rebuild the :class:`Plan`.

    Raises
    ------
    InputError
        Not a plan file, a version this mvplan does not know, or a document that fails the
        schema (the message names the first failing field).
    """
    if not isinstance(doc, dict) or doc.get("format") != PLAN_FORMAT:
        raise InputError(
            'not an mvplan plan file (no "format": "mvplan-plan")', source=source or None
        )
    version = doc.get("version")
    if isinstance(version, int) and version > PLAN_VERSION:
        raise InputError(
            f"plan file version {version} was written by a newer mvplan "
            f"(this one reads up to {PLAN_VERSION})",
            source=source or None,
        )
    _validate(doc, source)
    a = doc["annulus"]
    annulus = restore_annulus(
        np.array(a["points_mm"], dtype=float),
        given_landmarks=a["landmarks_given"],
        atrial_normal=np.array(a["atrial_normal"], dtype=float),
        orientation=a["orientation"],
        source=SourceInfo(**a["source"]),
        warnings=tuple(a.get("warnings", ())),
    )
    return Plan(
        annulus=annulus,
        papillary=_papillary_from(doc.get("papillary"), source),
        ring=None if doc.get("ring") is None else RingChoice(**doc["ring"]),
        placement=_placement_from(doc.get("placement"), source),
        solver=SolverSettings(**doc.get("solver", {})),
        results=doc.get("results"),
        name=doc.get("name", ""),
        notes=doc.get("notes", ""),
    )


def _validate(doc: dict[str, Any], source: str) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(plan_schema()).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"invalid plan file at {where}: {error.message}", source=source or None)


def _papillary_from(doc: dict[str, Any] | None, source: str) -> PapillaryTips | None:
    if doc is None:
        return None
    points = np.array(doc["points_mm"], dtype=float)
    muscle = tuple(doc["muscle"])
    tips = {m: points[[x == m for x in muscle]] for m in ("AL", "PM")}
    if any(len(v) == 0 for v in tips.values()) or len(muscle) != len(points):
        raise InputError(
            "papillary points must name a muscle each, both muscles present", source=source or None
        )
    return PapillaryTips(tips["AL"].mean(axis=0), tips["PM"].mean(axis=0), points, muscle)


def _placement_from(doc: dict[str, Any] | None, source: str) -> Placement | None:
    if doc is None:
        return None
    pose = np.array(doc["pose"], dtype=float)
    rotation = pose[:3, :3]
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-9) or np.linalg.det(rotation) < 0:
        raise InputError("placement pose is not a rigid motion", source=source or None)
    sutures = tuple(Suture(s["ring_u"], s["annulus_u"]) for s in doc["sutures"])
    return Placement(RigidTransform(pose), sutures)


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write ``plan`` to ``path`` atomically (temporary file, fsync, rename); return the path."""
    target = Path(path)
    text = json.dumps(plan_to_document(plan), indent=1, allow_nan=False) + "\n"
    write_atomic(target, text)
    return target


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a plan file (InputError with a one-line message for anything wrong with it)."""
    p = Path(path)
    source = p.name
    if not p.is_file():
        raise InputError("no such plan file" if not p.exists() else "not a file", source=source)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError("not a text file", source=source) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}: {exc.msg}); the file is corrupt", source=source
        ) from exc
    return plan_from_document(doc, source)
