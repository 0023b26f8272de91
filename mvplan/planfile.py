"""The plan file ``*.mvplan.json``: schema, versions and migration, reading, atomic writing.

The file is a JSON document validated against ``mvplan/schemas/plan-v<N>.schema.json``
(every version's schema is kept). It embeds the annulus as its resampled points plus the
user's decisions (given landmarks, the atrial side), so that reading it back gives the same
annulus to the last bit, and saving that again gives the same file; the papillary tips; the
ring with its family's whole definition (so the plan simulates the same on a machine whose
catalogue differs or lacks the ring); the placement and sutures; the solver settings; the
leaflet dimensions; the results of the last simulation; and the mvplan version that wrote it.
Floats are written with Python's shortest round-trip repr. Only input file base names are
stored, never paths.

Versions: a file is validated against the schema of its own version, then migrated one
version at a time (:data:`MIGRATIONS`) to the current one. A file from a newer mvplan is
refused with a message saying so. Version 1 (written by mvplan 0.1.0) had no ring definition:
the migration takes it from this machine's catalogue, and refuses a ring the catalogue lacks.
Version 3 added the leaflet dimensions of the closure simulation (a version 2 file gets the
defaults). Version 4 added percutaneous devices (a ring entry whose definition is a device's),
the coronary-sinus path and where the device sits in it, the circumflex artery and the
compression threshold (a version 3 file has none of them and the defaults).

Writing goes to a temporary file in the same folder, is flushed to disk, and then renamed over
the target: a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from mvplan import __version__
from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus, SourceInfo, restore_annulus
from mvplan.geometry.coronary import CSOffsets, CSPath, nearest_annulus_points
from mvplan.geometry.frames import RigidTransform
from mvplan.geometry.papillary import PapillaryTips
from mvplan.geometry.safety import DEFAULT_COMPRESSION_THRESHOLD_MM, ArteryPath
from mvplan.io.atomic import write_atomic
from mvplan.plan import Plan, RingChoice, SolverSettings
from mvplan.planning.placement import Placement
from mvplan.planning.sutures import Suture
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.rings.percutaneous import PercutaneousFamily, device_to_dict, parse_device
from mvplan.rings.schema import family_to_dict, parse_family
from mvplan.rings.spec import RingFamily
from mvplan.valve.leaflets import LeafletSpec

PLAN_FORMAT = "mvplan-plan"
PLAN_VERSION = 4
PLAN_SUFFIX = ".mvplan.json"


def plan_schema(version: int = PLAN_VERSION) -> dict[str, Any]:
    """The JSON schema of plan-file ``version`` (default: the current one)."""
    name = f"plan-v{version}.schema.json"
    return dict(json.loads(resources.files("mvplan.schemas").joinpath(name).read_text()))


def plan_to_document(plan: Plan, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The JSON-ready document of ``plan`` (what :func:`save_plan` writes).

    A ring that carries no definition gets the catalogue's (default :func:`load_catalogue`).
    """
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
        "leaflets": asdict(plan.leaflets),
        "results": None if plan.results is None else dict(plan.results),
        "cs_path": None,
        "artery": None,
        "safety_threshold_mm": plan.safety_threshold_mm,
        "distal_anchor_offset_mm": plan.distal_anchor_offset_mm,
    }
    if plan.cs_path is not None:
        doc["cs_path"] = {
            "source": plan.cs_path.source,
            "offsets": None if plan.cs_path.offsets is None else plan.cs_path.offsets.to_dict(),
            "points_valve_mm": plan.cs_path.points_valve.tolist(),
        }
    if plan.artery is not None:
        doc["artery"] = {
            "source": plan.artery.source,
            "points_valve_mm": plan.artery.points_valve.tolist(),
        }
    if plan.papillary is not None:
        doc["papillary"] = {
            "points_mm": plan.papillary.points.tolist(),
            "muscle": list(plan.papillary.muscle),
        }
    if plan.ring is not None:
        family = plan.ring.definition or (catalogue or load_catalogue()).family(plan.ring.family)
        doc["ring"] = {
            "family": plan.ring.family,
            "size_mm": plan.ring.size_mm,
            "adjustment_mm": plan.ring.adjustment_mm,
            "definition": device_to_dict(family)
            if isinstance(family, PercutaneousFamily)
            else family_to_dict(family),
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
    """Validate a plan document of any known version, migrate it, and rebuild the Plan.

    Raises
    ------
    InputError
        Not a plan file, a version this mvplan does not know (a newer mvplan's), or a
        document that fails its schema (the message names the first failing field).
    """
    doc = migrate(doc, source)
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
        leaflets=LeafletSpec(**doc["leaflets"]),
        ring=_ring_from(doc.get("ring"), source),
        placement=_placement_from(doc.get("placement"), source),
        solver=SolverSettings(**doc["solver"]),
        results=doc.get("results"),
        name=doc.get("name", ""),
        notes=doc.get("notes", ""),
        cs_path=_cs_path_from(doc.get("cs_path"), annulus),
        artery=_artery_from(doc.get("artery")),
        safety_threshold_mm=doc.get("safety_threshold_mm", DEFAULT_COMPRESSION_THRESHOLD_MM),
        distal_anchor_offset_mm=doc.get("distal_anchor_offset_mm", 0.0),
    )


def _cs_path_from(doc: dict[str, Any] | None, annulus: Annulus) -> CSPath | None:
    """The stored path as it was (no resampling, so a plan reads back bit for bit)."""
    if doc is None:
        return None
    points = np.array(doc["points_valve_mm"], dtype=float)
    offsets = None if doc.get("offsets") is None else CSOffsets(**doc["offsets"])
    u, distance = nearest_annulus_points(annulus, points)
    return CSPath(points, doc["source"], offsets, u, distance)


def _artery_from(doc: dict[str, Any] | None) -> ArteryPath | None:
    if doc is None:
        return None
    return ArteryPath(np.array(doc["points_valve_mm"], dtype=float), doc["source"])


def document_version(doc: Any, source: str = "") -> int:
    """The version of a plan document (InputError when it is not one mvplan can read)."""
    if not isinstance(doc, dict) or doc.get("format") != PLAN_FORMAT:
        raise InputError(
            'not an mvplan plan file (no "format": "mvplan-plan")', source=source or None
        )
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(f"plan file version {version!r} is not a version", source=source or None)
    if version > PLAN_VERSION:
        raise InputError(
            f"plan file version {version} was written by a newer mvplan "
            f"(this one reads versions 1 to {PLAN_VERSION}); update mvplan to open it",
            source=source or None,
        )
    return version


def migrate(doc: Any, source: str = "") -> dict[str, Any]:
    """A plan document of any known version as a valid current-version document.

    Each version is validated against its own schema before it is migrated, and the result
    against the current schema, so a migration never hides a broken file.
    """
    version = document_version(doc, source)
    _validate(doc, source, version)
    while version < PLAN_VERSION:
        doc = MIGRATIONS[version](doc, source)
        version += 1
        _validate(doc, source, version)
    return dict(doc)


def _v1_to_v2(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """Version 1 to 2: embed the ring's definition (from this machine's catalogue), write the
    solver settings out in full."""
    new = {**doc, "version": 2}
    new.setdefault("created_by", "mvplan (version 1 file)")
    new["solver"] = {"rtol": 1e-8, "max_iterations": 100, **doc.get("solver", {})}
    ring = doc.get("ring")
    if ring is not None:
        catalogue = load_catalogue()
        if ring["family"] not in catalogue:
            raise InputError(
                f"this version 1 plan names the ring family {ring['family']!r}, which this "
                "machine's catalogue lacks (version 1 files do not carry the ring's "
                "definition); add its .toml to the user rings folder and open it again",
                source=source or None,
            )
        new["ring"] = {
            "adjustment_mm": 0.0,
            **ring,
            "definition": family_to_dict(catalogue.family(ring["family"])),
        }
    return new


def _v2_to_v3(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """Version 2 to 3: the leaflet dimensions of the closure simulation (the defaults, which
    are what a version 2 plan would have been simulated with)."""
    return {**doc, "version": 3, "leaflets": asdict(LeafletSpec())}


def _v3_to_v4(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """Version 3 to 4: no coronary-sinus path, no artery, the default compression threshold."""
    return {
        **doc,
        "version": 4,
        "cs_path": None,
        "artery": None,
        "safety_threshold_mm": DEFAULT_COMPRESSION_THRESHOLD_MM,
    }


#: ``MIGRATIONS[v]`` turns a valid version-``v`` document into a version ``v + 1`` one.
MIGRATIONS: dict[int, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
}


def _validate(doc: dict[str, Any], source: str, version: int = PLAN_VERSION) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(plan_schema(version)).iter_errors(doc))
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


def _ring_from(doc: dict[str, Any] | None, source: str) -> RingChoice | None:
    if doc is None:
        return None
    try:
        definition = doc["definition"]
        family: RingFamily | PercutaneousFamily = (
            parse_device(definition, source=source or "<plan>")
            if "type" in definition
            else parse_family(definition, source=source or "<plan>")
        )
    except InputError as exc:
        raise InputError(f"the plan's ring definition: {exc}", source=source or None) from exc
    if family.id != doc["family"]:
        raise InputError(
            f"the plan's ring {doc['family']!r} carries the definition of {family.id!r}",
            source=source or None,
        )
    return RingChoice(doc["family"], doc["size_mm"], doc["adjustment_mm"], family)


def _placement_from(doc: dict[str, Any] | None, source: str) -> Placement | None:
    if doc is None:
        return None
    pose = np.array(doc["pose"], dtype=float)
    rotation = pose[:3, :3]
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-9) or np.linalg.det(rotation) < 0:
        raise InputError("placement pose is not a rigid motion", source=source or None)
    sutures = tuple(Suture(s["ring_u"], s["annulus_u"]) for s in doc["sutures"])
    return Placement(RigidTransform(pose), sutures)


def save_plan(plan: Plan, path: str | os.PathLike[str], catalogue: Catalogue | None = None) -> Path:
    """Write ``plan`` to ``path`` atomically (temporary file, fsync, rename); return the path."""
    target = Path(path)
    text = json.dumps(plan_to_document(plan, catalogue), indent=1, allow_nan=False) + "\n"
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
