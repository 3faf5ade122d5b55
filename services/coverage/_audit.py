"""The attacker of the masking audit (private): how far each masked cell can be pinned down.

What an attacker reads from every published table (of one report or of
several reports made from the same counts) is a set of interval constraints
on sums of the unknown per-unit counts ``x >= 0``:

* a row per published aggregate cell: ``lower <= sum_{u in cell} x_u <= upper``
  (a shown figure: ``lower == upper``; ``"< 11"``: 1-10; ``"s"``: 11 or more);
* bounds per unit from the published commune classes (``0 à 10``, ``11 à 20``...).

For each masked cell (a *target*) we need the smallest and largest values the
constraints allow. Linear programs give them; they are solved on *atoms*
(units that belong to exactly the same published cells, merged into one
variable: only their sum matters to the constraints), which turns ~4,000
variables into a few hundred. A commune inside an atom of several communes
gets its range from the atom's range and the other communes' bounds.

The true counts are one feasible point: every LP solution found is recorded
for every target, so most targets are proved protected without an LP of
their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

#: Stand-in for "no upper bound" (only makes the attacker stronger).
CAP = 1e6
EPS = 1e-6


@dataclass
class AttackResult:
    """Ranges proved for each target and, for the targets still too narrow, what pinned them.

    Attributes
    ----------
    low, high : ndarray
        Smallest / largest value found feasible for each target (exact LP
        extremes for the disclosed ones).
    disclosed : ndarray of bool
    binding_rows, binding_units : dict target -> list
        Rows (published aggregate cells) and units whose constraints bind in
        the LP that pinned the target.
    lps : int
    """

    low: np.ndarray
    high: np.ndarray
    disclosed: np.ndarray
    binding_rows: dict = field(default_factory=dict)
    binding_units: dict = field(default_factory=dict)
    lps: int = 0


def attack(rows: sparse.csr_matrix, lower: np.ndarray, upper: np.ndarray, unit_lower: np.ndarray,
           unit_upper: np.ndarray, target_is_unit: np.ndarray, target_index: np.ndarray, need_low: np.ndarray,
           need_high: np.ndarray, x_true: np.ndarray) -> AttackResult:
    """Ranges of every target under the published constraints.

    Parameters
    ----------
    rows : sparse (n_rows x n_units), 0/1
        Published aggregate cells.
    lower, upper : arrays (n_rows,)
        What is published about each row (``upper`` may be inf).
    unit_lower, unit_upper : arrays (n_units,)
        Bounds of each unit (``unit_upper`` may be inf).
    target_is_unit, target_index : arrays (n_targets,)
        A target is a unit (index into units) or a row (index into rows).
    need_low, need_high : arrays (n_targets,)
        The protection interval: the attacker must not be able to exclude
        any value of ``[need_low, need_high]``.
    x_true : array (n_units,)
        The true counts (one feasible point).

    Returns
    -------
    AttackResult
    """
    rows = sparse.csr_matrix(rows, dtype=float)
    n_units = rows.shape[1]
    csc = rows.tocsc()
    signature = [csc.indices[csc.indptr[k]:csc.indptr[k + 1]].tobytes() for k in range(n_units)]
    atom = pd.Series(signature, dtype=object).factorize()[0] if n_units else np.zeros(0, np.int64)
    n_atoms = int(atom.max()) + 1 if n_units else 0
    to_atoms = sparse.csr_matrix((np.ones(n_units), (np.arange(n_units), atom)), shape=(n_units, n_atoms))
    matrix = (rows @ to_atoms).tocsr()
    matrix.data[:] = 1.0
    unit_hi = np.minimum(unit_upper, CAP)
    atom_lo = np.bincount(atom, weights=unit_lower, minlength=n_atoms)
    atom_hi = np.bincount(atom, weights=unit_hi, minlength=n_atoms)
    atom_true = np.bincount(atom, weights=x_true, minlength=n_atoms)

    exact = lower == upper
    eq = np.flatnonzero(exact)
    ub = np.flatnonzero(~exact & np.isfinite(upper))
    lb = np.flatnonzero(~exact & (lower > 0))
    a_eq = matrix[eq]
    b_eq = lower[eq]
    a_ub = sparse.vstack([matrix[ub], -matrix[lb]]).tocsr()
    b_ub = np.concatenate([upper[ub], -lower[lb]])
    ub_origin = np.concatenate([ub, lb])
    bounds = np.column_stack([atom_lo, atom_hi])

    n_targets = len(target_index)
    is_unit = np.asarray(target_is_unit, bool)
    index = np.asarray(target_index, np.int64)
    row_targets = np.flatnonzero(~is_unit)
    unit_targets = np.flatnonzero(is_unit)
    t_rows = matrix[index[row_targets]] if len(row_targets) else sparse.csr_matrix((0, n_atoms))
    seen_lo = np.full(n_targets, np.inf)
    seen_hi = np.full(n_targets, -np.inf)
    atom_min = atom_true.copy()
    atom_max = atom_true.copy()
    target_atom = np.where(is_unit, atom[np.where(is_unit, index, 0)] if n_units else 0, -1)

    def record(z):
        np.minimum(atom_min, z, out=atom_min)
        np.maximum(atom_max, z, out=atom_max)
        if len(row_targets):
            values = np.asarray(t_rows @ z).ravel()
            seen_lo[row_targets] = np.minimum(seen_lo[row_targets], values)
            seen_hi[row_targets] = np.maximum(seen_hi[row_targets], values)

    def unit_ranges():
        if not len(unit_targets):
            return
        u = index[unit_targets]
        a = atom[u]
        low = np.maximum(unit_lower[u], atom_min[a] - (atom_hi[a] - unit_hi[u]))
        high = np.minimum(unit_hi[u], atom_max[a] - (atom_lo[a] - unit_lower[u]))
        seen_lo[unit_targets] = np.minimum(seen_lo[unit_targets], low)
        seen_hi[unit_targets] = np.maximum(seen_hi[unit_targets], high)

    def low_ok(i):
        return np.ceil(seen_lo[i] - EPS) <= need_low[i]

    def high_ok(i):
        return np.floor(seen_hi[i] + EPS) >= need_high[i]

    result = AttackResult(seen_lo, seen_hi, np.zeros(n_targets, bool))
    record(atom_true)
    unit_ranges()

    def solve(objective):
        result.lps += 1
        out = linprog(objective, A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                      A_eq=a_eq if a_eq.shape[0] else None, b_eq=b_eq if a_eq.shape[0] else None,
                      bounds=bounds, method="highs")
        if out.status == 2:
            raise ValueError("audit: the published cells are inconsistent (no counts fit them)")
        if out.status != 0:
            raise RuntimeError(f"audit: linear program failed ({out.message})")
        record(out.x)
        unit_ranges()
        return out

    def binding(out):
        used_rows = set()
        if a_eq.shape[0]:
            used_rows |= set(eq[np.abs(out.eqlin.marginals) > 1e-9].tolist())
        if a_ub.shape[0]:
            used_rows |= set(ub_origin[np.abs(out.ineqlin.marginals) > 1e-9].tolist())
        atoms = np.flatnonzero((np.abs(out.lower.marginals) > 1e-9) | (np.abs(out.upper.marginals) > 1e-9))
        used_units = np.flatnonzero(np.isin(atom, atoms)).tolist()
        return used_rows, used_units

    for i in range(n_targets):
        if low_ok(i) and high_ok(i):
            continue
        objective = np.zeros(n_atoms)
        if is_unit[i]:
            objective[target_atom[i]] = 1.0
        else:
            objective = np.asarray(matrix[index[i]].todense()).ravel()
        rows_used, units_used = set(), []
        if not low_ok(i):
            out = solve(objective)
            if not low_ok(i):
                r, u = binding(out)
                rows_used |= r
                units_used += u
        if not high_ok(i):
            out = solve(-objective)
            if not high_ok(i):
                r, u = binding(out)
                rows_used |= r
                units_used += u
        if not (low_ok(i) and high_ok(i)):
            if is_unit[i]:          # the other communes of its atom bound it too
                units_used += np.flatnonzero(atom == target_atom[i]).tolist()
            result.disclosed[i] = True
            result.binding_rows[i] = sorted(rows_used)
            result.binding_units[i] = sorted(set(units_used))
    return result
