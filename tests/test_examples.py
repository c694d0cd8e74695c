"""The example script and the notebooks run (notebooks are not allowed to fail)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
@pytest.mark.slow
def test_notebook_runs(nb: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    ns: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            exec(compile(src, f"{nb.name}", "exec"), ns)  # noqa: S102 - our own notebook
    assert "result" in ns and len(ns["result"].hotspots) > 0


@pytest.mark.slow
def test_example_script_runs(tmp_path):
    # --quick: 99 permutations and scan replicates (the script's own option); the default
    # 999 are the demo's, whose outputs tests/test_golden.py compares with the golden files
    out = tmp_path / "qs"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py"), str(out), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "map.html").is_file() and (out / "summary.json").is_file()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["permutations"] == 99 and summary["view"] == "public"
