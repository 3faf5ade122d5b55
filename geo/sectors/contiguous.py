"""Contiguous balanced p-median: the default sector method.

1. Balanced p-median without contiguity (transportation LP + medoid updates,
   several k-means++ starts) places the sector bases and assigns the units
   that have patients.
2. Units without patients are grown from the assigned ones over the graph;
   detached pieces of a sector are regrown into their neighbours.
3. Load is shifted along chains of adjacent sectors until every sector is
   within tolerance.
4. Border flips lower the patient-weighted distance to the bases (with the
   department and keep penalties) under balance and contiguity.

With several groups, the territory is first cut into one region per group
(targets: the groups' summed FTE, a quarter of the tolerance), then each
region into its group's sectors. When workers have base communes, the
sectors are first cut directly around the bases (steps 1-4 on the whole
territory); if each group's sectors already form one block, that plan is
kept, otherwise its group regions are made contiguous and balanced and each
region is cut again around its bases. When every worker has a base and some
bases are close together (a team working in Lyon), the sectors are first
built by :mod:`geo.sectors.radial` (exit paths out of the cluster, straight-
line weighted cells beyond): when most bases are clustered, that plan (or the
refusal it explains) is the answer; with fewer clustered bases, it is the
fallback when the plans grown from the bases are not valid.
"""
from __future__ import annotations

import copy

import numpy as np

from geo.sectors._graph import pieces_per_sector
from geo.sectors.base import SectorMethod
from geo.sectors.pmedian import balanced_pmedian, graph_voronoi, medoids
from geo.sectors.problem import Problem, SectorError
from geo.sectors.radial import MOSTLY_CLUSTERED, NEAR_KM_TRIES, clustered_share, radial_labels
from geo.sectors.tools import balance, exact_balance, fill_unassigned, local_search, plan_cost, repair_contiguity


class ContiguousPMedian(SectorMethod):
    """Contiguous, balanced sectors close to their patients.

    Parameters
    ----------
    seed
        Random seed (the result is deterministic for a seed).
    restarts
        k-means++ starts of the p-median stage.
    iterations
        LP/medoid alternations per start.
    polish_rounds
        Maximum rounds of border flips.
    polish_seconds
        Stop the border flips after the round exceeding this time (large territories).
    runs
        Independent runs of the whole pipeline; the balanced one with the lowest
        cost wins (one run above 20,000 units).
    """

    name = "contiguous-pmedian"
    contiguous = True

    def __init__(self, seed: int | None = 0, restarts: int = 4, iterations: int = 12, polish_rounds: int = 40,
                 polish_seconds: float = 20.0, runs: int = 2, **kwargs):
        super().__init__(seed, restarts=restarts, iterations=iterations, polish_rounds=polish_rounds,
                         polish_seconds=polish_seconds, runs=runs, **kwargs)

    def _solve(self, problem: Problem, rng: np.random.Generator) -> np.ndarray:
        groups = np.unique(problem.groups)
        best = None
        share = clustered_share(problem) if problem.n <= 20_000 else 0.0   # dense LP per site below
        fallback = None
        if share > 0:
            # some bases close together: the radial construction, alone when most bases are clustered,
            # else the fallback of the graph-grown plans (better around spread bases)
            # on a copy of the generator: the graph-grown runs below draw exactly as without it
            labels, valid = self._solve_radial(problem, copy.deepcopy(rng))
            if share >= MOSTLY_CLUSTERED and labels is not None:
                # the graph-grown plans fail around mostly clustered bases (distances from the bases
                # funnel through the same units): the radial plan, or the refusal it explains
                return labels
            fallback = labels if valid else None
        runs = max(1, int(self.params.get("runs", 1)))
        if problem.n > 20_000:
            runs = 1
        import time

        start = time.perf_counter()
        for run in range(runs):
            if run > 0 and time.perf_counter() - start > self.params.get("run_seconds", 20.0):
                break   # a slow first run (clustered bases, tight locks): do not double the wait
            # with a base for every worker, the first run grows the sectors from the bases over the
            # graph (contiguous by construction, robust to clustered bases); the others seed by the LP
            self._graph_seeding = run == 0 and bool((problem.bases >= 0).all())
            try:
                if len(groups) > 1 and ((problem.bases >= 0).any() or (problem.anchors >= 0).any()):
                    labels = self._solve_groups_around_bases(problem, rng, groups)
                elif len(groups) > 1:
                    labels = self._solve_groups(problem, rng, groups)
                else:
                    labels = self._solve_one(problem, rng)
            except SectorError:
                if fallback is None:
                    raise
                return fallback
            loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
            violation = float(np.maximum(0, np.maximum(loads - problem.upper, problem.lower - loads)).sum())
            score = (int(not self._valid(problem, labels)), round(violation, 9), plan_cost(problem, labels))
            if best is None or score < best[0]:
                best = (score, labels)
        if fallback is not None and best[0][:2] != (0, 0.0):
            return fallback
        return best[1]

    def _solve_radial(self, problem: Problem, rng: np.random.Generator) -> tuple[np.ndarray | None, bool]:
        """Sectors around clustered bases (:mod:`geo.sectors.radial`), balanced and polished.

        Neighbourhoods of a few radii are tried (each changes which units the
        exit paths cross); for each, the labelling closest to balance is
        balanced, and the first valid one is polished and returned with
        ``True``. When none is valid, the contiguous one closest to balance is
        returned with ``False`` (None when no labelling could be built).
        """
        def gap(labels):
            return float(np.abs(np.bincount(labels, weights=problem.load, minlength=problem.k) / problem.targets
                                - 1).max())

        closest = None
        for near_km in NEAR_KM_TRIES:
            self._step("seeds")
            try:
                labels = min(radial_labels(problem, near_km=near_km), key=gap)
            except SectorError:
                continue
            self._step("balance")
            labels = self._balance(problem, labels, rng)
            if not self._valid(problem, labels):
                # border flips move the sectors' borders, opening new ways to balance
                labels = self._balance(problem, local_search(problem, labels, rng, max_rounds=3), rng)
            if not self._valid(problem, labels):
                if (pieces_per_sector(labels, problem.edges, problem.k) == 1).all() and (
                        closest is None or gap(labels) < gap(closest)):
                    closest = labels
                continue
            self._step("polish")
            polished = local_search(problem, labels, rng, max_rounds=self.params["polish_rounds"],
                                    max_seconds=self.params["polish_seconds"])
            polished = self._balance(problem, polished, rng)
            return (polished if self._valid(problem, polished) else labels), True
        return closest, False

    @staticmethod
    def _valid(problem: Problem, labels: np.ndarray) -> bool:
        """Every sector one piece within tolerance, and each group one block."""
        loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
        if not ((loads >= problem.lower - 1e-9) & (loads <= problem.upper + 1e-9)).all():
            return False
        if not (pieces_per_sector(labels, problem.edges, problem.k) == 1).all():
            return False
        ngroups = int(problem.groups.max()) + 1
        return ngroups == 1 or bool((pieces_per_sector(problem.groups[labels], problem.edges, ngroups) == 1).all())

    def _solve_one(self, problem: Problem, rng: np.random.Generator, depth: int = 0) -> np.ndarray:
        p = self.params
        restarts = p["restarts"] if depth == 0 else max(1, p["restarts"] // 2)
        self._step("seeds")
        locked = problem.locked >= 0
        if getattr(self, "_graph_seeding", False) and (problem.bases >= 0).all():
            labels = graph_voronoi(problem)
            centres = problem.bases.copy()
            self._step("contiguity")
        else:
            seeds = balanced_pmedian(problem, rng, restarts, p["iterations"])
            if depth == 0:
                self.info_.setdefault("pmedian_mean_km", seeds["mean_km"])
            labels = seeds["labels"].copy()
            labels[locked] = problem.locked[locked]
            centres = seeds["centres"]
            self._step("contiguity")
            labels = fill_unassigned(problem, labels, centres)
        labels = repair_contiguity(problem, labels, centres)
        labels = local_search(problem, labels, rng, max_rounds=3)
        self._step("balance")
        labels = self._balance(problem, labels, rng)
        self._step("polish")
        labels = local_search(problem, labels, rng, max_rounds=p["polish_rounds"],
                              max_seconds=p["polish_seconds"])
        labels = self._balance(problem, labels, rng)
        if depth == 0:
            self._step("recut")
            labels = self._recut(problem, labels, rng)
        if not (pieces_per_sector(labels, problem.edges, problem.k) == 1).all():
            raise SectorError("internal error: a sector is not contiguous")  # pragma: no cover
        return labels

    def _recut(self, problem: Problem, labels: np.ndarray, rng: np.random.Generator,
               tries: int = 12) -> np.ndarray:
        """Re-cut the worst out-of-tolerance sector with its neighbours until all are within tolerance.

        Heavy units (a city close to a sector's target) can leave a few
        sectors that no short chain of moves balances; solving that small
        cluster again from other starts usually finds a balanced layout.
        """
        import time

        from geo.sectors.tools import _sector_graph

        start = time.perf_counter()
        for attempt in range(tries):
            if time.perf_counter() - start > self.params.get("recut_seconds", 15.0):
                break
            loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
            viol = np.maximum(loads - problem.upper, problem.lower - loads) / problem.targets
            if viol.max() <= 1e-9:
                break
            s = int(np.argmax(viol))
            adj = _sector_graph(labels, problem.edges, problem.k)
            cluster = {s} | adj[s]
            if attempt >= tries // 2:
                cluster |= {t for c in list(cluster) for t in adj[c]}
            cluster = np.array(sorted(cluster))
            members = np.flatnonzero(np.isin(labels, cluster))
            ratio = problem.load[members].sum() / problem.targets[cluster].sum()
            tol = problem.tolerance - abs(ratio - 1)
            if tol <= 0 or len(cluster) < 2:
                continue
            try:
                sub, members = problem.subproblem(members, cluster, problem.targets[cluster], tol)
                sublabels = self._solve_one(sub, rng, depth=1)
            except SectorError:
                continue
            trial = labels.copy()
            trial[members] = cluster[sublabels]
            new = np.bincount(trial, weights=problem.load, minlength=problem.k)
            new_viol = np.maximum(new - problem.upper, problem.lower - new) / problem.targets
            if np.maximum(new_viol, 0).sum() < np.maximum(viol, 0).sum() - 1e-12:
                labels = trial
        return labels

    @staticmethod
    def _balance(problem: Problem, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
        if ((loads >= problem.lower - 1e-9) & (loads <= problem.upper + 1e-9)).all():
            return labels
        labels, _ = balance(problem, labels, medoids(problem, labels))
        loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
        if ((loads >= problem.lower - 1e-9) & (loads <= problem.upper + 1e-9)).all():
            return labels
        labels, _ = exact_balance(problem, labels, medoids(problem, labels))
        return labels

    @staticmethod
    def _group_problem(problem: Problem, groups: np.ndarray) -> tuple[Problem, np.ndarray]:
        """The problem of cutting the territory into one region per group, and each sector's group."""
        gindex = np.searchsorted(groups, problem.groups)
        g_of = lambda arr: np.where(arr >= 0, gindex[np.maximum(arr, 0)], -1)  # noqa: E731
        gtargets = np.array([problem.targets[gindex == g].sum() for g in range(len(groups))])
        gproblem = Problem(
            xy=problem.xy, load=problem.load, edges=problem.edges, targets=gtargets,
            tolerance=problem.tolerance / 4, locked=g_of(problem.locked), departement=problem.departement,
            previous=g_of(problem.previous), department_penalty=problem.department_penalty,
            keep_weight=problem.keep_weight, unit_names=problem.unit_names,
            names=tuple(f"group {g}" for g in groups.tolist()))
        return gproblem, gindex

    def _solve_groups_around_bases(self, problem: Problem, rng: np.random.Generator,
                                   groups: np.ndarray) -> np.ndarray:
        """Sectors cut around their bases; group regions repaired only when a group is in pieces."""
        labels = self._solve_one(problem, rng)
        gproblem, gindex = self._group_problem(problem, groups)
        glabels = gindex[labels]
        if (pieces_per_sector(glabels, problem.edges, len(groups)) == 1).all():
            return labels
        self._step("groups")
        glabels = repair_contiguity(gproblem, glabels, medoids(gproblem, glabels))
        glabels = self._balance(gproblem, glabels, rng)
        return self._solve_groups(problem, rng, groups, glabels)

    def _solve_groups(self, problem: Problem, rng: np.random.Generator, groups: np.ndarray,
                      glabels: np.ndarray | None = None) -> np.ndarray:
        k = problem.k
        gproblem, gindex = self._group_problem(problem, groups)
        gtargets = gproblem.targets
        if glabels is None:
            glabels = self._solve_one(gproblem, rng)
        labels = np.full(problem.n, -1, dtype=np.int64)
        for g in range(len(groups)):
            members = np.flatnonzero(glabels == g)
            sectors = np.flatnonzero(gindex == g)
            dev = abs(problem.load[members].sum() / gtargets[g] - 1)
            inner = max((1 + problem.tolerance) / (1 + dev) - 1, 0.0)
            sub, members = problem.subproblem(members, sectors, problem.targets[sectors], inner)
            labels[members] = sectors[self._solve_one(sub, rng)]
        assert (labels >= 0).all() and len(np.unique(labels)) == k
        return labels
