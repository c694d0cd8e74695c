"""The join's locations projected from their coordinates (``_geom.points_to_crs``) equal
``GeoSeries.to_crs`` of the same points bit for bit; locations that are not plain finite
2-D points (missing, empty, NaN, 3-D) keep the direct ``to_crs``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import Point

from borderwatch._geom import points_to_crs
from borderwatch.join import _Locations

_METRIC = CRS("+proj=laea +lat_0=14 +lon_0=1.5 +datum=WGS84 +units=m")


def _direct(geo: gpd.GeoSeries, loc: _Locations) -> np.ndarray:
    """Each location's row projected by ``to_crs``."""
    assert loc.where is not None
    first = np.full(int(loc.where.max()) + 1, -1)
    for row, at in enumerate(loc.where):
        if first[at] < 0:
            first[at] = row
    return np.asarray(gpd.GeoSeries(geo.array[first], crs=geo.crs).to_crs(_METRIC).array)


def _stacked(extra: list) -> gpd.GeoSeries:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 4, 40).round(5), rng.uniform(11, 16, 40).round(5)
    pts = [Point(a, b) for a, b in zip(x, y, strict=True)]
    # every location three times; -0.0 and 0.0; a point exactly at the origin of the CRS
    geoms = pts * 3 + [Point(0.0, 0.0), Point(-0.0, 0.0), Point(1.5, 14.0)] + extra
    return gpd.GeoSeries(geoms, crs=4326)


@pytest.mark.parametrize(
    "extra",
    [[], [None], [Point()], [Point(np.nan, np.nan)], [Point(1.0, 13.0, 250.0)]],
    ids=["points", "missing", "empty", "nan", "3d"],
)
def test_locations_are_projected_as_to_crs_projects_them(extra: list) -> None:
    geo = _stacked(extra)
    loc = _Locations.of(geo, _METRIC)
    direct = _direct(geo, loc)
    got = np.asarray(loc.metric.array)
    assert len(got) == len(direct)
    assert np.array_equal(shapely.get_type_id(got), shapely.get_type_id(direct))
    assert np.array_equal(shapely.is_empty(got), shapely.is_empty(direct))
    assert np.array_equal(shapely.is_missing(got), shapely.is_missing(direct))
    xy_got = shapely.get_coordinates(got, include_z=True)
    xy_dir = shapely.get_coordinates(direct, include_z=True)
    assert np.array_equal(xy_got, xy_dir, equal_nan=True)
    assert loc.metric.crs == _METRIC


def test_points_to_crs_equals_to_crs_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-5, 6, 2000), rng.uniform(9, 18, 2000)
    got = points_to_crs(x, y, source=4326, target=_METRIC)
    direct = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=4326).to_crs(_METRIC).array
    assert np.array_equal(shapely.get_coordinates(got), shapely.get_coordinates(direct))
    same = points_to_crs(x, y, source=4326, target=4326)
    assert np.array_equal(shapely.get_coordinates(same), np.c_[x, y])
