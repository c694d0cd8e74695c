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
    assert len(res) == 8
    assert set(res["method"]) == {"gi", "kde", "counts", "hotspots"}
    assert sorted(set(res["cell_km"])) == [5.0, 10.0]  # the size of each grid
    assert (res["pai"] > 5).all(), res[["method", "cell_km", "pai"]]
    assert ((res["pei"] > 0.5) & (res["pei"] <= 1.0 + 1e-12)).all()
    assert ((res["rri"] > 0.6) & (res["rri"] < 1.6)).all()  # the hotspot keeps its share over time
    hs = res[res["method"] == "hotspots"]
    assert (hs["coverage"] < 0.05).all() and (hs["cells_flagged"] > 0).all()
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
