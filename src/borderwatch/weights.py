"""Spatial weights between grid cells or administrative units, across borders.

Neighbours ignore countries: the weights know nothing about them, so links
cross international borders. Grid cells are linked by a distance band between
their lattice centres (the ring of adjacent cells by default), by their ``k``
nearest centres, or by fuzzy contiguity; units by fuzzy contiguity, which
bridges the slivers and gaps along borders where two countries' boundary
files do not meet exactly.

:func:`cell_weights`, :func:`unit_weights`, :func:`natural_threshold_m` and
:class:`SpatialWeights` are also reachable as ``borderwatch.grid.<name>``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.spatial import cKDTree

from ._crs import require_crs, to_metric
from ._errors import BorderwatchWarning, DataError
from ._lattice import Grid, band_m, cells_frame

__all__ = [
    "SpatialWeights",
    "cell_weights",
    "natural_threshold_m",
    "resolve_weights",
    "unit_weights",
]

WeightsKind = Literal["distance_band", "knn", "contiguity"]


@dataclass(frozen=True)
class SpatialWeights:
    """Binary spatial weights between cells or units.

    Attributes
    ----------
    sparse : scipy.sparse.csr_array
        ``n x n`` binary adjacency without self-weights; row ``i`` lists the
        neighbours of observation ``i``. Gi* adds the self-weight itself.
    spec : dict
        JSON-able description, as ``summary.json`` records it, e.g.
        ``{"type": "distance_band", "threshold_m": 5050.0, "binary": True, "star": True}``.
    ids : numpy.ndarray
        The ids of the rows (``cell_id`` or ``unit_id``).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> w = SpatialWeights(sparse.csr_array(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0.0]])),
    ...                    {"type": "knn", "k": 1, "star": True}, np.array(["a", "b", "c"]))
    >>> w.cardinalities.tolist(), w.islands.tolist()
    ([1, 1, 0], ['c'])
    """

    sparse: sparse.csr_array
    spec: dict[str, Any]
    ids: np.ndarray

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.sparse.shape[0])

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each observation (self not included)."""
        return np.diff(self.sparse.indptr).astype(np.int64)

    @property
    def islands(self) -> np.ndarray:
        """Ids of the observations without any neighbour."""
        return self.ids[self.cardinalities == 0]

    def to_graph(self) -> Any:
        """The weights as a :class:`libpysal.graph.Graph` (ids in row order)."""
        from libpysal.graph import Graph

        return Graph.from_sparse(self.sparse, ids=self.ids)

    def to_W(self) -> Any:  # noqa: N802 - libpysal's name
        """The weights as a :class:`libpysal.weights.W` (``id_order`` = row order)."""
        from libpysal.weights import W

        m = self.sparse.tocsr()
        neighbors = {}
        for i, key in enumerate(self.ids.tolist()):
            cols = m.indices[m.indptr[i] : m.indptr[i + 1]]
            neighbors[key] = [
                self.ids[j].item() if hasattr(self.ids[j], "item") else self.ids[j] for j in cols
            ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return W(neighbors, id_order=self.ids.tolist(), silence_warnings=True)


def _from_pairs(i: np.ndarray, j: np.ndarray, n: int, *, symmetric: bool) -> sparse.csr_array:
    keep = i != j
    i, j = i[keep], j[keep]
    if symmetric:
        i, j = np.concatenate([i, j]), np.concatenate([j, i])
    m = sparse.csr_array((np.ones(len(i)), (i, j)), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def _warn_islands(w: SpatialWeights, what: str) -> None:
    isl = w.islands
    if len(isl):
        shown = ", ".join(str(x) for x in isl[:10].tolist())
        more = f" (and {len(isl) - 10} more)" if len(isl) > 10 else ""
        warnings.warn(
            f"{len(isl)} {what} have no neighbour under {w.spec['type']} weights: {shown}{more}. "
            "Their local statistics are not significant by construction.",
            BorderwatchWarning,
            stacklevel=3,
        )


def _centres(cells: gpd.GeoDataFrame) -> np.ndarray:
    if {"x_m", "y_m"} <= set(cells.columns):
        return np.column_stack([cells["x_m"].to_numpy(float), cells["y_m"].to_numpy(float)])
    return shapely.get_coordinates(
        shapely.point_on_surface(np.asarray(cells.geometry.array, dtype=object))
    )


def natural_threshold_m(cells: Grid | gpd.GeoDataFrame) -> float:
    """The distance band that links each cell to its ring of adjacent cells.

    1.01 times the lattice spacing for hexagons (6 neighbours) and 1.01 times
    the diagonal for squares (8 neighbours, queen), rounded to the centimetre.
    A :class:`~borderwatch.grid.Grid` knows its spacing and shape
    (:attr:`Grid.threshold_m <borderwatch.grid.Grid.threshold_m>`); for other
    cells they are inferred from the median nearest-neighbour distance of the
    cell centres and how many centres lie at that distance.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid, square_grid
    >>> area = gpd.GeoSeries([box(0, 0, 50_000, 50_000)], crs=3857)
    >>> natural_threshold_m(hex_grid(area, cell_km=5)), natural_threshold_m(square_grid(area, cell_km=5))
    (5050.0, 7141.78)
    >>> natural_threshold_m(hex_grid(area, cell_km=5).cells)  # inferred from the centres
    5050.0
    """
    if isinstance(cells, Grid):
        return cells.threshold_m
    xy = _centres(cells)
    if len(xy) < 2:
        return 0.0
    tree = cKDTree(xy)
    d, _ = tree.query(xy, k=2)
    spacing = float(np.median(d[:, 1]))
    counts = np.array([len(x) - 1 for x in tree.query_ball_point(xy, spacing * 1.01)])
    return band_m(spacing, "hex" if np.median(counts) >= 5 else "square")


def cell_weights(
    cells: Grid | gpd.GeoDataFrame,
    *,
    kind: WeightsKind = "distance_band",
    threshold_m: float | None = None,
    k: int = 8,
    tolerance_m: float = 1.0,
    star: bool = True,
    warn: bool = True,
) -> SpatialWeights:
    """Spatial weights between grid cells, across borders.

    Parameters
    ----------
    cells : Grid or GeoDataFrame
        A :class:`~borderwatch.grid.Grid` (from :func:`~borderwatch.grid.hex_grid`
        or :func:`~borderwatch.grid.square_grid`), or any polygons in a metric CRS.
    kind : {"distance_band", "knn", "contiguity"}
        ``distance_band``: binary, cells whose centres are within
        ``threshold_m`` (default :func:`natural_threshold_m`: the 6 adjacent
        hexagons, or the 8 squares around). ``knn``: the ``k`` nearest cell
        centres (asymmetric). ``contiguity``: cells whose geometries touch or
        lie within ``tolerance_m`` of each other (fuzzy contiguity).
        Centres are the lattice centres ``x_m``, ``y_m`` when present, so
        clipping does not move them.
    threshold_m, k, tolerance_m : number
        Parameters of the kinds above.
    star : bool
        Recorded in ``spec``: whether the statistic includes the cell itself
        (Gi*); the matrix never holds self-weights.
    warn : bool
        Emit a :class:`BorderwatchWarning` when some cells have no neighbour.

    Returns
    -------
    SpatialWeights
        ``sparse``, ``spec`` (as ``summary.json`` records it) and ``ids``
        (``cell_id``, or the index); ``islands`` lists cells without neighbours.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid
    >>> units = gpd.GeoDataFrame(geometry=[box(0, 0, 100_000, 100_000)], crs=3857)
    >>> w = cell_weights(hex_grid(units, cell_km=10))
    >>> w.spec
    {'type': 'distance_band', 'threshold_m': 10100.0, 'binary': True, 'star': True}
    >>> int(w.cardinalities.max())
    6
    """
    frame = cells_frame(cells)
    require_crs(frame, what="cells")
    if not CRS(frame.crs).is_projected:
        msg = "cell_weights: the cells are in a geographic CRS. Hint: build them with hex_grid(), which uses a metric CRS."
        raise DataError(msg)
    ids = frame["cell_id"].to_numpy() if "cell_id" in frame.columns else frame.index.to_numpy()
    if kind == "distance_band":
        thr = natural_threshold_m(cells) if threshold_m is None else float(threshold_m)
        m, spec = _distance_band(frame, thr)
    elif kind == "knn":
        m, spec = _knn(frame, k)
    elif kind == "contiguity":
        m = _fuzzy(np.asarray(frame.geometry.array, dtype=object), tolerance_m)
        spec = {"type": "fuzzy_contiguity", "tolerance_m": float(tolerance_m), "binary": True}
    else:
        msg = f"cell_weights: unknown kind {kind!r}. Hint: use 'distance_band', 'knn' or 'contiguity'."
        raise DataError(msg)
    w = SpatialWeights(sparse=m, spec={**spec, "star": bool(star)}, ids=np.asarray(ids))
    if warn:
        _warn_islands(w, "cells")
    return w


def _distance_band(cells: gpd.GeoDataFrame, thr: float) -> tuple[sparse.csr_array, dict[str, Any]]:
    """Binary links between cell centres within ``thr`` metres."""
    if not thr > 0:
        msg = f"cell_weights: threshold_m must be positive, not {thr!r}."
        raise DataError(msg)
    n = len(cells)
    xy = _centres(cells)
    pairs = cKDTree(xy).query_pairs(thr, output_type="ndarray") if n else np.zeros((0, 2), int)
    m = _from_pairs(pairs[:, 0], pairs[:, 1], n, symmetric=True)
    return m, {"type": "distance_band", "threshold_m": float(thr), "binary": True}


def _knn(cells: gpd.GeoDataFrame, k: int) -> tuple[sparse.csr_array, dict[str, Any]]:
    """Links from each cell centre to its ``k`` nearest others (asymmetric)."""
    n = len(cells)
    if not (isinstance(k, int | np.integer) and 0 < k < max(n, 2)):
        msg = f"cell_weights: k must be an integer between 1 and the number of cells - 1 ({n - 1}), not {k!r}."
        raise DataError(msg)
    xy = _centres(cells)
    _, nn = cKDTree(xy).query(xy, k=int(k) + 1)
    nn = np.asarray(nn).reshape(n, -1)
    rows = np.repeat(np.arange(n), nn.shape[1])
    cols = nn.ravel()
    # drop self, keep the first k others
    not_self = cols != rows
    rows, cols = rows[not_self], cols[not_self]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    keep = rank < k
    return _from_pairs(rows[keep], cols[keep], n, symmetric=False), {"type": "knn", "k": int(k)}


def resolve_weights(cells: Grid | gpd.GeoDataFrame, weights: Any = None) -> Any:
    """The weights of ``cells``: the given ones, rebuilt from a spec, or the default.

    Parameters
    ----------
    cells : Grid or GeoDataFrame
        The cells the weights are for.
    weights : SpatialWeights, dict or None
        ``None``: :func:`cell_weights` with its defaults (the natural distance
        band). A ``dict``: a spec as ``summary.json`` records it
        (``SpatialWeights.spec``), rebuilt on ``cells``. Anything else (a
        :class:`SpatialWeights`, a libpysal W or Graph, a matrix) is returned
        unchanged.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch.grid import hex_grid
    >>> g = hex_grid(gpd.GeoSeries([box(0, 0, 50_000, 50_000)], crs=3857), cell_km=10)
    >>> resolve_weights(g, {"type": "knn", "k": 3}).spec
    {'type': 'knn', 'k': 3, 'star': True}
    """
    if weights is None:
        return cell_weights(cells, warn=False)
    if isinstance(weights, Mapping):
        kind = weights.get("type")
        if kind == "distance_band":
            return cell_weights(cells, threshold_m=weights.get("threshold_m"), warn=False)
        if kind == "knn":
            return cell_weights(cells, kind="knn", k=int(weights.get("k", 8)), warn=False)
        if kind == "fuzzy_contiguity":
            return cell_weights(
                cells,
                kind="contiguity",
                tolerance_m=float(weights.get("tolerance_m", 1.0)),
                warn=False,
            )
        msg = f"unknown weights spec {dict(weights)!r}. Hint: pass the 'weights' spec of cell_hotspots() (CellHotspots.weights.spec)."
        raise DataError(msg)
    return weights


def _fuzzy(geoms: np.ndarray, tolerance_m: float) -> sparse.csr_array:
    """Fuzzy contiguity: polygons that touch, overlap or lie within ``tolerance_m``.

    The same links as libpysal's ``Graph.build_fuzzy_contiguity(geoms,
    buffer=tolerance_m / 2)`` (tested), found with one ``dwithin`` query of a
    shapely STR-tree instead of buffering every polygon: about 20 times faster
    on full-resolution boundaries.
    """
    n = len(geoms)
    if n == 0:
        return sparse.csr_array((0, 0))
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    valid = geoms.copy()
    valid[~ok] = None
    tree = shapely.STRtree(valid)
    if tolerance_m > 0:
        i, j = tree.query(geoms[ok], predicate="dwithin", distance=float(tolerance_m))
    else:
        i, j = tree.query(geoms[ok], predicate="intersects")
    i = np.flatnonzero(ok)[i]
    return _from_pairs(i, j, n, symmetric=True)


def unit_weights(
    units: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 1000.0,
    crs: CRS | str | None = None,
    star: bool = True,
    warn: bool = True,
) -> SpatialWeights:
    """Fuzzy contiguity between administrative units, across borders.

    Two countries' boundary files rarely meet exactly: slivers (overlaps) and
    gaps run along borders. Units are neighbours when they touch, overlap or
    lie within ``tolerance_m`` of each other (the links of libpysal's
    ``Graph.build_fuzzy_contiguity`` with a buffer of half the tolerance), so
    a unit on one side of a border has its neighbours on the other.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons with a CRS; ``unit_id`` gives the ids when present.
    tolerance_m : float, default 1000
        Largest gap bridged, in metres.
    crs : CRS, optional
        Metric CRS for the buffering.
    star, warn : bool
        As in :func:`cell_weights`; units without neighbours (islands) are
        reported with a :class:`BorderwatchWarning`.

    Returns
    -------
    SpatialWeights
        ``spec`` = ``{"type": "fuzzy_contiguity", "tolerance_m": ..., "binary": True, "star": ...}``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"unit_id": ["a", "b", "c"]}, crs=3857,
    ...     geometry=[box(0, 0, 10_000, 10_000), box(10_300, 0, 20_000, 10_000), box(50_000, 0, 60_000, 10_000)])
    >>> w = unit_weights(units, tolerance_m=500, warn=False)
    >>> w.cardinalities.tolist(), w.islands.tolist()
    ([1, 1, 0], ['c'])
    """
    require_crs(units, what="units")
    if not (isinstance(tolerance_m, int | float) and tolerance_m >= 0):
        msg = f"unit_weights: tolerance_m must be a non-negative number of metres, not {tolerance_m!r}."
        raise DataError(msg)
    um, _ = to_metric(units, crs)
    geoms = np.asarray(um.geometry.array, dtype=object)
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    m = _fuzzy(geoms, float(tolerance_m))
    ids = units["unit_id"].to_numpy() if "unit_id" in units.columns else units.index.to_numpy()
    spec = {
        "type": "fuzzy_contiguity",
        "tolerance_m": float(tolerance_m),
        "binary": True,
        "star": bool(star),
    }
    w = SpatialWeights(sparse=m, spec=spec, ids=np.asarray(ids))
    if warn:
        _warn_islands(w, "units")
    return w
