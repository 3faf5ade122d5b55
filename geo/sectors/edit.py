"""Hand edits of a plan: moves that respect locks, an undo/redo history, restoring a saved plan.

Pure helpers for the Secteurs page (no streamlit): the page keeps a
:class:`History` in its session and calls :func:`move_units` on each move.

Examples
--------
>>> history = History()
>>> history.push("plan A", "proposé")
>>> history.push("plan B", "1 commune déplacée")
>>> history.undo(), history.can_redo
('plan A', True)
>>> history.redo()
'plan B'
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from geo.sectors.problem import DEFAULT_TOLERANCE

#: Default number of states a history keeps (the oldest are dropped first).
HISTORY_LIMIT = 50


class History:
    """A linear undo/redo history of states (plans) with a label per step.

    Parameters
    ----------
    limit
        Most states kept; pushing beyond drops the oldest.
    """

    def __init__(self, limit: int = HISTORY_LIMIT):
        if int(limit) < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = int(limit)
        self._states: list[tuple[Any, str]] = []
        self._cursor = -1

    def __len__(self) -> int:
        return len(self._states)

    @property
    def current(self) -> Any:
        """The current state, or ``None`` when empty."""
        return self._states[self._cursor][0] if self._states else None

    @property
    def previous(self) -> Any:
        """The state an undo would go back to, or ``None``."""
        return self._states[self._cursor - 1][0] if self.can_undo else None

    @property
    def label(self) -> str:
        return self._states[self._cursor][1] if self._states else ""

    @property
    def can_undo(self) -> bool:
        return self._cursor > 0

    @property
    def can_redo(self) -> bool:
        return 0 <= self._cursor < len(self._states) - 1

    @property
    def undo_label(self) -> str:
        """Label of the step an undo cancels ('' when none)."""
        return self._states[self._cursor][1] if self.can_undo else ""

    @property
    def redo_label(self) -> str:
        return self._states[self._cursor + 1][1] if self.can_redo else ""

    def push(self, state: Any, label: str = "") -> None:
        """Make ``state`` current; the steps that could be redone are dropped."""
        del self._states[self._cursor + 1:]
        self._states.append((state, str(label)))
        if len(self._states) > self.limit:
            del self._states[:len(self._states) - self.limit]
        self._cursor = len(self._states) - 1

    def reset(self, state: Any, label: str = "") -> None:
        """Forget every step; ``state`` is the only one."""
        self._states = [(state, str(label))]
        self._cursor = 0

    def undo(self) -> Any:
        """Step back and return the new current state (unchanged when nothing to undo)."""
        if self.can_undo:
            self._cursor -= 1
        return self.current

    def redo(self) -> Any:
        """Step forward and return the new current state (unchanged when nothing to redo)."""
        if self.can_redo:
            self._cursor += 1
        return self.current

    def labels(self) -> list[str]:
        """Labels of every kept step, oldest first."""
        return [label for _, label in self._states]


def move_units(plan, codes: Iterable[str], sector: str, locked: Mapping[str, str] | Iterable[str] = ()):
    """Move units to ``sector``, leaving locked ones where they are.

    Parameters
    ----------
    plan
        The current :class:`~geo.sectors.plan.Plan`.
    codes
        INSEE codes of the units to move.
    sector
        Name of the sector they go to.
    locked
        Codes that must not move (a mapping code -> sector, or a list of codes).

    Returns
    -------
    (Plan, list[str], list[str])
        The child plan (``plan.flip``, metrics updated incrementally), the codes
        that changed sector and the locked codes that were left out.

    Raises
    ------
    SectorError
        Unknown sector or unit code.
    """
    plan.sector_index(sector)
    locked = set(locked)
    codes = list(dict.fromkeys(str(c) for c in codes))
    skipped = [c for c in codes if c in locked]
    free = [c for c in codes if c not in locked]
    if free:
        plan.context.positions(free)  # unknown codes raise here, naming them
    moving = [c for c in free if plan.sector_of(c) != str(sector)]
    child = plan.flip({c: str(sector) for c in moving}) if moving else plan
    return child, moving, skipped


def forget_ancestors(plan) -> None:
    """Drop the link from ``plan``'s parent to its own parent.

    A child plan only needs its parent (whose metrics it updates incrementally);
    without this, a long editing session keeps every plan of the chain alive.
    Metrics stay correct: a plan whose parent is gone computes them in full.
    """
    parent = plan.parent
    if parent is not None:
        parent.parent = None


def locks_in(plan, locked: Mapping[str, str]) -> dict[str, str]:
    """The locks that still make sense for ``plan``: codes of its units, sectors it has."""
    names = set(plan.names)
    known = plan.context.position
    return {str(c): str(s) for c, s in locked.items() if str(s) in names and str(c) in known}


def remeasure(plan, context):
    """The same assignment, sectors, targets and bases measured on another context (new patient counts)."""
    from geo.sectors.plan import Plan

    if context.n != plan.context.n or not np.array_equal(context.codes, plan.context.codes):
        raise ValueError("the new context must have the same units, in the same order")
    return Plan(context, plan.assignment, plan.names, plan.targets, plan.fixed_bases, plan.tolerance,
                info=plan.info, groups=plan.groups, anchors=plan.anchors)


def restore_plan(context, frame: pd.DataFrame, team=None, tolerance: float = DEFAULT_TOLERANCE,
                 base_mode: str = "centre"):
    """A plan from a saved ``code_insee, sector`` table, measured on ``context``.

    When the saved sectors are exactly the team's names, the team's FTE targets,
    groups and base communes (used as ``base_mode`` says) apply; otherwise the
    sectors get equal targets.

    Raises
    ------
    SectorError
        The table does not cover every unit exactly once.
    """
    from geo.sectors.plan import plan_from_frame

    saved = sorted(set(frame["sector"].astype(str)))
    if team is not None and set(team.names) == set(saved):
        return team_plan_from_frame(context, frame, team, tolerance, base_mode)
    return plan_from_frame(context, frame, saved, None, None, tolerance)


def team_plan_from_frame(context, frame: pd.DataFrame, team, tolerance: float = DEFAULT_TOLERANCE,
                         base_mode: str = "centre"):
    """A plan from a ``code_insee, sector`` table with the team's targets, groups and bases."""
    import numpy as np

    from geo.sectors.plan import plan_from_frame
    from geo.sectors.propose import _check_base_mode, base_positions

    bases = base_positions(context, team)
    none = np.full(len(team), -1, dtype=np.int64)
    centre = _check_base_mode(base_mode) == "centre"
    return plan_from_frame(context, frame, team.names, team.fte, bases if centre else none, tolerance,
                           groups=team.groups, anchors=none if centre else bases)


def sector_table(plan) -> pd.DataFrame:
    """One row per sector: sector, load, target, deviation, patients, units, mean_km, max_km, contiguous."""
    dist, patients = plan["distances"], plan["patients"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(patients > 0, dist[:, 0] / np.maximum(patients, 1e-12), 0.0)
    return pd.DataFrame({
        "sector": list(plan.names),
        "load": np.asarray(plan["load"], dtype=float),
        "target": np.asarray(plan.targets, dtype=float),
        "deviation": np.asarray(plan.deviation, dtype=float),
        "patients": np.rint(patients).astype(int),
        "units": np.asarray(plan["units"]).astype(int),
        "mean_km": mean,
        "max_km": dist[:, 1],
        "contiguous": np.asarray(plan["contiguous"], dtype=bool),
    })


def broken_sectors(plan) -> list[str]:
    """Names of the sectors in several pieces (empty sectors are in :func:`empty_sectors`)."""
    broken = ~np.asarray(plan["contiguous"], dtype=bool) & (np.asarray(plan["units"]) > 0)
    return [plan.names[s] for s in np.flatnonzero(broken)]


def empty_sectors(plan) -> list[str]:
    """Names of the sectors left without any unit."""
    return [plan.names[s] for s in np.flatnonzero(np.asarray(plan["units"]) == 0)]


def is_valid(plan) -> bool:
    """Every sector non-empty, in one piece and within the plan's tolerance."""
    return (not empty_sectors(plan) and not broken_sectors(plan)
            and plan.max_deviation <= plan.tolerance + 1e-9)

