"""The time bin of ``counts.csv`` (:func:`counts_period`), from the dates' precision."""

from __future__ import annotations

import warnings

import pandas as pd

from ._errors import BorderwatchWarning, DataError
from .join import Period

__all__ = ["counts_period"]

#: The date precisions each time bin needs (a year bin takes any date).
_NEEDS = {"week": {"day", "datetime"}, "month": {"month", "day", "datetime"}, "year": None}


def counts_period(incidents: pd.DataFrame, asked: Period | None) -> Period:
    """The time bin of ``counts.csv``: ``asked``, or month (year when every dated incident
    has a year only). A bin finer than every date (months of year-only data) is refused.

    Examples
    --------
    >>> df = pd.DataFrame({"date_precision": ["year", "year", None]})
    >>> counts_period(df, None)
    'year'
    >>> counts_period(df.assign(date_precision="day"), None)
    'month'
    """
    precision = set(incidents.get("date_precision", pd.Series(dtype=object)).dropna().unique())
    if asked is None:
        return "year" if precision == {"year"} else "month"
    needs = _NEEDS[asked]
    if precision and needs is not None and not precision & needs:
        coarse = "year" if precision == {"year"} else "month"
        msg = (
            f"counts by {asked} were asked for ([[period={asked}]]), but the incidents' dates "
            f"are {coarse}s only ({', '.join(sorted(precision))}): every incident would fall in "
            f"the first {asked} of its {coarse}. Hint: pass [[period={coarse}]] or leave "
            "[[period]] out."
        )
        raise DataError(msg)
    if precision and needs is not None and not precision <= needs:
        n = int(incidents["date_precision"].isin(precision - needs).sum())
        warnings.warn(
            f"{n} incidents have dates coarser than a {asked} "
            f"({', '.join(sorted(precision - needs))}); in counts.csv they fall in the first "
            f"{asked} of their month or year.",
            BorderwatchWarning,
            stacklevel=3,
        )
    return asked
