"""Hotspot regions: adjacent significant hot cells that hold incidents, merged into one shape each.

A region records the incidents inside it, the countries they come from
(``cross_border`` when two or more, see :mod:`borderwatch._countries`) and
how far its incidents lie from the nearest international border. Regions are
the ``hotspots`` layer of the output.

Two rules keep regions to where incidents are:

* **Compact extent.** Gi* smooths: a cell with no incident next to a busy one
  is hot too. Such cells do not enlarge a region; a region is made of hot
  cells that hold incidents. The smoothed neighbourhood stays available as
  ``n_cells_smoothed`` / ``area_km2_smoothed`` (the region's cells plus the
  empty hot cells next to them).
* **Stacks.** A cell can be hot because one location was recorded many times
  (a stack). A region is kept only when its incidents are hot as *locations*
  too: at least one of its cells is a hot spot of the Gi* of the number of
  distinct locations per cell (same weights, inference and alpha). Under
  random stacks (locations spread at random, each with a stack of any size)
  the distinct locations are spread at random, so their Gi* rarely flags a
  cell, and busy stacks alone make no region.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ._countries import (
    feature_countries,
    features_border_km,
    own_countries,
)
from ._crs import require_crs, to_metric
from ._errors import DataError
from ._geom import projected, robust_union
from ._inputs import check_points, metric_xy
from ._lattice import Grid, cells_frame, polygonal
from ._schema import is_hot
from ._stacks import stacks, unique_rows
from .weights import SpatialWeights, natural_threshold_m

__all__ = ["REGION_COLUMNS", "hotspot_regions"]

#: Columns of :func:`hotspot_regions` (besides ``geometry``), in order.
REGION_COLUMNS = [
    "hotspot_id",
    "n_incidents",
    "countries",
    "cross_border",
    "border_km",
    "first_date",
    "last_date",
    "area_km2",
    "n_cells",
    "area_km2_smoothed",
    "n_cells_smoothed",
    "n_locations",
    "gi_z_max",
]
_REGION_DTYPES = [
    "int64",
    "int64",
    "str",
    "bool",
    "float64",
    "datetime64[ns]",
    "datetime64[ns]",
    "float64",
    "int64",
    "float64",
    "int64",
    "int64",
    "float64",
]


def hotspot_regions(
    cells: Grid | gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None = None,
    *,
    alpha: float = 0.05,
    weights: SpatialWeights | None = None,
    stack_test: bool = True,
    min_count: int = 3,
) -> gpd.GeoDataFrame:
    """Merge adjacent significant hot cells that hold incidents into hotspot regions.

    Cells classed "Hot spot" at a confidence of at least ``1 - alpha``
    (95 and 99 % for the default 0.05) that hold at least one incident and
    are adjacent form one region: lattice neighbours (centres ``x_m``,
    ``y_m`` within the grid's :attr:`~borderwatch.grid.Grid.threshold_m`, or
    :func:`borderwatch.grid.natural_threshold_m` of cells that are not a
    :class:`~borderwatch.grid.Grid`) when the cells have lattice centres, else
    cells whose geometries touch. Hot cells without incidents only count in
    the smoothed extent. With ``stack_test`` a region needs a cell that is
    also hot in the Gi* of distinct locations (see the module docstring).

    Parameters
    ----------
    cells : Grid or GeoDataFrame
        The cells of :func:`borderwatch.hotspots.cell_hotspots`
        (``CellHotspots.grid``, or its ``cells``): ``hotspot_kind``,
        ``hotspot_confidence``, ``gi_z``, ``area_km2``, geometry.
    incidents : GeoDataFrame
        Points with ``country`` (from the join) and/or ``reported_country``
        (their own), optionally ``date``.
    border : GeoDataFrame, optional
        International border lines (``borderwatch.borders.border_lines``);
        without them the incidents' ``border_km`` (from the join) is used,
        else ``border_km`` is missing.
    alpha : float, default 0.05
    weights : SpatialWeights, optional
        The weights of the Gi* that classed the cells (``CellHotspots.weights``)
        for the Gi* of locations; default the distance band of the lattice.
    stack_test : bool, default True
        Keep only regions whose locations are hot too.
    min_count : int, default 3
        Smallest neighbourhood number of locations of a location hot spot.

    Returns
    -------
    GeoDataFrame
        In the CRS of ``cells``, largest first: ``hotspot_id`` (1..k),
        ``n_incidents``, ``n_locations`` (distinct coordinates),
        ``countries`` (own countries of the incidents inside, sorted,
        comma-separated), ``cross_border`` (two or more), ``border_km``
        (distance from the region's incident nearest to a border to it; 0
        when its incidents lie on both sides), ``first_date``, ``last_date``,
        ``area_km2``, ``n_cells``, ``area_km2_smoothed``, ``n_cells_smoothed``,
        ``gi_z_max``, geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box, LineString
    >>> cells = gpd.GeoDataFrame({"hotspot_kind": ["hot", "hot", "hot", "none"],
    ...     "hotspot_confidence": [99, 99, 95, 0], "gi_z": [4.0, 3.0, 2.5, 0.1]},
    ...     geometry=[box(0, 0, 1e3, 1e3), box(1e3, 0, 2e3, 1e3), box(2e3, 0, 3e3, 1e3),
    ...               box(5e3, 0, 6e3, 1e3)], crs=3857)
    >>> pts = gpd.GeoDataFrame({"country": ["AAA", "BBB", "AAA"]},
    ...     geometry=[Point(500, 500), Point(1500, 500), Point(5500, 500)], crs=3857)
    >>> border = gpd.GeoDataFrame({"countries": ["AAA,BBB"]}, geometry=[LineString([(1e3, -1e4), (1e3, 1e4)])], crs=3857)
    >>> r = hotspot_regions(cells, pts, border, stack_test=False)
    >>> r[["hotspot_id", "n_incidents", "countries", "cross_border", "border_km", "n_cells", "n_cells_smoothed"]].to_dict("records")
    [{'hotspot_id': 1, 'n_incidents': 2, 'countries': 'AAA,BBB', 'cross_border': True, 'border_km': 0.0, 'n_cells': 2, 'n_cells_smoothed': 3}]
    """
    frame = cells_frame(cells)
    require_crs(frame, what="cells")
    if not {"hotspot_kind", "hotspot_confidence"} <= set(frame.columns):
        msg = (
            "hotspot_regions: the cells have no 'hotspot_kind' and 'hotspot_confidence' columns. "
            "Hint: run cell_hotspots() first."
        )
        raise DataError(msg)
    incidents = check_points(incidents)
    if not {"country", "reported_country"} & set(incidents.columns):
        msg = "hotspot_regions: the incidents have no 'country' column. Hint: join them to the units first (borderwatch.join_units)."
        raise DataError(msg)
    crs = CRS(frame.crs)
    if not crs.is_projected:
        frame, crs = to_metric(frame)
    where, loc = _incident_cells(cells if frame is cells_frame(cells) else frame, incidents, crs)
    n_inc = np.bincount(where[where >= 0], minlength=len(frame))
    hot = is_hot(frame, alpha=alpha)
    core = hot & (n_inc > 0)
    if not core.any():
        return _empty_regions(crs)
    comp = _components(frame, np.flatnonzero(core), cells)
    if stack_test:
        loc_hot = _location_hot(frame, cells, where, loc, weights, alpha=alpha, min_count=min_count)
        comp = _keep(comp, loc_hot[np.flatnonzero(core)])
        if comp.max(initial=-1) < 0:
            return _empty_regions(crs)
    return _regions(
        frame,
        cells,
        np.flatnonzero(core),
        comp,
        hot & (n_inc == 0),
        (where, loc),
        incidents,
        border,
        crs,
    )


def _incident_cells(
    frame: Grid | gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, crs: CRS
) -> tuple[np.ndarray, np.ndarray]:
    """The cell of each incident (-1 for none) and its location (stack) number."""
    from .grid import point_cells

    pts = projected(incidents.geometry, crs)
    where = point_cells(frame, pts)
    try:
        xy, _ = metric_xy(incidents, crs)  # remembered for the point clusters and the density
    except DataError:  # not in metres: as before
        xy = np.empty((0, 2))
    if len(xy) and np.isfinite(xy).all():  # every incident located: the same coordinates
        return where, stacks(xy)[0]
    arr = np.asarray(pts.array, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    loc = np.full(len(arr), -1, dtype=np.int64)
    if ok.any():
        loc[ok], _, _ = stacks(shapely.get_coordinates(arr[ok]))
    return where, loc


def _location_hot(
    frame: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    where: np.ndarray,
    loc: np.ndarray,
    weights: SpatialWeights | None,
    *,
    alpha: float,
    min_count: int,
) -> np.ndarray:
    """Cells that are hot spots of the Gi* of distinct locations per cell."""
    from .hotspots import gi_star
    from .weights import cell_weights

    ok = (where >= 0) & (loc >= 0)
    pairs = unique_rows(np.column_stack([where[ok], loc[ok]]))
    n_loc = np.bincount(pairs[:, 0], minlength=len(frame)).astype(float)
    w = weights if weights is not None else cell_weights(cells, warn=False)
    exposure = frame["area_km2"].to_numpy(float) if "area_km2" in frame.columns else None
    res = gi_star(
        n_loc,
        w,
        permutations=0,
        inference="combined",
        exposure=exposure,
        min_count=min_count,
        alpha=alpha,
    )
    return is_hot(res.table, alpha=alpha)


def _keep(comp: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Renumbered components (0..k-1) of those with a cell in ``ok``; -1 for the rest."""
    good = np.unique(comp[ok])
    new = np.full(int(comp.max()) + 1, -1, dtype=np.int64)
    new[good] = np.arange(len(good))
    return new[comp]


def _regions(
    frame: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    idx: np.ndarray,
    comp: np.ndarray,
    empty_hot: np.ndarray,
    placed: tuple[np.ndarray, np.ndarray],
    incidents: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None,
    crs: CRS,
) -> gpd.GeoDataFrame:
    """One row per component of the cells ``idx`` (component -1 left out); ``placed`` is
    each incident's cell and location (:func:`_incident_cells`)."""
    where, loc = placed
    keep = comp >= 0
    idx, comp = idx[keep], comp[keep]
    ncomp = int(comp.max()) + 1
    geoms = np.asarray(frame.geometry.array, dtype=object)
    region_geoms = polygonal(
        np.array([robust_union(geoms[idx[comp == c]]) for c in range(ncomp)], dtype=object)
    )
    region_of_cell = np.full(len(frame), -1, dtype=np.int64)
    region_of_cell[idx] = comp
    feature = np.where(where >= 0, region_of_cell[np.maximum(where, 0)], -1)
    z = frame["gi_z"].to_numpy(float) if "gi_z" in frame.columns else np.full(len(frame), np.nan)
    area = shapely.area(geoms)
    s_cells, s_area = _smoothed(frame, cells, idx, comp, empty_hot, area, ncomp)
    out = gpd.GeoDataFrame(
        {
            **_incident_stats(feature, loc, incidents, border, crs, ncomp),
            **shape_stats(region_geoms, comp, ncomp, smoothed=(s_area, s_cells), gi_z=z[idx]),
        },
        geometry=region_geoms,
        crs=crs,
    )
    out = out.sort_values(
        ["n_incidents", "area_km2"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    out.insert(0, "hotspot_id", np.arange(1, len(out) + 1, dtype=np.int64))
    out["cross_border"] = out["cross_border"].astype(bool)
    return out[[*REGION_COLUMNS, "geometry"]]


def _smoothed(
    frame: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    idx: np.ndarray,
    comp: np.ndarray,
    empty_hot: np.ndarray,
    area: np.ndarray,
    ncomp: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Cells and area of each region with the empty hot cells next to it."""
    extra = np.flatnonzero(empty_hot)
    n_cells = np.bincount(comp, minlength=ncomp).astype(np.int64)
    s_area = np.bincount(comp, weights=area[idx], minlength=ncomp)
    if len(extra):
        a, b = _adjacent_pairs(frame, cells, idx, extra)
        pairs = unique_rows(np.column_stack([comp[a], extra[b]]))
        if len(pairs):
            n_cells += np.bincount(pairs[:, 0], minlength=ncomp)
            s_area += np.bincount(pairs[:, 0], weights=area[pairs[:, 1]], minlength=ncomp)
    return n_cells, s_area


def _adjacent_pairs(
    frame: gpd.GeoDataFrame, cells: Grid | gpd.GeoDataFrame, a_idx: np.ndarray, b_idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (positions in ``a_idx``, positions in ``b_idx``) of adjacent cells."""
    if {"x_m", "y_m"} <= set(frame.columns):
        thr = natural_threshold_m(cells)
        xy = frame[["x_m", "y_m"]].to_numpy(float)
        found = cKDTree(xy[b_idx]).query_ball_point(xy[a_idx], thr)
        a = np.repeat(np.arange(len(a_idx)), [len(f) for f in found])
        b = np.fromiter((j for f in found for j in f), dtype=np.int64, count=len(a))
        return a, b
    geoms = np.asarray(frame.geometry.array, dtype=object)
    b, a = shapely.STRtree(geoms[b_idx]).query(geoms[a_idx], predicate="dwithin", distance=1.0)
    return b.astype(np.int64), a.astype(np.int64)


def _components(
    frame: gpd.GeoDataFrame, idx: np.ndarray, cells: Grid | gpd.GeoDataFrame
) -> np.ndarray:
    """Region number (0..k-1) of each cell of ``idx``: connected groups of adjacent cells."""
    a, b = _adjacent_pairs(frame, cells, idx, idx)
    n = len(idx)
    m = sparse.coo_array(
        (np.ones(len(a) + n), (np.r_[a, np.arange(n)], np.r_[b, np.arange(n)])), shape=(n, n)
    )
    _, comp = connected_components(m, directed=False)
    return np.asarray(comp, dtype=np.int64)


def _incident_stats(
    feature: np.ndarray,
    loc: np.ndarray,
    incidents: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None,
    crs: CRS,
    ncomp: int,
) -> dict[str, Any]:
    """Incidents, locations, countries, border distance and date range of each region
    (``loc``: each incident's location, :func:`borderwatch._stacks.stacks` of all of them;
    a location is the same in any subset, as the coordinates are rounded one by one)."""
    rows = np.flatnonzero(feature >= 0)
    countries, cross = feature_countries(feature, own_countries(incidents), ncomp)
    dates = (
        pd.to_datetime(incidents["date"], errors="coerce")
        if "date" in incidents.columns
        else pd.Series(pd.NaT, index=incidents.index)
    )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    frame = pd.DataFrame({"f": feature[rows], "d": dates.to_numpy()[rows]})
    grp = frame.groupby("f")["d"]
    uniq = (
        unique_rows(np.column_stack([feature[rows], loc[rows]]))
        if len(rows)
        else np.zeros((0, 2), int)
    )
    return {
        "n_incidents": np.bincount(feature[rows], minlength=ncomp).astype(np.int64),
        "n_locations": np.bincount(uniq[:, 0], minlength=ncomp).astype(np.int64),
        "countries": pd.array(countries, dtype="str"),
        "cross_border": cross,
        "border_km": features_border_km(incidents, feature, border, crs, ncomp),
        "first_date": pd.to_datetime(grp.min().reindex(range(ncomp)).to_numpy()),
        "last_date": pd.to_datetime(grp.max().reindex(range(ncomp)).to_numpy()),
    }


def _empty_regions(crs: CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=t) for c, t in zip(REGION_COLUMNS, _REGION_DTYPES, strict=True)},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def shape_stats(
    region_geoms: np.ndarray,
    comp: np.ndarray,
    ncomp: int,
    *,
    smoothed: tuple[np.ndarray, np.ndarray],
    gi_z: np.ndarray,
) -> dict[str, Any]:
    """The columns of the regions that come from their cells: ``area_km2``, ``n_cells``,
    their smoothed versions and ``gi_z_max`` (``comp`` is each hot cell's region)."""
    s_area, s_cells = smoothed
    return {
        "area_km2": shapely.area(region_geoms) / 1e6,
        "n_cells": np.bincount(comp, minlength=ncomp).astype(np.int64),
        "area_km2_smoothed": s_area / 1e6,
        "n_cells_smoothed": s_cells,
        "gi_z_max": pd.Series(gi_z).groupby(comp).max().reindex(range(ncomp)).to_numpy(),
    }
