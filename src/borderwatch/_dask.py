"""The dask engine: partitioned input read, checked and joined partition by partition.

``engine="dask"`` (the ``scale`` extra: dask-geopandas, distributed). The incidents
may be one file or **partitioned input**: a folder or a glob of CSV, Parquet or
GeoParquet files, local or on object storage (``s3://``, ``gs://``, through fsspec).
Each file is a dask partition, read and checked on a worker
(:func:`borderwatch.io.load_incidents`; of a Parquet file only the columns the reader
can use, :func:`needed_columns`); the join to the units
(:func:`borderwatch.join.join_units`) runs on the workers too, in ``partitions`` blocks.
``scheduler`` connects to a running cluster (``tcp://host:8786``); without it the
work runs on dask's local threads.

:func:`load_partitions` and :func:`join_partitions` gather the checked and joined
points on the client, where the statistics run as with the default engine: the path
``analyze(engine="dask")`` takes when the incidents are not partitioned (one file or a
frame). Partitioned input runs on aggregates (:mod:`borderwatch._dask_pipeline`;
docs/scale.md).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ._errors import DataError
from .io._parquet import PARQUET_SUFFIXES, NamedTable, needed_columns, read_parquet_columns

__all__ = [
    "is_partitioned",
    "join_partitions",
    "load_partitions",
    "needed_columns",
    "partition_sources",
    "read_parquet_columns",
]

_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".pq", ".geoparquet")


def _need_dask() -> Any:
    try:
        import dask
        import dask_geopandas  # noqa: F401
    except ImportError as exc:
        msg = "engine 'dask' needs dask-geopandas. Hint: pip install 'borderwatch[scale]'."
        raise DataError(msg) from exc
    return dask


def is_partitioned(source: Any) -> bool:
    """True for a folder, a glob or a remote URL (``s3://``, ``gs://``...) of incident files."""
    if not isinstance(source, str | os.PathLike):
        return False
    text = os.fspath(source)
    return "://" in text or any(c in text for c in "*?[") or Path(text).is_dir()


def partition_sources(source: str | os.PathLike[str]) -> list[str]:
    """The files of partitioned input, sorted (each one partition).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b.csv", "a.csv", "notes.md"):
    ...     _ = (d / name).write_text("x")
    >>> [pathlib.Path(p).name for p in partition_sources(d)]
    ['a.csv', 'b.csv']
    """
    text = os.fspath(source)
    if "://" in text:
        import fsspec

        fs, _, paths = fsspec.get_fs_token_paths(text.rstrip("/") + ("" if "*" in text else "/*"))
        protocol = text.split("://", 1)[0]
        found = [f"{protocol}://{p}" for p in paths]
    elif Path(text).is_dir():
        found = [str(p) for p in Path(text).iterdir() if p.is_file()]
    else:
        found = glob.glob(text)
    files = sorted(f for f in found if f.lower().endswith(_SUFFIXES))
    if not files:
        msg = f"{text}: no CSV or Parquet files found. Hint: give a folder or glob of .csv/.parquet files."
        raise DataError(msg)
    return files


def _read_one(path: str, options: Mapping[str, Any]) -> Any:
    """A local CSV's path (read by :func:`~borderwatch.io.load_incidents`), a remote CSV's
    table (fetched through fsspec), or a Parquet file's needed columns."""
    if path.lower().endswith(PARQUET_SUFFIXES):
        return NamedTable(read_parquet_columns(path, options), path)
    if "://" not in path:
        return path
    import fsspec

    with fsspec.open(path, "rb") as f:
        frame = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # file lines (the header is line 1)
    return NamedTable(frame, path)


def _load(part: Any, number: int, units: gpd.GeoDataFrame, options: dict[str, Any]) -> Any:
    """Read and check one partition file (runs on a worker): the incidents, the rows
    dropped, how the file was read and the reader's warnings (templates, not shown on the
    worker: :mod:`borderwatch._dask_warn`)."""
    from ._dask_warn import diverted
    from .io import load_incidents

    source = _read_one(part, options)
    try:
        with diverted() as said:
            loaded = load_incidents(source, units=units, **options)
    except DataError as exc:
        msg = str(exc).replace("<DataFrame>", str(part))
        raise DataError(msg) from exc
    frame = loaded.frame
    if loaded.columns.get("id") is None:  # row numbers restart in every file
        frame = frame.assign(id=f"p{number}-" + frame["id"].astype(str))
    return frame, dict(loaded.dropped), dict(loaded.decisions), tuple(said)


def _run(tasks: list[Any], scheduler: str | None) -> tuple[Any, ...]:
    """Compute ``tasks`` on the cluster at ``scheduler`` (or dask's local threads)."""
    dask = _need_dask()
    if not scheduler:
        return tuple(dask.compute(*tasks))
    try:
        from distributed import Client
    except ImportError as exc:
        msg = "[[scheduler]] needs dask's distributed. Hint: pip install 'borderwatch[scale]'."
        raise DataError(msg) from exc
    with Client(scheduler) as client:
        return tuple(client.compute(list(tasks), sync=True))


def load_partitions(
    source: str | os.PathLike[str],
    units: gpd.GeoDataFrame,
    *,
    options: dict[str, Any],
    scheduler: str | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, int], dict[str, Any], int]:
    """Read and check each file of partitioned input on the workers.

    Returns the incidents (in file order), the rows dropped (summed), how the
    first file was read, and the number of partitions.
    """
    from ._dask_warn import combined, say

    dask = _need_dask()
    files = partition_sources(source)
    done = _run([dask.delayed(_load)(f, i, units, options) for i, f in enumerate(files)], scheduler)
    say(combined([d[3] for d in done], files=files, source=os.fspath(source)))
    frames = [d[0] for d in done]
    dropped: dict[str, int] = {}
    for d in done:
        for key, n in d[1].items():
            dropped[key] = dropped.get(key, 0) + int(n)
    inc = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs
    )
    return inc, dropped, dict(done[0][2]), len(files)


def join_partitions(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    partitions: int | None,
    scheduler: str | None = None,
    join: dict[str, Any],
) -> tuple[gpd.GeoDataFrame, int]:
    """The join, block by block on the workers (``partitions`` blocks, default one per
    250,000 incidents); the joined incidents in their order and the number of blocks."""
    from ._dask_warn import caught, combined, say
    from .join import join_units

    dask = _need_dask()
    n = partitions or max(1, min(64, len(incidents) // 250_000 + 1))
    bounds = [round(i * len(incidents) / n) for i in range(n + 1)]
    blocks = [incidents.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    pairs = _run([dask.delayed(caught)(join_units, b, units, **join) for b in blocks], scheduler)
    say(combined([w for _, w in pairs]))  # the join's warnings, summed over the blocks
    done = [frame for frame, _ in pairs]
    joined = pd.concat(done, ignore_index=True) if done else join_units(incidents, units, **join)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=incidents.crs), max(1, len(blocks))
