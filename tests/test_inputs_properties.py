"""Property tests (hypothesis) of reading inputs (issue 8).

* random valid inputs never crash the reader and keep every row;
* shuffling the rows changes nothing: the join, the counts and Gi* on a small grid;
* a file written in any supported CSV dialect (delimiter, decimal mark, encoding) reads
  back as the same incidents.

Examples are small and few (at most 30), without deadlines, so that the file runs in
seconds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch._errors import BorderwatchWarning
from borderwatch.io import load_incidents, read_incidents, read_units
from conftest import FIXTURES

UNITS = read_units(FIXTURES / "units_mli_ner.geojson")
FAST = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Category texts in the five languages, all in Windows-1252 except the Arabic ones.
CATEGORIES = ["Vol de bétail", "robbery", "Homicídio", "VBG", "drogas", "Œuvre d'escroc", "x"]
ARABIC = ["العنف الأسري", "سرقة"]
lon = st.floats(0.05, 3.95, allow_nan=False).map(lambda v: round(v, 6))
lat = st.floats(13.05, 13.95, allow_nan=False).map(lambda v: round(v, 6))
day = st.dates(
    min_value=pd.Timestamp("2000-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
)


@st.composite
def incidents(draw, *, arabic: bool = True) -> pd.DataFrame:
    n = draw(st.integers(1, 12))
    cats = CATEGORIES + (ARABIC if arabic else [])
    return pd.DataFrame(
        {
            "incident_id": [f"I{i:03d}" for i in range(n)],
            "longitude": draw(st.lists(lon, min_size=n, max_size=n)),
            "latitude": draw(st.lists(lat, min_size=n, max_size=n)),
            "date": [d.isoformat() for d in draw(st.lists(day, min_size=n, max_size=n))],
            "category": draw(st.lists(st.sampled_from(cats), min_size=n, max_size=n)),
        }
    )


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        return fn(*args, **kwargs)


@FAST
@given(df=incidents(), date_style=st.sampled_from(["iso", "dmy", "year", "month", "none"]))
def test_random_valid_inputs_never_crash(df, date_style):
    d = pd.to_datetime(df["date"])
    if date_style == "dmy":  # a day over 12 settles the order, as a real export would
        df = df.assign(date=d.dt.strftime("%d/%m/%Y"))
        df.loc[0, "date"] = "25/12/2020"
    elif date_style == "year":
        df = df.assign(date=d.dt.year)
    elif date_style == "month":
        df = df.assign(date=d.dt.strftime("%Y-%m"))
    elif date_style == "none":
        df = df.drop(columns="date")
    loaded = _quiet(load_incidents, df, units=UNITS)
    assert len(loaded.frame) == len(df)
    assert loaded.frame["category"].notna().all()
    if date_style != "none":
        assert loaded.frame["date"].notna().all()


@FAST
@given(df=incidents(), seed=st.integers(0, 2**16))
@pytest.mark.slow
def test_shuffled_rows_give_the_same_results(df, seed):
    from borderwatch.hotspots import cell_hotspots
    from borderwatch.join import aggregate_counts, join_units, unit_counts

    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    out = []
    for frame in (df, shuffled):
        inc = _quiet(read_incidents, frame, units=UNITS)
        joined = _quiet(join_units, inc, UNITS)
        by_id = joined.set_index("id").sort_index()
        counts = aggregate_counts(joined, period="month").sort_values(
            ["unit_id", "category", "period"]
        )
        units = unit_counts(joined, UNITS).sort_values("unit_id")
        cells = _quiet(
            cell_hotspots, joined, UNITS, cell_km=50, permutations=0, trend=False
        ).cells.sort_values("cell_id")
        out.append((by_id, counts, units, cells))
    (a_id, a_counts, a_units, a_cells), (b_id, b_counts, b_units, b_cells) = out
    assert a_id["unit_id"].tolist() == b_id["unit_id"].tolist()
    assert a_id["join"].tolist() == b_id["join"].tolist()
    assert a_counts["count"].tolist() == b_counts["count"].tolist()
    assert a_units["incidents"].tolist() == b_units["incidents"].tolist()
    assert a_cells["count"].tolist() == b_cells["count"].tolist()
    np.testing.assert_allclose(a_cells["gi_z"], b_cells["gi_z"], equal_nan=True)


DIALECTS = [
    (sep, decimal, encoding)
    for sep in (",", ";", "\t", "|")
    for decimal in (".", ",")
    for encoding in ("utf-8", "utf-8-sig", "cp1252", "utf-16")
    if not (sep == "," and decimal == ",")
]


@FAST
@given(df=incidents(arabic=False), dialect=st.sampled_from(DIALECTS))
def test_any_dialect_reads_back_the_same_incidents(tmp_path_factory, df, dialect):
    sep, decimal, encoding = dialect
    path = tmp_path_factory.mktemp("dialect") / "export.csv"
    df.to_csv(path, sep=sep, decimal=decimal, encoding=encoding, index=False)
    loaded = _quiet(load_incidents, path, units=UNITS)
    expected_sep = "tab" if sep == "\t" else sep
    assert loaded.decisions["sep"] == expected_sep
    ascii_only = df.to_csv().isascii()  # then Windows-1252 and UTF-8 are the same bytes
    assert loaded.decisions["encoding"] == (
        "utf-8" if encoding == "cp1252" and ascii_only else encoding
    )
    if decimal == ",":
        assert loaded.decisions["decimal"] == ","
    inc = loaded.frame
    assert inc["id"].tolist() == df["incident_id"].tolist()
    assert inc.geometry.x.tolist() == pytest.approx(df["longitude"].tolist(), abs=1e-9)
    assert inc.geometry.y.tolist() == pytest.approx(df["latitude"].tolist(), abs=1e-9)
    assert inc["date"].dt.strftime("%Y-%m-%d").tolist() == df["date"].tolist()
    assert inc["category_raw"].tolist() == df["category"].tolist()
