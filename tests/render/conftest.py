"""Fixtures of the rendering tests: off-screen VTK with no display, a sample plan and its
simulation.

The environment for off-screen rendering is set here, when pytest imports this file and
before any test module imports VTK (ENVIRONMENT.md): Qt's offscreen platform, VTK's OSMesa
window, no DISPLAY. Nothing imported above that call loads VTK.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from shapes import SAMPLES

from mvplan.geometry.annulus import Annulus
from mvplan.headless import configure_headless
from mvplan.io.load import load_annulus
from mvplan.planning import Placement, auto_place, translated
from mvplan.planning.annuloplasty import AnnuloplastyResult, simulate_annuloplasty
from mvplan.rings.catalogue import load_catalogue
from mvplan.rings.spec import RingSpec

if TYPE_CHECKING:
    from mvplan.render import PlanScene

configure_headless(force=True)

#: Image size of most tests: small renders are fast in software, big enough to probe.
SIZE = (640, 400)


@pytest.fixture(scope="session")
def annulus() -> Annulus:
    """The bundled healthy annulus (all six landmarks given)."""
    return load_annulus(SAMPLES / "healthy_annulus.csv")


@pytest.fixture(scope="session")
def spec() -> RingSpec:
    """A rigid complete ring, downsized for the healthy annulus (commissural width 35 mm)."""
    return load_catalogue(include_user=False).family("classic-like").spec(28)


@pytest.fixture(scope="session")
def placement(annulus: Annulus, spec: RingSpec) -> Placement:
    return auto_place(annulus, spec).placement


@pytest.fixture(scope="session")
def result(annulus: Annulus, spec: RingSpec, placement: Placement) -> AnnuloplastyResult:
    return simulate_annuloplasty(annulus, spec, placement)


@pytest.fixture(scope="session")
def moved_result(annulus: Annulus, spec: RingSpec, placement: Placement) -> AnnuloplastyResult:
    """The same ring moved 1 mm toward PMC: a second, different result."""
    return simulate_annuloplasty(annulus, spec, translated(placement, 1.0, 0.0, 0.0))


@pytest.fixture
def scene() -> Iterator[PlanScene]:
    """An empty scene in its own off-screen window of :data:`SIZE`."""
    from mvplan.render import offscreen_scene

    with offscreen_scene(SIZE) as made:
        yield made
