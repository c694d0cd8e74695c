"""``analyze(engine="dask")`` on partitioned input: every step from aggregates.

:func:`aggregated` runs the pipeline's steps 1 to 8 (:mod:`borderwatch.pipeline`) on a
folder, glob or URL of incident files without ever holding all rows in one process:

* the units, the counts table, the cells (count, Gi*, local Moran, emerging trend),
  unit Gi*, the spatial scan and the hotspot regions come from per-partition counts
  (:func:`borderwatch._dask_agg.run_aggregates`);
* the density surface is the sum of the partitions' surfaces on its data-free grid
  (:mod:`borderwatch._dask_density`);
* the summary's totals (incidents, sensitive incidents, dates, date precisions, join
  kinds, dropped rows) are per-partition tallies summed;
* ``result.incidents`` is a seeded sample of at most ``dask_sample`` joined incidents,
  drawn from each partition in proportion to its size (all of them when there are no
  more), for the maps (``summary["dask"]["sampled_for"]``);
* the DBSCAN point clusters come from the incidents' distinct locations with their
  weights (:mod:`borderwatch._dask_clusters`), from the sample when there are more than
  ``dask_sample`` of them or for HDBSCAN and space-time DBSCAN
  (``summary["dask"]["clusters"]``);
* the workers' warnings are said on the client, combined over the partitions
  (:mod:`borderwatch._dask_warn`);
* the PAI, the evaluation on a temporal split, the priorities and the planning tables
  come from per-partition counts too (:mod:`borderwatch._dask_plan`).

With ``view="public"`` the public view's cell keys, redaction and vertex checks run on
the workers too (:mod:`borderwatch._dask_public`); a population raster is read on the
client (it holds no incident). Only input that is not partitioned (one file, a frame)
makes ``analyze(engine="dask")`` gather the joined rows on the client
(:func:`borderwatch._dask.join_partitions`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._dask import is_partitioned, partition_sources
from ._dask_density import per_capita
from ._errors import BorderwatchWarning
from .settings import Settings

if TYPE_CHECKING:
    from ._dask_agg import AggregateRun
    from .pipeline import Hotspots, Inputs, Space, _Done

__all__ = ["AGGREGATED", "SAMPLED_FOR", "aggregated", "sample_quotas"]

#: The layers (and summary parts) ``analyze(engine="dask")`` computes from aggregates.
AGGREGATED = (
    "units",
    "counts",
    "cells",
    "scan",
    "hotspots",
    "density",
    "summary totals",
    "pai",
    "evaluation",
    "planning",
    "priorities",
)
#: The layers computed from the sample of incidents (exact when it holds them all): the
#: incident layer and, when they cannot come from the distinct locations
#: (:mod:`borderwatch._dask_clusters`), the point clusters (with their rows of the
#: planning's coverage table).
SAMPLED_FOR = ("incidents", "clusters")


def sample_quotas(sizes: Sequence[int], limit: int) -> list[int]:
    """Rows to sample from each partition: all of them when there are at most ``limit``,
    else ``limit`` shared in proportion to the sizes (largest remainders).

    Examples
    --------
    >>> sample_quotas([10, 20, 30], 100)
    [10, 20, 30]
    >>> sample_quotas([10, 20, 30], 6)
    [1, 2, 3]
    >>> sum(sample_quotas([7, 7, 7], 10))
    10
    """
    n = np.asarray(sizes, dtype=np.int64)
    total = int(n.sum())
    if total <= limit:
        return n.tolist()
    raw = n * (limit / total)
    out = np.floor(raw).astype(np.int64)
    extra = limit - int(out.sum())
    order = np.argsort(-(raw - out), kind="stable")[:extra]
    out[order] += 1
    return np.minimum(out, n).tolist()


def _sample(part: gpd.GeoDataFrame, k: int, seed: int, number: int) -> gpd.GeoDataFrame:
    """``k`` rows of a joined partition, in their order (on a worker; seeded by the
    seed and the partition's number)."""
    if k >= len(part):
        return part
    rng = np.random.default_rng([int(seed), int(number)])
    return part.iloc[np.sort(rng.choice(len(part), size=k, replace=False))]


def _ends(dates: pd.Series, precision: pd.Series | None) -> list[Any]:
    """The first and last date of a partition and the precisions tied at each."""
    if not dates.notna().any():
        return [None, None]
    out = []
    for ts in (dates.min(), dates.max()):
        tied = set() if precision is None else set(precision[dates == ts].dropna())
        out.append((ts, tied))
    return out


def _tally(part: gpd.GeoDataFrame) -> dict[str, Any]:
    """What the summary counts of one joined partition (on a worker)."""
    from .join import join_summary

    dates = pd.to_datetime(part["date"]) if "date" in part else pd.Series(dtype="datetime64[ns]")
    precision = part.get("date_precision")
    prec = precision.dropna() if precision is not None else pd.Series(dtype=object)
    first, last = _ends(
        dates.reset_index(drop=True),
        None if precision is None else precision.reset_index(drop=True),
    )
    return {
        "n": len(part),
        "sensitive": int(part["sensitive"].sum()) if "sensitive" in part else 0,
        "precision": sorted(set(prec)),
        "has_precision": precision is not None,
        "join": join_summary(part),
        "first": first,
        "last": last,
    }


def _date_text(ends: list[Any], pick: Callable[..., Any], with_precision: bool) -> str | None:
    """The first (``pick=min``) or last date over the partitions, written at its own
    precision as :func:`borderwatch._summary._date_range` writes it."""
    from ._summary import _FINER, _FORMATS, _iso

    found = [e for e in ends if e is not None]
    if not found:
        return None
    ts = pick(e[0] for e in found)
    if not with_precision:
        return _iso(ts)
    tied = set().union(*[e[1] for e in found if e[0] == ts])
    finest = next((p for p in _FINER if p in tied), "day")
    return pd.Timestamp(ts).strftime(_FORMATS[finest])


def _totals(tallies: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary's incident totals from the partitions' tallies."""
    join: dict[str, int] = {}
    for t in tallies:
        for key, n in t["join"].items():
            join[key] = join.get(key, 0) + int(n)
    with_precision = any(t["has_precision"] for t in tallies)
    return {
        "n_incidents": sum(t["n"] for t in tallies),
        "n_sensitive": sum(t["sensitive"] for t in tallies),
        "date_first": _date_text([t["first"] for t in tallies], min, with_precision),
        "date_last": _date_text([t["last"] for t in tallies], max, with_precision),
        "date_precision": sorted(set().union(*[t["precision"] for t in tallies])),
        "join": join,
    }


def _more(units: gpd.GeoDataFrame, s: Settings) -> Callable[..., dict[str, Any]]:
    """The extra tasks on the joined partitions: tallies, density surfaces and sample."""
    from ._dask_clusters import distinct_clusters
    from ._dask_density import partition_surface, summed_surface, surface_frame
    from ._dask_warn import diverted

    def more(dask: Any, joined: Sequence[Any], grid: Any, crs: Any, _b: Any, parts: Any) -> Any:
        bandwidth = s.bandwidth_km if s.bandwidth_km is not None else float(grid.cell_km)
        frame = surface_frame(tuple(units.to_crs(crs).total_bounds), bandwidth)
        quotas = sample_quotas([p.n for p in parts], int(s.dask_sample))
        delayed = dask.delayed
        tallies, surfaces, sample = dask.compute(
            [delayed(_tally)(p) for p in joined],
            [delayed(partition_surface)(p, crs, frame) for p in joined],
            [
                delayed(_sample)(p, k, s.seed, i)
                for i, (p, k) in enumerate(zip(joined, quotas, strict=True))
            ],
        )
        rows = pd.concat(sample, ignore_index=True)
        with diverted() as density_said:  # said at the density step (_staged), as by default
            surface = summed_surface(surfaces, frame)
        eps = s.eps_km if s.eps_km is not None else float(grid.cell_km)
        opts = {"crs": crs, "border": _b, "units": units, "eps_km": eps, "settings": s}
        points = distinct_clusters(dask, joined, **opts)  # (None, why): from the sample
        return {
            "totals": _totals(tallies),
            "surface": surface,
            "density_said": tuple(density_said),
            "points": points,
            "sample": gpd.GeoDataFrame(rows, geometry="geometry", crs=sample[0].crs),
            "sampled": sum(quotas) < sum(p.n for p in parts),
            # the public view's records (borderwatch._dask_public): the joined partitions
            "joined": list(joined) if s.view == "public" and not s.scheduler else None,
        }

    return more


def _hotspots(run: AggregateRun, s: Settings) -> Hotspots:
    """The pipeline's hotspot record from the aggregates."""
    from .hotspots import CellHotspots
    from .pipeline import Hotspots

    stats = run.stats
    outside = stats.n_incidents - int(stats.cells["count"].sum())
    if outside:
        warnings.warn(
            f"{outside} incidents fall outside every grid cell (outside the units) and are not counted.",
            BorderwatchWarning,
            stacklevel=3,
        )
    found = CellHotspots(
        cells=stats.cells,
        shape=run.grid.shape,
        cell_km=float(run.grid.cell_km),
        cell_km_source="user" if s.cell_km else "data",
        weights=run.weights,
        gi=run.gi,
        outside=outside,
        trend=run.trend,
        trend_skipped=run.trend_skipped,
    )
    return Hotspots(
        stats=found, units=stats.units, unit_weights=run.unit_weights, regions=stats.regions
    )


def _scanned(run: AggregateRun, s: Settings) -> Any:
    """The pipeline's scan record from the aggregates (None without replicates)."""
    from .scan import ScanResult

    if run.stats.scan is None:
        return None
    return ScanResult(
        clusters=run.stats.scan,
        replicates=int(s.scan_replicates),
        max_share=float(s.scan_max_share),
        alpha=float(s.alpha),
        seed=int(s.seed),
        null=s.scan_null,
        population="area" if run.population is None else "population",
        min_cases=2,
        keep_all=bool(s.scan_all),
        n_candidates=run.n_candidates,
        null_max=run.null_max,
    )


def aggregated(
    units: Any,
    incidents: Any,
    meetings: Any,
    s: Settings,
    say: Callable[[str], None],
    *,
    actions: Any,
) -> tuple[Inputs, Space, _Done] | None:
    """Steps 1 to 8 of ``analyze`` from aggregates; None when ``analyze`` runs them as
    usual (not the dask engine, or input that is not partitioned)."""
    if s.engine != "dask" or not is_partitioned(incidents):
        return None
    from ._dask_agg import run_aggregates  # here: their imports cost the default engine 0.3 s
    from ._dask_plan import late_pass, meetings_first
    from .pipeline import _units

    say("reading units")
    u = _units(units, s)
    files = partition_sources(incidents)
    mt, acts = meetings_first(meetings, u, s, say, actions=actions)  # the events' dates
    late = late_pass(u, s, meetings=mt, actions=acts)  # the evaluation's and planning's counts
    run = run_aggregates(
        u,
        files,
        settings=s,
        scheduler=s.scheduler,
        more=_more(u, s),
        say=say,
        late=late,
        source=str(incidents),
    )
    return _staged(run, u, incidents, mt, s, say, actions=acts)


def _staged(
    run: AggregateRun,
    u: gpd.GeoDataFrame,
    incidents: Any,
    meetings: Any,
    s: Settings,
    say: Callable[[str], None],
    *,
    actions: Any,
) -> tuple[Inputs, Space, _Done]:
    """The pipeline's records of steps 1 to 8 from the aggregates and the sample."""
    from ._dask_clusters import found_clusters
    from ._dask_eval import judged as judged_from
    from ._dask_warn import say as said
    from .borders import DEFAULT_TOLERANCE_M
    from .join import join_units
    from .pipeline import (
        Inputs,
        Joined,
        Space,
        _Done,
    )

    extra = run.extra
    mt = meetings  # read before the passes (_dask_plan.meetings_first)
    sample = extra["sample"]
    clusters_from = dict(extra["points"][1])
    clusters_from.pop("n_found", None)
    sampled_for = list(SAMPLED_FOR) if clusters_from["from"] == "sample" else ["incidents"]
    if extra["sampled"]:
        what = " and the point clusters use" if "clusters" in sampled_for else " uses"
        msg = (
            f"engine 'dask': the incident layer{what} a sample of "
            f"{len(sample):,} of the {run.stats.n_incidents:,} incidents (dask_sample); every "
            "count, hotspot statistic, the evaluation and the planning use all of them."
        )
        warnings.warn(msg, BorderwatchWarning, stacklevel=3)
    record = {
        "aggregated": list(AGGREGATED),
        "sampled_for": sampled_for,
        "sample": len(sample),
        "sampled": bool(extra["sampled"]),
        "clusters": clusters_from,
    }
    inputs = Inputs(
        units=u,
        incidents=sample,
        meetings=mt,
        dropped=run.dropped,
        source=str(incidents),
        decisions={**run.decisions, "dask": record},
        actions=actions,  # gathered with the meetings (_dask_plan.meetings_first)
        counts=run.late.planning,
    )
    space = Space(
        crs=run.crs, border=run.border, tolerance_m=float(DEFAULT_TOLERANCE_M), centre=run.centre
    )
    opts = {"border": run.border, "crs": run.crs, "tolerance_km": s.tolerance_km}
    joined = Joined(
        incidents=sample,
        meetings=join_units(mt, u, **opts) if mt is not None else None,
        units=run.stats.units,
        counts=run.stats.counts,
        population=run.population,
        partitions=run.stats.partitions,
        period=run.period,
        totals=extra["totals"],
    )
    hot = _hotspots(run, s)
    found = found_clusters(extra, joined, u, space, hot, s, say)  # _dask_clusters
    say("density surface (summed over the partitions)")
    said(extra["density_said"])
    say("evaluation (PAI on a temporal split)")
    judged = judged_from(run.late.evaluation, hot, s)  # from aggregates (_dask_eval)
    from ._dask_public import dask_records

    records = dask_records(extra, units=u, source=incidents, settings=s)
    surface = per_capita(extra["surface"], run.population)
    done = _Done(joined, hot, _scanned(run, s), found, surface, judged, records=records)
    return inputs, space, done
