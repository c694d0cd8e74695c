"""Coverage of areas by community meetings, and outreach gaps (:func:`coverage`).

For every area (hotspot region, scan cluster, DBSCAN cluster or unit) it
reports the meetings held within ``radius_km`` of the area in the last
``window_days`` days, the days since the last meeting within reach, the
distance to the nearest meeting venue, and, for an area on both sides of a
border, which sides a recent meeting covers. A meeting covers a side when it
is held in that country (its unit's country): a meeting in Niger 15 km from a
Mali–Niger hotspot covers the Niger side only.

An **outreach gap** is a hotspot with no recent meeting within reach, or a
cross-border hotspot covered on one side only. Days are counted back from
``as_of``: by default the last date of the data (incidents and meetings), so
that a rerun on the same data gives the same answer (:func:`data_as_of`).
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._crs import study_crs
from .._errors import DataError

__all__ = ["COVERAGE_COLUMNS", "DEFAULT_RADIUS_KM", "DEFAULT_WINDOW_DAYS", "coverage", "data_as_of"]

#: Default reach of a meeting (km) and look-back window (days).
DEFAULT_RADIUS_KM: Final = 20.0
DEFAULT_WINDOW_DAYS: Final = 90

#: The columns :func:`coverage` adds, in order.
COVERAGE_COLUMNS: Final = (
    "meetings_recent",
    "last_meeting",
    "days_since_meeting",
    "nearest_meeting_km",
    "sides",
    "sides_covered",
    "covered_all_sides",
    "outreach_gap",
    "gap_kind",
)


def data_as_of(*frames: pd.DataFrame | None) -> pd.Timestamp | None:
    """The last date of the given frames' ``date`` columns (None without dates).

    Examples
    --------
    >>> a = pd.DataFrame({"date": pd.to_datetime(["2024-01-03", "2024-02-01"])})
    >>> b = pd.DataFrame({"date": pd.to_datetime(["2024-03-09", None])})
    >>> str(data_as_of(a, b, None).date())
    '2024-03-09'
    """
    last = [
        pd.to_datetime(f["date"]).max()
        for f in frames
        if f is not None and "date" in f.columns and len(f)
    ]
    last = [d for d in last if not pd.isna(d)]
    return max(last) if last else None


def _sides(areas: gpd.GeoDataFrame) -> list[tuple[str, ...]]:
    col = "countries" if "countries" in areas.columns else "country"
    if col not in areas.columns:
        return [()] * len(areas)
    return [
        tuple(sorted({c.strip() for c in str(v).replace(";", ",").split(",") if c.strip()}))
        if isinstance(v, str)
        else ()
        for v in areas[col]
    ]


def coverage(
    areas: gpd.GeoDataFrame,
    meetings: gpd.GeoDataFrame | None,
    *,
    as_of: pd.Timestamp | str | None = None,
    radius_km: float = DEFAULT_RADIUS_KM,
    window_days: int = DEFAULT_WINDOW_DAYS,
    hot: np.ndarray | None = None,
    crs: CRS | None = None,
) -> gpd.GeoDataFrame:
    """How well community meetings cover each area; where the outreach gaps are.

    Parameters
    ----------
    areas : GeoDataFrame
        Polygons with ``countries`` (ISO3, comma-separated) or ``country``,
        and ``cross_border`` when known.
    meetings : GeoDataFrame or None
        Joined meetings (points) with ``date`` and ``country`` (the unit's).
    as_of : date, optional
        The day the look-back window ends; default the last meeting date.
    radius_km, window_days : optional
        A meeting within ``radius_km`` of an area in the ``window_days`` days
        up to ``as_of`` is recent and covers it (defaults 20 km, 90 days).
    hot : array of bool, optional
        Which areas are hotspots (only they can be outreach gaps); default all.
    crs : CRS, optional
        Metric CRS of the distances (default: :func:`borderwatch.study_crs`).

    Returns
    -------
    GeoDataFrame
        ``areas`` with :data:`COVERAGE_COLUMNS`: ``meetings_recent`` (count),
        ``last_meeting`` (date of the last meeting within reach up to
        ``as_of``), ``days_since_meeting`` (NaN when none), ``nearest_meeting_km``
        (to any meeting venue; NaN without meetings), ``sides`` and
        ``sides_covered`` (ISO3 codes), ``covered_all_sides``, ``outreach_gap``
        and ``gap_kind`` (``"no meeting"``, ``"one side"`` or None).

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame({"countries": ["MLI,NER"], "cross_border": [True]},
    ...                          geometry=[box(0.9, 14.9, 1.1, 15.1)], crs=4326)
    >>> mt = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-05-01"]), "country": ["NER"]},
    ...                       geometry=[Point(1.15, 15.0)], crs=4326)
    >>> cov = coverage(areas, mt, as_of="2024-06-01")
    >>> cov[["meetings_recent", "sides_covered", "outreach_gap", "gap_kind"]].to_dict("records")
    [{'meetings_recent': 1, 'sides_covered': 'NER', 'outreach_gap': True, 'gap_kind': 'one side'}]
    """
    if not (np.isfinite(radius_km) and radius_km > 0) or int(window_days) < 1:
        msg = (
            f"coverage needs a positive radius and window (got radius_km={radius_km!r}, "
            f"window_days={window_days!r}). Hint: the defaults are 20 km and 90 days."
        )
        raise DataError(msg)
    out = areas.copy()
    n = len(out)
    hot_mask = np.ones(n, dtype=bool) if hot is None else np.asarray(hot, dtype=bool)
    sides = _sides(out)
    mt = meetings if meetings is not None and len(meetings) else None
    recent = np.zeros(n, dtype=int)
    last = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    nearest = np.full(n, np.nan)
    covered: list[tuple[str, ...]] = [()] * n
    if mt is not None and n:
        metric = crs or study_crs(out)
        geoms = out.to_crs(metric).geometry.to_numpy()
        pts = mt.to_crs(metric).reset_index(drop=True)
        day = (
            pd.to_datetime(pts["date"])
            if "date" in pts.columns
            else pd.Series(pd.NaT, index=pts.index)
        )
        end = pd.Timestamp(as_of) if as_of is not None else day.max()
        start = end - pd.Timedelta(days=int(window_days))
        ok_date = (day <= end).to_numpy()
        is_recent = (ok_date & (day > start)).to_numpy()
        country = (
            pts["country"].astype(object).to_numpy()
            if "country" in pts.columns
            else np.full(len(pts), None)
        )
        near_i, dist = pts.sindex.nearest(geoms, return_distance=True, return_all=False)
        nearest[near_i[0]] = np.asarray(dist) / 1000.0
        a_idx, m_idx = pts.sindex.query(geoms, predicate="dwithin", distance=radius_km * 1000.0)
        for i in range(n):
            hits = m_idx[a_idx == i]
            rec = hits[is_recent[hits]]
            recent[i] = len(rec)
            past = hits[ok_date[hits]]
            if len(past):
                last.iloc[i] = day.iloc[past].max()
            covered[i] = tuple(sorted({str(c) for c in country[rec] if isinstance(c, str)}))
        days = (end - last).dt.days.to_numpy(dtype=float)
    else:
        days = np.full(n, np.nan)
    out["meetings_recent"] = recent
    out["last_meeting"] = last.to_numpy()
    out["days_since_meeting"] = days
    out["nearest_meeting_km"] = nearest
    out["sides"] = [",".join(s) for s in sides]
    out["sides_covered"] = [",".join(c) for c in covered]
    all_sides = np.array(
        [bool(c) and set(s) <= set(c) for s, c in zip(sides, covered, strict=True)]
    )
    out["covered_all_sides"] = all_sides
    none = recent == 0
    one_side = ~none & ~all_sides & np.array([len(s) >= 2 for s in sides], dtype=bool)
    out["outreach_gap"] = hot_mask & (none | one_side)
    kinds: list[str | None] = [None] * n
    for j in np.flatnonzero(hot_mask & none).tolist():
        kinds[j] = "no meeting"
    for j in np.flatnonzero(hot_mask & one_side).tolist():
        kinds[j] = "one side"
    out["gap_kind"] = pd.Series(kinds, index=out.index, dtype=object)
    return out
