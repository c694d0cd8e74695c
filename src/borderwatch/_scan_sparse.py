"""The Monte Carlo maxima of the scan when each replicate holds only a few cases.

:func:`borderwatch._scan.null_maxima` walks every window of every centre once per
block of replicates and adds the replicates' count rows of each cell with a count:
its cost is the windows times the replicates. A replicate of a few incidents puts
them in a few cells, and a window's log-likelihood ratio can only rise where one of
them enters: between two such rings the count stays the same and the expected count
does not fall (populations are not negative), and above the expected count the LLR
falls as the expected count grows. So for a replicate and a centre only the rings
that hold one of the replicate's cells need evaluating (the others are evaluated by
the walk too, with a smaller LLR).

:func:`sparse_maxima` does that: per centre, one walk over its window gives the
population at each ring end (summed in the walk's order, so every expected count is
the walk's own); per replicate, each cell with a count is placed in its ring by its
lattice offset from the centre (a look-up table of the offsets' ranks), the rings are
taken in order, and each one is evaluated with the walk's formula and bound
(:func:`borderwatch._scan_lanes._centre_lanes`). Its cost is the centres times the replicates
times their cells with a count, instead of the windows times the replicates; both
give the same maxima, bit for bit (``tests/test_scan_sparse.py``).
:func:`sparse_work` and :func:`dense_work` estimate the two costs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

if TYPE_CHECKING:
    from ._scan import Lattice

__all__ = ["dense_work", "nonzero_columns", "ring_last", "sparse_maxima", "sparse_work"]

#: Cost of one (centre, replicate, cell with a count) of :func:`sparse_maxima` in units
#: of one lane addition of the walk (a look-up and a sorted insert, against an addition
#: that the walk does for many lanes at once); measured on a 7,090-cell grid.
SPARSE_COST = 64
#: Cells with a count per replicate at which the sorted inserts double that cost.
SORT_DOUBLES = 128


def ring_last(lat: Lattice) -> np.ndarray:
    """For each offset of ``lat``, the rank of the last offset of its ring (int32).

    Examples
    --------
    >>> import numpy as np
    >>> from borderwatch._scan import lattice_of
    >>> lat = lattice_of(np.array([0.5, 1.5, 2.5]), np.array([0.5, 0.5, 0.5]),
    ...                  spacing_m=1.0, shape="square")
    >>> lat.norm[:5].tolist(), ring_last(lat)[:5].tolist()
    ([0, 1, 1, 4, 4], [0, 2, 2, 4, 4])
    """
    ends = np.flatnonzero(lat.ring_end).astype(np.int64)
    return ends[np.searchsorted(ends, np.arange(len(lat.flat)))].astype(np.int32)


def nonzero_columns(cnt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells with a count of each replicate (column) of ``cnt`` ``(n_cells, n_rep)``:
    ``ptr`` (``n_rep + 1``), ``cell`` and ``count``, replicate after replicate."""
    rep, cell = np.nonzero(np.asarray(cnt).T)
    ptr = np.zeros(cnt.shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rep, minlength=cnt.shape[1]), out=ptr[1:])
    count = np.asarray(cnt)[cell, rep].astype(np.int64)
    return ptr, cell.astype(np.int64), count


def sparse_work(n_cells: int, nonzero: int, n_rep: int) -> float:
    """Estimated cost of :func:`sparse_maxima`: centres x cells with a count (all
    replicates), in units of one lane addition of the walk; the insertion sort of a
    replicate's cells makes each one dearer as they grow in number."""
    per_rep = nonzero / max(n_rep, 1)
    return float(SPARSE_COST) * n_cells * nonzero * (1.0 + per_rep / SORT_DOUBLES)


def dense_work(qmax: np.ndarray, busy: np.ndarray, n_rep: int) -> float:
    """Estimated cost of the walk (:func:`borderwatch._scan.null_maxima`'s lanes): the
    windows' offsets that hold a cell with a count in some replicate, times the replicates."""
    share = float(np.mean(busy)) if len(busy) else 0.0
    return float(np.sum(qmax)) * share * n_rep


@njit(cache=True)
def _window(c, base, lut, flat, ring_end, ring_last, qmax, pop, ring_pw, ring_of, stamp):
    """Walk centre ``c``'s window: the population at each of its ring ends, summed in
    walking order (``ring_pw``), and each of its cells' ring (``ring_of``, by the rank of
    the ring's last offset), marked as inside by ``stamp[j] == c``."""
    pw = 0.0
    b0 = base[c]
    for q in range(qmax[c]):
        j = lut[b0 + flat[q]]
        if j >= 0:
            pw += pop[j]
            ring_of[j] = ring_last[q]
            stamp[j] = c
        if ring_end[q]:
            ring_pw[q] = pw


@njit(cache=True)
def _evaluate(acc, e, loc, total, xlx, min_cases):
    """The walk's exact step (:func:`borderwatch._scan_lanes._centre_lanes`) for one lane."""
    f = e * (total - e) / total
    d = acc - e
    if acc >= min_cases and d * abs(d) > loc * f:
        le = math.log(e)
        lr = math.log(total - e) if total > e else 0.0
        v = xlx[acc] - acc * le + xlx[total - acc] - (total - acc) * lr
        if v > loc:
            return v
    return loc


@njit(cache=True)
def _centre(c, cols, ptotal, cfg, xlx, ring_pw, ring_of, stamp, ring, k, loc):
    """Raise each replicate's best (``loc``) to its windows of centre ``c``: per replicate,
    its cells with a count inside the window (:func:`_window`) are sorted by ring
    (insertion sort: a few cells) and each ring that holds one is evaluated, with the
    expected count from the population at its end."""
    ptr, cell, count = cols
    total, min_cases, _ = cfg
    for b in range(len(loc)):
        m = 0
        for p in range(ptr[b], ptr[b + 1]):
            j = cell[p]
            if stamp[j] != c:
                continue
            r = ring_of[j]
            i = m
            while i > 0 and ring[i - 1] > r:
                ring[i] = ring[i - 1]
                k[i] = k[i - 1]
                i -= 1
            ring[i] = r
            k[i] = count[p]
            m += 1
        acc = 0
        for i in range(m):
            acc += k[i]
            if i + 1 < m and ring[i + 1] == ring[i]:
                continue  # the ring's other cells first
            e = total * ring_pw[ring[i]] / ptotal
            loc[b] = _evaluate(acc, e, loc[b], total, xlx, min_cases)


@njit(cache=True, parallel=True)
def _sparse(lat, ring_last, qmax, cols, warm, pop, ptotal, cfg, xlx):
    """Largest LLR of each replicate per chunk of centres (the walk's chunks)."""
    base, lut, flat, ring_end = lat
    nchunks = cfg[2]
    n = len(base)
    nb = len(warm)
    ptr = cols[0]
    out = np.zeros((nchunks, nb))
    size = (n + nchunks - 1) // nchunks
    most = 0
    for b in range(nb):
        most = max(most, ptr[b + 1] - ptr[b])
    for t in prange(nchunks):
        loc = warm.copy()
        ring_pw = np.empty(len(flat))
        ring_of = np.empty(n, dtype=np.int32)
        stamp = np.full(n, -1, dtype=np.int32)
        ring = np.empty(most, dtype=np.int32)
        k = np.empty(most, dtype=np.int64)
        for c in range(min(n, t * size), min(n, (t + 1) * size)):
            _window(c, base, lut, flat, ring_end, ring_last, qmax, pop, ring_pw, ring_of, stamp)
            _centre(c, cols, ptotal, cfg, xlx, ring_pw, ring_of, stamp, ring, k, loc)
        out[t] = loc
    return out


def sparse_maxima(
    lat: Lattice,
    qmax: np.ndarray,
    cnt: np.ndarray,
    warm: np.ndarray,
    pop: np.ndarray,
    *,
    total: int,
    ptotal: float,
    xlx: np.ndarray,
    min_cases: int,
    nchunks: int,
) -> np.ndarray:
    """The largest LLR of each replicate (column) of ``cnt`` ``(n_cells, n_rep)``, from
    ``warm`` (each replicate's best one-cell window), per chunk of centres ``(nchunks,
    n_rep)`` as :func:`borderwatch._scan._maxima` gives them."""
    cols = nonzero_columns(cnt)
    cfg = (int(total), int(min_cases), int(nchunks))
    arrays = (lat.base, lat.lut, lat.flat, lat.ring_end)
    return np.asarray(
        _sparse(arrays, ring_last(lat), qmax, cols, warm, pop, float(ptotal), cfg, xlx)
    )
