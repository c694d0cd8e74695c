"""The CLI's start-up stays lean: a plain ``analyze --no-static`` loads no scipy.stats, no matplotlib.

Every ``borderwatch`` run paid about 0.8 s to import ``scipy.stats`` and about
0.5 s to import matplotlib although it used five functions of the one and two
colour maps and a PNG encoder of the other (see docs/performance.md, "Wave 10
start-up"). This test runs the CLI in a fresh process on a small data set, with
meetings (so the planning's effectiveness statistics run too), and looks at
``sys.modules`` at the end of the run, and at the garbage collector's thresholds
that a command process sets (a ``main(argv)`` call inside another program does not).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import warnings

from borderwatch import BorderwatchWarning
from borderwatch.cli import GC_THRESHOLDS, main
from borderwatch.datasets import boundary_path, demo_incidents, demo_meetings

#: Modules that a plain ``analyze --no-static`` must not import.
HEAVY = ("scipy.stats", "matplotlib", "matplotlib.pyplot", "matplotlib.figure", "mpl_toolkits")

DRIVER = """
import gc, json, sys
from borderwatch.cli import main
code = main()  # as the console script calls it: the arguments come from sys.argv
print(json.dumps({"code": code, "modules": sorted(sys.modules), "gc": gc.get_threshold()}))
"""


def test_analyze_no_static_imports_no_scipy_stats_or_matplotlib(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        demo_incidents(seed=11, n_background=150, months=12).to_csv(
            tmp_path / "inc.csv", index=False
        )
        demo_meetings(seed=11, n=8, months=12).to_csv(tmp_path / "meet.csv", index=False)
    (tmp_path / "cfg.toml").write_text('permutations = 99\nview = "internal"\n', encoding="utf-8")
    out = tmp_path / "out"
    args = ["analyze", "--units", boundary_path("liptako_gourma"), "--incidents", "inc.csv"]
    args += ["--meetings", "meet.csv", "--out", out, "--no-static", "--quiet"]
    args += ["--scan-replicates", "99", "--config", "cfg.toml"]
    env = {k: v for k, v in os.environ.items() if k != "BORDERWATCH_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr[-3000:]
    assert tuple(report["gc"]) == GC_THRESHOLDS
    # the run did what the heavy modules were imported for: a map with the density
    # image and unit colours, p-values and the effectiveness of the meetings
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["n_incidents"] > 0
    assert (out / "action_plan.xlsx").is_file()
    loaded = set(report["modules"])
    assert "borderwatch.planning.effectiveness" in loaded and "borderwatch._dist" in loaded
    assert "scipy.special" in loaded  # the ufuncs it uses instead of scipy.stats
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert not [m for m in loaded if m.startswith(("scipy.stats.", "matplotlib."))]


def test_main_called_in_process_leaves_the_garbage_collector_alone(tmp_path, capsys):
    before = gc.get_threshold()
    args = ["analyze", "--units", tmp_path / "none.geojson", "--incidents", tmp_path / "none.csv"]
    code = main([*map(str, args), "--out", str(tmp_path / "out")])
    capsys.readouterr()
    assert code == 2  # the missing file is reported
    assert gc.get_threshold() == before != GC_THRESHOLDS
