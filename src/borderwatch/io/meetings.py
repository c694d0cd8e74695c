"""Reading community meetings: points with a place, topics and attendance by group."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from .._crs import WGS84
from .._errors import DataError
from ._columns import ATTENDANCE_NAMES, ATTENDANCE_TOTAL, PLACE, TOPICS, find
from ._loaded import Loaded
from ._place import check_place
from ._points import Points, present, read_points, to_number
from ._table import OnInvalid, Source, TextOptions

__all__ = ["load_meetings", "read_meetings"]

_FIRST = 3  # place, topics and attendance come after id, date and date_precision


def load_meetings(
    source: Source,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    time_col: str | None = None,
    id_col: str | None = None,
    place_col: str | None = None,
    topics_col: str | None = None,
    attendance_cols: Mapping[str, str] | None = None,
    units: gpd.GeoDataFrame | None = None,
    on_invalid: OnInvalid = "raise",
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    swap_check: bool = True,
) -> Loaded:
    """Read community meetings, with the detected columns and the rows dropped.

    Takes the same arguments as :func:`read_meetings`, whose frame is
    ``load_meetings(...).frame``. ``columns`` holds the input columns used for
    ``lon``, ``lat``, ``time`` and ``id``.

    Examples
    --------
    >>> import pandas as pd
    >>> loaded = load_meetings(pd.DataFrame({"y": [14.2], "x": [1.45], "women": [4]}))
    >>> loaded.columns
    {'lon': 'x', 'lat': 'y', 'time': None, 'id': None}
    >>> int(loaded.frame.loc[0, "att_women"])
    4
    """
    sink: list[str] = []
    pts = read_points(
        "meetings",
        source,
        lon_col=lon_col,
        lat_col=lat_col,
        time_col=time_col,
        id_col=id_col,
        on_invalid=on_invalid,
        date_format=date_format,
        dayfirst=dayfirst,
        sheet=sheet,
        text=TextOptions(sep=sep, decimal=decimal, encoding=encoding),
        sink=sink,
    )
    if units is not None and len(pts.frame):
        check_place(
            pts.frame,
            pts.table,
            "meetings",
            units,
            names=(str(pts.columns["lon"]), str(pts.columns["lat"])),
            options=("meeting_lon_col", "meeting_lat_col"),
            swap_check=swap_check,
        )
    frame = pts.frame.copy()
    placec = place_col or find(frame, PLACE, exclude={"id", "date"})
    topicsc = topics_col or find(frame, TOPICS, exclude={"id", "date"})
    place = _text(frame, placec)
    topics = _text(frame, topicsc)
    drop = [c for c in (placec, topicsc) if c]
    att = _attendance(pts, frame, attendance_cols, drop)
    totalc = find(frame, ATTENDANCE_TOTAL, exclude={"id", "date", *drop})
    given = _people(pts, frame, totalc, "attendance") if totalc else None
    frame = frame.drop(columns=[c for c in (*drop, totalc) if c and c in frame.columns])
    frame.insert(_FIRST, "place", place.to_numpy(dtype=object))
    frame.insert(_FIRST + 1, "topics", topics.to_numpy(dtype=object))
    for i, (key, vals) in enumerate(att.items()):
        frame.insert(_FIRST + 2 + i, key, vals.to_numpy())
    total = pd.DataFrame(att).sum(axis=1, min_count=1).astype("Int64")
    if given is not None:  # the file's own total where it gives one
        total = given.where(given.notna(), total)
    frame.insert(_FIRST + 2 + len(att), "attendance", total.to_numpy())
    return Loaded(
        frame=gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84),
        source=pts.table.source,
        columns=dict(pts.columns),
        dropped=pts.dropped,
        notes=tuple(pts.table.notes),
        warnings=tuple(sink),
        decisions=dict(pts.decisions),
    )


def read_meetings(
    source: Source,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    time_col: str | None = None,
    id_col: str | None = None,
    place_col: str | None = None,
    topics_col: str | None = None,
    attendance_cols: Mapping[str, str] | None = None,
    units: gpd.GeoDataFrame | None = None,
    on_invalid: OnInvalid = "raise",
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    swap_check: bool = True,
) -> gpd.GeoDataFrame:
    """Read community meetings (joint police–community problem-solving sessions).

    Detects coordinates, date and id like :func:`read_incidents`, plus the
    place, the topics and attendance by group: ``att_women``, ``att_men``,
    ``att_youth``, ``att_migrants`` (migrants/displaced), ``att_police`` and
    ``att_leaders`` (local leaders). Columns named ``women``, ``youth``,
    ``police``, ... are recognised; ``attendance_cols`` maps the standard names
    to yours. ``attendance`` is the file's own total where it has one (a column
    named ``attendance``, ``attendees``, ``participants``, ...), else the sum of
    the groups. A frame read before can be read again unchanged. The other
    keywords are those of :func:`read_incidents`.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with ``id``, ``date``, ``date_precision``, ``place``,
        ``topics``, the six attendance columns (nullable integers),
        ``attendance`` (their total) and the other input columns.
        :func:`load_meetings` returns it with the detected columns and the
        rows dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lat": [14.2], "lon": [1.45], "date": ["2024-05-02"],
    ...                    "women": [12], "police": [3], "topics": ["cattle theft; roads"]})
    >>> m = read_meetings(df)
    >>> int(m.loc[0, "attendance"]), m.loc[0, "topics"]
    (15, 'cattle theft; roads')
    """
    return load_meetings(
        source,
        lon_col=lon_col,
        lat_col=lat_col,
        time_col=time_col,
        id_col=id_col,
        place_col=place_col,
        topics_col=topics_col,
        attendance_cols=attendance_cols,
        units=units,
        on_invalid=on_invalid,
        date_format=date_format,
        dayfirst=dayfirst,
        sheet=sheet,
        sep=sep,
        decimal=decimal,
        encoding=encoding,
        swap_check=swap_check,
    ).frame


# -- steps ----------------------------------------------------------------------------------


def _text(frame: pd.DataFrame, col: str | None) -> pd.Series:
    """A column as text (None where missing), or all None without the column."""
    values = (
        frame[col].astype("string").astype(object)
        if col
        else pd.Series([None] * len(frame), dtype=object)
    )
    return values.where(pd.notna(values), None)


def _attendance(
    pts: Points, frame: pd.DataFrame, attendance_cols: Mapping[str, str] | None, drop: list[str]
) -> dict[str, pd.Series]:
    """Each attendance column (nullable integers, missing without a column); whole
    non-negative numbers only. The input columns used are appended to ``drop``."""
    att: dict[str, pd.Series] = {}
    for key, cands in ATTENDANCE_NAMES.items():
        col = (attendance_cols or {}).get(key) or find(frame, cands, exclude={"id", "date", *drop})
        if col is None or col not in frame.columns:
            att[key] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            continue
        att[key] = _people(pts, frame, col, key)
        drop.append(col)
    return att


def _people(pts: Points, frame: pd.DataFrame, col: str, key: str) -> pd.Series:
    """Column ``col`` as nullable whole numbers of people (``key`` names it in the error)."""
    vals = to_number(frame[col])
    bad = (
        (vals < 0).to_numpy()
        | (vals.notna() & (vals != np.floor(vals))).to_numpy()
        | (vals.isna().to_numpy() & present(frame[col]))  # text such as "many"
    )
    if bad.any():
        msg = (
            f"{pts.table.source}: column '{col}' ({key}) must hold whole numbers of people, "
            f"{pts.table.rows(bad)} do not. Hint: fix the attendance counts, or name the right "
            "column with [[attendance_cols]]."
        )
        raise DataError(msg)
    return vals.round().astype("Int64")
