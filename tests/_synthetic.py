"""SYNTHETIC incidents on any set of units, for tests that need points on real boundaries.

Points are drawn uniformly inside the units, plus a few dense clusters placed on
the international border (so that cross-border hotspots and clusters exist), with
dates over two years and categories in four languages. Nothing here is real.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderwatch._crs import study_crs
from borderwatch.borders import border_lines

#: analyze() options of tests that check inputs, not p-values: little Monte Carlo, no static map
QUICK = {"permutations": 0, "scan_replicates": 19, "cluster_replicates": 19, "static": False}

CATEGORIES = ["Vol de bétail", "robbery", "homicidio", "VBG", "drogas", "assault"]


def synthetic_incidents(
    units: gpd.GeoDataFrame, *, n: int = 600, n_clusters: int = 3, seed: int = 0
) -> pd.DataFrame:
    """``n`` SYNTHETIC incidents (lon, lat, date, category, country) inside ``units``."""
    rng = np.random.default_rng(seed)
    metric = study_crs(units)
    u = units.to_crs(metric)
    area = shapely.union_all(u.geometry.array)
    shapely.prepare(area)
    minx, miny, maxx, maxy = area.bounds
    pts: list[np.ndarray] = []
    need = int(n * 0.6)
    while sum(len(p) for p in pts) < need:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * need, 2))
        pts.append(xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])])
    background = np.concatenate(pts)[:need]
    border = border_lines(units, crs=metric)
    centres = _border_points(border, n_clusters, rng) if len(border) else background[:n_clusters]
    per = (n - need) // max(len(centres), 1)
    spread = 0.01 * max(maxx - minx, maxy - miny)
    clusters = [c + rng.normal(0.0, spread, size=(per, 2)) for c in centres]
    xy = np.concatenate([background, *clusters]) if clusters else background
    xy = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
    lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=metric).to_crs(4326)
    days = rng.integers(0, 730, size=len(xy))
    country = _countries(units, lonlat)
    return pd.DataFrame(
        {
            "incident_id": [f"S{i:05d}" for i in range(len(xy))],
            "longitude": lonlat.x.round(6).to_numpy(),
            "latitude": lonlat.y.round(6).to_numpy(),
            "date": (pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "category": rng.choice(CATEGORIES, size=len(xy)),
            "country": country,
            "note": "SYNTHETIC",
        }
    )


def _border_points(border: gpd.GeoDataFrame, k: int, rng: np.random.Generator) -> np.ndarray:
    lines = border.geometry.to_numpy()
    longest = lines[np.argsort(shapely.length(lines))[::-1][:k]]
    return np.array(
        [
            shapely.get_coordinates(
                shapely.line_interpolate_point(g, rng.uniform(0.2, 0.8), normalized=True)
            )[0]
            for g in longest
        ]
    )


def _countries(units: gpd.GeoDataFrame, pts: gpd.GeoSeries) -> np.ndarray:
    idx_pt, idx_unit = units.sindex.query(pts.to_crs(units.crs).values, predicate="intersects")
    out = np.full(len(pts), None, dtype=object)
    out[idx_pt[::-1]] = units["country"].to_numpy(dtype=object)[idx_unit[::-1]]
    return out
