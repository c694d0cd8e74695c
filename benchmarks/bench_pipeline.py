"""Benchmark: the whole pipeline (``analyze`` + ``write_outputs``) on 10k to 5M incidents.

Run: ``python benchmarks/bench_pipeline.py [--sizes 10000,100000,1000000] [--engine pandas]``

For each size, a fresh subprocess (so that peak RSS is that size's own):

* generates SYNTHETIC incidents in the demo region (the Liptako-Gourma admin-1 units):
  60 % background spread over the units, 40 % in 60 clusters (Gaussian, 2-8 km), a tenth
  of all rows on repeated locations ("stacks": police posts, market places), dates over
  three years, ten category spellings; written as CSV (not timed);
* measures the **floor**: read the CSV with pyarrow, build the points, join them to the
  units with ``geopandas.sjoin``;
* runs ``borderwatch.analyze(..., view="internal")`` and ``write_outputs`` with a
  progress callback that time-stamps every step, while a sampling thread records the
  resident memory (``/proc/self/statm`` every 50 ms) so that each step gets its peak;
* prints one JSON line with the machine, the load average before and after, the floor,
  every step's seconds and peak RSS (MiB), the process's peak RSS (``ru_maxrss``), that
  of its largest child (the printed map is drawn in a forked child; its pages shared with
  this process count in both),
  the end-to-end time and its ratio to the floor, the size of ``map.html``, how much
  faster two processes do twice one's work before and after the run
  (``two_core_speedup``: 2.0 is two whole cores; a shared host's two virtual cores may
  give much less, which slows the steps run beside each other but not the floor), and each
  time the pipeline asked whether a core was free to fork a step beside
  (``fork_decisions``: the one-minute load average and the answer; a run without a free
  core is seconds slower).

Not a test: figures depend on the machine and its load. Record them in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

import borderwatch as bw

_CATEGORIES = (
    "Vol de bétail",
    "cattle theft",
    "VBG",
    "Braquage",
    "armed robbery",
    "Contrebande",
    "smuggling",
    "Enlèvement",
    "kidnapping",
    "unknown text",
)
_PAGE = os.sysconf("SC_PAGE_SIZE")


def synthetic(n: int, *, seed: int = 0, units: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """``n`` SYNTHETIC incidents in the units (EPSG:4326): see the module docstring."""
    rng = np.random.default_rng(seed)
    units = bw.datasets.demo_units() if units is None else units
    crs = bw.study_crs(units)
    metric = units.to_crs(crs)
    area = metric.union_all()
    x0, y0, x1, y1 = metric.total_bounds
    n_bg = int(0.6 * n)
    n_cl = n - n_bg

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from shapely import contains_xy

        return contains_xy(area, x, y)

    xs, ys = [], []
    need = n_bg
    while need > 0:  # rejection sampling, in blocks (vectorised)
        bx = rng.uniform(x0, x1, 2 * need + 1000)
        by = rng.uniform(y0, y1, 2 * need + 1000)
        ok = inside(bx, by)
        take = np.flatnonzero(ok)[:need]
        xs.append(bx[take])
        ys.append(by[take])
        need -= len(take)
    cx, cy = np.empty(0), np.empty(0)
    while len(cx) < 60:
        bx, by = rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)
        ok = inside(bx, by)
        cx, cy = np.r_[cx, bx[ok]][:60], np.r_[cy, by[ok]][:60]
    which = rng.integers(0, 60, n_cl)
    sd = rng.uniform(2000, 8000, 60)[which]
    xs.append(cx[which] + rng.normal(0, 1, n_cl) * sd)
    ys.append(cy[which] + rng.normal(0, 1, n_cl) * sd)
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    stacked = rng.random(n) < 0.1  # a tenth on repeated locations
    spots = rng.integers(0, max(10, n // 500), stacked.sum())
    x[stacked], y[stacked] = x[spots % n], y[spots % n]
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=crs).to_crs("EPSG:4326")
    days = rng.integers(0, 3 * 365, n)
    return pd.DataFrame(
        {
            "incident_id": np.char.add("inc-", np.arange(n).astype(str)),
            "date": (pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "longitude": pts.x.round(5).to_numpy(),
            "latitude": pts.y.round(5).to_numpy(),
            "category": rng.choice(np.array(_CATEGORIES, dtype=object), n),
        }
    )


class _Memory(threading.Thread):
    """Samples the resident set size every 50 ms; ``peak_since_mark`` per step."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.05)

    def mark(self) -> int:
        """The peak since the last mark (bytes), and start a new window."""
        peak, self.peak = max(self.peak, self.rss()), self.rss()
        return peak


class _Steps:
    """A progress callback that records (message, seconds, peak MiB) per step."""

    def __init__(self, memory: _Memory) -> None:
        self.memory = memory
        self.rows: list[dict[str, object]] = []
        self.current: str | None = None
        self.t = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.close()
        self.current = message
        self.t = time.perf_counter()

    def close(self) -> None:
        now = time.perf_counter()
        peak = self.memory.mark()
        if self.current is not None:
            row = {"step": self.current, "s": round(now - self.t, 2), "peak_mib": peak >> 20}
            self.rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)  # partial figures survive a kill
        self.current = None
        self.t = now


def floor(path: Path, units: gpd.GeoDataFrame) -> dict[str, float]:
    """Read the CSV with pyarrow, build the points, join to the units (geopandas)."""
    t0 = time.perf_counter()
    df = pacsv.read_csv(path).to_pandas()
    t1 = time.perf_counter()
    pts = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["longitude"], df["latitude"]), crs="EPSG:4326"
    )
    t2 = time.perf_counter()
    joined = gpd.sjoin(pts, units[["unit_id", "geometry"]], how="left", predicate="within")
    t3 = time.perf_counter()
    del joined
    return {
        "read": round(t1 - t0, 2),
        "points": round(t2 - t1, 2),
        "join": round(t3 - t2, 2),
        "total": round(t3 - t0, 2),
    }


#: Measures :func:`two_core_speedup` in a small fresh process: forking this one (over a
#: gigabyte after a run) would time the copying of its page tables, not the cores.
_SPEEDUP = """
import multiprocessing as mp, sys, time
def spin(n):
    t = 0
    for i in range(n):
        t += i * i
    return t
n = int(sys.argv[1])
t = time.perf_counter(); spin(n); one = time.perf_counter() - t
ps = [mp.get_context("fork").Process(target=spin, args=(n,)) for _ in range(2)]
t = time.perf_counter()
for p in ps: p.start()
for p in ps: p.join()
print(2.0 * one / max(time.perf_counter() - t, 1e-9))
"""


def two_core_speedup(n: int = 3_000_000) -> float:
    """How much faster two processes do twice the work of one (2.0: two whole cores).

    A small fresh process runs a fixed pure-Python loop, then two copies of it run side
    by side; the figure is twice the first time over the second. On a shared host whose
    two virtual cores do not give two cores' work it is well below 2, and every step
    that runs beside another (the scan's child, the printed map's) is slower while the
    floor (mostly one core) is not: the ratio to the floor depends on it.
    """
    got = subprocess.run(
        [sys.executable, "-c", _SPEEDUP, str(n)], capture_output=True, text=True, check=True
    )
    return round(float(got.stdout.strip()), 2)


def _fork_decisions() -> list[dict[str, object]]:
    """Record each time the pipeline asks whether a core is free to fork a step beside
    (:func:`borderwatch._beside.should_fork`, by the one-minute load average; it forks the
    scan only with a free core): a run without one is seconds slower, and its figures say
    so. The load is read just before the answer."""
    from borderwatch import _beside

    decided: list[dict[str, object]] = []
    free = _beside._free_core

    def recorded() -> bool:
        load = round(os.getloadavg()[0], 2)
        got = free()
        decided.append({"load_1min": load, "core_free": got})
        return got

    _beside._free_core = recorded
    return decided


def one(n: int, engine: str, keep: Path | None) -> dict[str, object]:
    """Benchmark one size in this process."""
    warnings.simplefilter("ignore")
    forks = _fork_decisions()
    load0 = os.getloadavg()
    speedup0 = two_core_speedup()
    units = bw.datasets.demo_units()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        path = tmp / "incidents.csv"
        t = time.perf_counter()
        pacsv.write_csv(pa.Table.from_pandas(synthetic(n, units=units)), path)
        t_gen = time.perf_counter() - t
        fl = floor(path, units)
        memory = _Memory()
        memory.start()
        memory.mark()
        steps = _Steps(memory)
        t = time.perf_counter()
        result = bw.analyze(units, path, view="internal", engine=engine, progress=steps)
        t_analyze = time.perf_counter() - t
        out = (keep or tmp) / f"out-{n}"
        bw.write_outputs(result, out, progress=steps)
        steps.close()
        total = time.perf_counter() - t
        memory.running = False
        html = (out / "map.html").stat().st_size
    return {
        "n": n,
        "engine": engine,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
        "load_before": [round(v, 2) for v in load0],
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "two_core_speedup": [speedup0, two_core_speedup()],
        "generate_s": round(t_gen, 2),
        "floor": fl,
        "analyze_s": round(t_analyze, 2),
        "total_s": round(total, 2),
        "x_floor": round(total / max(fl["total"], 1e-9), 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
        "child_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10,
        "map_html_mb": round(html / 1e6, 2),
        "fork_decisions": forks,
        "steps": steps.rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engine", default="pandas", choices=("pandas", "dask"))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--keep", type=Path, help="keep the output folders here")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.engine, args.keep)), flush=True)
        return
    for n in (int(v) for v in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n), "--engine", args.engine]
        if args.keep:
            cmd += ["--keep", str(args.keep)]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
