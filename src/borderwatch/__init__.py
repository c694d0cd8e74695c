"""borderwatch: cross-border hotspots and offline meeting maps for community policing.

The small public API is here, as in geopandas; everything else is reached
through its module, as in osmnx (``borderwatch.hotspots.gi_star``,
``borderwatch.grid.cell_weights``, ``borderwatch.clusters.find_clusters``,
``borderwatch.privacy.public_counts``, ...). See ``docs/architecture.md``.

The library is quiet: it reports through :class:`BorderwatchWarning` and
:class:`DataError`, never by printing.

Examples
--------
>>> import borderwatch as bw
>>> sorted(bw.Settings().to_dict())[:3]
['actions', 'alpha', 'as_of']
"""

from importlib.metadata import PackageNotFoundError, version

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
