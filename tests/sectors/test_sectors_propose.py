"""Proposals on the real territory with the demo patients: contiguity, balance, locks, FTE, groups."""
from __future__ import annotations

import numpy as np
import pytest

from geo.sectors import constraints
from geo.sectors.propose import propose
from geo.sectors.team import Team


def _one_run(seed=0):
    """A single run of the default method (the default makes two and keeps the best)."""
    from geo.sectors import ContiguousPMedian

    return ContiguousPMedian(seed=seed, runs=1)


def _loads_ok(plan):
    return np.all(np.abs(plan["load"] / plan.targets - 1) <= plan.tolerance + 1e-9)


def test_default_plan_is_contiguous_balanced_and_covers_every_unit(plan11, context):
    assert plan11.k == 11
    assert constraints.failing(plan11, constraints.standard()) == []
    assert plan11.max_deviation <= 0.02 + 1e-9
    frame = plan11.to_frame()
    assert len(frame) == context.n and frame["code_insee"].is_unique
    assert sorted(frame["sector"].unique()) == [f"S{i:02d}" for i in range(1, 12)]
    # every sector's patients sum to the total, and it sits close to its patients
    assert plan11["patients"].sum() == pytest.approx(context.patients.sum())
    assert plan11.mean_distance < 25.0


def test_plan_is_close_to_the_balanced_pmedian_without_contiguity(plan11):
    """The contiguous plan's mean distance stays within 2 % of the p-median reference."""
    assert plan11.mean_distance <= 1.02 * plan11.info["pmedian_mean_km"]


@pytest.mark.parametrize("k", [6, 20])
def test_contiguous_and_balanced_for_other_sizes(context, k):
    plan = propose(None, k, context=context, method=_one_run())
    assert plan.is_contiguous
    assert _loads_ok(plan), plan.deviation
    assert (plan["units"] > 0).all()


def test_same_seed_same_plan(plan11, context):
    again = propose(None, 11, context=context, seed=0)
    assert np.array_equal(again.assignment, plan11.assignment)


def test_locked_units_stay(context, plan11):
    # lock three units with patients into sectors that do not hold them now
    rng = np.random.default_rng(5)
    cut = np.flatnonzero(plan11["cut_edges"])
    locked = {}
    for e in rng.permutation(cut):
        i, j = context.edges[e]
        if context.patients[i] > 0 and context.codes[i] not in locked and len(locked) < 3:
            locked[context.codes[i]] = plan11.names[plan11.assignment[j]]
    plan = propose(None, 11, context=context, locked=locked, method=_one_run())
    assert constraints.respects_locks(locked)(plan)
    assert plan.is_contiguous and _loads_ok(plan)


def test_targets_follow_fte_with_groups_and_bases(context):
    team = Team(names=("Alice", "Bruno", "Chloé", "David", "Emma", "Fanny"),
                fte=(1.0, 0.8, 1.0, 0.5, 1.0, 1.0),
                groups=("Nord", "Nord", "Nord", "Sud", "Sud", "Sud"),
                bases=("69381", None, "01053", None, "42218", None))
    plan = propose(None, team, context=context, method=_one_run())
    fte = np.array(team.fte)
    assert np.allclose(plan.targets, fte / fte.sum() * context.load.sum())
    assert _loads_ok(plan), plan.deviation
    assert plan.is_contiguous
    # each worker's base commune is in its sector and is the sector's base
    for name, base in zip(team.names, team.bases):
        if base:
            s = plan.sector_index(name)
            assert plan.sector_of(base) == name
            assert context.codes[plan["bases"][s]] == base
    # each group's territory is one piece
    from geo.sectors._graph import is_connected
    for group in ("Nord", "Sud"):
        members = [s for s, g in enumerate(team.groups) if g == group]
        units = np.flatnonzero(np.isin(plan.assignment, members))
        assert is_connected(units.tolist(), context.nbrs)


def test_resectoring_keeps_most_patients(context, plan11):
    """11 -> 12 sectors: far fewer patients change referent than with a fresh plan."""
    from geo.sectors.propose import changes

    kept = propose(None, 12, context=context, previous=plan11, method=_one_run())
    fresh = propose(None, 12, context=context, method=_one_run())
    assert kept.is_contiguous and _loads_ok(kept)
    report = changes(plan11, kept)
    assert report["patients_kept"] >= 0.7 * report["patients"]
    assert report["patients_changed"] < changes(plan11, fresh)["patients_changed"]


def test_worker_leaving_only_moves_what_balance_needs(context, plan11):
    from geo.sectors.propose import changes

    names = [n for n in plan11.names if n != "S05"]
    previous = plan11.to_frame()
    team = Team(tuple(names), (1.0,) * len(names))
    plan = propose(None, team, context=context, previous=previous, method=_one_run())
    assert plan.is_contiguous and _loads_ok(plan)
    report = changes(previous, plan)
    leaving = int(plan11["patients"][plan11.sector_index("S05")])
    assert report["patients_changed"] >= leaving
    assert report["patients_kept"] >= 0.6 * report["patients"]
