"""Engine of the spatial scan statistic (:mod:`borderwatch.scan`).

The grid is a clipped regular lattice, so the circles of the scan are the same
set of lattice offsets for every centre: one list of offsets, sorted by their
(exact, integer) squared length and grouped into rings of equal distance, and
one lattice -> cell look-up table replace an ``n x K`` neighbour matrix.

* :func:`lattice_of` turns cell centres into integer lattice coordinates and
  builds the offsets and the look-up table;
* :func:`window_limits` finds, for each centre, how many offsets its largest
  window (at most ``max_share`` of the population) uses;
* :func:`best_windows` gives each centre's most likely window on the observed
  counts (:func:`borderwatch._scan_windows.scan_windows`: the limits and these windows
  in one walk); :func:`select_clusters` keeps those that do not overlap a more likely
  one (SaTScan's "no geographical overlap");
* :func:`null_maxima` gives the largest log-likelihood ratio of each Monte
  Carlo replicate: replicates are processed together (their counts are the
  columns of one matrix), so the offset walk, the population and the expected
  count of each window are computed once for all of them. The centres are split
  into chunks (walked in parallel); a chunk's windows are written out once (the
  cells with a count in some replicate, and the ring ends after such a cell: a
  ring that adds no count only raises the expected count, so its LLR is smaller)
  and walked block of :data:`LANES` replicates after block, so that a block's
  count rows stay in cache. When each replicate holds only a few cells with a
  count, :func:`block_maxima` evaluates only the rings that hold one of them
  instead (:mod:`borderwatch._scan_sparse`): the same maxima, bit for bit.

Every LLR is exact: the only shortcut is a bound. With ``KL <= chi^2``,
``LLR(c, E) <= (c - E)^2 C / (E (C - E))``, so a window whose count does not
exceed ``E + sqrt(G E (C - E) / C)`` cannot beat a replicate whose best so far
is ``G``; only the others are evaluated (with a ``c log c`` table, no
logarithm per replicate).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from . import _scan_cells, _scan_lanes, _scan_sparse

if TYPE_CHECKING:
    from ._lattice import Grid

__all__ = [
    "Lattice",
    "ReplicateDraws",
    "best_windows",
    "block_maxima",
    "grid_windows",
    "lattice_of",
    "llr",
    "null_maxima",
    "replicate_counts",
    "select_clusters",
    "window_cells",
    "window_limits",
    "xlogx_table",
]

#: Two LLRs closer than this (relative) are a tie: replicate maxima that tie with an
#: observed LLR count as "at least as large" whatever the rounding of either.
TIE = 1e-9
#: Replicates processed per pass (columns of the count matrix).
BLOCK = 1024
#: A stack size held by fewer locations than this many times the cells is drawn location
#: by location (one categorical draw is much cheaper than one multinomial cell).
_CATEGORICAL = 4
#: Uniform draws held at once when drawing location by location.
_DRAWS = 4_000_000
#: Below one location per this many cells, a stack size's draws are added in place
#: instead of counted over all cells x replicates.
_SPARSE = 8
#: Lanes walked together over a chunk's windows (at most; fewer replicates, fewer lanes):
#: each ring end's screen and bookkeeping is shared by them. 512 measured fastest of
#: 128-1024 (wave 13: the 1M benchmark's replicates 4.5-4.8 s at 128, 3.1-4.2 s at 512).
LANES = 512
#: Centres per chunk of :func:`null_maxima`: a chunk's windows, written out, stay in cache.
CHUNK = 128


@dataclass(frozen=True, eq=False)
class Lattice:
    """Integer lattice coordinates of the cells, the padded look-up table and the offsets.

    The look-up table is padded on every side by the largest offset, so that
    ``lut[base[c] + flat[q]]`` is the cell at offset ``q`` of centre ``c`` (-1
    for none) without a bounds check.
    """

    ci: np.ndarray  # (n,) int64 first lattice coordinate of each cell, from 0
    cj: np.ndarray  # (n,) int64 second coordinate, from 0
    lut: np.ndarray  # padded (ni + 2 pad_i) x (nj + 2 pad_j) table, flattened, int32
    base: np.ndarray  # (n,) int64 position of each cell in ``lut``
    flat: np.ndarray  # (Q,) int64 offsets as steps in ``lut``, sorted by length
    off_i: np.ndarray  # (Q,) int64
    off_j: np.ndarray  # (Q,) int64
    norm: np.ndarray  # (Q,) int64 squared length in lattice units
    ring_end: np.ndarray  # (Q,) bool: last offset of a ring of equal distance
    spacing_m: float
    shape: str

    def radius_m(self, q_end: int) -> float:
        """Distance from the centre to the farthest offset of the first ``q_end`` offsets."""
        if q_end <= 0:
            return 0.0
        return float(math.sqrt(self.norm[q_end - 1])) * self.spacing_m


def lattice_of(x: np.ndarray, y: np.ndarray, *, spacing_m: float, shape: str) -> Lattice:
    """The lattice of cell centres ``x``, ``y`` (metres) of a hex or square grid.

    Hexagons use axial coordinates (basis ``(s, 0)`` and ``(s/2, s*sqrt(3)/2)``),
    whose squared length is ``s^2 (i^2 + i j + j^2)``; squares ``s^2 (i^2 + j^2)``.
    Distances are compared as these integers, so rings of equal distance are exact.
    """
    s = float(spacing_m)
    if shape == "hex":
        j = np.rint(np.asarray(y, float) / (s * math.sqrt(3.0) / 2.0)).astype(np.int64)
        i = np.rint(np.asarray(x, float) / s - j / 2.0).astype(np.int64)
    else:
        i = np.rint(np.asarray(x, float) / s - 0.5).astype(np.int64)
        j = np.rint(np.asarray(y, float) / s - 0.5).astype(np.int64)
    if len(i):
        i, j = i - i.min(), j - j.min()
    ni, nj = (int(i.max()) + 1, int(j.max()) + 1) if len(i) else (1, 1)
    gi, gj = np.meshgrid(
        np.arange(-(ni - 1), ni, dtype=np.int64),
        np.arange(-(nj - 1), nj, dtype=np.int64),
        indexing="ij",
    )
    di, dj = gi.ravel(), gj.ravel()
    norm = di * di + dj * dj + (di * dj if shape == "hex" else 0)
    order = np.lexsort((dj, di, norm))
    di, dj, norm = di[order], dj[order], norm[order]
    ring_end = np.r_[norm[1:] != norm[:-1], True]
    return _padded(i, j, ni, nj, di, dj, norm, ring_end, s, shape)


def _padded(
    i: np.ndarray,
    j: np.ndarray,
    ni: int,
    nj: int,
    di: np.ndarray,
    dj: np.ndarray,
    norm: np.ndarray,
    ring_end: np.ndarray,
    s: float,
    shape: str,
) -> Lattice:
    pad_i = int(np.abs(di).max()) if len(di) else 0
    pad_j = int(np.abs(dj).max()) if len(dj) else 0
    wj = nj + 2 * pad_j
    lut = np.full((ni + 2 * pad_i) * wj, -1, dtype=np.int32)
    base = (i + pad_i) * wj + (j + pad_j)
    lut[base] = np.arange(len(i), dtype=np.int32)
    flat = di * wj + dj
    return Lattice(i, j, lut, base, flat, di, dj, norm, ring_end, s, shape)


def truncated(lat: Lattice, q_end: int) -> Lattice:
    """The same lattice with only the first ``q_end`` offsets (and a smaller pad)."""
    q_end = max(int(q_end), 1)
    ni, nj = int(lat.ci.max()) + 1, int(lat.cj.max()) + 1
    return _padded(
        lat.ci,
        lat.cj,
        ni,
        nj,
        lat.off_i[:q_end],
        lat.off_j[:q_end],
        lat.norm[:q_end],
        lat.ring_end[:q_end],
        lat.spacing_m,
        lat.shape,
    )


def xlogx_table(total: int) -> np.ndarray:
    """``c * log(c)`` for ``c = 0..total`` (0 at 0)."""
    c = np.arange(total + 1, dtype=np.float64)
    out = np.zeros(total + 1)
    out[1:] = c[1:] * np.log(c[1:])
    return out


def llr(c: np.ndarray | float, expected: np.ndarray | float, total: float) -> np.ndarray:
    """Kulldorff's Poisson log-likelihood ratio of high-rate windows (0 unless ``c > E``)."""
    c = np.asarray(c, dtype=float)
    e = np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(c > 0, c * np.log(c / e), 0.0)
        rest = total - c
        outside = np.where(rest > 0, rest * np.log(rest / (total - e)), 0.0)
    return np.where(c > e, inside + outside, 0.0)


# --------------------------------------------------------------------------- kernels


@njit(cache=True, parallel=True)
def _limits(base, lut, flat, ring_end, pop, cap):
    n = len(base)
    qmax = np.zeros(n, dtype=np.int64)
    for c in prange(n):
        pw = 0.0
        found = 0
        b0 = base[c]
        for q in range(len(flat)):
            j = lut[b0 + flat[q]]
            if j >= 0:
                pw += pop[j]
                found += 1
            if ring_end[q]:
                if pw > cap:
                    break
                qmax[c] = q + 1
                if found == n:
                    break
    return qmax


def grid_windows(grid: Grid, pop: np.ndarray, *, max_share: float) -> tuple[Lattice, np.ndarray]:
    """The lattice of ``grid``'s cells (a :class:`~borderwatch.grid.Grid`), truncated to the
    offsets its largest window uses, and each centre's window limit (:func:`window_limits`)."""
    cells = grid.cells
    lat = lattice_of(
        cells["x_m"].to_numpy(float),
        cells["y_m"].to_numpy(float),
        spacing_m=grid.cell_km * 1000.0,
        shape=grid.shape,
    )
    qmax = window_limits(lat, pop, max_share=max_share)
    return truncated(lat, int(qmax.max()) if len(qmax) else 1), qmax


def window_limits(lat: Lattice, pop: np.ndarray, *, max_share: float) -> np.ndarray:
    """For each centre, the number of offsets of its largest window (population <= share)."""
    pop = np.array(pop, dtype=np.float64, order="C")  # writable: one compiled variant
    cap = max_share * float(pop.sum()) * (1.0 + 1e-12)
    return np.asarray(_limits(lat.base, lat.lut, lat.flat, lat.ring_end, pop, cap))


@njit(cache=True, parallel=True)
def _best(base, lut, flat, ring_end, qmax, counts, pop, total, ptotal, xlx, min_cases):
    n = len(base)
    best = np.zeros(n)
    bq = np.zeros(n, dtype=np.int64)
    bc = np.zeros(n, dtype=np.int64)
    be = np.zeros(n)
    for c in prange(n):
        cases = 0
        pw = 0.0
        b0 = base[c]
        for q in range(qmax[c]):
            j = lut[b0 + flat[q]]
            if j >= 0:
                pw += pop[j]
                cases += counts[j]
            if ring_end[q] and cases >= min_cases:
                e = total * pw / ptotal
                if cases > e:
                    v = xlx[cases] - cases * math.log(e) + xlx[total - cases]
                    if total > cases:
                        v -= (total - cases) * math.log(total - e)
                    if v > best[c]:
                        best[c] = v
                        bq[c] = q + 1
                        bc[c] = cases
                        be[c] = e
    return best, bq, bc, be


def best_windows(
    lat: Lattice,
    counts: np.ndarray,
    pop: np.ndarray,
    qmax: np.ndarray,
    *,
    min_cases: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each centre's most likely window: LLR, offsets used, cases, expected.

    Ties between radii of one centre keep the smaller window.
    """
    counts = np.array(counts, dtype=np.int64, order="C")  # writable: one compiled variant
    total = int(counts.sum())
    pop = np.array(pop, dtype=np.float64, order="C")  # writable: one compiled variant
    return _best(  # type: ignore[no-any-return]
        lat.base,
        lat.lut,
        lat.flat,
        lat.ring_end,
        qmax,
        counts,
        pop,
        total,
        float(pop.sum()),
        xlogx_table(total),
        int(min_cases),
    )


@njit(cache=True)
def _select(order, best, bq, base, lut, flat, n):
    taken = np.zeros(n, dtype=np.bool_)
    chosen = np.empty(len(order), dtype=np.int64)
    k = 0
    for c in order:
        if best[c] <= 0.0:
            break
        clash = False
        for q in range(bq[c]):
            j = lut[base[c] + flat[q]]
            if j >= 0 and taken[j]:
                clash = True
                break
        if clash:
            continue
        for q in range(bq[c]):
            j = lut[base[c] + flat[q]]
            if j >= 0:
                taken[j] = True
        chosen[k] = c
        k += 1
    return chosen[:k]


def select_clusters(lat: Lattice, best: np.ndarray, bq: np.ndarray) -> np.ndarray:
    """Centres of the most likely cluster and of the secondary clusters, most likely first.

    Each centre offers its most likely window; windows are taken by decreasing
    LLR (ties: lower centre first) unless they share a cell with one taken
    before (SaTScan's default "no geographical overlap").
    """
    order = np.lexsort((np.arange(len(best)), -best)).astype(np.int64)
    return np.asarray(_select(order, best, bq, lat.base, lat.lut, lat.flat, len(best)))


def window_cells(lat: Lattice, centre: int, q_end: int) -> np.ndarray:
    """The cells of the window of ``centre`` made of its first ``q_end`` offsets."""
    cells = lat.lut[lat.base[centre] + lat.flat[:q_end]].astype(np.int64)
    return np.sort(cells[cells >= 0])


# --------------------------------------------------------------------------- Monte Carlo


class ReplicateDraws:
    """Counts of Monte Carlo replicates, drawn block after block.

    Each location (a stack of ``sizes[l]`` incidents) falls in cell ``k`` with
    probability ``share[k]``, independently. The locations of one stack size are
    exchangeable, so their cells are one multinomial draw: a replicate draws, for
    each distinct stack size ``s`` held by ``m`` locations, ``m`` locations over the
    cells (a multinomial when ``m`` is large, ``m`` categorical draws when it is
    small) and adds ``s`` times those counts. The cost is at most the cells times
    the distinct stack sizes per replicate, whatever the number of incidents.

    Each stack size has its own random stream (``SeedSequence(seed, spawn_key=(s,))``),
    drawn replicate after replicate, so the replicates do not depend on how they
    are grouped into blocks.

    Examples
    --------
    >>> draws = ReplicateDraws(0, np.full(4, 0.25), np.array([1, 1, 1, 3]))
    >>> counts = np.hstack([draws.draw(2), draws.draw(3)])
    >>> counts.shape, counts.sum(axis=0).tolist()
    ((4, 5), [6, 6, 6, 6, 6])
    """

    def __init__(self, seed: int, share: np.ndarray, sizes: np.ndarray) -> None:
        prob = np.clip(np.asarray(share, dtype=np.float64), 0.0, None)
        self.prob = prob / prob.sum()
        self.cdf = np.cumsum(self.prob)
        self.cdf[-1] = 1.0
        self.guide = _scan_cells.guide(self.cdf)  # a faster search, the same cells
        self.values, self.groups = np.unique(np.asarray(sizes, dtype=np.int64), return_counts=True)
        self.streams = [
            np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(v),)))
            for v in self.values
        ]

    def draw(self, n_rep: int, *, dtype: type = np.int32) -> np.ndarray:
        """The counts of the next ``n_rep`` replicates, shape ``(n_cells, n_rep)``."""
        n = len(self.prob)
        out = np.zeros((n_rep, n), dtype=np.int64)
        flat_out = out.reshape(-1)  # a view: replicate r, cell c at r * n + c
        rows = np.arange(n_rep, dtype=np.int64)[:, None] * n
        for value, m, rng in zip(self.values, self.groups, self.streams, strict=True):
            if m < _CATEGORICAL * n:  # few locations: one draw each (cost n_rep x m)
                step = max(1, _DRAWS // int(m))
                for a in range(0, n_rep, step):  # bounded memory, same stream
                    b = min(n_rep, a + step)
                    cell = _scan_cells.cells_of(self.cdf, self.guide, rng.random((b - a, int(m))))
                    flat = (rows[a:b] + np.minimum(cell, n - 1)).ravel()
                    if m * _SPARSE < n:  # far fewer locations than cells: add in place
                        np.add.at(flat_out, flat, int(value))
                    else:
                        got = np.bincount(flat - a * n, minlength=(b - a) * n)
                        flat_out[a * n : b * n] += int(value) * got
            else:  # many: one multinomial per replicate (cost n_rep x n)
                out += int(value) * rng.multinomial(int(m), self.prob, size=n_rep)
        return np.ascontiguousarray(out.T, dtype=dtype)  # C order: a cell's replicates side by side


def replicate_counts(
    seed: int, share: np.ndarray, sizes: np.ndarray, n_rep: int, *, dtype: type = np.int32
) -> np.ndarray:
    """Counts of ``n_rep`` replicates, shape ``(n_cells, n_rep)`` (:class:`ReplicateDraws`)."""
    return ReplicateDraws(seed, share, sizes).draw(n_rep, dtype=dtype)


@njit(cache=True, parallel=True)
def _warm(cnt, pop, qmax, total, ptotal, xlx, min_cases, slack):
    """Each replicate's best one-cell window: a head start for the pruning bound (no
    logarithm where the chi-square bound is below the best so far less ``slack``: the
    LLR could not exceed it)."""
    n, nb = cnt.shape
    out = np.zeros(nb)
    for b in prange(nb):
        best = 0.0
        for j in range(n):
            k = cnt[j, b]
            if k >= min_cases and qmax[j] > 0:
                e = total * pop[j] / ptotal
                d = k - e
                if d > 0.0 and d * d * total >= (best - slack) * e * (total - e):
                    v = xlx[k] - k * math.log(e) + xlx[total - k]
                    if total > k:
                        v -= (total - k) * math.log(total - e)
                    if v > best:
                        best = v
        out[b] = best
    return out


def _slack(xlx: np.ndarray) -> float:
    """More than the rounding of an LLR computed from ``xlx`` (:func:`xlogx_table`): the
    margin below a best LLR under which the chi-square bound may skip a window."""
    return 1e-6 + 1e-12 * float(xlx[-1])


def _narrowest(top: int, widest: np.dtype) -> type:
    """The narrowest unsigned integer holding ``top`` (at most ``widest``): the kernel's
    inner loop streams every window's count rows, so their width is its memory traffic."""
    for kind in (np.uint8, np.uint16):
        if top <= np.iinfo(kind).max and np.dtype(kind).itemsize <= np.dtype(widest).itemsize:
            return kind
    return widest  # type: ignore[return-value]


def null_maxima(
    lat: Lattice,
    pop: np.ndarray,
    qmax: np.ndarray,
    sizes: np.ndarray,
    *,
    replicates: int,
    seed: int,
    min_cases: int,
    meanwhile: Callable[[], object] | None = None,
) -> np.ndarray:
    """The largest LLR of each of ``replicates`` Monte Carlo replicates.

    Locations with their stack ``sizes`` are redistributed over the cells in
    proportion to ``pop`` (:class:`ReplicateDraws`), seeded with ``seed``; the
    replicates go to :func:`block_maxima` :data:`BLOCK` at a time. ``meanwhile``
    (no argument, its result ignored) runs in this thread while the first block is
    drawn in another: the draws (one core) and other work overlap.
    """
    pop = np.array(pop, dtype=np.float64, order="C")  # writable: one compiled variant
    draws = ReplicateDraws(seed, pop / float(pop.sum()), sizes)
    total = int(np.sum(sizes))
    out = np.empty(replicates)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the first block is drawn in a helper thread (NumPy's draws release the GIL)
        # while ``meanwhile`` runs here; the same stream, the same counts
        first = pool.submit(draws.draw, min(BLOCK, replicates))
        if meanwhile is not None:
            meanwhile()
        for start in range(0, replicates, BLOCK):
            nb = min(BLOCK, replicates - start)
            cnt = first.result() if start == 0 else draws.draw(nb)
            out[start : start + nb] = block_maxima(
                lat, pop, qmax, cnt, total=total, min_cases=min_cases
            )
    return out


def block_maxima(
    lat: Lattice,
    pop: np.ndarray,
    qmax: np.ndarray,
    cnt: np.ndarray,
    *,
    total: int,
    min_cases: int,
    path: str = "auto",
) -> np.ndarray:
    """The largest LLR of each replicate (column) of ``cnt`` ``(n_cells, n_rep)``, each
    holding ``total`` cases.

    Two exact paths give the same maxima, bit for bit: the walk of every window with
    the replicates as lanes (``path="lanes"``, :func:`borderwatch._scan_lanes.maxima`) and the walk of the
    rings that hold a replicate's cells with a count (``"sparse"``,
    :mod:`borderwatch._scan_sparse`); ``"auto"`` takes the one with the smaller
    estimated work (few cases per replicate: the sparse one).
    """
    if path not in ("auto", "sparse", "lanes"):
        msg = f"path must be 'auto', 'sparse' or 'lanes', not {path!r}."
        raise ValueError(msg)
    pop = np.array(pop, dtype=np.float64, order="C")  # writable: one compiled variant
    ptotal = float(pop.sum())
    xlx = xlogx_table(total)
    nb = cnt.shape[1]
    # narrow integers: the lane additions are the inner loop (SIMD); lanes in eights
    width = min(LANES, -(-max(nb, 1) // 8) * 8)
    acc0 = np.zeros(width, dtype=np.uint16 if total <= np.iinfo(np.uint16).max else np.uint32)
    nchunks = max(2, -(-len(pop) // CHUNK))
    top = int(cnt.max()) if cnt.size else 0
    cnt = np.ascontiguousarray(cnt, dtype=_narrowest(top, acc0.dtype))
    busy = cnt.max(axis=1) > 0
    warm = _warm(cnt, pop, qmax, total, ptotal, xlx, int(min_cases), _slack(xlx))
    if path == "auto":
        few = _scan_sparse.sparse_work(len(pop), int(np.count_nonzero(cnt)), nb)
        path = "sparse" if few < _scan_sparse.dense_work(qmax, busy, nb) else "lanes"
    if path == "sparse":
        res = _scan_sparse.sparse_maxima(
            lat,
            qmax,
            cnt,
            warm,
            pop,
            total=total,
            ptotal=ptotal,
            xlx=xlx,
            min_cases=int(min_cases),
            nchunks=nchunks,
        )
    else:
        res = _scan_lanes.maxima(
            (lat.base, lat.lut, lat.flat, lat.ring_end),
            qmax,
            _scan_lanes.lane_blocks(cnt, width),
            busy,
            acc0,
            warm,
            pop,
            total=total,
            ptotal=ptotal,
            xlx=xlx,
            min_cases=int(min_cases),
            nchunks=nchunks,
        )
    return np.asarray(res.max(axis=0))
