"""Tests of borderwatch.evaluate: evaluate() (PAI, PEI, RRI on a temporal split) and
hotspot_pai() (the PAI of the hotspot map)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.evaluate import evaluate, hotspot_pai
from borderwatch.grid import hex_grid
from borderwatch.hotspots import cell_hotspots


def _points(xy: list[tuple[float, float]], dates: list[str]) -> gpd.GeoDataFrame:
    arr = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(
        {"date": pd.to_datetime(dates), "country": "AAA"},
        geometry=gpd.points_from_xy(arr[:, 0], arr[:, 1]),
        crs=3857,
    )


def test_metrics_by_hand():
    # four 10 km squares; fit (January) and test (June) counts per cell:
    #   cell:  0(SW) 1(SE) 2(NW) 3(NE)
    #   fit:   10    2     1     0
    #   test:  6     1     0     3
    units = gpd.GeoDataFrame(
        {"country": ["AAA"]}, geometry=[shapely.box(0, 0, 20_000, 20_000)], crs=3857
    )
    centres = [(5e3, 5e3), (15e3, 5e3), (5e3, 15e3), (15e3, 15e3)]
    fit = [0] * 10 + [1] * 2 + [2]
    test = [0] * 6 + [1] + [3] * 3
    xy = [centres[i] for i in fit + test]
    dates = ["2023-01-10"] * len(fit) + ["2023-06-10"] * len(test)
    res = evaluate(
        _points(xy, dates),
        units,
        method="counts",
        cell_km=10,
        shape="square",
        coverage=0.25,
        split="2023-03-01",
    )
    row = res.iloc[0]
    assert row["n_cells"] == 4 and row["cells_flagged"] == 1
    assert row["n_fit"] == 13 and row["n_test"] == 10
    assert row["coverage"] == pytest.approx(0.25)
    assert row["hit_rate"] == pytest.approx(0.6)
    assert row["pai"] == pytest.approx(0.6 / 0.25)  # 2.4
    assert row["pei"] == pytest.approx(1.0)  # the best single cell holds 6 test incidents
    assert row["rri"] == pytest.approx((6 / 10) / (10 / 13))
    assert row["split_date"] == pd.Timestamp("2023-03-01")
    # half the area: cells 0 and 1 -> 7 of 10 test incidents; best two cells hold 6 + 3
    res2 = evaluate(
        _points(xy, dates),
        units,
        method="counts",
        cell_km=10,
        shape="square",
        coverage=0.5,
        split="2023-03-01",
    ).iloc[0]
    assert res2["pai"] == pytest.approx(0.7 / 0.5)
    assert res2["pei"] == pytest.approx(7 / 9)
    assert res2["rri"] == pytest.approx((7 / 12) / (10 / 13))


def _stable_hotspot(
    seed: int, n_bg: int = 600, n_hot: int = 300
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    units = gpd.GeoDataFrame(
        {"country": ["AAA", "BBB"]},
        crs=3857,
        geometry=[shapely.box(0, 0, 100_000, 150_000), shapely.box(100_000, 0, 200_000, 150_000)],
    )
    xy = np.vstack(
        [
            rng.uniform([0, 0], [200_000, 150_000], (n_bg, 2)),
            rng.normal([60_000, 90_000], 3_000, (n_hot, 2)),
        ]
    )
    xy = np.clip(xy, 1, [199_999, 149_999])
    dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 730, len(xy)), "D")
    pts = gpd.GeoDataFrame(
        {"date": dates, "country": np.where(xy[:, 0] < 100_000, "AAA", "BBB")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=3857,
    )
    return units, pts


def test_stable_hotspot_is_predicted():
    units, pts = _stable_hotspot(2024)
    res = evaluate(
        pts, units, method=["gi", "kde", "counts", "hotspots"], cell_km=[5, 10], coverage=0.05
    )
    # 4 methods x 2 cell sizes at 5 %, and the hotspot map at its own coverage
    assert len(res) == 10
    assert (res["at"] == "own").sum() == 2
    assert set(res["method"]) == {"gi", "kde", "counts", "hotspots"}
    assert sorted(set(res["cell_km"])) == [5.0, 10.0]  # the size of each grid
    assert (res["pai"] > 5).all(), res[["method", "cell_km", "pai"]]
    assert ((res["pei"] > 0.5) & (res["pei"] <= 1.0 + 1e-12)).all()
    assert ((res["rri"] > 0.6) & (res["rri"] < 1.6)).all()  # the hotspot keeps its share over time
    hs = res[(res["method"] == "hotspots") & (res["at"] == "own")]
    assert (hs["coverage"] < 0.05).all() and (hs["cells_flagged"] > 0).all()
    # every other row at exactly 5 % of the area
    assert np.allclose(res.loc[res["at"] == "fixed", "coverage"], 0.05)
    # split default: the month at the 75 % quantile of the dates
    assert (res["split_date"].dt.day == 1).all()
    n_test = res["n_test"].iloc[0]
    assert 0.15 < n_test / (n_test + res["n_fit"].iloc[0]) < 0.35


def test_random_data_has_pai_near_one():
    rng = np.random.default_rng(8)
    units = gpd.GeoDataFrame(
        {"country": ["AAA"]}, geometry=[shapely.box(0, 0, 200_000, 200_000)], crs=3857
    )
    xy = rng.uniform(0, 200_000, (3000, 2))
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, 3000), "D")
    pts = gpd.GeoDataFrame(
        {"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
    )
    res = evaluate(pts, units, method=["counts", "kde", "gi"], cell_km=10, coverage=0.2)
    assert ((res["pai"] > 0.6) & (res["pai"] < 1.5)).all(), res["pai"]


def test_hotspot_pai_on_a_grid_of_the_study_area():
    units, pts = _stable_hotspot(77)
    grid = hex_grid(units, cell_km=5)
    pai = hotspot_pai(pts, grid)
    assert pai is not None and pai > 5
    # the figure of evaluate() with method="hotspots" on the same grid
    ref = evaluate(pts, units, method="hotspots", cell_km=5).iloc[0]
    assert pai == pytest.approx(ref["pai"], rel=1e-12)
    # too short a span, too few incidents, or no dates: None
    short = pts.assign(
        date=pd.Timestamp("2022-05-01") + pd.to_timedelta(np.arange(len(pts)) % 30, "D")
    )
    assert hotspot_pai(short, grid) is None
    assert hotspot_pai(pts.head(20), grid) is None
    assert hotspot_pai(pts.drop(columns="date"), grid) is None
    # nothing but background: no hot spot to score
    rng = np.random.default_rng(3)
    xy = rng.uniform([0, 0], [200_000, 150_000], (300, 2))
    bg = gpd.GeoDataFrame(
        {"date": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, 300), "D")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=3857,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        assert hotspot_pai(bg, grid) is None


def test_hotspot_pai_on_the_analysis_grid():
    units, pts = _stable_hotspot(31)
    res = cell_hotspots(pts, units, cell_km=5, seed=2, permutations=99, trend=False)
    pai = hotspot_pai(pts, res.grid, alpha=0.05, seed=2, weights=res.weights)
    assert pai is not None and pai > 5
    # the weights as a summary.json spec, or left to the grid, give the same figure
    assert hotspot_pai(pts, res.grid, alpha=0.05, seed=2, weights=res.weights.spec) == pai
    assert hotspot_pai(pts, res.grid, alpha=0.05, seed=2) == pai
    # and the bare cells (lattice inferred from the centres) too
    assert hotspot_pai(pts, res.cells, alpha=0.05, seed=2) == pai
    # same grid, same answer as evaluate() with method="hotspots"
    ref = evaluate(pts, units, method="hotspots", cell_km=5).iloc[0]
    assert pai == pytest.approx(ref["pai"])
    assert hotspot_pai(pts.head(30), res.grid) is None
    with pytest.raises(DataError, match="weights spec"):
        hotspot_pai(pts, res.grid, weights={"type": "queen"})


def test_evaluate_errors():
    units, pts = _stable_hotspot(1, n_bg=50, n_hot=50)
    with pytest.raises(DataError, match="unknown method"):
        evaluate(pts, units, method="svm")
    with pytest.raises(DataError, match="no fit or no test"):
        evaluate(pts, units, method="counts", cell_km=10, split="2030-01-01")
    with pytest.raises(DataError, match="split"):
        evaluate(pts, units, method="counts", cell_km=10, split="not a date")
    with pytest.raises(DataError, match="coverage"):
        evaluate(pts, units, method="counts", cell_km=10, coverage=1.5)
    with pytest.raises(DataError, match="'date'"):
        evaluate(pts.drop(columns="date"), units, method="counts", cell_km=10)


# --------------------------------------------------------------------------- equal coverage


def test_methods_compared_at_equal_coverage():
    units, pts = _stable_hotspot(7)
    res = evaluate(pts, units, method=["gi", "kde", "counts", "hotspots"], cell_km=5)
    fixed = res[res["at"] == "fixed"]
    # every method at exactly 1, 2, 5 and 10 % of the area (the last cell in part)
    for _, grp in fixed.groupby("method"):
        np.testing.assert_allclose(grp["coverage"], [0.01, 0.02, 0.05, 0.10])
    assert len(fixed) == 16 and (res["at"] == "own").sum() == 1
    # PAI falls as coverage grows, for a single stable hotspot
    for _, grp in fixed.groupby("method"):
        assert grp["pai"].iloc[0] >= grp["pai"].iloc[-1]
    # the hotspot map, cut at 1 %, flags a subset of its own cells at its own coverage
    own = res[res["at"] == "own"].iloc[0]
    assert 0 < own["coverage"] < 0.05


def test_pai_curves_cover_a_range():
    from borderwatch.evaluate import pai_curves

    units, pts = _stable_hotspot(8)
    curves = pai_curves(pts, units, method=["counts", "gi"], cell_km=10, levels=[0.05, 0.1, 0.2])
    assert curves["coverage"].tolist() == [0.05, 0.1, 0.2] * 2
    assert (curves["at"] == "fixed").all()


def test_ties_in_counts_go_to_the_busier_neighbourhood_not_the_first_index():
    # 10 km squares; fit: 5 incidents in cell A, 1 in B (far away, lower index) and 1 in C (next
    # to A, higher index). Two cells of coverage: A, then C (the tie of B and C goes to C, whose
    # neighbourhood is busier). Test incidents fall in C.
    units = gpd.GeoDataFrame(
        {"country": ["AAA"]}, geometry=[shapely.box(0, 0, 100_000, 100_000)], crs=3857
    )
    a, b, c = (55e3, 55e3), (5e3, 5e3), (65e3, 55e3)
    fit = [a] * 5 + [b] + [c]
    test = [c] * 4 + [a] * 2
    dates = ["2023-01-10"] * len(fit) + ["2023-06-10"] * len(test)
    res = evaluate(
        _points(fit + test, dates),
        units,
        method="counts",
        cell_km=10,
        shape="square",
        coverage=0.02,
        split="2023-03-01",
    ).iloc[0]
    assert res["cells_flagged"] == 2
    assert res["hit_rate"] == pytest.approx(1.0)


def test_ranking_never_puts_a_zero_event_cell_ahead_of_a_tied_cell_with_events():
    from borderwatch.evaluate import _ranking

    score = np.array([1.0, 2.0, 2.0, 2.0, 0.0])
    counts = np.array([0.0, 0.0, 3.0, 1.0, 0.0])
    assert _ranking(score, counts).tolist() == [2, 3, 1, 0, 4]


def test_kde_method_uses_the_fast_density(monkeypatch):
    import sklearn.neighbors

    def refuse(*args, **kwargs):
        raise AssertionError("evaluate() must not use scikit-learn's exact KDE")

    monkeypatch.setattr(sklearn.neighbors, "KernelDensity", refuse)
    units, pts = _stable_hotspot(9)
    res = evaluate(pts, units, method="kde", cell_km=5, coverage=0.05)
    assert res.loc[0, "pai"] > 5


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_date_quantile_from_counts_equals_pandas_on_all_dates(unit):
    """The dask engine's split date comes from date counts: the quantile of the counts is
    pandas' quantile of all the dates (ties, days and times, every interpolation weight)."""
    from borderwatch._dask_eval import date_quantile

    rng = np.random.default_rng(5)
    for n in (2, 3, 7, 50, 1001):
        for daily in (True, False):
            step = 86_400 if daily else 1
            secs = rng.integers(0, 3 * 365, n) * step + (0 if daily else rng.integers(0, 86_400, n))
            dates = pd.Series(pd.Timestamp("2022-01-01") + pd.to_timedelta(secs, unit="s"))
            dates = dates.astype(f"datetime64[{unit}]")
            counts = dates.value_counts().sort_index()
            for q in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1.0):
                assert date_quantile(counts, q) == dates.quantile(q), (n, daily, q)


def test_score_counts_equals_scoring_the_points():
    """evaluate's rows from counts per cell (what the dask engine sends) equal those from
    the points: the same split, counts and density give the same table."""
    from borderwatch._crs import to_metric
    from borderwatch.evaluate import _kde_score, score_counts
    from borderwatch.grid import point_cells

    units = gpd.GeoDataFrame(
        {"country": ["AAA"]}, geometry=[shapely.box(0, 0, 60_000, 60_000)], crs=3857
    )
    rng = np.random.default_rng(8)
    xy = np.vstack([rng.uniform(0, 60_000, (200, 2)), rng.normal(20_000, 1_500, (200, 2))])
    days = rng.integers(0, 365, 400)
    pts = gpd.GeoDataFrame(
        {"date": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, "D")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=3857,
    )
    table = evaluate(pts, units, method=["gi", "kde", "counts", "hotspots"], cell_km=5)
    split = table.loc[0, "split_date"]
    grid = hex_grid(to_metric(units)[0], cell_km=5)
    fit, test = pts[pts["date"] < split], pts[pts["date"] >= split]
    where_fit, where_test = point_cells(grid, fit.geometry), point_cells(grid, test.geometry)
    n = len(grid.cells)
    rows = score_counts(
        np.bincount(where_fit[where_fit >= 0], minlength=n),
        np.bincount(where_test[where_test >= 0], minlength=n),
        grid,
        kde=lambda frame, bw: _kde_score(fit, frame, frame.crs, bw),
        methods=["gi", "kde", "counts", "hotspots"],
        split_date=split,
        coverage=[0.01, 0.02, 0.05, 0.10],
        weights=None,
        permutations=0,
        seed=0,
        alpha=0.05,
        bandwidth_km=None,
    )
    pd.testing.assert_frame_equal(pd.DataFrame(rows), table)
    assert table["pai"].max() > 2
