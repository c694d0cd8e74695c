"""The public view: suppression, generalisation and masking.

Maps and files shown in a village hall must never let anyone identify a victim.
:func:`public_view` turns an internal :class:`~borderwatch._result.AnalysisResult`
into a public one, and :func:`scan_for_leaks` checks an output directory for
anything of the input incidents that should not be there. The rules, and what
they do and do not guarantee, are set out in ``docs/privacy.md``.

In short, the public view

* drops the incidents;
* suppresses counts from 1 to ``k - 1`` (shown as null, "<k" on the map), with
  secondary suppression so that no suppressed count can be worked out from a
  total, and so that whatever *can* be worked out about suppressed counts is an
  aggregate of at least ``k`` incidents;
* replaces hotspot and cluster shapes by unions of grid cells (or of squares
  of a coarse lattice) whose corners lie at least ``min_vertex_m`` (100 m)
  from every incident, and drops those with fewer than ``k`` incidents;
* masks the density surface wherever fewer than ``k`` incidents contribute;
* coarsens dates to months and removes ids, free text and names.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import math
import re
import sqlite3
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from ._crs import WGS84, study_crs
from ._errors import BorderwatchWarning, DataError
from ._result import AnalysisResult
from .clusters import CLUSTER_COLUMNS
from .regions import REGION_COLUMNS

__all__ = [
    "MIN_VERTEX_M",
    "SENSITIVE_CATEGORIES",
    "generalise_shapes",
    "public_view",
    "scan_for_leaks",
]

MIN_VERTEX_M = 100.0
"""Default minimum distance (metres) between a vertex of a public shape and any incident."""

SENSITIVE_CATEGORIES = frozenset({"iccs03_sexual"})
"""Categories that are always sensitive; others become so when one of their incidents is flagged."""

_CATEGORY_RE = re.compile(r"^iccs\d{2}_[a-z0-9_]+$")
_RATE_RE = re.compile(r"(^|_)(rate|rates|per_?100k|per_?1000|per_capita|per_?10k)($|_)")
_COUNT_NAME_RE = re.compile(r"(^n_|_count$|^count(_|$)|incident|sensitive)")
_STAT_NAME_RE = re.compile(
    r"(^(gi|moran|lisa|mk|local|g)_)|(_(z|p|p_sim|p_fdr|p_norm|zscore|tau)$)|^z_"
)
_PERSON_RE = re.compile(
    r"(^|_)(victims?|suspects?|offenders?|perpetrators?|reporters?|informants?|witness(es)?|"
    r"persons?|people|contacts?|phones?|emails?|address(es)?|"
    r"text|texts|desc|description|descriptions|notes?|comments?|narratives?|details?|"
    r"summary|raw|remarks?|examples?|ids?)($|_)"
)
_SAFE_IDS = frozenset({"unit_id", "cell_id", "hotspot_id", "cluster_id"})
_UNIT_SAFE = frozenset({"unit_id", "name", "country", "countries", "geometry", "hasc", "adm0_iso3"})
# columns of the incidents that hold controlled vocabularies, not free text
_VOCAB_COLUMNS = frozenset(
    {
        "category",
        "date_precision",
        "country",
        "reported_country",
        "unit_id",
        "unit_name",
        "join",
        "countries",
    }
)
# the public columns of each shape layer: the layer's own columns, less those that are not safe
# (the peak z-score of a region, the number of core points of a cluster can reveal small counts)
_SHAPE_COLUMNS = {
    "hotspots": (*(c for c in REGION_COLUMNS if c != "gi_z_max"), "geometry"),
    "clusters": (*(c for c in CLUSTER_COLUMNS if c != "n_core"), "geometry"),
}
_KNOWN_FIELDS = frozenset(
    {
        "counts",
        "units",
        "border",
        "crs",
        "incidents",
        "meetings",
        "cells",
        "hotspots",
        "clusters",
        "density",
        "summary",
        "view",
        "k",
        "synthetic",
        "title",
        "source",
    }
)
_SUMMARY_COUNT_KEYS = frozenset(
    {
        "join",
        "within",
        "snapped",
        "outside",
        "country_mismatch",
        "dropped",
        "by_category",
        "categories",
    }
)
_ISO_DATE_RE = re.compile(
    r"\b(\d{4}-\d{2})-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
)
_ROWS_RE = re.compile(r"\brows? (\d+(?:, \d+)*)(?: \(and (\d+) more\))?")


# ---------------------------------------------------------------------------------------------
# the public view
# ---------------------------------------------------------------------------------------------


def public_view(
    result: AnalysisResult,
    *,
    k: int = 5,
    cell_km: float | None = None,
    min_vertex_m: float = MIN_VERTEX_M,
    cell_stats: Literal["class", "keep"] = "class",
) -> AnalysisResult:
    """The public view of an analysis: safe to show in a village hall.

    Parameters
    ----------
    result : AnalysisResult
        An analysis, usually the internal view (with ``incidents``). It is not
        modified.
    k : int, default 5
        Suppression threshold: counts from 1 to ``k - 1`` are never shown, and
        shapes and density only show aggregates of at least ``k`` incidents.
    cell_km : float, optional
        How hotspot and cluster shapes are generalised. By default each shape
        becomes the union of the analysis grid cells (``cells``) it overlaps,
        so it shows no more detail than the public cells layer; a shape with a
        cell corner within ``min_vertex_m`` of an incident, or any shape when
        there are no cells, becomes the union of the squares of a lattice of
        side ``summary["cell_km"]`` (else 5 km) that it touches. Giving
        ``cell_km`` uses that lattice, of side ``cell_km`` km, for every shape.
    min_vertex_m : float, default 100
        No vertex of a generalised shape lies closer than this to an incident
        (checked when ``result.incidents`` is present).
    cell_stats : {"class", "keep"}, default "class"
        ``"class"`` keeps the class columns of the cells and units (``hotspot_kind``,
        ``hotspot_confidence``,
        ``trend_class``, ``moran_class``) and nulls their numeric statistics
        (``gi_z``, ``gi_p``, ...): Gi* z-scores are linear in the neighbourhood
        counts, and with the shown counts they give back every suppressed count
        exactly (see ``docs/privacy.md``). ``"keep"`` keeps them.

    Returns
    -------
    AnalysisResult
        A new result with ``view="public"``, ``k=k``, ``incidents=None`` and the
        layers below; layers the input did not have stay ``None``.

        * ``units``: ``incidents``, every category column and other count
          columns as nullable ``Int64``, null where suppressed; rates null where
          their count is; free text, person-like and id columns that came from
          incidents dropped (the unit's own ``name`` stays).
        * ``cells``: ``count`` suppressed; classes kept.
        * ``hotspots``, ``clusters``: only those with ``n_incidents >= k``;
          generalised geometry covering the original; only the columns of
          the contract (plus ``area_km2``, ``n_cells``, ``method``);
          ``first_date`` / ``last_date`` as ``YYYY-MM``; ``border_km`` and
          ``area_km2`` of the generalised shape.
        * ``density``: masked (NaN) where fewer than ``k`` incidents contribute.
        * ``meetings``: without ``id``.
        * ``summary``: dates as months; counts of 1 to ``k - 1`` null; incident
          ids, free text, coordinates and row numbers removed from strings;
          ``view``, ``k`` and a ``privacy`` record added.

    Notes
    -----
    Suppression follows the cell-suppression practice of official statistics
    (primary suppression of small cells, then complementary suppression so that
    no line of a table has a single suppressed cell; Hundepool et al. 2012).
    Each *line* is a set of counts with a published or derivable total: a unit's
    categories with its ``incidents``, each column of ``units`` across units,
    all ``cells``, and the cells of each hotspot region. A line is protected
    when (1) no suppressed count in it can be pinned to a single value from the
    total and the bounds ``1 <= count <= k - 1`` a reader would assume for "<k",
    and (2) the suppressed counts of a line whose total is shown add up to at
    least ``k``, so that what can be worked out (their sum) is itself an
    aggregate of ``k`` or more incidents. Sensitive categories (always
    ``iccs03_sexual``, and any category holding an incident flagged
    ``sensitive``) get this protection like every other category.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte
    Nordholt, E., Spicer, K., & de Wolf, P.-P. (2012). *Statistical Disclosure
    Control*, ch. 5 (cell suppression). Wiley.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from borderwatch._result import AnalysisResult
    >>> units = gpd.GeoDataFrame(
    ...     {"unit_id": ["a", "b", "c"], "name": ["A", "B", "C"], "country": ["MLI", "NER", "NER"],
    ...      "incidents": [12, 3, 9], "iccs03_sexual": [2, 0, 4], "iccs05_property": [10, 3, 5]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=4326)
    >>> res = AnalysisResult(units=units, border=units.iloc[:0], crs=study_crs(units))
    >>> pub = public_view(res, k=5)
    >>> pub.view, pub.incidents is None
    ('public', True)
    >>> pub.units["iccs03_sexual"].tolist()
    [<NA>, 0, <NA>]
    """
    if not isinstance(result, AnalysisResult):
        msg = (
            f"public_view expects an AnalysisResult, got {type(result).__name__}. "
            "Hint: pass the result of borderwatch.analyze()."
        )
        raise DataError(msg)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k must be a whole number >= 1 (got {k!r}). Hint: the usual threshold is k=5."
        raise DataError(msg)
    k = int(k)
    if cell_km is not None and not (np.isfinite(cell_km) and cell_km > 0):
        msg = f"cell_km must be a positive number of kilometres (got {cell_km!r})."
        raise DataError(msg)
    if not (np.isfinite(min_vertex_m) and min_vertex_m >= 0):
        msg = f"min_vertex_m must be a distance >= 0 in metres (got {min_vertex_m!r})."
        raise DataError(msg)
    if cell_stats not in ("class", "keep"):
        msg = f"cell_stats must be 'class' or 'keep' (got {cell_stats!r})."
        raise DataError(msg)

    crs = CRS(result.crs) if result.crs is not None else None
    incidents = result.incidents
    info = _IncidentInfo.from_incidents(incidents, crs=crs)

    units = _public_units(result.units, k=k, info=info, cell_stats=cell_stats)

    lattice_km = _lattice_km(result, cell_km)
    metric = crs if crs is not None and crs.is_projected else None
    if metric is None:
        metric = study_crs(result.units) if result.units is not None and len(result.units) else None

    hotspots, clusters = (
        _public_shapes(
            getattr(result, kind),
            kind=kind,
            k=k,
            lattice_km=lattice_km,
            crs=metric,
            info=info,
            border=result.border,
            min_vertex_m=min_vertex_m,
            cells=None if cell_km is not None else result.cells,
        )
        for kind in ("hotspots", "clusters")
    )
    cells = _public_cells(
        result.cells, k=k, regions=result.hotspots, info=info, cell_stats=cell_stats
    )
    density = _public_density(result.density, k=k)
    meetings = _public_meetings(result.meetings, k=k)
    counts = public_counts(result.counts, k=k) if result.counts is not None else None
    summary = _public_summary(result.summary, k=k, info=info)
    summary["view"] = "public"
    summary["k"] = k
    # counts of shapes follow the public layers (those below k are gone)
    if hotspots is not None and "n_hotspots" in summary:
        summary["n_hotspots"] = len(hotspots)
        if "n_cross_border_hotspots" in summary and "cross_border" in hotspots.columns:
            summary["n_cross_border_hotspots"] = int(hotspots["cross_border"].fillna(False).sum())
    if (
        clusters is not None
        and isinstance(summary.get("clusters"), dict)
        and "n" in summary["clusters"]
    ):
        summary["clusters"]["n"] = len(clusters)
    summary["privacy"] = {
        "k": k,
        "lattice_km": lattice_km,
        "min_vertex_m": float(min_vertex_m),
        "cell_stats": cell_stats,
    }

    extra: dict[str, Any] = {}
    for f in dataclasses.fields(result):
        if f.name in _KNOWN_FIELDS:
            continue
        value = getattr(result, f.name)
        if isinstance(value, pd.DataFrame | np.ndarray) or hasattr(value, "values"):
            msg = (
                f"public_view does not know the layer {f.name!r} and left it out of the "
                "public view. Hint: teach borderwatch.privacy how to make it safe."
            )
            warnings.warn(msg, BorderwatchWarning, stacklevel=2)
            extra[f.name] = None

    return result.replace(
        units=units,
        counts=counts,
        incidents=None,
        meetings=meetings,
        cells=cells,
        hotspots=hotspots,
        clusters=clusters,
        density=density,
        summary=summary,
        view="public",
        k=k,
        **extra,
    )


# ---------------------------------------------------------------------------------------------
# what we know about the incidents
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _IncidentInfo:
    """Ids, free text, coordinates and sensitive categories of the input incidents."""

    ids: frozenset[str] = frozenset()
    texts: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    sensitive: frozenset[str] = SENSITIVE_CATEGORIES
    lonlat: np.ndarray = dataclasses.field(default_factory=lambda: np.empty((0, 2)))
    xy: np.ndarray | None = None  # in the metric crs
    crs: CRS | None = None

    @classmethod
    def from_incidents(
        cls, incidents: gpd.GeoDataFrame | None, *, crs: CRS | None
    ) -> _IncidentInfo:
        if incidents is None or len(incidents) == 0:
            return cls()
        ids: set[str] = set()
        if "id" in incidents.columns:
            ids = {str(v) for v in incidents["id"].dropna()}
        texts = _free_text_values(incidents)
        cats: set[str] = set()
        sens = set(SENSITIVE_CATEGORIES)
        if "category" in incidents.columns:
            cats = {str(c) for c in incidents["category"].dropna()}
            if "sensitive" in incidents.columns:
                flag = incidents["sensitive"].fillna(False).astype(bool).to_numpy()
                sens |= {str(c) for c in incidents.loc[flag, "category"].dropna()}
        lonlat = np.empty((0, 2))
        xy = None
        metric = None
        if incidents.crs is not None:
            pts = incidents.geometry
            pts = pts[~(pts.isna() | pts.is_empty)]
            lonlat = shapely.get_coordinates(pts.to_crs(WGS84).values)
            metric = crs if crs is not None and crs.is_projected else study_crs(pts)
            xy = shapely.get_coordinates(pts.to_crs(metric).values)
        return cls(
            ids=frozenset(ids),
            texts=frozenset(texts),
            columns=frozenset(str(c) for c in incidents.columns),
            categories=frozenset(cats),
            sensitive=frozenset(sens),
            lonlat=lonlat,
            xy=xy,
            crs=metric,
        )


def _is_text(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_string_dtype(series.dtype)
        or series.dtype == object
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def _free_text_values(incidents: pd.DataFrame, *, min_len: int = 4) -> set[str]:
    """Distinct free-text values of the incidents (ids and vocabularies excluded)."""
    out: set[str] = set()
    geom = incidents.geometry.name if isinstance(incidents, gpd.GeoDataFrame) else None
    for col in incidents.columns:
        if col in _VOCAB_COLUMNS or col == "id" or col == geom:
            continue
        s = incidents[col]
        if not _is_text(s):
            continue
        values = pd.unique(s.dropna().astype(str))
        if len(values) == 1 and s.notna().sum() >= 5:
            continue  # one value for every incident: data-set metadata, not about an incident
        for v in values:
            v = v.strip()
            if (
                len(v) >= min_len
                and any(ch.isalpha() for ch in v)
                and not _looks_like_date(v)
                and not _CODE_RE.fullmatch(v)
            ):
                out.add(v)
    return out


_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
"""Lower-case identifiers (``background``, ``mli_ner_border``) are codes, not free text."""


def _looks_like_date(text: str) -> bool:
    return bool(re.fullmatch(r"[\d\-/:.T Z+]+", text))


# ---------------------------------------------------------------------------------------------
# suppression
# ---------------------------------------------------------------------------------------------


def _pinned(coef: np.ndarray, total: float, hi: float) -> bool:
    """Whether one suppressed value of a line can be pinned to a single value.

    The line is ``sum(coef * x) == total`` over its suppressed values ``x``
    (``coef`` is +1 for a member, -1 for a suppressed total). A reader assumes
    every suppressed value lies in ``[1, hi]`` ("<k"), or in ``[1, inf)`` when
    those bounds contradict the total.
    """
    n = coef.size
    if n == 0:
        return False
    if n == 1:
        return True
    for upper in (hi, _UNBOUNDED):
        lo = np.ones(n)
        up = np.full(n, upper)
        amin = np.where(coef > 0, coef * lo, coef * up)
        amax = np.where(coef > 0, coef * up, coef * lo)
        smin, smax = amin.sum(), amax.sum()
        if not (smin - 1e-9 <= total <= smax + 1e-9):
            continue  # the reader sees that "<k" cannot hold for all of them
        # coef_i * x_i = total - (sum of the others)
        a = total - (smax - amax)
        b = total - (smin - amin)
        xlo = np.where(coef > 0, a / coef, b / coef)
        xhi = np.where(coef > 0, b / coef, a / coef)
        xlo, xhi = np.maximum(xlo, lo), np.minimum(xhi, up)
        return bool(np.any(xhi - xlo < 0.5))
    return False


_UNBOUNDED = 1e12


def _protect(
    values: np.ndarray,
    primary: np.ndarray,
    lines: Sequence[tuple[np.ndarray, int | None]],
    *,
    k: int,
) -> np.ndarray:
    """Primary plus complementary suppression.

    Parameters
    ----------
    values : 1-D int array of all counts (0 for missing).
    primary : bool array, the primary suppressions.
    lines : (member indices, marginal index or None). The members add up to the
        marginal; ``None`` means a total that is published elsewhere.

    Returns
    -------
    bool array of suppressed values.
    """
    supp = primary.copy()
    vals = values.astype(float)
    hi = float(k - 1) if k > 1 else 0.0
    changed = True
    while changed:
        changed = False
        for members, marg in lines:
            if members.size == 0:
                continue
            s = supp[members]
            marg_supp = marg is not None and bool(supp[marg])
            if not s.any() and not marg_supp:
                continue
            shown_sum = float(vals[members][~s].sum())
            if marg is None or not marg_supp:
                total_line = float(vals[members].sum()) if marg is None else float(vals[marg])
                total = total_line - shown_sum
                bad = _pinned(np.ones(int(s.sum())), total, hi) or (0 < total < k)
            else:
                # x_S - m = -shown_sum
                coef = np.concatenate([np.ones(int(s.sum())), [-1.0]])
                bad = _pinned(coef, -shown_sum, hi)
            if not bad:
                continue
            cand = members[(~s) & (vals[members] > 0)]
            if cand.size:
                j = int(cand[np.argmin(vals[cand])])
                supp[j] = True
                changed = True
            elif marg is not None and not marg_supp and vals[marg] > 0:
                supp[marg] = True
                changed = True
            elif (~s).any():
                # last resort in tiny tables: hide a zero ("<k" is true of it)
                supp[int(members[~s][0])] = True
                changed = True
    return supp


def public_counts(counts: pd.DataFrame, *, k: int = 5) -> pd.DataFrame:
    """Suppress a long table of counts (unit × category × period) for the public view.

    Counts from 1 to k−1 become null, and further counts are hidden so that no
    hidden count can be recovered from the per-unit, per-category totals that
    the ``units`` layer publishes (every unit × category line is protected as
    if its total were published). Hidden rows are then dropped: the table
    lists no zeros either, so an absent row means "none, or hidden".

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"unit_id": ["A", "A", "A"], "category": ["x"] * 3,
    ...                   "period": ["2024-01", "2024-02", "2024-03"], "count": [9, 2, 7]})
    >>> public_counts(t, k=5)["count"].tolist()
    [9]
    """
    out = counts.copy()
    vals, missing = _as_counts(out["count"])
    primary = (vals >= 1) & (vals < k)
    keys = [c for c in ("unit_id", "category") if c in out.columns]
    lines: list[tuple[np.ndarray, int | None]] = []
    if keys:
        for idx in out.groupby(keys, dropna=False, sort=False).indices.values():
            lines.append((np.asarray(idx, dtype=np.int64), None))
    supp = _protect(vals, primary, lines, k=k)
    out["count"] = _suppressed_int(vals, missing, supp, out.index)
    # a listed row with a hidden count would still say "at least one incident of this category here
    # this month": drop hidden rows, so that an absent row means "none, or hidden"
    return out[out["count"].notna()].reset_index(drop=True)


def _as_counts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer values (0 where missing) and the missing mask of a count column."""
    num = pd.to_numeric(series, errors="coerce")
    missing = num.isna().to_numpy()
    vals = num.fillna(0).to_numpy(dtype=float)
    return np.round(vals).astype(np.int64), missing


def _suppressed_int(
    vals: np.ndarray, missing: np.ndarray, supp: np.ndarray, index: pd.Index
) -> pd.Series:
    out = pd.Series(vals, index=index, dtype="Int64")
    out[missing | supp] = pd.NA
    return out


def _public_units(
    units: gpd.GeoDataFrame | None,
    *,
    k: int,
    info: _IncidentInfo,
    cell_stats: str,
) -> gpd.GeoDataFrame | None:
    if units is None:
        return None
    out = units.copy()
    geom = out.geometry.name
    cats = [
        c
        for c in out.columns
        if isinstance(c, str) and (_CATEGORY_RE.match(c) or c in info.categories)
    ]
    cats = [c for c in cats if c not in ("category",) and c != geom and not _RATE_RE.search(c)]
    total = "incidents" if "incidents" in out.columns else None
    extra_counts = [
        c
        for c in out.columns
        if isinstance(c, str)
        and c not in cats
        and c != total
        and c != geom
        and _COUNT_NAME_RE.search(c)
        and not _RATE_RE.search(c)
        and pd.api.types.is_numeric_dtype(out[c])
        and not pd.api.types.is_bool_dtype(out[c])
    ]
    count_cols = ([total] if total else []) + cats + extra_counts
    n = len(out)
    if count_cols:
        mats = [_as_counts(out[c]) for c in count_cols]
        vals = np.concatenate([m[0] for m in mats])
        missing = np.concatenate([m[1] for m in mats])
        primary = (vals >= 1) & (vals <= k - 1) & ~missing
        pos = {c: np.arange(i * n, (i + 1) * n) for i, c in enumerate(count_cols)}
        lines: list[tuple[np.ndarray, int | None]] = []
        if total and cats:
            for r in range(n):
                members = np.array([pos[c][r] for c in cats])
                lines.append((members, int(pos[total][r])))
        for c in count_cols:
            lines.append((pos[c], None))
        supp = _protect(vals, primary, lines, k=k)
        for c in count_cols:
            out[c] = _suppressed_int(vals[pos[c]], missing[pos[c]], supp[pos[c]], out.index)
    # rates follow their counts
    for c in list(out.columns):
        if not isinstance(c, str) or c == geom or not _RATE_RE.search(c):
            continue
        src = next((cat for cat in cats if cat in c), total)
        if src is None:
            out = out.drop(columns=c)  # a rate we cannot tie to a count: not safe to show
            continue
        mask = out[src].isna().to_numpy()
        rate = pd.to_numeric(out[c], errors="coerce").astype(float)
        rate[mask] = np.nan
        out[c] = rate
    drop = _unsafe_columns(out, info=info, keep=_UNIT_SAFE | set(count_cols))
    out = out.drop(columns=drop)
    if cell_stats == "class":
        for c in out.columns:
            if (
                isinstance(c, str)
                and _STAT_NAME_RE.search(c)
                and pd.api.types.is_numeric_dtype(out[c])
            ):
                out[c] = np.nan
    return out


def _unsafe_columns(frame: pd.DataFrame, *, info: _IncidentInfo, keep: Iterable[str]) -> list[str]:
    """Columns that hold ids, free text or person data of incidents."""
    keep = set(keep)
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    drop = []
    for c in frame.columns:
        if c in keep or c == geom:
            continue
        name = str(c).lower()
        s = frame[c]
        if name in _SAFE_IDS:
            continue
        if name == "id" or name.endswith("_id") or name.endswith("_ids") or _PERSON_RE.search(name):
            drop.append(c)
            continue
        if _is_text(s):
            values = {str(v) for v in s.dropna()}
            if (
                name in {x.lower() for x in info.columns} - _VOCAB_COLUMNS
                or values & info.ids
                or values & info.texts
                or any(_CATEGORY_RE.match(v) for v in values)
            ):
                drop.append(c)
    return drop


def _public_cells(
    cells: gpd.GeoDataFrame | None,
    *,
    k: int,
    regions: gpd.GeoDataFrame | None,
    info: _IncidentInfo,
    cell_stats: str,
) -> gpd.GeoDataFrame | None:
    if cells is None:
        return None
    out = cells.copy()
    geom = out.geometry.name
    n = len(out)
    if "count" in out.columns:
        vals, missing = _as_counts(out["count"])
        primary = (vals >= 1) & (vals <= k - 1) & ~missing
        lines: list[tuple[np.ndarray, int | None]] = [(np.arange(n), None)]
        if regions is not None and len(regions) and n:
            pts = gpd.GeoDataFrame(
                {"_i": np.arange(n)},
                geometry=out.geometry.representative_point().values,
                crs=out.crs,
            )
            reg = regions[[regions.geometry.name]].reset_index(drop=True)
            if (
                reg.crs is not None
                and out.crs is not None
                and not CRS(reg.crs).equals(CRS(out.crs))
            ):
                reg = reg.to_crs(out.crs)
            reg["_r"] = np.arange(len(reg))
            hit = gpd.sjoin(pts, reg, predicate="within", how="inner")
            for _, grp in hit.groupby("_r"):
                lines.append((np.sort(grp["_i"].to_numpy()), None))
        supp = _protect(vals, primary, lines, k=k)
        out["count"] = _suppressed_int(vals, missing, supp, out.index)
    safe_float = {
        "area_km2",
        "border_km",
        "population",
        "cell_km",
        "x",
        "y",
        "x_m",
        "y_m",
        "hotspot_confidence",
    }
    for c in out.columns:
        if c in ("count", "cell_id", geom) or not isinstance(c, str):
            continue
        s = out[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        if pd.api.types.is_integer_dtype(s) and _COUNT_NAME_RE.search(c) or c.startswith("count"):
            v, m = _as_counts(s)
            out[c] = _suppressed_int(v, m, (v >= 1) & (v <= k - 1), out.index)
        elif cell_stats == "class" and c not in safe_float:
            out[c] = np.nan
    drop = _unsafe_columns(
        out,
        info=info,
        keep={"cell_id", "countries", "hotspot_kind", "trend_class", "moran_class"},
    )
    return out.drop(columns=drop)


def _public_meetings(meetings: gpd.GeoDataFrame | None, *, k: int) -> gpd.GeoDataFrame | None:
    if meetings is None:
        return None
    out = meetings.drop(
        columns=[c for c in meetings.columns if str(c).lower() in ("id", "meeting_id")]
    )
    for c in out.columns:
        if isinstance(c, str) and "incident" in c and pd.api.types.is_numeric_dtype(out[c]):
            v, m = _as_counts(out[c])
            out[c] = _suppressed_int(v, m, (v >= 1) & (v <= k - 1), out.index)
    return out


def _public_density(density: Any, *, k: int) -> Any:
    if density is None:
        return None
    support = getattr(density, "support", None)
    if support is not None and hasattr(density, "values"):
        masker = getattr(density, "masked", None) or getattr(density, "mask_below", None)
        if masker is not None:
            out = masker(k)
        else:
            vals = np.asarray(density.values, dtype=float)
            out = dataclasses.replace(
                density, values=np.where(np.asarray(support) >= k, vals, np.nan)
            )
        if dataclasses.is_dataclass(out) and not isinstance(out, type):
            # the support itself counts incidents: below k it is reported as 0
            sup = np.asarray(getattr(out, "support"))  # noqa: B009
            out = dataclasses.replace(out, support=np.where(sup >= k, sup, 0).astype(sup.dtype))
        return out
    msg = (
        "the density surface does not say how many incidents contribute to each cell, so it "
        "cannot be masked; it was left out of the public view."
    )
    warnings.warn(msg, BorderwatchWarning, stacklevel=3)
    return None


# ---------------------------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------------------------


def _lattice_km(result: AnalysisResult, cell_km: float | None) -> float:
    if cell_km is not None:
        return float(cell_km)
    v = result.summary.get("cell_km") if isinstance(result.summary, Mapping) else None
    if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) and v > 0:
        return float(v)
    cells = result.cells
    if cells is not None and len(cells) and cells.crs is not None:
        crs = CRS(result.crs) if result.crs is not None and CRS(result.crs).is_projected else None
        metric = cells.to_crs(crs) if crs is not None else cells.to_crs(study_crs(cells))
        side = float(np.sqrt(np.median(metric.area))) / 1000.0
        if np.isfinite(side) and side > 0:
            return round(side, 3)
    return 5.0


def generalise_shapes(
    geoms: gpd.GeoSeries,
    *,
    cell_km: float,
    incidents: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    min_vertex_m: float = MIN_VERTEX_M,
    crs: CRS | str | None = None,
    seed: int = 0,
) -> gpd.GeoSeries:
    """Replace shapes by the union of the lattice squares they touch.

    Every shape becomes the union of the squares of a square lattice (side
    ``cell_km``, in a metric CRS) that it intersects, with collinear corners
    removed. It therefore covers the original shape, and its vertices are
    lattice corners, never incident locations. When ``incidents`` are given,
    the lattice origin is shifted (deterministically, from ``seed``) until no
    vertex lies within ``min_vertex_m`` of an incident; a shape for which no
    origin works after 64 tries keeps the best one and a
    :class:`BorderwatchWarning` is raised.

    Parameters
    ----------
    geoms : GeoSeries
        Polygons, lines or points with a CRS (a convex hull that degenerates to
        a point or a line is fine).
    cell_km : float
        Side of the lattice squares in km.
    incidents : GeoDataFrame or GeoSeries, optional
        The incident points the vertices must keep away from.
    min_vertex_m : float, default 100
    crs : CRS, optional
        Metric CRS of the lattice; default: ``geoms``' own if projected, else
        :func:`borderwatch.study_crs`.
    seed : int, default 0
        Seed of the origin shifts.

    Returns
    -------
    GeoSeries
        Same index and CRS as ``geoms``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import MultiPoint
    >>> hull = MultiPoint([(1000, 1000), (3900, 1500), (2500, 3800)]).convex_hull
    >>> g = gpd.GeoSeries([hull], crs=3857)
    >>> out = generalise_shapes(g, cell_km=2.0)
    >>> out.iloc[0].bounds
    (0.0, 0.0, 4000.0, 4000.0)
    >>> out.iloc[0].contains(hull)
    True
    """
    if geoms.crs is None:
        msg = "the shapes have no CRS. Hint: set it, e.g. gs.set_crs('EPSG:4326')."
        raise DataError(msg)
    if not (np.isfinite(cell_km) and cell_km > 0):
        msg = f"cell_km must be a positive number of kilometres (got {cell_km!r})."
        raise DataError(msg)
    if crs is not None:
        metric = CRS(crs)
    elif CRS(geoms.crs).is_projected:
        metric = CRS(geoms.crs)
    else:
        metric = study_crs(geoms)
    g = geoms.to_crs(metric)
    tree = None
    if incidents is not None and len(incidents):
        pts = incidents.geometry if isinstance(incidents, gpd.GeoDataFrame) else incidents
        pts = pts[~(pts.isna() | pts.is_empty)]
        if len(pts):
            tree = cKDTree(shapely.get_coordinates(pts.to_crs(metric).values))
    out, _ = _generalise(
        g.values, s=float(cell_km) * 1000.0, tree=tree, min_m=min_vertex_m, seed=seed
    )
    return gpd.GeoSeries(out, index=geoms.index, crs=metric).to_crs(geoms.crs)


def _lattice_union(geom: shapely.Geometry, s: float, ox: float, oy: float) -> shapely.Geometry:
    minx, miny, maxx, maxy = geom.bounds
    while ((maxx - minx) / s + 2) * ((maxy - miny) / s + 2) > 250_000:
        s *= 2.0  # a huge shape on a fine lattice: coarsen rather than build millions of squares
    i0, i1 = math.floor((minx - ox) / s), math.floor((maxx - ox) / s)
    j0, j1 = math.floor((miny - oy) / s), math.floor((maxy - oy) / s)
    gi, gj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    ii, jj = gi.ravel(), gj.ravel()
    boxes = shapely.box(ox + ii * s, oy + jj * s, ox + (ii + 1) * s, oy + (jj + 1) * s)
    shapely.prepare(geom)
    hit = shapely.intersects(boxes, geom)
    union = shapely.union_all(boxes[hit])
    return shapely.simplify(union, 0.0)


def _vertex_distance(geom: shapely.Geometry, tree: cKDTree | None) -> float:
    if tree is None:
        return math.inf
    xy = shapely.get_coordinates(geom)
    if xy.size == 0:
        return math.inf
    d, _ = tree.query(xy, k=1)
    return float(np.min(d))


def _generalise(
    geoms: np.ndarray, *, s: float, tree: cKDTree | None, min_m: float, seed: int
) -> tuple[np.ndarray, float]:
    """Lattice generalisation of metric shapes; returns shapes and the smallest vertex distance."""
    rng = np.random.default_rng(seed)
    origins = [(0.0, 0.0)] + [tuple(o) for o in rng.uniform(0.0, s, size=(63, 2))]
    out = np.empty(len(geoms), dtype=object)
    worst = math.inf
    for i, geom in enumerate(geoms):
        if geom is None or shapely.is_empty(geom):
            out[i] = None
            continue
        best, best_d = None, -1.0
        for ox, oy in origins:
            cand = _lattice_union(geom, s, ox, oy)
            d = _vertex_distance(cand, tree)
            if d > best_d:
                best, best_d = cand, d
            if d >= min_m:
                break
        if best_d < min_m:
            msg = (
                f"a generalised shape keeps a corner {best_d:.0f} m from an incident (less than "
                f"{min_m:.0f} m): the incidents are too dense for the lattice. Hint: use a larger cell_km."
            )
            warnings.warn(msg, BorderwatchWarning, stacklevel=4)
        out[i] = best
        worst = min(worst, best_d)
    return out, worst


def _to_month(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        dt = series
    else:
        dt = pd.to_datetime(series.astype("string"), errors="coerce", format="mixed")
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_localize(None)
    return dt.dt.strftime("%Y-%m").astype("string")


def _cell_unions(geoms: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """For each shape, the union of the cells whose interior it overlaps (same CRS)."""
    tree = shapely.STRtree(cells)
    out = np.full(len(geoms), None, dtype=object)
    for i, g in enumerate(geoms):
        if g is None or shapely.is_empty(g):
            continue
        idx = tree.query(g, predicate="intersects")
        if idx.size == 0:
            continue
        inner = shapely.relate_pattern(cells[idx], g, "T********")
        sel = idx[inner] if inner.any() else idx  # a point or line on a cell edge
        out[i] = shapely.simplify(shapely.union_all(cells[sel]), 0.0)
    return out


def _public_shapes(
    shapes: gpd.GeoDataFrame | None,
    *,
    kind: str,
    k: int,
    lattice_km: float,
    crs: CRS | None,
    info: _IncidentInfo,
    border: gpd.GeoDataFrame | None,
    min_vertex_m: float,
    cells: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame | None:
    if shapes is None:
        return None
    if "n_incidents" not in shapes.columns:
        msg = f"the {kind} have no n_incidents column, so they cannot be checked against k and were left out of the public view."
        warnings.warn(msg, BorderwatchWarning, stacklevel=3)
        return None
    n_inc = pd.to_numeric(shapes["n_incidents"], errors="coerce")
    keep = (n_inc >= k).fillna(False).to_numpy(dtype=bool)
    geom_name = shapes.geometry.name
    cols = [c for c in _SHAPE_COLUMNS[kind] if c in shapes.columns and c != "geometry"]
    out = gpd.GeoDataFrame(
        shapes.loc[keep, cols].copy(), geometry=shapes.geometry[keep].values, crs=shapes.crs
    )
    out.index = shapes.index[keep]
    if geom_name != "geometry":
        out = out.rename_geometry("geometry")
    if shapes.crs is None or crs is None:
        if len(out):
            msg = f"the {kind} have no CRS, so they cannot be generalised and were left out of the public view."
            warnings.warn(msg, BorderwatchWarning, stacklevel=3)
            return None
        return out
    metric = out.geometry.to_crs(crs)
    tree = (
        cKDTree(info.xy) if info.xy is not None and len(info.xy) and info.crs is not None else None
    )
    if tree is not None and not CRS(info.crs).equals(crs):
        pts = gpd.GeoSeries(gpd.points_from_xy(info.lonlat[:, 0], info.lonlat[:, 1]), crs=WGS84)
        tree = cKDTree(shapely.get_coordinates(pts.to_crs(crs).values))
    gen = np.full(len(out), None, dtype=object)
    if cells is not None and len(cells) and cells.crs is not None:
        # union of the analysis grid cells each shape overlaps; vertices are cell corners
        own = out.geometry.to_crs(cells.crs).values
        unions = gpd.GeoSeries(_cell_unions(own, cells.geometry.values), crs=cells.crs)
        unions_m = unions.to_crs(crs).values
        for i, u in enumerate(unions_m):
            if (
                u is not None
                and not shapely.is_empty(u)
                and _vertex_distance(u, tree) >= min_vertex_m
            ):
                gen[i] = u
    todo = np.flatnonzero([g is None for g in gen])
    if todo.size:
        lat, _ = _generalise(
            metric.values[todo], s=lattice_km * 1000.0, tree=tree, min_m=min_vertex_m, seed=0
        )
        gen[todo] = lat
    gen_s = gpd.GeoSeries(gen, index=out.index, crs=crs)
    if "area_km2" in out.columns:
        out["area_km2"] = np.round(gen_s.area.to_numpy() / 1e6, 1)
    if "border_km" in out.columns:
        if border is not None and len(border) and border.crs is not None:
            line = shapely.union_all(border.geometry.to_crs(crs).values)
            out["border_km"] = np.round(gen_s.distance(line).to_numpy() / 1000.0, 1)
        else:
            bk = pd.to_numeric(out["border_km"], errors="coerce").to_numpy(dtype=float)
            out["border_km"] = np.floor(bk / lattice_km) * lattice_km
    for c in ("first_date", "last_date"):
        if c in out.columns:
            out[c] = _to_month(out[c])
    out = out.set_geometry(gen_s.to_crs(shapes.crs).values)
    out = out.set_crs(shapes.crs, allow_override=True)
    if "n_incidents" in out.columns:
        out["n_incidents"] = pd.to_numeric(out["n_incidents"], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------------


def _public_summary(
    summary: Mapping[str, Any] | None, *, k: int, info: _IncidentInfo
) -> dict[str, Any]:
    if not summary:
        return {}
    needles = _Needles.from_info(info) if (info.ids or info.texts or len(info.lonlat)) else None

    def is_count_key(path: tuple[str, ...]) -> bool:
        return any(
            (
                "incident" in p
                or "sensitive" in p
                or p in _SUMMARY_COUNT_KEYS
                or _CATEGORY_RE.match(p)
            )
            for p in path
        )

    def walk(obj: Any, path: tuple[str, ...]) -> Any:
        if isinstance(obj, Mapping):
            res = {}
            for key, v in obj.items():
                name = str(key).lower()
                if name in ("ids", "id") or name.endswith("_ids") or name.endswith("_id"):
                    continue
                res[key] = walk(v, (*path, name))
            return res
        if isinstance(obj, list | tuple):
            return [walk(v, path) for v in obj]
        if isinstance(obj, pd.Timestamp | _dt.datetime | _dt.date | np.datetime64):
            ts = pd.Timestamp(obj)
            return None if pd.isna(ts) else ts.strftime("%Y-%m")
        if isinstance(obj, str):
            return _redact(obj, needles)
        if isinstance(obj, bool | np.bool_):
            return bool(obj)
        if isinstance(obj, int | np.integer):
            if is_count_key(path) and 1 <= int(obj) <= k - 1:
                return None
            return int(obj)
        if isinstance(obj, float | np.floating):
            return float(obj)
        return obj

    return walk(dict(summary), ())


def _redact(text: str, needles: _Needles | None) -> str:
    text = _ISO_DATE_RE.sub(r"\1", text)

    def rows(m: re.Match[str]) -> str:
        n = len(m.group(1).split(", ")) + int(m.group(2) or 0)
        return f"{n} row" + ("s" if n != 1 else "")

    text = _ROWS_RE.sub(rows, text)
    if needles is None:
        return text
    for tok in needles.find_ids(text):
        text = re.sub(rf"(?<![\w\-]){re.escape(tok)}(?![\w\-])", "[id]", text)
    for phrase in needles.find_texts(text):
        text = re.sub(re.escape(phrase), "[text]", text, flags=re.IGNORECASE)
    for tok in needles.coordinate_tokens(text):
        text = re.sub(rf"(?<![\d.]){re.escape(tok)}(?![\d.])", "[coordinate]", text)
    return text


# ---------------------------------------------------------------------------------------------
# the leak scanner
# ---------------------------------------------------------------------------------------------

_DEC_RE = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\d.])")
_NUM_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\d.])")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_JS_ESC_RE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([/\"'\\])")


def _js_unescape(text: str) -> str:
    return _JS_ESC_RE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)


class _Needles:
    """What must not appear in a public output, with fast lookups."""

    def __init__(
        self,
        *,
        lonlat: np.ndarray,
        xy: np.ndarray | None,
        ids: Iterable[str],
        texts: Iterable[str],
        labels: Sequence[str] | None = None,
        allow: Iterable[str] = (),
        min_id_len: int = 3,
        window: int = 2,
    ) -> None:
        self.lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        self.xy = None if xy is None else np.asarray(xy, dtype=float).reshape(-1, 2)
        self.labels = (
            list(labels) if labels is not None else [str(i) for i in range(len(self.lonlat))]
        )
        allowed = {str(a).casefold().strip() for a in allow if isinstance(a, str)}
        self.ids = {
            i
            for i in ids
            if len(i) >= min_id_len
            and not (i.isdigit() and len(i) < 5)
            and i.casefold() not in allowed
        }
        self.texts = {t for t in texts if t.casefold().strip() not in allowed}
        self._text_first: dict[str, list[str]] = {}
        for t in self.texts:
            words = _WORD_RE.findall(t.casefold())
            if words:
                self._text_first.setdefault(words[0], []).append(t)
        self.window = window
        self._maps: dict[int, tuple[dict[str, list[int]], dict[str, list[int]]]] = {}
        self._mmaps: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None

    @classmethod
    def from_info(cls, info: _IncidentInfo) -> _Needles:
        return cls(lonlat=info.lonlat, xy=info.xy, ids=info.ids, texts=info.texts)

    # -- coordinates
    def _map(self, d: int) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        if d not in self._maps:
            lon: dict[str, list[int]] = {}
            lat: dict[str, list[int]] = {}
            for i, (x, y) in enumerate(self.lonlat):
                lon.setdefault(f"{x:.{d}f}", []).append(i)
                lat.setdefault(f"{y:.{d}f}", []).append(i)
            self._maps[d] = (lon, lat)
        return self._maps[d]

    def _metric_map(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        if self._mmaps is None:
            xs: dict[str, list[int]] = {}
            ys: dict[str, list[int]] = {}
            if self.xy is not None:
                for i, (x, y) in enumerate(self.xy):
                    xs.setdefault(str(round(x)), []).append(i)
                    ys.setdefault(str(round(y)), []).append(i)
            self._mmaps = (xs, ys)
        return self._mmaps

    @staticmethod
    def _key(tok: str) -> tuple[int, str]:
        d = len(tok) - tok.index(".") - 1
        if d > 8:
            return 8, f"{float(tok):.8f}"
        return d, tok

    def coordinate_pairs(
        self, text: str, *, min_decimals: int = 1
    ) -> dict[int, tuple[str, str, str]]:
        """Incidents whose lon and lat (or metric x and y) sit next to each other in ``text``.

        Returns ``{incident index: (kind, token, token)}``.
        """
        found: dict[int, tuple[str, str, str]] = {}
        if len(self.lonlat):
            toks = _DEC_RE.findall(text)
            hits: list[tuple[int, list[int], list[int]]] = []
            for pos, tok in enumerate(toks):
                d, key = self._key(tok)
                if d < min_decimals:
                    continue
                lon, lat = self._map(d)
                a, b = lon.get(key), lat.get(key)
                if a or b:
                    hits.append((pos, a or [], b or []))
            self._pairs(toks, hits, found, "lon/lat")
            # parallel arrays: only values written with 4+ decimals, or exactly the coordinate
            precise = []
            for pos, a, b in hits:
                if self._key(toks[pos])[0] >= 4:
                    precise.append((pos, a, b))
                    continue
                v = float(toks[pos])
                a = [i for i in a if self.lonlat[i, 0] == v]
                b = [i for i in b if self.lonlat[i, 1] == v]
                if a or b:
                    precise.append((pos, a, b))
            self._columns(toks, precise, found, "lon/lat")
        if self.xy is not None and len(self.xy):
            toks = _NUM_RE.findall(text)
            xs, ys = self._metric_map()
            hits = []
            for pos, tok in enumerate(toks):
                v = float(tok)
                if abs(v) < 100:
                    continue
                key = str(round(v))
                a, b = xs.get(key), ys.get(key)
                if a or b:
                    hits.append((pos, a or [], b or []))
            self._pairs(toks, hits, found, "projected x/y")
            self._columns(toks, hits, found, "projected x/y")
        return found

    @staticmethod
    def _columns(
        toks: list[str],
        hits: list[tuple[int, list[int], list[int]]],
        found: dict[int, tuple[str, str, str]],
        what: str,
        *,
        min_incidents: int = 3,
    ) -> None:
        """Coordinates stored as parallel arrays (``"lon": [...], "lat": [...]``).

        The longitude and latitude of each incident then sit a constant number
        of tokens apart; an offset shared by ``min_incidents`` or more incidents
        is reported.
        """
        first: dict[int, list[int]] = {}
        second: dict[int, list[int]] = {}
        for pos, a, b in hits:
            for inc in a:
                first.setdefault(inc, []).append(pos)
            for inc in b:
                second.setdefault(inc, []).append(pos)
        by_offset: dict[int, list[tuple[int, int, int]]] = {}
        for inc in first.keys() & second.keys():
            for p in first[inc][:8]:
                for q in second[inc][:8]:
                    by_offset.setdefault(q - p, []).append((inc, p, q))
        for offset, items in by_offset.items():
            if offset == 0 or len({i for i, _, _ in items}) < min_incidents:
                continue
            for inc, p, q in items:
                found.setdefault(inc, (f"{what} in parallel arrays", toks[p], toks[q]))

    def _pairs(
        self,
        toks: list[str],
        hits: list[tuple[int, list[int], list[int]]],
        found: dict[int, tuple[str, str, str]],
        what: str,
    ) -> None:
        """Pairs (first coordinate, second coordinate) of one incident within ``window`` tokens."""
        for h, (pos, xs, _) in enumerate(hits):
            if not xs:
                continue
            xset = set(xs)
            # neighbours are the hits whose position is within the window, on either side
            lo = h
            while lo > 0 and pos - hits[lo - 1][0] <= self.window:
                lo -= 1
            hi = h
            while hi + 1 < len(hits) and hits[hi + 1][0] - pos <= self.window:
                hi += 1
            for o in range(lo, hi + 1):
                opos, _, ys = hits[o]
                if o == h or not ys:
                    continue
                for inc in xset.intersection(ys):
                    found.setdefault(inc, (what, toks[pos], toks[opos]))

    def coordinate_tokens(self, text: str) -> set[str]:
        """Tokens of ``text`` that are part of an incident coordinate pair."""
        out: set[str] = set()
        for _, a, b in self.coordinate_pairs(text).values():
            out.update((a, b))
        return out

    # -- ids and text
    def find_ids(self, text: str) -> set[str]:
        if not self.ids:
            return set()
        tokens = set(re.findall(r"[\w\-.:/#]+", text))
        tokens |= {t.strip(".:/#") for t in tokens}
        hits = self.ids & tokens
        for i in self.ids:
            if i not in hits and re.search(r"\s", i) and i in text:
                hits.add(i)
        return hits

    def find_texts(self, text: str) -> set[str]:
        if not self.texts:
            return set()
        folded = text.casefold()
        words = set(_WORD_RE.findall(folded))
        hits = set()
        for w in words & self._text_first.keys():
            for t in self._text_first[w]:
                tf = t.casefold()
                if len(tf) < 8:
                    if re.search(rf"(?<!\w){re.escape(tf)}(?!\w)", folded):
                        hits.add(t)
                elif tf in folded:
                    hits.add(t)
        return hits


def _text_variants(text: str) -> str:
    variants = [text]
    for v in (html.unescape(text), _js_unescape(text), html.unescape(_js_unescape(text))):
        if v not in variants:
            variants.append(v)
    return "\n".join(variants)


def scan_for_leaks(
    out_dir: str | Path,
    incidents: gpd.GeoDataFrame,
    *,
    crs: CRS | str | None = None,
    k: int = 5,
    text_columns: Sequence[str] | None = None,
    allow: Iterable[str] = (),
    vertex_tol_m: float = 1.0,
    support_radius_m: float | None = None,
    min_id_len: int = 3,
) -> list[str]:
    """Look for traces of the input incidents in every file of an output directory.

    Parameters
    ----------
    out_dir : path
        A directory written by ``analyze`` or ``demo`` (searched recursively).
    incidents : GeoDataFrame
        The input incidents (any CRS).
    crs : CRS, optional
        The metric CRS of the analysis (``summary.json`` key ``crs``); when
        given, projected coordinates (rounded to the metre) are looked for too.
        Default: the incidents' own CRS when it is projected.
    k : int, default 5
        The suppression threshold, for the density check.
    text_columns : list of str, optional
        Free-text columns of the incidents. Default: every text column except
        ``id`` and the vocabularies (``category``, ``country``, ``unit_name``, ...).
        Values shorter than 4 characters, without a letter, that look like
        dates, that are lower-case identifiers (``background``,
        ``mli_ner_border``), or that every incident shares, are not searched.
    allow : iterable of str
        Values that are public even though an incident column holds them (for
        example the admin unit names in an ``adm_1`` column). The names of the
        ``units`` layer of ``*.gpkg`` files are allowed automatically.
    vertex_tol_m : float, default 1
        A vertex or point of a GeoPackage layer closer than this to an
        incident is reported.
    support_radius_m : float, optional
        Radius within which incidents count as contributing to a density cell.
        Default: the ``support_radius_km`` tag of the GeoTIFF (as written by
        :meth:`DensitySurface.to_geotiff`), else twice its ``bandwidth_km`` tag; without either, the density check is skipped.
    min_id_len : int, default 3
        Shorter ids, and all-digit ids shorter than 5 digits, are not searched
        (they occur by chance in any file).

    Returns
    -------
    list of str
        One line per finding, ``"<file>: <what>"``; empty when nothing leaked.

    Notes
    -----
    What is searched, per file type:

    * text of every file (JSON, CSV, HTML, GeoJSON, JS, ...), also after
      undoing HTML and JavaScript escapes: incident ids (whole tokens), free
      text (case-insensitive), and coordinate pairs: an incident's longitude
      and latitude written next to each other (within two numbers, either
      order) at whatever precision the file uses (``12.34567``, ``12.3457``,
      full precision), or in parallel arrays (three or more incidents whose
      longitude and latitude, written with 4 or more decimals or exactly,
      sit the same number of values apart), and the same for its projected x and y rounded
      to the metre;
    * GeoPackages: every table's text (via sqlite), and the vertices of every
      layer (closer than ``vertex_tol_m`` to an incident);
    * GeoTIFFs: tags and band descriptions, and the values at each incident:
      a finite value where fewer than ``k`` incidents lie within the support
      radius is an unmasked isolated incident;
    * PNG: text metadata chunks. PDF: only its uncompressed text (metadata).

    Examples
    --------
    >>> import json, tempfile
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> inc = gpd.GeoDataFrame({"id": ["INC-001"], "category_raw": ["assault at the well"]},
    ...                        geometry=[Point(1.234567, 14.765432)], crs=4326)
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "summary.json").write_text(json.dumps({"note": "INC-001 at [1.23457, 14.76543]"}))
    >>> for line in scan_for_leaks(d, inc):
    ...     print(line)
    summary.json: coordinates of incident INC-001 (lon/lat 1.23457, 14.76543)
    summary.json: incident id 'INC-001'
    """
    root = Path(out_dir)
    if not root.is_dir():
        msg = f"{root}: not a directory. Hint: pass the --out directory of analyze or demo."
        raise DataError(msg)
    if incidents.crs is None:
        msg = "the incidents have no CRS. Hint: read them with borderwatch.read_incidents."
        raise DataError(msg)
    pts = incidents[~(incidents.geometry.isna() | incidents.geometry.is_empty)]
    lonlat = shapely.get_coordinates(pts.geometry.to_crs(WGS84).values)
    metric: CRS | None = CRS(crs) if crs is not None else None
    if metric is None and CRS(incidents.crs).is_projected:
        metric = CRS(incidents.crs)
    xy = shapely.get_coordinates(pts.geometry.to_crs(metric).values) if metric is not None else None
    lab_src = (
        pts["id"].astype(str).tolist()
        if "id" in pts.columns
        else [f"#{i}" for i in range(len(pts))]
    )
    ids = {str(v) for v in incidents["id"].dropna()} if "id" in incidents.columns else set()
    if text_columns is None:
        texts = _free_text_values(incidents)
    else:
        missing = [c for c in text_columns if c not in incidents.columns]
        if missing:
            msg = f"text_columns {missing} are not columns of the incidents. Hint: check the spelling."
            raise DataError(msg)
        texts = _free_text_values(pd.DataFrame(incidents[list(text_columns)]))
    allowed = set(allow)
    for col in ("unit_name", "country", "reported_country"):
        if col in incidents.columns:
            allowed |= {str(v) for v in incidents[col].dropna()}
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for p in files:
        if p.suffix.lower() == ".gpkg":
            allowed |= _gpkg_unit_names(p)
    needles = _Needles(
        lonlat=lonlat,
        xy=xy,
        ids=ids,
        texts=texts,
        labels=lab_src,
        allow=allowed,
        min_id_len=min_id_len,
    )
    metric_for_geom = metric or (study_crs(pts) if len(pts) else None)
    tree_xy = (
        shapely.get_coordinates(pts.geometry.to_crs(metric_for_geom).values)
        if metric_for_geom is not None and len(pts)
        else np.empty((0, 2))
    )
    tree = cKDTree(tree_xy) if len(tree_xy) else None

    findings: list[str] = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        suffix = p.suffix.lower()
        try:
            if suffix == ".gpkg":
                texts_in = _gpkg_text(p)
                findings += _scan_text(rel, texts_in, needles)
                findings += _scan_geometries(rel, p, tree, metric_for_geom, vertex_tol_m, lab_src)
            elif suffix in (".tif", ".tiff"):
                findings += _scan_text(rel, _tif_text(p), needles)
                findings += _scan_raster(rel, p, pts, k=k, radius=support_radius_m, labels=lab_src)
            elif suffix == ".png":
                findings += _scan_text(rel, _png_text(p), needles)
            elif suffix in (".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".ttf"):
                continue
            else:
                raw = p.read_bytes()
                text = (
                    raw.decode("utf-8", errors="replace")
                    if suffix != ".pdf"
                    else raw.decode("latin-1")
                )
                findings += _scan_text(rel, text, needles)
                if suffix in (".geojson", ".json") and '"coordinates"' in text:
                    findings += _scan_geometries(
                        rel, p, tree, metric_for_geom, vertex_tol_m, lab_src
                    )
        except (OSError, ValueError, sqlite3.Error) as exc:  # unreadable file: say so
            findings.append(f"{rel}: could not be scanned ({type(exc).__name__}: {exc})")
    return findings


def _scan_text(rel: str, text: str, needles: _Needles) -> list[str]:
    text = _text_variants(text)
    out = []
    pairs = needles.coordinate_pairs(text)
    for inc, (what, a, b) in sorted(pairs.items()):
        out.append(f"{rel}: coordinates of incident {needles.labels[inc]} ({what} {a}, {b})")
    for i in sorted(needles.find_ids(text)):
        out.append(f"{rel}: incident id {i!r}")
    for t in sorted(needles.find_texts(text)):
        out.append(f"{rel}: incident free text {t!r}")
    return out


def _gpkg_text(path: Path) -> str:
    chunks: list[str] = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            chunks.append(t)
            for row in con.execute(f'SELECT * FROM "{t}"'):  # noqa: S608 - table names from sqlite_master
                chunks.append(
                    ", ".join(str(v) for v in row if not isinstance(v, bytes | memoryview))
                )
    finally:
        con.close()
    return "\n".join(chunks)


def _gpkg_unit_names(path: Path) -> set[str]:
    import pyogrio

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
        if "units" not in layers:
            return set()
        units = pyogrio.read_dataframe(path, layer="units", columns=["name"], read_geometry=False)
        return {str(v) for v in units["name"].dropna()}
    except Exception:  # noqa: BLE001 - best effort: an unreadable file is reported by the scan itself
        return set()


def _scan_geometries(
    rel: str,
    path: Path,
    tree: cKDTree | None,
    metric: CRS | None,
    tol: float,
    labels: Sequence[str],
) -> list[str]:
    import pyogrio

    if tree is None or metric is None:
        return []
    out = []
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception:  # noqa: BLE001 - not a vector dataset (e.g. a plain JSON file)
        return []
    for layer in layers:
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer)
        except Exception:  # noqa: BLE001 - non-spatial or odd layers have no geometry to check
            continue
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None or len(gdf) == 0:
            continue
        xy = shapely.get_coordinates(gdf.geometry.to_crs(metric).values)
        if xy.size == 0:
            continue
        d, idx = tree.query(xy, k=1, distance_upper_bound=tol)
        near = np.isfinite(d)
        if near.any():
            incs = sorted({labels[i] for i in idx[near]})
            shown = ", ".join(incs[:5]) + (f" (and {len(incs) - 5} more)" if len(incs) > 5 else "")
            out.append(
                f"{rel}: layer {layer!r} has {int(near.sum())} vertices or points within "
                f"{tol:g} m of incidents {shown}"
            )
    return out


def _tif_text(path: Path) -> str:
    import rasterio

    chunks = []
    with rasterio.open(path) as ds:
        for ns in [None, *(ds.tag_namespaces() or [])]:
            tags = ds.tags(ns=ns) if ns else ds.tags()
            chunks += [f"{key} {v}" for key, v in tags.items()]
        for b in range(1, ds.count + 1):
            chunks += [f"{key} {v}" for key, v in ds.tags(b).items()]
        chunks += [str(x) for x in ds.descriptions if x]
    return "\n".join(chunks)


def _scan_raster(
    rel: str,
    path: Path,
    pts: gpd.GeoDataFrame,
    *,
    k: int,
    radius: float | None,
    labels: Sequence[str],
) -> list[str]:
    import rasterio

    with rasterio.open(path) as ds:
        tags = ds.tags()
        if radius is None:
            if "support_radius_km" in tags:
                radius = 1000.0 * float(tags["support_radius_km"])
            elif "support_radius_m" in tags:
                radius = float(tags["support_radius_m"])
            elif "bandwidth_km" in tags:
                radius = 2000.0 * float(tags["bandwidth_km"])
        if radius is None or ds.crs is None or len(pts) == 0:
            return []
        xy = shapely.get_coordinates(pts.geometry.to_crs(ds.crs).values)
        band = ds.read(1, masked=True)
        half_diag = 0.5 * math.hypot(ds.transform.a, ds.transform.e)
        rows, cols = rasterio.transform.rowcol(ds.transform, xy[:, 0], xy[:, 1])
        rows, cols = np.asarray(rows), np.asarray(cols)
    inside = (rows >= 0) & (rows < band.shape[0]) & (cols >= 0) & (cols < band.shape[1])
    tree = cKDTree(xy)
    # incidents near enough to count for the cell the incident falls in: a
    # finite value with fewer than k of them is certainly not masked by support
    n_near = np.array([len(v) for v in tree.query_ball_point(xy, r=radius + half_diag)])
    out = []
    bad = []
    for i in np.flatnonzero(inside & (n_near < k)):
        v = band[rows[i], cols[i]]
        if v is not np.ma.masked and np.isfinite(v) and v > 0:
            bad.append(labels[int(i)])
    if bad:
        shown = ", ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else "")
        out.append(
            f"{rel}: density shown at {len(bad)} incidents with fewer than {k} incidents "
            f"within {radius:g} m: {shown}"
        )
    return out


def _png_text(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as im:
        info = dict(im.info)
        text = getattr(im, "text", {}) or {}
    return "\n".join(
        f"{key} {v.decode('latin-1') if isinstance(v, bytes) else v}"
        for key, v in {**info, **text}.items()
        if isinstance(v, str | bytes)
    )
