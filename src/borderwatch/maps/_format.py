"""Display of numbers, counts and dates on the maps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ._i18n import Tr

__all__ = [
    "Counts",
    "column",
    "date_text",
    "date_texts",
    "dates",
    "fmt_int",
    "fmt_num",
    "is_missing",
    "is_month_text",
    "month_numbers",
]

_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


def is_missing(v: object) -> bool:
    """True for None, NaN, NaT and ``pd.NA``."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(cast(Any, v)))
    except (TypeError, ValueError):
        return False


def fmt_int(v: float) -> str:
    """A whole number; thin spaces group the digits from 10,000 on.

    Examples
    --------
    >>> fmt_int(1234.4), fmt_int(-12345)
    ('1234', '-12\\u2009345')
    """
    n = int(round(float(v)))
    text = str(abs(n))
    if abs(n) >= 10_000:
        groups = []
        while text:
            groups.append(text[-3:])
            text = text[:-3]
        text = "\u2009".join(reversed(groups))
    return ("-" if n < 0 else "") + text


def fmt_num(v: object, decimals: int = 1) -> str | None:
    """A number: whole numbers as :func:`fmt_int`, others with ``decimals``; None if missing."""
    if is_missing(v):
        return None
    f = float(v)  # type: ignore[arg-type]
    if float(f).is_integer():
        return fmt_int(f)
    return f"{f:.{decimals}f}"


@dataclass(frozen=True)
class Counts:
    """How counts display in one view: in the public view, 1 to k-1 (and NaN) as "<k"."""

    public: bool
    k: int
    tr: Tr

    def suppressed(self, v: object) -> bool:
        """True if ``v`` is hidden: NaN, or 1 to k-1 in the public view."""
        if is_missing(v):
            return self.public
        f = float(v)  # type: ignore[arg-type]
        return self.public and 0 < f < self.k

    def text(self, v: object) -> str:
        """``v`` as shown: "<k" when suppressed, "–" when unknown, else the number."""
        if self.suppressed(v):
            return self.tr("value.suppressed", k=self.k)
        if is_missing(v):
            return self.tr("value.unknown")
        return fmt_int(float(v))  # type: ignore[arg-type]


def dates(values: Any) -> pd.Series:
    """Timestamps (naive, UTC) of any date-like values; NaT where unreadable."""
    s = pd.to_datetime(pd.Series(values), errors="coerce", utc=True)
    return s.dt.tz_localize(None)


def month_numbers(values: Any) -> np.ndarray:
    """Months as ``year * 12 + month - 1`` (float, NaN for missing)."""
    d = dates(values)
    out = (d.dt.year * 12 + d.dt.month - 1).astype("float64")
    return out.to_numpy(dtype=float, na_value=np.nan)


def is_month_text(values: Any) -> bool:
    """True if every non-missing value is a ``YYYY-MM`` string (month precision)."""
    texts = [v for v in pd.Series(values, dtype=object).tolist() if not is_missing(v)]
    return bool(texts) and all(isinstance(v, str) and _MONTH_RE.match(v.strip()) for v in texts)


def date_text(value: object, *, month: bool = False) -> str | None:
    """A date for display: ``YYYY-MM`` when given at month precision, else ``YYYY-MM-DD``."""
    if is_missing(value):
        return None
    if isinstance(value, str) and _MONTH_RE.match(value.strip()):
        return value.strip()
    d = dates([value]).iloc[0]
    if pd.isna(d):
        return None
    return f"{d:%Y-%m}" if month else f"{d:%Y-%m-%d}"


def date_texts(values: Sequence[Any], *, month: bool = False) -> list[str | None]:
    """:func:`date_text` of each value; when they are all timestamps (or missing), read in
    one go rather than one by one (the same dates: no format to guess).

    Examples
    --------
    >>> date_texts([pd.Timestamp("2024-03-05 23:00", tz="America/Mexico_City"), None, "2024-02"])
    ['2024-03-06', None, '2024-02']
    """
    if not all(type(v) is pd.Timestamp or is_missing(v) for v in values):
        return [date_text(v, month=month) for v in values]
    read = dates(list(values))
    return [
        None if is_missing(v) or pd.isna(d) else (f"{d:%Y-%m}" if month else f"{d:%Y-%m-%d}")
        for v, d in zip(values, read, strict=True)
    ]


def column(frame: pd.DataFrame, name: str | None) -> list[Any]:
    """A column as a list of Python objects; Nones when the frame has no such column."""
    if name is not None and name in frame.columns:
        return frame[name].astype(object).tolist()
    return [None] * len(frame)
