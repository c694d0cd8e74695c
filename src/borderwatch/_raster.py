"""Rasters for the density surface: population counts resampled to its grid, and
the coloured Web Mercator image of a grid for web maps.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np
from pyproj import CRS
from rasterio.transform import Affine

from ._colormaps import colormap_rgba
from ._errors import DataError

__all__ = ["pixel_area_km2", "population_on_grid", "surface_image"]


def pixel_area_km2(transform: Affine, crs: Any, height: int) -> np.ndarray:
    """Area (km²) of the pixels of each row of a north-up raster, shape ``(height, 1)``."""
    c = CRS(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if transform.b != 0 or transform.d != 0:
        msg = "the population raster is rotated; borderwatch needs a north-up raster. Hint: warp it first (gdalwarp)."
        raise DataError(msg)
    if c.is_geographic:
        ell = c.ellipsoid
        a, b = (
            (ell.semi_major_metre, ell.semi_minor_metre)
            if ell is not None
            else (6378137.0, 6356752.314245)
        )
        e2 = 1.0 - (b / a) ** 2
        e = math.sqrt(e2)
        top = transform.f + np.arange(height) * transform.e
        lat = np.radians(np.clip(np.column_stack([top, top + transform.e]), -90, 90))

        def q(phi: np.ndarray) -> np.ndarray:
            sp = np.sin(phi)
            if e == 0:
                return 2 * sp
            return (1 - e2) * (
                sp / (1 - e2 * sp * sp) - (1 / (2 * e)) * np.log((1 - e * sp) / (1 + e * sp))
            )

        dlon = math.radians(abs(transform.a))
        area_m2 = 0.5 * a * a * dlon * np.abs(q(lat[:, 1]) - q(lat[:, 0]))
        return (area_m2 / 1e6).reshape(-1, 1)
    unit = c.axis_info[0].unit_conversion_factor if c.axis_info else 1.0
    area = abs(transform.a * transform.e) * unit * unit / 1e6
    return np.full((height, 1), area)


def _read_population(population: Any) -> tuple[np.ndarray, Affine, Any]:
    """``(counts, transform, crs)`` of a population raster; NaN marks nodata."""
    import rasterio

    if isinstance(population, Mapping):
        missing = {"values", "transform", "crs"} - set(population)
        if missing:
            msg = (
                f"population mapping lacks {', '.join(sorted(missing))}. Hint: pass a raster "
                "path, an open rasterio dataset or {'values', 'transform', 'crs'}."
            )
            raise DataError(msg)
        counts = np.array(population["values"], dtype=np.float64)
        transform, crs = population["transform"], population["crs"]
        if counts.ndim != 2 or crs is None:
            msg = "population values must be a 2-D array of counts with a CRS. Hint: read band 1 with rasterio."
            raise DataError(msg)
    else:
        opened = None
        if isinstance(population, str | PathLike):
            try:
                opened = rasterio.open(population)
            except rasterio.errors.RasterioIOError as exc:
                msg = f"cannot read the population raster {str(population)!r}: {exc}. Hint: give a GeoTIFF of population counts."
                raise DataError(msg) from exc
        src = opened if opened is not None else population
        try:
            if getattr(src, "crs", None) is None:
                msg = f"the population raster {getattr(src, 'name', '')!r} has no CRS. Hint: set one with gdal_edit.py -a_srs."
                raise DataError(msg)
            counts = src.read(1, masked=True).astype(np.float64).filled(np.nan)
            transform, crs = src.transform, src.crs
        finally:
            if opened is not None:
                opened.close()
    counts[~np.isfinite(counts) | (counts < 0)] = np.nan
    return counts, transform, crs


def population_on_grid(
    population: Any, *, shape: tuple[int, int], transform: Affine, crs: CRS, cell_km: float
) -> np.ndarray:
    """People per cell of a north-up grid (NaN where the raster has no data).

    The raster's counts become people per km² (pixel areas on the ellipsoid for
    geographic rasters), are averaged over each grid cell and multiplied by the
    cell area, which conserves the totals.
    """
    from rasterio.crs import CRS as RioCRS
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    counts, src_transform, src = _read_population(population)
    src_crs = src if isinstance(src, RioCRS) else RioCRS.from_wkt(CRS(src).to_wkt())
    per_km2 = counts / pixel_area_km2(src_transform, src_crs, counts.shape[0])
    out = np.full(shape, np.nan)
    reproject(
        source=per_km2,
        destination=out,
        src_transform=src_transform,
        src_crs=src_crs,
        src_nodata=np.nan,
        dst_transform=transform,
        dst_crs=RioCRS.from_wkt(crs.to_wkt()),
        dst_nodata=np.nan,
        resampling=Resampling.average,
    )
    return out * (cell_km * cell_km)


def surface_image(
    values: np.ndarray,
    transform: Affine,
    crs: Any,
    *,
    cmap: str = "YlOrRd",
    vmax: float | None = None,
    alpha: float = 0.75,
    max_size: int = 1024,
) -> tuple[np.ndarray, list[list[float]]]:
    """An RGBA Web Mercator image of a north-up grid (see :meth:`DensitySurface.to_image`)."""
    from pyproj import Transformer
    from rasterio.crs import CRS as RioCRS
    from rasterio.enums import Resampling
    from rasterio.transform import array_bounds
    from rasterio.warp import calculate_default_transform, reproject

    rows, cols = np.shape(values)
    src_crs = RioCRS.from_wkt(CRS(crs).to_wkt())
    bounds = array_bounds(rows, cols, transform)
    dst_crs = RioCRS.from_epsg(3857)
    with warnings.catch_warnings():  # rasterio's own use of Affine * (not ours)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        dst_transform, width, height = calculate_default_transform(
            src_crs, dst_crs, cols, rows, *bounds
        )
        scale = max(width, height) / max_size
        if scale > 1:
            width, height = max(1, round(width / scale)), max(1, round(height / scale))
            dst_transform, width, height = calculate_default_transform(
                src_crs, dst_crs, cols, rows, *bounds, dst_width=width, dst_height=height
            )
    out = np.full((height, width), np.nan)
    reproject(
        source=np.asarray(values, dtype=np.float64),
        destination=out,
        src_transform=transform,
        src_crs=src_crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs=dst_crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    finite = np.isfinite(out)
    top = float(np.nanmax(out)) if finite.any() else 0.0
    vmax = top if vmax is None else float(vmax)
    scaled = np.clip(np.where(finite, out, 0.0) / vmax, 0.0, 1.0) if vmax > 0 else out * 0
    rgba = (colormap_rgba(cmap, scaled) * 255).round().astype(np.uint8)
    visible = finite & (np.where(finite, out, 0.0) > 0)
    rgba[..., 3] = np.where(visible, round(255 * float(alpha)), 0).astype(np.uint8)
    west, north = dst_transform.c, dst_transform.f
    east = west + width * dst_transform.a
    south = north + height * dst_transform.e
    to_ll = Transformer.from_crs(3857, 4326, always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_ll.transform([west, east], [south, north])
    return rgba, [[float(lat0), float(lon0)], [float(lat1), float(lon1)]]
