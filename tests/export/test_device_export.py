"""Export and report of percutaneous devices: a coronary-sinus device with the circumflex
artery, a transcatheter band, and a coronary-sinus device with no artery (estimated vein)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import trimesh
from shapes import SAMPLES
from vtkmodules.vtkIOXML import vtkXMLMultiBlockDataReader

from mvplan.errors import InputError
from mvplan.export import export_plan
from mvplan.export.device_objects import point_polyline_distance
from mvplan.export.objects import DEVICE_OBJECTS, plan_curves, scene_objects
from mvplan.export.report import report_csv, report_data, write_report
from mvplan.geometry.annulus import Annulus
from mvplan.io.load import load_annulus, load_papillary
from mvplan.io.paths import load_artery, load_cs_path
from mvplan.plan import Plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.rings.catalogue import load_catalogue
from mvplan.workflow import device_plan, plan_safety, simulate_plan, with_results

ALL_CS = list(DEVICE_OBJECTS)
BAND_OBJECTS = ["device_placed", "device", "anchors"]


@pytest.fixture(scope="module")
def fmr() -> Annulus:
    return load_annulus(SAMPLES / "fmr_annulus.csv")


@pytest.fixture(scope="module")
def cs_plan(fmr: Annulus) -> Plan:
    """The Carillon-like device, 70 mm cinched 20 %, in the traced vein, with the artery."""
    return device_plan(
        fmr,
        load_catalogue().device("carillon-like"),
        70.0,
        14.0,
        cs_path=load_cs_path(SAMPLES / "fmr_cs_path.csv", fmr),
        artery=load_artery(SAMPLES / "fmr_circumflex.csv", fmr),
        papillary=load_papillary(SAMPLES / "fmr_papillary_tips.csv", fmr),
        name="cs device",
    )


@pytest.fixture(scope="module")
def cs_result(cs_plan: Plan) -> AnnuloplastyResult:
    return simulate_plan(cs_plan)


@pytest.fixture(scope="module")
def band_plan(fmr: Annulus) -> Plan:
    return device_plan(fmr, load_catalogue().device("cardioband-like"), 80.0, 12.0)


@pytest.fixture(scope="module")
def band_result(band_plan: Plan) -> AnnuloplastyResult:
    return simulate_plan(band_plan)


@pytest.fixture(scope="module")
def bare_cs(fmr: Annulus) -> Plan:
    """A coronary-sinus device in the estimated vein, no artery."""
    return device_plan(fmr, load_catalogue().device("carillon-like"), 70.0, 10.0)


def _names(plan: Plan, result: AnnuloplastyResult | None, **kw: object) -> list[str]:
    return [o.name for o in scene_objects(plan, result, **kw)]  # type: ignore[arg-type]


def test_a_device_scene_names_its_objects(
    cs_plan: Plan, cs_result: AnnuloplastyResult, band_plan: Plan, band_result: AnnuloplastyResult
) -> None:
    assert _names(cs_plan, cs_result) == ["annulus_native", "annulus_reshaped", *ALL_CS]
    assert _names(band_plan, band_result) == ["annulus_native", "annulus_reshaped", *BAND_OBJECTS]
    # As placed: no cinched vein, no second wire.
    placed = ["annulus_native", "device", "anchors", "coronary_sinus_native", "artery"]
    assert _names(cs_plan, None) == placed


def test_device_objects_follow_the_simulation(cs_plan: Plan, cs_result: AnnuloplastyResult) -> None:
    built = {o.name: o for o in scene_objects(cs_plan, cs_result)}
    device = cs_result.device
    assert device is not None
    wire = np.asarray(cs_result.ring_after_valve)
    # The tube runs along the cinched wire: its box is the wire's, widened by its radius.
    box = built["device"].vertices
    assert np.all(box.min(axis=0) >= wire.min(axis=0) - 0.81)
    assert np.all(box.max(axis=0) <= wire.max(axis=0) + 0.81)
    arc = built["device"].values["arc_mm"]
    assert arc.min() == 0.0
    assert arc.max() == pytest.approx(device.wire_length_mm[1], rel=1e-6)
    anchors = built["anchors"]
    np.testing.assert_allclose(np.unique(anchors.values["force_n"]), sorted(device.anchor_forces_n))
    # The artery's least distance to the device is the safety figure (on its points).
    safety = plan_safety(cs_plan, cs_result)
    assert safety is not None
    least = built["artery"].values["device_distance_mm"].min()
    assert least == pytest.approx(safety.min_distance_mm, abs=0.5)
    after = np.asarray(device.vein_after_valve)
    moved = built["coronary_sinus_cinched"].values["displacement_mm"]
    assert moved.max() == pytest.approx(
        np.linalg.norm(after - np.asarray(device.vein_before_valve), axis=1).max(), rel=0.05
    )


def test_glb_and_vtm_hold_the_device_objects(
    tmp_path: Path, cs_plan: Plan, cs_result: AnnuloplastyResult
) -> None:
    glb = tmp_path / "cs.glb"
    assert export_plan(cs_plan, cs_result, None, glb) == [glb]
    scene = trimesh.load(glb, process=False)
    assert set(scene.geometry) == {"annulus_native", "annulus_reshaped", *ALL_CS}
    assert "_device_distance_mm" in scene.geometry["artery"].vertex_attributes
    vtm = tmp_path / "cs.vtm"
    written = export_plan(cs_plan, cs_result, None, vtm, frame="original")
    assert {p.name for p in written[1:]} == {f"{n}.vtp" for n in scene.geometry}
    reader = vtkXMLMultiBlockDataReader()
    reader.SetFileName(str(vtm))
    reader.Update()
    blocks = reader.GetOutput()
    names = {blocks.GetMetaData(i).Get(blocks.NAME()) for i in range(blocks.GetNumberOfBlocks())}
    assert names == set(scene.geometry)


def test_band_scene_and_stl_per_object(
    tmp_path: Path, band_plan: Plan, band_result: AnnuloplastyResult
) -> None:
    written = export_plan(band_plan, band_result, None, tmp_path / "band.stl")
    assert [p.name for p in written] == [
        f"band.{n}.stl" for n in ["annulus_native", "annulus_reshaped", *BAND_OBJECTS]
    ]
    anchors = {o.name: o for o in scene_objects(band_plan, band_result)}["anchors"]
    assert band_result.device is not None
    count = len(band_result.device.anchor_names)
    assert anchors.values["anchor"].max() == count


def test_objects_a_device_plan_lacks_are_refused(
    band_plan: Plan, band_result: AnnuloplastyResult, bare_cs: Plan
) -> None:
    with pytest.raises(InputError, match="no ring, no sutures"):
        scene_objects(band_plan, band_result, objects="ring")
    with pytest.raises(InputError, match="coronary sinus"):
        scene_objects(band_plan, band_result, objects="coronary_sinus_native")
    with pytest.raises(InputError, match="no artery"):
        scene_objects(bare_cs, None, objects="artery")
    # Aliases take what the plan has.
    assert _names(band_plan, band_result, objects="annulus,coronary_sinus") == [
        "annulus_native",
        "annulus_reshaped",
    ]


def test_a_device_plan_without_artery_exports_and_reports(tmp_path: Path, bare_cs: Plan) -> None:
    result = simulate_plan(bare_cs)
    names = _names(bare_cs, result)
    assert "artery" not in names and "coronary_sinus_cinched" in names
    curves = plan_curves(bare_cs, result)
    assert set(curves) == {"annulus_native", "annulus_reshaped", *ALL_CS} - {"anchors", "artery"}
    assert not curves["device"].closed
    data = report_data(bare_cs, result)
    assert data["safety"]["assessed"] is False
    assert data["device"]["coronary_sinus"]["source"] == "estimated"
    written = write_report(bare_cs, result, None, tmp_path / "r.html", images=False)
    page = written[0].read_text()
    assert 'id="safety"' in page and "No circumflex artery was given" in page
    assert 'id="safety-alert"' not in page


def test_a_cs_report_has_the_device_and_safety_figures(
    tmp_path: Path, cs_plan: Plan, cs_result: AnnuloplastyResult
) -> None:
    simulated = with_results(cs_plan, cs_result).results
    assert simulated is not None
    device, safety = simulated["annuloplasty"]["device"], simulated["safety"]
    written = write_report(cs_plan, cs_result, None, tmp_path / "cs.html", reproducible=True)
    data = json.loads(written[2].read_text())
    assert data["report"]["format"] == 3 and data["ring"] is None and data["sutures"] == []
    got = data["device"]
    for key in ("size_mm", "cinch_mm", "wire_tension_n", "anchor_force_max_n"):
        assert got[key] == device[key]
    assert got["cinch_percent"] == pytest.approx(20.0)
    assert got["coronary_sinus_strain_percent"] == pytest.approx(
        100 * device["coronary_sinus_strain"]
    )
    assert [a["force_n"] for a in got["anchors"]] == [a["force_n"] for a in device["anchors"]]
    assert [a["name"] for a in got["anchors"]] == ["distal", "proximal"]
    for key in ("min_distance_mm", "threshold_mm", "compression", "warning", "crossings"):
        assert data["safety"][key] == safety[key]
    assert data["safety"]["compression"] is True  # the sample's artery runs under the vein
    page = written[0].read_text()
    for section in ("device", "anchors-table", "safety", "safety-alert", "safety-top-alert"):
        assert f'id="{section}"' in page
    assert 'id="sutures"' not in page and 'id="ring"' not in page
    tension = re.search(r'data-key="wire_tension_n"><th>[^<]*</th><td>([^<]*)</td>', page)
    assert tension is not None and tension.group(1) == f"{device['wire_tension_n']:.2f} N"
    assert f"{safety['min_distance_mm']:.1f} mm (cinched)" in page
    assert page.count('class="view"') == 3
    csv = report_csv(data)
    assert "anchor,proximal,force_n," in csv and "safety,,min_distance_mm," in csv


def test_a_band_report_lists_its_anchors(
    tmp_path: Path, band_plan: Plan, band_result: AnnuloplastyResult
) -> None:
    written = write_report(band_plan, band_result, None, tmp_path / "band.html", images=False)
    page = written[0].read_text()
    assert band_result.device is not None
    names = band_result.device.anchor_names
    rows = re.findall(r'<table id="anchors-table">.*?</table>', page, flags=re.S)
    assert len(rows) == 1
    assert [f'data-key="{n}"' in rows[0] for n in names] == [True] * len(names)
    data = json.loads(written[2].read_text())
    assert data["device"]["type"] == "transcatheter-band"
    assert "coronary_sinus_strain_percent" not in data["device"]
    assert data["safety"]["assessed"] is False


def test_a_device_picture_renders(
    tmp_path: Path, cs_plan: Plan, cs_result: AnnuloplastyResult
) -> None:
    target = tmp_path / "cs.png"
    assert export_plan(cs_plan, cs_result, None, target, size=(320, 200)) == [target]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    placed = tmp_path / "placed.png"
    assert export_plan(cs_plan, None, None, placed, size=(320, 200)) == [placed]


def test_point_polyline_distance() -> None:
    line = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    points = np.array([[5.0, 3.0, 0.0], [-4.0, 0.0, 3.0], [12.0, 0.0, 0.0]])
    np.testing.assert_allclose(point_polyline_distance(points, line), [3.0, 5.0, 2.0])
