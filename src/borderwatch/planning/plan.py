"""Everything a planner reads, from one analysis: :func:`plan` → :class:`Planning`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..settings import Settings
from ._areas import locate_actions
from ._sentences import coverage_note, overdue_note
from ._tally import IncidentCounts, last_dated
from .actions import empty_actions, overdue_actions
from .coverage import COVERAGE_COLUMNS, coverage, data_as_of
from .effectiveness import effectiveness
from .representation import representation
from .sources import source_flags, sources

__all__ = ["Planning", "coverage_notes", "coverage_table", "plan"]

#: The area layers whose coverage is reported: (result field, kind, id column).
_LAYERS = (
    ("hotspots", "hotspot", "hotspot_id"),
    ("scan", "scan", "scan_id"),
    ("clusters", "cluster", "cluster_id"),
    ("units", "unit", "unit_id"),
)


@dataclass(frozen=True, eq=False)
class Planning:
    """The planning tables of one analysis (see ``docs/planning.md``).

    Attributes
    ----------
    as_of : str
        The day counted back from (YYYY-MM-DD).
    radius_km, window_days : float, int
        Reach of a meeting, look-back window.
    targets : dict
        Representation targets (share of attendees).
    actions : DataFrame
        The agreed actions (:data:`~borderwatch.planning.actions.ACTION_COLUMNS`).
    coverage : DataFrame
        One row per hotspot region, scan cluster, DBSCAN cluster and unit:
        ``kind``, ``area_id``, ``hot`` and the coverage columns.
    representation : DataFrame
        Shares of women, youth and migrants per unit, side and overall, over time.
    effectiveness : DataFrame
        Rate ratios before/after each meeting and done action, with comparison units.
    sources : DataFrame or None
        Incidents by source per unit and quarter (None without a source column).
    source_flags : DataFrame
        Units where sources diverge.
    view : str
        ``internal`` or ``public``.
    lang : str
        Language of the sentences (``statement``, ``note``, ``detail``): the
        first of the settings' ``lang``.
    """

    as_of: str
    radius_km: float
    window_days: int
    targets: dict[str, float]
    actions: pd.DataFrame
    coverage: pd.DataFrame
    representation: pd.DataFrame
    effectiveness: pd.DataFrame
    sources: pd.DataFrame | None
    source_flags: pd.DataFrame
    view: str = "internal"
    lang: str = "en"

    def overdue(self, by: str | None = None) -> pd.DataFrame | pd.Series:
        """Open actions past due on ``as_of``; counted per ``by`` (``meeting_id``, ``owner``).

        Without ``by``, one row per action with ``note``: how late it is, in words.
        """
        as_of = pd.Timestamp(self.as_of)
        late = overdue_actions(self.actions, as_of=as_of, by=by)
        if by is not None:
            return late
        late = late.copy()
        late["note"] = [
            overdue_note(d, as_of=as_of, lang=self.lang, month_only=self.view == "public")
            for d in pd.to_datetime(late["due"])
        ]
        return late

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The planning tables as plain frames, one per sheet of ``action_plan.xlsx``.

        ``coverage``, ``representation``, ``effectiveness``, ``overdue`` (one row per
        open action past due, with its ``note``), ``overdue by owner``, ``sources`` and
        ``source flags`` (when the incidents carry a source). Dates are ISO text and
        geometry is dropped, so the frames write to Excel or CSV as they are. In the
        public view they are the tables of :meth:`public` (nothing from 1 to k−1, no
        owners, action texts or ids).
        """
        tables: dict[str, pd.DataFrame | pd.Series | None] = {
            "coverage": self.coverage,
            "representation": self.representation,
            "effectiveness": self.effectiveness,
            "overdue": self.overdue(),
            "overdue by owner": self.overdue("owner")
            if self.view == "internal" and "owner" in self.actions
            else None,
            "sources": self.sources,
            "source flags": self.source_flags if len(self.source_flags) else None,
        }
        out: dict[str, pd.DataFrame] = {}
        for name, table in tables.items():
            if table is None:
                continue
            frame = table.reset_index() if isinstance(table, pd.Series) else table.copy()
            frame = pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore"))
            for col in frame.columns:
                if pd.api.types.is_datetime64_any_dtype(frame[col]):
                    frame[col] = frame[col].dt.strftime("%Y-%m-%d")
            out[name] = frame
        return out

    def summary(self) -> dict[str, Any]:
        """The ``planning`` part of ``summary.json``."""
        cov = self.coverage
        rep = self.representation
        overall = rep[(rep["level"] == "overall") & (rep["period"] == "all")] if len(rep) else rep
        below = {
            g: bool(overall[f"below_{g}"].iloc[0])
            for g in self.targets
            if len(overall)
            and f"below_{g}" in overall
            and not pd.isna(overall[f"below_{g}"].iloc[0])
        }
        eff = self.effectiveness
        return {
            "as_of": self.as_of,
            "coverage_km": self.radius_km,
            "coverage_days": self.window_days,
            "targets": dict(self.targets),
            "n_gaps": int(cov.loc[cov["kind"] != "unit", "outreach_gap"].sum()) if len(cov) else 0,
            "n_unit_gaps": int(cov.loc[cov["kind"] == "unit", "outreach_gap"].sum())
            if len(cov)
            else 0,
            "n_actions": len(self.actions),
            "n_overdue": len(self.overdue()),
            "below_target": below,
            "n_effects": len(eff),
            "n_clear_drops": int((pd.to_numeric(eff["ci_high"], errors="coerce") < 1).sum())
            if len(eff)
            else 0,
            "sources": self.sources is not None,
            "n_source_flags": len(self.source_flags),
        }

    def public(
        self,
        *,
        k: int,
        perturber: Any = None,
        units: pd.DataFrame | None = None,
        source_column: str | None = None,
    ) -> Planning:
        """The public view: counts of incidents from 1 to k−1 hidden, sensitive counts only
        from k, dates as months, no action texts, owners, ids or coordinates
        (:func:`borderwatch.privacy.planning.public_table`). The sources table is
        protected like counts.csv (:func:`borderwatch.privacy.planning.public_sources`:
        rows below k not listed, counts perturbed with ``perturber``'s cell keys, no row
        of a unit hidden in the public ``units``; ``source_column`` as given to
        :func:`~borderwatch.planning.sources.sources`), and the source flags are found
        again from that public table (a hidden count counts as none)."""
        from ..privacy.planning import public_sources, public_table

        eff = public_table(
            self.effectiveness,
            k=k,
            counts=("before", "after", "comparison_before", "comparison_after"),
            drop=("event_id", "statement", "place"),
            dates=("date",),
        )
        cols = ["before", "after"]
        hidden = eff[cols].isna().any(axis=1) if len(eff) else pd.Series(dtype=bool)
        cmp_hidden = hidden | eff[["comparison_before", "comparison_after"]].isna().any(axis=1)
        for c in ("rate_ratio", "ci_low", "ci_high"):
            eff[c] = pd.to_numeric(eff[c], errors="coerce").round(2).where(~hidden, np.nan)
        for c in ("comparison_ratio", "did", "did_low", "did_high"):
            eff[c] = pd.to_numeric(eff[c], errors="coerce").round(2).where(~cmp_hidden, np.nan)
        src = public_sources(
            self.sources, k=k, perturber=perturber, units=units, column=source_column
        )
        flags = source_flags(src, k=k, lang=self.lang)  # from the public table (None: none)
        actions = public_table(
            self.actions,
            k=k,
            drop=("action_id", "action", "owner", "meeting_id", "lon", "lat"),
            dates=("due", "done_date"),
        )
        return replace(
            self,
            actions=actions,
            coverage=coverage_notes(
                public_table(self.coverage, k=k, dates=("last_meeting",)),
                lang=self.lang,
                radius_km=self.radius_km,
                window_days=self.window_days,
            ),
            effectiveness=eff,
            sources=src,
            source_flags=public_table(flags, k=k, drop=("detail",)),
            view="public",
        )


def coverage_notes(
    table: pd.DataFrame, *, lang: str, radius_km: float, window_days: int
) -> pd.DataFrame:
    """The coverage table with ``note`` (re)written from its own columns, in ``lang``."""
    out = table.copy()
    out["note"] = [
        coverage_note(row, lang=lang, radius_km=radius_km, window_days=window_days)
        for row in out.to_dict("records")
    ]
    return out


def coverage_table(
    result: Any, s: Settings, *, as_of: pd.Timestamp, lang: str = "en"
) -> pd.DataFrame:
    """Coverage of every hotspot region, scan cluster, DBSCAN cluster and unit, with a
    ``note`` in ``lang`` saying what it means (the meetings within reach, or the gap)."""
    parts = []
    for field, kind, id_col in _LAYERS:
        layer = getattr(result, field, None)
        if layer is None or not len(layer) or id_col not in layer.columns:
            continue
        hot = (
            (layer["hotspot_kind"] == "hot").to_numpy()
            if kind == "unit" and "hotspot_kind" in layer.columns
            else np.full(len(layer), kind != "unit")
        )
        cov = coverage(
            layer,
            result.meetings,
            as_of=as_of,
            radius_km=s.coverage_km,
            window_days=s.coverage_days,
            hot=hot,
            crs=result.crs,
        )
        frame = pd.DataFrame(cov.drop(columns=cov.geometry.name))
        keep = ["cross_border"] if "cross_border" in frame else []
        part = frame[keep + [c for c in frame.columns if c in _COVERAGE_KEEP]].copy()
        part.insert(0, "hot", hot)
        part.insert(0, "area_id", frame[id_col].astype(str).to_numpy())
        part.insert(0, "kind", kind)
        parts.append(part)
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    return coverage_notes(table, lang=lang, radius_km=s.coverage_km, window_days=s.coverage_days)


_COVERAGE_KEEP = COVERAGE_COLUMNS  # the coverage columns kept on the areas


def plan(
    result: Any,
    settings: Settings | None = None,
    *,
    actions: pd.DataFrame | None = None,
    counts: IncidentCounts | None = None,
) -> Planning:
    """The planning tables of an internal analysis (coverage, representation, effectiveness,
    sources, actions); the priorities are :func:`~borderwatch.planning.priorities`.
    ``counts`` (the dask engine's aggregates, :mod:`borderwatch.planning._tally`) stand in
    for ``result.incidents``: the same tables as from all the incidents."""
    s = settings or result.settings
    inc = result.incidents
    dated = inc if counts is None else last_dated(counts)
    end = pd.Timestamp(s.as_of) if s.as_of else data_as_of(dated, result.meetings)
    end = end if end is not None else pd.Timestamp("today").normalize()
    acts = actions if actions is not None else empty_actions()
    located = locate_actions(actions, result.meetings, result.units)
    if counts is not None:
        start = (counts.first if counts.first is not None else pd.NaT) if counts.n else None
        by_source = counts.sources
    else:
        start = pd.to_datetime(inc["date"]).min() if inc is not None and len(inc) else None
        by_source = sources(inc, column=s.reported_by_col) if inc is not None else None
    targets = {"women": s.target_women, "youth": s.target_youth, "migrants": s.target_migrants}
    lang = s.languages[0]
    return Planning(
        as_of=end.strftime("%Y-%m-%d"),
        radius_km=float(s.coverage_km),
        window_days=int(s.coverage_days),
        targets=targets,
        actions=acts.reset_index(drop=True),
        coverage=coverage_table(result, s, as_of=end, lang=lang),
        representation=representation(result.meetings, targets=targets, lang=lang),
        effectiveness=effectiveness(
            inc,
            result.units,
            result.meetings,
            actions=located,
            radius_km=s.coverage_km,
            window_days=s.effect_days,
            start=start,
            end=end,
            crs=result.crs,
            lang=lang,
            counts=counts,
        ),
        sources=by_source,
        source_flags=source_flags(by_source, k=int(s.k), lang=lang),
        lang=lang,
    )
