"""Benchmark: the dask engine's client memory, aggregates against gathered rows.

Run: ``python benchmarks/bench_dask.py [--sizes 1000000] [--parts 8] [--workers 2]``

For each size, in fresh subprocesses (so that each peak RSS is that run's own):

* ``prepare`` writes SYNTHETIC incidents (``bench_pipeline.synthetic``: the demo region,
  clusters, stacks, three years) as ``--parts`` Parquet files (not timed);
* ``aggregates`` runs :func:`borderwatch._dask_agg.aggregate_statistics` (unit counts,
  counts table, cells with Gi*, local Moran and trends, unit Gi*, scan with 99 replicates)
  on a ``distributed.LocalCluster`` of ``--workers`` worker processes x 1 thread: the
  client receives aggregates only;
* ``gathered`` runs what the gathering path of ``analyze(engine="dask")`` (options the
  aggregates do not support) does before its statistics on the same cluster: read, check
  and join on the workers, then every joined row to the client;
* ``analyze`` runs the whole ``analyze(engine="dask")`` (internal view) through the
  aggregate path: statistics, evaluation and planning from aggregates, density summed
  over the partitions, point clusters on the 50,000-incident sample;
* ``public`` runs the same with ``view="public"`` (the CLI's default): the public view's
  cell keys, redaction and vertex checks on the workers (:mod:`borderwatch._dask_public`;
  with a cluster address the files are read and joined once more for it).

``--modes`` chooses among them (default all three); ``--dask-sample N`` sets the
``dask_sample`` setting (the point clusters come from the distinct locations up to N); ``--parts 1 --workers 1`` measures one
partition's worker time and memory (``worker_peak_mib``, each worker's ``ru_maxrss``).

Each prints one JSON line: seconds, the client process's peak RSS (``ru_maxrss``, MiB; the
workers are other processes), the largest table a task returned (aggregates), the load
average before and after. Not a test: figures depend on the machine and its load. Record
them in docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import borderwatch as bw

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _cluster(workers: int):  # noqa: ANN202 - distributed's LocalCluster
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=None,
    )


def prepare(n: int, parts: int, folder: Path) -> None:
    from bench_pipeline import synthetic

    df = synthetic(n, seed=0)
    step = -(-n // parts)
    for i in range(parts):
        df.iloc[i * step : (i + 1) * step].to_parquet(folder / f"part-{i:03d}.parquet")


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10


def run(mode: str, folder: Path, workers: int, sample: int | None = None) -> dict[str, object]:
    from borderwatch._dask import join_partitions, load_partitions
    from borderwatch._dask_agg import aggregate_statistics
    from borderwatch.borders import border_lines
    from borderwatch.settings import Settings

    units = bw.datasets.demo_units()
    s = Settings(view="internal", permutations=99, scan_replicates=99)
    if sample is not None:
        s = s.replace(dask_sample=sample)
    load0 = os.getloadavg()[0]
    with warnings.catch_warnings(), _cluster(workers) as cluster:
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        if mode in ("analyze", "public"):
            res = bw.analyze(
                units,
                folder,
                settings=s.replace(
                    engine="dask",
                    scheduler=cluster.scheduler_address,
                    view="public" if mode == "public" else "internal",
                ),
            )
            extra = {
                "n": res.summary["n_incidents"],
                "sample": res.summary["dask"]["sample"],
                "pai": res.summary["pai"],
                "priorities": len(res.priorities),
                "clusters": len(res.clusters),
                "clusters_from": res.summary["dask"].get("clusters"),
            }
        elif mode == "aggregates":
            agg = aggregate_statistics(
                units, folder, settings=s, scheduler=cluster.scheduler_address
            )
            extra = {"n": agg.n_incidents, "largest_rows": agg.largest, "cells": len(agg.cells)}
        else:
            options = {"crosswalk": s.crosswalk, **s.reading, **s.incident_columns}
            inc, _, _, files = load_partitions(
                folder, units, options=options, scheduler=cluster.scheduler_address
            )
            crs = bw.study_crs(units, incidents=inc)
            joined, _ = join_partitions(
                inc,
                units,
                partitions=files,
                scheduler=cluster.scheduler_address,
                join={"border": border_lines(units, crs=crs), "crs": crs, "tolerance_km": 1.0},
            )
            extra = {"n": len(joined), "largest_rows": len(joined)}
        seconds = time.perf_counter() - t0
        from distributed import Client

        with Client(cluster) as client:
            extra["worker_peak_mib"] = sorted(client.run(_peak_mib).values())
    return {
        "mode": mode,
        "workers": workers,
        "s": round(seconds, 1),
        "client_peak_mib": _peak_mib(),
        "load": [round(load0, 1), round(os.getloadavg()[0], 1)],
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default="analyze,aggregates,gathered")
    parser.add_argument("--dask-sample", type=int, help="the dask_sample setting")
    parser.add_argument("--do", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.do == "prepare":
        prepare(args.n, args.parts, args.folder)
        return
    if args.do:
        print(json.dumps(run(args.do, args.folder, args.workers, args.dask_sample)), flush=True)
        return
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            base = [sys.executable, __file__, "--folder", tmp, "--n", str(n)]
            subprocess.run([*base, "--do", "prepare", "--parts", str(args.parts)], check=True)
            for mode in args.modes.split(","):
                more = [] if args.dask_sample is None else ["--dask-sample", str(args.dask_sample)]
                cmd = [*base, "--do", mode, "--workers", str(args.workers), *more]
                subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
