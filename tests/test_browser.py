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

from _browser import HOSTILE, PageRun, all_layers, incidents, liptako_units
from _browser import browser as browser  # noqa: F401 - the session fixture
from borderwatch._errors import BorderwatchWarning
from borderwatch.maps import make_map, save_map

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
            out / "public.html", **hostile, title=TITLE, source=HOSTILE["img"], synthetic=True
        ),
        "internal": build(out / "internal.html", **hostile, view="internal", title=TITLE),
        "ar": build(out / "ar.html", **hostile, lang="ar", synthetic=True),
        "clustered": build(
            out / "clustered.html",
            units=liptako_units(),
            incidents=incidents(4000),
            view="internal",
            lang="fr",
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
    assert count(run, ".leaflet-control-layers-overlays label") == 8
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
    elif key == "hotspots":
        assert f"Hotspot {HOSTILE['img']}: <5 incidents, Mali" in joined
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
    assert "Cross-border hotspot 1: 134 incidents, Mali–Niger" in labels
    assert f"Hotspot {HOSTILE['img']}: <5 incidents, Mali" in labels
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
