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

import geopandas as gpd
import numpy as np
import pandas as pd

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
) -> gpd.GeoDataFrame | None:
    """The public priorities: each area with its public shape, counts protected, no reason.

    The ``reason`` sentence was written from the internal counts; it is emptied
    here and written again from the public columns
    (:func:`borderwatch.planning.with_reasons`). The trend word is kept only
    where both the recent and the earlier count are shown, and the ranks are
    numbered again from 1.
    """
    if priorities is None:
        return None
    out = priorities.copy()
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
