"""Fixtures of the planning tests: the sample annuli, the built-in catalogue, fitted rings."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from shapes import SAMPLES

from mvplan.geometry.annulus import Annulus
from mvplan.io.load import load_annulus
from mvplan.rings.catalogue import Catalogue, load_catalogue
from mvplan.rings.spec import RingSpec


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(include_user=False)


@pytest.fixture(scope="session")
def samples() -> dict[str, Annulus]:
    return {
        name: load_annulus(SAMPLES / f"{name}_annulus.csv", papillary=None)
        for name in ("healthy", "fmr")
    }


@pytest.fixture(scope="session")
def true_size(catalogue: Catalogue) -> Callable[[str, Annulus], RingSpec]:
    """``true_size(family_id, annulus)``: the family's sold size nearest the annulus's own
    value of the family's size measure (true sizing)."""
    return lambda family_id, annulus: _true_size(catalogue, family_id, annulus)


def _true_size(catalogue: Catalogue, family_id: str, annulus: Annulus) -> RingSpec:
    family = catalogue.family(family_id)
    ends = {"commissural_width": ("ALC", "PMC"), "intertrigonal": ("ALT", "PMT")}
    first, second = ends[family.size_measure]
    value = float(np.linalg.norm(annulus.landmark_point(first) - annulus.landmark_point(second)))
    size = min(family.sizes_mm, key=lambda s: (abs(s - value), s))
    return family.spec(size)
