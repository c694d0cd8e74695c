"""Local hotspot statistics: Getis-Ord Gi*, local Moran's I, hotspot regions,
emerging hotspots and predictive-accuracy evaluation.

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

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import grid as _grid
from ._crs import crs_string, require_crs, to_metric
from ._errors import BorderwatchWarning, DataError
from ._lattice import Grid, cells_frame, polygonal
from ._schema import CONFIDENCE_LEVELS, classify_hotspots, is_hot
from ._stats import bh_adjust, mann_kendall, perm_tail_pvalues, two_sided
from .weights import resolve_weights

__all__ = [
    "TREND_LABELS",
    "cell_hotspots",
    "emerging_hotspots",
    "evaluate",
    "gi_star",
    "hotspot_map_pai",
    "hotspot_regions",
    "local_moran",
    "pai_of_map",
    "unit_hotspots",
]

#: The classes of :func:`emerging_hotspots` (ArcGIS Emerging Hot Spot Analysis).
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
TREND_LABELS = tuple(f"{p} {k} spot" for k in ("hot", "cold") for p in TREND_PATTERNS) + (
    "no pattern",
)
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
MORAN_LABELS = ("high-high", "low-low", "high-low", "low-high", "not significant")

Inference = Literal["combined", "csr", "analytic", "permutation"]


# --------------------------------------------------------------------------- weights helpers


def _adjacency(w: Any, n: int) -> tuple[sparse.csr_array, np.ndarray]:
    """Binary adjacency (no self-weights) and islands mask from any weights object."""
    if isinstance(w, _grid.SpatialWeights):
        m = w.sparse
    elif sparse.issparse(w) or (isinstance(w, np.ndarray) and w.ndim == 2):
        m = w
    elif hasattr(w, "sparse"):  # libpysal W (id_order) or Graph (sorted ids)
        m = w.sparse
    else:
        msg = f"unsupported weights {type(w).__name__}. Hint: use borderwatch.grid.cell_weights() or a libpysal W/Graph."
        raise DataError(msg)
    m = sparse.csr_array(m, dtype=float)
    if m.shape != (n, n):
        msg = f"the weights are {m.shape[0]} x {m.shape[1]} but there are {n} values. Hint: build them from the same cells."
        raise DataError(msg)
    coo = m.tocoo()
    keep = (coo.row != coo.col) & (coo.data != 0)
    m = sparse.csr_array((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    card = np.diff(m.indptr)
    return m, card == 0


def _values(y: Any, what: str) -> tuple[np.ndarray, pd.Index]:
    index = y.index if isinstance(y, pd.Series) else pd.RangeIndex(len(np.asarray(y)))
    try:
        arr = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        msg = f"{what}: the values must be numbers. Hint: convert the column to numeric first."
        raise DataError(msg) from exc
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr))[:10].tolist()
        msg = f"{what}: {int((~np.isfinite(arr)).sum())} values are missing or infinite (positions {bad}). Hint: fill them (e.g. 0 for counts)."
        raise DataError(msg)
    return arr, index


def _gi_analytic(y: np.ndarray, adj: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """G* statistic and z-score, as ``esda.G_Local(transform="B", star=True)``."""
    n = len(y)
    wstar = adj + sparse.eye_array(n, format="csr")
    ysum = y.sum()
    lag = wstar @ y
    if ysum == 0:
        return np.zeros(n), np.zeros(n)
    statistic = lag / ysum
    mean = ysum / n
    var = (y**2).sum() / n - mean**2
    card = np.asarray(wstar.sum(axis=1)).ravel()
    expected = card / n
    ev = card * (n - card)
    ev = ev / (n - 1)
    ev = ev * (1 / n**2)
    ev = ev * (var / mean**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (statistic - expected) / np.sqrt(ev)
    z = np.where(np.isfinite(z), z, 0.0)
    return statistic, z


def _refined_perm(
    values: np.ndarray,
    adj: sparse.csr_array,
    lag: np.ndarray,
    *,
    permutations: int,
    rng: np.random.Generator,
    fdr: bool,
    max_permutations: int,
    level: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """One-sided permutation p-values, re-running cells stuck at the floor.

    Observations whose p-value equals the floor ``1 / (permutations + 1)``
    get ``max_permutations`` fresh draws when their (BH-adjusted, if ``fdr``)
    two-sided p-value is still above ``level``, i.e. when the floor rather
    than the data decides their class. The second run replaces the first,
    which keeps the p-values valid (Besag and Clifford 1991).
    """
    pg, pl = perm_tail_pvalues(values, adj, permutations=permutations, rng=rng, observed=lag)
    if max_permutations <= permutations:
        return pg, pl, 0
    p = two_sided(pg, pl)
    p_cls = bh_adjust(p) if fdr else p
    at_floor = np.minimum(pg, pl) <= (1.0 / (permutations + 1.0)) * (1 + 1e-9)
    todo = np.flatnonzero(at_floor & (p_cls > level))
    if todo.size == 0:
        return pg, pl, 0
    pg2, pl2 = perm_tail_pvalues(
        values, adj, permutations=max_permutations, rng=rng, subset=todo, observed=lag
    )
    pg, pl = pg.copy(), pl.copy()
    pg[todo], pl[todo] = pg2, pl2
    return pg, pl, int(todo.size)


# --------------------------------------------------------------------------- Gi*


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
) -> pd.DataFrame:
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
        Significance level recorded in ``attrs``; :func:`hotspot_regions` uses
        it. The classes always show 90, 95 and 99 %.
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
    DataFrame
        Indexed like ``y``:

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
        ``attrs["gi"]`` records the settings.

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
    >>> res["gi_z"].round(4).tolist()
    [-1.3973, -0.2892, 0.6506, -0.2892, 1.2345, 2.0242]
    >>> res["hotspot_kind"].unique().tolist()
    ['none']
    """
    values, index = _values(y, "gi_star")
    n = len(values)
    if n < 2:
        msg = "gi_star: need at least two observations."
        raise DataError(msg)
    counts = bool((values >= 0).all() and np.all(values == np.round(values)))
    if inference is None:
        inference = "combined" if counts else "permutation"
    if inference not in ("combined", "csr", "analytic", "permutation"):
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
    adj, island = _adjacency(w, n)
    stat, z = _gi_analytic(values, adj)
    total = values.sum()
    p_an = np.where(island | (total == 0), 1.0, 2.0 * stats.norm.sf(np.abs(z)))
    lag = adj @ values
    hood = values + lag
    # exact test under an even spread (multinomial null)
    if counts:
        e = np.ones(n) if exposure is None else np.asarray(exposure, dtype=float).ravel()
        if len(e) != n or not np.isfinite(e).all() or (e < 0).any() or e.sum() <= 0:
            msg = "gi_star: exposure must hold one non-negative number per observation."
            raise DataError(msg)
        share = np.clip((e + adj @ e) / e.sum(), 0.0, 1.0)
        csr_g = stats.binom.sf(hood - 1, total, share)
        csr_l = stats.binom.cdf(hood, total, share)
        p_csr = np.where(island | (total == 0), 1.0, two_sided(csr_g, csr_l))
    else:
        csr_g = csr_l = p_csr = np.full(n, np.nan)
    rng = np.random.default_rng(seed)
    refined = 0
    if permutations > 0:
        pg, pl, refined = _refined_perm(
            values,
            adj,
            lag,
            permutations=permutations,
            rng=rng,
            fdr=fdr,
            max_permutations=max_permutations if inference == "permutation" else 0,
            level=CONFIDENCE_LEVELS[0][0],
        )
        p_sim = two_sided(pg, pl)
    else:
        pg = pl = p_sim = np.full(n, np.nan)
    p_use = {
        "combined": np.fmax(p_an, p_csr),
        "csr": p_csr,
        "analytic": p_an,
        "permutation": p_sim,
    }[inference]
    p_adj = bh_adjust(p_use)
    p_cls = p_adj if fdr else p_use
    hot_ok = ~island & (hood >= min_count if min_count is not None else np.ones(n, dtype=bool))
    cold_ok = ~island
    if inference in ("combined", "csr"):
        hot_ok = hot_ok & (csr_g <= csr_l)
        cold_ok = cold_ok & (csr_l < csr_g)
    elif inference == "permutation":
        hot_ok = hot_ok & (pg <= pl)
        cold_ok = cold_ok & (pl < pg)
    kind, confidence = classify_hotspots(z, p_cls, hot_ok, cold_ok)
    out = pd.DataFrame(
        {
            "gi": stat,
            "gi_z": z,
            "gi_p": p_an,
            "gi_p_csr": p_csr,
            "gi_p_sim": p_sim,
            "gi_p_fdr": p_adj,
            "hotspot_kind": pd.array(kind, dtype="str"),
            "hotspot_confidence": confidence,
        },
        index=index,
    )
    out.attrs["gi"] = {
        "inference": inference,
        "permutations": int(permutations),
        "max_permutations": int(max(max_permutations, permutations))
        if inference == "permutation"
        else int(permutations),
        "refined": refined,
        "seed": seed,
        "alpha": float(alpha),
        "fdr": bool(fdr),
        "min_count": min_count,
        "islands": int(island.sum()),
    }
    return out


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
    values, index = _values(y, "local_moran")
    n = len(values)
    if permutations < 1:
        msg = "local_moran: needs permutations >= 1 for its p-values."
        raise DataError(msg)
    adj, island = _adjacency(w, n)
    card = np.diff(adj.indptr).astype(float)
    sd = values.std()
    z = (values - values.mean()) / sd if sd > 0 else np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        zlag = np.where(card > 0, (adj @ z) / np.where(card > 0, card, 1.0), 0.0)
    den = (z * z).sum()
    moran_i = (n - 1) * z * zlag / den if den > 0 else np.zeros(n)
    rng = np.random.default_rng(seed)
    if sd > 0:
        pg, pl, _ = _refined_perm(
            values,
            adj,
            adj @ values,
            permutations=permutations,
            rng=rng,
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


def _check_points(incidents: Any, what: str = "incidents") -> gpd.GeoDataFrame:
    if not isinstance(incidents, gpd.GeoDataFrame):
        msg = f"the {what} must be a GeoDataFrame of points, not {type(incidents).__name__}. Hint: read them with borderwatch.read_incidents()."
        raise DataError(msg)
    require_crs(incidents, what=what)
    geoms = np.asarray(incidents.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = present & (shapely.get_type_id(geoms) != 0)
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        msg = f"the {what} must be points; rows {rows} are not. Hint: use centroids or read them with read_incidents()."
        raise DataError(msg)
    return incidents


def _check_units(units: Any) -> gpd.GeoDataFrame:
    if not isinstance(units, gpd.GeoDataFrame):
        msg = f"the units must be a GeoDataFrame of polygons, not {type(units).__name__}. Hint: read them with borderwatch.read_units()."
        raise DataError(msg)
    require_crs(units, what="units")
    if len(units) == 0:
        msg = "the units are empty. Hint: check the boundary file."
        raise DataError(msg)
    return units


def cell_hotspots(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    cell_km: float | None = None,
    shape: Literal["hex", "square"] = "hex",
    weights: Literal["distance_band", "knn", "contiguity"] = "distance_band",
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
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
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
        Run :func:`emerging_hotspots` when dates allow; otherwise
        ``trend_class`` is missing and ``params["trend"]`` says why.
    freq : str, default "MS"
        Time bin of the trends (pandas offset alias; months).

    Returns
    -------
    cells : GeoDataFrame
        Every cell of the grid, zeros included, in the metric CRS:
        ``cell_id``, ``count``, ``gi_z``, ``gi_p``, ``gi_p_csr``, ``gi_p_sim``,
        ``gi_p_fdr``, ``hotspot_kind``, ``hotspot_confidence``, ``countries``, ``trend_class``,
        ``moran_i``, ``moran_p``,
        ``moran_class``, ``area_km2``, ``x_m``, ``y_m``, geometry.
    params : dict
        For ``summary.json``: ``crs``, ``cell_km``, ``cell_km_source``
        ("data" or "user"), ``shape``, ``weights`` (the spec),
        ``alpha``, ``permutations``, ``max_permutations``, ``seed``,
        ``inference``, ``fdr`` ("benjamini-hochberg" or "none"), ``min_count``,
        ``n_cells``, ``islands`` (ids of the cells without neighbours),
        ``refined``, ``outside`` (incidents in no cell), ``trend``.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"country": ["AAA", "BBB"]}, crs=3857,
    ...     geometry=[box(0, 0, 100_000, 100_000), box(100_000, 0, 200_000, 100_000)])
    >>> rng = np.random.default_rng(5)
    >>> xy = np.vstack([rng.uniform(0, [200_000, 100_000], (100, 2)), rng.normal([100_000, 50_000], 4_000, (150, 2))])
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> cells, params = cell_hotspots(pts, units, cell_km=10, seed=1, trend=False)
    >>> int(cells["count"].sum()), params["weights"]["threshold_m"]
    (250, 10100.0)
    >>> hot = cells[cells["hotspot_kind"] == "hot"]
    >>> sorted(set(",".join(hot["countries"]).split(",")))
    ['AAA', 'BBB']
    """
    incidents = _check_points(incidents)
    units = _check_units(units)
    units_m, metric = to_metric(units, crs)
    source = "user"
    if cell_km is None:
        cell_km = _grid.default_cell_km(incidents, units=units_m, crs=metric, shape=shape)
        source = "data"
    build = _grid.hex_grid if shape == "hex" else _grid.square_grid
    if shape not in ("hex", "square"):
        msg = f"cell_hotspots: shape must be 'hex' or 'square', not {shape!r}."
        raise DataError(msg)
    grid = build(units_m, cell_km=float(cell_km), crs=metric)
    cells = grid.cells
    where = _grid.point_cells(cells, incidents.geometry)
    counts = np.bincount(where[where >= 0], minlength=len(cells)).astype(np.int64)
    w = _grid.cell_weights(grid, kind=weights, k=k)
    gi = gi_star(
        counts,
        w,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        fdr=fdr,
        min_count=min_count,
        inference=inference,
        exposure=cells["area_km2"].to_numpy(),
        max_permutations=max_permutations,
    )
    mor = local_moran(
        counts,
        w,
        permutations=max(permutations, 99),
        seed=seed,
        alpha=alpha,
        fdr=fdr,
        max_permutations=max_permutations,
    )
    out = cells[["cell_id"]].copy()
    out["count"] = counts
    for col in GI_COLUMNS:
        out[col] = gi[col].to_numpy()
    out["countries"] = cells["countries"].to_numpy()
    trend_info: dict[str, Any]
    trend_class = pd.Series(pd.array([None] * len(cells), dtype="str"), index=cells.index)
    if trend:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BorderwatchWarning)
                tc = emerging_hotspots(
                    incidents,
                    grid,
                    freq=freq,
                    weights=w,
                    seed=seed,
                    alpha=alpha,
                    fdr=fdr,
                    min_count=min_count,
                    inference=inference,
                )
            trend_class = pd.Series(tc.to_numpy(), index=cells.index, dtype="str")
            trend_info = dict(tc.attrs.get("emerging", {}))
        except DataError as exc:
            trend_info = {"skipped": str(exc)}
    else:
        trend_info = {"skipped": "not requested"}
    out["trend_class"] = trend_class.to_numpy()
    for col in ("moran_i", "moran_p", "moran_class"):
        out[col] = mor[col].to_numpy()
    out["area_km2"] = cells["area_km2"].to_numpy()
    out["x_m"] = cells["x_m"].to_numpy()
    out["y_m"] = cells["y_m"].to_numpy()
    out = gpd.GeoDataFrame(out, geometry=cells.geometry.array, crs=metric)
    n_outside = int((where < 0).sum())
    if n_outside:
        warnings.warn(
            f"{n_outside} incidents fall outside every grid cell (outside the units) and are not counted.",
            BorderwatchWarning,
            stacklevel=2,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyproj: PROJ strings drop some metadata
        crs_text = crs_string(metric)
    params = {
        "crs": crs_text,
        "cell_km": float(cell_km),
        "cell_km_source": source,
        "shape": shape,
        "weights": dict(w.spec),
        "alpha": float(alpha),
        "permutations": int(permutations),
        "max_permutations": gi.attrs["gi"]["max_permutations"],
        "seed": seed,
        "inference": inference,
        "fdr": "benjamini-hochberg" if fdr else "none",
        "min_count": min_count,
        "n_cells": len(out),
        "islands": [int(x) for x in w.islands],
        "refined": gi.attrs["gi"]["refined"],
        "outside": n_outside,
        "trend": trend_info,
    }
    return out, params


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
) -> gpd.GeoDataFrame:
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
    GeoDataFrame
        A copy of ``units`` (same CRS) with ``gi_z``, ``gi_p``, ``gi_p_csr``,
        ``gi_p_sim``, ``gi_p_fdr``, ``hotspot_kind``, ``hotspot_confidence``, ``n_neighbors``,
        ``moran_i``, ``moran_p``,
        ``moran_class``; ``attrs["weights"]`` holds the weights spec.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"unit_id": list("abcd"), "incidents": [5, 7, 0, 1]}, crs=3857,
    ...     geometry=[box(i * 1e4, 0, (i + 1) * 1e4, 1e4) for i in range(4)])
    >>> unit_hotspots(units, permutations=99)["n_neighbors"].tolist()
    [1, 2, 2, 1]
    """
    units = _check_units(units)
    if column not in units.columns:
        msg = f"unit_hotspots: the units have no {column!r} column. Hint: count incidents per unit first (join.aggregate_counts) or pass column=."
        raise DataError(msg)
    values, _ = _values(
        pd.to_numeric(units[column], errors="coerce"), f"unit_hotspots (column {column!r})"
    )
    w = _grid.unit_weights(units, tolerance_m=tolerance_m, crs=crs)
    counts = bool((values >= 0).all() and np.all(values == np.round(values)))
    if inference is None:
        inference = "combined" if counts else "permutation"
    units_m, _ = to_metric(units, crs)
    gi = gi_star(
        values,
        w,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        fdr=fdr,
        min_count=min_count if counts else None,
        inference=inference,
        exposure=units_m.geometry.area.to_numpy(),
        max_permutations=max_permutations,
    )
    mor = local_moran(
        values,
        w,
        permutations=max(permutations, 99),
        seed=seed,
        alpha=alpha,
        fdr=fdr,
        max_permutations=max_permutations,
    )
    out = units.copy()
    for col in GI_COLUMNS:
        out[col] = gi[col].to_numpy()
    out["n_neighbors"] = w.cardinalities
    for col in ("moran_i", "moran_p", "moran_class"):
        out[col] = mor[col].to_numpy()
    out.attrs["weights"] = dict(w.spec)
    out.attrs["gi"] = dict(gi.attrs["gi"])
    return out


# --------------------------------------------------------------------------- regions


def _join_codes(values: pd.Series) -> str:
    codes = sorted({str(v) for v in values.dropna().tolist() if str(v)})
    return ",".join(codes)


REGION_COLUMNS = [
    "hotspot_id",
    "n_incidents",
    "countries",
    "cross_border",
    "border_km",
    "first_date",
    "last_date",
    "area_km2",
    "n_cells",
    "gi_z_max",
]


def hotspot_regions(
    cells: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None = None,
    *,
    alpha: float = 0.05,
) -> gpd.GeoDataFrame:
    """Merge adjacent significant hot cells into hotspot regions.

    Cells classed "Hot spot" at a confidence of at least ``1 - alpha``
    (95 and 99 % for the default 0.05) that are adjacent form one region:
    lattice neighbours (centres ``x_m``, ``y_m`` within
    :func:`borderwatch.grid.natural_threshold_m`) when the cells come from
    :mod:`borderwatch.grid`, else cells whose geometries touch.

    Parameters
    ----------
    cells : GeoDataFrame
        From :func:`cell_hotspots` (``hotspot_kind``, ``hotspot_confidence``, ``gi_z``,
        geometry), metric CRS.
    incidents : GeoDataFrame
        Points with ``country`` (ISO3, from the join; missing allowed) and
        optionally ``date``.
    border : GeoDataFrame, optional
        International border lines (``borderwatch.borders.border_lines``);
        without it ``border_km`` is missing.
    alpha : float, default 0.05

    Returns
    -------
    GeoDataFrame
        In the CRS of ``cells``, largest first: ``hotspot_id`` (1..k),
        ``n_incidents``, ``countries`` (ISO3 of the incidents inside, sorted,
        comma-separated), ``cross_border`` (incidents from two or more
        countries), ``border_km`` (distance from the region to the nearest
        international border, 0 when it crosses one), ``first_date``,
        ``last_date``, ``area_km2``, ``n_cells``, ``gi_z_max``, geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box, LineString
    >>> cells = gpd.GeoDataFrame({"hotspot_kind": ["hot", "hot", "none"], "hotspot_confidence": [99, 99, 0],
    ...     "gi_z": [4.0, 3.0, 0.1]}, geometry=[box(0, 0, 1e3, 1e3), box(1e3, 0, 2e3, 1e3), box(5e3, 0, 6e3, 1e3)], crs=3857)
    >>> pts = gpd.GeoDataFrame({"country": ["AAA", "BBB", "AAA"]},
    ...     geometry=[Point(500, 500), Point(1500, 500), Point(5500, 500)], crs=3857)
    >>> border = gpd.GeoDataFrame({"countries": ["AAA,BBB"]}, geometry=[LineString([(1e3, -1e4), (1e3, 1e4)])], crs=3857)
    >>> r = hotspot_regions(cells, pts, border)
    >>> r[["hotspot_id", "n_incidents", "countries", "cross_border", "border_km"]].to_dict("records")
    [{'hotspot_id': 1, 'n_incidents': 2, 'countries': 'AAA,BBB', 'cross_border': True, 'border_km': 0.0}]
    """
    require_crs(cells, what="cells")
    if not {"hotspot_kind", "hotspot_confidence"} <= set(cells.columns):
        msg = (
            "hotspot_regions: the cells have no 'hotspot_kind' and 'hotspot_confidence' columns. "
            "Hint: run cell_hotspots() first."
        )
        raise DataError(msg)
    incidents = _check_points(incidents)
    if "country" not in incidents.columns:
        msg = "hotspot_regions: the incidents have no 'country' column. Hint: join them to the units first (borderwatch.join_units)."
        raise DataError(msg)
    crs = CRS(cells.crs)
    if not crs.is_projected:
        cells, crs = to_metric(cells)
    sig = is_hot(cells, alpha=alpha)
    empty = gpd.GeoDataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in zip(
                REGION_COLUMNS,
                [
                    "int64",
                    "int64",
                    "str",
                    "bool",
                    "float64",
                    "datetime64[ns]",
                    "datetime64[ns]",
                    "float64",
                    "int64",
                    "float64",
                ],
                strict=True,
            )
        },
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )
    if not sig.any():
        return empty
    hot = cells[sig]
    geoms = np.asarray(hot.geometry.array, dtype=object)
    if {"x_m", "y_m"} <= set(cells.columns):
        # lattice neighbours (as the weights), so that a clipped cell (an
        # islet, a coastal sliver) stays with the cells next to it
        thr = _grid.natural_threshold_m(cells)
        xy = np.column_stack([hot["x_m"].to_numpy(float), hot["y_m"].to_numpy(float)])
        pairs = cKDTree(xy).query_pairs(thr, output_type="ndarray")
        a = np.concatenate([pairs[:, 0], np.arange(len(xy))])
        b = np.concatenate([pairs[:, 1], np.arange(len(xy))])
    else:
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="dwithin", distance=1.0)
    m = sparse.coo_array((np.ones(len(a)), (a, b)), shape=(len(geoms), len(geoms)))
    _, comp = connected_components(m, directed=False)
    z = hot["gi_z"].to_numpy(float) if "gi_z" in hot.columns else np.full(len(hot), np.nan)
    ncomp = int(comp.max()) + 1
    region_geoms = np.array(
        [shapely.union_all(geoms[comp == c]) for c in range(ncomp)], dtype=object
    )
    region_geoms = polygonal(region_geoms)
    pts = incidents.to_crs(crs) if not CRS(incidents.crs).equals(crs) else incidents
    rtree = shapely.STRtree(region_geoms)
    parr = np.asarray(pts.geometry.array, dtype=object)
    okp = np.flatnonzero(~(shapely.is_missing(parr) | shapely.is_empty(parr)))
    pi, ri = rtree.query(parr[okp], predicate="intersects")
    pi = okp[pi]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    pi, ri = pi[first], ri[first]
    dates = (
        pd.to_datetime(pts["date"], errors="coerce")
        if "date" in pts.columns
        else pd.Series(pd.NaT, index=pts.index)
    )
    frame = pd.DataFrame(
        {
            "region": ri,
            "country": pts["country"].astype("object").to_numpy()[pi],
            "date": dates.to_numpy()[pi],
        }
    )
    grp = frame.groupby("region")
    n_inc = np.bincount(ri, minlength=ncomp)
    countries = grp["country"].agg(_join_codes).reindex(range(ncomp), fill_value="")
    first_date = grp["date"].min().reindex(range(ncomp))
    last_date = grp["date"].max().reindex(range(ncomp))
    if border is not None and len(border):
        bl = border.to_crs(crs) if not CRS(border.crs).equals(crs) else border
        bgeom = shapely.union_all(np.asarray(bl.geometry.array, dtype=object))
        border_km = shapely.distance(region_geoms, bgeom) / 1000.0
    else:
        border_km = np.full(ncomp, np.nan)
    out = gpd.GeoDataFrame(
        {
            "n_incidents": n_inc.astype(np.int64),
            "countries": pd.array(countries.to_numpy(dtype=object), dtype="str"),
            "cross_border": [
                len([c for c in s.split(",") if c]) >= 2 for s in countries.to_numpy(dtype=object)
            ],
            "border_km": np.asarray(border_km, dtype=float),
            "first_date": pd.to_datetime(first_date.to_numpy()),
            "last_date": pd.to_datetime(last_date.to_numpy()),
            "area_km2": shapely.area(region_geoms) / 1e6,
            "n_cells": np.bincount(comp, minlength=ncomp).astype(np.int64),
            "gi_z_max": pd.Series(z).groupby(comp).max().reindex(range(ncomp)).to_numpy(),
        },
        geometry=region_geoms,
        crs=crs,
    )
    out = out.sort_values(
        ["n_incidents", "area_km2"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    out.insert(0, "hotspot_id", np.arange(1, len(out) + 1, dtype=np.int64))
    out["cross_border"] = out["cross_border"].astype(bool)
    return out


# --------------------------------------------------------------------------- emerging hotspots


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

    def patterns(
        a: np.ndarray, b: np.ndarray, kind: str, towards: np.ndarray, away: np.ndarray
    ) -> dict[str, np.ndarray]:
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

    hot_p = patterns(hot, cold, "hot", up, down)
    cold_p = patterns(cold, hot, "cold", down, up)
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
) -> pd.Series:
    """Emerging hot spots: Gi* per time bin and a Mann-Kendall trend per cell.

    Incidents are counted per cell and time bin (``freq``, a month by
    default); :func:`gi_star` runs on each bin with the same weights,
    permutations and FDR as the map, so a cell is "hot in bin t" when it is a
    hot spot at ``1 - alpha`` confidence in that bin. The Mann-Kendall test on
    each cell's series of Gi* z-scores measures whether clustering
    intensifies. Cells are then classed as ArcGIS's Emerging Hot Spot Analysis
    does (see :func:`_classify_trend`): new, consecutive, intensifying,
    persistent, diminishing, sporadic, oscillating, historical hot (or cold)
    spot, or "no pattern".

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a ``date`` column; undated incidents are ignored.
    cells : GeoDataFrame
        The grid (from :func:`borderwatch.grid.hex_grid` or
        :func:`cell_hotspots`).
    freq : str, default "MS"
        pandas offset alias of the bins. When the span needs more than
        ``max_bins`` bins, quarters ("QS") then years ("YS") are used instead,
        with a :class:`BorderwatchWarning`.
    weights : SpatialWeights or dict, optional
        The weights, or their spec (``params["weights"]`` of
        :func:`cell_hotspots`). Default: :func:`borderwatch.grid.cell_weights`
        of ``cells``.
    permutations, max_permutations, seed, alpha, fdr, min_count, inference
        As in :func:`gi_star`, per bin (no permutations by default: the
        default inference does not need them).
    mk_alpha : float, default 0.05
        Significance of the Mann-Kendall trend.
    min_bins : int, default 4
        Fewer bins than this raise :class:`DataError`.

    Returns
    -------
    Series
        ``trend_class`` aligned with ``cells.index``; ``attrs["emerging"]``
        holds ``freq``, ``bins``, ``start`` and ``end``.

    References
    ----------
    Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13, 245-259.
    Kendall, M. G. (1975). Rank Correlation Methods. Griffin.
    Esri, "How Emerging Hot Spot Analysis works", ArcGIS Pro documentation.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid
    >>> cells = hex_grid(gpd.GeoSeries([box(0, 0, 100_000, 100_000)], crs=3857), cell_km=10)
    >>> rng = np.random.default_rng(3)
    >>> months = pd.date_range("2022-01-01", periods=12, freq="MS")
    >>> bg = rng.uniform(0, 100_000, (240, 2)); bg_dates = rng.choice(months, 240)
    >>> late = rng.normal(50_000, 3_000, (120, 2)); late_dates = rng.choice(months[-2:], 120)
    >>> xy = np.vstack([bg, late])
    >>> pts = gpd.GeoDataFrame({"date": np.concatenate([bg_dates, late_dates])},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=3857)
    >>> tc = emerging_hotspots(pts, cells, seed=0)
    >>> sorted(set(tc) - {"no pattern"})
    ['consecutive hot spot']
    """
    incidents = _check_points(incidents)
    require_crs(cells_frame(cells), what="cells")
    if "date" not in incidents.columns:
        msg = "emerging_hotspots: the incidents have no 'date' column. Hint: pass --time-col when reading them."
        raise DataError(msg)
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    dated = dates.notna().to_numpy()
    if dated.sum() == 0:
        msg = "emerging_hotspots: no incident has a date."
        raise DataError(msg)
    d = dates[dated]
    used = freq
    bins, starts = _time_bins(d, freq)
    for coarser in ("QS", "YS"):
        if len(starts) <= max_bins:
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
    w = resolve_weights(cells, weights)
    cells = cells_frame(cells)
    where = _grid.point_cells(cells, incidents.geometry[dated])
    ok = where >= 0
    n = len(cells)
    counts = np.bincount(bins[ok] * n + where[ok], minlength=t * n).reshape(t, n).astype(float)
    exposure = cells["area_km2"].to_numpy(float) if "area_km2" in cells.columns else None
    hot = np.zeros((n, t), dtype=bool)
    cold = np.zeros((n, t), dtype=bool)
    zs = np.zeros((n, t))
    seeds = np.random.SeedSequence(seed).spawn(t)
    for b in range(t):
        if counts[b].sum() == 0:
            continue
        res = gi_star(
            counts[b],
            w,
            permutations=permutations,
            max_permutations=max_permutations,
            seed=int(seeds[b].generate_state(1)[0]),
            alpha=alpha,
            fdr=fdr,
            min_count=min_count,
            inference=inference,
            exposure=exposure,
        )
        hot[:, b] = is_hot(res, alpha=alpha)
        cold[:, b] = is_hot(res, alpha=alpha, kind="cold")
        zs[:, b] = res["gi_z"].to_numpy()
    active = hot.any(axis=1) | cold.any(axis=1)
    mk_z = np.zeros(n)
    mk_p = np.ones(n)
    if active.any():
        _, mk_z[active], mk_p[active] = mann_kendall(zs[active])
    labels = _classify_trend(hot, cold, mk_z, mk_p, mk_alpha)
    out = pd.Series(pd.array(labels, dtype="str"), index=cells.index, name="trend_class")
    out.attrs["emerging"] = {
        "freq": used,
        "bins": t,
        "start": str(starts[0].date()),
        "end": str(starts[-1].date()),
        "permutations": permutations,
        "alpha": alpha,
    }
    return out


# --------------------------------------------------------------------------- evaluation


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
    the significant hot cells of :func:`gi_star` (default inference, FDR at
    ``alpha``, 95 % confidence or more by default), whatever area they cover.

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
    incidents = _check_points(incidents)
    units = _check_units(units)
    if "date" not in incidents.columns:
        msg = "evaluate: the incidents have no 'date' column; a temporal split needs dates."
        raise DataError(msg)
    if not 0 < coverage < 1:
        msg = f"evaluate: coverage must be between 0 and 1, not {coverage!r}."
        raise DataError(msg)
    methods = [method] if isinstance(method, str) else list(method)
    unknown = sorted(set(methods) - {"gi", "kde", "counts", "hotspots"})
    if unknown:
        msg = (
            f"evaluate: unknown method(s) {unknown}. Hint: use 'gi', 'kde', 'counts' or 'hotspots'."
        )
        raise DataError(msg)
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
    rows = []
    for size in sizes:
        ck = (
            float(size)
            if size is not None
            else _grid.default_cell_km(fit, units=units_m, crs=metric, shape=shape)
        )
        build = _grid.hex_grid if shape == "hex" else _grid.square_grid
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
    cells = cells_frame(cells)
    area = cells["area_km2"].to_numpy(float)
    wf = _grid.point_cells(cells, fit.geometry)
    wt = _grid.point_cells(cells, test.geometry)
    cf = np.bincount(wf[wf >= 0], minlength=len(cells)).astype(float)
    ct = np.bincount(wt[wt >= 0], minlength=len(cells)).astype(float)
    n_fit_all, n_test_all = cf.sum(), ct.sum()
    rows = []
    for meth in methods:
        if meth == "counts":
            sel = _top_area(cf, area, coverage)
        elif meth == "gi":
            _, z = _gi_analytic(cf, _adjacency(w, len(cf))[0])
            sel = _top_area(z + 1e-9 * cf, area, coverage)
        elif meth == "kde":
            bw = bandwidth_km or (ck if math.isfinite(ck) else math.sqrt(np.median(area)))
            sel = _top_area(_kde_score(fit, cells, CRS(cells.crs), bw), area, coverage)
        else:
            res = gi_star(
                cf, w, permutations=permutations, seed=seed, alpha=alpha, min_count=3, exposure=area
            )
            sel = is_hot(res, alpha=alpha)
        rows.append(_scores(meth, ck, split_date, cf, ct, area, sel, n_fit_all, n_test_all))
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
    n_fit_all: float,
    n_test_all: float,
) -> dict[str, Any]:
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


def pai_of_map(
    incidents: gpd.GeoDataFrame,
    cells: Grid | gpd.GeoDataFrame,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    weights: Any = None,
    permutations: int = 0,
    split: float | str | pd.Timestamp | None = 0.75,
    min_span_days: int = 180,
    min_incidents: int = 50,
) -> float | None:
    """PAI of the hotspot map on the analysis grid, or None when it cannot be judged.

    The significant hot cells (:func:`gi_star` with the default inference, as
    :func:`cell_hotspots`) are found on ``cells`` from the incidents before
    ``split`` and scored on the later ones: ``PAI = (n / N) / (a / A)``. Returns
    None when the dated incidents span fewer than ``min_span_days`` days, are
    fewer than ``min_incidents``, leave fewer than 10 on either side of the
    split, or when the earlier period has no hot spot.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with ``date``.
    cells : GeoDataFrame
        The grid of :func:`cell_hotspots` (metric CRS).
    weights : SpatialWeights or dict, optional
        The weights, or their spec (``params["weights"]``); default the
        natural distance band of ``cells``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> from borderwatch.grid import hex_grid
    >>> cells = hex_grid(gpd.GeoSeries([box(0, 0, 1e5, 1e5)], crs=3857), cell_km=10)
    >>> pts = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-01-01"] * 3)}, geometry=[Point(1, 1)] * 3, crs=3857)
    >>> pai_of_map(pts, cells) is None
    True
    """
    incidents = _check_points(incidents)
    require_crs(cells_frame(cells), what="cells")
    if "date" not in incidents.columns or "area_km2" not in cells_frame(cells).columns:
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


def hotspot_map_pai(
    incidents: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    cell_km: float | None = None,
    shape: Literal["hex", "square"] = "hex",
    permutations: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    crs: CRS | str | None = None,
    split: float | str | pd.Timestamp | None = 0.75,
    min_span_days: int = 180,
    min_incidents: int = 50,
) -> float | None:
    """PAI of the hotspot map on a temporal split, or None when it cannot be judged.

    The significant hot cells (:func:`gi_star`, as in the map) are found on
    the incidents before ``split`` and scored on the later ones
    (:func:`evaluate` with ``method="hotspots"``). Returns None when the dated
    incidents span fewer than ``min_span_days`` days, when there are fewer than
    ``min_incidents`` dated incidents or fewer than 10 after the split, or
    when the fit period has no hot spot.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> units = gpd.GeoDataFrame(geometry=[box(0, 0, 1e5, 1e5)], crs=3857)
    >>> pts = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-01-01"] * 3)}, geometry=[Point(1, 1)] * 3, crs=3857)
    >>> hotspot_map_pai(pts, units) is None
    True
    """
    incidents = _check_points(incidents)
    if "date" not in incidents.columns:
        return None
    dates = pd.to_datetime(incidents["date"], errors="coerce").dropna()
    if len(dates) < min_incidents or (dates.max() - dates.min()).days < min_span_days:
        return None
    split_date = _split_date(dates, split)
    if int((dates >= split_date).sum()) < 10 or int((dates < split_date).sum()) < 10:
        return None
    res = evaluate(
        incidents,
        units,
        method="hotspots",
        cell_km=cell_km,
        shape=shape,
        split=split_date,
        crs=crs,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
    )
    pai = float(res["pai"].iloc[0])
    flagged = int(res["cells_flagged"].iloc[0])
    return pai if math.isfinite(pai) and flagged > 0 else None
