"""Wave 17: the exact border distances of :mod:`borderwatch._segdist` are shapely's.

* :func:`borderwatch._segdist.polyline_distance` (a quadtree over the points keeps per
  square the segments that can be the nearest of one of its points) gives
  ``shapely.distance`` to the union of the lines, up to floating-point rounding, on
  hand-built edge cases (points on the line, degenerate segments, far points, long
  segments, parts) and on random layouts;
* :func:`borderwatch.borders.distance_to_border` is it (NaN for missing points and
  without a border), on random and real borders;
* its work grows linearly with the points, also far from the border, and it runs
  without the GIL.
"""

from __future__ import annotations

import threading
import time
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from borderwatch import BorderwatchWarning
from borderwatch._segdist import _distances, distance_work, line_segments, polyline_distance
from borderwatch.borders import border_lines, distance_to_border, study_crs
from borderwatch.io import read_units

CRS = 3857


def _close(got: np.ndarray, lines: object, xy: np.ndarray) -> None:
    """``got`` is shapely's distance to ``lines`` (a polygon's: to its outline) up to
    rounding (1e-12 of the coordinates)."""
    if isinstance(lines, Polygon):
        lines = lines.boundary
    ref = np.asarray(shapely.distance(shapely.points(xy), lines), dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    scale = max(1.0, float(np.nanmax(np.abs(xy))), float(np.abs(shapely.bounds(lines)).max()))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale)


_HAND = {
    "on vertices": (LineString([(0, 0), (3, 4), (10, 4)]), [(0, 0), (3, 4), (10, 4)], [0, 0, 0]),
    "on segments": (
        LineString([(0, 0), (10, 0), (10, 10)]),
        [(5, 0), (10, 7.5), (0.25, 0), (10, 0)],
        [0, 0, 0, 0],
    ),
    "zero-length segments": (
        LineString([(0, 0), (0, 0), (5, 0), (5, 0), (5, 0), (5, 5)]),
        [(-3, -4), (2.5, 1), (8, 4), (5, 0)],
        [5, 1, 3, 0],
    ),
    "a line of one point": (LineString([(2, 2), (2, 2)]), [(5, 6), (2, 2)], [5, 0]),
    "parts": (
        MultiLineString([[(0, 0), (1, 0)], [(100, 0), (100, 1)], [(50, 50), (50, 50)]]),
        [(-1, 0), (99, 0.5), (50, 47), (60, 0)],
        [1, 1, 3, 40],
    ),
    "one long segment": (
        LineString([(-2e6, 0), (2e6, 1)]),
        [(0, 3), (1.9e6, -40), (2.1e6, 1)],
        None,
    ),
    "far points": (
        LineString([(0, 0), (100, 0), (100, 100)]),
        [(1e6, 1e6), (-1e6, 3e5), (1e6 + 1, 1e6), (50, 1)],
        None,
    ),
    "one point": (LineString([(0, 0), (10, 0)]), [(4, 3)], [3]),
    "identical points": (LineString([(0, 0), (10, 0)]), [(4, 3)] * 50, [3] * 50),
    "points in a row": (LineString([(0, -5), (0, 5)]), [(x, 0.0) for x in range(-20, 21)], None),
    "centre of a circle": (
        shapely.get_exterior_ring(Point(0, 0).buffer(1000, quad_segs=256)),
        [(0, 0), (0.5, 0.25), (0, 0)],
        None,
    ),
    "polygon outline": (
        Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]]),
        [(2, 2), (2, 0.5), (-1, 2)],
        [1, 0.5, 1],
    ),
    "large coordinates": (
        LineString([(5.2e6, 3.1e6), (5.21e6, 3.1e6 + 7e3), (5.3e6, 3.05e6)]),
        [(5.205e6, 3.1e6), (5.25e6, 3.2e6), (5.21e6, 3.1e6 + 7e3)],
        None,
    ),
}


@pytest.mark.parametrize("case", list(_HAND), ids=list(_HAND))
def test_hand_built_cases_are_shapely(case: str) -> None:
    lines, points, expected = _HAND[case]
    xy = np.asarray(points, dtype=float)
    got = polyline_distance(xy, line_segments(lines))
    _close(got, lines, xy)
    if expected is not None:
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)


def _layout(kind: str, rng: np.random.Generator) -> tuple[object, np.ndarray]:
    """Lines and points of one random layout."""
    if kind == "wiggly":
        t = np.linspace(0, 200_000, 400)
        x = 20_000 * np.sin(t / 17_000) + rng.normal(0, 300, len(t))
        return LineString(np.column_stack([x, t])), rng.uniform(-8e5, 8e5, (20_000, 2))
    if kind == "segments":  # scattered short segments, some of no length
        a = rng.uniform(-5e4, 5e4, (300, 2))
        b = a + rng.normal(0, 2e3, (300, 2)) * (rng.random((300, 1)) < 0.8)
        return MultiLineString(list(np.stack([a, b], axis=1))), rng.normal(0, 4e4, (20_000, 2))
    if kind == "far":  # a short border, points up to 1000 km away
        walk = np.cumsum(rng.normal(0, 500, (2_000, 2)), axis=0)
        return LineString(walk), rng.uniform(-1e6, 1e6, (20_000, 2))
    if kind == "on the line":  # points on vertices and on segments, stacks of the same point
        walk = np.cumsum(rng.normal(0, 100, (500, 2)), axis=0)
        t = rng.random((5_000, 1))
        i = rng.integers(0, len(walk) - 1, 5_000)
        mid = walk[i] + t * (walk[i + 1] - walk[i])
        xy = np.vstack([walk, mid, np.repeat(walk[:20], 50, axis=0)])
        return LineString(walk), xy + rng.normal(0, 1, xy.shape) * (rng.random((len(xy), 1)) < 0.3)
    if kind == "detailed":  # few points near a detailed border: each looked up in its box tree
        walk = np.cumsum(rng.normal(0, 20, (30_000, 2)), axis=0)
        return LineString(walk), walk[rng.integers(0, len(walk), 300)] + rng.normal(
            0, 500, (300, 2)
        )
    # "coarse": few long segments over a large extent, and a dense cluster of points
    return LineString(rng.uniform(-3e6, 3e6, (6, 2))), np.vstack(
        [rng.uniform(-3e6, 3e6, (10_000, 2)), rng.normal(0, 10, (10_000, 2))]
    )


@pytest.mark.parametrize("kind", ["wiggly", "segments", "far", "on the line", "coarse", "detailed"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_layouts_are_shapely(kind: str, seed: int) -> None:
    lines, xy = _layout(kind, np.random.default_rng(seed))
    _close(polyline_distance(xy, line_segments(lines)), lines, xy)


def test_points_on_the_vertices_are_at_zero() -> None:
    walk = np.cumsum(np.random.default_rng(3).normal(0, 100, (1_000, 2)), axis=0)
    assert (polyline_distance(walk, line_segments(LineString(walk))) == 0.0).all()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_missing_points_and_missing_border_give_nan() -> None:
    seg = line_segments(LineString([(0, 0), (10, 0)]))
    xy = np.array([[np.nan, 1.0], [5.0, np.inf], [5.0, 2.0]])
    np.testing.assert_array_equal(polyline_distance(xy, seg), [np.nan, np.nan, 2.0])
    assert np.isnan(polyline_distance(xy, np.zeros((0, 4)))).all()
    assert polyline_distance(np.zeros((0, 2)), seg).shape == (0,)
    assert line_segments([None, LineString(), Point(1, 1)]).shape == (0, 4)
    nan_line = LineString([(0, 0), (np.nan, 1), (2, 0), (3, 0)])
    assert line_segments(nan_line).tolist() == [[2.0, 0.0, 3.0, 0.0]]


def test_distance_to_border_is_exact() -> None:
    rng = np.random.default_rng(5)
    lines, xy = _layout("wiggly", rng)
    extra = LineString([(3e5, -1e5), (3e5, 1e5), (3e5, 1e5)])  # a second row, a repeated vertex
    border = gpd.GeoDataFrame({"countries": ["A,B", "B,C"]}, geometry=[lines, extra], crs=CRS)
    pts = list(shapely.points(xy)) + [None, Point(), Point(np.nan, np.nan), Point(3e5, 0)]
    got = distance_to_border(gpd.GeoSeries(pts, crs=CRS), border, crs=CRS)
    union = shapely.union(lines, extra)
    ref = np.r_[shapely.distance(shapely.points(xy), union) / 1000.0, [np.nan] * 3, 0.0]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * 8e5)
    assert got[-1] == 0.0 and np.isnan(got[-4:-1]).all()
    empty = border.iloc[:0]
    assert np.isnan(distance_to_border(gpd.GeoSeries(pts, crs=CRS), empty, crs=CRS)).all()
    none = gpd.GeoDataFrame({"countries": ["A,B"]}, geometry=[None], crs=CRS)
    assert np.isnan(distance_to_border(gpd.GeoSeries(pts[:5], crs=CRS), none, crs=CRS)).all()


@pytest.mark.parametrize("kind", ["wiggly", "far", "coarse"])
def test_work_grows_linearly_with_the_points(kind: str) -> None:
    """Four times the points (the same layout, denser): at most about four times the work,
    and few distances per point even far from the border."""
    rng = np.random.default_rng(7)
    lines, _ = _layout(kind, rng)
    seg = line_segments(lines)
    lo, hi = np.asarray(shapely.bounds(lines)).reshape(2, 2) + [[-1e6], [1e6]]
    small, large = rng.uniform(lo, hi, (20_000, 2)), rng.uniform(lo, hi, (80_000, 2))
    w_small, w_large = distance_work(small, seg), distance_work(large, seg)
    per_small = w_small[:2].sum() / len(small)
    per_large = w_large[:2].sum() / len(large)
    assert per_large <= 1.1 * per_small + 1, (per_small, per_large)
    assert per_large < 64, per_large  # segment tests per point


def test_runs_without_the_gil() -> None:
    """The compiled walk releases the GIL: a thread measuring distances lets the main
    thread run Python code meanwhile."""
    assert _distances.targetoptions.get("nogil") is True
    rng = np.random.default_rng(8)
    lines, _ = _layout("wiggly", rng)
    seg = line_segments(lines)
    xy = rng.uniform(-8e5, 8e5, (400_000, 2))
    polyline_distance(xy[:10], seg)  # compiled
    done = threading.Event()
    ticks = 0

    def measure() -> None:
        polyline_distance(xy, seg)
        done.set()

    worker = threading.Thread(target=measure)
    t0 = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1  # the main thread runs meanwhile
    worker.join()
    assert ticks > 100, (ticks, time.perf_counter() - t0)


_REAL = [
    (
        "mex_usa_border_adm2.geojson",
        {"id_col": "adm2_code", "name_col": "adm2_name", "country_col": "adm0_iso3"},
    ),
    ("ne10m_adm1_car_and_neighbours.geojson", {}),
    ("ne10m_adm1_syr_irq_tur_jor_lbn.geojson", {}),
]


@pytest.mark.parametrize(("units_file", "cols"), _REAL, ids=[r[0].split(".")[0] for r in _REAL])
def test_real_borders_are_shapely(shared_data, units_file: str, cols: dict[str, str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        units = read_units(shared_data / "boundaries" / units_file, **cols)
    crs = study_crs(units)
    border = border_lines(units, crs=crs)
    lines = shapely.union_all(np.asarray(border.to_crs(crs).geometry.array))
    x0, y0, x1, y1 = units.to_crs(crs).total_bounds
    rng = np.random.default_rng(9)
    xy = rng.uniform((x0, y0), (x1, y1), (20_000, 2))
    vertices = shapely.get_coordinates(border.to_crs(crs).geometry.array)
    on = vertices[rng.integers(0, len(vertices), 500)]
    xy = np.vstack([xy, on])
    got = distance_to_border(gpd.GeoSeries(shapely.points(xy), crs=crs), border, crs=crs)
    _close(got * 1000.0, lines, xy)
    assert (got[-500:] == 0.0).all()
