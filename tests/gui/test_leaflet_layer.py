"""The leaflet layer of the 3D view (mvplan.render.leaflets), without a window: what it draws,
its legends, the stale state, and the nodal average of the stress.

(It lives with the GUI tests because the GUI is its one host.)"""

from __future__ import annotations

import numpy as np
import pytest

from mvplan.render import THEMES, LeafletLayer, LeafletPicture
from mvplan.render.leaflets import node_average

pytestmark = pytest.mark.gui


def _picture(orifice: bool = True) -> LeafletPicture:
    """Two triangles of a unit square (areas 0.5 each) and one chord."""
    points = np.array([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    return LeafletPicture(
        points=points,
        triangles=np.array([[0, 1, 2], [0, 2, 3]]),
        in_contact=np.array([True, False, False, True]),
        gap_mm=np.array([0.0, 3.0, np.nan, 0.2]),
        stress_mpa=np.array([0.1, 0.3]),
        chords=np.array([[[0.5, 0.5, -10.0], [1.0, 1.0, 0.0]]]),
        orifice=(np.array([[0.2, 0.2, 0.0], [0.4, 0.2, 0.0], [0.3, 0.4, 0.0]]),) if orifice else (),
    )


def test_node_average_weights_by_area() -> None:
    points = np.array([[0.0, 0, 0], [2, 0, 0], [0, 1, 0], [0, -3, 0]])
    triangles = np.array([[0, 1, 2], [0, 3, 1]])  # areas 1 and 3
    values = node_average(triangles, np.array([1.0, 5.0]), points)
    assert values == pytest.approx([4.0, 4.0, 1.0, 5.0])  # shared nodes: (1 + 15) / 4
    lonely = node_average(triangles, np.array([1.0, 5.0]), np.vstack([points, [[9, 9, 9]]]))
    assert np.isnan(lonely[-1])


def test_a_picture_checks_its_shapes() -> None:
    good = _picture()
    with pytest.raises(ValueError, match="gap_mm has shape"):
        LeafletPicture(
            good.points, good.triangles, good.in_contact, good.gap_mm[:3], good.stress_mpa
        )


def test_layer_draws_colours_and_goes_grey_when_stale() -> None:
    layer = LeafletLayer(THEMES["dark"])
    assert not layer.visible and not any(p.GetVisibility() for p in layer.props())
    layer.set(_picture())
    assert layer.visible and layer.chords.actor.GetVisibility()
    assert layer.orifice.actor.GetVisibility()
    assert layer.quantity == "coaptation" and layer.bars["coaptation"].GetVisibility()
    assert layer.mapper.GetScalarVisibility() and layer.mapper.GetArrayName() == "coaptation"
    point_data = layer.polydata.GetPointData()
    assert point_data.GetArray("stress").GetValue(0) == pytest.approx(0.2)  # both triangles
    layer.set_quantity("gap")
    assert layer.mapper.GetArrayName() == "gap"
    assert layer.bars["gap"].GetVisibility() and not layer.bars["coaptation"].GetVisibility()
    with pytest.raises(ValueError, match="unknown leaflet colouring"):
        layer.set_quantity("strain")
    # Stale: plain grey, no legend, no orifice (a finding of that closure), a note.
    layer.set_stale(True, "out of date")
    assert not layer.mapper.GetScalarVisibility()
    assert not any(bar.GetVisibility() for bar in layer.bars.values())
    assert not layer.orifice.actor.GetVisibility()
    assert layer.note.GetVisibility() and layer.note.GetInput() == "out of date"
    layer.set_stale(False)
    assert layer.mapper.GetScalarVisibility() and layer.bars["gap"].GetVisibility()
    assert layer.orifice.actor.GetVisibility() and not layer.note.GetVisibility()
    layer.set_chords_visible(False)
    assert not layer.chords.actor.GetVisibility()
    layer.set(_picture(orifice=False))
    assert not layer.orifice.actor.GetVisibility() and not layer.chords.actor.GetVisibility()
    layer.set(None)
    assert not layer.visible and layer.points.shape == (0, 3)
    assert not any(bar.GetVisibility() for bar in layer.bars.values())
