"""The wave 16 remembered inputs and the evaluation's surface give what they gave before.

* :func:`borderwatch._inputs.metric_xy` (behind :func:`~borderwatch._inputs.metric_points`)
  remembers the coordinates per geometry array and CRS: another array or another CRS
  computes them anew, and every caller gets its own copy;
* :func:`borderwatch._inputs.check_points` checks each geometry array once;
* :func:`borderwatch.density.kde_values` gives :func:`~borderwatch.density.density`'s values;
* :func:`borderwatch.evaluate.evaluate` gives the same table with or without the
  coordinates remembered.
"""

from __future__ import annotations

import importlib
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from borderwatch import _inputs, _kde
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch._inputs import check_points, metric_points, metric_xy, remember_xy
from borderwatch.evaluate import evaluate, hotspot_pai
from borderwatch.grid import hex_grid

density_mod = importlib.import_module("borderwatch.density")


def _forget() -> None:
    _inputs._XY.clear()
    _inputs._POINTS.clear()


def _points(n: int = 200, seed: int = 0, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {"date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")},
        geometry=gpd.points_from_xy(rng.uniform(1.0, 3.0, n), rng.uniform(12.0, 14.0, n)),
        crs=crs,
    )


def _direct(points: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """The metric coordinates computed directly (NaN for missing or empty points)."""
    g = np.asarray(points.geometry.to_crs(crs).array, dtype=object)
    xy = np.full((len(g), 2), np.nan)
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
    xy[ok] = shapely.get_coordinates(g[ok])
    return xy


@pytest.mark.usefixtures("in_a_run")
def test_metric_xy_is_remembered_per_array_and_crs(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget()
    pts = _points()
    calls = []
    original = _inputs._projected_xy

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_inputs, "_projected_xy", counted)
    a, crs_a = metric_xy(pts, "EPSG:32631")
    b, _ = metric_xy(pts, "EPSG:32631")
    assert len(calls) == 1 and a is not b
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, _direct(pts, "EPSG:32631"))
    a[:] = 0.0  # a caller's copy: the remembered coordinates are untouched
    np.testing.assert_array_equal(metric_xy(pts, "EPSG:32631")[0], b)
    assert len(calls) == 1
    # another CRS, or another array of the same points: computed anew
    c, crs_c = metric_xy(pts, "EPSG:32632")
    assert len(calls) == 2 and crs_c != crs_a
    np.testing.assert_array_equal(c, _direct(pts, "EPSG:32632"))
    copy = pts.copy()
    copy["geometry"] = gpd.GeoSeries(
        gpd.points_from_xy(pts.geometry.x + 0.5, pts.geometry.y), crs=pts.crs
    )
    d, _ = metric_xy(copy, "EPSG:32631")
    assert len(calls) == 3
    np.testing.assert_array_equal(d, _direct(copy, "EPSG:32631"))
    # a subset is its own array
    metric_xy(pts.iloc[:50], "EPSG:32631")
    assert len(calls) == 4


def test_metric_points_warns_each_time_from_remembered_coordinates() -> None:
    _forget()
    pts = _points(20)
    pts.loc[3, "geometry"] = None
    pts.loc[7, "geometry"] = Point()
    for _ in range(2):
        with pytest.warns(BorderwatchWarning, match="2 of 20 incidents"):
            xy, crs, ok = metric_points(pts, "EPSG:32631")
        assert ok.sum() == 18 and not ok[3] and not ok[7]
        assert np.isnan(xy[~ok]).all()


def test_metric_points_still_refuses_what_it_refused() -> None:
    _forget()
    pts = _points(5)
    metric_points(pts, "EPSG:32631")
    with pytest.raises(DataError, match="not a projected CRS in metres"):
        metric_points(pts, "EPSG:4326")
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    for _ in range(2):
        with pytest.raises(DataError, match="must be points"):
            metric_points(lines, "EPSG:32631")
        with pytest.raises(DataError, match="must be points"):
            check_points(lines)


@pytest.mark.usefixtures("in_a_run")
def test_remembered_xy_is_read_only_and_taken_for_its_array() -> None:
    _forget()
    pts = _points(10, crs="EPSG:32631")
    mine = np.arange(20.0).reshape(10, 2)
    remember_xy(pts.geometry.array, pts.crs, mine)
    mine[:] = -1.0  # the remembered copy is not the caller's array
    got, _ = metric_xy(pts, None)
    np.testing.assert_array_equal(got, np.arange(20.0).reshape(10, 2))
    assert not _inputs._XY[-1][2].flags.writeable


@pytest.mark.usefixtures("in_a_run")
def test_check_points_checks_an_array_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget()
    pts = _points(30)
    calls = []
    original = shapely.get_type_id

    def counted(geoms):
        calls.append(1)
        return original(geoms)

    monkeypatch.setattr(_inputs.shapely, "get_type_id", counted)
    assert check_points(pts) is pts
    assert check_points(pts) is pts
    assert len(calls) == 1
    check_points(pts.copy(deep=True))  # a new array: checked
    assert len(calls) == 2


@pytest.mark.parametrize("cell_km", [0.5, 1.3])
def test_kde_values_are_the_density_values(cell_km: float) -> None:
    _forget()
    rng = np.random.default_rng(4)
    xy = np.vstack([rng.normal(5_000, 3_000, (400, 2)), rng.uniform(-20_000, 30_000, (50, 2))])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    opts = {"bandwidth_km": 2.0, "cell_km": cell_km, "bounds": (-8_000, -6_000, 17_000, 15_000)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        surf = density_mod.density(pts, crs="EPSG:32631", **opts)
        values, cell = density_mod.kde_values(pts, crs="EPSG:32631", **opts)
    assert values.tobytes() == surf.values.tobytes()
    assert cell == surf.cell_km


def test_evaluation_is_the_same_with_the_coordinates_remembered() -> None:
    units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(1.0, 12.0, 3.0, 14.0)], crs=4326)
    pts = _points(600, seed=3)
    opts = {"method": ["gi", "kde", "counts", "hotspots"], "cell_km": 20, "crs": "EPSG:32631"}
    _forget()
    cold = evaluate(pts, units, **opts)
    metric_xy(pts, "EPSG:32631")  # as the other steps leave it
    warm = evaluate(pts, units, **opts)
    again = evaluate(pts, units, **opts)
    pd.testing.assert_frame_equal(cold, warm)
    pd.testing.assert_frame_equal(cold, again)
    grid = hex_grid(units.to_crs(32631), cell_km=20)
    _forget()
    first = hotspot_pai(pts, grid)
    assert hotspot_pai(pts, grid) == first


@pytest.mark.parametrize("weighted", [False, True])
def test_binning_is_the_former_binning(weighted: bool) -> None:
    rng = np.random.default_rng(7)
    xy = rng.normal(20.0, 9.0, (3_000, 2))  # some beyond the grid: clipped to its edge
    w = rng.uniform(0.5, 2.0, len(xy)) if weighted else None
    fx, fy, fc, x0, y0 = 60, 45, 0.7, 0.0, 40.0
    u = (xy[:, 0] - x0) / fc - 0.5
    v = (y0 - xy[:, 1]) / fc - 0.5
    i0, j0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = u - i0, v - j0
    ww = np.ones(len(u)) if w is None else w
    want = np.zeros(fx * fy)
    for di, wu in ((0, 1.0 - fu), (1, fu)):
        ii = np.clip(i0 + di, 0, fx - 1)
        for dj, wv in ((0, 1.0 - fv), (1, fv)):
            jj = np.clip(j0 + dj, 0, fy - 1)
            want += np.bincount(jj * fx + ii, weights=ww * wu * wv, minlength=fx * fy)
    got = _kde._binned(xy, w, x0=x0, y0=y0, fx=fx, fy=fy, fc=fc)
    assert got.tobytes() == want.reshape(fy, fx).tobytes()


def test_metric_xy_of_points_is_that_of_their_x_and_y() -> None:
    _forget()
    pts = _points(300, seed=5)
    xy, _ = metric_xy(pts, "EPSG:32631")  # every row a point: the path without selection
    g = np.asarray(pts.geometry.to_crs("EPSG:32631").array, dtype=object)
    assert xy.tobytes() == np.column_stack([shapely.get_x(g), shapely.get_y(g)]).tobytes()


def test_incident_locations_are_the_same_from_remembered_coordinates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from borderwatch import regions

    _forget()
    pts = _points(500, seed=6)
    pts = pd.concat([pts, pts.iloc[:100]], ignore_index=True)  # stacks of two
    grid = hex_grid(gpd.GeoSeries([box(1.0, 12.0, 3.0, 14.0)], crs=4326).to_crs(32631), cell_km=20)
    crs = grid.cells.crs
    fast = regions._incident_cells(grid, pts, crs)
    with monkeypatch.context() as m:
        m.setattr(regions, "metric_xy", lambda *a, **k: (np.empty((0, 2)), None))
        slow = regions._incident_cells(grid, pts, crs)
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
    assert fast[1].max() == 499


@pytest.mark.usefixtures("in_a_run")
def test_remembered_points_are_not_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget()
    pts = _points(30)
    _inputs.remember_points(pts.geometry.array)
    _inputs.remember_points(pts.geometry.array)  # once is enough
    assert len(_inputs._POINTS) == 1
    monkeypatch.setattr(_inputs.shapely, "get_type_id", lambda g: 1 / 0)
    assert check_points(pts) is pts


def _former_support(xy_km, *, x0, y0, nx, ny, cell, s, radius) -> np.ndarray:
    """``support_grid`` as it was before wave 16 (whole rows gathered)."""
    support = np.zeros((ny, nx), dtype=np.int64)
    fx, fy, fc = nx * s, ny * s, cell / s
    reach = radius / fc - math.sqrt(0.5)
    if len(xy_km) == 0 or reach < 0:
        return support
    i = np.clip(np.floor((xy_km[:, 0] - x0) / fc).astype(np.int64), 0, fx - 1)
    j = np.clip(np.floor((y0 - xy_km[:, 1]) / fc).astype(np.int64), 0, fy - 1)
    counts = np.bincount(j * fx + i, minlength=fx * fy).reshape(fy, fx)
    cum = np.zeros((fy, fx + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=cum[:, 1:])
    c = s // 2
    rows_c, cols_c = s * np.arange(ny) + c, s * np.arange(nx) + c
    half = math.floor(reach)
    for dj in range(-half, half + 1):
        span = math.floor(math.sqrt(max(reach * reach - dj * dj, 0.0)) + 1e-12)
        rows = rows_c + dj
        ok = (rows >= 0) & (rows < fy)
        if not ok.any():
            continue
        lo, hi = np.clip(cols_c - span, 0, fx), np.clip(cols_c + span + 1, 0, fx)
        sel = cum[rows[ok]]
        support[ok] += sel[:, hi] - sel[:, lo]
    return support


@pytest.mark.parametrize("s", [1, 3, 5])
@pytest.mark.parametrize("radius", [0.3, 2.0, 9.0, 40.0])
def test_support_is_the_former_support(s: int, radius: float) -> None:
    rng = np.random.default_rng(s)
    xy = rng.normal(15.0, 8.0, (5_000, 2))
    for nx, ny in ((31, 23), (3, 2), (1, 40)):
        opts = {"x0": 0.0, "y0": 30.0, "nx": nx, "ny": ny, "cell": 0.9, "s": s, "radius": radius}
        got = _kde.support_grid(xy, **opts)
        np.testing.assert_array_equal(got, _former_support(xy, **opts))
