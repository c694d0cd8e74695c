"""The binned Gaussian kernel density engine behind :func:`borderwatch.density.density`.

Incidents are linearly binned onto a grid fine enough that a cell is at most
``bandwidth / OVERSAMPLE``, the binned grid is convolved with the Gaussian
(separable, truncated at ``TRUNCATE`` sigma) and sampled at the output cell
centres (Silverman 1982; Wand 1994). ``support_grid`` counts, in exact integer
arithmetic, a lower bound on the incidents near each cell centre.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import ndimage, signal

from ._errors import BorderwatchWarning

__all__ = [
    "MAX_FINE_CELLS",
    "OVERSAMPLE",
    "TRUNCATE",
    "convolve_axis",
    "gauss_1d",
    "kde_grid",
    "oversampling",
    "support_grid",
]

#: The kernel is truncated at this many bandwidths (mass beyond: exp(-12.5) ~ 4e-6).
TRUNCATE = 5.0
#: Largest internal (oversampled) grid, in cells.
MAX_FINE_CELLS = 16_000_000
#: The internal grid is refined until a fine cell is at most bandwidth / OVERSAMPLE.
OVERSAMPLE = 4.0


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
    u = (xy_km[:, 0] - x0) / fc - 0.5
    v = (y0 - xy_km[:, 1]) / fc - 0.5
    i0 = np.floor(u).astype(np.int64)
    j0 = np.floor(v).astype(np.int64)
    fu, fv = u - i0, v - j0
    ww = np.ones(len(u)) if w is None else w
    grid = np.zeros(fx * fy)
    for di, wu in ((0, 1.0 - fu), (1, fu)):
        ii = np.clip(i0 + di, 0, fx - 1)
        for dj, wv in ((0, 1.0 - fv), (1, fv)):
            jj = np.clip(j0 + dj, 0, fy - 1)
            grid += np.bincount(jj * fx + ii, weights=ww * wu * wv, minlength=fx * fy)
    g = grid.reshape(fy, fx)
    c = s // 2
    k = gauss_1d(h, fc, max(fx, fy))
    a = convolve_axis(g, k, axis=1)[:, c::s]
    out = convolve_axis(np.ascontiguousarray(a), k, axis=0)[c::s, :]
    return np.clip(out, 0.0, None)


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
        ok = (rows >= 0) & (rows < fy)
        if not ok.any():
            continue
        lo = np.clip(cols_c - span, 0, fx)
        hi = np.clip(cols_c + span + 1, 0, fx)
        sel = cum[rows[ok]]
        support[ok] += sel[:, hi] - sel[:, lo]
    return support
