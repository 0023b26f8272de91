"""Every real annulus file in assets/third_party, read as it is and measured."""

from __future__ import annotations

import numpy as np
import pytest
from shapes import SAMPLES, THIRD_PARTY

from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.measurements import measure
from mvplan.geometry.papillary import split_papillary
from mvplan.io.load import load_annulus, load_papillary
from mvplan.io.read import read_curve

KAISER = THIRD_PARTY / "kaiser_heart_valves"
ANNULI = [
    KAISER / "normal_1_annulus.vtk",
    KAISER / "hcm_d_annulus.vtk",
    KAISER / "hcm_d_annulus_early_systole.vtk",
    KAISER / "mcqueen_diastole_annulus_cm.txt",
    THIRD_PARTY / "slicerheart_test" / "mitral_annulus_12pts.mrk.json",
]


@pytest.mark.parametrize("path", ANNULI, ids=lambda p: p.name)
def test_real_annulus_measures_in_adult_ranges(path) -> None:
    annulus = load_annulus(path)
    values = measure(annulus).values
    assert annulus.source.input_units == ("cm" if "_cm" in path.name else "mm")
    assert 90 < values["perimeter_mm"] < 140
    assert 600 < values["area_2d_mm2"] < 1400
    assert values["area_2d_mm2"] <= values["area_3d_mm2"] < 1.1 * values["area_2d_mm2"]
    assert 0 <= values["annular_height_mm"] < 12
    spacing = np.linalg.norm(np.diff(annulus.points, axis=0), axis=1)
    assert spacing.max() <= 1.0


@pytest.mark.parametrize("name", ["normal_1", "hcm_d"])
def test_papillary_tips_orient_and_split(name) -> None:
    annulus = load_annulus(
        KAISER / f"{name}_annulus.vtk", papillary=KAISER / f"{name}_papillary_tips.csv"
    )
    assert annulus.orientation == "papillary"
    tips = load_papillary(KAISER / f"{name}_papillary_tips.csv", annulus)
    # Both tips lie on the ventricular side, one either side of the A-P plane.
    heights = annulus.plane.signed_distance(np.array([tips.anterolateral, tips.posteromedial]))
    assert np.all(heights < -10)
    x = annulus.to_valve_frame.apply(np.array([tips.anterolateral, tips.posteromedial]))[:, 0]
    assert x[0] < 0 < x[1]
    assert set(tips.muscle) == {"AL", "PM"}


def test_labelled_papillary_points_keep_their_muscle() -> None:
    annulus = load_annulus(SAMPLES / "healthy_annulus.csv")
    tips = load_papillary(SAMPLES / "healthy_papillary_tips.csv", annulus)
    assert tips.muscle == ("AL", "PM")
    x = annulus.to_valve_frame.apply(tips.anterolateral)[0]
    assert x < 0  # the anterolateral muscle is on the ALC side
    swapped = split_papillary(tips.points, ["PM", "AL"], annulus)
    assert np.allclose(swapped.anterolateral, tips.posteromedial)


def test_two_phases_share_point_order() -> None:
    diastole = read_curve(KAISER / "hcm_d_annulus.vtk")
    systole = read_curve(KAISER / "hcm_d_annulus_early_systole.vtk")
    assert diastole.points.shape == systole.points.shape == (537, 3)


def test_estimated_trigones_near_noack_ratio() -> None:
    """DESIGN.md's check of the +-14 % trigone rule: IT near AP / 1.11 (Noack 2019)."""
    curve = read_curve(SAMPLES / "healthy_annulus.csv")
    values = measure(build_annulus(curve.points)).values  # landmarks all estimated
    expected = values["ap_diameter_mm"] / 1.11
    assert values["intertrigonal_distance_mm"] == pytest.approx(expected, rel=0.10)
