"""Slicer markups of a plan: valid against Slicer's schema, and read back by mvplan's own
reader as the same curves and landmarks."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.export import export_plan
from mvplan.export.markups import markups_document, write_markups
from mvplan.export.objects import DISPLAY_COLOURS, RING_SECTIONS
from mvplan.geometry.measurements import measure
from mvplan.io.load import load_annulus
from mvplan.io.markups import read_curve_markups, read_points_markups
from mvplan.plan import Plan
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.workflow import MadePlan

LPS = np.array([-1.0, -1.0, 1.0])


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    text = resources.files("mvplan.schemas").joinpath("markups-schema-v1.0.3.json").read_text()
    return jsonschema.Draft7Validator(json.loads(text))


def _ras(markup: dict[str, Any]) -> np.ndarray:
    """A markup's control points in RAS (Slicer's rule: LPS unless the markup says RAS)."""
    xyz = np.array([cp["position"] for cp in markup["controlPoints"]], dtype=float)
    return xyz * LPS if markup.get("coordinateSystem", "LPS") == "LPS" else xyz


def test_documents_are_valid(
    validator: jsonschema.Draft7Validator,
    made: MadePlan,
    result: AnnuloplastyResult,
    band: MadePlan,
    band_result: AnnuloplastyResult,
    bare: MadePlan,
) -> None:
    cases = [
        (made.plan, None, made.spec),
        (made.plan, result, made.spec),
        (band.plan, band_result, band.spec),
        (bare.plan, None, None),
    ]
    for plan, res, spec in cases:
        for frame in ("valve", "original"):
            document = markups_document(plan, res, spec, frame=frame)
            errors = [e.message for e in validator.iter_errors(document)]
            assert errors == []


def test_curves_types_colours_and_points(
    made: MadePlan, result: AnnuloplastyResult, band: MadePlan, band_result: AnnuloplastyResult
) -> None:
    document = markups_document(made.plan, result, made.spec)
    markups = {m["name"]: m for m in document["markups"]}
    assert list(markups) == ["annulus_native", "annulus_reshaped", "ring", "landmarks"]
    assert [m["type"] for m in markups.values()] == [
        "ClosedCurve",
        "ClosedCurve",
        "ClosedCurve",
        "Fiducial",
    ]
    for name, markup in markups.items():
        assert markup["coordinateSystem"] == "LPS" and markup["coordinateUnits"] == "mm"
        assert markup["display"]["color"] == list(DISPLAY_COLOURS[name])
        ids = [cp["id"] for cp in markup["controlPoints"]]
        assert len(set(ids)) == len(ids)
    np.testing.assert_allclose(
        _ras(markups["annulus_native"]), made.plan.annulus.points_valve, atol=1e-4
    )
    np.testing.assert_allclose(
        _ras(markups["annulus_reshaped"]), result.annulus_after_valve, atol=1e-4
    )
    assert len(markups["ring"]["controlPoints"]) == RING_SECTIONS
    band_doc = markups_document(band.plan, band_result, band.spec)
    ring = next(m for m in band_doc["markups"] if m["name"] == "ring")
    assert ring["type"] == "Curve"  # a band is open
    np.testing.assert_allclose(
        _ras(ring)[[0, -1]], band_result.ring_after_valve[[0, -1]], atol=1e-4
    )


def test_round_trip_through_the_reader(
    tmp_path: Path, made: MadePlan, result: AnnuloplastyResult
) -> None:
    target = tmp_path / "plan.mrk.json"
    assert export_plan(made.plan, result, made.spec, target, frame="original") == [target]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.mrk.json"]
    annulus = made.plan.annulus
    read = read_curve_markups(target)  # the first closed curve: the native annulus
    assert read.units == "mm"
    np.testing.assert_allclose(read.points, annulus.points, atol=1e-4)
    for name, point in read.landmarks.items():
        np.testing.assert_allclose(point, annulus.landmark_point(name), atol=1e-4)
    assert set(read.landmarks) == {n for n, m in annulus.landmarks.items() if m.given}
    points = read_points_markups(target)  # the landmark list
    assert points.labels == tuple(annulus.landmarks)
    # The reshaped annulus, carried back to the input's coordinates.
    doc = json.loads(target.read_text())
    reshaped = _ras(next(m for m in doc["markups"] if m["name"] == "annulus_reshaped"))
    back = annulus.to_valve_frame.inverse().apply(result.annulus_after_valve)
    np.testing.assert_allclose(reshaped, back, atol=1e-4)


def test_the_file_loads_as_the_same_annulus(tmp_path: Path, made: MadePlan) -> None:
    target = tmp_path / "native.mrk.json"
    write_markups(made.plan, None, target, spec=made.spec, objects="annulus", frame="original")
    loaded = load_annulus(target)
    before, after = measure(made.plan.annulus).values, measure(loaded).values
    for key in ("perimeter_mm", "ap_diameter_mm", "commissural_width_mm", "annular_height_mm"):
        assert after[key] == pytest.approx(before[key], rel=2e-3), key
    assert {n: m.given for n, m in loaded.landmarks.items()} == {
        n: m.given for n, m in made.plan.annulus.landmarks.items()
    }


def test_estimated_landmarks_are_labelled_and_estimated_again(
    tmp_path: Path, made: MadePlan
) -> None:
    estimated = Plan(annulus=made.plan.annulus.with_landmarks({}))
    target = tmp_path / "estimated.mrk.json"
    write_markups(estimated, None, target)
    labels = read_points_markups(target).labels
    assert labels and all(label.endswith(" (estimated)") for label in labels)
    assert read_curve_markups(target).landmarks == {}  # the reader takes none as given


@pytest.mark.parametrize(
    ("objects", "simulated", "message"),
    [
        ("sutures", True, "a markups file holds annulus_native, annulus_reshaped, ring, "),
        ("annulus_reshaped", False, "the plan has not been simulated"),
        ("rings", True, "unknown object 'rings'"),
    ],
)
def test_bad_selections(
    tmp_path: Path,
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: str,
    simulated: bool,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message) as error:
        export_plan(
            made.plan,
            result if simulated else None,
            made.spec,
            tmp_path / "x.mrk.json",
            objects=objects,
        )
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_paths(tmp_path: Path, made: MadePlan) -> None:
    with pytest.raises(InputError, match=r"must end in \.mrk\.json"):
        write_markups(made.plan, None, tmp_path / "plan.json")
    with pytest.raises(InputError, match=r"folder .* does not exist"):
        write_markups(made.plan, None, tmp_path / "no" / "plan.mrk.json")
    # Upper case is the same ending (file systems differ, the user's intent does not).
    written = export_plan(made.plan, None, made.spec, tmp_path / "PLAN.MRK.JSON")
    assert written == [tmp_path / "PLAN.MRK.JSON"]
