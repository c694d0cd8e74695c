"""Frames a user edits or passes twice: missing or NaN points reaching the join or
``analyze`` directly, frames read before read again, and a meetings file that gives
its own total attendance."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import borderwatch as bw
from borderwatch.datasets import boundary_path, demo_incidents, demo_meetings
from conftest import run_cli


@pytest.fixture(scope="module")
def units():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bw.BorderwatchWarning)
        return bw.read_units(boundary_path("liptako_gourma"))


@pytest.fixture(scope="module")
def incidents(units):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bw.BorderwatchWarning)
        return bw.read_incidents(demo_incidents(n_background=40), units=units)


BAD_POINTS = {
    "nan": Point(np.nan, np.nan),
    "missing": None,
    "inf": Point(np.inf, 14.0),
}


def _spoiled(incidents, which):
    out = incidents.copy()
    for i, name in enumerate(which):
        out.loc[out.index[i], "geometry"] = BAD_POINTS[name]
    return out


@pytest.mark.parametrize("which", [["nan"], ["missing"], ["inf"], ["nan", "missing", "inf"]])
def test_join_leaves_points_without_a_location_outside(units, incidents, which):
    bad = _spoiled(incidents, which)
    n = len(which)
    with pytest.warns(bw.BorderwatchWarning, match=rf"^{n} of \d+ points have no location") as seen:
        joined = bw.join_units(bad, units)
    assert not any("beyond" in str(w.message) for w in seen)  # not "outside every unit"
    assert (joined["join"].iloc[:n] == "outside").all()
    assert joined["unit_id"].iloc[:n].isna().all() and joined["border_km"].iloc[:n].isna().all()
    # the other rows are joined exactly as without the bad ones
    ref = bw.join_units(incidents, units)
    pd.testing.assert_frame_equal(
        joined.iloc[n:][["unit_id", "join", "border_km"]],
        ref.iloc[n:][["unit_id", "join", "border_km"]],
    )


def test_analyze_reads_an_edited_frame_again(units, incidents):
    bad = _spoiled(incidents, ["nan", "missing"])
    with pytest.raises(
        bw.DataError, match=r"2 of \d+ incidents rows are invalid.*missing coordinates"
    ):
        bw.analyze(units, bad, permutations=9, scan_replicates=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bw.BorderwatchWarning)
        result = bw.analyze(
            units, bad, view="internal", on_invalid="drop", permutations=9, scan_replicates=9
        )
    assert result.summary["n_incidents"] == len(incidents) - 2
    assert result.summary["dropped_invalid"] == {"no_coordinates": 2}


def test_reading_a_read_frame_again_changes_nothing(units, incidents):
    again = bw.read_incidents(incidents, units=units)
    pd.testing.assert_frame_equal(pd.DataFrame(again), pd.DataFrame(incidents))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bw.BorderwatchWarning)
        meetings = bw.read_meetings(demo_meetings(), units=units)
        twice = bw.read_meetings(meetings, units=units)
    assert twice.columns.tolist() == meetings.columns.tolist()
    for col in ("attendance", "att_women", "att_men", "place"):
        pd.testing.assert_series_equal(twice[col], meetings[col])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a total only: the file's total
        ("lon,lat,date,attendance\n1.1,15.0,2024-01-03,30\n0.5,14.2,2024-02-03,\n", [30, None]),
        # a total and groups: the file's total where given, else the groups' sum
        (
            "lon,lat,date,participants,women,men\n1.1,15.0,2024-01-03,30,10,15\n"
            "0.5,14.2,2024-02-03,,4,5\n",
            [30, 9],
        ),
        # groups only: their sum, as before
        ("lon,lat,date,women,men\n1.1,15.0,2024-01-03,10,15\n", [25]),
    ],
)
def test_a_meetings_file_with_its_own_total(tmp_path, units, text, expected):
    path = tmp_path / "meetings.csv"
    path.write_text(text, encoding="utf-8")
    got = bw.read_meetings(path, units=units)["attendance"]
    assert [None if pd.isna(v) else int(v) for v in got] == expected


def test_a_total_that_is_not_a_number_is_named(tmp_path, units):
    path = tmp_path / "meetings.csv"
    path.write_text("lon,lat,date,attendance\n1.1,15.0,2024-01-03,many\n", encoding="utf-8")
    with pytest.raises(bw.DataError, match=r"meetings\.csv: column 'attendance'.*line 2"):
        bw.read_meetings(path, units=units)


def test_cli_validate_reads_a_meetings_total(tmp_path):
    path = tmp_path / "meetings.csv"
    path.write_text("lon,lat,date,attendance\n1.1,15.0,2024-01-03,30\n", encoding="utf-8")
    code, out, err = run_cli(
        "validate", "--units", boundary_path("liptako_gourma"), "--meetings", path
    )
    assert code == 0, err
    assert "Traceback" not in err
