"""The plan file: round trip to the bit, atomic writes, clear errors for broken files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.errors import InputError
from mvplan.io.load import load_annulus, load_papillary
from mvplan.plan import Plan, RingChoice, SolverSettings
from mvplan.planfile import (
    MIGRATIONS,
    PLAN_VERSION,
    load_plan,
    plan_schema,
    plan_to_document,
    save_plan,
)
from mvplan.planning.placement import auto_place
from mvplan.rings.catalogue import load_catalogue
from mvplan.rings.schema import family_to_dict
from mvplan.valve.leaflets import LeafletSpec
from mvplan.workflow import ring_spec


@pytest.fixture(scope="module")
def plan() -> Plan:
    annulus = load_annulus(
        SAMPLES / "fmr_annulus.csv", papillary=SAMPLES / "fmr_papillary_tips.csv"
    )
    tips = load_papillary(SAMPLES / "fmr_papillary_tips.csv", annulus)
    spec = load_catalogue(include_user=False).family("physio-like").spec(32)
    placement = auto_place(annulus, spec).placement
    return Plan(
        annulus,
        tips,
        RingChoice("physio-like", 32.0),
        placement,
        SolverSettings(rtol=1e-9),
        name="study 1",
        notes="undersized by one",
    )


def test_round_trip_is_identical(plan, tmp_path) -> None:
    first = save_plan(plan, tmp_path / "a.mvplan.json")
    loaded = load_plan(first)
    second = save_plan(loaded, tmp_path / "b.mvplan.json")
    assert first.read_bytes() == second.read_bytes()
    assert np.array_equal(loaded.annulus.points, plan.annulus.points)
    assert loaded.annulus.landmarks == plan.annulus.landmarks
    assert np.array_equal(loaded.annulus.to_valve_frame.matrix, plan.annulus.to_valve_frame.matrix)
    assert loaded.placement == plan.placement
    assert loaded.ring == plan.ring and loaded.solver == plan.solver
    assert np.array_equal(loaded.papillary.anterolateral, plan.papillary.anterolateral)


def test_no_paths_in_the_file(plan, tmp_path) -> None:
    doc = plan_to_document(plan)
    assert doc["annulus"]["source"]["name"] == "fmr_annulus.csv"
    assert str(SAMPLES) not in json.dumps(doc)


def test_a_failed_write_leaves_the_old_file(plan, tmp_path, monkeypatch) -> None:
    target = save_plan(plan, tmp_path / "p.mvplan.json")
    before = target.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("mvplan.planfile.os.fsync", broken_fsync)
    with pytest.raises(OSError):
        save_plan(plan, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.mvplan.json"]  # no temp file left


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(format="something"), "not an mvplan plan file"),
        (lambda d: d.update(version=99), "newer mvplan"),
        (lambda d: d["annulus"].update(points_mm=[[0, 0]]), "annulus/points_mm"),
        (lambda d: d["annulus"]["landmarks_given"].update(Q=0.5), "landmarks_given"),
        (lambda d: d["placement"]["sutures"][0].update(ring_u=1.5), "ring_u"),
        (lambda d: d["annulus"]["source"].update(name="/home/x/file.csv"), "source/name"),
        (lambda d: d["placement"].update(pose=np.diag([2.0, 1, 1, 1]).tolist()), "rigid"),
        (lambda d: d["ring"].pop("definition"), "'definition' is a required property"),
        (lambda d: d["ring"]["definition"].pop("sizes_mm"), "ring definition"),
        (lambda d: d["ring"].update(family="etlogix-like"), "carries the definition of"),
        (lambda d: d.update(version="2"), "is not a version"),
    ],
)
def test_broken_documents_are_named(plan, tmp_path, mutate, words) -> None:
    doc = plan_to_document(plan)
    mutate(doc)
    path = tmp_path / "bad.mvplan.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as info:
        load_plan(path)
    assert words in str(info.value)
    assert "bad.mvplan.json" in str(info.value)


def test_corrupt_and_missing_files(tmp_path) -> None:
    path = tmp_path / "cut.mvplan.json"
    path.write_text('{"format": "mvplan-plan", "version": 1, "annu')
    with pytest.raises(InputError, match="corrupt"):
        load_plan(path)
    with pytest.raises(InputError, match="no such plan file"):
        load_plan(tmp_path / "none.mvplan.json")


V1_FILE = Path(__file__).with_name("data") / "v1-physio-30.mvplan.json"


def test_a_version_1_file_is_migrated(tmp_path) -> None:
    """A file written by mvplan 0.1.0 (before ring definitions were embedded) opens, gains
    the catalogue's definition, the solver settings in full and the default leaflets, and
    saves as the current version."""
    old = json.loads(V1_FILE.read_text())
    assert old["version"] == 1 and "definition" not in old["ring"]
    plan = load_plan(V1_FILE)
    family = load_catalogue().family("physio-like")
    assert plan.ring == RingChoice("physio-like", 30.0)
    assert family_to_dict(plan.ring.definition) == family_to_dict(family)
    assert plan.solver == SolverSettings()
    assert plan.results == old["results"]  # figures carried over untouched
    assert np.array_equal(plan.annulus.points, np.array(old["annulus"]["points_mm"]))
    saved = json.loads(save_plan(plan, tmp_path / "new.mvplan.json").read_text())
    assert saved["version"] == PLAN_VERSION == 4
    assert saved["ring"]["definition"]["id"] == "physio-like"
    assert plan.leaflets == LeafletSpec()


V2_FILE = Path(__file__).with_name("data") / "v2-fmr-physio-28.mvplan.json"


def test_a_version_2_file_gains_the_default_leaflets(tmp_path) -> None:
    """A file written before the closure simulation (version 2, by the previous commit's code)
    opens with the default leaflet dimensions; its plan is otherwise unchanged; a plan with
    other leaflets keeps them through a save and load."""
    old = json.loads(V2_FILE.read_text())
    assert old["version"] == 2 and "leaflets" not in old
    plan = load_plan(V2_FILE)
    assert plan.leaflets == LeafletSpec()
    assert plan.ring == RingChoice("physio-like", 28.0)
    assert plan.papillary is not None
    taller = replace(plan, leaflets=LeafletSpec(anterior_height_mm=26.0, posterior_height_mm=15))
    again = load_plan(save_plan(taller, tmp_path / "taller.mvplan.json"))
    assert again.leaflets == taller.leaflets
    assert (
        json.loads((tmp_path / "taller.mvplan.json").read_text())["leaflets"]["anterior_height_mm"]
        == 26.0
    )


def test_version_1_with_a_ring_this_catalogue_lacks_is_refused(tmp_path) -> None:
    doc = json.loads(V1_FILE.read_text())
    doc["ring"]["family"] = "someones-own-ring"
    path = tmp_path / "custom.mvplan.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="catalogue lacks") as info:
        load_plan(path)
    assert "custom.mvplan.json" in str(info.value) and "\n" not in str(info.value)


def test_the_embedded_definition_wins_over_the_catalogue(plan, tmp_path) -> None:
    """A plan made with a ring this machine does not have (a colleague's own ring) still opens
    and simulates with that ring's definition."""
    doc = plan_to_document(plan)
    own = doc["ring"]["definition"]
    own.update(id="colleagues-ring", name="A colleague's ring")
    own["geometry"]["ap_ratio"] = 0.70
    doc["ring"]["family"] = "colleagues-ring"
    path = tmp_path / "shared.mvplan.json"
    path.write_text(json.dumps(doc))
    loaded = load_plan(path)
    assert "colleagues-ring" not in load_catalogue()
    spec = ring_spec(loaded)
    assert spec is not None and spec.family.id == "colleagues-ring"
    ap = spec.family.geometry.ap_ratio
    assert ap == ((0.0, 0.70),)
    again = save_plan(loaded, tmp_path / "again.mvplan.json")
    assert json.loads(again.read_text())["ring"]["definition"] == own


def test_every_version_has_its_schema() -> None:
    for version in range(1, PLAN_VERSION + 1):
        schema = plan_schema(version)
        assert schema["properties"]["version"] == {"const": version}
    assert set(MIGRATIONS) == set(range(1, PLAN_VERSION))
