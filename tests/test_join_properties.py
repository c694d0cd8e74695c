"""Property-based tests (hypothesis) of the join: one status per point, counts that add
up, and a result that does not depend on the order of the points or of the units.

Points are drawn around the hand-built units of ``test_join`` (inside, in the
1 km snapping belt, beyond it) and from a pool of awkward places: shared
vertices and edges, corners, the international border itself.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning
from borderwatch.borders import border_lines
from borderwatch.join import JOIN_STATUSES, aggregate_counts, join_summary, join_units, unit_counts
from test_join import make_units

UNITS = make_units()
CRS = study_crs(UNITS)
BORDER = border_lines(UNITS, crs=CRS)
UNITS_M = UNITS.to_crs(CRS)
TOL_KM = 1.0

SPECIAL = [
    (2.0, 13.5),
    (2.0, 13.25),
    (2.0, 13.0),
    (2.0, 14.0),
    (1.0, 13.5),
    (1.0, 13.0),
    (3.0, 13.7),
    (0.0, 13.5),
    (4.0, 14.0),
    (4.005, 13.5),
    (4.02, 13.5),
    (1.5, 12.996),
    (-0.009, 13.2),
    (10.0, 10.0),
]

coords = st.one_of(
    st.tuples(st.floats(-0.05, 4.05), st.floats(12.95, 14.05)),  # inside, the belt and beyond
    st.tuples(st.floats(3.99, 4.02), st.floats(13.0, 14.0)),  # straddling the snapping distance
    st.sampled_from(SPECIAL),
)
point_lists = st.lists(coords, min_size=1, max_size=60)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _points(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    cats = ["iccs05_property", "iccs02_harm", "iccs03_sexual"]
    dates = pd.date_range("2024-01-01", periods=len(xy), freq="5D")
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(len(xy))],
            "category": [cats[i % 3] for i in range(len(xy))],
            "date": dates,
        },
        geometry=[Point(x, y) for x, y in xy],
        crs=4326,
    )


def _join(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame = UNITS) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return join_units(points, units, border=BORDER, crs=CRS, tolerance_km=TOL_KM)


@SETTINGS
@given(point_lists)
def test_every_point_gets_exactly_one_status(xy):
    pts = _points(xy)
    out = _join(pts)
    assert len(out) == len(pts)
    assert out["join"].isin(JOIN_STATUSES).all()
    outside = (out["join"] == "outside").to_numpy()
    assert out.loc[outside, "unit_id"].isna().all()
    assert out.loc[~outside, "unit_id"].notna().all()
    # the unit's name and country belong to the assigned unit
    lookup = UNITS.set_index("unit_id")
    got = out.loc[~outside]
    assert (got["country"].to_numpy() == lookup.loc[got["unit_id"], "country"].to_numpy()).all()
    assert (got["unit_name"].to_numpy() == lookup.loc[got["unit_id"], "name"].to_numpy()).all()


@SETTINGS
@given(point_lists)
def test_status_matches_the_geometry(xy):
    out = _join(_points(xy))
    pm = gpd.GeoSeries([Point(x, y) for x, y in xy], crs=4326).to_crs(CRS).array
    geoms = UNITS_M.geometry.array
    ids = UNITS_M["unit_id"].to_numpy()
    for i, p in enumerate(pm):
        hits = ids[shapely.intersects(geoms, p)]
        dist = shapely.distance(geoms, p)
        status, uid = out["join"].iloc[i], out["unit_id"].iloc[i]
        if status == "within":
            assert uid == min(hits)  # shared edges and overlaps: the smallest unit_id
        elif status == "snapped":
            assert len(hits) == 0
            assert dist.min() <= TOL_KM * 1000 + 1e-6
            assert dist[ids == uid][0] <= dist.min() + 1e-6
        else:
            assert len(hits) == 0
            assert dist.min() > TOL_KM * 1000 - 1e-6


@SETTINGS
@given(point_lists)
def test_counts_add_up(xy):
    out = _join(_points(xy))
    n = len(out)
    summary = join_summary(out)
    assert list(summary) == list(JOIN_STATUSES)  # no reported_country: no country_mismatch
    assert sum(summary[s] for s in JOIN_STATUSES) == n
    assert summary == {s: int((out["join"] == s).sum()) for s in JOIN_STATUSES}
    per_unit = unit_counts(out, UNITS)
    assert per_unit["incidents"].sum() == n - summary["outside"]
    cats = [c for c in ("iccs02_harm", "iccs03_sexual", "iccs05_property") if c in per_unit.columns]
    assert (per_unit[cats].sum(axis=1) == per_unit["incidents"]).all()
    for period in (None, "week", "month", "year"):
        assert aggregate_counts(out, period=period)["count"].sum() == n


@SETTINGS
@given(point_lists, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_row_order(xy, rnd):
    pts = _points(xy)
    order = list(range(len(pts)))
    rnd.shuffle(order)
    a = _join(pts).set_index("id")
    b = _join(pts.iloc[order]).set_index("id").loc[a.index]
    assert a["unit_id"].fillna("-").tolist() == b["unit_id"].fillna("-").tolist()
    assert a["join"].tolist() == b["join"].tolist()
    np.testing.assert_allclose(a["border_km"].to_numpy(), b["border_km"].to_numpy(), rtol=1e-12)
    # nor on the order of the units
    units_order = list(range(len(UNITS)))
    rnd.shuffle(units_order)
    c = _join(pts, UNITS.iloc[units_order]).set_index("id").loc[a.index]
    assert a["unit_id"].fillna("-").tolist() == c["unit_id"].fillna("-").tolist()
    assert a["join"].tolist() == c["join"].tolist()
