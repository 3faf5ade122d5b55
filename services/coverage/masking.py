"""Statistical disclosure control of patient counts for everything that goes to the ARS.

The rule (what is shown, and what each symbol tells a reader)
-------------------------------------------------------------
* **Primary secret.** In every aggregate table (department, sector,
  department x sector, white zones, region) a count from 1 to 10 is shown as
  ``"< 11"`` (:data:`PRIMARY_SYMBOL`) and means exactly that: 1 to 10, never
  0. A count of 0 is shown ``0``.
* **Communes.** Counts per commune are published as classes only
  (:data:`UNIT_CLASSES`: ``0 à 10``, ``11 à 20``, ``21 à 50``, ``51 à 100``,
  ``plus de 100``). The commune layer is a masked layer: its zeros are in the
  same class as 1-10, so "who has no patient" is not readable from it
  (otherwise 40 communes at ``< 11`` and all the others at 0 with a total of 40
  would say each has exactly one).
* **Secondary secret.** A count of 11 or more hidden so that no masked count
  can be recovered is shown ``"s"`` (:data:`SECONDARY_SYMBOL`) and means 11 or
  more (zeros and 1-10 are never ``"s"``). A commune class may be hidden as
  ``"s"`` too.

The protection interval (the audit's rule)
------------------------------------------
The attacker reads every published table, of this report **and of every
earlier report made from the same counts** (release register,
:mod:`services.coverage.releases`), as interval constraints on sums of the
unknown per-commune counts (shown figure: exact; ``"< 11"``: 1-10; ``"s"``: 11
or more; a class: its bounds; every count >= 0), and finds by linear
programming the smallest and largest value of each masked cell.

A masked cell of true value ``x`` is protected when every value of
``[x - p, x + p]`` that its published range allows (1-10 for ``"< 11"``, 0-10
for the first commune class) stays possible: the attacker's lower bound is at
most ``max(L, x - p)`` and its upper bound at least ``min(10, x + p)``. These are
the lower and upper protection levels of tau-ARGUS (Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, section 4.2; tau-ARGUS manual,
"protection levels" / "safety range"), here absolute: ``p`` = 2 patients by
default (:data:`PROTECTION_LEVEL`). The INSEE and CASD practice for counts
(rtauargus defaults, CASD secret statistique guide) asks that no masked figure
be recoverable by sums or differences between any published tables; ``p = 2``
is stricter than "recoverable exactly" (which ``p`` = 1 would already exclude).

Two limits, stated plainly. (1) Where the primary secret alone already bounds
a cell (two ``"< 11"`` cells adding up to a ``"< 11"`` total: each is at most
9), the interval asks only for the values that hiding every other cell would
leave possible; a cell that would still be pinned to one value makes the
release refused. (2) A ``"< 11"`` aggregate made of a single commune (a
department x sector cell of one village) says that this commune has at least
one patient; its count stays protected. The ranges come from the LP
relaxation, exact for these tables (sums of disjoint groups and their cross
table); with the overlapping white-zone cells the integer range may be
narrower than the LP range.

Choosing what to hide: an optimiser
-----------------------------------
:func:`protect_counts` chooses the secondary suppressions by mixed-integer
programming (``scipy.optimize.milp``, HiGHS): a 0/1 variable per cell that
could be hidden (11 or more), minimising a cost that hides the fewest cells
and, among equals, the smallest total, with totals preferred to inner cells
(:data:`LEVEL_COST`: commune class 1, department x sector 2, white zones 10,
department or sector totals 50; the region total is never hidden when it is
11 or more). Constraints: every published sum (a total and the cells adding up
to it) that holds a masked cell holds another hidden one; then the audit runs
on the chosen pattern and, for each cell it can still pin down, adds a cut
"hide at least one of the published cells the attacker's derivation used"
(the binding constraints of its linear program); repeated until the audit
passes (a cutting-plane loop, the shape of tau-ARGUS's "optimal" method).

Cells already published in an earlier release of the same counts (same
communes) keep the status they had: a figure already public stays shown,
a hidden one stays hidden, so that two reports never disagree on a cell.
When no pattern can protect the union, :func:`protect_counts` refuses with a
coded reason (``masking.release_would_disclose``).

Public names
------------
protect_counts, Protection
    The pattern over units (classes), groupings (departments, sectors, white
    zones), cross tables and the region total.
verify_no_disclosure, AuditResult
    The audit, alone or with earlier releases.
mask_table, ars_mode, mask_counts, parse_display, display_interval, unit_class
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.errors import SecteursError
from services.coverage._audit import attack

__all__ = ["PRIMARY_SYMBOL", "SECONDARY_SYMBOL", "THRESHOLD", "TOTAL_LABEL", "UNIT_CLASSES", "PROTECTION_LEVEL",
           "LEVEL_COST", "mask_counts", "protect_counts", "Protection", "mask_table", "ars_mode",
           "verify_no_disclosure", "AuditResult", "parse_display", "display_interval", "unit_class",
           "MaskingError"]

#: Counts from 1 to THRESHOLD are never shown.
THRESHOLD = 10
#: How a count of 1 to 10 is shown in aggregate tables.
PRIMARY_SYMBOL = "< 11"
#: How a count of 11 or more hidden to protect another cell is shown.
SECONDARY_SYMBOL = "s"
#: Key of total rows in tables and of the region total cell.
TOTAL_LABEL = "Total"
#: Commune classes: (lowest, highest or None, label); the first one holds the zeros and the 1-10.
UNIT_CLASSES = ((0, 10, "0 à 10"), (11, 20, "11 à 20"), (21, 50, "21 à 50"), (51, 100, "51 à 100"),
                (101, None, "plus de 100"))
#: Absolute protection level p (patients) of every masked cell; see the module docstring.
PROTECTION_LEVEL = 2
#: Cost of hiding a cell, per kind of level (totals are preferred to inner cells).
LEVEL_COST = {"unit": 1.0, "cross": 2.0, "subset": 10.0, "grouping": 50.0}

SHOWN, PRIMARY, SECONDARY, CLASS = 0, 1, 2, 3
STATUS_NAMES = np.array(["shown", "primary", "secondary", "class"], dtype=object)
UNIT = "unit"
TOTAL = "total"


class MaskingError(SecteursError):
    """The masking cannot publish these tables safely (code ``masking.*``)."""


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

    Only for a list published with no total and no other table (primary
    secret alone lets totals give cells away; use :func:`protect_counts`).

    Examples
    --------
    >>> mask_counts(pd.Series([0, 3, 10, 11, 250])).tolist()
    ['0', '< 11', '< 11', '11', '250']
    """
    threshold = _check_threshold(threshold)
    counts = _check_counts(values, "values")
    symbol = _primary_symbol(threshold)
    return counts.map(lambda v: symbol if 1 <= v <= threshold else str(int(v))).astype(object)


def unit_class(value: int) -> str:
    """The published class of a commune count.

    Examples
    --------
    >>> unit_class(0), unit_class(7), unit_class(15), unit_class(480)
    ('0 à 10', '0 à 10', '11 à 20', 'plus de 100')
    """
    for low, high, label in UNIT_CLASSES:
        if value >= low and (high is None or value <= high):
            return label
    raise ValueError(f"value: expected a count >= 0, got {value!r}")


_CLASS_BOUNDS = {label: (low, np.inf if high is None else high) for low, high, label in UNIT_CLASSES}


def display_interval(text, threshold: int = THRESHOLD) -> tuple[float, float]:
    """What a reader knows from a displayed cell: ``(lowest, highest)`` (``inf`` when unbounded).

    Examples
    --------
    >>> display_interval("< 11"), display_interval("s"), display_interval("11 à 20"), display_interval("42")
    ((1, 10), (11, inf), (11, 20), (42, 42))
    """
    text = str(text).strip()
    if text == _primary_symbol(threshold):
        return 1, threshold
    if text == SECONDARY_SYMBOL:
        return threshold + 1, np.inf
    if text in _CLASS_BOUNDS:
        return _CLASS_BOUNDS[text]
    try:
        value = int(text.replace("\u202f", "").replace(" ", ""))
    except ValueError:
        raise ValueError(f"display: {text!r} is neither a count, {_primary_symbol(threshold)!r}, "
                         f"{SECONDARY_SYMBOL!r} nor a commune class") from None
    return value, value


def parse_display(text, threshold: int = THRESHOLD):
    """The kind of a displayed cell: ``("value", v)``, ``("primary", None)``, ``("secondary", None)`` or
    ``("class", (low, high))``."""
    text = str(text).strip()
    if text == _primary_symbol(threshold):
        return "primary", None
    if text == SECONDARY_SYMBOL:
        return "secondary", None
    if text in _CLASS_BOUNDS:
        return "class", _CLASS_BOUNDS[text]
    return "value", display_interval(text, threshold)[0]


# -- the protection ---------------------------------------------------------------------------
@dataclass
class Protection:
    """Suppression pattern over every published cell (result of :func:`protect_counts`).

    Attributes
    ----------
    cells : DataFrame
        One row per cell: ``level`` (``"unit"``, a grouping name, a cross level
        such as ``("departement", "secteur")``, ``"total"``), ``key``,
        ``value`` (TRUE count: never publish this column), ``status``
        (``shown``, ``primary``, ``secondary``, ``class``), ``display`` (what is
        shown), ``lower``/``upper`` (what a reader knows from it).
    membership : sparse matrix (cells x units)
        Which units each cell adds up.
    units : Index
        The units' codes, in the membership's column order.
    lines : list of (int, ndarray)
        Each published total's cell and the published cells adding up to it.
    levels : dict
        ``level -> key column(s)``.
    threshold, protection : int
        Largest hidden count; protection level ``p``.
    publish_units : bool
    rounds : int
        Optimiser rounds (MILP + audit).
    unit_values : ndarray
        TRUE count of each unit (never publish).
    audit : AuditResult
        The passing audit (jointly with ``earlier``).
    earlier : tuple of DataFrame
        Earlier releases of the same counts audited with this one (their
        :meth:`published` frames).
    """

    cells: pd.DataFrame
    membership: sparse.csr_matrix
    units: pd.Index
    lines: list
    levels: dict
    threshold: int = THRESHOLD
    protection: int = PROTECTION_LEVEL
    publish_units: bool = True
    rounds: int = 0
    unit_values: np.ndarray | None = field(default=None, repr=False)
    audit: "AuditResult | None" = field(default=None, repr=False)
    earlier: tuple = field(default=(), repr=False)

    @property
    def zeros_masked(self) -> bool:
        """Whether zeros are hidden somewhere (always in the commune classes, when published)."""
        return bool(((self.cells["value"] == 0) & (self.cells["status"] != "shown")).any())

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
        out = pd.DataFrame({columns[0]: keys}) if len(columns) == 1 else pd.DataFrame(keys, columns=list(columns))
        out["patients"] = cells["display"].to_numpy()
        out["status"] = cells["status"].to_numpy()
        return out

    def unit_layer(self, level) -> pd.Series:
        """For every unit, the display of the ``level`` cell that holds it (for maps drawn per sector,
        per department x sector or per EPCI when communes are too small); units in no cell: None."""
        cells = self._level_cells(level)
        sub = self.membership[cells.index.to_numpy()].tocsc()
        out = np.full(len(self.units), None, dtype=object)
        display = cells["display"].to_numpy()
        for unit in range(len(self.units)):
            members = sub.indices[sub.indptr[unit]:sub.indptr[unit + 1]]
            if len(members):
                out[unit] = display[members[0]]
        return pd.Series(out, index=self.units, name=str(level))

    def mask(self, table: pd.DataFrame, level=None, column: str = "patients",
             derived: Iterable[str] = ()) -> pd.DataFrame:
        """See :func:`mask_table`."""
        return mask_table(table, self, level=level, column=column, derived=derived)

    def summary(self) -> dict:
        """Counts of cells per level and status."""
        table = self.cells.groupby(self.cells["level"].map(str))["status"].value_counts().unstack(fill_value=0)
        return {str(level): {k: int(v) for k, v in row.items()} for level, row in table.iterrows()}

    def cell_counts(self) -> dict:
        """How many cells are published as figures, masked (``< 11``), in commune classes, and suppressed (``s``)."""
        status = self.cells["status"]
        return {"published": int((status == "shown").sum()), "masked": int((status == "primary").sum()),
                "classes": int((status == "class").sum()), "suppressed": int((status == "secondary").sum()),
                "total": int(len(status))}

    def published(self) -> pd.DataFrame:
        """What a reader gets, and what the release register keeps: ``level``, ``key``, ``display``,
        ``lower``, ``upper`` (inf when unbounded) and ``units`` (the codes each cell adds up). No true count."""
        codes = self.units.to_numpy()
        members = [tuple(codes[self.membership.indices[self.membership.indptr[i]:self.membership.indptr[i + 1]]])
                   for i in range(self.membership.shape[0])]
        return pd.DataFrame({"level": self.cells["level"].to_numpy(), "key": self.cells["key"].to_numpy(),
                             "display": self.cells["display"].to_numpy(), "lower": self.cells["lower"].to_numpy(),
                             "upper": self.cells["upper"].to_numpy(), "units": members})


def _as_grouping(name, grouping, units_index: pd.Index, units_frame) -> pd.Series:
    if isinstance(grouping, str):
        if units_frame is None or grouping not in units_frame.columns:
            raise ValueError(f"groupings[{name!r}]: {grouping!r} names a column of units, but units "
                             f"{'is not given' if units_frame is None else 'has no such column'}")
        grouping = units_frame.set_index(units_frame["code_insee"].astype(str))[grouping]
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


def _intervals(status: np.ndarray, values: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Display, lower and upper bounds of each cell from its status."""
    lower = values.astype(float).copy()
    upper = values.astype(float).copy()
    display = values.astype(str).astype(object)
    primary = status == PRIMARY
    lower[primary], upper[primary] = 1, threshold
    display[primary] = _primary_symbol(threshold)
    secondary = status == SECONDARY
    lower[secondary], upper[secondary] = threshold + 1, np.inf
    display[secondary] = SECONDARY_SYMBOL
    for i in np.flatnonzero(status == CLASS):
        label = unit_class(int(values[i]))
        display[i] = label
        lower[i], upper[i] = _CLASS_BOUNDS[label]
    return display, lower, upper


def _unit_set_key(indices: np.ndarray) -> bytes:
    return hashlib.sha1(np.sort(np.asarray(indices, np.int64)).tobytes()).digest()


def _earlier_system(earlier, unit_index: pd.Index, x_true: np.ndarray, threshold: int, protection: int):
    """Rows, bounds and targets of earlier releases, on the current units; and their cells by unit set."""
    position = pd.Series(np.arange(len(unit_index)), index=unit_index)
    rows, cols, lower, upper, origin_keys = [], [], [], [], []
    unit_lower = np.zeros(len(unit_index))
    unit_upper = np.full(len(unit_index), np.inf)
    unit_masked = np.zeros(len(unit_index), bool)
    by_set: dict = {}
    n = 0
    for frame in earlier:
        for level, display, low, high, codes in zip(frame["level"], frame["display"], frame["lower"],
                                                    frame["upper"], frame["units"]):
            idx = position.reindex(list(codes)).dropna().to_numpy(np.int64)
            key = _unit_set_key(idx)
            by_set[key] = str(display)
            if level == UNIT and len(idx) == 1:
                unit_lower[idx[0]] = max(unit_lower[idx[0]], low)
                unit_upper[idx[0]] = min(unit_upper[idx[0]], high)
                unit_masked[idx[0]] |= low < high and low <= 0 < high
                continue
            rows.append(np.full(len(idx), n))
            cols.append(idx)
            lower.append(low)
            upper.append(high)
            n += 1
    matrix = sparse.csr_matrix((np.ones(sum(len(c) for c in cols)),
                                (np.concatenate(rows) if rows else np.zeros(0, np.int64),
                                 np.concatenate(cols) if cols else np.zeros(0, np.int64))),
                               shape=(n, len(unit_index)))
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    values = np.asarray(matrix @ x_true).ravel()
    targets = np.flatnonzero((lower == 1) & (upper == threshold) & (values >= 1) & (values <= threshold))
    return matrix, lower, upper, unit_lower, unit_upper, unit_masked, targets, values, by_set


def protect_counts(counts, groupings: Mapping | None = None, *, units: pd.DataFrame | None = None,
                   cross: Sequence[tuple[str, str]] = (), publish_units: bool = True,
                   threshold: int = THRESHOLD, protection: int = PROTECTION_LEVEL, earlier: Sequence = (),
                   costs: Mapping | None = None, max_rounds: int = 300) -> Protection:
    """Primary secret, commune classes and optimal secondary suppression over every published table.

    Parameters
    ----------
    counts : Series or DataFrame
        Patients per unit: a Series indexed by code_insee, or a frame with
        ``code_insee`` and ``patients``. Units of ``units`` absent here count 0.
    groupings : mapping, optional
        ``name -> grouping`` published as tables with their totals: a Series
        code_insee -> label (e.g. the sector plan), a frame ``code_insee,
        label``, or the name of a column of ``units``. Units without a label
        belong to no cell of that grouping (a white-zone criterion publishes
        one cell: its white units). Default ``{"departement": "departement"}``
        when ``units`` is given.
    units : DataFrame, optional
        The sector units (their ``code_insee`` define the universe).
    cross : sequence of (name, name)
        Cross tables to publish, e.g. ``[("departement", "secteur")]``.
    publish_units : bool
        Whether the commune layer is published (as classes, :data:`UNIT_CLASSES`).
    threshold : int
        Largest hidden count (10: ``"< 11"``).
    protection : int
        Protection level ``p`` (see the module docstring).
    earlier : sequence of DataFrame
        :meth:`Protection.published` frames of earlier releases of the SAME
        counts (:func:`services.coverage.releases.earlier_releases`): audited
        jointly, and their cells keep their status.
    costs : mapping level -> float, optional
        Cost of hiding a cell of a level (default from :data:`LEVEL_COST`).
    max_rounds : int
        Limit on optimiser rounds.

    Returns
    -------
    Protection

    Raises
    ------
    ValueError
        Bad counts or groupings (the message names the value and what is allowed).
    MaskingError
        ``masking.release_would_disclose``: no pattern protects every masked
        cell jointly with the earlier releases; ``masking.no_convergence``.

    Examples
    --------
    >>> counts = pd.Series({"a": 5, "b": 20, "c": 30, "d": 0})
    >>> p = protect_counts(counts, {"dep": pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})})
    >>> p.display("unit").tolist(), p.display("dep").tolist(), p.display("total").tolist()
    (['0 à 10', '11 à 20', '21 à 50', '0 à 10'], ['25', '30'], ['55'])
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
        unknown = counts.index.difference(pd.Index(units["code_insee"].astype(str)))
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

    level_names, keys, rows, cols, level_of_unit, kinds = [], [], [], [], {}, []
    levels: dict = {}

    def add_level(level, group_of_unit: np.ndarray, group_keys: list, columns: tuple, kind: str):
        offset = len(keys)
        level_names.extend([level] * len(group_keys))
        keys.extend(group_keys)
        kinds.extend([kind] * len(group_keys))
        ok = group_of_unit >= 0
        rows.append(offset + group_of_unit[ok])
        cols.append(np.flatnonzero(ok))
        level_of_unit[level] = np.where(ok, offset + group_of_unit, -1)
        levels[level] = columns

    if publish_units:
        add_level(UNIT, np.arange(n), unit_index.tolist(), ("code_insee",), "unit")
    for name, series in labels.items():
        present = series.dropna()
        group_keys = sorted(set(present.tolist()), key=lambda k: (str(type(k)), k))
        position = {k: i for i, k in enumerate(group_keys)}
        group = np.array([position[v] if v is not None and v == v else -1 for v in series.tolist()],
                         dtype=np.int64)
        kind = "cross" if isinstance(name, tuple) else ("grouping" if (group >= 0).all() else "subset")
        add_level(name, group, group_keys, tuple(name) if isinstance(name, tuple) else (name,), kind)
    add_level(TOTAL, np.zeros(n, dtype=np.int64), [TOTAL_LABEL], ("total",), "total")

    n_cells = len(keys)
    membership = sparse.csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(n_cells, n))
    values = np.asarray(membership @ values_u).astype(np.int64).ravel()
    sizes = np.diff(membership.indptr)
    level_arr = np.array(level_names + [None], dtype=object)[:-1]
    kinds = np.array(kinds, dtype=object)

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
    is_unit = kinds == "unit"
    base = np.where(is_unit, CLASS, np.where((values >= 1) & (values <= threshold), PRIMARY, SHOWN)).astype(np.int8)
    candidate = values > threshold
    weight = {**LEVEL_COST, "total": 1e6, **({} if costs is None else dict(costs))}
    cost = np.array([weight.get(level, weight.get(kind, 1.0)) if not isinstance(level, tuple)
                     else weight.get(level, weight["cross"]) for level, kind in zip(level_names, kinds)])
    cost = cost + values / (10.0 * max(1, values_u.sum()))       # among equals, the least total

    # -- earlier releases of the same counts ---------------------------------------------------
    (e_rows, e_lower, e_upper, e_unit_lower, e_unit_upper, e_unit_masked, e_targets, e_values,
     by_set) = _earlier_system(list(earlier), unit_index, values_u.astype(float), threshold, protection)
    forced = np.full(n_cells, -1, dtype=np.int8)          # -1 free, else the status to keep
    if by_set:
        for i in np.flatnonzero(candidate):
            previous = by_set.get(_unit_set_key(membership.indices[membership.indptr[i]:membership.indptr[i + 1]]))
            if previous is None:
                continue
            # already public (a figure or a class) stays shown; already hidden stays hidden
            forced[i] = SECONDARY if previous == SECONDARY_SYMBOL else SHOWN
    agg = np.flatnonzero(~is_unit)
    unit_cell = level_of_unit.get(UNIT, np.full(n, -1))

    # one 0/1 variable per distinct set of units: a sector that is also a department x sector cell is
    # hidden or shown in both
    cand = np.flatnonzero(candidate)
    set_keys = [_unit_set_key(membership.indices[membership.indptr[i]:membership.indptr[i + 1]]) for i in cand]
    var_index = pd.Series(set_keys, dtype=object).factorize()[0] if len(cand) else np.zeros(0, np.int64)
    n_vars = int(var_index.max()) + 1 if len(cand) else 0
    var_of = np.full(n_cells, -1)
    var_of[cand] = var_index
    var_cost = np.bincount(var_index, weights=cost[cand], minlength=n_vars)
    var_lower = np.zeros(n_vars)
    var_upper = np.ones(n_vars)
    var_lower[var_index[forced[cand] == SECONDARY]] = 1.0
    var_upper[var_index[forced[cand] == SHOWN]] = 0.0

    # line constraints: a line holding a masked cell holds another hidden one
    cut_rows, cut_lower = [], []
    sensitive = (values >= 1) & (values <= threshold)
    for total_cell, members in lines:
        line = np.append(members, total_cell)
        for s in line[sensitive[line]]:
            others = line[line != s]
            constant = int(((base[others] == PRIMARY) | (base[others] == CLASS)).sum())
            variables = var_of[others][var_of[others] >= 0]
            if constant >= 1 or not len(variables):
                continue
            cut_rows.append(variables)
            cut_lower.append(1.0)

    # targets: every masked cell with 1 to 10 patients, of this release and of the earlier ones
    t_cells = np.flatnonzero(sensitive)
    agg_row = np.full(n_cells, -1)
    agg_row[agg] = np.arange(len(agg))
    t_is_unit = is_unit[t_cells]
    t_index = np.where(t_is_unit, [membership.indices[membership.indptr[c]] for c in t_cells] if len(t_cells) else 0,
                       agg_row[t_cells])
    x = values[t_cells]
    need_low = np.maximum(1, x - protection)
    need_high = np.minimum(threshold, x + protection)
    extra_units = np.flatnonzero(e_unit_masked & (values_u >= 1) & (values_u <= threshold))
    if publish_units:
        extra_units = extra_units[unit_cell[extra_units] < 0]
    e_x = e_values[e_targets]
    all_is_unit = np.concatenate([t_is_unit, np.zeros(len(e_targets), bool), np.ones(len(extra_units), bool)])
    all_index = np.concatenate([t_index, len(agg) + e_targets, extra_units]).astype(np.int64)
    all_low = np.concatenate([need_low, np.maximum(1, e_x - protection),
                              np.maximum(1, values_u[extra_units] - protection)])
    all_high = np.concatenate([need_high, np.minimum(threshold, e_x + protection),
                               np.minimum(threshold, values_u[extra_units] + protection)])
    all_cell = np.concatenate([t_cells, np.full(len(e_targets) + len(extra_units), -1)])
    all_rows = sparse.vstack([membership[agg], e_rows]).tocsr()
    target_vectors = sparse.vstack([membership[t_cells], e_rows[e_targets],
                                    sparse.csr_matrix((np.ones(len(extra_units)), (np.arange(len(extra_units)),
                                                                                   extra_units)),
                                                      shape=(len(extra_units), n))]).tocsr()

    all_lower_rows = sparse.vstack([membership[agg], e_rows]).tocsr()

    def audit_of(status, targets=None):
        display, lower, upper = _intervals(status, values, threshold)
        unit_lower = np.zeros(n)
        unit_upper = np.full(n, np.inf)
        if publish_units:
            unit_lower[unit_cell >= 0] = lower[unit_cell[unit_cell >= 0]]
            unit_upper[unit_cell >= 0] = upper[unit_cell[unit_cell >= 0]]
        unit_lower = np.maximum(unit_lower, e_unit_lower)
        unit_upper = np.minimum(unit_upper, e_unit_upper)
        pick = slice(None) if targets is None else targets
        result = attack(all_lower_rows, np.concatenate([lower[agg], e_lower]), np.concatenate([upper[agg], e_upper]),
                        unit_lower, unit_upper, all_is_unit[pick], all_index[pick], all_low[pick], all_high[pick],
                        values_u.astype(float))
        return result, (display, lower, upper)

    audit = None
    best_known = np.zeros(len(all_index), bool)
    for round_ in range(1, max_rounds + 1):
        y = _solve(var_cost, cut_rows, cut_lower, var_lower, var_upper)
        if y is None:
            raise MaskingError("masking.release_would_disclose", releases=len(earlier),
                               cells=int(len(t_cells)), example="")
        status = base.copy()
        hidden = cand[y[var_index] > 0.5]
        status[hidden] = SECONDARY
        result, (display, lower, upper) = audit_of(status)
        audit = _audit_result(result, all_cell, cells, all_low, all_high, target_vectors, len(earlier))
        if audit.ok:
            out = cells.copy()
            out["status"] = STATUS_NAMES[status]
            out["display"], out["lower"], out["upper"] = display, lower, upper
            return Protection(out, membership, unit_index, lines, levels, threshold, protection, publish_units,
                              round_, values_u, audit, tuple(earlier))
        shown_var = var_of.copy()
        shown_var[hidden] = -1                            # already hidden
        open_vars = np.flatnonzero((y < 0.5) & (var_upper > 0))
        for k in np.flatnonzero(result.disclosed):
            used = [agg[r] for r in result.binding_rows.get(k, []) if r < len(agg)]
            used += [unit_cell[u] for u in result.binding_units.get(k, []) if unit_cell[u] >= 0]
            variables = np.unique(shown_var[np.asarray(used, np.int64)]) if used else np.zeros(0, np.int64)
            variables = variables[variables >= 0]
            variables = variables[var_upper[variables] > 0]
            if not len(variables) and not best_known[k]:
                # the primary secret alone may bound a cell (two "< 11" adding up to a "< 11": each <= 9);
                # the protection interval asks only for what hiding every other cell would leave possible
                best_known[k] = True
                everything = base.copy()
                everything[cand[var_upper[var_index] > 0]] = SECONDARY
                best, _ = audit_of(everything, np.array([k]))
                low, high = np.ceil(best.low[0] - 1e-6), np.floor(best.high[0] + 1e-6)
                if high - low < 1:
                    raise MaskingError("masking.release_would_disclose", releases=len(earlier),
                                       cells=int(result.disclosed.sum()), example=_describe(cells, all_cell[k]))
                all_low[k], all_high[k] = max(all_low[k], low), min(all_high[k], high)
                continue
            if not len(variables):                          # cells sharing units with the target, else any
                touching = np.flatnonzero(np.asarray(membership @ target_vectors[k].T.toarray()).ravel() > 0)
                variables = shown_var[touching]
                variables = np.unique(variables[variables >= 0])
                variables = variables[var_upper[variables] > 0]
                if not len(variables):
                    variables = open_vars
            if not len(variables):
                raise MaskingError("masking.release_would_disclose", releases=len(earlier),
                                   cells=int(result.disclosed.sum()), example=_describe(cells, all_cell[k]))
            cut_rows.append(variables)
            cut_lower.append(1.0)
    raise MaskingError("masking.no_convergence", rounds=max_rounds,
                       cells=int(len(audit.disclosed)) if audit is not None else 0)


def _describe(cells: pd.DataFrame, cell: int) -> str:
    if cell < 0:
        return "une cellule d'une publication antérieure"
    level, key = cells["level"].iat[cell], cells["key"].iat[cell]
    return f"{' x '.join(level) if isinstance(level, tuple) else level} {' / '.join(map(str, key)) if isinstance(key, tuple) else key}"


def _solve(cost, cut_rows, cut_lower, var_lower, var_upper):
    """The cheapest 0/1 choice of suppressions satisfying every cut (None when infeasible)."""
    n = len(cost)
    if n == 0:
        return np.zeros(0) if not cut_rows else None
    constraints = []
    if cut_rows:
        r = np.concatenate([np.full(len(v), i) for i, v in enumerate(cut_rows)])
        c = np.concatenate(cut_rows)
        matrix = sparse.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(cut_rows), n))
        constraints.append(LinearConstraint(matrix, np.asarray(cut_lower), np.inf))
    result = milp(cost, constraints=constraints, integrality=np.ones(n), bounds=Bounds(var_lower, var_upper))
    if result.status != 0 or result.x is None:
        return None
    return np.round(result.x)


# -- the audit --------------------------------------------------------------------------------
@dataclass
class AuditResult:
    """Result of :func:`verify_no_disclosure`.

    Attributes
    ----------
    ok : bool
        True when every masked cell keeps its protection interval.
    ranges : DataFrame
        One row per masked cell with 1 to 10 patients: ``cell`` (index in
        ``Protection.cells``, -1 for a cell of an earlier release), ``level``,
        ``key``, ``lower``/``upper`` (values proved possible; the exact LP
        range for disclosed cells), ``need_lower``/``need_upper`` (the
        protection interval).
    disclosed : DataFrame
        The rows of ``ranges`` whose range does not cover the protection interval.
    lps : int
        Linear programs solved.
    releases : int
        Earlier releases audited jointly.
    """

    ok: bool
    ranges: pd.DataFrame
    disclosed: pd.DataFrame
    lps: int
    releases: int = 0
    binding: dict = field(default_factory=dict, repr=False)


def _audit_result(result, cell_of_target, cells, need_low, need_high, target_vectors, releases) -> AuditResult:
    level = [cells["level"].iat[c] if c >= 0 else "(publication antérieure)" for c in cell_of_target]
    key = [cells["key"].iat[c] if c >= 0 else None for c in cell_of_target]
    ranges = pd.DataFrame({"cell": cell_of_target, "level": pd.Series(level, dtype=object),
                           "key": pd.Series(key, dtype=object), "lower": np.round(result.low, 6),
                           "upper": np.round(result.high, 6), "need_lower": need_low, "need_upper": need_high})
    disclosed = ranges[result.disclosed].reset_index(drop=True)
    return AuditResult(bool(not result.disclosed.any()), ranges, disclosed, result.lps, releases)


def verify_no_disclosure(protection: Protection, earlier: Sequence | None = None,
                         min_width: int | None = None) -> AuditResult:
    """Audit what is displayed: can any masked cell be narrowed inside its protection interval?

    The constraints come only from the ``display`` column (and, with
    ``earlier``, from the earlier releases' displays); the true counts give the
    protection intervals and one feasible point.

    Parameters
    ----------
    protection : Protection
        The published pattern (possibly with an edited ``display`` column).
    earlier : sequence of DataFrame, optional
        Earlier releases of the same counts (default: those the pattern was
        built with).
    min_width : int, optional
        Protection level ``p`` (default ``protection.protection``).

    Returns
    -------
    AuditResult

    Raises
    ------
    ValueError
        When the displayed cells do not fit the counts (an edited table).
    """
    if not isinstance(protection, Protection):
        raise TypeError(f"protection: expected a Protection (from protect_counts), got {type(protection).__name__}")
    p = protection.protection if min_width is None else int(min_width)
    earlier = protection.earlier if earlier is None else tuple(earlier)
    threshold = protection.threshold
    cells = protection.cells
    membership = protection.membership.tocsr()
    n = membership.shape[1]
    values_u = np.asarray(protection.unit_values if protection.unit_values is not None
                          else np.zeros(n), dtype=float)
    values = cells["value"].to_numpy()
    bounds = [display_interval(text, threshold) for text in cells["display"]]
    lower = np.array([b[0] for b in bounds], float)
    upper = np.array([b[1] for b in bounds], float)
    if not ((values >= lower) & (values <= upper)).all():
        raise ValueError("verify_no_disclosure: the displayed cells do not fit the protected counts")
    is_unit = (cells["level"] == UNIT).to_numpy()
    agg = np.flatnonzero(~is_unit)
    agg_row = np.full(len(cells), -1)
    agg_row[agg] = np.arange(len(agg))
    unit_of = np.array([membership.indices[membership.indptr[c]] if is_unit[c] else -1 for c in range(len(cells))])
    (e_rows, e_lower, e_upper, e_unit_lower, e_unit_upper, e_unit_masked, e_targets, e_values,
     _) = _earlier_system(list(earlier), protection.units, values_u, threshold, p)
    t_cells = np.flatnonzero((values >= 1) & (values <= threshold))     # a figure of 1-10 shown fails here
    t_is_unit = is_unit[t_cells]
    t_index = np.where(t_is_unit, unit_of[t_cells], agg_row[t_cells])
    x = values[t_cells]
    extra = np.flatnonzero(e_unit_masked & (values_u >= 1) & (values_u <= threshold))
    extra = extra[~np.isin(extra, unit_of[is_unit])]
    e_x = e_values[e_targets]
    target_is_unit = np.concatenate([t_is_unit, np.zeros(len(e_targets), bool), np.ones(len(extra), bool)])
    target_index = np.concatenate([t_index, len(agg) + e_targets, extra]).astype(np.int64)
    need_low = np.concatenate([np.maximum(1, x - p), np.maximum(1, e_x - p), np.maximum(1, values_u[extra] - p)])
    need_high = np.concatenate([np.minimum(threshold, x + p), np.minimum(threshold, e_x + p),
                                np.minimum(threshold, values_u[extra] + p)])
    rows = sparse.vstack([membership[agg], e_rows]).tocsr()

    def run(low, high, pick):
        unit_lower = np.zeros(n)
        unit_upper = np.full(n, np.inf)
        unit_lower[unit_of[is_unit]] = low[is_unit]
        unit_upper[unit_of[is_unit]] = high[is_unit]
        return attack(rows, np.concatenate([low[agg], e_lower]), np.concatenate([high[agg], e_upper]),
                      np.maximum(unit_lower, e_unit_lower), np.minimum(unit_upper, e_unit_upper),
                      target_is_unit[pick], target_index[pick], need_low[pick], need_high[pick], values_u)

    result = run(lower, upper, slice(None))
    failing = np.flatnonzero(result.disclosed)
    if len(failing):
        # the protection interval asks only for what hiding every other cell (11 or more) would leave possible
        hidden_low, hidden_high = lower.copy(), upper.copy()
        big = values > threshold
        hidden_low[big], hidden_high[big] = threshold + 1, np.inf
        small = (values <= threshold) & ((values >= 1) | is_unit)
        hidden_low[small], hidden_high[small] = np.where(is_unit[small], 0, 1), threshold
        best = run(hidden_low, hidden_high, failing)
        need_low[failing] = np.maximum(need_low[failing], np.ceil(best.low - 1e-6))
        need_high[failing] = np.minimum(need_high[failing], np.floor(best.high + 1e-6))
        still = (np.ceil(result.low[failing] - 1e-6) > need_low[failing]) | \
                (np.floor(result.high[failing] + 1e-6) < need_high[failing]) | (need_high[failing] - need_low[failing] < 1)
        result.disclosed[:] = False
        result.disclosed[failing[still]] = True
    all_cell = np.concatenate([t_cells, np.full(len(e_targets) + len(extra), -1)])
    return _audit_result(result, all_cell, cells, need_low, need_high, None, len(earlier))


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
        own = protect_counts(rows, {"rows": pd.Series(rows.index, index=rows.index)}, publish_units=False,
                             threshold=threshold)
        if is_total.any() and int(pd.to_numeric(table.loc[is_total, column]).iloc[0]) != int(rows.sum()):
            raise ValueError(f"{column}: the total row ({table.loc[is_total, column].iloc[0]}) is not the sum "
                             f"of the rows ({int(rows.sum())})")
        display = np.empty(len(table), dtype=object)
        display[~is_total] = own.display("rows").reindex(rows.index).to_numpy()
        display[is_total] = own.display(TOTAL).iloc[0]
        hidden = np.array([d in (_primary_symbol(threshold), SECONDARY_SYMBOL) for d in display])
        out[column] = display
        for name in derived:
            out[name] = out[name].astype(object)
            out.loc[hidden, name] = display[hidden]
    return out
