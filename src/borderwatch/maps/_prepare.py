"""What a map shows, decided once for the web map and the printed handout.

:func:`prepare` validates the inputs, applies the public view, classes the
units and cells, labels the regions, samples the incidents and finds the period
and the months, and returns one frozen :class:`Prepared`. The renderers
(:mod:`borderwatch.maps.web`, :mod:`borderwatch.maps.static`) only draw it.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._crs import WGS84, require_crs, study_crs
from .._errors import BorderwatchWarning, DataError
from .._result import AnalysisResult
from ._format import Counts, dates, fmt_int, is_month_text, month_numbers
from ._html import to_text
from ._i18n import Tr
from ._labels import RegionLabels, region_labels
from ._style import HOTSPOT_COLORS, NODATA_COLOR, SUPPRESSED_COLOR, UNITS_CMAP

__all__ = [
    "DEFAULT_ZONE_KM",
    "MAX_POINTS",
    "VIEWS",
    "Layers",
    "Legend",
    "LegendItem",
    "Prepared",
    "prepare",
    "sample_colors",
]

VIEWS: Final = ("public", "internal")
#: Width (km) of the border zone on each side when neither ``zone_km`` nor the summary gives one.
DEFAULT_ZONE_KM: Final = 20.0
#: At most this many incident points are drawn; above, a random sample plus grid totals.
MAX_POINTS = 50_000
_SUMMARY_DATES = (
    ("date_first", "date_last"),
    ("first_date", "last_date"),
    ("date_min", "date_max"),
    ("start", "end"),
)


@dataclass(frozen=True, eq=False)
class Layers:
    """The layers of a map; any may be None.

    Frames (GeoDataFrames with the standard columns, ``docs/architecture.md``)
    may be in any CRS. Given to :func:`~borderwatch.maps.make_map` or
    :func:`~borderwatch.maps.export_static` with a result, the layers that are
    not None replace the result's.

    Examples
    --------
    >>> Layers().names()
    ('units', 'border', 'cells', 'hotspots', 'clusters', 'density', 'meetings', 'incidents')
    """

    units: gpd.GeoDataFrame | None = None
    border: gpd.GeoDataFrame | None = None
    cells: gpd.GeoDataFrame | None = None
    hotspots: gpd.GeoDataFrame | None = None
    clusters: gpd.GeoDataFrame | None = None
    #: A :class:`borderwatch.density.DensitySurface` (anything with values, transform, crs).
    density: Any = None
    meetings: gpd.GeoDataFrame | None = None
    incidents: gpd.GeoDataFrame | None = None

    @staticmethod
    def names() -> tuple[str, ...]:
        """The layer names, in drawing order."""
        return tuple(f.name for f in dataclasses.fields(Layers))

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name, layer) pairs."""
        return ((name, getattr(self, name)) for name in self.names())

    def filled_from(self, result: AnalysisResult | None) -> Layers:
        """These layers, with the ones that are None taken from ``result``."""
        if result is None:
            return self
        return Layers(
            **{
                name: v if v is not None else getattr(result, name, None)
                for name, v in self.items()
            }
        )


@dataclass(frozen=True)
class LegendItem:
    """One line of a legend: a swatch (``kind``: fill, line, outline, marker, point, gradient)."""

    kind: str
    color: str
    label: str | None = None
    dash: bool = False
    key: str | None = None
    width: float | None = None
    color2: str | None = None
    lo: str | None = None
    hi: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The item as the page's script reads it."""
        out: dict[str, Any] = {"k": self.kind, "c": self.color}
        for name, value in (
            ("c2", self.color2),
            ("lo", self.lo),
            ("hi", self.hi),
            ("w", self.width),
            ("label", self.label),
        ):
            if value is not None:
                out[name] = value
        if self.dash:
            out["dash"] = True
        if self.key is not None:
            out["key"] = self.key
        return out


@dataclass(frozen=True)
class Legend:
    """A legend section; ``key`` (and an item's ``key``) name the layer it explains."""

    title: str
    items: tuple[LegendItem, ...] = ()
    key: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The section as the page's script reads it."""
        return {"title": self.title, "items": [it.as_json() for it in self.items], "key": self.key}


@dataclass(frozen=True, eq=False)
class UnitsLayer:
    """Units with the colour of their class (grey where the value is hidden) and their legend."""

    frame: gpd.GeoDataFrame
    colors: tuple[str, ...]
    hidden: tuple[bool, ...]
    legend: Legend


@dataclass(frozen=True, eq=False)
class CellsLayer:
    """The significant cells, their colours and (kind, confidence) classes."""

    frame: gpd.GeoDataFrame
    colors: tuple[str, ...]
    classes: tuple[tuple[str, int], ...]


@dataclass(frozen=True, eq=False)
class RegionsLayer:
    """Hotspot regions or clusters (``kind``: "hotspot" or "cluster") and their labels."""

    frame: gpd.GeoDataFrame
    kind: str
    labels: RegionLabels


@dataclass(frozen=True, eq=False)
class IncidentsLayer:
    """Incidents (internal view only); ``take``: the rows drawn as points."""

    frame: gpd.GeoDataFrame
    take: np.ndarray

    @property
    def sampled(self) -> bool:
        """True if only a sample of the incidents is drawn as points."""
        return len(self.take) < len(self.frame)


@dataclass(frozen=True)
class Months:
    """The months of the time slider (``YYYY-MM``); ``first`` is month 0 as ``year * 12 + month - 1``."""

    labels: tuple[str, ...] = ()
    first: int = 0

    def index(self, values: Any) -> list[int | None]:
        """Slider positions of dates (None where missing)."""
        nums = month_numbers(values)
        return [None if not np.isfinite(v) else int(v) - self.first for v in nums]


@dataclass(frozen=True, eq=False)
class Prepared:
    """Everything one map shows, in EPSG:4326, ready to draw."""

    tr: Tr
    view: str
    k: int
    counts: Counts
    title: str
    period: str | None
    source: str | None
    synthetic: bool
    value: str
    zone_km: float
    units: UnitsLayer | None = None
    border: gpd.GeoDataFrame | None = None
    zone: Any = None
    cells: CellsLayer | None = None
    hotspots: RegionsLayer | None = None
    clusters: RegionsLayer | None = None
    scan: gpd.GeoDataFrame | None = None
    density: Any = None
    meetings: gpd.GeoDataFrame | None = None
    incidents: IncidentsLayer | None = None
    months: Months = field(default_factory=Months)
    notes: tuple[str, ...] = ()

    def frames(self) -> list[gpd.GeoDataFrame]:
        """The frames drawn (units, border, cells, regions, meetings, incidents), in that order."""
        out = [
            self.units.frame if self.units else None,
            self.border,
            self.cells.frame if self.cells else None,
            self.hotspots.frame if self.hotspots else None,
            self.clusters.frame if self.clusters else None,
            self.meetings,
            self.incidents.frame if self.incidents else None,
        ]
        return [f for f in out if f is not None]


# ---------------------------------------------------------------------------
# inputs


def _check_view(view: str) -> None:
    if view not in VIEWS:
        msg = f"view={view!r} is not a view. Hint: use 'public' (default) or 'internal'."
        raise DataError(msg)


def _check_result(result: Any) -> None:
    if result is not None and not isinstance(result, AnalysisResult):
        msg = (
            f"result must be a borderwatch AnalysisResult, got {type(result).__name__}. "
            "Hint: pass layers instead (layers=Layers(units=..., cells=...))."
        )
        raise DataError(msg)


def _check_k(k: Any, result: AnalysisResult | None) -> int:
    if k is None:
        k = int(result.k) if result is not None else 5
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k must be a whole number >= 1, got {k!r}. Hint: the default is 5."
        raise DataError(msg)
    return int(k)


def _public_result(result: AnalysisResult | None, *, view: str, k: int) -> AnalysisResult | None:
    """An internal result in its public view (:func:`borderwatch.privacy.public_view`)."""
    if view != "public" or result is None or result.view == "public":
        return result
    from ..privacy import public_view

    return public_view(result, k=k)


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


def _zone_km(zone_km: Any, result: AnalysisResult | None) -> float:
    if zone_km is None:
        zone_km = (
            float((result.summary or {}).get("border_zone_km", DEFAULT_ZONE_KM))
            if result
            else DEFAULT_ZONE_KM
        )
    if not (isinstance(zone_km, int | float) and math.isfinite(zone_km) and zone_km >= 0):
        msg = f"zone_km must be a distance in km >= 0, got {zone_km!r}. Hint: 0 hides the border zone."
        raise DataError(msg)
    return float(zone_km)


def _density(dens: Any, *, public: bool, k: int) -> Any:
    """The density surface, checked, and masked below ``k`` in the public view."""
    if dens is None:
        return None
    for attr in ("values", "transform", "crs"):
        if not hasattr(dens, attr):
            msg = f"density has no {attr!r}. Hint: pass a borderwatch.density.DensitySurface."
            raise DataError(msg)
    if public and hasattr(dens, "masked"):
        below = getattr(dens, "masked_below", None)
        if below is None or below < k:
            dens = dens.masked(k)
    return dens


# ---------------------------------------------------------------------------
# classes


def sample_colors(cmap: str, n: int, lo: float = 0.15, hi: float = 0.8) -> list[str]:
    """``n`` colours evenly spaced from ``lo`` to ``hi`` along a matplotlib colour map."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    if n <= 1:
        return [to_hex(cm((lo + hi) / 2))]
    return [to_hex(cm(x)) for x in np.linspace(lo, hi, n)]


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
            lo_t, hi_t = fmt_int(lo), fmt_int(hi)
        else:
            lo_t, hi_t = f"{lo:.1f}", f"{hi:.1f}"
        labels.append(hi_t if lo_t == hi_t or (integer and lo >= hi) else f"{lo_t}–{hi_t}")
    return labels


def count_column(units: gpd.GeoDataFrame, value: str) -> str | None:
    """The count column whose suppression also hides ``value``."""
    if value == "incidents" or value.startswith("iccs") or value in ("count", "n_incidents"):
        return value
    return "incidents" if "incidents" in units.columns else None


def _units_title(value: str, tr: Tr) -> str:
    if value == "incidents":
        return tr("legend.units_count")
    if value == "rate_per_100k":
        return tr("legend.units_rate")
    if value.startswith("iccs"):
        return tr("legend.units_category", category=tr.category(value))
    return value


def _units(units: gpd.GeoDataFrame, *, value: str, counts: Counts) -> UnitsLayer:
    """Units classed by ``value`` (Fisher-Jenks), grey where the view hides the count."""
    tr = counts.tr
    if value not in units.columns:
        numeric = [
            c for c in units.columns if c != "geometry" and pd.api.types.is_numeric_dtype(units[c])
        ]
        msg = (
            f"units have no column {value!r} to colour the map by. "
            f"Hint: pass value= one of {', '.join(map(str, numeric)) or '(no numeric columns)'}."
        )
        raise DataError(msg)
    raw = pd.to_numeric(units[value], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    count_col = count_column(units, value)
    hidden = np.zeros(len(units), dtype=bool)
    if counts.public and count_col is not None and count_col in units.columns:
        hidden = np.array(
            [counts.suppressed(v) for v in units[count_col].astype(object)], dtype=bool
        )
    values = np.where(hidden, np.nan, raw)
    cls, bins = _classify(values)
    finite = values[np.isfinite(values)]
    integer = bool(np.all(np.mod(finite, 1) == 0))
    colors = sample_colors(UNITS_CMAP, len(bins)) if bins else []
    unit_colors = tuple(
        SUPPRESSED_COLOR if h else (NODATA_COLOR if c < 0 else colors[c])
        for c, h in zip(cls, hidden, strict=True)
    )
    labels = _class_labels(bins, float(finite.min()), integer) if finite.size else []
    items = [LegendItem("fill", c, lbl) for c, lbl in zip(colors, labels, strict=True)]
    if hidden.any():
        items.append(
            LegendItem("fill", SUPPRESSED_COLOR, tr("legend.suppressed", k=counts.k), dash=True)
        )
    if (~hidden & ~np.isfinite(raw)).any():
        items.append(LegendItem("fill", NODATA_COLOR, tr("legend.no_data")))
    legend = Legend(_units_title(value, tr), tuple(items), key="units")
    return UnitsLayer(units, unit_colors, tuple(bool(h) for h in hidden), legend)


def _check_value(value: Any) -> None:
    if not isinstance(value, str):
        msg = f"value must be a column name, got {value!r}. Hint: value='incidents' or 'rate_per_100k'."
        raise DataError(msg)


def _regions(frame: gpd.GeoDataFrame | None, kind: str, counts: Counts) -> RegionsLayer | None:
    """Hotspot regions or clusters with their labels."""
    if frame is None:
        return None
    return RegionsLayer(frame, kind, region_labels(frame, kind, counts.tr, counts))


def _scan_frame(result: AnalysisResult | None) -> gpd.GeoDataFrame | None:
    """The result's scan clusters in EPSG:4326, or None when there are none."""
    scan = None if result is None else getattr(result, "scan", None)
    if scan is None or not len(scan) or scan.crs is None:
        return None
    return scan.to_crs(WGS84)


def _zone(border: gpd.GeoDataFrame, zone_km: float) -> Any:
    if zone_km <= 0:
        return None
    crs = study_crs(border)
    lines = border.to_crs(crs).geometry
    band = shapely.union_all(lines.buffer(zone_km * 1000.0, quad_segs=4).to_numpy())
    band = gpd.GeoSeries([band], crs=crs).simplify(max(zone_km * 20.0, 50.0)).to_crs(WGS84).iloc[0]
    return band


def _cell_classes(cells: gpd.GeoDataFrame) -> list[tuple[str, int]]:
    """(kind, confidence) of each cell; ("ns", 0) where not significant."""
    if {"hotspot_kind", "hotspot_confidence"} <= set(cells.columns):
        conf = pd.to_numeric(cells["hotspot_confidence"], errors="coerce").fillna(0).astype(int)
        return [
            (str(k), int(c)) if k in ("hot", "cold") else ("ns", 0)
            for k, c in zip(cells["hotspot_kind"].astype(object), conf, strict=True)
        ]
    if "gi_z" in cells.columns:
        z = pd.to_numeric(cells["gi_z"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        pcol = "gi_p_fdr" if "gi_p_fdr" in cells.columns else "gi_p"
        praw = cells[pcol] if pcol in cells.columns else pd.Series([None] * len(cells))
        pv = pd.to_numeric(praw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out = []
        for zi, pi in zip(z, pv, strict=True):
            conf = 99 if pi < 0.01 else 95 if pi < 0.05 else 90 if pi < 0.10 else 0
            out.append(
                ("hot" if zi > 0 else "cold", conf) if conf and np.isfinite(zi) else ("ns", 0)
            )
        return out
    msg = "cells have neither 'hotspot_kind' nor 'gi_z' columns. Hint: pass the cells layer of the analysis."
    raise DataError(msg)


def _cells(cells: gpd.GeoDataFrame) -> CellsLayer | None:
    """The significant cells in the hot/cold palette (None if there are none)."""
    classes = _cell_classes(cells)
    keep = np.array([kc in HOTSPOT_COLORS for kc in classes], dtype=bool)
    if not keep.any():
        return None
    kept = tuple(kc for kc, kp in zip(classes, keep, strict=True) if kp)
    return CellsLayer(cells[keep], tuple(HOTSPOT_COLORS[kc] for kc in kept), kept)


def _incidents(
    incidents: gpd.GeoDataFrame | None, *, public: bool, given: bool, seed: int
) -> IncidentsLayer | None:
    """Incidents for the internal view; above :data:`MAX_POINTS`, a random sample is drawn."""
    if incidents is None:
        return None
    if public:
        if given:
            warnings.warn(
                "the public view never shows incident points; the incidents were left out. "
                "Hint: use view='internal' for analysts.",
                BorderwatchWarning,
                stacklevel=4,
            )
        return None
    n = len(incidents)
    if n > MAX_POINTS:
        rng = np.random.default_rng(seed)
        take = np.sort(rng.choice(n, size=MAX_POINTS, replace=False))
    else:
        take = np.arange(n)
    return IncidentsLayer(incidents, take)


def _sample_note(incidents: IncidentsLayer | None, tr: Tr) -> tuple[str, ...]:
    """The title's note when only a sample of the incidents is drawn."""
    if incidents is None or not incidents.sampled:
        return ()
    shown, total = fmt_int(len(incidents.take)), fmt_int(len(incidents.frame))
    return (tr("note.sample", shown=shown, total=total),)


# ---------------------------------------------------------------------------
# time


def _period(
    result: AnalysisResult | None,
    incidents: IncidentsLayer | None,
    regions: list[RegionsLayer | None],
) -> str | None:
    """The period from the summary, else from the dates of incidents and regions."""
    summ = (result.summary or {}) if result is not None else {}
    if isinstance(summ.get("period"), str) and summ["period"].strip():
        return str(summ["period"]).strip()
    columns: list[Any] = []
    if incidents is not None and "date" in incidents.frame.columns:
        columns.append(incidents.frame["date"])
    for layer in regions:
        if layer is not None:
            frame = layer.frame
            columns += [frame[c] for c in ("first_date", "last_date") if c in frame.columns]
    if not any(pd.Series(c).notna().any() for c in columns):
        columns = _summary_dates(summ)
    stamps: list[pd.Timestamp] = []
    for c in columns:
        d = dates(c)
        stamps += [x for x in (d.min(), d.max()) if not pd.isna(x)]
    if not stamps:
        return None
    month = all(is_month_text(c) for c in columns)
    fmt = "%Y-%m" if month else "%Y-%m-%d"
    return f"{min(stamps):{fmt}} – {max(stamps):{fmt}}"


def _summary_dates(summ: dict[str, Any]) -> list[Any]:
    pairs = [(summ.get(a), summ.get(b)) for a, b in _SUMMARY_DATES]
    rng = summ.get("date_range")
    if isinstance(rng, dict):
        pairs.append(tuple(rng.values())[:2])  # type: ignore[arg-type]
    elif isinstance(rng, list | tuple) and len(rng) == 2:
        pairs.append((rng[0], rng[1]))
    return [list(pair) for pair in pairs if pair[0] and pair[1]][:1]


def _months(
    incidents: IncidentsLayer | None,
    meetings: gpd.GeoDataFrame | None,
    layers: list[RegionsLayer | CellsLayer | None],
) -> Months:
    """The months from the first to the last date of incidents, meetings, regions and cells."""
    frames: list[tuple[gpd.GeoDataFrame | None, tuple[str, ...]]] = [
        (incidents.frame if incidents else None, ("date",)),
        (meetings, ("date",)),
    ]
    frames += [
        (layer.frame, ("first_date", "last_date", "date", "month"))
        for layer in layers
        if layer is not None
    ]
    nums = [
        month_numbers(frame[col])
        for frame, cols in frames
        if frame is not None
        for col in cols
        if col in frame.columns
    ]
    allm = np.concatenate(nums) if nums else np.array([])
    allm = allm[np.isfinite(allm)]
    if allm.size == 0:
        return Months()
    lo, hi = int(allm.min()), int(allm.max())
    return Months(tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)), lo)


# ---------------------------------------------------------------------------
# everything


def prepare(
    result: AnalysisResult | None = None,
    *,
    layers: Layers | None = None,
    view: str = "public",
    lang: str = "en",
    k: int | None = None,
    title: str | None = None,
    period: str | None = None,
    source: str | None = None,
    synthetic: bool = False,
    value: str = "incidents",
    zone_km: float | None = None,
    seed: int = 0,
) -> Prepared:
    """Decide what a map shows; the options are those of :func:`~borderwatch.maps.make_map`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"name": ["A"], "incidents": [3]}, geometry=[box(0, 0, 1, 1)],
    ...                          crs=4326)
    >>> p = prepare(layers=Layers(units=units))
    >>> p.units.hidden, p.title
    ((True,), 'Community safety map')
    """
    tr = Tr(lang)
    _check_view(view)
    _check_result(result)
    k = _check_k(k, result)
    result = _public_result(result, view=view, k=k)
    given = layers if layers is not None else Layers()
    chosen = given.filled_from(result)
    km = _zone_km(zone_km, result)
    _check_value(value)
    public = view == "public"
    counts = Counts(public, k, tr)
    frames = {name: _frame(v, name) for name, v in chosen.items() if name != "density"}
    units = (
        _units(frames["units"], value=value, counts=counts) if frames["units"] is not None else None
    )
    border = frames["border"]
    cells = _cells(frames["cells"]) if frames["cells"] is not None else None
    hotspots = _regions(frames["hotspots"], "hotspot", counts)
    clusters = _regions(frames["clusters"], "cluster", counts)
    incidents = _incidents(
        frames["incidents"], public=public, given=given.incidents is not None, seed=seed
    )
    if result is not None:
        title = title if title is not None else result.title
        source = source if source is not None else result.source
    return Prepared(
        tr=tr,
        view=view,
        k=k,
        counts=counts,
        title=to_text(title) or tr("title.default"),
        period=to_text(period)
        if period is not None
        else _period(result, incidents, [hotspots, clusters]),
        source=to_text(source) or None,
        synthetic=bool(synthetic or (result is not None and result.synthetic)),
        value=value,
        zone_km=km,
        units=units,
        border=border,
        zone=_zone(border, km) if border is not None and km > 0 else None,
        cells=cells,
        hotspots=hotspots,
        clusters=clusters,
        scan=_scan_frame(result),
        density=_density(chosen.density, public=public, k=k),
        meetings=frames["meetings"],
        incidents=incidents,
        months=_months(incidents, frames["meetings"], [hotspots, clusters, cells]),
        notes=_sample_note(incidents, tr),
    )
