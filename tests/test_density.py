"""Tests of borderwatch.density (kernel density surface)."""

from __future__ import annotations

import doctest
import importlib
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import CRS, Geod
from rasterio.transform import Affine, rowcol
from shapely.geometry import LineString, Point, box
from sklearn.neighbors import KernelDensity

from borderwatch import _raster
from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.density import DensitySurface, default_bandwidth_km, density

# `borderwatch.density` is also the function, so take the module from sys.modules
density_module = importlib.import_module("borderwatch.density")

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UTM = "EPSG:32631"  # metric CRS for synthetic tests


def _points(xy_m: np.ndarray, crs: str = UTM, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy_m[:, 0], xy_m[:, 1]), crs=crs)


def _clustered(n: int, extent_km: float, seed: int) -> np.ndarray:
    """Uniform background plus Gaussian blobs, in metres."""
    rng = np.random.default_rng(seed)
    nb = int(0.4 * n)
    centres = rng.uniform(0.1 * extent_km, 0.9 * extent_km, (12, 2))
    blobs = centres[rng.integers(0, 12, nb)] + rng.normal(0, 0.01 * extent_km + 1, (nb, 2))
    return np.vstack([rng.uniform(0, extent_km, (n - nb, 2)), blobs]) * 1000.0


def _exact_kde(surface: DensitySurface, xy_m: np.ndarray) -> np.ndarray:
    x, y = surface.centres()
    xx, yy = np.meshgrid(x / 1000, y / 1000)
    kde = KernelDensity(kernel="gaussian", bandwidth=surface.bandwidth_km).fit(xy_m / 1000)
    log = kde.score_samples(np.column_stack([xx.ravel(), yy.ravel()]))
    return np.exp(log).reshape(surface.shape) * len(xy_m)


def test_doctests() -> None:
    result = doctest.testmod(density_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0


def test_surface_image_stays_reachable_from_density() -> None:
    # maps.py draws web-map images with borderwatch.density.surface_image
    assert density_module.surface_image is _raster.surface_image


@pytest.mark.parametrize(
    ("bandwidth", "cell"),
    [(2.0, 0.5), (2.0, 2.0), (6.0, 1.5), (4.0, 3.0)],
)
def test_matches_exact_sklearn_kde(bandwidth: float, cell: float) -> None:
    xy = _clustered(1500, 60.0, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cell <= bandwidth: no warning expected
        surf = density(_points(xy), bandwidth_km=bandwidth, cell_km=cell)
    exact = _exact_kde(surf, xy)
    err = np.abs(surf.values - exact).max() / exact.max()
    assert err < 0.02  # the requirement
    assert err < 0.01  # what the oversampled linear binning actually achieves


def test_undersampled_cell_warns_but_stays_accurate_at_centres() -> None:
    xy = _clustered(800, 40.0, seed=2)
    with pytest.warns(BorderwatchWarning, match="larger than bandwidth"):
        surf = density(_points(xy), bandwidth_km=1.0, cell_km=2.0)
    exact = _exact_kde(surf, xy)
    assert np.abs(surf.values - exact).max() / exact.max() < 0.02


def test_flux_conservation_counts_and_weights() -> None:
    xy = _clustered(3000, 100.0, seed=3)
    surf = density(_points(xy), bandwidth_km=3.0)
    assert surf.n_points == 3000
    assert surf.total() == pytest.approx(3000, rel=1e-4)
    assert surf.units == "incidents per km²"
    w = np.random.default_rng(0).uniform(0, 4, len(xy))
    weighted = density(_points(xy, weight=w), bandwidth_km=3.0, weights="weight")
    assert weighted.weighted
    assert weighted.total() == pytest.approx(w.sum(), rel=1e-4)
    # an array works as well as a column name
    same = density(_points(xy), bandwidth_km=3.0, weights=w)
    np.testing.assert_allclose(same.values, weighted.values)


def test_single_point_peak_and_north_up_transform() -> None:
    x, y = 512_345.0, 1_234_567.0
    pts = _points(np.array([[x, y], [x - 40_000.0, y - 30_000.0]]))
    surf = density(pts, bandwidth_km=2.0, cell_km=0.5)
    t = surf.transform
    assert t.a == pytest.approx(500.0) and t.e == pytest.approx(-500.0)
    assert t.b == 0 and t.d == 0
    minx, miny, maxx, maxy = surf.bounds
    assert (t.c, t.f) == (minx, maxy)
    assert minx < x - 40_000 and maxy > y
    # row 0 is north: the north-eastern point peaks in a smaller row than the other
    peaks = []
    for px, py in [(x, y), (x - 40_000.0, y - 30_000.0)]:
        r, c = rowcol(t, px, py)
        window = surf.values[r - 2 : r + 3, c - 2 : c + 3]
        assert surf.values[r, c] == pytest.approx(window.max(), rel=0.1)
        peaks.append(r)
    assert peaks[0] < peaks[1]
    # peak value of an isolated point is 1 / (2 pi h^2) at most
    assert surf.values.max() <= 1 / (2 * math.pi * 4.0) + 1e-9
    assert surf.values.max() > 0.9 / (2 * math.pi * 4.0)


def test_support_is_a_tight_lower_bound() -> None:
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 30_000, (400, 2))
    surf = density(_points(xy), bandwidth_km=1.5, cell_km=0.5)
    r_m = surf.support_radius_km * 1000
    assert surf.support_radius_km == pytest.approx(3.0)
    cx, cy = surf.centres()
    xx, yy = np.meshgrid(cx, cy)
    d = np.hypot(xx[..., None] - xy[:, 0], yy[..., None] - xy[:, 1])
    exact = (d <= r_m).sum(axis=2)
    slack = (d <= r_m - surf.cell_km * 1000 * math.sqrt(2)).sum(axis=2)
    assert surf.support.dtype == np.int64
    assert (surf.support <= exact).all()
    assert (surf.support >= slack).all()
    assert surf.support.max() > 5


def test_masked_sets_nan_below_k_and_leaves_original() -> None:
    xy = np.vstack([np.random.default_rng(6).normal(0, 300, (30, 2)), [[20_000.0, 20_000.0]]])
    surf = density(_points(xy), bandwidth_km=1.0, cell_km=0.25)
    before = surf.values.copy()
    m = surf.masked(5)
    assert m.masked_below == 5 and surf.masked_below is None
    np.testing.assert_array_equal(surf.values, before)
    assert np.isnan(m.values[surf.support < 5]).all()
    np.testing.assert_array_equal(m.values[surf.support >= 5], before[surf.support >= 5])
    # the lone incident's neighbourhood is masked, the group's centre is not
    r, c = rowcol(surf.transform, 20_000.0, 20_000.0)
    assert np.isnan(m.values[r, c])
    r0, c0 = rowcol(surf.transform, 0.0, 0.0)
    assert np.isfinite(m.values[r0, c0])
    assert m.mask_below(3).masked_below == 5
    with pytest.raises(DataError, match="whole number"):
        surf.masked(0)


def test_geotiff_round_trip(tmp_path: Path) -> None:
    xy = _clustered(500, 30.0, seed=7)
    surf = density(_points(xy), bandwidth_km=2.0, cell_km=1.0).masked(3)
    path = surf.to_geotiff(tmp_path / "density.tif")
    with rasterio.open(path) as src:
        assert src.count == 1 and src.dtypes[0] == "float32"
        assert math.isnan(src.nodata)
        assert src.compression.value.lower() == "deflate"
        assert CRS(src.crs.to_wkt()).equals(surf.crs)
        assert src.transform.almost_equals(surf.transform)
        arr = src.read(1)
        tags = src.tags()
        assert src.units[0] == "incidents per km²"
    np.testing.assert_allclose(arr, surf.values.astype(np.float32), equal_nan=True)
    assert np.isnan(arr).any() and np.isfinite(arr).any()
    assert float(tags["bandwidth_km"]) == 2.0 and float(tags["cell_km"]) == 1.0
    assert tags["units"] == "incidents per km²"
    assert tags["masked_below"] == "3" and tags["n_points"] == "500"


def test_geotiff_hides_small_counts_when_masked(tmp_path: Path) -> None:
    surf = density(_points(np.array([[0.0, 0.0], [100.0, 0.0]])), bandwidth_km=1.0)
    with rasterio.open(surf.masked(5).to_geotiff(tmp_path / "d.tif")) as src:
        assert "n_points" not in src.tags()
        assert np.isnan(src.read(1)).all()


def test_geographic_input_uses_study_crs() -> None:
    rng = np.random.default_rng(8)
    lon, lat = rng.uniform(1, 3, 300), rng.uniform(12, 14, 300)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    surf = density(pts, bandwidth_km=5.0)
    assert surf.crs.equals(study_crs(pts))
    manual = density(pts.to_crs(study_crs(pts)), bandwidth_km=5.0)
    np.testing.assert_allclose(surf.values, manual.values)
    assert surf.total() == pytest.approx(300, rel=1e-3)


def test_bounds_drop_points_outside() -> None:
    xy = np.array([[1_000.0, 1_000.0], [5_000.0, 5_000.0], [50_000.0, 50_000.0]])
    with pytest.warns(BorderwatchWarning, match="1 incidents lie outside"):
        surf = density(_points(xy), bandwidth_km=1.0, cell_km=0.3, bounds=(0, 0, 10_000, 10_000))
    assert surf.n_points == 2 and surf.n_dropped == 1
    assert surf.shape == (34, 34)  # ceil(10 / 0.3)
    assert surf.transform.c == 0 and surf.transform.f == 10_000
    assert surf.values[0, -1] < 1e-9  # far corner: nothing


def test_default_bandwidth_and_cell() -> None:
    rng = np.random.default_rng(9)
    xy_km = rng.normal(0, 10, (4000, 2))
    h = default_bandwidth_km(xy_km)
    assert h == pytest.approx(10 * 4000 ** (-1 / 6), rel=0.05)
    surf = density(_points(xy_km * 1000), bandwidth_km=None)
    assert surf.bandwidth_km == h
    assert surf.cell_km == pytest.approx(h / 4, rel=1e-2)
    # robust spread: a far outlier barely changes the bandwidth
    assert default_bandwidth_km(np.vstack([xy_km, [[5000.0, 5000.0]]])) == pytest.approx(
        h, rel=0.05
    )
    with pytest.warns(BorderwatchWarning, match="bandwidth"):
        one = density(_points(np.array([[0.0, 0.0]])))
    assert one.bandwidth_km == density_module.FALLBACK_BANDWIDTH_KM


def test_default_cell_keeps_grid_small() -> None:
    xy = np.array([[0.0, 0.0], [2_000_000.0, 2_000_000.0]])
    with pytest.warns(BorderwatchWarning, match="under 1,000,000 cells"):
        surf = density(_points(xy), bandwidth_km=1.0)
    assert surf.values.size <= density_module.DEFAULT_MAX_CELLS
    assert surf.total() == pytest.approx(2, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bandwidth_km": -1}, "bandwidth_km must be a positive"),
        ({"cell_km": 0}, "cell_km must be a positive"),
        ({"bounds": (0, 0, -5, 10)}, "bounds must be"),
        ({"crs": 4326}, "not a projected CRS in metres"),
        ({"bandwidth_km": 1, "cell_km": 0.001}, "cells"),
        ({"weights": "nope"}, "not a column"),
        ({"weights": [1.0, -2.0, 1.0]}, "weights must be finite"),
    ],
)
def test_bad_arguments_raise_data_error(kwargs: dict, match: str) -> None:
    pts = _points(np.array([[0.0, 0.0], [10_000.0, 0.0], [0.0, 100_000.0]]))
    with pytest.raises(DataError, match=match):
        density(pts, **kwargs)


def test_bad_inputs_raise_data_error() -> None:
    no_crs = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    with pytest.raises(DataError, match="coordinate reference system"):
        density(no_crs)
    poly = gpd.GeoDataFrame(geometry=[Point(0, 0), box(0, 0, 1, 1)], crs=UTM)
    with pytest.raises(DataError, match="row 2"):
        density(poly)
    with pytest.raises(DataError, match="GeoDataFrame"):
        density(np.zeros((3, 2)))  # type: ignore[arg-type]
    line = gpd.GeoSeries([LineString([(0, 0), (1, 1)])], crs=UTM)
    with pytest.raises(DataError, match="points"):
        density(line)


def test_missing_geometries_are_dropped_with_warning_and_input_untouched() -> None:
    pts = gpd.GeoDataFrame({"v": [1, 2, 3]}, geometry=[Point(0, 0), None, Point(1000, 0)], crs=UTM)
    copy = pts.copy()
    with pytest.warns(BorderwatchWarning, match="row 2"):
        surf = density(pts, bandwidth_km=1.0)
    assert surf.n_points == 2
    assert pts.equals(copy)


def test_per_capita_with_uniform_population(tmp_path: Path) -> None:
    # population raster in the same metric CRS: 50 people per km² on 1 km pixels
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=60,
        height=60,
        count=1,
        dtype="float32",
        crs=UTM,
        transform=Affine(1000, 0, 0, 0, -1000, 60_000),
        nodata=-1,
    ) as dst:
        dst.write(np.full((1, 60, 60), 50.0, dtype=np.float32))
    xy = np.random.default_rng(10).uniform(10_000, 50_000, (400, 2))
    bounds = (0, 0, 60_000, 60_000)
    raw = density(_points(xy), bandwidth_km=3.0, cell_km=1.0, bounds=bounds)
    rate = density(_points(xy), bandwidth_km=3.0, cell_km=1.0, bounds=bounds, population=path)
    assert rate.per_capita and rate.units == "incidents per 100,000 people"
    assert np.nansum(rate.population) == pytest.approx(50 * 3600, rel=1e-6)
    # interior cells: smoothed population density is exactly 50 / km²
    inner = (slice(20, 40), slice(20, 40))
    np.testing.assert_allclose(rate.values[inner] * 50 / 1e5, raw.values[inner], rtol=1e-6)
    np.testing.assert_array_equal(rate.support, raw.support)
    assert np.isfinite(rate.values).all()
    # an open dataset and an in-memory mapping give the same surface
    with rasterio.open(path) as src:
        from_ds = density(_points(xy), bandwidth_km=3.0, cell_km=1.0, bounds=bounds, population=src)
        mapping = {"values": src.read(1), "transform": src.transform, "crs": src.crs}
    from_map = density(
        _points(xy), bandwidth_km=3.0, cell_km=1.0, bounds=bounds, population=mapping
    )
    np.testing.assert_allclose(from_ds.values, rate.values)
    np.testing.assert_allclose(from_map.values, rate.values)
    with pytest.raises(DataError, match="lacks"):
        density(_points(xy), bandwidth_km=3.0, population={"values": np.ones((2, 2))})
    with pytest.raises(DataError, match="cannot read"):
        density(_points(xy), bandwidth_km=3.0, population=tmp_path / "missing.tif")


def test_per_capita_masks_cells_without_population(tmp_path: Path) -> None:
    values = np.zeros((20, 20))
    values[:, 10:] = 100.0  # people only in the eastern half
    mapping = {"values": values, "transform": Affine(1000, 0, 0, 0, -1000, 20_000), "crs": UTM}
    xy = np.random.default_rng(12).uniform(2_000, 18_000, (200, 2))
    surf = density(
        _points(xy),
        bandwidth_km=1.0,
        cell_km=1.0,
        bounds=(0, 0, 20_000, 20_000),
        population=mapping,
    )
    assert np.isnan(surf.values[:, :5]).all()  # far from anyone: no rate
    assert np.isfinite(surf.values[:, 12:]).all()


def test_pixel_area_matches_geodesic_area() -> None:
    t = Affine(0.25, 0, -6.0, 0, -0.25, 17.5)
    areas = _raster.pixel_area_km2(t, CRS.from_epsg(4326), 30)
    geod = Geod(ellps="WGS84")
    for row in (0, 29):
        top = 17.5 - 0.25 * row
        a, _ = geod.polygon_area_perimeter(
            [-6.0, -5.75, -5.75, -6.0], [top, top, top - 0.25, top - 0.25]
        )
        assert areas[row, 0] == pytest.approx(abs(a) / 1e6, rel=1e-5)


@pytest.mark.realdata
def test_per_capita_with_real_gpw_clip_conserves_population() -> None:
    path = DATA / "population" / "gpw_v4_popcount_2000_15min_liptako_gourma.tif"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    crs = CRS.from_proj4("+proj=laea +lat_0=14 +lon_0=0 +datum=WGS84 +units=m +no_defs")
    bounds = (-200_000.0, -200_000.0, 200_000.0, 200_000.0)
    rng = np.random.default_rng(11)
    pts = _points(rng.uniform(-150_000, 150_000, (2000, 2)), crs=crs.to_wkt())
    surf = density(pts, bandwidth_km=10.0, cell_km=2.0, bounds=bounds, population=path)
    people = np.nansum(surf.population)
    # independent total: each GPW pixel's count times the share of its area
    # (on the ellipsoid, via the equal-area CRS) that lies inside the grid square
    square = box(*bounds)
    with rasterio.open(path) as src:
        counts = src.read(1, masked=True).filled(0).astype(float)
        t = src.transform
    rows, cols = np.nonzero(counts > 0)
    pixels = gpd.GeoSeries(
        [
            box(t.c + c * t.a, t.f + (r + 1) * t.e, t.c + (c + 1) * t.a, t.f + r * t.e)
            for r, c in zip(rows, cols, strict=True)
        ],
        crs=4326,
    ).to_crs(crs)
    share = pixels.intersection(square).area.to_numpy() / pixels.area.to_numpy()
    expected = float((counts[rows, cols] * share).sum())
    assert expected > 1e6  # a populated part of the Sahel
    assert people == pytest.approx(expected, rel=0.01)
    finite = np.isfinite(surf.values)
    assert finite.mean() > 0.95
    assert (surf.values[finite] >= 0).all()
    # rate * smoothed people = incidents: mean rate is in a plausible range
    assert 1 < np.nanmedian(surf.values) < 1e4


def test_to_image_is_web_mercator_rgba() -> None:
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([2.0, 2.01, 2.3], [13.0, 13.01, 13.3]), crs=4326
    )
    surf = density(pts, bandwidth_km=3.0).masked(2)
    assert np.isnan(surf.values).any() and np.isfinite(surf.values).any()
    rgba, ((south, west), (north, east)) = surf.to_image(max_size=200)
    assert rgba.dtype == np.uint8 and rgba.shape[2] == 4
    assert max(rgba.shape[:2]) <= 200
    assert south < 13.0 and north > 13.3 and west < 2.0 and east > 2.3
    alpha = rgba[..., 3]
    assert (alpha == 0).any() and (alpha > 0).any()  # masked cells are transparent
