"""Steps 3 to 8 of :func:`borderwatch.analyze`, the independent ones side by side.

The spatial scan (step 5) is the longest step, and needs only the joined incidents
and the grid; so does the density surface (step 7). Where
:class:`~borderwatch._beside.Beside` forks (two free cores), the scan runs in a child
process from the moment the grid is known, while this process computes the hotspot
statistics, the unit Gi*, the hotspot regions (step 4), the point clusters and the
evaluation (steps 6 and 8). The density surface goes to whichever process is free
first: the child after the scan, or this process after the evaluation (they claim it
through a shared flag), so that neither waits for the other longer than it must. The
child runs numba's parallel kernels, so it is forked only while numba's threads have
not started in this process (:func:`borderwatch._beside.numba_threads_started`: their
OpenMP pool does not survive a fork). Otherwise the scan runs here and steps 6 to 8 in
a child; without a fork everything runs here, in order.

Before that, the join's border distances are still being measured in a thread
(:func:`borderwatch.join.join_later`), and from the moment the incidents are joined a
second thread builds the grid and finds each incident's cell (:func:`_grid_and_cells`:
mostly shapely and numpy, which release the GIL) while the join tabulates its counts;
the grid's warnings are withheld there and said after the step's message, where they
were said when the grid came after the counts.

The values are the same whichever way the steps run (every step draws from its own
seeded random stream), and so are the progress messages and the warnings, in the
same order: a step run beside says nothing, and its messages and warnings are said
when it is waited for.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from ._beside import Beside, numba_threads_started, should_fork
from ._geom import gc_settle
from ._warnings import resay, withheld

if TYPE_CHECKING:
    import geopandas as gpd
    from pyproj import CRS

    from ._lattice import Grid
    from .pipeline import Found, Hotspots, Inputs, Joined, Judged, Progress, Space, _Done
    from .settings import Settings

__all__ = ["border_and_locations", "statistics"]


def statistics(
    inputs: Inputs, space: Space, s: Settings, say: Progress, *, points: bool = True
) -> _Done:
    """Steps 3 to 8 (without points: no point clusters and no evaluation)."""
    from .pipeline import _Done, _join, _no_clusters

    rest = (inputs.units, space, s)
    early: list[Future[tuple[tuple[Grid, Any], list[Any]]]] = []

    def cut(incidents: gpd.GeoDataFrame) -> None:  # the grid while the counts are tabulated
        pool = ThreadPoolExecutor(1)
        early.append(pool.submit(_grid_and_cells, incidents, *rest))
        pool.shutdown(wait=False)  # the thread ends with its one task

    joined, measured = _join(inputs, space, s, say, then=cut)
    forked = should_fork()
    if early and forked and s.scan_replicates > 0:
        _compiled_modules()  # while the grid is cut
    say("hotspot statistics (Gi*, local Moran, emerging hotspots)")
    grid, said = early[0].result() if early else _grid_and_cells(joined.incidents, *rest)
    for one in said:  # the grid's warnings, where they were said before it ran beside
        resay(one)
    measured()  # the incidents' border_km, before any step reads it
    gc_settle()  # the joined points: out of the collector's walks, here and in the child
    if forked and s.scan_replicates > 0 and not numba_threads_started():
        hot, scanned, found, surface, judged = _scan_beside(
            joined, inputs.units, space, s, say, grid, points
        )
    else:
        hot, scanned, found, surface, judged = _scan_here(
            joined, inputs.units, space, s, say, grid, points, forked
        )
    return _Done(joined, hot, scanned, _no_clusters() if found is None else found, surface, judged)


def border_and_locations(
    units: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, crs: CRS
) -> gpd.GeoDataFrame:
    """The international border lines of ``units`` in ``crs``
    (:func:`borderwatch.borders.border_lines`), found in a thread while this one finds the
    incidents' distinct locations for the join (:func:`borderwatch.join.locate_ahead`):
    both are mostly shapely, which releases the GIL. The border's warnings are withheld
    there and said here, after it."""
    from .borders import border_lines
    from .join import locate_ahead

    def lines() -> tuple[gpd.GeoDataFrame, list[Any]]:
        with withheld() as said:
            return border_lines(units, crs=crs), list(said)

    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(lines)
        try:
            locate_ahead(incidents.geometry, crs)
        finally:
            border, said = found.result()  # waited for even when this thread failed
    for one in said:
        resay(one)
    return border


def _compiled_modules() -> None:
    """Import numba and the modules of its kernels, and set up its compiler
    (:func:`borderwatch.scan.prepare_engine`), here, once, before the fork: both the
    scan's child and this process (the point clusters' DBSCAN) would each do it after it
    (about a second of CPU each). No kernel is loaded and no thread started
    (:func:`numba_threads_started` stays false); it runs in the thread that forks, and
    here it costs little: the border distances' thread still runs when the grid's is
    done."""
    from . import _dbscan_direct  # noqa: F401
    from .scan import prepare_engine

    prepare_engine()


def _grid_and_cells(
    incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, space: Space, s: Settings
) -> tuple[tuple[Grid, Any], list[Any]]:
    """The hotspot grid and where its size came from, having found each incident's cell
    (remembered for the steps that follow); and the warnings said meanwhile, withheld."""
    from .grid import point_cells
    from .pipeline import _hotspot_grid

    with withheld() as said:
        grid = _hotspot_grid(incidents, units, space, s)
        point_cells(grid[0], incidents.geometry)
    return grid, list(said)


def _scan_beside(
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    s: Settings,
    say: Progress,
    grid: tuple[Grid, Any],
    points: bool,
) -> tuple[Hotspots, Any, Found | None, Any, Judged]:
    """The scan and the density surface in a child from now on; steps 4, 6 and 8 here
    meanwhile."""
    from .pipeline import (
        _LATER_STEPS,
        Judged,
        _clusters,
        _evaluate,
        _hotspots,
        _quiet,
        scan_message,
    )

    claim = mp.get_context("fork").Value("b", 0)  # who computes the density: 1 child, 2 here
    job = Beside(
        partial(_scan_and_density, joined, units, space, grid[0], s, claim),
        what="the spatial scan statistic and the density surface",
        fork=True,
    )
    try:
        hot = _hotspots(joined, units, space, s, say, grid)
        say(scan_message(s))
        args = (joined, units, space, hot, s)
        with withheld() as clustered:  # said after the scan's, as in the order of the steps
            found = _clusters(*args, _quiet) if points else None
        with withheld() as evaluated:
            judged = _evaluate(*args) if points else Judged(pai=None, evaluation=None)
        mine = _density_here(joined, units, space, grid[0], s, claim)
        scanned, surface, smoothed = job.wait()  # says the scan's warnings
    except BaseException:
        job.cancel()
        raise
    if mine is not None:
        surface, smoothed = mine
    for one in (*clustered, *smoothed, *evaluated):
        resay(one)
    for step, run in zip(_LATER_STEPS, (points, True, points), strict=True):
        if run:
            say(step)
    return hot, scanned, found, surface, judged


def _claimed(claim: Any, who: int) -> bool:
    """Whether ``who`` (1: the child, 2: this process) is the first to claim the density."""
    with claim.get_lock():
        if claim.value == 0:
            claim.value = who
        return bool(claim.value == who)


def _scan_and_density(
    joined: Joined, units: gpd.GeoDataFrame, space: Space, grid: Grid, s: Settings, claim: Any
) -> tuple[Any, Any, list[Any]]:
    """Steps 5 and 7 (in the child): the scan, then the density surface and its warnings
    (said apart from the scan's: they come after the point clusters') unless this process
    claimed it first (then None and no warnings)."""
    from .pipeline import _quiet, _scan

    scanned = _scan(joined, space, grid, s, _quiet)
    surface, smoothed = _density_here(joined, units, space, grid, s, claim, who=1) or (None, [])
    return scanned, surface, smoothed


def _density_here(
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    grid: Grid,
    s: Settings,
    claim: Any,
    *,
    who: int = 2,
) -> tuple[Any, list[Any]] | None:
    """Step 7 and its warnings, if ``who`` claims it first (else None)."""
    from .pipeline import _density, _quiet

    if not _claimed(claim, who):
        return None
    with withheld() as smoothed:
        surface = _density(joined, units, space, grid.cell_km, s, _quiet)
    return surface, list(smoothed)


def _scan_here(
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    s: Settings,
    say: Progress,
    grid: tuple[Grid, Any],
    points: bool,
    forked: bool,
) -> tuple[Hotspots, Any, Found | None, Any, Judged]:
    """The scan here; steps 6 to 8 (but HDBSCAN's clusters: OpenMP) in a child meanwhile."""
    from .pipeline import _LATER_STEPS, _clusters, _hotspots, _quiet, _scan

    hot = _hotspots(joined, units, space, s, say, grid)
    aside = points and s.cluster_method != "hdbscan"
    args = (joined, units, space, hot, s)
    later = Beside(
        partial(_later, *args, _quiet if forked else say, points, aside),
        what="the point clusters, the density surface and the evaluation",
        fork=forked,
    )
    try:
        scanned = _scan(joined, space, grid[0], s, say)
        found = _clusters(*args, say) if points and not aside else None
    except BaseException:
        later.cancel()
        raise
    for step, said in zip(_LATER_STEPS, (aside, True, points), strict=True):
        if forked and said:
            say(step)
    got, surface, judged = later.wait()
    return hot, scanned, found if found is not None else got, surface, judged


def _later(
    joined: Joined,
    units: gpd.GeoDataFrame,
    space: Space,
    hot: Hotspots,
    s: Settings,
    say: Progress,
    points: bool,
    clusters: bool,
) -> tuple[Found | None, Any, Judged]:
    """Steps 6 to 8: the point clusters (if ``clusters``), the density surface and (with
    points) the evaluation."""
    from .pipeline import _LATER_STEPS, Judged, _clusters, _density, _evaluate

    found = _clusters(joined, units, space, hot, s, say) if clusters else None
    surface = _density(joined, units, space, float(hot.params["cell_km"]), s, say)
    judged = Judged(pai=None, evaluation=None)
    if points:
        say(_LATER_STEPS[2])
        judged = _evaluate(joined, units, space, hot, s)
    return found, surface, judged
