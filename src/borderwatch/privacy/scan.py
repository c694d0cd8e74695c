"""The leak scanner: :func:`scan_for_leaks` looks for traces of the incidents in output files."""

from __future__ import annotations

import dataclasses
import math
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from .._crs import WGS84, study_crs
from .._errors import DataError
from ._info import free_text_values
from ._needles import Needles, is_gazetteer_place, text_variants
from ._readers import gpkg_text, gpkg_unit_names, plain_text, png_text, tif_text, xlsx_text

__all__ = ["scan_for_leaks"]

#: Files that hold no text worth searching.
_BINARY_SUFFIXES = frozenset({".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".ttf"})
#: Incident columns whose values are public words (place names, countries).
_PUBLIC_COLUMNS = ("unit_name", "country", "reported_country")


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
    paths: Iterable[str] = (),
    audit: bool = True,
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
    paths : iterable of str
        The input files: neither their paths nor their file names may appear
        in any file (the Source line, warnings, ...).
    audit : bool, default True
        In a public view (``summary.json`` says so): check that the summary's
        warnings echo no input value (country values, category words, file
        names, counts below ``k``), that no summary count is below ``k``, and
        run the linear-programming audit of ``units.csv`` and ``counts.csv``
        (:func:`borderwatch.privacy.audit.lp_audit`): every hidden count must
        keep a feasible interval from 0 to at least ``k``.

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
    texts = _searched_texts(incidents, text_columns)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    target = _Target.of(incidents, crs=None if crs is None else CRS(crs))
    ids = {str(v) for v in incidents["id"].dropna()} if "id" in incidents.columns else set()
    needles = Needles(
        lonlat=target.lonlat,
        xy=target.xy,
        ids=ids,
        texts=texts,
        labels=target.labels,
        allow=_allowed(incidents, allow, files),
        min_id_len=min_id_len,
    )
    findings: list[str] = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        try:
            findings += _scan_file(
                p,
                rel,
                needles,
                target,
                k=k,
                vertex_tol_m=vertex_tol_m,
                support_radius_m=support_radius_m,
            )
        except (OSError, ValueError, sqlite3.Error) as exc:  # unreadable file: say so
            findings.append(f"{rel}: could not be scanned ({type(exc).__name__}: {exc})")
    findings += _name_findings(root, files, paths)
    if audit:
        findings += _public_findings(root, incidents, k=k, paths=paths)
    return findings


def _name_findings(root: Path, files: list[Path], paths: Iterable[str]) -> list[str]:
    """Input paths or file names written in any text of the output."""
    names = {str(p) for p in paths if p}
    names |= {Path(p).name for p in names if len(Path(p).name) >= 4}
    if not names:
        return []
    found = []
    for p in files:
        suffix = p.suffix.lower()
        if suffix in _BINARY_SUFFIXES:
            continue
        reader = {".gpkg": gpkg_text, ".tif": tif_text, ".tiff": tif_text, ".png": png_text}
        text = reader.get(suffix, plain_text)(p)
        for name in sorted(names):
            if name in text:
                found.append(f"{p.relative_to(root).as_posix()}: input file name {name!r}")
    return found


def _public_findings(
    root: Path, incidents: gpd.GeoDataFrame, *, k: int, paths: Iterable[str]
) -> list[str]:
    """The public-view rules of the summary, and the LP audit of the linked tables."""
    import json

    from ._figures import figure_findings
    from ._text import small_count_findings, warning_findings
    from .audit import lp_audit

    path = root / "summary.json"
    if not path.is_file():
        return []
    summary = json.loads(path.read_text(encoding="utf-8"))
    if summary.get("view") != "public":
        return []
    k = int(summary.get("k") or k)
    values: set[str] = set()
    for col in ("country", "reported_country"):
        if col in incidents.columns:
            values |= {str(v) for v in incidents[col].dropna().unique()}
    values -= set(summary.get("countries") or [])  # the units' own countries are public
    cats: set[str] = set()
    for col in ("category", "category_raw"):
        if col in incidents.columns:
            cats |= {str(v) for v in incidents[col].dropna().unique()}
    found = [
        f"summary.json: {f}"
        for f in warning_findings(
            summary.get("warnings") or [], k=k, values=values, categories=cats, paths=paths
        )
    ]
    found += [f"summary.json: {f}" for f in small_count_findings(summary, k=k)]
    found += [f"summary.json: {f}" for f in figure_findings(summary)]
    units_csv, counts_csv = root / "units.csv", root / "counts.csv"
    if units_csv.is_file():
        d = int(((summary.get("privacy") or {}).get("perturbation") or {}).get("D", 0))
        ids = {"unit_id": str}
        counts = [pd.read_csv(counts_csv, dtype=ids)] if counts_csv.is_file() else []
        for b in lp_audit(pd.read_csv(units_csv, dtype=ids), counts, k=k, d=d, summary=summary):
            if not b.protected:
                found.append(
                    f"units.csv: hidden count {b.what} is bounded to [{b.lo:g}, {b.hi:g}] "
                    "by the published tables (linear programming)"
                )
    return found


# ---------------------------------------------------------------------------------------------
# what is looked for
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Target:
    """The located incidents, their labels, coordinates and a KD-tree for geometry checks."""

    pts: gpd.GeoDataFrame
    labels: list[str]
    lonlat: np.ndarray
    xy: np.ndarray | None  # in the analysis CRS, when known
    metric: CRS | None  # the CRS of the tree
    tree: cKDTree | None

    @classmethod
    def of(cls, incidents: gpd.GeoDataFrame, *, crs: CRS | None) -> _Target:
        """The target of ``incidents``; ``crs`` is the analysis CRS (default: theirs if projected)."""
        pts = incidents[~(incidents.geometry.isna() | incidents.geometry.is_empty)]
        lonlat = shapely.get_coordinates(pts.geometry.to_crs(WGS84).values)
        if crs is None and CRS(incidents.crs).is_projected:
            crs = CRS(incidents.crs)
        xy = shapely.get_coordinates(pts.geometry.to_crs(crs).values) if crs is not None else None
        labels = (
            pts["id"].astype(str).tolist()
            if "id" in pts.columns
            else [f"#{i}" for i in range(len(pts))]
        )
        metric = crs or (study_crs(pts) if len(pts) else None)
        tree = None
        if metric is not None and len(pts):
            tree_xy = shapely.get_coordinates(pts.geometry.to_crs(metric).values)
            tree = cKDTree(tree_xy) if len(tree_xy) else None
        return cls(pts=pts, labels=labels, lonlat=lonlat, xy=xy, metric=metric, tree=tree)


def _searched_texts(incidents: gpd.GeoDataFrame, text_columns: Sequence[str] | None) -> set[str]:
    """The free-text values to look for (of ``text_columns``, else of every free-text column)."""
    if text_columns is None:
        return free_text_values(incidents)
    missing = [c for c in text_columns if c not in incidents.columns]
    if missing:
        msg = f"text_columns {missing} are not columns of the incidents. Hint: check the spelling."
        raise DataError(msg)
    return free_text_values(pd.DataFrame(incidents[list(text_columns)]))


def _allowed(incidents: gpd.GeoDataFrame, allow: Iterable[str], files: list[Path]) -> set[str]:
    """Public values: ``allow``, place and country names, the unit names of GeoPackages."""
    allowed = set(allow)
    for col in _PUBLIC_COLUMNS:
        if col in incidents.columns:
            allowed |= {str(v) for v in incidents[col].dropna()}
    for p in files:
        if p.suffix.lower() == ".gpkg":
            allowed |= gpkg_unit_names(p)
    return allowed


# ---------------------------------------------------------------------------------------------
# one file
# ---------------------------------------------------------------------------------------------


def _scan_file(
    path: Path,
    rel: str,
    needles: Needles,
    target: _Target,
    *,
    k: int,
    vertex_tol_m: float,
    support_radius_m: float | None,
) -> list[str]:
    """The findings in one file, by its type."""
    suffix = path.suffix.lower()
    if suffix in _BINARY_SUFFIXES:
        return []
    if suffix == ".gpkg":
        return _scan_text(rel, gpkg_text(path), needles) + _scan_geometries(
            rel, path, target, vertex_tol_m
        )
    if suffix in (".tif", ".tiff"):
        return _scan_text(rel, tif_text(path), needles) + _scan_raster(
            rel, path, target, k=k, radius=support_radius_m
        )
    if suffix == ".png":
        return _scan_text(rel, png_text(path), needles)
    if suffix in (".xlsx", ".xlsm"):
        return _scan_text(rel, xlsx_text(path), needles)
    text = plain_text(path)
    findings = _scan_text(rel, text, needles)
    if suffix in (".geojson", ".json") and '"coordinates"' in text:
        findings += _scan_geometries(rel, path, target, vertex_tol_m)
    return findings


def _scan_text(rel: str, text: str, needles: Needles) -> list[str]:
    """Coordinates, ids and free text of incidents in ``text`` (and its unescaped variants)."""
    text = text_variants(text)
    out = []
    pairs = needles.coordinate_pairs(text)
    for inc, (what, a, b) in sorted(pairs.items()):
        if what.startswith("lon/lat") and is_gazetteer_place(a, b):
            continue  # a town of the gazetteer (the map's towns layer), not the incident
        out.append(f"{rel}: coordinates of incident {needles.labels[inc]} ({what} {a}, {b})")
    for i in sorted(needles.find_ids(text)):
        out.append(f"{rel}: incident id {i!r}")
    for t in sorted(needles.find_texts(text)):
        out.append(f"{rel}: incident free text {t!r}")
    return out


def _shown(labels: Sequence[str], n: int = 5) -> str:
    """The first ``n`` labels, and how many more."""
    more = f" (and {len(labels) - n} more)" if len(labels) > n else ""
    return ", ".join(labels[:n]) + more


def _scan_geometries(rel: str, path: Path, target: _Target, tol: float) -> list[str]:
    """Vertices or points of any vector layer of ``path`` within ``tol`` metres of an incident."""
    import pyogrio

    if target.tree is None or target.metric is None:
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
        xy = shapely.get_coordinates(gdf.geometry.to_crs(target.metric).values)
        if xy.size == 0:
            continue
        d, idx = target.tree.query(xy, k=1, distance_upper_bound=tol)
        near = np.isfinite(d)
        if near.any():
            incs = sorted({target.labels[i] for i in idx[near]})
            out.append(
                f"{rel}: layer {layer!r} has {int(near.sum())} vertices or points within "
                f"{tol:g} m of incidents {_shown(incs)}"
            )
    return out


def _support_radius(tags: dict[str, str]) -> float | None:
    """The support radius (m) written in a density GeoTIFF's tags."""
    if "support_radius_km" in tags:
        return 1000.0 * float(tags["support_radius_km"])
    if "support_radius_m" in tags:
        return float(tags["support_radius_m"])
    if "bandwidth_km" in tags:
        return 2000.0 * float(tags["bandwidth_km"])
    return None


def _scan_raster(
    rel: str, path: Path, target: _Target, *, k: int, radius: float | None
) -> list[str]:
    """Density shown at an incident with fewer than ``k`` incidents within the support radius."""
    import rasterio

    pts = target.pts
    with rasterio.open(path) as ds:
        if radius is None:
            radius = _support_radius(ds.tags())
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
    bad = []
    for i in np.flatnonzero(inside & (n_near < k)):
        v = band[rows[i], cols[i]]
        if v is not np.ma.masked and np.isfinite(v) and v > 0:
            bad.append(target.labels[int(i)])
    if not bad:
        return []
    return [
        f"{rel}: density shown at {len(bad)} incidents with fewer than {k} incidents "
        f"within {radius:g} m: {_shown(bad)}"
    ]
