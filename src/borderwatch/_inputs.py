"""Checks of the inputs that the statistics modules share: points (also projected
to metres, for the density and the clusters), units, values."""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._crs import require_crs, study_crs
from ._errors import BorderwatchWarning, DataError, format_rows
from ._geom import projected
from ._memo import active, forget_on_exit

__all__ = [
    "check_points",
    "check_units",
    "check_values",
    "is_counts",
    "is_metre",
    "located",
    "metric_points",
    "metric_xy",
    "remember_points",
    "remember_xy",
]

#: How many geometry arrays (and projections of them) are remembered.
_KEEP = 4
#: Geometry arrays found to hold nothing but points (or missing or empty ones), held weakly.
_POINTS: list[weakref.ref[Any]] = []
#: Metric coordinates of geometry arrays: (array, CRS text, read-only (n, 2) xy).
_XY: list[tuple[weakref.ref[Any], str, np.ndarray]] = []
forget_on_exit(_POINTS.clear)
forget_on_exit(_XY.clear)


def check_points(incidents: Any, what: str = "incidents") -> gpd.GeoDataFrame:
    """``incidents`` itself once it is a GeoDataFrame of points with a CRS."""
    if not isinstance(incidents, gpd.GeoDataFrame):
        msg = f"the {what} must be a GeoDataFrame of points, not {type(incidents).__name__}. Hint: read them with borderwatch.read_incidents()."
        raise DataError(msg)
    require_crs(incidents, what=what)
    array = incidents.geometry.array
    if active() and any(ref() is array for ref in _POINTS):  # checked before in this run
        return incidents
    geoms = np.asarray(array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = present & (shapely.get_type_id(geoms) != 0)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        msg = f"the {what} must be points; rows {rows} are not. Hint: use centroids or read them with read_incidents()."
        raise DataError(msg)
    remember_points(array)
    return incidents


def remember_points(array: Any) -> None:
    """Record that the geometry ``array`` holds nothing but points (or missing or empty
    ones), as :func:`check_points` finds: it is not checked again (e.g. the join's output,
    built from points already checked)."""
    if not active() or any(ref() is array for ref in _POINTS):  # only inside a run
        return
    _POINTS[:] = [ref for ref in _POINTS if ref() is not None][-(_KEEP - 1) :]
    _POINTS.append(weakref.ref(array))


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
    geometry types raise :class:`DataError`. The coordinates are computed once per
    geometry array and CRS (:func:`metric_xy`); each call gets its own copy.
    """
    xy, target = metric_xy(points, crs, what=what)
    ok = np.isfinite(xy).all(axis=1)
    if not ok.all():
        rows = np.flatnonzero(~ok) + 1
        warnings.warn(
            f"{(~ok).sum()} of {len(ok)} {what} have no usable location (missing, empty or "
            f"outside the projection) and are left out: {format_rows(rows)}.",
            BorderwatchWarning,
            stacklevel=3,
        )
    return xy, target, ok


def metric_xy(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    crs: CRS | str | int | None,
    *,
    what: str = "incidents",
) -> tuple[np.ndarray, CRS]:
    """The ``(xy, crs)`` of :func:`metric_points`, without its warning, remembered.

    The pipeline hands the same incidents to several steps (point clusters, density
    surface, evaluation), each of which needs their metric coordinates: the last few
    are remembered, keyed by the identity of the geometry array (held weakly, as
    :func:`borderwatch._geom.projected` does) and the CRS, inside a run only
    (:func:`borderwatch._memo.remembering`). Each call gets its own copy.

    >>> import geopandas as gpd
    >>> pts = gpd.GeoSeries(gpd.points_from_xy([0.0, 1.0], [0.0, 1.0]), crs=4326)
    >>> a, crs = metric_xy(pts, 3857)
    >>> b, _ = metric_xy(pts, 3857)
    >>> bool((a == b).all()), a is b, round(float(a[1, 0]))
    (True, False, 111319)
    """
    if not isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = (
            f"the {what} must be a GeoDataFrame or GeoSeries of points, "
            f"got {type(points).__name__}. Hint: use borderwatch.read_incidents or "
            "geopandas.points_from_xy."
        )
        raise DataError(msg)
    require_crs(points, what=what)
    source = points.geometry.array
    known = _known_target(points, crs)
    if known is not None:
        key = known.to_wkt()
        for ref, k, kept in _XY if active() else ():
            if ref() is source and k == key and len(kept) == len(points):
                return kept.copy(), known
    xy, target = _projected_xy(points, crs, what)
    remember_xy(source, target, xy)
    return xy, target


def _known_target(points: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any) -> CRS | None:
    """The CRS :func:`metric_points` projects to, when it does not depend on the points
    (None otherwise, or when the CRS is not usable: then the full checks say why)."""
    try:
        if crs is not None:
            return CRS(crs)
        own = CRS(points.crs)
        return own if own.is_projected and is_metre(own) else None
    except Exception:  # the full path raises the error, in its order
        return None


def remember_xy(array: Any, crs: CRS, xy: np.ndarray) -> None:
    """Record that the points of the geometry ``array`` are at ``xy`` (metres) in ``crs``,
    NaN rows for the unusable ones, as :func:`metric_xy` computes them (e.g. a subset of
    points whose projection is already known). A read-only copy is kept."""
    if not active():  # only inside a run (borderwatch._memo)
        return
    kept = np.array(xy, dtype=np.float64, copy=True)
    kept.setflags(write=False)
    key = CRS(crs).to_wkt()
    alive = [e for e in _XY if e[0]() is not None and not (e[0]() is array and e[1] == key)]
    _XY[:] = alive[-(_KEEP - 1) :]
    _XY.append((weakref.ref(array), key, kept))


def _projected_xy(
    points: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any, what: str
) -> tuple[np.ndarray, CRS]:
    """The metric coordinates of the points (NaN where unusable) and their CRS."""
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
    present = (type_id == 0) & ~shapely.is_empty(g)
    if present.all():  # every row a point: no selection (the same numbers)
        xy = np.empty((len(g), 2))
        xy[:, 0] = shapely.get_x(g)
        xy[:, 1] = shapely.get_y(g)
    else:
        xy = np.full((len(g), 2), np.nan)
        xy[present, 0] = shapely.get_x(g[present])
        xy[present, 1] = shapely.get_y(g[present])
    xy[~np.isfinite(xy).all(axis=1)] = np.nan
    return xy, target


def is_metre(crs: CRS) -> bool:
    try:
        return bool(crs.axis_info) and all(
            a.unit_name in ("metre", "meter") for a in crs.axis_info[:2]
        )
    except Exception:  # pragma: no cover - exotic CRS
        return False
