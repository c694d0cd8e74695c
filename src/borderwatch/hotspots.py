"""Local hotspot statistics: Getis-Ord Gi* and local Moran's I, on any values, on
grid cells (:func:`cell_hotspots`) and on administrative units (:func:`unit_hotspots`).
Alongside: :mod:`borderwatch.regions`, :mod:`borderwatch.emerging`, :mod:`borderwatch.evaluate`;
the engines are in ``borderwatch._stats``.

Inference on sparse counts
--------------------------
Incident grids are mostly empty. There the normal approximation behind
Gi*'s analytical p-values breaks down: one incident in an empty area gets a
``z`` of about 4, and a false-discovery-rate correction lets hundreds of such
cells through. The default inference is therefore honest on sparse data:

* an **exact** p-value for each neighbourhood count under an even spread of
  the incidents over the study area (``gi_p_csr``, binomial with the
  neighbourhood's share of the area). It is exact however sparse the counts
  are; on overdispersed real data it flags every small cluster, so
* the class uses the **larger** of it and the analytical p-value
  (``gi_p``), which measures the count against the observed variability;
* **Benjamini-Hochberg** false-discovery-rate adjustment over all cells
  (``gi_p_fdr``);
* a **minimum count**: a cell whose neighbourhood (itself and its
  neighbours) holds fewer than ``min_count`` incidents is never a hot spot;
* a cell size chosen from the data (:func:`borderwatch.grid.default_cell_km`).

**Conditional permutation** p-values (``gi_p_sim``; Anselin 1995), seeded,
are computed as well and can drive the classes (``inference="permutation"``).
They are honest but lose all power when incidents concentrate in a few cells
(on the UCDP events of the Mexican border states, two thirds of which sit on
five coordinates, they find no hot spot at all, not even Ciudad Juarez),
because a neighbourhood holding one of the few busy cells is not rare among
permutations. See ``docs/hotspots.md``.

The class follows ArcGIS's ``Gi_Bin`` and is stored as two columns:
``hotspot_kind`` (``"hot"``, ``"cold"`` or ``"none"``) and ``hotspot_confidence``
(99 when the adjusted p-value is at most 0.01, 95 at 0.05, 90 at 0.10, 0 when
not significant). The display label ("Hot spot - 99% confidence") is built
only for display, by :func:`borderwatch._schema.hotspot_label`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ._crs import crs_string, to_metric
from ._errors import BorderwatchWarning, DataError
from ._inputs import check_points, check_units, check_values, is_counts
from ._lattice import Grid, Shape
from ._schema import CONFIDENCE_LEVELS, classify_hotspots
from ._stats import adjacency, bh_adjust, gi_analytic, gi_pvalues, refined_perm, two_sided
from ._warnings import withheld
from .grid import point_cells, study_grid
from .weights import SpatialWeights, WeightsKind, cell_weights, unit_weights

if TYPE_CHECKING:
    from .emerging import EmergingHotspots

__all__ = [
    "GI_COLUMNS",
    "MORAN_LABELS",
    "CellHotspots",
    "GiResult",
    "Inference",
    "UnitHotspots",
    "cell_hotspots",
    "gi_star",
    "local_moran",
    "unit_hotspots",
]

#: The Gi* columns that :func:`cell_hotspots` and :func:`unit_hotspots` copy from :func:`gi_star`.
GI_COLUMNS = (
    "gi_z",
    "gi_p",
    "gi_p_csr",
    "gi_p_sim",
    "gi_p_fdr",
    "hotspot_kind",
    "hotspot_confidence",
)
#: The classes of :func:`local_moran`.
MORAN_LABELS = ("high-high", "low-low", "high-low", "low-high", "not significant")
#: The local Moran columns that :func:`cell_hotspots` and :func:`unit_hotspots` keep.
_MORAN_COLUMNS = ("moran_i", "moran_p", "moran_class")

Inference = Literal["combined", "csr", "analytic", "permutation"]


# --------------------------------------------------------------------------- Gi*


@dataclass(frozen=True, eq=False)
class GiResult:
    """Result of :func:`gi_star`: the statistics and the settings that made them.

    Attributes
    ----------
    table : DataFrame
        Indexed like the values: ``gi``, ``gi_z``, ``gi_p``, ``gi_p_csr``,
        ``gi_p_sim``, ``gi_p_fdr``, ``hotspot_kind``, ``hotspot_confidence``
        (see :func:`gi_star`).
    inference : {"combined", "csr", "analytic", "permutation"}
        The p-value that decided the classes.
    permutations : int
        Conditional permutations per observation.
    max_permutations : int
        Largest number of permutations any observation got (refinement at the
        permutation floor; equal to ``permutations`` unless
        ``inference="permutation"``).
    refined : int
        Observations re-run with ``max_permutations``.
    seed : int or None
        Seed of the permutations.
    alpha : float
        Significance level (:func:`borderwatch.regions.hotspot_regions` uses it).
    fdr : bool
        Whether the classes use Benjamini-Hochberg adjusted p-values.
    min_count : float or None
        Smallest neighbourhood sum of a hot spot.
    islands : int
        Observations without neighbours (never significant).
    """

    table: pd.DataFrame
    inference: Inference
    permutations: int
    max_permutations: int
    refined: int
    seed: int | None
    alpha: float
    fdr: bool
    min_count: float | None
    islands: int


def gi_star(
    y: Sequence[float] | np.ndarray | pd.Series,
    w: Any,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
    fdr: bool = True,
    min_count: float | None = None,
    inference: Inference | None = None,
    exposure: Sequence[float] | np.ndarray | None = None,
    max_permutations: int = 99_999,
) -> GiResult:
    """Getis-Ord Gi* with binary weights, honest p-values and FDR.

    Parameters
    ----------
    y : array-like (n,)
        Values, e.g. incident counts per cell. No missing values.
    w : SpatialWeights, libpysal W or Graph, scipy sparse matrix or dense 2-D array
        Neighbours of each observation; weights are made binary and the
        self-weight is 1 (Gi*), as ``esda.G_Local(y, w, transform="B", star=True)``.
    permutations : int, default 999
        Conditional permutations per observation for ``gi_p_sim`` (0: none).
    seed : int or None, default 0
        Seed of the permutations.
    alpha : float, default 0.05
        Significance level recorded in the result;
        :func:`borderwatch.regions.hotspot_regions` uses it. The classes always
        show 90, 95 and 99 %.
    fdr : bool, default True
        Classify on Benjamini-Hochberg adjusted p-values (``gi_p_fdr``).
    min_count : float, optional
        Observations whose neighbourhood sum (``y_i`` plus its neighbours) is
        below this are never hot spots.
    inference : {"combined", "csr", "analytic", "permutation"}, optional
        Which p-value the class uses (see Notes). Default ``"combined"`` for
        counts (non-negative whole numbers, which ``"combined"`` and ``"csr"``
        need), ``"permutation"`` for other values.
    exposure : array-like (n,), optional
        Share of the study area (or population) of each observation for the
        even-spread null of ``gi_p_csr``; default equal shares. Cells pass
        their area.
    max_permutations : int, default 99999
        With ``inference="permutation"``, observations at the permutation
        floor ``1 / (permutations + 1)`` are re-run with this many draws when
        the floor still decides their class.

    Returns
    -------
    GiResult
        The settings (``inference``, ``permutations``, ``max_permutations``,
        ``refined``, ``seed``, ``alpha``, ``fdr``, ``min_count``, ``islands``)
        and ``table``, indexed like ``y``:

        * ``gi``: the G* statistic; ``gi_z``: its z-score, equal to esda's ``Zs``;
        * ``gi_p``: analytical two-sided p-value, ``2 * (1 - Phi(|z|))``;
        * ``gi_p_csr``: exact two-sided p-value of the neighbourhood count
          under an even spread of the ``N`` incidents (binomial with the
          neighbourhood's share of ``exposure``); NaN for non-counts;
        * ``gi_p_sim``: two-sided conditional-permutation p-value,
          ``min(1, 2 * min(p_greater, p_lesser))``; NaN without permutations;
        * ``gi_p_fdr``: BH-adjusted p-value of the p-value in use;
        * ``hotspot_kind`` (``"hot"``, ``"cold"``, ``"none"``) and
          ``hotspot_confidence`` (99, 95, 90; 0 when not significant).

        Observations without neighbours are not significant.

    Notes
    -----
    Which p-value decides the class:

    * ``"combined"`` (default): ``max(gi_p, gi_p_csr)``. A cell is hot only if
      its neighbourhood count is improbable both under an even spread of the
      incidents (exact, so honest on sparse counts, where the normal
      approximation gives a lone incident ``z`` of about 4) and relative to the
      observed variability of the counts (``gi_z``, which stays sober on
      overdispersed real data, where the even-spread test flags every small
      cluster). The larger of two p-values is valid whenever either is.
    * ``"csr"``: ``gi_p_csr`` alone; ``"analytic"``: ``gi_p`` alone (as
      ArcGIS; not recommended on sparse counts).
    * ``"permutation"``: ``gi_p_sim``. Honest, but powerless when the counts
      concentrate in a few cells (a compact cluster, or events geocoded to a
      few town points): a neighbourhood holding one of them is then not rare
      among permutations.

    Direction comes from ``gi_z`` and must agree with the test used (upper
    tail for hot spots).

    References
    ----------
    Getis, A. and Ord, J. K. (1992). The analysis of spatial association by
    use of distance statistics. Geographical Analysis 24(3), 189-206.
    Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics:
    distributional issues and an application. Geographical Analysis 27(4), 286-306.
    Anselin, L. (1995). Local indicators of spatial association - LISA.
    Geographical Analysis 27(2), 93-115 (conditional permutation).
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery
    rate. Journal of the Royal Statistical Society B 57(1), 289-300.

    Examples
    --------
    esda's own example (points within 15 units are neighbours):

    >>> import numpy as np
    >>> from scipy.spatial import distance_matrix
    >>> pts = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)])
    >>> adj = (distance_matrix(pts, pts) <= 15).astype(float)
    >>> res = gi_star([2, 3, 3.2, 5, 8, 7], adj, permutations=99, seed=1, inference="analytic")
    >>> res.table["gi_z"].round(4).tolist()
    [-1.3973, -0.2892, 0.6506, -0.2892, 1.2345, 2.0242]
    >>> res.table["hotspot_kind"].unique().tolist(), res.inference, res.islands
    (['none'], 'analytic', 0)
    """
    values, index = check_values(y, "gi_star")
    n = len(values)
    if n < 2:
        msg = "gi_star: need at least two observations."
        raise DataError(msg)
    counts = is_counts(values)
    inference = _check_inference(inference, counts=counts, permutations=permutations)
    adj, island = adjacency(w, n)
    stat, z = gi_analytic(values, adj)
    p = gi_pvalues(
        values,
        adj,
        z,
        island,
        exposure=exposure if counts else None,
        counts=counts,
        permutations=permutations,
        rng=np.random.default_rng(seed),
        fdr=fdr,
        max_permutations=max_permutations if inference == "permutation" else 0,
        level=CONFIDENCE_LEVELS[0][0],
    )
    p_use = p.of(inference)
    p_adj = bh_adjust(p_use)
    hood = values + adj @ values
    hot_ok = ~island & (hood >= min_count if min_count is not None else np.ones(n, dtype=bool))
    hot_dir, cold_dir = p.directions(inference)
    kind, confidence = classify_hotspots(
        z, p_adj if fdr else p_use, hot_ok & hot_dir, ~island & cold_dir
    )
    table = pd.DataFrame(
        {
            "gi": stat,
            "gi_z": z,
            "gi_p": p.analytic,
            "gi_p_csr": p.csr,
            "gi_p_sim": p.sim,
            "gi_p_fdr": p_adj,
            "hotspot_kind": pd.array(kind, dtype="str"),
            "hotspot_confidence": confidence,
        },
        index=index,
    )
    return GiResult(
        table=table,
        inference=inference,
        permutations=int(permutations),
        max_permutations=int(max(max_permutations, permutations))
        if inference == "permutation"
        else int(permutations),
        refined=p.refined,
        seed=seed,
        alpha=float(alpha),
        fdr=bool(fdr),
        min_count=min_count,
        islands=int(island.sum()),
    )


def _check_inference(inference: Inference | None, *, counts: bool, permutations: int) -> Inference:
    """The inference to use (the default for counts or other values), once valid."""
    if inference is None:
        inference = "combined" if counts else "permutation"
    if inference not in get_args(Inference):
        msg = f"gi_star: inference must be 'combined', 'csr', 'analytic' or 'permutation', not {inference!r}."
        raise DataError(msg)
    if inference in ("combined", "csr") and not counts:
        msg = (
            f"gi_star: inference={inference!r} needs counts (non-negative whole numbers). "
            "Hint: use inference='permutation' for rates or other values."
        )
        raise DataError(msg)
    if inference == "permutation" and permutations < 1:
        msg = "gi_star: permutation inference needs permutations >= 1."
        raise DataError(msg)
    return inference


# --------------------------------------------------------------------------- local Moran


def local_moran(
    y: Sequence[float] | np.ndarray | pd.Series,
    w: Any,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
    fdr: bool = True,
    max_permutations: int = 99_999,
) -> pd.DataFrame:
    """Local Moran's I with row-standardised weights and permutation inference.

    ``I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k**2`` with ``z = (y - mean) / sd``
    and binary weights row-standardised, as ``esda.Moran_Local`` (default
    ``transformation="r"``). p-values are two-sided conditional permutation
    p-values (the neighbours of ``i`` are drawn from the other observations),
    BH-adjusted when ``fdr``; observations stuck at the permutation floor
    are re-run with up to ``max_permutations`` draws when the floor decides
    their class. Values are permuted, not z-scores: the lag of ``z`` is an
    increasing function of the sum of ``y`` over the same number of
    neighbours, so the p-values are the same.

    Returns
    -------
    DataFrame
        ``moran_i``, ``moran_p`` (permutation, two-sided), ``moran_p_fdr``,
        ``moran_class``: "high-high", "low-low", "high-low", "low-high" for
        significant observations (p at most ``alpha``), else "not significant".

    References
    ----------
    Anselin, L. (1995). Local indicators of spatial association - LISA.
    Geographical Analysis 27(2), 93-115.

    Examples
    --------
    >>> import numpy as np
    >>> adj = np.zeros((5, 5)); i = np.arange(4); adj[i, i + 1] = adj[i + 1, i] = 1
    >>> res = local_moran([1, 2, 3, 4, 50], adj, permutations=99, seed=0)
    >>> res["moran_i"].round(3).tolist()  # equal to esda.Moran_Local(...).Is
    [0.243, 0.221, 0.179, -0.256, -0.672]
    """
    values, index = check_values(y, "local_moran")
    n = len(values)
    if permutations < 1:
        msg = "local_moran: needs permutations >= 1 for its p-values."
        raise DataError(msg)
    adj, island = adjacency(w, n)
    card = np.diff(adj.indptr).astype(float)
    sd = values.std()
    z = (values - values.mean()) / sd if sd > 0 else np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        zlag = np.where(card > 0, (adj @ z) / np.where(card > 0, card, 1.0), 0.0)
    den = (z * z).sum()
    moran_i = (n - 1) * z * zlag / den if den > 0 else np.zeros(n)
    if sd > 0:
        pg, pl, _ = refined_perm(
            values,
            adj,
            adj @ values,
            permutations=permutations,
            rng=np.random.default_rng(seed),
            fdr=fdr,
            max_permutations=max_permutations,
            level=alpha,
        )
        p = two_sided(pg, pl)
    else:
        p = np.ones(n)
    p = np.where(island | (z == 0), 1.0, p)
    p_adj = bh_adjust(p)
    sig = (p_adj if fdr else p) <= alpha
    cls = np.full(n, "not significant", dtype=object)
    cls[sig & (z > 0) & (zlag > 0)] = "high-high"
    cls[sig & (z < 0) & (zlag < 0)] = "low-low"
    cls[sig & (z > 0) & (zlag < 0)] = "high-low"
    cls[sig & (z < 0) & (zlag > 0)] = "low-high"
    return pd.DataFrame(
        {
            "moran_i": moran_i,
            "moran_p": p,
            "moran_p_fdr": p_adj,
            "moran_class": pd.array(cls, dtype="str"),
        },
        index=index,
    )


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True, eq=False)
class CellHotspots:
    """Result of :func:`cell_hotspots`: the cells with their statistics, and the settings.

    Attributes
    ----------
    cells : GeoDataFrame
        Every cell of the grid, zeros included, in the metric CRS: ``cell_id``,
        ``count``, ``gi_z``, ``gi_p``, ``gi_p_csr``, ``gi_p_sim``, ``gi_p_fdr``,
        ``hotspot_kind``, ``hotspot_confidence``, ``countries``,
        ``trend_class``, ``moran_i``, ``moran_p``, ``moran_class``,
        ``area_km2``, ``x_m``, ``y_m``, geometry.
    shape : {"hex", "square"}
        Cell shape.
    cell_km : float
        Cell size (distance between adjacent centres).
    cell_km_source : {"data", "user"}
        Whether the cell size was chosen from the data or given.
    weights : SpatialWeights
        The weights Gi* and local Moran used (``spec``, ``islands``).
    gi : GiResult
        The Gi* run and its settings (``inference``, ``permutations``,
        ``max_permutations``, ``refined``, ``seed``, ``alpha``, ``fdr``,
        ``min_count``).
    outside : int
        Incidents in no cell (not counted).
    trend : EmergingHotspots or None
        The emerging hot spots behind ``trend_class``; None when they were not
        run (``trend_skipped`` says why).
    trend_skipped : str or None
        Why there is no trend.
    """

    cells: gpd.GeoDataFrame
    shape: Shape
    cell_km: float
    cell_km_source: Literal["data", "user"]
    weights: SpatialWeights
    gi: GiResult
    outside: int
    trend: EmergingHotspots | None = None
    trend_skipped: str | None = None

    @property
    def grid(self) -> Grid:
        """The cells as a :class:`~borderwatch.grid.Grid` (with their shape and size)."""
        return Grid(cells=self.cells, shape=self.shape, cell_km=self.cell_km)

    @property
    def crs(self) -> CRS:
        """The metric CRS of the cells."""
        return CRS(self.cells.crs)

    def summary(self) -> dict[str, Any]:
        """The settings as ``summary.json`` records them (JSON-able).

        Keys: ``crs``, ``cell_km``, ``cell_km_source``, ``shape``, ``weights``
        (the spec), ``alpha``, ``permutations``, ``max_permutations``, ``seed``,
        ``inference``, ``fdr`` ("benjamini-hochberg" or "none"), ``min_count``,
        ``n_cells``, ``islands`` (ids of the cells without neighbours),
        ``refined``, ``outside``, ``trend`` (bins of the trends, or
        ``{"skipped": why}``).
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pyproj: PROJ strings drop some metadata
            crs_text = crs_string(self.crs)
        gi = self.gi
        return {
            "crs": crs_text,
            "cell_km": float(self.cell_km),
            "cell_km_source": self.cell_km_source,
            "shape": self.shape,
            "weights": dict(self.weights.spec),
            "alpha": gi.alpha,
            "permutations": gi.permutations,
            "max_permutations": gi.max_permutations,
            "seed": gi.seed,
            "inference": gi.inference,
            "fdr": "benjamini-hochberg" if gi.fdr else "none",
            "min_count": gi.min_count,
            "n_cells": len(self.cells),
            "islands": [int(x) for x in self.weights.islands],
            "refined": gi.refined,
            "outside": self.outside,
            "trend": self.trend.summary()
            if self.trend is not None
            else {"skipped": self.trend_skipped or "not requested"},
        }


def cell_hotspots(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    cell_km: float | None = None,
    shape: Shape = "hex",
    weights: WeightsKind = "distance_band",
    k: int = 8,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    crs: CRS | str | None = None,
    min_count: int = 3,
    fdr: bool = True,
    inference: Inference = "combined",
    max_permutations: int = 99_999,
    trend: bool = True,
    freq: str = "MS",
    grid: Grid | None = None,
) -> CellHotspots:
    """Grid the study area, count incidents and run Gi*, local Moran and trends.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incident points with a CRS; ``date`` (optional) feeds the trends.
    units : GeoDataFrame
        Administrative units (the study area); ``country`` fills ``countries``.
    cell_km : float, optional
        Cell size (see :mod:`borderwatch.grid`); default
        :func:`borderwatch.grid.default_cell_km`.
    shape : {"hex", "square"}
    weights : {"distance_band", "knn", "contiguity"}
        See :func:`borderwatch.grid.cell_weights`; the distance band links
        each cell to its ring of adjacent cells.
    k : int
        Neighbours for ``weights="knn"``.
    permutations, seed, alpha, fdr, min_count, inference, max_permutations
        See :func:`gi_star`.
    crs : CRS, optional
        Metric CRS (default: :func:`borderwatch.study_crs` of ``units``).
    trend : bool, default True
        Run :func:`borderwatch.emerging.emerging_hotspots` when dates allow;
        otherwise ``trend_class`` is missing and ``trend_skipped`` says why.
    freq : str, default "MS"
        Time bin of the trends (pandas offset alias; months).
    grid : Grid, optional
        A fixed grid (the shared lattice, :mod:`borderwatch.lattice`): its size and shape rule.

    Returns
    -------
    CellHotspots
        ``cells`` (every cell, zeros included, with its statistics), the
        ``grid`` they form, the ``weights``, the Gi* settings (``gi``), the
        trends and ``summary()``, the dict ``summary.json`` records.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA", "BBB"]}, crs=3857,
    ...     geometry=[box(0, 0, 100_000, 100_000), box(100_000, 0, 200_000, 100_000)])
    >>> rng = np.random.default_rng(5)
    >>> xy = np.vstack([rng.uniform(0, [200_000, 100_000], (100, 2)), rng.normal([100_000, 50_000], 4_000, (150, 2))])
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> res = cell_hotspots(pts, units, cell_km=10, seed=1, trend=False)
    >>> cells = res.cells
    >>> int(cells["count"].sum()), res.weights.spec["threshold_m"], res.summary()["trend"]
    (250, 10100.0, {'skipped': 'not requested'})
    >>> hot = cells[cells["hotspot_kind"] == "hot"]
    >>> sorted(set(",".join(hot["countries"]).split(",")))
    ['AAA', 'BBB']
    """
    incidents = check_points(incidents)
    units = check_units(units)
    if shape not in ("hex", "square"):
        msg = f"cell_hotspots: shape must be 'hex' or 'square', not {shape!r}."
        raise DataError(msg)
    source: Literal["data", "user"] = "user"
    if grid is None:
        grid, source = study_grid(incidents, units, cell_km=cell_km, shape=shape, crs=crs)
    cell_km, shape = grid.cell_km, grid.shape
    where = point_cells(grid, incidents.geometry)
    counts = np.bincount(where[where >= 0], minlength=len(grid)).astype(np.int64)
    w = cell_weights(grid, kind=weights, k=k)
    opts: dict[str, Any] = {"seed": seed, "alpha": alpha, "fdr": fdr}
    gi = gi_star(
        counts,
        w,
        permutations=permutations,
        min_count=min_count,
        inference=inference,
        exposure=grid.cells["area_km2"].to_numpy(),
        max_permutations=max_permutations,
        **opts,
    )
    mor = local_moran(
        counts, w, permutations=max(permutations, 99), max_permutations=max_permutations, **opts
    )
    trends, skipped = (
        _trends(incidents, grid, w, freq=freq, min_count=min_count, inference=inference, **opts)
        if trend
        else (None, "not requested")
    )
    out = _cell_table(grid, counts, gi.table, mor, trends)
    n_outside = int((where < 0).sum())
    if n_outside:
        warnings.warn(
            f"{n_outside} incidents fall outside every grid cell (outside the units) and are not counted.",
            BorderwatchWarning,
            stacklevel=2,
        )
    return CellHotspots(
        cells=out,
        shape=shape,
        cell_km=float(cell_km),
        cell_km_source=source,
        weights=w,
        gi=gi,
        outside=n_outside,
        trend=trends,
        trend_skipped=skipped,
    )


def _trends(
    incidents: gpd.GeoDataFrame, grid: Grid, w: SpatialWeights, **opts: Any
) -> tuple[EmergingHotspots | None, str | None]:
    """Emerging hot spots of the cells, or None and why they could not be run."""
    from .emerging import emerging_hotspots  # emerging runs gi_star: imported when needed

    try:
        with withheld():  # not said: the cells' statistics said them
            return emerging_hotspots(incidents, grid, weights=w, **opts), None
    except DataError as exc:
        return None, str(exc)


def _cell_table(
    grid: Grid,
    counts: np.ndarray,
    gi: pd.DataFrame,
    mor: pd.DataFrame,
    trends: EmergingHotspots | None,
) -> gpd.GeoDataFrame:
    """The output columns of :func:`cell_hotspots`, in order."""
    cells = grid.cells
    out = cells[["cell_id"]].copy()
    out["count"] = counts
    for col in GI_COLUMNS:
        out[col] = gi[col].to_numpy()
    out["countries"] = cells["countries"].to_numpy()
    if trends is not None:
        trend_class = pd.Series(trends.trend_class.to_numpy(), index=cells.index, dtype="str")
    else:
        trend_class = pd.Series(pd.array([None] * len(cells), dtype="str"), index=cells.index)
    out["trend_class"] = trend_class.to_numpy()
    for col in _MORAN_COLUMNS:
        out[col] = mor[col].to_numpy()
    for col in ("area_km2", "x_m", "y_m"):
        out[col] = cells[col].to_numpy()
    return gpd.GeoDataFrame(out, geometry=cells.geometry.array, crs=grid.crs)


# --------------------------------------------------------------------------- units


@dataclass(frozen=True, eq=False)
class UnitHotspots:
    """Result of :func:`unit_hotspots`.

    Attributes
    ----------
    units : GeoDataFrame
        A copy of the units (same CRS) with ``gi_z``, ``gi_p``, ``gi_p_csr``,
        ``gi_p_sim``, ``gi_p_fdr``, ``hotspot_kind``, ``hotspot_confidence``,
        ``n_neighbors``, ``moran_i``, ``moran_p``, ``moran_class``.
    weights : SpatialWeights
        The fuzzy-contiguity weights (``spec`` as ``summary.json`` records it).
    gi : GiResult
        The Gi* run and its settings (``inference`` ...).
    """

    units: gpd.GeoDataFrame
    weights: SpatialWeights
    gi: GiResult


def unit_hotspots(
    units: gpd.GeoDataFrame,
    *,
    column: str = "incidents",
    tolerance_m: float = 1000.0,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    crs: CRS | str | None = None,
    min_count: int | None = 3,
    fdr: bool = True,
    inference: Inference | None = None,
    max_permutations: int = 99_999,
) -> UnitHotspots:
    """Gi* and local Moran on administrative units, across borders.

    Neighbours are units that touch, overlap or lie within ``tolerance_m``
    (fuzzy contiguity, :func:`borderwatch.grid.unit_weights`), so slivers and
    gaps along borders do not cut the links; units without neighbours are
    reported with a :class:`BorderwatchWarning` and are never significant.

    Parameters
    ----------
    units : GeoDataFrame
        Units with a numeric ``column`` (e.g. ``incidents`` counts or a rate).
    column : str, default "incidents"
    tolerance_m : float, default 1000
    permutations, seed, alpha, fdr, max_permutations
        See :func:`gi_star`.
    inference : str, optional
        See :func:`gi_star`; default ``"combined"`` (with the unit areas as
        exposure) for counts, ``"permutation"`` for other values (rates).
    min_count : int, optional
        See :func:`gi_star`; applied only when ``column`` holds whole numbers.
    crs : CRS, optional
        Metric CRS for the buffering.

    Returns
    -------
    UnitHotspots
        ``units`` (a copy with the statistics), ``weights`` and ``gi``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"unit_id": list("abcd"), "incidents": [5, 7, 0, 1]}, crs=3857,
    ...     geometry=[box(i * 1e4, 0, (i + 1) * 1e4, 1e4) for i in range(4)])
    >>> res = unit_hotspots(units, permutations=99)
    >>> res.units["n_neighbors"].tolist(), res.weights.spec["type"], res.gi.inference
    ([1, 2, 2, 1], 'fuzzy_contiguity', 'combined')
    """
    units = check_units(units)
    if column not in units.columns:
        msg = f"unit_hotspots: the units have no {column!r} column. Hint: count incidents per unit first (join.aggregate_counts) or pass column=."
        raise DataError(msg)
    values, _ = check_values(
        pd.to_numeric(units[column], errors="coerce"), f"unit_hotspots (column {column!r})"
    )
    w = unit_weights(units, tolerance_m=tolerance_m, crs=crs)
    counts = is_counts(values)
    if inference is None:
        inference = "combined" if counts else "permutation"
    units_m, _ = to_metric(units, crs)
    opts: dict[str, Any] = {
        "seed": seed,
        "alpha": alpha,
        "fdr": fdr,
        "max_permutations": max_permutations,
    }
    gi = gi_star(
        values,
        w,
        permutations=permutations,
        min_count=min_count if counts else None,
        inference=inference,
        exposure=units_m.geometry.area.to_numpy(),
        **opts,
    )
    mor = local_moran(values, w, permutations=max(permutations, 99), **opts)
    out = units.copy()
    for col in GI_COLUMNS:
        out[col] = gi.table[col].to_numpy()
    out["n_neighbors"] = w.cardinalities
    for col in _MORAN_COLUMNS:
        out[col] = mor[col].to_numpy()
    return UnitHotspots(units=out, weights=w, gi=gi)
