"""borderwatch: cross-border hotspots and offline meeting maps for community policing.

The small public API is here, as in geopandas; everything else is reached
through its module, as in osmnx (``borderwatch.hotspots.gi_star``,
``borderwatch.grid.cell_weights``, ``borderwatch.clusters.find_clusters``,
``borderwatch.privacy.public_counts``, ...). See ``docs/architecture.md``.

The names are imported on first use (PEP 562), so that ``import borderwatch``
and the ``borderwatch`` command start fast: ``borderwatch --help`` loads
neither geopandas nor the maps' or the scan's libraries.

The library is quiet: it reports through :class:`BorderwatchWarning` and
:class:`DataError`, never by printing.

Examples
--------
>>> import borderwatch as bw
>>> sorted(bw.Settings().to_dict())[:3]
['actions', 'alpha', 'as_of']
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from . import datasets
    from ._crs import study_crs
    from ._errors import BorderwatchWarning, DataError
    from ._result import AnalysisResult
    from .borders import border_lines
    from .density import DensitySurface, density
    from .io import read_incidents, read_meetings, read_units
    from .join import join_units
    from .maps import make_map, save_map
    from .outputs import write_outputs
    from .pipeline import analyze
    from .privacy import public_view, scan_for_leaks
    from .settings import Settings

try:
    __version__ = version("borderwatch")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

#: Each public name and the module it comes from; ``datasets`` is the module itself.
_WHERE = {
    "AnalysisResult": "._result",
    "BorderwatchWarning": "._errors",
    "DataError": "._errors",
    "DensitySurface": ".density",
    "Settings": ".settings",
    "analyze": ".pipeline",
    "border_lines": ".borders",
    "datasets": ".datasets",
    "density": ".density",
    "join_units": ".join",
    "make_map": ".maps",
    "public_view": ".privacy",
    "read_incidents": ".io",
    "read_meetings": ".io",
    "read_units": ".io",
    "save_map": ".maps",
    "scan_for_leaks": ".privacy",
    "study_crs": "._crs",
    "write_outputs": ".outputs",
}

__all__ = [
    "AnalysisResult",
    "BorderwatchWarning",
    "DataError",
    "DensitySurface",
    "Settings",
    "__version__",
    "analyze",
    "border_lines",
    "datasets",
    "density",
    "join_units",
    "make_map",
    "public_view",
    "read_incidents",
    "read_meetings",
    "read_units",
    "save_map",
    "scan_for_leaks",
    "study_crs",
    "write_outputs",
]


def _load(name: str) -> Any:
    """The public object ``name``, imported from its module."""
    module = importlib.import_module(_WHERE[name], __name__)
    return module if name == "datasets" else getattr(module, name)


def __getattr__(name: str) -> Any:
    """Import a public name, or a submodule (``bw.hotspots``), on first use (PEP 562)."""
    if name in _WHERE:
        value = _load(name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names and the module's own, for ``dir()`` and tab completion."""
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """The package's module type: importing ``borderwatch.density`` keeps ``density`` the function.

    Python sets a submodule as an attribute of its package once imported; for a
    public name that is also a submodule's name (``density``), the function is kept,
    as a plain ``from .density import density`` in this file would do.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE and name != "datasets":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
