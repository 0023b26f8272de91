"""`mvplan measure F1 F2 ... --ring ID --size S`: a device over the cycle, end to end."""

from __future__ import annotations

import json

import pytest
from shapes import THIRD_PARTY

from mvplan.cli import main

KAISER = THIRD_PARTY / "kaiser_heart_valves"
FRAMES = [KAISER / "hcm_d_annulus.vtk", KAISER / "hcm_d_annulus_early_systole.vtk"]
TIPS = KAISER / "hcm_d_papillary_tips.csv"
RING = ["--ring", "physio-like", "--size", "34"]  # semi-rigid


def run_error(capsys, *argv) -> str:
    assert main(["measure", *map(str, argv)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def kaiser_device() -> tuple[dict, dict]:
    import contextlib
    import io

    outs = []
    for extra in ([], RING):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["measure", *map(str, FRAMES), *extra, "--json"]) == 0
        outs.append(json.loads(out.getvalue()))
    return outs[0], outs[1]


def test_kaiser_with_a_semi_rigid_ring_json(kaiser_device) -> None:
    plain, with_ring = kaiser_device
    assert list(with_ring) == ["frames", "cycle", "device"]
    # The native output is what it is without --ring.
    assert with_ring["frames"] == plain["frames"] and with_ring["cycle"] == plain["cycle"]
    device = with_ring["device"]
    assert device["ring"] == "physio-like" and device["size_mm"] == 34.0
    assert device["stiffness_class"] == "semi-rigid" and device["closed"] is True
    assert [f["source"] for f in device["frames"]] == [p.name for p in FRAMES]
    assert all(f["converged"] and f["residual"] <= 1e-8 for f in device["frames"])
    assert all(f["suture_force_max_n"] > 0 and f["time_ms"] > 0 for f in device["frames"])
    cycle = device["cycle"]
    assert cycle["n_frames"] == 2
    assert cycle["correspondence"]["method"] == "point order, carried with the tissue"
    native = plain["cycle"]["measurements"]
    for key, value in device["motion_kept_percent"].items():
        before, after = native[key]["change"], cycle["measurements"][key]["change"]
        if value is not None:
            assert value == pytest.approx(100 * after / before)
    # The ring holds the perimeter: it keeps a fraction of the native 19 mm change.
    assert native["perimeter_mm"]["change"] == pytest.approx(19.2, abs=0.1)
    assert 0 < device["motion_kept_percent"]["perimeter_mm"] < 50
    ref = device["in_vivo_circumference_change_mm"]
    assert ref["semi-rigid"] == {"mean": 4.0, "sd": 2.0} and ref["none"]["mean"] == 11.0


def test_text_tables_side_by_side(capsys) -> None:
    assert main(["measure", *map(str, FRAMES), *RING, "--papillary", str(TIPS)]) == 0
    text = capsys.readouterr().out
    assert "with physio-like 34 mm (semi-rigid ring, 14 sutures;" in text
    assert "native" in text and "with device" in text and "kept %" in text
    assert "in vivo cyclic circumference change" in text and "semi-rigid 4 +- 2" in text
    assert text.count(" yes ") == 2


def test_ring_with_a_single_file_is_refused(capsys) -> None:
    err = run_error(capsys, FRAMES[0], *RING)
    assert "--ring needs the frames" in err


def test_unknown_ring_and_unsold_size(capsys) -> None:
    err = run_error(capsys, *FRAMES, "--ring", "no-such-ring", "--size", "34")
    assert "no-such-ring" in err
    err = run_error(capsys, *FRAMES, "--ring", "physio-like", "--size", "35")
    assert "35" in err and "physio-like" in err
    assert main(["measure", *map(str, FRAMES), "--ring", "physio-like", "--json"]) == 2
    assert "--size" in json.loads(capsys.readouterr().err)["error"]
    err = run_error(capsys, *FRAMES, "--size", "34")
    assert "--size goes with --ring" in err
