"""The interactive web map: folium/Leaflet, one self-contained offline HTML file.

:func:`make_map` puts one JSON block (:mod:`borderwatch.maps._page`) and one
draw call on a :class:`folium.Map`; the page's script and stylesheet
(``assets/borderwatch.js``, ``assets/borderwatch.css``) are inlined into the
page header, with Leaflet itself (:mod:`borderwatch.maps._offline`).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import folium
from branca.element import Figure, MacroElement

from .._errors import BorderwatchWarning, DataError
from .._result import AnalysisResult
from ._html import RawHTML, escape_html, json_block, script_json, to_text
from ._i18n import Tr, check_lang
from ._offline import asset_text, inline_script, inline_style, make_offline, network_urls
from ._page import bounds, page_data
from ._prepare import Layers, Prepared, prepare

__all__ = ["make_map", "save_map"]

_TILE_RE = re.compile(r"^https?://[^\s\"'<>]+$")


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
        figure.header.add_child(RawHTML(inline_style(asset_text("borderwatch.css"))), name="bw_css")
        figure.header.add_child(RawHTML(inline_script(asset_text("borderwatch.js"))), name="bw_js")
        figure.html.add_child(
            RawHTML(json_block(self.data, element_id=data_id)), name=self.get_name()
        )
        call = f"borderwatch.draw({parent.get_name()}, {script_json(data_id)});"
        figure.script.add_child(RawHTML(call), name=self.get_name())
        return ""


def tiles_spec(
    tiles: str | None, attribution: str | None, lang: str = "en"
) -> dict[str, str] | None:
    """The basemap of ``tiles`` (a checked URL template) and its credit line, or None."""
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
    credit = to_text(attribution) if attribution else Tr(lang)("ui.tiles", host=host)
    return {"url": text, "attribution": credit}


def _check_font_scale(font_scale: Any) -> float:
    if (
        isinstance(font_scale, bool)
        or not isinstance(font_scale, int | float)
        or not 0.3 <= font_scale <= 4
    ):
        msg = f"font_scale must be a number from 0.3 to 4, got {font_scale!r}."
        raise DataError(msg)
    return float(font_scale)


def _new_map(box: list[list[float]] | None) -> folium.Map:
    center = [(box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2] if box else [0.0, 0.0]
    return folium.Map(
        location=center,
        zoom_start=6,
        tiles=None,
        attribution_control=False,
        zoom_snap=0.25,
        zoom_delta=0.5,
        maxZoom=19,
    )


def make_map(
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
    tiles: str | None = None,
    attribution: str | None = None,
    m: folium.Map | None = None,
    value: str = "incidents",
    zone_km: float | None = None,
    font_scale: float = 1.0,
    seed: int = 0,
    places: bool = True,
) -> folium.Map:
    """Draw an analysis on an interactive map for a community meeting.

    Parameters
    ----------
    result : AnalysisResult, optional
        What :func:`borderwatch.analyze` returned. Its layers are drawn unless
        ``layers`` replaces them. An internal result is turned into the public
        view (:func:`borderwatch.privacy.public_view`) when ``view="public"``.
    layers : Layers, optional
        Layers to draw (``units``, ``border``, ``cells``, ``hotspots``,
        ``clusters``, ``density``, ``meetings``, ``incidents``), any CRS; those
        given replace the result's and are drawn as given, with the rules of
        the view. Only significant cells are drawn. ``incidents`` are drawn only
        when ``view="internal"``: on canvas, clustered above 3,000 points, and
        above 50,000 as a random sample (``seed``) plus grid totals of all of
        them. ``density`` is drawn as an image overlay (masked below ``k`` in
        the public view).
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
        Fisher-Jenks natural breaks (equal to mapclassify.FisherJenks).
    zone_km : float, optional
        Width of the border-zone band on each side; default
        ``summary["border_zone_km"]`` or 20. ``0`` hides it.
    font_scale : float
        Multiplies every font size (1 is already large, for projection).
    seed : int
        Seed of the incident sample above 50,000 points.
    places : bool
        Name the areas (hotspot regions, clusters, ...) by the towns and units
        they cover, and draw the towns of the shipped offline gazetteer
        (:mod:`borderwatch.places`); ``False`` names them by their countries.

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
    >>> from borderwatch.maps import Layers
    >>> units = gpd.GeoDataFrame(
    ...     {"unit_id": ["a", "b"], "name": ["North", "South"], "country": ["MLI", "NER"],
    ...      "incidents": [12, 3]},
    ...     geometry=[box(0, 14, 1, 15), box(1, 14, 2, 15)], crs=4326)
    >>> m = make_map(layers=Layers(units=units), title="Demo", synthetic=True)
    >>> html = m.get_root().render()
    >>> "cdn.jsdelivr" in html, "\\\\u003c5" in html  # offline; 3 is shown as "<5"
    (False, True)
    """
    scale = _check_font_scale(font_scale)
    check_lang(lang)
    spec = tiles_spec(tiles, attribution, lang)
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
    return map_of(p, tiles=spec, m=m, font_scale=scale)


def map_of(
    p: Prepared,
    *,
    tiles: dict[str, str] | None = None,
    m: folium.Map | None = None,
    font_scale: float = 1.0,
) -> folium.Map:
    """The interactive map of a prepared view (:func:`~borderwatch.maps._prepare.prepare`):
    what :func:`make_map` draws, for a caller that also prints the same view
    (:func:`~borderwatch.maps.static.save_prepared`) and so prepares it once."""
    fit = m is None
    if m is None:
        m = _new_map(bounds(p))
    elif not isinstance(m, folium.Map):
        msg = f"m must be a folium.Map, got {type(m).__name__}."
        raise DataError(msg)
    data = page_data(p, tiles=tiles, fit=fit, font_scale=font_scale)
    assets = make_offline(m)
    if any(layer.get("cluster") for layer in data["layers"]):
        assets.markercluster = True
    title_text = p.title + (f" – {p.tr.synthetic_word()}" if p.synthetic else "")
    m.add_child(_MapLayers(data, page_title=title_text))
    return m


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write ``m`` to one self-contained HTML file that draws with no network.

    Leaflet and its plugins are inlined (:func:`borderwatch.maps._offline.make_offline`);
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
    >>> from borderwatch.maps import Layers
    >>> units = gpd.GeoDataFrame({"name": ["A"], "country": ["MLI"], "incidents": [7]},
    ...                          geometry=[box(0, 14, 1, 15)], crs=4326)
    >>> out = save_map(make_map(layers=Layers(units=units)), tempfile.mkdtemp() + "/map.html")
    >>> from borderwatch.maps._offline import network_urls
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
