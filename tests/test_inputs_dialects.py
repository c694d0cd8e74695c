"""CSV dialects: encoding, delimiter and decimal mark, detected or given (issue 8, defect 5).

A semicolon-separated CSV with decimal commas in Windows-1252, the default
export of Excel in French, Spanish and Portuguese, used to be refused with a
hint about "supported formats" and a suggestion to drop every row.
"""

from __future__ import annotations

import codecs
import json
import warnings

import pandas as pd
import pytest

from _synthetic import QUICK
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.io import load_incidents, load_meetings, read_incidents, read_units
from borderwatch.io._dialect import detect_encoding, sniff
from conftest import FIXTURES

UNITS = FIXTURES / "units_mli_ner.geojson"
EXCEL_FR = FIXTURES / "incidents_excel_fr.csv"


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


def test_excel_french_export_reads_like_the_plain_csv(units):
    """Defect 5: ';' + decimal commas + Windows-1252 + DD/MM/YYYY give the same incidents."""
    loaded = load_incidents(EXCEL_FR, units=units)
    plain = read_incidents(FIXTURES / "incidents.csv", units=units)
    inc = loaded.frame
    assert loaded.decisions == {
        "encoding": "cp1252",
        "sep": ";",
        "decimal": ",",
        "date_format": "%d/%m/%Y",
    }
    assert inc.geometry.x.tolist() == plain.geometry.x.tolist()
    assert inc.geometry.y.tolist() == plain.geometry.y.tolist()
    assert inc["date"].tolist() == plain["date"].tolist()  # 03/02/2024 is 3 February
    assert inc["category_raw"].iloc[0] == "Vol de bétail"  # accents intact
    assert inc["category"].iloc[0] == "iccs05_property"
    assert inc["lieu"].tolist()[:3] == ["Ségou-Est", "Gaël", "Marché"]
    assert inc["lieu"].iloc[4] == "Œuvre €"  # letters only Windows-1252 has
    assert inc["reported_country"].tolist() == plain["reported_country"].tolist()


@pytest.mark.parametrize(
    ("name", "decided", "time"),
    [
        ("incidents_pipe.txt", {"encoding": "utf-8", "sep": "|", "decimal": "."}, "fecha"),
        (
            "incidents_arabic_utf16.txt",
            {"encoding": "utf-16", "sep": "tab", "decimal": "."},
            "التاريخ",
        ),
        (
            "incidents_annee_mois.csv",
            {"encoding": "utf-8-sig", "sep": ";", "decimal": ","},
            "annee",
        ),
    ],
)
def test_delimiters_and_encodings_are_detected(units, name, decided, time):
    loaded = load_incidents(FIXTURES / name, units=units)
    assert {k: loaded.decisions[k] for k in decided} == decided
    assert loaded.columns["time"] == time
    assert loaded.frame["date"].notna().all()
    assert all(13 <= y <= 14 for y in loaded.frame.geometry.y)


def test_bom_is_not_part_of_the_first_column_name(tmp_path, units):
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"id,lon,lat\nA,1.5,13.5\n")
    loaded = load_incidents(path, units=units)
    assert loaded.columns["id"] == "id" and loaded.frame["id"].tolist() == ["A"]


def test_given_dialect_wins(tmp_path, units):
    # "1,5" with sep "," would be two fields: the user says the file is ';' and ','
    path = tmp_path / "given.csv"
    path.write_bytes("id;lon;lat\nA;1,5;13,5\n".encode("latin-1"))
    loaded = load_incidents(path, units=units, sep=";", decimal=",", encoding="latin-1")
    assert loaded.decisions["encoding"] == "iso8859-1"
    assert loaded.frame.geometry.x.tolist() == [1.5]
    tab = tmp_path / "tab.csv"
    tab.write_text("id\tlon\tlat\nA\t1.5\t13.5\n", encoding="utf-8")
    assert load_incidents(tab, units=units, sep="tab").decisions["sep"] == "tab"


def test_wrong_encoding_is_refused_with_the_one_that_fits(tmp_path):
    path = tmp_path / "fr.csv"
    path.write_bytes("id,lon,lat,lieu\nA,1.5,13.5,Ségou\n".encode("cp1252"))
    with pytest.raises(DataError) as info:
        read_incidents(path, encoding="utf-8")
    msg = str(info.value)
    assert "fr.csv" in msg and "not utf-8" in msg and "encoding='cp1252'" in msg
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        read_incidents(path, encoding="klingon")


def test_unreadable_delimited_file_names_the_dialect_not_the_formats(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text('id,lon,lat\nA,1.5,13.5\nB,"2.5,13.5\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_incidents(path)
    msg = str(info.value)
    assert "delimiter ','" in msg and "supported formats" not in msg
    assert "drop" not in msg


@pytest.mark.parametrize(
    ("text", "given", "found", "hint"),
    [
        ("id;lon;lat\nA;1,5;13,5\nB;2,5;13,6\n", ",", "semicolon ';'", "sep=';'"),
        ("id\tlon\tlat\nA\t1.5\t13.5\n", ";", "tab", "sep='tab'"),
        ("id,lon,lat\nA,1.5,13.5\n", "|", "comma ','", "sep=','"),
    ],
)
def test_a_wrong_given_delimiter_names_the_one_the_file_uses(tmp_path, text, given, found, hint):
    path = tmp_path / "wrong_sep.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_incidents(path, sep=given)
    msg = str(info.value)
    assert "wrong_sep.csv" in msg and "splits into 1 field(s) with it" in msg
    assert f"into 3 with {found}" in msg and hint in msg


def test_a_wrong_delimiter_flag_exits_2_with_the_flag_to_use(tmp_path, capsys):
    path = tmp_path / "eu.csv"
    path.write_text("id;lon;lat\nA;1,5;13,5\nB;2,5;13,6\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run_main(
        capsys, "analyze", "--units", UNITS, "--incidents", path, "--out", out, "--sep", ","
    )
    assert code == 2 and not out.exists()
    assert "--sep ';' or leave --sep out" in " ".join(err.split())


def test_decimal_comma_read_as_dot_gets_a_specific_hint(tmp_path):
    path = tmp_path / "comma.csv"
    path.write_text("id;lon;lat\nA;1,5;13,5\nB;2,5;13,6\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_incidents(path, decimal=".")
    msg = str(info.value)
    assert "decimal comma" in msg and "decimal=','" in msg
    assert "on_invalid" not in msg  # dropping would drop every row


def test_detection_helpers():
    assert detect_encoding("Téra".encode("cp1252")) == "cp1252"
    assert detect_encoding(codecs.BOM_UTF16_LE + "x".encode("utf-16-le")) == "utf-16"
    d = sniff(b"a,b\n1,2\n", source="x.csv")
    assert (d.sep, d.decimal, d.encoding) == (",", ".", "utf-8")
    with pytest.raises(DataError, match=r"unknown delimiter"):
        sniff(b"a,b\n", source="x.csv", sep="#")


def test_accented_names_survive_every_output(tmp_path):
    """Windows-1252 incidents and meetings: accents intact in summary, CSVs and the map."""
    from borderwatch import analyze, write_outputs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        result = analyze(
            UNITS,
            EXCEL_FR,
            FIXTURES / "meetings_cp1252.csv",
            view="internal",
            **QUICK,
            cell_km=20,
        )
        out = write_outputs(result, tmp_path / "out")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["inputs"] == {
        "date_format": "%d/%m/%Y",
        "sep": ";",
        "decimal": ",",
        "encoding": "cp1252",
    }
    units_csv = pd.read_csv(out / "units.csv", encoding="utf-8")
    assert "Mali Ouest" in units_csv["name"].tolist()
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "Ségou-Marché" in html and "Téra" in html  # meeting places, read from Windows-1252
    assert "Ã©" not in html  # no mojibake anywhere
    meetings = load_meetings(FIXTURES / "meetings_cp1252.csv")
    assert meetings.frame["topics"].tolist() == ["vol de bétail; routes", "sécurité du marché"]


def test_cli_flags_and_validate_report_the_dialect(capsys):
    code, out, err = run_main(capsys, "validate", "--units", UNITS, "--incidents", EXCEL_FR)
    assert code == 0, err
    assert "read as cp1252 text, delimiter ';', decimal mark ','" in out
    assert "dates read day first (%d/%m/%Y)" in out
    code, out, err = run_main(
        capsys,
        "validate",
        "--units",
        UNITS,
        "--incidents",
        EXCEL_FR,
        "--sep",
        ";",
        "--decimal",
        ",",
        "--encoding",
        "cp1252",
    )
    assert code == 0, err
    code, out, err = run_main(
        capsys, "validate", "--units", UNITS, "--incidents", EXCEL_FR, "--encoding", "utf-8"
    )
    assert code == 2 and "--encoding cp1252" in err and "encoding=" not in err
