"""Bases clustered in Lyon (issue 10): the real team's situation, where every worker is based in the city.

The fixture ``tests/data/team_2026_lyon.csv`` is the fictitious demo team with
base communes in Lyon's arrondissements and its first ring. Plans must be
contiguous, group-contiguous, within tolerance and hold each base, in both
base modes; random clustered teams give such a plan or a coded refusal, and
most of them a plan.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.sectors._graph import is_connected, pieces_per_sector
from geo.sectors.contiguous import ContiguousPMedian
from geo.sectors.pmedian import fixed_base_bound
from geo.sectors.problem import SectorError
from geo.sectors.propose import build_problem, propose, rebalance
from geo.sectors.radial import NEAR_KM, clustered_share, exit_paths, radial_labels, sites_of
from geo.sectors.team import Team, read_workers
from plan_checks import assert_bases_inside, assert_valid_plan
from test_team_plans import _check_refusal, _hand_moves   # the property test's refusal rules and hand moves

DATA = Path(__file__).resolve().parents[1] / "data"
#: Lyon's arrondissements and first-ring communes (INSEE codes) the random clustered teams draw bases from.
NEAR_LYON = ["69381", "69382", "69383", "69384", "69385", "69386", "69387", "69388", "69389", "69266",
             "69259", "69029", "69034", "69149", "69256", "69290", "69275", "69286", "69202", "69199"]


@pytest.fixture(scope="module")
def lyon_team():
    return read_workers(DATA / "team_2026_lyon.csv")


def test_lyon_fixture_is_fictitious_and_clustered(context, lyon_team):
    assert "FICTIVES" in (DATA / "team_2026_lyon.csv").read_text(encoding="utf-8").splitlines()[0]
    assert clustered_share(build_problem(context, lyon_team)) == 1.0
    assert clustered_share(build_problem(context, read_workers(DATA / "team_2026.csv"))) < 0.5


def test_lyon_team_plan_with_fixed_bases_is_valid_and_near_the_lp_bound(context, lyon_team):
    plan = propose(None, lyon_team, context=context)
    assert_valid_plan(plan)
    assert list(plan.fixed_bases) == list(build_problem(context, lyon_team).bases)
    for name, code in zip(lyon_team.names, lyon_team.bases):
        assert plan.sector_of(code) == name
    bound = fixed_base_bound(build_problem(context, lyon_team))["mean_km"]
    assert bound <= plan.mean_distance <= 1.15 * bound
    assert max(abs(v) for v in plan.group_deviation.values()) <= 0.02


def test_lyon_team_plan_with_bases_inside_is_valid(context, lyon_team):
    plan = propose(None, lyon_team, context=context, base_mode="inside")
    assert_bases_inside(plan, lyon_team)


def test_exit_paths_are_disjoint_and_leave_the_cluster(context, lyon_team):
    problem = build_problem(context, lyon_team)
    sites = sites_of(problem)
    near = problem.distances_km(sites).min(axis=1) <= NEAR_KM
    claim, exits, blocked = exit_paths(problem, sites, near)
    assert blocked == []
    for s in range(problem.k):
        path = np.flatnonzero(claim == s)
        assert sites[s] in path and exits[s] in path and not near[exits[s]]
        assert is_connected(path.tolist(), problem.nbrs)


def test_radial_labellings_are_contiguous_and_hold_their_sites(context, lyon_team):
    problem = build_problem(context, lyon_team, base_mode="inside")
    sites = sites_of(problem)
    count = 0
    for labels in radial_labels(problem):
        count += 1
        assert (pieces_per_sector(labels, problem.edges, problem.k) == 1).all()
        assert (labels[sites] == np.arange(problem.k)).all()
    assert count >= 1


def test_a_base_walled_in_by_other_bases_is_refused_with_a_code(context, sector_error):
    # Lyon 4e's neighbours are Caluire, Lyon 1er, 6e and 9e: all other workers' bases
    team = Team(("A", "B", "C", "D", "E"), (1.0,) * 5, bases=("69384", "69034", "69381", "69386", "69389"))
    with pytest.raises(SectorError) as info:
        propose(None, team, context=context, attempts=1)
    assert info.value.code in {"sectors.unbalanced", "sectors.no_contiguous_plan"}


def _clustered_team(context, rng):
    """A random team based in Lyon and its first ring; two groups split by direction from the city centre."""
    k = int(rng.integers(2, 13))
    fte = tuple(float(x) for x in np.round(rng.uniform(0.3, 1.0, k), 2))
    bases = [str(c) for c in rng.choice(NEAR_LYON, k, replace=False)]
    groups = None
    if k >= 4 and rng.random() < 0.6:
        xy = context.xy[context.positions(bases)]
        angle = np.mod(np.arctan2(*(xy - xy.mean(axis=0)).T[::-1]) - rng.uniform(-np.pi, np.pi), 2 * np.pi)
        first = set(np.argsort(angle)[:int(rng.integers(2, k - 1))].tolist())
        groups = tuple("A" if s in first else "B" for s in range(k))
    return Team(tuple(f"W{i:02d}" for i in range(k)), fte, groups, tuple(bases))


def test_random_teams_based_in_lyon_mostly_get_a_valid_plan(context):
    valid, refused = 0, []
    for case in range(20):
        rng = np.random.default_rng(5000 + case)
        team = _clustered_team(context, rng)
        mode = "inside" if rng.random() < 0.4 else "centre"
        method = ContiguousPMedian(seed=case, runs=1, restarts=2, polish_rounds=10, polish_seconds=3.0,
                                   recut_seconds=5.0)
        try:
            plan = propose(None, team, context=context, base_mode=mode, method=method)
        except SectorError as error:
            _check_refusal(error)
            refused.append((case, error.code))
            continue
        assert_valid_plan(plan)
        for name, code in zip(team.names, team.bases):
            assert plan.sector_of(code) == name
        valid += 1
        if case % 4 == 0:
            # rebalance after hand moves: valid again, or a coded refusal
            try:
                fixed, _ = rebalance(_hand_moves(plan, rng, 8))
            except SectorError as error:
                _check_refusal(error)
            else:
                assert_valid_plan(fixed)
    # before the radial construction, teams based in Lyon were refused; a few draws are truly tight
    # (a base walled in by others' bases, 12 workers in the arrondissements)
    assert valid >= 16, refused
