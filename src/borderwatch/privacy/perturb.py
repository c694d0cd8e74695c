"""Cell-key perturbation of every count the public view publishes.

:func:`perturb_counts` takes the internal result (for the incidents and the
true counts) and the suppressed public layers, and returns the public layers
with every shown count replaced by its perturbed value
(:mod:`borderwatch.privacy.cellkey`): units (total and categories), the long
table of counts, the cells, the ``n_incidents`` of hotspots, clusters and scan
clusters, and the incident counts of the summary. Counts below ``k`` (zeros
included) become null: the reader sees "0–4", never a zero next to a small
count (the summary's zeros too). Each count's cell key is the sum of the record keys of the incidents it
counts, so the same incidents give the same value in every table and release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._result import AnalysisResult
from ._figures import coarse_columns
from ._records import FrameRecords, IncidentRecords, RecordsOf, coded
from .cellkey import PTable, content_keys

__all__ = ["Perturber", "listed_rows", "perturb_counts"]

_FREQ = {"week": "W-SUN", "month": "M", "year": "Y"}
_SHAPE_IDS = {"hotspots": "hotspot_id", "clusters": "cluster_id", "scan": "scan_id"}


@dataclass(frozen=True)
class Perturber:
    """The incidents' records, the release key and the perturbation table.

    Attributes
    ----------
    key : bytes
        The release key.
    ptable : PTable
        The perturbation table (its ``k`` is the view's).
    records : IncidentRecords or None
        The incidents of the internal result, in memory or on the dask workers
        (None: counts are keyed by their label and value instead, see
        :func:`~borderwatch.privacy.cellkey.content_keys`).
    """

    key: bytes
    ptable: PTable
    records: IncidentRecords | None

    @classmethod
    def of(
        cls, incidents: pd.DataFrame | IncidentRecords | None, *, key: bytes, k: int
    ) -> Perturber:
        """A perturber for ``incidents`` (a frame or records) under ``key`` with threshold ``k``."""
        if incidents is not None and not isinstance(incidents, IncidentRecords):
            incidents = FrameRecords(incidents)
        return cls(key=key, ptable=PTable(k=k), records=incidents)

    def publish(
        self,
        counts: np.ndarray,
        *,
        rows: pd.DataFrame,
        records: RecordsOf | None,
        label: str,
    ) -> np.ndarray:
        """Perturbed counts (float, NaN below ``k``).

        ``rows`` holds the key columns of each count; ``records`` gives the same
        columns for each incident of a frame of incidents (None, or None for the
        incidents: key by label and value).
        """
        counts = np.asarray(counts, dtype=np.int64)
        got = None
        if records is not None and self.records is not None and len(rows):
            got = self.records.tally(coded(records, rows), len(rows), self.key)
        if got is None:
            labels = [
                f"{label}:{'|'.join(map(str, r))}:{int(v)}"
                for r, v in zip(rows.itertuples(index=False, name=None), counts, strict=True)
            ]
            ck = content_keys(labels, self.key) if labels else np.zeros(0, dtype=np.uint64)
        else:
            ck = got[1]
        return self.ptable.publish(counts, ck)


def _as_int(values: np.ndarray, shown: np.ndarray, index: pd.Index) -> pd.Series:
    out = pd.Series(np.where(np.isfinite(values), values, 0), index=index).round().astype("Int64")
    out[~(shown & np.isfinite(values))] = pd.NA
    return out


def perturb_counts(
    internal: AnalysisResult,
    public: Mapping[str, Any],
    *,
    perturber: Perturber,
    period: str | None,
) -> dict[str, Any]:
    """The public layers with every shown count perturbed (see the module docstring).

    ``public`` maps layer names (``units``, ``counts``, ``cells``, ``hotspots``,
    ``clusters``, ``scan``, ``summary``) to the suppressed public layers; the
    returned dict has the same keys.
    """
    out = dict(public)
    units = out.get("units")
    if units is not None and internal.units is not None:
        out["units"] = _perturb_units(internal.units, units, perturber)
    if out.get("counts") is not None:
        out["counts"] = _perturb_long_counts(out["counts"], out.get("units"), perturber, period)
    if out.get("cells") is not None and internal.cells is not None:
        out["cells"] = _perturb_cells(internal.cells, out["cells"], perturber)
    for kind in ("hotspots", "clusters", "scan"):
        layer, original = out.get(kind), getattr(internal, kind)
        if layer is not None and original is not None and len(layer):
            out[kind] = _perturb_shapes(original, layer, perturber, kind=kind)
    if out.get("scan") is not None:  # its relative risk from the published count, then coarse
        out["scan"] = coarse_columns(out["scan"])
    if out.get("summary"):
        out["summary"] = _perturb_summary(out["summary"], perturber)
    return out


def unit_count_columns(units: pd.DataFrame, categories: Sequence[str]) -> list[str]:
    """The count columns of a units table: ``incidents`` and the category columns."""
    return [c for c in ["incidents", *categories] if c in units.columns]


def _perturb_units(
    internal: gpd.GeoDataFrame, public: gpd.GeoDataFrame, p: Perturber
) -> gpd.GeoDataFrame:
    out = public.copy()
    recs = p.records
    cats = [c for c in out.columns if isinstance(c, str) and c.startswith("iccs")]
    if recs is not None and "category" in recs.columns:
        cats = [c for c in out.columns if c in recs.categories] or cats
    for col in unit_count_columns(out, cats):
        if col not in internal.columns:
            continue
        true = pd.to_numeric(internal[col], errors="coerce").fillna(0).to_numpy()
        shown = out[col].notna().to_numpy()
        rows = pd.DataFrame({"unit_id": internal["unit_id"].to_numpy()})
        records = None
        if recs is not None and "unit_id" in recs.columns:
            records = partial(_unit_records, by_category=col != "incidents")
            if col != "incidents":
                rows["category"] = col
        pub = p.publish(true, rows=rows, records=records, label=f"units.{col}")
        out[col] = _as_int(pub, shown, out.index)
    return out


def _unit_records(inc: pd.DataFrame, *, by_category: bool) -> pd.DataFrame:
    """The unit (and category) of each incident."""
    records = pd.DataFrame({"unit_id": inc["unit_id"].to_numpy()})
    if by_category:
        records["category"] = inc["category"].to_numpy() if "category" in inc else ""
    return records


def _perturb_long_counts(
    counts: pd.DataFrame, units: pd.DataFrame | None, p: Perturber, period: str | None
) -> pd.DataFrame:
    """counts.csv: each row perturbed with its own key; rows of hidden unit totals dropped.

    A unit x category whose total is hidden in ``units`` is not listed here
    either, so that its periods cannot rebuild it.
    """
    out = listed_rows(counts, units)
    keys = [c for c in ("unit_id", "category", "period") if c in out.columns]
    rows = out[keys].copy()
    if "period" in rows.columns:
        rows["period"] = pd.to_datetime(rows["period"]).dt.strftime("%Y-%m-%d")
    records = partial(_records_by, keys=keys, period=period)
    true = pd.to_numeric(out["count"], errors="coerce").fillna(0).to_numpy()
    pub = p.publish(true, rows=rows, records=records, label="counts")
    out["count"] = _as_int(pub, out["count"].notna().to_numpy(), out.index)
    return out[out["count"].notna()].reset_index(drop=True)


def listed_rows(counts: pd.DataFrame, units: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``counts`` whose unit x category (and unit total) ``units`` shows.

    A unit x category hidden in ``units`` is not listed in counts.csv, so that
    its periods cannot rebuild it.

    >>> u = pd.DataFrame({"unit_id": ["a", "b"], "incidents": [9, None], "x": [None, 7]})
    >>> c = pd.DataFrame({"unit_id": ["a", "b", "a"], "category": ["x", "x", "y"], "count": [5, 6, 7]})
    >>> listed_rows(c, u)["count"].tolist()
    [7]
    """
    out = counts.copy()
    if units is None or not {"unit_id", "category"} <= set(out.columns):
        return out
    hidden = set()
    total_hidden = set(units.loc[units["incidents"].isna(), "unit_id"].astype(str))
    for c in set(out["category"].dropna().astype(str)):
        if c in units.columns:
            hidden |= {(u, c) for u in units.loc[units[c].isna(), "unit_id"].astype(str)}
    pairs = list(zip(out["unit_id"].astype(str), out["category"].astype(str), strict=True))
    keep = [(u not in total_hidden and (u, c) not in hidden) for u, c in pairs]
    return out[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def _records_by(
    inc: pd.DataFrame | None, *, keys: list[str], period: str | None
) -> pd.DataFrame | None:
    if inc is None or any(k not in inc.columns for k in keys if k != "period"):
        return None
    rec = pd.DataFrame({k: inc[k].to_numpy() for k in keys if k != "period"})
    if "period" in keys:
        if period not in _FREQ or "date" not in inc.columns:
            return None
        d = pd.to_datetime(inc["date"])
        rec["period"] = (
            d.dt.to_period(_FREQ[period]).dt.start_time.dt.strftime("%Y-%m-%d").to_numpy()
        )
    return rec


def _cell_records(inc: pd.DataFrame, *, cells: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The cell of each incident (its position, or its ``lattice_id`` when the cells have one)."""
    from ..grid import point_cells

    if not isinstance(inc, gpd.GeoDataFrame):
        return None
    records = pd.DataFrame({"pos": point_cells(cells, inc)})
    if "lattice_id" in cells.columns:
        ids = cells["lattice_id"].to_numpy()
        pos = records["pos"].to_numpy()
        records = pd.DataFrame({"pos": np.where(pos >= 0, ids[np.maximum(pos, 0)], -1)})
    return records


def _perturb_cells(
    internal: gpd.GeoDataFrame, public: gpd.GeoDataFrame, p: Perturber
) -> gpd.GeoDataFrame:
    out = public.copy()
    if "count" not in out.columns:
        return out
    true = pd.to_numeric(internal["count"], errors="coerce").fillna(0).to_numpy()
    rows = pd.DataFrame({"pos": np.arange(len(internal))})
    records = None
    if p.records is not None and p.records.is_geo and len(internal):
        cols = ["lattice_id"] if "lattice_id" in internal.columns else []
        records = partial(_cell_records, cells=internal[[*cols, internal.geometry.name]])
    if "lattice_id" in internal.columns:
        rows = pd.DataFrame({"pos": internal["lattice_id"].to_numpy()})
    pub = p.publish(true, rows=rows, records=records, label="cells")
    out["count"] = _as_int(pub, out["count"].notna().to_numpy(), out.index)
    return out


def _perturb_shapes(
    original: gpd.GeoDataFrame, public: gpd.GeoDataFrame, p: Perturber, *, kind: str
) -> gpd.GeoDataFrame:
    """``n_incidents`` of public shapes perturbed; the members are the incidents in the shape."""
    out = public.copy()
    id_col = _SHAPE_IDS[kind]
    if "n_incidents" not in out.columns or id_col not in out.columns:
        return out
    orig = original.set_index(id_col)
    ids = out[id_col].to_numpy()
    true = pd.to_numeric(out["n_incidents"], errors="coerce").fillna(0).to_numpy()
    rows = pd.DataFrame({"id": ids})
    records = None
    if p.records is not None and p.records.is_geo and orig.index.isin(ids).all():
        shapes = gpd.GeoDataFrame(
            {"id": orig.index.to_numpy()}, geometry=orig.geometry.to_numpy(), crs=orig.crs
        )
        records = partial(_shape_records, shapes=shapes)
    pub = p.publish(true, rows=rows, records=records, label=kind)
    shown = out["n_incidents"].notna().to_numpy()
    out["n_incidents"] = _as_int(pub, shown, out.index)
    if "relative_risk" in out.columns and "expected" in out.columns:
        exp = pd.to_numeric(out["expected"], errors="coerce")
        out["relative_risk"] = (out["n_incidents"].astype(float) / exp).round(2)
    return out


def _shape_records(inc: pd.DataFrame, *, shapes: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The shape (``id``) each incident lies in ("" for none)."""
    if not isinstance(inc, gpd.GeoDataFrame) or not len(inc):
        return None
    pts = gpd.GeoDataFrame(
        {"_i": np.arange(len(inc))},
        geometry=inc.geometry.to_crs(shapes.crs).to_numpy(),
        crs=shapes.crs,
    )
    hit = gpd.sjoin(pts, shapes, predicate="intersects", how="inner")
    # one shape per incident is enough for its key; shapes do not overlap within a layer
    hit = hit.drop_duplicates("_i")
    lab = np.full(len(inc), "", dtype=object)
    lab[hit["_i"].to_numpy()] = hit["id"].astype(str).to_numpy()
    return pd.DataFrame({"id": lab})


def _summary_records(inc: pd.DataFrame | None, path: tuple[str, ...]) -> np.ndarray | None:
    """Which incidents a summary count counts (None: unknown)."""
    if inc is None:
        return None
    if path == ("n_incidents",):
        return np.ones(len(inc), dtype=bool)
    if path == ("n_sensitive",) and "sensitive" in inc.columns:
        return inc["sensitive"].fillna(False).astype(bool).to_numpy()
    if len(path) == 2 and path[0] == "join":
        if path[1] == "country_mismatch" and "country_mismatch" in inc.columns:
            return inc["country_mismatch"].fillna(False).astype(bool).to_numpy()
        if "join" in inc.columns:
            return (inc["join"] == path[1]).to_numpy()
    return None


def _summary_group(inc: pd.DataFrame, *, path: tuple[str, ...]) -> pd.DataFrame | None:
    """The summary count at ``path`` of each incident that it counts ("" for the others)."""
    mask = _summary_records(inc, path)
    if mask is None:
        return None
    return pd.DataFrame({"g": np.where(mask, "/".join(path), "")})


def _perturb_summary(summary: dict[str, Any], p: Perturber) -> dict[str, Any]:
    """Incident counts of the summary (those the public summary keeps) perturbed."""
    from .view import _is_count_key

    def walk(obj: Any, path: tuple[str, ...]) -> Any:
        if isinstance(obj, Mapping):
            return {key: walk(v, (*path, str(key).lower())) for key, v in obj.items()}
        if isinstance(obj, bool) or not isinstance(obj, int | np.integer):
            return obj
        if not _is_count_key(path) or "weights" in path:
            return obj
        if path == ("n_sensitive",):
            # not published: between two releases a change of this one count would say
            # that the incident added or removed was of a sensitive category
            return None
        if int(obj) == 0:  # a zero would stand out next to a null "0 to k - 1"
            return None
        rows = pd.DataFrame({"g": ["/".join(path)]})
        records = partial(_summary_group, path=path)
        pub = p.publish(np.array([int(obj)]), rows=rows, records=records, label="summary")
        return None if not np.isfinite(pub[0]) else int(pub[0])

    return walk(summary, ())
