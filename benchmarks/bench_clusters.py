"""Benchmark: memory and time of borderwatch's DBSCAN against scikit-learn's.

Run: ``python benchmarks/bench_clusters.py [--quick]``.

Each measurement runs in a fresh child process, which reports its peak resident
memory (``resource.getrusage``) above the baseline after imports and data
generation, the peak of Python/NumPy allocations (``tracemalloc``; C++ memory of
scipy's KD-tree and Qhull is not traced), and the run time. Labels of both
implementations are compared (borderwatch reproduces scikit-learn's labels exactly).

Data sets:

* ``dense``: the shape of scikit-learn issue #26726, scaled down so scikit-learn
  still fits in memory: 4 clusters of 8,000 points, sd 15 m, eps 40 m,
  min_samples 10 (each point has ~6,600 neighbours);
* ``city``: 100,000 incidents (80 % in 40 town-sized blobs, 20 % background) over
  400 km, eps 2 km, min_samples 10;
* ``spacetime``: the city data with dates over 3 years, eps 2 km, 14 days.

Not a test: figures depend on the machine. Record them in docs/density_clusters.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np


def dataset(name: str, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray | None, dict]:
    rng = np.random.default_rng(0)
    if name == "dense":
        k, m = 4, int(8000 * scale)
        centres = rng.uniform(0, 20_000, (k, 2))
        xy = np.vstack([rng.normal(0, 15, (m, 2)) + c for c in centres]) / 1000  # km
        return xy, None, {"eps": 0.040, "min_samples": 10}
    n = int(100_000 * scale)
    nb = int(0.8 * n)
    centres = rng.uniform(20, 380, (40, 2))
    xy = np.vstack(
        [
            centres[rng.integers(0, 40, nb)] + rng.normal(0, 1.5, (nb, 2)),
            rng.uniform(0, 400, (n - nb, 2)),
        ]
    )
    t = (
        np.datetime64("2021-01-01", "ns") + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    ).astype(np.int64)
    return xy, t, {"eps": 2.0, "min_samples": 10, "days": 14.0}


def child(name: str, impl: str, scale: float) -> None:
    xy, t, p = dataset(name, scale)
    if impl == "sklearn":
        from sklearn.cluster import DBSCAN
    else:
        from borderwatch.clusters import dbscan_labels, st_dbscan_labels
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    if impl == "sklearn" and name == "spacetime":
        msg = "scikit-learn has no space-time DBSCAN"
        raise SystemExit(msg)
    if impl == "sklearn":
        labels = DBSCAN(eps=p["eps"], min_samples=p["min_samples"]).fit(xy).labels_
    elif name == "spacetime":
        labels, _ = st_dbscan_labels(
            xy, t, eps=p["eps"], days=p["days"], min_samples=p["min_samples"]
        )
    else:
        labels, _ = dbscan_labels(xy, eps=p["eps"], min_samples=p["min_samples"])
    elapsed = time.perf_counter() - t0
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = int(
        np.asarray(labels, dtype=np.int64) @ np.arange(len(labels), dtype=np.int64) % 1_000_003
    )
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "rss_mb": (peak - base) / 1024,
                "traced_mb": traced / 2**20,
                "n": len(xy),
                "clusters": int(labels.max()) + 1,
                "noise": int((labels < 0).sum()),
                "digest": digest,
            }
        )
    )


def run(name: str, impl: str, scale: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, impl, str(scale)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="DBSCAN memory benchmark")
    parser.add_argument("--quick", action="store_true", help="smaller data")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]))
        return
    scale = 0.25 if args.quick else 1.0
    print(
        f"{'data':>10} {'impl':>12} {'n':>8} {'time':>8} {'peak RSS':>10} {'traced':>9} {'clusters':>8} same"
    )
    for name in ("dense", "city", "spacetime"):
        rows = {}
        for impl in ("borderwatch", "sklearn"):
            if impl == "sklearn" and name == "spacetime":
                continue
            r = rows[impl] = run(name, impl, scale)
            same = ""
            if impl == "sklearn":
                same = "yes" if r["digest"] == rows["borderwatch"]["digest"] else "NO"
            print(
                f"{name:>10} {impl:>12} {r['n']:>8,} {r['seconds']:>7.2f}s {r['rss_mb']:>8.0f}MB "
                f"{r['traced_mb']:>7.0f}MB {r['clusters']:>8} {same}"
            )


if __name__ == "__main__":
    main()
