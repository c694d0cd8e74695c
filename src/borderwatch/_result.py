"""The result object of :func:`borderwatch.analyze`."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from .settings import Settings

if TYPE_CHECKING:
    from .density import DensitySurface
    from .planning import Planning

__all__ = ["AnalysisResult"]


@dataclass(repr=False)
class AnalysisResult:
    """Everything one analysis produced, in memory.

    Frames are GeoDataFrames in EPSG:4326 (the edges of the CRS policy); the
    metric CRS of the analysis is ``crs``. Layers a run did not compute are
    ``None``.

    Attributes
    ----------
    units : GeoDataFrame
        ``unit_id``, ``name``, ``country``, ``incidents``, one column per
        category (taxonomy key), ``area_km2``; ``population`` and
        ``rate_per_100k`` when a population raster was given.
    border : GeoDataFrame
        International border lines with ``countries``.
    incidents : GeoDataFrame or None
        Joined incidents (see ``docs/architecture.md``). ``None`` in the public view.
    meetings : GeoDataFrame or None
        Joined community meetings.
    counts : DataFrame or None
        Incidents per unit × category × period (``unit_id``, ``country``,
        ``category``, ``period``, ``count``), see :func:`borderwatch.aggregate_counts`.
    cells : GeoDataFrame or None
        Every grid cell: ``cell_id``, ``count``, ``gi_z``, ``gi_p``, ``gi_p_fdr``,
        ``hotspot_kind``, ``hotspot_confidence``, ``countries``, ``trend_class`` and
        ``moran_class``.
    hotspots, clusters : GeoDataFrame or None
        Hotspot regions and point clusters (see ``../shared/CONTRACT.md``).
    scan : GeoDataFrame or None
        Clusters of the spatial scan statistic (:func:`borderwatch.scan.spatial_scan`),
        ``None`` when the scan did not run (``scan_replicates = 0``).
    density : DensitySurface or None
        The kernel density surface (``borderwatch.density``).
    priorities : GeoDataFrame or None
        The ranked areas of :func:`borderwatch.planning.priorities` (``rank``,
        ``score``, its components, ``reason``, ...; ``docs/planning.md``).
    planning : Planning or None
        Coverage, representation, effectiveness, sources and actions
        (:class:`borderwatch.planning.Planning`).
    crs : pyproj.CRS
        The metric CRS of the analysis.
    summary : dict
        What ``summary.json`` holds.
    view : {"public", "internal"}
    k : int
        The suppression threshold of the public view.
    synthetic : bool
        True for demo data; every output then says SYNTHETIC.
    title, source : str
        For map titles and footers; an empty title lets the map build one from
        the data ("Incidents near the Mali–Niger border, 2023–2024").
    settings : Settings
        The settings of the analysis (:class:`borderwatch.Settings`).

    Its ``repr`` is one short line (view, counts, hotspots, warnings); in
    Jupyter it shows as a small table (``_repr_html_``).
    """

    units: gpd.GeoDataFrame
    border: gpd.GeoDataFrame
    crs: CRS
    incidents: gpd.GeoDataFrame | None = None
    meetings: gpd.GeoDataFrame | None = None
    counts: pd.DataFrame | None = None
    cells: gpd.GeoDataFrame | None = None
    hotspots: gpd.GeoDataFrame | None = None
    clusters: gpd.GeoDataFrame | None = None
    scan: gpd.GeoDataFrame | None = None
    density: DensitySurface | None = None
    priorities: gpd.GeoDataFrame | None = None
    planning: Planning | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    view: str = "internal"
    k: int = 5
    synthetic: bool = False
    title: str = ""
    source: str = ""
    settings: Settings = field(default_factory=Settings)

    def replace(self, **changes: Any) -> AnalysisResult:
        """A copy with some fields replaced (frames are not deep-copied)."""
        return replace(self, **changes)

    def overview(self) -> dict[str, Any]:
        """The headline numbers: view, incidents, units, period, hotspot regions, clusters,
        warnings.

        Examples
        --------
        >>> import geopandas as gpd
        >>> r = AnalysisResult(units=gpd.GeoDataFrame(), border=gpd.GeoDataFrame(), crs=None,
        ...                    summary={"n_incidents": 1200, "n_units": 62, "n_hotspots": 3,
        ...                             "n_cross_border_hotspots": 1, "warnings": ["x"]})
        >>> r
        AnalysisResult(internal view: 1,200 incidents in 62 units; 3 hotspot regions (1 cross-border); 0 clusters; 1 warning)
        """
        sm = self.summary or {}
        n_clusters = (sm.get("clusters") or {}).get("n")
        if n_clusters is None:
            n_clusters = 0 if self.clusters is None else len(self.clusters)
        return {
            "view": self.view,
            "incidents": sm.get("n_incidents"),
            "units": sm.get("n_units", len(self.units) if self.units is not None else 0),
            "period": sm.get("period"),
            "hotspot regions": sm.get("n_hotspots", 0),
            "cross-border": sm.get("n_cross_border_hotspots", 0),
            "clusters": n_clusters,
            "warnings": len(sm.get("warnings") or []),
        }

    def __repr__(self) -> str:
        o = self.overview()
        n = "?" if o["incidents"] is None else f"{o['incidents']:,}"
        w = o["warnings"]
        return (
            f"AnalysisResult({o['view']} view: {n} incidents in {o['units']:,} units; "
            f"{o['hotspot regions']} hotspot regions ({o['cross-border']} cross-border); "
            f"{o['clusters']} clusters; {w} warning{'' if w == 1 else 's'})"
        )

    def _repr_html_(self) -> str:
        """A small table for Jupyter."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape('' if v is None else f'{v:,}' if isinstance(v, int) else str(v))}</td></tr>"
            for k, v in self.overview().items()
        )
        return f"<table><caption>AnalysisResult</caption>{rows}</table>"
