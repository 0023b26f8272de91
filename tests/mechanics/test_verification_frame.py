"""Frame-element verification cases: exact cantilevers, second-order rings, the CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from mvplan.cli import main
from mvplan.mechanics.verification_frame import (
    frame_cantilever,
    frame_ring_diametral,
    frame_ring_out_of_plane,
)
from mvplan.mechanics.verify import VERIFICATIONS

FRAME_CASES = ["frame-cantilever", "frame-ring-diametral", "frame-ring-out-of-plane"]


def test_cantilever_is_exact_at_every_mesh() -> None:
    result = frame_cantilever()
    assert result.passed and result.error < 1e-8 and result.observed_order is None
    errors = result.details["errors"]
    assert set(errors) == {"in_plane", "out_of_plane", "twist", "axial"}
    assert all(len(e) == len(result.params["levels"]) for e in errors.values())
    assert max(errors["in_plane"][0], errors["out_of_plane"][0]) < 1e-12
    exact = result.details["exact"]
    p, length = result.params["load"], result.params["length"]
    assert exact["out_of_plane"] == pytest.approx(
        p * length**3 / (3 * result.params["out_of_plane_stiffness"])
    )


@pytest.mark.parametrize("case", [frame_ring_diametral, frame_ring_out_of_plane])
def test_rings_converge_at_second_order(case) -> None:
    result = case()
    assert result.passed and result.error < 1e-3
    assert result.observed_order is not None and 1.9 < result.observed_order < 2.1
    errors = result.details["errors"]
    assert len(errors) == len(result.params["levels"]) == len(result.details["orders"]) + 1
    assert all(b < a for a, b in itertools.pairwise(errors))


def test_diametral_matches_the_rigid_ring_case_formula() -> None:
    result = frame_ring_diametral(radius=15.0, load=2.0)
    assert result.passed
    assert result.details["exact_delta"] == pytest.approx(
        2.0 * 15.0**3 / 1e4 * (np.pi / 4 - 2 / np.pi)
    )


def test_out_of_plane_depends_on_torsion() -> None:
    stiff = frame_ring_out_of_plane(torsional_rigidity=1e9)
    soft = frame_ring_out_of_plane(torsional_rigidity=1e3)
    for result in (stiff, soft):
        assert result.error < 2e-3 and 1.9 < result.observed_order < 2.1
    assert soft.details["exact_deflection"] > 2 * stiff.details["exact_deflection"]


def test_frame_cases_can_fail() -> None:
    assert not frame_ring_diametral(levels=(8, 16)).passed
    assert not frame_ring_out_of_plane(levels=(8, 16)).passed
    with pytest.raises(ValueError):
        frame_ring_out_of_plane(levels=(18, 36))


def test_registry_and_cli_list(capsys) -> None:
    assert set(FRAME_CASES) <= set(VERIFICATIONS)
    assert main(["verify", "--list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert set(FRAME_CASES) <= set(listing)
    assert "levels" in listing["frame-ring-diametral"]


def test_cli_runs_frame_ring_diametral_as_json(capsys) -> None:
    assert main(["verify", "frame-ring-diametral", "--json"]) == 0
    case = json.loads(capsys.readouterr().out)["cases"][0]
    assert case["name"] == "frame-ring-diametral" and case["passed"]
    assert case["error"] < 1e-3 and case["observed_order"] > 1.5
    assert len(case["details"]["deltas"]) == 4


def test_cli_sets_frame_parameters(capsys) -> None:
    code = main(
        ["verify", "frame-ring-out-of-plane", "--set", "levels=16,32,64", "--set", "radius=12"]
    )
    out = capsys.readouterr().out
    assert "frame-ring-out-of-plane" in out
    assert code == (0 if "pass" in out else 1)
