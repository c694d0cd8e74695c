"""The CRS policy of borderwatch.

* Inputs must carry a CRS; a missing CRS raises :class:`DataError`.
* Storage and exchange use EPSG:4326 (longitude, latitude) only at the edges.
* Metric work (distances, areas, grids, density) happens in a Lambert
  azimuthal equal-area projection centred on the study area. Over a region a
  few hundred to ~2000 km across, it keeps areas exact and distances within a
  fraction of a percent near the centre (about 1 % at 1000 km), which a
  single UTM zone cannot do for regions such as Liptako-Gourma that span
  three zones. The chosen CRS is recorded in every output (``summary.json``
  key ``crs`` as a PROJ string that :class:`pyproj.CRS` reads).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from ._errors import DataError

WGS84 = CRS.from_epsg(4326)

__all__ = [
    "WGS84",
    "centred_crs",
    "crs_string",
    "require_crs",
    "study_centre",
    "study_crs",
    "to_metric",
]


def study_crs(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    incidents: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> CRS:
    """Choose the metric CRS for a study area.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        Any geometries with a CRS; usually the administrative units.
    incidents : GeoDataFrame or GeoSeries, optional
        The incidents. When given, the projection is centred on the middle of
        the extent of those inside the bounding box of ``gdf`` (so a stray
        point at 0, 0 does not move it); ``gdf`` is the fallback when there
        are none.

    Returns
    -------
    pyproj.CRS
        Lambert azimuthal equal-area (``+proj=laea``) on WGS84, centred on the
        middle of the extent (not a mean weighted by incidents: that pulls the
        centre to the busiest city and distorts the far side), rounded to 0.01
        degrees so that the choice is stable. The longitude is the middle of
        the shortest arc that covers every longitude, so a study area across
        the antimeridian (such as the United States with the Aleutians) is
        centred on its land, not on the opposite side of the globe. Over a
        study area up to about 3,000 km across, distances are within 1 % of
        the geodesic ones (tested against :class:`pyproj.Geod`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> units = gpd.GeoDataFrame(geometry=[box(0, 10, 4, 14)], crs=4326)
    >>> study_crs(units).to_proj4()  # doctest: +ELLIPSIS
    '+proj=laea +lat_0=12 +lon_0=2 ...'
    >>> pts = gpd.GeoSeries([Point(1, 11), Point(2, 13)], crs=4326)
    >>> study_crs(units, incidents=pts).to_proj4()  # doctest: +ELLIPSIS
    '+proj=laea +lat_0=12 +lon_0=1.5 ...'
    >>> fiji = gpd.GeoSeries([box(177, -19, 180, -16), box(-180, -19, -178, -16)], crs=4326)
    >>> study_crs(fiji).to_proj4()  # doctest: +ELLIPSIS
    '+proj=laea +lat_0=-17.5 +lon_0=179.5 ...'
    """
    lon0, lat0, _ = study_centre(gdf, incidents=incidents)
    return centred_crs(lon0, lat0)


def centred_crs(lon0: float, lat0: float) -> CRS:
    """The projection of :func:`study_crs` centred on ``lon0``, ``lat0`` (a
    :func:`study_centre`).

    >>> centred_crs(2.0, 12.0).to_proj4()  # doctest: +ELLIPSIS
    '+proj=laea +lat_0=12 +lon_0=2 ...'
    """
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


def study_centre(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    incidents: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> tuple[float, float, str]:
    """The centre of :func:`study_crs`: longitude, latitude and ``"incidents"`` or ``"units"``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> study_centre(gpd.GeoSeries([box(0, 10, 4, 14)], crs=4326))
    (2.0, 12.0, 'units')
    """
    require_crs(gdf, what="geometries")
    xy = _lonlat(gdf)
    if not len(xy):
        msg = "cannot choose a projection: the geometries are empty. Hint: check the input file."
        raise DataError(msg)
    basis = "units"
    if incidents is not None and len(incidents):
        require_crs(incidents, what="incidents")
        pts = _lonlat(incidents)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pts = pts[np.all((pts >= lo) & (pts <= hi), axis=1)]
        if len(pts):
            xy, basis = pts, "incidents"
    lon0 = round(_arc_middle(xy[:, 0]), 2)
    lat0 = round(float((xy[:, 1].min() + xy[:, 1].max()) / 2), 2)
    return (lon0 + 0.0, lat0 + 0.0, basis)


def _lonlat(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """Every finite vertex of ``gdf`` in longitude, latitude (of points a reader made, the
    numbers it made them of: :func:`borderwatch._geom.remembered_lonlat`)."""
    from ._geom import remembered_lonlat

    in_degrees = CRS(gdf.crs).equals(WGS84)
    known = remembered_lonlat(gdf.geometry.array) if in_degrees else None
    if known is not None:  # finite points, one vertex each
        return np.column_stack(known)
    geo = gdf if in_degrees else gdf.to_crs(WGS84)
    xy = shapely.get_coordinates(np.asarray(geo.geometry.array, dtype=object))
    return xy[np.all(np.isfinite(xy), axis=1)]


def _arc_middle(lon: np.ndarray) -> float:
    """The middle of the shortest arc of longitude that covers every ``lon``.

    The arc is the circle less its largest gap between consecutive
    longitudes, which is safe across the antimeridian.
    """
    u = np.unique(np.round((lon + 180.0) % 360.0 - 180.0, 6))
    if len(u) == 1:
        return float(u[0])
    gaps = np.append(np.diff(u), u[0] + 360.0 - u[-1])
    g = int(np.argmax(gaps))
    if g == len(u) - 1:  # the largest gap crosses the antimeridian: an ordinary extent
        return float((u[0] + u[-1]) / 2)
    start, length = u[g + 1], 360.0 - gaps[g]
    return float((start + length / 2 + 180.0) % 360.0 - 180.0)


def crs_string(crs: CRS | str | int) -> str:
    """A compact text form of ``crs`` that :class:`pyproj.CRS` reads back."""
    c = CRS(crs)
    epsg = c.to_epsg(min_confidence=100)
    if epsg is not None:
        return f"EPSG:{epsg}"
    with warnings.catch_warnings():
        # pyproj warns that PROJ strings may lose information; the study CRS is built from one
        warnings.simplefilter("ignore", UserWarning)
        proj4 = c.to_proj4()
    return proj4 if proj4 else c.to_wkt()


def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str, source: str = "") -> None:
    """Raise :class:`DataError` if ``gdf`` has no CRS."""
    if gdf.crs is None:
        where = f"{source}: " if source else ""
        msg = (
            f"{where}the {what} have no coordinate reference system (CRS). "
            "Hint: set it, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude, "
            "or add a .prj / CRS to the file."
        )
        raise DataError(msg)


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | str | None = None) -> tuple[gpd.GeoDataFrame, CRS]:
    """Return ``gdf`` in a metric CRS and that CRS.

    If ``crs`` is given it is used; else a projected (metre-based) CRS on the
    input is kept; else :func:`study_crs` chooses one.
    """
    require_crs(gdf, what="geometries")
    if crs is not None:
        target = CRS(crs)
    elif CRS(gdf.crs).is_projected and CRS(gdf.crs).axis_info[0].unit_name in ("metre", "meter"):
        return gdf, CRS(gdf.crs)
    else:
        target = study_crs(gdf)
    return gdf.to_crs(target), target
