"""The priorities' area counts from one spatial query (``counts_in``) against the direct
count: one ``contains`` query per mask, over the masked points only."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from borderwatch.planning._areas import count_in, counts_in


def _direct(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame, mask: np.ndarray | None) -> list:
    pts = points if mask is None else points[mask]
    out = []
    for area in areas.geometry:
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
