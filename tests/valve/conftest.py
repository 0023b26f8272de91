"""Sample annuli and leaflet meshes shared by the valve tests (built once per session)."""

from __future__ import annotations

from functools import cache

import pytest
from shapes import SAMPLES

from mvplan.geometry.annulus import Annulus
from mvplan.geometry.papillary import PapillaryTips
from mvplan.io.load import load_annulus, load_papillary
from mvplan.valve.leaflets import LeafletMesh, build_leaflets

SAMPLE_NAMES = ("healthy", "fmr")


@cache
def sample(name: str) -> tuple[Annulus, PapillaryTips]:
    """A sample annulus (oriented by its papillary tips) and its tips."""
    tips_path = SAMPLES / f"{name}_papillary_tips.csv"
    annulus = load_annulus(SAMPLES / f"{name}_annulus.csv", papillary=tips_path)
    return annulus, load_papillary(tips_path, annulus)


@cache
def leaflets(name: str, resolution: str) -> LeafletMesh:
    """Default leaflets on a sample annulus."""
    return build_leaflets(sample(name)[0], resolution=resolution)


@pytest.fixture(params=SAMPLE_NAMES)
def sample_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def get_sample():
    """``get_sample(name) -> (annulus, tips)``, cached."""
    return sample


@pytest.fixture(scope="session")
def get_leaflets():
    """``get_leaflets(name, resolution) -> LeafletMesh``, cached."""
    return leaflets
