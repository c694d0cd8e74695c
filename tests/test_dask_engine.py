"""The dask engine on partitioned input equals the default engine (LocalCluster, 4 files)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

from borderwatch._dask import is_partitioned, partition_sources  # noqa: E402
from borderwatch.datasets import demo_incidents, demo_units  # noqa: E402
from borderwatch.pipeline import analyze  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("parts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = demo_units()
        inc = demo_incidents(n_background=800, units=units)
    (d / "parts").mkdir()
    bounds = np.linspace(0, len(inc), 5).astype(int)
    for i in range(4):
        inc.iloc[bounds[i] : bounds[i + 1]].to_csv(d / "parts" / f"part-{i}.csv", index=False)
    inc.to_csv(d / "all.csv", index=False)
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
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster:
            res = analyze(
                units, d / "parts", engine="dask", scheduler=cluster.scheduler_address, **opts
            )
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
