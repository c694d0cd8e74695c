"""Benchmark: load and join N incidents (default 1,000,000) on the Liptako-Gourma units.

Run: python benchmarks/bench_join.py [N]
Prints wall-clock seconds for reading a CSV with read_incidents (with the study-area
check) and for join_units (point-in-polygon, snapping, distance to the border),
plus the same join with the dask engine.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import borderwatch as bw
from borderwatch.join import join_summary


def main(n: int) -> None:
    warnings.simplefilter("ignore", bw.BorderwatchWarning)
    units = bw.datasets.demo_units()
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "lon": rng.uniform(-5, 4, n).round(5),
            "lat": rng.uniform(11, 18, n).round(5),
            "date": (
                pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
            ).strftime("%Y-%m-%d"),
            "category": rng.choice(
                ["Vol de bétail", "VBG", "Braquage", "Contrebande", "unknown text"], n
            ),
        }
    )
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "incidents.csv"
        df.to_csv(path, index=False)
        t = time.perf_counter()
        inc = bw.read_incidents(path, units=units)
        t_read = time.perf_counter() - t
    border = bw.border_lines(units)
    t = time.perf_counter()
    joined = bw.join_units(inc, units, border=border)
    t_join = time.perf_counter() - t
    from borderwatch._dask import join_partitions

    t = time.perf_counter()
    opts = {"border": border, "crs": bw.study_crs(units), "tolerance_km": 1.0}
    _, parts = join_partitions(inc, units, partitions=None, join=opts)
    t_dask = time.perf_counter() - t
    print(f"incidents: {n:,}")
    print(f"read_incidents (CSV, detection, validation, study-area check): {t_read:6.2f} s")
    print(
        f"join_units (pandas engine):                                   {t_join:6.2f} s  {join_summary(joined)}"
    )
    print(f"join (dask engine, {parts} partitions, 2 cores):                 {t_dask:6.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
