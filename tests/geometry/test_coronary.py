"""Coronary sinus paths: the estimate's distances and side, given paths' order and refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest
from shapely.geometry import Point, Polygon
from shapes import SAMPLES

from mvplan.errors import InputError
from mvplan.geometry.annulus import Annulus, build_annulus
from mvplan.geometry.coronary import (
    MAX_CS_DISTANCE_MM,
    CSOffsets,
    PosteriorArc,
    cs_path_from_points,
    estimate_cs_path,
    nearest_annulus_points,
    posterior_arc,
    resample_polyline,
)
from mvplan.io.load import load_annulus


@pytest.fixture(scope="module")
def fmr() -> Annulus:
    return load_annulus(SAMPLES / "fmr_annulus.csv", papillary=SAMPLES / "fmr_papillary_tips.csv")


def landmark_valve(annulus: Annulus, name: str) -> np.ndarray:
    return annulus.to_valve_frame.apply(annulus.landmark_point(name))


# --- the estimate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offsets", [CSOffsets(), CSOffsets(9.0, 15.0, 8.0, 3.0), CSOffsets(14.0, 20.0, 14.0, 6.0)]
)
def test_estimated_distances_equal_the_offsets_at_the_three_stations(fmr, offsets) -> None:
    path = estimate_cs_path(fmr, offsets)
    assert path.distance_mm[0] == pytest.approx(offsets.ostium_mm, abs=0.2)
    assert path.distance_mm[-1] == pytest.approx(offsets.distal_mm, abs=0.2)
    at_p = int(np.argmin(np.abs(path.annulus_u - fmr.landmarks["P"].u)))
    assert path.distance_mm[at_p] == pytest.approx(offsets.mid_mm, abs=0.2)
    # Between the stations the distance stays between their values (linear profile).
    low = min(offsets.ostium_mm, offsets.distal_mm) - 0.2
    assert low <= path.distance_mm.min()
    assert path.distance_mm.max() <= offsets.mid_mm + 0.2
    assert path.offsets == offsets
    assert path.source == "estimated"


def test_estimated_path_lies_outside_the_annulus_beside_the_posterior_arc(fmr) -> None:
    path = estimate_cs_path(fmr)
    outline = Polygon(fmr.points_valve[:, :2])
    assert not any(outline.contains(Point(p[:2])) for p in path.points_valve)
    arc = posterior_arc(fmr)
    # Nearest annulus points are found to 1/8 of the annulus spacing (about 0.06 mm).
    assert np.all(arc.fraction(path.annulus_u) <= 1.0 + 0.1 / arc.length_mm(fmr))
    # Posterior: on the side away from A (+y in the valve frame), below the commissural line.
    commissures_y = max(landmark_valve(fmr, "ALC")[1], landmark_valve(fmr, "PMC")[1])
    assert np.all(path.points_valve[:, 1] <= commissures_y + 0.5)
    # Atrial of the annulus point each CS point comes from.
    u, _ = nearest_annulus_points(fmr, path.points_valve)
    foot = fmr.to_valve_frame.apply(fmr.curve.evaluate(u))
    rise = path.points_valve[:, 2] - foot[:, 2]
    assert rise == pytest.approx(np.full(len(rise), 4.0), abs=0.3)


def test_estimated_path_runs_from_pmc_through_p_to_alc_about_1_mm_apart(fmr) -> None:
    path = estimate_cs_path(fmr)
    pts = path.points_valve
    pmc, alc = landmark_valve(fmr, "PMC"), landmark_valve(fmr, "ALC")
    assert np.linalg.norm(pts[0] - pmc) < np.linalg.norm(pts[0] - alc)
    assert np.linalg.norm(pts[-1] - alc) < np.linalg.norm(pts[-1] - pmc)
    # The nearest annulus point moves monotonically along the arc from PMC to ALC.
    along = posterior_arc(fmr).fraction(path.annulus_u)
    assert along[0] < 0.01
    assert along[-1] > 0.99
    assert np.all(np.diff(along) > 0)
    steps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    assert steps == pytest.approx(np.full(len(steps), steps.mean()), abs=0.01)
    assert abs(steps.mean() - 1.0) < 0.02
    assert path.length_mm == pytest.approx(steps.sum())


def test_posterior_arc_avoids_a_and_passes_p(fmr) -> None:
    arc = posterior_arc(fmr)
    assert arc.ends == ("PMC", "ALC")
    assert arc.mid_is_p
    assert not arc.contains(fmr.landmarks["A"].u)
    assert arc.contains(fmr.landmarks["P"].u)
    assert arc.fraction(arc.u_start) == pytest.approx(0.0, abs=1e-12)
    assert arc.fraction(arc.u_end) == pytest.approx(1.0)
    assert arc.parameters(np.array([0.0, 1.0])) == pytest.approx([arc.u_start, arc.u_end])
    # Posterior length PMC-P-ALC of the D-shaped sample: more than half the perimeter.
    assert 0.5 * fmr.perimeter_mm < arc.length_mm(fmr) < 0.6 * fmr.perimeter_mm


def test_posterior_arc_falls_back_to_the_trigones(fmr) -> None:
    marks = {n: m for n, m in fmr.landmarks.items() if n not in ("ALC", "PMC")}
    annulus = replace(fmr, landmarks=MappingProxyType(marks))
    arc = posterior_arc(annulus)
    assert arc.ends == ("PMT", "ALT")
    assert arc.u_start == fmr.landmarks["PMT"].u
    assert not arc.contains(fmr.landmarks["A"].u)
    path = estimate_cs_path(annulus)
    assert path.length_mm > estimate_cs_path(fmr).length_mm  # trigones lie beyond commissures


def test_unknown_posterior_arc_is_a_clear_error() -> None:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    circle = build_annulus(np.c_[20 * np.cos(t), 20 * np.sin(t), 0 * t], source="round.csv")
    with pytest.raises(InputError, match=r"round\.csv: .*commissures .* trigones"):
        estimate_cs_path(circle)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"ostium_mm": -1.0}, "ostium_mm must be a positive"),
        ({"mid_mm": float("nan")}, "mid_mm must be a positive"),
        ({"distal_mm": 3.0}, "distal_mm .* must exceed its atrial part"),
        ({"atrial_mm": 0.0}, "atrial_mm must be a positive"),
    ],
)
def test_offsets_are_validated(values, match) -> None:
    with pytest.raises(InputError, match=match):
        CSOffsets(**values)


def test_to_dict_is_json_ready(fmr) -> None:
    data = json.loads(json.dumps(estimate_cs_path(fmr).to_dict()))
    assert data["source"] == "estimated"
    assert data["offsets"]["mid_mm"] == 17.0
    assert data["distance_mm"]["min"] == pytest.approx(10.5, abs=0.2)
    assert len(data["points_valve_mm"][0]) == 3
    assert data["length_mm"] > 60


# --- given paths -------------------------------------------------------------------------------


def test_given_path_reversed_comes_out_from_the_ostium(fmr) -> None:
    estimate = estimate_cs_path(fmr).points_valve
    sparse = estimate[::4]
    forward = cs_path_from_points(fmr, sparse, "cs.csv")
    backward = cs_path_from_points(fmr, sparse[::-1], "cs.csv")
    assert np.allclose(forward.points_valve, backward.points_valve, atol=1e-9)
    assert np.allclose(forward.points_valve[0], estimate[0])
    assert forward.source == "cs.csv"
    assert forward.offsets is None
    steps = np.linalg.norm(np.diff(forward.points_valve, axis=0), axis=1)
    assert abs(steps.mean() - 1.0) < 0.05


@pytest.mark.parametrize("scale", [1e-3, 1e-1], ids=["metres", "centimetres"])
def test_path_in_other_units_is_refused(fmr, scale) -> None:
    path = estimate_cs_path(fmr).points_valve * scale
    with pytest.raises(InputError, match=r"cs\.csv: .*check the units"):
        cs_path_from_points(fmr, path, "cs.csv")


def test_path_far_from_the_annulus_is_refused_with_its_median_distance(fmr) -> None:
    path = estimate_cs_path(fmr).points_valve + np.array([0.0, 0.0, 50.0])
    with pytest.raises(InputError) as info:
        cs_path_from_points(fmr, path, "cs.csv")
    message = str(info.value)
    assert message.startswith("cs.csv: CS path cs.csv runs 5")
    assert "mm from the annulus (median)" in message
    assert "7-20 mm from it (Lansac 2008): check the units and the frame" in message
    assert "\n" not in message
    median = float(np.median(nearest_annulus_points(fmr, path)[1]))
    assert median > MAX_CS_DISTANCE_MM
    assert f"{median:.1f}" in message


def test_anterior_path_is_refused(fmr) -> None:
    arc = posterior_arc(fmr)
    anterior = PosteriorArc(arc.u_end, arc.u_start, 0.0, arc.direction, ("ALC", "PMC"), False)
    foot = fmr.to_valve_frame.apply(fmr.curve.evaluate(anterior.parameters(np.linspace(0, 1, 50))))
    radial = foot[:, :2] / np.linalg.norm(foot[:, :2], axis=1, keepdims=True)
    path = foot + 12.0 * np.c_[radial, np.zeros(len(foot))]
    with pytest.raises(InputError, match=r"cs\.csv: .*anterior annulus"):
        cs_path_from_points(fmr, path, "cs.csv")


@pytest.mark.parametrize(
    ("points", "match"),
    [
        ([[1.0, 2.0, 3.0]] * 4, "1 distinct point"),
        ([[1.0, 2.0, 3.0], [np.nan, 0.0, 0.0]], "point 1 is not finite"),
        (np.zeros((4, 2)), "must be an"),
    ],
)
def test_degenerate_paths_are_refused(fmr, points, match) -> None:
    with pytest.raises(InputError, match=match):
        cs_path_from_points(fmr, np.asarray(points, dtype=float), "cs.csv")


def test_short_path_is_refused(fmr) -> None:
    estimate = estimate_cs_path(fmr).points_valve
    with pytest.raises(InputError, match=r"is 1\d\.\d mm long"):
        cs_path_from_points(fmr, estimate[40:55], "cs.csv")


def test_resample_keeps_the_ends_and_the_length() -> None:
    pts = np.array([[0.0, 0, 0], [10.0, 0, 0], [10.0, 5.4, 0]])
    out = resample_polyline(pts, 1.0)
    assert np.allclose(out[[0, -1]], pts[[0, -1]])
    assert len(out) == 16
    # Every point lies on the polyline, at arc length j * 15.4 / 15.
    on_first = out[:, 1] == 0.0
    arc = np.where(on_first, out[:, 0], 10.0 + out[:, 1])
    assert np.all(on_first | (out[:, 0] == 10.0))
    assert arc == pytest.approx(np.arange(16) * 15.4 / 15)
