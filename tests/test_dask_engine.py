"""The dask engine on partitioned input equals the default engine (LocalCluster, 4 files)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

from _partitions import analyze_on_cluster, demo_inputs, two_workers, write_parts  # noqa: E402
from borderwatch._dask import is_partitioned, partition_sources  # noqa: E402
from borderwatch._errors import DataError  # noqa: E402
from borderwatch.datasets import demo_meetings  # noqa: E402
from borderwatch.pipeline import analyze  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("parts")
    units, inc = demo_inputs(800)
    write_parts(inc, d / "parts")
    return units, d


def test_partitioned_sources(inputs):
    _, d = inputs
    assert is_partitioned(d / "parts") and is_partitioned(str(d / "parts" / "*.csv"))
    assert not is_partitioned(d / "all.csv")
    assert [p.rsplit("/", 1)[-1] for p in partition_sources(d / "parts")] == [
        f"part-{i}.csv" for i in range(4)
    ]


def test_dask_engine_equals_default_on_a_local_cluster(inputs):
    units, d = inputs
    opts = {"view": "internal", "permutations": 99, "scan_replicates": 19, "cluster_replicates": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = analyze(units, d / "all.csv", **opts)
    res = analyze_on_cluster(units, d / "parts", **opts)
    assert res.summary["engine"] == "dask" and res.summary["partitions"] == 4
    assert res.summary["n_incidents"] == ref.summary["n_incidents"]
    assert res.units["incidents"].tolist() == ref.units["incidents"].tolist()
    assert res.counts.equals(ref.counts)
    for col in ("count", "gi_z", "gi_p_fdr"):
        np.testing.assert_array_equal(res.cells[col].to_numpy(), ref.cells[col].to_numpy())
    assert res.cells["hotspot_kind"].tolist() == ref.cells["hotspot_kind"].tolist()
    assert len(res.scan) == len(ref.scan)
    for col in ("n_incidents", "expected", "p_value"):
        np.testing.assert_array_equal(res.scan[col].to_numpy(), ref.scan[col].to_numpy())
    assert res.incidents["id"].tolist() == ref.incidents["id"].tolist()


# ------------------------------------------------------------------ Parquet: only the needed columns


@pytest.fixture(scope="module")
def parquet_parts(inputs):
    """The four partitions as GeoParquet, each with a wide ``notes`` column that no step
    needs, and whose data pages are then overwritten with garbage: reading that column
    fails, so a run that succeeds never read it."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    units, d = inputs
    out = d / "geoparquet"
    out.mkdir()
    for i in range(4):
        part = pd.read_csv(d / "parts" / f"part-{i}.csv", dtype=str)
        gdf = gpd.GeoDataFrame(
            part.drop(columns=["longitude", "latitude"]).assign(notes="x" * 2_000),
            geometry=gpd.points_from_xy(
                part["longitude"].astype(float), part["latitude"].astype(float)
            ),
            crs=4326,
        )
        path = out / f"part-{i}.parquet"
        gdf.to_parquet(path)
        meta = pq.ParquetFile(path).metadata
        j = meta.schema.names.index("notes")
        raw = bytearray(path.read_bytes())
        for g in range(meta.num_row_groups):
            col = meta.row_group(g).column(j)
            start = col.dictionary_page_offset or col.data_page_offset
            raw[start : start + col.total_compressed_size] = b"\xff" * col.total_compressed_size
        path.write_bytes(bytes(raw))
    with pytest.raises(Exception):  # noqa: B017, PT011 - any reader error: the column is broken
        pd.read_parquet(out / "part-0.parquet")
    assert len(pd.read_parquet(out / "part-0.parquet", columns=["category"])) > 0
    return units, out


def test_needed_columns_follow_detection_and_options():
    from borderwatch._dask import needed_columns

    names = ["ID", "Longitude", "Latitude", "Fecha", "Crime", "narrative", "photo"]
    assert needed_columns(names, {}) == ["ID", "Longitude", "Latitude", "Fecha", "Crime"]
    assert needed_columns([*names, "geometry"], {"time_col": "photo"})[-1] == "photo"
    assert needed_columns(["x", "y", "narrative"], {}) is None  # no time column: all are read


def test_memory_filesystem_parquet_reads_only_needed_columns(parquet_parts):
    """fsspec's memory:// stands in for s3://: the broken wide column is never read."""
    import fsspec

    from borderwatch._dask import read_parquet_columns

    units, d = parquet_parts
    fs = fsspec.filesystem("memory")
    for i in range(4):
        fs.pipe(f"/bw-parts/part-{i}.parquet", (d / f"part-{i}.parquet").read_bytes())
    one = read_parquet_columns("memory://bw-parts/part-0.parquet", {})
    assert {"incident_id", "date", "category", "country", "geometry"} <= set(one.columns)
    assert not {"description", "notes"} & set(one.columns)
    opts = {"view": "internal", "permutations": 0, "scan_replicates": 0, "cluster_replicates": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(units, "memory://bw-parts/*.parquet", engine="dask", **opts)
        ref = analyze(units, d.parent / "all.csv", **opts)
    assert res.summary["partitions"] == 4 and "notes" not in res.incidents.columns
    assert res.summary["n_incidents"] == ref.summary["n_incidents"]
    assert res.counts.equals(ref.counts)
    assert res.units["incidents"].tolist() == ref.units["incidents"].tolist()


def test_cli_local_parquet_folder_with_dask(parquet_parts, tmp_path):
    import json

    from borderwatch import cli

    units, d = parquet_parts
    units.to_file(tmp_path / "units.geojson")
    (tmp_path / "fast.toml").write_text("cluster_replicates = 0\n")
    code = cli.main(
        [
            "analyze",
            "--units",
            str(tmp_path / "units.geojson"),
            "--incidents",
            str(d),
            "--engine",
            "dask",
            "--partitions",
            "2",
            "--out",
            str(tmp_path / "out"),
            "--view",
            "internal",
            "--permutations",
            "0",
            "--scan-replicates",
            "0",
            "--config",
            str(tmp_path / "fast.toml"),
            "--quiet",
        ]
    )
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["engine"] == "dask" and summary["partitions"] == 2
    assert summary["n_incidents"] > 800


# ------------------------------------------------------------------ aggregates, not rows


@pytest.fixture(scope="module")
def stacked(tmp_path_factory):
    """4 files of incidents reported at 150 places (village or district centroids, as much
    real data is geocoded): far fewer distinct locations than incidents."""
    from scipy.spatial import cKDTree

    d = tmp_path_factory.mktemp("stacked")
    units, inc = demo_inputs(1_500)
    xy = inc[["longitude", "latitude"]].to_numpy()
    places = xy[np.random.default_rng(3).choice(len(xy), 150, replace=False)]
    _, nearest = cKDTree(places).query(xy)
    inc = inc.assign(longitude=places[nearest, 0], latitude=places[nearest, 1])
    write_parts(inc, d / "parts")
    demo_meetings().to_csv(d / "meetings.csv", index=False)  # the effectiveness' events
    return units, d, len(inc)


#: The options of the runs on the ``stacked`` files.
STACKED_OPTS = {
    "view": "internal",
    "permutations": 99,
    "scan_replicates": 19,
    "cluster_replicates": 0,
    "period": "year",
}


@pytest.fixture(scope="module")
def stacked_ref(stacked):
    """The default engine on the ``stacked`` incidents in one file."""
    units, d, _ = stacked
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(units, d / "all.csv", d / "meetings.csv", **STACKED_OPTS)


def test_aggregates_equal_the_default_engine_and_no_rows_reach_the_client(stacked, stacked_ref):
    from borderwatch._dask_agg import aggregate_statistics
    from borderwatch.settings import Settings

    units, d, n = stacked
    opts, ref = STACKED_OPTS, stacked_ref
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with two_workers() as cluster:
            agg = aggregate_statistics(
                units,
                d / "parts",
                settings=Settings(**opts),
                scheduler=cluster.scheduler_address,
            )
    assert agg.partitions == 4 and agg.n_incidents == ref.summary["n_incidents"] == n
    # every task sent aggregates: its largest table has far fewer rows than the incidents
    assert agg.largest < n / 8, (agg.largest, n)
    assert agg.counts.equals(ref.counts)
    pd.testing.assert_frame_equal(
        agg.units.drop(columns="geometry"),
        ref.units.drop(columns="geometry")[agg.units.columns[:-1]],
    )
    assert agg.cells["cell_id"].tolist() == ref.cells["cell_id"].tolist()
    for col in ("count", "gi_z", "gi_p", "gi_p_fdr", "moran_i", "moran_p", "area_km2", "x_m"):
        np.testing.assert_array_equal(agg.cells[col].to_numpy(), ref.cells[col].to_numpy())
    assert ref.cells["trend_class"].nunique() > 1
    for col in ("hotspot_kind", "hotspot_confidence", "trend_class", "moran_class", "countries"):
        assert agg.cells[col].tolist() == ref.cells[col].tolist()
    assert (ref.cells["hotspot_kind"] == "hot").any() and len(ref.scan) > 0
    pd.testing.assert_frame_equal(
        pd.DataFrame(agg.scan.drop(columns="geometry")),
        pd.DataFrame(ref.scan.drop(columns="geometry")),
    )
    assert ref.scan["cross_border"].any() and (ref.scan["n_locations"] > 1).all()
    assert len(ref.hotspots) > 1
    pd.testing.assert_frame_equal(
        pd.DataFrame(agg.regions.drop(columns="geometry")),
        pd.DataFrame(ref.hotspots.drop(columns="geometry")),
    )


def test_default_engine_reads_only_the_needed_parquet_columns(parquet_parts):
    """One Parquet file, no dask: the broken wide column is not read either, and messages
    name the file (not ``<DataFrame>``)."""
    from borderwatch.io import load_incidents

    units, d = parquet_parts
    path = d / "part-0.parquet"
    loaded = load_incidents(path, units=units)
    assert len(loaded.frame) > 0 and "notes" not in loaded.frame.columns
    with pytest.raises(DataError) as err:  # a named column that is not there
        load_incidents(path, category_col="no_such_column")
    assert str(path) in str(err.value) and "<DataFrame>" not in str(err.value)


# ------------------------------------------------------------------ analyze(engine="dask") on aggregates


class _Returned:
    """``dask.compute`` wrapped: the most rows of any table (a frame, or an array of
    coordinate pairs) a task sent back to the client."""

    def __init__(self, compute):
        self.compute, self.largest = compute, 0

    def _rows(self, value):
        if isinstance(value, pd.DataFrame | pd.Series):
            self.largest = max(self.largest, len(value))
        elif isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == 2:
            self.largest = max(self.largest, len(value))
        elif isinstance(value, list | tuple):
            for v in value:
                self._rows(v)
        elif isinstance(value, dict):
            for v in value.values():
                self._rows(v)
        else:
            for v in getattr(value, "__dict__", {}).values():  # dataclasses of aggregates
                self._rows(v)

    def __call__(self, *args, **kwargs):
        out = self.compute(*args, **kwargs)
        self._rows(out)
        return out


def test_analyze_dask_runs_on_aggregates_and_equals_the_default_engine(
    stacked, stacked_ref, monkeypatch
):
    """Every count, cell statistic, the scan, the regions, the density and the summary's
    totals equal the default engine's, while the client only ever receives aggregates
    and a sample of 300 incidents (of about 2,300)."""
    import dask

    units, d, n = stacked
    ref = stacked_ref
    returned = _Returned(dask.compute)
    monkeypatch.setattr(dask, "compute", returned)
    res = analyze_on_cluster(
        units, d / "parts", d / "meetings.csv", dask_sample=300, **STACKED_OPTS
    )
    assert n > 2_000 and returned.largest <= 300, returned.largest
    assert len(res.incidents) == 300 and res.incidents["id"].is_unique
    assert set(res.incidents["id"]) <= set(ref.incidents["id"])
    dask_record = res.summary["dask"]
    assert dask_record["sample"] == 300 and dask_record["sampled"]
    assert {"cells", "scan", "hotspots", "density"} <= set(dask_record["aggregated"])
    # 150 distinct locations (at most dask_sample): the point clusters come from them
    assert dask_record["sampled_for"] == ["incidents"] and "gathered" not in dask_record
    assert dask_record["clusters"]["from"] == "distinct locations"
    # the summary's totals and every part made from aggregates
    for key in (
        "n_incidents", "n_sensitive", "date_first", "date_last", "date_precision", "join",
        "dropped_invalid", "crs", "crs_centre", "cell_km", "islands", "unit_weights",
        "unit_islands", "n_hotspot_cells", "n_hotspots", "n_cross_border_hotspots", "scan",
        "density", "grid", "counts_period", "period", "inputs", "border", "countries",
    ):  # fmt: skip
        assert res.summary[key] == ref.summary[key], key
    assert res.summary["n_incidents"] == n and res.summary["partitions"] == 4
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.units.drop(columns="geometry")),
        pd.DataFrame(ref.units.drop(columns="geometry")),
    )
    assert res.counts.equals(ref.counts)
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.cells.drop(columns="geometry")),
        pd.DataFrame(ref.cells.drop(columns="geometry")),
    )
    assert ref.cells["trend_class"].nunique() > 1 and (ref.cells["hotspot_kind"] == "hot").any()
    assert len(ref.scan) > 0 and len(ref.hotspots) > 1
    assert len(ref.clusters) > 1
    for mine, theirs in (
        (res.scan, ref.scan), (res.hotspots, ref.hotspots), (res.clusters, ref.clusters)
    ):  # fmt: skip
        pd.testing.assert_frame_equal(
            pd.DataFrame(mine.drop(columns="geometry")),
            pd.DataFrame(theirs.drop(columns="geometry")),
        )
        assert mine.geometry.geom_equals_exact(theirs.geometry, 1e-9).all()
    assert res.summary["clusters"] == ref.summary["clusters"]
    pd.testing.assert_frame_equal(_frame(res.planning.coverage), _frame(ref.planning.coverage))
    np.testing.assert_array_equal(res.density.support, ref.density.support)
    np.testing.assert_allclose(res.density.values, ref.density.values, rtol=1e-9, atol=1e-12)
    assert res.density.transform == ref.density.transform and ref.density.values.max() > 0
    assert res.priorities is not None and len(res.priorities) > 0


def _frame(table):
    return pd.DataFrame(table.drop(columns="geometry") if "geometry" in table else table)


def test_dask_evaluation_and_planning_come_from_aggregates_not_the_sample(stacked, stacked_ref):
    """With a sample of 50 of about 2,300 incidents, the PAI, the evaluation on a temporal
    split, the priorities and every planning table (but the coverage rows of the point
    clusters, which come from the sample) equal the default engine's on all rows; the
    same steps run on the sample give other figures."""
    from borderwatch.evaluate import hotspot_pai
    from borderwatch.planning import plan, priorities

    units, d, n = stacked
    ref = stacked_ref
    res = analyze_on_cluster(units, d / "parts", d / "meetings.csv", dask_sample=50, **STACKED_OPTS)
    assert len(res.incidents) == 50 and n > 2_000
    record = res.summary["dask"]
    assert record["sampled_for"] == ["incidents", "clusters"]
    assert {"pai", "evaluation", "planning", "priorities"} <= set(record["aggregated"])
    assert ref.summary["pai"] is not None and len(ref.summary["evaluation"]) == 17
    assert res.summary["pai"] == ref.summary["pai"]
    assert res.summary["evaluation"] == ref.summary["evaluation"]
    pd.testing.assert_frame_equal(_frame(res.priorities), _frame(ref.priorities))
    assert len(ref.priorities) > 3 and ref.priorities["recent_incidents"].sum() > 0
    for name in ("representation", "effectiveness", "sources", "source_flags", "actions"):
        pd.testing.assert_frame_equal(
            _frame(getattr(res.planning, name)), _frame(getattr(ref.planning, name)), obj=name
        )
    assert len(ref.planning.effectiveness) > 0 and len(ref.planning.sources) > 0
    mine, theirs = (
        p.coverage[p.coverage["kind"] != "cluster"] for p in (res.planning, ref.planning)
    )
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), theirs.reset_index(drop=True))
    keep = ("as_of", "n_unit_gaps", "n_effects", "n_clear_drops", "n_source_flags", "n_priorities")
    assert {k: res.summary["planning"][k] for k in keep} == {
        k: ref.summary["planning"][k] for k in keep
    }
    # the same steps on the sample of 50 (what the engine did before) give other figures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on_sample = priorities(res, res.settings)
        sampled_plan = plan(res, res.settings)
        pai = hotspot_pai(res.incidents, ref.cells.to_crs(res.crs), alpha=res.settings.alpha)
    assert on_sample["n_incidents"].sum() < ref.priorities["n_incidents"].sum()
    assert not sampled_plan.sources.equals(ref.planning.sources)
    assert pai != ref.summary["pai"]


def test_partitions_join_or_split_the_files(stacked, stacked_ref):
    """``partitions`` joins neighbouring files or splits each file in blocks (on the
    workers): the same counts, and the stack order (so the scan's null) kept."""
    from borderwatch._dask_agg import aggregate_statistics
    from borderwatch.settings import Settings

    units, d, _ = stacked
    fast = {**STACKED_OPTS, "permutations": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        two, six = (
            aggregate_statistics(units, d / "parts", settings=Settings(**fast, partitions=k))
            for k in (2, 6)
        )
    assert two.partitions == 2 and six.partitions == 6
    for agg in (two, six):
        assert agg.counts.equals(stacked_ref.counts)
        np.testing.assert_array_equal(agg.cells["count"], stacked_ref.cells["count"])
        for col in ("n_incidents", "llr", "p_value"):
            np.testing.assert_array_equal(agg.scan[col], stacked_ref.scan[col])


def test_only_input_that_is_not_partitioned_gathers(inputs):
    """No option makes partitioned input gather the rows: the public view runs on the
    workers (:mod:`borderwatch._dask_public`), a population raster is read on the client
    (tests/test_dask_population.py). One file with ``engine="dask"`` is gathered, and
    the summary says why."""

    units, d = inputs
    fast = {"permutations": 0, "scan_replicates": 0, "cluster_replicates": 0, "cell_km": 25}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(units, d / "parts", engine="dask", view="public", **fast)
        one = analyze(units, d / "all.csv", engine="dask", view="internal", **fast)
    assert res.view == "public" and "gathered" not in res.summary["dask"]
    assert res.cells["lattice_id"].notna().all()  # the public view's cells: the lattice
    assert one.summary["dask"] == {
        "gathered": True,
        "why": "the incidents are one file or a frame, not partitioned input",
    }


#: Options of the public-view runs (quick; the scan on, so scan shapes and priorities exist).
PUBLIC_OPTS = {"permutations": 0, "scan_replicates": 19, "cluster_replicates": 0, "cell_km": 25}
#: Summary keys made from the sample (the point clusters, and the planning's count of their
#: gaps) or saying the engine; the PAI and the evaluation come from aggregates (_dask_eval).
SAMPLED_KEYS = {"engine", "partitions", "dask", "clusters", "planning"}


def _public_files(out):
    """What a public output directory says, file by file, for comparing two runs."""
    import json

    import geopandas as gpd

    summary = json.loads((out / "summary.json").read_text())
    files = {"summary": {k: v for k, v in summary.items() if k not in SAMPLED_KEYS}}
    for name in ("units.csv", "counts.csv"):
        files[name] = pd.read_csv(out / name)
    for layer in ("units", "cells", "hotspots"):
        files[layer] = gpd.read_file(out / "hotspots.gpkg", layer=layer)
    return files, pd.read_csv(out / "priorities.csv")


def test_dask_public_view_equals_the_default_engines_public_view(inputs, tmp_path):
    """``analyze(engine="dask", view="public")`` on a folder writes the default engine's
    public files, with a sample of 50 incidents (of about 1,000): every cell key, redaction
    and vertex check covers all rows, on the workers; nothing is gathered."""
    from borderwatch.outputs import write_outputs

    units, d = inputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # quick: no scan (its shapes in the next test), cells of 40 km
        opts = {**PUBLIC_OPTS, "scan_replicates": 0, "cell_km": 40}
        ref = analyze(units, d / "all.csv", view="public", **opts)
    res = analyze_on_cluster(units, d / "parts", view="public", dask_sample=50, **opts)
    assert "gathered" not in res.summary["dask"]
    assert res.summary["dask"]["sample"] == 50 and res.summary["n_incidents"] > 900
    quick = {"static": False, "handout": False}
    mine, my_priorities = _public_files(write_outputs(res, tmp_path / "dask", **quick))
    theirs, their_priorities = _public_files(write_outputs(ref, tmp_path / "default", **quick))
    said = mine["summary"]["warnings"]  # less the dask engine's own: "... use a sample ..."
    mine["summary"]["warnings"] = [w for w in said if "use a sample of 50" not in w]
    assert mine["summary"] == theirs["summary"]
    for name in ("units.csv", "counts.csv"):
        pd.testing.assert_frame_equal(mine[name], theirs[name])
    assert mine["cells"]["count"].notna().any() and len(theirs["hotspots"]) > 1
    for layer in ("units", "cells", "hotspots"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(mine[layer].drop(columns="geometry")),
            pd.DataFrame(theirs[layer].drop(columns="geometry")),
        )
        assert mine[layer].geometry.geom_equals_exact(theirs[layer].geometry, 1e-9).all()
    # the priorities are ranked by the planning on the sample; their published counts of
    # incidents come from every row
    key = ["kind", "area_id"]
    mine_n = my_priorities.set_index(key)["n_incidents"].sort_index()
    assert mine_n.equals(their_priorities.set_index(key)["n_incidents"].sort_index())
    # the public sources table (wave 20): perturbed with the cell keys of every row, on
    # the workers, as by the default engine
    assert res.planning.sources is not None and len(ref.planning.sources)
    pd.testing.assert_frame_equal(res.planning.sources, ref.planning.sources)


def test_dask_public_view_finds_what_is_not_in_the_sample(inputs):
    """An incident id, free text and coordinates of an incident that is not in the sample
    are redacted from the summary, and the keys and vertex checks cover it: the public view
    with the workers' records equals the one with every incident in memory."""
    from borderwatch._dask import partition_sources
    from borderwatch._dask_public import DaskRecords
    from borderwatch.privacy import public_view
    from borderwatch.settings import Settings

    units, d = inputs
    opts = {**PUBLIC_OPTS, "view": "internal"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        internal = analyze(units, d / "all.csv", **opts)
    last = internal.incidents.iloc[-1]  # in the last file, not in the sample below
    p = last.geometry
    said = (
        f"incident {last['id']} said {last['description']} reported at "
        f"{p.x:.5f}, {p.y:.5f} was checked by hand"
    )
    planted = internal.replace(
        cells=None, summary={**internal.summary, "warnings": [said]}
    )  # without cells: every shape on the lattice, each corner checked against the incidents
    sample = planted.replace(incidents=planted.incidents.iloc[:50])
    assert last["id"] not in set(sample.incidents["id"])
    records = DaskRecords(
        None, units=units, files=partition_sources(d / "parts"), settings=Settings(**opts)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = public_view(planted)
        workers = public_view(sample, records=records)
        alone = public_view(sample)  # what the sample alone would say: it misses the incident
    text = workers.summary["warnings"][0]
    assert str(last["id"]) not in text and f"{p.x:.5f}" not in text
    assert str(last["description"]) not in text
    assert "[id]" in text and "[text]" in text and "[coordinate]" in text
    assert f"{p.x:.5f}" in alone.summary["warnings"][0]  # the sample alone misses it
    assert workers.summary == every.summary
    assert len(every.scan) > 0 and len(every.hotspots) > 1
    for layer in ("units", "counts", "hotspots", "scan", "priorities"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(getattr(workers, layer)), pd.DataFrame(getattr(every, layer))
        )


#: The files of a public view with static maps and priorities, as the default engine writes
#: them for the demo (docs/outputs.md; tests/test_cli.py checks the demo's).
PUBLIC_FILES = {
    "summary.json", "hotspots.gpkg", "units.csv", "counts.csv", "density.tif", "map.html",
    "map.png", "map.pdf", "priorities.csv", "action_plan.xlsx",
}  # fmt: skip


def test_cli_dask_on_a_folder_writes_every_output_file(inputs, cli, tmp_path):
    """``borderwatch analyze --engine dask --partitions 4`` on a folder of CSV files (a
    subprocess, the default public view) writes every file of the default engine's
    public view, without gathering the incidents, and they leak nothing. (The module's
    four parts, not the whole demo, and no shared demo outputs: the test stays well under
    30 s on a busy machine, issue 7.)"""
    import json

    from borderwatch import read_incidents, scan_for_leaks

    units, d = inputs
    inc = pd.read_csv(d / "all.csv")
    units.to_file(tmp_path / "units.geojson")
    # no meetings: they add no file, and the dask engine's planning with meetings is
    # tested on the ``stacked`` files
    (tmp_path / "fast.toml").write_text("cluster_replicates = 0\ndask_sample = 500\n")
    code, _, err = cli(
        "analyze", "--units", tmp_path / "units.geojson", "--incidents", d / "parts",
        "--engine", "dask", "--partitions", "4",
        "--out", tmp_path / "out", "--permutations", "0",
        "--scan-replicates", "0", "--config", tmp_path / "fast.toml", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    written = {p.name for p in (tmp_path / "out").rglob("*")}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written == set(summary["files"]) == PUBLIC_FILES, written ^ PUBLIC_FILES
    assert summary["engine"] == "dask" and summary["partitions"] == 4
    assert summary["view"] == "public" and summary["dask"]["sample"] == 500
    assert "gathered" not in summary["dask"]
    assert abs(summary["n_incidents"] - len(inc)) <= 2 and len(inc) > 500  # perturbed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        incidents = read_incidents(inc, units=units)
    assert scan_for_leaks(tmp_path / "out", incidents, crs=summary["crs"], k=5) == []
