"""The planner-facing sentences of the planning tables, in the chosen language.

Every sentence is built from the row's own numbers with templates from the
translation files (``data/i18n/<lang>.json``): ``effect.*`` (the
effectiveness statement), ``cover.*`` (coverage and outreach gaps),
``overdue.*`` (the follow-up list), ``rep.*`` (representation against
targets) and ``srcflag.*``/``source.*`` (sources that diverge). The reason of
a priority is :mod:`._reasons`.

The effectiveness statement claims association, never causation, in every
language: incidents recorded "fell ... after" a meeting, with the caveat that
this is not proof that the meeting caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._reasons import _missing

__all__ = [
    "coverage_note",
    "effect_statement",
    "month_year",
    "overdue_note",
    "recording_stopped",
    "representation_note",
    "under_reporting",
]


def _tr(lang: str) -> Any:
    from .._i18n import Tr

    return Tr(lang)


def month_year(tr: Any, when: Any) -> str:
    """``March 2024`` in the language of ``tr``."""
    ts = pd.Timestamp(when)
    return f"{tr(f'month.{ts.month}')} {ts.year}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _change(tr: Any, ratio: float) -> str:
    """``fell by 30 %``, ``rose by 5 %`` or ``did not change`` (rounded to whole percent)."""
    pct = (ratio - 1.0) * 100.0
    if pct >= 0.5:
        return tr("effect.rose", pct=f"{pct:.0f}")
    if pct <= -0.5:
        return tr("effect.fell", pct=f"{-pct:.0f}")
    return tr("effect.same")


def effect_statement(row: Mapping[str, Any], *, lang: str = "en") -> str:
    """The plain-words sentence of one meeting or done action (association, never proof).

    Uses ``event`` (``meeting``/``action``), ``date``, ``place``,
    ``rate_ratio``, ``ci_low``, ``ci_high`` and ``comparison_ratio``.

    Examples
    --------
    >>> row = {"event": "meeting", "date": pd.Timestamp("2024-03-12"), "place": "Ménaka",
    ...        "rate_ratio": 0.7, "ci_low": 0.55, "ci_high": 0.9, "comparison_ratio": 0.95}
    >>> effect_statement(row, lang="fr")
    "Les incidents enregistrés ont baissé de 30 % (IC à 95 % 10–45 %) après la réunion tenue en mars 2024 à Ménaka, alors que dans des zones comparables ils ont baissé de 5 %. C'est une association, pas une preuve que la réunion en soit la cause."
    """
    tr = _tr(lang)
    rr, lo, hi = (float(row[c]) for c in ("rate_ratio", "ci_low", "ci_high"))
    what = "meeting" if row["event"] == "meeting" else "action"
    month = month_year(tr, row["date"])
    place = row.get("place")
    if what == "meeting" and isinstance(place, str) and place:
        event = tr("effect.meeting_at", month=month, place=place)
    else:
        event = tr(f"effect.{what}", month=month)
    if not np.isfinite(rr) or not np.isfinite(hi):
        text = tr("effect.too_few", event=event)
    else:
        if lo <= 1 <= hi:
            ci = tr("effect.ci_unclear", lo=f"{(lo - 1) * 100:+.0f}", hi=f"{(hi - 1) * 100:+.0f}")
        elif rr < 1:
            ci = tr("effect.ci", lo=f"{(1 - hi) * 100:.0f}", hi=f"{(1 - lo) * 100:.0f}")
        else:
            ci = tr("effect.ci", lo=f"{(lo - 1) * 100:.0f}", hi=f"{(hi - 1) * 100:.0f}")
        text = tr("effect.sentence", change=_change(tr, rr), ci=ci, event=event)
    crr = row.get("comparison_ratio")
    if crr is not None and not _missing(crr) and np.isfinite(float(crr)):
        text += tr("effect.compare", change=_change(tr, float(crr)))
    return tr("effect.end", text=text, caveat=tr(f"effect.caveat_{what}"))


def coverage_note(
    row: Mapping[str, Any], *, lang: str = "en", radius_km: float, window_days: int
) -> str:
    """What the coverage of one area means: the meetings within reach, or the outreach gap.

    Uses ``hot``, ``outreach_gap``, ``gap_kind``, ``meetings_recent``,
    ``last_meeting``, ``nearest_meeting_km``, ``sides`` and ``sides_covered``.

    Examples
    --------
    >>> coverage_note({"outreach_gap": True, "gap_kind": "no meeting", "meetings_recent": 0,
    ...                "last_meeting": pd.Timestamp("2024-03-02"), "nearest_meeting_km": 31.4},
    ...               radius_km=20, window_days=90)
    'Outreach gap: no community meeting within 20 km since March 2024; the nearest meeting venue is 31 km away.'
    """
    tr = _tr(lang)
    km, days = f"{radius_km:g}", int(window_days)
    n = 0 if _missing(row.get("meetings_recent")) else int(row["meetings_recent"])
    parts = []
    get: Any = row.get
    if get("gap_kind") == "one side":
        parts.append(tr("reason.one_side", side=tr.countries(row.get("sides_covered"))))
    elif n == 0:
        last = row.get("last_meeting")
        if _missing(last):
            parts.append(tr("reason.no_meeting", km=km))
        else:
            parts.append(tr("reason.no_meeting_since", km=km, month=month_year(tr, last)))
        near = get("nearest_meeting_km")
        if not _missing(near) and np.isfinite(float(near)):
            parts.append(tr("cover.nearest", km=f"{float(near):.0f}"))
    else:
        parts.append(
            tr("reason.covered_one" if n == 1 else "reason.covered", n=n, km=km, days=days)
        )
        sides = row.get("sides")
        if isinstance(sides, str) and "," in sides:
            parts.append(tr("cover.all_sides", sides=tr.countries(sides)))
    what = tr("reason.semicolon").join(parts)
    text = tr("cover.gap", what=what) if bool(row.get("outreach_gap")) else _cap(what)
    return text + "."


def overdue_note(
    due: Any, *, as_of: pd.Timestamp, lang: str = "en", month_only: bool = False
) -> str:
    """``Open 45 days past its due date (2024-05-01)``; only the month in the public view.

    Examples
    --------
    >>> overdue_note(pd.Timestamp("2024-05-01"), as_of=pd.Timestamp("2024-06-15"), lang="es")
    'Abierta, 45 días después de su fecha límite (2024-05-01)'
    """
    tr = _tr(lang)
    ts = pd.Timestamp(due)
    if month_only:
        return tr("overdue.note_month", due=ts.strftime("%Y-%m"))
    days = int((pd.Timestamp(as_of) - ts).days)
    return tr("overdue.note", days=days, due=ts.strftime("%Y-%m-%d"))


def representation_note(
    row: Mapping[str, Any], *, targets: Mapping[str, float], lang: str = "en"
) -> str:
    """The shares below their targets, and the meetings without attendance data.

    Examples
    --------
    >>> representation_note({"meetings": 3, "meetings_unknown": 1, "share_women": 0.15,
    ...                      "below_women": True, "share_youth": 0.25, "below_youth": False},
    ...                     targets={"women": 0.3, "youth": 0.2})
    'Below target: Women 15 % of attendees (target 30 %); no attendance data for 1 of 3 meetings (counted as unknown, not as zero).'
    """
    tr = _tr(lang)
    total = int(row.get("meetings") or 0)
    unknown = int(row.get("meetings_unknown") or 0)
    if total and unknown >= total:
        return tr("rep.none") + "."
    below = [
        tr(
            "rep.group",
            group=tr(f"field.att_{g}"),
            share=f"{float(row[f'share_{g}']) * 100:.0f}",
            target=f"{float(t) * 100:.0f}",
        )
        for g, t in targets.items()
        if row.get(f"below_{g}") is True or row.get(f"below_{g}") is np.True_
    ]
    parts = [tr("rep.below", groups=tr("reason.comma").join(below)) if below else tr("rep.ok")]
    if unknown:
        parts.append(tr("rep.unknown", n=unknown, total=total))
    return tr("reason.semicolon").join(parts) + "."


def under_reporting(police: int, others: int, *, lang: str = "en") -> str:
    """The detail of an ``under-reporting`` flag.

    Examples
    --------
    >>> under_reporting(2, 12)
    'Police records: 2; community, NGO and hotline reports: 12; possible under-reporting to the police'
    """
    return _tr(lang)("srcflag.under", police=int(police), others=int(others))


def recording_stopped(source: str, n: int, periods: list[str], *, lang: str = "en") -> str:
    """The detail of a ``recording stopped`` flag.

    Examples
    --------
    >>> recording_stopped("police", 11, ["2024Q3", "2024Q4"], lang="pt")
    'Polícia: 11 incidentes registados antes, nenhum em 2024Q3, 2024Q4: o registo pode ter parado'
    """
    tr = _tr(lang)
    return tr(
        "srcflag.stopped", source=tr(f"source.{source}"), n=int(n), periods=", ".join(periods)
    )
