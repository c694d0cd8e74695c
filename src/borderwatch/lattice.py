"""A fixed global lattice of nested squares, with stable global cell ids.

Every public grid of borderwatch, and the shared grid of two countries that
pool counts, is cut from one lattice: squares of :data:`ALLOWED_CELL_KM`
(5, 10, 20, 40 and 80 km) in :data:`LATTICE_CRS` (EPSG:6933, the global
equal-area cylindrical projection of EASE-Grid 2.0), anchored on its origin.

* **Nested.** Each size is twice the previous and all share the origin, so a
  cell of one size is exactly four cells of the next smaller size. Cells from
  any two runs, whatever their study area or cell size, coincide or nest;
  they never overlap partially.
* **Equal area.** EPSG:6933 preserves area, so every cell holds exactly
  ``cell_km ** 2`` km² of the Earth, at any latitude. The cell of a point at
  5 km is 25 km²: intersecting the cells that hold it across any number of
  releases never gives less.
* **A lon/lat graticule.** The projection is cylindrical: lattice edges are
  meridians and parallels, so a cell is a longitude/latitude rectangle (rows
  are narrower in latitude towards the poles).
* **Stable ids.** :func:`lattice_ids` gives each cell a global 64-bit id that
  encodes its size, row and column (``km * 10**12 + (row + 500000) * 10**6 +
  (col + 500000)``); the same cell always has the same id, in any run and on
  any machine.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> pts = gpd.GeoSeries([Point(-106.45, 31.7)], crs=4326)
>>> fine = cell_ids_of(pts, 5)
>>> coarse = cell_ids_of(pts, 20)
>>> bool(parent_ids(fine, 20)[0] == coarse[0])
True
>>> decode_ids(coarse).iloc[0].to_dict()
{'cell_km': 20, 'row': 192, 'col': -514}
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._crs import require_crs
from ._errors import DataError
from ._lattice import Grid, build_grid
from ._schema import ALLOWED_CELL_KM as _ALLOWED_CELL_KM

__all__ = [
    "ALLOWED_CELL_KM",
    "LATTICE_CRS",
    "cell_ids_of",
    "cell_polygons",
    "decode_ids",
    "lattice_cells",
    "lattice_ids",
    "parent_ids",
    "snap_cell_km",
    "with_lattice_ids",
]

#: The CRS of the lattice: WGS 84 / NSIDC EASE-Grid 2.0 Global (equal-area, metres).
LATTICE_CRS = CRS.from_epsg(6933)
#: The allowed cell sizes (side of the square, km): each twice the previous.
ALLOWED_CELL_KM: tuple[int, ...] = _ALLOWED_CELL_KM

_KM = 10**12
_ROW = 10**6
_OFF = 500_000


def _check_km(cell_km: float, what: str) -> int:
    if isinstance(cell_km, bool) or not isinstance(cell_km, int | float | np.integer | np.floating):
        msg = f"{what}: cell_km must be one of {ALLOWED_CELL_KM} km, not {cell_km!r}."
        raise DataError(msg)
    if float(cell_km) not in ALLOWED_CELL_KM:
        msg = (
            f"{what}: cell_km must be one of the lattice sizes {ALLOWED_CELL_KM} km, not "
            f"{cell_km!r}. Hint: snap_cell_km({cell_km!r}) gives the nearest allowed size."
        )
        raise DataError(msg)
    return int(cell_km)


def snap_cell_km(cell_km: float) -> int:
    """The allowed lattice size nearest to ``cell_km`` (on a log scale).

    Sizes below 5 km become 5 km and sizes above 80 km become 80 km; halfway
    between two sizes (their geometric mean) goes to the larger one.

    Examples
    --------
    >>> [snap_cell_km(x) for x in (1, 5, 7, 7.1, 12.5, 30, 200)]
    [5, 5, 5, 10, 10, 40, 80]
    """
    if isinstance(cell_km, bool) or not (
        isinstance(cell_km, int | float | np.integer | np.floating)
        and math.isfinite(cell_km)
        and cell_km > 0
    ):
        msg = f"snap_cell_km: cell_km must be a positive number of kilometres, not {cell_km!r}."
        raise DataError(msg)
    best = ALLOWED_CELL_KM[0]
    for size in ALLOWED_CELL_KM[1:]:
        if math.log(float(cell_km)) >= (math.log(size / 2) + math.log(size)) / 2 - 1e-12:
            best = size
    return best


def lattice_ids(x: np.ndarray, y: np.ndarray, cell_km: int) -> np.ndarray:
    """Global ids of the cells holding the lattice coordinates ``x``, ``y`` (metres, EPSG:6933).

    A point on an edge belongs to the cell to its east / north. NaN gives -1.

    Examples
    --------
    >>> lattice_ids(np.array([2500.0, -1.0]), np.array([2500.0, 7500.0]), 5).tolist()
    [5500000500000, 5500001499999]
    """
    km = _check_km(cell_km, "lattice_ids")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    s = km * 1000.0
    ok = np.isfinite(x) & np.isfinite(y)
    col = np.floor(np.where(ok, x, 0.0) / s).astype(np.int64)
    row = np.floor(np.where(ok, y, 0.0) / s).astype(np.int64)
    ids = km * _KM + (row + _OFF) * _ROW + (col + _OFF)
    return np.where(ok, ids, -1).astype(np.int64)


def cell_ids_of(points: gpd.GeoSeries | gpd.GeoDataFrame, cell_km: int) -> np.ndarray:
    """Global ids of the lattice cells (size ``cell_km``) that hold ``points``.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Points with a CRS (any; they are projected to :data:`LATTICE_CRS`).
        Missing or empty geometries get -1.
    cell_km : int
        One of :data:`ALLOWED_CELL_KM`.

    Returns
    -------
    ndarray of int64
        One id per point, in the order of ``points``.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoSeries([Point(0.01, 0.01), None], crs=4326)
    >>> cell_ids_of(pts, 5).tolist()
    [5500000500000, -1]
    """
    _check_km(cell_km, "cell_ids_of")
    if not isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = (
            f"cell_ids_of: points must be a GeoSeries or GeoDataFrame, not {type(points).__name__}."
        )
        raise DataError(msg)
    require_crs(points, what="points")
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if not CRS(geo.crs).equals(LATTICE_CRS):
        geo = geo.to_crs(LATTICE_CRS)
    arr = np.asarray(geo.array, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    x = np.full(len(arr), np.nan)
    y = np.full(len(arr), np.nan)
    if ok.any():
        x[ok] = shapely.get_x(shapely.centroid(arr[ok]))
        y[ok] = shapely.get_y(shapely.centroid(arr[ok]))
    return lattice_ids(x, y, int(cell_km))


def decode_ids(ids: np.ndarray | pd.Series | list[int]) -> pd.DataFrame:
    """The size, row and column of lattice ids (``cell_km``, ``row``, ``col``).

    Examples
    --------
    >>> decode_ids([5500000500000]).iloc[0].tolist()
    [5, 0, 0]
    """
    a = np.asarray(ids, dtype=np.int64)
    km = a // _KM
    bad = (a < 0) | ~np.isin(km, ALLOWED_CELL_KM)
    if bad.any():
        msg = (
            f"decode_ids: {int(bad.sum())} value(s) are not lattice ids (first: "
            f"{int(a[bad][0])}). Hint: lattice ids come from cell_ids_of or lattice_cells."
        )
        raise DataError(msg)
    rest = a % _KM
    return pd.DataFrame({"cell_km": km, "row": rest // _ROW - _OFF, "col": rest % _ROW - _OFF})


def parent_ids(ids: np.ndarray | pd.Series | list[int], cell_km: int) -> np.ndarray:
    """Ids of the cells of size ``cell_km`` that contain the cells ``ids`` (nesting).

    ``cell_km`` must be at least the size of every cell of ``ids``.

    Examples
    --------
    >>> parent_ids([5500003499997], 20).tolist()
    [20500000499999]
    """
    km = _check_km(cell_km, "parent_ids")
    d = decode_ids(ids)
    if (d["cell_km"] > km).any():
        msg = f"parent_ids: some cells are larger than {km} km. Hint: pass a coarser size."
        raise DataError(msg)
    f = (km // d["cell_km"]).to_numpy()
    row = np.floor_divide(d["row"].to_numpy(), f)
    col = np.floor_divide(d["col"].to_numpy(), f)
    return (km * _KM + (row + _OFF) * _ROW + (col + _OFF)).astype(np.int64)


def cell_polygons(ids: np.ndarray | pd.Series | list[int]) -> gpd.GeoSeries:
    """The squares of lattice ids, in :data:`LATTICE_CRS` (unclipped).

    Examples
    --------
    >>> cell_polygons([5500000500000]).total_bounds.tolist()
    [0.0, 0.0, 5000.0, 5000.0]
    """
    d = decode_ids(ids)
    s = d["cell_km"].to_numpy() * 1000.0
    x0 = d["col"].to_numpy() * s
    y0 = d["row"].to_numpy() * s
    return gpd.GeoSeries(shapely.box(x0, y0, x0 + s, y0 + s), crs=LATTICE_CRS)


def lattice_cells(units: gpd.GeoDataFrame | gpd.GeoSeries, *, cell_km: int) -> Grid:
    """The cells of the global lattice that cover ``units``, clipped to them.

    Parameters
    ----------
    units : GeoDataFrame or GeoSeries
        Polygons of the study area with a CRS; a ``country`` column fills
        ``countries`` (as for :func:`borderwatch.grid.square_grid`).
    cell_km : int
        One of :data:`ALLOWED_CELL_KM` (see :func:`snap_cell_km`).

    Returns
    -------
    Grid
        ``shape="square"`` in :data:`LATTICE_CRS`, with the columns of
        :func:`borderwatch.grid.square_grid` (``cell_id`` is 0..n-1 in this
        grid) plus ``lattice_id``, the stable global id of each cell.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 0.2, 0.2)], crs=4326)
    >>> g = lattice_cells(units, cell_km=10)
    >>> g.shape, g.cell_km, g.crs.to_epsg(), g.cells["lattice_id"].iloc[0]
    ('square', 10.0, 6933, np.int64(10500000500000))
    """
    km = _check_km(cell_km, "lattice_cells")
    grid = build_grid(units, cell_km=float(km), crs=LATTICE_CRS, shape="square")
    cells = grid.cells.copy()
    ids = lattice_ids(cells["x_m"].to_numpy(), cells["y_m"].to_numpy(), km)
    cells.insert(1, "lattice_id", ids)
    return grid.with_cells(cells)


def with_lattice_ids(cells: gpd.GeoDataFrame, cell_km: int) -> gpd.GeoDataFrame:
    """``cells`` (squares of the lattice, with their centres ``x_m``, ``y_m`` in
    :data:`LATTICE_CRS`) with their ``lattice_id`` as the second column; a new frame.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"cell_id": [0], "x_m": [7500.0], "y_m": [2500.0]},
    ...                          geometry=[box(5000, 0, 10000, 5000)], crs=LATTICE_CRS)
    >>> with_lattice_ids(cells, 5).columns.tolist()[:2]
    ['cell_id', 'lattice_id']
    """
    out = cells.copy()
    ids = lattice_ids(out["x_m"].to_numpy(), out["y_m"].to_numpy(), int(cell_km))
    out.insert(min(1, len(out.columns)), "lattice_id", ids)
    return out
