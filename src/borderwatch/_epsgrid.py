"""DBSCAN's dense parts without neighbour searches: squares of side ``eps / (2 sqrt 2)``.

Private engine of :mod:`borderwatch._dbscan`. Points are binned into squares of side
slightly less than ``eps / (2 sqrt 2)``, so that any two points of one square, or of
two squares that touch (also at a corner), are less than ``eps`` apart:

* every point of a square holding at least ``min_samples`` points (a dense square),
  or of a square touching one, is a core point (:func:`settled_core`); only the other
  points need a neighbour query;
* core points of one square, and of two touching squares, lie in one cluster; two
  squares further apart (up to three squares in each direction, the reach of
  ``eps``) are joined only when one of their core points is within ``eps`` of one
  of the other's, and that exact test is needed only for squares not yet joined
  through touching ones (:func:`core_components`).

The result is the same as joining all pairs of core points within ``eps``: the
graphs have the same connected components.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = ["EpsSquares", "column_range", "core_components", "settled_core"]

#: Point pairs compared at once by the exact test between squares.
_PAIR_BUDGET = 4_000_000
#: Offsets of the squares that touch a square (half of them: each pair once).
_TOUCH = ((0, 1), (1, -1), (1, 0), (1, 1))


def _far_offsets() -> tuple[tuple[int, int], ...]:
    """Offsets (half of them) of squares that do not touch but may hold a point within eps:
    a gap of ``g`` squares along each axis, with ``gx**2 + gy**2 <= 8`` (eps is
    ``2 sqrt 2`` sides)."""
    out = []
    for di in range(0, 4):
        for dj in range(-3, 4):
            if (di == 0 and dj <= 0) or max(abs(di), abs(dj)) <= 1:
                continue
            if max(abs(di) - 1, 0) ** 2 + max(abs(dj) - 1, 0) ** 2 <= 8:
                out.append((di, dj))
    return tuple(out)


_FAR = _far_offsets()
#: Square keys are counted in a table (no sort) while they span at most this many
#: times the points, plus a constant.
_TABLE_SPAN = 4


def column_range(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(xy.min(axis=0), xy.max(axis=0))`` of an ``(n, 2)`` array, column by column.

    The same values (NaN where a column holds one; an empty array raises as ``min``
    does), an order of magnitude faster: numpy reduces the short rows of an ``(n, 2)``
    array along ``axis=0`` slowly, a strided column quickly.

    >>> lo, hi = column_range(np.array([[3.0, -1.0], [2.0, 5.0]]))
    >>> lo.tolist(), hi.tolist()
    ([2.0, -1.0], [3.0, 5.0])
    """
    x, y = xy[:, 0], xy[:, 1]
    return np.array([x.min(), y.min()]), np.array([x.max(), y.max()])


def _sorted_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True, return_counts=True)`` of non-negative int64
    keys (the inverse 1-D): by a count table when the keys span few values, else sorted."""
    top = int(keys.max()) + 1 if len(keys) else 0
    if len(keys) and top <= _TABLE_SPAN * len(keys) + 1024:
        table = np.bincount(keys, minlength=top)
        present = np.flatnonzero(table)
        rank = np.cumsum(table > 0) - 1
        return present.astype(np.int64), rank[keys].astype(np.intp), table[present]
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return uniq, inverse.ravel(), counts


class EpsSquares:
    """The squares of side just under ``eps / (2 sqrt 2)`` that hold the points ``xy``.

    Attributes
    ----------
    keys : numpy.ndarray
        The distinct squares (sorted int64 keys; a neighbour's key is the key plus
        ``di * width + dj``).
    of_point : numpy.ndarray
        Each point's square (position in ``keys``).
    counts : numpy.ndarray
        Points per square.
    width : int
        The key's row width.

    Examples
    --------
    >>> sq = EpsSquares(np.array([[0.0, 0.0], [0.1, 0.1], [5.0, 5.0]]), eps=1.0)
    >>> sq.of_point.tolist(), sq.counts.tolist()
    ([0, 0, 1], [2, 1])
    """

    def __init__(self, xy: np.ndarray, *, eps: float) -> None:
        side = float(eps) / (2.0 * math.sqrt(2.0)) * (1.0 - 1e-9)
        lo = column_range(xy)[0] if len(xy) else np.zeros(2)
        # column by column: numpy is slow on the rows of two of an (n, 2) array
        i = np.floor((xy[:, 0] - lo[0]) / side).astype(np.int64) + 3
        j = np.floor((xy[:, 1] - lo[1]) / side).astype(np.int64) + 3
        self.width = int(j.max()) + 7 if len(j) else 7
        i *= self.width
        i += j
        self.keys, self.of_point, self.counts = _sorted_unique(i)

    @staticmethod
    def fits(xy: np.ndarray, *, eps: float) -> bool:
        """Whether the squares of ``xy`` can be numbered in an int64 key."""
        if not len(xy):
            return True
        lo, hi = column_range(xy)
        span = (hi - lo) / (float(eps) / (2.0 * math.sqrt(2.0)))
        return bool(np.isfinite(span).all()) and float((span[0] + 8) * (span[1] + 8)) < 2.0**60

    def neighbours(self, di: int, dj: int) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (s, t) of occupied squares with ``t`` at offset ``(di, dj)`` from ``s``."""
        target = self.keys + (di * self.width + dj)
        pos = np.searchsorted(self.keys, target)
        pos[pos >= len(self.keys)] = 0
        hit = np.flatnonzero(self.keys[pos] == target)
        return hit, pos[hit]


def settled_core(squares: EpsSquares, min_samples: int) -> np.ndarray:
    """Points that are core because their square is dense or touches a dense one.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.1], [0.5, 0.0], [9.0, 9.0]])
    >>> settled_core(EpsSquares(xy, eps=2.0), 3).tolist()
    [True, True, True, True, False]
    """
    dense = squares.counts >= int(min_samples)
    near = dense.copy()
    for di, dj in _TOUCH:
        s, t = squares.neighbours(di, dj)
        near[s] |= dense[t]
        near[t] |= dense[s]
    return near[squares.of_point]


def core_components(
    pts: np.ndarray, eps: float, *, squares: EpsSquares | None = None
) -> np.ndarray:
    """Connected components (0..k-1) of the graph 'distance <= eps' on the points ``pts``.

    ``squares``: the :class:`EpsSquares` of ``pts`` (the same points and ``eps``) when
    already built.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [0.9, 0.0], [1.8, 0.0], [5.0, 0.0]])
    >>> core_components(pts, 1.0).tolist()
    [0, 0, 0, 1]
    """
    pts = np.ascontiguousarray(pts, dtype=np.float64)
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64)
    sq = EpsSquares(pts, eps=eps) if squares is None else squares
    n = len(sq.keys)
    touching = [sq.neighbours(di, dj) for di, dj in _TOUCH]
    edges_s = [s for s, _ in touching]
    edges_t = [t for _, t in touching]
    comp = _components(n, edges_s, edges_t)
    far = [sq.neighbours(di, dj) for di, dj in _FAR]
    cand_s = np.concatenate([s for s, _ in far])
    cand_t = np.concatenate([t for _, t in far])
    # only pairs not joined through touching squares are tested (filtered before the
    # sort below: a stable sort of the rest keeps the same order)
    split = np.flatnonzero(comp[cand_s] != comp[cand_t])
    cand_s, cand_t = cand_s[split], cand_t[split]
    if len(cand_s):
        # cheap pairs first: once two components are joined, their costly pairs are skipped
        order = np.argsort(sq.counts[cand_s] * sq.counts[cand_t], kind="stable")
        cand_s, cand_t = cand_s[order], cand_t[order]
        members = _Members(sq.of_point)
        eps2 = float(eps) * float(eps)
        while True:
            open_ = np.flatnonzero(comp[cand_s] != comp[cand_t])
            if not len(open_):
                break
            take = open_[: _chunk(sq.counts, cand_s[open_], cand_t[open_])]
            hit = members.within(pts, cand_s[take], cand_t[take], eps2)
            edges_s.append(cand_s[take[hit]])
            edges_t.append(cand_t[take[hit]])
            comp = _components(n, edges_s, edges_t)
            cand_s, cand_t = cand_s[open_[len(take) :]], cand_t[open_[len(take) :]]
    return comp[sq.of_point]


def _chunk(counts: np.ndarray, s: np.ndarray, t: np.ndarray) -> int:
    """How many of the pairs (in order) fit the budget of point pairs (at least one)."""
    work = np.cumsum(counts[s].astype(np.int64) * counts[t])
    return max(1, int(np.searchsorted(work, _PAIR_BUDGET, side="right")))


def _components(n: int, s: list[np.ndarray], t: list[np.ndarray]) -> np.ndarray:
    """Connected components of ``n`` squares linked by the edges ``s``-``t``."""
    i = np.concatenate(s) if s else np.zeros(0, dtype=np.int64)
    j = np.concatenate(t) if t else np.zeros(0, dtype=np.int64)
    g = sparse.coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, lab = connected_components(g.tocsr(), directed=False)
    return lab.astype(np.int64)


class _Members:
    """The points of each square, for the exact test between two squares."""

    def __init__(self, of_point: np.ndarray) -> None:
        # a stable sort of the same numbers: radix-sorted when they fit 16 bits
        small = len(of_point) and int(of_point.max()) < 2**16
        self.order = np.argsort(of_point.astype(np.uint16) if small else of_point, kind="stable")
        counts = np.bincount(of_point)
        self.start = np.r_[0, np.cumsum(counts)[:-1]]
        self.count = counts

    def within(self, pts: np.ndarray, s: np.ndarray, t: np.ndarray, eps2: float) -> np.ndarray:
        """For each pair of squares (s, t): is a point of s within ``sqrt(eps2)`` of one of t."""
        na, nb = self.count[s], self.count[t]
        per = na * nb
        pair = np.repeat(np.arange(len(s)), per)
        k = np.arange(len(pair)) - np.repeat(np.cumsum(per) - per, per)  # rank within the pair
        a = self.order[self.start[s][pair] + k // nb[pair]]
        b = self.order[self.start[t][pair] + k % nb[pair]]
        close = ((pts[a] - pts[b]) ** 2).sum(axis=1) <= eps2
        return np.bincount(pair[close], minlength=len(s)) > 0
