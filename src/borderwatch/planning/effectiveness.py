"""Incidents recorded before and after a meeting or a done action (:func:`effectiveness`).

For each meeting (and each action marked done, at its date done) it counts
the incidents recorded in the units within ``radius_km`` of the venue in the
``window_days`` before and after it, and gives the **rate ratio** after/before
with an exact Poisson confidence interval: conditional on the total
``n = after + before``, ``after`` is binomial with ``p = RR / (1 + RR)`` (equal
windows), and the Clopper–Pearson interval for ``p`` gives the interval for
RR (Breslow & Day 1987, ch. 2; Ulm 1990).

The same ratio is computed for **comparison units**: for each unit around the
meeting, the unit of the same country with no meeting within reach in the
two windows whose count in the window before is closest (matching on the
pre-period rate; a cross-border meeting gets comparison units on both sides).
The **difference in differences** is the ratio of the two rate ratios; its
95 % interval is the Wald interval on the log scale (variance ``1/a + 1/b +
1/c + 1/d``, with 0.5 added to every count when one is zero).

It shows association, never proof: fewer incidents *recorded* after a meeting
may mean fewer incidents, or less reporting, or chance. The ``statement``
says so in plain words: "incidents recorded fell by 30 % (95 % CI 10–45 %)
after the March 2024 meeting at Ménaka, while comparable areas fell by 5 %".
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .._crs import WGS84, study_crs
from .._dist import beta_ppf, norm_ppf
from ._tally import IncidentCounts

__all__ = ["EFFECT_COLUMNS", "effectiveness", "rate_ratio_ci"]

#: The columns of :func:`effectiveness`.
EFFECT_COLUMNS: Final = (
    "event",
    "event_id",
    "date",
    "place",
    "units",
    "countries",
    "before",
    "after",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "comparison_units",
    "comparison_before",
    "comparison_after",
    "comparison_ratio",
    "did",
    "did_low",
    "did_high",
    "statement",
)


def rate_ratio_ci(
    after: int, before: int, *, t_after: float = 1.0, t_before: float = 1.0, level: float = 0.95
) -> tuple[float, float, float]:
    """The rate ratio after/before and its exact (conditional binomial) confidence interval.

    Examples
    --------
    >>> rr, lo, hi = rate_ratio_ci(40, 100)
    >>> round(rr, 2), round(lo, 3), round(hi, 3)
    (0.4, 0.27, 0.583)
    >>> rate_ratio_ci(0, 0)
    (nan, nan, nan)
    """
    a, b = int(after), int(before)
    n = a + b
    if n == 0:
        return (np.nan, np.nan, np.nan)
    alpha = 1.0 - level
    p_lo = beta_ppf(alpha / 2, a, b + 1) if a > 0 else 0.0
    p_hi = beta_ppf(1 - alpha / 2, a + 1, b) if b > 0 else 1.0
    scale = t_before / t_after

    def ratio(p: float) -> float:
        return np.inf if p >= 1 else p / (1 - p) * scale

    rr = np.inf if b == 0 else a / b * scale
    return (float(rr), float(ratio(p_lo)), float(ratio(p_hi)))


def _did(a: int, b: int, c: int, d: int) -> tuple[float, float, float]:
    """(a/b)/(c/d) with a Wald 95 % interval on the log scale (0.5 added when a count is 0)."""
    if min(a + b, c + d) == 0:
        return (np.nan, np.nan, np.nan)
    x = np.array([a, b, c, d], dtype=float)
    if (x == 0).any():
        x = x + 0.5
    log = np.log(x[0] / x[1]) - np.log(x[2] / x[3])
    se = float(np.sqrt((1.0 / x).sum()))
    z = float(norm_ppf(0.975))
    return (float(np.exp(log)), float(np.exp(log - z * se)), float(np.exp(log + z * se)))


def _events(
    meetings: gpd.GeoDataFrame | None, actions: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    parts = []
    if meetings is not None and len(meetings):
        m = meetings.to_crs(WGS84)
        parts.append(
            gpd.GeoDataFrame(
                {
                    "event": "meeting",
                    "event_id": m["id"].astype(str).to_numpy()
                    if "id" in m
                    else np.arange(len(m)).astype(str),
                    "date": pd.to_datetime(m["date"]).to_numpy(),
                    "place": m["place"].to_numpy() if "place" in m else None,
                },
                geometry=m.geometry.to_numpy(),
                crs=WGS84,
            )
        )
    if actions is not None and len(actions):
        done = actions[(actions["status"] == "done") & pd.to_datetime(actions["done_date"]).notna()]
        if len(done):
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "event": "action",
                        "event_id": done["action_id"].astype(str).to_numpy(),
                        "date": pd.to_datetime(done["done_date"]).to_numpy(),
                        "place": done["action"].to_numpy(),
                    },
                    geometry=done.to_crs(WGS84).geometry.to_numpy(),
                    crs=WGS84,
                )
            )
    if not parts:
        return gpd.GeoDataFrame(
            {"event": [], "event_id": [], "date": [], "place": []}, geometry=[], crs=WGS84
        )
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(
        out[out["date"].notna()].reset_index(drop=True), geometry="geometry", crs=WGS84
    )


def _window_counts(
    inc_unit: np.ndarray, inc_day: np.ndarray, n_units: int, lo: pd.Timestamp, hi: pd.Timestamp
) -> np.ndarray:
    """Incidents per unit with lo <= date < hi."""
    sel = (inc_day >= lo.to_datetime64()) & (inc_day < hi.to_datetime64()) & (inc_unit >= 0)
    return np.bincount(inc_unit[sel], minlength=n_units)


def _controls(
    treated: np.ndarray, eligible: np.ndarray, before: np.ndarray, country: np.ndarray
) -> np.ndarray:
    """For each treated unit, the eligible unit of its country with the closest count before,
    within half of it or 3 incidents (without replacement; none when no unit is that close)."""
    free = eligible.copy()
    picked = []
    for t in treated[np.argsort(-before[treated], kind="stable")]:
        cand = np.flatnonzero(free & (country == country[t]))
        # similar: within half the treated unit's count before (or 3 incidents)
        gap = np.abs(before[cand] - before[t])
        cand, gap = cand[gap <= max(3.0, 0.5 * before[t])], gap[gap <= max(3.0, 0.5 * before[t])]
        if not len(cand):
            continue
        best = cand[np.argmin(gap)]
        picked.append(best)
        free[best] = False
    return np.asarray(picked, dtype=int)


def effectiveness(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    meetings: gpd.GeoDataFrame | None,
    *,
    actions: gpd.GeoDataFrame | None = None,
    radius_km: float = 20.0,
    window_days: int = 90,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    crs: Any = None,
    lang: str = "en",
    counts: IncidentCounts | None = None,
) -> pd.DataFrame:
    """Rate ratios before/after each meeting and done action, against matched comparison units.

    Parameters
    ----------
    incidents : GeoDataFrame
        Joined incidents (``unit_id``, ``date``).
    units : GeoDataFrame
        ``unit_id``, ``name``, ``country``.
    meetings : GeoDataFrame or None
        Meetings (``id``, ``date``, ``place``), points.
    actions : GeoDataFrame, optional
        Located actions (points) with ``status``, ``done_date``, ``action_id``.
    radius_km, window_days : optional
        The units within ``radius_km`` of the venue, the days before and after.
    start, end : Timestamp, optional
        The span of the data; events whose windows do not fit in it are left
        out (default: the incidents' first and last dates).
    crs : CRS, optional
        Metric CRS (default :func:`borderwatch.study_crs`).
    lang : {"en", "fr", "es", "pt", "ar"}, default "en"
        Language of the ``statement``.
    counts : IncidentCounts, optional
        The incidents counted per unit and day (the dask engine's aggregates), used
        instead of ``incidents``.

    Returns
    -------
    DataFrame
        :data:`EFFECT_COLUMNS`, one row per event with full windows.
    """
    events = _events(meetings, actions)
    n_inc = counts.n if counts is not None else 0 if incidents is None else len(incidents)
    if not len(events) or not n_inc:
        return pd.DataFrame(columns=list(EFFECT_COLUMNS))
    metric = crs or study_crs(units)
    ids = units["unit_id"].astype(str).to_numpy()
    pos = {u: i for i, u in enumerate(ids)}
    if counts is None:
        inc_unit = np.array([pos.get(str(u), -1) for u in incidents["unit_id"]], dtype=int)
        inc_day = pd.to_datetime(incidents["date"]).to_numpy()
        start = start if start is not None else pd.Timestamp(np.nanmin(inc_day))
        end = end if end is not None else pd.Timestamp(np.nanmax(inc_day))
    else:
        start = start if start is not None else counts.first or pd.NaT
        end = end if end is not None else counts.last or pd.NaT
    span = pd.Timedelta(days=int(window_days))
    um = units.to_crs(metric)
    ev_idx, unit_idx = um.sindex.query(
        events.to_crs(metric).geometry, predicate="dwithin", distance=radius_km * 1000.0
    )
    near = [unit_idx[ev_idx == i] for i in range(len(events))]
    country = units["country"].astype(str).to_numpy()
    names = units["name"].astype(str).to_numpy()
    rows = []
    for i, ev in events.iterrows():
        t = pd.Timestamp(ev["date"])
        if t - span < start or t + span > end + pd.Timedelta(days=1) or not len(near[i]):
            continue
        if counts is None:
            before = _window_counts(inc_unit, inc_day, len(ids), t - span, t)
            after = _window_counts(inc_unit, inc_day, len(ids), t, t + span)
        else:
            before, after = counts.around(t, window_days, ids)
        busy = np.zeros(len(ids), dtype=bool)
        during = (events["date"] >= t - span) & (events["date"] < t + span)
        for j in np.flatnonzero(during.to_numpy()):
            busy[near[j]] = True
        treated = np.unique(near[i])
        ctrl = _controls(treated, ~busy, before, country)
        row = _row(ev, t, treated, ctrl, before, after, ids, names, country)
        rows.append({**row, "statement": statement(row, lang=lang)})
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))


def _row(
    ev: pd.Series,
    t: pd.Timestamp,
    treated: np.ndarray,
    ctrl: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    ids: np.ndarray,
    names: np.ndarray,
    country: np.ndarray,
) -> dict[str, Any]:
    b, a = int(before[treated].sum()), int(after[treated].sum())
    rr, lo, hi = rate_ratio_ci(a, b)
    cb, ca = int(before[ctrl].sum()), int(after[ctrl].sum())
    crr = ca / cb if cb > 0 else np.nan
    did = _did(a, b, ca, cb) if len(ctrl) else (np.nan, np.nan, np.nan)
    row = {
        "event": ev["event"],
        "event_id": ev["event_id"],
        "date": t,
        "place": ev["place"] if isinstance(ev["place"], str) else None,
        "units": ", ".join(f"{ids[u]} {names[u]}" for u in treated),
        "countries": ",".join(sorted(set(country[treated]))),
        "before": b,
        "after": a,
        "rate_ratio": rr,
        "ci_low": lo,
        "ci_high": hi,
        "comparison_units": ", ".join(f"{ids[u]} {names[u]}" for u in ctrl) or None,
        "comparison_before": cb if len(ctrl) else pd.NA,
        "comparison_after": ca if len(ctrl) else pd.NA,
        "comparison_ratio": crr,
        "did": did[0],
        "did_low": did[1],
        "did_high": did[2],
    }
    return row


def statement(row: dict[str, Any], *, lang: str = "en") -> str:
    """The plain-words sentence of one event in ``lang`` (association, never proof).

    Built from the row's numbers with the ``effect.*`` templates of the
    translation files (:func:`borderwatch.planning._sentences.effect_statement`).

    Examples
    --------
    >>> statement({"event": "meeting", "date": pd.Timestamp("2024-03-12"), "place": "Ménaka",
    ...            "before": 100, "after": 70, "rate_ratio": 0.7, "ci_low": 0.55, "ci_high": 0.9,
    ...            "comparison_ratio": 0.95})
    'Incidents recorded fell by 30 % (95 % CI 10–45 %) after the March 2024 meeting at Ménaka, while comparable areas fell by 5 %. This is an association, not proof that the meeting caused it.'
    """
    from ._sentences import effect_statement

    return effect_statement(row, lang=lang)
