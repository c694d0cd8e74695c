"""End to end: the output directory, read like a user reads it.

The demo's outputs (the session-wide in-memory analysis, written once per view;
``borderwatch demo`` itself runs as a subprocess in tests/test_cli.py) are
scanned for leaks (public view), opened in headless Chromium with the network
blocked, and read back with geopandas / pandas / rasterio. The other tests run
``borderwatch analyze`` as a subprocess.
"""

from __future__ import annotations

import functools
import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

import borderwatch as bw
from _browser import PageRun
from borderwatch.datasets import demo_incidents
from conftest import run_cli

CONTRACT_CELLS = {
    "cell_id",
    "count",
    "gi_z",
    "gi_p",
    "gi_p_fdr",
    "hotspot",
    "countries",
    "trend_class",
}
CONTRACT_REGIONS = {
    "n_incidents",
    "countries",
    "cross_border",
    "border_km",
    "first_date",
    "last_date",
}


@functools.cache
def _demo_table(seed: int, n_background: int) -> pd.DataFrame:
    """The demo generator's table for (seed, n_background), made once per worker."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bw.BorderwatchWarning)
        return demo_incidents(seed=seed, n_background=n_background)


def _demo_df(*, seed: int, n_background: int) -> pd.DataFrame:
    """Synthetic incidents as a plain table (the demo generator, quietly); a fresh copy."""
    return _demo_table(seed, n_background).copy()


@pytest.fixture(scope="module")
def demo_dirs(demo_outputs):
    """{view: output directory} of the demo (the session-wide analysis)."""
    return demo_outputs


@pytest.fixture(scope="module")
def demo_input(demo_data):
    units, raw, _ = demo_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bw.BorderwatchWarning)
        return units, raw, bw.read_incidents(raw, units=units)


def test_every_contract_file_and_layer(demo_dirs):
    for view, d in demo_dirs.items():
        names = {p.name for p in d.iterdir()}
        assert {
            "summary.json",
            "hotspots.gpkg",
            "units.csv",
            "counts.csv",
            "density.tif",
            "map.html",
            "map.png",
            "map.pdf",
        } <= names, view
        layers = {name for name, _ in pyogrio.list_layers(d / "hotspots.gpkg")}
        assert {"units", "border", "cells", "hotspots", "clusters"} <= layers
        cells = gpd.read_file(d / "hotspots.gpkg", layer="cells")
        assert CONTRACT_CELLS <= set(cells.columns)
        assert cells.crs.to_epsg() == 4326
        assert (cells["count"].fillna(0) == 0).sum() > 0  # zeros are included
        regions = gpd.read_file(d / "hotspots.gpkg", layer="hotspots")
        assert CONTRACT_REGIONS | {"hotspot_id"} <= set(regions.columns)
        clusters = gpd.read_file(d / "hotspots.gpkg", layer="clusters")
        assert CONTRACT_REGIONS | {"cluster_id"} <= set(clusters.columns)
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        for key in (
            "crs",
            "view",
            "n_incidents",
            "join",
            "cell_km",
            "weights",
            "alpha",
            "permutations",
            "seed",
            "engine",
            "warnings",
        ):
            assert key in summary, key
        assert summary["view"] == view


def test_everything_the_demo_writes_says_synthetic(demo_dirs):
    for d in demo_dirs.values():
        assert "SYNTHETIC" in (d / "summary.json").read_text(encoding="utf-8")
        assert "SYNTHETIC" in (d / "map.html").read_text(encoding="utf-8")
        for name in ("units.csv", "counts.csv"):
            assert (
                pd.read_csv(d / name)["data"] == "SYNTHETIC demo data, not real incidents"
            ).all()
        for layer, _ in pyogrio.list_layers(d / "hotspots.gpkg"):
            frame = gpd.read_file(d / "hotspots.gpkg", layer=layer)
            assert len(frame) == 0 or frame["data"].str.startswith("SYNTHETIC").all(), layer
        with rasterio.open(d / "density.tif") as src:
            assert src.tags()["DATA"].startswith("SYNTHETIC")


def test_demo_finds_the_planted_cross_border_hotspots(demo_dirs):
    regions = gpd.read_file(demo_dirs["internal"] / "hotspots.gpkg", layer="hotspots")
    cross = regions[regions["cross_border"]]
    assert {"MLI,NER", "BFA,MLI"} <= set(cross["countries"])
    # Gao, the planted interior hotspot, is a hotspot that is not cross-border
    gao = gpd.GeoSeries.from_xy([-0.0444], [16.2666], crs=4326).iloc[0]
    hit = regions[regions.intersects(gao.buffer(0.2))]
    assert len(hit) and not hit["cross_border"].any() and set(hit["countries"]) == {"MLI"}


@pytest.mark.slow
def test_public_outputs_leak_nothing(demo_dirs, demo_input):
    units, raw, incidents = demo_input
    summary = json.loads((demo_dirs["public"] / "summary.json").read_text(encoding="utf-8"))
    leaks = bw.scan_for_leaks(demo_dirs["public"], incidents, crs=summary["crs"], k=5)
    assert leaks == []
    # the scanner does see the internal view's points, ids and free text
    leaks_internal = bw.scan_for_leaks(demo_dirs["internal"], incidents, crs=summary["crs"], k=5)
    assert len(leaks_internal) > 0
    html = (demo_dirs["public"] / "map.html").read_text(encoding="utf-8")
    for i in range(0, len(raw), 97):
        assert raw["incident_id"].iloc[i] not in html
        assert raw["description"].iloc[i] not in html


def test_public_counts_are_suppressed(demo_dirs):
    public = pd.read_csv(demo_dirs["public"] / "units.csv")
    counts = public.drop(
        columns=[c for c in public.columns if not c.startswith(("iccs", "incidents"))]
    )
    vals = counts.to_numpy(dtype=float)
    assert not ((vals >= 1) & (vals <= 4)).any()
    long = pd.read_csv(demo_dirs["public"] / "counts.csv")
    assert long["count"].min() >= 5
    internal = pd.read_csv(demo_dirs["internal"] / "counts.csv")
    assert internal["count"].min() == 1 and len(internal) > len(long)
    # the internal long table adds up to the per-unit totals
    units_int = pd.read_csv(demo_dirs["internal"] / "units.csv").set_index("unit_id")
    sums = internal.groupby("unit_id")["count"].sum()
    assert (units_int.loc[sums.index, "incidents"] == sums).all()


def test_density_tif_is_masked_in_public(demo_dirs):
    with (
        rasterio.open(demo_dirs["public"] / "density.tif") as pub,
        rasterio.open(demo_dirs["internal"] / "density.tif") as internal,
    ):
        a, b = pub.read(1), internal.read(1)
        # the public surface: classes on the fixed global lattice (EPSG:6933), masked
        assert pub.crs.to_epsg() == 6933 and internal.crs.is_projected
    shown = a[np.isfinite(a)]
    assert len(shown) and set(np.unique(shown)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert np.isnan(a).mean() > np.isnan(b).mean()


def test_units_layer_has_unit_gi_star(demo_dirs):
    units = gpd.read_file(demo_dirs["internal"] / "hotspots.gpkg", layer="units")
    assert {"gi_z", "gi_p_fdr", "hotspot", "hotspot_kind", "moran_class"} <= set(units.columns)
    assert units["hotspot"].str.startswith("Hot").any()
    public = gpd.read_file(demo_dirs["public"] / "hotspots.gpkg", layer="units")
    assert public["gi_z"].isna().all()  # z-scores would let a reader solve for hidden counts


@pytest.mark.browser
@pytest.mark.parametrize("view", ["public", "internal"])
def test_demo_map_draws_offline(browser, demo_dirs, view, tmp_path):  # noqa: F811
    run = PageRun(browser, demo_dirs[view] / "map.html")
    try:
        page = run.page
        assert run.requests == [] and run.page_errors == [] and run.console_errors == []
        assert page.evaluate("typeof window.L") == "object"
        assert page.locator("path.leaflet-interactive").count() > 50
        shot = tmp_path / f"{view}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 20_000
        assert "SYNTHETIC" in page.content()
    finally:
        run.close()


def test_demo_map_size(demo_dirs):
    for d in demo_dirs.values():
        assert (d / "map.html").stat().st_size < 5 * 1024 * 1024


def _analyze_cli(tmp_path, df, *extra, config: str | None = None, meetings=None, out: str = "out"):
    """Run `borderwatch analyze` on the Liptako-Gourma units and a table of incidents."""
    df.to_csv(tmp_path / "inc.csv", index=False)
    args = [
        "analyze",
        "--units",
        bw.datasets.boundary_path("liptako_gourma"),
        "--incidents",
        tmp_path / "inc.csv",
        "--out",
        tmp_path / out,
        "--no-static",
        "--quiet",
        *extra,
    ]
    if "--scan-replicates" not in args:
        # no scan: no test here reads its clusters; the scan's p-values are tested in
        # test_scan.py, and the CLI's scan (99 replicates) in test_cli.py's analyze_run
        args += ["--scan-replicates", "0"]
    if config is None or "cluster_replicates" not in config:
        # the clusters' test against chance is tested in test_clusters.py (a config-only setting)
        config = (config or "") + "cluster_replicates = 19\n"
    (tmp_path / "cfg.toml").write_text(config, encoding="utf-8")
    args += ["--config", tmp_path / "cfg.toml"]
    if meetings is not None:
        meetings.to_csv(tmp_path / "mt.csv", index=False)
        args += ["--meetings", tmp_path / "mt.csv"]
    return run_cli(*args)


@pytest.mark.slow
def test_analyze_period_and_config(tmp_path):
    df = _demo_df(seed=11, n_background=300)
    config = 'period = "year"\npermutations = 99\nview = "internal"\n'
    code, _, err = _analyze_cli(tmp_path, df, "--period", "week", config=config)
    out = tmp_path / "out"
    assert code == 0, err
    counts = pd.read_csv(out / "counts.csv")
    days = pd.to_datetime(counts["period"]).dt.day_of_week
    assert (
        days == 0
    ).all()  # the command line (week) wins over the config (year); weeks start Monday
    summary = json.loads((out / "summary.json").read_text())
    assert summary["permutations"] == 99 and summary["view"] == "internal"
    assert summary["counts_period"] == "week"


@pytest.mark.realdata
@pytest.mark.slow
def test_analyze_with_population_raster(shared_data, tmp_path):
    raster = shared_data / "population" / "gpw_v4_popcount_2000_15min_liptako_gourma.tif"
    code, _, err = _analyze_cli(
        tmp_path,
        _demo_df(seed=5, n_background=300),
        "--population",
        raster,
        "--view",
        "internal",
        "--permutations",
        "99",
        "--scan-replicates",  # the population is the point, not the scan's p-values
        "0",
    )
    out = tmp_path / "out"
    assert code == 0, err
    units = pd.read_csv(out / "units.csv")
    with rasterio.open(raster) as src:
        total = float(src.read(1, masked=True).sum())
    # the clip covers lon -6..6, lat 10..17.5: units reaching beyond it get no population, not a false one
    summary = json.loads((out / "summary.json").read_text())
    assert any("does not cover" in w for w in summary["warnings"])
    assert units["population"].isna().any() and units["population"].notna().sum() >= 30
    assert 0.3 * total < units["population"].sum() <= total
    ok = units["population"] > 0
    expected = units.loc[ok, "incidents"] / units.loc[ok, "population"] * 1e5
    assert np.allclose(units.loc[ok, "rate_per_100k"], expected)
    with rasterio.open(out / "density.tif") as src:
        assert "100,000" in json.dumps(src.tags())


@pytest.mark.slow
def test_dask_engine_gives_the_same_join(tmp_path):
    df = _demo_df(seed=3, n_background=500)
    outs = {}
    for engine in ("pandas", "dask"):
        outs[engine] = tmp_path / engine
        code, _, err = _analyze_cli(
            tmp_path,
            df,
            "--engine",
            engine,
            "--view",
            "internal",
            "--permutations",  # the join is the point: no Monte Carlo (same on both engines)
            "0",
            "--scan-replicates",
            "0",
            out=engine,
        )
        assert code == 0, err
    a = json.loads((outs["pandas"] / "summary.json").read_text())
    b = json.loads((outs["dask"] / "summary.json").read_text())
    assert a["join"] == b["join"] and b["engine"] == "dask" and b["partitions"] >= 1
    pd.testing.assert_frame_equal(
        pd.read_csv(outs["pandas"] / "units.csv"), pd.read_csv(outs["dask"] / "units.csv")
    )


@pytest.mark.slow
def test_tiny_input_runs_end_to_end(tmp_path):
    # five incidents: no cluster, maybe no hotspot region; empty layers must still be written
    df = pd.DataFrame(
        {
            "lon": [1.40, 1.45, 1.50, 0.20, -1.5],
            "lat": [14.2, 14.25, 14.2, 14.9, 14.1],
            "date": ["2024-01-02"] * 5,
            "category": ["theft"] * 5,
        }
    )
    for view in ("public", "internal"):
        code, _, err = _analyze_cli(
            tmp_path, df, "--view", view, "--permutations", "99", "--scan-replicates", "99"
        )
        assert code == 0, err
        assert len(gpd.read_file(tmp_path / "out" / "hotspots.gpkg", layer="units")) == 62


@pytest.mark.parametrize(
    ("config", "check"),
    [
        (
            'grid = "square"\nweights = "knn"\nn_neighbors = 6\n',
            lambda s, cells: (
                s["weights"] == {"type": "knn", "k": 6, "ties": "all", "star": True}
                and s["grid"] == "square"
                and np.median(shapely.get_num_coordinates(cells.geometry.array)) == 5
            ),
        ),
        (
            'cluster_method = "hdbscan"\nmin_samples = 10\n',
            lambda s, cells: (
                s["clusters"]["method"] == "hdbscan" and s["clusters"]["min_samples"] == 10
            ),
        ),
        (
            'cluster_method = "spacetime"\neps_km = 8\ndays = 14\n',
            lambda s, cells: s["clusters"]["days"] == 14 and s["clusters"]["eps_km"] == 8,
        ),
    ],
    ids=["square-knn", "hdbscan", "spacetime"],
)
@pytest.mark.slow
def test_config_settings_reach_the_analysis(tmp_path, config, check):
    df = _demo_df(seed=13, n_background=300)
    code, _, err = _analyze_cli(
        tmp_path, df, "--view", "internal", "--permutations", "99", config=config
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    cells = gpd.read_file(tmp_path / "out" / "hotspots.gpkg", layer="cells")
    # the layer stores (multi)polygons; most cells are whole squares of 5 coordinates
    assert len(cells)
    assert bool(check(summary, cells)) is True, summary


@pytest.mark.parametrize(
    ("extra", "config", "fragment"),
    [
        (["--permutations", "-3"], None, "permutations must be a whole number >= 0"),
        (["--cell-km", "0"], None, "cell_km must be a positive number"),
        ([], 'n_neighbors = "six"\n', "n_neighbors must be a whole number"),
        ([], 'grid = "triangle"\n', "grid must be 'hex' or 'square'"),
        ([], 'attendance_cols = "women"\n', "attendance_cols"),
    ],
)
def test_bad_settings_exit_2_and_write_nothing(tmp_path, extra, config, fragment):
    df = _demo_df(seed=2, n_background=50)
    code, out, err = _analyze_cli(tmp_path, df, *extra, config=config)
    assert code == 2, err
    assert fragment in " ".join(err.split()) and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_meeting_columns_from_config_and_bad_attendance(tmp_path):
    df = _demo_df(seed=4, n_background=100)
    mt = pd.DataFrame(
        {
            "gx": [1.45, 2.1],
            "gy": [14.2, 13.5],
            "when": ["2024-03-01", "2024-04-02"],
            "village": ["Tillabéri", "Niamey"],
            "femmes": [12, 7],
            "sujets": ["vol; routes", "école"],
        }
    )
    cfg = (
        'meeting_lon_col = "gx"\nmeeting_lat_col = "gy"\nmeeting_time_col = "when"\n'
        'meeting_place_col = "village"\nmeeting_topics_col = "sujets"\nattendance_cols = {att_women = "femmes"}\n'
        'view = "internal"\npermutations = 99\n'
    )
    code, _, err = _analyze_cli(tmp_path, df, config=cfg, meetings=mt)
    assert code == 0, err
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["n_meetings"] == 2
    html = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    assert "Tillab" in html and "sujets" not in html
    # attendance that is not a number is an error, not a silent blank
    bad = tmp_path / "bad"
    bad.mkdir()
    code, _, err = _analyze_cli(bad, df, config=cfg, meetings=mt.assign(femmes=["many", 7]))
    assert code == 2 and "femmes" in err and "whole numbers" in " ".join(err.split())
    assert not (bad / "out").exists()


@pytest.mark.slow
def test_public_summary_keeps_drop_counts(tmp_path):
    df = _demo_df(seed=6, n_background=200)
    df["latitude"] = df["latitude"].astype(object)
    df.loc[[3, 9], "latitude"] = "north"
    # the drop counts are the point: no Monte Carlo (no p-value is read)
    code, _, err = _analyze_cli(tmp_path, df, "--drop-invalid", "--permutations", "0")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    # the count (2) is kept by reason, but a count of 1..k-1 is not shown in the public view
    assert summary["view"] == "public" and summary["dropped_invalid"] == {"non_numeric": None}


@pytest.mark.slow
def test_tiles_and_arabic_from_the_cli(tmp_path):
    # (the demo command itself runs once, in test_cli's demo_run fixture)
    out = tmp_path / "ar"
    url = "https://tile.example.org/{z}/{x}/{y}.png"
    df = _demo_df(seed=8, n_background=200)
    code, _, err = _analyze_cli(  # the map's furniture is the point: no Monte Carlo
        tmp_path, df, "--lang", "ar", "--tiles", url, "--permutations", "0", out="ar"
    )
    assert code == 0, err
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "tile.example.org" in html  # the one online resource, asked for explicitly
    assert 'dir="rtl"' in html or "direction: rtl" in html or "'rtl'" in html or '"rtl"' in html
    assert "مالي" in html or "النيجر" in html  # country names in Arabic


def test_no_tiles_unless_asked(demo_dirs):
    for d in demo_dirs.values():
        html = (d / "map.html").read_text(encoding="utf-8")
        assert "tile.example.org" not in html and "tile.openstreetmap" not in html
