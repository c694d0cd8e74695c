"""Reading administrative units, incidents and community meetings.

Every reader validates once, up front, and raises :class:`borderwatch.DataError`
with a message that names the file, the column, up to ten offending rows and a
hint for the fix. Readers never modify the caller's frame.

Row numbers in messages are *line numbers of the file* (the header is line 1)
for files, and index labels for in-memory frames.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._crs import WGS84, require_crs
from ._data import data_path
from ._errors import BorderwatchWarning, DataError, format_rows

__all__ = [
    "TAXONOMY",
    "load_crosswalk",
    "map_categories",
    "read_incidents",
    "read_meetings",
    "read_units",
    "to_iso3",
]

Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame

OnInvalid = Literal["raise", "drop"]

_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".zip"}
_TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm", ".parquet", ".pq"}

# -- candidate column names (compared case-insensitively, after the last "/" of Kobo groups) --
_LON = [
    "lon",
    "lng",
    "long",
    "longitude",
    "x",
    "_location_longitude",
    "_geolocation_longitude",
    "location_longitude",
    "gps_longitude",
    "_gps_longitude",
    "geo_lon",
    "#geo+lon",
]
_LAT = [
    "lat",
    "latitude",
    "y",
    "_location_latitude",
    "_geolocation_latitude",
    "location_latitude",
    "gps_latitude",
    "_gps_latitude",
    "geo_lat",
    "#geo+lat",
]
_GEOPOINT = [
    "_geolocation",
    "geolocation",
    "_location",
    "location",
    "gps",
    "geopoint",
    "#geo+coord",
]
_TIME = [
    "date",
    "datetime",
    "timestamp",
    "event_date",
    "incident_date",
    "date_start",
    "date_of_incident",
    "date_occurred",
    "occurred",
    "time",
    "meeting_date",
    "#date",
    "#date+occurred",
    "#date+start",
    "_submission_time",
    "submission_time",
    "year",
    "#date+year",
]
_CATEGORY = [
    "category",
    "incident_category",
    "incident_type",
    "crime_type",
    "crime",
    "offence",
    "offense",
    "type",
    "event_type",
    "#event+type",
    "#crisis+type",
    "#event+category",
]
_ID = [
    "id",
    "incident_id",
    "event_id",
    "report_id",
    "case_id",
    "uuid",
    "_uuid",
    "_id",
    "meeting_id",
    "#event+id",
    "#meta+id",
    "#activity+id",
]
_COUNTRY = [
    "country",
    "country_iso3",
    "iso3",
    "country_code",
    "adm0_iso3",
    "adm0",
    "#country+code",
    "#country+name",
    "#country",
]
_SENSITIVE = ["sensitive", "is_sensitive", "protected", "#meta+sensitive"]

_UNIT_ID = [
    "unit_id",
    "adm3_pcode",
    "adm3_code",
    "adm2_pcode",
    "adm2_code",
    "adm1_pcode",
    "adm1_code",
    "hasc",
    "hasc_2",
    "hasc_1",
    "pcode",
    "shapeid",
    "gid_2",
    "gid_1",
    "id",
    "code",
]
_UNIT_NAME = [
    "name",
    "unit_name",
    "adm3_name",
    "adm3_en",
    "adm2_name",
    "adm2_en",
    "adm1_name",
    "adm1_en",
    "shapename",
    "name_2",
    "name_1",
    "admin_name",
    "nom",
]
_UNIT_COUNTRY = [
    "country",
    "adm0_iso3",
    "iso3",
    "iso_a3",
    "adm0_a3",
    "gid_0",
    "shapegroup",
    "country_code",
    "adm0_pcode",
    "iso_a2",
    "admin",
    "adm0_name",
    "adm0_en",
]

_ATTENDANCE = {
    "att_women": [
        "att_women",
        "women",
        "attendance_women",
        "n_women",
        "female",
        "femmes",
        "mujeres",
    ],
    "att_men": ["att_men", "men", "attendance_men", "n_men", "male", "hommes", "hombres"],
    "att_youth": ["att_youth", "youth", "attendance_youth", "n_youth", "jeunes", "jovenes"],
    "att_migrants": [
        "att_migrants",
        "migrants",
        "displaced",
        "migrants_displaced",
        "attendance_migrants",
        "idps",
        "refugees",
        "deplaces",
    ],
    "att_police": ["att_police", "police", "attendance_police", "n_police", "security"],
    "att_leaders": [
        "att_leaders",
        "leaders",
        "local_leaders",
        "attendance_leaders",
        "chiefs",
        "notables",
    ],
}
_TOPICS = ["topics", "topic", "themes", "subjects", "agenda", "issues", "#meta+topics"]
_PLACE = [
    "place",
    "location_name",
    "village",
    "town",
    "venue",
    "locality",
    "#loc+name",
    "#adm2+name",
]


#: Columns read as text from CSV files (ids and codes keep leading zeros).
_TEXT_CODES = {c for c in _ID + _UNIT_ID if not c.startswith("#")} - {"code"}


@dataclass
class _Table:
    """A loaded table plus what is needed to talk about it."""

    frame: pd.DataFrame
    source: str
    lines: np.ndarray  # display row number for each row (file line, or index label)
    is_file: bool
    notes: list[str] = field(default_factory=list)

    def rows(self, mask: np.ndarray | pd.Series) -> str:
        """'lines 3, 7' (files) or 'index 3, 7' (frames) for the rows where ``mask`` is true."""
        return _lines(self.lines[np.asarray(mask, dtype=bool)], self.is_file)


# ---------------------------------------------------------------------------------------------
# loading


def _source_name(source: Any) -> str:
    if isinstance(source, pd.DataFrame):
        return "<DataFrame>"
    return str(source)


def _load_table(source: Source, *, what: str, sheet: str | int | None = 0) -> _Table:
    """Read any supported table or vector file into a (Geo)DataFrame."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        lines = np.asarray(frame.index.astype(str))
        table = _Table(frame.reset_index(drop=True), "<DataFrame>", lines, is_file=False)
    else:
        path = Path(source)
        name = str(path)
        if not path.exists():
            msg = f"{name}: the {what} file does not exist. Hint: check the path and the working directory."
            raise DataError(msg)
        if path.is_dir():
            msg = f"{name}: is a folder, not a {what} file. Hint: give the path of the file itself."
            raise DataError(msg)
        if path.stat().st_size == 0:
            msg = f"{name}: the {what} file is empty (0 bytes). Hint: re-export the data."
            raise DataError(msg)
        suffix = path.suffix.lower()
        try:
            if suffix in {".csv", ".txt", ".tsv"}:
                opts: dict[str, Any] = (
                    {"sep": "\t"}
                    if suffix == ".tsv"
                    else {"sep": None, "engine": "python"}
                    if _sniff_needed(path)
                    else {}
                )
                # ids and codes stay text: "007" must not become 7
                header = pd.read_csv(path, nrows=0, **opts).columns
                text_cols = {c: str for c in header if _norm_col(c) in _TEXT_CODES}
                if "engine" not in opts:
                    opts["low_memory"] = False
                frame = pd.read_csv(path, dtype=text_cols or None, **opts)
            elif suffix in {".xlsx", ".xls", ".xlsm"}:
                frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0)
            elif suffix in {".parquet", ".pq"}:
                try:
                    frame = gpd.read_parquet(path)
                except (ValueError, KeyError, TypeError):
                    frame = pd.read_parquet(path)
            else:
                frame = gpd.read_file(path)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - any reader failure is unreadable input
            msg = (
                f"{name}: cannot read the {what} file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
                "Hint: supported formats are CSV, Excel, GeoJSON, GeoPackage, Shapefile and (Geo)Parquet; "
                "check that the file is not truncated or password-protected."
            )
            raise DataError(msg) from exc
        frame = frame.reset_index(drop=True)
        lines = np.arange(2, len(frame) + 2)  # header is line 1
        table = _Table(frame, name, lines, is_file=True)
    if len(table.frame) == 0:
        msg = f"{table.source}: the {what} file has a header but no data rows. Hint: check the export."
        raise DataError(msg)
    return _apply_hxl(table)


def _sniff_needed(path: Path) -> bool:
    """True when a .csv/.txt file is not comma-separated (semicolon exports from Excel in fr/es/pt)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.readline()
    return head.count(";") > head.count(",") or head.count("\t") > head.count(",")


def _apply_hxl(table: _Table) -> _Table:
    """Recognise an HXL hashtag row (first data row) and rename columns to their hashtags."""
    frame = table.frame
    if isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return table
    first = frame.iloc[0]
    cells = [str(v).strip() for v in first.to_numpy() if isinstance(v, str) and str(v).strip()]
    if not cells or sum(c.startswith("#") for c in cells) < max(1, len(cells) // 2):
        return table
    rename: dict[str, str] = {}
    for col, tag in zip(frame.columns, first.to_numpy(), strict=True):
        if isinstance(tag, str) and tag.strip().startswith("#"):
            rename[col] = _hxl_key(tag)
    new = frame.iloc[1:].reset_index(drop=True).rename(columns=rename)
    # columns came in as text because of the hashtag row: let pandas re-infer numbers
    for col in new.columns:
        if new[col].dtype == object or pd.api.types.is_string_dtype(new[col]):
            conv = pd.to_numeric(new[col], errors="coerce")
            if conv.notna().sum() == new[col].notna().sum():
                new[col] = conv
    table.notes.append("read HXL hashtags: " + ", ".join(sorted(set(rename.values()))))
    return _Table(new, table.source, table.lines[1:], table.is_file, table.notes)


def _hxl_key(tag: str) -> str:
    """Normalise an HXL tag: lower case, attributes sorted, e.g. '#geo +lat' -> '#geo+lat'."""
    parts = tag.strip().lower().replace(" ", "").split("+")
    return parts[0] + "".join("+" + p for p in sorted(p for p in parts[1:] if p))


def _norm_col(name: Any) -> str:
    text = str(name).strip().lower()
    if text.startswith("#"):
        return _hxl_key(text)
    return text.rsplit("/", 1)[-1].replace(" ", "_").replace("-", "_")


def _find(
    frame: pd.DataFrame, candidates: list[str], *, exclude: set[str] | None = None
) -> str | None:
    norm: dict[str, Any] = {}
    for col in frame.columns:
        if exclude and col in exclude:
            continue
        norm.setdefault(_norm_col(col), col)
    for cand in candidates:
        if cand in norm:
            return str(norm[cand])
    # HXL tags with extra attributes, e.g. '#geo+lat+x_centroid'
    for cand in candidates:
        if cand.startswith("#"):
            base = cand.split("+")
            for key, col in norm.items():
                if (
                    key.startswith("#")
                    and all(p in key.split("+") for p in base[1:])
                    and key.split("+")[0] == base[0]
                ):
                    return str(col)
    return None


def _require_column(table: _Table, name: str, *, option: str, what: str) -> str:
    if name in table.frame.columns:
        return name
    cols = ", ".join(map(str, list(table.frame.columns)[:30]))
    msg = (
        f"{table.source}: the {what} column '{name}' given with {option} does not exist. "
        f"Columns present: {cols}. Hint: check the spelling (column names are case-sensitive)."
    )
    raise DataError(msg)


# ---------------------------------------------------------------------------------------------
# countries


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_3", "alpha_2", "name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                table[_fold(value)] = c.alpha_3
    aliases = pd.read_csv(data_path("lookups", "country_aliases.csv"), comment="#")
    for name, iso3 in zip(aliases["name"], aliases["iso3"], strict=True):
        table[_fold(name)] = iso3
    return table


def _fold(text: Any) -> str:
    """Case-fold, strip accents and punctuation, collapse spaces."""
    s = unicodedata.normalize("NFKD", str(text)).casefold()
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[\W_]+", " ", s, flags=re.UNICODE)
    return " ".join(s.split())


def to_iso3(values: pd.Series | list[Any]) -> pd.Series:
    """Convert country codes or English names to ISO 3166-1 alpha-3 codes.

    Accepts ISO3, ISO2, English short and official names, and the names UCDP uses
    (``"DR Congo (Zaire)"``). Unknown values become missing.

    Examples
    --------
    >>> to_iso3(["Niger", "mli", "BF", "DR Congo (Zaire)", "Atlantis"]).tolist()
    ['NER', 'MLI', 'BFA', 'COD', None]
    """
    s = pd.Series(values)
    table = _country_table()
    uniques = pd.unique(s.dropna())
    mapping = {u: table.get(_fold(u)) for u in uniques}
    out = s.map(mapping)
    return out.astype(object).where(out.notna(), None)


# ---------------------------------------------------------------------------------------------
# units


def read_units(
    source: Source,
    *,
    id_col: str | None = None,
    name_col: str | None = None,
    country_col: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read administrative units.

    Parameters
    ----------
    source : path or GeoDataFrame
        Any vector file geopandas reads (GeoJSON, GeoPackage, Shapefile,
        GeoParquet, ...) or a GeoDataFrame.
    id_col, name_col, country_col : str, optional
        Columns holding the unit id, name and country. Detected when omitted
        (``unit_id``, ``adm2_code``, ``hasc``, ...; ``name``, ``adm2_name``, ...;
        ``country``, ``adm0_iso3``, ``iso_a3``, ...). The country may be an ISO3
        or ISO2 code or an English name.
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage).

    Returns
    -------
    GeoDataFrame
        ``unit_id`` (str), ``name`` (str), ``country`` (ISO3), ``geometry``
        (polygons, EPSG:4326), then the other input columns.

    Raises
    ------
    DataError
        Missing CRS, non-polygon geometries, duplicate unit ids, missing or
        unknown countries, empty or unreadable file.

    Examples
    --------
    >>> from borderwatch.datasets import boundary_path
    >>> units = read_units(boundary_path("liptako_gourma"))
    >>> units[["unit_id", "name", "country"]].head(2).to_dict("list")  # doctest: +SKIP
    >>> sorted(units["country"].unique())
    ['BFA', 'MLI', 'NER']
    """
    if isinstance(source, gpd.GeoDataFrame):
        table = _Table(
            source.copy().reset_index(drop=True),
            "<GeoDataFrame>",
            np.asarray(source.index.astype(str)),
            is_file=False,
        )
    elif isinstance(source, pd.DataFrame):
        msg = "<DataFrame>: units must be a GeoDataFrame with polygon geometries. Hint: use geopandas."
        raise DataError(msg)
    else:
        path = Path(source)
        if path.exists() and path.is_file() and path.stat().st_size > 0 and layer is not None:
            try:
                frame = gpd.read_file(path, layer=layer)
            except Exception as exc:  # noqa: BLE001
                msg = f"{path}: cannot read layer {layer!r} ({exc}). Hint: list the layers with pyogrio.list_layers()."
                raise DataError(msg) from exc
            table = _Table(frame, str(path), np.arange(2, len(frame) + 2), is_file=True)
        else:
            table = _load_table(source, what="units")
    gdf = table.frame
    src = table.source
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        msg = (
            f"{src}: the units have no geometry column. Hint: units must be a vector file "
            "(GeoJSON, GeoPackage, Shapefile, GeoParquet) with polygons, not a plain table."
        )
        raise DataError(msg)
    if len(gdf) == 0:
        msg = f"{src}: the units file holds no features. Hint: check the layer and the export."
        raise DataError(msg)
    require_crs(gdf, what="units", source=src)

    geom = gdf.geometry.array
    missing = np.asarray(shapely.is_missing(geom) | shapely.is_empty(geom))
    if missing.any():
        msg = f"{src}: {int(missing.sum())} units have no geometry ({table.rows(missing)}). Hint: remove them or fix the export."
        raise DataError(msg)
    types = np.asarray(shapely.get_type_id(geom))
    bad = ~np.isin(types, [3, 6])  # Polygon, MultiPolygon
    if bad.any():
        kinds = sorted(set(np.asarray(gdf.geom_type)[bad]))
        msg = (
            f"{src}: units must be polygons, but {int(bad.sum())} features are {', '.join(kinds)} "
            f"({table.rows(bad)}). Hint: pass administrative areas (polygons), not points or lines."
        )
        raise DataError(msg)

    idc = id_col or _find(gdf, _UNIT_ID, exclude={"geometry"})
    namec = name_col or _find(gdf, _UNIT_NAME, exclude={"geometry"})
    countryc = country_col or _find(gdf, _UNIT_COUNTRY, exclude={"geometry"})
    for given, opt in (
        (id_col, "--unit-id-col"),
        (name_col, "--unit-name-col"),
        (country_col, "--unit-country-col"),
    ):
        if given is not None:
            _require_column(table, given, option=opt, what="unit")
    if countryc is None:
        cols = ", ".join(c for c in gdf.columns if c != "geometry")
        msg = (
            f"{src}: no country column found among the unit columns ({cols}). borderwatch needs the "
            "country of every unit to find international borders. Hint: name it with "
            "--unit-country-col (country_col=...), e.g. adm0_iso3."
        )
        raise DataError(msg)

    country = to_iso3(gdf[countryc])
    nocountry = country.isna().to_numpy()
    if nocountry.any():
        vals = sorted({str(v) for v in gdf.loc[nocountry, countryc].tolist()})[:5]
        msg = (
            f"{src}: column '{countryc}' has a missing or unknown country for {int(nocountry.sum())} units "
            f"({table.rows(nocountry)}; values: {', '.join(vals)}). Hint: use ISO 3166-1 alpha-3 codes "
            "(e.g. MLI, NER) or English country names."
        )
        raise DataError(msg)

    if idc is not None:
        unit_id = gdf[idc].astype(str).str.strip()
        empty_id = gdf[idc].isna().to_numpy() | (unit_id == "").to_numpy()
        if empty_id.any():
            msg = f"{src}: column '{idc}' has empty unit ids ({table.rows(empty_id)}). Hint: fill them or choose another id column with --unit-id-col."
            raise DataError(msg)
    else:
        unit_id = pd.Series([f"{c}-{i:04d}" for i, c in enumerate(country)], index=gdf.index)
    dup = unit_id.duplicated(keep=False).to_numpy()
    if dup.any() and id_col is None and idc is not None and _norm_col(idc) != "unit_id":
        # a detected code such as Natural Earth's `hasc` is not always unique: number the repeats
        n_dup = int(unit_id.duplicated().sum())
        rank = unit_id.groupby(unit_id).cumcount()
        unit_id = unit_id.where(rank == 0, unit_id + "-" + (rank + 1).astype(str))
        warnings.warn(
            f"{src}: the detected id column '{idc}' repeats {n_dup} ids ({table.rows(dup)}); "
            "repeats were numbered (e.g. ML.KK-2). Pass --unit-id-col to choose a unique id.",
            BorderwatchWarning,
            stacklevel=2,
        )
        dup = unit_id.duplicated(keep=False).to_numpy()
    if dup.any():
        dup_ids = ", ".join(sorted(set(unit_id[dup]))[:5])
        msg = (
            f"{src}: column '{idc}' has duplicate unit ids ({table.rows(dup)}; ids: {dup_ids}). "
            "Hint: each unit needs a unique id; choose a finer id column with --unit-id-col "
            "(e.g. adm2_code rather than adm1_code) or dissolve the duplicates."
        )
        raise DataError(msg)
    name = unit_id.copy()
    if namec is not None:
        name = gdf[namec].astype("string").where(gdf[namec].notna(), unit_id).astype(str)

    # repair
    geoms = gdf.geometry
    invalid = ~np.asarray(shapely.is_valid(geoms.array))
    if invalid.any():
        fixed = shapely.make_valid(geoms.array[invalid])
        polys = [_polygonal(g) for g in fixed]
        arr = np.asarray(geoms.array, dtype=object).copy()
        arr[invalid] = polys
        geoms = gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs)
        warnings.warn(
            f"{src}: repaired {int(invalid.sum())} invalid unit geometries with make_valid.",
            BorderwatchWarning,
            stacklevel=2,
        )
    out = gpd.GeoDataFrame(
        {
            "unit_id": unit_id.to_numpy(dtype=object),
            "name": name.to_numpy(dtype=object),
            "country": country.to_numpy(dtype=object),
        },
        geometry=geoms.to_numpy() if hasattr(geoms, "to_numpy") else geoms,
        crs=gdf.crs,
    )
    used = {c for c in (idc, namec, countryc) if c}
    for col in gdf.columns:
        if col not in used and col != gdf.geometry.name and col not in out.columns:
            out[col] = gdf[col].to_numpy()
    if not CRS(out.crs).equals(WGS84):
        out = out.to_crs(WGS84)
    out.attrs["source"] = src
    out.attrs["columns"] = {"unit_id": idc, "name": namec, "country": countryc}
    out.attrs["repaired"] = int(invalid.sum())
    return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
    flat: list[shapely.Geometry] = []
    for p in polys:
        flat.extend(shapely.get_parts(p))
    if not flat:
        return shapely.Polygon()
    return flat[0] if len(flat) == 1 else shapely.MultiPolygon(flat)


# ---------------------------------------------------------------------------------------------
# categories


TAXONOMY: list[str] = [
    "iccs01_death",
    "iccs02_harm",
    "iccs03_sexual",
    "iccs04_violent_property",
    "iccs05_property",
    "iccs06_drugs",
    "iccs07_fraud",
    "iccs08_public_order",
    "iccs09_public_safety",
    "iccs10_environment",
    "iccs11_other",
    "unspecified",
]
"""Keys of the common category taxonomy (ICCS top-level sections, plus ``unspecified``)."""

_ALWAYS_SENSITIVE = {"iccs03_sexual"}


def load_crosswalk(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load a category crosswalk (the shipped one when ``path`` is None).

    The CSV has columns ``text`` (free text, compared after case-folding and
    removing accents and punctuation), ``match`` (``exact`` or ``contains``),
    ``category`` (a key of :data:`TAXONOMY`) and ``sensitive`` (0/1). Lines
    starting with ``#`` are comments. Copy the shipped file
    (``borderwatch/data/lookups/category_crosswalk.csv``) to start your own.

    Examples
    --------
    >>> cw = load_crosswalk()
    >>> sorted(cw.columns)
    ['category', 'match', 'sensitive', 'text']
    """
    src = Path(path) if path is not None else data_path("lookups", "category_crosswalk.csv")
    try:
        cw = pd.read_csv(src, comment="#", dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001
        msg = f"{src}: cannot read the category crosswalk ({exc}). Hint: it must be a CSV with columns text,match,category,sensitive."
        raise DataError(msg) from exc
    need = {"text", "category"}
    if not need <= set(cw.columns):
        msg = f"{src}: the crosswalk needs columns text and category (has {', '.join(cw.columns)}). Hint: copy the shipped crosswalk and edit it."
        raise DataError(msg)
    cw = cw.copy()
    if "match" not in cw:
        cw["match"] = "exact"
    if "sensitive" not in cw:
        cw["sensitive"] = "0"
    bad = ~cw["category"].isin(TAXONOMY)
    if bad.any():
        msg = (
            f"{src}: unknown categories {', '.join(sorted(set(cw.loc[bad, 'category'])))} "
            f"({format_rows(np.flatnonzero(bad.to_numpy()) + 2)}). Hint: use one of {', '.join(TAXONOMY)}."
        )
        raise DataError(msg)
    cw["text"] = cw["text"].map(_fold)
    cw["match"] = cw["match"].str.strip().str.lower().replace("", "exact")
    cw["sensitive"] = cw["sensitive"].map(_truthy).astype(bool)
    return cw[["text", "match", "category", "sensitive"]]


def map_categories(
    raw: pd.Series, *, crosswalk: pd.DataFrame | str | os.PathLike[str] | None = None
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Map free-text categories to the common taxonomy.

    Returns the taxonomy keys, a boolean ``sensitive`` series and the list of
    raw values that matched nothing (those become ``iccs11_other``; missing
    values become ``unspecified``). Exact rules win over ``contains`` rules, and
    longer ``contains`` rules over shorter ones ("armed robbery" before "robbery").

    Examples
    --------
    >>> cat, sens, unmatched = map_categories(pd.Series(["Vol de bétail", "VBG", "kidnapping", None]))
    >>> cat.tolist(), sens.tolist()
    (['iccs05_property', 'iccs03_sexual', 'iccs02_harm', 'unspecified'], [False, True, False, False])
    """
    cw = crosswalk if isinstance(crosswalk, pd.DataFrame) else load_crosswalk(crosswalk)
    values = pd.Series(raw)
    uniques = pd.unique(values.dropna())
    exact = {
        t: (c, s)
        for t, c, s in cw.loc[cw["match"] == "exact", ["text", "category", "sensitive"]].itertuples(
            index=False
        )
    }
    contains = sorted(
        cw.loc[cw["match"] != "exact", ["text", "category", "sensitive"]].itertuples(index=False),
        key=lambda r: -len(r[0]),
    )
    keys = {k: (k, k in _ALWAYS_SENSITIVE) for k in TAXONOMY}
    cat_map: dict[Any, str] = {}
    sens_map: dict[Any, bool] = {}
    unmatched: list[str] = []
    for u in uniques:
        f = _fold(u)
        hit: tuple[str, bool] | None = None
        if str(u).strip() in keys:
            hit = keys[str(u).strip()]
        elif f in exact:
            hit = exact[f]
        else:
            padded = f" {f} "
            for text, c, s in contains:
                # word-bounded, allowing a plural "s"/"es" ("drugs", "drogas", "drogues")
                if text and any(f" {text}{end} " in padded for end in ("", "s", "es")):
                    hit = (c, bool(s))
                    break
            if hit is None:
                m = re.fullmatch(r"(?:iccs\s*)?0?(\d{1,2})\d*", f)
                if m and 1 <= int(m.group(1)) <= 11:
                    key = TAXONOMY[int(m.group(1)) - 1]
                    hit = (key, key in _ALWAYS_SENSITIVE)
        if hit is None:
            unmatched.append(str(u))
            hit = ("iccs11_other", False)
        cat_map[u] = hit[0]
        sens_map[u] = bool(hit[1]) or hit[0] in _ALWAYS_SENSITIVE
    cats = values.map(cat_map).astype(object)
    cats = cats.where(values.notna(), "unspecified")
    sens = values.map(sens_map).fillna(False).astype(bool)
    return cats, sens, unmatched


def _truthy(v: Any) -> bool:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    return _fold(v) in {
        "1",
        "true",
        "yes",
        "y",
        "oui",
        "si",
        "sim",
        "t",
        "x",
        "vrai",
        "verdadero",
        "1 0",
    }


# ---------------------------------------------------------------------------------------------
# points


_REASONS = {
    "no_coordinates": "missing coordinates",
    "non_numeric": "non-numeric coordinates",
    "lat_range": "latitude outside -90..90",
    "lon_range": "longitude outside -180..180",
    "zero_zero": "point at (0, 0)",
    "bad_date": "unparseable date",
}


def _parse_geopoint(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split an ODK/Kobo geopoint ('lat lon [alt acc]' or '[lat, lon]') into lat, lon strings."""
    s = series.astype("string").str.strip().str.strip("[]()").str.replace(",", " ", regex=False)
    parts = s.str.split(r"\s+", expand=True, regex=True)
    if parts.shape[1] < 2:
        empty = pd.Series([None] * len(series), index=series.index, dtype=object)
        return empty, empty
    return parts[0], parts[1]


def _points(
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
) -> tuple[gpd.GeoDataFrame, _Table, dict[str, int], list[str]]:
    if on_invalid not in ("raise", "drop"):
        msg = f"on_invalid must be 'raise' or 'drop', not {on_invalid!r}."
        raise DataError(msg)
    table = _load_table(source, what=kind, sheet=sheet)
    frame = table.frame
    src = table.source
    warns: list[str] = []

    # ---- coordinates
    if lon_col is not None:
        _require_column(table, lon_col, option="--lon-col", what="longitude")
    if lat_col is not None:
        _require_column(table, lat_col, option="--lat-col", what="latitude")
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    used: set[str] = set()
    if geom_col is not None and lon_col is None and lat_col is None:
        require_crs(frame, what=kind, source=src)
        gs = frame.geometry
        if not CRS(gs.crs).equals(WGS84):
            gs = gs.to_crs(WGS84)
        types = np.asarray(shapely.get_type_id(gs.array))
        nonpt = (types != 0) & ~np.asarray(shapely.is_missing(gs.array))
        if nonpt.any():
            msg = (
                f"{src}: {kind} must be points, but {int(nonpt.sum())} features are not "
                f"({table.rows(nonpt)}). Hint: use centroids (gdf.geometry.centroid) or export points."
            )
            raise DataError(msg)
        missing_g = np.asarray(shapely.is_missing(gs.array) | shapely.is_empty(gs.array))
        lon_raw = pd.Series(np.where(missing_g, np.nan, shapely.get_x(gs.array)), dtype=float)
        lat_raw = pd.Series(np.where(missing_g, np.nan, shapely.get_y(gs.array)), dtype=float)
        lon_name, lat_name = "geometry (x)", "geometry (y)"
        used.add(geom_col)
    else:
        lonc = lon_col or _find(frame, _LON)
        latc = lat_col or _find(frame, _LAT)
        if lonc is None or latc is None:
            gp = _find(frame, _GEOPOINT)
            if gp is not None and lonc is None and latc is None:
                lat_raw, lon_raw = _parse_geopoint(frame[gp])
                lon_name = lat_name = gp
                used.add(gp)
            else:
                cols = ", ".join(map(str, list(frame.columns)[:30]))
                missing_what = " and ".join(
                    w for w, c in (("longitude", lonc), ("latitude", latc)) if c is None
                )
                msg = (
                    f"{src}: no {missing_what} column found (columns: {cols}). Hint: name them lon/lat "
                    "(or longitude/latitude, x/y, HXL #geo+lon/#geo+lat, Kobo _location_longitude/"
                    "_location_latitude), or pass --lon-col and --lat-col (lon_col=, lat_col=)."
                )
                raise DataError(msg)
        else:
            lon_raw, lat_raw = frame[lonc], frame[latc]
            lon_name, lat_name = lonc, latc
            used |= {lonc, latc}
    lon = _to_number(lon_raw)
    lat = _to_number(lat_raw)

    invalid: dict[str, np.ndarray] = {}
    nonnum_lon = lon.isna().to_numpy() & _present(lon_raw)
    nonnum_lat = lat.isna().to_numpy() & _present(lat_raw)
    invalid["non_numeric"] = nonnum_lon | nonnum_lat
    invalid["no_coordinates"] = (lon.isna().to_numpy() | lat.isna().to_numpy()) & ~invalid[
        "non_numeric"
    ]
    lonv = lon.to_numpy(dtype=float)
    latv = lat.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        invalid["lat_range"] = np.abs(latv) > 90
        invalid["lon_range"] = np.abs(lonv) > 180
        invalid["zero_zero"] = (lonv == 0) & (latv == 0)

    details = {
        "non_numeric": (
            f"columns '{lon_name}'/'{lat_name}'",
            "coordinates must be decimal degrees such as 13.52 (use a dot as decimal separator; degrees-minutes-seconds must be converted)",
        ),
        "no_coordinates": (
            f"columns '{lon_name}'/'{lat_name}'",
            "fill in the coordinates or drop these rows",
        ),
        "lat_range": (
            f"column '{lat_name}'",
            "latitude must be between -90 and 90; are the columns swapped or in projected metres?",
        ),
        "lon_range": (
            f"column '{lon_name}'",
            "longitude must be between -180 and 180; are these projected metres rather than degrees?",
        ),
        "zero_zero": (
            f"columns '{lon_name}'/'{lat_name}'",
            "(0, 0) in the Gulf of Guinea is almost always a missing GPS fix exported as zeros",
        ),
    }

    # ---- time
    timec = time_col or _find(frame, _TIME, exclude=used)
    if time_col is not None:
        _require_column(table, time_col, option="--time-col", what="time")
    dates: pd.Series
    precision: pd.Series
    if timec is not None:
        dates, precision, bad_date = _parse_dates(
            frame[timec], date_format=date_format, dayfirst=dayfirst
        )
        invalid["bad_date"] = bad_date
        details["bad_date"] = (
            f"column '{timec}'",
            'use ISO 8601 dates (YYYY-MM-DD, YYYY-MM or YYYY), or give the format (date_format = "%d/%m/%Y" in --config, date_format= in Python), or choose another column with --time-col',
        )
        used.add(timec)
    else:
        dates = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        precision = pd.Series(None, index=frame.index, dtype=object)

    # ---- report or drop invalid rows
    counts = {k: int(v.sum()) for k, v in invalid.items() if v.any()}
    any_bad = np.zeros(len(frame), dtype=bool)
    for v in invalid.values():
        any_bad |= v
    if counts and on_invalid == "raise":
        parts = []
        for reason, n in counts.items():
            col, hint = details[reason]
            parts.append(
                f"{n} with {_REASONS[reason]} in {col} ({table.rows(invalid[reason])}): {hint}"
            )
        msg = (
            f"{src}: {int(any_bad.sum())} of {len(frame)} {kind} rows are invalid. "
            + "; ".join(parts)
            + ". Hint: fix these rows, or pass --drop-invalid (on_invalid='drop') to drop them with a warning."
        )
        raise DataError(msg)
    if counts:
        text = ", ".join(f"{n} {_REASONS[r]}" for r, n in counts.items())
        w = f"{src}: dropped {int(any_bad.sum())} invalid {kind} rows ({text})."
        warnings.warn(w, BorderwatchWarning, stacklevel=3)
        warns.append(w)

    keep = ~any_bad
    # ---- study area checks
    if units is not None and keep.any():
        _check_study_area(table, kind, lonv[keep], latv[keep], units, lon_name, lat_name, keep)

    # ---- id
    idc = id_col or _find(frame, _ID, exclude=used)
    if id_col is not None:
        _require_column(table, id_col, option="--id-col", what="id")
    if idc is not None:
        raw_ids = frame[idc]
        if pd.api.types.is_float_dtype(raw_ids) and bool((raw_ids.dropna() % 1 == 0).all()):
            raw_ids = raw_ids.astype(
                "Int64"
            )  # whole numbers read as floats (a blank id): 101, not 101.0
        ids = raw_ids.astype("string").fillna("").astype(object)
        used.add(idc)
    else:
        ids = pd.Series([f"row-{x}" for x in table.lines], dtype=object)

    out = pd.DataFrame(
        {
            "id": ids.to_numpy(dtype=object),
            "date": dates.to_numpy(),
            "date_precision": precision.to_numpy(dtype=object),
        }
    )
    for col in frame.columns:
        if col in used or col == geom_col or col in out.columns:
            continue
        out[col] = frame[col].to_numpy()
    out = out.loc[keep].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lonv[keep], latv[keep]), crs=WGS84)
    table.lines = table.lines[keep]
    gdf.attrs["source"] = src
    gdf.attrs["columns"] = {"lon": lon_name, "lat": lat_name, "time": timec, "id": idc}
    gdf.attrs["notes"] = list(table.notes)
    return gdf, table, counts, warns


def _present(raw: pd.Series) -> np.ndarray:
    s = pd.Series(raw)
    if pd.api.types.is_numeric_dtype(s):
        return s.notna().to_numpy()
    st = s.astype("string").str.strip()
    return (st.notna() & (st != "")).to_numpy(dtype=bool)


def _to_number(raw: pd.Series) -> pd.Series:
    s = pd.Series(raw).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    return pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype(float)


_YEAR = re.compile(r"^\d{4}(\.0)?$")
_MONTH = re.compile(r"^\d{4}[-/]\d{1,2}$")
_TIME_PART = re.compile(r"\d{1,2}:\d{2}")


def _parse_dates(
    raw: pd.Series, *, date_format: str | None, dayfirst: bool
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Parse a date/datetime/year column, keeping the precision of each value."""
    s = pd.Series(raw).reset_index(drop=True)
    n = len(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        d = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        d = d.astype("datetime64[ns]")
        has_time = (d.dt.normalize() != d) & d.notna()
        prec = pd.Series(
            np.where(d.isna().to_numpy(), None, np.where(has_time.to_numpy(), "datetime", "day")),  # type: ignore[call-overload]
            dtype=object,
        )
        return d, prec, np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(s):
        v = s.astype(float)
        isyear = v.between(1000, 2200) & (v == np.floor(v))
        d = pd.to_datetime(
            v.where(isyear).astype("Int64").astype("string") + "-01-01", errors="coerce"
        )
        bad = (v.notna() & ~isyear).to_numpy()
        prec = pd.Series(np.where(isyear.to_numpy(), "year", None), dtype=object)  # type: ignore[call-overload]
        return d.astype("datetime64[ns]"), prec, bad
    text = s.astype("string").str.strip()
    text = text.where(text != "", None)
    present = text.notna().to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    prec = pd.Series([None] * n, dtype=object)
    isyear = text.str.match(_YEAR).fillna(False).to_numpy(dtype=bool)
    ismonth = text.str.match(_MONTH).fillna(False).to_numpy(dtype=bool)
    hastime = text.str.contains(_TIME_PART).fillna(False).to_numpy(dtype=bool)
    if isyear.any():
        out[isyear] = pd.to_datetime(text[isyear].str.slice(0, 4) + "-01-01", errors="coerce")
        prec[isyear] = "year"
    if ismonth.any():
        out[ismonth] = pd.to_datetime(
            text[ismonth].str.replace("/", "-", regex=False) + "-01",
            format="%Y-%m-%d",
            errors="coerce",
        )
        prec[ismonth] = "month"
    rest = present & ~isyear & ~ismonth
    if rest.any():
        sub = text[rest]
        if date_format is not None:
            parsed = pd.to_datetime(sub, format=date_format, errors="coerce")
        else:
            parsed = pd.to_datetime(sub, format="ISO8601", errors="coerce", utc=True)
            retry = parsed.isna().to_numpy()
            if retry.any():
                again = pd.to_datetime(
                    sub[retry], format="mixed", dayfirst=dayfirst, errors="coerce", utc=True
                )
                parsed = parsed.copy()
                parsed[retry] = again
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        out[rest] = parsed.astype("datetime64[ns]").to_numpy()
        prec[rest] = np.where(hastime[rest], "datetime", "day")
    bad = present & out.isna().to_numpy()
    prec[bad] = None
    return out, prec, bad


def _check_study_area(
    table: _Table,
    kind: str,
    lon: np.ndarray,
    lat: np.ndarray,
    units: gpd.GeoDataFrame,
    lon_name: str,
    lat_name: str,
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
    if swapped_in.mean() > 0.5:
        msg = (
            f"{table.source}: latitude and longitude look swapped: {int(outside.sum())} of {len(lon)} {kind} "
            f"fall outside the units, but {int(swapped_in.sum())} fall inside when columns '{lon_name}' and "
            f"'{lat_name}' are exchanged ({_lines(lines[outside & swapped_in], table.is_file)}). "
            f"Hint: pass --lon-col {lat_name} --lat-col {lon_name} (lon_col=..., lat_col=...)."
        )
        raise DataError(msg)
    bounds = ", ".join(f"{b:.2f}" for b in u.total_bounds)
    msg = (
        f"{table.source}: {int(outside.sum())} of {len(lon)} {kind} ({share_out:.0%}) fall outside the study "
        f"area of the units (lon/lat bounds {bounds}) ({_lines(lines[outside], table.is_file)}). "
        f"Hint: check that the incidents and the units cover the same region, that '{lon_name}'/'{lat_name}' "
        "hold decimal degrees (not projected metres), and that the right units file was given."
    )
    raise DataError(msg)


def _lines(lines: np.ndarray, is_file: bool) -> str:
    """'lines 3, 7' for files (line numbers, header = line 1), 'index 3, 7' for frames."""
    text = format_rows(lines)
    word = "line" if is_file else "index"
    return text.replace("rows", word + "s" if is_file else word).replace("row", word)


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
    crosswalk: pd.DataFrame | str | os.PathLike[str] | None = None,
    on_invalid: OnInvalid = "raise",
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
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
        outside, a :class:`DataError` says so, and says when swapping latitude
        and longitude would put them inside.
    crosswalk : path or DataFrame, optional
        Category crosswalk (see :func:`load_crosswalk`).
    on_invalid : {"raise", "drop"}
        Invalid rows (bad coordinates, (0, 0), unparseable dates) raise by
        default; ``"drop"`` drops them with a warning that counts them by reason
        (also in ``gdf.attrs["dropped"]``).
    date_format : str, optional
        A ``strftime`` format for unusual dates.
    dayfirst : bool
        Read ambiguous dates such as 03/04/2023 as day first.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with ``id``, ``date``, ``date_precision``,
        ``category``, ``category_raw``, ``sensitive``, ``reported_country``
        (when the input has a country) and every other input column.

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
    gdf, table, dropped, warns = _points(
        "incidents",
        source,
        lon_col=lon_col,
        lat_col=lat_col,
        time_col=time_col,
        id_col=id_col,
        units=units,
        on_invalid=on_invalid,
        date_format=date_format,
        dayfirst=dayfirst,
        sheet=sheet,
    )
    frame = gdf
    # category
    if category_col is not None:
        _require_column(
            _Table(frame, table.source, table.lines, table.is_file),
            category_col,
            option="--category-col",
            what="category",
        )
    catc = category_col or _find(
        frame, _CATEGORY, exclude={"id", "date", "date_precision", "geometry"}
    )
    if catc is not None:
        raw = frame[catc].astype("string").str.strip().replace("", pd.NA).astype(object)
        raw = raw.where(raw.notna(), None)
        cats, sens, unmatched = map_categories(raw, crosswalk=crosswalk)
        if unmatched:
            w = (
                f"{table.source}: {len(unmatched)} category values in column '{catc}' are not in the crosswalk "
                f"and were counted as iccs11_other: {', '.join(repr(u) for u in unmatched[:10])}"
                f"{' ...' if len(unmatched) > 10 else ''}. Hint: add them to a copy of the crosswalk and pass it with crosswalk=."
            )
            warnings.warn(w, BorderwatchWarning, stacklevel=2)
            warns.append(w)
        frame = frame.drop(columns=[catc])
    else:
        raw = pd.Series([None] * len(frame), dtype=object)
        cats = pd.Series(["unspecified"] * len(frame), dtype=object)
        sens = pd.Series(np.zeros(len(frame), dtype=bool))
    frame.insert(3, "category", cats.to_numpy(dtype=object))
    frame.insert(4, "category_raw", raw.to_numpy(dtype=object))
    # sensitive
    if sensitive_col is not None:
        _require_column(
            _Table(frame, table.source, table.lines, table.is_file),
            sensitive_col,
            option="sensitive_col",
            what="sensitive",
        )
    sensc = sensitive_col or _find(frame, _SENSITIVE, exclude={"category"})
    flag = sens.to_numpy(dtype=bool).copy()
    if sensc is not None:
        flag |= frame[sensc].map(_truthy).to_numpy(dtype=bool)
        frame = frame.drop(columns=[sensc])
    frame.insert(5, "sensitive", flag)
    # own country
    if country_col is not None:
        _require_column(
            _Table(frame, table.source, table.lines, table.is_file),
            country_col,
            option="--country-col",
            what="country",
        )
    countryc = country_col or _find(frame, _COUNTRY, exclude={"id", "category", "category_raw"})
    if countryc is not None:
        iso = to_iso3(frame[countryc])
        unknown = iso.isna().to_numpy() & frame[countryc].notna().to_numpy()
        if unknown.any():
            vals = sorted({str(v) for v in frame.loc[unknown, countryc]})[:5]
            w = (
                f"{table.source}: column '{countryc}' has {int(unknown.sum())} country values that are neither "
                f"ISO3 codes nor English country names ({', '.join(vals)}); they are left empty."
            )
            warnings.warn(w, BorderwatchWarning, stacklevel=2)
            warns.append(w)
        frame = frame.drop(columns=[countryc])
        frame.insert(6, "reported_country", iso.to_numpy(dtype=object))
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    frame.attrs.update(gdf.attrs)
    frame.attrs["columns"] = {
        **gdf.attrs.get("columns", {}),
        "category": catc,
        "sensitive": sensc,
        "country": countryc,
    }
    frame.attrs["dropped"] = dropped
    frame.attrs["warnings"] = warns
    return frame


def read_meetings(
    source: Source,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    time_col: str | None = None,
    id_col: str | None = None,
    place_col: str | None = None,
    topics_col: str | None = None,
    attendance_cols: Mapping[str, str] | None = None,
    units: gpd.GeoDataFrame | None = None,
    on_invalid: OnInvalid = "raise",
    date_format: str | None = None,
    dayfirst: bool = False,
    sheet: str | int | None = 0,
) -> gpd.GeoDataFrame:
    """Read community meetings (joint police–community problem-solving sessions).

    Detects coordinates, date and id like :func:`read_incidents`, plus the
    place, the topics and attendance by group: ``att_women``, ``att_men``,
    ``att_youth``, ``att_migrants`` (migrants/displaced), ``att_police`` and
    ``att_leaders`` (local leaders). Columns named ``women``, ``youth``,
    ``police``, ... are recognised; ``attendance_cols`` maps the standard names
    to yours.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with ``id``, ``date``, ``date_precision``, ``place``,
        ``topics``, the six attendance columns (nullable integers),
        ``attendance`` (their total) and the other input columns.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lat": [14.2], "lon": [1.45], "date": ["2024-05-02"],
    ...                    "women": [12], "police": [3], "topics": ["cattle theft; roads"]})
    >>> m = read_meetings(df)
    >>> int(m.loc[0, "attendance"]), m.loc[0, "topics"]
    (15, 'cattle theft; roads')
    """
    gdf, table, dropped, warns = _points(
        "meetings",
        source,
        lon_col=lon_col,
        lat_col=lat_col,
        time_col=time_col,
        id_col=id_col,
        units=units,
        on_invalid=on_invalid,
        date_format=date_format,
        dayfirst=dayfirst,
        sheet=sheet,
    )
    frame = gdf.copy()
    placec = place_col or _find(frame, _PLACE, exclude={"id", "date"})
    topicsc = topics_col or _find(frame, _TOPICS, exclude={"id", "date"})
    place = (
        frame[placec].astype("string").astype(object)
        if placec
        else pd.Series([None] * len(frame), dtype=object)
    )
    topics = (
        frame[topicsc].astype("string").astype(object)
        if topicsc
        else pd.Series([None] * len(frame), dtype=object)
    )
    place = place.where(pd.notna(place), None)
    topics = topics.where(pd.notna(topics), None)
    att: dict[str, pd.Series] = {}
    drop = [c for c in (placec, topicsc) if c]
    for key, cands in _ATTENDANCE.items():
        col = (attendance_cols or {}).get(key) or _find(frame, cands, exclude={"id", "date", *drop})
        if col is not None and col in frame.columns:
            vals = _to_number(frame[col])
            bad = (
                (vals < 0).to_numpy()
                | (vals.notna() & (vals != np.floor(vals))).to_numpy()
                | (vals.isna().to_numpy() & _present(frame[col]))  # text such as "many"
            )
            if bad.any():
                msg = (
                    f"{table.source}: column '{col}' ({key}) must hold whole numbers of people, "
                    f"{table.rows(bad)} do not. Hint: fix the attendance counts."
                )
                raise DataError(msg)
            att[key] = vals.round().astype("Int64")
            drop.append(col)
        else:
            att[key] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    insert_at = 3
    frame.insert(insert_at, "place", place.to_numpy(dtype=object))
    frame.insert(insert_at + 1, "topics", topics.to_numpy(dtype=object))
    for i, (key, vals) in enumerate(att.items()):
        frame.insert(insert_at + 2 + i, key, vals.to_numpy())
    total = pd.DataFrame(att).sum(axis=1, min_count=1).astype("Int64")
    frame.insert(insert_at + 2 + len(att), "attendance", total.to_numpy())
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    frame.attrs.update(gdf.attrs)
    frame.attrs["dropped"] = dropped
    frame.attrs["warnings"] = warns
    return frame
