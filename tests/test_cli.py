"""Tests of the ``borderwatch`` command, run as a subprocess.

Bad input must give exit code 2, one paragraph on stderr (no traceback) that
names the file, the column and the lines, and must leave ``--out`` untouched.
The end-to-end runs of ``demo`` and ``analyze`` at the bottom need the whole
pipeline (hotspots, clusters, density, maps, privacy).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS

from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.datasets import DEMO_SEED, boundary_path, demo_incidents, demo_units
from borderwatch.io import read_incidents, read_units
from borderwatch.join import join_summary, join_units
from conftest import FIXTURES, run_cli

UNITS = FIXTURES / "units_mli_ner.geojson"
INCIDENTS = FIXTURES / "incidents.csv"


def _squash(text: str) -> str:
    """Text without any whitespace, so that wrapped lines (even inside paths) compare equal."""
    return "".join(text.split())


def assert_bad_input(code: int, out: str, err: str, *fragments: str) -> None:
    """Exit 2, one paragraph on stderr without a traceback, naming every fragment."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    text = err.strip()
    assert text.startswith("borderwatch: error:"), err
    assert "\n\n" not in text, "the message must be one paragraph"
    for frag in fragments:
        assert _squash(frag) in _squash(text), f"{frag!r} not in {err!r}"


def _write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def run_main(capsys, *args) -> tuple[int, str, str]:
    """Run ``borderwatch ARGS`` in this process (faster than a subprocess); (code, stdout, stderr)."""
    from borderwatch.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse: --help and usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------------------------
# help
# ----------------------------------------------------------------------------------------------


def test_help_lists_the_commands():
    code, out, err = run_cli("--help")
    assert code == 0, err
    for cmd in ("demo", "analyze", "validate"):
        assert cmd in out
    assert "Exit codes" in out


def test_console_script():
    script = Path(sys.executable).with_name("borderwatch")
    if not script.exists():
        pytest.skip("the borderwatch console script is not installed next to this Python")
    proc = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "analyze" in proc.stdout


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("demo", ["--out", "--view", "--lang", "--title", "--source", "--handout"]),
        (
            "analyze",
            [
                "--units",
                "--incidents",
                "--meetings",
                "--out",
                "--view",
                "--lon-col",
                "--lat-col",
                "--time-col",
                "--category-col",
                "--id-col",
                "--country-col",
                "--unit-id-col",
                "--unit-name-col",
                "--unit-country-col",
                "--drop-invalid",
                "--cell-km",
                "--config",
                "--engine",
                "--population",
                "--tiles",
                "--title",
                "--source",
                "--handout",
            ],
        ),
        (
            "validate",
            [
                "--units",
                "--incidents",
                "--meetings",
                "--actions",
                "--lon-col",
                "--unit-id-col",
                "--drop-invalid",
            ],
        ),
    ],
)
def test_subcommand_help(capsys, command, options):
    code, out, err = run_main(capsys, command, "--help")
    assert code == 0, err
    for opt in options:
        assert opt in out, f"{opt} missing from `borderwatch {command} --help`"


def test_version(capsys):
    code, out, _ = run_main(capsys, "--version")
    assert code == 0 and out.startswith("borderwatch ")


# ----------------------------------------------------------------------------------------------
# validate
# ----------------------------------------------------------------------------------------------


def test_validate_good_input():
    code, out, err = run_cli(
        "validate",
        "--units",
        UNITS,
        "--incidents",
        INCIDENTS,
        "--meetings",
        FIXTURES / "meetings.csv",
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert "4 units in MLI, NER" in out
    assert "8 rows" in out
    assert "'within': 8" in out and "'outside': 0" in out
    assert "the inputs are valid" in out


@pytest.mark.parametrize(
    ("name", "content", "fragments"),
    [
        (
            "zero.csv",
            "id,lon,lat\n1,1.5,13.5\n2,0,0\n3,0,0\n4,1.5,13.6\n5,1.6,13.5",
            ["zero.csv", "point at (0, 0)", "'lon'/'lat'", "lines 3, 4", "--drop-invalid"],
        ),
        (
            "swapped.csv",
            "id,lon,lat\n1,13.5,0.5\n2,13.2,1.5\n3,13.7,2.5",
            ["swapped.csv", "swapped", "lines 2, 3, 4", "--lon-col lat --lat-col lon"],
        ),
        (
            "dates.csv",
            "id,lon,lat,date\n1,1.5,13.5,2024-01-01\n2,1.5,13.5,yesterday",
            ["dates.csv", "unparseable date", "column 'date'", "line 3"],
        ),
        (
            "text.csv",
            "id,lon,lat\n1,1.5,13.5\n2,1.5,13 north",
            ["text.csv", "non-numeric", "'lon'/'lat'", "line 3"],
        ),
        (
            "nocoords.csv",
            "id,place\n1,Ayorou",
            ["nocoords.csv", "no longitude and latitude column", "--lon-col"],
        ),
        ("empty.csv", "", ["empty.csv", "empty"]),
    ],
)
def test_validate_bad_incidents(tmp_path, capsys, name, content, fragments):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run_main(capsys, "validate", "--units", UNITS, "--incidents", path)
    assert_bad_input(code, out, err, *fragments)
    assert "the inputs are valid" not in out


def test_validate_bad_incidents_subprocess(tmp_path):
    path = _write(
        tmp_path / "zero.csv", "id,lon,lat\n1,1.5,13.5\n2,0,0\n3,0,0\n4,1.5,13.6\n5,1.6,13.5"
    )
    code, out, err = run_cli("validate", "--units", UNITS, "--incidents", path)
    assert_bad_input(
        code, out, err, "zero.csv", "point at (0, 0)", "'lon'/'lat'", "lines 3, 4", "--drop-invalid"
    )


def test_validate_actions_subprocess(tmp_path):
    """`validate --actions` checks the actions file as `analyze` reads it: exit 2, file,
    column, lines and a hint."""
    path = _write(
        tmp_path / "actions.csv",
        "id,action,owner,due,status,done_date\n"
        "a1,Patrol the market road,Police,2024-06-30,open,\n"
        "a2,Repair the light,Mayor,2024-07-31,done,\n",
    )
    code, out, err = run_cli(
        "validate", "--units", UNITS, "--meetings", FIXTURES / "meetings.csv", "--actions", path
    )
    assert_bad_input(
        code, out, err, "actions.csv", "column 'status' says done", "'done_date'", "line 3", "Hint"
    )
    assert "the inputs are valid" not in out


def test_validate_reports_the_actions(tmp_path, capsys):
    path = _write(
        tmp_path / "actions.csv",
        "id,action,owner,due,status,done_date\n"
        "a1,Patrol the market road,Police,2024-06-30,open,\n"
        "a2,Repair the light,Mayor,2024-07-31,fait,2024-07-20\n",
    )
    code, out, err = run_main(capsys, "validate", "--units", UNITS, "--actions", path)
    assert code == 0, err
    assert f"actions: {path}: 2 actions (1 open, 1 done, 0 dropped)" in out
    assert "the inputs are valid" in out


def test_validate_bad_units(tmp_path, capsys):
    code, out, err = run_main(
        capsys, "validate", "--units", FIXTURES / "units_custom_columns.geojson"
    )
    assert_bad_input(
        code, out, err, "units_custom_columns.geojson", "no country column", "--unit-country-col"
    )
    code, out, err = run_main(capsys, "validate", "--units", tmp_path / "missing.gpkg")
    assert_bad_input(code, out, err, "missing.gpkg", "does not exist")


def test_validate_unknown_column_option(capsys):
    code, out, err = run_main(capsys, "validate", "--units", UNITS, "--unit-id-col", "adm2_code")
    assert_bad_input(
        code, out, err, "units_mli_ner.geojson", "'adm2_code'", "--unit-id-col", "does not exist"
    )


def test_validate_drop_invalid(tmp_path, capsys):
    path = _write(tmp_path / "some_bad.csv", "id,lon,lat\n1,1.5,13.5\n2,0,0\n3,2.5,13.5\n4,1.5,95")
    code, out, err = run_main(
        capsys, "validate", "--units", UNITS, "--incidents", path, "--drop-invalid"
    )
    assert code == 0, err
    assert "2 rows" in out
    assert "'zero_zero': 1" in out and "'lat_range': 1" in out
    assert re.search(r"warning: .*dropped 2 invalid incidents rows", out)


def test_column_overrides(tmp_path, capsys):
    units = FIXTURES / "units_custom_columns.geojson"
    inc = _write(
        tmp_path / "export.csv",
        (
            "ref,E_deg,N_deg,quand,genre,pays_signale\n"
            "k1,0.5,13.5,2024-01-02,Braquage,Mali\n"
            "k2,2.5,13.6,2024-01-03,VBG,Mali"
        ),
    )
    code, out, err = run_cli(
        "validate",
        "--units",
        units,
        "--incidents",
        inc,
        "--unit-id-col",
        "code_commune",
        "--unit-name-col",
        "nom_commune",
        "--unit-country-col",
        "pays",
        "--lon-col",
        "E_deg",
        "--lat-col",
        "N_deg",
        "--time-col",
        "quand",
        "--category-col",
        "genre",
        "--id-col",
        "ref",
        "--country-col",
        "pays_signale",
    )
    assert code == 0, err
    assert "'unit_id': 'code_commune', 'name': 'nom_commune', 'country': 'pays'" in out
    assert "'lon': 'E_deg', 'lat': 'N_deg', 'time': 'quand', 'id': 'ref'" in out
    assert "'category': 'genre'" in out and "'country': 'pays_signale'" in out
    # k2 is in Niger but reported as Mali
    assert "'within': 2" in out and "'country_mismatch': 1" in out
    # without the overrides the same files are bad input
    code, out, err = run_main(capsys, "validate", "--units", units, "--incidents", inc)
    assert_bad_input(code, out, err, "no country column")


@pytest.mark.realdata
def test_unit_column_overrides_on_real_adm2(shared_data):
    code, out, err = run_cli(
        "validate",
        "--units",
        shared_data / "boundaries" / "mex_usa_border_adm2.geojson",
        "--unit-id-col",
        "adm2_code",
        "--unit-name-col",
        "adm2_name",
        "--unit-country-col",
        "adm0_iso3",
        "--incidents",
        shared_data / "events" / "ucdp_ged_mexico_border_states_1989_2023.csv",
    )
    assert code == 0, err
    assert "638 units in MEX, USA" in out
    assert "'unit_id': 'adm2_code', 'name': 'adm2_name', 'country': 'adm0_iso3'" in out
    assert "8,560 rows" in out


# ----------------------------------------------------------------------------------------------
# analyze with bad input: exit 2 and nothing written
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quiet", [True, False])
def test_analyze_bad_input_writes_nothing(tmp_path, quiet):
    bad = _write(tmp_path / "bad.csv", "id,lon,lat\n1,1.5,13.5\n2,0,0")
    out_dir = tmp_path / "results"
    args = ["analyze", "--units", UNITS, "--incidents", bad, "--out", out_dir] + (
        ["--quiet"] if quiet else []
    )
    code, out, err = run_cli(*args)
    assert code == 2
    assert "Traceback" not in err
    if quiet:
        assert_bad_input(code, out, err, "bad.csv", "point at (0, 0)", "line 3")
    else:  # progress lines ("[  0.1s] reading units") come first; the error is one paragraph after them
        assert err.count("borderwatch: error:") == 1
        tail = "borderwatch: error:" + err.split("borderwatch: error:")[1]
        assert_bad_input(code, out, tail, "bad.csv", "point at (0, 0)", "line 3")
    assert not out_dir.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no temporary leftovers


def test_analyze_bad_units_keeps_previous_output(tmp_path):
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    (out_dir / "summary.json").write_text('{"previous": true}', encoding="utf-8")
    code, out, err = run_cli(
        "analyze",
        "--units",
        FIXTURES / "units_custom_columns.geojson",
        "--incidents",
        INCIDENTS,
        "--out",
        out_dir,
        "--quiet",
    )
    assert_bad_input(code, out, err, "no country column")
    assert json.loads((out_dir / "summary.json").read_text(encoding="utf-8")) == {"previous": True}


def test_analyze_refuses_a_foreign_folder_or_a_file(tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "thesis.docx").write_bytes(b"x")
    code, out, err = run_main(
        capsys, "analyze", "--units", UNITS, "--incidents", INCIDENTS, "--out", folder, "--quiet"
    )
    assert_bad_input(code, out, err, "non-empty folder", "Hint")
    assert [p.name for p in folder.iterdir()] == ["thesis.docx"]
    afile = tmp_path / "out.txt"
    afile.write_text("keep", encoding="utf-8")
    code, out, err = run_main(
        capsys, "analyze", "--units", UNITS, "--incidents", INCIDENTS, "--out", afile, "--quiet"
    )
    assert_bad_input(code, out, err, "is a file")
    assert afile.read_text(encoding="utf-8") == "keep"


def test_analyze_bad_config(tmp_path, capsys):
    cfg = _write(tmp_path / "bw.toml", "colour = 'red'")
    code, out, err = run_main(
        capsys,
        "analyze",
        "--units",
        UNITS,
        "--incidents",
        INCIDENTS,
        "--out",
        tmp_path / "o",
        "--config",
        cfg,
        "--quiet",
    )
    assert_bad_input(code, out, err, "bw.toml", "unknown settings colour")


def test_view_must_be_public_or_internal(capsys):
    code, _, err = run_main(capsys, "demo", "--out", "x", "--view", "secret")
    assert code == 2
    assert "invalid choice: 'secret'" in err and "public" in err


def test_missing_required_option_is_a_usage_error(capsys):
    code, _, err = run_main(capsys, "analyze", "--units", UNITS)
    assert code == 2
    assert "--incidents" in err and "Traceback" not in err


# ----------------------------------------------------------------------------------------------
# exit codes in process: 2 for DataError, 1 for anything else, without a traceback
# ----------------------------------------------------------------------------------------------


def test_main_exit_codes(monkeypatch, capsys):
    from borderwatch import cli

    def bad(_args):
        msg = "x.csv: column 'lat' is wrong (line 3). Hint: fix it."
        raise DataError(msg)

    monkeypatch.setattr(cli, "_run", bad)
    assert cli.main(["validate", "--units", "u.geojson"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("borderwatch: error: x.csv: column 'lat' is wrong (line 3).")

    def boom(_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "_run", boom)
    monkeypatch.delenv("BORDERWATCH_DEBUG", raising=False)
    assert cli.main(["validate", "--units", "u.geojson"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: disk on fire" in err and "Traceback" not in err


# ----------------------------------------------------------------------------------------------
# end to end (needs the whole pipeline: hotspots, clusters, density, maps, privacy)
# ----------------------------------------------------------------------------------------------


def _check_output_dir(out_dir: Path) -> dict:
    for name in ("summary.json", "hotspots.gpkg", "units.csv"):
        assert (out_dir / name).is_file(), f"{name} missing"
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    CRS(summary["crs"])  # pyproj reads it
    assert set(summary["join"]) >= {"within", "snapped", "outside"}
    parts = [summary["join"][k] for k in ("within", "snapped", "outside")]
    if summary["view"] == "internal":
        assert sum(parts) == summary["n_incidents"]
    else:  # a null is "0 to k - 1" (zeros are hidden like small counts)
        shown = sum(v for v in parts if v is not None)
        hidden = sum(v is None for v in parts)
        assert 0 <= summary["n_incidents"] - shown <= (summary["k"] - 1) * hidden
    assert summary["view"] in ("public", "internal")
    assert isinstance(summary["warnings"], list)
    assert summary["date_first"] <= summary["date_last"]
    layers = {name for name, _ in pyogrio.list_layers(out_dir / "hotspots.gpkg")}
    assert {"units", "border"} <= layers
    units = gpd.read_file(out_dir / "hotspots.gpkg", layer="units")
    assert {"unit_id", "name", "country", "incidents"} <= set(units.columns)
    assert units.crs.to_epsg() == 4326
    border = gpd.read_file(out_dir / "hotspots.gpkg", layer="border")
    assert all(c == ",".join(sorted(c.split(","))) for c in border["countries"])
    table = pd.read_csv(out_dir / "units.csv", dtype={"unit_id": str})
    assert {"unit_id", "name", "country", "incidents"} <= set(table.columns)
    return summary


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("demo") / "demo-output"
    code, out, err = run_cli("demo", "--out", out_dir, "--no-static", "--quiet", timeout=600)
    return code, out, err, out_dir


@pytest.mark.slow
def test_demo_end_to_end(demo_run):
    code, out, err, out_dir = demo_run
    assert code == 0, err
    # --quiet: warnings go into summary.json, not as raw Python warnings onto the terminal
    assert "Warning:" not in err, err
    summary = _check_output_dir(out_dir)
    assert summary["synthetic"] is True
    assert "SYNTHETIC" in json.dumps(summary)
    assert summary["countries"] == ["BFA", "MLI", "NER"]
    assert sorted(summary["border"]["pairs"]) == ["BFA,MLI", "BFA,NER", "MLI,NER"]
    assert summary["view"] == "public"
    assert "country_mismatch" in summary["join"]  # the demo incidents carry their own country


@pytest.mark.slow
def test_demo_summary_crs_is_the_study_crs(demo_run, demo_result):
    code, _, err, out_dir = demo_run
    assert code == 0, err
    # the public summary (the demo's default view) gives the CRS of the public grid and
    # density, the fixed lattice, not the study CRS centred on the incidents (issue 10)
    public = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    assert CRS(public["crs"]) == CRS("EPSG:6933")
    assert public["crs_centre"] == {"from": "incidents"}
    summary = demo_result.summary  # the internal view (same data, same settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        units = demo_units()
        inc = demo_incidents(seed=DEMO_SEED, units=units)
        pts = gpd.GeoSeries(gpd.points_from_xy(inc["longitude"], inc["latitude"]), crs=4326)
        # centred on the incidents' extent, recorded in the summary
        assert CRS(summary["crs"]) == study_crs(units, incidents=pts)
    assert summary["crs_centre"]["from"] == "incidents"
    assert f"+lon_0={summary['crs_centre']['lon']:g} " in summary["crs"]


@pytest.fixture(scope="module")
def analyze_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("analyze")
    df = demo_incidents(seed=7, n_background=400)
    zeros = df.iloc[:2].assign(longitude=0.0, latitude=0.0, incident_id=["Z1", "Z2"])
    pd.concat([df, zeros], ignore_index=True).to_csv(tmp / "incidents.csv", index=False)
    # an action agreed for the Mali–Niger border hotspot, overdue at the end of the data
    (tmp / "actions.csv").write_text(
        "action,owner,due,status,lon,lat\nJoint patrol,Police,2024-06-30,open,1.1,15.05\n",
        encoding="utf-8",
    )
    # the clusters' test against chance is tested in test_clusters.py (a config-only setting)
    (tmp / "cfg.toml").write_text("cluster_replicates = 19\n", encoding="utf-8")
    out_dir = tmp / "results"
    code, out, err = run_cli(
        "analyze",
        "--units",
        boundary_path("liptako_gourma"),
        "--incidents",
        tmp / "incidents.csv",
        "--actions",
        tmp / "actions.csv",
        "--config",
        tmp / "cfg.toml",
        "--out",
        out_dir,
        "--view",
        "internal",
        "--drop-invalid",
        "--permutations",
        "99",
        "--scan-replicates",
        "99",
        "--no-static",
        "--lang",
        "fr,ar",
        "--handout",
        "--quiet",
        timeout=600,
    )
    return code, out, err, out_dir, df


@pytest.mark.slow
def test_analyze_end_to_end(analyze_run):
    code, out, err, out_dir, df = analyze_run
    assert code == 0, err
    summary = _check_output_dir(out_dir)
    assert summary["view"] == "internal"
    assert summary["n_incidents"] == len(df)
    assert summary["dropped_invalid"] == {"zero_zero": 2}
    assert any("dropped 2 invalid" in w for w in summary["warnings"])
    # the join counts are those of the library
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        units = read_units(boundary_path("liptako_gourma"))
        joined = join_units(read_incidents(df, units=units), units)
    assert summary["join"] == join_summary(joined)
    table = pd.read_csv(out_dir / "units.csv", dtype={"unit_id": str}).set_index("unit_id")
    expected = joined.groupby("unit_id").size()
    assert table.loc[expected.index, "incidents"].tolist() == expected.tolist()
    assert table["incidents"].sum() == len(df) - summary["join"]["outside"]
    # --lang fr,ar --handout: the map in French, one handout per language
    assert {"handout_fr.pdf", "handout_ar.pdf"} <= set(summary["files"])
    for name in ("handout_fr.pdf", "handout_ar.pdf"):
        assert (out_dir / name).read_bytes()[:4] == b"%PDF"
    page = (out_dir / "map.html").read_text(encoding="utf-8")
    start = page.index('<script type="application/json" id="bw-data-')
    data = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert data["lang"] == "fr"
    # the title comes from the data; the Source line shows the file name, no directory
    assert data["title"].startswith("Incidents près des frontières Burkina Faso–Mali–Niger, ")
    lines = [line["text"] for line in data["lines"]]
    assert "Source : incidents.csv" in lines and str(out_dir.parent) not in page
    # --actions: the overdue action counts near its area; priorities.csv and the plan are written
    prio = pd.read_csv(out_dir / "priorities.csv")
    assert prio["overdue_actions"].max() == 1 and summary["planning"]["n_overdue"] == 1
    assert {"priorities.csv", "action_plan.xlsx"} <= set(summary["files"])
    assert prio["reason"].str.startswith("Point chaud").all()  # in the map's language
    assert data["panel"]["items"][0]["reason"] == prio["reason"].iloc[0]


def test_analyze_bad_actions_file_writes_nothing(tmp_path):
    bad = _write(
        tmp_path / "actions.csv", "action,owner,due,status\nPatrol,Police,2024-06-30,someday\n"
    )
    out_dir = tmp_path / "results"
    code, out, err = run_cli(
        "analyze",
        "--units",
        UNITS,
        "--incidents",
        INCIDENTS,
        "--actions",
        bad,
        "--out",
        out_dir,
        "--quiet",
    )
    assert_bad_input(code, out, err, "actions.csv", "status", "line 2")
    assert not out_dir.exists()
