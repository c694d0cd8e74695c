"""Kernel density surface of incidents.

A Gaussian kernel density estimate on a regular, north-up grid in a metric CRS,
computed by linear binning and separable convolution (Silverman 1982; Wand 1994)
instead of one kernel evaluation per point and cell. The grid is oversampled
internally whenever the cell is coarse relative to the bandwidth, so the value at
each cell centre stays within a fraction of a percent of the exact estimate
(see ``docs/density_clusters.md`` for the measured accuracy and speed).

Each surface also knows, per cell, how many incidents contribute (``support``),
so that the public view can mask cells with fewer than *k* incidents nearby.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from rasterio.transform import Affine
from scipy import ndimage, signal

from ._crs import require_crs, study_crs
from ._errors import BorderwatchWarning, DataError, format_rows

__all__ = ["DensitySurface", "default_bandwidth_km", "density"]

#: The kernel is truncated at this many bandwidths (mass beyond: exp(-12.5) ~ 4e-6).
TRUNCATE = 5.0
#: Padding around the incidents, in bandwidths, when no ``bounds`` are given.
PAD_BANDWIDTHS = 4.0
#: Largest grid (cells) that ``density`` builds when it chooses the cell size itself.
DEFAULT_MAX_CELLS = 1_000_000
#: Largest grid (cells) accepted at all.
MAX_CELLS = 25_000_000
#: Largest internal (oversampled) grid, in cells.
MAX_FINE_CELLS = 16_000_000
#: The internal grid is refined until a fine cell is at most bandwidth / OVERSAMPLE.
OVERSAMPLE = 4.0
#: Bandwidth used when the data cannot give one (fewer than 2 distinct points).
FALLBACK_BANDWIDTH_KM = 5.0
PER_KM2 = "incidents per km²"
PER_100K = "incidents per 100,000 people"


@dataclass(frozen=True, eq=False)
class DensitySurface:
    """A kernel density surface on a north-up grid in a metric CRS.

    Attributes
    ----------
    values : numpy.ndarray
        2-D float64 array ``(rows, cols)``; row 0 is the northern edge. Incidents
        per km² (``units``), or incidents per 100,000 people when ``per_capita``.
        NaN marks nodata (masked cells, or no population data).
    transform : affine.Affine
        Pixel-to-CRS transform, north-up: ``(cell, 0, minx, 0, -cell, maxy)``
        in metres.
    crs : pyproj.CRS
        The metric CRS of the grid.
    bandwidth_km : float
        Standard deviation of the Gaussian kernel.
    cell_km : float
        Side of a grid cell.
    n_points : int
        Incidents that went into the surface (inside the grid).
    support : numpy.ndarray
        2-D int64 array, same shape as ``values``: a guaranteed lower bound on the
        number of incidents within ``support_radius_km`` of each cell centre
        (see :func:`density`).
    support_radius_km : float
        The radius that ``support`` counts in (default ``2 * bandwidth_km``).
    units : str
        ``"incidents per km²"`` or ``"incidents per 100,000 people"``.
    per_capita : bool
        True when ``values`` are rates per 100,000 people.
    n_dropped : int
        Incidents left out because they fall outside ``bounds``.
    population : numpy.ndarray or None
        People per cell, resampled from the population raster (per-capita only).
    masked_below : int or None
        The *k* of the last :meth:`masked` call, else None.
    weighted : bool
        True when incidents were weighted.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS
    bandwidth_km: float
    cell_km: float
    n_points: int
    support: np.ndarray
    support_radius_km: float
    units: str = PER_KM2
    per_capita: bool = False
    n_dropped: int = 0
    population: np.ndarray | None = None
    masked_below: int | None = None
    weighted: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the grid in the metric CRS (metres)."""
        rows, cols = self.shape
        minx, maxy = self.transform.c, self.transform.f
        return (minx, maxy + rows * self.transform.e, minx + cols * self.transform.a, maxy)

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        return self.cell_km * self.cell_km

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates: ``(x of each column, y of each row)`` in metres."""
        rows, cols = self.shape
        x = self.transform.c + (np.arange(cols) + 0.5) * self.transform.a
        y = self.transform.f + (np.arange(rows) + 0.5) * self.transform.e
        return x, y

    def total(self) -> float:
        """Integral of the surface: ``sum(values) * cell area`` (NaN cells skipped).

        For a density in incidents per km² this is the expected number of incidents
        on the grid, close to ``n_points`` when the grid covers the incidents with
        a margin of a few bandwidths.
        """
        return float(np.nansum(self.values) * self.cell_area_km2)

    def masked(self, k: int) -> DensitySurface:
        """A copy with ``values`` set to NaN wherever ``support < k``.

        Parameters
        ----------
        k : int
            The minimum number of incidents within ``support_radius_km`` for a
            cell to keep its value (the public view's suppression threshold).

        Returns
        -------
        DensitySurface
            A new surface; ``masked_below`` records ``k``. ``self`` is unchanged.

        Examples
        --------
        >>> import geopandas as gpd
        >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 100, 50_000], [0, 0, 0]),
        ...                        crs="EPSG:3857")
        >>> surf = density(pts, bandwidth_km=1.0, cell_km=0.5)
        >>> bool(np.isnan(surf.masked(2).values).any()), int(surf.support.max())
        (True, 2)
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            msg = f"masked(k): k must be a whole number >= 1, got {k!r}. Hint: use the view's k, e.g. 5."
            raise DataError(msg)
        values = np.where(self.support >= k, self.values, np.nan)
        previous = self.masked_below or 0
        return replace(self, values=values, masked_below=max(int(k), previous))

    #: Alias of :meth:`masked`.
    mask_below = masked

    def to_geotiff(self, path: str | PathLike[str]) -> Path:
        """Write ``values`` to a GeoTIFF with rasterio.

        One float32 band, nodata NaN, DEFLATE compression with the floating-point
        predictor, the CRS and north-up transform, and tags ``bandwidth_km``,
        ``cell_km``, ``units``, ``kernel``, ``support_radius_km``, ``per_capita``,
        ``masked_below`` (when masked) and ``n_points`` (left out when the surface
        is masked with a *k* larger than ``n_points``).

        Returns
        -------
        pathlib.Path
            ``path``.

        Examples
        --------
        >>> import tempfile, rasterio, geopandas as gpd
        >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1000], [0, 0]), crs=3857)
        >>> out = density(pts, bandwidth_km=1.0).to_geotiff(tempfile.mkdtemp() + "/d.tif")
        >>> with rasterio.open(out) as src:
        ...     print(src.dtypes[0], src.tags()["bandwidth_km"])
        float32 1.0
        """
        import rasterio
        from rasterio.crs import CRS as RioCRS

        path = Path(path)
        rows, cols = self.shape
        profile: dict[str, Any] = {
            "driver": "GTiff",
            "height": rows,
            "width": cols,
            "count": 1,
            "dtype": "float32",
            "crs": RioCRS.from_wkt(self.crs.to_wkt()),
            "transform": self.transform,
            "nodata": np.nan,
            "compress": "deflate",
            "predictor": 3,
        }
        if rows >= 256 and cols >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
        tags: dict[str, Any] = {
            "bandwidth_km": repr(float(self.bandwidth_km)),
            "cell_km": repr(float(self.cell_km)),
            "units": self.units,
            "kernel": "gaussian (sigma = bandwidth_km)",
            "support_radius_km": repr(float(self.support_radius_km)),
            "per_capita": str(bool(self.per_capita)).lower(),
            "weighted": str(bool(self.weighted)).lower(),
            "software": "borderwatch",
        }
        if self.masked_below is not None:
            tags["masked_below"] = str(self.masked_below)
        if self.masked_below is None or self.n_points >= self.masked_below:
            tags["n_points"] = str(self.n_points)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(self.values.astype(np.float32), 1)
            dst.update_tags(**tags)
            dst.set_band_description(1, "density")
            dst.set_band_unit(1, self.units)
        return path

    def to_image(
        self,
        *,
        cmap: str = "YlOrRd",
        vmax: float | None = None,
        alpha: float = 0.75,
        max_size: int = 1024,
    ) -> tuple[np.ndarray, list[list[float]]]:
        """An RGBA image of the surface for a web map, in Web Mercator.

        The surface is reprojected (bilinear) to EPSG:3857, the projection that
        Leaflet stretches image overlays in, and coloured with a matplotlib
        colormap from 0 to ``vmax``. NaN and zero cells are fully transparent.

        Parameters
        ----------
        cmap : str
            A matplotlib colormap name.
        vmax : float, optional
            Value shown with the top colour; default the largest finite value.
        alpha : float
            Opacity of coloured cells, 0 to 1.
        max_size : int
            Largest width or height of the image in pixels.

        Returns
        -------
        rgba : numpy.ndarray
            ``(rows, cols, 4)`` uint8 array, row 0 north.
        bounds : list
            ``[[south, west], [north, east]]`` in degrees, as folium's
            ``ImageOverlay`` expects.

        Examples
        --------
        >>> import geopandas as gpd
        >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([2.0, 2.1], [13.0, 13.0]), crs=4326)
        >>> rgba, ((s, w), (n, e)) = density(pts, bandwidth_km=2.0).to_image()
        >>> rgba.dtype.name, rgba.shape[2], s < 13.0 < n, w < 2.05 < e
        ('uint8', 4, True, True)
        """
        return surface_image(
            self.values,
            self.transform,
            self.crs,
            cmap=cmap,
            vmax=vmax,
            alpha=alpha,
            max_size=max_size,
        )


# ----------------------------------------------------------------------------
# input handling (shared with borderwatch.clusters)


def _metric_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    crs: CRS | str | int | None,
    *,
    what: str = "incidents",
) -> tuple[np.ndarray, CRS, np.ndarray]:
    """Project point geometries to a metric CRS.

    Returns ``(xy, crs, ok)``: ``xy`` is an ``(n, 2)`` float array in metres (NaN
    for unusable rows), ``ok`` a boolean mask of the usable rows. Missing, empty
    or non-finite points are left out with a :class:`BorderwatchWarning`; other
    geometry types raise :class:`DataError`.
    """
    if not isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = (
            f"the {what} must be a GeoDataFrame or GeoSeries of points, "
            f"got {type(points).__name__}. Hint: use borderwatch.read_incidents or "
            "geopandas.points_from_xy."
        )
        raise DataError(msg)
    require_crs(points, what=what)
    geoms = np.asarray(points.geometry.array, dtype=object)
    type_id = shapely.get_type_id(geoms)
    bad = np.flatnonzero((type_id != 0) & (type_id != -1))
    if bad.size:
        msg = (
            f"the {what} must be points, but {format_rows(bad + 1)} hold other geometry "
            f"types (first: {geoms[bad[0]].geom_type}). Hint: take centroids first, e.g. "
            "gdf.set_geometry(gdf.centroid)."
        )
        raise DataError(msg)
    if crs is not None:
        target = CRS(crs)
    elif CRS(points.crs).is_projected and _is_metre(CRS(points.crs)):
        target = CRS(points.crs)
    else:
        usable = points[(type_id == 0) & ~shapely.is_empty(geoms)]
        if len(usable) == 0:
            msg = f"the {what} have no usable point locations. Hint: check the coordinates."
            raise DataError(msg)
        target = study_crs(usable)
    if not (target.is_projected and _is_metre(target)):
        msg = (
            f"crs={target.name!r} is not a projected CRS in metres. Hint: pass a metric CRS "
            "such as borderwatch.study_crs(units), or leave crs=None."
        )
        raise DataError(msg)
    geo = points.geometry
    if not CRS(points.crs).equals(target):
        geo = geo.to_crs(target)
    g = np.asarray(geo.array, dtype=object)
    xy = np.full((len(g), 2), np.nan)
    present = (type_id == 0) & ~shapely.is_empty(g)
    xy[present, 0] = shapely.get_x(g[present])
    xy[present, 1] = shapely.get_y(g[present])
    ok = np.isfinite(xy).all(axis=1)
    if not ok.all():
        rows = np.flatnonzero(~ok) + 1
        warnings.warn(
            f"{(~ok).sum()} of {len(ok)} {what} have no usable location (missing, empty or "
            f"outside the projection) and are left out: {format_rows(rows)}.",
            BorderwatchWarning,
            stacklevel=3,
        )
        xy[~ok] = np.nan
    return xy, target, ok


def _is_metre(crs: CRS) -> bool:
    try:
        return bool(crs.axis_info) and all(
            a.unit_name in ("metre", "meter") for a in crs.axis_info[:2]
        )
    except Exception:  # pragma: no cover - exotic CRS
        return False


def _positive(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v <= 0:
        msg = f"{name} must be a positive number, got {value!r}. Hint: e.g. {name}=5."
        raise DataError(msg)
    return v


def _weights(points: gpd.GeoDataFrame | gpd.GeoSeries, weights: Any) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if not isinstance(points, gpd.GeoDataFrame) or weights not in points.columns:
            msg = f"weights={weights!r} is not a column of the incidents. Hint: pass a column name or an array."
            raise DataError(msg)
        raw = pd.to_numeric(points[weights], errors="coerce")
        w = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        label = f"column {weights!r}"
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        label = "weights"
        if w.size != len(points):
            msg = f"weights has {w.size} values for {len(points)} incidents. Hint: give one weight per row."
            raise DataError(msg)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        msg = (
            f"{label}: weights must be finite and >= 0; {format_rows(bad + 1)} are not. "
            "Hint: fill or drop missing weights first."
        )
        raise DataError(msg)
    return w


def default_bandwidth_km(xy_km: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Scott's rule of thumb for a 2-D Gaussian kernel, with a robust spread.

    ``h = sigma * n ** (-1/6)`` where ``sigma = sqrt((s_x**2 + s_y**2) / 2)`` and each
    ``s`` is ``min(standard deviation, IQR / 1.349)`` of the projected coordinates
    (km); ``n`` is the number of points (Kish's effective size with weights). The
    result is rounded to 3 significant digits. With fewer than 2 distinct points it
    returns ``FALLBACK_BANDWIDTH_KM`` (5 km).

    References
    ----------
    .. [1] Scott, D. W. (1992). *Multivariate Density Estimation*. Wiley, eq. 6.42.
    .. [2] Silverman, B. W. (1986). *Density Estimation for Statistics and Data
       Analysis*. Chapman & Hall, section 3.4.2 (robust spread).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(default_bandwidth_km(rng.normal(0, 10, (1000, 2))), 1)
    3.1
    """
    h = _scott_km(xy_km, weights)
    return FALLBACK_BANDWIDTH_KM if h is None else h


def _scott_km(xy_km: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    xy_km = np.asarray(xy_km, dtype=np.float64)
    if weights is None:
        n = float(len(xy_km))
        w = np.ones(len(xy_km))
    else:
        w = np.asarray(weights, dtype=np.float64)
        n = float(w.sum() ** 2 / (w**2).sum()) if (w > 0).any() else 0.0
    if n < 2:
        return None
    spreads = []
    for axis in range(2):
        x = xy_km[:, axis]
        mean = np.average(x, weights=w)
        sd = math.sqrt(float(np.average((x - mean) ** 2, weights=w)))
        q1, q3 = _weighted_quantiles(x, w, (0.25, 0.75))
        iqr = (q3 - q1) / 1.349
        spreads.append(min(sd, iqr) if iqr > 0 else sd)
    sigma = math.sqrt((spreads[0] ** 2 + spreads[1] ** 2) / 2)
    if not sigma > 0:
        return None
    h = sigma * n ** (-1 / 6)
    return float(f"{h:.3g}")


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> tuple[float, ...]:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws) - 0.5 * ws
    cum /= ws.sum()
    return tuple(float(np.interp(p, cum, xs)) for p in q)


# ----------------------------------------------------------------------------
# the estimator


def density(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    bandwidth_km: float | None = None,
    cell_km: float | None = None,
    crs: CRS | str | int | None = None,
    bounds: Sequence[float] | None = None,
    population: str | PathLike[str] | Any | None = None,
    weights: str | Sequence[float] | np.ndarray | None = None,
    support_radius_km: float | None = None,
    min_population_km2: float = 0.0,
) -> DensitySurface:
    """Gaussian kernel density of incidents on a regular grid.

    ``values[r, c] = sum_i w_i * K(centre(r, c) - x_i)`` with the bivariate
    Gaussian ``K(d) = exp(-|d|**2 / (2 h**2)) / (2 pi h**2)``, ``h = bandwidth_km``,
    so values are incidents per km² and integrate to the number of incidents.

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Point geometries with a CRS, e.g. the output of ``read_incidents``. Rows
        with a missing or empty geometry are left out with a warning.
    bandwidth_km : float, optional
        Kernel standard deviation (sigma). Default: Scott's rule on the projected
        coordinates, see :func:`default_bandwidth_km`. Scott's rule suits smooth,
        single-peaked data and over-smooths clustered incidents: for hotspot work
        choose a bandwidth close to the size of the places that matter (2-10 km).
    cell_km : float, optional
        Side of a grid cell. Default ``bandwidth_km / 4``, enlarged if needed so the
        grid has at most 1,000,000 cells. A cell coarser than the bandwidth gives a
        warning (the surface then misses peaks between cell centres).
    crs : CRS, optional
        Metric CRS of the grid. Default: the input's CRS if it is projected in
        metres, else :func:`borderwatch.study_crs` of the points.
    bounds : (minx, miny, maxx, maxy), optional
        Grid extent in ``crs`` metres, e.g. the study area. The grid starts at
        ``(minx, maxy)`` and covers ``bounds`` with whole cells (it may reach up to
        one cell further east and south). Incidents outside ``bounds`` are dropped
        (they do not contribute to any cell) with a warning; ``n_dropped`` counts
        them. Default: the incidents' extent plus 4 bandwidths, snapped to
        multiples of ``cell_km``.
    population : path, rasterio dataset or mapping, optional
        A population-count raster (e.g. GPW or WorldPop): a file path, an open
        rasterio dataset, or a mapping with ``values`` (2-D counts), ``transform``
        and ``crs`` (negative or non-finite counts are nodata). When given, ``values``
        are kernel rates per 100,000 people: the incident density divided by the
        population density smoothed with the same kernel (a kernel ratio estimate,
        Kelsall & Diggle 1995). The raster is resampled to the grid conserving
        totals (counts to people per km², area-weighted average, times the cell
        area). Cells without population data, or whose smoothed population density
        is at most ``min_population_km2``, are NaN.
    weights : str or array-like, optional
        A column name or one non-negative weight per row; the surface then sums
        weights instead of counting incidents.
    support_radius_km : float, optional
        Radius for ``support``; default ``2 * bandwidth_km``.
    min_population_km2 : float
        See ``population``.

    Returns
    -------
    DensitySurface
        ``values`` (incidents per km², or per 100,000 people), north-up
        ``transform``, ``crs``, ``support`` and metadata.

    Notes
    -----
    Algorithm: incidents are linearly binned (each spreads over the four nearest
    cell centres) onto a grid fine enough that a cell is at most ``bandwidth / 4``
    (the output grid, oversampled by an odd factor when needed), the binned grid is
    convolved with the Gaussian (separable, truncated at 5 sigma) and sampled at the
    output cell centres. The error is a small fraction of a percent of the peak
    (about 0.2 % in ``benchmarks/bench_density.py``). Cost is O(n + cells * taps)
    instead of O(n * cells).

    ``support`` counts, for each cell centre, the incidents binned (nearest
    centre of the fine grid, side ``f``) within ``support_radius_km - f / sqrt(2)``
    of it. Every incident so counted lies within ``support_radius_km`` of the
    centre, so ``support`` never over-states how many incidents contribute; it is
    exact integer arithmetic (row sums of a disk), no floating point.

    References
    ----------
    .. [1] Silverman, B. W. (1982). Algorithm AS 176: Kernel density estimation
       using the fast Fourier transform. *Applied Statistics* 31(1), 93-99.
    .. [2] Wand, M. P. (1994). Fast computation of multivariate kernel estimators.
       *Journal of Computational and Graphical Statistics* 3(4), 433-445.
    .. [3] Kelsall, J. E. and Diggle, P. J. (1995). Kernel estimation of relative
       risk. *Bernoulli* 1(1-2), 3-16.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(
    ...     geometry=gpd.points_from_xy([0, 500, 1000, 20_000], [0, 0, 500, 20_000]),
    ...     crs="EPSG:32631")
    >>> surf = density(pts, bandwidth_km=2.0, cell_km=0.5)
    >>> surf.units, surf.n_points, round(surf.total(), 2)
    ('incidents per km²', 4, 4.0)
    >>> surf.transform.e < 0  # north-up
    True
    """
    w_all = _weights(points, weights)
    xy_m, target, ok = _metric_points(points, crs)
    if w_all is not None:
        ok = ok & (w_all > 0)
    xy_km = xy_m[ok] / 1000.0
    w = None if w_all is None else w_all[ok]

    if bandwidth_km is None:
        sel = xy_km, w
        if bounds is not None and len(xy_km):
            inside0 = _inside(xy_km, _check_bounds(bounds) / 1000.0)
            sel = xy_km[inside0], None if w is None else w[inside0]
        scott = _scott_km(*sel)
        h = FALLBACK_BANDWIDTH_KM if scott is None else scott
        if scott is None:
            warnings.warn(
                f"too few distinct incidents to choose a bandwidth from the data; using "
                f"{FALLBACK_BANDWIDTH_KM} km. Hint: pass bandwidth_km.",
                BorderwatchWarning,
                stacklevel=2,
            )
    else:
        h = _positive(bandwidth_km, "bandwidth_km")
    r_sup = (
        2.0 * h if support_radius_km is None else _positive(support_radius_km, "support_radius_km")
    )

    # grid extent in km
    if bounds is not None:
        b = _check_bounds(bounds)
        bkm = b / 1000.0
    else:
        if len(xy_km) == 0:
            msg = "no incidents with a usable location, so there is no extent for the density grid. Hint: pass bounds=."
            raise DataError(msg)
        lo = xy_km.min(axis=0) - PAD_BANDWIDTHS * h
        hi = xy_km.max(axis=0) + PAD_BANDWIDTHS * h
        bkm = np.array([lo[0], lo[1], hi[0], hi[1]])
    width_km, height_km = bkm[2] - bkm[0], bkm[3] - bkm[1]

    if cell_km is None:
        cell = float(f"{h / OVERSAMPLE:.3g}")
        n_cells = math.ceil(width_km / cell) * math.ceil(height_km / cell)
        if n_cells > DEFAULT_MAX_CELLS:
            cell = float(f"{math.sqrt(width_km * height_km / DEFAULT_MAX_CELLS) * 1.001:.3g}")
            while math.ceil(width_km / cell) * math.ceil(height_km / cell) > DEFAULT_MAX_CELLS:
                cell = float(f"{cell * 1.01:.3g}")
    else:
        cell = _positive(cell_km, "cell_km")
    if cell > h:
        why = "" if cell_km is not None else " (chosen to keep the grid under 1,000,000 cells)"
        warnings.warn(
            f"cell_km={cell:g}{why} is larger than bandwidth_km={h:g}: the surface is sampled "
            "too coarsely and under-states peaks between cell centres. Hint: use "
            "cell_km <= bandwidth_km / 2, or smaller bounds.",
            BorderwatchWarning,
            stacklevel=2,
        )
    if bounds is None:  # snap the default extent to the cell lattice
        bkm = np.array(
            [
                math.floor(bkm[0] / cell) * cell,
                math.floor(bkm[1] / cell) * cell,
                math.ceil(bkm[2] / cell) * cell,
                math.ceil(bkm[3] / cell) * cell,
            ]
        )
    nx = max(1, math.ceil(round((bkm[2] - bkm[0]) / cell, 9)))
    ny = max(1, math.ceil(round((bkm[3] - bkm[1]) / cell, 9)))
    if nx * ny > MAX_CELLS:
        msg = (
            f"the density grid would have {nx} x {ny} = {nx * ny:,} cells (limit "
            f"{MAX_CELLS:,}). Hint: use a larger cell_km (now {cell:g}) or smaller bounds."
        )
        raise DataError(msg)
    x0, y0 = float(bkm[0]), float(bkm[3])  # top-left corner, km

    inside = _inside(xy_km, bkm) if len(xy_km) else np.zeros(0, dtype=bool)
    n_dropped = int((~inside).sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} incidents lie outside the density bounds and are left out of the surface.",
            BorderwatchWarning,
            stacklevel=2,
        )
        xy_km = xy_km[inside]
        w = None if w is None else w[inside]
    n_points = len(xy_km)
    if n_points == 0:
        warnings.warn(
            "no incidents inside the density grid: the surface is all zeros.",
            BorderwatchWarning,
            stacklevel=2,
        )

    s = _oversampling(cell, h, nx * ny)
    values = _kde_grid(xy_km, w, x0=x0, y0=y0, nx=nx, ny=ny, cell=cell, h=h, s=s)
    support = _support_grid(xy_km, x0=x0, y0=y0, nx=nx, ny=ny, cell=cell, s=s, radius=r_sup)

    transform = Affine(cell * 1000.0, 0.0, x0 * 1000.0, 0.0, -cell * 1000.0, y0 * 1000.0)
    surface = DensitySurface(
        values=values,
        transform=transform,
        crs=target,
        bandwidth_km=float(h),
        cell_km=float(cell),
        n_points=n_points,
        support=support,
        support_radius_km=float(r_sup),
        units=PER_KM2,
        n_dropped=n_dropped,
        weighted=w is not None,
    )
    if population is not None:
        surface = _per_capita(surface, population, min_population_km2=float(min_population_km2))
    return surface


def _inside(xy_km: np.ndarray, bkm: np.ndarray) -> np.ndarray:
    return (
        (xy_km[:, 0] >= bkm[0])
        & (xy_km[:, 0] <= bkm[2])
        & (xy_km[:, 1] >= bkm[1])
        & (xy_km[:, 1] <= bkm[3])
    )


def _check_bounds(bounds: Sequence[float]) -> np.ndarray:
    try:
        b = np.asarray(bounds, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        b = np.array([])
    if b.size != 4 or not np.isfinite(b).all() or b[2] <= b[0] or b[3] <= b[1]:
        msg = (
            f"bounds must be (minx, miny, maxx, maxy) in metres of the metric CRS with "
            f"minx < maxx and miny < maxy, got {bounds!r}. Hint: pass "
            "units.to_crs(crs).total_bounds."
        )
        raise DataError(msg)
    return b


def _oversampling(cell: float, h: float, n_cells: int) -> int:
    """Odd factor ``s`` so that ``cell / s <= h / OVERSAMPLE`` within the memory cap."""
    s = max(1, math.ceil(OVERSAMPLE * cell / h - 1e-9))
    if s % 2 == 0:
        s += 1
    cap = max(1, math.isqrt(max(1, MAX_FINE_CELLS // max(1, n_cells))))
    if cap % 2 == 0:
        cap -= 1
    if s > cap:
        if cell <= h:  # (cell > h has already given a warning)
            warnings.warn(
                f"the grid is too large to refine cell_km={cell:g} to bandwidth/4; the "
                "surface may be off by a few percent of its peak. Hint: use "
                "cell_km <= bandwidth_km / 2.",
                BorderwatchWarning,
                stacklevel=3,
            )
        s = cap
    return s


def _gauss_1d(h: float, step: float, max_half: int) -> np.ndarray:
    """The 1-D Gaussian (per km) at offsets ``k * step``, ``|k| <= R``."""
    half = min(math.ceil(TRUNCATE * h / step), max_half)
    o = np.arange(-half, half + 1) * step
    return np.exp(-0.5 * (o / h) ** 2) / (math.sqrt(2 * math.pi) * h)


def _convolve_axis(a: np.ndarray, k: np.ndarray, axis: int) -> np.ndarray:
    if k.size <= 129:
        return ndimage.correlate1d(a, k, axis=axis, mode="constant", cval=0.0)
    kk = k.reshape((1, -1) if axis == 1 else (-1, 1))
    return signal.oaconvolve(a, kk, mode="same", axes=axis)


def _kde_grid(
    xy_km: np.ndarray,
    w: np.ndarray | None,
    *,
    x0: float,
    y0: float,
    nx: int,
    ny: int,
    cell: float,
    h: float,
    s: int,
) -> np.ndarray:
    """Gaussian KDE (per km²) at the cell centres by linear binning on an s-fold grid."""
    fx, fy, fc = nx * s, ny * s, cell / s
    if len(xy_km) == 0:
        return np.zeros((ny, nx))
    u = (xy_km[:, 0] - x0) / fc - 0.5
    v = (y0 - xy_km[:, 1]) / fc - 0.5
    i0 = np.floor(u).astype(np.int64)
    j0 = np.floor(v).astype(np.int64)
    fu, fv = u - i0, v - j0
    ww = np.ones(len(u)) if w is None else w
    grid = np.zeros(fx * fy)
    for di, wu in ((0, 1.0 - fu), (1, fu)):
        ii = np.clip(i0 + di, 0, fx - 1)
        for dj, wv in ((0, 1.0 - fv), (1, fv)):
            jj = np.clip(j0 + dj, 0, fy - 1)
            grid += np.bincount(jj * fx + ii, weights=ww * wu * wv, minlength=fx * fy)
    g = grid.reshape(fy, fx)
    c = s // 2
    k = _gauss_1d(h, fc, max(fx, fy))
    a = _convolve_axis(g, k, axis=1)[:, c::s]
    out = _convolve_axis(np.ascontiguousarray(a), k, axis=0)[c::s, :]
    return np.clip(out, 0.0, None)


def _support_grid(
    xy_km: np.ndarray,
    *,
    x0: float,
    y0: float,
    nx: int,
    ny: int,
    cell: float,
    s: int,
    radius: float,
) -> np.ndarray:
    """Lower bound on the incidents within ``radius`` km of each cell centre."""
    support = np.zeros((ny, nx), dtype=np.int64)
    fx, fy, fc = nx * s, ny * s, cell / s
    reach = radius / fc - math.sqrt(0.5)  # in fine cells, conservative
    if len(xy_km) == 0 or reach < 0:
        return support
    i = np.clip(np.floor((xy_km[:, 0] - x0) / fc).astype(np.int64), 0, fx - 1)
    j = np.clip(np.floor((y0 - xy_km[:, 1]) / fc).astype(np.int64), 0, fy - 1)
    counts = np.bincount(j * fx + i, minlength=fx * fy).reshape(fy, fx)
    cum = np.zeros((fy, fx + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=cum[:, 1:])
    c = s // 2
    rows_c = s * np.arange(ny) + c
    cols_c = s * np.arange(nx) + c
    half = math.floor(reach)
    for dj in range(-half, half + 1):
        span = math.floor(math.sqrt(max(reach * reach - dj * dj, 0.0)) + 1e-12)
        rows = rows_c + dj
        ok = (rows >= 0) & (rows < fy)
        if not ok.any():
            continue
        lo = np.clip(cols_c - span, 0, fx)
        hi = np.clip(cols_c + span + 1, 0, fx)
        sel = cum[rows[ok]]
        support[ok] += sel[:, hi] - sel[:, lo]
    return support


# ----------------------------------------------------------------------------
# population


def _pixel_area_km2(transform: Affine, crs: Any, height: int) -> np.ndarray:
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


def _population_on_grid(population: Any, surface: DensitySurface) -> np.ndarray:
    """People per cell of ``surface``'s grid (NaN where the raster has no data)."""
    from rasterio.crs import CRS as RioCRS
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    counts, transform, crs = _read_population(population)
    src_crs = crs if isinstance(crs, RioCRS) else RioCRS.from_wkt(CRS(crs).to_wkt())
    per_km2 = counts / _pixel_area_km2(transform, src_crs, counts.shape[0])
    rows, cols = surface.shape
    out = np.full((rows, cols), np.nan)
    reproject(
        source=per_km2,
        destination=out,
        src_transform=transform,
        src_crs=src_crs,
        src_nodata=np.nan,
        dst_transform=surface.transform,
        dst_crs=RioCRS.from_wkt(surface.crs.to_wkt()),
        dst_nodata=np.nan,
        resampling=Resampling.average,
    )
    return out * surface.cell_area_km2


def _per_capita(
    surface: DensitySurface, population: Any, *, min_population_km2: float
) -> DensitySurface:
    people = _population_on_grid(population, surface)
    rows, cols = surface.shape
    k = _gauss_1d(surface.bandwidth_km, surface.cell_km, max(rows, cols))
    filled = np.where(np.isfinite(people), people, 0.0)
    smooth = _convolve_axis(_convolve_axis(filled, k, axis=1), k, axis=0)  # people per km²
    smooth = np.clip(smooth, 0.0, None)
    usable = np.isfinite(people) & (smooth > max(min_population_km2, 0.0))
    if not usable.any():
        warnings.warn(
            "the population raster does not cover the density grid: every rate is NaN.",
            BorderwatchWarning,
            stacklevel=3,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(usable, surface.values / smooth * 1e5, np.nan)
    return replace(surface, values=rate, units=PER_100K, per_capita=True, population=people)


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
    from matplotlib import colormaps
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
    rgba = (colormaps[cmap](scaled) * 255).round().astype(np.uint8)
    visible = finite & (np.where(finite, out, 0.0) > 0)
    rgba[..., 3] = np.where(visible, round(255 * float(alpha)), 0).astype(np.uint8)
    west, north = dst_transform.c, dst_transform.f
    east = west + width * dst_transform.a
    south = north + height * dst_transform.e
    to_ll = Transformer.from_crs(3857, 4326, always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_ll.transform([west, east], [south, north])
    return rgba, [[float(lat0), float(lon0)], [float(lat1), float(lon1)]]
