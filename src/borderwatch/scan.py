"""Kulldorff's spatial scan statistic on the grid cells: :func:`spatial_scan`.

The discrete Poisson model of SaTScan (Kulldorff 1997; SaTScan User Guide),
with the grid cells as locations:

* each cell is a location at its lattice centre, with a population at risk:
  its area (default) or its population from a raster;
* windows are circles centred on each cell, growing by distance; every cell
  at the same distance from the centre enters together, and a window holds at
  most ``max_share`` (50 %) of the total population;
* a window with ``c`` incidents where ``E = C * pop(window) / pop(total)``
  are expected has the log-likelihood ratio
  ``LLR = c ln(c/E) + (C-c) ln((C-c)/(C-E))`` when ``c > E`` (high-rate
  clusters; 0 otherwise) and at least ``min_cases`` (2) incidents;
* the most likely cluster is the window of largest LLR; secondary clusters
  are the most likely window of each other centre, taken by decreasing LLR
  unless they share a cell with a cluster taken before (SaTScan's default
  "no geographical overlap");
* p-values by Monte Carlo: ``R`` seeded replicates redistribute the data over
  the cells in proportion to the population; ``p = (1 + #{replicate max LLR
  >= cluster LLR}) / (R + 1)``, the largest LLR of each replicate being taken
  over all its windows (so secondary clusters are judged conservatively, as
  in SaTScan).

**Stacks.** With ``null="stacks"`` (the default) a replicate moves each
*location* of the data with its whole stack of incidents (incidents at the
same coordinates, to the metre), not each incident on its own. Real data
repeat coordinates (2,816 UCDP events on one Tijuana coordinate): under the
per-incident null such a stack is a certain cluster wherever it sits, while
under the stack null it is a cluster only when more incidents gather around
it than a stack of its size gathers by chance. Without repeated coordinates
the two nulls are the same multinomial redistribution of incidents.
``null="incidents"`` is SaTScan's own.

References
----------
Kulldorff, M. (1997). A spatial scan statistic. *Communications in
Statistics: Theory and Methods* 26(6), 1481-1496.
Kulldorff, M. SaTScan User Guide (v10), https://www.satscan.org.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from ._countries import (
    feature_countries,
    features_border_km,
    has_countries,
    own_countries,
)
from ._errors import BorderwatchWarning, DataError
from ._geom import projected, robust_union
from ._inputs import check_points
from ._lattice import Grid, polygonal
from ._stacks import stacks, unique_rows
from .grid import point_cells

if TYPE_CHECKING:
    from . import _scan  # numba: imported by the functions that run it

__all__ = ["SCAN_COLUMNS", "ScanResult", "spatial_scan"]

Null = Literal["stacks", "incidents"]

#: Columns of :attr:`ScanResult.clusters` (besides ``geometry``), in order.
SCAN_COLUMNS = [
    "scan_id",
    "n_incidents",
    "expected",
    "relative_risk",
    "llr",
    "p_value",
    "radius_km",
    "n_cells",
    "n_locations",
    "countries",
    "cross_border",
    "border_km",
    "first_date",
    "last_date",
    "area_km2",
]
_DTYPES = {
    "scan_id": "int64",
    "n_incidents": "int64",
    "expected": "float64",
    "relative_risk": "float64",
    "llr": "float64",
    "p_value": "float64",
    "radius_km": "float64",
    "n_cells": "int64",
    "n_locations": "int64",
    "countries": "str",
    "cross_border": "bool",
    "border_km": "float64",
    "first_date": "datetime64[ns]",
    "last_date": "datetime64[ns]",
    "area_km2": "float64",
}


@dataclass(frozen=True, eq=False)
class ScanResult:
    """Result of :func:`spatial_scan`: the clusters and the settings that made them.

    Attributes
    ----------
    clusters : GeoDataFrame
        One row per cluster (:data:`SCAN_COLUMNS` and the union of its cells),
        in the CRS of the grid, most likely first: only those with
        ``p_value <= alpha`` unless ``keep_all``.
    replicates : int
        Monte Carlo replicates (0: no p-values).
    max_share : float
        Largest share of the population in a window.
    alpha : float
    seed : int
    null : {"stacks", "incidents"}
        What a replicate moves: locations with their stacks, or incidents.
    population : {"area", "population"}
        The population at risk of the cells.
    min_cases : int
        Fewest incidents in a cluster.
    keep_all : bool
        Whether clusters with ``p_value > alpha`` were kept.
    n_candidates : int
        Non-overlapping windows with an excess, before the ``alpha`` filter.
    null_max : ndarray
        The largest LLR of each replicate.
    """

    clusters: gpd.GeoDataFrame
    replicates: int
    max_share: float
    alpha: float
    seed: int
    null: Null
    population: str
    min_cases: int
    keep_all: bool
    n_candidates: int
    null_max: np.ndarray

    def critical_llr(self, alpha: float | None = None) -> float | None:
        """The LLR a cluster needs for ``p <= alpha`` (None without replicates)."""
        a = self.alpha if alpha is None else alpha
        r = len(self.null_max)
        if r == 0:
            return None
        # p <= a  <=>  #{max >= llr} <= a (R + 1) - 1
        allowed = math.floor(a * (r + 1) + 1e-9) - 1
        if allowed < 0:
            return math.inf
        ranked = np.sort(self.null_max)[::-1]
        return float(ranked[allowed]) if allowed < r else 0.0

    def summary(self) -> dict[str, Any]:
        """What ``summary.json`` records under ``"scan"``."""
        crit = self.critical_llr()
        return {
            "model": "discrete poisson",
            "replicates": self.replicates,
            "max_share": self.max_share,
            "alpha": self.alpha,
            "seed": self.seed,
            "null": self.null,
            "population": self.population,
            "min_cases": self.min_cases,
            "all": self.keep_all,
            "n_candidates": self.n_candidates,
            "critical_llr": None if crit is None or not math.isfinite(crit) else round(crit, 6),
            "n": len(self.clusters),
            "n_cross_border": int(self.clusters["cross_border"].sum()) if len(self.clusters) else 0,
        }


def spatial_scan(
    grid: Grid,
    incidents: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None = None,
    *,
    population: np.ndarray | Any | None = None,
    replicates: int = 999,
    max_share: float = 0.5,
    alpha: float = 0.05,
    seed: int = 0,
    null: Null = "stacks",
    keep_all: bool = False,
    min_cases: int = 2,
) -> ScanResult:
    """Kulldorff's discrete Poisson scan statistic on the cells of a grid.

    Parameters
    ----------
    grid : Grid
        The analysis grid (:func:`borderwatch.grid.hex_grid`,
        ``CellHotspots.grid``): its lattice gives the circles.
    incidents : GeoDataFrame
        Points with a CRS; ``reported_country`` / ``country`` give
        ``countries`` (see :mod:`borderwatch._countries`), ``date`` the date range.
    border : GeoDataFrame, optional
        International border lines for ``border_km``; without them the
        incidents' own ``border_km`` (from the join) is used, else NaN.
    population : array or PopulationRaster, optional
        Population at risk per cell (one value per cell), or a population
        raster (``borderwatch._population.PopulationRaster``) sampled over each
        cell. Default: the cell areas.
    replicates : int, default 999
        Monte Carlo replicates; 0 skips them (``p_value`` is NaN).
    max_share : float, default 0.5
        Largest share of the total population in a window (SaTScan's default 50 %).
    alpha : float, default 0.05
        Clusters with ``p_value <= alpha`` are kept unless ``keep_all``.
    seed : int, default 0
    null : {"stacks", "incidents"}
        What a replicate moves (see the module docstring).
    keep_all : bool, default False
        Keep every non-overlapping window with an excess, whatever its p-value.
    min_cases : int, default 2
        Fewest incidents in a cluster (SaTScan's default for high rates).

    Returns
    -------
    ScanResult

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid
    >>> grid = hex_grid(gpd.GeoSeries([box(0, 0, 100_000, 100_000)], crs=3857), cell_km=10)
    >>> rng = np.random.default_rng(1)
    >>> xy = np.vstack([rng.uniform(0, 100_000, (60, 2)), rng.normal(50_000, 3_000, (40, 2))])
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=3857)
    >>> res = spatial_scan(grid, pts, replicates=99, seed=0)
    >>> res.clusters[["scan_id", "n_incidents", "n_cells", "p_value"]].to_dict("records")
    [{'scan_id': 1, 'n_incidents': 28, 'n_cells': 1, 'p_value': 0.01}]
    """
    from . import _scan, _scan_windows  # compiled kernels (numba): imported when a scan runs

    _check(grid, replicates, max_share, alpha, null, min_cases)
    incidents = check_points(incidents)
    cells = grid.cells
    where = point_cells(grid, incidents.geometry)
    inside = np.flatnonzero(where >= 0)
    counts = np.bincount(where[inside], minlength=len(cells)).astype(np.int64)
    pop, pop_kind = _population(grid, population, counts)
    lat, qmax, best, bq, bc, be = _scan_windows.scan_windows(
        grid, counts, pop, max_share=max_share, min_cases=min_cases
    )
    centres = _scan.select_clusters(lat, best, bq)
    made: list[gpd.GeoDataFrame] = []
    places = _Places(incidents, inside, grid.crs)

    def describe() -> None:  # the clusters but their p-values: made while replicates are drawn
        table = _table(lat, centres, bq, bc, be, best, np.full(len(centres), np.nan), counts)
        made.append(_frame(table, lat, centres, bq, grid, incidents, where, border, places))

    if replicates > 0 and len(centres):
        sizes = np.ones(len(inside), dtype=np.int64) if null == "incidents" else places.sizes()
        null_max = _scan.null_maxima(
            lat,
            pop,
            qmax,
            sizes,
            replicates=replicates,
            seed=seed,
            min_cases=min_cases,
            meanwhile=describe,
        )
    else:
        describe()
        null_max = np.zeros(0)
    frame = made[0]
    frame["p_value"] = _p_values(best[centres], null_max)
    if not keep_all:
        frame = frame[frame["p_value"].fillna(1.0).to_numpy() <= alpha + 1e-12]
    frame = frame.reset_index(drop=True)
    frame["scan_id"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return ScanResult(
        clusters=frame,
        replicates=int(replicates),
        max_share=float(max_share),
        alpha=float(alpha),
        seed=int(seed),
        null=null,
        population=pop_kind,
        min_cases=int(min_cases),
        keep_all=bool(keep_all),
        n_candidates=len(centres),
        null_max=null_max,
    )


def prepare_engine() -> None:
    """Import the scan's compiled kernels and set up numba's compiler, without loading a
    kernel or starting numba's threads.

    A process that forks the scan into a child (:mod:`borderwatch._overlap`) can call
    this before the fork, on a core that would otherwise wait: the child then skips
    numba's import and the set-up of its typing and target contexts (about a second of
    CPU at first use), and its threads still start in the child
    (:func:`borderwatch._beside.numba_threads_started` stays False here). Nothing of the
    scan's results depends on it. Call it from the thread that forks, or join the thread
    that calls it before forking (a fork during an import could leave its lock held).
    """
    from numba.core.registry import cpu_target

    from . import _scan, _scan_windows  # noqa: F401  (the kernels' modules, not compiled)

    cpu_target.target_context.refresh()
    cpu_target.typing_context.refresh()


def _check(
    grid: Any, replicates: Any, max_share: Any, alpha: Any, null: Any, min_cases: Any
) -> None:
    if not isinstance(grid, Grid):
        msg = f"spatial_scan needs the analysis Grid (hex_grid / square_grid, CellHotspots.grid), not {type(grid).__name__}. Hint: the scan uses its lattice."
        raise DataError(msg)
    if not {"x_m", "y_m", "area_km2"} <= set(grid.cells.columns):
        msg = "spatial_scan: the grid cells lack x_m, y_m or area_km2. Hint: build the grid with borderwatch.grid.hex_grid."
        raise DataError(msg)
    if (
        isinstance(replicates, bool)
        or not isinstance(replicates, int | np.integer)
        or replicates < 0
    ):
        msg = f"replicates must be a whole number >= 0, not {replicates!r}. Hint: 999 as SaTScan."
        raise DataError(msg)
    if not (isinstance(max_share, int | float) and 0 < max_share <= 0.5):
        msg = f"max_share must be a share in (0, 0.5], not {max_share!r}. Hint: 0.5 as SaTScan."
        raise DataError(msg)
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        msg = f"alpha must be between 0 and 1, not {alpha!r}."
        raise DataError(msg)
    if null not in ("stacks", "incidents"):
        msg = f"null must be 'stacks' or 'incidents', not {null!r}."
        raise DataError(msg)
    if isinstance(min_cases, bool) or not isinstance(min_cases, int | np.integer) or min_cases < 1:
        msg = f"min_cases must be a whole number >= 1, not {min_cases!r}."
        raise DataError(msg)


def _stack_sizes(
    incidents: gpd.GeoDataFrame, inside: np.ndarray, crs: CRS, null: Null
) -> np.ndarray:
    """Incidents per location (``null="stacks"``) or ones (``"incidents"``)."""
    if null == "incidents":
        return np.ones(len(inside), dtype=np.int64)
    return _Places(incidents, inside, crs).sizes()


class _Places:
    """The locations (stacks) of the incidents in a cell, found once for the scan's stack
    sizes and its clusters' ``n_locations`` (their coordinates read once).

    ``inside`` are the rows of the incidents in a cell, in order.
    """

    def __init__(self, incidents: gpd.GeoDataFrame, inside: np.ndarray, crs: CRS) -> None:
        self._incidents, self._inside, self._crs = incidents, inside, crs
        self._found: tuple[np.ndarray, np.ndarray] | None = None

    def _stacks(self) -> tuple[np.ndarray, np.ndarray]:
        if self._found is None:
            geo = projected(self._incidents.geometry, self._crs).array[self._inside]
            loc, sizes, _ = stacks(shapely.get_coordinates(np.asarray(geo, dtype=object)))
            self._found = loc, sizes
        return self._found

    def sizes(self) -> np.ndarray:
        """Incidents at each location, locations numbered by first appearance."""
        return self._stacks()[1]

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The location of each of ``rows`` (rows of incidents in a cell, increasing)."""
        return self._stacks()[0][np.searchsorted(self._inside, rows)]


def _p_values(llrs: np.ndarray, null_max: np.ndarray) -> np.ndarray:
    """``(1 + #{max >= llr}) / (R + 1)``, ties within :data:`borderwatch._scan.TIE`."""
    from . import _scan

    if len(null_max) == 0:
        return np.full(len(llrs), np.nan)
    ranked = np.sort(null_max)
    tol = _scan.TIE * np.maximum(1.0, np.abs(llrs))
    above = len(ranked) - np.searchsorted(ranked, llrs - tol, side="left")
    return (1.0 + above) / (len(ranked) + 1.0)


def _population(grid: Grid, population: Any, counts: np.ndarray) -> tuple[np.ndarray, str]:
    """Population at risk per cell and its kind ("area" or "population")."""
    cells = grid.cells
    if population is None:
        return cells["area_km2"].to_numpy(float), "area"
    if hasattr(population, "values") and hasattr(population, "transform"):
        pop = _raster_population(grid, population)
    else:
        pop = np.asarray(population, dtype=float).ravel()
        if len(pop) != len(cells):
            msg = f"population has {len(pop)} values for {len(cells)} cells. Hint: one value per cell, or a population raster."
            raise DataError(msg)
    if not np.isfinite(pop).all() or (pop < 0).any() or pop.sum() <= 0:
        msg = "population must be finite, non-negative and not all zero. Hint: check the raster's nodata."
        raise DataError(msg)
    empty = (pop <= 0) & (counts > 0)
    floor = 1e-6 * float(pop.sum()) / len(pop)
    if empty.any():
        warnings.warn(
            f"{int(counts[empty].sum())} incidents lie in {int(empty.sum())} cells without "
            "population; the scan gives those cells a token population.",
            BorderwatchWarning,
            stacklevel=3,
        )
    return np.maximum(pop, floor), "population"


def _raster_population(grid: Grid, raster: Any) -> np.ndarray:
    """People per cell: the raster's density (people / km²) averaged over 16 points of each cell."""
    from ._raster import pixel_area_km2

    values = np.asarray(raster.values, dtype=float)
    transform = raster.transform
    cells = grid.cells
    geoms = np.asarray(cells.geometry.array, dtype=object)
    b = shapely.bounds(geoms)
    t = (np.arange(4) + 0.5) / 4
    gx = b[:, [0]] + (b[:, [2]] - b[:, [0]]) * np.tile(t, 4)[None, :]
    gy = b[:, [1]] + (b[:, [3]] - b[:, [1]]) * np.repeat(t, 4)[None, :]
    inside = shapely.contains_xy(np.repeat(geoms, 16).reshape(-1, 16), gx, gy)
    tr = Transformer.from_crs(grid.crs, CRS(raster.crs.to_wkt()), always_xy=True)
    lon, lat = tr.transform(gx.ravel(), gy.ravel())
    inv = ~transform
    col, row = inv * (np.asarray(lon), np.asarray(lat))
    col, row = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
    ok = (row >= 0) & (col >= 0) & (row < values.shape[0]) & (col < values.shape[1])
    area = pixel_area_km2(transform, raster.crs, values.shape[0])[:, 0]
    flat = np.zeros(len(row))
    flat[ok] = values[row[ok], col[ok]] / area[row[ok]]
    dens = np.where(np.isfinite(flat), flat, 0.0).reshape(-1, 16)
    n_in = inside.sum(axis=1)
    mean = np.where(n_in > 0, (dens * inside).sum(axis=1) / np.maximum(n_in, 1), dens.mean(axis=1))
    return np.asarray(mean * cells["area_km2"].to_numpy(float), dtype=float)


def _table(
    lat: _scan.Lattice,
    centres: np.ndarray,
    bq: np.ndarray,
    bc: np.ndarray,
    be: np.ndarray,
    best: np.ndarray,
    p: np.ndarray,
    counts: np.ndarray,
) -> pd.DataFrame:
    """The statistics of the clusters (one row per centre in ``centres``)."""
    total = float(counts.sum())
    c = bc[centres].astype(float)
    e = be[centres]
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = np.where(c < total, (c / e) / ((total - c) / (total - e)), np.inf)
    return pd.DataFrame(
        {
            "n_incidents": bc[centres].astype(np.int64),
            "expected": e,
            "relative_risk": rr,
            "llr": best[centres],
            "p_value": p,
            "radius_km": [lat.radius_m(int(bq[k])) / 1000.0 for k in centres],
        }
    )


def _frame(
    table: pd.DataFrame,
    lat: _scan.Lattice,
    centres: np.ndarray,
    bq: np.ndarray,
    grid: Grid,
    incidents: gpd.GeoDataFrame,
    where: np.ndarray,
    border: gpd.GeoDataFrame | None,
    places: _Places | None = None,
) -> gpd.GeoDataFrame:
    """Clusters with their cells, incidents' countries, border distance, dates and shape
    (``places``: the incidents' locations, if already found)."""
    from . import _scan

    cells = grid.cells
    k = len(centres)
    cluster_of_cell = np.full(len(cells), -1, dtype=np.int64)
    members = []
    for r, centre in enumerate(centres):
        win = _scan.window_cells(lat, int(centre), int(bq[centre]))
        cluster_of_cell[win] = r
        members.append(win)
    feature = np.where(where >= 0, cluster_of_cell[np.maximum(where, 0)], -1)
    geoms = np.asarray(cells.geometry.array, dtype=object)
    shapes = polygonal(
        np.array([robust_union(geoms[m]) for m in members], dtype=object)
        if k
        else np.zeros(0, dtype=object)
    )
    out = table.copy()
    out["n_cells"] = np.array([len(m) for m in members], dtype=np.int64)
    out["n_locations"] = _locations(incidents, feature, grid.crs, k, places)
    out = pd.concat([out, _incident_fields(incidents, feature, border, grid.crs, k)], axis=1)
    out["area_km2"] = shapely.area(shapes) / 1e6 if k else np.zeros(0)
    out.insert(0, "scan_id", np.arange(1, k + 1, dtype=np.int64))
    out = out[SCAN_COLUMNS].astype({c: t for c, t in _DTYPES.items() if c != "countries"})
    out["countries"] = pd.array(out["countries"].tolist(), dtype="str")
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(shapes, crs=grid.crs).array, crs=grid.crs)


def _locations(
    incidents: gpd.GeoDataFrame,
    feature: np.ndarray,
    crs: CRS,
    k: int,
    places: _Places | None = None,
) -> np.ndarray:
    """Distinct locations (stacks) among the incidents of each feature (``places``: the
    locations of the incidents in a cell, a superset of the features' incidents)."""
    rows = np.flatnonzero(feature >= 0)
    if not len(rows):
        return np.zeros(k, dtype=np.int64)
    if places is not None:  # the same partition into stacks, numbered otherwise
        loc = places.of(rows)
    else:
        geo = projected(incidents.geometry, crs).iloc[rows]
        loc, _, _ = stacks(shapely.get_coordinates(np.asarray(geo.array, dtype=object)))
    pairs = unique_rows(np.column_stack([feature[rows], loc]))
    return np.bincount(pairs[:, 0], minlength=k).astype(np.int64)


def _incident_fields(
    incidents: gpd.GeoDataFrame,
    feature: np.ndarray,
    border: gpd.GeoDataFrame | None,
    crs: CRS,
    k: int,
) -> pd.DataFrame:
    """``countries``, ``cross_border``, ``border_km``, ``first_date``, ``last_date``."""
    if has_countries(incidents):
        countries, cross = feature_countries(feature, own_countries(incidents), k)
    else:
        countries, cross = [""] * k, np.zeros(k, dtype=bool)
    rows = np.flatnonzero(feature >= 0)
    border_km = features_border_km(incidents, feature, border, crs, k)
    dates = (
        pd.to_datetime(incidents["date"], errors="coerce").to_numpy("datetime64[ns]")
        if "date" in incidents.columns
        else np.full(len(feature), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    frame = pd.DataFrame({"f": feature[rows], "d": dates[rows]})
    g = frame.groupby("f")["d"]
    return pd.DataFrame(
        {
            "countries": countries,
            "cross_border": cross,
            "border_km": border_km,
            "first_date": g.min().reindex(range(k)).to_numpy("datetime64[ns]"),
            "last_date": g.max().reindex(range(k)).to_numpy("datetime64[ns]"),
        }
    )
