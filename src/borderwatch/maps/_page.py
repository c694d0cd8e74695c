"""The page's JSON: every layer, legend, text and colour of one web map.

:func:`page_data` turns a :class:`~borderwatch.maps._prepare.Prepared` into
plain JSON data. The page's script (``assets/borderwatch.js``) draws it and
writes every string with ``textContent``; colours come from here too.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._colormaps import colormap_hex
from .._schema import ATTENDANCE
from ._format import column, dates, fmt_int, fmt_num, is_missing
from ._html import to_text
from ._labels import page_rules
from ._page_areas import area_layer, areas_legend, priorities_panel, towns_layer
from ._prepare import (
    CellsLayer,
    IncidentsLayer,
    Legend,
    LegendItem,
    Prepared,
    UnitsLayer,
    count_column,
)
from ._style import (
    BORDER_COLOR,
    CATEGORY_COLORS,
    CELL_LINE,
    DENSITY_CMAP,
    EXTRA_COLORS,
    GRID_COLOR,
    GRID_LINE,
    HALO,
    HOTSPOT_COLORS,
    MEETING_COLOR,
    NO_CATEGORY_COLOR,
    NOT_SIGNIFICANT_COLOR,
    PAGE,
    POINT_LINE,
    UNIT_LINE,
    ZONE_COLOR,
    ZONE_LINE,
)

__all__ = ["CLUSTER_ABOVE", "DECIMALS", "MAX_COVER", "bounds", "page_data"]

#: Incident points are clustered (Leaflet.markercluster) above this many.
CLUSTER_ABOVE: Final = 3000
#: Decimal places of coordinates written to the page (1e-5 degree is about 1 m).
DECIMALS: Final = 5
#: At first, the map's panels (title, legend, controls) cover at most this share of it;
#: the page's script folds the legend when they would cover more.
MAX_COVER: Final = 0.3
#: UI strings the page's script writes itself (controls, buttons, tooltips, units).
_UI_KEYS = (
    "time.label",
    "time.all",
    "time.play",
    "time.pause",
    "legend.title",
    "layer.basemap",
    "ui.zoom_in",
    "ui.zoom_out",
    "ui.layers",
    "ui.close",
    "ui.legend_show",
    "ui.legend_hide",
    "ui.present",
    "ui.present_exit",
    "ui.next",
    "panel.show",
    "unit.km",
    "unit.m",
)


def _round_geoms(geoms: Any, decimals: int = DECIMALS) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    return shapely.transform(arr, lambda c: np.round(c, decimals))


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(geom)),
        "properties": props,
    }


def _fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _category_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [c for c in frame.columns if re.match(r"^iccs\d\d_\w+$", str(c))]


# ---------------------------------------------------------------------------
# layers


def _units_layer(p: Prepared, layer: UnitsLayer) -> dict[str, Any]:
    tr, counts, units = p.tr, p.counts, layer.frame
    cats = _category_columns(units)
    fields = [tr("field.country"), tr("field.incidents")]
    has_rate = "rate_per_100k" in units.columns
    if has_rate:
        fields.append(tr("field.rate"))
    fields += [tr.category(c) for c in cats]
    names = column(units, "name") if "name" in units.columns else column(units, "unit_id")
    value_is_count = count_column(units, p.value) == p.value
    has_count = "incidents" in units.columns
    incidents = column(units, "incidents")
    rates = column(units, "rate_per_100k")
    values = column(units, p.value)
    countries = column(units, "country")
    cat_values = {c: column(units, c) for c in cats}
    features = []
    for i, geom in enumerate(_round_geoms(units.geometry.to_numpy())):
        hidden_row = has_count and counts.suppressed(incidents[i])
        vals: list[Any] = [
            tr.country(countries[i]) or None,
            counts.text(incidents[i]) if has_count else None,
        ]
        if has_rate:
            vals.append(None if hidden_row else fmt_num(rates[i]))
        for c in cats:
            v = cat_values[c][i]
            vals.append(None if (not is_missing(v) and float(v) == 0) else counts.text(v))
        no_data = bool(layer.no_data and layer.no_data[i])
        if no_data:
            shown = tr("value.no_data")
            vals = [vals[0], shown] + [None] * (len(vals) - 2)
        elif value_is_count:
            shown = counts.text(values[i])
        elif hidden_row:
            shown = tr("value.suppressed", k=p.k)
        else:
            shown = fmt_num(values[i]) or tr("value.unknown")
        name = to_text(names[i])
        country = tr.country(countries[i])
        tip = f"{name} ({country}): {shown}" if country else f"{name}: {shown}"
        props: dict[str, Any] = {"c": layer.colors[i], "t": name, "v": vals, "tip": tip}
        if no_data:
            props["nd"] = True  # hatched: no data, never 0
        features.append(_feature(geom, props))
    return {
        "type": "geojson",
        "key": "units",
        "name": tr("layer.units"),
        "show": True,
        "pane": "bwUnits",
        "z": 405,
        "fc": _fc(features),
        "style": {"color": UNIT_LINE, "weight": 1, "opacity": 0.9, "fillOpacity": 0.72},
        "fields": fields,
        "popup": True,
        "tooltip": True,
    }


def _zone_layer(p: Prepared) -> dict[str, Any]:
    name = p.tr("layer.border_zone", km=fmt_num(p.zone_km))
    geom = _round_geoms([p.zone])[0]
    return {
        "type": "geojson",
        "key": "border_zone",
        "name": name,
        "show": True,
        "pane": "bwZone",
        "z": 418,  # under the hotspot cells: the yellow must not tint their classes
        "fc": _fc([_feature(geom, {"tip": name})]),
        "style": {
            "color": ZONE_LINE,
            "weight": 1.5,
            "dashArray": "6 5",
            "fillColor": ZONE_COLOR,
            "fillOpacity": 0.28,
        },
        "interactive": False,
        "popup": False,
        "tooltip": False,
    }


def _border_layers(p: Prepared, border: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    tr = p.tr
    out = []
    if p.zone is not None and not p.zone.is_empty:
        out.append(_zone_layer(p))
    features = []
    for geom, codes in zip(
        _round_geoms(border.geometry.to_numpy()), column(border, "countries"), strict=True
    ):
        features.append(_feature(geom, {"tip": tr.countries(codes) or tr("layer.border")}))
    out.append(
        {
            "type": "geojson",
            "key": "border",
            "name": tr("layer.border"),
            "show": True,
            "pane": "bwBorder",
            "z": 447,  # above the hotspot regions and clusters: the border stays whole
            "fc": _fc(features),
            "style": {
                "color": BORDER_COLOR,
                "weight": 5,
                "opacity": 1,
                "dashArray": "14 6 3 6",
                "fill": False,
                "smoothFactor": 0.5,  # the border keeps its shape at small zooms
            },
            "halo": {"color": HALO, "weight": 10},
            "popup": False,
            "tooltip": True,
            "avoid": True,  # labels are placed clear of these lines
        }
    )
    return out


def _cells_layer(p: Prepared, layer: CellsLayer) -> dict[str, Any]:
    tr, counts, cells = p.tr, p.counts, layer.frame
    fields = [
        tr("field.hotspot"),
        tr("field.incidents"),
        tr("field.gi_z"),
        tr("field.gi_p_fdr"),
        tr("field.countries"),
        tr("field.trend"),
    ]
    count = column(cells, "count")
    z = column(cells, "gi_z")
    pf = column(cells, "gi_p_fdr")
    countries = column(cells, "countries")
    trend = column(cells, "trend_class")
    months = None
    for col in ("date", "month"):
        if col in cells.columns:
            months = p.months.index(cells[col])
    features = []
    for i, geom in enumerate(_round_geoms(cells.geometry.to_numpy())):
        cls = tr.hotspot_class(*layer.classes[i])
        vals = [
            cls,
            counts.text(count[i]) if "count" in cells.columns else None,
            # the statistics' own terms stay in the internal view
            None if tr.plain or is_missing(z[i]) else f"{float(z[i]):.2f}",
            None if tr.plain or is_missing(pf[i]) else f"{float(pf[i]):.3f}",
            tr.countries(countries[i]) or None,
            tr.trend(trend[i]) or None,
        ]
        props: dict[str, Any] = {
            "c": layer.colors[i],
            "v": vals,
            "tip": f"{cls}: {vals[1]}" if vals[1] else cls,
            "t": cls,
        }
        if months is not None:
            props["m0"] = props["m1"] = months[i]
        features.append(_feature(geom, props))
    return {
        "type": "geojson",
        "key": "cells",
        "name": tr("layer.cells"),
        "show": True,
        "pane": "bwCells",
        "z": 420,
        "fc": _fc(features),
        "style": {"color": CELL_LINE, "weight": 0.6, "opacity": 0.7, "fillOpacity": 0.72},
        "fields": fields,
        "popup": True,
        "tooltip": True,
        "temporal": months is not None,
    }


def _density_image(density: Any) -> tuple[np.ndarray, list[list[float]]]:
    """RGBA image in Web Mercator and its lat/lon bounds (any object with values/transform/crs)."""
    from ..density import surface_image

    with warnings.catch_warnings():
        # rasterio multiplies affine transforms with `*` (affine >= 3 prefers `@`)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return surface_image(
            density.values, density.transform, density.crs, cmap=DENSITY_CMAP, alpha=0.75
        )


def _png_data_uri(rgba: np.ndarray) -> str:
    from PIL import Image  # as matplotlib's imsave did, without loading matplotlib

    buf = io.BytesIO()
    pixels = np.ascontiguousarray(rgba, dtype=np.uint8)
    size = (pixels.shape[1], pixels.shape[0])
    Image.frombuffer("RGBA", size, pixels, "raw", "RGBA", 0, 1).save(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _density_layer(p: Prepared) -> dict[str, Any] | None:
    rgba, corners = _density_image(p.density)
    if rgba.size == 0 or not np.any(rgba[..., 3]):
        return None
    return {
        "type": "image",
        "key": "density",
        "name": p.tr("layer.density"),
        "show": p.cells is None and p.hotspots is None,
        "url": _png_data_uri(rgba),
        "bounds": [[round(float(v), 6) for v in pair] for pair in corners],
        "opacity": 0.85,
    }


def _meetings_layer(p: Prepared, meetings: gpd.GeoDataFrame) -> dict[str, Any]:
    tr, counts = p.tr, p.counts
    fields = [tr("field.date"), tr("field.place"), tr("field.attendance")]
    fields += [tr(f"field.{c}") for c in ATTENDANCE]
    fields.append(tr("field.topics"))
    days = dates(column(meetings, "date"))
    months = p.months.index(days)
    place = column(meetings, "place")
    total = column(meetings, "attendance")
    att = {c: column(meetings, c) for c in ATTENDANCE}
    topics = column(meetings, "topics")
    features = []
    for i, geom in enumerate(_round_geoms(meetings.geometry.to_numpy())):
        day = None if pd.isna(days.iloc[i]) else f"{days.iloc[i]:%Y-%m-%d}"
        where = to_text(place[i]) or None
        groups = [None if is_missing(att[c][i]) else counts.text(att[c][i]) for c in ATTENDANCE]
        # the demo's topics are translated; a user's are shown as written
        topic_list = [tr.topic(t) for t in to_text(topics[i]).split(";") if t.strip()]
        vals = [
            day,
            where,
            None if is_missing(total[i]) else fmt_int(float(total[i])),
            *groups,
            topic_list,
        ]
        title = " – ".join(x for x in (day, where) if x) or tr("legend.meeting")
        props = {"t": title, "v": vals, "tip": title, "m0": months[i], "m1": months[i]}
        features.append(_feature(geom, props))
    return {
        "type": "geojson",
        "key": "meetings",
        "name": tr("layer.meetings"),
        "show": True,
        "pane": "bwMeetings",
        "z": 600,
        "fc": _fc(features),
        "marker": "meeting",
        "fields": fields,
        "popup": True,
        "tooltip": True,
        "temporal": any(m is not None for m in months),
    }


def _dict_column(
    values: Sequence[Any] | np.ndarray, transform: Callable[[Any], str | None]
) -> dict[str, Any]:
    """Dictionary-encode a column: distinct display texts and one index per row (-1: none)."""
    items = values if isinstance(values, np.ndarray) else list(values)
    codes, uniques = pd.factorize(pd.Series(items, dtype=object), use_na_sentinel=True)
    texts: dict[str, int] = {}
    remap = []
    for u in uniques:
        text = None if is_missing(u) else transform(u)
        remap.append(texts.setdefault(text, len(texts)) if text else -1)
    lookup = np.asarray([*remap, -1], dtype=np.int64)  # code -1 (missing) maps to -1
    return {"k": "dict", "d": list(texts), "i": lookup[codes].tolist()}


def _taken(frame: pd.DataFrame, name: str, take: np.ndarray) -> np.ndarray:
    """``column(frame.iloc[take], name)`` as an object array, without copying the frame."""
    if name in frame.columns:
        return frame[name].take(take).astype(object).to_numpy()
    return np.full(len(take), None, dtype=object)


def _dates_at(frame: pd.DataFrame, take: np.ndarray) -> pd.Series:
    """``dates(column(frame.iloc[take], "date"))``; a date column is read as it is (what
    its values, listed one by one, are read back as)."""
    if "date" in frame.columns and pd.api.types.is_datetime64_any_dtype(frame["date"].dtype):
        return dates(frame["date"].take(take).reset_index(drop=True))
    return dates(list(_taken(frame, "date", take)))


def _texts_or_none(values: np.ndarray) -> list[str | None]:
    """``to_text(v) or None`` of each value: the values themselves when they are strings
    (an empty one: None), else one :func:`to_text` per distinct value."""
    missing = pd.isna(values)
    if set(map(type, values[~missing])) <= {str}:
        out = values.copy()
        out[missing | (values == "")] = None
        return list(out)
    return [to_text(v) or None for v in values]


@dataclass(frozen=True)
class _Categories:
    """The incident categories drawn, in legend order, with their colours."""

    order: tuple[str, ...]
    colors: tuple[str, ...]
    index: tuple[int, ...]  # of each drawn point


def _categories(values: np.ndarray) -> _Categories:
    """The categories of the drawn points (``values``: their ``category``, as objects)."""
    if set(map(type, values[~pd.isna(values)])) <= {str}:  # to_text is the value itself
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [str(u) for u in uniques]
    else:  # other objects: as many texts as to_text makes (1 and 1.0 are two)
        rows = [None if is_missing(c) else to_text(c) for c in values]
        codes, uniques = pd.factorize(np.asarray(rows, dtype=object), use_na_sentinel=True)
        texts = [str(u) for u in uniques]
    present = sorted(set(texts), key=lambda c: (c not in CATEGORY_COLORS, c))
    order = present + (["__none__"] if bool((codes < 0).any()) else [])
    extra = iter(EXTRA_COLORS * (1 + len(order) // len(EXTRA_COLORS)))
    colors = [
        CATEGORY_COLORS.get(c) or (NO_CATEGORY_COLOR if c == "__none__" else next(extra))
        for c in order
    ]
    pos = {c: i for i, c in enumerate(order)}
    lookup = np.asarray([*(pos[t] for t in texts), pos.get("__none__", -1)], dtype=np.int64)
    return _Categories(tuple(order), tuple(colors), tuple(lookup[codes].tolist()))


def _rounded(values: np.ndarray, decimals: int) -> list[float]:
    """``round(float(v), decimals)`` of each value (Python's correctly rounded decimals,
    which numpy's round is not always)."""
    return list(map(round, values.astype(float).tolist(), itertools.repeat(decimals)))


def _incidents_layer(
    p: Prepared,
    inc: IncidentsLayer,
    cats: _Categories,
    lonlat: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    tr, take, frame = p.tr, inc.take, inc.frame
    days_raw = _dates_at(frame, take)
    day_numbers = (days_raw - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)
    days = np.asarray(day_numbers.to_numpy(dtype=float, na_value=np.nan))
    known = np.isfinite(days)
    day_list = np.where(known, days, 0).astype(np.int64).astype(object)
    day_list[~known] = None
    months = p.months.positions(days_raw)
    fields = [
        tr("field.id"),
        tr("field.date"),
        tr("field.category"),
        tr("field.category_raw"),
        tr("field.unit"),
        tr("field.country"),
        tr("field.sensitive"),
    ]
    cols = [
        {"k": "plain", "v": _texts_or_none(_taken(frame, "id", take))},
        {"k": "days", "v": list(day_list)},
        _dict_column(_taken(frame, "category", take), tr.category),
        _dict_column(_taken(frame, "category_raw", take), to_text),
        _dict_column(_taken(frame, "unit_name", take), to_text),
        _dict_column(_taken(frame, "country", take), tr.country),
        _dict_column(_taken(frame, "sensitive", take), tr.yes_no),
    ]
    return {
        "type": "points",
        "key": "incidents",
        "name": tr("layer.incidents"),
        "show": True,
        "lon": _rounded(lonlat[0][take], DECIMALS),
        "lat": _rounded(lonlat[1][take], DECIMALS),
        "cat": list(cats.index),
        "colors": list(cats.colors),
        "style": {"color": POINT_LINE, "weight": 1, "fillOpacity": 0.9},
        "m": months.tolist() if bool((months >= 0).any()) else None,
        "cluster": len(take) > CLUSTER_ABOVE,
        "title": tr("layer.incidents"),
        "fields": fields,
        "cols": cols,
        "radius": 5,
    }


def _points(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of points (of a point on the surface of other shapes)."""
    pts = frame.geometry.to_numpy()
    if not bool(np.all(shapely.get_type_id(pts) == 0)):
        pts = shapely.point_on_surface(pts)
    return shapely.get_x(pts), shapely.get_y(pts)


def _grid_layer(p: Prepared, lonlat: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Totals of all incidents on a grid of about 120 x 120 cells (when only a sample is drawn)."""
    lon, lat = lonlat
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    w, e, s, nn = lon.min(), lon.max(), lat.min(), lat.max()
    step = max((e - w), (nn - s)) / 120 or 0.01
    ix = np.floor((lon - w) / step).astype(np.int64)
    iy = np.floor((lat - s) / step).astype(np.int64)
    # cells numbered column by column (x, then y), as sorted keys x * 1_000_003 + y would be;
    # one count per cell (about 121 x 121 of them) instead of sorting every incident
    key = ix * (int(iy.max()) + 1) + iy
    n_all = np.bincount(key)
    used = np.flatnonzero(n_all)
    cnt = n_all[used]
    cx = np.bincount(key, weights=lon)[used] / cnt
    cy = np.bincount(key, weights=lat)[used] / cnt
    radius = 3 + 17 * np.sqrt(cnt / cnt.max())
    return {
        "type": "circles",
        "key": "incidents_grid",
        "name": p.tr("layer.incidents_grid"),
        "show": True,
        "lon": [round(float(v), 4) for v in cx],
        "lat": [round(float(v), 4) for v in cy],
        "n": [int(c) for c in cnt],
        "r": [round(float(r), 1) for r in radius],
        "tip": p.tr("label.grid"),
        "style": {"color": GRID_LINE, "weight": 1, "fillColor": GRID_COLOR, "fillOpacity": 0.55},
    }


# ---------------------------------------------------------------------------
# legend


def _density_legend(p: Prepared) -> Legend:
    tr = p.tr
    item = LegendItem(
        "gradient",
        colormap_hex(DENSITY_CMAP, 0.05),
        color2=colormap_hex(DENSITY_CMAP, 1.0),
        lo=tr("legend.density_low"),
        hi=tr("legend.density_high"),
    )
    return Legend(tr("layer.density"), (item,), key="density")


def _cells_legend(p: Prepared, layer: CellsLayer) -> Legend:
    tr = p.tr
    present = set(layer.colors)
    items = [
        LegendItem("fill", color, tr.hotspot_class(kind, conf))
        for (kind, conf), color in HOTSPOT_COLORS.items()
        if color in present
    ]
    items.append(
        LegendItem("fill", NOT_SIGNIFICANT_COLOR, tr("legend.not_drawn", label=tr("class.ns")))
    )
    return Legend(tr("legend.cells"), tuple(items), key="cells")


def _lines_legend(p: Prepared) -> Legend | None:
    tr = p.tr
    items = []
    if p.border is not None:
        items.append(LegendItem("line", BORDER_COLOR, tr("layer.border"), key="border", width=5))
        if p.zone is not None:
            km = fmt_num(p.zone_km)
            label = tr("layer.border_zone", km=km)
            items.append(LegendItem("fill", ZONE_COLOR, label, dash=True, key="border_zone"))
    items += areas_legend(p)
    return Legend(tr("legend.lines"), tuple(items)) if items else None


def _incidents_legends(p: Prepared, inc: IncidentsLayer, cats: _Categories) -> list[Legend]:
    tr = p.tr
    items = tuple(
        LegendItem("point", color, tr.category(None if c == "__none__" else c))
        for c, color in zip(cats.order, cats.colors, strict=True)
    )
    out = [Legend(tr("legend.incidents"), items, key="incidents")]
    if inc.sampled:
        grid = LegendItem("point", GRID_COLOR, tr("legend.grid"))
        out.append(Legend(tr("layer.incidents_grid"), (grid,), key="incidents_grid"))
    return out


# ---------------------------------------------------------------------------
# the page


def _layers_and_legend(p: Prepared) -> tuple[list[dict[str, Any]], list[Legend]]:
    """The page's layers, in drawing order, and the legend sections that explain them."""
    layers: list[dict[str, Any]] = []
    legend: list[Legend] = []
    if p.units is not None:
        layers.append(_units_layer(p, p.units))
        legend.append(p.units.legend)
    if p.density is not None:
        dl = _density_layer(p)
        if dl is not None:
            layers.append(dl)
            legend.append(_density_legend(p))
    if p.cells is not None:
        layers.append(_cells_layer(p, p.cells))
        legend.append(_cells_legend(p, p.cells))
    if p.border is not None:
        layers += _border_layers(p, p.border)
    layers += [area_layer(p, layer) for layer in p.areas]
    lines = _lines_legend(p)
    if lines is not None:
        legend.append(lines)
    towns = towns_layer(p)
    if towns is not None:
        layers.append(towns[0])
        legend.append(towns[1])
    if p.meetings is not None:
        layers.append(_meetings_layer(p, p.meetings))
        item = LegendItem("marker", MEETING_COLOR, p.tr("legend.meeting"))
        legend.append(Legend(p.tr("layer.meetings"), (item,), key="meetings"))
    if p.incidents is not None:
        inc = p.incidents
        cats = _categories(_taken(inc.frame, "category", inc.take))
        lonlat = _points(inc.frame)
        if inc.sampled:
            layers.append(_grid_layer(p, lonlat))
        layers.append(_incidents_layer(p, inc, cats, lonlat))
        legend += _incidents_legends(p, p.incidents, cats)
    return layers, legend


def _title_lines(p: Prepared, *, tiles: bool) -> list[dict[str, Any]]:
    tr = p.tr
    lines: list[dict[str, Any]] = []
    if p.period:
        lines.append({"text": tr("title.period", period=p.period)})
    if p.source:
        lines.append({"text": tr("title.source", source=p.source)})
    if p.view == "public":
        lines.append({"text": tr("title.public", k=p.k)})
    else:
        lines.append({"text": tr("title.internal"), "warn": True})
    if p.synthetic:
        lines.append({"text": tr("title.synthetic_note"), "warn": True})
    lines += [{"text": note} for note in p.notes]
    if tiles:
        lines.append({"text": tr("note.tiles")})
    return lines


def bounds(p: Prepared) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the units (or of everything drawn)."""
    frames = p.frames()
    if not frames:
        return None
    if p.units is not None:
        tb = p.units.frame.total_bounds
    else:
        tb = np.array(
            [
                min(f.total_bounds[0] for f in frames),
                min(f.total_bounds[1] for f in frames),
                max(f.total_bounds[2] for f in frames),
                max(f.total_bounds[3] for f in frames),
            ]
        )
    if not np.all(np.isfinite(tb)):
        return None
    return [
        [round(float(tb[1]), 5), round(float(tb[0]), 5)],
        [round(float(tb[3]), 5), round(float(tb[2]), 5)],
    ]


def page_data(
    p: Prepared, *, tiles: dict[str, str] | None, fit: bool, font_scale: float
) -> dict[str, Any]:
    """The JSON block of one map: what the page's script draws."""
    tr = p.tr
    layers, legend = _layers_and_legend(p)
    return {
        "v": 1,
        "lang": tr.lang,
        "dir": tr.dir,
        "view": p.view,
        "k": p.k,
        "title": p.title,
        "lines": _title_lines(p, tiles=tiles is not None),
        "synthetic": tr.synthetic_word() if p.synthetic else None,
        "bounds": bounds(p),
        "fit": fit,
        "tiles": tiles,
        "months": list(p.months.labels),
        "t": {key: tr(key) for key in _UI_KEYS},
        "layers": layers,
        "legend": [sec.as_json() for sec in legend],
        "panel": priorities_panel(p),
        "palette": dict(PAGE),
        **page_rules(),
        "fontScale": font_scale,
        "maxCover": MAX_COVER,
    }
