"""Complementary suppression on the published, perturbed linked tables (privacy/_linked.py).

The suppression runs on the true counts; the cell-key perturbation then moves the shown
counts by up to D = 2 and hides the zeros. A total published as 13 next to categories
published as 9 and 6 leaves at most 15 - 7 - 5 = 3 to the hidden categories: the audit's
promise (every hidden count keeps 0..k-1 feasible) fails. These tests build such tables
for a fixed release key, check that the public view without the linked-table step shows
the finding (the cases hit), and that public_view now leaves none.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from borderwatch._crs import study_crs
from borderwatch._result import AnalysisResult
from borderwatch.privacy import view
from borderwatch.privacy._linked import protect_linked
from borderwatch.privacy.audit import lp_audit
from borderwatch.privacy.view import public_view

K = 5
KEY = b"borderwatch-linked-tables-test-key"
CATS = ["iccs01_death", "iccs02_harm", "iccs03_sexual", "iccs04_violent_property"]


def _result(rows: list[tuple[int, int, int, int]]) -> AnalysisResult:
    """Units with true category counts (death, harm, sexual, property); total = their sum."""
    n = len(rows)
    data: dict[str, list] = {
        "unit_id": [f"u{i}" for i in range(n)],
        "name": [f"U{i}" for i in range(n)],
        "country": ["MEX"] * n,
    }
    for j, c in enumerate(CATS):
        data[c] = [r[j] for r in rows]
    data["incidents"] = [sum(r) for r in rows]
    units = gpd.GeoDataFrame(data, geometry=[box(i, 0, i + 1, 1) for i in range(n)], crs=4326)
    return AnalysisResult(units=units, border=units.iloc[:0], crs=study_crs(units))


def _findings(pub: AnalysisResult) -> list[str]:
    table = pd.DataFrame(pub.units.drop(columns="geometry"))
    counts = [pub.counts] if pub.counts is not None else []
    bounds = lp_audit(table, counts, k=K, d=2, summary=pub.summary)
    return [f"{b.what} in [{b.lo:g}, {b.hi:g}]" for b in bounds if not b.protected]


def _without_linked_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view, "_linked_tables", lambda layers, **kw: layers)


# true (death, harm, sexual, property) of one unit: with KEY, the published total and the two
# shown categories leave the hidden zeros at most 3, 1 and 2
@pytest.fixture(params=[(5, 9, 0, 0), (5, 10, 0, 0), (14, 5, 0, 0)], ids=["0-3", "0-1", "0-2"])
def pinned_unit(request: pytest.FixtureRequest) -> tuple[int, int, int, int]:
    return request.param


def test_the_cases_pin_a_hidden_cell_without_the_linked_step(pinned_unit, monkeypatch):
    _without_linked_step(monkeypatch)
    pub = public_view(_result([pinned_unit]), k=K, key=KEY)
    found = _findings(pub)
    assert found and all("iccs03_sexual" in f or "iccs04" in f for f in found), found
    assert pub.units["incidents"].notna().all()  # the perturbed total is shown


def test_public_view_leaves_every_hidden_count_0_to_k_minus_1(pinned_unit, monkeypatch):
    pub = public_view(_result([pinned_unit]), k=K, key=KEY)
    assert _findings(pub) == []
    _without_linked_step(monkeypatch)
    before = public_view(_result([pinned_unit]), k=K, key=KEY)
    cols = ["incidents", *CATS]
    newly = [c for c in cols if pub.units[c].isna().any() and before.units[c].notna().all()]
    assert len(newly) == 1  # one more cell hidden: the smallest category shown before
    shown = {c: int(before.units[c].iloc[0]) for c in CATS if before.units[c].notna().all()}
    assert newly[0] == min(shown, key=lambda c: shown[c])
    assert pub.units["incidents"].equals(before.units["incidents"])  # the total stays


def test_a_search_over_release_keys_finds_no_hidden_count_bounded(monkeypatch):
    """A few keys on a small synthetic table: some hit the case, none leaves a finding."""
    rows = [(5, 9, 0, 0), (6, 5, 0, 0), (9, 7, 2, 0), (20, 11, 0, 3), (5, 5, 0, 0), (12, 0, 0, 0)]
    res = _result(rows)
    hit = 0
    for i in range(6):
        key = f"borderwatch-linked-search-key-{i:02d}".encode()
        assert _findings(public_view(res, k=K, key=key)) == [], key
        with monkeypatch.context() as m:
            m.setattr(view, "_linked_tables", lambda layers, **kw: layers)
            hit += bool(_findings(public_view(res, k=K, key=key)))
    assert hit >= 1  # the search does exercise the case


def test_a_hidden_total_pinned_by_the_summary_hides_another_units_total():
    units = pd.DataFrame({"unit_id": ["a", "b", "c"], "incidents": [None, 20, 30]})
    summary = {"n_incidents": 49}  # a's total <= 51 - 18 - 28 = 5: fine; 48: at most 4; 47: 3
    assert not protect_linked(units, None, summary, k=K, d=2).hidden
    done = protect_linked(units, None, {"n_incidents": 47}, k=K, d=2)
    assert done.hidden == (("b", "incidents"),)  # the smallest shown total of the column
    assert not done.unresolved
    assert done.units["incidents"].isna().tolist() == [True, True, False]
    assert units["incidents"].isna().sum() == 1  # the caller's frame is not modified


def test_rows_of_counts_that_alone_bound_a_hidden_count_are_not_listed():
    """Total 16 (<= 18), death 13 with three listed months of >= 5: death >= 15, so the
    hidden categories hold at most 3 only with counts.csv; units.csv stays as it is (the month
    and year releases publish the same units) and the unit's rows are no longer listed."""
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "incidents": [16, 40],
            "iccs01_death": [13, 30],
            "iccs02_harm": [None, 10],
            "iccs03_sexual": [None, None],
        }
    )
    months = pd.DataFrame(
        {
            "unit_id": ["a", "a", "a", "b"],
            "category": ["iccs01_death"] * 4,
            "period": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-01-01"],
            "count": [5, 5, 5, 30],
        }
    )
    assert not protect_linked(units, None, None, k=K, d=2).hidden
    done = protect_linked(units, months, None, k=K, d=2)
    assert done.units.equals(units) and not done.hidden
    assert done.counts is not None and done.counts["unit_id"].tolist() == ["b"]
    assert done.dropped_rows == 3
    again = protect_linked(units, months, None, k=K, d=2)
    assert again.counts is not None and again.counts.equals(done.counts)  # deterministic
    found = lp_audit(units, [done.counts], k=K, d=2, categories=CATS[:3])
    assert all(b.protected for b in found)
    assert [b for b in lp_audit(units, [months], k=K, d=2, categories=CATS[:3]) if not b.protected]


def test_rates_follow_the_cells_hidden_by_the_linked_step():
    res = _result([(5, 9, 0, 0)])
    units = res.units.assign(population=100_000, rate_per_100k=14.0)
    units["iccs02_harm_per_100k"] = 9.0
    pub = public_view(res.replace(units=units), k=K, key=KEY)
    assert _findings(pub) == []
    assert pub.units["iccs02_harm"].isna().all() or pub.units["iccs01_death"].isna().all()
    for c in ("iccs01_death", "iccs02_harm"):
        rate = f"{c}_per_100k"
        if rate in pub.units.columns:
            assert (pub.units[rate].isna() == pub.units[c].isna()).all()
