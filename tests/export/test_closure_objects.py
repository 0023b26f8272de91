"""The leaflet closure in a plan's scene: the closed leaflets and chordae as objects, with
the closure's own numbers as their values, selected like the other objects, and written to
the scene files with their per-triangle values and a double-sided glTF material."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOXML import vtkXMLPolyDataReader

from mvplan.errors import InputError
from mvplan.export import export_plan
from mvplan.export.objects import (
    CLOSURE_OBJECTS,
    OBJECT_NAMES,
    REGION_CODES,
    SceneObject,
    gap_colours,
    scene_objects,
    select_objects,
)
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.valve.coaptation import DISTANCE_CAP_MM
from mvplan.workflow import ClosureOutcome, MadePlan

TUBE_VERTICES = 2 * 10 + 2 * 10 + 2  # a capped straight tube, SUTURE_SIDES around


@pytest.fixture(scope="module")
def objects(
    made: MadePlan, result: AnnuloplastyResult, closure: ClosureOutcome
) -> dict[str, SceneObject]:
    return {o.name: o for o in scene_objects(made.plan, result, made.spec, closure=closure)}


def test_a_closure_adds_its_objects(
    made: MadePlan,
    result: AnnuloplastyResult,
    closure: ClosureOutcome,
    native_closure: ClosureOutcome,
    objects: dict[str, SceneObject],
) -> None:
    assert list(objects) == list(OBJECT_NAMES[:8])  # a ring plan: no device objects
    assert OBJECT_NAMES[4:8] == CLOSURE_OBJECTS
    alone = scene_objects(made.plan, result, made.spec, closure=native_closure)
    assert [o.name for o in alone][4:] == ["leaflets_native", "chordae_native"]
    for obj in objects.values():
        m, f = obj.vertices.shape[0], obj.faces.shape[0]
        assert obj.faces.min() == 0 and obj.faces.max() == m - 1  # every vertex used
        assert obj.colours.shape == (m, 4) and np.all(obj.colours[:, 3] == 255)
        for key, values in obj.values.items():
            assert values.shape == (m,) and np.all(np.isfinite(values)), (obj.name, key)
        for key, values in obj.cell_values.items():
            assert values.shape == (f,) and np.all(np.isfinite(values)), (obj.name, key)
        assert obj.description


@pytest.mark.parametrize("which", ["native", "repaired"])
def test_leaflets_carry_the_closure(
    objects: dict[str, SceneObject], closure: ClosureOutcome, which: str
) -> None:
    case = closure.native if which == "native" else closure.repaired
    assert case is not None
    mesh, coaptation = closure.model.mesh, case.coaptation
    leaflets = objects[f"leaflets_{which}"]
    np.testing.assert_array_equal(leaflets.vertices, case.result.leaflet_points)
    np.testing.assert_array_equal(leaflets.faces, mesh.triangles)
    gap = leaflets.values["gap_mm"]
    measured = ~np.isnan(coaptation.node_distance_mm)
    np.testing.assert_array_equal(gap[measured], coaptation.node_distance_mm[measured])
    assert np.all(gap[~measured] == DISTANCE_CAP_MM)  # the commissural tissue: the cap
    assert np.all(mesh.node_regions()[~measured] == "commissural")
    np.testing.assert_array_equal(leaflets.values["in_contact"], coaptation.node_in_contact)
    assert 0 < leaflets.values["in_contact"].sum() < len(gap)
    np.testing.assert_array_equal(leaflets.values["height_mm"], case.result.leaflet_points[:, 2])
    cells = leaflets.cell_values
    np.testing.assert_array_equal(cells["stress_mpa"], case.result.membrane_stress_mpa)
    np.testing.assert_array_equal(cells["green_strain"], case.result.membrane_strain)
    np.testing.assert_array_equal(cells["in_contact"], coaptation.triangle_in_contact)
    regions = {REGION_CODES[str(label)] for label in mesh.labels}
    assert set(np.unique(cells["region"])) == regions == {0, 1, 2}
    # The nodal stress is a mean of the stresses of the triangles around the node.
    stress = case.result.membrane_stress_mpa
    node = int(np.argmax(leaflets.values["stress_mpa"]))
    around = stress[np.any(mesh.triangles == node, axis=1)]
    assert around.min() <= leaflets.values["stress_mpa"][node] <= around.max()
    # Coloured on the app's gap map.
    np.testing.assert_array_equal(
        leaflets.colours[:, :3], np.rint(gap_colours(gap) * 255).astype(np.uint8)
    )


def test_leaflet_colours_tell_contact_from_far(objects: dict[str, SceneObject]) -> None:
    leaflets = objects["leaflets_repaired"]
    rgb = leaflets.colours[:, :3].astype(int)
    touching = leaflets.values["gap_mm"] < 0.25
    far = leaflets.values["gap_mm"] >= DISTANCE_CAP_MM
    assert touching.any() and far.any()
    # Teal where the leaflets touch (green and blue over red), tissue pink where far.
    assert np.all(rgb[touching, 1] > rgb[touching, 0] + 50)
    assert np.all(rgb[far, 0] > rgb[far, 2] + 30)


@pytest.mark.parametrize("which", ["native", "repaired"])
def test_chordae_run_from_tip_to_insertion_with_their_tension(
    objects: dict[str, SceneObject], closure: ClosureOutcome, which: str
) -> None:
    case = closure.native if which == "native" else closure.repaired
    assert case is not None
    chordae = closure.model.chordae
    tube = objects[f"chordae_{which}"]
    n = chordae.n_segments
    assert tube.vertices.shape[0] == n * TUBE_VERTICES
    number = tube.values["segment"].astype(int)
    np.testing.assert_array_equal(number, np.repeat(np.arange(1, n + 1), TUBE_VERTICES))
    tension = tube.values["tension_n"].reshape(n, TUBE_VERTICES)
    np.testing.assert_array_equal(tension[:, 0], case.result.chord_tensions_n)
    assert np.all(tension == tension[:, :1])
    basal = tube.values["basal"].reshape(n, TUBE_VERTICES)[:, 0]
    np.testing.assert_array_equal(basal, chordae.kind == "basal")
    # Each tube's cap centres are its segment's ends: the tip, then the insertion node.
    n_leaflet = closure.model.n_leaflet_nodes
    ends = chordae.segments(case.result.x[:n_leaflet], case.result.x[n_leaflet:])
    pieces = tube.vertices.reshape(n, TUBE_VERTICES, 3)
    np.testing.assert_allclose(pieces[:, -2], ends[:, 0], atol=1e-9)
    np.testing.assert_allclose(pieces[:, -1], ends[:, 1], atol=1e-9)


def test_original_frame_moves_the_leaflets_rigidly(
    made: MadePlan, result: AnnuloplastyResult, closure: ClosureOutcome
) -> None:
    chosen = "leaflets_native,chordae_repaired"
    valve = scene_objects(made.plan, result, made.spec, objects=chosen, closure=closure)
    original = scene_objects(
        made.plan, result, made.spec, objects=chosen, frame="original", closure=closure
    )
    back = made.plan.annulus.to_valve_frame.inverse()
    for v, o in zip(valve, original, strict=True):
        np.testing.assert_allclose(o.vertices, back.apply(v.vertices), atol=1e-9)
        for key in v.cell_values:
            np.testing.assert_array_equal(o.cell_values[key], v.cell_values[key])


def test_selecting_closure_objects(
    made: MadePlan,
    result: AnnuloplastyResult,
    closure: ClosureOutcome,
    native_closure: ClosureOutcome,
) -> None:
    def names(objects: object, outcome: ClosureOutcome | None = closure) -> list[str]:
        built = scene_objects(made.plan, result, made.spec, objects=objects, closure=outcome)
        return [o.name for o in built]

    assert names("leaflets") == ["leaflets_native", "leaflets_repaired"]
    assert names("chordae, ring") == ["ring", "chordae_native", "chordae_repaired"]
    assert names("closure") == list(CLOSURE_OBJECTS)
    assert names("Leaflets-Native") == ["leaflets_native"]  # hyphens, any case
    assert names("closure", native_closure) == ["leaflets_native", "chordae_native"]
    assert names("leaflets", None) == []  # an alias takes what there is
    assert names(None, None) == list(OBJECT_NAMES[:4])
    assert select_objects("chordae-repaired") == {"chordae_repaired": True}
    with pytest.raises(InputError, match=r"no repaired valve .*: no leaflets_repaired"):
        names("leaflets_repaired", native_closure)
    with pytest.raises(InputError, match="closure was not simulated: there are no chordae_native"):
        names("chordae_native", None)


def _glb_tree(path: Path) -> dict:
    data = path.read_bytes()
    (length,) = struct.unpack("<I", data[12:16])
    return json.loads(data[20 : 20 + length])


def test_glb_holds_the_leaflets_double_sided(
    tmp_path: Path, made: MadePlan, result: AnnuloplastyResult, closure: ClosureOutcome
) -> None:
    target = tmp_path / "valve.glb"
    assert export_plan(made.plan, result, made.spec, target, closure=closure) == [target]
    scene = trimesh.load(target, process=False)
    assert set(scene.geometry) == set(OBJECT_NAMES[:8])
    leaflets = scene.geometry["leaflets_repaired"]
    assert leaflets.vertices.shape == (closure.model.n_leaflet_nodes, 3)
    tree = _glb_tree(target)
    materials = tree["materials"]
    for mesh in tree["meshes"]:
        material = mesh["primitives"][0].get("material")
        if mesh["name"].startswith("leaflets"):
            assert materials[material]["doubleSided"] is True
            assert "_gap_mm" in mesh["primitives"][0]["attributes"]
        else:
            assert material is None  # tubes are closed: the default single-sided material


def test_vtp_and_ply_hold_the_per_triangle_values(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    closure: ClosureOutcome,
    objects: dict[str, SceneObject],
) -> None:
    target = tmp_path / "valve.vtp"
    export_plan(made.plan, result, made.spec, target, objects="ring,closure", closure=closure)
    reader = vtkXMLPolyDataReader()
    reader.SetFileName(str(target))
    reader.Update()
    poly = reader.GetOutput()
    cells = poly.GetCellData()
    stress = vtk_to_numpy(cells.GetArray("stress_mpa"))
    counts = [objects[n].faces.shape[0] for n in ("ring", *CLOSURE_OBJECTS)]
    starts = np.concatenate([[0], np.cumsum(counts)])
    assert stress.shape == (starts[-1],)
    assert np.all(np.isnan(stress[: starts[1]]))  # the ring has no stress
    np.testing.assert_allclose(
        stress[starts[1] : starts[2]], closure.native.result.membrane_stress_mpa
    )
    assert np.all(np.isnan(stress[starts[3] :]))  # nor have the chordae
    gap = vtk_to_numpy(poly.GetPointData().GetArray("gap_mm"))
    assert np.isfinite(gap).sum() == 2 * closure.model.n_leaflet_nodes

    written = export_plan(
        made.plan, result, made.spec, tmp_path / "valve.ply", objects="leaflets", closure=closure
    )
    assert [p.name for p in written] == ["valve.leaflets_native.ply", "valve.leaflets_repaired.ply"]
    header = written[1].read_bytes().split(b"end_header")[0].decode("ascii")
    face_part = header.split("element face")[1]
    for key in ("stress_mpa", "green_strain", "gap_mm", "in_contact", "region"):
        assert f"property double {key}" in face_part, key
