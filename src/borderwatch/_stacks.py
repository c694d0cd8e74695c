"""Stacks: incidents recorded at the same location.

Real data repeat coordinates: UCDP puts 2,816 events on one Tijuana
coordinate, police data repeat addresses and geocoder centroids. A null model
that moves incidents one by one treats such a stack as 2,816 independent
coincidences; the honest null moves each *location with its stack*
(:mod:`borderwatch.scan`, :mod:`borderwatch.clusters`, :mod:`borderwatch.regions`).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["STACK_TOLERANCE_M", "first_rows", "same_points", "stacks", "unique_rows"]

#: Incidents whose metric coordinates agree to this many metres share a location.
STACK_TOLERANCE_M = 1.0


def stacks(
    xy: np.ndarray,
    *,
    tolerance_m: float = STACK_TOLERANCE_M,
    order: Literal["first", "coordinates"] = "first",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group points that share a location.

    Parameters
    ----------
    xy : (m, 2) array
        Metric coordinates.
    tolerance_m : float
        Coordinates are compared after rounding to this many metres.
    order : {"first", "coordinates"}
        How the locations are numbered: by first appearance, or by their rounded
        coordinates (x, then y), which does not depend on the order of the points (a
        Monte Carlo that gives each location a random draw in this order then gives
        the same result for the same data in any row order).

    Returns
    -------
    location : (m,) int array
        The location (0..L-1) of each point, numbered as ``order`` says.
    sizes : (L,) int array
        Points at each location (the stack sizes).
    first : (L,) int array
        The first point of each location.

    Examples
    --------
    >>> loc, sizes, first = stacks(np.array([[0.0, 0.0], [5.0, 5.0], [0.2, 0.1], [0.0, 0.0]]))
    >>> loc.tolist(), sizes.tolist(), first.tolist()
    ([0, 1, 0, 0], [3, 1], [0, 1])
    >>> stacks(np.array([[5.0, 5.0], [0.0, 0.0], [5.0, 5.0]]), order="coordinates")[0].tolist()
    [1, 0, 1]
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    key = np.rint(xy / float(tolerance_m)).astype(np.int64)
    packed, _ = _row_key(key)
    if packed is not None and order == "first":  # hashed (linear), not sorted: the same
        return _hashed_stacks(packed)  # numbers as below
    groups = None if packed is None else _sorted_groups(packed)
    if groups is not None:  # as unique_rows below (the same key), with a faster sort
        first, inverse, sizes = groups
        return inverse.astype(np.int64), sizes.astype(np.int64), first.astype(np.int64)
    _, first, inverse, sizes = unique_rows(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    if order == "coordinates":  # unique_rows sorts the rounded coordinates
        return inverse.ravel().astype(np.int64), sizes.astype(np.int64), first.astype(np.int64)
    order_ = np.argsort(first, kind="stable")  # number locations by first appearance
    rank = np.empty_like(order_)
    rank[order_] = np.arange(len(order_))
    return (
        rank[inverse.ravel()].astype(np.int64),
        sizes[order_].astype(np.int64),
        first[order_].astype(np.int64),
    )


def _hashed_stacks(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`stacks` (``order="first"``) of rounded coordinates packed into one ``int64``
    each (:func:`_row_key`), through a hash table (:func:`pandas.factorize`: linear,
    numbered by first appearance) instead of a sort."""
    codes, uniq = pd.factorize(packed)
    codes = codes.astype(np.int64)
    sizes = np.bincount(codes, minlength=len(uniq)).astype(np.int64)
    return codes, sizes, first_rows(codes)


def _sorted_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``np.unique(key, return_index=True, return_inverse=True, return_counts=True)[1:]``
    of non-negative int64 keys (the first position, the inverse, the counts), or None
    when the keys are too large.

    np.unique finds the first positions with a stable argsort, slow on int64; here each
    key carries its position in its low bits and one plain (vectorised) sort of these
    numbers orders the keys with ties by position: the same order, so the same answers.

    >>> [g.tolist() for g in _sorted_groups(np.array([7, 2, 7, 0, 2]))]
    [[3, 1, 0], [2, 1, 2, 0, 1], [1, 2, 2]]
    """
    n = len(key)
    bits = max(int(n - 1).bit_length(), 1)
    if n == 0 or int(key.min()) < 0 or int(key.max()) >= 1 << (63 - bits):
        return None
    tagged = key.astype(np.int64) << bits
    tagged |= np.arange(n, dtype=np.int64)
    tagged.sort()
    perm = tagged & ((1 << bits) - 1)
    tagged >>= bits  # the sorted keys
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(tagged[1:], tagged[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    inverse = np.empty(n, dtype=np.intp)
    inverse[perm] = np.cumsum(new) - 1
    return perm[starts].astype(np.intp), inverse, np.diff(np.r_[starts, n])


def unique_rows(
    a: np.ndarray,
    *,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
) -> Any:
    """``np.unique(a, axis=0, ...)`` of a two-column array, several times faster.

    The rows are sorted as one key (two integers packed into one ``int64``, two
    floats read as one ``complex128``, both ordered as ``np.unique`` orders rows)
    instead of as records; the results are the same (``inverse`` is 1-D).

    Examples
    --------
    >>> a = np.array([[2, 1], [0, 5], [2, 1], [0, -1]])
    >>> uniq, inverse = unique_rows(a, return_inverse=True)
    >>> uniq.tolist(), inverse.tolist()
    ([[0, -1], [0, 5], [2, 1]], [2, 1, 2, 0])
    >>> unique_rows(a.astype(float)).tolist()
    [[0.0, -1.0], [0.0, 5.0], [2.0, 1.0]]
    """
    a = np.asarray(a)
    flags: dict[str, Any] = {"return_index": return_index, "return_inverse": return_inverse}
    flags["return_counts"] = return_counts
    unique: Any = np.unique
    key, decode = _row_key(a)
    if key is None:
        out = unique(a, axis=0, **flags)
        if not isinstance(out, tuple):
            return out
        if return_inverse:
            k = 1 + int(return_index)
            out = (*out[:k], np.asarray(out[k]).ravel(), *out[k + 1 :])
        return out
    if not (return_index or return_inverse or return_counts) and _plain(key):
        # np.unique of one 1-D key hashes it (numpy >= 2.3), slower than a sort
        ordered = np.sort(key)
        return decode(ordered[np.r_[True, ordered[1:] != ordered[:-1]]])
    out = unique(key, **flags)
    if not isinstance(out, tuple):
        return decode(out)
    return (decode(out[0]), *out[1:])


def same_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose coordinates are the same bit for bit (a stack), for computing a
    per-location result once per location.

    Only rows with finite ``x`` and ``y`` are grouped; the others stay on their own. Bits
    are compared, not values, so ``-0.0`` and ``0.0`` stay apart and any function of the
    coordinates gives every row of a group exactly what it gives the group's first row.
    Hash tables (:func:`pandas.factorize`), no sort: linear in the rows.

    Returns
    -------
    rows : (k,) int array
        The rows to compute: the first row of each group (in order of appearance), then
        every row with a missing coordinate.
    where : (n,) int array
        For each row, its position in ``rows``: ``result[where]`` spreads the results of
        ``rows`` back to every row.

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 1.0, np.nan, -0.0, 0.0])
    >>> y = np.array([5.0, 5.0, 5.0, 5.0, 1.0, 1.0])
    >>> rows, where = same_points(x, y)
    >>> rows.tolist(), where.tolist()
    ([0, 1, 4, 5, 3], [0, 1, 0, 4, 2, 3])
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    codes, n_groups = _point_codes(x[ok], y[ok])
    good = np.flatnonzero(ok)
    first = good[first_rows(codes)]  # the first row of each group
    bad = np.flatnonzero(~ok)
    where = np.empty(len(x), dtype=np.int64)
    where[good] = codes
    where[bad] = n_groups + np.arange(len(bad))
    return np.concatenate([first, bad]), where


def first_rows(codes: np.ndarray) -> np.ndarray:
    """The first position of each code, for codes numbered in order of appearance
    (:func:`pandas.factorize`; -1 for a missing value is skipped): where a code exceeds
    every code before it.

    >>> first_rows(np.array([0, -1, 1, 0, 2, 1])).tolist()
    [0, 2, 4]
    """
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    before = np.maximum.accumulate(np.r_[np.int64(-1), codes[:-1]])
    return np.flatnonzero(codes > before)


def _point_codes(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Group codes (in order of appearance) of finite coordinates, equal bit for bit."""
    if not ((x == 0).any() or (y == 0).any()):  # no signed zeros: equal values, equal bits
        xy = np.empty(len(x), dtype=np.complex128)
        xy.real, xy.imag = x, y
        codes, uniq = pd.factorize(xy)
        return codes.astype(np.int64), len(uniq)
    kx, _ = pd.factorize(x.view(np.int64))
    ky, uy = pd.factorize(y.view(np.int64))
    codes, uniq = pd.factorize(kx.astype(np.int64) * max(len(uy), 1) + ky)
    return codes.astype(np.int64), len(uniq)


def _plain(key: np.ndarray) -> bool:
    """Whether a sort gives exactly ``np.unique``'s values: no NaN (``np.unique`` merges
    them) and no zero (``-0.0 == 0.0``: which of the two is kept may differ)."""
    if len(key) == 0:
        return False
    if key.dtype.kind in "iu":
        return True
    return not (np.isnan(key).any() or (key.real == 0).any() or (key.imag == 0).any())


def _row_key(a: np.ndarray) -> tuple[np.ndarray | None, Any]:
    """One sortable key per row of ``a`` and the function that turns keys back into rows."""
    if a.ndim != 2 or a.shape[1] != 2:
        return None, None
    if a.dtype.kind in "iu" and len(a):
        # column by column: numpy is slow on the rows of two of an (n, 2) array
        x, y = a[:, 0], a[:, 1]
        low = np.array([x.min(), y.min()]).astype(np.int64)
        span = np.array([x.max(), y.max()]).astype(np.int64) - low + 1
        if int(span[0]) * int(span[1]) >= 2**62:
            return None, None
        dtype = a.dtype
        key = x.astype(np.int64) - low[0]
        key *= span[1]
        key += y.astype(np.int64) - low[1]

        def decode_int(key: np.ndarray) -> np.ndarray:
            rows = np.column_stack([key // span[1], key % span[1]]) + low
            return rows.astype(dtype)

        return key, decode_int
    if a.dtype == np.float64:
        key = np.ascontiguousarray(a).view(np.complex128).ravel()

        def decode_float(key: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(key).view(np.float64).reshape(-1, 2)

        return key, decode_float
    return None, None
