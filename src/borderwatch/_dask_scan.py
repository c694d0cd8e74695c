"""The spatial scan of partitioned input from aggregates (:mod:`borderwatch._dask_agg`).

:func:`scan_core` finds the clusters and their p-values from the summed cell counts and
the stack sizes (as :func:`borderwatch.scan.spatial_scan` does from the points). The
clusters' incident fields then come from one more pass over the joined partitions:
:func:`cluster_fields` sends, per partition and cluster, the incidents' own and unit
countries, their smallest distance to a border, their first and last date and their
locations (to the metre); :func:`scan_frame` merges them into the clusters layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._lattice import Grid
from .settings import Settings

__all__ = ["ScanCore", "cluster_fields", "feature_fields", "scan_core", "scan_frame"]


@dataclass(frozen=True)
class ScanCore:
    """The scan's candidate clusters: their statistics (``table``, one row per centre) and
    their cells (``members``); ``cluster_of_cell`` numbers each cell's cluster (or -1);
    ``null_max`` holds the largest LLR of each replicate."""

    table: pd.DataFrame
    members: list[np.ndarray]
    cluster_of_cell: np.ndarray
    null_max: np.ndarray = field(default_factory=lambda: np.zeros(0))


def scan_core(
    grid: Grid, counts: np.ndarray, sizes: np.ndarray, s: Settings, *, population: Any = None
) -> ScanCore | None:
    """The scan's clusters from the cell counts and stack sizes (:func:`spatial_scan`'s
    steps), with the cells' areas or the ``population`` raster as the population at
    risk; None without replicates."""
    from . import _scan, _scan_windows
    from .scan import _p_values, _population, _table

    if s.scan_replicates == 0:
        return None
    cells = grid.cells
    pop, _ = _population(grid, population, counts)
    lat, qmax, best, bq, bc, be = _scan_windows.scan_windows(
        grid, counts, pop, max_share=s.scan_max_share, min_cases=2
    )
    centres = _scan.select_clusters(lat, best, bq)
    if s.scan_null == "incidents":
        sizes = np.ones(int(counts.sum()), dtype=np.int64)
    null_max = (
        _scan.null_maxima(
            lat, pop, qmax, sizes, replicates=s.scan_replicates, seed=s.seed, min_cases=2
        )
        if len(centres)
        else np.zeros(0)
    )
    table = _table(lat, centres, bq, bc, be, best, _p_values(best[centres], null_max), counts)
    members = [_scan.window_cells(lat, int(c), int(bq[c])) for c in centres]
    cluster_of_cell = np.full(len(cells), -1, dtype=np.int64)
    for r, win in enumerate(members):
        cluster_of_cell[win] = r
    return ScanCore(
        table=table, members=members, cluster_of_cell=cluster_of_cell, null_max=null_max
    )


def cluster_fields(
    part: gpd.GeoDataFrame, grid: Grid, cluster_of_cell: np.ndarray, border: Any
) -> dict[str, pd.DataFrame]:
    """One partition's incidents in the clusters, aggregated per cluster (on a worker)."""
    from .grid import point_cells

    where = point_cells(grid, part.geometry)
    feature = np.where(where >= 0, cluster_of_cell[np.maximum(where, 0)], -1)
    return feature_fields(part, feature, grid.crs, border)


def feature_fields(
    part: gpd.GeoDataFrame, feature: np.ndarray, crs: Any, border: Any
) -> dict[str, pd.DataFrame]:
    """One partition's incidents aggregated per ``feature`` (-1: none; on a worker): own
    and unit countries, smallest border distance, first and last date, locations."""
    from ._countries import incident_border_km, own_countries, unit_countries
    from ._geom import projected

    rows = np.flatnonzero(feature >= 0)
    sub, f = part.iloc[rows], feature[rows]
    dates = (
        pd.to_datetime(sub["date"], errors="coerce").to_numpy("datetime64[ns]")
        if "date" in sub.columns
        else np.full(len(sub), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    dist = incident_border_km(sub, np.arange(len(sub)), border, crs)
    stats = (
        pd.DataFrame({"f": f, "dist": dist, "d": dates})
        .groupby("f")
        .agg(dist=("dist", "min"), first=("d", "min"), last=("d", "max"))
        .reset_index()
    )
    xy = shapely.get_coordinates(np.asarray(projected(sub.geometry, crs).array, dtype=object))
    key = np.rint(xy / 1.0).astype(np.int64)  # as borderwatch._stacks.stacks keys locations
    return {
        "own": pd.DataFrame({"f": f, "c": own_countries(sub)}).drop_duplicates(),
        "unit": pd.DataFrame({"f": f, "c": unit_countries(sub)}).drop_duplicates(),
        "stats": stats,
        "locations": pd.DataFrame({"f": f, "kx": key[:, 0], "ky": key[:, 1]}).drop_duplicates(),
    }


def _fields(parts: list[dict[str, pd.DataFrame]], k: int) -> pd.DataFrame:
    """``n_locations``, ``countries``, ``cross_border``, ``border_km``, ``first_date``,
    ``last_date`` of ``k`` clusters from every partition's :func:`cluster_fields`."""
    from ._countries import feature_border_km, feature_countries

    def merged(name: str) -> pd.DataFrame:
        return pd.concat([p[name] for p in parts], ignore_index=True)

    own, unit, stats, locs = merged("own"), merged("unit"), merged("stats"), merged("locations")
    countries, cross = feature_countries(own["f"].to_numpy(np.int64), own["c"].to_numpy(), k)
    feature = np.concatenate([stats["f"].to_numpy(np.int64), unit["f"].to_numpy(np.int64)])
    dist = np.concatenate([stats["dist"].to_numpy(float), np.full(len(unit), np.nan)])
    codes = np.concatenate([np.full(len(stats), "", dtype=object), unit["c"].to_numpy(object)])
    n_loc = locs.drop_duplicates().groupby("f").size().reindex(range(k), fill_value=0)
    g = stats.groupby("f")
    return pd.DataFrame(
        {
            "n_locations": n_loc.to_numpy(np.int64),
            "countries": countries,
            "cross_border": cross,
            "border_km": feature_border_km(feature, dist, codes, k),
            "first_date": g["first"].min().reindex(range(k)).to_numpy("datetime64[ns]"),
            "last_date": g["last"].max().reindex(range(k)).to_numpy("datetime64[ns]"),
        }
    )


def scan_frame(
    core: ScanCore, grid: Grid, parts: list[dict[str, pd.DataFrame]], s: Settings
) -> gpd.GeoDataFrame:
    """The scan clusters layer (metric CRS), as :func:`spatial_scan` returns it."""
    from ._geom import robust_union
    from ._lattice import polygonal
    from .scan import _DTYPES, SCAN_COLUMNS

    k = len(core.members)
    geoms = np.asarray(grid.cells.geometry.array, dtype=object)
    shapes = polygonal(
        np.array([robust_union(geoms[m]) for m in core.members], dtype=object)
        if k
        else np.zeros(0, dtype=object)
    )
    fields = _fields(parts, k)
    out = core.table.copy()
    out["n_cells"] = np.array([len(m) for m in core.members], dtype=np.int64)
    out["n_locations"] = fields["n_locations"].to_numpy()
    out = pd.concat([out, fields.drop(columns="n_locations")], axis=1)
    out["area_km2"] = shapely.area(shapes) / 1e6 if k else np.zeros(0)
    out.insert(0, "scan_id", np.arange(1, k + 1, dtype=np.int64))
    out = out[SCAN_COLUMNS].astype({c: t for c, t in _DTYPES.items() if c != "countries"})
    out["countries"] = pd.array(out["countries"].tolist(), dtype="str")
    frame = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(shapes, crs=grid.crs).array, crs=grid.crs)
    if not s.scan_all:
        frame = frame[frame["p_value"].fillna(1.0).to_numpy() <= s.alpha + 1e-12]
    frame = frame.reset_index(drop=True)
    frame["scan_id"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame
