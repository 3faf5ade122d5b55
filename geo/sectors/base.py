"""The base class of sector methods (spopt style: parameters in, ``solve()`` sets ``labels_``)."""
from __future__ import annotations

import numpy as np

from geo.sectors.problem import Problem


class SectorMethod:
    """A way to cut a :class:`~geo.sectors.problem.Problem` into sectors.

    Subclasses implement :meth:`_solve` returning one sector index per unit.
    The constructor stores parameters only; :meth:`solve` sets ``labels_``
    (and ``problem_``) and returns ``self``.

    Examples
    --------
    >>> method = ContiguousPMedian(seed=1).solve(problem)   # doctest: +SKIP
    >>> method.labels_                                      # doctest: +SKIP
    """

    #: Short name used by the bench and the CLI.
    name = "base"
    #: Whether the method guarantees contiguous sectors.
    contiguous = True

    def __init__(self, seed: int | None = 0, **params):
        self.seed = seed
        self.params = dict(params)
        self.labels_: np.ndarray | None = None
        self.problem_: Problem | None = None
        self.info_: dict = {}

    #: Optional ``callable(stage)`` told when a solve enters a stage (e.g. ``"seeds"``, ``"balance"``).
    progress = None

    def _step(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage)

    def solve(self, problem: Problem) -> "SectorMethod":
        self.problem_ = problem
        self.labels_ = np.asarray(self._solve(problem, np.random.default_rng(self.seed)), dtype=np.int64)
        return self

    def _solve(self, problem: Problem, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def from_geodataframe(cls, units, load, n_sectors: int | None = None, *, targets=None,
                          edges: np.ndarray | None = None, **kwargs) -> "SectorMethod":
        """Solve on a GeoDataFrame of units (any CRS; projected to Lambert-93).

        Parameters
        ----------
        units
            GeoDataFrame of units with ``mairie_lon``/``mairie_lat`` (else the
            geometry's representative point is used) and ``departement``.
        load
            Workload per unit, aligned with ``units``' rows.
        n_sectors, targets
            Either a number of equal sectors or one target per sector.
        edges
            Neighbour pairs of row positions (default: :func:`geo.adjacency.unit_edges`
            when ``units`` is the whole territory).
        kwargs
            ``seed`` and method parameters, plus Problem fields (tolerance, locked, ...).
        """
        from geo.sectors.problem import Problem

        xy = _points_l93(units)
        if edges is None:
            from geo.adjacency import unit_edges
            edges = unit_edges()
            if edges.max(initial=-1) >= len(units):
                raise ValueError("edges must be given when units is not the whole territory")
        if targets is None:
            if n_sectors is None:
                raise ValueError("give n_sectors or targets")
            targets = np.ones(int(n_sectors))
        problem_fields = {f for f in Problem.__dataclass_fields__}
        pkw = {k: kwargs.pop(k) for k in list(kwargs) if k in problem_fields}
        if "departement" not in pkw and "departement" in getattr(units, "columns", ()):
            pkw["departement"] = _codes(units["departement"])
        problem = Problem(xy=xy, load=np.asarray(load, dtype=float), edges=edges, targets=targets, **pkw)
        return cls(**kwargs).solve(problem)


def _codes(values) -> np.ndarray:
    _, inverse = np.unique(np.asarray(values).astype(str), return_inverse=True)
    return inverse.astype(np.int64)


def _points_l93(units) -> np.ndarray:
    from geo.projections import LAMBERT93

    if units.crs is None:
        raise ValueError("units have no CRS; expected EPSG:4326 or EPSG:2154")
    if {"mairie_lon", "mairie_lat"} <= set(units.columns):
        from geo.territory import reference_points
        return reference_points(units)
    return units.geometry.representative_point().to_crs(LAMBERT93).get_coordinates().to_numpy()
