"""Where the next patrol and outreach visit go, and why: :func:`priorities`.

Areas are ranked by a transparent score: a weighted sum of named components,
each scaled to 0–1 and kept as a column (``score_<name>``), divided by the sum
of the weights used (so the score is 0–1 too):

* ``strength``: how concentrated incidents are: log(relative risk) / the largest
  log(relative risk) of the areas (the scan cluster's own relative risk; for a
  hotspot region or a unit, its incidents against those expected from its share
  of the study area). Relative risk puts scan clusters and Gi* regions on one scale.
* ``trend``: the commonest emerging-hotspot pattern of its cells (new or
  intensifying 1, consecutive 0.75, persistent/sporadic/oscillating 0.5,
  diminishing 0.25, historical or none 0).
* ``cross_border``: 1 for an area on both sides of a border.
* ``sensitive``: the share of sensitive incidents (victims needing protection),
  counted only where the area holds at least ``k`` of them, over the largest share.
* ``outreach``: 1 with no recent meeting within reach, 0.5 when a cross-border
  area is covered on one side only, else 0 (:func:`~borderwatch.planning.coverage.coverage`).
* ``overdue``: open actions past their due date within reach, over the largest number.
* ``population``: people living in the area (population raster), over the largest;
  left out of the score without a raster.

The weights are settings (``priority_weights``; defaults in
:data:`borderwatch.settings.PRIORITY_WEIGHTS`). Candidates are the hotspot
regions and the scan clusters that overlap none of them; the units when there
are neither.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .._crs import WGS84, study_crs
from .._errors import DataError
from ..places import places_in
from ..settings import Settings
from ._areas import TREND_SCORES, candidate_areas, counts_in, locate_actions, trend_of
from ._reasons import reasons
from ._tally import IncidentCounts, area_ids, last_dated
from .coverage import coverage, data_as_of

__all__ = ["COMPONENTS", "priorities"]

#: The score's components, in column order (``score_<name>``).
COMPONENTS: Final = (
    "strength",
    "trend",
    "cross_border",
    "sensitive",
    "outreach",
    "overdue",
    "population",
)


def priorities(
    result: Any,
    settings: Settings | None = None,
    *,
    actions: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
    lang: str | None = None,
    counts: IncidentCounts | None = None,
) -> gpd.GeoDataFrame:
    """Rank the areas where the next patrol and outreach visit should go.

    Parameters
    ----------
    result : AnalysisResult
        An analysis in the internal view (it needs the incidents).
    settings : Settings, optional
        ``coverage_km``, ``coverage_days``, ``priority_weights``, ``k``,
        ``as_of``, ``lang``, ``population``; default the result's.
    actions : DataFrame, optional
        Agreed actions (:func:`~borderwatch.planning.actions.read_actions`).
    as_of : date, optional
        The day counted back from (default ``settings.as_of``, else the last
        date of the incidents and meetings).
    lang : str, optional
        Language of ``reason`` (default the first of ``settings.lang``).
    counts : IncidentCounts, optional
        The incidents counted per area, day and source (the dask engine's aggregates,
        :mod:`borderwatch.planning._tally`), used instead of ``result.incidents``:
        the same ranking as from all the incidents.

    Returns
    -------
    GeoDataFrame
        One row per area, best first, in EPSG:4326: ``priority_id`` (= ``rank``),
        ``rank``, ``score``, ``score_<component>`` for each of :data:`COMPONENTS`,
        ``kind`` (hotspot, scan, unit), ``area_id``, ``cross_border``,
        ``countries``, ``outreach_gap``, ``gap_kind``, ``place``, ``towns``,
        ``units``, ``n_incidents``, ``recent_incidents`` and
        ``earlier_incidents`` (the last ``coverage_days`` days and the same
        span before), ``trend`` (rising, falling, steady), ``trend_class``,
        ``relative_risk``, ``sensitive_incidents``, coverage
        (``meetings_recent``, ``last_meeting``, ``days_since_meeting``,
        ``nearest_meeting_km``, ``sides_covered``), ``overdue_actions``,
        ``population`` and ``reason``.

    Examples
    --------
    >>> import pickle, warnings
    >>> import borderwatch as bw
    >>> from borderwatch.datasets import demo_incidents, demo_units
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     units = demo_units()
    ...     res = bw.analyze(units, demo_incidents(n_background=200, units=units),
    ...                      view="internal", permutations=99, scan_replicates=0)
    >>> p = priorities(res)
    >>> p["rank"].tolist() == list(range(1, len(p) + 1)), bool(p["score"].between(0, 1).all())
    (True, True)
    """
    s = settings or result.settings
    if result.incidents is None and counts is None:
        msg = (
            "priorities need the incidents, and this is a public result. Hint: run "
            "analyze(..., view='internal') and take result.priorities, or read priorities.csv."
        )
        raise DataError(msg)
    areas = candidate_areas(result)
    inc = result.incidents.to_crs(WGS84) if counts is None else last_dated(counts)
    end = _as_of(as_of if as_of is not None else s.as_of, inc, result.meetings)
    days = int(s.coverage_days)
    study_km2 = float(result.units.to_crs(result.crs).area.sum()) / 1e6
    if counts is None:
        out = _counts(areas, inc, end=end, days=days, study_km2=study_km2)
    else:
        out = _counted(areas, counts, end=end, days=days, study_km2=study_km2)
    out["trend_class"] = trend_of(out, result.cells)
    cov = coverage(
        out, result.meetings, as_of=end, radius_km=s.coverage_km, window_days=days, crs=result.crs
    )
    out = cov
    out["overdue_actions"] = _overdue(out, actions, result, end=end, radius_km=s.coverage_km)
    out["population"] = _population(out, s)
    out = _score(out, s.score_weights, k=int(s.k))
    out = _places(out, result.units)
    out["reason"] = reasons(
        out,
        lang=lang or s.languages[0],
        radius_km=s.coverage_km,
        window_days=days,
        k=int(s.k),
    )
    return out


def _as_of(given: Any, inc: pd.DataFrame, meetings: pd.DataFrame | None) -> pd.Timestamp:
    """``given``, else the data's last date, else today (undated data)."""
    end = pd.Timestamp(given) if given is not None else data_as_of(inc, meetings)
    return end if end is not None else pd.Timestamp("today").normalize()


def _counts(
    areas: gpd.GeoDataFrame,
    inc: gpd.GeoDataFrame,
    *,
    end: pd.Timestamp,
    days: int,
    study_km2: float,
) -> gpd.GeoDataFrame:
    """Incidents in each area: all, recent, earlier, sensitive; relative risk and trend."""
    out = areas.copy()
    date = pd.to_datetime(inc["date"])
    span = pd.Timedelta(days=days)
    sens = inc["sensitive"].fillna(False).to_numpy(dtype=bool) if "sensitive" in inc else None
    masks = [
        None,
        ((date > end - span) & (date <= end)).to_numpy(),
        ((date > end - 2 * span) & (date <= end - span)).to_numpy(),
    ]
    every, recent, earlier, *rest = counts_in(
        out, inc, masks=masks + ([sens] if sens is not None else [])
    )
    out["n_incidents"] = every
    out["recent_incidents"], out["earlier_incidents"] = recent, earlier
    out["sensitive_incidents"] = rest[0] if sens is not None else 0
    dated = bool(date.notna().any())
    return _trends(out, recent, earlier, dated=dated, total=len(inc), study_km2=study_km2)


def _counted(
    areas: gpd.GeoDataFrame,
    counts: IncidentCounts,
    *,
    end: pd.Timestamp,
    days: int,
    study_km2: float,
) -> gpd.GeoDataFrame:
    """:func:`_counts` from the incidents counted per area and day."""
    if counts.area_ids != area_ids(areas):
        msg = "priorities: the counts are of other areas than this result's. Hint: count them from this result."
        raise DataError(msg)
    out = areas.copy()
    n = len(out)
    out["n_incidents"] = counts.area_total.astype(int)
    dated = counts.first is not None
    recent, earlier = counts.recent(end, days) if dated else (np.zeros(n, int), np.zeros(n, int))
    out["recent_incidents"], out["earlier_incidents"] = recent, earlier
    out["sensitive_incidents"] = counts.area_sensitive.astype(int) if counts.has_sensitive else 0
    return _trends(out, recent, earlier, dated=dated, total=counts.n, study_km2=study_km2)


def _trends(
    out: gpd.GeoDataFrame,
    recent: np.ndarray,
    earlier: np.ndarray,
    *,
    dated: bool,
    total: int,
    study_km2: float,
) -> gpd.GeoDataFrame:
    """The areas' trend and relative risk (their recent and earlier counts hidden
    without dates)."""
    rising = (recent > 1.25 * earlier) & (recent - earlier >= 3)
    falling = (recent < 0.8 * earlier) & (earlier - recent >= 3)
    out["trend"] = np.where(rising, "rising", np.where(falling, "falling", "steady"))
    out["dated"] = dated
    if not out["dated"].all():  # undated incidents: no recent window, no trend
        out["recent_incidents"] = out["earlier_incidents"] = pd.NA
        out["trend"] = None
    out["relative_risk"] = _relative_risk(out, total=total, study_km2=study_km2)
    return out


def _relative_risk(areas: gpd.GeoDataFrame, *, total: int, study_km2: float) -> np.ndarray:
    """The scan's relative risk where given; else incidents / incidents expected by area."""
    given = (
        pd.to_numeric(areas["relative_risk"], errors="coerce").to_numpy(dtype=float)
        if "relative_risk" in areas.columns
        else np.full(len(areas), np.nan)
    )
    km2 = areas.to_crs(study_crs(areas)).area.to_numpy() / 1e6 if len(areas) else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = total * km2 / study_km2 if study_km2 > 0 else np.full(len(areas), np.nan)
        own = np.where(expected > 0, areas["n_incidents"].to_numpy(dtype=float) / expected, np.nan)
    return np.where(np.isfinite(given), given, own)


def _overdue(
    areas: gpd.GeoDataFrame,
    actions: pd.DataFrame | None,
    result: Any,
    *,
    end: pd.Timestamp,
    radius_km: float,
) -> np.ndarray:
    """Open actions past due on ``end`` within ``radius_km`` of each area."""
    out = np.zeros(len(areas), dtype=int)
    pts = locate_actions(actions, result.meetings, result.units)
    if pts is None or not len(areas):
        return out
    due = pd.to_datetime(pts["due"])
    late = pts[((pts["status"] == "open") & due.notna() & (due < end)).to_numpy()]
    if not len(late):
        return out
    crs = result.crs
    a_idx, _ = late.to_crs(crs).sindex.query(
        areas.to_crs(crs).geometry, predicate="dwithin", distance=radius_km * 1000.0
    )
    return np.bincount(a_idx, minlength=len(areas)).astype(int)


def _population(areas: gpd.GeoDataFrame, s: Settings) -> np.ndarray:
    """People in each area (sum of the raster's cells whose centre lies inside), or NaN."""
    if s.population is None or not len(areas):
        return np.full(len(areas), np.nan)
    from rasterio.features import geometry_mask

    from .._population import read_population

    raster = read_population(s.population)
    geoms = areas.to_crs(raster.crs).geometry
    out = []
    for g in geoms:
        inside = ~geometry_mask([g], out_shape=raster.values.shape, transform=raster.transform)
        out.append(float(raster.values[inside].sum()))
    return np.asarray(out, dtype=float)


def _scaled(values: np.ndarray) -> np.ndarray:
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    top = float(v.max()) if len(v) else 0.0
    return v / top if top > 0 else np.zeros(len(v))


def _components(areas: gpd.GeoDataFrame, *, k: int) -> dict[str, np.ndarray]:
    n = areas["n_incidents"].to_numpy(dtype=float)
    rr = areas["relative_risk"].to_numpy(dtype=float)
    sens = areas["sensitive_incidents"].to_numpy(dtype=float)
    sens = np.where(sens >= k, sens, 0.0)  # sensitive categories only in aggregates >= k
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rr = np.where(np.isfinite(rr) & (rr > 1), np.log(np.where(rr > 1, rr, 1.0)), 0.0)
        share = np.where(n > 0, sens / n, 0.0)
    pattern = areas["trend_class"].tolist()
    gap = areas["gap_kind"].tolist()
    return {
        "strength": _scaled(np.where(np.isinf(rr), np.nanmax(log_rr, initial=0.0) or 1.0, log_rr)),
        "trend": np.array([TREND_SCORES.get(str(p), 0.0) for p in pattern], dtype=float),
        "cross_border": areas["cross_border"].fillna(False).to_numpy(dtype=float),
        "sensitive": _scaled(share),
        "outreach": np.array(
            [1.0 if g == "no meeting" else 0.5 if g == "one side" else 0.0 for g in gap]
        ),
        "overdue": _scaled(areas["overdue_actions"].to_numpy(dtype=float)),
        "population": _scaled(areas["population"].to_numpy(dtype=float)),
    }


def score_areas(areas: gpd.GeoDataFrame, weights: dict[str, float], *, k: int) -> gpd.GeoDataFrame:
    """The areas scored and ranked again from their own columns (``n_incidents``,
    ``relative_risk``, ``sensitive_incidents``, ``trend_class``, ``cross_border``,
    ``gap_kind``, ``overdue_actions``, ``population``): ``score``, ``score_<component>``,
    ``rank`` and ``priority_id`` (any old ones replaced), best first. The public view
    scores its published counts with it, so that no score is made of the true ones."""
    old = [c for c in ("rank", "priority_id") if c in areas.columns]
    return _score(areas.drop(columns=old), weights, k=k)


def _score(areas: gpd.GeoDataFrame, weights: dict[str, float], *, k: int) -> gpd.GeoDataFrame:
    """Components, score, rank (ties: more incidents first), best first."""
    out = areas.copy()
    comps = _components(out, k=k)
    no_raster = bool(out["population"].isna().all())
    used = {c: w for c, w in weights.items() if not (c == "population" and no_raster)}
    total = sum(used.values()) or 1.0
    score = sum(w * comps[c] for c, w in used.items()) / total
    out["score"] = np.round(np.asarray(score, dtype=float) + np.zeros(len(out)), 4)
    for c in COMPONENTS:
        out[f"score_{c}"] = np.round(comps[c], 4) if c in used else np.nan
    order = np.lexsort((-out["n_incidents"].to_numpy(dtype=float), -out["score"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.insert(0, "priority_id", out["rank"].to_numpy())
    return out


def _places(areas: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The towns and units of each area, and its name (``place``)."""
    out = areas.copy()
    found = places_in(out, units=units) if len(out) else []
    out["place"] = [f.place() or f.near or (f.units[0] if f.units else None) for f in found]
    out["towns"] = [", ".join(f.towns[:6]) or None for f in found]
    out["units"] = [", ".join(f.units[:8]) or None for f in found]
    return out
