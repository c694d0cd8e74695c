"""The wave 16 shortcuts of the lead (the pipeline, the grid, the printed map) give exactly what the direct computations give.

* :func:`borderwatch.grid.default_cell_km` returns the capped size without a KD-tree
  when a census of close locations proves the median spacing would be stepped up to
  the cap (:func:`borderwatch.grid._capped`); otherwise it measures the spacing.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from borderwatch import grid as grid_module
from borderwatch.grid import default_cell_km


def _measured(monkeypatch: pytest.MonkeyPatch, pts: gpd.GeoSeries, **kw: object) -> float:
    """The size the KD-tree's median spacing gives (the shortcut turned off)."""
    with monkeypatch.context() as m:
        m.setattr(grid_module, "_capped", lambda *a, **k: None)
        return default_cell_km(pts, **kw)  # type: ignore[arg-type]


def _points(xy: np.ndarray) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)


@pytest.mark.parametrize("seed", range(40))
def test_the_cell_size_is_the_measured_one(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 3000))
    side = float(rng.choice([1e3, 1e4, 1e5, 1e6]))
    xy = rng.uniform(0, side, size=(n, 2))
    if seed % 2:  # stacks and a coarse lattice of locations
        xy = np.round(xy / float(rng.choice([10, 100, 1000])))
    pts = _points(xy)
    area = gpd.GeoSeries(
        [box(0, 0, side * rng.uniform(0.2, 3), side * rng.uniform(0.2, 3))], crs=3857
    )
    kw = {
        "units": area,
        "shape": str(rng.choice(["hex", "square"])),
        "min_cells": int(rng.choice([1, 30, 300])),
        "max_cells": int(rng.choice([50, 500, 15_000])),
    }
    assert default_cell_km(pts, **kw) == _measured(monkeypatch, pts, **kw)  # type: ignore[arg-type]


def test_dense_locations_take_the_cap_without_a_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    pts = _points(rng.uniform(0, 100_000, size=(20_000, 2)))
    area = gpd.GeoSeries([box(0, 0, 100_000, 100_000)], crs=3857)

    def no_tree(*a: object, **k: object) -> None:
        raise AssertionError("the KD-tree was built")

    with monkeypatch.context() as m:
        m.setattr(grid_module, "cKDTree", no_tree)
        got = default_cell_km(pts, units=area, max_cells=500)
    assert got == _measured(monkeypatch, pts, units=area, max_cells=500)
    assert got == 5.0  # 100 km square, at most 500 hexagons: 5 km (4 km cells would be too many)


def test_sparse_locations_are_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    xy = np.array([[0.0, 0.0], [50_000.0, 0.0], [0.0, 50_000.0], [50_000.0, 50_000.0]])
    pts = _points(xy)
    area = gpd.GeoSeries([box(0, 0, 50_000, 50_000)], crs=3857)
    kw = {"units": area, "max_cells": 15_000}
    xy_m = grid_module._distinct_xy(pts.to_frame("geometry"))
    assert (
        grid_module._capped(xy_m, 2.5e9, grid_module._HEX_AREA, min_cells=300, max_cells=15_000)
        is None
    )
    assert default_cell_km(pts, **kw) == _measured(monkeypatch, pts, **kw)  # type: ignore[arg-type]


def test_stacked_locations_count_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # many reports at three distinct places: the census sees three locations, far apart
    xy = np.repeat(np.array([[0.0, 0.0], [90_000.0, 0.0], [0.0, 90_000.0]]), 500, axis=0)
    pts = _points(xy)
    area = gpd.GeoSeries([box(0, 0, 100_000, 100_000)], crs=3857)
    kw = {"units": area, "max_cells": 500}
    assert default_cell_km(pts, **kw) == _measured(monkeypatch, pts, **kw)  # type: ignore[arg-type]


def _grid_run(
    monkeypatch: pytest.MonkeyPatch, *, beside: bool
) -> tuple[object, list[str], list[str], list[str]]:
    """A small analysis whose grid step warns, and the threads the grid was built in."""
    import threading
    import warnings

    import borderwatch._beside as beside_module
    import borderwatch.pipeline as pipeline
    from borderwatch import BorderwatchWarning, analyze
    from borderwatch.datasets import demo_incidents, demo_units

    threads: list[str] = []
    real_grid = pipeline._hotspot_grid

    def grid(*a: object, **k: object) -> object:
        threads.append(threading.current_thread().name)
        warnings.warn("the grid says", BorderwatchWarning, stacklevel=2)
        return real_grid(*a, **k)  # type: ignore[arg-type]

    real_join = pipeline._join

    def join(*a: object, then: object = None, **k: object) -> object:
        return real_join(*a, then=then if beside else None, **k)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(beside_module, "can_fork", lambda: False)
        m.setattr(pipeline, "_hotspot_grid", grid)
        m.setattr(pipeline, "_join", join)
        units = demo_units()
        incidents = demo_incidents(n_background=200, units=units)
        steps: list[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BorderwatchWarning)
            res = analyze(
                units,
                incidents,
                progress=steps.append,
                permutations=0,
                scan_replicates=19,
                cluster_replicates=0,
                static=False,
            )
    said = [str(w.message) for w in caught if issubclass(w.category, BorderwatchWarning)]
    return res, steps, said, threads


def test_the_grid_built_beside_the_counts_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import pandas as pd

    a, steps_a, said_a, threads_a = _grid_run(monkeypatch, beside=True)
    b, steps_b, said_b, threads_b = _grid_run(monkeypatch, beside=False)
    main = threading.main_thread().name
    assert threads_a and all(t != main for t in threads_a)  # built in the thread
    assert threads_b == [main] * len(threads_b)
    assert steps_a == steps_b
    assert said_a == said_b and "the grid says" in said_a
    assert a.summary == b.summary  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(a.cells, b.cells)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(a.units, b.units)  # type: ignore[attr-defined]


def test_an_error_in_the_grid_thread_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import borderwatch._beside as beside_module
    import borderwatch.pipeline as pipeline
    from borderwatch import DataError, analyze
    from borderwatch.datasets import demo_incidents, demo_units

    def fail(*_: object, **__: object) -> None:
        msg = "no grid today"
        raise DataError(msg)

    monkeypatch.setattr(beside_module, "can_fork", lambda: False)
    monkeypatch.setattr(pipeline, "_hotspot_grid", fail)
    units = demo_units()
    with pytest.raises(DataError, match="no grid today"):
        analyze(
            units, demo_incidents(n_background=50, units=units), scan_replicates=0, static=False
        )


def test_importing_the_compiled_modules_starts_no_numba_thread() -> None:
    import subprocess
    import sys

    code = (
        "import borderwatch._overlap as o, borderwatch._beside as b, sys\n"
        "assert 'numba' not in sys.modules\n"
        "o._compiled_modules()\n"
        "print('numba' in sys.modules, b.numba_threads_started())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def _edited_twice() -> tuple[gpd.GeoDataFrame, list[object], list[object]]:
    """Each remembered quantity of a frame, before and after an in-place edit of a point."""
    from shapely.geometry import Point

    from borderwatch._geom import projected
    from borderwatch._inputs import check_points, metric_points
    from borderwatch.grid import point_cells, square_grid

    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0, 0.1], [0.0, 0.1]), crs=4326)
    grid = square_grid(gpd.GeoSeries([box(-5_000, -5_000, 50_000, 50_000)], crs=3857), cell_km=10)

    def read() -> list[object]:
        return [
            projected(g.geometry, 3857).iloc[0].x,
            float(metric_points(g, 3857)[0][0, 0]),
            point_cells(grid, g.geometry).tolist(),
            check_points(g) is g,
        ]

    before = read()
    g.loc[0, "geometry"] = Point(0.3, 0.3)  # writes into the same geometry array
    return g, before, read()


def test_an_edit_in_place_between_two_calls_is_seen() -> None:
    """Outside a run nothing is remembered per geometry array: a notebook that edits a
    point in place and calls again gets the new point's projection, coordinates and cell."""
    g, before, after = _edited_twice()
    fresh = g.geometry.to_crs(3857).iloc[0].x
    assert after[0] == fresh != before[0]
    assert after[1] == fresh
    assert after[2] != before[2]


def test_what_a_run_remembers_is_forgotten_after() -> None:
    """Inside a run (borderwatch's own frames, never edited) the answers are remembered;
    the memory is emptied when the run ends."""
    from borderwatch import _cellindex, _geom, _inputs
    from borderwatch._memo import active, remembering

    with remembering():
        assert active()
        _edited_twice()
        assert _geom._PROJECTED and _cellindex._LOOKUPS and _inputs._XY  # remembered
    assert not active()
    assert not _geom._PROJECTED and not _cellindex._LOOKUPS
    assert not _inputs._XY and not _inputs._POINTS


def test_analyze_forgets_what_it_remembered() -> None:
    from borderwatch import _cellindex, _countries, _geom, _inputs
    from borderwatch._memo import active
    from borderwatch.datasets import demo_incidents, demo_units

    units = demo_units()
    inc = demo_incidents(n_background=100, units=units)
    from borderwatch import analyze

    analyze(units, inc, permutations=0, scan_replicates=0, cluster_replicates=0, static=False)
    assert not active()
    assert not _geom._PROJECTED and not _cellindex._LOOKUPS and not _countries._KNOWN
    assert not _inputs._XY and not _inputs._POINTS
