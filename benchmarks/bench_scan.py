"""Benchmark and planted-truth figures of issue 9 (part A): the spatial scan, clusters
tested against chance, hotspot regions.

Run: ``python benchmarks/bench_scan.py [--timing] [--nulls] [--real] [--seeds N]``
(all three sections without flags).

* ``--timing``: :func:`borderwatch.scan.spatial_scan` on a ~10,000-cell hexagonal
  grid (930 km square, 10 km cells) with 999 replicates, for 2,000 and 8,000
  incidents; wall and CPU seconds (2 cores), split into the lattice, the observed
  windows and the replicates.
* ``--nulls``: false positives under two nulls, over ``--seeds`` maps each:
  *uniform* (incidents uniform over a 200 x 150 km two-country area) and
  *random stacks* (150 locations uniform over the area, each a stack of
  1 + floor(Pareto(1.1)) incidents, at most 500; no clustering between locations).
  For the scan (5 km cells, 99 replicates): maps with a cluster at p <= 0.05, under
  the stack null (default) and the incident null. For DBSCAN clusters (automatic
  eps = the default cell size, min_samples 5, 99 simulated maps): clusters found
  and maps with a significant cluster. For hotspot regions (5 km cells): hot cells,
  hot cells without incidents, regions per map with and without the stack test.
* ``--real`` (needs ``../shared/data``): UCDP GED events of the Mexican border
  states (the six Mexican and four US border states of the Natural Earth admin-1
  file) at 10 and 25 km: hot cells without incidents, regions before/after, scan
  clusters under both nulls; and the Bangui case (UCDP CAR events, CAR and
  neighbours).

Not a test: figures depend on the machine. Record them in docs/hotspots.md.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from borderwatch import _scan
from borderwatch._errors import BorderwatchWarning
from borderwatch.clusters import find_clusters
from borderwatch.grid import default_cell_km, hex_grid
from borderwatch.hotspots import cell_hotspots
from borderwatch.regions import hotspot_regions
from borderwatch.scan import spatial_scan

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CRS = 3857


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> str:
    w, c = _clock()
    return f"{w - t[0]:6.2f} s wall, {c - t[1]:6.2f} s CPU"


# --------------------------------------------------------------------------- timing


def timing() -> None:
    grid = hex_grid(gpd.GeoSeries([box(0, 0, 930e3, 930e3)], crs=CRS), cell_km=10)
    cells = grid.cells
    pop = cells["area_km2"].to_numpy(float)
    print(f"\n## spatial_scan, {len(grid):,} cells, 999 replicates (2 cores)\n")
    warm = gpd.GeoDataFrame(geometry=gpd.points_from_xy([1e5, 1e5 + 1], [1e5, 1e5]), crs=CRS)
    spatial_scan(grid, warm, replicates=9)  # compile the kernels (cached on disk afterwards)
    for n in (2000, 8000):
        rng = np.random.default_rng(n)
        xy = np.vstack(
            [
                rng.uniform(0, 930e3, (int(n * 0.9), 2)),
                rng.normal((300e3, 600e3), 8e3, (n - int(n * 0.9), 2)),
            ]
        )
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=CRS)
        t = _clock()
        lat = _scan.lattice_of(
            cells["x_m"].to_numpy(), cells["y_m"].to_numpy(), spacing_m=1e4, shape="hex"
        )
        qmax = _scan.window_limits(lat, pop, max_share=0.5)
        lat = _scan.truncated(lat, int(qmax.max()))
        print(f"{n:,} incidents: lattice and window limits {_since(t)}; ", end="")
        print(
            f"{qmax.mean():,.0f} offsets and {lat.ring_end[: int(qmax.mean())].sum()} rings per centre"
        )
        t = _clock()
        res = spatial_scan(grid, pts, replicates=999, seed=0)
        print(f"  whole scan with 999 replicates: {_since(t)}; clusters: {len(res.clusters)}")


# --------------------------------------------------------------------------- nulls


def _area() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": ["a", "b"], "name": ["A", "B"], "country": ["AAA", "BBB"]},
        geometry=[box(0, 0, 100_000, 150_000), box(100_000, 0, 200_000, 150_000)],
        crs=CRS,
    )


def _points(xy: np.ndarray) -> gpd.GeoDataFrame:
    country = np.where(xy[:, 0] < 100_000, "AAA", "BBB")
    return gpd.GeoDataFrame({"country": country}, geometry=gpd.points_from_xy(*xy.T), crs=CRS)


def uniform(rng: np.random.Generator, n: int = 600) -> gpd.GeoDataFrame:
    return _points(rng.uniform((0, 0), (200_000, 150_000), (n, 2)))


def random_stacks(rng: np.random.Generator, n_loc: int = 150) -> gpd.GeoDataFrame:
    loc = rng.uniform((0, 0), (200_000, 150_000), (n_loc, 2))
    size = np.minimum(1 + np.floor(rng.pareto(1.1, n_loc)), 500).astype(int)
    return _points(np.repeat(loc, size, axis=0))


def nulls(seeds: int) -> None:
    units = _area()
    grid = hex_grid(units, cell_km=5)
    rows = []
    for name, make in (
        ("uniform, 600 incidents", uniform),
        ("random stacks, 150 locations", random_stacks),
    ):
        acc: dict[str, list[float]] = {}
        t = _clock()
        for s in range(seeds):
            pts = make(np.random.default_rng(10_000 + s))
            for null in ("stacks", "incidents"):
                res = spatial_scan(grid, pts, replicates=99, seed=s, null=null)
                acc.setdefault(f"scan_{null}", []).append(len(res.clusters) > 0)
            eps = default_cell_km(pts, units=units)
            cl = find_clusters(pts, eps_km=eps, min_samples=5, area=units, seed=s)
            acc.setdefault("dbscan_found", []).append(cl.n_found)
            acc.setdefault("clusters_sig", []).append(len(cl.layer) > 0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BorderwatchWarning)
                h = cell_hotspots(pts, units, cell_km=5, seed=s, trend=False, permutations=0)
            c = h.cells
            hot = ((c["hotspot_kind"] == "hot") & (c["hotspot_confidence"] >= 95)).to_numpy()
            acc.setdefault("hot", []).append(hot.sum())
            acc.setdefault("hot_empty", []).append((hot & (c["count"] == 0).to_numpy()).sum())
            reg = hotspot_regions(h.grid, pts, weights=h.weights)
            old = hotspot_regions(h.grid, pts, weights=h.weights, stack_test=False)
            acc.setdefault("regions", []).append(len(reg))
            acc.setdefault("regions_no_stack_test", []).append(len(old))
        rows.append((name, {k: float(np.mean(v)) for k, v in acc.items()}, _since(t)))
    print(f"\n## False positives over {seeds} maps per null (alpha 0.05)\n")
    print(
        "| null | scan: maps with a cluster (stack null) | scan (incident null) | DBSCAN clusters found | maps with a significant cluster | hot cells | of them empty | regions (stack test) | regions without it |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r, _ in rows:
        print(
            f"| {name} | {r['scan_stacks']:.1%} | {r['scan_incidents']:.1%} | {r['dbscan_found']:.1f} | "
            f"{r['clusters_sig']:.1%} | {r['hot']:.1f} | {r['hot_empty']:.1f} | {r['regions']:.2f} | "
            f"{r['regions_no_stack_test']:.2f} |"
        )
    for name, _, took in rows:
        print(f"{name}: {took}")


# --------------------------------------------------------------------------- real data


def _units(file: str, keep: list[str] | None = None) -> gpd.GeoDataFrame:
    from borderwatch import read_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        u = read_units(SHARED / "boundaries" / file)
    return u[u["name"].isin(keep)].reset_index(drop=True) if keep else u


def _events(file: str, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from borderwatch import read_incidents
    from borderwatch.join import join_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        inc = read_incidents(SHARED / "events" / file, units=units)
        return join_units(inc, units)


def real(*, bangui_only: bool = False) -> None:
    from borderwatch._crs import study_crs
    from borderwatch.borders import border_lines

    if not SHARED.is_dir():
        print("\n../shared/data is absent: no real-data figures")
        return
    if bangui_only:
        bangui()
        return
    keep = ["Baja California", "Sonora", "Chihuahua", "Coahuila", "Nuevo León", "Tamaulipas",
            "California", "Arizona", "New Mexico", "Texas"]  # fmt: skip
    units = _units("ne10m_adm1_mex_usa.geojson", keep)
    inc = _events("ucdp_ged_mexico_border_states_1989_2023.csv", units)
    crs = study_crs(units)
    border = border_lines(units, crs=crs)
    print(f"\n## UCDP Mexican border states: {len(inc):,} events\n")
    for km in (25.0, 10.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BorderwatchWarning)
            h = cell_hotspots(inc, units, cell_km=km, seed=0, trend=False, crs=crs)
        c = h.cells
        hot = ((c["hotspot_kind"] == "hot") & (c["hotspot_confidence"] >= 95)).to_numpy()
        empty = hot & (c["count"] == 0).to_numpy()
        reg = hotspot_regions(h.grid, inc, border, weights=h.weights)
        old = hotspot_regions(h.grid, inc, border, weights=h.weights, stack_test=False)
        print(
            f"{km:g} km, {len(c):,} cells: {hot.sum()} hot cells, {empty.sum()} without incidents; "
            f"regions: {len(reg)} ({reg['n_cells'].sum()} cells, none empty; smoothed "
            f"{reg['n_cells_smoothed'].sum()} cells), {len(old)} without the stack test"
        )
        for null in ("stacks", "incidents"):
            t = _clock()
            res = spatial_scan(h.grid, inc, border, replicates=999, seed=0, null=null)
            top = res.clusters.head(5)
            print(f"  scan ({null} null): {len(res.clusters)} clusters, {_since(t)}")
            cols = ["n_incidents", "n_locations", "expected", "relative_risk", "llr", "p_value",
                    "radius_km", "n_cells", "countries"]  # fmt: skip
            print(top[cols].round(3).to_string(index=False))
    bangui()


def bangui() -> None:
    from borderwatch.borders import border_lines

    units = _units("ne10m_adm1_car_and_neighbours.geojson")
    inc = _events("ucdp_ged_v23_1_central_african_republic.csv", units)
    units = units[units["country"].isin(["CAF", "COD"])].reset_index(drop=True)
    border = border_lines(units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        h = cell_hotspots(inc, units, cell_km=25, seed=0, trend=False)
    reg = hotspot_regions(h.grid, inc, border, weights=h.weights)
    cl = find_clusters(inc, eps_km=10, min_samples=5, border=border, area=units, keep_all=True)
    sc = spatial_scan(h.grid, inc, border, replicates=999, keep_all=True)
    print(f"\n## Bangui (UCDP CAR, {len(inc):,} events; CAF and COD units, 25 km)\n")
    for name, layer in (("regions", reg), ("clusters", cl.layer), ("scan", sc.clusters)):
        pairs = pd.Series(layer["countries"]).value_counts().to_dict()
        print(f"{name}: {len(layer)} features; countries: {pairs}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--nulls", action="store_true")
    ap.add_argument("--real", action="store_true")
    ap.add_argument("--bangui", action="store_true", help="only the Bangui part of --real")
    ap.add_argument("--seeds", type=int, default=50)
    a = ap.parse_args()
    every = not (a.timing or a.nulls or a.real or a.bangui)
    if a.timing or every:
        timing()
    if a.nulls or every:
        nulls(a.seeds)
    if a.real or a.bangui or every:
        real(bangui_only=a.bangui)


if __name__ == "__main__":
    main()
