"""Parsing a date, datetime, month or year column, keeping the precision of each value."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ParsedDates", "parse_dates"]

_YEAR = re.compile(r"^\d{4}(\.0)?$")
_MONTH = re.compile(r"^\d{4}[-/]\d{1,2}$")
_TIME_PART = re.compile(r"\d{1,2}:\d{2}")


@dataclass(frozen=True)
class ParsedDates:
    """A parsed date column.

    ``dates`` (datetime64[ns], NaT where missing or bad), ``precision``
    (``"year"``, ``"month"``, ``"day"``, ``"datetime"`` or None) and ``bad``
    (True where a value is present but unparseable), all in row order.
    """

    dates: pd.Series
    precision: pd.Series
    bad: np.ndarray


def parse_dates(raw: pd.Series, *, date_format: str | None, dayfirst: bool) -> ParsedDates:
    """Parse a date/datetime/year column, keeping the precision of each value.

    >>> p = parse_dates(pd.Series(["2024", "2024-03", "2024-03-02", "2024-03-02 10:15", "soon"]),
    ...                 date_format=None, dayfirst=False)
    >>> p.precision.tolist(), p.bad.tolist()
    (['year', 'month', 'day', 'datetime', None], [False, False, False, False, True])
    """
    s = pd.Series(raw).reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(s):
        return _from_datetimes(s)
    if pd.api.types.is_numeric_dtype(s):
        return _from_numbers(s)
    return _from_text(s, date_format=date_format, dayfirst=dayfirst)


def _from_datetimes(s: pd.Series) -> ParsedDates:
    d = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
    d = d.astype("datetime64[ns]")
    has_time = (d.dt.normalize() != d) & d.notna()
    prec = pd.Series(
        np.where(d.isna().to_numpy(), None, np.where(has_time.to_numpy(), "datetime", "day")),  # type: ignore[call-overload]
        dtype=object,
    )
    return ParsedDates(d, prec, np.zeros(len(s), dtype=bool))


def _from_numbers(s: pd.Series) -> ParsedDates:
    """Whole numbers between 1000 and 2200 are years; other numbers are bad dates."""
    v = s.astype(float)
    isyear = v.between(1000, 2200) & (v == np.floor(v))
    d = pd.to_datetime(v.where(isyear).astype("Int64").astype("string") + "-01-01", errors="coerce")
    bad = (v.notna() & ~isyear).to_numpy()
    prec = pd.Series(np.where(isyear.to_numpy(), "year", None), dtype=object)  # type: ignore[call-overload]
    return ParsedDates(d.astype("datetime64[ns]"), prec, bad)


def _from_text(s: pd.Series, *, date_format: str | None, dayfirst: bool) -> ParsedDates:
    text = s.astype("string").str.strip()
    text = text.where(text != "", None)
    present = text.notna().to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    prec = pd.Series([None] * len(s), dtype=object)
    isyear = text.str.match(_YEAR).fillna(False).to_numpy(dtype=bool)
    ismonth = text.str.match(_MONTH).fillna(False).to_numpy(dtype=bool)
    hastime = text.str.contains(_TIME_PART).fillna(False).to_numpy(dtype=bool)
    if isyear.any():
        out[isyear] = pd.to_datetime(text[isyear].str.slice(0, 4) + "-01-01", errors="coerce")
        prec[isyear] = "year"
    if ismonth.any():
        out[ismonth] = pd.to_datetime(
            text[ismonth].str.replace("/", "-", regex=False) + "-01",
            format="%Y-%m-%d",
            errors="coerce",
        )
        prec[ismonth] = "month"
    rest = present & ~isyear & ~ismonth
    if rest.any():
        parsed = _parse_free(text[rest], date_format=date_format, dayfirst=dayfirst)
        out[rest] = parsed.astype("datetime64[ns]").to_numpy()
        prec[rest] = np.where(hastime[rest], "datetime", "day")
    bad = present & out.isna().to_numpy()
    prec[bad] = None
    return ParsedDates(out, prec, bad)


def _parse_free(sub: pd.Series, *, date_format: str | None, dayfirst: bool) -> pd.Series:
    """Day or datetime text: the given format, else ISO 8601, else pandas' mixed parser."""
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
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed
