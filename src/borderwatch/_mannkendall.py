"""The Mann-Kendall trend test with the exact null distribution for short series.

For a series ``x_1 .. x_T``, ``S = sum_{i<j} sign(x_j - x_i)`` (Mann 1945;
Kendall 1975). Under no trend every ordering of the observed values is equally
likely. For ``T <= EXACT_MAX_BINS`` the p-value comes from the exact
distribution of ``S`` over those orderings, ties included; above it from the
normal approximation with the tie-corrected variance
(:func:`borderwatch._stats.mann_kendall`).

The exact distribution: with tied groups of sizes ``t_1 .. t_k``, ``S = P -
2 D`` where ``P`` is the number of untied pairs and ``D`` the number of
discordant (inverted) pairs, and the number of orderings with ``D = d`` is
the coefficient of ``q**d`` in the q-multinomial coefficient
``[T; t_1, .., t_k]_q``, built here as a product of q-binomials.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._stats import mann_kendall

__all__ = ["EXACT_MAX_BINS", "exact_s_distribution", "mk_test"]

#: Series up to this length get exact p-values.
EXACT_MAX_BINS = 10


@lru_cache(maxsize=1024)
def _q_binomial(m: int, r: int) -> tuple[int, ...]:
    """Coefficients of the Gaussian binomial ``[m; r]_q`` (index: power of q)."""
    if r == 0 or r == m:
        return (1,)
    a = _q_binomial(m - 1, r - 1)
    b = _q_binomial(m - 1, r)
    out = [0] * (r * (m - r) + 1)
    for i, c in enumerate(a):
        out[i] += c
    for i, c in enumerate(b):
        out[i + r] += c
    return tuple(out)


@lru_cache(maxsize=4096)
def exact_s_distribution(ties: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Exact null distribution of ``S`` for tied-group sizes ``ties`` (summing to ``T``).

    Returns the support of ``S`` (ascending) and its probabilities.

    Examples
    --------
    >>> s, p = exact_s_distribution((1, 1, 1, 1))
    >>> s.tolist()[-2:], float(p[-1] * 24)
    ([4, 6], 1.0)
    """
    n = sum(ties)
    poly = np.array([1.0])
    seen = 0
    for g in ties:
        seen += g
        poly = np.convolve(poly, np.array(_q_binomial(seen, g), dtype=float))
    untied = n * (n - 1) // 2 - sum(g * (g - 1) // 2 for g in ties)
    s = untied - 2 * np.arange(len(poly))
    order = np.argsort(s)
    return s[order], poly[order] / poly.sum()


def _exact_p(row: np.ndarray, s_obs: float) -> float:
    _, counts = np.unique(row, return_counts=True)
    if len(counts) == 1:
        return 1.0
    s, p = exact_s_distribution(tuple(sorted(int(c) for c in counts)))
    return float(min(1.0, p[np.abs(s) >= abs(s_obs) - 1e-9].sum()))


def mk_test(
    x: np.ndarray, *, exact_max: int = EXACT_MAX_BINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall test on each row of ``x`` (rows: series, columns: time).

    Parameters
    ----------
    x : array (series, T)
    exact_max : int
        Series up to this length get the exact two-sided p-value
        ``P(|S| >= |s|)`` over every ordering of the observed values; longer
        ones the normal approximation.

    Returns
    -------
    s, z, p : arrays
        The statistic, the tie-corrected z-score (its sign gives the direction)
        and the two-sided p-value (1 for a constant series).

    Examples
    --------
    >>> s, z, p = mk_test(np.array([[1.0, 2.0, 3.0, 4.0]]))
    >>> int(s[0]), round(float(p[0]), 4)  # exact: 2/24; the normal approximation says 0.041
    (6, 0.0833)
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    s, z, p = mann_kendall(x)
    if 2 <= x.shape[1] <= exact_max:
        p = np.array([_exact_p(row, si) for row, si in zip(x, s, strict=True)])
    return s, z, p
