"""The display text of one value (``None``, NaN and NaT: empty), for the maps and the
planning tables; :mod:`borderwatch.maps._html` re-exports it."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd

__all__ = ["to_text"]


def to_text(value: object) -> str:
    """A display string for one value: ``None``, NaN and NaT become ``""``.

    Examples
    --------
    >>> to_text(None), to_text(float("nan")), to_text(3), to_text("a")
    ('', '', '3', 'a')
    """
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating) and math.isnan(float(value)):
        return ""
    if isinstance(value, str):
        return value
    try:
        if pd.isna(cast(Any, value)):  # pd.NA and friends
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)
