"""Generalised hotspot and cluster shapes for the public view.

A public shape is a union of grid cells (the analysis ``cells``) or of squares
of a coarse lattice. It covers the original shape, and its corners are cell or
lattice corners kept at least ``min_vertex_m`` from every incident, so it tells
nobody where an incident happened.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from .._crs import WGS84, study_crs
from .._errors import BorderwatchWarning, DataError
from .._geom import METRIC_GRID_M, robust_union, valid_polygons
from .._result import AnalysisResult
from ..clusters import CLUSTER_COLUMNS
from ..regions import REGION_COLUMNS
from ..scan import SCAN_COLUMNS
from ._info import IncidentInfo

__all__ = ["MIN_VERTEX_M", "generalise_shapes"]

MIN_VERTEX_M = 100.0
"""Default minimum distance (metres) between a vertex of a public shape and any incident."""

# the public columns of each shape layer: the layer's own columns, less those that are not safe
# (the peak z-score of a region, the number of core points of a cluster, the number of distinct
# locations can reveal small counts)
_UNSAFE = frozenset({"gi_z_max", "n_core", "n_locations"})
_SHAPE_COLUMNS = {
    "hotspots": (*(c for c in REGION_COLUMNS if c not in _UNSAFE), "geometry"),
    "clusters": (*(c for c in CLUSTER_COLUMNS if c not in _UNSAFE), "geometry"),
    "scan": (*(c for c in SCAN_COLUMNS if c not in _UNSAFE), "geometry"),
}

_MAX_SQUARES = 250_000
_N_ORIGINS = 64


def generalise_shapes(
    geoms: gpd.GeoSeries,
    *,
    cell_km: float,
    incidents: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    min_vertex_m: float = MIN_VERTEX_M,
    crs: CRS | str | None = None,
    seed: int = 0,
) -> gpd.GeoSeries:
    """Replace shapes by the union of the lattice squares they touch.

    Every shape becomes the union of the squares of a square lattice (side
    ``cell_km``, in a metric CRS) that it intersects, with collinear corners
    removed. It therefore covers the original shape, and its vertices are
    lattice corners, never incident locations. When ``incidents`` are given,
    the lattice origin is shifted (deterministically, from ``seed``) until no
    vertex lies within ``min_vertex_m`` of an incident; a shape for which no
    origin works after 64 tries keeps the best one and a
    :class:`BorderwatchWarning` is raised.

    Parameters
    ----------
    geoms : GeoSeries
        Polygons, lines or points with a CRS (a convex hull that degenerates to
        a point or a line is fine).
    cell_km : float
        Side of the lattice squares in km.
    incidents : GeoDataFrame or GeoSeries, optional
        The incident points the vertices must keep away from.
    min_vertex_m : float, default 100
    crs : CRS, optional
        Metric CRS of the lattice; default: ``geoms``' own if projected, else
        :func:`borderwatch.study_crs`.
    seed : int, default 0
        Seed of the origin shifts.

    Returns
    -------
    GeoSeries
        Same index and CRS as ``geoms``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import MultiPoint
    >>> hull = MultiPoint([(1000, 1000), (3900, 1500), (2500, 3800)]).convex_hull
    >>> g = gpd.GeoSeries([hull], crs=3857)
    >>> out = generalise_shapes(g, cell_km=2.0)
    >>> out.iloc[0].bounds
    (0.0, 0.0, 4000.0, 4000.0)
    >>> out.iloc[0].contains(hull)
    True
    """
    if geoms.crs is None:
        msg = "the shapes have no CRS. Hint: set it, e.g. gs.set_crs('EPSG:4326')."
        raise DataError(msg)
    if not (np.isfinite(cell_km) and cell_km > 0):
        msg = f"cell_km must be a positive number of kilometres (got {cell_km!r})."
        raise DataError(msg)
    if crs is not None:
        metric = CRS(crs)
    elif CRS(geoms.crs).is_projected:
        metric = CRS(geoms.crs)
    else:
        metric = study_crs(geoms)
    g = geoms.to_crs(metric)
    tree = None
    if incidents is not None and len(incidents):
        pts = incidents.geometry if isinstance(incidents, gpd.GeoDataFrame) else incidents
        pts = pts[~(pts.isna() | pts.is_empty)]
        if len(pts):
            tree = cKDTree(shapely.get_coordinates(pts.to_crs(metric).values))
    out = _generalise(
        g.values, s=float(cell_km) * 1000.0, tree=tree, min_m=min_vertex_m, seed=seed, stacklevel=3
    )
    return gpd.GeoSeries(out, index=geoms.index, crs=metric).to_crs(geoms.crs)


# ---------------------------------------------------------------------------------------------
# the public hotspot and cluster layers
# ---------------------------------------------------------------------------------------------


def _lattice_km(result: AnalysisResult, cell_km: float | None) -> float:
    """Side of the lattice: ``cell_km``, else the summary's ``cell_km``, the cells' side or 5 km."""
    if cell_km is not None:
        return float(cell_km)
    v = result.summary.get("cell_km") if isinstance(result.summary, Mapping) else None
    if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) and v > 0:
        return float(v)
    cells = result.cells
    if cells is not None and len(cells) and cells.crs is not None:
        crs = CRS(result.crs) if result.crs is not None and CRS(result.crs).is_projected else None
        metric = cells.to_crs(crs) if crs is not None else cells.to_crs(study_crs(cells))
        side = float(np.sqrt(np.median(metric.area))) / 1000.0
        if np.isfinite(side) and side > 0:
            return round(side, 3)
    return 5.0


def _public_shapes(
    shapes: gpd.GeoDataFrame | None,
    *,
    kind: str,
    k: int,
    lattice_km: float,
    crs: CRS | None,
    info: IncidentInfo,
    border: gpd.GeoDataFrame | None,
    min_vertex_m: float,
    cells: gpd.GeoDataFrame | None,
    tree: Any = None,
) -> gpd.GeoDataFrame | None:
    """The public ``hotspots`` or ``clusters`` (``kind``): at least ``k`` incidents, generalised.

    ``tree`` finds the nearest incident (``.query(xy, k=1)``); default a KD-tree of
    ``info``'s incidents. Warnings name the caller of :func:`~borderwatch.privacy.public_view`.
    """
    if shapes is None:
        return None
    if "n_incidents" not in shapes.columns:
        msg = f"the {kind} have no n_incidents column, so they cannot be checked against k and were left out of the public view."
        warnings.warn(msg, BorderwatchWarning, stacklevel=3)
        return None
    out = _shapes_with_k(shapes, kind=kind, k=k)
    if shapes.crs is None or crs is None:
        if len(out):
            msg = f"the {kind} have no CRS, so they cannot be generalised and were left out of the public view."
            warnings.warn(msg, BorderwatchWarning, stacklevel=3)
            return None
        return out
    tree = tree if tree is not None else _incident_tree(info, crs)
    gen = _generalised(
        out, crs=crs, tree=tree, cells=cells, lattice_km=lattice_km, min_vertex_m=min_vertex_m
    )
    out = _measured(out, gen, border=border, lattice_km=lattice_km)
    out = out.set_geometry(valid_polygons(gen.to_crs(shapes.crs).values))
    out = out.set_crs(shapes.crs, allow_override=True)
    if "n_incidents" in out.columns:
        out["n_incidents"] = pd.to_numeric(out["n_incidents"], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


def _shapes_with_k(shapes: gpd.GeoDataFrame, *, kind: str, k: int) -> gpd.GeoDataFrame:
    """The shapes with ``n_incidents >= k``, only their public columns, geometry named ``geometry``."""
    n_inc = pd.to_numeric(shapes["n_incidents"], errors="coerce")
    keep = (n_inc >= k).fillna(False).to_numpy(dtype=bool)
    cols = [c for c in _SHAPE_COLUMNS[kind] if c in shapes.columns and c != "geometry"]
    out = gpd.GeoDataFrame(
        shapes.loc[keep, cols].copy(), geometry=shapes.geometry[keep].values, crs=shapes.crs
    )
    out.index = shapes.index[keep]
    if shapes.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    return out


def _incident_tree(info: IncidentInfo, crs: CRS) -> cKDTree | None:
    """A KD-tree of the incidents in ``crs`` (None without incidents)."""
    if info.xy is None or not len(info.xy) or info.crs is None:
        return None
    if CRS(info.crs).equals(crs):
        return cKDTree(info.xy)
    pts = gpd.GeoSeries(gpd.points_from_xy(info.lonlat[:, 0], info.lonlat[:, 1]), crs=WGS84)
    return cKDTree(shapely.get_coordinates(pts.to_crs(crs).values))


def _generalised(
    shapes: gpd.GeoDataFrame,
    *,
    crs: CRS,
    tree: cKDTree | None,
    cells: gpd.GeoDataFrame | None,
    lattice_km: float,
    min_vertex_m: float,
) -> gpd.GeoSeries:
    """Each shape as a union of grid cells, else of lattice squares, in ``crs``.

    A cell union is used when there are ``cells`` and none of its corners lies
    within ``min_vertex_m`` of an incident; the other shapes use the lattice.
    """
    gen = np.full(len(shapes), None, dtype=object)
    if cells is not None and len(cells) and cells.crs is not None:
        # union of the analysis grid cells each shape overlaps; vertices are cell corners.
        # Unions are computed in the metric CRS (cells come back from EPSG:4326, where edges
        # that were shared no longer match exactly and GEOS can fail)
        own = shapes.geometry.to_crs(crs).values
        unions = _cell_unions(own, cells.geometry.to_crs(crs).values)
        made = [i for i, u in enumerate(unions) if u is not None and not shapely.is_empty(u)]
        far = _vertex_distances(unions[made], tree) >= min_vertex_m  # one lookup for all
        for i in np.asarray(made, dtype=np.int64)[far]:
            gen[i] = unions[i]
    todo = np.flatnonzero([g is None for g in gen])
    if todo.size:
        metric = shapes.geometry.to_crs(crs)
        gen[todo] = _generalise(
            metric.values[todo],
            s=lattice_km * 1000.0,
            tree=tree,
            min_m=min_vertex_m,
            seed=0,
            stacklevel=5,
        )
    return gpd.GeoSeries(gen, index=shapes.index, crs=crs)


def _measured(
    shapes: gpd.GeoDataFrame,
    gen: gpd.GeoSeries,
    *,
    border: gpd.GeoDataFrame | None,
    lattice_km: float,
) -> gpd.GeoDataFrame:
    """``area_km2`` and ``border_km`` of the generalised shapes ``gen``, dates as months."""
    out = shapes.copy()
    crs = gen.crs
    if "area_km2" in out.columns:
        out["area_km2"] = np.round(gen.area.to_numpy() / 1e6, 1)
    if "border_km" in out.columns:
        if border is not None and len(border) and border.crs is not None:
            line = robust_union(border.geometry.to_crs(crs).values, grid_size=METRIC_GRID_M)
            out["border_km"] = np.round(gen.distance(line).to_numpy() / 1000.0, 1)
        else:
            bk = pd.to_numeric(out["border_km"], errors="coerce").to_numpy(dtype=float)
            out["border_km"] = np.floor(bk / lattice_km) * lattice_km
    for c in ("first_date", "last_date"):
        if c in out.columns:
            out[c] = _to_month(out[c])
    return out


def _to_month(series: pd.Series) -> pd.Series:
    """Dates (or date strings) as ``YYYY-MM`` text."""
    if pd.api.types.is_datetime64_any_dtype(series):
        dt = series
    else:
        dt = pd.to_datetime(series.astype("string"), errors="coerce", format="mixed")
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_localize(None)
    return dt.dt.strftime("%Y-%m").astype("string")


# ---------------------------------------------------------------------------------------------
# unions of cells and of lattice squares
# ---------------------------------------------------------------------------------------------


def _cell_unions(geoms: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """For each shape, the union of the cells whose interior it overlaps (same metric CRS)."""
    tree = shapely.STRtree(cells)
    out = np.full(len(geoms), None, dtype=object)
    for i, g in enumerate(geoms):
        if g is None or shapely.is_empty(g):
            continue
        idx = tree.query(g, predicate="intersects")
        if idx.size == 0:
            continue
        inner = shapely.relate_pattern(cells[idx], g, "T********")
        sel = idx[inner] if inner.any() else idx  # a point or line on a cell edge
        out[i] = shapely.simplify(robust_union(cells[sel], grid_size=METRIC_GRID_M), 0.0)
    return out


def _lattice_union(geom: shapely.Geometry, s: float, ox: float, oy: float) -> shapely.Geometry:
    """The union of the squares (side ``s``, origin ``ox, oy``) that ``geom`` touches."""
    minx, miny, maxx, maxy = geom.bounds
    while ((maxx - minx) / s + 2) * ((maxy - miny) / s + 2) > _MAX_SQUARES:
        s *= 2.0  # a huge shape on a fine lattice: coarsen rather than build millions of squares
    i0, i1 = math.floor((minx - ox) / s), math.floor((maxx - ox) / s)
    j0, j1 = math.floor((miny - oy) / s), math.floor((maxy - oy) / s)
    gi, gj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    ii, jj = gi.ravel(), gj.ravel()
    boxes = shapely.box(ox + ii * s, oy + jj * s, ox + (ii + 1) * s, oy + (jj + 1) * s)
    shapely.prepare(geom)
    hit = shapely.intersects(boxes, geom)
    union = robust_union(boxes[hit], grid_size=METRIC_GRID_M)
    return shapely.simplify(union, 0.0)


def _vertex_distance(geom: shapely.Geometry, tree: cKDTree | None) -> float:
    """Distance from the nearest vertex of ``geom`` to the nearest incident."""
    if tree is None:
        return math.inf
    xy = shapely.get_coordinates(geom)
    if xy.size == 0:
        return math.inf
    d, _ = tree.query(xy, k=1)
    return float(np.min(d))


def _vertex_distances(geoms: np.ndarray, tree: Any) -> np.ndarray:
    """:func:`_vertex_distance` of each of ``geoms``, with one lookup of all their vertices."""
    out = np.full(len(geoms), math.inf)
    if tree is None or not len(geoms):
        return out
    xy, which = shapely.get_coordinates(geoms, return_index=True)
    if not len(xy):
        return out
    d, _ = tree.query(xy, k=1)
    np.minimum.at(out, which, np.asarray(d, dtype=float))
    return out


def _generalise(
    geoms: np.ndarray,
    *,
    s: float,
    tree: cKDTree | None,
    min_m: float,
    seed: int,
    stacklevel: int,
) -> np.ndarray:
    """Lattice generalisation of metric shapes, the origin shifted until corners keep ``min_m``.

    ``stacklevel`` of the warning, counted from this function, names the user's call.
    """
    rng = np.random.default_rng(seed)
    origins = [(0.0, 0.0)] + [tuple(o) for o in rng.uniform(0.0, s, size=(_N_ORIGINS - 1, 2))]
    out = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        if geom is None or shapely.is_empty(geom):
            out[i] = None
            continue
        best, best_d = None, -1.0
        for ox, oy in origins:
            cand = _lattice_union(geom, s, ox, oy)
            d = _vertex_distance(cand, tree)
            if d > best_d:
                best, best_d = cand, d
            if d >= min_m:
                break
        if best_d < min_m:
            msg = (
                f"a generalised shape keeps a corner {best_d:.0f} m from an incident (less than "
                f"{min_m:.0f} m): the incidents are too dense for the lattice. Hint: use a larger cell size ([[cell_km]])."
            )
            warnings.warn(msg, BorderwatchWarning, stacklevel=stacklevel)
        out[i] = best
    return out
