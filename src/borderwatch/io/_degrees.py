"""Coordinates written in degrees, minutes and seconds, and what other notations look like.

A value is read as degrees-minutes-seconds only when it cannot mean anything
else: it carries a degree sign, a minute or second mark, or a hemisphere
letter (``N`` ``S`` ``E`` ``W``, and ``O`` for *ouest*/*oeste*), e.g.
``13°30'15"N``, ``13°30.25'``, ``N 13 30 15``, ``2°05'W``. A hemisphere letter
must fit the column (no ``N`` in a longitude).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["dms_to_degrees", "looks_dms", "looks_projected"]

_HEMI = "NSEWO"
_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEWO])?\s*
    (?P<sign>[+-])?(?P<deg>\d{1,3}(?:[.,]\d+)?)\s*(?P<dmark>[°º˚d])?\s*
    (?:(?P<min>\d{1,2}(?:[.,]\d+)?)\s*(?P<mmark>['′’m])?\s*
       (?:(?P<sec>\d{1,2}(?:[.,]\d+)?)\s*(?P<smark>["″”s]|''|′′|’’)?\s*)?)?
    (?P<h2>[NSEWO])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def _one(value: str, axis: str) -> float:
    m = _DMS.match(value)
    if m is None:
        return np.nan
    hemi = (m.group("h1") or m.group("h2") or "").upper()
    marked = any(m.group(g) for g in ("dmark", "mmark", "smark")) or hemi
    if not marked or (m.group("h1") and m.group("h2")) or (hemi and m.group("sign")):
        return np.nan
    if hemi and (hemi in "NS") != (axis == "lat"):
        return np.nan
    deg = float(m.group("deg").replace(",", "."))
    minutes = float((m.group("min") or "0").replace(",", "."))
    seconds = float((m.group("sec") or "0").replace(",", "."))
    if minutes >= 60 or seconds >= 60 or (m.group("min") and not deg.is_integer()):
        return np.nan
    out = deg + minutes / 60 + seconds / 3600
    negative = m.group("sign") == "-" or hemi in ("S", "W", "O")
    return -out if negative else out


def dms_to_degrees(raw: pd.Series, *, axis: str) -> pd.Series:
    """Decimal degrees of the values written in degrees-minutes-seconds (NaN elsewhere).

    ``axis`` is ``"lat"`` or ``"lon"``.

    >>> dms_to_degrees(pd.Series(["13°30'15\\"N", "13 30 N", "2°05'W", "13.5", "13 30"]), axis="lat")
    0    13.504167
    1    13.500000
    2          NaN
    3          NaN
    4          NaN
    dtype: float64
    >>> dms_to_degrees(pd.Series(["2°05'O", "E 1°30'"]), axis="lon").tolist()
    [-2.0833333333333335, 1.5]
    """
    s = pd.Series(raw).astype("string")
    uniq = pd.unique(s.dropna())
    table = {u: _one(str(u), axis) for u in uniq}
    return s.map(table).astype(float).reset_index(drop=True)


def looks_dms(raw: pd.Series) -> bool:
    """True when some values carry a degree sign or minute/second marks (DMS attempted).

    >>> looks_dms(pd.Series(["13°30'", "x"])), looks_dms(pd.Series(["13.5"]))
    (True, False)
    """
    s = pd.Series(raw).astype("string")
    return bool(s.str.contains(r"[°º˚′″]|\d\s*['\"]", regex=True).fillna(False).any())


def looks_projected(lon: np.ndarray, lat: np.ndarray) -> bool:
    """True when most coordinates are far beyond degrees, as projected metres (UTM) are.

    >>> looks_projected(np.array([512000.0, 515000.0]), np.array([1493000.0, 1494000.0]))
    True
    """
    with np.errstate(invalid="ignore"):
        big = (np.abs(lon) > 1000) | (np.abs(lat) > 1000)
    finite = np.isfinite(lon) & np.isfinite(lat)
    return bool(finite.any() and big[finite].mean() > 0.5)
