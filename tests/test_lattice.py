"""The fixed global lattice: nesting, stable ids, equal area, feasible area of a lone incident."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, box

from borderwatch._errors import DataError
from borderwatch.lattice import (
    ALLOWED_CELL_KM,
    LATTICE_CRS,
    cell_ids_of,
    cell_polygons,
    decode_ids,
    lattice_cells,
    lattice_ids,
    parent_ids,
    snap_cell_km,
)

GEOD = Geod(ellps="WGS84")


def _geodesic_km2(geom_4326: shapely.Geometry) -> float:
    area, _ = GEOD.geometry_area_perimeter(geom_4326)
    return abs(area) / 1e6


def _random_points(n: int, seed: int = 0) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-120, 40, n)
    lat = rng.uniform(-60, 60, n)
    return gpd.GeoSeries(shapely.points(lon, lat), crs=4326)


def test_allowed_sizes_double_and_snap() -> None:
    assert ALLOWED_CELL_KM == (5, 10, 20, 40, 80)
    assert all(b == 2 * a for a, b in zip(ALLOWED_CELL_KM, ALLOWED_CELL_KM[1:], strict=False))
    sizes = (0.5, 4, 5, 7.0, 7.08, 9, 14, 15, 25, 60, 1000)
    expected = [5, 5, 5, 5, 10, 10, 10, 20, 20, 80, 80]
    assert [snap_cell_km(x) for x in sizes] == expected
    with pytest.raises(DataError, match="positive"):
        snap_cell_km(-1)
    with pytest.raises(DataError, match="snap_cell_km"):
        lattice_ids(np.array([0.0]), np.array([0.0]), 7)


def test_ids_nest_across_every_pair_of_sizes() -> None:
    pts = _random_points(3000)
    ids = {km: cell_ids_of(pts, km) for km in ALLOWED_CELL_KM}
    for i, small in enumerate(ALLOWED_CELL_KM):
        for big in ALLOWED_CELL_KM[i:]:
            np.testing.assert_array_equal(parent_ids(ids[small], big), ids[big])
    # a parent holds exactly its children's squares: 4 of the next size
    child = ids[5][:50]
    par = parent_ids(child, 10)
    union = cell_polygons(child).union(cell_polygons(par))
    assert np.allclose(union.area.to_numpy(), 100e6)


def test_ids_are_stable_whatever_the_study_area_and_crs() -> None:
    p = Point(-106.45, 31.70)  # Ciudad Juarez
    a = lattice_cells(gpd.GeoDataFrame(geometry=[p.buffer(0.5)], crs=4326), cell_km=10)
    b = lattice_cells(gpd.GeoDataFrame(geometry=[box(-108, 30, -105.9, 33)], crs=4326), cell_km=10)
    pa = gpd.GeoSeries([p], crs=4326)
    target = cell_ids_of(pa, 10)[0]
    ga = a.cells.set_index("lattice_id").geometry
    gb = b.cells.set_index("lattice_id").geometry
    assert target in ga.index and target in gb.index
    # the same cell, to the millimetre, although the grids (and their cell_id) differ
    assert ga[target].equals_exact(gb[target], 1e-3)
    assert a.cells["cell_id"].tolist() == list(range(len(a)))
    # the id does not depend on the CRS the point comes in
    again = cell_ids_of(pa.to_crs(3857), 10)[0]
    assert again == target
    assert a.crs.equals(LATTICE_CRS)


def test_lattice_cells_match_cell_ids_of() -> None:
    units = gpd.GeoDataFrame(
        {"country": ["MEX", "USA"]},
        geometry=[box(-107, 31, -106, 31.75), box(-107, 31.75, -106, 32.5)],
        crs=4326,
    )
    g = lattice_cells(units, cell_km=20)
    full = g.cells[np.isclose(g.cells["area_km2"], 400.0)]
    centres = gpd.GeoSeries(full.geometry.centroid, crs=g.crs)
    np.testing.assert_array_equal(cell_ids_of(centres, 20), full["lattice_id"].to_numpy())
    assert g.cells["lattice_id"].is_unique
    assert set(g.cells["countries"]) >= {"MEX", "USA", "MEX,USA"}
    d = decode_ids(g.cells["lattice_id"])
    assert (d["cell_km"] == 20).all()
    with pytest.raises(DataError, match="not lattice ids"):
        decode_ids([-1])
    with pytest.raises(DataError, match="lattice sizes"):
        lattice_cells(units, cell_km=12)


@pytest.mark.parametrize("lat", [0.0, 31.7, 55.0])
def test_cells_are_equal_area_lon_lat_rectangles(lat: float) -> None:
    pts = gpd.GeoSeries([Point(-106.45, lat)], crs=4326)
    for km in ALLOWED_CELL_KM:
        sq = cell_polygons(cell_ids_of(pts, km)).to_crs(4326).iloc[0]
        # edges are meridians and parallels: the projected square is a lon/lat rectangle
        assert sq.envelope.area == pytest.approx(sq.area, rel=1e-9)
        dense = shapely.segmentize(cell_polygons(cell_ids_of(pts, km)).iloc[0], 100.0)
        geo = gpd.GeoSeries([dense], crs=LATTICE_CRS).to_crs(4326).iloc[0]
        assert _geodesic_km2(geo) == pytest.approx(km * km, rel=2e-3)


def test_feasible_area_of_a_lone_incident_across_any_releases_is_at_least_25_km2() -> None:
    """A reader intersects every public cell that holds the incident, of every allowed size,
    from any number of releases (different study areas, cell sizes): the cells nest, so what is
    left is the 5 km cell, 25 km² of the Earth."""
    victims = _random_points(6, seed=3)
    for i in range(len(victims)):
        v = victims.iloc[[i]]
        feasible = None
        # releases: every allowed size, cut from grids over three different study areas
        for km in ALLOWED_CELL_KM:
            for pad in (0.3, 1.0, 2.5):
                area = gpd.GeoDataFrame(geometry=[v.iloc[0].buffer(pad)], crs=4326)
                g = lattice_cells(area, cell_km=km).cells
                hold = g[g.intersects(v.to_crs(g.crs).iloc[0])]
                assert len(hold) == 1
                cell = hold.geometry.iloc[0]
                feasible = cell if feasible is None else feasible.intersection(cell)
        assert feasible is not None
        dense = shapely.segmentize(feasible, 100.0)
        geo = gpd.GeoSeries([dense], crs=LATTICE_CRS).to_crs(4326).iloc[0]
        assert _geodesic_km2(geo) >= 25.0 * (1 - 2e-3)
        assert feasible.contains(v.to_crs(LATTICE_CRS).iloc[0])


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="GeoSeries"):
        cell_ids_of([Point(0, 0)], 5)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="larger than"):
        parent_ids(cell_ids_of(gpd.GeoSeries([Point(0, 0)], crs=4326), 20), 10)
