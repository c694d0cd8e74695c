"""Warnings raised on the dask workers reach ``summary["warnings"]`` as the default
engine's (combined over the partitions, said once on the client)."""

from __future__ import annotations

import threading
import warnings

import pytest

pytest.importorskip("dask_geopandas")
pytest.importorskip("distributed")

from _partitions import analyze_on_cluster, demo_inputs, write_parts  # noqa: E402
from borderwatch._dask_warn import caught, combined, diverted  # noqa: E402
from borderwatch._errors import BorderwatchWarning  # noqa: E402
from borderwatch._warnings import withheld  # noqa: E402
from borderwatch.pipeline import analyze  # noqa: E402

pytestmark = pytest.mark.slow

FAST = {
    "view": "internal",
    "permutations": 0,
    "scan_replicates": 0,
    "cluster_replicates": 0,
    "cell_km": 20,
    "on_invalid": "drop",
    "period": "week",
}


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Four files with points outside every unit, unparseable and coarse dates, unknown
    categories and country names, in every partition."""
    d = tmp_path_factory.mktemp("messy")
    units, inc = demo_inputs(200)
    inc = inc.copy()
    inc.loc[inc.index[::50], "longitude"] = inc["longitude"].iloc[::50] + 20  # outside
    inc.loc[inc.index[5::60], "date"] = "not a date"
    inc.loc[inc.index[7::40], "date"] = "2023-05"  # coarser than the asked week
    inc.loc[inc.index[9::70], "category"] = [f"odd kind {i % 3}" for i in range(len(inc[9::70]))]
    inc.loc[inc.index[11::90], "country"] = "Atlantis"
    inc.loc[inc.index[56::180], "country"] = "Lemuria"
    write_parts(inc, d / "parts")
    return units, d


@pytest.fixture(scope="module")
def expected(messy):
    """The default engine's warnings on all rows at once, its file named as the folder."""
    units, d = messy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = analyze(units, d / "all.csv", **FAST)
    out = [w.replace(str(d / "all.csv"), str(d / "parts")) for w in ref.summary["warnings"]]
    for text in ("points fall outside every unit", "unparseable date", "coarser than a week"):
        assert sum(text in w for w in out) == 1
    assert any("not in the crosswalk" in w for w in out) and any("country values" in w for w in out)
    return out


def test_worker_warnings_on_local_threads(messy, expected):
    """Without a scheduler (dask's threads in this process) the same, each said once.

    What the run says is read per thread (``withheld``), as the run records it: other
    threads in this process (a distributed client's, pandas' ``catch_warnings``) may
    reset the process-wide warnings state meanwhile (tests/test_warnings.py)."""
    units, d = messy
    with withheld() as shown:
        res = analyze(units, d / "parts", engine="dask", **FAST)
    assert res.summary["warnings"] == expected
    assert [str(w.message) for w in shown] == expected


def test_worker_warnings_equal_the_default_engines(messy, expected):
    """On worker processes (a real cluster's case) the warnings reach the summary."""
    units, d = messy
    res = analyze_on_cluster(units, d / "parts", processes=True, **FAST)
    assert res.summary["warnings"] == expected


def test_capture_is_per_thread():
    """A thread inside ``diverted`` records its own warnings only; others warn as usual."""
    started, release = threading.Event(), threading.Event()
    got: list[str] = []

    def worker():
        with diverted() as sink:
            started.set()
            release.wait(5)
            warnings.warn("mine", BorderwatchWarning, stacklevel=1)
        got.extend(sink)

    t = threading.Thread(target=worker)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        t.start()
        started.wait(5)
        warnings.warn("the client's", BorderwatchWarning, stacklevel=1)
        release.set()
        t.join(5)
    assert got == ["mine"]
    assert [str(w.message) for w in shown] == ["the client's"]
    assert caught(lambda: 1) == (1, ())


def test_combined_keeps_what_it_cannot_merge():
    many = ", ".join(repr(f"v{i}") for i in range(10))
    cut = f"a.csv: 12 category values in column 'c' are not in the crosswalk and were counted as iccs11_other: {many} .... Hint: add them."
    out = combined(
        [[cut], ["b.csv: no time column was detected."]], files=["a.csv", "b.csv"], source="in"
    )
    assert out == [cut.replace("a.csv", "in", 1), "in: no time column was detected."]
