"""Shared facts: standard column names, attendance groups, the category taxonomy,
hotspot classes and the SYNTHETIC note.

Every module takes these from here; none writes them again. Changing one of
them changes the output contract (``../shared/CONTRACT.md``), so do it only
through an issue.
"""

from __future__ import annotations

import csv
import math
import sys
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Final

import numpy as np

from ._data import data_path

if TYPE_CHECKING:
    import pandas as pd  # imported where used: the CLI's settings need no pandas

__all__ = [
    "ALLOWED_CELL_KM",
    "ATTENDANCE",
    "ATTENDANCE_GROUPS",
    "CONFIDENCE_LEVELS",
    "HOTSPOT_KINDS",
    "INCIDENT_COLUMN_KEYS",
    "SENSITIVE_CATEGORIES",
    "SYNTHETIC",
    "TAXONOMY",
    "UNIT_COLUMN_KEYS",
    "classify_hotspots",
    "fold",
    "hotspot_label",
    "hotspot_labels",
    "is_hot",
    "taxonomy_table",
    "truthy",
]

#: Said by every output of demo data (a ``data`` column, a GeoTIFF tag, the
#: summary and the map's watermark).
SYNTHETIC: Final = "SYNTHETIC demo data, not real incidents"

#: The cell sizes of the fixed global lattice (side of the square, km): each twice
#: the previous (:mod:`borderwatch.lattice`; here so the CLI offers them without geopandas).
ALLOWED_CELL_KM: Final[tuple[int, ...]] = (5, 10, 20, 40, 80)

#: Attendance groups of a community meeting; each is a column ``att_<group>``.
ATTENDANCE_GROUPS: Final = ("women", "men", "youth", "migrants", "police", "leaders")
#: The attendance columns of a meetings frame, in display order.
ATTENDANCE: Final = tuple(f"att_{g}" for g in ATTENDANCE_GROUPS)

#: Settings keys naming the columns of an incidents (or meetings) file, and the
#: reader keyword each one feeds.
INCIDENT_COLUMN_KEYS: Final = (
    "lon_col",
    "lat_col",
    "time_col",
    "category_col",
    "id_col",
    "country_col",
)
#: Settings keys naming the columns of a units file -> the keyword of ``read_units``.
UNIT_COLUMN_KEYS: Final = {
    "unit_id_col": "id_col",
    "unit_name_col": "name_col",
    "unit_country_col": "country_col",
}


# ------------------------------------------------------------------------------------ taxonomy


@lru_cache(maxsize=1)
def taxonomy_table() -> tuple[dict[str, str], ...]:
    """The shipped ICCS sections (``data/lookups/iccs_sections.csv``), one dict per row."""
    with data_path("lookups", "iccs_sections.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(dict(row) for row in csv.DictReader(fh))


#: Keys of the common category taxonomy: the top-level sections of UNODC's
#: International Classification of Crime for Statistical Purposes (ICCS, 2015),
#: plus ``unspecified``.
TAXONOMY: Final[list[str]] = [row["key"] for row in taxonomy_table()]

#: Categories that are always sensitive, whatever the input says (victims of
#: sexual violence must never be identifiable).
SENSITIVE_CATEGORIES: Final = frozenset(
    row["key"] for row in taxonomy_table() if row["always_sensitive"].strip() == "1"
)


# ------------------------------------------------------------------------------------ text


def fold(value: object) -> str:
    """Case-fold, strip accents and collapse punctuation to single spaces.

    Case-folding comes before accents are stripped, as Unicode's full case
    folding expects (the Greek iota subscript folds to a letter iota).

    >>> fold("  Vol de Bétail! "), fold("ᾼ")
    ('vol de betail', 'αι')
    """
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


_TRUE = frozenset(
    {"1", "true", "yes", "y", "oui", "si", "sim", "t", "x", "vrai", "verdadero", "1 0"}
)
_FALSE = frozenset({"0", "false", "no", "n", "non", "nao", "f", "faux", "falso", "0 0", ""})


def truthy(value: object, *, missing: bool | None = False) -> bool | None:
    """A yes/no flag from bools, numbers or text in the five languages.

    Missing values give ``missing``; text that is neither yes nor no gives
    ``missing`` too.

    >>> [truthy(v) for v in (True, 1, "Oui", "sí", "no", None)]
    [True, True, True, True, False, False]
    >>> truthy(None, missing=None) is None
    True
    """
    if value is None or _pandas_missing(value):
        return missing
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return bool(value)
    if isinstance(value, float | np.floating):
        return missing if math.isnan(value) else bool(value)
    text = fold(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return missing


def _pandas_missing(value: object) -> bool:
    """Whether ``value`` is ``pd.NA`` or ``pd.NaT`` (neither exists before pandas is imported)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


# ------------------------------------------------------------------------------------ hotspots

#: Values of ``hotspot_kind``.
HOTSPOT_KINDS: Final = ("hot", "cold", "none")
#: (p-value bound, confidence in %) of the classes, strongest first (ArcGIS ``Gi_Bin``).
CONFIDENCE_LEVELS: Final = ((0.01, 99), (0.05, 95), (0.10, 90))
_NOT_SIGNIFICANT: Final = "Not significant"


def classify_hotspots(
    z: np.ndarray, p: np.ndarray, hot_ok: np.ndarray, cold_ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hotspot kind and confidence from z-scores and (adjusted) p-values.

    Returns ``kind`` (``"hot"``, ``"cold"`` or ``"none"``) and ``confidence``
    (99, 95, 90, or 0 when not significant), following ArcGIS's ``Gi_Bin``:
    hot at 99 % when ``p <= 0.01`` and ``z > 0``, and so on.

    >>> kind, conf = classify_hotspots(np.array([3.0, -2.0, 1.0]), np.array([0.004, 0.03, 0.5]),
    ...                                np.ones(3, bool), np.ones(3, bool))
    >>> kind.tolist(), conf.tolist()
    (['hot', 'cold', 'none'], [99, 95, 0])
    """
    kind = np.full(len(z), "none", dtype=object)
    conf = np.zeros(len(z), dtype=np.int64)
    for level, pct in reversed(CONFIDENCE_LEVELS):  # 90 first, overwritten by stronger levels
        sig = np.isfinite(p) & (p <= level)
        hot = sig & (z > 0) & hot_ok
        cold = sig & (z < 0) & cold_ok
        kind[hot] = "hot"
        kind[cold] = "cold"
        conf[hot | cold] = pct
    return kind, conf


def hotspot_label(kind: object, confidence: object) -> str:
    """The English display label of a class, as ArcGIS writes it.

    >>> hotspot_label("hot", 99), hotspot_label("none", 0)
    ('Hot spot - 99% confidence', 'Not significant')
    """
    if kind in ("hot", "cold") and confidence in (99, 95, 90):
        return f"{str(kind).capitalize()} spot - {int(confidence)}% confidence"  # type: ignore[call-overload]
    return _NOT_SIGNIFICANT


def hotspot_labels(frame: pd.DataFrame) -> pd.Series:
    """The display labels of a frame's ``hotspot_kind`` and ``hotspot_confidence``.

    Cells whose class is unknown (missing kind, as in the public view of a
    suppressed statistic) get a missing label.
    """
    import pandas as pd

    kind = frame["hotspot_kind"].astype(object)
    conf = pd.to_numeric(frame["hotspot_confidence"], errors="coerce").fillna(0).astype(int)
    labels = [
        None
        if k is None or k is pd.NA or (isinstance(k, float) and math.isnan(k))
        else hotspot_label(k, c)
        for k, c in zip(kind, conf, strict=True)
    ]
    return pd.Series(pd.array(labels, dtype="str"), index=frame.index)


def is_hot(frame: pd.DataFrame, *, alpha: float = 0.10, kind: str = "hot") -> np.ndarray:
    """True where a frame's class is a hot spot at a confidence of at least ``1 - alpha``.

    ``kind="cold"`` asks the same of cold spots.

    >>> import pandas as pd
    >>> is_hot(pd.DataFrame({"hotspot_kind": ["hot", "hot", "cold"],
    ...                      "hotspot_confidence": [99, 90, 99]}), alpha=0.05).tolist()
    [True, False, False]
    """
    import pandas as pd

    kinds = frame["hotspot_kind"].astype(object).to_numpy()
    conf = pd.to_numeric(frame["hotspot_confidence"], errors="coerce").fillna(0).to_numpy()
    return (kinds == kind) & (conf > 0) & (conf >= 100 * (1 - alpha) - 1e-9)
