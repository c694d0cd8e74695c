"""The binned Gaussian kernel density engine behind :func:`borderwatch.density.density`.

Incidents are linearly binned onto a grid fine enough that a cell is at most
``bandwidth / OVERSAMPLE``, and the binned grid is smoothed with the Gaussian
(separable, truncated at ``TRUNCATE`` sigma) straight onto the output cell
centres, one row pass and one column pass (Silverman 1982; Wand 1994). ``support_grid`` counts, in exact integer
arithmetic, a lower bound on the incidents near each cell centre.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import ndimage, special

from ._errors import BorderwatchWarning

__all__ = [
    "MAX_FINE_CELLS",
    "OVERSAMPLE",
    "TRUNCATE",
    "convolve_axis",
    "gauss_1d",
    "kde_exact",
    "kde_grid",
    "mass_outside",
    "oversampling",
    "support_grid",
]

#: The kernel is truncated at this many bandwidths (mass beyond: exp(-12.5) ~ 4e-6).
TRUNCATE = 5.0
#: Largest internal (oversampled) grid, in cells.
MAX_FINE_CELLS = 16_000_000
#: The internal grid is refined until a fine cell is at most bandwidth / OVERSAMPLE
#: (linear binning then errs by about 0.2 % of the peak).
OVERSAMPLE = 6.0


def oversampling(cell: float, h: float, n_cells: int) -> int:
    """Odd factor ``s`` so that ``cell / s <= h / OVERSAMPLE`` within the memory cap."""
    s = max(1, math.ceil(OVERSAMPLE * cell / h - 1e-9))
    if s % 2 == 0:
        s += 1
    cap = max(1, math.isqrt(max(1, MAX_FINE_CELLS // max(1, n_cells))))
    if cap % 2 == 0:
        cap -= 1
    if s > cap:
        if cell <= h:  # (cell > h has already given a warning)
            warnings.warn(
                f"the grid is too large to refine cell_km={cell:g} to bandwidth/4; the "
                "surface may be off by a few percent of its peak. Hint: use "
                "cell_km <= bandwidth_km / 2.",
                BorderwatchWarning,
                stacklevel=3,
            )
        s = cap
    return s


def gauss_1d(h: float, step: float, max_half: int) -> np.ndarray:
    """The 1-D Gaussian (per km) at offsets ``k * step``, ``|k| <= R``."""
    half = min(math.ceil(TRUNCATE * h / step), max_half)
    o = np.arange(-half, half + 1) * step
    return np.exp(-0.5 * (o / h) ** 2) / (math.sqrt(2 * math.pi) * h)


def convolve_axis(a: np.ndarray, k: np.ndarray, axis: int) -> np.ndarray:
    if k.size <= 129:
        return ndimage.correlate1d(a, k, axis=axis, mode="constant", cval=0.0)
    from scipy import signal  # imported here: about 1 s, and only long kernels need it

    kk = k.reshape((1, -1) if axis == 1 else (-1, 1))
    return signal.oaconvolve(a, kk, mode="same", axes=axis)


def kde_grid(
    xy_km: np.ndarray,
    w: np.ndarray | None,
    *,
    x0: float,
    y0: float,
    nx: int,
    ny: int,
    cell: float,
    h: float,
    s: int,
) -> np.ndarray:
    """Gaussian KDE (per km²) at the cell centres by linear binning on an s-fold grid."""
    fx, fy, fc = nx * s, ny * s, cell / s
    if len(xy_km) == 0:
        return np.zeros((ny, nx))
    g = _binned(xy_km, w, x0=x0, y0=y0, fx=fx, fy=fy, fc=fc)
    k = gauss_1d(h, fc, max(fx, fy))
    a = _smooth_rows(g, k, s)  # (fy, nx)
    out = _smooth_rows(np.ascontiguousarray(a.T), k, s).T  # (ny, nx)
    return np.clip(out, 0.0, None)


def _binned(
    xy_km: np.ndarray, w: np.ndarray | None, *, x0: float, y0: float, fx: int, fy: int, fc: float
) -> np.ndarray:
    """The (weights of the) points linearly binned onto the fine grid, (fy, fx)."""
    u = (xy_km[:, 0] - x0) / fc - 0.5
    v = (y0 - xy_km[:, 1]) / fc - 0.5
    i0 = np.floor(u).astype(np.int64)
    j0 = np.floor(v).astype(np.int64)
    fu, fv = u - i0, v - j0
    # the fine rows (times fx) and columns of the four nearest centres, each computed once
    rows = [np.clip(j0 + dj, 0, fy - 1) * fx for dj in (0, 1)]
    grid = np.zeros(fx * fy)
    for di, wu in ((0, 1.0 - fu), (1, fu)):
        ii = np.clip(i0 + di, 0, fx - 1)
        if w is not None:
            wu = w * wu
        for dj, wv in ((0, 1.0 - fv), (1, fv)):
            # unweighted: 1.0 * wu * wv is wu * wv, the same float
            grid += np.bincount(rows[dj] + ii, weights=wu * wv, minlength=fx * fy)
    return grid.reshape(fy, fx)


def _smooth_rows(g: np.ndarray, k: np.ndarray, s: int) -> np.ndarray:
    """Each row of ``g`` correlated with ``k`` at every ``s``-th fine cell (the output centres).

    The fine cells ``m * s + s // 2`` are the output centres (``s`` is odd), so
    only those are computed: one strided multiply-add per tap, single-threaded
    and deterministic, O(rows x outputs x taps).
    """
    rows, fx = g.shape
    half = (len(k) - 1) // 2
    nx = fx // s
    c = s // 2
    out = np.zeros((rows, nx))
    step = max(1, ROW_BLOCK // max(nx, 1))  # rows per block: the block stays in cache
    for r0 in range(0, rows, step):
        blk = g[r0 : r0 + step]
        pad = np.zeros((len(blk), fx + 2 * half))
        pad[:, half : half + fx] = blk
        acc = out[r0 : r0 + step]
        tmp = np.empty_like(acc)
        for t, wt in enumerate(k):
            start = c + t  # fine index c + (t - half), shifted by the padding
            np.multiply(pad[:, start : start + s * nx : s], wt, out=tmp)
            acc += tmp
    return out


#: Output values per block of rows in :func:`_smooth_rows`.
ROW_BLOCK = 32_768


def support_grid(
    xy_km: np.ndarray,
    *,
    x0: float,
    y0: float,
    nx: int,
    ny: int,
    cell: float,
    s: int,
    radius: float,
) -> np.ndarray:
    """Lower bound on the incidents within ``radius`` km of each cell centre."""
    support = np.zeros((ny, nx), dtype=np.int64)
    fx, fy, fc = nx * s, ny * s, cell / s
    reach = radius / fc - math.sqrt(0.5)  # in fine cells, conservative
    if len(xy_km) == 0 or reach < 0:
        return support
    i = np.clip(np.floor((xy_km[:, 0] - x0) / fc).astype(np.int64), 0, fx - 1)
    j = np.clip(np.floor((y0 - xy_km[:, 1]) / fc).astype(np.int64), 0, fy - 1)
    counts = np.bincount(j * fx + i, minlength=fx * fy).reshape(fy, fx)
    cum = np.zeros((fy, fx + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=cum[:, 1:])
    c = s // 2
    rows_c = s * np.arange(ny) + c
    cols_c = s * np.arange(nx) + c
    half = math.floor(reach)
    for dj in range(-half, half + 1):
        span = math.floor(math.sqrt(max(reach * reach - dj * dj, 0.0)) + 1e-12)
        rows = rows_c + dj
        a, b = int(np.searchsorted(rows, 0)), int(np.searchsorted(rows, fy))  # in the grid
        if a >= b:
            continue
        lo = np.clip(cols_c - span, 0, fx)
        hi = np.clip(cols_c + span + 1, 0, fx)
        band = cum[rows[a] : rows[b - 1] + 1 : s]  # the fine rows of centres a..b-1 (a view)
        support[a:b] += band[:, hi] - band[:, lo]
    return support


def kde_exact(
    xy_km: np.ndarray,
    w: np.ndarray | None,
    *,
    x0: float,
    y0: float,
    nx: int,
    ny: int,
    cell: float,
    h: float,
    chunk: int = 8192,
) -> np.ndarray:
    """The exact Gaussian KDE (per km²) at the cell centres, as a separable matrix product.

    ``K(dx, dy) = g(dx) g(dy)``, so the surface is ``Gy @ diag(w) @ Gx.T`` with
    ``Gx[c, i] = g(x_c - x_i)``: O(n x (nx + ny)) kernel values and an
    O(n x nx x ny) product, exact to rounding. The reference of the tests and
    benchmarks.
    """
    xc = x0 + (np.arange(nx) + 0.5) * cell
    yc = y0 - (np.arange(ny) + 0.5) * cell
    out = np.zeros((ny, nx))
    norm = 1.0 / (2.0 * math.pi * h * h)
    for a in range(0, len(xy_km), chunk):
        part = xy_km[a : a + chunk]
        gx = np.exp(-0.5 * ((xc[:, None] - part[None, :, 0]) / h) ** 2)
        gy = np.exp(-0.5 * ((yc[:, None] - part[None, :, 1]) / h) ** 2)
        if w is not None:
            gx = gx * w[a : a + chunk][None, :]
        out += gy @ gx.T
    return out * norm


def mass_outside(
    xy_km: np.ndarray, w: np.ndarray | None, *, bkm: tuple[float, float, float, float], h: float
) -> float:
    """Kernel mass of the points outside the rectangle ``bkm`` (exact, Gaussian CDF)."""
    if len(xy_km) == 0:
        return 0.0
    minx, miny, maxx, maxy = bkm
    px = special.ndtr((maxx - xy_km[:, 0]) / h) - special.ndtr((minx - xy_km[:, 0]) / h)
    py = special.ndtr((maxy - xy_km[:, 1]) / h) - special.ndtr((miny - xy_km[:, 1]) / h)
    ww = np.ones(len(xy_km)) if w is None else w
    return float(np.sum(ww * (1.0 - px * py)))
