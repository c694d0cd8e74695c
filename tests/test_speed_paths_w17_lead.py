"""Wave 17 (lead): the border lines found in a thread beside the join's locations, and
the dask engine's modules imported only by the dask engine."""

from __future__ import annotations

import subprocess
import sys
import warnings

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import CRS

import borderwatch._overlap as overlap
import borderwatch.join as join
from borderwatch import read_incidents, read_units
from borderwatch._crs import study_crs
from borderwatch._errors import BorderwatchWarning
from borderwatch._memo import remembering
from borderwatch.borders import border_lines
from borderwatch.datasets import boundary_path


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_units(boundary_path("liptako_gourma"))


@pytest.fixture(scope="module")
def incidents(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    lon = [1.45, 2.11, 1.45, -1.2, 0.8, 3.9, 1.45]
    lat = [14.21, 13.51, 14.21, 12.3, 14.9, 13.1, 14.21]
    return read_incidents(pd.DataFrame({"lon": lon, "lat": lat}), units=units)


def test_border_and_locations_same_border(units: gpd.GeoDataFrame, incidents) -> None:
    crs = study_crs(units, incidents=incidents)
    with remembering():
        got = overlap.border_and_locations(units, incidents, crs)
    want = border_lines(units, crs=crs)
    assert got["countries"].tolist() == want["countries"].tolist()
    assert got.geometry.geom_equals_exact(want.geometry, tolerance=0).all()


def test_join_takes_the_locations_found_ahead(units: gpd.GeoDataFrame, incidents) -> None:
    crs = CRS(study_crs(units, incidents=incidents))
    plain, measured = join.join_later(incidents, units, crs=crs)
    measured()
    with remembering():
        join.locate_ahead(incidents.geometry, crs)
        ahead = join._AHEAD[0][2]
        assert join._located(incidents.geometry, crs) is ahead  # the same, not found again
        assert len(ahead.metric) == 5  # three of the seven rows share one location
        out, measured = join.join_later(incidents, units, crs=crs)
        measured()
    pd.testing.assert_frame_equal(pd.DataFrame(out), pd.DataFrame(plain))
    assert not join._AHEAD  # forgotten after the run
    other = incidents.copy()  # another geometry array: found again
    with remembering():
        join.locate_ahead(incidents.geometry, crs)
        assert join._located(other.geometry, crs) is not join._AHEAD[0][2]


def test_locate_ahead_outside_a_run_remembers_nothing(units, incidents) -> None:
    join.locate_ahead(incidents.geometry, CRS(study_crs(units)))
    assert not join._AHEAD


def test_border_warnings_said_after_it(units, incidents, monkeypatch) -> None:
    import borderwatch.borders as borders

    real = borders.border_lines

    def warned(*args, **kwargs):
        warnings.warn("a border warning", BorderwatchWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(borders, "border_lines", warned)
    crs = study_crs(units, incidents=incidents)
    with pytest.warns(BorderwatchWarning, match="a border warning"):
        with remembering():
            overlap.border_and_locations(units, incidents, crs)


def test_border_error_raised_here(units, incidents, monkeypatch) -> None:
    import borderwatch.borders as borders

    def broken(*args, **kwargs):
        msg = "no border"
        raise ValueError(msg)

    monkeypatch.setattr(borders, "border_lines", broken)
    with pytest.raises(ValueError, match="no border"):
        overlap.border_and_locations(units, incidents, study_crs(units))


def test_default_engine_does_not_import_the_dask_engine() -> None:
    code = (
        "import sys, warnings; warnings.simplefilter('ignore'); import borderwatch as bw\n"
        "from borderwatch.datasets import demo_units, demo_incidents\n"
        "u = demo_units(); inc = demo_incidents(n_background=100, units=u)\n"
        "bw.analyze(u, inc, permutations=0, scan_replicates=0, cluster_replicates=0, cell_km=25)\n"
        "print(sorted(m for m in ('borderwatch._dask_agg', 'borderwatch._dask_plan') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "geoms",
    [
        ["POINT (1.45 14.21)", "POINT (2.11 13.51)", "POINT (1.45 14.21)"],
        ["POINT (1.45 14.21)", None, "POINT EMPTY", "POINT (1.45 14.21)", "POINT (0.8 14.9)"],
        ["POINT (1.45 14.21)", "POINT (-1.2 12.3)", "POINT (0.8 14.9)", "POINT (3.9 13.1)"],
    ],
)
def test_join_remembers_the_metric_coordinates(units, geoms) -> None:
    from borderwatch._inputs import metric_xy

    pts = gpd.GeoDataFrame(
        {"id": [str(i) for i in range(len(geoms))]},
        geometry=gpd.GeoSeries.from_wkt(geoms),
        crs=4326,
    )
    crs = CRS(study_crs(units))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with remembering():
            out, measured = join.join_later(pts, units, crs=crs)
            measured()
            got, _ = metric_xy(out, crs)
        want, _ = metric_xy(out, crs)  # computed afresh outside a run
    assert got.tobytes() == want.tobytes()


def test_join_refuses_other_geometries(units) -> None:
    """A polygon among the points: named up front (it crashed in the border distances)."""
    from borderwatch._errors import DataError

    wkt = ["POINT (1.45 14.21)", "POLYGON ((1 14, 1.1 14, 1.1 14.1, 1 14))"]
    pts = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=gpd.GeoSeries.from_wkt(wkt), crs=4326)
    with pytest.raises(DataError, match=r"only points can be joined.*row 2 \(first: Polygon\)"):
        join.join_units(pts, units)


def test_join_empty_points_are_unlocated(units) -> None:
    """An empty point is a point without a location (GEOS refused its x before)."""
    wkt = ["POINT (1.45 14.21)", None, "POINT EMPTY", "POINT (1.45 14.21)"]
    pts = gpd.GeoDataFrame({"id": list("abcd")}, geometry=gpd.GeoSeries.from_wkt(wkt), crs=4326)
    with pytest.warns(BorderwatchWarning, match="2 of 4 points have no location"):
        out = join.join_units(pts, units)
    assert out["join"].tolist() == ["within", "outside", "outside", "within"]
    assert out["unit_id"].isna().tolist() == [False, True, True, False]
    assert out["border_km"].isna().tolist() == [False, True, True, False]


def _quick_run(progress=None):
    import borderwatch as bw
    from borderwatch.datasets import demo_incidents, demo_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = demo_units()
        inc = demo_incidents(n_background=100, units=u)
        fast = dict(permutations=0, scan_replicates=0, cluster_replicates=0, cell_km=25)
        return bw.analyze(u, inc, view="internal", progress=progress, **fast)


def test_analyze_freezes_the_collector_only_while_it_runs() -> None:
    import gc

    seen: list[int] = []
    _quick_run(progress=lambda msg: seen.append(gc.get_freeze_count()))
    assert max(seen) > 0  # the inputs were kept out of the collector's walks
    assert gc.get_freeze_count() == 0  # and given back


def test_analyze_leaves_a_callers_frozen_objects_alone() -> None:
    import gc

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        seen: list[int] = []
        _quick_run(progress=lambda msg: seen.append(gc.get_freeze_count()))
        # nothing more frozen (objects freed meanwhile leave the count), nothing unfrozen
        assert max(seen) <= before
        assert gc.get_freeze_count() > 0.9 * before
    finally:
        gc.unfreeze()
