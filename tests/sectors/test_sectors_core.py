"""The numeric core on small synthetic graphs: exact expectations."""
from __future__ import annotations

import numpy as np
import pytest

from geo.sectors import BalancedPMedian, ContiguousPMedian, Problem
from geo.sectors._graph import adjacency_lists, articulation_points, is_connected, pieces_per_sector


def test_grid_split_in_two_equal_contiguous_halves(grid):
    xy, load, edges = grid
    problem = Problem(xy=xy, load=load, edges=edges, targets=np.ones(2), tolerance=0.0)
    labels = ContiguousPMedian(seed=1).solve(problem).labels_
    assert np.bincount(labels).tolist() == [8, 8]
    assert (pieces_per_sector(labels, edges, 2) == 1).all()


def test_grid_fte_targets_and_lock(grid):
    xy, load, edges = grid
    locked = np.full(16, -1)
    locked[15] = 0  # the far corner must be in sector 0
    problem = Problem(xy=xy, load=load, edges=edges, targets=np.array([3.0, 1.0]), tolerance=0.0, locked=locked)
    labels = ContiguousPMedian(seed=0).solve(problem).labels_
    assert np.bincount(labels, minlength=2).tolist() == [12, 4]
    assert labels[15] == 0
    assert (pieces_per_sector(labels, edges, 2) == 1).all()


def test_pmedian_reference_is_balanced_without_contiguity(grid):
    xy, load, edges = grid
    method = BalancedPMedian(seed=0).solve(Problem(xy=xy, load=load, edges=edges, targets=np.ones(4),
                                                   tolerance=0.0))
    assert np.bincount(method.labels_).tolist() == [4, 4, 4, 4]
    # four 2 x 2 blocks, each unit at most 1.41 km from its block's medoid
    assert 0.5 <= method.info_["mean_km"] <= 1.5


def test_articulation_points_match_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(2, 25))
        edges = rng.integers(0, n, (int(rng.integers(1, 50)), 2))
        edges = edges[edges[:, 0] != edges[:, 1]]
        nbrs = adjacency_lists(edges, n)
        members = set(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False).tolist())
        want = set()
        for v in members:
            # v is a cut point when its removal splits v's own component
            comp = _component(v, members, nbrs)
            if len(comp) > 2 and not is_connected(comp - {v}, nbrs):
                want.add(v)
        assert articulation_points(members, nbrs) == want


def _component(v, members, nbrs):
    seen, stack = {v}, [v]
    while stack:
        u = stack.pop()
        for w in nbrs[u]:
            if w in members and w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


def test_units_without_reference_point_are_named(grid):
    from geo.sectors import SectorError

    xy, load, edges = grid
    xy = xy.copy()
    xy[[3, 7]] = np.nan
    with pytest.raises(SectorError, match=r"2 units have no reference point .*: U03, U07"):
        Problem(xy=xy, load=load, edges=edges, targets=np.ones(2), tolerance=0.02,
                unit_names=np.array([f"U{i:02d}" for i in range(len(xy))]))
