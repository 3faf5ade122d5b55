"""Statistical disclosure control of patient counts for everything that goes to the ARS.

The rule (symbols shown to users)
---------------------------------
* **Primary suppression.** A count from 1 to 10 is shown as ``"< 11"``
  (:data:`PRIMARY_SYMBOL`), wherever it appears: a unit, a department, a
  sector, a department x sector cell, a total.
* **Zero.** A count of 0 is shown as ``0``: "no patient from this commune" is
  not a disclosure about a person, and maps of patients stay readable. Shown
  zeros are exact information, and the protection below takes them into
  account (an attacker knows those cells exactly). When a primary cell cannot
  be protected otherwise (every other cell of its lines already hidden or 0,
  e.g. 10 communes with one patient each and a total of 10), the zeros of
  one of its lines are shown as ``"< 11"`` too (true: 0 < 11). The audit
  then lets ``"< 11"`` mean 0-10 for every cell of a line that shows no
  number at all (the only lines where this can happen), 1-10 elsewhere.
* **Secondary suppression.** A count of 11 or more hidden so that no
  ``"< 11"`` cell can be recovered from totals or differences is shown as
  ``"s"`` (:data:`SECONDARY_SYMBOL`, "secret"). Zero cells are never chosen
  for secondary suppression, so ``"s"`` always means 11 or more, and the
  audit assumes the attacker knows it.

What is protected, and how it is proved
---------------------------------------
Every published cell is the sum of per-unit counts over a set of units (the
unit itself, a department, a sector, a department x sector cell, the whole
region, or any other grouping passed in). An attacker who reads all the
published tables knows, for each cell: its exact value (shown), that it is in
1-10 (``"< 11"``), or that it is at least 11 (``"s"``), and that every unit
count is >= 0. These are linear constraints on the unknown unit counts.

:func:`verify_no_disclosure` is the attacker: by linear programming (the
"audit" of tau-ARGUS) it finds, for every ``"< 11"`` cell, values it can take
under those constraints. A cell is protected when at least two integers
(``protection`` = 1, the default: its feasible range is at least 1 wide) are
possible; its exact value then cannot be derived by any combination of sums
and differences. A masked zero pinned to 0 is not a disclosure (zeros are
public anyway). Bounds come from the LP relaxation, which is exact for
hierarchical and two-way tables (their constraint matrices are totally
unimodular); with overlapping groupings (white-zone criteria) the LP range
may be wider than the integer one.

:func:`protect_counts` chooses the cells to hide:

1. primary: every cell of 1-10;
2. lines: for every published total and the published cells that add up to it
   (units -> department -> region, units -> sector -> region, department x
   sector cells -> margins, ...), the feasible interval of each ``"< 11"``
   cell of the line is computed from the others' bounds; while it is narrower
   than ``protection`` (e.g. a single hidden cell in a line), the smallest
   shown non-zero cell of the line is hidden (``"s"``), or the line's total
   when no such cell is left; repeated over all lines to a fixed point, so it
   crosses levels both ways;
3. audit: :func:`verify_no_disclosure` on the whole system; for any cell
   still recoverable, the smallest shown cell among those the attacker's
   derivation used (the binding constraints of the audit's linear programs)
   is hidden too, and steps 2-3 repeat until the audit passes.

Each published grouping adds equations. Departments, sectors and their cross
table need few secondary cells on the demo data (about 12 units, a few
departments and sectors); adding the four overlapping white-zone criteria as
well hides much more (the region total included) and masks zeros: publish
white-zone patients per criterion only when they are needed.

Public names
------------
mask_counts
    Primary suppression only, for a list of counts published without any
    total (a map's labels). Never use it for a table with totals.
protect_counts
    Primary and secondary suppression over units and any groupings with their
    totals; returns a :class:`Protection`, from which every table is masked
    consistently.
Protection
    ``display(level)``, ``frame(level)``, ``mask(table)``; ``cells`` holds
    every cell with its status.
mask_table
    Mask the patient column(s) of a unit / department / sector / cross table.
ars_mode
    For the app's "ARS" display mode: any table with a ``patients`` column
    returned with only masked figures.
verify_no_disclosure, AuditResult
    The LP audit.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

__all__ = ["PRIMARY_SYMBOL", "SECONDARY_SYMBOL", "THRESHOLD", "TOTAL_LABEL", "mask_counts", "protect_counts",
           "Protection", "mask_table", "ars_mode", "verify_no_disclosure", "AuditResult", "parse_display"]

#: Counts from 1 to THRESHOLD are never shown.
THRESHOLD = 10
#: How a count of 1 to 10 is shown.
PRIMARY_SYMBOL = "< 11"
#: How a count of 11 or more hidden to protect another cell is shown.
SECONDARY_SYMBOL = "s"
#: Key of total rows in tables and of the region total cell.
TOTAL_LABEL = "Total"

SHOWN, PRIMARY, SECONDARY = 0, 1, 2
UNIT = "unit"
TOTAL = "total"
#: Cap on unit counts in the audit's LP (only makes the attacker stronger).
_CAP = 1e6
_EPS = 1e-6


def _primary_symbol(threshold: int) -> str:
    return f"< {threshold + 1}"


def _check_threshold(threshold) -> int:
    if not (isinstance(threshold, (int, np.integer)) and threshold >= 1):
        raise ValueError(f"threshold: expected a positive integer (10: counts 1-10 hidden), got {threshold!r}")
    return int(threshold)


def _check_counts(values, name="counts") -> pd.Series:
    series = pd.Series(values).copy()
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() | (numeric < 0) | (numeric != np.floor(numeric))
    if bad.any():
        raise ValueError(f"{name}: counts must be non-negative integers; got {series[bad].head(5).tolist()} "
                         f"at {list(series.index[bad][:5])}")
    return numeric.astype("int64")


def mask_counts(values, threshold: int = THRESHOLD) -> pd.Series:
    """Primary suppression only: counts 1-10 as ``"< 11"``, others as text.

    Use it only for counts published **without totals** (e.g. the labels of
    a map in ARS mode, when no table with totals is shown next to it). For
    tables with totals use :func:`protect_counts` / :func:`mask_table`.

    Parameters
    ----------
    values : Series or array of non-negative integers
    threshold : int
        Largest hidden count (default 10).

    Returns
    -------
    Series of str, same index.

    Examples
    --------
    >>> mask_counts(pd.Series([0, 3, 10, 11, 250])).tolist()
    ['0', '< 11', '< 11', '11', '250']
    """
    threshold = _check_threshold(threshold)
    counts = _check_counts(values, "values")
    symbol = _primary_symbol(threshold)
    return counts.map(lambda v: symbol if 1 <= v <= threshold else str(int(v))).astype(object)


def parse_display(text, threshold: int = THRESHOLD):
    """What an attacker reads from a displayed cell: ``("value", v)``, ``("primary", None)`` or ``("secondary", None)``."""
    text = str(text).strip()
    if text == _primary_symbol(threshold):
        return "primary", None
    if text == SECONDARY_SYMBOL:
        return "secondary", None
    try:
        return "value", int(text.replace("\u202f", "").replace(" ", ""))
    except ValueError:
        raise ValueError(f"display: {text!r} is neither a count, {_primary_symbol(threshold)!r} "
                         f"nor {SECONDARY_SYMBOL!r}") from None


# -- the protection ---------------------------------------------------------------------------
@dataclass
class Protection:
    """Suppression pattern over every published cell (result of :func:`protect_counts`).

    Attributes
    ----------
    cells : DataFrame
        One row per cell: ``level`` (``"unit"``, a grouping name, a cross
        level such as ``"departement x secteur"``, ``"total"``), ``key``
        (code_insee, group label, tuple of labels, ``"Total"``), ``value``
        (true count: never publish this column), ``status`` (``shown``,
        ``primary``, ``secondary``) and ``display`` (what is shown).
    membership : sparse matrix (cells x units)
        Which units each cell adds up.
    units : Index
        The units' codes, in the membership's column order.
    lines : list of (int, ndarray)
        Each published total's cell and the published cells adding up to it.
    levels : dict
        ``level -> key column(s)`` of the tables at that level.
    threshold, protection : int
    zeros_masked : bool
        Whether some zeros had to be shown as ``"< 11"``.
    publish_units : bool
        Whether the unit level is published.
    rounds : int
        Rounds of line pass + audit used.
    unit_values : ndarray
        True count of each unit (never publish): one feasible point for the audit.
    audit : AuditResult
        The passing audit.
    """

    cells: pd.DataFrame
    membership: sparse.csr_matrix
    units: pd.Index
    lines: list
    levels: dict
    threshold: int = THRESHOLD
    protection: int = 1
    zeros_masked: bool = False
    publish_units: bool = True
    rounds: int = 0
    unit_values: np.ndarray | None = field(default=None, repr=False)
    audit: "AuditResult | None" = field(default=None, repr=False)

    def _level_cells(self, level) -> pd.DataFrame:
        if level not in self.levels:
            raise ValueError(f"level: {level!r} is not a published level; allowed: {list(self.levels)}")
        return self.cells[self.cells["level"] == level]

    def display(self, level) -> pd.Series:
        """Displayed count of each cell of a level, indexed by key."""
        cells = self._level_cells(level)
        return pd.Series(cells["display"].to_numpy(), index=pd.Index(cells["key"].tolist()), name="patients")

    def frame(self, level) -> pd.DataFrame:
        """The cells of a level as a table: key column(s), ``patients`` (displayed), ``status``."""
        cells = self._level_cells(level)
        columns = self.levels[level]
        keys = cells["key"].tolist()
        if len(columns) == 1:
            out = pd.DataFrame({columns[0]: keys})
        else:
            out = pd.DataFrame(keys, columns=list(columns))
        out["patients"] = cells["display"].to_numpy()
        out["status"] = cells["status"].to_numpy()
        return out

    def mask(self, table: pd.DataFrame, level=None, column: str = "patients",
             derived: Iterable[str] = ()) -> pd.DataFrame:
        """See :func:`mask_table`."""
        return mask_table(table, self, level=level, column=column, derived=derived)

    def summary(self) -> dict:
        """Counts of cells per status and level."""
        table = self.cells.groupby(["level", "status"]).size().unstack(fill_value=0)
        return {str(level): row.to_dict() for level, row in table.iterrows()}


def _as_grouping(name, grouping, units_index: pd.Index, units_frame) -> pd.Series:
    if isinstance(grouping, str):
        if units_frame is None or grouping not in units_frame.columns:
            raise ValueError(f"groupings[{name!r}]: {grouping!r} names a column of units, but units "
                             f"{'is not given' if units_frame is None else 'has no such column'}")
        grouping = units_frame.set_index("code_insee")[grouping]
    elif isinstance(grouping, pd.DataFrame):
        if "code_insee" not in grouping.columns or grouping.shape[1] != 2:
            raise ValueError(f"groupings[{name!r}]: a frame needs code_insee and one label column "
                             f"(e.g. plan.csv: code_insee, sector); got {list(grouping.columns)}")
        other = [c for c in grouping.columns if c != "code_insee"][0]
        grouping = grouping.set_index("code_insee")[other]
    elif isinstance(grouping, Mapping):
        grouping = pd.Series(dict(grouping))
    elif not isinstance(grouping, pd.Series):
        raise TypeError(f"groupings[{name!r}]: expected a Series code_insee -> label, a frame, a mapping "
                        f"or a column name; got {type(grouping).__name__}")
    grouping = grouping.copy()
    grouping.index = grouping.index.astype(str)
    if grouping.index.duplicated().any():
        raise ValueError(f"groupings[{name!r}]: a unit appears twice, e.g. "
                         f"{grouping.index[grouping.index.duplicated()][:3].tolist()}")
    unknown = grouping.index.difference(units_index)
    if len(unknown):
        raise ValueError(f"groupings[{name!r}]: {len(unknown)} code(s) are not among the counted units, "
                         f"e.g. {unknown[:5].tolist()}")
    return grouping.reindex(units_index)


def protect_counts(counts, groupings: Mapping | None = None, *, units: pd.DataFrame | None = None,
                   cross: Sequence[tuple[str, str]] = (), publish_units: bool = True,
                   threshold: int = THRESHOLD, protection: int = 1, max_rounds: int = 200) -> Protection:
    """Primary and secondary suppression of per-unit counts and all their published totals.

    Parameters
    ----------
    counts : Series or DataFrame
        Patients per unit: a Series indexed by code_insee, or a frame with
        ``code_insee`` and ``patients``. Units of ``units`` absent here count 0.
    groupings : mapping, optional
        ``name -> grouping`` published as tables with their totals: a Series
        code_insee -> label (e.g. the sector plan), a frame ``code_insee,
        label`` (``plan.csv``), or the name of a column of ``units`` (e.g.
        ``"departement"``). Units without a label belong to no cell of that
        grouping. Default: ``{"departement": "departement"}`` when ``units``
        is given.
    units : DataFrame, optional
        The sector units (their ``code_insee`` define the universe: units
        without patients are published as 0).
    cross : sequence of (name, name)
        Cross tables to publish, e.g. ``[("departement", "secteur")]``: one
        cell per pair of labels present, with both margins.
    publish_units : bool
        Whether the per-unit counts are published (default True). If False,
        only groupings, cross tables and the region total are.
    threshold : int
        Largest hidden count (10: "< 11").
    protection : int
        Minimal width of the feasible range of every hidden 1-10 cell (1: at
        least two values possible).
    max_rounds : int
        Limit on audit rounds.

    Returns
    -------
    Protection

    Raises
    ------
    ValueError
        Bad counts or groupings (message names the value and what is allowed).
    RuntimeError
        When ``max_rounds`` rounds do not reach a protected pattern, or no
        cell is left to hide; the message names cells still recoverable.

    Notes
    -----
    On the demo data (1,350 patients, 610 units) with departments, 33
    sectors and their cross table this takes about 2 s (a few hundred small
    linear programs). Cache the result: every table and export of one
    session must use the same :class:`Protection`, or differences between
    two patterns could reveal cells.

    Examples
    --------
    >>> counts = pd.Series({"a": 5, "b": 20, "c": 30, "d": 0})
    >>> p = protect_counts(counts, {"dep": pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})})
    >>> p.display("unit").tolist(), p.display("dep").tolist(), p.display("total").tolist()
    (['< 11', 's', '30', '0'], ['25', '30'], ['55'])
    """
    threshold = _check_threshold(threshold)
    if not (isinstance(protection, (int, np.integer)) and 1 <= protection <= threshold - 1):
        raise ValueError(f"protection: expected an integer from 1 to {threshold - 1}, got {protection!r}")
    if isinstance(counts, pd.DataFrame):
        if not {"code_insee", "patients"} <= set(counts.columns):
            raise ValueError(f"counts: expected columns code_insee, patients; got {list(counts.columns)}")
        counts = counts.groupby(counts["code_insee"].astype(str))["patients"].sum()
    counts = _check_counts(counts)
    counts.index = counts.index.astype(str)
    if counts.index.duplicated().any():
        raise ValueError(f"counts: duplicated codes {counts.index[counts.index.duplicated()][:5].tolist()}")
    if units is not None:
        if "code_insee" not in units.columns:
            raise ValueError(f"units: missing column 'code_insee'; got {list(units.columns)}")
        unknown = counts.index.difference(pd.Index(units["code_insee"]))
        if len(unknown):
            raise ValueError(f"counts: {len(unknown)} code(s) are not sector units, e.g. {unknown[:5].tolist()}")
        counts = counts.reindex(pd.Index(units["code_insee"].astype(str), name="code_insee"), fill_value=0)
    if groupings is None:
        groupings = {"departement": "departement"} if units is not None else {}
    unit_index = pd.Index(counts.index, name="code_insee")
    n = len(unit_index)
    values_u = counts.to_numpy()

    # -- cells: (level, key, membership) -------------------------------------------------------
    labels: dict = {}
    for name, grouping in groupings.items():
        if name in (UNIT, TOTAL):
            raise ValueError(f"groupings: {name!r} is reserved; use another name")
        labels[name] = _as_grouping(name, grouping, unit_index, units)
    for pair in cross:
        if len(pair) != 2 or any(p not in labels for p in pair):
            raise ValueError(f"cross: {pair!r} must name two groupings among {list(labels)}")
        a, b = labels[pair[0]], labels[pair[1]]
        both = a.notna() & b.notna()
        labels[tuple(pair)] = pd.Series([(x, y) if ok else None for x, y, ok in zip(a, b, both)],
                                        index=unit_index, dtype=object)

    level_names, keys, rows, cols, level_of_unit = [], [], [], [], {}
    levels: dict = {}

    def add_level(level, group_of_unit: np.ndarray, group_keys: list, columns: tuple):
        offset = len(keys)
        level_names.extend([level] * len(group_keys))
        keys.extend(group_keys)
        ok = group_of_unit >= 0
        rows.append(offset + group_of_unit[ok])
        cols.append(np.flatnonzero(ok))
        level_of_unit[level] = np.where(ok, offset + group_of_unit, -1)
        levels[level] = columns

    if publish_units:
        add_level(UNIT, np.arange(n), unit_index.tolist(), ("code_insee",))
    for name, series in labels.items():
        present = series.dropna()
        group_keys = sorted(set(present.tolist()), key=lambda k: (str(type(k)), k))
        position = {k: i for i, k in enumerate(group_keys)}
        group = np.array([position[v] if v is not None and v == v else -1 for v in series.tolist()],
                         dtype=np.int64)
        add_level(name, group, group_keys, tuple(name) if isinstance(name, tuple) else (name,))
    add_level(TOTAL, np.zeros(n, dtype=np.int64), [TOTAL_LABEL], ("total",))

    n_cells = len(keys)
    membership = sparse.csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(n_cells, n))
    values = np.asarray(membership @ values_u).astype(np.int64).ravel()
    sizes = np.diff(membership.indptr)

    # -- lines: a published total and the published cells of a finer level adding up to it ----
    lines = []
    for coarse, coarse_cells in level_of_unit.items():
        for fine, fine_cells in level_of_unit.items():
            if fine == coarse:
                continue
            frame = pd.DataFrame({"fine": fine_cells, "coarse": coarse_cells})
            frame = frame[frame["fine"] >= 0]
            mapping = frame.groupby("fine")["coarse"].agg(["min", "max"])
            inside = mapping[(mapping["min"] == mapping["max"]) & (mapping["min"] >= 0)]["min"]
            for total_cell, members in inside.groupby(inside).groups.items():
                members = np.asarray(members, dtype=np.int64)
                if sizes[members].sum() == sizes[total_cell] and not (
                        len(members) == 1 and level_names[members[0]] == level_names[total_cell]):
                    lines.append((int(total_cell), members))

    cells = pd.DataFrame({"level": pd.Series(level_names, dtype=object), "key": pd.Series(keys, dtype=object),
                          "value": values})
    status = np.where((values >= 1) & (values <= threshold), PRIMARY, SHOWN).astype(np.int8)
    lines_of_cell: dict[int, list[int]] = {}
    for index, (total_cell, members) in enumerate(lines):
        for cell in (total_cell, *members.tolist()):
            lines_of_cell.setdefault(cell, []).append(index)

    audit = None
    order = {i: len(members) for i, (_, members) in enumerate(lines)}
    # the cost of hiding a cell: its count, and the region total only as a last resort
    cost = values + np.where(np.array(level_names, dtype=object) == TOTAL, 10**12, 0)
    for round_ in range(1, max_rounds + 1):
        _line_pass(lines, values, status, threshold, protection)
        protected = _protection_from(cells, status, membership, unit_index, lines, levels, threshold,
                                     protection, publish_units, round_)
        protected.unit_values = values_u
        audit = verify_no_disclosure(protected)
        if audit.ok:
            protected.audit = audit
            return protected
        changed = False
        for cell in audit.disclosed["cell"].tolist():
            changed |= _hide_one_more(cell, audit.binding.get(cell, []), lines, lines_of_cell, order, values,
                                      status, cost)
        if not changed:
            break
    raise RuntimeError(f"protect_counts: {len(audit.disclosed)} cell(s) still recoverable after {round_} "
                       f"round(s), e.g. {audit.disclosed[['level', 'key']].head(3).to_dict('records')}")


def _hide_one_more(cell, binding, lines, lines_of_cell, order, values, status, cost) -> bool:
    """One more suppression for a cell the audit found recoverable.

    First choice: the smallest shown non-zero cell among those the attacker's
    derivation used (binding constraints of the audit's LPs). Else the zeros
    of the smallest line of a binding "< 11" total (the "ten ones adding up
    to at most 10" case). Else the smallest shown non-zero cell of the cell's
    smallest line that has one; else the zeros of its smallest line.
    """
    binding = np.asarray(binding, dtype=np.int64)
    if len(binding):
        candidates = binding[(status[binding] == SHOWN) & (values[binding] > 0)]
        if len(candidates):
            status[candidates[np.lexsort((candidates, cost[candidates]))[0]]] = SECONDARY
            return True
        small_totals = set(binding[status[binding] == PRIMARY].tolist())
        for i in sorted((i for i, (total, _) in enumerate(lines) if total in small_totals),
                        key=lambda i: (order[i], i)):
            members = lines[i][1]
            zeros = members[(status[members] == SHOWN) & (values[members] == 0)]
            if len(zeros) and not ((status[members] == SHOWN) & (values[members] > 0)).any():
                status[zeros] = PRIMARY
                return True
    line_ids = sorted(lines_of_cell.get(cell, []), key=lambda i: (order[i], i))
    for i in line_ids:
        members = np.append(lines[i][1], lines[i][0])
        candidates = members[(status[members] == SHOWN) & (values[members] > 0)]
        if len(candidates):
            status[candidates[np.lexsort((candidates, cost[candidates]))[0]]] = SECONDARY
            return True
    for i in line_ids:
        total, members = lines[i]
        zeros = members[(status[members] == SHOWN) & (values[members] == 0)]
        if len(zeros) and status[total] != SHOWN and not ((status[members] == SHOWN) & (values[members] > 0)).any():
            status[zeros] = PRIMARY      # the line then shows no number: "< 11" may mean 0 there
            return True
    return False


def _floors(status_or_kind, lines, n_cells) -> np.ndarray:
    """Lowest value an attacker can assume for each "< 11" cell: 0 when the cell belongs to a line that
    shows no number at all (the only lines where the rule may have masked zeros), else 1."""
    floors = np.ones(n_cells)
    for total_cell, members in lines:
        if status_or_kind[total_cell] != SHOWN and (status_or_kind[members] != SHOWN).all():
            floors[members] = 0.0
    return floors


def _protection_from(cells, status, membership, unit_index, lines, levels, threshold, protection,
                     publish_units, rounds) -> Protection:
    names = np.array(["shown", "primary", "secondary"], dtype=object)
    out = cells.copy()
    out["status"] = names[status]
    symbol = _primary_symbol(threshold)
    out["display"] = np.where(status == PRIMARY, symbol,
                              np.where(status == SECONDARY, SECONDARY_SYMBOL, out["value"].astype(str)))
    return Protection(out, membership, unit_index, lines, levels, threshold, protection,
                      zeros_masked=bool(((status == PRIMARY) & (out["value"].to_numpy() == 0)).any()),
                      publish_units=publish_units, rounds=rounds)


def _line_pass(lines, values, status, threshold, protection) -> None:
    """Hide the smallest shown cell of every line where a "< 11" cell is too narrowly bounded; to a fixed point.

    A line where nothing non-zero is left to hide and whose total is itself
    "< 11" (e.g. 10 patients in 10 communes, one each) gets its zeros shown
    as "< 11", so that the attacker no longer knows which cells are non-zero.
    """
    changed = True
    while changed:
        changed = False
        floors = _floors(status, lines, len(status))
        for total_cell, members in lines:
            cells = np.append(total_cell, members)
            st = status[cells]
            if not (st != SHOWN).any():
                continue
            if not _line_problem(st, values[cells], floors[cells], threshold, protection):
                continue
            candidates = members[(status[members] == SHOWN) & (values[members] > 0)]
            if len(candidates):
                status[candidates[np.lexsort((candidates, values[candidates]))[0]]] = SECONDARY
            elif status[total_cell] == SHOWN and values[total_cell] > 0:
                status[total_cell] = SECONDARY
            else:
                zeros = members[(status[members] == SHOWN) & (values[members] == 0)]
                if not len(zeros) or status[total_cell] == SHOWN:
                    continue   # nothing left in this line; the audit will decide
                status[zeros] = PRIMARY      # the line then shows no number: "< 11" may mean 0 there
            changed = True
            floors = _floors(status, lines, len(status))


def _line_problem(st, vals, floors, threshold, protection) -> bool:
    """Whether some "< 11" cell of the line (total first) has a feasible interval narrower than ``protection``."""
    coef = -np.ones(len(st))
    coef[0] = 1.0
    hidden = st != SHOWN
    known = float((coef[~hidden] * vals[~hidden]).sum())       # sum over hidden of coef*x = -known
    lo = np.where(st == PRIMARY, floors, threshold + 1).astype(float)[hidden]
    hi = np.where(st == PRIMARY, threshold, np.inf)[hidden]
    c = coef[hidden]
    cmin = np.where(c > 0, lo, -hi)
    cmax = np.where(c > 0, hi, -lo)
    fin_min, fin_max = np.isfinite(cmin), np.isfinite(cmax)
    smin, smax = cmin[fin_min].sum(), cmax[fin_max].sum()
    nmin, nmax = (~fin_min).sum(), (~fin_max).sum()
    for k in np.flatnonzero(st[hidden] == PRIMARY):
        others_min = -np.inf if nmin - (not fin_min[k]) > 0 else smin - (cmin[k] if fin_min[k] else 0.0)
        others_max = np.inf if nmax - (not fin_max[k]) > 0 else smax - (cmax[k] if fin_max[k] else 0.0)
        # c_k x_k = -known - others
        a, b = -known - others_max, -known - others_min
        if c[k] < 0:
            a, b = -b, -a
        low, high = max(lo[k], a), min(hi[k], b)
        if np.floor(high + _EPS) - np.ceil(low - _EPS) < protection:
            return True
    return False


# -- the audit --------------------------------------------------------------------------------
@dataclass
class AuditResult:
    """Result of :func:`verify_no_disclosure`.

    Attributes
    ----------
    ok : bool
        True when no ``"< 11"`` cell can be narrowed below ``protection``.
    ranges : DataFrame
        One row per ``"< 11"`` cell: ``cell``, ``level``, ``key``, ``lower``,
        ``upper``. For protected cells, values proved feasible (the true
        range may be wider); for disclosed cells, the exact LP range.
    disclosed : DataFrame
        The rows of ``ranges`` whose range is narrower than ``protection``.
    lps : int
        Linear programs solved.
    binding : dict
        For each disclosed cell, the published cells whose constraints bind
        in the linear programs that pin it down (what the attacker used).
    """

    ok: bool
    ranges: pd.DataFrame
    disclosed: pd.DataFrame
    lps: int
    binding: dict = field(default_factory=dict)


def verify_no_disclosure(protection: Protection, min_width: int | None = None, seed: int = 0) -> AuditResult:
    """Prove that no ``"< 11"`` cell can be recovered from the published cells.

    The constraints come only from what is published (the ``display``
    column) and which units each cell adds up; the true unit counts serve
    only as one feasible point (they are, by construction) from which
    exchanges between units that add up to the same published cells give
    other feasible points without LP. The attacker's knowledge: shown cells
    exact, ``"< 11"`` in 1-10 (0-10 when zeros were masked), ``"s"`` >= 11,
    unit counts >= 0 (and, to keep the programs bounded, <= 10^6, which only
    helps the attacker). For each ``"< 11"`` cell, linear programs find
    feasible values; the cell is protected when the integers between the
    smallest and largest feasible values span at least ``min_width``.

    Parameters
    ----------
    protection : Protection
        The published pattern (from :func:`protect_counts`, or any
        :class:`Protection` whose ``display`` column was edited).
    min_width : int, optional
        Required width (default ``protection.protection``).
    seed : int
        Seed of the random objectives used to find diverse feasible points.

    Returns
    -------
    AuditResult

    Raises
    ------
    ValueError
        When the published cells are inconsistent (no unit counts fit them).
    """
    if not isinstance(protection, Protection):
        raise TypeError(f"protection: expected a Protection (from protect_counts), got {type(protection).__name__}")
    min_width = protection.protection if min_width is None else int(min_width)
    threshold = protection.threshold
    cells = protection.cells
    parsed = [parse_display(text, threshold) for text in cells["display"]]
    kind = np.array([k for k, _ in parsed], dtype=object)
    codes = np.select([kind == "primary", kind == "secondary"], [PRIMARY, SECONDARY], SHOWN)
    floor = _floors(codes, protection.lines, len(cells))
    shown_value = np.array([v if v is not None else 0 for _, v in parsed], dtype=float)
    membership = protection.membership.tocsr()
    n = membership.shape[1]
    is_unit = (cells["level"] == UNIT).to_numpy()

    lower = np.zeros(n)
    upper = np.full(n, _CAP)
    if is_unit.any():
        unit_cells = np.flatnonzero(is_unit)
        unit_of = membership[unit_cells].indices            # one unit per unit cell, in order
        k = kind[unit_cells]
        lower[unit_of] = np.where(k == "value", shown_value[unit_cells],
                                  np.where(k == "primary", floor[unit_cells], threshold + 1))
        upper[unit_of] = np.where(k == "value", shown_value[unit_cells], np.where(k == "primary", threshold, _CAP))
    fixed = lower == upper
    free = np.flatnonzero(~fixed)
    x_fixed = np.where(fixed, lower, 0.0)
    constant = membership @ x_fixed
    reduced = membership[:, free].tocsr()

    aggregate = ~is_unit
    eq = np.flatnonzero(aggregate & (kind == "value"))
    prim = np.flatnonzero(aggregate & (kind == "primary"))
    sec = np.flatnonzero(aggregate & (kind == "secondary"))
    a_eq = reduced[eq]
    b_eq = shown_value[eq] - constant[eq]
    a_ub = sparse.vstack([reduced[prim], -reduced[prim], -reduced[sec]]).tocsr()
    b_ub = np.concatenate([threshold - constant[prim], -(floor[prim] - constant[prim]), -(threshold + 1 - constant[sec])])
    bounds = np.column_stack([lower[free], upper[free]])

    targets = np.flatnonzero(kind == "primary")
    t_matrix = reduced[targets]
    t_const = constant[targets]
    seen_min = np.full(len(targets), np.inf)
    seen_max = np.full(len(targets), -np.inf)
    lps = 0
    x_true = None
    if protection.unit_values is not None:
        x_true = np.asarray(protection.unit_values, dtype=float)[free]
        _check_feasible(x_true, a_eq, b_eq, a_ub, b_ub, bounds)

    last = {}

    def solve(objective):
        nonlocal lps
        lps += 1
        if len(free) == 0:
            return np.zeros(0)
        result = linprog(objective, A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                         A_eq=a_eq if a_eq.shape[0] else None, b_eq=b_eq if a_eq.shape[0] else None,
                         bounds=bounds, method="highs")
        if result.status == 2:
            raise ValueError("verify_no_disclosure: the published cells are inconsistent (no unit counts fit them)")
        if result.status != 0:
            raise RuntimeError(f"verify_no_disclosure: linear program failed ({result.message})")
        last["result"] = result
        return result.x

    agg_rows = np.concatenate([prim, prim, sec])

    def binding_cells():
        result = last.get("result")
        if result is None or len(free) == 0:
            return set()
        used = set()
        if a_eq.shape[0]:
            used |= set(eq[np.abs(result.eqlin.marginals) > 1e-9].tolist())
        if a_ub.shape[0]:
            used |= set(agg_rows[np.abs(result.ineqlin.marginals) > 1e-9].tolist())
        return used

    def record(x):
        observed = np.asarray(t_matrix @ x).ravel() + t_const
        np.minimum(seen_min, observed, out=seen_min)
        np.maximum(seen_max, observed, out=seen_max)

    def width(i):
        return np.floor(seen_max[i] + _EPS) - np.ceil(seen_min[i] - _EPS)

    binding: dict = {}
    if len(targets):
        if x_true is not None:
            record(x_true)
            _exchanges(reduced[np.flatnonzero(aggregate)], x_true, bounds, targets, is_unit, free, membership, seen_min, seen_max)
        else:
            rng = np.random.default_rng(seed)
            for _ in range(3):
                direction = rng.normal(size=len(free))
                record(solve(direction))
                record(solve(-direction))
        for i in range(len(targets)):
            if width(i) >= min_width:
                continue
            row = t_matrix[i].toarray().ravel()
            record(solve(-row))
            used = binding_cells()
            if width(i) < min_width:
                record(solve(row))
                used |= binding_cells()
            if width(i) < min_width and np.floor(seen_max[i] + _EPS) >= 1:
                binding[int(targets[i])] = sorted(used)

    ranges = pd.DataFrame({"cell": targets, "level": cells["level"].to_numpy()[targets],
                           "key": cells["key"].to_numpy()[targets], "lower": np.round(seen_min, 6),
                           "upper": np.round(seen_max, 6)})
    widths = np.array([width(i) for i in range(len(targets))]) if len(targets) else np.zeros(0)
    # a "< 11" cell pinned to 0 reveals that nobody lives there, which zeros shown as 0 say anyway
    pinned_to_zero = np.floor(seen_max + _EPS) < 1 if len(targets) else np.zeros(0, bool)
    disclosed = ranges[(widths < min_width) & ~pinned_to_zero].reset_index(drop=True)
    return AuditResult(bool(len(disclosed) == 0), ranges, disclosed, lps, binding)


def _check_feasible(x, a_eq, b_eq, a_ub, b_ub, bounds) -> None:
    """The true counts must satisfy what is published (else the tables were edited inconsistently)."""
    ok = np.all(x >= bounds[:, 0] - _EPS) and np.all(x <= bounds[:, 1] + _EPS)
    if a_eq.shape[0]:
        ok &= np.allclose(a_eq @ x, b_eq)
    if a_ub.shape[0]:
        ok &= bool(np.all(a_ub @ x <= b_ub + _EPS))
    if not ok:
        raise ValueError("verify_no_disclosure: the displayed cells do not fit the protected counts")


def _exchanges(reduced, x, bounds, targets, is_unit, free, membership, seen_min, seen_max) -> None:
    """Feasible values of hidden units proved without LP: units that add up to exactly the same published
    cells are exchangeable (moving patients between them changes no published figure), so each can take
    any value its group's sum and the others' bounds allow."""
    columns = reduced.tocsc()
    signature = [columns.indices[columns.indptr[k]:columns.indptr[k + 1]].tobytes() for k in range(len(free))]
    group = pd.Series(signature).factorize()[0]
    lo, hi = bounds[:, 0], bounds[:, 1]
    total = np.bincount(group, weights=x)
    sum_lo = np.bincount(group, weights=lo)
    sum_hi = np.bincount(group, weights=np.minimum(hi, 1e12))
    can_low = np.maximum(lo, total[group] - (sum_hi[group] - np.minimum(hi, 1e12)))
    can_high = np.minimum(hi, total[group] - (sum_lo[group] - lo))
    position = np.full(membership.shape[1], -1)
    position[free] = np.arange(len(free))
    for i, cell in enumerate(targets):
        if is_unit[cell]:
            k = position[membership.indices[membership.indptr[cell]]]
            if k >= 0:
                seen_min[i] = min(seen_min[i], can_low[k])
                seen_max[i] = max(seen_max[i], can_high[k])


# -- tables -----------------------------------------------------------------------------------
def _detect_level(table: pd.DataFrame, protection: Protection):
    if UNIT in protection.levels and "code_insee" in table.columns:
        return UNIT
    for level, columns in sorted(protection.levels.items(), key=lambda kv: -len(kv[1])):
        if level != TOTAL and all(c in table.columns for c in columns):
            return level
    allowed = {level: list(columns) for level, columns in protection.levels.items() if level != TOTAL}
    raise ValueError(f"table: cannot tell its level from columns {list(table.columns)}; pass level= "
                     f"(allowed: {allowed})")


def mask_table(table: pd.DataFrame, protection: Protection, level=None, column: str = "patients",
               derived: Iterable[str] = ()) -> pd.DataFrame:
    """The table with its count column replaced by the displayed (masked) values.

    Parameters
    ----------
    table : DataFrame
        A unit, grouping or cross table whose key column(s) are those of a
        published level (``code_insee``; the grouping's name, e.g.
        ``departement``; both names for a cross table). A row whose key is
        ``"Total"`` takes the region total's display; in a cross table
        ``(d, "Total")`` and ``("Total", s)`` take the margins' (see
        :func:`services.coverage.tables.cross_table`).
    protection : Protection
        From :func:`protect_counts` over the same counts.
    level : optional
        The level; detected from the columns when omitted.
    column : str
        The count column (default ``patients``); its values must equal the
        protected counts (checked).
    derived : iterable of str
        Columns computed from the counts (rates, shares): replaced by the
        count's symbol where the count is hidden.

    Returns
    -------
    DataFrame
        A copy; ``column`` holds strings.

    Raises
    ------
    ValueError
        Unknown level or key, or counts that differ from the protected ones.
    """
    if column not in table.columns:
        raise ValueError(f"column: {column!r} is not in the table; columns are {list(table.columns)}")
    level = _detect_level(table, protection) if level is None else level
    columns = protection.levels.get(level)
    if columns is None:
        raise ValueError(f"level: {level!r} is not published; allowed: {list(protection.levels)}")
    cells = protection.cells
    lookup = {(lvl, key): i for i, (lvl, key) in enumerate(zip(cells["level"], cells["key"]))}
    out = table.copy()
    positions = []
    for row in table[list(columns)].itertuples(index=False):
        key = row[0] if len(columns) == 1 else tuple(row)
        if key == TOTAL_LABEL or (isinstance(key, tuple) and all(k == TOTAL_LABEL for k in key)):
            positions.append(lookup[(TOTAL, TOTAL_LABEL)])
        elif isinstance(key, tuple) and isinstance(level, tuple) and TOTAL_LABEL in key:
            margin = level[1] if key[0] == TOTAL_LABEL else level[0]     # (d, Total) -> department d
            other = key[1] if key[0] == TOTAL_LABEL else key[0]
            if (margin, other) not in lookup:
                raise ValueError(f"table: margin {key!r} is not a cell of level {margin!r}")
            positions.append(lookup[(margin, other)])
        elif (level, key) in lookup:
            positions.append(lookup[(level, key)])
        else:
            raise ValueError(f"table: key {key!r} is not a cell of level {level!r}")
    positions = np.asarray(positions, dtype=np.int64)
    expected = cells["value"].to_numpy()[positions]
    given = pd.to_numeric(table[column], errors="coerce").to_numpy()
    if not np.array_equal(given, expected):
        bad = np.flatnonzero(given != expected)[:3]
        raise ValueError(f"{column}: values differ from the protected counts at rows {bad.tolist()} "
                         f"({given[bad].tolist()} vs {expected[bad].tolist()}); protect the same counts")
    display = cells["display"].to_numpy()[positions]
    hidden = cells["status"].to_numpy()[positions] != "shown"
    out[column] = display
    for name in derived:
        out[name] = out[name].astype(object)
        out.loc[hidden, name] = display[hidden]
    return out


def ars_mode(table: pd.DataFrame, protection: Protection | None = None, *, level=None,
             columns: Iterable[str] | None = None, derived: Iterable[str] = (),
             threshold: int = THRESHOLD) -> pd.DataFrame:
    """The table as the "ARS" display mode shows it: only masked patient figures.

    Parameters
    ----------
    table : DataFrame
        Any per-unit, department, sector or cross table with a ``patients``
        column (and optionally a ``"Total"`` row).
    protection : Protection, optional
        The pattern shared by every table on screen and in the export (build
        it once with :func:`protect_counts` over all the published levels).
        Without it the table is protected on its own: its rows and its total
        row (if any, or the total computed from the rows, which the reader
        could compute too) form one line.
    level : optional
        Passed to :func:`mask_table`.
    columns : iterable of str, optional
        Count columns to mask (default: ``patients``). Without
        ``protection`` each is protected on its own.
    derived : iterable of str
        Columns computed from the counts, hidden where their count is.
    threshold : int
        Largest hidden count.

    Returns
    -------
    DataFrame
    """
    columns = ["patients"] if columns is None else list(columns)
    if protection is not None:
        out = table
        for column in columns:
            out = mask_table(out, protection, level=level, column=column, derived=derived)
        return out
    out = table.copy()
    for column in columns:
        if column not in table.columns:
            raise ValueError(f"columns: {column!r} is not in the table; columns are {list(table.columns)}")
        key_column = next((c for c in table.columns if c != column and table[c].astype(str).eq(TOTAL_LABEL).any()),
                          None)
        is_total = table[key_column].astype(str).eq(TOTAL_LABEL).to_numpy() if key_column else np.zeros(len(table), bool)
        rows = _check_counts(table.loc[~is_total, column], column)
        rows.index = [f"r{i}" for i in range(len(rows))]
        own = protect_counts(rows, {}, threshold=threshold)
        if is_total.any() and int(pd.to_numeric(table.loc[is_total, column]).iloc[0]) != int(rows.sum()):
            raise ValueError(f"{column}: the total row ({table.loc[is_total, column].iloc[0]}) is not the sum "
                             f"of the rows ({int(rows.sum())})")
        display = np.empty(len(table), dtype=object)
        display[~is_total] = own.display(UNIT).to_numpy()
        display[is_total] = own.display(TOTAL).iloc[0]
        hidden = np.array([d in (_primary_symbol(threshold), SECONDARY_SYMBOL) for d in display])
        out[column] = display
        for name in derived:
            out[name] = out[name].astype(object)
            out.loc[hidden, name] = display[hidden]
    return out
