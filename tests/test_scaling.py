"""No step's cost grows faster than linearly in the incidents (counted, not timed).

The functions through which incidents pass are wrapped with counters of the rows
they receive: the join, cell lookups (hotspots, emerging trends, regions, scan,
evaluation), stacks, border distances, the metric points of the density and the
clusters, DBSCAN's labelling, its eps-square components and the point pairs their exact
test compares, the candidate pairs of its compiled engine for few points (observed and
simulated maps), the lattice arithmetic of the cell look-ups,
the exact border distances' segment tests,
the cheap bound of the simulated maps, the points drawn for the simulated maps, the
step entry points (scan, clusters, density, evaluation), and the random numbers
the scan's Monte Carlo draws. The whole pipeline runs, with its Monte Carlo, on two
sizes, and the work per incident must not grow.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections import Counter

import numpy as np
import pytest

import borderwatch._beside as beside_mod
import borderwatch._cellindex as cellindex_mod
import borderwatch._clustertest as clustertest_mod
import borderwatch._countries as countries_mod
import borderwatch._dask as dask_mod
import borderwatch._dbscan as dbscan_mod
import borderwatch._dbscan_direct as direct_mod
import borderwatch._epsgrid as epsgrid_mod
import borderwatch._inputs as inputs_mod
import borderwatch._scan as scan_engine
import borderwatch._scan_sparse as scan_sparse
import borderwatch._segdist as segdist_mod
import borderwatch._stacks as stacks_mod
import borderwatch.borders as borders_mod
import borderwatch.clusters as clusters_mod
import borderwatch.emerging as emerging_mod
import borderwatch.evaluate as evaluate_mod
import borderwatch.grid as grid_mod
import borderwatch.hotspots as hotspots_mod
import borderwatch.join as join_mod
import borderwatch.pipeline as pipeline_mod
import borderwatch.regions as regions_mod
import borderwatch.scan as scan_mod
from borderwatch.datasets import demo_incidents, demo_units
from borderwatch.pipeline import analyze

pytestmark = pytest.mark.slow

density_mod = importlib.import_module("borderwatch.density")  # borderwatch.density is the function

#: (module, function name, modules that imported it by name)
_COUNTED = [
    (grid_mod, "point_cells", [grid_mod, scan_mod, hotspots_mod, emerging_mod, evaluate_mod]),
    (stacks_mod, "stacks", [stacks_mod, scan_mod, clusters_mod, regions_mod]),
    (countries_mod, "line_distance", [countries_mod]),
    (segdist_mod, "polyline_distance", [segdist_mod, borders_mod, countries_mod]),
    (cellindex_mod, "lattice_cells", [cellindex_mod, grid_mod]),
    (join_mod, "join_units", [join_mod, pipeline_mod, dask_mod]),
    (join_mod, "join_later", [join_mod, pipeline_mod]),  # the pipeline's join
    (dbscan_mod, "dbscan_labels", [dbscan_mod, clusters_mod]),
    (dbscan_mod, "_delaunay_edges", [dbscan_mod]),
    (epsgrid_mod, "core_components", [epsgrid_mod, dbscan_mod]),
    (inputs_mod, "metric_points", [inputs_mod, density_mod, clusters_mod]),
    (clustertest_mod, "dense_cluster_bound", [clustertest_mod, clusters_mod]),
    (clustertest_mod, "uniform_points", [clustertest_mod]),
    (scan_mod, "spatial_scan", [scan_mod]),
    (clusters_mod, "find_clusters", [clusters_mod]),
    (density_mod, "density", [density_mod]),
    (evaluate_mod, "evaluate", [evaluate_mod]),
]
#: Where the first argument is not the incidents: the position of the rows counted.
_ARG = {
    "point_cells": 1,
    "spatial_scan": 1,
    "uniform_points": 1,
    "lattice_cells": 1,
}


class _CountingStream:
    """A random generator that counts the numbers it draws (the scan's Monte Carlo)."""

    def __init__(self, rng, seen: Counter) -> None:
        self.rng, self.seen = rng, seen

    def random(self, size):
        self.seen["scan draws"] += int(np.prod(size))
        return self.rng.random(size)

    def multinomial(self, n, pvals, size):
        self.seen["scan draws"] += int(size) * len(pvals)
        return self.rng.multinomial(n, pvals, size=size)


def _rows(value) -> int:
    try:
        return len(value)
    except TypeError:
        return 1


def _work(monkeypatch, n_background: int, units) -> tuple[Counter, int]:
    """Rows received by each counted function in one pipeline run, and the incidents."""
    seen: Counter = Counter()
    # every step in this process, where the counters are (the pipeline forks steps 6-8)
    monkeypatch.setattr(beside_mod, "can_fork", lambda: False)
    for owner, name, users in _COUNTED:
        original = getattr(owner, name)

        def counted(*args, _f=original, _name=name, **kwargs):
            pos = _ARG.get(_name, 0)
            seen[_name] += _rows(args[pos]) if _name != "uniform_points" else int(args[pos])
            out = _f(*args, **kwargs)
            if _name == "_delaunay_edges":
                seen["neighbour pairs"] += len(out[0])
            return out

        functools.update_wrapper(counted, original)
        for mod in users:
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, counted)
    draws_init = scan_engine.ReplicateDraws.__init__

    def counting_init(self, *args, **kwargs):
        draws_init(self, *args, **kwargs)
        self.streams = [_CountingStream(r, seen) for r in self.streams]

    monkeypatch.setattr(scan_engine.ReplicateDraws, "__init__", counting_init)
    within = epsgrid_mod._Members.within

    def counting_within(self, pts, s, t, eps2):
        seen["eps-square pairs"] += int((self.count[s] * self.count[t]).sum())
        return within(self, pts, s, t, eps2)

    monkeypatch.setattr(epsgrid_mod._Members, "within", counting_within)
    kernel = direct_mod._kernel

    def counting_kernel(xy, eps, side, min_samples, budget):
        out = kernel(xy, eps, side, min_samples, budget)
        seen["direct pairs"] += min(int(out[2]), budget)  # it stops once over the budget
        seen["direct points"] += len(xy)
        seen["direct calls"] += 1
        return out

    monkeypatch.setattr(direct_mod, "_kernel", counting_kernel)
    distances = segdist_mod._distances

    def counting_distances(xy, seg):
        out = distances(xy, seg)
        seen["border segment tests"] += int(out[1][0] + out[1][1])  # squares' and points'
        return out

    monkeypatch.setattr(segdist_mod, "_distances", counting_distances)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inc = demo_incidents(n_background=n_background, units=units)
        analyze(
            units,
            inc,
            view="internal",
            permutations=0,
            scan_replicates=9,
            cluster_replicates=9,
            clusters_all=True,  # every simulated map runs (no early stop)
            cluster_method="dbscan",
        )
    monkeypatch.undo()
    return seen, len(inc)


def test_work_per_incident_does_not_grow(monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = demo_units()
    small, n_small = _work(monkeypatch, 2_000, units)
    large, n_large = _work(monkeypatch, 8_000, units)
    assert n_large > 2.5 * n_small
    # the triangulated core points and their Delaunay pairs: a share of DBSCAN's points that
    # grows with the density (more core points) up to all of them; linear in those points
    core = {"_delaunay_edges", "neighbour pairs", "core_components", "eps-square pairs"}
    core |= {"direct pairs", "direct points", "direct calls"}
    for counts in (small, large):
        assert counts["core_components"] <= counts["dbscan_labels"]
        assert (
            counts["_delaunay_edges"] <= counts["dbscan_labels"]
        )  # only where squares cannot be numbered
        assert counts["neighbour pairs"] <= 6 * counts["_delaunay_edges"]  # planar: < 3 edges/point
        # the exact test between eps-squares not joined through touching ones: a few point
        # pairs per labelled point (its share grows with the density, like the core points)
        assert counts["eps-square pairs"] <= 2 * counts["dbscan_labels"]
        # the compiled pair-by-pair engine (few points): candidate pairs within its budget,
        # a bounded number per point (it hands denser inputs to the eps-squares)
        assert 0 < counts["direct points"] <= counts["dbscan_labels"]
        budget = 64 * counts["direct points"] + 1_000_000 * counts["direct calls"]
        assert counts["direct pairs"] <= budget
        # every point went through one engine's exact pair tests
        assert counts["eps-square pairs"] + counts["direct pairs"] > 0
    for name in set(small) - core:
        per_small = small[name] / n_small
        per_large = large[name] / n_large
        # linear work: the same per incident (10 % slack for fixed costs and clustering)
        assert per_large <= 1.1 * per_small + 1, (name, per_small, per_large)
    steps = {"spatial_scan", "find_clusters", "density", "evaluate", "join_later"}
    inner = {"point_cells", "stacks", "dbscan_labels", "metric_points", "scan draws"}
    inner |= {"polyline_distance", "border segment tests"}  # the exact border distances
    assert steps | inner | {"uniform_points"} <= set(small), set(small)
    # the simulated maps of the clusters' test were clustered (9 maps of every incident)
    assert small["dbscan_labels"] >= 9 * 0.9 * n_small
    assert np.isfinite(list(small.values())).all()


def test_scan_monte_carlo_work_of_few_incidents_grows_with_them(monkeypatch):
    """The scan's sparse Monte Carlo path (few incidents per replicate): its work is the
    centres times each replicate's cells with a count, so it grows linearly in the
    incidents, and for a few incidents it is far below the windows times the replicates
    that the walk of every window costs (a fixed cost that would dwarf a small input)."""
    gx, gy = np.meshgrid((np.arange(60) + 0.5) * 1000.0, (np.arange(50) + 0.5) * 1000.0)
    lat = scan_engine.lattice_of(gx.ravel(), gy.ravel(), spacing_m=1000.0, shape="square")
    pop = np.random.default_rng(0).uniform(1, 2, lat.ci.size)
    qmax = scan_engine.window_limits(lat, pop, max_share=0.5)
    reps = 99
    work = {}
    for total in (3, 12):
        seen: Counter = Counter()
        nonzero_columns = scan_sparse.nonzero_columns

        def counted(cnt, _f=nonzero_columns, _seen=seen):
            out = _f(cnt)
            _seen["centre x cell with a count"] += cnt.shape[0] * len(out[1])
            return out

        monkeypatch.setattr(scan_sparse, "nonzero_columns", counted)
        sizes = np.ones(total, dtype=np.int64)
        got = scan_engine.null_maxima(lat, pop, qmax, sizes, replicates=reps, seed=1, min_cases=2)
        monkeypatch.undo()
        assert len(got) == reps and (got > 0).any()
        work[total] = seen["centre x cell with a count"]
    windows = int(qmax.sum()) * reps  # the walk's offsets x replicates
    assert 0 < work[3] < windows / 50  # the sparse path was taken and is far cheaper
    per_small, per_large = work[3] / 3, work[12] / 12
    assert 0.8 * per_small <= per_large <= 1.1 * per_small, (per_small, per_large)  # linear
