"""Placing area labels: the rules, for the web map and the handout.

One set of rules places the labels of the areas (hotspot regions, clusters,
scan clusters, priorities; their texts, numbers and priority come from
:mod:`borderwatch.maps._areas`), on screen and on paper:

* **which**: the first :data:`MAX_LABELS` areas in priority order that are
  drawn (cross-border first, then by number). The set depends only on the
  data, never on the language or the size of the view, so every output labels
  the same areas with the same texts;
* **where**: :data:`SIDES`, tried in order at each distance of
  :data:`DISTANCES`: above, below, right and left of the area's bounding box,
  then at its corners, then on the area itself; farther out (in label
  heights) the label is joined to its area by a **leader line**. A label goes to
  the first place where it stays inside the map and overlaps no label placed
  before it, no map furniture and no border line; a cross-border area that fits
  only over the border is labelled where its label hides the least of it, if
  that is at most :data:`LABEL_MAX_COVER` label heights (it crosses the border
  instead of running along it). A label that fits nowhere (a very small screen)
  is left out; its area still shows it on hover and in its popup.

These rules travel to the page's JSON (:func:`page_rules`, and each area's
``lbl``/``ll``/``lr``/``lx``); the page's script only measures the labels in the
browser, after every zoom, pan, month and layer change, and applies the same
rules (``makeLabeller`` in ``assets/borderwatch.js``). :func:`place_static`
applies them on paper and returns what it placed (:class:`Placed`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely

from ._style import LEADER, PRINT_LABEL_FACE, TEXT

__all__ = [
    "DISTANCES",
    "LABEL_CANDIDATES",
    "LABEL_MAX_COVER",
    "MAX_LABELS",
    "SIDES",
    "LabelItem",
    "Placed",
    "page_rules",
    "place_static",
    "renderer_of",
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
    Side("on", 0.5, 0.5, 0, 0),
)
#: Distances from the area tried in turn, in label heights; beyond 0 a leader line joins them.
DISTANCES: Final = (0.0, 1.5, 3.0)


def renderer_of(fig: Any) -> Any:
    """The Agg renderer of a figure (one is attached when it has none), to measure text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    return canvas.get_renderer()


def page_rules() -> dict[str, Any]:
    """The placement rules as the page's JSON carries them.

    Examples
    --------
    >>> rules = page_rules()
    >>> rules["maxLabels"], rules["labelDistances"], rules["labelSides"][-1]
    (6, [0.0, 1.5, 3.0], {'ax': 0.5, 'ay': 0.5, 'dx': 0, 'dy': 0})
    """
    return {
        "maxLabels": MAX_LABELS,
        "labelMaxCover": LABEL_MAX_COVER,
        "labelSides": [{"ax": s.ax, "ay": s.ay, "dx": s.dx, "dy": s.dy} for s in SIDES],
        "labelDistances": list(DISTANCES),
    }


# ---------------------------------------------------------------------------
# on paper


@dataclass(frozen=True)
class LabelItem:
    """A label to place on paper: text, frame colour, region bounds (map units), cross-border.

    ``key`` names the area (layer and number), for :class:`Placed`.
    """

    text: str
    color: str
    bounds: tuple[float, float, float, float]
    cross: bool
    key: tuple[str, int] = ("", 0)


@dataclass(frozen=True)
class Placed:
    """A label placed on paper: its area, text, place and whether a leader line joins them."""

    key: tuple[str, int]
    text: str
    side: str
    distance: float
    artist: Any

    @property
    def leader(self) -> bool:
        """True when the label stands off its area, joined by a leader line."""
        return self.distance > 0


#: The label's font size on paper (points) and its height on two lines, for distances.
_FONT_PT = 9
_LINE_PT = 2 * 1.25 * _FONT_PT


def _anchor(side: Side, bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    minx, miny, maxx, maxy = bounds
    return minx + side.ax * (maxx - minx), miny + side.ay * (maxy - miny)


def _draw(ax: Any, item: LabelItem, side: Side, distance: float = 0.0) -> Any:
    """The label of ``item`` at ``side``: 5 points from an edge, 3 from a corner, plus ``distance``."""
    step = (
        0 if not (side.dx or side.dy) else 3 if side.dx and side.dy else 5
    ) + distance * _LINE_PT
    ha = {1: "left", 0: "center", -1: "right"}[side.dx]
    va = {1: "bottom", 0: "center", -1: "top"}[side.dy]
    leader = (
        {"arrowstyle": "-", "color": LEADER, "linewidth": 1.1, "shrinkA": 0, "shrinkB": 2}
        if distance > 0
        else None
    )
    return ax.annotate(
        item.text,
        xy=_anchor(side, item.bounds),
        xytext=(side.dx * step, side.dy * step),
        textcoords="offset points",
        ha=ha,
        va=va,
        multialignment="center",
        fontsize=_FONT_PT,
        fontweight="bold",
        color=TEXT,
        zorder=6,
        annotation_clip=False,
        arrowprops=leader,
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


@dataclass
class _Paper:
    """What label placement on one axes measures against."""

    renderer: Any
    frame: Any
    pad: float
    frame_pad: float
    taken: list[Any]
    lines: Any


def _try(paper: _Paper, ax: Any, item: LabelItem, side: Side, distance: float) -> float | None:
    """-1 if the label fits at ``side``; the length of border it would hide (a
    cross-border label's fallback); None if it does not fit."""
    text = _draw(ax, item, side, distance)
    extent = text.get_window_extent(paper.renderer)
    text.remove()
    shown = extent.padded(paper.frame_pad)  # the box as drawn, with its frame
    box = extent.padded(paper.pad)
    f = paper.frame
    if not (box.x0 >= f.x0 and box.x1 <= f.x1 and box.y0 >= f.y0 and box.y1 <= f.y1):
        return None
    if any(box.overlaps(t) for t in paper.taken):
        return None
    if paper.lines is not None and paper.lines.intersects(shapely.box(*box.extents)):
        # a cross-border label may cross the border, but not run along it
        if item.cross:
            cover = float(shapely.clip_by_rect(paper.lines, *shown.extents).length)
            if cover <= LABEL_MAX_COVER * shown.height:
                return cover
        return None
    return -1.0


def _choose(paper: _Paper, ax: Any, item: LabelItem) -> tuple[Side, float] | None:
    fallback: tuple[float, Side, float] | None = None
    for distance in DISTANCES:
        for side in SIDES:
            if distance > 0 and not (side.dx or side.dy):
                continue  # "on the area" has no distance
            got = _try(paper, ax, item, side, distance)
            if got is not None and got < 0:
                return side, distance
            if got is not None and (fallback is None or got < fallback[0]):
                fallback = (got, side, distance)
    return (fallback[1], fallback[2]) if fallback is not None else None


def place_static(
    ax: Any,
    items: Sequence[LabelItem],
    *,
    furniture: Sequence[Any] = (),
    border: gpd.GeoDataFrame | None = None,
    max_labels: int = MAX_LABELS,
) -> list[Placed]:
    """Draw the first ``max_labels`` of ``items`` (in priority order) by the rules above.

    Boxes are measured in screen space; "map furniture" is the scale bar and
    north arrow. A label that fits nowhere is left out. Returns what was placed.
    """
    fig = ax.figure
    renderer = renderer_of(fig)
    ax.apply_aspect()  # the axes box as drawn ("equal" aspect), before measuring anything
    pad = 4.0 * fig.dpi / 72.0  # 4 points in pixels: boxes (with their frames) keep apart
    paper = _Paper(
        renderer=renderer,
        frame=ax.get_window_extent(renderer),
        pad=pad,
        frame_pad=(0.25 * _FONT_PT + 1.4) * fig.dpi / 72.0,  # pad=0.25 (of 9 pt), 1.4 pt line
        taken=[a.get_window_extent(renderer).padded(pad) for a in furniture],
        lines=_border_pixels(ax, border),
    )
    placed: list[Placed] = []
    for item in items[:max_labels]:
        if not all(math.isfinite(v) for v in item.bounds):
            continue
        chosen = _choose(paper, ax, item)
        if chosen is None:
            continue
        side, distance = chosen
        text = _draw(ax, item, side, distance)
        paper.taken.append(text.get_window_extent(renderer).padded(pad))
        placed.append(Placed(item.key, item.text, side.name, distance, text))
    return placed
