"""Scene files of a plan: glTF, VTK XML, OBJ, STL and PLY, from :class:`SceneObject` meshes.

================ ============================================================================
suffix           what is written
================ ============================================================================
``.glb``         binary glTF 2.0: one named node and mesh per object, vertex colours
                 (``COLOR_0``), the values as custom attributes (``_height_mm``, ...);
                 the leaflets with a double-sided material (a membrane is seen from both
                 sides)
``.gltf``        the same as JSON with its buffer embedded (base64), so it is one file
``.vtp``         one VTK polydata of every object: point arrays ``colour`` (RGBA), the
                 values (NaN where an object has none) and ``object_id``; cell arrays
                 ``object`` (the object's name) and the per-triangle values (NaN where an
                 object has none); field data ``object_names``
``.vtm``         a VTK multiblock with one named block per object, each a ``.vtp`` in a
                 folder named after the file (``plan.vtm`` + ``plan/ring.vtp``...), with
                 its point and cell values
``.obj``         one file, one ``o`` group per object, vertex colours as ``v x y z r g b``
``.stl``         one file per object, ``plan.<object>.stl`` (STL holds one unnamed mesh
                 and no colour)
``.ply``         one file per object, ``plan.<object>.ply``, with vertex colours, the
                 values and the per-triangle values (face properties)
================ ============================================================================

Coordinates are mm in every format (glTF's convention is metres: the files say ``mm`` in
their ``extras``, and a viewer may need a 0.001 scale). OBJ and STL hold no values; glTF
holds no per-triangle values (only the per-vertex ones). Every file is written atomically
(:func:`mvplan.io.atomic.write_atomic`): an interrupted export leaves the previous file,
never part of one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mvplan import __version__
from mvplan.errors import InputError
from mvplan.export.objects import SceneObject
from mvplan.io.atomic import write_atomic

if TYPE_CHECKING:
    import trimesh
    from vtkmodules.vtkCommonCore import vtkStringArray
    from vtkmodules.vtkCommonDataModel import vtkPolyData

__all__ = ["SCENE_SUFFIXES", "check_writable", "write_scene"]

#: File types :func:`write_scene` writes.
SCENE_SUFFIXES: tuple[str, ...] = (".glb", ".gltf", ".vtp", ".vtm", ".obj", ".stl", ".ply")

#: Suffixes written as one file per object (the format holds one mesh).
PER_OBJECT_SUFFIXES: tuple[str, ...] = (".stl", ".ply")

GENERATOR = f"mvplan {__version__}"


def check_writable(path: str | os.PathLike[str], what: str = "the export") -> Path:
    """``path`` as a Path if a file can be written there, else an :class:`InputError`
    naming the problem (a missing folder, a folder in the way, no permission)."""
    target = Path(path)
    parent = target.parent
    try:
        if not parent.is_dir():
            raise InputError(f"cannot write {what}: folder {parent} does not exist")
        if target.is_dir():
            raise InputError(f"cannot write {what}: {target} is a folder")
        writable = os.access(parent, os.W_OK) and (
            not target.exists() or os.access(target, os.W_OK)
        )
    except OSError as error:  # a name too long for the file system, a broken mount...
        raise InputError(f"cannot write {what}: {error.strerror or error}") from error
    if not writable:
        raise InputError(f"cannot write {what}: no permission to write in {parent}")
    return target


def _write(target: Path, data: bytes | str) -> Path:
    try:
        return write_atomic(target, data)
    except OSError as error:
        raise InputError(f"cannot write {target.name}: {error.strerror or error}") from error


def _metadata(frame: str) -> dict[str, Any]:
    return {"generator": GENERATOR, "units": "mm", "frame": frame}


# -- trimesh formats -----------------------------------------------------------------------


def _trimesh(obj: SceneObject) -> trimesh.Trimesh:
    import trimesh

    # process=False keeps every vertex: merging would mix the values of a tube's seams.
    mesh = trimesh.Trimesh(
        vertices=obj.vertices,
        faces=obj.faces,
        vertex_colors=obj.colours,
        process=False,
        validate=False,
    )
    for key, values in obj.values.items():
        mesh.vertex_attributes[key] = np.asarray(values, dtype=np.float64)
    for key, values in obj.cell_values.items():
        mesh.face_attributes[key] = np.asarray(values, dtype=np.float64)
    mesh.units = "mm"
    mesh.metadata.update({"description": obj.description, "frame": obj.frame})
    return mesh


def _trimesh_scene(objects: Sequence[SceneObject], frame: str) -> trimesh.Scene:
    import trimesh

    scene = trimesh.Scene()
    for obj in objects:
        scene.add_geometry(_trimesh(obj), node_name=obj.name, geom_name=obj.name)
    scene.metadata.update(_metadata(frame))
    return scene


#: Prefix of the objects drawn double-sided in glTF: open membranes, seen from both sides.
DOUBLE_SIDED_PREFIX = "leaflets"
#: Their material: white (the vertex colours show through), matte, not metallic.
_MEMBRANE_MATERIAL: dict[str, Any] = {
    "name": "membrane",
    "doubleSided": True,
    "pbrMetallicRoughness": {
        "baseColorFactor": [1.0, 1.0, 1.0, 1.0],
        "metallicFactor": 0.0,
        "roughnessFactor": 0.8,
    },
}


def _double_sided(tree: dict[str, Any]) -> None:
    """glTF tree post-processor: give the leaflet meshes a double-sided material (the
    default material is single-sided, so a membrane would vanish seen from behind)."""
    meshes = [
        m for m in tree.get("meshes", []) if m.get("name", "").startswith(DOUBLE_SIDED_PREFIX)
    ]
    if not meshes:
        return
    materials = tree.setdefault("materials", [])
    index = len(materials)
    materials.append(dict(_MEMBRANE_MATERIAL))
    for mesh in meshes:
        for primitive in mesh.get("primitives", []):
            primitive["material"] = index


def _write_glb(objects: Sequence[SceneObject], target: Path, frame: str) -> list[Path]:
    from trimesh.exchange.gltf import export_glb

    scene = _trimesh_scene(objects, frame)
    return [_write(target, export_glb(scene, tree_postprocessor=_double_sided))]


def _write_gltf(objects: Sequence[SceneObject], target: Path, frame: str) -> list[Path]:
    from trimesh.exchange.gltf import export_gltf

    # One buffer, embedded: a single self-contained file that is replaced atomically.
    files = export_gltf(
        _trimesh_scene(objects, frame),
        merge_buffers=True,
        embed_buffers=True,
        tree_postprocessor=_double_sided,
    )
    return [_write(target, files["model.gltf"])]


def _write_obj(objects: Sequence[SceneObject], target: Path, frame: str) -> list[Path]:
    from trimesh.exchange.obj import export_obj

    header = f"{GENERATOR}: plan scene, mm, {frame} frame"
    text = export_obj(
        _trimesh_scene(objects, frame),
        include_normals=False,
        include_color=True,
        include_texture=False,
        return_texture=False,
        write_texture=False,
        header=header,
    )
    return [_write(target, str(text))]


def per_object_path(target: Path, name: str) -> Path:
    """``plan.stl`` -> ``plan.<name>.stl``: where a one-mesh format puts object ``name``."""
    return target.with_name(f"{target.stem}.{name}{target.suffix}")


def _write_per_object(objects: Sequence[SceneObject], target: Path, frame: str) -> list[Path]:
    from trimesh.exchange.ply import export_ply
    from trimesh.exchange.stl import export_stl

    written = []
    for obj in objects:
        path = check_writable(per_object_path(target, obj.name), f"the {obj.name} file")
        mesh = _trimesh(obj)
        data = export_stl(mesh) if target.suffix.lower() == ".stl" else export_ply(mesh)
        written.append(_write(path, data))
    return written


# -- VTK formats ---------------------------------------------------------------------------


def _polydata(
    vertices: np.ndarray,
    faces: np.ndarray,
    colours: np.ndarray,
    values: dict[str, np.ndarray],
    frame: str,
    cell_values: dict[str, np.ndarray] | None = None,
) -> vtkPolyData:
    from vtkmodules.util.numpy_support import numpy_to_vtk

    from mvplan.render.arrays import empty_polydata, set_points, set_triangles

    poly = empty_polydata()
    set_points(poly, vertices)
    set_triangles(poly, faces)
    point_data = poly.GetPointData()
    rgba = numpy_to_vtk(np.ascontiguousarray(colours, dtype=np.uint8), deep=True)
    rgba.SetName("colour")
    point_data.AddArray(rgba)
    for key, array in values.items():
        vtk_array = numpy_to_vtk(np.ascontiguousarray(array, dtype=np.float64), deep=True)
        vtk_array.SetName(key)
        point_data.AddArray(vtk_array)
    for key, array in (cell_values or {}).items():
        vtk_array = numpy_to_vtk(np.ascontiguousarray(array, dtype=np.float64), deep=True)
        vtk_array.SetName(key)
        poly.GetCellData().AddArray(vtk_array)
    for key, text in (("units", "mm"), ("frame", frame), ("generator", GENERATOR)):
        poly.GetFieldData().AddArray(_strings(key, [text]))
    return poly


def _vtp_text(poly: vtkPolyData) -> str:
    from vtkmodules.vtkIOXML import vtkXMLPolyDataWriter

    writer = vtkXMLPolyDataWriter()
    writer.SetInputData(poly)
    # Inline base64 (compressed) rather than raw appended data: the output string is text.
    writer.SetDataModeToBinary()
    writer.WriteToOutputStringOn()
    if not writer.Write():
        raise RuntimeError("VTK could not write the scene")  # a bug, not bad input
    return str(writer.GetOutputString())


def _strings(name: str, texts: Sequence[str]) -> vtkStringArray:
    from vtkmodules.vtkCommonCore import vtkStringArray

    array = vtkStringArray()
    array.SetName(name)
    array.SetNumberOfValues(len(texts))
    for i, text in enumerate(texts):
        array.SetValue(i, text)
    return array


def _object_polydata(obj: SceneObject, frame: str) -> vtkPolyData:
    values = {k: np.asarray(v, dtype=float) for k, v in obj.values.items()}
    cells = {k: np.asarray(v, dtype=float) for k, v in obj.cell_values.items()}
    poly = _polydata(obj.vertices, obj.faces, obj.colours, values, frame, cells)
    poly.GetFieldData().AddArray(_strings("object", [obj.name]))
    return poly


def _write_vtp(objects: Sequence[SceneObject], target: Path, frame: str) -> list[Path]:
    from vtkmodules.util.numpy_support import numpy_to_vtk

    counts = [obj.vertices.shape[0] for obj in objects]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    keys = list(dict.fromkeys(k for obj in objects for k in obj.values))
    # One array per value over all objects; NaN where an object has no such value.
    values = {
        k: np.concatenate(
            [
                np.asarray(obj.values.get(k, np.full(n, np.nan)), float)
                for obj, n in zip(objects, counts, strict=True)
            ]
        )
        for k in keys
    }
    # The same for the per-triangle values.
    cell_counts = [obj.faces.shape[0] for obj in objects]
    cell_keys = list(dict.fromkeys(k for obj in objects for k in obj.cell_values))
    cells = {
        k: np.concatenate(
            [
                np.asarray(obj.cell_values.get(k, np.full(n, np.nan)), float)
                for obj, n in zip(objects, cell_counts, strict=True)
            ]
        )
        for k in cell_keys
    }
    poly = _polydata(
        np.vstack([obj.vertices for obj in objects]),
        np.vstack([obj.faces + offsets[i] for i, obj in enumerate(objects)]),
        np.vstack([obj.colours for obj in objects]),
        values,
        frame,
        cells,
    )
    ids = np.repeat(np.arange(len(objects), dtype=np.int32), counts)
    id_array = numpy_to_vtk(ids, deep=True)
    id_array.SetName("object_id")
    poly.GetPointData().AddArray(id_array)
    cell_names = [obj.name for obj in objects for _ in range(obj.faces.shape[0])]
    poly.GetCellData().AddArray(_strings("object", cell_names))
    poly.GetFieldData().AddArray(_strings("object_names", [obj.name for obj in objects]))
    return [_write(target, _vtp_text(poly))]


def _write_vtm(objects: Sequence[SceneObject], target: Path, frame: str) -> list[Path]:
    folder = target.with_suffix("")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"cannot write the blocks of {target.name}: {folder} is not a folder")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot make folder {folder}: {error.strerror or error}") from error
    written, entries = [], []
    for i, obj in enumerate(objects):
        piece = folder / f"{obj.name}.vtp"
        written.append(_write(piece, _vtp_text(_object_polydata(obj, frame))))
        entries.append(
            f'    <DataSet index="{i}" name="{obj.name}" file="{folder.name}/{piece.name}"/>'
        )
    # The index last, so that it never names a block that is not there yet.
    text = "\n".join(
        [
            '<?xml version="1.0"?>',
            '<VTKFile type="vtkMultiBlockDataSet" version="1.0" byte_order="LittleEndian">',
            "  <vtkMultiBlockDataSet>",
            *entries,
            "  </vtkMultiBlockDataSet>",
            "</VTKFile>",
            "",
        ]
    )
    return [_write(target, text), *written]


_WRITERS: dict[str, Callable[[Sequence[SceneObject], Path, str], list[Path]]] = {
    ".glb": _write_glb,
    ".gltf": _write_gltf,
    ".vtp": _write_vtp,
    ".vtm": _write_vtm,
    ".obj": _write_obj,
    ".stl": _write_per_object,
    ".ply": _write_per_object,
}


def write_scene(
    objects: Sequence[SceneObject], path: str | os.PathLike[str], *, frame: str | None = None
) -> list[Path]:
    """Write scene objects to the file type that ``path``'s suffix names.

    Parameters
    ----------
    objects : sequence of SceneObject
        From :func:`mvplan.export.objects.scene_objects`.
    path : path
        Ends in one of :data:`SCENE_SUFFIXES`; its folder must exist. STL and PLY write
        ``<stem>.<object><suffix>`` beside it instead (one file per object).
    frame : str, optional
        Recorded in the files (default: the objects' own).

    Returns
    -------
    list of pathlib.Path
        Every file written (for ``.vtm`` the index first, then its blocks).

    Raises
    ------
    InputError
        No objects, an unknown suffix, a path that cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _WRITERS:
        raise InputError(
            f"cannot write a scene as {suffix or 'a file without a suffix'}; "
            f"use one of {' '.join(SCENE_SUFFIXES)}",
            source=target.name,
        )
    if not objects:
        raise InputError("nothing to export: no objects selected", source=target.name)
    check_writable(target)
    return _WRITERS[suffix](objects, target, frame or objects[0].frame)
