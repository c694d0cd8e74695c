"""Run the CLI, as a user would, on every real dataset in ``../shared/data``, in both views.

Each boundary file is paired with the UCDP events of its region (and its
population raster, when there is one); boundary files without events get
synthetic incidents drawn inside them (``borderwatch.datasets.demo_incidents``).
Every run is a subprocess of ``borderwatch analyze``; the script prints one
line per run (exit code, seconds, incidents, hotspot regions, scan clusters,
the public view's smallest published non-zero count) and a last line with the
number of failures. It exits 1 when any run fails.

Usage::

    python benchmarks/realdata_sweep.py [--shared ../shared/data] [--views public,internal]
        [--cell-km auto,10,50] [--only mex]

Not a test (the whole sweep takes several minutes on 2 cores); the test suite
runs a sample of the same cases (tests/test_realdata.py, tests/test_cli.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: (name, boundaries, events or None, population raster or None)
CASES = [
    (
        "mex_adm2",
        "mex_usa_border_adm2.geojson",
        "ucdp_ged_mexico_border_states_1989_2023.csv",
        "gpw_v4_popcount_2000_15min_mex_usa.tif",
    ),
    (
        "mex_adm2_fullres",
        "mex_usa_border_adm2_fullres.gpkg",
        "ucdp_ged_mexico_border_states_1989_2023.csv",
        None,
    ),
    ("mex_adm1", "ne10m_adm1_mex_usa.geojson", "ucdp_ged_mexico_border_states_1989_2023.csv", None),
    (
        "car",
        "ne10m_adm1_car_and_neighbours.geojson",
        "ucdp_ged_v23_1_central_african_republic.csv",
        None,
    ),
    (
        "lake_chad",
        "ne10m_adm1_lake_chad_nga_ner_tcd_cmr.geojson",
        "ucdp_ged_yearonly_lake_chad_region.csv",
        "gpw_v4_popcount_2000_15min_lake_chad.tif",
    ),
    (
        "col_ven",
        "ne10m_adm1_col_ven.geojson",
        "ucdp_ged_yearonly_colombia.csv",
        "gpw_v4_popcount_2000_15min_col_ven.tif",
    ),
    ("afg_pak", "ne10m_adm1_afg_pak.geojson", "ucdp_ged_yearonly_afghanistan_pakistan.csv", None),
    ("syr_irq", "ne10m_adm1_syr_irq_tur_jor_lbn.geojson", "ucdp_ged_yearonly_syria_iraq.csv", None),
    (
        "liptako",
        "ne10m_adm1_liptako_gourma_mli_bfa_ner.geojson",
        None,
        "gpw_v4_popcount_2000_15min_liptako_gourma.tif",
    ),
    (
        "ken_som_eth",
        "ne10m_adm1_ken_som_eth.geojson",
        None,
        "gpw_v4_popcount_2000_15min_ken_som.tif",
    ),
    (
        "w_balkans",
        "ne10m_adm1_western_balkans.geojson",
        None,
        "gpw_v4_popcount_2000_15min_w_balkans.tif",
    ),
]


def _synthetic(units_path: Path, out: Path, *, seed: int = 7) -> Path:
    """Incidents inside the units of ``units_path``, with three clusters on the border (a CSV).

    The Liptako-Gourma units get the demo incidents; other regions get 1,500
    incidents spread by area plus 3 x 150 around points of their border.
    """
    import numpy as np

    from borderwatch import border_lines, read_units
    from borderwatch.datasets import demo_incidents

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = read_units(units_path)
        if "liptako" in units_path.name:
            frame = demo_incidents(units=units)
        else:
            rng = np.random.default_rng(seed)
            spread = units.to_crs(6933).union_all().buffer(0)
            pts = gpd.GeoSeries([spread], crs=6933).sample_points(1500, rng=rng).explode()
            xy = [np.column_stack([pts.x, pts.y])]
            lines = border_lines(units).to_crs(6933).union_all()
            for _ in range(3):
                c = lines.interpolate(rng.uniform(0, lines.length))
                xy.append(rng.normal([c.x, c.y], 8_000, (150, 2)))
            allxy = np.vstack(xy)
            geo = gpd.GeoSeries(gpd.points_from_xy(*allxy.T), crs=6933).to_crs(4326)
            days = rng.integers(0, 730, len(geo))
            frame = pd.DataFrame(
                {
                    "incident_id": np.arange(len(geo)),
                    "date": (pd.Timestamp("2023-01-01") + pd.to_timedelta(days, "D")).strftime(
                        "%Y-%m-%d"
                    ),
                    "longitude": geo.x,
                    "latitude": geo.y,
                    "category": rng.choice(
                        ["theft", "assault", "smuggling", "kidnapping"], len(geo)
                    ),
                }
            )
    path = out / f"{units_path.stem}_synthetic.csv"
    frame.to_csv(path, index=False)
    return path


def _smallest_count(out: Path) -> float | None:
    units = out / "units.csv"
    if not units.exists():
        return None
    frame = pd.read_csv(units)
    if "incidents" not in frame:
        return None
    vals = pd.to_numeric(frame["incidents"], errors="coerce")
    vals = vals[vals > 0]
    return float(vals.min()) if len(vals) else None


def _run(args: list[str]) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, time.perf_counter() - t0, proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--views", default="public,internal")
    ap.add_argument("--cell-km", default="auto")
    ap.add_argument("--only", default="")
    opts = ap.parse_args()
    shared = Path(opts.shared)
    if not shared.exists():
        print(f"no shared data at {shared}")
        return 0
    exe = str(Path(sys.executable).with_name("borderwatch"))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, bnd, events, pop in CASES:
            if opts.only and opts.only not in name:
                continue
            units = shared / "boundaries" / bnd
            inc = shared / "events" / events if events else _synthetic(units, work)
            for view in opts.views.split(","):
                for cell in opts.cell_km.split(","):
                    out = work / f"{name}_{view}_{cell}"
                    args = [
                        exe,
                        "analyze",
                        "--units",
                        str(units),
                        "--incidents",
                        str(inc),
                        "--out",
                        str(out),
                        "--view",
                        view,
                        "--quiet",
                    ]
                    if pop:
                        args += ["--population", str(shared / "population" / pop)]
                    if cell != "auto":
                        args += ["--cell-km", cell]
                    rc, secs, err = _run(args)
                    line = f"{name:17s} {view:8s} cell={cell:4s} exit={rc} {secs:6.1f}s"
                    if rc == 0:
                        summ = json.loads((out / "summary.json").read_text())
                        scan = summ.get("scan") or {}
                        line += (
                            f" incidents={summ.get('n_incidents')}"
                            f" regions={summ.get('n_hotspots')} scan={scan.get('n')}"
                            f" min_unit_count={_smallest_count(out)}"
                        )
                    else:
                        failures += 1
                        line += " " + err.strip().splitlines()[-1][:300] if err.strip() else ""
                    print(line, flush=True)
    print(f"failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
