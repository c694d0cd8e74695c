"""The observed windows of the scan (:mod:`borderwatch.scan`) in one walk.

:func:`borderwatch._scan.window_limits` walks each centre's offsets until its window
holds more than ``max_share`` of the population, and
:func:`borderwatch._scan.best_windows` walks them again up to that limit for the most
likely window. :func:`scan_windows` does both in one walk: the population and the
cases are summed in the same order, so the limits and the windows are the same, bit
for bit. A ring end's log-likelihood ratio is computed only where the chi-square bound
``(c - E)^2 C / (E (C - E))`` (see :mod:`borderwatch._scan`) reaches the centre's best so
far, less a margin larger than the rounding of either: where it does not, the ratio
could not exceed the best (then the walk of ``best_windows`` would keep the best too).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from ._scan import Lattice, _slack, lattice_of, truncated, xlogx_table

if TYPE_CHECKING:
    from ._lattice import Grid

__all__ = ["scan_windows"]


@njit(cache=True, parallel=True)
def _limits_best(base, lut, flat, ring_end, pop, cap, counts, total, ptotal, xlx, min_cases, slack):
    """``borderwatch._scan._limits`` and ``_best`` in one walk of the offsets: the same
    sums in the same order, so the same limits and windows, bit for bit; no logarithm
    where the chi-square bound is below the best so far less ``slack``."""
    n = len(base)
    qmax = np.zeros(n, dtype=np.int64)
    best = np.zeros(n)
    bq = np.zeros(n, dtype=np.int64)
    bc = np.zeros(n, dtype=np.int64)
    be = np.zeros(n)
    for c in prange(n):
        pw = 0.0
        cases = 0
        found = 0
        b0 = base[c]
        for q in range(len(flat)):
            j = lut[b0 + flat[q]]
            if j >= 0:
                pw += pop[j]
                cases += counts[j]
                found += 1
            if ring_end[q]:
                if pw > cap:
                    break
                qmax[c] = q + 1
                if cases >= min_cases:
                    e = total * pw / ptotal
                    d = cases - e
                    # the chi-square bound: no logarithm where the LLR cannot exceed the best
                    if d > 0.0 and d * d * total >= (best[c] - slack) * e * (total - e):
                        v = xlx[cases] - cases * math.log(e) + xlx[total - cases]
                        if total > cases:
                            v -= (total - cases) * math.log(total - e)
                        if v > best[c]:
                            best[c] = v
                            bq[c] = q + 1
                            bc[c] = cases
                            be[c] = e
                if found == n:
                    break
    return qmax, best, bq, bc, be


def scan_windows(
    grid: Grid, counts: np.ndarray, pop: np.ndarray, *, max_share: float, min_cases: int
) -> tuple[Lattice, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~borderwatch._scan.grid_windows` and :func:`~borderwatch._scan.best_windows`
    in one walk of each centre's offsets.

    Parameters
    ----------
    grid : Grid
        The analysis grid (its cells' lattice centres ``x_m``, ``y_m``).
    counts : int array
        Incidents per cell.
    pop : float array
        Population at risk per cell.
    max_share : float
        Largest share of the population in a window.
    min_cases : int
        Fewest incidents in a window.

    Returns
    -------
    lat : Lattice
        The lattice truncated to the offsets its largest window uses.
    qmax : int array
        Each centre's window limit (:func:`~borderwatch._scan.window_limits`).
    best, bq, bc, be : arrays
        Each centre's most likely window: LLR, offsets used, cases, expected; the same
        values as :func:`~borderwatch._scan.best_windows`, bit for bit.
    """
    cells = grid.cells
    lat = lattice_of(
        cells["x_m"].to_numpy(float),
        cells["y_m"].to_numpy(float),
        spacing_m=grid.cell_km * 1000.0,
        shape=grid.shape,
    )
    pop = np.array(pop, dtype=np.float64, order="C")  # writable: one compiled variant
    counts = np.array(counts, dtype=np.int64, order="C")
    total = int(counts.sum())
    ptotal = float(pop.sum())
    cap = max_share * ptotal * (1.0 + 1e-12)
    xlx = xlogx_table(total)
    qmax, best, bq, bc, be = _limits_best(
        lat.base,
        lat.lut,
        lat.flat,
        lat.ring_end,
        pop,
        cap,
        counts,
        total,
        ptotal,
        xlx,
        int(min_cases),
        _slack(xlx),
    )
    lat = truncated(lat, int(qmax.max()) if len(qmax) else 1)
    return lat, qmax, best, bq, bc, be
