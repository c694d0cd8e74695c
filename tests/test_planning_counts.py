"""The priorities' area counts from one spatial query (``counts_in``) against the direct
count: one ``contains`` query per mask, over the masked points only."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from borderwatch.planning._areas import count_in, counts_in


def _direct(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame, mask: np.ndarray | None) -> list:
    pts = points if mask is None else points[mask]
    out = []
    for area in areas.geometry:
        if area is None:  # a missing area holds nothing
            out.append(0)
            continue
        out.append(int(sum(bool(area.contains(p)) for p in pts.geometry if p is not None)))
    return out


def _areas() -> gpd.GeoDataFrame:
    # overlapping squares, a square with a hole, a duplicate area
    holed = box(10, 0, 14, 4).difference(box(11, 1, 13, 3))
    geoms = [box(0, 0, 2, 2), box(1, 1, 3, 3), holed, box(0, 0, 2, 2)]
    return gpd.GeoDataFrame({"area_id": list("abcd")}, geometry=geoms, crs=4326)


def _points() -> gpd.GeoDataFrame:
    geoms = [
        Point(0.5, 0.5),  # in a and d
        Point(1.5, 1.5),  # in a, b, d (overlap)
        Point(2.0, 1.0),  # on the edges of a, b and d: in none of them
        Point(1.5, 1.5),  # a stacked duplicate
        Point(12, 2),  # in the hole of c
        Point(10.5, 0.5),  # in c
        Point(14, 2),  # on c's outer edge
        None,  # missing
        Point(),  # empty
        Point(50, 50),  # in no area
    ]
    return gpd.GeoDataFrame({"i": range(len(geoms))}, geometry=geoms, crs=4326)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_in_equals_the_direct_count_per_mask(seed: int) -> None:
    areas, points = _areas(), _points()
    rng = np.random.default_rng(seed)
    masks = [
        None,
        rng.random(len(points)) < 0.5,
        np.zeros(len(points), bool),
        np.ones(len(points), bool),
    ]
    got = counts_in(areas, points, masks=masks)
    for mask, counts in zip(masks, got, strict=True):
        assert counts.tolist() == _direct(areas, points, mask)
        assert counts.tolist() == count_in(areas, points, mask=mask).tolist()


def test_counts_in_without_points_or_areas() -> None:
    areas, points = _areas(), _points()
    assert [c.tolist() for c in counts_in(areas, None, masks=[None, None])] == [[0] * 4] * 2
    assert [c.tolist() for c in counts_in(areas.iloc[:0], points, masks=[None])] == [[]]
    assert counts_in(areas, points.iloc[:0], masks=[None])[0].tolist() == [0] * 4


def test_counts_in_reprojects_the_points() -> None:
    areas, points = _areas(), _points()
    metric = points.to_crs(3857)
    got = counts_in(areas, metric, masks=[None])[0]
    assert got.tolist() == _direct(areas, metric.to_crs(4326), None)


def _tree(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> list:
    """The earlier count: one STRtree over the points, queried with ``contains``."""
    geoms = np.asarray(points.geometry.array)
    a_idx, _ = shapely.STRtree(geoms).query(np.asarray(areas.geometry.array), predicate="contains")
    return np.bincount(a_idx, minlength=len(areas)).tolist()


def _odd_areas() -> gpd.GeoDataFrame:
    holed = box(0, 0, 4, 4).difference(box(1, 1, 3, 3))
    multi = MultiPolygon(
        [box(10, 0, 11, 1), box(12, 0, 13, 1).difference(box(12.4, 0.4, 12.6, 0.6))]
    )
    tri = Polygon([(20, 0), (22, 0), (21, 2)])
    geoms = [holed, multi, tri, Polygon(), None, box(1, 1, 3, 3), box(0, 0, 4, 4)]
    return gpd.GeoDataFrame({"area_id": list("abcdefg")}, geometry=geoms, crs=4326)


def test_points_on_boundaries_vertices_and_in_holes_count_as_before() -> None:
    areas = _odd_areas()
    xs = np.arange(-1, 23.01, 0.5)  # a lattice on every edge, vertex and hole boundary
    ys = np.arange(-1, 5.01, 0.2)
    gx, gy = np.meshgrid(xs, ys)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=4326)
    pts = pd.concat([pts, pts.iloc[::7]], ignore_index=True)  # stacked duplicates
    got = counts_in(areas, pts, masks=[None])[0].tolist()
    assert got == _tree(areas, pts) == _direct(areas, pts, None)
    assert got[3] == got[4] == 0 and got[0] > 0 and got[1] > 0  # empty and missing areas


def test_missing_empty_nan_and_3d_points_count_as_the_direct_test() -> None:
    areas = _odd_areas()
    geoms = [
        Point(0.5, 0.5),
        Point(0.5, 0.5, 7.0),  # z does not matter
        Point(0.5, 0.5, np.nan),
        Point(np.nan, np.nan),  # never in an area
        Point(0.5, np.nan),
        Point(np.nan, 0.5),
        Point(np.inf, 0.5),
        None,
        Point(),
        Point(2, 2),  # in the hole of a: in f and g
        Point(1, 1),  # on the corner of a's hole and of f: in g only
        Point(21, 1),
        Point(12.5, 0.5),  # in the multipolygon's hole
        Point(10.5, 0.5),
    ]
    pts = gpd.GeoDataFrame(geometry=geoms, crs=4326)
    mask = np.array([i % 3 != 1 for i in range(len(pts))])
    every, some = counts_in(areas, pts, masks=[None, mask])
    assert every.tolist() == _direct(areas, pts, None) == [3, 1, 1, 0, 0, 1, 5]
    assert some.tolist() == _direct(areas, pts, mask)


def test_other_geometries_still_count_with_contains() -> None:
    areas = _odd_areas()
    geoms = [Point(0.5, 0.5), LineString([(0.2, 0.2), (0.8, 0.2)]), box(21, 0.2, 21.1, 0.3), None]
    pts = gpd.GeoDataFrame(geometry=geoms, crs=4326)
    got = counts_in(areas, pts, masks=[None])[0].tolist()
    assert got == _direct(areas, pts, None) == _tree(areas, pts) == [2, 0, 1, 0, 0, 0, 2]


@pytest.mark.parametrize("seed", [3, 4])
def test_random_points_count_as_the_tree(seed: int) -> None:
    rng = np.random.default_rng(seed)
    areas = _odd_areas()
    n = 5000
    x = np.round(rng.uniform(-1, 23, n), 1)  # rounded: many on edges
    y = np.round(rng.uniform(-1, 5, n), 1)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    masks = [None, rng.random(n) < 0.3]
    got = counts_in(areas, pts, masks=masks)
    assert got[0].tolist() == _tree(areas, pts)
    assert got[1].tolist() == _tree(areas, pts[masks[1]])
