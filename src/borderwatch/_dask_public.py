"""The public view of ``analyze(engine="dask")``: its questions answered on the workers.

:func:`borderwatch.public_view` asks the incidents three kinds of question
(:class:`~borderwatch.privacy._records.IncidentRecords`). :class:`DaskRecords`
answers them from the joined partitions on the workers, never from the sample in
``result.incidents``, and only small answers reach the client:

* **cell keys**: each partition sums the record keys (and counts the records) of
  every published count it contributes to (units x categories, the counts table,
  lattice cells, hotspot / cluster / scan shapes, summary counts, priorities);
  the client adds the partitions' sums modulo ``2**32``;
* **what must not leak**: the client sends the text values of the units and cells
  and the summary's strings; each partition answers with the incident ids and
  free-text values found among or in them (and, per text column, enough to tell
  data-set metadata), and with the incidents whose coordinates equal a number in
  the strings; the client redacts as the default engine does with those;
* **corners of generalised shapes**: the client sends the candidate vertices;
  each partition gives every vertex's distance to its nearest incident; the
  client keeps the smallest.

With ``scheduler`` (a cluster the run connected to and left), the partitions are
read and joined again, once, for the public view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .privacy._info import VOCAB_COLUMNS, IncidentInfo, _is_free_text, is_text
from .privacy._needles import _ID_TOKEN_RE
from .privacy._records import IncidentRecords, Pairs, lonlat_xy, tally_frame
from .settings import Settings

__all__ = ["DaskRecords", "partition_info"]

_MOD = np.uint64(1 << 32)
_DEC_AT = re.compile(r"(?=(-?\d+\.\d+))")
_NUM_AT = re.compile(r"(?=(-?\d+(?:\.\d+)?))")


def _decimal_tokens(strings: Iterable[str]) -> dict[int, np.ndarray]:
    """Every decimal number in ``strings`` (starting at any digit or sign), by its decimals
    (at most 8, as :class:`~borderwatch.privacy._needles.Needles` reads them)."""
    out: dict[int, set[float]] = {}
    for s in strings:
        for tok in _DEC_AT.findall(s):
            d = min(8, len(tok) - tok.index(".") - 1)
            out.setdefault(d, set()).add(float(tok))
    return {d: np.sort(np.fromiter(v, dtype=float)) for d, v in out.items()}


def _metric_tokens(strings: Iterable[str]) -> np.ndarray:
    """Every number of at least 100 in ``strings`` (projected coordinates to the metre)."""
    vals = {float(t) for s in strings for t in _NUM_AT.findall(s)}
    return np.sort(np.fromiter((v for v in vals if abs(v) >= 100), dtype=float))


def _near(values: np.ndarray, tokens: np.ndarray, tol: float) -> np.ndarray:
    """Whether each of ``values`` lies within ``tol`` of one of the sorted ``tokens``.

    >>> _near(np.array([1.0, 2.5, 9.0]), np.array([2.0, 3.0]), 0.5).tolist()
    [False, True, False]
    """
    if not len(tokens) or not len(values):
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(tokens, values)
    above = tokens[np.minimum(pos, len(tokens) - 1)]
    below = tokens[np.maximum(pos - 1, 0)]
    d = np.minimum(np.abs(values - above), np.abs(values - below))
    return np.asarray(d <= tol)


def _located(
    part: pd.DataFrame, crs: CRS | None, decimals: dict[int, np.ndarray], metric: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The coordinates of the incidents that a number of the strings could write (a superset
    of those :class:`Needles` can find there)."""
    lonlat, xy = lonlat_xy(part, crs)
    hit = np.zeros(len(lonlat), dtype=bool)
    for d, toks in decimals.items():
        tol = 10.0**-d  # both rounded to d decimals (to 8 when written with more)
        hit |= _near(lonlat[:, 0], toks, tol) | _near(lonlat[:, 1], toks, tol)
    if xy is not None:
        hit |= _near(xy[:, 0], metric, 1.0) | _near(xy[:, 1], metric, 1.0)
    return lonlat[hit], None if xy is None else xy[hit]


def _texts(
    part: pd.DataFrame, values: frozenset[str], folded: str
) -> dict[str, tuple[set[str], int, list[str]]]:
    """Per text column: its free-text values found among ``values`` or in ``folded`` (the
    strings, case-folded), its non-null count and up to two distinct values."""
    out = {}
    geom = part.geometry.name if isinstance(part, gpd.GeoDataFrame) else None
    for col in part.columns:
        if col in VOCAB_COLUMNS or col == "id" or col == geom or not is_text(part[col]):
            continue
        s = part[col]
        distinct = pd.unique(s.dropna().astype(str))
        found = {
            v
            for v in (str(x).strip() for x in distinct)
            if _is_free_text(v, 4) and (v in values or v.casefold() in folded)
        }
        out[str(col)] = (found, int(s.notna().sum()), [str(x) for x in distinct[:2]])
    return out


def partition_info(
    part: pd.DataFrame,
    *,
    crs: CRS | None,
    values: frozenset[str],
    strings: Sequence[str],
) -> dict[str, Any]:
    """What one partition tells the public view about leaks (runs on a worker; see the
    module docstring): small, whatever the partition's size."""
    tokens = set(values)
    for s in strings:
        for tok in _ID_TOKEN_RE.findall(s):
            tokens.update((tok, tok.strip(".:/#")))
    ids: set[str] = set()
    if "id" in part.columns:
        every = {str(v) for v in pd.unique(part["id"].dropna())}
        ids = every & tokens
        spaced = [i for i in every - ids if re.search(r"\s", i)]
        ids |= {i for i in spaced if any(i in s for s in strings)}
    lonlat, xy = _located(part, crs, _decimal_tokens(strings), _metric_tokens(strings))
    cats = part["category"].dropna().astype(str).unique() if "category" in part else []
    return {
        "ids": ids,
        "texts": _texts(part, values, "\n".join(s.casefold() for s in strings)),
        "columns": {str(c) for c in part.columns},
        "categories": set(cats),
        "lonlat": lonlat,
        "xy": xy,
        "n": len(part),
        "geo": isinstance(part, gpd.GeoDataFrame),
    }


def combined_info(parts: Sequence[dict[str, Any]], crs: CRS | None) -> IncidentInfo:
    """The :class:`IncidentInfo` of the partitions' answers: a column with one value for
    five or more incidents over all partitions is data-set metadata, not free text."""
    texts: set[str] = set()
    for col in {c for p in parts for c in p["texts"]}:
        got = [p["texts"][col] for p in parts if col in p["texts"]]
        distinct = {v for g in got for v in g[2]}
        if len(distinct) == 1 and sum(g[1] for g in got) >= 5:
            continue
        texts.update(v for g in got for v in g[0])
    xy = [p["xy"] for p in parts if p["xy"] is not None]
    lonlat = np.vstack([p["lonlat"] for p in parts]) if parts else np.empty((0, 2))
    located = any(p["geo"] and p["n"] for p in parts)
    return IncidentInfo(
        ids=frozenset(i for p in parts for i in p["ids"]),
        texts=frozenset(texts),
        columns=frozenset(c for p in parts for c in p["columns"]),
        categories=frozenset(c for p in parts for c in p["categories"]),
        lonlat=lonlat if located else np.empty((0, 2)),
        xy=np.vstack(xy) if xy and located else None,
        crs=crs if located else None,
    )


def _meta(part: pd.DataFrame) -> tuple[int, set[str], set[str], bool]:
    """Rows, columns, categories and whether one partition has point geometries."""
    cats = part["category"].dropna().astype(str).unique() if "category" in part else []
    return len(part), {str(c) for c in part.columns}, set(cats), isinstance(part, gpd.GeoDataFrame)


def _metric_xy(part: pd.DataFrame, crs: CRS) -> np.ndarray:
    xy = lonlat_xy(part, crs)[1]
    return np.empty((0, 2)) if xy is None else xy


def _nearest(xy: np.ndarray | None, query: np.ndarray) -> np.ndarray:
    """Distance from each of ``query`` to the nearest of ``xy`` (inf without points)."""
    from scipy.spatial import cKDTree

    if xy is None or not len(xy):
        return np.full(len(query), np.inf)
    return np.asarray(cKDTree(xy).query(query, k=1)[0], dtype=float)


class _Tree:
    """A nearest-incident lookup over the partitions (``query`` as a KD-tree's)."""

    def __init__(self, records: DaskRecords, crs: CRS) -> None:
        self._records = records
        dask, parts = records.dask, records.parts
        self._xy = dask.persist(*[dask.delayed(_metric_xy)(p, crs) for p in parts])

    def query(self, xy: np.ndarray, k: int = 1) -> tuple[np.ndarray, None]:
        dask = self._records.dask
        got = dask.compute(*[dask.delayed(_nearest)(p, np.asarray(xy)) for p in self._xy])
        return np.minimum.reduce(list(got)) if got else np.full(len(xy), np.inf), None


class DaskRecords(IncidentRecords):
    """The joined partitions of ``analyze(engine="dask")`` as the public view's records.

    Parameters
    ----------
    joined : sequence of dask objects, optional
        The persisted joined partitions (dask's local scheduler); None to read and
        join the ``files`` again on the cluster at ``settings.scheduler``.
    units : GeoDataFrame
        The checked units.
    files : sequence of str
        The partition files.
    settings : Settings
        The run's settings.
    """

    def __init__(
        self,
        joined: Sequence[Any] | None,
        *,
        units: gpd.GeoDataFrame,
        files: Sequence[str],
        settings: Settings,
    ) -> None:
        from ._dask import _need_dask

        self.dask = _need_dask()
        self._joined = None if joined is None else list(joined)
        self._units, self._files, self._settings = units, list(files), settings
        self.parts: list[Any] = []
        self._sizes: list[int] = []
        self._keys: dict[bytes, list[Any]] = {}

    @contextmanager
    def opened(self) -> Iterator[IncidentRecords]:
        from ._dask_agg import _load_and_join, _session
        from ._dask_warn import diverted

        s = self._settings
        with _session(None if self._joined is not None else s.scheduler):
            if self._joined is not None:
                self.parts = self._joined
            else:
                with diverted():  # the run said the reader's and the join's warnings
                    again = _load_and_join(self.dask, self._units, self._files, s, lambda _: None)
                self.parts = list(again[0])
            try:
                meta = self.dask.compute(*[self.dask.delayed(_meta)(p) for p in self.parts])
                self._sizes = [m[0] for m in meta]
                self.columns = frozenset(c for m in meta for c in m[1])
                self.categories = frozenset(c for m in meta for c in m[2])
                self.is_geo = bool(meta) and all(m[3] for m in meta)
                yield self
            finally:
                self.parts, self._keys = [], {}

    def _record_keys(self, key: bytes) -> list[Any]:
        from .privacy.cellkey import record_keys

        if key not in self._keys:
            d = self.dask
            self._keys[key] = list(d.persist(*[d.delayed(record_keys)(p, key) for p in self.parts]))
        return self._keys[key]

    def tally(self, pairs: Pairs, n: int, key: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        d = self.dask
        keys = self._record_keys(key)
        which = [i for i, size in enumerate(self._sizes) if size] or [0]
        got = d.compute(*[d.delayed(tally_frame)(self.parts[i], keys[i], pairs, n) for i in which])
        if any(g is None for g in got):
            return None
        counts = np.sum([g[0] for g in got], axis=0).astype(np.int64)
        ck = np.asarray(np.sum([g[1] for g in got], axis=0, dtype=np.uint64) % _MOD)
        return counts, ck

    def info(
        self, *, crs: CRS | None, values: Iterable[str], strings: Iterable[str]
    ) -> IncidentInfo:
        d = self.dask
        opts = {"crs": crs, "values": frozenset(values), "strings": list(strings)}
        got = list(d.compute(*[d.delayed(partition_info)(p, **opts) for p in self.parts]))
        return combined_info(got, crs)

    def tree(self, crs: CRS) -> _Tree:
        return _Tree(self, crs)


def dask_records(
    extra: dict[str, Any], *, units: gpd.GeoDataFrame, source: Any, settings: Settings
) -> DaskRecords | None:
    """The public view's records of a dask run (None in the internal view)."""
    from ._dask import partition_sources

    if settings.view != "public":
        return None
    files = partition_sources(source)
    return DaskRecords(extra.get("joined"), units=units, files=files, settings=settings)
