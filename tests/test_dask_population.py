"""The dask engine with a population raster: read on the client, no row gathered, and
the same units, scan and per-capita density as the default engine (LocalCluster, 4 files)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")
rasterio = pytest.importorskip("rasterio")

from _partitions import analyze_on_cluster, demo_inputs, write_parts  # noqa: E402
from borderwatch.pipeline import analyze  # noqa: E402

pytestmark = pytest.mark.slow

OPTS = {
    "view": "internal",
    "permutations": 0,
    "scan_replicates": 19,
    "cluster_replicates": 0,
    "period": "year",
    "cell_km": 25,
}


def _raster(path, units) -> None:
    """A population-count GeoTIFF over the units' western part (0.1 degree pixels): people
    rise from west to east, so the population at risk differs from the cells' areas, and
    the eastern units are not covered (their population and rate stay empty)."""
    from rasterio.transform import from_origin

    x0, y0, x1, y1 = units.to_crs(4326).total_bounds
    west = x0 + 0.7 * (x1 - x0)
    width, height = int(np.ceil((west - x0) / 0.1)), int(np.ceil((y1 - y0) / 0.1))
    values = np.tile(np.linspace(50.0, 5_000.0, width, dtype="float32"), (height, 1))
    values[: height // 3, : width // 4] = 0.0  # an empty corner: the scan's token population
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(x0, y1, 0.1, 0.1),
        nodata=-1.0,
    ) as dst:
        dst.write(values, 1)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("population")
    units, inc = demo_inputs(600)
    write_parts(inc, d / "parts")
    _raster(d / "pop.tif", units)
    return units, d


def test_population_runs_on_aggregates_and_equals_the_default_engine(inputs):
    units, d = inputs
    opts = {**OPTS, "population": d / "pop.tif"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = analyze(units, d / "all.csv", **opts)
    res = analyze_on_cluster(units, d / "parts", **opts)
    assert "gathered" not in res.summary["dask"] and res.summary["partitions"] == 4
    # units: population and rates (empty where the raster does not cover the unit)
    assert ref.units["population"].isna().any() and (ref.units["population"] > 0).sum() >= 5
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.units.drop(columns="geometry")),
        pd.DataFrame(ref.units.drop(columns="geometry")),
    )
    # the scan's population at risk is the raster's, as in the default engine
    assert res.summary["scan"] == ref.summary["scan"] and len(ref.scan) > 0
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.scan.drop(columns="geometry")),
        pd.DataFrame(ref.scan.drop(columns="geometry")),
    )
    # a different population at risk gives a different scan: the raster was used
    area = analyze(units, d / "all.csv", **OPTS)
    assert not np.array_equal(area.scan["llr"].to_numpy(), ref.scan["llr"].to_numpy())
    # the density: kernel rates per 100,000 people, NaN where there is no population
    assert res.density.per_capita and ref.density.per_capita
    np.testing.assert_allclose(res.density.values, ref.density.values, rtol=1e-9, atol=1e-12)
    assert np.isnan(ref.density.values).any() and np.nanmax(ref.density.values) > 0
    assert res.summary["density"] == ref.summary["density"]
