"""Fill numba's on-disk cache before the tests start: ``python tests/_numba_warm.py``.

``tests/conftest.py::pytest_sessionstart`` runs this script once per test run, in
the pytest-xdist controller (or the single pytest process), before any worker
starts. It calls every numba kernel the tests use on tiny inputs, so that each is
compiled once per suite and written to numba's cache (``cache=True``); the workers
(and the CLI subprocesses of the tests) then load the compiled code from disk
instead of compiling it themselves, once per process, inside whichever test first
runs a scan.

* DBSCAN's compiled engine for few points (``borderwatch._dbscan_direct``);
* borderwatch's scan kernels (``borderwatch._scan``), through the public
  :func:`borderwatch.scan.spatial_scan`: the observed windows and the Monte Carlo
  replicates, with replicate counts of one byte (the usual case) and of two bytes
  (a stack of more than 255 incidents at one place), and the sparse path of
  replicates with only a few incidents (``borderwatch._scan_sparse``);
* the join's exact border distances (``borderwatch._segdist``) and the compiled pass of
  the cell look-ups (``borderwatch._cellhex``);
* esda's conditional-randomisation kernels (``G_Local``, ``Moran_Local``), with
  numba's cache switched on for them as ``tests/test_hotspots.py::esda_jit`` does,
  only when the cache does not hold them yet (:func:`esda_cached`).

With a warm cache this takes a few seconds (the imports and loading the cache).
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import shapely

#: esda's kernels that take a function as an argument: their type differs in every
#: process, so they are left uncached (see tests/test_hotspots.py::esda_jit).
ESDA_UNCACHED = frozenset({"compute_chunk"})


def enable_esda_cache() -> None:
    """Switch numba's on-disk cache on for esda's kernels (esda does not ask for it)."""
    import esda.crand
    import esda.getisord
    import esda.moran
    from numba.core.registry import CPUDispatcher

    for mod in (esda.crand, esda.getisord, esda.moran):
        for name, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher) and name not in ESDA_UNCACHED:
                obj.enable_caching()


def warm_scan() -> None:
    """Every compiled variant of the scan kernels the tests use, on a 5 x 5 km study area."""
    from borderwatch.grid import hex_grid
    from borderwatch.scan import spatial_scan

    area = gpd.GeoDataFrame(
        {"country": ["AAA", "BBB"]},
        geometry=[shapely.box(0, 0, 3_000, 5_000), shapely.box(3_000, 0, 6_000, 5_000)],
        crs=3857,
    )
    grid = hex_grid(area, cell_km=1)
    rng = np.random.default_rng(0)
    xy = rng.uniform((100, 100), (5_900, 4_900), size=(40, 2))
    for stack in (0, 300):  # one-byte replicate counts, then two-byte ones
        pts = np.vstack([xy, np.repeat([[1_500.0, 2_500.0]], stack, axis=0)])
        incidents = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=3857)
        spatial_scan(grid, incidents, replicates=9, seed=0, keep_all=True)
    # three incidents on a finer grid, 299 replicates: the sparse path is the cheaper one
    few = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:3, 0], xy[:3, 1]), crs=3857)
    spatial_scan(hex_grid(area, cell_km=0.2), few, replicates=299, seed=0, min_cases=1)


def warm_dbscan() -> None:
    """DBSCAN's compiled engine for few points (``borderwatch._dbscan_direct``)."""
    from borderwatch._dbscan import dbscan_labels

    xy = np.random.default_rng(0).uniform(0, 10, size=(40, 2))
    dbscan_labels(xy, eps=1.0, min_samples=3)


def warm_join() -> None:
    """The border distances' and the hexagonal cell look-ups' compiled code."""
    from borderwatch._cellhex import hex_cells
    from borderwatch._segdist import polyline_distance

    seg = np.array([[0.0, 0.0, 1_000.0, 0.0], [1_000.0, 0.0, 1_000.0, 900.0]])
    xy = np.random.default_rng(0).uniform(-500, 1_500, size=(40, 2))
    polyline_distance(xy, seg)
    hex_cells(xy, 500.0, np.zeros((3, 3), dtype=np.int64), (0, 0), 0.01, outside=-2)


def esda_cached() -> bool:
    """Whether numba's cache already holds esda's G* and local Moran kernels.

    Filling it compiles ``compute_chunk`` too (uncached, about 15 s), so a run whose
    cache is already there skips :func:`warm_esda`. esda does not change between
    runs (a new version is a new install, with an empty ``__pycache__``).
    """
    import importlib.util
    import os
    from pathlib import Path

    spec = importlib.util.find_spec("esda")
    if spec is None or spec.origin is None:
        return True  # nothing to warm
    # numba writes to NUMBA_CACHE_DIR when it is set, else beside the module
    user_dir = os.environ.get("NUMBA_CACHE_DIR")
    roots = [Path(user_dir) if user_dir else Path(spec.origin).parent / "__pycache__"]
    wanted = ("getisord._g_local_star_crand-", "moran._moran_local_crand-")
    found = {p.name for root in roots if root.is_dir() for p in root.rglob("*.nbi")}
    return all(any(name.startswith(w) for name in found) for w in wanted)


def warm_esda() -> None:
    """esda's permutation kernels (Getis-Ord G*, local Moran) on a 5 x 5 lattice."""
    if esda_cached():
        return
    enable_esda_cache()
    import esda
    from libpysal.weights import lat2W

    w = lat2W(5, 5)
    y = np.random.default_rng(0).gamma(2.0, 1.0, 25)
    esda.G_Local(y, w, transform="B", star=True, permutations=9, seed=0, n_jobs=1)
    esda.Moran_Local(y, w, permutations=9, seed=0, n_jobs=1)


def main() -> None:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm_scan()
        warm_dbscan()
        warm_join()
        scan = time.perf_counter()
        warm_esda()
    end = time.perf_counter()
    print(
        f"numba cache: scan, DBSCAN and join kernels {scan - start:.1f} s, "
        f"esda kernels {end - scan:.1f} s"
    )


if __name__ == "__main__":
    main()
