"""Tests of international borders (borderwatch.borders) and the study CRS.

Hand-built countries with a known shared edge (a meridian, 1° of latitude long)
give the truth: the border must lie on that edge (Hausdorff distance within the
tolerance), have its length, and bridge slivers and gaps narrower than the tolerance.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod
from shapely.geometry import LineString, Point, Polygon, box

from borderwatch._crs import crs_string, study_crs, to_metric
from borderwatch._errors import DataError
from borderwatch.borders import border_lines, distance_to_border
from borderwatch.datasets import boundary_path
from borderwatch.io import read_units

GEOD = Geod(ellps="WGS84")
ONE_DEG_LAT_KM = GEOD.inv(2, 13, 2, 14)[2] / 1000.0  # the true length of the shared edge


def _units(geoms: list, countries: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "unit_id": [f"U{i}" for i in range(len(geoms))],
            "name": [f"u{i}" for i in range(len(geoms))],
            "country": countries,
        },
        geometry=geoms,
        crs=4326,
    )


def _hausdorff_m(a, b, crs) -> float:
    ga = gpd.GeoSeries([a], crs=4326).to_crs(crs).iloc[0]
    gb = gpd.GeoSeries([b], crs=4326).to_crs(crs).iloc[0]
    return float(shapely.hausdorff_distance(ga, gb, densify=0.01))


def test_border_of_two_countries_lies_on_the_shared_edge():
    units = _units(
        [box(0, 13, 1, 14), box(1, 13, 2, 14), box(2, 13, 3, 14), box(3, 13, 4, 14)],
        ["MLI", "MLI", "NER", "NER"],
    )
    border = border_lines(units)
    assert border["countries"].tolist() == ["MLI,NER"]
    assert border.crs.to_epsg() == 4326
    truth = LineString([(2, 13), (2, 14)])
    metric = study_crs(units)
    # the border follows the true edge (within the segment length, 2 × tolerance, at its ends)
    assert _hausdorff_m(border.geometry.iloc[0], truth, metric) <= 2 * 2000.0
    assert ONE_DEG_LAT_KM - 0.5 <= border["length_km"].iloc[0] <= ONE_DEG_LAT_KM + 8.0
    # computed in the study CRS (a projected Lambert azimuthal equal-area) by default
    assert crs_string(metric).startswith("+proj=laea")
    assert CRS(crs_string(metric)).is_projected
    explicit = border_lines(units, crs=metric)
    assert explicit.geometry.iloc[0].equals_exact(border.geometry.iloc[0], 1e-9)
    assert border.attrs == {}


def test_internal_unit_edges_are_not_borders():
    units = _units([box(0, 13, 1, 14), box(1, 13, 2, 14)], ["MLI", "MLI"])
    assert len(border_lines(units)) == 0
    assert list(border_lines(units).columns) == ["countries", "length_km", "geometry"]


def test_three_countries_sorted_pairs_and_no_border_to_a_far_country():
    units = _units(
        [box(0, 13, 2, 14), box(2, 13, 4, 14), box(0, 12, 4, 13), box(10, 13, 11, 14)],
        ["NER", "MLI", "BFA", "TCD"],
    )
    border = border_lines(units)
    assert border["countries"].tolist() == ["BFA,MLI", "BFA,NER", "MLI,NER"]
    for pair in border["countries"]:
        codes = pair.split(",")
        assert codes == sorted(codes) and len(codes) == 2
    metric = study_crs(units)
    truth = {
        "BFA,MLI": LineString([(2, 13), (4, 13)]),
        "BFA,NER": LineString([(0, 13), (2, 13)]),
        "MLI,NER": LineString([(2, 13), (2, 14)]),
    }
    for pair, line in truth.items():
        got = border.loc[border["countries"] == pair].geometry.iloc[0]
        assert _hausdorff_m(got, line, metric) <= 2 * 2000.0


def test_border_does_not_run_along_coasts_beyond_the_tolerance():
    # borders.py defines the border as "the part of A's outline that lies within tolerance_m of B":
    # the coast beyond the tripoint/end of the shared edge is more than 2 km from B and must not
    # be part of it
    units = _units([box(0, 13, 2, 14), box(2, 13, 4, 14)], ["MLI", "NER"])
    border = border_lines(units)
    metric = study_crs(units)
    assert (
        _hausdorff_m(border.geometry.iloc[0], LineString([(2, 13), (2, 14)]), metric)
        <= 2000.0 + 1.0
    )
    assert border["length_km"].iloc[0] <= ONE_DEG_LAT_KM + 4.0


def _zigzag_units(amplitude_deg: float, offset_deg: float = 0.0) -> gpd.GeoDataFrame:
    """Mali's east edge zig-zags around 2°E (slivers and gaps); Niger's west edge is straight."""
    lats = np.arange(13.0, 14.0 + 1e-9, 0.025)
    east = [
        (2.0 + offset_deg + (amplitude_deg if i % 2 else -amplitude_deg), lat)
        for i, lat in enumerate(lats)
    ]
    mli = Polygon([(1.0, 13.0), *east, (1.0, 14.0)])
    ner = box(2.0, 13.0, 3.0, 14.0)
    return _units([mli, ner], ["MLI", "NER"])


def test_slivers_and_gaps_are_bridged():
    units = _zigzag_units(0.003)  # ±~325 m: alternating overlaps and gaps
    mli, ner = units.geometry
    assert mli.intersection(ner).area > 0 and not mli.union(ner).covers(Point(1.9985, 13.05))
    border = border_lines(units)
    assert border["countries"].tolist() == ["MLI,NER"]
    geom = border.geometry.iloc[0]
    # one continuous line, not pieces broken at every gap
    assert shapely.get_num_geometries(geom) == 1
    metric = study_crs(units)
    assert _hausdorff_m(geom, LineString([(2, 13), (2, 14)]), metric) <= 2 * 2000.0
    zigzag_km = ONE_DEG_LAT_KM * np.hypot(1, 2 * 0.003 * 108.3 / (0.025 * 110.6))
    assert ONE_DEG_LAT_KM <= border["length_km"].iloc[0] <= zigzag_km + 8.0


def test_gap_wider_than_tolerance_is_not_a_border():
    units = _units([box(1, 13, 1.95, 14), box(2, 13, 3, 14)], ["MLI", "NER"])  # ~5.4 km apart
    assert len(border_lines(units)) == 0
    wide = border_lines(units, tolerance_m=6000)
    assert wide["countries"].tolist() == ["MLI,NER"]


def test_border_lines_input_errors():
    units = _units([box(0, 13, 1, 14), box(1, 13, 2, 14)], ["MLI", "NER"])
    with pytest.raises(DataError, match=r"no 'country' column"):
        border_lines(units.drop(columns=["country"]))
    with pytest.raises(DataError, match=r"tolerance_m must be >= 0"):
        border_lines(units, tolerance_m=-1)
    with pytest.raises(DataError, match=r"no coordinate reference system"):
        border_lines(units.set_crs(None, allow_override=True))


def test_border_lines_in_a_given_crs_and_from_a_projected_input():
    units = _units([box(0, 13, 1, 14), box(1, 13, 2, 14)], ["MLI", "NER"])
    a = border_lines(units)
    b = border_lines(units.to_crs(32631), crs=study_crs(units))
    assert b.crs.to_epsg() == 4326
    assert b["length_km"].iloc[0] == pytest.approx(a["length_km"].iloc[0], rel=1e-6)


@pytest.fixture(scope="module")
def liptako() -> gpd.GeoDataFrame:
    return read_units(boundary_path("liptako_gourma"))


def test_liptako_gourma_borders(liptako):
    border = border_lines(liptako)
    assert border["countries"].tolist() == ["BFA,MLI", "BFA,NER", "MLI,NER"]
    length = dict(zip(border["countries"], border["length_km"], strict=True))
    # CIA World Factbook: Burkina Faso–Mali 1,325 km, Burkina Faso–Niger 622 km, Mali–Niger 838 km;
    # Natural Earth 10 m quantised to ~180 m is a little shorter or longer
    assert 1100 <= length["BFA,MLI"] <= 1400
    assert 550 <= length["BFA,NER"] <= 680
    assert 760 <= length["MLI,NER"] <= 920


# ----------------------------------------------------------------------------------------------
# distances and the study CRS
# ----------------------------------------------------------------------------------------------


def test_distance_to_border_matches_geodesic_distance():
    units = _units(
        [box(0, 13, 2, 14), box(2, 13, 4, 14)], ["MLI", "NER"]
    )  # border on the centre meridian
    metric = study_crs(units)
    border = border_lines(units, crs=metric)
    lons = np.array([2.05, 1.5, 2.9, 2.0])
    lats = np.array([13.5, 13.4, 13.6, 13.5])
    pts = gpd.GeoSeries(gpd.points_from_xy(lons, lats), crs=4326)
    got = distance_to_border(pts, border, crs=metric)
    # hand-computed: the geodesic distance to the meridian 2°E at the same latitude
    truth = np.array(
        [GEOD.inv(lo, la, 2.0, la)[2] / 1000.0 for lo, la in zip(lons, lats, strict=True)]
    )
    np.testing.assert_allclose(got, truth, rtol=2e-3, atol=1e-3)
    assert got[-1] == pytest.approx(0.0, abs=1e-6)


def test_distance_to_border_missing_points_and_no_border():
    border = gpd.GeoDataFrame(
        {"countries": ["A,B"]}, geometry=[LineString([(0, -1e5), (0, 1e5)])], crs=3857
    )
    pts = gpd.GeoSeries([Point(1000, 0), None, Point()], crs=3857)
    got = distance_to_border(pts, border, crs=3857)
    assert got[0] == pytest.approx(1.0)
    assert np.isnan(got[1]) and np.isnan(got[2])
    none = distance_to_border(pts, border.iloc[:0], crs=3857)
    assert np.isnan(none).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(-60_000, 60_000), st.floats(-60_000, 60_000)), min_size=1, max_size=40
    ),
)
def test_distance_to_border_equals_exact_distance(xy):
    # a wiggly border with long and short segments; the KD-tree shortcut must give the exact distance
    # (the docstring promises < 50 m error; we require < 1 m here for points near a 1-D border)
    line = LineString(
        [
            (-50_000, -40_000),
            (-10_000, 5_000),
            (-9_000, 5_500),
            (0, 0),
            (30_000, 20_000),
            (31_000, -25_000),
            (50_000, -30_000),
        ]
    )
    border = gpd.GeoDataFrame({"countries": ["A,B"]}, geometry=[line], crs=3857)
    pts = gpd.GeoSeries([Point(x, y) for x, y in xy], crs=3857)
    got = distance_to_border(pts, border, crs=3857)
    exact = shapely.distance(line, pts.array) / 1000.0
    np.testing.assert_allclose(got, exact, atol=0.05)


def test_study_crs_is_laea_centred_on_the_units(liptako):
    crs = study_crs(liptako)
    params = crs.to_dict()
    assert params["proj"] == "laea"
    minx, miny, maxx, maxy = liptako.total_bounds
    assert params["lon_0"] == pytest.approx((minx + maxx) / 2, abs=0.01)
    assert params["lat_0"] == pytest.approx((miny + maxy) / 2, abs=0.01)
    assert CRS(crs_string(crs)) == crs  # the recorded form reads back
    # distances within 1 % of the geodesic across the region (Bamako to Niamey, ~1050 km)
    a, b = (-8.0, 12.65), (2.11, 13.51)
    pts = gpd.GeoSeries([Point(a), Point(b)], crs=4326).to_crs(crs)
    planar = pts.iloc[0].distance(pts.iloc[1])
    geodesic = GEOD.inv(*a, *b)[2]
    assert planar == pytest.approx(geodesic, rel=0.01)


def test_study_crs_errors():
    with pytest.raises(DataError, match=r"no coordinate reference system"):
        study_crs(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))
    with pytest.raises(DataError, match=r"geometries are empty"):
        study_crs(gpd.GeoDataFrame(geometry=[Polygon()], crs=4326))


def test_to_metric_keeps_a_metric_crs_and_projects_a_geographic_one():
    g = gpd.GeoDataFrame(geometry=[box(0, 13, 1, 14)], crs=4326)
    out, crs = to_metric(g)
    assert crs.to_dict()["proj"] == "laea"
    utm = g.to_crs(32631)
    same, crs2 = to_metric(utm)
    assert crs2.to_epsg() == 32631 and same is utm


@pytest.mark.parametrize(
    ("seed", "joined"),
    [(0, False), (1, False), (0, True), (1, True)],
    ids=["0", "1", "0-joined", "1-joined"],
)
@pytest.mark.usefixtures("in_a_run")
def test_features_border_km_equals_every_exact_distance(seed, joined, monkeypatch):
    """The clusters', regions' and scan's border_km measure shapely's distance only for
    the incidents nearest in their feature by the compiled exact distance (or, for
    incidents the join has measured against the same lines in the same CRS, the join's
    distance): the same figures as measuring all."""
    from borderwatch._countries import (
        feature_border_km,
        features_border_km,
        incident_border_km,
        unit_countries,
    )
    from borderwatch._segdist import line_segments, polyline_distance

    rng = np.random.default_rng(seed)
    t = np.linspace(0, 200_000, 400)
    wiggly = LineString(np.column_stack([20_000 * np.sin(t / 17_000) + rng.normal(0, 300, 400), t]))
    border = gpd.GeoDataFrame({"countries": ["AAA,BBB"]}, geometry=[wiggly], crs=3857)
    n = 6000
    xy = rng.uniform((-60_000, 0), (60_000, 200_000), (n, 2))
    xy[:500] = np.repeat(xy[:50], 10, axis=0)  # stacks
    side = np.where(xy[:, 0] > 20_000 * np.sin(xy[:, 1] / 17_000), "BBB", "AAA")
    inc = gpd.GeoDataFrame(
        {"country": side}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
    )
    # bands along the border, one per side (one-sided features), the first band both sides
    feature = (xy[:, 1] // 5_000).astype(np.int64) * 2 + (side == "BBB")
    feature[xy[:, 1] < 5_000] = 0
    feature[rng.random(n) < 0.1] = -1  # noise
    k = 80
    if joined:  # the join's distances (exact)
        from borderwatch._countries import _remembered, remember_border_km
        from borderwatch.borders import distance_to_border

        km = distance_to_border(inc, border, crs=3857)
        remember_border_km(inc.geometry.array, border, CRS(3857), km)
        assert _remembered(inc.geometry.array, border, CRS(3857)) is not None
        assert _remembered(inc.geometry.array, border.copy(), CRS(3857)) is None  # other lines
        assert _remembered(inc.geometry.array, border, CRS(3395)) is None  # another CRS
    rows = np.flatnonzero(feature >= 0)
    dist = np.full(n, np.nan)
    dist[rows] = incident_border_km(inc, rows, border, CRS(3857))
    exact = feature_border_km(feature, dist, unit_countries(inc), k)
    import borderwatch._countries as countries

    measured = []
    exact_distance = countries.line_distance

    def counted(points, lines):
        measured.append(len(points))
        return exact_distance(points, lines)

    monkeypatch.setattr(countries, "line_distance", counted)
    compiled = []
    monkeypatch.setattr(
        countries, "polyline_distance", lambda *a: compiled.append(1) or polyline_distance(*a)
    )
    got = features_border_km(inc, feature, border, CRS(3857), k)
    assert bool(compiled) is not joined  # the join's distances are taken
    np.testing.assert_array_equal(got, exact)
    assert sum(measured) < 0.1 * len(rows)  # the bound ruled most incidents out
    # one-sided features: exact minimum distances (not 0)
    assert exact[0] == 0.0 and (exact[2:] > 0).all()
    compiled_m = polyline_distance(xy, line_segments(wiggly))
    exact_m = dist * 1000.0
    ok = np.isfinite(exact_m)
    np.testing.assert_allclose(compiled_m[ok], exact_m[ok], rtol=0, atol=1e-6)


def _random_segments(rng: np.random.Generator, n: int, span: float) -> np.ndarray:
    start = rng.uniform(-span, span, size=(n, 2))
    end = start + rng.normal(0, span / 20, size=(n, 2))
    return shapely.linestrings(np.stack([start, end], axis=1))


@pytest.mark.parametrize(
    "polygon",
    [
        box(0, 0, 10_000, 8_000),
        # a hole: segments deep inside it are far from the polygon, those near its ring are not
        Polygon(
            [(0, 0), (20_000, 0), (20_000, 20_000), (0, 20_000)],
            [[(5_000, 5_000), (15_000, 5_000), (15_000, 15_000), (5_000, 15_000)]],
        ),
        # two parts and a thin spike
        shapely.union(box(-9_000, -9_000, -1_000, -1_000), box(2_000, 2_000, 2_300, 12_000)),
    ],
    ids=["box", "hole", "two-parts"],
)
@pytest.mark.parametrize("tol", [0.0, 150.0, 2_000.0])
def test_within_is_exactly_dwithin(polygon, tol):
    from borderwatch.borders import _within

    rng = np.random.default_rng(int(tol) + 7)
    segs = _random_segments(rng, 3_000, 25_000)
    mine = _within(segs, polygon, tol)
    theirs = shapely.dwithin(segs, polygon, tol)
    assert mine.any() and (~mine).any()
    np.testing.assert_array_equal(mine, theirs)
