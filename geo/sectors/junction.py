"""A new sector placed where many current sectors meet, so the load it needs crosses few borders.

When a worker joins, every current sector must hand its excess over to the
new sector, through the sectors between them when it does not touch it: a
patient passed from A to B and another from B to the new sector are two
referent changes. The least number of changes for a given set of sectors
touching the new one is a min-cost flow on the sector graph
(:func:`flow_bound`): each unit of load costs one per sector border it
crosses. The more sectors the new one touches, the lower that bound, so the
new sector is placed at a junction (:func:`junction_candidates`: units whose
surroundings, up to the new sector's load, meet the sectors with the lowest
bound; with a base, the base). :func:`hop_ball` gives the units within a
number of graph steps of a place, where the new sector may grow.

:mod:`geo.sectors.resector` builds the sector there (one MILP) and balances.
"""
from __future__ import annotations

import heapq

import numpy as np

from geo.sectors.problem import Problem
from geo.sectors.tools import _sector_graph

#: Units with patients ranked as junction candidates (the most loaded ones).
CANDIDATE_POOL = 400


def flow_bound(problem: Problem, labels: np.ndarray, s: int, touched, band: float = 1.0,
               caps: dict[int, float] | None = None) -> tuple[float, dict[tuple[int, int], float]]:
    """Least load crossing a sector border for every sector to reach its band, new sector ``s`` touching ``touched``.

    Parameters
    ----------
    problem
        The problem (targets and tolerance).
    labels
        The current labelling (``s`` may be empty; units at -1 are ignored).
    s
        The new sector.
    touched
        The current sectors the new one is (to be) adjacent to.
    band
        Share of the tolerance allowed to each sector (1: the full band, a
        true lower bound; less leaves room for whole units).
    caps
        Most load the new sector may take from each touched sector (default: no limit).

    Returns
    -------
    (float, dict)
        The least load moved (inf if no flow fits) and the flow on each
        ``(from, to)`` sector pair that carries some (those into ``s``: the
        load the new sector takes from each touched sector, its quota).
    """
    k = problem.k
    adj = _sector_graph(labels, problem.edges, k)
    touched = sorted(set(int(t) for t in touched) - {s})
    arcs = [(a, b) for a in range(k) for b in sorted(adj[a]) if a != s and b != s]
    arcs += [(a, s) for a in touched]
    if not touched:
        return float("inf"), {}
    inside = labels >= 0
    loads = np.bincount(labels[inside], weights=problem.load[inside], minlength=k).astype(float)
    bounds = [(0, None) if b != s or caps is None else (0, caps.get(a, 0.0)) for a, b in arcs]
    found = band_flow(problem, loads, arcs, band, bounds)
    return found if found is not None else (float("inf"), {})


def band_flow(problem: Problem, loads: np.ndarray, arcs: list[tuple[int, int]], band: float,
              bounds=(0, None)) -> tuple[float, dict[tuple[int, int], float]] | None:
    """The least load moved along ``arcs`` bringing every sector within ``band`` x tolerance of its target.

    A min-cost flow as a linear programme (HiGHS): ``loads`` per sector, ``arcs`` the
    ``(from, to)`` sector pairs allowed, ``bounds`` on each arc's flow (one pair for all, or
    one per arc). Returns the load moved and the flow on each arc that carries some, or
    None when no flow fits.
    """
    from scipy.optimize import linprog

    if not arcs:
        return None
    net = np.zeros((problem.k, len(arcs)))
    for c, (a, b) in enumerate(arcs):
        net[b, c] += 1
        net[a, c] -= 1
    lo = problem.targets * (1 - band * problem.tolerance)
    hi = problem.targets * (1 + band * problem.tolerance)
    res = linprog(np.ones(len(arcs)), A_ub=np.vstack([net, -net]), b_ub=np.concatenate([hi - loads, loads - lo]),
                  bounds=bounds, method="highs")
    if res.status != 0:
        return None
    return float(res.fun), {arc: float(f) for arc, f in zip(arcs, res.x) if f > 1e-6}


def _ball(problem: Problem, labels: np.ndarray, centre: int, load: float) -> set[int]:
    """Units nearest ``centre`` (grown over the graph, Euclidean order) until they hold ``load``."""
    xy = problem.xy
    w = problem.load
    nbrs = problem.nbrs
    heap = [(0.0, centre)]
    seen = {centre}
    out: set[int] = set()
    total = 0.0
    while heap and total < load:
        _, u = heapq.heappop(heap)
        out.add(u)
        total += w[u]
        for v in nbrs[u]:
            if v not in seen and labels[v] >= 0:
                seen.add(v)
                heapq.heappush(heap, (float(np.hypot(*(xy[v] - xy[centre]))), v))
    return out


def junction_candidates(problem: Problem, labels: np.ndarray, s: int, count: int = 4
                        ) -> list[tuple[float, int, tuple[int, ...]]]:
    """Places for new sector ``s``, the lowest flow bound first: ``(bound, centre unit, touched sectors)``.

    With a base (or anchor, or a unit locked to ``s``) the base is the only
    place. Otherwise each of the :data:`CANDIDATE_POOL` most loaded units is
    scored: the sectors met by the units nearest it up to the new sector's
    load, plus those adjacent to them, are taken as touched, and
    :func:`flow_bound` gives the least load moved. Places touching the same
    sectors count once (the best).
    """
    own = [int(b) for b in (problem.bases[s], problem.anchors[s]) if b >= 0]
    locked = np.flatnonzero(problem.locked == s)
    fixed = own[0] if own else (int(locked[0]) if len(locked) else -1)
    target = float(problem.targets[s])
    if fixed >= 0:
        pool = [fixed]
    else:
        movable = np.flatnonzero((problem.load > 0) & (problem.locked < 0) & (labels >= 0))
        pool = movable[np.argsort(-problem.load[movable], kind="stable")][:CANDIDATE_POOL].tolist()
    nbrs = problem.nbrs
    seen: dict[tuple[int, ...], tuple[float, int, tuple[int, ...]]] = {}
    bounds: dict[tuple[int, ...], float] = {}
    for u in pool:
        ball = _ball(problem, labels, u, target)
        touched = {int(labels[v]) for v in ball} | {int(labels[x]) for v in ball for x in nbrs[v]}
        touched.discard(-1)
        touched.discard(s)
        key = tuple(sorted(touched))
        if key not in bounds:
            bounds[key] = flow_bound(problem, labels, s, key)[0]
        score = (bounds[key], u, key)
        if key not in seen or score < seen[key]:
            seen[key] = score
    return sorted(seen.values())[:count]


def hop_ball(problem: Problem, labels: np.ndarray, centre: int, hops: int) -> dict[int, int]:
    """Graph steps from ``centre`` of the units within ``hops`` steps (through units with a sector)."""
    from collections import deque

    steps = {centre: 0}
    queue = deque([centre])
    nbrs = problem.nbrs
    while queue:
        u = queue.popleft()
        if steps[u] >= hops:
            continue
        for v in nbrs[u]:
            if v not in steps and labels[v] >= 0:
                steps[v] = steps[u] + 1
                queue.append(v)
    return steps
