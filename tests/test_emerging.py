"""Tests of emerging hot spots: Mann-Kendall, the ArcGIS-style patterns, end to end."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse, stats

from borderwatch import grid
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch._stats import mann_kendall
from borderwatch.emerging import (
    TREND_LABELS,
    TREND_PATTERNS,
    EmergingHotspots,
    _classify_trend,
    _time_bins,
    emerging_hotspots,
)
from borderwatch.hotspots import cell_hotspots


def test_mann_kendall_equals_scipy_kendalltau():
    rng = np.random.default_rng(11)
    x = np.vstack(
        [
            rng.normal(size=(20, 15)),
            rng.integers(0, 3, size=(20, 15)).astype(float),  # many ties
            np.arange(15.0)[None] + rng.normal(0, 2, (5, 15)),  # trend
            np.ones((1, 15)),  # constant
        ]
    )
    s, z, p = mann_kendall(x)
    t = np.arange(x.shape[1])
    for row, si, pi in zip(x, s, p, strict=True):
        expected_s = sum(np.sign(row[j] - row[i]) for i in range(15) for j in range(i + 1, 15))
        assert si == expected_s
        if np.ptp(row) == 0:
            assert pi == 1.0
            continue
        ref = stats.kendalltau(t, row, method="asymptotic")
        assert pi == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
    assert (z[40:45] > 0).all() and (p[40:45] < 0.01).all()


def _flags(hot: str, cold: str = "") -> tuple[np.ndarray, np.ndarray]:
    h = np.array([c == "H" for c in hot])
    c = np.array([ch == "C" for ch in (cold or hot)])
    return h[None], c[None]


@pytest.mark.parametrize(
    ("series", "trend", "expected"),
    [
        ("..........H", 0, "new hot spot"),
        (".......HHHH", 0, "consecutive hot spot"),
        ("HHHHHHHHHHH", 0, "persistent hot spot"),
        ("HHHHHHHHHHH", +1, "intensifying hot spot"),
        ("HHHHHHHHHHH", -1, "diminishing hot spot"),
        ("HHHHHHHHHH.", 0, "historical hot spot"),
        ("..H..H...HH", 0, "sporadic hot spot"),
        ("H.H...H...H", 0, "sporadic hot spot"),
        ("CC......H.H", 0, "oscillating hot spot"),
        ("..........C", 0, "new cold spot"),
        ("........CCC", 0, "consecutive cold spot"),
        ("CCCCCCCCCCC", -1, "intensifying cold spot"),
        ("CCCCCCCCCCC", +1, "diminishing cold spot"),
        ("CCCCCCCCCCC", 0, "persistent cold spot"),
        ("CCCCCCCCCC.", 0, "historical cold spot"),
        ("C..C..C.C.C", 0, "sporadic cold spot"),
        ("H.H......CC", 0, "oscillating cold spot"),
        ("HH.........", 0, "no pattern"),
        ("...........", 0, "no pattern"),
        ("HHHHH.HHHHH", 0, "persistent hot spot"),  # 10 of 11 bins: at least 90 %
        ("HHHH.HHHH.H", 0, "sporadic hot spot"),  # 9 of 11: below 90 %, interrupted
    ],
)
def test_trend_patterns(series, trend, expected):
    hot, cold = _flags(series)
    z = np.array([3.0 * trend])
    p = np.array([0.001 if trend else 0.5])
    assert _classify_trend(hot, cold, z, p)[0] == expected
    assert expected in TREND_LABELS
    assert len(TREND_LABELS) == 2 * len(TREND_PATTERNS) + 1


def test_time_bins_months_and_quarters():
    d = pd.Series(pd.to_datetime(["2023-01-15", "2023-01-31", "2023-02-01", "2023-04-30"]))
    idx, starts = _time_bins(d, "MS")
    assert idx.tolist() == [0, 0, 1, 3]
    assert [s.strftime("%Y-%m-%d") for s in starts] == [
        "2023-01-01",
        "2023-02-01",
        "2023-03-01",
        "2023-04-01",
    ]
    idx, starts = _time_bins(d, "QS")
    assert idx.tolist() == [0, 0, 0, 1]


W, H = 240e3, 160e3


@pytest.fixture(scope="module")
def planted_trends():
    area = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[shapely.box(0, 0, W, H)], crs=3857)
    g = grid.hex_grid(area, cell_km=10)
    rng = np.random.default_rng(90210)
    months = pd.date_range("2022-01-01", periods=12, freq="MS")
    sites = {  # centre, incidents per month
        "persistent": ((40e3, 40e3), [25] * 12),
        "new": ((120e3, 40e3), [0] * 11 + [60]),
        "intensifying": ((200e3, 40e3), list(range(20, 56, 3))),
        "historical": ((40e3, 120e3), [25] * 11 + [0]),
        "diminishing": ((120e3, 120e3), list(range(60, 24, -3))),
        "consecutive": ((200e3, 120e3), [0] * 8 + [30] * 4),
    }
    xy, dates = [], []
    for m, month in enumerate(months):
        bg = rng.uniform([0, 0], [W, H], (80, 2))
        xy.append(bg)
        dates += [month + pd.Timedelta(days=int(d)) for d in rng.integers(0, 28, len(bg))]
        for centre, counts in sites.values():
            pts = rng.normal(centre, 4_000, (counts[m], 2))
            xy.append(pts)
            dates += [month + pd.Timedelta(days=int(d)) for d in rng.integers(0, 28, len(pts))]
    xy = np.vstack(xy)
    inc = gpd.GeoDataFrame(
        {"date": dates, "country": "AAA"}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
    )
    return area, g, inc, sites


def test_planted_trends_are_classified(planted_trends):
    _, g, inc, sites = planted_trends
    res = emerging_hotspots(inc, g, seed=5)
    assert isinstance(res, EmergingHotspots)
    assert res.bins == 12 and res.freq == "MS"
    assert (res.start, res.end) == (pd.Timestamp("2022-01-01"), pd.Timestamp("2022-12-01"))
    assert res.summary() == {
        "freq": "MS",
        "bins": 12,
        "start": "2022-01-01",
        "end": "2022-12-01",
        "permutations": 0,
        "alpha": 0.05,
        "time_step": 1,
        "standardised": "space-time cube",
    }
    tc = res.trend_class
    assert tc.index.equals(g.cells.index) and not tc.attrs
    centres = gpd.GeoSeries(
        gpd.points_from_xy(*zip(*[c for c, _ in sites.values()], strict=True)), crs=3857
    )
    where = grid.point_cells(g, centres)
    got = dict(zip(sites, tc.to_numpy()[where], strict=True))
    assert got == {name: f"{name} hot spot" for name in sites}
    # the background stays quiet
    assert (tc == "no pattern").mean() > 0.9
    # the weights may be passed as the spec recorded in summary.json
    spec = grid.cell_weights(g, warn=False).spec
    assert emerging_hotspots(inc, g, seed=5, weights=spec).trend_class.equals(tc)
    # and the bare cells give the same classes (lattice inferred from the centres)
    assert emerging_hotspots(inc, g.cells, seed=5).trend_class.equals(tc)


def test_cell_hotspots_fills_trend_class(planted_trends):
    area, _, inc, _ = planted_trends
    res = cell_hotspots(inc, area, cell_km=10, seed=5, permutations=99)
    out = res.cells
    assert res.trend is not None and res.trend_skipped is None
    assert res.summary()["trend"] == res.trend.summary() and res.trend.bins == 12
    assert out["trend_class"].notna().all()
    assert set(out["trend_class"]) <= set(TREND_LABELS)
    assert out["trend_class"].tolist() == res.trend.trend_class.tolist()
    assert "persistent hot spot" in set(out["trend_class"])
    res2 = cell_hotspots(inc.assign(date=pd.NaT), area, cell_km=10, permutations=99)
    assert res2.trend is None and "no incident has a date" in res2.trend_skipped
    assert (
        res2.cells["trend_class"].isna().all()
        and "no incident has a date" in res2.summary()["trend"]["skipped"]
    )


def test_emerging_coarsens_long_spans_and_rejects_short_ones():
    area = gpd.GeoSeries([shapely.box(0, 0, 50_000, 50_000)], crs=3857)
    cells = grid.hex_grid(area, cell_km=10)
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 50_000, (400, 2))
    dates = pd.Timestamp("1995-01-01") + pd.to_timedelta(rng.integers(0, 365 * 25, 400), "D")
    inc = gpd.GeoDataFrame(
        {"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
    )
    with pytest.warns(BorderwatchWarning, match="'QS'"):
        res = emerging_hotspots(inc, cells)
    assert res.freq == "QS" and res.bins <= 240
    with pytest.raises(DataError, match="at least 4"):
        emerging_hotspots(inc.assign(date=pd.Timestamp("2020-05-05")), cells)
    with pytest.raises(DataError, match="'date'"):
        emerging_hotspots(inc.drop(columns="date"), cells)


# --------------------------------------------------------------------------- cube, time step, exact MK


def test_mann_kendall_exact_equals_enumeration_with_ties():
    import itertools

    from borderwatch._mannkendall import exact_s_distribution, mk_test

    def s_of(x):
        return sum(np.sign(x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)))

    for row in (
        [3.0, 1.0, 2.0, 2.0, 5.0, 1.0],
        [0.0, 0.0, 1.0, 1.0, 1.0, 2.0],
        [1.0, 2.0, 3.0, 4.0, 5.0],
    ):
        perms = np.array([s_of(p) for p in itertools.permutations(row)])
        s, _, p = mk_test(np.array([row]))
        assert s[0] == s_of(row)
        assert p[0] == pytest.approx((np.abs(perms) >= abs(s[0])).mean(), abs=1e-12)
        _, counts = np.unique(row, return_counts=True)
        support, prob = exact_s_distribution(tuple(sorted(counts.tolist())))
        ref = {v: np.mean(perms == v) for v in np.unique(perms)}
        assert dict(zip(support.tolist(), prob.tolist(), strict=True)) == pytest.approx(ref)
    # without ties: scipy's exact Kendall tau test
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 9))
    _, _, p = mk_test(x)
    for row, pi in zip(x, p, strict=True):
        assert pi == pytest.approx(
            stats.kendalltau(np.arange(9), row, method="exact").pvalue, rel=1e-9
        )
    # longer series: the normal approximation, as before
    y = rng.normal(size=(5, 15))
    np.testing.assert_array_equal(mk_test(y)[2], mann_kendall(y)[2])


@pytest.mark.parametrize("bins", [4, 6, 10])
def test_false_trend_rate_at_most_alpha(bins):
    from borderwatch._mannkendall import mk_test

    rng = np.random.default_rng(bins)
    x = np.vstack([rng.normal(size=(20_000, bins)), rng.poisson(1.0, (20_000, bins)).astype(float)])
    _, _, p = mk_test(x)
    assert (p < 0.05).mean() <= 0.05


def _flat_cluster_among_growth():
    area = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[shapely.box(0, 0, W, H)], crs=3857)
    g = grid.hex_grid(area, cell_km=10)
    rng = np.random.default_rng(77)
    months = pd.date_range("2022-01-01", periods=12, freq="MS")
    xy, dates = [], []
    for m, month in enumerate(months):
        parts = [
            rng.uniform([0, 0], [W, H], (40, 2)),  # a steady background
            rng.uniform([120e3, 0], [W, H], (30 * m, 2)),  # growth in the east
            rng.normal((60e3, 60e3), 3_000, (40, 2)),  # the flat cluster
            rng.normal((190e3, 110e3), 3_000, (10 + 15 * m, 2)),  # a growing cluster
        ]
        for pts in parts:
            xy.append(pts)
            dates += [month + pd.Timedelta(days=int(d)) for d in rng.integers(0, 28, len(pts))]
    xy = np.vstack(xy)
    inc = gpd.GeoDataFrame(
        {"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
    )
    return g, inc


def test_flat_cluster_is_not_diminishing_when_other_areas_grow():
    g, inc = _flat_cluster_among_growth()
    res = emerging_hotspots(inc, g, seed=2)
    where = grid.point_cells(
        g, gpd.GeoSeries([shapely.Point(60e3, 60e3), shapely.Point(190e3, 110e3)], crs=3857)
    )
    flat, growing = res.trend_class.to_numpy()[where]
    assert flat == "persistent hot spot"
    assert growing in {"intensifying hot spot", "consecutive hot spot"}
    assert not (res.trend_class == "diminishing hot spot").any()


def test_cube_weights_and_time_step():
    from borderwatch.emerging import cube_weights

    w = grid.cell_weights(
        grid.hex_grid(gpd.GeoSeries([shapely.box(0, 0, 50e3, 50e3)], crs=3857), cell_km=10),
        warn=False,
    )
    n = w.n
    cube = cube_weights(w.sparse, 3, time_step=1)
    assert cube.shape == (3 * n, 3 * n)
    card = np.diff(cube.indptr)
    spatial = w.cardinalities
    # bin 0: space only; later bins: plus the cell and its neighbours one bin earlier
    np.testing.assert_array_equal(card[:n], spatial)
    np.testing.assert_array_equal(card[n : 2 * n], 2 * spatial + 1)
    assert cube[[n], [0]] == 1 and cube[[0], [n]] == 0  # earlier bins only
    assert cube_weights(w.sparse, 3, time_step=0).nnz == 3 * w.sparse.nnz
    # the same matrix as the sum of Kronecker products it is defined by, for every step
    adj = sparse.csr_array(w.sparse)
    for bins, step in [(1, 0), (2, 1), (3, 2), (5, 1), (5, 3), (4, 3)]:
        want = sparse.kron(sparse.eye(bins), adj, format="csr")
        for lag in range(1, step + 1):
            want = want + sparse.kron(sparse.eye(bins, k=-lag), adj + sparse.eye(n), format="csr")
        got = cube_weights(adj, bins, time_step=step)
        assert got.shape == want.shape and (got != want).nnz == 0, (bins, step)
        assert np.all(np.diff(got.indptr) == np.diff(want.indptr))
    area = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 50e3, 50e3)], crs=3857)
    with pytest.raises(DataError, match="time_step"):
        rng = np.random.default_rng(1)
        xy = rng.uniform(0, 50e3, (200, 2))
        inc = gpd.GeoDataFrame(
            {"date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 180, 200), "D")},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs=3857,
        )
        emerging_hotspots(inc, grid.hex_grid(area, cell_km=10), time_step=-1)
