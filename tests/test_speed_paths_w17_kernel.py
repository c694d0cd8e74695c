"""Wave 17: the lanes walk on byte rows (borderwatch._scan_lanes).

A block's count rows hold each cell's counts less their least over the block's lanes
(a byte, the excess above it listed per cell), the window's bases are added once at
each ring end, and the plain counts are kept when too many do not fit. The maxima must
stay the same, bit for bit, as the sparse walk's (which never uses the rows), and equal
each replicate's best window by the observed-data kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch import _scan, _scan_lanes


def _lattice(shape: str, ni: int, nj: int, rng: np.random.Generator) -> _scan.Lattice:
    """A ``ni x nj`` lattice of ``shape`` with some cells missing (a clipped grid)."""
    gi, gj = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    gi, gj = gi.ravel(), gj.ravel()
    keep = rng.random(len(gi)) >= 0.15
    keep[0] = True
    gi, gj = gi[keep], gj[keep]
    if shape == "hex":
        x, y = (gi + gj / 2.0) * 1000.0, gj * 1000.0 * np.sqrt(3.0) / 2.0
    else:
        x, y = (gi + 0.5) * 1000.0, (gj + 0.5) * 1000.0
    return _scan.lattice_of(x, y, spacing_m=1000.0, shape=shape)


def _want(lat, cnt, pop, qmax, min_cases) -> np.ndarray:
    """Each replicate's best window by the observed-data kernel (every window's LLR)."""
    return np.array(
        [
            _scan.best_windows(lat, cnt[:, r], pop, qmax, min_cases=min_cases)[0].max()
            for r in range(cnt.shape[1])
        ]
    )


def _sizes(rng: np.random.Generator, total: int, top: int) -> np.ndarray:
    """Stack sizes of 1 .. ``top`` adding up to ``total``."""
    sizes = rng.integers(1, top + 1, total)
    sizes = sizes[np.cumsum(sizes) <= total]
    return np.r_[sizes, total - sizes.sum()] if sizes.sum() < total else sizes


CASES = [
    # shape, total, largest stack, min_cases, lanes per block, replicates
    ("square", 300, 1, 2, 512, 37),  # small counts: byte rows, 16-bit sums
    ("hex", 3_000, 4, 2, 512, 37),  # bases > 0, 16-bit sums
    ("square", 20_000, 1, 1, 8, 19),  # several blocks, a partial one
    ("hex", 60_000, 30, 3, 24, 41),  # stacks: counts above a byte, excess lists
    ("square", 70_000, 1, 2, 512, 33),  # 32-bit sums
    ("hex", 90_000, 200, 2, 16, 21),  # large stacks: too many excess entries, plain rows
    ("square", 5_000, 3, 40, 512, 29),  # min_cases above most windows' counts
]


@pytest.mark.parametrize(("shape", "total", "stack", "min_cases", "lanes", "reps"), CASES)
def test_byte_rows_give_the_sparse_walks_maxima_bit_for_bit(
    monkeypatch, shape, total, stack, min_cases, lanes, reps
):
    monkeypatch.setattr(_scan, "LANES", lanes)
    rng = np.random.default_rng(total + stack)
    lat = _lattice(shape, 14, 11, rng)
    n = len(lat.ci)
    pop = rng.uniform(0.2, 5.0, n) * (rng.random(n) > 0.2)
    qmax = _scan.window_limits(lat, pop, max_share=0.4)
    cnt = _scan.replicate_counts(7, pop / pop.sum(), _sizes(rng, total, stack), reps)
    assert (cnt.sum(axis=0) == total).all()
    kw = {"total": total, "min_cases": min_cases}
    lanes_max = _scan.block_maxima(lat, pop, qmax, cnt, path="lanes", **kw)
    sparse_max = _scan.block_maxima(lat, pop, qmax, cnt, path="sparse", **kw)
    np.testing.assert_array_equal(lanes_max, sparse_max)  # bit for bit
    want = _want(lat, cnt, pop, qmax, min_cases)
    np.testing.assert_allclose(lanes_max, want, rtol=0, atol=1e-9 * max(1.0, want.max()))


@pytest.mark.parametrize(
    ("top", "spikes", "width", "byte"),
    [(3, 0, 8, True), (200, 10, 8, True), (50, 20, 16, True), (60_000, 0, 24, False)],
)
def test_lane_blocks_hold_the_counts_exactly(top, spikes, width, byte):
    rng = np.random.default_rng(top + spikes)
    cnt = rng.integers(0, top + 1, (40, 37)).astype(np.uint32)
    cnt[rng.integers(0, 40, spikes), rng.integers(0, 37, spikes)] += 1_000  # excess
    cnt[5] = 0  # a cell without counts
    lb = _scan_lanes.lane_blocks(cnt, width)
    nsub = lb.rows.shape[0]
    got = np.zeros((40, nsub * width), dtype=np.int64)
    for s in range(nsub):
        part = lb.rows[s].astype(np.int64) + lb.base[s][:, None]
        for j in range(40):
            for o in range(lb.optr[s, j], lb.optr[s, j + 1]):
                part[j, lb.olane[o]] += lb.oadd[o]
        got[:, s * width : (s + 1) * width] = part
    np.testing.assert_array_equal(got[:, :37], cnt)
    assert lb.rows.dtype == (np.uint8 if byte else cnt.dtype)
    assert len(lb.olane) == (np.count_nonzero(cnt > 900) if byte else 0)


def test_null_maxima_with_stacks_unchanged_by_the_byte_rows(monkeypatch):
    """The same replicates through the byte rows and through the plain ones (forced)."""
    rng = np.random.default_rng(11)
    lat = _lattice("hex", 12, 12, rng)
    n = len(lat.ci)
    pop = rng.uniform(0.5, 3.0, n)
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    sizes = _sizes(rng, 40_000, 12)
    got = _scan.null_maxima(lat, pop, qmax, sizes, replicates=45, seed=3, min_cases=2)
    monkeypatch.setattr(_scan_lanes, "_EXCESS_SHARE", -1.0)  # every block: plain rows
    plain = _scan.null_maxima(lat, pop, qmax, sizes, replicates=45, seed=3, min_cases=2)
    np.testing.assert_array_equal(got, plain)
