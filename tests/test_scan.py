"""The spatial scan statistic (borderwatch.scan) against a pure-numpy brute force,
and on planted truths: a cross-border cluster, a lone busy cell, uniform noise
and random stacks.

The brute force below knows nothing of the lattice: for every centre it sorts
all cells by their (floating-point) distance, and tries every radius.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from borderwatch import _scan
from borderwatch._errors import DataError
from borderwatch.grid import hex_grid, point_cells, square_grid
from borderwatch.scan import SCAN_COLUMNS, spatial_scan

CRS = 3857


# ------------------------------------------------------------------------------ brute force


def _brute_best(xy, counts, pop, *, max_share=0.5, min_cases=2):
    """Each centre's best window by brute force: (llr, cell set) per centre."""
    total, ptotal = float(counts.sum()), float(pop.sum())
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    best = np.zeros(len(xy))
    sets = [np.zeros(0, dtype=np.int64)] * len(xy)
    for i in range(len(xy)):
        di = np.round(d[i], 3)
        for r in np.unique(di):
            win = di <= r
            pw = pop[win].sum()
            if pw > max_share * ptotal * (1 + 1e-12):
                break
            c = counts[win].sum()
            e = total * pw / ptotal
            if c < min_cases or c <= e:
                continue
            v = c * math.log(c / e)
            if total > c:
                v += (total - c) * math.log((total - c) / (total - e))
            if v > best[i]:
                best[i], sets[i] = v, np.flatnonzero(win)
    return best, sets


def _brute_clusters(xy, counts, pop, **kw):
    best, sets = _brute_best(xy, counts, pop, **kw)
    taken = np.zeros(len(xy), dtype=bool)
    out = []
    for i in np.lexsort((np.arange(len(best)), -best)):
        if best[i] <= 0:
            break
        if taken[sets[i]].any():
            continue
        taken[sets[i]] = True
        out.append((best[i], sets[i]))
    return out


def _counts(grid, pts):
    where = point_cells(grid, pts.geometry)
    return np.bincount(where[where >= 0], minlength=len(grid)).astype(np.int64)


def _xy(grid):
    return grid.cells[["x_m", "y_m"]].to_numpy(float)


def _points(xy):
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


@pytest.fixture(scope="module")
def two_countries():
    units = gpd.GeoDataFrame(
        {"country": ["AAA", "BBB"]},
        geometry=[
            Polygon([(0, 0), (40_000, 0), (40_000, 50_000), (0, 35_000)]),
            Polygon([(40_000, 0), (70_000, 0), (70_000, 30_000), (40_000, 50_000)]),
        ],
        crs=CRS,
    )
    return units


def _planted(rng, units, n_bg=120, n_cl=40, centre=(40_000, 20_000), sd=3_000):
    minx, miny, maxx, maxy = units.total_bounds
    area = units.union_all()
    bg = rng.uniform([minx, miny], [maxx, maxy], (n_bg * 3, 2))
    bg = bg[gpd.GeoSeries(gpd.points_from_xy(*bg.T), crs=CRS).within(area).to_numpy()][:n_bg]
    cl = rng.normal(centre, sd, (n_cl, 2))
    return np.vstack([bg, cl])


# ------------------------------------------------------------------------------ reference


@pytest.mark.parametrize(
    ("shape", "cell_km", "seed"), [("hex", 5, 0), ("square", 5, 1), ("hex", 4, 2)]
)
def test_scan_equals_brute_force(two_countries, shape, cell_km, seed):
    build = hex_grid if shape == "hex" else square_grid
    grid = build(two_countries, cell_km=cell_km)
    rng = np.random.default_rng(seed)
    pts = _points(_planted(rng, two_countries))
    counts = _counts(grid, pts)
    pop = grid.cells["area_km2"].to_numpy(float)
    ref = _brute_clusters(_xy(grid), counts, pop)
    res = spatial_scan(grid, pts, replicates=0, keep_all=True)
    got = res.clusters
    assert len(got) == len(ref) > 3
    for row, (llr, cells) in zip(got.itertuples(), ref, strict=True):
        assert abs(row.llr - llr) < 1e-9
        assert row.n_cells == len(cells)
        assert row.n_incidents == counts[cells].sum()
    # the most likely cluster covers exactly the brute force's cells
    where = point_cells(grid, pts.geometry)
    inside = gpd.GeoSeries(grid.cells.geometry.iloc[ref[0][1]].to_numpy(), crs=CRS).union_all()
    assert got.geometry.iloc[0].symmetric_difference(inside).area < 1e-3
    assert (where >= 0).sum() == counts.sum()


@pytest.mark.parametrize("null", ["incidents", "stacks"])
def test_scan_p_values_equal_brute_force_on_the_same_replicates(two_countries, null):
    grid = hex_grid(two_countries, cell_km=6)
    rng = np.random.default_rng(7)
    xy = _planted(rng, two_countries, n_bg=60, n_cl=25, sd=4_000)
    xy = np.vstack([xy, np.repeat(xy[:3], [6, 3, 2], axis=0)])  # a few stacks
    pts = _points(xy)
    counts = _counts(grid, pts)
    pop = grid.cells["area_km2"].to_numpy(float)
    reps = 49
    res = spatial_scan(grid, pts, replicates=reps, seed=3, null=null, keep_all=True)
    # the same replicates, by brute force
    from borderwatch._stacks import stacks

    sizes = np.ones(counts.sum(), dtype=np.int64) if null == "incidents" else stacks(xy)[1]
    sims = _scan.replicate_counts(3, pop / pop.sum(), sizes, reps)
    null_max = np.array(
        [_brute_best(_xy(grid), sims[:, r].astype(np.int64), pop)[0].max() for r in range(reps)]
    )
    assert np.allclose(np.sort(res.null_max), np.sort(null_max), rtol=0, atol=1e-9)
    ref = _brute_clusters(_xy(grid), counts, pop)
    for row, (llr, _) in zip(res.clusters.itertuples(), ref, strict=True):
        expect = (1 + (null_max >= llr - 1e-9 * max(1.0, llr)).sum()) / (reps + 1)
        assert row.p_value == pytest.approx(expect, abs=1e-12)


def test_replicates_do_not_depend_on_blocks():
    share = np.ones(50) / 50
    sizes = np.r_[np.array([3, 1, 1, 5]), np.ones(300, dtype=np.int64)]  # both ways of drawing
    a = _scan.replicate_counts(1, share, sizes, 10)
    draws = _scan.ReplicateDraws(1, share, sizes)
    b = np.hstack([draws.draw(k) for k in (4, 6)])
    assert (a == b).all()
    assert (a.sum(axis=0) == sizes.sum()).all()


def test_replicate_counts_have_the_per_location_distribution():
    """Drawn per stack size (multinomial or categorical), the counts of a cell have the
    mean and variance of every location falling in its own cell: a stack of s adds
    s * Bernoulli(p), so E = p * sum(s) and Var = p (1 - p) * sum(s^2)."""
    share = np.array([0.5, 0.3, 0.15, 0.05])
    sizes = np.r_[np.ones(40, dtype=np.int64), np.array([7, 7, 3, 12])]  # 40 ones: multinomial
    reps = 20_000
    sims = _scan.replicate_counts(5, share, sizes, reps).astype(float)
    mean, var = sims.mean(axis=1), sims.var(axis=1)
    want_mean = share * sizes.sum()
    want_var = share * (1 - share) * (sizes**2).sum()
    se_mean = np.sqrt(want_var / reps)
    assert np.all(np.abs(mean - want_mean) < 5 * se_mean), (mean, want_mean)
    assert np.allclose(var, want_var, rtol=0.06), (var, want_var)


def test_window_rings_are_whole(two_countries):
    """Every cell at the window's radius is in it (SaTScan includes equal distances)."""
    grid = hex_grid(two_countries, cell_km=5)
    xy = _xy(grid)
    lat = _scan.lattice_of(xy[:, 0], xy[:, 1], spacing_m=5000, shape="hex")
    for centre in (0, 17, len(grid) // 2):
        for q_end in np.flatnonzero(lat.ring_end)[:12] + 1:
            cells = _scan.window_cells(lat, centre, int(q_end))
            d = np.hypot(*(xy - xy[centre]).T)
            assert set(cells) == set(np.flatnonzero(d <= lat.radius_m(int(q_end)) + 1e-3))


# ------------------------------------------------------------------------------ planted truth


def test_cross_border_cluster_is_found(two_countries):
    rng = np.random.default_rng(11)
    xy = _planted(rng, two_countries, n_bg=150, n_cl=60, centre=(40_000, 20_000), sd=2_500)
    grid = hex_grid(two_countries, cell_km=5)
    pts = _points(xy)
    pts["country"] = np.where(xy[:, 0] < 40_000, "AAA", "BBB")
    res = spatial_scan(grid, pts, replicates=99, seed=0)
    top = res.clusters.iloc[0]
    assert top["p_value"] <= 0.05
    assert top["countries"] == "AAA,BBB" and bool(top["cross_border"])
    assert top["border_km"] == 0.0
    assert top.geometry.distance(gpd.points_from_xy([40_000], [20_000])[0]) == 0
    assert top["relative_risk"] > 3
    assert list(res.clusters.columns) == [*SCAN_COLUMNS, "geometry"]


def test_one_busy_cell_is_a_cluster_and_its_empty_neighbours_are_not():
    units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 60_000, 60_000)], crs=CRS)
    grid = hex_grid(units, cell_km=5)
    rng = np.random.default_rng(4)
    bg = rng.uniform(0, 60_000, (80, 2))
    cell = int(point_cells(grid, _points(np.array([[30_000.0, 30_000.0]])).geometry)[0])
    centre = grid.cells[["x_m", "y_m"]].to_numpy()[cell]
    busy = rng.normal(centre, 300, (25, 2))  # 25 distinct points in one cell
    pts = _points(np.vstack([bg, busy]))
    assert (point_cells(grid, pts.geometry)[80:] == cell).all()
    for null in ("stacks", "incidents"):
        top = spatial_scan(grid, pts, replicates=99, seed=1, null=null).clusters.iloc[0]
        assert top["n_cells"] == 1 and top["radius_km"] == 0.0
        assert top.geometry.equals(grid.cells.geometry.iloc[cell])
        assert top["p_value"] <= 0.05


def _fpr(units, grid, make, *, null, seeds, reps=99):
    hits = 0
    for s in seeds:
        pts = make(np.random.default_rng(1000 + s))
        res = spatial_scan(grid, pts, replicates=reps, seed=s, null=null)
        hits += len(res.clusters) > 0
    return hits / len(seeds)


def _uniform(units, n):
    minx, miny, maxx, maxy = units.total_bounds

    def make(rng):
        return _points(rng.uniform([minx, miny], [maxx, maxy], (n, 2)))

    return make


def _random_stacks(units, n_loc):
    """The random-stack null: ``n_loc`` locations uniform over the area, each a stack
    of heavy-tailed size (1 + Pareto(1.1) rounded down, at most 500), no clustering
    between locations."""
    minx, miny, maxx, maxy = units.total_bounds

    def make(rng):
        loc = rng.uniform([minx, miny], [maxx, maxy], (n_loc, 2))
        size = np.minimum(1 + np.floor(rng.pareto(1.1, n_loc)), 500).astype(int)
        return _points(np.repeat(loc, size, axis=0))

    return make


@pytest.mark.slow
def test_false_positives_near_alpha_in_uniform_noise():
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 80_000, 60_000)], crs=CRS)
    grid = hex_grid(units, cell_km=5)
    rate = _fpr(units, grid, _uniform(units, 150), null="stacks", seeds=range(30))
    assert rate <= 4 / 30  # the expected rate is at most 0.05 (3 % over 200 seeds)


@pytest.mark.slow
def test_no_clusters_from_random_stacks_under_the_stack_null():
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 80_000, 60_000)], crs=CRS)
    grid = hex_grid(units, cell_km=5)
    make = _random_stacks(units, 40)
    assert _fpr(units, grid, make, null="stacks", seeds=range(30)) <= 4 / 30  # 2 % over 200
    # moving incidents one by one, every stack is a "cluster"
    assert _fpr(units, grid, make, null="incidents", seeds=range(5)) >= 0.8


# ------------------------------------------------------------------------------ API


def test_scan_result_summary_and_filter(two_countries):
    rng = np.random.default_rng(5)
    pts = _points(_planted(rng, two_countries))
    grid = hex_grid(two_countries, cell_km=5)
    res = spatial_scan(grid, pts, replicates=99, seed=2)
    everything = spatial_scan(grid, pts, replicates=99, seed=2, keep_all=True)
    assert len(everything.clusters) == everything.n_candidates > len(res.clusters) >= 1
    assert (res.clusters["p_value"] <= 0.05).all()
    assert res.clusters["scan_id"].tolist() == list(range(1, len(res.clusters) + 1))
    s = res.summary()
    assert s["replicates"] == 99 and s["max_share"] == 0.5 and s["null"] == "stacks"
    assert s["n"] == len(res.clusters) and s["population"] == "area"
    assert s["critical_llr"] < res.clusters["llr"].iloc[0]
    # population per cell instead of area
    pop = np.ones(len(grid))
    assert spatial_scan(grid, pts, population=pop, replicates=0).population == "population"


def test_scan_rejects_bad_input(two_countries):
    grid = hex_grid(two_countries, cell_km=5)
    pts = _points(np.array([[1000.0, 1000.0]]))
    with pytest.raises(DataError, match="Grid"):
        spatial_scan(grid.cells, pts)
    with pytest.raises(DataError, match="max_share"):
        spatial_scan(grid, pts, max_share=0.8)
    with pytest.raises(DataError, match="replicates"):
        spatial_scan(grid, pts, replicates=-1)
    with pytest.raises(DataError, match="null"):
        spatial_scan(grid, pts, null="cells")
    with pytest.raises(DataError, match="population"):
        spatial_scan(grid, pts, population=np.ones(3))
    empty = spatial_scan(grid, pts, replicates=9)
    assert len(empty.clusters) == 0 and list(empty.clusters.columns) == [*SCAN_COLUMNS, "geometry"]


# ------------------------------------------------------------------------------ integration


def test_demo_has_a_scan_layer_and_summary(demo_result):
    scan = demo_result.scan
    assert scan is not None and len(scan) >= 1 and scan.crs.to_epsg() == 4326
    assert list(scan.columns) == [*SCAN_COLUMNS, "geometry"]
    assert (scan["p_value"] <= demo_result.settings.alpha).all()
    s = demo_result.summary["scan"]
    assert s["replicates"] == 999 and s["max_share"] == 0.5 and s["null"] == "stacks"
    assert s["n"] == len(scan) and s["population"] == "area"
    clusters = demo_result.summary["clusters"]
    assert clusters["replicates"] == 99 and clusters["n"] <= clusters["n_found"]
    assert (demo_result.clusters["p_value"] <= 0.05).all()


def test_public_scan_layer_keeps_p_values_and_hides_small_counts(demo_result, demo_public):
    k = demo_public.k
    pub = demo_public.scan
    assert pub is not None
    assert "n_locations" not in pub.columns and "n_locations" not in demo_public.hotspots.columns
    assert {"p_value", "relative_risk", "expected", "countries", "cross_border"} <= set(pub.columns)
    assert (pub["n_incidents"] >= k).all()
    assert demo_public.summary["scan"]["n"] == len(pub)
    # the public scan ran on the fixed lattice: its clusters lie where the internal ones are
    for b in pub.geometry:
        assert b.is_valid and demo_result.scan.geometry.intersects(b).any()


def test_scan_layer_on_the_map(demo_result):
    import json
    import re

    from borderwatch.maps import make_map

    html = make_map(demo_result, view="public").get_root().render()
    data_re = r'<script type="application/json" id="bw-data-[0-9a-f]+">(.*?)</script>'
    blocks = [json.loads(b) for b in re.findall(data_re, html, re.S)]
    layers = [x for x in blocks[-1]["layers"] if x["key"] == "scan"]
    assert len(layers) == 1 and not layers[0]["show"]
    assert len(layers[0]["fc"]["features"]) == demo_result.summary["scan"]["n"]
    assert "Relative risk" in layers[0]["fields"]


def test_scan_settings():
    from borderwatch.settings import Settings

    s = Settings.from_mapping({"scan-replicates": 99, "scan_all": True, "scan_null": "incidents"})
    assert (s.scan_replicates, s.scan_all, s.scan_null, s.scan_max_share) == (
        99,
        True,
        "incidents",
        0.5,
    )
    assert Settings(scan_max_share=0.5).scan_max_share == 0.5
    for bad in ({"scan_max_share": 0.6}, {"scan_max_share": 0}, {"scan_replicates": -1}):
        with pytest.raises(DataError):
            Settings(**bad)
    assert Settings().cluster_replicates == 99 and not Settings().clusters_all


def test_replicate_draws_in_place_or_counted_give_the_same_counts(monkeypatch):
    """Stack sizes held by few locations are added in place, the others counted over all
    cells: the same draws (one random stream per size) give the same counts either way."""
    rng = np.random.default_rng(3)
    share = rng.random(400)
    sizes = np.r_[np.ones(3000, dtype=np.int64), rng.integers(2, 40, 300), np.full(60, 7)]

    def counts(sparse: int) -> np.ndarray:
        monkeypatch.setattr(_scan, "_SPARSE", sparse)
        draws = _scan.ReplicateDraws(11, share, sizes)
        return np.hstack([draws.draw(30), draws.draw(19)])

    in_place, counted = counts(10**9), counts(0)
    np.testing.assert_array_equal(in_place, counted)
    assert (in_place.sum(axis=0) == sizes.sum()).all()


@pytest.mark.parametrize(("n", "stack"), [(5_000, 1), (70_000, 1), (100_000, 70_000)])
def test_null_maxima_with_narrow_count_rows_equal_each_replicates_best_window(n, stack):
    """The replicates' counts go to the kernel in the narrowest integer that holds them
    (uint8 up to 255 per cell, then uint16, then the accumulator's width): every width
    gives each replicate's best window, as the observed-data kernel finds it."""
    gx, gy = np.meshgrid((np.arange(7) + 0.5) * 1000.0, (np.arange(6) + 0.5) * 1000.0)
    lat = _scan.lattice_of(gx.ravel(), gy.ravel(), spacing_m=1000.0, shape="square")
    pop = np.random.default_rng(1).uniform(1, 3, lat.ci.size)
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    # 5,000 incidents: 16-bit sums, 8-bit rows; 70,000: 32-bit sums, 16-bit rows; a stack
    # of 70,000: 32-bit rows
    sizes = np.r_[np.ones(n - stack, dtype=np.int64), [stack]]
    reps = 19
    got = _scan.null_maxima(lat, pop, qmax, sizes, replicates=reps, seed=5, min_cases=2)
    sims = _scan.replicate_counts(5, pop / pop.sum(), sizes, reps)
    top = sims.max()
    assert top <= 255 if n == 5_000 else top > (255 if stack == 1 else 65_535)
    want = [
        _scan.best_windows(lat, sims[:, r], pop, qmax, min_cases=2)[0].max() for r in range(reps)
    ]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("n_incidents", [3, 40, 4_000])
def test_null_maxima_in_lane_blocks_over_sparse_counts_equal_each_replicates_best_window(
    monkeypatch, n_incidents
):
    """The kernel walks each chunk's windows once, keeps only the ring ends after a cell
    with a count (few incidents: most rings add none) and runs the replicates in blocks of
    ``LANES`` (here 8: 19 replicates are two full blocks and a partial one). Each
    replicate's maximum is still its best window as the observed-data kernel finds it."""
    monkeypatch.setattr(_scan, "LANES", 8)
    gx, gy = np.meshgrid((np.arange(20) + 0.5) * 1000.0, (np.arange(15) + 0.5) * 1000.0)
    lat = _scan.lattice_of(gx.ravel(), gy.ravel(), spacing_m=1000.0, shape="square")
    pop = np.random.default_rng(2).uniform(1, 3, lat.ci.size)
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    sizes = np.r_[np.ones(n_incidents - 1, dtype=np.int64), [2]]
    reps = 19
    got = _scan.null_maxima(lat, pop, qmax, sizes, replicates=reps, seed=9, min_cases=2)
    sims = _scan.replicate_counts(9, pop / pop.sum(), sizes, reps)
    if n_incidents == 3:  # most cells empty in every replicate: most rings are skipped
        assert (sims.max(axis=1) == 0).mean() > 0.5
    want = [
        _scan.best_windows(lat, sims[:, r], pop, qmax, min_cases=2)[0].max() for r in range(reps)
    ]
    assert len(set(np.round(want, 9))) > 1  # the replicates differ: lanes are not mixed up
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("replicates", [1, 19, 45])
def test_null_maxima_with_work_meanwhile_equal_the_sequential_draws(monkeypatch, replicates):
    """The first block of replicates is drawn in a helper thread while ``meanwhile`` runs:
    the same stream in the same order, so the same maxima, bit for bit, as drawing every
    block in turn and taking each block's maxima (here blocks of 16: the later blocks are
    drawn after the first, from the same stream); ``meanwhile`` runs once."""
    monkeypatch.setattr(_scan, "BLOCK", 16)
    gx, gy = np.meshgrid((np.arange(9) + 0.5) * 1000.0, (np.arange(8) + 0.5) * 1000.0)
    lat = _scan.lattice_of(gx.ravel(), gy.ravel(), spacing_m=1000.0, shape="hex")
    pop = np.random.default_rng(3).uniform(1, 3, lat.ci.size)
    qmax = _scan.window_limits(lat, pop, max_share=0.5)
    sizes = np.r_[np.ones(300, dtype=np.int64), [2, 2, 5]]
    calls: list[int] = []
    got = _scan.null_maxima(
        lat,
        pop,
        qmax,
        sizes,
        replicates=replicates,
        seed=4,
        min_cases=2,
        meanwhile=lambda: calls.append(1),
    )
    draws = _scan.ReplicateDraws(4, pop / pop.sum(), sizes)
    want = np.concatenate(
        [
            _scan.block_maxima(
                lat, pop, qmax, draws.draw(min(16, replicates - a)), total=309, min_cases=2
            )
            for a in range(0, replicates, 16)
        ]
    )
    assert calls == [1]
    np.testing.assert_array_equal(got, want)
