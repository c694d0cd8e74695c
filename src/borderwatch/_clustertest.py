"""Monte Carlo test of point clusters against chance (engine of :mod:`borderwatch.clusters`).

The null is complete spatial randomness of the *locations* within the study
area: each location of the data (incidents at the same coordinates, a stack)
is moved to a point drawn uniformly over the area, with all its incidents and
their dates. The same clustering is run on each simulated map, and the size
of its *largest* cluster is recorded. A cluster of ``s`` incidents gets

    p = (1 + #{simulated maps whose largest cluster has >= s incidents}) / (R + 1),

the max-statistic method: the chance that a map of pure chance holds *any*
cluster as large is at most ``p``, so "every cluster with ``p <= alpha``"
controls the false-positive rate over the whole map, not per cluster.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import shapely

from ._epsgrid import column_range

__all__ = [
    "AreaTest",
    "cell_states",
    "dense_cluster_bound",
    "max_cluster_sizes",
    "p_values",
    "uniform_box",
    "uniform_points",
]

Labeller = Callable[[np.ndarray], np.ndarray]
Bound = Callable[[np.ndarray, np.ndarray], int]

#: Fine cells larger than this are not counted (the bound is then 0).
_MAX_CELLS = 20_000_000
#: Cells of the lattice of :class:`AreaTest` (``_FINE_CELLS`` from ``_FINE_FROM``
#: locations on).
_CELLS = 65_536
_FINE_CELLS = 262_144
_FINE_FROM = 250_000


def uniform_points(
    area: shapely.Geometry, n: int, rng: np.random.Generator, *, test: AreaTest | None = None
) -> np.ndarray:
    """``n`` points drawn uniformly within ``area`` (metric), by rejection from its bounds.

    ``test`` (an :class:`AreaTest` of ``area``, built once for many draws) answers the
    same as :func:`shapely.contains_xy` faster: the same random numbers give the same
    points.

    >>> from shapely.geometry import box
    >>> pts = uniform_points(box(0, 0, 10, 5), 4, np.random.default_rng(0))
    >>> pts.shape, bool(((pts >= 0) & (pts <= [10, 5])).all())
    ((4, 2), True)
    """
    minx, miny, maxx, maxy = area.bounds
    share = max(area.area / max((maxx - minx) * (maxy - miny), 1e-12), 1e-3)
    shapely.prepare(area)
    got: list[np.ndarray] = []  # the accepted points of each round, joined once
    have = 0
    while have < n:
        k = int((n - have) / share * 1.2) + 16
        xy = uniform_box(rng, (minx, miny), (maxx, maxy), k)
        if test is None:
            inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        else:
            inside = test.contains(xy)
        # the rows as single complex numbers: one selection of 16 bytes each, faster
        got.append(xy.view(np.complex128).ravel()[inside].view(np.float64).reshape(-1, 2))
        have += len(got[-1])
    if not got:
        return np.empty((0, 2))
    return (got[0] if len(got) == 1 else np.concatenate(got))[:n]


def uniform_box(
    rng: np.random.Generator, low: tuple[float, float], high: tuple[float, float], k: int
) -> np.ndarray:
    """``rng.uniform(low, high, (k, 2))``: the same numbers, from the same draws, faster.

    numpy computes each as ``low + (high - low) * u`` (``u`` its ``random()`` draw),
    one broadcast element at a time. Here the ``u`` are drawn at once and scaled column
    by column, the same two roundings, wherever this numpy rounds them so (checked once
    on a probe that a fused multiply-add fails: :func:`_plain_scaling`); else, or with
    bounds numpy refuses, ``rng.uniform`` itself.

    >>> a = uniform_box(np.random.default_rng(3), (0.5, -2.0), (7.25, 9.0), 5)
    >>> bool((a == np.random.default_rng(3).uniform((0.5, -2.0), (7.25, 9.0), (5, 2))).all())
    True
    """
    lo = np.asarray(low, dtype=np.float64)
    with np.errstate(over="ignore"):  # numpy's uniform below warns of it, as before
        span = np.subtract(np.asarray(high, dtype=np.float64), lo)
    if lo.shape != (2,) or not (np.isfinite(span).all() and _plain_scaling()):
        return rng.uniform(low, high, (k, 2))
    return _scaled(rng.random((k, 2)), lo, span)


def _scaled(u: np.ndarray, lo: np.ndarray, span: np.ndarray) -> np.ndarray:
    """``lo + span * u`` in place, column by column (two roundings each)."""
    for c in (0, 1):
        col = u[:, c]
        col *= span[c]
        col += lo[c]
    return u


#: The probe of :func:`_plain_scaling`: bounds and draws where a fused multiply-add
#: rounds differently from a multiplication then an addition (tests/test_clusters_speed).
_PROBE_LOW = (-1234.567, 89.1)
_PROBE_HIGH = (98765.4321, 500000.3)
_PROBE_DRAWS = 512


@functools.cache
def _plain_scaling() -> bool:
    """Whether ``Generator.uniform`` gives the numbers of :func:`_scaled` on the probe."""
    lo, hi = np.array(_PROBE_LOW), np.array(_PROBE_HIGH)
    want = np.random.default_rng(0).uniform(lo, hi, (_PROBE_DRAWS, 2))
    got = _scaled(np.random.default_rng(0).random((_PROBE_DRAWS, 2)), lo, hi - lo)
    return bool(np.array_equal(want, got))


class AreaTest:
    """:func:`shapely.contains_xy` of one area through a lattice of its bounds.

    Each of about ``cells`` square cells is inside the area's interior, outside the
    area, or on its edge (:func:`shapely.contains_properly` and
    :func:`shapely.intersects` of the cell's square). A point whose cell and the eight
    cells around it are all inside (all outside) is inside (outside) without a test:
    the ring of neighbours absorbs any rounding of the point's cell number. Near the
    edge, a point clear of its cell's sides (by far more than any rounding) takes its
    own cell's state when that cell is inside or outside. Only the other points are
    tested against the polygons, so the answers are those of ``contains_xy``.

    >>> from shapely.geometry import Polygon
    >>> tri = Polygon([(0, 0), (10, 0), (0, 10)])
    >>> xy = np.random.default_rng(1).uniform(-1, 11, (1000, 2))
    >>> bool((AreaTest(tri).contains(xy) == shapely.contains_xy(tri, xy[:, 0], xy[:, 1])).all())
    True
    """

    def __init__(self, area: shapely.Geometry, *, cells: int = _CELLS) -> None:
        from scipy import ndimage

        self.area = area
        shapely.prepare(area)
        minx, miny, maxx, maxy = area.bounds
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        side = float(np.sqrt(width * height / cells))
        self.origin = np.array([minx, miny])
        self.side = side
        self.shape = (int(np.ceil(width / side)) + 1, int(np.ceil(height / side)) + 1)
        inner, touch = cell_states(area, self.origin, side, self.shape)
        ring = np.ones((3, 3), dtype=bool)
        # 0 = test the point, 1 = inside, 2 = outside
        self.state = np.zeros(self.shape, dtype=np.int8)
        self.state[ndimage.binary_erosion(inner, structure=ring, border_value=0)] = 1
        self.state[ndimage.binary_erosion(~touch, structure=ring, border_value=1)] = 2
        self._flat = self.state.ravel()
        # the cell's own state (0 = on the edge), for points clear of their cell's sides
        own = np.where(inner, 1, np.where(touch, 0, 2)).astype(np.int8)
        self._own = own.ravel()
        # how far from its sides (in cells) a point is surely in its cell: far beyond the
        # rounding of the cell numbers and of the boxes' corners
        scale = float(np.max(np.abs(area.bounds)))
        self._margin = 1e-9 + 1e-12 * scale / side

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Whether each ``(n, 2)`` point is inside the area (``contains_xy``)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        fi = (xy[:, 0] - self.origin[0]) / self.side
        fj = (xy[:, 1] - self.origin[1]) / self.side
        if len(xy) and _within(fi, self.shape[0]) and _within(fj, self.shape[1]):
            # every point in the lattice (the draws of uniform_points): floor is the
            # truncation of these non-negative numbers, and no point is out of bounds
            flat = fi.astype(np.intp)
            flat *= self.shape[1]
            flat += fj.astype(np.intp)
            state = self._flat[flat]
            out = state == 1
            near = np.flatnonzero(state == 0)  # near the edge: settled by their own cell
            own = self._own[flat[near]]  # when clear of its sides, else tested
            m = self._margin
            for f in (fi[near], fj[near]):
                frac = f - np.floor(f)
                own[(frac <= m) | (frac >= 1.0 - m)] = 0
            out[near[own == 1]] = True
            check = near[own == 0]
            out[check] = shapely.contains_xy(self.area, xy[check, 0], xy[check, 1])
            return out
        i, j = np.floor(fi), np.floor(fj)
        # NaN fails every comparison: such points are tested (contains_xy says False)
        within = (i >= 0) & (j >= 0) & (i < self.shape[0]) & (j < self.shape[1])
        flat = np.where(within, i * self.shape[1] + j, 0).astype(np.intp)
        state = np.where(within, self._flat[flat], 0)
        out = state == 1
        check = np.flatnonzero(state == 0)
        out[check] = shapely.contains_xy(self.area, xy[check, 0], xy[check, 1])
        return out


def _within(cell: np.ndarray, size: int) -> bool:
    """Whether every (unfloored) cell number is in ``[0, size)`` (False with a NaN)."""
    return bool(cell.min() >= 0 and cell.max() < size)


def cell_states(
    area: shapely.Geometry, origin: np.ndarray, side: float, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Which square cells of a lattice lie in the interior of ``area``, which touch it.

    Cell ``(i, j)`` is the box from ``origin + (i, j) * side`` to that plus ``side``:
    ``inner`` is :func:`shapely.contains_properly` of the cell's box, ``touch``
    :func:`shapely.intersects`. The cells are settled in blocks (a quadtree): a block's
    box holds the boxes of all its cells (its edges are the outer edges of its first and
    last cells, computed as theirs are), so a block properly inside the area has all its
    cells properly inside, and a block that misses the area has all its cells miss it;
    only blocks that cross the area's edge are split, down to single cells. The answers
    are those of testing every cell's box, with far fewer tests.

    >>> from shapely.geometry import Polygon
    >>> tri = Polygon([(0, 0), (10, 0), (0, 10)])
    >>> inner, touch = cell_states(tri, np.array([0.0, 0.0]), 1.0, (10, 10))
    >>> int(inner.sum()), int(touch.sum())
    (21, 64)
    """
    nx, ny = int(shape[0]), int(shape[1])
    inner = np.zeros((nx, ny), dtype=bool)
    touch = np.zeros((nx, ny), dtype=bool)
    size = 1 << max(0, int(np.ceil(np.log2(max(nx, ny, 1)))) - 4)  # about 16 blocks a side
    gi, gj = np.meshgrid(np.arange(-(-nx // size)), np.arange(-(-ny // size)), indexing="ij")
    bi, bj = gi.ravel(), gj.ravel()
    while len(bi):
        i0, j0 = bi * size, bj * size
        i1, j1 = np.minimum(i0 + size, nx) - 1, np.minimum(j0 + size, ny) - 1
        boxes = shapely.box(
            origin[0] + i0 * side,
            origin[1] + j0 * side,
            (origin[0] + i1 * side) + side,
            (origin[1] + j1 * side) + side,
        )
        ins = shapely.contains_properly(area, boxes)
        hit = ins.copy()  # a box properly inside intersects
        hit[~ins] = shapely.intersects(area, boxes[~ins])
        _fill_blocks(inner, bi[ins], bj[ins], size)  # every cell of these blocks
        mixed = hit & ~ins
        if size == 1:
            touch[i0[mixed], j0[mixed]] = True
            break
        size //= 2  # the four quarters of each mixed block, those within the lattice
        ci = (2 * bi[mixed])[:, None] + np.array([0, 0, 1, 1])
        cj = (2 * bj[mixed])[:, None] + np.array([0, 1, 0, 1])
        keep = (ci * size < nx) & (cj * size < ny)
        bi, bj = ci[keep], cj[keep]
    touch |= inner
    return inner, touch


def _fill_blocks(cells: np.ndarray, bi: np.ndarray, bj: np.ndarray, size: int) -> None:
    """Set every cell of the blocks ``(bi, bj)`` of ``size`` cells a side (those within
    ``cells``): the blocks marked on a coarse lattice, then each mark spread over its
    block."""
    if not len(bi):
        return
    nx, ny = cells.shape
    coarse = np.zeros((-(-nx // size), -(-ny // size)), dtype=bool)
    coarse[bi, bj] = True
    fine = np.repeat(np.repeat(coarse, size, axis=0), size, axis=1)
    cells |= fine[:nx, :ny]


def max_cluster_sizes(
    location: np.ndarray,
    area: shapely.Geometry,
    label: Labeller,
    *,
    replicates: int,
    seed: int,
    give_up: tuple[int, int] | None = None,
    bound: Bound | None = None,
) -> np.ndarray:
    """Incidents in the largest cluster of each of ``replicates`` simulated maps.

    Parameters
    ----------
    location : (m,) int array
        The location (0..L-1) of each incident (:func:`borderwatch._stacks.stacks`).
    area : shapely geometry
        The study area, in the metric CRS of the clustering.
    label : callable
        Cluster labels (-1 noise) of the incidents placed at the given ``(m, 2)``
        metric coordinates (the incidents keep their order, so their dates too).
    give_up : (size, hits), optional
        Stop early (Besag and Clifford 1991) once ``hits`` replicates have a cluster
        of at least ``size`` incidents: then no cluster of at most ``size`` can reach
        the significance that ``hits`` encodes, and only the replicates run are
        returned. Each replicate costs a clustering of every incident, so on large
        data where chance alone makes big clusters this saves nearly all the work.
    bound : callable, optional
        With ``give_up``: a lower bound of the largest cluster of a simulated map, given
        its ``(L, 2)`` locations and the incidents at each (:func:`dense_cluster_bound`
        with ``weights``: the incidents themselves are not gathered for it). A map whose
        bound reaches ``give_up[0]`` is a hit
        without being clustered, and is recorded at its bound: every observed cluster
        has at most ``give_up[0]`` incidents, so the p-values are the same as with the
        map's exact largest cluster.
    """
    rng = np.random.default_rng(seed)
    n_loc = int(location.max()) + 1 if len(location) else 0
    stack = np.bincount(location, minlength=n_loc)  # incidents at each location
    out = np.zeros(replicates, dtype=np.int64)
    # many locations: a finer lattice of the area, which costs more once and leaves
    # fewer points of each map to test against the polygons (the same answers)
    cells = _FINE_CELLS if n_loc >= _FINE_FROM else _CELLS
    test = AreaTest(area, cells=cells) if replicates > 0 and n_loc > 0 else None
    for r in range(replicates):
        places = uniform_points(area, n_loc, rng, test=test)
        if bound is not None and give_up is not None:
            low = bound(places, stack)
            if low >= give_up[0]:  # certainly a hit: no clustering needed
                out[r] = low
                if int((out[: r + 1] >= give_up[0]).sum()) >= give_up[1]:
                    return out[: r + 1]
                continue
        lab = label(places[location])
        member = lab[lab >= 0]
        out[r] = int(np.bincount(member).max()) if len(member) else 0
        if give_up is not None and int((out[: r + 1] >= give_up[0]).sum()) >= give_up[1]:
            return out[: r + 1]
    return out


def p_values(sizes: np.ndarray, maxima: np.ndarray) -> np.ndarray:
    """``(1 + #{maxima >= size}) / (R + 1)`` for each cluster size."""
    ranked = np.sort(np.asarray(maxima))
    above = len(ranked) - np.searchsorted(ranked, np.asarray(sizes), side="left")
    return (1.0 + above) / (len(ranked) + 1.0)


def dense_cluster_bound(
    xy: np.ndarray, *, eps: float, min_samples: int, weights: np.ndarray | None = None
) -> int:
    """A lower bound of the size of the largest DBSCAN cluster of the points ``xy``.

    The points are binned into square cells of side ``eps / (2 sqrt 2)`` (slightly
    less, against rounding). Two points of one cell, or of two cells that touch
    (also at a corner), are at most ``eps`` apart. So every point of a cell holding at
    least ``min_samples`` points (a dense cell), or touching one, is a core point, and
    the points of touching cells of that kind are all in one cluster. The largest group
    of touching such cells is thus part of one DBSCAN cluster: its points are a lower
    bound of that cluster's size, found in O(n) without any neighbour search.

    With ``weights`` (the points at each of ``xy``: stacks of incidents at one location)
    the answer is that of the points repeated by their weights, without repeating them.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.1], [0.5, 0.0], [9.0, 9.0]])
    >>> dense_cluster_bound(xy, eps=2.0, min_samples=3)
    4
    >>> dense_cluster_bound(xy[[0, 4]], eps=2.0, min_samples=3, weights=np.array([3, 1]))
    3
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    total = len(xy) if weights is None else int(np.sum(weights))
    if total < min_samples or not np.isfinite(xy).all():
        return 0
    side = float(eps) / (2.0 * np.sqrt(2.0)) * (1.0 - 1e-9)
    lo = column_range(xy)[0]
    # column by column: numpy is slow on the rows of two of an (n, 2) array
    i = np.floor((xy[:, 0] - lo[0]) / side).astype(np.int64)
    j = np.floor((xy[:, 1] - lo[1]) / side).astype(np.int64)
    shape = np.array([i.max(), j.max()]) + 1
    if int(shape[0]) * int(shape[1]) > _MAX_CELLS:
        return 0
    i *= shape[1]
    i += j
    counts = np.bincount(
        i,
        weights=None if weights is None else np.asarray(weights, dtype=np.int64),
        minlength=int(shape[0] * shape[1]),
    ).astype(np.int64)
    counts = counts.reshape(int(shape[0]), int(shape[1]))
    dense = counts >= min_samples
    if not dense.any():
        return 0
    from scipy import ndimage

    ring = np.ones((3, 3), dtype=bool)
    core = ndimage.binary_dilation(dense, structure=ring) & (counts > 0)
    groups, n = ndimage.label(core, structure=ring)
    sizes = np.bincount(groups.ravel(), weights=counts.ravel(), minlength=n + 1)
    return int(sizes[1:].max())
