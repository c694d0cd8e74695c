"""The wave 15 shortcuts give exactly what the direct computations give.

* :func:`borderwatch._coded.taken` and :func:`borderwatch._coded.text_column` make the
  column pandas makes of the object array (values and dtype);
* :func:`borderwatch._cellindex._nearest` finds the same hexagon, with the same margin,
  as the six candidate centres compared one by one;
* :func:`borderwatch._lattice.build_grid` cuts a grid once per units, CRS, size and
  shape, and hands each caller its own copy.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from borderwatch import _lattice
from borderwatch._cellindex import _centres, _nearest
from borderwatch._coded import taken, text_column
from borderwatch.grid import hex_grid, square_grid

_VALUES = [
    ["a", "b", "c"],
    ["x", None, "z"],
    [1, 2, 3],
    [1.5, 2, "t"],
    [None, None],
    ["ü", "ß", ""],
]


def _assigned(values: np.ndarray) -> pd.Series:
    """The column pandas makes of the object array, assigned to a frame."""
    frame = pd.DataFrame({"i": np.arange(len(values))})
    frame["c"] = values
    return frame["c"]


@pytest.mark.parametrize("values", _VALUES)
@pytest.mark.parametrize("with_none", [True, False])
def test_taken_is_the_assigned_column(values: list[object], with_none: bool) -> None:
    small = np.array([None, *values], dtype=object)
    rng = np.random.default_rng(len(values))
    codes = rng.integers(0 if with_none else 1, len(small), 200)
    got = taken(small, codes, pd.RangeIndex(len(codes)))
    pd.testing.assert_series_equal(got, _assigned(small[codes]), check_names=False)


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "a", "b"],
        ["a", "b"],
        [None, None],
        ["a", float("nan"), "b"],
        ["a", pd.NA],
        [1, 1.0, True],
        ["1", 1],
        [],
    ],
)
def test_text_column_is_the_assigned_column(values: list[object]) -> None:
    arr = np.array(values, dtype=object)
    got = text_column(arr, pd.RangeIndex(len(arr)))
    if isinstance(got, np.ndarray):
        assert got is arr  # given back as it is: assigned as before
        return
    pd.testing.assert_series_equal(got, _assigned(arr), check_names=False)


def _nearest_one_by_one(xy: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """The six candidate centres compared one by one (wave 14's computation)."""
    dy = spacing * math.sqrt(3.0) / 2.0
    r0 = np.floor(xy[:, 1] / dy).astype(np.int64)
    best = np.full(len(xy), np.inf)
    second = np.full(len(xy), np.inf)
    rc = np.zeros((len(xy), 2), dtype=np.int64)
    for dr in (0, 1):
        r = r0 + dr
        c0 = np.rint((xy[:, 0] - (r % 2) * (spacing / 2.0)) / spacing).astype(np.int64)
        for dc in (-1, 0, 1):
            cand = np.column_stack([r, c0 + dc])
            d2 = ((xy - _centres(cand, spacing, "hex")) ** 2).sum(axis=1)
            closer = d2 < best
            second = np.where(closer, best, np.minimum(second, d2))
            best = np.where(closer, d2, best)
            rc[closer] = cand[closer]
    return rc, (second - best) / (2.0 * spacing)


@pytest.mark.parametrize("spacing", [1_000.0, 2_500.0, 7_777.7])
def test_hex_nearest_is_the_one_by_one_comparison(spacing: float) -> None:
    rng = np.random.default_rng(int(spacing))
    xy = rng.uniform(-2e6, 2e6, (20_000, 2))
    dy = spacing * math.sqrt(3.0) / 2.0
    k = np.arange(2_000)
    xy[:2_000, 0] = (k % 2) * spacing / 2.0 + 3 * spacing  # on centres
    xy[:2_000, 1] = k * dy
    half = np.round(xy[2_000:4_000] / (spacing / 2.0)) * (spacing / 2.0)  # on edges, vertices
    xy[2_000:4_000] = half
    rc, margin = _nearest(xy, spacing, "hex")
    rc0, margin0 = _nearest_one_by_one(xy, spacing)
    np.testing.assert_array_equal(rc, rc0)
    np.testing.assert_array_equal(margin, margin0)


def _units(country: str = "BBB") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"country": ["AAA", country]},
        geometry=[box(0, 0, 50_000, 40_000), box(50_000, 0, 100_000, 40_000)],
        crs=3857,
    )


@pytest.mark.parametrize("build", [hex_grid, square_grid])
def test_grid_cut_once_and_copied(build: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lattice, "_BUILT", [])
    first = build(_units(), cell_km=10)  # type: ignore[operator]
    again = build(_units(), cell_km=10)  # type: ignore[operator]
    assert len(_lattice._BUILT) == 1
    pd.testing.assert_frame_equal(first.cells, again.cells)
    assert first.cells is not again.cells
    again.cells.loc[0, "area_km2"] = -1.0  # a caller's change stays in its copy
    third = build(_units(), cell_km=10)  # type: ignore[operator]
    assert third.cells.loc[0, "area_km2"] == first.cells.loc[0, "area_km2"] > 0
    monkeypatch.setattr(_lattice, "_BUILT", [])
    fresh = build(_units(), cell_km=10)  # type: ignore[operator]
    pd.testing.assert_frame_equal(fresh.cells, first.cells)


@pytest.mark.parametrize(
    "change",
    [
        {"cell_km": 5},
        {"crs": 32631},
        {"units": "CCC"},
    ],
)
def test_grid_of_other_inputs_is_cut_anew(change: dict[str, object]) -> None:
    base = hex_grid(_units(), cell_km=10)
    units = _units(str(change.get("units", "BBB")))
    other = hex_grid(
        units,
        cell_km=float(change.get("cell_km", 10)),  # type: ignore[arg-type]
        crs=change.get("crs"),  # type: ignore[arg-type]
    )
    _lattice._BUILT.clear()
    direct = hex_grid(
        units,
        cell_km=float(change.get("cell_km", 10)),  # type: ignore[arg-type]
        crs=change.get("crs"),  # type: ignore[arg-type]
    )
    pd.testing.assert_frame_equal(other.cells, direct.cells)
    assert not other.cells.equals(base.cells)
