"""The cells of an internal result counted again on the fixed global lattice.

``analyze(view="public")`` runs its cell statistics on the lattice from the
start. A public view made afterwards from an internal result
(``public_view(analyze(..., view="internal"))``) would otherwise publish the
internal grid: hexagons (or squares) of a size chosen from the data, in the
study's own projection, which do not nest with the cells of any other release,
so intersecting the cells of several releases narrows a lone incident
(docs/privacy.md, "Grid intersection"). :func:`on_lattice` counts the
incidents again on the lattice and runs the same cell statistics there (Gi*,
local Moran, emerging trends, with the result's settings), as the public
pipeline does.
"""

from __future__ import annotations

import warnings
from typing import Any

from .._errors import BorderwatchWarning
from .._geom import to_crs_valid
from .._result import AnalysisResult
from .._warnings import withheld

__all__ = ["on_lattice"]

_WGS84 = "EPSG:4326"


def on_lattice(result: AnalysisResult, *, cell_km: float | None = None) -> AnalysisResult:
    """``result`` with its ``cells`` on the fixed lattice (a new result).

    Parameters
    ----------
    result : AnalysisResult
        Usually an internal analysis. Returned as it is when it has no cells or
        its cells already carry a ``lattice_id``.
    cell_km : float, optional
        Cell size, snapped to an allowed lattice size
        (:func:`borderwatch.lattice.snap_cell_km`). Default: the analysis's
        ``cell_km`` setting, else the size :func:`borderwatch.grid.default_cell_km`
        chooses for squares, as ``analyze(view="public")`` does.

    Returns
    -------
    AnalysisResult
        The cells of :func:`borderwatch.hotspots.cell_hotspots` on the lattice
        (``lattice_id`` second column, EPSG:4326) and the summary's ``cell_km``,
        ``grid``, ``islands`` and ``n_hotspot_cells`` for them. Without
        ``incidents`` the cells cannot be counted again: they are dropped (a
        :class:`~borderwatch.BorderwatchWarning` says so).
    """
    cells = result.cells
    if cells is None or "lattice_id" in cells.columns:
        return result
    if result.incidents is None or result.units is None:
        msg = (
            "the cells of this result are not on the fixed lattice and it holds no incidents "
            "to count them again: the public view leaves the cells out. Hint: make the public "
            "view from the internal result, or run analyze(view='public')."
        )
        warnings.warn(msg, BorderwatchWarning, stacklevel=3)
        return result.replace(cells=None)
    found = _lattice_hotspots(result, cell_km=cell_km)
    lattice = to_crs_valid(found.cells, _WGS84)
    params = found.summary()
    summary = dict(result.summary or {})
    summary.update(
        cell_km=params["cell_km"],
        grid="square",
        islands=params["islands"],
        n_hotspot_cells=int((lattice["hotspot_kind"] == "hot").sum()),
    )
    return result.replace(cells=lattice, summary=summary)


def _lattice_hotspots(result: AnalysisResult, *, cell_km: float | None) -> Any:
    """The cell statistics of ``result.incidents`` on the lattice, with its settings."""
    from ..grid import default_cell_km
    from ..hotspots import cell_hotspots
    from ..lattice import LATTICE_CRS, snap_cell_km, with_lattice_ids
    from ..settings import Settings

    s = result.settings if isinstance(result.settings, Settings) else Settings()
    inc, units = result.incidents, result.units
    km = cell_km if cell_km is not None else s.cell_km
    if km is None:
        km = default_cell_km(inc, units=units, crs=result.crs, shape="square")
    size = snap_cell_km(km)
    with withheld():  # said once by the analysis
        found = cell_hotspots(
            inc,
            units,
            cell_km=size,
            alpha=s.alpha,
            shape="square",
            weights=s.weights,
            k=s.n_neighbors,
            permutations=s.permutations,
            seed=s.seed,
            crs=LATTICE_CRS,
        )
    from dataclasses import replace

    return replace(found, cells=with_lattice_ids(found.cells, size))
