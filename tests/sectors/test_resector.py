"""Re-sectoring from the current plan (issue 10): a worker joins or leaves, new counts with the same team.

``propose(previous=...)`` tries the incremental construction of
``geo.sectors.resector`` next to the fresh proposal with a keep penalty and
keeps the valid plan that changes fewer referents. The bounds below are the
figures measured on the real territory and the demo patients (seed 0), with a
little room (the MILP steps have time limits: a loaded machine may find a
little less); the issue's target of at most 12 % for 11 -> 12 workers is not
reached yet (13.0 % equal sectors, incremental; 16.2 % team, the fresh
proposal: see the README's team cases).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.sectors.problem import Problem
from geo.sectors.propose import build_problem, changes, propose
from geo.sectors.resector import faults, is_incremental, moved_load, resector
from geo.sectors.team import Team
from plan_checks import assert_valid_plan

DATA = Path(__file__).resolve().parents[1] / "data"
ROANNE = "42187"


def _share(before, after) -> float:
    moved = changes(before, after)
    return moved["patients_changed"] / moved["patients"]


def _without(team: Team, name: str) -> Team:
    keep = [i for i, n in enumerate(team.names) if n != name]
    pick = lambda values: None if values is None else tuple(values[i] for i in keep)  # noqa: E731
    return Team(pick(team.names), pick(team.fte), pick(team.groups), pick(team.bases))


def test_is_incremental_needs_a_current_plan_with_few_new_sectors(grid):
    xy, load, edges = grid
    fresh = Problem(xy=xy, load=load, edges=edges, targets=np.ones(3))
    assert not is_incremental(fresh)
    one_new = fresh.replace(previous=np.where(xy[:, 0] < 1500, 0, 1))
    assert is_incremental(one_new)
    all_new = Problem(xy=xy, load=load, edges=edges, targets=np.ones(8), previous=np.zeros(16, dtype=int))
    assert not is_incremental(all_new)


def test_new_sector_on_a_grid_takes_its_share_and_little_else(grid):
    xy, load, edges = grid
    previous = np.where(xy[:, 0] < 1500, 0, 1)   # two halves of 8 units
    problem = Problem(xy=xy, load=load, edges=edges, targets=np.ones(3), tolerance=0.15, previous=previous)
    labels = resector(problem)
    assert labels is not None and faults(problem, labels) == 0
    assert (labels == 2).sum() in (5, 6)
    # the new sector's 5-6 units, plus at most one unit passed between the halves
    assert moved_load(problem, labels) <= 7


def test_same_team_new_counts_changes_few_referents(context, demo_counts, team, team_plan):
    counts = demo_counts.copy()
    rng = np.random.default_rng(5)
    counts["patients"] = np.maximum(0, counts["patients"] + rng.integers(-1, 2, len(counts)))
    plan = propose(counts, team, context=context, previous=team_plan)
    assert_valid_plan(plan)
    # measured 1.5 % (the fresh proposal with a keep penalty alone: 3.5 %)
    assert plan.info["method"] == "resector"
    assert _share(team_plan, plan) <= 0.025


@pytest.mark.parametrize("case", ["equal", "team"])
def test_eleven_to_twelve_from_the_current_plan_is_valid(context, plan11, team, team_plan, case):
    if case == "equal":
        before, after = plan11, 12
        bound = 0.15    # measured 13.0 % (the fresh proposal alone: 14.0 %)
    else:
        before = team_plan
        after = Team(team.names + ("Léa",), team.fte + (1.0,), team.groups + ("Sud-Ouest",), team.bases + (ROANNE,))
        bound = 0.17    # measured 16.2 % (the incremental path alone: 15.9-20.6 %, time-limited)
    plan = propose(None, after, context=context, previous=before)
    assert_valid_plan(plan)
    share = _share(before, plan)
    # at least the new worker's share, less the tolerance
    new_share = plan.targets[-1] / plan.targets.sum()
    assert new_share * (1 - plan.tolerance) - 1e-9 <= share <= bound


@pytest.mark.parametrize("case", ["equal", "team"])
def test_eleven_to_ten_a_worker_leaves_gives_a_valid_plan(context, plan11, team, team_plan, case):
    if case == "equal":
        before = plan11
        after = Team(tuple(n for n in plan11.names if n != "S05"), (1.0,) * 10)
        gone = "S05"
        bound = 0.17    # measured 13.3 % (the fresh proposal alone: 15.9 %)
    else:
        before, after, gone = team_plan, _without(team, "Inès"), "Inès"
        bound = 0.16    # measured 14.7 % (the fresh proposal alone: 15.1 %)
    plan = propose(None, after, context=context, previous=before)
    assert_valid_plan(plan)
    share = _share(before, plan)
    # every patient of the worker who left changes referent
    left = before.context.load[np.asarray(before.names, dtype=object)[before.assignment] == gone].sum()
    assert left / before.context.load.sum() - 1e-9 <= share <= bound


def test_resector_keeps_bases_and_locks(context, team, team_plan):
    after = Team(team.names + ("Léa",), team.fte + (1.0,), team.groups + ("Sud-Ouest",), team.bases + (ROANNE,))
    problem = build_problem(context, after, previous=team_plan)
    labels = resector(problem, candidates=2, time_budget=5.0)
    assert labels is not None and faults(problem, labels) == 0
    bases = problem.bases
    assert (labels[bases] == np.arange(problem.k)).all()
