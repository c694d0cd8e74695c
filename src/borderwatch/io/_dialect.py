"""Delimited text files: their encoding, delimiter and decimal mark, and reading them.

Office exports vary with the locale. Excel in French, Spanish or Portuguese
writes ``;``-separated files with decimal commas, in Windows-1252 unless told
otherwise; KoboToolbox and ODK write UTF-8, sometimes with a byte-order mark.
:func:`sniff` decides each of the three from the bytes of the file (what the
user gives wins), :func:`read_delimited` reads the file with pyarrow (pandas'
own parser when pyarrow cannot infer a column's type).

The encoding is decided exactly, not guessed: a byte-order mark names it;
text that is valid UTF-8 is UTF-8 (other encodings almost never are);
otherwise Windows-1252, whose letters are those of Latin-1 plus ``€ œ Š``
and the typographic quotes, and Latin-1 for the five bytes Windows-1252
leaves undefined.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .._errors import DataError

__all__ = [
    "DECIMALS",
    "SEPARATORS",
    "Dialect",
    "detect_encoding",
    "header",
    "read_delimited",
    "sniff",
]

#: Delimiters detected, and their names as a user may write them (``--sep tab``).
SEPARATORS = {",": ",", ";": ";", "\t": "\t", "|": "|", "tab": "\t", "\\t": "\t"}
#: Decimal marks.
DECIMALS = (".", ",")

_SAMPLE_BYTES = 1 << 16
_SAMPLE_LINES = 200
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_DOT_NUMBER = re.compile(r"^[+-]?\d+\.\d+$")


@dataclass(frozen=True)
class Dialect:
    """How a delimited file is written.

    Attributes
    ----------
    encoding : str
        A Python codec name: ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with a
        byte-order mark), ``"utf-16"``, ``"cp1252"`` (Windows-1252) or ``"latin-1"``.
    sep : str
        The delimiter: ``","``, ``";"``, ``"\\t"`` or ``"|"``.
    decimal : str
        The decimal mark of numbers: ``"."`` or ``","``.
    """

    encoding: str
    sep: str
    decimal: str

    def describe(self) -> dict[str, str]:
        """The decisions as recorded in ``summary.json`` (``sep`` of a tab is ``"tab"``)."""
        return {
            "encoding": self.encoding,
            "sep": "tab" if self.sep == "\t" else self.sep,
            "decimal": self.decimal,
        }


def detect_encoding(raw: bytes) -> str:
    """The encoding of a text file's bytes: a byte-order mark, UTF-8, else Windows-1252/Latin-1.

    >>> detect_encoding("Ségou".encode("utf-8")), detect_encoding("Ségou".encode("cp1252"))
    ('utf-8', 'cp1252')
    >>> detect_encoding(codecs.BOM_UTF8 + b"id"), detect_encoding("\\x81".encode("latin-1"))
    ('utf-8-sig', 'latin-1')
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "cp1252"):
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def sniff(
    raw: bytes,
    *,
    source: str,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    default_sep: str = ",",
) -> Dialect:
    """The dialect of a delimited file; ``sep``, ``decimal`` and ``encoding`` win when given.

    The delimiter is the candidate (``,`` ``;`` tab ``|``) that splits the
    header into the most columns and every sampled line into as many. The
    decimal mark is a comma when the file is not comma-separated and numbers
    such as ``13,52`` outnumber numbers such as ``13.52``.

    Examples
    --------
    >>> d = sniff("id;lon;lat\\n1;13,52;2,1\\n".encode("cp1252"), source="x.csv")
    >>> d.sep, d.decimal, d.encoding
    (';', ',', 'utf-8')
    >>> sniff(b"id|x\\n1|2\\n", source="x.csv", decimal=".").describe()
    {'encoding': 'utf-8', 'sep': '|', 'decimal': '.'}
    """
    enc = _encoding(raw, encoding, source)
    text = _head_text(raw, enc)
    lines = [ln for ln in text.splitlines() if ln.strip()][:_SAMPLE_LINES]
    chosen = _separator(sep, lines, default_sep, source)
    dec = _decimal(decimal, lines, chosen, source)
    return Dialect(encoding=enc, sep=chosen, decimal=dec)


def _encoding(raw: bytes, given: str | None, source: str) -> str:
    if given is None:
        return detect_encoding(raw)
    try:
        name = codecs.lookup(given).name
    except LookupError:
        msg = (
            f"{source}: unknown encoding {given!r}. Hint: use utf-8, utf-8-sig, cp1252 "
            "(Windows-1252) or latin-1 with [[encoding]], or leave it out to detect it."
        )
        raise DataError(msg) from None
    try:
        raw.decode(name)
    except UnicodeDecodeError as exc:
        found = detect_encoding(raw)
        msg = (
            f"{source}: the file is not {given} (byte {exc.start} cannot be read: "
            f"{raw[exc.start : exc.start + 1]!r}); it reads as {found}. Hint: leave [[encoding]] out "
            f"to detect it, or pass [[encoding={found}]]."
        )
        raise DataError(msg) from None
    return "utf-8-sig" if name == "utf-8" and raw.startswith(codecs.BOM_UTF8) else name


def _head_text(raw: bytes, enc: str) -> str:
    """The first lines of the file as text (a partial last line is left out)."""
    head = raw[:_SAMPLE_BYTES]
    text = head.decode(enc, errors="replace")
    if len(raw) > _SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]
    return text.lstrip("\ufeff")


def _field_counts(lines: list[str], sep: str) -> list[int]:
    try:
        return [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)]
    except csv.Error:
        return []


def _separator(given: str | None, lines: list[str], default: str, source: str) -> str:
    if given is not None:
        if given not in SEPARATORS:
            msg = (
                f"{source}: unknown delimiter {given!r}. Hint: pass [[sep]] with one of "
                "',', ';', 'tab' or '|'."
            )
            raise DataError(msg)
        _check_given(SEPARATORS[given], lines, default, source)
        return SEPARATORS[given]
    return _detect(lines, default)


def _check_given(sep: str, lines: list[str], default: str, source: str) -> None:
    """A given delimiter that splits no line, or splits the lines unevenly where another
    delimiter splits them evenly, is a mistake: say which delimiter the file uses."""
    counts = _field_counts(lines, sep)
    if not counts or (counts[0] >= 2 and all(c == counts[0] for c in counts)):
        return
    found = _detect(lines, default)
    found_counts = _field_counts(lines, found)
    if found == sep or not found_counts or found_counts[0] < 2:
        return
    if any(c != found_counts[0] for c in found_counts):
        return
    names = {",": "comma ','", ";": "semicolon ';'", "\t": "tab", "|": "pipe '|'"}
    flag = "tab" if found == "\t" else found
    msg = (
        f"{source}: the delimiter was given as {names[sep]}, but the header splits into "
        f"{counts[0]} field(s) with it and into {found_counts[0]} with {names[found]}, on every "
        f"one of the first {len(found_counts)} lines. Hint: pass [[sep={flag}]] or leave "
        "[[sep]] out to detect it."
    )
    raise DataError(msg)


def _detect(lines: list[str], default: str) -> str:
    best, best_key = default, (0.0, 1)
    for cand in (",", ";", "\t", "|"):
        counts = _field_counts(lines, cand)
        if not counts or counts[0] < 2:
            continue
        same = sum(c == counts[0] for c in counts) / len(counts)
        key = (same, counts[0])
        if key > best_key:
            best, best_key = cand, key
    return best


def _decimal(given: str | None, lines: list[str], sep: str, source: str) -> str:
    if given is not None:
        if given not in DECIMALS:
            msg = f"{source}: the decimal mark must be '.' or ',', not {given!r}. Hint: pass [[decimal=,]] or leave it out."
            raise DataError(msg)
        return given
    if sep == ",":
        return "."
    comma = dot = 0
    for row in csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=sep):
        for value in row:
            v = value.strip()
            comma += bool(_COMMA_NUMBER.match(v))
            dot += bool(_DOT_NUMBER.match(v))
    return "," if comma > dot else "."


def header(raw: bytes, dialect: Dialect) -> list[str]:
    """The column names of a delimited file.

    >>> header(b"id;nom\\n1;A\\n", Dialect("utf-8", ";", ","))
    ['id', 'nom']
    """
    first = _head_text(raw, dialect.encoding).split("\n", 1)[0].rstrip("\r")
    return next(csv.reader(io.StringIO(first), delimiter=dialect.sep), [])


def read_delimited(raw: bytes, dialect: Dialect, *, is_text: Callable[[str], bool]) -> pd.DataFrame:
    """The table of a delimited file; columns for which ``is_text`` is true (ids, codes) stay text.

    Read with pyarrow; when pyarrow cannot (a column that looks numeric in
    its first block holds text further down), with pandas' own parser. Dates
    are left as text for :mod:`borderwatch.io._dates`.
    """
    names = header(raw, dialect)
    text_cols = {c for c in names if is_text(c)}
    if len(set(names)) == len(names):
        try:
            return _read_arrow(raw, dialect, text_cols)
        except Exception:  # noqa: BLE001, S110 - pyarrow infers types per block; pandas does not
            pass
    return _read_pandas(raw, dialect, text_cols)


def _read_arrow(raw: bytes, dialect: Dialect, text_cols: set[str]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    enc = dialect.encoding
    data = raw if enc in ("utf-8", "utf-8-sig") else raw.decode(enc).encode("utf-8")
    table = pcsv.read_csv(
        pa.BufferReader(data),
        parse_options=pcsv.ParseOptions(delimiter=dialect.sep, newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            decimal_point=dialect.decimal,
            column_types={c: pa.string() for c in text_cols},
            strings_can_be_null=True,
        ),
    )
    for i, f in enumerate(table.schema):
        if pa.types.is_date(f.type) or pa.types.is_timestamp(f.type):
            table = table.set_column(i, f.name, pc.cast(table.column(i), pa.string()))
    return table.to_pandas()


def _read_pandas(raw: bytes, dialect: Dialect, text_cols: set[str]) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(raw.decode(dialect.encoding).lstrip("\ufeff")),
        sep=dialect.sep,
        decimal=dialect.decimal,
        dtype={c: str for c in text_cols} or None,
        low_memory=False,
    )
