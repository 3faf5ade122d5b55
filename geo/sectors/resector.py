"""Re-sectoring from the current plan: a worker joins or leaves, as few patients as possible change referent.

A fresh proposal with a keep penalty redraws every border; here the current
plan is changed incrementally instead:

1. Units of a sector that no longer exists (a worker left) go to the
   adjacent sectors, each up to its inflow in the least-load balancing flow
   (:func:`_dissolve`); locked units and bases go to their sector.
2. A new sector (a worker joined) is first built at a junction where many
   sectors meet (:func:`_junction_plans`, places from
   :mod:`geo.sectors.junction`): one MILP grows it there and moves units
   along the least-load flow, what each sector and group keeps staying one
   piece; the result is repaired and balanced as in 3. When no junction plan
   is valid, the earlier construction runs: the new sector is seeded at its base when it has one, else
   at a place among units with patients; from the seed it takes the nearest
   units until it holds its target (:func:`_disc`), optionally making a
   detour round the sectors that have already given their share, never
   cutting a sector in two. Seeds and detours are ranked by the load taken
   plus the least load the other sectors must then pass along the sector
   graph (a min-cost flow, :func:`_disc_score`); the best few are carried out.
3. What is left out of tolerance is balanced changing the fewest referents,
   two ways: as one MILP along the flow's sector pairs
   (:func:`_layered_balance`, then repaired) and round by round
   (:func:`~geo.sectors.tools.exact_balance` with the keep weight as its
   cost); then border units go back to their previous sector wherever
   balance and contiguity allow, one at a time and then by trades over
   every border at once (:func:`_trade_back`: one MILP, A gives a unit back
   to B while B gives another to C). The valid result moving the fewest
   patients wins.

With the same team (new counts only) nothing is seeded: the current plan is
only balanced, with the fewest referent changes.

Everything works on a :class:`~geo.sectors.problem.Problem` whose
``previous`` holds the current plan (sector indices in the new team, -1 for
units of a sector that no longer exists).
"""
from __future__ import annotations

import time

import numpy as np

from geo.sectors._graph import pieces_per_sector, sector_components
from geo.sectors.junction import band_flow, flow_bound, hop_ball, junction_candidates
from geo.sectors.pmedian import medoids
from geo.sectors.problem import Problem, SectorError
from geo.sectors.tools import (_sector_graph, balance, exact_balance, fill_unassigned, local_search,
                               repair_contiguity)

#: Seeds (and detours) carried out for a new sector, the best scored first.
CANDIDATE_SEEDS = 4
#: Share of the tolerance band used when planning (the rest absorbs whole units).
MARGIN = 0.6
#: Detours (km per patient a sector cannot spare) tried when growing a new sector.
DETOURS = (0.0, 10.0, 30.0)
#: Places with patients scored as seeds of a new sector without a base.
PLACES = 30
#: Junctions (places where many sectors meet) where a new sector is built by one MILP.
JUNCTION_PLACES = 3
#: Graph steps from the junction within which the new sector may grow (the fewest near the least bound).
JUNCTION_HOPS = (8, 12, 16, 20, 26)
#: Share of a sector's patients within those steps counted as what it can give the new sector.
JUNCTION_CAP = 0.7
#: Layers of a sector that may move along an arc of the flow, and along any other sector border.
JUNCTION_DEPTH = 6
JUNCTION_NEAR_DEPTH = 1
#: Relative gap at which each junction MILP stops (then its result does not depend on the machine's
#: load), and its time limit (s).
JUNCTION_GAP = 0.1
JUNCTION_SECONDS = 8.0
#: Layers from every sector border that may move in one trade (:func:`_trade_back`), trades at most,
#: each MILP's relative gap and time limit (s).
TRADE_DEPTH = 2
TRADE_ROUNDS = 4
TRADE_GAP = 0.001
TRADE_SECONDS = 5.0


def is_incremental(problem: Problem) -> bool:
    """Whether ``problem.previous`` is a current plan this module can start from.

    True when the previous plan gives a sector to some units and at most a
    third of the sectors (at least one) are new: a worker or a few join or
    leave (the units of a worker who left have no previous sector), or the
    team is unchanged (then the plan is only rebalanced).
    """
    prev = problem.previous
    if not (prev >= 0).any():
        return False
    new = problem.k - len(np.unique(prev[prev >= 0]))
    return new <= max(1, problem.k // 3)


def moved_load(problem: Problem, labels: np.ndarray) -> float:
    """Load (patients) whose sector differs from ``problem.previous`` (units of a gone sector count)."""
    return float(problem.load[labels != problem.previous].sum())


def faults(problem: Problem, labels: np.ndarray) -> int:
    """Number of hard constraints broken: sectors in pieces or empty, groups in pieces, loads out of band."""
    pieces = pieces_per_sector(labels, problem.edges, problem.k)
    bad = int((pieces != 1).sum())
    loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
    bad += int(((loads < problem.lower - 1e-9) | (loads > problem.upper + 1e-9)).sum())
    if len(np.unique(problem.groups)) > 1:
        glabels = problem.groups[labels]
        bad += int((pieces_per_sector(glabels, problem.edges, int(problem.groups.max()) + 1) != 1).sum())
    bad += int(((problem.locked >= 0) & (problem.locked != labels)).sum())
    return bad


def resector(problem: Problem, *, candidates: int = CANDIDATE_SEEDS, time_budget: float = 20.0,
             rng: np.random.Generator | None = None) -> np.ndarray | None:
    """Labels for ``problem`` changed incrementally from ``problem.previous``; None if no valid one was found.

    Parameters
    ----------
    problem
        The new team's problem; ``previous`` is the current plan.
    candidates
        Seed places tried for each new sector without a base.
    time_budget
        No further seed of the region growth is tried after this many seconds
        (the junction MILPs all run, each within :data:`JUNCTION_SECONDS`).
    rng
        Random generator of the final polish (default: seed 0).

    Returns
    -------
    numpy.ndarray or None
        The valid labelling (contiguous sectors and groups, every load within
        tolerance, locks kept) that moves the least load, or None.
    """
    start = time.perf_counter()
    rng = rng or np.random.default_rng(0)
    base = problem.previous.copy()
    new = [s for s in range(problem.k) if not (base == s).any()]
    base = _apply_locks(problem, base)
    base = _dissolve(problem, base)
    if base is None:
        return None
    best = None
    if len(new) == 1:
        for labels in _junction_plans(problem, base, new[0]):
            labels = _finish(problem, labels, rng)
            score = (faults(problem, labels), moved_load(problem, labels))
            if best is None or score < best[0]:
                best = (score, labels)
    # the region growth from a seed: when no junction plan is valid (or no single new sector, or none at all)
    seeds = _seed_choices(problem, base, new, candidates) if best is None or best[0][0] > 0 else []
    for seed, detour in seeds:
        if best is not None and time.perf_counter() - start > time_budget:
            break
        seeded = base.copy()
        for s, u in zip(new, seed):
            seeded[u] = s
        for grown in _grow(problem, seeded, new, detour):
            labels = _finish(problem, grown, rng)
            score = (faults(problem, labels), moved_load(problem, labels))
            if best is None or score < best[0]:
                best = (score, labels)
    if best is None or best[0][0] > 0:
        return None
    return best[1]


def _junction_plans(problem: Problem, labels: np.ndarray, s: int):
    """Labellings with new sector ``s`` built at the best junctions (:mod:`geo.sectors.junction`), balanced.

    For each of :data:`JUNCTION_PLACES` (place, reach) pairs, lowest flow
    bound first, one MILP (:func:`_layered_balance`)
    grows ``s`` within that many graph steps of the place and moves units
    along the least-load flow for the sectors met there, keeping what each
    sector and group keeps in one piece; the rest is repaired and balanced
    with the fewest referent changes. A place's reach is the fewest steps of
    :data:`JUNCTION_HOPS` whose bound is within half a percent of the
    patients of its least; with fewer places (a base), its other reaches
    are tried too.
    """
    near = _border_pairs(problem, labels)
    for hops, centre, caps in _junction_jobs(problem, labels, s):
        # every job runs (each MILP is bounded by its time limit): whether one is tried must not depend on load
        _, flows = flow_bound(problem, labels, s, caps, band=MARGIN, caps=caps)
        grown = _layered_balance(problem, labels, set(flows), depth=JUNCTION_DEPTH, grow=(s, centre, hops),
                                 near=near, near_depth=JUNCTION_NEAR_DEPTH, keep_connected=True,
                                 time_limit=JUNCTION_SECONDS, gap=JUNCTION_GAP)
        if grown is None:
            continue
        try:
            grown = repair_contiguity(problem, grown, medoids(problem, grown))
        except SectorError:
            continue
        yield _least_moves_balance(problem, grown)


def _junction_jobs(problem: Problem, labels: np.ndarray, s: int) -> list[tuple[int, int, dict[int, float]]]:
    """(reach in graph steps, place, load each touched sector can give), best first (see :func:`_junction_plans`)."""
    chosen, spare = [], []
    for _, centre, _ in junction_candidates(problem, labels, s, JUNCTION_PLACES):
        steps = hop_ball(problem, labels, centre, max(JUNCTION_HOPS))
        options = []
        for hops in JUNCTION_HOPS:
            caps: dict[int, float] = {}
            for u, d in steps.items():
                a = int(labels[u])
                if d <= hops and a >= 0 and a != s:
                    caps[a] = caps.get(a, 0.0) + JUNCTION_CAP * float(problem.load[u])
            bound = flow_bound(problem, labels, s, caps, caps=caps)[0]
            if np.isfinite(bound):
                options.append((bound, hops, centre, caps))
        if not options:
            continue
        least = min(o[0] for o in options)
        pick = next(o for o in options if o[0] <= least + 0.005 * problem.total_load)
        chosen.append(pick)
        spare += [o for o in options if o is not pick]
    spare.sort(key=lambda o: (o[0], o[1]))
    return [o[1:] for o in chosen + spare[:max(0, JUNCTION_PLACES - len(chosen))]]


def touch_bound(problem: Problem, labels: np.ndarray) -> float | None:
    """Least share of patients changing referent for a new sector touching the sectors it touches in ``labels``.

    The min-cost flow bound (:func:`geo.sectors.junction.flow_bound`, full
    tolerance) on the previous plan's sector graph; None unless exactly one
    sector is new.
    """
    prev = problem.previous
    new = [s for s in range(problem.k) if not (prev == s).any()]
    if len(new) != 1 or not (prev >= 0).any():
        return None
    s = new[0]
    mine = np.flatnonzero(labels == s)
    touched = {int(prev[v]) for u in mine.tolist() for v in [u, *problem.nbrs[u]]} - {s, -1}
    moved, _ = flow_bound(problem, prev, s, touched)
    return moved / problem.total_load if np.isfinite(moved) else None


def _apply_locks(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Locked units (bases included) in their sector from the start."""
    labels = labels.copy()
    locked = problem.locked >= 0
    labels[locked] = problem.locked[locked]
    return labels


def _dissolve(problem: Problem, labels: np.ndarray) -> np.ndarray | None:
    """Hand the units of sectors that no longer exist (-1) to adjacent sectors, keeping every sector one piece.

    Each adjacent sector's share is the flow it receives in the least-load
    flow that brings every sector within its band (load handed out of the
    free units costs nothing: those patients change referent anyway). The
    sectors grow into the free units nearest their centre first, each up to
    its share; what is left goes to the nearest sector, and detached pieces
    are regrown.
    """
    import heapq

    if not (labels < 0).any():
        return labels
    centres = medoids(problem, labels)  # units with -1 sort first: the present sectors' medoids
    quota = _dissolve_quotas(problem, labels)
    if quota is not None:
        lab = labels.tolist()
        w = problem.load.tolist()
        nbrs = problem.nbrs
        xy = problem.xy
        heap: list[tuple[float, int, int]] = []

        def offer(u: int, s: int) -> None:
            c = centres[s]
            heapq.heappush(heap, (float(np.hypot(*(xy[u] - xy[c]))), u, s))

        for u in np.flatnonzero(labels < 0).tolist():
            for s in {lab[j] for j in nbrs[u] if lab[j] >= 0}:
                offer(u, s)
        while heap:
            _, u, s = heapq.heappop(heap)
            # a sector grows only while it has a share left, and not past it by more than half its band
            if lab[u] >= 0 or quota[s] <= 1e-9 or w[u] > quota[s] + 0.5 * problem.tolerance * problem.targets[s]:
                continue
            lab[u] = s
            quota[s] -= w[u]
            for v in nbrs[u]:
                if lab[v] < 0:
                    offer(v, s)
        labels = np.asarray(lab, dtype=np.int64)
    labels = fill_unassigned(problem, labels, centres)
    return repair_contiguity(problem, labels, medoids(problem, labels))


def _dissolve_quotas(problem: Problem, labels: np.ndarray) -> list[float] | None:
    """Load each sector should take from the free units (-1): its inflow in the least-load balancing flow."""
    from scipy.optimize import linprog

    from geo.sectors._graph import sector_components

    k = problem.k
    free = labels < 0
    # the free units as one node per connected piece, next to the sectors around it
    comp = sector_components(np.where(free, 0, -1), problem.edges, problem.n)
    pieces = {int(c): j for j, c in enumerate(np.unique(comp[free]))}
    node = np.where(free, k + np.array([pieces.get(int(c), 0) for c in comp]), labels)
    nodes = k + len(pieces)
    e = problem.edges
    a, b = node[e[:, 0]], node[e[:, 1]]
    cut = a != b
    pairs = set(map(tuple, np.unique(np.column_stack([a[cut], b[cut]]), axis=0).tolist()))
    pairs |= {(y, x) for x, y in pairs}
    arcs = sorted((x, y) for x, y in pairs if y < k)   # nothing flows into the free pieces
    if not arcs:
        return None
    supply = np.bincount(node, weights=problem.load, minlength=nodes)
    net = np.zeros((nodes, len(arcs)))
    cost = np.zeros(len(arcs))
    for c, (x, y) in enumerate(arcs):
        net[y, c] += 1
        net[x, c] -= 1
        cost[c] = 0.0 if x >= k else 1.0
    lo = np.r_[problem.targets * (1 - MARGIN * problem.tolerance), np.zeros(len(pieces))]
    hi = np.r_[problem.targets * (1 + MARGIN * problem.tolerance), np.zeros(len(pieces))]
    res = linprog(cost, A_ub=np.vstack([net, -net]), b_ub=np.concatenate([hi - supply, supply - lo]),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return None
    quota = [0.0] * k
    for (x, y), f in zip(arcs, res.x):
        if x >= k:
            quota[y] += float(f)
    return quota


def _disc(problem: Problem, labels: np.ndarray, seed: int, s: int, banned: set[int],
          detour: float = 0.0) -> list[int]:
    """Units near ``seed`` (grown over the graph, Euclidean order) until they hold sector ``s``'s target.

    With ``detour`` > 0 (km per patient), a unit's patients beyond what its
    sector can spare (its load above its new target, less what was already
    taken from it) push the unit back by that many km: the region then grows
    past sectors that have given their share, through units without patients,
    towards sectors that still have load to give. Locked units and the
    sector centres in ``banned`` are passed over.
    """
    import heapq

    from geo.sectors._graph import stays_connected_without

    xy = problem.xy
    nbrs = problem.nbrs
    w = problem.load
    # the new sector stops in the lower half of its band, the others may give down to the same margin
    margin = MARGIN * problem.tolerance
    target = problem.targets[s] * (1 - margin)
    room = (np.bincount(labels[labels >= 0], weights=problem.load[labels >= 0], minlength=problem.k)
            - problem.targets * (1 - margin))
    dist = (np.hypot(*(xy - xy[seed]).T) / 1000.0).tolist()
    lab = labels.tolist()
    w = w.tolist()
    room = room.tolist()
    locked = problem.locked.tolist()

    def key(v: int) -> float:
        d = dist[v]
        a = lab[v]
        if detour > 0 and a >= 0 and a != s and w[v] > 0:
            d += detour * max(0.0, w[v] - max(room[a], 0.0))
        return d

    heap = [(0.0, seed)]
    seen = {seed}
    taken: list[int] = []
    total = 0.0
    while heap and total < target - 1e-9:
        k_u, u = heapq.heappop(heap)
        if u != seed and (locked[u] >= 0 and locked[u] != s or u in banned):
            continue
        if u != seed and detour > 0:
            fresh = key(u)
            if fresh > k_u + 1e-9:   # its sector has given since: wait in line again
                heapq.heappush(heap, (fresh, u))
                continue
        # a unit that would overshoot the target by more than it brings is left out
        if total + w[u] > problem.upper[s] and total + w[u] - target > target - total:
            continue
        a = lab[u]
        if a >= 0 and a != s and not stays_connected_without(u, a, lab, nbrs):
            continue   # its sector would fall in pieces
        taken.append(u)
        total += w[u]
        if a >= 0 and a != s:
            room[a] -= w[u]
        lab[u] = s
        for v in nbrs[u]:
            if v not in seen:
                seen.add(v)
                heapq.heappush(heap, (key(v), v))
    return taken


def _disc_score(problem: Problem, labels: np.ndarray, taken: list[int], s: int,
                adj: list[set[int]]) -> float:
    """Load the new sector takes plus the least load the other sectors must pass along to reach their band."""
    from scipy.optimize import linprog

    k = problem.k
    taken = np.asarray(taken, dtype=np.int64)
    loads = np.bincount(labels, weights=problem.load, minlength=k).astype(float)
    gives = np.bincount(labels[taken], weights=problem.load[taken], minlength=k)
    loads -= gives
    loads[s] += gives.sum()
    touched = set(labels[taken].tolist()) | {int(labels[v]) for u in taken.tolist() for v in problem.nbrs[u]}
    touched.discard(s)
    arcs = [(a, b) for a in range(k) for b in sorted(adj[a]) if a != s and b != s]
    arcs += [(a, s) for a in sorted(touched)] + [(s, a) for a in sorted(touched)]
    m = len(arcs)
    net = np.zeros((k, m))
    for c, (a, b) in enumerate(arcs):
        net[b, c] += 1
        net[a, c] -= 1
    lo = problem.targets * (1 - MARGIN * problem.tolerance)
    hi = problem.targets * (1 + MARGIN * problem.tolerance)
    res = linprog(np.ones(m), A_ub=np.vstack([net, -net]), b_ub=np.concatenate([hi - loads, loads - lo]),
                  bounds=(0, None), method="highs")
    moved_in = float(problem.load[taken][labels[taken] != s].sum())
    return moved_in + (float(res.fun) if res.status == 0 else float("inf"))




def _seed_choices(problem: Problem, labels: np.ndarray, new: list[int],
                  candidates: int) -> list[tuple[list[int], float]]:
    """(seed unit per new sector, detour) pairs to try, the most promising first.

    A new sector's seed is its base (or a unit locked to it); otherwise up to
    :data:`PLACES` units with patients are considered. Each (place, detour)
    region grown by :func:`_disc` is scored by :func:`_disc_score`: the load it
    takes plus the least load the other sectors must then pass along.
    """
    if not new:
        return [([], 0.0)]
    fixed = []
    for s in new:
        own = [int(b) for b in (problem.bases[s], problem.anchors[s]) if b >= 0]
        locked = np.flatnonzero(problem.locked == s)
        fixed.append(own[0] if own else (int(locked[0]) if len(locked) else -1))
    free = [i for i, u in enumerate(fixed) if u < 0]
    s = new[free[0]] if free else new[0]
    adj = _sector_graph(labels, problem.edges, problem.k)
    banned = set(int(c) for c in medoids(problem, labels) if c >= 0) - set(fixed)
    if free:
        places = [i for i in np.flatnonzero((problem.load > 0) & (problem.locked < 0) & (labels >= 0)).tolist()
                  if i not in banned]
        if len(places) > PLACES:
            places = sorted(np.random.default_rng(0).choice(places, PLACES, replace=False).tolist())
    else:
        places = [fixed[0]]
    scored = {}
    for detour in DETOURS:
        for u in places:
            taken = _disc(problem, labels, u, s, banned, detour)
            key = tuple(sorted(taken))
            if key not in scored:
                scored[key] = (_disc_score(problem, labels, taken, s, adj), u, detour)
    ranked = sorted(scored.values())[:candidates]
    out = []
    for _, u, detour in ranked:
        seed = list(fixed)
        taken = set(x for x in seed if x >= 0)
        for i in free:
            pick = next((v for v in [u] + [r[1] for r in ranked] if v not in taken), u)
            seed[i] = pick
            taken.add(pick)
        out.append((seed, detour))
    return out


def _grow(problem: Problem, labels: np.ndarray, new: list[int], detour: float = 0.0) -> list[np.ndarray]:
    """Give each new sector the region grown from its seed (:func:`_disc`), repair contiguity, balance.

    The other sectors' pieces cut off by a region are regrown into their
    neighbours; loads left out of tolerance are then balanced changing the
    fewest referents, two ways: all at once along the least-load flow
    (:func:`_layered_balance`, then repaired) and round by round
    (:func:`_least_moves_balance`). Returns the labellings obtained.
    """
    seeds = {s: int(np.flatnonzero(labels == s)[0]) for s in new}
    banned = set(int(c) for c in medoids(problem, labels) if c >= 0) - set(seeds.values())
    for s in new:
        labels[_disc(problem, labels, seeds[s], s, banned, detour)] = s
    try:
        labels = repair_contiguity(problem, labels, medoids(problem, labels))
    except SectorError:   # a seed that cannot be made contiguous is skipped
        return []
    out = [_least_moves_balance(problem, labels)]
    layered = _layered_balance(problem, labels, _flow_pairs(problem, labels))
    if layered is not None:
        try:
            layered = repair_contiguity(problem, layered, medoids(problem, layered))
            out.append(_least_moves_balance(problem, layered))
        except SectorError:
            pass
    return out


def _layered_balance(problem: Problem, labels: np.ndarray, pairs: set[tuple[int, int]], depth: int = 8,
                     time_limit: float = 5.0, grow: tuple[int, int, int] | None = None,
                     near: set[tuple[int, int]] = frozenset(), near_depth: int = 2,
                     keep_connected: bool = False, gap: float | None = None,
                     attached: bool = False) -> np.ndarray | None:
    """All the moves along the flow's sector pairs at once, as one MILP; None if it finds nothing.

    For each pair (a, b), the units of ``a`` within ``depth`` layers of
    ``b`` may move to ``b``; a unit of layer d > 1 only with a neighbour of
    layer d - 1 moving to ``b`` too, so what ``b`` receives is joined to it.
    The MILP minimises the violation of the bands first, then the patients
    taken away from their previous sector (those given back count negative).
    The giving sectors may come out in pieces: the caller repairs them.

    ``grow = (s, seed, hops)`` also builds sector ``s`` around unit ``seed``
    (given to ``s``): any unit within ``hops`` graph steps of the seed may
    join ``s``, a unit at step d only with a neighbour at step d - 1 joining
    too, so ``s`` comes out in one piece; the pairs into ``s`` are then not
    used. The pairs in ``near`` may move units within ``near_depth``
    layers only (room to trade whole units). With ``keep_connected``, what
    each sector and group keeps stays one piece
    (:func:`_kept_connected_rows`). With ``attached`` too, a unit of layer
    1 moves to ``b`` only with a neighbour in ``b`` that stays, so every
    sector and group comes out in one piece (no repair needed). ``gap``: the
    MILP's relative gap at which to stop.
    """
    from collections import deque

    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    k = problem.k
    nbrs = problem.nbrs
    w = problem.load
    prev = problem.previous
    var: list[tuple[int, int, int, int]] = []   # (unit, from, to, layer)
    layer: dict[tuple[int, int], int] = {}
    if grow is not None:
        s, seed, hops = grow
        labels = labels.copy()
        labels[seed] = s
        pairs = {(a, b) for a, b in pairs if b != s}
        steps = {seed: 0}
        queue: deque[int] = deque([seed])
        while queue:
            u = queue.popleft()
            if steps[u] >= hops:
                continue
            for v in nbrs[u]:
                if v not in steps and labels[v] >= 0 and (problem.locked[v] < 0 or problem.locked[v] == s):
                    steps[v] = steps[u] + 1
                    queue.append(v)
                    if labels[v] != s:
                        layer[(v, s)] = steps[v]
                        var.append((v, int(labels[v]), s, steps[v]))
    # layers each pair may move: few along any border, many along the flow
    reach = {pair: near_depth for pair in near if grow is None or pair[1] != grow[0]}
    reach.update({pair: depth for pair in pairs})
    for (a, b), limit in sorted(reach.items()):
        dist: dict[int, int] = {}
        queue: deque[int] = deque()
        for i in np.flatnonzero(labels == a).tolist():
            if any(labels[j] == b for j in nbrs[i]):
                dist[i] = 1
                queue.append(i)
        while queue:
            u = queue.popleft()
            if dist[u] >= limit:
                continue
            for v in nbrs[u]:
                if labels[v] == a and v not in dist:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        for i, d in dist.items():
            if problem.locked[i] < 0:
                layer[(i, b)] = d
                var.append((i, a, b, d))
    if not var:
        return None
    nv = len(var)
    index = {(i, b): c for c, (i, _, b, _) in enumerate(var)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    loads = np.bincount(labels, weights=w, minlength=k)
    for c, (i, a, b, _) in enumerate(var):   # rows 0..k-1: the loads
        rows += [b, a]
        cols += [c, c]
        vals += [float(w[i]), -float(w[i])]
    for s in range(k):
        rows += [s, s]
        cols += [nv + s, nv + k + s]
        vals += [1.0, -1.0]
    lo += (problem.lower - loads).tolist()
    hi += (problem.upper - loads).tolist()
    r = k
    by_unit: dict[int, list[int]] = {}
    for c, (i, _, _, _) in enumerate(var):
        by_unit.setdefault(i, []).append(c)
    for cs in by_unit.values():   # one destination per unit
        if len(cs) > 1:
            rows += [r] * len(cs)
            cols += cs
            vals += [1.0] * len(cs)
            lo.append(-np.inf)
            hi.append(1.0)
            r += 1
    for c, (i, _, b, d) in enumerate(var):   # layer d > 1 needs a neighbour of layer d - 1 moving along
        if d == 1:
            continue
        support = [index[(j, b)] for j in nbrs[i] if layer.get((j, b)) == d - 1]
        rows += [r] * (1 + len(support))
        cols += [c] + support
        vals += [1.0] + [-1.0] * len(support)
        lo.append(-np.inf)
        hi.append(0.0)
        r += 1
    if keep_connected:
        blocks = list(_kept_connected_rows(problem, labels, by_unit))
        if len(np.unique(problem.groups)) > 1:   # each group's kept part in one piece too
            g = problem.groups
            leaving: dict[int, list[int]] = {}
            for c, (i, a, b, _) in enumerate(var):
                if g[a] != g[b]:
                    leaving.setdefault(i, []).append(c)
            blocks += list(_kept_connected_rows(problem, g[labels], leaving, int(g.max()) + 1))
        if attached:
            blocks.append(_attached_rows(labels, var, by_unit, nbrs))
        for i_rows, i_cols, i_vals, i_hi in blocks:
            rows += [r + x for x in i_rows]
            cols += i_cols
            vals += i_vals
            lo += [-np.inf] * len(i_hi)
            hi += i_hi
            r += len(i_hi)
    cost = np.full(nv + 2 * k, 1000.0 * (1.0 + float(w.max())))
    for c, (i, a, b, d) in enumerate(var):
        cost[c] = float(w[i]) * (int(prev[i] != b) - int(prev[i] != a)) + 1e-3 * (1.0 + 0.01 * d)
    matrix = csr_matrix((vals, (rows, cols)), shape=(r, nv + 2 * k))
    res = milp(cost, constraints=LinearConstraint(matrix, lo, hi),
               integrality=np.r_[np.ones(nv), np.zeros(2 * k)],
               bounds=Bounds(np.zeros(nv + 2 * k), np.r_[np.ones(nv), np.full(2 * k, np.inf)]),
               options={"time_limit": time_limit, **({"mip_rel_gap": gap} if gap else {})})
    if res.x is None:
        return None
    out = labels.copy()
    for c in np.flatnonzero(res.x[:nv] > 0.5).tolist():
        out[var[c][0]] = var[c][2]
    return out


def _kept_connected_rows(problem: Problem, labels: np.ndarray, by_unit: dict[int, list[int]],
                         regions: int | None = None):
    """MILP rows keeping what each sector keeps in one piece: yields ``(rows, cols, vals, upper bounds)``.

    Each sector has a core that stays: its units without a move variable,
    or else its unit with the most patients (held by a row). Every unit
    that may move gets its graph steps from the core inside the sector; it
    may stay only if a neighbour one step nearer the core stays too, so
    every unit kept is joined to the core by units kept.

    ``labels`` may be any regions (e.g. the groups, ``regions`` of them)
    with ``by_unit`` the variables taking a unit out of its region.
    """
    from collections import deque

    nbrs = problem.nbrs
    # the pieces of each region's units that cannot move (the core is the heaviest)
    fixed = labels.copy()
    fixed[list(by_unit)] = -1
    pieces = sector_components(fixed, problem.edges, problem.n)
    for a in range(problem.k if regions is None else regions):
        members = np.flatnonzero(labels == a).tolist()
        if not members:
            continue
        core = _heaviest_piece(problem, pieces, [i for i in members if i not in by_unit])
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        upper: list[float] = []
        if not core:
            heavy = max(members, key=lambda i: (problem.load[i], -i))
            core = [heavy]
            rows += [0] * len(by_unit[heavy])
            cols += by_unit[heavy]
            vals += [1.0] * len(by_unit[heavy])
            upper.append(0.0)
        steps = {i: 0 for i in core}
        queue = deque(core)
        while queue:
            u = queue.popleft()
            for v in nbrs[u]:
                if v not in steps and labels[v] == a:
                    steps[v] = steps[u] + 1
                    queue.append(v)
        for i in members:
            if steps.get(i, 0) == 0:
                continue
            support = [j for j in nbrs[i] if labels[j] == a and steps.get(j) == steps[i] - 1]
            movable = [j for j in support if j in by_unit]
            if len(movable) < len(support):
                continue   # a neighbour nearer the core always stays
            # staying needs a support staying: -moves(i) + sum moves(support) <= |support| - 1
            # (a unit that cannot move always stays: its support must)
            row = len(upper)
            for c in by_unit.get(i, []):
                rows.append(row)
                cols.append(c)
                vals.append(-1.0)
            for j in movable:
                for c in by_unit[j]:
                    rows.append(row)
                    cols.append(c)
                    vals.append(1.0)
            upper.append(len(support) - 1.0)
        if upper:
            yield rows, cols, vals, upper


def _heaviest_piece(problem: Problem, pieces: np.ndarray, units: list[int]) -> list[int]:
    """The units of ``units`` in the piece (``pieces``: component ids) with the most patients: a sector's core.

    Units that cannot move but lie in other pieces are then held to the core
    like the others: a sector whose fixed units form two pieces cannot be
    split by moving the units between them. Ties go to the piece of the
    lowest unit index.
    """
    if not units:
        return []
    members = np.asarray(units)
    ids = pieces[members]
    loads = np.bincount(ids, weights=problem.load[members])
    present = np.unique(ids)
    return members[ids == present[np.argmax(loads[present])]].tolist()


def _attached_rows(labels: np.ndarray, var: list[tuple[int, int, int, int]], by_unit: dict[int, list[int]],
                   nbrs) -> tuple[list[int], list[int], list[float], list[float]]:
    """MILP rows: a unit of layer 1 moves to ``b`` only if one of its neighbours in ``b`` stays there.

    ``move(i -> b) <= sum over b-neighbours j of (1 - moves(j))``; a neighbour
    without a move variable always stays (no row then).
    """
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    upper: list[float] = []
    for c, (i, _, b, d) in enumerate(var):
        if d != 1:
            continue
        holders = [j for j in nbrs[i] if labels[j] == b]
        if not holders or any(j not in by_unit for j in holders):
            continue
        row = len(upper)
        rows.append(row)
        cols.append(c)
        vals.append(1.0)
        for j in holders:
            rows += [row] * len(by_unit[j])
            cols += by_unit[j]
            vals += [1.0] * len(by_unit[j])
        upper.append(float(len(holders)))
    return rows, cols, vals, upper


def _keep_problem(problem: Problem) -> Problem:
    """The problem with a keep weight that makes every patient kept worth more than any distance."""
    return problem.replace(keep_weight=max(problem.keep_weight, 1000.0))


def _least_moves_balance(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Bring every sector within tolerance changing the fewest patients' referent.

    :func:`~geo.sectors.tools.exact_balance` with the keep weight as the main
    cost: a move costs the patients it takes away from their previous sector
    (and gains those it gives back), a unit without patients almost nothing.
    """
    keep = _keep_problem(problem)
    if not _in_band(problem, labels):
        # first only along the arcs of the least-load flow: no load takes a longer way round
        labels, _ = exact_balance(keep, labels, medoids(problem, labels), rounds=8, move_cost=0.01,
                                  cost_weight=1e-3, time_limit=3.0, pairs=_flow_pairs(problem, labels))
    for _ in range(2):
        if _in_band(problem, labels):
            break
        labels, _ = exact_balance(keep, labels, medoids(problem, labels), rounds=8, move_cost=0.01,
                                  cost_weight=1e-3, time_limit=3.0)
        if _in_band(problem, labels):
            break
        labels, _ = balance(problem, labels, medoids(problem, labels))
    return labels


def _flow_pairs(problem: Problem, labels: np.ndarray) -> set[tuple[int, int]]:
    """The (from, to) sector pairs of the least-load flow bringing every sector within its band."""
    k = problem.k
    adj = _sector_graph(labels, problem.edges, k)
    loads = np.bincount(labels, weights=problem.load, minlength=k)
    found = band_flow(problem, loads, [(a, b) for a in range(k) for b in sorted(adj[a])], MARGIN)
    return set(found[1]) if found is not None else set()


def _in_band(problem: Problem, labels: np.ndarray) -> bool:
    loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
    return bool(((loads >= problem.lower - 1e-9) & (loads <= problem.upper + 1e-9)).all())


def _finish(problem: Problem, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Balance what is left with the fewest moves, then give border units back to their previous sector."""
    loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
    if ((loads < problem.lower - 1e-9) | (loads > problem.upper + 1e-9)).any():
        labels, _ = exact_balance(problem, labels, medoids(problem, labels), cost_weight=1e-4)
    loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
    if ((loads < problem.lower - 1e-9) | (loads > problem.upper + 1e-9)).any():
        labels, _ = balance(problem, labels, medoids(problem, labels))
        labels, _ = exact_balance(problem, labels, medoids(problem, labels), cost_weight=1e-4)
    labels = local_search(_keep_problem(problem), labels, rng, max_rounds=10, recentre=False)
    return _trade_back(problem, labels)


def _trade_back(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Fewer referent changes by moves made together: one MILP over every sector border, repeated.

    Single moves (the local search) stop where giving a unit back to its
    previous sector would push a load out of its band; here units within
    :data:`TRADE_DEPTH` layers of any border may move at once (A gives one
    back to B while B gives another to C), every sector and group staying in
    one piece. A valid labelling only gets better: a result with a fault or
    no gain is dropped.
    """
    if faults(problem, labels):
        return labels
    moved = moved_load(problem, labels)
    for _ in range(TRADE_ROUNDS):
        traded = _layered_balance(problem, labels, _border_pairs(problem, labels), depth=TRADE_DEPTH,
                                  keep_connected=True, attached=True, time_limit=TRADE_SECONDS, gap=TRADE_GAP)
        if traded is None or faults(problem, traded):
            break
        traded_moved = moved_load(problem, traded)
        if traded_moved >= moved - 1e-9:
            break
        labels, moved = traded, traded_moved
    return labels


def _border_pairs(problem: Problem, labels: np.ndarray) -> set[tuple[int, int]]:
    """Every (from, to) pair of sectors that share a border in ``labels``, both ways."""
    adj = _sector_graph(labels, problem.edges, problem.k)
    return {(a, b) for a in range(problem.k) for b in adj[a]}
