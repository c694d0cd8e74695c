"""Reading administrative units (polygons with an id, a name and a country)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._crs import WGS84, require_crs
from .._errors import DataError
from ._columns import UNIT_COUNTRY, UNIT_ID, UNIT_NAME, find, norm_col, require_column
from ._loaded import Loaded, warn
from ._parquet import NamedTable
from ._table import Source, Table, load_table, read_layer
from .countries import to_iso3

__all__ = ["load_units", "read_units"]

_POLYGON_TYPES = [3, 6]  # shapely type ids of Polygon, MultiPolygon


@dataclass(frozen=True)
class _UnitColumns:
    """The input columns of the unit id, name and country (None where absent)."""

    unit_id: str | None
    name: str | None
    country: str


def load_units(
    source: Source,
    *,
    id_col: str | None = None,
    name_col: str | None = None,
    country_col: str | None = None,
    layer: str | int | None = None,
) -> Loaded:
    """Read administrative units, with what was detected and repaired.

    Takes the same arguments as :func:`read_units`, whose frame is
    ``load_units(...).frame``. ``columns`` holds the input columns used for
    ``unit_id``, ``name`` and ``country``; ``repaired`` counts the geometries
    repaired with ``make_valid``; ``warnings`` the warnings emitted.

    Examples
    --------
    >>> from borderwatch.datasets import boundary_path
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     loaded = load_units(boundary_path("liptako_gourma"))
    >>> loaded.columns, loaded.repaired
    ({'unit_id': 'hasc', 'name': 'name', 'country': 'adm0_iso3'}, 0)
    >>> loaded.warnings[0].split(": ", 1)[1][:40]
    "the detected id column 'hasc' repeats 1 "
    """
    sink: list[str] = []
    table = _open_units(source, layer)
    _check_geometries(table)
    cols = _unit_columns(table, id_col=id_col, name_col=name_col, country_col=country_col)
    gdf = table.frame
    country = _countries(table, cols.country)
    unit_id = _unit_ids(
        table, cols.unit_id, explicit=id_col is not None, country=country, sink=sink
    )
    name = unit_id.copy()
    if cols.name is not None:
        name = gdf[cols.name].astype("string").where(gdf[cols.name].notna(), unit_id).astype(str)
    geoms, repaired = _repair(table, sink)
    out = gpd.GeoDataFrame(
        {
            "unit_id": unit_id.to_numpy(dtype=object),
            "name": name.to_numpy(dtype=object),
            "country": country.to_numpy(dtype=object),
        },
        geometry=geoms.to_numpy(),
        crs=gdf.crs,
    )
    used = {c for c in (cols.unit_id, cols.name, cols.country) if c}
    for col in gdf.columns:
        if col not in used and col != gdf.geometry.name and col not in out.columns:
            out[col] = gdf[col].to_numpy()
    if not CRS(out.crs).equals(WGS84):
        out = out.to_crs(WGS84)
    return Loaded(
        frame=out,
        source=table.source,
        columns={"unit_id": cols.unit_id, "name": cols.name, "country": cols.country},
        repaired=repaired,
        notes=tuple(table.notes),
        warnings=tuple(sink),
    )


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
        (polygons, EPSG:4326), then the other input columns. :func:`load_units`
        returns it with the detected columns and the repairs.

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
    return load_units(
        source, id_col=id_col, name_col=name_col, country_col=country_col, layer=layer
    ).frame


# -- steps ----------------------------------------------------------------------------------


def _open_units(source: Source, layer: str | int | None) -> Table:
    """The units as a table whose frame is a GeoDataFrame with features."""
    if isinstance(source, gpd.GeoDataFrame):
        table = Table(
            source.copy().reset_index(drop=True),
            "<GeoDataFrame>",
            np.asarray(source.index.astype(str)),
            is_file=False,
        )
    elif isinstance(source, pd.DataFrame | NamedTable):
        msg = "<DataFrame>: units must be a GeoDataFrame with polygon geometries. Hint: use geopandas."
        raise DataError(msg)
    else:
        path = Path(source)
        if path.exists() and path.is_file() and path.stat().st_size > 0 and layer is not None:
            table = read_layer(path, layer)
        else:
            table = load_table(source, what="units")
    gdf = table.frame
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        msg = (
            f"{table.source}: the units have no geometry column. Hint: units must be a vector file "
            "(GeoJSON, GeoPackage, Shapefile, GeoParquet) with polygons, not a plain table."
        )
        raise DataError(msg)
    if len(gdf) == 0:
        msg = f"{table.source}: the units file holds no features. Hint: check the layer and the export."
        raise DataError(msg)
    return table


def _check_geometries(table: Table) -> None:
    """A CRS, and a polygon for every unit."""
    gdf = table.frame
    src = table.source
    require_crs(gdf, what="units", source=src)
    geom = gdf.geometry.array
    missing = np.asarray(shapely.is_missing(geom) | shapely.is_empty(geom))
    if missing.any():
        msg = f"{src}: {int(missing.sum())} units have no geometry ({table.rows(missing)}). Hint: remove them or fix the export."
        raise DataError(msg)
    bad = ~np.isin(np.asarray(shapely.get_type_id(geom)), _POLYGON_TYPES)
    if bad.any():
        kinds = sorted(set(np.asarray(gdf.geom_type)[bad]))
        msg = (
            f"{src}: units must be polygons, but {int(bad.sum())} features are {', '.join(kinds)} "
            f"({table.rows(bad)}). Hint: pass administrative areas (polygons), not points or lines."
        )
        raise DataError(msg)


def _unit_columns(
    table: Table, *, id_col: str | None, name_col: str | None, country_col: str | None
) -> _UnitColumns:
    """The named or detected id, name and country columns; a country column is required."""
    gdf = table.frame
    idc = id_col or find(gdf, UNIT_ID, exclude={"geometry"})
    namec = name_col or find(gdf, UNIT_NAME, exclude={"geometry"})
    countryc = country_col or find(gdf, UNIT_COUNTRY, exclude={"geometry"})
    for given, opt in (
        (id_col, "unit_id_col"),
        (name_col, "unit_name_col"),
        (country_col, "unit_country_col"),
    ):
        if given is not None:
            require_column(gdf, table.source, given, option=opt, what="unit")
    if countryc is None:
        cols = ", ".join(c for c in gdf.columns if c != "geometry")
        msg = (
            f"{table.source}: no country column found among the unit columns ({cols}). borderwatch needs the "
            "country of every unit to find international borders. Hint: name it with "
            "[[unit_country_col]], e.g. adm0_iso3."
        )
        raise DataError(msg)
    return _UnitColumns(idc, namec, countryc)


def _countries(table: Table, countryc: str) -> pd.Series:
    """ISO3 code of every unit; a missing or unknown country raises."""
    gdf = table.frame
    country = to_iso3(gdf[countryc])
    nocountry = country.isna().to_numpy()
    if nocountry.any():
        vals = sorted({str(v) for v in gdf.loc[nocountry, countryc].tolist()})[:5]
        msg = (
            f"{table.source}: column '{countryc}' has a missing or unknown country for {int(nocountry.sum())} units "
            f"({table.rows(nocountry)}; values: {', '.join(vals)}). Hint: use ISO 3166-1 alpha-3 codes "
            "(e.g. MLI, NER) or English country names."
        )
        raise DataError(msg)
    return country


def _unit_ids(
    table: Table, idc: str | None, *, explicit: bool, country: pd.Series, sink: list[str]
) -> pd.Series:
    """Unique unit ids: the id column, or ``<country>-<number>`` without one.

    Repeats of a *detected* code other than ``unit_id`` (Natural Earth's
    ``hasc`` is not always unique) are numbered with a warning; other
    duplicates raise.
    """
    gdf = table.frame
    src = table.source
    if idc is not None:
        unit_id = gdf[idc].astype(str).str.strip()
        empty_id = gdf[idc].isna().to_numpy() | (unit_id == "").to_numpy()
        if empty_id.any():
            msg = f"{src}: column '{idc}' has empty unit ids ({table.rows(empty_id)}). Hint: fill them or choose another id column with [[unit_id_col]]."
            raise DataError(msg)
    else:
        unit_id = pd.Series([f"{c}-{i:04d}" for i, c in enumerate(country)], index=gdf.index)
    dup = unit_id.duplicated(keep=False).to_numpy()
    if dup.any() and not explicit and idc is not None and norm_col(idc) != "unit_id":
        n_dup = int(unit_id.duplicated().sum())
        rank = unit_id.groupby(unit_id).cumcount()
        unit_id = unit_id.where(rank == 0, unit_id + "-" + (rank + 1).astype(str))
        example = unit_id[rank.to_numpy() > 0].iloc[0]
        warn(
            f"{src}: the detected id column '{idc}' repeats {n_dup} ids ({table.rows(dup)}); "
            f"repeats were numbered (e.g. {example}). Hint: name a unique id column with [[unit_id_col]].",
            sink,
        )
        dup = unit_id.duplicated(keep=False).to_numpy()
    if dup.any():
        dup_ids = ", ".join(sorted(set(unit_id[dup]))[:5])
        msg = (
            f"{src}: column '{idc}' has duplicate unit ids ({table.rows(dup)}; ids: {dup_ids}). "
            "Hint: each unit needs a unique id; choose a finer id column with [[unit_id_col]] "
            "(e.g. adm2_code rather than adm1_code) or dissolve the duplicates."
        )
        raise DataError(msg)
    return unit_id


def _repair(table: Table, sink: list[str]) -> tuple[gpd.GeoSeries, int]:
    """The geometries with invalid ones repaired by ``make_valid`` (kept polygonal), and their count."""
    gdf = table.frame
    geoms = gdf.geometry
    invalid = ~np.asarray(shapely.is_valid(geoms.array))
    if invalid.any():
        polys = [_polygonal(g) for g in shapely.make_valid(geoms.array[invalid])]
        arr = np.asarray(geoms.array, dtype=object).copy()
        arr[invalid] = polys
        geoms = gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs)
        warn(
            f"{table.source}: repaired {int(invalid.sum())} invalid unit geometries with make_valid.",
            sink,
        )
    return geoms, int(invalid.sum())


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a ``make_valid`` result, without the lines and points it may add."""
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if shapely.get_type_id(p) in _POLYGON_TYPES]
    flat: list[shapely.Geometry] = []
    for p in polys:
        flat.extend(shapely.get_parts(p))
    if not flat:
        return shapely.Polygon()
    return flat[0] if len(flat) == 1 else shapely.MultiPolygon(flat)
