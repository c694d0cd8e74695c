"""Shared test fixtures: paths, the real-data folder and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _browser import browser  # noqa: F401 - the one session-wide Chromium, shared by every test module

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
