"""DBSCAN by its definition, compiled: the engine for inputs with few neighbour pairs.

Private engine of :mod:`borderwatch._dbscan`. The points are binned into squares of
side just over ``eps``, so that each point's neighbours lie in its own square or in
one of the eight around it, and every such candidate pair is tested exactly
(``dx * dx + dy * dy <= eps * eps``, the test of the other engines). Then, as
DBSCAN defines it:

* a point is core when at least ``min_samples`` points (itself included) are its
  neighbours;
* core points that are neighbours are in one cluster (a union-find), and the
  clusters are numbered ``0, 1, ...`` in order of their first core point, as
  scikit-learn numbers them;
* a non-core point with core neighbours takes the lowest-numbered of their clusters
  (scikit-learn's expansion reaches it first from that cluster).

Its cost is the number of candidate pairs, which grows with the square of the local
density: :func:`direct_dbscan` counts them first (from the squares' sizes alone) and
answers None when they exceed a budget, so that dense data go to the bounded-memory
engine of :mod:`borderwatch._dbscan`. On a few thousand scattered points (the
simulated maps of the clusters' test) it takes well under a millisecond.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["direct_dbscan"]

#: Candidate pairs (point, point of its 3 x 3 squares) allowed: this many per point ...
_PAIRS_PER_POINT = 64
#: ... plus this many.
_PAIRS_BASE = 1_000_000


def direct_dbscan(
    xy: np.ndarray, *, eps: float, min_samples: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """DBSCAN labels and core mask of ``(n, 2)`` finite points, or None when too dense.

    The same answer as :func:`borderwatch._dbscan.dbscan_labels` (labels ``-1`` for
    noise, clusters numbered by their first core point; core mask), computed pair by
    pair; None when the candidate pairs exceed ``64 n + 1,000,000`` or the squares
    cannot be numbered.

    Examples
    --------
    >>> xy = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [30, 30.0]])
    >>> labels, core = direct_dbscan(xy, eps=1.5, min_samples=2)
    >>> labels.tolist(), core.tolist()
    ([0, 0, 0, 1, 1, -1], [True, True, True, True, True, False])
    """
    xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    n = len(xy)
    if n == 0:
        return np.full(0, -1, dtype=np.int64), np.zeros(0, dtype=bool)
    side = float(eps) * (1.0 + 1e-6)
    span = (xy.max(axis=0) - xy.min(axis=0)) / side
    if not (np.isfinite(span).all() and float((span[0] + 3) * (span[1] + 3)) < 2.0**60):
        return None
    budget = _PAIRS_PER_POINT * n + _PAIRS_BASE
    labels, core, work = _kernel(xy, float(eps), side, int(min_samples), budget)
    if work > budget:
        return None
    return labels, core


@njit(cache=True)
def _squares(xy: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Points sorted by square, the distinct squares' keys, their first sorted point, width."""
    n = xy.shape[0]
    x0 = xy[:, 0].min()
    y0 = xy[:, 1].min()
    ci = np.empty(n, dtype=np.int64)
    cj = np.empty(n, dtype=np.int64)
    for p in range(n):
        ci[p] = np.int64(np.floor((xy[p, 0] - x0) / side)) + 1
        cj[p] = np.int64(np.floor((xy[p, 1] - y0) / side)) + 1
    width = cj.max() + 2
    key = ci * width + cj
    order = np.argsort(key, kind="mergesort")
    skey = key[order]
    starts = [0]
    for p in range(1, n):
        if skey[p] != skey[p - 1]:
            starts.append(p)
    start = np.empty(len(starts) + 1, dtype=np.int64)
    for s in range(len(starts)):
        start[s] = starts[s]
    start[len(starts)] = n
    keys = np.empty(len(starts), dtype=np.int64)
    for s in range(len(starts)):
        keys[s] = skey[start[s]]
    return order, keys, start, width


@njit(cache=True)
def _around(keys: np.ndarray, width: int) -> np.ndarray:
    """For each square, the positions of the (up to 9) occupied squares around it (-1: none)."""
    m = len(keys)
    out = np.full((m, 9), -1, dtype=np.int64)
    for s in range(m):
        k = 0
        for di in range(-1, 2):
            for dj in range(-1, 2):
                target = keys[s] + di * width + dj
                lo, hi = 0, m  # binary search: the first key >= target
                while lo < hi:
                    mid = (lo + hi) // 2
                    if keys[mid] < target:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < m and keys[lo] == target:
                    out[s, k] = lo
                k += 1
    return out


@njit(cache=True)
def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _kernel(
    xy: np.ndarray, eps: float, side: float, min_samples: int, budget: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Labels, core mask and the candidate pairs (over ``budget``: stopped, no labels)."""
    n = xy.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    core = np.zeros(n, dtype=np.bool_)
    order, keys, start, width = _squares(xy, side)
    near = _around(keys, width)
    size = start[1:] - start[:-1]
    work = 0
    for s in range(len(keys)):
        for k in range(9):
            if near[s, k] >= 0:
                work += size[s] * size[near[s, k]]
        if work > budget:
            return labels, core, work
    square = np.empty(n, dtype=np.int64)  # each point's square
    for s in range(len(keys)):
        for q in range(start[s], start[s + 1]):
            square[order[q]] = s
    eps2 = eps * eps
    for i in range(n):
        core[i] = _count(xy, i, near[square[i]], order, start, eps2) >= min_samples
    _number_clusters(xy, core, labels, square, near, order, start, eps2)
    for i in range(n):
        if not core[i]:
            labels[i] = _lowest_label(xy, i, near[square[i]], order, start, eps2, core, labels)
    return labels, core, work


@njit(cache=True)
def _count(
    xy: np.ndarray, i: int, around: np.ndarray, order: np.ndarray, start: np.ndarray, eps2: float
) -> int:
    """Neighbours of point ``i`` (itself included)."""
    count = 0
    for t in around:
        if t < 0:
            continue
        for q in range(start[t], start[t + 1]):
            j = order[q]
            dx = xy[i, 0] - xy[j, 0]
            dy = xy[i, 1] - xy[j, 1]
            if dx * dx + dy * dy <= eps2:
                count += 1
    return count


@njit(cache=True)
def _number_clusters(
    xy: np.ndarray,
    core: np.ndarray,
    labels: np.ndarray,
    square: np.ndarray,
    near: np.ndarray,
    order: np.ndarray,
    start: np.ndarray,
    eps2: float,
) -> None:
    """Label the core points: connected neighbours share a cluster, numbered in order of
    each cluster's first core point."""
    n = xy.shape[0]
    parent = np.arange(n)
    for i in range(n):
        if not core[i]:
            continue
        for t in near[square[i]]:
            if t < 0:
                continue
            for q in range(start[t], start[t + 1]):
                j = order[q]
                if j <= i or not core[j]:
                    continue
                dx = xy[i, 0] - xy[j, 0]
                dy = xy[i, 1] - xy[j, 1]
                if dx * dx + dy * dy <= eps2:
                    a = _find(parent, i)
                    b = _find(parent, j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    number = np.full(n, -1, dtype=np.int64)  # cluster of each root
    next_label = 0
    for i in range(n):
        if core[i]:
            r = _find(parent, i)
            if number[r] < 0:
                number[r] = next_label
                next_label += 1
            labels[i] = number[r]


@njit(cache=True)
def _lowest_label(
    xy: np.ndarray,
    i: int,
    around: np.ndarray,
    order: np.ndarray,
    start: np.ndarray,
    eps2: float,
    core: np.ndarray,
    labels: np.ndarray,
) -> int:
    """The lowest cluster among the core neighbours of point ``i`` (-1: none)."""
    best = -1
    for t in around:
        if t < 0:
            continue
        for q in range(start[t], start[t + 1]):
            j = order[q]
            if not core[j]:
                continue
            dx = xy[i, 0] - xy[j, 0]
            dy = xy[i, 1] - xy[j, 1]
            if dx * dx + dy * dy <= eps2 and (best < 0 or labels[j] < best):
                best = labels[j]
    return best
