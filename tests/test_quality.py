"""ruff and mypy pass on the package (the style and typing rules of the project)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("tool", "args"),
    [("ruff", ["check", "src", "tests"]), ("mypy", ["src/borderwatch"])],
)
@pytest.mark.slow
def test_tool_passes(tool, args):
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed")
    proc = subprocess.run(
        [sys.executable, "-m", tool, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


SRC = ROOT / "src" / "borderwatch"
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_module_is_over_800_lines():
    long = {
        str(p.relative_to(SRC)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def _code_lines(node) -> int:
    """Lines of a function from its ``def`` to its end, without its docstring."""
    import ast

    n = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        n -= first.end_lineno - first.lineno + 1
    return n


def test_no_function_is_over_80_lines():
    """Code lines of every function, its numpydoc docstring (with examples) not counted."""
    import ast

    long = {}
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = _code_lines(node)
                if n > MAX_FUNCTION_LINES:
                    long[f"{p.relative_to(SRC)}:{node.name}"] = n
    assert not long, long


def test_no_javascript_or_css_in_python_strings():
    """JavaScript and CSS live in package files (maps/assets), never in Python strings."""
    import ast
    import re

    code = re.compile(
        r"function\s*\(|=>\s*\{|\bvar\s+\w+\s*=|\bconst\s+\w+\s*=|[.#]?[\w-]+\s*\{[^}]*:[^}]*;"
    )
    found = []
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and len(node.value) > 120
            ):
                if code.search(node.value):
                    found.append(f"{p.relative_to(SRC)}:{node.lineno}")
    assert not found, found


def test_settings_reference_is_up_to_date():
    """docs/settings.md is generated from Settings (regenerate it with the command it names)."""
    from borderwatch.settings import settings_markdown

    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings_markdown()
