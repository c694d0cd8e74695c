"""Population counts per unit from a raster (GPW, WorldPop), for per-capita rates."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ._errors import BorderwatchWarning, DataError

__all__ = ["PopulationRaster", "read_population", "unit_population"]


@dataclass(frozen=True)
class PopulationRaster:
    """Band 1 of a population-count raster, nodata as 0."""

    path: str
    crs: Any
    transform: Any
    bounds: tuple[float, float, float, float]
    values: np.ndarray

    def as_mapping(self) -> dict[str, Any]:
        """``{"values", "transform", "crs"}``, as :func:`borderwatch.density` takes it."""
        return {"values": self.values, "transform": self.transform, "crs": self.crs}


def read_population(raster: str | os.PathLike[str]) -> PopulationRaster:
    """Read a population-count GeoTIFF, or raise :class:`borderwatch.DataError`."""
    import rasterio

    try:
        src = rasterio.open(raster)
    except Exception as exc:  # noqa: BLE001
        msg = f"{raster}: cannot read the population raster ({exc}). Hint: give a GeoTIFF of population counts."
        raise DataError(msg) from exc
    with src:
        if src.crs is None:
            msg = f"{raster}: the population raster has no CRS. Hint: assign one with gdal_edit.py -a_srs EPSG:4326."
            raise DataError(msg)
        band = src.read(1, masked=True).astype("float64").filled(0.0)
        band[~np.isfinite(band)] = 0.0
        return PopulationRaster(
            path=str(raster),
            crs=src.crs,
            transform=src.transform,
            bounds=tuple(src.bounds),
            values=band,
        )


def unit_population(units: gpd.GeoDataFrame, raster: PopulationRaster) -> gpd.GeoDataFrame:
    """A copy of ``units`` with ``population`` and ``rate_per_100k``.

    Raster cells are assigned to units by their centre. Units the raster does
    not cover (fully) get an empty population and rate, never a false one, and
    a :class:`borderwatch.BorderwatchWarning`.
    """
    from rasterio.features import rasterize

    geoms = units.to_crs(raster.crs).geometry
    shapes = ((g, i + 1) for i, g in enumerate(geoms))
    zones = rasterize(
        shapes, out_shape=raster.values.shape, transform=raster.transform, fill=0, dtype="int32"
    )
    sums = np.bincount(zones.ravel(), weights=raster.values.ravel(), minlength=len(units) + 1)[1:]
    arr = geoms.array
    covered = shapely.area(shapely.intersection(arr, shapely.box(*raster.bounds))) / shapely.area(
        arr
    )
    partial = covered < 0.99
    if partial.any():
        names = ", ".join(units.loc[partial, "name"].astype(str).head(5))
        more = ", ..." if partial.sum() > 5 else ""
        warnings.warn(
            f"{raster.path}: the population raster does not cover {int(partial.sum())} units "
            f"({names}{more}); their population and rate are left empty.",
            BorderwatchWarning,
            stacklevel=2,
        )
        sums = np.where(partial, np.nan, sums)
    out = units.copy()
    out["population"] = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_100k"] = np.where(
            np.nan_to_num(sums) > 0, out["incidents"] / sums * 1e5, np.nan
        )
    return out
