"""Size and build time of meeting maps.

Prints, for synthetic layers on the shipped Liptako-Gourma boundaries:
the HTML size and build time of a demo-sized public map, of internal maps
with 10,000 and 1,000,000 incidents, and the time of the static PNG / PDF
export. Run: ``python benchmarks/maps_size.py``.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.stats import norm
from shapely.geometry import box

from borderwatch._data import boundaries_dir
from borderwatch._schema import classify_hotspots
from borderwatch.maps import Layers, export_static, make_map, save_map


def units() -> gpd.GeoDataFrame:
    raw = gpd.read_file(boundaries_dir() / "ne10m_adm1_liptako_gourma_mli_bfa_ner.geojson")
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame(
        {
            "name": raw["name"],
            "country": raw["adm0_iso3"],
            "incidents": rng.integers(0, 300, len(raw)),
        },
        geometry=raw.geometry.make_valid(),
        crs=4326,
    )


def cells(n_side: int = 60) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    xs, ys = np.meshgrid(np.arange(n_side) * 0.1 - 2, np.arange(n_side) * 0.1 + 12)
    z = rng.normal(0, 2, xs.size)
    p = 2 * norm.sf(np.abs(z))
    ok = np.ones(xs.size, dtype=bool)
    kind, confidence = classify_hotspots(z, p, ok, ok)
    return gpd.GeoDataFrame(
        {
            "cell_id": np.arange(xs.size),
            "count": rng.integers(0, 60, xs.size),
            "gi_z": z,
            "gi_p": p,
            "hotspot_kind": kind,
            "hotspot_confidence": confidence,
        },
        geometry=[box(x, y, x + 0.1, y + 0.1) for x, y in zip(xs.ravel(), ys.ravel(), strict=True)],
        crs=4326,
    )


def incidents(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(2)
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("INC-", np.arange(n).astype(str)).astype(object),
            "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
            "category": np.array(["iccs02_harm", "iccs05_property", "iccs06_drugs"], dtype=object)[
                rng.integers(0, 3, n)
            ],
        },
        geometry=gpd.points_from_xy(rng.uniform(-1, 3, n), rng.uniform(12, 16, n)),
        crs=4326,
    )


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<48} {time.perf_counter() - t0:7.2f} s")
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    out = Path(tempfile.mkdtemp())
    u = units()
    c = cells()
    print(f"units: {len(u)}, cells: {len(c)} ({(c['hotspot_kind'] != 'none').sum()} significant)")
    m = timed(
        "make_map, public, units + cells",
        lambda: make_map(layers=Layers(units=u, cells=c), synthetic=True),
    )
    size = timed("save_map", lambda: save_map(m, out / "public.html")).stat().st_size
    print(f"{'  size':<48} {size / 1e6:7.2f} MB")
    for n in (10_000, 1_000_000):
        inc = incidents(n)
        m = timed(
            f"make_map, internal, {n:,} incidents",
            lambda inc=inc: make_map(layers=Layers(units=u, incidents=inc), view="internal"),
        )
        size = (
            timed("save_map", lambda m=m, n=n: save_map(m, out / f"internal_{n}.html"))
            .stat()
            .st_size
        )
        print(f"{'  size':<48} {size / 1e6:7.2f} MB")
    timed(
        "export_static PNG (A4, 200 dpi)",
        lambda: export_static(None, out / "map.png", layers=Layers(units=u, cells=c)),
    )
    timed(
        "export_static PDF (A4)",
        lambda: export_static(None, out / "map.pdf", layers=Layers(units=u, cells=c)),
    )


if __name__ == "__main__":
    main()
