"""Tests of the study CRS (borderwatch._crs): the centre, the antimeridian and distances
against geodesic ones."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Point, box

from borderwatch._crs import _arc_middle, study_centre, study_crs
from borderwatch._errors import BorderwatchWarning, DataError

REPO = Path(__file__).resolve().parents[1]
MEX_USA = REPO / "data" / "boundaries" / "ne10m_adm1_mex_usa.geojson"
GEOD = Geod(ellps="WGS84")
TIJUANA = (-117.02, 32.53)
JUAREZ = (-106.42, 31.69)


def _points(lonlat: np.ndarray) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=4326)


def _projected_km(crs: CRS, lon1, lat1, lon2, lat2) -> np.ndarray:
    t = Transformer.from_crs(4326, crs, always_xy=True)
    x1, y1 = t.transform(lon1, lat1)
    x2, y2 = t.transform(lon2, lat2)
    return np.hypot(np.subtract(x2, x1), np.subtract(y2, y1)) / 1000


def _cap(lon0: float, lat0: float, radius_km: float, n: int, seed: int) -> np.ndarray:
    """``n`` points uniform in a spherical cap (a study area ``2 * radius_km`` across)."""
    rng = np.random.default_rng(seed)
    az = rng.uniform(-180, 180, n)
    dist = radius_km * 1000 * np.sqrt(rng.uniform(0, 1, n))
    lon, lat, _ = GEOD.fwd(np.full(n, lon0), np.full(n, lat0), az, dist)
    return np.column_stack([lon, lat])


def _mex_usa() -> gpd.GeoDataFrame:
    u = gpd.read_file(MEX_USA)
    u["geometry"] = u.geometry.make_valid()
    return u


# --------------------------------------------------------------------------- the centre


def test_arc_middle_is_safe_across_the_antimeridian():
    assert _arc_middle(np.array([0.0, 4.0])) == 2.0
    assert _arc_middle(np.array([170.0, -170.0])) == pytest.approx(-180.0)
    assert _arc_middle(np.array([172.0, 179.9, -179.9, -130.0, -67.0])) == pytest.approx(-127.5)
    # the extent, not a weighted mean: many points at one end do not move the middle
    assert _arc_middle(np.array([10.0] * 1000 + [20.0])) == 15.0


def test_study_crs_is_centred_on_the_incidents_extent():
    units = gpd.GeoDataFrame(geometry=[box(0, 10, 10, 20)], crs=4326)
    pts = _points(np.array([[6.0, 11.0], [8.0, 13.0], [8.0, 13.0], [8.0, 13.0]]))
    assert study_centre(units, incidents=pts) == (7.0, 12.0, "incidents")
    # a stray point outside the units' bounds (0, 0: a missing coordinate) is ignored
    stray = _points(np.array([[6.0, 11.0], [8.0, 13.0], [0.0, 0.0]]))
    assert study_centre(units, incidents=stray) == (7.0, 12.0, "incidents")
    # no usable incidents: the units
    assert study_centre(units, incidents=pts.iloc[:0]) == (5.0, 15.0, "units")
    assert study_centre(units) == (5.0, 15.0, "units")
    with pytest.raises(DataError, match="no coordinate reference system"):
        study_crs(units, incidents=gpd.GeoSeries([Point(6, 11)]))


def test_study_crs_of_the_mexico_usa_file_is_not_in_spain():
    # the shipped admin-1 file includes Alaska and the Aleutians, across 180 degrees
    units = _mex_usa()
    lon0, lat0, basis = study_centre(units)
    assert basis == "units"
    assert -150 < lon0 < -90 and 20 < lat0 < 60


# --------------------------------------------------------------------------- distances


@pytest.mark.parametrize(
    "centre",
    [(2.0, 14.0), (-110.0, 31.0), (20.0, 62.0), (179.0, -17.0), (-175.0, 64.0), (45.0, -35.0)],
    ids=["sahel", "mex-usa", "nordic", "fiji", "bering", "south"],
)
def test_distances_within_one_percent_of_geodesic(centre):
    # a study area 3,000 km across, its points as incidents
    xy = _cap(*centre, radius_km=1500, n=400, seed=1)
    crs = study_crs(_points(xy))
    rng = np.random.default_rng(2)
    i, j = rng.integers(0, len(xy), (2, 3000))
    i, j = i[i != j], j[i != j]
    _, _, geo = GEOD.inv(xy[i, 0], xy[i, 1], xy[j, 0], xy[j, 1])
    proj = _projected_km(crs, xy[i, 0], xy[i, 1], xy[j, 0], xy[j, 1])
    rel = proj / (geo / 1000) - 1
    assert np.abs(rel).max() < 0.01
    # short pairs: 5 km from every point, in every direction
    az = rng.uniform(-180, 180, len(xy))
    lon2, lat2, _ = GEOD.fwd(xy[:, 0], xy[:, 1], az, np.full(len(xy), 5000.0))
    short = _projected_km(crs, xy[:, 0], xy[:, 1], lon2, lat2)
    assert np.abs(short / 5 - 1).max() < 0.01


def test_antimeridian_mexico_usa_measures_5_km_at_tijuana_and_juarez():
    units = _mex_usa()
    # incidents at both cities (as the UCDP events are)
    rng = np.random.default_rng(3)
    pts = np.vstack(
        [
            np.array(TIJUANA) + rng.normal(0, 0.05, (50, 2)),
            np.array(JUAREZ) + rng.normal(0, 0.05, (50, 2)),
        ]
    )
    crs = study_crs(units, incidents=_points(pts))
    assert study_centre(units, incidents=_points(pts))[0] == pytest.approx(-111.72, abs=0.3)
    for lon, lat in (TIJUANA, JUAREZ):
        az = np.arange(0, 360, 15.0)
        lon2, lat2, _ = GEOD.fwd(
            np.full(len(az), lon), np.full(len(az), lat), az, np.full(len(az), 5000.0)
        )
        km = _projected_km(crs, np.full(len(az), lon), np.full(len(az), lat), lon2, lat2)
        np.testing.assert_allclose(km, 5.0, rtol=0.01)


def test_antimeridian_three_point_cluster_at_tijuana_stays_a_cluster():
    from borderwatch.clusters import label_points

    units = _mex_usa()
    # three points 2.4 km apart in a row, 4.8 km across, east of Tijuana; one at Juarez
    lon, lat, _ = GEOD.fwd([TIJUANA[0]] * 3, [TIJUANA[1]] * 3, [90.0] * 3, [0.0, 2400.0, 4800.0])
    xy = np.vstack([np.column_stack([lon, lat]), [JUAREZ]])
    pts = gpd.GeoDataFrame(geometry=_points(xy).array, crs=4326)
    crs = study_crs(units, incidents=pts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        labels = label_points(pts, method="dbscan", eps_km=2.5, min_samples=3, crs=crs)
    lab = labels["cluster_id"].to_numpy()
    assert lab[0] == lab[1] == lab[2] != -1
    assert lab[3] == -1


def test_pipeline_study_space_uses_the_incidents():
    from borderwatch.pipeline import _study_space
    from borderwatch.settings import Settings

    units = _mex_usa().rename(columns={"adm0_iso3": "country"})
    pts = gpd.GeoDataFrame(geometry=_points(np.array([TIJUANA, JUAREZ])).array, crs=4326)
    space = _study_space(units, pts, Settings(), lambda _: None)
    assert space.centre == {"lon": -111.72, "lat": 32.11, "from": "incidents"}
    assert CRS(space.crs) == study_crs(units, incidents=pts)
