"""Helpers of the dask-engine tests: incident files in partitions, a small LocalCluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_parts(incidents: pd.DataFrame, folder: Path, n: int = 4) -> None:
    """``incidents`` as ``n`` CSV files ``part-0.csv`` ... in ``folder`` (rows in order),
    and all of them in ``folder/../all.csv``."""
    folder.mkdir()
    bounds = np.linspace(0, len(incidents), n + 1).astype(int)
    for i in range(n):
        incidents.iloc[bounds[i] : bounds[i + 1]].to_csv(folder / f"part-{i}.csv", index=False)
    incidents.to_csv(folder.parent / "all.csv", index=False)


def two_workers():
    """A LocalCluster of 2 single-threaded workers (in this process), as the tests use."""
    import distributed

    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )


def two_worker_processes():
    """A LocalCluster of 2 single-threaded worker processes: what a worker warns stays in
    its process, as on a real cluster (the in-process cluster shares the client's
    warnings machinery, which pandas' threads change while the client records)."""
    import distributed

    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )


def demo_inputs(n_background: int):
    """The demo's units and SYNTHETIC incidents with ``n_background`` background rows
    (their warnings silenced): the dask tests' input before it is written in parts."""
    import warnings

    from borderwatch.datasets import demo_incidents, demo_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = demo_units()
        return units, demo_incidents(n_background=n_background, units=units)


def analyze_on_cluster(units, incidents, meetings=None, *, processes: bool = False, **opts):
    """``analyze(..., engine="dask")`` on a new 2-worker LocalCluster (:func:`two_workers`,
    or :func:`two_worker_processes`), warnings silenced; the cluster is closed after."""
    import warnings

    from borderwatch.pipeline import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with two_worker_processes() if processes else two_workers() as cluster:
            return analyze(
                units, incidents, meetings, engine="dask", scheduler=cluster.scheduler_address,
                **opts,
            )  # fmt: skip
