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
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._result import AnalysisResult
from .cellkey import PTable, cell_keys, content_keys, record_keys

__all__ = ["Perturber", "perturb_counts"]

_FREQ = {"week": "W-SUN", "month": "M", "year": "Y"}
_SHAPE_IDS = {"hotspots": "hotspot_id", "clusters": "cluster_id", "scan": "scan_id"}


@dataclass(frozen=True)
class Perturber:
    """Record keys of the incidents, the release key and the perturbation table.

    Attributes
    ----------
    key : bytes
        The release key.
    ptable : PTable
        The perturbation table (its ``k`` is the view's).
    incidents : DataFrame or None
        The incidents of the internal result (None: counts are keyed by their
        label and value instead, see :func:`~borderwatch.privacy.cellkey.content_keys`).
    keys : ndarray
        The record key of each incident.
    """

    key: bytes
    ptable: PTable
    incidents: pd.DataFrame | None
    keys: np.ndarray

    @classmethod
    def of(cls, incidents: pd.DataFrame | None, *, key: bytes, k: int) -> Perturber:
        """A perturber for ``incidents`` under ``key`` with threshold ``k``."""
        keys = (
            record_keys(incidents, key) if incidents is not None else np.zeros(0, dtype=np.uint64)
        )
        return cls(key=key, ptable=PTable(k=k), incidents=incidents, keys=keys)

    def publish(
        self,
        counts: np.ndarray,
        *,
        rows: pd.DataFrame,
        records: pd.DataFrame | None,
        label: str,
    ) -> np.ndarray:
        """Perturbed counts (float, NaN below ``k``).

        ``rows`` holds the key columns of each count; ``records`` the same
        columns for each incident (None: key by label and value).
        """
        counts = np.asarray(counts, dtype=np.int64)
        if records is None or self.incidents is None or not len(rows):
            labels = [
                f"{label}:{'|'.join(map(str, r))}:{int(v)}"
                for r, v in zip(rows.itertuples(index=False, name=None), counts, strict=True)
            ]
            ck = content_keys(labels, self.key) if labels else np.zeros(0, dtype=np.uint64)
        else:
            index = pd.MultiIndex.from_frame(rows.astype(str))
            codes = index.get_indexer(pd.MultiIndex.from_frame(records.astype(str)))
            ck = cell_keys(self.keys, codes, len(rows))
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
    inc = perturber.incidents
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
    if out.get("summary"):
        out["summary"] = _perturb_summary(out["summary"], perturber, inc)
    return out


def unit_count_columns(units: pd.DataFrame, categories: Sequence[str]) -> list[str]:
    """The count columns of a units table: ``incidents`` and the category columns."""
    return [c for c in ["incidents", *categories] if c in units.columns]


def _perturb_units(
    internal: gpd.GeoDataFrame, public: gpd.GeoDataFrame, p: Perturber
) -> gpd.GeoDataFrame:
    out = public.copy()
    inc = p.incidents
    cats = [c for c in out.columns if isinstance(c, str) and c.startswith("iccs")]
    if inc is not None and "category" in inc.columns:
        cats = [c for c in out.columns if c in set(inc["category"].dropna())] or cats
    for col in unit_count_columns(out, cats):
        if col not in internal.columns:
            continue
        true = pd.to_numeric(internal[col], errors="coerce").fillna(0).to_numpy()
        shown = out[col].notna().to_numpy()
        rows = pd.DataFrame({"unit_id": internal["unit_id"].to_numpy()})
        records = None
        if inc is not None and "unit_id" in inc.columns:
            records = pd.DataFrame({"unit_id": inc["unit_id"].to_numpy()})
            if col != "incidents":
                rows["category"] = col
                records["category"] = inc["category"].to_numpy() if "category" in inc else ""
        pub = p.publish(true, rows=rows, records=records, label=f"units.{col}")
        out[col] = _as_int(pub, shown, out.index)
    return out


def _perturb_long_counts(
    counts: pd.DataFrame, units: pd.DataFrame | None, p: Perturber, period: str | None
) -> pd.DataFrame:
    """counts.csv: each row perturbed with its own key; rows of hidden unit totals dropped.

    A unit x category whose total is hidden in ``units`` is not listed here
    either, so that its periods cannot rebuild it.
    """
    out = counts.copy()
    if units is not None and {"unit_id", "category"} <= set(out.columns):
        hidden = set()
        total_hidden = set(units.loc[units["incidents"].isna(), "unit_id"].astype(str))
        for c in set(out["category"].dropna().astype(str)):
            if c in units.columns:
                hidden |= {(u, c) for u in units.loc[units[c].isna(), "unit_id"].astype(str)}
        pairs = list(zip(out["unit_id"].astype(str), out["category"].astype(str), strict=True))
        keep = [(u not in total_hidden and (u, c) not in hidden) for u, c in pairs]
        out = out[np.asarray(keep, dtype=bool)].reset_index(drop=True)
    keys = [c for c in ("unit_id", "category", "period") if c in out.columns]
    rows = out[keys].copy()
    if "period" in rows.columns:
        rows["period"] = pd.to_datetime(rows["period"]).dt.strftime("%Y-%m-%d")
    records = _records_by(p.incidents, keys, period)
    true = pd.to_numeric(out["count"], errors="coerce").fillna(0).to_numpy()
    pub = p.publish(true, rows=rows, records=records, label="counts")
    out["count"] = _as_int(pub, out["count"].notna().to_numpy(), out.index)
    return out[out["count"].notna()].reset_index(drop=True)


def _records_by(
    inc: pd.DataFrame | None, keys: list[str], period: str | None
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


def _perturb_cells(
    internal: gpd.GeoDataFrame, public: gpd.GeoDataFrame, p: Perturber
) -> gpd.GeoDataFrame:
    from ..grid import point_cells

    out = public.copy()
    if "count" not in out.columns:
        return out
    true = pd.to_numeric(internal["count"], errors="coerce").fillna(0).to_numpy()
    rows = pd.DataFrame({"pos": np.arange(len(internal))})
    records = None
    inc = p.incidents
    if isinstance(inc, gpd.GeoDataFrame) and len(internal):
        records = pd.DataFrame({"pos": point_cells(internal, inc)})
    if "lattice_id" in internal.columns:
        rows = pd.DataFrame({"pos": internal["lattice_id"].to_numpy()})
        if records is not None:
            ids = internal["lattice_id"].to_numpy()
            pos = records["pos"].to_numpy()
            records = pd.DataFrame({"pos": np.where(pos >= 0, ids[np.maximum(pos, 0)], -1)})
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
    inc = p.incidents
    if isinstance(inc, gpd.GeoDataFrame) and len(inc) and orig.index.isin(ids).all():
        shapes = gpd.GeoDataFrame(
            {"id": orig.index.to_numpy()}, geometry=orig.geometry.to_numpy(), crs=orig.crs
        )
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
        records = pd.DataFrame({"id": lab})
    pub = p.publish(true, rows=rows, records=records, label=kind)
    shown = out["n_incidents"].notna().to_numpy()
    out["n_incidents"] = _as_int(pub, shown, out.index)
    if "relative_risk" in out.columns and "expected" in out.columns:
        exp = pd.to_numeric(out["expected"], errors="coerce")
        out["relative_risk"] = (out["n_incidents"].astype(float) / exp).round(2)
    return out


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


def _perturb_summary(
    summary: dict[str, Any], p: Perturber, inc: pd.DataFrame | None
) -> dict[str, Any]:
    """Incident counts of the summary (those the public summary keeps) perturbed."""
    from .view import _is_count_key

    def walk(obj: Any, path: tuple[str, ...]) -> Any:
        if isinstance(obj, Mapping):
            return {key: walk(v, (*path, str(key).lower())) for key, v in obj.items()}
        if isinstance(obj, bool) or not isinstance(obj, int | np.integer):
            return obj
        if not _is_count_key(path) or "weights" in path:
            return obj
        if int(obj) == 0:  # a zero would stand out next to a null "0 to k - 1"
            return None
        mask = _summary_records(inc, path)
        rows = pd.DataFrame({"g": ["/".join(path)]})
        if mask is not None and p.incidents is not None:
            records = pd.DataFrame({"g": np.where(mask, "/".join(path), "")})
            pub = p.publish(np.array([int(obj)]), rows=rows, records=records, label="summary")
        else:
            pub = p.publish(np.array([int(obj)]), rows=rows, records=None, label="summary")
        return None if not np.isfinite(pub[0]) else int(pub[0])

    return walk(summary, ())
