"""The density surface of partitioned input from per-partition surfaces (the dask engine).

The pipeline's surface (:func:`borderwatch.density.density` with the bandwidth and the
units' bounds given) has a grid that needs no data: its origin, size and cell come
from the bounds and the bandwidth. The kernel estimate is linear in the incidents
(linear binning, then a fixed convolution) and the support is a count, so each
partition's surface on that grid (:func:`partition_surface`, on a worker) is summed on
the client (:func:`summed_surface`): the values equal the default engine's to rounding,
the support, the incidents used and dropped exactly. Only the grids reach the client.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from rasterio.transform import Affine

from ._errors import BorderwatchWarning

__all__ = ["SurfaceFrame", "partition_surface", "summed_surface", "surface_frame"]


@dataclass(frozen=True)
class SurfaceFrame:
    """The density grid (km): top-left corner, size, cell, bandwidth and support radius."""

    x0: float
    y0: float
    nx: int
    ny: int
    cell: float
    h: float
    r_sup: float


def surface_frame(bounds: Sequence[float], bandwidth_km: float) -> SurfaceFrame:
    """The grid :func:`~borderwatch.density.density` uses for these ``bounds`` (metres)
    and bandwidth (its checks and warnings included).

    Examples
    --------
    >>> f = surface_frame((0, 0, 10_000, 5_000), 2.0)
    >>> f.cell, f.nx, f.ny, f.r_sup
    (0.5, 20, 10, 4.0)
    """
    from .density import _cell_size, _check_bounds, _positive, grid_shape

    h = _positive(bandwidth_km, "bandwidth_km")
    bkm = _check_bounds(bounds) / 1000.0
    cell = _cell_size(bkm, h, None)
    nx, ny = grid_shape(bkm, cell)
    return SurfaceFrame(float(bkm[0]), float(bkm[3]), nx, ny, cell, h, 2.0 * h)


def partition_surface(part: gpd.GeoDataFrame, crs: Any, frame: SurfaceFrame) -> dict[str, Any]:
    """One partition's surface on ``frame`` (runs on a worker): values, support, the
    incidents used and dropped, and the kernel mass outside the grid."""
    from ._dask_warn import diverted
    from ._inputs import metric_points
    from ._kde import mass_outside
    from .density import _padded_surface

    f = frame
    xy_m, target, ok = metric_points(part, crs)
    xy_km = xy_m[ok] / 1000.0
    box = (f.x0, f.y0 - f.ny * f.cell, f.x0 + f.nx * f.cell, f.y0)
    with diverted():  # counted and said on the client (per thread: borderwatch._dask_warn)
        values, support, used, dropped = _padded_surface(
            xy_km, None, x0=f.x0, y0=f.y0, nx=f.nx, ny=f.ny, cell=f.cell, h=f.h, r_sup=f.r_sup
        )
    return {
        "values": values,
        "support": support,
        "used": used,
        "dropped": dropped,
        "mass": mass_outside(xy_km, None, bkm=box, h=f.h),
        "crs": target,
    }


def summed_surface(parts: Sequence[dict[str, Any]], frame: SurfaceFrame) -> Any:
    """The :class:`~borderwatch.density.DensitySurface` of the summed partition surfaces."""
    from ._kde import TRUNCATE
    from .density import PER_KM2, DensitySurface

    f = frame
    dropped = sum(int(p["dropped"]) for p in parts)
    used = sum(int(p["used"]) for p in parts)
    if dropped:
        warnings.warn(
            f"{dropped} incidents lie more than {TRUNCATE:g} bandwidths outside the density "
            "bounds and are left out of the surface.",
            BorderwatchWarning,
            stacklevel=3,
        )
    if not used:
        warnings.warn(
            "no incidents inside the density grid: the surface is all zeros.",
            BorderwatchWarning,
            stacklevel=3,
        )
    values = np.clip(np.sum([p["values"] for p in parts], axis=0), 0.0, None)
    support = np.sum([p["support"] for p in parts], axis=0).astype(np.int64)
    km = f.cell * 1000.0
    return DensitySurface(
        values=np.ascontiguousarray(values),
        transform=Affine(km, 0.0, f.x0 * 1000.0, 0.0, -km, f.y0 * 1000.0),
        crs=parts[0]["crs"],
        bandwidth_km=float(f.h),
        cell_km=float(f.cell),
        n_points=used,
        support=np.ascontiguousarray(support),
        support_radius_km=float(f.r_sup),
        units=PER_KM2,
        n_dropped=dropped,
        weighted=False,
        mass_outside=float(sum(p["mass"] for p in parts)),
    )


def per_capita(surface: Any, population: Any) -> Any:
    """The summed surface as kernel rates per 100,000 people when a population raster
    (``borderwatch._population.PopulationRaster``) is given, as :func:`borderwatch.density`
    makes them (the raster holds no incident: it is read on the client); else ``surface``."""
    from .density import _per_capita

    if population is None:
        return surface
    return _per_capita(surface, population.as_mapping(), min_population_km2=0.0)
