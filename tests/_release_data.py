"""Synthetic Ciudad Juárez / El Paso data with planted victims, for the release-privacy tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

JUAREZ = (-106.44, 31.69)  # a victim in Ciudad Juárez (the attack 1)


def border_units() -> gpd.GeoDataFrame:
    """Six units straddling the Mexico–US border at 31.7813° N (boxes, EPSG:4326).

    Corners have odd decimals, so that no corner matches an incident at a coarse precision.
    """
    rows = []
    for i, x0 in enumerate((-106.91373, -106.61373, -106.31373)):
        rows.append((f"MX{i}", f"Sur {i}", "MEX", box(x0, 31.30717, x0 + 0.3, 31.78131)))
        rows.append((f"US{i}", f"North {i}", "USA", box(x0, 31.78131, x0 + 0.3, 32.20491)))
    rows.append(("MX9", "Pueblito", "MEX", box(-106.01373, 31.30717, -105.91373, 31.40717)))
    return gpd.GeoDataFrame(
        {
            "unit_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "country": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=4326,
    )


def incidents(
    n: int = 400, *, seed: int = 0, extra: list[tuple[float, float, str]] | None = None
) -> gpd.GeoDataFrame:
    """``n`` incidents clustered on the twin cities, plus ``extra`` planted (lon, lat, category)."""
    rng = np.random.default_rng(seed)
    lon = rng.normal(-106.45, 0.12, 4 * n)
    lat = rng.normal(31.76, 0.1, 4 * n)
    # strictly inside the study area and off the unit edges (no incident on a boundary vertex)
    ok = (lon > -106.9) & (lon < -106.02) & (lat > 31.32) & (lat < 32.19)
    ok &= (np.abs(lat - 31.78131) > 2e-3) & (np.abs((lon + 106.91373) % 0.3) > 2e-3)
    lon, lat = lon[ok][:n], lat[ok][:n]
    cats = rng.choice(
        ["iccs02_harm", "iccs05_property", "iccs03_sexual", "iccs07_fraud"],
        n,
        p=[0.35, 0.4, 0.1, 0.15],
    )
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    rows = pd.DataFrame(
        {
            "id": [f"INC-{i:05d}" for i in range(n)],
            "lon": lon,
            "lat": lat,
            "category": cats,
            "date": dates,
        }
    )
    for j, (x, y, c) in enumerate(extra or []):
        rows.loc[len(rows)] = [f"VIC-{j:03d}", x, y, c, pd.Timestamp("2023-06-15")]
    return gpd.GeoDataFrame(
        rows.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(rows["lon"], rows["lat"]),
        crs=4326,
    )


FAST = {"permutations": 0, "scan_replicates": 0, "cluster_replicates": 0, "static": False}
