"""An attacker written independently of services.coverage: linear programs over what was published.

It reads only published frames (``level, key, display, units``: what
:meth:`services.coverage.Protection.published` and the release register keep,
i.e. what a reader of the CSV files can rebuild) and, for each masked cell,
solves ``min`` and ``max`` of the cell's value under every published
constraint of every release given. The symbols are read as the report's
method section says: a number is exact, ``< 11`` is 1-10, ``s`` is 11 or more,
``a à b`` is a..b, ``plus de N`` is more than N; every count is >= 0.

Communes that belong to exactly the same published cells are merged into one
variable (their sum; only it enters the constraints), which is exact for
every cell of two communes or more; a single commune's range follows from its
group's range and the others' bounds.
"""
from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

BIG = 1e6


def reading(text: str) -> tuple[float, float]:
    text = str(text).strip()
    if text == "< 11":
        return 1.0, 10.0
    if text == "s":
        return 11.0, BIG
    match = re.fullmatch(r"(\d+) à (\d+)", text)
    if match:
        return float(match.group(1)), float(match.group(2))
    match = re.fullmatch(r"plus de (\d+)", text)
    if match:
        return float(match.group(1)) + 1, BIG
    value = float(int(text))
    return value, value


class Attacker:
    """LP bounds of published cells, given published releases of the same counts."""

    def __init__(self, releases, codes):
        self.codes = list(codes)
        position = {c: i for i, c in enumerate(self.codes)}
        n = len(self.codes)
        self.lower, self.upper = np.zeros(n), np.full(n, BIG)
        rows, cols, low, high = [], [], [], []
        for frame in releases:
            for display, units in zip(frame["display"], frame["units"]):
                lo, hi = reading(display)
                idx = [position[u] for u in units]
                if len(idx) == 1:          # one commune: a bound on it
                    self.lower[idx[0]] = max(self.lower[idx[0]], lo)
                    self.upper[idx[0]] = min(self.upper[idx[0]], hi)
                    continue
                rows.extend([len(low)] * len(idx))
                cols.extend(idx)
                low.append(lo)
                high.append(hi)
        matrix = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(low), n)).tocsc()
        patterns = {}
        self.group = np.array([patterns.setdefault(matrix.indices[matrix.indptr[j]:matrix.indptr[j + 1]].tobytes(),
                                                   len(patterns)) for j in range(n)])
        k = len(patterns)
        merge = sparse.csr_matrix((np.ones(n), (np.arange(n), self.group)), shape=(n, k))
        grouped = (matrix.tocsr() @ merge).tocsr()
        grouped.data[:] = 1.0
        self.group_lower = np.bincount(self.group, weights=self.lower, minlength=k)
        self.group_upper = np.bincount(self.group, weights=self.upper, minlength=k)
        low, high = np.array(low), np.array(high)
        exact = low == high
        upper = ~exact & (high < BIG)
        lower = ~exact & (low > 0)
        self.a_eq, self.b_eq = grouped[exact], low[exact]
        self.a_ub = sparse.vstack([grouped[upper], -grouped[lower]]).tocsr()
        self.b_ub = np.concatenate([high[upper], -low[lower]])
        self.position = position
        self.lps = 0

    def _extremes(self, objective) -> tuple[float, float]:
        out = []
        for sign in (1.0, -1.0):
            self.lps += 1
            result = linprog(sign * objective, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq,
                             bounds=np.column_stack([self.group_lower, self.group_upper]), method="highs")
            assert result.status == 0, result.message
            out.append(sign * result.fun)
        return out[0], out[1]

    def bounds(self, units) -> tuple[float, float]:
        """Smallest and largest value of the sum of these communes' counts."""
        idx = [self.position[u] for u in units]
        groups = np.unique(self.group[idx])
        objective = np.zeros(len(self.group_lower))
        objective[groups] = 1.0
        if len(idx) > 1:
            whole = np.isin(self.group, groups)
            assert whole.sum() == len(idx), "a cell of several communes is a union of groups"
            return self._extremes(objective)
        u, g = idx[0], groups[0]
        low, high = self._extremes(objective)
        others = (self.group == g) & (np.arange(len(self.group)) != u)
        return (max(self.lower[u], low - self.upper[others].sum()),
                min(self.upper[u], high - self.lower[others].sum()))

    def recovered(self, releases, true_counts) -> list[tuple]:
        """Every masked cell (``< 11``, ``s`` or a commune class) holding 1 to 10 patients whose value the
        attacker pins down exactly: ``(level, key, value)``."""
        out = []
        seen = set()
        for frame in releases:
            for level, key, display, units in zip(frame["level"], frame["key"], frame["display"], frame["units"]):
                value = int(sum(true_counts.get(u, 0) for u in units))
                lo, hi = reading(display)
                if lo == hi or not (1 <= value <= 10) or tuple(units) in seen:
                    continue
                seen.add(tuple(units))
                low, high = self.bounds(units)
                if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < 1:
                    out.append((level, key, value))
        return out
