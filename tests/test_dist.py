"""borderwatch._dist returns the same bits as scipy.stats (which the CLI no longer imports)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from borderwatch import _dist
from borderwatch._stats import bh_adjust as stats_bh_adjust


def _same(a: object, b: object) -> bool:
    """Bit for bit: same values (NaN where NaN), same dtype, same shape, same sign of zero."""
    x, y = np.asarray(a), np.asarray(b)
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    return bool(
        np.array_equal(x, y, equal_nan=True) and np.array_equal(np.signbit(x), np.signbit(y))
    )


EDGE_Z = np.array(
    [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-8, 0.5, 1.0, 1.6448536269514722, 1.959963984540054]
    + [2.5758293035489004, 5.0, 8.0, 10.0, 20.0, 37.5, 38.5, 40.0, 1e3, 1e300]
    + [-1e300, -40.0, -8.0, -1.0, np.inf, -np.inf, np.nan]
)


def test_norm_sf_is_scipy_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    z = np.concatenate([EDGE_Z, rng.normal(0, 3, 20_000), rng.standard_cauchy(2_000), EDGE_Z[:5]])
    assert _same(_dist.norm_sf(z), stats.norm.sf(z))
    assert _same(_dist.norm_sf(np.abs(z)), stats.norm.sf(np.abs(z)))
    for v in EDGE_Z:
        assert _same(_dist.norm_sf(v), stats.norm.sf(v)), v
    assert _same(_dist.norm_sf(np.zeros((3, 4))), stats.norm.sf(np.zeros((3, 4))))


def test_norm_ppf_is_scipy_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    q = np.concatenate(
        [
            [0.0, 1.0, 0.5, 0.975, 0.025, 5e-324, 1e-300, 1 - 1e-16, -0.1, 1.1, np.nan],
            rng.random(20_000),
        ]
    )
    assert _same(_dist.norm_ppf(q), stats.norm.ppf(q))
    assert _same(_dist.norm_ppf(0.975), stats.norm.ppf(0.975))


def _binom_cases() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    size = 30_000
    n = rng.integers(0, 50_000, size).astype(float)
    p = rng.random(size) ** rng.integers(1, 8, size)
    k = np.floor(rng.random(size) ** 2 * (n + 3)) - 1  # -1 .. n + 1
    # edge cases: k below / at / above the support, p at 0 and 1, tiny p, n = 0,
    # non-integral or negative n, p outside [0, 1], NaN and infinite k, half-integer k
    ek = [-1, 0, 0, 5, 5, 5, 5, 10, 11, 0, 3, 3, 3, np.nan, np.inf, -np.inf, 2.5, 0, 7, 1e6]
    en = [10, 10, 0, 10, 10, 10, 10, 10, 10, 10, 10.5, -1, 10, 10, 10, 10, 10, 1, 1e6, 1e6]
    ep = [0.3, 0.3, 0.3, 0.0, 1.0, 1e-300, 1 - 1e-16, 0.3, 0.3, 1.0, 0.3, 0.3, 1.5, 0.3]
    ep += [0.3, 0.3, 0.3, np.nan, 1e-9, 0.999999]
    return (np.concatenate([ek, k]), np.concatenate([en, n]), np.concatenate([ep, p]))


def test_binom_sf_and_cdf_are_scipy_bit_for_bit() -> None:
    k, n, p = _binom_cases()
    with np.errstate(all="ignore"):
        assert _same(_dist.binom_sf(k, n, p), stats.binom.sf(k, n, p))
        assert _same(_dist.binom_cdf(k, n, p), stats.binom.cdf(k, n, p))
        # as csr_tails calls them: one total, float shares, hood - 1 and hood
        hood = np.array([0.0, 1.0, 2.0, 2.0, 7.0, 40.0, 0.0])
        share = np.array([0.0, 0.01, 0.5, 0.5, 1.0, 0.02, 1.0])
        assert _same(_dist.binom_sf(hood - 1, 40.0, share), stats.binom.sf(hood - 1, 40.0, share))
        assert _same(_dist.binom_cdf(hood, 40.0, share), stats.binom.cdf(hood, 40.0, share))
        for i in range(20):  # scalars
            assert _same(_dist.binom_sf(k[i], n[i], p[i]), stats.binom.sf(k[i], n[i], p[i])), i
            assert _same(_dist.binom_cdf(k[i], n[i], p[i]), stats.binom.cdf(k[i], n[i], p[i])), i


def test_beta_ppf_is_scipy_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    size = 3_000
    a = np.concatenate([[1, 1, 1, 0, -1, 2, 5, 1e-3, 1e4, 1], rng.integers(1, 2_000, size)])
    b = np.concatenate([[1, 1, 1, 1, 1, 0, 5, 3, 1e4, np.nan], rng.integers(1, 2_000, size)])
    q = np.concatenate(
        [[0.0, 1.0, 0.5, 0.5, 0.5, 0.5, np.nan, 0.025, 0.975, 0.5], rng.random(size)]
    )
    q[-100:] = 0.025  # the levels rate_ratio_ci asks for
    q[-50:] = 0.975
    assert _same(_dist.beta_ppf(q, a, b), stats.beta.ppf(q, a, b))
    for a0, b0 in [(1, 101), (40, 101), (41, 100), (1, 1), (3000, 2)]:
        for q0 in (0.025, 0.975):
            assert _same(_dist.beta_ppf(q0, a0, b0), stats.beta.ppf(q0, a0, b0))


@pytest.mark.parametrize("size", [0, 1, 2, 15, 5_000])
def test_bh_adjust_is_scipy_bit_for_bit(size: int) -> None:
    rng = np.random.default_rng(size)
    p = rng.random(size) ** 3
    if size > 2:
        p[: size // 3] = p[size // 3 : 2 * (size // 3)]  # ties
        p[0], p[1] = 0.0, 1.0
    p = rng.permutation(p)
    expected = stats.false_discovery_control(p, method="bh") if size > 0 else p
    assert _same(_dist.bh_adjust(p), expected)
    # NaN is left out and stays NaN; values outside [0, 1] are clipped first
    with_nan = np.concatenate([p, [np.nan, 1.5, -0.2]])
    got = stats_bh_adjust(with_nan)
    ok = np.clip(np.concatenate([p, [1.5, -0.2]]), 0, 1)
    ref = stats.false_discovery_control(ok, method="bh") if len(ok) > 1 else ok
    assert np.isnan(got[size]) and _same(np.delete(got, size), ref)


def test_bh_adjust_of_discrete_permutation_pvalues() -> None:
    # many ties, as from 99 permutations
    rng = np.random.default_rng(9)
    p = (rng.integers(1, 101, 4_000) / 100.0).astype(float)
    assert _same(_dist.bh_adjust(p), stats.false_discovery_control(p, method="bh"))
