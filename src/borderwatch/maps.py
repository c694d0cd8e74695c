"""Meeting maps: interactive, offline and safe-by-default maps, and printable handouts.

:func:`make_map` draws an analysis on a :class:`folium.Map`: administrative
units as a choropleth, the international border with its border zone, hotspot
cells, hotspot regions and clusters with labels, the density surface, community
meetings and, in the internal view only, incidents. It adds a legend, a title
with the period and the data source, a scale bar, a layer control, a month
slider wherever the data have dates, and the word SYNTHETIC on demo data.
:func:`save_map` writes one self-contained HTML file that draws with no network;
:func:`export_static` writes the same view as an A4 PNG or PDF.

Safety
------
* ``view="public"`` (the default) never draws incident points, shows counts from
  1 to k-1 as "<k" (and suppressed counts, NaN, the same way), and, when given an
  internal :class:`~borderwatch._result.AnalysisResult`, first applies
  :func:`borderwatch.privacy.public_view` to it.
* User text reaches the page only as JSON data that the page's script writes with
  ``textContent``; see :mod:`borderwatch._html`.
* Leaflet and its plugins are inlined from Python packages; see
  :mod:`borderwatch._assets`.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from pyproj import CRS

from ._assets import MAP_CSS, MAP_JS, inline_script, inline_style, make_offline, network_urls
from ._crs import WGS84, require_crs, study_crs
from ._data import data_path
from ._errors import BorderwatchWarning, DataError
from ._html import RawHTML, escape_html, json_block, script_json, to_text
from ._result import AnalysisResult

__all__ = ["LANGUAGES", "export_static", "make_map", "save_map", "translations"]

#: Languages with a translation file in ``borderwatch/data/i18n``.
LANGUAGES = ("en", "fr", "es", "pt", "ar")
VIEWS = ("public", "internal")
#: Incident points are clustered (Leaflet.markercluster) above this many.
CLUSTER_ABOVE = 3000
#: At most this many incident points are drawn; above, a random sample plus grid totals.
MAX_POINTS = 50_000
#: At most this many hotspot / cluster labels are shown at once; every region
#: also has its full label on hover and in its popup.
MAX_LABELS = 6
#: Regions (per layer, in priority order) that may get a permanent label on the web map.
LABEL_CANDIDATES = 24
#: A cross-border region's label that fits nowhere else may hide at most this many
#: label heights of border line (it crosses the border instead of running along it).
LABEL_MAX_COVER = 2
#: Decimal places of coordinates written to the page (1e-5 degree is about 1 m).
DECIMALS = 5

HOTSPOT_COLORS = {
    ("hot", 99): "#b2182b",
    ("hot", 95): "#ef8a62",
    ("hot", 90): "#fddbc7",
    ("cold", 90): "#d1e5f0",
    ("cold", 95): "#67a9cf",
    ("cold", 99): "#2166ac",
}
CATEGORY_COLORS = {
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
_EXTRA_COLORS = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d"]
UNITS_CMAP = "Purples"
DENSITY_CMAP = "YlOrRd"
SUPPRESSED_COLOR = "#d9d9d9"
NODATA_COLOR = "#ffffff"
BORDER_COLOR = "#111111"
ZONE_COLOR = "#fdd835"
HOTSPOT_LINE = "#67001f"
CLUSTER_LINE = "#01665e"
MEETING_COLOR = "#1b9e77"
GRID_COLOR = "#6a51a3"
DEFAULT_ZONE_KM = 20.0

_ATTENDANCE = ("att_women", "att_men", "att_youth", "att_migrants", "att_police", "att_leaders")
_TILE_RE = re.compile(r"^https?://[^\s\"'<>]+$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SUMMARY_DATES = (
    ("date_first", "date_last"),
    ("first_date", "last_date"),
    ("date_min", "date_max"),
    ("start", "end"),
)
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


# ---------------------------------------------------------------------------
# translations


@lru_cache(maxsize=len(LANGUAGES))
def _load_translation(lang: str) -> dict[str, Any]:
    path = data_path("i18n", f"{lang}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def translations(lang: str = "en") -> dict[str, Any]:
    """The translation table of one language.

    Parameters
    ----------
    lang : {"en", "fr", "es", "pt", "ar"}

    Returns
    -------
    dict
        ``lang``, ``dir`` (``"ltr"`` or ``"rtl"``), ``strings`` (UI text by key;
        placeholders like ``{k}``) and ``countries`` (ISO3 code to name). A copy:
        changing it does not change borderwatch.

    Examples
    --------
    >>> translations("fr")["countries"]["NER"]
    'Niger'
    >>> translations("ar")["dir"]
    'rtl'
    """
    _check_lang(lang)
    return json.loads(json.dumps(_load_translation(lang)))


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        msg = f"lang={lang!r} is not available. Hint: use one of {', '.join(LANGUAGES)}."
        raise DataError(msg)


class _Tr:
    """Looks up and fills translated strings."""

    def __init__(self, lang: str) -> None:
        _check_lang(lang)
        doc = _load_translation(lang)
        self.lang = lang
        self.dir = doc["dir"]
        self.strings: dict[str, str] = doc["strings"]
        self.country_names: dict[str, str] = doc["countries"]
        self.fallback: dict[str, str] = _load_translation("en")["strings"]

    def __call__(self, key: str, **values: object) -> str:
        """The string ``key`` with ``{name}`` placeholders filled from ``values``.

        In a right-to-left language each value is wrapped in Unicode isolates
        (FSI ... PDI) so that dates, numbers and Latin names keep their order.
        """
        template = self.strings.get(key, self.fallback.get(key, key))
        wrap = "\u2068{}\u2069" if self.dir == "rtl" else "{}"
        return _PLACEHOLDER.sub(
            lambda m: (
                wrap.format(to_text(values[m.group(1)])) if m.group(1) in values else m.group(0)
            ),
            template,
        )

    def has(self, key: str) -> bool:
        return key in self.strings

    def country(self, code: object) -> str:
        text = to_text(code).strip()
        return self.country_names.get(text.upper(), text)

    def countries(self, codes: object) -> str:
        parts = [p.strip() for p in re.split(r"[,;]", to_text(codes)) if p.strip()]
        return "–".join(self.country(p) for p in parts)

    def category(self, key: object) -> str:
        text = to_text(key)
        if not text:
            return self("category.unknown")
        return self(f"category.{text}") if self.has(f"category.{text}") else text

    def hotspot_class(self, kind: object, conf: object) -> str:
        if kind in ("hot", "cold") and conf in (99, 95, 90):
            return self(f"class.{kind}", p=conf)
        return self("class.ns")

    def trend(self, value: object) -> str:
        text = to_text(value)
        key = "trend." + re.sub(r"[\s\-]+", "_", text.strip().lower())
        return self(key) if self.has(key) else text

    def yes_no(self, value: object) -> str | None:
        flag = _truthy(value)
        if flag is None:
            return None
        return self("value.yes") if flag else self("value.no")


def _truthy(value: object) -> bool | None:
    """A flag from bools, numbers or text such as "true"/"no"; None when missing or unclear."""
    if _is_missing(value):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "t", "yes", "y", "1"):
            return True
        if text in ("false", "f", "no", "n", "0", ""):
            return False
        return None
    return bool(value)


# ---------------------------------------------------------------------------
# number formatting


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(cast(Any, v)))
    except (TypeError, ValueError):
        return False


def _fmt_int(v: float) -> str:
    n = int(round(float(v)))
    text = str(abs(n))
    if abs(n) >= 10_000:
        groups = []
        while text:
            groups.append(text[-3:])
            text = text[:-3]
        text = "\u2009".join(reversed(groups))
    return ("-" if n < 0 else "") + text


def _fmt_num(v: object, decimals: int = 1) -> str | None:
    if _is_missing(v):
        return None
    f = float(v)  # type: ignore[arg-type]
    if float(f).is_integer():
        return _fmt_int(f)
    return f"{f:.{decimals}f}"


@dataclass
class _Counts:
    """How counts display in one view."""

    public: bool
    k: int
    tr: _Tr

    def suppressed(self, v: object) -> bool:
        """True if ``v`` is hidden: NaN, or 1 to k-1 in the public view."""
        if _is_missing(v):
            return self.public
        f = float(v)  # type: ignore[arg-type]
        return self.public and 0 < f < self.k

    def text(self, v: object) -> str:
        if self.suppressed(v):
            return self.tr("value.suppressed", k=self.k)
        if _is_missing(v):
            return self.tr("value.unknown")
        return _fmt_int(float(v))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# inputs


def _frame(gdf: Any, name: str) -> gpd.GeoDataFrame | None:
    """Validate a layer frame and return it in EPSG:4326 without empty geometries."""
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = (
            f"{name} must be a GeoDataFrame, got {type(gdf).__name__}. "
            "Hint: read it with borderwatch's readers or gpd.read_file."
        )
        raise DataError(msg)
    require_crs(gdf, what=name)
    out = gdf if CRS(gdf.crs).equals(WGS84) else gdf.to_crs(WGS84)
    geom = out.geometry
    keep = geom.notna() & ~geom.is_empty
    if not bool(keep.all()):
        out = out[keep.to_numpy()]
    if len(out) == 0:
        return None
    return out


def _dates(values: Any) -> pd.Series:
    s = pd.to_datetime(pd.Series(values), errors="coerce", utc=True)
    return s.dt.tz_localize(None)


def _month_numbers(values: Any) -> np.ndarray:
    """Months as ``year * 12 + month - 1`` (float, NaN for missing)."""
    d = _dates(values)
    out = (d.dt.year * 12 + d.dt.month - 1).astype("float64")
    return out.to_numpy(dtype=float, na_value=np.nan)


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


def _col(frame: gpd.GeoDataFrame, name: str) -> list[Any]:
    if name in frame.columns:
        return frame[name].astype(object).tolist()
    return [None] * len(frame)


def _sample_colors(cmap: str, n: int, lo: float = 0.15, hi: float = 0.8) -> list[str]:
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    if n <= 1:
        return [to_hex(cm((lo + hi) / 2))]
    return [to_hex(cm(x)) for x in np.linspace(lo, hi, n)]


# ---------------------------------------------------------------------------
# preparation shared by the web map and the static export


@dataclass
class _Legend:
    """A legend section; ``key`` (and an item's ``"key"``) name the layer it explains."""

    title: str
    items: list[dict[str, Any]] = field(default_factory=list)
    key: str | None = None


@dataclass
class _Prepared:
    tr: _Tr
    view: str
    k: int
    counts: _Counts
    title: str
    period: str | None
    source: str | None
    synthetic: bool
    value: str
    zone_km: float
    units: gpd.GeoDataFrame | None = None
    unit_colors: list[str] = field(default_factory=list)
    unit_legend: _Legend | None = None
    border: gpd.GeoDataFrame | None = None
    zone: Any = None
    cells: gpd.GeoDataFrame | None = None
    cell_colors: list[str] = field(default_factory=list)
    hotspots: gpd.GeoDataFrame | None = None
    clusters: gpd.GeoDataFrame | None = None
    density: Any = None
    meetings: gpd.GeoDataFrame | None = None
    incidents: gpd.GeoDataFrame | None = None
    incident_total: int = 0
    months: list[str] = field(default_factory=list)
    month0: int = 0
    notes: list[str] = field(default_factory=list)


def _resolve(
    result: AnalysisResult | None,
    layers: dict[str, Any],
    *,
    view: str,
    k: int | None,
) -> tuple[dict[str, Any], int, AnalysisResult | None]:
    if view not in VIEWS:
        msg = f"view={view!r} is not a view. Hint: use 'public' (default) or 'internal'."
        raise DataError(msg)
    if result is not None and not isinstance(result, AnalysisResult):
        msg = (
            f"result must be a borderwatch AnalysisResult, got {type(result).__name__}. "
            "Hint: pass layers as keywords instead (units=..., cells=...)."
        )
        raise DataError(msg)
    if k is None:
        k = int(result.k) if result is not None else 5
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k must be a whole number >= 1, got {k!r}. Hint: the default is 5."
        raise DataError(msg)
    k = int(k)
    if view == "public" and result is not None and result.view != "public":
        to_public: Callable[..., AnalysisResult] | None
        try:
            from .privacy import public_view as to_public
        except ImportError:  # pragma: no cover - privacy ships with borderwatch
            to_public = None
        if to_public is not None:
            result = to_public(result, k=k)
        else:  # pragma: no cover
            warnings.warn(
                "borderwatch.privacy is not available: the public map only suppresses counts "
                "and drops incidents; shapes are not generalised.",
                BorderwatchWarning,
                stacklevel=3,
            )
    out = {}
    for name, value in layers.items():
        out[name] = value if value is not None else getattr(result, name, None)
    return out, k, result


def _count_column(units: gpd.GeoDataFrame, value: str) -> str | None:
    """The count column whose suppression also hides ``value``."""
    if value == "incidents" or value.startswith("iccs") or value in ("count", "n_incidents"):
        return value
    return "incidents" if "incidents" in units.columns else None


def _category_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [c for c in frame.columns if re.match(r"^iccs\d\d_\w+$", str(c))]


def _classify(values: np.ndarray, n_classes: int = 5) -> tuple[np.ndarray, list[float]]:
    """Class index of each value (-1 for NaN) and the upper bounds of the classes."""
    import mapclassify

    finite = values[np.isfinite(values)]
    cls = np.full(len(values), -1, dtype=int)
    if finite.size == 0:
        return cls, []
    uniq = np.unique(finite)
    if uniq.size <= n_classes:
        bins = [float(u) for u in uniq]
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Numba not installed")
            if uniq.size <= 1000:
                bins = [float(b) for b in mapclassify.FisherJenks(finite, k=n_classes).bins]
            else:
                bins = [float(b) for b in mapclassify.Quantiles(finite, k=n_classes).bins]
    ok = np.isfinite(values)
    cls[ok] = np.minimum(np.searchsorted(np.asarray(bins), values[ok], side="left"), len(bins) - 1)
    return cls, bins


def _class_labels(bins: list[float], vmin: float, integer: bool) -> list[str]:
    labels = []
    for i, hi in enumerate(bins):
        if i == 0:
            lo = vmin
        else:
            lo = math.floor(bins[i - 1]) + 1 if integer else bins[i - 1]
        if integer:
            lo_t, hi_t = _fmt_int(lo), _fmt_int(hi)
        else:
            lo_t, hi_t = f"{lo:.1f}", f"{hi:.1f}"
        labels.append(hi_t if lo_t == hi_t or (integer and lo >= hi) else f"{lo_t}–{hi_t}")
    return labels


def _prepare_units(p: _Prepared, units: gpd.GeoDataFrame) -> None:
    tr, counts = p.tr, p.counts
    if p.value not in units.columns:
        numeric = [
            c for c in units.columns if c != "geometry" and pd.api.types.is_numeric_dtype(units[c])
        ]
        msg = (
            f"units have no column {p.value!r} to colour the map by. "
            f"Hint: pass value= one of {', '.join(map(str, numeric)) or '(no numeric columns)'}."
        )
        raise DataError(msg)
    raw = pd.to_numeric(units[p.value], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    count_col = _count_column(units, p.value)
    hidden = np.zeros(len(units), dtype=bool)
    if p.view == "public" and count_col is not None and count_col in units.columns:
        hidden = np.array(
            [counts.suppressed(v) for v in units[count_col].astype(object)], dtype=bool
        )
    values = np.where(hidden, np.nan, raw)
    cls, bins = _classify(values)
    integer = bool(np.all(np.mod(values[np.isfinite(values)], 1) == 0))
    colors = _sample_colors(UNITS_CMAP, len(bins))
    unit_colors = []
    for c, h in zip(cls, hidden, strict=True):
        unit_colors.append(SUPPRESSED_COLOR if h else (NODATA_COLOR if c < 0 else colors[c]))
    if p.value == "incidents":
        title = tr("legend.units_count")
    elif p.value == "rate_per_100k":
        title = tr("legend.units_rate")
    elif p.value.startswith("iccs"):
        title = tr("legend.units_category", category=tr.category(p.value))
    else:
        title = p.value
    legend = _Legend(title, key="units")
    finite = values[np.isfinite(values)]
    labels = _class_labels(bins, float(finite.min()), integer) if finite.size else []
    legend.items += [
        {"k": "fill", "c": c, "label": lbl} for c, lbl in zip(colors, labels, strict=True)
    ]
    if hidden.any():
        legend.items.append(
            {
                "k": "fill",
                "c": SUPPRESSED_COLOR,
                "label": tr("legend.suppressed", k=p.k),
                "dash": True,
            }
        )
    if (~hidden & ~np.isfinite(raw)).any():
        legend.items.append({"k": "fill", "c": NODATA_COLOR, "label": tr("legend.no_data")})
    p.units = units
    p.unit_colors = unit_colors
    p.unit_legend = legend


def _zone(border: gpd.GeoDataFrame, zone_km: float) -> Any:
    if zone_km <= 0:
        return None
    crs = study_crs(border)
    lines = border.to_crs(crs).geometry
    band = shapely.union_all(lines.buffer(zone_km * 1000.0, quad_segs=4).to_numpy())
    band = gpd.GeoSeries([band], crs=crs).simplify(max(zone_km * 20.0, 50.0)).to_crs(WGS84).iloc[0]
    return band


def _select_cells(cells: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """Significant cells, their colours and class keys."""
    if {"hotspot_kind", "hotspot_confidence"} <= set(cells.columns):
        conf = pd.to_numeric(cells["hotspot_confidence"], errors="coerce").fillna(0).astype(int)
        parsed = [
            (str(k), int(c)) if k in ("hot", "cold") else ("ns", 0)
            for k, c in zip(cells["hotspot_kind"].astype(object), conf, strict=True)
        ]
    elif "gi_z" in cells.columns:
        z = pd.to_numeric(cells["gi_z"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        pcol = "gi_p_fdr" if "gi_p_fdr" in cells.columns else "gi_p"
        pv = pd.to_numeric(_series(cells, pcol), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        parsed = []
        for zi, pi in zip(z, pv, strict=True):
            conf = 99 if pi < 0.01 else 95 if pi < 0.05 else 90 if pi < 0.10 else 0
            parsed.append(
                ("hot" if zi > 0 else "cold", conf) if conf and np.isfinite(zi) else ("ns", 0)
            )
    else:
        msg = "cells have neither 'hotspot_kind' nor 'gi_z' columns. Hint: pass the cells layer of the analysis."
        raise DataError(msg)
    keep = np.array([kc in HOTSPOT_COLORS for kc in parsed], dtype=bool)
    sel = cells[keep]
    colors = [HOTSPOT_COLORS[kc] for kc, kp in zip(parsed, keep, strict=True) if kp]
    keys = [f"{kc[0]}{kc[1]}" for kc, kp in zip(parsed, keep, strict=True) if kp]
    return sel, colors, keys


def _series(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _is_month_text(values: Any) -> bool:
    """True if every non-missing value is a ``YYYY-MM`` string (month precision)."""
    texts = [v for v in pd.Series(values, dtype=object).tolist() if not _is_missing(v)]
    return bool(texts) and all(isinstance(v, str) and _MONTH_RE.match(v.strip()) for v in texts)


def _date_text(value: object, *, month: bool = False) -> str | None:
    """A date for display: ``YYYY-MM`` when given at month precision, else ``YYYY-MM-DD``."""
    if _is_missing(value):
        return None
    if isinstance(value, str) and _MONTH_RE.match(value.strip()):
        return value.strip()
    d = _dates([value]).iloc[0]
    if pd.isna(d):
        return None
    return f"{d:%Y-%m}" if month else f"{d:%Y-%m-%d}"


def _period_from(p: _Prepared, result: AnalysisResult | None) -> str | None:
    summ = (result.summary or {}) if result is not None else {}
    if isinstance(summ.get("period"), str) and summ["period"].strip():
        return str(summ["period"]).strip()
    columns: list[Any] = []
    if p.incidents is not None and "date" in p.incidents.columns:
        columns.append(p.incidents["date"])
    for frame in (p.hotspots, p.clusters):
        if frame is not None:
            columns += [frame[c] for c in ("first_date", "last_date") if c in frame.columns]
    if not any(pd.Series(c).notna().any() for c in columns):
        pairs = [(summ.get(a), summ.get(b)) for a, b in _SUMMARY_DATES]
        rng = summ.get("date_range")
        if isinstance(rng, dict):
            pairs.append(tuple(rng.values())[:2])  # type: ignore[arg-type]
        elif isinstance(rng, list | tuple) and len(rng) == 2:
            pairs.append((rng[0], rng[1]))
        columns = [list(pair) for pair in pairs if pair[0] and pair[1]][:1]
    stamps: list[pd.Timestamp] = []
    for c in columns:
        d = _dates(c)
        stamps += [x for x in (d.min(), d.max()) if not pd.isna(x)]
    if not stamps:
        return None
    month = all(_is_month_text(c) for c in columns)
    fmt = "%Y-%m" if month else "%Y-%m-%d"
    return f"{min(stamps):{fmt}} – {max(stamps):{fmt}}"


def _prepare(
    result: AnalysisResult | None,
    *,
    layers: dict[str, Any],
    view: str,
    lang: str,
    k: int | None,
    title: str | None,
    period: str | None,
    source: str | None,
    synthetic: bool,
    value: str,
    zone_km: float | None,
    warn_incidents: bool = True,
) -> _Prepared:
    tr = _Tr(lang)
    resolved, k, result = _resolve(result, layers, view=view, k=k)
    if zone_km is None:
        zone_km = (
            float((result.summary or {}).get("border_zone_km", DEFAULT_ZONE_KM))
            if result
            else DEFAULT_ZONE_KM
        )
    if not (isinstance(zone_km, int | float) and math.isfinite(zone_km) and zone_km >= 0):
        msg = f"zone_km must be a distance in km >= 0, got {zone_km!r}. Hint: 0 hides the border zone."
        raise DataError(msg)
    if not isinstance(value, str):
        msg = f"value must be a column name, got {value!r}. Hint: value='incidents' or 'rate_per_100k'."
        raise DataError(msg)
    public = view == "public"
    p = _Prepared(
        tr=tr,
        view=view,
        k=k,
        counts=_Counts(public, k, tr),
        title=to_text(title if title is not None else (result.title if result is not None else ""))
        or tr("title.default"),
        period=None,
        source=to_text(
            source if source is not None else (result.source if result is not None else "")
        )
        or None,
        synthetic=bool(synthetic or (result is not None and result.synthetic)),
        value=value,
        zone_km=float(zone_km),
    )
    frames = {name: _frame(resolved[name], name) for name in resolved if name != "density"}
    if frames["units"] is not None:
        _prepare_units(p, frames["units"])
    p.border = frames["border"]
    if p.border is not None and p.zone_km > 0:
        p.zone = _zone(p.border, p.zone_km)
    if frames["cells"] is not None:
        sel, colors, _ = _select_cells(frames["cells"])
        p.cells = sel if len(sel) else None
        p.cell_colors = colors
    p.hotspots = frames["hotspots"]
    p.clusters = frames["clusters"]
    p.meetings = frames["meetings"]
    dens = resolved["density"]
    if dens is not None:
        for attr in ("values", "transform", "crs"):
            if not hasattr(dens, attr):
                msg = f"density has no {attr!r}. Hint: pass a borderwatch.density.DensitySurface."
                raise DataError(msg)
        if public and hasattr(dens, "masked"):
            below = getattr(dens, "masked_below", None)
            if below is None or below < k:
                dens = dens.masked(k)
        p.density = dens
    incidents = frames["incidents"]
    if incidents is not None and public:
        if warn_incidents and layers.get("incidents") is not None:
            warnings.warn(
                "the public view never shows incident points; the incidents were left out. "
                "Hint: use view='internal' for analysts.",
                BorderwatchWarning,
                stacklevel=3,
            )
        incidents = None
    if incidents is not None:
        p.incident_total = len(incidents)
    p.incidents = incidents
    p.period = to_text(period) if period is not None else _period_from(p, result)
    _prepare_months(p, frames.get("cells"))
    return p


def _prepare_months(p: _Prepared, cells: gpd.GeoDataFrame | None) -> None:
    nums: list[np.ndarray] = []
    if p.incidents is not None and "date" in p.incidents.columns:
        nums.append(_month_numbers(p.incidents["date"]))
    if p.meetings is not None and "date" in p.meetings.columns:
        nums.append(_month_numbers(p.meetings["date"]))
    for frame in (p.hotspots, p.clusters, p.cells):
        if frame is not None:
            for col in ("first_date", "last_date", "date", "month"):
                if col in frame.columns:
                    nums.append(_month_numbers(frame[col]))
    allm = np.concatenate(nums) if nums else np.array([])
    allm = allm[np.isfinite(allm)]
    if allm.size == 0:
        return
    lo, hi = int(allm.min()), int(allm.max())
    p.month0 = lo
    p.months = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)]


def _month_idx(p: _Prepared, values: Any) -> list[int | None]:
    nums = _month_numbers(values)
    return [None if not np.isfinite(v) else int(v) - p.month0 for v in nums]


# ---------------------------------------------------------------------------
# page data


def _units_layer(p: _Prepared, units: gpd.GeoDataFrame) -> dict[str, Any]:
    tr, counts = p.tr, p.counts
    cats = _category_columns(units)
    fields = [tr("field.country"), tr("field.incidents")]
    has_rate = "rate_per_100k" in units.columns
    if has_rate:
        fields.append(tr("field.rate"))
    fields += [tr.category(c) for c in cats]
    names = _col(units, "name") if "name" in units.columns else _col(units, "unit_id")
    value_is_count = _count_column(units, p.value) == p.value
    features = []
    geoms = _round_geoms(units.geometry.to_numpy())
    incidents = _col(units, "incidents")
    rates = _col(units, "rate_per_100k")
    values = _col(units, p.value)
    countries = _col(units, "country")
    cat_values = {c: _col(units, c) for c in cats}
    for i, geom in enumerate(geoms):
        hidden_row = "incidents" in units.columns and counts.suppressed(incidents[i])
        vals: list[Any] = [
            tr.country(countries[i]) or None,
            counts.text(incidents[i]) if "incidents" in units.columns else None,
        ]
        if has_rate:
            vals.append(None if hidden_row else _fmt_num(rates[i]))
        for c in cats:
            v = cat_values[c][i]
            vals.append(None if (not _is_missing(v) and float(v) == 0) else counts.text(v))
        if value_is_count:
            shown = counts.text(values[i])
        else:
            shown = (
                tr("value.suppressed", k=p.k)
                if hidden_row
                else (_fmt_num(values[i]) or tr("value.unknown"))
            )
        name = to_text(names[i])
        country = tr.country(countries[i])
        tip = f"{name} ({country}): {shown}" if country else f"{name}: {shown}"
        features.append(_feature(geom, {"c": p.unit_colors[i], "t": name, "v": vals, "tip": tip}))
    return {
        "type": "geojson",
        "key": "units",
        "name": tr("layer.units"),
        "show": True,
        "pane": "bwUnits",
        "z": 405,
        "fc": _fc(features),
        "style": {"color": "#555555", "weight": 1, "opacity": 0.9, "fillOpacity": 0.72},
        "fields": fields,
        "popup": True,
        "tooltip": True,
    }


def _border_layers(p: _Prepared, border: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    tr = p.tr
    out = []
    if p.zone is not None and not p.zone.is_empty:
        name = tr("layer.border_zone", km=_fmt_num(p.zone_km))
        geom = _round_geoms([p.zone])[0]
        out.append(
            {
                "type": "geojson",
                "key": "border_zone",
                "name": name,
                "show": True,
                "pane": "bwZone",
                "z": 418,  # under the hotspot cells: the yellow must not tint their classes
                "fc": _fc([_feature(geom, {"tip": name})]),
                "style": {
                    "color": "#b59b00",
                    "weight": 1.5,
                    "dashArray": "6 5",
                    "fillColor": ZONE_COLOR,
                    "fillOpacity": 0.28,
                },
                "interactive": False,
                "popup": False,
                "tooltip": False,
            }
        )
    features = []
    for geom, codes in zip(
        _round_geoms(border.geometry.to_numpy()), _col(border, "countries"), strict=True
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
            },
            "halo": {"color": "#ffffff", "weight": 10},
            "popup": False,
            "tooltip": True,
            "avoid": True,  # labels are placed clear of these lines
        }
    )
    return out


def _cells_layer(p: _Prepared, cells: gpd.GeoDataFrame) -> dict[str, Any]:
    tr, counts = p.tr, p.counts
    fields = [
        tr("field.hotspot"),
        tr("field.incidents"),
        tr("field.gi_z"),
        tr("field.gi_p_fdr"),
        tr("field.countries"),
        tr("field.trend"),
    ]
    _, _, keys = _select_cells(cells)
    count = _col(cells, "count")
    z = _col(cells, "gi_z")
    pf = _col(cells, "gi_p_fdr")
    countries = _col(cells, "countries")
    trend = _col(cells, "trend_class")
    dates = None
    for col in ("date", "month"):
        if col in cells.columns:
            dates = _month_idx(p, cells[col])
    features = []
    for i, geom in enumerate(_round_geoms(cells.geometry.to_numpy())):
        cls = tr.hotspot_class(keys[i][:-2], int(keys[i][-2:]))
        vals = [
            cls,
            counts.text(count[i]) if "count" in cells.columns else None,
            None if _is_missing(z[i]) else f"{float(z[i]):.2f}",
            None if _is_missing(pf[i]) else f"{float(pf[i]):.3f}",
            tr.countries(countries[i]) or None,
            tr.trend(trend[i]) or None,
        ]
        props: dict[str, Any] = {
            "c": p.cell_colors[i],
            "v": vals,
            "tip": f"{cls}: {vals[1]}" if vals[1] else cls,
            "t": cls,
        }
        if dates is not None:
            props["m0"] = props["m1"] = dates[i]
        features.append(_feature(geom, props))
    return {
        "type": "geojson",
        "key": "cells",
        "name": tr("layer.cells"),
        "show": True,
        "pane": "bwCells",
        "z": 420,
        "fc": _fc(features),
        "style": {"color": "#444444", "weight": 0.6, "opacity": 0.7, "fillOpacity": 0.72},
        "fields": fields,
        "popup": True,
        "tooltip": True,
        "temporal": dates is not None,
    }


def _region_label(p: _Prepared, frame: gpd.GeoDataFrame, kind: str) -> list[str]:
    tr, counts = p.tr, p.counts
    idcol = next(
        (c for c in (f"{kind}_id", "hotspot_id", "cluster_id", "id") if c in frame.columns), None
    )
    ids = _col(frame, idcol) if idcol else list(range(1, len(frame) + 1))
    n = _col(frame, "n_incidents")
    cross = _col(frame, "cross_border")
    countries = _col(frame, "countries")
    out = []
    for i in range(len(frame)):
        is_cross = bool(_truthy(cross[i]))
        key = f"label.{kind}_cross" if is_cross else f"label.{kind}"
        text = tr(
            key, id=to_text(ids[i]), n=counts.text(n[i]), countries=tr.countries(countries[i])
        )
        out.append(text.rstrip(", ،"))
    return out


def _label_order(p: _Prepared, frame: gpd.GeoDataFrame) -> np.ndarray:
    """Row positions in label priority: cross-border regions first, then by incidents.

    Counts hidden in the public view ("<k") rank as 0, so the order reveals nothing
    that the labels do not show.
    """
    counts = p.counts
    n = np.array(
        [
            0.0 if counts.suppressed(v) or _is_missing(v) else float(v)
            for v in _col(frame, "n_incidents")
        ],
        dtype=float,
    )
    n = np.where(np.isfinite(n), n, 0.0)
    cross = np.array([bool(_truthy(v)) for v in _col(frame, "cross_border")], dtype=bool)
    return np.lexsort((np.arange(len(frame)), -n, ~cross))


def _regions_layer(p: _Prepared, frame: gpd.GeoDataFrame, kind: str) -> dict[str, Any]:
    tr, counts = p.tr, p.counts
    fields = [
        tr("field.countries"),
        tr("field.incidents"),
        tr("field.cross_border"),
        tr("field.border_km"),
        tr("field.first_date"),
        tr("field.last_date"),
    ]
    labels = _region_label(p, frame, kind)
    n = _col(frame, "n_incidents")
    first_raw = _col(frame, "first_date")
    last_raw = _col(frame, "last_date")
    first = _dates(first_raw)
    last = _dates(last_raw)
    m0 = _month_idx(p, first)
    m1 = _month_idx(p, last)
    temporal = any(v is not None for v in m0)
    rank = np.empty(len(frame), dtype=int)
    rank[_label_order(p, frame)] = np.arange(len(frame))
    cross = [bool(_truthy(v)) for v in _col(frame, "cross_border")]
    features = []
    for i, geom in enumerate(_round_geoms(frame.geometry.to_numpy())):
        vals = [
            tr.countries(_col(frame, "countries")[i]) or None,
            counts.text(n[i]),
            tr.yes_no(_col(frame, "cross_border")[i]),
            _fmt_num(_col(frame, "border_km")[i]),
            _date_text(first_raw[i]),
            _date_text(last_raw[i]),
        ]
        a, b = m0[i], m1[i]
        if a is None:
            a = b
        if b is None:
            b = a
        props: dict[str, Any] = {"t": labels[i], "v": vals, "lbl": labels[i], "m0": a, "m1": b}
        # may get a permanent label: lr = priority, lx = cross-border
        if rank[i] < LABEL_CANDIDATES:
            props["lr"] = int(rank[i])
            props["lx"] = cross[i]
        features.append(_feature(geom, props))
    line = HOTSPOT_LINE if kind == "hotspot" else CLUSTER_LINE
    return {
        "type": "geojson",
        "key": "hotspots" if kind == "hotspot" else "clusters",
        "name": tr("layer.hotspots" if kind == "hotspot" else "layer.clusters"),
        "show": True,
        "pane": "bwRegions",
        "z": 440 if kind == "hotspot" else 445,
        "fc": _fc(features),
        "style": {
            "color": line,
            "weight": 4 if kind == "hotspot" else 3,
            "opacity": 1,
            "dashArray": None if kind == "hotspot" else "8 6",
            "fillColor": line,
            "fillOpacity": 0.06,
        },
        "radius": 9,
        "fields": fields,
        "popup": True,
        "label": "permanent",
        "labelOrder": 0 if kind == "hotspot" else 1,
        "temporal": temporal,
    }


def _density_image(density: Any) -> tuple[np.ndarray, list[list[float]]]:
    """RGBA image in Web Mercator and its lat/lon bounds (any object with values/transform/crs)."""
    from .density import surface_image

    with warnings.catch_warnings():
        # rasterio multiplies affine transforms with `*` (affine >= 3 prefers `@`)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return surface_image(
            density.values, density.transform, density.crs, cmap=DENSITY_CMAP, alpha=0.75
        )


def _png_data_uri(rgba: np.ndarray) -> str:
    from matplotlib.image import imsave

    buf = io.BytesIO()
    imsave(buf, rgba, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _density_layer(p: _Prepared, show: bool) -> dict[str, Any] | None:
    rgba, bounds = _density_image(p.density)
    if rgba.size == 0 or not np.any(rgba[..., 3]):
        return None
    bounds = [[round(float(v), 6) for v in pair] for pair in bounds]
    return {
        "type": "image",
        "key": "density",
        "name": p.tr("layer.density"),
        "show": show,
        "url": _png_data_uri(rgba),
        "bounds": bounds,
        "opacity": 0.85,
    }


def _meetings_layer(p: _Prepared, meetings: gpd.GeoDataFrame) -> dict[str, Any]:
    tr = p.tr
    counts = _Counts(p.view == "public", p.k, tr)
    fields = [tr("field.date"), tr("field.place"), tr("field.attendance")]
    fields += [tr(f"field.{c}") for c in _ATTENDANCE]
    fields.append(tr("field.topics"))
    dates = _dates(_col(meetings, "date"))
    months = _month_idx(p, dates)
    place = _col(meetings, "place")
    total = _col(meetings, "attendance")
    att = {c: _col(meetings, c) for c in _ATTENDANCE}
    topics = _col(meetings, "topics")
    features = []
    for i, geom in enumerate(_round_geoms(meetings.geometry.to_numpy())):
        day = None if pd.isna(dates.iloc[i]) else f"{dates.iloc[i]:%Y-%m-%d}"
        where = to_text(place[i]) or None
        group_vals = []
        for c in _ATTENDANCE:
            v = att[c][i]
            group_vals.append(None if _is_missing(v) else counts.text(v))
        topic_list = [t.strip() for t in to_text(topics[i]).split(";") if t.strip()]
        vals = [
            day,
            where,
            None if _is_missing(total[i]) else _fmt_int(float(total[i])),
            *group_vals,
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


def _dict_column(values: Sequence[Any], transform: Callable[[Any], str | None]) -> dict[str, Any]:
    """Dictionary-encode a column: distinct display texts and one index per row (-1: none)."""
    codes, uniques = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=True)
    texts: dict[str, int] = {}
    remap = []
    for u in uniques:
        text = None if _is_missing(u) else transform(u)
        remap.append(texts.setdefault(text, len(texts)) if text else -1)
    lookup = np.asarray([*remap, -1], dtype=np.int64)  # code -1 (missing) maps to -1
    return {"k": "dict", "d": list(texts), "i": lookup[codes].tolist()}


def _incident_layers(
    p: _Prepared, inc: gpd.GeoDataFrame, seed: int
) -> tuple[list[dict[str, Any]], _Legend]:
    tr = p.tr
    n = len(inc)
    layers: list[dict[str, Any]] = []
    pts = inc.geometry.to_numpy()
    if not bool(np.all(shapely.get_type_id(pts) == 0)):
        pts = shapely.point_on_surface(pts)
    lon_all = shapely.get_x(pts)
    lat_all = shapely.get_y(pts)
    if n > MAX_POINTS:
        rng = np.random.default_rng(seed)
        take = np.sort(rng.choice(n, size=MAX_POINTS, replace=False))
        layers.append(_grid_layer(p, lon_all, lat_all))
        p.notes.append(tr("note.sample", shown=_fmt_int(MAX_POINTS), total=_fmt_int(n)))
    else:
        take = np.arange(n)
    sub = inc.iloc[take]
    cats_raw = [None if _is_missing(c) else to_text(c) for c in _col(sub, "category")]
    present = sorted(
        {c for c in cats_raw if c is not None}, key=lambda c: (c not in CATEGORY_COLORS, c)
    )
    order = present + (["__none__"] if any(c is None for c in cats_raw) else [])
    colors = []
    extra = iter(_EXTRA_COLORS * (1 + len(order) // len(_EXTRA_COLORS)))
    for c in order:
        colors.append(CATEGORY_COLORS.get(c) or ("#c7c7c7" if c == "__none__" else next(extra)))
    index = {c: i for i, c in enumerate(order)}
    cat_idx = [index[c if c is not None else "__none__"] for c in cats_raw]
    dates = _dates(_col(sub, "date"))
    day_numbers = (dates - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)
    days = [None if pd.isna(d) else int(d) for d in day_numbers]
    months = [-1 if m is None else m for m in _month_idx(p, dates)]
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
        {"k": "plain", "v": [to_text(v) or None for v in _col(sub, "id")]},
        {"k": "days", "v": days},
        _dict_column(_col(sub, "category"), tr.category),
        _dict_column(_col(sub, "category_raw"), to_text),
        _dict_column(_col(sub, "unit_name"), to_text),
        _dict_column(_col(sub, "country"), tr.country),
        _dict_column(_col(sub, "sensitive"), tr.yes_no),
    ]
    layers.append(
        {
            "type": "points",
            "key": "incidents",
            "name": tr("layer.incidents"),
            "show": True,
            "lon": [round(float(v), DECIMALS) for v in lon_all[take]],
            "lat": [round(float(v), DECIMALS) for v in lat_all[take]],
            "cat": cat_idx,
            "colors": colors,
            "m": months if any(m >= 0 for m in months) else None,
            "cluster": len(take) > CLUSTER_ABOVE,
            "title": tr("layer.incidents"),
            "fields": fields,
            "cols": cols,
            "radius": 5,
        }
    )
    legend = _Legend(tr("legend.incidents"), key="incidents")
    for c, color in zip(order, colors, strict=True):
        label = tr.category(None if c == "__none__" else c)
        legend.items.append({"k": "point", "c": color, "label": label})
    return layers, legend


def _grid_layer(p: _Prepared, lon: np.ndarray, lat: np.ndarray) -> dict[str, Any]:
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    w, e, s, nn = lon.min(), lon.max(), lat.min(), lat.max()
    step = max((e - w), (nn - s)) / 120 or 0.01
    ix = np.floor((lon - w) / step).astype(np.int64)
    iy = np.floor((lat - s) / step).astype(np.int64)
    key = ix * 1_000_003 + iy
    uniq, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    cx = np.bincount(inv, weights=lon) / cnt
    cy = np.bincount(inv, weights=lat) / cnt
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
        "color": GRID_COLOR,
    }


def _bounds(p: _Prepared) -> list[list[float]] | None:
    frames = [
        f
        for f in (p.units, p.border, p.cells, p.hotspots, p.clusters, p.meetings, p.incidents)
        if f is not None
    ]
    if not frames:
        return None
    base = p.units if p.units is not None else None
    tb = (
        base.total_bounds
        if base is not None
        else np.array(
            [
                min(f.total_bounds[0] for f in frames),
                min(f.total_bounds[1] for f in frames),
                max(f.total_bounds[2] for f in frames),
                max(f.total_bounds[3] for f in frames),
            ]
        )
    )
    if not np.all(np.isfinite(tb)):
        return None
    return [
        [round(float(tb[1]), 5), round(float(tb[0]), 5)],
        [round(float(tb[3]), 5), round(float(tb[2]), 5)],
    ]


def _synthetic_word(tr: _Tr) -> str:
    word = tr("title.synthetic")
    return "SYNTHETIC" if word == "SYNTHETIC" else f"SYNTHETIC · {word}"


def _page_data(
    p: _Prepared, *, tiles: dict[str, str] | None, fit: bool, font_scale: float, seed: int
) -> dict[str, Any]:
    tr = p.tr
    layers: list[dict[str, Any]] = []
    legend: list[_Legend] = []
    if p.units is not None:
        layers.append(_units_layer(p, p.units))
        if p.unit_legend is not None:
            legend.append(p.unit_legend)
    if p.density is not None:
        dl = _density_layer(p, show=p.cells is None and p.hotspots is None)
        if dl is not None:
            layers.append(dl)
            from matplotlib import colormaps
            from matplotlib.colors import to_hex

            cm = colormaps[DENSITY_CMAP]
            legend.append(
                _Legend(
                    tr("layer.density"),
                    [
                        {
                            "k": "gradient",
                            "c": to_hex(cm(0.05)),
                            "c2": to_hex(cm(1.0)),
                            "lo": tr("legend.density_low"),
                            "hi": tr("legend.density_high"),
                        }
                    ],
                    key="density",
                )
            )
    if p.cells is not None:
        layers.append(_cells_layer(p, p.cells))
        present = {c for c in p.cell_colors}
        items = []
        for (kind, conf), color in HOTSPOT_COLORS.items():
            if color in present:
                items.append({"k": "fill", "c": color, "label": tr(f"class.{kind}", p=conf)})
        items.append(
            {"k": "fill", "c": "#f7f7f7", "label": tr("legend.not_drawn", label=tr("class.ns"))}
        )
        legend.append(_Legend(tr("legend.cells"), items, key="cells"))
    lines = _Legend(tr("legend.lines"))
    if p.border is not None:
        layers += _border_layers(p, p.border)
        lines.items.append(
            {"k": "line", "c": BORDER_COLOR, "w": 5, "label": tr("layer.border"), "key": "border"}
        )
        if p.zone is not None:
            lines.items.append(
                {
                    "k": "fill",
                    "c": ZONE_COLOR,
                    "label": tr("layer.border_zone", km=_fmt_num(p.zone_km)),
                    "dash": True,
                    "key": "border_zone",
                }
            )
    if p.hotspots is not None:
        layers.append(_regions_layer(p, p.hotspots, "hotspot"))
        lines.items.append(
            {"k": "outline", "c": HOTSPOT_LINE, "label": tr("legend.hotspot"), "key": "hotspots"}
        )
    if p.clusters is not None:
        layer = _regions_layer(p, p.clusters, "cluster")
        layer["show"] = p.hotspots is None
        layers.append(layer)
        lines.items.append(
            {
                "k": "outline",
                "c": CLUSTER_LINE,
                "label": tr("legend.cluster"),
                "dash": True,
                "key": "clusters",
            }
        )
    if lines.items:
        legend.append(lines)
    if p.meetings is not None:
        layers.append(_meetings_layer(p, p.meetings))
        legend.append(
            _Legend(
                tr("layer.meetings"),
                [{"k": "marker", "c": MEETING_COLOR, "label": tr("legend.meeting")}],
                key="meetings",
            )
        )
    if p.incidents is not None:
        inc_layers, inc_legend = _incident_layers(p, p.incidents, seed)
        layers += inc_layers
        legend.append(inc_legend)
        if any(layer["key"] == "incidents_grid" for layer in inc_layers):
            legend.append(
                _Legend(
                    tr("layer.incidents_grid"),
                    [{"k": "point", "c": GRID_COLOR, "label": tr("legend.grid")}],
                    key="incidents_grid",
                )
            )
    title_lines: list[dict[str, Any]] = []
    if p.period:
        title_lines.append({"text": tr("title.period", period=p.period)})
    if p.source:
        title_lines.append({"text": tr("title.source", source=p.source)})
    if p.view == "public":
        title_lines.append({"text": tr("title.public", k=p.k)})
    else:
        title_lines.append({"text": tr("title.internal"), "warn": True})
    if p.synthetic:
        title_lines.append({"text": tr("title.synthetic_note"), "warn": True})
    title_lines += [{"text": note} for note in p.notes]
    if tiles is not None:
        title_lines.append({"text": tr("note.tiles")})
    ui_keys = ("time.label", "time.all", "time.play", "time.pause", "legend.title", "layer.basemap")
    return {
        "v": 1,
        "lang": tr.lang,
        "dir": tr.dir,
        "view": p.view,
        "k": p.k,
        "title": p.title,
        "lines": title_lines,
        "synthetic": _synthetic_word(tr) if p.synthetic else None,
        "bounds": _bounds(p),
        "fit": fit,
        "tiles": tiles,
        "months": p.months,
        "t": {key: tr(key) for key in ui_keys},
        "layers": layers,
        "legend": [{"title": sec.title, "items": sec.items, "key": sec.key} for sec in legend],
        "maxLabels": MAX_LABELS,
        "labelMaxCover": LABEL_MAX_COVER,
        "fontScale": font_scale,
    }


class _MapLayers(MacroElement):
    """Writes one make_map call into the page: a JSON block and a draw call."""

    def __init__(self, data: dict[str, Any], *, page_title: str) -> None:
        super().__init__()
        self._name = "BorderwatchLayers"
        self.data = data
        self.page_title = page_title
        self.tiles_url = (data.get("tiles") or {}).get("url")

    def render(self, **kwargs: object) -> str:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = "the borderwatch layers must be on a folium Map inside a Figure."
            raise TypeError(msg)
        parent = self._parent
        if parent is None:
            msg = "the borderwatch layers must be added to a folium Map."
            raise TypeError(msg)
        data_id = f"bw-data-{self._id}"
        figure.header.add_child(
            RawHTML(f"<title>{escape_html(self.page_title)}</title>"), name="bw_title"
        )
        figure.header.add_child(RawHTML(inline_style(MAP_CSS)), name="bw_css")
        figure.header.add_child(RawHTML(inline_script(MAP_JS)), name="bw_js")
        figure.html.add_child(
            RawHTML(json_block(self.data, element_id=data_id)), name=self.get_name()
        )
        call = f"borderwatch.draw({parent.get_name()}, {script_json(data_id)});"
        figure.script.add_child(RawHTML(call), name=self.get_name())
        return ""


def _tiles_spec(tiles: str | None, attribution: str | None) -> dict[str, str] | None:
    if tiles is None:
        return None
    text = to_text(tiles).strip()
    if not _TILE_RE.match(text) or not all(s in text for s in ("{z}", "{x}", "{y}")):
        msg = (
            f"tiles={tiles!r} is not a tile URL. Hint: give an http(s) URL template with "
            "{z}, {x} and {y}, e.g. 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'."
        )
        raise DataError(msg)
    host = re.sub(r"^https?://([^/]+).*$", r"\1", text)
    return {"url": text, "attribution": to_text(attribution) if attribution else f"Tiles: {host}"}


def make_map(
    result: AnalysisResult | None = None,
    *,
    units: gpd.GeoDataFrame | None = None,
    border: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    clusters: gpd.GeoDataFrame | None = None,
    density: Any = None,
    meetings: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    view: str = "public",
    lang: str = "en",
    k: int | None = None,
    title: str | None = None,
    period: str | None = None,
    source: str | None = None,
    synthetic: bool = False,
    tiles: str | None = None,
    attribution: str | None = None,
    m: folium.Map | None = None,
    value: str = "incidents",
    zone_km: float | None = None,
    font_scale: float = 1.0,
    seed: int = 0,
) -> folium.Map:
    """Draw an analysis on an interactive map for a community meeting.

    Parameters
    ----------
    result : AnalysisResult, optional
        What :func:`borderwatch.analyze` returned. Its layers are drawn unless a
        keyword below replaces them. An internal result is turned into the
        public view (:func:`borderwatch.privacy.public_view`) when
        ``view="public"``.
    units, border, cells, hotspots, clusters, meetings, incidents : GeoDataFrame, optional
        Layers with the standard columns (``docs/architecture.md``), any CRS.
        Only significant cells are drawn. ``incidents`` are drawn only when
        ``view="internal"``: on canvas, clustered above 3,000 points, and above
        50,000 as a random sample (``seed``) plus grid totals of all of them.
    density : DensitySurface, optional
        Drawn as an image overlay (masked below ``k`` in the public view).
    view : {"public", "internal"}
        The public view hides incident points and shows counts from 1 to k-1,
        and suppressed (missing) counts, as "<k".
    lang : {"en", "fr", "es", "pt", "ar"}
        Language of every label; Arabic is laid out right to left.
    k : int, optional
        Suppression threshold; default ``result.k`` or 5.
    title, period, source : str, optional
        Shown in the title box; default from ``result`` and the data's dates.
    synthetic : bool
        Say SYNTHETIC on the map (also when ``result.synthetic``).
    tiles : str, optional
        URL template of an online basemap (``{z}/{x}/{y}``). Without it the
        map needs no network at all.
    attribution : str, optional
        Attribution text of ``tiles`` (shown as text).
    m : folium.Map, optional
        Draw onto this map instead of a new one (its view is not moved).
    value : str
        Units column for the choropleth: ``"incidents"``, ``"rate_per_100k"``
        or a category column such as ``"iccs02_harm"``. Classes by
        Fisher-Jenks natural breaks (mapclassify).
    zone_km : float, optional
        Width of the border-zone band on each side; default
        ``summary["border_zone_km"]`` or 20. ``0`` hides it.
    font_scale : float
        Multiplies every font size (1 is already large, for projection).
    seed : int
        Seed of the incident sample above 50,000 points.

    Returns
    -------
    folium.Map
        ``m`` or a new map without tiles. Save it with :func:`save_map`; in a
        notebook it displays inline.

    Raises
    ------
    DataError
        For a layer that is not a GeoDataFrame or has no CRS, an unknown
        ``view``, ``lang`` or ``value`` column, a bad ``k`` or ``tiles``.

    References
    ----------
    Jenks, G. F. (1967). The data model concept in statistical mapping.
    International Yearbook of Cartography 7, 186-190.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame(
    ...     {"unit_id": ["a", "b"], "name": ["North", "South"], "country": ["MLI", "NER"],
    ...      "incidents": [12, 3]},
    ...     geometry=[box(0, 14, 1, 15), box(1, 14, 2, 15)], crs=4326)
    >>> m = make_map(units=units, title="Demo", synthetic=True)
    >>> html = m.get_root().render()
    >>> "cdn.jsdelivr" in html, "\\\\u003c5" in html  # offline; 3 is shown as "<5"
    (False, True)
    """
    if (
        isinstance(font_scale, bool)
        or not isinstance(font_scale, int | float)
        or not 0.3 <= font_scale <= 4
    ):
        msg = f"font_scale must be a number from 0.3 to 4, got {font_scale!r}."
        raise DataError(msg)
    tiles_spec = _tiles_spec(tiles, attribution)
    p = _prepare(
        result,
        layers={
            "units": units,
            "border": border,
            "cells": cells,
            "hotspots": hotspots,
            "clusters": clusters,
            "density": density,
            "meetings": meetings,
            "incidents": incidents,
        },
        view=view,
        lang=lang,
        k=k,
        title=title,
        period=period,
        source=source,
        synthetic=synthetic,
        value=value,
        zone_km=zone_km,
    )
    fit = m is None
    if m is None:
        bounds = _bounds(p)
        center = (
            [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
            if bounds
            else [0.0, 0.0]
        )
        m = folium.Map(
            location=center,
            zoom_start=6,
            tiles=None,
            attribution_control=False,
            zoom_snap=0.25,
            zoom_delta=0.5,
            maxZoom=19,
        )
    elif not isinstance(m, folium.Map):
        msg = f"m must be a folium.Map, got {type(m).__name__}."
        raise DataError(msg)
    data = _page_data(p, tiles=tiles_spec, fit=fit, font_scale=float(font_scale), seed=seed)
    assets = make_offline(m)
    if any(layer.get("cluster") for layer in data["layers"]):
        assets.markercluster = True
    title_text = p.title + (f" – {_synthetic_word(p.tr)}" if p.synthetic else "")
    m.add_child(_MapLayers(data, page_title=title_text))
    return m


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write ``m`` to one self-contained HTML file that draws with no network.

    Leaflet and its plugins are inlined (:func:`borderwatch._assets.make_offline`);
    the file is written atomically (a temporary file, then renamed). A
    :class:`BorderwatchWarning` lists any URL the page would still fetch, other
    than a basemap asked for with ``tiles=``.

    Parameters
    ----------
    m : folium.Map
        Usually from :func:`make_map`; any folium map works.
    path : str or PathLike
        The ``.html`` file to write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"name": ["A"], "country": ["MLI"], "incidents": [7]},
    ...                          geometry=[box(0, 14, 1, 15)], crs=4326)
    >>> out = save_map(make_map(units=units), tempfile.mkdtemp() + "/map.html")
    >>> from borderwatch._assets import network_urls
    >>> network_urls(out.read_text(encoding="utf-8"))
    []
    """
    if not isinstance(m, folium.Map):
        msg = f"save_map needs a folium.Map, got {type(m).__name__}."
        raise TypeError(msg)
    make_offline(m)
    html = m.get_root().render()
    allowed = {
        child.tiles_url
        for child in m._children.values()
        if isinstance(child, _MapLayers) and child.tiles_url
    }
    extra = [u for u in network_urls(html) if u not in allowed]
    if extra:
        shown = ", ".join(sorted(set(extra))[:5])
        warnings.warn(
            f"the map loads {len(set(extra))} resource(s) from the internet and will not draw fully "
            f"offline: {shown}",
            BorderwatchWarning,
            stacklevel=2,
        )
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ---------------------------------------------------------------------------
# static export


A4_LANDSCAPE = (11.69, 8.27)


def _nice_length(target_m: float) -> float:
    exp = 10 ** math.floor(math.log10(max(target_m, 1.0)))
    for f in (1, 2, 5, 10):
        if f * exp >= target_m * 0.7:
            return f * exp
    return 10 * exp


def export_static(
    result: AnalysisResult | None,
    path: str | os.PathLike[str],
    *,
    units: gpd.GeoDataFrame | None = None,
    border: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    clusters: gpd.GeoDataFrame | None = None,
    density: Any = None,
    meetings: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    view: str = "public",
    lang: str = "en",
    k: int | None = None,
    title: str | None = None,
    period: str | None = None,
    source: str | None = None,
    synthetic: bool = False,
    value: str = "incidents",
    zone_km: float | None = None,
    fmt: str | None = None,
    dpi: int = 200,
    seed: int = 0,
) -> Path:
    """Write the map as a printable A4 handout (PNG or PDF) with matplotlib.

    The view :func:`make_map` opens with (same classes, colours, suppression and
    language; clusters only when there are no hotspot regions), drawn in the
    study area's equal-area projection with a legend, title, period, source,
    scale bar and, for demo data, SYNTHETIC across the page. The border is drawn
    over the regions; at most :data:`MAX_LABELS` region labels are placed,
    cross-border regions first, clear of each other and of the border. Text is
    never parsed as mathtext.

    Parameters
    ----------
    result : AnalysisResult or None
        As for :func:`make_map`; layers given as keywords replace its layers.
    path : str or PathLike
        Output file.
    fmt : {"png", "pdf"}, optional
        Default from the suffix of ``path``.
    dpi : int
        Resolution of a PNG (200 gives 2339 x 1654 pixels).
    units, border, cells, hotspots, clusters, density, meetings, incidents, view, lang, k, title, period, source, synthetic, value, zone_km, seed
        As for :func:`make_map`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"name": ["A", "B"], "country": ["MLI", "NER"],
    ...                           "incidents": [7, 30]},
    ...                          geometry=[box(0, 14, 1, 15), box(1, 14, 2, 15)], crs=4326)
    >>> out = export_static(None, tempfile.mkdtemp() + "/map.png", units=units, dpi=50)
    >>> out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("png", "pdf"):
        msg = f"cannot write a static map as {fmt!r}. Hint: use a .png or .pdf path, or fmt='png'/'pdf'."
        raise DataError(msg)
    p = _prepare(
        result,
        layers={
            "units": units,
            "border": border,
            "cells": cells,
            "hotspots": hotspots,
            "clusters": clusters,
            "density": density,
            "meetings": meetings,
            "incidents": incidents,
        },
        view=view,
        lang=lang,
        k=k,
        title=title,
        period=period,
        source=source,
        synthetic=synthetic,
        value=value,
        zone_km=zone_km,
    )
    import matplotlib

    with matplotlib.rc_context(
        {
            "text.parse_math": False,
            "text.usetex": False,
            "pdf.fonttype": 42,
            "font.family": "DejaVu Sans",
        }
    ):
        fig = _draw_static(p, seed=seed)
        meta = (
            {"Title": p.title, "Creator": "borderwatch"}
            if fmt == "pdf"
            else {"Title": p.title, "Software": "borderwatch"}
        )
        fig.savefig(path, format=fmt, dpi=dpi, metadata=meta)
    return path


def _draw_static(p: _Prepared, *, seed: int) -> Any:
    from matplotlib import patheffects
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    tr = p.tr
    frames = [
        f
        for f in (p.units, p.border, p.cells, p.hotspots, p.clusters, p.meetings, p.incidents)
        if f is not None
    ]
    if p.density is not None:
        crs = CRS(p.density.crs)
    elif frames:
        crs = study_crs(p.units if p.units is not None else frames[0])
    else:
        msg = "nothing to draw: give at least one layer (units=..., border=..., ...)."
        raise DataError(msg)
    fig = MplFigure(figsize=A4_LANDSCAPE)
    ax = fig.add_axes((0.02, 0.07, 0.68, 0.78))
    ax.set_axis_off()
    ax.set_aspect("equal")
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    handles: list[Any] = []

    def section(title: str) -> None:
        handles.append(Patch(facecolor="none", edgecolor="none", label=title))
        section_titles.add(title)

    section_titles: set[str] = set()
    if p.units is not None:
        u = p.units.to_crs(crs)
        u.plot(ax=ax, color=p.unit_colors, edgecolor="#555555", linewidth=0.4, zorder=1)
        hidden = [c == SUPPRESSED_COLOR for c in p.unit_colors]
        if any(hidden):
            u[hidden].plot(
                ax=ax, facecolor="none", edgecolor="#888888", hatch="///", linewidth=0, zorder=1.1
            )
        if p.unit_legend is not None:
            section(p.unit_legend.title)
            for it in p.unit_legend.items:
                handles.append(
                    Patch(
                        facecolor=it["c"],
                        edgecolor="#555555",
                        hatch="///" if it["c"] == SUPPRESSED_COLOR else None,
                        label=it["label"],
                    )
                )
    if p.density is not None and p.cells is None and p.hotspots is None:
        # as on the web map, where the surface starts hidden under cells and regions
        vals = np.asarray(p.density.values, dtype=float)
        rows, cols = vals.shape
        t = p.density.transform
        extent = (t.c, t.c + cols * t.a, t.f + rows * t.e, t.f)
        shown = np.ma.masked_where(~np.isfinite(vals) | (np.nan_to_num(vals) <= 0), vals)
        if shown.count():
            ax.imshow(
                shown,
                extent=extent,
                cmap=DENSITY_CMAP,
                alpha=0.7,
                zorder=1.5,
                interpolation="bilinear",
            )
            from matplotlib import colormaps

            cm = colormaps[DENSITY_CMAP]
            section(tr("layer.density"))
            handles.append(Patch(facecolor=cm(0.15), alpha=0.7, label=tr("legend.density_low")))
            handles.append(Patch(facecolor=cm(0.95), alpha=0.7, label=tr("legend.density_high")))
    if p.zone is not None:  # under the cells, so that their classes keep their colours
        gpd.GeoSeries([p.zone], crs=WGS84).to_crs(crs).plot(
            ax=ax, color=ZONE_COLOR, alpha=0.3, edgecolor="#b59b00", linewidth=0.8, zorder=1.8
        )
    if p.cells is not None:
        p.cells.to_crs(crs).plot(
            ax=ax, color=p.cell_colors, edgecolor="#444444", linewidth=0.2, zorder=2
        )
        section(tr("legend.cells"))
        for (kind, conf), color in HOTSPOT_COLORS.items():
            if color in set(p.cell_colors):
                handles.append(
                    Patch(facecolor=color, edgecolor="#444444", label=tr(f"class.{kind}", p=conf))
                )
    lines_started = False
    if p.zone is not None:
        section(tr("legend.lines"))
        lines_started = True
        handles.append(
            Patch(
                facecolor=ZONE_COLOR,
                alpha=0.5,
                edgecolor="#b59b00",
                label=tr("layer.border_zone", km=_fmt_num(p.zone_km)),
            )
        )
    border_m = None
    if p.border is not None:
        # above the hotspot regions, so that the border is drawn whole
        border_m = p.border.to_crs(crs)
        border_m.plot(ax=ax, color="white", linewidth=5, zorder=4.2)
        border_m.plot(ax=ax, color=BORDER_COLOR, linewidth=2.6, zorder=4.3)
        if not lines_started:
            section(tr("legend.lines"))
            lines_started = True
        handles.append(Line2D([], [], color=BORDER_COLOR, linewidth=2.6, label=tr("layer.border")))
    # clusters only when there are no hotspot regions: the web map starts the same way
    regions = [(p.hotspots, "hotspot", HOTSPOT_LINE, "-")]
    if p.hotspots is None:
        regions.append((p.clusters, "cluster", CLUSTER_LINE, "--"))
    label_items: list[dict[str, Any]] = []
    for frame, kind, color, style in regions:
        if frame is None:
            continue
        g = frame.to_crs(crs)
        polys = g[g.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            polys.boundary.plot(ax=ax, color=color, linewidth=2, linestyle=style, zorder=4)
        pts = g[~g.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(pts):
            pts.plot(ax=ax, color=color, markersize=30, zorder=4)
        labels = _region_label(p, frame, kind)
        bounds = g.geometry.bounds.to_numpy()
        cross = [bool(_truthy(v)) for v in _col(frame, "cross_border")]
        for i in _label_order(p, frame):
            label_items.append(
                {
                    # on paper, two short lines: "Hotspot 2:" / "357 incidents, Mali"
                    "text": re.sub(r"\s*:\s+", ":\n", labels[i], count=1),
                    "color": color,
                    "bounds": bounds[i],
                    "cross": cross[i],
                }
            )
        if not lines_started:
            section(tr("legend.lines"))
            lines_started = True
        handles.append(
            Line2D(
                [],
                [],
                color=color,
                linewidth=2,
                linestyle=style,  # type: ignore[arg-type]
                label=tr("legend.hotspot" if kind == "hotspot" else "legend.cluster"),
            )
        )
    if p.meetings is not None:
        mt = p.meetings.to_crs(crs)
        ax.scatter(
            mt.geometry.x,
            mt.geometry.y,
            marker="D",
            s=55,
            color=MEETING_COLOR,
            edgecolor="white",
            linewidth=1.2,
            zorder=5,
        )
        section(tr("layer.meetings"))
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                linestyle="none",
                color=MEETING_COLOR,
                markeredgecolor="white",
                markersize=8,
                label=tr("legend.meeting"),
            )
        )
    if p.incidents is not None:
        inc = p.incidents
        if len(inc) > MAX_POINTS:
            rng = np.random.default_rng(seed)
            inc = inc.iloc[np.sort(rng.choice(len(inc), MAX_POINTS, replace=False))]
        ip = inc.to_crs(crs)
        cats = [None if _is_missing(c) else to_text(c) for c in _col(ip, "category")]
        colors = [CATEGORY_COLORS.get(c or "", "#7f7f7f") for c in cats]
        ax.scatter(ip.geometry.x, ip.geometry.y, s=4, c=colors, linewidths=0, zorder=4.5)
        section(tr("legend.incidents"))
        for c in sorted({c for c in cats if c}, key=lambda c: (c not in CATEGORY_COLORS, c)):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="none",
                    color=CATEGORY_COLORS.get(c, "#7f7f7f"),
                    markersize=6,
                    label=tr.category(c),
                )
            )
    # extent: the units (or everything drawn)
    ref = p.units if p.units is not None else (frames[0] if frames else None)
    if ref is not None:
        minx, miny, maxx, maxy = ref.to_crs(crs).total_bounds
        padx, pady = (maxx - minx) * 0.03, (maxy - miny) * 0.03
        ax.set_xlim(minx - padx, maxx + padx)
        ax.set_ylim(miny - pady, maxy + pady)
    furniture = _scale_bar(ax, tr)
    furniture.append(
        ax.text(
            0.98,
            0.96,
            tr("static.north") + "\n↑",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=14,
            fontweight="bold",
            path_effects=halo,
        )
    )
    if label_items:
        _place_labels(ax, label_items, furniture=furniture, border=border_m)
    # title and notes (right-aligned in a right-to-left language)
    rtl = tr.dir == "rtl"
    x_start, ha_start = (0.98, "right") if rtl else (0.02, "left")
    fig.text(x_start, 0.955, p.title, fontsize=20, fontweight="bold", va="top", ha=ha_start)
    sub = []
    if p.period:
        sub.append(tr("title.period", period=p.period))
    if p.source:
        sub.append(tr("title.source", source=p.source))
    fig.text(x_start, 0.895, "   ·   ".join(sub), fontsize=11, va="top", ha=ha_start)
    note = tr("title.public", k=p.k) if p.view == "public" else tr("title.internal")
    fig.text(
        x_start,
        0.03,
        note,
        fontsize=9.5,
        va="bottom",
        ha=ha_start,
        color="#a50f15" if p.view != "public" else "#222222",
        fontweight="bold" if p.view != "public" else "normal",
    )
    if p.synthetic:
        fig.text(
            0.5,
            0.5,
            _synthetic_word(tr).replace(" · ", "\n"),
            fontsize=72,
            color="#c00000",
            alpha=0.16,
            rotation=25,
            ha="center",
            va="center",
            fontweight="bold",
            zorder=10,
        )
        fig.text(
            x_start,
            0.862,
            tr("title.synthetic_note"),
            fontsize=10,
            color="#a50f15",
            ha=ha_start,
            va="top",
            fontweight="bold",
        )
    if handles:
        lax = fig.add_axes((0.72, 0.07, 0.27, 0.755))  # below the notes under the title
        lax.set_axis_off()
        leg = lax.legend(
            handles=handles,
            loc="upper right" if rtl else "upper left",
            fontsize=8.5,
            frameon=False,
            borderaxespad=0,
            handlelength=1.8,
            title=tr("legend.title"),
            title_fontsize=12,
            alignment="right" if rtl else "left",
            markerfirst=not rtl,
        )
        for text in leg.get_texts():
            if text.get_text() in section_titles:
                text.set_fontweight("bold")
    return fig


#: Where a region label may go, in order of preference (the same on the web map).
_LABEL_SIDES = ("top", "bottom", "right", "left", "ne", "nw", "se", "sw")


def _place_labels(
    ax: Any,
    items: list[dict[str, Any]],
    *,
    furniture: Sequence[Any] = (),
    border: gpd.GeoDataFrame | None = None,
    max_labels: int = MAX_LABELS,
) -> list[Any]:
    """Draw at most ``max_labels`` region labels that overlap nothing, in priority order.

    Each label is tried above, below, right and left of its region's bounding box,
    then at its corners, and kept at the first place where its box (in screen
    space) stays inside the map, overlaps no label placed before it and no map
    furniture (scale bar, north arrow), and does not cover the border. A
    cross-border region that fits only over the border is labelled where its
    label hides the least of it, if that is at most ``LABEL_MAX_COVER`` label
    heights (the label crosses the border rather than running along it); other
    labels that do not fit are left out (the web map shows them on hover).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    ax.apply_aspect()  # the axes box as drawn ("equal" aspect), before measuring anything
    frame = ax.get_window_extent(renderer)
    pad = 4.0 * fig.dpi / 72.0  # 4 points in pixels: boxes (with their frames) keep apart
    frame_pad = (0.25 * 9 + 1.4) * fig.dpi / 72.0  # the frame: pad=0.25 (of 9 pt), 1.4 pt line
    taken = [a.get_window_extent(renderer).padded(pad) for a in furniture]
    lines = None
    if border is not None and len(border):
        disp = shapely.transform(
            np.asarray(border.geometry.to_numpy(), dtype=object),
            lambda c: ax.transData.transform(c),
        )
        lines = shapely.union_all(disp)
        shapely.prepare(lines)
    offsets = {
        "top": (0, 5),
        "bottom": (0, -5),
        "right": (5, 0),
        "left": (-5, 0),
        "ne": (3, 3),
        "nw": (-3, 3),
        "se": (3, -3),
        "sw": (-3, -3),
    }
    aligns = {
        "top": ("center", "bottom"),
        "bottom": ("center", "top"),
        "right": ("left", "center"),
        "left": ("right", "center"),
        "ne": ("left", "bottom"),
        "nw": ("right", "bottom"),
        "se": ("left", "top"),
        "sw": ("right", "top"),
    }
    placed: list[Any] = []
    for it in items:
        if len(placed) >= max_labels:
            break
        minx, miny, maxx, maxy = (float(v) for v in it["bounds"])
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
            continue
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        anchors = {
            "top": (cx, maxy),
            "bottom": (cx, miny),
            "right": (maxx, cy),
            "left": (minx, cy),
            "ne": (maxx, maxy),
            "nw": (minx, maxy),
            "se": (maxx, miny),
            "sw": (minx, miny),
        }

        def draw(side: str, it: dict[str, Any] = it, anchors: dict = anchors) -> Any:
            ha, va = aligns[side]
            return ax.annotate(
                it["text"],
                xy=anchors[side],
                xytext=offsets[side],
                textcoords="offset points",
                ha=ha,
                va=va,
                multialignment="center",
                fontsize=9,
                fontweight="bold",
                color="#111111",
                zorder=6,
                annotation_clip=False,
                bbox={
                    "boxstyle": "round,pad=0.25",
                    "facecolor": "white",
                    "edgecolor": it["color"],
                    "linewidth": 1.4,
                    "alpha": 0.92,
                },
            )

        fallback: tuple[float, str] | None = None
        chosen = None
        for side in _LABEL_SIDES:
            text = draw(side)
            extent = text.get_window_extent(renderer)
            text.remove()
            shown = extent.padded(frame_pad)  # the box as drawn, with its frame
            box = extent.padded(pad)
            inside = (
                box.x0 >= frame.x0
                and box.x1 <= frame.x1
                and box.y0 >= frame.y0
                and box.y1 <= frame.y1
            )
            if not inside or any(box.overlaps(t) for t in taken):
                continue
            if lines is not None and lines.intersects(shapely.box(*box.extents)):
                # a cross-border label may cross the border, but not run along it
                if it["cross"]:
                    cover = float(shapely.clip_by_rect(lines, *shown.extents).length)
                    if cover <= LABEL_MAX_COVER * shown.height and (
                        fallback is None or cover < fallback[0]
                    ):
                        fallback = (cover, side)
                continue
            chosen = side
            break
        if chosen is None and fallback is not None:
            chosen = fallback[1]
        if chosen is None:
            continue
        text = draw(chosen)
        taken.append(text.get_window_extent(renderer).padded(pad))
        placed.append(text)
    return placed


def _scale_bar(ax: Any, tr: _Tr) -> list[Any]:
    """Draw a metric scale bar; returns its artists (for label placement)."""
    from matplotlib import patheffects

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) * 0.2)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    (bar,) = ax.plot(
        [bx, bx + length], [by, by], color="black", linewidth=4, solid_capstyle="butt", zorder=7
    )
    ax.plot(
        [bx, bx + length / 2],
        [by, by],
        color="white",
        linewidth=2,
        solid_capstyle="butt",
        zorder=7.1,
    )
    text = ax.text(
        bx + length / 2,
        by + (y1 - y0) * 0.015,
        tr("static.scale", km=_fmt_num(length / 1000)),
        ha="center",
        va="bottom",
        fontsize=10,
        zorder=7,
        path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
    )
    return [bar, text]
