"""The territory and workload a plan is measured on (arrays per unit position, built once).

:class:`SectorContext` gathers, for the rows of :func:`geo.territory.load_units`:
INSEE codes, Lambert-93 reference points, patients and load, population,
area and perimeter, departments and the contiguity edges with the length of
border each pair shares (for sector perimeters, hence Polsby-Popper).
"""
from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from geo.sectors._graph import adjacency_lists
from geo.sectors.problem import SectorError


@dataclasses.dataclass(frozen=True, eq=False)
class SectorContext:
    """Per-unit arrays shared by every plan of one territory and one set of patient counts."""

    codes: np.ndarray           # (n,) INSEE codes, str
    names: np.ndarray           # (n,) unit names
    xy: np.ndarray              # (n, 2) Lambert-93 metres
    patients: np.ndarray        # (n,) patient counts
    load: np.ndarray            # (n,) workload (patients x weight)
    population: np.ndarray      # (n,)
    area_km2: np.ndarray        # (n,)
    perimeter_km: np.ndarray    # (n,)
    departement: np.ndarray     # (n,) department code (str)
    edges: np.ndarray           # (m, 2) neighbour pairs
    shared_km: np.ndarray       # (m,) border shared by each pair

    @property
    def n(self) -> int:
        return len(self.codes)

    @cached_property
    def position(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes.tolist())}

    @cached_property
    def departement_index(self) -> np.ndarray:
        _, inverse = np.unique(self.departement.astype(str), return_inverse=True)
        return inverse.astype(np.int64)

    @cached_property
    def departement_labels(self) -> np.ndarray:
        return np.unique(self.departement.astype(str))

    @cached_property
    def nbrs(self) -> list[list[int]]:
        return adjacency_lists(self.edges, self.n)

    @cached_property
    def incident_edges(self) -> list[np.ndarray]:
        """Edge indices touching each unit."""
        m = len(self.edges)
        both = np.concatenate([self.edges[:, 0], self.edges[:, 1]])
        ids = np.concatenate([np.arange(m), np.arange(m)])
        order = np.argsort(both, kind="stable")
        splits = np.searchsorted(both[order], np.arange(self.n + 1))
        return [ids[order[splits[i]:splits[i + 1]]] for i in range(self.n)]

    def positions(self, codes) -> np.ndarray:
        """Positions of INSEE codes; unknown codes raise an error naming them."""
        codes = [str(c) for c in codes]
        unknown = sorted({c for c in codes if c not in self.position})
        if unknown:
            raise SectorError("sectors.unknown_units", count=len(unknown),
                              codes=unknown[:10] + (["..."] if len(unknown) > 10 else []))
        return np.array([self.position[c] for c in codes], dtype=np.int64)

    def with_counts(self, counts, weights=None) -> "SectorContext":
        """The same territory with other patient counts (and optional per-unit weights)."""
        patients = counts_array(self, counts)
        load = patients * (1.0 if weights is None else _weights_array(self, weights))
        return dataclasses.replace(self, patients=patients, load=load)


def build_context(counts=None, *, units=None, edges=None, weights=None, territory=None) -> SectorContext:
    """Arrays of the territory (default: the committed one) with the given patient counts.

    Parameters
    ----------
    counts
        DataFrame ``code_insee, patients``, a Series indexed by code, a mapping,
        or None (no patients yet).
    units, edges
        A GeoDataFrame of units and its neighbour pairs (default: the territory's).
    weights
        Optional per-unit load multiplier (mapping or Series by code); missing codes weigh 1.
    territory
        A :class:`geo.territory.Territory` (default: the process-wide committed one) whose
        units, neighbour pairs, Lambert-93 geometry and reference points are used when no
        ``units`` are given.
    """
    from geo.territory import as_territory, reference_points, units_lambert93

    source = units  # what the Lambert-93 geometry, reference points and border cache come from
    if units is None:
        source = as_territory(territory)
        units = source.units
        if edges is None:
            from geo.adjacency import unit_edges
            edges = unit_edges(source)
    elif edges is None:
        raise ValueError("edges must be given with units")
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    l93 = units_lambert93(source).geometry.to_numpy()
    shared = shared_border_km(l93, edges, source)
    import shapely
    context = SectorContext(
        codes=units["code_insee"].astype(str).to_numpy(),
        names=units["nom"].astype(str).to_numpy() if "nom" in units else units["code_insee"].astype(str).to_numpy(),
        xy=reference_points(source),
        patients=np.zeros(len(units)), load=np.zeros(len(units)),
        population=units["population"].to_numpy(dtype=float) if "population" in units else np.zeros(len(units)),
        area_km2=shapely.area(l93) / 1e6,
        perimeter_km=shapely.length(shapely.boundary(l93)) / 1000.0,
        departement=units["departement"].astype(str).to_numpy() if "departement" in units
        else np.array(["?"] * len(units)),
        edges=edges, shared_km=shared,
    )
    if counts is not None:
        context = context.with_counts(counts, weights)
    return context


def shared_border_km(geoms_l93: np.ndarray, edges: np.ndarray, units=None, tolerance_m: float = 30.0) -> np.ndarray:
    """Length (km) of border each neighbour pair shares, measured with the adjacency's tolerance.

    Cached on disk per territory fingerprint when ``units`` is a Territory or the committed units.
    """
    import shapely

    cache = None
    try:
        from geo.paths import cache_dir
        from geo.territory import Territory, load_units
        territory = units if isinstance(units, Territory) else None
        if territory is None and units is load_units():
            from geo.territory import territory as default_territory
            territory = default_territory()
        if territory is not None:
            cache = Path(cache_dir()) / f"shared-borders-{territory.fingerprint}-{len(edges)}.npy"
            if cache.exists():
                return np.load(cache)
    except FileNotFoundError:  # pragma: no cover - no committed territory
        cache = None
    if len(edges) == 0:
        return np.zeros(0)
    i, j = edges[:, 0], edges[:, 1]
    boundaries = shapely.boundary(geoms_l93)
    zones = shapely.buffer(geoms_l93, tolerance_m, quad_segs=2)
    a = shapely.length(shapely.intersection(boundaries[i], zones[j]))
    b = shapely.length(shapely.intersection(boundaries[j], zones[i]))
    shared = np.minimum(np.maximum(a, b) - 2 * tolerance_m, np.minimum(shapely.length(boundaries[i]),
                                                                       shapely.length(boundaries[j])))
    shared = np.nan_to_num(np.maximum(shared, 0.0)) / 1000.0
    if cache is not None:
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, shared)
        tmp.replace(cache)
    return shared


def counts_array(context: SectorContext, counts) -> np.ndarray:
    """Patients per unit position from a counts table; unknown codes raise an error naming them."""
    if counts is None:
        return np.zeros(context.n)
    if isinstance(counts, pd.DataFrame):
        missing = [c for c in ("code_insee", "patients") if c not in counts.columns]
        if missing:
            raise SectorError(f"patient counts need columns code_insee and patients; missing {missing}")
        series = counts.groupby(counts["code_insee"].astype(str))["patients"].sum()
    elif isinstance(counts, pd.Series):
        series = counts.groupby(counts.index.astype(str)).sum()
    elif isinstance(counts, dict):
        series = pd.Series(counts, dtype=float)
        series.index = series.index.astype(str)
    else:
        arr = np.asarray(counts, dtype=float)
        if arr.shape != (context.n,):
            raise SectorError(f"patient counts array must have {context.n} values, got shape {arr.shape}")
        return arr
    unknown = sorted(set(series.index) - set(context.position))
    if "69123" in unknown and any(c.startswith("6938") for c in context.position):
        # Lyon is split into arrondissements: spreading its count would invent where the patients live
        raise SectorError("sectors.counts_lyon", patients=float(series["69123"]))
    if unknown:
        raise SectorError("sectors.unknown_count_codes", count=len(unknown),
                          codes=unknown[:10] + (["..."] if len(unknown) > 10 else []))
    values = series.astype(float)
    if (values < 0).any() or not np.isfinite(values).all():
        bad = sorted(values.index[(values < 0) | ~np.isfinite(values)])
        raise SectorError(f"patient counts must be >= 0; {len(bad)} are not: {', '.join(bad[:10])}")
    out = np.zeros(context.n)
    out[context.positions(values.index)] = values.to_numpy()
    return out


def _weights_array(context: SectorContext, weights) -> np.ndarray:
    if isinstance(weights, (pd.Series, dict)):
        series = pd.Series(weights, dtype=float)
        out = np.ones(context.n)
        out[context.positions(series.index.astype(str))] = series.to_numpy()
    else:
        out = np.asarray(weights, dtype=float)
    if out.shape != (context.n,) or (out < 0).any():
        raise SectorError("weights must be >= 0, one per unit")
    return out
