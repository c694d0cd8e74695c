"""A small reader of the text matplotlib's PDF writer puts on a page (tests only).

It reads what a PDF viewer's search or copy reads: the strings shown by ``Tj``/``TJ``
in the page's content streams, each glyph code mapped to Unicode through its font's
``ToUnicode`` map. Only the PDFs matplotlib writes (objects ``N 0 obj``, Flate
streams, Type 0 fonts with two-byte codes, one-byte Type 3/Type 1 fonts).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
STREAM = re.compile(rb"^(.*?)stream\r?\n(.*)\r?\nendstream$", re.S)
REF = r"/{key} (\d+) 0 R"


@dataclass(frozen=True)
class PdfFonts:
    """The fonts of a PDF: base names (``ABCDEF+DejaVuSans``) of every embedded font file."""

    base_names: tuple[str, ...]
    files: int


def _objects(raw: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for m in OBJ.finditer(raw):
        body = m.group(2)
        s = STREAM.match(body)
        if s is None:
            out[int(m.group(1))] = (body, None)
            continue
        data = s.group(2)
        if b"/FlateDecode" in s.group(1):
            data = zlib.decompress(data)
        out[int(m.group(1))] = (s.group(1), data)
    return out


def _cmap(data: bytes) -> tuple[dict[int, str], int]:
    """Glyph code -> text of a ToUnicode CMap, and the code's width in bytes."""
    codes: dict[int, str] = {}
    width = 1
    for a, b, values in re.findall(rb"<([0-9a-f]+)> <([0-9a-f]+)> \[([^\]]*)\]", data, re.I):
        width = len(a) // 2
        texts = [
            bytes.fromhex(v.decode()).decode("utf-16-be")
            for v in re.findall(rb"<([0-9a-f]*)>", values, re.I)
        ]
        for code, text in zip(range(int(a, 16), int(b, 16) + 1), texts, strict=True):
            codes[code] = text
    return codes, width


def fonts(raw: bytes) -> PdfFonts:
    """The base names of the fonts of ``raw`` and how many font files it embeds."""
    objs = _objects(raw)
    names = [
        re.search(rb"/BaseFont /(\S+)", body).group(1).decode()
        for body, _ in objs.values()
        if re.search(rb"/Type /Font\b", body)
        and re.search(rb"/Subtype /(Type0|Type3|TrueType)", body)
    ]
    files = sum(b"/FontFile2" in body or b"/CharProcs" in body for body, _ in objs.values())
    return PdfFonts(tuple(sorted(names)), files)


def font_tables(raw: bytes) -> list[set[str]]:
    """The table tags of every TrueType font file (``/FontFile2``) embedded in ``raw``."""
    import io

    from fontTools.ttLib import TTFont

    objs = _objects(raw)
    out: list[set[str]] = []
    for body, _ in objs.values():
        ref = re.search(REF.format(key="FontFile2").encode(), body)
        if ref is not None:
            data = objs[int(ref.group(1))][1] or b""
            out.append(set(TTFont(io.BytesIO(data)).keys()))
    return out


def page_text(raw: bytes) -> str:
    """The text shown on the pages of ``raw``, one line per text object (``BT`` .. ``ET``)."""
    objs = _objects(raw)
    maps: dict[str, tuple[dict[int, str], int]] = {}
    for body, _ in objs.values():
        for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            font = objs[int(num)][0]
            tu = re.search(REF.format(key="ToUnicode").encode(), font)
            if tu is not None:
                maps[name.decode()] = _cmap(objs[int(tu.group(1))][1] or b"")
    lines: list[str] = []
    for _, data in objs.values():
        if data is None or b"BT" not in data:
            continue
        for block in re.findall(rb"\bBT\b(.*?)\bET\b", data, re.S):
            codes, width, line = ({}, 1, [])
            for tf, literal, hexs in TOKEN.findall(block):
                if tf:
                    codes, width = maps.get(tf.decode(), ({}, 1))
                    continue
                b = _unescape(literal[1:-1]) if literal else bytes.fromhex(hexs.decode())
                for i in range(0, len(b), width):
                    line.append(codes.get(int.from_bytes(b[i : i + width], "big"), "\ufffd"))
            lines.append("".join(line))
    return "\n".join(lines)


#: A font selection, a literal string (matplotlib escapes every parenthesis) or a hex string.
TOKEN = re.compile(rb"/(F\d+) [\d.]+ Tf|(\((?:\\.|[^\\)])*\))|<([0-9a-fA-F]*)>", re.S)
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(s: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        e = m.group(1)
        if e[:1].isdigit():
            return bytes([int(e, 8) & 0xFF])
        return b"" if e in (b"\n", b"\r") else ESCAPES.get(e, e)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, s, flags=re.S)
