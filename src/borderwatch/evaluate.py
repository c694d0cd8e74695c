"""Predictive accuracy of hotspot maps on a temporal split: PAI, PEI and RRI.

:func:`evaluate` compares methods (Gi*, kernel density, plain counts, the
significant hot spots) and cell sizes; :func:`hotspot_pai` gives the one figure
that ``summary.json`` records: the PAI of the hotspot map on the analysis grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._crs import require_crs, to_metric
from ._errors import DataError
from ._inputs import check_points, check_units
from ._lattice import Grid, cells_frame
from ._schema import is_hot
from ._stats import adjacency, gi_analytic
from .grid import default_cell_km, hex_grid, point_cells, square_grid
from .hotspots import gi_star
from .weights import resolve_weights

__all__ = ["METHODS", "evaluate", "hotspot_pai"]

#: The methods :func:`evaluate` knows.
METHODS = ("gi", "kde", "counts", "hotspots")


def _split_date(dates: pd.Series, split: Any) -> pd.Timestamp:
    if split is None:
        split = 0.75
    if isinstance(split, float) and 0 < split < 1:
        q = pd.Timestamp(str(dates.quantile(split)))
        ts = q.to_period("M").to_timestamp()
        if ts <= dates.min():
            ts = q.normalize()
        return ts
    try:
        return pd.Timestamp(split)
    except (TypeError, ValueError) as exc:
        msg = f"evaluate: split must be a date or a fraction in (0, 1), not {split!r}."
        raise DataError(msg) from exc


def _top_area(score: np.ndarray, area: np.ndarray, coverage: float) -> np.ndarray:
    """Cells with the highest score until ``coverage`` of the area is reached."""
    order = np.lexsort((np.arange(len(score)), -score))
    cum = np.cumsum(area[order])
    k = int(np.searchsorted(cum, coverage * area.sum(), side="left")) + 1
    sel = np.zeros(len(score), dtype=bool)
    sel[order[: min(k, len(score))]] = True
    return sel


def evaluate(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    method: str | Sequence[str] = ("gi", "kde", "counts"),
    cell_km: float | Sequence[float] | None = None,
    shape: Literal["hex", "square"] = "hex",
    split: float | str | pd.Timestamp | None = 0.75,
    coverage: float = 0.05,
    crs: CRS | str | None = None,
    permutations: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    bandwidth_km: float | None = None,
) -> pd.DataFrame:
    """Predictive accuracy of hotspot methods on a temporal split.

    Methods are fitted on the incidents before ``split`` and scored on those
    from ``split`` on, over the same grid, so that analysts can choose a
    method and a cell size on evidence.

    Methods
    -------
    ``"gi"``: cells ranked by Gi* z-score of the fit counts. ``"kde"``: ranked
    by a Gaussian kernel density of the fit incidents at the cell centres
    (scikit-learn, bandwidth ``bandwidth_km``, default the cell size).
    ``"counts"``: ranked by fit counts (the naive baseline). For these the top
    cells covering ``coverage`` of the study area are flagged. ``"hotspots"``:
    the significant hot cells of :func:`~borderwatch.hotspots.gi_star` (default
    inference, FDR at ``alpha``, 95 % confidence or more by default), whatever
    area they cover.

    Metrics
    -------
    With ``n`` test incidents in the flagged cells, ``N`` in all cells, ``a``
    the flagged area and ``A`` the total area:

    * PAI = ``(n / N) / (a / A)`` (Chainey, Tompson and Uhlig 2008);
    * PEI = ``n / n*``, ``n*`` the most test incidents any set of as many
      cells holds (Hunt 2016);
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
    coverage : float, default 0.05
        Area fraction flagged by the ranking methods.

    Returns
    -------
    DataFrame
        One row per method and cell size: ``method``, ``cell_km``,
        ``split_date``, ``n_fit``, ``n_test``, ``n_cells``, ``cells_flagged``,
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
    >>> bool(res.loc[0, "pai"] > 5)
    True
    """
    incidents = check_points(incidents)
    units = check_units(units)
    methods = _check_options(incidents, method, coverage)
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    dated = incidents[dates.notna().to_numpy()]
    d = dates[dates.notna()]
    if len(dated) < 2:
        msg = "evaluate: fewer than two dated incidents."
        raise DataError(msg)
    split_date = _split_date(d, split)
    is_fit = (d < split_date).to_numpy()
    fit, test = dated[is_fit], dated[~is_fit]
    if len(fit) == 0 or len(test) == 0:
        msg = f"evaluate: the split at {split_date.date()} leaves no fit or no test incidents. Hint: choose another split."
        raise DataError(msg)
    units_m, metric = to_metric(units, crs)
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
        rows += _score_cells(
            fit,
            test,
            build(units_m, cell_km=ck, crs=metric),
            methods=methods,
            split_date=split_date,
            coverage=coverage,
            weights=None,
            permutations=permutations,
            seed=seed,
            alpha=alpha,
            bandwidth_km=bandwidth_km,
        )
    return pd.DataFrame(rows)


def _check_options(
    incidents: gpd.GeoDataFrame, method: str | Sequence[str], coverage: float
) -> list[str]:
    """The methods asked for, once the incidents have dates and the options are valid."""
    if "date" not in incidents.columns:
        msg = "evaluate: the incidents have no 'date' column; a temporal split needs dates."
        raise DataError(msg)
    if not 0 < coverage < 1:
        msg = f"evaluate: coverage must be between 0 and 1, not {coverage!r}."
        raise DataError(msg)
    methods = [method] if isinstance(method, str) else list(method)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        msg = (
            f"evaluate: unknown method(s) {unknown}. Hint: use 'gi', 'kde', 'counts' or 'hotspots'."
        )
        raise DataError(msg)
    return methods


def _score_cells(
    fit: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    *,
    methods: Sequence[str],
    split_date: pd.Timestamp,
    coverage: float,
    weights: Any,
    permutations: int,
    seed: int,
    alpha: float,
    bandwidth_km: float | None,
) -> list[dict[str, Any]]:
    """Fit each method on ``fit`` over ``cells`` and score it on ``test``."""
    ck = cells.cell_km if isinstance(cells, Grid) else math.nan
    w = resolve_weights(cells, weights) if {"gi", "hotspots"} & set(methods) else None
    frame = cells_frame(cells)
    area = frame["area_km2"].to_numpy(float)
    wf = point_cells(frame, fit.geometry)
    wt = point_cells(frame, test.geometry)
    cf = np.bincount(wf[wf >= 0], minlength=len(frame)).astype(float)
    ct = np.bincount(wt[wt >= 0], minlength=len(frame)).astype(float)
    rows = []
    for meth in methods:
        if meth == "counts":
            sel = _top_area(cf, area, coverage)
        elif meth == "gi":
            _, z = gi_analytic(cf, adjacency(w, len(cf))[0])
            sel = _top_area(z + 1e-9 * cf, area, coverage)
        elif meth == "kde":
            bw = bandwidth_km or (ck if math.isfinite(ck) else math.sqrt(np.median(area)))
            sel = _top_area(_kde_score(fit, frame, CRS(frame.crs), bw), area, coverage)
        else:
            res = gi_star(
                cf, w, permutations=permutations, seed=seed, alpha=alpha, min_count=3, exposure=area
            )
            sel = is_hot(res.table, alpha=alpha)
        rows.append(_scores(meth, ck, split_date, cf, ct, area, sel))
    return rows


def _kde_score(
    points: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, crs: CRS, bandwidth_km: float
) -> np.ndarray:
    from sklearn.neighbors import KernelDensity

    p = points.to_crs(crs) if not CRS(points.crs).equals(crs) else points
    xy = shapely.get_coordinates(np.asarray(p.geometry.array, dtype=object))
    kde = KernelDensity(bandwidth=bandwidth_km * 1000.0, kernel="gaussian").fit(xy)
    centres = np.column_stack([cells["x_m"].to_numpy(), cells["y_m"].to_numpy()])
    return kde.score_samples(centres)


def _scores(
    method: str,
    ck: float,
    split_date: pd.Timestamp,
    cf: np.ndarray,
    ct: np.ndarray,
    area: np.ndarray,
    sel: np.ndarray,
) -> dict[str, Any]:
    """The metrics of flagging ``sel``, with fit counts ``cf`` and test counts ``ct``."""
    n_fit_all, n_test_all = cf.sum(), ct.sum()
    a_frac = float(area[sel].sum() / area.sum()) if sel.any() else 0.0
    n = float(ct[sel].sum())
    k = int(sel.sum())
    n_star = float(np.sort(ct)[::-1][:k].sum()) if k else 0.0
    hit = n / n_test_all if n_test_all else math.nan
    nf = float(cf[sel].sum())
    return {
        "method": method,
        "cell_km": ck,
        "split_date": split_date,
        "n_fit": int(n_fit_all),
        "n_test": int(n_test_all),
        "n_cells": len(cf),
        "cells_flagged": k,
        "coverage": a_frac,
        "hit_rate": hit,
        "pai": hit / a_frac if a_frac > 0 and n_test_all else math.nan,
        "pei": n / n_star if n_star > 0 else math.nan,
        "rri": (n / nf) / (n_test_all / n_fit_all)
        if nf > 0 and n_fit_all and n_test_all
        else math.nan,
    }


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
    the incidents before ``split`` and scored on the later ones:
    ``PAI = (n / N) / (a / A)``. Returns None when the dated incidents span
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
    dated = incidents[ok]
    row = _score_cells(
        dated[is_fit],
        dated[~is_fit],
        cells,
        methods=["hotspots"],
        split_date=split_date,
        coverage=0.05,
        weights=weights,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        bandwidth_km=None,
    )[0]
    pai = float(row["pai"])
    return pai if math.isfinite(pai) and row["cells_flagged"] > 0 else None
