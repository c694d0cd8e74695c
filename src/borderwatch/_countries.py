"""Whose incidents a feature holds: the one rule behind ``countries``, ``cross_border``
and ``border_km`` of hotspot regions, point clusters and scan clusters.

* An incident's **own country** is the country the input gives for it
  (``reported_country``, set by the reader from a country column) and, where
  the input gives none, the country of the unit it was joined to
  (``country``). An incident flagged ``country_mismatch`` therefore counts for
  its own country, not for the polygon it happens to fall in (the UCDP events
  at the Bangui centroid are Central African Republic events that lie 0.6 km
  inside the DR Congo polygon).
* A feature's ``countries`` lists the own countries of its incidents (ISO3,
  sorted, comma-separated); ``cross_border`` is true when it holds two or more.
* ``border_km`` is measured from the feature's incidents: the distance from
  its incident nearest to an international border to that border, and 0 when
  its incidents lie on both sides of a border (joined to units of two or more
  countries). A feature drawn across a border with all its incidents on one
  side is therefore *not* at 0 km.
"""

from __future__ import annotations

import weakref
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._geom import projected, robust_union
from ._memo import active, forget_on_exit
from ._segdist import line_segments, point_xy, polyline_distance
from ._stacks import unique_rows

__all__ = [
    "feature_border_km",
    "feature_countries",
    "features_border_km",
    "has_countries",
    "incident_border_km",
    "line_distance",
    "own_countries",
    "remember_border_km",
    "unit_countries",
]


def _codes(col: pd.Series) -> np.ndarray:
    """Upper-case trimmed codes, ``""`` where missing."""
    codes, distinct = pd.factorize(col)  # each distinct code cleaned once, not once per row
    clean = np.array([str(v).strip().upper() for v in distinct] + [""], dtype=object)
    return clean[np.where(codes < 0, len(distinct), codes)]


def has_countries(incidents: pd.DataFrame) -> bool:
    """Whether the incidents carry any country (their own or their unit's)."""
    return isinstance(incidents, pd.DataFrame) and bool(
        {"reported_country", "country"} & set(incidents.columns)
    )


def own_countries(incidents: pd.DataFrame) -> np.ndarray:
    """Each incident's own country: ``reported_country`` where given, else ``country``.

    Returns an object array of ISO3 codes (``""`` where neither is known).

    Examples
    --------
    >>> df = pd.DataFrame({"country": ["COD", "CAF", "NER", None],
    ...                    "reported_country": ["CAF", None, "ner", None]})
    >>> own_countries(df).tolist()
    ['CAF', 'CAF', 'NER', '']
    """
    n = len(incidents)
    unit = (
        _codes(incidents["country"]) if "country" in incidents.columns else np.full(n, "", object)
    )
    if "reported_country" not in incidents.columns:
        return unit
    own = _codes(incidents["reported_country"])
    return np.where(own != "", own, unit).astype(object)


def unit_countries(incidents: pd.DataFrame) -> np.ndarray:
    """The country of the unit each incident was joined to (``""`` where unknown)."""
    if "country" not in incidents.columns:
        return np.full(len(incidents), "", dtype=object)
    return _codes(incidents["country"])


def feature_countries(
    feature: np.ndarray, codes: np.ndarray, n: int
) -> tuple[list[str], np.ndarray]:
    """``countries`` and ``cross_border`` of ``n`` features.

    Parameters
    ----------
    feature : int array
        For each incident, the feature (0..n-1) it belongs to, or -1.
    codes : object array
        Each incident's own country (:func:`own_countries`).
    n : int
        Number of features.

    Examples
    --------
    >>> feature_countries(np.array([0, 0, 1, 1, -1]),
    ...                   np.array(["CAF", "CAF", "CAF", "COD", "NER"], dtype=object), 3)
    (['CAF', 'CAF,COD', ''], array([False,  True, False]))
    """
    sets: list[set[str]] = [set() for _ in range(n)]
    member = np.flatnonzero(np.asarray(feature) >= 0)
    fc = _feature_codes(np.asarray(feature)[member], np.asarray(codes)[member])
    if fc is not None:  # the same pairs, found as integers
        f, ids, names = fc
        for one, c in zip(f.tolist(), names[ids].tolist(), strict=True):
            sets[one].add(c)
    else:
        pairs = pd.DataFrame({"f": np.asarray(feature)[member], "c": np.asarray(codes)[member]})
        pairs = pairs[pairs["c"] != ""].drop_duplicates()
        for f_, c_ in zip(pairs["f"].tolist(), pairs["c"].tolist(), strict=True):
            sets[int(f_)].add(str(c_))
    countries = [",".join(sorted(s)) for s in sets]
    return countries, np.array([len(s) >= 2 for s in sets], dtype=bool)


def _feature_codes(
    feature: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The distinct pairs of a feature (``>= 0``) and a code other than ``""`` among the
    incidents: their features, their codes as positions in ``names``, and ``names`` (the
    distinct codes, as str). None unless every code is a str (the caller then pairs
    them as a frame, whose rules for missing values these do not copy).
    """
    ids, uniq = pd.factorize(np.asarray(codes, dtype=object))
    names = np.asarray(uniq, dtype=object)
    if (ids < 0).any() or not all(type(v) is str for v in names.tolist()):
        return None
    keep = names != ""
    ok = keep[ids]
    f = np.asarray(feature, dtype=np.int64)[ok]
    ids = ids[ok].astype(np.int64)
    if not len(f):
        return f, ids, names
    width = len(names)
    pairs = pd.unique(f * width + ids)  # f >= 0 and ids < width: one key per pair
    return pairs // width, pairs % width, names


def _two_sided(feature: np.ndarray, unit_codes: np.ndarray, n: int) -> np.ndarray | None:
    """Which of ``n`` features hold incidents of units of two or more countries (None:
    codes that are not all str, see :func:`_feature_codes`)."""
    feature = np.asarray(feature)
    member = feature >= 0
    fc = _feature_codes(feature[member], np.asarray(unit_codes)[member])
    if fc is None:
        return None
    return np.bincount(fc[0], minlength=n)[:n] >= 2


def line_distance(points: np.ndarray, lines: shapely.Geometry) -> np.ndarray:
    """Exact distance of each point to ``lines``, through an index of their segments.

    The same as ``shapely.distance(points, lines)``, but each distinct location is
    measured once, against the few segments an STRtree finds near it (a direct
    distance to a long border visits every vertex, for every incident).

    >>> from shapely.geometry import LineString, Point
    >>> line = LineString([(0, 0), (10, 0), (10, 10)])
    >>> line_distance(np.array([Point(5, 3), Point(12, 5), None, Point(5, 3)]), line).tolist()
    [3.0, 2.0, nan, 3.0]
    """
    points = np.asarray(points, dtype=object)
    out = np.full(len(points), np.nan)
    ok = np.flatnonzero(~(shapely.is_missing(points) | shapely.is_empty(points)))
    parts = shapely.get_parts(shapely.get_parts(np.asarray([lines], dtype=object)))
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    if not len(ok) or not same.any():
        return np.asarray(shapely.distance(points, lines), dtype=float)
    segments = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    xy, inverse = unique_rows(shapely.get_coordinates(points[ok]), return_inverse=True)
    where, dist = shapely.STRtree(segments).query_nearest(
        shapely.points(xy), return_distance=True, all_matches=False
    )
    per_location = np.full(len(xy), np.nan)
    per_location[where[0]] = dist
    out[ok] = per_location[inverse.ravel()]
    return out


def incident_border_km(
    incidents: gpd.GeoDataFrame,
    rows: np.ndarray,
    border: gpd.GeoDataFrame | gpd.GeoSeries | None,
    crs: CRS,
) -> np.ndarray:
    """Distance (km) of the incidents ``rows`` to the nearest border line.

    From ``border`` when given, else the join's ``border_km`` column; NaN
    when neither is there.
    """
    rows = np.asarray(rows, dtype=np.int64)
    lines = _border_union(border, crs)
    if lines is not None:
        pts = projected(incidents.geometry, crs).iloc[rows]
        return line_distance(np.asarray(pts.array, dtype=object), lines) / 1000.0
    if "border_km" in incidents.columns:
        return pd.to_numeric(incidents["border_km"], errors="coerce").to_numpy(float)[rows]
    return np.full(len(rows), np.nan)


#: Incidents whose exact distance is within this (metres, plus a billionth of it) of their
#: feature's smallest are measured again by :func:`line_distance` in
#: :func:`features_border_km`: a margin against rounding, so its figures stay shapely's.
_ROUNDING_M = 0.01


def features_border_km(
    incidents: gpd.GeoDataFrame,
    feature: np.ndarray,
    border: gpd.GeoDataFrame | gpd.GeoSeries | None,
    crs: CRS,
    n: int,
) -> np.ndarray:
    """``border_km`` of ``n`` features (:func:`feature_border_km`), measuring shapely's
    distance (:func:`line_distance`) only for the incidents nearest in their feature.

    The exact distance of every incident of a one-sided feature comes from the join
    (:func:`remember_border_km`) or, when it has not measured these points against these
    lines, from :func:`borderwatch._segdist.polyline_distance` (compiled, a fraction of
    a second per million points). Only the incidents within rounding (1 cm) of their
    feature's smallest are measured again with shapely, so the figures are exactly
    those of :func:`line_distance` of every incident; features on both sides of a
    border (0 km) need none.

    Examples
    --------
    >>> from shapely.geometry import LineString, Point
    >>> border = gpd.GeoSeries([LineString([(0, -1e5), (0, 1e5)])], crs=3857)
    >>> inc = gpd.GeoDataFrame({"country": ["AAA", "AAA", "BBB", "AAA"]},
    ...     geometry=[Point(1500, 0), Point(9000, 0), Point(-200, 0), Point(300, 0)], crs=3857)
    >>> features_border_km(inc, np.array([0, 0, 1, 1]), border, CRS(3857), 2).tolist()
    [1.5, 0.0]
    """
    feature = np.asarray(feature, dtype=np.int64)
    codes = unit_countries(incidents)
    lines = _border_union(border, crs)
    if lines is None:
        dist = incident_border_km(incidents, np.arange(len(feature)), None, crs)
        return feature_border_km(feature, np.where(feature >= 0, dist, np.nan), codes, n)
    both = _two_sided(feature, codes, n)
    two_sided = (
        both
        if both is not None
        else feature_border_km(feature, np.full(len(feature), np.nan), codes, n) == 0.0
    )
    rows = np.flatnonzero(feature >= 0)
    rows = rows[~two_sided[feature[rows]]]
    pts = np.asarray(projected(incidents.geometry, crs).array, dtype=object)
    known = _remembered(incidents.geometry.array, border, crs)
    if known is not None:  # the join's exact distances, already measured
        exact = known[rows] * 1000.0
    else:
        exact = polyline_distance(point_xy(pts[rows]), line_segments(lines))  # NaN: missing
    low = np.full(n, np.inf)
    fin = np.isfinite(exact)
    np.minimum.at(low, feature[rows[fin]], exact[fin])
    top = low[feature[rows]]
    near = fin & (exact <= top + 1e-9 * top + _ROUNDING_M)
    dist = np.full(len(feature), np.nan)
    dist[rows[near]] = line_distance(pts[rows[near]], lines) / 1000.0
    if both is None:
        return feature_border_km(feature, dist, codes, n)
    return _nearest_km(feature, dist, both, n)


#: The join's border distances (:func:`remember_border_km`): (points' geometry array,
#: border lines, CRS, km), the arrays and lines held weakly.
_KNOWN: list[tuple[weakref.ref[Any], weakref.ref[Any], CRS, np.ndarray]] = []
forget_on_exit(_KNOWN.clear)


def remember_border_km(geometry: Any, border: gpd.GeoDataFrame, crs: CRS, km: np.ndarray) -> None:
    """Record the distances ``km`` of the points ``geometry`` (a geometry array) to the
    lines ``border``, measured in ``crs`` by :func:`borderwatch.borders.distance_to_border`
    (exact). The join records them; :func:`features_border_km` of the same points, lines
    and CRS then takes them instead of measuring them again (inside a run only:
    :func:`borderwatch._memo.remembering`).
    """
    if not active():  # only inside a run (borderwatch._memo)
        return
    _KNOWN[:] = [e for e in _KNOWN if e[0]() is not None and e[0]() is not geometry][-2:]
    _KNOWN.append((weakref.ref(geometry), weakref.ref(border), CRS(crs), np.asarray(km, float)))


def _remembered(
    geometry: Any, border: gpd.GeoDataFrame | gpd.GeoSeries | None, crs: CRS
) -> np.ndarray | None:
    for points, lines, known_crs, km in _KNOWN if active() else ():
        same = points() is geometry and lines() is border and known_crs == CRS(crs)
        if same and geometry is not None and len(km) == len(geometry):
            return km
    return None


def _border_union(
    border: gpd.GeoDataFrame | gpd.GeoSeries | None, crs: CRS
) -> shapely.Geometry | None:
    """The border lines in ``crs`` as one geometry (None without any)."""
    if border is None:
        return None
    geo = border.geometry
    geo = geo[geo.notna() & ~geo.is_empty]
    if not len(geo):
        return None
    return robust_union(np.asarray(geo.to_crs(crs).array, dtype=object))


def feature_border_km(
    feature: np.ndarray, dist_km: np.ndarray, unit_codes: np.ndarray, n: int
) -> np.ndarray:
    """``border_km`` of ``n`` features from their incidents.

    0 when a feature's incidents were joined to units of two or more countries
    (they lie on both sides of a border), else the smallest distance of its
    incidents to a border; NaN for a feature without incidents or, on one
    side only, without any distance (no border lines known).

    Parameters
    ----------
    feature : int array
        For each incident, its feature (0..n-1) or -1.
    dist_km : float array
        Each incident's distance to the nearest border, in km.
    unit_codes : object array
        Each incident's unit country (:func:`unit_countries`).
    n : int

    Examples
    --------
    >>> feature_border_km(np.array([0, 0, 1, 1]), np.array([0.6, 2.0, 3.0, 5.0]),
    ...                   np.array(["COD", "CAF", "CAF", "CAF"], dtype=object), 2).tolist()
    [0.0, 3.0]
    """
    feature = np.asarray(feature)
    member = feature >= 0
    both = _two_sided(feature, unit_codes, n)
    if both is not None:
        return _nearest_km(feature, dist_km, both, n)
    out = np.full(n, np.inf)
    d = np.asarray(dist_km, dtype=float)
    ok = member & np.isfinite(d)
    np.minimum.at(out, feature[ok], d[ok])
    out[~np.isfinite(out)] = np.nan
    pairs = pd.DataFrame({"f": feature[member], "c": np.asarray(unit_codes)[member]})
    pairs = pairs[pairs["c"] != ""].drop_duplicates()
    sides = pairs.groupby("f").size()
    both = sides.index.to_numpy()[sides.to_numpy() >= 2].astype(np.int64)
    out[both] = 0.0  # on both sides of a border, known lines or not
    return out


def _nearest_km(feature: np.ndarray, dist_km: np.ndarray, both: np.ndarray, n: int) -> np.ndarray:
    """:func:`feature_border_km` given which features are on both sides (``both``)."""
    feature = np.asarray(feature)
    out = np.full(n, np.inf)
    d = np.asarray(dist_km, dtype=float)
    ok = (feature >= 0) & np.isfinite(d)
    np.minimum.at(out, feature[ok], d[ok])
    out[~np.isfinite(out)] = np.nan
    out[both] = 0.0  # on both sides of a border, known lines or not
    return out
