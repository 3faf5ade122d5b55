"""Smoke test of the benchmark's baseline module (no optional extra needed: numpy and scipy only)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def baselines():
    spec = importlib.util.spec_from_file_location("bench_baselines", BENCH / "_baselines.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_changed_share_matches_sectors_one_to_one(baselines):
    before = np.array([0, 0, 1, 1, 2])
    after = np.array([5, 5, 3, 4, 3])  # labels renamed; sector 1 split in two
    load = np.array([1.0, 1.0, 2.0, 1.0, 5.0])
    # best matching: 0->5 (2), 1->4 (1), 2->3 (5); unit 2 (2 patients) changes
    assert baselines.changed_share(before, after, load) == pytest.approx(2 / 10)


def test_lower_bound_is_below_the_engine_on_one_department(baselines, units, edges):
    """On the Rhône with the demo patients, the relaxation (no contiguity) beats the engine's plan."""
    from geo.adjacency import component_labels
    from geo.patients import read_counts
    from geo.paths import demo_dir
    from geo.sectors.context import build_context
    from geo.sectors.propose import propose

    members = np.flatnonzero(units["departement"].to_numpy() == "69")
    index = np.full(len(units), -1, dtype=np.int64)
    index[members] = np.arange(len(members))
    sub_edges = index[edges[(index[edges[:, 0]] >= 0) & (index[edges[:, 1]] >= 0)]]
    assert component_labels(sub_edges, len(members))[0] == 1
    sub = units.iloc[members].reset_index(drop=True)
    counts = read_counts(demo_dir() / "patients_demo.csv")
    counts = counts[counts["code_insee"].isin(set(sub["code_insee"]))]
    context = build_context(counts, units=sub, edges=sub_edges)

    plan = propose(None, 4, context=context, tolerance=0.02)
    inputs = baselines.Inputs(xy=context.xy, load=context.load, edges=context.edges, codes=context.codes)
    bound = baselines.balanced_pmedian(inputs, 4, tolerance=0.02, restarts=3)

    assert bound.max_deviation <= 0.02 + 1e-9
    assert bound.labels.shape == (len(members),) and set(bound.labels.tolist()) == {0, 1, 2, 3}
    assert plan.max_deviation <= 0.02 + 1e-9
    assert 0 < bound.value <= plan.mean_distance
