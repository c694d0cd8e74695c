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
from pyproj import CRS

from ._errors import DataError

WGS84 = CRS.from_epsg(4326)

__all__ = ["WGS84", "crs_string", "require_crs", "study_crs", "to_metric"]


def study_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """Choose the metric CRS for a study area.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        Any geometries with a CRS; usually the administrative units.

    Returns
    -------
    pyproj.CRS
        Lambert azimuthal equal-area (``+proj=laea``) on WGS84, centred on the
        centre of the bounding box of ``gdf`` in longitude and latitude and
        rounded to 0.01 degrees so that the choice is stable.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame(geometry=[box(0, 10, 4, 14)], crs=4326)
    >>> study_crs(units).to_proj4()  # doctest: +ELLIPSIS
    '+proj=laea +lat_0=12 +lon_0=2 ...'
    """
    require_crs(gdf, what="geometries")
    geo = gdf.to_crs(WGS84) if not CRS(gdf.crs).equals(WGS84) else gdf
    minx, miny, maxx, maxy = geo.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        msg = "cannot choose a projection: the geometries are empty. Hint: check the input file."
        raise DataError(msg)
    lon0 = round(float((minx + maxx) / 2), 2)
    lat0 = round(float((miny + maxy) / 2), 2)
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


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
