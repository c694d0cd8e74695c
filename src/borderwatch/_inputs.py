"""Checks of the inputs that the statistics modules share: points (also projected
to metres, for the density and the clusters), units, values."""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._crs import require_crs, study_crs
from ._errors import BorderwatchWarning, DataError, format_rows
from ._geom import projected

__all__ = [
    "check_points",
    "check_units",
    "check_values",
    "is_counts",
    "is_metre",
    "located",
    "metric_points",
]


def check_points(incidents: Any, what: str = "incidents") -> gpd.GeoDataFrame:
    """``incidents`` itself once it is a GeoDataFrame of points with a CRS."""
    if not isinstance(incidents, gpd.GeoDataFrame):
        msg = f"the {what} must be a GeoDataFrame of points, not {type(incidents).__name__}. Hint: read them with borderwatch.read_incidents()."
        raise DataError(msg)
    require_crs(incidents, what=what)
    geoms = np.asarray(incidents.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = present & (shapely.get_type_id(geoms) != 0)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        msg = f"the {what} must be points; rows {rows} are not. Hint: use centroids or read them with read_incidents()."
        raise DataError(msg)
    return incidents


def located(points: gpd.GeoDataFrame) -> bool:
    """True when every geometry of ``points`` is a point with finite coordinates (what
    the readers guarantee; a frame edited since may hold missing or NaN points)."""
    geoms = np.asarray(points.geometry.array, dtype=object)
    if (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any():
        return False
    if (shapely.get_type_id(geoms) != 0).any():
        return False
    return bool(np.isfinite(shapely.get_coordinates(geoms)).all())


def check_units(units: Any) -> gpd.GeoDataFrame:
    """``units`` itself once it is a non-empty GeoDataFrame with a CRS."""
    if not isinstance(units, gpd.GeoDataFrame):
        msg = f"the units must be a GeoDataFrame of polygons, not {type(units).__name__}. Hint: read them with borderwatch.read_units()."
        raise DataError(msg)
    require_crs(units, what="units")
    if len(units) == 0:
        msg = "the units are empty. Hint: check the boundary file."
        raise DataError(msg)
    return units


def check_values(y: Any, what: str) -> tuple[np.ndarray, pd.Index]:
    """``y`` as finite floats, and its index (positions when it has none)."""
    index = y.index if isinstance(y, pd.Series) else pd.RangeIndex(len(np.asarray(y)))
    try:
        arr = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        msg = f"{what}: the values must be numbers. Hint: convert the column to numeric first."
        raise DataError(msg) from exc
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr))[:10].tolist()
        msg = f"{what}: {int((~np.isfinite(arr)).sum())} values are missing or infinite (positions {bad}). Hint: fill them (e.g. 0 for counts)."
        raise DataError(msg)
    return arr, index


def is_counts(values: np.ndarray) -> bool:
    """Whether the values are counts: non-negative whole numbers."""
    return bool((values >= 0).all() and np.all(values == np.round(values)))


def metric_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    crs: CRS | str | int | None,
    *,
    what: str = "incidents",
) -> tuple[np.ndarray, CRS, np.ndarray]:
    """Project point geometries to a metric CRS.

    Returns ``(xy, crs, ok)``: ``xy`` is an ``(n, 2)`` float array in metres (NaN
    for unusable rows), ``ok`` a boolean mask of the usable rows. Missing, empty
    or non-finite points are left out with a :class:`BorderwatchWarning`; other
    geometry types raise :class:`DataError`.
    """
    if not isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = (
            f"the {what} must be a GeoDataFrame or GeoSeries of points, "
            f"got {type(points).__name__}. Hint: use borderwatch.read_incidents or "
            "geopandas.points_from_xy."
        )
        raise DataError(msg)
    require_crs(points, what=what)
    geoms = np.asarray(points.geometry.array, dtype=object)
    type_id = shapely.get_type_id(geoms)
    bad = np.flatnonzero((type_id != 0) & (type_id != -1))
    if bad.size:
        msg = (
            f"the {what} must be points, but {format_rows(bad + 1)} hold other geometry "
            f"types (first: {geoms[bad[0]].geom_type}). Hint: take centroids first, e.g. "
            "gdf.set_geometry(gdf.centroid)."
        )
        raise DataError(msg)
    if crs is not None:
        target = CRS(crs)
    elif CRS(points.crs).is_projected and is_metre(CRS(points.crs)):
        target = CRS(points.crs)
    else:
        usable = points[(type_id == 0) & ~shapely.is_empty(geoms)]
        if len(usable) == 0:
            msg = f"the {what} have no usable point locations. Hint: check the coordinates."
            raise DataError(msg)
        target = study_crs(usable)
    if not (target.is_projected and is_metre(target)):
        msg = (
            f"crs={target.name!r} is not a projected CRS in metres. Hint: pass a metric CRS "
            "such as borderwatch.study_crs(units), or leave crs=None."
        )
        raise DataError(msg)
    geo = projected(points.geometry, target)
    g = np.asarray(geo.array, dtype=object)
    xy = np.full((len(g), 2), np.nan)
    present = (type_id == 0) & ~shapely.is_empty(g)
    xy[present, 0] = shapely.get_x(g[present])
    xy[present, 1] = shapely.get_y(g[present])
    ok = np.isfinite(xy).all(axis=1)
    if not ok.all():
        rows = np.flatnonzero(~ok) + 1
        warnings.warn(
            f"{(~ok).sum()} of {len(ok)} {what} have no usable location (missing, empty or "
            f"outside the projection) and are left out: {format_rows(rows)}.",
            BorderwatchWarning,
            stacklevel=3,
        )
        xy[~ok] = np.nan
    return xy, target, ok


def is_metre(crs: CRS) -> bool:
    try:
        return bool(crs.axis_info) and all(
            a.unit_name in ("metre", "meter") for a in crs.axis_info[:2]
        )
    except Exception:  # pragma: no cover - exotic CRS
        return False
