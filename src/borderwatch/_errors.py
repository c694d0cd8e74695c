"""Exceptions and warnings raised by borderwatch."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BorderwatchWarning", "DataError", "format_rows"]


class DataError(ValueError):
    """Bad input data: a file, a column or rows that borderwatch cannot use.

    The message names the source (file), the column, up to the first ten
    offending row numbers and a hint for the fix. The CLI turns it into exit
    code 2 with one paragraph on stderr.
    """


class BorderwatchWarning(UserWarning):
    """Something in the data was repaired, dropped or looks suspicious."""


def format_rows(rows: Sequence[int] | object, *, limit: int = 10) -> str:
    """Format row numbers for a message: ``"rows 3, 7, 9 (and 12 more)"``.

    Row numbers are 1-based data rows (the header is not counted), as a user
    sees them in a spreadsheet below the header.
    """
    seq = [_label(r) for r in list(rows)]  # type: ignore[call-overload, var-annotated, arg-type]
    shown = ", ".join(seq[:limit])
    more = f" (and {len(seq) - limit} more)" if len(seq) > limit else ""
    word = "row" if len(seq) == 1 else "rows"
    return f"{word} {shown}{more}"


def _label(row: object) -> str:
    """A row number as text; index labels that are not numbers (e.g. "a") are kept as they are."""
    try:
        return str(int(row))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(row)
