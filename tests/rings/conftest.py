"""Fixtures of the ring-library tests: the built-in catalogue, without the user's folder."""

from __future__ import annotations

import pytest

from mvplan.rings.catalogue import Catalogue, load_catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(include_user=False)


@pytest.fixture(autouse=True)
def _no_user_rings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    # Keep the developer's own ring folder out of every test.
    monkeypatch.setenv("MVPLAN_USER_RINGS", str(tmp_path_factory.mktemp("no-user-rings")))
