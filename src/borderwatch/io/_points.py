"""Points shared by incidents and meetings: coordinates, dates, ids, validity, study area.

:func:`read_points` runs the steps in a fixed order, so that the first error
a user sees does not depend on the kind of file: open the table, find the
coordinates, find and parse the time, report (or drop) invalid rows, check
the study area, find the ids.
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
from ._columns import GEOPOINT, ID, LAT, LON, TIME, find, require_column
from ._dates import parse_dates
from ._loaded import warn
from ._table import OnInvalid, Source, Table, line_text, load_table

__all__ = ["REASONS", "Points", "present", "read_points", "to_number"]

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
    '(date_format = "%d/%m/%Y" in --config, date_format= in Python), '
    "or choose another column with --time-col"
)


@dataclass(frozen=True)
class Points:
    """Valid points of a file: ``id``, ``date``, ``date_precision``, the other
    input columns and point geometries (EPSG:4326), with the kept rows' line numbers."""

    frame: gpd.GeoDataFrame
    table: Table
    columns: dict[str, str | None]
    dropped: dict[str, int]


@dataclass
class _Coords:
    """Where the coordinates of each row come from."""

    lon_raw: pd.Series
    lat_raw: pd.Series
    lon_name: str
    lat_name: str
    geom_col: str | None
    used: set[str] = field(default_factory=set)


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
    units: gpd.GeoDataFrame | None,
    on_invalid: OnInvalid,
    date_format: str | None,
    dayfirst: bool,
    sheet: str | int | None,
    sink: list[str],
) -> Points:
    """Read the points of an incidents or meetings file; warnings go to ``sink`` too."""
    if on_invalid not in ("raise", "drop"):
        msg = f"on_invalid must be 'raise' or 'drop', not {on_invalid!r}."
        raise DataError(msg)
    table = load_table(source, what=kind, sheet=sheet)
    coords = _coordinates(table, kind, lon_col=lon_col, lat_col=lat_col)
    lon, lat, invalid = _check_coordinates(coords)
    timec = time_col or find(table.frame, TIME, exclude=coords.used)
    if time_col is not None:
        require_column(table.frame, table.source, time_col, option="--time-col", what="time")
    if timec is not None:
        parsed = parse_dates(table.frame[timec], date_format=date_format, dayfirst=dayfirst)
        dates, precision = parsed.dates, parsed.precision
        invalid.rows["bad_date"] = parsed.bad
        invalid.details["bad_date"] = (f"column '{timec}'", _DATE_HINT)
        coords.used.add(timec)
    else:
        dates = pd.Series(pd.NaT, index=table.frame.index, dtype="datetime64[ns]")
        precision = pd.Series(None, index=table.frame.index, dtype=object)
    keep, dropped = _settle_invalid(table, kind, invalid, on_invalid=on_invalid, sink=sink)
    if units is not None and keep.any():
        _check_study_area(table, kind, lon[keep], lat[keep], units, coords, keep)
    idc, ids = _ids(table, id_col, coords.used)
    out = pd.DataFrame(
        {
            "id": ids.to_numpy(dtype=object),
            "date": dates.to_numpy(),
            "date_precision": precision.to_numpy(dtype=object),
        }
    )
    for col in table.frame.columns:
        if col in coords.used or col == coords.geom_col or col in out.columns:
            continue
        out[col] = table.frame[col].to_numpy()
    out = out.loc[keep].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon[keep], lat[keep]), crs=WGS84)
    columns = {"lon": coords.lon_name, "lat": coords.lat_name, "time": timec, "id": idc}
    return Points(gdf, table.with_frame(gdf, keep), columns, dropped)


# -- coordinates ----------------------------------------------------------------------------


def _coordinates(table: Table, kind: str, *, lon_col: str | None, lat_col: str | None) -> _Coords:
    """Coordinates from the named or detected columns, a geopoint column, or point geometries."""
    frame = table.frame
    if lon_col is not None:
        require_column(frame, table.source, lon_col, option="--lon-col", what="longitude")
    if lat_col is not None:
        require_column(frame, table.source, lat_col, option="--lat-col", what="latitude")
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if geom_col is not None and lon_col is None and lat_col is None:
        return _from_geometry(table, kind, geom_col)
    lonc = lon_col or find(frame, LON)
    latc = lat_col or find(frame, LAT)
    if lonc is not None and latc is not None:
        return _Coords(frame[lonc], frame[latc], lonc, latc, geom_col, {lonc, latc})
    gp = find(frame, GEOPOINT)
    if gp is not None and lonc is None and latc is None:
        lat_raw, lon_raw = _parse_geopoint(frame[gp])
        return _Coords(lon_raw, lat_raw, gp, gp, geom_col, {gp})
    cols = ", ".join(map(str, list(frame.columns)[:30]))
    missing = " and ".join(w for w, c in (("longitude", lonc), ("latitude", latc)) if c is None)
    msg = (
        f"{table.source}: no {missing} column found (columns: {cols}). Hint: name them lon/lat "
        "(or longitude/latitude, x/y, HXL #geo+lon/#geo+lat, Kobo _location_longitude/"
        "_location_latitude), or pass --lon-col and --lat-col (lon_col=, lat_col=)."
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
    return _Coords(lon_raw, lat_raw, "geometry (x)", "geometry (y)", geom_col, {geom_col})


def _parse_geopoint(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split an ODK/Kobo geopoint ('lat lon [alt acc]' or '[lat, lon]') into lat, lon strings."""
    s = series.astype("string").str.strip().str.strip("[]()").str.replace(",", " ", regex=False)
    parts = s.str.split(r"\s+", expand=True, regex=True)
    if parts.shape[1] < 2:
        empty = pd.Series([None] * len(series), index=series.index, dtype=object)
        return empty, empty
    return parts[0], parts[1]


def _check_coordinates(c: _Coords) -> tuple[np.ndarray, np.ndarray, _Invalid]:
    """Longitudes and latitudes as floats, and the rows whose coordinates are invalid."""
    lon = to_number(c.lon_raw)
    lat = to_number(c.lat_raw)
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
    details = {
        "non_numeric": (
            both,
            "coordinates must be decimal degrees such as 13.52 (use a dot as decimal separator; degrees-minutes-seconds must be converted)",
        ),
        "no_coordinates": (both, "fill in the coordinates or drop these rows"),
        "lat_range": (
            f"column '{c.lat_name}'",
            "latitude must be between -90 and 90; are the columns swapped or in projected metres?",
        ),
        "lon_range": (
            f"column '{c.lon_name}'",
            "longitude must be between -180 and 180; are these projected metres rather than degrees?",
        ),
        "zero_zero": (
            both,
            "(0, 0) in the Gulf of Guinea is almost always a missing GPS fix exported as zeros",
        ),
    }
    return lonv, latv, _Invalid(rows, details)


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


# -- invalid rows and the study area --------------------------------------------------------


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
        msg = (
            f"{table.source}: {int(any_bad.sum())} of {len(table.frame)} {kind} rows are invalid. "
            + "; ".join(parts)
            + ". Hint: fix these rows, or pass --drop-invalid (on_invalid='drop') to drop them with a warning."
        )
        raise DataError(msg)
    if counts:
        text = ", ".join(f"{n} {REASONS[r]}" for r, n in counts.items())
        warn(f"{table.source}: dropped {int(any_bad.sum())} invalid {kind} rows ({text}).", sink)
    return ~any_bad, counts


def _check_study_area(
    table: Table,
    kind: str,
    lon: np.ndarray,
    lat: np.ndarray,
    units: gpd.GeoDataFrame,
    coords: _Coords,
    keep: np.ndarray,
) -> None:
    """Raise when most points fall outside the units; detect swapped lat/lon."""
    require_crs(units, what="units")
    u = units.to_crs(WGS84) if not CRS(units.crs).equals(WGS84) else units
    area = shapely.union_all(shapely.buffer(shapely.simplify(u.geometry.array, 0.01), 0.1))
    shapely.prepare(area)
    inside = shapely.contains_xy(area, lon, lat)
    share_out = 1.0 - inside.mean()
    if share_out <= 0.5:
        return
    swapped_in = (
        shapely.contains_xy(area, lat, lon) if np.all(np.abs(lon) <= 90) else np.zeros_like(inside)
    )
    lines = table.lines[keep]
    outside = ~inside
    lon_name, lat_name = coords.lon_name, coords.lat_name
    if swapped_in.mean() > 0.5:
        msg = (
            f"{table.source}: latitude and longitude look swapped: {int(outside.sum())} of {len(lon)} {kind} "
            f"fall outside the units, but {int(swapped_in.sum())} fall inside when columns '{lon_name}' and "
            f"'{lat_name}' are exchanged ({line_text(lines[outside & swapped_in], table.is_file)}). "
            f"Hint: pass --lon-col {lat_name} --lat-col {lon_name} (lon_col=..., lat_col=...)."
        )
        raise DataError(msg)
    bounds = ", ".join(f"{b:.2f}" for b in u.total_bounds)
    msg = (
        f"{table.source}: {int(outside.sum())} of {len(lon)} {kind} ({share_out:.0%}) fall outside the study "
        f"area of the units (lon/lat bounds {bounds}) ({line_text(lines[outside], table.is_file)}). "
        f"Hint: check that the incidents and the units cover the same region, that '{lon_name}'/'{lat_name}' "
        "hold decimal degrees (not projected metres), and that the right units file was given."
    )
    raise DataError(msg)


# -- ids ------------------------------------------------------------------------------------


def _ids(table: Table, id_col: str | None, used: set[str]) -> tuple[str | None, pd.Series]:
    """The id column (named or detected) and the ids as text; ``row-<line>`` without one."""
    idc = id_col or find(table.frame, ID, exclude=used)
    if id_col is not None:
        require_column(table.frame, table.source, id_col, option="--id-col", what="id")
    if idc is None:
        return None, pd.Series([f"row-{x}" for x in table.lines], dtype=object)
    raw_ids = table.frame[idc]
    if pd.api.types.is_float_dtype(raw_ids) and bool((raw_ids.dropna() % 1 == 0).all()):
        # whole numbers read as floats (because of a blank id): 101, not 101.0
        raw_ids = raw_ids.astype("Int64")
    used.add(idc)
    return idc, raw_ids.astype("string").fillna("").astype(object)
