"""Open curves from files: round trips, units, point order, VTK polylines, the two loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mvplan.errors import InputError
from mvplan.geometry.coronary import estimate_cs_path
from mvplan.io.load import load_annulus
from mvplan.io.paths import load_artery, load_cs_path, load_open_curve

SAMPLES = Path(__file__).parents[2] / "assets" / "samples"
CURVE = np.array([[10.0, 20.0, 30.0], [12.5, 21.0, 30.5], [15.0, 23.5, 31.0], [16.0, 27.0, 31.5]])


def write_csv(path: Path, points: np.ndarray, header: str | None = "x_mm,y_mm,z_mm") -> Path:
    lines = [header] if header else []
    lines += [",".join(f"{v:.6f}" for v in p) for p in points]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def fmr():
    return load_annulus(SAMPLES / "fmr_annulus.csv", papillary=SAMPLES / "fmr_papillary_tips.csv")


def input_frame(annulus, points_valve: np.ndarray) -> np.ndarray:
    return annulus.to_valve_frame.inverse().apply(points_valve)


# --- load_open_curve ---------------------------------------------------------------------------


def test_csv_round_trip_keeps_points_and_order(tmp_path) -> None:
    points, source = load_open_curve(write_csv(tmp_path / "cs.csv", CURVE[::-1]))
    assert source == "cs.csv"
    assert points == pytest.approx(CURVE[::-1], abs=1e-6)


def test_csv_declared_units_are_converted(tmp_path) -> None:
    path = write_csv(tmp_path / "cs.csv", CURVE / 10.0, header="x_cm,y_cm,z_cm")
    assert load_open_curve(path, reference_units="mm")[0] == pytest.approx(CURVE, abs=1e-5)
    # An explicit unit wins over the file's.
    assert load_open_curve(path, units="mm")[0] == pytest.approx(CURVE / 10.0, abs=1e-6)


def test_units_fall_back_to_the_reference_then_to_the_size(tmp_path) -> None:
    path = write_csv(tmp_path / "cs.txt", CURVE / 1000.0, header=None)
    assert load_open_curve(path, reference_units="mm")[0] == pytest.approx(CURVE / 1000.0)
    # With no reference, a span under 0.1 means metres (as for an annulus).
    assert load_open_curve(path)[0] == pytest.approx(CURVE, abs=1e-6)
    with pytest.raises(InputError, match="unknown length unit"):
        load_open_curve(path, units="inch")


@pytest.mark.parametrize(("system", "sign"), [("RAS", 1.0), ("LPS", -1.0), (None, -1.0)])
def test_markups_curve_round_trip(write_markups, markup, system, sign) -> None:
    extra = {"coordinateUnits": "mm"} | ({"coordinateSystem": system} if system else {})
    path = write_markups("cs.mrk.json", markup("Curve", CURVE.tolist(), **extra))
    points, source = load_open_curve(path)
    assert source == "cs.mrk.json"
    assert points == pytest.approx(CURVE * [sign, sign, 1.0])


def test_vtk_polyline_is_followed_along_its_connectivity(write_vtk) -> None:
    # Points stored out of order, the polyline given as scattered two-point cells.
    order = np.array([2, 0, 3, 1])
    stored = CURVE[order]  # stored[i] = CURVE[order[i]]
    where = np.argsort(order)  # where[k] = index in `stored` of CURVE[k]
    cells = [[where[2], where[3]], [where[0], where[1]], [where[1], where[2]]]
    # VTK files declare no unit: the annulus's (the reference) is used.
    points, source = load_open_curve(write_vtk("cs.vtk", stored, lines=cells), reference_units="mm")
    assert source == "cs.vtk"
    if np.allclose(points[0], CURVE[-1]):
        points = points[::-1]
    assert points == pytest.approx(CURVE)


@pytest.mark.parametrize(
    ("lines", "match"),
    [
        ([[0, 1, 2, 3, 0]], "closed loop"),
        ([[0, 1], [1, 2], [1, 3]], "branch"),
        ([[0, 1], [2, 3]], "several separate polylines"),
    ],
)
def test_vtk_line_cells_that_are_not_one_open_path_are_refused(write_vtk, lines, match) -> None:
    with pytest.raises(InputError, match=rf"cs\.vtk: line cells .*{match}"):
        load_open_curve(write_vtk("cs.vtk", CURVE, lines=lines))


def test_vtk_points_without_lines_keep_file_order(write_vtk) -> None:
    path = write_vtk("cs.vtk", CURVE, verts=[[0], [1], [2], [3]])
    points, _ = load_open_curve(path, reference_units="mm")
    assert points == pytest.approx(CURVE)


def test_missing_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        load_open_curve(tmp_path / "nope.csv")


# --- load_cs_path and load_artery ---------------------------------------------------------------


def test_load_cs_path_round_trips_an_estimate_through_csv_in_either_order(fmr, tmp_path) -> None:
    estimate = estimate_cs_path(fmr)
    traced = input_frame(fmr, estimate.points_valve)
    for name, pts in (("cs.csv", traced), ("cs_reversed.csv", traced[::-1])):
        path = load_cs_path(write_csv(tmp_path / name, pts), fmr)
        assert path.source == name
        assert path.points_valve[0] == pytest.approx(estimate.points_valve[0], abs=1e-4)
        assert path.points_valve[-1] == pytest.approx(estimate.points_valve[-1], abs=1e-4)
        assert path.length_mm == pytest.approx(estimate.length_mm, abs=0.05)


def test_load_cs_path_in_metres_without_a_unit_is_refused(fmr, tmp_path) -> None:
    traced = input_frame(fmr, estimate_cs_path(fmr).points_valve) / 1000.0
    path = write_csv(tmp_path / "cs_m.csv", traced, header="x,y,z")
    with pytest.raises(InputError, match=r"cs_m\.csv: CS path cs_m\.csv runs .* check the units"):
        load_cs_path(path, fmr)
    # Told the unit, it loads.
    assert load_cs_path(path, fmr, units="m").length_mm > 60


def test_load_sample_vessels(fmr) -> None:
    cs = load_cs_path(SAMPLES / "fmr_cs_path.csv", fmr)
    lcx = load_artery(SAMPLES / "fmr_circumflex.csv", fmr)
    assert cs.source == "fmr_cs_path.csv"
    assert lcx.source == "fmr_circumflex.csv"
    # README.md: the sample CS runs 12-18 mm outside the posterior annulus.
    assert cs.distance_mm.min() > 11.0
    assert cs.distance_mm.max() < 18.0
    assert cs.points_valve[0] == pytest.approx(estimate_cs_path(fmr).points_valve[0], abs=3.0)
    assert 80 < lcx.length_mm < 95


def test_load_artery_far_away_is_refused(fmr, tmp_path) -> None:
    far = input_frame(fmr, estimate_cs_path(fmr).points_valve + np.array([0.0, 0.0, 80.0]))
    with pytest.raises(InputError, match=r"lcx\.csv: artery path lcx\.csv runs"):
        load_artery(write_csv(tmp_path / "lcx.csv", far), fmr)
