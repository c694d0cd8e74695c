"""Point clusters of incidents: DBSCAN, HDBSCAN and space-time DBSCAN, in kilometres.

All distances are Euclidean in a metric (projected) CRS, by default the
Lambert azimuthal equal-area CRS of :func:`borderwatch.study_crs`; no haversine
formula (and so no latitude/longitude order or radians to get wrong) is involved.

DBSCAN gives exactly scikit-learn's labels in bounded memory, and space-time
DBSCAN holds a bounded number of neighbour pairs at once: the engines are in
``borderwatch._dbscan`` (see its docstring), re-exported here as
:func:`dbscan_labels` and :func:`st_dbscan_labels`. :func:`label_points` labels
each incident; :func:`find_clusters` gives the ``clusters`` layer of the output
as a :class:`Clusters` result.

Every cluster is tested against chance (``p_value``): with the study ``area``
given, the same clustering runs on ``replicates`` maps where each location of
the data (with its stack of incidents and their dates) is moved to a uniformly
random point of the area, and a cluster's size is compared with the *largest*
cluster of each simulated map (``borderwatch._clustertest``). Only clusters
with ``p_value <= alpha`` are kept unless ``keep_all``: the chance that a map
of pure chance shows any cluster at all is then at most ``alpha``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._clustertest import dense_cluster_bound, max_cluster_sizes, p_values
from ._countries import (
    feature_countries,
    features_border_km,
    has_countries,
    own_countries,
)
from ._crs import WGS84, require_crs
from ._dbscan import dbscan_labels, st_dbscan_labels
from ._errors import BorderwatchWarning, DataError
from ._geom import hull_candidates, robust_union
from ._inputs import metric_points
from ._stacks import stacks, unique_rows

__all__ = [
    "CLUSTER_COLUMNS",
    "Clusters",
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
#: Simulated maps of the test against chance.
DEFAULT_REPLICATES = 99

#: Columns of :func:`find_clusters` (besides ``geometry``).
CLUSTER_COLUMNS = [
    "cluster_id",
    "n_incidents",
    "n_core",
    "n_locations",
    "countries",
    "cross_border",
    "border_km",
    "p_value",
    "first_date",
    "last_date",
    "area_km2",
    "method",
]
_EMPTY_DTYPES = {
    "cluster_id": "int64",
    "n_incidents": "int64",
    "n_core": "int64",
    "n_locations": "int64",
    "countries": "str",
    "cross_border": "bool",
    "border_km": "float64",
    "p_value": "float64",
    "first_date": "datetime64[ns]",
    "last_date": "datetime64[ns]",
    "area_km2": "float64",
    "method": "str",
}
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True, eq=False)
class Clusters:
    """Result of :func:`find_clusters`: the layer and the settings that made it.

    Attributes
    ----------
    layer : GeoDataFrame
        One row per cluster, EPSG:4326 (:data:`CLUSTER_COLUMNS` and geometry).
    method : {"dbscan", "hdbscan", "spacetime"}
    eps_km : float or None
        Neighbourhood radius used (default resolved); for HDBSCAN its
        ``cluster_selection_epsilon``, None when not given.
    min_samples : int
    days : float or None
        Time window of space-time DBSCAN (None for the other methods).
    min_cluster_size : int or None
        HDBSCAN's minimum cluster size (None for the other methods).
    buffer_km : float
        Buffer of the convex hulls that make the shapes.
    replicates : int
        Simulated maps of the test against chance (0: not tested, ``p_value`` NaN).
    alpha : float
        Clusters with ``p_value <= alpha`` are kept (unless ``keep_all``).
    keep_all : bool
    n_found : int
        Clusters found before the test.
    null_max : ndarray
        Incidents in the largest cluster of each simulated map.
    """

    layer: gpd.GeoDataFrame
    method: str
    eps_km: float | None
    min_samples: int
    days: float | None
    min_cluster_size: int | None
    buffer_km: float
    replicates: int = 0
    alpha: float = 0.05
    keep_all: bool = False
    n_found: int = 0
    null_max: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def summary(self) -> dict[str, Any]:
        """The settings (those that apply to the method) and ``n``, JSON-able."""
        out: dict[str, Any] = {"method": self.method}
        for key in ("eps_km", "min_samples", "days", "min_cluster_size", "buffer_km"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["replicates"] = self.replicates
        if self.replicates:
            out["alpha"] = self.alpha
            out["all"] = self.keep_all
            out["n_found"] = self.n_found
        out["n"] = len(self.layer)
        return out


@dataclass(frozen=True)
class _Settings:
    """Validated clustering settings with their defaults resolved."""

    method: str
    eps_km: float | None
    min_samples: int
    days: float | None = None
    min_cluster_size: int | None = None


def _settings(
    method: str,
    eps_km: float | None,
    min_samples: int,
    days: float | None,
    min_cluster_size: int | None,
) -> _Settings:
    method = _check_method(method)
    min_samples = _count(min_samples, "min_samples", minimum=1)
    if method == "hdbscan":
        return _Settings(
            method,
            None if eps_km is None else _positive(eps_km, "eps_km"),
            min_samples,
            min_cluster_size=max(2, min_samples)
            if min_cluster_size is None
            else _count(min_cluster_size, "min_cluster_size", minimum=2),
        )
    eps = DEFAULT_EPS_KM if eps_km is None else _positive(eps_km, "eps_km")
    if method == "spacetime":
        window = DEFAULT_DAYS if days is None else _positive(days, "days", allow_zero=True)
        return _Settings(method, eps, min_samples, days=window)
    return _Settings(method, eps, min_samples)


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


Labeller = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _labeller(st: _Settings, t: np.ndarray | None) -> Labeller:
    """Labels and core mask of points given in km (the usable incidents, in order)."""
    eps = float(st.eps_km or DEFAULT_EPS_KM)
    if st.method == "dbscan":
        return lambda xy_km: dbscan_labels(xy_km, eps=eps, min_samples=st.min_samples)
    if st.method == "spacetime":
        times = np.zeros(0, dtype=np.int64) if t is None else t
        window = float(st.days or 0.0)
        return lambda xy_km: st_dbscan_labels(
            xy_km, times, eps=eps, days=window, min_samples=st.min_samples
        )
    return lambda xy_km: _hdbscan(xy_km, st)


def _labels(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, st: _Settings, crs: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, CRS, np.ndarray, Labeller]:
    """Raw labels (0-based, -1 noise), core mask, metric xy, CRS, usable mask and the labeller."""
    xy, target, ok = metric_points(incidents, crs)
    n = len(xy)
    labels = np.full(n, -1, dtype=np.int64)
    core = np.zeros(n, dtype=bool)
    t = None
    if st.method == "spacetime":
        t, ok = _dated(incidents, ok)
    label = _labeller(st, None if t is None else t[ok])
    lab, cor = label(xy[ok] / 1000.0)
    labels[ok] = lab
    core[ok] = cor
    return labels, core, xy, target, ok, label


def _dated(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Times (int64 ns) of the incidents, and the usable ones that have a date."""
    t = _dates_ns(incidents)
    if t is None:
        msg = "method='spacetime' needs a 'date' column. Hint: read incidents with a time column ([[time_col]])."
        raise DataError(msg)
    dated = t != _NAT
    if (ok & ~dated).any():
        warnings.warn(
            f"{int((ok & ~dated).sum())} incidents have no date and are left out of "
            "the space-time clusters.",
            BorderwatchWarning,
            stacklevel=4,
        )
    if isinstance(incidents, gpd.GeoDataFrame) and "date_precision" in incidents.columns:
        coarse = incidents["date_precision"].isin(["month", "year"]).to_numpy(dtype=bool)
        if (coarse & ok & dated).any():
            warnings.warn(
                f"{int((coarse & ok & dated).sum())} incidents have month or year dates; "
                "space-time clustering treats them as their first day.",
                BorderwatchWarning,
                stacklevel=4,
            )
    return t, ok & dated


def _hdbscan(xy_km: np.ndarray, st: _Settings) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import HDBSCAN

    mcs = int(st.min_cluster_size or 2)
    n = len(xy_km)
    if n < max(mcs, st.min_samples, 2):
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
        min_samples=st.min_samples,
        cluster_selection_epsilon=0.0 if st.eps_km is None else st.eps_km,
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
    st = _settings(method, eps_km, min_samples, days, min_cluster_size)
    labels, core, *_ = _labels(incidents, st, crs)
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
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    replicates: int = DEFAULT_REPLICATES,
    alpha: float = 0.05,
    keep_all: bool = False,
) -> Clusters:
    """Point clusters of incidents as a layer (the ``clusters`` layer of the output).

    Parameters
    ----------
    incidents : GeoDataFrame or GeoSeries
        Points with a CRS; their own country (``reported_country``, else the
        joined unit's ``country``) gives ``countries``, ``date`` the date range.
    method, eps_km, min_samples, days, min_cluster_size, crs
        As :func:`label_points`.
    border : GeoDataFrame or GeoSeries, optional
        International border lines with a CRS (``borderwatch.borders.border_lines``);
        without it ``border_km`` comes from the incidents' ``border_km`` (the
        join's), else it is NaN.
    buffer_km : float, optional
        Each cluster's shape is the convex hull of its incidents buffered by this
        distance, so that no vertex sits on an incident. Default ``eps_km / 2``
        (5 km / 2 when not given), 1 km for HDBSCAN without ``eps_km``. ``0`` gives
        the bare hull (internal use only: its vertices are incidents).
    seed : int, optional
        Seed of the simulated maps (0 when None).
    area : GeoDataFrame or GeoSeries, optional
        The study area (the units): the test against chance places the
        locations uniformly within it. Without it the clusters are not tested
        (``p_value`` NaN) and all are kept.
    replicates : int, default 99
        Simulated maps of the test.
    alpha : float, default 0.05
        Clusters with ``p_value <= alpha`` are kept unless ``keep_all``.
    keep_all : bool, default False

    Returns
    -------
    Clusters
        The settings used (``method``, ``eps_km``, ``min_samples``, ``days``,
        ``min_cluster_size``, ``buffer_km``, defaults resolved) and ``layer``:
        one row per cluster, EPSG:4326, sorted by ``cluster_id``:

        * ``cluster_id`` (int, 1 = largest), ``n_incidents``, ``n_core``,
          ``n_locations`` (distinct coordinates);
        * ``countries``: the incidents' own countries (ISO3), sorted, comma-separated
          (``""`` without a country column);
        * ``cross_border``: incidents from at least 2 countries;
        * ``border_km``: distance in km from the cluster's incident nearest to a
          border to that border, 0 when its incidents lie on both sides;
        * ``p_value``: the test against chance (NaN when not tested);
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
    >>> res = find_clusters(inc, eps_km=1.0, min_samples=3, border=border)
    >>> res.layer[["cluster_id", "n_incidents", "countries", "cross_border", "border_km"]]
       cluster_id  n_incidents countries  cross_border  border_km
    0           1            5   MLI,NER          True        0.0
    >>> res.summary()
    {'method': 'dbscan', 'eps_km': 1.0, 'min_samples': 3, 'buffer_km': 0.5, 'replicates': 0, 'n': 1}
    """
    st = _settings(method, eps_km, min_samples, days, min_cluster_size)
    replicates = _count(replicates, "replicates", minimum=0)
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        msg = f"alpha must be between 0 and 1, not {alpha!r}."
        raise DataError(msg)
    if buffer_km is not None:
        buf = _positive(buffer_km, "buffer_km", allow_zero=True)
    elif st.eps_km is None:  # HDBSCAN without eps_km
        buf = DEFAULT_HDBSCAN_BUFFER_KM
    else:
        buf = st.eps_km / 2
    _check_border(border)
    region = _study_area(area)
    labels, core, xy, target, ok, label = _labels(incidents, st, crs)
    cid = _renumber(labels)
    sizes = np.bincount(cid[cid > 0])[1:]  # incidents of clusters 1..K (largest first)
    n_found = len(sizes)
    tested = region is not None and replicates > 0 and n_found > 0
    null_max = np.zeros(0, dtype=np.int64)
    p = np.full(n_found, np.nan)
    if tested:
        loc, _, _ = stacks(xy[ok], order="coordinates")  # the same draws in any row order
        null_max = max_cluster_sizes(
            loc,
            _metric_area(region, target),
            lambda pts: label(pts / 1000.0)[0],
            replicates=replicates,
            seed=0 if seed is None else int(seed),
            # only significant clusters are kept: stop once none can be (p > alpha)
            give_up=None if keep_all else (int(sizes.max()), int(alpha * (replicates + 1) + 1e-9)),
            bound=_bound(st),
        )
        p = p_values(sizes, null_max)
    if tested and not keep_all:
        # p-values fall with size: the kept clusters are the largest, ids 1..k; the
        # layer (hulls, countries, border distances) is built for these only
        k = int((p <= alpha + 1e-12).sum())
        cid = np.where(cid <= k, cid, -1)
        p = p[:k]
    layer = _layer(incidents, cid, core, xy, target, border, buf, st.method)
    layer["p_value"] = p
    return Clusters(
        layer=layer,
        method=st.method,
        eps_km=st.eps_km,
        min_samples=st.min_samples,
        days=st.days,
        min_cluster_size=st.min_cluster_size,
        buffer_km=buf,
        replicates=replicates if region is not None else 0,
        alpha=float(alpha),
        keep_all=bool(keep_all),
        n_found=n_found,
        null_max=null_max,
    )


def _bound(st: _Settings) -> Callable[[np.ndarray, np.ndarray], int] | None:
    """DBSCAN's cheap lower bound of a simulated map's largest cluster (its locations in
    metres and the incidents at each)."""
    if st.method != "dbscan":
        return None
    eps = float(st.eps_km or DEFAULT_EPS_KM)
    return lambda pts, stack: dense_cluster_bound(
        pts / 1000.0, eps=eps, min_samples=st.min_samples, weights=stack
    )


def _study_area(area: Any) -> gpd.GeoSeries | None:
    """The study area's polygons, checked (None when not given)."""
    if area is None:
        return None
    if not isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"area must be a GeoDataFrame of the study area's polygons (the units), got {type(area).__name__}. Hint: pass the units."
        raise DataError(msg)
    require_crs(area, what="study area")
    geo = area.geometry
    geo = geo[geo.notna() & ~geo.is_empty]
    if not len(geo):
        msg = "the study area is empty. Hint: pass the units' polygons."
        raise DataError(msg)
    return geo


def _metric_area(area: gpd.GeoSeries, target: CRS) -> shapely.Geometry:
    """The union of the study area in the metric CRS of the clustering."""
    geoms = np.asarray(area.to_crs(target).array, dtype=object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    return robust_union(geoms)


def _layer(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    cid: np.ndarray,
    core: np.ndarray,
    xy: np.ndarray,
    target: CRS,
    border: gpd.GeoDataFrame | gpd.GeoSeries | None,
    buf: float,
    method: str,
) -> gpd.GeoDataFrame:
    """One row per cluster ``cid`` (1..K; -1 noise): counts, countries, dates, shape."""
    member = np.flatnonzero(cid > 0)
    if member.size == 0:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=_EMPTY_DTYPES[c]) for c in CLUSTER_COLUMNS},
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
    member = member[np.argsort(cid[member], kind="stable")]
    ids = cid[member]
    uniq_ids, starts, sizes = np.unique(ids, return_index=True, return_counts=True)
    k = len(uniq_ids)
    group = np.repeat(np.arange(k), sizes)
    hull = hull_candidates(xy[member], group, starts)  # the same hulls from fewer points
    hulls = shapely.convex_hull(shapely.multipoints(xy[member[hull]], indices=ids[hull] - 1))
    shapes = shapely.buffer(hulls, buf * 1000.0) if buf > 0 else hulls
    feature = np.full(len(cid), -1, dtype=np.int64)
    feature[member] = ids - 1
    countries, cross = _countries(incidents, feature, k)
    first_date, last_date = _date_range(incidents, member, ids, k)
    loc, _, _ = stacks(xy[member])
    pairs = unique_rows(np.column_stack([ids - 1, loc]))
    return gpd.GeoDataFrame(
        {
            "cluster_id": uniq_ids.astype(np.int64),
            "n_incidents": sizes.astype(np.int64),
            "n_core": np.add.reduceat(core[member].astype(np.int64), starts),
            "n_locations": np.bincount(pairs[:, 0], minlength=k).astype(np.int64),
            "countries": pd.array(countries, dtype="str"),
            "cross_border": cross,
            "border_km": _border_km(incidents, feature, member, border, target, k),
            "p_value": np.full(k, np.nan),
            "first_date": first_date,
            "last_date": last_date,
            "area_km2": shapely.area(shapes) / 1e6,
            "method": method,
        },
        geometry=gpd.GeoSeries(shapes, crs=target).to_crs(WGS84).array,
        crs=WGS84,
    )


def _check_border(border: Any) -> None:
    if border is None:
        return
    if not isinstance(border, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"border must be a GeoDataFrame of border lines, got {type(border).__name__}. Hint: use borderwatch.borders.border_lines(units)."
        raise DataError(msg)
    require_crs(border, what="border lines")


def _countries(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, feature: np.ndarray, k: int
) -> tuple[list[str], np.ndarray]:
    """``countries`` and ``cross_border`` of the clusters, from the incidents' own countries."""
    if not isinstance(incidents, gpd.GeoDataFrame) or not has_countries(incidents):
        warnings.warn(
            "the incidents have no 'country' column, so clusters cannot tell countries "
            "apart (countries is empty, cross_border False). Hint: run join_units first.",
            BorderwatchWarning,
            stacklevel=4,
        )
        return [""] * k, np.zeros(k, dtype=bool)
    return feature_countries(feature, own_countries(incidents), k)


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
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    feature: np.ndarray,
    member: np.ndarray,
    border: gpd.GeoDataFrame | gpd.GeoSeries | None,
    target: CRS,
    k: int,
) -> np.ndarray:
    """Distance of each cluster's incident nearest to a border (0 with incidents on both sides)."""
    frame = (
        incidents
        if isinstance(incidents, gpd.GeoDataFrame)
        else gpd.GeoDataFrame(geometry=incidents)
    )
    return features_border_km(frame, feature, border, target, k)
