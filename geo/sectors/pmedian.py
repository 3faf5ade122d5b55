"""Balanced p-median without contiguity: capacitated assignment (transportation LP) + medoid updates.

It is both the seeding stage of :class:`~geo.sectors.contiguous.ContiguousPMedian`
and a reference: its objective (mean patient distance to the sector's medoid, with
exact balance and no contiguity) is the yardstick contiguous plans are compared to.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from geo.sectors.base import SectorMethod
from geo.sectors.problem import Problem, SectorError

#: Above this many sectors, each unit only considers its nearest centres in the LP.
_DENSE_SECTORS = 24
_NEAREST = 16
#: Above this many LP variables, the seeds come from recursive coordinate bisection instead of the LP.
_LP_MAX_VARIABLES = 60_000


def kmeanspp(problem: Problem, rng: np.random.Generator) -> np.ndarray:
    """Initial centres (positions): fixed bases, then anchors, then load-weighted k-means++ picks."""
    load = problem.load
    centres = np.where(problem.bases >= 0, problem.bases, problem.anchors)
    chosen = [int(c) for c in centres if c >= 0]
    best = np.full(problem.n, np.inf)
    for c in chosen:
        best = np.minimum(best, np.hypot(*(problem.xy - problem.xy[c]).T))
    for s in range(problem.k):
        if centres[s] >= 0:
            continue
        if not chosen:
            p = load / load.sum()
        else:
            p = load * best ** 2
            p = p / p.sum() if p.sum() > 0 else load / load.sum()
        c = int(rng.choice(problem.n, p=p))
        centres[s] = c
        chosen.append(c)
        best = np.minimum(best, np.hypot(*(problem.xy - problem.xy[c]).T))
    return centres


def assignment_costs(problem: Problem, units: np.ndarray, dist_km: np.ndarray) -> np.ndarray:
    """Cost of giving each of ``units`` to each sector: load x km, plus the keep penalty."""
    w = problem.load[units]
    cost = w[:, None] * dist_km
    prev = problem.previous[units]
    if problem.keep_weight and np.any(prev >= 0):
        moved = (prev[:, None] >= 0) & (prev[:, None] != np.arange(problem.k)[None, :])
        cost = cost + problem.keep_weight * w[:, None] * moved
    return cost


def lp_assign(problem: Problem, centres: np.ndarray, slack: float) -> tuple[np.ndarray, float, float]:
    """Assign the units with load to sectors around ``centres`` with balanced loads.

    Solves the transportation LP (fractions of units, each sector's load within
    ``slack`` of its target, locks respected) with HiGHS, then gives each unit to
    the sector holding its largest fraction.

    Returns
    -------
    labels
        (n,) sector per unit, -1 for units without load.
    objective
        The LP's cost (load x km plus keep penalties).
    mean_km
        The LP's load-weighted mean distance (km), a reference without contiguity.
    """
    units = np.flatnonzero(problem.load > 0)
    k = problem.k
    dist = problem.distances_km(centres)[units]
    cost = assignment_costs(problem, units, dist)
    locked = problem.locked[units]
    for attempt in range(2):
        if k > _DENSE_SECTORS and attempt == 0:
            near = np.argpartition(dist, _NEAREST, axis=1)[:, :_NEAREST]
            allowed = np.zeros((len(units), k), dtype=bool)
            np.put_along_axis(allowed, near, True, axis=1)
            prev = problem.previous[units]
            allowed[np.flatnonzero(prev >= 0), prev[prev >= 0]] = True
        else:
            allowed = np.ones((len(units), k), dtype=bool)
        allowed[locked >= 0] = False
        allowed[np.flatnonzero(locked >= 0), locked[locked >= 0]] = True
        rows, cols = np.nonzero(allowed)
        nvar = len(rows)
        w = problem.load[units]
        a_eq = sparse.csr_matrix((np.ones(nvar), (rows, np.arange(nvar))), shape=(len(units), nvar))
        cap = sparse.csr_matrix((w[rows], (cols, np.arange(nvar))), shape=(k, nvar))
        a_ub = sparse.vstack([cap, -cap]).tocsr()
        b_ub = np.concatenate([problem.targets * (1 + slack), -problem.targets * (1 - slack)])
        res = linprog(cost[rows, cols], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.ones(len(units)),
                      bounds=(0, 1), method="highs")
        if res.status == 0:
            break
    else:
        raise SectorError("sectors.no_balanced_assignment", units=len(units), sectors=k)
    x = res.x
    frac = np.zeros((len(units), k))
    frac[rows, cols] = x
    labels = np.full(problem.n, -1, dtype=np.int64)
    labels[units] = np.argmax(frac, axis=1)
    mean_km = float((frac * dist * w[:, None]).sum() / w.sum())
    return labels, float(res.fun), mean_km


def graph_distances_km(problem: Problem, sources: np.ndarray) -> np.ndarray:
    """(n, len(sources)) shortest-path distances (km) over the contiguity graph, edges weighted by length.

    A unit's path to a source runs through neighbouring units, so a sector
    made of the units closest to its base *along the graph* (up to a constant
    per sector) is always one piece.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    e = problem.edges
    length = np.hypot(*(problem.xy[e[:, 0]] - problem.xy[e[:, 1]]).T) / 1000.0 + 1e-6
    graph = coo_matrix((length, (e[:, 0], e[:, 1])), shape=(problem.n, problem.n)).tocsr()
    return dijkstra(graph, directed=False, indices=np.asarray(sources, dtype=np.int64)).T


def graph_voronoi(problem: Problem, slack: float | None = None) -> np.ndarray:
    """Balanced sectors around fixed bases, contiguous by construction (every sector must have a base).

    The transport LP assigns the units with load to the bases at the least
    load x graph distance with each load within ``slack`` of its target; its
    dual prices ``p`` shift each base's distances, and every unit (with load
    or not) goes to the base minimising ``graph distance - p``. A unit's
    shortest path to its base then stays in the same sector, so each sector
    is one piece (ties aside); only the few units the LP splits between two
    sectors can leave a small imbalance, which the balancing steps remove.
    Locked units keep their sector.
    """
    slack = problem.tolerance / 2 if slack is None else slack
    k = problem.k
    dist = graph_distances_km(problem, problem.bases)
    if not np.isfinite(dist).all():
        raise SectorError("sectors.no_contiguous_plan", workers=[problem._sector(s) for s in range(k)])
    units = np.flatnonzero(problem.load > 0)
    w = problem.load[units]
    locked = problem.locked[units]
    allowed = np.ones((len(units), k), dtype=bool)
    allowed[locked >= 0] = False
    allowed[np.flatnonzero(locked >= 0), locked[locked >= 0]] = True
    rows, cols = np.nonzero(allowed)
    nvar = len(rows)
    a_eq = sparse.csr_matrix((np.ones(nvar), (rows, np.arange(nvar))), shape=(len(units), nvar))
    cap = sparse.csr_matrix((w[rows], (cols, np.arange(nvar))), shape=(k, nvar))
    res = linprog(w[rows] * dist[units][rows, cols], A_ub=sparse.vstack([cap, -cap]).tocsr(),
                  b_ub=np.concatenate([problem.targets * (1 + slack), -problem.targets * (1 - slack)]),
                  A_eq=a_eq, b_eq=np.ones(len(units)), bounds=(0, 1), method="highs")
    if res.status != 0:
        raise SectorError("sectors.no_balanced_assignment", units=len(units), sectors=k)
    marg = np.asarray(res.ineqlin.marginals)
    price = marg[:k] - marg[k:]             # per unit of load: the reduced cost is w (d - price)
    return _tune_offsets(problem, price.max() - price)


def _tune_offsets(problem: Problem, offsets: np.ndarray, iterations: int = 120) -> np.ndarray:
    """Grow from the bases, delaying the overloaded sectors' waves and advancing the underloaded ones.

    The LP's prices balance the fractional assignment; growing whole units
    (ties broken by the waves) can leave sectors far off, mostly where bases
    are clustered. Each step shifts a sector's start by a fraction of its
    relative deviation; the most balanced labelling seen is returned (every
    labelling is contiguous by construction).
    """
    offsets = np.asarray(offsets, dtype=float).copy()
    best, best_viol = None, np.inf
    step = 20.0
    for it in range(iterations):
        labels = grow_from_bases(problem, offsets - offsets.min())
        loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
        rel = loads / problem.targets - 1
        viol = float(np.maximum(np.abs(rel) - problem.tolerance, 0).sum())
        if viol < best_viol - 1e-12:
            best, best_viol = labels, viol
        if viol <= 1e-12:
            break
        offsets += step * np.clip(rel, -1, 1)
        step *= 0.97
    return best


def grow_from_bases(problem: Problem, offsets: np.ndarray) -> np.ndarray:
    """Each unit to the base whose wave reaches it first, base ``s`` starting ``offsets[s]`` km late.

    A multi-source Dijkstra over the contiguity graph: a unit takes the label
    of its predecessor on its shortest path, so every sector is one piece and
    holds its base. Locked units are not forced here (the repair step joins them).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    n, k = problem.n, problem.k
    e = problem.edges
    length = np.hypot(*(problem.xy[e[:, 0]] - problem.xy[e[:, 1]]).T) / 1000.0 + 1e-6
    rows = np.concatenate([e[:, 0], e[:, 1], np.full(k, n)])
    cols = np.concatenate([e[:, 1], e[:, 0], problem.bases])
    data = np.concatenate([length, length, np.asarray(offsets, dtype=float) + 1e-6])
    graph = coo_matrix((data, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    dist, pred = dijkstra(graph, directed=True, indices=n, return_predecessors=True)
    labels = np.full(n + 1, -1, dtype=np.int64)
    labels[problem.bases] = np.arange(k)
    for i in np.argsort(dist, kind="stable").tolist():
        if labels[i] < 0 and i < n and pred[i] >= 0:
            labels[i] = labels[pred[i]]
    if (labels[:n] < 0).any():
        raise SectorError("sectors.no_contiguous_plan", workers=[problem._sector(s) for s in range(k)])
    return labels[:n]


def bisection_assign(problem: Problem) -> np.ndarray:
    """Balanced regions by recursive coordinate bisection (for problems too large for the LP).

    The units with load are cut across their longer extent at the point where
    the cumulative load reaches the first half's share of the targets, then each
    half again, down to one sector. Locked units and previous plans are not
    considered here (the later steps handle them). Units without load get -1.
    """
    labels = np.full(problem.n, -1, dtype=np.int64)
    heavy = np.flatnonzero(problem.load > 0)
    stack = [(heavy, np.arange(problem.k))]
    while stack:
        units, sectors = stack.pop()
        if len(sectors) == 1 or len(units) <= 1:
            labels[units] = sectors[0]
            continue
        half = len(sectors) // 2
        first, second = sectors[:half], sectors[half:]
        share = problem.targets[first].sum() / problem.targets[sectors].sum()
        xy = problem.xy[units]
        axis = int(np.argmax(xy.max(axis=0) - xy.min(axis=0)))
        order = units[np.argsort(xy[:, axis], kind="stable")]
        cum = np.cumsum(problem.load[order])
        cut = int(np.searchsorted(cum, share * cum[-1]))
        cut = min(max(cut, len(first)), len(order) - len(second))
        stack.append((order[:cut], first))
        stack.append((order[cut:], second))
    return labels


def medoids(problem: Problem, labels: np.ndarray, candidates: np.ndarray | None = None,
            weights: np.ndarray | None = None) -> np.ndarray:
    """Each sector's base: its fixed base, else its load-weighted medoid.

    The medoid is the member (among ``candidates`` if given, a boolean mask)
    minimising the load-weighted sum of distances to the sector's members. A
    sector without load takes its geometric medoid; an empty sector gets -1.
    """
    weights = problem.load if weights is None else weights
    out = problem.bases.copy()
    order = np.argsort(labels, kind="stable")
    splits = np.searchsorted(labels[order], np.arange(problem.k + 1))
    for s in range(problem.k):
        if out[s] >= 0:
            continue
        members = order[splits[s]:splits[s + 1]]
        if len(members) == 0:
            continue
        cand = members if candidates is None else members[candidates[members]]
        if len(cand) == 0:
            cand = members
        w = weights[members]
        heavy = members[w > 0]
        if len(heavy) == 0:
            heavy, wh = members, np.ones(len(members))
        else:
            wh = weights[heavy]
        out[s] = _weighted_medoid(problem.xy, cand, heavy, wh)
    return out


def _weighted_medoid(xy, cand, heavy, wh) -> int:
    best, best_cost = -1, np.inf
    step = max(1, 4_000_000 // max(1, len(heavy)))
    for start in range(0, len(cand), step):
        c = cand[start:start + step]
        d = np.hypot(xy[c, None, 0] - xy[None, heavy, 0], xy[c, None, 1] - xy[None, heavy, 1])
        costs = d @ wh
        j = int(np.argmin(costs))
        if costs[j] < best_cost:
            best, best_cost = int(c[j]), float(costs[j])
    return best


def balanced_pmedian(problem: Problem, rng: np.random.Generator, restarts: int = 4,
                     iterations: int = 12, slack: float | None = None) -> dict:
    """Best of ``restarts`` runs of (LP assignment, medoid update) until the centres settle.

    Returns a dict with ``labels`` (-1 for units without load), ``centres``,
    ``objective`` and ``mean_km`` of the best run.
    """
    slack = problem.tolerance / 2 if slack is None else slack
    best = None
    heavy = problem.load > 0
    if int(heavy.sum()) * min(problem.k, _NEAREST) > _LP_MAX_VARIABLES:
        # too large for the LP: recursive coordinate bisection, balanced by construction
        labels = bisection_assign(problem)
        centres = medoids(problem, labels, candidates=heavy)
        d = np.hypot(*(problem.xy[heavy] - problem.xy[centres[labels[heavy]]]).T) / 1000.0
        objective = float((problem.load[heavy] * d).sum())
        return {"labels": labels, "centres": centres, "objective": objective,
                "mean_km": objective / problem.total_load}
    for _ in range(max(1, restarts)):
        centres = kmeanspp(problem, rng)
        seen = set()
        for _ in range(iterations):
            labels, objective, mean_km = lp_assign(problem, centres, slack)
            new = medoids(problem, labels, candidates=heavy)
            new = np.where(new >= 0, new, centres)
            key = tuple(new.tolist())
            if np.array_equal(new, centres) or key in seen:
                break
            seen.add(key)
            centres = new
        labels, objective, mean_km = lp_assign(problem, centres, slack)
        if best is None or objective < best["objective"] - 1e-9:
            best = {"labels": labels, "centres": centres, "objective": objective, "mean_km": mean_km}
    return best


class BalancedPMedian(SectorMethod):
    """Balanced p-median without contiguity (the reference bound).

    Parameters
    ----------
    seed
        Random seed of the k-means++ starts.
    restarts, iterations
        Number of starts, and of LP/medoid alternations per start.

    Units without load go to the nearest centre; sectors may be in pieces.
    """

    name = "pmedian"
    contiguous = False

    def __init__(self, seed: int | None = 0, restarts: int = 4, iterations: int = 12):
        super().__init__(seed, restarts=restarts, iterations=iterations)

    def _solve(self, problem: Problem, rng: np.random.Generator) -> np.ndarray:
        result = balanced_pmedian(problem, rng, self.params["restarts"], self.params["iterations"],
                                  slack=0.0)
        labels = result["labels"].copy()
        zero = labels < 0
        dist = problem.distances_km(result["centres"])
        labels[zero] = np.argmin(dist[zero], axis=1)
        self.info_ = {"objective": result["objective"], "mean_km": result["mean_km"],
                      "centres": result["centres"]}
        return labels


def fixed_base_bound(problem: Problem, slack: float | None = None) -> dict:
    """Lower bound of the mean patient distance to fixed bases: the balanced transport LP.

    Every sector must have a fixed base. Units with load are split
    (fractionally) between the bases, each sector's load within
    ``slack`` (default: the problem's tolerance) of its target, locks kept, no
    contiguity: no plan within tolerance around these bases can have a lower
    mean distance. HiGHS solves it in well under a second on the territory.

    Returns
    -------
    dict
        ``mean_km`` (the bound), ``seconds``.
    """
    import time

    if (problem.bases < 0).any():
        raise SectorError("sectors.bound_needs_bases", missing=int((problem.bases < 0).sum()))
    start = time.perf_counter()
    slack = problem.tolerance if slack is None else slack
    _, _, mean_km = lp_assign(problem.replace(keep_weight=0.0), problem.bases, slack)
    return {"mean_km": mean_km, "seconds": time.perf_counter() - start}
