"""Tests on real data in ``../shared/data`` (skipped when it is absent).

* the share of UCDP GED events joined to units, for three regions;
* the Bangui country disagreement: 221 UCDP events at the Bangui centroid lie
  ~0.6 km inside the DR Congo polygon (the Ubangi river is the border);
* the Mexico–US admin-2 file, whose two countries were drawn at different
  detail: its border, and points in its slivers and gaps.

UCDP GED is CC BY 4.0 (Sundberg & Melander 2013; Davies, Pettersson & Öberg 2023).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning
from borderwatch.borders import border_lines
from borderwatch.io import load_incidents, load_units, read_incidents, read_units
from borderwatch.join import join_summary, join_units

pytestmark = pytest.mark.realdata

BANGUI = (18.5833, 4.3667)  # the UCDP centroid of Bangui (rounded)

# points in the gaps between the Mexican (INEGI) and US (Census) polygons, found once with
# shapely and rounded; each lies outside every unit but within 600 m of one
GAP_POINTS = [
    (-117.12974, 32.53455),
    (-110.50705, 31.33242),
    (-106.47555, 31.75202),
    (-105.82396, 31.23863),
    (-105.35105, 30.83878),
    (-104.974, 30.61653),
    (-104.75787, 30.27936),
    (-104.67547, 29.91703),
    (-104.22925, 29.48323),
    (-103.80357, 29.26263),
]
# points in slivers where a Mexican municipality and a US county overlap
SLIVER_POINTS = {
    (-116.26703, 32.60562): ("02003", "06073"),
    (-106.63178, 31.78385): ("08037", "35013"),
    (-105.36427, 30.84668): ("08028", "48229"),
    (-104.82251, 30.3685): ("08052", "48377"),
    (-103.74575, 29.21463): ("08042", "48043"),
}
ADM2_COLS = {"id_col": "adm2_code", "name_col": "adm2_name", "country_col": "adm0_iso3"}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return fn(*args, **kwargs)


def _joined(shared: Path, units_file: str, events_file: str) -> gpd.GeoDataFrame:
    units = _quiet(read_units, shared / "boundaries" / units_file)
    inc = _quiet(read_incidents, shared / "events" / events_file, units=units)
    out = _quiet(join_units, inc, units)
    assert len(out) == len(inc)
    return out


@pytest.fixture(scope="module")
def car(shared_data) -> gpd.GeoDataFrame:
    return _joined(
        shared_data,
        "ne10m_adm1_car_and_neighbours.geojson",
        "ucdp_ged_v23_1_central_african_republic.csv",
    )


@pytest.mark.parametrize(
    ("units_file", "events_file", "n_rows", "min_share"),
    [
        ("ne10m_adm1_mex_usa.geojson", "ucdp_ged_mexico_border_states_1989_2023.csv", 8560, 0.995),
        ("ne10m_adm1_col_ven.geojson", "ucdp_ged_yearonly_colombia.csv", 3227, 0.99),
        (
            "ne10m_adm1_lake_chad_nga_ner_tcd_cmr.geojson",
            "ucdp_ged_yearonly_lake_chad_region.csv",
            1012,
            0.99,
        ),
    ],
)
def test_share_of_ucdp_events_joined(shared_data, units_file, events_file, n_rows, min_share):
    out = _joined(shared_data, units_file, events_file)
    assert len(out) == n_rows
    counts = join_summary(out)
    assert counts["within"] + counts["snapped"] + counts["outside"] == n_rows
    share = (counts["within"] + counts["snapped"]) / n_rows
    assert share >= min_share, counts
    # UCDP carries its own country: almost all agree with the polygon's country
    assert counts["country_mismatch"] / n_rows < 0.05
    assert out["reported_country"].notna().mean() > 0.99


def test_mexico_events_in_border_states(shared_data):
    out = _joined(
        shared_data, "ne10m_adm1_mex_usa.geojson", "ucdp_ged_mexico_border_states_1989_2023.csv"
    )
    assert (out["country"] == "MEX").mean() > 0.999
    # Tijuana and Ciudad Juárez dominate: many events lie within 20 km of the US border
    assert (out["border_km"] < 20).mean() > 0.3
    assert out["date_precision"].eq("day").all()


def test_year_only_events_keep_year_precision(shared_data):
    out = _joined(shared_data, "ne10m_adm1_col_ven.geojson", "ucdp_ged_yearonly_colombia.csv")
    loaded = _quiet(load_incidents, shared_data / "events" / "ucdp_ged_yearonly_colombia.csv")
    assert loaded.columns["time"] == "year"
    assert len(loaded.frame) == len(out)
    assert out["date_precision"].eq("year").all()
    assert (out["date"].dt.month == 1).all() and (out["date"].dt.day == 1).all()


def test_car_events_joined(car):
    counts = join_summary(car)
    assert counts["outside"] == 0
    assert counts["within"] + counts["snapped"] == len(car) == 1848


def test_bangui_country_disagreement(car):
    at_bangui = car[
        np.isclose(car.geometry.x, BANGUI[0], atol=1e-3)
        & np.isclose(car.geometry.y, BANGUI[1], atol=1e-3)
    ]
    assert len(at_bangui) == 221
    # the polygon says DR Congo; UCDP says Central African Republic: flagged, not overwritten
    assert (at_bangui["country"] == "COD").all()
    assert (at_bangui["reported_country"] == "CAF").all()
    assert at_bangui["country_mismatch"].all()
    assert (at_bangui["join"] == "within").all()
    # ~0.6 km inside DR Congo, i.e. right on the CAF–COD border
    assert at_bangui["border_km"].between(0.2, 1.5).all()
    mism = car[car["country_mismatch"]]
    pairs = mism.groupby(["country", "reported_country"]).size()
    assert 221 <= pairs[("COD", "CAF")] <= 240
    assert join_summary(car)["country_mismatch"] == len(mism)


# ----------------------------------------------------------------------------------------------
# Mexico–US admin-2 with slivers and gaps
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adm2_loaded(shared_data):
    return load_units(shared_data / "boundaries" / "mex_usa_border_adm2_fullres.gpkg", **ADM2_COLS)


@pytest.fixture(scope="module")
def adm2_full(adm2_loaded):
    units = adm2_loaded.frame
    crs = study_crs(units)
    return units, border_lines(units, crs=crs), crs


@pytest.fixture(scope="module")
def adm2_tree(adm2_full):
    """An STR-tree of the admin-2 units in the metric CRS, and the unit ids."""
    units, _, crs = adm2_full
    return shapely.STRtree(units.to_crs(crs).geometry.array), units["unit_id"].to_numpy()


def test_adm2_units_read_with_explicit_columns(adm2_full, adm2_loaded):
    units, _, _ = adm2_full
    assert len(units) == 638
    assert sorted(units["country"].unique()) == ["MEX", "USA"]
    assert units["unit_id"].is_unique
    assert adm2_loaded.columns == {
        "unit_id": "adm2_code",
        "name": "adm2_name",
        "country": "adm0_iso3",
    }
    assert {"adm1_code", "adm1_name", "source"} <= set(units.columns)  # passed through


def test_adm2_fullres_border(adm2_full):
    _, border, _ = adm2_full
    assert border["countries"].tolist() == ["MEX,USA"]
    # the real border is 3,145 km long
    assert 3050 <= border["length_km"].iloc[0] <= 3250  # simplified lines lose ~1.5 % of 3145 km


def test_adm2_simplified_border_agrees(shared_data, adm2_full):
    _, full, crs = adm2_full
    units = read_units(shared_data / "boundaries" / "mex_usa_border_adm2.geojson", **ADM2_COLS)
    border = border_lines(units)
    assert border["countries"].tolist() == ["MEX,USA"]
    assert 3050 <= border["length_km"].iloc[0] <= 3250  # simplified lines lose ~1.5 % of 3145 km
    simple, detailed = gpd.GeoSeries(
        [border.geometry.iloc[0], full.geometry.iloc[0]], crs=4326
    ).to_crs(crs)
    # the two borders follow each other: sample points on each lie within 5 km of the other
    for a, b in ((simple, detailed), (detailed, simple)):
        probes = shapely.line_interpolate_point(
            shapely.line_merge(a), np.linspace(0, 1, 400), normalized=True
        )
        assert shapely.distance(b, probes).max() < 5000


def test_points_in_gaps_snap(adm2_full, adm2_tree):
    units, border, crs = adm2_full
    tree, ids = adm2_tree
    pts = gpd.GeoDataFrame(
        {"id": range(len(GAP_POINTS))}, geometry=[Point(p) for p in GAP_POINTS], crs=4326
    )
    pm = pts.to_crs(crs).geometry.array
    # precondition: the points are really in gaps, within 1 km of a unit
    assert len(tree.query(pm, predicate="intersects")[0]) == 0
    nearest, dist = tree.query_nearest(pm, return_distance=True, all_matches=False)
    assert dist.max() < 1000
    out = _quiet(join_units, pts, units, border=border, crs=crs)
    assert out["join"].tolist() == ["snapped"] * len(GAP_POINTS)
    assert out["country"].isin(["MEX", "USA"]).all()
    assert (out["border_km"] < 1.5).all()
    # snapped to the nearest unit
    assert out["unit_id"].tolist() == ids[nearest[1]].tolist()


def test_points_in_slivers_go_to_the_smallest_unit_id(adm2_full, adm2_tree):
    units, border, crs = adm2_full
    tree, ids = adm2_tree
    xy = list(SLIVER_POINTS)
    pts = gpd.GeoDataFrame({"id": range(len(xy))}, geometry=[Point(p) for p in xy], crs=4326)
    # precondition: each point lies in a Mexican municipality and a US county at once
    hits = tree.query(pts.to_crs(crs).geometry.array, predicate="intersects")
    for i, pair in enumerate(SLIVER_POINTS.values()):
        assert sorted(ids[hits[1][hits[0] == i]]) == list(pair)
    out = _quiet(join_units, pts, units, border=border, crs=crs)
    assert out["join"].tolist() == ["within"] * len(xy)
    assert out["unit_id"].tolist() == [min(pair) for pair in SLIVER_POINTS.values()]
    assert (out["border_km"] < 2.0).all()


# ----------------------------------------------------------------------------------------------
# Bangui: regions, clusters and scan clusters count each event for its own country
# ----------------------------------------------------------------------------------------------


def test_bangui_features_are_not_cross_border(shared_data, car):
    """221 CAF events sit 0.6 km inside the DR Congo polygon: no feature made of CAF
    events may be called "CAF,COD" (issue 9); the Bangui features lie on both sides of
    the river border, so their border_km is 0."""
    from borderwatch.clusters import find_clusters
    from borderwatch.hotspots import cell_hotspots
    from borderwatch.regions import hotspot_regions
    from borderwatch.scan import spatial_scan

    units = _quiet(read_units, shared_data / "boundaries" / "ne10m_adm1_car_and_neighbours.geojson")
    units = units[units["country"].isin(["CAF", "COD"])].reset_index(drop=True)
    assert (car["reported_country"] == "CAF").all()
    border = border_lines(units)
    hot = _quiet(cell_hotspots, car, units, cell_km=25, seed=0, trend=False, permutations=0)
    layers = {
        "hotspots": hotspot_regions(hot.grid, car, border, weights=hot.weights),
        "clusters": find_clusters(
            car, eps_km=10, min_samples=5, border=border, area=units, replicates=19, keep_all=True
        ).layer,
        "scan": spatial_scan(hot.grid, car, border, replicates=99, keep_all=True).clusters,
    }
    bangui = gpd.GeoSeries([Point(*BANGUI)], crs=4326)
    for name, layer in layers.items():
        assert len(layer), name
        assert (layer["countries"] == "CAF").all(), (name, layer["countries"].unique())
        assert not layer["cross_border"].any(), name
        at = layer[layer.geometry.intersects(bangui.to_crs(layer.crs).iloc[0])]
        assert len(at) == 1, name
        assert at["border_km"].iloc[0] == 0.0, name  # Bangui events on both banks


@pytest.mark.slow
def test_mexico_regions_hold_incidents_and_the_scan_is_honest_about_stacks(shared_data):
    """UCDP Mexican border states at 25 km: no region cell is empty; a stack alone
    (Ciudad Juárez, 2,023 events on one coordinate) is a scan cluster only under the
    per-incident null."""
    from borderwatch.hotspots import cell_hotspots
    from borderwatch.regions import hotspot_regions
    from borderwatch.scan import spatial_scan

    keep = ["Baja California", "Sonora", "Chihuahua", "Coahuila", "Nuevo León", "Tamaulipas",
            "California", "Arizona", "New Mexico", "Texas"]  # fmt: skip
    units = _quiet(read_units, shared_data / "boundaries" / "ne10m_adm1_mex_usa.geojson")
    units = units[units["name"].isin(keep)].reset_index(drop=True)
    inc = _joined(
        shared_data, "ne10m_adm1_mex_usa.geojson", "ucdp_ged_mexico_border_states_1989_2023.csv"
    )
    hot = _quiet(cell_hotspots, inc, units, cell_km=25, seed=0, trend=False, permutations=0)
    cells = hot.cells
    regions = hotspot_regions(hot.grid, inc, border_lines(units), weights=hot.weights)
    assert len(regions) >= 1
    for geom in regions.geometry:
        inside = cells[cells.geometry.representative_point().within(geom)]
        assert (inside["count"] > 0).all()
    hot_cells = (cells["hotspot_kind"] == "hot") & (cells["hotspot_confidence"] >= 95)
    assert ((cells["count"] == 0) & hot_cells).sum() > 0  # Gi* smooths onto empty cells
    juarez = Point(-106.4869, 31.7394)

    def clusters_at_juarez(null):
        res = spatial_scan(hot.grid, inc, replicates=99, seed=0, null=null).clusters
        return res[
            res.geometry.intersects(gpd.GeoSeries([juarez], crs=4326).to_crs(res.crs).iloc[0])
        ]

    assert len(clusters_at_juarez("incidents")) == 1
    assert len(clusters_at_juarez("stacks")) == 0
