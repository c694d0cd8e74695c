"""Hotspot regions of partitioned input from aggregates (:mod:`borderwatch._dask_agg`).

:func:`borderwatch.regions.hotspot_regions` from the summed cell counts, the distinct
locations per cell (the stack rule: a region is kept only when its incidents are hot as
locations too) and one more pass over the joined partitions for each region's incident
fields (:func:`borderwatch._dask_scan.cluster_fields`, with regions as the features).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._lattice import Grid
from .regions import shape_stats

__all__ = ["region_cells", "regions_frame"]


def region_cells(
    grid: Grid, counts: np.ndarray, n_locations: np.ndarray, weights: Any, *, alpha: float
) -> np.ndarray | None:
    """Each cell's region (0..k-1) or -1, as :func:`hotspot_regions` finds them (hot
    cells with incidents, adjacent ones merged, kept when hot as locations); None
    without any region."""
    from ._schema import is_hot
    from .hotspots import gi_star
    from .regions import _components, _keep

    frame = grid.cells
    hot = is_hot(frame, alpha=alpha)
    core = hot & (counts > 0)
    if not core.any():
        return None
    idx = np.flatnonzero(core)
    comp = _components(frame, idx, grid)
    res = gi_star(
        n_locations.astype(float),
        weights,
        permutations=0,
        inference="combined",
        exposure=frame["area_km2"].to_numpy(float),
        min_count=3,
        alpha=alpha,
    )
    comp = _keep(comp, is_hot(res.table, alpha=alpha)[idx])
    if comp.max(initial=-1) < 0:
        return None
    region_of_cell = np.full(len(frame), -1, dtype=np.int64)
    keep = comp >= 0
    region_of_cell[idx[keep]] = comp[keep]
    return region_of_cell


def regions_frame(
    grid: Grid,
    counts: np.ndarray,
    region_of_cell: np.ndarray | None,
    parts: Sequence[dict[str, pd.DataFrame]],
    *,
    alpha: float,
) -> gpd.GeoDataFrame:
    """The hotspot regions layer (metric CRS), as :func:`hotspot_regions` returns it."""
    from ._dask_scan import _fields as region_fields
    from ._geom import robust_union
    from ._lattice import polygonal
    from ._schema import is_hot
    from .regions import REGION_COLUMNS, _empty_regions, _smoothed

    frame = grid.cells
    if region_of_cell is None:
        return _empty_regions(grid.crs)
    idx = np.flatnonzero(region_of_cell >= 0)
    comp = region_of_cell[idx]
    ncomp = int(comp.max()) + 1
    geoms = np.asarray(frame.geometry.array, dtype=object)
    region_geoms = polygonal(
        np.array([robust_union(geoms[idx[comp == c]]) for c in range(ncomp)], dtype=object)
    )
    empty_hot = is_hot(frame, alpha=alpha) & (counts == 0)
    area = shapely.area(geoms)
    s_cells, s_area = _smoothed(frame, grid, idx, comp, empty_hot, area, ncomp)
    z = frame["gi_z"].to_numpy(float)
    f = region_fields(list(parts), ncomp)
    out = gpd.GeoDataFrame(
        {
            "n_incidents": np.bincount(comp, weights=counts[idx], minlength=ncomp).astype(np.int64),
            "n_locations": f["n_locations"].to_numpy(np.int64),
            "countries": pd.array(f["countries"].tolist(), dtype="str"),
            "cross_border": f["cross_border"].to_numpy(bool),
            "border_km": f["border_km"].to_numpy(float),
            "first_date": pd.to_datetime(f["first_date"].to_numpy()),
            "last_date": pd.to_datetime(f["last_date"].to_numpy()),
            **shape_stats(region_geoms, comp, ncomp, smoothed=(s_area, s_cells), gi_z=z[idx]),
        },
        geometry=region_geoms,
        crs=grid.crs,
    )
    out = out.sort_values(
        ["n_incidents", "area_km2"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    out.insert(0, "hotspot_id", np.arange(1, len(out) + 1, dtype=np.int64))
    return out[[*REGION_COLUMNS, "geometry"]]
