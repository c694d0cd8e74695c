"""The candidate areas of the priorities, and what each holds (incidents, cells, actions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._crs import WGS84

__all__ = [
    "TREND_SCORES",
    "candidate_areas",
    "count_in",
    "counts_in",
    "locate_actions",
    "trend_of",
]

#: Score of each emerging-hotspot pattern for the trend component (hot spots only).
TREND_SCORES: Final = {
    "new": 1.0,
    "intensifying": 1.0,
    "consecutive": 0.75,
    "persistent": 0.5,
    "sporadic": 0.5,
    "oscillating": 0.5,
    "diminishing": 0.25,
    "historical": 0.0,
}

_KEEP: Final = ("n_incidents", "countries", "cross_border", "relative_risk", "gi_z_max")


def _frame(layer: gpd.GeoDataFrame, kind: str, id_col: str) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(
        {
            "kind": kind,
            "area_id": layer[id_col].astype(str).to_numpy(),
            **{c: layer[c].to_numpy() for c in _KEEP if c in layer.columns},
        },
        geometry=layer.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    return out


def candidate_areas(result: Any) -> gpd.GeoDataFrame:
    """Hotspot regions, then the scan clusters that overlap none of them; the units when
    there are neither (``kind``: ``hotspot``, ``scan`` or ``unit``)."""
    parts = []
    regions = result.hotspots
    if regions is not None and len(regions):
        parts.append(_frame(regions, "hotspot", "hotspot_id"))
    scan = result.scan
    if scan is not None and len(scan):
        sc = _frame(scan, "scan", "scan_id")
        if parts:
            hit = sc.sindex.query(parts[0].geometry, predicate="intersects")[1]
            sc = sc.drop(index=sc.index[np.unique(hit)])
        parts.append(sc)
    if parts and sum(len(p) for p in parts):
        out = pd.concat(parts, ignore_index=True)
        return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)
    units = result.units.rename(columns={"incidents": "n_incidents", "country": "countries"})
    units = units.assign(cross_border=False)
    return _frame(units, "unit", "unit_id")


def count_in(
    areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame | None, *, mask: np.ndarray | None = None
) -> np.ndarray:
    """How many points (where ``mask``) lie in each area."""
    return counts_in(areas, points, masks=[mask])[0]


def counts_in(
    areas: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame | None,
    *,
    masks: Sequence[np.ndarray | None],
) -> list[np.ndarray]:
    """:func:`count_in` for each of ``masks`` (``None``: every point), from one spatial
    query: which points each area contains is found once, then counted per mask.

    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame(geometry=[box(0, 0, 2, 2), box(1, 1, 3, 3)], crs=WGS84)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.5, 1.5, 2.5], [0.5, 1.5, 2.5]), crs=WGS84)
    >>> [c.tolist() for c in counts_in(areas, pts, masks=[None, np.array([False, True, True])])]
    [[2, 2], [1, 2]]
    """
    empty = [np.zeros(len(areas), dtype=int) for _ in masks]
    if points is None or not len(points) or not len(areas):
        return empty
    geoms = np.asarray(points.to_crs(WGS84).geometry.array)
    regions = np.asarray(areas.geometry.array)
    kinds = shapely.get_type_id(geoms)
    if bool(np.all((kinds == 0) | (kinds == -1))):  # points (or missing): no tree needed
        a_idx, p_idx = _points_within(regions, geoms)
    else:
        a_idx, p_idx = shapely.STRtree(geoms).query(regions, predicate="contains")
    out = []
    for mask in masks:
        keep = slice(None) if mask is None else np.asarray(mask, dtype=bool)[p_idx]
        out.append(np.bincount(a_idx[keep], minlength=len(areas)).astype(int))
    return out


def _points_within(regions: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (region, point) where the region contains the point, for an array of
    points (``None`` allowed): the points sorted by x once, then per region the points of
    its bounding box tested with :func:`shapely.contains_xy`.

    Contains as in :func:`shapely.contains`: a point on a boundary or in a hole is not in
    the area; missing and empty points and points with a NaN coordinate are in none. For
    a few areas and many points this is much cheaper than an STRtree over the points.
    """
    coords, index = shapely.get_coordinates(points, return_index=True)  # skips empty, None
    x = np.full(len(points), np.nan)
    y = np.full(len(points), np.nan)
    x[index], y[index] = coords[:, 0], coords[:, 1]
    order = np.argsort(x)  # NaN last
    xs = x[order]
    a_parts, p_parts = [], []
    for i, (w, s, e, n) in enumerate(shapely.bounds(regions)):
        if not (w <= e and s <= n):  # empty or missing area (NaN bounds)
            continue
        cand = order[np.searchsorted(xs, w, side="left") : np.searchsorted(xs, e, side="right")]
        cy = y[cand]
        cand = cand[(cy >= s) & (cy <= n)]
        hit = cand[shapely.contains_xy(regions[i], x[cand], y[cand])]
        p_parts.append(hit)
        a_parts.append(np.full(len(hit), i, dtype=np.intp))
    if not p_parts:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    return np.concatenate(a_parts), np.concatenate(p_parts)


def trend_of(areas: gpd.GeoDataFrame, cells: gpd.GeoDataFrame | None) -> list[str | None]:
    """The commonest hot-spot trend pattern of the cells whose centre lies in each area."""
    if cells is None or "trend_class" not in cells.columns or not len(areas):
        return [None] * len(areas)
    hot = cells[cells["trend_class"].astype(str).str.endswith("hot spot")]
    if not len(hot):
        return [None] * len(areas)
    centres = gpd.GeoDataFrame(
        {"pattern": hot["trend_class"].astype(str).str.replace(" hot spot", "").to_numpy()},
        geometry=hot.to_crs(WGS84).geometry.representative_point().to_numpy(),
        crs=WGS84,
    )
    a_idx, c_idx = centres.sindex.query(areas.geometry, predicate="contains")
    out: list[str | None] = []
    for i in range(len(areas)):
        pats = centres["pattern"].to_numpy()[c_idx[a_idx == i]]
        if not len(pats):
            out.append(None)
            continue
        counts = pd.Series(pats).value_counts()
        best = max(counts.index, key=lambda p: (counts[p], TREND_SCORES.get(p, 0.0)))
        out.append(str(best))
    return out


def locate_actions(
    actions: pd.DataFrame | None,
    meetings: gpd.GeoDataFrame | None,
    units: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame | None:
    """Actions as points: at their own lon/lat, else their meeting's venue, else their
    unit's representative point; actions with no place are left out."""
    if actions is None or not len(actions):
        return None
    lon = pd.to_numeric(actions["lon"], errors="coerce").to_numpy(dtype=float, copy=True)
    lat = pd.to_numeric(actions["lat"], errors="coerce").to_numpy(dtype=float, copy=True)
    if meetings is not None and len(meetings) and "id" in meetings.columns:
        pts = meetings.to_crs(WGS84).geometry
        where = dict(zip(meetings["id"].astype(str), zip(pts.x, pts.y, strict=True), strict=True))
        for i, m in enumerate(actions["meeting_id"]):
            if not np.isfinite(lon[i]) and isinstance(m, str) and m in where:
                lon[i], lat[i] = where[m]
    if units is not None and len(units):
        rep = units.to_crs(WGS84).geometry.representative_point()
        where = dict(zip(units["unit_id"].astype(str), zip(rep.x, rep.y, strict=True), strict=True))
        for i, u in enumerate(actions["unit_id"]):
            if not np.isfinite(lon[i]) and isinstance(u, str) and u in where:
                lon[i], lat[i] = where[u]
        _by_place(actions.get("place"), lon, lat, units, rep)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    return gpd.GeoDataFrame(
        actions[ok].reset_index(drop=True),
        geometry=gpd.points_from_xy(lon[ok], lat[ok]),
        crs=WGS84,
    )


def _by_place(
    places: pd.Series | None,
    lon: np.ndarray,
    lat: np.ndarray,
    units: gpd.GeoDataFrame,
    rep: gpd.GeoSeries,
) -> None:
    """Place the actions still without a point at their ``place``: a town of the gazetteer
    near the units (the first of "Town A – Town B"), else a unit of that name."""
    if places is None:
        return
    from ..places import towns

    w, s, e, n = units.to_crs(WGS84).total_bounds
    found = towns(bbox=(w - 1, s - 1, e + 1, n + 1))
    town_at = {
        str(r.name): (float(r.lon), float(r.lat))
        for r in found.iloc[::-1].itertuples(index=False)  # the largest town of a name wins
    }
    unit_at = dict(zip(units["name"].astype(str), zip(rep.x, rep.y, strict=True), strict=False))
    for i, place in enumerate(places):
        if np.isfinite(lon[i]) or not isinstance(place, str):
            continue
        name = place.split(" – ")[0].strip()
        hit = town_at.get(name) or unit_at.get(name)
        if hit is not None:
            lon[i], lat[i] = hit
