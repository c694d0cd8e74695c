"""Privacy across releases (issue 10): the eight attacks of the adversarial review.

Each test plants a victim in synthetic data around Ciudad Juárez / El Paso (or uses the
real Mexico–US admin-2 boundaries when ../shared is present) and runs the attack on
public releases; a control runs the same attack on what the public view published
before (exact counts, continuous density, zeros shown) and shows that it succeeded.
"""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from scipy.optimize import curve_fit
from shapely.geometry import Point

from _release_data import FAST, JUAREZ, border_units, incidents
from borderwatch import BorderwatchWarning, analyze, scan_for_leaks, write_outputs
from borderwatch.density import density
from borderwatch.join import aggregate_counts
from borderwatch.lattice import ALLOWED_CELL_KM, cell_polygons
from borderwatch.privacy import public_view
from borderwatch.privacy.audit import lp_audit
from borderwatch.privacy.cellkey import DEMO_KEY, PTable, cell_keys, record_keys
from borderwatch.privacy.classed import DENSITY_BREAKS

GEOD = Geod(ellps="WGS84")
K = 5


@pytest.fixture(scope="module")
def base():
    """The internal analysis of the synthetic twin cities (no victim yet)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(border_units(), incidents(), view="internal", **FAST)


def _with(result, lon: float, lat: float, category: str, vid: str = "VIC-001"):
    """``result`` with one more incident (the victim), its tables recounted."""
    inc = result.incidents
    row = inc.iloc[[0]].copy()
    row["id"] = vid
    row["category"] = category
    row["sensitive"] = category == "iccs03_sexual"
    row = row.set_geometry([Point(lon, lat)], crs=inc.crs)
    hit = gpd.sjoin(row[["geometry"]], result.units[["unit_id", "geometry"]], predicate="within")
    row["unit_id"] = hit["unit_id"].iloc[0]
    new = pd.concat([inc, row], ignore_index=True)
    units = result.units.copy()
    sel = units["unit_id"] == row["unit_id"].iloc[0]
    units.loc[sel, "incidents"] += 1
    units.loc[sel, category] += 1
    s = dict(result.summary)
    s["n_incidents"] += 1
    s["n_sensitive"] += int(category == "iccs03_sexual")
    s["join"] = dict(s["join"], within=s["join"]["within"] + 1)
    return result.replace(
        incidents=new, units=units, counts=aggregate_counts(new, period="month"), summary=s
    )


def _pub(result):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return public_view(result, k=K, key=DEMO_KEY)


def _gaussian_fit(a, b):
    """The differencing attack: fit a 2-D Gaussian to b - a; return its centre (x, y) in the
    rasters' CRS, or None when the two surfaces do not differ."""
    diff = np.nan_to_num(b.values, nan=0.0) - np.nan_to_num(a.values, nan=0.0)
    if not np.any(diff):
        return None
    t = b.transform
    rows, cols = np.indices(diff.shape)
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    i = np.unravel_index(np.argmax(np.abs(diff)), diff.shape)

    def g(xy, amp, x0, y0, s):
        return amp * np.exp(-((xy[0] - x0) ** 2 + (xy[1] - y0) ** 2) / (2 * s * s))

    p0 = [diff[i], x[i], y[i], abs(t.a) * 2]
    try:
        p, _ = curve_fit(g, (x.ravel(), y.ravel()), diff.ravel(), p0=p0, maxfev=4000)
    except RuntimeError:
        return x[i], y[i]
    return p[1], p[2]


def _error_m(xy, crs, lon, lat) -> float:
    if xy is None:
        return float("inf")
    p = gpd.GeoSeries([Point(*xy)], crs=crs).to_crs(4326).iloc[0]
    return float(GEOD.inv(p.x, p.y, lon, lat)[2])


# ------------------------------------------------------------------------ 1. two releases


def test_attack1_density_differencing_no_longer_locates_the_added_incident(base, tmp_path):
    victim = (*JUAREZ, "iccs03_sexual")
    after = _with(base, *victim)
    # control: the continuous masked surface the public view used to publish
    old = [density(r.incidents, bandwidth_km=2.0, cell_km=0.5).masked(K) for r in (base, after)]
    err_old = _error_m(_gaussian_fit(*old), old[0].crs, *JUAREZ)
    assert err_old < 50  # metres: the attack of the review works on the old surface
    # the public surfaces, written and read back as density.tif
    import rasterio

    surfaces = []
    for i, r in enumerate((base, after)):
        pub = _pub(r)
        path = pub.density.to_geotiff(tmp_path / f"d{i}.tif")
        with rasterio.open(path) as src:
            vals = src.read(1)
            assert src.crs.to_epsg() == 6933
        assert set(np.unique(vals[np.isfinite(vals)])) <= {1.0, 2.0, 3.0, 4.0, 5.0}
        surfaces.append(pub.density)
    err_new = _error_m(_gaussian_fit(*surfaces), surfaces[0].crs, *JUAREZ)
    assert err_new > 2000, err_new


def test_attack1_added_incident_changes_published_counts_unpredictably():
    """The same records always give the same value; one added record moves it by -3..+5,
    and by exactly +1 in at most half of the cases (the old view: always +1)."""
    pt = PTable(k=K)
    inc = pd.DataFrame({"id": [f"INC-{i}" for i in range(140)]})
    keys = record_keys(inc, DEMO_KEY)
    base_ck = cell_keys(keys, np.zeros(140, dtype=int), 1)
    before = pt.publish(np.array([140]), base_ck)[0]
    assert pt.publish(np.array([140]), base_ck)[0] == before  # consistent
    victims = pd.DataFrame({"id": [f"VIC-{i}" for i in range(400)]})
    vk = record_keys(victims, DEMO_KEY)
    after = np.array([pt.publish(np.array([141]), (base_ck + v) % (1 << 32))[0] for v in vk])
    diff = after - before
    assert set(np.unique(diff)) <= set(range(-3, 6))
    # +1 only when the new deviation equals the old one: P = weights[d_before + D] (<= 0.5)
    share_plus_one = float(np.mean(diff == 1))
    expected = PTable().weights[int(before - 140) + 2]
    assert abs(share_plus_one - expected) < 0.08 and share_plus_one < 0.6, share_plus_one
    # the deviation has mean ~0 and variance ~V = 0.8 away from the threshold
    devs = after - 141
    assert abs(devs.mean()) < 0.15 and abs(devs.var() - pt.variance) < 0.2


def test_attack1_tables_of_two_releases(base):
    after = _with(base, *JUAREZ, "iccs03_sexual")
    a, b = _pub(base), _pub(after)
    # the same data gives the same release, to the last count
    again = _pub(base)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.units.drop(columns="geometry")),
        pd.DataFrame(again.units.drop(columns="geometry")),
    )
    assert a.summary["n_sensitive"] == again.summary["n_sensitive"]
    # every published count is within D of the truth, never below k
    for pub, res in ((a, base), (b, after)):
        true = res.units.set_index("unit_id")
        shown = pub.units.set_index("unit_id")
        for c in ["incidents", "iccs03_sexual", "iccs05_property"]:
            s = shown[c].dropna()
            assert ((s - true.loc[s.index, c]).abs() <= 2).all() and (s >= K).all()
        # not published: its change between releases would say the changed incident's category
        assert pub.summary["n_sensitive"] is None and res.summary["n_sensitive"] > 0


# ------------------------------------------------------------------------ 2. attribute disclosure


def test_attack2_small_unit_all_sexual_violence_is_not_disclosed(base):
    res = base
    for j in range(3):  # three sexual-violence incidents in the small unit, nothing else
        res = _with(res, -105.95 + 0.01 * j, 31.35, "iccs03_sexual", vid=f"VIC-{j}")
    true = res.units.set_index("unit_id").loc["MX9"]
    assert true["incidents"] == 3 and true["iccs03_sexual"] == 3
    pub = _pub(res).units.set_index("unit_id").loc["MX9"]
    cats = [c for c in res.units.columns if c.startswith("iccs")]
    assert pub[["incidents", *cats]].isna().all()  # no zero next to a hidden category
    assert not [b for b in lp_audit(_pub(res).units, k=K, d=2) if not b.protected]
    # control: the old view (zeros shown) gives it away, and the audit says so
    old = pd.DataFrame([{"unit_id": "MX9", "incidents": None, **{c: 0 for c in cats}}])
    old["iccs03_sexual"] = None
    found = [b.what for b in lp_audit(old, k=K, d=0) if not b.protected]
    assert found == ["unit MX9 / iccs03_sexual holds all of its incidents"]


# ------------------------------------------------------------------------ 3 and 6. linked tables


def _unit_table(total, sexual, prop):
    return pd.DataFrame(
        [{"unit_id": "u", "incidents": total, "iccs03_sexual": sexual, "iccs05_property": prop}]
    )


def test_attack3_linked_tables_lp_audit():
    """The review's case: property months 6 + 7, total 15, sexual hidden."""
    months = pd.DataFrame(
        {
            "unit_id": ["u", "u"],
            "category": ["iccs05_property"] * 2,
            "period": ["2023-03-01", "2023-04-01"],
            "count": [6, 7],
        }
    )
    # exact tables (the old view): sexual = 15 - 13 = 2 is pinned
    old = lp_audit(_unit_table(15, None, None), [months], k=K, d=0)
    assert [(b.what, b.lo, b.hi) for b in old if not b.protected] == [
        ("unit u / iccs03_sexual", 0.0, 2.0),
    ]
    # perturbed tables (every shown value +-2): nothing hidden is bounded below k
    new = lp_audit(_unit_table(15, None, None), [months], k=K, d=2)
    assert all(b.protected for b in new), new


def test_attack3_counts_never_rebuild_a_hidden_unit_total(base):
    res = _with(
        _with(base, -105.95, 31.35, "iccs03_sexual", "V1"), -105.96, 31.36, "iccs05_property", "V2"
    )
    pub = _pub(res)
    hidden = pub.units.loc[pub.units["incidents"].isna(), "unit_id"]
    assert "MX9" in set(hidden)
    assert not pub.counts["unit_id"].isin(hidden).any()
    for c in ("iccs03_sexual", "iccs05_property"):
        gone = set(pub.units.loc[pub.units[c].isna(), "unit_id"])
        listed = set(pub.counts.loc[pub.counts["category"] == c, "unit_id"])
        assert not (gone & listed)
    assert (pub.counts["count"] >= K).all()
    assert all(
        b.protected
        for b in lp_audit(pd.DataFrame(pub.units.drop(columns="geometry")), [pub.counts], k=K, d=2)
    )


def test_attack6_period_differencing_month_against_year(base):
    """Releases that differ only in --period: every hidden count keeps 0..k in its interval."""
    releases = []
    for period in ("month", "year"):
        res = base.replace(
            counts=aggregate_counts(base.incidents, period=period),
            summary=dict(base.summary, counts_period=period),
        )
        releases.append(_pub(res))
    units = pd.DataFrame(releases[0].units.drop(columns="geometry"))
    pd.testing.assert_frame_equal(units, pd.DataFrame(releases[1].units.drop(columns="geometry")))
    bounds = lp_audit(units, [r.counts for r in releases], k=K, d=2)
    assert bounds and all(b.protected for b in bounds)
    # control: exact counts of both periods (the old view listed every row >= k exactly)
    exact = []
    for period in ("month", "year"):
        c = aggregate_counts(base.incidents, period=period)
        exact.append(c[c["count"] >= K])
    true = pd.DataFrame(base.units.drop(columns="geometry"))
    old_units = true.copy()
    old_units["iccs03_sexual"] = old_units["iccs03_sexual"].where(old_units["iccs03_sexual"] >= K)
    assert [b for b in lp_audit(old_units, exact, k=K, d=0) if not b.protected]


# ------------------------------------------------------------------------ 4. grid intersection


def test_attack4_public_grid_is_the_fixed_lattice_and_zeros_are_hidden():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pub = analyze(border_units(), incidents(), view="public", cell_km=4, **FAST)
    assert pub.summary["cell_km"] == 5.0  # 4 km snaps to the nearest allowed size
    cells = pub.cells
    assert "lattice_id" in cells.columns
    shown = cells["count"].dropna()
    assert (shown >= K).all() and not (cells["count"] == 0).any()
    squares = cell_polygons(cells["lattice_id"]).to_crs(4326)
    inside = [sq.buffer(1e-9).contains(g) for sq, g in zip(squares, cells.geometry, strict=True)]
    assert all(inside)
    assert 5 in ALLOWED_CELL_KM and min(ALLOWED_CELL_KM) == 5  # >= 25 km2 (tests/test_lattice.py)


# ------------------------------------------------------------------------ 5, 7, 8. text, paths


def test_attack5_8_summary_text_and_small_counts(base, tmp_path):
    s = dict(base.summary)
    s["warnings"] = [
        "column 'pais' has 3 country values that are not ISO3 codes (MX, EEUU); left empty.",
        "2 incidents of sexual violence have no date.",
        "/home/ana/sgbv_survivors.csv: 4 rows dropped",
    ]
    s["dropped_invalid"] = {"missing_coordinates": 1, "bad_dates": 9}
    res = base.replace(summary=s)
    pub = _pub(res)
    text = json.dumps(pub.summary["warnings"])
    for needle in ("MX", "EEUU", "pais", "sexual", "sgbv", "/home", " 3 ", " 2 ", " 4 "):
        assert needle not in text, needle
    assert pub.summary["dropped_invalid"]["missing_coordinates"] is None
    assert abs(pub.summary["dropped_invalid"]["bad_dates"] - 9) <= 2
    out = write_outputs(pub.replace(summary=pub.summary), tmp_path / "pub", static=False)
    inc = res.incidents.assign(reported_country="MX")
    assert scan_for_leaks(out, inc, paths=["/home/ana/sgbv_survivors.csv"]) == []
    # control: a summary that echoes them is reported
    leaky = json.loads((out / "summary.json").read_text())
    leaky["warnings"] = s["warnings"]
    leaky["dropped_invalid"] = {"missing_coordinates": 1}
    (out / "summary.json").write_text(json.dumps(leaky))
    found = "\n".join(scan_for_leaks(out, inc, paths=["/home/ana/sgbv_survivors.csv"]))
    assert "input file name 'sgbv_survivors.csv'" in found
    assert "echoes input values ['MX']" in found
    assert "echoes category words" in found
    assert "dropped_invalid.missing_coordinates" in found


def test_attack7_input_path_is_not_in_public_outputs(tmp_path):
    src = tmp_path / "victims" / "sgbv_survivors.csv"
    src.parent.mkdir()
    inc = incidents(120)
    pd.DataFrame(
        {
            "id": inc["id"],
            "lon": inc.geometry.x,
            "lat": inc.geometry.y,
            "category": inc["category"],
            "date": inc["date"].dt.strftime("%Y-%m-%d"),
        }
    ).to_csv(src, index=False)
    units = tmp_path / "units.gpkg"
    border_units().to_file(units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(units, src, view="public", key_file=str(tmp_path / "k.key"), **FAST)
    out = write_outputs(res, tmp_path / "out", static=False)
    assert scan_for_leaks(out, inc, paths=[str(src)]) == []
    assert not (out / "k.key").exists() and (tmp_path / "k.key").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        internal = analyze(units, src, view="internal", **FAST)
    out_i = write_outputs(internal, tmp_path / "out_i", static=False)
    html = (out_i / "map.html").read_text()
    assert "sgbv_survivors.csv" in html and str(src.parent) not in html


def test_density_breaks_are_fixed():
    assert DENSITY_BREAKS == (1.0, 4.0, 16.0, 64.0)


# ------------------------------------------------------------------------ real boundaries


@pytest.mark.realdata
@pytest.mark.slow
def test_attacks_on_real_mexico_us_admin2_boundaries(shared_data):
    """The differencing attacks on the real admin-2 units around Ciudad Juárez / El Paso."""
    from borderwatch import read_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = read_units(shared_data / "boundaries" / "mex_usa_border_adm2.geojson")
        units = units[units.intersects(Point(JUAREZ).buffer(0.6))].reset_index(drop=True)
        assert set(units["country"]) == {"MEX", "USA"}
        inc = incidents(400)
        inc = inc[inc.within(units.union_all())].reset_index(drop=True)
        base = analyze(units, inc, view="internal", **FAST)
    after = _with(base, *JUAREZ, "iccs03_sexual")
    old = [density(r.incidents, bandwidth_km=2.0, cell_km=0.5).masked(K) for r in (base, after)]
    assert _error_m(_gaussian_fit(*old), old[0].crs, *JUAREZ) < 50
    a, b = _pub(base), _pub(after)
    assert _error_m(_gaussian_fit(a.density, b.density), a.density.crs, *JUAREZ) > 2000
    for pub in (a, b):
        tab = pd.DataFrame(pub.units.drop(columns="geometry"))
        assert all(x.protected for x in lp_audit(tab, [pub.counts], k=K, d=2))
        assert not (pub.cells["count"] == 0).any()


# ------------------------------------------------------------------------ borderwatch audit


@pytest.mark.slow
def test_audit_command_on_two_releases(base, tmp_path, cli):
    outs = []
    for name, extra in (("a", None), ("b", [(*JUAREZ, "iccs03_sexual")])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = analyze(border_units(), incidents(extra=extra), view="public", **FAST)
        outs.append(write_outputs(res, tmp_path / name, static=False))
    a, b = outs
    code, out, err = cli("audit", a, b)
    assert code == 0, err
    assert "no differencing attack succeeded" in out, out
    assert "grid: both on the fixed lattice" in out and "25 km²" in out
    assert "classed surface" in out
    # a public view of an internal result is counted again on the lattice: no grid risk
    pub = _pub(base)
    h = write_outputs(pub, tmp_path / "h", static=False)
    code, out, _ = cli("audit", a, h)
    assert code == 0 and "grid: both on the fixed lattice" in out, out
    assert "RISK: grid" not in out
    # cells off the lattice (here: their lattice ids taken away) are reported
    off = write_outputs(
        pub.replace(cells=pub.cells.drop(columns="lattice_id")), tmp_path / "o", static=False
    )
    code, out, _ = cli("audit", a, off)
    assert code == 0 and "RISK: grid: release B's cells are not on the fixed lattice" in out
    # the internal view is a risk, and so are exact counts
    i = write_outputs(base, tmp_path / "i", static=False)
    code, out, _ = cli("audit", a, i)
    assert code == 0 and "RISK: release B is the internal view" in out
    assert "RISK: density: continuous values" in out
    code, _, err = cli("audit", a, tmp_path / "missing")
    assert code == 2 and "borderwatch output folder" in " ".join(err.split())
