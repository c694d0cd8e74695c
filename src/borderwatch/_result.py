"""The result object of :func:`borderwatch.analyze`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from .settings import Settings

if TYPE_CHECKING:
    from .density import DensitySurface

__all__ = ["AnalysisResult"]


@dataclass
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
        For map titles and footers.
    settings : Settings
        The settings of the analysis (:class:`borderwatch.Settings`).
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
    summary: dict[str, Any] = field(default_factory=dict)
    view: str = "internal"
    k: int = 5
    synthetic: bool = False
    title: str = "borderwatch"
    source: str = ""
    settings: Settings = field(default_factory=Settings)

    def replace(self, **changes: Any) -> AnalysisResult:
        """A copy with some fields replaced (frames are not deep-copied)."""
        return replace(self, **changes)
