"""Geo-level entry points: propose a plan, rebalance after hand edits, compare two assignments.

These take INSEE codes and worker names, build the numeric
:class:`~geo.sectors.problem.Problem`, run a method and return a
:class:`~geo.sectors.plan.Plan`.
"""
from __future__ import annotations

import time
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from geo.sectors.context import SectorContext, build_context
from geo.sectors.plan import Plan
from geo.sectors.problem import (DEFAULT_DEPARTMENT_PENALTY, DEFAULT_KEEP_WEIGHT, DEFAULT_TOLERANCE, Problem,
                                 SectorError)
from geo.sectors.team import LYON_SITE, Team


def _team(team) -> Team:
    if isinstance(team, Team):
        return team
    if isinstance(team, (int, np.integer)):
        return Team.of_size(int(team))
    if isinstance(team, pd.DataFrame):
        from geo.sectors.team import team_from_frame
        return team_from_frame(team)
    raise SectorError(f"team must be a Team, a workers table or a number of sectors, got {type(team).__name__}")


def _expand_lyon(context: SectorContext, code: str) -> list[str]:
    """A lock code as unit codes: 69123 (Lyon) stands for its arrondissements (see geo.sectors.team)."""
    from geo.sectors.team import LYON

    code = str(code).strip()
    if code == LYON and code not in context.position:
        arrondissements = [c for c in context.codes.tolist() if c.startswith("6938") and len(c) == 5]
        if arrondissements:
            return arrondissements
    return [code]


def _assignment_names(context: SectorContext, previous) -> np.ndarray | None:
    """Sector name per unit position from a Plan, a ``code_insee, sector`` table or a mapping."""
    if previous is None:
        return None
    if isinstance(previous, Plan):
        return np.array(previous.names, dtype=object)[previous.assignment]
    if isinstance(previous, Mapping):
        previous = pd.DataFrame({"code_insee": list(previous), "sector": list(previous.values())})
    frame = previous
    missing = [c for c in ("code_insee", "sector") if c not in frame.columns]
    if missing:
        raise SectorError(f"the previous plan needs columns code_insee and sector; missing {missing}")
    out = np.full(context.n, None, dtype=object)
    out[context.positions(frame["code_insee"].astype(str))] = frame["sector"].astype(str).to_numpy()
    return out


def _locks(context: SectorContext, names: tuple[str, ...], locked) -> np.ndarray:
    out = np.full(context.n, -1, dtype=np.int64)
    if not locked:
        return out
    index = {n: s for s, n in enumerate(names)}
    items = locked.items() if isinstance(locked, Mapping) else locked
    for code, sector in items:
        if str(sector) not in index:
            raise SectorError("sectors.lock_unknown_sector", unit=str(code), sector=str(sector), sectors=list(names))
        for unit in _expand_lyon(context, code):
            out[context.positions([unit])[0]] = index[str(sector)]
    return out


def base_positions(context: SectorContext, team: Team) -> np.ndarray:
    """(k,) unit position of each worker's base commune, -1 when none."""
    bases = np.full(len(team), -1, dtype=np.int64)
    if team.bases is not None:
        for s, code in enumerate(team.bases):
            if code:
                units = _expand_lyon(context, code)
                bases[s] = context.positions([LYON_SITE if len(units) > 1 else units[0]])[0]
    return bases


def _check_base_mode(base_mode: str) -> str:
    from geo.sectors.team import BASE_MODES

    if base_mode not in BASE_MODES:
        raise SectorError("sectors.bad_base_mode", given=str(base_mode), modes=list(BASE_MODES))
    return base_mode


def build_problem(context: SectorContext, team: Team, *, tolerance: float = DEFAULT_TOLERANCE,
                  locked=None, previous=None, department_penalty: float = DEFAULT_DEPARTMENT_PENALTY,
                  keep_weight: float = DEFAULT_KEEP_WEIGHT, base_mode: str = "centre") -> Problem:
    """The numeric problem for a team on a context (codes and names resolved to positions).

    ``base_mode="centre"`` makes each base its sector's fixed centre;
    ``"inside"`` only requires the base to lie inside the sector (an anchor).
    """
    names = team.names
    bases = base_positions(context, team)
    anchors = np.full(len(team), -1, dtype=np.int64)
    if _check_base_mode(base_mode) == "inside":
        bases, anchors = anchors, bases
    groups = None
    if team.groups is not None:
        _, groups = np.unique(np.asarray(team.groups, dtype=str), return_inverse=True)
    prev_names = _assignment_names(context, previous)
    prev = np.full(context.n, -1, dtype=np.int64)
    if prev_names is not None:
        index = {n: s for s, n in enumerate(names)}
        prev = np.array([index.get(x, -1) if x is not None else -1 for x in prev_names], dtype=np.int64)
    return Problem(
        xy=context.xy, load=context.load, edges=context.edges, targets=np.asarray(team.fte, dtype=float),
        tolerance=tolerance, locked=_locks(context, names, locked), bases=bases, anchors=anchors,
        departement=context.departement_index, groups=groups, previous=prev,
        department_penalty=department_penalty, keep_weight=keep_weight if prev_names is not None else 0.0,
        names=names, unit_names=tuple(f"{c} ({n})" for c, n in zip(context.codes, context.names)))


def propose(counts, team, *, context: SectorContext | None = None, tolerance: float = DEFAULT_TOLERANCE,
            seed: int | None = 0, locked=None, previous=None, weights=None,
            department_penalty: float = DEFAULT_DEPARTMENT_PENALTY, keep_weight: float = DEFAULT_KEEP_WEIGHT,
            method=None, progress=None, base_mode: str = "centre", attempts: int = 3,
            time_budget: float = 20.0) -> Plan:
    """Propose a plan: one contiguous sector per worker, balanced to ``tolerance``.

    Parameters
    ----------
    counts
        Patient counts: DataFrame ``code_insee, patients`` (or a Series/mapping by code).
    team
        A :class:`Team`, a workers table, or a number of sectors (named S01..).
    context
        Territory arrays (default: the committed territory with ``counts``).
    tolerance
        Allowed relative deviation of each sector's load from its target.
    seed
        Random seed; the plan is deterministic for a seed.
    locked
        Mapping INSEE code -> sector name of units that must stay in that sector
        (69123 locks the 9 arrondissements of Lyon).
    previous
        The current plan (Plan, ``code_insee, sector`` table or mapping): keep as
        many patients as the new balance allows with their current sector.
    weights
        Optional per-unit multiplier of the patients (the workload).
    department_penalty
        Cost (patient x km) of each extra (sector, department) pair.
    keep_weight
        Cost (km per patient) of moving a patient away from ``previous``.
    method
        A :class:`~geo.sectors.base.SectorMethod` instance (default ContiguousPMedian).
    progress
        Optional ``callable(stage)`` called as the method enters each stage
        (``"seeds"``, ``"contiguity"``, ``"balance"``, ``"polish"``, ``"recut"``;
        once per group when the team has groups), for a progress display.
    base_mode
        ``"centre"``: each worker's base commune is their sector's fixed centre
        (distances are measured from it); ``"inside"``: the base only has to lie
        inside the sector, whose centre is free.
    attempts
        Seeds tried (``seed``, ``seed + 1``, ...) when a run leaves a sector out
        of tolerance, before refusing.
    time_budget
        No further seed is tried after this many seconds.

    Returns
    -------
    Plan
        Every sector contiguous and within tolerance, each group's sectors one
        block (the default method never returns anything else).

    Raises
    ------
    SectorError
        Unknown codes, zero workload, more sectors than units with patients,
        locks or bases that make balance impossible: the code and its
        parameters name the worker, the constraint and what would make it
        feasible (``sectors.unbalanced``, ``sectors.group_not_contiguous``, ...).
    """
    from geo.sectors.contiguous import ContiguousPMedian

    start = time.perf_counter()
    team = _team(team)
    if context is None:
        context = build_context(counts, weights=weights)
    elif counts is not None:
        context = context.with_counts(counts, weights)
    problem = build_problem(context, team, tolerance=tolerance, locked=locked, previous=previous,
                            department_penalty=department_penalty, keep_weight=keep_weight, base_mode=base_mode)
    default = method is None
    incremental = _incremental_plan(context, team, problem, tolerance, time_budget) if default else None
    best = None
    for attempt in range(max(1, attempts) if default else 1):
        if attempt > 0 and time.perf_counter() - start > time_budget:
            break
        run_seed = seed if seed is None or attempt == 0 else int(seed) + attempt
        run = ContiguousPMedian(seed=run_seed) if default else method
        if progress is not None:
            run.progress = progress
        run.solve(problem)
        plan = Plan(context, run.labels_, team.names, problem.targets, problem.bases, tolerance,
                    groups=team.groups, anchors=problem.anchors)
        faults = plan_faults(plan) if run.contiguous else []
        score = (len(faults), plan.max_deviation)
        if best is None or score < best[0]:
            best = (score, plan, run, faults)
        if not faults:
            break
    _, plan, run, faults = best
    name = run.name
    if incremental is not None:
        from geo.sectors.resector import moved_load

        if faults or moved_load(problem, incremental.assignment) <= moved_load(problem, plan.assignment):
            plan, faults, name = incremental, [], "resector"
    if faults:
        raise refusal(plan, problem, faults)
    info = {"method": name, "seed": -1 if seed is None else int(seed),
            "seconds": round(time.perf_counter() - start, 3), "base_mode": base_mode}
    if incremental is not None or (problem.previous >= 0).any():
        from geo.sectors.resector import touch_bound

        bound = touch_bound(problem, plan.assignment)
        if bound is not None:
            # least share changing referent for the sectors the new one touches (min-cost flow)
            info["referent_change_bound"] = round(bound, 4)
    if "pmedian_mean_km" in run.info_:
        info["pmedian_mean_km"] = round(float(run.info_["pmedian_mean_km"]), 3)
    return Plan(context, plan.assignment, team.names, problem.targets, problem.bases, tolerance, info=info,
                groups=team.groups, anchors=problem.anchors)


def _incremental_plan(context: SectorContext, team: Team, problem: Problem, tolerance: float,
                      time_budget: float) -> Plan | None:
    """The plan changed incrementally from ``problem.previous`` (:mod:`geo.sectors.resector`), if valid."""
    from geo.sectors.resector import is_incremental, resector

    if not is_incremental(problem):
        return None
    try:
        labels = resector(problem, time_budget=time_budget)
    except SectorError:   # the fresh proposal still runs and explains any refusal
        return None
    if labels is None:
        return None
    plan = Plan(context, labels, team.names, problem.targets, problem.bases, tolerance, groups=team.groups,
                anchors=problem.anchors)
    return None if plan_faults(plan) else plan


def plan_faults(plan: Plan) -> list[str]:
    """The hard constraints a plan breaks: ``contiguous``, ``groups_contiguous``, ``anchors``, ``balance``."""
    faults = []
    if not plan.is_contiguous or (np.asarray(plan["units"]) == 0).any():
        faults.append("contiguous")
    if plan.groups is not None and not plan.groups_contiguous:
        faults.append("groups_contiguous")
    if not plan.anchors_inside:
        faults.append("anchors")
    if plan.max_deviation > plan.tolerance + 1e-9:
        faults.append("balance")
    return faults


def refusal(plan: Plan, problem: Problem, faults: list[str]) -> SectorError:
    """The error explaining why no acceptable plan was found: which worker, which constraint, what to change."""
    if "contiguous" in faults or "anchors" in faults:
        broken = [plan.names[s] for s in np.flatnonzero(~np.asarray(plan["contiguous"], dtype=bool))]
        return SectorError("sectors.no_contiguous_plan", workers=broken or list(plan.names))
    if "groups_contiguous" in faults:
        pieces = plan.group_labels()
        from geo.sectors._graph import pieces_per_sector

        count = pieces_per_sector(pieces, plan.context.edges, len(plan.group_names))
        return SectorError("sectors.group_not_contiguous",
                           groups=[g for g, c in zip(plan.group_names, count) if c != 1])
    dev = np.asarray(plan.deviation)
    s = int(np.argmax(np.abs(dev)))
    locked_load = float(problem.load[(problem.locked == s)].sum())
    base = int(problem.bases[s]) if problem.bases[s] >= 0 else int(problem.anchors[s])
    own = [b for b in (int(problem.bases[s]), int(problem.anchors[s])) if b >= 0]
    if locked_load - float(problem.load[own].sum()) > 0.5 * problem.targets[s]:
        cause = "locks"
    elif base >= 0:
        cause = "base"
    elif plan.groups is not None:
        cause = "groups"
    else:
        cause = "heavy_units"
    return SectorError("sectors.unbalanced", worker=plan.names[s], deviation=round(float(dev[s]), 4),
                       tolerance=plan.tolerance, load=round(float(plan["load"][s]), 1),
                       target=round(float(plan.targets[s]), 1), cause=cause,
                       base=plan.context.names[base] if base >= 0 else "",
                       base_mode="centre" if problem.bases[s] >= 0 else "inside")


def _seed_empty_sectors(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Give each sector left without units (hand edits emptied it) one unit to grow from.

    The seed is the movable unit farthest from the base of the most overloaded
    sector: that sector has load to hand over, and its edge is where a new piece
    can be cut off it; balancing then grows the seed.
    """
    from geo.sectors.pmedian import medoids

    labels = labels.copy()
    for s in np.flatnonzero(np.bincount(labels, minlength=problem.k) == 0):
        loads = np.bincount(labels, weights=problem.load, minlength=problem.k)
        donor = int(np.argmax(loads / problem.targets))
        movable = np.flatnonzero((labels == donor) & (problem.locked < 0))
        if len(movable) == 0:
            raise SectorError("sectors.empty_sector_locked", worker=problem._sector(s))
        base = medoids(problem, labels)[donor]
        far = np.hypot(*(problem.xy[movable] - problem.xy[base]).T)
        labels[movable[np.argmax(far)]] = s
    return labels


def rebalance(plan: Plan, locked: Iterable[str] | Mapping[str, str] = ()) -> tuple[Plan, pd.DataFrame]:
    """Restore contiguity and balance after hand edits, moving as few units as possible.

    Bases (fixed centres and anchors) stay in their sectors. With groups, the
    group regions are first made contiguous and balanced (only if they need
    it), then the sectors inside each group.

    Parameters
    ----------
    plan
        The edited plan.
    locked
        Codes of units that must not move (kept in their current sector), or a
        mapping code -> sector they must be in.

    Returns
    -------
    (Plan, DataFrame)
        The repaired plan and the moves: ``code_insee, nom, from, to, patients``.

    Raises
    ------
    SectorError
        When no contiguous plan within tolerance is reached (see :func:`refusal`).
    """
    ctx = plan.context
    if not isinstance(locked, Mapping):
        locked = {str(code): plan.sector_of(str(code)) for code in locked}
    groups = None
    if plan.groups is not None:
        _, groups = np.unique(np.asarray(plan.groups, dtype=str), return_inverse=True)
    problem = Problem(xy=ctx.xy, load=ctx.load, edges=ctx.edges, targets=plan.targets, tolerance=plan.tolerance,
                      locked=_locks(ctx, plan.names, locked), bases=plan.fixed_bases, anchors=plan.anchors,
                      departement=ctx.departement_index, groups=groups, keep_weight=0.0, names=plan.names,
                      unit_names=tuple(f"{c} ({n})" for c, n in zip(ctx.codes, ctx.names)))
    labels = plan.assignment.copy()
    conflict = np.flatnonzero((problem.locked >= 0) & (problem.locked != labels))
    labels[conflict] = problem.locked[conflict]
    labels = _repair_team(problem, labels)
    new = plan.with_assignment(labels)
    faults = plan_faults(new)
    if faults:
        raise refusal(new, problem, faults)
    moved = np.flatnonzero(labels != plan.assignment)
    names = np.array(plan.names, dtype=object)
    moves = pd.DataFrame({"code_insee": ctx.codes[moved], "nom": ctx.names[moved],
                          "from": names[plan.assignment[moved]], "to": names[labels[moved]],
                          "patients": ctx.patients[moved].astype(int)})
    return new, moves


def _repair_team(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """:func:`_repair` for a team: with groups, first the group regions, then the sectors of each group.

    Units with label -1 (no sector yet) are given one; a unit whose group
    changes is regrown inside its new group.
    """
    from geo.sectors.contiguous import ContiguousPMedian

    if len(np.unique(problem.groups)) <= 1:
        return _repair(problem, labels)
    labels = labels.copy()
    gvalues = np.unique(problem.groups)
    gproblem, gindex = ContiguousPMedian._group_problem(problem, gvalues)
    glabels = np.where(labels >= 0, gindex[np.maximum(labels, 0)], -1)
    new_glabels = _repair(gproblem, glabels, slack=2.0)
    labels = np.where(new_glabels == glabels, labels, -1)
    for g in range(len(gvalues)):
        members = np.flatnonzero(new_glabels == g)
        sectors = np.flatnonzero(gindex == g)
        dev = abs(problem.load[members].sum() / gproblem.targets[g] - 1)
        inner = max((1 + problem.tolerance) / (1 + dev) - 1, 0.0)
        sub, members = problem.subproblem(members, sectors, problem.targets[sectors], inner)
        index = np.full(problem.k, -1, dtype=np.int64)
        index[sectors] = np.arange(len(sectors))
        sub_labels = np.where(labels[members] >= 0, index[np.maximum(labels[members], 0)], -1)
        labels[members] = sectors[_repair(sub, sub_labels)]
    return labels


def _repair(problem: Problem, labels: np.ndarray, slack: float = 1.0) -> np.ndarray:
    """Contiguity, then balance, with as few moves as possible (units with label -1 are regrown first).

    Nothing moves when the labelling is already contiguous with every load
    within ``slack`` times the problem's tolerance.
    """
    from geo.sectors._graph import pieces_per_sector
    from geo.sectors.pmedian import medoids
    from geo.sectors.tools import balance, exact_balance, fill_unassigned, repair_contiguity

    def balanced(lab, factor=1.0):
        loads = np.bincount(lab, weights=problem.load, minlength=problem.k)
        band = problem.tolerance * factor
        return bool((np.abs(loads / problem.targets - 1) <= band + 1e-9).all())

    labels = labels.copy()
    if (labels < 0).any():
        labels = fill_unassigned(problem, labels, medoids(problem, labels))
    if (pieces_per_sector(labels, problem.edges, problem.k) == 1).all() and balanced(labels, slack):
        return labels
    labels = _seed_empty_sectors(problem, labels)
    labels = repair_contiguity(problem, labels, medoids(problem, labels))
    if not balanced(labels):
        labels, _ = exact_balance(problem, labels, medoids(problem, labels), cost_weight=1e-4)
    if not balanced(labels):
        labels, _ = balance(problem, labels, medoids(problem, labels))
        labels, _ = exact_balance(problem, labels, medoids(problem, labels), cost_weight=1e-4)
    return labels


def changes(before, after: Plan) -> dict:
    """What changes from ``before`` (plan, table or mapping) to ``after``: units and patients changing sector."""
    old = _assignment_names(after.context, before)
    new = np.array(after.names, dtype=object)[after.assignment]
    moved = np.flatnonzero(old != new)
    patients = after.context.patients
    return {
        "units_changed": int(len(moved)),
        "patients_changed": int(round(patients[moved].sum())),
        "patients_kept": int(round(patients.sum() - patients[moved].sum())),
        "patients": int(round(patients.sum())),
        "moved_codes": after.context.codes[moved].tolist(),
    }
