"""Contiguity graph: one component on the real territory, tolerant to slivers, not to corners."""
from __future__ import annotations

import numpy as np
import shapely

from geo.adjacency import adjacency_components, component_labels, compute_edges, neighbour_lists
from geo.territory import units_lambert93


def _pairs(edges, units):
    codes = units["code_insee"].to_numpy()
    return {frozenset((codes[i], codes[j])) for i, j in edges}


def test_region_is_one_connected_component(units, edges):
    assert adjacency_components() == 1
    degree = np.bincount(edges.ravel(), minlength=len(units))
    assert degree.min() >= 1
    assert 5 < degree.mean() < 7  # planar maps average close to 6 neighbours


def test_known_neighbours(units, edges):
    pairs = _pairs(edges, units)
    assert frozenset(("69383", "69266")) in pairs  # Lyon 3e - Villeurbanne
    assert frozenset(("69381", "69384")) in pairs  # Lyon 1er - Lyon 4e
    assert frozenset(("42218", "69383")) not in pairs  # Saint-Étienne is far from Lyon
    # Lyon 8e borders Vénissieux.
    assert frozenset(("69388", "69259")) in pairs


def test_edges_are_pairs_of_distinct_units(units, edges):
    assert (edges[:, 0] < edges[:, 1]).all()
    assert len({tuple(e) for e in edges}) == len(edges)
    lists = neighbour_lists(edges, len(units))
    assert sum(len(n) for n in lists) == 2 * len(edges)


def test_slivers_are_bridged_and_corners_are_not():
    square = lambda x, y: shapely.box(x, y, x + 1000, y + 1000)  # noqa: E731
    geoms = np.array([
        square(0, 0),
        shapely.box(1005, 0, 2005, 1000),  # 5 m sliver to its left neighbour
        square(0, 1000),                   # shares a full side with the first
        shapely.box(1005, 1000, 2005, 2000),  # touches the first at a corner only (across the sliver)
    ], dtype=object)
    pairs = {tuple(e) for e in compute_edges(geoms)}
    assert (0, 1) in pairs and (0, 2) in pairs and (2, 3) in pairs and (1, 3) in pairs
    assert (0, 3) not in pairs and (1, 2) not in pairs
    strict = {tuple(e) for e in compute_edges(geoms, tolerance_m=0.1)}
    assert (0, 1) not in strict


def test_tolerance_matters_on_the_real_territory(units, edges):
    strict = compute_edges(units_lambert93(units).geometry.to_numpy(), tolerance_m=0.5)
    assert len(strict) < len(edges)  # some neighbours are only joined across a sliver


def test_component_labels_on_a_subset(units, edges):
    codes = units["code_insee"].to_numpy()
    lyon = np.flatnonzero(np.isin(codes, [f"6938{i}" for i in range(1, 10)]))
    count, _ = component_labels(edges, len(units), lyon)
    assert count == 1
    far_apart = np.flatnonzero(np.isin(codes, ["69383", "42218"]))
    count, _ = component_labels(edges, len(units), far_apart)
    assert count == 2
