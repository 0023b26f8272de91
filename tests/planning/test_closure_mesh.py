"""Mesh refinement of the healthy closure: coarse (2 mm edges), standard (1.2 mm), fine (0.5 mm).

The issue asks for three levels, the finest with 0.5 mm edges, and the standard resolution
within 0.5 mm of fine in mean coaptation length. The fine level (10,181 leaflet nodes) is built
and its edges are checked here, but its closure is not solved in the suite: it took 297 Newton
iterations and 26 minutes on this 2-core machine. Its figures are cached with their commit and
settings in ``docs/data/mesh_convergence.json`` (``docs/validation.py``), and the standard
level, solved here, is compared with them. Measured (docs/validation.md has the table, with
eight more levels between coarse and fine): mean coaptation length 2.84 / 3.52 / 3.68 mm on the
coarse / standard / fine meshes. The standard mesh (1,828 nodes) is the coarsest from which
every finer level is within 0.5 mm of fine; the coarse one (688 nodes, the closure's default
for speed) is 0.84 mm short.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.io.load import load_annulus, load_papillary
from mvplan.planning.closure import ClosureModel, ClosureSettings
from mvplan.valve.coaptation import Coaptation
from mvplan.valve.leaflets import RESOLUTIONS
from mvplan.workflow import coaptation_of

LEVELS = ("coarse", "standard", "fine")
MESH_CACHE = Path(__file__).resolve().parents[2] / "docs" / "data" / "mesh_convergence.json"


@cache
def model(resolution: str) -> ClosureModel:
    tips_path = SAMPLES / "healthy_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / "healthy_annulus.csv", papillary=tips_path)
    tips = load_papillary(tips_path, annulus)
    return ClosureModel(annulus, tips, settings=ClosureSettings(resolution=resolution))


@cache
def closed(resolution: str) -> Coaptation:
    m = model(resolution)
    result = m.solve()
    assert result.converged and result.residual <= m.settings.rtol
    return coaptation_of(m, result, m.annulus.to_valve_frame.apply(m.annulus.points))


def longest_edge(m: ClosureModel) -> float:
    tri, p = m.mesh.triangles, m.mesh.points
    edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    return float(np.linalg.norm(p[edges[:, 0]] - p[edges[:, 1]], axis=1).max())


def test_the_levels_halve_the_edge_down_to_half_a_millimetre() -> None:
    models = [model(level) for level in LEVELS]
    edges = [longest_edge(m) for m in models]
    nodes = [m.n_leaflet_nodes for m in models]
    assert edges[-1] <= 0.5 + 1e-9
    assert edges[0] > edges[1] > edges[2]
    assert nodes[0] < nodes[1] < nodes[2]


def fine_figures() -> dict[str, object]:
    """The fine level's cached figures (docs/validation.py solved them)."""
    cache = json.loads(MESH_CACHE.read_text())
    entry = cache["levels"]["fine"]
    assert isinstance(entry, dict)
    return entry


def test_the_cached_fine_figures_are_of_the_default_settings() -> None:
    # Solved once, elsewhere: they stand for the model only while its settings are these.
    entry = fine_figures()
    settings = asdict(ClosureSettings(resolution="fine"))
    assert entry["converged"] and entry["nodes"] == model("fine").n_leaflet_nodes
    assert {k: entry["settings"][k] for k in settings} == settings  # type: ignore[index]


def test_the_standard_edge_is_the_coarsest_from_which_the_cached_study_stays_within() -> None:
    # The cached study (every level solved by docs/validation.py) against RESOLUTIONS: the
    # standard edge must be the coarsest from which every finer level is within 0.5 mm.
    levels = json.loads(MESH_CACHE.read_text())["levels"]
    fine = levels["fine"]["coaptation_length_mean_mm"]
    study = sorted(
        (entry["max_edge_mm"], abs(entry["coaptation_length_mean_mm"] - fine) <= 0.5)
        for name, entry in levels.items()
        if name != "fine"
    )  # finest first
    assert len(study) >= 5
    supported = [edge for i, (edge, _) in enumerate(study) if all(w for _, w in study[: i + 1])]
    assert max(supported) == RESOLUTIONS["standard"]
    assert levels["standard"]["nodes"] == model("standard").n_leaflet_nodes


@pytest.mark.slow
def test_the_standard_mesh_is_within_half_a_millimetre_of_fine() -> None:
    coarse, standard = closed("coarse"), closed("standard")
    assert coarse.closed and standard.closed
    fine = float(fine_figures()["coaptation_length_mean_mm"])  # type: ignore[arg-type]
    assert abs(standard.coaptation_length_mean_mm - fine) <= 0.5
    # The coarse mesh is not: the standard resolution of the issue is the standard mesh.
    assert abs(coarse.coaptation_length_mean_mm - fine) > 0.5
