"""The few ``scipy.stats`` functions borderwatch needs, without importing ``scipy.stats``.

Importing ``scipy.stats`` costs about 0.5-0.8 s (it loads every distribution,
``scipy.optimize``, ``scipy.integrate`` and ``scipy.interpolate``), paid by every
CLI run although borderwatch uses five of its functions. Each function here
returns the same bits as its ``scipy.stats`` counterpart (checked value for
value with :func:`numpy.array_equal` in ``tests/test_dist.py``):

- :func:`norm_sf` and :func:`norm_ppf`: ``scipy.stats.norm`` evaluates these as
  ``scipy.special.ndtr(-x)`` and ``scipy.special.ndtri(q)``, public ufuncs.
- :func:`binom_sf`, :func:`binom_cdf` and :func:`beta_ppf`: ``scipy.stats``
  evaluates these with Boost-based ufuncs of ``scipy.special._ufuncs``
  (``_binom_sf``, ``_binom_cdf``, ``_beta_ppf``); the public look-alikes
  (``bdtrc``, ``betaincc``, ``betaincinv``) differ in the last bits. The
  functions here call the same ufuncs, with the argument checks of
  ``scipy.stats`` around them, and fall back to ``scipy.stats`` itself should
  a SciPy version not have these ufuncs.
- :func:`bh_adjust`: Benjamini-Hochberg adjusted p-values, the operations of
  ``scipy.stats.false_discovery_control(method="bh")`` in the same order.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from scipy import special

__all__ = ["beta_ppf", "bh_adjust", "binom_cdf", "binom_sf", "norm_ppf", "norm_sf"]

_UFUNCS = importlib.import_module("scipy.special._ufuncs")
#: The Boost ufuncs scipy.stats.binom and scipy.stats.beta call (None if absent).
_BINOM_SF: Any = getattr(_UFUNCS, "_binom_sf", None)
_BINOM_CDF: Any = getattr(_UFUNCS, "_binom_cdf", None)
_BETA_PPF: Any = getattr(_UFUNCS, "_beta_ppf", None)


def _out(a: np.ndarray) -> Any:
    """A 0-d result as a NumPy scalar, as scipy.stats returns it."""
    return a[()] if a.ndim == 0 else a


def norm_sf(x: Any) -> Any:
    """Upper tail of the standard normal, ``scipy.stats.norm.sf(x)``.

    Examples
    --------
    >>> float(norm_sf(1.959963984540054))
    0.025
    """
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q: Any) -> Any:
    """Quantile of the standard normal, ``scipy.stats.norm.ppf(q)``.

    Examples
    --------
    >>> float(norm_ppf(0.975))
    1.959963984540054
    """
    q = np.asarray(q, dtype=float)
    inside = (q > 0) & (q < 1)
    out = np.where(q == 0, -np.inf, np.where(q == 1, np.inf, np.nan))
    out[inside] = special.ndtri(q[inside]) * 1.0 + 0.0
    return _out(out)


def _floats(*args: Any) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args)))


def _binom_valid(n: np.ndarray, p: np.ndarray) -> np.ndarray:
    return (n >= 0) & (n == np.round(n)) & (p >= 0) & (p <= 1)


def _binom_tail(ufunc: Any, k: Any, n: Any, p: Any, *, below: float, above: float) -> Any:
    """``ufunc`` (a Boost binomial tail) with scipy.stats' checks: ``below`` for ``k < 0``,
    ``above`` for ``k >= n``, NaN for invalid arguments."""
    k, n, p = _floats(k, n, p)
    valid = _binom_valid(n, p)
    inside = valid & (k >= 0) & (k < n) & np.isfinite(k)
    out = np.zeros(k.shape)
    out[k < 0] = below
    out[k >= n] = above
    out[~valid | np.isnan(k)] = np.nan
    if inside.any():
        out[inside] = np.clip(ufunc(np.floor(k[inside]), n[inside], p[inside]), 0, 1)
    return _out(out)


def binom_sf(k: Any, n: Any, p: Any) -> Any:
    """``P(X > k)`` for ``X ~ Binomial(n, p)``, ``scipy.stats.binom.sf(k, n, p)``.

    Examples
    --------
    >>> binom_sf([-1, 0, 2, 3], 3, 0.5).tolist()
    [1.0, 0.875, 0.125, 0.0]
    """
    if _BINOM_SF is None:  # pragma: no cover - a SciPy without the Boost ufunc
        from scipy import stats

        return stats.binom.sf(k, n, p)
    return _binom_tail(_BINOM_SF, k, n, p, below=1.0, above=0.0)


def binom_cdf(k: Any, n: Any, p: Any) -> Any:
    """``P(X <= k)`` for ``X ~ Binomial(n, p)``, ``scipy.stats.binom.cdf(k, n, p)``.

    Examples
    --------
    >>> binom_cdf([-1, 0, 2, 3], 3, 0.5).tolist()
    [0.0, 0.125, 0.875, 1.0]
    """
    if _BINOM_CDF is None:  # pragma: no cover - a SciPy without the Boost ufunc
        from scipy import stats

        return stats.binom.cdf(k, n, p)
    return _binom_tail(_BINOM_CDF, k, n, p, below=0.0, above=1.0)


def beta_ppf(q: Any, a: Any, b: Any) -> Any:
    """Quantile of the Beta(a, b) distribution, ``scipy.stats.beta.ppf(q, a, b)``.

    Examples
    --------
    >>> float(beta_ppf(0.5, 2.0, 2.0))
    0.5
    """
    if _BETA_PPF is None:  # pragma: no cover - a SciPy without the Boost ufunc
        from scipy import stats

        return stats.beta.ppf(q, a, b)
    q, a, b = _floats(q, a, b)
    valid = (a > 0) & (b > 0)
    inside = valid & (q > 0) & (q < 1)
    out = np.full(q.shape, np.nan)
    out[valid & (q == 0)] = 0.0
    out[valid & (q == 1)] = 1.0
    if inside.any():
        out[inside] = _BETA_PPF(q[inside], a[inside], b[inside]) * 1.0 + 0.0
    return _out(out)


def bh_adjust(p: Any) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN, not counted).

    The finite p-values, clipped to [0, 1], get the values of
    ``scipy.stats.false_discovery_control(p, method="bh")``: sorted, multiplied
    by ``m / rank``, the running minimum from the largest down, back in the
    input order, clipped to [0, 1].

    Examples
    --------
    >>> bh_adjust([0.5, 0.6, 0.1, 0.001, np.nan]).tolist()
    [0.6, 0.6, 0.2, 0.004, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    ps = np.clip(p[ok], 0.0, 1.0)
    m = ps.size
    if m <= 1:
        out[ok] = ps
        return out
    order = np.argsort(ps)
    ranked = ps[order] * (m / np.arange(1, m + 1, dtype=float))
    np.minimum.accumulate(ranked[::-1], out=ranked[::-1])
    adjusted = np.empty(m)
    adjusted[order] = ranked
    out[ok] = np.clip(adjusted, 0.0, 1.0)
    return out
