"""Scene files read back: glTF through trimesh, VTK XML through VTK, OBJ, STL and PLY;
names, vertex counts, bounds in mm, colours, values; and bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOXML import vtkXMLMultiBlockDataReader, vtkXMLPolyDataReader

from mvplan.errors import InputError
from mvplan.export import EXPORT_SUFFIXES, SCENE_SUFFIXES, export_plan
from mvplan.export.objects import OBJECT_NAMES, SceneObject, scene_objects
from mvplan.export.scene import SCENE_SUFFIXES as WRITER_SUFFIXES
from mvplan.export.scene import write_scene
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.workflow import MadePlan


@pytest.fixture(scope="module")
def objects(made: MadePlan, result: AnnuloplastyResult) -> dict[str, SceneObject]:
    return {o.name: o for o in scene_objects(made.plan, result, made.spec)}


def _export(made: MadePlan, result: AnnuloplastyResult, path: Path, **kw: object) -> list[Path]:
    return export_plan(made.plan, result, made.spec, path, **kw)  # type: ignore[arg-type]


def _only(folder: Path) -> list[str]:
    """Names in ``folder``, temporaries included (an atomic write leaves none)."""
    return sorted(p.name for p in folder.iterdir())


def test_suffix_lists_agree() -> None:
    # mvplan.export keeps its own copy so that importing it loads no writer.
    assert SCENE_SUFFIXES == WRITER_SUFFIXES
    assert set(SCENE_SUFFIXES) < set(EXPORT_SUFFIXES)


def test_glb_round_trip(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: dict[str, SceneObject],
) -> None:
    target = tmp_path / "plan.glb"
    assert _export(made, result, target) == [target]
    assert _only(tmp_path) == ["plan.glb"]
    scene = trimesh.load(target, process=False)
    assert isinstance(scene, trimesh.Scene)
    assert set(scene.graph.nodes_geometry) == set(OBJECT_NAMES[:4])  # no closure given
    assert scene.metadata["units"] == "mm" and scene.metadata["frame"] == "valve"
    for name, obj in objects.items():
        mesh = scene.geometry[name]
        assert len(mesh.vertices) == len(obj.vertices) and len(mesh.faces) == len(obj.faces)
        # Positions in mm (float32 in glTF) and the colours, vertex by vertex.
        np.testing.assert_allclose(mesh.vertices, obj.vertices, atol=1e-4)
        np.testing.assert_array_equal(mesh.visual.vertex_colors, obj.colours)
        for key, values in obj.values.items():
            np.testing.assert_allclose(
                np.ravel(mesh.vertex_attributes[f"_{key}"]), values, rtol=1e-6, atol=1e-6
            )
    # The ring's box is the settled ring's, widened by the tube's half-section.
    spec = made.spec
    assert spec is not None
    half = max(spec.cross_section.width_mm, spec.cross_section.height_mm) / 2
    ring = result.ring_after_valve
    box = scene.geometry["ring"].bounds
    assert np.all(box[0] >= ring.min(axis=0) - half - 0.05)
    assert np.all(box[1] <= ring.max(axis=0) + half + 0.05)
    assert np.all(box[0][:2] <= ring.min(axis=0)[:2]) and np.all(box[1][:2] >= ring.max(axis=0)[:2])
    assert 20.0 < np.ptp(box, axis=0)[0] < 40.0  # mm: a 28 mm ring, not metres


def test_gltf_is_one_file_with_embedded_buffers(
    tmp_path: Path, made: MadePlan, result: AnnuloplastyResult
) -> None:
    target = tmp_path / "plan.gltf"
    assert _export(made, result, target, objects="ring,sutures") == [target]
    assert _only(tmp_path) == ["plan.gltf"]
    tree = json.loads(target.read_text())
    assert all(b["uri"].startswith("data:") for b in tree["buffers"])
    assert {n["name"] for n in tree["nodes"] if "mesh" in n} == {"ring", "sutures"}
    scene = trimesh.load(target, process=False)
    assert set(scene.geometry) == {"ring", "sutures"}


def test_original_frame_glb_overlays_the_input(
    tmp_path: Path, made: MadePlan, raw_points: np.ndarray
) -> None:
    target = tmp_path / "native.glb"
    export_plan(made.plan, None, made.spec, target, objects="annulus", frame="original")
    scene = trimesh.load(target, process=False)
    assert list(scene.geometry) == ["annulus_native"]
    box = scene.geometry["annulus_native"].bounds
    # The input's own box, widened by the tube radius (0.8 mm) and no more.
    np.testing.assert_allclose(box[0], raw_points.min(axis=0) - 0.8, atol=0.05)
    np.testing.assert_allclose(box[1], raw_points.max(axis=0) + 0.8, atol=0.05)


def _read_vtp(path: Path) -> object:
    reader = vtkXMLPolyDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    return reader.GetOutput()


def _strings(array: object) -> list[str]:
    return [array.GetValue(i) for i in range(array.GetNumberOfValues())]  # type: ignore[attr-defined]


def test_vtp_holds_every_object_with_its_arrays(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: dict[str, SceneObject],
) -> None:
    target = tmp_path / "plan.vtp"
    assert _export(made, result, target) == [target]
    poly = _read_vtp(target)
    counts = [len(o.vertices) for o in objects.values()]
    assert poly.GetNumberOfPoints() == sum(counts)
    assert poly.GetNumberOfCells() == sum(len(o.faces) for o in objects.values())
    points = vtk_to_numpy(poly.GetPoints().GetData())
    np.testing.assert_allclose(points, np.vstack([o.vertices for o in objects.values()]))
    data = poly.GetPointData()
    colour = vtk_to_numpy(data.GetArray("colour"))
    np.testing.assert_array_equal(colour, np.vstack([o.colours for o in objects.values()]))
    ids = vtk_to_numpy(data.GetArray("object_id"))
    names = _strings(poly.GetFieldData().GetAbstractArray("object_names"))
    assert names == list(objects)
    force = vtk_to_numpy(data.GetArray("force_n"))
    for i, obj in enumerate(objects.values()):
        mine = ids == i
        assert mine.sum() == len(obj.vertices)
        if "force_n" in obj.values:
            np.testing.assert_allclose(force[mine], obj.values["force_n"])
        else:
            assert np.all(np.isnan(force[mine]))  # no such value on this object
    for key in ("height_mm", "strain", "displacement_mm", "deformation_mm", "suture"):
        assert data.GetArray(key) is not None, key
    cell_names = _strings(poly.GetCellData().GetAbstractArray("object"))
    assert [cell_names.count(n) for n in objects] == [len(o.faces) for o in objects.values()]
    assert _strings(poly.GetFieldData().GetAbstractArray("units")) == ["mm"]


def test_vtm_has_named_blocks_in_a_folder(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: dict[str, SceneObject],
) -> None:
    target = tmp_path / "plan.vtm"
    written = _export(made, result, target)
    assert written == [target, *(tmp_path / "plan" / f"{n}.vtp" for n in objects)]
    assert _only(tmp_path) == ["plan", "plan.vtm"]
    reader = vtkXMLMultiBlockDataReader()
    reader.SetFileName(str(target))
    reader.Update()
    blocks = reader.GetOutput()
    assert blocks.GetNumberOfBlocks() == len(objects)
    for i, (name, obj) in enumerate(objects.items()):
        assert blocks.GetMetaData(i).Get(blocks.NAME()) == name
        poly = blocks.GetBlock(i)
        assert poly.GetNumberOfPoints() == len(obj.vertices)
        for key, values in obj.values.items():
            np.testing.assert_allclose(vtk_to_numpy(poly.GetPointData().GetArray(key)), values)
        assert poly.GetPointData().GetArray("colour").GetNumberOfComponents() == 4
    # Written again over itself (an export repeated): the same files, no leftovers.
    assert _export(made, result, target) == written
    assert _only(tmp_path / "plan") == sorted(f"{n}.vtp" for n in objects)


def test_obj_has_one_named_group_per_object(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: dict[str, SceneObject],
) -> None:
    target = tmp_path / "plan.obj"
    assert _export(made, result, target) == [target]
    groups: dict[str, list[list[float]]] = {}
    current = None
    for line in target.read_text().splitlines():
        if line.startswith("o "):
            current = line[2:].strip()
            groups[current] = []
        elif line.startswith("v ") and current is not None:
            groups[current].append([float(v) for v in line.split()[1:]])
    assert list(groups) == list(objects)
    for name, obj in objects.items():
        rows = np.array(groups[name])
        assert rows.shape == (len(obj.vertices), 6)  # x y z r g b
        np.testing.assert_allclose(rows[:, :3], obj.vertices, atol=1e-6)
        np.testing.assert_allclose(rows[:, 3:] * 255, obj.colours[:, :3], atol=0.6)


@pytest.mark.parametrize("suffix", [".stl", ".ply"])
def test_one_file_per_object(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: dict[str, SceneObject],
    suffix: str,
) -> None:
    target = tmp_path / f"plan{suffix}"
    written = _export(made, result, target)
    assert written == [tmp_path / f"plan.{n}{suffix}" for n in objects]
    assert _only(tmp_path) == sorted(p.name for p in written)
    for path, obj in zip(written, objects.values(), strict=True):
        mesh = trimesh.load(path, process=False)
        assert len(mesh.faces) == len(obj.faces)
        if suffix == ".ply":
            assert len(mesh.vertices) == len(obj.vertices)
            np.testing.assert_array_equal(mesh.visual.vertex_colors, obj.colours)
            header = path.read_bytes().split(b"end_header")[0].decode()
            for key in obj.values:
                assert re.search(rf"property \w+ {key}\n", header), key


def test_scene_of_an_unsimulated_plan(tmp_path: Path, made: MadePlan) -> None:
    target = tmp_path / "placed.glb"
    export_plan(made.plan, None, made.spec, target)
    scene = trimesh.load(target, process=False)
    assert set(scene.geometry) == {"annulus_native", "ring", "sutures"}


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("plan.xyz", {}, r"cannot export to \.xyz; use one of \.glb \.gltf .* \.mrk\.json \.png"),
        ("plan.json", {}, r"cannot export to \.json; use one of"),
        ("plan", {}, "cannot export to a name with no ending"),
        ("plan.glb", {"objects": "ring,valve"}, "unknown object 'valve'"),
        ("plan.glb", {"frame": "scanner"}, "unknown frame 'scanner'"),
        ("missing/plan.glb", {}, r"cannot write the export: folder .*missing does not exist"),
        ("taken.glb", {}, r"cannot write the export: .*taken\.glb is a folder"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    name: str,
    kwargs: dict[str, object],
    message: str,
) -> None:
    (tmp_path / "taken.glb").mkdir()
    with pytest.raises(InputError, match=message) as error:
        _export(made, result, tmp_path / name, **kwargs)
    assert "\n" not in str(error.value)
    assert _only(tmp_path) == ["taken.glb"]  # nothing written


def test_blocked_companion_files(
    tmp_path: Path, made: MadePlan, result: AnnuloplastyResult
) -> None:
    (tmp_path / "plan").write_text("not a folder")
    with pytest.raises(InputError, match="plan is not a folder"):
        _export(made, result, tmp_path / "plan.vtm")
    (tmp_path / "plan.ring.stl").mkdir()
    with pytest.raises(InputError, match=r"cannot write the ring file: .* is a folder"):
        _export(made, result, tmp_path / "plan.stl")


def test_file_system_refusal(tmp_path: Path, made: MadePlan, result: AnnuloplastyResult) -> None:
    with pytest.raises(InputError, match="cannot write the export: File name too long"):
        _export(made, result, tmp_path / ("x" * 300 + ".glb"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder(tmp_path: Path, made: MadePlan, result: AnnuloplastyResult) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(InputError, match="no permission"):
            _export(made, result, folder / "plan.glb")
    finally:
        folder.chmod(0o700)


def test_nothing_to_write(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nothing to export"):
        write_scene([], tmp_path / "empty.glb")


def test_importing_the_package_loads_no_writer() -> None:
    # `mvplan export` and the API import mvplan.export lazily, but a light package keeps
    # every caller's start-up fast: VTK and trimesh load when a writer runs.
    code = (
        "import sys, mvplan.export, mvplan.export.objects\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'vtk', 'vtkmodules', 'trimesh'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
