"""Translations of the maps: :mod:`borderwatch._i18n`, which lives outside the maps so
that the planning tables translate without importing the drawing code.

Examples
--------
>>> Tr("fr")("value.suppressed", k=5)
'<5'
>>> "ar" in LANGUAGES
True
"""

from __future__ import annotations

from .._i18n import LANGUAGES, Tr, check_lang, translations

__all__ = ["LANGUAGES", "Tr", "check_lang", "translations"]
