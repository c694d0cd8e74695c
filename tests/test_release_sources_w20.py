"""Wave 20: what a reader of two public releases learned from the files the tables' rules
did not cover, found by an adversarial review (helper-46):

* the action plan's ``sources`` sheet listed every (unit, quarter, source) with an incident,
  its count exact or hidden, so a listed row with a hidden count said "1..k-1 incidents
  here", and removing one incident removed its row (unit, quarter and reporter);
* the scan layer published ``expected`` and ``llr`` at full precision, which give the
  window's true count and the true total back;
* ``n_sensitive`` changed between releases exactly when the changed incident was sensitive;
* the planning summary counted the internal priorities and source flags;
* ``borderwatch audit`` looked at none of these and only for counts that rose by 1.
"""

from __future__ import annotations

import json
import shutil
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import borderwatch as bw
from borderwatch.datasets import demo_incidents, demo_units
from borderwatch.privacy._figures import SCAN_FIGURES, _round
from borderwatch.privacy.perturb import Perturber
from borderwatch.privacy.planning import public_sources
from borderwatch.privacy.releases import audit_releases

K = 5
FAST = dict(permutations=0, cluster_replicates=0, scan_replicates=9, scan_all=True)


@pytest.fixture(scope="module")
def demo() -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = demo_units()
        inc = demo_incidents(units=units)
    return units, inc


def _run(units, inc, tmp: Path, view: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bw.analyze(units, inc, view=view, key_file=tmp / "release.key", **FAST)


@pytest.fixture(scope="module")
def releases(demo, tmp_path_factory) -> dict:
    """The internal result, and the public view with and without one incident whose unit
    has fewer than k incidents with a source (a lone case)."""
    units, inc = demo
    tmp = tmp_path_factory.mktemp("w20")
    internal = _run(units, inc, tmp, "internal")
    src = internal.planning.sources
    per_unit = src.groupby("unit_id")["count"].sum()
    small = per_unit[(per_unit >= 1) & (per_unit < K)].index
    assert len(small), "the demo has a unit with 1..k-1 sourced incidents"
    joined = internal.incidents
    rows = np.flatnonzero(joined["unit_id"].astype(str).isin(small.astype(str)).to_numpy())
    victim = joined["id"].iloc[rows[0]]
    fewer = inc[inc["incident_id"].astype(str) != str(victim)]
    assert len(fewer) == len(inc) - 1
    return {
        "internal": internal,
        "a": _run(units, inc, tmp, "public"),
        "b": _run(units, fewer, tmp, "public"),
        "tmp": tmp,
    }


# ------------------------------------------------------------------ the sources table


def test_public_sources_rules_by_hand():
    t = pd.DataFrame(
        {
            "unit_id": ["a", "a", "a", "b", "c"],
            "country": "MLI",
            "period": ["2024Q1", "2024Q1", "2024Q2", "2024Q1", "2024Q1"],
            "source": ["police", "ngo", "police", "police", "police"],
            "count": [12, 2, 5, 7, 9],
            "sensitive": [6, 0, 4, 1, 5],
        }
    )
    units = pd.DataFrame({"unit_id": ["a", "b", "c"], "incidents": [19, 7, pd.NA]})
    out = public_sources(t, k=K, units=units)
    # no row below k (a listed row would say 1..k-1), none of a unit hidden in units
    assert out[["unit_id", "period", "source"]].values.tolist() == [
        ["a", "2024Q1", "police"],
        ["a", "2024Q2", "police"],
        ["b", "2024Q1", "police"],
    ]
    assert out["count"].tolist() == [12, 5, 7]
    assert out["sensitive"].isna().tolist() == [False, True, True]  # 4 and 1: below k
    assert t["count"].tolist() == [12, 2, 5, 7, 9]  # the caller's frame is not changed


def test_public_sources_are_perturbed_by_their_incidents():
    rng = np.random.default_rng(3)
    n = 400
    inc = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "unit_id": rng.choice(["a", "b"], n),
            "country": "MLI",
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 360, n), "D"),
            "reported_by": rng.choice(["police", "community", "NGO"], n),
            "sensitive": rng.random(n) < 0.3,
        }
    )
    from borderwatch.planning.sources import sources

    table = sources(inc)
    p = Perturber.of(inc, key=b"k" * 32, k=K)
    out = public_sources(table, k=K, perturber=p)
    again = public_sources(table, k=K, perturber=p)
    pd.testing.assert_frame_equal(out, again)  # the same incidents, the same values
    merged = table.merge(out, on=["unit_id", "country", "period", "source"], suffixes=("", "_p"))
    dev = merged["count_p"].astype(int) - merged["count"]
    assert (dev.abs() <= 2).all() and (merged["count_p"] >= K).all()
    assert (dev != 0).any()  # perturbed, not copied
    shown = merged["sensitive_p"].notna()
    assert (
        (merged.loc[shown, "sensitive_p"].astype(int) - merged.loc[shown, "sensitive"]).abs() <= 2
    ).all()
    # another key: other deviations somewhere
    other = public_sources(table, k=K, perturber=Perturber.of(inc, key=b"x" * 32, k=K))
    assert not other["count"].equals(out["count"]) or len(other) != len(out)


def test_lone_case_leaves_no_trace_in_the_sources_sheet(releases):
    a, b = releases["a"].planning, releases["b"].planning
    pd.testing.assert_frame_equal(a.sources, b.sources)
    pd.testing.assert_frame_equal(a.source_flags, b.source_flags)
    for pub in (releases["a"], releases["b"]):
        src = pub.planning.sources
        assert (src["count"] >= K).all()
        hidden = set(pub.units.loc[pub.units["incidents"].isna(), "unit_id"].astype(str))
        assert not set(src["unit_id"].astype(str)) & hidden


def test_internal_sources_keep_every_row(releases):
    src = releases["internal"].planning.sources
    assert (src["count"] < K).any()  # the internal view is not protected


# ------------------------------------------------------------------ scan, summary, planning


def test_public_scan_figures_are_coarse(releases):
    for name in ("a", "b"):
        scan = releases[name].scan
        assert scan is not None and len(scan)
        for col in SCAN_FIGURES:
            values = pd.to_numeric(scan[col], errors="coerce").dropna().to_numpy(dtype=float)
            assert len(values)
            assert all(_round(float(v)) == v for v in values), (col, values)
    internal = releases["internal"].scan
    assert any(_round(float(v)) != v for v in internal["expected"])  # the internal view: exact


def test_public_summary_hides_n_sensitive_and_counts_public_planning(releases):
    internal = releases["internal"]
    assert internal.summary["n_sensitive"] > 0
    for name in ("a", "b"):
        pub = releases[name]
        assert pub.summary["n_sensitive"] is None
        plan = pub.summary["planning"]
        assert plan["n_priorities"] == len(pub.priorities)
        assert plan["n_source_flags"] == len(pub.planning.source_flags)


# ------------------------------------------------------------------ borderwatch audit


@pytest.fixture(scope="module")
def written(releases) -> tuple[Path, Path]:
    tmp = releases["tmp"]
    out = []
    for name in ("a", "b"):
        d = tmp / f"out_{name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bw.write_outputs(releases[name], d, static=False)
        out.append(d)
    return out[0], out[1]


def test_audit_of_two_protected_releases_finds_no_risk(written):
    rep = audit_releases(*written)
    assert rep.risks == [], rep.text()
    assert any("rose or fell by exactly 1" in line for line in rep.lines)


@pytest.mark.parametrize("doctor", ["n_sensitive", "scan", "sources", "minus_one"])
def test_audit_reports_each_leak(written, tmp_path, doctor):
    a, b = written
    b2 = tmp_path / "b"
    shutil.copytree(b, b2)
    if doctor == "n_sensitive":
        s = json.loads((b2 / "summary.json").read_text())
        s["n_sensitive"] = 41
        (b2 / "summary.json").write_text(json.dumps(s))
        want = "n_sensitive is published"
    elif doctor == "scan":
        import geopandas as gpd

        layers = {}
        import pyogrio

        for name, _ in pyogrio.list_layers(b2 / "hotspots.gpkg"):
            layers[str(name)] = gpd.read_file(b2 / "hotspots.gpkg", layer=str(name))
        layers["scan"]["expected"] = 344.9195597849253
        (b2 / "hotspots.gpkg").unlink()
        for name, layer in layers.items():
            layer.to_file(b2 / "hotspots.gpkg", layer=name, driver="GPKG")
        want = "expected at full precision"
    elif doctor == "sources":
        sheets = pd.read_excel(b2 / "action_plan.xlsx", sheet_name=None)
        src = sheets["sources"]
        src.loc[len(src)] = ["XX.1", "MLI", "2024Q1", "police", np.nan, np.nan]
        with pd.ExcelWriter(b2 / "action_plan.xlsx") as xl:
            for name, sheet in sheets.items():
                sheet.to_excel(xl, sheet_name=name, index=False)
        want = "rows of the sources sheet have a count hidden"
    else:
        units = pd.read_csv(b2 / "units.csv", dtype={"unit_id": str})
        i = int(units["incidents"].first_valid_index())
        units.loc[i, "incidents"] = units.loc[i, "incidents"] - 1
        units.to_csv(b2 / "units.csv", index=False)
        rep = audit_releases(a, b2)
        assert any("1 counts rose or fell by exactly 1" in line for line in rep.lines), rep.text()
        assert any("published counts of units.csv changed" in line for line in rep.lines)
        return
    rep = audit_releases(a, b2)
    assert any(want in r and "(B)" in r for r in rep.risks), rep.text()
    assert not any("(A)" in r for r in rep.risks)


# ------------------------------------------------------------------ a bare "trafficking"


@pytest.mark.parametrize(
    ("text", "category", "sensitive"),
    [
        ("trafficking", "iccs02_harm", True),  # of persons or of goods: protected all the same
        ("Trafficking", "iccs02_harm", True),
        ("trafic", "iccs02_harm", True),
        ("tráfico", "iccs02_harm", True),
        ("traite", "iccs02_harm", True),  # alone, trafficking in persons
        ("trata", "iccs02_harm", True),
        ("human trafficking", "iccs02_harm", True),
        ("drug trafficking", "iccs06_drugs", False),
        ("arms trafficking", "iccs09_public_safety", False),
        ("trafic de drogue", "iccs06_drugs", False),
    ],
)
def test_bare_trafficking_is_protected(text, category, sensitive):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matched: no "not in the crosswalk" warning
        inc = bw.read_incidents(pd.DataFrame({"lon": [1.5], "lat": [14.2], "category": [text]}))
    assert inc["category"].iloc[0] == category
    assert bool(inc["sensitive"].iloc[0]) is sensitive


# ------------------------------------------------------------------ the priorities' figures


def test_public_priorities_follow_published_counts_only(releases):
    """Wave 20 review (helper-47): the priorities' relative risks, intersected, gave the
    true total, and their scores (4 decimals, from the true counts) gave each area's true
    count and true sensitive count. Now the relative risk follows the published count and
    the published total, and the areas are scored from their published values."""
    from borderwatch.privacy.planning import public_priorities

    internal = releases["internal"]
    n_int = internal.summary["n_incidents"]
    n_pub = n_int + 3  # a published total other than the true one
    p = Perturber.of(internal.incidents, key=b"k" * 32, k=K)
    pub = public_priorities(
        internal.priorities,
        k=K,
        hotspots=internal.hotspots,
        scan=internal.scan,
        perturber=p,
        as_of=internal.planning.as_of,
        window_days=internal.planning.window_days,
        totals=(n_int, n_pub),
        weights=dict(internal.settings.score_weights),
    )
    key = ["kind", "area_id"]
    merged = pub.merge(
        pd.DataFrame(internal.priorities[[*key, "n_incidents", "relative_risk"]]),
        on=key,
        suffixes=("", "_true"),
    )
    assert len(merged) == len(pub) > 3
    assert (merged["n_incidents"] != merged["n_incidents_true"]).any()  # perturbed
    want = (
        merged["relative_risk_true"]
        * merged["n_incidents"].astype(float)
        / merged["n_incidents_true"]
        * n_int
        / n_pub
    ).round(1)
    assert np.allclose(merged["relative_risk"].astype(float), want, atol=0.051)
    # the strength is made of the published relative risks (rounded to 0.1 afterwards)
    rr = pub["relative_risk"].astype(float).to_numpy()
    log_rr = np.log(np.where(rr > 1, rr, 1.0))
    assert np.allclose(pub["score_strength"], log_rr / log_rr.max(), atol=0.01)
    # ranked by the public score; no sensitive count and no score of the true counts
    assert pub["rank"].tolist() == list(range(1, len(pub) + 1))
    assert pub["score"].is_monotonic_decreasing
    assert "sensitive_incidents" not in pub.columns
    # the sensitive component: of the areas' perturbed sensitive counts, not the true ones
    sens = internal.priorities.set_index(key)["sensitive_incidents"].loc[pub.set_index(key).index]
    sens = np.where(sens.to_numpy(dtype=float) >= K, sens.to_numpy(dtype=float), 0.0)
    share = sens / pub["n_incidents"].astype(float).to_numpy()
    assert not np.allclose(pub["score_sensitive"], np.round(share / share.max(), 4))
    true_scores = internal.priorities.set_index(key)["score"]
    assert not np.allclose(pub.set_index(key)["score"], true_scores.loc[pub.set_index(key).index])


# ------------------------------------------------------------------ the review's findings


def _sourced(n: int = 300, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "unit_id": rng.choice(["a", "b", "c"], n),
            "country": "MLI",
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 360, n), "D"),
            "reported_by": rng.choice(["police", "community", "NGO"], n),
            "sensitive": rng.random(n) < 0.3,
        }
    )


def test_sources_are_keyed_by_their_incidents():
    """The table's counts are the tallies of the incidents' own rows (cell keys of the
    incidents, not of the label and value)."""
    from borderwatch.planning.sources import sources
    from borderwatch.privacy._records import coded
    from borderwatch.privacy.planning import _SOURCE_KEYS, _source_records

    inc = _sourced()
    table = sources(inc)
    p = Perturber.of(inc, key=b"k" * 32, k=K)
    for only_sensitive, col in ((False, "count"), (True, "sensitive")):
        records = partial(_source_records, column=None, only_sensitive=only_sensitive)
        got = p.records.tally(coded(records, table[_SOURCE_KEYS].astype(str)), len(table), p.key)
        assert got is not None
        assert got[0].tolist() == table[col].tolist()


def test_a_part_of_the_incidents_with_few_known_sources_is_still_keyed():
    """A partition (the dask engine's) where most texts name no known source: its rows are
    keyed by the column the whole data set was read with, not dropped."""
    from borderwatch.planning.sources import source_rows
    from borderwatch.privacy.planning import _source_records

    part = _sourced(40)
    part.loc[part.index[:32], "reported_by"] = "market gossip"  # a source of kind "other"
    assert source_rows(part) is None  # alone, this part fails the test of a source column
    got = _source_records(part, column=None, only_sensitive=False)
    assert got is not None and (got["unit_id"] != "").all()
    assert (got["source"] == "other").sum() == 32


def test_priorities_are_rescored_without_settings_and_without_incidents(releases):
    from borderwatch.privacy.planning import public_priorities

    internal = releases["internal"]
    opts = dict(k=K, hotspots=internal.hotspots, scan=internal.scan)
    key = ["kind", "area_id"]
    true_scores = internal.priorities.set_index(key)
    # no settings: the default weights, published values all the same
    p = Perturber.of(internal.incidents, key=b"k" * 32, k=K)
    pub = public_priorities(
        internal.priorities,
        perturber=p,
        as_of=internal.planning.as_of,
        window_days=internal.planning.window_days,
        totals=(internal.summary["n_incidents"], internal.summary["n_incidents"]),
        **opts,
    ).set_index(key)
    assert not np.allclose(pub["score_sensitive"], true_scores.loc[pub.index, "score_sensitive"])
    # no incidents to key the counts by: the sensitive component counts none
    bare = public_priorities(internal.priorities, **opts)
    assert len(bare) and (bare["score_sensitive"] == 0).all()
    assert "sensitive_incidents" not in bare.columns


def test_scan_areas_take_the_published_expected_count():
    from borderwatch.privacy.planning import _scan_expected, public_relative_risk

    pr = pd.DataFrame({"kind": ["scan", "hotspot", "scan"], "area_id": ["1", "1", "2"]})
    scan = pd.DataFrame({"scan_id": [1, 2], "expected": [340.0, 12.0]})
    e = _scan_expected(pr, scan)
    assert np.isnan(e[1]) and e[[0, 2]].tolist() == [340.0, 12.0]
    rr = public_relative_risk(
        np.array([7.9, 3.0, 2.5]),
        np.array([2589.0, 50.0, 30.0]),
        np.array([2586.0, 52.0, 31.0]),
        totals=(2711, 2710),
        expected=e,
    )
    want0 = (2586 / 340.0) / ((2710 - 2586) / (2710 - 340.0))
    assert rr[0] == pytest.approx(want0) and rr[2] == pytest.approx((31 / 12) / (2679 / 2698))
    assert rr[1] == pytest.approx(3.0 * 52 / 50 * 2711 / 2710)


# ------------------------------------------------------------------ swapped columns, named


def test_swapped_columns_name_the_options_that_read_them(tmp_path, cli):
    """Every latitude out of range would be a longitude: the message names the fix."""
    frame = pd.DataFrame({"longitude": [31.7, 31.2, 30.9], "latitude": [-106.4, -106.1, -105.8]})
    with pytest.raises(bw.DataError, match=r"lat_col='longitude' and lon_col='latitude'"):
        bw.read_incidents(frame)
    # one latitude that no swap would mend: the question as before
    odd = pd.DataFrame({"longitude": [-120.7, 31.2], "latitude": [-106.4, 20.0]})
    with pytest.raises(bw.DataError, match="are the columns swapped or in projected metres"):
        bw.read_incidents(odd)
    csv = tmp_path / "swapped.csv"
    frame.to_csv(csv, index=False)
    units = Path(bw.datasets.boundary_path("liptako_gourma"))
    out = tmp_path / "out"
    code, _, err = cli("analyze", "--units", units, "--incidents", csv, "--out", out)
    assert code == 2
    assert "--lat-col longitude and --lon-col latitude" in " ".join(err.split())
    assert not out.exists()
