"""The incidents as the planning reads them, counted: :class:`IncidentCounts`.

The planning tables and the priorities read few things of the incidents: how many lie
in each candidate area (all, by date, sensitive), how many each unit recorded per day
(the effectiveness windows), the counts by source, unit and quarter, and the first and
last date. :func:`tally` counts them on one part of the incidents (a dask partition,
on a worker) exactly as :func:`~borderwatch.planning.priorities`,
:func:`~borderwatch.planning.effectiveness` and :func:`~borderwatch.planning.sources`
count them on the points; :func:`merged` sums the parts. With ``counts=`` those
functions then give what they give on all the incidents, without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._crs import WGS84
from .._errors import DataError

__all__ = [
    "IncidentCounts",
    "area_ids",
    "last_dated",
    "merged",
    "tally",
    "as_of_of",
    "windowed",
    "with_windows",
]

_SOURCE_KEYS = ["unit_id", "country", "period", "source"]


@dataclass(frozen=True)
class IncidentCounts:
    """What the planning needs of the incidents, counted (no rows).

    Attributes
    ----------
    n : int
        Incidents.
    first, last : Timestamp or None
        The first and last date (None without dated incidents).
    area_ids : tuple of str
        The candidate areas counted (``kind:area_id``, in the order of
        :func:`borderwatch.planning._areas.candidate_areas`).
    area_total, area_sensitive : ndarray
        Incidents and sensitive incidents in each area.
    has_sensitive : bool
        Whether the incidents carry the ``sensitive`` flag.
    area_recent, area_earlier : ndarray or None
        Incidents in each area dated in the priorities' recent window ``(as_of - span,
        as_of]`` and the one before (``span``: ``recent_days``); None before they are
        counted.
    as_of : Timestamp or None
        The day the windows end.
    recent_days : int
        Their span.
    days : Series
        Dated incidents per distinct date (ascending).
    unit_ids : tuple of str
        The units of the event windows (the result's units, in order).
    events : dict
        For each event date ``t`` (meetings, done actions): the incidents per unit dated
        in ``[t - span, t)`` and in ``[t, t + span)`` (``span``: ``effect_days``), as two
        arrays over ``unit_ids``.
    effect_days : int
        The span of the event windows.
    sources : DataFrame or None
        :func:`~borderwatch.planning.sources`' table, or None when the incidents carry no
        source.
    """

    n: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    area_ids: tuple[str, ...]
    area_total: np.ndarray
    area_sensitive: np.ndarray
    has_sensitive: bool
    days: pd.Series
    unit_ids: tuple[str, ...]
    events: dict[pd.Timestamp, tuple[np.ndarray, np.ndarray]]
    effect_days: int
    sources: pd.DataFrame | None
    area_recent: np.ndarray | None = None
    area_earlier: np.ndarray | None = None
    as_of: pd.Timestamp | None = None
    recent_days: int = 0

    def recent(self, end: pd.Timestamp, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Incidents per area in the ``days`` up to ``end`` and in the ``days`` before."""
        if (
            self.area_recent is None
            or self.area_earlier is None
            or self.as_of != end
            or int(days) != self.recent_days
        ):
            msg = f"the area counts are of the {self.recent_days} days up to {self.as_of}, not of {days} days up to {end}. Hint: count them for this window."
            raise DataError(msg)
        return self.area_recent.astype(int), self.area_earlier.astype(int)

    def around(
        self, t: pd.Timestamp, days: int, units: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Incidents per unit of ``units`` in the ``days`` before and from ``t``."""
        if pd.isna(t):  # an event without a date: its windows hold nothing
            return np.zeros(len(self.unit_ids), np.int64), np.zeros(len(self.unit_ids), np.int64)
        got = self.events.get(pd.Timestamp(t).as_unit("ns"))
        if got is None or int(days) != self.effect_days or tuple(units) != self.unit_ids:
            msg = f"the event windows were counted for other events, units or spans than {t} and {days} days. Hint: count them for these meetings and actions."
            raise DataError(msg)
        return got


def area_ids(areas: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The keys of the candidate areas (``kind:area_id``)."""
    return tuple(f"{k}:{a}" for k, a in zip(areas["kind"], areas["area_id"], strict=True))


def last_dated(counts: IncidentCounts) -> pd.DataFrame:
    """A one-row frame with the incidents' last ``date`` (for ``data_as_of``)."""
    return pd.DataFrame({"date": [counts.last] if counts.last is not None else []})


def _source_part(part: pd.DataFrame, column: str | None) -> dict[str, Any]:
    """The source column of a part, how many of its values name a source (and a known
    one), and its table by source (as :func:`~borderwatch.planning.sources` builds it)."""
    from ..io._columns import find
    from .sources import SOURCE_NAMES, _by_source, _given, classify_source

    col = _given(part, column) if column is not None else find(part, SOURCE_NAMES)
    if col is None:
        return {"column": None, "named": 0, "known": 0, "table": None}
    kinds = part[col].map(classify_source).dropna()
    return {
        "column": col,
        "named": len(kinds),
        "known": int((kinds != "other").sum()),
        "table": _by_source(part, col),
    }


def _points(part: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> tuple[Any, ...]:
    """The part in EPSG:4326, its dates, and the (area, incident) pairs where the area
    contains the incident (as :func:`~borderwatch.planning._areas.count_in` finds them)."""
    inc = part.to_crs(WGS84)
    if "date" in inc.columns:
        date = pd.to_datetime(inc["date"])
    else:
        date = pd.Series(pd.NaT, index=inc.index, dtype="datetime64[ns]")
    if len(inc) and len(areas):
        a_idx, p_idx = inc.sindex.query(areas.geometry, predicate="contains")
    else:
        a_idx, p_idx = np.zeros(0, np.int64), np.zeros(0, np.int64)
    return inc, date, a_idx, p_idx


def _event_windows(
    inc: pd.DataFrame,
    date: pd.Series,
    unit_ids: Sequence[str],
    events: Sequence[pd.Timestamp],
    days: int,
) -> dict[pd.Timestamp, tuple[np.ndarray, np.ndarray]]:
    """Incidents per unit before and from each event date (as ``effectiveness`` counts)."""
    from .effectiveness import _window_counts

    pos = {u: i for i, u in enumerate(unit_ids)}
    inc_unit = inc["unit_id"].astype(str).map(pos).fillna(-1).to_numpy(dtype=int)
    inc_day = date.to_numpy()
    span = pd.Timedelta(days=int(days))
    n = len(unit_ids)
    return {
        t: (
            _window_counts(inc_unit, inc_day, n, t - span, t).astype(np.int64),
            _window_counts(inc_unit, inc_day, n, t, t + span).astype(np.int64),
        )
        for t in (pd.Timestamp(e).as_unit("ns") for e in events)
    }


def tally(
    part: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    source_column: str | None = None,
    unit_ids: Sequence[str] = (),
    events: Sequence[pd.Timestamp] = (),
    effect_days: int = 90,
) -> dict[str, Any]:
    """The planning's counts of one part of the joined incidents (on a worker), but the
    areas' counts by date (:func:`windowed`)."""
    inc, date, a_idx, p_idx = _points(part, areas)
    has_sens = "sensitive" in inc.columns
    sens = inc["sensitive"].fillna(False).to_numpy(dtype=bool) if has_sens else None
    n_areas = len(areas)
    hit = sens[p_idx] if sens is not None else np.zeros(len(p_idx), bool)
    dated = date.notna().to_numpy()
    return {
        "n": len(inc),
        "first": date.min() if dated.any() else None,
        "last": date.max() if dated.any() else None,
        "area_total": np.bincount(a_idx, minlength=n_areas).astype(np.int64),
        "area_sensitive": np.bincount(a_idx[hit], minlength=n_areas).astype(np.int64),
        "has_sensitive": has_sens,
        "days": date[dated].value_counts(sort=False),
        "events": _event_windows(inc, date, unit_ids, events, effect_days),
        "sources": _source_part(inc, source_column),
    }


def windowed(
    part: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, end: pd.Timestamp, days: int
) -> np.ndarray:
    """A part's incidents per area in the ``days`` up to ``end`` (row 0) and in the
    ``days`` before (row 1), as the priorities count them."""
    _, date, a_idx, p_idx = _points(part, areas)
    d = date.iloc[p_idx]
    span = pd.Timedelta(days=int(days))
    recent = ((d > end - span) & (d <= end)).to_numpy()
    earlier = ((d > end - 2 * span) & (d <= end - span)).to_numpy()
    n = len(areas)
    return np.vstack(
        [np.bincount(a_idx[recent], minlength=n), np.bincount(a_idx[earlier], minlength=n)]
    ).astype(np.int64)


def as_of_of(counts: IncidentCounts, as_of: Any, meetings: pd.DataFrame | None) -> pd.Timestamp:
    """The day the priorities' windows end in the pipeline: ``as_of``, else the last date
    of the incidents and meetings (today without any), as :func:`~borderwatch.planning.plan`
    writes it (a day)."""
    from .coverage import data_as_of

    end = pd.Timestamp(as_of) if as_of else data_as_of(last_dated(counts), meetings)
    end = end if end is not None else pd.Timestamp("today").normalize()
    return pd.Timestamp(end.strftime("%Y-%m-%d"))


def _summed(frames: Sequence[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    found = [f for f in frames if f is not None and len(f)]
    if not found:
        return frames[0].iloc[:0] if len(frames) else pd.DataFrame(columns=[*keys, "count"])
    return (
        pd.concat(found, ignore_index=True)
        .groupby(keys, dropna=False, sort=True)
        .sum()
        .reset_index()
    )


def _sources(parts: Sequence[dict[str, Any]]) -> pd.DataFrame | None:
    """The sources table of all parts: their column when they agree and at least half of
    its values name a known source (as :func:`~borderwatch.planning.sources` decides)."""
    cols = {p["column"] for p in parts if p["column"] is not None}
    named = sum(p["named"] for p in parts)
    known = sum(p["known"] for p in parts)
    if len(cols) != 1 or not named or known / named < 0.5:
        return None
    tables = [p["table"] for p in parts if p["table"] is not None]
    out = pd.concat(tables, ignore_index=True).groupby(_SOURCE_KEYS, sort=True).sum().reset_index()
    return out[[*_SOURCE_KEYS, "count", "sensitive"]]


def _days(parts: Sequence[dict[str, Any]]) -> pd.Series:
    found = [p["days"] for p in parts if len(p["days"])]
    if not found:
        return pd.Series(dtype="int64")
    return pd.concat(found).groupby(level=0).sum().sort_index()


def _events(
    parts: Sequence[dict[str, Any]],
) -> dict[pd.Timestamp, tuple[np.ndarray, np.ndarray]]:
    if not parts:
        return {}
    return {
        t: (
            np.sum([p["events"][t][0] for p in parts], axis=0),
            np.sum([p["events"][t][1] for p in parts], axis=0),
        )
        for t in parts[0]["events"]
    }


def merged(
    parts: Sequence[dict[str, Any]],
    areas: gpd.GeoDataFrame,
    *,
    unit_ids: Sequence[str] = (),
    effect_days: int = 90,
) -> IncidentCounts:
    """The parts' :func:`tally` summed."""
    firsts = [p["first"] for p in parts if p["first"] is not None]
    lasts = [p["last"] for p in parts if p["last"] is not None]
    n_areas = len(areas)
    zeros = np.zeros(n_areas, np.int64)
    return IncidentCounts(
        n=sum(int(p["n"]) for p in parts),
        first=min(firsts) if firsts else None,
        last=max(lasts) if lasts else None,
        area_ids=area_ids(areas),
        area_total=np.sum([p["area_total"] for p in parts], axis=0) if parts else zeros,
        area_sensitive=np.sum([p["area_sensitive"] for p in parts], axis=0) if parts else zeros,
        has_sensitive=any(p["has_sensitive"] for p in parts),
        days=_days(parts),
        unit_ids=tuple(unit_ids),
        events=_events(parts),
        effect_days=int(effect_days),
        sources=_sources([p["sources"] for p in parts]),
    )


def with_windows(
    counts: IncidentCounts, windows: Sequence[np.ndarray], end: pd.Timestamp, days: int
) -> IncidentCounts:
    """``counts`` with the parts' :func:`windowed` counts summed."""
    summed = np.sum(windows, axis=0) if len(windows) else np.zeros((2, len(counts.area_ids)), int)
    return replace(
        counts, area_recent=summed[0], area_earlier=summed[1], as_of=end, recent_days=int(days)
    )
