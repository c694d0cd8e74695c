"""borderwatch: cross-border hotspots and offline meeting maps for community policing.

The public API is re-exported here; each concern lives in its own module
(:mod:`borderwatch.io`, :mod:`~borderwatch.borders`, :mod:`~borderwatch.join`,
:mod:`~borderwatch.grid`, :mod:`~borderwatch.hotspots`, :mod:`~borderwatch.clusters`,
:mod:`~borderwatch.density`, :mod:`~borderwatch.privacy`, :mod:`~borderwatch.maps`,
:mod:`~borderwatch.datasets`, :mod:`~borderwatch.cli`).

The library is quiet: it reports through :class:`BorderwatchWarning` and
:class:`DataError`, never by printing.
"""

from importlib.metadata import PackageNotFoundError, version

from . import datasets
from ._crs import study_crs
from ._errors import BorderwatchWarning, DataError
from ._pipeline import analyze, write_outputs
from ._result import AnalysisResult
from .borders import border_lines, distance_to_border
from .clusters import find_clusters, label_points
from .density import DensitySurface, density
from .emerging import emerging_hotspots
from .evaluate import evaluate
from .grid import (
    SpatialWeights,
    cell_weights,
    count_points,
    default_cell_km,
    hex_grid,
    square_grid,
    unit_weights,
)
from .hotspots import cell_hotspots, gi_star, local_moran, unit_hotspots
from .io import (
    TAXONOMY,
    load_crosswalk,
    map_categories,
    read_incidents,
    read_meetings,
    read_units,
    to_iso3,
)
from .join import aggregate_counts, join_units, unit_counts
from .maps import export_static, make_map, save_map
from .privacy import public_counts, public_view, scan_for_leaks
from .regions import hotspot_regions

try:
    __version__ = version("borderwatch")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = [
    "TAXONOMY",
    "AnalysisResult",
    "BorderwatchWarning",
    "DataError",
    "DensitySurface",
    "SpatialWeights",
    "__version__",
    "aggregate_counts",
    "analyze",
    "border_lines",
    "cell_hotspots",
    "cell_weights",
    "count_points",
    "datasets",
    "default_cell_km",
    "density",
    "distance_to_border",
    "emerging_hotspots",
    "evaluate",
    "export_static",
    "find_clusters",
    "gi_star",
    "hex_grid",
    "hotspot_regions",
    "join_units",
    "label_points",
    "load_crosswalk",
    "local_moran",
    "make_map",
    "map_categories",
    "public_counts",
    "public_view",
    "read_incidents",
    "read_meetings",
    "read_units",
    "save_map",
    "scan_for_leaks",
    "square_grid",
    "study_crs",
    "to_iso3",
    "unit_counts",
    "unit_hotspots",
    "unit_weights",
    "write_outputs",
]
