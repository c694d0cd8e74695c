"""borderwatch: cross-border hotspots and offline meeting maps for community policing."""

from importlib.metadata import PackageNotFoundError, version

from ._crs import study_crs
from ._errors import BorderwatchWarning, DataError

try:
    __version__ = version("borderwatch")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = ["BorderwatchWarning", "DataError", "__version__", "study_crs"]
