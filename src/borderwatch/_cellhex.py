"""The nearest hexagonal lattice cell of many points in one compiled pass.

:func:`borderwatch._cellindex.lattice_cells` finds each point's lattice cell by
rounding (its nearest centre among six candidates) and takes the answer where the
point is well inside a cell the grid holds unclipped. In NumPy that is a dozen
passes over a million points; :func:`hex_cells` makes one, with the same floating
point operations in the same order (no fast-math), so the same cells and margins,
and without the GIL (the pipeline runs it in a thread). Only for many points: the
NumPy path stays for the rest (and as the reference in the tests).

The table can also say "this cell is clipped": the pass then hands the point back to
be tested against that one cell's polygon (a point 1 cm inside its lattice cell can be
in no other cell), instead of the spatial index.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["hex_cells"]


@njit(cache=True, nogil=True)
def _hex_cells(x, y, spacing, table, lo_r, lo_c, margin_m, outside):  # pragma: no cover - compiled
    n = len(x)
    where = np.full(n, -1, dtype=np.int64)
    dy = spacing * math.sqrt(3.0) / 2.0
    half = spacing / 2.0
    rows, cols = table.shape
    for i in range(n):
        xi, yi = x[i], y[i]
        r0 = np.int64(math.floor(yi / dy))
        best = np.inf
        second = np.inf
        br = np.int64(0)
        bc = np.int64(0)
        for dr in range(2):
            r = r0 + dr
            shift = (r % 2) * half
            t = yi - r * dy
            ry = t * t
            c0 = np.int64(np.rint((xi - shift) / spacing))
            for dc in range(-1, 2):
                c = c0 + dc
                d = xi - (c * spacing + shift)
                d2 = d * d + ry
                closer = d2 < best
                second = min(second, d2)
                if closer:
                    second = best
                    best = d2
                    br = r
                    bc = c
        margin = (second - best) / (2.0 * spacing)
        rr = br - lo_r
        cc = bc - lo_c
        if margin >= margin_m:
            where[i] = table[rr, cc] if 0 <= rr < rows and 0 <= cc < cols else outside
    return where


def hex_cells(
    xy: np.ndarray,
    spacing: float,
    table: np.ndarray,
    lo: tuple[int, int],
    margin_m: float,
    *,
    outside: int = -1,
) -> np.ndarray:
    """The code in ``table`` of the lattice cell each point is at least ``margin_m`` inside
    (``outside`` beyond the table; -1 for a point nearer an edge: arithmetic does not settle
    it).

    ``table[r - lo[0], c - lo[1]]`` is the code of the lattice cell at row ``r``, column
    ``c`` (:func:`borderwatch._cellindex.lattice_cells` writes there the position of the
    grid's cell, or what to do next); the points ``xy`` are metric and finite.

    >>> table = np.array([[0, 1], [2, -1]])  # rows 0 and 1, columns 0 and 1
    >>> xy = np.array([[0.0, 0.0], [1000.0, 0.0], [500.0, 866.0], [500.0, 0.0], [9e4, 0.0]])
    >>> hex_cells(xy, 1000.0, table, (0, 0), 0.01, outside=-2).tolist()
    [0, 1, 2, -1, -2]
    """
    xy = np.asarray(xy, dtype=np.float64)
    x = np.ascontiguousarray(xy[:, 0])
    y = np.ascontiguousarray(xy[:, 1])
    tab = np.ascontiguousarray(table, dtype=np.int64)
    return np.asarray(
        _hex_cells(
            x, y, float(spacing), tab, np.int64(lo[0]), np.int64(lo[1]), float(margin_m), outside
        )
    )
