"""The page's JSON for labelled areas (hotspots, scan clusters, priorities, clusters) and towns.

Every kind of area (:data:`~borderwatch.maps._areas.AREA_KINDS`) becomes one
layer through :func:`area_layer`; cross-border areas carry a second, inner
outline (``inner``) so that they read as a double line, and have their own
legend entry (:func:`areas_legend`). :func:`towns_layer` is the offline context
layer of towns, whose names the page's script shows at a density that suits
the zoom (largest first, none overlapping).
"""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np
import shapely

from ..places import PLACES_SOURCE
from ._areas import area_id
from ._format import column, date_texts, dates, fmt_num
from ._labels import LABEL_CANDIDATES
from ._prepare import Legend, LegendItem, Prepared, RegionsLayer
from ._style import CROSS_INNER, TOWN_DOT

__all__ = ["CROSS_WEIGHT", "area_layer", "areas_legend", "priorities_panel", "towns_layer"]

#: Width (px) of a cross-border area's outer line; a white line of a third of it runs inside.
CROSS_WEIGHT: Final = 9


def _geojson(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(geom)),
        "properties": props,
    }


def _rounded(geoms: Any) -> np.ndarray:
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.round(c, 5))


#: Test columns shown in the popup when an area layer has them (scan clusters).
_TEST_COLUMNS: Final = ("expected", "relative_risk", "p_value")


def _test_columns(frame: Any) -> tuple[str, ...]:
    return tuple(c for c in _TEST_COLUMNS if c in frame.columns)


def _test_values(columns: dict[str, list[Any]], i: int) -> list[Any]:
    out: list[Any] = []
    for c, values in columns.items():
        v = values[i]
        if c == "relative_risk" and v is not None and np.isinf(v):
            out.append("∞")
        else:
            out.append(fmt_num(v, 3) if c == "p_value" else fmt_num(v))
    return out


def _fields(p: Prepared, tests: tuple[str, ...] = ()) -> list[str]:
    tr = p.tr
    return [
        tr("field.places"),
        tr("field.units"),
        tr("field.countries"),
        tr("field.incidents"),
        tr("field.cross_border"),
        tr("field.border_km"),
        tr("field.first_date"),
        tr("field.last_date"),
        tr("field.id"),
        *(tr(f"field.{c}") for c in tests),
    ]


def _inner(features: list[dict[str, Any]]) -> dict[str, Any]:
    """The white inner line of the cross-border areas (drawn over their outline)."""
    return {
        "fc": {"type": "FeatureCollection", "features": features},
        "style": {"color": CROSS_INNER, "weight": CROSS_WEIGHT / 3, "opacity": 1, "fill": False},
    }


def area_layer(p: Prepared, layer: RegionsLayer) -> dict[str, Any]:
    """One layer of labelled areas: outlines, labels, popups; cross-border ones doubled."""
    tr, counts, frame, labels, spec = p.tr, p.counts, layer.frame, layer.labels, layer.spec
    n = column(frame, "n_incidents")
    first_raw, last_raw = column(frame, "first_date"), column(frame, "last_date")
    m0, m1 = p.months.index(dates(first_raw)), p.months.index(dates(last_raw))
    countries, cross = column(frame, "countries"), column(frame, "cross_border")
    border_km, ids = column(frame, "border_km"), area_id(frame, spec)
    tests = _test_columns(frame)
    test_values = {c: column(frame, c) for c in tests}  # once, not once per area
    first_text, last_text = date_texts(first_raw), date_texts(last_raw)
    features, inner = [], []
    for i, geom in enumerate(_rounded(frame.geometry.to_numpy())):
        found = labels.places[i]
        towns = list(found.towns[:6]) or ([tr("label.near", town=found.near)] if found.near else [])
        vals = [
            towns,
            list(found.units[:8]),
            tr.countries(countries[i]) or None,
            counts.text(n[i]),
            tr.yes_no(cross[i]),
            fmt_num(border_km[i]),
            first_text[i],
            last_text[i],
            ids[i] or None,
            *_test_values(test_values, i),
        ]
        a = m0[i] if m0[i] is not None else m1[i]
        b = m1[i] if m1[i] is not None else a
        text = labels.texts[i]
        props: dict[str, Any] = {
            "t": text,
            "v": vals,
            "lbl": text,
            "no": labels.numbers[i],
            "m0": a,
            "m1": b,
        }
        # may get a permanent label: lr = priority, lx = cross-border, ll = its two lines
        if labels.rank[i] < LABEL_CANDIDATES:
            props["lr"] = int(labels.rank[i])
            props["lx"] = labels.cross[i]
            props["ll"] = list(labels.lines[i])
        if labels.cross[i]:
            props["x"] = True
            inner.append(_geojson(geom, {"m0": a, "m1": b}))
        features.append(_geojson(geom, props))
    out: dict[str, Any] = {
        "type": "geojson",
        "key": spec.layer,
        "name": tr(f"layer.{spec.layer}"),
        "show": p.shown_at_start(layer),
        "pane": "bwRegions",
        "z": 440 + spec.order,
        "fc": {"type": "FeatureCollection", "features": features},
        "style": {
            "color": spec.line,
            "weight": spec.weight,
            "opacity": 1,
            "dashArray": spec.dash,
            "fillColor": spec.line,
            "fillOpacity": 0.06,
        },
        "crossStyle": {"weight": CROSS_WEIGHT, "dashArray": None, "fillOpacity": 0.14},
        "radius": 9,
        "fields": _fields(p, tests),
        "popup": True,
        "label": "permanent",
        "labelOrder": spec.order,
        "labelColor": spec.line,
        "temporal": any(v is not None for v in m0),
    }
    if inner:
        out["inner"] = _inner(inner)
    return out


def areas_legend(p: Prepared) -> list[LegendItem]:
    """Legend lines of the areas: one per kind, and one for its cross-border areas."""
    items = []
    for layer in p.areas:
        spec = layer.spec
        dash = spec.dash is not None
        items.append(
            LegendItem("outline", spec.line, p.tr(f"legend.{spec.kind}"), dash=dash, key=spec.layer)
        )
        if any(layer.labels.cross):
            label = p.tr(f"legend.{spec.kind}_cross")
            items.append(LegendItem("double", spec.line, label, key=spec.layer, color2=CROSS_INNER))
    return items


def towns_layer(p: Prepared) -> tuple[dict[str, Any], Legend] | None:
    """The towns of the gazetteer around the map, largest first, and their legend."""
    t = p.towns
    if t is None or t.empty:
        return None
    spec = {
        "type": "towns",
        "key": "towns",
        "name": p.tr("layer.towns"),
        "show": True,
        "names": [str(v) for v in t["name"]],
        "lon": [round(float(v), 4) for v in t["lon"]],
        "lat": [round(float(v), 4) for v in t["lat"]],
        "pop": [int(v) for v in t["population"]],
        "maxShown": 40,
    }
    item = LegendItem("town", TOWN_DOT, p.tr("legend.towns", source=PLACES_SOURCE))
    return spec, Legend(p.tr("layer.towns"), (item,), key="towns")


def priorities_panel(p: Prepared) -> dict[str, Any] | None:
    """The side panel of the priorities: each area's number, label and reason, best first,
    with its bounds (``b``, [[south, west], [north, east]]) to zoom to it; None without
    priorities."""
    layer = p.area("priorities")
    if layer is None or not len(layer.frame):
        return None
    frame, labels = layer.frame, layer.labels
    reasons = column(frame, "reason")
    bounds = frame.geometry.bounds.to_numpy()
    items = []
    for i in labels.ids():
        w, s, e, n = (round(float(v), 5) for v in bounds[i])
        items.append(
            {
                "no": labels.numbers[i],
                "label": labels.texts[i],
                "reason": reasons[i] if isinstance(reasons[i], str) else None,
                "b": [[s, w], [n, e]],
            }
        )
    return {"title": p.tr("panel.priorities"), "items": items}
