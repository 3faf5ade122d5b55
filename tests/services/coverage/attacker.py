"""An attacker written independently of services.coverage: linear programs over what was published.

It reads only published frames (``level, key, display, units``: what
:meth:`services.coverage.Protection.published` and the release register keep,
i.e. what a reader of the CSV files can rebuild) and, for each cell it is asked
about, solves ``min`` and ``max`` of the cell's sum over ALL per-commune
counts (one variable per commune, no merging), under every published
constraint of every release given. The symbols are read as the report's
method section says: a number is exact, ``< 11`` is 1-10, ``s`` is 11 or more,
``a à b`` is a..b, ``plus de N`` is more than N.
"""
from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from scipy.optimize import linprog


def reading(text: str) -> tuple[float, float]:
    text = str(text).strip()
    if text == "< 11":
        return 1.0, 10.0
    if text == "s":
        return 11.0, np.inf
    match = re.fullmatch(r"(\d+) à (\d+)", text)
    if match:
        return float(match.group(1)), float(match.group(2))
    match = re.fullmatch(r"plus de (\d+)", text)
    if match:
        return float(match.group(1)) + 1, np.inf
    value = float(int(text))
    return value, value


class Attacker:
    """LP bounds of any sum of commune counts, given published releases of the same counts."""

    def __init__(self, releases, codes):
        self.codes = list(codes)
        position = {c: i for i, c in enumerate(self.codes)}
        rows, cols, low, high = [], [], [], []
        n = len(self.codes)
        self.lower, self.upper = np.zeros(n), np.full(n, 1e6)
        for frame in releases:
            for display, units in zip(frame["display"], frame["units"]):
                lo, hi = reading(display)
                idx = [position[u] for u in units]
                if len(idx) == 1:          # one commune: a bound on its variable
                    self.lower[idx[0]] = max(self.lower[idx[0]], lo)
                    self.upper[idx[0]] = min(self.upper[idx[0]], hi)
                    continue
                rows.extend([len(low)] * len(idx))
                cols.extend(idx)
                low.append(lo)
                high.append(hi)
        self.matrix = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(low), n))
        low, high = np.array(low), np.array(high)
        exact = low == high
        self.a_eq, self.b_eq = self.matrix[exact], low[exact]
        upper = ~exact & np.isfinite(high)
        lower = ~exact & (low > 0)
        self.a_ub = sparse.vstack([self.matrix[upper], -self.matrix[lower]]).tocsr()
        self.b_ub = np.concatenate([high[upper], -low[lower]])
        self.position = position
        self.lps = 0

    def bounds(self, units) -> tuple[float, float]:
        """Smallest and largest value of the sum of these communes' counts."""
        objective = np.zeros(len(self.codes))
        objective[[self.position[u] for u in units]] = 1.0
        out = []
        for sign in (1.0, -1.0):
            self.lps += 1
            result = linprog(sign * objective, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq,
                             bounds=np.column_stack([self.lower, self.upper]), method="highs")
            assert result.status == 0, result.message
            out.append(sign * result.fun)
        return out[0], out[1]

    def recovered(self, releases, true_counts) -> list[tuple]:
        """Every masked cell (``< 11`` anywhere, or a commune class holding 1-10 patients) whose value the
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
