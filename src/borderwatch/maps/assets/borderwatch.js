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

  /* Region labels, by the rules of borderwatch/maps/_labels.py, which also give each
     candidate its priority and text and the places to try (data.labelSides).
     Candidates (features with an "lr" priority) are bound as permanent tooltips;
     after every change of view, month or layers, update() walks them in priority
     order (hotspots before clusters, cross-border first) and shows at most
     data.maxLabels, each at the first place next to its region where it stays
     inside the map and overlaps no label shown before it, no panel (title, legend,
     controls) and no border line. A cross-border region that fits only over the
     border is labelled where it hides the least of it, if no more than
     data.labelMaxCover label heights (crossing the border, not running along it).
     Hidden labels appear while the pointer is over their region; every region
     also has its text in its popup. */
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
    var sides = data.labelSides || [];
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
    /* side: {ax, ay} the anchor as a fraction of the region's box (west/south = 0),
       {dx, dy} the direction the label extends from it (dy = 1: up). */
    function place(it, side, node) {
      var layer = it.layer, tip = layer.getTooltip();
      var ll, b = layer.getBounds ? layer.getBounds() : null;
      var r = b ? 0 : (layer.options.radius || 0) + 2;
      if (b) {
        var s = b.getSouth(), w = b.getWest();
        ll = [s + side.ay * (b.getNorth() - s), w + side.ax * (b.getEast() - w)];
      } else {
        ll = layer.getLatLng();
      }
      /* Leaflet centres "left"/"right" tooltips vertically: a corner moves up or down */
      var h = (node && side.dx !== 0) ? node.offsetHeight / 2 + 3 : 0;
      tip.options.direction = side.dx > 0 ? "right" : side.dx < 0 ? "left" : side.dy > 0 ? "top" : "bottom";
      tip.options.offset = [side.dx * r, -side.dy * (r + h)];
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
        for (var i = 0; shown < max && i < sides.length && chosen === null; i++) {
          place(it, sides[i], node);
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
              fallback = sides[i]; fallbackRect = r; fallbackCover = cover;
            }
            continue;
          }
          chosen = sides[i]; rect = r;
        }
        if (chosen === null && fallback !== null) { chosen = fallback; rect = fallbackRect; }
        if (chosen !== null) {
          place(it, chosen, node);
          taken.push(rect);
          shown += 1;
          node.classList.remove("bw-label-off");
        } else {
          if (sides.length) { place(it, sides[0], node); }
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
          layer.bindTooltip(function () { return labelNode(p.ll || [p.lbl], data.dir); }, {
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
      haloStyle.color = safeColor(spec.halo.color, base.color);
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
    setPalette(container, data.palette);
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
