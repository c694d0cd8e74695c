"""Reading incidents: points with a date, a category, a sensitive flag and a country."""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from .._coded import taken, text_column
from .._crs import WGS84
from .._geom import remember_lonlat
from .._schema import truthy
from .._stacks import first_rows
from ._columns import CATEGORY, COUNTRY, SENSITIVE, find, require_column
from ._loaded import Loaded, warn
from ._parquet import parquet_columns
from ._place import Ahead, check_place
from ._points import Points, read_points
from ._table import OnInvalid, Source, TextOptions
from .categories import Crosswalk, map_categories
from .countries import to_iso3

__all__ = ["load_incidents", "read_incidents"]


def load_incidents(
    source: Source,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    time_col: str | None = None,
    category_col: str | None = None,
    id_col: str | None = None,
    country_col: str | None = None,
    sensitive_col: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    crosswalk: Crosswalk = None,
    on_invalid: OnInvalid = "raise",
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    swap_check: bool = True,
) -> Loaded:
    """Read incidents, with the detected columns and the rows dropped.

    Takes the same arguments as :func:`read_incidents`, whose frame is
    ``load_incidents(...).frame``. ``columns`` holds the input columns used
    for ``lon``, ``lat``, ``time``, ``id``, ``category``, ``sensitive`` and
    ``country``; ``dropped`` counts the rows dropped by ``on_invalid="drop"``
    by reason; ``decisions`` how the file was read (``date_format``, and for
    delimited text ``encoding``, ``sep`` and ``decimal``); ``notes`` and
    ``warnings`` say what else happened.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"longitude": [1.5, 0.0], "latitude": [14.2, 0.0], "crime": ["VBG", "vol"]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     loaded = load_incidents(df, on_invalid="drop")
    >>> loaded.columns["lon"], loaded.columns["category"], loaded.dropped
    ('longitude', 'crime', {'zero_zero': 1})
    >>> loaded.frame["category"].tolist()
    ['iccs03_sexual']
    """
    sink: list[str] = []
    named = {
        "lon_col": lon_col,
        "lat_col": lat_col,
        "time_col": time_col,
        "category_col": category_col,
        "id_col": id_col,
        "country_col": country_col,
        "sensitive_col": sensitive_col,
    }
    pts = read_points(
        "incidents",
        parquet_columns(source, named),
        lon_col=lon_col,
        lat_col=lat_col,
        time_col=time_col,
        id_col=id_col,
        on_invalid=on_invalid,
        date_format=date_format,
        dayfirst=dayfirst,
        sheet=sheet,
        text=TextOptions(sep=sep, decimal=decimal, encoding=encoding),
        sink=sink,
    )
    ahead = None  # the area test of check_place, in a thread while the columns are made
    if units is not None and len(pts.frame) and pts.xy is not None:
        ahead = Ahead(units, *pts.xy)
    frame, catc, sens = _categories(pts, category_col, crosswalk=crosswalk, sink=sink)
    frame, sensc = _sensitive(pts, frame, sensitive_col, sens)
    frame, countryc = _own_country(pts, frame, country_col, sink=sink)
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    if units is not None and len(gdf):
        check_place(
            gdf,
            pts.table,
            "incidents",
            units,
            names=(str(pts.columns["lon"]), str(pts.columns["lat"])),
            options=("lon_col", "lat_col"),
            reported=gdf["reported_country"] if "reported_country" in gdf else None,
            swap_check=swap_check,
            ahead=ahead,
        )
    if pts.xy is not None:  # for the study area's centre and the join, inside a run
        remember_lonlat(gdf.geometry.array, *pts.xy)
    return Loaded(
        frame=gdf,
        source=pts.table.source,
        columns={**pts.columns, "category": catc, "sensitive": sensc, "country": countryc},
        dropped=pts.dropped,
        notes=tuple(pts.table.notes),
        warnings=tuple(sink),
        decisions=dict(pts.decisions),
    )


def read_incidents(
    source: Source,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    time_col: str | None = None,
    category_col: str | None = None,
    id_col: str | None = None,
    country_col: str | None = None,
    sensitive_col: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    crosswalk: Crosswalk = None,
    on_invalid: OnInvalid = "raise",
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    swap_check: bool = True,
) -> gpd.GeoDataFrame:
    """Read incidents from a file or a (Geo)DataFrame.

    Columns are detected when not named: longitude/latitude (``lon``, ``lng``,
    ``longitude``, ``x`` / ``lat``, ``latitude``, ``y``; HXL ``#geo+lon`` /
    ``#geo+lat``; KoboToolbox/ODK ``_location_longitude`` / ``_location_latitude``
    or a ``_geolocation`` geopoint), the time (``date``, ``date_start``,
    ``_submission_time``, ``#date``, ``year``, ...), the category, the id, the
    incident's own country and a ``sensitive`` flag. An HXL hashtag row under
    the header is recognised and used for detection.

    Parameters
    ----------
    source : path or (Geo)DataFrame
        CSV, Excel, GeoJSON, GeoPackage, (Geo)Parquet, or a frame.
    lon_col, lat_col, time_col, category_col, id_col, country_col, sensitive_col : str, optional
        Name a column instead of detecting it.
    units : GeoDataFrame, optional
        When given, the points are checked against the study area: if most fall
        outside, a :class:`DataError` says so; if swapping latitude and longitude
        would put far more of them inside the units, or in a unit of their own
        country, a :class:`DataError` says they look swapped.
    crosswalk : path or DataFrame, optional
        Category crosswalk (see :func:`load_crosswalk`).
    on_invalid : {"raise", "drop"}
        Invalid rows (bad coordinates, (0, 0), unparseable dates) raise by
        default; ``"drop"`` drops them with a warning that counts them by reason
        (also in ``load_incidents(...).dropped``).
    date_format : str, optional
        A ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``.
    dayfirst : bool
        Read numeric dates such as 03/04/2023 day first. Without it (and
        without ``date_format``) borderwatch reads them the one way that the
        values allow (17/10/2008 is day first) and raises :class:`DataError`
        when no value settles it: day and month are never guessed.
    sheet : str or int, default 0
        Sheet of an Excel workbook.
    sep, decimal, encoding : str, optional
        Delimiter (``","``, ``";"``, ``"tab"``, ``"|"``), decimal mark (``"."``
        or ``","``) and encoding (``"utf-8"``, ``"cp1252"``, ...) of a delimited
        text file; detected when omitted (see ``load_incidents(...).decisions``).
    swap_check : bool, default True
        Refuse coordinates that look swapped (see ``units``); False accepts them.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with ``id``, ``date``, ``date_precision``,
        ``category``, ``category_raw``, ``sensitive``, ``reported_country``
        (when the input has a country) and every other input column.
        :func:`load_incidents` returns it with the detected columns and the
        rows dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lon": [1.5, 2.1], "lat": [14.2, 13.9],
    ...                    "date": ["2024-03-02", "2024-04"], "type": ["vol de bétail", "VBG"]})
    >>> inc = read_incidents(df)
    >>> inc[["category", "sensitive", "date_precision"]].to_dict("list")
    {'category': ['iccs05_property', 'iccs03_sexual'], 'sensitive': [False, True], 'date_precision': ['day', 'month']}
    >>> df.columns.tolist()  # the caller's frame is untouched
    ['lon', 'lat', 'date', 'type']
    """
    return load_incidents(
        source,
        lon_col=lon_col,
        lat_col=lat_col,
        time_col=time_col,
        category_col=category_col,
        id_col=id_col,
        country_col=country_col,
        sensitive_col=sensitive_col,
        units=units,
        crosswalk=crosswalk,
        on_invalid=on_invalid,
        date_format=date_format,
        dayfirst=dayfirst,
        sheet=sheet,
        sep=sep,
        decimal=decimal,
        encoding=encoding,
        swap_check=swap_check,
    ).frame


# -- steps ----------------------------------------------------------------------------------


def _categories(
    pts: Points, category_col: str | None, *, crosswalk: Crosswalk, sink: list[str]
) -> tuple[pd.DataFrame, str | None, pd.Series]:
    """The frame with ``category`` and ``category_raw`` (columns 3, 4) instead of the input
    column, the input column, and the sensitive flag of each category."""
    frame: pd.DataFrame = pts.frame.copy(deep=False)  # new columns must not reach pts.frame
    src = pts.table.source
    if category_col is not None:
        require_column(frame, src, category_col, option="category_col", what="category")
    catc = category_col or find(
        frame, CATEGORY, exclude={"id", "date", "date_precision", "geometry"}
    )
    made: tuple[pd.Series, pd.Series] | None = None
    if catc is not None:
        raw, cats, sens, unmatched, made = _map_distinct(frame[catc], crosswalk=crosswalk)
        if unmatched:
            more = " ..." if len(unmatched) > 10 else ""
            warn(
                f"{src}: {len(unmatched)} category values in column '{catc}' are not in the crosswalk "
                f"and were counted as iccs11_other: {', '.join(repr(u) for u in unmatched[:10])}"
                f"{more}. Hint: add them to a copy of the crosswalk and pass it with [[crosswalk]].",
                sink,
            )
        frame = frame.drop(columns=[catc])
    else:
        raw = pd.Series([None] * len(frame), dtype=object)
        cats = pd.Series(["unspecified"] * len(frame), dtype=object)
        sens = pd.Series(np.zeros(len(frame), dtype=bool))
    if "category_raw" in frame.columns:  # a frame read before: its raw texts stay
        prior = frame.pop("category_raw")
        if catc == "category":
            raw, made = prior, None
    for i, (at, name, col) in enumerate(((3, "category", cats), (4, "category_raw", raw))):
        # the columns made from the distinct values, as text_column makes them from the rows
        column = (
            made[i] if made is not None else text_column(col.to_numpy(dtype=object), frame.index)
        )
        frame.insert(at, name, column.array if isinstance(column, pd.Series) else column)
    return frame, catc, sens


def _clean_categories(values: pd.Series) -> pd.Series:
    """The category texts stripped, with empty texts and missing values as None."""
    raw = values.astype("string").str.strip().replace("", pd.NA).astype(object)
    return raw.where(raw.notna(), None)


class _Mapped(NamedTuple):
    """What :func:`_map_distinct` gives: per row the cleaned texts, the taxonomy keys and
    the sensitive flags; the unmatched texts; and, for a column of text, the frame's
    columns of the keys and of the cleaned texts, made from the distinct values (what
    :func:`borderwatch._coded.text_column` makes of ``cats`` and ``raw``), else None."""

    raw: pd.Series
    cats: pd.Series
    sens: pd.Series
    unmatched: list[str]
    made: tuple[pd.Series, pd.Series] | None = None


def _map_distinct(values: pd.Series, *, crosswalk: Crosswalk) -> _Mapped:
    """:func:`_clean_categories` and :func:`map_categories` of ``values``: the cleaned
    texts, the taxonomy keys, the sensitive flags and the unmatched texts.

    A column of text (a million rows hold a few dozen spellings) is cleaned and mapped
    once per distinct value and spread back to the rows; the result is the same as the
    direct computation over every row, which other columns (numbers, mixed objects:
    ``1`` and ``1.0`` are one value to a hash table but two texts) still take.

    Examples
    --------
    >>> m = _map_distinct(pd.Series([" VBG", None, "VBG", "", "zz"]), crosswalk=None)
    >>> m.raw.tolist(), m.sens.tolist(), m.unmatched
    (['VBG', None, 'VBG', None, 'zz'], [True, False, True, False, False], ['zz'])
    >>> m.cats.tolist()
    ['iccs03_sexual', 'unspecified', 'iccs03_sexual', 'unspecified', 'iccs11_other']
    >>> m.made[1].tolist()  # the frame's column of the cleaned texts
    ['VBG', nan, 'VBG', nan, 'zz']
    """
    values = pd.Series(values).reset_index(drop=True)
    if not _is_text(values):
        raw = _clean_categories(values)
        cats, sens, unmatched = map_categories(raw, crosswalk=crosswalk)
        return _Mapped(raw, cats, sens, unmatched)
    codes, _ = pd.factorize(values, use_na_sentinel=True)  # distinct values, in order of appearance
    first = first_rows(codes)  # the first row of each distinct value
    distinct = _clean_categories(values.iloc[first].reset_index(drop=True))
    cats_d, sens_d, unmatched = map_categories(distinct, crosswalk=crosswalk)
    # a missing value (code -1) takes the last entry: None, 'unspecified', not sensitive
    raw_d = np.append(distinct.to_numpy(dtype=object), np.array([None], dtype=object))
    cat_d = np.append(cats_d.to_numpy(dtype=object), "unspecified")
    sens_v = np.append(sens_d.to_numpy(dtype=bool), False)[codes]
    at = np.where(codes < 0, len(distinct), codes)
    return _Mapped(
        pd.Series(raw_d[codes], dtype=object),
        pd.Series(cat_d[codes], dtype=object),
        pd.Series(sens_v, dtype=bool),
        unmatched,
        (taken(cat_d, at, values.index), taken(raw_d, at, values.index)),
    )


def _is_text(values: pd.Series) -> bool:
    """Whether every value is a str or missing (a hash table then tells texts apart exactly)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    )


def _sensitive(
    pts: Points, frame: pd.DataFrame, sensitive_col: str | None, sens: pd.Series
) -> tuple[pd.DataFrame, str | None]:
    """The frame with ``sensitive`` (column 5): the category's flag or the input's flag."""
    if sensitive_col is not None:
        require_column(
            frame, pts.table.source, sensitive_col, option="sensitive_col", what="sensitive"
        )
    sensc = sensitive_col or find(frame, SENSITIVE, exclude={"category"})
    flag = sens.to_numpy(dtype=bool).copy()
    if sensc is not None:
        flag |= frame[sensc].map(truthy).to_numpy(dtype=bool)
        frame = frame.drop(columns=[sensc])
    frame.insert(5, "sensitive", flag)
    return frame, sensc


def _own_country(
    pts: Points, frame: pd.DataFrame, country_col: str | None, *, sink: list[str]
) -> tuple[pd.DataFrame, str | None]:
    """The frame with ``reported_country`` (ISO3, column 6) when the input has a country."""
    src = pts.table.source
    if country_col is not None:
        require_column(frame, src, country_col, option="country_col", what="country")
    countryc = country_col or find(frame, COUNTRY, exclude={"id", "category", "category_raw"})
    if countryc is None:
        return frame, None
    iso = to_iso3(frame[countryc])
    unknown = iso.isna().to_numpy() & frame[countryc].notna().to_numpy()
    if unknown.any():
        vals = sorted({str(v) for v in frame.loc[unknown, countryc]})[:5]
        warn(
            f"{src}: column '{countryc}' has {int(unknown.sum())} country values that are neither "
            f"ISO3 codes nor English country names ({', '.join(vals)}); they are left empty. "
            "Hint: use ISO 3166-1 alpha-3 codes (e.g. MLI, NER).",
            sink,
        )
    frame = frame.drop(columns=[countryc])
    frame.insert(6, "reported_country", iso.to_numpy(dtype=object))
    return frame, countryc
