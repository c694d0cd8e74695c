"""Geometry operations that do not fail on real boundaries.

Real boundary files are drawn by different agencies at different detail;
their polygons have near-coincident edges, slivers and, after reprojection,
edges that were shared but are no longer exactly equal. GEOS then raises
``TopologyException: side location conflict`` (or "found non-noded
intersection") from a union. :func:`robust_union` unions as usual and, when
GEOS fails or returns an invalid result, snaps the inputs to a precision grid
(``shapely.set_precision``), repairs them (``make_valid``) and unions them
with snap-rounding (``union_all(..., grid_size=...)``), which GEOS guarantees
to be robust. Work in a metric CRS, where the grid is
:data:`METRIC_GRID_M` (1 mm); :func:`grid_size_for` gives the grid of a CRS.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS
from shapely.errors import GEOSException

from ._memo import active, forget_on_exit

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEGREE_GRID",
    "METRIC_GRID_M",
    "gc_paused",
    "grid_size_for",
    "hull_candidates",
    "points_to_crs",
    "projected",
    "remember_lonlat",
    "remember_projection",
    "remembered_lonlat",
    "robust_overlay",
    "robust_union",
    "to_crs_valid",
    "valid_polygons",
    "xy_to_crs",
]

#: Precision grid of unions in a metric CRS: 1 mm, far below any distance borderwatch reports.
METRIC_GRID_M = 1e-3
#: The same grid in degrees (about 1 mm at the equator).
DEGREE_GRID = 1e-8


def grid_size_for(crs: Any) -> float:
    """The precision grid of unions in ``crs``: 1 mm in metres, about as much in degrees.

    >>> grid_size_for("EPSG:3857"), grid_size_for("EPSG:4326")
    (0.001, 1e-08)
    """
    if crs is None:
        return METRIC_GRID_M
    return METRIC_GRID_M if CRS(crs).is_projected else DEGREE_GRID


def robust_union(geoms: Any, *, grid_size: float = METRIC_GRID_M) -> shapely.Geometry:
    """The union of ``geoms``; on a GEOS topology error, the union on a precision grid.

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Missing geometries are left out.
    grid_size : float, default 0.001
        The precision grid in the units of the geometries' CRS (see
        :func:`grid_size_for`); used only when the plain union fails or is
        invalid, so results that GEOS computes exactly are unchanged.

    Returns
    -------
    shapely.Geometry
        A valid geometry (an empty GeometryCollection for no input).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> robust_union([box(0, 0, 1, 1), box(1, 0, 2, 1), None]).area
    2.0
    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])  # self-intersecting
    >>> bool(shapely.is_valid(robust_union([bowtie, box(2, 0, 3, 1)])))
    True
    """
    arr = np.asarray(geoms, dtype=object).ravel()
    arr = arr[~np.asarray(shapely.is_missing(arr), dtype=bool)] if arr.size else arr
    if arr.size == 0:
        return shapely.GeometryCollection()
    try:
        out = shapely.union_all(arr)
        if shapely.is_valid(out):
            return out
    except GEOSException:
        pass
    return _snapped_union(arr, grid_size)


def robust_overlay(op: str, a: Any, b: Any, *, grid_size: float = METRIC_GRID_M) -> np.ndarray:
    """Element-wise ``intersection``, ``union`` or ``difference`` of ``a`` and ``b``; on a
    GEOS topology error, of both snapped to ``grid_size`` and repaired, with snap-rounding.

    >>> from shapely.geometry import box
    >>> robust_overlay("intersection", [box(0, 0, 2, 2)], [box(1, 1, 3, 3)])[0].area
    1.0
    """
    fn = {
        "intersection": shapely.intersection,
        "union": shapely.union,
        "difference": shapely.difference,
    }[op]
    try:
        return np.asarray(fn(a, b), dtype=object)
    except GEOSException:
        return np.asarray(
            fn(_snap(a, grid_size), _snap(b, grid_size), grid_size=grid_size), dtype=object
        )


def _snap(geoms: Any, grid_size: float) -> Any:
    """Repaired, snapped to the grid, and repaired again (snapping can fold thin parts).

    Polygons stay polygons: the repair keeps only their polygonal parts (a
    collapsed sliver becomes a line, which GEOS cannot overlay with polygons).
    """
    scalar = isinstance(geoms, shapely.Geometry)
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    polygonal = np.isin(shapely.get_type_id(arr), [3, 6])
    out = shapely.make_valid(shapely.set_precision(shapely.make_valid(arr), grid_size))
    out = np.atleast_1d(np.asarray(out, dtype=object))
    mixed = polygonal & ~np.isin(shapely.get_type_id(out), [3, 6])
    for i in zip(*np.nonzero(mixed), strict=True):
        parts = [q for q in shapely.get_parts(out[i]) if shapely.get_type_id(q) in (3, 6)]
        out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out.reshape(-1)[0] if scalar else out


def valid_polygons(geoms: Any) -> np.ndarray:
    """The geometries with the invalid ones repaired (``make_valid``), keeping polygons.

    A shape that was valid in a metric CRS can self-intersect after
    reprojection to EPSG:4326 (a thin spike folds over). Valid geometries are
    returned unchanged; of a repaired polygon only its polygonal parts are kept.

    >>> bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> [getattr(g, "geom_type", None) for g in valid_polygons([bowtie, shapely.box(0, 0, 1, 1), None])]
    ['MultiPolygon', 'Polygon', None]
    """
    arr = np.asarray(geoms, dtype=object).ravel().copy()
    missing = np.asarray(shapely.is_missing(arr), dtype=bool)
    bad = ~missing & ~np.asarray(shapely.is_valid(arr), dtype=bool)
    polygon_input = np.isin(shapely.get_type_id(arr), [3, 6])
    for i in np.flatnonzero(bad):
        fixed = shapely.make_valid(arr[i])
        if polygon_input[i]:
            parts = [p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in (3, 6)]
            polys = [q for p in parts for q in shapely.get_parts(p)]
            fixed = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
        arr[i] = fixed
    return arr


def to_crs_valid(frame: Any, crs: Any) -> Any:
    """``frame.to_crs(crs)`` with geometries that reprojection made invalid repaired
    (:func:`valid_polygons`); a frame without a CRS is returned as it is."""
    if frame is None or frame.crs is None:
        return frame
    out = frame.to_crs(crs)
    geoms = valid_polygons(out.geometry.array)
    return out.set_geometry(geoms, crs=out.crs) if len(out) else out


def _snapped_union(arr: np.ndarray, grid_size: float) -> shapely.Geometry:
    """Snap to the grid, repair, and union with snap-rounding; a coarser grid as a last resort."""
    last: GEOSException | None = None
    for size in (grid_size, grid_size * 100.0):
        try:
            return shapely.make_valid(shapely.union_all(_snap(arr, size), grid_size=size))
        except GEOSException as exc:  # noqa: PERF203 - at most two tries
            last = exc
    try:  # buffering by zero rebuilds every polygon from its rings
        return shapely.make_valid(shapely.union_all(shapely.buffer(shapely.make_valid(arr), 0.0)))
    except GEOSException:
        if last is not None:
            raise last from None
        raise


#: The last few reprojected point arrays: (source array, CRS text, projected array).
_PROJECTED: list[tuple[weakref.ref[Any], str, Any]] = []
forget_on_exit(_PROJECTED.clear)
_KEEP = 3


def projected(geo: gpd.GeoSeries, crs: Any) -> gpd.GeoSeries:
    """``geo.to_crs(crs)``, computed once per geometry array and CRS.

    The pipeline hands the same joined incidents to every step, and each step
    reprojects them to the study CRS (cells, stacks, border distances, DBSCAN,
    density, evaluation): the last few projections are remembered, keyed by the
    identity of the source geometry array (held weakly) and the CRS, inside a run
    only (:func:`borderwatch._memo.remembering`: borderwatch never changes a frame in
    place, but a user may, between two calls).

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoSeries(gpd.points_from_xy([0.0, 1.0], [0.0, 1.0]), crs=4326)
    >>> from borderwatch._memo import remembering
    >>> with remembering():  # as inside analyze(); outside, each call reprojects
    ...     a, b = projected(pts, 3857), projected(pts, 3857)
    >>> a.array is b.array, round(float(a.x.iloc[1]))
    (True, 111319)
    >>> projected(pts, 3857).array is a.array
    False
    """
    import geopandas as gpd

    target = CRS(crs)
    if geo.crs is not None and CRS(geo.crs).equals(target):
        return geo
    source = geo.array
    key = target.to_wkt()
    for ref, k, arr in _PROJECTED if active() else ():
        if ref() is source and k == key and len(arr) == len(geo):
            return gpd.GeoSeries(arr, index=geo.index, crs=target, name=geo.name, copy=False)
    with gc_paused():
        out = geo.to_crs(target)
    _remember(source, key, out.array)
    return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while making a million geometries.

    Every new shapely geometry counts towards the collector's thresholds, so making a
    million of them runs hundreds of collections, each walking every tracked object of
    the session (a loaded analysis holds millions): most of the time of
    ``points_from_xy`` and ``to_crs`` at scale. Geometries hold no reference cycles, so
    nothing is left for the collector to find; it resumes (if it was on) afterwards.
    Only the time changes, never a value.

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: Whether a :func:`gc_frozen` block of borderwatch's own is open (then :func:`gc_settle` freezes).
_FREEZING = [False]


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Keep the objects made before the block, and those :func:`gc_settle` marks inside
    it, out of the cyclic garbage collector's walks until the block ends.

    An analysis holds a million shapely points, each tracked by the collector: every
    full collection (a few per run, triggered by allocations anywhere) walked them all,
    0.15-0.3 s each, and in a forked child it also wrote to their pages (copied on
    write). :func:`gc.freeze` moves the objects made so far to a generation the
    collector never walks; :func:`gc.unfreeze` gives them back at the end, so cycles
    among them are collected then. Reference counting frees everything else as usual.
    Only the time changes, never a value. Nothing is frozen when the process had frozen
    objects of its own (they stay as they are).

    >>> with gc_frozen():
    ...     gc.get_freeze_count() > 0
    True
    >>> gc.get_freeze_count()
    0
    """
    mine = not _FREEZING[0] and gc.get_freeze_count() == 0
    if mine:
        _FREEZING[0] = True
        gc.freeze()
    try:
        yield
    finally:
        if mine:
            gc.unfreeze()
            _FREEZING[0] = False


def gc_settle() -> None:
    """Inside a :func:`gc_frozen` block: keep the objects made so far (a run's inputs, just
    read) out of the collector's walks too. Elsewhere nothing."""
    if _FREEZING[0]:
        gc.freeze()


def points_to_crs(x: np.ndarray, y: np.ndarray, *, source: Any, target: Any) -> np.ndarray:
    """Points at the finite 2-D coordinates ``x``, ``y`` (in ``source``) reprojected to
    ``target``: the same points, bit for bit, as ``GeoSeries.to_crs`` of the points gives
    (the same always-xy transformer on the same numbers), without building the points in
    ``source`` first and copying them. Missing, empty, NaN and 3-D points are not taken.

    >>> import geopandas as gpd
    >>> x, y = np.array([0.0, 1.5]), np.array([0.0, 12.25])
    >>> direct = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=4326).to_crs(3857).array
    >>> bool(shapely.equals_identical(points_to_crs(x, y, source=4326, target=3857), direct).all())
    True
    """
    with gc_paused():
        return np.asarray(shapely.points(*xy_to_crs(x, y, source=source, target=target)))


def xy_to_crs(
    x: np.ndarray, y: np.ndarray, *, source: Any, target: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates ``x``, ``y`` (in ``source``) reprojected to ``target`` with the
    always-xy transformer ``GeoSeries.to_crs`` uses: the x and y of the points of
    :func:`points_to_crs`, bit for bit.

    >>> x, y = xy_to_crs(np.array([1.5]), np.array([12.25]), source=4326, target=3857)
    >>> pts = points_to_crs(np.array([1.5]), np.array([12.25]), source=4326, target=3857)
    >>> bool(x[0] == shapely.get_x(pts[0]) and y[0] == shapely.get_y(pts[0]))
    True
    """
    from pyproj import Transformer

    src, dst = CRS(source), CRS(target)
    if src.is_exact_same(dst):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    tx, ty = Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)


def remember_projection(geo: gpd.GeoSeries, metric: gpd.GeoSeries) -> None:
    """Record that ``metric`` holds the points of ``geo``, in order, reprojected (a new
    frame built from the points of one already projected: the join's output)."""
    if len(geo) == len(metric) and metric.crs is not None:
        _remember(geo.array, CRS(metric.crs).to_wkt(), metric.array)


#: The points a reader made, with the longitudes and latitudes they were made of.
_LONLAT: list[tuple[weakref.ref[Any], np.ndarray, np.ndarray]] = []
forget_on_exit(_LONLAT.clear)


def remember_lonlat(array: Any, lon: np.ndarray, lat: np.ndarray) -> None:
    """Record that the points of ``array`` (a geometry array in EPSG:4326) were made of the
    finite numbers ``lon`` and ``lat``, row by row: the x and y that GEOS gives back, bit
    for bit. Inside a run only (:mod:`borderwatch._memo`), for the last array given.

    >>> import geopandas as gpd
    >>> from borderwatch._memo import remembering
    >>> lon, lat = np.array([1.5, -0.0]), np.array([12.25, 14.0])
    >>> pts = gpd.points_from_xy(lon, lat)
    >>> with remembering():
    ...     remember_lonlat(pts, lon, lat)
    ...     remembered_lonlat(pts)[0].tolist(), remembered_lonlat(pts[:1])
    ([1.5, -0.0], None)
    >>> remembered_lonlat(pts) is None  # outside a run, nothing is remembered
    True
    """
    if not active() or len(array) != len(lon) or len(lon) != len(lat):
        return
    lon, lat = np.asarray(lon, dtype=float).view(), np.asarray(lat, dtype=float).view()
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return
    lon.flags.writeable = False  # read-only views: no copy of a million numbers
    lat.flags.writeable = False
    _LONLAT[:] = [(weakref.ref(array), lon, lat)]


def remembered_lonlat(array: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The (read-only) longitudes and latitudes the points of ``array`` were made of
    (:func:`remember_lonlat`), or None."""
    for ref, lon, lat in _LONLAT if active() else ():
        if len(lon) == len(array) and ref() is array:
            return lon, lat
    return None


def _remember(source: Any, key: str, arr: Any) -> None:
    if not active():  # only inside a run (borderwatch._memo)
        return
    _PROJECTED[:] = [e for e in _PROJECTED if e[0]() is not None and e[0]() is not source][
        -(_KEEP - 1) :
    ]
    _PROJECTED.append((weakref.ref(source), key, arr))


def hull_candidates(xy: np.ndarray, ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Which points can be a vertex of the convex hull of their group (Akl-Toussaint).

    ``xy`` (n, 2) holds groups of points in a row, group ``g`` from ``starts[g]`` on, and
    ``ids`` is each point's group (0..k-1, ascending). The leftmost, lowest, rightmost and
    highest point of a group span a quadrilateral inside its hull; a point more than 1 mm
    inside it cannot be a hull vertex. :func:`shapely.convex_hull` of the other points is
    the same polygon (GEOS builds it from the distinct points), at a fraction of the cost
    for large groups.

    >>> xy = np.array([[0.0, 5.0], [5.0, 0.0], [10.0, 5.0], [5.0, 10.0], [5.0, 5.0], [2.5, 2.5]])
    >>> hull_candidates(xy, np.zeros(6, dtype=np.int64), np.array([0])).tolist()  # a diamond
    [True, True, True, True, False, True]
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    ids = np.asarray(ids, dtype=np.int64)
    if len(xy) == 0:
        return np.zeros(0, dtype=bool)
    corners = []
    for col, reduce in ((0, np.minimum), (1, np.minimum), (0, np.maximum), (1, np.maximum)):
        vals = xy[:, col]
        at = np.flatnonzero(vals == reduce.reduceat(vals, starts)[ids])
        first = np.r_[True, ids[at][1:] != ids[at][:-1]]  # the first extreme of each group
        corners.append(xy[at[first]])
    inside = np.ones(len(xy), dtype=bool)
    for a, b in zip(corners, [*corners[1:], corners[0]], strict=True):
        edge, rel = (b - a)[ids], xy - a[ids]
        cross = edge[:, 0] * rel[:, 1] - edge[:, 1] * rel[:, 0]
        inside &= cross > 1e-3 * np.hypot(edge[:, 0], edge[:, 1])
    return ~(inside & np.isfinite(xy).all(axis=1))
