"""Opening input files (CSV, Excel, Parquet, vector) into a :class:`Table`."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import DataError, format_rows
from ._columns import TEXT_CODES, hxl_rename, norm_col
from ._dialect import read_delimited, sniff
from ._parquet import NamedTable

__all__ = [
    "OnInvalid",
    "Source",
    "Table",
    "TextOptions",
    "line_text",
    "load_table",
    "read_layer",
]

Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame | NamedTable
OnInvalid: TypeAlias = Literal["raise", "drop"]

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xls", ".xlsm"}
_PARQUET_SUFFIXES = {".parquet", ".pq", ".geoparquet"}


@dataclass
class Table:
    """A loaded table plus what is needed to talk about it in messages."""

    frame: pd.DataFrame
    source: str
    lines: np.ndarray  # display row number for each row (file line, or index label)
    is_file: bool
    notes: list[str] = field(default_factory=list)
    decisions: dict[str, str] = field(default_factory=dict)  # encoding, sep, decimal of a text file

    def rows(self, mask: np.ndarray | pd.Series) -> str:
        """'lines 3, 7' (files) or 'index 3, 7' (frames) for the rows where ``mask`` is true."""
        return line_text(self.lines[np.asarray(mask, dtype=bool)], self.is_file)

    def with_frame(self, frame: pd.DataFrame, keep: np.ndarray | None = None) -> Table:
        """The same source with another frame (and only the ``keep`` rows' line numbers)."""
        lines = self.lines if keep is None else self.lines[keep]
        return dataclasses.replace(
            self, frame=frame, lines=lines, notes=list(self.notes), decisions=dict(self.decisions)
        )


def line_text(lines: np.ndarray, is_file: bool) -> str:
    """'lines 3, 7' for files (line numbers, header = line 1), 'index 3, 7' for frames.

    >>> line_text(np.array([3, 7]), True), line_text(np.array(["a"]), False)
    ('lines 3, 7', 'index a')
    """
    text = format_rows(lines)
    word = "line" if is_file else "index"
    return text.replace("rows", word + "s" if is_file else word).replace("row", word)


@dataclass(frozen=True)
class TextOptions:
    """What the user says about a delimited text file (None: detect it)."""

    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None


def load_table(
    source: Source,
    *,
    what: str,
    sheet: str | int | None = 0,
    text: TextOptions | None = None,
) -> Table:
    """Read any supported table or vector file (or copy a frame) into a :class:`Table`.

    Raises :class:`DataError` for a missing, empty or unreadable file and for a
    table without data rows. An HXL hashtag row under the header is applied.
    For delimited text, ``decisions`` holds the encoding, delimiter and
    decimal mark read (:func:`~borderwatch.io._dialect.sniff`).
    """
    if isinstance(source, pd.DataFrame | NamedTable):
        named = isinstance(source, NamedTable)
        frame = source.frame.copy() if isinstance(source, NamedTable) else source.copy()
        lines = np.asarray(frame.index.astype(str))
        name = source.name if isinstance(source, NamedTable) else "<DataFrame>"
        table = Table(frame.reset_index(drop=True), name, lines, is_file=named)
    else:
        path = Path(source)
        _check_path(path, what)
        decisions: dict[str, str] = {}
        frame = _read_path(
            path, what=what, sheet=sheet, text=text or TextOptions(), decisions=decisions
        ).reset_index(drop=True)
        table = Table(frame, str(path), np.arange(2, len(frame) + 2), is_file=True)  # header = 1
        table.decisions.update(decisions)
    if len(table.frame) == 0:
        msg = f"{table.source}: the {what} file has a header but no data rows. Hint: check the export."
        raise DataError(msg)
    return _apply_hxl(table)


def read_layer(path: Path, layer: str | int) -> Table:
    """One layer of a multi-layer vector file (GeoPackage)."""
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # noqa: BLE001
        msg = f"{path}: cannot read layer {layer!r} ({exc}). Hint: list the layers with pyogrio.list_layers()."
        raise DataError(msg) from exc
    return Table(frame, str(path), np.arange(2, len(frame) + 2), is_file=True)


def _check_path(path: Path, what: str) -> None:
    name = str(path)
    if not path.exists():
        msg = f"{name}: the {what} file does not exist. Hint: check the path and the working directory."
        raise DataError(msg)
    if path.is_dir():
        msg = f"{name}: is a folder, not a {what} file. Hint: give the path of the file itself."
        raise DataError(msg)
    if path.stat().st_size == 0:
        msg = f"{name}: the {what} file is empty (0 bytes). Hint: re-export the data."
        raise DataError(msg)


def _read_path(
    path: Path,
    *,
    what: str,
    sheet: str | int | None,
    text: TextOptions,
    decisions: dict[str, str],
) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path, what=what, text=text, decisions=decisions)
    try:
        if suffix in _EXCEL_SUFFIXES:
            return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0)
        if suffix in _PARQUET_SUFFIXES:
            try:
                return gpd.read_parquet(path)
            except (ValueError, KeyError, TypeError):
                return pd.read_parquet(path)
        return gpd.read_file(path)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is unreadable input
        first = str(exc).splitlines()[0] if str(exc) else ""
        msg = (
            f"{path}: cannot read the {what} file ({type(exc).__name__}: {first}). "
            "Hint: supported formats are CSV, Excel, GeoJSON, GeoPackage, Shapefile and (Geo)Parquet; "
            "check that the file is not truncated or password-protected."
        )
        raise DataError(msg) from exc


def _read_csv(
    path: Path, *, what: str, text: TextOptions, decisions: dict[str, str]
) -> pd.DataFrame:
    """A delimited text file in any encoding, delimiter and decimal mark (detected unless
    given); ids and codes stay text ("007" must not become 7)."""
    raw = path.read_bytes()
    dialect = sniff(
        raw,
        source=str(path),
        sep=text.sep,
        decimal=text.decimal,
        encoding=text.encoding,
        default_sep="\t" if path.suffix.lower() == ".tsv" else ",",
    )
    decisions.update(dialect.describe())
    try:
        return read_delimited(raw, dialect, is_text=lambda c: norm_col(c) in TEXT_CODES)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is unreadable input
        first = str(exc).splitlines()[0] if str(exc) else ""
        shown = dialect.describe()
        msg = (
            f"{path}: cannot read the {what} file as delimited text ({type(exc).__name__}: {first}); "
            f"read as {shown['encoding']}, delimiter {shown['sep']!r}, decimal mark {shown['decimal']!r}. "
            "Hint: check that every line has as many fields as the header and that quotes are "
            "closed; give the delimiter with [[sep]], the decimal mark with [[decimal]] or the "
            "encoding with [[encoding]] if these are wrong."
        )
        raise DataError(msg) from exc


def _apply_hxl(table: Table) -> Table:
    """Recognise an HXL hashtag row (first data row) and rename columns to their hashtags."""
    frame = table.frame
    if isinstance(frame, gpd.GeoDataFrame):
        return table
    rename = hxl_rename(frame)
    if rename is None:
        return table
    new = frame.iloc[1:].reset_index(drop=True).rename(columns=rename)
    # columns came in as text because of the hashtag row: let pandas re-infer numbers
    for col in new.columns:
        if new[col].dtype == object or pd.api.types.is_string_dtype(new[col]):
            conv = pd.to_numeric(new[col], errors="coerce")
            if conv.notna().sum() == new[col].notna().sum():
                new[col] = conv
    notes = [*table.notes, "read HXL hashtags: " + ", ".join(sorted(set(rename.values())))]
    return Table(new, table.source, table.lines[1:], table.is_file, notes, dict(table.decisions))
