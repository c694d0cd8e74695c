"""Exceptions and warnings raised by borderwatch, and how their messages name options.

A message names an option once, as ``[[name]]`` or ``[[name=value]]``
(``[[lon_col=lat]]``, ``[[on_invalid=drop]]``). :class:`DataError` and
:class:`BorderwatchWarning` keep that text as ``template`` and show Python
users keyword names (``lon_col='lat'``); the command line shows the same
message with its flags (``--lon-col lat``, ``--drop-invalid``), see
:func:`borderwatch.cli.cli_words`. No message is written twice.

Examples
--------
>>> err = DataError("bad dates. Hint: pass [[dayfirst=True]] or [[date_format=%d/%m/%Y]].")
>>> str(err)
"bad dates. Hint: pass dayfirst=True or date_format='%d/%m/%Y'."
>>> err.template
'bad dates. Hint: pass [[dayfirst=True]] or [[date_format=%d/%m/%Y]].'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = [
    "OPTION",
    "BorderwatchWarning",
    "DataError",
    "api_words",
    "format_rows",
    "words",
]

#: An option named in a message: ``[[name]]`` or ``[[name=value]]``.
OPTION = re.compile(r"\[\[([a-z][a-z0-9_]*)(?:=([^\]]*))?\]\]")


def words(text: str, render: Callable[[str, str | None], str | None]) -> str:
    """``text`` with every ``[[name]]`` / ``[[name=value]]`` replaced by ``render(name, value)``
    (kept as it is where ``render`` returns None)."""

    def one(m: re.Match[str]) -> str:
        out = render(m.group(1), m.group(2))
        return m.group(0) if out is None else out

    return OPTION.sub(one, text)


#: Settings whose reader takes another keyword (``read_units(id_col=...)``).
_READER_KEYWORD = {
    "unit_id_col": "id_col",
    "unit_name_col": "name_col",
    "unit_country_col": "country_col",
    **{f"meeting_{k}_col": f"{k}_col" for k in ("lon", "lat", "time", "id", "place", "topics")},
}


def _keyword(name: str, value: str | None) -> str:
    if value is None:
        return f"{name}="
    if value in ("True", "False", "None") or re.fullmatch(r"-?\d+(\.\d+)?", value):
        return f"{name}={value}"
    return f"{name}={value!r}"


def _api(name: str, value: str | None) -> str:
    if name in _READER_KEYWORD:
        return f"{_keyword(_READER_KEYWORD[name], value)} ({_keyword(name, value)} in analyze)"
    return _keyword(name, value)


def api_words(text: str) -> str:
    """A message as Python users read it: options as keyword arguments.

    >>> api_words("pass [[lon_col=y]] [[lat_col=x]], or [[on_invalid=drop]]; see [[crosswalk]]")
    "pass lon_col='y' lat_col='x', or on_invalid='drop'; see crosswalk="
    >>> api_words("name it with [[unit_id_col]]")
    'name it with id_col= (unit_id_col= in analyze)'
    """
    return words(text, _api)


class _Worded:
    """A message whose options are named once (``template``) and shown in API terms."""

    template: str

    def _set_template(self, args: tuple[object, ...]) -> tuple[object, ...]:
        if args and isinstance(args[0], str):
            self.template = args[0]
            return (api_words(args[0]), *args[1:])
        self.template = str(args[0]) if args else ""
        return args


class DataError(_Worded, ValueError):
    """Bad input data: a file, a column or rows that borderwatch cannot use.

    The message names the source (file), the column, up to the first ten
    offending row numbers and a hint for the fix. The CLI turns it into exit
    code 2 with one paragraph on stderr, its options worded as flags.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*self._set_template(args))


class BorderwatchWarning(_Worded, UserWarning):
    """Something in the data was repaired, dropped or looks suspicious.

    Its text names options as keyword arguments; the CLI prints the same
    warning with its flags (``template`` keeps the neutral wording).
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*self._set_template(args))


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
