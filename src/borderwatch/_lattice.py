"""The lattice behind the analysis grids: the :class:`Grid` result and how cells are cut.

Private engine of :mod:`borderwatch.grid` (which re-exports :class:`Grid`): the
lattice anchored on the origin of the metric CRS, the clipping of its cells to
the study area, and the countries each cell overlaps.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._crs import require_crs, to_metric
from ._errors import DataError
from ._geom import robust_overlay

__all__ = [
    "MAX_LATTICE_CELLS",
    "Grid",
    "Shape",
    "build_grid",
    "cells_frame",
    "polygonal",
    "ring_offsets",
]

Shape = Literal["hex", "square"]

#: Largest number of lattice cells a grid may have before clipping.
MAX_LATTICE_CELLS = 2_000_000
#: Distance band of the ring of adjacent cells, in lattice spacings.
_BAND = {"hex": 1.01, "square": 1.01 * math.sqrt(2.0)}


def band_m(spacing_m: float, shape: Shape) -> float:
    """The distance band that links a cell to its ring of adjacent cells, in metres."""
    return round(spacing_m * _BAND[shape], 2)


@dataclass(frozen=True, eq=False)
class Grid:
    """Cells of a regular lattice in a metric CRS, and the lattice they come from.

    Returned by :func:`borderwatch.grid.hex_grid` and
    :func:`borderwatch.grid.square_grid`; functions that need the lattice
    (:func:`borderwatch.grid.cell_weights`, :func:`borderwatch.regions.hotspot_regions`,
    :func:`borderwatch.evaluate.hotspot_pai` ...) take it whole, so the cell size
    and shape travel with the cells instead of being guessed from them.

    Attributes
    ----------
    cells : GeoDataFrame
        One row per cell, in the metric CRS: ``cell_id``, ``countries``,
        ``area_km2``, ``x_m``, ``y_m`` (centre of the unclipped lattice cell) and
        the clipped geometry; results such as
        :class:`borderwatch.hotspots.CellHotspots` add their own columns.
    shape : {"hex", "square"}
        Cell shape.
    cell_km : float
        Distance between the centres of adjacent cells, in kilometres.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid
    >>> g = hex_grid(gpd.GeoSeries([box(0, 0, 50_000, 50_000)], crs=3857), cell_km=5)
    >>> g.shape, g.cell_km, g.threshold_m, len(g) == len(g.cells)
    ('hex', 5.0, 5050.0, True)
    """

    cells: gpd.GeoDataFrame
    shape: Shape
    cell_km: float

    def __post_init__(self) -> None:
        if self.shape not in _BAND:
            msg = f"Grid: shape must be 'hex' or 'square', not {self.shape!r}."
            raise DataError(msg)
        if not (math.isfinite(self.cell_km) and self.cell_km > 0):
            msg = f"Grid: cell_km must be a positive number of kilometres, not {self.cell_km!r}."
            raise DataError(msg)

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def crs(self) -> CRS:
        """The metric CRS of the cells."""
        return CRS(self.cells.crs)

    @property
    def threshold_m(self) -> float:
        """The distance band that links each cell to its ring of adjacent cells.

        1.01 times the spacing for hexagons (6 neighbours), 1.01 times the
        diagonal for squares (8 neighbours, queen), rounded to the centimetre.
        """
        return band_m(self.cell_km * 1000.0, self.shape)

    def with_cells(self, cells: gpd.GeoDataFrame) -> Grid:
        """The same lattice with other cells (e.g. the cells with statistics added)."""
        return replace(self, cells=cells)


def cells_frame(cells: Grid | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The cells of a :class:`Grid`, or the frame itself."""
    return cells.cells if isinstance(cells, Grid) else cells


# --------------------------------------------------------------------------- building


def build_grid(
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float,
    crs: CRS | str | None,
    shape: Shape,
) -> Grid:
    """Cells of ``shape`` covering ``units``, clipped to them (see ``hex_grid``)."""
    if not isinstance(units, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"{shape}_grid: units must be a GeoDataFrame of polygons, not {type(units).__name__}."
        raise DataError(msg)
    if not (isinstance(cell_km, int | float) and math.isfinite(cell_km) and cell_km > 0):
        msg = f"{shape}_grid: cell_km must be a positive number of kilometres, not {cell_km!r}."
        raise DataError(msg)
    require_crs(units, what="units")
    frame = units.to_frame("geometry") if isinstance(units, gpd.GeoSeries) else units
    metric_frame, metric = to_metric(frame, crs)
    geoms, countries = _clean_polygons(metric_frame)
    key = _grid_key(geoms, countries, metric, float(cell_km), shape)
    for known, grid in _BUILT:
        if known == key:  # the same units, CRS, size and shape: the same cells, copied
            return replace(grid, cells=grid.cells.copy())
    grid = _built_grid(geoms, countries, metric, float(cell_km), shape)
    if len(grid.cells) <= _KEEP_CELLS:
        _BUILT[:] = [*_BUILT[-(_KEEP_BUILT - 1) :], (key, grid)]
    return replace(grid, cells=grid.cells.copy())


#: The last few grids built: (digest of the inputs, grid). The pipeline's hotspot grid
#: and the evaluation's are the same lattice on the same units; it is cut once.
_BUILT: list[tuple[str, Grid]] = []
_KEEP_BUILT = 2
#: Grids of more cells than this are not kept (memory).
_KEEP_CELLS = 250_000


def _grid_key(
    geoms: np.ndarray, countries: np.ndarray, metric: CRS, cell_km: float, shape: Shape
) -> str:
    """A digest of everything a grid is built from: the polygons (WKB), their countries,
    the metric CRS, the cell size and the shape."""
    h = hashlib.sha256(f"{shape}|{cell_km!r}|{metric.to_wkt()}|{len(geoms)}".encode())
    for wkb in shapely.to_wkb(geoms).tolist():
        h.update(len(wkb).to_bytes(8, "little"))
        h.update(wkb)
    h.update("\x1f".join(str(c) for c in countries).encode())
    return h.hexdigest()


def _built_grid(
    geoms: np.ndarray, countries: np.ndarray, metric: CRS, cell_km: float, shape: Shape
) -> Grid:
    """The grid of :func:`build_grid` from its cleaned metric polygons."""
    spacing = float(cell_km) * 1000.0
    centres, lattice_rc, rings = _lattice(shapely.total_bounds(geoms), spacing, shape)
    cand = _candidates(geoms, centres, spacing, shape)
    centres, lattice_rc = centres[cand], lattice_rc[cand]
    polys = shapely.polygons(centres[:, None, :] + rings[None, :, :])
    geometry, area, present, country_of_cell = _clip(polys, geoms, countries)
    idx = np.flatnonzero(present)
    order = np.lexsort((lattice_rc[idx, 1], lattice_rc[idx, 0]))
    idx = idx[order]
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(len(idx), dtype=np.int64),
            "countries": pd.array(country_of_cell[idx], dtype="str"),
            "area_km2": area[idx] / 1e6,
            "x_m": centres[idx, 0],
            "y_m": centres[idx, 1],
        },
        geometry=geometry[idx],
        crs=metric,
    )
    return Grid(cells=cells, shape=shape, cell_km=float(cell_km))


def _candidates(geoms: np.ndarray, centres: np.ndarray, spacing: float, shape: Shape) -> np.ndarray:
    """Lattice cells that may touch a unit: centre within the circumradius of it."""
    radius = spacing / math.sqrt(3.0) if shape == "hex" else spacing / math.sqrt(2.0)
    ptree = shapely.STRtree(shapely.points(centres))
    _, cand = ptree.query(geoms, predicate="dwithin", distance=radius * 1.0001)
    cand = np.unique(cand)
    if cand.size == 0:
        msg = f"{shape}_grid: the units cover no area. Hint: check the geometries and their CRS."
        raise DataError(msg)
    return cand


def _clip(
    polys: np.ndarray, geoms: np.ndarray, countries: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clip the lattice cells to the units.

    Returns the geometry and area of each cell, whether it keeps a positive
    area, and the countries it overlaps.
    """
    # which units contain / intersect which cells (units are prepared)
    tree = shapely.STRtree(polys)
    u_in, c_in = tree.query(geoms, predicate="intersects")
    u_full, c_full = tree.query(geoms, predicate="contains_properly")
    cell_area = float(shapely.area(polys[0]))
    full = np.zeros(len(polys), dtype=bool)
    full[c_full] = True
    # partial pairs: pieces of cells inside units
    npoly = np.int64(len(polys))
    partial = ~np.isin(
        u_in.astype(np.int64) * npoly + c_in, u_full.astype(np.int64) * npoly + c_full
    )
    pu, pc = u_in[partial], c_in[partial]
    pieces = polygonal(robust_overlay("intersection", polys[pc], geoms[pu]))
    tiny = cell_area * 1e-9
    keep = shapely.area(pieces) > tiny
    pu, pc, pieces = pu[keep], pc[keep], pieces[keep]
    # geometry of each cell: the full cell, or the union of its pieces
    geometry = polys.copy()
    clipped = np.setdiff1d(np.unique(pc), np.flatnonzero(full))
    if clipped.size:
        sel = np.isin(pc, clipped) & ~full[pc]
        geometry[clipped] = _grouped_union(pc[sel], pieces[sel], clipped)
    present = full.copy()
    present[clipped] = True
    area = shapely.area(geometry)
    present &= area > tiny
    # countries each cell overlaps with a positive area
    pair_cells = np.concatenate([c_full, pc])
    pair_units = np.concatenate([u_full, pu])
    country_of_cell = _countries_by_cell(pair_cells, pair_units, countries, len(polys))
    return geometry, area, present, country_of_cell


def _clean_polygons(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Valid, non-empty polygons of ``frame`` and their ``country`` (or "")."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = ok & ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    geoms = polygonal(geoms)
    is_polygon = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    ok &= is_polygon & (shapely.area(geoms) > 0)
    if not ok.any():
        msg = "the units contain no polygons with an area. Hint: check the file and its geometries."
        raise DataError(msg)
    if "country" in frame.columns:
        countries = (
            frame["country"]
            .astype("object")
            .where(frame["country"].notna(), "")
            .astype(str)
            .to_numpy()
        )
    else:
        countries = np.full(len(frame), "", dtype=object)
    return geoms[ok], np.asarray(countries, dtype=object)[ok]


def _lattice(
    bounds: np.ndarray, spacing: float, shape: Shape
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lattice centres (n, 2), their (row, col) and the ring offsets of one cell.

    The lattice is anchored on the origin of the CRS, so the same study area and
    cell size always give the same cells.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if shape == "hex":
        dy = spacing * math.sqrt(3.0) / 2.0
        rows = np.arange(math.floor(miny / dy) - 1, math.ceil(maxy / dy) + 2)
        cols = np.arange(math.floor(minx / spacing) - 1, math.ceil(maxx / spacing) + 2)
    else:
        dy = spacing
        rows = np.arange(math.floor(miny / spacing) - 1, math.ceil(maxy / spacing) + 1)
        cols = np.arange(math.floor(minx / spacing) - 1, math.ceil(maxx / spacing) + 1)
    n = len(rows) * len(cols)
    if n > MAX_LATTICE_CELLS:
        msg = (
            f"a {spacing / 1000:g} km grid over this study area would need {n:,} lattice cells "
            f"(limit {MAX_LATTICE_CELLS:,}). Hint: use a larger cell size ([[cell_km]])."
        )
        raise DataError(msg)
    grid_r, grid_c = np.meshgrid(rows, cols, indexing="ij")
    rr, cc = grid_r.ravel(), grid_c.ravel()
    if shape == "hex":
        x = cc * spacing + (rr % 2) * (spacing / 2.0)
        y = rr * dy
    else:
        x = (cc + 0.5) * spacing
        y = (rr + 0.5) * spacing
    return np.column_stack([x, y]), np.column_stack([rr, cc]), ring_offsets(spacing, shape)


def ring_offsets(spacing: float, shape: Shape) -> np.ndarray:
    """The closed ring of one lattice cell around its centre (pointy-top hexagon or square).

    >>> ring_offsets(2.0, "square").tolist()
    [[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]
    """
    if shape == "hex":
        radius = spacing / math.sqrt(3.0)
        ang = np.deg2rad(30.0 + 60.0 * np.arange(7))  # pointy-top, closed ring
        return np.column_stack([radius * np.cos(ang), radius * np.sin(ang)])
    h = spacing / 2.0
    return np.array([[h, -h], [h, h], [-h, h], [-h, -h], [h, -h]])


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (vectorised)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    tid = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(tid == 7)  # GeometryCollection
    if mixed.size:
        parts, idx = shapely.get_parts(geoms[mixed], return_index=True)
        is_poly = np.isin(shapely.get_type_id(parts), [3, 6])
        poly_parts = shapely.get_parts(parts[is_poly])
        poly_idx = np.repeat(idx[is_poly], shapely.get_num_geometries(parts[is_poly]))
        res = np.full(len(mixed), shapely.Polygon(), dtype=object)
        if len(poly_parts):
            have, dense = np.unique(poly_idx, return_inverse=True)
            res[have] = shapely.multipolygons(poly_parts, indices=dense)
        out[mixed] = res
    other = ~np.isin(shapely.get_type_id(out), [3, 6]) & ~shapely.is_empty(out)
    out[other] = shapely.Polygon()
    return out


def _grouped_union(group: np.ndarray, geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Union of ``geoms`` per value of ``group``, returned in the order of ``targets``.

    Vectorised by rank within the group: the loop runs over the largest group
    size (a handful), not over groups.
    """
    order = np.argsort(group, kind="stable")
    g, gm = group[order], geoms[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    sizes = np.diff(np.r_[start, len(g)])
    keys = g[start]
    acc = gm[start].copy()
    for r in range(1, int(sizes.max()) if len(sizes) else 1):
        has = sizes > r
        acc[has] = robust_overlay("union", acc[has], gm[start[has] + r])
    acc = polygonal(acc)
    pos = np.searchsorted(keys, targets)
    return acc[pos]


def _countries_by_cell(
    cells: np.ndarray, units: np.ndarray, countries: np.ndarray, n: int
) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    if len(cells) == 0:
        return out
    df = pd.DataFrame({"cell": cells, "country": countries[units].astype(object)})
    df = df[df["country"] != ""].drop_duplicates().sort_values(["cell", "country"])
    if df.empty:
        return out
    cell = df["cell"].to_numpy()
    name = df["country"].to_numpy(dtype=object)
    start = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    end = np.r_[start[1:], len(cell)]
    out[cell[start]] = name[start]  # most cells lie in one country: no Python per cell
    several = end - start > 1
    for a, b in zip(start[several], end[several], strict=True):
        out[cell[a]] = ",".join(name[a:b])
    return out
