"""The planner-facing sentences of the planning tables, in each of the five languages.

Each sentence (effectiveness statement, coverage and outreach-gap note, overdue
note, representation note, source-divergence detail) is checked in every
language: the language's own words, no English left in another language, no
placeholder left, no causal wording, and the numbers in it are the row's.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from borderwatch.maps._i18n import LANGUAGES, Tr
from borderwatch.planning import plan, representation
from borderwatch.planning._sentences import (
    coverage_note,
    overdue_note,
    recording_stopped,
    under_reporting,
)
from borderwatch.planning.effectiveness import effectiveness, statement
from borderwatch.planning.sources import source_flags, sources

#: Words that would claim causation ("because of"), in the five languages.
CAUSAL = ("because", "due to", "à cause", "grâce", "debido a", "gracias a", "por causa", "بسبب")
#: The word for "after" in each language's effectiveness statement.
AFTER = {"en": "after", "fr": "après", "es": "después de", "pt": "após", "ar": "بعد"}


def _plain(text: str) -> str:
    return text.replace("\u2068", "").replace("\u2069", "")


def _numbers(text: str) -> list[int]:
    return sorted(int(n) for n in re.findall(r"[+-]?\d+", _plain(text)))


def _check(text: str, lang: str, *words: str) -> str:
    plain = _plain(text)
    assert "{" not in text and "}" not in text, text
    for word in words:
        assert _plain(word) in plain, (lang, word, plain)
    low = plain.lower()
    assert not any(c in low for c in CAUSAL), plain
    if lang != "en":  # nothing left in English
        for english in (
            "Incidents recorded",
            "meeting",
            "Outreach gap",
            "target",
            "Police records",
        ):
            assert english not in plain, (lang, english, plain)
    return plain


def _units(n: int = 8) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": [f"U{i}" for i in range(n)], "name": "unit", "country": "MLI"},
        geometry=[box(i * 0.5, 14, i * 0.5 + 0.5, 14.5) for i in range(n)],
        crs=4326,
    )


def _incidents(counts: dict[str, tuple[int, int]], t: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for uid, (before, after) in counts.items():
        for n, sign in ((before, -1), (after, 1)):
            for off in (np.arange(n) + 0.5) * 90 / max(n, 1):
                rows.append({"unit_id": uid, "date": t + sign * pd.Timedelta(days=float(off))})
    return pd.DataFrame(rows)


def _expected_effect(row: pd.Series) -> list[int]:
    """The numbers a statement must hold: change, 95, the CI bounds, the year, the comparison."""
    rr, lo, hi = row["rate_ratio"], row["ci_low"], row["ci_high"]
    nums = [95, pd.Timestamp(row["date"]).year]
    nums += [round(abs(rr - 1) * 100)] if abs(rr - 1) >= 0.005 else []  # "did not change"
    if lo <= 1 <= hi or rr > 1:
        nums += [round((lo - 1) * 100), round((hi - 1) * 100)]
    else:
        nums += [round((1 - hi) * 100), round((1 - lo) * 100)]
    return sorted([*nums, round(abs(row["comparison_ratio"] - 1) * 100)])


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("after", "verb"), [(40, "fell"), (160, "rose"), (100, None)])
def test_effect_statement_in_each_language_matches_its_row(lang: str, after: int, verb) -> None:
    t = pd.Timestamp("2024-07-01")
    counts = {"U0": (100, after)} | {f"U{i}": (95 + i, 96 + i) for i in range(1, 8)}
    mt = gpd.GeoDataFrame(
        {"id": ["M1"], "date": [t], "place": ["Ménaka"], "country": ["MLI"]},
        geometry=[Point(0.25, 14.25)],
        crs=4326,
    )
    eff = effectiveness(
        _incidents(counts, t),
        _units(),
        mt,
        radius_km=5,
        start=pd.Timestamp("2024-01-01"),
        end=pd.Timestamp("2024-12-31"),
        lang=lang,
    )
    row = eff.iloc[0]
    tr = Tr(lang)
    words = [AFTER[lang], tr("month.7"), "Ménaka", tr("effect.caveat_meeting")]
    if verb is not None:
        pct = round(abs(row["rate_ratio"] - 1) * 100)
        words += [tr(f"effect.{verb}", pct=pct)]
        assert row["ci_high"] < 1 if verb == "fell" else row["ci_low"] > 1
    else:
        words += [tr("effect.ci_unclear", lo="", hi="").split(" ")[0]]
        assert row["ci_low"] < 1 < row["ci_high"]
    plain = _check(row["statement"], lang, *words)
    assert _numbers(plain) == _expected_effect(row), plain
    assert plain == _plain(statement(row.to_dict(), lang=lang))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_effect_statement_too_few_and_action(lang: str) -> None:
    tr = Tr(lang)
    row = {
        "event": "action",
        "date": pd.Timestamp("2024-02-10"),
        "place": "Patrol the road",
        "rate_ratio": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "comparison_ratio": np.nan,
    }
    plain = _check(statement(row, lang=lang), lang, tr("month.2"), tr("effect.caveat_action"))
    assert _numbers(plain) == [2024] and "Patrol the road" not in plain


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("row", "expected", "key"),
    [
        (
            {
                "outreach_gap": True,
                "gap_kind": "no meeting",
                "meetings_recent": 0,
                "last_meeting": pd.Timestamp("2024-03-02"),
                "nearest_meeting_km": 31.4,
            },
            [20, 31, 2024],
            "cover.gap",
        ),
        (
            {
                "outreach_gap": True,
                "gap_kind": "one side",
                "meetings_recent": 2,
                "sides": "MLI,NER",
                "sides_covered": "NER",
            },
            [],
            "reason.one_side",
        ),
        (
            {
                "outreach_gap": False,
                "gap_kind": None,
                "meetings_recent": 3,
                "sides": "MLI,NER",
                "sides_covered": "MLI,NER",
                "last_meeting": pd.Timestamp("2024-06-01"),
            },
            [3, 20, 90],
            "cover.all_sides",
        ),
    ],
)
def test_coverage_note_in_each_language(lang: str, row: dict, expected: list[int], key: str):
    tr = Tr(lang)
    text = coverage_note(row, lang=lang, radius_km=20, window_days=90)
    plain = _check(text, lang, tr(key, what="", side="", sides="").split("(")[0].strip(": "))
    assert _numbers(plain) == sorted(expected), plain
    if row["gap_kind"] == "one side":
        assert tr.country("NER") in plain and tr.country("MLI") not in plain


@pytest.mark.parametrize("lang", LANGUAGES)
def test_overdue_note_in_each_language(lang: str) -> None:
    due, as_of = pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-15")
    plain = _check(overdue_note(due, as_of=as_of, lang=lang), lang, "2024-05-01")
    assert 45 in _numbers(plain.replace("2024-05-01", ""))
    public = _check(overdue_note(due, as_of=as_of, lang=lang, month_only=True), lang, "2024-05")
    assert "01" not in public and "45" not in public


@pytest.mark.parametrize("lang", LANGUAGES)
def test_representation_note_in_each_language(lang: str) -> None:
    tr = Tr(lang)
    mt = pd.DataFrame(
        {
            "att_women": [3, 10, None],
            "att_men": [17, 10, None],
            "att_youth": [4, 2, None],
            "att_migrants": [0, 1, None],
            "attendance": [24, 23, None],
            "country": ["MLI", "NER", "NER"],
            "unit_id": ["a", "b", "b"],
            "date": pd.to_datetime(["2024-01-05"] * 3),
        }
    )
    rep = representation(mt, by_period=False, lang=lang)
    mli = rep[rep["key"] == "MLI"].iloc[0]  # women 15 % < 30 %, youth 20 %, migrants 0 % < 10 %
    plain = _check(mli["note"], lang, tr("field.att_women"), tr("field.att_migrants"))
    assert _numbers(plain) == _expected_rep(mli), plain
    assert tr("field.att_youth") not in plain  # at its target: not flagged
    ner = rep[rep["key"] == "NER"].iloc[0]  # one meeting of two without attendance data
    assert ner["meetings_unknown"] == 1 and not ner["below_women"]
    plain = _check(ner["note"], lang, tr("rep.unknown", n=1, total=2), tr("field.att_youth"))
    assert _numbers(plain) == sorted([1, 2, *_expected_rep(ner)]), plain
    assert tr("field.att_women") not in plain
    ok = representation(mt.iloc[[1]].assign(att_youth=5, att_migrants=3), lang=lang)
    assert set(ok["note"]) == {tr("rep.ok") + "."}


def _expected_rep(row: pd.Series) -> list[int]:
    """Share and target (whole percent) of each group below its target."""
    targets = {"women": 30, "youth": 20, "migrants": 10}
    return sorted(
        n
        for g, t in targets.items()
        if pd.notna(row[f"below_{g}"]) and bool(row[f"below_{g}"])
        for n in (round(row[f"share_{g}"] * 100), t)
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_source_flags_in_each_language(lang: str) -> None:
    tr = Tr(lang)
    rows = []
    for q, (police, community) in enumerate([(6, 7), (5, 8), (0, 9), (0, 10)]):
        d = pd.Timestamp("2024-01-15") + pd.DateOffset(months=3 * q)
        rows += [{"unit_id": "A", "country": "MLI", "date": d, "reported_by": "Police"}] * police
        rows += [
            {"unit_id": "A", "country": "MLI", "date": d, "reported_by": "Community"}
        ] * community
    flags = source_flags(sources(pd.DataFrame(rows)), k=5, lang=lang).set_index("flag")
    under = _check(flags.loc["under-reporting", "detail"], lang, under_reporting(11, 34, lang=lang))
    assert _numbers(under) == [11, 34]
    stopped = flags.loc["recording stopped", "detail"]
    plain = _check(stopped, lang, tr("source.police"))
    assert plain == _plain(recording_stopped("police", 11, ["2024Q3", "2024Q4"], lang=lang))
    assert 11 in _numbers(plain.replace("2024Q3", "").replace("2024Q4", ""))


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_plan_writes_every_sentence_in_the_settings_language(lang: str) -> None:
    """``plan`` takes the language from the settings (``--lang``), for every table."""
    from test_planning import _meetings, _result

    mt = _meetings([("M1", 1.2, 14.5, "NER", "2024-12-01")])
    mt["unit_id"] = "B"
    res = _result(mt, lang=lang)
    p = plan(res)
    tr = Tr(lang)
    assert p.lang == lang
    gap = p.coverage[p.coverage["outreach_gap"]].iloc[0]
    assert _plain(tr("cover.gap", what="")).strip(": ") in _plain(gap["note"])
    assert all(isinstance(n, str) and n for n in p.representation["note"])
    public = p.public(k=5)
    assert list(public.coverage["note"]) == [
        coverage_note(r, lang=lang, radius_km=20, window_days=90)
        for r in public.coverage.to_dict("records")
    ]


def test_the_sentences_translate_without_importing_the_maps() -> None:
    # the translator lives in borderwatch._i18n: the planning tables (analyze without
    # write_outputs) need not load folium; the maps' translator is the same class
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import pandas as pd\n"
        "from borderwatch.planning._reasons import reason\n"
        "from borderwatch.planning._sentences import effect_statement\n"
        "row = {'event': 'meeting', 'date': pd.Timestamp('2024-03-12'), 'place': 'M',\n"
        "       'rate_ratio': 0.7, 'ci_low': 0.55, 'ci_high': 0.9, 'comparison_ratio': 0.95}\n"
        "assert 'après' in effect_statement(row, lang='fr')\n"
        "assert reason({'kind': 'unit', 'name': 'A'}, lang='es', radius_km=10, window_days=90, k=5)\n"
        "bad = [m for m in ('folium', 'branca', 'matplotlib', 'borderwatch.maps') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from borderwatch import _i18n
    from borderwatch.maps import _i18n as maps_i18n

    assert maps_i18n.Tr is _i18n.Tr and maps_i18n.LANGUAGES is _i18n.LANGUAGES
