"""DBSCAN and space-time DBSCAN in bounded memory: the engines behind
:mod:`borderwatch.clusters`, which re-exports :func:`dbscan_labels` and
:func:`st_dbscan_labels`.

DBSCAN here gives exactly scikit-learn's labels (same clusters, same core points,
same numbering) with memory that stays bounded on dense data: scikit-learn keeps
every eps-neighbourhood in memory (its issue #26726), which grows with the square
of the local density. This module instead

1. finds core points: every point of a dense eps-square or of a square touching
   one (:mod:`borderwatch._epsgrid`) without any query, the others from their
   ``min_samples`` nearest neighbours (a KD-tree query, O(n * min_samples)
   memory, in chunks);
2. connects core points through the eps-squares: one square, and touching
   squares, form one cluster; squares further apart are joined by an exact test
   of their points only when not already joined
   (:func:`borderwatch._epsgrid.core_components`). Where the squares cannot be
   numbered (an ``eps`` tiny against the extent) it connects them along the edges
   of their Delaunay triangulation no longer than ``eps``: the Euclidean minimum
   spanning tree is a subgraph of the Delaunay triangulation (Shamos & Hoey 1975);
3. gives each border point (a non-core point, which by definition has fewer than
   ``min_samples`` neighbours, all already returned by step 1) the first
   discovered cluster among its core neighbours, as scikit-learn's expansion does.

Space-time DBSCAN enumerates neighbour pairs in chunks of bounded size and joins
core points with a union-find that never holds more than O(n + chunk) edges.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError, cKDTree

from ._epsgrid import EpsSquares, core_components, settled_core
from ._stacks import unique_rows

__all__ = ["dbscan_labels", "st_dbscan_labels", "weighted_dbscan_labels"]

#: Rows per KD-tree query chunk are chosen so that rows * k stays below this.
_KNN_BUDGET = 2_000_000
#: Up to this many points, DBSCAN tries the compiled pair-by-pair engine first.
_DIRECT_MAX = 200_000
#: Neighbour pairs held at once by space-time DBSCAN.
_PAIR_BUDGET = 2_000_000
_NS_PER_DAY = 86_400 * 10**9


class _Components:
    """Connected components of a graph whose edges arrive in batches.

    Holds at most ``O(n + batch)`` edges: whenever the stored edges exceed a few
    times ``n`` they are replaced by a spanning forest (one edge per node to the
    smallest node of its component).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._size = 0

    def add(self, i: np.ndarray, j: np.ndarray) -> None:
        if len(i) == 0:
            return
        self._rows.append(np.asarray(i, dtype=np.int64))
        self._cols.append(np.asarray(j, dtype=np.int64))
        self._size += len(i)
        if self._size > max(4 * self.n, 1_000_000):
            self._compress()

    def labels(self) -> np.ndarray:
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        r = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.int64)
        g = sparse.coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(self.n, self.n))
        _, lab = connected_components(g.tocsr(), directed=False)
        return lab.astype(np.int64)

    def _compress(self) -> None:
        lab = self.labels()
        rep = np.empty(lab.max() + 1, dtype=np.int64)
        nodes = np.arange(self.n, dtype=np.int64)
        rep[lab[::-1]] = nodes[::-1]  # smallest node of each component
        keep = rep[lab] != nodes
        self._rows, self._cols = [nodes[keep]], [rep[lab][keep]]
        self._size = int(keep.sum())


def dbscan_labels(xy: np.ndarray, *, eps: float, min_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN labels identical to scikit-learn's, in bounded memory.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` coordinates in a metric unit (finite).
    eps : float
        Neighbourhood radius, same unit; neighbours satisfy ``distance <= eps``.
    min_samples : int
        A point is core when at least this many points (itself included) lie
        within ``eps``.

    Returns
    -------
    labels : numpy.ndarray
        int64, ``-1`` for noise, clusters ``0, 1, ...`` numbered as
        :class:`sklearn.cluster.DBSCAN` numbers them (in order of each cluster's
        first core point).
    core : numpy.ndarray
        bool, the core points (``DBSCAN.core_sample_indices_``).

    Notes
    -----
    Memory is O(n * min_samples) whatever the density; time is O(n log n) for
    the eps-squares plus O(r * min_samples * log n) for the neighbour queries of
    the r points not settled by a dense square, plus the exact tests between
    squares not joined through touching ones. See the module docstring.

    References
    ----------
    .. [1] Ester, M., Kriegel, H.-P., Sander, J. and Xu, X. (1996). A density-based
       algorithm for discovering clusters in large spatial databases with noise.
       *Proceedings of KDD-96*, 226-231.
    .. [2] Shamos, M. I. and Hoey, D. (1975). Closest-point problems. *16th Annual
       Symposium on Foundations of Computer Science*, 151-162.

    Examples
    --------
    >>> xy = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [30, 30.0]])
    >>> labels, core = dbscan_labels(xy, eps=1.5, min_samples=2)
    >>> labels.tolist(), core.tolist()
    ([0, 0, 0, 1, 1, -1], [True, True, True, True, True, False])
    """
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    n = len(xy)
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels, np.zeros(n, dtype=bool)
    if n <= _DIRECT_MAX:  # few points: pair by pair, unless they are dense
        from ._dbscan_direct import direct_dbscan  # compiled (numba): imported when needed

        direct = direct_dbscan(xy, eps=float(eps), min_samples=int(min_samples))
        if direct is not None:
            return direct
    core, border_i, border_j, squares = _core_points(xy, eps=float(eps), min_samples=min_samples)
    core_idx = np.flatnonzero(core)
    if core_idx.size == 0:
        return labels, core
    # every point core (dense data): their squares are those already built
    comp = _core_components(xy[core_idx], float(eps), squares if core_idx.size == n else None)
    labels[core_idx] = _first_seen_order(comp, core_idx, n)
    _assign_border(labels, core, border_i, border_j)
    return labels, core


def weighted_dbscan_labels(
    xy: np.ndarray,
    weights: np.ndarray,
    *,
    eps: float,
    min_samples: int,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN of distinct locations that each hold ``weights`` points.

    The same clusters as :func:`dbscan_labels` of the points themselves (each location
    repeated by its weight, in the order of ``rows``): a location is core when the
    weights within ``eps`` (its own included) reach ``min_samples``, as scikit-learn's
    ``DBSCAN(...).fit(xy, sample_weight=weights)``; clusters are numbered by their
    first core location in ``rows`` (each location's first point in the points' order;
    default the locations' order), and a border location reachable from two clusters
    goes to the lower-numbered one.

    Examples
    --------
    >>> xy = np.array([[0, 0], [0, 1], [10, 10], [30, 30.0]])
    >>> labels, core = weighted_dbscan_labels(xy, np.array([3, 1, 2, 1]), eps=1.5, min_samples=3)
    >>> labels.tolist(), core.tolist()
    ([0, 0, -1, -1], [True, True, False, False])
    >>> same = np.repeat(xy, [3, 1, 2, 1], axis=0)
    >>> dbscan_labels(same, eps=1.5, min_samples=3)[0].tolist()
    [0, 0, 0, 0, -1, -1, -1]
    """
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    w = np.asarray(weights, dtype=np.int64)
    n = len(xy)
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels, np.zeros(n, dtype=bool)
    order = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    core, border_i, border_j, squares = _core_points(
        xy, eps=float(eps), min_samples=min_samples, weights=w
    )
    core_idx = np.flatnonzero(core)
    if core_idx.size == 0:
        return labels, core
    comp = _core_components(xy[core_idx], float(eps), squares if core_idx.size == n else None)
    labels[core_idx] = _first_seen_order(comp, order[core_idx], int(order.max()) + 1)
    _assign_border(labels, core, border_i, border_j)
    return labels, core


def _core_points(
    xy: np.ndarray, *, eps: float, min_samples: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, EpsSquares | None]:
    """Core points, the (non-core point, neighbour) pairs for the border step, and the
    eps-squares of the points (None where they cannot be numbered).

    Each point's ``min_samples`` nearest neighbours within ``eps`` (a KD-tree
    query in chunks of at most ``_KNN_BUDGET`` entries) decide whether it is
    core; a non-core point has all its neighbours among them. With ``weights``
    (distinct locations, each weight at least 1: how many points it holds), a
    location whose ``min_samples`` nearest in reach are fewer than ``min_samples``
    locations is core when their weights reach ``min_samples``.
    """
    n = len(xy)
    eps2 = eps * eps
    k = min(int(min_samples), n)
    # points of a dense eps-square, or of one touching it, are core without a query
    squares = EpsSquares(xy, eps=eps) if EpsSquares.fits(xy, eps=eps) else None
    settled = np.zeros(n, dtype=bool) if squares is None else settled_core(squares, min_samples)
    core = settled.copy()
    rest = np.flatnonzero(~settled)
    border_i: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    border_j: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    if not len(rest):
        return core, border_i[0], border_j[0], squares
    tree = cKDTree(xy)
    upper = eps * (1 + 1e-9) + 1e-300
    chunk = max(1, _KNN_BUDGET // k)
    for start in range(0, len(rest), chunk):
        rows_q = rest[start : start + chunk]
        q = xy[rows_q]
        _, idx = tree.query(q, k=k, distance_upper_bound=upper)
        idx = np.asarray(idx).reshape(len(q), k)
        found = idx < n
        safe = np.where(found, idx, 0)
        d2 = ((q[:, None, :] - xy[safe]) ** 2).sum(axis=2)
        within = found & (d2 <= eps2)
        is_core = within.sum(axis=1) >= min_samples
        if weights is not None:  # fewer locations than min_samples: their weights decide
            is_core |= np.where(within, weights[safe], 0).sum(axis=1) >= min_samples
        core[rows_q] = is_core
        nc = within & ~is_core[:, None]
        rows, cols = np.nonzero(nc)
        border_i.append(rows_q[rows])
        border_j.append(idx[rows, cols])
    return core, np.concatenate(border_i), np.concatenate(border_j), squares


def _first_seen_order(comp: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Cluster numbers 0, 1, ... of components ``comp``, in order of their first row.

    ``rows`` are the (original) row numbers of the points of ``comp``: the
    numbering scikit-learn gives, by each cluster's first core point.
    """
    ncomp = int(comp.max()) + 1
    first = np.full(ncomp, n, dtype=np.int64)
    np.minimum.at(first, comp, rows)
    rank = np.empty(ncomp, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(ncomp)
    return rank[comp]


def _assign_border(labels: np.ndarray, core: np.ndarray, bi: np.ndarray, bj: np.ndarray) -> None:
    """Label non-core points with the lowest-numbered cluster among core neighbours."""
    keep = core[bj] & ~core[bi]
    bi, bj = bi[keep], bj[keep]
    if bi.size == 0:
        return
    big = np.iinfo(np.int64).max
    best = np.full(len(labels), big, dtype=np.int64)
    np.minimum.at(best, bi, labels[bj])
    hit = best != big
    labels[hit] = best[hit]


def _core_components(pts: np.ndarray, eps: float, squares: EpsSquares | None = None) -> np.ndarray:
    """Components of the graph 'distance <= eps' on ``pts``: through eps-squares
    (:func:`borderwatch._epsgrid.core_components`), or via Delaunay where the squares
    cannot be numbered (an ``eps`` tiny against the extent of the points)."""
    if squares is not None or EpsSquares.fits(pts, eps=eps):
        return core_components(pts, eps, squares=squares)
    return _delaunay_components(pts, eps * eps)


def _delaunay_components(pts: np.ndarray, eps2: float) -> np.ndarray:
    """Components of the graph 'distance <= sqrt(eps2)' on ``pts``, via Delaunay."""
    m = len(pts)
    uniq, inv = unique_rows(pts, return_inverse=True)
    inv = inv.ravel()
    u = len(uniq)
    comps = _Components(u)
    if u >= 2:
        ei, ej = _delaunay_edges(uniq, math.sqrt(eps2))
        d2 = ((uniq[ei] - uniq[ej]) ** 2).sum(axis=1)
        ok = d2 <= eps2
        comps.add(ei[ok], ej[ok])
    lab = comps.labels() if u else np.zeros(0, dtype=np.int64)
    out = lab[inv] if m else np.zeros(0, dtype=np.int64)
    # renumber 0..ncomp-1 densely
    _, dense = np.unique(out, return_inverse=True)
    return dense.ravel().astype(np.int64)


def _delaunay_edges(uniq: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a Delaunay triangulation of distinct points (a path if collinear)."""
    u = len(uniq)
    if u >= 3:
        try:
            tri = Delaunay(uniq)
        except QhullError:
            tri = None
        if tri is not None:
            indptr, nbrs = tri.vertex_neighbor_vertices
            ei = np.repeat(np.arange(u, dtype=np.int64), np.diff(indptr))
            ej = nbrs.astype(np.int64)
            extra_i, extra_j = [ei], [ej]
            if len(tri.coplanar):  # points Qhull left out (numerically coincident)
                tree = cKDTree(uniq)
                for p in np.unique(tri.coplanar[:, 0]):
                    near = np.asarray(tree.query_ball_point(uniq[p], r=eps * (1 + 1e-9)))
                    extra_i.append(np.full(len(near), p, dtype=np.int64))
                    extra_j.append(near.astype(np.int64))
            return np.concatenate(extra_i), np.concatenate(extra_j)
    # 2 points, or all on one line: the minimum spanning tree is the sorted path
    order = np.lexsort((uniq[:, 1], uniq[:, 0]))
    return order[:-1].astype(np.int64), order[1:].astype(np.int64)


def st_dbscan_labels(
    xy: np.ndarray,
    t_ns: np.ndarray,
    *,
    eps: float,
    days: float,
    min_samples: int,
    max_pairs: int = _PAIR_BUDGET,
) -> tuple[np.ndarray, np.ndarray]:
    """Space-time DBSCAN: neighbours are within ``eps`` in space AND ``days`` in time.

    Core points have at least ``min_samples`` space-time neighbours (themselves
    included); clusters are the connected components of core points, and each
    non-core neighbour of a cluster joins the first such cluster (as in
    :func:`dbscan_labels`). This is ST-DBSCAN without its optional non-spatial
    value threshold.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` coordinates in a metric unit (finite).
    t_ns : numpy.ndarray
        int64 times in nanoseconds (``datetime64[ns]`` viewed as int64).
    eps : float
        Spatial radius, unit of ``xy``.
    days : float
        Time window in days (inclusive); 0 means the same instant.
    min_samples : int
        Minimum space-time neighbourhood size of a core point.
    max_pairs : int
        Neighbour pairs held in memory at once (the chunk budget).

    Returns
    -------
    labels, core : numpy.ndarray
        As :func:`dbscan_labels`.

    References
    ----------
    .. [1] Birant, D. and Kut, A. (2007). ST-DBSCAN: An algorithm for clustering
       spatial-temporal data. *Data & Knowledge Engineering* 60(1), 208-221.

    Examples
    --------
    >>> xy = np.zeros((4, 2))
    >>> t = np.array(["2024-01-01", "2024-01-02", "2024-01-03", "2024-03-01"],
    ...              dtype="datetime64[ns]").astype(np.int64)
    >>> st_dbscan_labels(xy, t, eps=1.0, days=1, min_samples=2)[0].tolist()
    [0, 0, 0, -1]
    """
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    t_ns = np.asarray(t_ns, dtype=np.int64)
    n = len(xy)
    labels = np.full(n, -1, dtype=np.int64)
    core = np.zeros(n, dtype=bool)
    if n == 0:
        return labels, core
    pairs = _SpaceTimePairs(xy, t_ns, eps=float(eps), days=float(days), max_pairs=max_pairs)
    counts = np.zeros(n, dtype=np.int64)
    for a, b in pairs.bounds:
        i, _ = pairs(a, b)
        counts += np.bincount(i, minlength=n)
    core_s = counts >= min_samples
    comps = _Components(n)
    border_i: list[np.ndarray] = []
    border_j: list[np.ndarray] = []
    for a, b in pairs.bounds:
        i, j = pairs(a, b)
        cc = core_s[i] & core_s[j]
        comps.add(i[cc], j[cc])
        nb = ~core_s[i] & core_s[j]
        border_i.append(i[nb])
        border_j.append(j[nb])
    lab = comps.labels()
    labels_s = np.full(n, -1, dtype=np.int64)
    core_pos = np.flatnonzero(core_s)
    if core_pos.size:
        _, comp = np.unique(lab[core_pos], return_inverse=True)
        labels_s[core_pos] = _first_seen_order(comp.ravel(), pairs.order[core_pos], n)
        _assign_border(labels_s, core_s, np.concatenate(border_i), np.concatenate(border_j))
    labels[pairs.order] = labels_s
    core[pairs.order] = core_s
    return labels, core


class _SpaceTimePairs:
    """Space-time neighbour pairs of time-sorted points, chunk by chunk.

    Points become 3-D (x, y, time scaled so that ``days`` spans ``eps``), whose
    Chebyshev (box) neighbourhood of radius ``eps`` contains the space-time
    cylinder; exact tests on the original values follow. Rows are positions in
    time order (``order`` maps them back); ``bounds`` split them into chunks of
    about ``max_pairs`` box neighbours.
    """

    def __init__(
        self, xy: np.ndarray, t_ns: np.ndarray, *, eps: float, days: float, max_pairs: int
    ) -> None:
        self.eps2 = eps * eps
        self.window_ns = days * _NS_PER_DAY
        t_days = (t_ns - t_ns.min()).astype(np.float64) / _NS_PER_DAY
        scale = eps / max(days, 1e-6)
        self.order = np.argsort(t_ns, kind="stable")  # time-sorted chunks are compact
        self.pts = np.column_stack([xy[self.order], t_days[self.order] * scale])
        self.xs, self.ts = xy[self.order], t_ns[self.order]
        self.tree = cKDTree(self.pts)
        self.upper = eps * (1 + 1e-9) + 1e-300
        box_counts = self.tree.query_ball_point(
            self.pts, r=self.upper, p=np.inf, return_length=True
        )
        self.bounds = _chunk_bounds(np.asarray(box_counts, dtype=np.int64), max_pairs)

    def __call__(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (i, j) of neighbours with ``a <= i < b`` (each point its own neighbour)."""
        sub = cKDTree(self.pts[a:b])
        res = sub.sparse_distance_matrix(self.tree, self.upper, p=np.inf, output_type="ndarray")
        i = res["i"].astype(np.int64) + a
        j = res["j"].astype(np.int64)
        xs, ts = self.xs, self.ts
        keep = (((xs[i] - xs[j]) ** 2).sum(axis=1) <= self.eps2) & (
            np.abs((ts[i] - ts[j]).astype(np.float64)) <= self.window_ns
        )
        return i[keep], j[keep]


def _chunk_bounds(counts: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Split ``range(len(counts))`` into runs whose counts sum to about ``budget``."""
    n = len(counts)
    out: list[tuple[int, int]] = []
    cum = np.cumsum(counts)
    a = 0
    while a < n:
        base = cum[a - 1] if a else 0
        b = int(np.searchsorted(cum, base + budget, side="right"))
        b = min(max(b, a + 1), n)
        out.append((a, b))
        a = b
    return out
