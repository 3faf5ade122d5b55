"""Every incremental metric equals a full recount along a walk of random flips."""
from __future__ import annotations

import numpy as np
import pytest

from geo.sectors.updaters import INCREMENTAL


def _walk(plan, steps, seed):
    rng = np.random.default_rng(seed)
    ctx = plan.context
    for _ in range(steps):
        cut = np.flatnonzero(plan["cut_edges"])
        flips = {}
        for e in rng.choice(cut, size=int(rng.integers(1, 4)), replace=False):
            i, j = ctx.edges[e]
            if rng.random() < 0.5:
                i, j = j, i
            flips[int(i)] = int(plan.assignment[j])
        child = plan.flip(flips)
        for name in INCREMENTAL:
            child[name]
        yield child
        plan = child


@pytest.mark.parametrize("seed", [0, 1])
def test_incremental_equals_full_recount(plan11, seed):
    root = plan11.with_assignment(plan11.assignment)
    for name in INCREMENTAL:
        root[name]
    for step, child in enumerate(_walk(root, 120, seed)):
        fresh = child.with_assignment(child.assignment)
        for name in INCREMENTAL:
            got, want = child[name], fresh[name]
            assert got.shape == want.shape, name
            assert np.allclose(got, want, rtol=1e-9, atol=1e-9), f"{name} differs at step {step}"
        assert child.mean_distance == pytest.approx(fresh.mean_distance)
        assert child.max_deviation == pytest.approx(fresh.max_deviation)


def test_child_reuses_parent_values(plan11):
    """A flip with no effect leaves every incremental metric identical to the parent's."""
    root = plan11.with_assignment(plan11.assignment)
    for name in INCREMENTAL:
        root[name]
    code = root.context.codes[0]
    child = root.flip({code: root.sector_of(code)})
    assert child.flips == {} and child.flows == {}
    for name in INCREMENTAL:
        assert np.array_equal(child[name], root[name])


def test_plans_are_immutable(plan11):
    with pytest.raises(ValueError):
        plan11.assignment[0] = 1
    with pytest.raises(ValueError):
        plan11["load"][0] = 0.0


def test_flip_by_code_and_name(plan11, context):
    i, j = context.edges[np.flatnonzero(plan11["cut_edges"])[0]]
    code, target = context.codes[i], plan11.names[plan11.assignment[j]]
    child = plan11.flip({code: target})
    assert child.sector_of(code) == target
    assert child.parent is plan11
    assert plan11.sector_of(code) != target
    assert child["load"].sum() == pytest.approx(plan11["load"].sum())


def test_polsby_popper_of_a_square(grid):
    """A plan on a grid of unit squares: perimeter from shared borders, PP = pi/4 for a square."""
    from geo.sectors.context import SectorContext
    from geo.sectors.plan import Plan

    xy, load, edges = grid
    n = len(xy)
    ctx = SectorContext(codes=np.array([f"{i:05d}" for i in range(n)]), names=np.array([str(i) for i in range(n)]),
                        xy=xy, patients=load, load=load, population=np.ones(n), area_km2=np.ones(n),
                        perimeter_km=np.full(n, 4.0), departement=np.array(["01"] * n), edges=edges,
                        shared_km=np.ones(len(edges)))
    left = (np.arange(n) % 4) >= 2
    plan = Plan(ctx, left.astype(int), ["W", "E"])
    assert plan["perimeter"].tolist() == [12.0, 12.0]
    assert plan["area"].tolist() == [8.0, 8.0]
    assert plan.polsby_popper == pytest.approx(4 * np.pi * 8 / 144)
    assert plan.cut_edge_count == 4
    assert plan.max_deviation == 0.0
