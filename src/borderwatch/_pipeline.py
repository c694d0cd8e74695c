"""The whole analysis, and writing its output directory atomically."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._crs import WGS84, crs_string, study_crs
from ._errors import BorderwatchWarning, DataError
from ._result import AnalysisResult
from ._schema import SYNTHETIC, hotspot_labels
from .borders import border_lines
from .io import read_incidents, read_meetings, read_units
from .join import aggregate_counts, join_summary, join_units, unit_counts

__all__ = ["analyze", "write_outputs"]

Progress = Callable[[str], None]


_INCIDENT_OPTS = ("lon_col", "lat_col", "time_col", "category_col", "id_col", "country_col")
_UNIT_OPTS = {
    "unit_id_col": "id_col",
    "unit_name_col": "name_col",
    "unit_country_col": "country_col",
}


def _quiet(_: str) -> None:
    return None


def analyze(
    units: str | os.PathLike[str] | gpd.GeoDataFrame,
    incidents: str | os.PathLike[str] | pd.DataFrame,
    meetings: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    population: str | os.PathLike[str] | None = None,
    view: str = "public",
    k: int = 5,
    cell_km: float | None = None,
    bandwidth_km: float | None = None,
    alpha: float = 0.05,
    permutations: int = 999,
    seed: int = 0,
    grid: str = "hex",
    weights: str = "distance_band",
    knn: int = 8,
    cluster_method: str = "dbscan",
    eps_km: float | None = None,
    min_samples: int | None = None,
    days: float | None = None,
    tolerance_km: float = 1.0,
    period: str = "month",
    engine: str = "pandas",
    partitions: int | None = None,
    on_invalid: str = "raise",
    crosswalk: str | os.PathLike[str] | pd.DataFrame | None = None,
    columns: Mapping[str, str | None] | None = None,
    meeting_columns: Mapping[str, Any] | None = None,
    date_format: str | None = None,
    dayfirst: bool = False,
    synthetic: bool = False,
    title: str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Run the whole analysis: read, join, hotspots, clusters, density, privacy.

    Parameters
    ----------
    units, incidents, meetings : path or frame
        Inputs, read with :func:`read_units`, :func:`read_incidents` and
        :func:`read_meetings` unless already read.
    population : path, optional
        Population raster (e.g. GPW or WorldPop GeoTIFF) for per-capita rates.
    view : {"public", "internal"}
        ``public`` (default) applies :func:`borderwatch.public_view`.
    k : int
        Suppression threshold of the public view.
    cell_km, bandwidth_km : float, optional
        Grid cell and density bandwidth; chosen from the data when omitted.
    alpha, permutations, seed : Gi* inference settings.
    grid : {"hex", "square"}
        Shape of the grid cells.
    weights : {"distance_band", "knn", "contiguity"}
        Spatial weights of the cell Gi* (recorded exactly in ``summary["weights"]``).
    knn : int
        Number of neighbours when ``weights="knn"``.
    cluster_method : {"dbscan", "hdbscan", "spacetime"}
    eps_km, min_samples, days : optional
        Cluster settings: the neighbourhood radius (default: the grid cell
        size, for DBSCAN and space-time; HDBSCAN needs none), the minimum
        cluster core size (default 5) and the time window of space-time
        clustering (default 30 days).
    tolerance_km : float
        Snapping tolerance of the join.
    period : {"week", "month", "year"}
        Time bin of the counts table (``counts.csv``): unit × category × period.
    engine : {"pandas", "dask"}
        ``dask`` joins the incidents partition by partition with dask-geopandas.
    on_invalid : {"raise", "drop"}
    meeting_columns : mapping, optional
        Keyword arguments for :func:`read_meetings` (``lon_col``, ``lat_col``,
        ``time_col``, ``id_col``, ``place_col``, ``topics_col``, ``attendance_cols``).
    date_format, dayfirst : optional
        How to read unusual dates (see :func:`read_incidents`).
    columns : mapping, optional
        Column names for the readers: ``lon_col``, ``lat_col``, ``time_col``,
        ``category_col``, ``id_col``, ``country_col``, ``unit_id_col``,
        ``unit_name_col``, ``unit_country_col``.
    synthetic : bool
        Mark every output as synthetic (demo data).
    progress : callable, optional
        Called with a short message before each step (the CLI prints them).

    Returns
    -------
    AnalysisResult
    """
    say = progress or _quiet
    cols = dict(columns or {})
    if view not in ("public", "internal"):
        msg = f"view must be 'public' or 'internal', not {view!r}."
        raise DataError(msg)
    if period not in ("week", "month", "year"):
        msg = f"period must be 'week', 'month' or 'year', not {period!r}."
        raise DataError(msg)
    if engine not in ("pandas", "dask"):
        msg = f"engine must be 'pandas' or 'dask', not {engine!r}."
        raise DataError(msg)
    for name, value, low in (("permutations", permutations, 0), ("knn", knn, 1), ("seed", seed, 0)):
        if not isinstance(value, int | np.integer) or value < low:
            msg = f"{name} must be a whole number >= {low}, not {value!r}."
            raise DataError(msg)
    for name, fvalue in (
        ("cell_km", cell_km),
        ("bandwidth_km", bandwidth_km),
        ("eps_km", eps_km),
        ("days", days),
        ("tolerance_km", tolerance_km),
    ):
        if fvalue is not None and not (
            np.isfinite(fvalue) and fvalue > 0 or (name == "tolerance_km" and fvalue == 0)
        ):
            msg = f"{name} must be a positive number of {'days' if name == 'days' else 'kilometres'}, not {fvalue!r}."
            raise DataError(msg)
    if not 0 < alpha < 1:
        msg = f"alpha must be between 0 and 1, not {alpha!r}."
        raise DataError(msg)
    if grid not in ("hex", "square"):
        msg = f"grid must be 'hex' or 'square', not {grid!r}."
        raise DataError(msg)
    if weights not in ("distance_band", "knn", "contiguity"):
        msg = f"weights must be 'distance_band', 'knn' or 'contiguity', not {weights!r}."
        raise DataError(msg)
    if cluster_method not in ("dbscan", "hdbscan", "spacetime"):
        msg = f"cluster_method must be 'dbscan', 'hdbscan' or 'spacetime', not {cluster_method!r}."
        raise DataError(msg)
    if k < 2:
        msg = f"k (the public-view suppression threshold) must be at least 2, not {k}."
        raise DataError(msg)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always", BorderwatchWarning)
        say("reading units")
        if (
            isinstance(units, gpd.GeoDataFrame)
            and {"unit_id", "name", "country"} <= set(units.columns)
            and not any(cols.get(o) for o in _UNIT_OPTS)
        ):
            u = units.copy()
        else:
            u = read_units(units, **{v: cols.get(o) for o, v in _UNIT_OPTS.items()})
        say("reading incidents")
        if isinstance(incidents, gpd.GeoDataFrame) and {"id", "category", "sensitive"} <= set(
            incidents.columns
        ):
            inc = incidents.copy()
        else:
            inc = read_incidents(
                incidents,
                units=u,
                crosswalk=crosswalk,
                on_invalid=on_invalid,  # type: ignore[arg-type]
                date_format=date_format,
                dayfirst=dayfirst,
                **{o: cols.get(o) for o in _INCIDENT_OPTS},  # type: ignore[arg-type]
            )
        mt = None
        if meetings is not None:
            say("reading meetings")
            if isinstance(meetings, gpd.GeoDataFrame) and "attendance" in meetings.columns:
                mt = meetings.copy()
            else:
                mt = read_meetings(
                    meetings,
                    units=u,
                    on_invalid=on_invalid,  # type: ignore[arg-type]
                    date_format=date_format,
                    dayfirst=dayfirst,
                    **dict(meeting_columns or {}),
                )
        metric = study_crs(u)
        say("finding international borders")
        border = border_lines(u, crs=metric)
        say(f"joining {len(inc):,} incidents to {len(u)} units")
        joined, n_parts = _join(
            inc,
            u,
            border=border,
            crs=metric,
            tolerance_km=tolerance_km,
            engine=engine,
            partitions=partitions,
        )
        mtj = (
            join_units(mt, u, border=border, crs=metric, tolerance_km=tolerance_km)
            if mt is not None
            else None
        )
        units_out = unit_counts(joined, u)
        counts = aggregate_counts(joined, period=period, by=("unit_id", "country", "category"))  # type: ignore[arg-type]
        counts = counts[counts["unit_id"].notna()].reset_index(drop=True)
        counts["period"] = pd.to_datetime(counts["period"]).dt.strftime("%Y-%m-%d")
        units_out["area_km2"] = units_out.to_crs(metric).area.to_numpy() / 1e6
        pop_raster = None
        if population is not None:
            say("reading population")
            units_out, pop_raster = _unit_population(units_out, population, metric)

        from .clusters import find_clusters
        from .density import density
        from .evaluate import hotspot_pai
        from .hotspots import cell_hotspots, unit_hotspots
        from .regions import hotspot_regions

        say("hotspot statistics (Gi*, local Moran, emerging hotspots)")
        cell_stats = cell_hotspots(
            joined,
            u,
            cell_km=cell_km,
            alpha=alpha,
            shape=grid,  # type: ignore[arg-type]
            weights=weights,  # type: ignore[arg-type]
            k=knn,
            permutations=permutations,
            seed=seed,
            crs=metric,
        )
        cells, stats_params = cell_stats.cells, cell_stats.summary()
        say("Gi* on units (fuzzy contiguity across borders)")
        unit_result = unit_hotspots(
            units_out,
            column="incidents",
            permutations=permutations,
            seed=seed,
            alpha=alpha,
            crs=metric,
        )
        unit_stats = unit_result.units
        # `neighbours` (not n_...): a count of links between units, not of incidents
        keep_stats = {
            "gi_z": "gi_z",
            "gi_p": "gi_p",
            "gi_p_fdr": "gi_p_fdr",
            "hotspot_kind": "hotspot_kind",
            "hotspot_confidence": "hotspot_confidence",
            "n_neighbors": "neighbours",
            "moran_class": "moran_class",
        }
        for col, out_col in keep_stats.items():
            if col in unit_stats.columns:
                units_out[out_col] = unit_stats[col].to_numpy()
        units_out = units_out[
            [c for c in units_out.columns if c != units_out.geometry.name]
            + [units_out.geometry.name]
        ]
        say("hotspot regions")
        regions = hotspot_regions(cell_stats.grid, joined, border, alpha=alpha)
        say("point clusters")
        cluster_opts: dict[str, Any] = {}
        if eps_km is not None or cluster_method != "hdbscan":
            # DBSCAN's radius defaults to the grid cell, the scale of the hotspot analysis;
            # HDBSCAN chooses its own scale
            cluster_opts["eps_km"] = (
                eps_km if eps_km is not None else float(stats_params["cell_km"])
            )
        if min_samples is not None:
            cluster_opts["min_samples"] = int(min_samples)
        if days is not None:
            cluster_opts["days"] = float(days)
        clusters = find_clusters(
            joined, method=cluster_method, border=border, crs=metric, seed=seed, **cluster_opts
        ).layer
        say("density surface")
        dens = density(
            joined,
            bandwidth_km=bandwidth_km
            if bandwidth_km is not None
            else float(stats_params["cell_km"]),
            crs=metric,
            bounds=tuple(u.to_crs(metric).total_bounds),
            population=pop_raster,
        )
        pai = hotspot_pai(
            joined, cell_stats.grid, weights=cell_stats.weights, alpha=alpha, seed=seed
        )
        evaluation = (
            _evaluation(
                joined,
                u,
                cell_km=float(stats_params["cell_km"]),
                shape=grid,
                crs=metric,
                seed=seed,
                alpha=alpha,
            )
            if pai is not None
            else None
        )
    for w in wlist:
        if issubclass(w.category, BorderwatchWarning):
            caught.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    dates = (
        pd.to_datetime(joined["date"]) if "date" in joined else pd.Series(dtype="datetime64[ns]")
    )
    summary: dict[str, Any] = {
        "tool": "borderwatch",
        "synthetic": bool(synthetic),
        "crs": crs_string(metric),
        "view": view,
        "k": int(k),
        "n_incidents": len(joined),
        "n_sensitive": int(joined["sensitive"].sum()) if "sensitive" in joined else 0,
        "n_meetings": 0 if mtj is None else len(mtj),
        "n_units": len(u),
        "countries": sorted(u["country"].unique().tolist()),
        "date_first": _iso(dates.min()),
        "date_last": _iso(dates.max()),
        "date_precision": sorted(
            {p for p in joined.get("date_precision", pd.Series(dtype=object)).dropna()}
        ),
        "join": join_summary(joined),
        "dropped_invalid": {**inc.attrs.get("dropped", {})},
        "border": {
            "tolerance_m": float(border.attrs.get("tolerance_m", 0)),
            "pairs": border["countries"].tolist(),
        },
        "cell_km": float(stats_params["cell_km"]),
        "weights": stats_params["weights"],
        "islands": stats_params.get("islands", []),
        "unit_weights": dict(unit_result.weights.spec),
        "unit_islands": units_out.loc[
            units_out.get("neighbours", pd.Series(1, index=units_out.index)) == 0, "unit_id"
        ].tolist(),
        "alpha": float(alpha),
        "permutations": int(permutations),
        "seed": int(seed),
        "fdr": stats_params.get("fdr", "benjamini-hochberg"),
        "inference": stats_params.get("inference"),
        "min_count": stats_params.get("min_count"),
        "n_hotspot_cells": int((cells["hotspot_kind"] == "hot").sum()),
        "n_hotspots": len(regions),
        "n_cross_border_hotspots": int(regions["cross_border"].sum()) if len(regions) else 0,
        "clusters": {
            "method": cluster_method,
            **{key: v for key, v in cluster_opts.items()},
            "n": len(clusters),
        },
        "density": {"bandwidth_km": float(dens.bandwidth_km), "cell_km": float(dens.cell_km)},
        "grid": grid,
        "pai": pai,
        "evaluation": evaluation,
        "engine": engine,
        "counts_period": period,
        "warnings": caught,
        "population": None if population is None else Path(str(population)).name,
        "note": (
            "Hotspots and clusters describe where incidents were recorded together (association), "
            "not why; recording practices differ between services and across the border."
        ),
    }
    if engine == "dask":
        summary["partitions"] = n_parts
    if synthetic:
        summary["data"] = "SYNTHETIC demo data: not real incidents"
    period_text = f"{summary['date_first'] or '?'} – {summary['date_last'] or '?'}"
    result = AnalysisResult(
        units=units_out,
        border=border,
        crs=metric,
        incidents=joined,
        meetings=mtj,
        counts=counts,
        cells=cells.to_crs(WGS84),
        hotspots=regions.to_crs(WGS84) if len(regions) else regions,
        clusters=clusters.to_crs(WGS84) if clusters.crs is not None else clusters,
        density=dens,
        summary=summary,
        view="internal",
        k=k,
        synthetic=synthetic,
        title=title
        or ("borderwatch demo: Liptako-Gourma (SYNTHETIC)" if synthetic else "borderwatch"),
        source=source
        or (
            inc.attrs.get("source", "")
            if not synthetic
            else "SYNTHETIC demo data; boundaries: Natural Earth"
        ),
    )
    result.summary["period"] = period_text
    if view == "public":
        from .privacy import public_view

        say("applying the public view")
        result = public_view(result, k=k)
    return result


def _evaluation(
    joined: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    cell_km: float,
    shape: str,
    crs: Any,
    seed: int,
    alpha: float,
) -> list[dict[str, Any]] | None:
    """PAI, PEI and RRI of Gi*, KDE and plain counts on a temporal split (None when not possible)."""
    from .evaluate import evaluate

    try:
        table = evaluate(
            joined,
            units,
            cell_km=cell_km,
            shape=shape,  # type: ignore[arg-type]
            crs=crs,
            seed=seed,
            alpha=alpha,
        )
    except DataError as exc:
        warnings.warn(f"evaluation skipped: {exc}", BorderwatchWarning, stacklevel=2)
        return None
    keep = [
        c
        for c in ("method", "cell_km", "split_date", "coverage", "pai", "pei", "rri")
        if c in table.columns
    ]
    out = table[keep].copy()
    if "split_date" in out:
        out["split_date"] = pd.to_datetime(out["split_date"]).dt.strftime("%Y-%m-%d")
    return out.to_dict("records")  # type: ignore[no-any-return]


def _iso(ts: Any) -> str | None:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)) or pd.isna(ts):
        return None
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _join(
    inc: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    border: gpd.GeoDataFrame,
    crs: Any,
    tolerance_km: float,
    engine: str,
    partitions: int | None,
) -> tuple[gpd.GeoDataFrame, int | None]:
    if engine == "pandas":
        return join_units(inc, units, border=border, crs=crs, tolerance_km=tolerance_km), None
    try:
        import dask_geopandas
    except ImportError as exc:
        msg = "engine 'dask' needs dask-geopandas. Hint: pip install 'borderwatch[scale]'."
        raise DataError(msg) from exc
    nparts = partitions or max(1, min(64, len(inc) // 250_000 + 1))
    dgdf = dask_geopandas.from_geopandas(inc, npartitions=nparts)
    meta = join_units(inc.iloc[:0], units, border=border, crs=crs, tolerance_km=tolerance_km)
    out = dgdf.map_partitions(
        join_units, units, border=border, crs=crs, tolerance_km=tolerance_km, meta=meta
    ).compute()
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=inc.crs)
    out.attrs.update(inc.attrs)
    out.attrs["join"] = join_summary(out)
    return out, nparts


def _unit_population(units_out: gpd.GeoDataFrame, raster: str | os.PathLike[str], metric: Any):
    """Sum a population-count raster over each unit (cells assigned by centre) and add rates."""
    import rasterio
    from rasterio.features import rasterize

    try:
        src = rasterio.open(raster)
    except Exception as exc:  # noqa: BLE001
        msg = f"{raster}: cannot read the population raster ({exc}). Hint: give a GeoTIFF of population counts."
        raise DataError(msg) from exc
    with src:
        if src.crs is None:
            msg = f"{raster}: the population raster has no CRS. Hint: assign one with gdal_edit.py -a_srs EPSG:4326."
            raise DataError(msg)
        band = src.read(1, masked=True).astype("float64").filled(0.0)
        band[~np.isfinite(band)] = 0.0
        shapes = ((g, i + 1) for i, g in enumerate(units_out.to_crs(src.crs).geometry))
        zones = rasterize(
            shapes, out_shape=band.shape, transform=src.transform, fill=0, dtype="int32"
        )
        sums = np.bincount(zones.ravel(), weights=band.ravel(), minlength=len(units_out) + 1)[1:]
        info = {"path": str(raster), "crs": src.crs, "transform": src.transform, "values": band}
        # units the raster does not cover (fully) get no population rather than a false one
        import shapely

        geoms = units_out.to_crs(src.crs).geometry.array
        covered = shapely.area(
            shapely.intersection(geoms, shapely.box(*src.bounds))
        ) / shapely.area(geoms)
        partial = covered < 0.99
    if partial.any():
        names = ", ".join(units_out.loc[partial, "name"].astype(str).head(5))
        warnings.warn(
            f"{raster}: the population raster does not cover {int(partial.sum())} units "
            f"({names}{', ...' if partial.sum() > 5 else ''}); their population and rate are left empty.",
            BorderwatchWarning,
            stacklevel=2,
        )
        sums = np.where(partial, np.nan, sums)
    out = units_out.copy()
    out["population"] = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_100k"] = np.where(
            np.nan_to_num(sums) > 0, out["incidents"] / sums * 1e5, np.nan
        )
    return out, info


# ---------------------------------------------------------------------------------------------
# writing


def _with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract's display column ``hotspot``, after ``hotspot_kind``, where a frame has classes."""
    if "hotspot_kind" not in frame.columns:
        return frame
    out = frame.copy()
    out.insert(list(out.columns).index("hotspot_kind"), "hotspot", hotspot_labels(out))
    return out


def _to_gpkg_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = _with_labels(gdf)  # type: ignore[assignment]
    out = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if len(out) and (
            isinstance(s.dtype, pd.CategoricalDtype)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
        ):
            if s.astype(object).map(lambda v: isinstance(v, list | tuple | dict)).any():
                out[col] = s.map(
                    lambda v: json.dumps(v) if isinstance(v, list | tuple | dict) else v
                )
    return out


def write_outputs(
    result: AnalysisResult,
    out: str | os.PathLike[str],
    *,
    lang: str = "en",
    tiles: str | None = None,
    static: bool = True,
    progress: Progress | None = None,
) -> Path:
    """Write the output directory of an analysis, atomically.

    Everything is written to a temporary directory next to ``out`` and moved
    into place only when complete, so a failure never leaves a half-written
    directory. Files: ``summary.json``, ``hotspots.gpkg`` (layers ``units``,
    ``border``, ``cells``, ``hotspots``, ``clusters``), ``units.csv``,
    ``density.tif``, ``map.html`` and, with ``static``, ``map.png`` and ``map.pdf``.
    """
    say = progress or _quiet
    target = Path(out)
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        _write_all(result, tmp, lang=lang, tiles=tiles, static=static, say=say)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the folder the user's usual mode
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, old / "previous")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _write_all(
    result: AnalysisResult, d: Path, *, lang: str, tiles: str | None, static: bool, say: Progress
) -> None:
    say("writing hotspots.gpkg")
    gpkg = d / "hotspots.gpkg"
    layers: dict[str, gpd.GeoDataFrame | None] = {
        "units": result.units,
        "border": result.border,
        "cells": result.cells,
        "hotspots": result.hotspots,
        "clusters": result.clusters,
    }
    for name, layer in layers.items():
        if layer is None:
            continue
        frame = _to_gpkg_frame(layer)
        if result.synthetic:
            frame["data"] = SYNTHETIC
        frame.to_file(gpkg, layer=name, driver="GPKG")
    units_tbl = _with_labels(pd.DataFrame(result.units.drop(columns=result.units.geometry.name)))
    counts_tbl = result.counts.copy() if result.counts is not None else None
    if result.synthetic:
        units_tbl["data"] = SYNTHETIC
        if counts_tbl is not None:
            counts_tbl["data"] = SYNTHETIC
    units_tbl.to_csv(d / "units.csv", index=False)
    if counts_tbl is not None:
        counts_tbl.to_csv(d / "counts.csv", index=False)
    if result.density is not None:
        say("writing density.tif")
        result.density.to_geotiff(d / "density.tif")
        if result.synthetic:
            import rasterio

            with rasterio.open(d / "density.tif", "r+") as dst:
                dst.update_tags(DATA=SYNTHETIC)
    summary = dict(result.summary)
    summary["view"] = result.view
    summary["files"] = sorted(
        ["summary.json", "hotspots.gpkg", "units.csv", "map.html"]
        + (["counts.csv"] if result.counts is not None else [])
        + (["density.tif"] if result.density is not None else [])
        + (["map.png", "map.pdf"] if static else [])
    )
    say("drawing map.html")
    from .maps import make_map, save_map

    m = make_map(result, view=result.view, lang=lang, tiles=tiles, k=result.k)
    save_map(m, d / "map.html")
    if static:
        from .maps import export_static

        say("drawing map.png and map.pdf")
        export_static(result, d / "map.png", view=result.view, lang=lang)
        export_static(result, d / "map.pdf", view=result.view, lang=lang)
    (d / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8"
    )


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, pd.Timestamp):
        return o.isoformat()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
