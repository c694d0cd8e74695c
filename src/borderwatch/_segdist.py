"""Exact distance from many points to a polyline (a set of straight segments), compiled.

:func:`polyline_distance` walks a quadtree over the points (they are sorted by Morton
code, so every square of the tree holds a contiguous run of them). Each square keeps
the *candidate* segments that can be the nearest of some point in it:

* ``c`` is the square's centre, ``h`` its half-diagonal, ``D`` the exact distance of
  ``c`` to the polyline (the smallest over the parent's candidates, which hold the
  nearest segment of ``c`` since ``c`` lies in the parent square);
* a point ``p`` of the square is within ``h`` of ``c``, so ``d(p) <= D + h``, and its
  nearest segment ``s`` has ``d(c, s) <= d(p, s) + h = d(p) + h <= D + 2h``;
* so the segments with ``d(c, s) <= D + 2h`` (plus a rounding margin) hold the
  nearest of every point of the square, and a child square only looks at these.

A square with few points, few candidates or at the deepest level measures each of its
points against each of its candidates: the smallest of these exact point-to-segment
distances is the exact distance (up to floating-point rounding, ~1e-9 m at metric
coordinates of ~1e7 m). Where a square's parent holds many more candidates than the
square holds points (sparse points near a detailed border), each point is looked up
in a box tree of the segments instead (branch and bound: a box farther than the best
distance so far holds no nearer segment), which is exact too. The work grows with the points and, per square, with the
border near it; the quadtree's depth is bounded (:data:`_LEVELS`), so identical or
very close points do not recurse further. Everything runs without the GIL.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import shapely
from numba import njit

__all__ = ["line_segments", "point_xy", "polyline_distance"]

#: Depth of the quadtree: its smallest squares are the points' extent / 2**_LEVELS.
_LEVELS: Final = 16
#: A square with at most this many points measures them against its candidates.
_LEAF_POINTS: Final = 8
#: A square with at most this many candidate segments measures its points against them.
_LEAF_SEGMENTS: Final = 4
#: A square whose parent's candidates outnumber its points this many times looks up each
#: point in the segments' box tree instead (sparse points near a detailed border).
_PER_POINT: Final = 32
#: Segments per leaf of the box tree.
_BOX_SEGMENTS: Final = 4


def line_segments(lines: object) -> np.ndarray:
    """Every straight segment of (Multi)LineStrings (or any geometries' outlines) as a
    ``(m, 4)`` float array of ``ax, ay, bx, by``; segments with a non-finite
    coordinate are left out, zero-length ones kept.

    Examples
    --------
    >>> from shapely.geometry import LineString, MultiLineString
    >>> line_segments(MultiLineString([[(0, 0), (1, 0), (1, 1)], [(5, 5), (5, 5)]])).tolist()
    [[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0], [5.0, 5.0, 5.0, 5.0]]
    """
    geoms = np.atleast_1d(np.asarray(lines, dtype=object))
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    parts = shapely.get_parts(shapely.get_parts(geoms))
    ring = shapely.get_type_id(parts) == 3  # polygons: their rings
    if ring.any():
        rings = shapely.get_parts(shapely.boundary(parts[ring]))
        parts = np.concatenate([parts[~ring], rings])
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    seg = np.column_stack([coords[:-1][same], coords[1:][same]]).astype(np.float64)
    return np.ascontiguousarray(seg[np.isfinite(seg).all(axis=1)]).reshape(-1, 4)


def point_xy(points: np.ndarray) -> np.ndarray:
    """The ``(n, 2)`` coordinates of an array of points, NaN for missing and empty ones.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> point_xy(np.array([Point(1, 2), None, Point()], dtype=object)).tolist()
    [[1.0, 2.0], [nan, nan], [nan, nan]]
    """
    points = np.asarray(points, dtype=object)
    coords, at = shapely.get_coordinates(points, return_index=True)  # none for missing, empty
    if len(at) == len(points):
        return np.asarray(coords, dtype=np.float64)
    xy = np.full((len(points), 2), np.nan)
    xy[at] = coords
    return xy


def polyline_distance(xy: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Exact distance of each point ``(n, 2)`` to the nearest of ``segments`` ``(m, 4)``
    (:func:`line_segments`): the same as ``shapely.distance`` to their union, up to
    floating-point rounding. NaN for a point with a non-finite coordinate, and
    everywhere when there is no segment. Releases the GIL.

    Examples
    --------
    >>> seg = np.array([[0.0, 0.0, 10.0, 0.0], [10.0, 0.0, 10.0, 10.0]])
    >>> polyline_distance(np.array([[5.0, 3.0], [12.0, 5.0], [np.nan, 0.0], [-3.0, -4.0]]), seg).tolist()
    [3.0, 2.0, nan, 5.0]
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    seg = np.ascontiguousarray(np.asarray(segments, dtype=np.float64).reshape(-1, 4))
    if not len(seg):
        return np.full(len(xy), np.nan)
    return _distances(np.ascontiguousarray(xy), seg)[0]


def distance_work(xy: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The work of :func:`polyline_distance` (for tests of its scaling): how many
    distances from a square's centre to a segment and from a point to a segment it
    computes, and how many squares it visits."""
    xy = np.ascontiguousarray(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    seg = np.ascontiguousarray(np.asarray(segments, dtype=np.float64).reshape(-1, 4))
    if not len(seg):
        return np.zeros(3, dtype=np.int64)
    return _distances(xy, seg)[1]


@njit(cache=True, nogil=True)
def _seg_dist(px: float, py: float, seg: np.ndarray, j: int) -> float:
    """Exact distance of ``(px, py)`` to segment ``j``: to an end where the projection
    falls outside the segment (or it has no length), else the perpendicular distance."""
    ax, ay, bx, by = seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3]
    wx, wy = px - ax, py - ay
    dx, dy = bx - ax, by - ay
    t = wx * dx + wy * dy
    if t <= 0.0:
        return np.sqrt(wx * wx + wy * wy)
    len2 = dx * dx + dy * dy
    if t >= len2:
        ex, ey = px - bx, py - by
        return np.sqrt(ex * ex + ey * ey)
    return abs(wx * dy - wy * dx) / np.sqrt(len2)


@njit(cache=True, nogil=True)
def _morton(xy: np.ndarray, idx: np.ndarray, x0: float, y0: float, scale: float) -> np.ndarray:
    """The square of each point ``idx`` at the deepest level, as a Morton code (x in the
    even bits)."""
    top = (1 << _LEVELS) - 1
    code = np.empty(len(idx), dtype=np.int64)
    for k in range(len(idx)):
        ix = min(max(int((xy[idx[k], 0] - x0) * scale), 0), top)
        iy = min(max(int((xy[idx[k], 1] - y0) * scale), 0), top)
        c = 0
        for b in range(_LEVELS):
            c |= ((ix >> b) & 1) << (2 * b)
            c |= ((iy >> b) & 1) << (2 * b + 1)
        code[k] = c
    return code


@njit(cache=True, nogil=True)
def _sorted_points(
    xy: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, float]:
    """The finite points in Morton order: their positions in ``xy``, codes, x and y, and
    the quadtree's corner and side."""
    idx = np.flatnonzero(np.isfinite(xy[:, 0]) & np.isfinite(xy[:, 1]))
    if len(idx) == 0:
        empty = np.empty(0)
        return idx, idx, empty, empty, 0.0, 0.0, 1.0
    x0, y0, x1, y1 = np.inf, np.inf, -np.inf, -np.inf
    for i in idx:
        x0, x1 = min(x0, xy[i, 0]), max(x1, xy[i, 0])
        y0, y1 = min(y0, xy[i, 1]), max(y1, xy[i, 1])
    side = max(x1 - x0, y1 - y0)
    side = side * (1.0 + 1e-12) if side > 0 else 1.0
    code = _morton(xy, idx, x0, y0, (1 << _LEVELS) / side)
    order = _radix_order(code, 2 * _LEVELS)
    at, sc = np.empty(len(idx), dtype=np.int64), np.empty(len(idx), dtype=np.int64)
    sx, sy = np.empty(len(idx)), np.empty(len(idx))
    for k in range(len(idx)):
        at[k] = i = idx[order[k]]
        sc[k], sx[k], sy[k] = code[order[k]], xy[i, 0], xy[i, 1]
    return at, sc, sx, sy, x0, y0, side


@njit(cache=True, nogil=True)
def _radix_order(code: np.ndarray, bits: int) -> np.ndarray:
    """A stable sorting permutation of the non-negative ``code`` (< ``2**bits``): a
    least-significant-digit radix sort, 11 bits a pass."""
    n = len(code)
    order, key = np.arange(n), code.copy()
    order2, key2 = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    count = np.empty(2049, dtype=np.int64)
    for shift in range(0, bits, 11):
        count[:] = 0
        for i in range(n):
            count[((key[i] >> shift) & 2047) + 1] += 1
        for d in range(2048):
            count[d + 1] += count[d]
        for i in range(n):
            digit = (key[i] >> shift) & 2047
            order2[count[digit]], key2[count[digit]] = order[i], key[i]
            count[digit] += 1
        order, order2, key, key2 = order2, order, key2, key
    return order


@njit(cache=True, nogil=True)
def _first_at_least(code: np.ndarray, lo: int, hi: int, key: int, shift: int) -> int:
    """The first position in ``code[lo:hi]`` (sorted) whose ``code >> shift >= key``."""
    while lo < hi:
        mid = (lo + hi) // 2
        if (code[mid] >> shift) < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _seg_offset(px: float, py: float, seg: np.ndarray, j: int) -> tuple[float, float]:
    """``(px, py)`` minus its nearest point on segment ``j`` (its length is the distance)."""
    ax, ay, bx, by = seg[j, 0], seg[j, 1], seg[j, 2], seg[j, 3]
    wx, wy = px - ax, py - ay
    dx, dy = bx - ax, by - ay
    t = wx * dx + wy * dy
    if t <= 0.0:
        return wx, wy
    len2 = dx * dx + dy * dy
    if t >= len2:
        return px - bx, py - by
    t /= len2
    return wx - t * dx, wy - t * dy


@njit(cache=True, nogil=True)
def _candidates(
    pool: np.ndarray,
    start: int,
    stop: int,
    seg: np.ndarray,
    cx: float,
    cy: float,
    h: float,
    margin: float,
    near: np.ndarray,
) -> tuple[np.ndarray, int]:
    """The segments of ``pool[start:stop]`` that can be the nearest of a point within
    ``h`` of ``(cx, cy)``, written at ``pool[stop:]`` (the pool grows when full):
    the pool and their number.

    Segment ``s`` can be the nearest of ``p`` only if ``f(p) = d(p, s) - d(p, s*) <= 0``,
    ``s*`` the nearest of the centre ``c`` (distance ``D``). ``|grad f| <= 2``, so
    ``f(p) >= f(c) - 2h``. Away from both segments (``D > h``) it is tighter: the
    gradient of the distance to a segment (a convex set) is the unit vector from its
    nearest point and turns at most by ``r / (d - r)`` within ``r`` of a point at ``d``
    (its Hessian is at most ``1 / d``), so ``f(p) >= f(c) - g h - h^2 / 2 (1 / (d_s - h) +
    1 / (D - h))``, ``g`` the gap between the two unit vectors at ``c``: far from the
    border few segments remain.
    """
    best, bk = np.inf, 0
    for k in range(start, stop):
        ox, oy = _seg_offset(cx, cy, seg, pool[k])
        d = np.sqrt(ox * ox + oy * oy)
        near[k - start, 0], near[k - start, 1], near[k - start, 2] = d, ox, oy
        if d < best:
            best, bk = d, k - start
    if len(pool) < stop + (stop - start):
        grown = np.empty(2 * len(pool) + (stop - start), dtype=pool.dtype)
        grown[:stop] = pool[:stop]
        pool = grown
    far = best > h  # the tighter bound applies
    ux, uy = (near[bk, 1] / best, near[bk, 2] / best) if far else (0.0, 0.0)
    slack = margin + 1e-9 * (best + 2.0 * h)
    count = 0
    for k in range(start, stop):
        d = near[k - start, 0]
        if d - best > 2.0 * h + slack:
            continue
        if far and d - best > 1e-6 * h:  # not a tie with the nearest
            gx, gy = near[k - start, 1] / d - ux, near[k - start, 2] / d - uy
            reach = np.sqrt(gx * gx + gy * gy) * h
            reach += 0.5 * h * h * (1.0 / (d - h) + 1.0 / (best - h))
            if d - best > reach + slack:
                continue
        pool[stop + count] = pool[k]
        count += 1
    return pool, count


@njit(cache=True, nogil=True)
def _measure(
    sx: np.ndarray,
    sy: np.ndarray,
    order: np.ndarray,
    lo: int,
    hi: int,
    seg: np.ndarray,
    pool: np.ndarray,
    start: int,
    stop: int,
    out: np.ndarray,
) -> None:
    """The smallest distance of each sorted point ``lo..hi-1`` to the candidates
    ``pool[start:stop]``, written at its original position in ``out``."""
    for i in range(lo, hi):
        best = np.inf
        for k in range(start, stop):
            d = _seg_dist(sx[i], sy[i], seg, pool[k])
            if d < best:
                best = d
        out[order[i]] = best


@njit(cache=True, nogil=True)
def _segment_tree(seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """A box tree of the segments: the segments in Morton order of their midpoints,
    ``_BOX_SEGMENTS`` a leaf, and the boxes of a complete binary tree (node ``b`` has
    children ``2b + 1`` and ``2b + 2``; its ``k`` leaves start at ``k - 1``)."""
    m = seg.shape[0]
    mid = np.empty((m, 2))
    for j in range(m):
        mid[j, 0], mid[j, 1] = 0.5 * (seg[j, 0] + seg[j, 2]), 0.5 * (seg[j, 1] + seg[j, 3])
    x0, y0 = mid[:, 0].min(), mid[:, 1].min()
    side = max(mid[:, 0].max() - x0, mid[:, 1].max() - y0)
    side = side * (1.0 + 1e-12) if side > 0 else 1.0
    order = _radix_order(_morton(mid, np.arange(m), x0, y0, (1 << _LEVELS) / side), 2 * _LEVELS)
    tseg = np.empty((m, 4))
    for t in range(m):
        tseg[t] = seg[order[t]]
    leaves, k = (m + _BOX_SEGMENTS - 1) // _BOX_SEGMENTS, 1
    while k < leaves:
        k *= 2
    box = np.empty((2 * k - 1, 4))
    box[:, :2], box[:, 2:] = np.inf, -np.inf  # empty leaves: boxes no point comes near
    for t in range(m):
        b = k - 1 + t // _BOX_SEGMENTS
        box[b, 0] = min(box[b, 0], tseg[t, 0], tseg[t, 2])
        box[b, 1] = min(box[b, 1], tseg[t, 1], tseg[t, 3])
        box[b, 2] = max(box[b, 2], tseg[t, 0], tseg[t, 2])
        box[b, 3] = max(box[b, 3], tseg[t, 1], tseg[t, 3])
    for b in range(k - 2, -1, -1):
        for c in range(2):
            box[b, c] = min(box[2 * b + 1, c], box[2 * b + 2, c])
            box[b, c + 2] = max(box[2 * b + 1, c + 2], box[2 * b + 2, c + 2])
    return tseg, box, k


@njit(cache=True, nogil=True)
def _box_dist(px: float, py: float, box: np.ndarray, b: int) -> float:
    """Distance of ``(px, py)`` to box ``b`` (0 inside; infinite for an empty box)."""
    dx = max(box[b, 0] - px, 0.0, px - box[b, 2])
    dy = max(box[b, 1] - py, 0.0, py - box[b, 3])
    return np.sqrt(dx * dx + dy * dy)


@njit(cache=True, nogil=True)
def _tree_nearest(
    px: float, py: float, tree: tuple[np.ndarray, np.ndarray, int], t0: int, margin: float
) -> tuple[float, int, int]:
    """The exact distance of ``(px, py)`` to the segments of the box tree, branch and
    bound from segment ``t0`` (a box farther than the best distance so far, plus the
    rounding ``margin``, holds no nearer segment): the distance, the nearest segment
    and the boxes and segments looked at."""
    tseg, box, k = tree
    m = tseg.shape[0]
    best, at = _seg_dist(px, py, tseg, t0), t0
    stack = np.empty(128, dtype=np.int64)
    top, looked = 1, 0
    stack[0] = 0
    while top > 0:
        top -= 1
        b = stack[top]
        looked += 1
        if _box_dist(px, py, box, b) > best + margin:
            continue
        if b >= k - 1:
            for t in range((b - k + 1) * _BOX_SEGMENTS, min(m, (b - k + 2) * _BOX_SEGMENTS)):
                d = _seg_dist(px, py, tseg, t)
                looked += 1
                if d < best:
                    best, at = d, t
            continue
        near_first = _box_dist(px, py, box, 2 * b + 1) < _box_dist(px, py, box, 2 * b + 2)
        stack[top], stack[top + 1] = (
            (2 * b + 2, 2 * b + 1) if near_first else (2 * b + 1, 2 * b + 2)
        )
        top += 2
    return best, at, looked


@njit(cache=True, nogil=True)
def _distances(xy: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact distances of the points to the segments (NaN for a non-finite point; see the
    module's docstring), and the work: square-to-segment and point-to-segment
    distances, squares."""
    m = seg.shape[0]
    out = np.full(xy.shape[0], np.nan)
    order, sc, sx, sy, x0, y0, side = _sorted_points(xy)
    n = len(order)
    work = np.zeros(3, dtype=np.int64)  # square-to-segment, point-to-segment, squares
    if n == 0 or m == 0:
        return out, work
    big = max(abs(x0), abs(y0), abs(x0 + side), abs(y0 + side), np.abs(seg).max())
    margin = 1e-9 * big  # rounding of the distances and of the points' squares
    tree = (seg[:0], np.empty((0, 4)), 0)  # the segments' box tree, built when first needed
    pool = np.empty(4 * m + 64, dtype=np.int32)
    pool[:m] = np.arange(m)
    start = np.zeros(_LEVELS + 3, dtype=np.int64)  # candidates of depth d: start[d]..start[d+1]
    start[1] = m
    near = np.empty((m, 3))  # a square centre's distance and offset to each candidate
    depth = np.empty(4 * (_LEVELS + 2), dtype=np.int64)  # the stack of squares to visit
    sq = np.empty((4 * (_LEVELS + 2), 5), dtype=np.int64)  # x, y, code, lo, hi
    top = 1
    bounds = np.empty(5, dtype=np.int64)
    depth[0] = 0
    sq[0, 0], sq[0, 1], sq[0, 2], sq[0, 3], sq[0, 4] = 0, 0, 0, 0, n
    while top > 0:
        top -= 1
        lev = depth[top]
        ix, iy, key, lo, hi = sq[top, 0], sq[top, 1], sq[top, 2], sq[top, 3], sq[top, 4]
        size = side / (1 << lev)
        cx, cy = x0 + (ix + 0.5) * size, y0 + (iy + 0.5) * size
        a, b = start[lev], start[lev + 1]
        if b - a > _PER_POINT * (hi - lo):  # few points, many segments: a look-up each
            if tree[2] == 0:
                tree = _segment_tree(seg)
            t0 = 0
            for i in range(lo, hi):
                out[order[i]], t0, looked = _tree_nearest(sx[i], sy[i], tree, t0, margin)
                work[1] += looked
            continue
        pool, count = _candidates(pool, a, b, seg, cx, cy, size * np.sqrt(0.5), margin, near)
        work[0] += b - a
        work[2] += 1
        start[lev + 2] = b + count
        if count <= _LEAF_SEGMENTS or hi - lo <= _LEAF_POINTS or lev == _LEVELS:
            _measure(sx, sy, order, lo, hi, seg, pool, b, b + count, out)
            work[1] += (hi - lo) * count
            continue
        shift = 2 * (_LEVELS - lev - 1)
        bounds[0], bounds[4] = lo, hi
        for q in range(1, 4):
            bounds[q] = _first_at_least(sc, bounds[q - 1], hi, key * 4 + q, shift)
        for q in range(3, -1, -1):  # the first child on top
            if bounds[q + 1] > bounds[q]:
                depth[top] = lev + 1
                sq[top, 0], sq[top, 1] = 2 * ix + (q & 1), 2 * iy + (q >> 1)
                sq[top, 2], sq[top, 3], sq[top, 4] = key * 4 + q, bounds[q], bounds[q + 1]
                top += 1
    return out, work
