"""Constraints on plans as named predicates (GerryChain style).

A constraint is a function ``plan -> bool`` with a ``__name__``; factories
return one for given parameters. :func:`failing` names the constraints a
plan breaks.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import numpy as np


def contiguous(plan) -> bool:
    """Every sector is one connected piece."""
    return plan.is_contiguous


def within_tolerance(tolerance: float | None = None) -> Callable:
    """Every sector's load within ``tolerance`` (default: the plan's) of its target."""
    def within_tolerance(plan) -> bool:
        tol = plan.tolerance if tolerance is None else tolerance
        return plan.max_deviation <= tol + 1e-9
    return within_tolerance


def respects_locks(locked: Mapping[str, str]) -> Callable:
    """Each locked unit (code -> sector name) is in its sector."""
    locked = dict(locked)

    def respects_locks(plan) -> bool:
        return all(plan.sector_of(code) == str(sector) for code, sector in locked.items())
    return respects_locks


def no_empty_sector(plan) -> bool:
    """Every sector has at least one unit."""
    return bool(np.all(plan["units"] > 0))


def failing(plan, constraints: Iterable[Callable]) -> list[str]:
    """Names of the constraints the plan breaks."""
    return [c.__name__ for c in constraints if not c(plan)]


#: The constraints every proposed plan satisfies.
def standard(tolerance: float | None = None) -> list[Callable]:
    return [contiguous, within_tolerance(tolerance), no_empty_sector]
