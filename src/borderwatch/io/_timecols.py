"""Finding the time of each row: a date column, or a year column with a month column.

Names are detected in English, French, Spanish, Portuguese and Arabic
(:data:`~borderwatch.io._columns.TIME`, ``YEAR``, ``MONTH``). A month column
(numbers 1-12 or month names) is combined with the year column into months.
When nothing is detected but some columns look like dates (by their name or
their values), the reader warns and names them: a file must not lose its
dates silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._schema import fold
from ._columns import MONTH, TIME, TIME_WORDS, YEAR, find, norm_col, require_column
from ._loaded import warn

__all__ = ["MONTH_NAMES", "TimeSource", "find_time"]

_MONTH_LISTS = (
    "january february march april may june july august september october november december",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
)


def _month_names() -> dict[str, int]:
    """Folded month names and their unambiguous three-letter abbreviations -> month number."""
    full = {fold(n): i + 1 for names in _MONTH_LISTS for i, n in enumerate(names.split())}
    abbr: dict[str, set[int]] = {}
    for name, num in full.items():
        abbr.setdefault(name[:3], set()).add(num)
    return {**{a: nums.pop() for a, nums in abbr.items() if len(nums) == 1}, **full}


#: Month names (folded: lower case, no accents) in the five languages -> month number.
MONTH_NAMES: dict[str, int] = _month_names()
_DATE_LIKE = re.compile(
    r"^(\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}[-/.]\d{4})([ T].*)?$"
)


@dataclass(frozen=True)
class TimeSource:
    """Where the time of each row comes from.

    ``column``: the date column, or the year column; ``month``: the month
    column combined with it (or None); ``values``: the text or numbers to parse.
    """

    column: str | None
    month: str | None
    values: pd.Series | None


def find_time(
    frame: pd.DataFrame,
    *,
    time_col: str | None,
    used: set[str],
    source: str,
    option: str,
    sink: list[str],
) -> TimeSource:
    """The time of each row (``option`` is the setting naming the column, for messages)."""
    if time_col is not None:
        require_column(frame, source, time_col, option=option, what="time")
        return TimeSource(time_col, None, frame[time_col])
    col = find(frame, TIME, exclude=used)
    if col is not None:
        return TimeSource(col, None, frame[col])
    year = find(frame, YEAR, exclude=used)
    month = find(frame, MONTH, exclude=used | ({year} if year else set()))
    if year is not None and month is not None:
        months = month_numbers(frame[month])
        if months.notna().sum() >= 0.9 * frame[month].notna().sum():
            return TimeSource(year, month, _year_month(frame[year], months))
    if year is not None:
        return TimeSource(year, None, frame[year])
    if month is not None and _date_share(frame[month]) >= 0.8:
        return TimeSource(month, None, frame[month])  # a month column holding "2024-03"
    _warn_candidates(frame, used, source=source, option=option, sink=sink)
    return TimeSource(None, None, None)


def month_numbers(raw: pd.Series) -> pd.Series:
    """Month numbers 1-12 from numbers or month names in the five languages (NaN elsewhere).

    >>> month_numbers(pd.Series([3, "Février", "dic", "mayo", 13, None])).tolist()
    [3.0, 2.0, 12.0, 5.0, nan, nan]
    """
    s = pd.Series(raw).reset_index(drop=True)
    num = pd.to_numeric(s, errors="coerce")
    ok = num.between(1, 12) & (num == np.floor(num))
    out = num.where(ok)
    text = s.where(num.isna())
    given = text.dropna()
    distinct = pd.unique(given.to_numpy(dtype=object))  # fold each distinct text once
    lookup = {v: MONTH_NAMES.get(fold(v).rstrip(".")) for v in distinct}
    names = given.map(lookup)
    out.loc[names.index] = names.astype(float)
    return out.astype(float)


def _year_month(years: pd.Series, months: pd.Series) -> pd.Series:
    """``YYYY-MM`` text where both are given, ``YYYY`` where only the year is."""
    y = pd.to_numeric(years, errors="coerce").reset_index(drop=True)
    m = months.reset_index(drop=True)
    text = pd.Series([None] * len(y), dtype=object)
    has_y = y.notna() & (y == np.floor(y))
    text[has_y] = y[has_y].astype(int).astype(str)
    both = has_y & m.notna()
    text[both] = text[both] + "-" + m[both].astype(int).map("{:02d}".format)
    # a year that is text ("unknown") stays text, to be reported as a bad date
    bad_y = y.isna() & pd.Series(years).reset_index(drop=True).notna()
    text[bad_y] = pd.Series(years).reset_index(drop=True)[bad_y].astype(str)
    return text


def _date_share(values: pd.Series) -> float:
    """The share of the first 200 non-empty values that look like dates or years."""
    sample = pd.Series(values).dropna().head(200)
    if len(sample) == 0:
        return 0.0
    if pd.api.types.is_datetime64_any_dtype(sample):
        return 1.0
    text = sample.astype(str).str.strip()
    return float(text.str.match(_DATE_LIKE).mean())


def _warn_candidates(
    frame: pd.DataFrame, used: set[str], *, source: str, option: str, sink: list[str]
) -> None:
    """Warn when columns look like dates but none was detected as the time column."""
    geom = getattr(frame, "_geometry_column_name", None)
    cands = [
        str(c)
        for c in frame.columns
        if c not in used
        and c != geom
        and (
            bool(set(norm_col(c).replace("_", " ").split()) & set(TIME_WORDS))
            or _date_share(frame[c]) >= 0.8
        )
    ]
    if not cands:
        return
    shown = ", ".join(repr(c) for c in cands[:5])
    warn(
        f"{source}: no time column was detected, so the rows have no dates (no trends, no "
        f"time slider, no temporal evaluation). Columns that may hold dates: {shown}. "
        f"Hint: name the time column with [[{option}={cands[0]}]].",
        sink,
    )
