"""The public density surface: classes computed from perturbed, coarsened lattice counts.

A continuous kernel density of the incidents can be differenced between two
releases and inverted: fitting a Gaussian to the difference of two
``density.tif`` files located an added incident to a few metres. The public
surface is therefore built only from what the public cells already publish:

1. the perturbed counts of the public lattice cells (null, i.e. below ``k``,
   counts as 0) are summed into the cells of the next coarser lattice size
   (twice the side; :func:`borderwatch.lattice.parent_ids`);
2. those coarse cells are the pixels (in :data:`~borderwatch.lattice.LATTICE_CRS`);
   the counts are smoothed with a Gaussian of one pixel;
3. a pixel is masked (NaN) when fewer than ``k`` published incidents lie in the
   pixels within 1.5 pixels of it;
4. the smoothed value, in incidents per 100 km², becomes a class 1–5 with the
   fixed breaks :data:`DENSITY_BREAKS`.

Nothing finer than a coarse lattice cell, and nothing not already published
(perturbed) in the cells layer, reaches the surface.
"""

from __future__ import annotations

import math
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from scipy import ndimage

from .._result import AnalysisResult
from ..density import DensitySurface
from ..lattice import (
    ALLOWED_CELL_KM,
    LATTICE_CRS,
    cell_ids_of,
    decode_ids,
    lattice_cells,
    parent_ids,
    snap_cell_km,
)
from ._records import coded
from .perturb import Perturber

__all__ = ["DENSITY_BREAKS", "DENSITY_CLASSES", "classed_density", "lattice_counts"]

#: Class breaks of the public density, in incidents per 100 km² (fixed, not data-driven).
DENSITY_BREAKS: tuple[float, ...] = (1.0, 4.0, 16.0, 64.0)
#: Labels of the classes 1 to 5.
DENSITY_CLASSES: tuple[str, ...] = ("< 1", "1–4", "4–16", "16–64", "≥ 64")


def classed_density(cells: gpd.GeoDataFrame, *, k: int) -> DensitySurface | None:
    """The public density surface from the public lattice cells (see the module docstring).

    Parameters
    ----------
    cells : GeoDataFrame
        Public cells with ``lattice_id`` and the perturbed ``count`` (null below ``k``).
    k : int
        The threshold of the view.

    Returns
    -------
    DensitySurface or None
        ``values`` are classes 1–5 (float, NaN where masked), ``units="class"``,
        ``cell_km`` and ``bandwidth_km`` the coarse cell; None without lattice cells.

    Examples
    --------
    >>> import pandas as pd
    >>> from borderwatch.lattice import cell_polygons
    >>> ids = [10500010500010 + i for i in range(6)]
    >>> cells = gpd.GeoDataFrame({"lattice_id": ids, "count": pd.array([50, 9, None, None, 7, None], dtype="Int64")},
    ...                          geometry=cell_polygons(ids).to_crs(4326).values, crs=4326)
    >>> surf = classed_density(cells, k=5)
    >>> surf.cell_km, surf.units, [float(v) for v in np.unique(surf.values[np.isfinite(surf.values)])]
    (20.0, 'class', [1.0, 2.0])
    """
    if cells is None or "lattice_id" not in cells.columns or not len(cells):
        return None
    ids = cells["lattice_id"].to_numpy(dtype=np.int64)
    km = int(decode_ids(ids[:1])["cell_km"].iloc[0])
    coarse = next((s for s in ALLOWED_CELL_KM if s >= 2 * km), km)
    counts = cells["count"].astype("Float64").fillna(0).to_numpy(dtype=float)
    d = decode_ids(parent_ids(ids, coarse))
    rows, cols = d["row"].to_numpy(), d["col"].to_numpy()
    r0, c0 = int(rows.min()) - 2, int(cols.min()) - 2
    nr, nc = int(rows.max()) - r0 + 3, int(cols.max()) - c0 + 3
    grid = np.zeros((nr, nc))
    np.add.at(grid, (rows - r0, cols - c0), counts)
    inside = np.zeros((nr, nc), dtype=bool)
    inside[rows - r0, cols - c0] = True
    smooth = ndimage.gaussian_filter(grid, sigma=1.0, mode="constant", truncate=2.0)
    support = ndimage.convolve(grid, np.ones((3, 3)), mode="constant")
    area100 = coarse * coarse / 100.0
    value = (1 + np.searchsorted(DENSITY_BREAKS, smooth / area100, side="right")).astype(float)
    value[(support < k) | ~inside] = np.nan
    # north-up raster: row 0 is the northern edge
    s = coarse * 1000.0
    top = (r0 + nr) * s
    transform = Affine(s, 0.0, c0 * s, 0.0, -s, top)
    return DensitySurface(
        values=value[::-1].copy(),
        transform=transform,
        crs=LATTICE_CRS,
        bandwidth_km=float(coarse),
        cell_km=float(coarse),
        n_points=int(round(counts.sum())),
        support=support[::-1].round().astype(np.int64),
        support_radius_km=round(coarse * (1.5 * math.sqrt(2) + math.sqrt(0.5)), 3),
        units="class",
        masked_below=int(k),
    )


def _lattice_records(inc: pd.DataFrame, *, cell_km: int) -> pd.DataFrame:
    """The lattice cell of each incident."""
    return pd.DataFrame({"cell": cell_ids_of(inc, cell_km)})


def lattice_counts(
    result: AnalysisResult, *, cell_km: float, perturber: Perturber
) -> gpd.GeoDataFrame:
    """The incidents of ``result`` counted on the lattice (size ``cell_km`` snapped), perturbed.

    Returns the lattice cells over ``result.units`` with ``lattice_id`` and the
    published ``count`` (null below ``k``), as the public cells layer would show them.
    """
    km = snap_cell_km(cell_km)
    cells = lattice_cells(result.units, cell_km=km).cells
    inc = result.incidents
    ids = cell_ids_of(inc, km) if inc is not None else np.zeros(0, dtype=np.int64)
    lid = cells["lattice_id"].to_numpy()
    pos = np.searchsorted(np.sort(lid), ids)
    order = np.argsort(lid)
    found = (pos < len(lid)) & (np.sort(lid)[np.minimum(pos, len(lid) - 1)] == ids)
    where = np.where(found, order[np.minimum(pos, len(lid) - 1)], -1)
    true = np.bincount(where[where >= 0], minlength=len(cells))
    rows = pd.DataFrame({"cell": lid})
    records = partial(_lattice_records, cell_km=km)
    if perturber.records is not None:  # every incident, wherever the records are
        got = perturber.records.tally(coded(records, rows), len(rows), perturber.key)
        true = true if got is None else got[0]
    pub = perturber.publish(true, rows=rows, records=records, label="cells")
    out = cells[["lattice_id", cells.geometry.name]].copy()
    out["count"] = pd.array(
        np.where(np.isfinite(pub), pub, 0).round().astype(np.int64), dtype="Int64"
    )
    out.loc[~np.isfinite(pub), "count"] = pd.NA
    return out
