"""Wave 17: the compiled pass of lattice_cells (hexagonal grids, many points) gives the
NumPy pass's cells, edge cases included."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon, box

import borderwatch._cellindex as ci
from borderwatch.grid import hex_grid, point_cells


def _both(grid, xy, monkeypatch):
    monkeypatch.setattr(ci, "COMPILED_FROM", 10**12)
    plain = ci.lattice_cells(grid, xy)
    monkeypatch.setattr(ci, "COMPILED_FROM", 0)
    compiled = ci.lattice_cells(grid, xy)
    return plain, compiled


AREAS = [
    box(0, 0, 95_000, 61_000),
    Polygon([(0, 0), (80_000, 5_000), (60_000, 70_000), (-20_000, 40_000)]),
    box(-120_000, -80_000, -30_000, 10_000),  # negative rows and columns
]


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.parametrize("cell_km", [5.0, 7.5, 20.0])
def test_compiled_hex_cells_equal_numpy(area, cell_km, monkeypatch) -> None:
    grid = hex_grid(gpd.GeoSeries([area], crs=3857), cell_km=cell_km)
    rng = np.random.default_rng(int(cell_km * 10))
    lo, hi = np.array(area.bounds[:2]) - 5_000, np.array(area.bounds[2:]) + 5_000
    pts = [rng.uniform(lo, hi, (20_000, 2))]
    cx, cy = grid.cells["x_m"].to_numpy(), grid.cells["y_m"].to_numpy()
    s = cell_km * 1000.0
    for ang in np.arange(0.0, 360.0, 15.0):  # on and near the edges and the corners
        for rad in (s / 2, s / np.sqrt(3), s / 2 - 0.009, s / 2 - 0.011, s / np.sqrt(3) - 0.01):
            t = np.radians(ang)
            pts.append(np.column_stack([cx + rad * np.cos(t), cy + rad * np.sin(t)]))
    pts.append(np.column_stack([cx, cy]))  # the centres
    xy = np.vstack(pts)
    (w0, s0), (w1, s1) = _both(grid, xy, monkeypatch)
    assert np.array_equal(w0, w1)
    assert np.array_equal(s0, s1)
    assert s0.any() and not s0.all()


def test_point_cells_same_with_the_compiled_pass(monkeypatch) -> None:
    area = AREAS[1]
    grid = hex_grid(gpd.GeoSeries([area], crs=3857), cell_km=5.0)
    rng = np.random.default_rng(3)
    pts = gpd.GeoSeries(gpd.points_from_xy(*rng.uniform(-25_000, 85_000, (2, 30_000))), crs=3857)
    monkeypatch.setattr(ci, "COMPILED_FROM", 10**12)
    plain = point_cells(grid, pts)
    monkeypatch.setattr(ci, "COMPILED_FROM", 0)
    compiled = point_cells(grid, pts)
    assert np.array_equal(plain, compiled)
