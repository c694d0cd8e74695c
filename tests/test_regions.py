"""Hotspot regions (borderwatch.regions): the incidents' own countries, border_km from the
incidents, the compact extent, and no false regions from random stacks."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from borderwatch._errors import BorderwatchWarning
from borderwatch.grid import point_cells
from borderwatch.hotspots import cell_hotspots
from borderwatch.regions import hotspot_regions

CRS = 3857


def _cells(kinds, boxes, z=None):
    n = len(kinds)
    return gpd.GeoDataFrame(
        {
            "hotspot_kind": kinds,
            "hotspot_confidence": [99 if k == "hot" else 0 for k in kinds],
            "gi_z": z if z is not None else [4.0 if k == "hot" else 0.0 for k in kinds],
            "area_km2": [1.0] * n,
        },
        geometry=boxes,
        crs=CRS,
    )


BORDER = gpd.GeoDataFrame(
    {"countries": ["AAA,BBB"]}, geometry=[LineString([(1000, -1e4), (1000, 1e4)])], crs=CRS
)


def test_region_straddling_the_border_with_incidents_on_one_side():
    """The region's second cell crosses the border, but all its incidents are in AAA."""
    cells = _cells(["hot", "hot"], [box(0, 0, 500, 1000), box(500, 0, 1500, 1000)])
    pts = gpd.GeoDataFrame(
        {"country": ["AAA"] * 4},
        geometry=[Point(200, 500), Point(300, 400), Point(700, 500), Point(850, 300)],
        crs=CRS,
    )
    r = hotspot_regions(cells, pts, BORDER, stack_test=False)
    assert len(r) == 1
    row = r.iloc[0]
    assert row["countries"] == "AAA" and not row["cross_border"]
    # from the incident nearest to the border (150 m), not 0 because the shape crosses it
    assert row["border_km"] == pytest.approx(0.15)
    assert r.geometry.iloc[0].intersects(BORDER.geometry.iloc[0])


def test_country_mismatch_incidents_count_for_their_own_country():
    """Bangui: CAF events that fall inside the DR Congo polygon are CAF events."""
    cells = _cells(["hot", "hot"], [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])
    pts = gpd.GeoDataFrame(
        {
            "country": ["AAA", "AAA", "BBB", "BBB"],  # the polygons they fall in
            "reported_country": ["AAA", "AAA", "AAA", "AAA"],  # their own country
        },
        geometry=[Point(300, 500), Point(600, 500), Point(1400, 500), Point(1600, 500)],
        crs=CRS,
    )
    r = hotspot_regions(cells, pts, BORDER, stack_test=False)
    row = r.iloc[0]
    assert row["countries"] == "AAA" and not row["cross_border"]
    assert row["border_km"] == 0.0  # incidents on both sides of the line
    # an incident without its own country counts for its unit's
    pts.loc[3, "reported_country"] = None
    row = hotspot_regions(cells, pts, BORDER, stack_test=False).iloc[0]
    assert row["countries"] == "AAA,BBB" and row["cross_border"]


def test_empty_hot_cells_do_not_enlarge_a_region():
    """One busy cell makes its six empty neighbours hot; the region is the busy cell."""
    units = gpd.GeoDataFrame(
        {"unit_id": ["a"], "name": ["A"], "country": ["AAA"]},
        geometry=[box(0, 0, 100_000, 100_000)],
        crs=CRS,
    )
    rng = np.random.default_rng(3)
    bg = rng.uniform(0, 100_000, (60, 2))
    busy = rng.normal((50_000, 50_000), 500, (40, 2))
    xy = np.vstack([bg, busy])
    pts = gpd.GeoDataFrame(
        {"country": ["AAA"] * len(xy)}, geometry=gpd.points_from_xy(*xy.T), crs=CRS
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        res = cell_hotspots(pts, units, cell_km=5, seed=0, trend=False, permutations=0)
    cells = res.cells
    hot = (cells["hotspot_kind"] == "hot").to_numpy()
    busy_cells = np.unique(point_cells(res.grid, pts.geometry.iloc[60:]))
    assert hot.sum() > len(busy_cells)  # Gi* smooths: empty neighbours are hot too
    assert (cells.loc[hot, "count"] == 0).sum() >= 4
    r = hotspot_regions(res.grid, pts, weights=res.weights)
    assert len(r) == 1
    row = r.iloc[0]
    assert row["n_cells"] == (hot & (cells["count"] > 0).to_numpy()).sum() <= len(busy_cells) + 1
    assert row["n_cells_smoothed"] >= hot.sum() - 1 > row["n_cells"]
    assert row["area_km2_smoothed"] > 2 * row["area_km2"]
    # every cell of the region holds incidents
    inside = cells[cells.geometry.within(r.geometry.iloc[0].buffer(1))]
    assert (inside["count"] > 0).all()


def _random_stack_points(rng, n_loc, extent):
    """The random-stack null: locations uniform over the area, heavy-tailed stacks."""
    loc = rng.uniform((0, 0), extent, (n_loc, 2))
    size = np.minimum(1 + np.floor(rng.pareto(1.1, n_loc)), 500).astype(int)
    xy = np.repeat(loc, size, axis=0)
    country = np.where(xy[:, 0] < extent[0] / 2, "AAA", "BBB")
    return gpd.GeoDataFrame({"country": country}, geometry=gpd.points_from_xy(*xy.T), crs=CRS)


@pytest.mark.slow
def test_random_stacks_give_at_most_one_false_region_per_map():
    extent = (200_000, 150_000)
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b"], "name": ["A", "B"], "country": ["AAA", "BBB"]},
        geometry=[box(0, 0, 100_000, 150_000), box(100_000, 0, 200_000, 150_000)],
        crs=CRS,
    )
    n_regions, n_smoothing = [], []
    for seed in range(6):
        pts = _random_stack_points(np.random.default_rng(seed), 150, extent)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BorderwatchWarning)
            res = cell_hotspots(pts, units, cell_km=5, seed=seed, trend=False, permutations=0)
        n_regions.append(len(hotspot_regions(res.grid, pts, weights=res.weights)))
        n_smoothing.append(
            len(hotspot_regions(res.grid, pts, weights=res.weights, stack_test=False))
        )
    assert np.mean(n_regions) <= 1.0
    assert np.mean(n_smoothing) > np.mean(n_regions)  # the stack test is what removes them
