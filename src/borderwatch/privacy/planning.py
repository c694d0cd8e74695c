"""The public view of the planning outputs: :func:`public_table` and :func:`public_priorities`.

Every planning table that leaves the internal view goes through
:func:`public_table`: counts of incidents from 1 to ``k - 1`` become null,
sensitive counts are shown only when at least ``k``, dates become months, and
ids and free text are dropped. :func:`public_priorities` applies it to the
priorities and gives each area the generalised shape of the public hotspot
region or scan cluster it comes from (areas that the public view drops, with
fewer than ``k`` incidents, are dropped too).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .cellkey import KEY_BITS
from .perturb import Perturber
from .suppress import _as_counts, _small, _suppressed_int

__all__ = [
    "public_planning",
    "public_planning_summary",
    "public_priorities",
    "public_sources",
    "public_table",
]

#: The columns the score's components read, and their value when a table has none.
_SCORE_INPUTS: dict[str, Any] = {
    "relative_risk": np.nan,
    "trend_class": None,
    "cross_border": False,
    "gap_kind": None,
    "overdue_actions": 0.0,
    "population": np.nan,
}
#: The key columns of a row of the sources table.
_SOURCE_KEYS = ["unit_id", "country", "period", "source"]

#: Priority columns that count incidents, and those that are not shown in public.
_PRIORITY_COUNTS = ("n_incidents", "recent_incidents", "earlier_incidents")
_PRIORITY_DROP = ("sensitive_incidents", "reason", "gi_z_max")


def public_table(
    frame: pd.DataFrame,
    *,
    k: int,
    counts: Iterable[str] = (),
    sensitive: Iterable[str] = (),
    drop: Iterable[str] = (),
    dates: Iterable[str] = (),
) -> pd.DataFrame:
    """A planning table made public.

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    k : int
        The suppression threshold.
    counts : column names
        Incident counts: values from 1 to ``k - 1`` become null.
    sensitive : column names
        Counts of sensitive incidents (and shares derived from them): null
        unless at least ``k``.
    drop : column names
        Ids, free text and anything else not to publish.
    dates : column names
        Shown as ``YYYY-MM``.

    Examples
    --------
    >>> df = pd.DataFrame({"unit": ["a", "b"], "n": [3, 12], "sens": [2, 6], "note": ["x", "y"]})
    >>> public_table(df, k=5, counts=["n"], sensitive=["sens"], drop=["note"]).to_dict("list")
    {'unit': ['a', 'b'], 'n': [None, 12], 'sens': [None, 6]}
    """
    out = frame.drop(columns=[c for c in drop if c in frame.columns])
    for c in counts:
        if c in out.columns:
            v, m = _as_counts(out[c])
            out[c] = _suppressed_int(v, m, _small(v, k), out.index)
    for c in sensitive:
        if c in out.columns:
            v, m = _as_counts(out[c])
            out[c] = _suppressed_int(v, m, (v < k) & ~m, out.index)
    for c in dates:
        if c in out.columns:
            d = pd.to_datetime(out[c], errors="coerce")
            out[c] = d.dt.strftime("%Y-%m").astype(object).where(d.notna(), None)
    return out


def public_priorities(
    priorities: gpd.GeoDataFrame | None,
    *,
    k: int,
    hotspots: gpd.GeoDataFrame | None,
    scan: gpd.GeoDataFrame | None,
    perturber: Perturber | None = None,
    as_of: Any = None,
    window_days: int | None = None,
    totals: tuple[Any, Any] | None = None,
    weights: dict[str, float] | None = None,
) -> gpd.GeoDataFrame | None:
    """The public priorities: each area with its public shape, counts protected, no reason.

    ``totals`` (the true and the published number of incidents) make ``relative_risk``
    follow the published total as well as the published count (a scan area's, Kulldorff's,
    also the expected count the public ``scan`` layer publishes:
    :func:`public_relative_risk`). The areas are scored and ranked again from their
    published values with ``weights`` (the settings' ``score_weights``; default the default
    settings'; :func:`borderwatch.planning.priorities.score_areas`), the sensitive incidents
    of an area perturbed like its other counts (below ``k`` none; without ``perturber``'s
    incidents that component counts none). The internal ``score`` and its components are
    made of the true counts and (wave 20 review) give them back: the strength is a ratio of
    logarithms of relative risks, the sensitive component a ratio of shares.

    With ``perturber`` (and its incidents), ``n_incidents``, ``recent_incidents``
    and ``earlier_incidents`` are perturbed by the cell-key method like every
    other public count: each count's cell key is the sum of the record keys of
    the incidents it counts (those in the area; in the last ``window_days``
    days up to ``as_of``, or the window before), so the same incidents give the
    same published value in every release; below ``k`` (zeros included) a count
    is null. ``relative_risk`` follows the published ``n_incidents`` and the
    trend word is written again from the published recent and earlier counts.
    Without incidents the counts are suppressed (1 to ``k - 1`` null).

    The ``reason`` sentence was written from the internal counts; it is emptied
    here and written again from the public columns
    (:func:`borderwatch.planning.with_reasons`). The trend word is kept only
    where both the recent and the earlier count are shown, and the ranks are
    numbered again from 1.
    """
    if priorities is None:
        return None
    out = priorities.copy()
    counted = False  # the counts perturbed with the cell keys of the incidents
    if perturber is not None and perturber.records is not None and len(out):
        counted = True
        expected = _scan_expected(out, scan)
        out = _perturbed(
            out,
            perturber,
            as_of=as_of,
            window_days=window_days,
            totals=totals,
            expected=expected,
        )
    keep = np.ones(len(out), dtype=bool)
    geoms = out.geometry.to_numpy().copy()
    for kind, layer, id_col in (("hotspot", hotspots, "hotspot_id"), ("scan", scan, "scan_id")):
        rows = np.flatnonzero((out["kind"] == kind).to_numpy())
        if not len(rows):
            continue
        shapes = (
            {}
            if layer is None
            else dict(zip(layer[id_col].astype(str), layer.to_crs(out.crs).geometry, strict=True))
        )
        for i in rows:
            g = shapes.get(str(out["area_id"].iloc[i]))
            keep[i] = g is not None
            geoms[i] = g
    n = pd.to_numeric(out["n_incidents"], errors="coerce")
    keep &= (n >= k).fillna(False).to_numpy(dtype=bool)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))[keep]
    if len(out):
        if weights is None:
            from ..settings import Settings

            weights = dict(Settings().score_weights)
        out = _rescored(out, weights, k=k, sensitive=counted)
    out = public_table(
        out, k=k, counts=_PRIORITY_COUNTS, drop=_PRIORITY_DROP, dates=("last_meeting",)
    )
    for c in _PRIORITY_COUNTS:  # no zero next to a hidden count: "0–4" alike
        if c in out.columns:
            out[c] = out[c].astype("Int64").mask(out[c].astype("Int64") == 0)
    hidden = out["recent_incidents"].isna() | out["earlier_incidents"].isna()
    out["trend"] = out["trend"].astype(object).where(~hidden, None)
    rr = pd.to_numeric(out["relative_risk"], errors="coerce").round(1)
    out["relative_risk"] = rr
    out["reason"] = None
    out = out.reset_index(drop=True)
    # ranks again 1..n: a gap would say that a hidden area ranked there
    out["rank"] = np.arange(1, len(out) + 1)
    if "priority_id" in out.columns:
        out["priority_id"] = out["rank"].to_numpy()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=priorities.crs)


def _scan_expected(priorities: pd.DataFrame, scan: pd.DataFrame | None) -> np.ndarray | None:
    """The published expected count of each scan area (NaN for the other areas)."""
    if scan is None or "expected" not in scan.columns or "kind" not in priorities.columns:
        return None
    by_id = dict(
        zip(
            scan["scan_id"].astype(str),
            pd.to_numeric(scan["expected"], errors="coerce"),
            strict=True,
        )
    )
    ids = priorities["area_id"].astype(str).to_numpy()
    is_scan = (priorities["kind"] == "scan").to_numpy()
    return np.array(
        [float(by_id.get(a, np.nan)) if s else np.nan for a, s in zip(ids, is_scan, strict=True)]
    )


def _rescored(
    out: gpd.GeoDataFrame, weights: dict[str, float], *, k: int, sensitive: bool
) -> gpd.GeoDataFrame:
    """The areas scored and ranked from their published values only (``sensitive``: the
    areas' sensitive incidents were perturbed; if not, that component counts none)."""
    from ..planning.priorities import score_areas

    work = out.copy()
    for col in ("n_incidents", "sensitive_incidents", "overdue_actions"):
        if col in work.columns:
            work[col] = pd.to_numeric(work[col], errors="coerce").astype(float).fillna(0.0)
    if "sensitive_incidents" not in work.columns or not sensitive:
        work["sensitive_incidents"] = 0.0
    # what the components read, where a hand-made table lacks it: nothing to add
    for col, none in _SCORE_INPUTS.items():
        if col not in work.columns:
            work[col] = none
    work["relative_risk"] = pd.to_numeric(work["relative_risk"], errors="coerce").astype(float)
    work["population"] = pd.to_numeric(work["population"], errors="coerce").astype(float)
    work["_row"] = np.arange(len(work))
    got = score_areas(work, weights, k=k)
    row = got.pop("_row").to_numpy()
    # the published columns as they were (the score read them as plain numbers)
    for col in ("n_incidents", "sensitive_incidents", "overdue_actions", "relative_risk"):
        if col in out.columns:
            got[col] = out[col].to_numpy()[row]
    return got


def _perturbed(
    priorities: gpd.GeoDataFrame,
    p: Perturber,
    *,
    as_of: Any,
    window_days: int | None,
    totals: tuple[Any, Any] | None = None,
    expected: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """The incident counts of the priorities perturbed with the cell keys of their incidents
    (``expected``: the published expected count of each scan area, NaN for the others)."""
    recs = p.records
    out = priorities.copy()
    if recs is None or not recs.is_geo:
        return out
    cols = ["n_incidents"]
    if "date" in recs.columns and as_of is not None and window_days:
        cols += ["recent_incidents", "earlier_incidents"]
    if "sensitive" in recs.columns and "sensitive_incidents" in out.columns:
        cols += ["sensitive_incidents"]
    raw_n = pd.to_numeric(out["n_incidents"], errors="coerce").to_numpy(dtype=float)
    areas = gpd.GeoSeries(out.geometry.to_numpy(), crs=out.crs)
    for col in cols:
        if col not in out.columns or out[col].isna().all():
            continue
        pairs = partial(_area_pairs, areas=areas, col=col, as_of=as_of, window_days=window_days)
        got = recs.tally(pairs, len(out), p.key)
        if got is None:
            continue
        n, ck = got
        pub = p.ptable.publish(n, ck % np.uint64(1 << KEY_BITS))
        out[col] = pd.array(np.where(np.isfinite(pub), pub, 0), dtype="Int64")
        out.loc[~np.isfinite(pub), col] = pd.NA
    if "relative_risk" in out.columns:
        pub_n = out["n_incidents"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        rr = pd.to_numeric(out["relative_risk"], errors="coerce").to_numpy(dtype=float)
        out["relative_risk"] = public_relative_risk(
            rr, raw_n, pub_n, totals=totals, expected=expected
        )
    if {"recent_incidents", "earlier_incidents", "trend"} <= set(out.columns):
        out["trend"] = _trend(out["recent_incidents"], out["earlier_incidents"])
    return out


def public_relative_risk(
    rr: np.ndarray,
    n: np.ndarray,
    published: np.ndarray,
    *,
    totals: tuple[Any, Any] | None,
    expected: np.ndarray | None = None,
) -> np.ndarray:
    """Relative risks ``rr`` of areas with ``n`` incidents, made again from published
    values only: their ``published`` counts and the published total (``totals``: true,
    published; None keeps the true total).

    An area's own relative risk is ``n / (T s)`` (``s`` its share of the study area), so
    the published one is ``n' / (T' s)``. A scan cluster's (where ``expected`` is given:
    its expected count as the public scan layer publishes it, 2 significant digits) is
    Kulldorff's ``(c / e) / ((T - c) / (T - e))``, made of ``n'``, ``T'`` and that ``e``.

    >>> out = public_relative_risk(np.array([4.0, 6.0]), np.array([40.0, 40.0]),
    ...                            np.array([42.0, 42.0]), totals=(100, 99),
    ...                            expected=np.array([np.nan, 9.9]))
    >>> np.round(out, 6).tolist() == [round(42 / 9.9, 6), round((42 / 9.9) / (57 / 89.1), 6)]
    True
    """
    rr, n, pub = (np.asarray(a, dtype=float) for a in (rr, n, published))
    true_t = pub_t = np.nan
    if totals is not None:
        true_t, pub_t = (float(pd.to_numeric(t, errors="coerce")) for t in totals)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 if totals is None else true_t / pub_t
        own = np.where((n > 0) & np.isfinite(scale), rr * pub / n * scale, np.nan)
        if expected is None:
            return own
        e = np.asarray(expected, dtype=float)
        kulldorff = np.where(pub < pub_t, (pub / e) / ((pub_t - pub) / (pub_t - e)), np.inf)
        return np.where(np.isfinite(e), np.where(np.isfinite(pub_t), kulldorff, np.nan), own)


def _area_pairs(
    inc: pd.DataFrame, *, areas: gpd.GeoSeries, col: str, as_of: Any, window_days: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The incidents in each area (all, or those of the recent or the earlier window)."""
    pts = gpd.GeoSeries(inc.geometry, crs=inc.crs).to_crs(areas.crs)
    area, rec = pts.sindex.query(areas, predicate="contains")
    if col == "n_incidents":
        return area, rec
    if col == "sensitive_incidents":
        flag = inc["sensitive"].fillna(False).astype(bool).to_numpy()[rec]
        return area[flag], rec[flag]
    dates = pd.to_datetime(inc["date"], errors="coerce")
    end, span = pd.Timestamp(as_of), pd.Timedelta(days=int(window_days or 0))
    if col == "recent_incidents":
        mask = ((dates > end - span) & (dates <= end)).to_numpy()
    else:
        mask = ((dates > end - 2 * span) & (dates <= end - span)).to_numpy()
    sel = mask[rec]
    return area[sel], rec[sel]


def _trend(recent: pd.Series, earlier: pd.Series) -> list[str | None]:
    """The trend word of the planning rule, from the published counts (None where hidden)."""
    out: list[str | None] = []
    for r, e in zip(recent, earlier, strict=True):
        if pd.isna(r) or pd.isna(e):
            out.append(None)
        elif r > 1.25 * e and r - e >= 3:
            out.append("rising")
        elif r < 0.8 * e and e - r >= 3:
            out.append("falling")
        else:
            out.append("steady")
    return out


def public_sources(
    sources: pd.DataFrame | None,
    *,
    k: int,
    perturber: Perturber | None = None,
    units: pd.DataFrame | None = None,
    column: str | None = None,
) -> pd.DataFrame | None:
    """The public table of incidents by source (unit, quarter, source): every row
    protected like counts.csv.

    * a row's ``count`` and ``sensitive`` are perturbed by the cell-key method: each
      count's cell key is the sum of the record keys of the incidents it counts (those
      of the unit, quarter and source; the sensitive ones among them), so the same
      incidents give the same value in every release and one more moves it by -3..+5,
      not +1;
    * a row whose ``count`` is below ``k`` is not listed (a listed row would say that
      the unit had at least one incident from that source that quarter, which a hidden
      zero and a hidden 1..k-1 must not tell apart), and ``sensitive`` is null below
      ``k``;
    * no row of a unit whose total is hidden in the public ``units`` (its quarters
      must not rebuild it).

    Without ``perturber`` (or its incidents) the counts are not perturbed but the rows
    below ``k`` are dropped all the same.

    Examples
    --------
    >>> t = pd.DataFrame({"unit_id": ["a", "a", "b"], "country": "MLI",
    ...                   "period": "2024Q1", "source": ["police", "ngo", "police"],
    ...                   "count": [12, 2, 7], "sensitive": [6, 0, 1]})
    >>> public_sources(t, k=5)[["unit_id", "source", "count", "sensitive"]].to_dict("records")
    [{'unit_id': 'a', 'source': 'police', 'count': 12, 'sensitive': 6}, {'unit_id': 'b', 'source': 'police', 'count': 7, 'sensitive': None}]
    """
    if sources is None:
        return None
    out = sources.reset_index(drop=True)
    if units is not None and {"unit_id", "incidents"} <= set(units.columns):
        hidden = set(units.loc[units["incidents"].isna(), "unit_id"].astype(str))
        out = out[~out["unit_id"].astype(str).isin(hidden)].reset_index(drop=True)
    rows = out[_SOURCE_KEYS].astype(str)
    for col, only_sensitive in (("count", False), ("sensitive", True)):
        true = pd.to_numeric(out[col], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        if perturber is None:
            shown = np.where(true >= k, true.astype(float), np.nan)
        else:
            records = partial(_source_records, column=column, only_sensitive=only_sensitive)
            shown = perturber.publish(true, rows=rows, records=records, label=f"sources.{col}")
        out[col] = pd.array(np.where(np.isfinite(shown), shown, 0), dtype="Int64")
        out.loc[~np.isfinite(shown), col] = pd.NA
    return out[out["count"].notna()].reset_index(drop=True)


def _source_records(
    inc: pd.DataFrame, *, column: str | None, only_sensitive: bool
) -> pd.DataFrame | None:
    """The sources-table row of each incident ("" for those it does not count)."""
    from ..planning.sources import source_rows

    # the column by its name alone: the table exists, so the whole data set passed the
    # test of what a source column holds (a partition of the dask engine's need not)
    got = source_rows(inc, column=column, test_column=False)
    if got is None:
        return None
    keep = got["counted"].to_numpy(dtype=bool, copy=True)
    if only_sensitive:
        keep &= got["sensitive"].to_numpy() > 0
    keys = got[_SOURCE_KEYS].astype(str)
    keys.loc[~keep, "unit_id"] = ""  # in no row
    return keys


def public_planning_summary(
    summary: dict[str, Any], planning: Any, priorities: pd.DataFrame | None
) -> dict[str, Any]:
    """The ``planning`` part of a public summary, its counts of rows counted from the
    public tables: the source flags, the clear drops and the priorities as published (the
    internal numbers would say that hidden rows exist). The rest stays as it is."""
    out = dict(summary)
    if planning is not None:
        public = planning.summary()
        for key in ("n_source_flags", "n_clear_drops"):
            if key in out and key in public:
                out[key] = public[key]
    if "n_priorities" in out:
        out["n_priorities"] = 0 if priorities is None else len(priorities)
    return out


def public_planning(
    result: Any, layers: dict[str, Any], *, k: int, perturber: Perturber
) -> tuple[gpd.GeoDataFrame | None, Any]:
    """The public priorities and planning of an internal ``result``, given its public
    ``layers`` (their ``hotspots``, ``scan`` and ``units``); the ``summary`` layer's
    ``planning`` part is counted again from them (:func:`public_planning_summary`)."""
    planning = result.planning
    summary = layers.get("summary")
    settings = getattr(result, "settings", None)
    priorities = public_priorities(
        result.priorities,
        k=k,
        hotspots=layers.get("hotspots"),
        scan=layers.get("scan"),
        perturber=perturber,
        as_of=getattr(planning, "as_of", None),
        window_days=getattr(planning, "window_days", None),
        totals=(
            (result.summary or {}).get("n_incidents"),
            summary.get("n_incidents") if isinstance(summary, dict) else None,
        ),
        weights=None if settings is None else dict(settings.score_weights),  # else the defaults
    )
    if planning is not None:
        planning = planning.public(
            k=k,
            perturber=perturber,
            units=layers.get("units"),
            source_column=getattr(result.settings, "reported_by_col", None),
        )
    if isinstance(summary, dict) and isinstance(summary.get("planning"), dict):
        summary["planning"] = public_planning_summary(summary["planning"], planning, priorities)
    return priorities, planning
