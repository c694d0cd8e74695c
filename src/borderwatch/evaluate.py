"""Predictive accuracy of hotspot maps on a temporal split: PAI, PEI and RRI.

:func:`evaluate` compares methods (Gi*, kernel density, plain counts, the
significant hot spots) and cell sizes at equal coverage (the same share of the
study area for every method: 1, 2, 5 and 10 % by default, or a whole curve
with :func:`pai_curves`); :func:`hotspot_pai` gives the PAI of the hotspot map
at its own coverage on the analysis grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ._crs import require_crs, to_metric
from ._errors import DataError
from ._geom import projected
from ._inputs import check_points, check_units, metric_xy, remember_xy
from ._lattice import Grid, cells_frame
from ._schema import is_hot
from ._stats import adjacency, gi_analytic
from ._warnings import withheld
from .grid import default_cell_km, hex_grid, point_cells, square_grid
from .hotspots import gi_star
from .weights import resolve_weights

__all__ = [
    "COVERAGE_LEVELS",
    "METHODS",
    "evaluate",
    "evaluation_records",
    "hotspot_pai",
    "pai_curves",
    "score_counts",
    "split_date_of",
]

#: The methods :func:`evaluate` knows.
METHODS = ("gi", "kde", "counts", "hotspots")
#: The shares of the study area at which :func:`evaluate` compares methods.
COVERAGE_LEVELS = (0.01, 0.02, 0.05, 0.10)


def _split_date(dates: pd.Series, split: Any) -> pd.Timestamp:
    return split_date_of(dates.quantile, dates.min(), split)


def split_date_of(
    quantile: Callable[[float], Any], first: Any, split: float | str | pd.Timestamp | None
) -> pd.Timestamp:
    """The split date of :func:`evaluate`: ``split`` itself when it is a date; for a
    fraction, the start of the month of the dates' ``quantile(split)`` (the day itself
    when that month starts on or before the ``first`` date).

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-20", "2024-04-02"]))
    >>> str(split_date_of(d.quantile, d.min(), 0.75).date())
    '2024-03-01'
    """
    if split is None:
        split = 0.75
    if isinstance(split, float) and 0 < split < 1:
        q = pd.Timestamp(str(quantile(split)))
        ts = q.to_period("M").to_timestamp()
        if ts <= first:
            ts = q.normalize()
        return ts
    try:
        return pd.Timestamp(split)
    except (TypeError, ValueError) as exc:
        msg = f"evaluate: split must be a date or a fraction in (0, 1), not {split!r}."
        raise DataError(msg) from exc


def _ranking(*keys: np.ndarray) -> np.ndarray:
    """Cells by decreasing ``keys`` (first key first), then by position: deterministic."""
    n = len(keys[0])
    return np.lexsort((np.arange(n), *[-np.asarray(k, dtype=float) for k in keys[::-1]]))


def _take(order: np.ndarray, area: np.ndarray, coverage: float) -> tuple[np.ndarray, float]:
    """Share of each cell flagged when the ranking ``order`` fills exactly ``coverage`` of the area.

    Whole cells in order, and the share of the next one that completes the
    area (so every method covers the same area).
    """
    share = np.zeros(len(order))
    target = coverage * area.sum()
    cum = np.cumsum(area[order])
    k = int(np.searchsorted(cum, target, side="left"))
    share[order[:k]] = 1.0
    if k < len(order):
        before = cum[k - 1] if k else 0.0
        share[order[k]] = min(1.0, (target - before) / area[order[k]])
    return share, coverage


def _own(sel: np.ndarray, area: np.ndarray) -> tuple[np.ndarray, float]:
    """The cells ``sel`` whole, at the area they cover."""
    return sel.astype(float), float(area[sel].sum() / area.sum()) if sel.any() else 0.0


def evaluate(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    method: str | Sequence[str] = ("gi", "kde", "counts"),
    cell_km: float | Sequence[float] | None = None,
    shape: Literal["hex", "square"] = "hex",
    split: float | str | pd.Timestamp | None = 0.75,
    coverage: float | Sequence[float] = COVERAGE_LEVELS,
    crs: CRS | str | None = None,
    permutations: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    bandwidth_km: float | None = None,
) -> pd.DataFrame:
    """Predictive accuracy of hotspot methods on a temporal split, at equal coverage.

    Methods are fitted on the incidents before ``split`` and scored on those
    from ``split`` on, over the same grid and at the same shares of the study
    area, so that analysts can choose a method and a cell size on evidence.
    PAI grows as coverage shrinks, so only figures at equal coverage compare.

    Methods
    -------
    Each method ranks the cells: ``"gi"`` by Gi* z-score of the fit counts;
    ``"kde"`` by the Gaussian kernel density of the fit incidents at the cell
    centres (:func:`borderwatch.density.density`, bandwidth ``bandwidth_km``,
    default the cell size); ``"counts"`` by fit counts (the naive baseline);
    ``"hotspots"`` the significant hot cells of
    :func:`~borderwatch.hotspots.gi_star` (default inference, FDR at
    ``alpha``) by confidence, then the other cells by z-score. Ties are broken
    by the fit count of the cell (so a cell without a fit incident never goes
    ahead of a tied cell with one), then for ``"counts"`` by Gi* z-score, then
    by position. The top of each ranking fills exactly each ``coverage`` share
    of the area (the last cell in part). ``"hotspots"`` also gets a row at its
    own coverage (``at="own"``, first): the map as it is drawn.

    Metrics
    -------
    With ``n`` test incidents in the flagged cells, ``N`` in all cells, ``a``
    the flagged area and ``A`` the total area:

    * PAI = ``(n / N) / (a / A)`` (Chainey, Tompson and Uhlig 2008);
    * PEI = ``n / n*``, ``n*`` the most test incidents any part of the grid
      of the same area holds (Hunt 2016);
    * RRI = ``(n / n_fit) / (N / N_fit)``, the ratio of test to fit incidents
      in the flagged cells over the same ratio overall (Levine 2008).

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with ``date``; undated ones are ignored.
    units : GeoDataFrame
        Study area.
    method : str or list of str
    cell_km : float or list of float, optional
        Default :func:`borderwatch.grid.default_cell_km` on the fit incidents.
    split : float, date or str, default 0.75
        A fraction: the month start at that quantile of the dates; or a date.
    coverage : float or list of float, default (0.01, 0.02, 0.05, 0.10)
        The shares of the study area at which every method is scored.

    Returns
    -------
    DataFrame
        One row per method, cell size and coverage: ``method``, ``cell_km``,
        ``split_date``, ``at`` (``"fixed"``, or ``"own"`` for the hotspot map
        as drawn), ``n_fit``, ``n_test``, ``n_cells``, ``cells_flagged``,
        ``coverage``, ``hit_rate``, ``pai``, ``pei``, ``rri``.

    References
    ----------
    Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot
    mapping for predicting spatial patterns of crime. Security Journal 21, 4-28.
    Hunt, J. M. (2016). Do crime hot spots move? Exploring the effects of the
    modifiable areal unit problem and modifiable temporal unit problem on crime
    hot spot stability. PhD thesis, American University.
    Levine, N. (2008). The "hottest" part of a hotspot: comments on "The
    utility of hotspot mapping for predicting spatial patterns of crime".
    Security Journal 21, 295-302.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 100_000, 100_000)], crs=3857)
    >>> rng = np.random.default_rng(2)
    >>> xy = np.vstack([rng.uniform(0, 100_000, (300, 2)), rng.normal(30_000, 2_000, (300, 2))])
    >>> pts = gpd.GeoDataFrame({"date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, 600), "D")},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> res = evaluate(pts, units, method="counts", cell_km=5)
    >>> res["coverage"].tolist(), bool(res.loc[0, "pai"] > 5)
    ([0.01, 0.02, 0.05, 0.1], True)
    """
    incidents = check_points(incidents)
    units = check_units(units)
    methods, levels = _check_options(incidents, method, coverage)
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    units_m, metric = to_metric(units, crs)
    has_date = dates.notna().to_numpy()
    d = dates[dates.notna()]
    if len(d) < 2:
        msg = "evaluate: fewer than two dated incidents."
        raise DataError(msg)
    split_date = _split_date(d, split)
    is_fit = (d < split_date).to_numpy()
    if is_fit.all() or not is_fit.any():
        msg = f"evaluate: the split at {split_date.date()} leaves no fit or no test incidents. Hint: choose another split."
        raise DataError(msg)
    fitted = np.zeros(len(has_date), dtype=bool)  # the fit incidents among all
    fitted[has_date] = is_fit
    fit = _metric_points(incidents, metric)[fitted]  # (the test ones are counted per cell)
    if "kde" in methods:
        _remember_fit(incidents, metric, fitted, fit)
    sizes: list[float | None] = (
        [cell_km] if cell_km is None or isinstance(cell_km, int | float) else list(cell_km)
    )
    build = hex_grid if shape == "hex" else square_grid
    rows = []
    for size in sizes:
        ck = (
            float(size)
            if size is not None
            else default_cell_km(fit, units=units_m, crs=metric, shape=shape)
        )
        grid = build(units_m, cell_km=ck, crs=metric)
        # the cells of all incidents (remembered when the hotspot grid is the same lattice)
        every = point_cells(grid, projected(incidents.geometry, metric))[has_date]
        rows += _score_cells(
            fit,
            grid,
            where=(every[is_fit], every[~is_fit]),
            methods=methods,
            split_date=split_date,
            coverage=levels,
            weights=None,
            permutations=permutations,
            seed=seed,
            alpha=alpha,
            bandwidth_km=bandwidth_km,
        )
    return pd.DataFrame(rows)


def _metric_points(incidents: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """The incidents' points in ``crs`` (their projection shared with the other steps),
    so that the fit and test subsets are not reprojected one by one."""
    geo = projected(incidents.geometry, crs)
    return gpd.GeoDataFrame(geometry=geo, crs=geo.crs)


def _remember_fit(
    incidents: gpd.GeoDataFrame,
    metric: CRS,
    fitted: np.ndarray,
    fit: gpd.GeoDataFrame,
) -> None:
    """Record the fit incidents' metric coordinates for the ``"kde"`` method's surface: those
    of all the incidents (which the other steps remember), rather than computed anew."""
    try:
        xy, _ = metric_xy(incidents, metric)
    except DataError:  # said where the surface is computed, as before
        return
    remember_xy(fit.geometry.array, metric, xy[fitted])


def _check_options(
    incidents: gpd.GeoDataFrame, method: str | Sequence[str], coverage: float | Sequence[float]
) -> tuple[list[str], list[float]]:
    """The methods and coverage levels asked for, once the incidents have dates and the options are valid."""
    if "date" not in incidents.columns:
        msg = "evaluate: the incidents have no 'date' column; a temporal split needs dates."
        raise DataError(msg)
    levels = [coverage] if isinstance(coverage, int | float) else list(coverage)
    if not levels or not all(isinstance(c, int | float) and 0 < c < 1 for c in levels):
        msg = f"evaluate: coverage must be between 0 and 1 (or a list of such), not {coverage!r}."
        raise DataError(msg)
    methods = [method] if isinstance(method, str) else list(method)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        msg = (
            f"evaluate: unknown method(s) {unknown}. Hint: use 'gi', 'kde', 'counts' or 'hotspots'."
        )
        raise DataError(msg)
    return methods, [float(c) for c in levels]


def _score_cells(
    fit: gpd.GeoDataFrame | None,
    cells: Grid | gpd.GeoDataFrame,
    *,
    where: tuple[np.ndarray, np.ndarray],
    methods: Sequence[str],
    split_date: pd.Timestamp,
    coverage: Sequence[float],
    weights: Any,
    permutations: int,
    seed: int,
    alpha: float,
    bandwidth_km: float | None,
) -> list[dict[str, Any]]:
    """Fit each method over ``cells`` and score it at each coverage; ``where`` holds the
    cells of the fit and the test incidents, ``fit`` their points (for ``"kde"`` only)."""
    n = len(cells_frame(cells))
    wf, wt = where

    def kde(frame: gpd.GeoDataFrame, bw: float) -> np.ndarray:
        if fit is None:
            msg = "the kde method needs the fit incidents"
            raise ValueError(msg)
        return _kde_score(fit, frame, CRS(frame.crs), bw)

    return score_counts(
        np.bincount(wf[wf >= 0], minlength=n),
        np.bincount(wt[wt >= 0], minlength=n),
        cells,
        kde=kde,
        methods=methods,
        split_date=split_date,
        coverage=coverage,
        weights=weights,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        bandwidth_km=bandwidth_km,
    )


def score_counts(
    fit_counts: np.ndarray,
    test_counts: np.ndarray,
    cells: Grid | gpd.GeoDataFrame,
    *,
    kde: Callable[[gpd.GeoDataFrame, float], np.ndarray],
    methods: Sequence[str],
    split_date: pd.Timestamp,
    coverage: Sequence[float],
    weights: Any,
    permutations: int,
    seed: int,
    alpha: float,
    bandwidth_km: float | None,
) -> list[dict[str, Any]]:
    """The rows of :func:`evaluate` from the fit and test incidents per cell of ``cells``.

    ``kde(frame, bandwidth_km)`` gives the fit incidents' kernel density at the cell
    centres (the frame's ``x_m``, ``y_m``), only called for ``"kde"``. The dask engine
    calls this with counts and a density summed over its partitions.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import square_grid
    >>> cells = square_grid(gpd.GeoSeries([box(0, 0, 30_000, 30_000)], crs=3857), cell_km=10)
    >>> fit, test = np.array([5, 0, 0, 0, 9, 0, 0, 0, 1]), np.array([2, 0, 0, 0, 6, 0, 0, 0, 0])
    >>> rows = score_counts(fit, test, cells, kde=None, methods=["counts"], split_date=pd.Timestamp("2024-01-01"),
    ...     coverage=[0.1], weights=None, permutations=0, seed=0, alpha=0.05, bandwidth_km=None)
    >>> round(float(rows[0]["hit_rate"]), 3), round(float(rows[0]["pai"]), 2)  # 10 % of the area
    (0.675, 6.75)
    """
    ck = cells.cell_km if isinstance(cells, Grid) else math.nan
    w = resolve_weights(cells, weights)
    frame = cells_frame(cells)
    area = frame["area_km2"].to_numpy(float)
    cf = np.asarray(fit_counts, dtype=float)
    ct = np.asarray(test_counts, dtype=float)
    _, z = gi_analytic(cf, adjacency(w, len(cf))[0])
    rows = []
    for meth in methods:
        flagged: list[tuple[str, tuple[np.ndarray, float]]] = []
        if meth == "counts":
            order = _ranking(cf, z)
        elif meth == "gi":
            order = _ranking(z, cf)
        elif meth == "kde":
            bw = bandwidth_km or (ck if math.isfinite(ck) else math.sqrt(np.median(area)))
            order = _ranking(kde(frame, bw), cf)
        else:
            res = gi_star(
                cf, w, permutations=permutations, seed=seed, alpha=alpha, min_count=3, exposure=area
            )
            sel = is_hot(res.table, alpha=alpha)
            conf = np.where(sel, res.table["hotspot_confidence"].to_numpy(float), 0.0)
            order = _ranking(conf, z, cf)
            flagged.append(("own", _own(sel, area)))
        flagged += [("fixed", _take(order, area, c)) for c in coverage]
        rows += [
            _scores(meth, ck, split_date, cf, ct, area, share, cov, at=at)
            for at, (share, cov) in flagged
        ]
    return rows


def _kde_score(
    points: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, crs: CRS, bandwidth_km: float
) -> np.ndarray:
    """The kernel density of ``points`` at the cell centres, from :func:`borderwatch.density.density`.

    The surface's pixel is a quarter of the bandwidth (coarser only to stay
    under 4 million pixels); each centre takes the value of its pixel.
    """
    from .density import kde_values

    bounds, pixel = kde_frame(cells, bandwidth_km)
    with withheld():
        values, cell = kde_values(
            points, bandwidth_km=bandwidth_km, cell_km=pixel, crs=crs, bounds=bounds
        )
    return kde_at_centres(values, cell, bounds, cells)


def kde_frame(
    cells: gpd.GeoDataFrame, bandwidth_km: float
) -> tuple[tuple[float, float, float, float], float]:
    """The bounds (the cells') and pixel (km) of the ``"kde"`` method's density surface."""
    minx, miny, maxx, maxy = (float(v) for v in cells.total_bounds)
    area_km2 = (maxx - minx) * (maxy - miny) / 1e6
    return (minx, miny, maxx, maxy), max(bandwidth_km / 4.0, math.sqrt(area_km2 / 4e6))


def kde_at_centres(
    values: np.ndarray,
    cell_km: float,
    bounds: tuple[float, float, float, float],
    cells: gpd.GeoDataFrame,
) -> np.ndarray:
    """The surface ``values`` (north-up from ``bounds``' top-left corner, pixels of
    ``cell_km``) at each cell centre: the value of its pixel."""
    minx, _, _, maxy = bounds
    rows, cols = values.shape
    step = cell_km * 1000.0
    col = np.clip(((cells["x_m"].to_numpy(float) - minx) // step).astype(np.int64), 0, cols - 1)
    row = np.clip(((maxy - cells["y_m"].to_numpy(float)) // step).astype(np.int64), 0, rows - 1)
    return values[row, col]


def evaluation_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The evaluation as ``summary.json`` records it: every method at each coverage (and
    the hotspot map as drawn, ``at="own"``), with the columns that compare methods."""
    keep = [
        c
        for c in ("method", "cell_km", "split_date", "at", "coverage", "pai", "pei", "rri")
        if c in table.columns
    ]
    out = table[keep].copy()
    out["coverage"] = out["coverage"].round(6)
    if "split_date" in out:
        out["split_date"] = pd.to_datetime(out["split_date"]).dt.strftime("%Y-%m-%d")
    return out.to_dict("records")  # type: ignore[return-value]


def _scores(
    method: str,
    ck: float,
    split_date: pd.Timestamp,
    cf: np.ndarray,
    ct: np.ndarray,
    area: np.ndarray,
    share: np.ndarray,
    coverage: float,
    *,
    at: str,
) -> dict[str, Any]:
    """The metrics of flagging ``share`` of each cell, with fit counts ``cf`` and test counts ``ct``."""
    n_fit_all, n_test_all = cf.sum(), ct.sum()
    n = float((ct * share).sum())
    best, _ = _take(_ranking(ct / area), area, coverage)
    n_star = float((ct * best).sum())
    hit = n / n_test_all if n_test_all else math.nan
    nf = float((cf * share).sum())
    return {
        "method": method,
        "cell_km": ck,
        "split_date": split_date,
        "at": at,
        "n_fit": int(n_fit_all),
        "n_test": int(n_test_all),
        "n_cells": len(cf),
        "cells_flagged": int((share > 0).sum()),
        "coverage": coverage,
        "hit_rate": hit,
        "pai": hit / coverage if coverage > 0 and n_test_all else math.nan,
        "pei": n / n_star if n_star > 0 else math.nan,
        "rri": (n / nf) / (n_test_all / n_fit_all)
        if nf > 0 and n_fit_all and n_test_all
        else math.nan,
    }


def pai_curves(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    levels: Sequence[float] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """PAI (and hit rate, PEI, RRI) of each method over a range of coverage.

    :func:`evaluate` at ``levels`` (default 0.5 % to 30 % in steps of 0.5 %),
    every method at each share of the area; ``options`` are those of
    :func:`evaluate`. The hotspot map's own point is left out (it is one
    coverage, not a curve).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA"]}, geometry=[box(0, 0, 100_000, 100_000)], crs=3857)
    >>> rng = np.random.default_rng(2)
    >>> xy = np.vstack([rng.uniform(0, 100_000, (300, 2)), rng.normal(30_000, 2_000, (300, 2))])
    >>> pts = gpd.GeoDataFrame({"date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, 600), "D")},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> curves = pai_curves(pts, units, method=["counts", "gi"], cell_km=5)
    >>> len(curves), bool(curves["pai"].iloc[0] > curves["pai"].iloc[-1])
    (120, True)
    """
    grid = np.round(np.arange(0.005, 0.3001, 0.005), 3) if levels is None else levels
    table = evaluate(incidents, units, coverage=[float(c) for c in grid], **options)
    return table[table["at"] == "fixed"].reset_index(drop=True)


def hotspot_pai(
    incidents: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    *,
    weights: Any = None,
    alpha: float = 0.05,
    seed: int = 0,
    permutations: int = 0,
    split: float | str | pd.Timestamp | None = 0.75,
    min_span_days: int = 180,
    min_incidents: int = 50,
) -> float | None:
    """PAI of the hotspot map on its grid, or None when it cannot be judged.

    The significant hot cells (:func:`~borderwatch.hotspots.gi_star` with the
    default inference, as :func:`~borderwatch.hotspots.cell_hotspots` and
    :func:`evaluate` with ``method="hotspots"``) are found on ``cells`` from
    the incidents before ``split`` and scored on the later ones at the area
    they cover (the ``at="own"`` row of :func:`evaluate`):
    ``PAI = (n / N) / (a / A)``. Compare methods with :func:`evaluate`, at
    equal coverage: a map that flags less area has a higher PAI for that
    alone. Returns None when the dated incidents span
    fewer than ``min_span_days`` days, are fewer than ``min_incidents``, leave
    fewer than 10 on either side of the split, or when the earlier period has
    no hot spot.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with ``date``.
    cells : Grid or GeoDataFrame
        The analysis grid (``CellHotspots.grid``, or
        :func:`borderwatch.grid.hex_grid` of the study area), metric CRS.
    weights : SpatialWeights or dict, optional
        The weights (``CellHotspots.weights``) or their spec; default the
        natural distance band of ``cells``.
    alpha, seed, permutations
        As in :func:`~borderwatch.hotspots.gi_star`.
    split : float, date or str, default 0.75
        As in :func:`evaluate`.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> from borderwatch.grid import hex_grid
    >>> grid = hex_grid(gpd.GeoSeries([box(0, 0, 1e5, 1e5)], crs=3857), cell_km=10)
    >>> pts = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-01-01"] * 3)}, geometry=[Point(1, 1)] * 3, crs=3857)
    >>> hotspot_pai(pts, grid) is None  # three incidents on one day: nothing to judge
    True
    >>> rng = np.random.default_rng(4)
    >>> xy = np.vstack([rng.uniform(0, 1e5, (300, 2)), rng.normal(3e4, 2e3, (300, 2))])
    >>> pts = gpd.GeoDataFrame({"date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, 600), "D")},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> bool(hotspot_pai(pts, grid) > 5)
    True
    """
    incidents = check_points(incidents)
    frame = cells_frame(cells)
    require_crs(frame, what="cells")
    if "date" not in incidents.columns or "area_km2" not in frame.columns:
        return None
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    ok = dates.notna().to_numpy()
    d = dates[ok]
    if len(d) < min_incidents or (d.max() - d.min()).days < min_span_days:
        return None
    split_date = _split_date(d, split)
    is_fit = (d < split_date).to_numpy()
    if int(is_fit.sum()) < 10 or int((~is_fit).sum()) < 10:
        return None
    # the cells of all incidents: the hotspot grid's look-up, remembered from its statistics
    every = point_cells(cells, projected(incidents.geometry, CRS(frame.crs)))[ok]
    row = _score_cells(
        None,
        cells,
        where=(every[is_fit], every[~is_fit]),
        methods=["hotspots"],
        split_date=split_date,
        coverage=[],
        weights=weights,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        bandwidth_km=None,
    )[0]
    pai = float(row["pai"])
    return pai if math.isfinite(pai) and row["cells_flagged"] > 0 else None
