"""The test command's scheduling (``pytest -n 2``, ``--dist loadgroup`` in pyproject): the
tests that share a module-scoped fixture run on one worker, so that fixture (a demo run,
an analysis, a browser page) runs once (tests/conftest.py)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def shared_once() -> list[str]:
    """A module-scoped fixture: the workers that set it up."""
    return []


@pytest.mark.parametrize("case", ["first", "second"])
def test_tests_of_a_module_fixture_share_one_worker(request, shared_once, case):
    """Under pytest-xdist each such test carries its module as ``xdist_group`` (the
    suffix of its node id); pytest 9.2 dropped that suffix (pytest-xdist#1386), hence
    the pin in pyproject, and this test."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("not under pytest-xdist: nothing to group")
    assert request.node.nodeid.endswith("@tests/test_xdist_groups.py"), request.node.nodeid
    shared_once.append(os.environ["PYTEST_XDIST_WORKER"])
    first_selected = any("[first]" in item.nodeid for item in request.session.items)
    if case == "second" and first_selected:  # the first ran before it, here, on this fixture
        assert shared_once == [shared_once[0]] * 2
