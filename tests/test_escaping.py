"""Escaping: hostile strings in every field reach the page only as inert data."""

from __future__ import annotations

import html
import json
import re
import warnings

import folium
import pytest
from branca.element import Element
from hypothesis import given, settings
from hypothesis import strategies as st

from _browser import HOSTILE, all_layers, hostile_units, meetings
from borderwatch.maps import Layers, export_static, make_map
from borderwatch.maps._html import (
    RawHTML,
    escape_html,
    json_block,
    script_json,
    to_jsonable,
    to_text,
)
from borderwatch.maps._offline import inline_script, inline_style

DATA_RE = re.compile(
    r'<script type="application/json" id="(bw-data-[0-9a-f]+)">(.*?)</script>', re.S
)


def page_data(m: folium.Map) -> tuple[str, list[dict]]:
    html_text = m.get_root().render()
    blocks = [json.loads(body) for _, body in DATA_RE.findall(html_text)]
    return html_text, blocks


def strings_in(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings_in(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in strings_in(v)]
    return []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_script_json_round_trips_and_cannot_close_the_script(name: str) -> None:
    value = HOSTILE[name]
    text = script_json({"v": value, "list": [value, None]})
    assert json.loads(text) == {"v": value, "list": [value, None]}
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    block = json_block([value], element_id="bw-data-1")
    body = block[len('<script type="application/json" id="bw-data-1">') : -len("</script>")]
    assert "</" not in body and "<!--" not in body
    assert json.loads(body) == [value]


def test_escape_html_and_to_text() -> None:
    assert escape_html(HOSTILE["img"]) == html.escape(HOSTILE["img"], quote=True)
    assert "<" not in escape_html(HOSTILE["script"])
    assert escape_html("a'b\"c") == "a&#x27;b&quot;c"
    assert escape_html(None) == "" and to_text(float("nan")) == "" and to_text(7) == "7"


def test_to_jsonable_handles_numpy_nan_and_dates() -> None:
    import numpy as np
    import pandas as pd

    out = to_jsonable(
        {"a": np.int64(3), "b": np.float32("nan"), "c": pd.Timestamp("2023-04-01"), 1: pd.NaT}
    )
    assert out == {"a": 3, "b": None, "c": "2023-04-01T00:00:00", "1": None}
    assert script_json(float("inf")) == "null"


def _item_by_item(values: list) -> list:
    """What to_jsonable made of a list before its whole-list path: one call per item."""
    return [to_jsonable(v) for v in values]


def _typed(values: list) -> list:
    return [(type(v).__name__, repr(v)) for v in values]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(min_value=-(10**400), max_value=10**400),
            st.booleans(),
            st.none(),
            st.text(max_size=3),
        ),
        min_size=50,
        max_size=120,
    )
)
def test_to_jsonable_whole_lists_equal_item_by_item(values: list) -> None:
    assert _typed(to_jsonable(values)) == _typed(_item_by_item(values))
    assert script_json(values) == script_json(_item_by_item(values))


def test_to_jsonable_long_lists_of_odd_items_equal_item_by_item() -> None:
    import enum

    import numpy as np
    import pandas as pd

    class Kind(enum.IntEnum):
        A = 1

    class Name(str):
        pass

    nan, inf = float("nan"), float("inf")
    odd = [
        np.float64(1.5),
        np.float32(nan),
        np.int64(7),
        np.bool_(True),
        Kind.A,
        Name("x"),
        pd.NaT,
        pd.Timestamp("2024-01-02"),
        [1.0, nan],
        (2, 3),
        {"a": inf},
        -inf,
        10**400,
    ]
    for n in (63, 64, 65, 500):
        base = [float(i) / 3 for i in range(n)]
        cases = [base, [*base[:-1], nan], [inf, *base[1:]], [*base[:-1], -inf]]
        cases += [[*base[:-1], o] for o in odd]
        cases += [[i % 5 if i % 3 else None for i in range(n)], ["a", None, True, 3] * (n // 4)]
        for values in cases:
            out = to_jsonable(values)
            assert _typed(out) == _typed(_item_by_item(values)), (n, values[-1])
            assert out is not values  # a copy, as before
            assert script_json(values) == script_json(_item_by_item(values))


def test_json_block_rejects_bad_ids() -> None:
    with pytest.raises(ValueError, match="invalid element id"):
        json_block({}, element_id='x" onload="alert(1)')


def test_raw_html_is_never_a_template() -> None:
    """branca's Element(text) evaluates Jinja in text; RawHTML must not."""
    payload = HOSTILE["jinja"]
    assert Element(payload).render() != payload  # the hazard RawHTML avoids
    assert RawHTML(payload).render() == payload


def test_inline_blocks_cannot_end_early() -> None:
    js = inline_script("var a = '</script><script>x()</script>'; // <!-- c")
    assert js.count("</script>") == 1 and js.endswith("</script>")
    assert "<!--" not in js
    with pytest.raises(ValueError, match="</style"):
        inline_style("a{} </style><script>x()</script>")


@pytest.mark.parametrize("view", ["public", "internal"])
def test_hostile_strings_reach_the_page_only_as_json(view: str) -> None:
    layers = all_layers(hostile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = make_map(
            layers=Layers(**layers),
            view=view,
            title=HOSTILE["script"],
            source=HOSTILE["img"],
            period=HOSTILE["template"],
            synthetic=True,
        )
    page, blocks = page_data(m)
    assert len(blocks) == 1
    data = blocks[0]
    texts = strings_in(data)
    # every hostile unit name survives exactly (unknown country codes pass through too)
    unit_titles = [f["properties"]["t"] for f in data["layers"][0]["fc"]["features"]]
    for value in HOSTILE.values():
        assert value in unit_titles
    assert data["title"] == HOSTILE["script"]
    assert any(HOSTILE["img"] in s for s in texts)  # the source line
    # meeting places and topics
    meeting_layer = next(layer for layer in data["layers"] if layer["key"] == "meetings")
    titles = [f["properties"]["t"] for f in meeting_layer["fc"]["features"]]
    assert any(HOSTILE["img"] in t for t in titles) and any(HOSTILE["jinja"] in t for t in titles)
    topics = [t for f in meeting_layer["fc"]["features"] for t in f["properties"]["v"][-1]]
    assert HOSTILE["template"] in topics and HOSTILE["arabic"] in topics
    # nothing hostile appears raw in the HTML, and Jinja was not evaluated
    for value in (HOSTILE["img"], HOSTILE["script"], HOSTILE["svg"]):
        assert value not in page
    assert "{{ 7*7 }}" in page and "\u2028" not in page and "\u2029" not in page
    # the page title is HTML-escaped
    assert f"<title>{html.escape(HOSTILE['script'], quote=True)}" in page
    if view == "internal":
        inc = next(layer for layer in data["layers"] if layer["key"] == "incidents")
        assert inc["cols"][0]["v"][0] == HOSTILE["js"]
        assert HOSTILE["img"] in inc["cols"][3]["d"] and HOSTILE["template"] in inc["cols"][4]["d"]


def test_hostile_tiles_attribution_and_ids_are_data() -> None:
    units = hostile_units()
    m = make_map(
        layers=Layers(units=units, meetings=meetings(hostile=True)),
        tiles="https://tiles.example.org/{z}/{x}/{y}.png",
        attribution=HOSTILE["img"],
    )
    page, (data,) = page_data(m)
    assert data["tiles"]["attribution"] == HOSTILE["img"]
    assert HOSTILE["img"] not in page


def test_static_export_shows_hostile_text_literally(tmp_path) -> None:
    layers = all_layers(hostile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = export_static(
            None,
            tmp_path / "hostile.png",
            layers=Layers(**layers),
            view="internal",
            title=HOSTILE["dollar"] + " " + HOSTILE["backslash"],
            source=HOSTILE["jinja"],
            dpi=40,
        )
    assert out.stat().st_size > 10_000


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_script_json_any_text(text: str) -> None:
    out = script_json({"t": text})
    assert json.loads(out) == {"t": text}
    assert not any(ch in out for ch in "<>&\u2028\u2029")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_translated_sentences_never_expand_placeholders_in_values(text: str) -> None:
    from borderwatch.maps._i18n import Tr

    for lang in ("en", "ar"):
        tr = Tr(lang)
        out = tr("label.hotspot", id=text, place="{k}")
        assert text in out and "{k}" in out
        out = tr("label.detail", n=text, where="{id}")
        assert text in out and "{id}" in out
