"""Contiguity graph of the sector units.

Two units are neighbours when they share a stretch of border. The source
polygons leave slivers between some neighbours, so the border test is
tolerant: a unit's boundary counts as shared where it runs within
``tolerance_m`` of the other unit, and at least ``min_shared_m`` of it must
(a corner touch is not a shared border).

The graph is a CSR-like edge list over unit positions (rows of
:func:`geo.territory.load_units`), cached per territory fingerprint.
"""
from __future__ import annotations

import os

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo.paths import cache_dir
from geo.territory import as_territory, load_units

#: Gap bridged between neighbours (the widest slivers in the source are a few metres).
TOLERANCE_M = 30.0
#: Minimum shared border for two units to be neighbours (excludes corner touches).
MIN_SHARED_M = 40.0


def compute_edges(geoms_l93: np.ndarray, tolerance_m: float = TOLERANCE_M,
                  min_shared_m: float = MIN_SHARED_M) -> np.ndarray:
    """Neighbour pairs ``(i, j)`` with ``i < j`` of an array of Lambert-93 polygons.

    Parameters
    ----------
    geoms_l93
        Polygons in a metric CRS.
    tolerance_m
        Width of gap bridged between two borders.
    min_shared_m
        Shared border length below which a contact is ignored.

    Returns
    -------
    numpy.ndarray
        Integer array of shape (m, 2).
    """
    geoms_l93 = np.asarray(geoms_l93, dtype=object)
    present = ~(shapely.is_missing(geoms_l93) | shapely.is_empty(geoms_l93))
    tree = shapely.STRtree(geoms_l93)
    left, right = tree.query(geoms_l93, predicate="dwithin", distance=tolerance_m)
    keep = (left < right) & present[left] & present[right]
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return np.empty((0, 2), dtype=np.int64)
    zones = shapely.buffer(geoms_l93, tolerance_m, quad_segs=2)
    boundaries = shapely.boundary(geoms_l93)
    # Shared length measured both ways; the larger one survives a sliver on either side.
    shared_lr = shapely.length(shapely.intersection(boundaries[right], zones[left]))
    shared_rl = shapely.length(shapely.intersection(boundaries[left], zones[right]))
    shared = np.maximum(shared_lr, shared_rl) - 2 * tolerance_m  # discount the buffer's end caps
    mask = shared >= min_shared_m
    return np.column_stack([left[mask], right[mask]]).astype(np.int64)


def _edges_of(territory) -> np.ndarray:
    """Compute (or read from the disk cache, keyed by the territory fingerprint) the neighbour pairs."""
    path = cache_dir() / f"adjacency-{territory.fingerprint}-{TOLERANCE_M:g}-{MIN_SHARED_M:g}.npy"
    if path.exists():
        return np.load(path)
    edges = compute_edges(territory.units_lambert93.geometry.to_numpy())
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")  # another process may be writing too
    np.save(tmp, edges)
    tmp.replace(path)
    return edges


def unit_edges(territory=None) -> np.ndarray:
    """Neighbour pairs of unit positions (rows of ``load_units()``), shape (m, 2).

    ``territory``: a :class:`geo.territory.Territory`, its directory, or None (the committed one);
    built once per territory (one of its views).
    """
    t = as_territory(territory)
    return t.view("edges", lambda: _edges_of(t))


def neighbours(territory=None) -> list[np.ndarray]:
    """For each unit position, the positions of its neighbours (a view of the territory)."""
    t = as_territory(territory)
    return t.view("neighbours", lambda: neighbour_lists(unit_edges(t), len(t.units)))


def neighbour_lists(edges: np.ndarray, n: int) -> list[np.ndarray]:
    """Adjacency lists from an edge array."""
    both = np.concatenate([edges, edges[:, ::-1]]) if len(edges) else np.empty((0, 2), dtype=np.int64)
    order = np.argsort(both[:, 0], kind="stable")
    both = both[order]
    splits = np.searchsorted(both[:, 0], np.arange(n + 1))
    return [both[splits[i]:splits[i + 1], 1] for i in range(n)]


def component_labels(edges: np.ndarray, n: int, members: np.ndarray | None = None) -> tuple[int, np.ndarray]:
    """Connected components of the graph restricted to ``members`` (all units by default)."""
    if members is not None:
        members = np.asarray(members)
        index = -np.ones(n, dtype=np.int64)
        index[members] = np.arange(len(members))
        keep = (index[edges[:, 0]] >= 0) & (index[edges[:, 1]] >= 0)
        sub = index[edges[keep]]
        size = len(members)
    else:
        sub, size = edges, n
    matrix = coo_matrix((np.ones(len(sub)), (sub[:, 0], sub[:, 1])), shape=(size, size))
    return connected_components(matrix, directed=False)


def adjacency_components(directory=None) -> int:
    """Number of connected components of the units' contiguity graph."""
    count, _ = component_labels(unit_edges(directory), len(load_units(directory)))
    return int(count)


def to_networkx(directory=None):
    """The contiguity graph as a networkx Graph keyed by INSEE code (for GerryChain and the bench)."""
    import networkx as nx

    units = load_units(directory)
    codes = units["code_insee"].to_numpy()
    graph = nx.Graph()
    graph.add_nodes_from(codes)
    graph.add_edges_from((codes[i], codes[j]) for i, j in unit_edges(directory))
    return graph


def territory_info(directory=None) -> dict:
    """Summary of the committed territory (``secteurs territory info``)."""
    units = load_units(directory)
    return {
        "departements": sorted(units["departement"].unique().tolist()),
        "units": int(len(units)),
        "communes": int(units["commune_insee"].nunique()),
        "population": int(units["population"].sum()),
        "units_without_geometry": int((units.geometry.isna() | units.geometry.is_empty).sum()),
        "approximate_geometry": sorted(units.loc[units["geometry_quality"] == "approximate", "code_insee"]),
        "rebuilt_geometry": sorted(units.loc[units["geometry_quality"] == "rebuilt_from_delegated", "code_insee"]),
        "adjacency_components": adjacency_components(directory),
    }
