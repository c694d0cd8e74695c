"""Planning: planted scenarios whose answer is known (coverage, priorities, effectiveness,
representation, actions, reasons in five languages, the action plan's round trip)."""

from __future__ import annotations

import importlib
import warnings

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box

from borderwatch import DataError
from borderwatch._crs import study_crs
from borderwatch._result import AnalysisResult
from borderwatch.outputs import _write_action_plan
from borderwatch.planning import (
    overdue_actions,
    plan,
    priorities,
    rate_ratio_ci,
    read_actions,
    representation,
    with_reasons,
)
from borderwatch.planning._reasons import reason
from borderwatch.planning.actions import action_plan
from borderwatch.planning.coverage import coverage
from borderwatch.planning.effectiveness import effectiveness
from borderwatch.planning.sources import source_flags, sources
from borderwatch.privacy.planning import public_priorities
from borderwatch.settings import Settings

END = pd.Timestamp("2024-12-31")


def _units() -> gpd.GeoDataFrame:
    """Mali | Niger | Mali | Mali: borders at lon 1 and 2."""
    return gpd.GeoDataFrame(
        {
            "unit_id": ["A", "B", "D", "C"],
            "name": ["Alpha", "Bravo", "Delta", "Charlie"],
            "country": ["MLI", "NER", "MLI", "MLI"],
        },
        geometry=[box(0, 14, 1, 15), box(1, 14, 2, 15), box(2, 14, 3, 15), box(3, 14, 4, 15)],
        crs=4326,
    )


def _points(center: tuple[float, float], n: int, rng: np.random.Generator) -> list[Point]:
    xy = rng.uniform(-0.08, 0.08, size=(n, 2)) + np.asarray(center)
    return [Point(x, y) for x, y in xy]


def _meetings(rows: list[tuple[str, float, float, str, str]]) -> gpd.GeoDataFrame:
    """(id, lon, lat, country, date) -> a joined meetings frame."""
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "date": pd.to_datetime([r[4] for r in rows]),
            "place": [f"village {r[0]}" for r in rows],
            "country": [r[3] for r in rows],
            "att_women": 8,
            "att_men": 12,
            "att_youth": 5,
            "att_migrants": 3,
            "attendance": 28,
        },
        geometry=[Point(r[1], r[2]) for r in rows],
        crs=4326,
    )


def _result(meetings: gpd.GeoDataFrame | None, **settings: object) -> AnalysisResult:
    """Two hotspots of 80 incidents each: one across the Mali–Niger border at lon 1, one
    inside Mali (lon 3.5); incidents over 2024, none sensitive."""
    rng = np.random.default_rng(7)
    units = _units()
    pts = _points((1.0, 14.5), 80, rng) + _points((3.5, 14.5), 80, rng)
    days = rng.integers(0, 366, len(pts))
    inc = gpd.GeoDataFrame(
        {
            "id": [f"I{i}" for i in range(len(pts))],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "sensitive": False,
        },
        geometry=pts,
        crs=4326,
    )
    inc = gpd.sjoin(inc, units, predicate="within").drop(columns="index_right")
    regions = gpd.GeoDataFrame(
        {
            "hotspot_id": [1, 2],
            "n_incidents": [80, 80],
            "countries": ["MLI,NER", "MLI"],
            "cross_border": [True, False],
        },
        geometry=[box(0.9, 14.4, 1.1, 14.6), box(3.4, 14.4, 3.6, 14.6)],
        crs=4326,
    )
    border = gpd.GeoDataFrame({"countries": []}, geometry=[], crs=4326)
    s = Settings(view="internal", **settings)
    return AnalysisResult(
        units=units.assign(incidents=[40, 40, 0, 80]),
        border=border,
        crs=study_crs(units),
        incidents=inc,
        meetings=meetings,
        hotspots=regions,
        settings=s,
    )


# ------------------------------------------------------------------------------ priorities


def test_uncovered_cross_border_hotspot_outranks_covered_interior_one() -> None:
    covered = _meetings([(f"M{i}", 3.5, 14.5, "MLI", f"2024-12-0{i + 1}") for i in range(3)])
    res = _result(covered)
    p = priorities(res)
    by_area = p.set_index("area_id")
    assert by_area.loc["1", "rank"] == 1 and by_area.loc["2", "rank"] == 2
    assert bool(by_area.loc["1", "outreach_gap"]) and by_area.loc["1", "gap_kind"] == "no meeting"
    assert not bool(by_area.loc["2", "outreach_gap"])
    assert by_area.loc["2", "meetings_recent"] == 3
    # the components say why: same strength, cross-border and outreach differ
    assert by_area.loc["1", "score_strength"] == pytest.approx(
        by_area.loc["2", "score_strength"], abs=0.05
    )
    assert (
        by_area.loc["1", "score_cross_border"] == 1 and by_area.loc["2", "score_cross_border"] == 0
    )
    assert by_area.loc["1", "score_outreach"] == 1 and by_area.loc["2", "score_outreach"] == 0
    assert p["score"].is_monotonic_decreasing
    assert p["reason"].iloc[0].startswith("Cross-border hotspot at ")
    assert "no community meeting within 20 km" in p["reason"].iloc[0]


def test_weights_change_the_ranking() -> None:
    covered = _meetings([(f"M{i}", 3.5, 14.5, "MLI", f"2024-12-0{i + 1}") for i in range(3)])
    res = _result(covered)
    only_meetings = {"strength": 0, "trend": 0, "cross_border": 0, "sensitive": 0, "outreach": 0}
    p = priorities(res, res.settings.replace(priority_weights={**only_meetings, "overdue": 1}))
    assert set(p["score"]) == {0.0}  # no overdue action anywhere: every score 0
    with pytest.raises(DataError, match="priority_weights"):
        Settings(priority_weights={"luck": 1})


def test_cross_border_hotspot_covered_on_one_side_is_an_outreach_gap() -> None:
    one_side = _meetings([("M1", 0.97, 14.5, "MLI", "2024-11-20")])
    cov = coverage(_result(one_side).hotspots, one_side, as_of=END)
    row = cov.iloc[0]
    assert row["meetings_recent"] == 1 and row["sides_covered"] == "MLI"
    assert bool(row["outreach_gap"]) and row["gap_kind"] == "one side"
    both = _meetings(
        [("M1", 0.97, 14.5, "MLI", "2024-11-20"), ("M2", 1.03, 14.5, "NER", "2024-12-02")]
    )
    row = coverage(_result(both).hotspots, both, as_of=END).iloc[0]
    assert bool(row["covered_all_sides"]) and not bool(row["outreach_gap"])
    # a meeting too long ago does not cover, but is the last meeting
    old = _meetings(
        [("M1", 0.97, 14.5, "MLI", "2024-06-01"), ("M2", 1.03, 14.5, "NER", "2024-06-02")]
    )
    row = coverage(_result(old).hotspots, old, as_of=END).iloc[0]
    assert (
        row["gap_kind"] == "no meeting"
        and row["days_since_meeting"] == (END - pd.Timestamp("2024-06-02")).days
    )
    # a venue 30 km away is beyond the 20 km reach
    far = _meetings([("M1", 1.0, 14.87, "NER", "2024-12-01")])
    row = coverage(_result(far).hotspots, far, as_of=END).iloc[0]
    assert row["meetings_recent"] == 0 and 20 < row["nearest_meeting_km"] < 40


def test_coverage_of_every_layer_and_units() -> None:
    res = _result(_meetings([("M1", 3.5, 14.5, "MLI", "2024-12-01")]))
    pl = plan(res)
    kinds = set(pl.coverage["kind"])
    assert kinds == {"hotspot", "unit"}
    units = pl.coverage[pl.coverage["kind"] == "unit"]
    assert not units["outreach_gap"].any()  # units are not hotspots here (no classes)
    assert pl.summary()["n_gaps"] == 1


# ------------------------------------------------------------------------------ actions


def _actions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4", "a5"],
            "action": ["patrol", "repair light", "women's committee", "hotline poster", "visit"],
            "owner": ["Police Ménaka", "Mayor", "Police Ménaka", "NGO", "Mayor"],
            "due": ["2024-10-01", "2024-11-15", "2024-12-20", "2024-09-01", "2025-02-01"],
            "status": ["open", "en cours", "open", "fait", "open"],
            "done_date": [None, None, None, "2024-08-28", None],
            "meeting": ["M1", "M1", "M2", None, "M2"],
            "lon": [1.0, 1.0, None, None, None],
            "lat": [14.5, 14.5, None, None, None],
        }
    )


def test_overdue_actions_are_counted() -> None:
    acts = read_actions(_actions())
    assert acts["status"].tolist() == ["open", "open", "open", "done", "open"]
    late = overdue_actions(acts, as_of=END)
    assert late["action_id"].tolist() == ["a1", "a2", "a3"]
    assert overdue_actions(acts, as_of=END, by="owner").to_dict() == {
        "Mayor": 1,
        "Police Ménaka": 2,
    }
    assert overdue_actions(acts, as_of=END, by="meeting_id").to_dict() == {"M1": 2, "M2": 1}
    # placed at their coordinates or their meeting: two near the cross-border hotspot
    mt = _meetings([("M1", 1.0, 14.5, "MLI", "2024-06-01"), ("M2", 3.5, 14.5, "MLI", "2024-06-02")])
    p = priorities(_result(mt), actions=acts).set_index("area_id")
    assert p.loc["1", "overdue_actions"] == 2 and p.loc["2", "overdue_actions"] == 1
    assert "2 actions overdue" in p.loc["1", "reason"]
    assert plan(_result(mt), actions=acts).summary()["n_overdue"] == 3


def test_bad_actions_are_refused_with_rows_and_hints() -> None:
    bad = _actions().assign(status=["open", "maybe", "open", "done", "open"])
    with pytest.raises(DataError, match=r"index 1.*Hint"):
        read_actions(bad)
    with pytest.raises(DataError, match="no column holds the agreed actions"):
        read_actions(pd.DataFrame({"what": ["x"]}))
    with pytest.raises(DataError, match="cannot be read"):
        read_actions(_actions().assign(due=["soon"] * 5))
    with pytest.raises(DataError, match="repeat"):
        read_actions(_actions().assign(id=["a"] * 5))
    stray = pd.DataFrame({"action": ["x", None], "owner": ["A", "B"]})
    with pytest.raises(DataError, match="no action"):
        read_actions(stray)


_ACTIONS_HEAD = "id,action,owner,due,status,done_date\n"


@pytest.mark.parametrize(
    ("actions", "meetings", "fragments"),
    [
        (  # unknown status
            "a1,patrol,Police,2024-06-30,open,\na2,visit,Mayor,2024-07-31,maybe,\n",
            None,
            ["actions.csv", "column 'status'", "not open, done or dropped", "line 3", "'maybe'"],
        ),
        (  # done without a date
            "a1,patrol,Police,2024-06-30,done,\na2,visit,Mayor,2024-07-31,done,2024-07-02\n",
            None,
            ["actions.csv", "column 'status' says done", "'done_date' is empty", "line 2"],
        ),
        (  # a due date that cannot be read
            "a1,patrol,Police,2024-06-30,open,\na2,visit,Mayor,next month,open,\n",
            None,
            ["actions.csv", "column 'due'", "cannot be read", "line 3", "YYYY-MM-DD"],
        ),
        (  # repeated ids
            "a1,patrol,Police,2024-06-30,open,\na1,visit,Mayor,2024-07-31,open,\n",
            None,
            ["actions.csv", "action ids repeat", "lines 2, 3", "(a1)"],
        ),
        (  # the meetings file's action columns: done without a date
            None,
            "id,action,owner,status\nM1,patrol,Police,open\nM2,visit,Mayor,done\n",
            ["meetings.csv", "column 'status' says done", "no date done is given", "line 3"],
        ),
        (  # the meetings file's action columns: unknown status
            None,
            "id,action,owner,status\nM1,patrol,Police,later\n",
            ["meetings.csv", "column 'status'", "line 2", "'later'"],
        ),
        (  # an id in both files
            "M1-A,patrol,Police,2024-06-30,open,\n",
            "id,action,owner,status\nM1,patrol,Police,open\n",
            ["both in the actions file and in the meetings file", "M1-A"],
        ),
    ],
)
def test_gather_actions_names_file_column_rows_and_hint(tmp_path, actions, meetings, fragments):
    """What ``borderwatch validate --actions`` (and ``analyze``) calls: bad rows are refused."""
    from borderwatch.planning.actions import gather_actions

    src = None
    if actions is not None:
        src = tmp_path / "actions.csv"
        src.write_text(_ACTIONS_HEAD + actions, encoding="utf-8")
    mt = None
    if meetings is not None:
        (tmp_path / "meetings.csv").write_text(meetings, encoding="utf-8")
        mt = pd.read_csv(tmp_path / "meetings.csv")
    with pytest.raises(DataError) as err:
        gather_actions(src, mt, meetings_source=str(tmp_path / "meetings.csv"))
    text = str(err.value)
    for frag in fragments:
        assert frag in text, (frag, text)
    assert "Hint:" in text


def test_gather_actions_reads_both_files(tmp_path) -> None:
    from borderwatch.planning.actions import gather_actions

    src = tmp_path / "actions.csv"
    src.write_text(_ACTIONS_HEAD + "a1,patrol,Police,2024-06-30,fait,2024-06-02\n", "utf-8")
    mt = pd.DataFrame({"id": ["M1"], "action": ["visit"], "status": ["open"]})
    acts = gather_actions(src, mt)
    assert acts[["action_id", "status"]].to_dict("records") == [
        {"action_id": "a1", "status": "done"},
        {"action_id": "M1-A", "status": "open"},
    ]
    assert str(acts.loc[0, "done_date"].date()) == "2024-06-02"


def test_action_plan_round_trip(tmp_path) -> None:
    res = _result(None)
    p = priorities(res)
    sheet = action_plan(p, rows=5)
    path = tmp_path / "action_plan.xlsx"
    _write_action_plan(sheet, path, synthetic=False)
    # nothing filled in yet: reads back as no actions
    assert len(read_actions(path)) == 0
    book = openpyxl.load_workbook(path)
    ws = book["action plan"]
    header = [c.value for c in ws[1]]
    row = 2  # the first priority
    ws.cell(row, header.index("action") + 1, "Joint patrol of the market road")
    ws.cell(row, header.index("owner") + 1, "Police and gendarmerie")
    ws.cell(row, header.index("due") + 1, "2024-11-30")
    ws.cell(row, header.index("status") + 1, "open")
    book.save(path)
    acts = read_actions(path)
    assert acts[["action", "owner", "status"]].to_dict("records") == [
        {
            "action": "Joint patrol of the market road",
            "owner": "Police and gendarmerie",
            "status": "open",
        }
    ]
    again = priorities(res, actions=acts)
    top = again.set_index("area_id").loc[p["area_id"].iloc[0]]
    assert top["overdue_actions"] == 1
    assert again["overdue_actions"].sum() == 1


# ------------------------------------------------------------------------------ effectiveness


def _grid_units(n: int = 8) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "unit_id": [f"U{i}" for i in range(n)],
            "name": [f"Unit {i}" for i in range(n)],
            "country": "MLI",
        },
        geometry=[box(i * 0.5, 14, i * 0.5 + 0.5, 14.5) for i in range(n)],
        crs=4326,
    )


def _incidents(counts: dict[str, tuple[int, int]], meeting: pd.Timestamp) -> pd.DataFrame:
    """Incidents per unit: (before, after) spread evenly over the 90 days on each side."""
    rows = []
    for uid, (before, after) in counts.items():
        for n, sign in ((before, -1), (after, 1)):
            offsets = (np.arange(n) + 0.5) * 90 / max(n, 1)
            for off in offsets:
                rows.append(
                    {"unit_id": uid, "date": meeting + sign * pd.Timedelta(days=float(off))}
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("after", "drop"), [(40, True), (100, False)])
def test_effectiveness_real_drop_and_placebo(after: int, drop: bool) -> None:
    units = _grid_units()
    t = pd.Timestamp("2024-07-01")
    counts = {"U0": (100, after)} | {f"U{i}": (95 + i, 96 + i) for i in range(1, 8)}
    inc = _incidents(counts, t)
    mt = _meetings([("M1", 0.25, 14.25, "MLI", "2024-07-01")])
    eff = effectiveness(
        inc,
        units,
        mt,
        radius_km=5,
        window_days=90,
        start=pd.Timestamp("2024-01-01"),
        end=END,
    )
    assert len(eff) == 1
    row = eff.iloc[0]
    assert row["units"] == "U0 Unit 0" and (row["before"], row["after"]) == (100, after)
    assert row["rate_ratio"] == pytest.approx(after / 100)
    assert row["comparison_units"] == "U5 Unit 5"  # the closest count before (100), same country
    assert row["comparison_ratio"] == pytest.approx(101 / 100)
    if drop:
        assert row["ci_high"] < 1 and row["did_high"] < 1
        assert row["statement"].startswith("Incidents recorded fell by 60 % (95 % CI ")
        assert "while comparable areas rose by 1 %" in row["statement"]
        assert "association, not proof" in row["statement"]
    else:
        assert row["ci_low"] < 1 < row["ci_high"] and row["did_low"] < 1 < row["did_high"]
        assert "no clear change" in row["statement"]


def test_rate_ratio_ci_is_exact() -> None:
    from scipy.stats import binomtest

    rr, lo, hi = rate_ratio_ci(12, 30)
    ci = binomtest(12, 42).proportion_ci(confidence_level=0.95, method="exact")
    assert rr == pytest.approx(0.4)
    assert lo == pytest.approx(ci.low / (1 - ci.low)) and hi == pytest.approx(
        ci.high / (1 - ci.high)
    )
    assert rate_ratio_ci(0, 10)[1] == 0.0 and np.isinf(rate_ratio_ci(10, 0)[2])


def test_effectiveness_skips_events_without_full_windows() -> None:
    units = _grid_units()
    inc = _incidents({"U0": (10, 10)}, pd.Timestamp("2024-07-01"))
    early = _meetings([("M1", 0.25, 14.25, "MLI", "2024-01-15")])
    assert effectiveness(inc, units, early, start=pd.Timestamp("2024-01-01"), end=END).empty


# ------------------------------------------------------------------------------ representation


def test_representation_below_target_is_flagged_and_unknown_is_not_zero() -> None:
    mt = _meetings(
        [
            ("M1", 0.5, 14.5, "MLI", "2024-01-10"),
            ("M2", 1.5, 14.5, "NER", "2024-04-10"),
            ("M3", 1.6, 14.5, "NER", "2024-05-10"),
        ]
    )
    mt["unit_id"] = ["A", "B", "B"]
    mt.loc[0, ["att_women", "att_men"]] = [2, 18]  # Mali: 10 % women
    mt["att_women"] = mt["att_women"].astype("Int64")
    mt.loc[2, ["att_women", "att_men", "att_youth", "att_migrants", "attendance"]] = pd.NA
    rep = representation(mt, targets={"women": 0.3})
    side = rep[(rep["level"] == "side") & (rep["period"] == "all")].set_index("key")
    assert side.loc["MLI", "share_women"] == pytest.approx(0.10) and side.loc["MLI", "below_women"]
    assert (
        side.loc["NER", "share_women"] == pytest.approx(0.40) and not side.loc["NER", "below_women"]
    )
    assert side.loc["NER", "meetings_unknown"] == 1 and side.loc["NER", "meetings_known"] == 1
    overall = rep[(rep["level"] == "overall") & (rep["period"] == "all")].iloc[0]
    assert overall["share_women"] == pytest.approx(10 / 40)  # the unknown meeting is not a zero
    assert set(rep["period"]) == {"all", "2024Q1", "2024Q2"}
    units = rep[(rep["level"] == "unit") & (rep["period"] == "all")].set_index("key")
    assert units.loc["A", "below_women"] and units.loc["B", "meetings_unknown"] == 1
    # per unit over time too: unit B's Q2 holds its known and its unknown meeting
    by_q = rep[rep["level"] == "unit"].set_index(["key", "period"])
    assert set(by_q.index) == {("A", "all"), ("A", "2024Q1"), ("B", "all"), ("B", "2024Q2")}
    assert by_q.loc[("B", "2024Q2"), "meetings_unknown"] == 1
    assert by_q.loc[("B", "2024Q2"), "share_women"] == pytest.approx(0.40)


# ------------------------------------------------------------------------------ sources


def test_sources_flag_under_reporting_and_recording_that_stopped() -> None:
    rows = []
    for q, (police, community) in enumerate([(6, 7), (5, 8), (0, 9), (0, 10)]):
        d = pd.Timestamp("2024-01-15") + pd.DateOffset(months=3 * q)
        rows += [{"unit_id": "A", "country": "MLI", "date": d, "reported_by": "Police"}] * police
        rows += [
            {"unit_id": "A", "country": "MLI", "date": d, "reported_by": "Community report"}
        ] * community
    rows += [
        {
            "unit_id": "B",
            "country": "NER",
            "date": pd.Timestamp("2024-02-01"),
            "reported_by": "gendarmerie",
        }
    ] * 8
    by = sources(pd.DataFrame(rows))
    assert by.groupby("source")["count"].sum().to_dict() == {"community": 34, "police": 19}
    flags = source_flags(by, k=5)
    # A: police 11 against community 34, and no police record in the last two quarters
    assert set(map(tuple, flags[["unit_id", "flag"]].to_numpy())) == {
        ("A", "under-reporting"),
        ("A", "recording stopped"),
    }
    stopped = flags[flags["flag"] == "recording stopped"]
    assert stopped["source"].tolist() == ["police"] and "B" not in set(flags["unit_id"])
    assert (
        sources(
            pd.DataFrame(rows)
            .rename(columns={"reported_by": "source"})
            .assign(source="SYNTHETIC demo")
        )
        is None
    )


# ------------------------------------------------------------------------------ reasons


REASON_WORDS = {
    "en": ("Cross-border hotspot at", "Mali–Niger", "March 2024", "3 actions overdue", "rising"),
    "fr": (
        "Point chaud transfrontalier à",
        "Mali–Niger",
        "mars 2024",
        "3 actions en retard",
        "en hausse",
    ),
    "es": (
        "Punto caliente transfronterizo en",
        "Malí–Níger",
        "marzo 2024",
        "3 acciones atrasadas",
        "en aumento",
    ),
    "pt": (
        "Ponto quente transfronteiriço em",
        "Mali–Níger",
        "março 2024",
        "3 ações atrasadas",
        "em alta",
    ),
    "ar": ("بؤرة ساخنة عابرة للحدود في", "مالي–النيجر", "مارس", "إجراءات متأخرة", "في ازدياد"),
}


@pytest.mark.parametrize("lang", sorted(REASON_WORDS))
def test_reason_sentence_in_each_language(lang: str) -> None:
    row = {
        "kind": "hotspot",
        "cross_border": True,
        "place": "Labbezanga – Ayorou",
        "countries": "MLI,NER",
        "recent_incidents": 48,
        "trend": "rising",
        "meetings_recent": 0,
        "last_meeting": pd.Timestamp("2024-03-12"),
        "gap_kind": "no meeting",
        "overdue_actions": 3,
    }
    text = reason(row, lang=lang, radius_km=20, window_days=90, k=5)
    plain = text.replace("\u2068", "").replace("\u2069", "")
    for word in REASON_WORDS[lang]:
        assert word in plain, (lang, word, plain)
    assert "48" in plain and "90" in plain and "20" in plain and "Labbezanga – Ayorou" in plain
    assert "{" not in text and plain.endswith(".")
    hidden = reason(
        {
            **row,
            "recent_incidents": None,
            "cross_border": False,
            "countries": "MLI",
            "gap_kind": "one side",
            "meetings_recent": 1,
            "sides_covered": "MLI",
        },
        lang=lang,
        radius_km=20,
        window_days=90,
        k=5,
    )
    assert "48" not in hidden and "5" in hidden and "{" not in hidden


# ------------------------------------------------------------------------------ public view


def test_public_priorities_hide_small_counts_and_sensitive_detail() -> None:
    res = _result(None)
    p = priorities(res)
    p.loc[0, "recent_incidents"] = 3
    pub = public_priorities(p, k=5, hotspots=res.hotspots, scan=None)
    assert "sensitive_incidents" not in pub and pub["reason"].isna().all()
    row = pub.set_index("area_id").loc[p.loc[0, "area_id"]]
    assert pd.isna(row["recent_incidents"]) and row["trend"] is None
    text = with_reasons(pub, res.settings, k=5)["reason"]
    assert text.str.contains("fewer than 5 incidents").sum() == 1
    # an area the public view dropped (fewer than k incidents) is dropped here too
    pub2 = public_priorities(p, k=5, hotspots=res.hotspots.iloc[[1]], scan=None)
    assert pub2["area_id"].tolist() == ["2"] and pub2["rank"].tolist() == [1]


def test_demo_public_priorities_leak_nothing(demo_outputs, demo_data, tmp_path) -> None:
    import shutil

    import borderwatch as bw

    units, incidents, _ = demo_data
    out = demo_outputs["public"]
    for name in ("priorities.csv", "action_plan.xlsx"):
        assert (out / name).exists()
        shutil.copy(out / name, tmp_path / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = bw.read_incidents(incidents, units=units)
    assert bw.scan_for_leaks(tmp_path, read, k=5) == []
    table = pd.read_csv(out / "priorities.csv")
    for col in ("n_incidents", "recent_incidents", "earlier_incidents"):
        vals = table[col].dropna()
        assert not ((vals >= 1) & (vals < 5)).any(), col
    assert "sensitive_incidents" not in table and table["reason"].notna().all()
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    plan_sheet = pd.read_excel(out / "action_plan.xlsx")
    assert plan_sheet["reason"].tolist() == table["reason"].head(len(plan_sheet)).tolist()


def test_planning_modules_have_no_stubs() -> None:
    for name in ("actions", "coverage", "effectiveness", "priorities", "representation", "sources"):
        mod = importlib.import_module(f"borderwatch.planning.{name}")
        assert mod.__doc__ and len(mod.__doc__) > 200


# ------------------------------------------------------------------------------ the demo


def test_demo_has_meetings_actions_and_sources_on_both_sides() -> None:
    from borderwatch.datasets import (
        DEMO_DROP,
        demo_actions,
        demo_incidents,
        demo_meetings,
        demo_towns,
    )

    m = demo_meetings()
    groups = ["women", "men", "youth", "migrants", "police", "leaders"]
    assert m[groups].isna().all(axis=1).sum() == 2  # unknown attendance, not zero
    country = m["place"].map(demo_towns().set_index("town")["country"])
    assert set(country) == {"BFA", "MLI", "NER"}
    bfa = m[country == "BFA"].dropna(subset=["women"])
    assert bfa["women"].sum() / (bfa["women"] + bfa["men"]).sum() < 0.3  # below the target
    acts = read_actions(demo_actions())
    assert len(overdue_actions(acts, as_of=END)) == 4  # open and due before the end of 2024
    assert set(m["action"].dropna()) == set(acts["action"])
    inc = demo_incidents()
    assert set(inc["reported_by"]) == {"police record", "community report", "NGO", "hotline"}
    town, day, km, share = DEMO_DROP
    t = pd.Timestamp(day)
    g = demo_towns().set_index("town").loc[town]
    near = (np.hypot(inc["longitude"] - g["lon"], inc["latitude"] - g["lat"]) * 111) < km
    dates = pd.to_datetime(inc["date"])
    before = int((near & (dates >= t - pd.Timedelta(days=90)) & (dates < t)).sum())
    after = int((near & (dates >= t) & (dates < t + pd.Timedelta(days=90))).sum())
    assert after < 0.7 * before


def test_undated_incidents_give_totals_not_recent_counts() -> None:
    res = _result(None)
    undated = res.replace(incidents=res.incidents.assign(date=pd.NaT))
    p = priorities(undated, as_of="2024-12-31")
    assert p["recent_incidents"].isna().all() and p["trend"].isna().all()
    assert p["reason"].str.contains("80 incidents recorded").all()
