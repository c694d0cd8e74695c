"""Federated analysis (borderwatch.federation): shares hold only counts; merged == pooled."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from borderwatch import cli
from borderwatch.datasets import demo_incidents, demo_units
from borderwatch.federation import SHARE_COLUMNS, read_shared, share_counts, write_share
from borderwatch.hotspots import cell_hotspots
from borderwatch.io import read_incidents
from borderwatch.join import join_units
from borderwatch.lattice import LATTICE_CRS, lattice_cells
from borderwatch.pipeline import analyze_shared
from borderwatch.scan import spatial_scan
from borderwatch.settings import Settings


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    d = tmp_path_factory.mktemp("fed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = demo_units()
        inc = demo_incidents(n_background=600, units=units)
    out = {"dir": d, "units": units, "incidents": inc}
    for name, codes in {"A": ["MLI"], "B": ["NER", "BFA"]}.items():
        u = units[units["country"].isin(codes)]
        i = inc[inc["country"].isin(codes)]
        for view in ("internal", "public"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = share_counts(u, i, cell_km=20, view=view)
            out[name, view] = write_share(t, d / f"{name}-{view}.parquet", cell_km=20, view=view)
    return out


def _pooled_points(sides):
    """The records of both sides together, as a pooled run would have them (inside the units)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = []
        for codes in (["MLI"], ["NER", "BFA"]):
            u = sides["units"][sides["units"]["country"].isin(codes)]
            pts = read_incidents(
                sides["incidents"][sides["incidents"]["country"].isin(codes)], units=u
            )
            j = join_units(pts, u)
            parts.append(j[j["join"] == "within"])
    return pd.concat(parts, ignore_index=True)


def test_share_holds_only_protected_counts(sides):
    table = pq.read_table(sides["A", "public"])
    assert table.column_names == SHARE_COLUMNS
    public = table.to_pandas()
    assert (public["count"] >= 5).all()  # counts 1..k-1 never leave
    internal = pq.read_table(sides["A", "internal"]).to_pandas()
    assert internal["count"].sum() > public["count"].sum()
    assert set(internal["country"]) == {"MLI"}
    assert not {"longitude", "latitude", "id", "incident_id", "description"} & set(internal.columns)


def test_shares_of_different_grids_are_refused(sides, tmp_path):
    t = pq.read_table(sides["A", "internal"]).to_pandas()
    other = write_share(t, tmp_path / "x.parquet", cell_km=40, view="internal")
    with pytest.raises(Exception, match="different cell sizes"):
        read_shared([sides["A", "internal"], other])


@pytest.mark.slow
def test_federated_equals_pooled_on_the_same_grid(sides):
    s = Settings(view="internal", permutations=99, scan_replicates=99, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fed = analyze_shared(
            sides["units"], [sides["A", "internal"], sides["B", "internal"]], settings=s
        )
        pooled = _pooled_points(sides)
        grid = lattice_cells(sides["units"], cell_km=20)
        ref = cell_hotspots(
            pooled,
            sides["units"],
            grid=grid,
            crs=LATTICE_CRS,
            weights=s.weights,
            k=s.n_neighbors,
            permutations=s.permutations,
            seed=s.seed,
            alpha=s.alpha,
        ).cells
        scan = spatial_scan(
            grid, pooled, replicates=s.scan_replicates, seed=s.seed, null="incidents", alpha=s.alpha
        ).clusters
    cells = fed.cells
    assert int(cells["count"].sum()) == len(pooled)
    np.testing.assert_array_equal(cells["count"].to_numpy(), ref["count"].to_numpy())
    np.testing.assert_allclose(cells["gi_z"].to_numpy(), ref["gi_z"].to_numpy())
    np.testing.assert_allclose(cells["gi_p_fdr"].to_numpy(), ref["gi_p_fdr"].to_numpy())
    assert cells["hotspot_kind"].tolist() == ref["hotspot_kind"].tolist()
    assert (cells["hotspot_kind"] == "hot").sum() > 0
    assert cells["trend_class"].fillna("").tolist() == ref["trend_class"].fillna("").tolist()
    assert len(fed.scan) == len(scan) > 0
    for col in ("n_incidents", "expected", "relative_risk", "p_value", "n_cells"):
        np.testing.assert_allclose(fed.scan[col].to_numpy(float), scan[col].to_numpy(float))
    assert fed.summary["shared"] == {"files": 2, "cell_km": 20, "lattice": "EPSG:6933"}
    assert len(fed.clusters) == 0  # no points: no DBSCAN


@pytest.mark.slow
def test_protected_federation_equals_pooled_protected_counts(sides, tmp_path):
    both = pd.concat(
        [pq.read_table(sides[n, "public"]).to_pandas() for n in ("A", "B")], ignore_index=True
    )
    one = write_share(both, tmp_path / "pooled.parquet", cell_km=20, view="public")
    s = Settings(view="internal", permutations=0, scan_replicates=19, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fed = analyze_shared(
            sides["units"], [sides["A", "public"], sides["B", "public"]], settings=s
        )
        pooled = analyze_shared(sides["units"], [one], settings=s)
    pd.testing.assert_frame_equal(
        fed.cells.drop(columns="geometry"), pooled.cells.drop(columns="geometry")
    )
    assert int(fed.cells["count"].sum()) == int(both["count"].sum())


@pytest.mark.slow
def test_cli_share_and_analyze_shared(sides, tmp_path):
    d = sides["dir"]
    units = d / "units.geojson"
    sides["units"].to_file(units)
    for name, codes in {"A": ["MLI"], "B": ["NER", "BFA"]}.items():
        sides["units"][sides["units"]["country"].isin(codes)].to_file(d / f"{name}.geojson")
        sides["incidents"][sides["incidents"]["country"].isin(codes)].to_csv(
            d / f"{name}.csv", index=False
        )
        code = cli.main(
            [
                "share",
                "--units",
                str(d / f"{name}.geojson"),
                "--incidents",
                str(d / f"{name}.csv"),
                "--out",
                str(tmp_path / f"{name}.parquet"),
                "--grid",
                "20",
                "--view",
                "internal",
                "--quiet",
            ]
        )
        assert code == 0
    out = tmp_path / "out"
    code = cli.main(
        [
            "analyze",
            "--units",
            str(units),
            "--shared",
            str(tmp_path / "A.parquet"),
            "--shared",
            str(tmp_path / "B.parquet"),
            "--out",
            str(out),
            "--view",
            "internal",
            "--permutations",
            "0",
            "--scan-replicates",
            "9",
            "--quiet",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shared"]["files"] == 2 and summary["grid"] == "square"
    assert (out / "map.html").exists()
