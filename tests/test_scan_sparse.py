"""The scan's two Monte Carlo paths (borderwatch._scan.block_maxima): the walk of every
window with the replicates as lanes, and the sparse walk of only the rings that hold a
replicate's cells with a count (borderwatch._scan_sparse). Both must give the same
maxima, bit for bit, and each replicate's best window as the observed-data kernel
(borderwatch._scan.best_windows) finds it."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch import _scan, _scan_sparse


def _lattice(shape: str, ni: int, nj: int, rng: np.random.Generator, holes: float = 0.15):
    """A ``ni x nj`` lattice of ``shape`` with some cells missing (a clipped grid)."""
    gi, gj = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    gi, gj = gi.ravel(), gj.ravel()
    keep = rng.random(len(gi)) >= holes
    keep[0] = True
    gi, gj = gi[keep], gj[keep]
    if shape == "hex":  # axial coordinates -> centres
        x, y = (gi + gj / 2.0) * 1000.0, gj * 1000.0 * np.sqrt(3.0) / 2.0
    else:
        x, y = (gi + 0.5) * 1000.0, (gj + 0.5) * 1000.0
    return _scan.lattice_of(x, y, spacing_m=1000.0, shape=shape)


def _want(lat, cnt, pop, qmax, min_cases):
    """Each replicate's best window by the observed-data kernel."""
    return np.array(
        [
            _scan.best_windows(lat, cnt[:, r], pop, qmax, min_cases=min_cases)[0].max()
            for r in range(cnt.shape[1])
        ]
    )


CASES = [
    # shape, total, null, min_cases, max_share, population
    ("square", 1, "incidents", 2, 0.5, "area"),
    ("hex", 2, "incidents", 2, 0.5, "random"),
    ("square", 3, "stacks", 1, 0.5, "random"),
    ("hex", 5, "stacks", 2, 0.5, "area"),
    ("square", 8, "incidents", 3, 0.2, "zeros"),
    ("hex", 20, "stacks", 2, 0.1, "random"),
    ("square", 60, "incidents", 2, 0.5, "random"),
    ("hex", 200, "incidents", 1, 0.3, "zeros"),
    ("square", 200, "stacks", 4, 0.5, "area"),
]


@pytest.mark.parametrize(("shape", "total", "null", "min_cases", "max_share", "population"), CASES)
def test_sparse_and_lane_paths_give_the_same_maxima(
    shape, total, null, min_cases, max_share, population
):
    rng = np.random.default_rng(total * 7 + min_cases)
    lat = _lattice(shape, 17, 13, rng)
    n = len(lat.ci)
    if population == "area":
        pop = np.ones(n)
    elif population == "random":
        pop = rng.uniform(0.2, 5.0, n)
    else:  # some cells without population (a raster's empty cells)
        pop = rng.uniform(0.2, 5.0, n) * (rng.random(n) > 0.3)
    qmax = _scan.window_limits(lat, pop, max_share=max_share)
    if null == "stacks":  # a few stacks of several incidents
        sizes = rng.integers(1, 6, total)
        sizes = sizes[np.cumsum(sizes) <= total]
        sizes = np.r_[sizes, total - sizes.sum()] if sizes.sum() < total else sizes
    else:
        sizes = np.ones(total, dtype=np.int64)
    reps = 37
    cnt = _scan.replicate_counts(3, pop / pop.sum(), sizes, reps)
    assert (cnt.sum(axis=0) == total).all()
    kw = {"total": total, "min_cases": min_cases}
    sparse = _scan.block_maxima(lat, pop, qmax, cnt, path="sparse", **kw)
    lanes = _scan.block_maxima(lat, pop, qmax, cnt, path="lanes", **kw)
    np.testing.assert_array_equal(sparse, lanes)  # bit for bit
    np.testing.assert_allclose(sparse, _want(lat, cnt, pop, qmax, min_cases), rtol=0, atol=1e-9)
    if total >= min_cases:
        assert (sparse > 0).any()  # the comparison is not between zeros


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_sparse_path_finds_a_maximum_at_a_ring_end_far_from_the_centre(shape):
    """One case in each cell of a band: the best window is the band's largest circle, its
    last ring far from its centre; the sparse path must reach it (not stop at the
    centre's own ring or at its first rings with a case)."""
    rng = np.random.default_rng(0)
    lat = _lattice(shape, 40, 3, rng, holes=0.0)
    n = len(lat.ci)
    pop = np.ones(n)
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    cnt = np.zeros((n, 3), dtype=np.int64)
    cnt[lat.ci < 16, 0] = 1  # replicate 0: the band of the 16 first columns
    cnt[(lat.ci >= 10) & (lat.ci < 22), 1] = 1  # replicate 1: a band in the middle
    cnt[[0, n - 1], 2] = 3  # replicate 2: two far corners only
    total = int(cnt[:, 0].sum())
    cnt[0, 1] += total - cnt[:, 1].sum()  # the same total in every replicate
    cnt[1, 2] += total - cnt[:, 2].sum()
    best, bq, _, _ = _scan.best_windows(lat, cnt[:, 0], pop, qmax, min_cases=2)
    centre = int(np.argmax(best))
    assert lat.radius_m(int(bq[centre])) >= 5 * lat.spacing_m  # far from the centre
    kw = {"total": total, "min_cases": 2}
    sparse = _scan.block_maxima(lat, pop, qmax, cnt, path="sparse", **kw)
    lanes = _scan.block_maxima(lat, pop, qmax, cnt, path="lanes", **kw)
    np.testing.assert_array_equal(sparse, lanes)
    np.testing.assert_allclose(sparse, _want(lat, cnt, pop, qmax, 2), rtol=0, atol=1e-9)
    assert sparse[0] == best.max()


@pytest.mark.parametrize("total", [(1 << 24) - 1, (1 << 24) + 7])
def test_lane_screen_and_its_exact_fallback_past_float32_counts(total):
    """The lanes are screened in single precision only while every count is exact in
    float32 (below 2**24); from there every lane is checked exactly. On both sides of
    that edge, with a cluster planted in some replicates, the lanes' maxima equal the
    sparse path's and the observed-data kernel's."""
    rng = np.random.default_rng(11)
    lat = _lattice("hex", 15, 12, rng)
    n = len(lat.ci)
    pop = rng.uniform(0.5, 3.0, n)
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    share = pop / pop.sum()
    cnt = rng.multinomial(total, share, size=6).T.astype(np.int64)
    boost = share.copy()
    boost[:5] *= 1.01  # a faint cluster: its excess is a few standard deviations
    cnt[:, 3:] = rng.multinomial(total, boost / boost.sum(), size=3).T
    kw = {"total": total, "min_cases": 2}
    lanes = _scan.block_maxima(lat, pop, qmax, cnt, path="lanes", **kw)
    sparse = _scan.block_maxima(lat, pop, qmax, cnt, path="sparse", **kw)
    np.testing.assert_array_equal(sparse, lanes)  # bit for bit
    np.testing.assert_allclose(lanes, _want(lat, cnt, pop, qmax, 2), rtol=0, atol=1e-6)
    assert (lanes > 0).all()


def test_auto_path_is_sparse_for_few_cases_and_lanes_for_many(monkeypatch):
    rng = np.random.default_rng(5)
    lat = _lattice("hex", 40, 40, rng)
    pop = rng.uniform(1, 2, len(lat.ci))
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    taken: list[str] = []
    sparse_maxima = _scan_sparse.sparse_maxima

    def spy(*args, **kwargs):
        taken.append("sparse")
        return sparse_maxima(*args, **kwargs)

    monkeypatch.setattr(_scan_sparse, "sparse_maxima", spy)
    for total in (4, 5_000):
        cnt = _scan.replicate_counts(1, pop / pop.sum(), np.ones(total, dtype=np.int64), 256)
        taken.append(f"total {total}")
        _scan.block_maxima(lat, pop, qmax, cnt, total=total, min_cases=2)
    assert taken == ["total 4", "sparse", "total 5000"]
    with pytest.raises(ValueError, match="path must be"):
        _scan.block_maxima(lat, pop, qmax, cnt, total=5_000, min_cases=2, path="fast")


def test_ring_last_and_nonzero_columns():
    gx, gy = np.meshgrid((np.arange(4) + 0.5) * 1000.0, (np.arange(3) + 0.5) * 1000.0)
    lat = _scan.lattice_of(gx.ravel(), gy.ravel(), spacing_m=1000.0, shape="square")
    last = _scan_sparse.ring_last(lat)
    for q in range(len(last)):
        r = last[q]
        assert lat.ring_end[r] and lat.norm[r] == lat.norm[q]
        assert not lat.ring_end[q:r].any()
    cnt = np.array([[0, 2, 0], [1, 0, 0], [0, 3, 0], [4, 0, 0]], dtype=np.uint8)
    ptr, cell, count = _scan_sparse.nonzero_columns(cnt)
    assert ptr.tolist() == [0, 2, 4, 4]
    assert cell.tolist() == [1, 3, 0, 2] and count.tolist() == [1, 4, 2, 3]
