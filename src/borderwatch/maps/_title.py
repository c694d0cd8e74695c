"""The map's title and source line, from the data when none is given.

The default title names the study area's countries and years in the map's
language ("Incidents near the Mexico–United States border, 2004–2023"). The
source line never shows a directory: a source given in the settings
(``--source``) as given, the input's file name in the internal view, and
nothing from an input path in the public view.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Final

import geopandas as gpd

from .._result import AnalysisResult
from ._html import to_text
from ._i18n import Tr

__all__ = [
    "PLACEHOLDER_TITLES",
    "data_title",
    "given_title",
    "source_line",
    "study_countries",
    "years",
]

#: Titles the pipeline gives a result when none was asked for; the map uses one from the data.
PLACEHOLDER_TITLES: Final = ("",)


def years(period: str | None, months: tuple[str, ...]) -> str | None:
    """ "2004–2023" (or "2023") from the months or the period."""
    years = [m[:4] for m in (months[:1] + months[-1:])]
    if not years and period:
        years = re.findall(r"(?<!\d)(\d{4})(?!\d)", period)
    if not years:
        return None
    lo, hi = min(years), max(years)
    return lo if lo == hi else f"{lo}–{hi}"


def study_countries(units: gpd.GeoDataFrame | None, border: gpd.GeoDataFrame | None) -> list[str]:
    codes: set[str] = set()
    if units is not None and "country" in units.columns:
        codes |= {to_text(c).strip().upper() for c in units["country"] if to_text(c).strip()}
    if not codes and border is not None and "countries" in border.columns:
        for v in border["countries"]:
            codes |= {c.strip().upper() for c in to_text(v).split(",") if c.strip()}
    return sorted(codes)


def data_title(
    tr: Tr, countries: list[str], years: str | None, *, border: bool = True
) -> str | None:
    """The default title from the data: "Incidents near the Mexico–United States border, 2004–2023".

    Examples
    --------
    >>> data_title(Tr("fr"), ["MEX", "USA"], "2004–2023")
    'Incidents près de la frontière Mexique–États-Unis, 2004–2023'
    """
    if not countries:
        return None
    names = "–".join(tr.country(c) for c in countries)
    if len(countries) == 1 or not border:
        title = tr("title.data_area", countries=names)
    elif len(countries) == 2:
        title = tr("title.data_border", countries=names)
    else:
        title = tr("title.data_borders", countries=names)
    return tr("title.with_years", title=title, years=years) if years else title


def given_title(result: AnalysisResult | None) -> str | None:
    """The result's title when someone chose it (empty: none chosen)."""
    if result is None:
        return None
    chosen = getattr(result.settings, "title", None)
    if chosen:
        return str(chosen)
    return None if result.title in PLACEHOLDER_TITLES else result.title


#: Suffixes of the files borderwatch reads: a source ending so is an input path.
_DATA_SUFFIXES: Final = frozenset(
    {
        ".csv",
        ".tsv",
        ".txt",
        ".xls",
        ".xlsx",
        ".json",
        ".geojson",
        ".gpkg",
        ".shp",
        ".parquet",
        ".zip",
    }
)


def looks_like_path(text: str) -> bool:
    """True if ``text`` is a file path (it has a directory or a data file's suffix).

    Examples
    --------
    >>> looks_like_path("../shared/data/events.csv"), looks_like_path("Police reports, 2023")
    (True, False)
    """
    if "/" in text or "\\" in text:
        return True
    return PurePath(text.strip()).suffix.lower() in _DATA_SUFFIXES


def source_line(result: AnalysisResult | None, *, view: str, tr: Tr) -> str | None:
    """The result's source line: never a directory; nothing from an input path in public.

    A source given in the settings (``--source``) is shown as given, and so is a
    result's source that is not a file path; the demo's says so in the map's
    language. A source that is the input's path shows as its file name in the
    internal view and not at all in the public view.

    Examples
    --------
    >>> from borderwatch._result import AnalysisResult
    >>> r = AnalysisResult(units=None, border=None, crs=None, source="/home/me/police/2023.csv")
    >>> source_line(r, view="internal", tr=Tr("en")), source_line(r, view="public", tr=Tr("en"))
    ('2023.csv', None)
    """
    if result is None:
        return None
    chosen = getattr(result.settings, "source", None)
    if chosen:
        return str(chosen)
    if result.synthetic:
        return tr("source.demo")
    text = to_text(result.source).strip()
    if not text:
        return None
    if not looks_like_path(text):
        return text
    if view != "internal":
        return None
    return PurePath(text.replace("\\", "/")).name or None
