"""The facilitator's handout: one A4 page per language, to print for a community meeting.

:func:`export_handout` writes the map (as :func:`~borderwatch.maps.export_static`
draws it, with the same numbers and labels), the places on it (every labelled
area: its number, name, incidents and the units it covers), a legend in plain
words, and a box "What this map cannot tell you": that it shows association, not
cause; that each side of a border records incidents its own way; that small
counts are hidden; that unreported incidents are missing.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

from .._errors import DataError
from .._result import AnalysisResult
from ._i18n import Tr
from ._prepare import Layers, Prepared, prepare
from ._style import (
    CROSS_INNER,
    NO_DATA_FILL,
    NO_DATA_HATCH,
    PRINT_NOTE,
    PRINT_WATERMARK,
    SUPPRESSED_COLOR,
    SUPPRESSED_HATCH,
    UNIT_LINE,
    WARN,
)

__all__ = ["A4_PORTRAIT", "MAX_PLACES", "export_handout", "handout_places"]

#: Inches.
A4_PORTRAIT = (8.27, 11.69)
#: At most this many places are listed.
MAX_PLACES = 8


def handout_places(p: Prepared, *, limit: int = MAX_PLACES) -> list[tuple[str, str]]:
    """The places listed on the handout: (label's first line, its second line), by number.

    The same texts as the map's labels: hotspot regions first, then the other
    layers that the map opens with, each by number.
    """
    out: list[tuple[str, str]] = []
    for layer in p.areas:
        if not p.shown_at_start(layer):
            continue
        for i in layer.labels.ids():
            first, second = (line.strip() for line in layer.labels.lines[i])
            out.append((first, second))
    return out[:limit]


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _section(fig: Any, x: float, y: float, title: str, *, ha: str) -> None:
    fig.text(x, y, title, fontsize=12.5, fontweight="bold", va="top", ha=ha)


def _places(fig: Any, p: Prepared, x: float, ha: str) -> None:
    tr = p.tr
    _section(fig, x, 0.405, tr("handout.places"), ha=ha)
    rows = handout_places(p)
    if not rows:
        fig.text(x, 0.375, tr("handout.none"), fontsize=9.5, va="top", ha=ha)
        return
    y = 0.378
    for first, second in rows:
        fig.text(x, y, _wrap(first, 46), fontsize=9.5, fontweight="bold", va="top", ha=ha)
        y -= 0.016 * (1 + first.count("\n") + len(first) // 47)
        fig.text(x, y, _wrap(second, 52), fontsize=8.5, va="top", ha=ha, color=PRINT_NOTE)
        y -= 0.0175 * (1 + len(second) // 53) + 0.004
        if y < 0.19:
            break


def _legend_rows(p: Prepared) -> list[tuple[dict[str, Any], str]]:
    """(swatch style, plain-words text) of each thing the handout's map shows."""
    tr = p.tr
    rows: list[tuple[dict[str, Any], str]] = []
    style: dict[str, Any]
    if p.units is not None:
        colors = [it.color for it in p.units.legend.items if it.kind == "fill" and not it.dash]
        if colors:
            rows.append(
                ({"facecolor": colors[-1], "edgecolor": UNIT_LINE}, tr("handout.read_units"))
            )
        if any(p.units.hidden):
            style = {"facecolor": SUPPRESSED_COLOR, "edgecolor": SUPPRESSED_HATCH, "hatch": "///"}
            rows.append((style, tr("handout.read_hidden", k=p.k)))
        if p.units.no_data_countries:
            style = {"facecolor": NO_DATA_FILL, "edgecolor": NO_DATA_HATCH, "hatch": "\\\\"}
            rows.append((style, tr("handout.read_no_data")))
    for layer in p.areas:
        if not p.shown_at_start(layer):
            continue
        rows.append(
            (
                {"facecolor": "none", "edgecolor": layer.spec.line, "linewidth": 2},
                tr("handout.read_hotspot"),
            )
        )
        if any(layer.labels.cross):
            style = {
                "facecolor": CROSS_INNER,
                "edgecolor": layer.spec.line,
                "linewidth": 4,
            }
            rows.append((style, tr("handout.read_cross")))
        break
    return rows


def _legend(fig: Any, p: Prepared, x: float, ha: str) -> None:
    from matplotlib.patches import Rectangle

    _section(fig, x, 0.405, p.tr("handout.read"), ha=ha)
    y = 0.372
    rtl = ha == "right"
    for style, text in _legend_rows(p):
        sx = x - 0.05 if rtl else x
        fig.add_artist(Rectangle((sx, y - 0.014), 0.05, 0.016, transform=fig.transFigure, **style))
        tx = x - 0.06 if rtl else x + 0.06
        wrapped = _wrap(text, 40)
        fig.text(tx, y, wrapped, fontsize=8.5, va="top", ha=ha)
        y -= 0.0155 * (1 + wrapped.count("\n")) + 0.008


def _cannot(fig: Any, tr: Tr, k: int, *, ha: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    fig.add_artist(
        FancyBboxPatch(
            (0.04, 0.045),
            0.92,
            0.135,
            boxstyle="round,pad=0.006",
            transform=fig.transFigure,
            facecolor="none",
            edgecolor=WARN,
            linewidth=1.5,
        )
    )
    x = 0.94 if ha == "right" else 0.06
    fig.text(
        x,
        0.172,
        tr("handout.cannot"),
        fontsize=11.5,
        fontweight="bold",
        va="top",
        ha=ha,
        color=WARN,
    )
    y = 0.148
    for key in (
        "handout.cannot_cause",
        "handout.cannot_compare",
        "handout.cannot_small",
        "handout.cannot_unreported",
    ):
        text = _wrap("• " + tr(key, k=k), 105)
        fig.text(x, y, text, fontsize=8.5, va="top", ha=ha)
        y -= 0.0145 * (1 + text.count("\n")) + 0.004


def draw_handout(p: Prepared) -> Any:
    """The handout page of ``p`` as a matplotlib figure (A4 portrait)."""
    from matplotlib.figure import Figure as MplFigure

    from .static import PrintLegend, draw_map

    tr = p.tr
    rtl = tr.dir == "rtl"
    x, ha = (0.96, "right") if rtl else (0.04, "left")
    fig = MplFigure(figsize=A4_PORTRAIT)
    fig.text(x, 0.975, _wrap(p.title, 50), fontsize=17, fontweight="bold", va="top", ha=ha)
    sub = [tr("handout.subtitle")]
    if p.period:
        sub.append(tr("title.period", period=p.period))
    fig.text(x, 0.922, "   ·   ".join(sub), fontsize=10, va="top", ha=ha, color=PRINT_NOTE)
    ax = fig.add_axes((0.03, 0.43, 0.94, 0.475))
    draw_map(ax, p, PrintLegend())
    left, right = (0.52, 0.96) if rtl else (0.04, 0.52)
    _places(fig, p, left, ha)
    _legend(fig, p, right, ha)
    _cannot(fig, tr, p.k, ha=ha)
    foot = [tr("title.public", k=p.k) if p.view == "public" else tr("title.internal")]
    if p.source:
        foot.append(tr("title.source", source=p.source))
    fig.text(
        x,
        0.018,
        _wrap("  ·  ".join(foot), 140),
        fontsize=7.5,
        va="bottom",
        ha=ha,
        color=PRINT_NOTE if p.view == "public" else WARN,
    )
    if p.synthetic:
        fig.text(
            0.5,
            0.62,
            tr.synthetic_word().replace(" · ", "\n"),
            fontsize=60,
            color=PRINT_WATERMARK,
            alpha=0.16,
            rotation=30,
            ha="center",
            va="center",
            fontweight="bold",
            zorder=10,
        )
    return fig


def export_handout(
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
) -> Path:
    """Write the facilitator's handout of one language as an A4 PDF.

    Parameters
    ----------
    result : AnalysisResult or None
        As for :func:`~borderwatch.maps.make_map`.
    path : str or PathLike
        The ``.pdf`` file to write (e.g. ``handout_fr.pdf``).
    layers, view, lang, k, title, period, source, synthetic, value, zone_km
        As for :func:`~borderwatch.maps.make_map`. The legend is in plain
        words in either view.

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
    >>> out = export_handout(None, tempfile.mkdtemp() + "/handout_fr.pdf",
    ...                      layers=Layers(units=units), lang="fr")
    >>> out.read_bytes()[:4] == b"%PDF"
    True
    """
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        msg = f"{path}: a handout is a PDF. Hint: name it handout_{lang}.pdf."
        raise DataError(msg)
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
        plain=True,
    )
    from .static import print_rc

    with print_rc():
        fig = draw_handout(p)
        fig.savefig(path, format="pdf", metadata={"Title": p.title, "Creator": "borderwatch"})
    return path
