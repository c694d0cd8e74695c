"""The wave 7 shortcuts give exactly what the direct computations give.

* :class:`borderwatch._clustertest.AreaTest` answers as ``shapely.contains_xy`` (so the
  clusters' simulated maps, and their p-values, do not change);
* :func:`borderwatch._stacks.unique_rows` without flags equals ``np.unique(axis=0)``,
  and so do its integer rows with flags (packed column by column);
* :func:`borderwatch._stacks.stacks` in coordinate order (one sort of keys tagged with
  their rows) equals ``np.unique`` of the rounded rows;
* :func:`borderwatch.grid.point_cells` remembers the cells of the same points on the
  same lattice and still answers each call with its own, correct array.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from borderwatch._clustertest import AreaTest, uniform_points
from borderwatch._stacks import unique_rows
from borderwatch.borders import distance_to_border
from borderwatch.grid import hex_grid, point_cells


def _area() -> shapely.Geometry:
    """Two polygons, one with a hole, one touching the bounds only at a corner."""
    outer = Polygon(
        [(0, 0), (70_000, 5_000), (100_000, 60_000), (40_000, 90_000), (5_000, 50_000)],
        holes=[[(30_000, 30_000), (50_000, 30_000), (45_000, 50_000)]],
    )
    return shapely.union(outer, box(100_000, 60_000, 130_000, 75_000))


@pytest.mark.parametrize("cells", [16, 4_096, 65_536])
def test_area_test_answers_as_contains_xy(cells: int) -> None:
    area = _area()
    test = AreaTest(area, cells=cells)
    rng = np.random.default_rng(cells)
    minx, miny, maxx, maxy = area.bounds
    xy = rng.uniform((minx - 5e3, miny - 5e3), (maxx + 5e3, maxy + 5e3), (200_000, 2))
    # points on the area's vertices and edges, on the lattice's lines, and missing ones
    on_edges = shapely.get_coordinates(shapely.segmentize(area.boundary, 500.0))
    lines = np.column_stack(
        [test.origin[0] + test.side * rng.integers(0, test.shape[0], 2000), xy[:2000, 1]]
    )
    xy = np.vstack([xy, on_edges, lines, [[np.nan, 1.0], [np.inf, 0.0]]])
    expected = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    assert (test.contains(xy) == expected).all()
    assert 0 < expected.sum() < len(xy)
    # most points are settled by the lattice without a polygon test
    assert (test.state != 0).mean() > (0.5 if cells >= 4_096 else 0.0)


def test_uniform_points_are_the_same_with_the_area_test() -> None:
    area = _area()
    test = AreaTest(area)
    a = uniform_points(area, 5_000, np.random.default_rng(7))
    b = uniform_points(area, 5_000, np.random.default_rng(7), test=test)
    np.testing.assert_array_equal(a, b)
    assert shapely.contains_xy(area, b[:, 0], b[:, 1]).all()


def test_distance_to_border_is_the_per_point_distance() -> None:
    """Every point's distance is that of its segments; the order of the queries does
    not matter (points in any row order get the same distances)."""
    rng = np.random.default_rng(2)
    line = LineString(np.column_stack([np.linspace(0, 50_000, 40), rng.normal(0, 3e3, 40)]))
    border = gpd.GeoDataFrame({"countries": ["A,B"]}, geometry=[line], crs=3857)
    xy = rng.uniform((-1e4, -3e4), (6e4, 3e4), (5_000, 2))
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    km = distance_to_border(pts, border, crs=3857)
    exact = shapely.distance(np.asarray(pts.array), line) / 1000.0
    assert np.abs(km - exact).max() < 0.05  # the 4 nearest segments, as documented
    assert np.isclose(km, exact, rtol=0, atol=1e-9).mean() > 0.99
    perm = rng.permutation(len(pts))
    again = distance_to_border(pts.iloc[perm].reset_index(drop=True), border, crs=3857)
    np.testing.assert_array_equal(again, km[perm])


@pytest.mark.parametrize(
    "rows",
    [
        np.random.default_rng(0).integers(-50, 50, (20_000, 2)),
        np.random.default_rng(1).normal(0, 1, (20_000, 2)).round(1) + 0.05,
        np.array([[0.0, 1.0], [-0.0, 1.0], [np.nan, 2.0], [np.nan, 2.0], [3.0, 1.0]]),
        np.zeros((0, 2)),
        np.array([[2**40, -(2**40)], [0, 0], [2**40, -(2**40)]]),
    ],
)
def test_unique_rows_equals_numpy(rows: np.ndarray) -> None:
    got = unique_rows(rows)
    # the same as the path with flags (np.unique of the packed key, NaN rows merged) ...
    np.testing.assert_array_equal(got, unique_rows(rows, return_index=True)[0])
    if not np.isnan(rows).any():  # ... and, without NaN, as np.unique of the rows
        want = np.unique(rows, axis=0)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "xy",
    [
        np.random.default_rng(0).integers(-50, 50, (20_000, 2)) * 0.7,
        np.random.default_rng(1).uniform(-2e6, 2e6, (20_000, 2)),
        np.array([[0.4, 0.0], [0.0, 0.0], [5.0, 5.0], [-0.3, 0.2], [5.0, 5.0]]),
        np.array([[3.0, 4.0]]),
        np.array([[9e18, 0.0], [-9e18, 0.0], [9e18, 0.0]]),  # too wide to pack: sorted
    ],
)
def test_stacks_by_first_appearance_equal_the_sorted_rows(xy: np.ndarray) -> None:
    """``stacks`` numbers locations through a hash table; np.unique of the rounded rows
    gives the same locations, sizes and first rows."""
    from borderwatch._stacks import stacks

    loc, sizes, first = stacks(xy)
    key = np.rint(xy).astype(np.int64)
    _, first_sorted, inverse, counts = np.unique(
        key, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    by_first = np.argsort(first_sorted, kind="stable")
    rank = np.empty_like(by_first)
    rank[by_first] = np.arange(len(by_first))
    np.testing.assert_array_equal(loc, rank[inverse.ravel()])
    np.testing.assert_array_equal(sizes, counts[by_first])
    np.testing.assert_array_equal(first, first_sorted[by_first])
    assert loc.dtype == sizes.dtype == first.dtype == np.int64


@pytest.mark.parametrize(
    "xy",
    [
        np.random.default_rng(0).integers(-50, 50, (20_000, 2)) * 0.7,  # many ties
        np.random.default_rng(1).uniform(-2e6, 2e6, (20_000, 2)),
        np.array([[0.5, 0.0], [1.5, 0.0], [-0.5, -0.0], [0.0, 0.0], [2.5, 1.0]]),  # halves
        np.array([[3.0, 4.0]]),
        np.zeros((0, 2)),
        np.array([[1.5e18, 0.0], [-1.5e18, 0.0], [1.5e18, 0.0]]),  # too wide to tag
        np.array([[1e18, 0.0], [3.0, 1e18], [-3e18, -2e18], [3.0, 1e18]]),  # nor to pack
    ],
)
def test_stacks_in_coordinate_order_equal_the_sorted_rows(xy: np.ndarray) -> None:
    """``stacks(order="coordinates")`` sorts keys tagged with their rows; np.unique of the
    rounded rows (as before) gives the same locations, sizes and first rows."""
    from borderwatch._stacks import stacks

    loc, sizes, first = stacks(xy, order="coordinates")
    key = np.rint(xy).astype(np.int64)
    _, want_first, inverse, counts = np.unique(
        key, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(loc, inverse.ravel())
    np.testing.assert_array_equal(sizes, counts)
    np.testing.assert_array_equal(first, want_first)
    assert loc.dtype == sizes.dtype == first.dtype == np.int64


def test_sorted_groups_equal_numpys_unique() -> None:
    from borderwatch._stacks import _sorted_groups

    rng = np.random.default_rng(4)
    for key in (
        rng.integers(0, 30, 5_000),
        rng.integers(0, 2**40, 5_000),
        np.array([5]),
        np.array([0, 0, 0]),
        np.array([2**43 - 1, 0, 2**43 - 1]),  # the largest key that leaves room for rows
    ):
        got = _sorted_groups(key.astype(np.int64))
        want = np.unique(key, return_index=True, return_inverse=True, return_counts=True)[1:]
        assert got is not None
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w.ravel())
            assert g.dtype == np.intp
    assert _sorted_groups(np.array([2**62, 0], dtype=np.int64)) is None  # no room
    assert _sorted_groups(np.array([-1, 3], dtype=np.int64)) is None
    assert _sorted_groups(np.zeros(0, dtype=np.int64)) is None


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int32, np.int64, np.uint64])
def test_unique_rows_of_integers_with_flags_equal_numpy(dtype) -> None:
    rng = np.random.default_rng(9)
    rows = rng.integers(0 if np.dtype(dtype).kind == "u" else -100, 100, (3_000, 2))
    rows = rows.astype(dtype)
    got = unique_rows(rows, return_index=True, return_inverse=True, return_counts=True)
    want = np.unique(rows, axis=0, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w if g.ndim == 2 else w.ravel())
    assert got[0].dtype == rows.dtype


@pytest.mark.usefixtures("in_a_run")
def test_point_cells_are_remembered_per_lattice_and_points(monkeypatch) -> None:
    import borderwatch.grid as grid_mod

    computed = []
    direct_lookup = grid_mod._point_cells

    def counted(*args):
        computed.append(1)
        return direct_lookup(*args)

    monkeypatch.setattr(grid_mod, "_point_cells", counted)
    area = gpd.GeoSeries([box(0, 0, 100_000, 80_000)], crs=3857)
    grid = hex_grid(area, cell_km=10)
    rng = np.random.default_rng(4)
    xy = rng.uniform(-5e3, 1.05e5, (4_000, 2))
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    first = point_cells(grid, pts)
    first[:10] = -7  # the caller's array is its own
    again = point_cells(grid, pts)
    assert (again[:10] != -7).all()
    assert len(computed) == 1
    # a copy of the grid's cells with other columns is the same lattice: remembered
    copy = type(grid)(cells=grid.cells.assign(extra=1), shape=grid.shape, cell_km=grid.cell_km)
    np.testing.assert_array_equal(point_cells(copy, pts), again)
    assert len(computed) == 1
    # the polygons alone (no lattice, no memory) give the same cells
    direct = point_cells(grid.cells, pts)
    np.testing.assert_array_equal(again, direct)
    assert len(computed) == 2
    # another lattice, or other points: computed again, and correct
    other = hex_grid(area, cell_km=5)
    np.testing.assert_array_equal(point_cells(other, pts), point_cells(other.cells, pts))
    moved = gpd.GeoSeries(gpd.points_from_xy(xy[::-1, 0], xy[::-1, 1]), crs=3857)
    np.testing.assert_array_equal(point_cells(grid, moved), direct[::-1])
    assert len(computed) == 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hull_candidates_give_the_same_convex_hulls(seed: int) -> None:
    from borderwatch._geom import hull_candidates

    rng = np.random.default_rng(seed)
    for trial in range(40):
        k = int(rng.integers(1, 12))
        sizes = rng.integers(1, 400, k)
        group = np.repeat(np.arange(k), sizes)
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        xy = (
            rng.normal(0, rng.uniform(1, 5e3), (len(group), 2)) + rng.uniform(0, 1e6, (k, 2))[group]
        )
        if trial % 3 == 0:  # stacks and collinear points
            xy = np.round(xy, -2)
        if trial % 4 == 0:
            xy[:, 1] = np.round(xy[:, 1], -4)
        keep = hull_candidates(xy, group, starts)
        full = shapely.convex_hull(shapely.multipoints(xy, indices=group))
        fewer = shapely.convex_hull(shapely.multipoints(xy[keep], indices=group[keep]))
        assert (shapely.to_wkb(full) == shapely.to_wkb(fewer)).all()
        if sizes.min() > 100 and trial % 3 and trial % 4:  # Gaussian groups: few candidates
            assert keep.mean() < 0.5
