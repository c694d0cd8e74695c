"""Parquet and GeoParquet incidents, reading only the columns the incident reader can use.

Used by :func:`borderwatch.io.load_incidents` for a Parquet path and by the dask
engine for each partition file (local or an fsspec URL such as ``s3://``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from .._schema import INCIDENT_COLUMN_KEYS

__all__ = [
    "PARQUET_SUFFIXES",
    "NamedTable",
    "needed_columns",
    "parquet_columns",
    "read_parquet_columns",
]


@dataclass(frozen=True)
class NamedTable:
    """A table already read (``frame``, its index the file's line numbers) and the file it
    came from (``name``), so that messages name the file, not ``<DataFrame>``."""

    frame: pd.DataFrame
    name: str


#: File name endings read as Parquet.
PARQUET_SUFFIXES = (".parquet", ".pq", ".geoparquet")
#: Reading options that name an input column.
_NAMED = (*INCIDENT_COLUMN_KEYS, "sensitive_col")


def needed_columns(names: Sequence[str], options: Mapping[str, Any]) -> list[str] | None:
    """The columns of a Parquet file that reading incidents can use; None for all of them.

    A column is needed when the options name it or when its name is one that
    :func:`~borderwatch.io.load_incidents` detects (coordinates, geopoint, time,
    year, month, category, id, country, sensitive flag). Without a time column
    every column is read: the reader then looks for date-like values to warn about.

    Examples
    --------
    >>> needed_columns(["lon", "lat", "date", "crime", "notes"], {})
    ['lon', 'lat', 'date', 'crime']
    >>> needed_columns(["x", "y", "notes"], {}) is None
    True
    >>> needed_columns(["x", "y", "notes", "when"], {"time_col": "when"})
    ['x', 'y', 'when']
    """
    from ._columns import (
        CATEGORY,
        COUNTRY,
        GEOPOINT,
        ID,
        LAT,
        LON,
        MONTH,
        SENSITIVE,
        TIME,
        YEAR,
        find,
    )

    def matches(name: str, groups: Sequence[list[str]]) -> bool:
        one = pd.DataFrame(columns=[name])
        return any(find(one, group) is not None for group in groups)

    named = {str(options[k]) for k in _NAMED if options.get(k) is not None}
    if not options.get("time_col") and not any(matches(c, (TIME, YEAR, MONTH)) for c in names):
        return None
    groups = (LON, LAT, GEOPOINT, TIME, YEAR, MONTH, CATEGORY, ID, COUNTRY, SENSITIVE)
    return [c for c in names if c in named or matches(c, groups)]


def _open(path: str) -> Any:
    if "://" not in path:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller's with
    import fsspec

    return fsspec.open(path, "rb").open()


def read_parquet_columns(path: str, options: Mapping[str, Any]) -> pd.DataFrame:
    """A Parquet or GeoParquet file (local or fsspec URL), only its :func:`needed_columns`
    (and a GeoParquet file's geometry); the index numbers the rows as file lines (from 2)."""
    import json

    import pyarrow.parquet as pq

    with _open(path) as f:
        schema = pq.read_schema(f)
        geo = (schema.metadata or {}).get(b"geo")
        cols = needed_columns([n for n in schema.names if not n.startswith("__index")], options)
        if cols is not None and geo is not None:
            primary = json.loads(geo).get("primary_column", "geometry")
            cols = [*cols, primary] if primary not in cols else cols
        frame: pd.DataFrame | None = None
        if geo is not None:
            try:
                f.seek(0)
                frame = gpd.read_parquet(f, columns=cols)
            except (ValueError, KeyError, TypeError):
                frame = None
        if frame is None:
            f.seek(0)
            frame = pd.read_parquet(f, columns=cols)
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # as the file reader numbers lines
    return frame


def parquet_columns(source: Any, options: Mapping[str, Any]) -> Any:
    """``source`` itself, or for a local Parquet file its :func:`needed_columns` as a
    :class:`NamedTable`. A file that cannot be read this way is left to the general reader
    (which names the problem)."""
    if not isinstance(source, str | os.PathLike) or not str(source).lower().endswith(
        PARQUET_SUFFIXES
    ):
        return source
    path = str(source)
    if not os.path.isfile(path):
        return source
    try:
        return NamedTable(read_parquet_columns(path, options), path)
    except (OSError, ValueError, TypeError, KeyError):  # pyarrow's errors are ValueError/OSError
        return source
