"""Operations on a labelling (one sector index per unit): fill, join locks, repair, balance, improve.

Each function takes a :class:`~geo.sectors.problem.Problem` and a labels array
and returns a new labels array; none of them ever moves a locked unit.
"""
from __future__ import annotations

import math

import numpy as np

from geo.sectors._graph import (articulation_points, pieces_per_sector, sector_components, shortest_path,
                               stays_connected_without)
from geo.sectors.pmedian import medoids
from geo.sectors.problem import COMPACTNESS_WEIGHT, Problem, SectorError


def fill_unassigned(problem: Problem, labels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Give every unit with label -1 a sector by growing the assigned ones over the graph.

    Layer by layer, an unassigned unit next to assigned ones joins the adjacent
    sector whose centre is nearest, so each sector grows as one piece from
    what it already holds.
    """
    labels = labels.copy()
    edges = np.concatenate([problem.edges, problem.edges[:, ::-1]])
    cxy = problem.xy[np.maximum(centres, 0)]
    while True:
        free = labels < 0
        if not free.any():
            return labels
        pairs = edges[free[edges[:, 0]] & ~free[edges[:, 1]]]
        if len(pairs) == 0:
            raise SectorError(f"{int(free.sum())} units cannot be reached from any sector "
                              "(the contiguity graph is not connected)")
        u, s = pairs[:, 0], labels[pairs[:, 1]]
        d = np.hypot(problem.xy[u, 0] - cxy[s, 0], problem.xy[u, 1] - cxy[s, 1])
        order = np.lexsort((s, d, u))
        u, s = u[order], s[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = u[1:] != u[:-1]
        labels[u[first]] = s[first]


def connect_locks(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Make the units locked to each sector one piece, claiming the shortest linking paths."""
    labels = labels.copy()
    locked = problem.locked
    nbrs = problem.nbrs
    for s in np.unique(locked[locked >= 0]).tolist():
        for _ in range(problem.n):
            comp = sector_components(labels, problem.edges, problem.n)
            mine = np.flatnonzero(locked == s)
            comps = np.unique(comp[mine])
            if len(comps) <= 1:
                break
            main = np.flatnonzero(comp == comp[mine[0]])
            others = mine[comp[mine] != comp[mine[0]]]
            path = shortest_path(main.tolist(), others.tolist(), lambda v: locked[v] < 0 or locked[v] == s, nbrs)
            if path is None:
                raise SectorError("sectors.locks_not_joinable", worker=problem._sector(s))
            for v in path:
                labels[v] = s
    return labels


def repair_contiguity(problem: Problem, labels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Keep one piece per sector (the one with its locked units, else the heaviest) and regrow the rest."""
    labels = connect_locks(problem, labels)
    for _ in range(10):
        if (pieces_per_sector(labels, problem.edges, problem.k) <= 1).all():
            return labels
        comp = sector_components(labels, problem.edges, problem.n)
        weight = problem.load + COMPACTNESS_WEIGHT
        key_load = np.bincount(comp, weights=weight, minlength=problem.n)
        key_locked = np.bincount(comp, weights=(problem.locked >= 0).astype(float), minlength=problem.n)
        detached = np.zeros(problem.n, dtype=bool)
        for s in range(problem.k):
            members = np.flatnonzero(labels == s)
            if len(members) == 0:
                continue
            comps = np.unique(comp[members])
            if len(comps) <= 1:
                continue
            keep = comps[np.lexsort((key_load[comps], key_locked[comps]))[-1]]
            detached[members[comp[members] != keep]] = True
        detached &= problem.locked < 0
        labels[detached] = -1
        labels = fill_unassigned(problem, labels, centres)
    if not (pieces_per_sector(labels, problem.edges, problem.k) <= 1).all():
        raise SectorError("sectors.no_contiguous_plan", workers=[
            problem._sector(s) for s in np.flatnonzero(pieces_per_sector(labels, problem.edges, problem.k) > 1)])
    return labels


class _State:
    """Mutable working state of a labelling for the move-based steps (plain lists: fast loops)."""

    def __init__(self, problem: Problem, labels: np.ndarray, centres: np.ndarray):
        self.p = problem
        self.lab = labels.tolist()
        self.w = problem.load.tolist()
        self.locked = problem.locked.tolist()
        self.prev = problem.previous.tolist()
        self.dep = problem.departement.tolist()
        self.xs = problem.xy[:, 0].tolist()
        self.ys = problem.xy[:, 1].tolist()
        self.nbrs = problem.nbrs
        k = problem.k
        self.loads = np.bincount(labels, weights=problem.load, minlength=k).tolist()
        self.sizes = np.bincount(labels, minlength=k).tolist()
        self.members = [set() for _ in range(k)]
        for i, s in enumerate(self.lab):
            self.members[s].add(i)
        ndep = int(problem.departement.max()) + 1
        counts = np.zeros((k, ndep), dtype=np.int64)
        np.add.at(counts, (labels, problem.departement), 1)
        self.depcount = counts.tolist()
        self.lo = problem.lower.tolist()
        self.hi = problem.upper.tolist()
        self.targets = problem.targets.tolist()
        self.set_centres(centres)
        self.moved: list[tuple[int, int, int]] = []

    def set_centres(self, centres):
        self.centres = [int(c) for c in centres]
        self.cx = [self.xs[c] if c >= 0 else 0.0 for c in self.centres]
        self.cy = [self.ys[c] if c >= 0 else 0.0 for c in self.centres]

    def dist(self, i: int, s: int) -> float:
        return math.hypot(self.xs[i] - self.cx[s], self.ys[i] - self.cy[s]) / 1000.0

    def cost(self, i: int, s: int) -> float:
        c = (self.w[i] + COMPACTNESS_WEIGHT) * self.dist(i, s)
        p = self.prev[i]
        if p >= 0 and p != s:
            c += self.p.keep_weight * self.w[i]
        return c

    def dep_delta(self, i: int, a: int, b: int) -> int:
        d = self.dep[i]
        return (self.depcount[b][d] == 0) - (self.depcount[a][d] == 1)

    def violation(self, s: int, load: float) -> float:
        return max(0.0, load - self.hi[s], self.lo[s] - load)

    def can_leave(self, i: int) -> bool:
        a = self.lab[i]
        return (self.locked[i] < 0 and self.sizes[a] > 1 and i != self.centres[a]
                and stays_connected_without(i, a, self.lab, self.nbrs))

    def move(self, i: int, b: int) -> None:
        a = self.lab[i]
        self.lab[i] = b
        self.loads[a] -= self.w[i]
        self.loads[b] += self.w[i]
        self.sizes[a] -= 1
        self.sizes[b] += 1
        self.members[a].discard(i)
        self.members[b].add(i)
        d = self.dep[i]
        self.depcount[a][d] -= 1
        self.depcount[b][d] += 1
        self.moved.append((i, a, b))

    def labels(self) -> np.ndarray:
        return np.asarray(self.lab, dtype=np.int64)


def _sector_graph(labels: np.ndarray, edges: np.ndarray, k: int) -> list[set[int]]:
    a, b = labels[edges[:, 0]], labels[edges[:, 1]]
    cut = a != b
    adj: list[set[int]] = [set() for _ in range(k)]
    for x, y in np.unique(np.column_stack([a[cut], b[cut]]), axis=0).tolist():
        adj[x].add(y)
        adj[y].add(x)
    return adj


def _balancing_flows(st: _State, adj: list[set[int]], band: float) -> list[tuple[int, int, float]]:
    """Least load moved between adjacent sectors so every sector ends within ``band`` of its target.

    Sectors already within tolerance may stay where they are; the others must
    reach the band. A small LP (min-cost flow on the sector graph).
    """
    from scipy.optimize import linprog

    k = len(adj)
    arcs = [(a, b) for a in range(k) for b in sorted(adj[a])]
    if not arcs:
        return []
    loads = np.asarray(st.loads)
    t = np.asarray(st.targets)
    lo_ok = np.asarray(st.lo) <= loads + 1e-9
    hi_ok = loads <= np.asarray(st.hi) + 1e-9
    low = np.where(lo_ok & hi_ok, np.minimum(loads, t * (1 - band)), t * (1 - band))
    high = np.where(lo_ok & hi_ok, np.maximum(loads, t * (1 + band)), t * (1 + band))
    m = len(arcs)
    a_idx = np.array([a for a, _ in arcs])
    b_idx = np.array([b for _, b in arcs])
    # net inflow of s = sum(f into s) - sum(f out of s)
    net = np.zeros((k, m))
    net[b_idx, np.arange(m)] += 1
    net[a_idx, np.arange(m)] -= 1
    res = linprog(np.ones(m), A_ub=np.vstack([net, -net]), b_ub=np.concatenate([high - loads, loads - low]),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return []
    return [(a, b, float(f)) for (a, b), f in zip(arcs, res.x) if f > 1e-6]


def _leave_checker(st: _State, a: int):
    """``can_leave(i)`` for units of sector ``a`` in its current state.

    The first few checks search the sector from the unit (cheap when the
    answer is yes); after that the sector's cut vertices are computed once and
    looked up, so a long thin sector (e.g. around a far lock) is not searched
    again for every candidate.
    """
    state = {"checks": 0, "cut": None}

    def can_leave(i: int) -> bool:
        if st.locked[i] >= 0 or st.sizes[a] <= 1 or i == st.centres[a]:
            return False
        if state["cut"] is None:
            state["checks"] += 1
            if state["checks"] <= 8:
                return stays_connected_without(i, a, st.lab, st.nbrs)
            state["cut"] = articulation_points(st.members[a], st.nbrs)
        return i not in state["cut"]
    return can_leave


def _transfer(st: _State, a: int, b: int, amount: float, max_zero_moves: int = 40,
              exchange: bool = True, exclude: int = -1) -> float:
    """Move about ``amount`` of load from sector ``a`` to its neighbour ``b``; returns what moved.

    Border units of ``a`` that keep it in one piece move, cheapest first, while
    they get closer to ``amount``; units without load move when needed to reach
    loaded ones.
    """
    moved = 0.0
    zero_moves = 0
    while amount - moved > 1e-9:
        need = amount - moved
        can_leave = _leave_checker(st, a)
        border = [i for i in st.members[a] if i != exclude and any(st.lab[j] == b for j in st.nbrs[i])]
        border.sort(key=lambda i: (st.dist(i, b) - st.dist(i, a), i))
        # a loaded unit is worth moving when it brings the moved load closer to the amount
        loaded = sorted((i for i in border if 0 < st.w[i] < 2 * need),
                        key=lambda i: (abs(need - st.w[i]) > 0.5 * need, st.dist(i, b) - st.dist(i, a), i))
        done = False
        for i in loaded:
            if can_leave(i):
                st.move(i, b)
                moved += st.w[i]
                done = True
                break
        if done:
            continue
        if zero_moves >= max_zero_moves:
            break
        for i in border:
            if st.w[i] == 0 and can_leave(i):
                st.move(i, b)
                zero_moves += 1
                done = True
                break
        if not done and exchange:
            # only units too heavy for the amount are left: move the lightest and take the excess
            # back in smaller units from b
            for i in sorted((i for i in border if st.w[i] > 0), key=lambda i: (st.w[i], i)):
                if can_leave(i):
                    st.move(i, b)
                    moved += st.w[i]
                    moved -= _transfer(st, b, a, moved - amount, max_zero_moves, exchange=False, exclude=i)
                    break
            break
        if not done:
            break
    return moved


def balance(problem: Problem, labels: np.ndarray, centres: np.ndarray, max_rounds: int | None = None
            ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Bring every sector within tolerance by shifting load between adjacent sectors.

    Each round solves a min-cost flow on the sector graph (least load moved so
    that every sector reaches half its tolerance band, sectors already within
    tolerance may stay) and carries each flow out with border units that keep
    the giving sector in one piece, the cheapest first. Rounds repeat on the
    new loads; the best labelling seen is returned.

    Returns the new labels and the moves made as ``(unit, from, to)``.
    """
    st = _State(problem, labels, centres)
    k = problem.k
    max_rounds = max_rounds or 30
    total_violation = lambda: sum(st.violation(s, st.loads[s]) / st.targets[s] for s in range(k))  # noqa: E731
    best = (total_violation(), st.labels(), 0)
    for round_ in range(max_rounds):
        if best[0] <= 1e-12:
            break
        adj = _sector_graph(st.labels(), problem.edges, k)
        band = problem.tolerance * (0.5 if round_ < max_rounds // 2 else 0.8)
        flows = _balancing_flows(st, adj, band)
        if not flows:
            break
        # carry out flows leaving sectors that receive nothing first
        pending = list(flows)
        while pending:
            receivers = {b for _, b, _ in pending}
            ready = [f for f in pending if f[0] not in receivers] or pending[:1]
            for f in ready:
                _transfer(st, f[0], f[1], f[2], exchange=True)
                pending.remove(f)
        v = total_violation()
        if v < best[0] - 1e-12:
            best = (v, st.labels(), len(st.moved))
    return best[1], st.moved[:best[2]]


def local_search(problem: Problem, labels: np.ndarray, rng: np.random.Generator, max_rounds: int = 40,
                 recentre: bool = True, max_seconds: float | None = None) -> np.ndarray:
    """Flip border units to the adjacent sector that lowers the cost, keeping balance and contiguity.

    The cost is the load-weighted distance to the sector's base (plus a tiny
    weight for units without load), the keep penalty against ``previous`` and
    the department penalty. Between rounds the bases move to the new medoids.
    A move never creates or worsens a balance violation. ``max_seconds`` stops
    after the round that exceeds it (large territories).
    """
    import time

    start = time.perf_counter()
    centres = medoids(problem, labels)
    st = _State(problem, labels, centres)
    pen = problem.department_penalty
    k = problem.k
    for _ in range(max_rounds):
        lab = st.lab
        lab_arr = st.labels()
        e = problem.edges
        cut = lab_arr[e[:, 0]] != lab_arr[e[:, 1]]
        border = np.unique(e[cut].ravel())
        border = border[rng.permutation(len(border))].tolist()
        moves = 0
        for i in border:
            a = lab[i]
            if st.locked[i] >= 0 or st.sizes[a] <= 1 or i == st.centres[a]:
                continue
            wi = st.w[i]
            cost_a = st.cost(i, a)
            best_b, best_delta = -1, -1e-9
            for b in {lab[j] for j in st.nbrs[i]}:
                if b == a:
                    continue
                if wi > 0:
                    na, nb = st.loads[a] - wi, st.loads[b] + wi
                    if (st.violation(a, na) > st.violation(a, st.loads[a]) + 1e-12
                            or st.violation(b, nb) > st.violation(b, st.loads[b]) + 1e-12):
                        continue
                delta = st.cost(i, b) - cost_a + pen * st.dep_delta(i, a, b)
                if delta < best_delta:
                    best_b, best_delta = b, delta
            if best_b >= 0 and stays_connected_without(i, a, lab, st.nbrs):
                st.move(i, best_b)
                moves += 1
        new_centres = medoids(problem, st.labels()) if recentre else np.asarray(st.centres)
        changed = not np.array_equal(new_centres, st.centres)
        st.set_centres(new_centres)
        if moves == 0 and not changed:
            break
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    assert k == len(st.centres)
    return st.labels()


def exact_balance(problem: Problem, labels: np.ndarray, centres: np.ndarray, rounds: int = 5,
                  move_cost: float = 1.0, cost_weight: float = 1e-3, hops: int = 50,
                  time_limit: float = 3.0, pairs: set[tuple[int, int]] | None = None
                  ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Balance with as few moves as possible: a small MILP over border units, repeated.

    Variables are "unit i leaves its sector for adjacent sector b", for units
    on a border of the sectors within ``hops`` of an out-of-tolerance sector.
    The MILP minimises the remaining violation first, then the number of moves
    (``move_cost`` each) and the distance cost. A unit may only arrive where
    one of its neighbours stays; a pair of neighbours may not swap. Moves are
    applied one by one, skipping any that would cut its sector; the round
    repeats on the new state (multi-layer changes take several rounds).
    ``pairs``, a set of ``(from, to)`` sector indices, limits the moves to
    those pairs (e.g. the arcs of a least-load flow).

    Returns the new labels and the moves made as ``(unit, from, to)``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    st = _State(problem, labels, centres)
    k = problem.k
    if k > 30:
        hops = min(hops, 2)
    banned: set[tuple[int, int]] = set()
    for _ in range(rounds):
        viol = [st.violation(s, st.loads[s]) for s in range(k)]
        hot = {s for s in range(k) if viol[s] > 1e-9}
        if not hot:
            break
        adj = _sector_graph(st.labels(), problem.edges, k)
        zone = set(hot)
        frontier = set(hot)
        for _ in range(hops):
            frontier = {t for s in frontier for t in adj[s]} - zone
            zone |= frontier
        var: list[tuple[int, int, int]] = []
        layer: list[int] = []
        movable: dict[int, bool] = {}
        for s in sorted(zone):
            cut_points = articulation_points(st.members[s], st.nbrs)
            for i in st.members[s]:
                movable[i] = not (st.locked[i] >= 0 or i == st.centres[s] or i in cut_points)
        for s in sorted(zone):
            for i in sorted(st.members[s]):
                if not movable[i]:
                    continue
                near = {st.lab[j] for j in st.nbrs[i]} - {s}
                for b in sorted(near):
                    if b in zone and (i, b) not in banned and (pairs is None or (s, b) in pairs):
                        var.append((i, s, b))
                        layer.append(1)
                # second layer: sectors next to a neighbour (of another sector) that could move first
                far = {st.lab[h] for j in st.nbrs[i] if st.lab[j] != s for h in st.nbrs[j]} - near - {s}
                for b in sorted(far):
                    if b in zone and (i, b) not in banned and (pairs is None or (s, b) in pairs):
                        var.append((i, s, b))
                        layer.append(2)
        if not var:
            break
        nv = len(var)
        zs = sorted(zone)
        zpos = {s: r for r, s in enumerate(zs)}
        nz = len(zs)
        # columns: y (nv), under (nz), over (nz)
        ncol = nv + 2 * nz
        index = {(i, b): c for c, (i, _, b) in enumerate(var)}
        leaving: dict[int, list[int]] = {}
        for c, (i, _, _) in enumerate(var):
            leaving.setdefault(i, []).append(c)
        rows_lo, rows_hi = [], []
        entries = []  # (row, col, val)
        r = 0
        load_rows = {s: [] for s in zs}
        for c, (i, a, b) in enumerate(var):
            load_rows[b].append((c, st.w[i]))
            load_rows[a].append((c, -st.w[i]))
        for s in zs:   # lo <= load + in - out + under ; load + in - out - over <= hi
            for c, v in load_rows[s]:
                entries.append((r, c, v))
            entries.append((r, nv + zpos[s], 1.0))
            entries.append((r, nv + nz + zpos[s], -1.0))
            rows_lo.append(st.lo[s] - st.loads[s])
            rows_hi.append(st.hi[s] - st.loads[s])
            r += 1
        for i, cols in leaving.items():   # at most one move per unit
            for c in cols:
                entries.append((r, c, 1.0))
            rows_lo.append(-np.inf)
            rows_hi.append(1.0)
            r += 1
        for c, (i, a, b) in enumerate(var):
            if layer[c] == 1:
                stay = [j for j in st.nbrs[i] if st.lab[j] == b]
                # arrive only next to a neighbour that stays: y_ib <= sum_j (1 - moves_j)
                entries.append((r, c, 1.0))
                for j in stay:
                    for cj in leaving.get(j, []):
                        entries.append((r, cj, 1.0))
                rows_lo.append(-np.inf)
                rows_hi.append(float(len(stay)))
                r += 1
                for j in stay:   # no swap across one edge
                    cj = index.get((j, a))
                    if cj is not None and cj > c:
                        entries.extend([(r, c, 1.0), (r, cj, 1.0)])
                        rows_lo.append(-np.inf)
                        rows_hi.append(1.0)
                        r += 1
            else:
                # arrive only next to a first-layer neighbour that arrives too
                support = [index[(j, b)] for j in st.nbrs[i]
                           if (j, b) in index and layer[index[(j, b)]] == 1]
                entries.append((r, c, 1.0))
                for cj in support:
                    entries.append((r, cj, -1.0))
                rows_lo.append(-np.inf)
                rows_hi.append(0.0)
                r += 1
        rr, cc, vv = zip(*entries)
        a_mat = csr_matrix((vv, (rr, cc)), shape=(r, ncol))
        big = 1000.0 * (move_cost + 1.0) * max(1.0, float(np.max(problem.load)))
        cost = np.empty(ncol)
        for c, (i, a, b) in enumerate(var):
            cost[c] = move_cost + cost_weight * (st.cost(i, b) - st.cost(i, a))
        cost[nv:] = big
        integrality = np.r_[np.ones(nv), np.zeros(2 * nz)]
        res = milp(cost, constraints=LinearConstraint(a_mat, rows_lo, rows_hi), integrality=integrality,
                   bounds=Bounds(np.zeros(ncol), np.r_[np.ones(nv), np.full(2 * nz, np.inf)]),
                   options={"time_limit": time_limit})
        if res.x is None:
            break
        chosen = [var[c] for c in np.flatnonzero(res.x[:nv] > 0.5)]
        before = sum(viol)
        mark = len(st.moved)
        pending = chosen
        for _ in range(4):
            left = []
            for i, a, b in sorted(pending, key=lambda m: layer[index[(m[0], m[2])]]):
                if st.lab[i] == a and any(st.lab[j] == b for j in st.nbrs[i]) and st.sizes[a] > 1 \
                        and stays_connected_without(i, a, st.lab, st.nbrs):
                    st.move(i, b)
                else:
                    left.append((i, a, b))
            if len(left) == len(pending):
                break
            pending = left
        after = sum(st.violation(s, st.loads[s]) for s in range(k))
        if after >= before - 1e-9:
            # undo this round and forbid the moves that could not be made
            for i, a, b in reversed(st.moved[mark:]):
                st.move(i, a)
            del st.moved[mark:]
            if not pending:
                break
            banned.update((i, b) for i, _, b in pending)
    return st.labels(), st.moved


def plan_cost(problem: Problem, labels: np.ndarray) -> float:
    """The objective the methods minimise: load-weighted km to the bases, plus keep and department penalties."""
    centres = medoids(problem, labels)
    d = np.hypot(*(problem.xy - problem.xy[centres[labels]]).T) / 1000.0
    cost = float(((problem.load + COMPACTNESS_WEIGHT) * d).sum())
    prev = problem.previous
    moved = (prev >= 0) & (prev != labels)
    cost += problem.keep_weight * float(problem.load[moved].sum())
    pairs = len(np.unique(labels * (int(problem.departement.max()) + 1) + problem.departement))
    return cost + problem.department_penalty * pairs
