"""Kernel density surface of incidents.

A Gaussian kernel density estimate on a regular, north-up grid in a metric CRS,
computed by linear binning and separable convolution (Silverman 1982; Wand 1994)
instead of one kernel evaluation per point and cell. The grid is oversampled
internally whenever the cell is coarse relative to the bandwidth, so the value at
each cell centre stays within a fraction of a percent of the exact estimate
(see ``docs/density_clusters.md`` for the measured accuracy and speed).

Each surface also knows, per cell, how many incidents contribute (``support``),
so that the public view can mask cells with fewer than *k* incidents nearby.

The engine lives in ``borderwatch._kde`` (binning, convolution, support) and
``borderwatch._raster`` (population resampling, web-map images).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from rasterio.transform import Affine

from ._errors import BorderwatchWarning, DataError, format_rows
from ._inputs import metric_points
from ._kde import (
    TRUNCATE,
    convolve_axis,
    gauss_1d,
    kde_grid,
    mass_outside,
    oversampling,
    support_grid,
)
from ._raster import population_on_grid, surface_image

__all__ = ["DensitySurface", "default_bandwidth_km", "density", "surface_image"]

#: Padding around the incidents, in bandwidths, when no ``bounds`` are given.
PAD_BANDWIDTHS = 4.0
#: The default cell is the bandwidth over this.
CELLS_PER_BANDWIDTH = 4.0
#: Largest grid (cells) that ``density`` builds when it chooses the cell size itself.
DEFAULT_MAX_CELLS = 1_000_000
#: Largest grid (cells) accepted at all.
MAX_CELLS = 25_000_000
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
        Incidents that went into the surface (inside the grid, or outside it by
        at most ``TRUNCATE`` bandwidths).
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
        Incidents left out because they lie more than ``TRUNCATE`` bandwidths
        outside ``bounds`` (where they add nothing to any cell).
    population : numpy.ndarray or None
        People per cell, resampled from the population raster (per-capita only).
    masked_below : int or None
        The *k* of the last :meth:`masked` call, else None.
    weighted : bool
        True when incidents were weighted.
    mass_outside : float
        Kernel mass (incidents, or weight) of the incidents that falls outside
        the grid's bounds, computed exactly from the Gaussian's distribution
        function; ``total() + mass_outside`` is the number of incidents (up to
        the sampling of ``total``).
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
    mass_outside: float = 0.0

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
# input handling


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
        one cell further east and south). The surface is computed on the grid
        padded by ``TRUNCATE`` (5) bandwidths on every side and then clipped, so
        incidents just outside ``bounds`` add to the cells near the edge as
        they should, and no kernel mass piles up at the edge;
        ``mass_outside`` records the mass that falls outside the grid.
        Incidents further out add nothing and are dropped with a warning
        (``n_dropped``). Default: the incidents' extent plus 4 bandwidths,
        snapped to multiples of ``cell_km``.
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
    cell centres) onto a grid fine enough that a cell is at most ``bandwidth / 6``
    (the output grid padded by 5 bandwidths, refined by an odd factor when
    needed), and the binned grid is smoothed with the Gaussian (separable,
    truncated at 5 sigma) onto the output cell centres: a row pass and a
    column pass that compute only those centres. The error is a small fraction of a percent of the peak, corners included
    (about 0.2 % in ``benchmarks/bench_density.py``). Cost is O(n + cells * taps)
    instead of O(n * cells). The exact separable Gaussian
    (:func:`borderwatch._kde.kde_exact`, a matrix product) is 10-40x slower
    and grows with n x cells, so it serves as the reference in the tests and
    benchmark, not as the engine.

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
    xy_m, target, ok = metric_points(points, crs)
    if w_all is not None:
        ok = ok & (w_all > 0)
    xy_km = xy_m[ok] / 1000.0
    w = None if w_all is None else w_all[ok]
    h = _bandwidth(xy_km, w, bandwidth_km, bounds)
    r_sup = (
        2.0 * h if support_radius_km is None else _positive(support_radius_km, "support_radius_km")
    )
    bkm = _check_bounds(bounds) / 1000.0 if bounds is not None else _padded_extent(xy_km, h)
    cell = _cell_size(bkm, h, cell_km)
    if bounds is None:  # snap the default extent to the cell lattice
        bkm = np.array(
            [
                math.floor(bkm[0] / cell) * cell,
                math.floor(bkm[1] / cell) * cell,
                math.ceil(bkm[2] / cell) * cell,
                math.ceil(bkm[3] / cell) * cell,
            ]
        )
    nx, ny = grid_shape(bkm, cell)
    x0, y0 = float(bkm[0]), float(bkm[3])  # top-left corner, km
    mass_out = mass_outside(xy_km, w, bkm=(x0, y0 - ny * cell, x0 + nx * cell, y0), h=h)
    values, counted, n_used, n_dropped = _padded_surface(
        xy_km, w, x0=x0, y0=y0, nx=nx, ny=ny, cell=cell, h=h, r_sup=r_sup
    )
    support = cast(np.ndarray, counted)  # asked for
    transform = Affine(cell * 1000.0, 0.0, x0 * 1000.0, 0.0, -cell * 1000.0, y0 * 1000.0)
    surface = DensitySurface(
        values=values,
        transform=transform,
        crs=target,
        bandwidth_km=float(h),
        cell_km=float(cell),
        n_points=n_used,
        support=support,
        support_radius_km=float(r_sup),
        units=PER_KM2,
        n_dropped=n_dropped,
        weighted=w is not None,
        mass_outside=mass_out,
    )
    if population is not None:
        surface = _per_capita(surface, population, min_population_km2=float(min_population_km2))
    return surface


def kde_values(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    bandwidth_km: float,
    cell_km: float,
    crs: CRS | str | None,
    bounds: Sequence[float],
) -> tuple[np.ndarray, float]:
    """The ``values`` and ``cell_km`` of :func:`density` with these options (unweighted),
    and its warnings, without the support and mass outside the grid that it also counts.

    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 500], [0, 0]), crs="EPSG:32631")
    >>> opts = dict(bandwidth_km=2.0, cell_km=0.5, bounds=(-5000, -5000, 5000, 5000))
    >>> values, cell = kde_values(pts, crs=None, **opts)
    >>> bool((values == density(pts, **opts).values).all()), cell
    (True, 0.5)
    """
    xy_m, _, ok = metric_points(points, crs)
    xy_km = xy_m[ok] / 1000.0
    h = _bandwidth(xy_km, None, bandwidth_km, bounds)
    bkm = _check_bounds(bounds) / 1000.0
    cell = _cell_size(bkm, h, cell_km)
    nx, ny = grid_shape(bkm, cell)
    x0, y0 = float(bkm[0]), float(bkm[3])
    values, _, _, _ = _padded_surface(
        xy_km, None, x0=x0, y0=y0, nx=nx, ny=ny, cell=cell, h=h, r_sup=2.0 * h, support=False
    )
    return values, float(cell)


def _padded_surface(
    xy_km: np.ndarray,
    w: np.ndarray | None,
    *,
    x0: float,
    y0: float,
    nx: int,
    ny: int,
    cell: float,
    h: float,
    r_sup: float,
    support: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, int, int]:
    """Values and support (None unless ``support``) on the grid padded by ``TRUNCATE``
    bandwidths, clipped back."""
    pad = math.ceil(max(TRUNCATE * h, r_sup) / cell)
    px0, py0 = x0 - pad * cell, y0 + pad * cell
    pnx, pny = nx + 2 * pad, ny + 2 * pad
    padded = np.array([px0, py0 - pny * cell, px0 + pnx * cell, py0])
    xy_km, w, n_dropped = _keep_inside(xy_km, w, padded)
    s = oversampling(cell, h, pnx * pny)
    values = kde_grid(xy_km, w, x0=px0, y0=py0, nx=pnx, ny=pny, cell=cell, h=h, s=s)
    values = np.ascontiguousarray(values[pad : pad + ny, pad : pad + nx])
    if not support:
        return values, None, len(xy_km), n_dropped
    count = support_grid(xy_km, x0=px0, y0=py0, nx=pnx, ny=pny, cell=cell, s=s, radius=r_sup)
    return (
        values,
        np.ascontiguousarray(count[pad : pad + ny, pad : pad + nx]),
        len(xy_km),
        n_dropped,
    )


def _bandwidth(
    xy_km: np.ndarray,
    w: np.ndarray | None,
    bandwidth_km: float | None,
    bounds: Sequence[float] | None,
) -> float:
    """The bandwidth given, else Scott's rule on the incidents inside ``bounds``."""
    if bandwidth_km is not None:
        return _positive(bandwidth_km, "bandwidth_km")
    sel = xy_km, w
    if bounds is not None and len(xy_km):
        inside0 = _inside(xy_km, _check_bounds(bounds) / 1000.0)
        sel = xy_km[inside0], None if w is None else w[inside0]
    scott = _scott_km(*sel)
    if scott is not None:
        return scott
    warnings.warn(
        f"too few distinct incidents to choose a bandwidth from the data; using "
        f"{FALLBACK_BANDWIDTH_KM} km. Hint: pass bandwidth_km.",
        BorderwatchWarning,
        stacklevel=3,
    )
    return FALLBACK_BANDWIDTH_KM


def _padded_extent(xy_km: np.ndarray, h: float) -> np.ndarray:
    """``(minx, miny, maxx, maxy)`` of the incidents plus ``PAD_BANDWIDTHS`` bandwidths, km."""
    if len(xy_km) == 0:
        msg = "no incidents with a usable location, so there is no extent for the density grid. Hint: pass bounds=."
        raise DataError(msg)
    lo = xy_km.min(axis=0) - PAD_BANDWIDTHS * h
    hi = xy_km.max(axis=0) + PAD_BANDWIDTHS * h
    return np.array([lo[0], lo[1], hi[0], hi[1]])


def grid_shape(bkm: np.ndarray, cell: float) -> tuple[int, int]:
    """Columns and rows of a density grid of ``cell`` km over ``bkm`` (km bounds), refused
    above :data:`MAX_CELLS`."""
    nx = max(1, math.ceil(round((bkm[2] - bkm[0]) / cell, 9)))
    ny = max(1, math.ceil(round((bkm[3] - bkm[1]) / cell, 9)))
    if nx * ny > MAX_CELLS:
        msg = (
            f"the density grid would have {nx} x {ny} = {nx * ny:,} cells (limit "
            f"{MAX_CELLS:,}). Hint: use a larger cell_km (now {cell:g}) or smaller bounds."
        )
        raise DataError(msg)
    return nx, ny


def _cell_size(bkm: np.ndarray, h: float, cell_km: float | None) -> float:
    """The cell given, else ``h / CELLS_PER_BANDWIDTH`` enlarged to keep the grid under the cap."""
    width_km, height_km = bkm[2] - bkm[0], bkm[3] - bkm[1]
    if cell_km is None:
        cell = float(f"{h / CELLS_PER_BANDWIDTH:.3g}")
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
            stacklevel=3,
        )
    return cell


def _keep_inside(
    xy_km: np.ndarray, w: np.ndarray | None, bkm: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """The incidents (and weights) inside the grid, and how many were dropped."""
    inside = _inside(xy_km, bkm) if len(xy_km) else np.zeros(0, dtype=bool)
    n_dropped = int((~inside).sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} incidents lie more than {TRUNCATE:g} bandwidths outside the density "
            "bounds and are left out of the surface.",
            BorderwatchWarning,
            stacklevel=3,
        )
        xy_km = xy_km[inside]
        w = None if w is None else w[inside]
    if len(xy_km) == 0:
        warnings.warn(
            "no incidents inside the density grid: the surface is all zeros.",
            BorderwatchWarning,
            stacklevel=3,
        )
    return xy_km, w, n_dropped


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


def _per_capita(
    surface: DensitySurface, population: Any, *, min_population_km2: float
) -> DensitySurface:
    """Kernel rates per 100,000 people: the density over the smoothed population density."""
    people = population_on_grid(
        population,
        shape=surface.shape,
        transform=surface.transform,
        crs=surface.crs,
        cell_km=surface.cell_km,
    )
    rows, cols = surface.shape
    k = gauss_1d(surface.bandwidth_km, surface.cell_km, max(rows, cols))
    filled = np.where(np.isfinite(people), people, 0.0)
    smooth = convolve_axis(convolve_axis(filled, k, axis=1), k, axis=0)  # people per km²
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
