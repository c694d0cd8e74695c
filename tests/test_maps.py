"""make_map, save_map and export_static: layers, privacy of the public view, offline assets."""

from __future__ import annotations

import doctest
import io
import json
import re
import sys
import types
import warnings

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS
from shapely.geometry import box

import borderwatch.maps._offline as assets
from _browser import (
    SHARED_DATA,
    all_layers,
    border_from_units,
    cells_grid,
    cluster_regions,
    crowded_layers,
    density_surface,
    hotspot_regions,
    incidents,
    liptako_units,
    meetings,
)
from _pdf_text import fonts as pdf_fonts
from _pdf_text import page_text
from borderwatch._crs import study_crs
from borderwatch._data import data_path
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch._result import AnalysisResult
from borderwatch.maps import (
    LANGUAGES,
    Layers,
    _format,
    _i18n,
    _labels,
    _page,
    _prepare,
    _style,
    export_static,
    make_map,
    save_map,
    static,
    translations,
    web,
)
from borderwatch.maps import _html as bw_html
from borderwatch.maps._i18n import Tr
from borderwatch.maps._offline import OfflineAssets, leaflet_js, make_offline, network_urls
from borderwatch.maps._prepare import prepare
from borderwatch.maps._static_files import plain_glyphs, save_page
from borderwatch.maps._style import HOTSPOT_COLORS, SUPPRESSED_COLOR

DATA_RE = re.compile(
    r'<script type="application/json" id="(bw-data-[0-9a-f]+)">(.*?)</script>', re.S
)
CDN_HOSTS = (
    "jsdelivr",
    "jquery.com",
    "cloudflare",
    "bootstrapcdn",
    "unpkg",
    "fontawesome",
    "googleapis",
)


def data_of(m: folium.Map) -> dict:
    blocks = [json.loads(b) for _, b in DATA_RE.findall(m.get_root().render())]
    assert len(blocks) >= 1
    return blocks[-1]


def layer(data: dict, key: str) -> dict:
    found = [x for x in data["layers"] if x["key"] == key]
    assert found, f"no layer {key}: {[x['key'] for x in data['layers']]}"
    return found[0]


def features(data: dict, key: str) -> list[dict]:
    return layer(data, key)["fc"]["features"]


def quiet_map(**kwargs) -> folium.Map:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return make_map(**kwargs)


@pytest.fixture(scope="module")
def layers() -> dict:
    return all_layers()


# ---------------------------------------------------------------------------
# offline


@pytest.mark.parametrize("view", ["public", "internal"])
def test_saved_map_fetches_nothing(tmp_path, layers, view) -> None:
    m = quiet_map(layers=Layers(**layers), view=view, synthetic=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BorderwatchWarning)
        out = save_map(m, tmp_path / "map.html")
    page = out.read_text(encoding="utf-8")
    assert network_urls(page) == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    for host in CDN_HOSTS:
        assert host not in page
    assert leaflet_js()[:500] in page  # Leaflet inlined from xstatic-leaflet
    assert not list(tmp_path.glob(".*.tmp"))


def test_markercluster_is_inlined_only_when_clustering(layers) -> None:
    small = quiet_map(
        layers=Layers(units=layers["units"], incidents=incidents(50)), view="internal"
    )
    assert assets.markercluster_js()[:300] not in small.get_root().render()
    big = quiet_map(
        layers=Layers(units=layers["units"], incidents=incidents(_page.CLUSTER_ABOVE + 1)),
        view="internal",
    )
    page = big.get_root().render()
    assert assets.markercluster_js()[:300] in page
    assert layer(data_of(big), "incidents")["cluster"] is True


def _urls_by_scan(html: str) -> list[str]:
    """network_urls as it was: the pattern tried at every character of the page."""
    return [m.group(1) for m in assets._NETWORK_RE.finditer(html)]


# pages made of a word (or its case-insensitive look-alike: long s, dotless i, Kelvin
# sign), what may follow it, and a URL or not, with junk between
_URL_WORDS = [
    "src", "SRC", "\u017frc", "href", "HREF", "srcset", "poster", "data", "action",
    "backgrounD", "xsrc", "_href", "é-src", "url(", "URL(", "url", "@import", "@IMPORT",
    "\u0131mport", "lin\u212a", "",
]  # fmt: skip
_URL_SEPS = ["=", " = ", '="', "='", "=\u00a0'\n", "( ", " ", "", "=(", '"']
_URL_TAILS = [
    "//a", "http://b", "HTTPS://c//d", "https:/e", "/f", "///g", "//h)i", "//j'k", "x", "",
    "//",
]  # fmt: skip
_URL_JUNK = ["", " ", "/", ">", "<", ")", "'", "a", ":", "@", "\t", "//", "=", "_"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.sampled_from(x) for x in (_URL_WORDS, _URL_SEPS, _URL_TAILS, _URL_JUNK))),
        max_size=12,
    )
)
def test_network_urls_equals_the_scan_of_every_character(parts: list[tuple[str, ...]]) -> None:
    html = "".join("".join(part) for part in parts)
    assert network_urls(html) == _urls_by_scan(html)


def test_network_urls_equals_the_scan_on_pages() -> None:
    m = folium.Map(tiles=None)
    from folium.plugins import MarkerCluster

    MarkerCluster().add_to(m)
    page = m.get_root().render()
    cases = [
        page,
        'a src= "//x/y" b href=\'http://h/i//j\' url( //k ) @import "https://l"',
        "xsrc=//no data=//yes;data:image/png;base64,AA//BB SRC = '//up'",
        "src=//a//b src=//c",
        "",
        "//",
    ]
    for html in cases:
        assert network_urls(html) == _urls_by_scan(html)
    assert _urls_by_scan(page)  # folium's CDN links are found


def test_make_offline_on_a_plain_folium_map_with_markercluster_plugin() -> None:
    from folium.plugins import MarkerCluster

    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    assert network_urls(m.get_root().render())  # folium's CDN links
    make_offline(m)
    make_offline(m)  # idempotent
    page = m.get_root().render()
    assert network_urls(page) == []
    assert sum(isinstance(c, OfflineAssets) for c in m._children.values()) == 1
    assert assets.markercluster_js()[:300] in page
    # folium's class-level lists are untouched
    assert any("jsdelivr" in url for _, url in folium.Map.default_js)


def test_inline_assets_come_first_in_the_header() -> None:
    from folium.plugins import MarkerCluster

    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    make_offline(m)
    page = m.get_root().render()
    head = page.split("</head>")[0]
    assert head.index(leaflet_js()[:200]) < head.index("L_NO_TOUCH")


def test_save_map_warns_about_online_plugins(tmp_path, layers) -> None:
    from folium.plugins import Fullscreen

    m = make_map(layers=Layers(units=layers["units"]))
    Fullscreen().add_to(m)
    with pytest.warns(BorderwatchWarning, match="from the internet"):
        save_map(m, tmp_path / "m.html")


def test_leaflet_css_images_are_data_uris() -> None:
    css = assets.leaflet_css()
    assert "images/" not in css
    assert css.count('url("data:image/png;base64,') == 3
    assert "https://leafletjs.com" not in leaflet_js()


def test_page_script_and_style_are_package_files_inlined_into_the_page(layers) -> None:
    from importlib import resources

    folder = resources.files("borderwatch.maps").joinpath("assets")
    js = folder.joinpath("borderwatch.js").read_text(encoding="utf-8")
    css = folder.joinpath("borderwatch.css").read_text(encoding="utf-8")
    page = quiet_map(layers=Layers(units=layers["units"])).get_root().render()
    assert assets.inline_script(js) in page and assets.inline_style(css) in page
    assert "window.borderwatch = {" in js


def test_page_script_and_style_hold_no_colours(layers) -> None:
    """Colours come from the page's JSON: the palette, layer styles and legend items."""
    from importlib import resources

    named = r"\b(?:white|black|red|green|blue|gr[ae]y|yellow|orange|purple|silver|navy)\b(?!-)"
    colour = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsla?\(|" + named, re.I)
    folder = resources.files("borderwatch.maps").joinpath("assets")
    for name in ("borderwatch.js", "borderwatch.css"):
        text = folder.joinpath(name).read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments may name colours
        assert not colour.findall(code), (name, colour.findall(code))
    # every colour variable the stylesheet uses is in the palette the page carries
    css = folder.joinpath("borderwatch.css").read_text(encoding="utf-8")
    used = set(re.findall(r"var\(--bw-([a-z0-9-]+)", css)) - {"scale", "fs"}  # sizes
    data = data_of(quiet_map(layers=Layers(units=layers["units"])))
    assert used and used == set(data["palette"]) == set(_style.PAGE)
    assert all(re.match(r"^(#[0-9a-f]{6}|rgba\([\d., ]+\))$", c) for c in data["palette"].values())


def test_label_rules_travel_in_the_page(layers) -> None:
    data = data_of(quiet_map(layers=Layers(hotspots=hotspot_regions())))
    assert data["maxLabels"] == _labels.MAX_LABELS
    assert data["labelMaxCover"] == _labels.LABEL_MAX_COVER
    sides = [(s.ax, s.ay, s.dx, s.dy) for s in _labels.SIDES]
    assert [(s["ax"], s["ay"], s["dx"], s["dy"]) for s in data["labelSides"]] == sides
    assert sides[:4] == [(0.5, 1, 0, 1), (0.5, 0, 0, -1), (1, 0.5, 1, 0), (0, 0.5, -1, 0)]
    assert sides[-1] == (0.5, 0.5, 0, 0)  # on the area itself, after the eight places around it
    assert data["labelDistances"] == list(_labels.DISTANCES) == [0.0, 1.5, 3.0]
    # the label's two lines are made once, in Python, and join to the whole label
    props = features(data, "hotspots")[0]["properties"]
    assert props["ll"] == ["Cross-border hotspot 1: Méhana ", "134 incidents · Mali–Niger"]
    assert "".join(props["ll"]) == props["lbl"]
    from importlib import resources

    js = resources.files("borderwatch.maps").joinpath("assets", "borderwatch.js").read_text()
    assert '"nw"' not in js and "labelSides" in js


# ---------------------------------------------------------------------------
# the public view


def test_public_view_suppresses_small_counts(layers) -> None:
    data = data_of(quiet_map(layers=Layers(units=layers["units"], hotspots=hotspot_regions())))
    feats = features(data, "units")
    # units 0, 1, 2 hold 3, 0 and 4 incidents
    assert feats[0]["properties"]["v"][1] == "<5"
    assert feats[1]["properties"]["v"][1] == "0"
    assert feats[2]["properties"]["v"][1] == "<5"
    assert feats[0]["properties"]["c"] == SUPPRESSED_COLOR == feats[2]["properties"]["c"]
    assert feats[1]["properties"]["c"] != SUPPRESSED_COLOR
    assert feats[0]["properties"]["tip"].endswith(": <5")
    legend = [it["label"] for sec in data["legend"] for it in sec["items"]]
    assert "Fewer than 5 (hidden to protect people)" in legend
    labels = [f["properties"]["lbl"] for f in features(data, "hotspots")]
    # numbered by rank, named by the towns and units they cover (the gazetteer's and the units')
    assert labels == [
        "Cross-border hotspot 1: Méhana 134 incidents · Mali–Niger",
        "Hotspot 2: near I-n-Tillit <5 incidents · Timbuktu, Gao",
    ]
    assert "Public view" in data["lines"][-1]["text"]


def test_internal_view_shows_exact_counts(layers) -> None:
    data = data_of(
        quiet_map(layers=Layers(units=layers["units"], hotspots=hotspot_regions()), view="internal")
    )
    assert features(data, "units")[0]["properties"]["v"][1] == "3"
    assert (
        features(data, "hotspots")[1]["properties"]["lbl"]
        == "Hotspot 2: near I-n-Tillit 3 incidents · Timbuktu, Gao"
    )
    assert data["lines"][-1]["warn"] is True


@pytest.mark.parametrize("k", [1, 3, 10])
def test_k_is_configurable(layers, k) -> None:
    data = data_of(quiet_map(layers=Layers(units=layers["units"]), k=k))
    shown = [f["properties"]["v"][1] for f in features(data, "units")]
    counts = layers["units"]["incidents"].to_numpy()
    expected = int(((counts > 0) & (counts < k)).sum())
    assert shown.count(f"<{k}") == expected
    assert data["k"] == k


def test_nan_counts_show_as_suppressed_in_public_and_unknown_in_internal(layers) -> None:
    units = layers["units"].copy()
    units["incidents"] = units["incidents"].astype(float)
    units.loc[5, "incidents"] = np.nan
    pub = features(data_of(quiet_map(layers=Layers(units=units))), "units")[5]["properties"]
    assert pub["v"][1] == "<5" and pub["c"] == SUPPRESSED_COLOR
    internal_map = quiet_map(layers=Layers(units=units), view="internal")
    internal = features(data_of(internal_map), "units")[5]["properties"]
    assert internal["v"][1] == "–"


def test_public_view_never_draws_incidents(tmp_path, layers) -> None:
    inc = incidents(300)
    with pytest.warns(BorderwatchWarning, match="never shows incident points"):
        m = make_map(layers=Layers(**{**layers, "incidents": inc}), view="public")
    page = save_map(m, tmp_path / "p.html").read_text(encoding="utf-8")
    data = data_of(m)
    assert {x["key"] for x in data["layers"]}.isdisjoint({"incidents", "incidents_grid"})
    assert "INC-000" not in page
    for x, y in zip(inc.geometry.x[:100], inc.geometry.y[:100], strict=True):
        assert f"{x:.5f}".rstrip("0") not in page or f"{y:.5f}".rstrip("0") not in page


def test_public_result_goes_through_privacy_public_view(monkeypatch, layers) -> None:
    calls = []

    def public_view(result, *, k=5):
        calls.append(k)
        return result.replace(view="public", incidents=None, title="generalised")

    fake = types.ModuleType("borderwatch.privacy")
    fake.public_view = public_view
    monkeypatch.setitem(sys.modules, "borderwatch.privacy", fake)
    result = AnalysisResult(
        units=layers["units"],
        border=layers["border"],
        crs=CRS.from_epsg(3857),
        incidents=incidents(20),
        hotspots=hotspot_regions(),
        view="internal",
        k=4,
        synthetic=True,
    )
    data = data_of(make_map(result))
    assert calls == [4] and data["title"] == "generalised" and data["k"] == 4
    assert data["synthetic"] == "SYNTHETIC"
    # an already public result is not transformed again; keyword layers override it
    data = data_of(
        make_map(
            result.replace(view="public", incidents=None), layers=Layers(hotspots=cluster_regions())
        )
    )
    assert calls == [4]
    assert features(data, "hotspots")[0]["properties"]["lbl"].startswith("Cross-border hotspot 1: ")
    assert features(data, "hotspots")[0]["properties"]["v"][-1] == "7"  # the data's id
    # the internal view of an internal result draws its incidents
    data = data_of(make_map(result, view="internal"))
    assert calls == [4] and len(layer(data, "incidents")["lon"]) == 20


def test_density_is_masked_below_k_in_the_public_view() -> None:
    calls = []
    base = density_surface()

    class Surface:
        values, transform, crs, masked_below = base.values, base.transform, base.crs, None

        def masked(self, k):
            calls.append(k)
            out = Surface()
            out.values = np.where(base.values > 0.5, base.values, np.nan)
            return out

    quiet_map(layers=Layers(density=Surface()), k=7)
    assert calls == [7]
    quiet_map(layers=Layers(density=Surface()), view="internal")
    assert calls == [7]


# ---------------------------------------------------------------------------
# layers


@pytest.mark.filterwarnings("ignore:Numba not installed")
def test_choropleth_classes_are_fisher_jenks(layers) -> None:
    data = data_of(quiet_map(layers=Layers(units=layers["units"]), view="internal"))
    values = layers["units"]["incidents"].to_numpy(dtype=float)
    bins = mapclassify.FisherJenks(values, k=5).bins
    items = data["legend"][0]["items"]
    assert [it["label"].split("–")[-1] for it in items] == [str(int(b)) for b in bins]
    colors = [it["c"] for it in items]
    got = [f["properties"]["c"] for f in features(data, "units")]
    expected = [colors[int(np.searchsorted(bins, v, side="left"))] for v in values]
    assert got == expected


def test_value_can_be_a_rate_or_a_category(layers) -> None:
    rate = data_of(quiet_map(layers=Layers(units=layers["units"]), value="rate_per_100k"))
    assert rate["legend"][0]["title"] == "Incidents per 100,000 people"
    # the rate of a unit whose count is suppressed is hidden too
    assert features(rate, "units")[0]["properties"]["c"] == SUPPRESSED_COLOR
    assert features(rate, "units")[0]["properties"]["v"][2] is None
    cat = data_of(quiet_map(layers=Layers(units=layers["units"]), value="iccs02_harm", lang="fr"))
    assert cat["legend"][0]["title"] == "Violences et atteintes aux personnes : incidents par unité"
    with pytest.raises(DataError, match="no column 'population'.*incidents"):
        make_map(layers=Layers(units=layers["units"]), value="population")


def test_only_significant_cells_are_drawn_in_the_hot_cold_palette(layers) -> None:
    data = data_of(quiet_map(layers=Layers(cells=layers["cells"])))
    feats = features(data, "cells")
    assert len(feats) == 11
    colors = [f["properties"]["c"] for f in feats]
    assert colors.count(HOTSPOT_COLORS[("hot", 99)]) == 2
    assert colors.count(HOTSPOT_COLORS[("hot", 95)]) == 3
    assert colors.count(HOTSPOT_COLORS[("hot", 90)]) == 4
    assert colors.count(HOTSPOT_COLORS[("cold", 95)]) == 2
    first = feats[0]["properties"]["v"]
    # plain words in the public view: no "confidence", no z-score or p-value
    assert (
        first[0] == "Many more incidents than in the surrounding area (very sure)"
        and first[1] == "40"
        and first[2] is None
        and first[3] is None
        and first[5] == "Intensifying hot spot"
    )
    assert feats[6]["properties"]["v"][1] == "<5"  # cell 13 holds 2 incidents
    legend = next(
        sec for sec in data["legend"] if sec["title"] == "Compared with the surrounding area"
    )
    assert [it["label"] for it in legend["items"]] == [
        "Many more incidents than in the surrounding area (very sure)",
        "Many more incidents than in the surrounding area (sure)",
        "Many more incidents than in the surrounding area (fairly sure)",
        "Far fewer incidents than in the surrounding area (sure)",
        "No clear difference from the surrounding area (not drawn)",
    ]
    # the technical terms stay in the internal view
    internal = data_of(quiet_map(layers=Layers(cells=layers["cells"]), view="internal"))
    first = features(internal, "cells")[0]["properties"]["v"]
    assert first[0] == "Hot spot – 99% confidence" and first[2] == "3.10"
    legend = next(sec for sec in internal["legend"] if sec["title"].startswith("Hotspot analysis"))
    assert (
        len(legend["items"]) == 5 and legend["items"][-1]["label"] == "Not significant (not drawn)"
    )


def test_cells_without_labels_are_classified_from_gi(layers) -> None:
    cells = layers["cells"].drop(columns=["hotspot_kind", "hotspot_confidence"])
    feats = features(data_of(quiet_map(layers=Layers(cells=cells))), "cells")
    colors = [f["properties"]["c"] for f in feats]
    assert colors.count(HOTSPOT_COLORS[("hot", 99)]) == 9
    assert colors.count(HOTSPOT_COLORS[("cold", 99)]) == 2


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("en", "Cross-border hotspot 1: Méhana 134 incidents · Mali–Niger"),
        ("fr", "Point chaud transfrontalier 1 : Méhana 134 incidents · Mali–Niger"),
        ("es", "Punto caliente transfronterizo 1: Méhana 134 incidentes · Malí–Níger"),
        ("pt", "Ponto quente transfronteiriço 1: Méhana 134 incidentes · Mali–Níger"),
        (
            "ar",
            "بؤرة ساخنة عابرة للحدود \u20681\u2069: \u2068Méhana\u2069 \u2068134\u2069 حادثة · "
            "\u2068مالي–النيجر\u2069",
        ),
    ],
)
def test_hotspot_labels_in_every_language(lang, label) -> None:
    data = data_of(
        quiet_map(layers=Layers(hotspots=hotspot_regions(), clusters=cluster_regions()), lang=lang)
    )
    assert features(data, "hotspots")[0]["properties"]["lbl"] == label
    assert layer(data, "hotspots")["label"] == "permanent"
    assert layer(data, "clusters")["show"] is False  # clusters start hidden next to hotspots
    assert data["dir"] == ("rtl" if lang == "ar" else "ltr")


def test_cluster_labels_and_label_priority() -> None:
    data = data_of(quiet_map(layers=Layers(clusters=cluster_regions())))
    assert [f["properties"]["lbl"] for f in features(data, "clusters")] == [
        "Cross-border cluster 1: Burkina Faso–Niger 52 incidents",  # no town inside or near
        "Cluster 2: Youri Kourtéré 11 incidents · Niger",
    ]
    # numbered by rank; the data's own ids are in the popups
    assert [f["properties"]["no"] for f in features(data, "clusters")] == [1, 2]
    assert [f["properties"]["v"][-1] for f in features(data, "clusters")] == ["7", "8"]
    assert [f["properties"]["lr"] for f in features(data, "clusters")] == [0, 1]
    assert [f["properties"]["lx"] for f in features(data, "clusters")] == [True, False]
    assert layer(data, "clusters")["show"] is True
    assert data["maxLabels"] == _labels.MAX_LABELS == 6
    # 40 regions: only the first LABEL_CANDIDATES by priority may get a permanent
    # label (cross-border first, then by incidents); the rest show theirs on hover
    many = pd.concat([cluster_regions()] * 20, ignore_index=True)
    many["n_incidents"] = np.arange(40) + 5
    many.loc[7, "cross_border"] = True  # cross-border, but not the largest
    feats = features(data_of(quiet_map(layers=Layers(clusters=many), view="internal")), "clusters")
    ranked = sorted(
        (f["properties"]["lr"], i) for i, f in enumerate(feats) if "lr" in f["properties"]
    )
    assert len(ranked) == _labels.LABEL_CANDIDATES
    cross = [i for i in range(40) if i % 2 == 0 or i == 7]
    expected = sorted(cross, key=lambda i: -many.loc[i, "n_incidents"])
    expected += sorted(set(range(40)) - set(cross), key=lambda i: -many.loc[i, "n_incidents"])
    assert [i for _, i in ranked] == expected[: _labels.LABEL_CANDIDATES]
    assert all(f["properties"]["lbl"] for f in feats)  # hover text for every region


def test_label_priority_does_not_reveal_hidden_counts() -> None:
    regions = pd.concat([hotspot_regions()] * 3, ignore_index=True)
    regions["cross_border"] = False
    regions["n_incidents"] = [1, 4, 2, 3, 40, 30]  # 1 to 4 are all "<5" in public
    pub = [
        f["properties"]["lr"]
        for f in features(data_of(quiet_map(layers=Layers(hotspots=regions))), "hotspots")
    ]
    assert pub == [2, 3, 4, 5, 0, 1]  # the hidden ones keep their input order
    internal = features(
        data_of(quiet_map(layers=Layers(hotspots=regions), view="internal")), "hotspots"
    )
    assert [f["properties"]["lr"] for f in internal] == [5, 2, 4, 3, 0, 1]


def test_border_and_zone(layers) -> None:
    data = data_of(quiet_map(layers=Layers(border=layers["border"]), zone_km=15))
    zone = layer(data, "border_zone")
    assert zone["name"] == "Border zone (15 km)"
    border = layer(data, "border")
    assert border["halo"]["weight"] > border["style"]["weight"] >= 4
    tips = sorted(f["properties"]["tip"] for f in border["fc"]["features"])
    assert tips == ["Burkina Faso–Mali", "Burkina Faso–Niger", "Mali–Niger"]
    # the band is about 2 x 15 km wide: its area / border length ~ 30 km
    gz = gpd.GeoDataFrame.from_features(zone["fc"]["features"], crs=4326)
    metric = study_crs(layers["border"])
    width_km = gz.to_crs(metric).area.sum() / layers["border"].to_crs(metric).length.sum() / 1000
    assert 25 < width_km < 33
    assert "border_zone" not in {
        x["key"]
        for x in data_of(quiet_map(layers=Layers(border=layers["border"]), zone_km=0))["layers"]
    }


def test_border_is_drawn_above_regions_and_the_zone_under_cells(layers) -> None:
    data = data_of(
        quiet_map(
            layers=Layers(
                **{k: layers[k] for k in ("units", "border", "cells", "hotspots", "clusters")}
            )
        )
    )
    z = {x["key"]: x["z"] for x in data["layers"] if "z" in x}
    assert z["border"] > max(z["hotspots"], z["clusters"], z["cells"], z["units"])
    assert z["units"] < z["border_zone"] < z["cells"]  # yellow must not tint the classes
    assert layer(data, "border")["avoid"] is True  # labels are placed clear of it
    keys = {sec["key"] for sec in data["legend"]}
    assert {"units", "cells"} <= keys
    lines = next(sec for sec in data["legend"] if sec["title"] == "Borders and areas")
    # each kind of area, then its cross-border areas (a double outline) when it has some
    assert [(it["key"], it["k"]) for it in lines["items"]] == [
        ("border", "line"),
        ("border_zone", "fill"),
        ("hotspots", "outline"),
        ("hotspots", "double"),
        ("clusters", "outline"),
        ("clusters", "double"),
    ]
    assert [it["label"] for it in lines["items"]][2:4] == [
        "Area with many more incidents than around it",
        "The same, on both sides of the border",
    ]


def test_meeting_popups(layers) -> None:
    pub = features(data_of(quiet_map(layers=Layers(meetings=meetings()))), "meetings")
    vals = pub[0]["properties"]["v"]
    # date, place, total, women, men, youth, migrants, police, leaders, topics
    assert vals[:3] == ["2023-02-10", "Ménaka", "44"]
    assert vals[6] == "<5" and vals[7] == "<5" and vals[3] == "12"
    assert vals[9] == ["cattle theft", "road banditry"]
    internal = features(
        data_of(quiet_map(layers=Layers(meetings=meetings()), view="internal")), "meetings"
    )
    assert internal[0]["properties"]["v"][6] == "2"
    assert pub[2]["properties"]["v"][6] == "0"


def test_months_and_time_indices(layers) -> None:
    data = data_of(quiet_map(layers=Layers(**layers), view="internal"))
    assert data["months"][0] == "2023-01" and data["months"][-1] == "2023-12"
    assert len(data["months"]) == 12
    assert [f["properties"]["m0"] for f in features(data, "meetings")] == [1, 3, 3, 7, 10]
    hs = features(data, "hotspots")
    assert (hs[0]["properties"]["m0"], hs[0]["properties"]["m1"]) == (1, 8)
    inc = layer(data, "incidents")
    dates = layers["incidents"]["date"]
    assert inc["m"] == list(dates.dt.month - 1)
    assert layer(data, "meetings")["temporal"] and not layer(data, "units").get("temporal")


def test_no_time_control_without_dates(layers) -> None:
    data = data_of(quiet_map(layers=Layers(units=layers["units"], border=layers["border"])))
    assert data["months"] == []


def test_incidents_layer_columns(layers) -> None:
    inc = incidents(100)
    data = data_of(quiet_map(layers=Layers(incidents=inc), view="internal"))
    lay = layer(data, "incidents")
    assert lay["cluster"] is False
    assert lay["lon"][:3] == [round(v, 5) for v in inc.geometry.x[:3]]
    assert lay["cols"][0]["v"][:2] == ["INC-000000", "INC-000001"]
    days = lay["cols"][1]["v"]
    assert (
        pd.Timestamp("1970-01-01") + pd.Timedelta(days=days[0]) == inc["date"].iloc[0].normalize()
    )
    cats = lay["cols"][2]
    assert cats["d"][cats["i"][0]] == Tr("en").category(inc["category"].iloc[0])
    yes_no = lay["cols"][6]
    assert sorted(yes_no["d"]) == ["no", "yes"]
    assert [yes_no["d"][i] == "yes" for i in yes_no["i"]] == list(inc["sensitive"])


def test_large_incident_sets_are_sampled_with_grid_totals(monkeypatch) -> None:
    monkeypatch.setattr(_prepare, "MAX_POINTS", 500)
    inc = incidents(2000)
    data = data_of(quiet_map(layers=Layers(incidents=inc), view="internal", seed=1))
    lay = layer(data, "incidents")
    assert len(lay["lon"]) == 500 and lay["cluster"] is False
    grid = layer(data, "incidents_grid")
    assert sum(grid["n"]) == 2000
    assert any("500 of 2000 incidents" in line["text"] for line in data["lines"])
    again = layer(
        data_of(quiet_map(layers=Layers(incidents=inc), view="internal", seed=1)), "incidents"
    )
    other = layer(
        data_of(quiet_map(layers=Layers(incidents=inc), view="internal", seed=2)), "incidents"
    )
    assert again["lon"] == lay["lon"] and other["lon"] != lay["lon"]


@pytest.mark.slow
def test_a_million_incidents_stay_under_10_mb(tmp_path) -> None:
    n = 1_000_000
    rng = np.random.default_rng(5)
    inc = gpd.GeoDataFrame(
        {
            "id": np.char.add("INC-", np.arange(n).astype(str)).astype(object),
            "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
            "category": np.array(["iccs02_harm", "iccs05_property", "iccs06_drugs"], dtype=object)[
                rng.integers(0, 3, n)
            ],
        },
        geometry=gpd.points_from_xy(rng.uniform(0, 3, n), rng.uniform(13, 16, n)),
        crs=4326,
    )
    m = make_map(layers=Layers(units=liptako_units(), incidents=inc), view="internal")
    size = save_map(m, tmp_path / "million.html").stat().st_size
    assert size < 10_000_000
    data = data_of(m)
    assert sum(layer(data, "incidents_grid")["n"]) == n
    assert len(layer(data, "incidents")["lon"]) == _prepare.MAX_POINTS


def test_demo_sized_map_is_under_5_mb(tmp_path) -> None:
    """Units, 4,000 cells (all significant, the worst case), regions, density, meetings."""
    units = liptako_units()
    xs, ys = np.meshgrid(np.arange(80) * 0.1 - 2, np.arange(50) * 0.1 + 12)
    labels = np.array(list(HOTSPOT_COLORS))
    pick = labels[np.arange(xs.size) % len(labels)]
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(xs.size),
            "count": np.arange(xs.size) % 50,
            "gi_z": np.where(pick[:, 0] == "hot", 3.0, -3.0),
            "gi_p": 0.001,
            "gi_p_fdr": 0.004,
            "hotspot_kind": [str(k) for k, _ in pick],
            "hotspot_confidence": [int(c) for _, c in pick],
            "countries": "BFA,MLI",
            "trend_class": "no trend",
        },
        geometry=[box(x, y, x + 0.1, y + 0.1) for x, y in zip(xs.ravel(), ys.ravel(), strict=True)],
        crs=4326,
    )
    m = quiet_map(
        layers=Layers(
            units=units,
            border=border_from_units(units),
            cells=cells,
            hotspots=hotspot_regions(),
            clusters=cluster_regions(),
            meetings=meetings(),
            density=density_surface(),
        ),
        synthetic=True,
    )
    size = save_map(m, tmp_path / "demo.html").stat().st_size
    assert size < 5_000_000
    assert len(features(data_of(m), "cells")) == 4000


def test_density_overlay(layers) -> None:
    data = data_of(quiet_map(layers=Layers(density=layers["density"])))
    img = layer(data, "density")
    assert img["url"].startswith("data:image/png;base64,") and img["show"] is True
    (s, w), (n, e) = img["bounds"]
    assert s < 14.5 < n and w < 1.5 < e  # the LAEA centre of the surface
    assert 2.5 < n - s < 3.0 and 3.5 < e - w < 4.0  # 300 km x 400 km
    import base64

    from matplotlib.image import imread

    rgba = imread(io.BytesIO(base64.b64decode(img["url"].split(",", 1)[1])), format="png")
    assert rgba.shape[2] == 4
    assert rgba[..., 3].min() == 0 and rgba[..., 3].max() > 0.5  # NaN corner transparent
    full = data_of(quiet_map(layers=Layers(**layers)))
    assert layer(full, "density")["show"] is False  # cells come first


def test_density_surface_from_the_density_module() -> None:
    from borderwatch.density import density

    surf = density(incidents(300), bandwidth_km=10.0)
    data = data_of(quiet_map(layers=Layers(density=surf), view="internal"))
    assert layer(data, "density")["url"].startswith("data:image/png;base64,")


def test_tiles_are_opt_in(layers) -> None:
    assert data_of(quiet_map(layers=Layers(units=layers["units"])))["tiles"] is None
    url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    data = data_of(
        quiet_map(layers=Layers(units=layers["units"]), tiles=url, attribution="© OpenStreetMap")
    )
    assert data["tiles"] == {"url": url, "attribution": "© OpenStreetMap"}
    assert any(line["text"] == "Basemap loaded from the internet." for line in data["lines"])
    for bad in (
        "javascript:alert(1)//{z}{x}{y}",
        "https://x.org/tiles.png",
        'https://x.org/{z}/{x}/{y}.png"><b>',
    ):
        with pytest.raises(DataError, match="tile URL"):
            make_map(layers=Layers(units=layers["units"]), tiles=bad)


def test_input_errors(layers) -> None:
    units = layers["units"]
    cases = [
        ({"view": "secret"}, "not a view"),
        ({"lang": "de"}, "lang='de' is not available"),
        ({"k": 0}, "k must be a whole number"),
        ({"k": 2.5}, "k must be a whole number"),
        ({"k": True}, "k must be a whole number"),
        ({"font_scale": 10}, "font_scale"),
        ({"zone_km": -1}, "zone_km"),
        ({"m": "not a map"}, "folium.Map"),
    ]
    for kwargs, match in cases:
        with pytest.raises(DataError, match=match):
            make_map(layers=Layers(units=units), **kwargs)
    with pytest.raises(DataError, match="must be a GeoDataFrame"):
        make_map(layers=Layers(units=pd.DataFrame(units.drop(columns="geometry"))))
    with pytest.raises(DataError, match="no coordinate reference system"):
        make_map(layers=Layers(units=units.set_crs(None, allow_override=True)))
    with pytest.raises(DataError, match="AnalysisResult"):
        make_map({"units": units})
    with pytest.raises(DataError, match="neither 'hotspot_kind' nor 'gi_z'"):
        make_map(layers=Layers(cells=cells_grid()[["cell_id", "geometry"]]))
    with pytest.raises(TypeError, match="folium.Map"):
        save_map("nope", "x.html")  # type: ignore[arg-type]


def test_layers_in_other_crs_are_reprojected(layers) -> None:
    units = layers["units"].to_crs(3857)
    feats = features(data_of(quiet_map(layers=Layers(units=units))), "units")
    xy = np.array(gpd.GeoDataFrame.from_features(feats, crs=4326).total_bounds)
    assert np.allclose(xy, layers["units"].total_bounds, atol=1e-4)


def test_drawing_onto_an_existing_map(layers) -> None:
    m = folium.Map(location=[14, 1], zoom_start=5, tiles=None)
    out = make_map(layers=Layers(units=layers["units"]), m=m)
    out2 = make_map(layers=Layers(meetings=meetings()), m=m)
    assert out is m and out2 is m
    page = m.get_root().render()
    blocks = [json.loads(b) for _, b in DATA_RE.findall(page)]
    assert len(blocks) == 2 and blocks[0]["fit"] is False
    assert sum(isinstance(c, OfflineAssets) for c in m._children.values()) == 1
    assert page.count("window.borderwatch = {") == 1  # the script is included once
    assert network_urls(page) == []


def test_title_period_source_defaults(layers) -> None:
    data = data_of(
        quiet_map(layers=Layers(incidents=incidents(50)), view="internal", source="Police reports")
    )
    assert data["title"] == "Community safety map"
    inc = incidents(50)
    lo, hi = inc["date"].min(), inc["date"].max()
    assert data["lines"][0]["text"] == f"Period: {lo:%Y-%m-%d} – {hi:%Y-%m-%d}"
    assert data["lines"][1]["text"] == "Source: Police reports"
    result = AnalysisResult(
        units=layers["units"],
        border=layers["border"],
        crs=CRS.from_epsg(3857),
        view="public",
        title="Liptako-Gourma",
        source="Synthetic",
        summary={"date_min": "2021-01-01", "date_max": "2021-06-30"},
    )
    data = data_of(make_map(result, lang="es"))
    assert data["title"] == "Liptako-Gourma"
    assert data["lines"][0]["text"] == "Periodo: 2021-01-01 – 2021-06-30"
    assert data["lines"][1]["text"] == "Fuente: Synthetic"
    assert "<title>Liptako-Gourma</title>" in make_map(result).get_root().render()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_synthetic_word_in_every_language(layers, lang) -> None:
    data = data_of(quiet_map(layers=Layers(units=layers["units"]), synthetic=True, lang=lang))
    assert data["synthetic"].startswith("SYNTHETIC")
    assert data["lang"] == lang
    assert data_of(quiet_map(layers=Layers(units=layers["units"]), lang=lang))["synthetic"] is None
    if lang != "en":
        en = translations("en")["strings"]
        assert data["t"]["time.all"] != en["time.all"]
        assert layer(data, "units")["name"] != en["layer.units"]


# ---------------------------------------------------------------------------
# translations


def test_translation_files_are_complete_and_consistent() -> None:
    en = translations("en")
    placeholders = re.compile(r"\{(\w+)\}")
    for lang in LANGUAGES:
        doc = translations(lang)
        assert doc["lang"] == lang
        assert doc["dir"] == ("rtl" if lang == "ar" else "ltr")
        assert set(doc["strings"]) == set(en["strings"]), lang
        assert set(doc["countries"]) == set(en["countries"]), lang
        for key, text in doc["strings"].items():
            assert text.strip(), (lang, key)
            assert set(placeholders.findall(text)) == set(
                placeholders.findall(en["strings"][key])
            ), (lang, key)
        assert all(v.strip() for v in doc["countries"].values())
    codes = set(en["countries"])
    for path in sorted(data_path("i18n").glob("*.json")):
        assert path.stem in LANGUAGES
    # every country of the shipped boundaries has a name
    for path in sorted(assets_boundaries()):
        iso = set(gpd.read_file(path, ignore_geometry=True)["adm0_iso3"])
        assert iso <= codes, (path.name, iso - codes)


def assets_boundaries():
    from borderwatch._data import boundaries_dir

    return boundaries_dir().glob("ne10m_adm1_*.geojson")


def test_translations_returns_a_copy() -> None:
    t = translations("fr")
    t["strings"]["layer.units"] = "changed"
    assert translations("fr")["strings"]["layer.units"] == "Unités administratives"


# ---------------------------------------------------------------------------
# static export


def test_static_png_is_a4(tmp_path, layers) -> None:
    from matplotlib.image import imread

    out = export_static(
        None, tmp_path / "map.png", layers=Layers(**layers), view="internal", synthetic=True, dpi=50
    )
    img = imread(out)
    assert abs(img.shape[0] - 8.27 * 50) <= 1 and abs(img.shape[1] - 11.69 * 50) <= 1
    assert img[..., :3].std() > 0.05


def test_static_pdf(tmp_path, layers) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        out = export_static(
            None,
            tmp_path / "map.pdf",
            layers=Layers(**layers),
            lang="ar",
            title="خريطة",
            synthetic=True,
        )
    raw = out.read_bytes()
    assert raw.startswith(b"%PDF") and len(raw) > 20_000
    assert b"borderwatch" in raw  # Creator metadata


def test_static_png_and_pdf_drawn_once_equal_separate_exports(tmp_path, layers) -> None:
    """``also`` saves the one drawing into more files: the PNG is pixel for pixel the one a
    separate call writes; the PDF holds the incident points as one image (rasterized),
    not a vector mark per point."""
    from matplotlib.image import imread

    kw = {"layers": Layers(**layers), "view": "internal", "synthetic": True, "dpi": 50}
    alone = export_static(None, tmp_path / "alone.png", **kw)
    out = export_static(None, tmp_path / "map.png", also=[tmp_path / "map.pdf"], **kw)
    assert out == tmp_path / "map.png"
    np.testing.assert_array_equal(imread(out), imread(alone))
    raw = (tmp_path / "map.pdf").read_bytes()
    no_points = {**layers, "incidents": None}
    export_static(None, tmp_path / "bare.pdf", **{**kw, "layers": Layers(**no_points)})
    bare = (tmp_path / "bare.pdf").read_bytes()
    assert raw.startswith(b"%PDF")
    assert raw.count(b"/Subtype /Image") > bare.count(b"/Subtype /Image")  # the points
    with pytest.raises(DataError, match="cannot write a static map as 'svg'"):
        export_static(None, tmp_path / "m.png", also=[tmp_path / "m.svg"], **kw)


def test_static_png_has_the_pixels_of_savefig(tmp_path, layers) -> None:
    """map.png is written as RGB when the page is opaque (zlib level 3): the pixels, size,
    resolution and text chunks of matplotlib's own (RGBA) PNG of the same page."""
    from matplotlib.figure import Figure
    from PIL import Image

    p = prepare(None, layers=Layers(**layers), view="internal", synthetic=True)
    with static.print_rc():
        fig = static.draw(p)
        plain_glyphs(fig)  # as save_page draws every page
        meta = {"Title": p.title, "Software": "borderwatch"}
        fig.savefig(tmp_path / "mpl.png", format="png", dpi=60, metadata=meta)
        save_page(fig, tmp_path / "map.png", kind="png", dpi=60, title=p.title)
    with Image.open(tmp_path / "mpl.png") as mpl_png, Image.open(tmp_path / "map.png") as png:
        assert (mpl_png.mode, png.mode) == ("RGBA", "RGB")
        assert png.size == mpl_png.size == (int(11.69 * 60), int(8.27 * 60))
        assert png.info["dpi"] == mpl_png.info["dpi"] and png.text == mpl_png.text == meta
        np.testing.assert_array_equal(np.asarray(png), np.asarray(mpl_png)[..., :3])
    see_through = Figure(figsize=(1, 1), facecolor="none")  # not opaque: the alpha is kept
    save_page(see_through, tmp_path / "clear.png", kind="png", dpi=20, title="t")
    with Image.open(tmp_path / "clear.png") as png:
        assert png.mode == "RGBA" and png.size == (20, 20)
        assert np.asarray(png)[..., 3].max() == 0


@pytest.mark.parametrize(("lang", "title"), [("en", "Liptako map"), ("ar", "خريطة ليبتاكو")])
def test_static_pdf_embeds_font_subsets_once_and_its_text_reads(tmp_path, layers, lang, title):
    """Every font of map.pdf is a TrueType subset with a ToUnicode map: its text (Latin
    and Arabic) is what a viewer's search finds; each font file is embedded once, not
    once per 256 characters or for a ligature (an English page: 2 fonts, not 4 or 6)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        out = export_static(
            None,
            tmp_path / "map.pdf",
            layers=Layers(**layers),
            lang=lang,
            title=title,
            source="ACLED Niamey, fieldwork",  # "fi": one glyph with ligatures
            synthetic=True,
        )
    raw = out.read_bytes()
    found = pdf_fonts(raw)
    assert found.base_names and found.files == len(found.base_names)
    assert all(re.fullmatch(r"[A-Z]{6}\+DejaVuSans(-Bold)?", n) for n in found.base_names)
    assert len(found.base_names) == (2 if lang == "en" else 4)  # Arabic: + the joined forms
    text = page_text(raw)
    assert "ACLED Niamey, fieldwork" in text and "SYNTHETIC" in text
    assert title in text if lang == "en" else title[::-1] in text  # stored in visual order
    legend = translations(lang)["strings"]["legend.title"]
    assert legend in text if lang == "en" else legend[::-1] in text


def test_plain_glyphs_only_for_text_without_arabic() -> None:
    """Latin text is drawn without optional ligatures ("fi" stays two glyphs, as wide);
    Arabic text keeps them (DejaVu Sans joins lam-alef through "liga")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    if not hasattr(Text, "set_fontfeatures"):
        pytest.skip("font features came with matplotlib 3.11")
    fig = Figure()
    latin = fig.text(0, 0, "confidence, flows")
    arabic = fig.text(0, 0.5, "الإيذاء fieldwork")
    chosen = fig.text(0, 0.8, "fi", fontfeatures=("smcp",))
    renderer = FigureCanvasAgg(fig).get_renderer()
    width = latin.get_window_extent(renderer).width
    plain_glyphs(fig)
    assert latin.get_fontfeatures() == ("-liga",)
    assert latin.get_window_extent(renderer).width == width
    assert arabic.get_fontfeatures() is None and chosen.get_fontfeatures() == ("smcp",)


def test_static_public_view_has_no_incident_points(layers) -> None:
    import matplotlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        pub = prepare(None, layers=Layers(**layers), view="public")
    internal = prepare(None, layers=Layers(**layers), view="internal")
    n = len(layers["incidents"])

    def scatter_sizes(p):
        with matplotlib.rc_context({"text.parse_math": False}):
            fig = static.draw(p)
        ax = fig.axes[0]
        return [len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")]

    assert n in scatter_sizes(internal)
    assert n not in scatter_sizes(pub)


def _static_figure(lang: str = "en", **layers):
    import matplotlib

    p = prepare(None, layers=Layers(**layers), view="public", lang=lang, synthetic=True)
    with matplotlib.rc_context({"text.parse_math": False, "font.family": "DejaVu Sans"}):
        fig = static.draw(p)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    return fig, canvas


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_static_border_is_whole_and_labels_do_not_pile_up(lang) -> None:
    layers = crowded_layers()
    fig, canvas = _static_figure(lang, **layers)
    ax = fig.axes[0]
    img = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    height = img.shape[0]
    # every 2 km along the border, the pixel under the line is the border's near-black
    crs = study_crs(layers["units"])
    lines = layers["border"].to_crs(crs).geometry
    dark = total = 0
    for line in lines:
        dist = np.arange(0, line.length, 2000.0)
        pts = shapely.get_coordinates(shapely.line_interpolate_point(line, dist))
        for x, y in ax.transData.transform(pts):
            row, col = int(round(height - y)), int(round(x))
            total += 1
            dark += int(img[row, col].max() < 90)
    assert total > 1000
    assert dark / total > 0.93, f"border visible at {dark}/{total} points"
    # labels: at most MAX_LABELS, no two overlapping, cross-border ones first
    renderer = canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert 3 <= len(labels) <= _labels.MAX_LABELS
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in labels]
    frame = ax.get_window_extent(renderer)
    lines_px = shapely.union_all(
        [shapely.transform(g, ax.transData.transform) for g in lines.to_numpy()]
    )
    cross_word = "Cross-border hotspot" if lang == "en" else "بؤرة ساخنة عابرة للحدود"
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
        # only a cross-border label may cross the border, hiding <= 2 label heights
        cover = shapely.clip_by_rect(lines_px, *a.extents).length
        assert cover <= 2 * a.height + 1
        if cross_word not in labels[i].get_text():
            assert cover == 0
    texts = [t.get_text() for t in labels]
    n_cross = sum(cross_word in t for t in texts)
    assert n_cross >= 3 and all(cross_word in t for t in texts[:n_cross])
    # clusters are not drawn next to hotspot regions (the web map starts the same way)
    assert not any("luster" in t or "تجمّع" in t for t in texts)
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert translations(lang)["strings"]["legend.cluster"] not in legend
    if lang == "ar":  # right to left: swatches after the text, titles right-aligned
        assert fig.axes[1].get_legend()._legend_box.align == "right"
        assert fig.texts[0].get_horizontalalignment() == "right"


def test_static_export_errors(tmp_path, layers) -> None:
    with pytest.raises(DataError, match="cannot write a static map as 'svg'"):
        export_static(None, tmp_path / "m.svg", layers=Layers(units=layers["units"]))
    with pytest.raises(DataError, match="nothing to draw"):
        export_static(None, tmp_path / "m.png")


# ---------------------------------------------------------------------------
# docs and real data


@pytest.mark.parametrize(
    "module", [web, static, _prepare, _labels, _i18n, _format, bw_html, assets]
)
def test_docstring_examples_run(module) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


@pytest.mark.realdata
def test_many_real_units_mexico_usa(tmp_path) -> None:
    path = SHARED_DATA / "boundaries" / "mex_usa_border_adm2.geojson"
    if not path.exists():
        pytest.skip("../shared/data is not available")
    raw = gpd.read_file(path)
    raw["geometry"] = raw.geometry.make_valid()
    units = gpd.GeoDataFrame(
        {
            "name": raw["adm2_name"],
            "country": raw["adm0_iso3"],
            "incidents": np.arange(len(raw)) % 40,
        },
        geometry=raw.geometry,
        crs=raw.crs,
    )
    m = make_map(layers=Layers(units=units, border=border_from_units(units)), lang="es")
    out = save_map(m, tmp_path / "mex.html")
    assert out.stat().st_size < 5_000_000
    page = out.read_text(encoding="utf-8")
    assert network_urls(page) == []
    data = data_of(m)
    assert len(features(data, "units")) == len(units)
    assert {"México–Estados Unidos"} <= {f["properties"]["tip"] for f in features(data, "border")}


def test_cross_border_flags_given_as_text() -> None:
    regions = hotspot_regions()
    regions["cross_border"] = ["False", "true"]
    labels = [
        f["properties"]["lbl"]
        for f in features(data_of(quiet_map(layers=Layers(hotspots=regions))), "hotspots")
    ]
    assert labels == [
        "Hotspot 1: Méhana 134 incidents · Mali–Niger",
        "Cross-border hotspot 2: near I-n-Tillit <5 incidents · Mali",
    ]


def test_notebook_display_is_offline_too(layers) -> None:
    m = quiet_map(layers=Layers(units=layers["units"], meetings=meetings()))
    shown = m._repr_html_()
    assert shown.startswith("<div") and "srcdoc=" in shown
    import html as html_mod

    inner = html_mod.unescape(shown.split('srcdoc="', 1)[1].split('" style=', 1)[0])
    assert network_urls(inner) == []
    assert leaflet_js()[:200] in inner


def test_public_map_of_an_internal_result_with_the_real_privacy_module(tmp_path) -> None:
    from borderwatch.density import density

    layers = all_layers(hostile=True)
    inc = incidents(200)
    inc["category_raw"] = [f"free text report {i}" for i in range(len(inc))]
    metric = CRS.from_proj4("+proj=laea +lat_0=14.5 +lon_0=1.5 +datum=WGS84 +units=m +no_defs")
    result = AnalysisResult(
        units=layers["units"],
        border=layers["border"],
        crs=metric,
        incidents=inc,
        meetings=layers["meetings"],
        cells=layers["cells"],
        hotspots=hotspot_regions(),
        clusters=cluster_regions(),
        density=density(inc, bandwidth_km=10.0, crs=metric),
        summary={"cell_km": 25.0},
        view="internal",
        synthetic=True,
    )
    m = make_map(result)
    page = save_map(m, tmp_path / "public.html").read_text(encoding="utf-8")
    data = data_of(m)
    assert data["view"] == "public"
    assert "incidents" not in {x["key"] for x in data["layers"]}
    labels = [f["properties"]["lbl"] for f in features(data, "hotspots")]
    assert len(labels) == 1  # hotspot 2 (3 incidents) is dropped
    assert labels[0].startswith("Cross-border hotspot 1: ") and "134 incidents" in labels[0]
    assert data["lines"][0]["text"] == "Period: 2023-01 – 2023-12"  # months in the public view
    assert features(data, "hotspots")[0]["properties"]["v"][6:8] == ["2023-02", "2023-09"]
    assert "INC-0000" not in page and "free text report" not in page
    for x, y in zip(inc.geometry.x, inc.geometry.y, strict=True):
        assert not (repr(round(x, 5)) in page and repr(round(y, 5)) in page)
    assert network_urls(page) == []


@pytest.mark.parametrize("view", ["public", "internal"])
def test_written_maps_equal_make_map_and_export_static(
    demo_outputs, demo_public, demo_result, view, tmp_path
):
    """write_outputs prepares the view once for map.html and map.png: the same files as
    make_map and export_static, each preparing it on its own."""
    from PIL import Image

    result = demo_public if view == "public" else demo_result
    written = demo_outputs[view]
    alone = save_map(make_map(result, view=view, k=result.k), tmp_path / "map.html")
    ids = re.compile(r"[0-9a-f]{32}")  # folium's element ids differ on every run
    assert ids.sub("X", alone.read_text(encoding="utf-8")) == ids.sub(
        "X", (written / "map.html").read_text(encoding="utf-8")
    )
    png = export_static(result, tmp_path / "map.png", view=view)
    a, b = np.asarray(Image.open(png)), np.asarray(Image.open(written / "map.png"))
    assert a.shape == b.shape and np.array_equal(a, b)


# ---------------------------------------------------------------------------
# the incident points, column by column, against the earlier row-by-row code


def _row_by_row_categories(values: list) -> tuple[list, list, list]:
    """_categories as it was: one text per row, then the legend order and each point's."""
    from borderwatch.maps._format import is_missing
    from borderwatch.maps._html import to_text
    from borderwatch.maps._style import CATEGORY_COLORS, EXTRA_COLORS, NO_CATEGORY_COLOR

    cats = [None if is_missing(c) else to_text(c) for c in values]
    present = sorted(
        {c for c in cats if c is not None}, key=lambda c: (c not in CATEGORY_COLORS, c)
    )
    order = present + (["__none__"] if any(c is None for c in cats) else [])
    extra = iter(EXTRA_COLORS * (1 + len(order) // len(EXTRA_COLORS)))
    colors = [
        CATEGORY_COLORS.get(c) or (NO_CATEGORY_COLOR if c == "__none__" else next(extra))
        for c in order
    ]
    pos = {c: i for i, c in enumerate(order)}
    return order, colors, [pos[c if c is not None else "__none__"] for c in cats]


def _row_by_row_points(p, inc) -> dict:
    """The row-by-row parts of _incidents_layer as they were."""
    from borderwatch.maps._format import column, dates
    from borderwatch.maps._html import to_text

    sub = inc.frame.iloc[inc.take]
    lon, lat = inc.frame.geometry.x.to_numpy(), inc.frame.geometry.y.to_numpy()
    days_raw = dates(column(sub, "date"))
    day_numbers = (days_raw - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)
    months = [-1 if m is None else m for m in p.months.index(days_raw)]
    return {
        "lon": [round(float(v), 5) for v in lon[inc.take]],
        "lat": [round(float(v), 5) for v in lat[inc.take]],
        "days": [None if pd.isna(d) else int(d) for d in day_numbers],
        "m": months if any(m >= 0 for m in months) else None,
        "ids": [to_text(v) or None for v in column(sub, "id")],
    }


ODD_CATEGORIES = {
    "strings": ["iccs02_harm", "zz_new", "", "aa_new", "iccs02_harm", "__none__"],
    "missing": ["iccs05_property", None, np.nan, pd.NA, pd.NaT, "x", None],
    "numbers": [1, 1.0, True, 0.0, -0.0, "1", None, np.float64(2.5), np.int64(1)],
    "subclass": [type("Name", (str,), {})("iccs02_harm"), "iccs02_harm", None],
}


@pytest.mark.parametrize("name", sorted(ODD_CATEGORIES))
def test_categories_column_wise_equal_row_by_row(name: str) -> None:
    from borderwatch.maps._page import _categories

    values = ODD_CATEGORIES[name] * 30
    got = _categories(np.asarray(values, dtype=object))
    order, colors, index = _row_by_row_categories(values)
    assert list(got.order) == order and list(got.colors) == colors
    assert list(got.index) == index


def _odd_incidents(kind: str, n: int = 300) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(11)
    lon = rng.uniform(0.6, 3.0, n)
    lon[:4] = [1.234565, 1.234575, -0.000005, 2.5]  # halfway in decimal, not in binary
    lat = rng.uniform(13.8, 15.8, n)
    day = pd.Timestamp("1969-11-20") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    dates = pd.Series(day).where(rng.random(n) > 0.1)  # some NaT, some before 1970
    if kind == "tz":
        dates = pd.Series(day).dt.tz_localize("Africa/Lagos") + pd.Timedelta(hours=23)
    elif kind == "text":
        dates = pd.Series(day.strftime("%Y-%m-%d"), dtype=object).where(rng.random(n) > 0.1)
    ids: object = [f"I-{i}" if i % 7 else ("" if i % 2 else None) for i in range(n)]
    if kind == "int_ids":
        ids = np.arange(n) * 1000 - 500
    elif kind == "text":
        ids = pd.array([f"I-{i}" if i % 5 else None for i in range(n)], dtype="str")
    frame = gpd.GeoDataFrame(
        {"id": ids, "category": ["iccs02_harm", None, "zz"] * (n // 3), "sensitive": False},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    if kind != "no_date":
        frame["date"] = dates
    return frame


@pytest.mark.parametrize("kind", ["naive", "tz", "text", "int_ids", "no_date"])
@pytest.mark.parametrize("sample", [False, True])
def test_incident_points_column_wise_equal_row_by_row(kind: str, sample: bool, monkeypatch):
    from borderwatch.maps import _page, _prepare

    if sample:  # only some points drawn, in the sample's order
        monkeypatch.setattr(_prepare, "MAX_POINTS", 120, raising=False)
    inc = _odd_incidents(kind)
    p = prepare(layers=Layers(incidents=inc), view="internal")
    assert p.incidents is not None
    if sample:
        take = np.random.default_rng(5).permutation(len(inc))[:120]
        p.incidents.__dict__["take"] = take  # frozen dataclass: a chosen sample
    lay = layer(_page.page_data(p, tiles=None, fit=True, font_scale=1.0), "incidents")
    want = _row_by_row_points(p, p.incidents)
    assert lay["lon"] == want["lon"] and lay["lat"] == want["lat"]
    assert lay["cols"][1]["v"] == want["days"] and lay["m"] == want["m"]
    assert lay["cols"][0]["v"] == want["ids"]
    assert bw_html.script_json(lay["cols"][0]["v"]) == bw_html.script_json(want["ids"])
    if kind in ("naive", "text"):
        assert None in want["days"] and min(d for d in want["days"] if d is not None) < 0


def _grid_by_sorting(lon: np.ndarray, lat: np.ndarray) -> tuple:
    """_grid_layer's cells as they were found: np.unique of x * 1_000_003 + y."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    w, e, s, nn = lon.min(), lon.max(), lat.min(), lat.max()
    step = max((e - w), (nn - s)) / 120 or 0.01
    ix = np.floor((lon - w) / step).astype(np.int64)
    iy = np.floor((lat - s) / step).astype(np.int64)
    _, inv, cnt = np.unique(ix * 1_000_003 + iy, return_inverse=True, return_counts=True)
    cx = np.bincount(inv, weights=lon) / cnt
    cy = np.bincount(inv, weights=lat) / cnt
    return cx.tolist(), cy.tolist(), cnt.tolist()


@pytest.mark.parametrize("case", ["spread", "stacked", "one", "line", "nan"])
def test_grid_cells_by_counting_equal_the_sorted_keys(case: str) -> None:
    from borderwatch.maps import _page

    rng = np.random.default_rng(8)
    lon, lat = rng.uniform(0, 7, 5000), rng.uniform(10, 12, 5000)
    if case == "stacked":
        lon, lat = np.repeat(lon[:40], 100), np.repeat(lat[:40], 100)
    elif case == "one":
        lon, lat = np.array([3.0, 3.0]), np.array([11.0, 11.0])
    elif case == "line":
        lat = np.full_like(lon, 11.0)
    elif case == "nan":
        lon[::9], lat[::13] = np.nan, np.inf
    p = types.SimpleNamespace(tr=Tr("en"))
    out = _page._grid_layer(p, (lon, lat))  # type: ignore[arg-type]
    cx, cy, cnt = _grid_by_sorting(lon, lat)
    assert out["n"] == cnt
    assert out["lon"] == [round(v, 4) for v in cx] and out["lat"] == [round(v, 4) for v in cy]


def test_months_positions_equal_the_index() -> None:
    from borderwatch.maps._prepare import Months

    values = [pd.Timestamp("2019-12-31"), None, pd.NaT, pd.Timestamp("2021-03-01"), "2020-07"]
    for months in (Months(("2020-01",), first=2020 * 12, step=1), Months(first=2019 * 12, step=12)):
        want = [-1 if m is None else m for m in months.index(values)]
        assert months.positions(values).tolist() == want


def test_date_texts_equal_date_text_one_by_one() -> None:
    from borderwatch.maps._format import date_text, date_texts

    tz = pd.Timestamp("2024-03-05 23:30", tz="America/Mexico_City")
    cases = [
        [pd.Timestamp("2024-01-02"), None, pd.NaT, np.nan, tz, pd.Timestamp("1969-07-20 23:59")],
        [pd.Timestamp("2024-01-02"), "2024-02", " 2024-03 ", "05/04/2024", "bad"],
        [tz, pd.Timestamp("2024-03-06", tz="Asia/Tokyo")],
        [],
    ]
    for values in cases:
        for month in (False, True):
            assert date_texts(values, month=month) == [date_text(v, month=month) for v in values]


def test_what_a_map_shows_is_prepared_without_folium() -> None:
    # write_outputs prepares the view, forks the printed map, then imports folium beside it
    code = (
        "import sys\n"
        "import borderwatch.maps._prepare, borderwatch.maps.static\n"
        "assert 'folium' not in sys.modules\n"
        "import borderwatch.maps as m\n"
        "from borderwatch.maps import save_map\n"
        "import borderwatch.maps.web as web\n"
        "assert save_map is web.save_map and m.make_map is web.make_map\n"
        "assert m.export_static.__module__ == 'borderwatch.maps.static'\n"
        "assert {'make_map', 'export_handout', 'Layers'} <= set(dir(m))\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = borderwatch_maps_module().nothing


def borderwatch_maps_module() -> types.ModuleType:
    import borderwatch.maps

    return borderwatch.maps
