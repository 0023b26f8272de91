"""Property tests: measurements do not depend on the pose, start point or direction of the input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation
from shapes import d_shape

from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.measurements import measure

T = np.linspace(0, 2 * np.pi, 90, endpoint=False)
REFERENCE = measure(build_annulus(d_shape(T))).values


def assert_same(values: dict) -> None:
    for key, want in REFERENCE.items():
        got = values[key]
        assert (got is None) == (want is None), key
        if want is None:
            continue
        # area_3d is a converged discretisation (0.5 %); everything else is exact to the spline.
        rel = 0.005 if key == "area_3d_mm2" else 1e-5
        assert got == pytest.approx(want, rel=rel, abs=1e-4), key


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quaternion=st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(
        lambda q: np.linalg.norm(q) > 0.1
    ),
    offset=st.lists(st.floats(-500, 500), min_size=3, max_size=3),
    start=st.integers(0, len(T) - 1),
    reverse=st.booleans(),
)
def test_pose_start_and_direction_do_not_matter(quaternion, offset, start, reverse) -> None:
    points = Rotation.from_quat(quaternion).apply(d_shape(T)) + np.array(offset)
    points = np.roll(points, -start, axis=0)
    if reverse:
        points = points[::-1]
    assert_same(measure(build_annulus(points)).values)
