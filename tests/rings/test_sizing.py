"""Sizing policies on closed-form annuli and on the sample annuli."""

from __future__ import annotations

import numpy as np
import pytest
from shapes import SAMPLES, saddle_ellipse

from mvplan.errors import InputError
from mvplan.geometry.annulus import build_annulus
from mvplan.geometry.measurements import measure
from mvplan.rings.geometry import ring_dimensions
from mvplan.rings.sizing import SizingPolicy, parse_policy, recommend_size


def test_parse_policy():
    assert parse_policy("true-size") == SizingPolicy("true-size", 0)
    assert parse_policy("undersize:2") == SizingPolicy("undersize", 2)
    assert parse_policy("oversize") == SizingPolicy("oversize", 1)
    for bad in ("undersize:0", "undersize:x", "shrink", "true-size:1"):
        with pytest.raises(InputError, match="sizing policy"):
            parse_policy(bad)


def test_policies_on_exact_values(catalogue):
    fam = catalogue["rigid-saddle-like"]  # sized by commissural width = size
    patient = {"commissural_width_mm": 29.2}
    assert recommend_size(fam, patient, "true-size").size_mm == 30.0
    assert recommend_size(fam, patient, "undersize:2").size_mm == 26.0
    assert recommend_size(fam, patient, "oversize:1").size_mm == 32.0
    clamped = recommend_size(fam, patient, "undersize:9")
    assert clamped.size_mm == 24.0 and "smallest size sold" in clamped.reason
    rec = recommend_size(fam, patient, "true-size")
    assert rec.measure == "commissural_width" and rec.measured_mm == 29.2
    assert rec.ring_value_mm == pytest.approx(30.0, abs=0.01)


def test_intertrigonal_sizing_on_a_closed_form_annulus(catalogue):
    # Saddle ellipse a = 18, b = 14 with trigones given at +-40 deg from A: IT = 2 * 18 sin 40.
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    pts = saddle_ellipse(t)
    alt, pmt = np.radians([130.0, 50.0])
    landmarks = {
        "ALT": saddle_ellipse(np.array([alt]))[0],
        "PMT": saddle_ellipse(np.array([pmt]))[0],
    }
    annulus = build_annulus(pts, landmarks=landmarks, units="mm", source="ellipse")
    m = measure(annulus)
    it = 2 * 18 * np.cos(np.radians(50.0))
    assert m["intertrigonal_distance_mm"] == pytest.approx(it, abs=0.01)
    fam = catalogue["physio-like"]  # ring IT = 0.8 x size
    rec = recommend_size(fam, m.values, "true-size", estimated=m.estimated)
    assert rec.measured_mm == pytest.approx(it, abs=0.01)
    assert rec.size_mm == 2 * round(it / 0.8 / 2)  # nearest even size
    assert not rec.estimated


def test_anterior_leaflet_height_wins_when_given(catalogue):
    fam = catalogue["classic-like"]  # AP = 0.75 x size
    rec = recommend_size(
        fam, {"intertrigonal_distance_mm": 30.0}, "true-size", anterior_leaflet_height_mm=24.0
    )
    assert rec.measure == "anterior_leaflet_height"
    assert rec.size_mm == 32.0  # AP 24 mm
    band = catalogue["cosgrove-band-like"]  # does not size by leaflet height
    rec = recommend_size(
        band, {"intertrigonal_distance_mm": 30.0}, "true-size", anterior_leaflet_height_mm=24.0
    )
    assert rec.measure == "intertrigonal" and rec.size_mm == 30.0


def test_missing_measure_is_an_input_error(catalogue):
    with pytest.raises(InputError, match="sized by intertrigonal distance"):
        recommend_size(
            catalogue["cosgrove-band-like"], {"intertrigonal_distance_mm": None}, "true-size"
        )


def test_sample_annuli(catalogue):
    from mvplan.io.load import load_annulus

    healthy = measure(
        load_annulus(
            SAMPLES / "healthy_annulus.csv", papillary=SAMPLES / "healthy_papillary_tips.csv"
        )
    )
    fmr = measure(
        load_annulus(SAMPLES / "fmr_annulus.csv", papillary=SAMPLES / "fmr_papillary_tips.csv")
    )
    # The samples impose IT 26.1 mm (healthy) and 28.0 mm (FMR) (assets/samples/README.md).
    assert healthy["intertrigonal_distance_mm"] == pytest.approx(26.1, abs=0.2)
    assert fmr["intertrigonal_distance_mm"] == pytest.approx(28.0, abs=0.2)
    physio = catalogue["physio-like"]
    h = recommend_size(physio, healthy.values, "true-size", estimated=healthy.estimated)
    f_true = recommend_size(physio, fmr.values, "true-size")
    f_under = recommend_size(physio, fmr.values, "undersize:2")
    assert h.size_mm == 32.0  # ring IT 25.6 mm nearest 26.1
    assert f_true.size_mm == 34.0  # ring IT 27.2 mm nearest 28.0
    assert f_under.size_mm == 30.0 and f_under.true_size_mm == 34.0
    assert "28.0 mm" in f_under.reason and "undersize:2" in f_under.reason
    # Rigid Saddle sizes by commissural width: 35 mm healthy, 41 mm FMR (beyond 34: clamp).
    rs = catalogue["rigid-saddle-like"]
    assert recommend_size(rs, healthy.values, "true-size").size_mm == 34.0
    assert recommend_size(rs, fmr.values, "oversize:1").size_mm == 34.0
    # SimuPlus ring: anterior arc between the trigones.
    sp = recommend_size(catalogue["simuplus-ring-like"], healthy.values, "true-size")
    assert sp.measure == "trigone_arc_length"
    assert sp.measured_mm == pytest.approx(healthy["anterior_length_mm"])
    ring_arc = ring_dimensions(catalogue["simuplus-ring-like"].spec(sp.size_mm))
    assert abs(ring_arc["trigone_arc_length_mm"] - sp.measured_mm) <= 1.0 + 1e-9
