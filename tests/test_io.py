"""Tests of the readers (borderwatch.io): detection, formats, categories and every error case.

The fixtures in ``tests/fixtures`` are hand-made: four 1°×1° units (two in Mali,
two in Niger) between 0°E and 4°E, 13°N and 14°N, and incidents inside them.
Error cases write small CSV files into ``tmp_path`` so that the line numbers in
the messages can be checked (the header is line 1, the first data row line 2).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, Polygon, box

from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.io import (
    TAXONOMY,
    Loaded,
    load_crosswalk,
    load_incidents,
    load_meetings,
    load_units,
    map_categories,
    read_incidents,
    read_meetings,
    read_units,
    to_iso3,
)

FIX = Path(__file__).resolve().parent / "fixtures"
UNITS_FILE = FIX / "units_mli_ner.geojson"


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return read_units(UNITS_FILE)


def _csv(tmp_path: Path, text: str, name: str = "incidents.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def _good_rows(n: int, *, start: int = 0) -> list[str]:
    """``n`` valid CSV rows ``id,lon,lat,date`` inside the fixture units."""
    rng = np.random.default_rng(n + start)
    lon = rng.uniform(0.1, 3.9, n)
    lat = rng.uniform(13.1, 13.9, n)
    return [
        f"R{start + i},{x:.4f},{y:.4f},2024-01-{1 + i % 28:02d}"
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]


def _quiet_read(*args, **kwargs) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return read_incidents(*args, **kwargs)


# ----------------------------------------------------------------------------------------------
# read_units
# ----------------------------------------------------------------------------------------------


def test_read_units_detects_columns_and_returns_standard_frame(units):
    assert list(units.columns[:4]) == ["unit_id", "name", "country", "geometry"]
    assert units["unit_id"].tolist() == ["ML.W", "ML.E", "NE.W", "NE.E"]
    assert units["name"].tolist() == ["Mali Ouest", "Mali Est", "Niger Ouest", "Niger Est"]
    assert units["country"].tolist() == ["MLI", "MLI", "NER", "NER"]
    assert units.crs.to_epsg() == 4326
    assert set(units.geom_type) == {"Polygon"}
    loaded = load_units(UNITS_FILE)
    assert loaded.columns == {"unit_id": "hasc", "name": "name", "country": "adm0_iso3"}
    assert loaded.source == str(UNITS_FILE)
    assert (loaded.repaired, loaded.dropped, loaded.warnings) == (0, {}, ())
    assert_geodataframe_equal(loaded.frame, units)


def _gdf_units(**extra) -> gpd.GeoDataFrame:
    data = {
        "code": ["A1", "A2", "B1"],
        "label": ["a one", "a two", "b one"],
        "nation": ["Mali", "ML", "NER"],
    }
    data.update(extra)
    return gpd.GeoDataFrame(
        data, geometry=[box(0, 13, 1, 14), box(1, 13, 2, 14), box(2, 13, 3, 14)], crs=4326
    )


def test_read_units_explicit_columns_and_country_names():
    src = _gdf_units(extra_info=[1, 2, 3])
    out = read_units(src, id_col="code", name_col="label", country_col="nation")
    assert out["unit_id"].tolist() == ["A1", "A2", "B1"]
    assert out["name"].tolist() == ["a one", "a two", "b one"]
    # English name, ISO2 and ISO3 all become ISO3
    assert out["country"].tolist() == ["MLI", "MLI", "NER"]
    # other columns pass through
    assert out["extra_info"].tolist() == [1, 2, 3]


def test_read_units_reprojects_to_wgs84():
    src = _gdf_units().to_crs(32631)
    out = read_units(src, id_col="code", name_col="label", country_col="nation")
    assert out.crs.to_epsg() == 4326
    np.testing.assert_allclose(out.total_bounds, [0, 13, 3, 14], atol=1e-6)


def test_read_units_does_not_modify_callers_frame():
    src = _gdf_units()
    before = src.copy()
    read_units(src, id_col="code", name_col="label", country_col="nation")
    pd.testing.assert_frame_equal(pd.DataFrame(src), pd.DataFrame(before))


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "parquet", "geojson"])
def test_read_units_file_formats(tmp_path, units, fmt):
    src = gpd.read_file(UNITS_FILE)
    path = tmp_path / f"units.{fmt}"
    if fmt == "parquet":
        src.to_parquet(path)
    else:
        src.to_file(path)
    out = read_units(path)
    assert out["unit_id"].tolist() == units["unit_id"].tolist()
    assert out["country"].tolist() == units["country"].tolist()


def test_read_units_missing_crs_gdf():
    src = _gdf_units().set_crs(None, allow_override=True)
    with pytest.raises(DataError, match=r"no coordinate reference system.*Hint: set it"):
        read_units(src, id_col="code", country_col="nation")


def test_read_units_missing_crs_shapefile(tmp_path):
    path = tmp_path / "noprj.shp"
    _gdf_units().to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(DataError, match=r"noprj\.shp.*no coordinate reference system"):
        read_units(path, id_col="code", country_col="nation")


def test_read_units_non_polygon_geometries():
    src = _gdf_units()
    src = src.set_geometry(
        [box(0, 13, 1, 14), Point(1.5, 13.5), shapely.LineString([(2, 13), (3, 14)])]
    )
    with pytest.raises(
        DataError, match=r"units must be polygons.*2 features are LineString, Point.*index 1, 2"
    ):
        read_units(src, id_col="code", country_col="nation")


def test_read_units_duplicate_ids_with_explicit_column():
    src = _gdf_units(code=["A1", "A1", "B1"])
    with pytest.raises(
        DataError,
        match=r"column 'code' has duplicate unit ids \(index 0, 1; ids: A1\).*"
        r"id_col= \(unit_id_col= in analyze\)",
    ):
        read_units(src, id_col="code", country_col="nation")


def test_read_units_duplicate_detected_unit_id_column_raises():
    src = _gdf_units().rename(columns={"code": "unit_id"})
    src["unit_id"] = ["X", "Y", "X"]
    with pytest.raises(DataError, match=r"duplicate unit ids \(index 0, 2"):
        read_units(src, country_col="nation")


def test_read_units_repeated_detected_hasc_is_numbered_with_warning():
    src = _gdf_units().rename(columns={"code": "hasc"})
    src["hasc"] = ["ML.KK", "ML.KK", "NE.TI"]
    with pytest.warns(BorderwatchWarning, match=r"detected id column 'hasc' repeats 1 ids"):
        out = read_units(src, country_col="nation")
    assert out["unit_id"].tolist() == ["ML.KK", "ML.KK-2", "NE.TI"]
    assert out["unit_id"].is_unique


def test_repeated_id_warning_names_a_renamed_id_of_this_file():
    src = _gdf_units().rename(columns={"code": "hasc"})
    src["hasc"] = ["CF.BB", "NE.TI", "CF.BB"]
    with pytest.warns(BorderwatchWarning, match=r"numbered \(e\.g\. CF\.BB-2\)"):
        out = read_units(src, country_col="nation")
    assert out["unit_id"].tolist() == ["CF.BB", "NE.TI", "CF.BB-2"]


def test_read_units_without_country_column():
    src = _gdf_units().drop(columns=["nation"])
    with pytest.raises(
        DataError,
        match=r"no country column found.*code, label.*country_col= \(unit_country_col= in analyze\)",
    ):
        read_units(src, id_col="code")


@pytest.mark.parametrize("bad", [None, "Atlantis"])
def test_read_units_missing_or_unknown_country_value(bad):
    src = _gdf_units(nation=["MLI", bad, "NER"])
    with pytest.raises(
        DataError, match=r"column 'nation' has a missing or unknown country for 1 units \(index 1"
    ):
        read_units(src, id_col="code", country_col="nation")


def test_read_units_explicit_column_that_does_not_exist():
    with pytest.raises(
        DataError,
        match=r"'adm2_code' given with id_col= \(unit_id_col= in analyze\) does not exist.*Columns present",
    ):
        read_units(UNITS_FILE, id_col="adm2_code")


def test_read_units_repairs_invalid_geometry_with_warning():
    bowtie = Polygon([(0, 13), (1, 14), (1, 13), (0, 14)])
    src = _gdf_units().set_geometry([bowtie, box(1, 13, 2, 14), box(2, 13, 3, 14)])
    assert not src.geometry.iloc[0].is_valid
    with pytest.warns(
        BorderwatchWarning, match=r"repaired 1 invalid unit geometries with make_valid"
    ):
        loaded = load_units(src, id_col="code", country_col="nation")
    out = loaded.frame
    assert out.geometry.is_valid.all()
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert out.geometry.iloc[0].area == pytest.approx(0.5)  # two triangles of 0.25 deg²
    assert loaded.repaired == 1
    assert loaded.source == "<GeoDataFrame>"
    assert len(loaded.warnings) == 1 and "repaired 1 invalid" in loaded.warnings[0]
    # read_units emits the same warning and returns the same frame
    with pytest.warns(BorderwatchWarning, match=r"repaired 1 invalid unit geometries"):
        assert_geodataframe_equal(read_units(src, id_col="code", country_col="nation"), out)


def test_read_units_rejects_plain_dataframe_and_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"must be a GeoDataFrame"):
        read_units(pd.DataFrame({"a": [1]}))
    with pytest.raises(DataError, match=r"nope\.geojson: the units file does not exist"):
        read_units(tmp_path / "nope.geojson")


def test_read_units_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.geojson: the units file is empty"):
        read_units(empty)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not a geopackage" * 10)
    with pytest.raises(DataError, match=r"junk\.gpkg: cannot read the units file.*Hint"):
        read_units(junk)


def test_read_units_plain_csv_is_not_units(tmp_path):
    path = _csv(tmp_path, "name,country\na,MLI", name="units.csv")
    with pytest.raises(DataError, match=r"units\.csv: the units have no geometry column"):
        read_units(path)


# ----------------------------------------------------------------------------------------------
# read_incidents: formats and detection
# ----------------------------------------------------------------------------------------------

EXPECTED_IDS = [f"INC-00{i}" for i in range(1, 9)]


def test_read_incidents_csv_fixture(units):
    loaded = load_incidents(FIX / "incidents.csv", units=units)
    inc = loaded.frame
    assert inc.crs.to_epsg() == 4326
    assert inc["id"].tolist() == EXPECTED_IDS
    assert loaded.columns["lon"] == "longitude"
    assert loaded.columns["lat"] == "latitude"
    assert loaded.source == str(FIX / "incidents.csv")
    assert inc.geometry.x.tolist()[:2] == [0.5, 1.5]
    assert inc.geometry.y.tolist()[:2] == [13.5, 13.2]
    assert inc["date"].iloc[3] == pd.Timestamp("2024-02-29")
    assert set(inc["date_precision"]) == {"day"}
    assert inc["category_raw"].iloc[0] == "Vol de bétail"
    assert inc["category"].tolist() == [
        "iccs05_property",
        "iccs05_property",
        "iccs04_violent_property",
        "iccs03_sexual",
        "iccs02_harm",
        "iccs02_harm",
        "iccs08_public_order",
        "iccs01_death",
    ]
    assert inc["sensitive"].tolist() == [False, False, False, True, True, True, False, False]
    assert inc["reported_country"].tolist() == [
        "MLI",
        "MLI",
        "NER",
        "NER",
        "MLI",
        "NER",
        "NER",
        "MLI",
    ]
    # other columns pass through unchanged
    assert inc["description"].iloc[1] == "herd of 40"
    for col in ("id", "date", "date_precision", "category", "category_raw", "sensitive"):
        assert col in inc.columns
    assert "longitude" not in inc.columns and "incident_id" not in inc.columns


def test_read_incidents_excel(units):
    loaded = load_incidents(FIX / "incidents.xlsx", units=units)
    inc = loaded.frame
    assert inc["id"].tolist() == EXPECTED_IDS
    assert loaded.columns["lon"] == "lng"
    # real Excel date cells keep the precision of a day
    assert set(inc["date_precision"]) == {"day"}
    assert inc["date"].iloc[0] == pd.Timestamp("2024-01-08")
    assert inc["sensitive"].sum() == 3


@pytest.mark.parametrize("name", ["incidents_points.geojson", "incidents_points.gpkg"])
def test_read_incidents_vector_points(units, name):
    inc = read_incidents(FIX / name, units=units)
    assert inc["id"].tolist() == ["G-1", "G-2", "G-3"]
    assert inc["category"].tolist() == ["iccs05_property", "iccs04_violent_property", "iccs02_harm"]
    assert inc["sensitive"].tolist() == [False, False, True]  # child abuse
    assert inc["date_precision"].tolist() == ["day", "day", "month"]
    assert inc["date"].iloc[2] == pd.Timestamp("2024-02-01")
    assert inc.geometry.iloc[2].equals(Point(2.5, 13.7))


def test_read_incidents_parquet_plain_and_geo(tmp_path, units):
    df = pd.read_csv(FIX / "incidents.csv")
    plain = tmp_path / "plain.parquet"
    df.to_parquet(plain)
    geo = tmp_path / "geo.parquet"
    gpd.GeoDataFrame(
        df.drop(columns=["longitude", "latitude"]),
        geometry=gpd.points_from_xy(df["longitude"], df["latitude"]),
        crs=4326,
    ).to_crs(3857).to_parquet(geo)
    a = read_incidents(plain, units=units)
    b = read_incidents(geo, units=units)
    assert a["id"].tolist() == b["id"].tolist() == EXPECTED_IDS
    np.testing.assert_allclose(b.geometry.x, a.geometry.x, atol=1e-9)
    np.testing.assert_allclose(b.geometry.y, a.geometry.y, atol=1e-9)
    assert b.crs.to_epsg() == 4326


def test_read_incidents_semicolon_csv(tmp_path, units):
    path = _csv(tmp_path, "id;lon;lat;date\nA;0.5;13.5;2024-01-01\nB;2.5;13.5;2024-01-02")
    inc = read_incidents(path, units=units)
    assert inc["id"].tolist() == ["A", "B"]
    assert inc.geometry.x.tolist() == [0.5, 2.5]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ("lon", "lat"),
        ("lng", "lat"),
        ("longitude", "latitude"),
        ("x", "y"),
        ("Longitude", "Latitude"),
        ("LON", "LAT"),
    ],
)
def test_coordinate_column_detection(lon, lat):
    df = pd.DataFrame({"id": ["a"], lon: [1.5], lat: [13.5]})
    loaded = load_incidents(df)
    assert loaded.frame.geometry.iloc[0].equals(Point(1.5, 13.5))
    assert loaded.columns["lon"] == lon and loaded.columns["lat"] == lat


def test_hxl_hashtag_row(units):
    loaded = load_incidents(FIX / "incidents_hxl.csv", units=units)
    inc = loaded.frame
    assert loaded.columns["lat"] == "#geo+lat"
    assert loaded.columns["lon"] == "#geo+lon"
    assert loaded.columns["time"] == "#date"
    assert inc["id"].tolist() == ["HXL-1", "HXL-2", "HXL-3", "HXL-4"]
    # latitude column comes before longitude in the file: x must still be the longitude
    assert inc.geometry.x.tolist() == [0.5, 1.5, 2.5, 3.5]
    assert inc["date"].tolist()[0] == pd.Timestamp("2024-01-08")
    assert inc["category"].tolist() == [
        "iccs05_property",
        "iccs04_violent_property",
        "iccs02_harm",
        "iccs03_sexual",
    ]
    assert inc["reported_country"].tolist() == ["MLI", "MLI", "NER", "NER"]
    # other tagged columns pass through under their hashtag
    assert inc["#adm1+name"].tolist() == ["Ouest", "Est", "Tillabéri", "Tahoua"]
    assert any("HXL" in n for n in loaded.notes)


def test_hxl_error_line_numbers_count_the_hashtag_row(tmp_path):
    # header line 1, hashtag row line 2, data from line 3: the bad row is on line 4
    path = _csv(
        tmp_path,
        "Nord,Est,Quand\n#geo+lat,#geo+lon,#date\n13.5,1.5,2024-01-02\n13.6,1.6,pas une date",
    )
    with pytest.raises(DataError, match=r"unparseable date in column '#date' \(line 4\)"):
        read_incidents(path)


def test_hxl_attributes_in_any_order():
    df = pd.DataFrame(
        {
            "a": ["#geo +lat +x_wgs84", "13.5"],
            "b": ["#geo+lon", "1.5"],
            "c": ["#date +occurred", "2024"],
        }
    )
    inc = read_incidents(df)
    assert inc.geometry.iloc[0].equals(Point(1.5, 13.5))
    assert inc["date_precision"].tolist() == ["year"]


def test_kobo_export_location_columns(units):
    loaded = load_incidents(FIX / "incidents_kobo.csv", units=units)
    inc = loaded.frame
    cols = loaded.columns
    assert (cols["lon"], cols["lat"], cols["time"]) == (
        "_location_longitude",
        "_location_latitude",
        "_submission_time",
    )
    assert inc.geometry.x.tolist() == [0.5, 1.5, 2.5]
    assert inc["date_precision"].tolist() == ["datetime"] * 3
    assert inc["date"].iloc[0] == pd.Timestamp("2024-03-05 10:22:31")
    # a column inside a Kobo group ("group_incident/...") is found
    assert inc["category"].tolist() == ["iccs05_property", "iccs02_harm", "iccs08_public_order"]
    # the group's "sensitive" column (oui/non) sets the flag
    assert inc["sensitive"].tolist() == [False, True, False]
    assert inc["id"].tolist() == ["a1b2c3d4-0001", "a1b2c3d4-0002", "a1b2c3d4-0003"]


def test_kobo_geopoint_string(units):
    loaded = load_incidents(FIX / "incidents_kobo_geopoint.csv", units=units)
    inc = loaded.frame
    assert loaded.columns["lon"] == loaded.columns["lat"] == "_geolocation"
    assert inc.geometry.x.tolist() == [0.5, 1.5, 2.5]
    assert inc.geometry.y.tolist() == [13.5, 13.2, 13.7]
    assert inc["date_precision"].tolist() == ["datetime"] * 3
    assert inc["category"].tolist() == ["iccs04_violent_property", "iccs02_harm", "iccs06_drugs"]


def test_kobo_geolocation_json_list_form():
    df = pd.DataFrame(
        {
            "_geolocation": ["[13.5, 1.5]", "[13.25, 2.75]"],
            "_submission_time": ["2024-01-01T10:00:00"] * 2,
        }
    )
    inc = read_incidents(df)
    assert inc.geometry.x.tolist() == [1.5, 2.75]
    assert inc.geometry.y.tolist() == [13.5, 13.25]


def test_odk_central_dash_columns():
    df = pd.DataFrame(
        {"location-Latitude": [13.5], "location-Longitude": [1.5], "SubmissionDate": ["2024-01-01"]}
    )
    inc = read_incidents(df)
    assert inc.geometry.iloc[0].equals(Point(1.5, 13.5))


def test_time_precision_year_month_day_datetime():
    df = pd.DataFrame(
        {
            "lon": [1.5] * 6,
            "lat": [13.5] * 6,
            "date": [
                "2024",
                "2024-03",
                "2024-03-05",
                "2024-03-05 14:30",
                "2024-03-05T14:30:00Z",
                None,
            ],
        }
    )
    inc = read_incidents(df)
    assert inc["date_precision"].iloc[:5].tolist() == [
        "year",
        "month",
        "day",
        "datetime",
        "datetime",
    ]
    assert pd.isna(inc["date_precision"].iloc[5])
    assert inc["date"].iloc[:5].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-03-01"),
        pd.Timestamp("2024-03-05"),
        pd.Timestamp("2024-03-05 14:30"),
        pd.Timestamp("2024-03-05 14:30"),
    ]
    assert pd.isna(inc["date"].iloc[5])  # a missing date is allowed, not invalid
    assert str(inc["date"].dtype) == "datetime64[ns]"


def test_year_only_integer_column():
    df = pd.DataFrame({"lon": [1.5, 2.5], "lat": [13.5, 13.5], "year": [1999, 2023]})
    loaded = load_incidents(df)
    inc = loaded.frame
    assert loaded.columns["time"] == "year"
    assert inc["date_precision"].tolist() == ["year", "year"]
    assert inc["date"].tolist() == [pd.Timestamp("1999-01-01"), pd.Timestamp("2023-01-01")]


def test_datetime_column_in_dataframe():
    df = pd.DataFrame(
        {
            "lon": [1.5, 2.5],
            "lat": [13.5, 13.5],
            "datetime": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 08:15"]),
        }
    )
    inc = read_incidents(df)
    assert inc["date_precision"].tolist() == ["day", "datetime"]


def test_dayfirst_and_date_format():
    df = pd.DataFrame({"lon": [1.5], "lat": [13.5], "date": ["03/04/2024"]})
    assert read_incidents(df, dayfirst=True)["date"].iloc[0] == pd.Timestamp("2024-04-03")
    # day and month are never guessed: without dayfirst= or date_format= an ambiguous date is refused
    with pytest.raises(DataError, match=r"column 'date'.*'03/04/2024'.*dayfirst=True"):
        read_incidents(df)
    month_first = read_incidents(df, date_format="%m/%d/%Y")
    assert month_first["date"].iloc[0] == pd.Timestamp("2024-03-04")
    df2 = pd.DataFrame({"lon": [1.5], "lat": [13.5], "date": ["05.06.2024"]})
    assert read_incidents(df2, date_format="%d.%m.%Y")["date"].iloc[0] == pd.Timestamp("2024-06-05")


@pytest.mark.parametrize("as_text", [False, True], ids=["numbers", "text"])
def test_excel_day_numbers_are_refused_with_a_hint_then_read_when_asked(tmp_path, as_text):
    # a date column formatted as a number in Excel: 39864 is 20 February 2009
    days = [39864, 45000.5] if not as_text else ["39864", "45000.5"]
    df = pd.DataFrame({"lon": [1.5, 2.5], "lat": [13.5, 13.5], "date": days})
    with pytest.raises(
        DataError, match=r"39864 look like Excel day numbers \(39864 is 2009-02-20\)"
    ):
        read_incidents(df.assign(date=[39864, 45000] if not as_text else ["39864", "45000"]))
    loaded = load_incidents(df, date_format="excel")
    inc = loaded.frame
    assert inc["date"].tolist() == [pd.Timestamp("2009-02-20"), pd.Timestamp("2023-03-15 12:00")]
    assert inc["date_precision"].tolist() == ["day", "datetime"]
    assert loaded.decisions["date_format"] == "excel"
    bad = df.assign(date=[39864, 10])  # 1900-01-10 is before Excel's day 61
    with pytest.raises(DataError, match=r"1 with unparseable date"):
        read_incidents(bad, date_format="excel")


def test_written_dates_are_not_reported_as_iso(tmp_path):
    df = pd.DataFrame(
        {"lon": [1.5, 2.5], "lat": [13.5, 13.5], "date": ["20 February 2009", "2009-03-01"]}
    )
    loaded = load_incidents(df)
    assert loaded.frame["date"].tolist() == [pd.Timestamp("2009-02-20"), pd.Timestamp("2009-03-01")]
    assert loaded.decisions["date_format"] == "ISO 8601 and written dates"
    assert load_incidents(df.iloc[1:]).decisions["date_format"] == "ISO 8601"


def test_ids_detected_or_numbered_by_line(tmp_path):
    path = _csv(tmp_path, "lon,lat\n1.5,13.5\n2.5,13.5")
    assert read_incidents(path)["id"].tolist() == ["row-2", "row-3"]
    df = pd.DataFrame({"event_id": [10, 11], "lon": [1.5, 2.5], "lat": [13.5, 13.5]})
    assert read_incidents(df)["id"].tolist() == ["10", "11"]


def test_numeric_ids_with_a_blank_stay_whole_numbers(tmp_path):
    path = _csv(tmp_path, "id,lon,lat\n101,1.5,13.5\n,2.5,13.5\n103,2.5,13.6")
    ids = read_incidents(path)["id"].tolist()
    assert ids[0] == "101" and ids[2] == "103"


def test_explicit_column_overrides(tmp_path, units):
    # detection would take the projected x/y; the user names the degree columns
    path = _csv(
        tmp_path,
        (
            "ref,x,y,E_deg,N_deg,quand,genre,pays_iso\n"
            "k1,500000,1400000,0.5,13.5,2024-01-02,Braquage,MLI\n"
            "k2,610000,1500000,2.5,13.6,2024-01-03,VBG,NER"
        ),
    )
    inc = read_incidents(
        path,
        units=units,
        lon_col="E_deg",
        lat_col="N_deg",
        time_col="quand",
        category_col="genre",
        id_col="ref",
        country_col="pays_iso",
    )
    assert inc.geometry.x.tolist() == [0.5, 2.5]
    assert inc["id"].tolist() == ["k1", "k2"]
    assert inc["date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert inc["category"].tolist() == ["iccs04_violent_property", "iccs03_sexual"]
    assert inc["reported_country"].tolist() == ["MLI", "NER"]
    assert inc["x"].tolist() == [500000, 610000]  # the unused columns pass through


@pytest.mark.parametrize(
    ("option", "flag"),
    [
        ("lon_col", "--lon-col"),
        ("lat_col", "--lat-col"),
        ("time_col", "--time-col"),
        ("category_col", "--category-col"),
        ("id_col", "--id-col"),
        ("country_col", "--country-col"),
    ],
)
def test_explicit_column_that_does_not_exist(option, flag):
    """Python users read the keyword (``lon_col=``), command-line users the flag (``--lon-col``)."""
    from borderwatch.cli import cli_words

    df = pd.DataFrame({"lon": [1.5], "lat": [13.5], "date": ["2024-01-01"]})
    with pytest.raises(DataError) as info:
        read_incidents(df, **{option: "nope"})
    assert re.search(
        rf"'nope' given with {option}= does not exist\. Columns present: ", str(info.value)
    )
    assert flag not in str(info.value)
    cli = cli_words(info.value.template)
    assert re.search(rf"'nope' given with {flag} does not exist\. Columns present: ", cli)


def test_geodataframe_input_in_other_crs():
    pts = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[Point(1.5, 13.5), Point(2.5, 13.7)], crs=4326
    )
    inc = read_incidents(pts.to_crs(32631))
    assert inc.crs.to_epsg() == 4326
    np.testing.assert_allclose(inc.geometry.x, [1.5, 2.5], atol=1e-9)


def test_geodataframe_input_without_crs_or_with_polygons():
    pts = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(1.5, 13.5)])
    with pytest.raises(DataError, match=r"incidents have no coordinate reference system"):
        read_incidents(pts)
    polys = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[Point(1.5, 13.5), box(0, 0, 1, 1)], crs=4326
    )
    with pytest.raises(
        DataError, match=r"incidents must be points, but 1 features are not \(index 1\)"
    ):
        read_incidents(polys)


def test_callers_dataframe_is_never_modified():
    df = pd.DataFrame(
        {
            "lon": ["1.5", "2.5", "0"],
            "lat": [13.5, 13.7, 0.0],
            "date": ["2024-01-01", "2024-02", "2023"],
            "category": ["VBG", "Braquage", "x"],
            "sensitive": ["no", "yes", "no"],
            "country": ["Mali", "NER", "MLI"],
        },
        index=[10, 20, 30],
    )
    df.attrs["origin"] = "test"
    before = df.copy(deep=True)
    inc = _quiet_read(df, on_invalid="drop")
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == {"origin": "test"}
    assert len(inc) == 2
    gdf = gpd.GeoDataFrame(
        {"id": ["a"], "category": ["VBG"]}, geometry=[Point(1.5, 13.5)], crs=4326
    )
    gbefore = gdf.copy(deep=True)
    read_incidents(gdf)
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(gbefore))


# ----------------------------------------------------------------------------------------------
# categories and the sensitive flag
# ----------------------------------------------------------------------------------------------

CATEGORY_CASES = [
    # French
    ("Vol de bétail", "iccs05_property", False),
    ("Vol à main armée", "iccs04_violent_property", False),
    ("Braquage", "iccs04_violent_property", False),
    ("Enlèvement", "iccs02_harm", False),
    ("Meurtre", "iccs01_death", False),
    ("Contrebande", "iccs08_public_order", False),
    ("Trafic d'armes", "iccs09_public_safety", False),
    ("Orpaillage illégal", "iccs10_environment", False),
    ("Violence sexuelle", "iccs03_sexual", True),
    ("VBG", "iccs03_sexual", True),
    ("Traite des personnes", "iccs02_harm", True),
    ("Maltraitance des enfants", "iccs02_harm", True),
    ("Violence domestique", "iccs02_harm", True),
    # Spanish
    ("Robo con violencia", "iccs04_violent_property", False),
    ("Homicidio", "iccs01_death", False),
    ("Narcotráfico", "iccs06_drugs", False),
    ("Violación", "iccs03_sexual", True),
    ("Trata de personas", "iccs02_harm", True),
    ("Maltrato infantil", "iccs02_harm", True),
    ("Violencia intrafamiliar", "iccs02_harm", True),
    # English
    ("Cattle rustling", "iccs05_property", False),
    ("Armed robbery", "iccs04_violent_property", False),
    ("Drug trafficking", "iccs06_drugs", False),
    ("SGBV", "iccs03_sexual", True),
    ("Human trafficking", "iccs02_harm", True),
    ("Child abuse", "iccs02_harm", True),
    ("Domestic violence", "iccs02_harm", True),
    # Arabic
    ("سرقة", "iccs05_property", False),
    ("تهريب", "iccs08_public_order", False),
    ("اغتصاب", "iccs03_sexual", True),
    ("العنف الأسري", "iccs02_harm", True),
    ("الاتجار بالبشر", "iccs02_harm", True),
    # case, accents and punctuation do not matter
    ("  VOL DE BETAIL!! ", "iccs05_property", False),
    # a taxonomy key passes through
    ("iccs03_sexual", "iccs03_sexual", True),
]


@pytest.mark.parametrize(("text", "category", "sensitive"), CATEGORY_CASES)
def test_category_crosswalk(text, category, sensitive):
    cats, sens, unmatched = map_categories(pd.Series([text]))
    assert (cats.iloc[0], bool(sens.iloc[0])) == (category, sensitive)
    assert unmatched == []


def test_common_plural_category_texts():
    texts = ["Drugs", "Tráfico de drogas", "Trafic de drogues", "Thefts", "Rapes"]
    cats, _, unmatched = map_categories(pd.Series(texts))
    assert cats.tolist() == ["iccs06_drugs"] * 3 + ["iccs05_property", "iccs03_sexual"]
    assert unmatched == []


def test_unknown_and_missing_categories(tmp_path):
    df = pd.DataFrame(
        {"lon": [1.5, 2.5, 2.6], "lat": [13.5] * 3, "category": ["Zorgle", None, "VBG"]}
    )
    with pytest.warns(
        BorderwatchWarning,
        match=r"1 category values in column 'category' are not in the crosswalk.*'Zorgle'",
    ):
        loaded = load_incidents(df)
    inc = loaded.frame
    assert inc["category"].tolist() == ["iccs11_other", "unspecified", "iccs03_sexual"]
    assert len(loaded.warnings) == 1 and "Zorgle" in loaded.warnings[0]
    assert loaded.columns["category"] == "category"


def test_no_category_column_gives_unspecified():
    inc = read_incidents(pd.DataFrame({"lon": [1.5], "lat": [13.5]}))
    assert inc["category"].tolist() == ["unspecified"]
    assert inc["sensitive"].tolist() == [False]


def test_taxonomy_keys_match_the_lookup_table():
    from borderwatch._data import data_path

    sections = pd.read_csv(data_path("lookups", "iccs_sections.csv"), comment="#")
    assert sections["key"].tolist() == TAXONOMY
    cw = load_crosswalk()
    assert set(cw["category"]) <= set(TAXONOMY)
    assert cw.loc[cw["sensitive"], "category"].isin(["iccs02_harm", "iccs03_sexual"]).all()


def test_sensitive_input_column_is_ored_with_category():
    df = pd.DataFrame(
        {
            "lon": [1.5] * 6,
            "lat": [13.5] * 6,
            "category": ["Braquage", "Braquage", "VBG", "Braquage", "Braquage", "Braquage"],
            "sensitive": ["yes", "no", "no", 1, "", "Oui"],
        }
    )
    inc = read_incidents(df)
    # an input flag adds protection; it never removes the protection of a sensitive category
    assert inc["sensitive"].tolist() == [True, False, True, True, False, True]
    assert "sensitive" in inc.columns and inc["sensitive"].dtype == bool


def test_custom_crosswalk_file_and_frame(tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text(
        "text,match,category,sensitive\nabigeo,exact,iccs05_property,0\nfeminicidio,contains,iccs01_death,1\n",
        encoding="utf-8",
    )
    df = pd.DataFrame(
        {"lon": [1.5, 2.5], "lat": [13.5] * 2, "category": ["Abigeo", "Feminicidio agravado"]}
    )
    inc = read_incidents(df, crosswalk=path)
    assert inc["category"].tolist() == ["iccs05_property", "iccs01_death"]
    assert inc["sensitive"].tolist() == [False, True]
    inc2 = read_incidents(df, crosswalk=load_crosswalk(path))
    assert inc2["category"].tolist() == inc["category"].tolist()


def test_bad_crosswalk_raises(tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text("text,match,category\nvol,exact,theft\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cw\.csv: unknown categories theft \(row 2\)"):
        load_crosswalk(path)
    path.write_text("word,section\nvol,iccs05_property\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"needs columns text and category"):
        load_crosswalk(path)


def test_to_iso3():
    out = to_iso3(
        [
            "Mali",
            "NER",
            "bf",
            "Burkina Faso",
            "Côte d'Ivoire",
            "DR Congo (Zaire)",
            "Central African Republic",
            None,
            "Atlantis",
        ]
    ).tolist()
    assert out == ["MLI", "NER", "BFA", "BFA", "CIV", "COD", "CAF", None, None]


def test_unknown_reported_country_warns_and_is_left_empty():
    df = pd.DataFrame({"lon": [1.5, 2.5], "lat": [13.5] * 2, "country": ["Mali", "Wakanda"]})
    with pytest.warns(BorderwatchWarning, match=r"column 'country' has 1 country values.*Wakanda"):
        inc = read_incidents(df)
    assert inc["reported_country"].iloc[0] == "MLI"
    assert pd.isna(inc["reported_country"].iloc[1])


# ----------------------------------------------------------------------------------------------
# read_incidents: every error case
# ----------------------------------------------------------------------------------------------


def test_error_empty_file(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_bytes(b"")
    with pytest.raises(
        DataError, match=r"incidents\.csv: the incidents file is empty \(0 bytes\)\. Hint"
    ):
        read_incidents(path)


def test_error_header_only(tmp_path):
    path = _csv(tmp_path, "id,lon,lat,date")
    with pytest.raises(
        DataError, match=r"incidents\.csv: the incidents file has a header but no data rows\. Hint"
    ):
        read_incidents(path)


def test_error_empty_dataframe():
    with pytest.raises(DataError, match=r"<DataFrame>.*no data rows"):
        read_incidents(pd.DataFrame({"lon": [], "lat": []}))


@pytest.mark.parametrize("suffix", [".xlsx", ".gpkg", ".parquet", ".geojson"])
def test_error_unreadable_file(tmp_path, suffix):
    path = tmp_path / f"incidents{suffix}"
    path.write_bytes(b"\x00\x01garbage, not a real file\xff" * 20)
    with pytest.raises(
        DataError,
        match=rf"incidents\{suffix}: cannot read the incidents file \(.*\)\. Hint: supported formats",
    ):
        read_incidents(path)


def test_error_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match=r"missing\.csv: the incidents file does not exist\. Hint"):
        read_incidents(tmp_path / "missing.csv")
    with pytest.raises(DataError, match=r"is a folder.*Hint"):
        read_incidents(tmp_path)


def test_error_no_coordinate_columns(tmp_path):
    path = _csv(tmp_path, "id,place,date\n1,Ayorou,2024-01-01")
    with pytest.raises(
        DataError,
        match=r"incidents\.csv: no longitude and latitude column found \(columns: id, place, date\)\. Hint: .*lon_col=",
    ):
        read_incidents(path)


def test_error_only_one_coordinate_column(tmp_path):
    path = _csv(tmp_path, "id,lat,date\n1,13.5,2024-01-01")
    with pytest.raises(DataError, match=r"no longitude column found"):
        read_incidents(path)


def test_error_non_numeric_coordinates(tmp_path):
    # 1°75'E has 75 minutes and "thirteen" is no number: neither can be read without guessing
    # (unambiguous degrees-minutes-seconds such as 1°30'E are read: tests/test_inputs_hints.py)
    path = _csv(tmp_path, "id,lon,lat\n1,1.5,13.5\n2,1°75'E,13.5\n3,2.5,thirteen\n4,2.5,13.5")
    with pytest.raises(DataError) as info:
        read_incidents(path)
    msg = str(info.value)
    assert "incidents.csv" in msg
    assert re.search(r"2 with non-numeric coordinates in columns 'lon'/'lat' \(lines 3, 4\)", msg)
    assert "decimal degrees" in msg and "Hint" in msg
    assert "degrees-minutes-seconds" in msg


def test_error_latitude_out_of_range(tmp_path):
    path = _csv(tmp_path, "id,lon,lat\n1,1.5,13.5\n2,1.5,95\n3,1.5,-91")
    with pytest.raises(
        DataError, match=r"2 with latitude outside -90\.\.90 in column 'lat' \(lines 3, 4\)"
    ):
        read_incidents(path)


def test_error_longitude_out_of_range(tmp_path):
    path = _csv(tmp_path, "id,lon,lat\n1,1.5,13.5\n2,181,13.5\n3,500000,1500000")
    with pytest.raises(DataError) as info:
        read_incidents(path)
    msg = str(info.value)
    assert re.search(r"2 with longitude outside -180\.\.180 in column 'lon' \(lines 3, 4\)", msg)
    assert "projected metres" in msg


def test_error_points_at_zero_zero(tmp_path):
    path = _csv(tmp_path, "id,lon,lat\n1,1.5,13.5\n2,0,0\n3,0.0,0.0")
    with pytest.raises(
        DataError,
        match=r"2 with point at \(0, 0\) in columns 'lon'/'lat' \(lines 3, 4\): .*missing GPS fix",
    ):
        read_incidents(path)


def test_error_unparseable_dates(tmp_path):
    path = _csv(
        tmp_path, "id,lon,lat,date\n1,1.5,13.5,2024-01-05\n2,1.5,13.5,hier\n3,1.5,13.5,2024-13-45"
    )
    with pytest.raises(
        DataError, match=r"2 with unparseable date in column 'date' \(lines 3, 4\): use ISO 8601"
    ):
        read_incidents(path)


def test_error_lists_at_most_ten_rows(tmp_path):
    rows = _good_rows(3) + [f"Z{i},0,0,2024-01-01" for i in range(15)]
    path = _csv(tmp_path, "id,lon,lat,date\n" + "\n".join(rows))
    with pytest.raises(DataError) as info:
        read_incidents(path)
    msg = str(info.value)
    assert "(lines 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 (and 5 more))" in msg
    assert "15 of 18 incidents rows are invalid" in msg
    # dropping would lose more than half of the rows: borderwatch does not suggest it
    assert "--drop-invalid" not in msg and "on_invalid" not in msg
    assert "would drop 15 of 18 (83%)" in msg


def test_error_names_index_labels_for_frames():
    df = pd.DataFrame({"lon": [1.5, 200.0], "lat": [13.5, 13.5]}, index=["first", "second"])
    with pytest.raises(
        DataError, match=r"<DataFrame>: 1 of 2 incidents rows are invalid.*\(index second\)"
    ):
        read_incidents(df)


def test_error_several_reasons_in_one_message(tmp_path):
    path = _csv(
        tmp_path,
        "id,lon,lat,date\n1,1.5,13.5,2024-01-01\n2,0,0,2024-01-01\n3,1.5,99,2024-01-01\n4,1.5,13.5,never",
    )
    with pytest.raises(DataError) as info:
        read_incidents(path)
    msg = str(info.value)
    assert "3 of 4 incidents rows are invalid" in msg
    assert "point at (0, 0)" in msg and "(line 3)" in msg
    assert "latitude outside" in msg and "(line 4)" in msg
    assert "unparseable date" in msg and "(line 5)" in msg


def test_error_swapped_latitude_longitude(tmp_path, units):
    # latitudes written into the lon column and longitudes into the lat column: the points
    # land in the Gulf of Guinea, far outside the units, but every swapped point falls inside
    rows = ["1,13.5,0.5", "2,13.2,1.5", "3,13.7,2.5", "4,13.4,3.5"]
    path = _csv(tmp_path, "id,lon,lat\n" + "\n".join(rows))
    with pytest.raises(DataError) as info:
        read_incidents(path, units=units)
    msg = str(info.value)
    assert "incidents.csv" in msg
    assert "latitude and longitude look swapped" in msg
    assert "(lines 2, 3, 4, 5)" in msg
    assert "lon_col='lat' lat_col='lon'" in msg  # Python users read keywords; the CLI flags


def test_swapped_columns_read_fine_with_overrides(tmp_path, units):
    path = _csv(tmp_path, "id,lon,lat\n1,13.5,0.5\n2,13.2,1.5")
    inc = read_incidents(path, units=units, lon_col="lat", lat_col="lon")
    assert inc.geometry.x.tolist() == [0.5, 1.5]


def test_error_most_points_outside_study_area(tmp_path, units):
    rows = ["1,1.5,13.5", "2,10.1,48.2", "3,10.2,48.3", "4,10.3,48.1"]  # three in Europe
    path = _csv(tmp_path, "id,lon,lat\n" + "\n".join(rows))
    with pytest.raises(DataError) as info:
        read_incidents(path, units=units)
    msg = str(info.value)
    assert re.search(r"3 of 4 incidents \(75%\) fall outside the study area", msg)
    assert "(lines 3, 4, 5)" in msg and "swapped" not in msg
    assert "Hint" in msg


def test_a_few_points_outside_study_area_are_allowed(tmp_path, units):
    rows = ["1,1.5,13.5", "2,2.5,13.5", "3,3.5,13.5", "4,10.1,48.2"]
    path = _csv(tmp_path, "id,lon,lat\n" + "\n".join(rows))
    assert len(read_incidents(path, units=units)) == 4


def test_drop_invalid_warns_counts_by_reason(tmp_path, units):
    rows = _good_rows(5) + [
        "Z1,0,0,2024-01-01",
        "Z2,1.5,99,2024-01-01",
        "Z3,1.5,13.5,never",
        "Z4,abc,13.5,2024-01-01",
        "Z5,0,0,2024-01-02",
        "Z6,,,2024-01-02",
    ]
    path = _csv(tmp_path, "id,lon,lat,date\n" + "\n".join(rows))
    with pytest.warns(BorderwatchWarning) as rec:
        loaded = load_incidents(path, units=units, on_invalid="drop")
    inc = loaded.frame
    text = " ".join(str(w.message) for w in rec)
    assert "dropped 6 invalid incidents rows" in text
    for part in (
        "2 point at (0, 0)",
        "1 latitude outside -90..90",
        "1 unparseable date",
        "1 non-numeric coordinates",
        "1 missing coordinates",
    ):
        assert part in text
    assert loaded.dropped == {
        "non_numeric": 1,
        "no_coordinates": 1,
        "lat_range": 1,
        "zero_zero": 2,
        "bad_date": 1,
    }
    assert inc["id"].tolist() == [f"R{i}" for i in range(5)]
    assert len(loaded.warnings) == 1 and "dropped 6" in loaded.warnings[0]
    assert [str(w.message) for w in rec] == list(loaded.warnings)


def test_missing_coordinates_are_invalid_by_default(tmp_path):
    path = _csv(tmp_path, "id,lon,lat\n1,1.5,13.5\n2,,")
    with pytest.raises(
        DataError, match=r"1 with missing coordinates in columns 'lon'/'lat' \(line 3\)"
    ):
        read_incidents(path)


def test_drop_invalid_clean_file_has_empty_dropped(units):
    loaded = load_incidents(FIX / "incidents.csv", units=units, on_invalid="drop")
    assert loaded.dropped == {}
    assert len(loaded.frame) == len(EXPECTED_IDS)


def test_on_invalid_must_be_known():
    with pytest.raises(DataError, match=r"on_invalid must be 'raise' or 'drop', not 'ignore'"):
        read_incidents(pd.DataFrame({"lon": [1.5], "lat": [13.5]}), on_invalid="ignore")


# ----------------------------------------------------------------------------------------------
# read_meetings
# ----------------------------------------------------------------------------------------------


def test_read_meetings_fixture(units):
    mt = read_meetings(FIX / "meetings.csv", units=units)
    assert mt["id"].tolist() == ["MTG-1", "MTG-2"]
    assert mt["place"].tolist() == ["Ouest-Village", "Niger-Marché"]
    assert mt["topics"].tolist() == ["cattle theft; roads", "market security"]
    att = ["att_women", "att_men", "att_youth", "att_migrants", "att_police", "att_leaders"]
    assert mt[att].iloc[0].tolist() == [12, 20, 8, 3, 2, 4]
    assert mt["attendance"].tolist() == [49, 40]
    assert mt.crs.to_epsg() == 4326


def test_read_meetings_bad_attendance():
    df = pd.DataFrame({"lon": [1.5, 2.5], "lat": [13.5, 13.5], "women": [3, -2]})
    with pytest.raises(
        DataError, match=r"column 'women' \(att_women\) must hold whole numbers of people, index 1"
    ):
        read_meetings(df)


def test_read_meetings_shares_the_point_checks(tmp_path):
    path = _csv(tmp_path, "id,lon,lat,date\nM1,0,0,2024-01-01", name="meetings.csv")
    with pytest.raises(
        DataError, match=r"meetings\.csv: 1 of 1 meetings rows are invalid.*point at \(0, 0\)"
    ):
        read_meetings(path)


def test_csv_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("incident_id,lon,lat\n007,1.4,14.2\n0100,1.5,14.3\n", encoding="utf-8")
    assert read_incidents(path)["id"].tolist() == ["007", "0100"]


# ----------------------------------------------------------------------------------------------
# Loaded: the readers' results
# ----------------------------------------------------------------------------------------------


def test_read_functions_return_the_frame_of_load(units):
    assert_geodataframe_equal(read_units(UNITS_FILE), load_units(UNITS_FILE).frame)
    assert_geodataframe_equal(
        read_incidents(FIX / "incidents.csv", units=units),
        load_incidents(FIX / "incidents.csv", units=units).frame,
    )
    assert_geodataframe_equal(
        read_meetings(FIX / "meetings.csv", units=units),
        load_meetings(FIX / "meetings.csv", units=units).frame,
    )


def test_loaded_is_frozen_and_frames_carry_no_attrs(units):
    import dataclasses

    loaded = load_incidents(FIX / "incidents.csv", units=units)
    assert isinstance(loaded, Loaded)
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.source = "other"  # type: ignore[misc]
    assert loaded.repaired == 0 and loaded.notes == ()
    assert loaded.decisions == {
        "encoding": "utf-8",
        "sep": ",",
        "decimal": ".",
        "date_format": "ISO 8601",
    }
    assert loaded.columns == {
        "lon": "longitude",
        "lat": "latitude",
        "time": "date",
        "id": "incident_id",
        "category": "category",
        "sensitive": None,
        "country": "country",
    }
    # results are plain frames: nothing is hidden in pandas .attrs
    assert loaded.frame.attrs == {}
    assert load_units(UNITS_FILE).frame.attrs == {}
    assert read_incidents(FIX / "incidents.csv", units=units).attrs == {}
    assert read_meetings(FIX / "meetings.csv", units=units).attrs == {}


def test_load_meetings_columns_and_source(units):
    loaded = load_meetings(FIX / "meetings.csv", units=units)
    assert loaded.source == str(FIX / "meetings.csv")
    assert set(loaded.columns) == {"lon", "lat", "time", "id"}
    assert loaded.columns["time"] is not None and loaded.columns["id"] is not None
    assert (loaded.dropped, loaded.warnings, loaded.repaired) == ({}, (), 0)
    frame = pd.DataFrame({"lon": [1.5, 0.0], "lat": [13.5, 0.0], "women": [3, 4]})
    with pytest.warns(BorderwatchWarning, match=r"<DataFrame>: dropped 1 invalid meetings rows"):
        dropped = load_meetings(frame, on_invalid="drop")
    assert dropped.source == "<DataFrame>"
    assert dropped.dropped == {"zero_zero": 1}
    assert dropped.frame["att_women"].tolist() == [3]


def test_reader_warnings_point_at_the_caller(tmp_path):
    """Warnings raised deep inside the readers name the line that called the reader."""
    path = _csv(tmp_path, "id,lon,lat\n1,1.5,13.5\n2,0,0")
    for reader in (read_incidents, load_incidents):
        with pytest.warns(BorderwatchWarning, match="dropped 1 invalid") as rec:
            reader(path, on_invalid="drop")
        assert [Path(w.filename).name for w in rec] == [Path(__file__).name]
    from borderwatch.datasets import boundary_path

    for units_reader in (read_units, load_units):
        with pytest.warns(BorderwatchWarning, match="repeats 1 ids") as rec:
            units_reader(boundary_path("liptako_gourma"))
        assert [Path(w.filename).name for w in rec] == [Path(__file__).name]


def test_sensitive_flags_accept_every_yes_of_the_five_languages():
    yes = ["1", "true", "Yes", "y", "oui", "Sí", "sim", "T", "x", "vrai", "verdadero", "1.0"]
    # any non-zero number is a yes (2 and 0.5 too: a doubtful flag protects rather than exposes)
    other = [True, np.True_, 1, -1, 1.0, np.int64(1), 2, 0.5]
    no = ["0", "no", "non", "não", "faux", "falso", "", "maybe", None, np.nan, False, 0, 0.0]
    values = yes + other + no
    df = pd.DataFrame(
        {
            "lon": [1.5] * len(values),
            "lat": [13.5] * len(values),
            "sensitive": pd.Series(values, dtype=object),
        }
    )
    flags = read_incidents(df)["sensitive"].tolist()
    assert flags == [True] * (len(yes) + len(other)) + [False] * len(no)
