"""Reading administrative units, incidents and community meetings.

Every reader validates once, up front, and raises :class:`borderwatch.DataError`
with a message that names the file, the column, up to ten offending rows and a
hint for the fix. Readers never modify the caller's frame.

Row numbers in messages are *line numbers of the file* (the header is line 1)
for files, and index labels for in-memory frames.

``read_units``, ``read_incidents`` and ``read_meetings`` return the standard
frame; ``load_units``, ``load_incidents`` and ``load_meetings`` take the same
arguments and return a :class:`Loaded`: the frame plus the columns detected,
the rows dropped, the repairs, notes and warnings.

Modules: :mod:`~borderwatch.io.units`, :mod:`~borderwatch.io.incidents`,
:mod:`~borderwatch.io.meetings`, :mod:`~borderwatch.io.categories` (the
crosswalk), :mod:`~borderwatch.io.countries`; private helpers open files
(``_table``) and read delimited text in any encoding, delimiter and decimal
mark (``_dialect``), detect columns (``_columns``) and the time columns
(``_timecols``), read points (``_points``), coordinates in degrees-minutes-
seconds (``_degrees``) and dates, never guessing day and month (``_dates``),
and check that the points lie in the units the right way round (``_place``).
Messages name options once (``[[lon_col]]``): Python users read keywords,
the command line its flags (:mod:`borderwatch._errors`).
"""

from __future__ import annotations

from .._schema import TAXONOMY
from ._loaded import Loaded
from ._table import OnInvalid, Source
from .categories import load_crosswalk, map_categories
from .countries import to_iso3
from .incidents import load_incidents, read_incidents
from .meetings import load_meetings, read_meetings
from .units import load_units, read_units

__all__ = [
    "TAXONOMY",
    "Loaded",
    "OnInvalid",
    "Source",
    "load_crosswalk",
    "load_incidents",
    "load_meetings",
    "load_units",
    "map_categories",
    "read_incidents",
    "read_meetings",
    "read_units",
    "to_iso3",
]
