"""The wave 16 shortcuts of the spatial scan give exactly what the direct computations give.

* :func:`borderwatch._scan_windows.scan_windows` (the window limits and each centre's most likely
  window in one walk, logarithms skipped under the chi-square bound) is
  :func:`~borderwatch._scan.grid_windows` then :func:`~borderwatch._scan.best_windows`;
* the scan's locations found once (``borderwatch.scan._Places``) give the stack sizes and
  the clusters' ``n_locations`` that the stacks of each subset give.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from borderwatch import _scan, _scan_windows
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
