"""Primary and secondary (complementary) suppression of small counts.

Counts from 1 to ``k - 1`` are hidden (primary suppression); further counts are
hidden so that no hidden count can be worked out from a published total, and so
that what can be worked out (the sum of a line's hidden counts) is itself an
aggregate of at least ``k`` incidents (secondary suppression; Hundepool et al.
2012, ch. 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["public_counts"]

#: A line of a table: (member indices, index of its marginal total or None when
#: the total is published elsewhere).
Line = tuple[np.ndarray, int | None]

_UNBOUNDED = 1e12


def public_counts(counts: pd.DataFrame, *, k: int = 5) -> pd.DataFrame:
    """Suppress a long table of counts (unit × category × period) for the public view.

    Counts from 1 to k−1 become null, and further counts are hidden so that no
    hidden count can be recovered from the per-unit, per-category totals that
    the ``units`` layer publishes (every unit × category line is protected as
    if its total were published). Hidden rows are then dropped: the table
    lists no zeros either, so an absent row means "none, or hidden".

    Parameters
    ----------
    counts : DataFrame
        ``count`` and optionally ``unit_id``, ``category`` (the lines) and
        other key columns such as ``period``. It is not modified.
    k : int, default 5
        Suppression threshold.

    Returns
    -------
    DataFrame
        The rows whose count is shown, ``count`` as nullable ``Int64``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"unit_id": ["A", "A", "A"], "category": ["x"] * 3,
    ...                   "period": ["2024-01", "2024-02", "2024-03"], "count": [9, 2, 7]})
    >>> public_counts(t, k=5)["count"].tolist()
    [9]
    """
    out = counts.copy()
    vals, missing = _as_counts(out["count"])
    primary = (vals >= 1) & (vals < k)
    keys = [c for c in ("unit_id", "category") if c in out.columns]
    lines: list[Line] = []
    if keys:
        for idx in out.groupby(keys, dropna=False, sort=False).indices.values():
            lines.append((np.asarray(idx, dtype=np.int64), None))
    supp = _protect(vals, primary, lines, k=k)
    out["count"] = _suppressed_int(vals, missing, supp, out.index)
    # a listed row with a hidden count would still say "at least one incident of this category here
    # this month": drop hidden rows, so that an absent row means "none, or hidden"
    return out[out["count"].notna()].reset_index(drop=True)


def _protect(
    values: np.ndarray,
    primary: np.ndarray,
    lines: Sequence[Line],
    *,
    k: int,
) -> np.ndarray:
    """Primary plus complementary suppression.

    Parameters
    ----------
    values : ndarray
        1-D int array of all counts (0 for missing).
    primary : ndarray
        Bool array, the primary suppressions.
    lines : sequence of (member indices, marginal index or None)
        The members add up to the marginal; ``None`` means a total that is
        published elsewhere.
    k : int
        Suppression threshold.

    Returns
    -------
    ndarray
        Bool array of suppressed values.

    Examples
    --------
    >>> vals = np.array([9, 2, 7])
    >>> _protect(vals, vals < 5, [(np.arange(3), None)], k=5).tolist()
    [False, True, True]
    """
    supp = primary.copy()
    vals = values.astype(float)
    hi = float(k - 1) if k > 1 else 0.0
    changed = True
    while changed:
        changed = False
        for members, marg in lines:
            exposed = members.size and _exposed(vals, supp, members, marg, hi=hi, k=k)
            if exposed and _hide_complement(vals, supp, members, marg):
                changed = True
    return supp


def _exposed(
    vals: np.ndarray,
    supp: np.ndarray,
    members: np.ndarray,
    marg: int | None,
    *,
    hi: float,
    k: int,
) -> bool:
    """Whether a line gives away a suppressed value, or a sum of them below ``k``."""
    s = supp[members]
    marg_supp = marg is not None and bool(supp[marg])
    if not s.any() and not marg_supp:
        return False
    shown_sum = float(vals[members][~s].sum())
    if marg is None or not marg_supp:
        total_line = float(vals[members].sum()) if marg is None else float(vals[marg])
        total = total_line - shown_sum
        return _pinned(np.ones(int(s.sum())), total, hi) or (0 < total < k)
    # x_S - m = -shown_sum
    coef = np.concatenate([np.ones(int(s.sum())), [-1.0]])
    return _pinned(coef, -shown_sum, hi)


def _hide_complement(
    vals: np.ndarray, supp: np.ndarray, members: np.ndarray, marg: int | None
) -> bool:
    """Hide one more value of an exposed line (in ``supp``); False when nothing is left to hide."""
    s = supp[members]
    cand = members[(~s) & (vals[members] > 0)]
    if cand.size:
        supp[int(cand[np.argmin(vals[cand])])] = True  # the smallest shown count
        return True
    if marg is not None and not bool(supp[marg]) and vals[marg] > 0:
        supp[marg] = True
        return True
    if (~s).any():
        # last resort in tiny tables: hide a zero ("<k" is true of it)
        supp[int(members[~s][0])] = True
        return True
    return False


def _pinned(coef: np.ndarray, total: float, hi: float) -> bool:
    """Whether one suppressed value of a line can be pinned to a single value.

    The line is ``sum(coef * x) == total`` over its suppressed values ``x``
    (``coef`` is +1 for a member, -1 for a suppressed total). A reader assumes
    every suppressed value lies in ``[1, hi]`` ("<k"), or in ``[1, inf)`` when
    those bounds contradict the total.
    """
    n = coef.size
    if n == 0:
        return False
    if n == 1:
        return True
    for upper in (hi, _UNBOUNDED):
        lo = np.ones(n)
        up = np.full(n, upper)
        amin = np.where(coef > 0, coef * lo, coef * up)
        amax = np.where(coef > 0, coef * up, coef * lo)
        smin, smax = amin.sum(), amax.sum()
        if not (smin - 1e-9 <= total <= smax + 1e-9):
            continue  # the reader sees that "<k" cannot hold for all of them
        # coef_i * x_i = total - (sum of the others)
        a = total - (smax - amax)
        b = total - (smin - amin)
        xlo = np.where(coef > 0, a / coef, b / coef)
        xhi = np.where(coef > 0, b / coef, a / coef)
        xlo, xhi = np.maximum(xlo, lo), np.minimum(xhi, up)
        return bool(np.any(xhi - xlo < 0.5))
    return False


def _as_counts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer values (0 where missing) and the missing mask of a count column."""
    num = pd.to_numeric(series, errors="coerce")
    missing = num.isna().to_numpy()
    vals = num.fillna(0).to_numpy(dtype=float)
    return np.round(vals).astype(np.int64), missing


def _suppressed_int(
    vals: np.ndarray, missing: np.ndarray, supp: np.ndarray, index: pd.Index
) -> pd.Series:
    """A nullable ``Int64`` column of ``vals``, null where missing or suppressed."""
    out = pd.Series(vals, index=index, dtype="Int64")
    out[missing | supp] = pd.NA
    return out


def _small(vals: np.ndarray, k: int) -> np.ndarray:
    """Primary suppressions: counts from 1 to ``k - 1``."""
    return (vals >= 1) & (vals <= k - 1)
