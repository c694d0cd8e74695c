"""The cell of each location drawn one by one in the scan's Monte Carlo replicates.

:class:`borderwatch._scan.ReplicateDraws` draws the locations of a rare stack size one by
one: a uniform number ``u`` falls in the cell ``np.searchsorted(cdf, u, side="right")``
of the cells' cumulative shares. A binary search over every cell costs a dozen cache
misses per draw; :func:`cells_of` first looks up a guide table (the cell count below
each of ``K`` evenly spaced levels, :func:`guide`) and searches only between the levels
one below and two above ``u``'s (more than its rounding), which hold the answer: the same
cells, for any ``u`` in ``[0, 1)``, as long as ``cdf`` does not decrease (else
:func:`guide` gives None and the plain search is used).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cells_of", "guide"]

#: Levels of the guide table per cell.
_LEVELS = 4


def guide(cdf: np.ndarray) -> np.ndarray | None:
    """How many of ``cdf`` lie at or below each of ``k + 1`` levels ``0, 1/k, .., 1``
    (``k`` = :data:`_LEVELS` per value); None unless ``cdf`` is finite, does not
    decrease and ends at 1."""
    cdf = np.asarray(cdf, dtype=np.float64)
    if not len(cdf) or not np.isfinite(cdf).all() or cdf[-1] != 1.0:
        return None
    if (cdf[1:] < cdf[:-1]).any():
        return None
    k = _LEVELS * len(cdf)
    return np.searchsorted(cdf, np.arange(k + 1) / k, side="right").astype(np.int64)


@njit(cache=True, nogil=True)
def _guided(cdf, table, u):
    k = len(table) - 1
    out = np.empty(len(u), dtype=np.int64)
    for t in range(len(u)):
        x = u[t]
        b = int(x * k)
        lo = table[max(b - 1, 0)]
        hi = table[min(b + 2, k)]
        while lo < hi:  # the first position in [lo, hi) above x
            mid = (lo + hi) >> 1
            if cdf[mid] <= x:
                lo = mid + 1
            else:
                hi = mid
        out[t] = lo
    return out


def cells_of(cdf: np.ndarray, table: np.ndarray | None, u: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cdf, u, side="right")`` (as int64, ``u`` in ``[0, 1)``), through
    the guide ``table`` of ``cdf`` (:func:`guide`; None: the plain search).

    Examples
    --------
    >>> cdf = np.array([0.1, 0.1, 0.5, 1.0])
    >>> u = np.array([[0.0, 0.1, 0.2], [0.5, 0.75, 0.999]])
    >>> cells_of(cdf, guide(cdf), u).tolist()
    [[0, 2, 2], [3, 3, 3]]
    """
    u = np.asarray(u, dtype=np.float64)
    if table is None:
        return np.searchsorted(cdf, u, side="right").astype(np.int64)
    flat = np.ascontiguousarray(u).reshape(-1)
    return np.asarray(_guided(np.ascontiguousarray(cdf), table, flat)).reshape(u.shape)
