"""Writing a drawn handout page into PNG and PDF files, cheaply.

:func:`save_page` is what :func:`~borderwatch.maps.static.export_static` calls for
each file. Two costs of matplotlib's defaults are avoided, the page itself is not
changed:

* **PNG**: the page is drawn with Agg at ``dpi`` as :meth:`Figure.savefig` draws it,
  and written by Pillow as RGB when every pixel is opaque (the page's white face:
  the alpha channel carries nothing), at zlib level 3. Same pixels, same size and
  resolution (``pHYs``), same text chunks (``Title``, ``Software``); about half the
  encoding time of an RGBA file at level 6, and a smaller file.
* **PDF**: with :func:`~borderwatch.maps.static.print_rc`'s font settings each font is
  embedded (a TrueType subset of the glyphs used, with a ToUnicode map: the text stays
  searchable in every script) once, not once per 256 characters, and Latin text is
  drawn without optional ligatures (:func:`plain_glyphs`), which would embed it again.
  The subsets leave out the OpenType layout tables, which nothing reads in an embedded
  font (:func:`outline_subsets`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "LAYOUT_TABLES",
    "PNG_LEVEL",
    "outline_subsets",
    "plain_glyphs",
    "save_page",
    "save_pages",
]

#: zlib level of a written PNG (Pillow's default is 6: twice the time for 5 % less).
PNG_LEVEL = 3


def save_page(fig: Any, path: str | os.PathLike[str], *, kind: str, dpi: int, title: str) -> Path:
    """Write the drawn page ``fig`` to ``path`` as a ``kind`` ("png" or "pdf") file.

    Call it inside :func:`~borderwatch.maps.static.print_rc` (the fonts).

    Examples
    --------
    >>> import tempfile
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.text(0.1, 0.5, "Niamey · نيامي")
    >>> out = save_page(fig, tempfile.mkdtemp() + "/p.png", kind="png", dpi=50, title="T")
    >>> from PIL import Image
    >>> with Image.open(out) as im:
    ...     im.size, im.mode, im.text["Title"], im.text["Software"], round(im.info["dpi"][0])
    ((100, 50), 'RGB', 'T', 'borderwatch', 50)
    """
    path = Path(path)
    plain_glyphs(fig)
    if kind == "pdf":
        with outline_subsets():
            fig.savefig(
                path, format="pdf", dpi=dpi, metadata={"Title": title, "Creator": "borderwatch"}
            )
    else:
        _save_png(fig, path, dpi=dpi, metadata={"Title": title, "Software": "borderwatch"})
    return path


#: OpenType layout tables, left out of the fonts a PDF embeds (see :func:`outline_subsets`).
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF")


@contextmanager
def outline_subsets() -> Iterator[None]:
    """Inside the block, the font subsets fontTools makes leave out the OpenType layout
    tables (:data:`LAYOUT_TABLES`: substitutions, positioning, glyph classes).

    Matplotlib lays the text out itself (glyphs and positions, Arabic joined) and a
    PDF viewer draws the glyphs where the page puts them: nothing reads these tables in
    an embedded font. Subsetting them is most of the subsetting's time (DejaVu Sans's
    mark positioning: two fonts took 0.3 s, now 0.1 s, of the 1.3 s that writing the 1M
    benchmark's map.pdf takes). The glyphs, their widths and the ToUnicode maps (the
    text a viewer's search finds) are the same. It sets the default of
    ``fontTools.subset.Options`` (the one matplotlib's subsetter starts from) for the
    block, in this process (the printed map is written in a child of its own; blocks
    open in several threads at once restore it when the last one ends), and nothing
    where fontTools has no such default.

    >>> from fontTools import subset
    >>> with outline_subsets():
    ...     "GPOS" in subset.Options().drop_tables
    True
    >>> "GPOS" in subset.Options().drop_tables
    False
    """
    try:
        from fontTools.subset import Options
    except ImportError:  # matplotlib's PDF writer needs fontTools: it will say so
        yield
        return
    with _OUTLINES_LOCK:  # blocks may overlap (threads): the first sets, the last restores
        if _OUTLINES[0] == 0:
            before = getattr(Options, "_drop_tables_default", None)
            _OUTLINES[1] = before
            if isinstance(before, list):
                Options._drop_tables_default = before + [
                    t for t in LAYOUT_TABLES if t not in before
                ]
        _OUTLINES[0] += 1
    try:
        yield
    finally:
        with _OUTLINES_LOCK:
            _OUTLINES[0] -= 1
            if _OUTLINES[0] == 0 and isinstance(_OUTLINES[1], list):
                Options._drop_tables_default = _OUTLINES[1]


#: How many :func:`outline_subsets` blocks are open, and fontTools' default before the first.
_OUTLINES: list[Any] = [0, None]
_OUTLINES_LOCK = threading.Lock()


def save_pages(
    fig: Any,
    targets: list[tuple[Path, str]],
    *,
    dpi: int,
    title: str,
    split: bool = False,
) -> None:
    """:func:`save_page` of ``fig`` into every ``(path, kind)`` of ``targets``.

    With ``split`` (and several targets, on a system that forks), the last file is
    written by a forked copy of this process while this one writes the others: the
    PDF's vector drawing and font subsets and the PNG's raster drawing each take one
    core. The copy only writes its file; if it fails, or says a borderwatch warning,
    this process writes that file again itself, so its error or warning is raised
    here as it would be without ``split``.
    """
    pid = (
        _forked_writer(fig, targets[-1], dpi=dpi, title=title) if split and len(targets) > 1 else 0
    )
    for path, kind in targets[:-1] if pid else targets:
        save_page(fig, path, kind=kind, dpi=dpi, title=title)
    if pid and os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0:
        path, kind = targets[-1]
        save_page(fig, path, kind=kind, dpi=dpi, title=title)


def _forked_writer(fig: Any, target: tuple[Path, str], *, dpi: int, title: str) -> int:
    """The process id of a forked copy that writes ``target`` and ends (0: not forked)."""
    import sys

    from .._warnings import withheld

    if not hasattr(os, "fork") or not sys.platform.startswith("linux") or not _cores_for_two():
        return 0
    for stream in (sys.stdout, sys.stderr):  # no buffered text written twice
        stream.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the copy: write the file, say nothing, end without running this process's exit
        with withheld() as said:
            save_page(fig, target[0], kind=target[1], dpi=dpi, title=title)
        code = 3 if said else 0
    finally:
        os._exit(code)


def _cores_for_two() -> bool:
    """Whether two usable cores are here."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return False


def _save_png(fig: Any, path: Path, *, dpi: int, metadata: dict[str, str]) -> None:
    """As ``fig.savefig(path, format="png", dpi=dpi, metadata=metadata)``, RGB when opaque."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi)  # savefig's own drawing: dpi, face colour
    data = raw.getvalue()
    image = Image.frombuffer("RGBA", _pixels(fig, dpi, len(data) // 4), data, "raw", "RGBA", 0, 1)
    if image.getchannel("A").getextrema() == (255, 255):  # opaque: the alpha says nothing
        image = image.convert("RGB")
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    image.save(path, format="png", pnginfo=info, dpi=(dpi, dpi), compress_level=PNG_LEVEL)


def _pixels(fig: Any, dpi: int, count: int) -> tuple[int, int]:
    """Width and height of ``fig`` drawn at ``dpi`` (Agg truncates; ``count`` pixels)."""
    w_in, h_in = fig.get_size_inches()
    for width in (int(w_in * dpi), round(w_in * dpi)):
        for height in (int(h_in * dpi), round(h_in * dpi)):
            if width * height == count:
                return width, height
    msg = f"a {w_in} x {h_in} in page at {dpi} dpi drew {count} pixels"  # not input: a bug
    raise RuntimeError(msg)


def plain_glyphs(fig: Any) -> None:
    """Draw the Latin text of ``fig`` without optional ligatures ("fi", "fl").

    DejaVu Sans draws "fi" in "confidence" as one glyph. Matplotlib's PDF writer
    (3.11) embeds such a glyph (several characters) in a second copy of the font,
    which fontTools subsets again (about 0.2 s); the two letters look the same and
    have the same advance. Text with Arabic (or Hebrew) letters keeps its ligatures:
    DejaVu Sans joins lam and alef through the same feature.
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        if not hasattr(text, "set_fontfeatures") or text.get_fontfeatures() is not None:
            continue  # matplotlib < 3.11, or features chosen by the drawing
        if not RIGHT_TO_LEFT.search(text.get_text()):
            text.set_fontfeatures(("-liga",))


#: Hebrew, Arabic, Syriac, Thaana, N'Ko, ..., and their presentation forms.
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
