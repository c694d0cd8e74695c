"""Parsing a date, datetime, month or year column, keeping the precision of each value.

Day and month are never guessed. Numeric dates such as ``09/06/2023`` or
``09.06.2023`` can be read day first or month first; a value whose first
number is over 12 (``17/10/2008``) can only be read day first, one whose
second number is over 12 only month first. When the values that can be
read one way only all agree, every value is read that way and the decision
is recorded (:attr:`ParsedDates.format`); when they disagree, or when no
value settles it, :func:`parse_dates` raises :class:`~borderwatch.DataError`
naming the column, an example and the fix (``dayfirst`` or ``date_format``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import DataError

__all__ = ["ParsedDates", "parse_dates"]

_YEAR = re.compile(r"^\d{4}(\.0)?$")
_MONTH = re.compile(r"^\d{4}[-/.]\d{1,2}$")
_MONTH_YEAR = re.compile(r"^(?P<m>\d{1,2})[-/.](?P<y>\d{4})$")
_TIME_PART = re.compile(r"\d{1,2}:\d{2}")
#: Day and month in either order, then the year (2 or 4 digits), then an optional time.
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)

Rows = Callable[[np.ndarray], str]


@dataclass(frozen=True)
class ParsedDates:
    """A parsed date column.

    ``dates`` (datetime64[ns], NaT where missing or bad), ``precision``
    (``"year"``, ``"month"``, ``"day"``, ``"datetime"`` or None) and ``bad``
    (True where a value is present but unparseable), all in row order;
    ``format`` says how the values were read: the ``date_format`` given, the
    reading decided for numeric day/month dates (``"%d/%m/%Y"``), ``"ISO 8601"``,
    ``"ISO 8601 and written dates"`` (some values such as ``"20 February 2009"`` read by
    pandas' mixed parser), ``"year numbers"``, ``"excel"`` (Excel day numbers, asked for
    with ``date_format="excel"``), ``"dates"`` (already dates), or None without values.
    """

    dates: pd.Series
    precision: pd.Series
    bad: np.ndarray
    format: str | None = None


def parse_dates(
    raw: pd.Series,
    *,
    date_format: str | None,
    dayfirst: bool,
    column: str = "date",
    source: str = "<DataFrame>",
    rows: Rows | None = None,
) -> ParsedDates:
    """Parse a date/datetime/year column, keeping the precision of each value.

    ``column``, ``source`` and ``rows`` (a function from a row mask to "lines 3, 7")
    name the column and its rows in messages.

    Examples
    --------
    >>> p = parse_dates(pd.Series(["2024", "2024-03", "2024-03-02", "2024-03-02 10:15", "soon"]),
    ...                 date_format=None, dayfirst=False)
    >>> p.precision.tolist(), p.bad.tolist(), p.format
    (['year', 'month', 'day', 'datetime', None], [False, False, False, False, True], 'ISO 8601')
    >>> p = parse_dates(pd.Series(["17/10/2008", "09/06/2023"]), date_format=None, dayfirst=False)
    >>> p.dates.dt.strftime("%d %B %Y").tolist(), p.format
    (['17 October 2008', '09 June 2023'], '%d/%m/%Y')
    """
    s = pd.Series(raw).reset_index(drop=True)
    where = _Where(column, source, rows or _index_rows)
    if pd.api.types.is_datetime64_any_dtype(s):
        return _from_datetimes(s)
    if date_format == EXCEL:
        return _from_excel(s)
    if pd.api.types.is_numeric_dtype(s):
        return _from_numbers(s)
    return _from_distinct(s, date_format=date_format, dayfirst=dayfirst, where=where)


def _from_distinct(
    s: pd.Series, *, date_format: str | None, dayfirst: bool, where: _Where
) -> ParsedDates:
    """:func:`_from_text` on each distinct text once (a million incidents over three years
    hold about a thousand distinct dates), spread back to the rows. The reading decided
    from the distinct values is the one all rows would give; when a value is refused, the
    rows are parsed again so that the message names their lines."""
    text = isinstance(s.dtype, pd.StringDtype)  # pandas' own texts: no Python objects
    codes, distinct = pd.factorize(s if text else s.astype(object), use_na_sentinel=True)
    if len(distinct) * 2 > len(s):
        return _from_text(s, date_format=date_format, dayfirst=dayfirst, where=where)
    try:
        once = _from_text(
            pd.Series(list(distinct) + [None], dtype=object),
            date_format=date_format,
            dayfirst=dayfirst,
            where=where,
        )
    except DataError:
        return _from_text(s, date_format=date_format, dayfirst=dayfirst, where=where)
    take = np.where(codes < 0, len(distinct), codes)  # missing values: the trailing None
    return ParsedDates(
        once.dates.iloc[take].reset_index(drop=True),
        once.precision.iloc[take].reset_index(drop=True),
        np.asarray(once.bad)[take],
        once.format,
    )


@dataclass(frozen=True)
class _Where:
    column: str
    source: str
    rows: Rows


def _index_rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:10])
    return f"rows {shown}" + (f" (and {len(idx) - 10} more)" if len(idx) > 10 else "")


def _from_datetimes(s: pd.Series) -> ParsedDates:
    d = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
    d = d.astype("datetime64[ns]")
    has_time = (d.dt.normalize() != d) & d.notna()
    prec = pd.Series(
        np.where(d.isna().to_numpy(), None, np.where(has_time.to_numpy(), "datetime", "day")),  # type: ignore[call-overload]
        dtype=object,
    )
    return ParsedDates(d, prec, np.zeros(len(s), dtype=bool), "dates" if d.notna().any() else None)


def _from_numbers(s: pd.Series) -> ParsedDates:
    """Whole numbers between 1000 and 2200 are years; other numbers are bad dates."""
    v = s.astype(float)
    isyear = v.between(1000, 2200) & (v == np.floor(v))
    d = pd.to_datetime(v.where(isyear).astype("Int64").astype("string") + "-01-01", errors="coerce")
    bad = (v.notna() & ~isyear).to_numpy()
    prec = pd.Series(np.where(isyear.to_numpy(), "year", None), dtype=object)  # type: ignore[call-overload]
    return ParsedDates(
        d.astype("datetime64[ns]"), prec, bad, "year numbers" if isyear.any() else None
    )


#: ``date_format`` value for Excel's day numbers (days since 1899-12-30, Excel's 1900 system).
EXCEL = "excel"
_EXCEL_ZERO = pd.Timestamp("1899-12-30")
#: Day numbers from 1 March 1900 (61: Excel counts a 29 February 1900 that never was)
#: to 31 December 9999.
_EXCEL_RANGE = (61, 2958465)


def _from_excel(s: pd.Series) -> ParsedDates:
    """Excel day numbers (``date_format="excel"``): 39864 is 2009-02-20; a fraction is the
    time of day. Values outside 1900-03-01..9999-12-31 or not numbers are bad."""
    v = pd.to_numeric(pd.Series(s, dtype=object).astype("string").str.strip(), errors="coerce")
    v = v.astype(float)
    present = (
        pd.Series(s).notna().to_numpy()
        & (pd.Series(s).astype("string").str.strip() != "").fillna(False).to_numpy()
    )
    ok = v.between(*_EXCEL_RANGE).to_numpy()
    days = v.where(ok)
    d = (_EXCEL_ZERO + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")
    whole = (days == np.floor(days)).to_numpy()
    prec = pd.Series(np.where(ok, np.where(whole, "day", "datetime"), None), dtype=object)  # type: ignore[call-overload]
    return ParsedDates(d.reset_index(drop=True), prec, present & ~ok, EXCEL if ok.any() else None)


def excel_hint(values: pd.Series, bad: np.ndarray) -> str:
    """A hint when the bad dates are whole numbers that read as Excel day numbers of the
    years 1955-2119 (e.g. a date column formatted as a number in Excel), else ``""``.

    >>> print(excel_hint(pd.Series([39864, 45000]), np.array([True, True])))
    ; values such as 39864 look like Excel day numbers (39864 is 2009-02-20): pass [[date_format=excel]], or format the column as a date in Excel
    >>> excel_hint(pd.Series(["hier"]), np.array([True]))
    ''
    """
    v = pd.to_numeric(pd.Series(values).astype("string").str.strip(), errors="coerce")
    shown = v[np.asarray(bad, dtype=bool)].dropna()
    if shown.empty or not ((shown == np.floor(shown)) & shown.between(20000, 80000)).all():
        return ""
    first = int(shown.iloc[0])
    day = (_EXCEL_ZERO + pd.Timedelta(days=first)).strftime("%Y-%m-%d")
    return (
        f"; values such as {first} look like Excel day numbers ({first} is {day}): pass "
        "[[date_format=excel]], or format the column as a date in Excel"
    )


def _from_text(
    s: pd.Series, *, date_format: str | None, dayfirst: bool, where: _Where
) -> ParsedDates:
    text = s.astype("string").str.strip()
    text = text.where(text != "", None)
    present = text.notna().to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    prec = pd.Series([None] * len(s), dtype=object)
    hastime = text.str.contains(_TIME_PART).fillna(False).to_numpy(dtype=bool)
    done = np.zeros(len(s), dtype=bool)
    fmt: str | None = None
    if date_format is None:
        done |= _years_and_months(text, out, prec)
        numeric = text.str.match(_NUMERIC).fillna(False).to_numpy(dtype=bool) & ~done
        if numeric.any():
            fmt = _numeric_dates(text, numeric, out, dayfirst=dayfirst, where=where)
            prec[numeric] = np.where(hastime[numeric], "datetime", "day")
            done |= numeric
    rest = present & ~done
    mixed = False
    if rest.any():
        parsed, mixed = _parse_free(text[rest], date_format=date_format, dayfirst=dayfirst)
        out[rest] = parsed.astype("datetime64[ns]").to_numpy()
        prec[rest] = np.where(hastime[rest], "datetime", "day")
    bad = present & out.isna().to_numpy()
    prec[bad] = None
    if date_format is not None:
        fmt = date_format
    elif fmt is None and (present & ~bad).any():
        fmt = "ISO 8601 and written dates" if mixed else "ISO 8601"
    return ParsedDates(out, prec, bad, fmt)


def _years_and_months(text: pd.Series, out: pd.Series, prec: pd.Series) -> np.ndarray:
    """Fill years (``2024``), months (``2024-03``, ``03/2024``); the rows filled."""
    isyear = text.str.match(_YEAR).fillna(False).to_numpy(dtype=bool)
    if isyear.any():
        out[isyear] = pd.to_datetime(text[isyear].str.slice(0, 4) + "-01-01", errors="coerce")
        prec[isyear] = "year"
    ismonth = text.str.match(_MONTH).fillna(False).to_numpy(dtype=bool)
    if ismonth.any():
        out[ismonth] = pd.to_datetime(
            text[ismonth].str.replace(r"[/.]", "-", regex=True) + "-01",
            format="%Y-%m-%d",
            errors="coerce",
        )
        prec[ismonth] = "month"
    my = text.str.extract(_MONTH_YEAR)
    ismy = my["y"].notna().to_numpy(dtype=bool)
    if ismy.any():
        out[ismy] = pd.to_datetime(
            my.loc[ismy, "y"] + "-" + my.loc[ismy, "m"] + "-01", format="%Y-%m-%d", errors="coerce"
        )
        prec[ismy] = "month"
    return isyear | ismonth | ismy


def _numeric_dates(
    text: pd.Series, numeric: np.ndarray, out: pd.Series, *, dayfirst: bool, where: _Where
) -> str:
    """Read ``dd/mm/yyyy`` or ``mm/dd/yyyy`` values (``numeric`` rows) into ``out``, one way
    for all, decided by the values that can be read one way only; the format read."""
    parts = text[numeric].str.extract(_NUMERIC)
    a = parts["a"].astype(int).to_numpy()
    b = parts["b"].astype(int).to_numpy()
    day_only = np.zeros(len(text), dtype=bool)
    month_only = np.zeros(len(text), dtype=bool)
    day_only[numeric] = (a > 12) & (b <= 12)
    month_only[numeric] = (b > 12) & (a <= 12)
    if day_only.any() and month_only.any():
        msg = (
            f"{where.source}: column '{where.column}' mixes day-first and month-first dates: "
            f"{_example(text, day_only)} ({where.rows(day_only)}) can only be day/month, "
            f"{_example(text, month_only)} ({where.rows(month_only)}) only month/day. "
            "Hint: correct these rows so that one order is used throughout, then pass "
            "[[dayfirst=True]] or [[date_format=%m/%d/%Y]] if the dates remain ambiguous."
        )
        raise DataError(msg)
    if dayfirst and month_only.any():
        msg = (
            f"{where.source}: [[dayfirst=True]] was given, but column '{where.column}' has "
            f"month-first dates such as {_example(text, month_only)} ({where.rows(month_only)}). "
            "Hint: leave [[dayfirst]] out, or correct these rows."
        )
        raise DataError(msg)
    first_day = not month_only.any()  # day first unless some value can only be month first
    if not dayfirst and not day_only.any() and not month_only.any() and bool((a != b).any()):
        ambiguous = np.zeros(len(text), dtype=bool)
        ambiguous[numeric] = a != b
        example = _example(text, ambiguous)
        msg = (
            f"{where.source}: the dates in column '{where.column}' can be read day first or "
            f"month first (e.g. {example}: every value has day and month up to 12), and borderwatch "
            "does not guess. Hint: pass [[dayfirst=True]] for DD/MM/YYYY, or "
            "[[date_format=%m/%d/%Y]] for MM/DD/YYYY."
        )
        raise DataError(msg)
    day, month = (a, b) if first_day else (b, a)
    year = parts["y"].astype(int).to_numpy()
    year = np.where(year < 100, np.where(year <= 68, 2000 + year, 1900 + year), year)
    stamps = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    )
    time = parts["time"].fillna("").to_numpy(dtype=object)
    timed = time != ""
    if timed.any():
        hms = pd.Series(time[timed], dtype=object)
        short = (hms.str.count(":") != 2).to_numpy()
        hms[short] = hms[short] + ":00"
        add = pd.to_timedelta(hms.to_numpy(), errors="coerce")
        vals = stamps.to_numpy().copy()
        vals[timed] = vals[timed] + add.to_numpy()
        stamps = pd.Series(vals)
    out[numeric] = stamps.to_numpy()
    sep = str(parts["sep"].mode().iloc[0])
    digits = "%Y" if bool((parts["y"].str.len() == 4).all()) else "%y"
    order = ("%d", "%m") if first_day else ("%m", "%d")
    return f"{order[0]}{sep}{order[1]}{sep}{digits}"


def _example(text: pd.Series, mask: np.ndarray) -> str:
    return repr(str(text[mask].iloc[0]))


def _parse_free(
    sub: pd.Series, *, date_format: str | None, dayfirst: bool
) -> tuple[pd.Series, bool]:
    """Day or datetime text: the given format, else ISO 8601, else pandas' mixed parser;
    and whether the mixed parser read any value."""
    mixed = False
    if date_format is not None:
        parsed = pd.to_datetime(sub, format=date_format, errors="coerce")
    else:
        parsed = pd.to_datetime(sub, format="ISO8601", errors="coerce", utc=True)
        retry = parsed.isna().to_numpy()
        if retry.any():
            again = pd.to_datetime(
                sub[retry], format="mixed", dayfirst=dayfirst, errors="coerce", utc=True
            )
            parsed = parsed.copy()
            parsed[retry] = again
            mixed = bool(again.notna().any())
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed, mixed
