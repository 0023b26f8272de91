"""Picking by display coordinates: the known screen position of a landmark, a curve point,
the ring or a plane point is picked back as that object."""

from __future__ import annotations

import numpy as np
import pytest
from vtkmodules.vtkRenderingCore import vtkRenderer

from mvplan.geometry.annulus import LANDMARK_NAMES, Annulus
from mvplan.planning import Placement
from mvplan.planning.annuloplasty import AnnuloplastyResult
from mvplan.render import PlanScene
from mvplan.rings.spec import RingSpec


def _vtk_display(scene: PlanScene, point: np.ndarray) -> tuple[float, float, float]:
    """VTK's own world -> display transform of one point."""
    renderer = scene.renderer
    renderer.SetWorldPoint(*point, 1.0)
    renderer.WorldToDisplay()
    return renderer.GetDisplayPoint()


@pytest.fixture
def framed(scene: PlanScene, annulus: Annulus) -> PlanScene:
    scene.set_annulus(annulus)
    scene.set_view("atrial")
    return scene


@pytest.mark.parametrize("view", ["atrial", "lateral", "ap"])
def test_projection_matches_vtk(framed: PlanScene, annulus: Annulus, view: str) -> None:
    framed.set_view(view)
    points = annulus.points_valve[::17]
    ours = framed.world_to_display(points)
    assert ours is not None
    theirs = np.array([_vtk_display(framed, p) for p in points])
    np.testing.assert_allclose(ours[:, :2], theirs[:, :2], atol=1e-6)


def test_landmarks_are_picked_at_their_glyphs(framed: PlanScene) -> None:
    for name in LANDMARK_NAMES:
        x, y, _ = _vtk_display(framed, framed.landmark_position(name))
        assert framed.landmark_at(round(x), round(y)) == name
        assert framed.landmark_at(round(x) + 12, round(y) - 5) == name  # sphere + tolerance
    # The middle of the valve is far from every landmark.
    cx, cy, _ = _vtk_display(framed, np.zeros(3))
    assert framed.landmark_at(round(cx), round(cy)) is None
    x, y, _ = _vtk_display(framed, framed.landmark_position("A"))
    assert framed.landmark_at(round(x) + 30, round(y), tolerance_px=5) is None


@pytest.mark.parametrize("u", [0.0, 0.13, 0.37, 0.5, 0.81, 0.995])
def test_curve_parameter_at_a_curve_point(framed: PlanScene, annulus: Annulus, u: float) -> None:
    point = annulus.to_valve_frame.apply(annulus.curve.evaluate(u))
    x, y, _ = _vtk_display(framed, point)
    found = framed.curve_parameter_at(x, y)
    assert found is not None
    gap = abs((found - u + 0.5) % 1.0 - 0.5)  # periodic
    assert gap < 0.5 / annulus.curve.count
    # A little off the curve (inside the valve), the nearest curve point is still that one.
    inward = framed.world_to_display(point[None, :] * 0.97)[0]
    again = framed.curve_parameter_at(inward[0], inward[1])
    assert abs((again - u + 0.5) % 1.0 - 0.5) < 0.02


def test_curve_parameter_prefers_the_near_side(framed: PlanScene, annulus: Annulus) -> None:
    # Seen from the side (looking along -x), PMC's half of the curve hides ALC's.
    framed.set_view("lateral")
    u = annulus.landmarks["PMC"].u
    point = annulus.to_valve_frame.apply(annulus.curve.evaluate(u))
    x, y, _ = _vtk_display(framed, point)
    found = framed.curve_parameter_at(x, y)
    near = annulus.to_valve_frame.apply(annulus.curve.evaluate(found))
    assert near[0] > 10.0  # on the +x (PMC, near) side


@pytest.mark.parametrize("view", ["atrial", "oblique"])
def test_display_to_plane_inverts_the_projection(framed: PlanScene, view: str) -> None:
    if view == "oblique":
        camera = framed.renderer.GetActiveCamera()
        camera.Elevation(35.0)
        camera.Azimuth(20.0)
        framed.renderer.ResetCameraClippingRange()
    for target in ([0.0, 0.0, 0.0], [12.5, -7.25, 0.0], [-15.0, 9.0, 0.0]):
        x, y, _ = _vtk_display(framed, np.array(target))
        hit = framed.display_to_plane(x, y)
        assert hit is not None
        np.testing.assert_allclose(hit, target, atol=1e-6)


def test_display_to_plane_misses_above_the_horizon(framed: PlanScene) -> None:
    # Seen from the side and a little above the plane, looking level.
    framed.set_view("lateral")
    camera = framed.renderer.GetActiveCamera()
    camera.SetPosition(80.0, 0.0, 2.0)
    camera.SetFocalPoint(0.0, 0.0, 2.0)
    framed.renderer.ResetCameraClippingRange()
    x, y, _ = _vtk_display(framed, np.array([0.0, 0.0, 2.0]))  # the horizon
    assert framed.display_to_plane(x, y + 20) is None  # the ray rises away from the plane
    hit = framed.display_to_plane(x, y - 20)
    assert hit is not None and hit[0] > 0.0  # it falls onto the plane, in front of the eye
    near = framed.display_to_plane(x, y - 150)  # steeply down: the plane just ahead
    assert near is not None and hit[0] < near[0] < 80.0


def test_ring_is_picked_where_it_is_drawn(
    framed: PlanScene,
    spec: RingSpec,
    placement: Placement,
    result: AnnuloplastyResult,
) -> None:
    framed.set_ring(spec, placement)
    on_ring = framed._ring.centreline()[40]
    x, y, _ = _vtk_display(framed, on_ring)
    assert framed.ring_at(round(x), round(y))
    cx, cy, _ = _vtk_display(framed, placement.ring_center_mm)
    assert not framed.ring_at(round(cx), round(cy))
    # After a simulation the settled ring is the one picked.
    framed.set_result(result)
    settled = framed._result.ring_points[100]
    x, y, _ = _vtk_display(framed, settled)
    assert framed.ring_at(round(x), round(y))
    framed.set_ring(None, None)
    framed.set_result(None)
    assert not framed.ring_at(round(x), round(y))


def test_no_window_no_pick(annulus: Annulus) -> None:
    scene = PlanScene(vtkRenderer(), style=False)
    scene.set_annulus(annulus)
    assert scene.world_to_display(np.zeros((1, 3))) is None
    assert scene.landmark_at(10, 10) is None
    assert scene.curve_parameter_at(10, 10) is None
    assert scene.display_to_plane(10, 10) is None
    assert scene.ring_at(10, 10) is False
