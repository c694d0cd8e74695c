"""Build the golden demo outputs that ``tests/test_golden.py`` compares against.

Run from the repository root after a change that is *meant* to change the demo's
outputs, then review the diff of ``tests/golden/`` before committing::

    python tests/golden/build_golden.py [DEMO_OUTPUT_DIR ...]

With no arguments it runs the demo (both views, no PNG/PDF) into a temporary
folder. Each view gets ``summary.json``, ``units.csv``, ``counts.csv`` and one
``<layer>.csv.gz`` per ``hotspots.gpkg`` layer, where the geometry is replaced by
a short hash of its WKB rounded to 1e-7 degrees (the files stay small; any change
of a shape changes its hash).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
VOLATILE_SUMMARY_KEYS = ("files",)


def geometry_hash(geoms) -> list[str]:
    """A 12-hex-digit hash of each geometry, rounded to 1e-7 degrees."""
    rounded = shapely.set_precision(geoms, 1e-7)
    return [
        hashlib.sha1(shapely.to_wkb(g, hex=False, output_dimension=2)).hexdigest()[:12]
        if g is not None
        else ""
        for g in rounded
    ]


def normalise_output(d: Path) -> dict[str, object]:
    """The comparable content of one output directory: name -> DataFrame or dict."""
    out: dict[str, object] = {}
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    for key in VOLATILE_SUMMARY_KEYS:
        summary.pop(key, None)
    out["summary.json"] = summary
    for name in ("units.csv", "counts.csv"):
        out[name] = pd.read_csv(d / name, dtype=str, keep_default_na=False)
    for layer, _ in pyogrio.list_layers(d / "hotspots.gpkg"):
        gdf = pyogrio.read_dataframe(d / "hotspots.gpkg", layer=layer)
        table = pd.DataFrame(gdf.drop(columns="geometry"))
        table["geometry_sha1"] = geometry_hash(gdf.geometry.array)
        out[f"{layer}.csv.gz"] = table.astype(str)
    return out


def save(content: dict[str, object], target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, value in content.items():
        if isinstance(value, dict):
            (target / name).write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
        else:
            value.to_csv(target / name, index=False)  # type: ignore[union-attr]


def main(argv: list[str]) -> None:
    if argv:
        dirs = dict(zip(("public", "internal"), map(Path, argv), strict=False))
    else:
        tmp = Path(tempfile.mkdtemp())
        dirs = {}
        for view in ("public", "internal"):
            d = tmp / view
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "borderwatch.cli",
                    "demo",
                    "--out",
                    str(d),
                    "--view",
                    view,
                    "--quiet",
                    "--no-static",
                ],
                check=True,
            )
            dirs[view] = d
    for view, d in dirs.items():
        save(normalise_output(d), HERE / view)
        print(f"wrote {HERE / view}")


if __name__ == "__main__":
    main(sys.argv[1:])
