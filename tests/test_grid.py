"""Tests of borderwatch.grid and borderwatch.weights: grids, counts, cell size and spatial weights."""

from __future__ import annotations

import doctest
import math
import warnings
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from borderwatch import grid, weights
from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning, DataError

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = REPO / "data" / "boundaries"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_units(name: str) -> gpd.GeoDataFrame:
    u = gpd.read_file(BOUNDARIES / f"ne10m_adm1_{name}.geojson").rename(
        columns={"adm0_iso3": "country"}
    )
    u["geometry"] = u.geometry.make_valid()
    u["unit_id"] = [f"u{i}" for i in range(len(u))]
    return u


@pytest.fixture(scope="module")
def col_ven() -> gpd.GeoDataFrame:
    return load_units("col_ven")


@pytest.fixture(scope="module")
def col_ven_grid(col_ven: gpd.GeoDataFrame) -> grid.Grid:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return grid.hex_grid(col_ven, cell_km=20)


@pytest.fixture(scope="module")
def col_ven_cells(col_ven_grid: grid.Grid) -> gpd.GeoDataFrame:
    return col_ven_grid.cells


def test_hex_grid_covers_study_area_and_clips(col_ven, col_ven_grid):
    assert isinstance(col_ven_grid, grid.Grid)
    assert (col_ven_grid.shape, col_ven_grid.cell_km) == ("hex", 20.0)
    cells = col_ven_grid.cells
    assert len(col_ven_grid) == len(cells) and col_ven_grid.crs.equals(cells.crs)
    assert not cells.attrs  # the lattice travels in the Grid, not in pandas attrs
    crs = study_crs(col_ven)
    assert cells.crs.equals(crs)
    union = shapely.union_all(col_ven.to_crs(crs).geometry.array)
    # the cells cover the study area exactly: same area, nothing outside
    assert cells["area_km2"].sum() == pytest.approx(union.area / 1e6, rel=1e-6)
    covered = shapely.union_all(cells.geometry.array)
    assert covered.area == pytest.approx(union.area, rel=1e-6)  # no overlaps
    assert shapely.intersection(covered, union).area == pytest.approx(
        union.area, rel=1e-6
    )  # nothing outside
    # a full hexagon of 20 km spacing has area sqrt(3)/2 * 400 km²
    full = math.sqrt(3) / 2 * 400
    assert cells["area_km2"].max() == pytest.approx(full, rel=1e-9)
    assert (cells["area_km2"] < full * 0.999).sum() > 100  # clipped along coasts and edges
    assert cells["cell_id"].tolist() == list(range(len(cells)))
    assert {"cell_id", "countries", "area_km2", "x_m", "y_m", "geometry"} <= set(cells.columns)


def test_cells_record_the_countries_they_touch(col_ven, col_ven_cells):
    cells = col_ven_cells
    assert set(cells["countries"]) == {"COL", "VEN", "COL,VEN"}
    both = cells[cells["countries"] == "COL,VEN"]
    assert 50 < len(both) < 400
    crs = cells.crs
    col = shapely.union_all(col_ven[col_ven["country"] == "COL"].to_crs(crs).geometry.array)
    ven = shapely.union_all(col_ven[col_ven["country"] == "VEN"].to_crs(crs).geometry.array)
    g = both.geometry.array
    assert (shapely.area(shapely.intersection(g, col)) > 0).all()
    assert (shapely.area(shapely.intersection(g, ven)) > 0).all()
    only_col = cells[cells["countries"] == "COL"].geometry.array
    assert (shapely.area(shapely.intersection(only_col, ven)) < 1.0).all()


def test_grid_is_anchored_and_reproducible(col_ven):
    a = grid.hex_grid(col_ven, cell_km=50).cells
    b = grid.hex_grid(col_ven.iloc[::-1], cell_km=50).cells
    assert np.allclose(a[["x_m", "y_m"]].to_numpy(), b[["x_m", "y_m"]].to_numpy())


def test_square_grid_and_queen_neighbours():
    units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 100_000, 80_000)], crs=3857)
    g = grid.square_grid(units, cell_km=10)
    assert (g.shape, g.cell_km) == ("square", 10.0)
    cells = g.cells
    assert len(cells) == 80
    assert cells["area_km2"].sum() == pytest.approx(8000)
    w = grid.cell_weights(g)
    assert g.threshold_m == w.spec["threshold_m"]
    assert w.spec == {
        "type": "distance_band",
        "threshold_m": round(10_000 * 1.01 * math.sqrt(2), 2),
        "binary": True,
        "star": True,
    }
    card = w.cardinalities
    assert card.max() == 8 and card.min() == 3  # interior 8 (queen), corners 3
    assert (card == 8).sum() == 8 * 6
    # the same links from the bare cells (spacing and shape inferred from the centres)
    assert (grid.cell_weights(cells).sparse != w.sparse).nnz == 0


def test_hex_distance_band_six_neighbours_and_exact_spec():
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 200_000, 150_000)], crs=3857)
    g = grid.hex_grid(units, cell_km=7.5)
    w = grid.cell_weights(g)
    assert w.spec == {"type": "distance_band", "threshold_m": 7575.0, "binary": True, "star": True}
    assert np.bincount(w.cardinalities).argmax() == 6
    assert w.cardinalities.max() == 6
    # symmetric, binary, no self-weights
    m = w.sparse
    assert (m != m.T).nnz == 0
    assert set(np.unique(m.data)) == {1.0}
    assert m.diagonal().sum() == 0
    # the same threshold from the Grid and from the bare cells (inferred from centres)
    assert grid.natural_threshold_m(g) == g.threshold_m == 7575.0
    assert grid.natural_threshold_m(g.cells) == 7575.0


def test_knn_and_contiguity_weights():
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 100_000, 100_000)], crs=3857)
    cells = grid.hex_grid(units, cell_km=10).cells
    w = grid.cell_weights(cells, kind="knn", k=8)
    assert w.spec == {"type": "knn", "k": 8, "ties": "all", "star": True}
    # every cell has at least k links; a full interior hexagon has the 6 adjacent and
    # the 6 tied at sqrt(3) spacing (the 7th to 12th nearest are equidistant)
    assert (w.cardinalities >= 8).all()
    assert (w.cardinalities == 12).sum() > len(cells) // 3
    c = grid.cell_weights(cells, kind="contiguity")
    assert c.spec["type"] == "fuzzy_contiguity"
    db = grid.cell_weights(cells)
    # hexagons: touching cells are lattice neighbours; clipping at the edge of
    # the study area can remove a shared edge, never add one
    assert (c.sparse - c.sparse.multiply(db.sparse)).nnz == 0
    full = (cells["area_km2"] > cells["area_km2"].max() * 0.999).to_numpy()
    assert (c.sparse[full][:, full] != db.sparse[full][:, full]).nnz == 0
    g = db.to_graph()
    assert g.n == len(cells)
    wl = db.to_W()
    assert (
        wl.n == len(cells)
        and wl.cardinalities[int(cells["cell_id"].iloc[0])] == db.cardinalities[0]
    )


def test_islands_are_reported(col_ven, col_ven_grid):
    with pytest.warns(BorderwatchWarning, match="no neighbour"):
        w = grid.cell_weights(col_ven_grid)
    assert len(w.islands) >= 1  # San Andres and other islets
    isl = col_ven_grid.cells.set_index("cell_id").loc[w.islands]
    # every islet records the one country it belongs to (none straddles the border)
    assert (isl["countries"] != "").all()
    assert set(isl["countries"]) <= {"COL", "VEN"}
    with pytest.warns(BorderwatchWarning, match="units have no neighbour"):
        uw = grid.unit_weights(col_ven)
    assert len(uw.islands) >= 1
    assert any("San Andr" in str(n) for n in col_ven.set_index("unit_id").loc[uw.islands, "name"])


def test_count_points_vectorised_and_reprojects(col_ven, col_ven_cells):
    rng = np.random.default_rng(4242)
    lon = rng.uniform(-80, -60, 3000)
    lat = rng.uniform(-4, 12, 3000)
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    counts = grid.count_points(col_ven_cells, pts)
    assert counts.dtype == np.int64 and counts.name == "count"
    inside = shapely.contains_xy(shapely.union_all(col_ven.geometry.array), lon, lat)
    # points on the quantised coast may fall just outside the reprojected cells
    assert abs(int(counts.sum()) - int(inside.sum())) <= 3
    assert counts.index.equals(col_ven_cells.index)


def test_count_points_edge_point_counted_once():
    cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)], crs=3857)
    pts = gpd.GeoSeries([Point(1, 0.5), Point(1, 1), Point(0.5, 1.5), None, Point(5, 5)], crs=3857)
    assert grid.count_points(cells, pts).tolist() == [2, 0, 1]
    assert grid.point_cells(cells, pts).tolist() == [0, 0, 2, -1, -1]


def test_default_cell_km_rule():
    area = gpd.GeoSeries([box(0, 0, 400_000, 400_000)], crs=3857)
    rng = np.random.default_rng(99)
    xy = rng.uniform(0, 400_000, (2000, 2))
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    size = grid.default_cell_km(pts, units=area)
    # CSR: median NN distance ~ 0.47 / sqrt(density) = 4.2 km -> 2x = 8.4 -> nice 10
    assert size == 10.0
    # coincident points collapse: 100 copies of each location change nothing
    dup = gpd.GeoSeries(np.repeat(pts.to_numpy(), 3), crs=3857)
    assert grid.default_cell_km(dup, units=area) == size
    # a very tight cluster would want tiny cells: bounded by max_cells
    tight = gpd.GeoSeries(
        gpd.points_from_xy(rng.normal(2e5, 50, 500), rng.normal(2e5, 50, 500)), crs=3857
    )
    bounded = grid.default_cell_km(tight, units=area, max_cells=15_000)
    assert area.area.sum() / 1e6 / (math.sqrt(3) / 2 * bounded**2) <= 15_000
    # very sparse points would want huge cells: bounded by min_cells
    few = gpd.GeoSeries([Point(1e4, 1e4), Point(3.9e5, 3.9e5), Point(1e4, 3.9e5)], crs=3857)
    big = grid.default_cell_km(few, units=area, min_cells=300)
    assert area.area.sum() / 1e6 / (math.sqrt(3) / 2 * big**2) >= 300
    assert big in {m * 10.0**e for m in (1, 2, 2.5, 5) for e in range(-2, 5)}


def test_unit_weights_bridge_gaps_and_slivers():
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b", "c", "d"], "country": ["AAA", "BBB", "BBB", "CCC"]},
        geometry=[
            box(0, 0, 10_000, 10_000),
            box(10_300, 0, 20_000, 10_000),  # 300 m gap
            box(19_950, 0, 30_000, 10_000),  # 50 m overlap (sliver)
            box(60_000, 0, 70_000, 10_000),
        ],  # island
        crs=3857,
    )
    with pytest.warns(BorderwatchWarning, match="1 units have no neighbour"):
        w = grid.unit_weights(units, tolerance_m=500)
    assert w.spec == {
        "type": "fuzzy_contiguity",
        "tolerance_m": 500.0,
        "binary": True,
        "star": True,
    }
    assert w.cardinalities.tolist() == [1, 2, 1, 0]
    assert w.islands.tolist() == ["d"]
    strict = grid.unit_weights(units, tolerance_m=100, warn=False)
    assert strict.cardinalities.tolist() == [0, 1, 1, 0]


def test_fuzzy_contiguity_equals_libpysal(col_ven):
    from libpysal.graph import Graph

    um = col_ven.to_crs(study_crs(col_ven))
    for tol in (0.0, 2000.0):
        ours = grid.unit_weights(um, tolerance_m=tol, warn=False).sparse
        g = Graph.build_fuzzy_contiguity(
            um.geometry.reset_index(drop=True), buffer=tol / 2 if tol else None
        )
        ref = g.sparse.tocoo()
        keep = (ref.data != 0) & (ref.row != ref.col)
        theirs = {(int(a), int(b)) for a, b in zip(ref.row[keep], ref.col[keep], strict=True)}
        mine = {(int(a), int(b)) for a, b in zip(*ours.nonzero(), strict=True)}
        assert mine == theirs and len(mine) > 100


@pytest.mark.realdata
def test_unit_weights_cross_border_on_full_resolution_counties():
    path = SHARED / "boundaries" / "mex_usa_border_adm2_fullres.gpkg"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    g = gpd.read_file(path)
    g = g[
        g["adm1_name"].isin(
            ["Baja California", "Sonora", "Chihuahua", "California", "Arizona", "New Mexico"]
        )
    ]
    g = g[~((g["adm0_iso3"] == "USA") & (g.geometry.bounds["maxy"] > 34.5))].reset_index(drop=True)
    g["unit_id"] = g["adm2_code"]
    names = g["adm2_name"].to_numpy()
    iso = g["adm0_iso3"].to_numpy()

    def pairs(w: grid.SpatialWeights) -> set[tuple[str, str]]:
        m = w.sparse.tocoo()
        k = (iso[m.row] != iso[m.col]) & (m.row < m.col)
        return {
            tuple(sorted((names[i], names[j]))) for i, j in zip(m.row[k], m.col[k], strict=True)
        }

    strict = pairs(grid.unit_weights(g, tolerance_m=0, warn=False))
    fuzzy = pairs(grid.unit_weights(g, warn=False))
    assert ("San Diego", "Tijuana") in strict
    # the two countries' layers do not meet exactly: some pairs need the tolerance
    assert {("Puerto Peñasco", "Yuma"), ("Caborca", "Pima")} <= fuzzy - strict  # gaps of 8-12 m
    assert len(fuzzy) >= 20


def test_large_region_is_vectorised():
    # 1.5 million km² at 5 km cells: ~69,000 hexagons
    units = gpd.GeoDataFrame(
        {"country": ["AAA", "BBB"]},
        crs=3857,
        geometry=[box(0, 0, 750_000, 1_000_000), box(750_000, 0, 1_500_000, 1_000_000)],
    )
    cells = grid.hex_grid(units, cell_km=5).cells
    assert 68_000 < len(cells) < 71_000
    assert cells["area_km2"].sum() == pytest.approx(1.5e6, rel=1e-9)
    w = grid.cell_weights(cells)
    assert w.cardinalities.max() == 6
    # the border runs through every other row of cells
    assert 100 < (cells["countries"] == "AAA,BBB").sum() < 130


def test_grid_errors():
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 1e4, 1e4)], crs=3857)
    with pytest.raises(DataError, match="cell_km"):
        grid.hex_grid(units, cell_km=0)
    with pytest.raises(DataError, match="coordinate reference system"):
        grid.hex_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]), cell_km=1)
    with pytest.raises(DataError, match="lattice cells"):
        grid.hex_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 1e7, 1e7)], crs=3857), cell_km=1)
    with pytest.raises(DataError, match="geographic"):
        grid.cell_weights(grid.hex_grid(units, cell_km=2).cells.to_crs(4326))
    with pytest.raises(DataError, match="unknown kind"):
        grid.cell_weights(grid.hex_grid(units, cell_km=2), kind="rook")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="shape"):
        grid.Grid(cells=grid.hex_grid(units, cell_km=2).cells, shape="tri", cell_km=2.0)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="unknown weights spec"):
        weights.resolve_weights(grid.hex_grid(units, cell_km=2), {"type": "queen"})


@pytest.mark.parametrize("module", [grid, weights])
def test_doctests(module):
    res = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 5


def _knn_reference(xy: np.ndarray, k: int) -> libpysal.weights.W:
    """libpysal built with the same rule: a distance band at each point's k-th distance."""
    knn = libpysal.weights.KNN(xy, k=k)
    # the k-th distance does not depend on how libpysal breaks ties
    kth = np.array(
        [np.sort(np.hypot(*(xy[knn.neighbors[i]] - xy[i]).T))[-1] for i in range(len(xy))]
    )
    neighbors = {}
    for r in np.unique(kth):
        band = libpysal.weights.DistanceBand(
            xy, threshold=float(r) * (1 + 1e-9), binary=True, silence_warnings=True
        )
        for i in np.flatnonzero(kth == r):
            neighbors[int(i)] = sorted(band.neighbors[int(i)])
    return libpysal.weights.W(neighbors, silence_warnings=True)


@pytest.mark.parametrize(("shape", "k"), [("hex", 8), ("hex", 3), ("square", 5), ("square", 8)])
def test_knn_weights_include_all_ties_like_libpysal(shape, k):
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 80_000, 60_000)], crs=3857)
    make = grid.hex_grid if shape == "hex" else grid.square_grid
    cells = make(units, cell_km=10).cells
    xy = np.column_stack([cells["x_m"], cells["y_m"]])
    # the lattice centres are floats: round them so that libpysal sees exact ties too
    xy = np.round(xy, 3)
    cells = cells.assign(x_m=xy[:, 0], y_m=xy[:, 1])
    w = grid.cell_weights(cells, kind="knn", k=k, warn=False)
    ref = _knn_reference(xy, k)
    mine = {
        i: sorted(w.sparse.indices[w.sparse.indptr[i] : w.sparse.indptr[i + 1]].tolist())
        for i in range(len(xy))
    }
    assert mine == {i: ref.neighbors[i] for i in range(len(xy))}


def test_knn_weights_and_gi_z_do_not_depend_on_point_order():
    from borderwatch.hotspots import gi_star

    units = gpd.GeoDataFrame(geometry=[box(0, 0, 200_000, 150_000)], crs=3857)
    cells = grid.hex_grid(units, cell_km=10).cells.reset_index(drop=True)
    rng = np.random.default_rng(4)
    y = rng.negative_binomial(1, 0.2, len(cells)).astype(float)
    z = gi_star(y, grid.cell_weights(cells, kind="knn", k=8), permutations=0, inference="analytic")
    z = z.table["gi_z"].to_numpy()
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(cells))
        shuffled = cells.iloc[order].reset_index(drop=True)
        w = grid.cell_weights(shuffled, kind="knn", k=8)
        zs = gi_star(y[order], w, permutations=0, inference="analytic").table["gi_z"].to_numpy()
        np.testing.assert_allclose(zs, z[order], atol=1e-9, rtol=0)


@pytest.mark.parametrize(("shape", "km"), [("hex", 5.0), ("square", 7.3), ("hex", 2.5)])
def test_point_cells_by_lattice_arithmetic_equals_the_index(shape, km):
    """A Grid's points are placed by arithmetic where certain; the result equals the
    STR-tree's on every point, also on cell edges, vertices and clipped border cells."""
    from borderwatch._cellindex import lattice_cells

    units = gpd.GeoDataFrame(
        {"country": ["AAA", "BBB"]},
        geometry=[
            shapely.Polygon([(0, 0), (61_000, 3_000), (58_000, 47_000), (2_000, 51_000)]),
            shapely.Polygon([(61_000, 3_000), (120_000, 0), (118_000, 50_000), (58_000, 47_000)]),
        ],
        crs=3857,
    )
    g = grid.hex_grid(units, cell_km=km) if shape == "hex" else grid.square_grid(units, cell_km=km)
    rng = np.random.default_rng(1)
    ring = shapely.get_coordinates(g.cells.geometry.array)
    xy = np.vstack(
        [
            rng.uniform((-5_000, -5_000), (125_000, 55_000), (20_000, 2)),
            g.cells[["x_m", "y_m"]].to_numpy(),  # centres
            ring,  # vertices
            (ring[:-1] + ring[1:]) / 2.0,  # mid-edges
        ]
    )
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    fast = grid.point_cells(g, pts)
    np.testing.assert_array_equal(fast, grid.point_cells(g.cells, pts))
    _, settled = lattice_cells(g, xy)
    assert 0.4 < settled[:20_000].mean() < 1.0  # most by arithmetic, not clipped cells
    vertices = slice(20_000 + len(g.cells), 20_000 + len(g.cells) + len(ring))
    assert not settled[vertices].any()  # cell vertices: through the index
