"""The objects of a plan's scene: which exist when, their meshes, values, colours, frames."""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.export.objects import (
    DISPLAY_COLOURS,
    OBJECT_NAMES,
    RING_SECTIONS,
    SceneObject,
    plan_curves,
    scene_objects,
    select_objects,
)
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.render.sweep import N_AROUND
from mvplan.rings.geometry import ring_centerline
from mvplan.workflow import MadePlan, simulate_plan


def _by_name(objects: list[SceneObject]) -> dict[str, SceneObject]:
    return {o.name: o for o in objects}


def _centreline(obj: SceneObject, n: int) -> np.ndarray:
    """The centre of each of a round tube's ``n`` sections: the mean of its rim."""
    return obj.vertices[: n * N_AROUND].reshape(n, N_AROUND, 3).mean(axis=1)


def _distance_to_polyline(points: np.ndarray, line: np.ndarray, closed: bool) -> np.ndarray:
    """Distance ``(p,)`` from each point to the polyline through ``line (k, 3)``."""
    a = line
    b = np.roll(line, -1, axis=0) if closed else line[1:]
    a = a if closed else line[:-1]
    ab = b - a
    t = np.einsum("pkc,kc->pk", points[:, None, :] - a[None], ab) / np.einsum("kc,kc->k", ab, ab)
    foot = a[None] + np.clip(t, 0.0, 1.0)[..., None] * ab[None]
    return np.linalg.norm(points[:, None, :] - foot, axis=2).min(axis=1)


def test_objects_present_follow_the_plan(
    made: MadePlan, result: AnnuloplastyResult, bare: MadePlan
) -> None:
    assert [o.name for o in scene_objects(made.plan, None, made.spec)] == [
        "annulus_native",
        "ring",
        "sutures",
    ]
    assert [o.name for o in scene_objects(made.plan, result, made.spec)] == list(OBJECT_NAMES[:4])
    assert [o.name for o in scene_objects(bare.plan)] == ["annulus_native"]
    # A plan with no device simulates to an unchanged annulus and nothing else.
    bare_result = simulate_plan(bare.plan)
    names = [o.name for o in scene_objects(bare.plan, bare_result)]
    assert names == ["annulus_native", "annulus_reshaped"]


def test_meshes_are_well_formed(made: MadePlan, result: AnnuloplastyResult) -> None:
    for res in (None, result):
        for obj in scene_objects(made.plan, res, made.spec):
            m = obj.vertices.shape[0]
            assert obj.vertices.shape == (m, 3) and np.all(np.isfinite(obj.vertices))
            assert obj.faces.shape[1] == 3 and obj.faces.dtype == np.int64
            assert obj.faces.min() == 0 and obj.faces.max() == m - 1  # every vertex used
            assert obj.colours.shape == (m, 4) and obj.colours.dtype == np.uint8
            assert np.all(obj.colours[:, 3] == 255)
            for key, values in obj.values.items():
                assert values.shape == (m,) and np.all(np.isfinite(values)), key
            assert obj.frame == "valve" and obj.description


def test_original_frame_puts_the_native_annulus_on_the_input_points(
    made: MadePlan, raw_points: np.ndarray
) -> None:
    native = _by_name(scene_objects(made.plan, frame="original"))["annulus_native"]
    n = made.plan.annulus.points.shape[0]
    centre = _centreline(native, n)
    np.testing.assert_allclose(centre, made.plan.annulus.points, atol=1e-9)
    # The curve interpolates the file's points: each lies on it to resampling accuracy
    # (the chord's sagitta at 0.5 mm spacing, a few micrometres).
    assert _distance_to_polyline(raw_points, centre, closed=True).max() < 0.02
    # And the tube is 0.8 mm (the app's annulus radius) around it.
    radius = np.linalg.norm(
        native.vertices[: n * N_AROUND] - np.repeat(centre, N_AROUND, 0), axis=1
    )
    np.testing.assert_allclose(radius, 0.8, atol=1e-9)


def test_frames_differ_by_the_annulus_transform(made: MadePlan, result: AnnuloplastyResult) -> None:
    valve = scene_objects(made.plan, result, made.spec)
    original = scene_objects(made.plan, result, made.spec, frame="original")
    back = made.plan.annulus.to_valve_frame.inverse()
    for v, o in zip(valve, original, strict=True):
        assert (v.name, o.frame) == (o.name, "original")
        np.testing.assert_allclose(o.vertices, back.apply(v.vertices), atol=1e-9)
        np.testing.assert_array_equal(o.faces, v.faces)
        np.testing.assert_array_equal(o.colours, v.colours)
        # Heights stay heights above the native plane in either frame.
        for key in v.values:
            np.testing.assert_array_equal(o.values[key], v.values[key])


def test_annulus_values(made: MadePlan, result: AnnuloplastyResult) -> None:
    objs = _by_name(scene_objects(made.plan, result, made.spec))
    native, reshaped = objs["annulus_native"], objs["annulus_reshaped"]
    z = made.plan.annulus.points_valve[:, 2]
    np.testing.assert_allclose(
        native.values["height_mm"][: z.size * N_AROUND], np.repeat(z, N_AROUND)
    )
    after = result.annulus_after_valve
    n = after.shape[0]
    np.testing.assert_allclose(_centreline(reshaped, n), after, atol=1e-9)
    np.testing.assert_allclose(reshaped.values["height_mm"][::N_AROUND], after[:, 2])
    strain = result.tissue_strain
    np.testing.assert_allclose(
        reshaped.values["strain"][::N_AROUND], 0.5 * (strain + np.roll(strain, 1))
    )
    moved = np.linalg.norm(after - result.annulus_before_valve, axis=1)
    np.testing.assert_allclose(reshaped.values["displacement_mm"][::N_AROUND], moved)


def test_sutures_carry_their_forces(made: MadePlan, result: AnnuloplastyResult) -> None:
    sutures = _by_name(scene_objects(made.plan, result, made.spec))["sutures"]
    forces = result.suture_forces_n
    k = forces.size
    number = sutures.values["suture"].astype(int)
    assert set(number) == set(range(1, k + 1))
    for i in range(k):  # every vertex of suture i carries suture i's force
        np.testing.assert_allclose(sutures.values["force_n"][number == i + 1], forces[i])
    # Four straight legs of a mattress stitch each, SUTURE_SIDES around and capped.
    assert sutures.vertices.shape[0] == 4 * k * (2 * 10 + 2 * 10 + 2)
    # Before the simulation: one straight suture each, numbered, with no force.
    placed = _by_name(scene_objects(made.plan, None, made.spec))["sutures"]
    assert "force_n" not in placed.values
    assert placed.vertices.shape[0] == len(made.plan.placement.sutures) * 42


def test_colours(made: MadePlan, result: AnnuloplastyResult) -> None:
    alone = _by_name(scene_objects(made.plan, None, made.spec))
    native = alone["annulus_native"]
    height = native.values["height_mm"]
    rgb = native.colours[:, :3].astype(int)
    assert np.all(rgb[height > 1.0, 0] > rgb[height > 1.0, 2] + 30)  # red above the plane
    assert np.all(rgb[height < -1.0, 2] > rgb[height < -1.0, 0] + 30)  # blue below it
    ring = alone["ring"].colours[:, :3].astype(int)
    assert np.all(ring.min(axis=1) > 200)  # the device's ivory
    simulated = _by_name(scene_objects(made.plan, result, made.spec))
    grey = simulated["annulus_native"].colours[:, :3].astype(int)
    assert np.all(np.ptp(grey, axis=1) < 20)  # grey beside the reshaped annulus
    # Stitches coloured on the force map: about 1 N here, yellow-green.
    stitch = simulated["sutures"].colours[:, :3].astype(int)
    assert np.all(stitch[:, 1] > stitch[:, 2] + 50)
    strong = simulated["sutures"].values["force_n"] > 1.0
    weak = simulated["sutures"].values["force_n"] < 0.5
    assert stitch[strong, 0].mean() > stitch[weak, 0].mean()  # toward amber as force grows


def test_ring_follows_the_placement_then_the_result(
    made: MadePlan, result: AnnuloplastyResult
) -> None:
    spec = made.spec
    assert spec is not None
    half = max(spec.cross_section.width_mm, spec.cross_section.height_mm) / 2
    placed = _by_name(scene_objects(made.plan, None, spec))["ring"]
    centre = made.plan.placement.pose.apply(ring_centerline(spec, RING_SECTIONS))
    gaps = _distance_to_polyline(placed.vertices, centre, closed=True)
    assert (
        gaps.max() <= half + 1e-6
        and gaps.min() >= min(spec.cross_section.width_mm, spec.cross_section.height_mm) / 2 - 1e-2
    )
    settled = _by_name(scene_objects(made.plan, result, spec))["ring"]
    gaps = _distance_to_polyline(settled.vertices, result.ring_after_valve, closed=True)
    assert gaps.max() <= half + 0.05
    np.testing.assert_allclose(
        settled.values["deformation_mm"].max(), result.ring_deformation_mm.max(), atol=1e-9
    )
    # Without a spec the plan's own ring is looked up: the same mesh.
    again = _by_name(scene_objects(made.plan, result))["ring"]
    np.testing.assert_allclose(again.vertices, settled.vertices)


def test_band_is_an_open_capped_tube(band: MadePlan, band_result: AnnuloplastyResult) -> None:
    ring = _by_name(scene_objects(band.plan, band_result, band.spec))["ring"]
    assert ring.vertices.shape[0] == RING_SECTIONS * N_AROUND + 2 * N_AROUND + 2
    curves = plan_curves(band.plan, band_result, band.spec)
    assert not curves["ring"].closed and curves["annulus_native"].closed
    ends = curves["ring"].points[[0, -1]]
    np.testing.assert_allclose(ends, band_result.ring_after_valve[[0, -1]], atol=1e-6)


def test_plan_curves(made: MadePlan, result: AnnuloplastyResult) -> None:
    curves = plan_curves(made.plan, result, made.spec)
    assert list(curves) == ["annulus_native", "annulus_reshaped", "ring"]
    np.testing.assert_allclose(curves["annulus_native"].points, made.plan.annulus.points_valve)
    np.testing.assert_allclose(curves["annulus_reshaped"].points, result.annulus_after_valve)
    assert curves["ring"].points.shape == (RING_SECTIONS, 3)
    assert _distance_to_polyline(curves["ring"].points, result.ring_after_valve, True).max() < 0.05
    assert {n: c.colour for n, c in curves.items()} == {n: DISPLAY_COLOURS[n] for n in curves}
    original = plan_curves(made.plan, None, made.spec, objects="annulus", frame="original")
    assert list(original) == ["annulus_native"]
    np.testing.assert_allclose(original["annulus_native"].points, made.plan.annulus.points)


def test_selection(made: MadePlan, result: AnnuloplastyResult) -> None:
    def names(res: AnnuloplastyResult | None, objects: object) -> list[str]:
        return [o.name for o in scene_objects(made.plan, res, made.spec, objects=objects)]

    assert names(result, "annulus") == ["annulus_native", "annulus_reshaped"]
    assert names(None, "annulus") == ["annulus_native"]  # an alias takes what there is
    assert names(result, " Sutures , ring ") == ["ring", "sutures"]  # drawing order
    assert names(result, ["annulus_reshaped", "annulus"]) == ["annulus_native", "annulus_reshaped"]
    assert select_objects(None) is None
    assert select_objects("ring,annulus") == {
        "annulus_native": False,
        "annulus_reshaped": False,
        "ring": True,
    }


@pytest.mark.parametrize(
    ("objects", "simulated", "message"),
    [
        ("annulus,valve", True, r"unknown object 'valve'; use one or more of annulus_native, "),
        ("leaflets_native", True, "the leaflet closure was not simulated: there are no "),
        (" , ", True, "no objects given"),
        ("annulus_reshaped", False, "the plan has not been simulated"),
    ],
)
def test_bad_selections(
    made: MadePlan,
    result: AnnuloplastyResult,
    objects: str,
    simulated: bool,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message) as error:
        scene_objects(made.plan, result if simulated else None, made.spec, objects=objects)
    assert "\n" not in str(error.value)


def test_objects_the_plan_lacks(bare: MadePlan, made: MadePlan) -> None:
    with pytest.raises(InputError, match="the plan has no ring: it has no ring"):
        scene_objects(bare.plan, objects="ring")
    with pytest.raises(InputError, match=r"a markups file holds .*; it cannot hold sutures"):
        plan_curves(made.plan, None, made.spec, objects="sutures")
    with pytest.raises(InputError, match="unknown frame 'scanner'; use valve or original"):
        scene_objects(made.plan, frame="scanner")
