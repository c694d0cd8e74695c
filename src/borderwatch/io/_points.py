"""Points shared by incidents and meetings: coordinates, dates, ids, validity.

:func:`read_points` runs the steps in a fixed order, so that the first error
a user sees does not depend on the kind of file: open the table, find the
coordinates, find and parse the time, report (or drop) invalid rows, find
the ids. The study area (and swapped coordinates) is checked afterwards by
:func:`borderwatch.io._place.check_place`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._crs import WGS84, require_crs
from .._errors import DataError
from .._geom import gc_paused
from ._columns import GEOPOINT, ID, LAT, LON, find, require_column
from ._dates import excel_hint, parse_dates
from ._degrees import dms_to_degrees, looks_dms, looks_projected
from ._loaded import warn
from ._table import OnInvalid, Source, Table, TextOptions, load_table
from ._timecols import find_time

__all__ = ["REASONS", "Points", "option_name", "present", "read_points", "to_number"]

#: Why a row is invalid, in the order of the messages.
REASONS = {
    "no_coordinates": "missing coordinates",
    "non_numeric": "non-numeric coordinates",
    "lat_range": "latitude outside -90..90",
    "lon_range": "longitude outside -180..180",
    "zero_zero": "point at (0, 0)",
    "bad_date": "unparseable date",
}

_DATE_HINT = (
    "use ISO 8601 dates (YYYY-MM-DD, YYYY-MM or YYYY), or give the format "
    "with [[date_format]] (e.g. %d/%m/%Y), or choose another column with [[{time_col}]]"
)
_COMMA_DECIMAL = r"^\s*[+-]?\d+,\d+\s*$"


def option_name(kind: str, name: str) -> str:
    """The setting naming a column of ``kind``: ``lon_col`` for incidents, ``meeting_lon_col``
    for meetings.

    >>> option_name("meetings", "time_col")
    'meeting_time_col'
    """
    return f"meeting_{name}" if kind == "meetings" else name


@dataclass(frozen=True)
class Points:
    """Valid points of a file: ``id``, ``date``, ``date_precision``, the other
    input columns and point geometries (EPSG:4326), with the kept rows' line numbers."""

    frame: gpd.GeoDataFrame
    table: Table
    columns: dict[str, str | None]
    dropped: dict[str, int]
    decisions: dict[str, str | None] = field(default_factory=dict)
    #: The points' longitudes and latitudes (the numbers they were made of), or None
    xy: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class _Coords:
    """Where the coordinates of each row come from."""

    lon_raw: pd.Series
    lat_raw: pd.Series
    lon_name: str
    lat_name: str
    geom_col: str | None
    used: set[str] = field(default_factory=set)
    kind: str = "incidents"


@dataclass
class _Invalid:
    """Invalid rows by reason, and where to look and what to do about each reason."""

    rows: dict[str, np.ndarray]
    details: dict[str, tuple[str, str]]


def read_points(
    kind: str,
    source: Source,
    *,
    lon_col: str | None,
    lat_col: str | None,
    time_col: str | None,
    id_col: str | None,
    on_invalid: OnInvalid,
    date_format: str | None,
    dayfirst: bool,
    sheet: str | int | None,
    text: TextOptions | None = None,
    sink: list[str],
) -> Points:
    """Read the points of an incidents or meetings file; warnings go to ``sink`` too."""
    if on_invalid not in ("raise", "drop"):
        msg = f"on_invalid must be 'raise' or 'drop', not {on_invalid!r}."
        raise DataError(msg)
    table = load_table(source, what=kind, sheet=sheet, text=text)
    coords = _coordinates(table, kind, lon_col=lon_col, lat_col=lat_col)
    lon, lat, invalid = _check_coordinates(coords, table)
    when = find_time(
        table.frame,
        time_col=time_col,
        used=coords.used,
        source=table.source,
        option=option_name(kind, "time_col"),
        sink=sink,
    )
    decisions: dict[str, str | None] = {**table.decisions, "date_format": None}
    if when.column is not None and when.values is not None:
        parsed = parse_dates(
            when.values,
            date_format=date_format,
            dayfirst=dayfirst,
            column=when.column,
            source=table.source,
            rows=table.rows,
        )
        dates, precision = parsed.dates, parsed.precision
        decisions["date_format"] = "year and month columns" if when.month else parsed.format
        invalid.rows["bad_date"] = parsed.bad
        hint = _DATE_HINT.replace("{time_col}", option_name(kind, "time_col"))
        hint += excel_hint(when.values, parsed.bad) if parsed.bad.any() else ""
        where = f"column '{when.column}'" + (f" (with '{when.month}')" if when.month else "")
        invalid.details["bad_date"] = (where, hint)
        coords.used |= {c for c in (when.column, when.month) if c}
    else:
        dates = pd.Series(pd.NaT, index=table.frame.index, dtype="datetime64[ns]")
        precision = pd.Series(None, index=table.frame.index, dtype=object)
    keep, dropped = _settle_invalid(table, kind, invalid, on_invalid=on_invalid, sink=sink)
    idc, ids = _ids(table, id_col, coords.used, kind)
    out = pd.DataFrame(
        {
            "id": _values(ids),
            "date": dates.to_numpy(),
            "date_precision": precision.to_numpy(dtype=object),
        }
    )
    for col in table.frame.columns:
        if col in coords.used or col == coords.geom_col or col in out.columns:
            continue
        out[col] = _values(table.frame[col])
    if not keep.all():
        out = out.loc[keep].reset_index(drop=True)
    lon, lat = lon[keep], lat[keep]
    with gc_paused():
        points = gpd.points_from_xy(lon, lat)
    gdf = gpd.GeoDataFrame(out, geometry=points, crs=WGS84)
    columns = {"lon": coords.lon_name, "lat": coords.lat_name, "time": when.column, "id": idc}
    if when.month:
        columns["month"] = when.month
    return Points(gdf, table.with_frame(gdf, keep), columns, dropped, decisions, (lon, lat))


# -- coordinates ----------------------------------------------------------------------------


def _coordinates(table: Table, kind: str, *, lon_col: str | None, lat_col: str | None) -> _Coords:
    """Coordinates from the named or detected columns, a geopoint column, or point geometries."""
    frame = table.frame
    if lon_col is not None:
        require_column(
            frame, table.source, lon_col, option=option_name(kind, "lon_col"), what="longitude"
        )
    if lat_col is not None:
        require_column(
            frame, table.source, lat_col, option=option_name(kind, "lat_col"), what="latitude"
        )
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if geom_col is not None and lon_col is None and lat_col is None:
        return _from_geometry(table, kind, geom_col)
    lonc = lon_col or find(frame, LON)
    latc = lat_col or find(frame, LAT)
    if lonc is not None and latc is not None:
        return _Coords(frame[lonc], frame[latc], lonc, latc, geom_col, {lonc, latc}, kind)
    gp = find(frame, GEOPOINT)
    if gp is not None and lonc is None and latc is None:
        lat_raw, lon_raw = _parse_geopoint(frame[gp])
        return _Coords(lon_raw, lat_raw, gp, gp, geom_col, {gp}, kind)
    cols = ", ".join(map(str, list(frame.columns)[:30]))
    missing = " and ".join(w for w, c in (("longitude", lonc), ("latitude", latc)) if c is None)
    msg = (
        f"{table.source}: no {missing} column found (columns: {cols}). Hint: name them lon/lat "
        "(or longitude/latitude, x/y, HXL #geo+lon/#geo+lat, Kobo _location_longitude/"
        f"_location_latitude), or name them with [[{option_name(kind, 'lon_col')}]] and "
        f"[[{option_name(kind, 'lat_col')}]]."
    )
    raise DataError(msg)


def _from_geometry(table: Table, kind: str, geom_col: str) -> _Coords:
    """x/y of point geometries (in EPSG:4326); other geometry types raise."""
    frame = table.frame
    require_crs(frame, what=kind, source=table.source)
    gs = frame.geometry
    if not CRS(gs.crs).equals(WGS84):
        gs = gs.to_crs(WGS84)
    types = np.asarray(shapely.get_type_id(gs.array))
    nonpt = (types != 0) & ~np.asarray(shapely.is_missing(gs.array))
    if nonpt.any():
        msg = (
            f"{table.source}: {kind} must be points, but {int(nonpt.sum())} features are not "
            f"({table.rows(nonpt)}). Hint: use centroids (gdf.geometry.centroid) or export points."
        )
        raise DataError(msg)
    missing = np.asarray(shapely.is_missing(gs.array) | shapely.is_empty(gs.array))
    lon_raw = pd.Series(np.where(missing, np.nan, shapely.get_x(gs.array)), dtype=float)
    lat_raw = pd.Series(np.where(missing, np.nan, shapely.get_y(gs.array)), dtype=float)
    return _Coords(lon_raw, lat_raw, "geometry (x)", "geometry (y)", geom_col, {geom_col}, kind)


def _parse_geopoint(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split an ODK/Kobo geopoint ('lat lon [alt acc]' or '[lat, lon]') into lat, lon strings."""
    s = series.astype("string").str.strip().str.strip("[]()").str.replace(",", " ", regex=False)
    parts = s.str.split(r"\s+", expand=True, regex=True)
    if parts.shape[1] < 2:
        empty = pd.Series([None] * len(series), index=series.index, dtype=object)
        return empty, empty
    return parts[0], parts[1]


def _check_coordinates(c: _Coords, table: Table) -> tuple[np.ndarray, np.ndarray, _Invalid]:
    """Longitudes and latitudes as floats (degrees-minutes-seconds read where unambiguous),
    and the rows whose coordinates are invalid."""
    lon = _degrees(c.lon_raw, "lon", table)
    lat = _degrees(c.lat_raw, "lat", table)
    rows: dict[str, np.ndarray] = {}
    rows["non_numeric"] = (lon.isna().to_numpy() & present(c.lon_raw)) | (
        lat.isna().to_numpy() & present(c.lat_raw)
    )
    rows["no_coordinates"] = (lon.isna().to_numpy() | lat.isna().to_numpy()) & ~rows["non_numeric"]
    lonv = lon.to_numpy(dtype=float)
    latv = lat.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        rows["lat_range"] = np.abs(latv) > 90
        rows["lon_range"] = np.abs(lonv) > 180
        rows["zero_zero"] = (lonv == 0) & (latv == 0)
    both = f"columns '{c.lon_name}'/'{c.lat_name}'"
    projected = looks_projected(lonv, latv)
    with np.errstate(invalid="ignore"):  # every latitude out of range is a longitude's value
        fits = rows["lat_range"] & (np.abs(lonv) <= 90) & (np.abs(latv) <= 180)
    swapped = bool(rows["lat_range"].any()) and int(fits.sum()) == int(rows["lat_range"].sum())
    lat_hint = (
        "latitude must be between -90 and 90; the two columns look swapped: read them the "
        f"other way round with [[lat_col={c.lon_name}]] and [[lon_col={c.lat_name}]]"
        if swapped
        else "latitude must be between -90 and 90; are the columns swapped or in projected metres?"
    )
    metres = (
        "these look like projected metres (e.g. UTM), not degrees: convert them to longitude/"
        "latitude in decimal degrees (EPSG:4326) first, e.g. with geopandas' to_crs(4326)"
    )
    details = {
        "non_numeric": (both, _non_numeric_hint(c, rows["non_numeric"], table)),
        "no_coordinates": (both, "fill in the coordinates or drop these rows"),
        "lat_range": (
            f"column '{c.lat_name}'",
            metres if projected else lat_hint,
        ),
        "lon_range": (
            f"column '{c.lon_name}'",
            metres
            if projected
            else "longitude must be between -180 and 180; are these projected metres rather than degrees?",
        ),
        "zero_zero": (
            both,
            "(0, 0) in the Gulf of Guinea is almost always a missing GPS fix exported as zeros",
        ),
    }
    return lonv, latv, _Invalid(rows, details)


def _degrees(raw: pd.Series, axis: str, table: Table) -> pd.Series:
    """Decimal degrees: numbers, and degrees-minutes-seconds text where it is unambiguous."""
    num = to_number(raw)
    todo = num.isna().to_numpy() & present(raw)
    if todo.any():
        dms = dms_to_degrees(pd.Series(raw).reset_index(drop=True)[todo], axis=axis)
        num = num.copy()
        num[todo] = dms.to_numpy()
        n = int(np.isfinite(dms.to_numpy()).sum())
        if n:
            note = f"read {n} {'latitudes' if axis == 'lat' else 'longitudes'} written in degrees, minutes and seconds"
            table.notes.append(note)
    return num


def _non_numeric_hint(c: _Coords, bad: np.ndarray, table: Table) -> str:
    """What to do about coordinates that are not numbers, from what they look like."""
    values = pd.concat(
        [
            pd.Series(c.lon_raw).reset_index(drop=True)[bad],
            pd.Series(c.lat_raw).reset_index(drop=True)[bad],
        ]
    ).astype("string")
    example = next((v for v in values.dropna() if not _is_number(v)), None)
    shown = f" (e.g. {example!r})" if example is not None else ""
    if values.str.match(_COMMA_DECIMAL).fillna(False).any():
        return (
            f"coordinates{shown} use a decimal comma but the file was read with "
            f"{table.decisions.get('decimal', '.')!r}: pass [[decimal=,]]"
        )
    if looks_dms(values):
        return (
            f"coordinates{shown} look like degrees-minutes-seconds that cannot be read without "
            "guessing: write them as 13°30'15\"N / 2°05'10\"W (degree sign and hemisphere) or "
            "as decimal degrees such as 13.504"
        )
    return f"coordinates{shown} must be decimal degrees such as 13.52 (a dot as decimal mark)"


def _is_number(value: str) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def present(raw: pd.Series) -> np.ndarray:
    """True where a value is given (not missing, not blank text)."""
    s = pd.Series(raw)
    if pd.api.types.is_numeric_dtype(s):
        return s.notna().to_numpy()
    st = s.astype("string").str.strip()
    return (st.notna() & (st != "")).to_numpy(dtype=bool)


def to_number(raw: pd.Series) -> pd.Series:
    """Numbers as floats; text that is not a number becomes NaN."""
    s = pd.Series(raw).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    return pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype(float)


# -- invalid rows --------------------------------------------------------


def _settle_invalid(
    table: Table, kind: str, invalid: _Invalid, *, on_invalid: OnInvalid, sink: list[str]
) -> tuple[np.ndarray, dict[str, int]]:
    """Raise on invalid rows, or drop them with a warning; the rows to keep and the counts."""
    counts = {k: int(v.sum()) for k, v in invalid.rows.items() if v.any()}
    any_bad = np.zeros(len(table.frame), dtype=bool)
    for v in invalid.rows.values():
        any_bad |= v
    if counts and on_invalid == "raise":
        parts = []
        for reason, n in counts.items():
            col, hint = invalid.details[reason]
            parts.append(
                f"{n} with {REASONS[reason]} in {col} ({table.rows(invalid.rows[reason])}): {hint}"
            )
        n_bad, n = int(any_bad.sum()), len(table.frame)
        if 2 * n_bad <= n:
            fix = "Hint: fix these rows, or pass [[on_invalid=drop]] to drop them with a warning."
        else:
            fix = (
                f"Hint: fix the file; dropping the invalid rows would drop {n_bad} of {n} "
                f"({n_bad / n:.0%}), so borderwatch does not suggest it."
            )
        msg = (
            f"{table.source}: {n_bad} of {n} {kind} rows are invalid. "
            + "; ".join(parts)
            + ". "
            + fix
        )
        raise DataError(msg)
    if counts:
        text = ", ".join(f"{n} {REASONS[r]}" for r, n in counts.items())
        warn(f"{table.source}: dropped {int(any_bad.sum())} invalid {kind} rows ({text}).", sink)
    return ~any_bad, counts


# -- ids ------------------------------------------------------------------------------------


def _ids(
    table: Table, id_col: str | None, used: set[str], kind: str
) -> tuple[str | None, pd.Series]:
    """The id column (named or detected) and the ids as text; ``row-<line>`` without one."""
    idc = id_col or find(table.frame, ID, exclude=used)
    if id_col is not None:
        require_column(
            table.frame, table.source, id_col, option=option_name(kind, "id_col"), what="id"
        )
    if idc is None:
        lines = np.asarray(table.lines).astype(str)
        return None, pd.Series(np.char.add("row-", lines), dtype=object)
    raw_ids = table.frame[idc]
    if pd.api.types.is_float_dtype(raw_ids) and bool((raw_ids.dropna() % 1 == 0).all()):
        # whole numbers read as floats (because of a blank id): 101, not 101.0
        raw_ids = raw_ids.astype("Int64")
    used.add(idc)
    return idc, raw_ids.astype("string").fillna("").astype("str")


def _values(column: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A column's values for the frame of the points: pandas' default ``str`` texts (arrow)
    as they are, when at least one is given (from their Python objects the frame would
    infer the same column again, a pass over every row each way); any other column, and
    one with no text at all (inferred as ``object``), as its numpy values."""
    dtype = column.dtype
    if (
        isinstance(dtype, pd.StringDtype)
        and dtype.na_value is np.nan
        and dtype.storage == "pyarrow"
        and bool(column.notna().any())
    ):
        return column.array
    return column.to_numpy()
