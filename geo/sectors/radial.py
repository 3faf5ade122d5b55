"""Sectors around clustered bases: disjoint exit paths out of the cluster, then straight-line weighted cells.

When the workers' bases (fixed centres, or anchors in the "inside" mode) sit
close together -- a whole team working in Lyon and its first ring -- graph
distances from the bases all run through the same units out of the city, so
far away the difference between two bases' distances is constant and whole
regions flip together: no fine balance. Straight-line (Lambert-93) distances
do not have this flaw, but the additively weighted cells they give (the duals
of the balanced transport LP) are narrower than a commune near the cluster and
fall apart there. So:

1. Each site is joined to the edge of its neighbourhood (units farther than
   :data:`NEAR_KM` from every site) by a path of units, the paths pairwise
   disjoint; a path prefers light units heading in its site's direction from
   the cluster's centre (so the exits keep the sites' angular order, and a
   group's exits stay together). Sites whose path is blocked go first in the
   next try.
2. The far units are cut into balanced weighted cells around the exits (spread
   on a ring, so the cells are wedges, each holding its exit); units near the
   sites off the paths, and pieces cut off from their site, are regrown from
   the sectors over the graph (a site with no way out keeps a sector near the
   cluster).
3. Each far cell's load is then corrected by what its sector got near the
   sites (a few rounds; a sector already holding its share near the sites gets
   no far cell), and the labelling closest to balance is kept.

Every sector is then one piece holding its site; the caller balances and
polishes with the usual tools (:func:`~geo.sectors.tools.balance`,
:func:`~geo.sectors.tools.local_search`). The distance to the bases stays
close to the fixed-base LP bound because far away every base is nearly as
far as the others; the price is shape: with every base in one city, the
sectors are wedges out of it, some of them thin.
"""
from __future__ import annotations

import heapq

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from geo.sectors._graph import sector_components
from geo.sectors.problem import Problem, SectorError

#: Units within this distance (km) of a site are the cluster's neighbourhood, crossed by the exit paths.
NEAR_KM = 10.0
#: A sector whose share of the far units is below this fraction of its target gets none (it stays near the sites).
MIN_FAR_SHARE = 0.15
#: Neighbourhood radii (km) tried in turn by the sector method until one gives a valid plan.
NEAR_KM_TRIES = (NEAR_KM, 6.0, 15.0, 4.0)
#: Cost of a path step: one per unit, plus its load over this, plus the turn away from the site's direction
#: (each weight tried in turn until every site has a way out).
LOAD_PER_STEP = 20.0
TURN_COSTS = (3.0, 1.0, 0.0)
#: Orders of the sites tried for the exit paths, per turn weight.
ROUTING_TRIES = 20
#: Two sites closer than this (km) make the bases "clustered".
CLUSTER_KM = 15.0


def sites_of(problem: Problem) -> np.ndarray | None:
    """Each sector's site: its fixed base, else its anchor; None unless every sector has one."""
    sites = np.where(problem.bases >= 0, problem.bases, problem.anchors)
    return sites if (sites >= 0).all() else None


def clustered_share(problem: Problem, km: float = CLUSTER_KM) -> float:
    """Share of the sites with another site within ``km`` (0 unless every sector has a site)."""
    sites = sites_of(problem)
    if sites is None or problem.k < 2:
        return 0.0
    d = problem.distances_km(sites)[sites]
    np.fill_diagonal(d, np.inf)
    return float((d.min(axis=1) <= km).mean())


#: From this share of clustered sites on, the radial construction alone is used when it gives a valid plan.
MOSTLY_CLUSTERED = 0.5


def weighted_cells(problem: Problem, sites: np.ndarray, targets: np.ndarray | None = None,
                   units: np.ndarray | None = None, slack: float | None = None) -> np.ndarray:
    """Every unit to ``argmin_j |u - site_j| - p_j``, ``p`` the duals of the balanced transport LP.

    Parameters
    ----------
    problem
        The sector problem (its points and loads; locks are restored by the caller).
    sites
        (m,) unit positions of the cells' sites.
    targets
        (m,) load of each cell (default: the problem's targets, then ``m == k``).
    units
        Boolean mask of the units the LP balances (default: all).
    slack
        Relative slack of each cell's load in the LP (default: half the tolerance).

    Returns
    -------
    numpy.ndarray
        (n,) index into ``sites`` of every unit's cell.
    """
    slack = problem.tolerance / 2 if slack is None else slack
    targets = problem.targets if targets is None else np.asarray(targets, dtype=float)
    m = len(sites)
    km = problem.distances_km(sites)
    mask = problem.load > 0 if units is None else (np.asarray(units, dtype=bool) & (problem.load > 0))
    rows = np.flatnonzero(mask)
    w = problem.load[rows]
    targets = targets * (w.sum() / targets.sum())
    r, c = np.repeat(np.arange(len(rows)), m), np.tile(np.arange(m), len(rows))
    nvar = len(r)
    a_eq = sparse.csr_matrix((np.ones(nvar), (r, np.arange(nvar))), shape=(len(rows), nvar))
    cap = sparse.csr_matrix((w[r], (c, np.arange(nvar))), shape=(m, nvar))
    res = linprog(w[r] * km[rows][r, c], A_ub=sparse.vstack([cap, -cap]).tocsr(),
                  b_ub=np.concatenate([targets * (1 + slack), -targets * (1 - slack)]),
                  A_eq=a_eq, b_eq=np.ones(len(rows)), bounds=(0, 1), method="highs")
    if res.status != 0:
        raise SectorError("sectors.no_balanced_assignment", units=len(rows), sectors=m)
    marg = np.asarray(res.ineqlin.marginals)
    price = marg[:m] - marg[m:]
    return np.argmin(km - price[None, :], axis=1).astype(np.int64)


def exit_paths(problem: Problem, sites: np.ndarray, near: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Pairwise disjoint paths from every site to a unit outside the neighbourhood ``near``.

    Sites are routed one after the other (Dijkstra over units not yet
    claimed, no other site and no unit locked elsewhere); a site that finds
    no way out goes first in the next try. The try with the fewest blocked
    sites is returned.

    Returns
    -------
    claim
        (n,) the sector whose path (or site, or lock) holds each unit, -1 elsewhere.
    exits
        (k,) the unit where each path leaves the neighbourhood (the site itself
        when it lies outside), -1 when blocked.
    blocked
        Sectors left without a path.
    """
    k = problem.k
    centre = problem.xy[sites].mean(axis=0)
    angle = np.arctan2(problem.xy[:, 1] - centre[1], problem.xy[:, 0] - centre[0])
    turn = np.abs(np.angle(np.exp(1j * (angle[:, None] - angle[sites][None, :])))) / np.pi   # (n, k) in [0, 1]
    step = 1.0 + problem.load / LOAD_PER_STEP
    nbrs = problem.nbrs
    locked = problem.locked

    def route(order, turn_cost):
        claim = np.full(problem.n, -1, dtype=np.int64)
        claim[locked >= 0] = locked[locked >= 0]
        claim[sites] = np.arange(k)
        exits = np.full(k, -1, dtype=np.int64)
        blocked = []
        for s in order:
            src = int(sites[s])
            if not near[src]:
                exits[s] = src
                continue
            dist, parent, heap, found = {src: 0.0}, {src: -1}, [(0.0, src)], -1
            while heap:
                du, u = heapq.heappop(heap)
                if du > dist[u]:
                    continue
                if not near[u]:
                    found = u
                    break
                for v in nbrs[u]:
                    if claim[v] >= 0 and claim[v] != s:
                        continue
                    cost = du + (0.0 if claim[v] == s else step[v] + turn_cost * turn[v, s])
                    if cost < dist.get(v, np.inf):
                        dist[v], parent[v] = cost, u
                        heapq.heappush(heap, (cost, v))
            if found < 0:
                blocked.append(s)
                continue
            exits[s] = found
            v = found
            while v >= 0:
                claim[v] = s
                v = parent[v]
        return claim, exits, blocked

    # inner sites (nearest the centre) first: their way out is the narrowest
    best = None
    for turn_cost in TURN_COSTS:
        order = list(np.argsort(np.hypot(*(problem.xy[sites] - centre).T), kind="stable").tolist())
        for _ in range(ROUTING_TRIES):
            claim, exits, blocked = route(order, turn_cost)
            if best is None or len(blocked) < len(best[2]):
                best = (claim, exits, blocked)
            if not blocked:
                return best
            order = blocked + [s for s in order if s not in blocked]
    return best


def radial_labels(problem: Problem, near_km: float = NEAR_KM, rounds: int = 4):
    """Contiguous sectors around clustered sites (see the module docstring), not yet balanced: a generator.

    A site with no way out of its neighbourhood keeps a sector inside it. The
    far cells' loads are corrected ``rounds`` times by what each sector got
    near the sites; each round's labelling is yielded (every one contiguous,
    each site in its sector, locks kept), so the caller can balance them in
    turn until one balances.

    Raises
    ------
    SectorError
        ``sectors.bound_needs_bases`` unless every sector has a site.
    """
    from geo.sectors.tools import fill_unassigned, repair_contiguity

    sites = sites_of(problem)
    if sites is None:
        raise SectorError("sectors.bound_needs_bases",
                          missing=int(((problem.bases < 0) & (problem.anchors < 0)).sum()))
    k = problem.k
    near = problem.distances_km(sites).min(axis=1) <= near_km
    claim, exits, _ = exit_paths(problem, sites, near)
    outer = np.flatnonzero(exits >= 0)
    far = ~near
    far_total = float(problem.load[far].sum())
    far_targets = problem.targets[outer].copy()
    seen = set()
    for _ in range(max(1, rounds) if far_total > 0 and len(outer) else 1):
        labels = np.full(problem.n, -1, dtype=np.int64)
        # a sector holding (nearly) its share near the sites gets no far cell: no sliver to the border
        wide = outer[far_targets >= MIN_FAR_SHARE * problem.targets[outer]]
        if far_total > 0 and len(wide):
            active = far_targets[np.isin(outer, wide)]
            cells = weighted_cells(problem, exits[wide], active, units=far)
            labels[far] = wide[cells[far]]
        labels[claim >= 0] = claim[claim >= 0]
        # keep the piece of each sector holding its site (and the locked units); regrow the rest
        comp = sector_components(labels, problem.edges, problem.n)
        keep = (np.isin(comp, comp[sites]) & (labels >= 0)) | (problem.locked >= 0)
        labels[problem.locked >= 0] = problem.locked[problem.locked >= 0]
        labels[~keep] = -1
        labels = fill_unassigned(problem, labels, sites)
        labels = repair_contiguity(problem, labels, sites)
        key = labels.tobytes()
        if key not in seen:
            seen.add(key)
            yield labels
        # give the far cells what the sectors lack (or hold too much of) near the sites
        loads = np.bincount(labels, weights=problem.load, minlength=k)
        far_targets = np.maximum(far_targets + (problem.targets - loads)[outer], 1e-3 * problem.targets[outer])
