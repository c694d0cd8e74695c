"""Aggregates, not rows: the dask engine's counting statistics from per-partition counts.

:func:`aggregate_statistics` reads, checks and joins each file of partitioned input
on the workers (as :mod:`borderwatch._dask` does) and keeps the joined partitions
there. The client only ever receives aggregates (:class:`PartitionCounts`):

1. per partition, the incidents' longitude bins and latitude range (the study CRS is
   centred on the incidents' extent, :func:`borderwatch.study_crs`) and the dates'
   precisions (the time bin of the counts table);
2. per partition, the distinct locations to the millimetre (only when the cell size is
   chosen from the data: :func:`borderwatch.grid.default_cell_km` needs their spacing);
3. per partition, on the grid fixed from the units and that cell size: the counts table
   (unit x country x category x period), the incidents per cell and per cell x month,
   the dates' range, and the stack table (incidents per distinct location, for the
   scan's null);
4. per partition and scan cluster, and per hotspot region (:mod:`borderwatch._dask_scan`,
   :mod:`borderwatch._dask_regions`): the incidents' own and unit countries, smallest
   border distance, first and last date and locations.

The client sums them and runs Gi*, local Moran, the emerging trends (from the cell x
month counts and the dates' range), unit Gi*, the spatial scan and the hotspot regions
(with their stack rule, from the distinct locations per cell) on the sums. The results
equal the default engine's (tests/test_dask_engine.py). :func:`run_aggregates` runs the
passes for ``analyze(engine="dask")`` too (:mod:`borderwatch._dask_pipeline`), which adds
its own tasks on the joined partitions (density, tallies, the sample).
"""

from __future__ import annotations

import operator
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._dask import _load, _need_dask, partition_sources
from ._dask_regions import region_cells, regions_frame
from ._dask_scan import cluster_fields, scan_core, scan_frame
from ._lattice import Grid
from ._population import PopulationRaster, read_population, unit_population
from ._warnings import withheld
from .settings import Settings

__all__ = [
    "AggregateRun",
    "AggregateStatistics",
    "PartitionCounts",
    "aggregate_statistics",
    "run_aggregates",
]

#: Width of the longitude bins of the first pass (degrees).
_LON_BIN = 0.01


@dataclass(frozen=True)
class PartitionCounts:
    """What one joined partition sends to the client: aggregates only.

    Attributes
    ----------
    counts : DataFrame
        ``unit_id``, ``country``, ``category``, ``period`` (start of the bin), ``count``.
    cells : ndarray
        Incidents per grid cell.
    stacks : DataFrame
        ``kx``, ``ky`` (the location to the metre, as the scan's stacks key it), ``cell``,
        ``first`` (first row of the location in the partition), ``count``: incidents in a
        cell.
    months : DataFrame
        ``cell``, ``month`` (its first day), ``count``: dated incidents in a cell.
    dates : tuple
        The first and last date of the dated incidents (NaT without any).
    n : int
        Joined incidents of the partition.
    """

    counts: pd.DataFrame
    cells: np.ndarray
    stacks: pd.DataFrame
    months: pd.DataFrame
    dates: tuple[Any, Any]
    n: int

    @property
    def rows(self) -> int:
        """Rows of the largest table sent (never one per incident once locations repeat)."""
        return max(len(self.counts), len(self.stacks), len(self.months))


@dataclass(frozen=True)
class AggregateStatistics:
    """The counting statistics of partitioned input, computed from aggregates.

    Attributes
    ----------
    units : GeoDataFrame
        Units with ``incidents``, one column per category, ``area_km2`` and unit Gi*.
    counts : DataFrame
        The counts table (``unit_id``, ``country``, ``category``, ``period``, ``count``).
    cells : GeoDataFrame
        Every cell with ``count``, Gi*, ``trend_class`` (emerging hot spots from the
        cell x month counts) and local Moran.
    scan : GeoDataFrame or None
        The scan clusters (metric CRS, the columns of
        :data:`borderwatch.scan.SCAN_COLUMNS`); None without replicates.
    regions : GeoDataFrame
        The hotspot regions (metric CRS, :data:`borderwatch.regions.REGION_COLUMNS`).
    n_incidents : int
        Joined incidents over all partitions.
    partitions : int
        Partitions (one per file, unless ``settings.partitions`` says otherwise).
    largest : int
        Rows of the largest table any task sent to the client.
    """

    units: gpd.GeoDataFrame
    counts: pd.DataFrame
    cells: gpd.GeoDataFrame
    scan: gpd.GeoDataFrame | None
    regions: gpd.GeoDataFrame
    n_incidents: int
    partitions: int
    largest: int


# --------------------------------------------------------------------------- worker side


def _extent(part: gpd.GeoDataFrame, lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
    """Pass 1: longitude bins (min and max per bin) and latitude range of the incidents
    inside the units' bounds, and the dates' precisions."""
    xy = shapely.get_coordinates(np.asarray(part.geometry.array, dtype=object))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    xy = xy[np.all((xy >= lo) & (xy <= hi), axis=1)]
    bins = pd.DataFrame({"bin": np.floor(xy[:, 0] / _LON_BIN), "lon": xy[:, 0]})
    lon = bins.groupby("bin")["lon"].agg(["min", "max"])
    precision = part.get("date_precision", pd.Series(dtype=object)).value_counts(dropna=True)
    return {
        "lon": lon,
        "lat": (float(xy[:, 1].min()), float(xy[:, 1].max())) if len(xy) else None,
        "precision": {str(k): int(v) for k, v in precision.items()},
    }


def _distinct(part: gpd.GeoDataFrame, crs: Any) -> np.ndarray:
    """Pass 2: distinct locations to the millimetre in the study CRS."""
    from .grid import _distinct_xy

    return np.asarray(_distinct_xy(part.to_crs(crs)))


def _count(part: gpd.GeoDataFrame, grid: Grid, period: str) -> PartitionCounts:
    """Pass 3: the partition's counts table, cell counts and stack table."""
    from ._geom import projected
    from .grid import point_cells
    from .join import aggregate_counts

    counts = aggregate_counts(part, period=period, by=("unit_id", "country", "category"))  # type: ignore[arg-type]
    where = point_cells(grid, part.geometry)
    inside = np.flatnonzero(where >= 0)
    cells = np.bincount(where[inside], minlength=len(grid.cells)).astype(np.int64)
    geo = projected(part.geometry, grid.crs).iloc[inside]
    xy = shapely.get_coordinates(np.asarray(geo.array, dtype=object))
    key = np.rint(xy / 1.0).astype(np.int64)  # as borderwatch._stacks.stacks keys locations
    table = pd.DataFrame(
        {"kx": key[:, 0], "ky": key[:, 1], "cell": where[inside], "first": np.arange(len(key))}
    )
    stacks = (
        table.groupby(["kx", "ky", "cell"], sort=False)
        .agg(first=("first", "min"), count=("first", "size"))
        .reset_index()
    )
    dates = pd.to_datetime(part["date"], errors="coerce") if "date" in part else pd.Series()
    dated = dates.notna().to_numpy()
    ok = dated & (where >= 0)
    months = (
        pd.DataFrame({"cell": where[ok], "month": dates[ok].dt.to_period("M").dt.start_time})
        .groupby(["cell", "month"])
        .size()
        .rename("count")
        .reset_index()
    )
    span = (dates[dated].min(), dates[dated].max()) if dated.any() else (pd.NaT, pd.NaT)
    return PartitionCounts(counts, cells, stacks, months, span, n=len(part))


# --------------------------------------------------------------------------- client side


@contextmanager
def _session(scheduler: str | None) -> Iterator[None]:
    """dask's compute and persist go to the cluster at ``scheduler`` inside the block."""
    if not scheduler:
        yield
        return
    from distributed import Client

    with Client(scheduler):
        yield


def _study_crs(
    units: gpd.GeoDataFrame, extents: Sequence[dict[str, Any]]
) -> tuple[Any, dict[str, Any]]:
    """:func:`borderwatch.study_crs` of the incidents from their extents, and its centre
    (as ``summary.json`` records it): one point per longitude bin end carries the same
    largest longitude gap and the same range."""
    from ._crs import study_centre, study_crs

    lats = [e["lat"] for e in extents if e["lat"] is not None]
    lon = pd.concat([e["lon"] for e in extents])
    pts = None
    if lats and len(lon):
        lon = lon.groupby(level=0).agg({"min": "min", "max": "max"})
        ends = np.concatenate([lon["min"].to_numpy(), lon["max"].to_numpy()])
        lat = np.where(
            np.arange(len(ends)) % 2 == 0, min(x[0] for x in lats), max(x[1] for x in lats)
        )
        pts = gpd.GeoSeries(gpd.points_from_xy(ends, lat), crs="EPSG:4326")
    lon0, lat0, basis = study_centre(units, incidents=pts)
    return study_crs(units, incidents=pts), {"lon": lon0, "lat": lat0, "from": basis}


def _period(extents: Sequence[dict[str, Any]], asked: Any) -> Any:
    """The counts table's time bin from the precisions (as :func:`counts_period`, whose
    warning counts the incidents with coarser dates)."""
    from ._period import _NEEDS, counts_period

    total: dict[str, int] = {}
    for e in extents:
        for key, n in e["precision"].items():
            total[key] = total.get(key, 0) + n
    with withheld() as caught:
        period = counts_period(pd.DataFrame({"date_precision": list(total)}), asked)
    needs = _NEEDS.get(asked) if asked else None
    coarse = sum(n for key, n in total.items() if needs is not None and key not in needs)
    for w in caught:  # the frame held one row per precision: the number is the incidents'
        text = str(w.message).split(" incidents have ", 1)[-1]
        warnings.warn(f"{coarse} incidents have {text}", type(w.message), stacklevel=3)
    return period


def _grid(units: gpd.GeoDataFrame, crs: Any, km: float, s: Settings) -> Grid:
    from ._crs import to_metric
    from .grid import hex_grid, square_grid

    if s.view == "public":  # the fixed global lattice, as the pipeline's public view
        from .lattice import LATTICE_CRS, snap_cell_km

        units_m, metric = to_metric(units, LATTICE_CRS)
        return square_grid(units_m, cell_km=float(snap_cell_km(km)), crs=metric)
    units_m, metric = to_metric(units, crs)
    build = hex_grid if s.grid == "hex" else square_grid
    return build(units_m, cell_km=float(km), crs=metric)


def _cell_km(
    units: gpd.GeoDataFrame, crs: Any, distinct: Sequence[np.ndarray], s: Settings
) -> float:
    """The asked cell size, or :func:`default_cell_km` of the distinct locations."""
    if s.cell_km is not None:
        return float(s.cell_km)
    from ._crs import to_metric
    from ._stacks import unique_rows
    from .grid import default_cell_km

    xy = unique_rows(np.vstack([d.reshape(-1, 2) for d in distinct]))
    units_m, metric = to_metric(units, crs)
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=metric)
    shape = "square" if s.view == "public" else s.grid
    return float(default_cell_km(pts, units=units_m, crs=metric, shape=shape))


def _counts_table(parts: Sequence[PartitionCounts]) -> tuple[pd.DataFrame, list[str]]:
    """The summed counts table (rows in a unit) and every category present."""
    keys = ["unit_id", "country", "category", "period"]
    table = pd.concat([p.counts for p in parts], ignore_index=True)
    table = table.groupby(keys, dropna=False, sort=True)["count"].sum().reset_index()
    present = set(table["category"].dropna())
    table["count"] = table["count"].astype(int)
    table = table[table["unit_id"].notna()].reset_index(drop=True)
    table["period"] = pd.to_datetime(table["period"]).dt.strftime("%Y-%m-%d")
    return table, sorted(present)


def _unit_table(
    units: gpd.GeoDataFrame,
    table: pd.DataFrame,
    present: list[str],
    crs: Any,
    raster: PopulationRaster | None = None,
) -> Any:
    """Units with their counts, as :func:`borderwatch.join.unit_counts` writes them, and
    with a population ``raster`` their population and rate, as the default engine's join."""
    from ._schema import TAXONOMY

    cats = [c for c in TAXONOMY if c in present] + sorted(set(present) - set(TAXONOMY))
    base = units[["unit_id", "name", "country", units.geometry.name]].copy()
    total = table.groupby("unit_id")["count"].sum()
    base["incidents"] = base["unit_id"].map(total).fillna(0).astype(int)
    by_cat = table.groupby(["unit_id", "category"])["count"].sum().unstack(fill_value=0)
    for c in cats:
        col = by_cat[c] if c in by_cat.columns else pd.Series(dtype=int)
        base[c] = base["unit_id"].map(col).fillna(0).astype(int)
    cols = ["unit_id", "name", "country", "incidents", *cats, units.geometry.name]
    out = gpd.GeoDataFrame(base[cols], geometry=units.geometry.name, crs=units.crs)
    out["area_km2"] = out.to_crs(crs).area.to_numpy() / 1e6
    return out if raster is None else unit_population(out, raster)


def _stack_sizes(parts: Sequence[PartitionCounts]) -> np.ndarray:
    """Incidents per location over all partitions, locations in order of first appearance
    (partitions in file order), as :func:`borderwatch._stacks.stacks` gives them."""
    offset, frames = 0, []
    for p in parts:
        frames.append(p.stacks.assign(first=p.stacks["first"] + offset))
        offset += int(p.cells.sum())
    table = pd.concat(frames, ignore_index=True)
    merged = table.groupby(["kx", "ky"], sort=False).agg(
        first=("first", "min"), count=("count", "sum")
    )
    return merged.sort_values("first")["count"].to_numpy(np.int64)


def _cell_locations(parts: Sequence[PartitionCounts], n: int) -> np.ndarray:
    """Distinct locations per cell over all partitions (the regions' stack rule)."""
    table = pd.concat([p.stacks[["cell", "kx", "ky"]] for p in parts], ignore_index=True)
    per_cell = table.drop_duplicates().groupby("cell").size()
    return per_cell.reindex(range(n), fill_value=0).to_numpy(np.int64)


def _per_feature(
    dask: Any, joined: Sequence[Any], grid: Grid, feature_of_cell: np.ndarray | None, border: Any
) -> list[dict[str, pd.DataFrame]]:
    """Every partition's :func:`cluster_fields` for the features (scan clusters or
    regions) of the cells; none without features."""
    if feature_of_cell is None:
        return []
    tasks = [dask.delayed(cluster_fields)(p, grid, feature_of_cell, border) for p in joined]
    return list(dask.compute(*tasks))


def _cells(grid: Grid, counts: np.ndarray, s: Settings) -> tuple[gpd.GeoDataFrame, Any, Any]:
    """Gi* and local Moran of the summed cell counts, as :func:`cell_hotspots` runs them."""
    from .hotspots import _cell_table, gi_star, local_moran
    from .weights import cell_weights

    w = cell_weights(grid, kind=s.weights, k=s.n_neighbors)
    opts: dict[str, Any] = {"seed": s.seed, "alpha": s.alpha, "fdr": True}
    gi = gi_star(
        counts,
        w,
        permutations=s.permutations,
        min_count=3,
        inference="combined",
        exposure=grid.cells["area_km2"].to_numpy(),
        max_permutations=99_999,
        **opts,
    )
    mor = local_moran(
        counts, w, permutations=max(s.permutations, 99), max_permutations=99_999, **opts
    )
    return _cell_table(grid, counts, gi.table, mor, None), w, gi


def _trends(
    grid: Grid, w: Any, parts: Sequence[PartitionCounts], s: Settings
) -> tuple[Any, str | None]:
    """Emerging hot spots from the cell x month counts, as :func:`emerging_hotspots` runs
    them for :func:`cell_hotspots` (monthly bins, coarser when too many): the
    :class:`~borderwatch.emerging.EmergingHotspots`, or None and why the dates do not
    allow them (its message)."""
    from ._stats import adjacency
    from .emerging import MAX_CUBE_BINS, EmergingHotspots, _cube_flags, _time_bins, cube_weights
    from .emerging import _trends as trend_labels
    from .weights import resolve_weights

    firsts = [p.dates[0] for p in parts if pd.notna(p.dates[0])]
    if not firsts:
        return None, "emerging_hotspots: no incident has a date."
    span = pd.Series([min(firsts), max(p.dates[1] for p in parts if pd.notna(p.dates[1]))])
    n = len(grid.cells)
    cap = min(240, max(1, MAX_CUBE_BINS // max(1, n)))
    freq = "MS"
    _, starts = _time_bins(span, freq)
    for coarser in ("QS", "YS"):
        if len(starts) <= cap:
            break
        freq = coarser
        _, starts = _time_bins(span, coarser)
    t = len(starts)
    if t < 4:
        return None, (
            f"emerging_hotspots: the dated incidents span only {t} time bins ({freq}); "
            "at least 4 are needed."
        )
    months = pd.concat([p.months for p in parts], ignore_index=True)
    months = months.groupby(["cell", "month"])["count"].sum().reset_index()
    bins = np.searchsorted(starts.to_numpy(), months["month"].to_numpy(), side="right") - 1
    cube = np.zeros(t * n)
    np.add.at(cube, bins * n + months["cell"].to_numpy(np.int64), months["count"].to_numpy())
    gi_opts: dict[str, Any] = {
        "permutations": 0,
        "max_permutations": 9_999,
        "alpha": s.alpha,
        "fdr": True,
        "min_count": 3,
        "inference": "combined",
    }
    area = grid.cells["area_km2"].to_numpy(float)
    cube_w = cube_weights(adjacency(resolve_weights(grid, w), n)[0], t, time_step=1)
    hot, cold, zs = _cube_flags(
        cube.reshape(t, n), cube_w, np.tile(area, t), seed=s.seed, gi_opts=gi_opts
    )
    labels = trend_labels(hot, cold, zs, 0.05, skip=1)
    trend = pd.Series(pd.array(labels, dtype="str"), index=grid.cells.index, name="trend_class")
    found = EmergingHotspots(
        trend_class=trend, freq=freq, bins=t, start=starts[0], end=starts[-1],
        permutations=0, alpha=s.alpha, time_step=1,
    )  # fmt: skip
    return found, None


def _unit_stats(
    units: gpd.GeoDataFrame, crs: Any, s: Settings
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Unit Gi* on the summed unit counts (the pipeline's columns), and its weights' spec."""
    from .hotspots import unit_hotspots
    from .pipeline import _UNIT_STATS

    found = unit_hotspots(
        units, column="incidents", permutations=s.permutations, seed=s.seed, alpha=s.alpha, crs=crs
    )
    stats = found.units
    out = units.copy()
    for col, out_col in _UNIT_STATS.items():
        if col in stats.columns:
            out[out_col] = stats[col].to_numpy()
    geom = out.geometry.name
    return out[[c for c in out.columns if c != geom] + [geom]], dict(found.weights.spec)


@dataclass(frozen=True)
class AggregateRun:
    """Everything :func:`run_aggregates` found: the statistics, and what the pipeline
    records of them (:mod:`borderwatch._dask_pipeline`).

    Attributes
    ----------
    stats : AggregateStatistics
        The counting statistics.
    crs, centre, border
        The study CRS, its centre (``summary["crs_centre"]``) and the border lines.
    grid : Grid
        The analysis grid (metric CRS).
    period : str
        The counts table's time bin.
    weights, gi
        The cells' spatial weights and their Gi* run (:class:`~borderwatch.hotspots.GiResult`).
    trend, trend_skipped
        The emerging hot spots (or None) and why they were not run.
    unit_weights : dict
        The spec of the units' weights.
    null_max : ndarray
        The scan's largest LLR per replicate (empty without scan).
    n_candidates : int
        The scan's candidate clusters before the ``alpha`` filter.
    dropped, decisions : dict
        Rows dropped by the checks (summed over the partitions); how the first file was read.
    extra : object
        What the ``more`` callback returned (None without one).
    late : object
        What the ``late`` callback returned (None without one).
    population : PopulationRaster or None
        The population raster of ``settings.population`` (read once, on the client).
    """

    stats: AggregateStatistics
    crs: Any
    centre: dict[str, Any]
    border: gpd.GeoDataFrame
    grid: Grid
    period: Any
    weights: Any
    gi: Any
    trend: Any
    trend_skipped: str | None
    unit_weights: dict[str, Any]
    null_max: np.ndarray
    n_candidates: int
    dropped: dict[str, int]
    decisions: dict[str, Any]
    extra: Any = None
    late: Any = None
    population: PopulationRaster | None = None


#: ``more(dask, joined, grid, crs, border, parts)``: more tasks on the joined partitions.
More = Callable[[Any, Sequence[Any], Grid, Any, gpd.GeoDataFrame, Sequence[PartitionCounts]], Any]
#: ``late(dask, joined, grid, crs, stats)``: tasks on the joined partitions that need the
#: statistics (the evaluation's and the planning's aggregates, :mod:`borderwatch._dask_plan`).
Late = Callable[[Any, Sequence[Any], Grid, Any, "AggregateStatistics"], Any]


def aggregate_statistics(
    units: str | os.PathLike[str] | gpd.GeoDataFrame,
    source: str | os.PathLike[str],
    *,
    settings: Settings | None = None,
    scheduler: str | None = None,
) -> AggregateStatistics:
    """Unit counts, counts table, cells (Gi*, local Moran, trends), unit Gi*, the scan and
    the hotspot regions of partitioned input, from per-partition aggregates (no incident
    rows reach the client).

    The grid is the internal view's (``grid``, ``cell_km`` or the data's cell size).
    ``scheduler`` connects to a running dask cluster (default: dask's local threads).
    A population raster (``settings.population``) is read on the client: it gives the
    units their population and rates and the scan its population at risk, as in the
    default engine (it holds no incident).

    Examples
    --------
    >>> import tempfile, warnings
    >>> from pathlib import Path
    >>> from borderwatch.datasets import demo_incidents, demo_units
    >>> from borderwatch.settings import Settings
    >>> d = Path(tempfile.mkdtemp())
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     units = demo_units()
    ...     inc = demo_incidents(n_background=200, units=units)
    ...     inc.iloc[::2].to_csv(d / "a.csv", index=False)
    ...     inc.iloc[1::2].to_csv(d / "b.csv", index=False)
    ...     agg = aggregate_statistics(units, d, settings=Settings(
    ...         view="internal", permutations=0, scan_replicates=0, cell_km=20))
    >>> agg.partitions, agg.n_incidents == len(inc), agg.largest < len(inc)
    (2, True, True)
    >>> int(agg.units["incidents"].sum()) == int(agg.counts["count"].sum())
    True
    """
    from .pipeline import _units

    s = settings or Settings()
    return run_aggregates(
        _units(units, s),
        partition_sources(source),
        settings=s,
        scheduler=scheduler,
        source=os.fspath(source),
    ).stats


def _summed(dicts: Sequence[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for key, n in d.items():
            out[key] = out.get(key, 0) + int(n)
    return out


def _meta(loaded: tuple[Any, ...]) -> tuple[dict[str, int], dict[str, Any], tuple[str, ...]]:
    """The rows dropped, the reading decisions and the reader's warnings of one read
    partition (no rows)."""
    return loaded[1], loaded[2], loaded[3]


def _concat(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Several files' rows as one partition (on a worker)."""
    if len(frames) == 1:
        return frames[0]
    return gpd.GeoDataFrame(pd.concat(frames), geometry="geometry", crs=frames[0].crs)


def _piece(frame: gpd.GeoDataFrame, i: int, k: int) -> gpd.GeoDataFrame:
    """The ``i``-th of ``k`` blocks of a file's rows (on a worker)."""
    n = len(frame)
    return frame.iloc[round(i * n / k) : round((i + 1) * n / k)]


def _repartition(dask: Any, loaded: Sequence[Any], n: int | None) -> list[Any]:
    """The files' frames as ``n`` partitions, rows in file order: neighbouring files
    together when ``n`` is smaller, each file in blocks when larger."""
    m = len(loaded)
    if not n or n == m:
        return list(loaded)
    if n < m:
        groups = np.array_split(np.arange(m), n)
        return [dask.delayed(_concat)(*[loaded[i] for i in g]) for g in groups]
    blocks = [n // m + (1 if i < n % m else 0) for i in range(m)]
    return [
        dask.delayed(_piece)(f, i, k) for f, k in zip(loaded, blocks, strict=True) for i in range(k)
    ]


def _load_and_join(
    dask: Any,
    u: gpd.GeoDataFrame,
    files: Sequence[str],
    s: Settings,
    say: Callable[[str], None],
    source: str | None = None,
) -> tuple[Any, ...]:
    """Passes 1 and 2: read and check, the extents, the study CRS, the join (persisted);
    the workers' warnings said on the client (a reader's naming ``source``)."""
    from ._dask_warn import caught, combined
    from ._dask_warn import say as said
    from .borders import border_lines
    from .join import join_units

    delayed: Callable[..., Any] = dask.delayed
    options = {"crosswalk": s.crosswalk, **s.reading, **s.incident_columns}
    raw = dask.persist(*[delayed(_load)(f, i, u, options) for i, f in enumerate(files)])
    loaded = _repartition(dask, [delayed(operator.getitem)(r, 0) for r in raw], s.partitions)
    xy = shapely.get_coordinates(np.asarray(u.to_crs("EPSG:4326").geometry.array, dtype=object))
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    extents, meta = dask.compute(
        [delayed(_extent)(p, lo, hi) for p in loaded], [delayed(_meta)(r) for r in raw]
    )
    said(combined([m[2] for m in meta], files=files, source=source))  # the reader's warnings
    crs, centre = _study_crs(u, extents)
    say("finding international borders")
    border = border_lines(u, crs=crs)
    say(f"joining the incidents of {len(loaded)} partitions to {len(u)} units (dask)")
    opts = {"border": border, "crs": crs, "tolerance_km": s.tolerance_km}
    pairs = dask.persist(*[delayed(caught)(join_units, p, u, **opts) for p in loaded])
    joined = dask.persist(*[delayed(operator.getitem)(x, 0) for x in pairs])
    (notes,) = dask.compute([delayed(operator.getitem)(x, 1) for x in pairs])
    said(combined(notes))  # the join's warnings, summed over the partitions
    return joined, extents, meta, crs, centre, border


def _labelled_cells(cells: gpd.GeoDataFrame, grid: Grid, trend: Any, s: Settings) -> Any:
    """The cells with their emerging-trend class and, for the public view (its grid is
    the fixed global lattice), their ``lattice_id``."""
    if trend is not None:
        cells["trend_class"] = trend.trend_class.to_numpy()
    if s.view == "public":
        from .lattice import with_lattice_ids

        cells = with_lattice_ids(cells, int(grid.cell_km))
    return cells


def _largest(parts: Sequence[Any], distinct: Sequence[Any], fields: dict[str, Any]) -> int:
    """The most rows any task returned to the client (the tests check it stays small)."""
    return max(
        [p.rows for p in parts]
        + [len(d) for d in distinct]
        + [len(x) for per in fields.values() for f in per for x in f.values()]
    )


def run_aggregates(
    u: gpd.GeoDataFrame,
    files: Sequence[str],
    *,
    settings: Settings,
    scheduler: str | None = None,
    more: More | None = None,
    say: Callable[[str], None] | None = None,
    late: Late | None = None,
    source: str | None = None,
) -> AggregateRun:
    """The aggregate passes of :func:`aggregate_statistics` over the partition ``files``
    (the checked units ``u``; one partition per file, or ``settings.partitions``);
    ``more`` adds tasks on the joined partitions before the session ends (the pipeline's
    sample, tallies and density surfaces); ``late`` adds tasks that need the statistics
    (the evaluation and planning aggregates); ``say`` is told each step. The workers'
    warnings are said on the client, combined over the partitions (a reader's message
    naming ``source``, the input, instead of a partition's file)."""
    s = settings
    say = say or (lambda _: None)
    dask = _need_dask()
    delayed: Callable[..., Any] = dask.delayed
    raster = read_population(s.population) if s.population is not None else None  # checked first
    with _session(scheduler):
        say(f"reading incidents ({len(files)} files, dask)")
        joined, extents, meta, crs, centre, border = _load_and_join(dask, u, files, s, say, source)
        say("hotspot statistics (Gi*, local Moran, emerging hotspots, from aggregates)")
        distinct = (
            dask.compute(*[delayed(_distinct)(p, crs) for p in joined]) if s.cell_km is None else ()
        )
        grid = _grid(u, crs, _cell_km(u, crs, distinct, s), s)
        period = _period(extents, s.period)
        parts = dask.compute(*[delayed(_count)(p, grid, period) for p in joined])
        counts = np.sum([p.cells for p in parts], axis=0).astype(np.int64)
        cells, w, gi = _cells(grid, counts, s)
        if s.scan_replicates:
            say(f"spatial scan statistic ({s.scan_replicates} replicates, from aggregates)")
        core = scan_core(grid, counts, _stack_sizes(parts), s, population=raster)
        hot = Grid(cells=cells, shape=grid.shape, cell_km=grid.cell_km)
        region_of = region_cells(hot, counts, _cell_locations(parts, len(cells)), w, alpha=s.alpha)
        fields = {
            "scan": _per_feature(
                dask, joined, grid, None if core is None else core.cluster_of_cell, border
            ),
            "regions": _per_feature(dask, joined, grid, region_of, border),
        }
        extra = None if more is None else more(dask, joined, grid, crs, border, parts)
        table, present = _counts_table(parts)
        trend, skipped = _trends(grid, w, parts, s)
        cells = _labelled_cells(cells, grid, trend, s)
        units_out, unit_weights = _unit_stats(_unit_table(u, table, present, crs, raster), crs, s)
        stats = AggregateStatistics(
            units=units_out,
            counts=table,
            cells=cells,
            scan=None if core is None else scan_frame(core, grid, fields["scan"], s),
            regions=regions_frame(hot, counts, region_of, fields["regions"], alpha=s.alpha),
            n_incidents=sum(p.n for p in parts),
            partitions=len(joined),
            largest=_largest(parts, distinct, fields),
        )
        later = None if late is None else late(dask, joined, grid, crs, stats)
    return AggregateRun(
        stats=stats,
        crs=crs,
        centre=centre,
        border=border,
        grid=grid,
        period=period,
        weights=w,
        gi=gi,
        trend=trend,
        trend_skipped=skipped,
        unit_weights=unit_weights,
        null_max=np.zeros(0) if core is None else core.null_max,
        n_candidates=0 if core is None else len(core.table),
        dropped=_summed([m[0] for m in meta]),
        decisions=dict(meta[0][1]) if meta else {},
        extra=extra,
        late=later,
        population=raster,
    )
