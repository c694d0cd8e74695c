"""No step's cost grows faster than linearly in the incidents (counted, not timed).

The functions through which incidents pass (reading, the join, cell lookups,
stacks, border distances, DBSCAN's labelling and its neighbour pairs, the
density binning) are wrapped with counters of the rows they receive; the whole
pipeline runs on two sizes, and the work per incident must not grow.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter

import numpy as np
import pytest

import borderwatch._countries as countries_mod
import borderwatch._dask as dask_mod
import borderwatch._dbscan as dbscan_mod
import borderwatch._stacks as stacks_mod
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

#: (module, function name, modules that imported it by name)
_COUNTED = [
    (grid_mod, "point_cells", [grid_mod, scan_mod, hotspots_mod, emerging_mod, evaluate_mod]),
    (stacks_mod, "stacks", [stacks_mod, scan_mod, clusters_mod, regions_mod]),
    (countries_mod, "line_distance", [countries_mod]),
    (join_mod, "join_units", [join_mod, pipeline_mod, dask_mod]),
    (dbscan_mod, "dbscan_labels", [dbscan_mod, clusters_mod]),
    (dbscan_mod, "_delaunay_edges", [dbscan_mod]),
]


def _rows(value) -> int:
    try:
        return len(value)
    except TypeError:
        return 1


def _work(monkeypatch, n_background: int, units) -> tuple[Counter, int]:
    """Rows received by each counted function in one pipeline run, and the incidents."""
    seen: Counter = Counter()
    for owner, name, users in _COUNTED:
        original = getattr(owner, name)

        def counted(*args, _f=original, _name=name, **kwargs):
            seen[_name] += _rows(args[1] if _name == "point_cells" else args[0])
            out = _f(*args, **kwargs)
            if _name == "_delaunay_edges":
                seen["neighbour pairs"] += len(out[0])
            return out

        functools.update_wrapper(counted, original)
        for mod in users:
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inc = demo_incidents(n_background=n_background, units=units)
        analyze(
            units,
            inc,
            view="internal",
            permutations=0,
            scan_replicates=0,
            cluster_replicates=0,
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
    for name in small:
        per_small = small[name] / n_small
        per_large = large[name] / n_large
        # linear work: the same per incident (10 % slack for fixed costs and clustering)
        assert per_large <= 1.1 * per_small + 1, (name, per_small, per_large)
    assert {"point_cells", "stacks", "join_units", "dbscan_labels"} <= set(small)
    assert np.isfinite(list(small.values())).all()
