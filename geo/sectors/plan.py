"""A plan: one sector per unit, with metrics computed on demand and updated per click.

A :class:`Plan` is immutable. ``plan.flip({"69381": "S02"})`` returns a child
plan that remembers its parent and the flips, so the updaters recompute only
the sectors that changed (see :mod:`geo.sectors.updaters`).

Examples
--------
>>> plan = propose(counts, 11)                        # doctest: +SKIP
>>> plan["load"], plan.max_deviation                  # doctest: +SKIP
>>> child = plan.flip({"69381": "S02"})               # doctest: +SKIP
>>> child.metrics()["plan"]["mean_km"]                # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from geo.sectors.context import SectorContext
from geo.sectors.problem import DEFAULT_TOLERANCE, SectorError
from geo.sectors.updaters import Updater, default_updaters


class Plan:
    """An assignment of every unit to a sector, with cached metrics (updaters).

    Parameters
    ----------
    context
        The territory and workload arrays.
    assignment
        (n,) sector index per unit position.
    names
        Sector names (worker names, or S01..Snn).
    targets
        (k,) target load of each sector; default: the load split equally.
        Rescaled to the total load.
    fixed_bases
        (k,) position of each worker's base commune, -1 for the medoid.
    tolerance
        Balance tolerance used by the ``within_tolerance`` constraint.
    updaters
        Extra updaters by name (added to the standard ones).
    groups
        (k,) group name of each sector, or None (one group).
    anchors
        (k,) position of a unit each sector must contain without being its
        centre (base mode "inside"), -1 when none; None for none at all.
    """

    def __init__(self, context: SectorContext, assignment, names, targets=None, fixed_bases=None,
                 tolerance: float = DEFAULT_TOLERANCE, updaters: Mapping[str, Updater] | None = None,
                 *, parent: "Plan | None" = None, flips: dict[int, int] | None = None, info: dict | None = None,
                 groups=None, anchors=None):
        self.context = context
        assignment = np.array(assignment, dtype=np.int64)
        assignment.setflags(write=False)
        self.assignment = assignment
        self.names = tuple(str(n) for n in names)
        k = len(self.names)
        if len(set(self.names)) != k:
            raise SectorError(f"sector names must be unique, got {list(self.names)}")
        if assignment.shape != (context.n,):
            raise SectorError(f"assignment must have {context.n} values, got {assignment.shape}")
        if len(assignment) and (assignment.min() < 0 or assignment.max() >= k):
            raise SectorError(f"every unit needs a sector in 0..{k - 1}")
        weights = np.ones(k) if targets is None else np.asarray(targets, dtype=float)
        total = float(context.load.sum())
        self.targets = _frozen(weights * (total / weights.sum()) if weights.sum() > 0 else weights)
        self.fixed_bases = _frozen(np.full(k, -1, dtype=np.int64) if fixed_bases is None
                                   else np.asarray(fixed_bases, dtype=np.int64))
        self.tolerance = float(tolerance)
        self.groups = None if groups is None else tuple(str(g) for g in groups)
        if self.groups is not None and len(self.groups) != k:
            raise SectorError(f"{k} sectors but {len(self.groups)} groups")
        self.anchors = _frozen(np.full(k, -1, dtype=np.int64) if anchors is None
                               else np.asarray(anchors, dtype=np.int64))
        self.updaters = default_updaters() if parent is None else parent.updaters
        if updaters:
            self.updaters = {**self.updaters, **updaters}
        self.parent = parent
        self.flips = dict(flips or {})
        self.flows = _flows(parent.assignment, self.flips) if parent is not None else {}
        self.info = dict(info or {})
        self._cache: dict[str, object] = {}

    # -- GerryChain-like interface ----------------------------------------------
    @property
    def k(self) -> int:
        return len(self.names)

    def __getitem__(self, name: str):
        if name not in self._cache:
            if name not in self.updaters:
                raise KeyError(f"no updater {name!r}; known: {sorted(self.updaters)}")
            self._cache[name] = self.updaters[name](self)
        return self._cache[name]

    def has_computed(self, name: str) -> bool:
        return name in self._cache

    def sector_index(self, sector) -> int:
        if isinstance(sector, (int, np.integer)):
            if not 0 <= int(sector) < self.k:
                raise SectorError(f"sector index {sector} out of range 0..{self.k - 1}")
            return int(sector)
        try:
            return self.names.index(str(sector))
        except ValueError:
            raise SectorError("sectors.unknown_sector", sector=str(sector), sectors=list(self.names)) from None

    def unit_position(self, unit) -> int:
        if isinstance(unit, (int, np.integer)):
            return int(unit)
        return int(self.context.positions([unit])[0])

    def flip(self, changes: Mapping) -> "Plan":
        """A child plan with units (codes or positions) moved to sectors (names or indices)."""
        flips = {}
        for unit, sector in changes.items():
            i, s = self.unit_position(unit), self.sector_index(sector)
            if self.assignment[i] != s:
                flips[i] = s
        assignment = self.assignment.copy()
        for i, s in flips.items():
            assignment[i] = s
        return Plan(self.context, assignment, self.names, self.targets, self.fixed_bases, self.tolerance,
                    parent=self, flips=flips, info=self.info, groups=self.groups, anchors=self.anchors)

    def with_assignment(self, assignment) -> "Plan":
        """A fresh plan (no parent) with the same sectors and another assignment."""
        return Plan(self.context, assignment, self.names, self.targets, self.fixed_bases, self.tolerance,
                    info=self.info, groups=self.groups, anchors=self.anchors)

    # -- derived metrics (cheap functions of the updaters) -------------------------
    @property
    def deviation(self) -> np.ndarray:
        return self["load"] / self.targets - 1

    @property
    def max_deviation(self) -> float:
        return float(np.max(np.abs(self.deviation)))

    @property
    def polsby_popper(self) -> np.ndarray:
        per = self["perimeter"]
        return np.where(per > 0, 4 * math.pi * self["area"] / np.maximum(per, 1e-12) ** 2, 0.0)

    @property
    def mean_distance(self) -> float:
        total = float(self.context.patients.sum())
        return float(self["distances"][:, 0].sum() / total) if total > 0 else 0.0

    @property
    def cut_edge_count(self) -> int:
        return int(self["cut_edges"].sum())

    @property
    def is_contiguous(self) -> bool:
        return bool(self["contiguous"].all())

    @property
    def group_names(self) -> tuple[str, ...]:
        """The distinct groups, sorted (one unnamed group when the team has none)."""
        return tuple(sorted(set(self.groups))) if self.groups is not None else ("",)

    def group_labels(self) -> np.ndarray:
        """(n,) index in :attr:`group_names` of each unit's group."""
        if self.groups is None:
            return np.zeros(self.context.n, dtype=np.int64)
        index = {g: i for i, g in enumerate(self.group_names)}
        of_sector = np.array([index[g] for g in self.groups], dtype=np.int64)
        return of_sector[self.assignment]

    @property
    def groups_contiguous(self) -> bool:
        """Each group's sectors form one connected block."""
        from geo.sectors._graph import pieces_per_sector

        pieces = pieces_per_sector(self.group_labels(), self.context.edges, len(self.group_names))
        return bool((pieces == 1).all())

    @property
    def group_deviation(self) -> dict[str, float]:
        """Each group's load relative to its summed targets, minus 1."""
        g = np.asarray([self.group_names.index(x) for x in self.groups]) if self.groups else np.zeros(self.k, int)
        load = np.bincount(g, weights=self["load"], minlength=len(self.group_names))
        target = np.bincount(g, weights=self.targets, minlength=len(self.group_names))
        return {name: float(load[i] / target[i] - 1) for i, name in enumerate(self.group_names)}

    @property
    def anchors_inside(self) -> bool:
        """Every anchor (base mode "inside") lies in its own sector."""
        return all(a < 0 or self.assignment[a] == s for s, a in enumerate(self.anchors.tolist()))

    def departements_spanned(self) -> list[list[str]]:
        counts = self["departements"]
        labels = self.context.departement_labels
        return [labels[counts[s] > 0].tolist() for s in range(self.k)]

    def metrics(self) -> dict:
        """Per-sector and plan-wide metrics as a JSON-ready dict."""
        ctx = self.context
        load, patients, dist = self["load"], self["patients"], self["distances"]
        bases, pp, spanned = self["bases"], self.polsby_popper, self.departements_spanned()
        sectors = []
        for s in range(self.k):
            b = int(bases[s])
            sectors.append({
                "sector": self.names[s],
                "target": round(float(self.targets[s]), 3),
                "load": round(float(load[s]), 3),
                "deviation": round(float(self.deviation[s]), 5),
                "patients": int(round(patients[s])),
                "population": int(self["population"][s]),
                "units": int(self["units"][s]),
                "area_km2": round(float(self["area"][s]), 1),
                "base": ctx.codes[b] if b >= 0 else None,
                "base_name": ctx.names[b] if b >= 0 else None,
                "base_fixed": bool(self.fixed_bases[s] >= 0),
                "group": self.groups[s] if self.groups is not None else None,
                "anchor": ctx.codes[self.anchors[s]] if self.anchors[s] >= 0 else None,
                "mean_km": round(float(dist[s, 0] / patients[s]), 3) if patients[s] > 0 else 0.0,
                "max_km": round(float(dist[s, 1]), 3),
                "polsby_popper": round(float(pp[s]), 4),
                "departements": spanned[s],
                "contiguous": bool(self["contiguous"][s]),
            })
        return {
            "plan": {
                "sectors": self.k,
                "units": int(ctx.n),
                "patients": int(round(ctx.patients.sum())),
                "load": round(float(ctx.load.sum()), 3),
                "tolerance": self.tolerance,
                "max_deviation": round(self.max_deviation, 5),
                "within_tolerance": bool(self.max_deviation <= self.tolerance + 1e-9),
                "mean_km": round(self.mean_distance, 3),
                "max_km": round(float(dist[:, 1].max()), 3) if self.k else 0.0,
                "cut_edges": self.cut_edge_count,
                "contiguous": self.is_contiguous,
                "groups_contiguous": self.groups_contiguous,
                "max_group_deviation": round(max(abs(v) for v in self.group_deviation.values()), 5),
                "mean_polsby_popper": round(float(pp.mean()), 4),
                "departements_split": int(((self["departements"] > 0).sum(axis=0) > 1).sum()),
                **{k: v for k, v in self.info.items() if isinstance(v, (int, float, str, bool))},
            },
            "sectors": sectors,
        }

    # -- frames ---------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """``code_insee, sector`` (every unit exactly once, in code order)."""
        names = np.array(self.names, dtype=object)
        return pd.DataFrame({"code_insee": self.context.codes, "sector": names[self.assignment]})

    def sector_of(self, unit) -> str:
        return self.names[self.assignment[self.unit_position(unit)]]

    def __repr__(self) -> str:
        return f"<Plan {self.k} sectors, {self.context.n} units, max deviation {self.max_deviation:.2%}>"


def _frozen(arr):
    arr = np.array(arr)
    arr.setflags(write=False)
    return arr


def _flows(old: np.ndarray, flips: dict[int, int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per touched sector: (units arriving, units leaving)."""
    inflow: dict[int, list[int]] = {}
    outflow: dict[int, list[int]] = {}
    for i, s in flips.items():
        a = int(old[i])
        if a == s:
            continue
        inflow.setdefault(s, []).append(i)
        outflow.setdefault(a, []).append(i)
    sectors = set(inflow) | set(outflow)
    return {s: (np.array(inflow.get(s, []), dtype=np.int64), np.array(outflow.get(s, []), dtype=np.int64))
            for s in sorted(sectors)}


def plan_from_frame(context: SectorContext, frame: pd.DataFrame, names=None, targets=None, fixed_bases=None,
                    tolerance: float = DEFAULT_TOLERANCE, *, groups=None, anchors=None) -> Plan:
    """A plan from a ``code_insee, sector`` table covering every unit exactly once."""
    missing = [c for c in ("code_insee", "sector") if c not in frame.columns]
    if missing:
        raise SectorError(f"a plan table needs columns code_insee and sector; missing {missing}")
    codes = frame["code_insee"].astype(str)
    dup = sorted(codes[codes.duplicated()].unique())
    if dup:
        raise SectorError("sectors.plan_duplicate_units", count=len(dup), codes=dup[:10])
    pos = context.positions(codes)
    absent = np.setdiff1d(np.arange(context.n), pos)
    if len(absent):
        raise SectorError("sectors.plan_missing_units", count=len(absent), codes=context.codes[absent[:10]].tolist())
    sectors = frame["sector"].astype(str).to_numpy()
    if names is None:
        names = sorted(set(sectors))
    names = [str(n) for n in names]
    index = {n: s for s, n in enumerate(names)}
    unknown = sorted(set(sectors) - set(index))
    if unknown:
        raise SectorError("sectors.plan_sectors_not_in_team", sectors=unknown, team=names)
    assignment = np.empty(context.n, dtype=np.int64)
    assignment[pos] = [index[s] for s in sectors]
    return Plan(context, assignment, names, targets, fixed_bases, tolerance, groups=groups, anchors=anchors)
