"""The demo's outputs equal the golden files saved in ``tests/golden``.

The golden files were written by ``tests/golden/build_golden.py``. A change that
is meant to change the outputs regenerates them with that script, and its diff is
reviewed in the same commit. Numbers are compared to 1e-9 (relative), so a
refactor that reorders floating-point sums still passes; everything else
(text, geometry hashes, column order, row order) must be equal.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from golden.build_golden import HERE, normalise_output

#: Columns the demo writes that the golden files do not hold yet (added on purpose).
ADDED_COLUMNS: set[str] = set()


def _same_value(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _compare_tables(name: str, got: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    problems = []
    extra = [c for c in got.columns if c not in want.columns and c not in ADDED_COLUMNS]
    missing = [c for c in want.columns if c not in got.columns]
    if extra or missing:
        problems.append(f"{name}: columns added {extra}, missing {missing}")
    if len(got) != len(want):
        problems.append(f"{name}: {len(got)} rows, golden {len(want)}")
        return problems
    order = [c for c in got.columns if c in want.columns]
    if order != [c for c in want.columns if c in got.columns]:
        problems.append(f"{name}: column order differs")
    for col in want.columns.intersection(got.columns):
        a = got[col].fillna("").astype(str).tolist()
        b = want[col].fillna("").astype(str).tolist()
        bad = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if not _same_value(x, y)]
        if bad:
            i = bad[0]
            problems.append(
                f"{name}.{col}: {len(bad)} rows differ, first row {i}: {a[i]!r} != {b[i]!r}"
            )
    return problems


def _compare_json(path: str, got: object, want: object) -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got)):
            if key not in got or key not in want:
                out.append(f"{path}.{key}: only in {'golden' if key in want else 'output'}")
            else:
                out += _compare_json(f"{path}.{key}", got[key], want[key])
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            p
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for p in _compare_json(f"{path}[{i}]", g, w)
        ]
    if (
        isinstance(want, float | int)
        and isinstance(got, float | int)
        and not isinstance(want, bool)
    ):
        return [] if _same_value(str(got), str(want)) else [f"{path}: {got!r} != {want!r}"]
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


@pytest.mark.parametrize("view", ["public", "internal"])
def test_demo_outputs_equal_the_golden_files(demo_outputs, view):
    got = normalise_output(demo_outputs[view])
    golden_dir = HERE / view
    want_names = sorted(p.name for p in golden_dir.iterdir())
    assert sorted(got) == want_names
    problems: list[str] = []
    for name in want_names:
        if name == "summary.json":
            want = json.loads((golden_dir / name).read_text(encoding="utf-8"))
            problems += _compare_json("summary", json.loads(json.dumps(got[name])), want)
        else:
            want_t = pd.read_csv(golden_dir / name, dtype=str, keep_default_na=False)
            problems += _compare_tables(name, got[name], want_t)  # type: ignore[arg-type]
    assert not problems, "\n".join(problems[:40])
