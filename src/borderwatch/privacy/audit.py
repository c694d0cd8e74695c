"""Linear-programming audit of the linked public tables.

``units.csv``, ``counts.csv`` (of one or several ``--period`` releases) and the
summary are one set of linked tables: a unit's ``incidents`` is the sum of its
categories, each unit x category is the sum of its periods, whatever the
granularity. A reader who knows these relations can bound a hidden count by
linear programming. :func:`lp_audit` does exactly that, with
:func:`scipy.optimize.linprog`, for every hidden count of every unit:

* unknowns: the true count of every unit total, unit x category and
  unit x category x period (each >= 0);
* every published value ``p`` of a perturbed count gives ``p - D <= x <= p + D``
  (the cell-key deviation is at most ``D``); a published value is never below
  ``k``, so a true count under it is at least ``k - D``;
* every hidden count is only known to be >= 0 ("0–4", or hidden for another
  count's sake);
* the equalities: total = sum of categories; unit x category = sum of its
  periods (per release).

A hidden count is **protected** when its feasible interval ``[lo, hi]``
covers the whole band "0–4" (0 is feasible and ``hi >= k - 1``: the reader
learns nothing the null did not say), or lies at ``k`` or above (``lo >= k``:
the count is not small; such counts are hidden only to protect others, whose
own intervals are audited). Anything else (a lower bound of 1 to ``k - 1``:
presence, or an upper bound below ``k - 1``) is a finding. A unit whose only
hidden category sits among published zeros is a finding too (every incident
of the unit is in that category).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

__all__ = ["HiddenBound", "lp_audit"]


@dataclass(frozen=True)
class HiddenBound:
    """The feasible interval of one hidden count.

    Attributes
    ----------
    what : str
        Which count (``"unit X / iccs03_sexual"``, ``"unit X / total"``, ...).
    lo, hi : float
        The bounds a reader can prove from every published relation.
    protected : bool
        0 is feasible and ``hi >= k - 1``, or ``lo >= k``.
    """

    what: str
    lo: float
    hi: float
    protected: bool


def lp_audit(
    units: pd.DataFrame,
    counts: Sequence[pd.DataFrame] = (),
    *,
    k: int = 5,
    d: int = 2,
    categories: Sequence[str] | None = None,
) -> list[HiddenBound]:
    """Bound every hidden count of ``units`` (and ``counts``) by linear programming.

    Parameters
    ----------
    units : DataFrame
        The public ``units.csv``: ``unit_id``, ``incidents`` and category
        columns, null where hidden.
    counts : sequence of DataFrame
        Public ``counts.csv`` tables (one per release, any ``--period``):
        ``unit_id``, ``category``, ``count`` (a listed row), ``period``.
    k, d : int
        The threshold and the largest perturbation.
    categories : list of str, optional
        The category columns (default: the ``iccs*`` columns).

    Returns
    -------
    list of HiddenBound
        One per hidden count, in the order of the units.

    Examples
    --------
    >>> u = pd.DataFrame({"unit_id": ["a"], "incidents": [15], "iccs03_sexual": [None],
    ...                   "iccs05_property": [13]})
    >>> [b.protected for b in lp_audit(u, k=5, d=2)]
    [True]
    >>> [b.protected for b in lp_audit(u, k=5, d=0)]  # exact tables: sexual = 15 - 13
    [False]
    """
    cats = list(categories or [c for c in units.columns if str(c).startswith("iccs")])
    out: list[HiddenBound] = []
    by_unit = [dict(list(c.groupby(c["unit_id"].astype(str)))) for c in counts if len(c)]
    for _, row in units.iterrows():
        uid = str(row["unit_id"])
        rows = [g[uid] for g in by_unit if uid in g]
        out += _audit_unit(uid, row, rows, cats=cats, k=k, d=d)
    return out


def _audit_unit(
    uid: str, row: pd.Series, counts: list[pd.DataFrame], *, cats: list[str], k: int, d: int
) -> list[HiddenBound]:
    """The LP of one unit: total, categories and the periods of each release."""
    names = ["total", *cats]
    published = [row.get("incidents"), *[row.get(c) for c in cats]]
    hidden = [i for i, v in enumerate(published) if pd.isna(v)]
    if not hidden:
        return []
    out = _attribute_finding(uid, row, cats)
    system = _system(published, _period_vars(counts, cats), d=d)
    for i in hidden:
        lo_i, hi_i = _extremes(i, *system)
        protected = bool((lo_i < 1 - 1e-6 and hi_i >= k - 1 - 1e-6) or lo_i >= k - 1e-6)
        out.append(
            HiddenBound(what=f"unit {uid} / {names[i]}", lo=lo_i, hi=hi_i, protected=protected)
        )
    return out


def _period_vars(counts: list[pd.DataFrame], cats: list[str]) -> list[tuple[int, int, float]]:
    """The listed period rows: (release, category index, published value).

    Unlisted periods are hidden (>= 0) and their sum is free, so only listed
    rows add information.
    """
    out = []
    for r, table in enumerate(counts):
        for cat, v in zip(table["category"].astype(str), table["count"], strict=True):
            if cat in cats and pd.notna(v):
                out.append((r, 1 + cats.index(cat), float(v)))
    return out


def _system(
    published: list, period_vars: list[tuple[int, int, float]], *, d: int
) -> tuple[list, Any, Any]:
    """Bounds, the equality (total = sum of categories) and the inequalities (a unit x
    category is at least the sum of its listed periods, per release)."""
    n_base = len(published)
    n = n_base + len(period_vars)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    values = [*published, *(v for _, _, v in period_vars)]
    for i, v in enumerate(values):
        if pd.notna(v):
            lo[i], hi[i] = max(0.0, float(v) - d), float(v) + d
    a_eq = lil_matrix((1, n))
    a_eq[0, 0] = 1.0
    for i in range(1, n_base):
        a_eq[0, i] = -1.0
    groups: dict[tuple[int, int], list[int]] = {}
    for j, (r, ci, _) in enumerate(period_vars):
        groups.setdefault((r, ci), []).append(n_base + j)
    a_ub = None
    if groups:
        a_ub = lil_matrix((len(groups), n))
        for t, ((_, ci), idx) in enumerate(groups.items()):
            a_ub[t, ci] = -1.0
            for j in idx:
                a_ub[t, j] = 1.0
        a_ub = a_ub.tocsr()
    bounds = [(a, None if not np.isfinite(b) else b) for a, b in zip(lo, hi, strict=True)]
    return bounds, a_eq.tocsr(), a_ub


def _extremes(i: int, bounds: list, a_eq: Any, a_ub: Any) -> tuple[float, float]:
    """The smallest and largest feasible value of unknown ``i``."""
    ext = []
    n = a_eq.shape[1]
    for sign in (1.0, -1.0):
        c = np.zeros(n)
        c[i] = sign
        res = linprog(
            c,
            A_ub=a_ub,
            b_ub=None if a_ub is None else np.zeros(a_ub.shape[0]),
            A_eq=a_eq,
            b_eq=np.zeros(1),
            bounds=bounds,
            method="highs",
        )
        if res.status == 3:  # unbounded: only the maximum can be
            ext.append(np.inf if sign < 0 else 0.0)
        elif res.status != 0:
            ext.append(np.nan)
        else:
            ext.append(sign * float(res.fun))
    return ext[0], ext[1]


def _attribute_finding(uid: str, row: pd.Series, cats: list[str]) -> list[HiddenBound]:
    """A unit whose only hidden (or non-zero) category sits among published zeros: every one
    of its incidents is in that category (attribute disclosure)."""
    values = [row.get(c) for c in cats]
    zeros = sum(1 for v in values if pd.notna(v) and float(v) == 0)
    hidden = [c for c, v in zip(cats, values, strict=True) if pd.isna(v)]
    total = row.get("incidents")
    if len(hidden) == 1 and zeros == len(cats) - 1 and (pd.isna(total) or float(total) > 0):
        what = f"unit {uid} / {hidden[0]} holds all of its incidents"
        return [HiddenBound(what=what, lo=0.0, hi=float("inf"), protected=False)]
    return []
