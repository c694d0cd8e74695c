"""Wave 18's speed paths: what they change and what they keep (issue #13)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("fontTools")


@pytest.mark.parametrize(("lang", "title"), [("en", "Liptako map"), ("ar", "خريطة ليبتاكو")])
def test_the_printed_map_embeds_fonts_without_layout_tables(
    tmp_path: Path, lang: str, title: str
) -> None:
    """map.pdf's font subsets hold the glyphs, metrics and character maps, not the OpenType
    layout tables (matplotlib lays the text out); its text reads as before, in both
    scripts, and each font file is still embedded once."""
    from _browser import all_layers
    from _pdf_text import font_tables, page_text
    from _pdf_text import fonts as pdf_fonts
    from borderwatch import BorderwatchWarning
    from borderwatch.maps import Layers, export_static
    from borderwatch.maps._static_files import LAYOUT_TABLES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        out = export_static(
            None,
            tmp_path / "map.pdf",
            layers=Layers(**all_layers()),
            lang=lang,
            title=title,
            source="ACLED Niamey, fieldwork",
            synthetic=True,
        )
    raw = out.read_bytes()
    tables = font_tables(raw)
    found = pdf_fonts(raw)
    assert tables and len(tables) == found.files == len(found.base_names)
    for tags in tables:
        assert {"glyf", "loca", "hmtx", "cmap", "head"} <= tags
        assert not tags & set(LAYOUT_TABLES)
    text = page_text(raw)
    assert "ACLED Niamey, fieldwork" in text
    assert title in text if lang == "en" else title[::-1] in text


def test_the_layout_tables_are_subset_again_after_the_block() -> None:
    """:func:`outline_subsets` changes fontTools' default for its block only (also when the
    block raises), so other users of fontTools in the same process keep theirs."""
    from fontTools import subset

    from borderwatch.maps._static_files import outline_subsets

    before = list(subset.Options().drop_tables)
    with pytest.raises(RuntimeError, match="inside"), outline_subsets():
        assert {"GSUB", "GPOS", "GDEF"} <= set(subset.Options().drop_tables)
        msg = "inside"
        raise RuntimeError(msg)
    assert subset.Options().drop_tables == before


def test_a_fonttools_without_the_default_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fontTools has no ``_drop_tables_default`` list the block does nothing."""
    from fontTools import subset

    from borderwatch.maps._static_files import outline_subsets

    monkeypatch.setattr(subset.Options, "_drop_tables_default", None)
    with outline_subsets():
        assert subset.Options._drop_tables_default is None
