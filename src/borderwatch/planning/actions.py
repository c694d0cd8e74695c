"""Agreed actions: read, check and follow up (:func:`read_actions`, :func:`overdue_actions`).

An action is what a community meeting agreed to do: an id, a text, an owner,
a due date, a status (``open``, ``done`` or ``dropped``) and the date it was
done. Actions come from a file of their own (CSV or Excel; last time's
``action_plan.xlsx`` reads back as one) or from columns of the meetings file.
Each action is placed by its meeting (``meeting_id``), by its own
coordinates (``lon``/``lat``) or by a unit (``unit_id``), so that the open
overdue actions of an area can be counted.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .._crs import WGS84
from .._errors import DataError
from .._schema import fold
from ..io._columns import find
from ..io._dates import parse_dates
from ..io._table import Source, Table, load_table

__all__ = [
    "gather_actions",
    "ACTION_COLUMNS",
    "PLAN_BLANKS",
    "action_plan",
    "STATUSES",
    "actions_from_meetings",
    "empty_actions",
    "overdue_actions",
    "read_actions",
]

#: The status of an action.
STATUSES: Final = ("open", "done", "dropped")

#: The standard columns of an actions frame, in order.
ACTION_COLUMNS: Final = (
    "action_id",
    "action",
    "owner",
    "due",
    "status",
    "done_date",
    "meeting_id",
    "unit_id",
    "place",
    "lon",
    "lat",
)

#: Column names recognised for each standard column (folded; five languages).
_NAMES: Final = {
    "action_id": ["action_id", "id", "action id", "id action", "id accion", "id acao"],
    "action": [
        "action",
        "agreed action",
        "action agreed",
        "action text",
        "text",
        "action convenue",
        "accion",
        "accion acordada",
        "acao",
        "acao acordada",
        "الإجراء",
    ],
    "owner": ["owner", "responsible", "responsable", "responsavel", "who", "المسؤول"],
    "due": [
        "due",
        "due date",
        "deadline",
        "date",
        "echeance",
        "date limite",
        "fecha limite",
        "prazo",
        "الموعد",
    ],
    "status": ["status", "statut", "estado", "situacao", "الحالة"],
    "done_date": [
        "done date",
        "date done",
        "done",
        "completed",
        "date realisation",
        "fecha realizacion",
        "data conclusao",
    ],
    "meeting_id": ["meeting_id", "meeting", "reunion", "reuniao", "meeting id"],
    "unit_id": ["unit_id", "unit", "unite", "unidad", "unidade"],
    "place": ["place", "area", "lieu", "lugar", "local", "town", "village", "zone"],
    "lon": ["lon", "longitude", "x"],
    "lat": ["lat", "latitude", "y"],
}

#: Status words in the five languages (folded) -> status.
_STATUS_WORDS: Final = {
    **dict.fromkeys(
        [
            "open",
            "ongoing",
            "in progress",
            "pending",
            "todo",
            "ouvert",
            "ouverte",
            "en cours",
            "abierto",
            "abierta",
            "pendiente",
            "en curso",
            "aberto",
            "aberta",
            "pendente",
            "em curso",
            "مفتوح",
            "جار",
        ],
        "open",
    ),
    **dict.fromkeys(
        [
            "done",
            "closed",
            "completed",
            "complete",
            "fait",
            "faite",
            "realise",
            "realisee",
            "termine",
            "terminee",
            "hecho",
            "hecha",
            "cumplido",
            "completado",
            "feito",
            "feita",
            "concluido",
            "concluida",
            "منجز",
            "تم",
        ],
        "done",
    ),
    **dict.fromkeys(
        [
            "dropped",
            "cancelled",
            "canceled",
            "abandoned",
            "abandonne",
            "abandonnee",
            "annule",
            "abandonado",
            "abandonada",
            "cancelado",
            "cancelada",
            "ملغى",
        ],
        "dropped",
    ),
}

#: Meeting-file columns holding an agreed action (one per meeting row).
_MEETING_ACTION: Final = [
    "action",
    "agreed action",
    "action agreed",
    "action convenue",
    "accion acordada",
    "acao acordada",
]


def read_actions(
    source: Source,
    *,
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
) -> pd.DataFrame:
    """Read agreed actions from a CSV or Excel file (or a frame).

    Columns are recognised by name in five languages (``action``/``action
    convenue``/``acción``, ``owner``/``responsable``, ``due``/``échéance``,
    ``status``/``statut``, ...). Rows without an action text are skipped: the
    empty rows of an ``action_plan.xlsx`` nobody filled in. Statuses are
    ``open``, ``done`` or ``dropped`` (or the same words in French, Spanish,
    Portuguese or Arabic); a missing status is ``open``.

    Returns
    -------
    DataFrame
        :data:`ACTION_COLUMNS`: ``due`` and ``done_date`` as datetimes (NaT
        where missing), ``lon``/``lat`` floats (NaN where missing), the rest
        text (None where missing); ``action_id`` is ``A<n>`` (the row) when the
        file has none.

    Raises
    ------
    DataError
        Naming the file, the column and the rows: no action column, an
        unknown status, an unreadable date, ``done`` without being done, a
        row with an owner or date but no action, or repeated ids.

    Examples
    --------
    >>> df = pd.DataFrame({"Action": ["Patrol the market road", None],
    ...                    "Responsable": ["Police Ménaka", None],
    ...                    "Echéance": ["2024-06-30", None], "Statut": ["en cours", None]})
    >>> a = read_actions(df)
    >>> a[["action_id", "owner", "status"]].to_dict("records")
    [{'action_id': 'A1', 'owner': 'Police Ménaka', 'status': 'open'}]
    >>> str(a.loc[0, "due"].date())
    '2024-06-30'
    """
    table = load_table(source, what="actions", sheet=sheet)
    cols = _columns(table)
    if cols["action"] is None:
        shown = ", ".join(map(str, list(table.frame.columns)[:30]))
        msg = (
            f"{table.source}: no column holds the agreed actions (looked for 'action', 'action "
            f"convenue', 'acción', ...). Columns present: {shown}. Hint: name the column 'action'."
        )
        raise DataError(msg)
    return _build(table, cols, date_format=date_format, dayfirst=dayfirst)


def gather_actions(
    source: Source | None,
    meetings: pd.DataFrame | None,
    *,
    date_format: str | None = None,
    dayfirst: bool = False,
    meetings_source: str = "meetings",
) -> pd.DataFrame | None:
    """The agreed actions of an actions file and of the meetings file's columns, together.

    What ``borderwatch analyze`` and ``borderwatch validate`` read (``--actions``
    and the action columns of ``--meetings``), with the same checks.

    Parameters
    ----------
    source : path, file or DataFrame, optional
        The actions file (CSV or Excel; last time's ``action_plan.xlsx``).
    meetings : DataFrame, optional
        The meetings, whose ``action``/``owner``/``due``/``status``/``done_date``
        columns hold one action per meeting.
    date_format, dayfirst : optional
        How to read the dates (as for the incidents).
    meetings_source : str, default "meetings"
        The name of the meetings file in error messages.

    Returns
    -------
    DataFrame or None
        :data:`ACTION_COLUMNS`; None when neither holds any action.

    Raises
    ------
    DataError
        Naming the file, the column and the rows, with a hint: an unknown
        status, ``done`` without a date done, an unreadable date, a row with an
        owner or date but no action, repeated ids, or an id in both files.

    Examples
    --------
    >>> m = pd.DataFrame({"id": ["M1"], "action": ["Repair the well"], "status": ["done"]})
    >>> gather_actions(None, m, meetings_source="meetings.csv")
    Traceback (most recent call last):
    ...
    borderwatch._errors.DataError: meetings.csv: column 'status' says done but no date done is given in line 2. Hint: add a column 'done_date' with the day each action was done (YYYY-MM-DD), or set the status back to open.
    """
    parts = []
    if source is not None:
        parts.append(read_actions(source, date_format=date_format, dayfirst=dayfirst))
    if meetings is not None:
        parts.append(actions_from_meetings(meetings, source=meetings_source))
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    dup = out["action_id"].duplicated()
    if dup.any():
        msg = (
            f"action ids appear both in the actions file and in the meetings file "
            f"({', '.join(sorted(set(out.loc[dup, 'action_id'])))[:80]}). Hint: keep each "
            "action in one of them."
        )
        raise DataError(msg)
    return out


def actions_from_meetings(meetings: pd.DataFrame, *, source: str = "meetings") -> pd.DataFrame:
    """The actions recorded in columns of a meetings frame (one per meeting row).

    A meetings file may carry ``action``, ``owner``, ``due``, ``status`` and
    ``done_date`` columns (the names :func:`read_actions` knows); each row with
    an action text gives one action of that meeting, placed at the meeting.
    Returns an empty frame of :data:`ACTION_COLUMNS` when there is no action
    column.

    Examples
    --------
    >>> m = pd.DataFrame({"id": ["M1", "M2"], "action": ["Repair the well", None],
    ...                   "owner": ["Mayor", None], "due": ["2024-01-31", None],
    ...                   "lon": [1.0, 2.0], "lat": [14.0, 14.5]})
    >>> actions_from_meetings(m)[["action_id", "meeting_id", "status"]].to_dict("records")
    [{'action_id': 'M1-A', 'meeting_id': 'M1', 'status': 'open'}]
    """
    col = find(meetings, _MEETING_ACTION)
    if col is None:
        return empty_actions()
    frame = pd.DataFrame(meetings).copy()
    if isinstance(meetings, gpd.GeoDataFrame) and len(frame):
        pts = meetings.geometry.to_crs(WGS84) if meetings.crs is not None else meetings.geometry
        frame["lon"], frame["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
    frame = frame.drop(columns=[c for c in ("geometry", "action_id") if c in frame.columns])
    ids = (
        frame["id"].astype(str)
        if "id" in frame.columns
        else pd.Series([f"M{i + 1}" for i in range(len(frame))])
    )
    frame["meeting_id"] = ids.to_numpy()
    frame["action_id"] = [f"{m}-A" for m in ids]
    table = Table(frame.reset_index(drop=True), source, np.arange(2, len(frame) + 2), is_file=True)
    cols = _columns(table, exclude={"id", "date"})
    cols["action"] = col
    cols["due"] = find(frame, [c for c in _NAMES["due"] if c != "date"], exclude={"date"})
    return _build(table, cols, date_format=None, dayfirst=False)


def overdue_actions(
    actions: pd.DataFrame, *, as_of: pd.Timestamp, by: str | None = None
) -> pd.DataFrame | pd.Series:
    """The open actions past their due date on ``as_of``; counted ``by`` a column if given.

    Examples
    --------
    >>> a = pd.DataFrame({"status": ["open", "open", "done"], "owner": ["A", "B", "A"],
    ...                   "due": pd.to_datetime(["2024-01-01", "2025-01-01", "2023-01-01"])})
    >>> len(overdue_actions(a, as_of=pd.Timestamp("2024-06-01")))
    1
    >>> overdue_actions(a, as_of=pd.Timestamp("2024-06-01"), by="owner").to_dict()
    {'A': 1}
    """
    due = pd.to_datetime(actions["due"])
    late = actions[(actions["status"] == "open") & due.notna() & (due < as_of)]
    if by is None:
        return late.reset_index(drop=True)
    return late.groupby(by, dropna=False).size().rename("overdue")


# -- steps ----------------------------------------------------------------------------------


def empty_actions() -> pd.DataFrame:
    """An actions frame without rows (the columns of :data:`ACTION_COLUMNS`)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in ACTION_COLUMNS})
    for c in ("due", "done_date"):
        out[c] = pd.Series(dtype="datetime64[ns]")
    for c in ("lon", "lat"):
        out[c] = pd.Series(dtype=float)
    return out


def _columns(table: Table, *, exclude: set[str] | None = None) -> dict[str, str | None]:
    """The input column of each standard column (None when absent), each used once."""
    used: set[str] = set(exclude or ())
    out: dict[str, str | None] = {}
    order = (
        "action_id",
        "meeting_id",
        "unit_id",
        "done_date",
        "due",
        "owner",
        "status",
        "action",
        "place",
        "lon",
        "lat",
    )
    for key in order:
        col = find(table.frame, _NAMES[key], exclude=used)
        out[key] = col
        if col is not None:
            used.add(col)
    return out


def _text(frame: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    s = frame[col].astype("string").str.strip()
    s = s.where(s.notna() & (s != ""), None).astype(object)
    return s.where(pd.notna(s), None)


def _build(
    table: Table, cols: dict[str, str | None], *, date_format: str | None, dayfirst: bool
) -> pd.DataFrame:
    frame = table.frame
    text = _text(frame, cols["action"])
    owner, status_raw = _text(frame, cols["owner"]), _text(frame, cols["status"])
    filled = text.notna().to_numpy()
    stray = ~filled & (owner.notna() | _text(frame, cols["due"]).notna()).to_numpy()
    if stray.any():
        msg = (
            f"{table.source}: {table.rows(stray)} have an owner or a due date but no action in "
            f"column '{cols['action']}'. Hint: write the agreed action, or clear the row."
        )
        raise DataError(msg)
    due = _dates(table, cols["due"], date_format=date_format, dayfirst=dayfirst)
    done = _dates(table, cols["done_date"], date_format=date_format, dayfirst=dayfirst)
    status = _status(table, cols["status"], status_raw, filled)
    if cols["done_date"] is not None:
        status = np.where((status == "open") & done.notna().to_numpy(), "done", status)
    _check_done(table, cols, status, done.notna().to_numpy() | ~filled)
    ids = _text(frame, cols["action_id"])
    ids = ids.where(
        ids.notna(), pd.Series([f"A{i + 1}" for i in range(len(frame))], index=frame.index)
    )
    out = pd.DataFrame(
        {
            "action_id": ids.astype(str),
            "action": text,
            "owner": owner,
            "due": due,
            "status": status,
            "done_date": done,
            "meeting_id": _text(frame, cols["meeting_id"]),
            "unit_id": _text(frame, cols["unit_id"]),
            "place": _text(frame, cols["place"]),
            "lon": _number(frame, cols["lon"]),
            "lat": _number(frame, cols["lat"]),
        }
    )
    out = out[filled].reset_index(drop=True)
    _check_ids(table, out, filled)
    return out


def _dates(table: Table, col: str | None, *, date_format: str | None, dayfirst: bool) -> pd.Series:
    if col is None:
        return pd.Series(pd.NaT, index=table.frame.index, dtype="datetime64[ns]")
    parsed = parse_dates(
        table.frame[col],
        date_format=date_format,
        dayfirst=dayfirst,
        column=col,
        source=table.source,
        rows=lambda m: table.rows(m),
    )
    if parsed.bad.any():
        msg = (
            f"{table.source}: column '{col}' has dates that cannot be read in "
            f"{table.rows(parsed.bad)}. Hint: write dates as YYYY-MM-DD (or give the "
            "format with [[date_format]])."
        )
        raise DataError(msg)
    return pd.Series(pd.to_datetime(parsed.dates).to_numpy(), index=table.frame.index)


def _status(table: Table, col: str | None, raw: pd.Series, filled: np.ndarray) -> np.ndarray:
    words = raw.map(lambda v: None if v is None else _STATUS_WORDS.get(fold(v), "?"))
    bad = (words == "?").to_numpy() & filled
    if bad.any():
        seen = sorted({str(v) for v in raw[bad]})[:5]
        msg = (
            f"{table.source}: column '{col}' has statuses that are not open, done or dropped in "
            f"{table.rows(bad)} ({', '.join(repr(s) for s in seen)}). Hint: write open, done "
            "or dropped (or ouvert/fait/abandonné, abierto/hecho/abandonado, ...)."
        )
        raise DataError(msg)
    return words.where(words.notna(), "open").to_numpy(dtype=object)


def _check_done(
    table: Table, cols: dict[str, str | None], status: np.ndarray, dated: np.ndarray
) -> None:
    """An action marked done must say when (its effect is measured from that day)."""
    undated = (status == "done") & ~dated
    if not undated.any():
        return
    where = (
        f"column '{cols['done_date']}' is empty"
        if cols["done_date"] is not None
        else "no date done is given"
    )
    fix = (
        "write the day it was done (YYYY-MM-DD)"
        if cols["done_date"] is not None
        else "add a column 'done_date' with the day each action was done (YYYY-MM-DD)"
    )
    msg = (
        f"{table.source}: column '{cols['status']}' says done but {where} in "
        f"{table.rows(undated)}. Hint: {fix}, or set the status back to open."
    )
    raise DataError(msg)


def _number(frame: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").astype(float)


def _check_ids(table: Table, out: pd.DataFrame, filled: np.ndarray) -> None:
    dup = out["action_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        mask = np.zeros(len(table.frame), dtype=bool)
        mask[np.flatnonzero(filled)[dup]] = True
        msg = (
            f"{table.source}: action ids repeat in {table.rows(mask)} "
            f"({', '.join(sorted(set(out.loc[dup, 'action_id'])))[:80]}). Hint: give each "
            "action its own id, or leave the id column out."
        )
        raise DataError(msg)


#: The columns of ``action_plan.xlsx`` left empty for the meeting to fill in.
PLAN_BLANKS: Final = ("action", "owner", "due", "status", "done_date")


def action_plan(priorities: gpd.GeoDataFrame | None, *, rows: int = 10) -> pd.DataFrame:
    """The top ``rows`` priorities as an action plan to fill in during the meeting.

    Each row has the area (``rank``, ``place``, ``countries``, ``cross_border``,
    ``reason``) and the empty columns :data:`PLAN_BLANKS`. Saved as
    ``action_plan.xlsx``, the filled-in file reads back with :func:`read_actions`
    (rows left empty are skipped), and each action is placed at its ``place``: the
    town (from the gazetteer) or unit the area is named after. No coordinates are
    written: a point inside a small area could sit on an incident.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> pr = gpd.GeoDataFrame({"rank": [1], "place": ["Ménaka"], "countries": ["MLI"],
    ...                        "cross_border": [False], "reason": ["..."]},
    ...                       geometry=[box(2.3, 15.8, 2.5, 16.0)], crs=4326)
    >>> list(action_plan(pr).columns)  # doctest: +NORMALIZE_WHITESPACE
    ['rank', 'place', 'countries', 'cross_border', 'reason', 'action', 'owner', 'due', 'status',
     'done_date']
    """
    cols = ["rank", "place", "countries", "cross_border", "reason", *PLAN_BLANKS]
    if priorities is None or not len(priorities):
        return pd.DataFrame(columns=cols)
    top = priorities.sort_values("rank").head(int(rows))
    out = pd.DataFrame({c: top[c].to_numpy() if c in top.columns else None for c in cols[:5]})
    for c in PLAN_BLANKS:
        out[c] = None
    return out
