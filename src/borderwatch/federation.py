"""Federated cross-border analysis: each side shares counts per cell of a shared grid.

When the two countries' services may not exchange incident records, each runs
:func:`share_counts` (``borderwatch share``) on its own machine. It writes only
counts per cell of the fixed global lattice (:mod:`borderwatch.lattice`: both
sides compute the same cells and the same global ids with no coordination), per
category, per month and per reporting country, protected by the public view's
rules (:func:`borderwatch.privacy.public_counts`) unless ``view="internal"``
(agencies allowed to exchange exact aggregates). :func:`analyze_shared`
(``borderwatch analyze --shared A.parquet --shared B.parquet``) merges the sides
and runs the statistics on the merged counts.

How the merged counts are analysed: every count becomes that many *count
points* at an interior point of its cell, dated on the first day of its month
and carrying its country and category; the analysis grid is the lattice itself.
Gi*, local Moran, the emerging-hotspot trends and the spatial scan only see
counts per cell (and per cell and month), so they equal those of a pooled run
on the same lattice with the records themselves. The scan uses SaTScan's own
null (incidents move one by one): the shares carry no locations, so stacks
cannot be told apart. Nothing needs points: no DBSCAN clusters, no incident
layer; the density surface is smoothed from the cell counts.

Examples
--------
>>> import warnings, geopandas as gpd
>>> from borderwatch.datasets import demo_incidents, demo_units
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     units = demo_units()
...     inc = demo_incidents(n_background=100, units=units)
...     mali = share_counts(units[units["country"] == "MLI"], inc[inc["country"] == "MLI"],
...                        view="internal")
>>> list(mali.columns)
['lattice_id', 'country', 'category', 'period', 'count']
>>> set(mali["country"])
{'MLI'}
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from ._errors import BorderwatchWarning, DataError
from ._schema import SENSITIVE_CATEGORIES
from .lattice import ALLOWED_CELL_KM, LATTICE_CRS, cell_ids_of, lattice_cells
from .settings import Settings

__all__ = [
    "SHARE_COLUMNS",
    "count_points",
    "read_shared",
    "share_counts",
    "write_share",
]

#: Columns of a share file, in order.
SHARE_COLUMNS = ["lattice_id", "country", "category", "period", "count"]
#: The key of the file's metadata (Parquet schema metadata) that describes the share.
_META = b"borderwatch.share"

View = Literal["public", "internal"]


def share_counts(
    units: str | os.PathLike[str] | gpd.GeoDataFrame,
    incidents: Any,
    *,
    cell_km: int = 10,
    view: View = "public",
    k: int = 5,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Counts per lattice cell x reporting country x category x month: what one side shares.

    Parameters
    ----------
    units : path or GeoDataFrame
        This side's admin units (they define the study area; only incidents
        inside them are counted).
    incidents : path or frame
        This side's incidents, read like :func:`borderwatch.read_incidents`
        (the reading and column options come from ``settings``).
    cell_km : int, default 10
        Cell size of the shared lattice, one of
        :data:`borderwatch.lattice.ALLOWED_CELL_KM`; both sides must use the same.
    view : {"public", "internal"}
        ``"public"`` (default) protects the counts with
        :func:`borderwatch.privacy.public_counts` (counts from 1 to k-1 and those
        that would reveal them are dropped); ``"internal"`` shares exact counts,
        for agencies allowed to exchange aggregates.
    k : int, default 5
        Suppression threshold of the public view.
    settings : Settings, optional
        Reading options (columns, date format, delimiter...).

    Returns
    -------
    DataFrame
        :data:`SHARE_COLUMNS`: ``lattice_id`` (int64, the global cell id),
        ``country`` (ISO3: the incident's own country where the input gives it,
        else its unit's), ``category`` (taxonomy key), ``period`` (first day of
        the month, ``YYYY-MM-DD``; missing for undated incidents), ``count``.
        No coordinates, ids, dates finer than the month or free text.
    """
    from .borders import border_lines
    from .io import load_incidents, read_units
    from .join import join_units

    s = settings or Settings()
    if view not in ("public", "internal"):
        msg = f"share: view must be 'public' or 'internal', not {view!r}. Hint: --view public."
        raise DataError(msg)
    if cell_km not in ALLOWED_CELL_KM:
        msg = (
            f"share: the shared grid's cell size must be one of {ALLOWED_CELL_KM} km, not "
            f"{cell_km!r}. Hint: both sides pass the same --cell-km, e.g. 10."
        )
        raise DataError(msg)
    u = units if isinstance(units, gpd.GeoDataFrame) else read_units(units, **s.unit_columns)
    loaded = load_incidents(
        incidents, units=u, crosswalk=s.crosswalk, **s.reading, **s.incident_columns
    )
    joined = join_units(loaded.frame, u, border=border_lines(u), tolerance_km=s.tolerance_km)
    inside = joined[joined["join"] == "within"]
    own = inside["country"].astype(object)
    if "reported_country" in inside.columns:
        own = (
            inside["reported_country"].astype(object).where(inside["reported_country"].notna(), own)
        )
    dates = pd.to_datetime(inside["date"], errors="coerce") if "date" in inside else None
    period = (
        dates.dt.to_period("M").dt.to_timestamp().dt.strftime("%Y-%m-%d")
        if dates is not None
        else pd.Series(pd.NA, index=inside.index, dtype="string")
    )
    table = pd.DataFrame(
        {
            "lattice_id": cell_ids_of(inside, int(cell_km)),
            "country": own.to_numpy(),
            "category": inside["category"].astype(object).to_numpy(),
            "period": period.to_numpy(),
        }
    )
    out = (
        table.groupby(SHARE_COLUMNS[:-1], dropna=False, sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    if view == "public":
        from .privacy import public_counts

        # a share publishes no totals (per category or per cell) that a hidden count could be
        # recovered from, so only the counts themselves are protected (not as lines of a table)
        out = public_counts(out.rename(columns={"category": "_category"}), k=k).rename(
            columns={"_category": "category"}
        )
    out["count"] = out["count"].astype(np.int64)
    out["period"] = out["period"].astype("string")
    return out[SHARE_COLUMNS].reset_index(drop=True)


def write_share(
    counts: pd.DataFrame, path: str | os.PathLike[str], *, cell_km: int, view: View
) -> Path:
    """Write a share (Parquet) with its cell size and view in the file's metadata."""
    table = pa.Table.from_pandas(counts[SHARE_COLUMNS], preserve_index=False)
    meta = {"cell_km": int(cell_km), "view": view, "columns": SHARE_COLUMNS, "version": 1}
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _META: json.dumps(meta).encode()}
    )
    out = Path(path)
    pq.write_table(table, out)
    return out


def read_shared(paths: Sequence[str | os.PathLike[str]]) -> tuple[pd.DataFrame, int]:
    """Read and merge share files; returns the merged counts and the common cell size.

    Raises :class:`DataError` for a file that is not a share, or shares of
    different cell sizes.
    """
    frames, sizes = [], set()
    for p in paths:
        name = str(p)
        try:
            table = pq.read_table(p)
        except Exception as exc:  # noqa: BLE001 - any reader failure is unreadable input
            msg = f"{name}: cannot read the shared counts ({type(exc).__name__}). Hint: pass the .parquet file that `borderwatch share` wrote."
            raise DataError(msg) from exc
        raw = (table.schema.metadata or {}).get(_META)
        if raw is None or not set(SHARE_COLUMNS) <= set(table.column_names):
            msg = f"{name}: is not a borderwatch share (no share metadata or columns {SHARE_COLUMNS}). Hint: create it with `borderwatch share`."
            raise DataError(msg)
        sizes.add(int(json.loads(raw)["cell_km"]))
        frames.append(table.to_pandas()[SHARE_COLUMNS])
    if not frames:
        msg = "analyze --shared: no share file given. Hint: --shared A.parquet --shared B.parquet."
        raise DataError(msg)
    if len(sizes) > 1:
        msg = f"the shares use different cell sizes ({sorted(sizes)} km). Hint: both sides run `borderwatch share` with the same --cell-km."
        raise DataError(msg)
    merged = pd.concat(frames, ignore_index=True)
    merged = (
        merged.groupby(SHARE_COLUMNS[:-1], dropna=False, sort=True)["count"].sum().reset_index()
    )
    return merged, sizes.pop()


def count_points(
    counts: pd.DataFrame, units: gpd.GeoDataFrame, *, cell_km: int
) -> tuple[gpd.GeoDataFrame, Any]:
    """The merged counts as count points on the lattice grid of ``units``, and that grid.

    Each count ``c`` of a cell becomes ``c`` points at one interior point of the
    cell (clipped to the units), dated on the first day of its month. Cells
    outside ``units`` are dropped with a warning.

    Returns
    -------
    (GeoDataFrame, Grid)
        Incidents in the standard columns (``id``, ``date``, ``date_precision``,
        ``category``, ``sensitive``, ``reported_country``; EPSG:4326) and the
        lattice grid (:func:`borderwatch.lattice.lattice_cells`).
    """
    grid = lattice_cells(units, cell_km=int(cell_km))
    cells = grid.cells
    pos = pd.Series(np.arange(len(cells)), index=cells["lattice_id"].to_numpy())
    where = pos.reindex(counts["lattice_id"].to_numpy()).to_numpy()
    known = ~np.isnan(where)
    if not known.all():
        lost = int(counts.loc[~known, "count"].sum())
        warnings.warn(
            f"{lost} shared incidents lie in cells outside the units and are not analysed.",
            BorderwatchWarning,
            stacklevel=2,
        )
    rows = counts[known].reset_index(drop=True)
    cell = where[known].astype(np.int64)
    reps = rows["count"].to_numpy(np.int64)
    anchor = shapely.point_on_surface(np.asarray(cells.geometry.array, dtype=object))
    geom = np.repeat(anchor[cell], reps)
    period = pd.to_datetime(rows["period"], errors="coerce").to_numpy("datetime64[ns]")
    dates = np.repeat(period, reps)
    precision = np.full(len(dates), "month", dtype=object)
    precision[np.isnat(dates)] = None
    cat = rows["category"].astype(object).to_numpy()
    pts = gpd.GeoDataFrame(
        {
            "id": np.char.add("shared-", np.arange(int(reps.sum())).astype(str)),
            "date": dates,
            "date_precision": precision,
            "category": np.repeat(cat, reps),
            "category_raw": np.repeat(cat, reps),
            "sensitive": np.repeat(np.isin(cat, list(SENSITIVE_CATEGORIES)), reps),
            "reported_country": np.repeat(rows["country"].astype(object).to_numpy(), reps),
        },
        geometry=gpd.GeoSeries(geom, crs=LATTICE_CRS).to_crs("EPSG:4326").array,
        crs="EPSG:4326",
    )
    return pts, grid
