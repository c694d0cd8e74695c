"""Areas to label: hotspot regions, clusters, scan clusters, priorities; their numbers and labels.

Every layer of areas goes through one path. :data:`AREA_KINDS` says, per kind,
which :class:`~borderwatch.maps._prepare.Layers` field holds it, its id
column, its colour and line, and its label keys; :func:`area_labels` numbers
the areas and names them with the places they cover
(:func:`borderwatch.places.places_in`). A new kind of area (e.g. the Planning
issue's priorities) is one more :class:`AreaKind` in :data:`AREA_KINDS`, a
field of ``Layers`` of the same name, and its ``label.<kind>`` strings.

**Numbers** are ranks: 1 is the area with the most incidents (a priority's number is
its ``rank`` in the priorities; counts hidden as
"<k" rank last, in their input order, so a number reveals nothing the label
does not show). They do not depend on the language, the view's size or the
output format, so "Hotspot 2" is the same area in ``map.html``, ``map.png``,
``map.pdf`` and every handout.

**Labels** have two lines: "Hotspot 1: Tijuana" and "2 844 incidents · Tijuana,
Playas de Rosarito" (the units it covers; the countries for a cross-border
area). The place is the largest town inside (both sides' largest towns across a
border), else "near" the nearest town within
:data:`~borderwatch.places.NEAR_KM`, else the unit it covers most, else its
countries.

**Priority** decides which areas get a permanent label: cross-border areas
first, then by number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np

from .._schema import truthy
from ..places import AreaPlaces, places_in
from ._format import Counts, column, is_missing
from ._html import to_text
from ._i18n import Tr
from ._style import CLUSTER_LINE, HOTSPOT_LINE, PRIORITY_LINE, SCAN_LINE

__all__ = ["AREA_KINDS", "AreaKind", "AreaLabels", "area_labels", "kind_of"]

#: Unit names shown on a label's second line (the rest as "+n").
UNITS_ON_LABEL: Final = 2


@dataclass(frozen=True)
class AreaKind:
    """One kind of labelled area.

    ``layer``: the :class:`~borderwatch.maps._prepare.Layers` field and the
    page's layer key; ``kind``: the label keys ``label.<kind>`` and
    ``label.<kind>_cross``, the legend key ``legend.<kind>`` and the layer name
    ``layer.<layer>``; ``order``: label priority between layers (lower first);
    ``shown``: drawn when the map opens (clusters only when there are no
    hotspots); ``dash``: the outline's dash pattern.
    """

    layer: str
    kind: str
    id_column: str
    line: str
    order: int
    dash: str | None = None
    weight: float = 4
    shown: str = "always"  # or "alone": only when no layer before it is drawn


#: The kinds of areas, in label priority order.
AREA_KINDS: Final = (
    AreaKind("hotspots", "hotspot", "hotspot_id", HOTSPOT_LINE, 0),
    AreaKind("scan", "scan", "scan_id", SCAN_LINE, 1, dash="2 6", weight=3.5, shown="alone"),
    AreaKind("priorities", "priority", "priority_id", PRIORITY_LINE, 2, dash="12 4 2 4"),
    AreaKind(
        "clusters", "cluster", "cluster_id", CLUSTER_LINE, 3, dash="8 6", weight=3, shown="alone"
    ),
)


def kind_of(layer: str) -> AreaKind:
    """The :class:`AreaKind` of a layer key (``"hotspots"``, ``"clusters"``, ...)."""
    for spec in AREA_KINDS:
        if spec.layer == layer:
            return spec
    msg = f"no kind of area is drawn from layer {layer!r}"
    raise KeyError(msg)


@dataclass(frozen=True, eq=False)
class AreaLabels:
    """The numbers and labels of one layer of areas (rows in the frame's order).

    ``numbers[i]``: the rank of row ``i`` (1 = most incidents); ``order``: row
    positions by label priority; ``rank[i]``: the priority of row ``i``;
    ``lines[i]``: its label on two lines (the first ends with a space, so the
    lines join to ``texts[i]``); ``places[i]``: the towns and units it covers.
    """

    texts: tuple[str, ...]
    lines: tuple[tuple[str, ...], ...]
    cross: tuple[bool, ...]
    numbers: tuple[int, ...]
    order: np.ndarray
    rank: np.ndarray
    places: tuple[AreaPlaces, ...]

    def print_text(self, i: int) -> str:
        """The label of row ``i`` for paper, on two lines."""
        return "\n".join(line.strip() for line in self.lines[i])

    def ids(self) -> list[int]:
        """Row positions of the areas by number (1 first)."""
        return sorted(range(len(self.numbers)), key=lambda i: self.numbers[i])


def _place(tr: Tr, places: AreaPlaces, countries: str) -> str:
    name = places.place()
    if name:
        return name
    if places.near:
        return tr("label.near", town=places.near)
    if places.units:
        return places.units[0]
    return countries


def _where(places: AreaPlaces, place: str, countries: str, cross: bool) -> str:
    if place == countries:
        return ""  # named by its countries already
    if cross or not places.units:
        return countries
    units = [u for u in places.units if u not in place.split(" – ")]
    if not units:
        return countries  # its only unit has the name of its town
    shown = ", ".join(units[:UNITS_ON_LABEL])
    more = len(units) - UNITS_ON_LABEL
    return f"{shown} +{more}" if more > 0 else shown


def area_labels(
    frame: gpd.GeoDataFrame,
    spec: AreaKind,
    counts: Counts,
    *,
    units: gpd.GeoDataFrame | None = None,
    places: bool = True,
) -> AreaLabels:
    """Number, name and order the areas of one layer (see the module's docstring).

    ``places=False`` names areas by their countries only (no gazetteer, no units).
    """
    tr = counts.tr
    n = column(frame, "n_incidents")
    cross = tuple(bool(truthy(v)) for v in column(frame, "cross_border"))
    weight = np.array(
        [0.0 if counts.suppressed(v) or is_missing(v) else float(v) for v in n], dtype=float
    )
    weight = np.where(np.isfinite(weight), weight, 0.0)
    by_count = np.lexsort((np.arange(len(frame)), -weight))
    numbers = np.empty(len(frame), dtype=int)
    numbers[by_count] = np.arange(1, len(frame) + 1)
    if spec.kind == "priority" and "rank" in frame.columns:
        numbers = np.asarray(frame["rank"], dtype=int)  # a priority's number is its rank
    order = np.lexsort((numbers, ~np.array(cross, dtype=bool)))
    rank = np.empty(len(frame), dtype=int)
    rank[order] = np.arange(len(frame))
    found = places_in(frame, units=units) if places and len(frame) else [AreaPlaces()] * len(frame)
    countries = column(frame, "countries")
    texts, lines = [], []
    for i in range(len(frame)):
        names = tr.countries(countries[i])
        place = _place(tr, found[i], names)
        key = f"label.{spec.kind}_cross" if cross[i] else f"label.{spec.kind}"
        first = tr(key, id=int(numbers[i]), place=place).rstrip(":： ")
        where = _where(found[i], place, names, cross[i])
        second = (
            tr("label.detail", n=counts.text(n[i]), where=where)
            if where
            else tr("label.detail_short", n=counts.text(n[i]))
        )
        second = re.sub(r"[\s·,،]+$", "", second)
        lines.append((first + " ", second))
        texts.append(f"{first} {second}")
    return AreaLabels(
        texts=tuple(texts),
        lines=tuple(lines),
        cross=cross,
        numbers=tuple(int(v) for v in numbers),
        order=order,
        rank=rank,
        places=tuple(found),
    )


def area_id(frame: gpd.GeoDataFrame, spec: AreaKind) -> list[str]:
    """The areas' own ids (from the data), as text."""
    names = (spec.id_column, "id", *(k.id_column for k in AREA_KINDS))
    col = next((c for c in names if c in frame.columns), None)
    return [to_text(v) for v in column(frame, col)] if col else [""] * len(frame)
