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
from ._areas import AREA_KINDS, AreaKind, AreaLabels, area_labels
from ._format import Counts, dates, fmt_int, is_month_text, month_numbers
from ._html import to_text
from ._i18n import Tr
from ._style import HOTSPOT_COLORS
from ._title import data_title, given_title, source_line, study_countries, years
from ._units import (
    Legend,
    LegendItem,
    UnitsLayer,
    count_column,
    no_data_countries,
    sample_colors,
    units_layer,
)

__all__ = [
    "DEFAULT_ZONE_KM",
    "MAX_POINTS",
    "MAX_TOWNS",
    "VIEWS",
    "Layers",
    "Legend",
    "LegendItem",
    "Prepared",
    "RegionsLayer",
    "UnitsLayer",
    "count_column",
    "no_data_countries",
    "prepare",
    "sample_colors",
]

VIEWS: Final = ("public", "internal")
#: Width (km) of the border zone on each side when neither ``zone_km`` nor the summary gives one.
DEFAULT_ZONE_KM: Final = 20.0
#: At most this many incident points are drawn; above, a random sample plus grid totals.
MAX_POINTS = 50_000
#: At most this many towns of the gazetteer go into a map's context layer (largest first).
MAX_TOWNS: Final = 600
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
    >>> Layers().names()  # doctest: +NORMALIZE_WHITESPACE
    ('units', 'border', 'cells', 'hotspots', 'scan', 'priorities', 'clusters', 'density',
     'meetings', 'incidents')
    """

    units: gpd.GeoDataFrame | None = None
    border: gpd.GeoDataFrame | None = None
    cells: gpd.GeoDataFrame | None = None
    hotspots: gpd.GeoDataFrame | None = None
    #: Scan clusters (``scan_id``, ``n_incidents``, ``countries``, ``cross_border``, ...).
    scan: gpd.GeoDataFrame | None = None
    #: Priority areas (``priority_id``, ``n_incidents``, ``countries``, ``cross_border``, ...).
    priorities: gpd.GeoDataFrame | None = None
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


@dataclass(frozen=True, eq=False)
class CellsLayer:
    """The significant cells, their colours and (kind, confidence) classes."""

    frame: gpd.GeoDataFrame
    colors: tuple[str, ...]
    classes: tuple[tuple[str, int], ...]


@dataclass(frozen=True, eq=False)
class RegionsLayer:
    """One layer of labelled areas (hotspot regions, scan clusters, priorities, clusters)."""

    frame: gpd.GeoDataFrame
    spec: AreaKind
    labels: AreaLabels

    @property
    def kind(self) -> str:
        """ "hotspot", "scan", "priority" or "cluster"."""
        return self.spec.kind

    @property
    def key(self) -> str:
        """The layer key: "hotspots", "scan", "priorities" or "clusters"."""
        return self.spec.layer


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
    """The steps of the time slider: months (``YYYY-MM``), or years (``YYYY``, ``step`` 12)
    when the dates are years only; ``first`` is step 0 as ``year * 12 + month - 1``."""

    labels: tuple[str, ...] = ()
    first: int = 0
    step: int = 1

    def index(self, values: Any) -> list[int | None]:
        """Slider positions of dates (None where missing)."""
        nums = month_numbers(values)
        return [None if not np.isfinite(v) else (int(v) - self.first) // self.step for v in nums]

    def positions(self, values: Any) -> np.ndarray:
        """:meth:`index` as integers, -1 where missing (for 10^5 points: no Python loop)."""
        nums = month_numbers(values)
        known = np.isfinite(nums)
        steps = (np.where(known, nums, 0).astype(np.int64) - self.first) // self.step
        return np.where(known, steps, -1)


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
    #: The layers of labelled areas, in :data:`~borderwatch.maps._areas.AREA_KINDS` order.
    areas: tuple[RegionsLayer, ...] = ()
    density: Any = None
    meetings: gpd.GeoDataFrame | None = None
    incidents: IncidentsLayer | None = None
    months: Months = field(default_factory=Months)
    notes: tuple[str, ...] = ()
    #: Towns of the offline gazetteer in and around the map (largest first), or None.
    towns: pd.DataFrame | None = None

    def area(self, key: str) -> RegionsLayer | None:
        """The labelled areas of layer ``key`` ("hotspots", "clusters", ...), if drawn."""
        return next((a for a in self.areas if a.key == key), None)

    @property
    def hotspots(self) -> RegionsLayer | None:
        """The hotspot regions."""
        return self.area("hotspots")

    @property
    def clusters(self) -> RegionsLayer | None:
        """The incident clusters."""
        return self.area("clusters")

    def shown_at_start(self, layer: RegionsLayer) -> bool:
        """Whether an area layer is drawn when the map opens (clusters only alone)."""
        if layer.spec.shown == "always":
            return True
        return all(a.spec.shown != "always" for a in self.areas if a is not layer)

    def frames(self) -> list[gpd.GeoDataFrame]:
        """The frames drawn (units, border, cells, areas, meetings, incidents), in that order."""
        out = [
            self.units.frame if self.units else None,
            self.border,
            self.cells.frame if self.cells else None,
            *(a.frame for a in self.areas),
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


def _check_value(value: Any) -> None:
    if not isinstance(value, str):
        msg = f"value must be a column name, got {value!r}. Hint: value='incidents' or 'rate_per_100k'."
        raise DataError(msg)


def _areas(
    frames: dict[str, gpd.GeoDataFrame | None],
    counts: Counts,
    units: gpd.GeoDataFrame | None,
    *,
    places: bool,
) -> tuple[RegionsLayer, ...]:
    """Every layer of labelled areas, numbered and named (one path for all kinds)."""
    out = []
    for spec in AREA_KINDS:
        frame = frames.get(spec.layer)
        if frame is None:
            continue
        labels = area_labels(frame, spec, counts, units=units, places=places)
        out.append(RegionsLayer(frame, spec, labels))
    return tuple(out)


def _frames(
    chosen: Layers, result: AnalysisResult | None, *, lang: str, k: int
) -> dict[str, gpd.GeoDataFrame | None]:
    """Every layer but density, checked (:func:`_frame`); the priorities' reasons in ``lang``."""
    frames = {name: _frame(v, name) for name, v in chosen.items() if name != "density"}
    frames["priorities"] = _reasons_in(frames["priorities"], result, lang=lang, k=k)
    return frames


def _reasons_in(
    frame: gpd.GeoDataFrame | None, result: AnalysisResult | None, *, lang: str, k: int
) -> gpd.GeoDataFrame | None:
    """The priorities with their reasons in the map's language (written from the columns
    shown, so from the protected counts in the public view)."""
    if frame is None or "kind" not in frame.columns:
        return frame
    from ..planning import with_reasons
    from ..settings import Settings

    return with_reasons(frame, result.settings if result else Settings(), lang=lang, k=k)


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


def _cells(cells: gpd.GeoDataFrame, no_data: tuple[str, ...] = ()) -> CellsLayer | None:
    """The significant cells in the hot/cold palette (None if there are none).

    Cells only in countries without data (``no_data``) are left out: "far fewer
    incidents" means nothing where nothing was recorded.
    """
    classes = _cell_classes(cells)
    keep = np.array([kc in HOTSPOT_COLORS for kc in classes], dtype=bool)
    if no_data and "countries" in cells.columns:
        sides = [
            {c.strip() for c in to_text(v).replace(";", ",").split(",") if c.strip()}
            for v in cells["countries"].astype(object)
        ]
        keep &= np.array([not (s and s <= set(no_data)) for s in sides], dtype=bool)
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
                "Hint: use [[view=internal]] for analysts.",
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


def _yearly(result: AnalysisResult | None, incidents: IncidentsLayer | None) -> bool:
    """True when every dated incident has a year only (the slider then steps by year)."""
    if incidents is not None and "date_precision" in incidents.frame.columns:
        return set(incidents.frame["date_precision"].dropna().unique()) == {"year"}
    precision = (result.summary or {}).get("date_precision") if result is not None else None
    return isinstance(precision, list) and precision == ["year"]


def _months(
    incidents: IncidentsLayer | None,
    meetings: gpd.GeoDataFrame | None,
    layers: list[RegionsLayer | CellsLayer | None],
    *,
    yearly: bool = False,
) -> Months:
    """The months (or years) from the first to the last date of incidents, meetings, regions
    and cells."""
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
    if yearly:
        return Months(tuple(f"{y:04d}" for y in range(lo // 12, hi // 12 + 1)), lo - lo % 12, 12)
    return Months(tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)), lo)


# ---------------------------------------------------------------------------
# towns


def _towns(frames: list[gpd.GeoDataFrame], units: UnitsLayer | None) -> pd.DataFrame | None:
    """The gazetteer's towns in the map's box (10 % margin), largest first, at most MAX_TOWNS."""
    from ..places import towns

    ref = [units.frame] if units is not None else frames
    if not ref:
        return None
    w = min(float(f.total_bounds[0]) for f in ref)
    so = min(float(f.total_bounds[1]) for f in ref)
    e = max(float(f.total_bounds[2]) for f in ref)
    n = max(float(f.total_bounds[3]) for f in ref)
    if not all(math.isfinite(v) for v in (w, so, e, n)):
        return None
    mx, my = (e - w) * 0.1, (n - so) * 0.1
    found = towns(bbox=(w - mx, so - my, e + mx, n + my))
    return found.head(MAX_TOWNS).reset_index(drop=True) if len(found) else None


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
    plain: bool | None = None,
    places: bool = True,
) -> Prepared:
    """Decide what a map shows; the options are those of :func:`~borderwatch.maps.make_map`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"name": ["A"], "country": ["MLI"], "incidents": [3]},
    ...                          geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> p = prepare(layers=Layers(units=units))
    >>> p.units.hidden, p.title
    ((True,), 'Incidents in Mali')
    """
    _check_view(view)
    tr = Tr(lang, plain=(view == "public") if plain is None else bool(plain))
    _check_result(result)
    k = _check_k(k, result)
    result = _public_result(result, view=view, k=k)
    given = layers if layers is not None else Layers()
    chosen = given.filled_from(result)
    km = _zone_km(zone_km, result)
    _check_value(value)
    public = view == "public"
    counts = Counts(public, k, tr)
    frames = _frames(chosen, result, lang=tr.lang, k=k)
    units = (
        units_layer(frames["units"], value=value, counts=counts)
        if frames["units"] is not None
        else None
    )
    empty = units.no_data_countries if units is not None else ()
    border = frames["border"]
    cells = _cells(frames["cells"], empty) if frames["cells"] is not None else None
    areas = _areas(frames, counts, frames["units"], places=places)
    incidents = _incidents(
        frames["incidents"], public=public, given=given.incidents is not None, seed=seed
    )
    months = _months(
        incidents, frames["meetings"], [*areas, cells], yearly=_yearly(result, incidents)
    )
    period = to_text(period) if period is not None else _period(result, incidents, list(areas))
    drawn = [f for f in frames.values() if f is not None]
    title = title if title is not None else given_title(result)
    if title is None:
        title = data_title(
            tr,
            study_countries(units.frame if units else None, border),
            years(period, months.labels),
            border=border is not None and len(border) > 0,
        )
    notes = _sample_note(incidents, tr)
    if empty:
        notes += (tr("note.no_data", countries=", ".join(tr.country(c) for c in empty)),)
    return Prepared(
        tr=tr,
        view=view,
        k=k,
        counts=counts,
        title=to_text(title) or tr("title.default"),
        period=period,
        source=to_text(source) if source is not None else source_line(result, view=view, tr=tr),
        synthetic=bool(synthetic or (result is not None and result.synthetic)),
        value=value,
        zone_km=km,
        units=units,
        border=border,
        zone=_zone(border, km) if border is not None and km > 0 else None,
        cells=cells,
        areas=areas,
        density=_density(chosen.density, public=public, k=k),
        meetings=frames["meetings"],
        incidents=incidents,
        months=months,
        notes=notes,
        towns=_towns(drawn, units) if places and drawn else None,
    )
