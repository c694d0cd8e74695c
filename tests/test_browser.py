"""Saved maps in real headless Chromium with every network request blocked.

One browser per session (``_browser.browser``); each map is opened once per
module and shared by the tests that inspect it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import folium
import pytest

from _browser import (
    HOSTILE,
    PageRun,
    all_layers,
    crowded_layers,
    incidents,
    liptako_units,
)
from borderwatch._errors import BorderwatchWarning
from borderwatch.maps import Layers, make_map, save_map

pytestmark = pytest.mark.browser

TITLE = HOSTILE["script"]


def build(path: Path, **kwargs: Any) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return save_map(make_map(**kwargs), path)


@pytest.fixture(scope="module")
def pages(browser, tmp_path_factory) -> Any:  # noqa: F811 - pytest fixture injection
    out = tmp_path_factory.mktemp("maps")
    hostile = all_layers(hostile=True)
    files = {
        "public": build(
            out / "public.html",
            layers=Layers(**hostile),
            title=TITLE,
            source=HOSTILE["img"],
            synthetic=True,
        ),
        "internal": build(
            out / "internal.html", layers=Layers(**hostile), view="internal", title=TITLE
        ),
        "ar": build(out / "ar.html", layers=Layers(**hostile), lang="ar", synthetic=True),
        "clustered": build(
            out / "clustered.html",
            layers=Layers(units=liptako_units(), incidents=incidents(4000)),
            view="internal",
            lang="fr",
        ),
        "crowded": build(out / "crowded.html", layers=Layers(**crowded_layers()), synthetic=True),
        "crowded_ar": build(
            out / "crowded_ar.html", layers=Layers(**crowded_layers()), synthetic=True, lang="ar"
        ),
    }
    opened: dict[str, PageRun] = {}

    def get(name: str) -> PageRun:
        if name not in opened:
            opened[name] = PageRun(browser, files[name])
        return opened[name]

    yield get
    for run in opened.values():
        run.close()


OPEN_ALL_POPUPS = """
(key) => {
  const entry = window.__borderwatch[0];
  const group = entry.layers[key];
  const texts = [];
  let injected = 0;
  group.eachLayer((layer) => {
    layer.openPopup();
    const popup = layer.getPopup();
    const node = popup && popup.getElement() ? popup.getElement().querySelector('.leaflet-popup-content') : null;
    texts.push(node ? node.textContent : null);
    injected += node ? node.querySelectorAll('img, script, svg, iframe').length : 0;
    layer.closePopup();
  });
  return {texts, injected, pwned: window.__pwned === undefined ? null : String(window.__pwned)};
}
"""

OPEN_ALL_TOOLTIPS = """
(key) => {
  const group = window.__borderwatch[0].layers[key];
  const texts = [];
  group.eachLayer((layer) => {
    layer.openTooltip();
    const tip = layer.getTooltip && layer.getTooltip();
    texts.push(tip && tip.getElement() ? tip.getElement().textContent : null);
    if (!tip.options.permanent) { layer.closeTooltip(); }
  });
  return texts;
}
"""


def count(run: PageRun, selector: str) -> int:
    return run.page.evaluate("(s) => document.querySelectorAll(s).length", selector)


def set_legend(run: PageRun, *, open_: bool) -> bool:
    """Open or fold the legend with its button; returns whether it was open before."""
    was_open = run.page.evaluate(
        "!document.querySelector('.bw-legend').classList.contains('bw-collapsed')"
    )
    if was_open != open_:
        run.page.locator(".bw-legend .bw-fold").click()
    return was_open


@pytest.mark.parametrize("name", ["public", "internal", "ar", "clustered"])
def test_map_loads_offline_without_errors(pages, name) -> None:
    run = pages(name)
    assert run.requests == []
    assert run.console_errors == []
    assert run.page_errors == []
    assert run.dialogs == []
    assert run.page.evaluate("typeof window.L") == "object"
    assert run.page.evaluate("L.version") == "1.9.3"
    assert run.page.evaluate("window.__pwned") is None
    assert run.page.evaluate("window.__alerts.length") == 0
    assert count(run, ".leaflet-control-scale-line") == 1


def test_public_map_draws_the_expected_layers(pages) -> None:
    run = pages("public")
    assert count(run, ".leaflet-bwUnits-pane path.leaflet-interactive") == 62
    assert count(run, ".leaflet-bwCells-pane path.leaflet-interactive") == 11
    assert (
        count(run, ".leaflet-bwRegions-pane path.leaflet-interactive") == 2
    )  # clusters start hidden
    assert count(run, ".leaflet-bwBorder-pane path.leaflet-interactive") == 3
    assert count(run, ".leaflet-bwBorder-pane path") == 6  # halo + line
    assert count(run, ".leaflet-bwZone-pane path") == 1
    assert count(run, ".bw-meeting-icon") == 5
    assert count(run, ".leaflet-bwPoints-pane canvas") == 0  # no incident points in public
    assert run.page.evaluate("window.__borderwatch[0].layers.incidents === undefined")
    assert count(run, ".leaflet-control-layers-overlays label") == 9  # and the towns
    assert count(run, "img.leaflet-image-layer") == 0  # the density starts hidden
    toggle = run.page.locator(".leaflet-control-layers-overlays label", has_text="Incident density")
    toggle.click()
    assert count(run, "img.leaflet-image-layer") == 1
    src = run.page.evaluate("document.querySelector('img.leaflet-image-layer').src")
    assert src.startswith("data:image/png;base64,")
    toggle.click()
    assert count(run, "img.leaflet-image-layer") == 0


def test_internal_map_draws_incidents_on_canvas(pages) -> None:
    run = pages("internal")
    assert count(run, ".leaflet-bwPoints-pane canvas") == 1
    assert run.page.evaluate("window.__borderwatch[0].layers.incidents.getLayers().length") == 200


@pytest.mark.parametrize("key", ["units", "cells", "hotspots", "meetings"])
def test_popups_with_hostile_strings_run_nothing(pages, key) -> None:
    run = pages("public")
    got = run.page.evaluate(OPEN_ALL_POPUPS, key)
    assert got["pwned"] is None and got["injected"] == 0
    assert run.page.evaluate("window.__alerts.length") == 0 and run.dialogs == []
    texts = got["texts"]
    assert all(t for t in texts)
    joined = "\n".join(texts)
    if key == "units":
        for value in HOSTILE.values():  # every hostile unit name, literally
            assert value in joined, value
        assert "<5" in texts[0]
    elif key == "meetings":
        for value in (HOSTILE["img"], HOSTILE["script"], HOSTILE["quote"], HOSTILE["arabic"]):
            assert value in joined
        assert HOSTILE["template"] in joined and HOSTILE["backslash"] in joined
    elif key == "cells":
        assert HOSTILE["js"] in joined  # the trend text
    elif key == "hotspots":  # the data's own id, and a unit's name
        assert HOSTILE["img"] in texts[1] and "<5" in texts[1]
    assert run.requests == [] and run.console_errors == [] and run.page_errors == []


def test_tooltips_and_labels_show_hostile_strings_literally(pages) -> None:
    run = pages("public")
    tips = run.page.evaluate(OPEN_ALL_TOOLTIPS, "units")
    joined = "\n".join(t for t in tips if t)
    for value in HOSTILE.values():
        assert value in joined
    labels = run.page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-tooltip.bw-label')).map(e => e.textContent)"
    )
    assert "Cross-border hotspot 1: Méhana 134 incidents · Mali–Niger" in labels
    # the unit the region covers most, named with an <img> tag, shows literally
    assert f"Hotspot 2: near I-n-Tillit <5 incidents · {HOSTILE['img']}, Gao" in labels
    assert run.page.evaluate("document.querySelector('.bw-title h1').textContent") == TITLE
    lines = run.page.evaluate("document.querySelector('.bw-title').textContent")
    assert f"Source: {HOSTILE['img']}" in lines
    assert count(run, ".bw-title img, .bw-title script, .leaflet-tooltip img, .bw-legend img") == 0
    assert run.page.evaluate("window.__pwned") is None
    assert run.page.evaluate("document.title") == TITLE + " – SYNTHETIC"


def test_incident_popups_in_the_internal_view(pages) -> None:
    run = pages("internal")
    text = run.page.evaluate(
        """() => {
        const group = window.__borderwatch[0].layers.incidents;
        const first = group.getLayers().find((l) => l._bwIndex === 0);
        group.fire('click', {layer: first, latlng: first.getLatLng()});
        const popups = document.querySelectorAll('.leaflet-popup-content');
        return popups[popups.length - 1].textContent;
    }"""
    )
    for value in (HOSTILE["js"], HOSTILE["img"], HOSTILE["template"]):
        assert value in text
    assert run.page.evaluate("window.__pwned") is None
    assert count(run, ".leaflet-popup-content img") == 0


def test_time_slider_filters_by_month(pages) -> None:
    run = pages("public")
    slider = run.page.locator(".bw-time input[type=range]")
    months = run.page.evaluate("window.__borderwatch[0].months")
    assert months[0] == "2023-01" and months[-1] == "2023-12"
    april = months.index("2023-04") + 1
    slider.fill(str(april))
    run.page.wait_for_timeout(300)
    assert run.page.evaluate("document.querySelector('.bw-month').textContent") == "April 2023"
    assert count(run, ".bw-meeting-icon") == 2  # 2 April and 20 April
    assert (
        count(run, ".leaflet-bwRegions-pane path.leaflet-interactive") == 1
    )  # Feb-Sep, not Jun-Jul
    slider.fill("0")
    run.page.wait_for_timeout(300)
    assert run.page.evaluate("document.querySelector('.bw-month').textContent") == "All months"
    assert count(run, ".bw-meeting-icon") == 5
    assert count(run, ".leaflet-bwRegions-pane path.leaflet-interactive") == 2
    assert run.console_errors == [] and run.page_errors == []


def test_time_filter_on_incidents(pages) -> None:
    run = pages("internal")
    layers = all_layers(hostile=True)
    expected = int((layers["incidents"]["date"].dt.month == 4).sum())
    n = run.page.evaluate(
        """() => { const e = window.__borderwatch[0]; e.setMonth(e.months.indexOf('2023-04'));
                   const n = e.layers.incidents.getLayers().length; e.setMonth(-1); return n; }"""
    )
    assert n == expected
    assert run.page.evaluate("window.__borderwatch[0].layers.incidents.getLayers().length") == 200


def test_arabic_is_right_to_left(pages) -> None:
    run = pages("ar")
    assert run.page.evaluate("document.documentElement.getAttribute('dir')") == "rtl"
    assert run.page.evaluate("document.documentElement.getAttribute('lang')") == "ar"
    for selector in (".bw-title", ".bw-legend", ".bw-time", ".leaflet-control-layers"):
        assert (
            run.page.evaluate(
                "(s) => getComputedStyle(document.querySelector(s)).direction", selector
            )
            == "rtl"
        )
    got = run.page.evaluate(OPEN_ALL_POPUPS, "meetings")
    assert got["pwned"] is None and got["injected"] == 0
    popup_dir = run.page.evaluate(
        """() => { const l = window.__borderwatch[0].layers.meetings.getLayers()[0]; l.openPopup();
                   const d = document.querySelector('.bw-popup').getAttribute('dir'); l.closePopup(); return d; }"""
    )
    assert popup_dir == "rtl"
    assert "مالي–النيجر" in run.page.evaluate(
        "Array.from(document.querySelectorAll('.bw-label')).map(e => e.textContent).join('|')"
    )
    assert run.page.evaluate("document.querySelector('.bw-watermark span').textContent").startswith(
        "SYNTHETIC"
    )


def test_clustered_incidents(pages) -> None:
    run = pages("clustered")
    assert run.page.evaluate("typeof L.MarkerClusterGroup") == "function"
    assert count(run, ".marker-cluster") > 0
    assert run.page.evaluate("window.__borderwatch[0].layers.incidents.getLayers().length") == 4000
    assert run.page.evaluate("document.querySelector('.bw-month').textContent") == "Tous les mois"
    assert run.requests == [] and run.page_errors == []


@pytest.mark.parametrize("name", ["public", "ar"])
def test_screenshot(pages, name, tmp_path) -> None:
    run = pages(name)
    png = run.page.screenshot(path=str(tmp_path / f"{name}.png"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 40_000
    assert count(run, ".bw-watermark") == 1


def test_a_plain_folium_map_made_offline(browser, tmp_path) -> None:  # noqa: F811
    from folium.plugins import MarkerCluster

    m = folium.Map(
        location=[14, 1], zoom_start=5, tiles=None, maxZoom=18
    )  # markercluster needs one
    cluster = MarkerCluster().add_to(m)
    for i in range(30):
        folium.CircleMarker([14 + i * 0.01, 1 + i * 0.01], radius=4).add_to(cluster)
    path = save_map(m, tmp_path / "plain.html")
    requests: list[str] = []
    errors: list[str] = []
    context = browser.new_context()
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_selector(".marker-cluster")
    assert requests == [] and errors == []
    assert page.evaluate("typeof L.MarkerClusterGroup") == "function"
    context.close()


# ---------------------------------------------------------------------------
# the border drawn whole, and labels that do not pile up


BORDER_ON_SCREEN = """
() => {
  const e = window.__borderwatch[0], map = e.map;
  const o = map.getContainer().getBoundingClientRect();
  const spec = JSON.parse(document.getElementById(e.data).textContent)
    .layers.find((l) => l.key === 'border');
  const expected = spec.fc.features.map((f) => {
    const g = f.geometry;
    const lines = g.type === 'LineString' ? [g.coordinates] : g.coordinates;
    let len = 0;
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    lines.forEach((line) => {
      let prev = null;
      line.forEach((c) => {
        const p = map.latLngToContainerPoint([c[1], c[0]]);
        box[0] = Math.min(box[0], p.x); box[1] = Math.min(box[1], p.y);
        box[2] = Math.max(box[2], p.x); box[3] = Math.max(box[3], p.y);
        if (prev) { len += prev.distanceTo(p); }
        prev = p;
      });
    });
    return { len, box };
  });
  const drawn = Array.from(
    document.querySelectorAll('.leaflet-bwBorder-pane path.leaflet-interactive')
  ).map((p) => {
    const r = p.getBoundingClientRect();
    return { len: p.getTotalLength(), box: [r.left - o.left, r.top - o.top, r.right - o.left, r.bottom - o.top] };
  });
  /* every 4 px along the drawn border: is it under a visible label or a panel? */
  const covers = Array.from(document.querySelectorAll('.leaflet-tooltip, .leaflet-control, .bw-title'))
    .filter((x) => getComputedStyle(x).visibility === 'visible')
    .map((x) => x.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  let samples = 0, covered = 0;
  document.querySelectorAll('.leaflet-bwBorder-pane path.leaflet-interactive').forEach((p) => {
    const m = p.getScreenCTM(), total = p.getTotalLength();
    for (let s = 0; s <= total; s += 4) {
      const q = p.getPointAtLength(s);
      const x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
      if (x < o.left || x > o.right || y < o.top || y > o.bottom) { continue; }
      samples += 1;
      if (covers.some((r) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom)) { covered += 1; }
    }
  });
  /* border length under each visible region label, in px */
  const segs = [];
  spec.fc.features.forEach((f) => {
    const g = f.geometry;
    (g.type === 'LineString' ? [g.coordinates] : g.coordinates).forEach((line) => {
      let prev = null;
      line.forEach((c) => {
        const p = map.latLngToContainerPoint([c[1], c[0]]);
        if (prev) { segs.push([prev.x, prev.y, p.x, p.y]); }
        prev = p;
      });
    });
  });
  const clip = (x0, y0, x1, y1, r) => {
    let t0 = 0, t1 = 1;
    const dx = x1 - x0, dy = y1 - y0;
    const p = [-dx, dx, -dy, dy], q = [x0 - r[0], r[2] - x0, y0 - r[1], r[3] - y0];
    for (let i = 0; i < 4; i++) {
      if (p[i] === 0) { if (q[i] < 0) { return 0; } continue; }
      const t = q[i] / p[i];
      if (p[i] < 0) { if (t > t1) { return 0; } t0 = Math.max(t0, t); }
      else { if (t < t0) { return 0; } t1 = Math.min(t1, t); }
    }
    return (t1 - t0) * Math.hypot(dx, dy);
  };
  const labels = [];
  ['hotspots', 'clusters'].forEach((key) => {
    if (!e.layers[key]) { return; }
    e.layers[key].eachLayer((layer) => {
      const tip = layer.getTooltip(), node = tip && tip.getElement();
      if (!node || !node.isConnected || getComputedStyle(node).visibility !== 'visible') { return; }
      const b = node.getBoundingClientRect();
      const r = [b.left - o.left, b.top - o.top, b.right - o.left, b.bottom - o.top];
      let cover = 0;
      segs.forEach((s) => { cover += clip(s[0], s[1], s[2], s[3], r); });
      labels.push({ text: node.textContent, cross: layer.feature.properties.lx === true, cover,
                    height: r[3] - r[1] });
    });
  });
  const z = (name) => +getComputedStyle(document.querySelector('.leaflet-' + name + '-pane')).zIndex;
  return { expected, drawn, samples, covered, labels,
           z: { border: z('bwBorder'), regions: z('bwRegions'), cells: z('bwCells'), units: z('bwUnits'),
                zone: z('bwZone') } };
}
"""

VISIBLE_LABELS = """
() => {
  const o = window.__borderwatch[0].map.getContainer().getBoundingClientRect();
  const rect = (x) => { const r = x.getBoundingClientRect(); return [r.left - o.left, r.top - o.top, r.right - o.left, r.bottom - o.top]; };
  const shown = Array.from(document.querySelectorAll('.leaflet-tooltip.bw-label'))
    .filter((x) => getComputedStyle(x).visibility === 'visible');
  const panels = Array.from(document.querySelectorAll('.leaflet-control, .bw-title')).map(rect);
  return { texts: shown.map((x) => x.textContent), rects: shown.map(rect), panels,
           size: [o.width, o.height] };
}
"""

HOVER_EVERY_REGION = """
(key) => {
  const group = window.__borderwatch[0].layers[key];
  const out = [];
  group.eachLayer((layer) => {
    const at = layer.getBounds().getCenter();
    layer.fire('mouseover', { latlng: at });
    const tip = layer.getTooltip();
    const node = tip && tip.getElement();
    out.push({ lbl: layer.feature.properties.lbl, text: node && node.isConnected ? node.textContent : null,
               visible: !!(node && node.isConnected && getComputedStyle(node).visibility === 'visible') });
    layer.fire('mouseout', { latlng: at });
  });
  return out;
}
"""

LABEL_DISTANCE = """
(key) => {
  /* for each visible label: the gap in px to the screen box of its region, and its
     leader line (from a point of the region's box to a point of the label's box) */
  const e = window.__borderwatch[0], map = e.map, o = map.getContainer().getBoundingClientRect();
  const shown = e.labels.shown();
  const out = [];
  e.layers[key].eachLayer((layer) => {
    const tip = layer.getTooltip(), node = tip && tip.getElement();
    if (!node || !node.isConnected || getComputedStyle(node).visibility !== 'visible') { return; }
    const b = layer.getBounds();
    const nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
    const r = node.getBoundingClientRect();
    const box = [r.left - o.left, r.top - o.top, r.right - o.left, r.bottom - o.top];
    const dx = Math.max(0, nw.x - box[2], box[0] - se.x);
    const dy = Math.max(0, nw.y - box[3], box[1] - se.y);
    const info = shown.find((s) => s.layer === layer);
    const lead = info && info.leader;
    const off = (p, q) => Math.hypot(Math.max(0, q[0] - p[0], p[0] - q[2]), Math.max(0, q[1] - p[1], p[1] - q[3]));
    out.push({ gap: Math.hypot(dx, dy), leader: !!lead,
               fromRegion: lead ? off(lead[0], [nw.x, nw.y, se.x, se.y]) : null,
               toLabel: lead ? off(lead[1], box) : null });
  });
  return { labels: out, leaders: document.querySelectorAll('path.bw-leader').length };
}
"""


# a block body: setZoom returns the map, which playwright would serialize (5 s of objects)
SET_ZOOM = "(z) => { window.__borderwatch[0].map.setZoom(z, {animate: false}); }"


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_labels(run: PageRun) -> dict[str, Any]:
    got = run.page.evaluate(VISIBLE_LABELS)
    rects = got["rects"]
    assert 1 <= len(rects) <= 6, got["texts"]
    width, height = got["size"]
    for i, a in enumerate(rects):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= width and a[3] <= height, got["texts"][i]
        for b in rects[i + 1 :]:
            assert not _overlap(a, b), got["texts"]
        for panel in got["panels"]:
            assert not _overlap(a, panel), got["texts"][i]
    return got


@pytest.mark.parametrize("name", ["crowded", "crowded_ar", "public"])
def test_the_border_is_drawn_whole_and_not_hidden(pages, name) -> None:
    run = pages(name)
    got = run.page.evaluate(BORDER_ON_SCREEN)
    assert len(got["drawn"]) == len(got["expected"]) == 3
    for exp, drawn in zip(got["expected"], got["drawn"], strict=True):
        # not clipped, cut or filtered: the drawn path spans the border's whole extent
        assert all(abs(a - b) <= 3 for a, b in zip(exp["box"], drawn["box"], strict=True))
        assert drawn["len"] >= 0.9 * exp["len"]
    z = got["z"]
    assert z["border"] > max(z["regions"], z["cells"], z["units"])
    assert z["units"] < z["zone"] < z["cells"]
    # labels and panels leave (almost) all of it in sight: only a cross-border
    # region's label may cross it (where nothing else fits), hiding at most two
    # label heights of line
    assert got["samples"] > 150
    assert got["covered"] / got["samples"] < 0.06, got
    assert got["labels"]
    for label in got["labels"]:
        if not label["cross"]:
            assert label["cover"] == 0, label
        assert label["cover"] <= 2 * label["height"] + 1, label


@pytest.mark.parametrize("name", ["crowded", "crowded_ar"])
def test_labels_are_few_apart_and_cross_border_first(pages, name) -> None:
    run = pages(name)
    got = check_labels(run)
    assert len(got["texts"]) >= 3
    cross = "Cross-border hotspot" if name == "crowded" else "بؤرة ساخنة عابرة للحدود"
    assert sum(cross in t for t in got["texts"]) >= 3
    # labels sit next to their own region (also right to left, where Leaflet's
    # tooltips would shift by their width without left:0)
    # or stand off, joined to it by a leader line from its box to the label's
    gaps = run.page.evaluate(LABEL_DISTANCE, "hotspots")
    assert len(gaps["labels"]) == len(got["texts"]), gaps
    assert gaps["leaders"] == sum(g["leader"] for g in gaps["labels"])
    for g in gaps["labels"]:
        if g["leader"]:
            assert g["fromRegion"] <= 1 and g["toLabel"] <= 1, g
        else:
            assert g["gap"] <= 16, g
    # every region shows its full text on hover
    for item in run.page.evaluate(HOVER_EVERY_REGION, "hotspots"):
        assert item["visible"] and item["text"] == item["lbl"], item
    assert check_labels(run)["texts"] == got["texts"]  # hovering changed nothing
    assert run.console_errors == [] and run.page_errors == []


def test_labels_follow_zoom_layers_and_months(pages) -> None:
    run = pages("crowded")
    before = check_labels(run)["texts"]
    assert not any("luster" in t for t in before)  # clusters start hidden
    # clusters switched on: hotspot labels keep priority, still at most 6 in all
    toggle = run.page.locator(
        ".leaflet-control-layers-overlays label", has_text="Incident clusters"
    )
    toggle.click()
    with_clusters = check_labels(run)["texts"]
    assert [t for t in with_clusters if "otspot" in t] == before
    was_open = set_legend(run, open_=True)
    legend = run.page.evaluate(
        "Array.from(document.querySelectorAll('.bw-legend .bw-item'))"
        ".filter((x) => x.offsetParent !== null).map((x) => x.textContent)"
    )
    assert "Incident cluster" in legend
    set_legend(run, open_=was_open)
    toggle.click()
    assert check_labels(run)["texts"] == before
    # zoomed in two levels: labels are placed again
    zoom = run.page.evaluate("window.__borderwatch[0].map.getZoom()")
    run.page.evaluate(SET_ZOOM, zoom + 2)
    check_labels(run)
    run.page.evaluate(SET_ZOOM, zoom)
    assert check_labels(run)["texts"] == before
    # March: hotspot 5 (June and July only) is not drawn, and has no label
    run.page.evaluate(
        "window.__borderwatch[0].setMonth(window.__borderwatch[0].months.indexOf('2023-03'))"
    )
    march = check_labels(run)["texts"]
    assert not any(t.startswith("Hotspot 5:") for t in march)
    assert count(run, ".leaflet-bwRegions-pane path.leaflet-interactive") == 17
    run.page.evaluate("window.__borderwatch[0].setMonth(-1)")
    assert check_labels(run)["texts"] == before
    assert run.console_errors == [] and run.page_errors == []


def test_legend_follows_the_layer_control(pages) -> None:
    run = pages("public")
    shown = (
        "Array.from(document.querySelectorAll('.bw-legend h3, .bw-legend .bw-item'))"
        ".filter((x) => x.offsetParent !== null).map((x) => x.textContent)"
    )
    set_legend(run, open_=True)
    start = run.page.evaluate(shown)
    assert "Incident cluster" not in start and "Incident density" not in start
    assert "Area with many more incidents than around it" in start  # plain words in public
    assert "International border" in start
    toggle = run.page.locator(".leaflet-control-layers-overlays label", has_text="Incident density")
    toggle.click()
    assert "Incident density" in run.page.evaluate(shown)
    toggle.click()
    assert run.page.evaluate(shown) == start
    # the legend fits below the layer control
    fits = run.page.evaluate(
        """() => { const l = document.querySelector('.bw-legend').getBoundingClientRect();
                   const c = document.querySelector('.leaflet-control-layers').getBoundingClientRect();
                   return l.top >= c.bottom && l.bottom <= window.innerHeight; }"""
    )
    assert fits


def test_right_to_left_furniture(pages) -> None:
    run = pages("ar")
    words = run.page.evaluate(
        "Array.from(document.querySelectorAll('.bw-watermark span')).map((x) => x.textContent)"
    )
    assert words == ["SYNTHETIC", "بيانات مصطنعة"]  # two lines, both readable
    assert (
        run.page.evaluate(
            "getComputedStyle(document.querySelector('.leaflet-control-scale-line')).direction"
        )
        == "ltr"
    )  # "500 km", not "km 500"


def test_colours_come_from_the_page_data(pages) -> None:
    """The stylesheet's colours are the palette of the page's JSON (CSS custom properties)."""
    from borderwatch.maps import _style

    def rgb(hex_colour: str) -> str:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    run = pages("internal")
    got = run.page.evaluate(
        """() => {
        const s = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return { map: s('.bw-map', 'backgroundColor'),
                 title: s('.bw-title.bw-internal', 'borderTopColor'),
                 warn: s('.bw-title .bw-warn', 'color'),
                 label: s('.leaflet-tooltip.bw-label', 'borderTopColor'),
                 meeting: s('.bw-meeting-inner', 'backgroundColor') };
    }"""
    )
    assert got == {
        "map": rgb(_style.PAGE["background"]),
        "title": rgb(_style.WARN),
        "warn": rgb(_style.WARN),
        "label": rgb(_style.HOTSPOT_LINE),
        "meeting": rgb(_style.MEETING_COLOR),
    }
