"""Where the public view finds the incidents: :class:`IncidentRecords`.

The public view needs the incident rows for three things: the cell keys of the
counts it publishes (sums of record keys, :mod:`borderwatch.privacy.cellkey`),
what must not leak (ids, free text and coordinates in the summary and in text
columns, :class:`~borderwatch.privacy._info.IncidentInfo`) and the distance from
a generalised shape's corners to the nearest incident. :class:`FrameRecords`
answers from an in-memory frame (the default engine); the dask engine answers
from its joined partitions, on the workers (:mod:`borderwatch._dask_public`).
Every question is asked as a function of *one* frame of incidents, whose
per-frame answers combine exactly: sums of counts and of keys modulo
``2**32``, unions of found values, minima of distances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._crs import WGS84
from ._info import IncidentInfo, is_text

__all__ = [
    "FrameRecords",
    "IncidentRecords",
    "Pairs",
    "RecordsOf",
    "coded",
    "summary_strings",
    "tally_frame",
    "text_values",
]

#: The key columns of each incident of a frame (None: the frame cannot say).
RecordsOf = Callable[[pd.DataFrame], "pd.DataFrame | None"]
#: Which group (``-1``: none) each counted record of a frame belongs to:
#: ``(groups, record positions)``, or None when the frame cannot say.
Pairs = Callable[[pd.DataFrame], "tuple[np.ndarray, np.ndarray] | None"]

_MOD = np.uint64(1 << 32)


def _codes(frame: pd.DataFrame, *, records: RecordsOf, index: pd.MultiIndex) -> Any:
    rec = records(frame)
    if rec is None:
        return None
    if not len(rec):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes = index.get_indexer(pd.MultiIndex.from_frame(rec.astype(str)))
    return np.asarray(codes, dtype=np.int64), np.arange(len(codes))


def coded(records: RecordsOf, rows: pd.DataFrame) -> Pairs:
    """The :data:`Pairs` of ``records``: each record in the row of ``rows`` with its key values.

    >>> rows = pd.DataFrame({"unit_id": ["a", "b"]})
    >>> pairs = coded(lambda f: f[["unit_id"]], rows)
    >>> pairs(pd.DataFrame({"unit_id": ["b", "c", "a"]}))[0].tolist()
    [1, -1, 0]
    """
    return partial(_codes, records=records, index=pd.MultiIndex.from_frame(rows.astype(str)))


def tally_frame(
    frame: pd.DataFrame, keys: np.ndarray, pairs: Pairs, n: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Records and key sums (modulo ``2**32``) per group of one frame (``keys``: its record keys).

    >>> f = pd.DataFrame({"g": [0, 1, 0, -1]})
    >>> got = tally_frame(f, np.array([1, 2, 3, 4], dtype=np.uint64),
    ...                   lambda x: (x["g"].to_numpy(), np.arange(len(x))), 2)
    >>> got[0].tolist(), got[1].tolist()
    ([2, 1], [4, 2])
    """
    got = pairs(frame)
    if got is None:
        return None
    g, r = (np.asarray(a, dtype=np.int64) for a in got)
    ok = g >= 0
    counts = np.bincount(g[ok], minlength=n).astype(np.int64)
    ck = np.zeros(n, dtype=np.uint64)
    np.add.at(ck, g[ok], np.asarray(keys, dtype=np.uint64)[r[ok]])
    return counts, ck % _MOD


class IncidentRecords:
    """The incidents behind a result, as the public view asks about them.

    Subclasses answer :meth:`tally`, :meth:`info` and :meth:`tree`; ``columns``
    and ``categories`` are the incidents' column names and categories, ``is_geo``
    whether they have point geometries.
    """

    columns: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    is_geo: bool = False

    @contextmanager
    def opened(self) -> Iterator[IncidentRecords]:
        """The records ready to answer (the dask records connect to their cluster)."""
        yield self

    def tally(self, pairs: Pairs, n: int, key: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """Per group: the records in it and the sum of their record keys under ``key``
        (modulo ``2**32``); None when ``pairs`` cannot say for these incidents."""
        raise NotImplementedError

    def info(
        self, *, crs: CRS | None, values: Iterable[str], strings: Iterable[str]
    ) -> IncidentInfo:
        """What must not leak: enough to find the incident ids and free text among the
        text ``values`` (whole cells of a table) and in the ``strings`` (summary text),
        and incident coordinates in the ``strings``."""
        raise NotImplementedError

    def tree(self, crs: CRS) -> Any:
        """A nearest-incident lookup in ``crs`` (``.query(xy, k=1)`` as a KD-tree), or None
        to use the one of :meth:`info`."""
        return None


class FrameRecords(IncidentRecords):
    """The incidents of an in-memory frame (the default engine).

    Examples
    --------
    >>> from borderwatch.privacy.cellkey import DEMO_KEY
    >>> recs = FrameRecords(pd.DataFrame({"id": ["a", "b", "c"], "unit_id": ["u", "v", "u"]}))
    >>> n, ck = recs.tally(coded(lambda f: f[["unit_id"]], pd.DataFrame({"unit_id": ["u", "v"]})),
    ...                    2, DEMO_KEY)
    >>> n.tolist(), sorted(recs.columns)
    ([2, 1], ['id', 'unit_id'])
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.columns = frozenset(str(c) for c in frame.columns)
        cats = frame["category"].dropna() if "category" in frame.columns else []
        self.categories = frozenset(str(c) for c in cats)
        self.is_geo = isinstance(frame, gpd.GeoDataFrame)
        self._keys: dict[bytes, np.ndarray] = {}

    def keys(self, key: bytes) -> np.ndarray:
        """The record key of each incident under ``key`` (computed once)."""
        from .cellkey import record_keys

        if key not in self._keys:
            self._keys[key] = record_keys(self.frame, key)
        return self._keys[key]

    def tally(self, pairs: Pairs, n: int, key: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        return tally_frame(self.frame, self.keys(key), pairs, n)

    def info(
        self, *, crs: CRS | None, values: Iterable[str] = (), strings: Iterable[str] = ()
    ) -> IncidentInfo:
        return IncidentInfo.from_incidents(self.frame, crs=crs)  # type: ignore[arg-type]


def lonlat_xy(frame: pd.DataFrame, crs: CRS | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Longitude/latitude and metric coordinates of the located incidents of ``frame``,
    as :meth:`IncidentInfo.from_incidents` takes them (``crs``: the metric CRS)."""
    import shapely

    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None or not len(frame):
        return np.empty((0, 2)), None
    pts = frame.geometry
    pts = pts[~(pts.isna() | pts.is_empty)]
    lonlat = shapely.get_coordinates(pts.to_crs(WGS84).values)
    xy = None if crs is None else shapely.get_coordinates(pts.to_crs(crs).values)
    return lonlat, xy


def summary_strings(obj: Any) -> list[str]:
    """Every string value of a summary (nested dicts and lists), keys left out.

    >>> summary_strings({"a": "x", "b": [1, "y", {"c": "z"}]})
    ['x', 'y', 'z']
    """
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in summary_strings(v)]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in summary_strings(v)]
    return [obj] if isinstance(obj, str) else []


def text_values(*frames: pd.DataFrame | None) -> frozenset[str]:
    """The distinct values of the text columns of ``frames`` (as strings)."""
    out: set[str] = set()
    for frame in frames:
        if frame is None:
            continue
        for c in frame.columns:
            s = frame[c]
            if not isinstance(s, pd.Series) or isinstance(s, gpd.GeoSeries) or not is_text(s):
                continue
            out.update(str(v) for v in s.dropna())
    return frozenset(out)
