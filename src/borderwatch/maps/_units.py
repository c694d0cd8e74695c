"""The units layer: classes of the choropleth, suppression, "no data" sides, and legends.

:func:`units_layer` classes the units by a value (Fisher-Jenks natural
breaks; Jenks 1967), greys the units whose count the view hides
and draws the units of a country without any incident as "no data"
(:func:`no_data_countries`), never as 0. :class:`Legend` and
:class:`LegendItem` are the legend's data, for the web map and the handout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._colormaps import colormap_hex
from .._errors import DataError
from ._format import Counts, fmt_int
from ._i18n import Tr
from ._jenks import fisher_jenks_bins
from ._style import NO_DATA_FILL, NODATA_COLOR, SUPPRESSED_COLOR, UNITS_CMAP

__all__ = [
    "Legend",
    "LegendItem",
    "UnitsLayer",
    "count_column",
    "no_data_countries",
    "sample_colors",
    "units_layer",
]


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
    """Units with the colour of their class (grey where the value is hidden) and their legend.

    ``no_data[i]``: unit ``i`` lies in a country without any incident (drawn as
    "no data", never as 0); ``no_data_countries``: those countries' codes.
    """

    frame: gpd.GeoDataFrame
    colors: tuple[str, ...]
    hidden: tuple[bool, ...]
    legend: Legend
    no_data: tuple[bool, ...] = ()
    no_data_countries: tuple[str, ...] = ()


def sample_colors(cmap: str, n: int, lo: float = 0.15, hi: float = 0.8) -> list[str]:
    """``n`` colours evenly spaced from ``lo`` to ``hi`` along a matplotlib colour map."""
    if n <= 1:
        return [colormap_hex(cmap, (lo + hi) / 2)]
    return [colormap_hex(cmap, x) for x in np.linspace(lo, hi, n)]


def _classify(values: np.ndarray, n_classes: int = 5) -> tuple[np.ndarray, list[float]]:
    """Class index of each value (-1 for NaN) and the upper bounds of the classes."""
    finite = values[np.isfinite(values)]
    cls = np.full(len(values), -1, dtype=int)
    if finite.size == 0:
        return cls, []
    uniq = np.unique(finite)
    if uniq.size <= n_classes:
        bins = [float(u) for u in uniq]
    elif uniq.size <= 1000:
        bins = [float(b) for b in fisher_jenks_bins(finite, k=n_classes)]
    else:
        # quantile classes above 1,000 distinct values (as mapclassify.Quantiles: upper bounds
        # at the k-quantiles, the last the maximum)
        qs = np.linspace(1.0 / n_classes, 1.0, n_classes)
        bins = sorted({float(b) for b in np.quantile(finite, qs)})
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


def no_data_countries(units: gpd.GeoDataFrame) -> tuple[str, ...]:
    """Countries whose units all count 0 incidents while another country has some.

    Such a side has no data (the source covers only the other side), and the
    map says so instead of shading it as 0.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"country": ["MEX", "USA"], "incidents": [12, 0]},
    ...                      geometry=[box(0, 0, 1, 1), box(0, 1, 1, 2)], crs=4326)
    >>> no_data_countries(u)
    ('USA',)
    """
    if "incidents" not in units.columns or "country" not in units.columns:
        return ()
    n = pd.to_numeric(units["incidents"], errors="coerce")
    codes = units["country"].astype(str)
    zero = (n == 0).groupby(codes).all()
    some = (n > 0).groupby(codes).any()
    if not some.any():
        return ()
    return tuple(sorted(str(c) for c, z in zero.items() if z))


def units_layer(units: gpd.GeoDataFrame, *, value: str, counts: Counts) -> UnitsLayer:
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
    empty = no_data_countries(units)
    no_data = (
        units["country"].astype(str).isin(empty).to_numpy()
        if empty
        else np.zeros(len(units), dtype=bool)
    )
    values = np.where(hidden | no_data, np.nan, raw)
    cls, bins = _classify(values)
    finite = values[np.isfinite(values)]
    integer = bool(np.all(np.mod(finite, 1) == 0))
    colors = sample_colors(UNITS_CMAP, len(bins)) if bins else []
    unit_colors = tuple(
        NO_DATA_FILL if nd else SUPPRESSED_COLOR if h else (NODATA_COLOR if c < 0 else colors[c])
        for c, h, nd in zip(cls, hidden, no_data, strict=True)
    )
    labels = _class_labels(bins, float(finite.min()), integer) if finite.size else []
    items = [LegendItem("fill", c, lbl) for c, lbl in zip(colors, labels, strict=True)]
    if hidden.any():
        items.append(
            LegendItem("fill", SUPPRESSED_COLOR, tr("legend.suppressed", k=counts.k), dash=True)
        )
    if empty:
        label = tr("legend.no_data_side", countries=", ".join(tr.country(c) for c in empty))
        items.append(LegendItem("hatch", NO_DATA_FILL, label, key="units"))
    if (~hidden & ~no_data & ~np.isfinite(raw)).any():
        items.append(LegendItem("fill", NODATA_COLOR, tr("legend.no_data")))
    legend = Legend(_units_title(value, tr), tuple(items), key="units")
    return UnitsLayer(
        units,
        unit_colors,
        tuple(bool(h) for h in hidden),
        legend,
        tuple(bool(v) for v in no_data),
        empty,
    )
