"""Shared fixtures: the real committed territory (session-scoped) and an isolated database."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_state(tmp_path_factory):
    """No test touches the user's real database or cache."""
    state = tmp_path_factory.mktemp("state")
    old = {k: os.environ.get(k) for k in ("SECTEURS_DB", "SECTEURS_CACHE")}
    os.environ["SECTEURS_DB"] = str(state / "secteurs.sqlite")
    os.environ["SECTEURS_CACHE"] = str(state / "cache")
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def units():
    """The 4,033 real sector units (shared: do not mutate)."""
    from geo.territory import load_units

    return load_units()


@pytest.fixture(scope="session")
def edges():
    from geo.adjacency import unit_edges

    return unit_edges()


@pytest.fixture
def db_path(tmp_path):
    """A fresh SQLite file for one test."""
    return tmp_path / "secteurs.sqlite"
