"""The scan clusters on the web map: one outline layer and its legend entry.

Kept apart from the other layers: :func:`scan_layer` builds the layer from the
``scan`` frame of the result (already public in the public view) and
:func:`scan_legend_item` its entry in the "Borders and areas" legend.
"""

from __future__ import annotations

import json
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely

from ._format import column, date_text, fmt_num
from ._i18n import Tr
from ._prepare import LegendItem

__all__ = ["SCAN_LINE", "scan_layer", "scan_legend_item"]

#: Outline colour of the scan clusters (dotted, so it reads apart from the regions).
SCAN_LINE: Final = "#542788"
_DECIMALS = 5


def scan_layer(frame: gpd.GeoDataFrame, tr: Tr, suppressed: Any) -> dict[str, Any]:
    """The page layer of the scan clusters (hidden until switched on).

    ``suppressed`` turns a count into its display text (``Counts.text``).
    """
    fields = [
        tr("field.countries"),
        tr("field.incidents"),
        tr("field.expected"),
        tr("field.relative_risk"),
        tr("field.p_value"),
        tr("field.cross_border"),
        tr("field.border_km"),
        tr("field.first_date"),
        tr("field.last_date"),
    ]
    cols = {
        c: column(frame, c)
        for c in (
            "countries",
            "n_incidents",
            "expected",
            "relative_risk",
            "p_value",
            "cross_border",
            "border_km",
            "first_date",
            "last_date",
        )
    }
    geoms = shapely.transform(
        np.asarray(frame.to_crs(4326).geometry.array, dtype=object),
        lambda c: np.round(c, _DECIMALS),
    )
    features = []
    for i, geom in enumerate(geoms):
        rr = cols["relative_risk"][i]
        vals = [
            tr.countries(cols["countries"][i]) or None,
            suppressed(cols["n_incidents"][i]),
            fmt_num(cols["expected"][i]),
            "∞" if rr is not None and np.isinf(rr) else fmt_num(rr),
            fmt_num(cols["p_value"][i], 3),
            tr.yes_no(cols["cross_border"][i]),
            fmt_num(cols["border_km"][i]),
            date_text(cols["first_date"][i]),
            date_text(cols["last_date"][i]),
        ]
        props = {"t": tr("legend.scan"), "v": vals}
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geom)),
                "properties": props,
            }
        )
    return {
        "type": "geojson",
        "key": "scan",
        "name": tr("layer.scan"),
        "show": False,
        "pane": "bwRegions",
        "z": 446,
        "fc": {"type": "FeatureCollection", "features": features},
        "style": {
            "color": SCAN_LINE,
            "weight": 3,
            "opacity": 1,
            "dashArray": "2 6",
            "fillColor": SCAN_LINE,
            "fillOpacity": 0.04,
        },
        "fields": fields,
        "popup": True,
        "temporal": False,
    }


def scan_legend_item(tr: Tr) -> LegendItem:
    """The legend entry of the scan clusters."""
    return LegendItem("outline", SCAN_LINE, tr("legend.scan"), dash=True, key="scan")
