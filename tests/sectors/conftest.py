"""Sector fixtures: demo counts on the real territory, one 11-sector plan, a small grid."""
from __future__ import annotations

import numpy as np
import pytest

from geo.paths import demo_dir


@pytest.fixture(scope="session")
def demo_counts():
    from geo.sectors.io import read_counts

    return read_counts(demo_dir() / "patients_demo.csv")


@pytest.fixture(scope="session")
def context(demo_counts):
    from geo.sectors.context import build_context

    return build_context(demo_counts)


@pytest.fixture(scope="session")
def plan11(context):
    """The default 11-sector plan of the demo patients (seed 0)."""
    from geo.sectors.propose import propose

    return propose(None, 11, context=context, seed=0)


@pytest.fixture
def grid():
    """A 4 x 4 grid of units (1 km apart), one patient each, rook adjacency."""
    side = 4
    xy = np.array([(1000.0 * (i % side), 1000.0 * (i // side)) for i in range(side * side)])
    edges = [(i, i + 1) for i in range(side * side) if i % side < side - 1]
    edges += [(i, i + side) for i in range(side * (side - 1))]
    return xy, np.ones(side * side), np.array(edges)


@pytest.fixture
def sector_error():
    """``sector_error(code_or_match, **params)``: pytest.raises for a SectorError.

    A code (``sectors.what``) is compared with the error's ``.code`` and the
    given ``params`` with its parameters; other text is matched against the message.
    """
    from geo.sectors.problem import SectorError

    from contextlib import contextmanager

    from geo.errors import is_code

    @contextmanager
    def expect(match, **params):
        if not is_code(match):
            with pytest.raises(SectorError, match=match):
                yield
            return
        with pytest.raises(SectorError) as info:
            yield info
        assert info.value.code == match, info.value
        for key, value in params.items():
            assert info.value.params.get(key) == value, (key, info.value.params)
    return expect


@pytest.fixture(scope="module")
def team():
    """The fictitious team of ``tests/data/team_2026.csv`` (FTE, two groups, base communes)."""
    from pathlib import Path

    from geo.sectors.team import read_workers

    return read_workers(Path(__file__).resolve().parents[1] / "data" / "team_2026.csv")


@pytest.fixture(scope="module")
def team_plan(context, team):
    """That team's proposal on the demo counts."""
    from geo.sectors.propose import propose

    return propose(None, team, context=context)
