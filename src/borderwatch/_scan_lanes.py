"""The walk of the scan's Monte Carlo replicates as lanes (:func:`borderwatch._scan.null_maxima`).

A chunk of centres has its windows written out once (:func:`walk`: the cells with a
count in some replicate in walking order, and the ring ends worth evaluating) and is
walked block of lanes (replicates) after block: for every cell of every window each
lane adds the cell's count, and at each ring end the lanes are screened and the few
that could gain are evaluated exactly (:func:`_centre_lanes`).

The lane additions stream a count row per cell of every window: their width is the
walk's memory traffic. So a block's rows hold each cell's counts less the least of
them over the block's lanes (:func:`lane_blocks`), in a byte when they fit: a window's
sum of those bases is the same for every lane, added once at each ring end. The few
counts more than a byte above their cell's base keep the excess in a short list per
cell, added lane by lane. Every sum is an exact integer and each lane is screened on
its true count as before: the maxima are the same, bit for bit, as with the plain
counts (wave 17; the per ring end constants of the screen are computed once per chunk,
:func:`_screens`, not once per block).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

__all__ = ["LaneBlocks", "lane_blocks", "maxima", "walk"]

#: Counts below this are exact in float32 (the lanes' screening).
_EXACT32 = 1 << 24
#: Largest deviation a byte row holds; the rest of a larger one is kept per lane.
_BYTE = 255
#: Byte rows are kept while their excess entries are at most this share of the counts.
_EXCESS_SHARE = 1 / 64


@dataclass(frozen=True, eq=False)
class LaneBlocks:
    """Counts ``(n_cells, n_rep)`` as blocks of lanes, each cell's row of a block its
    counts less ``base`` (the excess above a byte in ``olane``/``oadd``)."""

    rows: np.ndarray  # (blocks, n_cells, width) uint8 deviations, or the plain counts
    base: np.ndarray  # (blocks, n_cells) int64 per-cell base of the block (0: plain)
    optr: np.ndarray  # (blocks, n_cells + 1) int64 ranges of the excess entries
    olane: np.ndarray  # (m,) int64 lane of each excess entry
    oadd: np.ndarray  # (m,) int64 excess of each entry


def _plain(cnt: np.ndarray, width: int, nsub: int) -> np.ndarray:
    """``cnt`` as ``(nsub, n, width)`` contiguous blocks (the last padded with zeros)."""
    n = cnt.shape[0]
    out = np.zeros((nsub, n, width), dtype=cnt.dtype)
    for s in range(nsub):
        part = cnt[:, s * width : (s + 1) * width]
        out[s, :, : part.shape[1]] = part
    return out


def lane_blocks(cnt: np.ndarray, width: int) -> LaneBlocks:
    """Counts ``(n_cells, n_rep)`` (unsigned integers) as blocks of ``width`` lanes.

    Each block's row of a cell holds the cell's counts less their least over the
    block's lanes, in a byte, and the excess of a count above the byte is listed
    (lane, excess) per cell. When that list would be long (more than
    :data:`_EXCESS_SHARE` of the counts), the rows keep the plain counts (bases 0).

    Examples
    --------
    >>> cnt = np.full((8, 16), 3, dtype=np.uint16)
    >>> cnt[0] = 300
    >>> cnt[0, 1:3] = [302, 700]
    >>> lb = lane_blocks(cnt, 16)
    >>> lb.rows.dtype, lb.rows[0, 0, :3].tolist(), lb.base[0, :2].tolist()
    (dtype('uint8'), [0, 2, 255], [300, 3])
    >>> lb.optr[0, :3].tolist(), lb.olane.tolist(), lb.oadd.tolist()
    ([0, 1, 1], [2], [145])
    """
    n, nb = cnt.shape
    nsub = max(1, -(-nb // width))
    rows = np.zeros((nsub, n, width), dtype=np.uint8)
    base = np.zeros((nsub, n), dtype=np.int64)
    optr = np.zeros((nsub, n + 1), dtype=np.int64)
    lanes: list[np.ndarray] = []
    adds: list[np.ndarray] = []
    held = 0
    for s in range(nsub):
        part = np.asarray(cnt[:, s * width : (s + 1) * width], dtype=np.int64)
        low = part.min(axis=1) if part.shape[1] else np.zeros(n, dtype=np.int64)
        dev = part - low[:, None]
        cell, lane = np.nonzero(dev > _BYTE)
        held += len(cell)
        if held > _EXCESS_SHARE * cnt.size:
            rows = _plain(cnt, width, nsub)
            base = np.zeros((nsub, n), dtype=np.int64)
            optr = np.zeros((nsub, n + 1), dtype=np.int64)
            return LaneBlocks(rows, base, optr, np.zeros(0, np.int64), np.zeros(0, np.int64))
        optr[s, 1:] = held - len(cell) + np.cumsum(np.bincount(cell, minlength=n))
        optr[s, 0] = held - len(cell)
        lanes.append(lane.astype(np.int64))
        adds.append(dev[cell, lane] - _BYTE)
        rows[s, :, : part.shape[1]] = np.minimum(dev, _BYTE)
        base[s] = low
    olane = np.concatenate(lanes) if lanes else np.zeros(0, np.int64)
    oadd = np.concatenate(adds) if adds else np.zeros(0, np.int64)
    return LaneBlocks(rows, base, optr, olane, oadd)


@njit(cache=True)
def walk(c0, c1, base, lut, flat, ring_end, qmax, busy, pop, total, ptotal):
    """The windows of centres ``c0 .. c1 - 1`` written out once for all lanes: their busy
    cells in walking order, and the ring ends worth evaluating with their expected counts.

    A ring end is kept only when a busy cell entered since the last one kept: until then
    every lane's count is the same and the expected count larger, so its LLR is smaller.
    ``first[c - c0]`` is the first ring end of centre ``c``; a centre's cells end at its
    last ring end (its window limit is a ring end).
    """
    ncell = 0
    nends = 0
    for c in range(c0, c1):
        for q in range(qmax[c]):
            j = lut[base[c] + flat[q]]
            ncell += j >= 0 and busy[j]
            nends += ring_end[q]
    cells = np.empty(ncell, dtype=np.int32)
    end_at = np.empty(nends, dtype=np.int64)
    end_e = np.empty(nends)
    first = np.empty(c1 - c0 + 1, dtype=np.int64)
    k = 0
    m = 0
    for c in range(c0, c1):
        first[c - c0] = m
        pw = 0.0
        fresh = False
        for q in range(qmax[c]):
            j = lut[base[c] + flat[q]]
            if j >= 0:
                pw += pop[j]
                if busy[j]:
                    cells[k] = j
                    k += 1
                    fresh = True
            if ring_end[q] and fresh:
                end_at[m] = k
                end_e[m] = total * pw / ptotal
                m += 1
                fresh = False
    first[c1 - c0] = m
    return cells, end_at, end_e, first


@njit(cache=True)
def _screens(end_e, total):
    """Per ring end, ``f = e (C - e) / C`` and the float32 screen's offset and scale
    (:func:`_centre_lanes`)."""
    m = len(end_e)
    end_f = np.empty(m)
    end_lo = np.empty(m, dtype=np.float32)
    end_sf = np.empty(m, dtype=np.float32)
    screened = total < _EXACT32  # counts are exact in float32: the screen applies
    for i in range(m):
        e = end_e[i]
        f = e * (total - e) / total
        end_f[i] = f
        end_lo[i] = np.float32(e - 1.0 - 1e-6 * e) if screened else np.float32(-np.inf)
        end_sf[i] = np.float32(math.sqrt(f) * (1.0 - 1e-5))
    return end_f, end_lo, end_sf


@njit(cache=True, inline="always")
def _add_row(acc, row, w, optr, olane, oadd, j):
    """``acc += row`` over the first ``w`` lanes, and cell ``j``'s excess entries."""
    for b in range(w):
        acc[b] += row[b]
    for o in range(optr[j], optr[j + 1]):
        acc[olane[o]] += oadd[o]


@njit(cache=True)
def _centre_lanes(blk, ends, m0, m1, pos, acc, loc, root, flag, total, xlx, min_cases):
    """Walk one centre's windows (ring ends ``m0 .. m1 - 1``, cells from ``pos``) for one
    block of lanes; the position after its last cell.

    A lane's count is ``acc`` plus the window's sum of bases. At each ring end, a lane
    can gain only if its count less ``e`` exceeds ``sqrt(loc f)``: the lanes are screened
    in single precision against a threshold lowered by more than its rounding errors
    (``root`` holds ``sqrt(loc)`` rounded down), so an unflagged lane cannot gain; the
    flagged ones, read back eight at a time, are checked and evaluated exactly.
    """
    rows, base, optr, olane, oadd, cells = blk
    end_at, end_e, end_f, end_lo, end_sf = ends
    w = len(loc)
    nw = (w + 7) // 8
    words = flag.view(np.uint64)
    acc[:] = 0
    bsum = 0
    for m in range(m0, m1):
        stop = end_at[m]
        for i in range(pos, stop):
            j = cells[i]
            _add_row(acc, rows[j], w, optr, olane, oadd, j)
            bsum += base[j]
        pos = stop
        lo = end_lo[m]
        sf = end_sf[m]
        ib = np.int32(bsum)
        for b in range(w):
            kb = np.int32(np.int32(acc[b]) + ib)
            flag[b] = np.float32(kb) > lo + sf * root[b]
        seen = 0
        for q in range(nw):
            seen |= words[q]
        if seen == 0:
            continue
        e = end_e[m]
        f = end_f[m]
        le = math.log(e)
        lr = math.log(total - e) if total > e else 0.0
        for q in range(nw):
            if words[q] == 0:
                continue
            for b in range(8 * q, min(w, 8 * q + 8)):
                k = acc[b] + bsum
                d = k - e
                if flag[b] and k >= min_cases and d * abs(d) > loc[b] * f:
                    v = xlx[k] - k * le + xlx[total - k] - (total - k) * lr
                    if v > loc[b]:
                        loc[b] = v
                        root[b] = np.float32(math.sqrt(v) * (1.0 - 1e-5))
    return pos


@njit(cache=True)
def _lanes(blk, ends, first, acc, loc, root, flag, total, xlx, min_cases):
    """One block of lanes over the windows of one chunk of centres (:func:`walk`);
    ``flag`` is scratch of at least ``len(acc)`` bytes, a multiple of 8."""
    pos = 0
    for c in range(len(first) - 1):
        pos = _centre_lanes(
            blk, ends, first[c], first[c + 1], pos, acc, loc, root, flag, total, xlx, min_cases
        )


@njit(cache=True, parallel=True)
def _maxima(lat, qmax, blocks, busy, acc0, warm, pop, cfg, xlx, nchunks):
    """Largest LLR of each lane: centres in ``nchunks`` chunks (in parallel), each chunk's
    windows written out once (:func:`walk`) and walked block of lanes after block, so
    that a block's count rows stay in cache."""
    base, lut, flat, ring_end = lat
    rows, bases, optr, olane, oadd = blocks
    total, ptotal, min_cases = cfg
    nsub, n, width = rows.shape
    nb = len(warm)
    out = np.zeros((nchunks, nb))
    size = (n + nchunks - 1) // nchunks
    for t in prange(nchunks):
        c0 = min(n, t * size)
        c1 = min(n, (t + 1) * size)
        loc = warm.copy()
        root = np.empty(nb, dtype=np.float32)
        for b in range(nb):
            root[b] = np.float32(math.sqrt(loc[b]) * (1.0 - 1e-5))
        cells, end_at, end_e, first = walk(
            c0, c1, base, lut, flat, ring_end, qmax, busy, pop, total, ptotal
        )
        end_f, end_lo, end_sf = _screens(end_e, total)
        ends = (end_at, end_e, end_f, end_lo, end_sf)
        acc = np.zeros_like(acc0)
        flag = np.zeros(-(-len(acc0) // 8) * 8, dtype=np.uint8)
        for s in range(nsub):
            lo = s * width
            hi = min(nb, lo + width)
            blk = (rows[s], bases[s], optr[s], olane, oadd, cells)
            _lanes(
                blk,
                ends,
                first,
                acc[: hi - lo],
                loc[lo:hi],
                root[lo:hi],
                flag,
                total,
                xlx,
                min_cases,
            )
        out[t] = loc
    return out


def maxima(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    qmax: np.ndarray,
    blocks: LaneBlocks,
    busy: np.ndarray,
    acc0: np.ndarray,
    warm: np.ndarray,
    pop: np.ndarray,
    *,
    total: int,
    ptotal: float,
    xlx: np.ndarray,
    min_cases: int,
    nchunks: int,
) -> np.ndarray:
    """The largest LLR of each lane per chunk of centres ``(nchunks, n_rep)``.

    Parameters
    ----------
    arrays
        The lattice's ``base``, ``lut``, ``flat`` and ``ring_end``.
    qmax
        Each centre's window limit.
    blocks
        The replicates' counts as blocks of lanes (:func:`lane_blocks`).
    busy
        Cells with a count in some replicate.
    acc0
        A block's accumulator (its dtype and width).
    warm
        Each replicate's best one-cell window (a head start).
    pop, total, ptotal, xlx, min_cases, nchunks
        Populations, cases per replicate, total population, ``c log c`` table, the least
        cases of a window, chunks of centres.

    Returns
    -------
    numpy.ndarray
        ``(nchunks, n_rep)`` float64.
    """
    parts = (blocks.rows, blocks.base, blocks.optr, blocks.olane, blocks.oadd)
    cfg = (int(total), float(ptotal), int(min_cases))
    return np.asarray(_maxima(arrays, qmax, parts, busy, acc0, warm, pop, cfg, xlx, nchunks))
