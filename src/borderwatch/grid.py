"""Analysis grids, point counts and the default cell size.

The grid is the common geometry of the hotspot statistics: hexagons (default)
or squares laid on a fixed lattice in the metric CRS of the study area,
clipped to the union of the administrative units, each recording the
countries it touches. :func:`hex_grid` and :func:`square_grid` return a
:class:`Grid`: the cells together with their shape and size, which the
weights (:mod:`borderwatch.weights`, whose names are also reachable here:
``borderwatch.grid.cell_weights``, ``unit_weights``, ``natural_threshold_m``,
``SpatialWeights``) and the statistics read instead of guessing them.
Neighbours are found **across** international borders: the weights know
nothing about countries.

``cell_km`` is the distance between the centres of two adjacent cells: the
width across flats of a hexagon, the side of a square. A hexagon of spacing
``s`` has area ``sqrt(3) / 2 * s**2``.

Everything here is vectorised (STR-trees, KD-trees, shapely array functions);
a 1.5 million km² region at 5 km cells (about 70,000 hexagons) takes a few
seconds.
"""

from __future__ import annotations

import math
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from ._cellindex import lattice_cells, remembered_cells
from ._crs import require_crs, to_metric
from ._errors import DataError
from ._geom import projected
from ._lattice import MAX_LATTICE_CELLS, Grid, Shape, build_grid, cells_frame
from ._stacks import unique_rows
from .weights import SpatialWeights, cell_weights, natural_threshold_m, unit_weights

__all__ = [
    "MAX_LATTICE_CELLS",
    "Grid",
    "Shape",
    "SpatialWeights",
    "cell_weights",
    "count_points",
    "default_cell_km",
    "hex_grid",
    "natural_threshold_m",
    "point_cells",
    "square_grid",
    "study_grid",
    "unit_weights",
]

#: "Nice" mantissas for the default cell size.
_NICE = (1.0, 2.0, 2.5, 5.0)
_HEX_AREA = math.sqrt(3.0) / 2.0  # hexagon area / spacing**2


# --------------------------------------------------------------------------- grids


def hex_grid(
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float,
    crs: CRS | str | None = None,
) -> Grid:
    """Hexagonal cells covering the study area, clipped to it.

    Parameters
    ----------
    units : GeoDataFrame or GeoSeries
        Polygons of the study area with a CRS, usually the administrative
        units; a ``country`` column (ISO3) fills the ``countries`` column.
    cell_km : float
        Distance between the centres of adjacent hexagons (width across
        flats), in kilometres.
    crs : CRS, optional
        Metric CRS of the grid. Default: a projected metre-based CRS of
        ``units`` is kept, else :func:`borderwatch.study_crs` chooses one.

    Returns
    -------
    Grid
        ``shape="hex"``, ``cell_km`` and ``cells``: a GeoDataFrame in the
        metric CRS, one row per cell that overlaps the study area with a
        positive area: ``cell_id`` (int, 0..n-1, south to north, west to
        east), ``countries`` (ISO3 codes of the units the cell overlaps,
        sorted and comma-separated; empty when ``units`` has no ``country``),
        ``area_km2`` (after clipping), ``x_m``, ``y_m`` (centre of the
        unclipped lattice cell, used by :func:`cell_weights`) and the clipped
        geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA", "BBB"]},
    ...     geometry=[box(0, 0, 50_000, 40_000), box(50_000, 0, 100_000, 40_000)], crs=3857)
    >>> grid = hex_grid(units, cell_km=10)
    >>> round(grid.cells.area_km2.sum()), grid.shape, grid.cell_km
    (4000, 'hex', 10.0)
    >>> sorted(grid.cells["countries"].unique())
    ['AAA', 'AAA,BBB', 'BBB']
    """
    return build_grid(units, cell_km=cell_km, crs=crs, shape="hex")


def square_grid(
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float,
    crs: CRS | str | None = None,
) -> Grid:
    """Square cells covering the study area, clipped to it.

    Same as :func:`hex_grid` with squares of side ``cell_km``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 30_000, 20_000)], crs=3857)
    >>> grid = square_grid(units, cell_km=10)
    >>> len(grid), round(grid.cells.area_km2.sum()), grid.threshold_m
    (6, 600, 14283.56)
    """
    return build_grid(units, cell_km=cell_km, crs=crs, shape="square")


# --------------------------------------------------------------------------- counts


def count_points(
    cells: Grid | gpd.GeoDataFrame, points: gpd.GeoDataFrame | gpd.GeoSeries
) -> pd.Series:
    """Number of points in each cell.

    A point on the edge between two cells is counted once (in the cell with
    the smaller position); points outside every cell and missing or empty
    geometries are not counted.

    Parameters
    ----------
    cells : Grid or GeoDataFrame
        A :class:`Grid` (from :func:`hex_grid`), or any polygons with a CRS.
    points : GeoDataFrame or GeoSeries
        Points with a CRS; reprojected to the CRS of ``cells`` when needed.

    Returns
    -------
    Series
        ``int64`` counts named ``count``, aligned with the index of the cells.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=3857)
    >>> pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1.0, 0.5), Point(1.5, 0.2), Point(9, 9)], crs=3857)
    >>> count_points(cells, pts).tolist()
    [2, 1]
    """
    cells = cells_frame(cells)
    require_crs(cells, what="cells")
    require_crs(points, what="points")
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geo = projected(geo, cells.crs)
    where = point_cells(cells, geo)
    counts = np.bincount(where[where >= 0], minlength=len(cells)).astype(np.int64)
    return pd.Series(counts, index=cells.index, name="count")


def point_cells(
    cells: Grid | gpd.GeoDataFrame, points: gpd.GeoSeries | gpd.GeoDataFrame
) -> np.ndarray:
    """Position (0..n-1) of the cell holding each point, -1 for none.

    ``cells`` is a :class:`Grid` or any polygons. Points are reprojected to the
    CRS of the cells; a point on an edge goes to the cell with the smaller
    position. A :class:`Grid`'s unclipped cells are found by arithmetic on its
    lattice (:mod:`borderwatch._cellindex`), the rest through an STR-tree, with
    the same result. A :class:`Grid`'s answers for the same points are remembered
    (:func:`borderwatch._cellindex.remembered_cells`): the pipeline's steps look up
    the same incidents on the same lattice once.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=3857)
    >>> point_cells(cells, gpd.GeoSeries([Point(1.5, 0.5), Point(7, 7)], crs=3857)).tolist()
    [1, -1]
    """
    lattice = cells if isinstance(cells, Grid) else None
    cells = cells_frame(cells)
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geo = projected(geo, cells.crs)
    if lattice is None:
        return _point_cells(None, cells, geo)
    return remembered_cells(lattice, cells, geo.array, lambda: _point_cells(lattice, cells, geo))


def _point_cells(lattice: Grid | None, cells: gpd.GeoDataFrame, geo: gpd.GeoSeries) -> np.ndarray:
    """:func:`point_cells` of the metric points ``geo`` (not remembered)."""
    arr = np.asarray(geo.array, dtype=object)
    out = np.full(len(arr), -1, dtype=np.int64)
    ok = np.flatnonzero(~(shapely.is_missing(arr) | shapely.is_empty(arr)))
    if lattice is not None and len(ok):
        # a Grid's unclipped cells by arithmetic; the rest through the index below
        xy = shapely.get_coordinates(arr[ok])
        fin = np.isfinite(xy).all(axis=1)
        where, settled = lattice_cells(lattice, np.where(fin[:, None], xy, 0.0))
        settled &= fin
        out[ok[settled]] = where[settled]
        ok = ok[~settled]
    if len(ok) and len(cells):
        tree = shapely.STRtree(np.asarray(cells.geometry.array, dtype=object))
        p_idx, c_idx = tree.query(arr[ok], predicate="intersects")
        if len(p_idx):
            order = np.lexsort((c_idx, p_idx))
            p_idx, c_idx = p_idx[order], c_idx[order]
            first = np.r_[True, p_idx[1:] != p_idx[:-1]]
            out[ok[p_idx[first]]] = c_idx[first]
    return out


# --------------------------------------------------------------------------- cell size


def default_cell_km(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    units: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    crs: CRS | str | None = None,
    shape: Shape = "hex",
    min_cells: int = 300,
    max_cells: int = 15_000,
) -> float:
    """A cell size chosen from the data.

    The rule, in the spirit of ArcGIS's Optimized Hot Spot Analysis (which
    derives the fishnet size from the spatial distribution of the incidents):

    1. Project the points to a metric CRS and collapse coincident points (the
       same location reported many times says nothing about spacing).
    2. ``d`` = median nearest-neighbour distance between the distinct
       locations; the raw size is ``2 * d`` so that a typical incident's
       nearest neighbour falls in its own or an adjacent cell.
    3. Round to a "nice" value (1, 2, 2.5 or 5 times a power of ten, nearest
       on a log scale).
    4. Bound it so that the grid over the study area (``units``, else the
       convex hull of the points) has between ``min_cells`` and ``max_cells``
       cells: a size that gives too many cells is stepped up to the next nice
       value, too few stepped down. The bound also keeps the multiple-testing
       burden of the false-discovery-rate correction reasonable.

    ``--cell-km`` always overrides this choice.

    When the cap of step 4 would set the size anyway (more than half of the distinct
    locations share a small square with another, so the median spacing is below it),
    the size is the cap and the spacing is not measured: the same size, without a
    KD-tree over every location.

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Incident points with a CRS.
    units : GeoDataFrame or GeoSeries, optional
        The study area.
    crs : CRS, optional
        Metric CRS; see :func:`borderwatch._crs.to_metric`.
    shape : {"hex", "square"}
        Cell shape (sets the cell area for the bounds).
    min_cells, max_cells : int
        Bounds on the number of cells.

    Returns
    -------
    float
        Cell size in kilometres.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> rng = np.random.default_rng(1)
    >>> xy = rng.uniform(0, 200_000, size=(400, 2))
    >>> pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> area = gpd.GeoSeries([box(0, 0, 200_000, 200_000)], crs=3857)
    >>> default_cell_km(pts, units=area)
    10.0
    """
    require_crs(points, what="points")
    frame = points.to_frame("geometry") if isinstance(points, gpd.GeoSeries) else points
    if crs is not None:  # the points' projection is shared with the other steps
        metric = CRS(crs)
        xy = _distinct_xy(projected(frame.geometry, metric).to_frame("geometry"))
    else:
        pm, metric = to_metric(frame, crs)
        xy = _distinct_xy(pm)
    area = _study_area_m2(units, metric, xy)
    unit_area = _HEX_AREA if shape == "hex" else 1.0
    bounds = {"min_cells": min_cells, "max_cells": max_cells}
    cap = _capped(xy, area, unit_area, **bounds) if len(xy) >= 2 and area > 0 else None
    if cap is not None:  # what the median spacing would give, without measuring it
        return cap
    if len(xy) >= 2:
        # exact nearest neighbours whatever the tree's layout; the queries on both cores
        tree = cKDTree(xy, balanced_tree=False, compact_nodes=False)
        dist, _ = tree.query(xy, k=2, workers=-1)
        raw = 2.0 * float(np.median(dist[:, 1]))
    elif area > 0:
        raw = math.sqrt(area / (unit_area * math.sqrt(min_cells * max_cells)))
    else:
        msg = "cannot choose a cell size: fewer than two distinct incident locations and no study area. Hint: pass cell_km."
        raise DataError(msg)
    size = _nice(raw / 1000.0)
    if area > 0:
        size = _bounded(size, area, unit_area, **bounds)
    return float(size)


def _capped(
    xy: np.ndarray, area: float, unit_area: float, *, min_cells: int, max_cells: int
) -> float | None:
    """The size :func:`default_cell_km` chooses when the cap on the number of cells sets
    it, if a census of close pairs proves that it does (else None: measure the spacing).

    ``cap``, the smallest nice size with at most ``max_cells`` cells, is what
    :func:`_bounded` makes of every nice size up to ``cap`` (those below have too many
    cells and are stepped up to it), and :func:`_nice` keeps every raw size up to
    ``cap`` at or below it. So when the median nearest-neighbour distance ``d`` of the
    distinct locations is at most ``t = cap / 2`` (the raw size is ``2 * d``), the
    choice is ``cap``, whatever ``d`` is. ``d <= t`` holds when more than half the
    locations have a neighbour within ``t``, which two locations in the same square of
    side ``t / sqrt(2)`` do: one pass over the locations instead of a KD-tree.
    """
    bounds = {"min_cells": min_cells, "max_cells": max_cells}
    cap = _nice(math.sqrt(area / (unit_area * max_cells)) / 1000.0)
    while area / (unit_area * (cap * 1000.0) ** 2) <= max_cells and cap > 1e-3:
        cap = _nice_step(cap, -1)  # below the smallest size with few enough cells
    cap = _bounded(cap, area, unit_area, **bounds)
    below = _nice_step(cap, -1)
    if (
        _bounded(below, area, unit_area, **bounds) != cap
        or _bounded(cap, area, unit_area, **bounds) != cap
    ):
        return None  # not the shape of bound this shortcut relies on
    side = cap * 1000.0 / 2.0 / math.sqrt(2.0) * (1.0 - 1e-9)  # metres; diagonal < t
    ij = np.floor((xy - xy.min(axis=0)) / side)
    if not np.isfinite(ij).all() or ij.max() >= 2.0**31:
        return None
    key = ij[:, 0].astype(np.int64) * (int(ij[:, 1].max()) + 1) + ij[:, 1].astype(np.int64)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    close = int((counts[inverse] >= 2).sum())  # locations sharing their square
    return float(cap) if close >= len(xy) // 2 + 1 else None


def study_grid(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float | None = None,
    shape: Shape = "hex",
    crs: CRS | str | None = None,
) -> tuple[Grid, Literal["data", "user"]]:
    """The analysis grid of the units, at ``cell_km`` or a size chosen from the points.

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Incident points with a CRS (for :func:`default_cell_km`).
    units : GeoDataFrame or GeoSeries
        The study area.
    cell_km : float, optional
        Cell size; default :func:`default_cell_km` of the points.
    shape : {"hex", "square"}
    crs : CRS, optional
        Metric CRS (default: chosen for the units, :func:`borderwatch._crs.to_metric`).

    Returns
    -------
    (Grid, str)
        The grid (:func:`hex_grid` or :func:`square_grid`) and where its size came
        from: ``"user"`` (given) or ``"data"`` (chosen).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> rng = np.random.default_rng(1)
    >>> xy = rng.uniform(0, 200_000, size=(400, 2))
    >>> pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> area = gpd.GeoSeries([box(0, 0, 200_000, 200_000)], crs=3857)
    >>> grid, source = study_grid(pts, area, shape="square")
    >>> grid.cell_km, len(grid.cells), source
    (10.0, 400, 'data')
    """
    units_m, metric = to_metric(units, crs)
    source: Literal["data", "user"] = "user"
    if cell_km is None:
        cell_km = default_cell_km(points, units=units_m, crs=metric, shape=shape)
        source = "data"
    build = hex_grid if shape == "hex" else square_grid
    return build(units_m, cell_km=float(cell_km), crs=metric), source


def _distinct_xy(points: gpd.GeoDataFrame) -> np.ndarray:
    """Distinct point locations (to the millimetre), ``(n, 2)``."""
    arr = np.asarray(points.geometry.array, dtype=object)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if not len(arr):
        return np.zeros((0, 2))
    return unique_rows(np.round(shapely.get_coordinates(arr), 3))


def _study_area_m2(
    units: gpd.GeoDataFrame | gpd.GeoSeries | None, metric: CRS, xy: np.ndarray
) -> float:
    """Area of the units, else of the convex hull of the points (0 when neither)."""
    if units is not None:
        require_crs(units, what="units")
        ugeo = (
            units.to_crs(metric).geometry
            if isinstance(units, gpd.GeoDataFrame)
            else units.to_crs(metric)
        )
        return float(ugeo.area.sum())
    if len(xy) >= 3:
        return float(shapely.area(shapely.convex_hull(shapely.multipoints(xy))))
    return 0.0


def _bounded(
    size: float, area: float, unit_area: float, *, min_cells: int, max_cells: int
) -> float:
    """Step ``size`` (km) to the nice values that keep the cell count within bounds.

    ``area`` is the study area in m², ``unit_area`` the cell area per spacing².
    """

    def n_cells(s: float) -> float:
        return area / (unit_area * (s * 1000.0) ** 2)

    while n_cells(size) > max_cells:
        size = _nice_step(size, +1)
    while n_cells(size) < min_cells and size > 0.01:
        smaller = _nice_step(size, -1)
        if n_cells(smaller) > max_cells:
            break
        size = smaller
    return size


def _nice(x: float) -> float:
    """Nearest (log scale) value of 1, 2, 2.5, 5 times a power of ten."""
    if not (x > 0 and math.isfinite(x)):
        return 1.0
    exp = math.floor(math.log10(x))
    cands = [m * 10.0**e for e in (exp - 1, exp, exp + 1) for m in _NICE]
    best = min(cands, key=lambda c: abs(math.log(c / x)))
    return float(f"{best:.6g}")


def _nice_step(x: float, direction: int) -> float:
    """The next nice value above (``+1``) or below (``-1``) ``x``."""
    exp = math.floor(math.log10(x))
    cands = sorted(m * 10.0**e for e in (exp - 1, exp, exp + 1) for m in _NICE)
    if direction > 0:
        nxt = next(c for c in cands if c > x * (1 + 1e-9))
    else:
        nxt = next(c for c in reversed(cands) if c < x * (1 - 1e-9))
    return float(f"{nxt:.6g}")
