"""The per-distinct shortcuts of reading and joining equal the direct computation.

The join runs once per distinct location (``join._Locations``), the categories are mapped
once per distinct text (``io.incidents._map_distinct``), and ``aggregate_counts`` groups the
first row of each distinct key with its row count. Each is compared with the row-by-row
computation on hand-made edge cases: a point exactly on the border, inside a sliver
between two countries' files, outside every unit within and beyond the tolerance,
repeated coordinates across categories, missing points (NaN coordinates in
``same_points``; the readers drop them before the join), -0.0 and 0.0.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from borderwatch import join as join_mod
from borderwatch._coded import text_column
from borderwatch._stacks import first_rows, same_points
from borderwatch.io.categories import map_categories
from borderwatch.io.incidents import _clean_categories, _map_distinct
from borderwatch.join import aggregate_counts, join_units

pytestmark = pytest.mark.filterwarnings("ignore::borderwatch._errors.BorderwatchWarning")


def _units() -> gpd.GeoDataFrame:
    # Mali's file stops ~430 m short of Niger's at 2°E (a sliver of no unit); Niger's
    # two units share the edge at 3°E
    return gpd.GeoDataFrame(
        {"unit_id": ["M", "N2", "N1"], "name": ["m", "n2", "n1"], "country": ["MLI", "NER", "NER"]},
        geometry=[box(1, 13, 1.996, 14), box(3, 13, 4, 14), box(2.0, 13, 3, 14)],
        crs=4326,
    )


_SPOTS = [
    (2.0, 13.5),  # exactly on Niger's edge of the border
    (3.0, 13.5),  # on the shared edge of N1 and N2 (in degrees)
    (1.998, 13.2),  # inside the sliver
    (4.005, 13.5),  # outside, within 1 km
    (4.2, 13.5),  # outside, beyond the tolerance
    (1.5, 13.5),  # inside Mali
]


def _points() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    pick = rng.integers(0, len(_SPOTS), 60)
    geoms: list[Point | None] = [Point(*_SPOTS[i]) for i in pick]
    geoms[7] = None  # a missing point
    geoms[13] = Point(0.0, 13.5)
    geoms[17] = Point(-0.0, 13.5)  # -0.0 stays apart from 0.0
    cats = rng.choice(np.array(["VBG", "vol", "smuggling"], dtype=object), len(geoms))
    return gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(len(geoms))], "category": cats}, geometry=geoms, crs=4326
    )


def _join(points: gpd.GeoDataFrame, share: float, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(join_mod, "_DISTINCT_SHARE", share)
    return join_units(points, _units())


def test_join_per_location_equals_the_direct_join(monkeypatch):
    pts = _points()
    direct = _join(pts, -1.0, monkeypatch)  # every row on its own
    per_location = _join(pts, 1.0, monkeypatch)  # always by location
    cols = ["unit_id", "unit_name", "country", "join"]
    assert (
        per_location[cols]
        .astype(object)
        .fillna("-")
        .equals(direct[cols].astype(object).fillna("-"))
    )
    assert np.array_equal(
        per_location["border_km"].to_numpy(), direct["border_km"].to_numpy(), equal_nan=True
    )
    # the edge cases do reach every status, and the repeated spots span several categories
    assert set(direct["join"]) == {"within", "snapped", "outside"}
    on_edge = direct.geometry.x.eq(3.0)  # one unit for every row of the spot on the shared edge
    assert on_edge.sum() > 1 and direct.loc[on_edge, "unit_id"].nunique() == 1
    assert direct.loc[on_edge, "join"].eq("within").all()
    assert direct.groupby(direct.geometry.x)["category"].nunique().max() > 1
    assert np.isnan(direct["border_km"].iloc[7])  # (NaN coordinates: see test_same_points)


def test_same_points_groups_bit_for_bit():
    x = np.array([1.0, 2.0, 1.0, np.nan, -0.0, 0.0, 2.0, 1.0])
    y = np.array([5.0, 5.0, 5.0, 5.0, 1.0, 1.0, 5.0, np.inf])
    rows, where = same_points(x, y)
    assert rows.tolist() == [0, 1, 4, 5, 3, 7]
    assert np.array_equal(x[rows][where], x, equal_nan=True)
    assert np.array_equal(np.signbit(x[rows][where]), np.signbit(x))
    # without zeros (the complex-key path): the same grouping as np.unique of the rows
    rng = np.random.default_rng(0)
    xy = rng.integers(1, 5, (200, 2)).astype(float)
    rows, where = same_points(xy[:, 0], xy[:, 1])
    assert len(rows) == len(np.unique(xy, axis=0))
    assert np.array_equal(xy[rows][where], xy)
    assert first_rows(np.array([0, -1, 1, 0, 2, 1])).tolist() == [0, 2, 4]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([" VBG", None, "VBG", "", "zz", np.nan, "ZZ ", "iccs 05", "  "] * 3),
        pd.Series([" VBG", None, "VBG", "", "zz"] * 3, dtype="string"),
        pd.Series([1, 1.0, True, "x", None], dtype=object),  # mixed: the direct path
        pd.Series([None, None], dtype=object),
    ],
)
def test_categories_per_distinct_text_equal_the_direct_mapping(values):
    mapped = _map_distinct(values, crosswalk=None)
    want_raw = _clean_categories(values.reset_index(drop=True))
    want_cats, want_sens, want_unmatched = map_categories(want_raw)
    assert mapped.raw.tolist() == want_raw.tolist()
    assert mapped.cats.tolist() == want_cats.tolist()
    assert mapped.sens.tolist() == want_sens.tolist()
    assert mapped.unmatched == want_unmatched
    if mapped.made is not None:  # the frame's columns, as text_column makes them of the rows
        index = pd.RangeIndex(len(values))
        for made, rows in zip(mapped.made, (mapped.cats, mapped.raw), strict=True):
            want = text_column(rows.to_numpy(dtype=object), index)
            want = want if isinstance(want, pd.Series) else pd.Series(want, index=index)
            pd.testing.assert_series_equal(made, want, check_names=False)


@pytest.mark.parametrize("period", ["month", "week", "year", None])
def test_aggregate_counts_equals_a_groupby_of_every_row(period):
    rng = np.random.default_rng(1)
    n = 400
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"))
    dates[rng.random(n) < 0.05] = pd.NaT
    unit = rng.choice(np.array(["A", "B", None], dtype=object), n)
    df = pd.DataFrame(
        {
            "unit_id": unit,
            "country": rng.choice(np.array(["MLI", "NER"], dtype=object), n),
            "category": rng.choice(np.array(["x", "y", "z"], dtype=object), n),
            "date": dates,
        }
    )
    by = ("unit_id", "country", "category")
    got = aggregate_counts(df, period=period, by=by)
    frame = pd.DataFrame({c: df[c].to_numpy() for c in by})
    keys = list(by)
    if period is not None:
        freq = {"week": "W-SUN", "month": "M", "year": "Y"}[period]
        frame["period"] = df["date"].dt.to_period(freq).dt.start_time.to_numpy()
        keys.append("period")
    want = frame.groupby(keys, dropna=False, sort=True).size().rename("count").reset_index()
    want["count"] = want["count"].astype(int)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["count"].sum() == n
    # text dates take the direct path (parsed together) and give the same table
    text = df.assign(date=df["date"].dt.strftime("%Y-%m-%d"))
    if period is not None:
        pd.testing.assert_frame_equal(aggregate_counts(text, period=period, by=by), got)
