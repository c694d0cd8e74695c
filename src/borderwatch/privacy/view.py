"""The public view of an analysis: :func:`public_view`.

Each layer has its own step: units and cells are suppressed and lose their
numeric statistics, hotspots and clusters are generalised
(:mod:`borderwatch.privacy.shapes`), density is masked, meetings lose their
ids, and the summary is redacted.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import warnings
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._crs import study_crs
from .._errors import BorderwatchWarning, DataError
from .._result import AnalysisResult
from ._figures import coarse_figures
from ._info import VOCAB_COLUMNS, IncidentInfo, is_category, is_text
from ._linked import protect_linked
from ._needles import Needles
from ._records import FrameRecords, IncidentRecords, summary_strings, text_values
from ._relattice import on_lattice
from ._text import public_warning
from .cellkey import DEMO_KEY, load_key
from .classed import classed_density, lattice_counts
from .perturb import Perturber, perturb_counts
from .planning import public_planning
from .shapes import MIN_VERTEX_M, _lattice_km, _public_shapes
from .suppress import Line, _as_counts, _protect, _small, _suppressed_int, public_counts

__all__ = ["public_view"]

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
_SAFE_IDS = frozenset({"unit_id", "cell_id", "hotspot_id", "cluster_id", "lattice_id"})
_UNIT_SAFE = frozenset({"unit_id", "name", "country", "countries", "geometry", "hasc", "adm0_iso3"})
# numeric columns of the cells that are not statistics of the counts
_CELL_SAFE_FLOAT = frozenset(
    {"area_km2", "border_km", "population", "cell_km", "x", "y", "x_m", "y_m", "hotspot_confidence"}
)
_CELL_KEEP = frozenset(
    {"cell_id", "lattice_id", "countries", "hotspot_kind", "trend_class", "moran_class"}
)
# the fields of AnalysisResult this module knows how to make public
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
        "scan",
        "density",
        "priorities",
        "planning",
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


def public_view(
    result: AnalysisResult,
    *,
    k: int = 5,
    cell_km: float | None = None,
    min_vertex_m: float = MIN_VERTEX_M,
    cell_stats: Literal["class", "keep"] = "class",
    key: bytes | None = None,
    records: IncidentRecords | None = None,
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
        ``cell_km`` uses that lattice, of side ``cell_km`` km, for every shape, and
        the lattice size nearest to it for the cells of an internal result.
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
    key : bytes, optional
        The release key of the cell-key perturbation
        (:func:`borderwatch.privacy.cellkey.load_key`). Default: the key file of
        ``result.settings.key_file`` when set, else the public demo key
        (:data:`~borderwatch.privacy.cellkey.DEMO_KEY`), which protects nothing
        against a reader who knows it: give your own key for real data.
    records : IncidentRecords, optional
        Where the incidents are: by default ``result.incidents``. The dask
        engine gives the joined partitions on its workers
        (:mod:`borderwatch._dask_public`), so that every cell key, redaction
        and vertex check covers all incidents, not the sample in ``result.incidents``.

    Returns
    -------
    AnalysisResult
        A new result with ``view="public"``, ``k=k``, ``incidents=None`` and the
        layers below; layers the input did not have stay ``None``.

        * ``units``: ``incidents``, every category column and other count
          columns as nullable ``Int64``, null where suppressed; rates null where
          their count is; free text, person-like and id columns that came from
          incidents dropped (the unit's own ``name`` stays).
        * ``cells``: squares of the fixed global lattice (``lattice_id``); the
          cells of an internal grid are counted again on the lattice and their
          statistics run there (:func:`~borderwatch.privacy._relattice.on_lattice`),
          so that cells of different releases nest; ``count`` perturbed and
          suppressed; classes kept.
        * ``hotspots``, ``clusters``, ``scan``: only those with ``n_incidents >= k``;
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
    ``sensitive``) get this protection like every other category. After the
    cell-key perturbation, the LP audit of the published units, counts and
    summary totals runs on the perturbed values, and more is hidden until every
    hidden unit count keeps ``0..k-1`` feasible (:mod:`borderwatch.privacy._linked`).

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
    >>> pub.units["iccs03_sexual"].tolist()  # small counts and zeros alike: hidden
    [<NA>, <NA>, <NA>]
    """
    k = _checked_k(result, k=k, cell_km=cell_km, min_vertex_m=min_vertex_m, cell_stats=cell_stats)
    result = on_lattice(result, cell_km=cell_km)  # cells of an internal grid: on the lattice
    records = records if records is not None else _frame_records(result)
    with records.opened() if records is not None else nullcontext(records) as recs:
        crs = CRS(result.crs) if result.crs is not None else None
        metric = _metric_crs(result, crs)
        info = _incident_info(result, recs, crs)
        lattice_km = _lattice_km(result, cell_km)
        shape_options: dict[str, Any] = {
            "k": k,
            "lattice_km": lattice_km,
            "crs": metric,
            "info": info,
            "border": result.border,
            "min_vertex_m": min_vertex_m,
            "cells": None if cell_km is not None else result.cells,
            "tree": None if recs is None or metric is None else recs.tree(metric),
        }
        hotspots = _public_shapes(result.hotspots, kind="hotspots", **shape_options)
        clusters = _public_shapes(result.clusters, kind="clusters", **shape_options)
        scan = _public_shapes(result.scan, kind="scan", **shape_options)
        summary = _public_summary(result.summary, k=k, info=info)
        summary = _summary_of_public_layers(
            summary, k=k, hotspots=hotspots, clusters=clusters, scan=scan
        )
        summary["privacy"] = {
            "k": k,
            "lattice_km": lattice_km,
            "min_vertex_m": float(min_vertex_m),
            "cell_stats": cell_stats,
        }
        summary["privacy"]["perturbation"] = {"method": "cell-key", "D": 2, "V": 0.8, "js": k - 1}
        summary = coarse_figures(summary)
        perturber = Perturber.of(recs, key=_release_key(result, key), k=k)
        layers = perturb_counts(
            result,
            {
                "units": _public_units(result.units, k=k, info=info, cell_stats=cell_stats),
                "counts": public_counts(result.counts, k=k) if result.counts is not None else None,
                "cells": _public_cells(
                    result.cells, k=k, regions=result.hotspots, info=info, cell_stats=cell_stats
                ),
                "hotspots": hotspots,
                "clusters": clusters,
                "scan": scan,
                "summary": summary,
            },
            perturber=perturber,
            period=(result.summary or {}).get("counts_period"),
        )
        layers = _linked_tables(layers, k=k, d=perturber.ptable.D, info=info)
        priorities, planning = public_planning(result, layers, k=k, perturber=perturber)
        return result.replace(
            **layers,
            incidents=None,
            meetings=_public_meetings(result.meetings, k=k),
            density=_public_surface(result, layers.get("cells"), k=k, perturber=perturber),
            priorities=priorities,
            planning=planning,
            view="public",
            k=k,
            **_unknown_layers(result),
        )


def _frame_records(result: AnalysisResult) -> FrameRecords | None:
    """The records of the incidents in memory (None without them)."""
    return None if result.incidents is None else FrameRecords(result.incidents)


def _incident_info(
    result: AnalysisResult, records: IncidentRecords | None, crs: CRS | None
) -> IncidentInfo:
    """What must not leak, asked of the records about the summary's strings (as
    :func:`_redact` reads them) and the text values of the units and cells."""
    if records is None:
        return IncidentInfo()
    strings = [_redact(s, None) for s in summary_strings(result.summary)]
    values = text_values(result.units, result.cells)
    return records.info(crs=crs, values=values, strings=strings)


def _public_surface(
    result: AnalysisResult, cells: gpd.GeoDataFrame | None, *, k: int, perturber: Perturber
) -> Any:
    """The classed surface of the public lattice cells.

    When the analysis grid is not the lattice (a public view of an internal
    result), the incidents are counted on the lattice first (cell size: the
    analysis cell size snapped to an allowed size); without incidents, the
    masked surface.
    """
    if result.density is None:
        return None
    if cells is not None and "lattice_id" in cells.columns:
        return classed_density(cells, k=k)
    if result.incidents is not None and result.units is not None and len(result.units):
        km = (
            (result.summary or {}).get("cell_km") or getattr(result.density, "cell_km", None) or 5.0
        )
        return classed_density(lattice_counts(result, cell_km=float(km), perturber=perturber), k=k)
    return _public_density(result.density, k=k)


def _release_key(result: AnalysisResult, key: bytes | None) -> bytes:
    """The key given, else the key file of the settings, else the demo key."""
    if key is not None:
        if not isinstance(key, bytes | bytearray) or len(key) < 16:
            msg = "key must be at least 16 bytes (a release key). Hint: use load_key(path)."
            raise DataError(msg)
        return bytes(key)
    path = getattr(result.settings, "key_file", None)
    return load_key(path) if path else DEMO_KEY


# ---------------------------------------------------------------------------------------------
# the steps of public_view
# ---------------------------------------------------------------------------------------------


def _checked_k(
    result: AnalysisResult,
    *,
    k: int,
    cell_km: float | None,
    min_vertex_m: float,
    cell_stats: str,
) -> int:
    """Validate the options of :func:`public_view`; returns ``k`` as an int."""
    if not isinstance(result, AnalysisResult):
        msg = (
            f"public_view expects an AnalysisResult, got {type(result).__name__}. "
            "Hint: pass the result of borderwatch.analyze()."
        )
        raise DataError(msg)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k must be a whole number >= 1 (got {k!r}). Hint: the usual threshold is k=5."
        raise DataError(msg)
    if cell_km is not None and not (np.isfinite(cell_km) and cell_km > 0):
        msg = f"cell_km must be a positive number of kilometres (got {cell_km!r})."
        raise DataError(msg)
    if not (np.isfinite(min_vertex_m) and min_vertex_m >= 0):
        msg = f"min_vertex_m must be a distance >= 0 in metres (got {min_vertex_m!r})."
        raise DataError(msg)
    if cell_stats not in ("class", "keep"):
        msg = f"cell_stats must be 'class' or 'keep' (got {cell_stats!r})."
        raise DataError(msg)
    return int(k)


def _metric_crs(result: AnalysisResult, crs: CRS | None) -> CRS | None:
    """The analysis CRS when it is projected, else the study CRS of the units."""
    if crs is not None and crs.is_projected:
        return crs
    if result.units is not None and len(result.units):
        return study_crs(result.units)
    return None


def _summary_of_public_layers(
    summary: dict[str, Any],
    *,
    k: int,
    hotspots: gpd.GeoDataFrame | None,
    clusters: gpd.GeoDataFrame | None,
    scan: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """``view`` and ``k``; counts of shapes follow the public layers (those below k are gone)."""
    summary["view"] = "public"
    summary["k"] = k
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
    if scan is not None and isinstance(summary.get("scan"), dict):
        summary["scan"]["n"] = len(scan)
        if "cross_border" in scan.columns:
            summary["scan"]["n_cross_border"] = int(scan["cross_border"].fillna(False).sum())
    return summary


def _unknown_layers(result: AnalysisResult) -> dict[str, None]:
    """Layers of the result that this module does not know: left out, with a warning."""
    extra: dict[str, None] = {}
    for f in dataclasses.fields(result):
        if f.name in _KNOWN_FIELDS:
            continue
        value = getattr(result, f.name)
        if isinstance(value, pd.DataFrame | np.ndarray) or hasattr(value, "values"):
            msg = (
                f"public_view does not know the layer {f.name!r} and left it out of the "
                "public view. Hint: teach borderwatch.privacy how to make it safe."
            )
            warnings.warn(msg, BorderwatchWarning, stacklevel=3)
            extra[f.name] = None
    return extra


# ---------------------------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------------------------


def _public_units(
    units: gpd.GeoDataFrame | None,
    *,
    k: int,
    info: IncidentInfo,
    cell_stats: str,
) -> gpd.GeoDataFrame | None:
    """Units with suppressed counts, rates that follow them and no incident-derived columns."""
    if units is None:
        return None
    out = units.copy()
    total, cats, extra_counts = _unit_count_columns(out, info=info)
    count_cols = ([total] if total else []) + cats + extra_counts
    if count_cols:
        out = _suppress_unit_counts(out, total=total, cats=cats, count_cols=count_cols, k=k)
    out = _rates_follow_counts(out, total=total, cats=cats)
    out = out.drop(columns=_unsafe_columns(out, info=info, keep=_UNIT_SAFE | set(count_cols)))
    if cell_stats == "class":
        for c in out.columns:
            if (
                isinstance(c, str)
                and _STAT_NAME_RE.search(c)
                and pd.api.types.is_numeric_dtype(out[c])
            ):
                out[c] = np.nan
    return out


def _unit_count_columns(
    units: gpd.GeoDataFrame, *, info: IncidentInfo
) -> tuple[str | None, list[str], list[str]]:
    """The total (``incidents``), the category columns and other count columns of the units."""
    geom = units.geometry.name
    cats = [
        c for c in units.columns if isinstance(c, str) and (is_category(c) or c in info.categories)
    ]
    cats = [c for c in cats if c not in ("category",) and c != geom and not _RATE_RE.search(c)]
    total = "incidents" if "incidents" in units.columns else None
    extra_counts = [
        c
        for c in units.columns
        if isinstance(c, str)
        and c not in cats
        and c != total
        and c != geom
        and _COUNT_NAME_RE.search(c)
        and not _RATE_RE.search(c)
        and pd.api.types.is_numeric_dtype(units[c])
        and not pd.api.types.is_bool_dtype(units[c])
    ]
    return total, cats, extra_counts


def _suppress_unit_counts(
    units: gpd.GeoDataFrame, *, total: str | None, cats: list[str], count_cols: list[str], k: int
) -> gpd.GeoDataFrame:
    """The units with their count columns suppressed.

    The lines are each unit's categories with its total, and each column across units.
    """
    out = units.copy()
    n = len(out)
    mats = [_as_counts(out[c]) for c in count_cols]
    vals = np.concatenate([m[0] for m in mats])
    missing = np.concatenate([m[1] for m in mats])
    primary = _small(vals, k) & ~missing
    pos = {c: np.arange(i * n, (i + 1) * n) for i, c in enumerate(count_cols)}
    lines: list[Line] = []
    if total and cats:
        for r in range(n):
            members = np.array([pos[c][r] for c in cats])
            lines.append((members, int(pos[total][r])))
    for c in count_cols:
        lines.append((pos[c], None))
    supp = _protect(vals, primary, lines, k=k)
    for c in count_cols:
        out[c] = _suppressed_int(vals[pos[c]], missing[pos[c]], supp[pos[c]], out.index)
    return out


def _linked_tables(layers: dict[str, Any], *, k: int, d: int, info: IncidentInfo) -> dict[str, Any]:
    """Units and counts.csv hidden further where the perturbed linked tables bound a hidden count."""
    if layers.get("units") is None:
        return layers
    done = protect_linked(layers["units"], layers.get("counts"), layers.get("summary"), k=k, d=d)
    if done.unresolved:
        msg = f"{len(done.unresolved)} hidden counts of the units stay bounded inside 0..{k - 1}."
        warnings.warn(msg + " Hint: run borderwatch audit.", BorderwatchWarning, stacklevel=3)
    total, cats, _ = _unit_count_columns(done.units, info=info)
    units = _rates_follow_counts(done.units, total=total, cats=cats) if done.hidden else done.units
    return {**layers, "units": units, "counts": done.counts}


def _rates_follow_counts(
    units: gpd.GeoDataFrame, *, total: str | None, cats: list[str]
) -> gpd.GeoDataFrame:
    """Rates null where their count is; a rate that cannot be tied to a count is dropped."""
    out = units.copy()
    geom = out.geometry.name
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
    return out


def _unsafe_columns(frame: pd.DataFrame, *, info: IncidentInfo, keep: Iterable[str]) -> list[str]:
    """Columns that hold ids, free text or person data of incidents."""
    keep = set(keep)
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    incident_columns = {x.lower() for x in info.columns} - VOCAB_COLUMNS
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
        if is_text(s):
            values = {str(v) for v in s.dropna()}
            if (
                name in incident_columns
                or values & info.ids
                or values & info.texts
                or any(is_category(v) for v in values)
            ):
                drop.append(c)
    return drop


# ---------------------------------------------------------------------------------------------
# cells, meetings, density
# ---------------------------------------------------------------------------------------------


def _public_cells(
    cells: gpd.GeoDataFrame | None,
    *,
    k: int,
    regions: gpd.GeoDataFrame | None,
    info: IncidentInfo,
    cell_stats: str,
) -> gpd.GeoDataFrame | None:
    """Cells with suppressed counts (lines: all cells, the cells of each region), classes kept."""
    if cells is None:
        return None
    out = cells.copy()
    geom = out.geometry.name
    if "count" in out.columns:
        vals, missing = _as_counts(out["count"])
        primary = _small(vals, k) & ~missing
        supp = _protect(vals, primary, _cell_lines(out, regions), k=k)
        out["count"] = _suppressed_int(vals, missing, supp, out.index)
    for c in out.columns:
        if c in ("count", "cell_id", "lattice_id", geom) or not isinstance(c, str):
            continue
        s = out[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        if pd.api.types.is_integer_dtype(s) and _COUNT_NAME_RE.search(c) or c.startswith("count"):
            v, m = _as_counts(s)
            out[c] = _suppressed_int(v, m, _small(v, k), out.index)
        elif cell_stats == "class" and c not in _CELL_SAFE_FLOAT:
            out[c] = np.nan
    return out.drop(columns=_unsafe_columns(out, info=info, keep=_CELL_KEEP))


def _cell_lines(cells: gpd.GeoDataFrame, regions: gpd.GeoDataFrame | None) -> list[Line]:
    """Lines of the cells table: all cells, and the cells within each hotspot region."""
    n = len(cells)
    lines: list[Line] = [(np.arange(n), None)]
    if regions is None or not len(regions) or not n:
        return lines
    pts = gpd.GeoDataFrame(
        {"_i": np.arange(n)},
        geometry=cells.geometry.representative_point().values,
        crs=cells.crs,
    )
    reg = regions[[regions.geometry.name]].reset_index(drop=True)
    if reg.crs is not None and cells.crs is not None and not CRS(reg.crs).equals(CRS(cells.crs)):
        reg = reg.to_crs(cells.crs)
    reg["_r"] = np.arange(len(reg))
    hit = gpd.sjoin(pts, reg, predicate="within", how="inner")
    for _, grp in hit.groupby("_r"):
        lines.append((np.sort(grp["_i"].to_numpy()), None))
    return lines


def _public_meetings(meetings: gpd.GeoDataFrame | None, *, k: int) -> gpd.GeoDataFrame | None:
    """Meetings without ids; incident counts of 1 to ``k - 1`` null."""
    if meetings is None:
        return None
    out = meetings.drop(
        columns=[c for c in meetings.columns if str(c).lower() in ("id", "meeting_id")]
    )
    for c in out.columns:
        if isinstance(c, str) and "incident" in c and pd.api.types.is_numeric_dtype(out[c]):
            v, m = _as_counts(out[c])
            out[c] = _suppressed_int(v, m, _small(v, k), out.index)
    return out


def _public_density(density: Any, *, k: int) -> Any:
    """The surface masked where fewer than ``k`` incidents contribute (its ``masked(k)``).

    A surface without ``support`` and ``masked`` is left out, with a warning.
    """
    if density is None:
        return None
    masked = getattr(density, "masked", None)
    if getattr(density, "support", None) is None or not callable(masked):
        msg = (
            "the density surface does not say how many incidents contribute to each cell, so it "
            "cannot be masked; it was left out of the public view."
        )
        warnings.warn(msg, BorderwatchWarning, stacklevel=3)
        return None
    out = masked(k)
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        # the support itself counts incidents: below k it is reported as 0
        sup = np.asarray(out.support)  # type: ignore[attr-defined]
        out = dataclasses.replace(out, support=np.where(sup >= k, sup, 0).astype(sup.dtype))
    return out


# ---------------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------------


def _public_summary(
    summary: Mapping[str, Any] | None, *, k: int, info: IncidentInfo
) -> dict[str, Any]:
    """The summary with dates as months, small counts null and strings redacted."""
    if not summary:
        return {}
    needles = Needles.from_info(info) if (info.ids or info.texts or len(info.lonlat)) else None
    out = _public_value(dict(summary), (), k=k, needles=needles)
    # warnings keep their message, not the input values, paths or small counts they quote
    if isinstance(out.get("warnings"), list):
        out["warnings"] = [
            public_warning(w, k=k, categories=info.categories) if isinstance(w, str) else w
            for w in out["warnings"]
        ]
    # the study CRS is centred on the incidents: the public summary gives the CRS of the
    # public grid and density instead (the fixed lattice), and no centre
    if isinstance(out.get("crs_centre"), dict):
        out["crs_centre"] = {
            key: v for key, v in out["crs_centre"].items() if key not in ("lon", "lat")
        }
    if "crs" in out:
        out["crs"] = "EPSG:6933"
    # no input file name in public: the population raster is only said to be given
    if out.get("population"):
        out["population"] = "given"
    return out


def _is_count_key(path: tuple[str, ...]) -> bool:
    """Whether a summary value at ``path`` (lower-case keys) counts incidents."""
    return any(
        (
            "incident" in p
            or "sensitive" in p
            or p.startswith("dropped")
            or p in _SUMMARY_COUNT_KEYS
            or is_category(p)
        )
        for p in path
    )


def _public_value(obj: Any, path: tuple[str, ...], *, k: int, needles: Needles | None) -> Any:
    """One value of the summary (recursively), made public; id keys are dropped."""
    if isinstance(obj, Mapping):
        res = {}
        for key, v in obj.items():
            name = str(key).lower()
            if name in ("ids", "id") or name.endswith("_ids") or name.endswith("_id"):
                continue
            res[key] = _public_value(v, (*path, name), k=k, needles=needles)
        return res
    if isinstance(obj, list | tuple):
        return [_public_value(v, path, k=k, needles=needles) for v in obj]
    if isinstance(obj, pd.Timestamp | _dt.datetime | _dt.date | np.datetime64):
        ts = pd.Timestamp(obj)
        return None if pd.isna(ts) else ts.strftime("%Y-%m")
    if isinstance(obj, str):
        return _redact(obj, needles)
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        if _is_count_key(path) and 1 <= int(obj) <= k - 1:
            return None
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj)
    return obj


def _redact(text: str, needles: Needles | None) -> str:
    """Dates as months, row numbers as a number of rows; incident ids, text and coordinates out.

    >>> _redact("rows 3, 9 (and 2 more) dated 2024-05-17", None)
    '4 rows dated 2024-05'
    """
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
