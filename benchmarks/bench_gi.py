"""Gi* timings: borderwatch.hotspots.gi_star against esda.G_Local on the same inputs.

Run: ``python benchmarks/bench_gi.py [--max-esda-perm-cells N] [--inference]``

Hexagonal grids of about 1,000, 5,000 and 30,000 cells (6-neighbour distance
band), dense counts (Poisson, mean 2) and sparse counts (2 % of cells hold an
incident). Weights are built once, outside the timings. esda runs with
``n_jobs=1``; without numba (as in this environment) its conditional
permutations fall back to plain Python. Prints a Markdown table.

``--inference`` also prints how many cells each inference rule flags as hot
(95 % confidence or more, BH-FDR, minimum neighbourhood count 3) on a uniform
sparse background, on planted clusters and on the UCDP events of the Mexican
border states (when ``../shared/data`` is present).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderwatch import grid
from borderwatch._crs import study_crs
from borderwatch._schema import is_hot
from borderwatch.hotspots import gi_star

REPO = Path(__file__).resolve().parents[1]

try:  # report whether esda could use numba
    import numba  # noqa: F401

    NUMBA = True
except ImportError:
    NUMBA = False


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run(
    y: np.ndarray, w: grid.SpatialWeights, wl: object, area: np.ndarray, kind: str, max_esda: int
) -> tuple:
    n = len(y)
    t_bw0, res0 = timed(partial(gi_star, y, w, permutations=0, inference="analytic"), repeat=3)
    t_es0, ref0 = timed(
        partial(esda.G_Local, y, wl, transform="B", star=True, permutations=0), repeat=3
    )
    dz = float(np.abs(res0.table["gi_z"].to_numpy() - ref0.Zs).max())
    t_bw, _ = timed(
        partial(
            gi_star, y, w, permutations=999, seed=1, inference="permutation", max_permutations=999
        )
    )
    t_def, _ = timed(
        partial(gi_star, y, w, permutations=999, seed=1, min_count=3, exposure=area), repeat=3
    )
    if n <= max_esda:
        t_es, _ = timed(
            partial(
                esda.G_Local, y, wl, transform="B", star=True, permutations=999, seed=1, n_jobs=1
            )
        )
        es, speed = f"{t_es:.2f}", f"{t_es / t_bw:.1f}x"
    else:
        es, speed = "skipped", ""
    return (n, kind, t_bw0, t_es0, dz, t_bw, es, speed, t_def)


def _units(name: str) -> gpd.GeoDataFrame:
    u = gpd.read_file(REPO / "data" / "boundaries" / f"ne10m_adm1_{name}.geojson")
    u = u.rename(columns={"adm0_iso3": "country"})
    u["geometry"] = u.geometry.make_valid()
    return u


def _uniform(units: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    union = shapely.union_all(units.geometry.array)
    shapely.prepare(union)
    minx, miny, maxx, maxy = union.bounds
    out = np.zeros((0, 2))
    while len(out) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], (4 * n, 2))
        out = np.vstack([out, xy[shapely.contains_xy(union, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _hot_by_rule(
    units_m: gpd.GeoDataFrame, xy: np.ndarray, cell_km: float, probes: np.ndarray
) -> dict:
    g = grid.hex_grid(units_m, cell_km=cell_km)
    cells = g.cells
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=units_m.crs)
    y = grid.count_points(cells, pts).to_numpy()
    w = grid.cell_weights(g, warn=False)
    where = grid.point_cells(
        cells, gpd.GeoSeries(gpd.points_from_xy(probes[:, 0], probes[:, 1]), crs=units_m.crs)
    )
    out = {"cells": len(cells)}
    for rule in ("analytic", "csr", "permutation", "combined"):
        res = gi_star(
            y, w, permutations=999, seed=1, min_count=3, inference=rule, exposure=cells["area_km2"]
        )
        hot = is_hot(res.table, alpha=0.05)  # 95 % confidence or more
        out[rule] = f"{int(hot.sum())}" + (
            f" ({int(hot[where].sum())}/{len(where)})" if len(where) else ""
        )
    return out


def inference_table() -> None:
    rng = np.random.default_rng(2718)
    rows = []
    cv = _units("col_ven")
    cv = cv.to_crs(study_crs(cv))
    for n, km in ((60, 10.0), (250, 20.0)):
        rows.append(
            (
                f"COL-VEN uniform, {n} incidents",
                km,
                _hot_by_rule(cv, _uniform(cv, n, rng), km, np.zeros((0, 2))),
            )
        )
    centres = gpd.GeoSeries(gpd.points_from_xy([-72.45, -74.08], [7.83, 4.65]), crs=4326).to_crs(
        cv.crs
    )
    c = shapely.get_coordinates(centres.array)
    xy = np.vstack(
        [_uniform(cv, 700, rng), rng.normal(c[0], 7000, (160, 2)), rng.normal(c[1], 7000, (160, 2))]
    )
    for km in (10.0, 20.0, 50.0):
        rows.append(("COL-VEN 700 uniform + 2 clusters of 160", km, _hot_by_rule(cv, xy, km, c)))
    path = (
        REPO.parent / "shared" / "data" / "events" / "ucdp_ged_mexico_border_states_1989_2023.csv"
    )
    if path.exists():
        mx = _units("mex_usa")
        keep = [
            "Baja California",
            "Sonora",
            "Chihuahua",
            "Coahuila",
            "Nuevo León",
            "Tamaulipas",
            "California",
            "Arizona",
            "New Mexico",
            "Texas",
        ]
        mx = mx[mx["name"].isin(keep)]
        mx = mx.to_crs(study_crs(mx))
        ev = pd.read_csv(path, usecols=["latitude", "longitude"])
        pts = gpd.GeoSeries(gpd.points_from_xy(ev["longitude"], ev["latitude"]), crs=4326).to_crs(
            mx.crs
        )
        towns = gpd.GeoSeries(
            gpd.points_from_xy([-106.4869, -117.0382], [31.7394, 32.5149]), crs=4326
        )
        probes = shapely.get_coordinates(towns.to_crs(mx.crs).array)
        for km in (10.0, 25.0, 50.0):
            rows.append(
                (
                    "UCDP Mexican border states, 8,560 events",
                    km,
                    _hot_by_rule(mx, shapely.get_coordinates(pts.array), km, probes),
                )
            )
    print(
        "\nHot cells (95 % or more) by inference rule; in brackets: planted centres / Juarez, Tijuana flagged\n"
    )
    print("| data | cell km | cells | analytic | csr | permutation | combined (default) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, km, r in rows:
        print(
            f"| {name} | {km:g} | {r['cells']:,} | {r['analytic']} | {r['csr']} | {r['permutation']} | {r['combined']} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--max-esda-perm-cells",
        type=int,
        default=40_000,
        help="skip esda's permutations above this many cells",
    )
    ap.add_argument("--inference", action="store_true", help="also compare the inference rules")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    rows = []
    for side_km in (28, 63, 154):
        units = gpd.GeoDataFrame(
            geometry=[shapely.box(0, 0, side_km * 1000 * 1.1, side_km * 1000)], crs=3857
        )
        g = grid.hex_grid(units, cell_km=1)
        cells = g.cells
        n = len(cells)
        w = grid.cell_weights(g, warn=False)
        wl = w.to_W()
        area = cells["area_km2"].to_numpy()
        for kind in ("dense", "sparse"):
            y = (
                rng.poisson(2.0, n)
                if kind == "dense"
                else (rng.random(n) < 0.02) * rng.integers(1, 4, n)
            )
            rows.append(run(y.astype(float), w, wl, area, kind, args.max_esda_perm_cells))
    print(f"esda {esda.__version__}, numba {'yes' if NUMBA else 'no'}; seconds, best of 3\n")
    print(
        "| cells | counts | bw z | esda z | max abs z diff | bw 999 perm | esda 999 perm | speed-up "
        "| bw default (combined + 999 perm) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, kind, a, b, dz, c, d, s, e in rows:
        print(f"| {n:,} | {kind} | {a:.3f} | {b:.3f} | {dz:.1e} | {c:.2f} | {d} | {s} | {e:.2f} |")
    if args.inference:
        inference_table()


if __name__ == "__main__":
    main()
