"""Meeting maps a room can read, in headless Chromium at three screens (issue 12).

A phone (390 x 844), a projector (1280 x 720) and a large screen (1920 x 1080):
the panels cover at most 30 % of the map at first, nothing overflows, the view
fits the study area and its hotspots, text scales with the screen, projector
mode shows one thing at a time, cross-border hotspots are drawn double, labels
sit on their region or are joined to it by a leader line, the same areas carry
the same labels in every language and on paper, no English word is left in a
French, Spanish, Portuguese or Arabic map, and a side without data is hatched.
Every network request is blocked; each map is built once and opened once per
screen.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import matplotlib
import pytest

from _browser import (
    PageRun,
    border_from_units,
    crowded_layers,
    liptako_units,
)
from borderwatch._errors import BorderwatchWarning
from borderwatch.maps import Layers, make_map, save_map, static, translations
from borderwatch.maps._prepare import prepare
from borderwatch.maps._style import CROSS_INNER
from test_browser import LABEL_DISTANCE, VISIBLE_LABELS

pytestmark = pytest.mark.browser

SCREENS = {"phone": (390, 844), "projector": (1280, 720), "large": (1920, 1080)}
LANGS = ("en", "fr", "es", "pt", "ar")


def _build(path: Path, **kwargs: Any) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return save_map(make_map(**kwargs), path)


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("layout")
    layers = Layers(**crowded_layers())
    files = {
        lang: _build(out / f"{lang}.html", layers=layers, lang=lang, synthetic=True)
        for lang in LANGS
    }
    units = liptako_units()
    units.loc[units["country"] == "NER", "incidents"] = 0
    files["nodata"] = _build(
        out / "nodata.html", layers=Layers(units=units, border=border_from_units(units))
    )
    return files


@pytest.fixture(scope="module")
def opened(browser, maps) -> Any:  # noqa: F811 - the session's Chromium
    runs: dict[tuple[str, str, str], PageRun] = {}

    def get(name: str, screen: str = "projector", query: str = "") -> PageRun:
        key = (name, screen, query)
        if key not in runs:
            width, height = SCREENS[screen]
            runs[key] = PageRun(browser, maps[name], width=width, height=height, query=query)
        return runs[key]

    yield get
    for run in runs.values():
        run.close()


def ok(run: PageRun) -> None:
    assert run.requests == [] and run.console_errors == [] and run.page_errors == []


COVERAGE = """
() => {
  /* the share of the viewport under the map's panels, sampled every 4 px */
  const rects = Array.from(document.querySelectorAll('.leaflet-control, .bw-title'))
    .map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
  let hit = 0, n = 0;
  for (let x = 2; x < innerWidth; x += 4) {
    for (let y = 2; y < innerHeight; y += 4) {
      n += 1;
      if (rects.some((r) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom)) { hit += 1; }
    }
  }
  const legend = document.querySelector('.bw-legend');
  const layers = document.querySelector('.leaflet-control-layers');
  return { share: hit / n,
           legendFolded: legend.classList.contains('bw-collapsed'),
           layersFolded: !layers.classList.contains('leaflet-control-layers-expanded') };
}
"""


@pytest.mark.parametrize("screen", SCREENS)
def test_panels_cover_at_most_30_percent_at_first(opened, screen) -> None:
    run = opened("en", screen)
    got = run.page.evaluate(COVERAGE)
    assert got["share"] <= 0.30, got
    if screen == "phone":  # legend and layer list start folded on a phone
        assert got["legendFolded"] and got["layersFolded"], got
    if screen == "large":  # and open on a large screen
        assert not got["layersFolded"], got
    # both fold and unfold: the legend with its button, the layer list with Leaflet's toggle
    button = run.page.locator(".bw-legend .bw-fold")
    before = button.get_attribute("aria-expanded")
    button.click()
    assert button.get_attribute("aria-expanded") != before
    button.click()
    assert button.get_attribute("aria-expanded") == before
    ok(run)


OVERFLOW = """
() => {
  const W = document.documentElement.clientWidth;
  const out = [];
  document.querySelectorAll('.leaflet-control, .bw-title, .bw-time button, .bw-time input').forEach((e) => {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.left < -0.5 || r.right > W + 0.5)) { out.push(e.className + ' ' + r.left + '-' + r.right); }
  });
  return { scroll: document.documentElement.scrollWidth, width: W, bodyScroll: document.body.scrollWidth,
           outside: out };
}
"""


@pytest.mark.parametrize("screen", SCREENS)
def test_nothing_overflows_horizontally(opened, screen) -> None:
    run = opened("fr", screen)  # French: the longest words
    got = run.page.evaluate(OVERFLOW)
    assert got["scroll"] <= got["width"] and got["bodyScroll"] <= got["width"], got
    assert got["outside"] == [], got
    # the Play button is on screen
    play = run.page.locator(".bw-time button").bounding_box()
    assert play is not None and play["x"] + play["width"] <= SCREENS[screen][0]
    ok(run)


FIT = """
() => {
  const e = window.__borderwatch[0], map = e.map, size = map.getSize();
  const box = (b) => { const a = map.latLngToContainerPoint(b.getNorthWest()), c = map.latLngToContainerPoint(b.getSouthEast());
                       return [a.x, a.y, c.x, c.y]; };
  const data = JSON.parse(document.getElementById(e.data).textContent);
  const study = box(L.latLngBounds(data.bounds));
  const hotspots = [];
  e.layers.hotspots.eachLayer((l) => hotspots.push(box(l.getBounds())));
  return { size: [size.x, size.y], study, hotspots };
}
"""


@pytest.mark.parametrize("screen", SCREENS)
def test_the_view_fits_the_study_area_and_its_hotspots(opened, screen) -> None:
    run = opened("en", screen)
    got = run.page.evaluate(FIT)
    w, h = got["size"]
    inside = lambda b: b[0] >= -2 and b[1] >= -2 and b[2] <= w + 2 and b[3] <= h + 2  # noqa: E731
    assert inside(got["study"]), got
    assert all(inside(b) for b in got["hotspots"])
    sw, sh = got["study"][2] - got["study"][0], got["study"][3] - got["study"][1]
    assert sw >= 0.6 * w or sh >= 0.6 * h, got  # and fills the screen in one direction
    ok(run)


FONTS = """
() => ({ title: parseFloat(getComputedStyle(document.querySelector('.bw-title h1')).fontSize),
         ui: parseFloat(getComputedStyle(document.querySelector('.bw-legend')).fontSize),
         label: parseFloat(getComputedStyle(document.querySelector('.leaflet-tooltip.bw-label')).fontSize),
         panel: getComputedStyle(document.querySelector('.bw-title')).backgroundColor,
         details: getComputedStyle(document.querySelector('.bw-title .bw-details')).display })
"""


def test_text_scales_with_the_screen_and_projector_mode(opened) -> None:
    sizes = {screen: opened("en", screen).page.evaluate(FONTS) for screen in SCREENS}
    for key in ("title", "ui", "label"):
        assert sizes["phone"][key] < sizes["projector"][key] < sizes["large"][key], sizes
    assert sizes["phone"]["ui"] >= 12 and sizes["large"]["ui"] >= 18
    # projector mode from the URL: larger type, dark panels, details folded away
    run = opened("en", "projector", "?present")
    present = run.page.evaluate(FONTS)
    assert present["ui"] > sizes["projector"]["ui"] * 1.15
    assert present["details"] == "none" and present["panel"] != sizes["projector"]["panel"]
    assert run.page.evaluate("window.__borderwatch[0].present.active()")
    # one thing at a time: "Next" shows one area, labelled alone
    run.page.locator(".bw-present-bar .bw-next").click()
    shown = run.page.evaluate(VISIBLE_LABELS)["texts"]
    assert len(shown) == 1 and shown[0].startswith("Cross-border hotspot 1: "), shown
    run.page.locator(".bw-present-bar .bw-next").click()
    shown = run.page.evaluate(VISIBLE_LABELS)["texts"]
    assert len(shown) == 1 and shown[0].startswith("Cross-border hotspot 4: "), (
        shown
    )  # next by number
    # leaving it (the button) brings everything back
    run.page.locator(".bw-present-bar .bw-exit").click()
    assert not run.page.evaluate("window.__borderwatch[0].present.active()")
    assert len(run.page.evaluate(VISIBLE_LABELS)["texts"]) >= 3
    ok(run)


CROSS = """
() => {
  const e = window.__borderwatch[0];
  const outer = [], plain = [];
  e.layers.hotspots.eachLayer((l) => {
    const w = parseFloat(l._path.getAttribute('stroke-width'));
    (l.feature.properties.x ? outer : plain).push(w);
  });
  const inner = Array.from(document.querySelectorAll('.leaflet-bwRegions-pane path:not(.leaflet-interactive)'))
    .map((p) => ({ w: parseFloat(p.getAttribute('stroke-width')), c: p.getAttribute('stroke') }));
  const swatch = document.querySelector('.bw-legend .bw-sw-double');
  return { outer, plain, inner, swatch: swatch ? swatch.parentNode.textContent : null };
}
"""


def test_cross_border_hotspots_are_drawn_double_with_their_own_legend_entry(opened) -> None:
    run = opened("en", "large")
    got = run.page.evaluate(CROSS)
    assert len(got["outer"]) == 6 and len(got["plain"]) == 12
    assert min(got["outer"]) > 2 * max(got["plain"])  # a wide outline...
    assert [
        x for x in got["inner"] if x["c"] == CROSS_INNER and x["w"] == 3
    ] != []  # ...lined inside
    assert len([x for x in got["inner"] if x["c"] == CROSS_INNER]) == 6
    assert got["swatch"] == "The same, on both sides of the border"
    # labels of cross-border areas have a double frame too
    style = run.page.evaluate(
        "getComputedStyle(document.querySelector('.leaflet-tooltip.bw-label-cross')).borderTopStyle"
    )
    assert style == "double"
    ok(run)


@pytest.mark.parametrize("screen", SCREENS)
def test_labels_sit_on_their_region_or_are_joined_to_it(opened, screen) -> None:
    run = opened("en", screen)
    got = run.page.evaluate(LABEL_DISTANCE, "hotspots")
    assert got["labels"], got
    assert got["leaders"] == sum(g["leader"] for g in got["labels"])
    for g in got["labels"]:
        if g["leader"]:
            assert g["fromRegion"] <= 1 and g["toLabel"] <= 1, g
        else:
            assert g["gap"] <= 16, g
    if screen != "phone":  # the six areas of highest priority are all labelled
        assert len(got["labels"]) == 6, got
    ok(run)


def _numbers(texts: list[str]) -> list[int]:
    return sorted(int(re.search(r"(\d+)\u2069?\s?:", t).group(1)) for t in texts)


def test_the_same_labels_in_every_language_and_on_paper(opened, maps) -> None:
    shown = {}
    for lang in LANGS:
        run = opened(lang, "projector")
        got = run.page.evaluate(VISIBLE_LABELS)
        data = json.loads(
            run.page.evaluate("document.getElementById(window.__borderwatch[0].data).textContent")
        )
        feats = next(x for x in data["layers"] if x["key"] == "hotspots")["fc"]["features"]
        by_text = {f["properties"]["lbl"]: f["properties"]["no"] for f in feats}
        shown[lang] = sorted(by_text[t] for t in got["texts"])
        ok(run)
    assert len(shown["en"]) == 6
    assert all(numbers == shown["en"] for numbers in shown.values()), shown
    # on paper (map.png and map.pdf are one drawing): the same numbers, the same texts
    for lang in ("en", "ar"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BorderwatchWarning)
            p = prepare(layers=Layers(**crowded_layers()), lang=lang, synthetic=True)
        with matplotlib.rc_context({"text.parse_math": False, "font.family": "DejaVu Sans"}):
            drawn = static.render(p)
        paper = {x.key[1]: x.text.replace("\n", " ") for x in drawn.labels}
        assert set(paper) <= set(shown[lang]) and len(paper) >= 4
        web = opened(lang, "projector").page.evaluate(VISIBLE_LABELS)["texts"]
        assert set(paper.values()) <= set(web)


WALK = """
() => {
  /* every visible text and tooltip-like attribute of the page */
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('script, style') || !node.textContent.trim()) { continue; }
    if (el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden') { continue; }
    out.push(node.textContent);
  }
  document.querySelectorAll('[title], [aria-label], [alt], [placeholder]').forEach((e) => {
    ['title', 'aria-label', 'alt', 'placeholder'].forEach((a) => { if (e.getAttribute(a)) { out.push(e.getAttribute(a)); } });
  });
  out.push(document.title);
  return out;
}
"""

OPEN_ONE_POPUP = """
(key) => {
  const e = window.__borderwatch[0];
  let first = null;
  e.layers[key].eachLayer((l) => { if (!first && l.getPopup && l.getPopup()) { first = l; } });
  first.openPopup();
}
"""

#: Words of the English UI that may stay in another language's map: codes, units,
#: proper nouns and SYNTHETIC (the watermark says it in English and in the language).
ALLOWED = {
    "synthetic",
    "gi",
    "getis",
    "ord",
    "km",
    "natural",
    "earth",
    "geonames",
    "cc",
    "by",
    "leaflet",
}
#: Leaflet's own English texts, which the page must translate.
LEAFLET_WORDS = {"zoom", "in", "out", "layers", "close", "popup", "toggle", "marker", "attribution"}


def _words(text: str) -> set[str]:
    text = re.sub(r"\{\w+\}", " ", text)  # placeholders are not words
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", text)}


def english_words(lang: str) -> set[str]:
    """Words of the English UI strings that the other language never uses itself."""
    en = translations("en")["strings"]
    other = translations(lang)["strings"]
    mine = set().union(*(_words(v) for v in other.values()))
    ours = set().union(*(_words(v) for v in en.values())) | LEAFLET_WORDS
    return {w for w in ours - mine - ALLOWED if len(w) > 2 or w in LEAFLET_WORDS}


@pytest.mark.parametrize("lang", ["fr", "es", "pt", "ar"])
def test_no_english_word_is_left_in_the_map(opened, lang) -> None:
    run = opened(lang, "large")
    page = run.page
    # open everything that has text: the legend, the layer list, popups and a tooltip
    if page.evaluate("document.querySelector('.bw-legend').classList.contains('bw-collapsed')"):
        page.locator(".bw-legend .bw-fold").click()
    texts = page.evaluate(WALK)
    for key in ("units", "cells", "hotspots", "meetings"):
        page.evaluate(OPEN_ONE_POPUP, key)
        texts += page.evaluate(WALK)
    page.evaluate(
        "(() => { const l = window.__borderwatch[0].layers.units.getLayers()[0]; l.openTooltip(); })()"
    )
    texts += page.evaluate(WALK)
    page.evaluate("window.__borderwatch[0].map.closePopup()")
    english = english_words(lang)
    found = {}
    for text in texts:
        hits = _words(text) & english
        if hits:
            found[text] = sorted(hits)
    assert not found, found
    # the walk did see the controls' tooltips, translated
    titles = page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-control-zoom a')).map((a) => a.title)"
    )
    assert titles == [
        translations(lang)["strings"]["ui.zoom_in"],
        translations(lang)["strings"]["ui.zoom_out"],
    ]
    scale = page.evaluate("document.querySelector('.leaflet-control-scale-line').textContent")
    assert scale.endswith(translations(lang)["strings"]["unit.km"]) or scale.endswith(
        translations(lang)["strings"]["unit.m"]
    )
    ok(run)


def test_english_words_are_found_when_left() -> None:
    """The check above can fail: the English UI's words are caught."""
    english = english_words("fr")
    for text in (
        "Zoom in",
        "Hotspot regions",
        "Community meetings",
        "Show the legend",
        "Period: 2023",
    ):
        assert _words(text) & english, text
    assert not _words("Zoom avant · Régions · Incidents près de la frontière") & english


def test_a_side_without_data_is_hatched(opened) -> None:
    run = opened("nodata", "projector")
    got = run.page.evaluate(
        """() => {
        const e = window.__borderwatch[0];
        const fills = [];
        e.layers.units.eachLayer((l) => fills.push([l.feature.properties.v[0], l._path.getAttribute('fill')]));
        return { fills, pattern: !!document.querySelector('pattern#bw-no-data'),
                 swatch: !!document.querySelector('.bw-legend .bw-sw-hatch'),
                 lines: document.querySelector('.bw-title').textContent };
    }"""
    )
    niger = [f for name, f in got["fills"] if name == "Niger"]
    others = [f for name, f in got["fills"] if name != "Niger"]
    assert niger and all(f == "url(#bw-no-data)" for f in niger)
    assert not any(f == "url(#bw-no-data)" for f in others)
    assert got["pattern"] and got["swatch"]
    assert "No incidents recorded (Niger)" in got["lines"]
    ok(run)
