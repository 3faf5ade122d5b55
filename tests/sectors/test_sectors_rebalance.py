"""Rebalancing after hand edits moves few units and never a locked one."""
from __future__ import annotations

import numpy as np

from geo.sectors.propose import rebalance


def _hand_edit(plan, seed, min_patients=1):
    ctx = plan.context
    rng = np.random.default_rng(seed)
    for e in rng.permutation(np.flatnonzero(plan["cut_edges"])):
        i, j = ctx.edges[e]
        if ctx.patients[i] >= min_patients:
            return ctx.codes[i], plan.names[plan.assignment[j]]
    raise AssertionError("no border unit with patients")


def test_rebalance_after_one_hand_edit(plan11):
    for seed in range(3):
        code, target = _hand_edit(plan11, seed, min_patients=3)
        edited = plan11.flip({code: target})
        fixed, moves = rebalance(edited, [code])
        assert fixed.sector_of(code) == target
        assert code not in set(moves["code_insee"])
        assert fixed.is_contiguous
        assert fixed.max_deviation <= fixed.tolerance + 1e-9
        assert len(moves) <= 25
        # the report is exactly the difference between the two plans
        changed = np.flatnonzero(fixed.assignment != edited.assignment)
        assert sorted(moves["code_insee"]) == sorted(plan11.context.codes[changed])


def test_rebalance_leaves_a_valid_plan_alone(plan11):
    fixed, moves = rebalance(plan11, [])
    assert moves.empty
    assert np.array_equal(fixed.assignment, plan11.assignment)


def test_rebalance_restores_contiguity(plan11):
    ctx = plan11.context
    # move a unit deep inside sector A into far-away sector B: B is now in two pieces
    a = plan11.assignment
    inner = [i for i in range(ctx.n) if all(a[j] == a[i] for j in ctx.nbrs[i]) and ctx.patients[i] == 0]
    i = inner[len(inner) // 2]
    other = plan11.names[(a[i] + 5) % plan11.k]
    edited = plan11.flip({ctx.codes[i]: other})
    assert not edited.is_contiguous
    fixed, moves = rebalance(edited, [])
    assert fixed.is_contiguous and fixed.max_deviation <= fixed.tolerance + 1e-9
    assert len(moves) <= 5


def test_rebalance_refills_a_sector_emptied_by_hand(plan11):
    ctx = plan11.context
    a = plan11.assignment
    emptied = int(np.argmin(np.bincount(a, minlength=plan11.k)))  # the sector with the fewest units
    # hand edits give every unit of that sector to a neighbouring sector
    flips = {}
    for i in np.flatnonzero(a == emptied):
        others = [a[j] for j in ctx.nbrs[i] if a[j] != emptied]
        flips[ctx.codes[i]] = plan11.names[others[0] if others else (emptied + 1) % plan11.k]
    edited = plan11.flip(flips)
    assert np.bincount(edited.assignment, minlength=plan11.k)[emptied] == 0
    fixed, moves = rebalance(edited, [])
    assert np.bincount(fixed.assignment, minlength=plan11.k).min() > 0
    assert fixed.is_contiguous
    assert fixed.max_deviation <= fixed.tolerance + 1e-9
    assert len(moves) > 0
