"""mvplan.export: a plan's scene files, Slicer markups and pictures.

:func:`export_plan` writes one file (or a few, for formats that hold one mesh) chosen by
the name's ending:

- a scene, :data:`SCENE_SUFFIXES` (:mod:`mvplan.export.scene`): the plan's objects
  (:mod:`mvplan.export.objects`) as named, coloured meshes in mm with per-vertex values
  where the format holds them; given the plan's leaflet closure, the closed leaflets and
  chordae too;
- 3D Slicer markups, ``.mrk.json`` (:mod:`mvplan.export.markups`): the annuli and the ring
  as curves;
- a picture, ``.png`` (:mod:`mvplan.export.image`), rendered off screen.

``frame="original"`` puts scenes and markups in the input file's coordinates, so that they
overlay the patient's images; ``"valve"`` (default) in the annulus valve frame.

Importing this package loads neither VTK nor trimesh: the writers import them when called.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mvplan.errors import InputError
from mvplan.export.objects import (
    CLOSURE_OBJECTS,
    FRAMES,
    OBJECT_NAMES,
    check_frame,
    select_objects,
)

if TYPE_CHECKING:
    from mvplan.plan import Plan
    from mvplan.planning.annuloplasty import AnnuloplastyResult
    from mvplan.rings.spec import RingSpec
    from mvplan.workflow import ClosureOutcome

__all__ = [
    "CLOSURE_OBJECTS",
    "EXPORT_SUFFIXES",
    "FRAMES",
    "IMAGE_SUFFIXES",
    "MARKUPS_SUFFIXES",
    "OBJECT_NAMES",
    "SCENE_SUFFIXES",
    "check_export_path",
    "check_frame",
    "export_kind",
    "export_plan",
    "select_objects",
]

#: Scene files (kept equal to :data:`mvplan.export.scene.SCENE_SUFFIXES`, which needs no
#: import here).
SCENE_SUFFIXES: tuple[str, ...] = (".glb", ".gltf", ".vtp", ".vtm", ".obj", ".stl", ".ply")
#: Slicer markups files.
MARKUPS_SUFFIXES: tuple[str, ...] = (".mrk.json",)
#: Pictures.
IMAGE_SUFFIXES: tuple[str, ...] = (".png",)
#: Everything :func:`export_plan` writes.
EXPORT_SUFFIXES: tuple[str, ...] = (*SCENE_SUFFIXES, *MARKUPS_SUFFIXES, *IMAGE_SUFFIXES)


def export_kind(path: str | os.PathLike[str]) -> str:
    """``"scene"``, ``"markups"`` or ``"image"``: what :func:`export_plan` writes to
    ``path``, from its ending (case ignored; ``.mrk.json`` before ``.json``).

    Raises
    ------
    InputError
        Any other ending; the message lists the known ones.
    """
    name = Path(path).name.lower()
    for kind, suffixes in (
        ("markups", MARKUPS_SUFFIXES),
        ("image", IMAGE_SUFFIXES),
        ("scene", SCENE_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    ending = Path(name).suffix or "a name with no ending"
    raise InputError(
        f"cannot export to {ending}; use one of {' '.join(EXPORT_SUFFIXES)}",
        source=Path(path).name or str(path),
    )


def check_export_path(path: str | os.PathLike[str]) -> str:
    """What :func:`export_plan` writes to ``path`` (:func:`export_kind`), checking first,
    for a scene, that the file can be written there: for callers with long work to do before
    the export (a closure solve). Pictures and markups check their paths when written.

    Raises
    ------
    InputError
        An unknown ending, or a scene path that cannot be written.
    """
    kind = export_kind(path)
    if kind == "scene":
        from mvplan.export.scene import check_writable

        check_writable(path)
    return kind


def export_plan(
    plan: Plan,
    result: AnnuloplastyResult | None,
    spec: RingSpec | None,
    path: str | os.PathLike[str],
    *,
    objects: str | Iterable[str] | None = None,
    frame: str = "valve",
    view: str = "atrial",
    size: Sequence[int] = (1280, 800),
    closure: ClosureOutcome | None = None,
) -> list[Path]:
    """Write a plan's scene, markups or picture to ``path`` (the kind from its ending).

    Parameters
    ----------
    plan : Plan
    result : AnnuloplastyResult or None
        A simulation of exactly this plan (:func:`mvplan.workflow.simulate_plan`); None
        exports the plan as placed (no reshaped annulus).
    spec : RingSpec or None
        The plan's ring (default :func:`mvplan.workflow.ring_spec`).
    path : path
        Ends in one of :data:`EXPORT_SUFFIXES`; its folder must exist.
    objects : str or iterable of str, optional
        Scenes and markups: ``annulus_native``, ``annulus_reshaped``, ``ring``,
        ``annulus`` (both annuli); scenes also ``sutures``, ``leaflets_native``,
        ``leaflets_repaired``, ``chordae_native``, ``chordae_repaired`` and the aliases
        ``leaflets``, ``chordae`` and ``closure`` (all four); a string is split at commas.
        Default: everything the plan (and its closure) has. Not for pictures, which show
        the plan.
    frame : str
        Scenes and markups: ``valve`` or ``original`` (the input file's coordinates).
        Pictures are always drawn in the valve frame.
    view : str
        Pictures: ``atrial``, ``lateral`` or ``ap``.
    size : (int, int)
        Pictures: width and height, pixels.
    closure : ClosureOutcome, optional
        Scenes: the leaflet closure of this plan and ``result``
        (:func:`mvplan.workflow.simulate_closure`), for the leaflet and chordae objects.

    Returns
    -------
    list of pathlib.Path
        Every file written: one, but one per object for ``.stl`` and ``.ply``
        (``<stem>.<object><suffix>``) and the index and its blocks for ``.vtm``.

    Raises
    ------
    InputError
        An unknown ending, object, frame or view, an object the plan does not have, a
        path that cannot be written; the message is one line.
    """
    kind = export_kind(path)
    check_frame(frame)
    select_objects(objects)  # a bad name fails before any work
    if kind == "image":
        if objects is not None:
            raise InputError(
                "a picture shows the whole plan: objects apply to scene and markups files"
            )
        if frame != "valve":
            raise InputError(
                "a picture is drawn in the valve frame: frame applies to scene and markups files"
            )
        from mvplan.export.image import write_image

        return [write_image(plan, result, spec, path, view=view, size=size)]
    if kind == "markups":
        from mvplan.export.markups import write_markups

        return [write_markups(plan, result, path, spec=spec, objects=objects, frame=frame)]
    from mvplan.export.objects import scene_objects
    from mvplan.export.scene import check_writable, write_scene

    check_writable(path)  # before the meshes are built
    built = scene_objects(plan, result, spec, objects=objects, frame=frame, closure=closure)
    return write_scene(built, path, frame=frame)
