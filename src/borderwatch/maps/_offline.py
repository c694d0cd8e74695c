"""Offline assets: Leaflet, its plugins and borderwatch's own script and style, inlined.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
CDNs. A borderwatch map must draw with no network, so:

* Leaflet and Leaflet.markercluster are read from the ``xstatic-leaflet`` and
  ``xstatic-leaflet-markercluster`` packages and inlined into the page;
  the images that ``leaflet.css`` references become ``data:`` URIs;
* jQuery, Bootstrap and the icon fonts are dropped: borderwatch draws with
  circle markers and CSS-only ``divIcon`` symbols;
* the one outbound link in Leaflet (the attribution prefix) is neutralised.

:func:`make_offline` applies this to any :class:`folium.Map`, and
:func:`network_urls` lists whatever a page would still fetch. borderwatch's own
script and stylesheet are package files (``borderwatch/maps/assets``), read with
:func:`asset_text`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

import folium
import xstatic.pkg.leaflet as _xs_leaflet
import xstatic.pkg.leaflet_markercluster as _xs_markercluster
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement

from ._html import RawHTML, json_block

__all__ = [
    "OfflineAssets",
    "asset_text",
    "inline_script",
    "inline_style",
    "leaflet_css",
    "leaflet_js",
    "make_offline",
    "markercluster_css",
    "markercluster_js",
    "network_urls",
]

LEAFLET_VERSION = _xs_leaflet.VERSION
MARKERCLUSTER_VERSION = _xs_markercluster.VERSION

# folium resource names that we replace with inline copies ...
_INLINE_JS = {"leaflet": "leaflet", "markerclusterjs": "markercluster"}
_INLINE_CSS = {
    "leaflet_css": "leaflet",
    "markerclustercss": "markercluster",
    "markerclusterdefaultcss": "markercluster",
}
# ... and the ones folium's Map links but borderwatch does not need.
_MAP_UNUSED = {
    "jquery",
    "bootstrap",
    "awesome_markers",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers_font_css",
    "awesome_markers_css",
    "awesome_rotate_css",
}

_NETWORK_RE = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data|action|background)\s*=\s*["']?\s*"""
    r"""|url\(\s*["']?\s*|@import\s+["']?\s*)((?:https?:)?//[^\s"')>]+)""",
    re.IGNORECASE,
)
# every character that may come before the '//' of a match of _NETWORK_RE: the words
# (and their case-insensitive matches, all of them \w), spaces, '=', quotes, '(', '@', ':'
_BEFORE_URL = re.compile(r"""[\w\s="'(@:]""")


def _read(base: str, name: str) -> str:
    return (Path(base) / name).read_text(encoding="utf-8")


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def inline_script(js: str) -> str:
    """``js`` as an inline ``<script>`` element that cannot end early.

    Examples
    --------
    >>> inline_script("alert('</script>')")
    "<script>alert('<\\\\/script>')</script>"
    """
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    js = js.replace("<!--", "<\\!--")
    return f"<script>{js}</script>"


def inline_style(css: str) -> str:
    """``css`` as an inline ``<style>`` element.

    Examples
    --------
    >>> inline_style("a{color:red}")
    '<style>a{color:red}</style>'
    """
    if re.search(r"</style", css, flags=re.IGNORECASE):
        msg = "stylesheet contains '</style' and cannot be inlined."
        raise ValueError(msg)
    return f"<style>{css}</style>"


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified script from ``xstatic-leaflet``, with no outbound link."""
    js = _read(_xs_leaflet.BASE_DIR, "leaflet.js")
    # The attribution prefix links to leafletjs.com; borderwatch sets no prefix,
    # and the page must not contain a fetchable-looking URL.
    return js.replace("https://leafletjs.com", "#")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images inlined as ``data:`` URIs."""
    base = Path(_xs_leaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def repl(m: re.Match[str]) -> str:
        return f'url("{_data_uri(base / "images" / m.group(1), "image/png")}")'

    return re.sub(r"url\(\s*['\"]?images/([\w.\-]+\.png)['\"]?\s*\)", repl, css)


@lru_cache(maxsize=1)
def _default_icons() -> str:
    """Point ``L.Icon.Default`` at inlined images (for plain ``L.marker`` use).

    The images go in a JSON block that ``assets/leaflet-icons.js`` reads.
    """
    img = Path(_xs_leaflet.BASE_DIR) / "images"
    icons = {
        "iconUrl": _data_uri(img / "marker-icon.png", "image/png"),
        "iconRetinaUrl": _data_uri(img / "marker-icon-2x.png", "image/png"),
        "shadowUrl": _data_uri(img / "marker-shadow.png", "image/png"),
    }
    return json_block(icons, element_id="bw-leaflet-icons") + inline_script(
        asset_text("leaflet-icons.js")
    )


@lru_cache(maxsize=4)
def asset_text(name: str) -> str:
    """The text of one of borderwatch's page files in ``borderwatch/maps/assets``.

    Examples
    --------
    >>> ".bw-map" in asset_text("borderwatch.css")
    True
    """
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def markercluster_js() -> str:
    """Leaflet.markercluster's minified script from ``xstatic-leaflet-markercluster``."""
    return _read(_xs_markercluster.BASE_DIR, "leaflet.markercluster.js")


@lru_cache(maxsize=1)
def markercluster_css() -> str:
    """Leaflet.markercluster's two stylesheets (no images needed)."""
    base = _xs_markercluster.BASE_DIR
    return _read(base, "MarkerCluster.css") + "\n" + _read(base, "MarkerCluster.Default.css")


def network_urls(html: str) -> list[str]:
    """URLs in ``html`` that a browser would fetch (``src``, ``href``, ``url()``...).

    Namespace strings such as ``http://www.w3.org/2000/svg`` are not matched;
    ``data:`` URIs are not URLs on the network.

    Examples
    --------
    >>> network_urls('<script src="https://cdn.x/l.js"></script><a href="#">x</a>')
    ['https://cdn.x/l.js']
    >>> network_urls("<div style=\\"background:url('//cdn.x/i.png')\\"></div>")
    ['//cdn.x/i.png']
    """
    # A match's URL starts with the first '//' after its start (no '/' comes before it),
    # so only the few '//' of a page are tried: from each, back over the characters a
    # match may start with, then forward to the first place that matches (what finditer
    # finds, without testing the pattern at each of the page's 10^6 characters).
    out: list[str] = []
    done = 0  # where the last match ended
    at = html.find("//")
    while at != -1:
        start = at
        while start > done and _BEFORE_URL.match(html, start - 1):
            start -= 1
        for pos in range(start, at + 1):
            m = _NETWORK_RE.match(html, pos)
            if m is not None:
                out.append(m.group(1))
                done = m.end()
                break
        at = html.find("//", max(at + 1, done))
    return out


class OfflineAssets(MacroElement):
    """Writes inline Leaflet (and, on request, markercluster) into a page header.

    The inline blocks go to the top of the header, before anything a plugin
    links, so that scripts which expect ``L`` at load time find it.
    """

    def __init__(self, *, markercluster: bool = False) -> None:
        super().__init__()
        self._name = "BorderwatchOfflineAssets"
        self.markercluster = markercluster
        self.extra: dict[str, str] = {}

    def render(self, **kwargs: object) -> str:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = "OfflineAssets must be added to a map inside a folium Figure."
            raise TypeError(msg)
        blocks = [
            ("bw_leaflet_css", inline_style(leaflet_css())),
            ("bw_leaflet_js", inline_script(leaflet_js())),
            ("bw_leaflet_icons", _default_icons()),
        ]
        if self.markercluster:
            blocks += [
                ("bw_markercluster_css", inline_style(markercluster_css())),
                ("bw_markercluster_js", inline_script(markercluster_js())),
            ]
        blocks += list(self.extra.items())
        header = figure.header
        # links that an earlier render (e.g. a notebook display) left in the header
        for name in [*_INLINE_JS, *_INLINE_CSS, *_MAP_UNUSED]:
            child = header._children.get(name)
            if isinstance(child, JavascriptLink | CssLink):
                del header._children[name]
        for name, text in blocks:
            header.add_child(RawHTML(text), name=name)
        children = header._children
        for name, _ in reversed(blocks):
            children.move_to_end(name, last=False)
        if "meta_http" in children:
            children.move_to_end("meta_http", last=False)
        return ""


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def make_offline(m: folium.Map) -> OfflineAssets:
    """Make ``m`` load Leaflet and its plugins from the page itself.

    Drops folium's CDN links for Leaflet, jQuery, Bootstrap, Font Awesome and
    awesome-markers from the map (and markercluster from any
    ``folium.plugins.MarkerCluster`` in it), and adds an :class:`OfflineAssets`
    element that inlines Leaflet and markercluster. Links of other plugins are
    left alone; :func:`network_urls` on the rendered page reports them.
    Idempotent: calling it twice adds nothing.

    Parameters
    ----------
    m : folium.Map
        Changed in place (it is the map being drawn on).

    Returns
    -------
    OfflineAssets
        The (new or existing) assets element of ``m``.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(tiles=None)
    >>> _ = make_offline(m)
    >>> network_urls(m.get_root().render())
    []
    """
    assets = next((c for c in m._children.values() if isinstance(c, OfflineAssets)), None)
    if assets is None:
        assets = OfflineAssets()
        m.add_child(assets, name="bw_offline_assets")
    for element in _walk(m):
        js = getattr(element, "default_js", None)
        css = getattr(element, "default_css", None)
        if js is None and css is None:
            continue
        is_map = isinstance(element, folium.Map)
        keep_js = []
        for name, url in js or []:
            if name in _INLINE_JS:
                assets.markercluster |= _INLINE_JS[name] == "markercluster"
            elif not (is_map and name in _MAP_UNUSED):
                keep_js.append((name, url))
        keep_css = []
        for name, url in css or []:
            if name in _INLINE_CSS:
                assets.markercluster |= _INLINE_CSS[name] == "markercluster"
            elif not (is_map and name in _MAP_UNUSED):
                keep_css.append((name, url))
        # instance attributes: never mutate folium's class-level lists
        setattr(element, "default_js", keep_js)  # noqa: B010 - Element has no such attribute
        setattr(element, "default_css", keep_css)  # noqa: B010
    return assets
