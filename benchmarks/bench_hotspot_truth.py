"""Benchmark: do the hotspot statistics hold? Figures for docs/hotspots.md.

Run: ``python benchmarks/bench_hotspot_truth.py [--quick]``. Prints

1. the study CRS against geodesic distances (pyproj.Geod): the largest relative
   error of distances inside study areas 3,000 km across, and 5 km at Tijuana and
   Juarez on the shipped Mexico-USA file (which crosses the antimeridian);
2. kNN weights: links per cell and the largest change of Gi* z under shuffled cells;
3. Mann-Kendall false-trend rates under no trend, exact against the normal
   approximation, and emerging hot spots of a flat cluster while other areas grow;
4. the conditional permutation p-values of esda and borderwatch on sparse counts
   (esda folds ties into the upper tail);
5. the default cell size: incidents per Gi* neighbourhood on the demo and the real
   data (``../shared/data``, skipped when absent);
6. evaluate() on the demo and on the UCDP Mexican border-state events at equal coverage.

Not a test: figures depend on the machine and the seeds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from borderwatch import grid
from borderwatch._crs import study_crs
from borderwatch._mannkendall import mk_test
from borderwatch._stats import mann_kendall
from borderwatch.datasets import DEMO_SEED, boundary_path, demo_incidents, demo_units
from borderwatch.hotspots import gi_star

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
GEOD = Geod(ellps="WGS84")


def crs_errors() -> None:
    print("1. study CRS against geodesic distances")
    rng = np.random.default_rng(1)
    worst = 0.0
    for lon0, lat0 in [(2, 14), (-110, 31), (20, 62), (179, -17), (-175, 64), (45, -35)]:
        az = rng.uniform(-180, 180, 500)
        dist = 1.5e6 * np.sqrt(rng.uniform(0, 1, 500))
        lon, lat, _ = GEOD.fwd(np.full(500, lon0), np.full(500, lat0), az, dist)
        crs = study_crs(gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326))
        t = Transformer.from_crs(4326, crs, always_xy=True)
        x, y = t.transform(lon, lat)
        i, j = rng.integers(0, 500, (2, 5000))
        keep = i != j
        i, j = i[keep], j[keep]
        _, _, geo = GEOD.inv(lon[i], lat[i], lon[j], lat[j])
        rel = np.abs(np.hypot(x[i] - x[j], y[i] - y[j]) / geo - 1)
        worst = max(worst, rel.max())
        print(
            f"   area 3,000 km across at ({lon0:>4}, {lat0:>3}): max |error| {rel.max() * 100:.2f} %"
        )
    units = gpd.read_file(boundary_path("mex_usa"))
    pts = gpd.GeoSeries(gpd.points_from_xy([-117.02, -106.42], [32.53, 31.69]), crs=4326)
    for label, inc in (("units only (old rule's input)", None), ("incidents at both cities", pts)):
        crs = study_crs(units, incidents=inc)
        t = Transformer.from_crs(4326, crs, always_xy=True)
        out = []
        for lon, lat in ((-117.02, 32.53), (-106.42, 31.69)):
            az = np.arange(0, 360, 15.0)
            lon2, lat2, _ = GEOD.fwd(np.full(24, lon), np.full(24, lat), az, np.full(24, 5000.0))
            x1, y1 = t.transform(np.full(24, lon), np.full(24, lat))
            x2, y2 = t.transform(lon2, lat2)
            km = np.hypot(x2 - x1, y2 - y1) / 1000
            out.append(f"{km.min():.3f}-{km.max():.3f} km")
        print(f"   Mexico-USA (with Alaska), {label}: 5 km at Tijuana {out[0]}, at Juarez {out[1]}")


def knn_order() -> None:
    print("\n2. kNN weights (k=8) on a hexagonal grid")
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1_000_000, 600_000)], crs=3857)
    cells = grid.hex_grid(units, cell_km=5).cells.reset_index(drop=True)
    t0 = time.perf_counter()
    w = grid.cell_weights(cells, kind="knn", k=8, warn=False)
    dt = time.perf_counter() - t0
    card = w.cardinalities
    print(
        f"   {len(cells):,} cells in {dt:.2f} s; links per cell: median {np.median(card):g}, "
        f"min {card.min()}, max {card.max()} (ties at the 8th distance included)"
    )
    y = np.random.default_rng(4).negative_binomial(1, 0.2, len(cells)).astype(float)
    z = gi_star(y, w, permutations=0, inference="analytic").table["gi_z"].to_numpy()
    worst = 0.0
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(cells))
        ws = grid.cell_weights(
            cells.iloc[order].reset_index(drop=True), kind="knn", k=8, warn=False
        )
        zs = gi_star(y[order], ws, permutations=0, inference="analytic").table["gi_z"].to_numpy()
        worst = max(worst, float(np.abs(zs - z[order]).max()))
    print(f"   largest change of Gi* z under 3 shuffles of the cells: {worst:.1e}")


def trends(quick: bool) -> None:
    print("\n3. Mann-Kendall false-trend rate (p < 0.05) under no trend, 40,000 series")
    rng = np.random.default_rng(0)
    print(f"   {'bins':>4} {'exact':>7} {'normal approx':>14}")
    for t in (4, 5, 6, 8, 10, 12):
        x = np.vstack([rng.normal(size=(20_000, t)), rng.poisson(1.0, (20_000, t)).astype(float)])
        exact = (mk_test(x)[2] < 0.05).mean()
        normal = (mann_kendall(x)[2] < 0.05).mean()
        print(f"   {t:>4} {exact * 100:>6.2f}% {normal * 100:>13.2f}%")
    from borderwatch.emerging import emerging_hotspots

    seeds = range(4 if quick else 12)
    w_, h_ = 240e3, 160e3
    area = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, w_, h_)], crs=3857)
    g = grid.hex_grid(area, cell_km=10)
    classes = []
    t0 = time.perf_counter()
    for seed in seeds:
        r = np.random.default_rng(seed)
        xy, dates = [], []
        for m, month in enumerate(pd.date_range("2022-01-01", periods=12, freq="MS")):
            for pts in (
                r.uniform([0, 0], [w_, h_], (40, 2)),
                r.uniform([120e3, 0], [w_, h_], (30 * m, 2)),
                r.normal((60e3, 60e3), 3_000, (40, 2)),
                r.normal((190e3, 110e3), 3_000, (10 + 15 * m, 2)),
            ):
                xy.append(pts)
                dates += [month + pd.Timedelta(days=int(d)) for d in r.integers(0, 28, len(pts))]
        xy = np.vstack(xy)
        inc = gpd.GeoDataFrame(
            {"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857
        )
        res = emerging_hotspots(inc, g, seed=2)
        where = grid.point_cells(g, gpd.GeoSeries([shapely.Point(60e3, 60e3)], crs=3857))
        classes.append(res.trend_class.to_numpy()[where][0])
    dt = (time.perf_counter() - t0) / len(seeds)
    counts = pd.Series(classes).value_counts().to_dict()
    print(
        f"   flat 40-a-month cluster while the east grows, {len(seeds)} runs "
        f"({len(g.cells)} cells x 12 months, {dt:.1f} s each): {counts}"
    )


def esda_ties() -> None:
    print("\n4. conditional permutation p-values on sparse counts (3 incidents, 137 cells)")
    import esda

    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100_000, 100_000)], crs=3857)
    g = grid.hex_grid(units, cell_km=10)
    w = grid.cell_weights(g, warn=False)
    y = np.zeros(w.n)
    y[[5, 40, 77]] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(
            y, w.to_W(), transform="B", star=True, permutations=999, seed=1, n_jobs=1
        )
    mine = gi_star(y, w, permutations=999, seed=1, inference="permutation").table["gi_p_sim"]
    empty = (w.sparse @ y + y) == 0
    print(
        f"   {int(empty.sum())} cells with no incident in their neighbourhood (statistic equal "
        f"in every permutation): esda p_sim = {np.unique(ref.p_sim[empty])}, "
        f"borderwatch gi_p_sim = {np.unique(mine.to_numpy()[empty])}"
    )


def cell_sizes() -> None:
    print("\n5. default cell size: incidents per Gi* neighbourhood (the cell and its 6 neighbours)")
    cases = [("demo (synthetic, Liptako-Gourma)", demo_units(), None)]
    if SHARED.exists():
        for region, events, label in [
            ("mex_usa", "ucdp_ged_mexico_border_states_1989_2023.csv", "UCDP Mexico border states"),
            ("car_and_neighbours", "ucdp_ged_v23_1_central_african_republic.csv", "UCDP CAR"),
            ("col_ven", "ucdp_ged_yearonly_colombia.csv", "UCDP Colombia"),
            (
                "lake_chad_nga_ner_tcd_cmr",
                "ucdp_ged_yearonly_lake_chad_region.csv",
                "UCDP Lake Chad",
            ),
            ("afg_pak", "ucdp_ged_yearonly_afghanistan_pakistan.csv", "UCDP Afghanistan-Pakistan"),
        ]:
            u = gpd.read_file(SHARED / "boundaries" / f"ne10m_adm1_{region}.geojson")
            u["geometry"] = u.geometry.make_valid()
            ev = pd.read_csv(SHARED / "events" / events, usecols=["longitude", "latitude"])
            cases.append((label, u, ev))
    print(
        f"   {'data':<34} {'incidents':>9} {'cell km':>7} {'cells':>6} {'even spread':>11} "
        f"{'median busy':>11} {'mean busy':>9}"
    )
    for label, units, ev in cases:
        if ev is None:
            ev = demo_incidents(seed=DEMO_SEED, units=units)
        pts = gpd.GeoSeries(gpd.points_from_xy(ev["longitude"], ev["latitude"]), crs=4326)
        crs = study_crs(units, incidents=pts)
        um, pm = units.to_crs(crs), pts.to_crs(crs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ck = grid.default_cell_km(pm, units=um, crs=crs)
            g = grid.hex_grid(um, cell_km=ck, crs=crs)
            w = grid.cell_weights(g, warn=False)
        where = grid.point_cells(g, pm)
        y = np.bincount(where[where >= 0], minlength=w.n).astype(float)
        hood = w.sparse @ y + y
        area = g.cells["area_km2"].to_numpy()
        even = y.sum() * (w.sparse @ area + area) / area.sum()
        busy = hood[y > 0]
        print(
            f"   {label:<34} {int(y.sum()):>9,} {ck:>7g} {w.n:>6,} {np.median(even):>11.1f} "
            f"{np.median(busy):>11.1f} {busy.mean():>9.1f}"
        )


def demo_evaluation() -> None:
    print("\n6. evaluate() on the demo at equal coverage (PAI; split at the 75 % date quantile)")
    from borderwatch.evaluate import evaluate

    units = demo_units()
    ev = demo_incidents(seed=DEMO_SEED, units=units)
    pts = gpd.GeoDataFrame(
        {"date": pd.to_datetime(ev["date"])},
        geometry=gpd.points_from_xy(ev["longitude"], ev["latitude"]),
        crs=4326,
    )
    crs = study_crs(units, incidents=pts)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = evaluate(pts, units, crs=crs, method=("gi", "kde", "counts", "hotspots"))
    dt = time.perf_counter() - t0
    piv = table[table["at"] == "fixed"].pivot(index="method", columns="coverage", values="pai")
    print(piv.round(1).to_string())
    own = table[table["at"] == "own"].iloc[0]
    print(
        f"   hotspot map as drawn: coverage {own['coverage'] * 100:.2f} %, PAI {own['pai']:.1f}; "
        f"cell {table['cell_km'].iloc[0]:g} km; {dt:.1f} s"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = evaluate(
            pts, units, crs=crs, method=("gi", "kde", "counts"), coverage=own["coverage"]
        )
    print(
        "   the rankings at that coverage: "
        + ", ".join(f"{m} {p:.1f}" for m, p in zip(same["method"], same["pai"], strict=True))
    )


def real_evaluation() -> None:
    if not SHARED.exists():
        return
    print("\n7. evaluate() on the UCDP Mexican border-state events, 25 km hexagons")
    from borderwatch.evaluate import evaluate

    units = gpd.read_file(SHARED / "boundaries" / "ne10m_adm1_mex_usa.geojson")
    units["geometry"] = units.geometry.make_valid()
    units = units.rename(columns={"adm0_iso3": "country"})
    ev = pd.read_csv(SHARED / "events" / "ucdp_ged_mexico_border_states_1989_2023.csv")
    pts = gpd.GeoDataFrame(
        {"date": pd.to_datetime(ev["date_start"])},
        geometry=gpd.points_from_xy(ev["longitude"], ev["latitude"]),
        crs=4326,
    )
    crs = study_crs(units, incidents=pts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = evaluate(
            pts, units, crs=crs, cell_km=25, method=("gi", "kde", "counts", "hotspots")
        )
        own = table[table["at"] == "own"].iloc[0]
        same = evaluate(
            pts,
            units,
            crs=crs,
            cell_km=25,
            method=("gi", "kde", "counts"),
            coverage=own["coverage"],
        )
    piv = table[table["at"] == "fixed"].pivot(index="method", columns="coverage", values="pai")
    print(piv.round(1).to_string())
    print(
        f"   hotspot map as drawn: coverage {own['coverage'] * 100:.2f} %, PAI {own['pai']:.1f}; "
        "the rankings at that coverage: "
        + ", ".join(f"{m} {p:.1f}" for m, p in zip(same["method"], same["pai"], strict=True))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer emerging runs")
    args = parser.parse_args()
    crs_errors()
    knn_order()
    trends(args.quick)
    esda_ties()
    cell_sizes()
    demo_evaluation()
    real_evaluation()


if __name__ == "__main__":
    main()
