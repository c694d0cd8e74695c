"""Who comes to the meetings: shares of women, youth and migrants/displaced (:func:`representation`).

For each unit, each side of the border (country) and overall, and for each
quarter as well as the whole period, it reports the share of women, of youth
and of migrants/displaced people among the attendees, and flags shares below
their targets (settings ``target_women`` 30 %, ``target_youth`` 20 %,
``target_migrants`` 10 % by default).

The denominator is the people counted by gender (``att_women + att_men``)
where a meeting gives both, else the meeting's total ``attendance``: youth and
migrants are usually counted among the women and men too, so adding every
group would count them twice. A meeting without attendance data is counted as
**unknown** (``meetings_unknown``), never as zero; a group missing from a
meeting leaves that meeting out of that group's share only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from ._sentences import representation_note

__all__ = ["DEFAULT_TARGETS", "GROUPS", "representation"]

#: The groups whose share is reported.
GROUPS: Final = ("women", "youth", "migrants")
#: Default targets (share of attendees).
DEFAULT_TARGETS: Final = {"women": 0.30, "youth": 0.20, "migrants": 0.10}


def _base(m: pd.DataFrame) -> pd.Series:
    women = pd.to_numeric(m.get("att_women"), errors="coerce")
    men = pd.to_numeric(m.get("att_men"), errors="coerce")
    total = pd.to_numeric(m.get("attendance"), errors="coerce")
    both = women.notna() & men.notna()
    return (women + men).where(both, total).astype(float)


def _rows(m: pd.DataFrame, targets: Mapping[str, float]) -> dict[str, object]:
    base = _base(m)
    known = base.notna() & (base > 0)
    row: dict[str, object] = {
        "meetings": len(m),
        "meetings_known": int(known.sum()),
        "meetings_unknown": int((~known).sum()),
        "attendees": int(base[known].sum()),
    }
    for g in GROUPS:
        col = m[f"att_{g}"] if f"att_{g}" in m.columns else pd.Series(np.nan, index=m.index)
        vals = pd.to_numeric(col, errors="coerce").astype(float)
        ok = known & vals.notna()
        denom = float(base[ok].sum())
        share = float(vals[ok].sum()) / denom if denom > 0 else np.nan
        row[g] = int(vals[ok].sum()) if ok.any() else pd.NA
        row[f"share_{g}"] = round(share, 4) if np.isfinite(share) else np.nan
        row[f"below_{g}"] = bool(share < targets[g]) if np.isfinite(share) else pd.NA
    return row


def _unit_rows(
    m: pd.DataFrame, t: Mapping[str, float], *, quarters: pd.Series | None
) -> list[dict[str, object]]:
    """Per unit: the whole period, then each quarter with meetings."""
    names = m.get("unit_name", pd.Series(None, index=m.index))
    out: list[dict[str, object]] = []
    for uid, ug in m.groupby(m["unit_id"].astype(object), sort=True):
        name = names.loc[ug.index].dropna()
        head = {"level": "unit", "key": uid, "name": name.iloc[0] if len(name) else None}
        out.append({**head, "period": "all", **_rows(ug, t)})
        if quarters is not None:
            uq = quarters.loc[ug.index]
            for p, pg in ug.groupby(uq.where(uq != "NaT"), sort=True):
                out.append({**head, "period": str(p), **_rows(pg, t)})
    return out


def representation(
    meetings: pd.DataFrame | None,
    *,
    targets: Mapping[str, float] | None = None,
    by_period: bool = True,
    lang: str = "en",
) -> pd.DataFrame:
    """Shares of women, youth and migrants/displaced among attendees, against targets.

    Parameters
    ----------
    meetings : DataFrame
        Joined meetings (``att_*``, ``attendance``, ``date``, ``unit_id``,
        ``country``).
    targets : mapping, optional
        ``{"women": 0.3, "youth": 0.2, "migrants": 0.1}`` (the defaults).
    by_period : bool, default True
        Also per quarter (``2024Q1``): overall, per side and per unit.
    lang : {"en", "fr", "es", "pt", "ar"}, default "en"
        Language of the ``note``.

    Returns
    -------
    DataFrame
        ``level`` (``overall``, ``side``, ``unit``), ``key`` (``all``, the
        country, the unit id), ``name`` (unit name), ``period`` (``all`` or a
        quarter), ``meetings``, ``meetings_known``, ``meetings_unknown``,
        ``attendees``, and per group: the count, ``share_<group>`` (NaN when
        unknown) and ``below_<group>`` (True, False or missing when unknown),
        and ``note``: the shares below target and the meetings of unknown
        attendance, in words (``lang``).

    Examples
    --------
    >>> m = pd.DataFrame({"att_women": [3, 10, None], "att_men": [17, 10, None],
    ...                   "att_youth": [4, 2, None], "att_migrants": [0, 1, None],
    ...                   "attendance": [24, 23, None], "country": ["MLI", "NER", "NER"],
    ...                   "unit_id": ["a", "b", "b"], "date": pd.to_datetime(["2024-01-05"] * 3)})
    >>> r = representation(m, by_period=False)
    >>> r.loc[r["level"] == "overall", ["meetings_unknown", "share_women", "below_women"]].to_dict("records")
    [{'meetings_unknown': 1, 'share_women': 0.325, 'below_women': False}]
    >>> r.loc[r["key"] == "MLI", ["share_women", "below_women"]].to_dict("records")
    [{'share_women': 0.15, 'below_women': True}]
    """
    t = {**DEFAULT_TARGETS, **(targets or {})}
    if meetings is None or not len(meetings):
        return pd.DataFrame(columns=["level", "key", "name", "period", "meetings"])
    m = pd.DataFrame(meetings).drop(columns="geometry", errors="ignore")
    out: list[dict[str, object]] = []
    periods: list[tuple[str, pd.DataFrame]] = [("all", m)]
    q = None
    if by_period and "date" in m.columns:
        q = pd.to_datetime(m["date"]).dt.to_period("Q").astype(str)
        periods += [(str(p), grp) for p, grp in m.groupby(q.where(q != "NaT"), sort=True)]
    for period, grp in periods:
        out.append(
            {"level": "overall", "key": "all", "name": None, "period": period, **_rows(grp, t)}
        )
        if "country" in grp.columns:
            for side, sg in grp.groupby(grp["country"].astype(object), sort=True):
                out.append(
                    {"level": "side", "key": side, "name": None, "period": period, **_rows(sg, t)}
                )
    if "unit_id" in m.columns:
        out += _unit_rows(m, t, quarters=q)
    frame = pd.DataFrame(out)
    frame["note"] = [representation_note(r, targets=t, lang=lang) for r in out]
    return frame
