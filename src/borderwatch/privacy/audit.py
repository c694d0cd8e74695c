"""Linear-programming audit of the linked public tables, as one system.

``units.csv``, ``counts.csv`` (of one or several ``--period`` releases) and the
totals of ``summary.json`` are one set of linked tables. A reader who knows
their relations can bound a hidden count by linear programming, across units
and tables at once. :func:`lp_audit` builds that system and bounds every hidden
count of ``units.csv`` with :func:`scipy.optimize.linprog` (``"highs"``):

* unknowns (each >= 0): every unit total ``T[u]``, every unit x category
  ``X[u, c]`` and every listed row ``Y[r, u, c, p]`` of each ``counts.csv``;
* a published value ``p`` of a perturbed count gives ``p - D <= x <= p + D``
  (the cell-key deviation is at most ``D``; a value published at ``k`` or more
  counts at least ``k`` incidents); a hidden count is only known to be >= 0;
* within a unit: ``T[u] = sum_c X[u, c]``; for each release ``r``,
  ``X[u, c] >= sum_p Y[r, u, c, p]`` (unlisted periods are "none, or hidden");
* across period granularities: a listed year row is at least the sum of the
  listed months of that year (releases that differ only in ``--period``);
* across units: the category totals (``summary["by_category"]``) bound
  ``sum_u X[u, c]``, and the overall totals (``n_incidents``, ``join.within``
  + ``join.snapped``; a null summary count is 0 to ``k - 1``) bound
  ``sum_u T[u]``.

A hidden count is **protected** when its feasible interval ``[lo, hi]``
covers the whole band "0–4" (0 is feasible and ``hi >= k - 1``: the reader
learns nothing the null did not say), or lies at ``k`` or above (``lo >= k``:
the count is not small; such counts are hidden only to protect others, whose
own intervals are audited). Anything else (a lower bound of 1 to ``k - 1``:
presence, or an upper bound below ``k - 1``: a zero told apart from a small
count) is a finding. A unit whose only hidden category sits among published
zeros is a finding too (every incident of the unit is in that category).

The system is solved with batch LPs that certify many intervals at once (the
least total of the hidden counts: those at 0 have ``lo = 0``, and those that
reach ``k - 1`` from that point with their unit's total or one category, the
point checked against every constraint, have ``hi >= k - 1``; then the most of
``sum_i min(x_i, k - 1)``, repeated over the counts not yet certified: those at
``k - 1`` have ``hi >= k - 1``); only the counts they do not settle get their
own two LPs. ``exact=True`` bounds
every hidden count with its own LPs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack

__all__ = ["HiddenBound", "lp_audit", "table_categories"]

_TOL = 1e-6


@dataclass(frozen=True)
class HiddenBound:
    """The feasible interval of one hidden count.

    Attributes
    ----------
    what : str
        Which count (``"unit X / iccs03_sexual"``, ``"unit X / total"``, ...).
    lo, hi : float
        The bounds a reader can prove from every published relation. When the
        batch step already showed the count protected, ``hi`` is a value it can
        reach (at least ``k - 1``), not necessarily the largest, and ``lo`` a
        lower bound of at least ``k`` (the sum of its shown categories), not
        necessarily the largest.
    protected : bool
        0 is feasible and ``hi >= k - 1``, or ``lo >= k``.
    unit_id, column : str
        The unit and the column (``incidents`` or a category) of the count.
    """

    what: str
    lo: float
    hi: float
    protected: bool
    unit_id: str = ""
    column: str = ""


def table_categories(units: pd.DataFrame, counts: Sequence[pd.DataFrame] = ()) -> list[str]:
    """The category columns of a public ``units.csv``.

    The ``iccs*`` columns, and every column named by a ``category`` of the
    ``counts.csv`` tables (free category labels such as ``unspecified``).

    >>> u = pd.DataFrame({"unit_id": ["a"], "incidents": [9], "unspecified": [9], "area_km2": [1.0]})
    >>> c = pd.DataFrame({"unit_id": ["a"], "category": ["unspecified"], "count": [9]})
    >>> table_categories(u, [c])
    ['unspecified']
    """
    named: set[str] = set()
    for c in counts:
        if "category" in c.columns:
            named |= set(c["category"].dropna().astype(str))
    return [
        str(c)
        for c in units.columns
        if c not in ("unit_id", "incidents") and (str(c).startswith("iccs") or str(c) in named)
    ]


def lp_audit(
    units: pd.DataFrame,
    counts: Sequence[pd.DataFrame] = (),
    *,
    k: int = 5,
    d: int = 2,
    categories: Sequence[str] | None = None,
    summary: Mapping[str, Any] | None = None,
    exact: bool = False,
    only_units: Collection[str] | None = None,
) -> list[HiddenBound]:
    """Bound every hidden count of ``units`` by linear programming over the linked tables.

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
        The category columns (default: :func:`table_categories`).
    summary : mapping, optional
        The public ``summary.json``: its overall and category totals join the system.
    exact : bool, default False
        Bound every hidden count by its own two LPs (slower; see the module docstring).
    only_units : collection of str, optional
        Bound only the hidden counts of these units (the system still holds
        every unit and table); default: all units.

    Returns
    -------
    list of HiddenBound
        One per hidden count, units in order (and attribute findings).

    Examples
    --------
    >>> u = pd.DataFrame({"unit_id": ["a"], "incidents": [15], "iccs03_sexual": [None],
    ...                   "iccs05_property": [13]})
    >>> [b.protected for b in lp_audit(u, k=5, d=2)]
    [True]
    >>> [b.protected for b in lp_audit(u, k=5, d=0)]  # exact tables: sexual = 15 - 13
    [False]

    Across units: two hidden units and a published overall total.

    >>> u = pd.DataFrame({"unit_id": ["a", "b"], "incidents": [20, None]})
    >>> [b.protected for b in lp_audit(u, k=5, d=0, summary={"n_incidents": 22})]
    [False]
    """
    cats = list(categories) if categories is not None else table_categories(units, counts)
    system = _System.build(units, list(counts), cats=cats, k=k, d=d, summary=summary or {})
    out: list[HiddenBound] = []
    for _, row in units.iterrows():
        if only_units is None or str(row["unit_id"]) in only_units:
            out += _attribute_finding(str(row["unit_id"]), row, cats)
    if only_units is not None:
        keep = [j for j, (u, _) in enumerate(system.where) if u in only_units]
        system.hidden = [system.hidden[j] for j in keep]
        system.where = [system.where[j] for j in keep]
    if not system.hidden:
        return out
    bounds = system.bounds(exact=exact)
    for (what, _), (uid, col), (lo, hi) in zip(system.hidden, system.where, bounds, strict=True):
        protected = bool((lo < 1 - _TOL and hi >= k - 1 - _TOL) or lo >= k - _TOL)
        out.append(
            HiddenBound(what=what, lo=lo, hi=hi, protected=protected, unit_id=uid, column=col)
        )
    return out


@dataclass
class _System:
    """The sparse LP: variable bounds, equalities and inequalities, the hidden variables."""

    k: int
    lo: list[float]
    hi: list[float]
    eq: list[dict[int, float]]
    eq_rhs: list[float]
    ub: list[dict[int, float]]
    ub_rhs: list[float]
    hidden: list[tuple[str, int]]
    where: list[tuple[str, str]]
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        units: pd.DataFrame,
        counts: list[pd.DataFrame],
        *,
        cats: list[str],
        k: int,
        d: int,
        summary: Mapping[str, Any],
    ) -> _System:
        s = cls(k=k, lo=[], hi=[], eq=[], eq_rhs=[], ub=[], ub_rhs=[], hidden=[], where=[])
        totals: list[int] = []
        by_cat: dict[str, list[int]] = {c: [] for c in cats}
        cell: dict[tuple[str, str], int] = {}
        for _, row in units.iterrows():
            uid = str(row["unit_id"])
            t = s._published(row.get("incidents"), d, f"unit {uid} / total", (uid, "incidents"))
            totals.append(t)
            members = []
            for c in cats:
                x = s._published(row.get(c), d, f"unit {uid} / {c}", (uid, c))
                cell[(uid, c)] = x
                by_cat[c].append(x)
                members.append(x)
            if cats:
                s._add_eq({t: 1.0, **{x: -1.0 for x in members}}, 0.0)
        s._periods(counts, cell, d=d)
        s._summary_totals(summary, totals, by_cat, d=d)
        return s

    def _var(self, lo: float, hi: float) -> int:
        self.lo.append(lo)
        self.hi.append(hi)
        return len(self.lo) - 1

    def _published(self, value: Any, d: int, what: str, where: tuple[str, str] = ("", "")) -> int:
        """A variable for a count: bounded when published, else hidden (>= 0)."""
        if pd.isna(value):
            i = self._var(0.0, np.inf)
            self.hidden.append((what, i))
            self.where.append(where)
            return i
        p = float(value)
        return self._var(max(p - d, min(p, float(self.k)), 0.0), p + d)

    def _add_eq(self, row: dict[int, float], rhs: float) -> None:
        self.eq.append(row)
        self.eq_rhs.append(rhs)

    def _add_ub(self, row: dict[int, float], rhs: float) -> None:
        self.ub.append(row)
        self.ub_rhs.append(rhs)

    def _periods(
        self, counts: list[pd.DataFrame], cell: dict[tuple[str, str], int], *, d: int
    ) -> None:
        """The listed rows of each release: under their unit x category, and years over months."""
        rows_of: list[dict[tuple[str, str, str], int]] = []
        for table in counts:
            rows: dict[tuple[str, str, str], int] = {}
            groups: dict[tuple[str, str], list[int]] = {}
            period = table["period"].astype(str) if "period" in table.columns else None
            for j, (u, c, v) in enumerate(
                zip(
                    table["unit_id"].astype(str),
                    table["category"].astype(str),
                    table["count"],
                    strict=True,
                )
            ):
                if pd.isna(v) or (u, c) not in cell:
                    continue
                y = self._published(v, d, "")
                rows[(u, c, "" if period is None else period.iloc[j])] = y
                groups.setdefault((u, c), []).append(y)
            for (u, c), ys in groups.items():
                self._add_ub({cell[(u, c)]: -1.0, **{y: 1.0 for y in ys}}, 0.0)
            rows_of.append(rows)
        for coarse in rows_of:
            for fine in rows_of:
                if coarse is not fine:
                    self._nest(coarse, fine)

    def _nest(
        self, coarse: dict[tuple[str, str, str], int], fine: dict[tuple[str, str, str], int]
    ) -> None:
        """A listed year row is at least the sum of the listed months of that year."""
        if not coarse or not all(p[5:] in ("01-01", "") for _, _, p in coarse):
            return
        if not all(p[8:] == "01" for _, _, p in fine) or all(p[5:] == "01-01" for _, _, p in fine):
            return
        groups: dict[tuple[str, str, str], list[int]] = {}
        for (u, c, p), y in fine.items():
            key = (u, c, p[:4] + "-01-01")
            if key in coarse:
                groups.setdefault(key, []).append(y)
        for key, ys in groups.items():
            self._add_ub({coarse[key]: -1.0, **{y: 1.0 for y in ys}}, 0.0)

    def _summary_totals(
        self,
        summary: Mapping[str, Any],
        totals: list[int],
        by_cat: dict[str, list[int]],
        *,
        d: int,
    ) -> None:
        """The overall and category totals of the summary, over all units."""
        k = self.k

        def interval(v: Any) -> tuple[float, float] | None:
            if v is None or isinstance(v, bool) or not isinstance(v, int | float | np.number):
                return (0.0, float(k - 1)) if v is None else None
            return max(float(v) - d, 0.0), float(v) + d

        if totals and "n_incidents" in summary:
            whole = interval(summary.get("n_incidents"))
            if whole is not None:
                self._add_ub(dict.fromkeys(totals, 1.0), whole[1])
        join = summary.get("join")
        if totals and isinstance(join, Mapping) and "within" in join and "snapped" in join:
            a, b = interval(join.get("within")), interval(join.get("snapped"))
            if a is not None and b is not None:
                self._add_ub(dict.fromkeys(totals, 1.0), a[1] + b[1])
                self._add_ub(dict.fromkeys(totals, -1.0), -(a[0] + b[0]))
        cat_totals = summary.get("by_category")
        if isinstance(cat_totals, Mapping):
            for c, v in cat_totals.items():
                rng = interval(v)
                if str(c) in by_cat and by_cat[str(c)] and rng is not None:
                    self._add_ub(dict.fromkeys(by_cat[str(c)], 1.0), rng[1])
                    self._add_ub(dict.fromkeys(by_cat[str(c)], -1.0), -rng[0])

    # ----------------------------------------------------------------------------- solving

    def bounds(self, *, exact: bool) -> list[tuple[float, float]]:
        """``(lo, hi)`` of every hidden variable."""
        idx = [i for _, i in self.hidden]
        n = len(self.lo)
        lo = dict.fromkeys(idx, np.nan)
        hi = dict.fromkeys(idx, np.nan)
        if not exact:
            x = self._solve(_unit(idx, n, 1.0))  # least total of the hidden counts
            if x is not None:
                lo.update({i: 0.0 for i in idx if x[i] < _TOL})
                up = [i for i in idx if x[i] < self.k - 1]
                reached = set(self._stretch(x, up, self.k - 1.0))
                hi.update(
                    {
                        i: max(float(x[i]), self.k - 1.0)
                        for i in idx
                        if i in reached or x[i] >= self.k - 1
                    }
                )
                down = [i for i in idx if np.isnan(lo[i])]
                lo.update(dict.fromkeys(self._stretch(x, down, 0.0), 0.0))
            lo.update({i: v for i, v in self._floors(idx).items() if np.isnan(lo[i])})
            todo = [i for i in idx if np.isnan(hi[i])]
            while todo:  # each round certifies those that reach k - 1 together
                reach = self._reach(todo)
                done = {i: v for i, v in reach.items() if v >= self.k - 1 - _TOL}
                hi.update(done)
                todo = [i for i in todo if i not in done]
                if not done:
                    break
        for i in idx:
            if np.isnan(lo[i]):
                x = self._solve(_unit([i], n, 1.0))
                lo[i] = np.nan if x is None else float(x[i])
            if np.isnan(hi[i]):
                x = self._solve(_unit([i], n, -1.0), unbounded=True)
                hi[i] = np.inf if x is None else float(x[i])
        return [(lo[i], hi[i]) for i in idx]

    def _stretch(self, x: np.ndarray, idx: list[int], target: float) -> list[int]:
        """The counts that reach ``target`` from the feasible point ``x`` on their own.

        Each ``x_i`` is moved to ``target`` alone or with one partner of its
        equality (a category with its unit's total or another category, a total
        with one of its categories), and the point is checked against every
        bound and constraint: a feasible point with ``x_i = k - 1`` proves
        ``hi >= k - 1``, one with ``x_i = 0`` proves ``lo = 0``, without an LP.
        """
        a_ub, b_ub, a_eq, _, _ = self._mats()
        slack = b_ub - a_ub @ x
        ub_cols, eq_cols = _columns(a_ub), _columns(a_eq)
        row_of = {j: row for row in self.eq for j in row}
        out: list[int] = []
        for i in idx:
            step = target - float(x[i])
            row = row_of.get(i, {})
            for j in [None, *(j for j in row if j != i)]:
                v = {i: step} if j is None else {i: step, j: -row[i] * step / row[j]}
                if self._fits(x, v, slack, ub_cols, eq_cols):
                    out.append(i)
                    break
        return out

    def _floors(self, idx: list[int]) -> dict[int, float]:
        """Lower bounds of at least ``k`` that an equality gives from the variable bounds.

        A hidden total is at least the sum of its categories' lower bounds: with
        one category shown, at least ``k`` (the count is not small) without an LP.
        """
        row_of = {j: row for row in self.eq for j in row}
        out: dict[int, float] = {}
        for i in idx:
            row = row_of.get(i)
            if not row:
                continue
            a = {j: -c / row[i] for j, c in row.items() if j != i}
            floor = sum(v * (self.lo[j] if v > 0 else self.hi[j]) for j, v in a.items())
            if floor >= self.k - _TOL:
                out[i] = float(floor)
        return out

    def _fits(
        self,
        x: np.ndarray,
        v: dict[int, float],
        slack: np.ndarray,
        ub_cols: list[tuple[np.ndarray, np.ndarray]],
        eq_cols: list[tuple[np.ndarray, np.ndarray]],
    ) -> bool:
        """Whether ``x + v`` (``v`` sparse) keeps every bound and constraint."""
        eq = np.zeros(len(self.eq))
        use = np.zeros(len(self.ub))
        for j, step in v.items():
            if not self.lo[j] - _TOL <= x[j] + step <= self.hi[j] + _TOL:
                return False
            rows, vals = eq_cols[j]
            eq[rows] += vals * step
            rows, vals = ub_cols[j]
            use[rows] += vals * step
        return bool(np.all(np.abs(eq) <= _TOL) and np.all(use <= slack + _TOL))

    def _mats(self) -> tuple[Any, np.ndarray, Any, np.ndarray, list]:
        """The constraint matrices and the variable bounds (built once)."""
        if "mats" not in self.cache:
            n = len(self.lo)
            a_ub, b_ub = self._matrix(self.ub, self.ub_rhs, n)
            a_eq, b_eq = self._matrix(self.eq, self.eq_rhs, n)
            self.cache["mats"] = (a_ub, b_ub, a_eq, b_eq, self._bounds())
        return self.cache["mats"]

    def _reach(self, idx: list[int]) -> dict[int, float]:
        """Maximise ``sum_i z_i`` with ``z_i <= x_i`` and ``z_i <= k - 1``: the ``z`` reached."""
        n, m = len(self.lo), len(idx)
        c = np.concatenate([np.zeros(n), -np.ones(m)])
        link = coo_matrix(
            (
                np.concatenate([-np.ones(m), np.ones(m)]),
                (np.concatenate([np.arange(m)] * 2), np.concatenate([idx, n + np.arange(m)])),
            ),
            shape=(m, n + m),
        )
        a_ub, b_ub, a_eq, b_eq, var_bounds = self._mats()
        a_ub = vstack([hstack([a_ub, csr_matrix((a_ub.shape[0], m))]), link]).tocsr()
        b_ub = np.concatenate([b_ub, np.zeros(m)])
        a_eq = hstack([a_eq, csr_matrix((a_eq.shape[0], m))]).tocsr()
        bounds = [*var_bounds, *[(0.0, float(self.k - 1))] * m]
        res = _linprog(c, a_ub, b_ub, a_eq, b_eq, bounds)
        if res.status != 0:
            return {}
        return {i: float(res.x[n + j]) for j, i in enumerate(idx)}

    def _bounds(self) -> list[tuple[float, float | None]]:
        return [
            (a, None if not np.isfinite(b) else b) for a, b in zip(self.lo, self.hi, strict=True)
        ]

    @staticmethod
    def _matrix(rows: list[dict[int, float]], rhs: list[float], n: int) -> tuple[Any, np.ndarray]:
        r = [t for t, row in enumerate(rows) for _ in row]
        col = [j for row in rows for j in row]
        val = [v for row in rows for v in row.values()]
        return coo_matrix((val, (r, col)), shape=(len(rows), n)).tocsr(), np.asarray(rhs, float)

    def _solve(self, c: np.ndarray, *, unbounded: bool = False) -> np.ndarray | None:
        a_ub, b_ub, a_eq, b_eq, var_bounds = self._mats()
        res = _linprog(c, a_ub, b_ub, a_eq, b_eq, var_bounds)
        if res.status == 0:
            return np.asarray(res.x, dtype=float)
        return None


def _columns(a: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (rows, values) of each column of a sparse matrix."""
    c = a.tocsc()
    return [
        (c.indices[c.indptr[j] : c.indptr[j + 1]], c.data[c.indptr[j] : c.indptr[j + 1]])
        for j in range(c.shape[1])
    ]


def _unit(idx: list[int], n: int, sign: float) -> np.ndarray:
    c = np.zeros(n)
    c[idx] = sign
    return c


def _linprog(c: np.ndarray, a_ub: Any, b_ub: Any, a_eq: Any, b_eq: Any, bounds: list) -> Any:
    return linprog(
        c,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=bounds,
        method="highs",
    )


def _attribute_finding(uid: str, row: pd.Series, cats: list[str]) -> list[HiddenBound]:
    """A unit whose only hidden (or non-zero) category sits among published zeros: every one
    of its incidents is in that category (attribute disclosure). With a single category the
    table says nothing of the kind: every incident is in it by definition."""
    if len(cats) < 2:
        return []
    values = [row.get(c) for c in cats]
    zeros = sum(1 for v in values if pd.notna(v) and float(v) == 0)
    hidden = [c for c, v in zip(cats, values, strict=True) if pd.isna(v)]
    total = row.get("incidents")
    if len(hidden) == 1 and zeros == len(cats) - 1 and (pd.isna(total) or float(total) > 0):
        what = f"unit {uid} / {hidden[0]} holds all of its incidents"
        bound = HiddenBound(
            what=what, lo=0.0, hi=float("inf"), protected=False, unit_id=uid, column=hidden[0]
        )
        return [bound]
    return []
