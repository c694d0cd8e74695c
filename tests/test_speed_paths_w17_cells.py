"""Wave 17: the compiled pass of lattice_cells (hexagonal grids, many points) gives the
NumPy pass's cells, and settles more points (in clipped cells, or in none) as the spatial
index does, edge cases included."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon, box

import borderwatch._cellindex as ci
from borderwatch.grid import _point_cells, hex_grid, point_cells


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
    assert (s1 | ~s0).all()  # the compiled pass settles every point NumPy settles
    assert np.array_equal(w0[s0], w1[s0])  # in the same cells
    # and the more it settles (in clipped cells, or in none) as the spatial index says
    index = _point_cells(None, grid.cells, gpd.GeoSeries(gpd.points_from_xy(*xy.T), crs=3857))
    assert np.array_equal(w1[s1], index[s1])
    assert (s1 & ~s0).any() and not s1.all()


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


def test_clipped_shortcut_off_when_a_cell_leaves_its_lattice_cell(monkeypatch) -> None:
    """A cell reaching beyond its lattice cell: its points go to the spatial index."""
    grid = hex_grid(gpd.GeoSeries([AREAS[0]], crs=3857), cell_km=10.0)
    sp = grid.cell_km * 1000.0
    rc, full = ci._full_cells(grid, sp)
    assert ci._clipped_inside(grid, np.asarray(grid.cells.geometry.array), rc, full, sp) is not None
    k = int(np.flatnonzero(~full)[0])
    cells = grid.cells.copy()
    cells.loc[cells.index[k], "geometry"] = cells.geometry.iloc[k].buffer(50.0)
    bad = type(grid)(cells=cells, shape=grid.shape, cell_km=grid.cell_km)
    assert ci._clipped_inside(bad, np.asarray(bad.cells.geometry.array), rc, full, sp) is None
    rng = np.random.default_rng(5)
    xy = rng.uniform(-5_000, 100_000, (5_000, 2))
    monkeypatch.setattr(ci, "COMPILED_FROM", 0)
    got = point_cells(bad, gpd.GeoSeries(gpd.points_from_xy(*xy.T), crs=3857))
    index = _point_cells(None, bad.cells, gpd.GeoSeries(gpd.points_from_xy(*xy.T), crs=3857))
    assert np.array_equal(got, index)
