"""Benchmark: borderwatch.density against an exact Gaussian KDE (scikit-learn).

Run: ``python benchmarks/bench_density.py [--quick]``. Prints, for 20,000 incidents
over 300 km x 300 km at 2 km cells and several bandwidths, the time of the public
``borderwatch.density(points, bandwidth_km=h, cell_km=2)`` (whole call, default
extent: projection, binning on the padded grid, smoothing, support), the time of
scikit-learn's ``KernelDensity`` (exact: ``atol=rtol=0``) evaluated at the same
cell centres, the speed-up and the largest difference as a share of the peak; then
the same for the exact separable Gaussian (``borderwatch._kde.kde_exact``, the
alternative engine), a corner cluster (mass outside the bounds), and the time of
``density`` alone on larger inputs.

Not a test: figures depend on the machine. Record them in docs/density_clusters.md.
"""

from __future__ import annotations

import argparse
import platform
import time

import geopandas as gpd
import numpy as np
from sklearn.neighbors import KernelDensity

import borderwatch
from borderwatch._kde import kde_exact
from borderwatch.density import density


def incidents(n: int, extent_km: float, seed: int) -> np.ndarray:
    """60 % uniform background, 40 % in 30 Gaussian blobs (sd 3 km); metres."""
    rng = np.random.default_rng(seed)
    nb = int(0.4 * n)
    centres = rng.uniform(0.07 * extent_km, 0.93 * extent_km, (30, 2))
    blobs = centres[rng.integers(0, 30, nb)] + rng.normal(0, 3.0, (nb, 2))
    return np.vstack([rng.uniform(0, extent_km, (n - nb, 2)), blobs]) * 1000.0


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one bandwidth, no scaling runs")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {platform.processor()}")

    n, extent, cell = 20_000, 300.0, 2.0
    xy = incidents(n, extent, seed=0)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    print(f"\n{n:,} incidents, {extent:g} km x {extent:g} km, cell {cell:g} km")
    print(
        f"{'bandwidth':>9} {'grid':>9} {'borderwatch':>12} {'sklearn':>9} {'speed-up':>9} {'max err':>8}"
    )
    print(f"{'':>9} {'':>9} {'binned (API)':>12} {'':>9} {'':>9} {'':>8} {'exact separable':>16}")
    for h in [5.0] if args.quick else [2.0, 5.0, 10.0]:
        t_ours, surf = best_of(
            lambda h=h: borderwatch.density(pts, bandwidth_km=h, cell_km=cell), repeat=5
        )
        x, y = surf.centres()
        xx, yy = np.meshgrid(x / 1000, y / 1000)
        grid = np.column_stack([xx.ravel(), yy.ravel()])
        t0 = time.perf_counter()
        kde = KernelDensity(kernel="gaussian", bandwidth=h, atol=0, rtol=0).fit(xy / 1000)
        exact = np.exp(kde.score_samples(grid)).reshape(surf.shape) * n
        t_sk = time.perf_counter() - t0
        err = np.abs(surf.values - exact).max() / exact.max()
        (x0, _, _, y0), (ny, nx) = [v / 1000 for v in surf.bounds], surf.shape
        box = {"x0": x0, "y0": y0, "nx": nx, "ny": ny, "cell": cell}
        t_ex, sep = best_of(lambda h=h, box=box: kde_exact(xy / 1000, None, h=h, **box), repeat=3)
        err_ex = np.abs(sep - exact).max() / exact.max()
        print(
            f"{h:>7g}km {surf.shape[0]:>4}x{surf.shape[1]:<4} {t_ours * 1000:>10.1f}ms "
            f"{t_sk:>8.1f}s {t_sk / t_ours:>8.0f}x {err * 100:>7.3f}% "
            f"{t_ex * 1000:>9.1f}ms {err_ex * 100:>7.1e}%"
        )

    # a corner cluster: every incident accounted for (inside, or as mass outside the bounds)
    rng = np.random.default_rng(3)
    corner = np.vstack([rng.normal(0.5, 2.0, (2000, 2)), rng.uniform(0, 60, (300, 2))])
    cpts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(corner[:, 0] * 1000, corner[:, 1] * 1000), crs="EPSG:32631"
    )
    cs = density(cpts, bandwidth_km=2.0, cell_km=1.0, bounds=(0, 0, 60_000, 60_000))
    x, y = cs.centres()
    xx, yy = np.meshgrid(x / 1000, y / 1000)
    kde = KernelDensity(kernel="gaussian", bandwidth=2.0, atol=0, rtol=0).fit(corner)
    ex = np.exp(kde.score_samples(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(cs.shape)
    ex *= len(corner)
    print(
        f"\ncorner cluster (2,000 at the corner + 300): inside {cs.total():.1f}, "
        f"mass_outside {cs.mass_outside:.1f}, sum {cs.total() + cs.mass_outside:.1f} of "
        f"{len(corner)}; max error {np.abs(cs.values - ex).max() / ex.max() * 100:.3f}% of the peak"
    )

    if args.quick:
        return
    print("\nscaling (borderwatch only, bandwidth 5 km, default cell = 1.25 km)")
    print(f"{'incidents':>10} {'extent':>9} {'grid':>11} {'time':>9}")
    for n_big, ext in [(200_000, 600.0), (1_000_000, 1000.0)]:
        big = incidents(n_big, ext, seed=1)
        g = gpd.GeoDataFrame(geometry=gpd.points_from_xy(big[:, 0], big[:, 1]), crs="EPSG:32631")
        t_big, s = best_of(lambda g=g: density(g, bandwidth_km=5.0), repeat=2)
        print(f"{n_big:>10,} {ext:>6g} km {s.shape[0]:>5}x{s.shape[1]:<5} {t_big:>8.2f}s")


if __name__ == "__main__":
    main()
