"""Steps run in a forked child (borderwatch._beside): write_outputs draws the printed map
there; analyze runs the scan (and the density surface) there from the moment the grid is
known, or, once numba's threads have started in the process, the point clusters, the
density surface and the evaluation. The same files and values as in the process, the
same warnings in the same order, errors raised, nothing half-written."""

from __future__ import annotations

import importlib
import os
import pickle
import re
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import borderwatch._beside as beside
from borderwatch import BorderwatchWarning, DataError, analyze, write_outputs
from borderwatch._beside import Beside

pytestmark = pytest.mark.skipif(not beside.can_fork(), reason="forks only on Linux with 2 cores")


@pytest.fixture(autouse=True)
def _a_free_core(monkeypatch):
    """Fork whatever the load (the suite keeps both cores busy, and then nothing forks)."""
    monkeypatch.setattr(beside, "_free_core", lambda: True)


def test_nothing_forks_when_every_core_is_busy(monkeypatch):
    monkeypatch.undo()  # the real load check
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "getloadavg", lambda: (float(cores), 0.0, 0.0))
    assert not beside.should_fork()
    assert not Beside(lambda: 1, what="a step").forked
    monkeypatch.setattr(os, "getloadavg", lambda: (cores - 0.5, 9.0, 9.0))
    assert beside.should_fork()  # some core's time free over the last minute


def _pdf_without_date(path) -> bytes:
    return re.sub(rb"/CreationDate \(D:\d+Z\)", b"", path.read_bytes())


def test_forked_printed_map_equals_the_one_drawn_here(demo_public, tmp_path, monkeypatch):
    forked = write_outputs(demo_public, tmp_path / "forked")
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    here = write_outputs(demo_public, tmp_path / "here")
    assert sorted(p.name for p in forked.iterdir()) == sorted(p.name for p in here.iterdir())
    assert (forked / "map.png").read_bytes() == (here / "map.png").read_bytes()
    assert _pdf_without_date(forked / "map.pdf") == _pdf_without_date(here / "map.pdf")
    for name in ("summary.json", "units.csv", "counts.csv", "priorities.csv"):
        assert (forked / name).read_bytes() == (here / name).read_bytes(), name


def _leftovers(tmp_path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def test_an_error_in_the_child_is_raised_and_nothing_is_written(demo_public, tmp_path, monkeypatch):
    def fail(*_, **__):
        msg = "the printer ran out of ink"
        raise DataError(msg)

    monkeypatch.setattr("borderwatch.maps.static.save_prepared", fail)
    with pytest.raises(DataError, match="ran out of ink") as info:
        write_outputs(demo_public, tmp_path / "out")
    assert any("child process" in note for note in info.value.__notes__)
    assert _leftovers(tmp_path) == []  # no output folder, no temporary folder


def test_a_child_that_dies_is_an_error(demo_public, tmp_path, monkeypatch):
    monkeypatch.setattr("borderwatch.maps.static.save_prepared", lambda *_, **__: os._exit(3))
    with pytest.raises(RuntimeError, match=r"map\.png and map\.pdf stopped .* exit code 3"):
        write_outputs(demo_public, tmp_path / "out")
    assert _leftovers(tmp_path) == []


def test_the_child_is_stopped_when_the_parent_fails(demo_public, tmp_path, monkeypatch):
    pid_file = tmp_path / "child.pid"

    def slow(*_, **__):
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)

    def broken(*_, **__):
        while not pid_file.exists():  # the child has started
            time.sleep(0.01)
        msg = "the web map failed"
        raise DataError(msg)

    monkeypatch.setattr("borderwatch.maps.static.save_prepared", slow)
    monkeypatch.setattr("borderwatch.maps.save_map", broken)
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(DataError, match="web map failed"):
        write_outputs(demo_public, out / "out")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)
    assert _leftovers(out) == []


def test_beside_runs_here_when_it_cannot_fork(monkeypatch):
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    seen = []
    job = Beside(lambda: seen.append(os.getpid()), what="a step")
    assert not job.forked and seen == []  # run by wait, in this process
    job.wait()
    assert seen == [os.getpid()]


def _refuse() -> None:
    msg = "this exception cannot be rebuilt"
    raise TypeError(msg)


class Odd(Exception):
    """Pickles, but does not unpickle (its rebuilding function refuses)."""

    def __reduce__(self):
        return (_refuse, ())


def test_an_exception_that_does_not_unpickle_is_still_an_error():
    def fail():
        raise Odd("xy")

    job = Beside(fail, what="an odd step")
    assert job.forked
    with pytest.raises(RuntimeError, match="an odd step failed in a child process"):
        job.wait()


def _analysis(demo_data, **options):
    units, incidents, meetings = demo_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return analyze(
            units, incidents, meetings, view="internal", permutations=0, scan_replicates=19,
            cluster_replicates=0, static=False, **options,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("skipped", "method"),
    [(False, "dbscan"), (True, "dbscan"), (False, "hdbscan")],
    ids=["demo", "evaluation-skipped", "hdbscan-here"],
)
def test_forked_steps_equal_the_ones_made_here(demo_data, monkeypatch, skipped, method):
    """Point clusters (but HDBSCAN's), density surface and evaluation made in the child."""
    if skipped:  # the evaluation fails on the data: analyze warns and goes on

        def no_split(*_, **__):
            msg = "evaluate: fewer than two dated incidents."
            raise DataError(msg)

        monkeypatch.setattr("borderwatch.evaluate.evaluate", no_split)
    forked = _analysis(demo_data, cluster_method=method)
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    here = _analysis(demo_data, cluster_method=method)
    assert forked.summary == here.summary  # evaluation, density, warnings (in their order)
    np.testing.assert_array_equal(forked.density.values, here.density.values)
    np.testing.assert_array_equal(forked.density.support, here.density.support)
    assert forked.density.transform == here.density.transform
    pd.testing.assert_frame_equal(forked.clusters, here.clusters)
    assert len(forked.clusters) > 0
    if skipped:  # the evaluation's warning, raised in the child, is in the summary
        assert any("evaluation skipped" in w for w in forked.summary["warnings"])
    else:
        assert forked.summary["evaluation"] and forked.summary["pai"] is not None


def test_an_error_in_the_forked_steps_is_raised(demo_data, monkeypatch):
    def fail(*_, **__):
        msg = "no density today"
        raise DataError(msg)

    module = importlib.import_module("borderwatch.density")  # the module, not the function
    monkeypatch.setattr(module, "density", fail)
    with pytest.raises(DataError, match="no density today") as info:
        _analysis(demo_data)
    assert any("density surface and the evaluation" in n for n in info.value.__notes__)


_SCAN_BESIDE = """
import os, pickle, sys, warnings
import numpy as np
import borderwatch._beside as beside, borderwatch._overlap as overlap
from borderwatch import BorderwatchWarning, analyze
from borderwatch.datasets import demo_incidents, demo_units

beside._free_core = lambda: True
ran = []
real = overlap._scan_beside
overlap._scan_beside = lambda *a, **k: ran.append(os.getpid()) or real(*a, **k)
scanned_in = []
import borderwatch.pipeline as pipeline
scan = pipeline._scan
pipeline._scan = lambda *a, **k: scanned_in.append(os.getpid()) or scan(*a, **k)
from importlib import import_module


def warns(module, name, text):  # each step warns: the order of the warnings is checked
    module = import_module(module)  # the module, not the function of the same name
    real = getattr(module, name)

    def said(*a, **k):
        warnings.warn(text, BorderwatchWarning, stacklevel=2)
        return real(*a, **k)

    setattr(module, name, said)


want = {"race": 0, "child": 1, "here": 2}[sys.argv[2]]  # who computes the density
claimed = overlap._claimed
overlap._claimed = lambda claim, who: claimed(claim, who) if not want else who == want
smoothed_in = []  # the density step (the evaluation's own densities not counted)
smooth = pipeline._density
pipeline._density = lambda *a, **k: smoothed_in.append(os.getpid()) or smooth(*a, **k)
warns("borderwatch.regions", "hotspot_regions", "regions say")
warns("borderwatch.scan", "spatial_scan", "the scan says")
warns("borderwatch.clusters", "find_clusters", "clusters say")
warns("borderwatch.density", "density", "the density says")
warns("borderwatch.evaluate", "evaluate", "the evaluation says")
units = demo_units()
incidents = demo_incidents(n_background=200, units=units)
fast = dict(view=sys.argv[1], permutations=0, scan_replicates=19, cluster_replicates=0, static=False)
results = []
for fork in (True, False):
    beside.can_fork = lambda fork=fork: fork
    steps, heard = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BorderwatchWarning)
        res = analyze(units, incidents, progress=steps.append, **fast)
    said = [str(w.message) for w in caught if issubclass(w.category, BorderwatchWarning)]
    results.append((res, steps, said))
    if fork:
        density_here = smoothed_in == [os.getpid()]  # in the forked run: here, not in the child
        smoothed_in.clear()
(a, steps_a, said_a), (b, steps_b, said_b) = results
print(pickle.dumps({
    "beside": ran == [os.getpid()] and scanned_in == [os.getpid()],  # the child's call not seen
    "density_here": density_here,
    "summary": a.summary == b.summary,
    "steps": steps_a == steps_b, "said": said_a == said_b, "order": [w for w in a.summary["warnings"] if w.endswith("says") or w.endswith("say")],
    "frames": all(x.equals(y) for x, y in [(a.cells, b.cells), (a.scan, b.scan),
        (a.hotspots, b.hotspots), (a.clusters, b.clusters), (a.units, b.units)]),
    "n_scan": len(a.scan), "density": np.array_equal(a.density.values, b.density.values, equal_nan=True),
}).hex())
"""


@pytest.mark.parametrize(
    ("view", "density_by"),
    [("internal", "race"), ("public", "race"), ("internal", "child"), ("public", "here")],
)
def test_the_scan_forked_from_the_grid_on_equals_the_one_made_here(view, density_by, tmp_path):
    """In a fresh process (numba's threads not started) the scan runs in a child from the
    moment the grid is known, while this process computes the other steps, and the density
    surface goes to the one free first (``density_by``: as it happens, or made to go to the
    child or here): the same result, progress messages and warnings (in their order) as
    everything run here."""
    script = tmp_path / "scan_beside.py"
    script.write_text(_SCAN_BESIDE)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    run = subprocess.run(
        [sys.executable, str(script), view, density_by],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    got = pickle.loads(bytes.fromhex(run.stdout.strip().splitlines()[-1]))
    assert got.pop("beside"), "the scan did not run in a child"
    here = got.pop("density_here")
    if density_by != "race":
        assert here == (density_by == "here")
    assert got.pop("n_scan") > 0
    assert got.pop("order") == [
        "regions say",
        "the scan says",
        "clusters say",
        "the density says",
        "the evaluation says",
    ]
    assert all(got.values()), got


def test_the_scan_runs_here_once_numba_threads_have_started(demo_data, monkeypatch):
    """A forked child must not run numba's parallel kernels once this process has: the
    scan stays here and steps 6 to 8 go to the child."""
    import geopandas as gpd
    from shapely.geometry import box

    import borderwatch._overlap as overlap
    from borderwatch.grid import hex_grid
    from borderwatch.scan import spatial_scan

    grid = hex_grid(gpd.GeoSeries([box(0, 0, 50_000, 50_000)], crs=3857), cell_km=10)
    xy = np.random.default_rng(0).uniform(0, 50_000, (40, 2))
    spatial_scan(grid, gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=3857), replicates=9)
    assert beside.numba_threads_started()  # a parallel kernel has run in this process

    def refuse(*_, **__):
        msg = "the scan was forked after numba's threads started"
        raise AssertionError(msg)

    monkeypatch.setattr(overlap, "_scan_beside", refuse)
    assert len(_analysis(demo_data).scan) > 0
