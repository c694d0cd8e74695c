"""The result of a reader (:class:`Loaded`) and how readers warn."""

from __future__ import annotations

import inspect
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from .._errors import BorderwatchWarning, api_words

__all__ = ["Loaded", "warn"]

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


@dataclass(frozen=True, eq=False)
class Loaded:
    """A read input and what the reader found out about it.

    Returned by :func:`~borderwatch.io.load_units`,
    :func:`~borderwatch.io.load_incidents` and
    :func:`~borderwatch.io.load_meetings`; the ``read_*`` functions return
    only its ``frame``.

    Attributes
    ----------
    frame : GeoDataFrame
        The standard frame (as returned by the matching ``read_*`` function).
    source : str
        The file as given (its path), or ``"<DataFrame>"`` / ``"<GeoDataFrame>"``.
    columns : dict
        The input column used for each role, e.g. ``{"lon": "longitude",
        "lat": "latitude", "time": "date", ...}``; ``None`` where none was found.
    dropped : dict
        Rows dropped by ``on_invalid="drop"``, counted by reason
        (``"zero_zero"``, ``"bad_date"``, ...); empty when none were.
    repaired : int
        Unit geometries repaired with ``make_valid``.
    notes : tuple of str
        What the reader noticed, e.g. an HXL hashtag row.
    warnings : tuple of str
        The messages of the warnings the reader emitted, in order.
    decisions : dict
        How the input was read: ``date_format`` (the format given, the
        day/month order decided such as ``"%d/%m/%Y"``, ``"ISO 8601"``,
        ``"year numbers"``, ``"year and month columns"``, or None without
        dates) and, for delimited text, ``encoding``, ``sep`` (``","``,
        ``";"``, ``"tab"``, ``"|"``) and ``decimal``. ``summary.json`` records
        them under ``inputs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from borderwatch.io import load_incidents
    >>> loaded = load_incidents(pd.DataFrame({"lng": [1.5], "lat": [14.2], "when": ["2024-03-02"]}))
    >>> loaded.columns["lon"], loaded.columns["time"], loaded.dropped
    ('lng', None, {})
    """

    frame: gpd.GeoDataFrame
    source: str
    columns: dict[str, str | None] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    decisions: dict[str, Any] = field(default_factory=dict)


def warn(message: str, sink: list[str]) -> None:
    """Record ``message`` in ``sink`` and emit it as a :class:`BorderwatchWarning`.

    The warning points at the first caller outside ``borderwatch.io`` (the
    code that called the reader), however deep inside the reader it is raised.
    """
    sink.append(api_words(message))
    level = 1
    frame = inspect.currentframe()
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, BorderwatchWarning, stacklevel=level)
