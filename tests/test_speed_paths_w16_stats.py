"""The wave 16 shortcuts of the statistics give exactly what the direct computations give.

* :func:`borderwatch._stats._sorted_neighbour_sums` (whole-number values) gives the
  neighbour sums of :func:`borderwatch._stats._neighbour_sums`, bit for bit;
* :func:`borderwatch._stats._sorted_draws` draws what the former ``_draws`` drew (the
  same random stream) and sorts each row as ``np.sort`` does;
* :func:`borderwatch._stats.perm_tail_pvalues` gives the same p-values by either path.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from scipy import sparse
from shapely.geometry import Polygon, box

from borderwatch import _stats
from borderwatch._clustertest import AreaTest
from borderwatch._stats import (
    _exact_sums,
    _neighbour_sums,
    _sorted_columns,
    _sorted_draws,
    _sorted_neighbour_sums,
    perm_tail_pvalues,
)


def _former_draws(rng: np.random.Generator, n_pop: int, rows: int, c: int) -> np.ndarray:
    """The draws as they were drawn before wave 16 (the reference stream)."""
    if n_pop <= 64 or c * 4 > n_pop:
        return np.argsort(rng.random((rows, n_pop)), axis=1)[:, :c]
    out = rng.integers(0, n_pop, size=(rows, c))
    while True:
        srt = np.sort(out, axis=1)
        dup = (srt[:, 1:] == srt[:, :-1]).any(axis=1) if c > 1 else np.zeros(rows, bool)
        if not dup.any():
            return out
        out[dup] = rng.integers(0, n_pop, size=(int(dup.sum()), c))


@pytest.mark.parametrize("seed", range(6))
def test_sorted_draws_are_the_former_draws_sorted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n_pop = int(rng.integers(1, 3000))
        c = int(rng.integers(1, min(n_pop, 40) + 1))
        rows = int(rng.integers(1, 300))
        state = rng.bit_generator.state
        former = _former_draws(rng, n_pop, rows, c)
        after = rng.bit_generator.state
        rng.bit_generator.state = state
        d, ds = _sorted_draws(rng, n_pop, rows, c)
        assert rng.bit_generator.state == after  # the stream goes on as before
        np.testing.assert_array_equal(d, former)
        np.testing.assert_array_equal(ds, np.sort(former, axis=1))


@pytest.mark.parametrize("c", [1, 2, 3, 7, 16, 17, 30])
def test_sorted_columns_is_numpy_sort(c: int) -> None:
    a = np.random.default_rng(c).integers(0, 5, size=(c, 500))
    np.testing.assert_array_equal(_sorted_columns(a), np.sort(a, axis=0))


@pytest.mark.parametrize("seed", range(8))
def test_sorted_neighbour_sums_equal_the_direct_sums(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(50):
        n = int(rng.integers(3, 500))
        y = rng.poisson(rng.choice([0.3, 3.0, 300.0]), n).astype(float)
        if seed % 2:
            y -= rng.integers(0, 3, n)  # negative whole numbers too
        c = int(rng.integers(1, min(n - 1, 30) + 1))
        focal = rng.choice(n, int(rng.integers(1, min(n, 600) + 1)), replace=False)
        if seed % 4 < 2:
            focal = np.sort(focal)
        d, ds = _sorted_draws(rng, n - 1, int(rng.integers(1, 80)), c)
        assert _exact_sums(y, c)
        direct = _neighbour_sums(y, d, np.sort(focal))
        mine = _sorted_neighbour_sums(y, ds, focal)
        np.testing.assert_array_equal(mine[np.argsort(focal)], direct)


def test_exact_sums_only_for_whole_numbers_far_below_2_53() -> None:
    assert _exact_sums(np.array([0.0, 3.0, 7.0]), 5)
    assert not _exact_sums(np.array([0.5, 3.0]), 2)
    assert not _exact_sums(np.array([np.nan, 3.0]), 2)
    assert not _exact_sums(np.array([2.0**51, 1.0]), 4)


@pytest.mark.parametrize("seed", range(4))
def test_permutation_pvalues_are_the_same_by_either_path(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    y = rng.poisson(1.5, n).astype(float)
    adj = sparse.random(n, n, density=0.015, random_state=seed, data_rvs=np.ones)
    adj = sparse.csr_array(((adj + adj.T) > 0).astype(float))
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj.sort_indices()
    subset = np.sort(rng.choice(n, 40, replace=False))
    for perms, sub in ((199, None), (5000, subset)):
        fast = perm_tail_pvalues(
            y, adj, permutations=perms, rng=np.random.default_rng(seed), subset=sub
        )
        with monkeypatch.context() as m:
            m.setattr(_stats, "_exact_sums", lambda *a, **k: False)
            m.setattr(
                _stats, "_sorted_draws", lambda rng, n, r, c: (_former_draws(rng, n, r, c), None)
            )
            slow = perm_tail_pvalues(
                y, adj, permutations=perms, rng=np.random.default_rng(seed), subset=sub
            )
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])


def test_csr_tails_are_the_binomial_tails_of_each_cell() -> None:
    from borderwatch._dist import binom_cdf, binom_sf
    from borderwatch._stats import csr_tails

    rng = np.random.default_rng(11)
    n = 3_000
    adj = sparse.random(n, n, density=0.002, random_state=2, data_rvs=np.ones)
    adj = sparse.csr_array(((adj + adj.T) > 0).astype(float))
    hood = rng.poisson(0.7, n).astype(float)  # many repeated (count, share) pairs
    for exposure in (None, np.tile(rng.uniform(0.5, 2.0, 100), n // 100)):
        e = np.ones(n) if exposure is None else exposure
        share = np.clip((e + adj @ e) / e.sum(), 0.0, 1.0)
        upper, lower = csr_tails(hood, adj, float(hood.sum()), exposure)
        assert upper.tobytes() == binom_sf(hood - 1, float(hood.sum()), share).tobytes()
        assert lower.tobytes() == binom_cdf(hood, float(hood.sum()), share).tobytes()


def _clustering_area(shift: float, scale: float) -> shapely.Geometry:
    """Two polygons, one with a hole (coordinates times ``scale`` plus ``shift``)."""
    outer = Polygon(
        [(0, 0), (70, 5), (100, 60), (40, 90), (5, 50)], holes=[[(30, 30), (50, 30), (45, 50)]]
    )
    area = shapely.union(outer, box(100, 60, 130, 75))
    return shapely.affinity.affine_transform(area, [scale, 0, 0, scale, shift, shift])


@pytest.mark.parametrize(("shift", "scale"), [(0.0, 1_000.0), (3e6, 1_000.0), (1e7, 0.5)])
@pytest.mark.parametrize("cells", [4_096, 262_144])
def test_area_test_near_the_edge_answers_as_contains_xy(
    shift: float, scale: float, cells: int
) -> None:
    area = _clustering_area(shift, scale)
    test = AreaTest(area, cells=cells)
    rng = np.random.default_rng(cells)
    minx, miny, maxx, maxy = area.bounds
    xy = rng.uniform((minx, miny), (maxx, maxy), (100_000, 2))  # all in the lattice
    on_edges = shapely.get_coordinates(shapely.segmentize(area.boundary, 5 * scale))
    # on the lattice's lines, and a rounding away from them, near the edge
    k = rng.integers(0, min(test.shape), 4_000)
    lines = test.origin + test.side * k[:, None]
    lines = np.vstack([lines, np.nextafter(lines, np.inf), np.nextafter(lines, -np.inf)])
    lines[:, 1] = rng.uniform(miny, maxy, len(lines))
    near = on_edges + rng.normal(0.0, test.side / 3, on_edges.shape)
    xy = np.vstack([xy, on_edges, lines, near])
    xy = xy[(xy >= [minx, miny]).all(axis=1) & (xy <= [maxx, maxy]).all(axis=1)]
    expected = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    assert (test.contains(xy) == expected).all()
    assert 0 < expected.sum() < len(xy)
