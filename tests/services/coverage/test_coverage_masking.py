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


def test_single_hidden_cell_gets_a_partner():
    """Department X: a=3, b=40, c=25 (68); Y: d=0, e=12, f=30 (42); region 110.

    a is primary; alone in X's line it would be 68 - 40 - 25 = 3, so the smallest other
    non-zero cell of X, c=25, is hidden as "s": then a + c = 28 with a in 1-10 and c >= 11
    leaves a anywhere in 1-10. Zeros stay 0.
    """
    counts = pd.Series({"a": 3, "b": 40, "c": 25, "d": 0, "e": 12, "f": 30})
    dep = pd.Series({"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y", "f": "Y"})
    p = protect_counts(counts, {"dep": dep})
    assert p.display("unit").tolist() == ["< 11", "40", "s", "0", "12", "30"]
    assert p.display("dep").tolist() == ["68", "42"] and p.display("total").tolist() == ["110"]
    audit = verify_no_disclosure(p)
    assert audit.ok
    a = audit.ranges.set_index("key").loc["a"]
    assert (a["lower"], a["upper"]) == (1, 10)


def test_revealing_the_secondary_cell_is_caught():
    """The checker has teeth: showing c again makes a recoverable (68 - 40 - 25 = 3)."""
    counts = pd.Series({"a": 3, "b": 40, "c": 25, "d": 0, "e": 12, "f": 30})
    dep = pd.Series({"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y", "f": "Y"})
    p = protect_counts(counts, {"dep": dep})
    cells = p.cells.copy()
    cells.loc[(cells["level"] == "unit") & (cells["key"] == "c"), "display"] = "25"
    tampered = Protection(cells, p.membership, p.units, p.lines, p.levels, unit_values=p.unit_values)
    audit = verify_no_disclosure(tampered)
    assert not audit.ok
    assert audit.disclosed[["key", "lower", "upper"]].values.tolist() == [["a", 3.0, 3.0]]
    # the same without the true counts (the audit then starts from LP solutions only)
    blind = Protection(cells, p.membership, p.units, p.lines, p.levels)
    assert verify_no_disclosure(blind).disclosed["key"].tolist() == ["a"]
    assert verify_no_disclosure(Protection(p.cells, p.membership, p.units, p.lines, p.levels)).ok


def test_small_total_is_masked_and_protected():
    """Department Z has 7 patients: its total is "< 11" and the region total would give it away
    (1000 - 993), so another department total is hidden too."""
    counts = pd.Series({"z1": 4, "z2": 3, "x1": 500, "y1": 493})
    dep = pd.Series({"z1": "Z", "z2": "Z", "x1": "X", "y1": "Y"})
    p = protect_counts(counts, {"dep": dep}, publish_units=False)
    shown = p.display("dep")
    assert shown["Z"] == PRIMARY_SYMBOL and (shown == SECONDARY_SYMBOL).sum() == 1
    assert p.display("total").tolist() == ["1000"]
    assert verify_no_disclosure(p).ok


def test_ten_ones_force_zeros_to_be_masked():
    """Ten communes with one patient each and a group total of 10: with zeros shown, each is exactly
    1 (ten cells >= 1 adding up to <= 10). The group's zeros are then shown as "< 11" too."""
    counts = pd.Series({**{f"g{i}": 1 for i in range(10)}, "g10": 0, "g11": 0, "h0": 50})
    group = pd.Series({**{f"g{i}": "G" for i in range(12)}, "h0": "H"})
    p = protect_counts(counts, {"grp": group})
    units = p.display("unit")
    assert p.zeros_masked and units[["g10", "g11"]].tolist() == [PRIMARY_SYMBOL] * 2
    assert p.display("grp")["G"] == PRIMARY_SYMBOL
    assert verify_no_disclosure(p).ok


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
    assert not protection.zeros_masked
    for name in ("units", "departements", "secteurs", "cross"):
        values = _numbers(masked[name]["patients"])
        assert not any(1 <= v <= 10 for v in values), name
        assert PRIMARY_SYMBOL in set(masked[name]["patients"]), name
    for name, series in masked["white"].items():
        assert not any(1 <= v <= 10 for v in _numbers(series)), name
    # every unit with 1-10 patients is "< 11"; every "s" hides 11 or more; zeros are 0
    cells = protection.cells
    assert (cells.loc[cells["value"].between(1, 10), "display"] == PRIMARY_SYMBOL).all()
    assert (cells.loc[cells["display"] == SECONDARY_SYMBOL, "value"] >= 11).all()
    assert (cells.loc[cells["value"] == 0, "display"] == "0").all()
    # department 15 has 10 demo patients: its total is masked too
    deps = masked["departements"].set_index("departement")["patients"]
    assert deps["15"] == PRIMARY_SYMBOL and deps[TOTAL_LABEL] == str(patients["patients"].sum())


def test_secondary_suppression_holds_on_department_and_sector_totals(protection):
    """The LP audit: no "< 11" cell (unit, department, sector, cross, white zones) can be pinned down."""
    audit = verify_no_disclosure(protection)
    assert audit.ok, audit.disclosed
    levels = set(audit.ranges["level"].map(str))
    assert {"unit", "departement", "secteur", "('departement', 'secteur')"} <= levels
    assert ((audit.ranges["upper"] - audit.ranges["lower"]) >= 1).all()
    assert protection.summary()["departement"]["secondary"] >= 1


def _attack(lines, reading, floor=1):
    """Differencing with bounds, propagated to a fixed point: what a careful reader of the tables can do.

    ``reading`` maps a cell to its displayed text; each line is (total cell, member cells). Every term
    of ``total - sum(members) = 0`` is bounded by the others' bounds, again and again until nothing
    moves. Returns the "< 11" cells whose value is pinned down.
    """
    index = {cell: i for i, cell in enumerate(reading)}
    lo = np.empty(len(index))
    hi = np.empty(len(index))
    for cell, text in reading.items():
        i = index[cell]
        if text == PRIMARY_SYMBOL:
            lo[i], hi[i] = floor, 10
        elif text == SECONDARY_SYMBOL:
            lo[i], hi[i] = 11, np.inf
        else:
            lo[i] = hi[i] = int(text)
    compiled = []
    for total, members in lines:
        cells = np.array([index[total]] + [index[m] for m in members])
        sign = np.r_[1.0, -np.ones(len(members))]
        compiled.append((cells, sign))
    changed = True
    while changed:
        changed = False
        for cells, sign in compiled:
            t_lo = np.where(sign > 0, lo[cells], -hi[cells])        # bounds of each term sign*x
            t_hi = np.where(sign > 0, hi[cells], -lo[cells])
            inf_lo, inf_hi = np.isinf(t_lo), np.isinf(t_hi)
            s_lo, s_hi = t_lo[~inf_lo].sum(), t_hi[~inf_hi].sum()
            rest_lo = np.where(inf_lo.sum() - inf_lo > 0, -np.inf, s_lo - np.where(inf_lo, 0, t_lo))
            rest_hi = np.where(inf_hi.sum() - inf_hi > 0, np.inf, s_hi - np.where(inf_hi, 0, t_hi))
            # sign*x = -rest
            new_lo = np.where(sign > 0, -rest_hi, rest_lo)
            new_hi = np.where(sign > 0, -rest_lo, rest_hi)
            up, down = new_lo > lo[cells] + 1e-9, new_hi < hi[cells] - 1e-9
            if up.any() or down.any():
                lo[cells[up]] = new_lo[up]
                hi[cells[down]] = new_hi[down]
                changed = True
    return {c for c, t in reading.items() if t == PRIMARY_SYMBOL and hi[index[c]] - lo[index[c]] < 1}


def _tables_as_lines(units_table, deps, secs, cross):
    """The reader's view: each published figure and the sums linking them."""
    reading, lines = {}, []
    for row in units_table.itertuples():
        reading[("u", row.code_insee)] = row.patients
    for row in deps.itertuples():
        reading[("d", row.departement)] = row.patients
    for row in secs.itertuples():
        reading[("s", row.secteur)] = row.patients
    for row in cross.itertuples():
        reading[("x", row.departement, row.secteur)] = row.patients
    region = ("d", TOTAL_LABEL)
    body = units_table
    for d, part in body.groupby("departement"):
        lines.append((("d", d), [("u", c) for c in part["code_insee"]]))
        lines.append((("d", d), [("x", d, s) for s in part["secteur"].unique()]))
    for s, part in body.groupby("secteur"):
        lines.append((("s", s), [("u", c) for c in part["code_insee"]]))
        lines.append((("s", s), [("x", d, s) for d in part["departement"].unique()]))
    for (d, s), part in body.groupby(["departement", "secteur"]):
        lines.append((("x", d, s), [("u", c) for c in part["code_insee"]]))
    lines.append((region, [("d", d) for d in deps["departement"] if d != TOTAL_LABEL]))
    lines.append((region, [("s", s) for s in secs["secteur"] if s != TOTAL_LABEL]))
    lines.append((region, [("u", c) for c in body["code_insee"]]))
    for key in (("s", TOTAL_LABEL), ("x", TOTAL_LABEL, TOTAL_LABEL)):
        lines.append((region, [key]))
    for (d, s), text in [((r.departement, r.secteur), r.patients) for r in cross.itertuples()]:
        if s == TOTAL_LABEL and d != TOTAL_LABEL:
            lines.append((("d", d), [("x", d, s)]))
        if d == TOTAL_LABEL and s != TOTAL_LABEL:
            lines.append((("s", s), [("x", d, s)]))
    return reading, lines


def test_adversary_cannot_recover_masked_cells(unit_tab, masked):
    """Subtracting shown cells from totals, with the known bounds, recovers nothing..."""
    reading, lines = _tables_as_lines(masked["units"], masked["departements"], masked["secteurs"], masked["cross"])
    assert sum(1 for t in reading.values() if t == PRIMARY_SYMBOL) > 600
    assert _attack(lines, reading) == set()


def test_adversary_recovers_cells_from_primary_only_masking(unit_tab):
    """...whereas the same attack breaks tables masked cell by cell without secondary suppression."""
    def naive(table):
        out = table.copy()
        out["patients"] = mask_counts(table["patients"]).to_numpy()
        return out
    deps, secs, cross = department_table(unit_tab), sector_table(unit_tab), cross_table(unit_tab)
    reading, lines = _tables_as_lines(naive(unit_tab), naive(deps), naive(secs), naive(cross))
    recovered = _attack(lines, reading)
    assert ("d", "15") in recovered          # 1350 minus the eleven other departments
    assert len(recovered) > 50


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
    reading = {row.secteur: row.patients for row in shown.itertuples()}
    assert _attack([(TOTAL_LABEL, ["A", "B", "C", "D"])], reading) == set()
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
            assert display in (SECONDARY_SYMBOL, str(row["patients"]))


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
