"""Offline assets: Leaflet, its plugins and borderwatch's own script, inlined.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
CDNs. A borderwatch map must draw with no network, so:

* Leaflet and Leaflet.markercluster are read from the ``xstatic-leaflet`` and
  ``xstatic-leaflet-markercluster`` packages and inlined into the page;
  the images that ``leaflet.css`` references become ``data:`` URIs;
* jQuery, Bootstrap and the icon fonts are dropped: borderwatch draws with
  circle markers and CSS-only ``divIcon`` symbols;
* the one outbound link in Leaflet (the attribution prefix) is neutralised.

:func:`make_offline` applies this to any :class:`folium.Map`, and
:func:`network_urls` lists whatever a page would still fetch.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import folium
import xstatic.pkg.leaflet as _xs_leaflet
import xstatic.pkg.leaflet_markercluster as _xs_markercluster
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement

from ._html import RawHTML

__all__ = [
    "MAP_CSS",
    "MAP_JS",
    "OfflineAssets",
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


def _read(base: str, name: str) -> str:
    return (Path(base) / name).read_text(encoding="utf-8")


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def inline_script(js: str) -> str:
    """``js`` as an inline ``<script>`` element that cannot end early.

    Examples
    --------
    >>> inline_script("var s = '</script>';")
    "<script>var s = '<\\\\/script>';</script>"
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
def _default_icon_js() -> str:
    """Point ``L.Icon.Default`` at inlined images (for plain ``L.marker`` use)."""
    img = Path(_xs_leaflet.BASE_DIR) / "images"
    return (
        "if(window.L&&L.Icon&&L.Icon.Default){L.Icon.Default.imagePath='';"
        "L.Icon.Default.mergeOptions({"
        f"iconUrl:'{_data_uri(img / 'marker-icon.png', 'image/png')}',"
        f"iconRetinaUrl:'{_data_uri(img / 'marker-icon-2x.png', 'image/png')}',"
        f"shadowUrl:'{_data_uri(img / 'marker-shadow.png', 'image/png')}'"
        "});}"
    )


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
    return [m.group(1) for m in _NETWORK_RE.finditer(html)]


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
            ("bw_leaflet_js", inline_script(leaflet_js() + "\n" + _default_icon_js())),
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


MAP_CSS = r"""
.bw-map.leaflet-container{background:#eef0ea;font-family:"DejaVu Sans","Noto Sans","Segoe UI",Arial,sans-serif;}
.bw-ui{font-size:calc(18px * var(--bw-scale,1));line-height:1.3;color:#111;background:rgba(255,255,255,.94);
 border-radius:6px;box-shadow:0 1px 6px rgba(0,0,0,.45);padding:8px 12px;}
.bw-title{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:690;max-width:56%;
 text-align:center;}
.bw-title h1{font-size:1.55em;margin:0 0 4px 0;line-height:1.15;}
.bw-title .bw-line{font-size:.82em;margin:1px 0;}
.bw-title .bw-warn{color:#a50f15;font-weight:bold;}
.bw-title.bw-internal{border:4px solid #a50f15;}
.bw-watermark{position:absolute;left:0;right:0;top:0;bottom:0;display:flex;align-items:center;
 justify-content:center;pointer-events:none;z-index:640;overflow:hidden;}
.bw-watermark .bw-wm{transform:rotate(-20deg);text-align:center;line-height:1.05;}
.bw-watermark span{display:block;font-size:calc(min(10vw,140px));font-weight:900;color:rgba(190,0,0,.17);
 white-space:nowrap;letter-spacing:.04em;}
.bw-watermark span+span{font-size:calc(min(7vw,100px));}
.bw-legend{max-height:55vh;overflow:auto;max-width:30vw;min-width:12em;}
.bw-legend .bw-body .bw-off{display:none;}
.bw-legend h2{font-size:1.05em;margin:0 0 4px 0;cursor:pointer;}
.bw-legend h3{font-size:.9em;margin:8px 0 3px 0;}
.bw-legend .bw-item{font-size:.85em;margin:2px 0;display:flex;align-items:center;}
.bw-legend.bw-collapsed .bw-body{display:none;}
.bw-sw{display:inline-block;flex:0 0 auto;width:1.5em;height:1.05em;margin-inline-end:.45em;
 border:1px solid #555;box-sizing:border-box;}
.bw-sw-line{height:0;border:0;border-top-style:solid;}
.bw-sw-marker{width:1em;height:1em;transform:rotate(45deg);border:2px solid #fff;box-shadow:0 0 0 1px #0b3d2e;
 margin-inline-start:.25em;margin-inline-end:.7em;}
.bw-sw-point{width:.9em;height:.9em;border-radius:50%;border:1px solid #fff;box-shadow:0 0 0 1px #333;
 margin-inline-end:.6em;}
.bw-grad{display:inline-block;width:9em;height:1em;border:1px solid #555;margin:0 .4em;}
.bw-popup{font-size:calc(17px * var(--bw-scale,1));line-height:1.3;}
.bw-popup .bw-popup-title{font-weight:bold;font-size:1.1em;margin-bottom:4px;}
.bw-popup table{border-collapse:collapse;}
.bw-popup th{text-align:start;vertical-align:top;padding:1px .7em 1px 0;font-weight:600;color:#333;}
.bw-popup[dir="rtl"] th{padding:1px 0 1px .7em;}
.bw-popup td{vertical-align:top;padding:1px 0;}
.bw-popup ul{margin:0;padding-inline-start:1.1em;}
.bw-tip{font-size:calc(16px * var(--bw-scale,1));}
.bw-map .leaflet-tooltip{left:0;top:0;}
.leaflet-tooltip.bw-label{font-size:calc(15px * var(--bw-scale,1));font-weight:700;color:#111;
 background:rgba(255,255,255,.92);border:2px solid #67001f;box-shadow:none;white-space:normal;
 width:max-content;max-width:24em;text-align:center;line-height:1.2;padding:3px 7px;}
.bw-label-text .bw-line{display:block;}
.leaflet-tooltip.bw-label-cluster{border-color:#01665e;}
.leaflet-tooltip.bw-label:before{display:none;}
.leaflet-tooltip.bw-label-off{visibility:hidden;}
.leaflet-tooltip.bw-label-off.bw-label-hover{visibility:visible;z-index:10;}
.bw-map .leaflet-control-layers{font-size:calc(16px * var(--bw-scale,1));line-height:1.5;}
.bw-map .leaflet-control-layers-expanded{padding:6px 12px 6px 8px;}
.bw-map .leaflet-control-scale{direction:ltr;}
.bw-map .leaflet-control-scale-line{font-size:calc(15px * var(--bw-scale,1));border-width:3px;
 border-color:#111;padding:2px 6px;background:rgba(255,255,255,.85);color:#111;}
.bw-map .leaflet-popup-content{margin:10px 14px;}
.bw-time{display:flex;align-items:center;gap:.5em;font-size:calc(16px * var(--bw-scale,1));}
.bw-time input[type=range]{width:16em;}
.bw-time button{font-size:1em;padding:2px 10px;cursor:pointer;}
.bw-time .bw-month{min-width:9em;font-weight:bold;}
.bw-meeting-icon{background:transparent;border:0;}
.bw-meeting-inner{width:18px;height:18px;margin:3px;background:#1b9e77;border:3px solid #fff;
 box-shadow:0 0 0 2px #0b3d2e;transform:rotate(45deg);box-sizing:border-box;}
"""

MAP_JS = r"""
(function () {
  "use strict";
  if (window.borderwatch) { return; }
  window.__borderwatch = window.__borderwatch || [];

  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  /* Only for the two Leaflet APIs that insist on HTML strings. */
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }
  function safeColor(c, fallback) {
    return (typeof c === "string" && /^#[0-9a-fA-F]{3,8}$/.test(c)) ? c : fallback;
  }
  function popupNode(title, fields, values, dir) {
    var box = el("div", "bw-popup");
    box.setAttribute("dir", dir);
    if (title !== null && title !== undefined && title !== "") {
      el("bdi", null, title, el("div", "bw-popup-title", null, box));
    }
    var tbl = el("table", null, null, box);
    for (var i = 0; i < fields.length; i++) {
      var v = values ? values[i] : null;
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) { continue; }
      var tr = el("tr", null, null, tbl);
      el("th", null, fields[i], tr);
      var td = el("td", null, null, tr);
      if (Array.isArray(v)) {
        var ul = el("ul", null, null, td);
        for (var j = 0; j < v.length; j++) { el("bdi", null, v[j], el("li", null, null, ul)); }
      } else {
        el("bdi", null, v, td);
      }
    }
    return box;
  }
  function textNode(text, cls, dir) {
    var s = el("div", cls || "bw-tip");
    s.setAttribute("dir", dir);
    el("bdi", null, text, s);
    return s;
  }
  /* A region label on two lines, "Hotspot 2:" and "357 incidents, Mali" (split
     after the first colon; the text content stays the whole label). */
  function labelNode(text, dir) {
    var s = el("div", "bw-label-text");
    s.setAttribute("dir", dir);
    var m = /^([\s\S]*?:\s+)([\s\S]+)$/.exec(String(text));
    if (m) { el("bdi", "bw-line", m[1], s); el("bdi", "bw-line", m[2], s); }
    else { el("bdi", null, text, s); }
    return s;
  }
  function ensurePane(map, name, z) {
    var p = map.getPane(name);
    if (!p) { p = map.createPane(name); p.style.zIndex = String(z); }
    return name;
  }
  function monthLabel(ym, lang, allText) {
    if (ym === null) { return allText; }
    var parts = ym.split("-");
    try {
      var d = new Date(Date.UTC(+parts[0], +parts[1] - 1, 1));
      return new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", timeZone: "UTC" }).format(d);
    } catch (e) { return ym; }
  }
  function dayString(days) {
    if (days === null || days === undefined) { return null; }
    return new Date(days * 86400000).toISOString().slice(0, 10);
  }
  function decodeColumn(col, i) {
    if (!col) { return null; }
    if (col.k === "dict") {
      var code = col.i[i];
      return (code === null || code < 0) ? null : col.d[code];
    }
    if (col.k === "days") { return dayString(col.v[i]); }
    var v = col.v[i];
    return (v === null || v === undefined) ? null : v;
  }

  /* Region labels. Candidates (features with an "lr" priority) are bound as
     permanent tooltips; after every change of view, month or layers, update()
     walks them in priority order (hotspots before clusters, cross-border first)
     and shows at most data.maxLabels, each at the first side of its region
     (top, bottom, right, left, then the corners) where it stays inside the map
     and overlaps no label shown before it, no panel (title, legend, controls) and
     no border line. A cross-border region that fits only over the border is
     labelled where it hides the least of it, if no more than data.labelMaxCover
     label heights (crossing the border, not running along it). Hidden labels appear while the pointer is over their region;
     every region also has its text in its popup. */
  var SIDES = ["top", "bottom", "right", "left", "ne", "nw", "se", "sw"];

  function overlaps(a, b, pad) {
    return a.left < b.right + pad && b.left < a.right + pad && a.top < b.bottom + pad && b.top < a.bottom + pad;
  }
  function clippedLength(x0, y0, x1, y1, r) {  /* of a segment inside r (Liang-Barsky) */
    var t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    var p = [-dx, dx, -dy, dy], q = [x0 - r.left, r.right - x0, y0 - r.top, r.bottom - y0];
    for (var i = 0; i < 4; i++) {
      if (p[i] === 0) { if (q[i] < 0) { return -1; } continue; }
      var t = q[i] / p[i];
      if (p[i] < 0) { if (t > t1) { return -1; } if (t > t0) { t0 = t; } }
      else { if (t < t0) { return -1; } if (t < t1) { t1 = t; } }
    }
    return (t1 - t0) * Math.sqrt(dx * dx + dy * dy);
  }

  function makeLabeller(map, data) {
    var items = [], avoid = [];
    var max = Math.max(0, +data.maxLabels || 0);
    var maxCover = +data.labelMaxCover || 0;
    function relative(r, origin) {
      return { left: r.left - origin.left, top: r.top - origin.top, right: r.right - origin.left,
               bottom: r.bottom - origin.top };
    }
    function segments() {
      var segs = [];
      avoid.forEach(function (a) {
        if (!map.hasLayer(a.layer)) { return; }
        a.fc.features.forEach(function (f) {
          var g = f.geometry;
          if (!g) { return; }
          var parts = g.type === "LineString" ? [g.coordinates]
            : (g.type === "MultiLineString" || g.type === "Polygon") ? g.coordinates : [];
          parts.forEach(function (part) {
            var prev = null;
            for (var i = 0; i < part.length; i++) {
              var pt = map.latLngToContainerPoint([part[i][1], part[i][0]]);
              if (prev) { segs.push([prev.x, prev.y, pt.x, pt.y]); }
              prev = pt;
            }
          });
        });
      });
      return segs;
    }
    function coveredLength(r, segs, pad) {  /* -1: clear of every line */
      var box = { left: r.left - pad, top: r.top - pad, right: r.right + pad, bottom: r.bottom + pad };
      var total = -1;
      for (var i = 0; i < segs.length; i++) {
        var s = segs[i];
        if (Math.max(s[0], s[2]) < box.left || Math.min(s[0], s[2]) > box.right ||
            Math.max(s[1], s[3]) < box.top || Math.min(s[1], s[3]) > box.bottom) { continue; }
        var len = clippedLength(s[0], s[1], s[2], s[3], box);
        if (len >= 0) { total = Math.max(total, 0) + len; }
      }
      return total;
    }
    function place(it, side, node) {
      var layer = it.layer, tip = layer.getTooltip();
      var ll, b = layer.getBounds ? layer.getBounds() : null;
      var r = b ? 0 : (layer.options.radius || 0) + 2;
      if (b) {
        var c = b.getCenter(), n = b.getNorth(), s = b.getSouth(), e = b.getEast(), w = b.getWest();
        ll = { top: [n, c.lng], bottom: [s, c.lng], right: [c.lat, e], left: [c.lat, w],
               ne: [n, e], nw: [n, w], se: [s, e], sw: [s, w] }[side];
      } else {
        ll = layer.getLatLng();
      }
      var h = node ? node.offsetHeight / 2 + 3 : 0;
      var dir = { top: "top", bottom: "bottom", right: "right", left: "left",
                  ne: "right", se: "right", nw: "left", sw: "left" }[side];
      var off = { top: [0, -r], bottom: [0, r], right: [r, 0], left: [-r, 0],
                  ne: [r, -r - h], se: [r, r + h], nw: [-r, -r - h], sw: [-r, r + h] }[side];
      tip.options.direction = dir;
      tip.options.offset = off;
      tip.setLatLng(ll);
    }
    function update() {
      var container = map.getContainer();
      var origin = container.getBoundingClientRect();
      var view = { left: 0, top: 0, right: origin.width, bottom: origin.height };
      var taken = [];
      container.querySelectorAll(".leaflet-control, .bw-title").forEach(function (e) {
        var r = e.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) { taken.push(relative(r, origin)); }
      });
      var segs = null, shown = 0;
      items.forEach(function (it) {
        var tip = it.layer.getTooltip();
        var node = tip && tip.getElement();
        if (!node || !it.layer._map || !tip.isOpen()) { return; }
        var chosen = null, fallback = null, rect = null, fallbackRect = null, fallbackCover = 0;
        for (var i = 0; shown < max && i < SIDES.length && chosen === null; i++) {
          place(it, SIDES[i], node);
          var r = relative(node.getBoundingClientRect(), origin);
          if (r.left < view.left || r.top < view.top || r.right > view.right || r.bottom > view.bottom) { continue; }
          var clash = false;
          for (var j = 0; j < taken.length && !clash; j++) { clash = overlaps(r, taken[j], 3); }
          if (clash) { continue; }
          if (segs === null) { segs = segments(); }
          if (coveredLength(r, segs, 5) >= 0) {
            /* a cross-border label may cross the border (measured under the label
               itself), but not run along it */
            var cover = Math.max(0, coveredLength(r, segs, 0));
            if (it.cross && cover <= maxCover * (r.bottom - r.top) && (fallback === null || cover < fallbackCover)) {
              fallback = SIDES[i]; fallbackRect = r; fallbackCover = cover;
            }
            continue;
          }
          chosen = SIDES[i]; rect = r;
        }
        if (chosen === null && fallback !== null) { chosen = fallback; rect = fallbackRect; }
        if (chosen !== null) {
          place(it, chosen, node);
          taken.push(rect);
          shown += 1;
          node.classList.remove("bw-label-off");
        } else {
          place(it, "top", node);
          node.classList.add("bw-label-off");
        }
      });
    }
    function add(layer, props, spec) {
      var it = { layer: layer, order: +spec.labelOrder || 0, rank: +props.lr || 0, cross: props.lx === true };
      items.push(it);
      items.sort(function (a, b) { return (a.order - b.order) || (a.rank - b.rank); });
      function hover(on) {
        var tip = layer.getTooltip(), node = tip && tip.getElement();
        if (node) { node.classList.toggle("bw-label-hover", on); }
      }
      layer.on("mouseover", function () { hover(true); });
      layer.on("mouseout", function () { hover(false); });
    }
    function avoidLines(spec, layer) { avoid.push({ fc: spec.fc, layer: layer }); }
    function visible() {
      return items.filter(function (it) {
        var tip = it.layer.getTooltip(), node = tip && tip.getElement();
        return it.layer._map && tip.isOpen() && node && !node.classList.contains("bw-label-off");
      }).length;
    }
    return { add: add, avoidLines: avoidLines, update: update, visible: visible };
  }

  function makeGeoJson(map, spec, data, temporal, labeller) {
    var pane = ensurePane(map, spec.pane, spec.z);
    var base = spec.style || {};
    function style(f) {
      var s = {};
      for (var k in base) { if (Object.prototype.hasOwnProperty.call(base, k)) { s[k] = base[k]; } }
      var p = f.properties || {};
      if (p.c) { s.fillColor = safeColor(p.c, s.fillColor); }
      if (p.lc) { s.color = safeColor(p.lc, s.color); }
      if (p.dash) { s.dashArray = "6 4"; }
      s.pane = pane;
      return s;
    }
    var opts = {
      pane: pane,
      style: style,
      interactive: spec.interactive !== false,
      pointToLayer: function (f, latlng) {
        if (spec.marker === "meeting") {
          return L.marker(latlng, {
            pane: "markerPane",
            icon: L.divIcon({ className: "bw-meeting-icon", html: "<div class=\"bw-meeting-inner\"></div>",
                              iconSize: [30, 30], iconAnchor: [15, 15] }),
            keyboard: true
          });
        }
        var s = style(f);
        s.radius = spec.radius || 7;
        return L.circleMarker(latlng, s);
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        if (spec.popup) {
          layer.bindPopup(function () { return popupNode(p.t, spec.fields || [], p.v || [], data.dir); },
                          { maxWidth: 460, minWidth: 180 });
        }
        if (spec.label && p.lbl && p.lr !== undefined && p.lr !== null && labeller) {
          layer.bindTooltip(function () { return labelNode(p.lbl, data.dir); }, {
            permanent: true, direction: "top", interactive: false,
            className: "bw-label bw-label-off" + (spec.key === "clusters" ? " bw-label-cluster" : ""),
            opacity: 1
          });
          labeller.add(layer, p, spec);
        } else if (spec.label && p.lbl) {
          layer.bindTooltip(function () { return textNode(p.lbl, "bw-tip", data.dir); }, { sticky: true });
        } else if (spec.tooltip && p.tip) {
          layer.bindTooltip(function () { return textNode(p.tip, "bw-tip", data.dir); }, { sticky: true });
        }
      }
    };
    var halo = null;
    if (spec.halo) {  /* created first: a FeatureGroup draws its layers in creation order */
      var haloStyle = {};
      for (var k in base) { if (Object.prototype.hasOwnProperty.call(base, k)) { haloStyle[k] = base[k]; } }
      haloStyle.color = safeColor(spec.halo.color, "#ffffff");
      haloStyle.weight = spec.halo.weight;
      haloStyle.dashArray = null;
      haloStyle.pane = pane;
      halo = L.geoJSON(spec.fc, { pane: pane, style: function () { return haloStyle; }, interactive: false });
    }
    var gj = L.geoJSON(spec.fc, opts);
    var group = halo ? L.featureGroup([halo, gj]) : gj;
    if (spec.avoid && labeller) { labeller.avoidLines(spec, group); }
    if (spec.temporal) {
      var items = [];
      gj.eachLayer(function (layer) {
        var p = (layer.feature && layer.feature.properties) || {};
        items.push({ layer: layer, m0: p.m0, m1: p.m1 });
      });
      temporal.push({ group: gj, items: items });
    }
    return group;
  }

  function makePoints(map, spec, data, temporal) {
    var pane = ensurePane(map, "bwPoints", 450);
    var renderer = L.canvas({ pane: pane, padding: 0.3 });
    if (spec.cluster && !isFinite(map.getMaxZoom())) { map.setMaxZoom(19); }  /* markercluster needs it */
    var group = (spec.cluster && L.markerClusterGroup)
      ? L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 45, showCoverageOnHover: false,
                               spiderfyOnMaxZoom: true, disableClusteringAtZoom: 14 })
      : L.featureGroup();
    var colors = spec.colors || [];
    var items = [];
    var layers = [];
    for (var i = 0; i < spec.lat.length; i++) {
      var c = spec.cat ? spec.cat[i] : 0;
      var cm = L.circleMarker([spec.lat[i], spec.lon[i]], {
        renderer: renderer, pane: pane, radius: spec.radius || 5, color: "#ffffff", weight: 1,
        fillColor: safeColor(colors[c], "#444444"), fillOpacity: 0.9
      });
      cm._bwIndex = i;
      layers.push(cm);
      if (spec.m) { items.push({ layer: cm, m0: spec.m[i] < 0 ? null : spec.m[i], m1: spec.m[i] < 0 ? null : spec.m[i] }); }
    }
    if (group.addLayers) { group.addLayers(layers); } else { layers.forEach(function (l) { group.addLayer(l); }); }
    group.on("click", function (e) {
      var i = e.layer && e.layer._bwIndex;
      if (i === undefined) { return; }
      var values = [];
      for (var j = 0; j < spec.cols.length; j++) { values.push(decodeColumn(spec.cols[j], i)); }
      L.popup({ maxWidth: 460 }).setLatLng(e.layer.getLatLng())
        .setContent(popupNode(spec.title, spec.fields, values, data.dir)).openOn(map);
    });
    if (spec.m) { temporal.push({ group: group, items: items }); }
    return group;
  }

  function makeCircles(map, spec, data) {
    var pane = ensurePane(map, "bwPoints", 450);
    var renderer = L.canvas({ pane: pane, padding: 0.3 });
    var group = L.featureGroup();
    for (var i = 0; i < spec.lat.length; i++) {
      var cm = L.circleMarker([spec.lat[i], spec.lon[i]], {
        renderer: renderer, pane: pane, radius: spec.r[i], color: "#3f007d", weight: 1,
        fillColor: safeColor(spec.color, "#6a51a3"), fillOpacity: 0.55
      });
      (function (text) {
        cm.bindTooltip(function () { return textNode(text, "bw-tip", data.dir); }, { sticky: true });
      })(fmt(spec.tip, { n: spec.n[i] }));
      group.addLayer(cm);
    }
    return group;
  }

  /* The legend explains the layers that are on the map: a section or item whose
     layer is switched off in the layer control is hidden with it. */
  function makeLegend(map, data, layers, onChange) {
    var parts = [];  /* {node, keys} */
    function shown(key) { return !key || !layers[key] || map.hasLayer(layers[key]); }
    function refresh() {
      parts.forEach(function (part) {
        part.node.classList.toggle("bw-off", !part.keys.some(shown));
      });
    }
    var Legend = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var box = el("div", "bw-ui bw-legend leaflet-control");
        box.setAttribute("dir", data.dir);
        var h = el("h2", null, data.t["legend.title"], box);
        var body = el("div", "bw-body", null, box);
        h.addEventListener("click", function () { box.classList.toggle("bw-collapsed"); if (onChange) { onChange(); } });
        data.legend.forEach(function (sec) {
          var section = el("div", "bw-section", null, body);
          var itemKeys = sec.items.map(function (it) { return it.key || sec.key || null; });
          parts.push({ node: section, keys: itemKeys.length ? itemKeys : [sec.key || null] });
          el("h3", null, sec.title, section);
          sec.items.forEach(function (it, idx) {
            var row = el("div", "bw-item", null, section);
            if (it.key) { parts.push({ node: row, keys: [itemKeys[idx]] }); }
            var sw;
            if (it.k === "gradient") {
              el("span", null, it.lo, row);
              sw = el("span", "bw-grad", null, row);
              sw.style.background = "linear-gradient(to right," + safeColor(it.c, "#ffffff") + "," +
                safeColor(it.c2, "#000000") + ")";
              el("span", null, it.hi, row);
              return;
            }
            if (it.k === "line") {
              sw = el("span", "bw-sw bw-sw-line", null, row);
              sw.style.borderTopColor = safeColor(it.c, "#000000");
              sw.style.borderTopWidth = String(Math.min(+it.w || 3, 10)) + "px";
              if (it.dash) { sw.style.borderTopStyle = "dashed"; }
            } else if (it.k === "outline") {
              sw = el("span", "bw-sw", null, row);
              sw.style.borderColor = safeColor(it.c, "#000000");
              sw.style.borderWidth = "3px";
              if (it.dash) { sw.style.borderStyle = "dashed"; }
              sw.style.background = "transparent";
            } else if (it.k === "marker") {
              sw = el("span", "bw-sw bw-sw-marker", null, row);
              sw.style.background = safeColor(it.c, "#1b9e77");
            } else if (it.k === "point") {
              sw = el("span", "bw-sw bw-sw-point", null, row);
              sw.style.background = safeColor(it.c, "#444444");
            } else {
              sw = el("span", "bw-sw", null, row);
              sw.style.background = safeColor(it.c, "#cccccc");
              if (it.dash) { sw.style.borderStyle = "dashed"; }
            }
            el("bdi", null, it.label, row);
          });
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    var legend = new Legend();
    legend.refresh = refresh;
    return legend;
  }

  /* The legend may use the height left below the layer control. */
  function fitLegend(map, legend) {
    var box = legend && legend.getContainer && legend.getContainer();
    if (!box) { return; }
    var container = map.getContainer();
    var height = container.clientHeight;
    var top = 10;
    var ctl = map._bwLayerControl && map._bwLayerControl.getContainer();
    if (ctl) {
      var r = ctl.getBoundingClientRect(), o = container.getBoundingClientRect();
      top = r.bottom - o.top + 10;
    }
    box.style.maxHeight = String(Math.max(120, Math.floor(height - top - 14 - 16))) + "px";
  }

  function makeTime(map, data, setMonth) {
    var Time = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = el("div", "bw-ui bw-time leaflet-control");
        box.setAttribute("dir", data.dir);
        el("span", null, data.t["time.label"], box);
        var input = el("input", null, null, box);
        input.type = "range"; input.min = "0"; input.max = String(data.months.length); input.value = "0";
        input.step = "1";
        input.setAttribute("aria-label", data.t["time.label"]);
        var out = el("span", "bw-month", data.t["time.all"], box);
        var play = el("button", null, data.t["time.play"], box);
        play.type = "button";
        var timer = null, pending = null;
        function update() {
          var v = +input.value;
          out.textContent = monthLabel(v === 0 ? null : data.months[v - 1], data.lang, data.t["time.all"]);
          if (pending) { clearTimeout(pending); }
          pending = setTimeout(function () { setMonth(v - 1); }, 120);
        }
        input.addEventListener("input", update);
        play.addEventListener("click", function () {
          if (timer) { clearInterval(timer); timer = null; play.textContent = data.t["time.play"]; return; }
          play.textContent = data.t["time.pause"];
          timer = setInterval(function () {
            input.value = String((+input.value + 1) % (data.months.length + 1));
            update();
          }, 1500);
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Time();
  }

  function draw(map, dataId) {
    var node = document.getElementById(dataId);
    var data = JSON.parse(node.textContent);
    var container = map.getContainer();
    container.classList.add("bw-map");
    container.style.setProperty("--bw-scale", String(+data.fontScale || 1));
    var root = document.documentElement;
    if (!root.getAttribute("lang")) { root.setAttribute("lang", data.lang); }
    if (!root.getAttribute("dir")) { root.setAttribute("dir", data.dir); }

    var temporal = [];
    var layers = {};
    var overlays = [];
    var labeller = makeLabeller(map, data);
    if (data.tiles) {
      var tl = L.tileLayer(data.tiles.url, { attribution: esc(data.tiles.attribution || ""), maxZoom: 19 });
      tl.addTo(map);
      layers.tiles = tl;
      if (!map.attributionControl) {
        map.attributionControl = L.control.attribution({ prefix: false }).addTo(map);
      } else { map.attributionControl.setPrefix(false); }
      overlays.push([data.t["layer.basemap"], tl]);
    }
    data.layers.forEach(function (spec) {
      var layer = null;
      try {
        if (spec.type === "geojson") { layer = makeGeoJson(map, spec, data, temporal, labeller); }
        else if (spec.type === "points") { layer = makePoints(map, spec, data, temporal); }
        else if (spec.type === "circles") { layer = makeCircles(map, spec, data); }
        else if (spec.type === "image") {
          layer = L.imageOverlay(spec.url, spec.bounds, { opacity: spec.opacity, interactive: false,
                                 pane: ensurePane(map, "bwDensity", 415) });
        }
      } catch (err) {
        if (window.console) { console.error("borderwatch: layer " + spec.key + " failed: " + err); }
        return;
      }
      if (!layer) { return; }
      layers[spec.key] = layer;
      if (spec.show) { layer.addTo(map); }
      overlays.push([spec.name, layer]);
    });

    var ctl = map._bwLayerControl;
    if (!ctl) {
      ctl = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);
      map._bwLayerControl = ctl;
      ctl.getContainer().setAttribute("dir", data.dir);
      L.control.scale({ imperial: false, maxWidth: 260, position: "bottomleft" }).addTo(map);
    }
    overlays.forEach(function (o) { ctl.addOverlay(o[1], esc(o[0])); });

    var legend = null;
    if (data.legend && data.legend.length) {
      legend = makeLegend(map, data, layers, function () { labeller.update(); });
      legend.addTo(map);
      legend.refresh();
      fitLegend(map, legend);
    }

    var title = container.querySelector(".bw-title");
    if (title) { title.parentNode.removeChild(title); }
    title = el("div", "bw-ui bw-title" + (data.view === "internal" ? " bw-internal" : ""), null, container);
    title.setAttribute("dir", data.dir);
    el("bdi", null, data.title, el("h1", null, null, title));
    data.lines.forEach(function (line) {
      el("bdi", null, line.text, el("div", "bw-line" + (line.warn ? " bw-warn" : ""), null, title));
    });
    L.DomEvent.disableClickPropagation(title);
    L.DomEvent.disableScrollPropagation(title);

    if (data.synthetic && !container.querySelector(".bw-watermark")) {
      var wm = el("div", "bw-wm", null, el("div", "bw-watermark", null, container));
      String(data.synthetic).split(" \u00b7 ").forEach(function (word) { el("span", null, word, wm); });
    }

    function setMonth(idx) {
      temporal.forEach(function (t) {
        var keep = [];
        for (var i = 0; i < t.items.length; i++) {
          var it = t.items[i];
          if (idx < 0 || (it.m0 !== null && it.m0 !== undefined && it.m0 <= idx && idx <= it.m1)) {
            keep.push(it.layer);
          }
        }
        t.group.clearLayers();
        if (t.group.addLayers) { t.group.addLayers(keep); }
        else { for (var j = 0; j < keep.length; j++) { t.group.addLayer(keep[j]); } }
      });
      labeller.update();
    }
    if (data.months.length && temporal.length) { makeTime(map, data, setMonth).addTo(map); }

    map.on("overlayadd overlayremove", function () {
      if (legend) { legend.refresh(); }
      labeller.update();
    });
    map.on("moveend", labeller.update);
    map.on("resize", function () { fitLegend(map, legend); labeller.update(); });

    if (data.fit && data.bounds) { map.fitBounds(data.bounds, { padding: [24, 24] }); }
    labeller.update();
    var entry = { map: map, layers: layers, setMonth: setMonth, months: data.months, data: dataId,
                  labels: labeller };
    window.__borderwatch.push(entry);
    return entry;
  }

  window.borderwatch = { draw: draw, version: 1 };
})();
"""
