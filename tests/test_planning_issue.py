"""The planning issue's checklist, item by item, on the demo: from the Python API
(``result.planning``, ``result.priorities``) and from the files ``borderwatch demo`` writes.

Uses the session fixtures (``demo_result``, ``demo_public``, ``demo_outputs``): no new analysis.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from borderwatch.cli import _parser, _settings
from borderwatch.planning import COMPONENTS, priorities
from borderwatch.planning._areas import locate_actions
from borderwatch.planning.actions import gather_actions

#: The columns every priority carries (the issue's "Each row has").
PRIORITY_COLUMNS = (
    "rank",
    "score",
    *(f"score_{c}" for c in COMPONENTS),
    "cross_border",
    "countries",
    "outreach_gap",
    "place",
    "towns",
    "units",
    "recent_incidents",
    "earlier_incidents",
    "reason",
)


def test_meetings_are_joined_to_units_with_their_country(demo_result) -> None:
    mt, units = demo_result.meetings, demo_result.units
    assert mt["unit_id"].notna().all() and mt["country"].notna().all()
    assert set(mt["country"]) == {"BFA", "MLI", "NER"}
    by_unit = units.set_index("unit_id")["country"]
    assert (mt["country"].to_numpy() == by_unit.loc[mt["unit_id"]].to_numpy()).all()


def test_coverage_of_every_area_kind_and_each_side(demo_result) -> None:
    cov = demo_result.planning.coverage
    layers = {"hotspot": "hotspots", "scan": "scan", "cluster": "clusters", "unit": "units"}
    for kind, field in layers.items():
        layer = getattr(demo_result, field)
        assert (cov["kind"] == kind).sum() == len(layer), kind
    for col in ("meetings_recent", "days_since_meeting", "nearest_meeting_km", "sides_covered"):
        assert col in cov.columns
    # a cross-border hotspot covered on one side only is an outreach gap, and says so
    one = cov[cov["gap_kind"] == "one side"]
    assert len(one) and one["outreach_gap"].all() and one["cross_border"].all()
    assert one["note"].str.startswith("Outreach gap: recent meetings on one side only").all()
    # a hotspot with no recent meeting nearby is one too; a unit only when its class is hot
    none = cov[(cov["kind"] != "unit") & (cov["meetings_recent"] == 0)]
    assert len(none) and none["outreach_gap"].all()
    assert not cov.loc[(cov["kind"] == "unit") & ~cov["hot"], "outreach_gap"].any()


def test_representation_per_unit_side_and_overall_over_time(demo_result) -> None:
    rep = demo_result.planning.representation
    for level in ("overall", "side", "unit"):
        periods = set(rep.loc[rep["level"] == level, "period"])
        assert "all" in periods and len(periods) > 2, (level, periods)
    overall = rep[(rep["level"] == "overall") & (rep["period"] == "all")].iloc[0]
    # the demo's two meetings without attendance data are unknown, not zero
    assert overall["meetings_unknown"] == 2
    assert overall["meetings_known"] + overall["meetings_unknown"] == overall["meetings"]
    bfa = rep[(rep["key"] == "BFA") & (rep["period"] == "all")].iloc[0]
    assert bfa["below_women"] and "Women" in bfa["note"]


def test_effectiveness_lists_matched_controls_and_follow_up(demo_result) -> None:
    p = demo_result.planning
    eff = p.effectiveness
    assert (eff["event"] == "meeting").any() and (eff["event"] == "action").any()
    matched = eff[eff["comparison_units"].notna()]
    assert len(matched) and matched["comparison_before"].notna().all()
    assert eff["statement"].str.contains(" after the ").all()
    assert not eff["statement"].str.contains("because").any()
    # action follow-up: overdue per meeting and per owner, the same four actions
    late = p.overdue()
    assert len(late) == 4 and late["note"].str.startswith("Open ").all()
    assert p.overdue(by="owner").sum() == p.overdue(by="meeting_id").sum() == 4


def test_sources_and_their_sensitive_trend_only_under_public_rules(
    demo_result, demo_public
) -> None:
    internal = demo_result.planning.sources
    assert set(internal["source"]) == {"police", "community", "ngo", "hotline"}
    assert internal["period"].nunique() > 4  # over time
    assert ((internal["sensitive"] >= 1) & (internal["sensitive"] < 5)).any()
    assert len(demo_result.planning.source_flags)
    pub = demo_public.planning
    assert pub.view == "public"
    for col in ("count", "sensitive"):
        vals = pd.to_numeric(pub.sources[col], errors="coerce").dropna()
        assert not ((vals >= 1) & (vals < 5)).any(), col
    assert "detail" not in pub.source_flags and "statement" not in pub.effectiveness


def test_priorities_columns_api_csv_and_gpkg(demo_result, demo_outputs) -> None:
    pr = demo_result.priorities
    for col in PRIORITY_COLUMNS:
        assert col in pr.columns, col
    assert (pr["earlier_incidents"].notna() & pr["recent_incidents"].notna()).all()
    assert pr["place"].notna().all() and pr["units"].notna().all()
    assert set(pr["kind"]) <= {"hotspot", "scan"}  # regions and scan clusters first
    out = demo_outputs["internal"]
    table = pd.read_csv(out / "priorities.csv")
    for col in PRIORITY_COLUMNS:
        assert col in table.columns, col
    assert "priorities" in pyogrio.list_layers(out / "hotspots.gpkg")[:, 0]
    layer = gpd.read_file(out / "hotspots.gpkg", layer="priorities")
    assert len(layer) == len(table) and layer.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_weights_and_targets_from_a_toml_file(tmp_path) -> None:
    cfg = tmp_path / "planning.toml"
    cfg.write_text(
        "target_women = 0.4\ncoverage_km = 15\n[priority_weights]\nstrength = 0.5\noutreach = 0\n",
        encoding="utf-8",
    )
    args = _parser().parse_args(
        [
            "analyze",
            "--units",
            "u",
            "--incidents",
            "i",
            "--out",
            "o",
            "--config",
            str(cfg),
            "--coverage-km",
            "25",
        ]
    )
    s = _settings(args)
    assert s.target_women == 0.4 and s.coverage_km == 25  # the command line wins
    assert s.score_weights["strength"] == 0.5 and s.score_weights["outreach"] == 0
    assert s.score_weights["trend"] == 0.15  # the others keep their defaults


def test_action_plan_written_by_the_demo_reads_back_as_actions(
    demo_result, demo_outputs, tmp_path
) -> None:
    """The `action_plan.xlsx` that `borderwatch demo` writes, filled in, is next time's
    `--actions` file: read by the function `analyze` calls, placed at its area, counted."""
    path = demo_outputs["public"] / "action_plan.xlsx"
    book = openpyxl.load_workbook(path)
    ws = book["action plan"]
    header = [c.value for c in ws[1]]
    for name, value in (("action", "Joint patrol"), ("owner", "Police"), ("due", "2024-11-30")):
        ws.cell(2, header.index(name) + 1, value)
    filled = tmp_path / "action_plan.xlsx"
    book.save(filled)
    acts = gather_actions(filled, None)
    assert acts[["action", "owner", "status"]].to_dict("records") == [
        {"action": "Joint patrol", "owner": "Police", "status": "open"}
    ]
    located = locate_actions(acts, demo_result.meetings, demo_result.units)
    assert located is not None and len(located) == 1
    first = pd.read_excel(path)["place"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = priorities(demo_result, actions=acts)
    row = again[again["place"] == first]
    assert len(row) and row["overdue_actions"].max() >= 1


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_public_planning_keeps_the_language(demo_result, lang: str) -> None:
    from borderwatch.planning import plan

    s = demo_result.settings.replace(lang=lang)
    p = plan(demo_result, s, actions=demo_result.planning.actions).public(k=5)
    assert p.lang == lang and p.view == "public"
    tr_gap = "Lacune" if lang == "fr" else "فجوة"
    assert p.coverage.loc[p.coverage["outreach_gap"], "note"].str.contains(tr_gap).all()
    late = p.overdue()  # the public actions keep the month of the due date only
    assert len(late) and late["note"].str.contains(r"\d{4}-\d{2}\u2069?\)").all()
    assert not late["note"].str.contains(r"\d{4}-\d{2}-\d{2}").any()


@pytest.mark.parametrize("view", ["internal", "public"])
def test_action_plan_holds_the_planning_tables(demo_outputs, demo_result, view) -> None:
    """From the CLI, the planner gets coverage, representation, effectiveness, follow-up and
    sources as sheets of `action_plan.xlsx`, after the plan itself (which reads back)."""
    path = demo_outputs[view] / "action_plan.xlsx"
    book = pd.read_excel(path, sheet_name=None)
    names = list(book)
    assert names[:2] == ["action plan", "how to use"]
    assert {"coverage", "representation", "effectiveness", "overdue", "sources"} <= set(names)
    cov = book["coverage"]
    assert {"kind", "outreach_gap"} <= set(cov.columns) and set(cov["kind"]) >= {"unit"}
    assert len(book["representation"]) == len(demo_result.planning.representation)
    if view == "internal":
        assert "overdue by owner" in names
        assert book["effectiveness"]["statement"].notna().all()
    else:
        assert "overdue by owner" not in names
        for name in names[2:]:  # the plan's own action/owner columns are empty, to fill in
            frame = book[name]
            assert not {"owner", "action", "action_id", "lon", "lat", "statement"} & set(frame)
        counts = book["sources"]["count"].dropna()
        assert not ((counts >= 1) & (counts < 5)).any()
