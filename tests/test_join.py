"""Tests of the join to units and the counts (borderwatch.join), on hand-built units.

Layout (EPSG:4326): four 1°×1° units between 0°E and 4°E, 13°N and 14°N; Mali
west of 2°E, Niger east of it. The study CRS is then centred on 2°E, so the
international border is the central meridian and points on it lie exactly on
the shared edge after projection. Unit ids are chosen so that the smallest id
is *not* the first row: ties must follow the id, not the row order.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, Polygon, box

from borderwatch._crs import crs_string, study_crs
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.borders import border_lines
from borderwatch.io import read_incidents
from borderwatch.join import JOIN_STATUSES, aggregate_counts, join_summary, join_units, unit_counts

GEOD = Geod(ellps="WGS84")


def make_units() -> gpd.GeoDataFrame:
    geoms = [
        Polygon([(0, 13), (1, 13), (1, 13.5), (1, 14), (0, 14)]),
        Polygon([(1, 13), (2, 13), (2, 13.5), (2, 14), (1, 14), (1, 13.5)]),
        Polygon([(2, 13), (3, 13), (3, 14), (2, 14), (2, 13.5)]),
        box(3, 13, 4, 14),
    ]
    return gpd.GeoDataFrame(
        {
            "unit_id": ["b-mli-west", "c-mli-east", "a-ner-west", "d-ner-east"],
            "name": ["Mali West", "Mali East", "Niger West", "Niger East"],
            "country": ["MLI", "MLI", "NER", "NER"],
        },
        geometry=geoms,
        crs=4326,
    )


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return make_units()


def _points(xy, **cols) -> gpd.GeoDataFrame:
    data = {"id": [f"p{i}" for i in range(len(xy))], **cols}
    return gpd.GeoDataFrame(data, geometry=[Point(x, y) for x, y in xy], crs=4326)


def _join(points, units, **kw) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return join_units(points, units, **kw)


def test_within_snapped_outside(units):
    pts = _points(
        [
            (0.5, 13.5),  # inside Mali West
            (2.5, 13.25),  # inside Niger West
            (4.005, 13.5),  # ~540 m east of Niger East: snapped
            (1.5, 12.996),  # ~440 m south of Mali East: snapped
            (4.02, 13.5),  # ~2.2 km east: outside
            (10.0, 13.5),  # far away: outside
        ]
    )
    with pytest.warns(
        BorderwatchWarning, match=r"2 of 6 points fall outside every unit \(beyond 1\.0 km\)"
    ):
        out = join_units(pts, units)
    assert out["join"].tolist() == ["within", "within", "snapped", "snapped", "outside", "outside"]
    assert out["unit_id"].tolist()[:4] == ["b-mli-west", "a-ner-west", "d-ner-east", "c-mli-east"]
    assert out["unit_name"].tolist()[:4] == ["Mali West", "Niger West", "Niger East", "Mali East"]
    assert out["country"].tolist()[:4] == ["MLI", "NER", "NER", "MLI"]
    assert out["unit_id"].iloc[4:].isna().all() and out["country"].iloc[4:].isna().all()
    assert join_summary(out) == {"within": 2, "snapped": 2, "outside": 2}
    # distances are taken in the study CRS (a Lambert azimuthal equal-area) by default
    metric = study_crs(units)
    assert crs_string(metric).startswith("+proj=laea")
    explicit = _join(pts, units, crs=metric)
    np.testing.assert_array_equal(out["border_km"].to_numpy(), explicit["border_km"].to_numpy())
    assert out.attrs == {}


def test_tolerance_is_respected(units):
    pts = _points([(4.005, 13.5)])  # ~541 m outside
    assert _join(pts, units, tolerance_km=1.0)["join"].tolist() == ["snapped"]
    assert _join(pts, units, tolerance_km=0.5)["join"].tolist() == ["outside"]
    assert _join(pts, units, tolerance_km=0.6)["join"].tolist() == ["snapped"]
    assert _join(pts, units, tolerance_km=0.0)["join"].tolist() == ["outside"]


def test_gap_between_countries_snaps_to_the_nearest_unit():
    # Mali's file stops ~430 m short of Niger's: a gap along the border
    gap_units = gpd.GeoDataFrame(
        {"unit_id": ["M", "N"], "name": ["m", "n"], "country": ["MLI", "NER"]},
        geometry=[box(1, 13, 1.996, 14), box(2.0, 13, 3, 14)],
        crs=4326,
    )
    pts = _points([(1.997, 13.5), (1.9995, 13.5), (1.998, 13.2)])
    out = _join(pts, gap_units)
    assert out["join"].tolist() == ["snapped"] * 3
    assert out["unit_id"].tolist() == [
        "M",
        "N",
        "M",
    ]  # ~108 m vs ~325 m; ~54 m vs ~379 m; 216 m vs 216 m
    assert out["border_km"].max() < 0.5


def test_shared_edge_goes_to_the_smallest_unit_id(units):
    pts = _points(
        [
            (2.0, 13.5),  # shared vertex of Mali East and Niger West (the international border)
            (2.0, 13.25),  # on the international edge, between vertices
            (1.0, 13.5),  # shared vertex of Mali West and Mali East
            (2.0, 14.0),  # corner shared by Mali East and Niger West
        ]
    )
    out = _join(pts, units)
    assert out["join"].tolist() == ["within"] * 4
    assert out["unit_id"].tolist() == ["a-ner-west", "a-ner-west", "b-mli-west", "a-ner-west"]
    # the same whatever the order of the units
    for seed in range(3):
        shuffled = units.sample(frac=1, random_state=seed)
        again = _join(pts, shuffled)
        assert again["unit_id"].tolist() == out["unit_id"].tolist()


def test_overlapping_units_go_to_the_smallest_unit_id():
    sliver = gpd.GeoDataFrame(
        {"unit_id": ["z", "y"], "name": ["z", "y"], "country": ["MLI", "NER"]},
        geometry=[box(1, 13, 2.01, 14), box(2, 13, 3, 14)],
        crs=4326,
    )
    out = _join(_points([(2.005, 13.5), (1.5, 13.5)]), sliver)
    assert out["unit_id"].tolist() == ["y", "z"]
    assert out["join"].tolist() == ["within", "within"]


def test_border_km_against_hand_computed_distance(units):
    lons = np.array([2.5, 0.5, 1.9, 3.99, 2.0])
    lats = np.array([13.5, 13.5, 13.7, 13.3, 13.5])
    out = _join(_points(list(zip(lons, lats, strict=True))), units)
    # the border is the meridian 2°E: the geodesic distance to it along the parallel
    truth = np.array(
        [GEOD.inv(lo, la, 2.0, la)[2] / 1000.0 for lo, la in zip(lons, lats, strict=True)]
    )
    assert truth[0] == pytest.approx(54.1, abs=0.2)
    np.testing.assert_allclose(out["border_km"].to_numpy(), truth, rtol=2e-3, atol=1e-3)


def test_border_km_with_a_given_border_and_crs(units):
    border = border_lines(units)
    pts = _points([(2.5, 13.5)])
    a = _join(pts, units)
    b = _join(
        pts, units, border=border, crs="+proj=laea +lat_0=13.5 +lon_0=2 +datum=WGS84 +units=m"
    )
    assert b["border_km"].iloc[0] == pytest.approx(a["border_km"].iloc[0], rel=1e-9)
    no_border = _join(pts, units, border=border.iloc[:0])
    assert np.isnan(no_border["border_km"].iloc[0])


def test_country_mismatch_is_flagged_not_overwritten(units):
    pts = _points(
        [(2.5, 13.5), (0.5, 13.5), (4.005, 13.5), (10.0, 13.5), (1.5, 13.5)],
        reported_country=["MLI", "MLI", "MLI", "NER", None],
    )
    out = _join(pts, units)
    assert out["country"].tolist()[:3] == ["NER", "MLI", "NER"]
    assert out["reported_country"].tolist()[:4] == ["MLI", "MLI", "MLI", "NER"]
    assert out["country_mismatch"].tolist() == [True, False, True, False, False]
    assert out["country_mismatch"].dtype == bool
    assert join_summary(out)["country_mismatch"] == 2


def test_no_mismatch_column_without_reported_country(units):
    out = _join(_points([(0.5, 13.5)]), units)
    assert "country_mismatch" not in out.columns
    assert "country_mismatch" not in join_summary(out)


def test_reader_country_names_flow_into_the_mismatch_flag(units):
    df = pd.DataFrame({"lon": [2.5, 0.5], "lat": [13.5, 13.5], "country": ["Mali", "Mali"]})
    out = _join(read_incidents(df, units=units), units)
    assert out["country_mismatch"].tolist() == [True, False]


def test_join_keeps_other_columns_and_does_not_modify_input(units):
    pts = _points([(0.5, 13.5), (2.5, 13.5)], note=["a", "b"])
    pts.index = [7, 3]
    before = pts.copy(deep=True)
    units_before = units.copy(deep=True)
    out = _join(pts, units)
    pd.testing.assert_frame_equal(pd.DataFrame(pts), pd.DataFrame(before))
    pd.testing.assert_frame_equal(pd.DataFrame(units), pd.DataFrame(units_before))
    assert out.index.tolist() == [7, 3]
    assert out["note"].tolist() == ["a", "b"]
    for col in ("unit_id", "unit_name", "country", "join", "border_km"):
        assert col in out.columns
    assert out.crs == pts.crs


def test_points_in_another_crs(units):
    pts = _points([(0.5, 13.5), (2.5, 13.5)]).to_crs(32631)
    out = _join(pts, units)
    assert out["unit_id"].tolist() == ["b-mli-west", "a-ner-west"]


def test_missing_geometry_is_outside(units):
    pts = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[Point(0.5, 13.5), None], crs=4326)
    out = _join(pts, units)
    assert out["join"].tolist() == ["within", "outside"]
    assert np.isnan(out["border_km"].iloc[1])


def test_join_input_errors(units):
    pts = _points([(0.5, 13.5)])
    with pytest.raises(DataError, match=r"the units have no 'unit_id' column.*read_units"):
        join_units(pts, units.drop(columns=["unit_id"]))
    with pytest.raises(DataError, match=r"tolerance_km must be >= 0"):
        join_units(pts, units, tolerance_km=-1)
    with pytest.raises(DataError, match=r"points have no coordinate reference system"):
        join_units(pts.set_crs(None, allow_override=True), units)


def test_join_statuses_constant():
    assert JOIN_STATUSES == ("within", "snapped", "outside")


def test_join_summary_counts():
    df = pd.DataFrame(
        {"join": ["within", "within", "outside"], "country_mismatch": [True, False, False]}
    )
    assert join_summary(df) == {"within": 2, "snapped": 0, "outside": 1, "country_mismatch": 1}


# ----------------------------------------------------------------------------------------------
# aggregation
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def joined() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["A", "A", "A", "B", "B", None, "A"],
            "category": ["x", "x", "y", "x", "x", "x", "x"],
            "date": pd.to_datetime(
                [
                    "2024-01-07",
                    "2024-01-08",
                    "2024-01-14",
                    "2024-01-15",
                    "2024-02-29",
                    "2024-01-08",
                    None,
                ]
            ),
        }
    )


def test_weeks_start_on_monday(joined):
    out = aggregate_counts(joined, period="week")
    a_x = out[(out["unit_id"] == "A") & (out["category"] == "x")]
    # Sunday 7 Jan is in the week of Monday 1 Jan; Monday 8 Jan starts a new week
    assert a_x["period"].dropna().tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-08"),
    ]
    a_y = out[(out["unit_id"] == "A") & (out["category"] == "y")]
    assert a_y["period"].tolist() == [pd.Timestamp("2024-01-08")]  # Sunday 14 Jan
    assert all(p.day_of_week == 0 for p in out["period"].dropna())
    assert out["count"].sum() == len(joined)


def test_month_and_year_periods(joined):
    month = aggregate_counts(joined, period="month")
    b = month[month["unit_id"] == "B"]
    assert b["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert b["count"].tolist() == [1, 1]
    year = aggregate_counts(joined, period="year")
    a_x = year[(year["unit_id"] == "A") & (year["category"] == "x")]
    assert a_x["period"].iloc[0] == pd.Timestamp("2024-01-01") and a_x["count"].iloc[0] == 2
    assert (
        pd.isna(a_x["period"].iloc[1]) and a_x["count"].iloc[1] == 1
    )  # the undated one: NaT period
    assert year["count"].sum() == len(joined)


def test_counts_without_period_and_outside_points(joined):
    out = aggregate_counts(joined, period=None)
    assert list(out.columns) == ["unit_id", "category", "count"]
    rows = {(u if isinstance(u, str) else None, c): n for u, c, n in out.itertuples(index=False)}
    assert rows == {("A", "x"): 3, ("A", "y"): 1, ("B", "x"): 2, (None, "x"): 1}


def test_aggregate_errors(joined):
    with pytest.raises(
        DataError, match=r"period must be one of week, month, year or None, not 'day'"
    ):
        aggregate_counts(joined, period="day")
    with pytest.raises(DataError, match=r"missing columns category"):
        aggregate_counts(joined.drop(columns=["category"]))
    with pytest.raises(DataError, match=r"no 'date' column"):
        aggregate_counts(joined.drop(columns=["date"]), period="month")


def test_unit_counts_every_unit_and_category_columns(units):
    pts = _points(
        [(0.5, 13.5), (0.6, 13.5), (2.5, 13.5), (4.005, 13.5), (10, 13.5)],
        category=[
            "iccs05_property",
            "iccs02_harm",
            "iccs05_property",
            "iccs05_property",
            "iccs05_property",
        ],
    )
    joined = _join(pts, units)
    out = unit_counts(joined, units)
    assert out["unit_id"].tolist() == units["unit_id"].tolist()
    counts = out.set_index("unit_id")
    assert counts["incidents"].to_dict() == {
        "b-mli-west": 2,
        "c-mli-east": 0,
        "a-ner-west": 1,
        "d-ner-east": 1,
    }
    assert counts["iccs02_harm"].to_dict() == {
        "b-mli-west": 1,
        "c-mli-east": 0,
        "a-ner-west": 0,
        "d-ner-east": 0,
    }
    # columns in taxonomy order; the total counts within + snapped
    assert list(out.columns) == [
        "unit_id",
        "name",
        "country",
        "incidents",
        "iccs02_harm",
        "iccs05_property",
        "geometry",
    ]
    summary = join_summary(joined)
    assert out["incidents"].sum() == summary["within"] + summary["snapped"]


@pytest.mark.usefixtures("in_a_run")
def test_joined_points_keep_their_projection_for_the_next_steps(units):
    """The join remembers its metric points for the joined frame (_geom.projected): the
    later steps get the same coordinates as a fresh to_crs, without reprojecting."""
    from borderwatch._geom import projected

    pts = _points([(0.5, 13.5), (2.5, 13.25), (1.5, 12.996), (3.9, 13.1)])
    metric = study_crs(units)
    out = _join(pts, units, crs=metric)
    first = projected(out.geometry, metric)
    again = projected(out.geometry, metric)
    assert again.array is first.array  # remembered: no second reprojection
    fresh = out.geometry.to_crs(metric)
    np.testing.assert_allclose(first.x.to_numpy(), fresh.x.to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(first.y.to_numpy(), fresh.y.to_numpy(), rtol=0, atol=1e-6)
    assert first.index.equals(out.index) and first.crs == fresh.crs
    # a copy of the frame is a new array: reprojected, not mistaken for the old one
    other = out.iloc[::-1].copy()
    flipped = projected(other.geometry, metric)
    np.testing.assert_allclose(flipped.x.to_numpy(), fresh.x.to_numpy()[::-1], atol=1e-6)


@pytest.mark.usefixtures("in_a_run")
def test_join_later_fills_border_km_in_its_place_when_measured():
    """The pipeline's join leaves the border distances to a thread: the frame holds NaN in
    the ``border_km`` column until ``measured()``, then exactly what join_units gives,
    column order included; the distances become the bound of the features' border_km."""
    from borderwatch._countries import _remembered
    from borderwatch.join import join_later

    units = make_units()
    rng = np.random.default_rng(3)
    inc = read_incidents(
        pd.DataFrame(
            {
                "lon": rng.uniform(-0.2, 4.2, 400),
                "lat": rng.uniform(12.8, 14.2, 400),
                "country": rng.choice(["MLI", "NER"], 400),
            }
        )
    )
    border = border_lines(units)
    metric = study_crs(units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        want = join_units(inc, units, border=border, crs=metric)
        got, measured = join_later(inc, units, border=border, crs=metric)
    assert list(got.columns) == list(want.columns)
    assert got["border_km"].isna().all()
    assert _remembered(got.geometry.array, border, metric) is None
    measured()
    pd.testing.assert_frame_equal(got, want)
    assert want["border_km"].notna().sum() > 300
    np.testing.assert_array_equal(
        _remembered(got.geometry.array, border, metric), want["border_km"].to_numpy()
    )
