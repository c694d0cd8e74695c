"""DBSCAN point clusters of partitioned input from distinct locations equal the default
engine's (LocalCluster, 4 files, stacks, near-duplicate locations, a border location
reachable from two clusters)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask_geopandas")
pytest.importorskip("distributed")

from _partitions import analyze_on_cluster, demo_inputs, write_parts  # noqa: E402
from borderwatch.clusters import label_points  # noqa: E402
from borderwatch.pipeline import analyze  # noqa: E402

pytestmark = pytest.mark.slow

OPTS = {
    "view": "internal",
    "permutations": 0,
    "scan_replicates": 0,
    "cluster_replicates": 19,
    "clusters_all": True,
    "cell_km": 20,
    "eps_km": 1.5,
    "min_samples": 5,
}
KM = 1 / 108.0  # degrees of longitude per km near 14 N (about)


def _planted(lon: float, lat: float) -> pd.DataFrame:
    """Two clusters west and east of a border location ``b`` (3 neighbours with
    itself: not core, reachable from both); the east cluster's rows come first, the west
    one is larger; a stack and two reports 3 cm apart."""
    east = [(lon + 1.3 * KM, lat)] + [(lon + 2.5 * KM, lat)] * 5 + [(lon + 2.6 * KM, lat)]
    west = [(lon - 1.3 * KM, lat)] + [(lon - 2.5 * KM, lat)] * 7
    west += [(lon - 2.5 * KM, lat + 0.0000003)] * 2  # 3 cm north: another exact location
    rows = east[:4] + [(lon, lat)] + west[:5] + east[4:] + west[5:]
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=len(rows), freq="D").strftime("%Y-%m-%d"),
            "longitude": [p[0] for p in rows],
            "latitude": [p[1] for p in rows],
            "category": "theft",
        }
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("dclu")
    units, inc = demo_inputs(300)
    centre = units.to_crs(4326).geometry.iloc[0].representative_point()
    planted = _planted(centre.x, centre.y)
    cols = ["date", "longitude", "latitude", "category"]
    third = len(inc) // 3
    rows = pd.concat(  # the planted rows spread over the files
        [inc[cols].iloc[:third], planted.iloc[:8], inc[cols].iloc[third:], planted.iloc[8:]],
        ignore_index=True,
    )
    write_parts(rows, d / "parts")
    return units, d, centre


def test_point_clusters_from_distinct_locations_equal_the_default(data):
    units, d, centre = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = analyze(units, d / "all.csv", **OPTS)
    res = analyze_on_cluster(units, d / "parts", **OPTS)
    # the border location is not core and joins one of two clusters
    lab = label_points(ref.incidents, eps_km=1.5, min_samples=5, crs=ref.crs)
    at = (np.abs(lab.geometry.x - centre.x) < 1e-9) & (np.abs(lab.geometry.y - centre.y) < 1e-9)
    assert (
        at.sum() == 1 and not lab.loc[at, "core"].iloc[0] and lab.loc[at, "cluster_id"].iloc[0] > 0
    )
    assert res.summary["dask"]["clusters"]["from"] == "distinct locations"
    assert res.summary["dask"]["sampled_for"] == ["incidents"]
    assert len(ref.clusters) >= 2
    cols = [c for c in ref.clusters.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.clusters[cols]),
        pd.DataFrame(ref.clusters[cols]),
        check_exact=False,
        rtol=1e-9,
    )
    assert res.clusters.geometry.geom_equals_exact(ref.clusters.geometry, 1e-9).all()
    assert res.summary["clusters"] == ref.summary["clusters"]


def test_too_many_locations_fall_back_to_the_sample(data):
    units, d, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(units, d / "parts", engine="dask", dask_sample=50, **OPTS)
    how = res.summary["dask"]["clusters"]
    assert how["from"] == "sample" and "more than dask_sample=50" in how["why"]
    assert "clusters" in res.summary["dask"]["sampled_for"]


def test_no_cluster_gives_the_default_engines_empty_layer(data):
    units, d, _ = data
    opts = {**OPTS, "eps_km": 0.001, "min_samples": 50, "cluster_replicates": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = analyze(units, d / "all.csv", **opts)
        res = analyze(units, d / "parts", engine="dask", **opts)
    assert (
        len(ref.clusters) == 0 and res.summary["dask"]["clusters"]["from"] == "distinct locations"
    )
    assert res.clusters.dtypes.equals(ref.clusters.dtypes) and list(res.clusters) == list(
        ref.clusters
    )
    assert res.summary["clusters"] == ref.summary["clusters"]


def test_every_incident_in_a_cluster(data):
    """Every incident of a partition in a cluster (its fields' pass has no NaN to fill)."""
    units, d, _ = data
    opts = {**OPTS, "eps_km": 500.0, "min_samples": 1, "cluster_replicates": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = analyze(units, d / "all.csv", **opts)
        res = analyze(units, d / "parts", engine="dask", **opts)
    assert int(ref.clusters["n_incidents"].sum()) == ref.summary["n_incidents"]
    cols = [c for c in ref.clusters.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.clusters[cols]), pd.DataFrame(ref.clusters[cols])
    )
