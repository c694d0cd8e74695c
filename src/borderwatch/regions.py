"""Hotspot regions: adjacent significant hot cells merged into one shape each.

A region records the incidents inside it, the countries they come from
(``cross_border`` when two or more) and its distance to the nearest
international border. Regions are the ``hotspots`` layer of the output.
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

from ._crs import require_crs, to_metric
from ._errors import DataError
from ._geom import robust_union
from ._inputs import check_points
from ._lattice import Grid, cells_frame, polygonal
from ._schema import is_hot
from .weights import natural_threshold_m

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
]


def hotspot_regions(
    cells: Grid | gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None = None,
    *,
    alpha: float = 0.05,
) -> gpd.GeoDataFrame:
    """Merge adjacent significant hot cells into hotspot regions.

    Cells classed "Hot spot" at a confidence of at least ``1 - alpha``
    (95 and 99 % for the default 0.05) that are adjacent form one region:
    lattice neighbours (centres ``x_m``, ``y_m`` within the grid's
    :attr:`~borderwatch.grid.Grid.threshold_m`, or
    :func:`borderwatch.grid.natural_threshold_m` of cells that are not a
    :class:`~borderwatch.grid.Grid`) when the cells have lattice centres, else
    cells whose geometries touch.

    Parameters
    ----------
    cells : Grid or GeoDataFrame
        The cells of :func:`borderwatch.hotspots.cell_hotspots`
        (``CellHotspots.grid``, or its ``cells``): ``hotspot_kind``,
        ``hotspot_confidence``, ``gi_z``, geometry.
    incidents : GeoDataFrame
        Points with ``country`` (ISO3, from the join; missing allowed) and
        optionally ``date``.
    border : GeoDataFrame, optional
        International border lines (``borderwatch.borders.border_lines``);
        without it ``border_km`` is missing.
    alpha : float, default 0.05

    Returns
    -------
    GeoDataFrame
        In the CRS of ``cells``, largest first: ``hotspot_id`` (1..k),
        ``n_incidents``, ``countries`` (ISO3 of the incidents inside, sorted,
        comma-separated), ``cross_border`` (incidents from two or more
        countries), ``border_km`` (distance from the region to the nearest
        international border, 0 when it crosses one), ``first_date``,
        ``last_date``, ``area_km2``, ``n_cells``, ``gi_z_max``, geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box, LineString
    >>> cells = gpd.GeoDataFrame({"hotspot_kind": ["hot", "hot", "none"], "hotspot_confidence": [99, 99, 0],
    ...     "gi_z": [4.0, 3.0, 0.1]}, geometry=[box(0, 0, 1e3, 1e3), box(1e3, 0, 2e3, 1e3), box(5e3, 0, 6e3, 1e3)], crs=3857)
    >>> pts = gpd.GeoDataFrame({"country": ["AAA", "BBB", "AAA"]},
    ...     geometry=[Point(500, 500), Point(1500, 500), Point(5500, 500)], crs=3857)
    >>> border = gpd.GeoDataFrame({"countries": ["AAA,BBB"]}, geometry=[LineString([(1e3, -1e4), (1e3, 1e4)])], crs=3857)
    >>> r = hotspot_regions(cells, pts, border)
    >>> r[["hotspot_id", "n_incidents", "countries", "cross_border", "border_km"]].to_dict("records")
    [{'hotspot_id': 1, 'n_incidents': 2, 'countries': 'AAA,BBB', 'cross_border': True, 'border_km': 0.0}]
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
    if "country" not in incidents.columns:
        msg = "hotspot_regions: the incidents have no 'country' column. Hint: join them to the units first (borderwatch.join_units)."
        raise DataError(msg)
    crs = CRS(frame.crs)
    if not crs.is_projected:
        frame, crs = to_metric(frame)
    sig = is_hot(frame, alpha=alpha)
    if not sig.any():
        return _empty_regions(crs)
    hot = frame[sig]
    comp = _hot_components(hot, cells)
    ncomp = int(comp.max()) + 1
    geoms = np.asarray(hot.geometry.array, dtype=object)
    region_geoms = polygonal(
        np.array([robust_union(geoms[comp == c]) for c in range(ncomp)], dtype=object)
    )
    z = hot["gi_z"].to_numpy(float) if "gi_z" in hot.columns else np.full(len(hot), np.nan)
    inc = _incident_stats(region_geoms, incidents, crs)
    out = gpd.GeoDataFrame(
        {
            "n_incidents": inc["n_incidents"],
            "countries": inc["countries"],
            "cross_border": inc["cross_border"],
            "border_km": _border_km(region_geoms, border, crs),
            "first_date": inc["first_date"],
            "last_date": inc["last_date"],
            "area_km2": shapely.area(region_geoms) / 1e6,
            "n_cells": np.bincount(comp, minlength=ncomp).astype(np.int64),
            "gi_z_max": pd.Series(z).groupby(comp).max().reindex(range(ncomp)).to_numpy(),
        },
        geometry=region_geoms,
        crs=crs,
    )
    out = out.sort_values(
        ["n_incidents", "area_km2"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    out.insert(0, "hotspot_id", np.arange(1, len(out) + 1, dtype=np.int64))
    out["cross_border"] = out["cross_border"].astype(bool)
    return out


def _empty_regions(crs: CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=t) for c, t in zip(REGION_COLUMNS, _REGION_DTYPES, strict=True)},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def _hot_components(hot: gpd.GeoDataFrame, cells: Grid | gpd.GeoDataFrame) -> np.ndarray:
    """Region number (0..k-1) of each hot cell: connected groups of adjacent cells."""
    geoms = np.asarray(hot.geometry.array, dtype=object)
    if {"x_m", "y_m"} <= set(hot.columns):
        # lattice neighbours (as the weights), so that a clipped cell (an
        # islet, a coastal sliver) stays with the cells next to it
        thr = natural_threshold_m(cells)
        xy = np.column_stack([hot["x_m"].to_numpy(float), hot["y_m"].to_numpy(float)])
        pairs = cKDTree(xy).query_pairs(thr, output_type="ndarray")
        a = np.concatenate([pairs[:, 0], np.arange(len(xy))])
        b = np.concatenate([pairs[:, 1], np.arange(len(xy))])
    else:
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="dwithin", distance=1.0)
    m = sparse.coo_array((np.ones(len(a)), (a, b)), shape=(len(geoms), len(geoms)))
    _, comp = connected_components(m, directed=False)
    return np.asarray(comp)


def _join_codes(values: pd.Series) -> str:
    codes = sorted({str(v) for v in values.dropna().tolist() if str(v)})
    return ",".join(codes)


def _incident_stats(
    region_geoms: np.ndarray, incidents: gpd.GeoDataFrame, crs: CRS
) -> dict[str, Any]:
    """Incidents, countries and date range of each region (an incident counts once)."""
    ncomp = len(region_geoms)
    pts = incidents.to_crs(crs) if not CRS(incidents.crs).equals(crs) else incidents
    rtree = shapely.STRtree(region_geoms)
    parr = np.asarray(pts.geometry.array, dtype=object)
    okp = np.flatnonzero(~(shapely.is_missing(parr) | shapely.is_empty(parr)))
    pi, ri = rtree.query(parr[okp], predicate="intersects")
    pi = okp[pi]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    pi, ri = pi[first], ri[first]
    dates = (
        pd.to_datetime(pts["date"], errors="coerce")
        if "date" in pts.columns
        else pd.Series(pd.NaT, index=pts.index)
    )
    frame = pd.DataFrame(
        {
            "region": ri,
            "country": pts["country"].astype("object").to_numpy()[pi],
            "date": dates.to_numpy()[pi],
        }
    )
    grp = frame.groupby("region")
    countries = grp["country"].agg(_join_codes).reindex(range(ncomp), fill_value="")
    codes = countries.to_numpy(dtype=object)
    return {
        "n_incidents": np.bincount(ri, minlength=ncomp).astype(np.int64),
        "countries": pd.array(codes, dtype="str"),
        "cross_border": [len([c for c in s.split(",") if c]) >= 2 for s in codes],
        "first_date": pd.to_datetime(grp["date"].min().reindex(range(ncomp)).to_numpy()),
        "last_date": pd.to_datetime(grp["date"].max().reindex(range(ncomp)).to_numpy()),
    }


def _border_km(region_geoms: np.ndarray, border: gpd.GeoDataFrame | None, crs: CRS) -> np.ndarray:
    """Distance of each region to the nearest border line, in km (NaN without lines)."""
    if border is None or not len(border):
        return np.full(len(region_geoms), np.nan)
    bl = border.to_crs(crs) if not CRS(border.crs).equals(crs) else border
    bgeom = robust_union(np.asarray(bl.geometry.array, dtype=object))
    return np.asarray(shapely.distance(region_geoms, bgeom) / 1000.0, dtype=float)
