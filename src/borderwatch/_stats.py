"""Private statistical engines: conditional permutation, FDR, Mann-Kendall.

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

import numpy as np
from scipy import sparse, stats

__all__ = ["bh_adjust", "mann_kendall", "perm_tail_pvalues", "two_sided"]

#: Elements (observations x permutations) per vectorised chunk.
CHUNK_ELEMENTS = 1_000_000
#: Largest number of focal observations sharing one matrix of draws.
CHUNK_FOCAL = 512


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN, not counted).

    Thin wrapper around :func:`scipy.stats.false_discovery_control`.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(np.clip(p[ok], 0.0, 1.0), method="bh")
    return out


def two_sided(p_greater: np.ndarray, p_lesser: np.ndarray) -> np.ndarray:
    """Two-sided p-value from the two one-sided ones: ``min(1, 2 * min(pg, pl))``."""
    return np.minimum(1.0, 2.0 * np.minimum(p_greater, p_lesser))


def _draws(rng: np.random.Generator, n_pop: int, rows: int, c: int) -> np.ndarray:
    """``rows`` draws of ``c`` distinct integers from ``range(n_pop)``."""
    if c > n_pop:
        msg = f"cannot draw {c} neighbours from {n_pop} other observations"
        raise ValueError(msg)
    if n_pop <= 64 or c * 4 > n_pop:
        return np.argsort(rng.random((rows, n_pop)), axis=1)[:, :c]
    out = rng.integers(0, n_pop, size=(rows, c))
    while True:
        srt = np.sort(out, axis=1)
        dup = (srt[:, 1:] == srt[:, :-1]).any(axis=1) if c > 1 else np.zeros(rows, bool)
        if not dup.any():
            return out
        out[dup] = rng.integers(0, n_pop, size=(int(dup.sum()), c))


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
    for c in np.unique(card[pos]):
        grp = np.flatnonzero(card[pos] == c)
        block = max(1, min(CHUNK_FOCAL, CHUNK_ELEMENTS // permutations))
        for start in range(0, len(grp), block):
            sel = grp[start : start + block]
            focal = idx[pos[sel]]
            d = _draws(rng, n - 1, permutations, int(c))  # shared by the chunk
            sims = _neighbour_sums(y, d, focal)
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
    p = np.where(var > 0, 2.0 * stats.norm.sf(np.abs(z)), 1.0)
    return s, z, p
