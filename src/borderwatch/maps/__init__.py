"""Meeting maps: interactive, offline and safe-by-default maps, and printable handouts.

:func:`make_map` draws an analysis on a :class:`folium.Map`: administrative
units as a choropleth, the international border with its border zone, hotspot
cells, hotspot regions and clusters with labels, the density surface, community
meetings and, in the internal view only, incidents. It adds a legend, a title
with the period and the data source, a scale bar, a layer control, a month
slider wherever the data have dates, and the word SYNTHETIC on demo data.
:func:`save_map` writes one self-contained HTML file that draws with no network;
:func:`export_static` writes the same view as an A4 PNG or PDF, and
:func:`export_handout` a facilitator's one-page A4 handout. Layers come
from an :class:`~borderwatch._result.AnalysisResult` or a :class:`Layers`.

Safety
------
* ``view="public"`` (the default) never draws incident points, shows counts from
  1 to k-1 as "<k" (and suppressed counts, NaN, the same way), and, when given an
  internal :class:`~borderwatch._result.AnalysisResult`, first applies
  :func:`borderwatch.privacy.public_view` to it.
* User text reaches the page only as JSON data that the page's script writes with
  ``textContent``; see :mod:`borderwatch.maps._html`.
* Leaflet and its plugins are inlined from Python packages; see
  :mod:`borderwatch.maps._offline`.

Modules
-------
``web``: the folium/Leaflet map; ``static``: the A4 handout; ``_prepare``: what a
map shows (shared by both); ``_page``: the page's JSON; ``_labels``: region labels;
``_i18n``: translations; ``_style``: the palette; ``_offline``: inlined Leaflet;
``_html``: escaping; ``assets/``: the page's script and stylesheet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._i18n import LANGUAGES, translations
from ._prepare import Layers

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from .handout import export_handout
    from .static import export_static
    from .web import make_map, save_map

#: The drawing functions and their modules, imported on first use (PEP 562): what a map
#: shows (``_prepare``) is ready without folium, so ``write_outputs`` imports folium while
#: the printed map is drawn beside it.
_WHERE = {
    "export_handout": ".handout",
    "export_static": ".static",
    "make_map": ".web",
    "save_map": ".web",
}

__all__ = [
    "LANGUAGES",
    "Layers",
    "export_handout",
    "export_static",
    "make_map",
    "save_map",
    "translations",
]


def __getattr__(name: str) -> Any:
    """Import a drawing function on first use."""
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    """The public names and the module's own."""
    return sorted({*globals(), *__all__})
