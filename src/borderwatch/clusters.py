"""Point clusters of incidents: DBSCAN, HDBSCAN and space-time DBSCAN, in kilometres.

All distances are Euclidean in a metric (projected) CRS, by default the
Lambert azimuthal equal-area CRS of :func:`borderwatch.study_crs`; no haversine
formula (and so no latitude/longitude order or radians to get wrong) is involved.

DBSCAN here gives exactly scikit-learn's labels (same clusters, same core points,
same numbering before borderwatch renumbers clusters by size) with memory that
stays bounded on dense data: scikit-learn keeps every eps-neighbourhood in memory
(its issue #26726), which grows with the square of the local density. This module
instead

1. finds core points from each point's ``min_samples`` nearest neighbours (a
   KD-tree query, O(n * min_samples) memory, in chunks);
2. connects core points along the edges of their Delaunay triangulation no longer
   than ``eps``: the Euclidean minimum spanning tree is a subgraph of the Delaunay
   triangulation (Shamos & Hoey 1975), so two core points are joined by a chain of
   core points with steps <= eps exactly when the triangulation joins them so;
3. gives each border point (a non-core point, which by definition has fewer than
   ``min_samples`` neighbours, all already returned by step 1) the first
   discovered cluster among its core neighbours, as scikit-learn's expansion does.

Space-time DBSCAN enumerates neighbour pairs in chunks of bounded size and joins
core points with a union-find that never holds more than O(n + chunk) edges.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError, cKDTree

from ._crs import WGS84, require_crs
from ._errors import BorderwatchWarning, DataError
from ._inputs import metric_points

__all__ = [
    "CLUSTER_COLUMNS",
    "dbscan_labels",
    "find_clusters",
    "label_points",
    "st_dbscan_labels",
]

METHODS = ("dbscan", "hdbscan", "spacetime")
#: Default neighbourhood radius for DBSCAN and space-time DBSCAN.
DEFAULT_EPS_KM = 5.0
#: Default time window for space-time DBSCAN.
DEFAULT_DAYS = 30.0
#: Buffer around the hull of an HDBSCAN cluster when no eps_km is given.
DEFAULT_HDBSCAN_BUFFER_KM = 1.0
#: Rows per KD-tree query chunk are chosen so that rows * k stays below this.
_KNN_BUDGET = 2_000_000
#: Neighbour pairs held at once by space-time DBSCAN.
_PAIR_BUDGET = 2_000_000
_NS_PER_DAY = 86_400 * 10**9

#: Columns of :func:`find_clusters` (besides ``geometry``).
CLUSTER_COLUMNS = [
    "cluster_id",
    "n_incidents",
    "n_core",
    "countries",
    "cross_border",
    "border_km",
    "first_date",
    "last_date",
    "area_km2",
    "method",
]


# ----------------------------------------------------------------------------
# union-find with bounded memory


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


# ----------------------------------------------------------------------------
# DBSCAN


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
    Memory is O(n * min_samples) whatever the density; time is
    O(n * min_samples * log n) for the neighbour queries plus O(m log m) for the
    Delaunay triangulation of the m core points. See the module docstring.

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
    core = np.zeros(n, dtype=bool)
    if n == 0:
        return labels, core
    eps2 = float(eps) * float(eps)
    k = min(int(min_samples), n)
    tree = cKDTree(xy)
    upper = float(eps) * (1 + 1e-9) + 1e-300
    chunk = max(1, _KNN_BUDGET // k)
    border_i: list[np.ndarray] = []
    border_j: list[np.ndarray] = []
    for start in range(0, n, chunk):
        q = xy[start : start + chunk]
        _, idx = tree.query(q, k=k, distance_upper_bound=upper)
        idx = np.asarray(idx).reshape(len(q), k)
        found = idx < n
        safe = np.where(found, idx, 0)
        d2 = ((q[:, None, :] - xy[safe]) ** 2).sum(axis=2)
        within = found & (d2 <= eps2)
        is_core = within.sum(axis=1) >= min_samples
        core[start : start + len(q)] = is_core
        nc = within & ~is_core[:, None]
        rows, cols = np.nonzero(nc)
        border_i.append(rows + start)
        border_j.append(idx[rows, cols])
    core_idx = np.flatnonzero(core)
    if core_idx.size == 0:
        return labels, core
    comp = _core_components(xy[core_idx], eps2)
    ncomp = int(comp.max()) + 1
    first = np.full(ncomp, n, dtype=np.int64)
    np.minimum.at(first, comp, core_idx)
    rank = np.empty(ncomp, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(ncomp)
    labels[core_idx] = rank[comp]
    _assign_border(labels, core, np.concatenate(border_i), np.concatenate(border_j))
    return labels, core


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


def _core_components(pts: np.ndarray, eps2: float) -> np.ndarray:
    """Components of the graph 'distance <= sqrt(eps2)' on ``pts``, via Delaunay."""
    m = len(pts)
    uniq, inv = np.unique(pts, axis=0, return_inverse=True)
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


# ----------------------------------------------------------------------------
# space-time DBSCAN


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
    eps = float(eps)
    eps2 = eps * eps
    window_ns = float(days) * _NS_PER_DAY
    # 3-D points whose Chebyshev (box) neighbourhood of radius eps contains the
    # space-time cylinder; exact tests on the original values follow.
    t_days = (t_ns - t_ns.min()).astype(np.float64) / _NS_PER_DAY
    scale = eps / max(float(days), 1e-6)
    order = np.argsort(t_ns, kind="stable")  # time-sorted chunks are compact
    pts = np.column_stack([xy[order], t_days[order] * scale])
    xs, ts = xy[order], t_ns[order]
    tree = cKDTree(pts)
    upper = eps * (1 + 1e-9) + 1e-300
    box_counts = tree.query_ball_point(pts, r=upper, p=np.inf, return_length=True)
    bounds = _chunk_bounds(np.asarray(box_counts, dtype=np.int64), max_pairs)

    def pairs(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        sub = cKDTree(pts[a:b])
        res = sub.sparse_distance_matrix(tree, upper, p=np.inf, output_type="ndarray")
        i = res["i"].astype(np.int64) + a
        j = res["j"].astype(np.int64)
        keep = (((xs[i] - xs[j]) ** 2).sum(axis=1) <= eps2) & (
            np.abs((ts[i] - ts[j]).astype(np.float64)) <= window_ns
        )
        return i[keep], j[keep]

    counts = np.zeros(n, dtype=np.int64)
    for a, b in bounds:
        i, _ = pairs(a, b)
        counts += np.bincount(i, minlength=n)
    core_s = counts >= min_samples
    comps = _Components(n)
    border_i: list[np.ndarray] = []
    border_j: list[np.ndarray] = []
    for a, b in bounds:
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
        comp = comp.ravel()
        ncomp = int(comp.max()) + 1
        first = np.full(ncomp, n, dtype=np.int64)
        np.minimum.at(first, comp, order[core_pos])  # original row numbers
        rank = np.empty(ncomp, dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(ncomp)
        labels_s[core_pos] = rank[comp]
        _assign_border(labels_s, core_s, np.concatenate(border_i), np.concatenate(border_j))
    labels[order] = labels_s
    core[order] = core_s
    return labels, core


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


# ----------------------------------------------------------------------------
# public API


def _check_method(method: str) -> str:
    if method not in METHODS:
        msg = f"method={method!r} is not one of {', '.join(METHODS)}. Hint: e.g. method='dbscan'."
        raise DataError(msg)
    return method


def _positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be a number {need}, got {value!r}. Hint: e.g. {name}=5."
        raise DataError(msg)
    return v


def _count(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        msg = f"{name} must be a whole number >= {minimum}, got {value!r}. Hint: e.g. {name}=5."
        raise DataError(msg)
    return int(value)


def _dates_ns(incidents: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray | None:
    """The ``date`` column as int64 ns with NaT as the int64 minimum, or None."""
    if not isinstance(incidents, gpd.GeoDataFrame) or "date" not in incidents.columns:
        return None
    col = incidents["date"]
    if not pd.api.types.is_datetime64_any_dtype(col):
        try:
            col = pd.to_datetime(col, errors="raise")
        except (ValueError, TypeError) as exc:
            msg = (
                f"column 'date' cannot be read as dates ({exc}). Hint: use "
                "borderwatch.read_incidents or pandas.to_datetime first."
            )
            raise DataError(msg) from exc
    if getattr(col.dt, "tz", None) is not None:
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    return col.to_numpy(dtype="datetime64[ns]").astype(np.int64)


_NAT = np.iinfo(np.int64).min


def _labels(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    method: str,
    eps_km: float | None,
    min_samples: int,
    days: float | None,
    min_cluster_size: int | None,
    crs: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, CRS, np.ndarray]:
    """Raw labels (0-based, -1 noise), core mask, metric xy, CRS and usable mask."""
    method = _check_method(method)
    min_samples = _count(min_samples, "min_samples", minimum=1)
    xy, target, ok = metric_points(incidents, crs)
    n = len(xy)
    labels = np.full(n, -1, dtype=np.int64)
    core = np.zeros(n, dtype=bool)
    xy_km = xy / 1000.0
    if method == "dbscan":
        eps = DEFAULT_EPS_KM if eps_km is None else _positive(eps_km, "eps_km")
        lab, cor = dbscan_labels(xy_km[ok], eps=eps, min_samples=min_samples)
    elif method == "spacetime":
        eps = DEFAULT_EPS_KM if eps_km is None else _positive(eps_km, "eps_km")
        window = DEFAULT_DAYS if days is None else _positive(days, "days", allow_zero=True)
        t = _dates_ns(incidents)
        if t is None:
            msg = "method='spacetime' needs a 'date' column. Hint: read incidents with a time column (--time-col)."
            raise DataError(msg)
        dated = t != _NAT
        if (ok & ~dated).any():
            warnings.warn(
                f"{int((ok & ~dated).sum())} incidents have no date and are left out of "
                "the space-time clusters.",
                BorderwatchWarning,
                stacklevel=3,
            )
        if isinstance(incidents, gpd.GeoDataFrame) and "date_precision" in incidents.columns:
            coarse = incidents["date_precision"].isin(["month", "year"]).to_numpy(dtype=bool)
            if (coarse & ok & dated).any():
                warnings.warn(
                    f"{int((coarse & ok & dated).sum())} incidents have month or year dates; "
                    "space-time clustering treats them as their first day.",
                    BorderwatchWarning,
                    stacklevel=3,
                )
        ok = ok & dated
        lab, cor = st_dbscan_labels(xy_km[ok], t[ok], eps=eps, days=window, min_samples=min_samples)
    else:
        lab, cor = _hdbscan(xy_km[ok], eps_km, min_samples, min_cluster_size)
    labels[ok] = lab
    core[ok] = cor
    return labels, core, xy, target, ok


def _hdbscan(
    xy_km: np.ndarray, eps_km: float | None, min_samples: int, min_cluster_size: int | None
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import HDBSCAN

    mcs = (
        max(2, min_samples)
        if min_cluster_size is None
        else _count(min_cluster_size, "min_cluster_size", minimum=2)
    )
    eps = 0.0 if eps_km is None else _positive(eps_km, "eps_km")
    n = len(xy_km)
    if n < max(mcs, min_samples, 2):
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool)
    if n > 50_000:
        warnings.warn(
            f"HDBSCAN on {n:,} incidents is slow (scikit-learn's implementation is "
            "quadratic in time). Hint: method='dbscan' scales to millions.",
            BorderwatchWarning,
            stacklevel=4,
        )
    model = HDBSCAN(
        min_cluster_size=mcs,
        min_samples=min_samples,
        cluster_selection_epsilon=eps,
        copy=True,
    ).fit(xy_km)
    lab = model.labels_.astype(np.int64)
    lab[lab < 0] = -1
    return lab, (lab >= 0) & (model.probabilities_ >= 1.0)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Clusters as 1..K by decreasing size (ties: first row first); noise stays -1."""
    out = np.full(len(labels), -1, dtype=np.int64)
    member = labels >= 0
    if not member.any():
        return out
    ids, first, size = np.unique(labels[member], return_index=True, return_counts=True)
    first_row = np.flatnonzero(member)[first]
    order = np.lexsort((first_row, -size))
    new = np.empty(len(ids), dtype=np.int64)
    new[order] = np.arange(1, len(ids) + 1)
    out[member] = new[np.searchsorted(ids, labels[member])]
    return out


def label_points(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    method: str = "dbscan",
    eps_km: float | None = None,
    min_samples: int = 5,
    days: float | None = None,
    min_cluster_size: int | None = None,
    crs: CRS | str | int | None = None,
    seed: int | None = None,
) -> gpd.GeoDataFrame:
    """Label each incident with its point cluster.

    Parameters
    ----------
    incidents : GeoDataFrame or GeoSeries
        Points with a CRS (e.g. from ``read_incidents`` / ``join_units``).
        ``method="spacetime"`` needs a ``date`` column.
    method : {"dbscan", "hdbscan", "spacetime"}
        ``"dbscan"``: density clusters with radius ``eps_km`` (bounded-memory,
        identical to scikit-learn's DBSCAN). ``"hdbscan"``: scikit-learn's
        HDBSCAN (``eps_km``, when given, is its ``cluster_selection_epsilon``).
        ``"spacetime"``: ST-DBSCAN, neighbours within ``eps_km`` AND ``days``.
    eps_km : float, optional
        Neighbourhood radius in km (default 5 for dbscan and spacetime).
    min_samples : int
        Neighbourhood size (the point itself included) that makes a core point;
        every DBSCAN / space-time cluster has at least this many incidents.
    days : float, optional
        Time window of ``"spacetime"`` in days, inclusive (default 30).
    min_cluster_size : int, optional
        HDBSCAN only; default ``max(2, min_samples)``.
    crs : CRS, optional
        Metric CRS for distances; default as :func:`borderwatch.density.density`.
    seed : int, optional
        Accepted for a uniform signature; every method here is deterministic.

    Returns
    -------
    GeoDataFrame
        A copy of ``incidents`` (same index, CRS and columns) plus
        ``cluster_id`` (int64: 1, 2, ... by decreasing cluster size, ``-1`` for
        noise and for rows without a usable location or, for space-time, date)
        and ``core`` (bool: DBSCAN core point; for HDBSCAN, a member with
        membership probability 1).

    References
    ----------
    .. [1] Ester, M. et al. (1996). A density-based algorithm for discovering
       clusters in large spatial databases with noise. *KDD-96*, 226-231.
    .. [2] Campello, R. J. G. B., Moulavi, D. and Sander, J. (2013). Density-based
       clustering based on hierarchical density estimates. *PAKDD 2013*, 160-172.
    .. [3] Birant, D. and Kut, A. (2007). ST-DBSCAN: An algorithm for clustering
       spatial-temporal data. *Data & Knowledge Engineering* 60(1), 208-221.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(
    ...     geometry=gpd.points_from_xy([0, 1000, 2000, 90_000], [0, 0, 0, 0]), crs=32631)
    >>> label_points(pts, eps_km=1.5, min_samples=2)["cluster_id"].tolist()
    [1, 1, 1, -1]
    """
    del seed  # deterministic
    labels, core, _, _, _ = _labels(
        incidents,
        method=method,
        eps_km=eps_km,
        min_samples=min_samples,
        days=days,
        min_cluster_size=min_cluster_size,
        crs=crs,
    )
    out = (
        incidents.copy()
        if isinstance(incidents, gpd.GeoDataFrame)
        else gpd.GeoDataFrame(geometry=incidents.copy())
    )
    out["cluster_id"] = _renumber(labels)
    out["core"] = core
    return out


def find_clusters(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    method: str = "dbscan",
    eps_km: float | None = None,
    min_samples: int = 5,
    days: float | None = None,
    min_cluster_size: int | None = None,
    border: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    crs: CRS | str | int | None = None,
    buffer_km: float | None = None,
    seed: int | None = None,
) -> gpd.GeoDataFrame:
    """Point clusters of incidents as a layer (the ``clusters`` layer of the output).

    Parameters
    ----------
    incidents : GeoDataFrame or GeoSeries
        Points with a CRS; ``country`` (ISO3, after ``join_units``) gives
        ``countries``, ``date`` gives the date range.
    method, eps_km, min_samples, days, min_cluster_size, crs, seed
        As :func:`label_points`.
    border : GeoDataFrame or GeoSeries, optional
        International border lines with a CRS (``borderwatch.borders.border_lines``);
        without it ``border_km`` is NaN.
    buffer_km : float, optional
        Each cluster's shape is the convex hull of its incidents buffered by this
        distance, so that no vertex sits on an incident. Default ``eps_km / 2``
        (5 km / 2 when not given), 1 km for HDBSCAN without ``eps_km``. ``0`` gives
        the bare hull (internal use only: its vertices are incidents).

    Returns
    -------
    GeoDataFrame
        One row per cluster, EPSG:4326, sorted by ``cluster_id``:

        * ``cluster_id`` (int, 1 = largest), ``n_incidents``, ``n_core``;
        * ``countries``: ISO3 codes of the incidents inside, sorted, comma-separated
          (``""`` without a ``country`` column);
        * ``cross_border``: incidents from at least 2 countries;
        * ``border_km``: distance in km from the cluster's (unbuffered) hull to the
          nearest border line, 0 when the hull crosses it;
        * ``first_date``, ``last_date``: range of the incidents' dates (NaT without);
        * ``area_km2``: area of the shape; ``method``;
        * ``geometry``: the buffered convex hull.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> inc = gpd.GeoDataFrame(
    ...     {"country": ["MLI", "MLI", "NER", "NER", "NER"]},
    ...     geometry=gpd.points_from_xy([-500, -300, 200, 400, 300], [0, 100, 0, 50, -80]),
    ...     crs=32631)
    >>> border = gpd.GeoDataFrame({"countries": ["MLI,NER"]},
    ...     geometry=[LineString([(0, -9000), (0, 9000)])], crs=32631)
    >>> out = find_clusters(inc, eps_km=1.0, min_samples=3, border=border)
    >>> out[["cluster_id", "n_incidents", "countries", "cross_border", "border_km"]]
       cluster_id  n_incidents countries  cross_border  border_km
    0           1            5   MLI,NER          True        0.0
    """
    method = _check_method(method)
    labels, core, xy, target, _ = _labels(
        incidents,
        method=method,
        eps_km=eps_km,
        min_samples=min_samples,
        days=days,
        min_cluster_size=min_cluster_size,
        crs=crs,
    )
    del seed
    cid = _renumber(labels)
    if buffer_km is None:
        if method == "hdbscan" and eps_km is None:
            buf = DEFAULT_HDBSCAN_BUFFER_KM
        else:
            buf = (DEFAULT_EPS_KM if eps_km is None else float(eps_km)) / 2
    else:
        buf = _positive(buffer_km, "buffer_km", allow_zero=True)

    member = np.flatnonzero(cid > 0)
    if member.size == 0:
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype=_EMPTY_DTYPES[c]) for c in CLUSTER_COLUMNS},
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
        return empty
    member = member[np.argsort(cid[member], kind="stable")]
    ids = cid[member]
    uniq_ids, starts, sizes = np.unique(ids, return_index=True, return_counts=True)
    hulls = shapely.convex_hull(shapely.multipoints(xy[member], indices=ids - 1))
    shapes = shapely.buffer(hulls, buf * 1000.0) if buf > 0 else hulls

    countries = _countries(incidents, member, ids, len(uniq_ids))
    n_countries = np.array([len(c.split(",")) if c else 0 for c in countries])
    first_date, last_date = _date_range(incidents, member, ids, len(uniq_ids))
    border_km = _border_km(border, hulls, target)

    out = gpd.GeoDataFrame(
        {
            "cluster_id": uniq_ids.astype(np.int64),
            "n_incidents": sizes.astype(np.int64),
            "n_core": np.add.reduceat(core[member].astype(np.int64), starts),
            "countries": pd.array(countries, dtype="str"),
            "cross_border": n_countries >= 2,
            "border_km": border_km,
            "first_date": first_date,
            "last_date": last_date,
            "area_km2": shapely.area(shapes) / 1e6,
            "method": method,
        },
        geometry=gpd.GeoSeries(shapes, crs=target).to_crs(WGS84).array,
        crs=WGS84,
    )
    return out


_EMPTY_DTYPES = {
    "cluster_id": "int64",
    "n_incidents": "int64",
    "n_core": "int64",
    "countries": "str",
    "cross_border": "bool",
    "border_km": "float64",
    "first_date": "datetime64[ns]",
    "last_date": "datetime64[ns]",
    "area_km2": "float64",
    "method": "str",
}


def _countries(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, member: np.ndarray, ids: np.ndarray, k: int
) -> list[str]:
    if not isinstance(incidents, gpd.GeoDataFrame) or "country" not in incidents.columns:
        warnings.warn(
            "the incidents have no 'country' column, so clusters cannot tell countries "
            "apart (countries is empty, cross_border False). Hint: run join_units first.",
            BorderwatchWarning,
            stacklevel=3,
        )
        return [""] * k
    col = incidents["country"].iloc[member].astype("str").str.strip().str.upper()
    frame = pd.DataFrame({"id": ids, "c": col.to_numpy(dtype=object, na_value=None)})
    frame = frame[frame["c"].map(lambda v: isinstance(v, str) and v != "")]
    frame = frame.drop_duplicates().sort_values(["id", "c"])
    joined = frame.groupby("id")["c"].agg(",".join)
    out = [""] * k
    for cluster, text in zip(joined.index.tolist(), joined.tolist(), strict=True):
        out[cluster - 1] = text
    return out


def _date_range(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, member: np.ndarray, ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    nat = np.full(k, np.datetime64("NaT"), dtype="datetime64[ns]")
    t = _dates_ns(incidents)
    if t is None:
        return nat, nat.copy()
    frame = pd.DataFrame({"id": ids, "t": t[member]})
    frame = frame[frame["t"] != _NAT]
    first, last = nat.copy(), nat.copy()
    if len(frame):
        g = frame.groupby("id")["t"]
        lo, hi = g.min(), g.max()
        first[lo.index.to_numpy() - 1] = lo.to_numpy().astype("datetime64[ns]")
        last[hi.index.to_numpy() - 1] = hi.to_numpy().astype("datetime64[ns]")
    return first, last


def _border_km(
    border: gpd.GeoDataFrame | gpd.GeoSeries | None, hulls: np.ndarray, target: CRS
) -> np.ndarray:
    out = np.full(len(hulls), np.nan)
    if border is None:
        return out
    if not isinstance(border, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"border must be a GeoDataFrame of border lines, got {type(border).__name__}. Hint: use borderwatch.borders.border_lines(units)."
        raise DataError(msg)
    require_crs(border, what="border lines")
    geo = border.geometry
    geo = geo[geo.notna() & ~geo.is_empty]
    if len(geo) == 0:
        return out
    lines = shapely.union_all(np.asarray(geo.to_crs(target).array, dtype=object))
    return shapely.distance(hulls, lines) / 1000.0
