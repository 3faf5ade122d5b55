"""Metrics of a plan as updaters: a first-time path and an incremental path (GerryChain style).

An :class:`Updater` is called with a plan. If the plan has a parent that has
already computed the metric, the incremental path updates the parent's value
from the flips (only the sectors a click touched are recomputed); otherwise
the full path computes it from scratch. Values are read-only numpy arrays
(one entry per sector) or small scalars.

Updaters
--------
load, patients, population, area, units    per-sector tallies
perimeter                                  per-sector perimeter (km) from shared borders
cut_edges                                  boolean mask over the contiguity edges
departements                               (k, departments) unit counts
bases                                      each sector's base (fixed, else load-weighted medoid)
distances                                  per-sector (patient-km sum, max km) to the base
contiguous                                 per-sector bool
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from geo.sectors._graph import is_connected


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    arr.setflags(write=False)
    return arr


class Updater:
    """A named metric with a full path and an optional incremental one."""

    def __init__(self, name: str, full: Callable, incremental: Callable | None = None):
        self.name = name
        self.full = full
        self.incremental = incremental

    def __call__(self, plan):
        parent = plan.parent
        if self.incremental is not None and parent is not None and parent.has_computed(self.name):
            return _frozen(self.incremental(plan, parent[self.name]))
        return _frozen(self.full(plan))

    def __repr__(self) -> str:
        return f"Updater({self.name!r})"


# -- tallies -----------------------------------------------------------------
def tally(name: str, field: Callable) -> Updater:
    """Per-sector sum of a per-unit array (``field(context)``), updated from the flows."""

    def full(plan):
        return np.bincount(plan.assignment, weights=field(plan.context), minlength=plan.k)

    def incremental(plan, previous):
        values = field(plan.context)
        out = previous.copy()
        for s, (inflow, outflow) in plan.flows.items():
            out[s] += values[inflow].sum() - values[outflow].sum()
        return out

    return Updater(name, full, incremental)


# -- perimeter and cut edges ------------------------------------------------
def _perimeter_full(plan):
    ctx = plan.context
    a = plan.assignment
    inner = a[ctx.edges[:, 0]] == a[ctx.edges[:, 1]]
    per = np.bincount(a, weights=ctx.perimeter_km, minlength=plan.k)
    per -= 2 * np.bincount(a[ctx.edges[inner, 0]], weights=ctx.shared_km[inner], minlength=plan.k)
    return per


def _touched_edges(plan) -> np.ndarray:
    ctx = plan.context
    moved = list(plan.flips)
    if not moved:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([ctx.incident_edges[i] for i in moved]))


def _perimeter_incremental(plan, previous):
    ctx = plan.context
    out = previous.copy()
    for s, (inflow, outflow) in plan.flows.items():
        out[s] += ctx.perimeter_km[inflow].sum() - ctx.perimeter_km[outflow].sum()
    e = _touched_edges(plan)
    if len(e):
        old, new = plan.parent.assignment, plan.assignment
        i, j = ctx.edges[e, 0], ctx.edges[e, 1]
        was = old[i] == old[j]
        now = new[i] == new[j]
        np.add.at(out, old[i[was]], 2 * ctx.shared_km[e[was]])
        np.add.at(out, new[i[now]], -2 * ctx.shared_km[e[now]])
    return out


def _cut_full(plan):
    e = plan.context.edges
    return plan.assignment[e[:, 0]] != plan.assignment[e[:, 1]]


def _cut_incremental(plan, previous):
    out = previous.copy()
    e = _touched_edges(plan)
    if len(e):
        edges = plan.context.edges[e]
        out[e] = plan.assignment[edges[:, 0]] != plan.assignment[edges[:, 1]]
    return out


# -- departments ------------------------------------------------------------------
def _departements_full(plan):
    ctx = plan.context
    out = np.zeros((plan.k, len(ctx.departement_labels)), dtype=np.int64)
    np.add.at(out, (plan.assignment, ctx.departement_index), 1)
    return out


def _departements_incremental(plan, previous):
    ctx = plan.context
    out = previous.copy()
    for i, s in plan.flips.items():
        out[plan.parent.assignment[i], ctx.departement_index[i]] -= 1
        out[s, ctx.departement_index[i]] += 1
    return out


# -- bases and distances ------------------------------------------------------------
def _base_of(plan, s: int) -> int:
    fixed = plan.fixed_bases[s]
    if fixed >= 0:
        return int(fixed)
    from geo.sectors.pmedian import _weighted_medoid

    ctx = plan.context
    members = np.flatnonzero(plan.assignment == s)
    if len(members) == 0:
        return -1
    heavy = members[ctx.load[members] > 0]
    weights = ctx.load[heavy] if len(heavy) else np.ones(len(members))
    return _weighted_medoid(ctx.xy, members, heavy if len(heavy) else members, weights)


def _bases_full(plan):
    return np.array([_base_of(plan, s) for s in range(plan.k)], dtype=np.int64)


def _bases_incremental(plan, previous):
    out = previous.copy()
    for s in plan.flows:
        out[s] = _base_of(plan, s)
    return out


def _distance_of(plan, s: int, base: int) -> tuple[float, float]:
    ctx = plan.context
    members = np.flatnonzero(plan.assignment == s)
    members = members[ctx.patients[members] > 0]
    if len(members) == 0 or base < 0:
        return 0.0, 0.0
    d = np.hypot(*(ctx.xy[members] - ctx.xy[base]).T) / 1000.0
    return float(d @ ctx.patients[members]), float(d.max())


def _distances_full(plan):
    bases = plan["bases"]
    return np.array([_distance_of(plan, s, int(bases[s])) for s in range(plan.k)]).reshape(plan.k, 2)


def _distances_incremental(plan, previous):
    out = previous.copy()
    bases = plan["bases"]
    old_bases = plan.parent["bases"]
    touched = set(plan.flows) | set(np.flatnonzero(bases != old_bases).tolist())
    for s in touched:
        out[s] = _distance_of(plan, s, int(bases[s]))
    return out


# -- contiguity -----------------------------------------------------------------------
def _contiguous_of(plan, s: int) -> bool:
    return is_connected(np.flatnonzero(plan.assignment == s).tolist(), plan.context.nbrs)


def _contiguous_full(plan):
    from geo.sectors._graph import pieces_per_sector

    return pieces_per_sector(plan.assignment, plan.context.edges, plan.k) == 1


def _contiguous_incremental(plan, previous):
    out = previous.copy()
    for s in plan.flows:
        out[s] = _contiguous_of(plan, s)
    return out


def default_updaters() -> dict[str, Updater]:
    """A fresh dict of the standard updaters (never a shared mutable default)."""
    ups = [
        tally("load", lambda c: c.load),
        tally("patients", lambda c: c.patients),
        tally("population", lambda c: c.population),
        tally("area", lambda c: c.area_km2),
        tally("units", lambda c: np.ones(c.n)),
        Updater("perimeter", _perimeter_full, _perimeter_incremental),
        Updater("cut_edges", _cut_full, _cut_incremental),
        Updater("departements", _departements_full, _departements_incremental),
        Updater("bases", _bases_full, _bases_incremental),
        Updater("distances", _distances_full, _distances_incremental),
        Updater("contiguous", _contiguous_full, _contiguous_incremental),
    ]
    return {u.name: u for u in ups}


#: Names of the updaters that have an incremental path (each has a random-flip test).
INCREMENTAL = ("load", "patients", "population", "area", "units", "perimeter", "cut_edges",
               "departements", "bases", "distances", "contiguous")
