"""Region labels: their text, priority and placement rules, for the web map and the handout.

One set of rules places the labels of hotspot regions and clusters, on screen
and on paper:

* **text**: "Cross-border hotspot 2: 134 incidents, Mali–Niger", on two lines
  split after the first colon (:func:`label_lines`);
* **priority**: cross-border regions first, then by incidents; counts hidden
  as "<k" rank as 0, so the order reveals nothing the labels do not show
  (:func:`region_labels`);
* **places**: :data:`SIDES`, tried in order: above, below, right and left of
  the region's bounding box, then at its corners. A label goes to the first
  place where it stays inside the map and overlaps no label placed before it,
  no map furniture and no border line; a cross-border region that fits only
  over the border is labelled where its label hides the least of the border,
  if that is at most :data:`LABEL_MAX_COVER` label heights (it crosses the
  border instead of running along it). At most :data:`MAX_LABELS` are shown.

All of this is computed here, once, and travels to the page's JSON
(:func:`page_rules`, and each region's ``lbl``/``ll``/``lr``/``lx``); the page's
script only measures the labels in the browser, after every zoom, pan, month
and layer change, and applies the same rules (``makeLabeller`` in
``assets/borderwatch.js``). :func:`place_static` applies them on paper.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely

from .._schema import truthy
from ._format import Counts, column, is_missing
from ._html import to_text
from ._i18n import Tr
from ._style import PRINT_LABEL_FACE, TEXT

__all__ = [
    "LABEL_CANDIDATES",
    "LABEL_MAX_COVER",
    "MAX_LABELS",
    "SIDES",
    "LabelItem",
    "RegionLabels",
    "label_lines",
    "page_rules",
    "place_static",
    "region_labels",
]

#: At most this many hotspot / cluster labels are shown at once; every region
#: also has its full label on hover and in its popup.
MAX_LABELS: Final = 6
#: Regions (per layer, in priority order) that may get a permanent label on the web map.
LABEL_CANDIDATES: Final = 24
#: A cross-border region's label that fits nowhere else may hide at most this many
#: label heights of border line (it crosses the border instead of running along it).
LABEL_MAX_COVER: Final = 2


@dataclass(frozen=True)
class Side:
    """A place for a label next to its region's bounding box.

    ``ax``, ``ay``: the anchor as a fraction of the box (0 west/south, 1 east/north);
    ``dx``, ``dy``: the direction the label extends from it (-1, 0 or 1; ``dy=1`` is up).
    """

    name: str
    ax: float
    ay: float
    dx: int
    dy: int


#: The places tried for each label, in order of preference.
SIDES: Final = (
    Side("top", 0.5, 1, 0, 1),
    Side("bottom", 0.5, 0, 0, -1),
    Side("right", 1, 0.5, 1, 0),
    Side("left", 0, 0.5, -1, 0),
    Side("ne", 1, 1, 1, 1),
    Side("nw", 0, 1, -1, 1),
    Side("se", 1, 0, 1, -1),
    Side("sw", 0, 0, -1, -1),
)


def page_rules() -> dict[str, Any]:
    """The placement rules as the page's JSON carries them."""
    return {
        "maxLabels": MAX_LABELS,
        "labelMaxCover": LABEL_MAX_COVER,
        "labelSides": [{"ax": s.ax, "ay": s.ay, "dx": s.dx, "dy": s.dy} for s in SIDES],
    }


def label_lines(text: str) -> tuple[str, ...]:
    """A label on two lines, split after its first colon (the lines join to ``text``).

    Examples
    --------
    >>> label_lines("Hotspot 2: 357 incidents, Mali")
    ('Hotspot 2: ', '357 incidents, Mali')
    >>> label_lines("Hotspot 2")
    ('Hotspot 2',)
    """
    m = re.match(r"^(.*?:\s+)(.+)$", text, flags=re.S)
    return (m.group(1), m.group(2)) if m else (text,)


@dataclass(frozen=True, eq=False)
class RegionLabels:
    """The labels of one layer of regions (rows in the frame's order).

    ``order`` lists row positions by priority, ``rank[i]`` is the priority of row ``i``.
    """

    texts: tuple[str, ...]
    cross: tuple[bool, ...]
    order: np.ndarray
    rank: np.ndarray

    def lines(self, i: int) -> tuple[str, ...]:
        """The label of row ``i`` on two lines."""
        return label_lines(self.texts[i])

    def print_text(self, i: int) -> str:
        """The label of row ``i`` for paper: "Hotspot 2:" / "357 incidents, Mali"."""
        lines = self.lines(i)
        if len(lines) == 1:
            return lines[0]
        return re.sub(r"\s*:\s+$", ":", lines[0]) + "\n" + lines[1]


def region_labels(frame: gpd.GeoDataFrame, kind: str, tr: Tr, counts: Counts) -> RegionLabels:
    """Label text, cross-border flag and priority of each region of ``kind`` (hotspot/cluster)."""
    idcol = next(
        (c for c in (f"{kind}_id", "hotspot_id", "cluster_id", "id") if c in frame.columns), None
    )
    ids = column(frame, idcol) if idcol else list(range(1, len(frame) + 1))
    n = column(frame, "n_incidents")
    cross = tuple(bool(truthy(v)) for v in column(frame, "cross_border"))
    countries = column(frame, "countries")
    texts = []
    for i in range(len(frame)):
        key = f"label.{kind}_cross" if cross[i] else f"label.{kind}"
        text = tr(
            key, id=to_text(ids[i]), n=counts.text(n[i]), countries=tr.countries(countries[i])
        )
        texts.append(text.rstrip(", ،"))
    weight = np.array(
        [0.0 if counts.suppressed(v) or is_missing(v) else float(v) for v in n], dtype=float
    )
    weight = np.where(np.isfinite(weight), weight, 0.0)
    order = np.lexsort((np.arange(len(frame)), -weight, ~np.array(cross, dtype=bool)))
    rank = np.empty(len(frame), dtype=int)
    rank[order] = np.arange(len(frame))
    return RegionLabels(tuple(texts), cross, order, rank)


# ---------------------------------------------------------------------------
# on paper


@dataclass(frozen=True)
class LabelItem:
    """A label to place on paper: text, frame colour, region bounds (map units), cross-border."""

    text: str
    color: str
    bounds: tuple[float, float, float, float]
    cross: bool


def _anchor(side: Side, bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    minx, miny, maxx, maxy = bounds
    return minx + side.ax * (maxx - minx), miny + side.ay * (maxy - miny)


def _draw(ax: Any, item: LabelItem, side: Side) -> Any:
    """The label of ``item`` at ``side``: 5 points from an edge, 3 from a corner."""
    step = 3 if side.dx and side.dy else 5
    ha = {1: "left", 0: "center", -1: "right"}[side.dx]
    va = {1: "bottom", 0: "center", -1: "top"}[side.dy]
    return ax.annotate(
        item.text,
        xy=_anchor(side, item.bounds),
        xytext=(side.dx * step, side.dy * step),
        textcoords="offset points",
        ha=ha,
        va=va,
        multialignment="center",
        fontsize=9,
        fontweight="bold",
        color=TEXT,
        zorder=6,
        annotation_clip=False,
        bbox={
            "boxstyle": "round,pad=0.25",
            "facecolor": PRINT_LABEL_FACE,
            "edgecolor": item.color,
            "linewidth": 1.4,
            "alpha": 0.92,
        },
    )


def _border_pixels(ax: Any, border: gpd.GeoDataFrame | None) -> Any:
    if border is None or not len(border):
        return None
    disp = shapely.transform(
        np.asarray(border.geometry.to_numpy(), dtype=object),
        lambda c: ax.transData.transform(c),
    )
    lines = shapely.union_all(disp)
    shapely.prepare(lines)
    return lines


def place_static(
    ax: Any,
    items: Sequence[LabelItem],
    *,
    furniture: Sequence[Any] = (),
    border: gpd.GeoDataFrame | None = None,
    max_labels: int = MAX_LABELS,
) -> list[Any]:
    """Draw at most ``max_labels`` of ``items`` (in priority order) by the rules above.

    Boxes are measured in screen space; "map furniture" is the scale bar and
    north arrow. Labels that fit nowhere are left out (the web map shows them on
    hover). Returns the drawn annotations.
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
    lines = _border_pixels(ax, border)
    placed: list[Any] = []
    for item in items:
        if len(placed) >= max_labels:
            break
        if not all(math.isfinite(v) for v in item.bounds):
            continue
        fallback: tuple[float, Side] | None = None
        chosen = None
        for side in SIDES:
            text = _draw(ax, item, side)
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
                if item.cross:
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
        text = _draw(ax, item, chosen)
        taken.append(text.get_window_extent(renderer).padded(pad))
        placed.append(text)
    return placed
