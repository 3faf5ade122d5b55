"""Baseline sector methods for ``bench/sectors.py``.

Every runner takes the same numeric inputs (positions are rows of
:func:`geo.territory.load_units`) and returns ``(labels, seconds)``: one sector
index per unit position (``0..k-1``) and the wall time of the method alone.

- :func:`balanced_pmedian` needs only numpy and scipy (HiGHS): the smoke test
  imports this module without the ``bench`` extra.
- The GerryChain and spopt runners import their package inside the function.
"""
from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack


@dataclass
class Inputs:
    """The numeric sector problem shared by every method.

    Parameters
    ----------
    xy
        (n, 2) reference points, Lambert-93 metres.
    load
        (n,) patients per unit.
    edges
        (m, 2) neighbour pairs of positions (a connected graph).
    codes
        (n,) INSEE codes (node names in GerryChain's graph).
    """

    xy: np.ndarray
    load: np.ndarray
    edges: np.ndarray
    codes: np.ndarray
    _dist: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.xy)

    def loaded(self) -> np.ndarray:
        """Positions of the units with patients."""
        return np.flatnonzero(self.load > 0)

    def distances_from_loaded(self) -> np.ndarray:
        """(units with patients, all units) straight-line distances in km, float32, cached."""
        if "loaded" not in self._dist:
            rows = self.xy[self.loaded()]
            d = np.hypot(rows[:, None, 0] - self.xy[None, :, 0], rows[:, None, 1] - self.xy[None, :, 1])
            self._dist["loaded"] = (d / 1000.0).astype(np.float32)
        return self._dist["loaded"]


# ---------------------------------------------------------------------------
# Re-sectoring: share of patients whose referent changes
# ---------------------------------------------------------------------------
def changed_share(before: np.ndarray, after: np.ndarray, load: np.ndarray) -> float:
    """Share of patients whose sector changes between two plans.

    Sectors of the two plans are matched one to one so that the most patients
    keep their sector (Hungarian assignment on the overlap matrix); patients
    in a sector with no counterpart (the 12th of 11 -> 12) count as changed.
    This is the most favourable reading for every method, whatever its labels.
    """
    before, after = np.asarray(before), np.asarray(after)
    overlap = coo_matrix((load, (before, after)), shape=(before.max() + 1, after.max() + 1)).toarray()
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return float(1.0 - overlap[rows, cols].sum() / load.sum())


# ---------------------------------------------------------------------------
# Lower bound: balanced p-median without contiguity
# ---------------------------------------------------------------------------
@dataclass
class PMedianResult:
    """Best solution of :func:`balanced_pmedian`.

    Attributes
    ----------
    value
        Mean patient distance (km) of the fractional assignment to the medians.
    medians
        (k,) unit positions of the medians.
    labels
        (n,) rounding of the assignment: each unit with patients to the median
        holding its largest share, each unit without to its nearest median.
    max_deviation
        Largest relative deviation of a sector's load from the mean in the
        fractional solution (<= tolerance by construction).
    restarts
        Value reached by each restart.
    seconds
        Wall time.
    """

    value: float
    medians: np.ndarray
    labels: np.ndarray
    max_deviation: float
    restarts: list[float]
    seconds: float


def _transport(cost: np.ndarray, load: np.ndarray, lower: float, upper: float) -> tuple[float, np.ndarray]:
    """Fractional balanced assignment: min sum load_i cost_ij x_ij, sum_j x_ij = 1, lower <= load_j <= upper."""
    m, k = cost.shape
    var = np.arange(m * k).reshape(m, k)
    rows = np.repeat(np.arange(m), k)
    a_eq = csr_matrix((np.ones(m * k), (rows, var.ravel())), shape=(m, m * k))
    cols = var.T.ravel()  # sector j's variables, unit by unit
    weights = np.tile(load, k)
    sector_rows = np.repeat(np.arange(k), m)
    a_cap = csr_matrix((weights, (sector_rows, cols)), shape=(k, m * k))

    res = linprog((load[:, None] * cost).ravel(), A_ub=vstack([a_cap, -a_cap]).tocsr(),
                  b_ub=np.concatenate([np.full(k, upper), np.full(k, -lower)]),
                  A_eq=a_eq, b_eq=np.ones(m), bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"balanced transport LP failed: {res.message}")
    return float(res.fun), res.x.reshape(m, k)


def _seed_medians(xy: np.ndarray, load: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding on the units with patients, weighted by patients."""
    first = rng.choice(len(xy), p=load / load.sum())
    chosen = [first]
    d2 = np.sum((xy - xy[first]) ** 2, axis=1)
    for _ in range(k - 1):
        p = load * d2
        nxt = rng.choice(len(xy), p=p / p.sum())
        chosen.append(nxt)
        d2 = np.minimum(d2, np.sum((xy - xy[nxt]) ** 2, axis=1))
    return np.array(chosen)


def balanced_pmedian(inputs: Inputs, k: int, tolerance: float = 0.02, restarts: int = 8,
                     max_rounds: int = 30, seed: int = 0) -> PMedianResult:
    """Balanced p-median without contiguity, by alternating a transport LP and medoid updates.

    Every contiguous plan whose sector loads are within ``tolerance`` of the
    mean is a feasible point of this relaxation (whole units, bases at units),
    so its global optimum is a lower bound on any such plan's mean distance.
    The alternation (HiGHS transport LP for the assignment, then each median
    moved to the unit minimising its assigned patient-distance) reaches a
    local optimum; the best of several k-means++ restarts is kept.

    Parameters
    ----------
    inputs
        The problem.
    k
        Number of sectors.
    tolerance
        Relative load deviation allowed per sector.
    restarts, max_rounds, seed
        Number of random starts, alternation rounds per start, random seed.

    Returns
    -------
    PMedianResult
    """
    start = time.perf_counter()
    loaded = inputs.loaded()
    w = inputs.load[loaded].astype(float)
    dist = inputs.distances_from_loaded()  # (loaded, n) km
    target = w.sum() / k
    lower, upper = target * (1 - tolerance), target * (1 + tolerance)
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    values = []
    for _ in range(restarts):
        medians = loaded[_seed_medians(inputs.xy[loaded], w, k, rng)]
        seen: set[tuple[int, ...]] = set()
        restart_best = np.inf
        for _ in range(max_rounds):
            key = tuple(sorted(medians.tolist()))
            if key in seen:
                break
            seen.add(key)
            value, x = _transport(dist[:, medians].astype(float), w, lower, upper)
            value /= w.sum()
            restart_best = min(restart_best, value)
            if best is None or value < best[0]:
                best = (value, medians.copy(), x)
            # Each median moves to the unit (any unit) nearest, in patient-km, to what it serves.
            medians = np.argmin((x * w[:, None]).T @ dist, axis=1)
        values.append(restart_best)
    value, medians, x = best
    labels = np.empty(inputs.n, dtype=np.int64)
    centres = inputs.xy[medians]
    labels[:] = np.argmin(np.hypot(inputs.xy[:, None, 0] - centres[None, :, 0],
                                   inputs.xy[:, None, 1] - centres[None, :, 1]), axis=1)
    labels[loaded] = np.argmax(x, axis=1)
    loads = (x * w[:, None]).sum(axis=0)
    return PMedianResult(value=value, medians=medians, labels=labels,
                         max_deviation=float(np.max(np.abs(loads / target - 1))),
                         restarts=values, seconds=time.perf_counter() - start)


# ---------------------------------------------------------------------------
# GerryChain
# ---------------------------------------------------------------------------
POP = "patients"


def gerrychain_graph(inputs: Inputs):
    """GerryChain Graph of the units: nodes are INSEE codes carrying ``patients`` and ``pos``."""
    import networkx as nx
    from gerrychain import Graph

    g = nx.Graph()
    g.add_nodes_from((str(c), {POP: int(p), "pos": i}) for i, (c, p) in
                     enumerate(zip(inputs.codes, inputs.load.round().astype(np.int64))))
    g.add_edges_from((str(inputs.codes[i]), str(inputs.codes[j])) for i, j in inputs.edges)
    return Graph.from_networkx(g)


def _labels_from_assignment(assignment: dict, inputs: Inputs) -> np.ndarray:
    index = {str(c): i for i, c in enumerate(inputs.codes)}
    parts = sorted(set(assignment.values()))
    renumber = {p: s for s, p in enumerate(parts)}
    labels = np.full(inputs.n, -1, dtype=np.int64)
    for node, part in assignment.items():
        labels[index[node]] = renumber[part]
    return labels


def recursive_tree(inputs: Inputs, k: int, epsilon: float = 0.02, seeds=(0, 1, 2, 3, 4)):
    """GerryChain's balanced recursive spanning-tree partition.

    Returns
    -------
    labels, seconds, seed
        The plan, the wall time of the successful call and the seed that
        succeeded (earlier seeds that raised are retried with the next one).

    Raises
    ------
    RuntimeError
        When every seed failed; the message lists each seed's error.
    """
    from gerrychain.partition import recursive_tree_part

    graph = gerrychain_graph(inputs)
    target = float(inputs.load.round().sum()) / k
    errors = []
    for seed in seeds:
        start = time.perf_counter()
        try:
            assignment = recursive_tree_part(graph, range(k), target, POP, epsilon, rng=seed)
        except Exception as exc:  # BipartitionWarning/PopulationBalanceError: retry another tree
            errors.append(f"seed {seed}: {type(exc).__name__}: {exc}")
            continue
        return _labels_from_assignment(assignment, inputs), time.perf_counter() - start, seed
    raise RuntimeError("recursive_tree_part failed for every seed: " + "; ".join(errors))


class _SectorCost:
    """Patient-km of one sector to its load-weighted medoid, cached per node set.

    The objective the short-burst optimiser minimises, computed on GerryChain's
    internal node ids. It is the engine's measure (sum over patients of the
    distance to the sector's medoid unit); the bench checks the final plan
    against the engine's own metric function.
    """

    def __init__(self, inputs: Inputs, internal_to_pos: dict):
        self.dist = inputs.distances_from_loaded()
        self.row_of = np.full(inputs.n, -1, dtype=np.int64)
        self.row_of[inputs.loaded()] = np.arange(len(inputs.loaded()))
        self.w = inputs.load[inputs.loaded()].astype(np.float64)
        self.pos = internal_to_pos
        self.cache: dict[frozenset, float] = {}
        self.total = float(self.w.sum())

    def __call__(self, nodes: frozenset) -> float:
        value = self.cache.get(nodes)
        if value is None:
            members = np.fromiter((self.pos[v] for v in nodes), dtype=np.int64, count=len(nodes))
            rows = self.row_of[members]
            rows = rows[rows >= 0]
            if len(rows) == 0:
                value = 0.0
            else:
                value = float(np.min(self.w[rows] @ self.dist[np.ix_(rows, members)]))
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[nodes] = value
        return value

    def mean(self, partition) -> float:
        return sum(self(nodes) for nodes in partition.parts.values()) / self.total


def short_bursts(inputs: Inputs, initial: np.ndarray, seconds: float, epsilon: float = 0.02,
                 burst_length: int = 10, seed: int = 0):
    """GerryChain ReCom short bursts minimising the mean patient distance, stopped by wall time.

    Parameters
    ----------
    initial
        Starting plan (labels per position), within ``epsilon``.
    seconds
        Wall-time budget; the best plan seen when it runs out is returned.

    Returns
    -------
    labels, seconds, info
        ``info`` has the number of steps and bursts and the start and final objective.
    """
    from functools import partial

    from gerrychain import Partition
    from gerrychain.constraints import within_percent_of_ideal_population
    from gerrychain.optimization import SingleMetricOptimizer
    from gerrychain.proposals import recom
    from gerrychain.updaters import Tally

    start = time.perf_counter()
    graph = gerrychain_graph(inputs)
    assignment = {str(c): int(s) for c, s in zip(inputs.codes, initial)}
    plan = Partition(graph, assignment, updaters={POP: Tally(POP, alias=POP)})
    internal = plan.graph
    pos = {v: internal.node_data(v)["pos"] for v in internal.node_indices}
    cost = _SectorCost(inputs, pos)
    target = sum(plan[POP].values()) / len(plan)
    proposal = partial(recom, pop_col=POP, pop_target=target, epsilon=epsilon)
    constraint = within_percent_of_ideal_population(plan, epsilon, pop_key=POP)
    optimizer = SingleMetricOptimizer(proposal, [constraint], plan, cost.mean, maximize=False, rng=seed)
    steps = 0
    first = cost.mean(plan)
    for _ in optimizer.short_bursts(burst_length, 10**9):
        steps += 1
        if time.perf_counter() - start >= seconds:
            break
    best = optimizer.best_part
    labels = np.full(inputs.n, -1, dtype=np.int64)
    for part, nodes in best.parts.items():
        labels[[pos[v] for v in nodes]] = int(part)
    info = {"steps": steps, "bursts": steps // burst_length, "start_km": first, "best_km": optimizer.best_score}
    return labels, time.perf_counter() - start, info


# ---------------------------------------------------------------------------
# spopt (run in a child process so a time budget can stop it)
# ---------------------------------------------------------------------------
def _spopt_weights(inputs: Inputs):
    from libpysal.weights import W

    nbrs: dict[int, list[int]] = {i: [] for i in range(inputs.n)}
    for i, j in inputs.edges.tolist():
        nbrs[i].append(j)
        nbrs[j].append(i)
    return W(nbrs, silence_warnings=True)


def _spopt_solve(method: str, inputs: Inputs, k: int) -> np.ndarray:
    """The spopt method on the reference points in km (they do not balance load)."""
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore")
    w = _spopt_weights(inputs)
    km = inputs.xy / 1000.0
    if method == "skater":
        from spopt.region import Skater

        frame = pd.DataFrame({"x": km[:, 0], "y": km[:, 1]})
        model = Skater(frame, w, ["x", "y"], n_clusters=k, floor=-np.inf, trace=False, islands="increase")
    elif method == "region_kmeans":
        from spopt.region import RegionKMeansHeuristic

        model = RegionKMeansHeuristic(km, k, w, drop_islands=True, seed=0)
    else:
        raise ValueError(f"method must be 'skater' or 'region_kmeans', got {method!r}")
    model.solve()
    return np.asarray(model.labels_, dtype=np.int64)


def _spopt_child(method, inputs, k, out):
    try:
        start = time.perf_counter()
        labels = _spopt_solve(method, inputs, k)
        out.put(("ok", labels, time.perf_counter() - start))
    except Exception as exc:  # reported by the parent
        out.put(("error", f"{type(exc).__name__}: {exc}", 0.0))


def spopt_region(method: str, inputs: Inputs, k: int, budget: float):
    """Run a spopt region method in a child process, stopped after ``budget`` seconds.

    Returns
    -------
    labels, seconds, reason
        ``labels`` is None when the method failed or ran out of time; ``reason`` says why.
    """
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    inputs = Inputs(inputs.xy, inputs.load, inputs.edges, inputs.codes)  # no distance cache to copy
    child = ctx.Process(target=_spopt_child, args=(method, inputs, k, out), daemon=True)
    start = time.perf_counter()
    child.start()
    try:
        status, payload, seconds = out.get(timeout=budget)
    except queue.Empty:
        child.terminate()
        child.join()
        return None, time.perf_counter() - start, f"stopped after the {budget:.0f} s budget"
    child.join()
    if status != "ok":
        return None, time.perf_counter() - start, payload
    labels = payload
    # Renumber to 0..k'-1 (Skater may number from another base).
    _, labels = np.unique(labels, return_inverse=True)
    return labels.astype(np.int64), seconds, ""
