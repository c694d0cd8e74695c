"""Evaluation and planning of partitioned input from aggregates (the dask engine).

Once :func:`borderwatch._dask_agg.run_aggregates` has the statistics (the hotspot
regions and scan clusters, hence the priorities' candidate areas), :func:`late_pass`
runs two more passes over the joined partitions on the workers:

1. the planning's counts (:func:`borderwatch.planning._tally.tally`): incidents and
   sensitive incidents per candidate area, dated incidents per unit x day, incidents per
   unit x quarter x source, the first and last date;
2. once the client knows the split date of the evaluation (from the dates of pass 1,
   :mod:`borderwatch._dask_eval`) and the day the priorities' windows end (the last
   date of the incidents and meetings, or ``as_of``): the incidents per candidate area
   in the recent window and the one before
   (:func:`borderwatch.planning._tally.windowed`), and the fit and test incidents per
   cell and the fit density (:func:`borderwatch._dask_eval.split_counts`).

Only these tables reach the client. :func:`borderwatch.planning.plan` and
:func:`borderwatch.planning.priorities` take them as ``counts=``, the evaluation is
scored from them (:func:`borderwatch._dask_eval.judged`): the priorities, the planning
tables (except the coverage rows of the point clusters, which come from the sample) and
the evaluation equal the default engine's on all rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd

from ._dask_eval import EvaluationCounts, EvaluationPlan, split_counts
from ._lattice import Grid
from .planning._tally import IncidentCounts
from .settings import Settings

__all__ = [
    "LateCounts",
    "candidate_areas_of",
    "event_dates",
    "late_pass",
    "meetings_first",
]


@dataclass(frozen=True)
class LateCounts:
    """The evaluation's and the planning's aggregates of partitioned input."""

    evaluation: EvaluationCounts
    planning: IncidentCounts


def candidate_areas_of(stats: Any) -> gpd.GeoDataFrame:
    """The priorities' candidate areas of the aggregate statistics, as
    :func:`borderwatch.planning._areas.candidate_areas` finds them on the result that
    :func:`borderwatch.pipeline.analyze` builds of them (EPSG:4326)."""
    from ._crs import WGS84
    from ._geom import to_crs_valid
    from .planning._areas import candidate_areas

    regions = stats.regions
    like = SimpleNamespace(
        hotspots=to_crs_valid(regions, WGS84) if len(regions) else regions,
        scan=None if stats.scan is None else to_crs_valid(stats.scan, WGS84),
        units=stats.units,
    )
    return candidate_areas(like)


def _second(
    part: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    end: pd.Timestamp,
    days: int,
    plan: EvaluationPlan,
) -> dict[str, Any]:
    """Pass 2 on a worker: the areas' recent and earlier counts, the split counts."""
    from .planning._tally import windowed

    out: dict[str, Any] = {"areas": windowed(part, areas, end, days)}
    if plan.ready:
        out["split"] = split_counts(part, plan.split, plan.grids, plan.frame)  # type: ignore[arg-type]
    return out


def meetings_first(
    meetings: Any, units: gpd.GeoDataFrame, s: Settings, say: Callable[[str], None], *, actions: Any
) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """The meetings and the agreed actions, read before the incidents' passes (the
    effectiveness windows are counted around their dates on the workers)."""
    from ._inputs import located
    from .pipeline import _actions, read_meetings

    mt = None
    if meetings is not None:
        say("reading meetings")
        mt = (
            meetings.copy()
            if isinstance(meetings, gpd.GeoDataFrame)
            and "attendance" in meetings.columns
            and located(meetings)
            else read_meetings(meetings, units=units, **s.reading, **s.meeting_columns)
        )
    return mt, _actions(actions if actions is not None else s.actions, mt, s, say)


def event_dates(meetings: pd.DataFrame | None, actions: pd.DataFrame | None) -> list[pd.Timestamp]:
    """The dates of the meetings and of the done actions (every event
    :func:`borderwatch.planning.effectiveness` may look at), distinct.

    Examples
    --------
    >>> m = pd.DataFrame({"date": ["2024-03-01", "2024-03-01", None]})
    >>> a = pd.DataFrame({"status": ["done", "open"], "done_date": ["2024-05-02", "2024-06-01"]})
    >>> [str(t.date()) for t in event_dates(m, a)]
    ['2024-03-01', '2024-05-02']
    """
    found: list[pd.Series] = []
    if meetings is not None and len(meetings) and "date" in meetings.columns:
        found.append(pd.to_datetime(meetings["date"]))
    if actions is not None and len(actions) and {"status", "done_date"} <= set(actions.columns):
        done = actions[actions["status"] == "done"]
        found.append(pd.to_datetime(done["done_date"]))
    if not found:
        return []
    dates = pd.concat([f.dropna() for f in found]).drop_duplicates().sort_values()
    return [pd.Timestamp(t) for t in dates]


def late_pass(
    units: gpd.GeoDataFrame,
    s: Settings,
    *,
    meetings: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
) -> Callable[[Any, Sequence[Any], Grid, Any, Any], LateCounts]:
    """The ``late`` tasks of :func:`~borderwatch._dask_agg.run_aggregates` for
    ``analyze``: the evaluation's and the planning's aggregates (the effectiveness
    windows around the dates of ``meetings`` and done ``actions``)."""
    from ._dask_eval import evaluation_counts, evaluation_plan
    from .planning._tally import as_of_of, merged, tally, with_windows

    events = event_dates(meetings, actions)
    days = int(s.effect_days)
    recent = int(s.coverage_days)

    def late(dask: Any, joined: Sequence[Any], grid: Grid, crs: Any, stats: Any) -> LateCounts:
        delayed = dask.delayed
        areas = candidate_areas_of(stats)
        ids = tuple(stats.units["unit_id"].astype(str))
        opts = {"source_column": s.reported_by_col, "unit_ids": ids, "events": events}
        first = dask.compute(*[delayed(tally)(p, areas, **opts, effect_days=days) for p in joined])
        counted = merged(first, areas, unit_ids=ids, effect_days=days)
        plan = evaluation_plan(counted.days, grid, units, crs, s)
        end = as_of_of(counted, s.as_of, meetings)
        second = dask.compute(*[delayed(_second)(p, areas, end, recent, plan) for p in joined])
        return LateCounts(
            evaluation=evaluation_counts(plan, [g["split"] for g in second if "split" in g]),
            planning=with_windows(counted, [g["areas"] for g in second], end, recent),
        )

    return late
