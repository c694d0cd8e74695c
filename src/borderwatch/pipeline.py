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
8. :func:`_evaluate` judges the hotspot map (PAI on a temporal split);
9. :func:`_plan` ranks the areas and builds the planning tables (coverage,
   representation, effectiveness, sources, actions: :mod:`borderwatch.planning`).

Then :func:`borderwatch._summary.build_summary` assembles ``summary.json`` and,
in the public view, :func:`borderwatch.privacy.public_view` protects the result.
Writing the output directory is :mod:`borderwatch.outputs`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from ._crs import WGS84, centred_crs, study_centre
from ._dask import is_partitioned, join_partitions, load_partitions
from ._dask_pipeline import aggregated
from ._errors import BorderwatchWarning, DataError
from ._geom import gc_frozen, gc_settle, to_crs_valid
from ._inputs import located
from ._memo import remembering
from ._overlap import border_and_locations, statistics
from ._period import counts_period
from ._population import PopulationRaster, read_population, unit_population
from ._result import AnalysisResult
from ._summary import build_summary
from ._warnings import collect_warnings
from .borders import DEFAULT_TOLERANCE_M, border_lines
from .io import load_incidents, read_meetings, read_units
from .join import Period, aggregate_counts, join_later, join_units, unit_counts
from .lattice import LATTICE_CRS, snap_cell_km, with_lattice_ids
from .settings import Settings

if TYPE_CHECKING:
    from ._lattice import Grid
    from .hotspots import CellHotspots
    from .scan import ScanResult

__all__ = ["STEPS", "analyze", "analyze_shared", "counts_period"]

Progress = Callable[[str], None]

#: The named steps of ``analyze`` and ``write_outputs``, in order, each with the start of
#: the progress message that opens it (a progress bar advances on these; the messages in
#: between only describe the current step).
STEPS: tuple[tuple[str, str], ...] = (
    ("read", "reading units"),
    ("borders", "finding international borders"),
    ("join", "joining"),
    ("hotspots", "hotspot statistics"),
    ("scan", "spatial scan"),
    ("clusters", "point clusters"),
    ("density", "density surface"),
    ("evaluation", "evaluation"),
    ("public view", "applying the public view"),
    ("write", "writing hotspots.gpkg"),
)
Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame
#: The progress messages of steps 6 to 8 (said by the parent when a child runs them).
_LATER_STEPS = ("point clusters", "density surface", "evaluation (PAI on a temporal split)")


def _quiet(_: str) -> None:
    return None


def analyze(
    units: str | os.PathLike[str] | gpd.GeoDataFrame,
    incidents: Source,
    meetings: Source | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    actions: Source | None = None,
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
    actions : path or frame, optional
        Agreed actions (CSV or Excel, e.g. last time's ``action_plan.xlsx``), read
        with :func:`borderwatch.planning.read_actions`; default the ``actions``
        setting. Actions in columns of the meetings file are read too.
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
    >>> fast = dict(permutations=0, scan_replicates=0, cluster_replicates=0, cell_km=25)  # quick
    >>> result = bw.analyze(units, incidents, view="internal", **fast)
    >>> result.view, result.summary["n_incidents"] > 200
    ('internal', True)
    """
    s = (settings or Settings()).replace(**options) if options else settings or Settings()
    say = progress or _quiet
    with remembering(), gc_frozen():  # results per geometry array, for this run only (_memo)
        with collect_warnings() as caught:
            staged = aggregated(units, incidents, meetings, s, say, actions=actions)  # dask
            if staged is None:
                inputs = _read_inputs(units, incidents, meetings, s, say, actions=actions)
                gc_settle()  # the incidents' points: out of the garbage collector's walks
                space = _study_space(inputs.units, inputs.incidents, s, say)
                done = statistics(inputs, space, s, say)
            else:
                inputs, space, done = staged
        return _result(inputs, space, done, s, caught, say)


def analyze_shared(
    units: str | os.PathLike[str] | gpd.GeoDataFrame,
    shared: Sequence[str | os.PathLike[str]],
    meetings: Source | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> AnalysisResult:
    """The analysis of counts shared by several sides (:mod:`borderwatch.federation`).

    The shares (``borderwatch share``) are merged and analysed on their lattice
    (EPSG:6933, the shares' cell size): Gi*, local Moran, emerging trends, unit
    Gi*, hotspot regions, the spatial scan (SaTScan's per-incident null) and a
    density surface smoothed from the cell counts. No point clusters and no
    evaluation: the shares hold no records. Unit counts come from the cells
    (each cell counted in the unit that holds its interior point).

    Examples
    --------
    >>> import tempfile, warnings
    >>> from pathlib import Path
    >>> from borderwatch.datasets import demo_incidents, demo_units
    >>> from borderwatch.federation import share_counts, write_share
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     units = demo_units()
    ...     inc = demo_incidents(n_background=200, units=units)
    ...     d = Path(tempfile.mkdtemp())
    ...     paths = [write_share(share_counts(units[units["country"] == c], inc[inc["country"] == c],
    ...                                       view="internal"),
    ...                          d / f"{c}.parquet", cell_km=20, view="internal") for c in ("MLI", "NER")]
    ...     res = analyze_shared(units, paths, view="internal", permutations=0, scan_replicates=0)
    >>> res.summary["shared"]["files"], res.summary["grid"], len(res.clusters)
    (2, 'square', 0)
    """
    from .federation import count_points, read_shared
    from .lattice import LATTICE_CRS

    s = (settings or Settings()).replace(**options) if options else settings or Settings()
    say = progress or _quiet
    with remembering():  # results per geometry array, for this run only (_memo)
        with collect_warnings() as caught:
            say("reading units")
            u = _units(units, s)
            say("reading shared counts")
            counts, cell_km = read_shared(shared)
            points, grid = count_points(counts, u, cell_km=cell_km)
            s = s.replace(cell_km=float(cell_km), grid="square", scan_null="incidents")
            inputs = _read_inputs(u, points, meetings, s, _quiet)
            inputs = replace(inputs, source=f"shared counts ({len(shared)} files)")
            lon0, lat0, _ = study_centre(u, incidents=points)
            say("finding international borders")
            space = Space(
                crs=LATTICE_CRS,
                border=border_lines(u, crs=LATTICE_CRS),
                tolerance_m=float(DEFAULT_TOLERANCE_M),
                centre={"lon": lon0, "lat": lat0, "from": "shared lattice"},
                grid=grid,
            )
            done = statistics(inputs, space, s, say, points=False)
        result = _result(inputs, space, done, s, caught, say)
        result.summary["shared"] = {
            "files": len(shared),
            "cell_km": cell_km,
            "lattice": "EPSG:6933",
        }
        return result


@dataclass(frozen=True)
class _Done:
    """The records of steps 3 to 8."""

    joined: Joined
    hot: Hotspots
    scanned: ScanResult | None
    found: Found
    surface: Any
    judged: Judged
    records: Any = None  # the dask engine's incidents on its workers, for the public view


def _no_clusters() -> Found:
    from .clusters import CLUSTER_COLUMNS

    empty = gpd.GeoDataFrame({c: [] for c in CLUSTER_COLUMNS}, geometry=[], crs=WGS84)
    return Found(clusters=empty, options={}, test={"skipped": "no points (shared counts)"})


def _result(
    inputs: Inputs, space: Space, done: _Done, s: Settings, caught: list[str], say: Progress
) -> AnalysisResult:
    """The result of the steps, with its summary, in the view asked for."""
    joined, hot, scanned, found = done.joined, done.hot, done.scanned, done.found
    summary = build_summary(
        s,
        inputs=inputs,
        space=space,
        joined=joined,
        hot=hot,
        scanned=scanned,
        found=found,
        surface=done.surface,
        judged=done.judged,
        warnings=caught,
    )
    result = AnalysisResult(
        units=hot.units,
        border=space.border,
        crs=space.crs,
        incidents=joined.incidents,
        meetings=joined.meetings,
        counts=joined.counts,
        # shapes built in the metric CRS can self-intersect in EPSG:4326: repaired there
        cells=to_crs_valid(hot.cells, WGS84),
        hotspots=to_crs_valid(hot.regions, WGS84) if len(hot.regions) else hot.regions,
        clusters=to_crs_valid(found.clusters, WGS84),
        scan=None if scanned is None else to_crs_valid(scanned.clusters, WGS84),
        density=done.surface,
        summary=summary,
        view="internal",
        k=s.k,
        synthetic=s.synthetic,
        title=s.title or "",
        source=_default_source(s, inputs),
        settings=s,
    )
    with collect_warnings() as caught_plan:
        planned = _plan(result, inputs, s, say)
    result = result.replace(
        priorities=planned.priorities,
        planning=planned.planning,
        summary={
            **summary,
            "planning": planned.summary,
            "warnings": summary["warnings"] + [w for w in caught_plan if w not in caught],
        },
    )
    if s.view == "public":
        from .planning import with_reasons
        from .privacy import public_view

        say("applying the public view")
        if not s.synthetic and not s.key_file:
            msg = (
                "the public view used the built-in demo release key, which anyone can read. "
                "Hint: give key_file= (--key-file) and keep that file for every release."
            )
            warnings.warn(msg, BorderwatchWarning, stacklevel=2)
        result = public_view(result, k=s.k, records=done.records)  # key: s.key_file, else demo
        # the reasons were written from the internal counts: again from the public ones
        result = result.replace(priorities=with_reasons(result.priorities, s, k=s.k))
    return result


def _default_source(s: Settings, inputs: Inputs) -> str:
    if s.synthetic:
        return "SYNTHETIC demo data; boundaries: Natural Earth"
    return inputs.source


def _actions(source: Any, meetings: Any, s: Settings, say: Progress) -> pd.DataFrame | None:
    from .planning.actions import gather_actions

    if source is not None:
        say("reading actions")
    return gather_actions(source, meetings, date_format=s.date_format, dayfirst=s.dayfirst)


# ------------------------------------------------------------------------------- 1. inputs


@dataclass(frozen=True)
class Inputs:
    """The checked inputs (EPSG:4326), what was dropped, where the incidents came from, and
    how their file was read (``decisions``: date format, delimiter, decimal mark, encoding)."""

    units: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    meetings: gpd.GeoDataFrame | None
    dropped: dict[str, int]
    source: str
    decisions: dict[str, Any] = field(default_factory=dict)
    actions: pd.DataFrame | None = None
    counts: Any = None  # the dask engine's planning counts (borderwatch.planning._tally)


def _units(units: Any, s: Settings) -> gpd.GeoDataFrame:
    if (
        isinstance(units, gpd.GeoDataFrame)
        and {"unit_id", "name", "country"} <= set(units.columns)
        and not any(s.unit_columns.values())
    ):
        return units.copy()
    return read_units(units, **s.unit_columns)


def _read_inputs(
    units: Any, incidents: Any, meetings: Any, s: Settings, say: Progress, *, actions: Any = None
) -> Inputs:
    say("reading units")
    u = _units(units, s)
    say("reading incidents")
    dropped: dict[str, int] = {}
    decisions: dict[str, Any] = {}
    source = ""
    if (
        isinstance(incidents, gpd.GeoDataFrame)
        and {"id", "category", "sensitive"} <= set(incidents.columns)
        and located(incidents)  # else read again: invalid rows raise or drop as in a file
    ):
        inc = incidents.copy()
    elif s.engine == "dask" and is_partitioned(incidents):
        options = {"crosswalk": s.crosswalk, **s.reading, **s.incident_columns}
        inc, dropped, decisions, files = load_partitions(
            incidents, u, options=options, scheduler=s.scheduler
        )
        decisions["partitions"] = files  # one per file, unless [[partitions]] says otherwise
        source = str(incidents)
    else:
        loaded = load_incidents(
            incidents, units=u, crosswalk=s.crosswalk, **s.reading, **s.incident_columns
        )
        inc, dropped, source = loaded.frame, dict(loaded.dropped), loaded.source
        decisions = dict(loaded.decisions)
    mt = None
    if meetings is not None:
        say("reading meetings")
        if (
            isinstance(meetings, gpd.GeoDataFrame)
            and "attendance" in meetings.columns
            and located(meetings)
        ):
            mt = meetings.copy()
        else:
            mt = read_meetings(meetings, units=u, **s.reading, **s.meeting_columns)
    return Inputs(
        units=u,
        incidents=inc,
        meetings=mt,
        dropped=dropped,
        source=source,
        decisions=decisions,
        actions=_actions(actions if actions is not None else s.actions, mt, s, say),
    )


# ------------------------------------------------------------------------------- 2. space


@dataclass(frozen=True)
class Space:
    """The metric CRS of the analysis and the international border lines."""

    crs: CRS
    border: gpd.GeoDataFrame
    tolerance_m: float
    centre: dict[str, Any]
    grid: Any = None  # a fixed analysis grid (the shared lattice of a federated run), or None


def _study_space(
    units: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, s: Settings, say: Progress
) -> Space:
    """The metric CRS, centred on the incidents' extent (the units' without incidents)."""
    lon0, lat0, basis = study_centre(units, incidents=incidents)
    metric = centred_crs(lon0, lat0)  # what study_crs(units, incidents=incidents) gives
    say("finding international borders")
    border = border_and_locations(units, incidents, metric)  # and the join's locations
    return Space(
        crs=metric,
        border=border,
        tolerance_m=float(DEFAULT_TOLERANCE_M),
        centre={"lon": lon0, "lat": lat0, "from": basis},
    )


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
    period: Period = "month"
    totals: dict[str, Any] | None = None  # the summary's totals when incidents is a sample


def _join(
    inputs: Inputs,
    space: Space,
    s: Settings,
    say: Progress,
    *,
    then: Callable[[gpd.GeoDataFrame], None] | None = None,
) -> tuple[Joined, Callable[[], None]]:
    """Step 3, and the function that completes the incidents' ``border_km`` (measured in a
    thread meanwhile: :func:`borderwatch.join.join_later`). ``then`` is called with the
    joined incidents as soon as they are known, before the counts are tabulated."""
    u = inputs.units
    say(f"joining {len(inputs.incidents):,} incidents to {len(u)} units")
    opts = {"border": space.border, "crs": space.crs, "tolerance_km": s.tolerance_km}
    if s.engine == "dask":
        joined, parts = join_partitions(
            inputs.incidents,
            u,
            partitions=s.partitions or inputs.decisions.get("partitions"),
            scheduler=s.scheduler,
            join=opts,
        )
        measured = _nothing
    else:
        (joined, measured), parts = join_later(inputs.incidents, u, **opts), None
    if then is not None:
        then(joined)
    mt = join_units(inputs.meetings, u, **opts) if inputs.meetings is not None else None
    units_out = unit_counts(joined, u)
    period = counts_period(joined, s.period)
    counts = aggregate_counts(joined, period=period, by=("unit_id", "country", "category"))
    counts = counts[counts["unit_id"].notna()].reset_index(drop=True)
    counts["period"] = pd.to_datetime(counts["period"]).dt.strftime("%Y-%m-%d")
    units_out["area_km2"] = units_out.to_crs(space.crs).area.to_numpy() / 1e6
    raster = None
    if s.population is not None:
        say("reading population")
        raster = read_population(s.population)
        units_out = unit_population(units_out, raster)
    done = Joined(
        incidents=joined,
        meetings=mt,
        units=units_out,
        counts=counts,
        population=raster,
        partitions=parts,
        period=period,
    )
    return done, measured


def _nothing() -> None:
    """Nothing left to do."""


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


def _hotspot_grid(
    incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, space: Space, s: Settings
) -> tuple[Grid, Literal["data", "user"]]:
    """The grid of the hotspot statistics (and of the scan) and where its size came from."""
    from .grid import study_grid

    lattice = _public_lattice(incidents, units, space, s)
    if lattice is not None:  # the fixed global lattice
        fixed = study_grid(incidents, units, cell_km=lattice, shape="square", crs=LATTICE_CRS)
        return fixed[0], "user" if s.cell_km else "data"
    if space.grid is not None:
        return space.grid, "user"
    return study_grid(incidents, units, cell_km=s.cell_km, shape=s.grid, crs=space.crs)


def _hotspots(
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    s: Settings,
    say: Progress,
    grid: tuple[Grid, Literal["data", "user"]],
) -> Hotspots:
    """Step 4 on the grid of :func:`_hotspot_grid` (its message said by the caller)."""
    from .hotspots import cell_hotspots, unit_hotspots
    from .regions import hotspot_regions

    found = cell_hotspots(
        joined.incidents,
        units,
        alpha=s.alpha,
        weights=s.weights,
        k=s.n_neighbors,
        permutations=s.permutations,
        seed=s.seed,
        grid=grid[0],
    )
    found = replace(found, cell_km_source=grid[1])
    if s.view == "public":
        found = replace(found, cells=with_lattice_ids(found.cells, int(found.cell_km)))
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


def _public_lattice(
    incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, space: Space, s: Settings
) -> int | None:
    """In the public view, the cell size on the fixed global lattice (the asked or data-chosen
    size, snapped to an allowed size); None in the internal view."""
    if s.view != "public":
        return None
    from .grid import default_cell_km

    km = s.cell_km
    if km is None:
        km = default_cell_km(incidents, units=units, crs=space.crs, shape="square")
    return snap_cell_km(km)


# ------------------------------------------------------------------------------- 5. scan


def scan_message(s: Settings) -> str:
    """The progress message of step 5."""
    return f"spatial scan statistic ({s.scan_replicates} replicates)"


def _scan(
    joined: Joined, space: Space, grid: Grid, s: Settings, say: Progress
) -> ScanResult | None:
    """Kulldorff's spatial scan on the hotspot grid (None when ``scan_replicates`` is 0)."""
    from .scan import spatial_scan

    if s.scan_replicates == 0:
        return None
    say(scan_message(s))
    return spatial_scan(
        grid,
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

    say(_LATER_STEPS[0])
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
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    cell_km: float,
    s: Settings,
    say: Progress,
) -> Any:
    """The density surface, by default at the bandwidth of the grid's cell size."""
    from .density import density

    say(_LATER_STEPS[1])
    return density(
        joined.incidents,
        bandwidth_km=s.bandwidth_km if s.bandwidth_km is not None else float(cell_km),
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
    from .evaluate import evaluate, evaluation_records, hotspot_pai

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
            method=("gi", "kde", "counts", "hotspots"),
        )
    except DataError as exc:
        warnings.warn(f"evaluation skipped: {exc}", BorderwatchWarning, stacklevel=2)
        return Judged(pai=pai, evaluation=None)
    # every method at 1, 2, 5 and 10 % of the area, and the hotspot map as drawn ("own")
    return Judged(pai=pai, evaluation=evaluation_records(table))


# ------------------------------------------------------------------------------- 9. planning


@dataclass(frozen=True)
class Planned:
    """The ranked areas, the planning tables and their part of ``summary.json``."""

    priorities: gpd.GeoDataFrame | None
    planning: Any
    summary: dict[str, Any]


def _plan(result: AnalysisResult, inputs: Inputs, s: Settings, say: Progress) -> Planned:
    """Priorities and planning tables, from the internal result (before the public view)."""
    from .planning import plan, priorities

    say("planning: coverage, priorities, representation, effectiveness")
    planning = plan(result, s, actions=inputs.actions, counts=inputs.counts)
    ranked = priorities(
        result, s, actions=inputs.actions, as_of=planning.as_of, counts=inputs.counts
    )
    summary = {**planning.summary(), "n_priorities": len(ranked)}
    summary["weights"] = {c: w for c, w in s.score_weights.items()}
    return Planned(priorities=ranked, planning=planning, summary=summary)
