"""Tests of borderwatch.hotspots and borderwatch.regions: Gi*, local Moran, FDR, cells,
units and regions."""

from __future__ import annotations

import doctest
import importlib
import json
import warnings
from pathlib import Path

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse, stats

from borderwatch import emerging, grid, hotspots, regions
from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch._stats import _neighbour_sums, bh_adjust, perm_tail_pvalues
from borderwatch.hotspots import (
    CellHotspots,
    GiResult,
    UnitHotspots,
    cell_hotspots,
    gi_star,
    local_moran,
    unit_hotspots,
)
from borderwatch.regions import REGION_COLUMNS, hotspot_regions

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = REPO / "data" / "boundaries"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


# --------------------------------------------------------------------------- helpers


def load_units(name: str) -> gpd.GeoDataFrame:
    u = gpd.read_file(BOUNDARIES / f"ne10m_adm1_{name}.geojson").rename(
        columns={"adm0_iso3": "country"}
    )
    u["geometry"] = u.geometry.make_valid()
    u["unit_id"] = [f"u{i}" for i in range(len(u))]
    return u


def borders(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    try:
        from borderwatch.borders import border_lines

        return border_lines(units)
    except ImportError:  # pragma: no cover - before borders.py existed
        crs = study_crs(units)
        c = units.to_crs(crs).dissolve("country")
        rows = []
        for i, a in enumerate(c.index):
            for b in c.index[i + 1 :]:
                line = shapely.intersection(c.geometry[a].boundary, c.geometry[b].buffer(2000))
                if not line.is_empty:
                    rows.append({"countries": f"{a},{b}", "geometry": line})
        return gpd.GeoDataFrame(rows, crs=crs).to_crs(4326)


def uniform_points(units: gpd.GeoDataFrame, n: int, rng: np.random.Generator, crs) -> np.ndarray:
    union = shapely.union_all(units.to_crs(crs).geometry.array)
    shapely.prepare(union)
    minx, miny, maxx, maxy = union.bounds
    out = np.zeros((0, 2))
    while len(out) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], (n * 4, 2))
        out = np.vstack([out, xy[shapely.contains_xy(union, xy[:, 0], xy[:, 1])]])
    return out[:n]


def join_country(xy: np.ndarray, units: gpd.GeoDataFrame, crs, **cols) -> gpd.GeoDataFrame:
    pts = gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
    j = gpd.sjoin(pts, units.to_crs(crs)[["country", "geometry"]], how="left", predicate="within")
    pts["country"] = j[~j.index.duplicated()]["country"].reindex(pts.index)
    return pts


def point_on_border(units: gpd.GeoDataFrame, near_lonlat: tuple[float, float], crs) -> np.ndarray:
    b = shapely.union_all(borders(units).to_crs(crs).geometry.array)
    p = (
        gpd.GeoSeries(gpd.points_from_xy([near_lonlat[0]], [near_lonlat[1]]), crs=4326)
        .to_crs(crs)
        .iloc[0]
    )
    q = (
        shapely.line_interpolate_point(b, shapely.line_locate_point(b, p))
        if b.geom_type == "LineString"
        else shapely.ops.nearest_points(b, p)[0]
    )
    return np.array([q.x, q.y])


def lonlat_xy(lon: float, lat: float, crs) -> np.ndarray:
    p = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(crs).iloc[0]
    return np.array([p.x, p.y])


def region_at(regions: gpd.GeoDataFrame, xy: np.ndarray) -> pd.Series | None:
    hit = regions[regions.geometry.intersects(shapely.Point(*xy).buffer(15_000))]
    return None if hit.empty else hit.sort_values("n_incidents").iloc[-1]


ESDA_POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
ESDA_Y = np.array([2, 3, 3.2, 5, 8, 7])


# --------------------------------------------------------------------------- Gi* equals esda


def test_gi_z_equals_esda_six_point_example():
    w = libpysal.weights.DistanceBand(ESDA_POINTS, threshold=15, silence_warnings=True)
    ref = esda.G_Local(ESDA_Y, w, transform="B", star=True, permutations=0)
    # libpysal W directly, and a dense adjacency
    res = gi_star(ESDA_Y, w, permutations=0, inference="analytic").table
    np.testing.assert_allclose(res["gi_z"], ref.Zs, atol=1e-6, rtol=0)
    np.testing.assert_allclose(res["gi"], ref.Gs, atol=1e-12)
    adj = (
        np.hypot(
            *(np.array(ESDA_POINTS)[:, None, :] - np.array(ESDA_POINTS)[None]).transpose(2, 0, 1)
        )
        <= 15
    )
    res2 = gi_star(ESDA_Y, adj.astype(float), permutations=0, inference="analytic").table
    np.testing.assert_allclose(res2["gi_z"], ref.Zs, atol=1e-6, rtol=0)
    # the documented values
    np.testing.assert_allclose(
        ref.Zs,
        [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331],
        atol=1e-8,
    )
    # analytical p: two-sided version of esda's one-sided p_norm
    np.testing.assert_allclose(res["gi_p"], 2 * ref.p_norm, atol=1e-12)


@pytest.mark.parametrize("kind", ["distance_band", "knn", "contiguity"])
def test_gi_z_equals_esda_on_cell_counts(kind):
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300_000, 200_000)], crs=3857)
    g = grid.hex_grid(units, cell_km=10)
    cells = g.cells
    rng = np.random.default_rng(31)
    y = rng.negative_binomial(1, 0.3, len(cells)).astype(float)
    w = grid.cell_weights(g, kind=kind, k=5)
    ref = esda.G_Local(y, w.to_W(), transform="B", star=True, permutations=0)
    res = gi_star(y, w, permutations=0, inference="analytic").table
    np.testing.assert_allclose(res["gi_z"].to_numpy(), ref.Zs, atol=1e-6, rtol=0)
    # and through a libpysal Graph
    res_g = gi_star(y, w.to_graph(), permutations=0, inference="analytic").table
    np.testing.assert_allclose(res_g["gi_z"].to_numpy(), ref.Zs, atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def esda_jit():
    """esda's numba kernels with numba's on-disk cache switched on (esda does not ask for it).

    esda compiles its conditional-randomisation kernels at the first permutation run of
    each process: about 35 s on a quiet machine (183 s at load 10), most of the two esda
    reference tests below. With the cache, later runs load the kernels and compile only
    ``compute_chunk`` (its argument is a function, whose type differs in every process,
    so it is left uncached rather than adding a cache entry per run). The cache is
    filled before the tests start (``tests/_numba_warm.py``, run by
    ``conftest.pytest_sessionstart``). The numbers are identical (same code, same seeds).
    The two tests share this module-scoped fixture, so ``-n 2`` runs them on one worker
    (tests/conftest.py).
    """
    from _numba_warm import enable_esda_cache

    enable_esda_cache()
    return esda


def test_permutation_pvalues_consistent_with_esda(esda_jit):
    # continuous values (no ties), a lattice of 150 cells, 9999 draws each
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 150_000, 90_000)], crs=3857)
    g = grid.hex_grid(units, cell_km=10)
    cells = g.cells
    rng = np.random.default_rng(8)
    y = (
        rng.gamma(2.0, 1.0, len(cells))
        + np.exp(-((cells["x_m"] - 5e4) ** 2 + (cells["y_m"] - 4e4) ** 2) / 4e8) * 6
    )
    w = grid.cell_weights(g)
    ref = esda.G_Local(
        y.to_numpy(), w.to_W(), transform="B", star=True, permutations=9999, seed=5, n_jobs=1
    )
    res = gi_star(
        y.to_numpy(), w, permutations=9999, seed=12, inference="permutation", max_permutations=9999
    )
    mine = res.table["gi_p_sim"].to_numpy()
    theirs = np.minimum(1.0, 2 * ref.p_sim)  # esda's p is directed (one tail): double it
    assert np.corrcoef(mine, theirs)[0, 1] > 0.995
    assert np.abs(mine - theirs).max() < 0.03
    # both flag the same cells at 5 % (up to Monte Carlo noise on the edge)
    assert ((mine < 0.05) != (theirs < 0.05)).sum() <= 3


def test_neighbour_sums_match_naive_loop():
    rng = np.random.default_rng(0)
    y = rng.poisson(2.0, 400).astype(float)
    d = rng.integers(0, 399, size=(50, 6))
    focal = np.array([3, 100, 101, 150, 398, 399])
    fast = _neighbour_sums(y, d, focal)
    slow = np.array([[y[[k if k < i else k + 1 for k in row]].sum() for row in d] for i in focal])
    np.testing.assert_array_equal(fast, slow)


def test_zero_lag_pvalue_is_the_exact_hypergeometric_probability():
    rng = np.random.default_rng(1)
    n = 300
    y = np.where(rng.random(n) < 0.2, rng.integers(1, 4, n), 0).astype(float)
    adj = sparse.csr_array(sparse.random(n, n, density=0.02, random_state=1, data_rvs=np.ones))
    adj = sparse.csr_array(((adj + adj.T) > 0).astype(float))
    adj.setdiag(0)
    adj.eliminate_zeros()
    lag = adj @ y
    card = np.diff(adj.indptr)
    pg, pl = perm_tail_pvalues(y, adj, permutations=20_000, rng=np.random.default_rng(3))
    zero = (lag == 0) & (card > 0)
    assert zero.sum() > 10
    zeros_other = (y == 0).sum() - (y[zero] == 0)
    exact = stats.hypergeom.pmf(card[zero], n - 1, zeros_other, card[zero])
    np.testing.assert_allclose(pl[zero], exact, rtol=1e-10)
    assert (pg[zero] == 1).all()
    # and the simulation agrees with it where it had to simulate: compare one
    # cell by brute force with its lag set to zero
    i = int(np.flatnonzero((lag > 0) & (card > 2))[0])
    y2 = y.copy()
    y2[adj.indices[adj.indptr[i] : adj.indptr[i + 1]]] = 0
    _, pl_exact = perm_tail_pvalues(
        y2, adj, permutations=0, rng=np.random.default_rng(0), subset=np.array([i])
    )
    zeros2 = (y2 == 0).sum() - (y2[i] == 0)
    assert pl_exact[0] == pytest.approx(
        stats.hypergeom.pmf(card[i], n - 1, zeros2, card[i]), rel=1e-10
    )


def test_permutations_are_seeded():
    rng = np.random.default_rng(2)
    adj = sparse.csr_array(np.eye(60, k=1) + np.eye(60, k=-1))
    y = rng.gamma(1.0, 1.0, 60)
    a = gi_star(y, adj, permutations=199, seed=7, inference="permutation").table["gi_p_sim"]
    b = gi_star(y, adj, permutations=199, seed=7, inference="permutation").table["gi_p_sim"]
    c = gi_star(y, adj, permutations=199, seed=8, inference="permutation").table["gi_p_sim"]
    assert a.equals(b) and not a.equals(c)


def test_benjamini_hochberg():
    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan])
    # by hand: sorted 0.01, 0.03, 0.04, 0.2 -> p * 4 / rank = 0.04, 0.06, 0.0533, 0.2 -> running min from the top
    np.testing.assert_allclose(bh_adjust(p)[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.2], atol=1e-12)
    assert np.isnan(bh_adjust(p)[4])
    q = np.random.default_rng(3).random(50)
    np.testing.assert_allclose(bh_adjust(q), stats.false_discovery_control(q))


def test_classes_follow_adjusted_p_and_sign():
    # a 1-D chain with one planted run of high counts
    n = 200
    adj = sparse.csr_array(np.eye(n, k=1) + np.eye(n, k=-1))
    y = np.random.default_rng(4).poisson(2, n).astype(float)
    y[100:106] = 40
    res = gi_star(y, adj, permutations=0).table
    assert set(res["hotspot_kind"]) <= {"hot", "cold", "none"}
    assert set(res["hotspot_confidence"]) <= {0, 90, 95, 99}
    assert ((res["hotspot_kind"] == "none") == (res["hotspot_confidence"] == 0)).all()
    hot = res["hotspot_kind"] == "hot"
    assert hot[100:106].all()
    assert (res.loc[hot, "gi_z"] > 0).all()
    lvl = res["gi_p_fdr"]
    assert (lvl[hot & (res["hotspot_confidence"] == 99)] <= 0.01).all()
    assert (
        (lvl[hot & (res["hotspot_confidence"] == 95)] > 0.01)
        & (lvl[hot & (res["hotspot_confidence"] == 95)] <= 0.05)
    ).all()
    # combined p is the larger of the analytical and exact ones
    np.testing.assert_allclose(bh_adjust(np.fmax(res["gi_p"], res["gi_p_csr"])), res["gi_p_fdr"])


def test_min_count_blocks_tiny_hot_spots():
    adj = sparse.csr_array(np.eye(100, k=1) + np.eye(100, k=-1))
    y = np.zeros(100)
    y[50] = 2
    res = gi_star(y, adj, permutations=0, inference="analytic").table
    assert (res["hotspot_kind"] == "hot").any()  # the analytical trap
    res3 = gi_star(y, adj, permutations=0, inference="analytic", min_count=3)
    assert not (res3.table["hotspot_kind"] == "hot").any()
    assert res3.min_count == 3 and res3.inference == "analytic"


def test_islands_never_significant():
    adj = np.zeros((4, 4))
    adj[0, 1] = adj[1, 0] = adj[1, 2] = adj[2, 1] = 1
    res = gi_star([0, 1, 2, 90], adj, permutations=99, inference="analytic")
    table = res.table
    assert table.loc[3, "hotspot_kind"] == "none" and table.loc[3, "hotspot_confidence"] == 0
    assert table.loc[3, "gi_p_sim"] == 1.0 and table.loc[3, "gi_p"] == 1.0
    assert res.islands == 1


def test_gi_input_errors():
    with pytest.raises(DataError, match="missing"):
        gi_star([1, np.nan, 2], np.ones((3, 3)))
    with pytest.raises(DataError, match="weights are 2 x 2"):
        gi_star([1, 2, 3], np.ones((2, 2)))
    with pytest.raises(DataError, match="needs counts"):
        gi_star([0.5, 1.5, 2.0], np.ones((3, 3)), inference="combined")
    assert gi_star([0.5, 1.5, 2.0], np.ones((3, 3)), permutations=9).inference == "permutation"
    with pytest.raises(DataError, match="inference"):
        gi_star([1, 2, 3], np.ones((3, 3)), inference="magic")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="unsupported weights"):
        gi_star([1, 2, 3], "queen")


# --------------------------------------------------------------------------- sparse counts


@pytest.mark.parametrize(("n_points", "cell_km"), [(60, 10.0), (250, 20.0)])
def test_uniform_sparse_background_gives_no_hot_spot(n_points, cell_km):
    units = load_units("col_ven")
    crs = study_crs(units)
    rng = np.random.default_rng(2718 + n_points)
    pts = join_country(uniform_points(units, n_points, rng, crs), units, crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        res = cell_hotspots(pts, units, cell_km=cell_km, seed=3, permutations=99, trend=False)
    cells = res.cells
    assert len(cells) > 5_000 and (cells["count"] > 0).mean() < 0.05  # sparse
    assert not (cells["hotspot_kind"] == "hot").any()
    assert res.gi.inference == "combined" and res.summary()["inference"] == "combined"
    # the trap: the analytical p-values with FDR and no minimum count flag hundreds
    w = grid.cell_weights(res.grid, warn=False)
    naive = gi_star(cells["count"], w, permutations=0, inference="analytic").table
    assert (naive["hotspot_kind"] == "hot").sum() > 200
    if cell_km == 10.0:  # a lone incident in an empty area
        lone = (cells["count"].to_numpy() == 1) & (naive["gi"].to_numpy() * n_points == 1)
        assert np.median(naive["gi_z"].to_numpy()[lone]) > 4


# --------------------------------------------------------------------------- planted truth


def _planted(
    units: gpd.GeoDataFrame,
    border_lonlat,
    interior_lonlat,
    seed: int,
    n_bg: int,
    n_cluster: int,
    sd_km: float,
):
    crs = study_crs(units)
    rng = np.random.default_rng(seed)
    straddle = point_on_border(units, border_lonlat, crs)
    interior = lonlat_xy(*interior_lonlat, crs)
    xy = np.vstack(
        [
            uniform_points(units, n_bg, rng, crs),
            rng.normal(straddle, sd_km * 1000, (n_cluster, 2)),
            rng.normal(interior, sd_km * 1000, (n_cluster, 2)),
        ]
    )
    dates = pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.integers(0, 600, len(xy)), "D")
    pts = join_country(xy, units, crs, date=dates)
    return pts, straddle, interior


@pytest.fixture(scope="module")
def col_ven_planted():
    units = load_units("col_ven")
    # straddling the border at Cucuta / San Antonio del Tachira, interior at Bogota
    pts, straddle, interior = _planted(
        units, (-72.47, 7.85), (-74.08, 4.65), seed=9041, n_bg=700, n_cluster=160, sd_km=7
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        res = cell_hotspots(pts, units, seed=17, trend=False)
    regions = hotspot_regions(res.grid, pts, borders(units))
    return units, pts, straddle, interior, res, regions


def test_planted_cross_border_hotspot_col_ven(col_ven_planted):
    units, pts, straddle, interior, res, regions = col_ven_planted
    assert res.cell_km_source == "data" and res.summary()["cell_km_source"] == "data"
    s = region_at(regions, straddle)
    assert s is not None
    assert s["cross_border"] and s["countries"] == "COL,VEN"
    assert s["border_km"] == 0.0
    assert s["n_incidents"] >= 120
    i = region_at(regions, interior)
    assert i is not None
    assert not i["cross_border"] and i["countries"] == "COL"
    assert i["border_km"] > 100
    # nothing else is cross-border
    assert regions["cross_border"].sum() == 1
    assert len(regions) <= 3


def test_hotspot_region_contract(col_ven_planted):
    *_, res, regions = col_ven_planted
    cells = res.cells
    assert list(regions.columns) == [*REGION_COLUMNS, "geometry"]
    assert list(regions.columns[:7]) == [
        "hotspot_id",
        "n_incidents",
        "countries",
        "cross_border",
        "border_km",
        "first_date",
        "last_date",
    ]
    assert regions["hotspot_id"].tolist() == list(range(1, len(regions) + 1))
    assert regions["n_incidents"].is_monotonic_decreasing
    assert regions["cross_border"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(regions["first_date"])
    assert (regions["first_date"] <= regions["last_date"]).all()
    assert regions.crs.equals(cells.crs)
    assert (regions["area_km2"] > 0).all()
    # every region is made of significant hot cells that hold incidents (compact extent);
    # the hot cells without incidents next to them make the smoothed extent
    hot = cells[(cells["hotspot_kind"] == "hot") & (cells["hotspot_confidence"] >= 95)]
    assert regions["n_cells"].sum() == (hot["count"] > 0).sum()
    assert regions["n_cells_smoothed"].sum() >= len(hot) > regions["n_cells"].sum()
    assert (regions["area_km2_smoothed"] > regions["area_km2"]).all()
    assert (regions["n_locations"] <= regions["n_incidents"]).all()


def test_cells_contract_and_params(col_ven_planted):
    *_, res, _ = col_ven_planted
    assert isinstance(res, CellHotspots) and isinstance(res.gi, GiResult)
    cells, params = res.cells, res.summary()
    for col in (
        "cell_id",
        "count",
        "gi_z",
        "gi_p",
        "gi_p_fdr",
        "hotspot_kind",
        "hotspot_confidence",
        "countries",
        "trend_class",
        "moran_class",
    ):
        assert col in cells.columns
    assert cells["count"].sum() == 700 + 2 * 160 - params["outside"]
    assert (cells["count"] == 0).sum() > 0  # zeros included
    assert set(params) >= {"crs", "cell_km", "alpha", "permutations", "seed", "weights"}
    assert params["weights"] == {
        "type": "distance_band",
        "threshold_m": round(params["cell_km"] * 1010, 2),
        "binary": True,
        "star": True,
    }
    json.dumps(params)  # summary.json-ready
    assert cells.crs.is_projected
    assert not cells.attrs  # settings travel in the result, not in pandas attrs
    # the typed fields and the summary agree
    assert params["cell_km"] == res.cell_km == res.grid.cell_km
    assert params["shape"] == res.shape == res.grid.shape == "hex"
    assert params["weights"] == res.weights.spec
    assert params["weights"]["threshold_m"] == res.grid.threshold_m
    assert params["islands"] == [int(i) for i in res.weights.islands]
    assert params["outside"] == res.outside
    assert params["n_cells"] == len(cells) == len(res.grid)
    assert (params["alpha"], params["seed"], params["min_count"]) == (0.05, 17, 3)
    assert params["fdr"] == "benjamini-hochberg" and res.gi.fdr
    assert params["permutations"] == res.gi.permutations == 999
    assert params["max_permutations"] == res.gi.max_permutations
    assert params["refined"] == res.gi.refined
    assert res.trend is None and params["trend"] == {"skipped": "not requested"}
    assert res.crs.equals(cells.crs)


def test_background_only_gives_no_cross_border_hotspot():
    units = load_units("col_ven")
    crs = study_crs(units)
    rng = np.random.default_rng(5150)
    pts = join_country(
        uniform_points(units, 900, rng, crs),
        units,
        crs,
        date=pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, 900), "D"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        cells = cell_hotspots(pts, units, seed=4, trend=False, permutations=99).cells
    regions = hotspot_regions(cells, pts, borders(units))
    assert not regions["cross_border"].any()
    assert (cells["hotspot_kind"] == "hot").sum() <= 2


def test_planted_ken_som_eth_square_grid():
    units = load_units("ken_som_eth")
    # straddling the Kenya-Somalia border near Dhobley/Liboi, interior at Nairobi
    pts, straddle, interior = _planted(
        units, (41.0, 0.4), (36.82, -1.29), seed=60613, n_bg=600, n_cluster=140, sd_km=8
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        res = cell_hotspots(pts, units, shape="square", seed=23, trend=False, permutations=99)
    regions = hotspot_regions(res.grid, pts, borders(units))
    params = res.summary()
    assert params["weights"]["threshold_m"] == round(
        params["cell_km"] * 1000 * 1.01 * np.sqrt(2), 2
    )
    assert res.grid.shape == "square" and res.grid.threshold_m == params["weights"]["threshold_m"]
    # the same regions from the bare cells (lattice inferred from the centres)
    from_cells = hotspot_regions(res.cells, pts, borders(units))
    assert from_cells[["hotspot_id", "n_incidents", "n_cells"]].equals(
        regions[["hotspot_id", "n_incidents", "n_cells"]]
    )
    s = region_at(regions, straddle)
    assert s is not None and s["cross_border"] and s["countries"] == "KEN,SOM"
    i = region_at(regions, interior)
    assert i is not None and not i["cross_border"] and i["countries"] == "KEN"
    assert regions["cross_border"].sum() == 1


def test_regions_without_hot_cells_is_empty_frame():
    cells = gpd.GeoDataFrame(
        {"hotspot_kind": ["none"], "hotspot_confidence": [0], "gi_z": [0.0]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=3857,
    )
    pts = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[shapely.Point(0.5, 0.5)], crs=3857)
    r = hotspot_regions(cells, pts)
    assert len(r) == 0 and "cross_border" in r.columns and r.crs.equals(cells.crs)
    with pytest.raises(DataError, match="'country'"):
        hotspot_regions(cells, pts.drop(columns="country"))


# --------------------------------------------------------------------------- local Moran


def test_local_moran_equals_esda(esda_jit):
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 200_000, 200_000)], crs=3857)
    g = grid.hex_grid(units, cell_km=10)
    cells = g.cells
    rng = np.random.default_rng(77)
    blob = np.exp(-((cells["x_m"] - 6e4) ** 2 + (cells["y_m"] - 6e4) ** 2) / 8e8).to_numpy()
    y = (
        rng.normal(0, 0.3, len(cells))
        + 3 * blob
        - 2 * np.exp(-((cells["x_m"] - 1.5e5) ** 2 + (cells["y_m"] - 1.5e5) ** 2) / 8e8).to_numpy()
    )
    w = grid.cell_weights(g)
    ref = esda.Moran_Local(y, w.to_W(), permutations=999, seed=1, n_jobs=1)
    res = local_moran(y, w, permutations=999, seed=2)
    assert list(res.columns) == ["moran_i", "moran_p", "moran_p_fdr", "moran_class"]
    assert set(res["moran_class"]) <= set(hotspots.MORAN_LABELS)
    np.testing.assert_allclose(res["moran_i"], ref.Is, atol=1e-10)
    quad = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
    sig = res["moran_class"] != "not significant"
    assert sig.sum() > 20
    assert (
        res.loc[sig, "moran_class"].to_numpy() == np.array([quad[q] for q in ref.q[sig.to_numpy()]])
    ).all()
    centre = int(np.argmax(blob))
    assert res.loc[centre, "moran_class"] == "high-high"
    assert (res["moran_class"] == "low-low").sum() > 3
    # p-values consistent with esda's (directed, doubled)
    assert np.corrcoef(res["moran_p"], np.minimum(1, 2 * ref.p_sim))[0, 1] > 0.95


# --------------------------------------------------------------------------- units


def test_unit_hotspots_across_borders():
    units = load_units("col_ven")
    rng = np.random.default_rng(404)
    units["incidents"] = rng.poisson(3, len(units))
    # a cross-border concentration: Norte de Santander (COL) and Tachira (VEN)
    hot = units["name"].isin(
        [
            "Norte de Santander",
            "Táchira",
            "Zulia",
            "Apure",
            "Arauca",
            "Mérida",
            "Cesar",
            "Barinas",
            "Boyacá",
        ]
    )
    units.loc[hot, "incidents"] += 60
    with pytest.warns(BorderwatchWarning, match="no neighbour"):
        result = unit_hotspots(units, permutations=99, seed=1)
    assert isinstance(result, UnitHotspots)
    assert result.weights.spec == {
        "type": "fuzzy_contiguity",
        "tolerance_m": 1000.0,
        "binary": True,
        "star": True,
    }
    assert result.gi.inference == "combined" and result.gi.permutations == 99
    res = result.units
    assert not res.attrs
    assert res.crs == units.crs and len(res) == len(units)
    assert res["n_neighbors"].tolist() == result.weights.cardinalities.tolist()
    flagged = res[res["hotspot_kind"] == "hot"]
    assert {"COL", "VEN"} <= set(flagged["country"])
    # Norte de Santander has neighbours across the border
    w = grid.unit_weights(units, warn=False)
    i = int(np.flatnonzero(units["name"] == "Norte de Santander")[0])
    nb = units["country"].to_numpy()[w.sparse[[i]].indices]
    assert "VEN" in nb
    # a rate is not a count: permutation inference is used
    units["rate"] = units["incidents"] / 7.3
    with pytest.warns(BorderwatchWarning):
        res_rate = unit_hotspots(units, column="rate", permutations=99)
    assert res_rate.gi.inference == "permutation"
    assert res_rate.gi.min_count is None  # a rate is not a count: no minimum count
    with pytest.raises(DataError, match="no 'nope' column"):
        unit_hotspots(units, column="nope")


# --------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_ucdp_mexico_juarez_and_tijuana_are_hot():
    path = SHARED / "events" / "ucdp_ged_mexico_border_states_1989_2023.csv"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    units = load_units("mex_usa")
    keep = [
        "Baja California",
        "Sonora",
        "Chihuahua",
        "Coahuila",
        "Nuevo León",
        "Tamaulipas",
        "California",
        "Arizona",
        "New Mexico",
        "Texas",
    ]
    units = units[units["name"].isin(keep)].reset_index(drop=True)
    ev = pd.read_csv(path, usecols=["latitude", "longitude", "date_start"])
    pts = gpd.GeoDataFrame(
        {"date": pd.to_datetime(ev["date_start"])},
        geometry=gpd.points_from_xy(ev["longitude"], ev["latitude"]),
        crs=4326,
    )
    crs = study_crs(units)
    pts = join_country(
        shapely.get_coordinates(pts.to_crs(crs).geometry.array), units, crs, date=pts["date"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        res = cell_hotspots(pts, units, seed=1, trend=False)
    cells = res.cells
    towns = {"Ciudad Juarez": (-106.4869, 31.7394), "Tijuana": (-117.0382, 32.5149)}
    where = grid.point_cells(
        cells, gpd.GeoSeries(gpd.points_from_xy(*zip(*towns.values(), strict=True)), crs=4326)
    )
    labels = cells[["hotspot_kind", "hotspot_confidence"]].to_numpy()[where].tolist()
    assert all(lab == ["hot", 99] for lab in labels), labels
    regions = hotspot_regions(res.grid, pts, borders(units))
    assert len(regions) <= 6
    top2 = regions.head(2).to_crs(4326)
    for lon, lat in towns.values():
        assert top2.geometry.intersects(shapely.Point(lon, lat).buffer(0.3)).any()
    # the conditional permutation test alone finds nothing on these data
    w = grid.cell_weights(res.grid, warn=False)
    perm = gi_star(
        cells["count"], w, permutations=999, seed=1, inference="permutation", min_count=3
    )
    assert not (perm.table["hotspot_kind"] == "hot").any()


@pytest.mark.parametrize(
    "module",
    # `borderwatch.evaluate` is also the function: take the module from sys.modules
    [hotspots, regions, emerging, importlib.import_module("borderwatch.evaluate")],
    ids=["hotspots", "regions", "emerging", "evaluate"],
)
def test_doctests(module):
    res = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted >= 5
