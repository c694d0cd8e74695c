"""Swapped longitude and latitude (issue 8, defect 3).

Near Lake Chad latitudes and longitudes both lie between 7 and 16: a file with
the two columns exchanged used to pass, and ``country_mismatch`` jumped from 21
to 471 of 1,012 incidents. The readers compare the points as given with the
points swapped, by the share inside the units and by agreement with the rows'
own country.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.io import load_incidents, read_incidents, read_meetings, read_units
from conftest import FIXTURES

DIAGONAL = FIXTURES / "units_diagonal.geojson"
SWAPPED = FIXTURES / "incidents_swapped.csv"


def run_main(capsys, *args) -> tuple[int, str, str]:
    from borderwatch.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def diagonal():
    return read_units(DIAGONAL)


def test_swapped_columns_inside_the_units_are_refused_by_country(diagonal):
    """Both readings fall inside the units; only the rows' own country tells them apart."""
    with pytest.raises(DataError) as info:
        read_incidents(SWAPPED, units=diagonal)
    msg = str(info.value)
    assert "incidents_swapped.csv" in msg and "swap" in msg
    assert "only 0% of the 12 incidents with their own country" in msg
    assert "100% do when columns 'lon' and 'lat' are exchanged" in msg
    assert "lon_col='lat' lat_col='lon'" in msg and "swap_check=False" in msg


def test_the_swapped_reading_is_right(diagonal):
    inc = read_incidents(SWAPPED, units=diagonal, lon_col="lat", lat_col="lon")
    assert inc.geometry.x.tolist()[:2] == [14.0, 12.5]
    assert inc["reported_country"].tolist()[:2] == ["NGA", "NGA"]


def test_swap_check_can_be_turned_off(diagonal):
    inc = read_incidents(SWAPPED, units=diagonal, swap_check=False)
    assert len(inc) == 12


def test_right_way_round_is_accepted(diagonal):
    df = pd.read_csv(SWAPPED).rename(columns={"lon": "lat", "lat": "lon"})
    assert len(read_incidents(df, units=diagonal)) == 12


def test_a_few_disagreements_are_not_a_swap(diagonal):
    df = pd.read_csv(SWAPPED).rename(columns={"lon": "lat", "lat": "lon"})
    df.loc[:2, "country"] = ["TCD", "TCD", "TCD"]  # three reported in the other country
    assert len(read_incidents(df, units=diagonal)) == 12


def test_too_few_rows_with_a_country_are_not_judged(diagonal):
    df = pd.read_csv(SWAPPED).head(6)
    assert len(read_incidents(df, units=diagonal)) == 6


def test_meetings_swapped_outside_the_units_are_refused():
    units = read_units(FIXTURES / "units_mli_ner.geojson")
    df = pd.DataFrame({"lon": [13.5, 13.2, 13.7], "lat": [0.5, 1.5, 2.5], "women": [1, 2, 3]})
    with pytest.raises(DataError, match=r"look swapped.*meeting_lon_col"):
        read_meetings(df, units=units)


def test_cli_words_the_fix_as_flags(capsys):
    code, out, err = run_main(capsys, "validate", "--units", DIAGONAL, "--incidents", SWAPPED)
    err = " ".join(err.split())
    assert code == 2 and "swap" in err
    assert "--lon-col lat --lat-col lon" in err and "--no-swap-check" in err
    assert "lon_col=" not in err
    code, out, err = run_main(
        capsys, "validate", "--units", DIAGONAL, "--incidents", SWAPPED, "--no-swap-check"
    )
    assert code == 0, err


@pytest.mark.realdata
def test_lake_chad_ucdp_swapped_is_refused(shared_data, tmp_path):
    """The real case: UCDP Lake Chad events with longitude and latitude exchanged."""
    units_path = shared_data / "boundaries" / "ne10m_adm1_lake_chad_nga_ner_tcd_cmr.geojson"
    events = pd.read_csv(shared_data / "events" / "ucdp_ged_yearonly_lake_chad_region.csv")
    swapped = events.rename(columns={"longitude": "latitude", "latitude": "longitude"})
    path = tmp_path / "lake_chad_swapped.csv"
    swapped.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        units = read_units(units_path)
        good = load_incidents(
            shared_data / "events" / "ucdp_ged_yearonly_lake_chad_region.csv", units=units
        )
        assert len(good.frame) == len(events)
        with pytest.raises(DataError) as info:
            read_incidents(path, units=units)
    msg = str(info.value)
    assert "swap" in msg and "lon_col='latitude' lat_col='longitude'" in msg
    assert "with their own country" in msg
