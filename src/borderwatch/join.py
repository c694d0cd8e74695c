"""Joining points to administrative units on both sides of a border, and counting them."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._coded import taken
from ._countries import remember_border_km
from ._crs import WGS84, require_crs, study_crs
from ._errors import BorderwatchWarning, DataError, format_rows
from ._geom import gc_paused, projected, remember_projection, remembered_lonlat, xy_to_crs
from ._memo import active, forget_on_exit
from ._schema import TAXONOMY
from ._stacks import first_rows, same_points
from .borders import border_lines, distance_to_border

__all__ = ["JOIN_STATUSES", "aggregate_counts", "join_summary", "join_units", "unit_counts"]

JOIN_STATUSES = ("within", "snapped", "outside")
"""The values of the ``join`` column."""


def join_units(
    points: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    tolerance_km: float = 1.0,
    border: gpd.GeoDataFrame | None = None,
    crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Join points (incidents or meetings) to the administrative units.

    Parameters
    ----------
    points : GeoDataFrame
        Points with a CRS, e.g. from :func:`borderwatch.read_incidents`.
    units : GeoDataFrame
        Units from :func:`borderwatch.read_units` (``unit_id``, ``name``, ``country``).
    tolerance_km : float, default 1.0
        Points outside every unit but within this distance of one (a gap or
        sliver between two countries' files, a river border, just off the
        coast) are *snapped* to the nearest unit.
    border : GeoDataFrame, optional
        International border lines (:func:`borderwatch.border_lines`); computed
        from ``units`` when omitted.
    crs : CRS, optional
        Metric CRS for distances; :func:`borderwatch.study_crs` of the units by default.

    Returns
    -------
    GeoDataFrame
        A copy of ``points`` with ``unit_id``, ``unit_name``, ``country``,
        ``join`` (``"within"``, ``"snapped"`` or ``"outside"``), ``border_km``
        (distance to the nearest international border, km) and, when the
        points carry their own country (``reported_country``),
        ``country_mismatch`` (True where it differs from the unit's country;
        the unit's country is *not* overwritten). :func:`join_summary`
        counts the statuses.

    Notes
    -----
    A point on the shared edge of two units (or inside an overlap) belongs to
    the unit with the smallest ``unit_id``, so the result does not depend on
    row order. The join is vectorised: points are tested against each unit's
    prepared polygon with :func:`shapely.contains_xy` (boundary included), and
    the rest go through an STR-tree nearest query.

    Examples
    --------
    >>> import pandas as pd
    >>> from borderwatch import read_incidents, read_units
    >>> from borderwatch.datasets import boundary_path
    >>> units = read_units(boundary_path("liptako_gourma"))
    >>> inc = read_incidents(pd.DataFrame({"lon": [1.45, 2.11], "lat": [14.21, 13.51]}))
    >>> join_units(inc, units)[["country", "join"]].to_dict("list")
    {'country': ['NER', 'NER'], 'join': ['within', 'within']}
    """
    out, measured = join_later(
        points, units, tolerance_km=tolerance_km, border=border, crs=crs, stacklevel=3
    )
    measured()
    return out


def join_later(
    points: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    tolerance_km: float = 1.0,
    border: gpd.GeoDataFrame | None = None,
    crs: CRS | str | None = None,
    stacklevel: int = 2,
) -> tuple[gpd.GeoDataFrame, Callable[[], None]]:
    """:func:`join_units` whose ``border_km`` is still being measured, in a thread (the
    exact distances of :func:`~borderwatch.borders.distance_to_border`, compiled, without
    the GIL): the column holds NaN until ``measured()`` waits for the distances and
    writes them in. The pipeline grids the incidents meanwhile.

    >>> import pandas as pd
    >>> from borderwatch import read_incidents, read_units
    >>> from borderwatch.datasets import boundary_path
    >>> units = read_units(boundary_path("liptako_gourma"))
    >>> inc = read_incidents(pd.DataFrame({"lon": [1.45, 2.11], "lat": [14.21, 13.51]}))
    >>> out, measured = join_later(inc, units)
    >>> measured()
    >>> bool(out["border_km"].notna().all())
    True
    """
    _check_join_inputs(points, units, tolerance_km)
    metric = CRS(crs) if crs is not None else study_crs(units)
    if border is None:
        border = border_lines(units, crs=metric)
    # order units by id so that ties are broken by the smallest unit_id
    order = np.argsort(units["unit_id"].astype(str).to_numpy(), kind="stable")
    u = units.iloc[order].reset_index(drop=True)
    geoms = np.asarray(u.to_crs(metric).geometry.array)
    at = _located(points.geometry, metric)
    beside = ThreadPoolExecutor(1)
    far = beside.submit(distance_to_border, at.metric, border, crs=metric)
    beside.shutdown(wait=False)  # the thread ends with its one task
    x, y = at.xy  # the locations' metric coordinates, read once for the steps below
    assigned = _within(geoms, x, y)
    how = np.where(assigned >= 0, 0, 1).astype(np.int8)  # within, outside; 2: snapped
    snapped, nearest = _snap(geoms, at.metric, x, y, assigned, tolerance_km=tolerance_km)
    assigned[snapped] = nearest
    how[snapped] = 2
    assigned, how = at.spread(assigned), at.spread(how)
    status = np.array(["within", "outside", "snapped"], dtype=object)[how]
    pm = at.every_row(points.geometry)

    out = points.copy()
    remember_projection(out.geometry, pm)
    at.remember_xy(out.geometry.array, metric)  # for the clusters, density, regions, evaluation
    for col, src in (("unit_id", "unit_id"), ("unit_name", "name"), ("country", "country")):
        # None for no unit, else the unit's value
        out[col] = taken(np.r_[None, u[src].to_numpy(dtype=object)], assigned + 1, out.index)
    out["join"] = taken(np.array(["within", "outside", "snapped"], dtype=object), how, out.index)
    out["border_km"] = np.nan  # in its place; measured() writes the distances
    if "reported_country" in out.columns:
        rep = out["reported_country"]
        out["country_mismatch"] = (
            rep.notna() & out["country"].notna() & (rep != out["country"])
        ).astype(bool)
    _warn_unjoined(points, status, tolerance_km, stacklevel + 1, nowhere=at.nowhere)

    def measured() -> None:
        km = at.spread(far.result())
        out["border_km"] = km
        remember_border_km(out.geometry.array, border, metric, km)

    return out, measured


def _warn_unjoined(
    points: gpd.GeoDataFrame,
    status: np.ndarray,
    tolerance_km: float,
    stacklevel: int,
    *,
    nowhere: int,
) -> None:
    """Warn about the points outside every unit and the ``nowhere`` without a location."""
    n_out = int((status == "outside").sum()) - nowhere
    if n_out:
        warnings.warn(
            f"{n_out} of {len(points)} points fall outside every unit (beyond {tolerance_km} km); "
            "they keep join='outside' and no unit.",
            BorderwatchWarning,
            stacklevel=stacklevel,
        )
    if nowhere:
        warnings.warn(
            f"{nowhere} of {len(points)} points have no location (missing, empty, NaN or infinite "
            "coordinates); they keep join='outside' and no unit. Hint: read the points with "
            "borderwatch.read_incidents(), which names such rows.",
            BorderwatchWarning,
            stacklevel=stacklevel,
        )


@dataclass(frozen=True)
class _Locations:
    """The distinct locations of some points, reprojected, and how to spread per-location
    results back to the points.

    Every step of the join (point in unit, snapping, border distance) depends on a point's
    coordinates only, so it runs once per location (rows with the same coordinates, bit for
    bit; rows with a missing coordinate each on their own) and gives every row what the
    direct computation gives it.
    """

    metric: gpd.GeoSeries  # the locations' points in the metric CRS
    where: np.ndarray | None  # each row's location (None: every row is its own location)
    nowhere: int  # rows without a location (missing, empty, NaN or infinite coordinates)

    @classmethod
    def of(cls, geo: gpd.GeoSeries, crs: CRS) -> _Locations:
        """The locations of the points ``geo`` and their projection to ``crs``."""
        arr = geo.array
        known = (
            remembered_lonlat(arr) if geo.crs is not None and CRS(geo.crs).equals(WGS84) else None
        )
        if known is not None:  # finite points a reader made of these numbers
            x, y = known
            point = np.ones(len(arr), dtype=bool)
        else:
            x, y = np.full(len(arr), np.nan), np.full(len(arr), np.nan)
            point = (shapely.get_type_id(arr) == 0) & ~shapely.is_empty(arr)
            x[point], y[point] = shapely.get_x(arr[point]), shapely.get_y(arr[point])
        rows, where = same_points(x, y)  # other geometries and NaN coordinates: on their own
        nowhere = int((~(np.isfinite(x) & np.isfinite(y))).sum())
        if len(rows) > _DISTINCT_SHARE * len(geo):  # nearly all distinct: no gain
            return cls(projected(geo, crs), None, nowhere)
        sub = gpd.GeoSeries(arr[rows], crs=geo.crs)
        if CRS(geo.crs).equals(crs):
            return cls(sub, where, nowhere)
        xs, ys = x[rows], y[rows]
        if (point[rows] & np.isfinite(xs) & np.isfinite(ys) & ~shapely.has_z(arr[rows])).all():
            # every location a plain point: project its coordinates (the same bits as to_crs)
            mx, my = xy_to_crs(xs, ys, source=geo.crs, target=crs)
            with gc_paused():
                metric = gpd.GeoSeries(shapely.points(mx, my), crs=crs)
            return cls(metric, where, nowhere, projected_xy=(mx, my))
        return cls(sub.to_crs(crs), where, nowhere)

    #: The locations' metric x and y when they were projected as numbers (the points' own)
    projected_xy: tuple[np.ndarray, np.ndarray] | None = None

    @cached_property
    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """The x and y of the locations in the metric CRS (NaN for those without one)."""
        if self.projected_xy is not None:  # the numbers the points were made of
            return self.projected_xy
        return _point_xy(self.metric.array)

    def remember_xy(self, array: Any, crs: CRS) -> None:
        """Record the metric coordinates of the rows whose points are ``array``
        (:func:`borderwatch._inputs.remember_xy`), read once per location: the numbers
        :func:`borderwatch._inputs.metric_xy` reads from the rows' projected points. Not
        when a location is another geometry (metric_xy refuses those; the join refuses
        them first)."""
        from ._inputs import remember_xy

        kind = shapely.get_type_id(self.metric.array)
        if not ((kind == 0) | (kind == -1)).all():
            return
        xy = np.column_stack(self.xy)
        xy[~np.isfinite(xy).all(axis=1)] = np.nan
        remember_xy(array, crs, self.spread(xy))

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Per-location values -> per-row values."""
        return values if self.where is None else values[self.where]

    def every_row(self, geo: gpd.GeoSeries) -> gpd.GeoSeries:
        """The rows' points in the metric CRS (index of ``geo``)."""
        if self.where is None:
            return self.metric
        arr = self.metric.array[self.where]
        return gpd.GeoSeries(arr, index=geo.index, crs=self.metric.crs, name=geo.name)


#: Locations are used instead of rows when there are at most this share of them.
_DISTINCT_SHARE = 0.95

#: The locations found ahead of the join (:func:`locate_ahead`): (source array, CRS, locations).
_AHEAD: list[tuple[weakref.ref[Any], str, _Locations]] = []
forget_on_exit(_AHEAD.clear)


def locate_ahead(geo: gpd.GeoSeries, crs: CRS) -> None:
    """Find the distinct locations of the points ``geo`` and their projection to ``crs``
    now, for the join of this run to take (:func:`join_later`): the pipeline does it while
    the border lines are found in a thread. Remembered inside a run only
    (:func:`borderwatch._memo.remembering`), for the last points given; outside, nothing.

    >>> import geopandas as gpd
    >>> from borderwatch._memo import remembering
    >>> pts = gpd.GeoSeries(gpd.points_from_xy([1.0, 1.0], [14.0, 14.0]), crs=4326)
    >>> with remembering():
    ...     locate_ahead(pts, CRS(3857))
    ...     len(_located(pts, CRS(3857)).metric)
    1
    """
    if active():
        _AHEAD[:] = [(weakref.ref(geo.array), CRS(crs).to_wkt(), _Locations.of(geo, crs))]


def _located(geo: gpd.GeoSeries, crs: CRS) -> _Locations:
    """The locations :func:`locate_ahead` found for ``geo`` and ``crs``, else found now."""
    key = CRS(crs).to_wkt()
    for ref, k, at in _AHEAD if active() else ():
        if ref() is geo.array and k == key:
            return at
    return _Locations.of(geo, crs)


def _check_join_inputs(
    points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, tolerance_km: float
) -> None:
    require_crs(points, what="points")
    require_crs(units, what="units")
    kind = shapely.get_type_id(points.geometry.array)
    other = np.flatnonzero((kind != 0) & (kind != -1))  # neither a point nor missing
    if len(other):
        first = points.geometry.array[other[0]].geom_type
        msg = (
            f"join_units: only points can be joined; other geometry types at "
            f"{format_rows(other + 1)} (first: {first}). Hint: take centroids first, e.g. "
            "gdf.set_geometry(gdf.centroid)."
        )
        raise DataError(msg)
    for col in ("unit_id", "name", "country"):
        if col not in units.columns:
            msg = f"join_units: the units have no '{col}' column. Hint: read them with borderwatch.read_units()."
            raise DataError(msg)
    if tolerance_km < 0:
        msg = f"join_units: tolerance_km must be >= 0, not {tolerance_km}."
        raise DataError(msg)


def _point_xy(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """The x and y of points, NaN for missing and empty ones (GEOS refuses the x of an
    empty point)."""
    g = np.asarray(arr, dtype=object)
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
    if ok.all():
        return shapely.get_x(g), shapely.get_y(g)
    x, y = np.full(len(g), np.nan), np.full(len(g), np.nan)
    x[ok], y[ok] = shapely.get_x(g[ok]), shapely.get_y(g[ok])
    return x, y


def _within(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the first unit (in ``geoms`` order) containing each point, boundary
    included; -1 for points in no unit and for missing points.

    The points are sorted by x once; each unit then looks only at the run of points
    within its bounding box's x range (two binary searches), not at every point.
    """
    order = np.argsort(x, kind="stable")  # NaN last; -inf and inf outside every box
    xs, ys = x[order], y[order]
    got = np.full(len(x), -1, dtype=np.int64)  # in the sorted order
    bounds = shapely.bounds(geoms)
    for i, g in enumerate(geoms):  # a loop over units (tens to thousands)
        minx, miny, maxx, maxy = bounds[i]
        lo, hi = np.searchsorted(xs, minx, side="left"), np.searchsorted(xs, maxx, side="right")
        if hi <= lo:
            continue
        yy = ys[lo:hi]
        idx = lo + np.flatnonzero((yy >= miny) & (yy <= maxy) & (got[lo:hi] < 0))  # NaN: none
        if not len(idx):
            continue
        shapely.prepare(g)
        got[idx[shapely.intersects_xy(g, xs[idx], ys[idx])]] = i
    assigned = np.empty_like(got)
    assigned[order] = got
    return assigned


def _snap(
    geoms: np.ndarray,
    pm: gpd.GeoSeries,
    x: np.ndarray,
    y: np.ndarray,
    assigned: np.ndarray,
    *,
    tolerance_km: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Points ``pm`` (at ``x``, ``y``) in no unit but within the tolerance of one: their
    positions and the index of the nearest unit (ties in distance go to the first unit in
    ``geoms`` order)."""
    rest = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & (assigned < 0))
    none = np.zeros(0, dtype=np.int64)
    if not len(rest) or tolerance_km <= 0:
        return none, none
    tree = shapely.STRtree(geoms)
    qi, dist = tree.query_nearest(
        pm.array[rest],
        max_distance=tolerance_km * 1000.0,
        return_distance=True,
        all_matches=True,
    )
    if not len(dist):
        return none, none
    pairs = pd.DataFrame({"p": qi[0], "u": qi[1], "d": dist}).sort_values(
        ["p", "d", "u"], kind="stable"
    )
    best = pairs.drop_duplicates("p", keep="first")
    return rest[best["p"].to_numpy()], best["u"].to_numpy()


def join_summary(joined: pd.DataFrame) -> dict[str, int]:
    """Counts of ``join`` statuses, plus ``country_mismatch`` when present.

    Examples
    --------
    >>> join_summary(pd.DataFrame({"join": ["within", "snapped", "within"]}))
    {'within': 2, 'snapped': 1, 'outside': 0}
    """
    counts = joined["join"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in JOIN_STATUSES}
    if "country_mismatch" in joined.columns:
        out["country_mismatch"] = int(joined["country_mismatch"].sum())
    return out


Period = Literal["week", "month", "year"]
_FREQ = {"week": "W-SUN", "month": "M", "year": "Y"}


def aggregate_counts(
    joined: pd.DataFrame,
    *,
    period: Period | None = "month",
    by: tuple[str, ...] = ("unit_id", "category"),
) -> pd.DataFrame:
    """Count incidents per unit × category × period.

    Parameters
    ----------
    joined : DataFrame
        Output of :func:`join_units`.
    period : {"week", "month", "year"} or None
        Time bin; ``None`` counts over the whole span. Incidents without a date
        are counted in a period of NaT. Weeks start on Monday.
    by : tuple of str
        Grouping columns before the period.

    Returns
    -------
    DataFrame
        ``by`` columns, ``period`` (the start of the bin, a Timestamp) when
        ``period`` is given, and ``count``. Points outside every unit are
        counted under a missing ``unit_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit_id": ["A", "A", "B"], "category": ["x", "x", "y"],
    ...                    "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-01"])})
    >>> aggregate_counts(df, period="month").to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'unit_id': ['A', 'B'], 'category': ['x', 'y'],
     'period': [Timestamp('2024-01-01 00:00:00'), Timestamp('2024-02-01 00:00:00')], 'count': [2, 1]}
    """
    missing = [c for c in by if c not in joined.columns]
    if missing:
        msg = f"aggregate_counts: missing columns {', '.join(missing)}. Hint: join the incidents to units first."
        raise DataError(msg)
    if period is not None and period not in _FREQ:
        msg = f"aggregate_counts: period must be one of week, month, year or None, not {period!r}."
        raise DataError(msg)
    if period is not None and "date" not in joined.columns:
        msg = "aggregate_counts: no 'date' column to bin by period. Hint: pass period=None."
        raise DataError(msg)
    rows, weight = _distinct_keys(joined, by, period)
    some = joined.iloc[rows] if rows is not None else joined
    frame = pd.DataFrame({c: some[c].to_numpy() for c in by})
    keys = list(by)
    if period is not None:
        d = pd.to_datetime(some["date"])
        frame["period"] = d.dt.to_period(_FREQ[period]).dt.start_time.to_numpy()
        keys.append("period")
    if weight is None:
        out = frame.groupby(keys, dropna=False, sort=True).size().rename("count").reset_index()
    else:
        frame["count"] = weight
        out = frame.groupby(keys, dropna=False, sort=True)["count"].sum().reset_index()
    out["count"] = out["count"].astype(int)
    return out


def _distinct_keys(
    joined: pd.DataFrame, by: tuple[str, ...], period: Period | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The first row of each distinct combination of the ``by`` columns and the date, and
    its number of rows; (None, None) when the dates are not datetimes (then every row is
    grouped, as text dates are parsed together).

    Rows that agree on every ``by`` value (equal to the grouping's hash tables) and on
    the date fall in one group of :func:`aggregate_counts`, so grouping these first rows
    with their row counts as weights gives the same table, with far fewer rows to convert.
    """
    cols = [joined[c] for c in by]
    if period is not None:
        if not pd.api.types.is_datetime64_any_dtype(joined["date"].dtype):
            return None, None
        cols.append(joined["date"])
    key = np.zeros(len(joined), dtype=np.int64)
    for col in cols:
        codes, uniq = pd.factorize(col, use_na_sentinel=True)
        key, _ = pd.factorize(key * (len(uniq) + 1) + (codes.astype(np.int64) + 1))
        key = key.astype(np.int64)
    return first_rows(key), np.bincount(key, minlength=int(key.max(initial=-1)) + 1)


def unit_counts(
    joined: pd.DataFrame, units: gpd.GeoDataFrame, *, categories: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Units with their incident counts: ``incidents`` and one column per category.

    Every unit is present, zeros included. ``categories`` fixes the category
    columns (default: the categories present, in taxonomy order).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"unit_id": ["A", "B"], "name": ["a", "b"], "country": ["MLI", "NER"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> joined = pd.DataFrame({"unit_id": ["A", "A"], "category": ["iccs05_property", "iccs02_harm"]})
    >>> unit_counts(joined, units)[["unit_id", "incidents", "iccs02_harm", "iccs05_property"]].values.tolist()
    [['A', 2, 1, 1], ['B', 0, 0, 0]]
    """
    cats = categories
    if cats is None:
        present = set(joined["category"].dropna().unique()) if "category" in joined else set()
        cats = [c for c in TAXONOMY if c in present] + sorted(present - set(TAXONOMY))
    base = units[["unit_id", "name", "country", units.geometry.name]].copy()
    total, table = _unit_tables(joined, bool(cats))
    base["incidents"] = base["unit_id"].map(total).fillna(0).astype(int)
    if cats:
        for c in cats:
            col = table[c] if c in table.columns else pd.Series(dtype=int)
            base[c] = base["unit_id"].map(col).fillna(0).astype(int)
    cols = ["unit_id", "name", "country", "incidents", *cats, units.geometry.name]
    return gpd.GeoDataFrame(base[cols], geometry=units.geometry.name, crs=units.crs)


def _unit_tables(joined: pd.DataFrame, by_category: bool) -> tuple[pd.Series, pd.DataFrame]:
    """Incidents per unit, and per unit x category (without copying the joined rows)."""
    uid = joined["unit_id"] if len(joined) else pd.Series(dtype=object)
    has = uid.notna().to_numpy()
    units, names = pd.factorize(uid[has])
    total = pd.Series(np.bincount(units, minlength=len(names)), index=names, dtype=int)
    if not by_category or not has.any():
        return total, pd.DataFrame()
    cats, cat_names = pd.factorize(joined["category"][has])
    ok = cats >= 0  # a missing category is left out, as in a cross-tabulation
    cells = np.bincount(
        units[ok] * len(cat_names) + cats[ok], minlength=len(names) * len(cat_names)
    ).reshape(len(names), len(cat_names))
    return total, pd.DataFrame(cells, index=names, columns=cat_names)
