"""Wave 19's speed paths: reading incidents without a round trip through Python objects
(issue #13).

pandas 3 keeps texts in its ``str`` dtype (arrow-backed). The reader used to turn the
ids and the other text columns into Python objects and let the new frame infer ``str``
again, and the dates were factorized as objects; both now stay in pandas' texts. These
tests read the same inputs both ways and ask for the same frame, dtypes included.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from borderwatch import DataError
from borderwatch.io import _dates, _points
from borderwatch.io.incidents import load_incidents

_CSV = (
    "incident_id,date,longitude,latitude,category,note,count,adm2_pcode\n"
    "inc-1,2024-03-02,1.45,14.21,VBG,au marché,3,\n"
    "inc-2,2024-03-09,2.11,13.51,vol,,1,\n"
    ",2024-04-11,1.46,14.22,Braquage,nuit,2,\n"
    "inc-4,,1.47,14.23,VBG,x,5,\n"
    "inc-5,2024-05,1.48,14.24,,y,4,\n"
)  # adm2_pcode: a code column (read as text) left blank


def _old_values(column: pd.Series) -> np.ndarray:
    return column.to_numpy()


def _old_ids(*args: Any, **kwargs: Any) -> tuple[str | None, pd.Series]:
    idc, ids = _new_ids(*args, **kwargs)
    return idc, ids.astype(object)


_new_ids = _points._ids


def _frames(source: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[Any, Any]:
    """The incidents of ``source`` read as now and as before wave 19."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        now = load_incidents(source, **options)
        with monkeypatch.context() as m:
            m.setattr(_points, "_values", _old_values)
            m.setattr(_points, "_ids", _old_ids)
            before = load_incidents(source, **options)
    return now, before


def _same(now: Any, before: Any) -> None:
    assert list(now.frame.columns) == list(before.frame.columns)
    assert now.frame.dtypes.astype(str).tolist() == before.frame.dtypes.astype(str).tolist()
    pd.testing.assert_frame_equal(now.frame, before.frame, check_exact=True)
    assert now.dropped == before.dropped
    assert now.decisions == before.decisions


def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "blank": pd.Series([None] * 4, dtype="str"),  # no text at all: object, as before
            "python": pd.array(["x", "y", None, "z"], dtype=pd.StringDtype("python", np.nan)),
            "lon": [1.45, 2.11, 1.46, 0.0],
            "lat": [14.21, 13.51, 14.22, 0.0],
            "id": [101.0, np.nan, 103.0, 104.0],  # whole numbers read as floats
            "date": ["2024-03-02", "2024-03-09", None, "2024-03-10"],
            "crime": ["VBG", "vol", None, "vol"],
            "mixed": np.array([1, "a", None, 2.5], dtype=object),  # stays object
            "nullable": pd.array(["p", pd.NA, "q", "r"], dtype="string"),  # pd.NA texts
        }
    )


@pytest.mark.parametrize("on_invalid", ["raise", "drop"])
def test_a_csv_reads_to_the_same_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_invalid: str
) -> None:
    """Texts with blanks, a missing id, a missing date, a month-only date and (with drop)
    an invalid row: the same frame, the same dtypes, the same rows dropped."""
    text = _CSV + ("inc-6,2024-06-01,abc,14.2,vol,z,1\n" if on_invalid == "drop" else "")
    path = tmp_path / "incidents.csv"
    path.write_text(text, encoding="utf-8")
    now, before = _frames(path, monkeypatch, on_invalid=on_invalid)
    _same(now, before)
    assert str(now.frame["id"].dtype) == "str"
    assert now.frame["id"].tolist() == ["inc-1", "inc-2", "", "inc-4", "inc-5"]
    assert now.frame["note"].isna().tolist() == [False, True, False, False, False]
    assert len(now.frame) == 5
    assert now.frame["adm2_pcode"].dtype == object  # no text at all, as before


def test_a_frame_with_object_and_nullable_columns_reads_to_the_same_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python objects stay objects and pandas' ``string`` (``pd.NA``) columns go the way
    they went; only the ``str`` texts are passed as they are."""
    now, before = _frames(_mixed_frame(), monkeypatch, on_invalid="drop")
    _same(now, before)
    assert now.frame["id"].tolist() == ["101", "", "103"]  # (0, 0) dropped
    assert now.frame["mixed"].dtype == object
    assert now.frame["blank"].dtype == object
    assert now.frame["python"].dtype == pd.StringDtype("pyarrow", np.nan)


def test_a_parquet_file_reads_to_the_same_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "incidents.parquet"
    pd.read_csv(pd.io.common.StringIO(_CSV), dtype={"incident_id": str}).to_parquet(path)
    now, before = _frames(path, monkeypatch)
    _same(now, before)


def test_without_an_id_column_rows_are_named_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text("lon,lat,date\n1.45,14.21,2024-03-02\n2.11,13.51,2024-03-09\n")
    now, before = _frames(path, monkeypatch)
    _same(now, before)
    assert now.frame["id"].tolist() == ["row-2", "row-3"]


def test_str_texts_are_passed_through_and_others_converted() -> None:
    """The change itself: a ``str`` column's arrow array is used as it is (no Python
    objects); a ``string`` (``pd.NA``) or object column gives numpy values as before."""
    s = pd.Series(["a", None, "b"], dtype="str")
    assert _points._values(s) is s.array
    for other in (
        pd.Series(["a", None], dtype="string"),
        pd.Series(np.array(["a", 1], dtype=object)),
        pd.Series([1.5, 2.0]),
    ):
        got = _points._values(other)
        assert isinstance(got, np.ndarray)
        assert got.dtype == other.to_numpy().dtype
        assert [str(v) for v in got] == [str(v) for v in other.to_numpy()]


_DATE_CASES = [
    ["2024-03-02", None, "2024-03-02", "2024-03", "2024", "2024-03-02 10:15", "soon"],
    ["17/10/2008", "09/06/2023", None, "09/06/2023"],
    ["10/17/2008", "09/06/2023", "09/06/2023"],
    ["2024-03-02", "20 February 2009", "2024-03-02"],
    ["", "2024-01-01", "  ", "2024-01-01"],
]


@pytest.mark.parametrize("values", _DATE_CASES)
@pytest.mark.parametrize("copies", [1, 50])  # 50: few distinct values, parsed once each
def test_dates_parse_the_same_from_str_and_from_objects(values: list[Any], copies: int) -> None:
    """:func:`parse_dates` of pandas' ``str`` texts (factorized as they are) equals that of
    the same texts as Python objects: dates, precision, bad rows and the decision."""
    rows = values * copies
    as_str = _dates.parse_dates(
        pd.Series(rows, dtype="str"), date_format=None, dayfirst=False, column="d"
    )
    as_obj = _dates.parse_dates(
        pd.Series(rows, dtype=object), date_format=None, dayfirst=False, column="d"
    )
    pd.testing.assert_series_equal(as_str.dates, as_obj.dates)
    assert as_str.precision.tolist() == as_obj.precision.tolist()
    assert as_str.bad.tolist() == as_obj.bad.tolist()
    assert as_str.format == as_obj.format


def test_ambiguous_dates_are_refused_the_same_from_str() -> None:
    """Day-first and month-first values that disagree: the same refusal, naming the rows."""
    rows = ["17/10/2008", "10/17/2008"] * 30
    messages = []
    for dtype in ("str", object):
        with pytest.raises(DataError) as err:
            _dates.parse_dates(
                pd.Series(rows, dtype=dtype), date_format=None, dayfirst=False, column="d"
            )
        messages.append(str(err.value))
    assert messages[0] == messages[1]


_CATEGORY_CASES = {
    "spellings": [" VBG", "VBG", "vol ", None, "", "zz", "Braquage", "zz"],
    "all missing": [None, "", "  ", None, None, "", None, None],
    "one text": ["vol"] * 8,
}


@pytest.mark.parametrize("case", sorted(_CATEGORY_CASES))
def test_category_columns_are_made_from_the_distinct_values(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``category`` and ``category_raw`` made from the distinct values equal the columns
    made from every row (as before wave 19), blanks, missing and unmatched texts included;
    so does a frame read again (its ``category_raw`` kept)."""
    from borderwatch.io import incidents as inc_mod

    values = _CATEGORY_CASES[case]
    n = len(values)
    frame = pd.DataFrame(
        {"lon": np.linspace(1.40, 1.47, n), "lat": np.linspace(14.20, 14.27, n), "crime": values}
    )
    frame["crime"] = frame["crime"].astype("str")

    def without_made(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs)._replace(made=None)

    original = inc_mod._map_distinct
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        now = load_incidents(frame)
        again = load_incidents(now.frame)
        with monkeypatch.context() as m:
            m.setattr(inc_mod, "_map_distinct", without_made)
            before = load_incidents(frame)
            before_again = load_incidents(before.frame)
    _same(now, before)
    _same(again, before_again)
    if case != "all missing":
        assert str(now.frame["category"].dtype) == "str"


def _place_cases() -> dict[str, pd.DataFrame]:
    """Incidents in the Liptako-Gourma units: as given, with the columns exchanged, far
    away, and with their own (wrong) country."""
    rng = np.random.default_rng(19)
    lon, lat = rng.uniform(0.5, 2.5, 300), rng.uniform(12.5, 14.5, 300)
    return {
        "given": pd.DataFrame({"lon": lon, "lat": lat}),
        "swapped": pd.DataFrame({"lon": lat, "lat": lon}),
        "away": pd.DataFrame({"lon": lon + 40.0, "lat": lat - 30.0}),
        "country": pd.DataFrame({"lon": lon, "lat": lat, "country": ["GHA"] * 300}),
    }


@pytest.mark.parametrize("case", ["given", "swapped", "away", "country"])
def test_the_place_check_started_ahead_decides_as_before(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The area test started in a thread while the columns are made (:class:`Ahead`)
    gives the check the same answers, the same refusal and the same message as the test
    made in the check from the points' own coordinates."""
    from borderwatch.datasets import demo_units
    from borderwatch.io import _place
    from borderwatch.io import incidents as inc_mod

    units = demo_units()
    frame = _place_cases()[case]
    seen: list[Any] = []
    check = _place.check_place

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("ahead"))
        return check(*args, **kwargs)

    def read(ahead: bool) -> tuple[str, Any]:
        with warnings.catch_warnings(), monkeypatch.context() as m:
            warnings.simplefilter("ignore")
            m.setattr(inc_mod, "check_place", spy)
            if not ahead:
                m.setattr(inc_mod, "Ahead", lambda *a: None)
            try:
                return "ok", load_incidents(frame, units=units).frame
            except DataError as err:
                return str(err), None

    now, before = read(True), read(False)
    assert isinstance(seen[0], _place.Ahead) and seen[1] is None
    assert now[0] == before[0]
    assert (now[0] == "ok") == (case in ("given", "country"))
    if now[1] is not None:
        pd.testing.assert_frame_equal(now[1], before[1])
    ahead = _place.Ahead(units, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    _, area, inside = ahead.result()
    direct = _place._inside(units, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    assert area.equals(direct[0]) and inside.tolist() == direct[1].tolist()


def test_units_without_a_crs_are_refused_after_the_readers_own_errors(
    tmp_path: Path,
) -> None:
    """The area test started ahead checks the units in its thread, so a problem with them
    is raised where it was before: after a missing column's error, and after the
    warning about an unmatched category (review of wave 19)."""
    from borderwatch.datasets import demo_units

    units = demo_units().set_crs(None, allow_override=True)
    path = tmp_path / "incidents.csv"
    path.write_text("lon,lat,category\n1.45,14.21,zzz unknown\n1.46,14.22,VBG\n")
    with pytest.raises(DataError, match="category column 'nope'"):
        load_incidents(path, units=units, category_col="nope")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match="coordinate reference system"):
            load_incidents(path, units=units)
    assert any("not in the crosswalk" in str(w.message) for w in shown)


def test_the_readers_coordinates_serve_the_centre_and_the_join() -> None:
    """Inside a run, the study centre and the join's locations take the longitudes and
    latitudes the reader made the points of (no pass over a million geometries), and get
    what the points give: the same centre, the same locations and projected numbers, bit
    for bit (``-0.0`` included). A copy of the frame, or any use outside a run, reads the
    points as before."""
    from pyproj import CRS

    from borderwatch import join as join_mod
    from borderwatch._crs import centred_crs, study_centre
    from borderwatch._geom import remembered_lonlat
    from borderwatch._memo import remembering
    from borderwatch.datasets import demo_units

    units = demo_units()
    rng = np.random.default_rng(7)
    lon = np.round(rng.uniform(0.5, 2.5, 400), 3)
    lat = np.round(rng.uniform(12.5, 14.5, 400), 3)
    lon[:5] = -0.0  # on the meridian, written as -0.0
    lon[10:100], lat[10:100] = lon[7], lat[7]  # a stack: locations, not rows
    frame = pd.DataFrame({"lon": lon, "lat": lat})
    crs = centred_crs(1.5, 13.5)

    def located(inc: Any) -> Any:
        at = join_mod._Locations.of(inc.geometry, CRS(crs))
        return at.where, at.projected_xy, study_centre(units, incidents=inc)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outside = load_incidents(frame, units=units).frame
        assert remembered_lonlat(outside.geometry.array) is None
        with remembering():
            inside = load_incidents(frame, units=units).frame
            known = remembered_lonlat(inside.geometry.array)
            assert known is not None and not known[0].flags.writeable
            assert np.signbit(known[0][:5]).all()
            assert remembered_lonlat(inside.copy().geometry.array) is None
            got = located(inside)
        want = located(outside)
    assert got[0].tolist() == want[0].tolist()
    for a, b in zip(got[1], want[1], strict=True):
        assert a.tobytes() == b.tobytes()
    assert got[2] == want[2]
