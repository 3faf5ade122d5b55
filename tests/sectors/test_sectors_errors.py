"""Bad inputs give clear errors that carry the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.sectors.problem import Problem
from geo.sectors.propose import propose
from geo.sectors.team import Team


def test_more_sectors_than_units_with_patients(context, sector_error):
    codes = context.codes[:7]
    counts = pd.DataFrame({"code_insee": codes, "patients": 3})
    with sector_error("sectors.too_few_units_with_patients", asked=11, units=7):
        propose(counts, 11, context=context)


def test_unknown_codes_are_named(context, sector_error):
    counts = pd.DataFrame({"code_insee": ["01001", "99998", "99999"], "patients": [2, 1, 4]})
    with sector_error("sectors.unknown_count_codes", count=2, codes=["99998", "99999"]):
        propose(counts, 2, context=context)


def test_zero_workload(context, sector_error):
    counts = pd.DataFrame({"code_insee": ["01001"], "patients": [0]})
    with sector_error("sectors.zero_workload"):
        propose(counts, 2, context=context)


def test_locks_that_make_balance_impossible(context, plan11, sector_error):
    heavy = context.codes[np.argsort(-context.patients)[:8]]
    with sector_error("sectors.locks_overload", worker="S01"):
        propose(None, 11, context=context, locked={code: "S01" for code in heavy})


def test_lock_to_unknown_sector(context, sector_error):
    with sector_error("sectors.lock_unknown_sector", sector="Zoé", unit="01001"):
        propose(None, 3, context=context, locked={"01001": "Zoé"})


def test_unit_heavier_than_any_sector(grid, sector_error):
    xy, load, edges = grid
    load = load.copy()
    load[0] = 20
    with sector_error("sectors.unit_too_heavy", load=20.0):
        Problem(xy=xy, load=load, edges=edges, targets=np.ones(4))


def test_bad_fte(sector_error):
    with sector_error("sectors.team_bad_fte", values=["Bob=0.0"]):
        Team(("Ann", "Bob"), (1.0, 0.0))


def test_negative_counts(context, sector_error):
    counts = pd.DataFrame({"code_insee": ["01001", "01002"], "patients": [3, -1]})
    with sector_error("must be >= 0; 1 are not: 01002"):
        propose(counts, 1, context=context)
