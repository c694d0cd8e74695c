"""One plain sentence per priority, in the chosen language (:func:`reasons`).

The sentence is built from the row's columns only (place, countries, recent
incidents, trend, coverage, overdue actions), with templates from the
translation files (``data/i18n/<lang>.json``, keys ``reason.*``), so that it
can be rebuilt from the public columns after the public view has protected
the counts: a count hidden as "<k" reads "fewer than k incidents".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._schema import truthy

__all__ = ["reason", "reasons"]


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def reason(
    row: pd.Series | dict[str, Any], *, lang: str = "en", radius_km: float, window_days: int, k: int
) -> str:
    """The sentence of one priority (see :func:`reasons`)."""
    from .._i18n import Tr

    tr = Tr(lang)
    get: Any = row.get
    cross = bool(truthy(get("cross_border")))
    head_key = (
        "reason.head_unit"
        if get("kind") == "unit"
        else ("reason.head_cross" if cross else "reason.head_hotspot")
    )
    head = tr(
        head_key,
        place=get("place") or tr.countries(get("countries")),
        countries=tr.countries(get("countries")),
    )
    km, days = f"{radius_km:g}", int(window_days)
    n = get("recent_incidents")
    if get("dated") is False and not _missing(get("n_incidents")):
        first = tr("reason.total", n=int(get("n_incidents")))  # no dates: no recent window
    elif _missing(n):
        first = tr("reason.recent_hidden", k=k, days=days)
    else:
        first = tr("reason.recent", n=int(n), days=days)
    trend = get("trend")
    if trend in ("rising", "falling", "steady"):
        first += tr("reason.comma").rstrip() + " " + tr(f"reason.{trend}")
    parts = [first, _coverage(row, tr, km=km, days=days)]
    overdue = get("overdue_actions")
    if not _missing(overdue) and int(overdue) > 0:
        key = "reason.overdue_one" if int(overdue) == 1 else "reason.overdue"
        parts.append(tr(key, n=int(overdue)))
    return tr("reason.sentence", head=head, details=tr("reason.semicolon").join(parts))


def _coverage(row: Any, tr: Any, *, km: str, days: int) -> str:
    gap = row.get("gap_kind")
    if gap == "one side":
        return tr("reason.one_side", side=tr.countries(row.get("sides_covered")))
    if gap == "no meeting" or int(row.get("meetings_recent") or 0) == 0:
        last = row.get("last_meeting")
        if _missing(last):
            return tr("reason.no_meeting", km=km)
        ts = pd.Timestamp(last)
        return tr("reason.no_meeting_since", km=km, month=f"{tr(f'month.{ts.month}')} {ts.year}")
    n = int(row.get("meetings_recent"))
    return tr("reason.covered_one" if n == 1 else "reason.covered", n=n, km=km, days=days)


def reasons(
    frame: pd.DataFrame, *, lang: str = "en", radius_km: float, window_days: int, k: int
) -> pd.Series:
    """The reason sentence of each priority, in ``lang`` (en, fr, es, pt, ar).

    Uses the columns ``kind``, ``cross_border``, ``place``, ``countries``,
    ``recent_incidents`` (null: hidden, "fewer than k"), ``trend``
    (``rising``/``falling``/``steady``), ``meetings_recent``, ``last_meeting``,
    ``gap_kind``, ``sides_covered`` and ``overdue_actions``.

    Examples
    --------
    >>> row = {"kind": "hotspot", "cross_border": True, "place": "Kousseri – N'Djamena",
    ...        "countries": "CMR,TCD", "recent_incidents": 48, "trend": "rising",
    ...        "meetings_recent": 0, "last_meeting": pd.Timestamp("2024-03-12"),
    ...        "gap_kind": "no meeting", "overdue_actions": 3}
    >>> reasons(pd.DataFrame([row]), radius_km=20, window_days=90, k=5)[0]
    "Cross-border hotspot at Kousseri – N'Djamena (Cameroon–Chad): 48 incidents in the last 90 days, rising; no community meeting within 20 km since March 2024; 3 actions overdue."
    """
    out = [
        reason(row, lang=lang, radius_km=radius_km, window_days=window_days, k=k)
        for _, row in frame.iterrows()
    ]
    return pd.Series(out, index=frame.index, dtype=object)
