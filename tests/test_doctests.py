"""Every docstring example in the installed package runs.

The examples are collected from the *imported* package (``borderwatch.__path__``),
so they run the same code as the other tests whether the package is installed
in editable mode (development) or as a wheel (CI, ``pip install .``). Collecting
them from ``src/`` with ``--doctest-modules`` breaks on a wheel install: pytest
would import a second copy of every module from the source tree.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import borderwatch


def _module_names() -> list[str]:
    names = ["borderwatch"]
    for info in pkgutil.walk_packages(borderwatch.__path__, prefix="borderwatch."):
        names.append(info.name)
    return sorted(names)


MODULES = _module_names()
# whole analyses in their examples: marked slow so that `-n 2` starts them first
SLOW = {"borderwatch.pipeline", "borderwatch.planning.priorities"}


def test_the_package_has_modules_with_examples() -> None:
    finder = doctest.DocTestFinder()
    with_examples = [
        name
        for name in MODULES
        if any(t.examples for t in finder.find(importlib.import_module(name)))
    ]
    # the public modules document themselves with runnable examples
    assert len(with_examples) >= 10, with_examples


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in MODULES]
)
def test_docstring_examples_run(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
