"""PlanScene draws what the model says, updates in place and leaks no actors."""

from __future__ import annotations

import numpy as np
import pytest
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkIdList

from mvplan.errors import InputError
from mvplan.geometry.annulus import LANDMARK_NAMES, Annulus
from mvplan.planning import Placement, suture_points
from mvplan.planning.annuloplasty import AnnuloplastyResult, simulate_annuloplasty
from mvplan.render import PlanScene
from mvplan.render.actors import MARKER_FACE_TEXT
from mvplan.render.arrays import polydata_points
from mvplan.render.layers import FORCE_TITLE, HEIGHT_TITLE, suture_legs, warned_sutures
from mvplan.rings.spec import RingSpec


def _prop_counts(scene: PlanScene) -> tuple[int, int, int]:
    """All props, 3D actors and 2D actors (labels, legends) in the scene's renderer."""
    props = scene.renderer.GetViewProps()
    items = [props.GetItemAsObject(i) for i in range(props.GetNumberOfItems())]
    return (
        len(items),
        sum(p.IsA("vtkActor") for p in items),
        sum(p.IsA("vtkActor2D") for p in items),
    )


def _labels(label_set: object) -> list[str]:
    poly = label_set.polydata  # type: ignore[attr-defined]
    array = poly.GetPointData().GetAbstractArray("labels")
    return [array.GetValue(i) for i in range(array.GetNumberOfValues())]


def test_annulus_tube_landmarks_and_plane(scene: PlanScene, annulus: Annulus) -> None:
    scene.set_annulus(annulus)
    layer = scene._annulus
    tube = polydata_points(layer.tube.polydata)
    valve = annulus.points_valve
    # Every tube vertex is 0.8 mm from its centreline point (the annulus, valve frame).
    n_around = tube.shape[0] // valve.shape[0]
    offsets = tube.reshape(valve.shape[0], n_around, 3) - valve[:, None, :]
    np.testing.assert_allclose(np.linalg.norm(offsets, axis=2), 0.8, rtol=1e-9)
    # Coloured by valve-frame z over the fixed +-3 mm range.
    assert layer.tube.mapper.GetScalarVisibility()
    scalars = layer.tube.polydata.GetPointData().GetScalars()
    assert scalars.GetRange() == pytest.approx((valve[:, 2].min(), valve[:, 2].max()))
    assert layer.ctf.GetRange() == (-3.0, 3.0)
    assert " ".join(layer.bar.GetTitle().split()) == HEIGHT_TITLE and layer.bar.GetVisibility()
    for name in LANDMARK_NAMES:
        sphere = layer.spheres[name]
        assert sphere.GetVisibility()
        expected = annulus.to_valve_frame.apply(annulus.landmark_point(name))
        np.testing.assert_allclose(sphere.GetPosition(), expected, atol=1e-9)
        assert sphere.GetMapper() is layer._solid  # given: a solid sphere
    assert sorted(_labels(layer.labels_given)) == sorted(LANDMARK_NAMES)
    assert not layer.labels_estimated.actor.GetVisibility()
    assert layer.disc.GetVisibility()
    radius = np.max(np.hypot(valve[:, 0], valve[:, 1]))
    bounds = scene.bounds()
    assert bounds[1] - bounds[0] == pytest.approx(2 * 1.15 * radius, rel=1e-3)


def test_estimated_landmarks_look_different(scene: PlanScene, annulus: Annulus) -> None:
    estimated = annulus.with_landmarks({"A": annulus.landmarks["A"].u})
    scene.set_annulus(estimated)
    layer = scene._annulus
    assert _labels(layer.labels_given) == ["A"]
    assert sorted(_labels(layer.labels_estimated)) == sorted(
        f"{n} (est.)" for n in LANDMARK_NAMES if n != "A"
    )
    # Estimated ones are drawn as open cages, the given one as a solid sphere.
    for name in LANDMARK_NAMES:
        mapper = layer.spheres[name].GetMapper()
        assert mapper is (layer._solid if name == "A" else layer._cage)
    assert layer._cage.GetInput().GetNumberOfPolys() == 0
    assert layer._cage.GetInput().GetNumberOfLines() == 3


def test_ring_and_sutures_at_the_pose(
    scene: PlanScene, annulus: Annulus, spec: RingSpec, placement: Placement
) -> None:
    scene.set_annulus(annulus)
    scene.set_ring(spec, placement)
    layer = scene._ring
    matrix = layer.surface.actor.GetUserMatrix()
    pose = np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(pose, placement.pose.matrix)
    assert layer.surface.actor.GetVisibility() and layer.sutures.actor.GetVisibility()
    ring_pts, annulus_pts = suture_points(annulus, spec, placement.pose, placement.sutures)
    np.testing.assert_allclose(
        polydata_points(layer.sutures.polydata), np.vstack([ring_pts, annulus_pts])
    )
    assert layer.sutures.polydata.GetNumberOfLines() == len(placement.sutures)
    # The drawn centreline is the ring's, posed: all of it within the ring's bounding box.
    centre = layer.centreline()
    lo, hi = np.array(scene.bounds()).reshape(3, 2).T
    assert np.all((centre >= lo) & (centre <= hi))
    scene.set_ring(None, placement)
    assert not layer.surface.actor.GetVisibility() and not layer.sutures.actor.GetVisibility()


def test_result_display_and_back(
    scene: PlanScene,
    annulus: Annulus,
    spec: RingSpec,
    placement: Placement,
    result: AnnuloplastyResult,
) -> None:
    scene.set_annulus(annulus)
    scene.set_ring(spec, placement)
    scene.set_result(result)
    native, ring, res = scene._annulus, scene._ring, scene._result
    # Native annulus: thin and grey; placed ring hidden; result drawn.
    assert not native.tube.mapper.GetScalarVisibility()
    assert not ring.surface.actor.GetVisibility() and not ring.sutures.actor.GetVisibility()
    after = polydata_points(res.annulus.polydata).reshape(
        result.annulus_after_valve.shape[0], -1, 3
    )
    np.testing.assert_allclose(after.mean(axis=1), result.annulus_after_valve, atol=1e-9)
    assert res.ring.actor.GetVisibility() and res.ring.actor.GetProperty().GetOpacity() < 1
    # One stitch per suture, coloured by its force on the fixed 0-4 N map.
    k = len(result.sutures)
    assert res.stitches.polydata.GetNumberOfLines() == k
    forces = res.stitches.polydata.GetCellData().GetScalars()
    np.testing.assert_allclose([forces.GetValue(i) for i in range(k)], result.suture_forces_n)
    assert res.force_ctf.GetRange() == (0.0, 4.0)
    assert " ".join(res.bar.GetTitle().split()) == FORCE_TITLE and res.bar.GetVisibility()
    assert scene.renderer.GetUseDepthPeeling()
    scene.set_result(None)
    assert native.tube.mapper.GetScalarVisibility()
    assert ring.surface.actor.GetVisibility() and ring.sutures.actor.GetVisibility()
    assert not any(p.GetVisibility() for p in res.props())
    assert not scene.renderer.GetUseDepthPeeling()


def test_suture_legs_are_the_models(result: AnnuloplastyResult) -> None:
    legs = suture_legs(result)
    assert legs is not None
    annulus_legs, ring_legs = legs
    k = len(result.sutures)
    gap = annulus_legs - ring_legs
    # Each suture's force is k_s times the resultant gap of its two legs (the model's rule).
    stiffness = result.tissue.suture_stiffness_n_per_mm
    np.testing.assert_allclose(
        stiffness * np.linalg.norm(gap[:k] + gap[k:], axis=1), result.suture_forces_n, rtol=1e-9
    )
    # Tied: the legs sit on the ring (gaps of hundredths of a millimetre)...
    assert np.max(np.linalg.norm(gap, axis=1)) < 0.2
    # ...a bite apart along it.
    bite = np.linalg.norm(ring_legs[:k] - ring_legs[k:], axis=1)
    np.testing.assert_allclose(bite, result.tissue.suture_bite_mm, rtol=0.05)


def test_warned_sutures_are_labelled(
    scene: PlanScene, annulus: Annulus, spec: RingSpec, placement: Placement
) -> None:
    strict = simulate_annuloplasty(annulus, spec, placement, warn_fraction=0.2)
    warned = warned_sutures(strict)
    assert 0 < warned.sum() == len(strict.suture_warnings)
    scene.set_annulus(annulus)
    scene.set_ring(spec, placement)
    scene.set_result(strict)
    labels = _labels(scene._result.warnings)
    assert [int(t.split(":")[0]) for t in labels] == [i + 1 for i in np.flatnonzero(warned)]


def test_repeated_updates_keep_the_actor_count(
    scene: PlanScene,
    annulus: Annulus,
    spec: RingSpec,
    placement: Placement,
    result: AnnuloplastyResult,
    moved_result: AnnuloplastyResult,
) -> None:
    before = _prop_counts(scene)
    assert before[1] >= 10 and before[2] >= 4  # every layer's actors, added once
    scene.set_annulus(annulus)
    scene.set_ring(spec, placement)
    window = scene.renderer.GetRenderWindow()
    window.Render()
    for i in range(20):
        scene.set_result((result, moved_result, None)[i % 3])
        scene.set_ring(spec, placement)
        scene.set_landmark_position("A", 0.2 + 0.005 * i)
    window.Render()
    assert _prop_counts(scene) == before
    # The data were replaced, not appended to: one tube's worth of points, one line per suture.
    scene.set_result(moved_result)
    res = scene._result
    assert res.stitches.polydata.GetNumberOfLines() == len(moved_result.sutures)
    assert (
        res.annulus.polydata.GetNumberOfPoints() == scene._annulus.tube.polydata.GetNumberOfPoints()
    )


def test_landmark_drag_and_clear(scene: PlanScene, annulus: Annulus) -> None:
    scene.set_annulus(annulus)
    scene.set_landmark_position("P", 0.7)
    expected = annulus.to_valve_frame.apply(annulus.curve.evaluate(0.7))
    np.testing.assert_allclose(scene._annulus.spheres["P"].GetPosition(), expected, atol=1e-9)
    np.testing.assert_allclose(scene.landmark_position("P"), expected, atol=1e-9)
    with pytest.raises(InputError):
        scene.set_landmark_position("X", 0.1)
    count = _prop_counts(scene)
    scene.clear()
    assert _prop_counts(scene) == count
    assert not any(p.GetVisibility() for p in scene.props)
    assert scene.bounds()[0] > scene.bounds()[1]  # empty
    with pytest.raises(InputError):
        scene.set_landmark_position("A", 0.1)
    scene.remove()
    assert scene.renderer.GetViewProps().GetNumberOfItems() == 0


def test_orientation_marker_is_labelled_in_the_valve_frame() -> None:
    assert MARKER_FACE_TEXT == {
        "+x": "PM", "-x": "AL", "+y": "A", "-y": "P", "+z": "LA", "-z": "LV",
    }  # fmt: skip
    marker = PlanScene.orientation_marker_actor()
    poly = marker.GetMapper().GetInput()
    colours = vtk_to_numpy(poly.GetCellData().GetScalars())
    points = polydata_points(poly)
    # One actor: the cube, each pair of faces lettered in its own colour on those faces.
    for axis, colour in ((0, (194, 143, 245)), (1, (89, 209, 242)), (2, (242, 140, 115))):
        cells = np.flatnonzero(np.all(colours == colour, axis=1))
        assert cells.size > 0
        lettered = points[np.unique(np.concatenate([_cell_points(poly, c) for c in cells]))]
        np.testing.assert_allclose(np.abs(lettered[:, axis]), 0.501, atol=1e-6)
        if axis == 2:
            # "LA" reads across the surgeon's (atrial) view, anterior up: along x.
            atrial = lettered[lettered[:, 2] > 0]
            extent = atrial.max(axis=0) - atrial.min(axis=0)
            assert extent[0] > 1.5 * extent[1]


def _cell_points(poly: object, cell: int) -> np.ndarray:
    ids = vtkIdList()
    poly.GetCellPoints(int(cell), ids)  # type: ignore[attr-defined]
    return np.array([ids.GetId(k) for k in range(ids.GetNumberOfIds())], dtype=int)
