"""The real team's table (issue 10): FTE, groups, base communes (names or codes, Lyon), locks, both base modes.

Every plan returned is contiguous, group-contiguous and within tolerance; anything
else is a coded refusal naming the cause. The fixture ``tests/data/team_2026.csv``
is a fictitious team.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.sectors.contiguous import ContiguousPMedian
from geo.sectors.problem import SectorError
from geo.sectors.propose import build_problem, plan_faults, propose, rebalance
from geo.sectors.team import LYON_SITE, Team, resolve_base, team_from_frame
from plan_checks import assert_bases_inside, assert_valid_plan

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]


def test_fixture_is_marked_fictitious():
    assert "FICTIVES" in (DATA / "team_2026.csv").read_text(encoding="utf-8").splitlines()[0]


def test_team_table_reads_names_and_codes(team):
    assert len(team) == 11 and min(team.fte) == 0.5 and max(team.fte) == 1.0
    assert set(team.groups) == {"Nord-Est", "Sud-Ouest"}
    by_name = dict(zip(team.names, team.bases))
    assert by_name["Claire"] == "38185"        # "Grenoble"
    assert by_name["Bruno"] == "01053"         # a code
    assert by_name["Karima"] == "69385"        # "Lyon 5e"


def test_team_plan_with_bases_is_valid_and_close_to_the_lp_bound(context, team, team_plan):
    from geo.sectors.pmedian import fixed_base_bound

    assert_valid_plan(team_plan)
    metrics = team_plan.metrics()
    assert all(s["base_fixed"] for s in metrics["sectors"])
    assert [s["base"] for s in metrics["sectors"]] == list(team.bases)
    bound = fixed_base_bound(build_problem(context, team))["mean_km"]
    assert bound <= team_plan.mean_distance <= 1.15 * bound
    groups = team_plan.group_deviation
    assert set(groups) == {"Nord-Est", "Sud-Ouest"} and max(abs(v) for v in groups.values()) <= 0.02


def test_inside_mode_keeps_each_base_in_its_sector_with_a_free_centre(context, team):
    plan = propose(None, team, context=context, base_mode="inside")
    assert_bases_inside(plan, team)
    assert plan.info["base_mode"] == "inside"


def test_unknown_base_mode_is_refused(context, team, sector_error):
    with sector_error("sectors.bad_base_mode", given="middle"):
        propose(None, team, context=context, base_mode="middle")


def test_lyon_base_means_the_centre_site_and_says_so():
    frame = pd.DataFrame({"nom": ["A", "B"], "etp": ["1", "0,5"], "base": ["Lyon", "Grenoble"]})
    team = team_from_frame(frame)
    assert team.bases == (LYON_SITE, "38185")
    assert [code for code, _ in team.notes] == ["sectors.base_lyon_site"]
    assert resolve_base("69123") == LYON_SITE


def test_base_names_ambiguous_or_unknown_are_coded_with_candidates(sector_error):
    with sector_error("sectors.base_ambiguous", given="Saint-Priest", row=1, worker="A") as info:
        team_from_frame(pd.DataFrame({"nom": ["A"], "base": ["Saint-Priest"]}))
    assert any(c.startswith("69290") for c in info.value.params["candidates"])
    assert resolve_base("Saint-Priest (69)") == "69290"
    with sector_error("sectors.base_unknown", given="Grenobl") as info:
        resolve_base("Grenobl")
    assert any(c.startswith("38185") for c in info.value.params["candidates"])


def test_two_workers_on_one_base_unit_are_refused(context, sector_error):
    team = Team(("A", "B", "C"), (1.0, 1.0, 1.0), bases=("69388", "69388", "38185"))
    with sector_error("sectors.base_shared", workers=["A", "B"]):
        propose(None, team, context=context)


def test_lock_on_lyon_locks_its_nine_arrondissements(context):
    plan = propose(None, 3, context=context, locked={"69123": "S02"})
    assert_valid_plan(plan)
    arrondissements = [c for c in context.codes if c.startswith("6938")]
    assert len(arrondissements) == 9
    assert {plan.sector_of(c) for c in arrondissements} == {"S02"}


def test_counts_on_lyon_are_refused_with_the_rule(context, sector_error):
    counts = pd.DataFrame({"code_insee": ["69123", "01001"], "patients": [5, 2]})
    with sector_error("sectors.counts_lyon", patients=5.0):
        context.with_counts(counts)


def test_refusal_names_worker_and_cause(context, sector_error):
    # a base in a corner with a tiny tolerance and heavy units: no contiguous plan within 0.1 %
    team = Team(("A", "B"), (1.0, 1.0), bases=("74010", "69383"))
    try:
        plan = propose(None, team, context=context, tolerance=0.001, attempts=1)
    except SectorError as error:
        from app.messages import render

        assert error.code in {"sectors.unbalanced", "sectors.unit_too_heavy"}
        if error.code == "sectors.unbalanced":
            assert error.params["worker"] in ("A", "B") and error.params["cause"]
        assert render(error) and "sectors." not in render(error)
    else:
        assert_valid_plan(plan)


def _hand_moves(plan, rng, count):
    ctx = plan.context
    cut = ctx.edges[plan.assignment[ctx.edges[:, 0]] != plan.assignment[ctx.edges[:, 1]]]
    flips = {}
    for i, j in cut[rng.choice(len(cut), size=min(count, len(cut)), replace=False)]:
        flips[ctx.codes[i]] = plan.names[plan.assignment[j]]
    return plan.flip(flips)


def test_rebalance_team_plan_after_hand_moves(team_plan):
    edited = _hand_moves(team_plan, np.random.default_rng(3), 15)
    assert plan_faults(edited)
    fixed, moves = rebalance(edited)
    assert_valid_plan(fixed)
    assert list(fixed.fixed_bases) == list(team_plan.fixed_bases)
    # only what the repair needs moves: far fewer units than the plan has
    assert 0 < len(moves) < 200


def test_from_current_plan_keeps_most_patients(context, team, team_plan):
    from geo.sectors.propose import changes

    twelve = Team(team.names + ("Léa",), team.fte + (1.0,), team.groups + ("Sud-Ouest",), team.bases + ("42187",))
    plan = propose(None, twelve, context=context, previous=team_plan)
    assert_valid_plan(plan)
    moved = changes(team_plan, plan)
    assert moved["patients_changed"] / moved["patients"] < 0.25


def test_cli_propose_base_mode_and_lyon_note(tmp_path):
    workers = tmp_path / "workers.csv"
    workers.write_text("nom;etp;groupe;base\nA;1;X;Lyon\nB;0,6;X;Villeurbanne\nC;0,8;Y;Grenoble\n", encoding="utf-8")
    out, metrics = tmp_path / "plan.csv", tmp_path / "m.json"
    done = subprocess.run([sys.executable, "-m", "app.cli", "propose", "--workers", str(workers), "--patients",
                           str(ROOT / "data" / "demo" / "patients_demo.csv"), "--out", str(out), "--metrics",
                           str(metrics), "--base-mode", "inside"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Lyon 8e" in done.stderr
    data = json.loads(metrics.read_text())
    assert data["plan"]["contiguous"] and data["plan"]["groups_contiguous"] and data["plan"]["within_tolerance"]
    assert data["plan"]["base_mode"] == "inside"
    sectors = pd.read_csv(out, dtype=str)
    assert sectors.set_index("code_insee").loc[LYON_SITE, "sector"] == "A"


# -- property test: random teams on the real territory ---------------------------------------------
#: Codes a random team may be refused with: each names the worker(s) or group and the constraint.
REFUSALS = {"sectors.unbalanced", "sectors.group_not_contiguous", "sectors.no_contiguous_plan",
            "sectors.locks_overload", "sectors.locks_not_joinable", "sectors.base_shared",
            "sectors.base_locked_elsewhere", "sectors.unit_too_heavy"}
NEAR_LYON = ["69381", "69382", "69383", "69384", "69385", "69386", "69387", "69388", "69389", "69266",
             "69259", "69029", "69034", "69149", "69256", "69290", "69275", "69286", "69202", "69199"]


def _random_team(context, rng):
    k = int(rng.integers(2, 13))
    names = tuple(f"W{i:02d}" for i in range(k))
    fte = tuple(float(x) for x in np.round(rng.uniform(0.3, 1.0, k), 2))
    n_groups = int(rng.integers(1, 4)) if k >= 3 else 1
    groups = None
    if n_groups > 1:
        groups = tuple(f"G{g}" for g in (list(range(n_groups)) + list(rng.integers(0, n_groups, k - n_groups))))
    style = rng.choice(["none", "spread", "clustered", "some"])
    bases = None
    loaded = context.codes[context.patients > 0]
    if style == "spread":
        bases = tuple(rng.choice(loaded, k, replace=False).tolist())
    elif style == "clustered":
        picked = list(rng.choice(NEAR_LYON, min(k, int(rng.integers(2, 6))), replace=False))
        others = [c for c in rng.choice(loaded, k + len(picked), replace=False).tolist() if c not in picked]
        bases = tuple(picked + others[:k - len(picked)])
    elif style == "some":
        chosen = rng.choice(loaded, k, replace=False).tolist()
        bases = tuple(c if rng.random() < 0.5 else None for c in chosen)
    locks = {}
    for code in rng.choice(loaded, int(rng.integers(0, 4)), replace=False).tolist():
        if bases is None or code not in bases:
            locks[code] = names[int(rng.integers(0, k))]
    return Team(names, fte, groups, bases), locks, str(style)


def _check_refusal(error):
    from app.messages import render

    assert error.code in REFUSALS, error
    text = render(error)
    assert text and not text.startswith("sectors.")
    if error.code == "sectors.unbalanced":
        assert error.params["worker"] and error.params["cause"] in {"locks", "base", "groups", "heavy_units"}


@pytest.mark.parametrize("case", range(30))
def test_random_team_gives_a_valid_plan_or_a_coded_refusal(context, case):
    rng = np.random.default_rng(1000 + case)
    team, locks, _ = _random_team(context, rng)
    mode = "inside" if rng.random() < 0.3 else "centre"
    try:
        # the default method with small budgets (one run, fewer starts): keeps 30 cases to a few minutes
        method = ContiguousPMedian(seed=case, runs=1, restarts=2, polish_rounds=10, polish_seconds=3.0,
                                   recut_seconds=5.0)
        plan = propose(None, team, context=context, locked=locks, base_mode=mode, method=method)
    except SectorError as error:
        _check_refusal(error)
        return
    assert_valid_plan(plan)
    for code, name in locks.items():
        assert plan.sector_of(code) == name
    # rebalance after random hand moves: valid again, or a coded refusal
    edited = _hand_moves(plan, rng, int(rng.integers(3, 20)))
    try:
        fixed, _ = rebalance(edited, locks)
    except SectorError as error:
        _check_refusal(error)
        return
    assert_valid_plan(fixed)
    for code, name in locks.items():
        assert fixed.sector_of(code) == name
