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

__all__ = ["public_priorities", "public_table"]

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
) -> gpd.GeoDataFrame | None:
    """The public priorities: each area with its public shape, counts protected, no reason.

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
    if perturber is not None and perturber.records is not None and len(out):
        out = _perturbed(out, perturber, as_of=as_of, window_days=window_days)
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


def _perturbed(
    priorities: gpd.GeoDataFrame, p: Perturber, *, as_of: Any, window_days: int | None
) -> gpd.GeoDataFrame:
    """The incident counts of the priorities perturbed with the cell keys of their incidents."""
    recs = p.records
    out = priorities.copy()
    if recs is None or not recs.is_geo:
        return out
    cols = ["n_incidents"]
    if "date" in recs.columns and as_of is not None and window_days:
        cols += ["recent_incidents", "earlier_incidents"]
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
        with np.errstate(divide="ignore", invalid="ignore"):
            out["relative_risk"] = np.where(raw_n > 0, rr * pub_n / raw_n, np.nan)
    if {"recent_incidents", "earlier_incidents", "trend"} <= set(out.columns):
        out["trend"] = _trend(out["recent_incidents"], out["earlier_incidents"])
    return out


def _area_pairs(
    inc: pd.DataFrame, *, areas: gpd.GeoSeries, col: str, as_of: Any, window_days: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The incidents in each area (all, or those of the recent or the earlier window)."""
    pts = gpd.GeoSeries(inc.geometry, crs=inc.crs).to_crs(areas.crs)
    area, rec = pts.sindex.query(areas, predicate="contains")
    if col == "n_incidents":
        return area, rec
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
