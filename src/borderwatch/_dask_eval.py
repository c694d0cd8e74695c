"""The evaluation of partitioned input from aggregates (the dask engine).

The pipeline's evaluation (:func:`borderwatch.evaluate.hotspot_pai` and
:func:`borderwatch.evaluate.evaluate` on a temporal split) needs, of the incidents:

1. the distribution of their dates, for the split date (the month of the dates' 75 %
   quantile) and the checks (how many are dated, over how many days): the dated
   incidents per day (summed from the planning's unit x day counts,
   :mod:`borderwatch.planning._tally`), of which the client takes the quantile as pandas
   does on all dates (:func:`date_quantile`);
2. on the analysis grid and on the evaluation's grid (both fixed by the units and the
   cell size, no data needed), the fit and test incidents per cell, and the fit
   incidents' kernel density surface on the ``"kde"`` method's grid (linear in the
   incidents, so summed like :mod:`borderwatch._dask_density`): :func:`split_counts`.

:func:`judged` scores them with :func:`borderwatch.evaluate.score_counts`, the code the
default engine runs on the points, so the PAI and the evaluation table equal the
default engine's on all rows (the density to rounding).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ._dask_density import SurfaceFrame, partition_surface
from ._errors import BorderwatchWarning, DataError
from ._lattice import Grid, cells_frame
from .settings import Settings

__all__ = [
    "EvaluationCounts",
    "EvaluationPlan",
    "date_quantile",
    "evaluation_counts",
    "evaluation_plan",
    "judged",
    "split_counts",
]

#: What :func:`borderwatch.pipeline._evaluate` asks of :func:`borderwatch.evaluate.evaluate`.
_METHODS = ("gi", "kde", "counts", "hotspots")


def date_quantile(counts: pd.Series, q: float) -> pd.Timestamp:
    """``pd.Series(dates).quantile(q)`` of the dates counted in ``counts`` (distinct dates,
    ascending, and how often each occurs), without the dates themselves.

    pandas takes numpy's linear quantile of the dates' integers; this finds the two
    order statistics it interpolates from the cumulative counts and interpolates them
    with numpy's formula, so the result is the same timestamp.

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-06-03", "2024-07-01"]))
    >>> date_quantile(d.value_counts().sort_index(), 0.75) == d.quantile(0.75)
    True
    """
    values = np.asarray(counts.index.values)
    n_of = np.asarray(counts.to_numpy(), dtype=np.int64)
    n = int(n_of.sum())
    ints = values.view("i8")
    qa = np.asarray([q], dtype=np.float64)
    virtual = (n - 1) * qa  # numpy's "linear" method
    prev = np.floor(virtual)
    nxt = prev + 1
    if virtual[0] >= n - 1:
        prev[:] = nxt[:] = n - 1
    elif virtual[0] < 0:
        prev[:] = nxt[:] = 0
    ends = np.cumsum(n_of)  # the sorted position just after each distinct date
    a = ints[np.searchsorted(ends, prev.astype(np.intp), side="right")]
    b = ints[np.searchsorted(ends, nxt.astype(np.intp), side="right")]
    gamma = virtual - np.floor(virtual) if 0 <= virtual[0] < n - 1 else np.zeros(1)
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe")
    return pd.Timestamp(out.astype(values.dtype)[0])


@dataclass(frozen=True)
class EvaluationCounts:
    """What the evaluation needs of partitioned input, summed over the partitions.

    Attributes
    ----------
    dates : Series
        Dated incidents per distinct date (ascending).
    split : Timestamp or None
        The split date (None with fewer than two dated incidents).
    hot_fit, hot_test : ndarray or None
        Fit and test incidents per cell of the analysis grid.
    eval_grid : Grid or None
        The evaluation's grid (``evaluate``'s, from the units and the cell size).
    eval_fit, eval_test : ndarray or None
        Fit and test incidents per cell of ``eval_grid``.
    kde : ndarray or None
        The fit incidents' kernel density at the centres of ``eval_grid``'s cells.
    why : str or None
        The :class:`~borderwatch.DataError` message ``evaluate`` raises for these
        dates (no evaluation), or None.
    """

    dates: pd.Series
    split: pd.Timestamp | None
    hot_fit: np.ndarray | None = None
    hot_test: np.ndarray | None = None
    eval_grid: Grid | None = None
    eval_fit: np.ndarray | None = None
    eval_test: np.ndarray | None = None
    kde: np.ndarray | None = None
    why: str | None = None


def _split_of(dates: pd.Series) -> tuple[pd.Timestamp | None, str | None]:
    """The split date of ``evaluate`` on these date counts, or why there is none."""
    from .evaluate import split_date_of

    n = int(dates.sum())
    if n < 2:
        return None, "evaluate: fewer than two dated incidents."
    split = split_date_of(lambda q: date_quantile(dates, q), pd.Timestamp(dates.index.min()), 0.75)
    n_fit = int(dates[dates.index < split].sum())
    if n_fit == 0 or n_fit == n:
        return split, (
            f"evaluate: the split at {split.date()} leaves no fit or no test incidents. "
            "Hint: choose another split."
        )
    return split, None


def _eval_grid(units: gpd.GeoDataFrame, crs: Any, cell_km: float, shape: str) -> Grid:
    """The grid :func:`borderwatch.evaluate.evaluate` builds (no data needed)."""
    from ._crs import to_metric
    from .grid import hex_grid, square_grid

    units_m, metric = to_metric(units, crs)
    build = hex_grid if shape == "hex" else square_grid
    return build(units_m, cell_km=cell_km, crs=metric)


def _kde_surface_frame(cells: gpd.GeoDataFrame, bandwidth_km: float) -> SurfaceFrame:
    """The grid of the ``"kde"`` method's density surface (as ``density`` builds it for
    the cells' bounds and the pixel of :func:`borderwatch.evaluate.kde_frame`)."""
    from .density import _cell_size, _check_bounds, _positive, grid_shape
    from .evaluate import kde_frame

    bounds, pixel = kde_frame(cells, bandwidth_km)
    h = _positive(bandwidth_km, "bandwidth_km")
    bkm = _check_bounds(bounds) / 1000.0
    cell = _cell_size(bkm, h, pixel)
    nx, ny = grid_shape(bkm, cell)
    return SurfaceFrame(float(bkm[0]), float(bkm[3]), nx, ny, cell, h, 2.0 * h)


def split_counts(
    part: gpd.GeoDataFrame,
    split: pd.Timestamp,
    grids: Sequence[Grid],
    frame: SurfaceFrame | None,
) -> dict[str, Any]:
    """A partition's fit and test incidents per cell of each grid, and its fit
    incidents' density surface on ``frame`` (on a worker)."""
    from .evaluate import _metric_points
    from .grid import point_cells

    out: dict[str, Any] = {"fit": [], "test": [], "kde": None}
    if "date" not in part.columns:
        return out
    dates = pd.to_datetime(part["date"], errors="coerce")
    ok = dates.notna().to_numpy()
    is_fit = (dates[ok] < split).to_numpy()
    crs = CRS(grids[0].cells.crs)
    dated = _metric_points(part, crs)[ok]
    fit, test = dated[is_fit], dated[~is_fit]
    for grid in grids:
        n = len(grid.cells)
        wf, wt = point_cells(grid, fit.geometry), point_cells(grid, test.geometry)
        out["fit"].append(np.bincount(wf[wf >= 0], minlength=n).astype(np.int64))
        out["test"].append(np.bincount(wt[wt >= 0], minlength=n).astype(np.int64))
    if frame is not None:  # the surface lies on evaluate's grid, in its CRS (not the lattice's)
        out["kde"] = partition_surface(fit, CRS(grids[-1].cells.crs), frame)["values"]
    return out


@dataclass(frozen=True)
class EvaluationPlan:
    """What the workers need for the evaluation's counts: the split date, the two grids
    (the analysis grid, then ``evaluate``'s) and the ``"kde"`` surface's grid."""

    dates: pd.Series
    split: pd.Timestamp | None
    why: str | None
    grids: tuple[Grid, ...] = ()
    frame: SurfaceFrame | None = None

    @property
    def ready(self) -> bool:
        """Whether there is anything to count (a split with fit and test incidents)."""
        return self.split is not None and self.why is None


def evaluation_plan(
    dates: pd.Series, grid: Grid, units: gpd.GeoDataFrame, crs: Any, s: Settings
) -> EvaluationPlan:
    """The split date of the dates counted in ``dates`` and the grids to count on."""
    split, why = _split_of(dates)
    if split is None or why is not None:
        return EvaluationPlan(dates=dates, split=split, why=why)
    cell_km = float(grid.cell_km)
    ev = _eval_grid(units, crs, cell_km, s.grid)
    frame = _kde_surface_frame(cells_frame(ev), cell_km)
    return EvaluationPlan(dates=dates, split=split, why=None, grids=(grid, ev), frame=frame)


def evaluation_counts(plan: EvaluationPlan, got: Sequence[dict[str, Any]]) -> EvaluationCounts:
    """The partitions' :func:`split_counts` summed."""
    from .evaluate import kde_at_centres

    if not plan.ready:
        return EvaluationCounts(dates=plan.dates, split=plan.split, why=plan.why)
    summed = [np.sum([g[key][i] for g in got], axis=0) for key in ("fit", "test") for i in (0, 1)]
    values = np.sum([g["kde"] for g in got], axis=0)
    ev = plan.grids[1]
    cells = cells_frame(ev)
    bounds = tuple(float(v) for v in cells.total_bounds)
    return EvaluationCounts(
        dates=plan.dates,
        split=plan.split,
        hot_fit=summed[0],
        hot_test=summed[2],
        eval_grid=ev,
        eval_fit=summed[1],
        eval_test=summed[3],
        kde=kde_at_centres(values, plan.frame.cell, bounds, cells),  # type: ignore[arg-type,union-attr]
    )


def _hotspot_pai(ec: EvaluationCounts, hot: Any, s: Settings) -> float | None:
    """:func:`borderwatch.evaluate.hotspot_pai` of the counts (its defaults, as the
    pipeline calls it)."""
    from .evaluate import score_counts

    d = ec.dates
    if "area_km2" not in cells_frame(hot.stats.grid).columns or ec.hot_fit is None:
        return None
    n = int(d.sum())
    if n < 50 or (pd.Timestamp(d.index.max()) - pd.Timestamp(d.index.min())).days < 180:
        return None
    n_fit = int(d[d.index < ec.split].sum())
    if n_fit < 10 or n - n_fit < 10:
        return None
    row = score_counts(
        ec.hot_fit,
        ec.hot_test,  # type: ignore[arg-type]
        hot.stats.grid,
        kde=_no_kde,
        methods=["hotspots"],
        split_date=ec.split,  # type: ignore[arg-type]
        coverage=[],
        weights=hot.stats.weights,
        permutations=0,
        seed=s.seed,
        alpha=s.alpha,
        bandwidth_km=None,
    )[0]
    pai = float(row["pai"])
    return pai if np.isfinite(pai) and row["cells_flagged"] > 0 else None


def _no_kde(_frame: gpd.GeoDataFrame, _bw: float) -> np.ndarray:
    msg = "internal: no density for the hotspot PAI"
    raise DataError(msg)


def judged(ec: EvaluationCounts, hot: Any, s: Settings) -> Any:
    """The pipeline's :class:`~borderwatch.pipeline.Judged` from the aggregates: what
    :func:`borderwatch.pipeline._evaluate` gives on all rows."""
    from .evaluate import COVERAGE_LEVELS, evaluation_records, score_counts
    from .pipeline import Judged

    pai = _hotspot_pai(ec, hot, s)
    if pai is None:
        return Judged(pai=None, evaluation=None)
    if ec.why is not None or ec.eval_grid is None:
        warnings.warn(f"evaluation skipped: {ec.why}", BorderwatchWarning, stacklevel=2)
        return Judged(pai=pai, evaluation=None)
    kde = ec.kde
    rows = score_counts(
        ec.eval_fit,  # type: ignore[arg-type]
        ec.eval_test,  # type: ignore[arg-type]
        ec.eval_grid,
        kde=lambda _frame, _bw: kde,  # type: ignore[arg-type,return-value]
        methods=_METHODS,
        split_date=ec.split,  # type: ignore[arg-type]
        coverage=COVERAGE_LEVELS,
        weights=None,
        permutations=0,
        seed=s.seed,
        alpha=s.alpha,
        bandwidth_km=None,
    )
    return Judged(pai=pai, evaluation=evaluation_records(pd.DataFrame(rows)))
