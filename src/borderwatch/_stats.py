"""Private statistical engines: weights as adjacency, analytical Gi*, conditional
permutation (with refinement of cells at the permutation floor), FDR, Mann-Kendall.

The conditional permutation engine follows the approach of PySAL's esda
(``esda.crand``): for each observation ``i`` with ``c`` neighbours, its own
value is held fixed and the neighbour sum is recomputed for random draws of
``c`` values, without replacement, from the other ``n - 1`` observations. As in
esda, one matrix of draws is shared by a chunk of observations, which makes
the computation a handful of vectorised gathers instead of a loop per
observation. Draws come from a seeded :class:`numpy.random.Generator`.

For non-negative data (counts), an observation whose neighbours are all zero
needs no simulation: no draw can be below zero, so the upper-tail p-value is
exactly 1 and the lower-tail one is the hypergeometric probability that all
``c`` draws are zeros. On sparse incident grids this skips most cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._dist import bh_adjust, binom_cdf, binom_sf, norm_sf
from ._errors import DataError

__all__ = [
    "adjacency",
    "bh_adjust",
    "csr_tails",
    "GiPValues",
    "gi_analytic",
    "gi_pvalues",
    "mann_kendall",
    "perm_tail_pvalues",
    "refined_perm",
    "two_sided",
]

#: Elements (observations x permutations) per vectorised chunk.
CHUNK_ELEMENTS = 1_000_000
#: Largest number of focal observations sharing one matrix of draws.
CHUNK_FOCAL = 512


def two_sided(p_greater: np.ndarray, p_lesser: np.ndarray) -> np.ndarray:
    """Two-sided p-value from the two one-sided ones: ``min(1, 2 * min(pg, pl))``."""
    return np.minimum(1.0, 2.0 * np.minimum(p_greater, p_lesser))


def _draws(rng: np.random.Generator, n_pop: int, rows: int, c: int) -> np.ndarray:
    """``rows`` draws of ``c`` distinct integers from ``range(n_pop)``."""
    return _sorted_draws(rng, n_pop, rows, c)[0]


def _sorted_draws(
    rng: np.random.Generator, n_pop: int, rows: int, c: int
) -> tuple[np.ndarray, np.ndarray]:
    """The draws of :func:`_draws` (the same random stream) and each row of them sorted."""
    if c > n_pop:
        msg = f"cannot draw {c} neighbours from {n_pop} other observations"
        raise ValueError(msg)
    if n_pop <= 64 or c * 4 > n_pop:
        out = np.argsort(rng.random((rows, n_pop)), axis=1)[:, :c]
        return out, np.sort(out, axis=1)
    out = rng.integers(0, n_pop, size=(rows, c))
    while True:
        srt = _sorted_columns(out.T)  # (c, rows)
        dup = (srt[1:] == srt[:-1]).any(axis=0) if c > 1 else np.zeros(rows, bool)
        if not dup.any():
            return out, srt.T
        out[dup] = rng.integers(0, n_pop, size=(int(dup.sum()), c))


#: Up to this many values per row are sorted by a network of minima and maxima.
NETWORK_SORT = 16


def _sorted_columns(a: np.ndarray) -> np.ndarray:
    """Each column of ``a`` (c, rows) sorted, as ``np.sort(a, axis=0)``: for a few rows
    by odd-even transposition (c rounds of compare-exchanges, each vectorised over the
    columns), much faster than sorting many short columns one by one."""
    c = len(a)
    if c > NETWORK_SORT:
        return np.sort(a, axis=0)
    out = np.array(a, order="C")
    lo = np.empty_like(out[0])
    for r in range(c):
        for i in range(r % 2, c - 1, 2):
            np.minimum(out[i], out[i + 1], out=lo)
            np.maximum(out[i], out[i + 1], out=out[i + 1])
            out[i] = lo
    return out


def _all_zero_probability(zeros: np.ndarray, n_pop: int, c: np.ndarray) -> np.ndarray:
    """P(c draws without replacement from n_pop items, ``zeros`` of them zero, are all zero).

    The hypergeometric probability ``C(zeros, c) / C(n_pop, c)`` as the product
    ``prod_{k<c} (zeros - k) / (n_pop - k)``, vectorised over observations.
    """
    prob = np.ones(len(c))
    for k in range(int(c.max()) if len(c) else 0):
        active = c > k
        prob[active] *= np.clip(zeros[active] - k, 0, None) / (n_pop - k)
    return prob


def perm_tail_pvalues(
    y: np.ndarray,
    adj: sparse.csr_array,
    *,
    permutations: int,
    rng: np.random.Generator,
    subset: np.ndarray | None = None,
    observed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided conditional-permutation p-values of the neighbour sums.

    Parameters
    ----------
    y : array (n,)
        Values.
    adj : csr array (n, n)
        Binary adjacency without self-weights.
    permutations : int
        Number of draws per observation.
    rng : Generator
        Source of randomness.
    subset : int array, optional
        Positions to compute (default: all).
    observed : array (n,), optional
        Observed neighbour sums ``adj @ y`` (computed when omitted).

    Returns
    -------
    p_greater, p_lesser : arrays (len(subset),)
        ``(#{sim >= obs} + 1) / (P + 1)`` and ``(#{sim <= obs} + 1) / (P + 1)``;
        exact values for zero neighbour sums of non-negative data; 1 for
        observations without neighbours.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    idx = np.arange(n) if subset is None else np.asarray(subset, dtype=np.int64)
    card = np.diff(adj.indptr)[idx]
    obs = (adj @ y)[idx] if observed is None else np.asarray(observed, dtype=float)[idx]
    pg = np.ones(len(idx))
    pl = np.ones(len(idx))
    nonneg = bool((y >= 0).all())
    sim_needed = card > 0
    if nonneg:
        zero = sim_needed & (obs <= 0)
        if zero.any():
            # all c draws must be zeros: hypergeometric
            zeros_other = float((y == 0).sum()) - (y[idx[zero]] == 0)
            pl[zero] = _all_zero_probability(zeros_other, n - 1, card[zero])
            pg[zero] = 1.0
        sim_needed &= ~zero
    if not sim_needed.any() or permutations <= 0:
        if permutations <= 0:
            pg[sim_needed] = np.nan
            pl[sim_needed] = np.nan
        return pg, pl
    pos = np.flatnonzero(sim_needed)
    ge = np.zeros(len(pos), dtype=np.int64)
    le = np.zeros(len(pos), dtype=np.int64)
    tol = 1e-10 * (np.abs(obs[pos]) + 1.0)
    exact = _exact_sums(y, int(card[pos].max()))
    for c in np.unique(card[pos]):
        grp = np.flatnonzero(card[pos] == c)
        block = max(1, min(CHUNK_FOCAL, CHUNK_ELEMENTS // permutations))
        for start in range(0, len(grp), block):
            sel = grp[start : start + block]
            focal = idx[pos[sel]]
            d, ds = _sorted_draws(rng, n - 1, permutations, int(c))  # shared by the chunk
            sims = _sorted_neighbour_sums(y, ds, focal) if exact else _neighbour_sums(y, d, focal)
            o = obs[pos[sel]][:, None]
            t = tol[sel][:, None]
            ge[sel] = (sims >= o - t).sum(axis=1)
            le[sel] = (sims <= o + t).sum(axis=1)
    pg[pos] = (ge + 1.0) / (permutations + 1.0)
    pl[pos] = (le + 1.0) / (permutations + 1.0)
    return pg, pl


def _neighbour_sums(y: np.ndarray, d: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """Simulated neighbour sums (len(focal), P) for shared draws ``d`` (P, c).

    A draw ``k`` in ``range(n - 1)`` stands for observation ``k`` when
    ``k < i`` and ``k + 1`` otherwise, which skips the focal observation ``i``
    (as esda does). For a chunk of focal observations between ``lo`` and
    ``hi``, draws below ``lo`` or at/above ``hi`` map the same way for every
    focal observation, so only the few draws in between need a per-focal
    correction.
    """
    lo, hi = int(focal.min()), int(focal.max())
    v_low = y[d]
    v_high = y[d + 1]
    fixed = np.where(d >= hi, v_high, np.where(d < lo, v_low, 0.0)).sum(axis=1)
    sims = np.broadcast_to(fixed, (len(focal), len(fixed))).copy()
    mid = (d >= lo) & (d < hi)
    rows = np.flatnonzero(mid.any(axis=1))
    if rows.size:
        dm, mm = d[rows], mid[rows]
        shift = dm[None, :, :] >= focal[:, None, None]
        vals = np.where(shift, v_high[rows][None], v_low[rows][None]) * mm[None]
        sims[:, rows] += vals.sum(axis=2)
    return sims


def _exact_sums(y: np.ndarray, c: int) -> bool:
    """Whether every sum of at most ``c`` of the values ``y`` is exact in floating point,
    in any order: whole numbers (counts) whose ``c`` largest magnitudes stay far below
    2**53. Then the neighbour sums do not depend on the order of the draws."""
    if len(y) == 0:
        return True
    finite = bool(np.isfinite(y).all())
    return finite and bool(np.all(y == np.round(y))) and 2.0 * c * float(np.abs(y).max()) < 2.0**53


def _sorted_neighbour_sums(y: np.ndarray, ds: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """:func:`_neighbour_sums` for exact sums (:func:`_exact_sums`), from the draws with
    each row sorted (``ds``, (P, c)).

    Draws below ``i`` stand for themselves and the others for the next observation, so
    in a sorted row the first ``j`` draws (those below ``i``) are taken as they are and
    the rest shifted by one: the sum for ``i`` is a prefix sum of ``y[ds]`` plus a
    suffix sum of ``y[ds + 1]``, with ``j`` the number of draws below ``i``. Every sum
    is exact, so it equals the sum in the draws' own order, bit for bit.
    """
    rows, c = ds.shape
    dt = ds.T  # (c, P): the draws' ranks in rows, each column contiguous in time
    low, high = y[dt], y[dt + 1]
    table = np.zeros((c + 1, rows))  # the sum for j draws below the focal observation
    for j in range(1, c + 1):  # (row by row: faster than cumsum along a short axis)
        table[j] = table[j - 1] + low[j - 1]
    tail = np.zeros(rows)
    for j in range(c - 1, -1, -1):
        tail += high[j]
        table[j] += tail
    order = np.argsort(focal, kind="stable")
    f = np.asarray(focal)[order]
    k = len(f)
    # the sorted focal observations from q on lie above a draw: from there on it counts
    # among the j below, and the sum steps from table[j] to table[j + 1]
    q = np.searchsorted(f, dt, side="right")
    at = np.arange(rows, dtype=np.int64)
    key = np.concatenate([at, (q * rows + at).ravel()])
    steps = np.concatenate([table[0], np.diff(table, axis=0).ravel()])
    sums = np.bincount(key, weights=steps, minlength=(k + 1) * rows).reshape(k + 1, rows)
    for j in range(1, k):
        sums[j] += sums[j - 1]
    if np.array_equal(order, np.arange(k)):
        return sums[:k]
    out = np.empty((k, rows))
    out[order] = sums[:k]
    return out


def mann_kendall(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``x`` (rows: series, columns: time).

    ``S = sum_{i<j} sign(x_j - x_i)``; its variance is corrected for ties,
    ``Var(S) = [T(T-1)(2T+5) - sum_t t(t-1)(2t+5)] / 18``, and
    ``z = S / sqrt(Var(S))`` without continuity correction, so that the
    p-value equals :func:`scipy.stats.kendalltau` (asymptotic) of ``x``
    against time.

    Returns
    -------
    s, z, p : arrays
        The statistic, its z-score and the two-sided p-value (1 when the
        series is constant).
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n, t = x.shape
    s = np.zeros(n)
    if t < 2 or n == 0:
        return s, np.zeros(n), np.ones(n)
    iu, ju = np.triu_indices(t, 1)
    rows_per = max(1, 4_000_000 // len(iu))
    for start in range(0, n, rows_per):
        blk = x[start : start + rows_per]
        s[start : start + rows_per] = np.sign(blk[:, ju] - blk[:, iu]).sum(axis=1)
    # tie correction: sizes of runs of equal values in each sorted row
    xs = np.sort(x, axis=1)
    new = np.ones((n, t), dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]
    label = np.cumsum(new, axis=1) - 1
    flat = (np.arange(n)[:, None] * t + label).ravel()
    sizes = np.bincount(flat, minlength=n * t).reshape(n, t).astype(float)
    ties = (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)
    var = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, s / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    p = np.where(var > 0, 2.0 * norm_sf(np.abs(z)), 1.0)
    return s, z, p


def _is_adjacency(m: sparse.csr_array) -> bool:
    """Whether ``m`` is what :func:`adjacency` makes: ones, sorted, no duplicates, no diagonal."""
    if m.indices.dtype != np.int32 or not m.has_canonical_format or not np.all(m.data == 1.0):
        return False
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int32), np.diff(m.indptr))
    return not np.any(rows == m.indices)


def adjacency(w: Any, n: int) -> tuple[sparse.csr_array, np.ndarray]:
    """Binary adjacency (no self-weights) and islands mask from any weights object.

    ``w`` is a :class:`borderwatch.weights.SpatialWeights`, a libpysal W or
    Graph (anything with a ``sparse`` matrix in row order), a scipy sparse
    matrix or a dense 2-D array.
    """
    if sparse.issparse(w) or (isinstance(w, np.ndarray) and w.ndim == 2):
        m = w
    elif hasattr(w, "sparse"):  # SpatialWeights, libpysal W (id_order) or Graph (sorted ids)
        m = w.sparse
    else:
        msg = f"unsupported weights {type(w).__name__}. Hint: use borderwatch.grid.cell_weights() or a libpysal W/Graph."
        raise DataError(msg)
    m = sparse.csr_array(m, dtype=float)
    if m.shape != (n, n):
        msg = f"the weights are {m.shape[0]} x {m.shape[1]} but there are {n} values. Hint: build them from the same cells."
        raise DataError(msg)
    if _is_adjacency(m):  # already binary, canonical, without self-weights (a space-time cube)
        out = m.copy()
        return out, np.diff(out.indptr) == 0
    coo = m.tocoo()
    keep = (coo.row != coo.col) & (coo.data != 0)
    m = sparse.csr_array((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    card = np.diff(m.indptr)
    return m, card == 0


def _star_lag(y: np.ndarray, adj: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """``(W + I) @ y`` and the row sums of ``W + I``.

    For binary weights and whole-number values (counts) every partial sum is an
    integer well below 2**53, hence exact in any order: then ``W @ y + y`` and
    the row lengths plus one give the same floats without building ``W + I``
    (a space-time cube has tens of millions of links). Otherwise ``W + I`` is
    built, as before.
    """
    exact = (
        adj.format == "csr"
        and adj.has_canonical_format
        and bool(np.all(adj.data == 1.0))
        and bool(np.all(np.isfinite(y) & (y == np.round(y))))
        and 2.0 * float(np.abs(y).sum()) < 2.0**53
    )
    if exact:
        return adj @ y + y, np.diff(adj.indptr) + 1.0
    wstar = adj + sparse.eye_array(len(y), format="csr")
    return wstar @ y, np.asarray(wstar.sum(axis=1)).ravel()


def gi_analytic(y: np.ndarray, adj: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """G* statistic and z-score, as ``esda.G_Local(transform="B", star=True)``."""
    n = len(y)
    lag, card = _star_lag(y, adj)
    ysum = y.sum()
    if ysum == 0:
        return np.zeros(n), np.zeros(n)
    statistic = lag / ysum
    mean = ysum / n
    var = (y**2).sum() / n - mean**2
    expected = card / n
    ev = card * (n - card)
    ev = ev / (n - 1)
    ev = ev * (1 / n**2)
    ev = ev * (var / mean**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (statistic - expected) / np.sqrt(ev)
    z = np.where(np.isfinite(z), z, 0.0)
    return statistic, z


def refined_perm(
    values: np.ndarray,
    adj: sparse.csr_array,
    lag: np.ndarray,
    *,
    permutations: int,
    rng: np.random.Generator,
    fdr: bool,
    max_permutations: int,
    level: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """One-sided permutation p-values, re-running cells stuck at the floor.

    Observations whose p-value equals the floor ``1 / (permutations + 1)``
    get ``max_permutations`` fresh draws when their (BH-adjusted, if ``fdr``)
    two-sided p-value is still above ``level``, i.e. when the floor rather
    than the data decides their class. The second run replaces the first,
    which keeps the p-values valid (Besag and Clifford 1991).
    """
    pg, pl = perm_tail_pvalues(values, adj, permutations=permutations, rng=rng, observed=lag)
    if max_permutations <= permutations:
        return pg, pl, 0
    p = two_sided(pg, pl)
    p_cls = bh_adjust(p) if fdr else p
    at_floor = np.minimum(pg, pl) <= (1.0 / (permutations + 1.0)) * (1 + 1e-9)
    todo = np.flatnonzero(at_floor & (p_cls > level))
    if todo.size == 0:
        return pg, pl, 0
    pg2, pl2 = perm_tail_pvalues(
        values, adj, permutations=max_permutations, rng=rng, subset=todo, observed=lag
    )
    pg, pl = pg.copy(), pl.copy()
    pg[todo], pl[todo] = pg2, pl2
    return pg, pl, int(todo.size)


def csr_tails(
    hood: np.ndarray,
    adj: sparse.csr_array,
    total: float,
    exposure: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower tail of each neighbourhood count under an even spread.

    Binomial with ``total`` trials and the neighbourhood's (the observation's
    and its neighbours') share of ``exposure`` (default equal shares): the exact
    null of Gi* on counts spread evenly over the study area.
    """
    n = len(hood)
    e = np.ones(n) if exposure is None else np.asarray(exposure, dtype=float).ravel()
    if len(e) != n or not np.isfinite(e).all() or (e < 0).any() or e.sum() <= 0:
        msg = "gi_star: exposure must hold one non-negative number per observation."
        raise DataError(msg)
    share = np.clip((e + adj @ e) / e.sum(), 0.0, 1.0)
    # each distinct (count, share) once: a space-time cube repeats them across its bins
    # (the tails are computed element by element, so the same numbers)
    codes, distinct = pd.factorize(np.asarray(hood, dtype=float) + 1j * share)
    k, p = distinct.real, distinct.imag
    return binom_sf(k - 1, total, p)[codes], binom_cdf(k, total, p)[codes]


@dataclass(frozen=True, eq=False)
class GiPValues:
    """The p-values of Gi*: analytical, exact under an even spread, permutation.

    ``*_greater`` and ``*_lesser`` are the one-sided tails (NaN when not computed).
    """

    analytic: np.ndarray
    csr: np.ndarray
    csr_greater: np.ndarray
    csr_lesser: np.ndarray
    sim: np.ndarray
    sim_greater: np.ndarray
    sim_lesser: np.ndarray
    refined: int

    def of(self, inference: str) -> np.ndarray:
        """The p-value that decides the class under ``inference``."""
        if inference == "combined":
            return np.fmax(self.analytic, self.csr)
        return {"csr": self.csr, "analytic": self.analytic, "permutation": self.sim}[inference]

    def directions(self, inference: str) -> tuple[np.ndarray, np.ndarray]:
        """Where the test used points up (hot) and down (cold); both True for ``analytic``."""
        if inference in ("combined", "csr"):
            return self.csr_greater <= self.csr_lesser, self.csr_lesser < self.csr_greater
        if inference == "permutation":
            return self.sim_greater <= self.sim_lesser, self.sim_lesser < self.sim_greater
        ones = np.ones(len(self.analytic), dtype=bool)
        return ones, ones


def gi_pvalues(
    values: np.ndarray,
    adj: sparse.csr_array,
    z: np.ndarray,
    island: np.ndarray,
    *,
    exposure: Any,
    counts: bool,
    permutations: int,
    rng: np.random.Generator,
    fdr: bool,
    max_permutations: int,
    level: float,
) -> GiPValues:
    """Analytical, even-spread (counts only) and permutation p-values of Gi*.

    ``z`` are the Gi* z-scores, ``island`` the observations without neighbours
    (p-value 1); permutation p-values at the floor are refined up to
    ``max_permutations`` draws where the floor decides the class at ``level``
    (see :func:`refined_perm`).
    """
    n = len(values)
    total = values.sum()
    null = island | (total == 0)
    p_an = np.where(null, 1.0, 2.0 * norm_sf(np.abs(z)))
    lag = adj @ values
    nan = np.full(n, np.nan)
    csr_g = csr_l = p_csr = nan
    if counts:  # exact test under an even spread (multinomial null)
        csr_g, csr_l = csr_tails(values + lag, adj, total, exposure)
        p_csr = np.where(null, 1.0, two_sided(csr_g, csr_l))
    pg = pl = p_sim = nan
    refined = 0
    if permutations > 0:
        pg, pl, refined = refined_perm(
            values,
            adj,
            lag,
            permutations=permutations,
            rng=rng,
            fdr=fdr,
            max_permutations=max_permutations,
            level=level,
        )
        p_sim = two_sided(pg, pl)
    return GiPValues(p_an, p_csr, csr_g, csr_l, p_sim, pg, pl, refined)
