"""Meeting maps a room can read (issue 12), without a browser.

Places on every area's label, numbers by rank, the same labels in every
language and format, titles and sources, plain words, sides without data,
cross-border styles, the facilitator's handout and the new settings. The
browser side (layout, fit, fonts, English left in other languages) is in
``test_browser_layout.py``.
"""

from __future__ import annotations

import json
import warnings

import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pytest
from pyproj import CRS
from shapely.geometry import box

from _browser import (
    border_from_units,
    cells_grid,
    cluster_regions,
    crowded_layers,
    crowded_regions,
    hotspot_regions,
    liptako_units,
    meetings,
)
from borderwatch._errors import BorderwatchWarning, DataError
from borderwatch._result import AnalysisResult
from borderwatch.maps import LANGUAGES, Layers, _areas, _labels, make_map, static
from borderwatch.maps._i18n import Tr
from borderwatch.maps._prepare import prepare
from borderwatch.maps._title import data_title, looks_like_path
from borderwatch.maps.handout import draw_handout, export_handout, handout_places
from borderwatch.settings import Settings


def data_of(m: folium.Map) -> dict:
    html = m.get_root().render()
    start = html.index('<script type="application/json" id="bw-data-')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def layer(data: dict, key: str) -> dict:
    return next(x for x in data["layers"] if x["key"] == key)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return fn(*args, **kwargs)


def page_labels(data: dict, key: str = "hotspots") -> dict[int, str]:
    """{number: label} of the areas the page labels first (priority < maxLabels)."""
    return {
        f["properties"]["no"]: f["properties"]["lbl"]
        for f in layer(data, key)["fc"]["features"]
        if f["properties"].get("lr", 99) < data["maxLabels"]
    }


def static_labels(p) -> dict[int, str]:
    with matplotlib.rc_context({"text.parse_math": False, "font.family": "DejaVu Sans"}):
        drawn = static.render(p)
    return {key[1]: text for key, text in ((x.key, x.text) for x in drawn.labels)}


# ---------------------------------------------------------------------------
# numbers, places and the same labels everywhere


def test_areas_are_numbered_by_rank_and_hidden_counts_rank_last():
    regions = hotspot_regions()
    regions = regions.iloc[[1, 0]].reset_index(drop=True)  # the small one first in the data
    p = prepare(layers=Layers(hotspots=regions))
    assert p.hotspots.labels.numbers == (2, 1)
    assert [p.hotspots.labels.texts[i] for i in p.hotspots.labels.ids()][0].startswith(
        "Cross-border hotspot 1: "
    )
    many = crowded_regions(border_from_units(liptako_units()))
    numbers = prepare(layers=Layers(hotspots=many)).hotspots.labels.numbers
    assert numbers == tuple(range(1, 19))  # 400 - 15 i incidents; the last has 3 ("<5")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_same_areas_get_the_same_numbers_in_every_language(lang):
    layers = Layers(**crowded_layers())
    en = page_labels(data_of(quiet(make_map, layers=layers)))
    other = page_labels(data_of(quiet(make_map, layers=layers, lang=lang)))
    assert sorted(other) == sorted(en) and len(en) == _labels.MAX_LABELS
    for number, text in other.items():
        assert f"{number}" in text


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_the_same_labels_in_the_web_map_and_on_paper(lang):
    layers = Layers(**crowded_layers())
    web = page_labels(data_of(quiet(make_map, layers=layers, lang=lang)))
    paper = static_labels(quiet(prepare, layers=layers, lang=lang))
    assert paper and set(paper) <= set(web)
    assert len(paper) >= 4  # A4 fits most of the six
    for number, text in paper.items():
        assert text.replace("\n", " ") == web[number]


def test_labels_name_towns_and_units():
    units = liptako_units()
    p = prepare(layers=Layers(units=units, hotspots=hotspot_regions()), view="internal")
    first, second = p.hotspots.labels.lines[0]
    assert first == "Cross-border hotspot 1: Méhana "
    assert second == "134 incidents · Mali–Niger"  # a cross-border area: its countries
    first, second = p.hotspots.labels.lines[1]
    assert first == "Hotspot 2: near I-n-Tillit " and second == "3 incidents · Timbuktu, Gao"
    assert p.hotspots.labels.places[1].units == ("Timbuktu", "Gao")
    # the popup lists the towns and units
    data = data_of(make_map(layers=Layers(units=units, hotspots=hotspot_regions())))
    values = layer(data, "hotspots")["fc"]["features"][0]["properties"]["v"]
    assert values[0][:1] == ["Méhana"] and "Tillabéri" in values[0]
    assert layer(data, "hotspots")["fields"][:2] == ["Towns", "Areas covered"]


def test_a_new_kind_of_area_plugs_in_with_one_entry():
    """Scan clusters (Hotspot-truth issue) and priorities (Planning issue) use the same path."""
    scan = hotspot_regions().rename(columns={"hotspot_id": "scan_id"})
    prio = cluster_regions().rename(columns={"cluster_id": "priority_id"})
    data = data_of(make_map(layers=Layers(scan=scan, priorities=prio), view="internal"))
    assert [x["key"] for x in data["layers"] if x["key"] != "towns"] == ["scan", "priorities"]
    scan_labels = [f["properties"]["lbl"] for f in layer(data, "scan")["fc"]["features"]]
    assert scan_labels[0].startswith("Cross-border scan cluster 1: ")
    prio_labels = [f["properties"]["lbl"] for f in layer(data, "priorities")["fc"]["features"]]
    assert prio_labels[1].startswith("Priority 2: ")
    assert [a.layer for a in _areas.AREA_KINDS] == ["hotspots", "scan", "priorities", "clusters"]
    assert {"scan", "priorities"} <= set(Layers.names())
    # a result with a scan layer draws it, like hotspots
    result = AnalysisResult(
        units=liptako_units(), border=None, crs=CRS.from_epsg(3857), view="internal"
    )
    object.__setattr__(result, "scan", scan)  # what the Hotspot-truth issue adds
    assert prepare(result, view="internal").area("scan") is not None


@pytest.mark.realdata
@pytest.mark.slow
def test_the_two_top_mexico_hotspots_read_tijuana_and_juarez(shared_data, tmp_path):
    from borderwatch import analyze

    result = quiet(
        analyze,
        shared_data / "boundaries" / "mex_usa_border_adm2.geojson",
        shared_data / "events" / "ucdp_ged_mexico_border_states_1989_2023.csv",
        unit_id_col="adm2_code",
        unit_name_col="adm2_name",
        unit_country_col="adm0_iso3",
        view="internal",
        permutations=99,
        scan_replicates=0,  # the labels come from the Gi* hotspot regions
        cluster_replicates=19,
    )
    texts = {}
    for lang in ("en", "fr", "ar"):
        data = data_of(make_map(result, view="internal", lang=lang))
        texts[lang] = page_labels(data)
        assert "Tijuana" in texts[lang][1] and "Juárez" in texts[lang][2], texts[lang]
    assert sorted(texts["en"]) == sorted(texts["fr"]) == sorted(texts["ar"])
    paper = static_labels(prepare(result, view="internal"))
    assert paper[1].startswith("Hotspot 1: Tijuana") and "Juárez" in paper[2]
    # the US side has no incidents: no data, never 0, and the title comes from the data
    data = data_of(make_map(result, view="internal", lang="fr"))
    assert data["title"] == "Incidents près de la frontière Mexique–États-Unis, 2004–2023"
    usa = [
        f for f in layer(data, "units")["fc"]["features"] if f["properties"]["v"][0] == "États-Unis"
    ]
    assert usa and all(f["properties"].get("nd") for f in usa)
    assert {f["properties"]["v"][1] for f in usa} == {"pas de données"}
    assert any("États-Unis" in line["text"] for line in data["lines"])
    lines = " ".join(line["text"] for line in data_of(make_map(result, view="internal"))["lines"])
    assert "Source: ucdp_ged_mexico_border_states_1989_2023.csv" in lines and "shared" not in lines


# ---------------------------------------------------------------------------
# title, source, plain words, no data, cross-border style


def test_default_title_comes_from_the_data_in_every_language():
    tr = Tr("en")
    assert data_title(tr, ["MEX", "USA"], "2004–2023") == (
        "Incidents near the Mexico–United States border, 2004–2023"
    )
    assert data_title(tr, ["BFA", "MLI", "NER"], "2023") == (
        "Incidents near the Burkina Faso–Mali–Niger borders, 2023"
    )
    assert data_title(tr, ["MLI"], None) == "Incidents in Mali"
    assert data_title(tr, [], "2023") is None
    units = liptako_units()
    for lang in LANGUAGES:
        p = prepare(
            layers=Layers(units=units, border=border_from_units(units), hotspots=hotspot_regions()),
            lang=lang,
        )
        assert "2023" in p.title and Tr(lang).country("NER") in p.title
    p = prepare(layers=Layers(units=units), title="Our meeting")
    assert p.title == "Our meeting"


def test_the_demo_title_and_source_are_translated(demo_public):
    fr = prepare(demo_public, lang="fr")
    assert fr.title == "Incidents près des frontières Burkina Faso–Mali–Niger, 2023–2024"
    assert fr.source == "données de démonstration synthétiques ; limites : Natural Earth"
    assert prepare(demo_public).title.startswith(
        "Incidents near the Burkina Faso–Mali–Niger borders"
    )


def test_the_source_line_never_shows_a_directory():
    assert looks_like_path("C:\\data\\x.xlsx") and looks_like_path("x.csv")
    assert not looks_like_path("UCDP GED 23.1")
    units = liptako_units()
    result = AnalysisResult(
        units=units, border=None, crs=CRS.from_epsg(3857), source="/home/ana/police/2023.csv"
    )
    assert prepare(result, view="internal").source == "2023.csv"
    assert prepare(result, view="public").source is None
    given = result.replace(settings=Settings(source="Police reports 2023"))
    assert prepare(given, view="public").source == "Police reports 2023"
    data = data_of(quiet(make_map, result))
    assert not any("2023.csv" in line["text"] or "police" in line["text"] for line in data["lines"])


def test_plain_words_in_public_technical_terms_in_internal():
    cells = cells_grid()
    pub = prepare(layers=Layers(cells=cells, hotspots=hotspot_regions()))
    internal = prepare(layers=Layers(cells=cells, hotspots=hotspot_regions()), view="internal")
    assert (
        pub.tr.hotspot_class("hot", 95) == "Many more incidents than in the surrounding area (sure)"
    )
    assert pub.tr.hotspot_class("cold", 90) == (
        "Far fewer incidents than in the surrounding area (fairly sure)"
    )
    assert internal.tr.hotspot_class("hot", 95) == "Hot spot – 95% confidence"
    pub_data = data_of(make_map(layers=Layers(cells=cells)))
    text = json.dumps(pub_data["legend"], ensure_ascii=False)
    assert "Getis" not in text and "confidence" not in text
    int_data = data_of(make_map(layers=Layers(cells=cells), view="internal"))
    assert "Getis-Ord Gi*" in json.dumps(int_data["legend"])
    for lang in LANGUAGES:  # every language has the plain words
        tr = Tr(lang, plain=True)
        assert tr.hotspot_class("hot", 99) != Tr(lang).hotspot_class("hot", 99)


def test_a_side_without_data_is_no_data_never_zero():
    units = liptako_units()
    units.loc[units["country"] == "NER", "incidents"] = 0
    p = prepare(layers=Layers(units=units, cells=cells_grid().assign(countries="NER")))
    assert p.units.no_data_countries == ("NER",)
    ner = (units["country"] == "NER").to_numpy()
    assert all(np.array(p.units.no_data)[ner]) and not any(np.array(p.units.no_data)[~ner])
    assert p.cells is None  # cells only in Niger say nothing about it
    data = data_of(make_map(layers=Layers(units=units)))
    items = [it for sec in data["legend"] for it in sec["items"]]
    assert {"k": "hatch", "c": "#f2f2f2", "label": "No data (Niger)", "key": "units"} in items
    assert not any(it["label"] == "0" for it in items)  # no class of 0 made of the empty side
    feats = layer(data, "units")["fc"]["features"]
    assert {f["properties"]["v"][1] for f, n in zip(feats, ner, strict=True) if n} == {"no data"}
    assert (
        data["lines"][-1]["text"]
        == "No incidents recorded (Niger): shown as “no data”, not as zero."
    )
    # on paper too: hatched, and the note under the title
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = static.draw(p)
    assert any(t.get_text().startswith("No incidents recorded (Niger)") for t in fig.texts)
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "No data (Niger)" in legend
    # one country alone with zeros is simply zero
    alone = liptako_units().assign(incidents=0)
    assert prepare(layers=Layers(units=alone)).units.no_data_countries == ()


def test_cross_border_areas_have_their_own_style_and_legend_entry():
    data = data_of(make_map(layers=Layers(hotspots=hotspot_regions()), view="internal"))
    spec = layer(data, "hotspots")
    feats = spec["fc"]["features"]
    assert [f["properties"].get("x", False) for f in feats] == [True, False]
    assert spec["crossStyle"]["weight"] > spec["style"]["weight"]
    assert len(spec["inner"]["fc"]["features"]) == 1  # the light inner line of the double outline
    items = [it for sec in data["legend"] for it in sec["items"] if it.get("key") == "hotspots"]
    assert [(it["k"], it["label"]) for it in items] == [
        ("outline", "Hotspot region"),
        ("double", "Cross-border hotspot region"),
    ]
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = static.draw(prepare(layers=Layers(hotspots=hotspot_regions()), view="internal"))
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "Cross-border hotspot region" in legend


def test_demo_topics_are_translated_and_user_topics_kept():
    fr = Tr("fr")
    assert fr.topic("cattle theft") == "vol de bétail"
    assert fr.topic(" women's safety at water points ") == "sécurité des femmes aux points d'eau"
    assert fr.topic("Puits de Tillia") == "Puits de Tillia"
    from borderwatch.datasets import _TOPICS

    for lang in LANGUAGES:
        tr = Tr(lang)
        assert all(
            tr.has("topic." + t.replace("'", "_").replace(" ", "_").replace("-", "_"))
            for t in _TOPICS
        )
    data = data_of(make_map(layers=Layers(meetings=meetings()), lang="ar"))
    topics = layer(data, "meetings")["fc"]["features"][0]["properties"]["v"][-1]
    assert topics == ["سرقة الماشية", "قطع الطرق"]


def test_towns_context_layer():
    data = data_of(make_map(layers=Layers(units=liptako_units())))
    towns = layer(data, "towns")
    assert towns["type"] == "towns" and towns["show"] is True
    assert len(towns["names"]) == len(towns["lon"]) == len(towns["pop"]) > 50
    assert towns["pop"] == sorted(towns["pop"], reverse=True)  # largest first
    assert "Niamey" in towns["names"][:10]
    assert "towns" not in {
        x["key"]
        for x in data_of(make_map(layers=Layers(units=liptako_units()), places=False))["layers"]
    }


# ---------------------------------------------------------------------------
# the handout and the settings


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_handout_has_the_map_places_legend_and_limits(tmp_path, lang):
    layers = Layers(**crowded_layers())
    out = quiet(
        export_handout,
        None,
        tmp_path / f"handout_{lang}.pdf",
        layers=layers,
        lang=lang,
        synthetic=True,
    )
    assert out.read_bytes()[:4] == b"%PDF" and out.stat().st_size > 30_000
    p = quiet(prepare, layers=layers, lang=lang, synthetic=True, plain=True)
    tr = Tr(lang, plain=True)
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = draw_handout(p)
    texts = "\n".join(t.get_text() for t in fig.texts)
    for key in (
        "handout.places",
        "handout.read",
        "handout.cannot",
        "handout.cannot_cause",
        "handout.cannot_compare",
        "handout.read_cross",
    ):
        assert tr(key, k=p.k).split()[0] in texts, key
    assert fig.get_size_inches().tolist() == pytest.approx([8.27, 11.69])
    # the places are the map's labels, by number
    places = handout_places(p)
    assert len(places) == 8
    numbers = [
        int("".join(ch for ch in first.split(":")[0] if ch.isdigit())) for first, _ in places
    ]
    assert numbers == list(range(1, 9))
    web = data_of(quiet(make_map, layers=layers, lang=lang))
    labels = {
        f["properties"]["no"]: f["properties"]["lbl"]
        for f in layer(web, "hotspots")["fc"]["features"]
    }
    for number, (first, second) in zip(numbers, places, strict=True):
        assert labels[number] == f"{first} {second}"
    with pytest.raises(DataError, match="a handout is a PDF"):
        export_handout(None, tmp_path / "handout.png", layers=layers)


def test_settings_title_source_handout_and_languages():
    s = Settings(lang="fr,ar", title="Réunion", source="Police", handout=True)
    assert s.languages == ("fr", "ar") and s.lang == "fr,ar"
    assert Settings.from_mapping({"lang": "es, pt"}).languages == ("es", "pt")
    for bad in ("fr,xx", "", "fr,fr"):
        with pytest.raises(DataError, match="comma-separated list"):
            Settings(lang=bad)
    from borderwatch.cli import _parser, _settings

    args = _parser().parse_args(
        ["demo", "--out", "x", "--lang", "fr,ar", "--title", "T", "--source", "S", "--handout"]
    )
    got = _settings(args)
    assert (got.languages, got.title, got.source, got.handout) == (("fr", "ar"), "T", "S", True)


@pytest.mark.slow
def test_write_outputs_writes_one_handout_per_language(demo_public, tmp_path):
    from borderwatch import write_outputs

    out = quiet(
        write_outputs, demo_public, tmp_path / "out", lang="fr,ar", static=False, handout=True
    )
    assert (out / "handout_fr.pdf").is_file() and (out / "handout_ar.pdf").is_file()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"handout_fr.pdf", "handout_ar.pdf"} <= set(summary["files"])
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '"lang": "fr"' in html or '"lang":"fr"' in html


def test_label_texts_stay_out_of_the_page_html_outside_json():
    units = liptako_units()
    units.loc[0, "name"] = "<b>x</b>"
    html = make_map(layers=Layers(units=units, hotspots=hotspot_regions())).get_root().render()
    assert "<b>x</b>" not in html


def test_areas_with_points_and_no_units_still_get_labels():
    pts = gpd.GeoDataFrame(
        {"hotspot_id": [1], "n_incidents": [9], "countries": ["NER"], "cross_border": [False]},
        geometry=[box(2.05, 13.45, 2.15, 13.55).centroid],
        crs=4326,
    )
    p = prepare(layers=Layers(hotspots=pts), view="internal")
    assert p.hotspots.labels.texts[0] == "Hotspot 1: near Niamey 9 incidents · Niger"
