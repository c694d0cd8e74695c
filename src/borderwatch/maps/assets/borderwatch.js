/* borderwatch's meeting maps: draws the JSON block of one map (borderwatch/maps/_page.py)
   on a Leaflet map. Every string from the data is written with textContent; every colour
   comes from the data (layer styles, legend items and the palette). */
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
  var COLOR_RE = /^(#[0-9a-fA-F]{3,8}|rgba?\(\s*[\d.]+\s*,\s*[\d.]+\s*,\s*[\d.]+\s*(,\s*[\d.]+\s*)?\))$/;
  /* A colour from the data, or fallback (also from the data, or undefined: no colour). */
  function safeColor(c, fallback) {
    return (typeof c === "string" && COLOR_RE.test(c)) ? c : fallback;
  }
  /* A copy of a layer's style (colours checked) with options added. */
  function extend(style, options) {
    var out = {};
    Object.keys(style || {}).forEach(function (k) {
      out[k] = (k === "color" || k === "fillColor") ? safeColor(style[k]) : style[k];
    });
    Object.keys(options).forEach(function (k) { out[k] = options[k]; });
    return out;
  }
  /* The palette becomes CSS custom properties --bw-<name>, which the stylesheet uses. */
  function setPalette(container, palette) {
    Object.keys(palette || {}).forEach(function (name) {
      var c = safeColor(palette[name]);
      if (/^[a-z][a-z0-9-]*$/.test(name) && c) { container.style.setProperty("--bw-" + name, c); }
    });
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
  /* A region label on its lines ("Hotspot 2: " and "357 incidents, Mali", split in
     Python; the text content stays the whole label). */
  function labelNode(lines, dir) {
    var s = el("div", "bw-label-text");
    s.setAttribute("dir", dir);
    if (lines.length > 1) { lines.forEach(function (line) { el("bdi", "bw-line", line, s); }); }
    else { el("bdi", null, lines[0], s); }
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
    if (parts.length === 1) { return ym; }  // the slider steps by year
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

  /* Area labels, by the rules of borderwatch/maps/_labels.py, which also give each
     candidate its priority and text, the places to try (data.labelSides) and the
     distances (data.labelDistances, in label heights). Candidates (features with an
     "lr" priority) are bound as permanent tooltips; after every change of view,
     month or layers, update() walks them in priority order (hotspots before
     clusters, cross-border first) and labels the first data.maxLabels that are
     drawn: each at the first place next to its area (then on it, then farther out,
     joined by a leader line) where it stays inside the map and overlaps no label
     shown before it, no panel (title, legend, controls) and no border line. A
     cross-border area that fits only over the border is labelled where it hides
     the least of it, if no more than data.labelMaxCover label heights. The set of
     labelled areas depends only on the data, never on the language or the screen;
     a label that fits nowhere stays hidden. Hidden labels appear while the pointer
     is over their area; every area also has its text in its popup. */
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
  function relative(r, origin) {
    return { left: r.left - origin.left, top: r.top - origin.top, right: r.right - origin.left,
             bottom: r.bottom - origin.top };
  }
  function panelRects(container) {
    var origin = container.getBoundingClientRect(), out = [];
    container.querySelectorAll(".leaflet-control, .bw-title, .bw-present-bar").forEach(function (e) {
      var r = e.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { out.push(relative(r, origin)); }
    });
    return out;
  }

  function makeLabeller(map, data) {
    var items = [], avoid = [];
    var max = Math.max(0, +data.maxLabels || 0);
    var maxCover = +data.labelMaxCover || 0;
    var sides = data.labelSides || [];
    var distances = data.labelDistances || [0];
    ensurePane(map, "bwLeaders", 648);
    var leaders = L.layerGroup().addTo(map);
    var only = null;  /* projector mode: label this one area only */
    var placed = [];  /* rects of the labels shown, for the towns */
    var shownInfo = [];  /* what update() placed: the area, its label's rect, its leader line */
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
    /* side: {ax, ay} the anchor as a fraction of the area's box (west/south = 0),
       {dx, dy} the direction the label extends from it (dy = 1: up; 0, 0: on the
       area); dist: how far out, in label heights. Returns the anchor's latlng. */
    function place(it, side, node, dist) {
      var layer = it.layer, tip = layer.getTooltip();
      var ll, b = layer.getBounds ? layer.getBounds() : null;
      var r = b ? 0 : (layer.options.radius || 0) + 2;
      if (b) {
        var s = b.getSouth(), w = b.getWest();
        ll = L.latLng(s + side.ay * (b.getNorth() - s), w + side.ax * (b.getEast() - w));
      } else {
        ll = layer.getLatLng();
      }
      var lh = node ? node.offsetHeight : 0;
      var far = (dist || 0) * lh;
      /* Leaflet centres "left"/"right" tooltips vertically: a corner moves up or down */
      var h = (node && side.dx !== 0) ? lh / 2 + 3 : 0;
      tip.options.direction = side.dx > 0 ? "right" : side.dx < 0 ? "left" : side.dy > 0 ? "top"
        : side.dy < 0 ? "bottom" : "center";
      tip.options.offset = [side.dx * (r + far), -side.dy * (r + h + far)];
      tip.setLatLng(ll);
      return ll;
    }
    function leader(anchor, rect, color) {
      var a = map.latLngToContainerPoint(anchor);
      var x = Math.max(rect.left, Math.min(a.x, rect.right));
      var y = Math.max(rect.top, Math.min(a.y, rect.bottom));
      L.polyline([anchor, map.containerPointToLatLng([x, y])], {
        pane: "bwLeaders", className: "bw-leader", weight: 2, interactive: false, color: safeColor(color)
      }).addTo(leaders);
      return [[a.x, a.y], [x, y]];
    }
    function choose(it, node, view, taken, state) {
      var fallback = null;
      for (var d = 0; d < distances.length; d++) {
        for (var i = 0; i < sides.length; i++) {
          var side = sides[i];
          if (distances[d] > 0 && !side.dx && !side.dy) { continue; }  /* "on" has no distance */
          place(it, side, node, distances[d]);
          var r = relative(node.getBoundingClientRect(), state.origin);
          if (r.left < view.left || r.top < view.top || r.right > view.right || r.bottom > view.bottom) { continue; }
          var clash = false;
          for (var j = 0; j < taken.length && !clash; j++) { clash = overlaps(r, taken[j], 3); }
          if (clash) { continue; }
          if (state.segs === null) { state.segs = segments(); }
          if (coveredLength(r, state.segs, 5) >= 0) {
            /* a cross-border label may cross the border (measured under the label
               itself), but not run along it */
            var cover = Math.max(0, coveredLength(r, state.segs, 0));
            if (it.cross && cover <= maxCover * (r.bottom - r.top) && (fallback === null || cover < fallback.cover)) {
              fallback = { side: side, dist: distances[d], rect: r, cover: cover };
            }
            continue;
          }
          return { side: side, dist: distances[d], rect: r };
        }
      }
      return fallback;
    }
    function update() {
      var container = map.getContainer();
      var origin = container.getBoundingClientRect();
      var view = { left: 0, top: 0, right: origin.width, bottom: origin.height };
      var taken = panelRects(container);
      var state = { origin: origin, segs: null };
      var considered = 0;
      leaders.clearLayers();
      placed = [];
      shownInfo = [];
      items.forEach(function (it) {
        var tip = it.layer.getTooltip();
        var node = tip && tip.getElement();
        if (!node || !it.layer._map || !tip.isOpen()) { return; }
        considered += 1;
        var chosen = null;
        if (considered <= max && (only === null || only === it.layer)) { chosen = choose(it, node, view, taken, state); }
        if (chosen !== null) {
          var anchor = place(it, chosen.side, node, chosen.dist);
          taken.push(chosen.rect);
          placed.push(chosen.rect);
          shownInfo.push({ layer: it.layer, rect: chosen.rect,
                           leader: chosen.dist > 0 ? leader(anchor, chosen.rect, it.color) : null });
          node.classList.remove("bw-label-off");
          node.classList.toggle("bw-label-far", chosen.dist > 0);
        } else {
          if (sides.length) { place(it, sides[0], node, 0); }
          node.classList.add("bw-label-off");
        }
      });
    }
    function add(layer, props, spec) {
      var it = { layer: layer, order: +spec.labelOrder || 0, rank: +props.lr || 0, cross: props.lx === true,
                 no: +props.no || 0, color: spec.labelColor };
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
    /* The labelled areas in the order of their numbers (projector mode steps through them). */
    function sequence() {
      return items.filter(function (it) { return it.layer._map && it.rank < max; })
        .sort(function (a, b) { return (a.order - b.order) || (a.no - b.no); });
    }
    function focus(layer) { only = layer; update(); }
    return { add: add, avoidLines: avoidLines, update: update, visible: visible, sequence: sequence,
             focus: focus, placed: function () { return placed; }, shown: function () { return shownInfo; } };
  }

  /* Units of a country without data are filled with a hatch (an SVG pattern whose
     lines take --bw-no-data-hatch), never with the colour of 0. */
  function hatchNoData(map, gj) {
    var paths = [];
    gj.eachLayer(function (layer) {
      if (layer.feature && layer.feature.properties && layer.feature.properties.nd && layer._path) {
        paths.push(layer._path);
      }
    });
    if (!paths.length) { return; }
    var svg = paths[0].ownerSVGElement, ns = "http://www.w3.org/2000/svg";
    if (!svg.querySelector("#bw-no-data")) {
      var defs = svg.querySelector("defs") || svg.insertBefore(document.createElementNS(ns, "defs"), svg.firstChild);
      var pat = document.createElementNS(ns, "pattern");
      pat.setAttribute("id", "bw-no-data");
      pat.setAttribute("patternUnits", "userSpaceOnUse");
      pat.setAttribute("width", "10");
      pat.setAttribute("height", "10");
      pat.setAttribute("patternTransform", "rotate(45)");
      var bg = document.createElementNS(ns, "rect");
      bg.setAttribute("width", "10"); bg.setAttribute("height", "10");
      bg.setAttribute("class", "bw-hatch-bg");
      var line = document.createElementNS(ns, "line");
      line.setAttribute("x1", "0"); line.setAttribute("y1", "0");
      line.setAttribute("x2", "0"); line.setAttribute("y2", "10");
      line.setAttribute("class", "bw-hatch-line");
      pat.appendChild(bg); pat.appendChild(line); defs.appendChild(pat);
    }
    paths.forEach(function (path) { path.setAttribute("fill", "url(#bw-no-data)"); });
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
      if (p.x && spec.crossStyle) {  /* cross-border: a wide line, with a light one inside */
        Object.keys(spec.crossStyle).forEach(function (key) { s[key] = spec.crossStyle[key]; });
      }
      if (p.nd) { s.className = "bw-no-data"; }  /* a side without data: hatched, never 0 */
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
          layer.bindTooltip(function () {
            var n = labelNode(p.ll || [p.lbl], data.dir);
            return n;
          }, {
            permanent: true, direction: "top", interactive: false,
            className: "bw-label bw-label-off" + (spec.key === "clusters" ? " bw-label-cluster" : "") +
              (p.x ? " bw-label-cross" : ""),
            opacity: 1
          });
          layer.on("tooltipopen", function (e) {
            var c = safeColor(spec.labelColor);
            if (c && e.tooltip.getElement()) { e.tooltip.getElement().style.borderColor = c; }
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
      haloStyle.color = safeColor(spec.halo.color, base.color);
      haloStyle.weight = spec.halo.weight;
      haloStyle.dashArray = null;
      haloStyle.pane = pane;
      halo = L.geoJSON(spec.fc, { pane: pane, style: function () { return haloStyle; }, interactive: false });
    }
    var gj = L.geoJSON(spec.fc, opts);
    var inner = null;
    if (spec.inner) {  /* the light line inside a cross-border area's outline, drawn above it */
      inner = L.geoJSON(spec.inner.fc, { pane: pane, interactive: false,
        style: function () { return extend(spec.inner.style, { pane: pane }); } });
    }
    var group = halo ? L.featureGroup([halo, gj]) : gj;
    if (inner) {  /* it follows its areas on and off the map, drawn after them */
      gj.on("add", function () { inner.addTo(map); });
      gj.on("remove", function () { map.removeLayer(inner); });
    }
    if (spec.avoid && labeller) { labeller.avoidLines(spec, group); }
    [gj, inner].forEach(function (g) {
      if (!spec.temporal || g === null) { return; }
      var items = [];
      g.eachLayer(function (layer) {
        var p = (layer.feature && layer.feature.properties) || {};
        items.push({ layer: layer, m0: p.m0, m1: p.m1 });
      });
      temporal.push({ group: g, items: items });
    });
    if (spec.key === "units") { group.on("add", function () { hatchNoData(map, gj); }); }
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
      var cm = L.circleMarker([spec.lat[i], spec.lon[i]], extend(spec.style, {
        renderer: renderer, pane: pane, radius: spec.radius || 5, fillColor: safeColor(colors[c])
      }));
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
      var cm = L.circleMarker([spec.lat[i], spec.lon[i]], extend(spec.style, {
        renderer: renderer, pane: pane, radius: spec.r[i]
      }));
      (function (text) {
        cm.bindTooltip(function () { return textNode(text, "bw-tip", data.dir); }, { sticky: true });
      })(fmt(spec.tip, { n: spec.n[i] }));
      group.addLayer(cm);
    }
    return group;
  }

  /* Towns of the offline gazetteer (largest first): a dot and a name each, as many as
     fit without overlapping each other, a label or a panel, at most spec.maxShown;
     placed again after every change of view. */
  function makeTowns(map, spec, data, labeller) {
    var pane = ensurePane(map, "bwTowns", 452);
    var group = L.layerGroup();
    function townNode(name) {
      var box = el("div", "bw-town-box");
      box.setAttribute("dir", data.dir);
      el("span", "bw-town-dot", null, box);
      el("bdi", "bw-town-name", name, box);
      return box;
    }
    function refresh() {
      group.clearLayers();
      if (!map.hasLayer(group)) { return; }
      var container = map.getContainer(), origin = container.getBoundingClientRect(), size = map.getSize();
      var taken = panelRects(container).concat(labeller.placed());
      var shown = 0, max = +spec.maxShown || 40;
      for (var i = 0; i < spec.names.length && shown < max; i++) {
        var pt = map.latLngToContainerPoint([spec.lat[i], spec.lon[i]]);
        if (pt.x < 4 || pt.y < 4 || pt.x > size.x - 4 || pt.y > size.y - 4) { continue; }
        var m = L.marker([spec.lat[i], spec.lon[i]], {
          pane: pane, interactive: false, keyboard: false,
          icon: L.divIcon({ className: "bw-town", html: townNode(spec.names[i]), iconSize: null, iconAnchor: [0, 0] })
        }).addTo(group);
        var node = m.getElement();
        var r = relative(node.firstChild.getBoundingClientRect(), origin);
        var clash = r.left < 0 || r.right > size.x || r.top < 0 || r.bottom > size.y;
        for (var j = 0; j < taken.length && !clash; j++) { clash = overlaps(r, taken[j], 4); }
        if (clash) { group.removeLayer(m); continue; }
        taken.push(r);
        shown += 1;
      }
    }
    group.refresh = refresh;
    return group;
  }

  /* The legend explains the layers that are on the map: a section or item whose
     layer is switched off in the layer control is hidden with it. */
  function makeLegend(map, data, layers, onChange, collapsed) {
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
        var box = el("div", "bw-ui bw-legend leaflet-control" + (collapsed ? " bw-collapsed" : ""));
        box.setAttribute("dir", data.dir);
        var h = el("h2", null, null, box);
        var button = el("button", "bw-fold", data.t["legend.title"], h);
        button.type = "button";
        var body = el("div", "bw-body", null, box);
        body.id = "bw-legend-body-" + String(Math.floor(Math.random() * 1e9));
        button.setAttribute("aria-controls", body.id);
        function label() {
          var folded = box.classList.contains("bw-collapsed");
          button.setAttribute("aria-expanded", folded ? "false" : "true");
          button.title = data.t[folded ? "ui.legend_show" : "ui.legend_hide"];
        }
        label();
        button.addEventListener("click", function () {
          box.classList.toggle("bw-collapsed");
          label();
          if (onChange) { onChange(); }
        });
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
              sw.style.background = "linear-gradient(to right," + safeColor(it.c, "") + "," +
                safeColor(it.c2, "") + ")";
              el("span", null, it.hi, row);
              return;
            }
            if (it.k === "line") {
              sw = el("span", "bw-sw bw-sw-line", null, row);
              sw.style.borderTopColor = safeColor(it.c, "");
              sw.style.borderTopWidth = String(Math.min(+it.w || 3, 10)) + "px";
              if (it.dash) { sw.style.borderTopStyle = "dashed"; }
            } else if (it.k === "outline") {
              sw = el("span", "bw-sw", null, row);
              sw.style.borderColor = safeColor(it.c, "");
              sw.style.borderWidth = "3px";
              if (it.dash) { sw.style.borderStyle = "dashed"; }
              sw.style.background = "transparent";
            } else if (it.k === "marker") {
              sw = el("span", "bw-sw bw-sw-marker", null, row);
              sw.style.background = safeColor(it.c, "");
            } else if (it.k === "point") {
              sw = el("span", "bw-sw bw-sw-point", null, row);
              sw.style.background = safeColor(it.c, "");
            } else if (it.k === "double") {  /* a cross-border area's double outline */
              sw = el("span", "bw-sw bw-sw-double", null, row);
              sw.style.borderColor = safeColor(it.c, "");
            } else if (it.k === "hatch") {  /* no data */
              sw = el("span", "bw-sw bw-sw-hatch", null, row);
            } else if (it.k === "town") {
              sw = el("span", "bw-sw bw-sw-town", null, row);
            } else {
              sw = el("span", "bw-sw", null, row);
              sw.style.background = safeColor(it.c, "");
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
        el("span", "bw-time-label", data.t["time.label"], box);
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

  /* Leaflet's own controls in the map's language: zoom tooltips, the layer
     control's toggle, popups' close buttons, and the scale bar's units. */
  function translateControls(map, data) {
    var t = data.t;
    var zoom = map.zoomControl && map.zoomControl.getContainer();
    if (zoom) {
      [[".leaflet-control-zoom-in", "ui.zoom_in"], [".leaflet-control-zoom-out", "ui.zoom_out"]].forEach(function (x) {
        var b = zoom.querySelector(x[0]);
        if (b) { b.title = t[x[1]]; b.setAttribute("aria-label", t[x[1]]); }
      });
    }
    var ctl = map._bwLayerControl && map._bwLayerControl.getContainer();
    var toggle = ctl && ctl.querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.title = t["ui.layers"]; toggle.setAttribute("aria-label", t["ui.layers"]); }
    map.on("popupopen", function (e) {
      var close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.title = t["ui.close"]; close.setAttribute("aria-label", t["ui.close"]); }
    });
  }
  var Scale = L.Control.Scale.extend({
    _updateMetric: function (maxMeters) {
      var meters = this._getRoundNum(maxMeters);
      var km = meters >= 1000;
      var label = (km ? meters / 1000 : meters) + "\u00a0" + this.options.units[km ? 1 : 0];
      this._updateScale(this._mScale, label, meters / maxMeters);
    }
  });

  /* Small screens (phones) start with the legend and the layer list folded; the layer
     list also on screens under 1000 x 900 (a 1280 x 720 projector). */
  function isSmall(container) { return container.clientWidth < 700 || container.clientHeight < 500; }
  function foldLayers(container) { return container.clientWidth < 1000 || container.clientHeight < 900; }
  /* The share of the map that the panels (title, legend, controls) cover. */
  function coverage(container) {
    var o = container.getBoundingClientRect(), rects = panelRects(container), hit = 0, n = 0;
    for (var x = 4; x < o.width; x += 8) {
      for (var y = 4; y < o.height; y += 8) {
        n += 1;
        for (var i = 0; i < rects.length; i++) {
          var r = rects[i];
          if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) { hit += 1; break; }
        }
      }
    }
    return n ? hit / n : 0;
  }

  /* The priorities' side panel: folded at first (a button); unfolded, it lists each area's
     number, label and reason, best first; a click zooms to the area. */
  function makePanel(map, data) {
    var Panel = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "bw-ui bw-panel bw-collapsed leaflet-control");
        box.setAttribute("dir", data.dir);
        var button = el("button", "bw-fold", data.panel.title, el("h2", null, null, box));
        button.type = "button";
        button.title = data.t["panel.show"];
        button.setAttribute("aria-expanded", "false");
        var list = el("ol", "bw-body", null, box);
        data.panel.items.forEach(function (it) {
          var li = el("li", "bw-prio", null, list);
          li.value = +it.no || 0;
          el("bdi", "bw-prio-label", it.label, li);
          if (it.reason) { el("bdi", "bw-prio-reason", it.reason, li); }
          li.addEventListener("click", function () {
            if (it.b) { map.fitBounds(it.b, { maxZoom: 11, padding: [20, 20] }); }
          });
        });
        button.addEventListener("click", function () {
          var folded = box.classList.toggle("bw-collapsed");
          button.setAttribute("aria-expanded", folded ? "false" : "true");
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Panel();
  }

  /* Projector mode (?present in the URL, or the button): large type, high contrast,
     panels folded, and one labelled area at a time ("Next" steps through them). */
  function makePresenter(map, data, labeller, relabel) {
    var container = map.getContainer();
    var bar = null, step = -1;
    function on() { return container.classList.contains("bw-present"); }
    function show(it) {
      labeller.focus(it ? it.layer : null);
      if (it && it.layer.getBounds) {
        map.fitBounds(it.layer.getBounds().pad(1.5), { animate: false, maxZoom: 11 });
      }
      relabel();
    }
    function enter() {
      container.classList.add("bw-present");
      container.querySelectorAll(".bw-legend").forEach(function (l) { l.classList.add("bw-collapsed"); });
      if (map._bwLayerControl) { map._bwLayerControl.collapse(); }
      bar.classList.add("bw-on");
      step = -1;
      relabel();
    }
    function leave() {
      container.classList.remove("bw-present");
      bar.classList.remove("bw-on");
      step = -1;
      labeller.focus(null);
      if (data.fit && data.bounds) { fit(map, data); }
      relabel();
    }
    bar = el("div", "bw-ui bw-present-bar", null, container);
    bar.setAttribute("dir", data.dir);
    var next = el("button", "bw-next", data.t["ui.next"], bar);
    next.type = "button";
    var exit = el("button", "bw-exit", data.t["ui.present_exit"], bar);
    exit.type = "button";
    next.addEventListener("click", function () {
      var seq = labeller.sequence();
      if (!seq.length) { return; }
      step = (step + 1) % (seq.length + 1);
      show(step === seq.length ? null : seq[step]);
      if (step === seq.length && data.fit && data.bounds) { fit(map, data); }
    });
    exit.addEventListener("click", leave);
    L.DomEvent.disableClickPropagation(bar);
    var Button = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var b = el("button", "bw-ui bw-present-button leaflet-control", data.t["ui.present"]);
        b.type = "button";
        b.title = data.t["ui.present"];
        b.addEventListener("click", function () { if (on()) { leave(); } else { enter(); } });
        L.DomEvent.disableClickPropagation(b);
        return b;
      }
    });
    new Button().addTo(map);
    return { enter: enter, leave: leave, next: function () { next.click(); }, active: on };
  }

  /* The view fits the study area and its areas, clear of the title and the bottom controls. */
  function fit(map, data) {
    var container = map.getContainer(), o = container.getBoundingClientRect();
    var top = 16, bottom = 16;
    if (data.panel && data.panel.items && data.panel.items.length && !map._bwPanel) {
      map._bwPanel = makePanel(map, data).addTo(map);
    }

    var title = container.querySelector(".bw-title");
    if (title) { top = Math.max(top, title.getBoundingClientRect().bottom - o.top + 8); }
    container.querySelectorAll(".leaflet-bottom .leaflet-control").forEach(function (c) {
      var r = c.getBoundingClientRect();
      if (r.width > 0 && r.width < o.width * 0.6) { bottom = Math.max(bottom, o.bottom - r.top + 4); }
    });
    var right = 12;
    var legend = container.querySelector(".bw-legend:not(.bw-collapsed)");
    if (legend) {  /* an open legend: keep the data out from under it */
      var lr = legend.getBoundingClientRect();
      if (lr.height > o.height * 0.3) { right = Math.max(right, o.right - lr.left + 6); }
    }
    if (container.clientHeight - top - bottom < container.clientHeight * 0.45) { top = 16; bottom = 16; }
    if (container.clientWidth - right < container.clientWidth * 0.55) { right = 12; }  /* never squeeze it away */
    map.fitBounds(data.bounds, { paddingTopLeft: [12, top], paddingBottomRight: [right, bottom], animate: false });
  }

  function draw(map, dataId) {
    var node = document.getElementById(dataId);
    var data = JSON.parse(node.textContent);
    var container = map.getContainer();
    container.classList.add("bw-map");
    container.style.setProperty("--bw-scale", String(+data.fontScale || 1));
    setPalette(container, data.palette);
    var root = document.documentElement;
    if (!root.getAttribute("lang")) { root.setAttribute("lang", data.lang); }
    if (!root.getAttribute("dir")) { root.setAttribute("dir", data.dir); }
    var small = isSmall(container);
    container.classList.toggle("bw-small", small);

    var temporal = [];
    var layers = {};
    var overlays = [];
    var labeller = makeLabeller(map, data);
    var towns = null;
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
        else if (spec.type === "towns") { layer = towns = makeTowns(map, spec, data, labeller); }
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
    function relabel() {
      labeller.update();
      if (towns) { towns.refresh(); }
    }

    var ctl = map._bwLayerControl;
    if (!ctl) {
      ctl = L.control.layers(null, null, { collapsed: small || foldLayers(container), position: "topright" }).addTo(map);
      map._bwLayerControl = ctl;
      ctl.getContainer().setAttribute("dir", data.dir);
      new Scale({ imperial: false, maxWidth: small ? 120 : 220, position: "bottomleft",
                  units: [data.t["unit.m"], data.t["unit.km"]] }).addTo(map);
    }
    overlays.forEach(function (o) { ctl.addOverlay(o[1], esc(o[0])); });
    translateControls(map, data);

    var legend = null;
    if (data.legend && data.legend.length) {
      legend = makeLegend(map, data, layers, relabel, small);
      legend.addTo(map);
      legend.refresh();
      fitLegend(map, legend);
    }

    var title = container.querySelector(".bw-title");
    if (title) { title.parentNode.removeChild(title); }
    title = el("div", "bw-ui bw-title" + (data.view === "internal" ? " bw-internal" : ""), null, container);
    title.setAttribute("dir", data.dir);
    el("bdi", null, data.title, el("h1", null, null, title));
    var details = el("div", "bw-details", null, title);
    data.lines.forEach(function (line) {
      el("bdi", null, line.text, el("div", "bw-line" + (line.warn ? " bw-warn" : ""), null, details));
    });
    L.DomEvent.disableClickPropagation(title);
    L.DomEvent.disableScrollPropagation(title);
    function underTitle() {  /* on a phone the title spans the top: the controls go below it */
      var top = small ? String(title.offsetHeight + 8) + "px" : "";
      container.querySelectorAll(".leaflet-top").forEach(function (e) { e.style.top = top; });
    }
    underTitle();

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
      relabel();
    }
    if (data.months.length && temporal.length) { makeTime(map, data, setMonth).addTo(map); }
    var presenter = makePresenter(map, data, labeller, relabel);
    /* at first, the panels cover at most data.maxCover of the map: fold the legend if needed */
    if (legend && coverage(container) > (+data.maxCover || 0.3) - 0.02) {  /* a margin for rounding */
      legend.getContainer().classList.add("bw-collapsed");
      legend.getContainer().querySelector(".bw-fold").setAttribute("aria-expanded", "false");
    }

    map.on("overlayadd overlayremove", function () {
      if (legend) { legend.refresh(); }
      relabel();
    });
    map.on("moveend", relabel);
    map.on("resize", function () { underTitle(); fitLegend(map, legend); relabel(); });

    if (data.fit && data.bounds) { fit(map, data); }
    if (/[?&]present(=|&|$)/.test(window.location.search)) { presenter.enter(); }
    relabel();
    var entry = { map: map, layers: layers, setMonth: setMonth, months: data.months, data: dataId,
                  labels: labeller, present: presenter, small: small };
    window.__borderwatch.push(entry);
    return entry;
  }

  window.borderwatch = { draw: draw, version: 1 };
})();
