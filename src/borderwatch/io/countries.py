"""Country codes and names to ISO 3166-1 alpha-3."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from .._data import data_path
from .._schema import fold

__all__ = ["to_iso3"]


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    """Folded ISO3, ISO2, names (pycountry) and the shipped aliases -> ISO3."""
    import pycountry

    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_3", "alpha_2", "name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                table[fold(value)] = c.alpha_3
    aliases = pd.read_csv(data_path("lookups", "country_aliases.csv"), comment="#")
    for name, iso3 in zip(aliases["name"], aliases["iso3"], strict=True):
        table[fold(name)] = iso3
    return table


def to_iso3(values: pd.Series | list[Any]) -> pd.Series:
    """Convert country codes or English names to ISO 3166-1 alpha-3 codes.

    Accepts ISO3, ISO2, English short and official names, and the names UCDP uses
    (``"DR Congo (Zaire)"``). Unknown values become missing.

    Examples
    --------
    >>> to_iso3(["Niger", "mli", "BF", "DR Congo (Zaire)", "Atlantis"]).tolist()
    ['NER', 'MLI', 'BFA', 'COD', None]
    """
    s = pd.Series(values)
    table = _country_table()
    uniques = pd.unique(s.dropna())
    mapping = {u: table.get(fold(u)) for u in uniques}
    out = s.map(mapping)
    return out.astype(object).where(out.notna(), None)
