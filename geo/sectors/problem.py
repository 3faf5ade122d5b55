"""The numeric sector problem: arrays in, checked once.

A :class:`Problem` holds everything a method needs, on unit positions
(rows of :func:`geo.territory.load_units`): reference points in metres, the
workload, the contiguity edges, one target per sector, locks, fixed bases,
departments, groups and an optional previous assignment.
"""
from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from geo.errors import SecteursError
from geo.sectors._graph import adjacency_lists

#: Default balance tolerance: each sector's load within ±2 % of its target.
DEFAULT_TOLERANCE = 0.02
#: Default cost (patient-km) of one more (sector, department) pair.
DEFAULT_DEPARTMENT_PENALTY = 5.0
#: Default cost (km per patient) of moving a patient away from the previous referent.
DEFAULT_KEEP_WEIGHT = 1000.0
#: Pseudo-load given to every unit in the distance objective, so that zero-patient
#: units also sit close to their sector's base (compact sectors).
COMPACTNESS_WEIGHT = 1e-3


class SectorError(SecteursError):
    """An infeasible or invalid sector request; the message carries the numbers."""


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A sector problem on arrays.

    Parameters
    ----------
    xy
        (n, 2) reference points in metres (Lambert-93).
    load
        (n,) workload per unit (patients, optionally weighted), >= 0.
    edges
        (m, 2) neighbour pairs of positions; the graph must be connected.
    targets
        (k,) target load per sector; rescaled to sum to the total load.
    tolerance
        Allowed relative deviation of each sector's load from its target.
    locked
        (n,) sector index a unit is locked to, -1 when free.
    bases
        (k,) position of each sector's fixed base, -1 for the load-weighted medoid.
    departement
        (n,) integer department code of each unit (or None).
    groups
        (k,) group index of each sector (or None: one group).
    previous
        (n,) sector index of each unit in a previous plan, -1 when none.
    anchors
        (k,) position of a unit that must lie inside each sector without being
        its centre (base mode "inside"), -1 when none.
    department_penalty
        Cost (load x km) of each (sector, department) pair beyond the first.
    keep_weight
        Cost (km per unit of load) of moving a unit away from ``previous``.
    """

    xy: np.ndarray
    load: np.ndarray
    edges: np.ndarray
    targets: np.ndarray
    tolerance: float = DEFAULT_TOLERANCE
    locked: np.ndarray | None = None
    bases: np.ndarray | None = None
    departement: np.ndarray | None = None
    groups: np.ndarray | None = None
    previous: np.ndarray | None = None
    department_penalty: float = DEFAULT_DEPARTMENT_PENALTY
    keep_weight: float = DEFAULT_KEEP_WEIGHT
    names: tuple[str, ...] | None = None
    anchors: np.ndarray | None = None

    def __post_init__(self):
        xy = np.asarray(self.xy, dtype=float)
        n = len(xy)
        load = np.asarray(self.load, dtype=float)
        targets = np.asarray(self.targets, dtype=float).ravel()
        k = len(targets)
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise SectorError(f"xy must have shape (n, 2), got {xy.shape}")
        no_point = np.flatnonzero(~np.isfinite(xy).all(axis=1))
        if len(no_point):
            # a territory built without a polygon or town hall for some communes
            names = ", ".join(self._name_of(i) for i in no_point[:10])
            raise SectorError(f"{len(no_point)} units have no reference point (no town hall, no polygon): {names}")
        if load.shape != (n,):
            raise SectorError(f"load must have one value per unit ({n}), got shape {load.shape}")
        if np.any(~np.isfinite(load)) or np.any(load < 0):
            bad = int(np.sum(~np.isfinite(load) | (load < 0)))
            raise SectorError(f"load must be finite and >= 0; {bad} units are not")
        if k < 1:
            raise SectorError("sectors.no_sector", asked=k)
        if np.any(targets <= 0) or np.any(~np.isfinite(targets)):
            raise SectorError(f"every target (FTE) must be > 0, got {targets.tolist()}")
        if not 0 <= self.tolerance < 1:
            raise SectorError("sectors.bad_tolerance", tolerance=self.tolerance)
        total = float(load.sum())
        if total <= 0:
            raise SectorError("sectors.zero_workload", units=n)
        with_load = int(np.count_nonzero(load > 0))
        if with_load < k:
            raise SectorError("sectors.too_few_units_with_patients", asked=k, units=with_load)
        if k > n:
            raise SectorError("sectors.too_many_sectors", asked=k, units=n)
        targets = targets * (total / targets.sum())
        locked = np.full(n, -1, dtype=np.int64) if self.locked is None else np.array(self.locked, dtype=np.int64)
        bases = np.full(k, -1, dtype=np.int64) if self.bases is None else np.asarray(self.bases, dtype=np.int64)
        anchors = (np.full(k, -1, dtype=np.int64) if self.anchors is None
                   else np.asarray(self.anchors, dtype=np.int64))
        previous = (np.full(n, -1, dtype=np.int64) if self.previous is None
                    else np.asarray(self.previous, dtype=np.int64))
        groups = np.zeros(k, dtype=np.int64) if self.groups is None else np.asarray(self.groups, dtype=np.int64)
        dep = np.zeros(n, dtype=np.int64) if self.departement is None else np.asarray(self.departement, dtype=np.int64)
        for name, arr, size in (("locked", locked, n), ("previous", previous, n), ("bases", bases, k),
                                ("anchors", anchors, k),
                                ("groups", groups, k), ("departement", dep, n)):
            if arr.shape != (size,):
                raise SectorError(f"{name} must have {size} values, got shape {arr.shape}")
        if locked.max(initial=-1) >= k or previous.max(initial=-1) >= k:
            raise SectorError(f"locked/previous sector indices must be < {k}")
        if max(bases.max(initial=-1), anchors.max(initial=-1)) >= n:
            raise SectorError(f"bases must be unit positions < {n}")
        # A base (fixed centre or anchor) belongs to its own sector.
        owner: dict[int, int] = {}
        for s, b in [*enumerate(bases.tolist()), *enumerate(anchors.tolist())]:
            if b < 0:
                continue
            if b in owner and owner[b] != s:
                raise SectorError("sectors.base_shared", unit=self._name_of(b),
                                  workers=[self._sector(owner[b]), self._sector(s)])
            owner[b] = s
            if locked[b] >= 0 and locked[b] != s:
                raise SectorError("sectors.base_locked_elsewhere", unit=self._name_of(b),
                                  worker=self._sector(s), sector=self._sector(int(locked[b])))
            locked[b] = s
        set_("xy", xy)
        set_("load", load)
        set_("edges", np.asarray(self.edges, dtype=np.int64).reshape(-1, 2))
        set_("targets", targets)
        set_("locked", locked)
        set_("bases", bases)
        set_("anchors", anchors)
        set_("previous", previous)
        set_("groups", groups)
        set_("departement", dep)
        self._check_locks()
        biggest = float(load.max())
        if biggest > self.upper.max() + 1e-9:
            i = int(np.argmax(load))
            raise SectorError("sectors.unit_too_heavy", unit=self._name_of(i), load=round(biggest, 2),
                              maximum=round(float(self.upper.max()), 1), target=round(float(targets.max()), 1),
                              tolerance=self.tolerance)

    # -- names for messages -------------------------------------------------
    unit_names: tuple[str, ...] | None = dataclasses.field(default=None, repr=False)

    def _name_of(self, i: int) -> str:
        return self.unit_names[i] if self.unit_names is not None else f"#{i}"

    def _sector(self, s: int) -> str:
        return self.names[s] if self.names is not None else f"#{s}"

    def _check_locks(self) -> None:
        locked_load = np.bincount(self.locked[self.locked >= 0], weights=self.load[self.locked >= 0],
                                  minlength=self.k)
        over = np.flatnonzero(locked_load > self.upper + 1e-9)
        if len(over):
            s = int(over[0])
            raise SectorError("sectors.locks_overload", worker=self._sector(s), load=round(float(locked_load[s]), 2),
                              maximum=round(float(self.upper[s]), 1), target=round(float(self.targets[s]), 1),
                              tolerance=self.tolerance)

    # -- derived -------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.xy)

    @property
    def k(self) -> int:
        return len(self.targets)

    @cached_property
    def upper(self) -> np.ndarray:
        return self.targets * (1 + self.tolerance)

    @cached_property
    def lower(self) -> np.ndarray:
        return self.targets * (1 - self.tolerance)

    @cached_property
    def nbrs(self) -> list[list[int]]:
        return adjacency_lists(self.edges, self.n)

    @property
    def total_load(self) -> float:
        return float(self.load.sum())

    def replace(self, **changes) -> "Problem":
        return dataclasses.replace(self, **changes)

    def distances_km(self, centres: np.ndarray) -> np.ndarray:
        """(n, len(centres)) distances in km from every unit to the given unit positions."""
        c = self.xy[np.asarray(centres, dtype=np.int64)]
        return np.hypot(self.xy[:, None, 0] - c[None, :, 0], self.xy[:, None, 1] - c[None, :, 1]) / 1000.0

    def subproblem(self, members: np.ndarray, sectors: np.ndarray, targets: np.ndarray,
                   tolerance: float) -> tuple["Problem", np.ndarray]:
        """The problem restricted to ``members`` (positions) and ``sectors`` (indices).

        Returns the subproblem and the members array (sub position -> position).
        """
        members = np.asarray(members, dtype=np.int64)
        sectors = np.asarray(sectors, dtype=np.int64)
        index = np.full(self.n, -1, dtype=np.int64)
        index[members] = np.arange(len(members))
        sector_index = np.full(self.k, -1, dtype=np.int64)
        sector_index[sectors] = np.arange(len(sectors))
        keep = (index[self.edges[:, 0]] >= 0) & (index[self.edges[:, 1]] >= 0)
        remap = lambda arr: np.where(arr >= 0, sector_index[np.maximum(arr, 0)], -1)  # noqa: E731
        bases = self.bases[sectors]
        anchors = self.anchors[sectors]
        return Problem(
            xy=self.xy[members], load=self.load[members], edges=index[self.edges[keep]],
            targets=targets, tolerance=tolerance, locked=remap(self.locked[members]),
            bases=np.where(bases >= 0, index[np.maximum(bases, 0)], -1),
            anchors=np.where(anchors >= 0, index[np.maximum(anchors, 0)], -1),
            departement=self.departement[members], groups=None, previous=remap(self.previous[members]),
            department_penalty=self.department_penalty, keep_weight=self.keep_weight,
            names=tuple(self.names[s] for s in sectors) if self.names is not None else None,
            unit_names=tuple(self.unit_names[i] for i in members) if self.unit_names is not None else None,
        ), members
