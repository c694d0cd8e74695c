"""Linked public tables as one system (issue 10, wave 4).

Hidden zeros and hidden small counts look alike in every public table; the LP
audit bounds hidden counts across units, tables, periods and the summary
totals; planning counts are perturbed like every other count; the figures of
the public summary are coarsened.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from _release_data import FAST, JUAREZ, incidents
from borderwatch import BorderwatchWarning, analyze
from borderwatch.join import aggregate_counts
from borderwatch.privacy import public_view
from borderwatch.privacy._figures import figure_findings
from borderwatch.privacy._text import small_count_findings
from borderwatch.privacy.audit import lp_audit, table_categories
from borderwatch.privacy.cellkey import DEMO_KEY
from borderwatch.privacy.perturb import Perturber
from borderwatch.privacy.planning import public_priorities

K = 5


def _frame(layer) -> pd.DataFrame:
    return pd.DataFrame(layer.drop(columns=layer.geometry.name))


# ------------------------------------------------------------------ 1. zero versus small


def test_hidden_zero_and_hidden_small_look_alike_in_every_public_table(demo_result, demo_public):
    true = demo_result.units.set_index("unit_id")["incidents"]
    zero, small = set(true.index[true == 0]), set(true.index[(true >= 1) & (true < K)])
    assert zero and small  # the demo has both kinds of unit
    pub = demo_public.units.set_index("unit_id")
    cats = table_categories(_frame(demo_public.units), [demo_public.counts])
    assert cats
    count_cols = ["incidents", *cats, *[c for c in pub.columns if "rate" in str(c)]]
    for group in (zero, small):
        assert pub.loc[sorted(group), count_cols].isna().all().all()
        assert not demo_public.counts["unit_id"].isin(group).any()
    # no zero and no 1..k-1 anywhere a count is published
    assert (demo_public.counts["count"] >= K).all()
    for c in ("incidents", *cats):
        shown = pub[c].dropna()
        assert (shown >= K).all(), c
    pr = demo_public.priorities
    for c in ("n_incidents", "recent_incidents", "earlier_incidents"):
        shown = pd.to_numeric(pr[c], errors="coerce").dropna()
        assert (shown >= K).all(), (c, shown.tolist())
    assert small_count_findings(demo_public.summary, k=K) == []
    assert figure_findings(demo_public.summary) == []
    # the control: the internal summary shows a zero that the public one hides
    assert small_count_findings({"n_sensitive": 0, "join": {"outside": 3}}, k=K) == [
        "count 0 at n_sensitive (a zero stands out next to a null)",
        "count 3 (below k = 5) at join.outside",
    ]


def test_single_free_category_is_not_read_as_no_category():
    """UCDP-like data: one category ``unspecified``; hidden totals are not pinned to 0."""
    units = pd.DataFrame(
        {"unit_id": ["02007", "02004"], "incidents": [None, 2825], "unspecified": [None, 2825]}
    )
    counts = pd.DataFrame(
        {"unit_id": ["02004"], "category": ["unspecified"], "period": ["2007-01-01"], "count": [11]}
    )
    assert table_categories(units, [counts]) == ["unspecified"]
    bounds = lp_audit(units, [counts], k=K, d=2)
    assert [b.what for b in bounds] == ["unit 02007 / total", "unit 02007 / unspecified"]
    assert all(b.protected for b in bounds), bounds
    # no category column at all: the total is not "the sum of no categories" (0)
    free = lp_audit(units.drop(columns="unspecified"), k=K, d=2, exact=True)
    assert [(b.what, b.lo, b.hi) for b in free] == [("unit 02007 / total", 0.0, np.inf)]


# ------------------------------------------------------------------ 2. one linked system


def test_lp_audit_bounds_hidden_counts_across_units_and_tables():
    # a hidden unit total recoverable only from the overall total of summary.json
    units = pd.DataFrame({"unit_id": ["a", "b", "c"], "incidents": [20, None, 9]})
    assert all(b.protected for b in lp_audit(units, k=K, d=0))
    found = [b for b in lp_audit(units, k=K, d=0, summary={"n_incidents": 31}) if not b.protected]
    assert [(b.what, b.lo, b.hi) for b in found] == [("unit b / total", 0.0, 2.0)]
    # ... and from join.within + join.snapped, the same
    join = {"join": {"within": 30, "snapped": None}}
    found = [b for b in lp_audit(units, k=K, d=0, summary=join) if not b.protected]
    assert [b.what for b in found] == ["unit b / total"] and found[0].hi <= K - 1
    # a hidden category recoverable only from its total over all units
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "incidents": [10, 12],
            "iccs03_sexual": [None, None],
            "iccs05_property": [None, None],
        }
    )
    assert all(b.protected for b in lp_audit(units, k=K, d=0))
    by_cat = {"by_category": {"iccs03_sexual": 3}}
    found = [b.what for b in lp_audit(units, k=K, d=0, summary=by_cat) if not b.protected]
    assert found == ["unit a / iccs03_sexual", "unit b / iccs03_sexual"]
    # perturbed tables (+-2): the same relations no longer pin anything below k
    assert all(b.protected for b in lp_audit(units, k=K, d=2, summary={"by_category": {}}))
    # a year row over the listed months of that year (releases differing only in --period)
    units = pd.DataFrame(
        {"unit_id": ["u"], "incidents": [14], "iccs03_sexual": [None], "iccs05_property": [None]}
    )
    year = pd.DataFrame(
        {"unit_id": ["u"], "category": ["iccs05_property"], "period": ["2023-01-01"], "count": [6]}
    )
    months = pd.DataFrame(
        {
            "unit_id": ["u", "u"],
            "category": ["iccs05_property"] * 2,
            "period": ["2023-03-01", "2023-04-01"],
            "count": [6, 7],
        }
    )
    exact = lp_audit(units, [year, months], k=K, d=0)
    assert not all(b.protected for b in exact)  # months say property >= 13, year says 6
    assert all(b.protected for b in lp_audit(units, [year], k=K, d=0))


@pytest.mark.slow
def test_lp_audit_of_the_real_protected_output(demo_public):
    units = _frame(demo_public.units)
    bounds = lp_audit(units, [demo_public.counts], k=K, d=2, summary=demo_public.summary)
    assert bounds and all(b.protected for b in bounds)
    exact = lp_audit(units, [demo_public.counts], k=K, d=2, summary=demo_public.summary, exact=True)
    assert [b.protected for b in exact] == [b.protected for b in bounds]
    assert all(e.lo == pytest.approx(b.lo) for e, b in zip(exact, bounds, strict=True))


@pytest.mark.realdata
def test_month_and_year_releases_on_real_admin2_units_are_one_protected_system(shared_data):
    """The real Mexico–US admin-2 units around Juárez, one free category (as UCDP), month and
    year releases of the same data audited as one linear system: nothing hidden is pinned."""
    from borderwatch import read_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = read_units(shared_data / "boundaries" / "mex_usa_border_adm2.geojson")
        units = units[units.intersects(Point(JUAREZ).buffer(0.6))].reset_index(drop=True)
        inc = incidents(300)
        inc = inc[inc.within(units.union_all())].reset_index(drop=True)
        inc["category"] = "unspecified"
        base = analyze(units, inc, view="internal", **FAST)
        pubs = []
        for period in ("month", "year"):
            res = base.replace(
                counts=aggregate_counts(base.incidents, period=period),
                summary=dict(base.summary, counts_period=period),
            )
            pubs.append(public_view(res, k=K, key=DEMO_KEY))
    tab = _frame(pubs[0].units)
    pd.testing.assert_frame_equal(tab, _frame(pubs[1].units))
    assert tab["incidents"].isna().any()  # some units are hidden (zeros and small alike)
    bounds = lp_audit(tab, [p.counts for p in pubs], k=K, d=2, summary=pubs[0].summary)
    assert len(bounds) >= 2 * tab["incidents"].isna().sum()
    assert all(b.protected for b in bounds), [b for b in bounds if not b.protected][:3]


# ------------------------------------------------------------------ 4. planning counts


def _areas_and_incidents(extra: int = 0):
    """Two priority areas (squares in EPSG:4326) and dated incidents with ids in them."""
    rng = np.random.default_rng(3)
    a, b = box(0, 0, 1, 1), box(2, 0, 3, 1)
    xy = [(rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)) for _ in range(40)]
    xy += [(rng.uniform(2.1, 2.9), rng.uniform(0.1, 0.9)) for _ in range(3 + extra)]
    days = [int(d) for d in rng.integers(0, 180, len(xy))]
    inc = gpd.GeoDataFrame(
        {
            "id": [f"INC-{i}" for i in range(len(xy))],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
        },
        geometry=[Point(x, y) for x, y in xy],
        crs=4326,
    )
    pr = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "kind": ["hotspot", "hotspot"],
            "area_id": ["1", "2"],
            "n_incidents": [40, 3 + extra],
            "recent_incidents": [20, 0],
            "earlier_incidents": [20, 0],
            "trend": ["steady", "steady"],
            "relative_risk": [4.0, 1.0],
            "sensitive_incidents": [0, 0],
            "reason": ["x", "y"],
            "last_meeting": [None, None],
        },
        geometry=[a, b],
        crs=4326,
    )
    hot = gpd.GeoDataFrame({"hotspot_id": ["1", "2"]}, geometry=[a, b], crs=4326)
    return pr, inc, hot


def _public(pr, inc, hot):
    p = Perturber.of(inc, key=DEMO_KEY, k=K)
    return public_priorities(
        pr, k=K, hotspots=hot, scan=None, perturber=p, as_of="2024-06-28", window_days=90
    )


def test_priority_counts_are_cell_key_perturbed_across_releases():
    pr, inc, hot = _areas_and_incidents()
    first = _public(pr, inc, hot)
    again = _public(pr, inc, hot)
    pd.testing.assert_frame_equal(first, again)  # the same records: the same values
    assert first["area_id"].tolist() == ["1"]  # area 2 (3 incidents) is not shown
    row = first.iloc[0]
    assert abs(row["n_incidents"] - 40) <= 2
    for c in ("n_incidents", "recent_incidents", "earlier_incidents"):
        v = first[c].dropna()
        assert (v >= K).all()
    # releases that differ by one incident in area 1: its counts move unpredictably, not by +1
    changes = set()
    for j in range(12):
        one = inc.iloc[[0]].copy()
        one["id"] = f"NEW-{j}"
        one = one.set_geometry([Point(0.5, 0.5)], crs=4326)
        more = pd.concat([inc, one], ignore_index=True)
        p2 = pr.copy()
        p2.loc[0, "n_incidents"] = 41
        after = _public(p2, more, hot)
        changes.add(int(after["n_incidents"].iloc[0] - first["n_incidents"].iloc[0]))
        assert after["n_incidents"].iloc[0] >= K
    assert changes != {1} and len(changes) >= 2, changes
    # area 2 with 3 + 4 incidents: shown, perturbed, its zero recent count not shown as 0
    pr7, inc7, hot7 = _areas_and_incidents(extra=4)
    out = _public(pr7, inc7, hot7).set_index("area_id")
    assert abs(out.loc["2", "n_incidents"] - 7) <= 2
    assert not (out[["recent_incidents", "earlier_incidents"]] == 0).any().any()
    # without incidents the counts are suppressed as before (no zero either)
    plain = public_priorities(pr7, k=K, hotspots=hot7, scan=None)
    assert plain.set_index("area_id").loc["2", "n_incidents"] == 7
    assert plain["recent_incidents"].isna().iloc[1]


# ------------------------------------------------------------------ 5. public summary figures


def test_public_summary_figures_are_coarsened_and_flagged(demo_result, demo_public):
    raw = demo_result.summary
    assert figure_findings(raw)  # the internal summary holds full-precision PAI
    assert figure_findings(demo_public.summary) == []
    if raw.get("pai") is not None:
        assert demo_public.summary["pai"] != raw["pai"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        pub = public_view(demo_result, k=K, key=DEMO_KEY)
    assert figure_findings(pub.summary) == [] and small_count_findings(pub.summary, k=K) == []
