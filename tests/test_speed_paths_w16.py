"""The wave 16 shortcuts of the spatial scan give exactly what the direct computations give.

* :func:`borderwatch._scan_windows.scan_windows` (the window limits and each centre's most likely
  window in one walk, logarithms skipped under the chi-square bound) is
  :func:`~borderwatch._scan.grid_windows` then :func:`~borderwatch._scan.best_windows`;
* the scan's locations found once (``borderwatch.scan._Places``) give the stack sizes and
  the clusters' ``n_locations`` that the stacks of each subset give;
* ``countries``, ``cross_border`` and ``border_km`` of features, paired as integers
  (:mod:`borderwatch._countries`), are those of the pairs as a frame;
* the replicates' locations drawn one by one fall in the same cells through the guide
  table (:mod:`borderwatch._scan_cells`), and each replicate's best one-cell window
  (``borderwatch._scan._warm``) is the same with logarithms skipped under the bound.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS as ProjCRS
from shapely.geometry import LineString, box

from borderwatch import _countries, _scan, _scan_windows
from borderwatch._stacks import stacks, unique_rows
from borderwatch.grid import hex_grid, point_cells, square_grid
from borderwatch.scan import _locations, _Places, _stack_sizes

CRS = 3857


def _grid(shape: str, cell_km: float, width: float = 60_000.0) -> object:
    build = hex_grid if shape == "hex" else square_grid
    return build(gpd.GeoSeries([box(0, 0, width, 0.7 * width)], crs=CRS), cell_km=cell_km)


def _cases(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "sparse":
        return (rng.random(n) < 0.05).astype(np.int64) * rng.integers(1, 4, n)
    if kind == "heavy":
        return rng.poisson(rng.gamma(0.5, 400.0, n)).astype(np.int64)
    if kind == "stack":  # one huge stack, the rest thin
        out = rng.poisson(0.3, n).astype(np.int64)
        out[rng.integers(n)] += 5_000
        return out
    return np.zeros(n, dtype=np.int64)


@pytest.mark.parametrize("shape", ["hex", "square"])
@pytest.mark.parametrize("kind", ["sparse", "heavy", "stack", "empty"])
@pytest.mark.parametrize(("max_share", "min_cases"), [(0.5, 2), (0.2, 1), (0.05, 5)])
def test_scan_windows_are_grid_windows_then_best_windows(
    shape: str, kind: str, max_share: float, min_cases: int
) -> None:
    rng = np.random.default_rng(len(shape) * 100 + len(kind) * 10 + min_cases)
    grid = _grid(shape, 3.0)
    n = len(grid.cells)
    counts = _cases(rng, n, kind)
    for pop in (grid.cells["area_km2"].to_numpy(float), rng.gamma(0.7, 50.0, n) + 1e-3):
        lat, qmax = _scan.grid_windows(grid, pop, max_share=max_share)
        want = _scan.best_windows(lat, counts, pop, qmax, min_cases=min_cases)
        lat2, qmax2, *got = _scan_windows.scan_windows(
            grid, counts, pop, max_share=max_share, min_cases=min_cases
        )
        assert np.array_equal(qmax, qmax2)
        for a, b in zip(want, got, strict=True):
            assert a.dtype == b.dtype
            assert np.array_equal(a, b)  # bit for bit
        for field in ("lut", "base", "flat", "off_i", "off_j", "norm", "ring_end"):
            assert np.array_equal(getattr(lat, field), getattr(lat2, field))


def test_scan_windows_with_ties_and_one_cell() -> None:
    grid = _grid("square", 10.0, width=20_000.0)
    n = len(grid.cells)
    pop = np.ones(n)
    for counts in (np.full(n, 3, dtype=np.int64), np.eye(1, n, 0, dtype=np.int64)[0] * 7):
        lat, qmax = _scan.grid_windows(grid, pop, max_share=0.5)
        want = _scan.best_windows(lat, counts, pop, qmax, min_cases=2)
        _, qmax2, *got = _scan_windows.scan_windows(grid, counts, pop, max_share=0.5, min_cases=2)
        assert np.array_equal(qmax, qmax2)
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True))


def _stacked_points(rng: np.random.Generator, grid: object, n: int) -> gpd.GeoDataFrame:
    """Points with repeated coordinates, some outside the grid, and stacks whose points
    differ by less than the stack tolerance on either side of a cell edge."""
    b = grid.cells.total_bounds
    sites = rng.uniform([b[0] - 3_000, b[1] - 3_000], [b[2] + 3_000, b[3] + 3_000], (n // 4, 2))
    xy = sites[rng.integers(0, len(sites), n)] + rng.normal(0, 0.2, (n, 2)) * (
        rng.random((n, 1)) < 0.3
    )
    edge = grid.cells.geometry.iloc[len(grid.cells) // 2].exterior.coords[0]
    xy[:20] = np.array(edge) + rng.uniform(-0.4, 0.4, (20, 2))  # one stack, two cells
    return gpd.GeoDataFrame(
        {"date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 99, n), "D")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )


def _old_locations(incidents: gpd.GeoDataFrame, feature: np.ndarray, k: int) -> np.ndarray:
    rows = np.flatnonzero(feature >= 0)
    if not len(rows):
        return np.zeros(k, dtype=np.int64)
    import shapely

    loc, _, _ = stacks(shapely.get_coordinates(np.asarray(incidents.geometry.array)[rows]))
    pairs = unique_rows(np.column_stack([feature[rows], loc]))
    return np.bincount(pairs[:, 0], minlength=k).astype(np.int64)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", ["hex", "square"])
def test_places_give_the_stacks_of_each_subset(seed: int, shape: str) -> None:
    import shapely

    rng = np.random.default_rng(seed)
    grid = _grid(shape, 4.0)
    pts = _stacked_points(rng, grid, 3_000)
    where = point_cells(grid, pts.geometry)
    inside = np.flatnonzero(where >= 0)
    assert 0 < len(inside) < len(pts)
    places = _Places(pts, inside, grid.crs)
    want = stacks(shapely.get_coordinates(np.asarray(pts.geometry.array)[inside]))[1]
    assert np.array_equal(places.sizes(), want)
    assert np.array_equal(_stack_sizes(pts, inside, grid.crs, "stacks"), want)
    assert np.array_equal(
        _stack_sizes(pts, inside, grid.crs, "incidents"), np.ones(len(inside), dtype=np.int64)
    )
    for k in (1, 5, 40):
        cluster_of_cell = np.where(
            rng.random(len(grid.cells)) < 0.5, rng.integers(0, k, len(grid.cells)), -1
        )
        feature = np.where(where >= 0, cluster_of_cell[np.maximum(where, 0)], -1)
        expected = _old_locations(pts, feature, k)
        assert np.array_equal(_locations(pts, feature, grid.crs, k, places), expected)
        assert np.array_equal(_locations(pts, feature, grid.crs, k), expected)
    none = np.full(len(pts), -1)
    assert np.array_equal(_locations(pts, none, grid.crs, 3, places), np.zeros(3, dtype=np.int64))


# ------------------------------------------------------------------------------ countries


def _old_feature_countries(feature, codes, n):
    sets = [set() for _ in range(n)]
    member = np.flatnonzero(np.asarray(feature) >= 0)
    pairs = pd.DataFrame({"f": np.asarray(feature)[member], "c": np.asarray(codes)[member]})
    pairs = pairs[pairs["c"] != ""].drop_duplicates()
    for f, c in zip(pairs["f"].tolist(), pairs["c"].tolist(), strict=True):
        sets[int(f)].add(str(c))
    return [",".join(sorted(s)) for s in sets], np.array([len(s) >= 2 for s in sets], dtype=bool)


def _old_feature_border_km(feature, dist_km, unit_codes, n):
    feature = np.asarray(feature)
    member = feature >= 0
    out = np.full(n, np.inf)
    d = np.asarray(dist_km, dtype=float)
    ok = member & np.isfinite(d)
    np.minimum.at(out, feature[ok], d[ok])
    out[~np.isfinite(out)] = np.nan
    pairs = pd.DataFrame({"f": feature[member], "c": np.asarray(unit_codes)[member]})
    pairs = pairs[pairs["c"] != ""].drop_duplicates()
    sides = pairs.groupby("f").size()
    both = sides.index.to_numpy()[sides.to_numpy() >= 2].astype(np.int64)
    out[both] = 0.0
    return out


def _codes(rng: np.random.Generator, m: int, pool: list[object]) -> np.ndarray:
    return np.array([pool[i] for i in rng.integers(0, len(pool), m)], dtype=object)


_POOLS = [
    ["AAA", "BBB", "", "CCC"],
    ["AAA", ""],
    ["", ""],
    ["AAA", "BBB", None],  # missing values: the frame's rules
    ["AAA", np.nan, ""],
]


@pytest.mark.parametrize("pool", _POOLS)
@pytest.mark.parametrize("seed", [0, 1])
def test_feature_countries_and_border_km_are_the_frames(pool: list[object], seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = 500, 12
    # features mostly of one code, some of two, some empty
    feature = np.where(rng.random(m) < 0.8, rng.integers(0, n - 2, m), -1)
    one = _codes(rng, n, pool)
    codes = np.where(rng.random(m) < 0.9, one[np.maximum(feature, 0)], _codes(rng, m, pool))
    codes = codes.astype(object)
    dist = np.where(rng.random(m) < 0.8, rng.uniform(0, 50, m), np.nan)
    got, want = (
        _countries.feature_countries(feature, codes, n),
        _old_feature_countries(feature, codes, n),
    )
    assert got[0] == want[0]
    assert np.array_equal(got[1], want[1])
    assert np.array_equal(
        _countries.feature_border_km(feature, dist, codes, n),
        _old_feature_border_km(feature, dist, codes, n),
        equal_nan=True,
    )


def test_features_border_km_with_lines_is_the_frames() -> None:
    rng = np.random.default_rng(5)
    m, n = 400, 9
    xy = rng.uniform(-20_000, 20_000, (m, 2))
    band = np.floor((xy[:, 0] + 22_500) / 5_000).astype(np.int64)  # band 4 straddles x = 0
    feature = np.where(rng.random(m) < 0.85, band, -1)
    side = np.where(xy[:, 0] < 0, "AAA", "BBB")
    country = np.where(rng.random(m) < 0.05, "", side).astype(object)
    inc = gpd.GeoDataFrame(
        {"country": country}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS
    )
    border = gpd.GeoSeries([LineString([(0, -1e5), (0, 1e5)])], crs=CRS)
    got = _countries.features_border_km(inc, feature, border, ProjCRS(CRS), n)
    dist = _countries.line_distance(np.asarray(inc.geometry.array), border.iloc[0]) / 1000.0
    want = _old_feature_border_km(
        feature, np.where(feature >= 0, dist, np.nan), _countries.unit_countries(inc), n
    )
    assert np.array_equal(got, want, equal_nan=True)
    assert (got == 0).any() and (got > 0).any()


def test_prepare_engine_starts_no_thread() -> None:
    import subprocess
    import sys

    code = (
        "import borderwatch.scan as s, borderwatch._beside as b; s.prepare_engine(); "
        "import sys; print('numba' in sys.modules, b.numba_threads_started())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


# ------------------------------------------------------------------------------ draws


def _cdfs(rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for n in (1, 2, 7, 300, 5_000):
        for kind in ("even", "skewed", "zeros"):
            share = np.ones(n) if kind == "even" else rng.gamma(0.05, 1.0, n) + 0.0
            if kind == "zeros":
                share = np.where(rng.random(n) < 0.5, 0.0, rng.random(n))
                share[rng.integers(n)] = 1.0
            prob = share / share.sum()
            cdf = np.cumsum(prob)
            cdf[-1] = 1.0
            out.append(cdf)
    return out


def test_guided_cells_are_searchsorted() -> None:
    from borderwatch import _scan_cells

    rng = np.random.default_rng(11)
    for cdf in _cdfs(rng):
        table = _scan_cells.guide(cdf)
        if (cdf[1:] < cdf[:-1]).any():
            assert table is None
            continue
        assert table is not None
        k = len(table) - 1
        levels = np.arange(k + 1) / k
        u = np.concatenate(
            [
                rng.random(20_000),
                cdf,
                np.nextafter(cdf, 0.0),
                np.nextafter(cdf, 2.0),
                levels,
                np.nextafter(levels, 0.0),
                np.nextafter(levels, 2.0),
                [0.0, np.nextafter(1.0, 0.0)],
            ]
        )
        u = u[(u >= 0.0) & (u < 1.0)]
        want = np.searchsorted(cdf, u, side="right")
        got = _scan_cells.cells_of(cdf, table, u)
        assert got.dtype == np.int64
        assert np.array_equal(got, want)
        two = u[: 2 * (len(u) // 2)].reshape(2, -1)
        assert np.array_equal(
            _scan_cells.cells_of(cdf, table, two), np.searchsorted(cdf, two, "right")
        )


def test_guide_refuses_a_cdf_that_decreases() -> None:
    from borderwatch import _scan_cells

    cdf = np.array([0.3, 1.0000000000000002, 1.0])
    assert _scan_cells.guide(cdf) is None
    u = np.array([0.1, 0.5, 0.99])
    assert np.array_equal(_scan_cells.cells_of(cdf, None, u), np.searchsorted(cdf, u, "right"))


@pytest.mark.parametrize("seed", [0, 1])
def test_replicate_draws_with_the_guide_are_the_plain_draws(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from borderwatch import _scan_cells

    rng = np.random.default_rng(seed)
    n = 400
    share = rng.gamma(0.3, 1.0, n)
    share[rng.random(n) < 0.1] = 0.0
    sizes = np.concatenate([np.ones(3_000, dtype=np.int64), rng.integers(2, 60, 300)])
    guided = _scan.ReplicateDraws(seed, share, sizes)
    assert guided.guide is not None
    want_blocks = [guided.draw(7), guided.draw(30)]
    monkeypatch.setattr(_scan_cells, "guide", lambda cdf: None)
    plain = _scan.ReplicateDraws(seed, share, sizes)
    assert plain.guide is None
    for want in want_blocks:
        got = plain.draw(want.shape[1])
        assert got.dtype == want.dtype
        assert np.array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
@pytest.mark.parametrize("min_cases", [1, 2, 5])
def test_warm_start_under_the_bound_is_every_one_cell_window(dtype: type, min_cases: int) -> None:
    rng = np.random.default_rng(min_cases)
    n, nb = 600, 130
    pop = rng.gamma(0.5, 10.0, n) + 1e-3
    cnt = rng.poisson(rng.gamma(0.4, 3.0, n)[:, None], (n, nb))
    cnt[rng.integers(n), :] += 200
    cnt = np.ascontiguousarray(np.minimum(cnt, np.iinfo(np.uint8).max), dtype=dtype)
    qmax = np.where(rng.random(n) < 0.05, 0, 10)
    for total in (int(cnt.sum(axis=0).max()), int(cnt.sum(axis=0).max()) * 50):
        xlx = _scan.xlogx_table(total)
        args = (cnt, pop, qmax, total, float(pop.sum()), xlx, min_cases)
        every = _scan._warm(*args, 1e300)  # the bound never skips
        assert np.array_equal(_scan._warm(*args, _scan._slack(xlx)), every)
        assert (every > 0).any()
