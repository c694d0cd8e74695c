"""What the privacy code knows about the input incidents and about column names.

The public view and the leak scanner both look for the same things: incident
ids, free text and coordinates. :class:`IncidentInfo` gathers them once from
the incidents; :func:`free_text_values` decides which values count as free
text. The column vocabularies that both need live here too, in one place.
"""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._crs import WGS84, study_crs
from .._schema import TAXONOMY

__all__ = [
    "CATEGORY_RE",
    "VOCAB_COLUMNS",
    "IncidentInfo",
    "free_text_values",
    "is_category",
    "is_text",
]

CATEGORY_RE = re.compile(r"^iccs\d{2}_[a-z0-9_]+$")
"""ICCS category keys, also finer ones than the sections of :data:`TAXONOMY`."""

_TAXONOMY = frozenset(TAXONOMY)

#: Columns of the incidents that hold controlled vocabularies, not free text.
VOCAB_COLUMNS = frozenset(
    {
        "category",
        "date_precision",
        "country",
        "reported_country",
        "unit_id",
        "unit_name",
        "join",
        "countries",
    }
)

_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
"""Lower-case identifiers (``background``, ``mli_ner_border``) are codes, not free text."""

_DATE_RE = re.compile(r"[\d\-/:.T Z+]+")


def is_category(name: str) -> bool:
    """Whether ``name`` is a category key (of the taxonomy, or a finer ICCS key).

    >>> is_category("iccs03_sexual"), is_category("unspecified"), is_category("incidents")
    (True, True, False)
    """
    return name in _TAXONOMY or CATEGORY_RE.match(name) is not None


def is_text(series: pd.Series) -> bool:
    """Whether a column holds text (string, object or categorical dtype)."""
    return bool(
        pd.api.types.is_string_dtype(series.dtype)
        or series.dtype == object
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def free_text_values(incidents: pd.DataFrame, *, min_len: int = 4) -> set[str]:
    """Distinct free-text values of the incidents (ids and vocabularies excluded).

    Values shorter than ``min_len``, without a letter, that look like dates or
    are lower-case codes, and columns with one value for five or more
    incidents (data-set metadata), are not free text.

    >>> df = pd.DataFrame({"id": ["A-1", "A-2"], "category": ["iccs05_property"] * 2,
    ...                    "note": ["goats stolen at dawn", "background"]})
    >>> sorted(free_text_values(df))
    ['goats stolen at dawn']
    """
    out: set[str] = set()
    geom = incidents.geometry.name if isinstance(incidents, gpd.GeoDataFrame) else None
    for col in incidents.columns:
        if col in VOCAB_COLUMNS or col == "id" or col == geom:
            continue
        s = incidents[col]
        if not is_text(s):
            continue
        values = pd.unique(s.dropna().astype(str))
        if len(values) == 1 and s.notna().sum() >= 5:
            continue  # one value for every incident: data-set metadata, not about an incident
        out.update(v for v in (str(v).strip() for v in values) if _is_free_text(v, min_len))
    return out


def _is_free_text(value: str, min_len: int) -> bool:
    return (
        len(value) >= min_len
        and any(ch.isalpha() for ch in value)
        and not _DATE_RE.fullmatch(value)
        and not _CODE_RE.fullmatch(value)
    )


@dataclasses.dataclass(frozen=True)
class IncidentInfo:
    """Ids, free text, columns, categories and coordinates of the input incidents.

    Attributes
    ----------
    ids, texts : frozenset of str
        Incident ids and free-text values (see :func:`free_text_values`).
    columns : frozenset of str
        The incidents' column names.
    categories : frozenset of str
        The categories the incidents use.
    lonlat : ndarray
        Longitude and latitude of every located incident, shape ``(n, 2)``.
    xy : ndarray or None
        The same points in the metric CRS ``crs``.
    crs : CRS or None
        The metric CRS of ``xy``.
    """

    ids: frozenset[str] = frozenset()
    texts: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    lonlat: np.ndarray = dataclasses.field(default_factory=lambda: np.empty((0, 2)))
    xy: np.ndarray | None = None
    crs: CRS | None = None

    @classmethod
    def from_incidents(cls, incidents: gpd.GeoDataFrame | None, *, crs: CRS | None) -> IncidentInfo:
        """Gather what must not leak from ``incidents``; ``crs`` is the metric CRS if known."""
        if incidents is None or len(incidents) == 0:
            return cls()
        ids: set[str] = set()
        if "id" in incidents.columns:
            ids = {str(v) for v in incidents["id"].dropna()}
        cats: set[str] = set()
        if "category" in incidents.columns:
            cats = {str(c) for c in incidents["category"].dropna()}
        lonlat = np.empty((0, 2))
        xy = None
        metric = None
        if incidents.crs is not None:
            pts = incidents.geometry
            pts = pts[~(pts.isna() | pts.is_empty)]
            lonlat = shapely.get_coordinates(pts.to_crs(WGS84).values)
            metric = crs if crs is not None and crs.is_projected else study_crs(pts)
            xy = shapely.get_coordinates(pts.to_crs(metric).values)
        return cls(
            ids=frozenset(ids),
            texts=frozenset(free_text_values(incidents)),
            columns=frozenset(str(c) for c in incidents.columns),
            categories=frozenset(cats),
            lonlat=lonlat,
            xy=xy,
            crs=metric,
        )
