"""The palette: every colour of the web map and the printed handout, in one place.

The page's script and stylesheet hold no colour: layer styles and legend
swatches carry their colours in the page's JSON, and :data:`PAGE` becomes CSS
custom properties (``--bw-<name>``) that the stylesheet uses.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BORDER_COLOR",
    "CATEGORY_COLORS",
    "CLUSTER_LINE",
    "DENSITY_CMAP",
    "GRID_COLOR",
    "HOTSPOT_COLORS",
    "HOTSPOT_LINE",
    "MEETING_COLOR",
    "NODATA_COLOR",
    "PAGE",
    "SUPPRESSED_COLOR",
    "UNITS_CMAP",
    "ZONE_COLOR",
    "CROSS_INNER",
    "SCAN_LINE",
    "PRIORITY_LINE",
    "NO_DATA_FILL",
    "LEADER",
]

#: Hotspot cells by (kind, confidence): ColorBrewer RdBu.
HOTSPOT_COLORS: Final = {
    ("hot", 99): "#b2182b",
    ("hot", 95): "#ef8a62",
    ("hot", 90): "#fddbc7",
    ("cold", 90): "#d1e5f0",
    ("cold", 95): "#67a9cf",
    ("cold", 99): "#2166ac",
}
#: Incident points by ICCS section.
CATEGORY_COLORS: Final = {
    "iccs01_death": "#d62728",
    "iccs02_harm": "#ff7f0e",
    "iccs03_sexual": "#e377c2",
    "iccs04_violent_property": "#8c564b",
    "iccs05_property": "#bcbd22",
    "iccs06_drugs": "#9467bd",
    "iccs07_fraud": "#17becf",
    "iccs08_public_order": "#1f77b4",
    "iccs09_public_safety": "#2ca02c",
    "iccs10_environment": "#98df8a",
    "iccs11_other": "#7f7f7f",
}
#: Categories outside the taxonomy, in turn (web map).
EXTRA_COLORS: Final = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d")
#: Incidents without a category (web map).
NO_CATEGORY_COLOR: Final = "#c7c7c7"
#: Incidents whose category has no colour of its own (printed handout).
OTHER_CATEGORY_COLOR: Final = "#7f7f7f"

UNITS_CMAP: Final = "Purples"
DENSITY_CMAP: Final = "YlOrRd"
SUPPRESSED_COLOR: Final = "#d9d9d9"
SUPPRESSED_HATCH: Final = "#888888"
NODATA_COLOR: Final = "#ffffff"
NOT_SIGNIFICANT_COLOR: Final = "#f7f7f7"
UNIT_LINE: Final = "#555555"
CELL_LINE: Final = "#444444"
BORDER_COLOR: Final = "#111111"
HALO: Final = "#ffffff"
ZONE_COLOR: Final = "#fdd835"
ZONE_LINE: Final = "#b59b00"
HOTSPOT_LINE: Final = "#67001f"
#: Cross-border areas: a double outline, their own line colour outside and this inside.
CROSS_INNER: Final = "#ffffff"
CLUSTER_LINE: Final = "#01665e"
SCAN_LINE: Final = "#54278f"
PRIORITY_LINE: Final = "#b35806"
#: Units of a country with no incidents at all: "no data", never the colour of 0.
NO_DATA_FILL: Final = "#f2f2f2"
NO_DATA_HATCH: Final = "#9e9e9e"
TOWN_DOT: Final = "#222222"
TOWN_HALO: Final = "#ffffff"
LEADER: Final = "#333333"
MEETING_COLOR: Final = "#1b9e77"
MEETING_SHADOW: Final = "#0b3d2e"
POINT_LINE: Final = "#ffffff"
GRID_COLOR: Final = "#6a51a3"
GRID_LINE: Final = "#3f007d"
TEXT: Final = "#111111"
WARN: Final = "#a50f15"

#: The page's own colours, set by its script as CSS custom properties ``--bw-<name>``.
PAGE: Final = {
    "background": "#eef0ea",
    "text": TEXT,
    "muted": "#333333",
    "panel": "rgba(255,255,255,.94)",
    "shadow": "rgba(0,0,0,.45)",
    "warn": WARN,
    "watermark": "rgba(190,0,0,.17)",
    "swatch-edge": UNIT_LINE,
    "point-edge": POINT_LINE,
    "point-shadow": "#333333",
    "meeting": MEETING_COLOR,
    "meeting-edge": "#ffffff",
    "meeting-shadow": MEETING_SHADOW,
    "label-bg": "rgba(255,255,255,.92)",
    "leader": LEADER,
    "town": TOWN_DOT,
    "town-halo": TOWN_HALO,
    "cross-inner": CROSS_INNER,
    "present-bg": "#000000",
    "present-text": "#ffffff",
    "present-panel": "rgba(0,0,0,.86)",
    "no-data-hatch": NO_DATA_HATCH,
    "hotspot-line": HOTSPOT_LINE,
    "cluster-line": CLUSTER_LINE,
    "scale-bg": "rgba(255,255,255,.85)",
}

# the printed handout
PRINT_NOTE: Final = "#222222"
PRINT_WATERMARK: Final = "#c00000"
PRINT_LABEL_FACE: Final = "white"
PRINT_HALO: Final = "white"
PRINT_SCALE: Final = ("black", "white")
