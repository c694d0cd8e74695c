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

__all__ = ["NOTE", "build_summary"]

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
        "density": {"bandwidth_km": float(surface.bandwidth_km), "cell_km": float(surface.cell_km)},
        "grid": s.grid,
        "pai": judged.pai,
        "evaluation": judged.evaluation,
        "engine": s.engine,
        "counts_period": s.period,
        "warnings": list(warnings),
        "population": None if s.population is None else Path(s.population).name,
        "note": NOTE,
    }
    if s.engine == "dask":
        out["partitions"] = joined.partitions
    if s.synthetic:
        out["data"] = SYNTHETIC
    out["period"] = f"{out['date_first'] or '?'} – {out['date_last'] or '?'}"
    return out


def _data_part(inputs: Inputs, joined: Joined) -> dict[str, Any]:
    inc = joined.incidents
    dates = pd.to_datetime(inc["date"]) if "date" in inc else pd.Series(dtype="datetime64[ns]")
    precision = inc.get("date_precision", pd.Series(dtype=object)).dropna()
    return {
        "n_incidents": len(inc),
        "n_sensitive": int(inc["sensitive"].sum()) if "sensitive" in inc else 0,
        "n_meetings": 0 if joined.meetings is None else len(joined.meetings),
        "n_units": len(inputs.units),
        "countries": sorted(inputs.units["country"].unique().tolist()),
        "date_first": _iso(dates.min()),
        "date_last": _iso(dates.max()),
        "date_precision": sorted(set(precision)),
        "join": join_summary(inc),
        "dropped_invalid": dict(inputs.dropped),
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
