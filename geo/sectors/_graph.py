"""Graph helpers on unit positions: adjacency lists, components, connectivity checks."""
from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def adjacency_lists(edges: np.ndarray, n: int) -> list[list[int]]:
    """Neighbours of each position as plain Python lists (fast to walk in loops)."""
    lists: list[list[int]] = [[] for _ in range(n)]
    for i, j in np.asarray(edges, dtype=np.int64).tolist():
        lists[i].append(j)
        lists[j].append(i)
    for row in lists:
        row.sort()
    return lists


def sector_components(labels: np.ndarray, edges: np.ndarray, n: int) -> np.ndarray:
    """Component id of each unit in the graph where only same-sector edges are kept.

    Units with a negative label get their own singleton components.
    """
    labels = np.asarray(labels)
    if len(edges):
        keep = (labels[edges[:, 0]] == labels[edges[:, 1]]) & (labels[edges[:, 0]] >= 0)
        sub = edges[keep]
    else:
        sub = np.empty((0, 2), dtype=np.int64)
    matrix = coo_matrix((np.ones(len(sub)), (sub[:, 0], sub[:, 1])), shape=(n, n))
    _, comp = connected_components(matrix, directed=False)
    return comp


def pieces_per_sector(labels: np.ndarray, edges: np.ndarray, k: int) -> np.ndarray:
    """Number of connected pieces of each sector (0 for an empty sector)."""
    labels = np.asarray(labels)
    comp = sector_components(labels, edges, len(labels))
    assigned = labels >= 0
    pairs = np.unique(np.column_stack([labels[assigned], comp[assigned]]), axis=0)
    return np.bincount(pairs[:, 0], minlength=k) if len(pairs) else np.zeros(k, dtype=np.int64)


def is_connected(members, nbrs: list[list[int]]) -> bool:
    """Whether a set of positions is one connected piece (an empty set is not)."""
    members = set(int(m) for m in members)
    if not members:
        return False
    start = next(iter(members))
    seen = {start}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in nbrs[u]:
            if v in members and v not in seen:
                seen.add(v)
                queue.append(v)
    return len(seen) == len(members)


def stays_connected_without(i: int, sector: int, labels, nbrs: list[list[int]]) -> bool:
    """Whether ``sector`` stays in one piece when unit ``i`` leaves it.

    Searches outward from one of ``i``'s same-sector neighbours until all the
    others are reached (usually within a few steps), so it is cheap when the
    answer is yes.
    """
    ring = [j for j in nbrs[i] if labels[j] == sector]
    if len(ring) <= 1:
        return True
    targets = set(ring)
    start = ring[0]
    seen = {i, start}
    found = 1
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in nbrs[u]:
            if v not in seen and labels[v] == sector:
                seen.add(v)
                if v in targets:
                    found += 1
                    if found == len(targets):
                        return True
                queue.append(v)
    return False


def shortest_path(sources, targets, allowed, nbrs: list[list[int]]) -> list[int] | None:
    """Shortest path (fewest units) from any source to any target through ``allowed`` units.

    ``allowed`` is a callable on a position; sources and targets are always allowed.
    Returns the positions from a source to a target inclusive, or None.
    """
    targets = set(targets)
    parent: dict[int, int] = {}
    queue = deque()
    for s in sources:
        parent[s] = -1
        queue.append(s)
    while queue:
        u = queue.popleft()
        if u in targets:
            path = [u]
            while parent[path[-1]] >= 0:
                path.append(parent[path[-1]])
            return path[::-1]
        for v in nbrs[u]:
            if v not in parent and (v in targets or allowed(v)):
                parent[v] = u
                queue.append(v)
    return None


def articulation_points(members, nbrs: list[list[int]]) -> set[int]:
    """Units whose removal splits the subgraph induced by ``members`` (iterative Tarjan)."""
    members = set(int(m) for m in members)
    disc: dict[int, int] = {}
    low: dict[int, int] = {}
    cut: set[int] = set()
    counter = 0
    for root in sorted(members):
        if root in disc:
            continue
        disc[root] = low[root] = counter
        counter += 1
        root_children = 0
        stack = [(root, -1, iter(nbrs[root]))]
        while stack:
            u, parent, it = stack[-1]
            advanced = False
            for v in it:
                if v not in members or v == parent:
                    continue
                if v in disc:
                    low[u] = min(low[u], disc[v])
                else:
                    disc[v] = low[v] = counter
                    counter += 1
                    stack.append((v, u, iter(nbrs[v])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[u])
                if parent == root:
                    root_children += 1
                elif low[u] >= disc[parent]:
                    cut.add(parent)
        if root_children > 1:
            cut.add(root)
    return cut
