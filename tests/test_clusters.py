"""Tests of borderwatch.clusters (DBSCAN, HDBSCAN, space-time DBSCAN)."""

from __future__ import annotations

import doctest
import tracemalloc
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, box
from sklearn.cluster import DBSCAN, HDBSCAN

import borderwatch._dbscan as dbscan_module
import borderwatch.clusters as clusters_module
from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch.clusters import (
    CLUSTER_COLUMNS,
    Clusters,
    dbscan_labels,
    find_clusters,
    label_points,
    st_dbscan_labels,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UTM = "EPSG:32631"


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to a renaming of clusters (noise must match exactly)."""
    if not np.array_equal(a < 0, b < 0):
        return False
    pairs = {(int(x), int(y)) for x, y in zip(a[a >= 0], b[b >= 0], strict=True)}
    return len(pairs) == len({p[0] for p in pairs}) == len({p[1] for p in pairs})


def _sk_core(model: DBSCAN, n: int) -> np.ndarray:
    core = np.zeros(n, dtype=bool)
    core[model.core_sample_indices_] = True
    return core


@pytest.mark.parametrize("module", [clusters_module, dbscan_module], ids=["clusters", "_dbscan"])
def test_doctests(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0


def test_engines_stay_reachable_from_clusters() -> None:
    assert clusters_module.dbscan_labels is dbscan_module.dbscan_labels
    assert clusters_module.st_dbscan_labels is dbscan_module.st_dbscan_labels


def _dataset(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "blobs":
        centres = rng.uniform(0, 100, (6, 2))
        return centres[rng.integers(0, 6, n)] + rng.normal(0, 2, (n, 2))
    if kind == "uniform":
        return rng.uniform(0, 50, (n, 2))
    if kind == "grid_ties":  # integer coordinates: duplicates and distances exactly eps
        return np.round(rng.uniform(0, 15, (n, 2)))
    return np.column_stack([rng.uniform(0, 60, n), 2.0 * np.ones(n)])  # collinear


@pytest.mark.parametrize("kind", ["blobs", "uniform", "grid_ties", "collinear"])
@pytest.mark.parametrize(("eps", "min_samples"), [(1.0, 3), (2.0, 5), (3.0, 12), (1.0, 1)])
def test_dbscan_identical_to_sklearn(kind: str, eps: float, min_samples: int) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{kind}-{eps}-{min_samples}".encode()))
    xy = _dataset(kind, 1200, rng)
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(xy)
    labels, core = dbscan_labels(xy, eps=eps, min_samples=min_samples)
    np.testing.assert_array_equal(core, _sk_core(ref, len(xy)))
    np.testing.assert_array_equal(labels, ref.labels_)  # even the numbering
    assert labels.max() >= 0 or kind == "uniform"


def test_dbscan_edge_cases() -> None:
    assert dbscan_labels(np.zeros((0, 2)), eps=1, min_samples=2)[0].size == 0
    lab, core = dbscan_labels(np.array([[0.0, 0.0]]), eps=1, min_samples=2)
    assert lab.tolist() == [-1] and core.tolist() == [False]
    same = np.zeros((7, 2))  # one place, many incidents
    lab, core = dbscan_labels(same, eps=0.1, min_samples=7)
    assert lab.tolist() == [0] * 7 and core.all()
    lab, _ = dbscan_labels(same, eps=0.1, min_samples=8)
    assert (lab == -1).all()


def test_dbscan_memory_stays_bounded_on_dense_data() -> None:
    # 20,000 incidents in 1 km²: scikit-learn would hold ~4e8 neighbour indices (3 GB)
    xy = np.random.default_rng(0).uniform(0, 1, (20_000, 2))
    tracemalloc.start()
    labels, core = dbscan_labels(xy, eps=0.5, min_samples=10)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 30e6
    assert (labels == 0).all() and core.all()


@pytest.mark.parametrize("days", [0.0, 3.0, 20.0])
def test_spacetime_identical_to_sklearn_precomputed(days: float) -> None:
    rng = np.random.default_rng(int(days))
    n = 600
    centres = rng.uniform(0, 40, (5, 2))
    xy = np.round(centres[rng.integers(0, 5, n)] + rng.normal(0, 1.5, (n, 2)), 1)
    day = rng.integers(0, 60, n)
    t = (np.datetime64("2021-01-01", "ns") + day.astype("timedelta64[D]")).astype(np.int64)
    eps, min_samples = 1.5, 3
    d2 = ((xy[:, None] - xy[None]) ** 2).sum(axis=2)
    dt = np.abs(day[:, None] - day[None])
    dist = np.where((d2 <= eps * eps) & (dt <= days), 0.0, 1.0)
    ref = DBSCAN(eps=0.5, min_samples=min_samples, metric="precomputed").fit(dist)
    for budget in (50, 10**6):  # tiny chunks exercise the bounded union-find
        labels, core = st_dbscan_labels(
            xy, t, eps=eps, days=days, min_samples=min_samples, max_pairs=budget
        )
        np.testing.assert_array_equal(core, _sk_core(ref, n))
        np.testing.assert_array_equal(labels, ref.labels_)
    assert ref.labels_.max() >= 1


@pytest.mark.parametrize("seed", [None, 3, 4])
def test_components_compress_keeps_components(seed: int | None) -> None:
    edges = [(0, 1), (1, 2), (5, 6), (8, 9), (2, 0)]
    if seed is not None:  # the components do not depend on the order the edges arrive in
        edges = [edges[k] for k in np.random.default_rng(seed).permutation(len(edges))]
    comp = dbscan_module._Components(10)
    for i, j in edges:
        comp.add(np.array([i]), np.array([j]))
        comp._compress()
    lab = comp.labels()
    groups = {frozenset(np.flatnonzero(lab == v).tolist()) for v in np.unique(lab)}
    assert groups == {
        frozenset({0, 1, 2}),
        frozenset({5, 6}),
        frozenset({8, 9}),
        frozenset({3}),
        frozenset({4}),
        frozenset({7}),
    }


def test_lon_lat_order_and_distance_scale() -> None:
    # At 60°N, 0.1° of longitude is ~5.6 km but 0.1° of latitude ~11.1 km: with
    # eps = 8 km only the east-west pair may cluster. A swapped order would invert it.
    geod = Geod(ellps="WGS84")
    ew = geod.inv(10.0, 60.0, 10.1, 60.0)[2] / 1000
    ns = geod.inv(10.0, 60.0, 10.0, 60.1)[2] / 1000
    assert ew < 8 < ns
    pts = gpd.GeoDataFrame(
        {"pair": ["ew", "ew", "ns", "ns"]},
        geometry=gpd.points_from_xy([10.0, 10.1, 12.0, 12.0], [60.0, 60.0, 60.0, 60.1]),
        crs=4326,
    )
    out = label_points(pts, eps_km=8.0, min_samples=2)
    assert out["cluster_id"].tolist() == [1, 1, -1, -1]
    # the projected distance is the geodesic one within 0.1 %
    m = pts.to_crs(study_crs(pts))
    d_proj = m.geometry.iloc[0].distance(m.geometry.iloc[1]) / 1000
    assert d_proj == pytest.approx(ew, rel=1e-3)
    # eps just below / above the true distance decides
    assert label_points(pts, eps_km=ew * 0.995, min_samples=2)["cluster_id"].max() == -1
    assert label_points(pts, eps_km=ew * 1.005, min_samples=2)["cluster_id"].max() == 1


def test_label_points_matches_sklearn_on_geographic_input() -> None:
    rng = np.random.default_rng(4)
    lon = np.concatenate(
        [rng.normal(1.0, 0.05, 300), rng.normal(2.0, 0.03, 200), rng.uniform(0, 3, 100)]
    )
    lat = np.concatenate(
        [rng.normal(14.0, 0.05, 300), rng.normal(13.5, 0.03, 200), rng.uniform(13, 15, 100)]
    )
    pts = gpd.GeoDataFrame({"v": np.arange(600)}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    pts.index = pd.RangeIndex(100, 700)
    original = pts.copy()
    out = label_points(pts, eps_km=2.0, min_samples=6)
    assert pts.equals(original)  # input untouched
    assert out.index.equals(pts.index) and out.crs == pts.crs
    xy = pts.to_crs(study_crs(pts)).get_coordinates().to_numpy() / 1000
    ref = DBSCAN(eps=2.0, min_samples=6).fit(xy)
    assert _same_partition(out["cluster_id"].to_numpy(), ref.labels_)
    np.testing.assert_array_equal(out["core"].to_numpy(), _sk_core(ref, 600))
    sizes = out.loc[out["cluster_id"] > 0, "cluster_id"].value_counts().sort_index()
    assert sizes.is_monotonic_decreasing  # 1 = largest
    assert sizes.index[0] == 1


def _cross_border_scene() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A planted cluster straddling the MLI/NER border at lon 2°E, one in NER only."""
    rng = np.random.default_rng(5)
    n1, n2 = 40, 30
    lon1 = 2.0 + rng.normal(0, 0.01, n1)
    lat1 = 14.0 + rng.normal(0, 0.01, n1)
    lon2 = 2.6 + rng.normal(0, 0.008, n2)
    lat2 = 13.2 + rng.normal(0, 0.008, n2)
    noise_lon, noise_lat = rng.uniform(2.2, 3.0, 10), rng.uniform(14.3, 15.0, 10)
    lon = np.concatenate([lon1, lon2, noise_lon])
    lat = np.concatenate([lat1, lat2, noise_lat])
    country = np.where(lon < 2.0, "MLI", "NER")
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 300, len(lon)), unit="D")
    inc = gpd.GeoDataFrame(
        {"id": [f"r{i}" for i in range(len(lon))], "country": country, "date": dates},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    border = gpd.GeoDataFrame(
        {"countries": ["MLI,NER"]}, geometry=[LineString([(2.0, 12.0), (2.0, 16.0)])], crs=4326
    )
    return inc, border


def test_planted_cross_border_cluster() -> None:
    inc, border = _cross_border_scene()
    res = find_clusters(inc, eps_km=3.0, min_samples=5, border=border)
    assert isinstance(res, Clusters)
    assert (res.method, res.eps_km, res.min_samples, res.buffer_km) == ("dbscan", 3.0, 5, 1.5)
    assert res.days is None and res.min_cluster_size is None
    assert res.summary() == {
        "method": "dbscan",
        "eps_km": 3.0,
        "min_samples": 5,
        "buffer_km": 1.5,
        "replicates": 0,  # no study area: not tested
        "n": 2,
    }
    out = res.layer
    assert out["p_value"].isna().all()
    assert not out.attrs
    assert list(out.columns) == [*CLUSTER_COLUMNS, "geometry"]
    assert out.crs.to_epsg() == 4326
    assert len(out) == 2
    big, small = out.iloc[0], out.iloc[1]
    assert (big.cluster_id, small.cluster_id) == (1, 2)
    assert big.n_incidents == 40 and small.n_incidents == 30
    assert big.countries == "MLI,NER" and bool(big.cross_border)
    assert big.border_km == 0.0
    assert small.countries == "NER" and not bool(small.cross_border)
    # the NER-only cluster sits ~0.6° east of the border at 13.2°N: check the distance
    member = inc.iloc[40:70].to_crs(study_crs(inc))
    crs = study_crs(inc)
    hull = shapely.convex_hull(shapely.multipoints(member.get_coordinates().to_numpy()))
    expected = hull.distance(border.to_crs(crs).geometry.iloc[0]) / 1000
    assert small.border_km == pytest.approx(expected, rel=1e-9)
    geod = Geod(ellps="WGS84")
    west_edge = member.to_crs(4326).get_coordinates()["x"].min()
    assert small.border_km == pytest.approx(
        geod.inv(2.0, 13.2, west_edge, 13.2)[2] / 1000, rel=0.02
    )
    # dates
    assert big.first_date == inc["date"].iloc[:40].min()
    assert big.last_date == inc["date"].iloc[:40].max()
    assert out["countries"].dtype == "str"


def test_cluster_shapes_cover_members_and_avoid_incident_vertices() -> None:
    inc, border = _cross_border_scene()
    out = find_clusters(inc, eps_km=3.0, min_samples=5, border=border).layer
    labels = label_points(inc, eps_km=3.0, min_samples=5)
    coords = {tuple(np.round(c, 9)) for c in inc.get_coordinates().to_numpy()}
    for row in out.itertuples():
        members = labels[labels["cluster_id"] == row.cluster_id]
        assert len(members) == row.n_incidents
        assert members.within(row.geometry).all()
        verts = shapely.get_coordinates(row.geometry)
        assert not any(tuple(np.round(v, 9)) in coords for v in verts)
    assert (out["area_km2"] > 0).all()
    bare_res = find_clusters(inc, eps_km=3.0, min_samples=5, buffer_km=0)
    assert bare_res.buffer_km == 0.0
    bare = bare_res.layer
    assert (bare["area_km2"] < out["area_km2"]).all()
    # no border given: a cluster on both sides is at 0 km, the others unknown
    both = bare["countries"].str.contains(",")
    assert both.any() and (~both).any()
    assert (bare.loc[both, "border_km"] == 0).all()
    assert bare.loc[~both, "border_km"].isna().all()


def test_countries_without_country_column_warns() -> None:
    inc, _ = _cross_border_scene()
    with pytest.warns(BorderwatchWarning, match="no 'country' column"):
        out = find_clusters(inc.drop(columns="country"), eps_km=3.0, min_samples=5).layer
    assert (out["countries"] == "").all() and not out["cross_border"].any()


def test_hdbscan_matches_sklearn_and_finds_planted_blobs() -> None:
    inc, border = _cross_border_scene()
    out = label_points(inc, method="hdbscan", min_samples=5)
    xy = inc.to_crs(study_crs(inc)).get_coordinates().to_numpy() / 1000
    ref = HDBSCAN(min_cluster_size=5, min_samples=5, copy=True).fit(xy)
    assert _same_partition(out["cluster_id"].to_numpy(), ref.labels_)
    ids = out["cluster_id"].to_numpy()
    assert len(set(ids[:40])) == 1 and ids[0] > 0
    assert len(set(ids[40:70])) == 1 and ids[40] > 0 and ids[40] != ids[0]
    res = find_clusters(inc, method="hdbscan", min_samples=5, border=border)
    # defaults resolved: no eps (1 km buffer), min_cluster_size = max(2, min_samples)
    assert (res.eps_km, res.min_cluster_size, res.buffer_km) == (None, 5, 1.0)
    assert "eps_km" not in res.summary() and res.summary()["min_cluster_size"] == 5
    layer = res.layer
    assert layer["method"].eq("hdbscan").all()
    assert layer.loc[layer["n_incidents"] == 40, "countries"].item() == "MLI,NER"


def test_spacetime_splits_bursts_in_time() -> None:
    rng = np.random.default_rng(6)
    n = 30
    lon = 2.0 + rng.normal(0, 0.005, 2 * n)
    lat = 14.0 + rng.normal(0, 0.005, 2 * n)
    day = np.concatenate([rng.integers(0, 10, n), rng.integers(200, 210, n)])
    dates = pd.Timestamp("2022-01-01") + pd.to_timedelta(day, unit="D")
    inc = gpd.GeoDataFrame(
        {"country": "NER", "date": dates}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )
    spatial = find_clusters(inc, eps_km=2.0, min_samples=5).layer
    assert len(spatial) == 1
    st_res = find_clusters(inc, method="spacetime", eps_km=2.0, days=14, min_samples=5)
    assert (st_res.days, st_res.eps_km) == (14.0, 2.0)
    assert find_clusters(inc, method="spacetime", min_samples=5).days == 30.0  # the default
    st = st_res.layer
    assert len(st) == 2 and st["n_incidents"].tolist() == [30, 30]
    assert st["first_date"].min() == dates.min() and st["last_date"].max() == dates.max()
    assert (st["last_date"] - st["first_date"]).max() <= pd.Timedelta(days=10)
    # undated rows are left out with a warning
    inc.loc[[0, 1], "date"] = pd.NaT
    with pytest.warns(BorderwatchWarning, match="2 incidents have no date"):
        lab = label_points(inc, method="spacetime", eps_km=2.0, days=14, min_samples=5)
    assert lab.loc[[0, 1], "cluster_id"].tolist() == [-1, -1]
    with pytest.raises(DataError, match="'date' column"):
        label_points(inc.drop(columns="date"), method="spacetime")


def test_empty_result_has_contract_columns() -> None:
    pts = gpd.GeoDataFrame(
        {"country": ["MLI", "NER"], "date": pd.to_datetime(["2020-01-01", "2020-02-01"])},
        geometry=[Point(0, 0), Point(50_000, 0)],
        crs=UTM,
    )
    out = find_clusters(pts, eps_km=1.0, min_samples=2).layer
    assert len(out) == 0
    assert list(out.columns) == [*CLUSTER_COLUMNS, "geometry"]
    assert out.crs.to_epsg() == 4326
    # arguments are checked up front, even when no cluster would use them
    with pytest.raises(DataError, match="border must be"):
        find_clusters(pts, eps_km=1.0, min_samples=2, border="MLI")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "kmeans"}, "method="),
        ({"eps_km": 0}, "eps_km must be"),
        ({"eps_km": "far"}, "eps_km must be"),
        ({"min_samples": 0}, "min_samples must be"),
        ({"min_samples": 2.5}, "min_samples must be"),
        ({"method": "spacetime", "days": -1}, "days must be"),
        ({"buffer_km": -1}, "buffer_km must be"),
        ({"border": "MLI"}, "border must be"),
        (
            {"border": gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])])},
            "coordinate reference",
        ),
    ],
)
def test_bad_arguments_raise_data_error(kwargs: dict, match: str) -> None:
    inc, _ = _cross_border_scene()
    with pytest.raises(DataError, match=match):
        find_clusters(inc, **kwargs)


def test_bad_inputs_raise_data_error() -> None:
    with pytest.raises(DataError, match="coordinate reference system"):
        label_points(gpd.GeoDataFrame(geometry=[Point(0, 0)]))
    with pytest.raises(DataError, match="points"):
        label_points(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=UTM))
    bad_dates = gpd.GeoDataFrame({"date": ["soon"]}, geometry=[Point(0, 0)], crs=UTM)
    with pytest.raises(DataError, match="'date'"):
        label_points(bad_dates, method="spacetime")


def test_missing_locations_become_noise() -> None:
    pts = gpd.GeoDataFrame(
        geometry=[Point(0, 0), Point(100, 0), None, Point(0, 100), Point()], crs=UTM
    )
    with pytest.warns(BorderwatchWarning, match="no usable location"):
        out = label_points(pts, eps_km=1.0, min_samples=3)
    assert out["cluster_id"].tolist() == [1, 1, -1, 1, -1]


@pytest.mark.realdata
def test_real_ucdp_mexico_identical_to_sklearn_and_finds_the_border_cities() -> None:
    path = DATA / "events" / "ucdp_ged_mexico_border_states_1989_2023.csv"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    raw = pd.read_csv(path, usecols=["id", "latitude", "longitude", "date_start"])
    inc = gpd.GeoDataFrame(
        {"id": raw["id"].astype(str), "date": pd.to_datetime(raw["date_start"]), "country": "MEX"},
        geometry=gpd.points_from_xy(raw["longitude"], raw["latitude"]),
        crs=4326,
    )
    out = label_points(inc, eps_km=5.0, min_samples=20)
    xy = inc.to_crs(study_crs(inc)).get_coordinates().to_numpy() / 1000
    ref = DBSCAN(eps=5.0, min_samples=20).fit(xy)
    assert _same_partition(out["cluster_id"].to_numpy(), ref.labels_)
    layer = find_clusters(inc, eps_km=5.0, min_samples=20).layer
    top2 = layer.iloc[:2]
    tijuana, juarez = Point(-117.0, 32.5), Point(-106.49, 31.74)
    assert top2.contains(tijuana).any() and top2.contains(juarez).any()
    assert (layer["first_date"] <= layer["last_date"]).all()


# ----------------------------------------------------------------------------------------------
# clusters tested against chance (max-statistic Monte Carlo test)
# ----------------------------------------------------------------------------------------------

_AREA = gpd.GeoDataFrame(
    {"country": ["AAA", "BBB"]},
    geometry=[shapely.box(0, 0, 150_000, 150_000), shapely.box(150_000, 0, 300_000, 150_000)],
    crs=3857,
)


def _two_country_points(xy: np.ndarray) -> gpd.GeoDataFrame:
    country = np.where(xy[:, 0] < 150_000, "AAA", "BBB")
    return gpd.GeoDataFrame(
        {"country": country}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
    )


def _auto_eps(pts: gpd.GeoDataFrame) -> float:
    from borderwatch.grid import default_cell_km

    return float(default_cell_km(pts, units=_AREA))  # the pipeline's automatic eps


def test_uniform_noise_gives_no_significant_cluster() -> None:
    """The automatic eps finds dozens of DBSCAN clusters in uniform noise (issue 9: 29, 3 of
    them "cross-border"); tested against chance, none is kept."""
    pts = _two_country_points(
        np.random.default_rng(2).uniform((0, 0), (300_000, 150_000), (1500, 2))
    )
    res = find_clusters(pts, eps_km=_auto_eps(pts), min_samples=5, area=_AREA, seed=0)
    assert res.n_found > 20  # what DBSCAN alone reports
    assert len(res.layer) == 0 and res.replicates == 99
    kept = find_clusters(pts, eps_km=_auto_eps(pts), min_samples=5, area=_AREA, keep_all=True)
    assert len(kept.layer) == res.n_found and (kept.layer["p_value"] > 0.05).all()
    assert kept.layer["cross_border"].any()  # chance clusters on the border exist ...
    assert res.summary()["n_found"] == res.n_found and res.summary()["n"] == 0  # ... not kept


def test_planted_clusters_are_significant_and_p_values_follow_the_maxima() -> None:
    rng = np.random.default_rng(8)
    xy = np.vstack(
        [
            rng.uniform((0, 0), (300_000, 150_000), (800, 2)),
            rng.normal((150_000, 70_000), 2_000, (60, 2)),  # on the border
            rng.normal((60_000, 40_000), 2_000, (40, 2)),
        ]
    )
    pts = _two_country_points(xy)
    res = find_clusters(pts, eps_km=5.0, min_samples=5, area=_AREA, seed=1, keep_all=True)
    layer = res.layer
    top = layer.iloc[0]
    assert top["p_value"] == 0.01 and top["cross_border"] and top["countries"] == "AAA,BBB"
    assert layer.iloc[1]["p_value"] == 0.01 and layer.iloc[1]["countries"] == "AAA"
    expect = (1 + (res.null_max[None, :] >= layer["n_incidents"].to_numpy()[:, None]).sum(1)) / 100
    assert np.allclose(layer["p_value"], expect)
    assert layer["p_value"].is_monotonic_increasing  # larger clusters, smaller p
    default = find_clusters(pts, eps_km=5.0, min_samples=5, area=_AREA, seed=1)
    assert default.layer["cluster_id"].tolist() == list(range(1, len(default.layer) + 1))
    assert len(default.layer) >= 2 and (default.layer["p_value"] <= 0.05).all()


def test_cluster_test_gives_the_same_null_in_any_row_order() -> None:
    """The simulated maps give each location its random point in coordinate order, so the
    same incidents in another row order (a re-sorted file, the dask engine's partitions)
    get the same maxima and p-values (they used to differ: 0.01 against 0.02 on real data)."""
    rng = np.random.default_rng(8)
    xy = np.vstack(
        [
            rng.uniform((0, 0), (300_000, 150_000), (400, 2)),
            rng.normal((150_000, 70_000), 2_500, (40, 2)),
            np.repeat(rng.uniform((0, 0), (300_000, 150_000), (15, 2)), 4, axis=0),  # stacks
        ]
    )
    pts = _two_country_points(xy)
    shuffled = pts.iloc[rng.permutation(len(pts))].reset_index(drop=True)
    opts = {"eps_km": 6.0, "min_samples": 5, "area": _AREA, "seed": 2, "keep_all": True}
    a, b = find_clusters(pts, **opts), find_clusters(shuffled, **opts)
    assert len(a.layer) > 0 and np.array_equal(a.null_max, b.null_max)
    cols = ["n_incidents", "p_value"]
    assert a.layer[cols].reset_index(drop=True).equals(b.layer[cols].reset_index(drop=True))


@pytest.mark.slow
def test_clusters_false_positive_rate_under_noise_and_random_stacks() -> None:
    """Maps with any kept cluster: near alpha in uniform noise, none under random stacks
    (locations uniform, heavy-tailed stacks moved whole by the null)."""
    maps_with_clusters = {"uniform": 0, "stacks": 0}
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        uni = _two_country_points(rng.uniform((0, 0), (300_000, 150_000), (1000, 2)))
        loc = rng.uniform((0, 0), (300_000, 150_000), (200, 2))
        size = np.minimum(1 + np.floor(rng.pareto(1.1, 200)), 500).astype(int)
        stk = _two_country_points(np.repeat(loc, size, axis=0))
        for name, pts in (("uniform", uni), ("stacks", stk)):
            res = find_clusters(pts, eps_km=_auto_eps(pts), min_samples=5, area=_AREA, seed=seed)
            maps_with_clusters[name] += len(res.layer) > 0
    assert maps_with_clusters["uniform"] <= 2 and maps_with_clusters["stacks"] <= 2


def test_cluster_countries_are_the_incidents_own() -> None:
    """A CAF cluster whose incidents partly fall inside the COD polygon is a CAF cluster."""
    rng = np.random.default_rng(4)
    xy = rng.normal((150_000, 70_000), 600, (20, 2))
    pts = _two_country_points(xy)
    pts["reported_country"] = "AAA"
    out = find_clusters(pts, eps_km=2.0, min_samples=5).layer
    assert len(out) == 1 and out.iloc[0]["countries"] == "AAA"
    assert not out.iloc[0]["cross_border"]


def test_find_clusters_rejects_a_bad_area() -> None:
    pts = _two_country_points(np.array([[1.0, 1.0]] * 6))
    with pytest.raises(DataError, match="area"):
        find_clusters(pts, area="units")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="replicates"):
        find_clusters(pts, area=_AREA, replicates=-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_cluster_bound_never_exceeds_the_largest_dbscan_cluster(seed: int) -> None:
    from borderwatch._clustertest import dense_cluster_bound

    rng = np.random.default_rng(seed)
    xy = np.vstack(
        [
            rng.uniform(0, 100, (3000, 2)),
            rng.normal(40, 3, (800, 2)),
            np.repeat(rng.uniform(0, 100, (20, 2)), 6, axis=0),  # stacks
        ]
    )
    for eps, min_samples in ((2.0, 5), (5.0, 8), (12.0, 5)):
        labels, _ = dbscan_module.dbscan_labels(xy, eps=eps, min_samples=min_samples)
        largest = int(np.bincount(labels[labels >= 0]).max())
        low = dense_cluster_bound(xy, eps=eps, min_samples=min_samples)
        assert 0 < low <= largest, (eps, min_samples, low, largest)
    # at a large radius (dense noise) the bound is most of the points
    assert dense_cluster_bound(xy, eps=20.0, min_samples=5) > 0.9 * len(xy)


def test_cluster_test_with_the_bound_gives_the_same_p_values() -> None:
    """On dense noise the simulated maps are hits by the bound alone; the kept clusters
    and their p-values do not change."""
    import borderwatch._clustertest as ct

    rng = np.random.default_rng(3)
    xy = np.vstack(
        [
            rng.uniform((0, 0), (300_000, 150_000), (3000, 2)),
            rng.normal((60_000, 40_000), 2e3, (60, 2)),
        ]
    )
    pts = _two_country_points(xy)
    calls = {"label": 0}
    original = ct.max_cluster_sizes

    def counted(location, area, label, **kw):
        def lab(p):
            calls["label"] += 1
            return label(p)

        return original(location, area, lab, **kw)

    for eps in (4.0, 15.0, 30.0):
        with_bound = find_clusters(pts, eps_km=eps, min_samples=5, area=_AREA, seed=2)
        clusters_module.max_cluster_sizes, keep = (
            lambda *a, **kw: original(*a, **{**kw, "bound": None}),
            clusters_module.max_cluster_sizes,
        )
        try:
            without = find_clusters(pts, eps_km=eps, min_samples=5, area=_AREA, seed=2)
        finally:
            clusters_module.max_cluster_sizes = keep
        pd.testing.assert_frame_equal(with_bound.layer, without.layer)
        assert with_bound.n_found == without.n_found
        assert len(with_bound.null_max) == len(without.null_max)
        hit = int(with_bound.layer["n_incidents"].max()) if len(with_bound.layer) else None
        if hit is not None:
            assert ((with_bound.null_max >= hit) == (without.null_max >= hit)).all()
    clusters_module.max_cluster_sizes = counted
    try:
        find_clusters(pts, eps_km=30.0, min_samples=5, area=_AREA, seed=2)
    finally:
        clusters_module.max_cluster_sizes = keep
    assert calls["label"] == 0  # at 30 km the noise percolates: every map a hit by the bound


@pytest.mark.parametrize("seed", [3, 4])
def test_eps_squares_dbscan_equals_sklearn_and_delaunay(seed: int) -> None:
    """Dense squares settle core points and join touching squares; squares further apart
    are joined by the exact test: labels equal scikit-learn's and the Delaunay path's."""
    from borderwatch._epsgrid import EpsSquares, core_components, settled_core

    rng = np.random.default_rng(seed)
    xy = np.vstack(
        [
            rng.uniform(0, 80, (2500, 2)),  # sparse noise: neighbour queries
            rng.normal(30, 1.0, (700, 2)),  # dense squares
            np.column_stack([rng.uniform(50, 70, 300), np.full(300, 40.0)]),  # a thin chain
            np.repeat(rng.uniform(0, 80, (15, 2)), 9, axis=0),  # stacks
        ]
    )
    for eps, min_samples in ((1.5, 4), (3.0, 10), (0.8, 2)):
        ref = DBSCAN(eps=eps, min_samples=min_samples).fit(xy)
        labels, core = dbscan_labels(xy, eps=eps, min_samples=min_samples)
        np.testing.assert_array_equal(core, _sk_core(ref, len(xy)))
        np.testing.assert_array_equal(labels, ref.labels_)
        settled = settled_core(EpsSquares(xy, eps=eps), min_samples)
        assert settled.any() and core[settled].all()  # settled points are core indeed
        pts = xy[core]
        grid_comp = core_components(pts, eps)
        assert _same_partition(grid_comp, dbscan_module._delaunay_components(pts, eps * eps))


def test_dbscan_without_eps_squares_falls_back_to_delaunay(monkeypatch) -> None:
    from borderwatch._epsgrid import EpsSquares

    xy = np.random.default_rng(7).uniform(0, 40, (1500, 2))
    expected = dbscan_labels(xy, eps=1.2, min_samples=4)
    monkeypatch.setattr(EpsSquares, "fits", staticmethod(lambda xy, *, eps: False))
    got = dbscan_labels(xy, eps=1.2, min_samples=4)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_dbscan_equals_scikit_learn_and_the_repeated_points(seed):
    """Distinct locations with weights: the core points equal scikit-learn's
    ``DBSCAN.fit(xy, sample_weight=w)``, and the labels equal those of the points
    themselves (each location repeated by its weight, in order)."""
    rng = np.random.default_rng(seed)
    xy = np.unique(np.round(rng.uniform(0, 40, size=(400, 2)), 1), axis=0)
    rng.shuffle(xy)
    w = rng.choice([1, 1, 1, 2, 3, 7], size=len(xy))
    labels, core = dbscan_module.weighted_dbscan_labels(xy, w, eps=2.0, min_samples=5)
    ref = DBSCAN(eps=2.0, min_samples=5).fit(xy, sample_weight=w)
    ref_core = np.zeros(len(xy), dtype=bool)
    ref_core[ref.core_sample_indices_] = True
    np.testing.assert_array_equal(core, ref_core)
    assert core.any() and (~core).any()
    same, _ = dbscan_module.dbscan_labels(np.repeat(xy, w, axis=0), eps=2.0, min_samples=5)
    np.testing.assert_array_equal(np.repeat(labels, w), same)
