"""Honest hints, warnings on the console, and the newcomer path (issue 8, defects 4 and 5).

* ``--drop-invalid`` is never suggested when it would drop more than half of the rows;
* projected metres (UTM) and degrees-minutes-seconds get hints of their own, and
  unambiguous DMS is read;
* every warning recorded in ``summary.json`` is printed on stderr by the CLI, in flags,
  and the Python API words the same message with keyword names;
* ``repr(result)`` is short, ``_repr_html_`` a small table; the help has no doubled words.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from _synthetic import QUICK
from borderwatch._errors import BorderwatchWarning, DataError, api_words
from borderwatch.cli import cli_words
from borderwatch.io import load_incidents, read_incidents, read_units
from conftest import FIXTURES, REPO, run_cli

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


# ---------------------------------------------------------------------------------- hints


def test_drop_invalid_is_suggested_only_when_most_rows_survive(tmp_path):
    few = tmp_path / "few.csv"
    few.write_text("id,lon,lat\n1,1.5,13.5\n2,0,0\n3,1.6,13.5\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_incidents(few)
    assert "on_invalid='drop'" in str(info.value)
    most = tmp_path / "most.csv"
    most.write_text("id,lon,lat\n1,1.5,13.5\n2,0,0\n3,0,0\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_incidents(most)
    msg = str(info.value)
    assert "on_invalid" not in msg and "would drop 2 of 3 (67%)" in msg


def test_locale_export_read_as_comma_csv_never_suggests_dropping_everything(tmp_path):
    """Defect 5: a ';' file with decimal commas forced to ',' used to suggest --drop-invalid."""
    path = tmp_path / "fr.csv"
    path.write_text("id;lon;lat\nA;1,5;13,5\nB;2,5;13,6\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_incidents(path, sep=",")
    msg = str(info.value)
    assert "drop" not in msg.split("Hint")[-1] or "does not suggest" in msg


def test_degrees_minutes_seconds_are_read(units):
    loaded = load_incidents(FIXTURES / "incidents_dms.csv", units=units)
    x, y = loaded.frame.geometry.x.round(6).tolist(), loaded.frame.geometry.y.round(6).tolist()
    assert x == [0.5, 1.5, 2.5, 3.5]
    assert y == [13.5, 13.2, 13.7, 13.4]
    assert any("degrees, minutes and seconds" in n for n in loaded.notes)


@pytest.mark.parametrize(
    ("lon", "lat", "fragment"),
    [
        ("1°75'E", "13.5", "degrees-minutes-seconds"),  # 75 minutes
        ("1°30'N", "13.5", "degrees-minutes-seconds"),  # N is not a longitude
        ("1,5", "13.5", "decimal comma"),
        ("east", "13.5", "decimal degrees such as 13.52"),
    ],
)
def test_non_numeric_coordinates_get_the_hint_that_fits(lon, lat, fragment):
    df = pd.DataFrame({"lon": [lon, "1.5", "1.6"], "lat": [lat, "13.5", "13.6"]})
    with pytest.raises(DataError) as info:
        read_incidents(df)
    assert fragment in str(info.value)


def test_projected_metres_get_a_utm_hint():
    with pytest.raises(DataError) as info:
        read_incidents(FIXTURES / "incidents_utm.csv")
    msg = str(info.value)
    assert "projected metres (e.g. UTM)" in msg and "EPSG:4326" in msg
    assert "on_invalid" not in msg  # every row is invalid: dropping is no fix


# ---------------------------------------------------------------------------------- wording


def test_one_message_two_wordings():
    text = "Hint: pass [[lon_col=lat]] [[lat_col=lon]], [[on_invalid=drop]] or [[crosswalk]]"
    assert (
        api_words(text) == "Hint: pass lon_col='lat' lat_col='lon', on_invalid='drop' or crosswalk="
    )
    assert (
        cli_words(text) == "Hint: pass --lon-col lat --lat-col lon, --drop-invalid or --crosswalk"
    )
    assert cli_words("[[unit_id_col]]") == "--unit-id-col"
    assert api_words("[[unit_id_col]]") == "id_col= (unit_id_col= in analyze)"
    assert cli_words("[[attendance_cols]]") == "attendance_cols = ... in the --config file"


def test_api_warning_uses_keywords(tmp_path, units):
    path = tmp_path / "cats.csv"
    path.write_text("id,lon,lat,category\n1,1.5,13.5,zzz unknown\n", encoding="utf-8")
    with pytest.warns(BorderwatchWarning) as rec:
        load_incidents(path, units=units)
    text = " ".join(str(w.message) for w in rec)
    assert "crosswalk=" in text and "--crosswalk" not in text


def _unknown_categories(tmp_path):
    path = tmp_path / "cats.csv"
    rows = [f"{i},{1 + i * 0.1},13.5,2024-01-{i + 1:02d},zzz unknown" for i in range(8)]
    path.write_text("id,lon,lat,date,category\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_cli_prints_every_summary_warning_on_stderr_as_flags(tmp_path):
    """Defect 4: warnings reached summary.json only, some worded in Python terms."""
    path = _unknown_categories(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        "analyze",
        "--units",
        UNITS,
        "--incidents",
        path,
        "--out",
        out,
        "--view",
        "internal",
        "--permutations",
        "0",
        "--scan-replicates",  # the warnings are the point, not the scan's p-values
        "99",
        "--cell-km",
        "20",
        "--no-static",
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    printed = " ".join(err.split())
    assert summary["warnings"], "the run should warn about the unknown categories"
    squashed = "".join(err.split())
    for w in summary["warnings"]:  # summary.json words them for Python; stderr with flags
        assert "".join(w.split(" Hint:")[0].split()) in squashed
    assert "borderwatch: warning:" in err and "--crosswalk" in printed
    assert "crosswalk=" not in printed and "Warning:" not in err  # no raw Python warnings
    # --quiet: nothing but the result line on stdout, nothing on stderr
    code, stdout, err = run_cli(
        "analyze",
        "--units",
        UNITS,
        "--incidents",
        path,
        "--out",
        tmp_path / "quiet",
        "--view",
        "internal",
        "--permutations",
        "0",
        "--scan-replicates",  # the warnings are the point, not the scan's p-values
        "99",
        "--cell-km",
        "20",
        "--no-static",
        "--quiet",
    )
    assert code == 0 and err == ""


def test_validate_lists_warnings_as_flags(capsys, tmp_path):
    code, out, err = run_main(
        capsys, "validate", "--units", UNITS, "--incidents", _unknown_categories(tmp_path)
    )
    assert code == 0, err
    assert "warning:" in out and "--crosswalk" in out and "crosswalk=" not in out


def test_crosswalk_flag(capsys, tmp_path):
    cw = tmp_path / "cw.csv"
    cw.write_text("text,match,category,sensitive\nzzz unknown,exact,iccs05_property,false\n")
    code, out, err = run_main(
        capsys,
        "validate",
        "--units",
        UNITS,
        "--incidents",
        _unknown_categories(tmp_path),
        "--crosswalk",
        cw,
    )
    assert code == 0, err
    assert "warning:" not in out


def test_analyze_emits_warnings_to_python_callers():
    from borderwatch import analyze

    df = pd.DataFrame(
        {
            "lon": [1.5 + 0.1 * i for i in range(8)],
            "lat": [13.5] * 8,
            "date": [f"2024-01-{i + 1:02d}" for i in range(8)],
            "category": ["zzz unknown"] * 8,
        }
    )
    with pytest.warns(BorderwatchWarning, match=r"crosswalk=") as rec:
        result = analyze(
            UNITS,
            df,
            view="internal",
            **QUICK,
            cell_km=20,
        )
    assert len(result.summary["warnings"]) == len(
        {str(w.message) for w in rec if issubclass(w.category, BorderwatchWarning)}
    )


# ---------------------------------------------------------------------------------- newcomer


def test_result_repr_is_short_and_html_is_a_small_table(demo_result):
    text = repr(demo_result)
    assert len(text) < 200, text
    assert text.startswith("AnalysisResult(internal view: 2,711 incidents in 62 units;")
    assert "hotspot regions" in text and "warning" in text
    html = demo_result._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 8 and len(html) < 2000
    assert "2,711" in html


@pytest.mark.parametrize("command", ["demo", "analyze", "validate"])
def test_help_has_no_doubled_words(capsys, command):
    code, out, _ = run_main(capsys, command, "--help")
    assert code == 0
    # flags and their metavars (--seed SEED) are not prose
    prose = [t for t in out.split() if not t.startswith(("-", "[", "{")) and not t.isupper()]
    words = re.findall(r"[a-z']+", " ".join(prose).lower())
    doubled = [a for a, b in zip(words, words[1:], strict=False) if a == b and a not in ("-",)]
    assert not doubled, doubled
    assert "(default) (default" not in out


def test_readme_documents_inputs_and_progress():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "--progress" in readme
    inputs = readme.split("## Inputs", 1)[1].split("\n## ", 1)[0]
    for word in (
        "--sep",
        "--decimal",
        "--encoding",
        "--dayfirst",
        "--date-format",
        "--no-swap-check",
        "swap",
        "Windows-1252",
        "degrees",
    ):
        assert word in inputs, word
