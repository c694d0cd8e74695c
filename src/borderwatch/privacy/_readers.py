"""The text inside output files: GeoPackage tables, GeoTIFF tags, PNG metadata, plain text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["gpkg_text", "gpkg_unit_names", "plain_text", "png_text", "tif_text", "xlsx_text"]


def plain_text(path: Path) -> str:
    """A text file as UTF-8 (bad bytes replaced); a PDF as Latin-1 (only its uncompressed text)."""
    raw = path.read_bytes()
    return (
        raw.decode("latin-1") if path.suffix.lower() == ".pdf" else raw.decode("utf-8", "replace")
    )


def gpkg_text(path: Path) -> str:
    """Every table name and every non-binary value of a GeoPackage (via sqlite)."""
    chunks: list[str] = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            chunks.append(t)
            for row in con.execute(f'SELECT * FROM "{t}"'):  # noqa: S608 - table names from sqlite_master
                chunks.append(
                    ", ".join(str(v) for v in row if not isinstance(v, bytes | memoryview))
                )
    finally:
        con.close()
    return "\n".join(chunks)


def gpkg_unit_names(path: Path) -> set[str]:
    """The ``name`` values of a GeoPackage's ``units`` layer (empty when there is none)."""
    import pyogrio

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
        if "units" not in layers:
            return set()
        units = pyogrio.read_dataframe(path, layer="units", columns=["name"], read_geometry=False)
        return {str(v) for v in units["name"].dropna()}
    except Exception:  # noqa: BLE001 - best effort: an unreadable file is reported by the scan itself
        return set()


def tif_text(path: Path) -> str:
    """The tags (every namespace, every band) and band descriptions of a GeoTIFF."""
    import rasterio

    chunks = []
    with rasterio.open(path) as ds:
        for ns in [None, *(ds.tag_namespaces() or [])]:
            tags = ds.tags(ns=ns) if ns else ds.tags()
            chunks += [f"{key} {v}" for key, v in tags.items()]
        for b in range(1, ds.count + 1):
            chunks += [f"{key} {v}" for key, v in ds.tags(b).items()]
        chunks += [str(x) for x in ds.descriptions if x]
    return "\n".join(chunks)


def png_text(path: Path) -> str:
    """The text metadata of a PNG (``info`` and text chunks)."""
    from PIL import Image

    with Image.open(path) as im:
        info = dict(im.info)
        text = getattr(im, "text", {}) or {}
    return "\n".join(
        f"{key} {v.decode('latin-1') if isinstance(v, bytes) else v}"
        for key, v in {**info, **text}.items()
        if isinstance(v, str | bytes)
    )


def xlsx_text(path: Path) -> str:
    """Every cell of every sheet of an Excel workbook, rows as tab-separated lines."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    finally:
        book.close()
