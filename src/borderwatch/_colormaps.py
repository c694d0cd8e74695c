"""The web map's colour maps without importing matplotlib.

The web map samples two matplotlib colour maps (``Purples`` for units,
``YlOrRd`` for density). Importing matplotlib to do so costs about 0.25 s per
CLI run, so their lookup tables ship in ``data/lookups/colormaps.json`` and
:func:`colormap_rgba` maps values through them exactly as a matplotlib
``Colormap`` does for float input (``tests/test_colormaps.py`` checks both,
bit for bit, against the installed matplotlib). Any other colour map name is
passed on to matplotlib.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np

from ._data import data_path

__all__ = ["colormap_hex", "colormap_rgba", "shipped_colormaps"]


@cache
def _tables() -> dict[str, np.ndarray]:
    raw = json.loads(data_path("lookups", "colormaps.json").read_text(encoding="utf-8"))
    return {k: np.asarray(v, dtype=np.float64) for k, v in raw.items() if isinstance(v, list)}


def shipped_colormaps() -> tuple[str, ...]:
    """The colour maps available without matplotlib.

    Examples
    --------
    >>> shipped_colormaps()
    ('Purples', 'YlOrRd')
    """
    return tuple(_tables())


def colormap_rgba(name: str, x: Any) -> Any:
    """RGBA floats of the values ``x`` (floats, 0-1) on colour map ``name``.

    The same as matplotlib's ``colormaps[name](x)`` for float input: a tuple
    for a scalar, an array with a last axis of 4 otherwise; values below 0,
    above 1 and NaN take the under, over and bad colours.

    Examples
    --------
    >>> [round(float(v), 3) for v in colormap_rgba("YlOrRd", 0.0)]
    [1.0, 1.0, 0.8, 1.0]
    >>> colormap_rgba("YlOrRd", np.array([[0.5, np.nan]])).shape
    (1, 2, 4)
    """
    lut = _tables().get(name)
    xa = np.array(x, copy=True)
    if lut is None or xa.dtype.kind != "f":
        from matplotlib import colormaps

        return colormaps[name](x)
    n = len(lut) - 3
    xa *= n
    xa[xa == n] = n - 1
    under, over, bad = xa < 0, xa >= n, np.isnan(xa)
    with np.errstate(invalid="ignore"):
        idx = xa.astype(int)
    idx[under], idx[over], idx[bad] = n, n + 1, n + 2
    rgba = lut.take(idx, axis=0, mode="clip")
    return tuple(rgba) if not np.iterable(x) else rgba


def colormap_hex(name: str, x: float) -> str:
    """The ``#rrggbb`` colour of the value ``x`` on colour map ``name``.

    The same as matplotlib's ``to_hex(colormaps[name](x))``.

    Examples
    --------
    >>> colormap_hex("Purples", 0.15)
    '#ebe9f3'
    """
    rgba = colormap_rgba(name, float(x))
    return "#" + "".join(format(round(float(v) * 255), "02x") for v in rgba[:3])
