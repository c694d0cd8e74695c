"""Analysis grids, point counts and spatial weights.

The grid is the common geometry of the hotspot statistics: hexagons (default)
or squares laid on a fixed lattice in the metric CRS of the study area,
clipped to the union of the administrative units, each recording the
countries it touches. Neighbours are found **across** international borders:
the weights know nothing about countries.

``cell_km`` is the distance between the centres of two adjacent cells: the
width across flats of a hexagon, the side of a square. A hexagon of spacing
``s`` has area ``sqrt(3) / 2 * s**2``.

Everything here is vectorised (STR-trees, KD-trees, shapely array functions);
a 1.5 million km² region at 5 km cells (about 70,000 hexagons) takes a few
seconds.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.spatial import cKDTree

from ._crs import require_crs, to_metric
from ._errors import BorderwatchWarning, DataError

__all__ = [
    "SpatialWeights",
    "cell_weights",
    "count_points",
    "default_cell_km",
    "hex_grid",
    "natural_threshold_m",
    "point_cells",
    "square_grid",
    "unit_weights",
]

Shape = Literal["hex", "square"]

#: Largest number of lattice cells a grid may have before clipping.
MAX_LATTICE_CELLS = 2_000_000
#: "Nice" mantissas for the default cell size.
_NICE = (1.0, 2.0, 2.5, 5.0)
_HEX_AREA = math.sqrt(3.0) / 2.0  # hexagon area / spacing**2


# --------------------------------------------------------------------------- grids


def hex_grid(
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float,
    crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
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
    GeoDataFrame
        In the metric CRS, one row per cell that overlaps the study area with
        a positive area: ``cell_id`` (int, 0..n-1, south to north, west to
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
    >>> cells = hex_grid(units, cell_km=10)
    >>> round(cells.area_km2.sum())
    4000
    >>> sorted(cells["countries"].unique())
    ['AAA', 'AAA,BBB', 'BBB']
    """
    return _grid(units, cell_km=cell_km, crs=crs, shape="hex")


def square_grid(
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float,
    crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Square cells covering the study area, clipped to it.

    Same as :func:`hex_grid` with squares of side ``cell_km``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 30_000, 20_000)], crs=3857)
    >>> cells = square_grid(units, cell_km=10)
    >>> len(cells), round(cells.area_km2.sum())
    (6, 600)
    """
    return _grid(units, cell_km=cell_km, crs=crs, shape="square")


def _grid(
    units: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_km: float,
    crs: CRS | str | None,
    shape: Shape,
) -> gpd.GeoDataFrame:
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
    spacing = float(cell_km) * 1000.0
    centres, lattice_rc, rings = _lattice(shapely.total_bounds(geoms), spacing, shape)
    radius = spacing / math.sqrt(3.0) if shape == "hex" else spacing / math.sqrt(2.0)

    # 1) candidate centres: a cell can only touch a unit if its centre lies
    #    within the circumscribed radius of it (points, cheap)
    pts = shapely.points(centres)
    ptree = shapely.STRtree(pts)
    _, cand = ptree.query(geoms, predicate="dwithin", distance=radius * 1.0001)
    cand = np.unique(cand)
    if cand.size == 0:
        msg = f"{shape}_grid: the units cover no area. Hint: check the geometries and their CRS."
        raise DataError(msg)
    centres, lattice_rc = centres[cand], lattice_rc[cand]
    polys = shapely.polygons(centres[:, None, :] + rings[None, :, :])

    # 2) which units contain / intersect which cells (units are prepared)
    tree = shapely.STRtree(polys)
    u_in, c_in = tree.query(geoms, predicate="intersects")
    u_full, c_full = tree.query(geoms, predicate="contains_properly")
    cell_area = float(shapely.area(polys[0]))
    full = np.zeros(len(polys), dtype=bool)
    full[c_full] = True

    # 3) partial pairs: pieces of cells inside units
    npoly = np.int64(len(polys))
    partial = ~np.isin(
        u_in.astype(np.int64) * npoly + c_in, u_full.astype(np.int64) * npoly + c_full
    )
    pu, pc = u_in[partial], c_in[partial]
    pieces = _polygonal(shapely.intersection(polys[pc], geoms[pu], grid_size=None))
    piece_area = shapely.area(pieces)
    tiny = cell_area * 1e-9
    keep = piece_area > tiny
    pu, pc, pieces, piece_area = pu[keep], pc[keep], pieces[keep], piece_area[keep]

    # 4) geometry of each cell: the full cell, or the union of its pieces
    geometry = polys.copy()
    clipped = np.setdiff1d(np.unique(pc), np.flatnonzero(full))
    if clipped.size:
        sel = np.isin(pc, clipped) & ~full[pc]
        geometry[clipped] = _grouped_union(pc[sel], pieces[sel], clipped)
    present = full.copy()
    present[clipped] = True
    area = shapely.area(geometry)
    present &= area > tiny

    # 5) countries each cell overlaps with a positive area
    pair_cells = np.concatenate([c_full, pc])
    pair_units = np.concatenate([u_full, pu])
    country_of_cell = _countries_by_cell(pair_cells, pair_units, countries, len(polys))

    idx = np.flatnonzero(present)
    order = np.lexsort((lattice_rc[idx, 1], lattice_rc[idx, 0]))
    idx = idx[order]
    out = gpd.GeoDataFrame(
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
    out.attrs["grid"] = {"shape": shape, "cell_km": float(cell_km)}
    return out


def _clean_polygons(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Valid, non-empty polygons of ``frame`` and their ``country`` (or "")."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = ok & ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    geoms = _polygonal(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    ok &= polygonal & (shapely.area(geoms) > 0)
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
            f"(limit {MAX_LATTICE_CELLS:,}). Hint: use a larger cell size (--cell-km)."
        )
        raise DataError(msg)
    grid_r, grid_c = np.meshgrid(rows, cols, indexing="ij")
    rr, cc = grid_r.ravel(), grid_c.ravel()
    if shape == "hex":
        x = cc * spacing + (rr % 2) * (spacing / 2.0)
        y = rr * dy
        radius = spacing / math.sqrt(3.0)
        ang = np.deg2rad(30.0 + 60.0 * np.arange(7))  # pointy-top, closed ring
        ring = np.column_stack([radius * np.cos(ang), radius * np.sin(ang)])
    else:
        x = (cc + 0.5) * spacing
        y = (rr + 0.5) * spacing
        h = spacing / 2.0
        ring = np.array([[h, -h], [h, h], [-h, h], [-h, -h], [h, -h]])
    return np.column_stack([x, y]), np.column_stack([rr, cc]), ring


def _polygonal(geoms: np.ndarray) -> np.ndarray:
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
        acc[has] = shapely.union(acc[has], gm[start[has] + r])
    acc = _polygonal(acc)
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
    if len(df):
        joined = df.groupby("cell", sort=True)["country"].agg(",".join)
        out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


# --------------------------------------------------------------------------- counts


def count_points(cells: gpd.GeoDataFrame, points: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Number of points in each cell.

    A point on the edge between two cells is counted once (in the cell with
    the smaller position); points outside every cell and missing or empty
    geometries are not counted.

    Parameters
    ----------
    cells : GeoDataFrame
        Polygons with a CRS (e.g. from :func:`hex_grid`).
    points : GeoDataFrame or GeoSeries
        Points with a CRS; reprojected to the CRS of ``cells`` when needed.

    Returns
    -------
    Series
        ``int64`` counts named ``count``, aligned with ``cells.index``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=3857)
    >>> pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1.0, 0.5), Point(1.5, 0.2), Point(9, 9)], crs=3857)
    >>> count_points(cells, pts).tolist()
    [2, 1]
    """
    require_crs(cells, what="cells")
    require_crs(points, what="points")
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if not CRS(geo.crs).equals(CRS(cells.crs)):
        geo = geo.to_crs(cells.crs)
    where = point_cells(cells, geo)
    counts = np.bincount(where[where >= 0], minlength=len(cells)).astype(np.int64)
    return pd.Series(counts, index=cells.index, name="count")


def point_cells(cells: gpd.GeoDataFrame, points: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    """Position (0..n-1) of the cell holding each point, -1 for none.

    Points are reprojected to the CRS of ``cells``; a point on an edge goes
    to the cell with the smaller position.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=3857)
    >>> point_cells(cells, gpd.GeoSeries([Point(1.5, 0.5), Point(7, 7)], crs=3857)).tolist()
    [1, -1]
    """
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if not CRS(geo.crs).equals(CRS(cells.crs)):
        geo = geo.to_crs(cells.crs)
    arr = np.asarray(geo.array, dtype=object)
    out = np.full(len(arr), -1, dtype=np.int64)
    ok = np.flatnonzero(~(shapely.is_missing(arr) | shapely.is_empty(arr)))
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
    pm, metric = to_metric(frame, crs)
    arr = np.asarray(pm.geometry.array, dtype=object)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    xy = (
        np.unique(np.round(shapely.get_coordinates(arr), 3), axis=0)
        if len(arr)
        else np.zeros((0, 2))
    )
    if units is not None:
        require_crs(units, what="units")
        ugeo = (
            units.to_crs(metric).geometry
            if isinstance(units, gpd.GeoDataFrame)
            else units.to_crs(metric)
        )
        area = float(ugeo.area.sum())
    elif len(xy) >= 3:
        area = float(shapely.area(shapely.convex_hull(shapely.multipoints(xy))))
    else:
        area = 0.0
    unit_area = _HEX_AREA if shape == "hex" else 1.0
    if len(xy) >= 2:
        dist, _ = cKDTree(xy).query(xy, k=2)
        raw = 2.0 * float(np.median(dist[:, 1]))
    elif area > 0:
        raw = math.sqrt(area / (unit_area * math.sqrt(min_cells * max_cells)))
    else:
        msg = "cannot choose a cell size: fewer than two distinct incident locations and no study area. Hint: pass cell_km."
        raise DataError(msg)
    size = _nice(raw / 1000.0)
    if area > 0:

        def n_cells(s: float) -> float:
            return area / (unit_area * (s * 1000.0) ** 2)

        while n_cells(size) > max_cells:
            size = _nice_step(size, +1)
        while n_cells(size) < min_cells and size > 0.01:
            smaller = _nice_step(size, -1)
            if n_cells(smaller) > max_cells:
                break
            size = smaller
    return float(size)


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


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class SpatialWeights:
    """Binary spatial weights between cells or units.

    Attributes
    ----------
    sparse : scipy.sparse.csr_array
        ``n x n`` binary adjacency without self-weights; row ``i`` lists the
        neighbours of observation ``i``. Gi* adds the self-weight itself.
    spec : dict
        JSON-able description, as ``summary.json`` records it, e.g.
        ``{"type": "distance_band", "threshold_m": 5050.0, "binary": True, "star": True}``.
    ids : numpy.ndarray
        The ids of the rows (``cell_id`` or ``unit_id``).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> w = SpatialWeights(sparse.csr_array(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0.0]])),
    ...                    {"type": "knn", "k": 1, "star": True}, np.array(["a", "b", "c"]))
    >>> w.cardinalities.tolist(), w.islands.tolist()
    ([1, 1, 0], ['c'])
    """

    sparse: sparse.csr_array
    spec: dict[str, Any]
    ids: np.ndarray

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.sparse.shape[0])

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each observation (self not included)."""
        return np.diff(self.sparse.indptr).astype(np.int64)

    @property
    def islands(self) -> np.ndarray:
        """Ids of the observations without any neighbour."""
        return self.ids[self.cardinalities == 0]

    def to_graph(self) -> Any:
        """The weights as a :class:`libpysal.graph.Graph` (ids in row order)."""
        from libpysal.graph import Graph

        return Graph.from_sparse(self.sparse, ids=self.ids)

    def to_W(self) -> Any:  # noqa: N802 - libpysal's name
        """The weights as a :class:`libpysal.weights.W` (``id_order`` = row order)."""
        from libpysal.weights import W

        m = self.sparse.tocsr()
        neighbors = {}
        for i, key in enumerate(self.ids.tolist()):
            cols = m.indices[m.indptr[i] : m.indptr[i + 1]]
            neighbors[key] = [
                self.ids[j].item() if hasattr(self.ids[j], "item") else self.ids[j] for j in cols
            ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return W(neighbors, id_order=self.ids.tolist(), silence_warnings=True)


def _from_pairs(i: np.ndarray, j: np.ndarray, n: int, *, symmetric: bool) -> sparse.csr_array:
    keep = i != j
    i, j = i[keep], j[keep]
    if symmetric:
        i, j = np.concatenate([i, j]), np.concatenate([j, i])
    m = sparse.csr_array((np.ones(len(i)), (i, j)), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def _warn_islands(w: SpatialWeights, what: str) -> None:
    isl = w.islands
    if len(isl):
        shown = ", ".join(str(x) for x in isl[:10].tolist())
        more = f" (and {len(isl) - 10} more)" if len(isl) > 10 else ""
        warnings.warn(
            f"{len(isl)} {what} have no neighbour under {w.spec['type']} weights: {shown}{more}. "
            "Their local statistics are not significant by construction.",
            BorderwatchWarning,
            stacklevel=3,
        )


def _centres(cells: gpd.GeoDataFrame) -> np.ndarray:
    if {"x_m", "y_m"} <= set(cells.columns):
        return np.column_stack([cells["x_m"].to_numpy(float), cells["y_m"].to_numpy(float)])
    return shapely.get_coordinates(
        shapely.point_on_surface(np.asarray(cells.geometry.array, dtype=object))
    )


def natural_threshold_m(cells: gpd.GeoDataFrame) -> float:
    """The distance band that links each cell to its ring of adjacent cells.

    1.01 times the lattice spacing for hexagons (6 neighbours) and 1.01 times
    the diagonal for squares (8 neighbours, queen), rounded to the centimetre.
    The spacing and shape come from ``cells.attrs["grid"]`` (set by
    :func:`hex_grid`), else from the median nearest-neighbour distance of the
    cell centres and how many centres lie at that distance.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> area = gpd.GeoSeries([box(0, 0, 50_000, 50_000)], crs=3857)
    >>> natural_threshold_m(hex_grid(area, cell_km=5)), natural_threshold_m(square_grid(area, cell_km=5))
    (5050.0, 7141.78)
    """
    grid = cells.attrs.get("grid") if hasattr(cells, "attrs") else None
    if isinstance(grid, dict) and "cell_km" in grid and grid.get("shape") in ("hex", "square"):
        spacing = float(grid["cell_km"]) * 1000.0
        shape = grid["shape"]
    else:
        xy = _centres(cells)
        if len(xy) < 2:
            return 0.0
        tree = cKDTree(xy)
        d, _ = tree.query(xy, k=2)
        spacing = float(np.median(d[:, 1]))
        counts = np.array([len(x) - 1 for x in tree.query_ball_point(xy, spacing * 1.01)])
        shape = "hex" if np.median(counts) >= 5 else "square"
    factor = 1.01 if shape == "hex" else 1.01 * math.sqrt(2.0)
    return round(spacing * factor, 2)


def cell_weights(
    cells: gpd.GeoDataFrame,
    *,
    kind: Literal["distance_band", "knn", "contiguity"] = "distance_band",
    threshold_m: float | None = None,
    k: int = 8,
    tolerance_m: float = 1.0,
    star: bool = True,
    warn: bool = True,
) -> SpatialWeights:
    """Spatial weights between grid cells, across borders.

    Parameters
    ----------
    cells : GeoDataFrame
        Cells in a metric CRS (from :func:`hex_grid` or :func:`square_grid`,
        or any polygons).
    kind : {"distance_band", "knn", "contiguity"}
        ``distance_band``: binary, cells whose centres are within
        ``threshold_m`` (default :func:`natural_threshold_m`: the 6 adjacent
        hexagons, or the 8 squares around). ``knn``: the ``k`` nearest cell
        centres (asymmetric). ``contiguity``: cells whose geometries touch or
        lie within ``tolerance_m`` of each other (fuzzy contiguity).
        Centres are the lattice centres ``x_m``, ``y_m`` when present, so
        clipping does not move them.
    threshold_m, k, tolerance_m : number
        Parameters of the kinds above.
    star : bool
        Recorded in ``spec``: whether the statistic includes the cell itself
        (Gi*); the matrix never holds self-weights.
    warn : bool
        Emit a :class:`BorderwatchWarning` when some cells have no neighbour.

    Returns
    -------
    SpatialWeights
        ``sparse``, ``spec`` (as ``summary.json`` records it) and ``ids``
        (``cell_id``, or the index); ``islands`` lists cells without neighbours.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame(geometry=[box(0, 0, 100_000, 100_000)], crs=3857)
    >>> w = cell_weights(hex_grid(units, cell_km=10))
    >>> w.spec
    {'type': 'distance_band', 'threshold_m': 10100.0, 'binary': True, 'star': True}
    >>> int(w.cardinalities.max())
    6
    """
    require_crs(cells, what="cells")
    if not CRS(cells.crs).is_projected:
        msg = "cell_weights: the cells are in a geographic CRS. Hint: build them with hex_grid(), which uses a metric CRS."
        raise DataError(msg)
    n = len(cells)
    ids = cells["cell_id"].to_numpy() if "cell_id" in cells.columns else cells.index.to_numpy()
    if kind == "distance_band":
        thr = natural_threshold_m(cells) if threshold_m is None else float(threshold_m)
        if not thr > 0:
            msg = f"cell_weights: threshold_m must be positive, not {thr!r}."
            raise DataError(msg)
        xy = _centres(cells)
        pairs = cKDTree(xy).query_pairs(thr, output_type="ndarray") if n else np.zeros((0, 2), int)
        m = _from_pairs(pairs[:, 0], pairs[:, 1], n, symmetric=True)
        spec: dict[str, Any] = {
            "type": "distance_band",
            "threshold_m": float(thr),
            "binary": True,
            "star": bool(star),
        }
    elif kind == "knn":
        if not (isinstance(k, int | np.integer) and 0 < k < max(n, 2)):
            msg = f"cell_weights: k must be an integer between 1 and the number of cells - 1 ({n - 1}), not {k!r}."
            raise DataError(msg)
        xy = _centres(cells)
        _, nn = cKDTree(xy).query(xy, k=int(k) + 1)
        nn = np.asarray(nn).reshape(n, -1)
        rows = np.repeat(np.arange(n), nn.shape[1])
        cols = nn.ravel()
        # drop self, keep the first k others
        not_self = cols != rows
        rows, cols = rows[not_self], cols[not_self]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
        keep = rank < k
        m = _from_pairs(rows[keep], cols[keep], n, symmetric=False)
        spec = {"type": "knn", "k": int(k), "star": bool(star)}
    elif kind == "contiguity":
        m = _fuzzy(np.asarray(cells.geometry.array, dtype=object), tolerance_m)
        spec = {
            "type": "fuzzy_contiguity",
            "tolerance_m": float(tolerance_m),
            "binary": True,
            "star": bool(star),
        }
    else:
        msg = f"cell_weights: unknown kind {kind!r}. Hint: use 'distance_band', 'knn' or 'contiguity'."
        raise DataError(msg)
    w = SpatialWeights(sparse=m, spec=spec, ids=np.asarray(ids))
    if warn:
        _warn_islands(w, "cells")
    return w


def _fuzzy(geoms: np.ndarray, tolerance_m: float) -> sparse.csr_array:
    """Fuzzy contiguity: polygons that touch, overlap or lie within ``tolerance_m``.

    The same links as libpysal's ``Graph.build_fuzzy_contiguity(geoms,
    buffer=tolerance_m / 2)`` (tested), found with one ``dwithin`` query of a
    shapely STR-tree instead of buffering every polygon: about 20 times faster
    on full-resolution boundaries.
    """
    n = len(geoms)
    if n == 0:
        return sparse.csr_array((0, 0))
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    valid = geoms.copy()
    valid[~ok] = None
    tree = shapely.STRtree(valid)
    if tolerance_m > 0:
        i, j = tree.query(geoms[ok], predicate="dwithin", distance=float(tolerance_m))
    else:
        i, j = tree.query(geoms[ok], predicate="intersects")
    i = np.flatnonzero(ok)[i]
    return _from_pairs(i, j, n, symmetric=True)


def unit_weights(
    units: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 1000.0,
    crs: CRS | str | None = None,
    star: bool = True,
    warn: bool = True,
) -> SpatialWeights:
    """Fuzzy contiguity between administrative units, across borders.

    Two countries' boundary files rarely meet exactly: slivers (overlaps) and
    gaps run along borders. Units are neighbours when they touch, overlap or
    lie within ``tolerance_m`` of each other (the links of libpysal's
    ``Graph.build_fuzzy_contiguity`` with a buffer of half the tolerance), so
    a unit on one side of a border has its neighbours on the other.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons with a CRS; ``unit_id`` gives the ids when present.
    tolerance_m : float, default 1000
        Largest gap bridged, in metres.
    crs : CRS, optional
        Metric CRS for the buffering.
    star, warn : bool
        As in :func:`cell_weights`; units without neighbours (islands) are
        reported with a :class:`BorderwatchWarning`.

    Returns
    -------
    SpatialWeights
        ``spec`` = ``{"type": "fuzzy_contiguity", "tolerance_m": ..., "binary": True, "star": ...}``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"unit_id": ["a", "b", "c"]}, crs=3857,
    ...     geometry=[box(0, 0, 10_000, 10_000), box(10_300, 0, 20_000, 10_000), box(50_000, 0, 60_000, 10_000)])
    >>> w = unit_weights(units, tolerance_m=500, warn=False)
    >>> w.cardinalities.tolist(), w.islands.tolist()
    ([1, 1, 0], ['c'])
    """
    require_crs(units, what="units")
    if not (isinstance(tolerance_m, int | float) and tolerance_m >= 0):
        msg = f"unit_weights: tolerance_m must be a non-negative number of metres, not {tolerance_m!r}."
        raise DataError(msg)
    um, _ = to_metric(units, crs)
    geoms = np.asarray(um.geometry.array, dtype=object)
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    m = _fuzzy(geoms, float(tolerance_m))
    ids = units["unit_id"].to_numpy() if "unit_id" in units.columns else units.index.to_numpy()
    spec = {
        "type": "fuzzy_contiguity",
        "tolerance_m": float(tolerance_m),
        "binary": True,
        "star": bool(star),
    }
    w = SpatialWeights(sparse=m, spec=spec, ids=np.asarray(ids))
    if warn:
        _warn_islands(w, "units")
    return w
