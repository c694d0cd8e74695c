"""``summary.json``: what an analysis did, with which settings, and what it found."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._crs import crs_string
from ._schema import SYNTHETIC
from .join import join_summary

if TYPE_CHECKING:
    from .pipeline import Found, Hotspots, Inputs, Joined, Judged, Space
    from .scan import ScanResult
    from .settings import Settings

__all__ = ["INPUT_KEYS", "NOTE", "build_summary"]

#: The association note every summary carries.
NOTE = (
    "Hotspots and clusters describe where incidents were recorded together (association), "
    "not why; recording practices differ between services and across the border."
)


def build_summary(
    s: Settings,
    *,
    inputs: Inputs,
    space: Space,
    joined: Joined,
    hot: Hotspots,
    scanned: ScanResult | None,
    found: Found,
    surface: Any,
    judged: Judged,
    warnings: list[str],
) -> dict[str, Any]:
    """The summary of one analysis (internal view; the public view redacts it)."""
    out: dict[str, Any] = {
        "tool": "borderwatch",
        "synthetic": bool(s.synthetic),
        "crs": crs_string(space.crs),
        "crs_centre": dict(space.centre),
        "view": s.view,
        "k": int(s.k),
        **_data_part(inputs, joined),
        "border": {"tolerance_m": space.tolerance_m, "pairs": space.border["countries"].tolist()},
        **_hotspot_part(s, hot),
        "scan": None if scanned is None else scanned.summary(),
        "clusters": {
            "method": s.cluster_method,
            **found.options,
            **found.test,
            "n": len(found.clusters),
        },
        "density": {
            "bandwidth_km": float(surface.bandwidth_km),
            "cell_km": float(surface.cell_km),
            # kernel mass (incidents) outside the published grid
            "mass_outside": round(float(getattr(surface, "mass_outside", 0.0)), 3),
        },
        "grid": hot.params.get("shape", s.grid),  # the public view's lattice is square
        "pai": judged.pai,
        "evaluation": judged.evaluation,
        "engine": s.engine,
        "counts_period": joined.period,
        "inputs": _inputs_part(inputs),
        "warnings": list(warnings),
        "population": None if s.population is None else Path(s.population).name,
        "note": NOTE,
    }
    if s.engine == "dask":
        out["partitions"] = joined.partitions
        out["dask"] = inputs.decisions.get("dask") or dict(_GATHERED)
    if s.synthetic:
        out["data"] = SYNTHETIC
    out["period"] = f"{out['date_first'] or '?'} – {out['date_last'] or '?'}"
    return out


#: The dask engine's record when it gathered the joined incidents on the client.
_GATHERED: dict[str, Any] = {
    "gathered": True,
    "why": "the incidents are one file or a frame, not partitioned input",
}


#: Keys of ``summary["inputs"]``: how the incidents file was read.
INPUT_KEYS = ("date_format", "sep", "decimal", "encoding")


def _inputs_part(inputs: Inputs) -> dict[str, Any]:
    """How the incidents were read: the date format decided, and for delimited text the
    delimiter, the decimal mark and the encoding (None where they do not apply)."""
    return {key: inputs.decisions.get(key) for key in INPUT_KEYS}


def _data_part(inputs: Inputs, joined: Joined) -> dict[str, Any]:
    inc = joined.incidents
    dates = pd.to_datetime(inc["date"]) if "date" in inc else pd.Series(dtype="datetime64[ns]")
    precision = inc.get("date_precision", pd.Series(dtype=object)).dropna()
    first, last = _date_range(dates, inc.get("date_precision"))
    return {
        "n_incidents": len(inc),
        "n_sensitive": int(inc["sensitive"].sum()) if "sensitive" in inc else 0,
        "n_meetings": 0 if joined.meetings is None else len(joined.meetings),
        "n_units": len(inputs.units),
        "countries": sorted(inputs.units["country"].unique().tolist()),
        "date_first": first,
        "date_last": last,
        "date_precision": sorted(precision.unique().tolist()),
        "join": join_summary(inc),
        "dropped_invalid": dict(inputs.dropped),
        **(joined.totals or {}),  # the dask engine's incidents are a sample: totals summed
    }


def _hotspot_part(s: Settings, hot: Hotspots) -> dict[str, Any]:
    p, units, regions = hot.params, hot.units, hot.regions
    links = units.get("neighbours", pd.Series(1, index=units.index))
    return {
        "cell_km": float(p["cell_km"]),
        "weights": p["weights"],
        "islands": p.get("islands", []),
        "unit_weights": hot.unit_weights,
        "unit_islands": units.loc[links == 0, "unit_id"].tolist(),
        "alpha": float(s.alpha),
        "permutations": int(s.permutations),
        "seed": int(s.seed),
        "fdr": p.get("fdr", "benjamini-hochberg"),
        "inference": p.get("inference"),
        "min_count": p.get("min_count"),
        "n_hotspot_cells": int((hot.cells["hotspot_kind"] == "hot").sum()),
        "n_hotspots": len(regions),
        "n_cross_border_hotspots": int(regions["cross_border"].sum()) if len(regions) else 0,
    }


def _iso(ts: Any) -> str | None:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)) or pd.isna(ts):
        return None
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


#: How a date is written at each precision (a datetime's range is given by day).
_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d", "datetime": "%Y-%m-%d"}
_FINER = ("datetime", "day", "month", "year")


def _date_range(dates: pd.Series, precision: pd.Series | None) -> tuple[str | None, str | None]:
    """The first and last date, each written at its own precision: ``"2009"`` for a
    year-only date, ``"2009-03"`` for a month, ``"2009-03-02"`` for a day.

    >>> d = pd.to_datetime(pd.Series(["2009-01-01", "2016-01-01"]))
    >>> _date_range(d, pd.Series(["year", "year"]))
    ('2009', '2016')
    >>> _date_range(d, None)
    ('2009-01-01', '2016-01-01')
    """
    if precision is None or dates.isna().all():
        return _iso(dates.min()), _iso(dates.max())
    prec = pd.Series(precision).reset_index(drop=True)
    d = pd.Series(dates).reset_index(drop=True)
    out = []
    for ts in (d.min(), d.max()):
        tied = set(prec[d == ts].dropna())
        finest = next((p for p in _FINER if p in tied), "day")
        out.append(pd.Timestamp(ts).strftime(_FORMATS[finest]))
    return out[0], out[1]
