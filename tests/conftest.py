"""Shared test fixtures: paths, the real-data folder and a CLI runner."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
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
    if not os.environ.get("PYTEST_XDIST_WORKER") or config.getoption("dist", "no") != "loadgroup":
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
