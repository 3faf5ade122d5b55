"""Checks shared by the sector tests: a plan every test of a valid proposal expects."""
from __future__ import annotations

from geo.sectors.propose import plan_faults


def assert_valid_plan(plan) -> None:
    """No fault, every sector one piece and within tolerance, each group one block."""
    assert plan_faults(plan) == []
    assert plan.is_contiguous and plan.max_deviation <= plan.tolerance + 1e-9
    if plan.groups is not None:
        assert plan.groups_contiguous


def assert_bases_inside(plan, team) -> None:
    """A valid ``--base-mode inside`` plan: no fixed centre, and each worker's base in their sector."""
    assert_valid_plan(plan)
    assert (plan.fixed_bases < 0).all() and plan.anchors_inside
    for name, code in zip(team.names, team.bases):
        assert plan.sector_of(code) == name
