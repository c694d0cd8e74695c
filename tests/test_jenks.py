"""The numpy Fisher-Jenks breaks equal mapclassify.FisherJenks (the reference) exactly."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.maps._jenks import fisher_jenks_bins
from borderwatch.maps._units import _classify

mapclassify = pytest.importorskip("mapclassify")


def _values(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "counts":  # many ties, as unit incident counts
        return rng.integers(0, 30, n).astype(float)
    if kind == "skewed":
        return rng.lognormal(2, 1.5, n)
    return np.round(rng.gamma(0.5, 20, n), 1)  # rates with ties after rounding


@pytest.mark.parametrize("kind", ["counts", "skewed", "rates"])
@pytest.mark.parametrize("seed", range(8))
def test_breaks_equal_the_reference(kind, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 300))
    k = int(rng.integers(2, 8))
    y = _values(kind, n, rng)
    if np.unique(y).size <= k:
        y = np.append(y, np.arange(k + 1) * 1000.0)
    assert np.array_equal(fisher_jenks_bins(y, k=k), mapclassify.FisherJenks(y, k=k).bins)


def test_unit_classes_at_the_limits():
    # a thousand distinct values still use Fisher-Jenks; above that, quantiles as mapclassify.Quantiles
    rng = np.random.default_rng(1)
    y = rng.permutation(np.arange(1000.0))
    _, bins = _classify(y)
    assert bins == [float(b) for b in mapclassify.FisherJenks(y, k=5).bins]
    y = np.arange(2000.0)
    cls, bins = _classify(np.append(y, np.nan))
    assert np.allclose(bins, mapclassify.Quantiles(y, k=5).bins, rtol=1e-12, atol=0)
    assert cls[-1] == -1 and cls.max() == 4
