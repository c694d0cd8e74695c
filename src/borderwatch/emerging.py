"""Emerging hot spots: Gi* on the space-time cube and a Mann-Kendall trend per cell.

As ArcGIS's Emerging Hot Spot Analysis does by default, Gi* runs once on the
whole space-time cube (cells x time bins): it is standardised by the mean and
variance of every bin of the cube, and a bin's neighbours are its cell's
spatial neighbours in the same time step and that cell and its neighbours in
the previous ``time_step`` bins (the neighbourhood time step). The classes
follow Esri's definitions: new, consecutive, intensifying, persistent,
diminishing, sporadic, oscillating and historical hot (or cold) spots, or "no
pattern" (:data:`TREND_LABELS`). The Mann-Kendall test uses the exact
distribution for series up to 10 bins (:mod:`borderwatch._mannkendall`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ._crs import require_crs
from ._errors import BorderwatchWarning, DataError
from ._inputs import check_points
from ._lattice import Grid, cells_frame
from ._mannkendall import mk_test
from ._schema import is_hot
from ._stats import adjacency
from .grid import point_cells
from .hotspots import Inference, gi_star
from .weights import resolve_weights

__all__ = [
    "MAX_CUBE_BINS",
    "TREND_LABELS",
    "TREND_PATTERNS",
    "EmergingHotspots",
    "cube_weights",
    "emerging_hotspots",
]

#: Largest space-time cube (cells x time bins) before the bins are coarsened: Gi* on
#: the cube takes about 0.9 kB per cell-bin at its peak.
MAX_CUBE_BINS = 2_000_000

#: The patterns of :func:`emerging_hotspots` (ArcGIS Emerging Hot Spot Analysis).
TREND_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
#: Every ``trend_class`` value: each pattern for hot and cold spots, and "no pattern".
TREND_LABELS = tuple(f"{p} {k} spot" for k in ("hot", "cold") for p in TREND_PATTERNS) + (
    "no pattern",
)


@dataclass(frozen=True, eq=False)
class EmergingHotspots:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    trend_class : Series
        One of :data:`TREND_LABELS` per cell, aligned with the index of the cells.
    freq : str
        The time bin used (pandas offset alias; coarser than asked when the
        span needed too many bins).
    bins : int
        Number of time bins.
    start, end : Timestamp
        Start of the first and of the last bin.
    permutations : int
        Permutations of Gi* on the cube.
    alpha : float
        Significance level of the per-bin hot and cold spots.
    time_step : int
        The neighbourhood time step: previous bins in each bin's neighbourhood.
    """

    trend_class: pd.Series
    freq: str
    bins: int
    start: pd.Timestamp
    end: pd.Timestamp
    permutations: int
    alpha: float
    time_step: int = 1

    def summary(self) -> dict[str, Any]:
        """JSON-able settings, as ``CellHotspots.summary()["trend"]`` records them."""
        return {
            "freq": self.freq,
            "bins": self.bins,
            "start": str(self.start.date()),
            "end": str(self.end.date()),
            "permutations": self.permutations,
            "alpha": self.alpha,
            "time_step": self.time_step,
            "standardised": "space-time cube",
        }


def _time_bins(dates: pd.Series, freq: str) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Bin index of each date and the bin starts for a pandas offset alias."""
    from pandas.tseries.frequencies import to_offset

    off = to_offset(freq)
    dmin, dmax = dates.min(), dates.max()
    start = (
        off.rollback(dmin.normalize())
        if not off.is_on_offset(dmin.normalize())
        else dmin.normalize()
    )
    edges = pd.date_range(start=start, end=dmax + off, freq=off)
    if len(edges) < 2 or edges[-1] <= dmax:
        edges = pd.DatetimeIndex(edges.append(pd.DatetimeIndex([edges[-1] + off])))
    idx = np.searchsorted(edges.to_numpy(), dates.to_numpy(), side="right") - 1
    return idx, edges[:-1]


def _patterns(
    a: np.ndarray, b: np.ndarray, kind: str, towards: np.ndarray, away: np.ndarray
) -> dict[str, np.ndarray]:
    """Masks of each pattern of ``kind`` spots, from flags ``a`` (and opposite flags ``b``)."""
    frac = a.mean(axis=1)
    last = a[:, -1]
    prior_a = a[:, :-1].any(axis=1)
    prior_b = b[:, :-1].any(axis=1)
    run = np.cumprod(a[:, ::-1], axis=1).sum(axis=1)
    before_run = (a.sum(axis=1) - run) > 0
    mostly = frac >= 0.9 - 1e-12
    res = {}
    res[f"intensifying {kind} spot"] = last & mostly & towards
    res[f"diminishing {kind} spot"] = last & mostly & away
    res[f"persistent {kind} spot"] = last & mostly & ~towards & ~away
    rest = last & ~mostly
    res[f"oscillating {kind} spot"] = rest & prior_b
    rest &= ~prior_b
    res[f"new {kind} spot"] = rest & ~prior_a
    rest &= prior_a
    res[f"consecutive {kind} spot"] = rest & (run >= 2) & ~before_run
    res[f"sporadic {kind} spot"] = rest & ~((run >= 2) & ~before_run)
    res[f"historical {kind} spot"] = ~last & mostly
    return res


def _classify_trend(
    hot: np.ndarray, cold: np.ndarray, mk_z: np.ndarray, mk_p: np.ndarray, mk_alpha: float = 0.05
) -> np.ndarray:
    """ArcGIS Emerging Hot Spot Analysis patterns from per-bin hot/cold flags.

    ``hot`` and ``cold`` are boolean (cells x bins); ``mk_z``/``mk_p`` the
    Mann-Kendall trend of each cell's Gi* z-scores. The rules, for hot spots
    (cold spots mirror them), when the final bin is hot:

    * at least 90 % of bins hot: *intensifying* (significant upward trend),
      *diminishing* (significant downward trend), else *persistent*;
    * else, ever cold before: *oscillating*;
    * else, never hot before: *new*;
    * else, an uninterrupted run of hot bins at the end and none before it:
      *consecutive*;
    * else *sporadic*.

    When the final bin is neither: *historical* if at least 90 % of bins
    were hot (or cold), else "no pattern".
    """
    n, t = hot.shape
    out = np.full(n, "no pattern", dtype=object)
    if t == 0:
        return out
    up = (mk_p < mk_alpha) & (mk_z > 0)
    down = (mk_p < mk_alpha) & (mk_z < 0)
    hot_p = _patterns(hot, cold, "hot", up, down)
    cold_p = _patterns(cold, hot, "cold", down, up)
    last_hot, last_cold = hot[:, -1], cold[:, -1]
    for label, mask in cold_p.items():
        if label.startswith("historical"):
            out[mask & ~last_hot] = label
    for label, mask in hot_p.items():
        if label.startswith("historical"):
            out[mask & ~last_cold] = label
    for label, mask in cold_p.items():
        if not label.startswith("historical"):
            out[mask & last_cold] = label
    for label, mask in hot_p.items():
        if not label.startswith("historical"):
            out[mask & last_hot] = label
    return out


def emerging_hotspots(
    incidents: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    *,
    freq: str = "MS",
    weights: Any = None,
    permutations: int = 0,
    max_permutations: int = 9_999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
    min_count: int | None = 3,
    inference: Inference = "combined",
    mk_alpha: float = 0.05,
    max_bins: int = 240,
    min_bins: int = 4,
    time_step: int = 1,
) -> EmergingHotspots:
    """Emerging hot spots: Gi* on the space-time cube and a Mann-Kendall trend per cell.

    Incidents are counted per cell and time bin (``freq``, a month by
    default), giving a space-time cube. :func:`~borderwatch.hotspots.gi_star`
    runs once on the whole cube, as ArcGIS does by default: standardised by
    the mean and variance of all its bins, with space-time neighbours (the
    cell's spatial neighbours in the same bin, and the cell and its
    neighbours in the previous ``time_step`` bins), and the same inference
    and FDR as the map (FDR over the whole cube). A cell is "hot in bin t"
    when that bin is a hot spot at ``1 - alpha`` confidence. Standardising
    over the cube, not per bin, means a flat cluster stays flat while other
    areas grow. The Mann-Kendall test on each cell's series of Gi* z-scores
    (without the first ``time_step`` bins, whose neighbourhoods are
    incomplete) measures whether clustering intensifies; up to 10 bins it uses the exact
    distribution of ``S`` (at 4 bins no series can reach ``p < 0.05``, where
    the normal approximation gives 8 % false trends). Cells are then classed
    as ArcGIS's Emerging Hot Spot Analysis does (see :func:`_classify_trend`):
    new, consecutive, intensifying, persistent, diminishing, sporadic,
    oscillating, historical hot (or cold) spot, or "no pattern".

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a ``date`` column; undated incidents are ignored.
    cells : Grid or GeoDataFrame
        The grid (from :func:`borderwatch.grid.hex_grid`, or the ``grid`` of
        :func:`borderwatch.hotspots.cell_hotspots`).
    freq : str, default "MS"
        pandas offset alias of the bins. When the span needs more than
        ``max_bins`` bins, or the cube more than :data:`MAX_CUBE_BINS`
        cell-bins (memory), quarters ("QS") then years ("YS") are used instead,
        with a :class:`BorderwatchWarning`.
    weights : SpatialWeights or dict, optional
        The weights, or their spec (``CellHotspots.weights.spec``). Default:
        :func:`borderwatch.grid.cell_weights` of ``cells``.
    permutations, max_permutations, seed, alpha, fdr, min_count, inference
        As in :func:`~borderwatch.hotspots.gi_star`, per bin (no permutations
        by default: the default inference does not need them).
    mk_alpha : float, default 0.05
        Significance of the Mann-Kendall trend.
    min_bins : int, default 4
        Fewer bins than this raise :class:`DataError`.
    time_step : int, default 1
        The neighbourhood time step: how many previous bins are in each bin's
        neighbourhood (0: space only).

    Returns
    -------
    EmergingHotspots
        ``trend_class`` aligned with the index of the cells, and the bins used
        (``freq``, ``bins``, ``start``, ``end``).

    References
    ----------
    Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13, 245-259.
    Kendall, M. G. (1975). Rank Correlation Methods, 4th ed. Griffin.
    Esri, "How Emerging Hot Spot Analysis works" and "Emerging Hot Spot Analysis
    (Space Time Pattern Mining)", ArcGIS Pro documentation (neighbourhood time
    step; Gi* on the space-time cube; pattern definitions).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid
    >>> grid = hex_grid(gpd.GeoSeries([box(0, 0, 100_000, 100_000)], crs=3857), cell_km=10)
    >>> rng = np.random.default_rng(3)
    >>> months = pd.date_range("2022-01-01", periods=12, freq="MS")
    >>> bg = rng.uniform(0, 100_000, (240, 2)); bg_dates = rng.choice(months, 240)
    >>> late = rng.normal(50_000, 3_000, (120, 2)); late_dates = rng.choice(months[-2:], 120)
    >>> xy = np.vstack([bg, late])
    >>> pts = gpd.GeoDataFrame({"date": np.concatenate([bg_dates, late_dates])},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> res = emerging_hotspots(pts, grid, seed=0)
    >>> sorted(set(res.trend_class) - {"no pattern"}), res.freq, res.bins
    (['consecutive hot spot', 'new hot spot'], 'MS', 12)
    """
    incidents = check_points(incidents)
    frame = cells_frame(cells)
    require_crs(frame, what="cells")
    d, dated = _dated(incidents)
    used = freq
    bins, starts = _time_bins(d, freq)
    cap = min(max_bins, max(1, MAX_CUBE_BINS // max(1, len(frame))))
    for coarser in ("QS", "YS"):
        if len(starts) <= cap:
            break
        used = coarser
        bins, starts = _time_bins(d, coarser)
    if used != freq:
        warnings.warn(
            f"emerging_hotspots: {freq!r} bins would be too many; using {used!r} ({len(starts)} bins).",
            BorderwatchWarning,
            stacklevel=2,
        )
    t = len(starts)
    if t < min_bins:
        msg = f"emerging_hotspots: the dated incidents span only {t} time bins ({used}); at least {min_bins} are needed."
        raise DataError(msg)
    if not (isinstance(time_step, int | np.integer) and 0 <= time_step < max(t, 1)):
        msg = f"emerging_hotspots: time_step must be an integer from 0 to the number of bins - 1 ({t - 1}), not {time_step!r}."
        raise DataError(msg)
    w = resolve_weights(cells, weights)
    # all incidents (their projection is shared with the other steps), then the dated ones
    where = point_cells(cells, incidents.geometry)[dated]
    ok = where >= 0
    n = len(frame)
    counts = np.bincount(bins[ok] * n + where[ok], minlength=t * n).reshape(t, n).astype(float)
    gi_opts: dict[str, Any] = {
        "permutations": permutations,
        "max_permutations": max_permutations,
        "alpha": alpha,
        "fdr": fdr,
        "min_count": min_count,
        "inference": inference,
    }
    area = frame["area_km2"].to_numpy(float) if "area_km2" in frame.columns else np.ones(n)
    cube_w = cube_weights(adjacency(w, n)[0], t, time_step=int(time_step))
    hot, cold, zs = _cube_flags(counts, cube_w, np.tile(area, t), seed=seed, gi_opts=gi_opts)
    labels = _trends(hot, cold, zs, mk_alpha, skip=int(time_step))
    return EmergingHotspots(
        trend_class=pd.Series(pd.array(labels, dtype="str"), index=frame.index, name="trend_class"),
        freq=used,
        bins=t,
        start=starts[0],
        end=starts[-1],
        permutations=permutations,
        alpha=alpha,
        time_step=int(time_step),
    )


def cube_weights(w: sparse.csr_array, bins: int, *, time_step: int = 1) -> sparse.csr_array:
    """Binary space-time weights of a cube, observation ``b * n + i`` for cell ``i``, bin ``b``.

    Bin ``(i, b)`` links to ``(j, b)`` for each spatial neighbour ``j`` of
    ``i``, and to ``(i, b - l)`` and ``(j, b - l)`` for ``l = 1 .. time_step``
    (ArcGIS's neighbourhood time step; earlier bins only). No self-links: Gi*
    adds them.

    Examples
    --------
    >>> from scipy import sparse
    >>> w = sparse.csr_array([[0.0, 1.0], [1.0, 0.0]])
    >>> cube_weights(w, 2).toarray().astype(int).tolist()
    [[0, 1, 0, 0], [1, 0, 0, 0], [1, 1, 0, 1], [1, 1, 1, 0]]
    """
    n = w.shape[0]
    w = sparse.csr_array(w)
    if time_step == 0 or not (w.has_canonical_format and np.all(w.data != 0)):
        return _kron_cube(w, bins, time_step)
    # Block row b is [around x min(b, time_step), w] shifted by max(b - time_step, 0) * n
    # columns: built from these few templates rather than by summing Kronecker
    # products (the same matrix, several times faster on a large cube).
    dtype = np.result_type(w.dtype, np.float64)
    around = sparse.csr_array(w + sparse.eye(n))
    rows = []
    for b in range(min(bins, time_step + 1)):
        row = sparse.csr_array(sparse.hstack([around] * b + [w], format="csr"))
        row.sort_indices()
        rows.append(row)
    head = rows[:time_step]
    times = max(bins - time_step, 0)
    tail = rows[time_step] if times else sparse.csr_array((n, n))
    nnz = sum(r.nnz for r in head) + times * tail.nnz
    # 32-bit indices when they fit, as scipy makes them (Gi* is slower on 64-bit ones);
    # written once into the final arrays (the repeated rows as a broadcast)
    itype = np.int32 if max(bins * n, nnz) < np.iinfo(np.int32).max else np.int64
    data = np.empty(nnz, dtype=dtype)
    flat = np.empty(nnz, dtype=itype)
    at = 0
    for r in head:
        data[at : at + r.nnz] = r.data
        flat[at : at + r.nnz] = r.indices
        at += r.nnz
    if times:
        shifts = np.arange(times, dtype=itype) * np.asarray(n, dtype=itype)
        data[at:].reshape(times, tail.nnz)[:] = tail.data
        np.add(
            tail.indices.astype(itype)[None, :],
            shifts[:, None],
            out=flat[at:].reshape(times, tail.nnz),
        )
    lengths = [np.diff(r.indptr) for r in head] + [np.tile(np.diff(tail.indptr), times)]
    indptr = np.r_[0, np.cumsum(np.concatenate(lengths))]
    return sparse.csr_array((data, flat, indptr.astype(itype)), shape=(bins * n, bins * n))


def _kron_cube(w: sparse.csr_array, bins: int, time_step: int) -> sparse.csr_array:
    """:func:`cube_weights` as a sum of Kronecker products (weights with stored zeros)."""
    n = w.shape[0]
    out = sparse.kron(sparse.eye(bins), w, format="csr")
    around = sparse.csr_array(w) + sparse.eye(n)
    for lag in range(1, time_step + 1):
        out = out + sparse.kron(sparse.eye(bins, k=-lag), around, format="csr")
    return sparse.csr_array(out)


def _dated(incidents: gpd.GeoDataFrame) -> tuple[pd.Series, np.ndarray]:
    """The dates of the dated incidents, and which incidents have one."""
    if "date" not in incidents.columns:
        msg = "emerging_hotspots: the incidents have no 'date' column. Hint: name their time column with [[time_col]] when reading them."
        raise DataError(msg)
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    dated = dates.notna().to_numpy()
    if dated.sum() == 0:
        msg = "emerging_hotspots: no incident has a date."
        raise DataError(msg)
    return dates[dated], dated


def _cube_flags(
    counts: np.ndarray,
    w: sparse.csr_array,
    exposure: np.ndarray,
    *,
    seed: int,
    gi_opts: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hot and cold flags and Gi* z-scores (cells x bins) of Gi* on the whole cube."""
    t, n = counts.shape
    res = gi_star(counts.ravel(), w, seed=seed, exposure=exposure, **gi_opts).table
    alpha = gi_opts["alpha"]
    hot = np.asarray(is_hot(res, alpha=alpha)).reshape(t, n).T
    cold = np.asarray(is_hot(res, alpha=alpha, kind="cold")).reshape(t, n).T
    zs = res["gi_z"].to_numpy().reshape(t, n).T
    return hot, cold, zs


def _trends(
    hot: np.ndarray, cold: np.ndarray, zs: np.ndarray, mk_alpha: float, *, skip: int = 0
) -> np.ndarray:
    """Trend class of each cell: Mann-Kendall on the z-scores of cells ever hot or cold.

    The first ``skip`` bins (``time_step``) are left out of the trend test:
    their neighbourhoods lack the earlier bins, so their z-scores are lower by
    construction and would show a flat series as rising.
    """
    n = len(hot)
    active = hot.any(axis=1) | cold.any(axis=1)
    mk_z = np.zeros(n)
    mk_p = np.ones(n)
    if active.any():
        _, mk_z[active], mk_p[active] = mk_test(zs[active][:, skip:])
    return _classify_trend(hot, cold, mk_z, mk_p, mk_alpha)
