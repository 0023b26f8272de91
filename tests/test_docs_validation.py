"""docs/validation.py (tables of validation.md) and docs/theory.md against the code."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def validation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_validation", DOCS / "validation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _closure(label: str, *, closed: bool, length: float, depth: float) -> dict[str, Any]:
    """A record shaped like ``closure_record``'s, with made-up numbers."""
    vector = [0.0, -1.0, 4.5]
    return {
        "label": label,
        "converged": True,
        "resolution": "coarse",
        "nodes": 688,
        "triangles": 1246,
        "closed": closed,
        "coaptation_length_mean_mm": length,
        "coaptation_length_min_mm": 0.5 * length,
        "coaptation_area_mm2": 70.0,
        "contact_fraction": 1.0,
        "regurgitant_orifice_area_mm2": 1.0 if closed else 250.0,
        "annulus_area_mm2": 840.0,
        "tenting_height_mm": depth,
        "cut_length_mm": length + 0.6,
        "tenting_area_mm2": 16.0,
        "tenting_volume_ml": 0.2,
        "diastolic_orifice_proxy_mm2": 570.0,
        "stenosis_warning": False,
        "stress_p95_mpa": 0.4,
        "stress_p99_mpa": 0.9,
        "stress_max_mpa": 2.5,
        "strain_median": 0.6,
        "strain_p95": 0.75,
        "chord_force_max_n": 1.1,
        "chord_force_sum_n": 10.9,
        "chord_stretch_max": 1.05,
        "chord_stretch_median": 1.01,
        "iterations": 109,
        "residual": 5.9e-11,
        "time_s": 6.8,
        "load_steps": [1.0],
        "boundary_error_mm": 0.0,
        "equilibrium": {
            "pressure_volume_n": vector,
            "pressure_follower_n": vector,
            "annulus_n": vector,
            "annulus_follower_n": vector,
            "chordae_n": vector,
            "balance_relative": 1e-14,
            "follower_relative": 0.5,
            "follower_max_nodal_n": 0.16,
            "follower_free_resultant_n": vector,
            "free_nodes": 600,
        },
    }


def _fake_report(validation: ModuleType) -> dict[str, Any]:
    series = [
        {
            "size_mm": 34.0,
            "status": "converged",
            "ap_after_mm": 25.4,
            "suture_force_max_n": 0.9,
            "wall_s": 1.0,
            "closure": _closure("fmr 34 mm", closed=False, length=0.0, depth=14.0),
        },
        {
            "size_mm": 32.0,
            "status": "converged",
            "ap_after_mm": 23.9,
            "suture_force_max_n": 1.0,
            "wall_s": 2.0,
            "closure": _closure("fmr 32 mm", closed=True, length=2.5, depth=14.5),
        },
        {
            "size_mm": 30.0,
            "status": "closure did not converge",
            "ap_after_mm": 22.4,
            "suture_force_max_n": 1.2,
            "message": "the repaired leaflet closure did not converge: relative residual 8.87",
        },
    ]
    levels = {
        level: {
            "converged": True,
            "nodes": nodes,
            "coaptation_length_mean_mm": mean,
            "coaptation_length_min_mm": 0.3,
            "regurgitant_orifice_area_mm2": 1.1,
            "tenting_height_mm": 4.7,
            "iterations": 100,
            "time_s": 7.0,
            "commit": "abc1234",
            "date": "2026-11-21 13:00 UTC",
        }
        for level, nodes, mean in (("coarse", 688, 2.98), ("fine", 10181, 3.20))
    }
    return {
        "command": "docs/validation.py --quick",
        "quick": False,
        "provenance": {
            "commit": "abc1234",
            "uncommitted_changes": True,
            "date": "2026-11-21 13:00 UTC",
            "cpu_count": 2,
            "python": "3.11.7",
            "platform": "Linux",
        },
        "elapsed_s": 12.0,
        "verification": [
            {
                "name": "ring-foundation",
                "passed": True,
                "error": 6.4e-5,
                "tolerance": 1e-3,
                "observed_order": 2.0,
                "time_s": 0.02,
                "note": "pulled ring",
            },
            {
                "name": "made-up-case",
                "passed": False,
                "error": 0.5,
                "tolerance": 1e-3,
                "observed_order": None,
                "time_s": 0.01,
                "note": "",
            },
        ],
        "healthy": _closure("healthy native", closed=True, length=3.0, depth=4.7),
        "fmr": _closure("fmr native", closed=False, length=0.0, depth=25.0),
        "series": series,
        "threshold": validation.size_threshold(series),
        "mesh": levels,
    }


def _section(markdown: str, number: int) -> str:
    match = re.search(rf"^## {number}\..*?(?=^## |\Z)", markdown, re.S | re.M)
    assert match is not None, f"section {number} missing"
    return match.group(0)


def test_verification_records_and_table(validation: ModuleType) -> None:
    cheap = ["rigid-ring-torque", "membrane-equibiaxial", "finite-differences"]
    records = validation.verification_records(cheap)
    assert [r["name"] for r in records] == cheap
    assert all(r["passed"] and r["error"] <= r["tolerance"] for r in records)
    text = "\n".join(validation.verification_section(records))
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 3
    assert all(line.count("|") == 8 for line in rows)  # seven columns
    assert "3 of 3 cases pass." in text
    assert "| `membrane-equibiaxial` |" in text


def test_render_has_every_table(validation: ModuleType) -> None:
    report = _fake_report(validation)
    md = validation.render(report)
    assert md.startswith("# Validation")
    assert "Generated by `docs/validation.py --quick`" in md
    assert "2026-11-21 13:00 UTC" in md and "abc1234" in md and "2 CPUs" in md
    assert "not by hand" in md
    for number in range(1, 7):
        table = [line for line in _section(md, number).splitlines() if line.startswith("|---")]
        assert table, f"section {number} has no table"
    verify = _section(md, 1)
    assert "**FAIL**" in verify and "1 of 2 cases pass." in verify
    healthy = _section(md, 2)
    assert "| 3.00 | 3.1 ± 0.4 | within 1 SD |" in healthy
    assert "| 4.70 | 5.0 ± 0.7 | within 1 SD |" in healthy
    cut = r"length in the long-axis .*\| 3\.60 \| 3\.1 ± 0\.4 \| within 2 SD \|"
    assert re.search(cut, healthy)
    fmr = _section(md, 3)
    assert "1.7 ± 0.4" in fmr and "8.6 ± 0.7" in fmr and "leaks" in fmr


def test_failed_size_is_never_a_number(validation: ModuleType) -> None:
    md = validation.render(_fake_report(validation))
    series = _section(md, 4)
    row = next(line for line in series.splitlines() if line.startswith("| 30 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == "**closure did not converge**"
    assert set(cells[2:3] + cells[4:12]) == {"—"}  # no closure figures
    assert "relative residual 8.87" in series  # the reason, under the table
    assert "The largest size that closes is **32 mm**" in series
    assert "Gaidulis and Padala 2023" in series and "the same threshold as" in series
    assert "(30 mm) are not counted" in series
    equilibrium = _section(md, 5)
    assert "| fmr 30 mm | **did not converge** |" in equilibrium


def test_threshold(validation: ModuleType) -> None:
    rows = [
        {"size_mm": 36.0, "status": "converged", "closure": {"closed": False}},
        {"size_mm": 34.0, "status": "closure did not converge"},
        {"size_mm": 32.0, "status": "converged", "closure": {"closed": True}},
        {"size_mm": 30.0, "status": "converged", "closure": {"closed": True}},
    ]
    found = validation.size_threshold(rows)
    assert found["largest_closing_mm"] == 32.0
    assert found["closing_mm"] == [30.0, 32.0]
    assert found["leaking_mm"] == [36.0]
    assert found["failed_mm"] == [34.0]
    assert validation.size_threshold(rows[:2])["largest_closing_mm"] is None


def test_mesh_table_marks_missing_levels(validation: ModuleType) -> None:
    report = _fake_report(validation)
    mesh = _section(validation.render(report), 6)
    assert re.search(r"^\| standard \| 1\.2 \| not run yet \|", mesh, re.M)
    assert re.search(r"^\| coarse \| 2 \| 688 \| 2\.98 \|", mesh, re.M)
    assert "Difference to fine" in mesh and "| coarse | -0.22 |" in mesh
    del report["mesh"]["fine"]
    mesh = _section(validation.render(report), 6)
    assert "no fine figures yet" in mesh
    assert re.search(r"^\| fine \| 0\.5 \| not run yet \|", mesh, re.M)


def test_the_mesh_verdict_names_the_coarsest_level_from_which_all_finer_are_within(
    validation: ModuleType,
) -> None:
    levels = _fake_report(validation)["mesh"]
    entry = levels["coarse"]
    levels["1.4mm"] = entry | {"nodes": 1366, "coaptation_length_mean_mm": 2.5}
    levels["standard"] = entry | {"nodes": 1828, "coaptation_length_mean_mm": 3.1}
    (verdict, _blank) = validation.mesh_verdict(levels)
    # Coarse is within (-0.22) but 1.4 mm, finer, is not (-0.70): standard is the coarsest.
    assert "within 0.5 mm of fine: edges 2, 1.2 mm; not within: 1.4 mm." in verdict
    assert "every finer level is within is 1.2 mm (`standard`, 1,828 nodes, -0.10 mm)" in verdict
    levels["standard"]["coaptation_length_mean_mm"] = 2.0
    assert "every finer level" not in validation.mesh_verdict(levels)[0]


def test_mesh_cache_round_trip_and_import(validation: ModuleType, tmp_path: Path) -> None:
    cache = tmp_path / "data" / "mesh.json"
    assert validation.read_mesh_cache(cache) == {}
    solved = tmp_path / "fine.txt"
    figures = {
        "coaptation_length_mean_mm": 3.2,
        "coaptation_length_min_mm": 0.4,
        "regurgitant_orifice_area_mm2": 0.9,
        "tenting_height_mm": 4.9,
        "nodes": 10181,
        "iterations": 99,
        "time_s": 900.0,
        "residual": 1e-10,
    }
    solved.write_text("nodes 10181\n it 0 1.2e+01 0 s\n" + json.dumps(figures) + "\n")
    entry = validation.import_mesh_figures("fine", solved)
    assert entry["nodes"] == 10181 and entry["max_edge_mm"] == 0.5
    assert entry["settings"]["resolution"] == "fine"
    assert {"commit", "date", "cpu_count"} <= entry.keys()
    # Figures that say where they were solved keep it (a mesh_level_record from elsewhere).
    stamped = tmp_path / "stamped.txt"
    stamped.write_text(json.dumps(figures | {"commit": "abc1234", "date": "then"}) + "\n")
    kept = validation.import_mesh_figures("fine", stamped)
    assert (kept["commit"], kept["date"]) == ("abc1234", "then")
    assert kept["cpu_count"] == entry["cpu_count"]  # the rest from this machine
    validation.write_mesh_cache({"fine": entry}, cache)
    assert validation.read_mesh_cache(cache)["fine"]["coaptation_length_mean_mm"] == 3.2
    with pytest.raises(SystemExit, match="cached mesh figures only"):
        validation.main(["--quick", "--rerun-mesh-study"])
    assert validation.parse_args(["--rerun-mesh-study", "coarse,standard"]).rerun_mesh_study == [
        "coarse",
        "standard",
    ]


# -- theory.md ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def theory() -> dict[str, str]:
    text = (DOCS / "theory.md").read_text()
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def _named(sections: dict[str, str], start: str) -> str:
    titles = {head.split(". ", 1)[-1]: body for head, body in sections.items()}
    return next(body for title, body in titles.items() if title.startswith(start))


def test_theory_covers_every_energy_term(theory: dict[str, str]) -> None:
    expected = {
        "Membrane": ["mechanics/membrane.py", "leaflet_law.py", "May-Newman"],
        "Hinge bending": ["mechanics/shell_bending.py", "Grinspun"],
        "Pressure": ["mechanics/pressure.py", "follower", "apex"],
        "Contact": ["mechanics/contact.py", "Incremental Potential Contact", "CCD"],
        "Chordae": ["valve/chordae.py", "mechanics/springs.py", "E A}{L_0}"],
        "Annuloplasty": ["mechanics/springs.py", "foundation.py", "sutures.py", "rigid.py"],
        "Total potential energy": ["newton.py", "ldl.py", "Armijo", "10^{-8}"],
    }
    for section, phrases in expected.items():
        body = _named(theory, section)
        for phrase in phrases:
            assert phrase in body, f"theory.md section {section!r} lacks {phrase!r}"


def test_theory_numbers_match_the_code(theory: dict[str, str]) -> None:
    from mvplan.mechanics.leaflet_law import LEAFLET_LAWS, LEAFLET_THICKNESS
    from mvplan.planning import closure
    from mvplan.planning.annuloplasty import TissueModel
    from mvplan.valve.chordae import ChordaeSpec
    from mvplan.valve.coaptation import CLOSED_BELOW_MM2, STATIONS, STENOSIS_AREA_MM2
    from mvplan.valve.leaflets import RESOLUTIONS, LeafletSpec

    membrane = _named(theory, "Membrane")
    for name, law in LEAFLET_LAWS.items():
        row = next(line for line in membrane.splitlines() if line.startswith(f"| {name}"))
        for cell in (f"{law.c0 * 1e3:g} kPa", f"| {law.c1:g} |", f"| {law.c2:g} |"):
            assert cell in row, (name, cell)
        assert f"{LEAFLET_THICKNESS[name]:g} mm" in row
    s = closure.ClosureSettings()
    contact = _named(theory, "Contact")
    assert f"{s.dhat_mm:g} mm" in contact and f"{s.contact_tolerance_mm:g} mm" in contact
    assert f"`kappa_factor`, default **{s.kappa_factor:g}**" in contact
    bending = _named(theory, "Hinge bending")
    assert f"$E_b = {s.bending_modulus_mpa:g}$ MPa" in bending
    assert f"$\\nu = {s.poisson_ratio:g}$" in bending
    pressure = _named(theory, "Pressure")
    assert f"{s.pressure_mpa:g} MPa" in pressure
    from mvplan.mechanics.newton import CG_FORCING, MAX_CG

    newton = _named(theory, "Total potential energy")
    assert f"= {s.step_cap_mm:g}$ mm" in newton and f"{s.max_iterations} per closure" in newton
    assert f"$\\eta = {CG_FORCING:g}$" in newton and f"after {MAX_CG} steps" in newton
    procedure = _named(theory, "The closure procedure")
    assert f"1/{round(1 / closure.MIN_LOAD_STEP)} of the load" in procedure
    assert f"{closure.ANCHOR_STIFFNESS:g} N/mm" in procedure
    assert f"{closure.MAX_START_FORCE:g} times" in procedure
    geometry = _named(theory, "Leaflet geometry")
    for level, edge in RESOLUTIONS.items():
        assert f"{level} {edge:g} mm" in geometry
    spec = LeafletSpec()
    for value in (spec.anterior_height_mm, spec.posterior_height_mm, spec.commissural_height_mm):
        assert f"| {value:g} mm |" in geometry
    chordae = _named(theory, "Chordae")
    c = ChordaeSpec()
    for value in (c.marginal_rest_length_mm, c.basal_anterior_rest_length_mm):
        assert f"| {value:g} mm |" in chordae
    assert f"| {c.modulus_mpa:g} MPa |" in chordae
    for area in (c.marginal_area_mm2, c.basal_area_mm2):
        assert f"| {area:g} mm² |" in chordae
    tissue = TissueModel()
    annuloplasty = _named(theory, "Annuloplasty")
    for value, unit in (
        (tissue.foundation_n_per_mm2, "N/mm²"),
        (tissue.axial_rigidity_n, "N"),
        (tissue.bending_rigidity_n_mm2, "N·mm²"),
        (tissue.suture_stiffness_n_per_mm, "N/mm"),
        (tissue.suture_bite_mm, "mm"),
    ):
        assert f"| {value:g} {unit} |" in annuloplasty
    coaptation = _named(theory, "Coaptation analysis")
    assert f"{STATIONS} stations" in coaptation
    assert f"below {CLOSED_BELOW_MM2:g} mm²" in coaptation
    assert f"below {STENOSIS_AREA_MM2:g} mm²" in coaptation
