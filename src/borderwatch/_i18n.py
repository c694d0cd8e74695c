"""Translations: the tables in ``borderwatch/data/i18n`` and the translator of one map.

Here, outside :mod:`borderwatch.maps`, so that the planning tables can use the
translator without importing the drawing code (folium, matplotlib);
:mod:`borderwatch.maps._i18n` re-exports it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Final

from ._data import data_path
from ._errors import DataError
from ._schema import truthy
from ._text import to_text

__all__ = ["LANGUAGES", "Tr", "check_lang", "translations"]

#: Languages with a translation file in ``borderwatch/data/i18n``.
LANGUAGES: Final = ("en", "fr", "es", "pt", "ar")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=len(LANGUAGES))
def _load_translation(lang: str) -> dict[str, Any]:
    path = data_path("i18n", f"{lang}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def translations(lang: str = "en") -> dict[str, Any]:
    """The translation table of one language.

    Parameters
    ----------
    lang : {"en", "fr", "es", "pt", "ar"}

    Returns
    -------
    dict
        ``lang``, ``dir`` (``"ltr"`` or ``"rtl"``), ``strings`` (UI text by key;
        placeholders like ``{k}``) and ``countries`` (ISO3 code to name). A copy:
        changing it does not change borderwatch.

    Examples
    --------
    >>> translations("fr")["countries"]["NER"]
    'Niger'
    >>> translations("ar")["dir"]
    'rtl'
    """
    check_lang(lang)
    return json.loads(json.dumps(_load_translation(lang)))


def check_lang(lang: str) -> None:
    """Raise :class:`DataError` unless ``lang`` has a translation file."""
    if lang not in LANGUAGES:
        msg = f"lang={lang!r} is not available. Hint: use one of {', '.join(LANGUAGES)}."
        raise DataError(msg)


class Tr:
    """Looks up and fills translated strings of one language.

    With ``plain=True`` (the public view) a key ``k`` is first looked up as
    ``plain.k``: plain words for a community meeting instead of the technical
    terms of the internal view and the methods note.

    Examples
    --------
    >>> tr = Tr("fr")
    >>> tr("value.suppressed", k=5), tr.countries("MLI,NER")
    ('<5', 'Mali–Niger')
    >>> Tr("en", plain=True).hotspot_class("hot", 99)
    'Many more incidents than in the surrounding area (very sure)'
    """

    def __init__(self, lang: str, *, plain: bool = False) -> None:
        check_lang(lang)
        doc = _load_translation(lang)
        self.lang = lang
        self.plain = plain
        self.dir: str = doc["dir"]
        self.strings: dict[str, str] = doc["strings"]
        self.country_names: dict[str, str] = doc["countries"]
        self.fallback: dict[str, str] = _load_translation("en")["strings"]

    def __call__(self, key: str, **values: object) -> str:
        """The string ``key`` with ``{name}`` placeholders filled from ``values``.

        In a right-to-left language each value is wrapped in Unicode isolates
        (FSI ... PDI) so that dates, numbers and Latin names keep their order.
        """
        template = self.template(key)
        wrap = "\u2068{}\u2069" if self.dir == "rtl" else "{}"
        return _PLACEHOLDER.sub(
            lambda m: (
                wrap.format(to_text(values[m.group(1)])) if m.group(1) in values else m.group(0)
            ),
            template,
        )

    def template(self, key: str) -> str:
        """The raw string of ``key`` (its plain-words form first when ``plain``)."""
        if self.plain and ("plain." + key) in self.strings:
            return self.strings["plain." + key]
        return self.strings.get(key, self.fallback.get(key, key))

    def has(self, key: str) -> bool:
        """True if the language has its own text for ``key``."""
        return key in self.strings

    def country(self, code: object) -> str:
        """The name of an ISO3 country code (the code itself when unknown)."""
        text = to_text(code).strip()
        return self.country_names.get(text.upper(), text)

    def countries(self, codes: object) -> str:
        """Names of comma- or semicolon-separated country codes, joined by a dash."""
        parts = [p.strip() for p in re.split(r"[,;]", to_text(codes)) if p.strip()]
        return "–".join(self.country(p) for p in parts)

    def category(self, key: object) -> str:
        """The name of a category key (the key itself when unknown)."""
        text = to_text(key)
        if not text:
            return self("category.unknown")
        return self(f"category.{text}") if self.has(f"category.{text}") else text

    def hotspot_class(self, kind: object, conf: object) -> str:
        """The name of a hotspot class: ``("hot", 99)`` -> "Hot spot – 99% confidence".

        In plain words the confidence reads "very sure", "sure", "fairly sure".
        """
        if kind in ("hot", "cold") and conf in (99, 95, 90):
            return self(f"class.{kind}", p=conf, sure=self(f"sure.{conf}"))
        return self("class.ns")

    def topic(self, text: object) -> str:
        """A meeting topic: translated when it is one of the demo's topics, else as written."""
        raw = to_text(text).strip()
        key = "topic." + re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")
        return self(key) if self.has(key) else raw

    def trend(self, value: object) -> str:
        """The name of an emerging-hotspot trend class (the text itself when unknown)."""
        text = to_text(value)
        key = "trend." + re.sub(r"[\s\-]+", "_", text.strip().lower())
        return self(key) if self.has(key) else text

    def yes_no(self, value: object) -> str | None:
        """ "yes" or "no" for a flag; None when it is missing or unclear."""
        flag = truthy(value, missing=None)
        if flag is None:
            return None
        return self("value.yes") if flag else self("value.no")

    def synthetic_word(self) -> str:
        """SYNTHETIC, and its translation after a middle dot."""
        word = self("title.synthetic")
        return "SYNTHETIC" if word == "SYNTHETIC" else f"SYNTHETIC · {word}"
