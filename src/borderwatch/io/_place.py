"""Are the points in the study area, and are longitude and latitude the right way round?

Near the equator both orders can be in range: around Lake Chad latitudes and
longitudes both lie between 7 and 16, so a file with the two columns
exchanged lands inside the study area and still looks plausible.
:func:`check_place` compares the points as given with the points swapped,
by the share that falls inside the units and, when the rows carry their own
country, by the share whose unit lies in that country. When the swapped
reading is far better it refuses the file (the word *swap* and the fix are
in the message); ``swap_check=False`` turns this off for data that are right.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._crs import WGS84, require_crs
from .._errors import DataError
from .._geom import DEGREE_GRID, robust_union
from ._table import Table, line_text

__all__ = ["MIN_COUNTRY_ROWS", "SWAP_MARGIN", "Ahead", "Placed", "check_place"]

#: How much better (share of points) the swapped reading must be to refuse the file.
SWAP_MARGIN = 0.3
#: Rows with their own country needed before country agreement is compared.
MIN_COUNTRY_ROWS = 10


@dataclass(frozen=True)
class Placed:
    """Shares of points inside the units and in their own country, as given and swapped."""

    inside: np.ndarray
    # None when not tested: a longitude beyond 90 degrees, or at most SWAP_MARGIN of the
    # points outside the area (exchanged, they could not fit it by SWAP_MARGIN more)
    inside_swapped: np.ndarray | None
    agree: float | None = None
    agree_swapped: float | None = None
    n_country: int = 0


class Ahead:
    """:func:`check_place`'s test of which points lie in the units' area, started now in a
    thread (the units' union and :func:`shapely.contains_xy` release the GIL) while the
    reader goes on; the check takes it with the same coordinates. The units are checked
    there too, so that a problem with them (no CRS) is raised by the check, where it was
    raised without this thread: after the reader's own errors and warnings."""

    def __init__(self, units: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> None:
        self.lon, self.lat = lon, lat
        pool = ThreadPoolExecutor(1)
        self._found = pool.submit(_units_inside, units, lon, lat)
        pool.shutdown(wait=False)  # the thread ends with its one task

    def result(self) -> tuple[gpd.GeoDataFrame, shapely.Geometry, np.ndarray]:
        """The units in degrees, their area and whether each point lies in it."""
        return self._found.result()


def _units_inside(
    units: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray
) -> tuple[gpd.GeoDataFrame, shapely.Geometry, np.ndarray]:
    u = _in_degrees(units)
    return (u, *_inside(u, lon, lat))


def check_place(
    points: gpd.GeoDataFrame,
    table: Table,
    kind: str,
    units: gpd.GeoDataFrame,
    *,
    names: tuple[str, str],
    options: tuple[str, str],
    reported: pd.Series | None = None,
    swap_check: bool = True,
    ahead: Ahead | None = None,
) -> Placed:
    """Raise :class:`DataError` when most points fall outside the units, or when swapping
    longitude and latitude would fit the units (or the rows' own countries) far better.

    ``names`` are the longitude and latitude columns, ``options`` the settings
    that name them (for the hint), ``reported`` the ISO3 country of each row; ``ahead``
    the area test of the same units and of the points' own coordinates, started before.
    """
    found = None
    if ahead is not None and len(ahead.lon) == len(points):  # the same points' numbers
        u, area, inside = ahead.result()
        lon, lat, found = ahead.lon, ahead.lat, (area, inside)
    else:
        u = _in_degrees(units)
        lon = np.asarray(shapely.get_x(points.geometry.array), dtype=float)
        lat = np.asarray(shapely.get_y(points.geometry.array), dtype=float)
    placed = _place(u, lon, lat, reported, found=found)
    if swap_check:
        _refuse_swapped(placed, table, kind, names=names, options=options)
    share_out = 1.0 - float(placed.inside.mean()) if len(lon) else 0.0
    if share_out > 0.5:
        outside = ~placed.inside
        bounds = ", ".join(f"{b:.2f}" for b in u.total_bounds)
        msg = (
            f"{table.source}: {int(outside.sum())} of {len(lon)} {kind} ({share_out:.0%}) fall outside "
            f"the study area of the units (lon/lat bounds {bounds}) "
            f"({line_text(table.lines[outside], table.is_file)}). Hint: check that the {kind} and the "
            f"units cover the same region, that '{names[0]}'/'{names[1]}' hold decimal degrees (not "
            "projected metres), and that the right units file was given."
        )
        raise DataError(msg)
    return placed


def _in_degrees(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    require_crs(units, what="units")
    return units.to_crs(WGS84) if not CRS(units.crs).equals(WGS84) else units


def _inside(
    units: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray
) -> tuple[shapely.Geometry, np.ndarray]:
    """The units' area (simplified, a tenth of a degree wider) and which points lie in it."""
    area = robust_union(
        shapely.buffer(shapely.simplify(units.geometry.array, 0.01), 0.1), grid_size=DEGREE_GRID
    )
    shapely.prepare(area)
    return area, np.asarray(shapely.contains_xy(area, lon, lat), dtype=bool)


def _place(
    units: gpd.GeoDataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    reported: pd.Series | None,
    *,
    found: tuple[shapely.Geometry, np.ndarray] | None = None,
) -> Placed:
    area, inside = found if found is not None else _inside(units, lon, lat)
    if len(lon) == 0 or not np.all(np.abs(lon) <= 90):
        return Placed(inside, None)
    inside_sw = None  # exchanged, they can fit the area by SWAP_MARGIN more only if so many miss it
    if float(inside.mean()) <= 1.0 - SWAP_MARGIN + 1e-9:
        inside_sw = np.asarray(shapely.contains_xy(area, lat, lon), dtype=bool)
    if reported is None:
        return Placed(inside, inside_sw)
    own = pd.Series(reported).reset_index(drop=True).to_numpy(dtype=object)
    has = pd.notna(own)
    if int(has.sum()) < MIN_COUNTRY_ROWS:
        return Placed(inside, inside_sw)
    agree = float((_unit_country(units, lon[has], lat[has]) == own[has]).mean())
    agree_sw = float((_unit_country(units, lat[has], lon[has]) == own[has]).mean())
    return Placed(inside, inside_sw, agree, agree_sw, int(has.sum()))


def _unit_country(units: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The country of the unit each point falls in (None outside every unit)."""
    pts = shapely.points(x, y)
    idx_pt, idx_unit = units.sindex.query(pts, predicate="intersects")
    out = np.full(len(x), None, dtype=object)
    countries = units["country"].to_numpy(dtype=object)
    out[idx_pt[::-1]] = countries[idx_unit[::-1]]  # the first match wins
    return out


def _refuse_swapped(
    p: Placed, table: Table, kind: str, *, names: tuple[str, str], options: tuple[str, str]
) -> None:
    n = len(p.inside)
    given_in = float(p.inside.mean()) if n else 0.0
    # no exchanged test: at most SWAP_MARGIN of the points miss the area, or they cannot be
    # exchanged (a longitude beyond 90 degrees; then neither test was made)
    swapped_in = float(p.inside_swapped.mean()) if p.inside_swapped is not None else 0.0
    by_area = swapped_in - given_in >= SWAP_MARGIN and swapped_in > 0.5
    by_country = (
        p.agree is not None
        and p.agree_swapped is not None
        and p.agree_swapped - p.agree >= SWAP_MARGIN
        and p.agree_swapped >= 0.6
    )
    if not (by_area or by_country):
        return
    lon_name, lat_name = names
    if by_area and p.inside_swapped is not None:
        moved = p.inside_swapped & ~p.inside
        evidence = (
            f"{int((~p.inside).sum())} of {n} {kind} fall outside the units, but "
            f"{int(p.inside_swapped.sum())} fall inside when columns '{lon_name}' and '{lat_name}' "
            f"are exchanged ({line_text(table.lines[moved], table.is_file)})"
        )
    else:
        evidence = (
            f"only {p.agree:.0%} of the {p.n_country:,} {kind} with their own country fall in a unit "
            f"of that country, but {p.agree_swapped:.0%} do when columns '{lon_name}' and "
            f"'{lat_name}' are exchanged"
        )
    if lon_name.startswith("geometry"):
        fix = "re-export the points with x = longitude and y = latitude"
    else:
        fix = f"swap them with [[{options[0]}={lat_name}]] [[{options[1]}={lon_name}]]"
    msg = (
        f"{table.source}: latitude and longitude look swapped: {evidence}. Hint: {fix}; if the "
        "coordinates are right, turn this check off with [[swap_check=False]]."
    )
    raise DataError(msg)
