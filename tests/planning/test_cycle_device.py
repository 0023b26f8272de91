"""A ring over the cardiac cycle: how much of a moving annulus's motion each device keeps."""

from __future__ import annotations

import numpy as np
import pytest
from shapes import d_shape

import mvplan.api as mv
from mvplan.errors import ConvergenceError, InputError
from mvplan.geometry.annulus import build_annulus
from mvplan.mechanics import NotConverged
from mvplan.planning import annuloplasty
from mvplan.planning.cycle_device import motion_kept
from mvplan.workflow import simulate_cycle

#: Four frames of one annulus: scaled down and deepened, then back (circumference change
#: about 10 mm on a 106 mm annulus, in the range of DOMAIN.md's 11 +- 5 mm without a ring).
SCALES = (1.0, 0.94, 0.88, 0.94)
HEIGHTS = (2.0, 2.6, 3.2, 2.6)
SIZE = 30.0


def synthetic_cycle() -> tuple[list, list[np.ndarray]]:
    t = np.linspace(0.0, 2 * np.pi, 120, endpoint=False)
    points = [s * d_shape(t, h=h) for s, h in zip(SCALES, HEIGHTS, strict=True)]
    frames = [build_annulus(p, source=f"t{k}.csv") for k, p in enumerate(points)]
    return frames, points


#: Rigid and flexible devices of one kind and size: two complete rings, two bands.
RINGS = {"rigid ring": "classic-like", "flexible ring": "simuplus-ring-like"}
BANDS = {"rigid band": "generic-rigid-band", "flexible band": "cosgrove-band-like"}


@pytest.fixture(scope="module")
def cycles() -> dict:
    frames, points = synthetic_cycle()
    return {
        what: simulate_cycle(frames, ring, size_mm=SIZE, input_points=points)
        for what, ring in {**RINGS, **BANDS}.items()
    }


def test_the_synthetic_cycle_moves_as_built(cycles) -> None:
    native = cycles["rigid ring"].native
    perimeter = native.ranges["perimeter_mm"]
    assert perimeter.change == pytest.approx(10.4, abs=0.2)
    assert perimeter.max_frame == 0 and perimeter.min_frame == 2
    assert native.correspondence.method == "point order"


def kept(cycle, key: str) -> float:
    value = cycle.motion_kept_percent[key]
    assert value is not None
    return float(value)


@pytest.mark.parametrize("kind", ["ring", "band"])
def test_rigid_device_keeps_less_motion_than_a_flexible_one(cycles, kind) -> None:
    rigid, flexible = cycles[f"rigid {kind}"], cycles[f"flexible {kind}"]
    assert (rigid.stiffness_class, flexible.stiffness_class) == ("rigid", "flexible")
    assert rigid.closed == flexible.closed == (kind == "ring")
    assert rigid.size_mm == flexible.size_mm == SIZE
    keys = ["area_2d_mm2", "area_3d_mm2", "ap_diameter_mm"]
    if kind == "band":
        keys.append("perimeter_mm")
    for key in keys:
        assert 0.0 <= kept(rigid, key) < kept(flexible, key) < 100.0, key
        native = rigid.native.ranges[key].change
        assert rigid.device.ranges[key].change < flexible.device.ranges[key].change < native
    # A complete ring, flexible or not, keeps its length (the flexible one's sheath, EA
    # 300 N, stretches 1 % under 3 N): it bends with the tissue but locks the circumference.
    assert kept(rigid, "perimeter_mm") < 10.0 and kept(flexible, "perimeter_mm") < 40.0
    # The definition, checked on the figures it is made of.
    ranges = flexible.device.ranges["perimeter_mm"], flexible.native.ranges["perimeter_mm"]
    assert kept(flexible, "perimeter_mm") == pytest.approx(
        100 * ranges[0].change / ranges[1].change
    )


def test_every_frame_converged_with_one_suture_count(cycles) -> None:
    for cycle in cycles.values():
        assert [f.frame for f in cycle.frames] == [0, 1, 2, 3]
        assert all(f.converged and f.residual <= 1e-8 for f in cycle.frames)
        assert all(f.suture_force_max_n > 0 and f.iterations > 0 for f in cycle.frames)
        assert {len(r.sutures) for r in cycle.results} == {cycle.sutures}
        assert cycle.sutures == (14 if cycle.closed else 10)
        # Each frame's reshaped annulus is measured as simulate_plan's ``post``.
        for r, m in zip(cycle.results, cycle.device.frames, strict=True):
            assert m is r.post
        # The device's points are the native ones carried with the tissue.
        assert cycle.device.correspondence.method == "point order, carried with the tissue"
        assert cycle.device.correspondence.points.shape == (4, 120, 3)
        out = cycle.to_dict()
        assert (
            out["motion_kept_percent"]["perimeter_mm"] == cycle.motion_kept_percent["perimeter_mm"]
        )
        assert len(out["frames"]) == 4 and out["cycle"]["n_frames"] == 4


def test_no_native_change_gives_null_motion_kept() -> None:
    frames, _ = synthetic_cycle()
    still = simulate_cycle([frames[0], frames[0]], "classic-like", size_mm=SIZE)
    assert still.motion_kept_percent["perimeter_mm"] is None
    assert motion_kept(still.native, still.device)["area_2d_mm2"] is None


def test_api_takes_annuli_and_reports_progress() -> None:
    frames, _ = synthetic_cycle()
    calls: list[tuple[int, int]] = []
    cycle = mv.device_cycle(
        frames[:2], "physio-like", 32, progress=lambda k, f: calls.append((k, f))
    )
    assert calls == [(0, 2), (1, 2), (2, 2)]
    assert cycle.ring == "physio-like" and cycle.stiffness_class == "semi-rigid"
    assert cycle.native.correspondence.method == "arc length from A"


def test_bad_ring_size_and_frames() -> None:
    frames, _ = synthetic_cycle()
    with pytest.raises(InputError, match="no-such-ring"):
        simulate_cycle(frames, "no-such-ring", size_mm=SIZE)
    with pytest.raises(InputError, match="31"):
        simulate_cycle(frames, "classic-like", size_mm=31)
    with pytest.raises(InputError, match="two frames"):
        simulate_cycle(frames[:1], "classic-like", size_mm=SIZE)


def test_an_unconverged_frame_is_an_error_naming_it(monkeypatch) -> None:
    frames, _ = synthetic_cycle()
    real = annuloplasty.simulate_annuloplasty
    calls = []

    def failing_on_the_second(annulus, *args, **kwargs):
        calls.append(annulus.source.name)
        if len(calls) == 2:
            result = real(annulus, *args, **kwargs)
            raise NotConverged("stalled", result.solve)
        return real(annulus, *args, **kwargs)

    monkeypatch.setattr("mvplan.workflow.simulate_annuloplasty", failing_on_the_second)
    with pytest.raises(ConvergenceError, match=r"frame 1 \(t1\.csv\).*did not converge"):
        simulate_cycle(frames, "classic-like", size_mm=SIZE)
