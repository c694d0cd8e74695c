"""The printable handout: the web map's opening view on an A4 page (PNG or PDF), with matplotlib.

:func:`export_static` prepares the layers exactly as :func:`~borderwatch.maps.make_map`
does (:func:`~borderwatch.maps._prepare.prepare`) and :func:`draw` draws them,
one function per layer, in the study area's equal-area projection.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._crs import WGS84, study_crs
from .._errors import DataError
from .._result import AnalysisResult
from ._format import column, fmt_num, is_missing
from ._html import to_text
from ._i18n import Tr
from ._labels import LabelItem, Placed, place_static, renderer_of
from ._prepare import Layers, Prepared, prepare
from ._static_files import save_pages
from ._style import (
    BORDER_COLOR,
    CATEGORY_COLORS,
    CELL_LINE,
    CROSS_INNER,
    DENSITY_CMAP,
    HOTSPOT_COLORS,
    MEETING_COLOR,
    NO_DATA_HATCH,
    OTHER_CATEGORY_COLOR,
    PRINT_HALO,
    PRINT_NOTE,
    PRINT_SCALE,
    PRINT_WATERMARK,
    SUPPRESSED_HATCH,
    TOWN_DOT,
    UNIT_LINE,
    WARN,
    ZONE_COLOR,
    ZONE_LINE,
)

#: At most this many incident points on a printed map (an even subsample of the web map's).
MAX_PRINT_POINTS = 20_000

__all__ = ["A4_LANDSCAPE", "Drawing", "PrintLegend", "draw", "draw_map", "export_static", "render"]

#: Inches.
A4_LANDSCAPE = (11.69, 8.27)


def export_static(
    result: AnalysisResult | None,
    path: str | os.PathLike[str],
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
    fmt: str | None = None,
    dpi: int = 200,
    seed: int = 0,
    places: bool = True,
    also: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Write the map as a printable A4 handout (PNG or PDF) with matplotlib.

    The view :func:`~borderwatch.maps.make_map` opens with (same classes,
    colours, suppression and language; clusters only when there are no hotspot
    regions), drawn in the study area's equal-area projection with a legend,
    title, period, source, scale bar and, for demo data, SYNTHETIC across the
    page. The border is drawn over the regions; at most
    :data:`~borderwatch.maps._labels.MAX_LABELS` region labels are placed,
    cross-border regions first, clear of each other and of the border
    (:mod:`borderwatch.maps._labels`). Text is never parsed as mathtext.

    Parameters
    ----------
    result : AnalysisResult or None
        As for :func:`~borderwatch.maps.make_map`.
    path : str or PathLike
        Output file.
    layers : Layers, optional
        As for :func:`~borderwatch.maps.make_map`: they replace the result's layers.
    fmt : {"png", "pdf"}, optional
        Default from the suffix of ``path``.
    dpi : int
        Resolution of a PNG (200 gives 2338 x 1654 pixels).
    view, lang, k, title, period, source, synthetic, value, zone_km, seed, places
        As for :func:`~borderwatch.maps.make_map`.
    also : sequence of str or PathLike, optional
        More files of the same page, each a PNG or PDF by its suffix: the map is
        prepared and drawn once and saved into every file (as separate calls
        would write them).

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
    >>> out = export_static(None, tempfile.mkdtemp() + "/map.png", layers=Layers(units=units),
    ...                     dpi=50)
    >>> out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    path = Path(path)
    targets = [(path, _format(fmt or path.suffix.lstrip(".")))]
    targets += [(Path(f), _format(Path(f).suffix.lstrip("."))) for f in also]
    p = prepare(
        result,
        layers=layers,
        view=view,
        lang=lang,
        k=k,
        title=title,
        period=period,
        source=source,
        synthetic=synthetic,
        value=value,
        zone_km=zone_km,
        seed=seed,
        places=places,
    )
    save_prepared(p, [t for t, _ in targets], fmt=fmt, dpi=dpi)
    return path


def save_prepared(
    p: Prepared,
    paths: Sequence[str | os.PathLike[str]],
    *,
    fmt: str | None = None,
    dpi: int = 200,
    split: bool = False,
) -> None:
    """Draw a prepared view (:func:`~borderwatch.maps._prepare.prepare`) once and save it
    into every file of ``paths`` (the first in ``fmt``, default from its suffix; the
    others by their suffix): what :func:`export_static` writes, for a caller that also
    draws the same view on the web map and so prepares it once. ``split``: the last
    file is written by a forked copy meanwhile (:func:`~borderwatch.maps._static_files.save_pages`)."""
    targets = [
        (Path(f), _format(fmt if i == 0 and fmt else Path(f).suffix.lstrip(".")))
        for i, f in enumerate(paths)
    ]
    with print_rc():
        save_pages(draw(p), targets, dpi=dpi, title=p.title, split=split)


def _format(fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in ("png", "pdf"):
        msg = f"cannot write a static map as {fmt!r}. Hint: use a .png or .pdf path, or fmt='png'/'pdf'."
        raise DataError(msg)
    return fmt


class PrintLegend:
    """The legend's entries as they are drawn: section titles (bold) and swatches."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.titles: set[str] = set()

    def section(self, title: str) -> None:
        """Start a section (once per title)."""
        from matplotlib.patches import Patch

        if title not in self.titles:
            self.handles.append(Patch(facecolor="none", edgecolor="none", label=title))
            self.titles.add(title)

    def add(self, handle: Any) -> None:
        self.handles.append(handle)


@dataclass(frozen=True, eq=False)
class Drawing:
    """A drawn handout page: the matplotlib figure and the area labels placed on it."""

    figure: Any
    labels: tuple[Placed, ...]


def print_rc() -> Any:
    """Matplotlib settings of every printed map: no TeX or math parsing of user text, embedded fonts.

    ``pdf.fonttype`` 42 embeds TrueType subsets (text extractable, also Arabic);
    ``ps.fonttype`` 42 as well, because matplotlib 3.11's PDF writer sizes its font
    subsets by ``ps.fonttype``: with the default (3) it embeds, and subsets with
    fontTools (about 0.2 s each), the same font file again for every 256 characters
    and every character beyond U+00FF ("↑", "–", Arabic): 4 subsets of 2 fonts on an
    English page instead of 2 (:mod:`~borderwatch.maps._static_files`).
    """
    import matplotlib

    return matplotlib.rc_context(
        {
            "text.parse_math": False,
            "text.usetex": False,
            "pdf.fonttype": 42,
            "ps.fonttype": 42,
            "font.family": "DejaVu Sans",
        }
    )


def draw(p: Prepared) -> Any:
    """The handout of ``p`` as a matplotlib figure (map axes first, then the legend's)."""
    return render(p).figure


def render(p: Prepared) -> Drawing:
    """The handout of ``p``: an A4 landscape figure and the labels placed on it."""
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=A4_LANDSCAPE)
    ax = fig.add_axes((0.02, 0.07, 0.68, 0.78))
    legend = PrintLegend()
    placed = draw_map(ax, p, legend)
    _draw_titles(fig, p)
    if legend.handles:
        _draw_legend(fig, p.tr, legend)
    return Drawing(fig, tuple(placed))


def draw_map(ax: Any, p: Prepared, legend: PrintLegend) -> list[Placed]:
    """Draw the map of ``p`` on ``ax`` (layers, scale bar, north arrow, labels, towns).

    Fills ``legend`` with what it drew; returns the area labels it placed.
    """
    crs = _crs(p)
    ax.set_axis_off()
    ax.set_aspect("equal")
    _draw_units(ax, p, crs, legend)
    _draw_density(ax, p, legend)
    _draw_zone(ax, p, crs)
    _draw_cells(ax, p, crs, legend)
    _zone_legend(p, legend)
    border = _draw_border(ax, p, crs, legend)
    labels = _draw_areas(ax, p, crs, legend)
    _draw_meetings(ax, p, crs, legend)
    _draw_incidents(ax, p, crs, legend)
    _set_extent(ax, p, crs)
    furniture = [*_scale_bar(ax, p.tr), _north_arrow(ax, p.tr)]
    placed = place_static(ax, labels, furniture=furniture, border=border) if labels else []
    draw_towns(ax, p, crs, legend, avoid=[*furniture, *(x.artist for x in placed)])
    return placed


def _crs(p: Prepared) -> CRS:
    """The density's CRS, else the study area's equal-area CRS."""
    if p.density is not None:
        return CRS(p.density.crs)
    frames = p.frames()
    if not frames:
        msg = "nothing to draw: give at least one layer (layers=Layers(units=..., border=...))."
        raise DataError(msg)
    return study_crs(p.units.frame if p.units is not None else frames[0])


def _halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=3, foreground=PRINT_HALO)]


# ---------------------------------------------------------------------------
# layers, bottom to top


def _draw_units(ax: Any, p: Prepared, crs: CRS, legend: PrintLegend) -> None:
    from matplotlib.patches import Patch

    if p.units is None:
        return
    u = p.units.frame.to_crs(crs)
    u.plot(ax=ax, color=list(p.units.colors), edgecolor=UNIT_LINE, linewidth=0.4, zorder=1)
    hidden = list(p.units.hidden)
    if any(hidden):
        u[hidden].plot(
            ax=ax,
            facecolor="none",
            edgecolor=SUPPRESSED_HATCH,
            hatch="///",
            linewidth=0,
            zorder=1.1,
        )
    no_data = list(p.units.no_data)
    if any(no_data):  # a side without data: hatched, never the colour of 0
        u[no_data].plot(
            ax=ax, facecolor="none", edgecolor=NO_DATA_HATCH, hatch="\\\\", linewidth=0, zorder=1.1
        )
    legend.section(p.units.legend.title)
    for it in p.units.legend.items:
        hatch = "\\\\" if it.kind == "hatch" else "///" if it.dash else None
        legend.add(
            Patch(
                facecolor=it.color,
                edgecolor=NO_DATA_HATCH if it.kind == "hatch" else UNIT_LINE,
                hatch=hatch,
                label=it.label,
            )
        )


def _draw_density(ax: Any, p: Prepared, legend: PrintLegend) -> None:
    """The surface, as on the web map, only where no cells or regions hide it."""
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    if p.density is None or p.cells is not None or p.hotspots is not None:
        return
    vals = np.asarray(p.density.values, dtype=float)
    rows, cols = vals.shape
    t = p.density.transform
    extent = (t.c, t.c + cols * t.a, t.f + rows * t.e, t.f)
    shown = np.ma.masked_where(~np.isfinite(vals) | (np.nan_to_num(vals) <= 0), vals)
    if not shown.count():
        return
    ax.imshow(
        shown, extent=extent, cmap=DENSITY_CMAP, alpha=0.7, zorder=1.5, interpolation="bilinear"
    )
    cm = colormaps[DENSITY_CMAP]
    tr = p.tr
    legend.section(tr("layer.density"))
    legend.add(Patch(facecolor=cm(0.15), alpha=0.7, label=tr("legend.density_low")))
    legend.add(Patch(facecolor=cm(0.95), alpha=0.7, label=tr("legend.density_high")))


def _draw_zone(ax: Any, p: Prepared, crs: CRS) -> None:
    """The border zone, under the cells so that their classes keep their colours."""
    if p.zone is None:
        return
    gpd.GeoSeries([p.zone], crs=WGS84).to_crs(crs).plot(
        ax=ax, color=ZONE_COLOR, alpha=0.3, edgecolor=ZONE_LINE, linewidth=0.8, zorder=1.8
    )


def _draw_cells(ax: Any, p: Prepared, crs: CRS, legend: PrintLegend) -> None:
    from matplotlib.patches import Patch

    if p.cells is None:
        return
    colors = list(p.cells.colors)
    p.cells.frame.to_crs(crs).plot(
        ax=ax, color=colors, edgecolor=CELL_LINE, linewidth=0.2, zorder=2
    )
    legend.section(p.tr("legend.cells"))
    for (kind, conf), color in HOTSPOT_COLORS.items():
        if color in set(colors):
            label = p.tr.hotspot_class(kind, conf)
            legend.add(Patch(facecolor=color, edgecolor=CELL_LINE, label=label))


def _zone_legend(p: Prepared, legend: PrintLegend) -> None:
    from matplotlib.patches import Patch

    if p.zone is None:
        return
    legend.section(p.tr("legend.lines"))
    label = p.tr("layer.border_zone", km=fmt_num(p.zone_km))
    legend.add(Patch(facecolor=ZONE_COLOR, alpha=0.5, edgecolor=ZONE_LINE, label=label))


def _draw_border(ax: Any, p: Prepared, crs: CRS, legend: PrintLegend) -> gpd.GeoDataFrame | None:
    """The border on a white halo, above the regions so that it is drawn whole."""
    from matplotlib.lines import Line2D

    if p.border is None:
        return None
    border = p.border.to_crs(crs)
    border.plot(ax=ax, color=PRINT_HALO, linewidth=5, zorder=4.2)
    border.plot(ax=ax, color=BORDER_COLOR, linewidth=2.6, zorder=4.3)
    legend.section(p.tr("legend.lines"))
    legend.add(Line2D([], [], color=BORDER_COLOR, linewidth=2.6, label=p.tr("layer.border")))
    return border


def _draw_areas(ax: Any, p: Prepared, crs: CRS, legend: PrintLegend) -> list[LabelItem]:
    """The areas the web map opens with (clusters only when alone); cross-border ones doubled.

    Returns their labels in priority order, for :func:`place_static`.
    """
    from matplotlib.lines import Line2D

    items: list[tuple[tuple[int, int], LabelItem]] = []
    for layer in p.areas:
        if not p.shown_at_start(layer):
            continue
        spec = layer.spec
        style: Any = (0, _dashes(spec.dash)) if spec.dash else "-"
        g = layer.frame.to_crs(crs)
        cross = np.array(layer.labels.cross, dtype=bool)
        areas = g.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        if (areas & ~cross).any():
            g[areas & ~cross].boundary.plot(
                ax=ax, color=spec.line, linewidth=2, linestyle=style, zorder=4
            )
        if (areas & cross).any():  # double outline over a hatch: both sides
            two = g[areas & cross]
            two.plot(
                ax=ax,
                facecolor="none",
                edgecolor=spec.line,
                hatch="xx",
                linewidth=0,
                alpha=0.35,
                zorder=3.9,
            )
            two.boundary.plot(ax=ax, color=spec.line, linewidth=4.5, zorder=4)
            two.boundary.plot(ax=ax, color=CROSS_INNER, linewidth=1.5, zorder=4.05)
        if (~areas).any():
            g[~areas].plot(ax=ax, color=spec.line, markersize=30, zorder=4)
        legend.section(p.tr("legend.lines"))
        label = p.tr(f"legend.{spec.kind}")
        legend.add(Line2D([], [], color=spec.line, linewidth=2, linestyle=style, label=label))
        if cross.any():
            legend.add(_DoubleLine(spec.line, p.tr(f"legend.{spec.kind}_cross")))
        boxes = g.geometry.bounds.to_numpy()
        labels = layer.labels
        for i in labels.order:
            item = LabelItem(
                labels.print_text(i),
                spec.line,
                (float(boxes[i][0]), float(boxes[i][1]), float(boxes[i][2]), float(boxes[i][3])),
                labels.cross[i],
                key=(spec.layer, labels.numbers[i]),
            )
            items.append(((spec.order, int(labels.rank[i])), item))
    return [item for _, item in sorted(items, key=lambda x: x[0])]


def _dashes(pattern: str) -> tuple[float, ...]:
    """A web dash pattern ("8 6") as matplotlib's on/off lengths (in line widths)."""
    return tuple(float(v) / 2 for v in pattern.split())


class _DoubleLine:
    """A legend handle drawn as a double line (a cross-border area's outline)."""

    def __init__(self, color: str, label: str) -> None:
        self.color = color
        self.label = label

    def get_label(self) -> str:
        return self.label


class _DoubleLineHandler:
    """Draws :class:`_DoubleLine` in the legend: the outer colour, a white line inside."""

    def legend_artist(self, legend: Any, orig: _DoubleLine, fontsize: float, box: Any) -> Any:
        from matplotlib.lines import Line2D

        x0, y0 = box.xdescent, box.ydescent
        w, h = box.width, box.height
        y = y0 + h / 2
        outer = Line2D([x0, x0 + w], [y, y], color=orig.color, linewidth=6)
        inner = Line2D([x0, x0 + w], [y, y], color=CROSS_INNER, linewidth=2)
        box.add_artist(outer)
        box.add_artist(inner)
        return outer


def draw_towns(
    ax: Any, p: Prepared, crs: CRS, legend: PrintLegend, *, avoid: list[Any], max_towns: int = 25
) -> list[Any]:
    """Town dots and names, largest first, none overlapping each other, a label or furniture."""
    from matplotlib.lines import Line2D

    if p.towns is None or p.towns.empty:
        return []
    from ..places import PLACES_SOURCE

    pts = gpd.GeoSeries(gpd.points_from_xy(p.towns["lon"], p.towns["lat"]), crs=WGS84).to_crs(crs)
    renderer = renderer_of(ax.figure)
    frame = ax.get_window_extent(renderer)
    taken = [a.get_window_extent(renderer).padded(3) for a in avoid]
    x, y = ax.transData.transform(np.column_stack([pts.x, pts.y])).T
    inside = (frame.x0 <= x) & (x <= frame.x1) & (frame.y0 <= y) & (y <= frame.y1)
    drawn: list[Any] = []
    for name, pt in zip(p.towns["name"][inside], pts[inside], strict=True):  # no text outside
        if len(drawn) >= max_towns:
            break
        text = ax.annotate(
            str(name),
            xy=(pt.x, pt.y),
            xytext=(4, 2),
            textcoords="offset points",
            fontsize=7.5,
            color=TOWN_DOT,
            zorder=5.5,
            path_effects=_halo(),
            annotation_clip=False,
        )
        box = text.get_window_extent(renderer).padded(3)
        if box.x1 > frame.x1 or any(box.overlaps(t) for t in taken):
            text.remove()
            continue
        ax.plot([pt.x], [pt.y], marker="o", markersize=3, color=TOWN_DOT, zorder=5.5)
        taken.append(box)
        drawn.append(text)
    if drawn:
        legend.section(p.tr("layer.towns"))
        legend.add(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                color=TOWN_DOT,
                markersize=4,
                label=p.tr("legend.towns", source=PLACES_SOURCE),
            )
        )
    return drawn


def _draw_meetings(ax: Any, p: Prepared, crs: CRS, legend: PrintLegend) -> None:
    from matplotlib.lines import Line2D

    if p.meetings is None:
        return
    mt = p.meetings.to_crs(crs)
    ax.scatter(
        mt.geometry.x,
        mt.geometry.y,
        marker="D",
        s=55,
        color=MEETING_COLOR,
        edgecolor=PRINT_HALO,
        linewidth=1.2,
        zorder=5,
    )
    legend.section(p.tr("layer.meetings"))
    legend.add(
        Line2D(
            [],
            [],
            marker="D",
            linestyle="none",
            color=MEETING_COLOR,
            markeredgecolor=PRINT_HALO,
            markersize=8,
            label=p.tr("legend.meeting"),
        )
    )


def _draw_incidents(ax: Any, p: Prepared, crs: CRS, legend: PrintLegend) -> None:
    """Incident points (internal view only; the same sample as the web map)."""
    from matplotlib.lines import Line2D

    if p.incidents is None:
        return
    take = p.incidents.take
    if len(take) > MAX_PRINT_POINTS:  # a printed page shows no more; every k-th of the sample
        take = take[np.linspace(0, len(take) - 1, MAX_PRINT_POINTS).astype(np.int64)]
    ip = p.incidents.frame.iloc[take].to_crs(crs)
    # each distinct category worded and coloured once (not once per point)
    codes, distinct = pd.factorize(pd.Series(column(ip, "category"), dtype=object))
    names = [None if is_missing(c) else to_text(c) for c in distinct]
    palette = [CATEGORY_COLORS.get(c or "", OTHER_CATEGORY_COLOR) for c in names]
    colors = np.array([*palette, OTHER_CATEGORY_COLOR], dtype=object)[codes]
    cats = [names[i] for i in np.unique(codes[codes >= 0])]
    # rasterized: in a PDF the points are one image at the page's dpi (a PNG is unchanged),
    # not 20,000 vector marks each with its own colour state
    ax.scatter(
        ip.geometry.x, ip.geometry.y, s=4, c=list(colors), linewidths=0, zorder=4.5, rasterized=True
    )
    legend.section(p.tr("legend.incidents"))
    for c in sorted({c for c in cats if c}, key=lambda c: (c not in CATEGORY_COLORS, c)):
        legend.add(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                color=CATEGORY_COLORS.get(c, OTHER_CATEGORY_COLOR),
                markersize=6,
                label=p.tr.category(c),
            )
        )


def _set_extent(ax: Any, p: Prepared, crs: CRS) -> None:
    """The units (or everything drawn), with a 3 % margin."""
    frames = p.frames()
    ref = p.units.frame if p.units is not None else (frames[0] if frames else None)
    if ref is None:
        return
    minx, miny, maxx, maxy = ref.to_crs(crs).total_bounds
    padx, pady = (maxx - minx) * 0.03, (maxy - miny) * 0.03
    ax.set_xlim(minx - padx, maxx + padx)
    ax.set_ylim(miny - pady, maxy + pady)


# ---------------------------------------------------------------------------
# furniture, titles and legend


def _nice_length(target_m: float) -> float:
    exp = 10 ** math.floor(math.log10(max(target_m, 1.0)))
    for f in (1, 2, 5, 10):
        if f * exp >= target_m * 0.7:
            return f * exp
    return 10 * exp


def _scale_bar(ax: Any, tr: Tr) -> list[Any]:
    """Draw a metric scale bar; returns its artists (for label placement)."""
    dark, light = PRINT_SCALE
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) * 0.2)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    (bar,) = ax.plot(
        [bx, bx + length], [by, by], color=dark, linewidth=4, solid_capstyle="butt", zorder=7
    )
    ax.plot(
        [bx, bx + length / 2],
        [by, by],
        color=light,
        linewidth=2,
        solid_capstyle="butt",
        zorder=7.1,
    )
    text = ax.text(
        bx + length / 2,
        by + (y1 - y0) * 0.015,
        tr("static.scale", km=fmt_num(length / 1000)),
        ha="center",
        va="bottom",
        fontsize=10,
        zorder=7,
        path_effects=_halo(),
    )
    return [bar, text]


def _north_arrow(ax: Any, tr: Tr) -> Any:
    return ax.text(
        0.98,
        0.96,
        tr("static.north") + "\n↑",
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=14,
        fontweight="bold",
        path_effects=_halo(),
    )


def _draw_titles(fig: Any, p: Prepared) -> None:
    """Title, period and source, the view's note and SYNTHETIC (right-aligned right to left)."""
    tr = p.tr
    x, ha = (0.98, "right") if tr.dir == "rtl" else (0.02, "left")
    fig.text(x, 0.955, p.title, fontsize=20, fontweight="bold", va="top", ha=ha)
    sub = []
    if p.period:
        sub.append(tr("title.period", period=p.period))
    if p.source:
        sub.append(tr("title.source", source=p.source))
    fig.text(x, 0.895, "   ·   ".join(sub), fontsize=11, va="top", ha=ha)
    if p.notes:  # e.g. a side without data
        fig.text(x, 0.862 - 0.03 * p.synthetic, "  ".join(p.notes), fontsize=9.5, va="top", ha=ha)
    public = p.view == "public"
    fig.text(
        x,
        0.03,
        tr("title.public", k=p.k) if public else tr("title.internal"),
        fontsize=9.5,
        va="bottom",
        ha=ha,
        color=PRINT_NOTE if public else WARN,
        fontweight="normal" if public else "bold",
    )
    if not p.synthetic:
        return
    fig.text(
        0.5,
        0.5,
        tr.synthetic_word().replace(" · ", "\n"),
        fontsize=72,
        color=PRINT_WATERMARK,
        alpha=0.16,
        rotation=25,
        ha="center",
        va="center",
        fontweight="bold",
        zorder=10,
    )
    fig.text(
        x,
        0.862,
        tr("title.synthetic_note"),
        fontsize=10,
        color=WARN,
        ha=ha,
        va="top",
        fontweight="bold",
    )


def _draw_legend(fig: Any, tr: Tr, legend: PrintLegend) -> None:
    rtl = tr.dir == "rtl"
    lax = fig.add_axes((0.72, 0.07, 0.27, 0.755))  # below the notes under the title
    lax.set_axis_off()
    leg = lax.legend(
        handles=legend.handles,
        handler_map={_DoubleLine: _DoubleLineHandler()},
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
        if text.get_text() in legend.titles:
            text.set_fontweight("bold")
