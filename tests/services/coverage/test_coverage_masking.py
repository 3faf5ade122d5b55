"""ARS masking: primary "< 11", secondary "s", no recovery from totals or differences."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from services.coverage import (PRIMARY_SYMBOL, SECONDARY_SYMBOL, TOTAL_LABEL, ars_mode, cross_table, department_table,
                          mask_counts, mask_table, protect_counts, sector_table, white_zone_summary,
                          verify_no_disclosure)
from services.coverage.masking import Protection


# -- small hand-made cases ------------------------------------------------------------------
def test_mask_counts_primary_only():
    assert mask_counts([0, 1, 10, 11, 250]).tolist() == ["0", "< 11", "< 11", "11", "250"]
    with pytest.raises(ValueError, match=r"^values: counts must be non-negative integers; got \[-1\]"):
        mask_counts([3, -1])


def test_commune_classes_are_wide_enough_alone():
    """Department X: a=3, b=40, c=25 (68); Y: d=0, e=12, f=30 (42); region 110.

    Communes are published as classes only, zeros with the 1-10: a = 68 - b - c with b and c in
    21-50 leaves a anywhere in 0-10, so nothing needs a secondary suppression.
    """
    counts = pd.Series({"a": 3, "b": 40, "c": 25, "d": 0, "e": 12, "f": 30})
    dep = pd.Series({"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y", "f": "Y"})
    p = protect_counts(counts, {"dep": dep})
    assert p.display("unit").tolist() == ["0 à 10", "21 à 50", "21 à 50", "0 à 10", "11 à 20", "21 à 50"]
    assert p.display("dep").tolist() == ["68", "42"] and p.display("total").tolist() == ["110"]
    assert p.cell_counts()["suppressed"] == 0
    a = p.audit.ranges.set_index("key").loc["a"]
    assert a["lower"] <= 1 and a["upper"] >= 5          # x = 3, p = 2: 1 to 5 must stay possible


def test_a_narrow_class_gets_a_partner():
    """X = a + b = 25 with a = 5 and b = 20 (class 11-20): a = 25 - b is in 5-14, so 3 and 4 are excluded
    (protection interval 3-7). The cheapest fix hides b's class ("s": 11 or more), not the department."""
    counts = pd.Series({"a": 5, "b": 20, "c": 30, "d": 0})
    p = protect_counts(counts, {"dep": pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})})
    assert p.display("unit").tolist() == ["0 à 10", "s", "21 à 50", "0 à 10"]
    assert p.display("dep").tolist() == ["25", "30"] and p.display("total").tolist() == ["55"]
    assert verify_no_disclosure(p).ok


def test_revealing_the_secondary_cell_is_caught():
    """The checker has teeth: showing b's class again pins a into 5-10; showing a figure of 1-10 fails too."""
    counts = pd.Series({"a": 5, "b": 20, "c": 30, "d": 0})
    p = protect_counts(counts, {"dep": pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})})
    cells = p.cells.copy()
    is_b = (cells["level"] == "unit") & (cells["key"] == "b")
    cells.loc[is_b, "display"] = "11 à 20"
    tampered = Protection(cells, p.membership, p.units, p.lines, p.levels, unit_values=p.unit_values)
    audit = verify_no_disclosure(tampered)
    assert not audit.ok
    assert audit.disclosed[["key", "lower", "upper"]].values.tolist() == [["a", 5.0, 10.0]]
    cells = p.cells.copy()
    cells.loc[(cells["level"] == "unit") & (cells["key"] == "a"), "display"] = "5"
    shown = verify_no_disclosure(Protection(cells, p.membership, p.units, p.lines, p.levels,
                                            unit_values=p.unit_values))
    assert shown.disclosed["key"].tolist() == ["a"]
    cells.loc[(cells["level"] == "unit") & (cells["key"] == "a"), "display"] = "6"
    with pytest.raises(ValueError, match="do not fit"):
        verify_no_disclosure(Protection(cells, p.membership, p.units, p.lines, p.levels, unit_values=p.unit_values))


def test_small_total_is_masked_and_protected():
    """Department Z has 7 patients: its total is "< 11" and the region total would give it away
    (1000 - 993), so another department total is hidden too; the region stays published."""
    counts = pd.Series({"z1": 4, "z2": 3, "x1": 500, "y1": 493})
    dep = pd.Series({"z1": "Z", "z2": "Z", "x1": "X", "y1": "Y"})
    p = protect_counts(counts, {"dep": dep}, publish_units=False)
    shown = p.display("dep")
    assert shown["Z"] == PRIMARY_SYMBOL and (shown == SECONDARY_SYMBOL).sum() == 1
    assert p.display("total").tolist() == ["1000"]
    assert verify_no_disclosure(p).ok


def test_ten_ones_and_a_shown_neighbour():
    """Ten communes with one patient each (group G = 10, "< 11") next to H = 50 in a region of 60:
    G = 60 - 50 = 10 exactly, so H is hidden ("s"); the communes are all "0 à 10" (zeros too)."""
    counts = pd.Series({**{f"g{i}": 1 for i in range(10)}, "g10": 0, "g11": 0, "h0": 50})
    group = pd.Series({**{f"g{i}": "G" for i in range(12)}, "h0": "H"})
    p = protect_counts(counts, {"grp": group})
    units = p.display("unit")
    assert p.zeros_masked and set(units.drop("h0")) == {"0 à 10"}
    assert p.display("grp").to_dict() == {"G": PRIMARY_SYMBOL, "H": SECONDARY_SYMBOL}
    assert p.display("total").tolist() == ["60"]
    assert verify_no_disclosure(p).ok


def test_symbols_mean_what_the_report_says():
    from services.coverage import display_interval, unit_class

    assert display_interval("< 11") == (1, 10)          # never 0
    assert display_interval("s") == (11, np.inf)
    assert display_interval("0 à 10") == (0, 10) and display_interval("plus de 100") == (101, np.inf)
    assert [unit_class(v) for v in (0, 10, 11, 20, 21, 100, 101)] == [
        "0 à 10", "0 à 10", "11 à 20", "11 à 20", "21 à 50", "51 à 100", "plus de 100"]


def test_input_errors():
    counts = pd.Series({"a": 3})
    with pytest.raises(ValueError, match=r"^threshold: expected a positive integer"):
        protect_counts(counts, threshold=0)
    with pytest.raises(ValueError, match=r"^protection: expected an integer from 1 to 9, got 12"):
        protect_counts(counts, protection=12)
    with pytest.raises(ValueError, match=r"^groupings\['dep'\]: 1 code\(s\) are not among the counted units"):
        protect_counts(counts, {"dep": pd.Series({"zz": "X"})})
    with pytest.raises(ValueError, match=r"^cross: \('dep', 'sec'\) must name two groupings"):
        protect_counts(counts, {"dep": pd.Series({"a": "X"})}, cross=[("dep", "sec")])


# -- the real territory with demo patients -----------------------------------------------------
def _numbers(displays):
    return [int(d) for d in displays if re.fullmatch(r"\d+", str(d))]


@pytest.fixture(scope="module")
def masked(unit_tab, protection, flags):
    """Every table the ARS export contains, masked with one pattern."""
    deps = department_table(unit_tab)
    secs = sector_table(unit_tab)
    cross = cross_table(unit_tab)
    return {
        "units": mask_table(unit_tab, protection),
        "departements": mask_table(deps, protection),
        "secteurs": mask_table(secs, protection),
        "cross": mask_table(cross, protection, level=("departement", "secteur")),
        "white": {name: protection.display(name) for name in protection.levels
                  if isinstance(name, str) and name not in ("unit", "total", "departement", "secteur")},
    }


def test_no_count_of_1_to_10_in_any_ars_output(masked, protection, patients):
    for name in ("units", "departements", "secteurs", "cross"):
        values = _numbers(masked[name]["patients"])
        assert not any(1 <= v <= 10 for v in values), name
    assert PRIMARY_SYMBOL in set(masked["cross"]["patients"])
    for name, series in masked["white"].items():
        assert not any(1 <= v <= 10 for v in _numbers(series)), name
    cells = protection.cells
    aggregate = cells["level"] != "unit"
    # aggregates: 1-10 is "< 11", zeros are 0, every "s" hides 11 or more
    assert (cells.loc[aggregate & cells["value"].between(1, 10), "display"] == PRIMARY_SYMBOL).all()
    assert (cells.loc[aggregate & (cells["value"] == 0), "display"] == "0").all()
    assert (cells.loc[cells["display"] == SECONDARY_SYMBOL, "value"] >= 11).all()
    # communes: classes only, zeros in the same class as 1-10
    units = cells[~aggregate]
    assert (units.loc[units["value"] <= 10, "display"] == "0 à 10").all()
    assert set(units["display"]) <= {"0 à 10", "11 à 20", "21 à 50", "51 à 100", "plus de 100", SECONDARY_SYMBOL}
    # department 15 has 10 demo patients: its total is masked; the region total is published
    deps = masked["departements"].set_index("departement")["patients"]
    assert deps["15"] == PRIMARY_SYMBOL and deps[TOTAL_LABEL] == str(patients["patients"].sum())


def test_secondary_suppression_holds_and_keeps_the_totals(protection):
    """The LP audit passes, and the optimiser publishes most totals (it hides inner cells first)."""
    audit = verify_no_disclosure(protection)
    assert audit.ok, audit.disclosed
    levels = set(audit.ranges["level"].map(str))
    assert {"unit", "departement", "secteur", "('departement', 'secteur')"} <= levels
    assert ((audit.ranges["upper"] - audit.ranges["lower"]) >= 1).all()
    summary = protection.summary()
    assert summary["departement"].get("secondary", 0) <= 2
    assert summary["total"]["shown"] == 1
    counts = protection.cell_counts()
    assert counts["published"] + counts["masked"] + counts["classes"] + counts["suppressed"] == counts["total"]


def test_independent_attacker_recovers_nothing(units, patients, protection):
    """An attacker written apart (tests/services/coverage/attacker.py: one LP variable per commune) reads the
    published cells and pins no masked department, sector or department x sector cell."""
    from attacker import Attacker

    published = protection.published()
    aggregate = published[published["level"] != "unit"]
    truth = patients.set_index("code_insee")["patients"].to_dict()
    attacker = Attacker([published], units["code_insee"])
    assert attacker.recovered([aggregate], truth) == []
    assert attacker.lps > 40


def test_attacker_recovers_cells_from_primary_only_masking(units, patients, protection):
    """...whereas the same attacker breaks the same tables masked cell by cell (no secondary suppression,
    communes shown exactly): its findings are not vacuous."""
    from attacker import Attacker

    published = protection.published()
    values = protection.cells["value"].to_numpy()
    published["display"] = [("< 11" if 1 <= v <= 10 else str(v)) for v in values]
    truth = patients.set_index("code_insee")["patients"].to_dict()
    aggregate = published[published["level"] != "unit"]
    recovered = Attacker([published], units["code_insee"]).recovered([aggregate], truth)
    assert ("departement", "15", 10) in recovered          # 1,350 minus the eleven other departments
    assert len(recovered) >= 10


def test_ars_mode_with_the_shared_pattern(unit_tab, protection):
    deps = department_table(unit_tab)
    shown = ars_mode(deps, protection, derived=["population"]).set_index("departement")
    expected = protection.display("departement")
    assert (shown["patients"].drop(TOTAL_LABEL) == expected).all()
    hidden = shown["patients"].isin([PRIMARY_SYMBOL, SECONDARY_SYMBOL])
    assert (shown.loc[hidden, "population"] == shown.loc[hidden, "patients"]).all()
    assert (shown.loc[~hidden, "population"] == deps.set_index("departement").loc[~hidden, "population"]).all()
    with pytest.raises(ValueError, match=r"^patients: values differ from the protected counts"):
        mask_table(deps.assign(patients=deps["patients"] + 1), protection)


def test_ars_mode_on_a_lone_table():
    """A table protected on its own: rows and their total row form one line."""
    table = pd.DataFrame({"secteur": ["A", "B", "C", "D", TOTAL_LABEL], "patients": [3, 40, 25, 0, 68]})
    shown = ars_mode(table)
    assert shown["patients"].tolist() == ["< 11", "40", "s", "0", "68"]
    with pytest.raises(ValueError, match=r"^patients: the total row \(70\) is not the sum of the rows \(68\)"):
        ars_mode(table.assign(patients=[3, 40, 25, 0, 70]))


def test_white_zone_patients_masked_with_the_departments(units, patients, flags):
    """Patients in white zones published next to unit and department tables: one pattern covers all."""
    from services.coverage import white_zone_groupings

    groupings = {"departement": "departement", **white_zone_groupings(flags)}
    p = protect_counts(patients, groupings, units=units)
    assert verify_no_disclosure(p).ok
    summary = white_zone_summary(flags).set_index("critere")
    for criterion, row in summary.iterrows():
        display = p.display(criterion)["zone blanche"]
        assert not any(1 <= v <= 10 for v in _numbers(p.display(criterion)))
        if 1 <= row["patients"] <= 10:
            assert display == PRIMARY_SYMBOL
        else:
            assert display in (SECONDARY_SYMBOL, str(int(row["patients"])))


def test_importing_coverage_pulls_no_streamlit():
    import subprocess
    import sys

    code = "import sys, services.coverage; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ars_tables_bundle(unit_tab, protection):
    from services.coverage import ars_tables

    tables, shared = ars_tables(unit_tab)
    assert set(tables) == {"communes", "departements", "secteurs", "departements_x_secteurs"}
    for name, frame in tables.items():
        assert not any(1 <= v <= 10 for v in _numbers(frame["patients"])), name
    assert verify_no_disclosure(shared).ok
    # with the session's pattern, the same strings as mask_table
    again, _ = ars_tables(unit_tab, protection)
    assert again["departements"]["patients"].tolist() == mask_table(department_table(unit_tab),
                                                                     protection)["patients"].tolist()
