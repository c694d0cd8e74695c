"""The whole analysis, step by step: :func:`analyze`.

Each step is a function of the previous steps' results and the
:class:`~borderwatch.settings.Settings`, and returns a frozen record:

1. :func:`_read_inputs` reads and checks the units, incidents and meetings;
2. :func:`_study_space` chooses the metric CRS and finds the international borders;
3. :func:`_join` joins points to units and counts them (units, unit x category x period);
4. :func:`_hotspots` grids the study area and runs Gi*, local Moran, emerging hotspots,
   unit Gi* and hotspot regions;
5. :func:`_scan` runs the spatial scan statistic on the grid;
6. :func:`_clusters` finds point clusters and tests them against chance;
7. :func:`_density` computes the density surface;
8. :func:`_evaluate` judges the hotspot map (PAI on a temporal split).

Then :func:`borderwatch._summary.build_summary` assembles ``summary.json`` and,
in the public view, :func:`borderwatch.privacy.public_view` protects the result.
Writing the output directory is :mod:`borderwatch.outputs`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from ._crs import WGS84, study_crs
from ._errors import BorderwatchWarning, DataError
from ._population import PopulationRaster, read_population, unit_population
from ._result import AnalysisResult
from ._summary import build_summary
from .borders import DEFAULT_TOLERANCE_M, border_lines
from .io import load_incidents, read_meetings, read_units
from .join import aggregate_counts, join_units, unit_counts
from .settings import Settings

if TYPE_CHECKING:
    from .hotspots import CellHotspots
    from .scan import ScanResult

__all__ = ["analyze"]

Progress = Callable[[str], None]
Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame


def _quiet(_: str) -> None:
    return None


def analyze(
    units: str | os.PathLike[str] | gpd.GeoDataFrame,
    incidents: Source,
    meetings: Source | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> AnalysisResult:
    """Run the whole analysis: read, join, hotspots, clusters, density, privacy.

    Parameters
    ----------
    units, incidents, meetings : path or frame
        Inputs, read with :func:`borderwatch.read_units`,
        :func:`borderwatch.read_incidents` and :func:`borderwatch.read_meetings`
        unless already read.
    settings : Settings, optional
        Every option of the analysis (:class:`borderwatch.Settings`); the
        defaults when omitted.
    progress : callable, optional
        Called with a short message before each step (the CLI prints them).
    **options
        Settings to change, by name (``view="internal"``, ``cell_km=10``):
        a shortcut for ``settings=Settings(...)``.

    Returns
    -------
    AnalysisResult
        Every layer in memory; in the public view (the default) already
        protected by :func:`borderwatch.public_view`.

    Examples
    --------
    >>> import warnings
    >>> import borderwatch as bw
    >>> from borderwatch.datasets import demo_incidents, demo_units
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     units = demo_units()
    ...     incidents = demo_incidents(n_background=200, units=units)
    >>> result = bw.analyze(units, incidents, view="internal", permutations=0)
    >>> result.view, result.summary["n_incidents"] > 200
    ('internal', True)
    """
    s = (settings or Settings()).replace(**options) if options else settings or Settings()
    say = progress or _quiet
    with _collect_warnings() as caught:
        inputs = _read_inputs(units, incidents, meetings, s, say)
        space = _study_space(inputs.units, s, say)
        joined = _join(inputs, space, s, say)
        hot = _hotspots(joined, inputs.units, space, s, say)
        scanned = _scan(joined, space, hot, s, say)
        found = _clusters(joined, inputs.units, space, hot, s, say)
        surface = _density(joined, inputs.units, space, hot, s, say)
        judged = _evaluate(joined, inputs.units, space, hot, s)
    summary = build_summary(
        s,
        inputs=inputs,
        space=space,
        joined=joined,
        hot=hot,
        scanned=scanned,
        found=found,
        surface=surface,
        judged=judged,
        warnings=caught,
    )
    result = AnalysisResult(
        units=hot.units,
        border=space.border,
        crs=space.crs,
        incidents=joined.incidents,
        meetings=joined.meetings,
        counts=joined.counts,
        cells=hot.cells.to_crs(WGS84),
        hotspots=hot.regions.to_crs(WGS84) if len(hot.regions) else hot.regions,
        clusters=found.clusters.to_crs(WGS84) if found.clusters.crs is not None else found.clusters,
        scan=None if scanned is None else scanned.clusters.to_crs(WGS84),
        density=surface,
        summary=summary,
        view="internal",
        k=s.k,
        synthetic=s.synthetic,
        title=s.title or _default_title(s),
        source=_default_source(s, inputs),
        settings=s,
    )
    if s.view == "public":
        from .privacy import public_view

        say("applying the public view")
        result = public_view(result, k=s.k)
    return result


@contextmanager
def _collect_warnings() -> Iterator[list[str]]:
    """Record borderwatch's warnings (for ``summary.json``); pass every other warning on."""
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always", BorderwatchWarning)
        yield caught
    for w in wlist:
        if issubclass(w.category, BorderwatchWarning):
            caught.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _default_title(s: Settings) -> str:
    return "borderwatch demo: Liptako-Gourma (SYNTHETIC)" if s.synthetic else "borderwatch"


def _default_source(s: Settings, inputs: Inputs) -> str:
    if s.synthetic:
        return "SYNTHETIC demo data; boundaries: Natural Earth"
    return inputs.source


# ------------------------------------------------------------------------------- 1. inputs


@dataclass(frozen=True)
class Inputs:
    """The checked inputs (EPSG:4326), what was dropped, and where the incidents came from."""

    units: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    meetings: gpd.GeoDataFrame | None
    dropped: dict[str, int]
    source: str


def _read_inputs(units: Any, incidents: Any, meetings: Any, s: Settings, say: Progress) -> Inputs:
    say("reading units")
    if (
        isinstance(units, gpd.GeoDataFrame)
        and {"unit_id", "name", "country"} <= set(units.columns)
        and not any(s.unit_columns.values())
    ):
        u = units.copy()
    else:
        u = read_units(units, **s.unit_columns)
    say("reading incidents")
    dropped: dict[str, int] = {}
    source = ""
    if isinstance(incidents, gpd.GeoDataFrame) and {"id", "category", "sensitive"} <= set(
        incidents.columns
    ):
        inc = incidents.copy()
    else:
        loaded = load_incidents(
            incidents,
            units=u,
            crosswalk=s.crosswalk,
            on_invalid=s.on_invalid,
            date_format=s.date_format,
            dayfirst=s.dayfirst,
            **s.incident_columns,
        )
        inc, dropped, source = loaded.frame, dict(loaded.dropped), loaded.source
    mt = None
    if meetings is not None:
        say("reading meetings")
        if isinstance(meetings, gpd.GeoDataFrame) and "attendance" in meetings.columns:
            mt = meetings.copy()
        else:
            mt = read_meetings(
                meetings,
                units=u,
                on_invalid=s.on_invalid,
                date_format=s.date_format,
                dayfirst=s.dayfirst,
                **s.meeting_columns,
            )
    return Inputs(units=u, incidents=inc, meetings=mt, dropped=dropped, source=source)


# ------------------------------------------------------------------------------- 2. space


@dataclass(frozen=True)
class Space:
    """The metric CRS of the analysis and the international border lines."""

    crs: CRS
    border: gpd.GeoDataFrame
    tolerance_m: float


def _study_space(units: gpd.GeoDataFrame, s: Settings, say: Progress) -> Space:
    metric = study_crs(units)
    say("finding international borders")
    border = border_lines(units, crs=metric)
    return Space(crs=metric, border=border, tolerance_m=float(DEFAULT_TOLERANCE_M))


# ------------------------------------------------------------------------------- 3. join


@dataclass(frozen=True)
class Joined:
    """Joined incidents and meetings, units with their counts, and the counts table."""

    incidents: gpd.GeoDataFrame
    meetings: gpd.GeoDataFrame | None
    units: gpd.GeoDataFrame
    counts: pd.DataFrame
    population: PopulationRaster | None
    partitions: int | None


def _join(inputs: Inputs, space: Space, s: Settings, say: Progress) -> Joined:
    u = inputs.units
    say(f"joining {len(inputs.incidents):,} incidents to {len(u)} units")
    opts = {"border": space.border, "crs": space.crs, "tolerance_km": s.tolerance_km}
    if s.engine == "dask":
        joined, parts = _join_dask(inputs.incidents, u, partitions=s.partitions, **opts)
    else:
        joined, parts = join_units(inputs.incidents, u, **opts), None
    mt = join_units(inputs.meetings, u, **opts) if inputs.meetings is not None else None
    units_out = unit_counts(joined, u)
    counts = aggregate_counts(joined, period=s.period, by=("unit_id", "country", "category"))
    counts = counts[counts["unit_id"].notna()].reset_index(drop=True)
    counts["period"] = pd.to_datetime(counts["period"]).dt.strftime("%Y-%m-%d")
    units_out["area_km2"] = units_out.to_crs(space.crs).area.to_numpy() / 1e6
    raster = None
    if s.population is not None:
        say("reading population")
        raster = read_population(s.population)
        units_out = unit_population(units_out, raster)
    return Joined(
        incidents=joined,
        meetings=mt,
        units=units_out,
        counts=counts,
        population=raster,
        partitions=parts,
    )


def _join_dask(
    inc: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, partitions: int | None, **opts: Any
) -> tuple[gpd.GeoDataFrame, int]:
    """The join, partition by partition with dask-geopandas."""
    try:
        import dask_geopandas
    except ImportError as exc:
        msg = "engine 'dask' needs dask-geopandas. Hint: pip install 'borderwatch[scale]'."
        raise DataError(msg) from exc
    nparts = partitions or max(1, min(64, len(inc) // 250_000 + 1))
    dgdf = dask_geopandas.from_geopandas(inc, npartitions=nparts)
    meta = join_units(inc.iloc[:0], units, **opts)
    out = dgdf.map_partitions(join_units, units, meta=meta, **opts).compute()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=inc.crs), nparts


# ------------------------------------------------------------------------------- 4. hotspots


@dataclass(frozen=True)
class Hotspots:
    """Cells with their statistics, units with their Gi*, hotspot regions, and the parameters used."""

    stats: CellHotspots
    units: gpd.GeoDataFrame
    unit_weights: dict[str, Any] | None
    regions: gpd.GeoDataFrame

    @property
    def cells(self) -> gpd.GeoDataFrame:
        """Every cell with its statistics (metric CRS)."""
        return self.stats.cells

    @property
    def params(self) -> dict[str, Any]:
        """The grid and Gi* parameters, as ``summary.json`` records them."""
        return self.stats.summary()


#: Columns of the unit statistics copied to the units layer (``n_neighbors`` counts links
#: between units, not incidents, hence ``neighbours``).
_UNIT_STATS = {
    "gi_z": "gi_z",
    "gi_p": "gi_p",
    "gi_p_fdr": "gi_p_fdr",
    "hotspot_kind": "hotspot_kind",
    "hotspot_confidence": "hotspot_confidence",
    "n_neighbors": "neighbours",
    "moran_class": "moran_class",
}


def _hotspots(
    joined: Joined, units: gpd.GeoDataFrame, space: Space, s: Settings, say: Progress
) -> Hotspots:
    from .hotspots import cell_hotspots, unit_hotspots
    from .regions import hotspot_regions

    say("hotspot statistics (Gi*, local Moran, emerging hotspots)")
    found = cell_hotspots(
        joined.incidents,
        units,
        cell_km=s.cell_km,
        alpha=s.alpha,
        shape=s.grid,
        weights=s.weights,
        k=s.n_neighbors,
        permutations=s.permutations,
        seed=s.seed,
        crs=space.crs,
    )
    say("Gi* on units (fuzzy contiguity across borders)")
    unit_stats = unit_hotspots(
        joined.units,
        column="incidents",
        permutations=s.permutations,
        seed=s.seed,
        alpha=s.alpha,
        crs=space.crs,
    )
    stats = unit_stats.units
    units_out = joined.units.copy()
    for col, out_col in _UNIT_STATS.items():
        if col in stats.columns:
            units_out[out_col] = stats[col].to_numpy()
    geom = units_out.geometry.name
    units_out = units_out[[c for c in units_out.columns if c != geom] + [geom]]
    say("hotspot regions")
    regions = hotspot_regions(
        found.grid, joined.incidents, space.border, alpha=s.alpha, weights=found.weights
    )
    return Hotspots(
        stats=found,
        units=units_out,
        unit_weights=dict(unit_stats.weights.spec),
        regions=regions,
    )


# ------------------------------------------------------------------------------- 5. scan


def _scan(
    joined: Joined, space: Space, hot: Hotspots, s: Settings, say: Progress
) -> ScanResult | None:
    """Kulldorff's spatial scan on the hotspot grid (None when ``scan_replicates`` is 0)."""
    from .scan import spatial_scan

    if s.scan_replicates == 0:
        return None
    say(f"spatial scan statistic ({s.scan_replicates} replicates)")
    return spatial_scan(
        hot.stats.grid,
        joined.incidents,
        space.border,
        population=joined.population,
        replicates=s.scan_replicates,
        max_share=s.scan_max_share,
        alpha=s.alpha,
        seed=s.seed,
        null=s.scan_null,
        keep_all=s.scan_all,
    )


# ------------------------------------------------------------------------------- 6. clusters


@dataclass(frozen=True)
class Found:
    """Point clusters, the options they were found with and their test against chance."""

    clusters: gpd.GeoDataFrame
    options: dict[str, Any]
    test: dict[str, Any]


def _clusters(
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    hot: Hotspots,
    s: Settings,
    say: Progress,
) -> Found:
    from .clusters import find_clusters

    say("point clusters")
    opts: dict[str, Any] = {}
    if s.eps_km is not None or s.cluster_method != "hdbscan":
        # DBSCAN's radius defaults to the grid cell, the scale of the hotspot analysis;
        # HDBSCAN chooses its own scale
        opts["eps_km"] = s.eps_km if s.eps_km is not None else float(hot.params["cell_km"])
    if s.min_samples is not None:
        opts["min_samples"] = int(s.min_samples)
    if s.days is not None:
        opts["days"] = float(s.days)
    res = find_clusters(
        joined.incidents,
        method=s.cluster_method,
        border=space.border,
        crs=space.crs,
        seed=s.seed,
        area=units,
        replicates=s.cluster_replicates,
        alpha=s.alpha,
        keep_all=s.clusters_all,
        **opts,
    )
    summary = res.summary()
    test: dict[str, Any] = {
        k: summary[k] for k in ("replicates", "alpha", "all", "n_found") if k in summary
    }
    return Found(clusters=res.layer, options=opts, test=test)


# ------------------------------------------------------------------------------- 7. density


def _density(
    joined: Joined, units: gpd.GeoDataFrame, space: Space, hot: Hotspots, s: Settings, say: Progress
) -> Any:
    from .density import density

    say("density surface")
    return density(
        joined.incidents,
        bandwidth_km=s.bandwidth_km if s.bandwidth_km is not None else float(hot.params["cell_km"]),
        crs=space.crs,
        bounds=tuple(units.to_crs(space.crs).total_bounds),
        population=None if joined.population is None else joined.population.as_mapping(),
    )


# ------------------------------------------------------------------------------- 8. evaluation


@dataclass(frozen=True)
class Judged:
    """PAI of the hotspot map, and the methods compared on a temporal split (or None)."""

    pai: Any
    evaluation: list[dict[str, Any]] | None


def _evaluate(
    joined: Joined, units: gpd.GeoDataFrame, space: Space, hot: Hotspots, s: Settings
) -> Judged:
    from .evaluate import evaluate, hotspot_pai

    pai = hotspot_pai(
        joined.incidents, hot.stats.grid, weights=hot.stats.weights, alpha=s.alpha, seed=s.seed
    )
    if pai is None:
        return Judged(pai=None, evaluation=None)
    try:
        table = evaluate(
            joined.incidents,
            units,
            cell_km=float(hot.params["cell_km"]),
            shape=s.grid,
            crs=space.crs,
            seed=s.seed,
            alpha=s.alpha,
        )
    except DataError as exc:
        warnings.warn(f"evaluation skipped: {exc}", BorderwatchWarning, stacklevel=2)
        return Judged(pai=pai, evaluation=None)
    keep = [
        c
        for c in ("method", "cell_km", "split_date", "coverage", "pai", "pei", "rri")
        if c in table.columns
    ]
    out = table[keep].copy()
    if "split_date" in out:
        out["split_date"] = pd.to_datetime(out["split_date"]).dt.strftime("%Y-%m-%d")
    return Judged(pai=pai, evaluation=out.to_dict("records"))
