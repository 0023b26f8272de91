"""The device layer: the coronary sinus, a device's wire and anchors, the artery and its flags."""

from __future__ import annotations

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.io.load import load_annulus
from mvplan.io.paths import load_artery
from mvplan.render import PlanScene
from mvplan.render.arrays import polydata_points
from mvplan.render.device import distance_to_polyline, per_vertex
from mvplan.rings.catalogue import load_catalogue
from mvplan.workflow import device_plan, plan_safety, simulate_plan


@pytest.fixture(scope="module")
def solved():  # type: ignore[no-untyped-def]
    """A Carillon-like device cinched 20 % on the FMR sample, with its artery and safety."""
    annulus = load_annulus(SAMPLES / "fmr_annulus.csv")
    family = load_catalogue(include_user=False).device("carillon-like")
    artery = load_artery(SAMPLES / "fmr_circumflex.csv", annulus)
    plan = device_plan(annulus, family, 70.0, 14.0, artery=artery)
    result = simulate_plan(plan)
    return plan, result, plan_safety(plan, result)


def test_distance_to_polyline_and_per_vertex() -> None:
    line = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [10.0, 10.0, 0.0]])
    points = np.array([[5.0, 3.0, 0.0], [-4.0, 3.0, 0.0], [12.0, 5.0, 0.0], [10.0, 0.0, 2.0]])
    np.testing.assert_allclose(distance_to_polyline(points, line), [3.0, 5.0, 2.0, 2.0])
    values = per_vertex([1.0, 2.0, 3.0], 4, 3 * 4 + 2 * 4 + 2)
    assert values[:4].tolist() == [1.0] * 4 and values[-2:].tolist() == [1.0, 3.0]
    with pytest.raises(ValueError):
        per_vertex([1.0, 2.0], 4, 99)


def test_scene_draws_vein_device_anchors_and_flagged_artery(scene: PlanScene, solved) -> None:  # type: ignore[no-untyped-def]
    plan, result, safety = solved
    scene.set_annulus(plan.annulus)
    count = scene.renderer.GetViewProps().GetNumberOfItems()
    scene.set_vessels(plan.cs_path.points_valve, plan.artery.points_valve, safety)
    layer = scene.device_layer
    assert layer.vein.actor.GetVisibility() and layer.artery.actor.GetVisibility()
    assert not layer.wire.actor.GetVisibility()  # the device comes with a result
    scene.set_result(result)
    # The wire through the device's nodes, the anchors where the solve left them.
    np.testing.assert_allclose(layer.wire_points, result.ring_after_valve)
    assert layer.wire.actor.GetVisibility() and layer.anchors.GetVisibility()
    np.testing.assert_allclose(layer.anchor_points, result.device.anchor_points_valve)
    # The vein is drawn where the device took it, the native path thin beside it.
    vein = polydata_points(layer.vein.polydata)
    assert vein.shape[0] > 0 and layer.native_vein.actor.GetVisibility()
    # The ring's result actors stay hidden: a device is no ring.
    assert not scene._result.ring.actor.GetVisibility()
    assert scene.ring_at(320, 200) is False
    # Cinched 20 %, the artery comes within the 3 mm threshold: flagged where it does.
    assert safety.compression
    flags = layer.artery_flags
    assert flags.any() and not flags.all()
    near = distance_to_polyline(layer.artery_points, result.ring_after_valve) < 3.0
    np.testing.assert_array_equal(flags > 0.5, near)
    assert layer.approach.actor.GetVisibility() and layer.labels.actor.GetVisibility()
    # Framing takes in the vessels; no actors were added on the way.
    box = np.asarray(scene.bounds()).reshape(3, 2)
    assert np.all(box[:, 0] <= layer.artery_points.min(axis=0) + 1.0)
    assert scene.renderer.GetViewProps().GetNumberOfItems() == count
    # None hides it all again.
    scene.set_result(None)
    scene.set_vessels(None, None)
    for prop in layer.props():
        assert not prop.GetVisibility()
