"""Escaping helpers: the only ways user text may enter a map page.

Two contexts exist in a borderwatch page, and each has exactly one helper:

* **Data for scripts** goes into the page as JSON inside a
  ``<script type="application/json">`` block (:func:`script_json`, wrapped by
  :func:`json_block`). The JSON is made safe for an HTML ``<script>`` element by
  escaping ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\u003c`` and so on, so
  that no ``</script>``, ``<!--`` or line separator can end the block or the
  string early. The page's JavaScript reads it with ``JSON.parse`` and puts
  every string into the document with ``textContent`` (never ``innerHTML``),
  so markup, backticks, ``${...}``, quotes and backslashes display literally.
* **Pure HTML** (the page ``<title>``, attributes) uses :func:`escape_html`,
  which is :func:`html.escape` with quotes escaped.

Nothing that came from the user is ever passed through a Jinja template:
folium re-parses the output of its macros as a new template, so a value such
as ``{{ 7*7 }}`` placed in a folium ``Popup``, ``Tooltip`` or ``GeoJson`` is
*evaluated on the Python side*. borderwatch writes its blocks with
:class:`RawHTML`, which the renderer copies verbatim.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final, cast

import numpy as np
import pandas as pd
from branca.element import Element
from jinja2 import Template

from .._text import to_text

__all__ = [
    "RawHTML",
    "escape_html",
    "json_block",
    "script_json",
    "to_jsonable",
    "to_text",
]

_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_RE = re.compile("[<>&\u2028\u2029]")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def escape_html(text: object) -> str:
    """Escape ``text`` for an HTML text node or a quoted attribute value.

    Parameters
    ----------
    text : object
        Any value; ``None`` and NaN become the empty string (see :func:`to_text`).

    Returns
    -------
    str
        ``&``, ``<``, ``>``, ``"`` and ``'`` replaced by character references.

    Examples
    --------
    >>> escape_html("<img src=x onerror=alert(1)> & 'q'")
    '&lt;img src=x onerror=alert(1)&gt; &amp; &#x27;q&#x27;'
    """
    return html.escape(to_text(text), quote=True)


def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` to plain JSON types.

    numpy scalars become Python numbers, NaN / NaT / ``pd.NA`` become ``None``,
    dates become ISO strings, tuples and arrays become lists. Mapping keys are
    converted to ``str``.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"a": np.int64(2), "b": [np.nan, 1.5], "c": (True,)})
    {'a': 2, 'b': [None, 1.5], 'c': [True]}
    """
    kind = type(obj)  # exact built-in types first: the page's points are 10^5 small dicts
    if kind is float:
        return obj if math.isfinite(obj) else None
    if kind is dict:
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if kind is list:
        plain = _plain_list(obj) if len(obj) >= _LONG else None
        return plain if plain is not None else [to_jsonable(v) for v in obj]
    if obj is None or kind is int or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return None if not math.isfinite(f) else f
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [to_jsonable(v) for v in list(obj)]
    if obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp | _dt.datetime | _dt.date):
        return obj.isoformat()
    try:
        if pd.isna(cast(Any, obj)):
            return None
    except (TypeError, ValueError):
        pass
    return str(obj)


_LONG: Final = 64  # lists at least this long are first tried whole (a coordinate pair is not)
_PLAIN: Final = frozenset({int, str, bool, type(None)})  # as they are in JSON
_NUMBERS: Final = frozenset({float, int, bool, type(None)})


def _plain_list(values: list[Any]) -> list[Any] | None:
    """A copy of ``values`` when :func:`to_jsonable` would leave every item as it is
    (exact ints, strings, bools, None and finite floats), found without a Python call
    per item (the page's columns are lists of 10^5 numbers); else None."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN:
        return list(values)
    if kinds <= _NUMBERS:
        floats = values if kinds == {float} else [v for v in values if type(v) is float]
        if bool(np.isfinite(np.asarray(floats, dtype=float)).all()):
            return list(values)
    return None


def script_json(obj: Any) -> str:
    """Serialise ``obj`` as JSON that is safe inside an HTML ``<script>`` element.

    The result is valid JSON *and* a valid JavaScript expression. ``<``, ``>``,
    ``&``, U+2028 and U+2029 are written as ``\\u`` escapes, which JSON and
    JavaScript decode back to the same characters, so the text can neither
    close the script element nor start an HTML comment. NaN and infinities
    become ``null`` (see :func:`to_jsonable`).

    Examples
    --------
    >>> print(script_json({"name": "</script><script>alert(1)</script>"}))
    {"name":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}
    >>> import json
    >>> json.loads(script_json(["a\u2028b & c"])) == ["a\u2028b & c"]
    True
    """
    text = json.dumps(to_jsonable(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _SCRIPT_RE.sub(lambda m: _SCRIPT_ESCAPES[m.group(0)], text)


def json_block(obj: Any, *, element_id: str) -> str:
    """A ``<script type="application/json">`` element holding ``obj``.

    Parameters
    ----------
    obj : object
        Anything :func:`to_jsonable` accepts.
    element_id : str
        The element id: a letter followed by letters, digits, ``_`` or ``-``.

    Examples
    --------
    >>> json_block({"t": "<b>"}, element_id="bw-data-1")
    '<script type="application/json" id="bw-data-1">{"t":"\\\\u003cb\\\\u003e"}</script>'
    """
    if not _ID_RE.match(element_id):
        msg = f"invalid element id {element_id!r}: use letters, digits, '_' and '-'."
        raise ValueError(msg)
    return f'<script type="application/json" id="{element_id}">{script_json(obj)}</script>'


class RawHTML(Element):
    """A branca element whose text is copied to the page verbatim.

    branca's own ``Element(text)`` compiles ``text`` as a Jinja template, and
    :class:`branca.element.MacroElement` re-compiles the output of every macro;
    both evaluate ``{{ ... }}`` found in data. This element prints its text
    through a fixed template, so nothing in ``raw`` is ever interpreted.

    Examples
    --------
    >>> RawHTML("{{ 7*7 }}").render()
    '{{ 7*7 }}'
    """

    _template = Template("{{ this.raw }}", autoescape=False)

    def __init__(self, raw: str) -> None:
        super().__init__()
        self._name = "RawHTML"
        self.raw = raw
