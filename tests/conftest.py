"""Shared test fixtures: paths, the real-data folder and a CLI runner."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from _browser import browser  # noqa: F401 - the one session-wide Chromium, shared by every test module

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, make: Callable[[], Any]
) -> Any:
    """``make()`` computed once per test run and shared by every pytest-xdist worker.

    The first worker to ask computes it and pickles it next to the session's
    temporary folders; the others wait on a file lock and read the pickle. Without
    xdist it is simply ``make()``. Each worker gets its own copy.
    """
    if worker_id == "master":
        return make()
    root = tmp_path_factory.getbasetemp().parent  # shared by the workers of one run
    path = root / f"{name}.pickle"
    with FileLock(str(path) + ".lock"):
        if path.is_file():
            return pickle.loads(path.read_bytes())
        value = make()
        path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return value


WARM_SCRIPT = Path(__file__).resolve().parent / "_numba_warm.py"
_WARM_KEY = pytest.StashKey[str]()


def _numba_cache_dir(config: pytest.Config) -> str | None:
    """A cache folder for numba when it cannot write next to the installed package, else None.

    numba's ``cache=True`` writes into ``__pycache__`` beside the module, also in
    site-packages when that is writable (a venv); when it is not, numba would fall
    back to a per-user folder, which may not be writable either. Then the run uses
    one folder of its own (``.pytest_cache/d/numba``, else a temporary folder),
    set as ``NUMBA_CACHE_DIR`` for the warm-up and inherited by the workers.
    """
    import importlib.util
    import tempfile

    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    spec = importlib.util.find_spec("borderwatch")
    package = Path(spec.origin).parent if spec is not None and spec.origin else None
    if package is not None and os.access(package, os.W_OK):
        return None
    try:
        return str(config.cache.mkdir("numba")) if config.cache is not None else None
    except OSError:
        return tempfile.mkdtemp(prefix="borderwatch-numba-")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the numba kernels once per run, before any test or xdist worker starts.

    In the pytest-xdist controller (or the one pytest process), ``tests/_numba_warm.py``
    runs in a subprocess and calls each kernel on tiny input, so numba's on-disk cache
    holds them; every worker and CLI subprocess then loads them (about 1.5 s) instead
    of compiling them (about 30 s each, cold) inside its first test that scans. The
    time it took is printed at the end of the run. Only with xdist (``-n``): a run in
    one process compiles each kernel once anyway; ``--collect-only`` skips it too.
    """
    config = session.config
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    if not getattr(config.option, "numprocesses", None):
        return  # one process compiles each kernel once anyway, in its first test that scans
    cache_dir = _numba_cache_dir(config)
    if cache_dir is not None:
        os.environ["NUMBA_CACHE_DIR"] = cache_dir  # inherited by the workers
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(WARM_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    took = time.perf_counter() - start
    detail = proc.stdout.strip() if proc.returncode == 0 else proc.stderr.strip()[-2000:]
    status = "" if proc.returncode == 0 else f" FAILED (exit {proc.returncode}), "
    where = f", NUMBA_CACHE_DIR={cache_dir}" if cache_dir else ""
    config.stash[_WARM_KEY] = (
        f"numba warm-up before the tests: {took:.1f} s{status}{where} ({detail})"
    )


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Report what the numba warm-up of :func:`pytest_sessionstart` took."""
    line = config.stash.get(_WARM_KEY, None)
    if line:
        terminalreporter.write_line(line)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``, set in pyproject): group, then order, the tests.

    * The tests that use a module-scoped fixture of their own module (an analysis,
      a CLI run, a browser page) form one ``xdist_group``, so that fixture runs on
      one worker only, once.
    * The tests marked ``slow`` are sent first, so the two workers end together
      (the longest jobs first) instead of one worker finishing a long test alone.

    A run without xdist keeps pytest's order.
    """
    # on a worker, ``--dist`` reads "no": xdist hands the workers ``loadgroup`` instead
    if not os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        module = item.nodeid.split("::")[0]
        infos = getattr(item, "_fixtureinfo", None)
        defs = infos.name2fixturedefs if infos is not None else {}
        if any(d[-1].scope == "module" and d[-1].baseid == module for d in defs.values()):
            item.add_marker(pytest.mark.xdist_group(module))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The hand-made fixture files in ``tests/fixtures``."""
    return FIXTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real boundaries and events); skips when it is absent."""
    if not (SHARED_DATA / "boundaries").is_dir() or not (SHARED_DATA / "events").is_dir():
        pytest.skip(
            "../shared/data is absent (real-data tests run only in the development checkout)"
        )
    return SHARED_DATA


def run_cli(
    *args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None, timeout: float = 300
) -> tuple[int, str, str]:
    """Run ``python -m borderwatch.cli ARGS`` as a subprocess; return (code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "BORDERWATCH_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-m", "borderwatch.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="session")
def cli():
    """The :func:`run_cli` helper as a fixture."""
    return run_cli


@pytest.fixture(scope="session")
def demo_data():
    """The demo's SYNTHETIC inputs: (units, incidents, meetings), generated once per session."""
    from borderwatch import BorderwatchWarning
    from borderwatch.datasets import DEMO_SEED, demo_incidents, demo_meetings, demo_units

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        units = demo_units()
        return units, demo_incidents(seed=DEMO_SEED, units=units), demo_meetings(seed=DEMO_SEED)


def _demo_analysis(tmp_path_factory, worker_id, demo_data, *, view: str):
    """``analyze`` of the demo inputs in ``view``, once per test run (:func:`once_per_run`)."""
    from borderwatch import analyze

    units, incidents, meetings = demo_data
    return once_per_run(
        tmp_path_factory,
        worker_id,
        f"demo_{view}",
        lambda: analyze(units, incidents, meetings, synthetic=True, view=view),
    )


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory, worker_id, demo_data):
    """The demo analysis in the internal view, run once per session in memory.

    The same call as ``borderwatch demo --view internal``. Tests must not modify it.
    """
    return _demo_analysis(tmp_path_factory, worker_id, demo_data, view="internal")


@pytest.fixture(scope="session")
def demo_public(tmp_path_factory, worker_id, demo_data):
    """The demo analysis in the public view, run once per session in memory.

    The same call as ``borderwatch demo`` (the public view is analysed on the
    fixed global lattice, so it is not ``public_view(demo_result)``).
    """
    return _demo_analysis(tmp_path_factory, worker_id, demo_data, view="public")


@pytest.fixture(scope="session")
def demo_outputs(tmp_path_factory, worker_id, demo_result, demo_public):
    """The demo's output directories for both views, as ``borderwatch demo`` writes them: {view: path}."""
    from borderwatch import write_outputs

    def write() -> dict[str, Path]:
        base = tmp_path_factory.getbasetemp()
        root = (base if worker_id == "master" else base.parent) / "demo-outputs"
        return {
            "public": write_outputs(demo_public, root / "public"),
            "internal": write_outputs(demo_result, root / "internal"),
        }

    return once_per_run(tmp_path_factory, worker_id, "demo_outputs", write)


@pytest.fixture
def in_a_run():
    """Remember results per geometry array during the test, as inside ``analyze``
    (:func:`borderwatch._memo.remembering`); outside a run every call computes afresh."""
    from borderwatch._memo import remembering

    with remembering():
        yield
