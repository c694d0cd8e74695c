"""Dates: day and month never guessed, time columns in five languages, precision kept.

Issue 8, defect 2: DD/MM/YYYY dates were read inconsistently and silently
(17/10/2008 as 17 October, 09/06/2023 as 6 September). Defect 6: year-only data
was shown as months. Item "time columns": month/year and their French, Spanish,
Portuguese and Arabic names.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from _synthetic import QUICK
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.io import load_incidents, read_incidents, read_units
from borderwatch.io._dates import parse_dates
from conftest import FIXTURES

UNITS = FIXTURES / "units_mli_ner.geojson"


def run_main(capsys, *args) -> tuple[int, str, str]:
    from borderwatch.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def units():
    return read_units(UNITS)


# ---------------------------------------------------------------------------------- day/month


def test_day_first_dates_are_read_one_way_for_all_rows(units):
    """Defect 2: 17/10/2008 settles the order, so 09/06/2023 is 9 June (not 6 September)."""
    loaded = load_incidents(FIXTURES / "incidents_ddmm.csv", units=units)
    got = loaded.frame.set_index("id")["date"].dt.strftime("%Y-%m-%d").to_dict()
    assert got == {
        "D01": "2008-10-17",
        "D02": "2023-06-09",
        "D03": "2019-02-01",
        "D04": "2020-12-25",
        "D05": "2021-11-05",
        "D06": "2022-01-12",
        "D07": "2022-04-30",
        "D08": "2022-08-07",
        "D09": "2023-03-11",
        "D10": "2023-10-02",
        "D11": "2023-07-13",
        "D12": "2024-05-06",
    }
    assert loaded.decisions["date_format"] == "%d/%m/%Y"


def test_month_first_dates_are_read_month_first():
    p = parse_dates(pd.Series(["10/17/2008", "06/09/2023"]), date_format=None, dayfirst=False)
    assert p.dates.dt.strftime("%Y-%m-%d").tolist() == ["2008-10-17", "2023-06-09"]
    assert p.format == "%m/%d/%Y"


def test_ambiguous_dates_are_refused_with_the_fix():
    with pytest.raises(DataError) as info:
        read_incidents(FIXTURES / "incidents_ambiguous_dates.csv")
    msg = str(info.value)
    assert "incidents_ambiguous_dates.csv" in msg and "column 'date'" in msg
    assert "'03/04/2024'" in msg and "does not guess" in msg
    assert "dayfirst=True" in msg and "date_format='%m/%d/%Y'" in msg


def test_ambiguous_dates_read_with_dayfirst_or_a_format():
    path = FIXTURES / "incidents_ambiguous_dates.csv"
    day = read_incidents(path, dayfirst=True)["date"].dt.strftime("%Y-%m-%d").tolist()
    month = read_incidents(path, date_format="%m/%d/%Y")["date"].dt.strftime("%Y-%m-%d")
    assert day == ["2024-04-03", "2024-06-05", "2024-02-01", "2024-07-07"]
    assert month.tolist() == ["2024-03-04", "2024-05-06", "2024-01-02", "2024-07-07"]


def test_conflicting_orders_are_refused_naming_the_rows():
    with pytest.raises(DataError) as info:
        read_incidents(FIXTURES / "incidents_mixed_date_order.csv")
    msg = str(info.value)
    assert "mixes day-first and month-first dates" in msg
    assert "'13/01/2024' (line 2)" in msg and "'01/13/2024' (line 4)" in msg


def test_dayfirst_against_month_first_values_is_refused():
    df = pd.DataFrame(
        {"lon": [1.5, 1.6], "lat": [13.5, 13.6], "date": ["01/13/2024", "02/02/2024"]}
    )
    with pytest.raises(DataError, match=r"dayfirst=True was given.*'01/13/2024'"):
        read_incidents(df, dayfirst=True)


@pytest.mark.parametrize(
    ("values", "expected", "precision"),
    [
        (["17.10.2008", "09.06.23"], ["2008-10-17", "2023-06-09"], "day"),
        (["17-10-2008 14:30", "09-06-2023 08:05:10"], ["2008-10-17", "2023-06-09"], "datetime"),
        (["03/2024", "2024/05"], ["2024-03-01", "2024-05-01"], "month"),
    ],
)
def test_dot_dash_two_digit_years_times_and_months(values, expected, precision):
    p = parse_dates(pd.Series(values), date_format=None, dayfirst=False)
    assert p.dates.dt.strftime("%Y-%m-%d").tolist() == expected
    assert set(p.precision) == {precision}


def test_cli_date_flags_on_validate_and_analyze(capsys, tmp_path):
    path = FIXTURES / "incidents_ambiguous_dates.csv"
    code, out, err = run_main(capsys, "validate", "--units", UNITS, "--incidents", path)
    assert code == 2
    err = " ".join(err.split())  # the message is wrapped at 100 columns
    assert "--dayfirst" in err and "--date-format %m/%d/%Y" in err and "dayfirst=" not in err
    code, out, err = run_main(
        capsys, "validate", "--units", UNITS, "--incidents", path, "--dayfirst"
    )
    assert code == 0, err
    assert "dates read day first (%d/%m/%Y)" in out
    code, out, err = run_main(
        capsys, "validate", "--units", UNITS, "--incidents", path, "--date-format", "%m/%d/%Y"
    )
    assert code == 0, err
    assert "dates read month first (%m/%d/%Y)" in out
    code, out, err = run_main(
        capsys,
        "analyze",
        "--units",
        UNITS,
        "--incidents",
        path,
        "--out",
        tmp_path / "o",
        "--dayfirst",
        "--permutations",
        "0",
        "--no-static",
        "--quiet",
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["inputs"]["date_format"] == "%d/%m/%Y"


# ---------------------------------------------------------------------------------- time columns


@pytest.mark.parametrize(
    ("columns", "time", "precision"),
    [
        ({"fecha": ["2024-03-02"]}, "fecha", "day"),
        ({"data_ocorrencia": ["2024-03-02"]}, "data_ocorrencia", "day"),
        ({"Date de l'incident": ["2024-03-02"]}, "Date de l'incident", "day"),
        ({"التاريخ": ["2024-03-02"]}, "التاريخ", "day"),
        ({"Année": [2019]}, "Année", "year"),
        ({"año": [2019]}, "año", "year"),
        ({"ano": [2019]}, "ano", "year"),
        ({"السنة": [2019]}, "السنة", "year"),
        ({"year": [2019], "month": [3]}, "year", "month"),
        ({"annee": [2019], "mois": ["mars"]}, "annee", "month"),
        ({"año": [2019], "mes": ["dic"]}, "año", "month"),
        ({"ano": [2019], "mes": ["agosto"]}, "ano", "month"),
        ({"سنة": [2019], "شهر": [11]}, "سنة", "month"),
        ({"mois": ["2019-03"]}, "mois", "month"),
    ],
)
def test_time_columns_in_five_languages(columns, time, precision):
    loaded = load_incidents(pd.DataFrame({"lon": [1.5], "lat": [13.5], **columns}))
    assert loaded.columns["time"] == time
    assert loaded.frame["date_precision"].tolist() == [precision]


def test_year_and_month_columns_give_months(units):
    loaded = load_incidents(FIXTURES / "incidents_annee_mois.csv", units=units)
    assert loaded.columns["time"] == "annee" and loaded.columns["month"] == "mois"
    assert loaded.decisions["date_format"] == "year and month columns"
    assert loaded.frame["date"].dt.strftime("%Y-%m").tolist()[:4] == [
        "2019-01",
        "2020-03",
        "2021-03",
        "2019-12",
    ]
    assert set(loaded.frame["date_precision"]) == {"month"}
    assert "annee" not in loaded.frame.columns and "mois" not in loaded.frame.columns


def test_an_undetected_time_column_warns_naming_the_candidates(units):
    with pytest.warns(BorderwatchWarning) as rec:
        loaded = load_incidents(FIXTURES / "incidents_undetected_time.csv", units=units)
    text = " ".join(str(w.message) for w in rec)
    assert "no time column was detected" in text and "'quand'" in text
    assert "time_col='quand'" in text
    assert loaded.frame["date"].isna().all()
    # named, it is read
    named = load_incidents(
        FIXTURES / "incidents_undetected_time.csv", units=units, time_col="quand"
    )
    assert named.frame["date"].notna().all()


def test_no_warning_without_any_date_like_column():
    with warnings.catch_warnings():
        warnings.simplefilter("error", BorderwatchWarning)
        load_incidents(pd.DataFrame({"lon": [1.5], "lat": [13.5], "message": ["x"]}))


# ---------------------------------------------------------------------------------- precision


@pytest.fixture(scope="module")
def years_result():
    """Year-only incidents (2009-2016) analysed in the internal view."""
    from borderwatch import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return analyze(
            UNITS,
            FIXTURES / "incidents_years_es.csv",
            view="internal",
            **QUICK,
            cell_km=20,
        )


def test_year_only_data_keeps_its_precision(years_result):
    """Defect 6: the period reads "2009 – 2016", counts are by year."""
    sm = years_result.summary
    assert sm["period"] == "2009 – 2016"
    assert (sm["date_first"], sm["date_last"]) == ("2009", "2016")
    assert sm["counts_period"] == "year"
    assert sm["inputs"]["date_format"] == "year numbers"
    periods = sorted(years_result.counts["period"].unique())
    assert periods == [f"{y}-01-01" for y in range(2009, 2017)]


def test_year_only_public_view_and_map_slider_step_by_year(years_result):
    from borderwatch.maps._prepare import prepare
    from borderwatch.privacy import public_view

    public = public_view(years_result, k=years_result.k)
    assert public.summary["period"] == "2009 – 2016"
    prepared = prepare(years_result, view="internal")
    assert prepared.months.labels == tuple(str(y) for y in range(2009, 2017))
    assert prepared.months.step == 12
    assert prepared.months.index(pd.to_datetime(["2009-01-01", "2012-01-01"])) == [0, 3]
    assert prepared.period == "2009 – 2016"


def test_finer_counts_than_the_data_are_refused(tmp_path):
    from borderwatch import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        with pytest.raises(DataError) as info:
            analyze(
                UNITS,
                FIXTURES / "incidents_years_es.csv",
                view="internal",
                permutations=0,
                period="month",
            )
    assert "years only" in str(info.value) and "period='year'" in str(info.value)


def test_mixed_precision_counts_warn():
    from borderwatch.pipeline import counts_period

    df = pd.DataFrame({"date_precision": ["day", "month", "day"]})
    with pytest.warns(BorderwatchWarning, match="1 incidents have dates coarser than a week"):
        assert counts_period(df, "week") == "week"


def test_month_only_and_mixed_periods_read_at_their_precision():
    from borderwatch._summary import _date_range

    d = pd.to_datetime(pd.Series(["2019-03-01", "2021-11-01", "2020-01-01"]))
    assert _date_range(d, pd.Series(["month", "month", "year"])) == ("2019-03", "2021-11")
    assert _date_range(d, pd.Series(["year", "day", "month"])) == ("2019", "2021-11-01")
    assert _date_range(pd.Series([np.datetime64("NaT")]), pd.Series([None])) == (None, None)
