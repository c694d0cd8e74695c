"""The README's two commands, .ci/run, package data and the public API."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import borderwatch as bw

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_gives_two_commands_demo_and_tests():
    demo, tests = _readme_commands()
    assert "borderwatch demo --out demo-output" in demo
    assert "pip install ." in demo
    assert "pytest" in tests and ".[test]" in tests and "chromium" in tests


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests.strip() in [line.strip() for line in ci]


def test_package_data_is_installed_with_the_package():
    # these come from the installed package (a wheel in CI), not from the source tree
    names = bw.datasets.list_boundaries()
    assert "liptako_gourma_mli_bfa_ner" in names and len(names) == 9
    assert bw.datasets.boundary_path("liptako_gourma").is_file()
    for lang in ("en", "fr", "es", "pt", "ar"):
        assert bw.maps.translations(lang)
    from borderwatch.io import load_crosswalk

    assert len(load_crosswalk()) > 50
    assert len(bw.datasets.demo_towns()) > 10
    from borderwatch.places import towns

    assert len(towns()) > 30_000  # the maps' offline gazetteer


def test_public_api_and_version():
    assert bw.__version__ == importlib.metadata.version("borderwatch")
    for name in bw.__all__:
        assert hasattr(bw, name), name
    assert issubclass(bw.DataError, ValueError)
    assert (Path(bw.__file__).parent / "py.typed").exists()


#: Libraries that ``import borderwatch`` and the command's parser must not load: each
#: costs 0.3-2 s of start-up, paid by every ``borderwatch`` call (``--help`` too).
HEAVY = (
    "branca",
    "folium",
    "geopandas",
    "matplotlib",
    "numba",
    "openpyxl",
    "pandas",
    "pyarrow",
    "pyproj",
    "rasterio",
    "scipy",
    "shapely",
)


def test_import_and_cli_help_load_no_heavy_library():
    # a fresh interpreter, as the command starts: the package, the CLI module and its parser;
    # then the public names and the submodules are still there, on first use
    code = (
        "import json, sys\n"
        "import borderwatch as bw\n"
        "import borderwatch.cli\n"
        "borderwatch.cli._parser()\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "from borderwatch import analyze, density, datasets\n"
        "assert analyze is bw.analyze and callable(density) and bw.density is density\n"
        "assert datasets is bw.datasets and bw.hotspots.gi_star\n"
        "import borderwatch.density as d\n"  # the submodule import keeps the function
        "assert bw.density is density and 'folium' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded == [], f"{loaded} loaded at import time; import them inside the function"


def test_examples_and_notebooks_exist():
    assert (ROOT / "examples" / "quickstart.py").is_file()
    assert list((ROOT / "notebooks").glob("*.ipynb"))
