"""Which lattice cell holds a point, by arithmetic: the fast path of ``grid.point_cells``.

A :class:`~borderwatch.grid.Grid`'s cells come from a regular lattice anchored on
the origin of its CRS (:mod:`borderwatch._lattice`). The lattice cell holding a
point is its nearest lattice centre, found by rounding: no spatial index. That
answer is taken where it is certain:

* the point is at least 1 cm inside its lattice cell (far from every edge, so no
  other cell can hold it, even one snapped to the 1 mm grid of the clipping);
* that cell is in the grid *unclipped*: its polygon is exactly the lattice
  polygon, coordinate for coordinate (the point is then inside it).

Every other point (in a clipped cell at the edge of the study area, near an edge,
outside the grid) goes through the spatial index as before, so the result is
always that of ``shapely.STRtree.query(..., predicate="intersects")`` with ties to
the smaller position.
"""

from __future__ import annotations

import hashlib
import math
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from ._lattice import Grid, ring_offsets
from ._memo import active, forget_on_exit

__all__ = ["MARGIN_M", "lattice_cells", "remembered_cells"]

#: How far inside its lattice cell a point must be for the arithmetic answer (metres).
MARGIN_M = 0.01


def _rows_cols(x: np.ndarray, y: np.ndarray, spacing: float, shape: str) -> np.ndarray:
    """(row, col) of the lattice centres nearest to the centres ``x``, ``y`` themselves."""
    if shape == "hex":
        dy = spacing * math.sqrt(3.0) / 2.0
        r = np.rint(y / dy).astype(np.int64)
        c = np.rint((x - (r % 2) * (spacing / 2.0)) / spacing).astype(np.int64)
    else:
        r = np.rint(y / spacing - 0.5).astype(np.int64)
        c = np.rint(x / spacing - 0.5).astype(np.int64)
    return np.column_stack([r, c])


def _centres(rc: np.ndarray, spacing: float, shape: str) -> np.ndarray:
    """Centres of the lattice cells ``rc``, computed as the lattice computes them."""
    rr, cc = rc[:, 0], rc[:, 1]
    if shape == "hex":
        dy = spacing * math.sqrt(3.0) / 2.0
        return np.column_stack([cc * spacing + (rr % 2) * (spacing / 2.0), rr * dy])
    return np.column_stack([(cc + 0.5) * spacing, (rr + 0.5) * spacing])


def _full_cells(grid: Grid, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Lattice (row, col) of every cell, and whether the cell is the whole lattice polygon."""
    cells = grid.cells
    x = cells["x_m"].to_numpy(dtype=float)
    y = cells["y_m"].to_numpy(dtype=float)
    rc = _rows_cols(x, y, spacing, grid.shape)
    centres = _centres(rc, spacing, grid.shape)
    ring = ring_offsets(spacing, grid.shape)
    geoms = np.asarray(cells.geometry.array, dtype=object)
    full = (centres[:, 0] == x) & (centres[:, 1] == y)
    full &= shapely.get_type_id(geoms) == 3  # Polygon
    full &= shapely.get_num_interior_rings(geoms) == 0
    full &= shapely.get_num_coordinates(geoms) == len(ring)
    idx = np.flatnonzero(full)
    if len(idx):
        coords = shapely.get_coordinates(geoms[idx]).reshape(len(idx), len(ring), 2)
        same = (coords == centres[idx, None, :] + ring[None, :, :]).all(axis=(1, 2))
        full[idx[~same]] = False
    return rc, full


def _nearest(xy: np.ndarray, spacing: float, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """The lattice cell (row, col) of each point and how far inside it the point is (m)."""
    if shape == "square":
        ij = np.floor(xy / spacing)
        lo = xy - ij * spacing
        margin = np.minimum(lo, spacing - lo).min(axis=1)
        return ij[:, ::-1].astype(np.int64), margin
    dy = spacing * math.sqrt(3.0) / 2.0
    x = np.ascontiguousarray(xy[:, 0])
    y = np.ascontiguousarray(xy[:, 1])
    r0 = np.floor(y / dy).astype(np.int64)
    best = np.full(len(xy), np.inf)
    second = np.full(len(xy), np.inf)
    rc = np.zeros((len(xy), 2), dtype=np.int64)
    d2 = np.empty(len(xy))
    closer = np.empty(len(xy), dtype=bool)
    for dr in (0, 1):  # the point lies between rows r0 and r0 + 1
        r = r0 + dr
        shift = (r % 2) * (spacing / 2.0)  # the centres as _centres computes them
        ry = (y - r * dy) ** 2
        c0 = np.rint((x - shift) / spacing).astype(np.int64)
        for dc in (-1, 0, 1):
            c = c0 + dc
            np.subtract(x, c * spacing + shift, out=d2)
            np.square(d2, out=d2)
            d2 += ry
            np.less(d2, best, out=closer)
            np.minimum(second, d2, out=second)
            np.copyto(second, best, where=closer)
            np.copyto(best, d2, where=closer)
            rc[closer, 0] = r[closer]
            rc[closer, 1] = c[closer]
    # distance to the edge shared with the second nearest centre (an adjacent one)
    return rc, (second - best) / (2.0 * spacing)


def lattice_cells(grid: Grid, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cell position of the points ``xy`` (metric, finite) that arithmetic settles.

    Returns ``where`` (the position, -1 where unsettled) and ``settled`` (bool).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import square_grid
    >>> g = square_grid(gpd.GeoSeries([box(0, 0, 40_000, 40_000)], crs=3857), cell_km=10)
    >>> xy = np.array([[15_000.0, 15_000.0], [20_000.0, 15_000.0], [5_000.0, 5_000.0]])
    >>> where, settled = lattice_cells(g, xy)  # on an edge; in a cell clipped at the border
    >>> where.tolist(), settled.tolist()
    ([5, -1, -1], [True, False, False])
    """
    spacing = float(grid.cell_km) * 1000.0
    n = len(xy)
    where = np.full(n, -1, dtype=np.int64)
    settled = np.zeros(n, dtype=bool)
    if n == 0 or len(grid) == 0 or not {"x_m", "y_m"} <= set(grid.cells.columns):
        return where, settled
    rc_cells, full = _full_cells(grid, spacing)
    pos = np.flatnonzero(full)
    if not len(pos):
        return where, settled
    if grid.shape == "hex" and n >= COMPILED_FROM:  # one compiled pass, the same cells
        return _compiled(grid, np.asarray(xy, dtype=float), spacing, rc_cells, full)
    lo = rc_cells[pos].min(axis=0)
    width = int(rc_cells[pos, 1].max() - lo[1]) + 1
    keys = (rc_cells[pos, 0] - lo[0]) * width + (rc_cells[pos, 1] - lo[1])
    order = np.argsort(keys, kind="stable")
    keys, pos = keys[order], pos[order]
    rc, margin = _nearest(np.asarray(xy, dtype=float), spacing, grid.shape)
    r, c = rc[:, 0] - lo[0], rc[:, 1] - lo[1]
    inside = (margin >= MARGIN_M) & (r >= 0) & (c >= 0) & (c < width)
    key = np.where(inside, r * width + c, -1)
    at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
    settled = inside & (keys[at] == key)
    where[settled] = pos[at[settled]]
    return where, settled


def _compiled(
    grid: Grid, xy: np.ndarray, spacing: float, rc: np.ndarray, full: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lattice_cells` of a hexagonal grid through :func:`borderwatch._cellhex.hex_cells`,
    which also settles the points 1 cm inside a lattice cell that is clipped or absent,
    when every clipped cell lies in its lattice cell (:func:`_clipped_inside`): such a
    point can be in that one cell only, so it is tested against that cell alone (an
    absent one: in none), which is what the spatial index answers.
    """
    from ._cellhex import hex_cells

    geoms = np.asarray(grid.cells.geometry.array, dtype=object)
    few = int(len(full) - full.sum()) <= CLIPPED_AT_MOST  # else their checks cost more
    few = few and int(shapely.get_num_coordinates(geoms[~full]).sum()) <= VERTICES_AT_MOST
    clipped = _clipped_inside(grid, geoms, rc, full, spacing) if few else None
    use = full | clipped if clipped is not None else full
    pos = np.flatnonzero(use)
    lo = rc[pos].min(axis=0)
    shape = tuple(int(v) for v in rc[pos].max(axis=0) - lo + 1)
    outside = -2 if clipped is not None else -1  # -2: in no cell; -1: for the index
    table = np.full(shape, outside, dtype=np.int64)
    code = np.where(full[pos], pos, -3 - pos)  # -3 - p: test against the clipped cell p
    table[rc[pos[::-1], 0] - lo[0], rc[pos[::-1], 1] - lo[1]] = code[::-1]  # first wins
    got = hex_cells(xy, spacing, table, (int(lo[0]), int(lo[1])), MARGIN_M, outside=outside)
    settled = got != -1
    where = np.where(got >= 0, got, -1)
    test = np.flatnonzero(got <= -3)
    if len(test):
        cell = -3 - got[test]
        order = np.argsort(cell, kind="stable")
        test, cell = test[order], cell[order]
        starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(cell)], strict=True):
            rows = test[a:b]
            hit = shapely.intersects_xy(geoms[cell[a]], xy[rows, 0], xy[rows, 1])
            where[rows[hit]] = cell[a]
    return where, settled


def _clipped_inside(
    grid: Grid, geoms: np.ndarray, rc: np.ndarray, full: np.ndarray, spacing: float
) -> np.ndarray | None:
    """The clipped cells (not ``full``), when every cell has its own lattice cell (its
    centre on the lattice, no two alike) and every clipped cell lies inside its lattice
    cell grown by 2 mm (the clipping's 1 mm snapping): then a point 1 cm inside a
    lattice cell can be in that cell's grid cell only. None otherwise."""
    cells = grid.cells
    xy = np.column_stack([cells["x_m"].to_numpy(dtype=float), cells["y_m"].to_numpy(dtype=float)])
    if not (_centres(rc, spacing, grid.shape) == xy).all():
        return None
    key = rc[:, 0].astype(np.int64) * (int(rc[:, 1].max() - rc[:, 1].min()) + 1) + rc[:, 1]
    if len(np.unique(key)) != len(key):
        return None
    clipped = ~full
    idx = np.flatnonzero(clipped)
    if len(idx):
        ring = ring_offsets(spacing, grid.shape)
        own = shapely.polygons(xy[idx, None, :] + ring[None, :, :])
        # inside the (convex) lattice cell grown by 2 mm: every vertex within 2 mm of it
        coords, which = shapely.get_coordinates(geoms[idx], return_index=True)
        if (shapely.distance(shapely.points(coords), own[which]) > 0.002).any():
            return None
    return clipped


#: Clipped cells (and their vertices) up to which the compiled pass tests a point against
#: its own clipped cell (more: checking them and one call per cell cost more than the
#: spatial index; the Mexico-US admin-2 grid at 10 km has 10,902 clipped cells).
CLIPPED_AT_MOST = 5_000
VERTICES_AT_MOST = 200_000

#: Points from which :func:`lattice_cells` takes the compiled pass (fewer: NumPy, no numba).
COMPILED_FROM = 50_000

#: The last few cell look-ups: (the lattice's digest, the points' array, cell of each point).
_LOOKUPS: list[tuple[str, weakref.ref[Any], np.ndarray]] = []
forget_on_exit(_LOOKUPS.clear)
_KEEP = 4


def lattice_digest(grid: Grid, cells: Any) -> str:
    """A digest of everything :func:`lattice_cells` and an index of ``cells`` read:
    the lattice's shape and size, the cells' centres and their geometries (WKB), computed once per geometry
    array.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import square_grid
    >>> g = square_grid(gpd.GeoSeries([box(0, 0, 40_000, 40_000)], crs=3857), cell_km=10)
    >>> lattice_digest(g, g.cells) == lattice_digest(g, g.cells.assign(extra=1))
    True
    >>> h = square_grid(gpd.GeoSeries([box(0, 0, 40_000, 30_000)], crs=3857), cell_km=10)
    >>> lattice_digest(g, g.cells) == lattice_digest(h, h.cells)
    False
    """
    h = hashlib.sha256(f"{grid.shape}|{float(grid.cell_km)!r}|{len(cells)}|{cells.crs}".encode())
    for col in ("x_m", "y_m"):
        if col in cells.columns:
            h.update(col.encode())
            h.update(np.ascontiguousarray(cells[col].to_numpy(dtype=float)).tobytes())
    h.update(_geometry_digest(cells.geometry.array).encode())
    return h.hexdigest()


#: Digests of the last few cell geometry arrays: (array, digest).
_DIGESTS: list[tuple[weakref.ref[Any], str]] = []
forget_on_exit(_DIGESTS.clear)


def _geometry_digest(array: Any) -> str:
    """A digest of the geometries (remembered per array, held weakly)."""
    for ref, digest in _DIGESTS if active() else ():
        if ref() is array:
            return digest
    wkb = shapely.to_wkb(np.asarray(array, dtype=object))
    h = hashlib.sha256(b"|".join(b"-" if w is None else w for w in wkb.tolist()))
    digest = h.hexdigest()
    if not active():
        return digest
    _DIGESTS[:] = [e for e in _DIGESTS if e[0]() is not None][-(_KEEP - 1) :]
    _DIGESTS.append((weakref.ref(array), digest))
    return digest


def remembered_cells(
    grid: Grid, cells: Any, points: Any, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """``compute()`` (the cell of each of ``points`` in ``cells``, the frame of ``grid``),
    computed once per lattice and points.

    The pipeline looks up the cells of the same (projected) incidents on the same
    lattice in several steps (hotspot statistics, emerging hotspots, regions, the
    scan on the hotspot grid, the hotspot map's PAI): the last few answers are
    remembered, keyed by the lattice's content (:func:`lattice_digest`: the steps hold
    copies of the grid with their own columns) and the identity of the points' geometry
    array (held weakly, like :func:`borderwatch._geom.projected`), inside a run only
    (:func:`borderwatch._memo.remembering`). Each call gets its own copy.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import square_grid
    >>> g = square_grid(gpd.GeoSeries([box(0, 0, 40_000, 40_000)], crs=3857), cell_km=10)
    >>> pts = gpd.GeoSeries(gpd.points_from_xy([15_000.0], [15_000.0]), crs=3857).array
    >>> calls = []
    >>> def compute():
    ...     calls.append(1)
    ...     return np.array([5])
    >>> from borderwatch._memo import remembering
    >>> with remembering():  # as inside analyze(); outside, each call computes
    ...     a = remembered_cells(g, g.cells, pts, compute)
    ...     b = remembered_cells(g, g.cells.copy(), pts, compute)
    >>> a.tolist(), b.tolist(), len(calls), a is b
    ([5], [5], 1, False)
    """
    if not active():  # only inside a run (borderwatch._memo)
        return compute()
    digest = lattice_digest(grid, cells)
    for d, p_ref, where in _LOOKUPS:
        if d == digest and len(where) == len(points) and p_ref() is points:
            return where.copy()
    where = compute()
    alive = [e for e in _LOOKUPS if e[1]() is not None]
    _LOOKUPS[:] = alive[-(_KEEP - 1) :]
    _LOOKUPS.append((digest, weakref.ref(points), where.copy()))
    return where
