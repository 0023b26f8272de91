"""Leaflet-term verification cases: Hencky's membrane, the equibiaxial patch, cylinder bending."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy.integrate import solve_bvp

from mvplan.cli import main
from mvplan.mechanics import verification_membrane
from mvplan.mechanics.leaflet_law import MayNewmanYin, SaintVenantKirchhoff
from mvplan.mechanics.verification import Verification
from mvplan.mechanics.verification_membrane import (
    hencky_constants,
    hencky_membrane,
    hencky_stress_series,
    membrane_equibiaxial,
    shell_bending_cylinder,
)
from mvplan.mechanics.verify import VERIFICATIONS

MEMBRANE_CASES = ["hencky-membrane", "membrane-equibiaxial", "shell-bending-cylinder"]


@pytest.fixture(scope="module")
def hencky() -> Verification:
    return hencky_membrane()


def _hencky_by_displacements(nu: float) -> tuple[float, float]:
    """``(W_0, b_0)`` from a boundary-value solve of the Foppl-von Karman membrane equations
    in displacements (``u``, ``w``, ``N_r``; ``a = E t = 1``, ``Q = 1``): independent of the
    series. The centre is the small circle ``r0`` where ``u = r0 du/dr`` (error ``O(r0^2)``).
    """
    r0 = 1e-4

    def strains(r: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        u, _, n_r = y
        slope = -r / (2.0 * n_r)  # vertical equilibrium of the cap inside r
        eps_t = u / r
        eps_r = (1.0 - nu**2) * n_r - nu * eps_t
        return slope, eps_t, eps_r

    def rhs(r: np.ndarray, y: np.ndarray) -> np.ndarray:
        slope, eps_t, eps_r = strains(r, y)
        n_t = (eps_t + nu * eps_r) / (1.0 - nu**2)
        return np.vstack([eps_r - 0.5 * slope**2, slope, (n_t - y[2]) / r])

    def bc(ya: np.ndarray, yb: np.ndarray) -> np.ndarray:
        slope, eps_t, eps_r = strains(np.array([r0]), ya[:, None])
        centre = eps_t[0] - (eps_r[0] - 0.5 * slope[0] ** 2)
        return np.array([centre, yb[0], yb[1]])  # clamped: u(1) = w(1) = 0

    r = np.linspace(r0, 1.0, 201)
    guess = np.vstack([0.0 * r, 0.6 * (1.0 - r**2), 0.4 + 0.0 * r])
    sol = solve_bvp(rhs, bc, r, guess, tol=1e-10, max_nodes=20000)
    assert sol.status == 0
    return float(sol.y[1, 0]), float(sol.y[2, 0])


@pytest.mark.parametrize("nu", [0.0, 0.3, 0.5])
def test_hencky_series_matches_a_solve_in_displacements(nu: float) -> None:
    deflection, stress = hencky_constants(nu)
    w0, b0 = _hencky_by_displacements(nu)
    assert deflection == pytest.approx(w0, rel=1e-7)
    assert stress == pytest.approx(b0, rel=1e-7)


def test_hencky_constants_are_the_published_ones() -> None:
    # nu = 0.3: w0 = 0.6534 a Q^(1/3) (Hencky as corrected by Chien; Fichter 1997 gives the
    # stress series coefficient 4 b_0 = 1.7244); nu = 0.5: 0.5949.
    deflection, stress = hencky_constants(0.3)
    assert deflection == pytest.approx(0.6534, abs=1e-4)
    assert 4.0 * stress == pytest.approx(1.7244, abs=1e-4)
    assert hencky_constants(0.5)[0] == pytest.approx(0.5949, abs=1e-4)
    b = hencky_stress_series(stress)
    k = np.arange(b.size)
    assert np.sum((0.7 + 2 * k) * b) == pytest.approx(0.0, abs=1e-12)  # eps_theta(a) = 0
    assert abs(b[-1]) < 1e-16 * stress and np.all(b[1:] < 0.0)
    with pytest.raises(ValueError):
        hencky_constants(0.6)


def test_hencky_membrane_converges_at_second_order(hencky: Verification) -> None:
    d = hencky.details
    assert hencky.passed and hencky.error < 2e-3
    for kind in ("deflection", "stress"):
        errors = d[f"{kind}_errors"]
        assert all(b < a for a, b in itertools.pairwise(errors))
        assert all(1.7 < o < 2.2 for o in d[f"{kind}_orders"])
    assert d["longest_edges"][-1] <= 0.5
    assert d["load_Q"] == pytest.approx(1e-6)
    assert d["exact_deflection"] == pytest.approx(0.6534 * 10.0 * 1e-2, rel=1e-4)
    # Clamped boundary: the volume potential is the follower load at every free node.
    assert max(d["follower_errors"]) < 1e-12
    assert max(d["iterations"]) <= 10 and d["time_s"] < 5.0


def test_hencky_answer_does_not_depend_on_the_start() -> None:
    low = hencky_membrane(levels=(12,), predeflection=0.25)
    high = hencky_membrane(levels=(12,), predeflection=1.0)
    assert low.observed_order is None and low.passed
    assert low.details["deflections"][0] == pytest.approx(high.details["deflections"][0], rel=1e-8)


def test_hencky_fails_with_a_wrong_material_constant(monkeypatch) -> None:
    # A membrane 10 % stiffer than the E of the closed form deflects 3 % less: caught.
    def stiffer(youngs_modulus: float, poisson_ratio: float) -> SaintVenantKirchhoff:
        return SaintVenantKirchhoff(1.1 * youngs_modulus, poisson_ratio)

    monkeypatch.setattr(verification_membrane, "SaintVenantKirchhoff", stiffer)
    result = hencky_membrane(levels=(8, 16))
    assert not result.passed
    assert result.details["deflection_errors"][-1] == pytest.approx(1.0 - 1.1 ** (-1 / 3), abs=2e-3)


def test_hencky_fails_when_too_coarse_or_too_loaded() -> None:
    assert not hencky_membrane(levels=(2, 4)).passed
    assert not hencky_membrane(levels=(8, 16), pressure=4e-4).passed  # Q = 1e-2: beyond Hencky


def test_equibiaxial_patch_is_exact() -> None:
    result = membrane_equibiaxial()
    assert result.passed and result.error < 1e-11 and result.observed_order is None
    assert set(result.details["errors"]) == {"positions", "reaction_x", "reaction_y", "stresses"}
    sigma = np.array(result.details["cauchy_stress"])
    assert sigma[0, 0] > sigma[1, 1] > 0.0  # stiffer towards the fibres (30 degrees off x)
    assert sigma[0, 1] > 0.0


def test_equibiaxial_fails_with_a_wrong_material_constant(monkeypatch) -> None:
    def wrong(c0: float, c1: float, c2: float) -> MayNewmanYin:
        return MayNewmanYin(c0, c1, 1.05 * c2)

    monkeypatch.setattr(verification_membrane, "MayNewmanYin", wrong)
    assert not membrane_equibiaxial().passed


def test_cylinder_bending_first_order_and_extrapolated() -> None:
    result = shell_bending_cylinder()
    d = result.details
    assert result.passed and result.observed_order == pytest.approx(1.0, abs=0.01)
    assert all(r < 1.0 for r in d["energy_ratios"])  # the free edges carry no hinge
    assert d["extrapolated_error"] < 1e-5
    assert not shell_bending_cylinder(levels=(4, 8)).passed


def test_registry_and_cli(capsys) -> None:
    assert set(MEMBRANE_CASES) <= set(VERIFICATIONS)
    assert main(["verify", "--list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert "pressure" in listing["hencky-membrane"] and "c2" in listing["membrane-equibiaxial"]
    code = main(
        [
            "verify",
            "hencky-membrane",
            "--set",
            "levels=6,12",
            "--set",
            "poisson_ratio=0.5",
            "--json",
        ]
    )
    case = json.loads(capsys.readouterr().out)["cases"][0]
    assert code == 0 and case["passed"]
    assert case["params"]["levels"] == [6, 12] and case["params"]["poisson_ratio"] == 0.5
    assert case["details"]["hencky_W0"] == pytest.approx(0.5949, abs=1e-4)
    assert main(["verify", "shell-bending-cylinder", "--set", "levels=4,8"]) == 1
    assert "FAIL" in capsys.readouterr().out
