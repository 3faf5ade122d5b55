"""Sector methods report their stages to an optional progress callback (for the app's status)."""
from __future__ import annotations

import numpy as np

from geo.sectors.contiguous import ContiguousPMedian
from geo.sectors.problem import Problem


def test_stages_are_reported_in_order(grid):
    xy, load, edges = grid
    stages: list[str] = []
    method = ContiguousPMedian(seed=0)
    method.progress = stages.append
    method.solve(Problem(xy=xy, load=load, edges=edges, targets=np.ones(4), tolerance=0.0))
    assert stages[:5] == ["seeds", "contiguity", "balance", "polish", "recut"]
    assert ContiguousPMedian.progress is None  # the class default is untouched


def test_no_callback_no_change(grid):
    xy, load, edges = grid
    a = ContiguousPMedian(seed=0).solve(Problem(xy=xy, load=load, edges=edges, targets=np.ones(4))).labels_
    method = ContiguousPMedian(seed=0)
    method.progress = lambda stage: None
    b = method.solve(Problem(xy=xy, load=load, edges=edges, targets=np.ones(4))).labels_
    np.testing.assert_array_equal(a, b)
